// `npm run soak [-- iterations]`: the whole fixture suite under random probe sets, many times in
// one process. Every probed run must print what the unprobed run printed and stop the same way;
// between runs nothing may pile up: no engine or saved context left open, no new koffi
// callback, resident memory flat. test/fuzz/soak.test.ts runs a short version of the same core.
import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import v8 from 'node:v8';
import vm from 'node:vm';
import fc from 'fast-check';
import { ISA_NAMES } from '../arch/index.js';
import { expected, fixture, fixtureArgs, fixtureNames } from '../fixtures/catalog.js';
import { loadDisassembler } from '../emu/disasm.js';
import { shellStatus, type Machine, type StopReason } from '../emu/machine.js';
import { openContextCount, openEngineCount, registeredCallbackCount } from '../emu/unicorn.js';
import { kprobes, ProbeError, type KprobeHandlers } from '../src/kprobes.js';
import type { KretprobeOptions } from '../src/kretprobes.js';
import { createMachine, loadElfFile } from '../src/run.js';

/** The seed of every probe set: iteration i of fixture f uses SEED + i * 7919 + hash(f). */
export const SEED = 20050627;

/**
 * Instructions a run may execute before it stops with 'budget': far above any fixture's
 * own count (spinwait, the longest, needs ~2.7 M), so only a probe that sends the guest
 * into a loop reaches it, and the run ends instead of hanging.
 */
export const MAX_INSNS = 50_000_000;

export type IsaName = (typeof ISA_NAMES)[number];

/**
 * Per-fixture run options. spinwait ends only with preemption (as in the differential
 * tests). regloop's default is 10 M loop iterations, a throughput workload: with a kprobe
 * in its loop that is 10 M traps (~80 s a run), so it runs a shorter loop here; its
 * unprobed run with the same argument is the reference.
 */
const OPTIONS: Record<string, { quantum?: number; args?: string[] }> = {
  spinwait: { quantum: 5000 },
  regloop: { args: ['20000'] },
};

/**
 * Functions of the displaced-stepping fixtures no return probe can leave unnoticed, found
 * by putting a kretprobe alone on each function of every fixture. Kprobes still go on them.
 */
const NO_RETURN_PROBE: Record<string, readonly string[]> = {
  dispstep: [
    // Reads its own return address (movq (%rsp),%rax): it sees the trampoline.
    'helper_retaddr',
    // Entered by a jmp with a flags image, not a return address, at the top of the stack.
    'test_popf',
  ],
  branches: [
    // Read their own return address (mflr, __builtin_return_address): the trampoline.
    'br_helper',
    'br_callee',
    'test_mflr',
    'test_sc',
    'test_bc_not_taken',
    'test_bdnz_not_taken',
    'test_beqlr_not_taken',
    'test_beqctr_not_taken',
    'test_bdnz_loop',
    // Entered by falling through or by a bdnz, not by a call.
    'br_bdnz_body',
  ],
};

export interface SoakFixture {
  isa: IsaName;
  name: string;
  path: string;
  args: string[];
  quantum: number;
  /** fixtures/expected outputs, when the fixture runs with the arguments they were made with. */
  expected: { stdout: string; status: number } | undefined;
}

/**
 * Every fixture of every ISA that ends on its own (has an expected .status; `forever` has
 * none), in ISA then name order. Paths are relative to the repository root (the cwd).
 */
export function soakFixtures(isas: readonly IsaName[] = ISA_NAMES): SoakFixture[] {
  const out: SoakFixture[] = [];
  for (const isa of isas)
    for (const name of fixtureNames(isa)) {
      const o = OPTIONS[name] ?? {};
      out.push({
        isa,
        name,
        path: fixture(isa, name),
        args: o.args ?? fixtureArgs(name),
        quantum: o.quantum ?? 0,
        expected: o.args ? undefined : expected(name),
      });
    }
  return out;
}

/** A function the probes may go on, with its instruction boundaries. */
interface ProbeTarget {
  name: string;
  addr: number;
  boundaries: number[];
}

/** What the unprobed run of a fixture did, and where probes may go. */
export interface Oracle {
  stdout: string;
  stop: StopReason;
  /** Executable segments as they read after the run (the loader may have patched them). */
  text: Uint8Array[];
  targets: ProbeTarget[];
  /** The targets a return probe may go on (NO_RETURN_PROBE left out). */
  returnTargets: ProbeTarget[];
}

interface Captured {
  m: Machine;
  out: () => string;
}

function machineFor(f: SoakFixture): Captured {
  const chunks: Buffer[] = [];
  const quiet = (): void => {};
  const m = createMachine(
    loadElfFile(f.path),
    {
      argv: [`./${f.name}`, ...f.args],
      stdout: (b) => void chunks.push(Buffer.from(b)),
      stderr: quiet,
      warn: quiet,
      maxInsns: MAX_INSNS,
      quantum: f.quantum,
    },
    f.path,
  );
  return { m, out: () => Buffer.concat(chunks).toString('latin1') };
}

const textOf = (m: Machine): Uint8Array[] =>
  m.image.segments.filter((s) => s.executable).map((s) => m.mem.read(s.vaddr, Number(s.memsz)));

/**
 * The unprobed run of `f`, checked against fixtures/expected where those apply, and the
 * instruction boundaries of its sized functions. Boundaries come from capstone, not from
 * the decoder the kprobe engine uses, so the two check each other: an address capstone
 * calls a boundary and the engine refuses shows up as an EILSEQ refusal in the counts.
 * Decoding stops at the first bytes capstone cannot decode (ppc64's `.long 0`).
 */
export async function unprobedRun(f: SoakFixture): Promise<Oracle> {
  const { m, out } = machineFor(f);
  try {
    const stop = m.run();
    const stdout = out();
    if (stop.kind === 'budget' || stop.kind === 'error' || stop.kind === 'deadlock')
      throw new Error(`${f.isa}/${f.name}: the unprobed run ended with ${show(stop)}`);
    if (f.expected && (stdout !== f.expected.stdout || shellStatus(stop) !== f.expected.status))
      throw new Error(
        `${f.isa}/${f.name}: the unprobed run differs from fixtures/expected: ` +
          `status ${shellStatus(stop)} (want ${f.expected.status}), ` +
          `stdout ${JSON.stringify(stdout)} (want ${JSON.stringify(f.expected.stdout)})`,
      );
    const dis = await loadDisassembler(m.isa.cpuKind);
    const targets: ProbeTarget[] = [];
    for (const fn of m.symbols.functions()) {
      if (fn.size === 0) continue;
      const insns = dis.decode(m.mem.read(fn.addr, fn.size), fn.addr);
      if (insns.length > 0)
        targets.push({ name: fn.name, addr: fn.addr, boundaries: insns.map((i) => i.address) });
    }
    const skip = new Set(NO_RETURN_PROBE[f.name] ?? []);
    return {
      stdout,
      stop,
      text: textOf(m),
      targets,
      returnTargets: targets.filter((t) => !skip.has(t.name)),
    };
  } finally {
    m.close();
  }
}

type KprobeKind = 'none' | 'empty' | 'count' | 'post';
type KretKind = 'none' | 'count' | 'entry';

/** One random probe set, as indices the run maps onto the fixture's functions. */
export interface ProbePlan {
  kprobes: { fn: number; at: number; kind: KprobeKind }[];
  kretprobes: { fn: number; maxactive: number; kind: KretKind }[];
}

const planArb: fc.Arbitrary<ProbePlan> = fc.record({
  kprobes: fc.array(
    fc.record({
      fn: fc.nat(),
      at: fc.nat(),
      kind: fc.constantFrom<KprobeKind>('none', 'empty', 'count', 'post'),
    }),
    { maxLength: 16 },
  ),
  kretprobes: fc.array(
    fc.record({
      fn: fc.nat(),
      maxactive: fc.integer({ min: 1, max: 20 }),
      kind: fc.constantFrom<KretKind>('none', 'count', 'entry'),
    }),
    { maxLength: 3 },
  ),
});

/** FNV-1a of a fixture's ISA and name: its seed does not depend on which fixtures run. */
function fixtureHash(f: SoakFixture): number {
  let h = 0x811c9dc5;
  for (const c of `${f.isa}/${f.name}`) h = Math.imul(h ^ c.charCodeAt(0), 0x01000193) >>> 0;
  return h;
}

export const seedOf = (f: SoakFixture, iteration: number): number =>
  (SEED + iteration * 7919 + fixtureHash(f)) | 0;

export function planFor(seed: number): ProbePlan {
  const [plan] = fc.sample(planArb, { seed, numRuns: 1 });
  if (!plan) throw new Error(`fast-check gave no probe plan for seed ${seed}`);
  return plan;
}

/** Totals over the runs of a soak. */
export interface SoakTotals {
  runs: number;
  kprobes: number;
  kretprobes: number;
  /** Registrations the engine refused, by error code. */
  refused: Record<string, number>;
  /** Kprobe hits (nhit) plus kretprobe returns handled (nhit). */
  hits: number;
  /** Return-probe calls missed for want of a free instance (nmissed). */
  missed: number;
  /** Calls of the counting handlers (pre, post, return). */
  calls: number;
  /** One line per run that differed from its unprobed run or broke a check. */
  failures: string[];
}

export const newTotals = (): SoakTotals => ({
  runs: 0,
  kprobes: 0,
  kretprobes: 0,
  refused: {},
  hits: 0,
  missed: 0,
  calls: 0,
  failures: [],
});

/** Stops as text, addresses in hex. */
export const show = (v: unknown): string =>
  JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? `0x${x.toString(16)}` : x));

function firstDifference(a: string, b: string): string {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return (
    `stdout differs at byte ${i}: ` +
    `expected ${JSON.stringify(a.slice(i, i + 40))}, got ${JSON.stringify(b.slice(i, i + 40))}`
  );
}

/** A byte as the text checks print it; a read past a segment's end has none. */
const hexByte = (b: number | undefined): string => (b === undefined ? 'nothing' : `0x${b.toString(16)}`);

function textDifference(want: Uint8Array[], got: Uint8Array[]): string | undefined {
  for (const [s, w] of want.entries()) {
    const g = got[s];
    if (!g) return `text segment ${s} is missing after unregistering`;
    const i = w.findIndex((x, k) => x !== g[k]);
    if (i >= 0)
      return (
        `text segment ${s} byte 0x${i.toString(16)} reads ${hexByte(g[i])} after unregistering, ` +
        `not ${hexByte(w[i])}`
      );
  }
  return undefined;
}

/** The element of `xs` that `n` picks (modulo their count), for a plan's random indices. */
function pick<T>(xs: readonly T[], n: number, what: string): T {
  const x = xs[n % xs.length];
  if (x === undefined) throw new Error(`no ${what} to pick from`);
  return x;
}

function kprobeHandlers(kind: KprobeKind, counter: { n: number }): KprobeHandlers {
  switch (kind) {
    case 'none':
      return {};
    case 'empty':
      return { preHandler: () => 0 };
    case 'count':
      return { preHandler: () => void counter.n++ };
    case 'post':
      return { preHandler: () => void counter.n++, postHandler: () => void counter.n++ };
  }
}

/** Instance data the entry handler leaves for the return handler to find. */
const MARK = 0xa5;

function kretOptions(
  kind: KretKind,
  maxactive: number,
  counter: { n: number; lost: number },
): KretprobeOptions {
  switch (kind) {
    case 'none':
      return { maxactive };
    case 'count':
      return { maxactive, handler: () => void counter.n++ };
    case 'entry':
      return {
        maxactive,
        dataSize: 1,
        entryHandler: (ri) => {
          ri.data[0] = MARK;
          return 0;
        },
        handler: (ri) => {
          counter.n++;
          if (ri.data[0] !== MARK) counter.lost++;
        },
      };
  }
}

/**
 * One probed run of `f` with the probe set of `seed`: register, run, check against the
 * oracle (stdout, stop, invariants before and after unregistering, text bytes restored),
 * unregister, close; then no engine may be open. Adds to `totals`; never throws for a
 * mismatch (it is recorded), so one bad run does not end a soak.
 */
export function probedRun(f: SoakFixture, o: Oracle, seed: number, totals: SoakTotals): void {
  const plan = planFor(seed);
  const tag = `${f.isa}/${f.name} seed ${seed}`;
  const fail = (what: string) => void totals.failures.push(`${tag}: ${what}`);
  const refuse = (e: unknown) => {
    if (!(e instanceof ProbeError)) throw e;
    totals.refused[e.code] = (totals.refused[e.code] ?? 0) + 1;
  };
  totals.runs++;
  const counter = { n: 0, lost: 0 };
  const { m, out } = machineFor(f);
  try {
    const e = kprobes(m);
    const { targets, returnTargets } = o;
    const kps = [];
    for (const k of plan.kprobes) {
      const t = pick(targets, k.fn, 'probe targets');
      try {
        kps.push(
          e.registerKprobe(
            { addr: pick(t.boundaries, k.at, `instruction boundaries in ${t.name}`) },
            kprobeHandlers(k.kind, counter),
          ),
        );
        totals.kprobes++;
      } catch (err) {
        refuse(err);
      }
    }
    const rps = [];
    for (const r of plan.kretprobes) {
      try {
        rps.push(
          e.registerKretprobe(
            { addr: pick(returnTargets, r.fn, 'return-probe targets').addr },
            kretOptions(r.kind, r.maxactive, counter),
          ),
        );
        totals.kretprobes++;
      } catch (err) {
        refuse(err);
      }
    }
    const stop = m.run();
    const stdout = out();
    if (stdout !== o.stdout) fail(firstDifference(o.stdout, stdout));
    if (show(stop) !== show(o.stop)) fail(`stopped with ${show(stop)}, unprobed ${show(o.stop)}`);
    if (counter.lost > 0) fail(`${counter.lost} return handler(s) found their instance data changed`);
    const bad = e.checkInvariants();
    if (bad.length > 0) fail(`invariants after the run: ${bad.join('; ')}`);
    totals.calls += counter.n;
    for (const p of kps) totals.hits += p.nhit;
    for (const rp of rps) {
      totals.hits += rp.nhit;
      totals.missed += rp.nmissed;
    }
    e.unregisterAll();
    const after = e.checkInvariants();
    if (after.length > 0) fail(`invariants after unregistering: ${after.join('; ')}`);
    const text = textDifference(o.text, textOf(m));
    if (text) fail(text);
  } catch (err) {
    fail(`threw ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`);
  } finally {
    m.close();
  }
  if (openEngineCount() !== 0) fail(`${openEngineCount()} Unicorn engine(s) open after close`);
}

/** global.gc, from --expose-gc or, failing that, turned on now. */
export function getGc(): () => void {
  const g = (globalThis as { gc?: () => void }).gc;
  if (g) return g;
  v8.setFlagsFromString('--expose-gc');
  return vm.runInNewContext('gc') as () => void;
}

export interface MemorySample {
  rss: number;
  heapUsed: number;
}

/** Memory after a full collection, in bytes. */
export function sampleMemory(gc: () => void): MemorySample {
  gc();
  const { rss, heapUsed } = process.memoryUsage();
  return { rss, heapUsed };
}

/** The soak: fixtures, their oracles, totals; the callers decide how to slice the iterations. */
export class Soak {
  readonly oracles = new Map<SoakFixture, Oracle>();
  readonly totals = newTotals();
  /** registeredCallbackCount() after the first probed run. */
  callbacks: number | undefined;

  constructor(readonly fixtures: readonly SoakFixture[]) {}

  /** Unprobed runs of every fixture (once: they are the reference of every iteration). */
  async prepare(): Promise<void> {
    for (const f of this.fixtures) if (!this.oracles.has(f)) this.oracles.set(f, await unprobedRun(f));
  }

  /** One probed run of each fixture in `which` (default all) with iteration `i`'s probe sets. */
  iteration(i: number, which: (f: SoakFixture) => boolean = () => true): void {
    for (const f of this.fixtures) {
      if (!which(f)) continue;
      const oracle = this.oracles.get(f);
      if (!oracle) throw new Error(`${f.isa}/${f.name}: no unprobed run to compare with (prepare() first)`);
      probedRun(f, oracle, seedOf(f, i), this.totals);
      const n = registeredCallbackCount();
      this.callbacks ??= n;
      if (n !== this.callbacks)
        this.totals.failures.push(
          `${f.isa}/${f.name} iteration ${i}: ` +
            `${n} koffi callbacks registered, ${this.callbacks} after the first run`,
        );
    }
  }
}

const MB = (n: number): string => (n / 2 ** 20).toFixed(1);

/** Why the soak fails (empty when it passes): mismatches, open engines, callbacks, RSS growth. */
export function verdict(s: Soak, start: MemorySample, end: MemorySample): string[] {
  const out: string[] = [];
  if (s.totals.failures.length > 0)
    out.push(`${s.totals.failures.length} run(s) differed from their unprobed runs or broke a check`);
  if (openEngineCount() !== 0) out.push(`${openEngineCount()} Unicorn engine(s) left open`);
  if (openContextCount() !== 0) out.push(`${openContextCount()} saved context(s) left open`);
  if (s.callbacks !== undefined && registeredCallbackCount() !== s.callbacks)
    out.push(`koffi callbacks: ${registeredCallbackCount()} now, ${s.callbacks} after the first run`);
  const allowed = Math.max(start.rss * 0.25, 64 * 2 ** 20);
  if (end.rss - start.rss > allowed)
    out.push(`RSS grew by ${MB(end.rss - start.rss)} MB (allowed ${MB(allowed)} MB)`);
  return out;
}

/** The summary table (markdown). */
export function table(s: Soak, iterations: number, samples: MemorySample[], seconds: number): string {
  const t = s.totals;
  const start = samples.at(0);
  const end = samples.at(-1);
  if (!start || !end) throw new Error('the soak table needs at least one memory sample');
  const max = Math.max(...samples.map((x) => x.rss));
  const refused =
    Object.entries(t.refused)
      .map(([k, n]) => `${k} ${n}`)
      .join(', ') || 'none';
  const rows: [string, string][] = [
    ['iterations', `${iterations} (+1 warm-up), ${s.fixtures.length} fixtures each`],
    ['runs (probed)', `${t.runs}`],
    ['probes registered', `${t.kprobes} kprobes, ${t.kretprobes} kretprobes (refused: ${refused})`],
    ['hits', `${t.hits} (handler calls ${t.calls}, kretprobe misses ${t.missed})`],
    ['mismatches', `${t.failures.length}`],
    ['RSS start / end / max (MB)', `${MB(start.rss)} / ${MB(end.rss)} / ${MB(max)}`],
    ['heap used start / end (MB)', `${MB(start.heapUsed)} / ${MB(end.heapUsed)}`],
    ['openEngineCount()', `${openEngineCount()}`],
    ['openContextCount()', `${openContextCount()}`],
    [
      'registeredCallbackCount()',
      `${registeredCallbackCount()} (after the first run: ${s.callbacks ?? 'n/a'})`,
    ],
    ['time', `${seconds.toFixed(1)} s`],
  ];
  return (
    ['| soak, seed ' + SEED + ' | |', '|---|---:|', ...rows.map(([k, v]) => `| ${k} | ${v} |`)].join('\n') +
    '\n'
  );
}

async function main(): Promise<void> {
  const iterations = Number(process.argv[2] ?? 20);
  if (!Number.isInteger(iterations) || iterations < 1) {
    process.stderr.write(`usage: soak [iterations]: a positive integer, not ${process.argv[2]}\n`);
    process.exitCode = 2;
    return;
  }
  const t0 = performance.now();
  const gc = getGc();
  const s = new Soak(soakFixtures());
  await s.prepare();
  s.iteration(0);
  const first = sampleMemory(gc);
  const samples = [first];
  let last = first;
  for (let i = 1; i <= iterations; i++) {
    s.iteration(i);
    last = sampleMemory(gc);
    samples.push(last);
    process.stderr.write(
      `iteration ${i}/${iterations}: RSS ${MB(last.rss)} MB, heap ${MB(last.heapUsed)} MB, ` +
        `${s.totals.failures.length} mismatches\n`,
    );
  }
  process.stdout.write(table(s, iterations, samples, (performance.now() - t0) / 1000));
  for (const f of s.totals.failures.slice(0, 20)) process.stdout.write(`mismatch: ${f}\n`);
  if (s.totals.failures.length > 20) process.stdout.write(`... and ${s.totals.failures.length - 20} more\n`);
  const bad = verdict(s, first, last);
  for (const b of bad) process.stdout.write(`FAIL: ${b}\n`);
  process.exitCode = bad.length > 0 ? 1 : 0;
}

// Run only as a script: the soak test imports this file for its core.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href)
  await main();
