// A probe's breakpoint is in the code the guest runs, not in what it reads: the guest's own
// loads of probed code see the instructions that were there (ppc64's unwinder reads the word
// after a call to learn whether the caller restores its TOC there).
import { describe, expect, it } from 'vitest';
import type { Machine } from '../../emu/machine.js';
import { pipeStdio } from '../../emu/files.js';
import { kprobes } from '../../src/kprobes.js';
import { CORPUS, rootForTest } from '../corpus-cases.js';
import { ISAS, symbol } from '../helpers.js';
import { fixtureMachine, functionBoundaries } from './support.js';
import { observe } from './observe.js';

/** What the guest reads of `fn`'s first bytes: its print_str writes them (up to a zero byte). */
function guestRead(m: Machine, out: () => string, fn: string): string {
  const before = out().length;
  m.callGuest(symbol(m.symbols, 'print_str').addr, [BigInt(symbol(m.symbols, fn).addr)]);
  return out().slice(before);
}

describe.each(ISAS)('%s', (isa) => {
  it('the guest reads its probed code as it was; the probe still hits; nothing stays hidden after', () => {
    const { m, out } = fixtureMachine(isa, 'globals', [], {});
    try {
      const plain = guestRead(m, out, 'bump');
      expect(plain.length).toBeGreaterThan(0);
      const e = kprobes(m);
      const p = e.registerKprobe({ symbol: 'bump' }, {});
      // The CPU runs the breakpoint; loads, the guest's and the host's for it, see the code.
      expect(m.mem.readExecuted(p.addr, 1)[0]).toBe(m.isa.name === 'ppc64' ? 0x7f : 0xcc);
      expect(m.mem.read(p.addr, 4)).not.toEqual(m.mem.readExecuted(p.addr, 4));
      expect(guestRead(m, out, 'bump')).toBe(plain);
      e.unregisterKprobe(p);
      expect(guestRead(m, out, 'bump')).toBe(plain);
      const again = e.registerKprobe({ symbol: 'bump' }, {});
      expect(m.run()).toEqual({ kind: 'exit', status: 0 });
      expect(again.nhit).toBe(4);
    } finally {
      m.close();
    }
  });
});

describe('ppc64-dyn pthreads', () => {
  it('pthread_exit unwinds through a probed call site as unprobed (the TOC restore it reads is there)', () => {
    const variant = 'ppc64-dyn';
    const root = rootForTest(variant);
    if (root === undefined) return;
    const path = `${CORPUS}/build/${variant}/pthreads`;
    const io = () => ({ root, stdio: pipeStdio(Buffer.alloc(0)), quantum: 1000 });
    const plain = observe(path, io());
    const probed = observe(path, io(), {
      setUp: (m: Machine) => {
        const e = kprobes(m);
        let n = 0;
        for (const f of ['deep3', 'deep2', 'exiter'])
          for (const a of functionBoundaries(m, symbol(m.symbols, f))) {
            e.registerKprobe({ addr: a }, {});
            n++;
          }
        return n;
      },
    });
    expect(probed.probes).toBeGreaterThan(20);
    expect(probed.run).toEqual(plain.run);
    expect(plain.run.out).toContain('pthread_exit: value 42, depth 3');
  });
});
