// JSON lines are written three ways: the built-in writer puts bytes straight into its block
// (TraceSink.json with a BlockWriter), falls back to text lines without one (or for a line
// too long for a block), and TraceSink.record formats the record objects that any other
// writer gets. All three must write what JSON.stringify writes for those records, for
// every kind of argument: escapes, non-ASCII, faults, arrays, symbols, $argN of return
// probes, several tasks, lines longer than a block.
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { blockWriter } from '../../src/output.js';
import { createMachine, loadElfFile } from '../../src/run.js';
import { traceDefinitions, type Sink } from '../../src/trace/definitions.js';
import { TraceSink, type TraceEvent } from '../../src/trace/sink.js';
import { fakeCpu } from '../arch/fake-cpu.js';
import { fixture, ISAS } from '../helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'kprobe-emu-jsonl-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const quiet = (): void => {};

type Way = 'bytes' | 'text' | 'record' | 'stringify';

/** The trace of one run, written one way, as lines. */
function trace(
  isa: string,
  name: string,
  args: string[],
  defs: string[],
  way: Way,
  opts: Record<string, unknown> = {},
): string[] {
  const m = createMachine(loadElfFile(fixture(isa as 'x86_64', name)), {
    argv: [name, ...args],
    stdout: quiet,
    stderr: quiet,
    warn: quiet,
    ...opts,
  });
  const lines: string[] = [];
  const path = join(dir, `${isa}-${name}.jsonl`);
  const fd = way === 'bytes' ? openSync(path, 'w') : -1;
  const out = fd >= 0 ? blockWriter(fd) : (l: string) => void lines.push(l);
  const json = new TraceSink('json', out, name);
  // Not a TraceSink: traceDefinitions hands it record objects.
  const other: Sink = {
    timed: false,
    taskName: name,
    nextSeq: () => json.nextSeq(),
    record: (r) =>
      way === 'record' ? json.record(r) : lines.push(JSON.stringify(r.event satisfies TraceEvent)),
    close: quiet,
  };
  try {
    traceDefinitions(m, defs, way === 'bytes' || way === 'text' ? json : other);
    const stop = m.run();
    expect(stop).toMatchObject({ kind: 'exit', status: 0 });
  } finally {
    m.close();
    if (fd >= 0) {
      (out as ReturnType<typeof blockWriter>).flush();
      closeSync(fd);
    }
  }
  return fd >= 0 ? readFileSync(path, 'utf8').split('\n').slice(0, -1) : lines;
}

const WAYS: Way[] = ['bytes', 'text', 'record', 'stringify'];

describe.each(ISAS)('%s', (isa) => {
  it('strings with quotes, backslashes, controls and non-ASCII; chars, arrays, symbols, faults, $comm', () => {
    const argv = [
      'plain',
      'quo"te',
      'back\\slash',
      'tab\there\nnewline',
      'caf\u00e9 \u20ac',
      '\u0001\u001f\u007f',
      "'",
      '',
    ];
    const defs = [
      'p:pa print_arg i=$arg1:s32 s=+0($arg2):string c=+0($arg2):char b=+0($arg2):u8[4] x=$arg2:x16 sym=$arg2:symbol',
      'p:m main $comm argc=$arg1:u64 f=@0x10:u32 n=$arg1:s8 bf=$arg1:b3@1/32',
      'r:pr print_arg $retval i=$arg1 s=+0($arg2):string',
    ];
    const ways = WAYS.map((w) => trace(isa, 'args', argv, defs, w));
    expect(ways[0]!.length).toBe(2 * (argv.length + 1) + 1);
    for (const w of ways.slice(1)) expect(w).toEqual(ways[0]);
    const evs = ways[0]!.map((l) => JSON.parse(l) as TraceEvent);
    // What the guest got as argv, back from its memory through the trace (bytes as latin1).
    const strings = evs
      .filter((e) => e.event === 'pa')
      .map((e) => Buffer.from(e.args.s!, 'latin1').toString('utf8'));
    expect(strings).toEqual(['args', ...argv]);
    expect(evs.find((e) => e.event === 'm')!.args).toMatchObject({
      arg1: 'args',
      f: '(fault)',
      argc: String(argv.length + 1),
    });
    expect(evs.map((e) => e.seq)).toEqual(evs.map((_, i) => i + 1));
  });

  it('a line longer than a block, and several tasks', () => {
    const long = 'x'.repeat(5000);
    const big = ['p:big print_arg a=+0($arg2):string b=+0($arg2):string c=+0($arg2):string'];
    const ways = WAYS.map((w) => trace(isa, 'args', [long], big, w));
    for (const w of ways.slice(1)) expect(w).toEqual(ways[0]);
    expect(ways[0]!.map((l) => (JSON.parse(l) as TraceEvent).args.a!.length)).toEqual([4, 4095]);

    const threads = ['p:w work_thread id=$arg1', 'r:wr work_thread $retval'];
    const tw = WAYS.map((w) => trace(isa, 'rettest', ['threads'], threads, w, { quantum: 5000 }));
    for (const w of tw.slice(1)) expect(w).toEqual(tw[0]);
    expect(new Set(tw[0]!.map((l) => (JSON.parse(l) as TraceEvent).task)).size).toBeGreaterThan(2);
  });

  it('seq across 9, 99 and 999 (its digits are counted up in place), more lines than a block holds', () => {
    const ways = WAYS.map((w) =>
      trace(isa, 'fib', ['15'], ['p:f fib n=$arg1:s32', 'r:fr fib $retval:u32'], w),
    );
    for (const w of ways.slice(1)) expect(w).toEqual(ways[0]);
    expect(ways[0]!.map((l) => (JSON.parse(l) as TraceEvent).seq)).toEqual(ways[0]!.map((_, i) => i + 1));
    expect(ways[0]!.length).toBeGreaterThan(2000);
    expect(ways[0]!.join('\n').length).toBeGreaterThan(2 * 65536);
  });
});

describe('register values the JSON writer renders itself', () => {
  it('are what the string path writes, for every width and digit count', () => {
    const values = [
      0n,
      1n,
      0xfn,
      0x10n,
      0x7fn,
      0x80n,
      0xffffn,
      0x10000n,
      0xffffffffn,
      0x100000000n,
      0x1000000000n,
      0x123456789abcdef0n,
      0x8000000000000000n,
      0xffffffffffffffffn,
      0xfedcba9800000001n,
    ];
    const cpu = fakeCpu(Object.fromEntries(values.map((v, i) => [i, v])));
    const widths = [8, 16, 32, 64];
    const path = join(dir, 'hex.jsonl');
    const fd = openSync(path, 'w');
    const out = blockWriter(fd);
    const bytes = new TraceSink('json', out, 'hex');
    const lines: string[] = [];
    const text = new TraceSink('json', (l: string) => void lines.push(l), 'hex');
    const names = widths.flatMap((b) => values.map((_, i) => `r${i}_${b}`));
    const ids = widths.flatMap(() => values.map((_, i) => i));
    const bits = widths.flatMap((b) => values.map(() => b));
    const hex = { reads: ids.map((id) => () => cpu.regReadHalves(id)), bits };
    for (const sink of [bytes, text]) {
      const parts = sink.jsonParts({ type: 'kprobe', group: 'g', event: 'e', pc: '0x1', at: 'f+0x0' }, names);
      sink.json(parts, 1000, [], hex);
      sink.json(parts, 1001, [], hex);
    }
    out.flush();
    closeSync(fd);
    const written = readFileSync(path, 'utf8').split('\n').slice(0, -1);
    expect(written).toEqual(lines);
    const args = (JSON.parse(written[1]!) as TraceEvent).args;
    names.forEach((name, k) =>
      expect(args[name]).toBe(`0x${BigInt.asUintN(bits[k]!, values[ids[k]!]!).toString(16)}`),
    );
  });
});
