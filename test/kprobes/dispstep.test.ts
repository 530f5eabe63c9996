// One labelled case per special instruction: a probe on each case's first instruction must
// leave the program's checks passing. Each case checks its own effect, so a missing fix-up
// prints FAIL or crashes.
// - x86 (fixtures/src/dispstep_*.S, after gdb's amd64-disp-step.S): call rel32 (pushed return
//   address), jcc taken / not taken, jcxz, jmp rel8/rel32, loop, ret imm16, indirect call/jmp
//   through memory and through a register, pushf/popf, pause (emulated), rep ret, REP string
//   instructions (run whole in one step, one hit per execution), RIP-relative loads and
//   stores and a VEX.128 one (absolute on i386, which must not be adjusted), 66/segment
//   prefixes, REX, and the system call instruction.
// - ppc64 (fixtures/src/branches_ppc64.S): every branch class emulated at the hit (bl, b,
//   bc, the bdnz family with CTR decremented once, blr and conditional returns, blrl, bctr,
//   bctrl through an ELFv1 descriptor, bcl), plus sc and mflr stepped in the slot.
import { afterEach, describe, expect, it } from 'vitest';
import { ppc64KprobeArch, type PpcAinsn } from '../../arch/ppc64/kprobes.js';
import { PPC_REG } from '../../arch/ppc64/isa.js';
import type { KprobeArch } from '../../arch/kprobe-arch.js';
import type { Machine } from '../../emu/machine.js';
import type { Kprobe } from '../../src/kprobe.js';
import { kprobes } from '../../src/kprobes.js';
import { expected, fixture, ISAS, present, symbol } from '../helpers.js';
import { observe } from './observe.js';
import { checkAndClose, executionCounts, probed } from './support.js';

afterEach(checkAndClose);

const FIXTURE = { x86_64: 'dispstep', i386: 'dispstep', ppc64: 'branches' } as const;
const cases = (name: string) =>
  [...expected(name).stdout.matchAll(/^(test_\w+) ok$/gm)]
    .map((m) => present(m[1], `the case name in ${JSON.stringify(m[0])}`))
    .filter((c, i, a) => a.indexOf(c) === i);
/** The x86 classes each fixture must name (i386 and x86_64 share them). */
const X86_MUST_HAVE = [
  'test_call',
  'test_jcc_taken',
  'test_jcc_not_taken',
  'test_loop',
  'test_ret_imm16',
  'test_call_indirect_mem',
  'test_jmp_indirect_mem',
  'test_pushf',
  'test_pause',
  'test_rep_ret',
  'test_rip_load',
  'test_vex_rip',
  'test_rip_store',
  'test_syscall',
  'test_rep_stos',
  'test_rep_movs',
  'test_repe_cmps',
];
/** The REP string cases: a probe hits them once an execution, not once an iteration. */
const REP_CASES = ['test_rep_stos', 'test_rep_movs', 'test_repe_cmps'];
const MUST_HAVE = {
  x86_64: X86_MUST_HAVE,
  i386: X86_MUST_HAVE,
  ppc64: [
    'test_bl',
    'test_b',
    'test_bc_taken',
    'test_bc_not_taken',
    'test_bdnz_taken',
    'test_bdnz_loop',
    'test_blr',
    'test_bctrl',
    'test_bclrl',
    'test_bcl',
    'test_sc',
  ],
};

describe.each(ISAS)('%s', (isa) => {
  const name = FIXTURE[isa];
  const want = expected(name);
  const CASES = cases(name);
  // How often each case's first instruction runs (loops run it several times a pass).
  const { counts } = executionCounts(isa, name, []);
  const runs = (m: { symbols: { lookup(n: string): { addr: number } | undefined } }, c: string) =>
    counts.get(symbol(m.symbols, c).addr) ?? 0;
  it('the fixture names every class', () => {
    for (const c of MUST_HAVE[isa]) expect(CASES).toContain(c);
  });

  it.each(CASES)('%s stepped out of line: its check passes, pre and post run on both passes', (c) => {
    const { m, e, out } = probed(isa, name);
    let post = 0;
    const p = e.registerKprobe({ symbol: c }, { postHandler: () => void post++ });
    expect(m.run()).toEqual({ kind: 'exit', status: 0 });
    expect(out()).toBe(want.stdout);
    expect(p.nhit).toBe(runs(m, c));
    expect(p.nhit).toBeGreaterThanOrEqual(2);
    expect(post).toBe(p.nhit);
  });

  it.runIf(isa !== 'ppc64').each(REP_CASES)(
    '%s probed: every iteration in one step, the count and clock of the unprobed run',
    (c) => {
      const path = fixture(isa, name);
      const plain = observe(path, { quantum: 1000 });
      let p: Kprobe | undefined;
      const setUp = (m: Machine) => ((p = kprobes(m).registerKprobe({ symbol: c }, {})), 1);
      const once = observe(path, { quantum: 1000 }, { setUp });
      expect(once.run).toEqual(plain.run);
      // Two calls a pass (a count of bytes, then 0), two passes.
      expect(p?.nhit).toBe(4);
    },
  );

  it('all cases probed at once', () => {
    const { m, e, out } = probed(isa, name);
    const probes = CASES.map((c) => e.registerKprobe({ symbol: c }, {}));
    expect(m.run()).toEqual({ kind: 'exit', status: 0 });
    expect(out()).toBe(want.stdout);
    expect(probes.map((p) => p.nhit)).toEqual(CASES.map((c) => runs(m, c)));
  });
});

/**
 * The ppc64 cases catch the fix-ups they are for: an engine with one fix-up broken makes the
 * probed case print FAIL or the program die, while the correct engine passes (above).
 */
describe('ppc64: each broken branch fix-up is caught by its case', () => {
  const good = ppc64KprobeArch();
  /** The correct arch with setupSinglestep for branches replaced. */
  const broken = (setup: KprobeArch<PpcAinsn>['setupSinglestep']): KprobeArch<PpcAinsn> => ({
    ...good,
    setupSinglestep: (cpu, a, addr, slot, st) =>
      a.cls === 'branch' ? setup(cpu, a, addr, slot, st) : good.setupSinglestep(cpu, a, addr, slot, st),
  });
  const lk = (a: PpcAinsn) => (a.insn & 1) === 1;
  const decrements = (a: PpcAinsn) => a.insn >>> 26 !== 18 && ((a.insn >>> 21) & 4) === 0;
  /** The correct emulation, with `reg` put back as it was before it for the branches `when` picks. */
  const unchanged = (reg: number, when: (a: PpcAinsn) => boolean) =>
    broken((cpu, a, addr, slot, st) => {
      const before = cpu.regRead(reg);
      const plan = good.setupSinglestep(cpu, a, addr, slot, st);
      if (when(a)) cpu.regWrite(reg, before);
      return plan;
    });
  const MUTANTS: [string, KprobeArch<PpcAinsn>, string[]][] = [
    [
      'LR not set by linking branches',
      unchanged(PPC_REG.lr, lk),
      ['test_bl', 'test_lbl', 'test_lbl_not_taken', 'test_bclrl', 'test_bctrl', 'test_bcl'],
    ],
    [
      'LR pointing into the slot (slot + 4)',
      broken((cpu, a, addr, slot, st) => {
        const plan = good.setupSinglestep(cpu, a, addr, slot, st);
        if (lk(a)) cpu.regWrite(PPC_REG.lr, slot + 4);
        return plan;
      }),
      ['test_bl', 'test_lbl', 'test_lbl_not_taken', 'test_bclrl', 'test_bctrl', 'test_bcl'],
    ],
    [
      'CTR decremented twice (2.6.12: stepped, then emulated)',
      broken((cpu, a, addr, slot, st) => {
        if (decrements(a)) cpu.regWrite(PPC_REG.ctr, cpu.regRead(PPC_REG.ctr) - 1n);
        return good.setupSinglestep(cpu, a, addr, slot, st);
      }),
      ['test_bdnz_taken', 'test_bdnz_not_taken', 'test_bdnz_loop', 'test_bdz', 'test_bdnzf', 'test_bdnzlr'],
    ],
    [
      'CTR not decremented',
      unchanged(PPC_REG.ctr, decrements),
      ['test_bdnz_taken', 'test_bdnz_not_taken', 'test_bdnz_loop', 'test_bdz', 'test_bdnzf', 'test_bdnzlr'],
    ],
    [
      'target relative to the slot',
      broken((cpu, a, addr, slot, st) => {
        const plan = good.setupSinglestep(cpu, a, addr, slot, st);
        const relative = (a.insn & 2) === 0 && (a.insn >>> 26 === 18 || a.insn >>> 26 === 16);
        const pc = cpu.regReadAddr(PPC_REG.pc);
        if (relative && pc !== addr + 4) cpu.regWrite(PPC_REG.pc, pc - addr + slot);
        return plan;
      }),
      [
        'test_bl',
        'test_lbl',
        'test_b',
        'test_b_back',
        'test_bc_taken',
        'test_bdnz_taken',
        'test_bdnz_loop',
        'test_bdz',
        'test_bdnzf',
      ],
    ],
    [
      'branches stepped in the slot like other instructions',
      {
        ...good,
        setupSinglestep: (cpu, a, addr, slot, st) =>
          good.setupSinglestep(cpu, { ...a, cls: a.cls === 'branch' ? 'step' : a.cls }, addr, slot, st),
      },
      // blr and bctr have absolute targets: run from the slot they land right (the trap after
      // the copy is skipped, the step never ends, which the invariants would report).
      ['test_bl', 'test_b', 'test_bc_taken', 'test_bdnz_taken', 'test_bctrl', 'test_bclrl', 'test_bcl'],
    ],
  ];
  it.each(MUTANTS)('%s', (_n, arch, victims) => {
    for (const c of victims) {
      const { m, e, out } = probed('ppc64', 'branches', [], {}, arch);
      e.registerKprobe({ symbol: c });
      const stop = m.run();
      m.close();
      const caught = stop.kind !== 'exit' || stop.status !== 0 || out().includes(`${c} FAIL`);
      expect(caught, `${c} passes with the broken fix-up`).toBe(true);
      // Only the probed case is affected: no other case fails.
      expect(
        out()
          .split('\n')
          .filter((l) => l.endsWith(' FAIL') && !l.startsWith(`${c} `)),
      ).toEqual([]);
    }
  });
});
