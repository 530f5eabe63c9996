// `npm run bench`: what probes cost against Unicorn's own trap (bench/probes.ts), guest
// throughput per ISA side by side with qemu-user, and what instruction counting and precise
// fault reports cost. Every figure is a ratio of runs
// made in this one process run; absolute times are printed beside them for the record.
import { spawnSync } from 'node:child_process';
import { cpus, totalmem } from 'node:os';
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ISAS, type IsaName } from '../fixtures/catalog.js';
import { runProgram } from '../src/run.js';
import { libraryPath, ucVersion } from '../emu/unicorn.js';
import { probeCosts, probeTable, TASKS, type GoalFigure, type Isa, type ProbeCosts } from './probes.js';
import { GOALS, PROFILES, profileGoal, profileTable, type Goal } from './profile.js';
import { ia64Table, isaSpeed, type IsaSpeed } from './ia64.js';

const QEMU = { x86_64: 'qemu-x86_64', i386: 'qemu-i386', ppc64: 'qemu-ppc64' } as const;
const REPEAT = Number(process.env.BENCH_REPEAT ?? 7);
const sink = (): void => {};

type Opts = { maxInsns?: number; virtualTlb?: boolean };

/** TLB fills of the last timed run (calls into JavaScript under the virtual TLB). */
let lastFills = 0;

async function timeRun(
  path: string,
  args: string[],
  opts: Opts = {},
  allowBudget = false,
): Promise<{ ms: number; status: number }> {
  const t = process.hrtime.bigint();
  const r = await runProgram(
    path,
    { argv: [path, ...args], stdout: sink, stderr: sink, warn: sink, ...opts },
    { after: (m) => (lastFills = m.engine.pageLookups) },
  );
  const ms = Number(process.hrtime.bigint() - t) / 1e6;
  if (r.status !== 0 && !(allowBudget && r.stop.kind === 'budget'))
    throw new Error(`${path} ${args.join(' ')} ended with status ${r.status}: ${r.report ?? ''}`);
  return { ms, status: r.status };
}

/** Exact instruction count of a run: the smallest budget it finishes within (binary search). */
async function exactCount(path: string, args: string[]): Promise<number> {
  const fits = async (n: number) => (await timeRun(path, args, { maxInsns: n }, true)).status === 0;
  let hi = 1024;
  while (!(await fits(hi))) hi *= 2;
  let lo = hi / 2;
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (await fits(mid)) hi = mid;
    else lo = mid;
  }
  return hi;
}

/** A run to time, and its best (least) time so far, ms. */
interface Variant {
  run: () => Promise<number> | number;
  best: number;
}
const variant = (run: Variant['run']): Variant => ({ run, best: Infinity });

/**
 * Best time of each variant over REPEAT rounds, kept in its `best`, the variants interleaved
 * within a round so that drift of the machine (the other core, the host's page cache) hits
 * them alike.
 */
async function bestOf(variants: readonly Variant[]): Promise<void> {
  for (let i = 0; i < REPEAT; i++) for (const v of variants) v.best = Math.min(v.best, await v.run());
}

const ours =
  (path: string, args: string[], opts: Opts = {}) =>
  async () =>
    (await timeRun(path, args, opts)).ms;

const haveQemu = (isa: IsaName): boolean => spawnSync('sh', ['-c', `command -v ${QEMU[isa]}`]).status === 0;

const qemu = (isa: IsaName, path: string, args: string[]) => (): number => {
  const t = process.hrtime.bigint();
  const r = spawnSync(QEMU[isa], [path, ...args], { stdio: 'ignore' });
  if (r.status !== 0) throw new Error(`${QEMU[isa]} ${path} failed with ${r.status}`);
  return Number(process.hrtime.bigint() - t) / 1e6;
};

/**
 * Guest instructions of a run whose count is affine in a known work measure w(arg)
 * (loop iterations, calls): two exact counts at small arguments give the line.
 */
async function affineCount(
  path: string,
  w: (arg: number) => number,
  a: number,
  b: number,
  big: number,
): Promise<number> {
  const ca = await exactCount(path, [String(a)]);
  const cb = await exactCount(path, [String(b)]);
  const per = (cb - ca) / (w(b) - w(a));
  return Math.round(ca + per * (w(big) - w(a)));
}

const fibCalls = (n: number): number => {
  let x = 0;
  let y = 1;
  for (let i = 0; i < n + 1; i++) [x, y] = [y, x + y];
  return 2 * x - 1;
};

const fmt = (n: number, d = 1): string => n.toFixed(d);

/**
 * A workload measured per unit of work (a call, an iteration, an access) as the difference
 * of a big and a small run divided by the difference of their work: start-up, loading and
 * the host's process creation cancel out, for kprobe-emu and qemu-user alike.
 */
interface Row {
  isa: string;
  name: keyof typeof WORK;
  workload: string;
  unit: string;
  /** Guest instructions of the big run (exact). */
  insns: number;
  /** Whole big run, ms. */
  ours: number;
  /** ns per unit. */
  oursPer: number;
  /** qemu-user's whole big run (ms) and time per unit (ns), when it is installed. */
  qemu: { ms: number; per: number } | undefined;
  /** The same per unit on the flat MMU (no virtual TLB), with counting, ns. */
  flatPer: number;
  countingPer: number;
  /** TLB fills per unit of work (big run minus small run). */
  fillsPer: number;
  goal?: number;
}

const WORK = {
  regloop: { big: 50_000_000, small: 1_000_000, unit: 'iteration', w: (n: number) => n },
  fib: { big: 32, small: 27, unit: 'call', w: fibCalls },
  memrand: { big: 4_000_000, small: 1_000_000, unit: 'access pair', w: (n: number) => n },
} as const;

/** ns per unit of work of `name`, from the times (ms) of its big and its small run. */
function perUnit(name: keyof typeof WORK, bigMs: number, smallMs: number): number {
  const { big, small, w } = WORK[name];
  return ((bigMs - smallMs) * 1e6) / (w(big) - w(small));
}

async function measure(isa: IsaName, name: keyof typeof WORK, goal?: number): Promise<Row> {
  const path = `fixtures/build/${isa}/${name}`;
  const { big, small, unit, w } = WORK[name];
  const q = haveQemu(isa);
  const bigArgs = [String(big)];
  const smallArgs = [String(small)];
  const insns =
    name === 'fib' ? await affineCount(path, w, 8, 12, big) : await affineCount(path, w, 1000, 3000, big);
  const none = () => NaN;
  const fills: number[] = [];
  const withFills = (args: string[]) => async () => {
    const ms = (await timeRun(path, args)).ms;
    fills.push(lastFills);
    return ms;
  };
  const oBig = variant(withFills(bigArgs));
  const oSmall = variant(withFills(smallArgs));
  const qBig = variant(q ? qemu(isa, path, bigArgs) : none);
  const qSmall = variant(q ? qemu(isa, path, smallArgs) : none);
  const fBig = variant(ours(path, bigArgs, { virtualTlb: false }));
  const fSmall = variant(ours(path, smallArgs, { virtualTlb: false }));
  const cBig = variant(ours(path, bigArgs, { maxInsns: Number.MAX_SAFE_INTEGER }));
  const cSmall = variant(ours(path, smallArgs, { maxInsns: Number.MAX_SAFE_INTEGER }));
  await bestOf([oBig, oSmall, qBig, qSmall, fBig, fSmall, cBig, cSmall]);
  // The fills of the first round's big and small runs.
  const [bigFills, smallFills] = fills;
  if (bigFills === undefined || smallFills === undefined)
    throw new Error(`${path}: no TLB fills were recorded for its big and small runs`);
  const units = w(big) - w(small);
  const per = (a: number, b: number) => perUnit(name, a, b);
  return {
    isa,
    name,
    workload: `${name} ${big} (- ${name} ${small})`,
    unit,
    insns,
    ours: oBig.best,
    oursPer: per(oBig.best, oSmall.best),
    qemu: q ? { ms: qBig.best, per: per(qBig.best, qSmall.best) } : undefined,
    flatPer: per(fBig.best, fSmall.best),
    countingPer: per(cBig.best, cSmall.best),
    fillsPer: (bigFills - smallFills) / units,
    ...(goal !== undefined ? { goal } : {}),
  };
}

/** Where Debian 12's Unicorn 2.0.1 is, when the system has it (the fallback engine). */
const SYSTEM_UNICORN = '/usr/lib/x86_64-linux-gnu/libunicorn.so.2';

/**
 * Per-unit guest time of fib and regloop on another library, measured in a child process
 * (a process loads one Unicorn): `BENCH_ENGINE_ONLY` makes this script print just those.
 */
function otherEngine(lib: string): Record<string, number> | undefined {
  if (!existsSync(lib)) return undefined;
  const script = process.argv[1];
  if (script === undefined) throw new Error('process.argv names no script to run on the other engine');
  const r = spawnSync(process.execPath, [script], {
    env: { ...process.env, KPROBE_EMU_LIBUNICORN: lib, BENCH_ENGINE_ONLY: '1' },
    encoding: 'utf8',
  });
  if (r.status !== 0) return undefined;
  return JSON.parse(r.stdout) as Record<string, number>;
}

async function engineOnly(): Promise<void> {
  const out: Record<string, number> = {};
  for (const isa of ISAS) {
    const per = async (name: 'regloop' | 'fib') => {
      const path = `fixtures/build/${isa}/${name}`;
      const { big, small } = WORK[name];
      const b = variant(ours(path, [String(big)]));
      const s = variant(ours(path, [String(small)]));
      await bestOf([b, s]);
      return perUnit(name, b.best, s.best);
    };
    await timeRun(`fixtures/build/${isa}/fib`, ['10']);
    out[`${isa} regloop`] = await per('regloop');
    out[`${isa} fib`] = await per('fib');
  }
  out.version = ucVersion().raw;
  process.stdout.write(JSON.stringify(out));
}

async function main(): Promise<void> {
  const rows: Row[] = [];
  for (const isa of ISAS) {
    // Warm the library and code paths once.
    await timeRun(`fixtures/build/${isa}/fib`, ['10']);
    rows.push(await measure(isa, 'regloop', 1.1));
    rows.push(await measure(isa, 'fib', 3));
    rows.push(await measure(isa, 'memrand'));
  }
  const fallback = libraryPath() === SYSTEM_UNICORN ? undefined : otherEngine(SYSTEM_UNICORN);

  const probeRows: ProbeCosts[] = [];
  for (const isa of ISAS) probeRows.push(probeCosts(isa, REPEAT));

  const speeds: IsaSpeed[] = [];
  for (const isa of ISAS) speeds.push(await isaSpeed(isa, `fixtures/build/${isa}/fib`, ['25'], REPEAT));
  speeds.push(await isaSpeed('ia64', 'fixtures/ia64/build/fib', [], REPEAT));

  const v = ucVersion();
  const lines: string[] = [];
  lines.push(`# kprobe-emu benchmark`);
  lines.push('');
  lines.push(
    `Machine: ${cpus().length} x ${cpus()[0]?.model ?? 'unknown CPU'}, ` +
      `${fmt(totalmem() / 2 ** 30, 0)} GiB; Node ${process.version}; Unicorn ${v.text} ` +
      `(0x${v.raw.toString(16)}, ${libraryPath()}; KPROBE_EMU_LIBUNICORN selects another ` +
      `build); ${REPEAT} rounds (goals 1 and 5: ${3 * REPEAT} and ${2 * REPEAT}). Each round ` +
      "runs a group's variants back to back; a probe's figure is taken within each round (a " +
      "ratio, or a difference of runs) and the table gives the median over rounds. Unicorn's " +
      'own costs alone, start-up, registration, the deep run and guest throughput are the best ' +
      'of their rounds. The machines of the last runs stay referenced after they end, so that ' +
      'V8 keeps the code it optimized for their kind of objects: with none alive, a full ' +
      'collection drops their hidden classes and that code, and each run would re-optimize ' +
      'inside its timing (row 3, second line).',
  );
  lines.push('');
  lines.push(...probeTable(probeRows));
  lines.push(...ia64Table(speeds));
  lines.push(`## Guest speed vs qemu-user (Unicorn ${v.text}, same fixtures, same run)`);
  lines.push('');
  lines.push(
    '| ISA | workload | guest insns | kprobe-emu ms | qemu-user ms | kprobe-emu per unit | ' +
      'qemu-user per unit | ratio | goal |',
  );
  lines.push('|---|---|---:|---:|---:|---:|---:|---:|---:|');
  const ns = (x: number) => (x >= 100 ? fmt(x, 0) : x >= 10 ? fmt(x, 1) : fmt(x, 2)) + ' ns';
  for (const r of rows) {
    const q = r.qemu === undefined ? 'n/a' : fmt(r.qemu.ms);
    const qp = r.qemu === undefined ? 'n/a (no qemu-user)' : ns(r.qemu.per);
    const ratio = r.qemu === undefined ? 'n/a' : fmt(r.oursPer / r.qemu.per, 2) + 'x';
    const goal = r.goal === undefined ? '' : `<= ${r.goal}x`;
    lines.push(
      `| ${r.isa} | ${r.workload} | ${r.insns.toLocaleString('en-US')} | ${fmt(r.ours)} | ${q} ` +
        `| ${ns(r.oursPer)} / ${r.unit} | ${qp} | ${ratio} | ${goal} |`,
    );
  }
  lines.push('');
  lines.push(
    'Per unit: the difference of the two runs (big minus small) over the difference of their ' +
      'work (iterations, calls of fib, access pairs of memrand: two random 8-byte loads and a ' +
      'store over 64 MB), so start-up cancels out for both tools; each run is the best of its ' +
      'rounds. The whole-run columns are the big run alone (kprobe-emu timed in-process from ' +
      'ELF load to exit, qemu-user as a process).',
  );
  lines.push('');
  if (fallback) {
    const figure = (key: string): number => {
      const x = fallback[key];
      if (x === undefined) throw new Error(`the fallback engine's run gave no '${key}'`);
      return x;
    };
    const fv = figure('version');
    const ftext = `${(fv >>> 24) & 0xff}.${(fv >>> 16) & 0xff}.${(fv >>> 8) & 0xff}`;
    lines.push(
      `The same fixtures on the fallback engine, Unicorn ${ftext} (${SYSTEM_UNICORN}, flat MMU ` +
        'and its workarounds), in a child process of this run:',
    );
    lines.push('');
    lines.push(
      `| ISA | regloop per iteration: ${v.text} / ${ftext} | fib per call: ${v.text} / ` +
        `${ftext} | fib: ${ftext} / ${v.text} |`,
    );
    lines.push('|---|---:|---:|---:|');
    for (const isa of ISAS) {
      const reg = rows.find((r) => r.isa === isa && r.name === 'regloop');
      const fib = rows.find((r) => r.isa === isa && r.name === 'fib');
      if (!reg || !fib) throw new Error(`no regloop or fib row for ${isa}`);
      const oreg = figure(`${isa} regloop`);
      const ofib = figure(`${isa} fib`);
      lines.push(
        `| ${isa} | ${ns(reg.oursPer)} / ${ns(oreg)} | ${ns(fib.oursPer)} / ${ns(ofib)} | ` +
          `${fmt(ofib / fib.oursPer, 2)}x |`,
      );
    }
    lines.push('');
  }
  lines.push('## What the memory model and optional machinery cost (per unit, same run)');
  lines.push('');
  lines.push(
    '| ISA | workload | virtual TLB | flat MMU | flat / virtual | TLB fills per unit | ' +
      'counting (--max-insns) | counting / plain |',
  );
  lines.push('|---|---|---:|---:|---:|---:|---:|---:|');
  for (const r of rows) {
    lines.push(
      `| ${r.isa} | ${r.name} | ${ns(r.oursPer)} | ${ns(r.flatPer)} | ` +
        `${fmt(r.flatPer / r.oursPer, 2)}x | ${fmt(r.fillsPer, 3)} | ${ns(r.countingPer)} | ` +
        `${fmt(r.countingPer / r.oursPer, 2)}x |`,
    );
  }
  lines.push('');
  lines.push(
    'Virtual TLB: guest pages resolved by a TLB-fill hook (Unicorn 2.1, the default); flat ' +
      'MMU: the engine as on Unicorn 2.0.1, with its memory hooks (a fault hook everywhere, on ' +
      'x86 the hooks that make faults precise and keep text read-only). A TLB fill is one call ' +
      'into JavaScript: a workload that touches more pages than the TLB holds (memrand) pays ' +
      "one per miss. Counting uses Unicorn's native instruction count (a per-instruction hook " +
      'in C); it runs only with --max-insns or --quantum. Guest instruction counts are exact: ' +
      'two budget searches at small arguments and the work measure give the line.',
  );
  // Every goal this run missed, with a profile of its hot path.
  const missed = missedGoals(probeRows);
  const slow = rows.flatMap((r) => {
    const { goal, qemu } = r;
    return goal !== undefined && qemu !== undefined && r.oursPer / qemu.per > goal ? [{ r, goal, qemu }] : [];
  });
  lines.push('');
  lines.push('## Goals missed in this run, with profiles');
  lines.push('');
  if (missed.length === 0 && slow.length === 0) lines.push('None: every goal was met.');
  for (const { r, goal, qemu } of slow) {
    const name = r.name;
    lines.push(
      `### Guest speed, ${name}, ${r.isa}: ${fmt(r.oursPer / qemu.per, 2)}x qemu-user per ${r.unit} (goal <= ${goal}x)`,
    );
    lines.push('');
    const old = fallback?.[`${r.isa} ${name}`];
    const was =
      old === undefined
        ? ''
        : ` On Unicorn 2.0.1, which has no such call, the same loop took ${ns(old)} per ${r.unit} in this run.`;
    lines.push(
      name === 'regloop'
        ? `The whole run takes ${fmt(r.ours)} ms against qemu-user's ${fmt(qemu.ms)} ms; per ` +
            `${r.unit} the difference is ${ns(r.oursPer - qemu.per)}. Unicorn 2.1 starts every ` +
            'translated block with a call to a helper of its own (gen_tb_start in ' +
            'qemu/include/exec/gen-icount.h calls helper_check_exit_request, so that uc_emu_stop ' +
            "ends a loop that never leaves its block), and regloop's loop is one block per " +
            `${r.unit}: the call is paid on every ${r.unit}, and no option of the library removes ` +
            `it.${was} The time is in Unicorn's generated code, not in JavaScript (no hook runs in ` +
            'this loop), so a V8 profile shows nothing but the one native call.'
        : `The whole run takes ${fmt(r.ours)} ms against qemu-user's ${fmt(qemu.ms)} ms. No hook ` +
            `runs on this path: the time is in Unicorn's generated code.${was}`,
    );
    lines.push('');
  }
  // Each run replaces the profiles in bench/profiles/ (not committed) by those of its own
  // misses, so that none of an earlier run is taken for this one's.
  mkdirSync(PROFILES, { recursive: true });
  for (const f of readdirSync(PROFILES)) if (f.endsWith('.cpuprofile')) rmSync(join(PROFILES, f));
  for (const m of missed) {
    const { lines: top, profile } = await profileGoal(m.goal, m.isa);
    lines.push(`### ${GOALS[m.goal]}, ${m.isa}: ${m.figure}`);
    lines.push('');
    if (m.why) {
      lines.push(m.why);
      lines.push('');
    }
    const file = join(PROFILES, `${m.goal}-${m.isa}.cpuprofile`);
    writeFileSync(file, JSON.stringify(profile));
    lines.push(
      'Self time per function over five runs of the workload (V8 profiler, 100 us sampling; ' +
        `the whole profile, written by the run and not committed: \`${file}\`, for Chrome ` +
        'DevTools or speedscope):',
    );
    lines.push('');
    lines.push(...profileTable(top, 8));
    lines.push('');
  }
  const text = lines.join('\n') + '\n';
  process.stdout.write(text);
  if (process.env.BENCH_WRITE) writeFileSync(process.env.BENCH_WRITE, text);
}

/**
 * Why a task switch copies a whole Unicorn context rather than the registers a user task
 * owns (measured on the benchmark machine: 100,000 switches each way, Unicorn 2.0.1).
 */
const SWITCH_COPY: Record<Isa, string> = {
  x86_64:
    'A switch cannot copy less: on Unicorn 2.0.1, reading and writing only the 20 integer ' +
    'registers (GPRs, RIP, RFLAGS, FS and GS bases), one batch each way, cost more than ' +
    'saving and restoring the whole context (0.55-0.85 us against 0.3-0.5 us), before the ' +
    'SSE and x87 state a task also owns (not measured again on 2.1).',
  i386:
    'A switch cannot copy less: on Unicorn 2.0.1 and x86, reading and writing only the ' +
    'integer registers, one batch each way, cost more than saving and restoring the whole ' +
    'context (0.55-0.85 us against 0.3-0.5 us on x86_64), before the SSE and x87 state a ' +
    'task also owns (not measured again on 2.1).',
  ppc64:
    'A switch cannot copy less on Unicorn 2.0.1, which gives no access to the vector ' +
    'registers (VR, VSX) through uc_reg_read, while guest code built for POWER8 and later ' +
    'keeps values in them (MSR[VSX] is on), so only a whole context holds a task; 70 of its ' +
    'registers in one batch each way would cost 0.7-1.1 us against 4.3-5.4 us for the ' +
    'context there (not measured again on 2.1).',
};

/**
 * What the figures of this run say about a missed goal: what its cost is made of, from parts
 * measured alone in the same run.
 */
function why(goal: Goal, r: ProbeCosts): string | undefined {
  if (goal === 'cli-kprobe' || goal === 'cli-kretprobe') {
    // Each part as a ratio to the bare trap of its own rounds.
    const [base, traced, limit, what] =
      goal === 'cli-kprobe'
        ? [r.kprobeRatio, r.cliKprobeRatio, 2.5, 'the hit itself (goal 2)']
        : [r.kretRatio, r.cliKretRatio, 5, 'the call itself (goal 3)'];
    const read = r.regReadUs / r.engineBareTrapUs;
    const line = r.lineUs / r.engineBareTrapUs;
    const floor = base + read + line;
    const x = (v: number) => `${fmt(v, 2)}x`;
    const verdict =
      floor > limit
        ? `That sum is above the goal: it cannot be met while ${what} costs what it does.`
        : `The other ${x(traced - floor)} is what the same work costs inside the traced run beyond ` +
          'its cost alone (the profile below).';
    return (
      `As ratios to the bare trap, measured alone in this run: ${what} ${x(base)}, one ` +
      `register read through koffi ${x(read)} (at most: the argument is read with PC at the ` +
      `trap, in one call) and one JSON line formatted and written ${x(line)} sum to ` +
      `${x(floor)}, of the ${x(traced)} measured. ${verdict}`
    );
  }
  if (goal === 'tasks' || goal === 'tasks-nested') {
    const kb = fmt(r.contextBytes / 1024, 1);
    const shared =
      'With 1,000 tasks vs 1 in this run, a kprobe on the same function, which keeps no ' +
      `per-task state, pays ${fmt(r.tasksKprobeRatio, 2)}x per hit.`;
    const nested =
      r.nestRatio <= 1.1
        ? ` With a switch every ${TASKS.D + 1} returns instead (${fmt(r.nestRatio, 2)}x, ` +
          `${(TASKS.T * (TASKS.D + 1)).toLocaleString('en-US')} instances live) the goal is met.`
        : '';
    return (
      `${shared}${nested} A return reads its task's newest instance (O(1): one object, headed ` +
      'from an array indexed by task id, its addresses held in it as numbers), last touched ' +
      `999 task switches before; each switch saves one Unicorn context of ${kb} KB and ` +
      `restores another (1,000 of them are ${fmt((r.contextBytes * 1000) / 2 ** 20, 1)} MB, ` +
      `beyond a core's own caches), so that object comes from memory. ${SWITCH_COPY[r.isa]}`
    );
  }
  return undefined;
}

/**
 * Where the goal lies in the spread of the figure over this run's rounds: a median past the
 * goal with a quarter of the rounds within it is a miss this machine's noise can make.
 */
function spreadNote([q1, q3]: [number, number], limit: number): string {
  const range = `${fmt(q1, 2)}-${fmt(q3, 2)}x`;
  return q1 <= limit
    ? `The middle half of this run's rounds spans ${range}, across the goal: rounds of the ` +
        'same run fall on both sides of it.'
    : `The middle half of this run's rounds spans ${range}, all past the goal.`;
}

/** The goals of the probe table a row misses, with the figure that misses. */
function missedGoals(rows: ProbeCosts[]): { goal: Goal; isa: Isa; figure: string; why?: string }[] {
  const out: { goal: Goal; isa: Isa; figure: string; why?: string }[] = [];
  for (const r of rows) {
    const check = (goal: Goal, figure: GoalFigure, limit: number) => {
      const ratio = r[figure];
      if (ratio <= limit) return;
      const w = [why(goal, r), spreadNote(r.spread[figure], limit)].filter((x) => x !== undefined).join(' ');
      out.push({ goal, isa: r.isa, figure: `${fmt(ratio, 2)}x (goal <= ${limit})`, why: w });
    };
    check('idle', 'idle100Ratio', 1.02);
    check('kprobe', 'kprobeRatio', 2);
    check('kretprobe', 'kretRatio', 5);
    check('many', 'many10kRatio', 1.1);
    check('tasks', 'tasksRatio', 1.1);
    check('tasks-nested', 'nestRatio', 1.1);
    check('cli-kprobe', 'cliKprobeRatio', 2.5);
    check('cli-kretprobe', 'cliKretRatio', 5);
  }
  return out;
}

if (process.env.BENCH_ENGINE_ONLY) await engineOnly();
else await main();
