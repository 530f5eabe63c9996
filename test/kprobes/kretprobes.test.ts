// Return probes on all three ISAs: ports of lib/test_kprobes.c (test_kretprobe,
// test_kretprobes, test_stacktrace_on_kretprobe, test_stacktrace_on_nested_kretprobe), the
// instance pool under recursion, aggregates, nesting, tail calls, threads, task death,
// longjmp with and without the stack-pointer check, the trampoline's nop, and the
// pre-2005 stack keying where it differs from the redesign.
import { afterEach, describe, expect, it } from 'vitest';
import { expected, hex, ISAS, present, symbol } from '../helpers.js';
import { findFrameInfo } from '../../emu/cfi.js';
import { DEFAULT_MAXACTIVE, type KretprobeInstance } from '../../src/kretprobes.js';
import type { Regs } from '../../src/regs.js';
import { kprobes } from '../../src/kprobes.js';
import { checkAndClose, probed, programMachine, type Probed, KTEST_ARG } from './support.js';

afterEach(checkAndClose);

const V = KTEST_ARG;
const u32 = (v: bigint) => BigInt.asUintN(32, v);
const fibv = (n: number): number => (n < 2 ? n : fibv(n - 1) + fibv(n - 2));

/** How a pool of `maxactive` instances fares on fib(n), the recursion of fixtures/src/fib.c. */
function poolModel(n: number, maxactive: number): { hits: number; misses: number } {
  let free = maxactive;
  let hits = 0;
  let misses = 0;
  const call = (k: number): void => {
    const tracked = free > 0;
    if (tracked) free--;
    else misses++;
    if (k >= 2) {
      call(k - 1);
      call(k - 2);
    }
    if (tracked) {
      free++;
      hits++;
    }
  };
  call(n);
  return { hits, misses };
}

/** The function containing `addr`, by name. */
const funcAt = (p: Probed, addr: number) => p.m.symbols.resolve(addr)?.symbol.name;

describe.each(ISAS)('kretprobes on %s', (isa) => {
  it('test_kretprobe: the entry handler runs before the return handler, which sees v/3', () => {
    const { m, e, out } = probed(isa, 'ktest');
    const order: string[] = [];
    let rv = 0n;
    const rp = e.registerKretprobe(
      { symbol: 'target' },
      {
        entryHandler: () => void order.push('entry'),
        handler: (_ri, regs) => {
          order.push('return');
          rv = u32(regs.retval);
        },
      },
    );
    expect(m.run()).toEqual({ kind: 'exit', status: 0 });
    expect(order).toEqual(['entry', 'return']);
    expect(rv).toBe(V / 3n);
    expect([rp.nhit, rp.nmissed]).toEqual([1, 0]);
    expect(out()).toBe(expected('ktest').stdout);
  });

  it('test_kretprobes: two return probes, on target and target2, see v/3 and v/3 + 1', () => {
    const { m, e } = probed(isa, 'ktest');
    const seen: [string, bigint][] = [];
    e.registerKretprobe(
      { symbol: 'target' },
      { handler: (_ri, regs) => void seen.push(['target', u32(regs.retval)]) },
    );
    e.registerKretprobe(
      { symbol: 'target2' },
      { handler: (_ri, regs) => void seen.push(['target2', u32(regs.retval)]) },
    );
    m.run();
    expect(seen).toEqual([
      ['target', V / 3n],
      ['target2', V / 3n + 1n],
    ]);
  });

  it('test_stacktrace_on_kretprobe: a stack trace from the return handler starts at the real return address', () => {
    const p = probed(isa, 'rettest', ['nested']);
    const { m, e } = p;
    let trace: number[] = [];
    let real = 0;
    e.registerKretprobe(
      { symbol: 'inner' },
      {
        handler: (ri, regs) => {
          trace = regs.stackTrace();
          real = ri.retAddr;
        },
      },
    );
    expect(m.run()).toEqual({ kind: 'exit', status: 0 });
    const tramp = e.kretprobes().trampoline;
    expect(trace[0]).toBe(real);
    expect(trace.map((a) => funcAt(p, a)).slice(0, 2)).toEqual(['outer', 'main']);
    expect(trace).not.toContain(tramp);
  });

  it('test_stacktrace_on_nested_kretprobe: both hijacked frames resolve to the real callers, in order', () => {
    const p = probed(isa, 'rettest', ['nested']);
    const { m, e } = p;
    const traces: Record<string, string[]> = {};
    let outerRet = 0;
    let innerRet = 0;
    for (const f of ['outer', 'inner'])
      e.registerKretprobe(
        { symbol: f },
        {
          handler: (ri, regs) => {
            traces[f] = regs.stackTrace().map((a) => funcAt(p, a) ?? `0x${a.toString(16)}`);
            if (f === 'outer') outerRet = ri.retAddr;
            else {
              innerRet = ri.retAddr;
              // outer's return address is the trampoline while inner returns: the unwinder maps it.
              const raw = e.arch.unwind(m.cpu, (a) => m.mem.readAddr(a), 2);
              expect(raw).toContain(e.kretprobes().trampoline);
            }
          },
        },
      );
    expect(m.run()).toEqual({ kind: 'exit', status: 0 });
    const inner = present(traces.inner, "inner's stack trace");
    const outer = present(traces.outer, "outer's stack trace");
    expect(inner.slice(0, 2)).toEqual(['outer', 'main']);
    expect(outer[0]).toBe('main');
    expect(funcAt(p, innerRet)).toBe('outer');
    expect(funcAt(p, outerRet)).toBe('main');
    expect([...inner, ...outer]).not.toContain('kretprobe_trampoline');
  });

  it('a stack trace by CFI through return-probed frames (corpus throw): the real return addresses, on to main', () => {
    const prog = `fixtures/corpus/build/${isa}/throw`;
    /**
     * The first stack trace at printf's entry (~Logged in thrower, four calls below main),
     * with return probes on `rps` meanwhile.
     */
    const traceAtPrintf = (
      rps: string[],
    ): { trace: number[]; names: string[]; raw: number[]; tramp: number | undefined } => {
      const { m } = programMachine(prog, [], {});
      try {
        const e = kprobes(m);
        for (const f of rps) e.registerKretprobe({ symbol: f }, {});
        let trace: number[] = [];
        let raw: number[] = [];
        const p = e.registerKprobe(
          { symbol: 'printf' },
          {
            preHandler: (_p, regs) => {
              if (trace.length > 0) return 0;
              trace = regs.stackTrace();
              // The same walk without the mapping: it meets the trampoline where a return
              // probe took the return address, and finds no FDE there.
              raw = e.arch.unwind(m.cpu, (a) => m.mem.readAddr(a), 8, {
                pc: p.addr,
                frameInfo: (a) => findFrameInfo(m, a),
              });
              return 0;
            },
          },
        );
        expect(m.run()).toEqual({ kind: 'exit', status: 0 });
        expect(e.checkInvariants()).toEqual([]);
        const names = trace.map((a) => m.symbols.resolve(a)?.symbol.name ?? hex(a));
        return { trace, names, raw, tramp: e.existingKretprobes()?.trampoline };
      } finally {
        m.close();
      }
    };
    const plain = traceAtPrintf([]);
    expect(plain.names.slice(1, 6)).toEqual(['thrower', 'level1', 'level2', 'level3', 'main']);
    // thrower's own return address and level2's are the trampoline's.
    const hooked = traceAtPrintf(['thrower', 'level2']);
    const tramp = present(hooked.tramp, 'the trampoline');
    expect(hooked.raw.slice(0, 2).map(hex)).toEqual([plain.trace[1], tramp].map((a) => hex(a ?? 0)));
    expect(hooked.trace.map(hex)).toEqual(plain.trace.map(hex));
    expect(hooked.trace.length).toBeGreaterThan(6);
  });

  it('fib(15) with maxactive 100: 1973 returns, each with fib(n) of its own n (kept in the instance data)', () => {
    const { m, e } = probed(isa, 'fib', ['15']);
    const wrong: string[] = [];
    const rp = e.registerKretprobe(
      { symbol: 'fib' },
      {
        maxactive: 100,
        dataSize: 4,
        entryHandler: (ri, regs) => void new DataView(ri.data.buffer).setUint32(0, Number(u32(regs.arg(1)))),
        handler: (ri: KretprobeInstance, regs: Regs) => {
          const n = new DataView(ri.data.buffer).getUint32(0);
          if (u32(regs.retval) !== BigInt(fibv(n))) wrong.push(`fib(${n}) returned ${regs.retval}`);
        },
      },
    );
    expect(m.run()).toEqual({ kind: 'exit', status: 0 });
    expect([rp.nhit, rp.nmissed]).toEqual([1973, 0]);
    expect(wrong).toEqual([]);
  });

  it("the entry handler sees its own call's return address and stack pointer, not a reused instance's", () => {
    const { m, e } = probed(isa, 'fib', ['10']);
    const seen = new Map<KretprobeInstance, string>();
    const differ: string[] = [];
    e.registerKretprobe(
      { symbol: 'fib' },
      {
        maxactive: 3,
        entryHandler: (ri) => void seen.set(ri, `${ri.retAddr}@${ri.stack}`),
        handler: (ri, regs) => {
          const at = `${ri.retAddr}@${ri.stack}`;
          if (seen.get(ri) !== at || regs.pc !== ri.retAddr) differ.push(`${seen.get(ri)} then ${at}`);
        },
      },
    );
    expect(m.run()).toEqual({ kind: 'exit', status: 0 });
    expect(seen.size).toBe(3);
    expect(differ).toEqual([]);
  });

  it('fib(15) with maxactive 2: exactly 3 returns reported, 1970 calls missed', () => {
    const { m, e } = probed(isa, 'fib', ['15']);
    const rp = e.registerKretprobe({ symbol: 'fib' }, { maxactive: 2 });
    m.run();
    expect([rp.nhit, rp.nmissed]).toEqual([3, 1970]);
    expect(poolModel(15, 2)).toEqual({ hits: 3, misses: 1970 });
  });

  it.each([DEFAULT_MAXACTIVE, 1, 5, 14, 15])(
    'fib(15) with maxactive %i: hits and misses as a model of the pool predicts',
    (maxactive) => {
      const { m, e } = probed(isa, 'fib', ['15']);
      const rp = e.registerKretprobe({ symbol: 'fib' }, maxactive === DEFAULT_MAXACTIVE ? {} : { maxactive });
      m.run();
      expect(rp.maxactive).toBe(maxactive);
      expect({ hits: rp.nhit, misses: rp.nmissed }).toEqual(poolModel(15, maxactive));
    },
  );

  it('two return probes on one function: one trampoline hit per return runs both handlers', () => {
    const { m, e } = probed(isa, 'fib', ['6']);
    const seen: string[] = [];
    const a = e.registerKretprobe(
      { symbol: 'fib' },
      { maxactive: 50, handler: (_ri, regs) => void seen.push(`a${u32(regs.retval)}`) },
    );
    const b = e.registerKretprobe(
      { symbol: 'fib' },
      { maxactive: 50, handler: (_ri, regs) => void seen.push(`b${u32(regs.retval)}`) },
    );
    expect(m.run()).toEqual({ kind: 'exit', status: 0 });
    expect([a.nhit, b.nhit]).toEqual([25, 25]);
    expect(e.kretprobes().trampolineProbe.nhit).toBe(25);
    // Pre-handlers run newest first: b takes the real address, a the trampoline (chained);
    // the chain runs from the newest instance: a, then b, with the same return value.
    expect(seen.slice(0, 2)).toEqual(['a1', 'b1']);
    expect(seen.at(-2)).toBe('a8');
    expect(seen.at(-1)).toBe('b8');
  });

  it('nested probed calls: outer and inner each report their own return value', () => {
    const { m, e, out } = probed(isa, 'rettest', ['nested']);
    const seen: string[] = [];
    for (const f of ['outer', 'inner', 'leaf_sum'])
      e.registerKretprobe(
        { symbol: f },
        { handler: (_ri, regs) => void seen.push(`${f}=${u32(regs.retval)}`) },
      );
    expect(m.run()).toEqual({ kind: 'exit', status: 0 });
    expect(seen).toEqual(['leaf_sum=11', 'inner=11', 'outer=1011']);
    expect(out()).toBe('outer(5) = 1011\n');
  });

  it('a tail call between two probed functions: one trampoline hit, inner handler first, both with its value', () => {
    const { m, e, out } = probed(isa, 'tailcall');
    const seen: string[] = [];
    const g = e.registerKretprobe(
      { symbol: 'g' },
      { handler: (_ri, regs) => void seen.push(`g=${u32(regs.retval)}`) },
    );
    const f = e.registerKretprobe(
      { symbol: 'f' },
      { handler: (_ri, regs) => void seen.push(`f=${u32(regs.retval)}`) },
    );
    expect(m.run()).toEqual({ kind: 'exit', status: 0 });
    // f(5) = g(15) = 46 through the tail call; h(7, 12) = g(11) = 34 (h is not probed).
    expect(seen).toEqual(['g=46', 'f=46', 'g=34']);
    expect(e.kretprobes().trampolineProbe.nhit).toBe(2);
    expect([f.nhit, g.nhit]).toEqual([1, 2]);
    expect(out()).toBe(expected('tailcall').stdout);
  });

  it('three tasks inside one probed function at once each get their own return value', () => {
    const { m, e, out } = probed(isa, 'rettest', ['threads']);
    const byTask = new Map<number, bigint>();
    let most = 0;
    const rp = e.registerKretprobe(
      { symbol: 'work' },
      {
        entryHandler: () => void (most = Math.max(most, e.kretprobes().inFlight() + 1)),
        handler: (_ri, regs) => void byTask.set(regs.tid, regs.retval),
      },
    );
    expect(m.run()).toEqual({ kind: 'exit', status: 0 });
    expect(most).toBe(3);
    expect(rp.nhit).toBe(3);
    expect([...byTask.values()].sort()).toEqual([107n, 207n, 307n]);
    expect(new Set(byTask.keys()).size).toBe(3);
    expect(out()).toContain('work(1) = 107\nwork(2) = 207\nwork(3) = 307\n');
    expect(e.kretprobes().inFlight()).toBe(0);
  });

  it('a thread that exits inside a probed function gives its instance back (maxactive 1)', () => {
    const { m, e } = probed(isa, 'rettest', ['exit']);
    const seen: bigint[] = [];
    const rp = e.registerKretprobe(
      { symbol: 'maybe_exit' },
      { maxactive: 1, handler: (_ri, regs) => void seen.push(u32(regs.retval)) },
    );
    expect(m.run()).toEqual({ kind: 'exit', status: 0 });
    expect(seen).toEqual([42n]);
    expect([rp.nhit, rp.nmissed, rp.used, rp.free.length]).toEqual([1, 0, 0, 1]);
  });

  it('longjmp out of probed frames into a probed function: output unchanged, the escaped frames report nothing', () => {
    const { m, e, out } = probed(isa, 'rettest', ['longjmp']);
    const seen: string[] = [];
    for (const f of ['landing', 'esc_a', 'esc_b', 'esc_c', 'landing_plain'])
      e.registerKretprobe(
        { symbol: f },
        { handler: (_ri, regs) => void seen.push(`${f}=${u32(regs.retval)}`) },
      );
    expect(m.run()).toEqual({ kind: 'exit', status: 0 });
    expect(out()).toBe('landing = 31\nlanding_plain = 42\n');
    expect(seen).toEqual(['landing=31', 'landing_plain=42']);
    expect(e.kretprobes().nstale).toBe(3);
    expect(e.kretprobes().inFlight()).toBe(0);
  });

  it('longjmp with the stack-pointer check off: the 2005 behaviour, the stale instance is consumed first', () => {
    const p = probed(isa, 'rettest', ['longjmp']);
    const { m, e, out } = p;
    e.kretprobeSpCheck = false;
    const seen: string[] = [];
    for (const f of ['landing', 'esc_a', 'esc_b', 'esc_c'])
      e.registerKretprobe(
        { symbol: f },
        { handler: (ri, regs) => void seen.push(`${f}=${u32(regs.retval)}->${funcAt(p, ri.retAddr)}`) },
      );
    const stop = m.run();
    // landing's return hit the trampoline, which took esc_c's instance: esc_c's handler
    // got landing's value and the task went back into esc_b, whose frame is gone.
    expect(seen[0]).toBe('esc_c=31->esc_b');
    expect(out()).not.toBe('landing = 31\nlanding_plain = 42\n');
    expect(stop).not.toEqual({ kind: 'exit', status: 0 });
  });

  it('the trampoline: its nop is never executed or stepped, and its symbol shows in traces', () => {
    const { m, e } = probed(isa, 'fib', ['7']);
    const rp = e.registerKretprobe({ symbol: 'fib' }, { maxactive: 50 });
    const k = e.kretprobes();
    const slot = present(e.insnSlotOf(k.trampoline), "the trampoline's instruction slot");
    const after = k.trampoline + e.arch.trampolineInsn.length;
    const runs = new Map<number, number>();
    const inner = m.engine.handlers.code;
    m.engine.handlers.code = (a) => {
      runs.set(a, (runs.get(a) ?? 0) + 1);
      inner?.(a);
    };
    for (const a of [k.trampoline, slot, after]) m.engine.traceCode(a, a);
    expect(m.run()).toEqual({ kind: 'exit', status: 0 });
    expect(rp.nhit).toBe(41);
    expect(k.trampolineProbe.nhit).toBe(41);
    expect(runs.get(k.trampoline)).toBe(41); // reached 41 times (the breakpoint there)...
    expect(runs.get(slot) ?? 0).toBe(0); // ...never stepped out of line...
    expect(runs.get(after) ?? 0).toBe(0); // ...never run in place
    expect(m.symbols.format(k.trampoline)).toMatch(/^kretprobe_trampoline\+0x0\//);
    expect(m.mem.readExecuted(k.trampoline, e.arch.breakpoint.length)).toEqual(e.arch.breakpoint);
  });

  it('unregistering with calls in flight: they return to their callers, with no handler', () => {
    const { m, e, out } = probed(isa, 'fib', ['10']);
    let n = 0;
    const rp = e.registerKretprobe(
      { symbol: 'fib' },
      {
        maxactive: 20,
        handler: () => {
          if (++n === 5) e.unregisterKretprobe(rp);
        },
      },
    );
    expect(m.run()).toEqual({ kind: 'exit', status: 0 });
    expect(n).toBe(5);
    expect(out()).toBe('fib(10) = 55\n');
    expect(e.kretprobes().inFlight()).toBe(0);
  });

  it('an entry handler returning non-zero: that call is not tracked', () => {
    const { m, e } = probed(isa, 'fib', ['6']);
    let returns = 0;
    const rp = e.registerKretprobe(
      { symbol: 'fib' },
      {
        maxactive: 50,
        entryHandler: (_ri, regs) => (u32(regs.arg(1)) < 2n ? 1 : 0),
        handler: () => void returns++,
      },
    );
    m.run();
    expect(returns).toBe(12); // the 25 calls of fib(6) minus its 13 leaves
    expect([rp.nhit, rp.nmissed]).toEqual([12, 0]);
  });

  it('the trampoline reached with no instance of the task is an error, not a silent jump', () => {
    const { m, e } = probed(isa, 'ktest');
    e.registerKretprobe({ symbol: 'target2' });
    const tramp = e.kretprobes().trampoline;
    e.registerKprobe(
      { symbol: 'target' },
      {
        preHandler: (_p, regs) => {
          regs.pc = tramp;
          return 1;
        },
      },
    );
    const stop = m.run();
    expect(stop).toMatchObject({
      kind: 'error',
      message: expect.stringMatching(
        /kretprobe_trampoline reached by task 1000 with no instance holding a real return address \(0 in flight\)/,
      ),
    });
  });

  it('refuses a return probe off an entry, on a function that never returns, blacklisted, or on the trampoline', () => {
    const { m, e } = probed(isa, 'rettest', ['noreturn']);
    const inner = symbol(m.symbols, 'inner');
    expect(() => e.registerKretprobe({ symbol: 'inner', offset: 4 })).toThrow(
      /a return probe goes on a function entry: inner\+0x4 is not one/,
    );
    expect(() => e.registerKretprobe({ addr: inner.addr + 4 })).toThrow(/is not one/);
    expect(() => e.registerKretprobe({ symbol: 'die' })).toThrow(/die never returns/);
    expect(() => e.registerKretprobe({ symbol: 'inner' }, { maxactive: 0 })).toThrow(
      /maxactive must be a positive integer/,
    );
    e.blacklist.add('outer');
    expect(() => e.registerKretprobe({ symbol: 'outer' })).toThrow(/outer is on the blacklist/);
    expect(() => e.registerKprobe({ symbol: 'outer', offset: 0 })).toThrow(/outer is on the blacklist/);
    e.registerKretprobe({ symbol: 'inner' });
    expect(() => e.registerKprobe({ symbol: 'kretprobe_trampoline' })).toThrow(
      /kretprobe_trampoline belongs to the return probes/,
    );
    expect(m.run()).toMatchObject({ kind: 'exit', status: 3 });
  });
});

describe('ppc64: the link register after a probed return', () => {
  // check_blr and friends compare LR after the call with where the call returned: with LR
  // left at the trampoline (Linux 2.6.13), they fail under a return probe.
  it.each(['test_blr', 'test_beqlr_taken', 'test_bdnzlr'])(
    '%s: LR holds the real return address, the checks pass',
    (fn) => {
      const { m, e, out } = probed('ppc64', 'branches', []);
      const rp = e.registerKretprobe({ symbol: fn }, {});
      const stop = m.run();
      expect(stop).toEqual({ kind: 'exit', status: 0 });
      expect(out()).toBe(expected('branches').stdout);
      expect(rp.nhit).toBe(2); // the fixture runs every case in two passes
    },
  );
});

describe('stack keying (before the 2005 redesign)', () => {
  it('is refused on ppc64, where the return address is in the link register', () => {
    const { e } = probed('ppc64', 'fib', ['3']);
    e.kretprobeKeying = 'stack';
    expect(() => e.registerKretprobe({ symbol: 'fib' })).toThrow(
      /ppc64 keeps it in a register \(the link register\)/,
    );
  });

  describe.each(['x86_64', 'i386'] as const)('%s', (isa) => {
    it('gives the same returns as task keying on recursion', () => {
      const { m, e } = probed(isa, 'fib', ['10']);
      e.kretprobeKeying = 'stack';
      const vals: bigint[] = [];
      const rp = e.registerKretprobe(
        { symbol: 'fib' },
        { maxactive: 20, handler: (_ri, regs) => void vals.push(u32(regs.retval)) },
      );
      expect(m.run()).toEqual({ kind: 'exit', status: 0 });
      expect(rp.nhit).toBe(177);
      expect(vals.at(-1)).toBe(55n);
    });

    it('differs on task death: a thread dying inside the function leaks its instance, the next call is missed', () => {
      const results = (['task', 'stack'] as const).map((keying) => {
        const { m, e } = probed(isa, 'rettest', ['exit']);
        e.kretprobeKeying = keying;
        const rp = e.registerKretprobe({ symbol: 'maybe_exit' }, { maxactive: 1 });
        expect(m.run()).toEqual({ kind: 'exit', status: 0 });
        return [keying, rp.nhit, rp.nmissed, e.kretprobes().inFlight()];
      });
      expect(results).toEqual([
        ['task', 1, 0, 0],
        ['stack', 0, 1, 1],
      ]);
    });

    it('differs on longjmp without the sp check: the slot finds the right call, but the escaped ones leak', () => {
      const { m, e, out } = probed(isa, 'rettest', ['longjmp']);
      e.kretprobeKeying = 'stack';
      e.kretprobeSpCheck = false;
      const seen: string[] = [];
      for (const f of ['landing', 'esc_a', 'esc_b', 'esc_c'])
        e.registerKretprobe(
          { symbol: f },
          { handler: (_ri, regs) => void seen.push(`${f}=${u32(regs.retval)}`) },
        );
      expect(m.run()).toEqual({ kind: 'exit', status: 0 });
      expect(out()).toBe('landing = 31\nlanding_plain = 42\n');
      expect(seen).toEqual(['landing=31']);
      expect(e.kretprobes().inFlight()).toBe(3);
    });
  });
});

describe.each(['x86_64', 'i386', 'ppc64', 'musl-x86_64'])(
  '%s C library: return probes that could not return right',
  (variant) => {
    // glibc's or musl's setjmp saves its return address for a longjmp, a longjmp never returns,
    // the entry point was never called, and i386's PIC thunk reads its return address as data.
    it('setjmp, longjmp, the entry point and the PC thunk are refused with the reason', () => {
      const { m, out } = programMachine(`fixtures/corpus/build/${variant}/jmp`, [], {});
      const e = kprobes(m);
      const refuse = (name: string, why: RegExp) => {
        if (!m.symbols.lookup(name)) return 0;
        expect(() => e.registerKretprobe({ symbol: name }), name).toThrow(why);
        return 1;
      };
      let n = 0;
      for (const name of ['setjmp', '_setjmp', '__sigsetjmp', 'sigsetjmp'])
        n += refuse(name, /saves its return address for a longjmp/);
      for (const name of ['longjmp', '_longjmp', 'siglongjmp', '__libc_longjmp'])
        n += refuse(name, /never returns \(it jumps to the context a setjmp saved\)/);
      expect(() => e.registerKretprobe({ addr: m.image.entry })).toThrow(
        /is the program's entry point|never returns|goes on a function entry/,
      );
      if (variant === 'i386')
        expect(refuse('__x86.get_pc_thunk.bx', /reads its own return address as data/)).toBe(1);
      expect(n).toBeGreaterThanOrEqual(3);
      // The program around them takes one, and the run is unchanged.
      const main = e.registerKretprobe({ symbol: 'main' });
      expect(m.run()).toEqual({ kind: 'exit', status: 0 });
      expect(out()).toContain('longjmp 42 after 2 round(s)');
      expect(main.nhit).toBe(1);
    });
  },
);
