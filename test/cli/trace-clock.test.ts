// The trace clocks (--trace-clock, ftrace's trace_clock): in a Chrome trace of recursive fib
// on each ISA, under each clock, every call is a slice that takes time and nests inside its
// caller's, and a caller's slice outlasts each of its callees'; `counter` and `guest` give
// the same trace in every run, and `local` measures the host's time.
import { describe, expect, it } from 'vitest';
import { createMachine, loadElfFile } from '../../src/run.js';
import { traceDefinitions } from '../../src/trace/definitions.js';
import { TRACE_CLOCKS, type TraceClockName } from '../../src/trace/clock.js';
import { TraceSink } from '../../src/trace/sink.js';
import { cli, fixture, ISAS, type IsaName } from '../helpers.js';

interface Slice {
  name: string;
  ph: string;
  ts: number;
  dur: number;
  tid: number;
}

const quiet = (): void => {};

/** The Chrome trace of fib N with its calls and entries traced on `clock`, and how long the run took. */
function chromeTrace(isa: IsaName, clock: TraceClockName, n = 10): { lines: string[]; hostNs: bigint } {
  const m = createMachine(loadElfFile(fixture(isa, 'fib')), {
    argv: ['fib', String(n)],
    stdout: quiet,
    stderr: quiet,
    warn: quiet,
    countInsns: clock === 'guest',
  });
  const lines: string[] = [];
  const sink = new TraceSink('chrome', (l) => void lines.push(l), 'fib');
  try {
    traceDefinitions(m, ['r:fibret fib', 'p:fibcall fib'], sink, { clock });
    const t = process.hrtime.bigint();
    expect(m.run()).toEqual({ kind: 'exit', status: 0 });
    const hostNs = process.hrtime.bigint() - t;
    sink.close();
    return { lines, hostNs };
  } finally {
    m.close();
  }
}

const slicesOf = (lines: string[]): Slice[] =>
  (JSON.parse(lines.join('\n')) as { traceEvents: Slice[] }).traceEvents.filter((e) => e.ph === 'X');

/** fib(n) makes fib(n-1) + fib(n-2) + 1 calls. */
const calls = (n: number): number => (n < 2 ? 1 : calls(n - 1) + calls(n - 2) + 1);

describe.each(ISAS)('%s', (isa) => {
  it.each(TRACE_CLOCKS)(
    '%s: every call a slice with a duration, nested in its caller, outlasting its callees',
    (clock) => {
      const slices = slicesOf(chromeTrace(isa, clock).lines);
      expect(slices).toHaveLength(calls(10));
      for (const s of slices) expect(s.dur, `${JSON.stringify(s)} takes no time`).toBeGreaterThan(0);
      // Sorted by start, longest first at a tie: each slice's parent is the innermost open one.
      const sorted = [...slices].sort((a, b) => a.ts - b.ts || b.dur - a.dur);
      const open: Slice[] = [];
      const children = new Map<Slice, Slice[]>();
      for (const s of sorted) {
        while (open.length > 0 && (open.at(-1) as Slice).ts + (open.at(-1) as Slice).dur <= s.ts) open.pop();
        const parent = open.at(-1);
        if (parent) {
          // Inside the parent, end included: slices nest, they do not overlap.
          expect(s.ts + s.dur, `${JSON.stringify(s)} overlaps ${JSON.stringify(parent)}`).toBeLessThanOrEqual(
            parent.ts + parent.dur + 1e-6,
          );
          children.set(parent, [...(children.get(parent) ?? []), s]);
        }
        open.push(s);
      }
      // One outermost call (fib 10 from main); every caller has its two callees inside it.
      expect(slices.filter((s) => !sorted.some((p) => children.get(p)?.includes(s)))).toHaveLength(1);
      for (const [parent, kids] of children) {
        expect(kids).toHaveLength(2);
        for (const k of kids) expect(parent.dur).toBeGreaterThan(k.dur);
      }
    },
  );

  it.each(['counter', 'guest'] as const)('%s: the same trace in two runs', (clock) => {
    const a = chromeTrace(isa, clock, 8).lines;
    expect(a.length).toBeGreaterThan(calls(8));
    expect(chromeTrace(isa, clock, 8).lines).toEqual(a);
  });

  it("local: the host's monotonic time, within the run's", () => {
    const { lines, hostNs } = chromeTrace(isa, 'local', 8);
    const slices = slicesOf(lines);
    const outer = slices.reduce((a, b) => (b.dur > a.dur ? b : a));
    // Microseconds: the outermost call took real time, no more than the whole run.
    expect(outer.dur * 1000).toBeLessThanOrEqual(Number(hostNs));
    expect(outer.dur).toBeGreaterThan(1);
  });
});

describe('--trace-clock', () => {
  it('counter: JSON lines carry ts, and a return its duration; text shows the bare counts', () => {
    const defs = ['-e', 'p:fibcall fib', '-e', 'r:fibret fib'];
    const json = cli([
      'run',
      '--trace-clock',
      'counter',
      '--format',
      'json',
      ...defs,
      fixture('x86_64', 'fib'),
      '3',
    ]);
    expect(json.status).toBe(0);
    const evs = json.stderr
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { type: string; ts: number; duration?: number });
    // fib 3 makes 5 calls: each entry reads the clock twice (the return probe's entry
    // handler, then the probe's hit: 1, 2 for fib 3), each return once. fib 3 enters at 1-2,
    // fib 2 at 3-4, fib 1 at 5-6 and returns at 7, fib 0 enters at 8-9 and returns at 10,
    // fib 2 returns at 11, fib 1 enters at 12-13 and returns at 14, fib 3 returns at 15.
    expect(evs.map((e) => e.ts)).toEqual([2, 4, 6, 7, 9, 10, 11, 13, 14, 15]);
    expect(evs.filter((e) => e.type === 'kretprobe').map((e) => e.duration)).toEqual([2, 2, 8, 2, 14]);
    const text = cli(['run', '--trace-clock', 'counter', ...defs, fixture('x86_64', 'fib'), '3']);
    expect(text.stderr).toMatch(/^ +fib-1000 \[000\] \.{5} +2: fibcall: /m);
  });

  it('an unknown clock is a usage error naming the choices', () => {
    const r = cli(['run', '--trace-clock', 'tsc', fixture('x86_64', 'fib'), '3']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('Allowed choices are local, counter, guest');
  });
});
