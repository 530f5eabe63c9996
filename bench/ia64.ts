// IA-64 beside the other ISAs: guest throughput (the interpreter's slots per second against
// Unicorn's instructions per second) and what a probe hit costs, measured the same way on
// every ISA in one run: fib with no probe, with a kprobe on fib's entry (pre-handler only),
// and with a return probe on fib, each the best of its rounds, the rounds interleaved.
import { kprobes } from '../src/kprobes.js';
import { runProgram } from '../src/run.js';

const sink = (): void => {};

export interface IsaSpeed {
  isa: string;
  /** Guest instructions (IA-64: slots) of the plain run. */
  insns: number;
  /** fib calls: kprobe hits and return-probe returns. */
  calls: number;
  plainMs: number;
  kprobeMs: number;
  kretMs: number;
}

type Probe = 'none' | 'kprobe' | 'kretprobe';

async function timed(
  path: string,
  args: string[],
  probe: Probe,
  count = false,
): Promise<{ ms: number; insns: number; hits: number }> {
  let hits = 0;
  const t = process.hrtime.bigint();
  const r = await runProgram(
    path,
    { argv: [path, ...args], stdout: sink, stderr: sink, warn: sink, countInsns: count },
    {
      setup: (m) => {
        if (probe === 'kprobe')
          kprobes(m).registerKprobe({ symbol: 'fib' }, { preHandler: () => void hits++ });
        if (probe === 'kretprobe')
          kprobes(m).registerKretprobe({ symbol: 'fib' }, { maxactive: 64, handler: () => void hits++ });
      },
    },
  );
  const ms = Number(process.hrtime.bigint() - t) / 1e6;
  if (r.status !== 0) throw new Error(`${path} ${args.join(' ')} ended with status ${r.status}`);
  return { ms, insns: r.insns, hits };
}

/** The three runs of one ISA's fib, best of `rounds` each, interleaved. */
export async function isaSpeed(isa: string, path: string, args: string[], rounds: number): Promise<IsaSpeed> {
  const best = { none: Infinity, kprobe: Infinity, kretprobe: Infinity };
  // The count from a run of its own: counting costs the engine time.
  const { insns } = await timed(path, args, 'none', true);
  let calls = 0;
  for (let i = 0; i < rounds; i++)
    for (const probe of ['none', 'kprobe', 'kretprobe'] as const) {
      const r = await timed(path, args, probe);
      best[probe] = Math.min(best[probe], r.ms);
      if (probe === 'none') continue;
      if (calls === 0) calls = r.hits;
      else if (r.hits !== calls) throw new Error(`${isa}: ${probe} counted ${r.hits} calls, not ${calls}`);
    }
  return { isa, insns, calls, plainMs: best.none, kprobeMs: best.kprobe, kretMs: best.kretprobe };
}

const fmt = (n: number, d = 1): string => n.toFixed(d);

/** The section of bench/RESULTS.md. */
export function ia64Table(rows: readonly IsaSpeed[]): string[] {
  const lines = ['## IA-64 beside the other ISAs (fib, same run)', ''];
  lines.push(
    '| ISA | engine | guest insns (IA-64: slots) | plain ms | million insns/s | fib calls | ' +
      'kprobe per hit | kretprobe per call | kprobe hit / guest insn |',
  );
  lines.push('|---|---|---:|---:|---:|---:|---:|---:|---:|');
  for (const r of rows) {
    const perInsnNs = (r.plainMs * 1e6) / r.insns;
    const hit = ((r.kprobeMs - r.plainMs) * 1e3) / r.calls;
    const ret = ((r.kretMs - r.plainMs) * 1e3) / r.calls;
    lines.push(
      `| ${r.isa} | ${r.isa === 'ia64' ? 'interpreter' : 'Unicorn'} | ${r.insns.toLocaleString('en-US')} | ` +
        `${fmt(r.plainMs)} | ${fmt(r.insns / r.plainMs / 1e3, 2)} | ${r.calls.toLocaleString('en-US')} | ` +
        `${fmt(hit, 2)} us | ${fmt(ret, 2)} us | ${fmt((hit * 1e3) / perInsnNs, 0)} |`,
    );
  }
  lines.push('');
  lines.push(
    'fib is the reference guest `fixtures/ia64/build/fib` (fib(25), its own argument) on IA-64 and ' +
      '`fixtures/build/ISA/fib 25` on the others. Whole runs from ELF load to exit, each the best of ' +
      'its rounds; per hit and per call are the probed run less the plain one over the calls. The ' +
      'last column is a hit in guest instructions of the same engine: the interpreter runs slots ' +
      'in JavaScript, so its instructions are dearer and a hit costs fewer of them.',
  );
  lines.push('');
  return lines;
}
