// One labelled case per special instruction (fixtures/src/dispstep_*.S, after gdb's
// amd64-disp-step.S): a probe on each case's first instruction must leave the program's
// checks passing. Each case checks its own effect, so a missing fix-up prints FAIL or
// crashes: call rel32 (pushed return address), jcc taken / not taken, jcxz, jmp rel8/rel32,
// loop, ret imm16, indirect call/jmp through memory and through a register, pushf/popf,
// rep ret, RIP-relative loads and stores (absolute on i386, which must not be adjusted),
// 66/segment prefixes, REX, and the system call instruction.
import { afterEach, describe, expect, it } from 'vitest';
import { expected } from '../helpers.js';
import { checkAndClose, executionCounts, probed } from './support.js';

afterEach(checkAndClose);

const want = expected('dispstep');
const CASES = [...want.stdout.matchAll(/^(test_\w+) ok$/gm)].map((m) => m[1]!).filter((c, i, a) => a.indexOf(c) === i);

describe.each(['x86_64', 'i386'] as const)('%s', (isa) => {
  // How often each case's first instruction runs (test_loop's loop runs 3 times a pass).
  const { counts } = executionCounts(isa, 'dispstep', []);
  const runs = (m: { symbols: { lookup(n: string): { addr: bigint } | undefined } }, c: string) => counts.get(m.symbols.lookup(c)!.addr) ?? 0;
  it('the fixture names every class', () => {
    for (const c of ['test_call', 'test_jcc_taken', 'test_jcc_not_taken', 'test_loop', 'test_ret_imm16', 'test_call_indirect_mem', 'test_jmp_indirect_mem', 'test_pushf', 'test_rep_ret', 'test_rip_load', 'test_rip_store', 'test_syscall'])
      expect(CASES).toContain(c);
  });

  it.each(CASES)('%s stepped out of line: its check passes, pre and post run on both passes', (c) => {
    const { m, e, out } = probed(isa, 'dispstep');
    let post = 0;
    const p = e.registerKprobe({ symbol: c }, { postHandler: () => void post++ });
    expect(m.run()).toEqual({ kind: 'exit', status: 0 });
    expect(out()).toBe(want.stdout);
    expect(p.nhit).toBe(runs(m, c));
    expect(p.nhit).toBeGreaterThanOrEqual(2);
    expect(post).toBe(p.nhit);
  });

  it('all cases probed at once', () => {
    const { m, e, out } = probed(isa, 'dispstep');
    const probes = CASES.map((c) => e.registerKprobe({ symbol: c }, {}));
    expect(m.run()).toEqual({ kind: 'exit', status: 0 });
    expect(out()).toBe(want.stdout);
    expect(probes.map((p) => p.nhit)).toEqual(CASES.map((c) => runs(m, c)));
  });
});
