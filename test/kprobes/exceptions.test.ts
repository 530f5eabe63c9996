// C++ exceptions through return-probed frames (fixtures/corpus throw): the unwinder must
// see real return addresses, so the program prints what it prints unprobed, on all three
// ISAs; calls whose frames the exception finds probed are reported dropped ('exception'),
// and calls made inside the unwinder are not tracked.
import { describe, expect, it } from 'vitest';
import { kprobes } from '../../src/kprobes.js';
import type { KretDropReason, Kretprobe } from '../../src/kretprobes.js';
import { ISAS, runCaptured } from '../helpers.js';
import { observe } from './observe.js';

const FUNCS = ['thrower', 'level1', 'level2', 'level3', 'main'];

describe.each(ISAS)('%s: exceptions through return probes', (isa) => {
  const prog = `fixtures/corpus/build/${isa}/throw`;

  it('an exception caught one to four probed frames up: the same output and status as unprobed', async () => {
    const plain = await runCaptured(prog);
    expect(plain.status).toBe(0);
    const returns = new Map<string, number>();
    const drops: KretDropReason[] = [];
    const probed = await runCaptured(prog, [], {}, (m) => {
      for (const f of FUNCS)
        kprobes(m).registerKretprobe(
          { symbol: f },
          {
            maxactive: 20,
            handler: () => void returns.set(f, (returns.get(f) ?? 0) + 1),
            dropHandler: (_ri, why) => void drops.push(why),
          },
        );
    });
    expect(probed.stdout).toBe(plain.stdout);
    expect(probed.status).toBe(0);
    expect(probed.warnings).toEqual([]);
    // Two rounds of five calls of level3 (one returns, four throw): each throw drops the
    // task's calls in flight; the calls made after it return through the probes again.
    expect(drops.length).toBeGreaterThan(0);
    expect(new Set(drops)).toEqual(new Set(['exception']));
    expect(returns.get('thrower')).toBe(2);
    expect(returns.get('level3')).toBeGreaterThanOrEqual(2);
  });

  it('return probes on every function, the unwinder and its helpers among them: the same run', () => {
    const opts = { quantum: 1000 };
    const plain = observe(prog, opts);
    const rps: Kretprobe[] = [];
    const probed = observe(prog, opts, {
      setUp: (m) => {
        const e = kprobes(m);
        for (const f of m.symbols.functions().filter((s) => s.size > 0))
          try {
            rps.push(e.registerKretprobe({ addr: f.addr }, { maxactive: 64 }));
          } catch (err) {
            // Those that never return, jump, read their own return address or do not decode.
            expect(String(err)).toMatch(/never returns|cannot|saves its return address|entry point|as data/);
          }
        return rps.length;
      },
    });
    expect(probed.probes).toBeGreaterThan(1000);
    expect(plain.run.stop).toEqual({ kind: 'exit', status: 0 });
    // Output, schedule, clock and instruction count: the trampoline's instructions, also
    // after a return the entry probe emulated, are the engine's.
    expect(probed.run).toEqual(plain.run);
    // The unwinder's helpers find their frames from their own return addresses: the calls
    // they make while it walks the stack are not tracked.
    const helper = rps.find((rp) => rp.func === 'uw_frame_state_for');
    expect(helper?.nmissed).toBeGreaterThan(0);
    // Outside the unwinder, calls are tracked as before.
    expect(rps.find((rp) => rp.func === 'thrower')?.nhit).toBe(2);
  });
});
