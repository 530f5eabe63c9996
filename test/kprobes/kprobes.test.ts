// Ports of the kernel's kprobe self-tests (lib/test_kprobes.c: test_kprobe, test_kprobes,
// test_kprobe_missed) and the registration contracts, on i386, x86_64 and ppc64.
import { ISAS, present, symbol } from '../helpers.js';
import { afterEach, describe, expect, it } from 'vitest';
import { checkAndClose, probed, type Probed, KTEST_ARG } from './support.js';
import type { Regs } from '../../src/regs.js';
import { shellStatus } from '../../emu/machine.js';
import { kprobeArchFor } from '../../arch/index.js';
import { KprobeEngine } from '../../src/kprobes.js';

afterEach(checkAndClose);

const V = KTEST_ARG;

/** What differs per ISA: how a function returns, what a misaligned probe says, trap numbers. */
const ISA = {
  x86_64: {
    midInsn: /target\+0x1\/0x[0-9a-f]+ is not an instruction boundary/,
    segvTrap: 14,
    ret: x86Return,
  },
  i386: { midInsn: /target\+0x1\/0x[0-9a-f]+ is not an instruction boundary/, segvTrap: 14, ret: x86Return },
  ppc64: { midInsn: /0x[0-9a-f]+ is not 4-byte aligned/, segvTrap: 0x300, ret: ppcReturn },
} as const;

/** `return value` at a function's first instruction: pop the return address (x86). */
function x86Return(regs: Regs, value: bigint, wordSize: number): void {
  const ret = regs.readWord(regs.sp);
  regs.set('sp', BigInt(regs.sp + wordSize));
  regs.set('ax', value);
  regs.pc = Number(ret);
}

/** `return value` at a function's first instruction: branch to LR (ppc64). */
function ppcReturn(regs: Regs, value: bigint): void {
  regs.set('r3', value);
  regs.pc = Number(regs.get('lr'));
}

/** The probed address reads back the arch's breakpoint instruction. */
const armed = (p: Probed, addr: number): boolean => {
  const bp = p.e.arch.breakpoint;
  return p.m.mem.readExecuted(addr, bp.length).every((b, i) => b === bp[i]);
};

describe.each(ISAS)('kprobes on %s', (isa) => {
  it("a second probe engine on one machine is refused: it would take the first one's traps", () => {
    const { m, e, out } = probed(isa, 'ktest');
    const p = e.registerKprobe({ symbol: 'target' }, {});
    expect(
      () => new KprobeEngine(m, present(kprobeArchFor(m.isa), `a kprobe arch for ${m.isa.name}`)),
    ).toThrow(/already has a trap listener/);
    expect(m.run()).toEqual({ kind: 'exit', status: 0 });
    expect(p.nhit).toBe(1);
    expect(out()).toContain('target');
  });

  it('test_kprobe: pre and post handlers of a probe on target both run on one call', () => {
    const { m, e, out } = probed(isa, 'ktest');
    let preh = 0n;
    let posth = 0n;
    const p = e.registerKprobe(
      { symbol: 'target' },
      {
        preHandler: (_p, regs) => {
          preh = regs.arg(1) / 3n;
        },
        postHandler: (_p, regs) => {
          posth = regs.arg(1) / 3n + 1n; // the argument is untouched by the first instruction
        },
      },
    );
    expect(m.run()).toEqual({ kind: 'exit', status: 0 });
    expect(preh).toBe(V / 3n);
    expect(posth).toBe(V / 3n + 1n);
    expect(p.nhit).toBe(1);
    expect(p.nmissed).toBe(0);
    expect(out()).toBe(`target = ${V / 3n}\ntarget2 = ${V / 3n + 1n}\nrecursed_target = ${V / 3n}\n`);
  });

  it('test_kprobes: two probes, each fires for its own function', () => {
    const { m, e } = probed(isa, 'ktest');
    const seen: string[] = [];
    e.registerKprobe({ symbol: 'target' }, { preHandler: () => void seen.push('target') });
    e.registerKprobe({ symbol: 'target2' }, { preHandler: () => void seen.push('target2') });
    m.run();
    expect(seen).toEqual(['target', 'target2']);
  });

  it('test_kprobe_missed: hits inside the handlers are stepped without handlers, nmissed == 2', () => {
    const { m, e, out } = probed(isa, 'ktest');
    let pre = 0;
    let post = 0;
    let inner: bigint[] = [];
    const p = e.registerKprobe(
      { symbol: 'recursed_target' },
      {
        preHandler: (_p, regs: Regs) => {
          pre++;
          expect(e.status(regs.tid)).toBe('HIT_ACTIVE');
          inner.push(regs.callGuest('recursed_target', 9n));
        },
        postHandler: (_p, regs: Regs) => {
          post++;
          expect(e.status(regs.tid)).toBe('HIT_SSDONE');
          inner.push(regs.callGuest('recursed_target', 30n));
        },
      },
    );
    expect(m.run()).toEqual({ kind: 'exit', status: 0 });
    expect([pre, post]).toEqual([1, 1]);
    expect(p.nmissed).toBe(2);
    expect(p.nhit).toBe(1);
    expect(inner).toEqual([3n, 10n]);
    expect(out()).toContain(`recursed_target = ${V / 3n}\n`);
    inner = [];
  });

  it('a pre_handler returning non-zero has set PC: no step, no post_handler', () => {
    const { m, e, out } = probed(isa, 'ktest');
    let post = 0;
    // Emulate `return 7` from target.
    e.registerKprobe(
      { symbol: 'target' },
      {
        preHandler: (_p, regs) => {
          ISA[isa].ret(regs, 7n, m.isa.wordSize);
          return 1;
        },
        postHandler: () => void post++,
      },
    );
    m.run();
    expect(post).toBe(0);
    expect(out()).toContain('target = 7\n');
  });

  it('reads back the breakpoint while armed and the original bytes after unregister', () => {
    const pr = probed(isa, 'ktest');
    const { m, e } = pr;
    const addr = symbol(m.symbols, 'target2').addr;
    const before = m.mem.readExecuted(addr, 4);
    expect(armed(pr, addr)).toBe(false);
    const p = e.registerKprobe({ symbol: 'target2' });
    expect(armed(pr, addr)).toBe(true);
    e.unregisterKprobe(p);
    expect(m.mem.readExecuted(addr, 4)).toEqual(before);
    expect(m.run()).toEqual({ kind: 'exit', status: 0 });
  });

  it('refuses a mid-instruction address, an unknown symbol and an offset past the function', () => {
    const { m, e } = probed(isa, 'ktest');
    const t = symbol(m.symbols, 'target');
    expect(() => e.registerKprobe({ addr: t.addr + 1 })).toThrow(ISA[isa].midInsn);
    expect(() => e.registerKprobe({ symbol: 'no_such_function' })).toThrow(
      /no function named 'no_such_function'/,
    );
    expect(() => e.registerKprobe({ symbol: 'target', offset: 0x10000 })).toThrow(/beyond the end of target/);
    expect(e.checkInvariants()).toEqual([]);
  });

  it('an aggregate of three probes at one address: newest first; one removed; all removed restores the code', () => {
    const pr = probed(isa, 'fib', ['5']);
    const { m, e, out } = pr;
    const order: string[] = [];
    const mk = (n: string) =>
      e.registerKprobe(
        { symbol: 'fib' },
        { preHandler: () => void order.push(n), postHandler: () => void order.push(`${n}.post`) },
      );
    const addr = symbol(m.symbols, 'fib').addr;
    const orig = m.mem.readExecuted(addr, 4);
    const a = mk('a');
    const b = mk('b');
    const c = mk('c');
    e.unregisterKprobe(b);
    expect(armed(pr, addr)).toBe(true);
    expect(m.run()).toEqual({ kind: 'exit', status: 0 });
    expect(out()).toBe('fib(5) = 5\n');
    expect(order.slice(0, 4)).toEqual(['c', 'a', 'c.post', 'a.post']);
    expect(a.nhit).toBe(15);
    expect(c.nhit).toBe(15);
    expect(b.nhit).toBe(0);
    e.unregisterKprobe(a);
    expect(armed(pr, addr)).toBe(true);
    e.unregisterKprobe(c);
    expect(m.mem.readExecuted(addr, 4)).toEqual(orig);
  });

  it('unregister in the middle of a run, then register again', () => {
    const pr = probed(isa, 'fib', ['10']);
    const { m, e, out } = pr;
    let hits = 0;
    let again: ReturnType<typeof e.registerKprobe> | undefined;
    const p = e.registerKprobe(
      { symbol: 'fib' },
      {
        preHandler: (self) => {
          hits++;
          if (hits === 5) e.unregisterKprobe(self);
        },
      },
    );
    // A second probe re-registers fib's probe when main's loop... simplest: on `print_udec`.
    e.registerKprobe(
      { symbol: 'print_str' },
      {
        preHandler: () => {
          if (!again) again = e.registerKprobe({ symbol: 'fib' }, {});
        },
      },
    );
    expect(m.run()).toEqual({ kind: 'exit', status: 0 });
    expect(hits).toBe(5);
    expect(p.registered).toBe(false);
    expect(out()).toBe('fib(10) = 55\n');
    const addr = symbol(m.symbols, 'fib').addr;
    expect(armed(pr, addr)).toBe(true); // re-registered: armed again
  });

  it('a throwing handler with no fault_handler stops the run (exit 125), probes removed, code unpatched', () => {
    const { m, e } = probed(isa, 'fib', ['10']);
    const addr = symbol(m.symbols, 'fib').addr;
    const orig = m.mem.readExecuted(addr, 4);
    e.registerKprobe(
      { symbol: 'fib' },
      {
        preHandler: () => {
          throw new Error('boom');
        },
      },
    );
    const stop = m.run();
    expect(stop.kind).toBe('error');
    expect(shellStatus(stop)).toBe(125);
    expect(stop.kind === 'error' && stop.message).toBe('the pre_handler of the probe at fib+0x0 threw: boom');
    expect(m.mem.readExecuted(addr, 4)).toEqual(orig);
    expect(e.all.every((p) => !p.registered)).toBe(true);
  });

  it('the booster runs hits after the first without a step, except under preemption (--quantum)', () => {
    const counts = [0, 1000].map((quantum) => {
      const { m, e, out } = probed(isa, 'fib', ['6'], quantum ? { quantum } : {});
      const p = e.registerKprobe({ symbol: 'fib' }, { preHandler: () => 0 });
      expect(m.run()).toEqual({ kind: 'exit', status: 0 });
      expect(out()).toBe('fib(6) = 8\n');
      return [p.nhit, e.nboosted];
    });
    expect(counts).toEqual([
      [25, 24],
      [25, 0],
    ]);
  });

  it('a fault_handler that handles a throwing handler lets the run go on', () => {
    const { m, e, out } = probed(isa, 'fib', ['6']);
    let faults = 0;
    e.registerKprobe(
      { symbol: 'fib' },
      {
        preHandler: () => {
          throw new Error('boom');
        },
        faultHandler: (_p, _r, trapnr) => {
          faults++;
          expect(trapnr).toBe(ISA[isa].segvTrap);
          return 1;
        },
      },
    );
    expect(m.run()).toEqual({ kind: 'exit', status: 0 });
    expect(faults).toBe(25);
    expect(out()).toBe('fib(6) = 8\n');
  });
});
