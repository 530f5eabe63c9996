// Handlers that misbehave, on i386, x86_64 and ppc64: they throw, write garbage to registers
// and memory, and (un)register probes in the middle of a hit. The kernel forbids most of this
// (unregister_kprobe from a handler deadlocks in synchronize_sched); here each case has a
// defined outcome, asserted below, and every test ends with the shared invariant check.
import { ISAS, present, symbol, type IsaName } from '../helpers.js';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { shellStatus, type Machine } from '../../emu/machine.js';
import { ProbeError, type Kprobe, type KprobeHandlers } from '../../src/kprobes.js';
import type { KretDropReason, Kretprobe, KretprobeOptions } from '../../src/kretprobes.js';
import type { Regs } from '../../src/regs.js';
import { checkAndClose, findInsn, functionInsns, probed, type Probed, KTEST_ARG } from './support.js';

afterEach(checkAndClose);

const V = KTEST_ARG;
const KTEST_OUT = `target = ${V / 3n}\ntarget2 = ${V / 3n + 1n}\nrecursed_target = ${V / 3n}\n`;
/** No mapping of any fixture, the engine's or the guest's, reaches it; 4-byte aligned for ppc64. */
const UNMAPPED = 0xdead0000;

/**
 * Per ISA: the stack pointer's name and the return value's; where a stack pointer set to 0x10
 * at `target`'s entry is first used; the trap number of a page fault.
 */
const ISA = {
  x86_64: {
    sp: 'sp',
    ret: 'ax',
    spFault: 'target+0xf', // the ret pops from 0x10
    segvTrap: 14,
  },
  i386: {
    sp: 'sp',
    ret: 'ax',
    spFault: 'target+0x7', // mul dword ptr [esp + 4] reads its argument at 0x14
    segvTrap: 14,
  },
  ppc64: {
    sp: 'r1',
    ret: 'r3',
    spFault: 'print_udec+0x4', // target is a leaf: main's callee print_udec stores its frame at 0x20
    segvTrap: 0x300,
  },
} as const;

/**
 * Offsets found by decoding the fixtures, not one compiler's: `target`'s return, the store
 * `write_bad` faults on, and the first instruction of `target` at least four bytes long, with
 * its last byte (on ppc64 the breakpoint covers all four).
 */
const OFF = {} as Record<IsaName, { targetRet: number; store: number; long: { at: number; last: number } }>;
beforeAll(async () => {
  for (const isa of ISAS) {
    const target = await functionInsns(isa, 'ktest', 'target');
    const writeBad = await functionInsns(isa, 'segv_write', 'write_bad');
    const ret = findInsn(target, 'return', (i) => i.mnemonic === 'ret' || i.mnemonic === 'blr');
    const store = findInsn(writeBad, 'store', (i) =>
      isa === 'ppc64' ? i.mnemonic === 'stw' : i.mnemonic === 'mov' && i.opStr.startsWith('dword ptr ['),
    );
    const long = findInsn(target, 'instruction of four bytes or more', (i) => i.size >= 4);
    OFF[isa] = {
      targetRet: ret.off,
      store: store.off,
      long: { at: long.off, last: long.off + long.size - 1 },
    };
  }
});

const hexBytes = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(' ');

const addrOf = (p: Probed, sym: string, off = 0): number => symbol(p.m.symbols, sym).addr + off;

/** The bytes at each address now (hex), to compare with after the engine let go of them. */
function snapshot(p: Probed, addrs: number[]): Map<number, string> {
  return new Map(addrs.map((a) => [a, hexBytes(p.m.mem.readExecuted(a, 4))]));
}

/** Every probe unregistered (the run's end or ours) and the code as it was before. */
function expectUnpatched(p: Probed, before: Map<number, string>): void {
  p.e.unregisterAll();
  expect(p.e.all.filter((k) => k.registered).map((k) => k.symOffset)).toEqual([]);
  for (const [a, bytes] of before)
    expect(hexBytes(p.m.mem.readExecuted(a, 4)), `bytes at 0x${a.toString(16)}`).toBe(bytes);
}

/** A guest word in the guest's byte order, for Regs.write. */
function wordBytes(m: Machine, v: number): Uint8Array {
  const b = new Uint8Array(m.isa.wordSize);
  const dv = new DataView(b.buffer);
  if (m.isa.wordSize === 8) dv.setBigUint64(0, BigInt(v), m.mem.littleEndian);
  else dv.setUint32(0, Number(v), m.mem.littleEndian);
  return b;
}

/** The first stack word at or above sp that holds `value` (a return address hijacked to the trampoline). */
function stackWordHolding(regs: Regs, value: number, wordSize: number): number {
  for (let a = regs.sp; a < regs.sp + 0x400; a += wordSize) if (regs.readWord(a) === BigInt(value)) return a;
  throw new Error(`no stack word within 1 KB of sp holds 0x${value.toString(16)}`);
}

const boom = (what: string) => () => {
  throw new Error(what);
};

describe.each(ISAS)('handler abuse on %s', (isa) => {
  describe('handlers that throw', () => {
    it('a pre_handler: the run stops (exit 125) at that hit, every probe removed, instances in flight dropped', () => {
      const pr = probed(isa, 'fib', ['10']);
      const { m, e, out } = pr;
      const before = snapshot(pr, [addrOf(pr, 'fib'), addrOf(pr, 'print_udec')]);
      const drops: KretDropReason[] = [];
      const rp = e.registerKretprobe(
        { symbol: 'fib' },
        { maxactive: 20, dropHandler: (_ri, why) => void drops.push(why) },
      );
      const other = e.registerKprobe({ symbol: 'print_udec' });
      let hits = 0;
      // Registered after the return probe, so it runs first at each hit (newest first).
      const p = e.registerKprobe(
        { symbol: 'fib' },
        {
          preHandler: () => {
            if (++hits === 5) throw new Error('boom');
          },
        },
      );
      const stop = m.run();
      expect(stop).toMatchObject({
        kind: 'error',
        message: 'the pre_handler of the probe at fib+0x0 threw: boom',
      });
      expect(shellStatus(stop)).toBe(125);
      expect(out()).toBe('fib(10) = ');
      expect([p.nhit, other.nhit, rp.nhit]).toEqual([5, 1, 0]);
      // fib(10)..fib(7) were in flight; the fifth call threw before its entry was tracked.
      expect(drops).toEqual(['unregistered', 'unregistered', 'unregistered', 'unregistered']);
      expect([p.registered, other.registered, rp.registered]).toEqual([false, false, false]);
      expect(e.kretprobes().inFlight()).toBe(0);
      expectUnpatched(pr, before);
    });

    it('a post_handler: the run stops (exit 125) after the first step, every probe removed', () => {
      const pr = probed(isa, 'fib', ['10']);
      const { m, e, out } = pr;
      const before = snapshot(pr, [addrOf(pr, 'fib')]);
      const p = e.registerKprobe({ symbol: 'fib' }, { postHandler: boom('boom') });
      const stop = m.run();
      expect(stop).toMatchObject({
        kind: 'error',
        message: 'the post_handler of the probe at fib+0x0 threw: boom',
      });
      expect(shellStatus(stop)).toBe(125);
      expect(out()).toBe('fib(10) = ');
      expect([p.nhit, p.registered]).toEqual([1, false]);
      expect(e.status(1000)).toBeUndefined();
      expectUnpatched(pr, before);
    });

    it('a fault_handler taking a pre_handler exception: it is asked once, then the run stops (exit 125)', () => {
      const pr = probed(isa, 'fib', ['10']);
      const { m, e } = pr;
      const before = snapshot(pr, [addrOf(pr, 'fib')]);
      let asked = 0;
      const p = e.registerKprobe(
        { symbol: 'fib' },
        {
          preHandler: boom('boom'),
          faultHandler: () => {
            asked++;
            throw new Error('fault handler boom');
          },
        },
      );
      const stop = m.run();
      expect(stop).toMatchObject({
        kind: 'error',
        message: 'the fault handler of the probe at fib+0x0 threw: fault handler boom',
      });
      expect(shellStatus(stop)).toBe(125);
      expect([asked, p.nhit]).toEqual([1, 1]);
      expectUnpatched(pr, before);
    });

    it('a fault_handler returning 0 on a guest fault in the step: SIGSEGV at the probed store, as unprobed', () => {
      const pr = probed(isa, 'segv_write');
      const { m, e, out } = pr;
      const store = addrOf(pr, 'write_bad', OFF[isa].store);
      const before = snapshot(pr, [store]);
      const traps: number[] = [];
      const p = e.registerKprobe(
        { addr: store },
        { faultHandler: (_p, _regs, trapnr) => void traps.push(trapnr) },
      );
      const stop = m.run();
      expect(stop).toMatchObject({
        kind: 'signal',
        signal: 11,
        pc: store,
        detail: 'invalid write at 0x8 (not mapped)',
      });
      expect(traps).toEqual([ISA[isa].segvTrap]);
      expect(out()).toBe('writing to 0x8\n');
      // A guest fault is not a handler failure: the probe stays registered and armed.
      expect([p.nhit, p.registered]).toEqual([1, true]);
      expect(e.status(1000)).toBeUndefined();
      expectUnpatched(pr, before);
    });

    it('a throwing fault_handler on a guest fault in the step: asked once, probes removed, the program ends', () => {
      const warnings: string[] = [];
      const pr = probed(isa, 'segv_write', [], { warn: (l: string) => warnings.push(l) });
      const { m, e, out } = pr;
      const store = addrOf(pr, 'write_bad', OFF[isa].store);
      const before = snapshot(pr, [store]);
      let asked = 0;
      const p = e.registerKprobe(
        { addr: store },
        {
          faultHandler: () => {
            asked++;
            throw new Error('fault handler boom');
          },
        },
      );
      // A result, not an exception out of run(): the machine asks about this fault outside
      // any hook, where a thrown error would escape.
      const stop = m.run();
      expect(stop).toMatchObject({ kind: 'signal', signal: 11, pc: store });
      expect(shellStatus(stop)).toBe(139);
      expect(warnings).toEqual([
        `kprobe-emu: the fault handler of the probe at write_bad+0x${OFF[isa].store.toString(16)} threw: ` +
          'fault handler boom; the fault it was given ends the program',
      ]);
      expect([asked, p.nhit, p.registered]).toEqual([1, 1, false]);
      expect(out()).toBe('writing to 0x8\n');
      expectUnpatched(pr, before);
    });

    it('a kretprobe entry handler: the run stops (exit 125) naming the entry handler, the pool given up', () => {
      const pr = probed(isa, 'fib', ['10']);
      const { m, e, out } = pr;
      const before = snapshot(pr, [addrOf(pr, 'fib')]);
      let entries = 0;
      const rp = e.registerKretprobe(
        { symbol: 'fib' },
        {
          maxactive: 20,
          entryHandler: () => {
            if (++entries === 3) throw new Error('entry boom');
          },
        },
      );
      const stop = m.run();
      expect(stop).toMatchObject({
        kind: 'error',
        message: 'the entry handler of the probe at fib+0x0 threw: entry boom',
      });
      expect(shellStatus(stop)).toBe(125);
      expect(out()).toBe('fib(10) = ');
      expect([entries, rp.nhit, rp.registered]).toEqual([3, 0, false]);
      expect(e.kretprobes().inFlight()).toBe(0);
      const tramp = e.kretprobes().trampoline;
      expect(hexBytes(m.mem.readExecuted(tramp, e.arch.trampolineInsn.length))).toBe(
        hexBytes(e.arch.trampolineInsn),
      );
      expectUnpatched(pr, before);
    });

    it('a kretprobe return handler: exit 125 at the first return, its message not wrapped by the trampoline', () => {
      const pr = probed(isa, 'fib', ['5']);
      const { m, e, out } = pr;
      const before = snapshot(pr, [addrOf(pr, 'fib')]);
      const drops: KretDropReason[] = [];
      const rp = e.registerKretprobe(
        { symbol: 'fib' },
        { maxactive: 20, handler: boom('return boom'), dropHandler: (_ri, why) => void drops.push(why) },
      );
      const stop = m.run();
      expect(stop).toMatchObject({
        kind: 'error',
        message: 'the return handler of the probe at fib+0x0 threw: return boom',
      });
      expect(shellStatus(stop)).toBe(125);
      expect(out()).toBe('fib(5) = ');
      // The first return is fib(1)'s; fib(5)..fib(2) are still in flight and are dropped.
      expect([rp.nhit, rp.registered, e.kretprobes().trampolineProbe.registered]).toEqual([1, false, false]);
      expect(drops).toEqual(['unregistered', 'unregistered', 'unregistered', 'unregistered']);
      expect(e.kretprobes().inFlight()).toBe(0);
      const tramp = e.kretprobes().trampoline;
      expect(hexBytes(m.mem.readExecuted(tramp, e.arch.trampolineInsn.length))).toBe(
        hexBytes(e.arch.trampolineInsn),
      );
      expectUnpatched(pr, before);
    });

    it('a drop handler throwing under a pre_handler whose fault_handler takes anything: the run still stops', () => {
      const pr = probed(isa, 'fib', ['10']);
      const { m, e } = pr;
      const before = snapshot(pr, [addrOf(pr, 'fib')]);
      let dropped = 0;
      const rp = e.registerKretprobe(
        { symbol: 'fib' },
        {
          maxactive: 20,
          dropHandler: () => {
            dropped++;
            throw new Error('drop boom');
          },
        },
      );
      let hits = 0;
      let asked = 0;
      // Newest first: this runs before the return probe's entry at each hit.
      e.registerKprobe(
        { symbol: 'fib' },
        {
          preHandler: () => {
            if (++hits === 3) e.unregisterKretprobe(rp);
          },
          faultHandler: () => {
            asked++;
            return 1;
          },
        },
      );
      const stop = m.run();
      // The drop handler's failure belongs to the return probe (no fault handler): the run
      // ended with it, and the enclosing probe's fault handler may not revive it. The task
      // deaths that end the run find no instance left to drop again.
      expect(stop).toMatchObject({
        kind: 'error',
        message: 'the drop handler of the probe at fib+0x0 threw: drop boom',
      });
      expect(shellStatus(stop)).toBe(125);
      expect([hits, asked, dropped, rp.registered]).toEqual([3, 0, 1, false]);
      expect(e.kretprobes().inFlight()).toBe(0);
      expectUnpatched(pr, before);
    });
  });

  describe('a pre_handler writing garbage to registers', () => {
    it('PC to an unmapped address, saying so (non-zero): SIGSEGV there, as Linux would', () => {
      const pr = probed(isa, 'ktest');
      const { m, e, out } = pr;
      const before = snapshot(pr, [addrOf(pr, 'target')]);
      const p = e.registerKprobe(
        { symbol: 'target' },
        {
          preHandler: (_p, regs) => {
            regs.pc = UNMAPPED;
            return 1;
          },
        },
      );
      const stop = m.run();
      expect(stop).toMatchObject({
        kind: 'signal',
        signal: 11,
        pc: UNMAPPED,
        detail: `jump to unmapped address at 0x${UNMAPPED.toString(16)}`,
      });
      expect(shellStatus(stop)).toBe(139);
      expect(out()).toBe('target = ');
      expect([p.nhit, p.registered]).toEqual([1, true]);
      expect(e.status(1000)).toBeUndefined();
      expectUnpatched(pr, before);
    });

    it('PC to an unmapped address, returning 0: the step sets PC (as the kernel), the run is unchanged', () => {
      const pr = probed(isa, 'ktest');
      const { m, e, out } = pr;
      const before = snapshot(pr, [addrOf(pr, 'target')]);
      let post = 0;
      const p = e.registerKprobe(
        { symbol: 'target' },
        {
          preHandler: (_p, regs) => {
            regs.pc = UNMAPPED;
            return 0;
          },
          postHandler: () => void post++,
        },
      );
      expect(m.run()).toEqual({ kind: 'exit', status: 0 });
      expect(out()).toBe(KTEST_OUT);
      expect([p.nhit, post]).toEqual([1, 1]);
      expectUnpatched(pr, before);
    });

    it('SP to 0x10: SIGSEGV where the stack is next used, reported in guest code', () => {
      const pr = probed(isa, 'ktest');
      const { m, e, out } = pr;
      const before = snapshot(pr, [addrOf(pr, 'target')]);
      const p = e.registerKprobe(
        { symbol: 'target' },
        { preHandler: (_p, regs) => void regs.set(ISA[isa].sp, 0x10n) },
      );
      const stop = m.run();
      expect(stop).toMatchObject({
        kind: 'signal',
        signal: 11,
        detail: expect.stringMatching(/^invalid (read|write) at 0x[12][0-9a-f] \(not mapped\)$/),
      });
      expect(stop.kind === 'signal' && m.symbols.format(stop.pc)).toMatch(
        new RegExp(`^${ISA[isa].spFault.replace('+', '\\+')}/`),
      );
      expect(out()).toBe('target = ');
      expect([p.nhit, p.registered]).toEqual([1, true]);
      expect(e.status(1000)).toBeUndefined();
      expectUnpatched(pr, before);
    });

    it("the return value register at target's return: the printed result changes, the run ends cleanly", () => {
      const pr = probed(isa, 'ktest');
      const { m, e, out } = pr;
      const ret = addrOf(pr, 'target', OFF[isa].targetRet);
      const before = snapshot(pr, [ret]);
      const p = e.registerKprobe(
        { addr: ret },
        { preHandler: (_p, regs) => void regs.set(ISA[isa].ret, 0xcafebaben) },
      );
      expect(m.run()).toEqual({ kind: 'exit', status: 0 });
      expect(out()).toBe(`target = ${0xcafebaben}\ntarget2 = ${V / 3n + 1n}\nrecursed_target = ${V / 3n}\n`);
      expect(p.nhit).toBe(1);
      expectUnpatched(pr, before);
    });
  });

  describe('a handler writing garbage to guest memory', () => {
    it('over its own breakpoint: refused with a ProbeError, ending the run (exit 125) with the code unpatched', () => {
      const pr = probed(isa, 'fib', ['5']);
      const { m, e } = pr;
      const fib = addrOf(pr, 'fib');
      const before = snapshot(pr, [fib]);
      const nop = e.arch.trampolineInsn; // one nop, as long as the breakpoint on both ISAs
      e.registerKprobe({ symbol: 'fib' }, { preHandler: (_p, regs) => regs.write(fib, nop) });
      const stop = m.run();
      const end = fib + nop.length;
      expect(stop).toMatchObject({
        kind: 'error',
        message:
          'the pre_handler of the probe at fib+0x0 threw: ' +
          `a handler may not write [0x${fib.toString(16)}, 0x${end.toString(16)}): ` +
          `it overlaps the probed instruction at ${m.symbols.format(fib)} (unregister its probes first)`,
      });
      // Neither the nop nor the breakpoint: the original bytes.
      expectUnpatched(pr, before);
    });

    it('refused writes change nothing: the probe keeps firing, and unregistering restores the original bytes', () => {
      const pr = probed(isa, 'ktest');
      const { m, e, out } = pr;
      const long = addrOf(pr, 'target', OFF[isa].long.at);
      const after = long + OFF[isa].long.last + 1 - OFF[isa].long.at;
      const before = snapshot(pr, [long]);
      const refused: string[] = [];
      const tryWrite = (regs: Regs, what: string, at: number, bytes: Uint8Array) => {
        try {
          regs.write(at, bytes);
        } catch (err) {
          if (!(err instanceof ProbeError)) throw err;
          refused.push(`${what} ${err.code}`);
        }
      };
      const p = e.registerKprobe(
        { addr: long },
        {
          preHandler: (_p, regs) => {
            tryWrite(regs, 'first byte', long, new Uint8Array([0]));
            tryWrite(regs, 'last byte', long + OFF[isa].long.last - OFF[isa].long.at, new Uint8Array([0]));
            tryWrite(regs, 'straddling the start', long - 2, new Uint8Array(4));
            tryWrite(regs, 'past the end', after, regs.read(after, 2)); // allowed: the same bytes back
          },
        },
      );
      expect(m.run()).toEqual({ kind: 'exit', status: 0 });
      expect(out()).toBe(KTEST_OUT);
      expect(refused).toEqual(['first byte EINVAL', 'last byte EINVAL', 'straddling the start EINVAL']);
      expect(p.nhit).toBe(1);
      expect(hexBytes(m.mem.readExecuted(long, e.arch.breakpoint.length))).toBe(hexBytes(e.arch.breakpoint));
      expectUnpatched(pr, before);
    });

    it('over the hijacked return address (the trampoline) with garbage: SIGSEGV, the instance dropped at exit', () => {
      const pr = probed(isa, 'rettest', ['nested']);
      const { m, e, out } = pr;
      const before = snapshot(pr, [addrOf(pr, 'inner'), addrOf(pr, 'leaf_sum')]);
      const drops: KretDropReason[] = [];
      const rp = e.registerKretprobe(
        { symbol: 'inner' },
        { handler: boom('no return handler expected'), dropHandler: (_ri, why) => void drops.push(why) },
      );
      const tramp = e.kretprobes().trampoline;
      let slot = 0;
      // leaf_sum is called from inner: inner's return address (the trampoline) is on the stack
      // on every ISA by then (ppc64 saved LR in its caller's frame).
      e.registerKprobe(
        { symbol: 'leaf_sum' },
        {
          preHandler: (_p, regs) => {
            slot = stackWordHolding(regs, tramp, m.isa.wordSize);
            regs.write(slot, wordBytes(m, UNMAPPED));
          },
        },
      );
      const stop = m.run();
      expect(slot).not.toBe(0);
      expect(stop).toMatchObject({ kind: 'signal', signal: 11, pc: UNMAPPED });
      expect(out()).toBe('');
      expect([rp.nhit, rp.used, rp.free.length]).toEqual([0, 0, rp.maxactive]);
      expect(drops).toEqual(['task-exit']);
      expect(e.kretprobes().inFlight()).toBe(0);
      expectUnpatched(pr, before);
    });

    it('a drop handler throwing as a guest fault kills its task: the run stops in error (exit 125), no throw', () => {
      const pr = probed(isa, 'rettest', ['nested']);
      const { m, e } = pr;
      const before = snapshot(pr, [addrOf(pr, 'inner'), addrOf(pr, 'leaf_sum')]);
      const tramp = e.kretprobes().trampoline;
      let drops = 0;
      const rp = e.registerKretprobe(
        { symbol: 'inner' },
        {
          handler: boom('no return handler expected'),
          dropHandler: () => {
            drops++;
            throw new Error('drop handler boom');
          },
        },
      );
      e.registerKprobe(
        { symbol: 'leaf_sum' },
        {
          preHandler: (_p, regs) =>
            regs.write(stackWordHolding(regs, tramp, m.isa.wordSize), wordBytes(m, UNMAPPED)),
        },
      );
      const stop = m.run();
      expect(stop).toMatchObject({ kind: 'error', tid: 1000 });
      expect(stop.kind === 'error' && stop.message).toMatch(/drop handler boom/);
      expect(shellStatus(stop)).toBe(125);
      expect([drops, rp.registered]).toEqual([1, false]);
      expect(e.kretprobes().inFlight()).toBe(0);
      expectUnpatched(pr, before);
    });

    it('over the hijacked return address with the real one: the trampoline bypassed, instance dropped at exit', () => {
      const pr = probed(isa, 'rettest', ['nested']);
      const { m, e, out } = pr;
      const before = snapshot(pr, [addrOf(pr, 'inner'), addrOf(pr, 'leaf_sum')]);
      const drops: KretDropReason[] = [];
      const rp = e.registerKretprobe(
        { symbol: 'inner' },
        { handler: boom('no return handler expected'), dropHandler: (_ri, why) => void drops.push(why) },
      );
      const k = e.kretprobes();
      e.registerKprobe(
        { symbol: 'leaf_sum' },
        {
          preHandler: (_p, regs) => {
            const slot = stackWordHolding(regs, k.trampoline, m.isa.wordSize);
            const [newest] = k.instances(regs.tid);
            regs.write(slot, wordBytes(m, present(newest, `an instance of task ${regs.tid}`).retAddr));
          },
        },
      );
      expect(m.run()).toEqual({ kind: 'exit', status: 0 });
      expect(out()).toBe('outer(5) = 1011\n');
      expect([rp.nhit, k.trampolineProbe.nhit]).toEqual([0, 0]);
      expect(drops).toEqual(['task-exit']);
      expect(k.inFlight()).toBe(0);
      expectUnpatched(pr, before);
    });
  });

  describe('handlers that register and unregister probes', () => {
    it.each([1, 3])(
      'a pre_handler unregistering its own probe on hit %i: no post_handler after it, the code restored at once',
      (on) => {
        const pr = probed(isa, 'fib', ['5']);
        const { m, e, out } = pr;
        const fib = addrOf(pr, 'fib');
        const before = snapshot(pr, [fib]);
        let post = 0;
        let bytesAfter: string | undefined;
        const p = e.registerKprobe(
          { symbol: 'fib' },
          {
            preHandler: (self, regs) => {
              if (self.nhit === on) {
                e.unregisterKprobe(self);
                bytesAfter = hexBytes(regs.read(fib, 4));
              }
            },
            postHandler: () => void post++,
          },
        );
        expect(m.run()).toEqual({ kind: 'exit', status: 0 });
        expect(out()).toBe('fib(5) = 5\n');
        expect([p.nhit, post, p.registered]).toEqual([on, on - 1, false]);
        expect(bytesAfter).toBe(before.get(fib));
        expectUnpatched(pr, before);
      },
    );

    it('a pre_handler unregistering a probe elsewhere: that one fires no more', () => {
      const pr = probed(isa, 'fib', ['5']);
      const { m, e, out } = pr;
      const before = snapshot(pr, [addrOf(pr, 'fib'), addrOf(pr, 'print_udec')]);
      const pu = e.registerKprobe({ symbol: 'print_udec' });
      const p = e.registerKprobe({ symbol: 'fib' }, { preHandler: () => e.unregisterKprobe(pu) });
      expect(m.run()).toEqual({ kind: 'exit', status: 0 });
      expect(out()).toBe('fib(5) = 5\n');
      // print_udec(5) ran before fib, print_udec(fib(5)) after the unregister.
      expect([pu.nhit, pu.registered, p.nhit]).toEqual([1, false, 15]);
      expect(hexBytes(m.mem.readExecuted(addrOf(pr, 'print_udec'), 4))).toBe(
        before.get(addrOf(pr, 'print_udec')),
      );
      expectUnpatched(pr, before);
    });

    it("a pre_handler unregistering the next probe of its aggregate: that one's handlers skip that hit too", () => {
      const pr = probed(isa, 'fib', ['5']);
      const { m, e, out } = pr;
      const before = snapshot(pr, [addrOf(pr, 'fib')]);
      const ran: string[] = [];
      const b = e.registerKprobe(
        { symbol: 'fib' },
        { preHandler: () => void ran.push('b'), postHandler: () => void ran.push('b.post') },
      );
      // Newest first: a runs before b.
      const a = e.registerKprobe(
        { symbol: 'fib' },
        {
          preHandler: () => {
            ran.push('a');
            e.unregisterKprobe(b);
          },
        },
      );
      expect(m.run()).toEqual({ kind: 'exit', status: 0 });
      expect(out()).toBe('fib(5) = 5\n');
      expect(ran).toEqual(Array(15).fill('a'));
      expect([a.nhit, b.nhit, b.registered]).toEqual([15, 0, false]);
      expectUnpatched(pr, before);
    });

    it('a pre_handler registering probes elsewhere and at its own address: they fire from the next hit on', () => {
      const pr = probed(isa, 'fib', ['5']);
      const { m, e, out } = pr;
      const before = snapshot(pr, [addrOf(pr, 'fib'), addrOf(pr, 'print_udec')]);
      const made: Kprobe[] = [];
      const p = e.registerKprobe(
        { symbol: 'fib' },
        {
          preHandler: () => {
            if (made.length > 0) return;
            made.push(e.registerKprobe({ symbol: 'print_udec' }), e.registerKprobe({ symbol: 'fib' }));
          },
        },
      );
      expect(m.run()).toEqual({ kind: 'exit', status: 0 });
      expect(out()).toBe('fib(5) = 5\n');
      const [elsewhere, same] = made;
      // The hit that registered them ran p's handler once, not the new probe's.
      expect([
        p.nhit,
        present(same, 'the probe at fib').nhit,
        present(elsewhere, 'the probe elsewhere').nhit,
      ]).toEqual([15, 14, 1]);
      expectUnpatched(pr, before);
    });

    it('registering the same probe twice: EEXIST, from a handler or not; with its own handlers, an aggregate', () => {
      const pr = probed(isa, 'fib', ['5']);
      const { m, e, out } = pr;
      const before = snapshot(pr, [addrOf(pr, 'fib'), addrOf(pr, 'print_udec')]);
      const refusals: string[] = [];
      const tryRegister = (point: { symbol: string } | { addr: number }) => {
        try {
          e.registerKprobe(point, handlers);
        } catch (err) {
          if (!(err instanceof ProbeError)) throw err;
          refusals.push(`${err.code}: ${err.message}`);
        }
      };
      const handlers: KprobeHandlers = {
        preHandler: (self) => {
          if (self === p && self.nhit === 1) tryRegister({ symbol: 'fib' });
        },
      };
      const p = e.registerKprobe({ symbol: 'fib' }, handlers);
      tryRegister({ addr: addrOf(pr, 'fib') }); // the same place by address
      const twin = e.registerKprobe({ symbol: 'fib' }, { ...handlers });
      const elsewhere = e.registerKprobe({ symbol: 'print_udec' }, handlers);
      expect(m.run()).toEqual({ kind: 'exit', status: 0 });
      expect(out()).toBe('fib(5) = 5\n');
      const msg =
        'EEXIST: a probe with these handlers is already registered at fib+0x0: ' +
        'unregister it before registering it again';
      expect(refusals).toEqual([msg, msg]);
      expect([p.nhit, twin.nhit, elsewhere.nhit]).toEqual([15, 15, 2]);
      // Once unregistered, the same handlers may come back.
      e.unregisterKprobe(p);
      expect(e.registerKprobe({ symbol: 'fib' }, handlers).registered).toBe(true);
      expectUnpatched(pr, before);
    });

    it('maxProbes: the engine refuses past it (ENOSPC), counts unregistering, and not its own trampoline probe', () => {
      const { m, e, out } = probed(isa, 'fib', ['5']);
      e.maxProbes = 2;
      const a = e.registerKprobe({ symbol: 'fib' }, {});
      // Its entry probe is the second; the trampoline's is not counted.
      const rp = e.registerKretprobe({ symbol: 'main' }, {});
      expect(() => e.registerKprobe({ symbol: 'fib', offset: 1 }, {})).toThrow(
        expect.objectContaining({ code: 'ENOSPC' }),
      );
      e.unregisterKprobe(a);
      const b = e.registerKprobe({ symbol: 'fib' }, {});
      expect(m.run()).toEqual({ kind: 'exit', status: 0 });
      expect(out()).toBe('fib(5) = 5\n');
      expect([a.nhit, b.nhit, rp.nhit]).toEqual([0, 15, 1]);
    });

    it('registering the same return probe twice is refused (EEXIST)', () => {
      const pr = probed(isa, 'fib', ['5']);
      const { m, e, out } = pr;
      const before = snapshot(pr, [addrOf(pr, 'fib')]);
      let returns = 0;
      const options: KretprobeOptions = { maxactive: 20, handler: () => void returns++ };
      const rp = e.registerKretprobe({ symbol: 'fib' }, options);
      expect(() => e.registerKretprobe({ symbol: 'fib' }, options)).toThrow(
        new ProbeError(
          'EEXIST',
          'a return probe with these options is already registered on fib: unregister it before registering it again',
        ),
      );
      expect(m.run()).toEqual({ kind: 'exit', status: 0 });
      expect(out()).toBe('fib(5) = 5\n');
      expect([rp.nhit, returns]).toEqual([15, 15]);
      expectUnpatched(pr, before);
    });

    it('an entry handler unregistering its return probe: every call in flight is dropped, its own call too', () => {
      const pr = probed(isa, 'fib', ['10']);
      const { m, e, out } = pr;
      const before = snapshot(pr, [addrOf(pr, 'fib')]);
      const drops: string[] = [];
      let entries = 0;
      const rp = e.registerKretprobe(
        { symbol: 'fib' },
        {
          maxactive: 20,
          dataSize: 4,
          entryHandler: (ri, regs) => {
            new DataView(ri.data.buffer).setUint32(0, Number(regs.arg(1) & 0xffffffffn));
            if (++entries === 5) e.unregisterKretprobe(rp);
          },
          handler: boom('no return handler expected'),
          // An instance dropped as unregistered has no owner any more.
          dropHandler: (ri, why) =>
            void drops.push(
              `fib(${new DataView(ri.data.buffer).getUint32(0)}) ${why}${ri.rp ? ' (owned)' : ''}`,
            ),
        },
      );
      expect(m.run()).toEqual({ kind: 'exit', status: 0 });
      expect(out()).toBe('fib(10) = 55\n');
      expect(drops).toEqual([
        'fib(10) unregistered',
        'fib(9) unregistered',
        'fib(8) unregistered',
        'fib(7) unregistered',
        'fib(6) unregistered',
      ]);
      expect([entries, rp.nhit, rp.registered]).toEqual([5, 0, false]);
      expect(e.kretprobes().inFlight()).toBe(0);
      expectUnpatched(pr, before);
    });

    it('a return handler unregistering its own return probe: calls in flight dropped, return to their callers', () => {
      const pr = probed(isa, 'fib', ['10']);
      const { m, e, out } = pr;
      const before = snapshot(pr, [addrOf(pr, 'fib')]);
      const drops: KretDropReason[] = [];
      const rp = e.registerKretprobe(
        { symbol: 'fib' },
        {
          maxactive: 20,
          handler: () => {
            if (rp.nhit === 5) e.unregisterKretprobe(rp);
          },
          dropHandler: (_ri, why) => void drops.push(why),
        },
      );
      expect(m.run()).toEqual({ kind: 'exit', status: 0 });
      expect(out()).toBe('fib(10) = 55\n');
      // The fifth return is fib(3)'s (after fib(1), fib(0), fib(2), fib(1)): fib(10)..fib(4) are in flight.
      expect(drops).toEqual(Array(7).fill('unregistered'));
      expect([rp.nhit, rp.registered]).toEqual([5, false]);
      expect(e.kretprobes().inFlight()).toBe(0);
      expectUnpatched(pr, before);
    });

    it('a return handler unregistering the other return probe of its chain: that one is dropped, not skipped', () => {
      const pr = probed(isa, 'fib', ['5']);
      const { m, e, out } = pr;
      const before = snapshot(pr, [addrOf(pr, 'fib')]);
      const drops: string[] = [];
      const mk = (name: string, handler?: () => void) =>
        e.registerKretprobe(
          { symbol: 'fib' },
          {
            maxactive: 20,
            ...(handler ? { handler } : {}),
            dropHandler: (ri, why) => void drops.push(`${name} ${why}${ri.rp ? ' (owned)' : ''}`),
          },
        );
      let b: Kretprobe | undefined;
      const a = mk('a', () => {
        if (a.nhit === 1) e.unregisterKretprobe(present(b, 'probe b'));
      });
      // Newest first: b's entry takes the real return address, a's the trampoline b put
      // there, so a's instance chains to b's and a's handler runs first at each return.
      b = mk('b');
      expect(m.run()).toEqual({ kind: 'exit', status: 0 });
      expect(out()).toBe('fib(5) = 5\n');
      // fib(5)..fib(2) were in the table; fib(1)'s instance was in the returning chain.
      expect(drops).toEqual(Array(5).fill('b unregistered'));
      expect([a.nhit, b.nhit]).toEqual([15, 0]);
      expect(e.kretprobes().inFlight()).toBe(0);
      expectUnpatched(pr, before);
    });
  });
});
