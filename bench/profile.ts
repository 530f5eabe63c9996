// CPU profiles of the hot paths behind the benchmark goals, taken in-process with the V8
// profiler (node:inspector, what `node --cpu-prof` uses), summarised as self time per
// function. `npm run bench` profiles each goal it misses into bench/RESULTS.md;
// `npm run bench:profile -- GOAL [ISA]` profiles one and keeps the .cpuprofile in
// bench/profiles/ for Chrome DevTools or speedscope.
import { mkdirSync, openSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ISAS } from '../fixtures/catalog.js';
import { blockWriter } from '../src/output.js';
import { traceDefinitions } from '../src/trace/definitions.js';
import { TraceSink } from '../src/trace/sink.js';
import {
  coldAddresses,
  emptyKprobe,
  emptyKretprobe,
  idleKprobes,
  nestKretprobe,
  TASKS,
  timed,
  TRACED,
  workKretprobe,
  type Isa,
} from './probes.js';

/** The workload behind each goal of the probe table, run a few times over. */
export const GOALS = {
  idle: 'unprobed vs 100 probes registered that never fire (goal 1)',
  kprobe: 'kprobe hit, empty pre-handler (goal 2)',
  kretprobe: "kretprobe'd call, empty handlers (goal 3)",
  many: 'kprobe hit with 10,000 probes registered (goal 4)',
  tasks: '1,000 tasks inside one probed function (goal 5)',
  'tasks-nested': '1,000 tasks each 21 calls deep in one probed function (goal 5)',
  'cli-kprobe': 'traced kprobe hit, JSON lines to /dev/null (goal 6b)',
  'cli-kretprobe': "traced kretprobe'd call, JSON lines to /dev/null (goal 6b)",
} as const;
export type Goal = keyof typeof GOALS;

/** Where whole profiles are kept (relative to the project root, where the scripts run). */
export const PROFILES = 'bench/profiles';

function workload(goal: Goal, isa: Isa): () => void {
  // Hits enough that registration and start-up are a small part of the profile.
  const hot = ['hot', '1000000'];
  const traced = (def: string) => {
    const out = blockWriter(openSync('/dev/null', 'w'));
    return () => {
      timed(
        isa,
        'scale',
        hot,
        (_e, m) => void traceDefinitions(m, [def], new TraceSink('json', out, 'scale')),
      );
      out.flush();
    };
  };
  switch (goal) {
    case 'idle': {
      const setup = idleKprobes(coldAddresses(isa, 100));
      return () => void timed(isa, 'scale', hot, setup);
    }
    case 'kprobe':
      return () => void timed(isa, 'scale', hot, emptyKprobe);
    case 'kretprobe':
      return () => void timed(isa, 'scale', hot, emptyKretprobe);
    case 'many': {
      const idle = idleKprobes(coldAddresses(isa, 10_000));
      return () =>
        void timed(isa, 'scale', hot, (e) => {
          idle(e);
          emptyKprobe(e);
        });
    }
    case 'tasks':
      return () =>
        void timed(isa, 'scale', ['threads', String(TASKS.T), String(TASKS.R)], workKretprobe, {
          maxTasks: TASKS.T + 1,
        });
    case 'tasks-nested':
      return () =>
        void timed(isa, 'scale', ['threads', String(TASKS.T), '1', String(TASKS.D)], nestKretprobe, {
          maxTasks: TASKS.T + 1,
        });
    case 'cli-kprobe':
      return traced(TRACED.kprobe);
    case 'cli-kretprobe':
      return traced(TRACED.kretprobe);
  }
}

export interface ProfileLine {
  /** Share of the sampled time spent in the function itself. */
  percent: number;
  ms: number;
  name: string;
  /** file:line, relative to the project. */
  where: string;
}

interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[];
  samples: number[];
  timeDeltas: number[];
}

/** Self time per function, largest first; idle and the profiler's own program time left out. */
export function selfTimes(p: CpuProfile): ProfileLine[] {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map<string, { us: number; name: string; where: string }>();
  let total = 0;
  p.samples.forEach((id, i) => {
    const n = byId.get(id);
    if (!n) throw new Error(`sample ${i} of the profile names node ${id}, which it lacks`);
    // Native frames have no script: koffi's bound C functions (Unicorn running the guest, its
    // register and memory calls) show under whatever name V8 gave their shared template.
    const fn = n.callFrame.functionName;
    const native = n.callFrame.url === '' && !fn.startsWith('(');
    const name = native ? '(native: Unicorn through koffi)' : fn || '(anonymous)';
    if (name === '(idle)' || name === '(program)') return;
    const dt = p.timeDeltas[i] ?? 0;
    const where = n.callFrame.url
      ? n.callFrame.url.replace(/^.*?\/(dist\/)?(src|emu|arch|bench|node_modules)\//, '$2/') +
        `:${n.callFrame.lineNumber + 1}`
      : '';
    const key = `${name} ${where}`;
    const e = self.get(key) ?? { us: 0, name, where };
    e.us += dt;
    self.set(key, e);
    total += dt;
  });
  return [...self.values()]
    .sort((a, b) => b.us - a.us)
    .map((e) => ({ percent: (100 * e.us) / total, ms: e.us / 1000, name: e.name, where: e.where }));
}

/** Profile `rounds` runs of a goal's workload on one ISA (after one unprofiled warm-up run). */
export async function profileGoal(
  goal: Goal,
  isa: Isa,
  rounds = 5,
): Promise<{ lines: ProfileLine[]; profile: CpuProfile }> {
  const run = workload(goal, isa);
  run();
  const session = new Session();
  session.connect();
  try {
    await session.post('Profiler.enable');
    await session.post('Profiler.setSamplingInterval', { interval: 100 });
    await session.post('Profiler.start');
    for (let i = 0; i < rounds; i++) run();
    const { profile } = (await session.post('Profiler.stop')) as unknown as { profile: CpuProfile };
    return { lines: selfTimes(profile), profile };
  } finally {
    session.disconnect();
  }
}

/** Markdown lines: the top `n` functions by self time. */
export function profileTable(lines: ProfileLine[], n = 10): string[] {
  return [
    '| self time | function | where |',
    '|---:|---|---|',
    ...lines.slice(0, n).map((l) => `| ${l.percent.toFixed(1)}% | \`${l.name}\` | ${l.where} |`),
  ];
}

async function main(): Promise<void> {
  const [goal, isa = 'x86_64'] = process.argv.slice(2);
  if (!goal || !(goal in GOALS) || !(ISAS as readonly string[]).includes(isa)) {
    console.error(
      `usage: npm run bench:profile -- GOAL [x86_64|i386|ppc64]\ngoals:\n${Object.entries(GOALS)
        .map(([k, v]) => `  ${k.padEnd(14)} ${v}`)
        .join('\n')}`,
    );
    process.exitCode = 2;
    return;
  }
  const { lines, profile } = await profileGoal(goal as Goal, isa as Isa);
  mkdirSync(PROFILES, { recursive: true });
  const file = join(PROFILES, `${goal}-${isa}.cpuprofile`);
  writeFileSync(file, JSON.stringify(profile));
  console.log(`${GOALS[goal as Goal]} on ${isa}; profile in ${file}\n`);
  for (const l of profileTable(lines, 20)) console.log(l);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
