// The probe half of `npm run bench`: what a probe costs, as ratios against what Unicorn
// itself costs (a bare trap round trip, a UC_HOOK_CODE on one address), measured side by
// side in this run, with the absolute times beside them.
import { spawnSync } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { ppc64 } from '../arch/ppc64/isa.js';
import type { Machine } from '../emu/machine.js';
import type { EngineHandlers } from '../emu/engine.js';
import type { Cpu } from '../emu/isa.js';
import { engineHasVirtualTlb, UnicornEngine } from '../emu/unicorn-engine.js';
import { x86_64, i386 } from '../arch/x86/isa.js';
import { decodeX86 } from '../arch/x86/decode.js';
import { kprobes, type KprobeEngine } from '../src/kprobes.js';
import { blockWriter } from '../src/output.js';
import { createMachine, loadElfFile } from '../src/run.js';
import { TraceSink } from '../src/trace/sink.js';

export type Isa = 'x86_64' | 'i386' | 'ppc64';
const sink = (): void => {};

/** Microseconds per event from two times (ms) and an event count. */
const per = (ms: number, base: number, n: number): number => ((ms - base) * 1000) / n;

/**
 * `repeat` interleaved rounds of the variants (each round runs every variant once, back to
 * back). A figure is taken within each round, from that round's times, and the median over
 * rounds is reported: a difference or ratio of bests would pair runs from different moments
 * of a noisy machine.
 */
export function rounds(repeat: number, variants: (() => number)[]): Rounds {
  const all: number[][] = [];
  for (let i = 0; i < repeat; i++) all.push(variants.map((v) => v()));
  return {
    median: (figure) => median(all.map(figure)),
    quartiles: (figure) => {
      const xs = all.map(figure);
      return [quantile(xs, 0.25), quantile(xs, 0.75)];
    },
  };
}

/** The rounds of a group: a figure's median over them, and its quartiles (the middle half of the rounds). */
export interface Rounds {
  median(figure: (times: number[]) => number): number;
  quartiles(figure: (times: number[]) => number): [number, number];
}

/** The q-quantile of `xs`, linear between order statistics (R's type 7; 0.5 is the median). */
function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  const at = (s.length - 1) * q;
  const lo = Math.floor(at);
  const hi = Math.min(lo + 1, s.length - 1);
  const below = s[lo];
  const above = s[hi];
  if (below === undefined || above === undefined)
    throw new Error(`quantile ${q} of ${xs.length} values: none at ${lo} or ${hi}`);
  return below + (above - below) * (at - lo);
}

/** A run to time, and its best (least) time so far, ms. */
export interface Variant {
  run: () => number;
  best: number;
}
export const variant = (run: () => number): Variant => ({ run, best: Infinity });

/** Best of `repeat` interleaved rounds of each variant, kept in its `best`. */
export function bestOfSync(repeat: number, variants: readonly Variant[]): void {
  for (let i = 0; i < repeat; i++) for (const v of variants) v.best = Math.min(v.best, v.run());
}

function median(xs: number[]): number {
  return quantile(xs, 0.5);
}

/** One run of the synthetic loop of `n` rounds: a breakpoint, an empty UC_HOOK_CODE, or neither (ms). */
export function engineLoop(isa: Isa, kind: 'nop' | 'trap' | 'code', n: number): number {
  let code: Uint8Array;
  let body: number;
  const base = 0x10000;
  const pc = isaSpec(isa).pcReg;
  const u = bareEngine(isa, { trap: () => u.regWrite(pc, u.regRead(pc)) });
  if (isa === 'ppc64') {
    // lis r3,hi; ori r3,r3,lo; mtctr r3; L: trap|nop; bdnz L
    const words = [
      0x3c600000 | (n >>> 16),
      0x60630000 | (n & 0xffff),
      0x7c6903a6,
      kind === 'trap' ? 0x7fe00008 : 0x60000000,
      0x4200fffc,
    ];
    code = new Uint8Array(words.length * 4);
    words.forEach((w, i) => new DataView(code.buffer).setUint32(i * 4, w >>> 0, false));
    body = base + 12;
  } else {
    // mov ecx, N; L: int3|nop; dec ecx; jnz L
    code = Uint8Array.of(
      0xb9,
      n & 0xff,
      (n >> 8) & 0xff,
      (n >> 16) & 0xff,
      (n >>> 24) & 0xff,
      kind === 'trap' ? 0xcc : 0x90,
      0xff,
      0xc9,
      0x75,
      0xfb,
    );
    body = base + 5;
  }
  try {
    const page = new Uint8Array(0x1000);
    page.set(code);
    u.map(base, page, 7);
    if (kind === 'code') {
      u.handlers.code = sink;
      u.traceCode(body, body);
    }
    const t = process.hrtime.bigint();
    u.run(base, base + code.length);
    return Number(process.hrtime.bigint() - t) / 1e6;
  } finally {
    u.close();
  }
}

/**
 * Unicorn's own costs on a synthetic loop of N rounds: a breakpoint whose hook reads PC and
 * writes it back (the "bare trap"), an empty UC_HOOK_CODE on one address, and neither.
 */
export function engineCosts(
  isa: Isa,
  n: number,
  repeat: number,
): { bareTrapUs: number; codeHookUs: number; loopMs: number; regReadUs: number; contextBytes: number } {
  const loop = (kind: 'nop' | 'trap' | 'code'): number => engineLoop(isa, kind, n);
  // One register read through koffi (uc_reg_read of PC), what fetching an argument costs.
  const reads = (): number => {
    const u = bareEngine(isa, {});
    try {
      const pc = isaSpec(isa).pcReg;
      const t = process.hrtime.bigint();
      for (let i = 0; i < n; i++) u.regRead(pc);
      return Number(process.hrtime.bigint() - t) / 1e6;
    } finally {
      u.close();
    }
  };
  const nop = variant(() => loop('nop'));
  const trap = variant(() => loop('trap'));
  const hook = variant(() => loop('code'));
  const read = variant(reads);
  bestOfSync(repeat, [nop, trap, hook, read]);
  const probe = bareEngine(isa, {});
  const contextBytes = probe.contextBytes(probe.contextSave()).length;
  probe.close();
  return {
    bareTrapUs: per(trap.best, nop.best, n),
    codeHookUs: per(hook.best, nop.best, n),
    loopMs: nop.best,
    regReadUs: per(read.best, 0, n),
    contextBytes,
  };
}

const isaSpec = (isa: Isa) => (isa === 'ppc64' ? ppc64() : isa === 'x86_64' ? x86_64() : i386());

/**
 * An engine for the ISA as a machine opens it (the virtual TLB where the library has one),
 * with every page readable, writable and executable, and `handlers` over empty ones.
 */
function bareEngine(isa: Isa, handlers: Partial<EngineHandlers>): UnicornEngine {
  const spec = isaSpec(isa);
  const u = new UnicornEngine(
    spec.cpuKind,
    { trap: sink, syscall: sink, fault: sink, pagePerms: () => 7, ...handlers },
    { syscallInsn: false, ...(engineHasVirtualTlb() ? { faultPage: BigInt(spec.layout.faultPage) } : {}) },
  );
  // ppc64: a CPU that fetches in problem state, as a machine sets it up (no memory used).
  if (isa === 'ppc64') spec.initCpu(u as unknown as Cpu, undefined as never);
  return u;
}

/** A machine for a fixture, quiet. */
export function machine(isa: Isa, name: string, args: string[], opts: Record<string, unknown> = {}): Machine {
  return createMachine(loadElfFile(`fixtures/build/${isa}/${name}`), {
    argv: [name, ...args],
    stdout: sink,
    stderr: sink,
    warn: sink,
    ...opts,
  });
}

/**
 * The machines of the last runs, kept referenced after they end. With none alive, a full
 * collection (gc() before each run) drops the hidden classes of their objects, V8 throws
 * away the optimized code built on those ("weak objects"), and every run would pay the
 * re-optimization inside its timing (in a process that had run a few machines, the first
 * few thousand hits of each ran at 2-4 times their steady cost). `reoptimizeMs` measures
 * what it costs here.
 */
const recent: unknown[] = [];
const RECENT = 8;

/** Forget the machines of earlier runs: the next run starts as a fresh engine would. */
export function forgetRecent(): void {
  recent.length = 0;
}

/** Run a machine prepared by `setup`, timed from run() to its end (registration excluded). */
export function timed(
  isa: Isa,
  name: string,
  args: string[],
  setup?: (e: KprobeEngine<unknown>, m: Machine) => void,
  opts: Record<string, unknown> = {},
): number {
  const m = machine(isa, name, args, opts);
  const kept: unknown[] = [m];
  recent.push(kept);
  if (recent.length > RECENT) recent.shift();
  try {
    if (setup) {
      const e = kprobes(m);
      kept.push(e);
      setup(e, m);
    }
    // Garbage of earlier runs collected now, not inside this one (with node --expose-gc).
    (globalThis as { gc?: () => void }).gc?.();
    const t = process.hrtime.bigint();
    const stop = m.run();
    const ms = Number(process.hrtime.bigint() - t) / 1e6;
    if (stop.kind !== 'exit' || stop.status !== 0)
      throw new Error(
        `${isa} ${name} ${args.join(' ')}: ` +
          JSON.stringify(stop, (_k, v) => (typeof v === 'bigint' ? v.toString(16) : v)),
      );
    return ms;
  } finally {
    m.close();
  }
}

/** Instruction boundaries of cold() in the scale fixture: probes there never fire. */
export function coldAddresses(isa: Isa, count: number): number[] {
  const m = machine(isa, 'scale', []);
  try {
    const f = m.symbols.lookup('cold');
    if (!f) throw new Error(`the scale fixture has no cold() on ${isa}`);
    const out: number[] = [];
    for (let a = f.addr; a < f.addr + f.size && out.length < count;) {
      out.push(a);
      a += isa === 'ppc64' ? 4 : decodeX86(m.mem.read(a, 15), isa === 'x86_64' ? 64 : 32).len;
    }
    if (out.length < count) throw new Error(`cold() has only ${out.length} instructions on ${isa}`);
    return out;
  } finally {
    m.close();
  }
}

export interface ProbeCosts {
  isa: Isa;
  /** The bare trap measured in the rounds of goals 2 and 3 (their ratios' base). */
  bareTrapUs: number;
  /** The bare trap measured with the other engine costs, first. */
  engineBareTrapUs: number;
  /** The bare trap measured in the rounds of the CLI runs (the base of 6b's ratios). */
  cliBareTrapUs: number;
  codeHookUs: number;
  kprobeUs: number;
  kprobeSteppedUs: number;
  kretUs: number;
  /** Goals 2-3 and 6b: cost / bare trap, taken within each round (see rounds). */
  kprobeRatio: number;
  kprobeSteppedRatio: number;
  kretRatio: number;
  /** What a run of 20,000 kretprobe'd calls pays when no machine of an earlier run is alive (V8 re-optimizes), ms. */
  reoptimizeMs: number;
  cliKprobeRatio: number;
  cliKretRatio: number;
  idle100Ratio: number;
  plainMs: number;
  idle100Ms: number;
  many10kRatio: number;
  registerUs: number;
  deepReturnUs: number;
  bytesPerInstance: number;
  tasks1000Us: number;
  tasksRatio: number;
  /** Goal 5 with each task D + 1 calls deep in the probed function: per return, and vs 1 task. */
  nestUs: number;
  nestRatio: number;
  /** Goal 5 with a kprobe (no per-task state) instead of the return probe. */
  tasksKprobeRatio: number;
  /** Bytes of one saved Unicorn context (uc_context_size): what a task switch copies twice. */
  contextBytes: number;
  /** One register read through koffi. */
  regReadUs: number;
  /** One JSON line of the traced kprobe formatted and written, alone. */
  lineUs: number;
  startupRatio: number;
  startupMs: number;
  nodeMs: number;
  cliKprobeUs: number;
  cliKretUs: number;
  /** The quartiles over rounds of each goal's figure: how far this run's own rounds spread. */
  spread: Record<GoalFigure, [number, number]>;
}

/** The figures that goals are set on. */
export type GoalFigure =
  | 'idle100Ratio'
  | 'kprobeRatio'
  | 'kretRatio'
  | 'many10kRatio'
  | 'tasksRatio'
  | 'nestRatio'
  | 'cliKprobeRatio'
  | 'cliKretRatio';

// What the table puts on the scale fixture; bench/profile.ts profiles the same setups.
type Setup = (e: KprobeEngine<unknown>) => void;
/** A kprobe with an empty pre-handler on leaf(), the hot loop's callee. */
export const emptyKprobe: Setup = (e) => void e.registerKprobe({ symbol: 'leaf' }, { preHandler: () => 0 });
/** A return probe with an empty handler on leaf(). */
export const emptyKretprobe: Setup = (e) => void e.registerKretprobe({ symbol: 'leaf' }, { handler: sink });
/** Kprobes with empty pre-handlers at `addrs` (in cold(): they never fire). */
export const idleKprobes =
  (addrs: readonly number[]): Setup =>
  (e) =>
    addrs.forEach((addr) => e.registerKprobe({ addr }, { preHandler: () => 0 }));
/** T tasks inside work() at once, R rounds each; a return probe on work() with room for all. */
export const TASKS = { T: 1000, R: 20, D: 20 } as const;
export const workKretprobe: Setup = (e) =>
  void e.registerKretprobe({ symbol: 'work' }, { maxactive: TASKS.T, handler: sink });
/** A return probe on nest(), with room for D + 1 instances of each of T tasks. */
export const nestKretprobe: Setup = (e) =>
  void e.registerKretprobe({ symbol: 'nest' }, { maxactive: TASKS.T * (TASKS.D + 1), handler: sink });
/** A kprobe with an empty pre-handler on work(). */
export const workKprobe: Setup = (e) => void e.registerKprobe({ symbol: 'work' }, { preHandler: () => 0 });
/** The definitions the traced CLI runs. */
export const TRACED = { kprobe: 'p leaf x=$arg1', kretprobe: 'r leaf $retval' } as const;

export function probeCosts(isa: Isa, repeat: number): ProbeCosts {
  const N = 200_000;
  const hot = ['hot', String(N)];
  const engine = engineCosts(isa, 1_000_000, repeat);
  const cold100 = coldAddresses(isa, 100);
  const cold10k = coldAddresses(isa, 10_000);
  let registerMs = Infinity;
  // Idle probes: a run long enough (~50 ms or more under Unicorn 2.1's virtual TLB) that the
  // ratio is the steady state, not start-up, and a 2% goal stands above the machine's noise.
  const long = ['hot', String(40 * N)];
  // The bare trap once more in these rounds: goals 2 and 3 are ratios to it, measured side by
  // side (the machine's speed drifts between groups of runs).
  const trapN = 1_000_000;
  const hits = rounds(repeat, [
    () => engineLoop(isa, 'nop', trapN),
    () => engineLoop(isa, 'trap', trapN),
    () => timed(isa, 'scale', hot),
    () => timed(isa, 'scale', hot, emptyKprobe),
    () =>
      timed(
        isa,
        'scale',
        hot,
        (e) => void e.registerKprobe({ symbol: 'leaf' }, { preHandler: () => 0, postHandler: sink }),
      ),
    () => timed(isa, 'scale', hot, emptyKretprobe),
    () =>
      timed(isa, 'scale', hot, (e) => {
        const t = process.hrtime.bigint();
        idleKprobes(cold10k)(e);
        registerMs = Math.min(registerMs, Number(process.hrtime.bigint() - t) / 1e6);
        emptyKprobe(e);
      }),
  ]);
  // A 2% goal: three times the rounds.
  // The same short run with the machines of earlier runs kept (as every other run here) and
  // forgotten (V8 re-optimizes the hot path for the new engine's objects).
  const short = ['hot', '20000'];
  const reopt = rounds(repeat, [
    () => timed(isa, 'scale', short, emptyKretprobe),
    () => {
      forgetRecent();
      return timed(isa, 'scale', short, emptyKretprobe);
    },
  ]);
  const idle = rounds(3 * repeat, [
    () => timed(isa, 'scale', long),
    () => timed(isa, 'scale', long, idleKprobes(cold100)),
  ]);

  // 100,000 deep under one return probe with maxactive 100,000; bytes per instance from the
  // heap before and after registering it (instances are made at registration).
  const DEEP = 100_000;
  let bytes = 0;
  const deepPlain = variant(() => timed(isa, 'scale', ['deep', String(DEEP)]));
  const deepProbed = variant(() =>
    timed(isa, 'scale', ['deep', String(DEEP)], (e) => {
      globalThis.gc?.();
      const before = process.memoryUsage().heapUsed;
      e.registerKretprobe({ symbol: 'deep' }, { maxactive: DEEP + 1, handler: sink });
      globalThis.gc?.();
      bytes = (process.memoryUsage().heapUsed - before) / (DEEP + 1);
    }),
  );
  bestOfSync(Math.max(1, Math.ceil(repeat / 2)), [deepPlain, deepProbed]);

  // 1,000 tasks inside one probed function at once (20 rounds each) vs one task making the
  // same 20,000 calls: the same work, yields included, with 1,000 instances live or one.
  const { T, R } = TASKS;
  const topts = { maxTasks: T + 1 };
  const manyTasks = ['threads', String(T), String(R)];
  const oneTask = ['threads', '1', String(T * R)];
  // Twice the rounds: the task switches make these runs noisier than the rest.
  // The same with a kprobe on work(), which keeps no per-task state: what the task switches
  // themselves add to a probe hit.
  const tasks = rounds(2 * repeat, [
    () => timed(isa, 'scale', manyTasks, undefined, topts),
    () => timed(isa, 'scale', manyTasks, workKretprobe, topts),
    () => timed(isa, 'scale', oneTask),
    () => timed(isa, 'scale', oneTask, workKretprobe),
    () => timed(isa, 'scale', manyTasks, workKprobe, topts),
    () => timed(isa, 'scale', oneTask, workKprobe),
  ]);

  // 1,000 tasks each D + 1 calls deep in nest() across their yield, (D + 1) * 1,000
  // instances live, a switch every D + 1 returns; vs one task making the same calls.
  const { D } = TASKS;
  const nestMany = ['threads', String(T), '1', String(D)];
  const nestOne = ['threads', '1', String(T), String(D)];
  const nest = rounds(2 * repeat, [
    () => timed(isa, 'scale', nestMany, undefined, topts),
    () => timed(isa, 'scale', nestMany, nestKretprobe, topts),
    () => timed(isa, 'scale', nestOne),
    () => timed(isa, 'scale', nestOne, nestKretprobe),
  ]);
  const nestReturns = T * (D + 1);

  // Through the CLI: start-up, and tracing to JSON on /dev/null.
  const cli = (args: string[]) => (): number => {
    const t = process.hrtime.bigint();
    const r = spawnSync(process.execPath, ['dist/src/cli.js', 'run', ...args], { stdio: 'ignore' });
    if (r.status !== 0) throw new Error(`kprobe-emu run ${args.join(' ')}: status ${r.status}`);
    return Number(process.hrtime.bigint() - t) / 1e6;
  };
  const node = (): number => {
    const t = process.hrtime.bigint();
    spawnSync(process.execPath, ['-e', '0'], { stdio: 'ignore' });
    return Number(process.hrtime.bigint() - t) / 1e6;
  };
  const fx = `fixtures/build/${isa}/scale`;
  const traced = ['--format', 'json', '-o', '/dev/null'];
  // A million events a run: the steady state, with start-up and the JIT's warm-up small in it.
  const NCLI = 1_000_000;
  const cliHot = ['hot', String(NCLI)];
  const traceRounds = rounds(repeat, [
    () => engineLoop(isa, 'nop', trapN),
    () => engineLoop(isa, 'trap', trapN),
    cli([fx, ...cliHot]),
    cli([...traced, '-e', TRACED.kprobe, fx, ...cliHot]),
    cli([...traced, '-e', TRACED.kretprobe, fx, ...cliHot]),
  ]);
  const hello = variant(cli([`fixtures/build/${isa}/hello`]));
  const nodeAlone = variant(node);
  bestOfSync(repeat, [hello, nodeAlone]);

  // The runs of each round, in the order given above.
  type Hits = [
    trapNop: number,
    trap: number,
    plain: number,
    kp: number,
    kpStep: number,
    kret: number,
    many: number,
  ];
  const hit = (f: (...t: Hits) => number) => hits.median((t) => f(...(t as Hits)));
  const bare = (nop: number, trap: number) => per(trap, nop, trapN);
  type Tasks = [
    plain: number,
    probed: number,
    onePlain: number,
    oneProbed: number,
    kp: number,
    oneKp: number,
  ];
  const task = (f: (...t: Tasks) => number) => tasks.median((t) => f(...(t as Tasks)));
  type Nest = [plain: number, probed: number, onePlain: number, oneProbed: number];
  const nested = (f: (...t: Nest) => number) => nest.median((t) => f(...(t as Nest)));
  type Traced = [nop: number, trap: number, plain: number, kp: number, kret: number];
  const trace = (f: (...t: Traced) => number) => traceRounds.median((t) => f(...(t as Traced)));
  // A goal's figure: its median, and its quartiles kept in `spread`.
  const spread = {} as Record<GoalFigure, [number, number]>;
  const goal = <T extends number[]>(name: GoalFigure, set: Rounds, f: (...t: T) => number): number => {
    const g = (t: number[]) => f(...(t as T));
    spread[name] = set.quartiles(g);
    return set.median(g);
  };

  return {
    isa,
    bareTrapUs: hit(bare),
    engineBareTrapUs: engine.bareTrapUs,
    cliBareTrapUs: trace(bare),
    codeHookUs: engine.codeHookUs,
    kprobeUs: hit((_n, _t, plain, kp) => per(kp, plain, N)),
    kprobeRatio: goal<Hits>(
      'kprobeRatio',
      hits,
      (nop, trap, plain, kp) => per(kp, plain, N) / bare(nop, trap),
    ),
    kprobeSteppedUs: hit((_n, _t, plain, _k, kpStep) => per(kpStep, plain, N)),
    kprobeSteppedRatio: hit((nop, trap, plain, _k, kpStep) => per(kpStep, plain, N) / bare(nop, trap)),
    kretUs: hit((_n, _t, plain, _k, _s, kret) => per(kret, plain, N)),
    kretRatio: goal<Hits>(
      'kretRatio',
      hits,
      (nop, trap, plain, _k, _s, kret) => per(kret, plain, N) / bare(nop, trap),
    ),
    reoptimizeMs: reopt.median(([kept, fresh]) => {
      if (kept === undefined || fresh === undefined) throw new Error('reoptimizeMs: a round lacks a run');
      return fresh - kept;
    }),
    idle100Ratio: goal<[plain: number, probed: number]>(
      'idle100Ratio',
      idle,
      (plain, probed) => probed / plain,
    ),
    plainMs: idle.median(([plain]) => {
      if (plain === undefined) throw new Error('plainMs: a round lacks its unprobed run');
      return plain;
    }),
    idle100Ms: idle.median(([, probed]) => {
      if (probed === undefined) throw new Error('idle100Ms: a round lacks its probed run');
      return probed;
    }),
    many10kRatio: goal<Hits>(
      'many10kRatio',
      hits,
      (_n, _t, plain, kp, _s, _r, many) => per(many, plain, N) / per(kp, plain, N),
    ),
    registerUs: (registerMs * 1000) / cold10k.length,
    deepReturnUs: per(deepProbed.best, deepPlain.best, DEEP),
    bytesPerInstance: bytes,
    tasks1000Us: task((plain, probed) => per(probed, plain, T * R)),
    tasksRatio: goal<Tasks>(
      'tasksRatio',
      tasks,
      (plain, probed, onePlain, oneProbed) => per(probed, plain, T * R) / per(oneProbed, onePlain, T * R),
    ),
    tasksKprobeRatio: task(
      (plain, _p, onePlain, _o, kp, oneKp) => per(kp, plain, T * R) / per(oneKp, onePlain, T * R),
    ),
    nestUs: nested((plain, probed) => per(probed, plain, nestReturns)),
    nestRatio: goal<Nest>(
      'nestRatio',
      nest,
      (plain, probed, onePlain, oneProbed) =>
        per(probed, plain, nestReturns) / per(oneProbed, onePlain, nestReturns),
    ),
    contextBytes: engine.contextBytes,
    regReadUs: engine.regReadUs,
    lineUs: jsonLineUs(1_000_000, repeat),
    startupRatio: hello.best / nodeAlone.best,
    startupMs: hello.best,
    nodeMs: nodeAlone.best,
    cliKprobeUs: trace((_n, _t, plain, kp) => per(kp, plain, NCLI)),
    cliKprobeRatio: goal<Traced>(
      'cliKprobeRatio',
      traceRounds,
      (nop, trap, plain, kp) => per(kp, plain, NCLI) / bare(nop, trap),
    ),
    cliKretUs: trace((_n, _t, plain, _k, kret) => per(kret, plain, NCLI)),
    cliKretRatio: goal<Traced>(
      'cliKretRatio',
      traceRounds,
      (nop, trap, plain, _k, kret) => per(kret, plain, NCLI) / bare(nop, trap),
    ),
    spread,
  };
}

/**
 * The JSON line the traced CLI writes for `p leaf x=$arg1`, formatted and written to
 * /dev/null on its own (the value written from its two halves, as a hit's register or stack
 * word is).
 */
export function jsonLineUs(n: number, repeat: number): number {
  const fd = openSync('/dev/null', 'w');
  try {
    const line = variant(() => {
      const out = blockWriter(fd);
      const sink = new TraceSink('json', out, 'scale');
      const parts = sink.jsonParts(
        { type: 'kprobe', group: 'kprobes', event: 'p_leaf_0', pc: '0x4002e0', at: 'leaf+0x0' },
        ['x'],
      );
      const halves = new Uint32Array(2);
      const hex = { reads: [() => halves], bits: [64] };
      const t = process.hrtime.bigint();
      for (let i = 0; i < n; i++) {
        halves[0] = i;
        sink.json(parts, 1000, i, undefined, [], hex);
      }
      out.flush();
      return Number(process.hrtime.bigint() - t) / 1e6;
    });
    bestOfSync(repeat, [line]);
    return per(line.best, 0, n);
  } finally {
    closeSync(fd);
  }
}

const f = (n: number, d = 2): string => n.toFixed(d);

/** The table and its notes, as Markdown lines. */
export function probeTable(rows: ProbeCosts[]): string[] {
  const out: string[] = [];
  out.push('## What a probe costs (scale fixture, same run; ratios are the figures, times for the record)');
  out.push('');
  out.push('| # | measure | goal | ' + rows.map((r) => r.isa).join(' | ') + ' |');
  out.push('|---|---|---|' + rows.map(() => '---:').join('|') + '|');
  const line = (n: string, what: string, goal: string, cell: (r: ProbeCosts) => string) =>
    out.push(`| ${n} | ${what} | ${goal} | ${rows.map(cell).join(' | ')} |`);
  line(
    '',
    'bare trap round trip (Unicorn: breakpoint, hook reads and writes PC), in the rounds of goals 2-3; of 6b; alone',
    '',
    (r) => `${f(r.bareTrapUs)}; ${f(r.cliBareTrapUs)}; ${f(r.engineBareTrapUs)} us`,
  );
  line('', 'UC_HOOK_CODE on one address (Unicorn)', '', (r) => `${f(r.codeHookUs)} us`);
  line(
    '1',
    'unprobed vs 100 probes registered that never fire',
    '<= 1.02',
    (r) => `${f(r.idle100Ratio, 3)}x (${f(r.plainMs, 1)} / ${f(r.idle100Ms, 1)} ms)`,
  );
  line(
    '2',
    'kprobe hit, empty pre-handler (boosted) / bare trap',
    '<= 2x',
    (r) => `${f(r.kprobeRatio)}x (${f(r.kprobeUs)} us)`,
  );
  line('2', 'kprobe hit / UC_HOOK_CODE on the same address', '', (r) => `${f(r.kprobeUs / r.codeHookUs)}x`);
  line(
    '2',
    'kprobe hit with a post-handler (stepped) / bare trap',
    '',
    (r) => `${f(r.kprobeSteppedRatio)}x (${f(r.kprobeSteppedUs)} us)`,
  );
  line(
    '3',
    "kretprobe'd call (entry + return, empty handlers) / bare trap",
    '<= 5x',
    (r) => `${f(r.kretRatio)}x (${f(r.kretUs)} us)`,
  );
  line(
    '3',
    "a new engine with none of an earlier run alive: what V8's re-optimization adds to 20,000 kretprobe'd calls",
    '',
    (r) => `${f(r.reoptimizeMs)} ms`,
  );
  line('4', 'hit with 10,000 probes registered vs with 1', '<= 1.1', (r) => `${f(r.many10kRatio)}x`);
  line('4', 'registration time per probe (10,000 in one function)', '', (r) => `${f(r.registerUs, 1)} us`);
  line('5', 'return 100,000 deep, maxactive 100,000: time per return', '', (r) => `${f(r.deepReturnUs)} us`);
  line('5', 'bytes per instance', '', (r) => `${f(r.bytesPerInstance, 0)} B`);
  line(
    '5',
    '1,000 tasks inside one probed function, a task switch before every return: per return vs 1 task',
    '<= 1.1',
    (r) => `${f(r.tasksRatio)}x (${f(r.tasks1000Us)} us)`,
  );
  line(
    '5',
    'the same with a kprobe (no per-task state): per hit, 1,000 tasks vs 1',
    '',
    (r) => `${f(r.tasksKprobeRatio)}x`,
  );
  line(
    '5',
    `1,000 tasks each ${TASKS.D + 1} calls deep in one probed function ` +
      `(${((TASKS.D + 1) * TASKS.T).toLocaleString('en-US')} instances live), ` +
      `a switch every ${TASKS.D + 1} returns: per return vs 1 task`,
    '<= 1.1',
    (r) => `${f(r.nestRatio)}x (${f(r.nestUs)} us)`,
  );
  line(
    '5',
    'one saved Unicorn context (a task switch saves one, restores another)',
    '',
    (r) => `${(r.contextBytes / 1024).toFixed(1)} KB`,
  );
  line(
    '6',
    '`kprobe-emu run hello` vs `node -e 0`',
    '',
    (r) => `${f(r.startupRatio)}x (${f(r.startupMs, 0)} / ${f(r.nodeMs, 0)} ms)`,
  );
  line(
    '6b',
    'CLI, JSON trace to /dev/null: per traced kprobe hit / bare trap',
    '<= 2.5x',
    (r) => `${f(r.cliKprobeRatio)}x (${f(r.cliKprobeUs)} us)`,
  );
  line(
    '6b',
    "CLI, JSON trace to /dev/null: per traced kretprobe'd call / bare trap",
    '<= 5x',
    (r) => `${f(r.cliKretRatio)}x (${f(r.cliKretUs)} us)`,
  );
  line(
    '6b',
    'parts measured alone: one JSON line formatted and written / bare trap (alone)',
    '',
    (r) => `${f(r.lineUs / r.engineBareTrapUs)}x (${f(r.lineUs)} us)`,
  );
  line(
    '6b',
    'parts measured alone: one register read through koffi / bare trap (alone)',
    '',
    (r) => `${f(r.regReadUs / r.engineBareTrapUs)}x (${f(r.regReadUs)} us)`,
  );
  out.push('');
  return out;
}
