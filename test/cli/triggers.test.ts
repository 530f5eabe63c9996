// --trigger and --format folded from the command line: hist tables of fib's calls against
// counts computed here, latency histograms of return probes, the stacktrace trigger's
// entries and its count, folded stacks, and bad triggers refused with a caret.
import { describe, expect, it } from 'vitest';
import { cli, fixture, ISAS } from '../helpers.js';

/** How many calls fib(n) makes with argument k, for each k. */
function callsByArg(n: number): Map<number, number> {
  const out = new Map<number, number>();
  const walk = (k: number): void => {
    out.set(k, (out.get(k) ?? 0) + 1);
    if (k >= 2) {
      walk(k - 1);
      walk(k - 2);
    }
  };
  walk(n);
  return out;
}

/** The entry lines and totals of a hist table printed on stderr. */
function table(stderr: string, nth = 0): { entries: string[]; totals: Record<string, number> } {
  const t = stderr.split('# event histogram\n')[nth + 1] ?? '';
  const [, body = '', totals = ''] = t.split(/\n\n/);
  return {
    entries: body.split('\n').filter((l) => l.startsWith('{')),
    totals: Object.fromEntries([...totals.matchAll(/(\w+): (\d+)/g)].map((m) => [m[1], Number(m[2])])),
  };
}

describe.each(ISAS)('%s', (isa) => {
  it("hist:keys=n: one entry per argument, each with fib's count of calls with it", () => {
    const r = cli([
      'run',
      '-e',
      'p:fibcall fib n=$arg1:u32',
      '--trigger',
      'fibcall hist:keys=n:sort=n',
      '-o',
      '/dev/null',
      fixture(isa, 'fib'),
      '9',
    ]);
    expect(r.status).toBe(0);
    const want = [...callsByArg(9)].sort(([a], [b]) => a - b);
    const { entries, totals } = table(r.stderr);
    expect(entries).toEqual(
      want.map(([k, c]) => `{ n: ${String(k).padStart(10)} } hitcount: ${String(c).padStart(10)}`),
    );
    expect(totals).toEqual({ Hits: want.reduce((a, [, c]) => a + c, 0), Entries: want.length, Dropped: 0 });
    expect(r.stderr).toContain('# trigger info: hist:keys=n:vals=hitcount:sort=n:size=2048 [active]');
  });

  it('hist:keys=duration.log2 of a return probe: a latency histogram over every call', () => {
    const r = cli([
      'run',
      '--trace-clock',
      'counter',
      '-e',
      'r:fibret fib',
      '-e',
      'p:fibcall fib',
      '--trigger',
      'fibret hist:keys=duration.log2:sort=duration',
      '-o',
      '/dev/null',
      fixture(isa, 'fib'),
      '6',
    ]);
    expect(r.status).toBe(0);
    // With the counter clock each call reads it at the probe's hit, then at the return
    // probe's entry (the newer probe of an address runs first, as the kernel's aggregate
    // list has it), then at its return: fib 0 and 1 take 1 from entry to return; fib k
    // takes its callees' reads (two more than each duration) and its own return:
    // d(k-1) + d(k-2) + 5.
    const dur = (k: number): number => (k < 2 ? 1 : dur(k - 1) + dur(k - 2) + 5);
    const buckets = new Map<number, number>();
    for (const [k, c] of callsByArg(6)) {
      const b = Math.ceil(Math.log2(dur(k)));
      buckets.set(b, (buckets.get(b) ?? 0) + c);
    }
    const { entries } = table(r.stderr);
    expect(entries).toEqual(
      [...buckets]
        .sort(([a], [b]) => a - b)
        .map(([b, c]) => `{ duration: ~ 2^${String(b).padEnd(2)} } hitcount: ${String(c).padStart(10)}`),
    );
  });

  it('stacktrace:2: the first two hits carry their stack, starting at the probed function', () => {
    const r = cli([
      'run',
      '-e',
      'p:fibcall fib',
      '--trigger',
      'fibcall stacktrace:2',
      fixture(isa, 'fib'),
      '4',
    ]);
    expect(r.status).toBe(0);
    const lines = r.stderr.split('\n');
    const at = lines.flatMap((l, i) => (l.endsWith(': <stack trace>') ? [i] : []));
    expect(at).toHaveLength(2);
    for (const i of at) {
      expect(lines[i - 1]).toMatch(/: fibcall: \(fib\+0x0\//);
      expect(lines[i + 1]).toMatch(/^ => fib\+0x[0-9a-f]+\/0x[0-9a-f]+$/);
    }
    expect(lines.filter((l) => l.includes(': fibcall: '))).toHaveLength(9);
  });

  it('--format folded: stacks ending in fib, weights summing to the hits', () => {
    const r = cli(['run', '--format', 'folded', '-e', 'p:fibcall fib', fixture(isa, 'fib'), '7']);
    expect(r.status).toBe(0);
    const folded = r.stderr.split('\n').filter((l) => l.startsWith('fib;'));
    expect(folded.length).toBeGreaterThan(0);
    let total = 0;
    for (const l of folded) {
      const m = /^fib(;[^; ]+)*;fib (\d+)$/.exec(l);
      expect(m, l).not.toBeNull();
      total += Number(m?.[2]);
    }
    expect(total).toBe([...callsByArg(7).values()].reduce((a, b) => a + b, 0));
  });
});

describe('bad triggers', () => {
  it.each([
    ['nope hist:keys=n', "bad trigger: no event 'nope' (events: kprobes/fibcall)", 0],
    [
      'fibcall hist:keys=m',
      "bad trigger: hist: unknown field 'm' (this event has: n, common_pid, stacktrace)",
      18,
    ],
    ['fibcall snapshot', 'bad trigger: unknown trigger command (hist:..., stacktrace[:N])', 8],
    ['fibcall', "bad trigger: a trigger is '[GROUP/]EVENT COMMAND' (hist:..., stacktrace)", 0],
  ])('%s', (trigger, message, column) => {
    const r = cli([
      'run',
      '-e',
      'p:fibcall fib n=$arg1:u32',
      '--trigger',
      trigger,
      fixture('x86_64', 'fib'),
      '3',
    ]);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(`kprobe-emu: ${message}\n  ${trigger}\n  ${' '.repeat(column)}^\n`);
  });
});
