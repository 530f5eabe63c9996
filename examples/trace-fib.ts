// A complete use of the library: run a guest program with an entry probe and a return probe
// on one function, stream every event to a callback as it happens, and print a summary.
//
//   npx tsx examples/trace-fib.ts [ELF] [N]      (default: fixtures/build/x86_64/fib 10)
//
// Handlers run synchronously inside Machine.run(): the emulator blocks the event loop while
// the guest runs, so events are handed to `onEvent` (and written with writeSync) as they
// happen; an async consumer gets them after run() returns, or runs the machine in a
// worker_threads Worker and posts them to the main thread.
import { writeSync } from 'node:fs';
import { createMachine, kprobes, loadElfFile, type Regs } from '../src/index.js';

interface Event {
  kind: 'entry' | 'return';
  task: number;
  n?: bigint;
  value?: bigint;
  depth: number;
}

export function traceFib(
  path: string,
  n: string,
  onEvent: (e: Event) => void,
): { status: string; calls: number; returns: number; missed: number; stdout: string } {
  const out: Buffer[] = [];
  const m = createMachine(loadElfFile(path), {
    argv: [path, n],
    stdout: (b) => out.push(Buffer.from(b)),
    stderr: (b) => writeSync(2, b),
    warn: (l) => writeSync(2, `${l}\n`),
  });
  try {
    const engine = kprobes(m);
    const entry = engine.registerKprobe(
      { symbol: 'fib' },
      {
        preHandler: (_p, regs: Regs) => {
          onEvent({
            kind: 'entry',
            task: regs.tid,
            n: BigInt.asUintN(32, regs.arg(1)),
            depth: regs.stackTrace().length,
          });
          return 0;
        },
      },
    );
    const ret = engine.registerKretprobe(
      { symbol: 'fib' },
      {
        maxactive: 64,
        handler: (_ri, regs) =>
          onEvent({
            kind: 'return',
            task: regs.tid,
            value: BigInt.asUintN(32, regs.retval),
            depth: regs.stackTrace().length,
          }),
      },
    );
    const stop = m.run();
    return {
      status: stop.kind === 'exit' ? `exit ${stop.status}` : stop.kind,
      calls: entry.nhit,
      returns: ret.nhit,
      missed: ret.nmissed,
      stdout: Buffer.concat(out).toString(),
    };
  } finally {
    m.close();
  }
}

// Run as a script: print each return of fib(1) and a summary.
if (process.argv[1]?.endsWith('trace-fib.ts')) {
  const [path = 'fixtures/build/x86_64/fib', n = '10'] = process.argv.slice(2);
  let ones = 0;
  const summary = traceFib(path, n, (e) => {
    if (e.kind === 'return' && e.value === 1n) ones++;
  });
  process.stdout.write(summary.stdout);
  console.log(
    `${summary.calls} calls, ${summary.returns} returns traced (${summary.missed} missed), ` +
      `${ones} returned 1; ${summary.status}`,
  );
}
