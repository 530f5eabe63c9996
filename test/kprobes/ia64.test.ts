// IA-64 kprobes (arch/ia64/kprobes.ts) on the assembly guests of fixtures/ia64: probes on
// every slot against an independent count, the resume_execution fix-up classes each caught
// by an engine with that fix-up taken out, the prepare rules (slot addresses, MLX, unc
// compares, refusals), and return probes through b0 and the trampoline's descriptor.
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { ia64KprobeArch, type Ia64KprobeOptions } from '../../arch/ia64/kprobes.js';
import type { KprobeArch } from '../../arch/kprobe-arch.js';
import { wordOfAddr } from '../../emu/addr.js';
import { decodeBundle } from '../../emu/ia64/decode.js';
import { IA64_REG } from '../../emu/ia64/engine.js';
import { Ctype, Op } from '../../emu/ia64/insn.js';
import type { Machine, StopReason } from '../../emu/machine.js';
import { KprobeEngine, kprobes, ProbeError, type Kprobe } from '../../src/kprobes.js';
import { ia64Guests, present, symbol } from '../helpers.js';
import { programMachine } from './support.js';

const FIX = (name: string): string => `fixtures/ia64/build/${name}`;

const open: { m: Machine; e: KprobeEngine<unknown> }[] = [];
afterEach(async () => {
  const all = open.splice(0);
  for (const { m, e } of all) {
    const bad = e.checkInvariants();
    m.close();
    expect(bad, 'kprobe invariants').toEqual([]);
  }
  await new Promise((resolve) => setImmediate(resolve));
});

/** A guest machine with the IA-64 kprobe engine (or one built on a mutant arch, closed by the test). */
function probed(
  name: string,
  args: string[] = [],
  arch?: KprobeArch<unknown>,
  opts: Record<string, unknown> = {},
) {
  const { m, out } = programMachine(FIX(name), args, opts, `./${name}`);
  const e = arch ? new KprobeEngine(m, arch) : kprobes(m);
  if (!arch) open.push({ m, e });
  return { m, e, out };
}

/** Every slot address of every sized function: bundle + 0..2, without the X half of an L+X pair. */
function slotAddresses(m: Machine): number[] {
  const out: number[] = [];
  for (const f of m.symbols.functions()) {
    if (f.size === 0) continue;
    for (let b = f.addr; b < f.addr + f.size; b += 16) {
      const d = decodeBundle(m.mem.read(b, 16));
      out.push(b, b + 1);
      if (d.info?.units !== 'MLX') out.push(b + 2);
    }
  }
  return out;
}

/**
 * The oracle, from a separate unprobed run: how often each slot executed with its predicate
 * true (a probe's break carries the predicate, so a slot predicated off is no hit), unc
 * compares and bit tests counting whatever their predicate says (their break has none).
 */
function executedSlots(name: string, args: string[] = []) {
  const { m, out } = programMachine(FIX(name), args, {}, `./${name}`);
  const counts = new Map<number, number>();
  const decoded = new Map<number, ReturnType<typeof decodeBundle>>();
  m.engine.handlers.code = (at) => {
    const b = at - (at % 16);
    let d = decoded.get(b);
    if (!d) decoded.set(b, (d = decodeBundle(m.mem.read(b, 16))));
    const ins = present(d.slots[at % 16], 'slot');
    const unc = ins.ctype === Ctype.UNC && (ins.op === Op.CMP || ins.op === Op.CMP_IMM || ins.op === Op.TBIT);
    if (ins.qp === 0 || unc || m.cpu.regRead(IA64_REG.pr + ins.qp) === 1n)
      counts.set(at, (counts.get(at) ?? 0) + 1);
  };
  for (const s of m.image.segments.filter((x) => x.executable))
    m.engine.traceCode(s.vaddr, s.vaddr + s.memsz - 1);
  const stop = m.run();
  m.close();
  return { counts, stdout: out(), stop };
}

const EVERYWHERE = ['hello', 'ops', 'fixups', 'ktest', 'cloop', 'indirect', 'deeprec', 'escape', 'threads'];

describe('IA-64 probes on every slot', () => {
  it.each(EVERYWHERE)('%s: unchanged output, hit counts equal the executed-slot count', (name) => {
    const oracle = executedSlots(name);
    const { m, e, out } = probed(name);
    const probes: Kprobe[] = [];
    const refused: string[] = [];
    for (const addr of slotAddresses(m)) {
      try {
        probes.push(e.registerKprobe({ addr }, { preHandler: () => 0, postHandler: () => {} }));
      } catch (err) {
        if (!(err instanceof ProbeError)) throw err;
        refused.push(err.message);
      }
    }
    const stop: StopReason = m.run();
    expect(out()).toBe(oracle.stdout);
    expect(stop).toEqual(oracle.stop);
    const wrong = probes
      .map((p) => ({ at: m.symbols.format(p.addr), hits: p.nhit, executed: oracle.counts.get(p.addr) ?? 0 }))
      .filter((r) => r.hits !== r.executed);
    expect(wrong).toEqual([]);
    expect(probes.length).toBeGreaterThan(10);
    expect(probes.reduce((n, p) => n + p.nhit, 0)).toBeGreaterThan(10);
    // The only refusals are the kernel's: `mov r=ip` reads the copy's own address.
    for (const why of refused) expect(why).toMatch(/`mov r=ip`/);
  });
});

/** The fix-up classes: a probe on each, with the fix-up that class needs taken out of the arch. */
const FIXUP_CASES: { what: string; at: [string, number]; broken: Ia64KprobeOptions | 'fall-through' }[] = [
  { what: 'IP-relative br.cond in slot 0 of a BBB bundle', at: ['f_bbb', 0x10], broken: { ipFixup: false } },
  { what: 'IP-relative br.cond in slot 1', at: ['f_bbb', 0x41], broken: { ipFixup: false } },
  { what: 'IP-relative br.cond in slot 2', at: ['f_bbb', 0x72], broken: { ipFixup: false } },
  { what: 'br.cloop, taken and falling through', at: ['f_cloop', 0x32], broken: { ipFixup: false } },
  { what: 'br.call b0: the target', at: ['f_brcall', 0x12], broken: { ipFixup: false } },
  { what: 'br.call b0: the return address', at: ['f_brcall', 0x12], broken: { branchRegFixup: false } },
  {
    what: 'br.call b3=b6: the return address in b3',
    at: ['f_indcall', 0x32],
    broken: { branchRegFixup: false },
  },
  { what: 'brl (Linux 2.6.13 had no fix-up)', at: ['f_brl', 0x1], broken: { brlFixup: false } },
  { what: 'brl.call b0: the target', at: ['f_brlcall', 0x11], broken: { brlFixup: false } },
  { what: 'brl.call b0: the return address', at: ['f_brlcall', 0x11], broken: { branchRegFixup: false } },
  { what: 'fall-through to the next slot', at: ['f_unc', 0x11], broken: 'fall-through' },
  { what: 'fall-through from an L+X pair to the next bundle', at: ['f_movl', 0x1], broken: 'fall-through' },
  { what: 'fall-through from slot 2 to the next bundle', at: ['f_tbit', 0x12], broken: 'fall-through' },
];

/** The arch with only PSR.ss cleared after a step: IP stays wherever the copy left it. */
function noFallThrough(): KprobeArch<unknown> {
  const arch = ia64KprobeArch() as KprobeArch<unknown>;
  return {
    ...arch,
    resumeExecution(cpu, a, addr, slot, st, completed) {
      const ip = cpu.regRead(IA64_REG.ip);
      arch.resumeExecution(cpu, a, addr, slot, st, completed);
      const ipAfter = cpu.regReadAddr(IA64_REG.ip);
      // Keep the rebasing of branches: only an IP that stayed in the copy is left there.
      if (
        ipAfter - (ipAfter % 16) === addr - (addr % 16) ||
        ipAfter - (ipAfter % 16) === addr - (addr % 16) + 16
      )
        cpu.regWrite(IA64_REG.ip, ip);
    },
  };
}

describe('IA-64 resume_execution fix-ups', () => {
  const expected = executedSlots('fixups');

  it.each(FIXUP_CASES)('$what: right with the fix-up, wrong without it', ({ at: [fn, off], broken }) => {
    const good = probed('fixups');
    const addr = symbol(good.m.symbols, fn).addr + off;
    const hit = good.e.registerKprobe({ addr }, { postHandler: () => {} });
    expect(good.m.run()).toEqual({ kind: 'exit', status: 0 });
    expect(good.out()).toBe(expected.stdout);
    expect(hit.nhit).toBe(expected.counts.get(addr));

    const arch =
      broken === 'fall-through' ? noFallThrough() : (ia64KprobeArch(broken) as KprobeArch<unknown>);
    const bad = probed('fixups', [], arch);
    try {
      bad.e.registerKprobe({ addr }, { postHandler: () => {} });
      const stop = bad.m.run();
      const same = stop.kind === 'exit' && stop.status === 0 && bad.out() === expected.stdout;
      expect(same, `the broken engine ran ${fn}+0x${off.toString(16)} as the right one does`).toBe(false);
    } finally {
      bad.m.close();
    }
  });

  it('the fixups guest prints what its functions compute', () => {
    expect(expected.stop).toEqual({ kind: 'exit', status: 0 });
    expect(expected.stdout.split('\n').slice(0, 11)).toEqual([
      'A 0000000000000105',
      'B 000000000000100b',
      'C 000000000000110b',
      'D 0000000000001208',
      'E 0000000000000028',
      'F 0000000000000116',
      'G 0000000000000015',
      'H 0000000000000025',
      'I 123456789abcdef5',
      'J 0000000000000545',
      'K 000000000006170b',
    ]);
  });
});

describe('IA-64 probe addresses and the bundle patch', () => {
  it('refuses slot numbers above 2, slot 2 of an MLX bundle and `mov r=ip`, with the reason', () => {
    const { m, e } = probed('fixups');
    const movl = symbol(m.symbols, 'f_movl').addr;
    expect(() => e.registerKprobe({ addr: movl + 3 })).toThrow(
      /names slot 3: an IA-64 probe address is a bundle's address plus its slot/,
    );
    expect(() => e.registerKprobe({ addr: movl + 2 })).toThrow(
      /slot 2 of an MLX bundle, the X half of the L\+X instruction at slot 1/,
    );
    expect(() => e.registerKprobe({ symbol: 'f_ip', offset: 1 })).toThrow(
      /`mov r=ip` reads the address of its own bundle/,
    );
    expect(m.run()).toEqual({ kind: 'exit', status: 0 });
  });

  it('three probes in one bundle: each armed and disarmed alone, the guest sees the original bundle', () => {
    const { m, e, out } = probed('fixups');
    const b = symbol(m.symbols, 'f_bbb').addr + 0x10;
    const original = m.mem.read(b, 16);
    const ps = [0, 1, 2].map((s) => e.registerKprobe({ addr: b + s }, { postHandler: () => {} }));
    const armed = m.mem.readExecuted(b, 16);
    expect(decodeBundle(armed).slots.map((s) => [s.mnemonic, s.imm])).toEqual([
      ['break.b', 0x80200n],
      ['break.b', 0x80200n],
      ['break.b', 0x80200n],
    ]);
    // Loads see the code unprobed.
    expect(m.mem.read(b, 16)).toEqual(original);
    e.unregisterKprobe(present(ps[1], 'probe'));
    expect(decodeBundle(m.mem.readExecuted(b, 16)).slots.map((s) => s.mnemonic)).toEqual([
      'break.b',
      'nop.b',
      'break.b',
    ]);
    expect(e.checkInvariants()).toEqual([]);
    expect(m.run()).toEqual({ kind: 'exit', status: 0 });
    // Slot 0's branch is taken: slots 1 and 2 never run.
    expect(ps.map((p) => p.nhit)).toEqual([1, 0, 0]);
    expect(out()).toContain('F 0000000000000116\n');
    e.unregisterKprobe(present(ps[0], 'probe'));
    e.unregisterKprobe(present(ps[2], 'probe'));
    expect(m.mem.readExecuted(b, 16)).toEqual(original);
  });

  it('an unc compare predicated off is still hit (its break has no predicate); a predicated-off add is not', () => {
    const { m, e, out } = probed('fixups');
    const unc = e.registerKprobe({ symbol: 'f_unc', offset: 0x11 }, {});
    // (p7) adds r8 = 0x400: p7 is cleared by the unc compare.
    const off = e.registerKprobe({ symbol: 'f_unc', offset: 0x20 }, {});
    expect(decodeBundle(m.mem.readExecuted(unc.addr - 1, 16)).slots[1]?.qp).toBe(0);
    expect(decodeBundle(m.mem.readExecuted(off.addr, 16)).slots[0]?.qp).toBe(7);
    expect(m.run()).toEqual({ kind: 'exit', status: 0 });
    expect([unc.nhit, off.nhit]).toEqual([1, 0]);
    expect(out()).toContain('G 0000000000000015\n');
  });

  it('an L+X probe zeroes the L slot while armed, so break.x raises 0x80200, and puts both back', () => {
    const { m, e, out } = probed('fixups');
    const at = symbol(m.symbols, 'f_movl').addr;
    const original = m.mem.read(at, 16);
    const p = e.registerKprobe({ addr: at + 1 }, { postHandler: () => {} });
    const slots = decodeBundle(m.mem.readExecuted(at, 16)).slots;
    expect([slots[1]?.mnemonic, slots[1]?.imm]).toEqual(['break.x', 0x80200n]);
    expect(m.run()).toEqual({ kind: 'exit', status: 0 });
    expect(p.nhit).toBe(1);
    expect(out()).toContain('I 123456789abcdef5\n');
    e.unregisterKprobe(p);
    expect(m.mem.readExecuted(at, 16)).toEqual(original);
  });
});

/** fib(n) of the reference guest, and the calls of fib(25) at each depth (the outermost at 1). */
function fibCallsByDepth(n: number, depth = 1, out: number[] = []): number[] {
  out[depth] = (out[depth] ?? 0) + 1;
  if (n >= 2) {
    fibCallsByDepth(n - 1, depth + 1, out);
    fibCallsByDepth(n - 2, depth + 1, out);
  }
  return out;
}
const fibOf = (n: number): bigint => {
  let [a, b] = [0n, 1n];
  for (let i = 0; i < n; i++) [a, b] = [b, a + b];
  return a;
};

describe('IA-64 return probes', () => {
  it('the trampoline probe sits where kretprobe_trampoline descriptor says', () => {
    const { m, e } = probed('fixups');
    const k = e.kretprobes();
    const tramp = symbol(m.symbols, 'kretprobe_trampoline').addr;
    expect(k.trampoline).toBe(tramp);
    expect(k.trampolineProbe.addr).toBe(tramp);
    // The descriptor after the code, {entry, gp}: its entry is the trampoline's IA-64 address.
    const desc = m.mem.read(tramp + 0x800, 16);
    expect(new DataView(desc.buffer).getBigUint64(0, true)).toBe(wordOfAddr(tramp));
    expect(m.run()).toEqual({ kind: 'exit', status: 0 });
  });

  it('recursive fib with maxactive 5: every call at depth 5 or less returns through the trampoline with fib(n)', () => {
    const { m, e, out } = probed('fib');
    const wrong: string[] = [];
    const rp = e.registerKretprobe(
      { symbol: 'fib' },
      {
        maxactive: 5,
        dataSize: 8,
        entryHandler: (ri, regs) => void new DataView(ri.data.buffer).setBigUint64(0, regs.get('r32')),
        handler: (ri, regs) => {
          const n = Number(new DataView(ri.data.buffer).getBigUint64(0));
          if (regs.get('r8') !== fibOf(n)) wrong.push(`fib(${n}) returned ${regs.get('r8')}`);
        },
      },
    );
    expect(m.run()).toEqual({ kind: 'exit', status: 0 });
    expect(out()).toBe('fib(25)=75025\n');
    expect(wrong).toEqual([]);
    const byDepth = fibCallsByDepth(25);
    const within = byDepth.slice(1, 6).reduce((a, b) => a + b, 0);
    const total = byDepth.reduce((a, b) => a + (b ?? 0), 0);
    expect([rp.nhit, rp.nmissed]).toEqual([within, total - within]);
    expect([rp.used, rp.free.length]).toEqual([0, 5]);
  });

  it('a tail call and nested calls: the chained instance returns with its tail callee, innermost first', () => {
    const { m, e, out } = probed('fixups');
    const seen: string[] = [];
    for (const f of ['f_tail', 'leaf2', 'f_nested', 'f_inner', 'leaf'])
      e.registerKretprobe(
        { symbol: f },
        {
          handler: (_ri, regs) =>
            void seen.push(`${f}=${regs.get('r8').toString(16)}@${m.symbols.format(regs.pc)}`),
        },
      );
    expect(m.run()).toEqual({ kind: 'exit', status: 0 });
    const out1 = out();
    expect(out1).toContain('J 0000000000000545\nK 000000000006170b\n');
    const tailRet = seen.find((s) => s.startsWith('leaf2='));
    expect(tailRet).toMatch(/^leaf2=545@_start\+0x/);
    // leaf is also called by f_brlcall and f_brcall, before the tail and nested calls.
    expect(seen.slice(0, 2)).toEqual([
      expect.stringMatching(/^leaf=b@f_brlcall\+0x20\//),
      expect.stringMatching(/^leaf=b@f_brcall\+0x20\//),
    ]);
    const order = seen.slice(2);
    expect(order.map((s) => s.split('=')[0])).toEqual(['leaf2', 'f_tail', 'leaf', 'f_inner', 'f_nested']);
    expect(seen.find((s) => s.startsWith('f_tail='))).toMatch(/^f_tail=545@_start\+0x/);
    expect(seen.find((s) => s.startsWith('f_inner='))).toMatch(/^f_inner=170b@f_nested\+0x/);
  });

  it('a task dying inside a return-probed function gives its instance back', () => {
    const { m, e } = probed('fixups');
    const dropped: string[] = [];
    const rp = e.registerKretprobe(
      { symbol: 'f_exit' },
      { maxactive: 1, handler: () => {}, dropHandler: (_ri, why) => void dropped.push(why) },
    );
    expect(m.run()).toEqual({ kind: 'exit', status: 0 });
    expect(dropped).toEqual(['task-exit']);
    expect([rp.nhit, rp.nmissed, rp.used, rp.free.length]).toEqual([0, 0, 0, 1]);
  });

  it('stack traces from handlers follow b0, the registers prologues saved it in, and ar.pfs down the register stack', () => {
    const { m, e } = probed('fixups');
    const traces: string[][] = [];
    const fmt = (a: number) => m.symbols.format(a).replace(/\/0x[0-9a-f]+$/, '');
    const trace = (_p: unknown, regs: { stackTrace(max: number): number[] }) =>
      void traces.push(regs.stackTrace(8).map(fmt));
    e.registerKprobe({ symbol: 'leaf' }, { preHandler: trace });
    e.registerKprobe({ symbol: 'leaf2' }, { preHandler: trace });
    e.registerKprobe({ symbol: 'f_inner', offset: 0x40 }, { preHandler: trace });
    expect(m.run()).toEqual({ kind: 'exit', status: 0 });
    // _start is entered with b0 = 0: the walk ends there. leaf2 was reached by f_tail's tail
    // call, so f_tail is not on the stack.
    expect(traces.map((t) => t.map((f) => f.replace(/^_start\+0x[0-9a-f]+$/, '_start')))).toEqual([
      ['leaf+0x0', 'f_brlcall+0x20', '_start'],
      ['leaf+0x0', 'f_brcall+0x20', '_start'],
      ['leaf2+0x0', '_start'],
      ['f_inner+0x40', 'f_nested+0x20', '_start'],
      ['leaf+0x0', 'f_inner+0x50', 'f_nested+0x20', '_start'],
    ]);
  });

  it('a stack trace 503 frames deep reads callers spilled to the backing store, through return probes', () => {
    const { m, e } = probed('deeprec');
    e.registerKretprobe({ symbol: 'depth' }, { maxactive: 1000 });
    const traces: string[][] = [];
    e.registerKprobe(
      { symbol: 'depth' },
      {
        preHandler: (_p, regs) => {
          if (regs.arg(1) === 0n) traces.push(regs.stackTrace(1000).map((a) => m.symbols.format(a)));
        },
      },
    );
    expect(m.run()).toEqual({ kind: 'exit', status: 0 });
    // depth(20) and depth(500), each at depth(0): the probe, n callers in depth, main, _start.
    expect(traces.map((t) => t.length)).toEqual([23, 503]);
    for (const t of traces) {
      expect(t[0]).toMatch(/^depth\+0x0\//);
      expect(new Set(t.slice(1, -2))).toEqual(new Set(['depth+0x50/0xf0']));
      expect(t.at(-2)).toMatch(/^main\+0x/);
      expect(t.at(-1)).toMatch(/^_start\+0x/);
    }
  });
});

/** ktest's argument, as the kernel test's rand1 (fixtures/expected/ktest.out). */
const V = 305419896n;
const KTEST_OUT = `target = ${V / 3n}\ntarget2 = ${V / 3n + 1n}\nrecursed_target = ${V / 3n}\n`;

describe('the kernel self-test (lib/test_kprobes.c) on IA-64', () => {
  it('test_kprobe: pre and post handlers of a probe on target both run on one call', () => {
    const { m, e, out } = probed('ktest');
    let preh = 0n;
    let posth = 0n;
    const p = e.registerKprobe(
      { symbol: 'target' },
      {
        preHandler: (_p, regs) => void (preh = regs.arg(1) / 3n),
        postHandler: (_p, regs) => void (posth = regs.arg(1) / 3n + 1n),
      },
    );
    expect(m.run()).toEqual({ kind: 'exit', status: 0 });
    expect([preh, posth]).toEqual([V / 3n, V / 3n + 1n]);
    expect([p.nhit, p.nmissed]).toEqual([1, 0]);
    expect(out()).toBe(KTEST_OUT);
  });

  it('test_kprobes: two probes, each fires for its own function', () => {
    const { m, e } = probed('ktest');
    const seen: string[] = [];
    e.registerKprobes([
      { point: { symbol: 'target' }, handlers: { preHandler: () => void seen.push('target') } },
      { point: { symbol: 'target2' }, handlers: { preHandler: () => void seen.push('target2') } },
    ]);
    expect(m.run()).toEqual({ kind: 'exit', status: 0 });
    expect(seen).toEqual(['target', 'target2']);
  });

  it('test_kprobe_missed: hits inside the handlers are stepped without handlers, nmissed == 2', () => {
    const { m, e, out } = probed('ktest');
    const inner: bigint[] = [];
    const p = e.registerKprobe(
      { symbol: 'recursed_target' },
      {
        preHandler: (_p, regs) => {
          expect(e.status(regs.tid)).toBe('HIT_ACTIVE');
          inner.push(regs.callGuest('recursed_target', 9n));
        },
        postHandler: (_p, regs) => {
          expect(e.status(regs.tid)).toBe('HIT_SSDONE');
          inner.push(regs.callGuest('recursed_target', 30n));
        },
      },
    );
    expect(m.run()).toEqual({ kind: 'exit', status: 0 });
    expect([p.nhit, p.nmissed]).toEqual([1, 2]);
    expect(inner).toEqual([3n, 10n]);
    expect(out()).toBe(KTEST_OUT);
  });

  it('a pre_handler returning non-zero has set IP: no step, no post_handler', () => {
    const { m, e, out } = probed('ktest');
    let post = 0;
    // `return 7` from target's first slot: r8, and IP at target's own br.ret, which at the
    // entry still has the caller's b0 and ar.pfs (br.ret puts the caller's frame back).
    const target = symbol(m.symbols, 'target');
    let ret: number | undefined;
    for (let b = target.addr; b < target.addr + target.size && ret === undefined; b += 16)
      decodeBundle(m.mem.read(b, 16)).slots.forEach((s, i) => {
        if (s.op === Op.BR_RET && ret === undefined) ret = b + i;
      });
    const brRet = present(ret, "target's br.ret");
    e.registerKprobe(
      { symbol: 'target' },
      {
        preHandler: (_p, regs) => {
          regs.set('r8', 7n);
          regs.pc = brRet;
          return 1;
        },
        postHandler: () => void post++,
      },
    );
    expect(m.run()).toEqual({ kind: 'exit', status: 0 });
    expect(post).toBe(0);
    expect(out()).toContain('target = 7\n');
  });

  it('test_kretprobe: the entry handler runs at the call, the handler sees target(v) in r8', () => {
    const { m, e } = probed('ktest');
    let entered = 0;
    let ret = 0n;
    const rp = e.registerKretprobe(
      { symbol: 'target' },
      {
        entryHandler: (_ri, regs) => void (entered = Number(regs.arg(1) === V)),
        handler: (_ri, regs) => void (ret = regs.retval),
      },
    );
    expect(m.run()).toEqual({ kind: 'exit', status: 0 });
    expect([entered, ret]).toEqual([1, V / 3n]);
    expect([rp.nhit, rp.nmissed]).toEqual([1, 0]);
  });

  it('test_kretprobes: two return probes, each sees its own function return', () => {
    const { m, e } = probed('ktest');
    const seen: string[] = [];
    e.registerKretprobes([
      { point: { symbol: 'target' }, options: { handler: (_ri, r) => void seen.push(`target=${r.retval}`) } },
      {
        point: { symbol: 'target2' },
        options: { handler: (_ri, r) => void seen.push(`target2=${r.retval}`) },
      },
    ]);
    expect(m.run()).toEqual({ kind: 'exit', status: 0 });
    expect(seen).toEqual([`target=${V / 3n}`, `target2=${V / 3n + 1n}`]);
  });
});

describe('IA-64 guests run as expected', () => {
  it.each(ia64Guests())('%s', (name) => {
    const { m, out } = programMachine(FIX(name), [], {}, `./${name}`);
    try {
      const status = Number(readFileSync(`fixtures/ia64/expected/${name}.status`, 'utf8').trim());
      expect(m.run()).toEqual({ kind: 'exit', status });
      expect(out()).toBe(readFileSync(`fixtures/ia64/expected/${name}.out`, 'latin1'));
    } finally {
      m.close();
    }
  });
});

describe('IA-64 return probes and the register stack', () => {
  it('a longjmp-like escape: instances of the escaped frames are dropped at the next call, told by ar.bsp', () => {
    const { m, e, out } = probed('escape');
    const why = new Map<string, number>();
    const rp = e.registerKretprobe(
      { symbol: 'deep' },
      {
        maxactive: 400,
        handler: () => {},
        dropHandler: (_ri, reason) => void why.set(reason, (why.get(reason) ?? 0) + 1),
      },
    );
    expect(m.run()).toEqual({ kind: 'exit', status: 0 });
    expect(out()).toBe(readFileSync('fixtures/ia64/expected/escape.out', 'latin1'));
    // deep(1), deep(5) and deep(300) make 2, 6 and 301 calls, and none returns: the first two
    // rounds' frames are gone when the next round calls deep; the last round's at exit.
    expect(rp.nhit).toBe(0);
    expect(Object.fromEntries(why)).toEqual({ longjmp: 8, 'task-exit': 301 });
    expect(e.kretprobes().nstale).toBe(8);
  });

  it('deep recursion that spills the register stack: every call returns through the trampoline with its value', () => {
    const plain = programMachine(FIX('deeprec'), [], {}, './deeprec');
    const stop = plain.m.run();
    plain.m.close();
    const { m, e, out } = probed('deeprec');
    const rp = e.registerKretprobe({ symbol: 'depth' }, { maxactive: 2000, handler: () => {} });
    const hits = e.registerKprobe({ symbol: 'depth' }, {});
    expect(m.run()).toEqual(stop);
    expect(out()).toBe(plain.out());
    expect(rp.nhit).toBe(hits.nhit);
    expect(rp.nhit).toBeGreaterThan(100);
    expect(rp.nmissed).toBe(0);
  });
});

describe('IA-64 threads (clone2) under probes', () => {
  it('two threads yielding inside a return-probed worker: each return is its own task instance', () => {
    const { m, e, out } = probed('threads');
    let most = 0;
    const byTask = new Map<number, bigint>();
    const rp = e.registerKretprobe(
      { symbol: 'worker' },
      {
        entryHandler: (_ri, regs) => {
          most = Math.max(most, e.kretprobes().inFlight() + 1);
          byTask.set(regs.tid, regs.arg(1));
        },
        handler: (_ri, regs) => void expect(byTask.get(regs.tid)).toBeDefined(),
      },
    );
    const yields = e.registerKprobe({ symbol: 'worker' }, {});
    expect(m.run()).toEqual({ kind: 'exit', status: 0 });
    expect(out()).toBe(readFileSync('fixtures/ia64/expected/threads.out', 'latin1'));
    expect([rp.nhit, rp.nmissed, yields.nhit]).toEqual([2, 0, 2]);
    expect([...byTask.values()].sort()).toEqual([1n, 2n]);
    expect(byTask.size).toBe(2);
    expect(most).toBe(2);
    expect(e.kretprobes().inFlight()).toBe(0);
  });
});

describe('IA-64 probes leave no trace', () => {
  it('with every slot of fib probed, a budget stops at the same slot as unprobed', () => {
    const plain = programMachine(FIX('fib'), [], { maxInsns: 100_003 }, './fib');
    const want = plain.m.run();
    plain.m.close();
    const { m, e, out } = probed('fib', [], undefined, { maxInsns: 100_003 });
    const fib = symbol(m.symbols, 'fib');
    for (const addr of slotAddresses(m).filter((a) => a >= fib.addr && a < fib.addr + fib.size))
      e.registerKprobe({ addr }, { postHandler: () => {} });
    e.registerKretprobe({ symbol: 'fib' }, { maxactive: 64 });
    expect(want.kind).toBe('budget');
    expect(m.run()).toEqual(want);
    expect(out()).toBe(plain.out());
  });

  it.each([1, 3, 7, 50])(
    'threads with every slot probed under a quantum of %i: the unprobed run',
    (quantum) => {
      const plain = programMachine(FIX('threads'), [], { quantum }, './threads');
      const want = plain.m.run();
      plain.m.close();
      const { m, e, out } = probed('threads', [], undefined, { quantum });
      let armed = 0;
      for (const addr of slotAddresses(m)) {
        try {
          e.registerKprobe({ addr }, { postHandler: () => {} });
          armed++;
        } catch (err) {
          // `mov r=ip` in _start, as in the everywhere test.
          if (!(err instanceof ProbeError) || !/`mov r=ip`/.test(err.message)) throw err;
        }
      }
      expect(armed).toBeGreaterThan(100);
      e.registerKretprobe({ symbol: 'worker' }, {});
      expect(m.run()).toEqual(want);
      expect(out()).toBe(plain.out());
      expect(out()).toBe(readFileSync('fixtures/ia64/expected/threads.out', 'latin1'));
    },
  );
});
