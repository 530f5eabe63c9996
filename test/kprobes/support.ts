// Shared set-up for the kprobe suites: a machine with an engine, captured output, and the
// invariants every test ends with.
import { expect } from 'vitest';
import { DecodeError, decodeX86, isRepString } from '../../arch/x86/decode.js';
import { loadDisassembler } from '../../emu/disasm.js';
import type { Machine, StopReason } from '../../emu/machine.js';
import { KprobeEngine, kprobes } from '../../src/kprobes.js';
import type { KprobeArch } from '../../arch/kprobe-arch.js';
import { createMachine, loadElfFile } from '../../src/run.js';
import { fixture, type IsaName } from '../helpers.js';

/** An instruction of a fixture function, decoded by capstone: its offset in the function. */
export interface FunctionInsn {
  off: number;
  size: number;
  mnemonic: string;
  opStr: string;
}

/** The instructions of function `sym` of fixture `name`, decoded as the fixture has them. */
export async function functionInsns(isa: IsaName, name: string, sym: string): Promise<FunctionInsn[]> {
  const m = createMachine(loadElfFile(fixture(isa, name)), {
    argv: [name],
    stdout: () => {},
    stderr: () => {},
    warn: () => {},
  });
  try {
    const f = m.symbols.lookup(sym);
    if (!f) throw new Error(`${name} has no ${sym}`);
    const d = await loadDisassembler(m.isa.cpuKind);
    return d
      .decode(m.mem.read(f.addr, f.size), f.addr)
      .map((i) => ({ off: i.address - f.addr, size: i.size, mnemonic: i.mnemonic, opStr: i.opStr }));
  } finally {
    m.close();
  }
}

/** The first instruction of `insns` that `pick` accepts; throws naming `what` when none does. */
export function findInsn(
  insns: FunctionInsn[],
  what: string,
  pick: (i: FunctionInsn) => boolean,
): FunctionInsn {
  const i = insns.find(pick);
  if (!i) throw new Error(`no ${what} among: ${insns.map((x) => `${x.mnemonic} ${x.opStr}`).join('; ')}`);
  return i;
}

/** The ktest fixture's default argument (fixtures/src/ktest.c: 0x12345678, as the kernel's test_kprobes' rand1). */
export const KTEST_ARG = 305419896n;

export interface Probed {
  m: Machine;
  e: KprobeEngine<unknown>;
  out: () => string;
}

const open: Probed[] = [];

/** A machine for the program at `path` (started as `argv0`) with its stdout captured. */
export function programMachine(
  path: string,
  args: string[],
  opts: Record<string, unknown>,
  argv0 = path,
): { m: Machine; out: () => string } {
  const chunks: Buffer[] = [];
  const m = createMachine(loadElfFile(path), {
    argv: [argv0, ...args],
    stdout: (b) => chunks.push(Buffer.from(b)),
    stderr: () => {},
    warn: () => {},
    ...opts,
  });
  return { m, out: () => Buffer.concat(chunks).toString('latin1') };
}

/** A machine for a fixture with its stdout captured. */
export function fixtureMachine(
  isa: IsaName,
  name: string,
  args: string[],
  opts: Record<string, unknown>,
): { m: Machine; out: () => string } {
  return programMachine(fixture(isa, name), args, opts, `./${name}`);
}

/** A fixture machine with a kprobe engine: the ISA's own, or one built on `arch` (mutants). */
export function probed(
  isa: IsaName,
  name: string,
  args: string[] = [],
  opts: Record<string, unknown> = {},
  arch?: KprobeArch<unknown>,
): Probed {
  const { m, out } = fixtureMachine(isa, name, args, opts);
  const p = { m, e: arch ? (new KprobeEngine(m, arch) as KprobeEngine<unknown>) : kprobes(m), out };
  // A mutant engine breaks invariants on purpose: its test closes the machine itself.
  if (!arch) open.push(p);
  return p;
}

/**
 * After every kprobe test: probes armed/removed as claimed, no half-done step; engines closed.
 * Then one turn of the event loop: runs are synchronous, and a file of them that never lets
 * the worker read its messages makes vitest's 60 s RPC timeout fire.
 */
export async function checkAndClose(): Promise<void> {
  const all = open.splice(0);
  for (const p of all) {
    const bad = p.e.checkInvariants();
    p.m.close();
    expect(bad, 'kprobe invariants').toEqual([]);
  }
  await new Promise((resolve) => setImmediate(resolve));
}

/**
 * Where each instruction of function `f` starts: decoded from its start on x86 (up to what
 * the decoder does not take: data, or an instruction it does not know), every word on ppc64
 * but those with primary opcode 0 (fixed-width; the fixtures carry no traceback tables).
 */
export function functionBoundaries(m: Machine, f: { addr: number; size: number }): number[] {
  const mode = m.isa.wordSize === 8 ? 64 : 32;
  const out: number[] = [];
  const end = f.addr + f.size;
  for (let a = f.addr; m.isa.name === 'ppc64' ? a + 4 <= end : a < end;) {
    if (m.isa.name === 'ppc64') {
      // A word with primary opcode 0 is no instruction (a jump table, or a fixture's illegal
      // word): the arch refuses a probe there.
      if ((m.mem.read(a, 1)[0] ?? 0) >>> 2 !== 0) out.push(a);
      a += 4;
    } else {
      out.push(a);
      try {
        a += decodeX86(m.mem.read(a, Math.min(15, end - a)), mode).len;
      } catch (e) {
        if (e instanceof DecodeError) break;
        throw e;
      }
    }
  }
  return out;
}

/** Every instruction boundary of every sized function (functionBoundaries). */
export function instructionBoundaries(m: Machine): number[] {
  return m.symbols.functions().flatMap((f) => (f.size === 0 ? [] : functionBoundaries(m, f)));
}

/** A REP-prefixed string instruction: a code hook sees it once an iteration. */
function repStringAt(m: Machine, a: number): boolean {
  if (m.isa.name === 'ppc64') return false;
  try {
    return isRepString(decodeX86(m.mem.read(a, 15), m.isa.wordSize === 8 ? 64 : 32));
  } catch (e) {
    if (e instanceof DecodeError) return false;
    throw e;
  }
}

/** Independent oracle: how often each address executed, from a UC_HOOK_CODE in its own run. */
export function executionCounts(
  isa: IsaName,
  name: string,
  args: string[],
  opts: Record<string, unknown> = {},
): { counts: Map<number, number>; stdout: string; stop: StopReason } {
  return executionCountsOf(fixtureMachine(isa, name, args, opts));
}

/** The same oracle for any program's machine (before it ran). */
export function executionCountsOf({ m, out }: { m: Machine; out: () => string }): {
  counts: Map<number, number>;
  stdout: string;
  stop: StopReason;
} {
  const counts = new Map<number, number>();
  const inner = m.engine.handlers.code;
  // A REP string instruction executes once however many iterations it runs: each iteration
  // after its first comes straight after the one before, in the same task.
  const rep = new Map<number, boolean>();
  const last = new Map<number, number>();
  m.engine.handlers.code = (a) => {
    const tid = m.sched.current.tid;
    let isRep = rep.get(a);
    if (isRep === undefined) rep.set(a, (isRep = repStringAt(m, a)));
    if (!(isRep && last.get(tid) === a)) counts.set(a, (counts.get(a) ?? 0) + 1);
    last.set(tid, a);
    inner?.(a);
  };
  // Around the machine's own code hooks (emulated instructions): Unicorn 2.1 calls every
  // hook covering an address, so a second one there would count the instruction twice.
  const text = m.image.segments.filter((s) => s.executable);
  for (const s of text) {
    let from = s.vaddr;
    const end = s.vaddr + s.memsz;
    for (const at of m.codeHooks()) {
      if (at < from || at >= end) continue;
      if (at > from) m.engine.traceCode(from, at - 1);
      from = at + 1;
    }
    if (from < end) m.engine.traceCode(from, end - 1);
  }
  const stop = m.run();
  m.close();
  return { counts, stdout: out(), stop };
}
