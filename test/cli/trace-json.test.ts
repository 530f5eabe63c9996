// The trace's JSON as its readers see it. JSON lines: each event is what JSON.stringify writes
// for it, fields in order, for every kind of argument (escapes, non-ASCII, faults, arrays,
// symbols, $argN of return probes), several tasks and lines longer than a block, the same to a
// file as to a stream and as a writer of records gets it. Trace Event Format: the same events
// with the same values. And each format's exact output for given records.
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { GUEST_PID } from '../../emu/machine.js';
import { blockWriter } from '../../src/output.js';
import { createMachine, loadElfFile } from '../../src/run.js';
import { traceDefinitions, type Sink } from '../../src/trace/definitions.js';
import { TraceSink, type TraceEvent, type TraceFormat, type TraceRecord } from '../../src/trace/sink.js';
import { fakeCpu } from '../arch/fake-cpu.js';
import { findOne, fixture, ISAS, present } from '../helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'kprobe-emu-trace-json-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const quiet = (): void => {};

interface Run {
  isa: string;
  name: string;
  args: string[];
  defs: string[];
  opts?: Record<string, unknown>;
}

/** The machine of a run, its definitions registered on `sink`; runs it to a clean exit. */
function run(r: Run, sink: Sink): void {
  const m = createMachine(loadElfFile(fixture(r.isa as 'x86_64', r.name)), {
    argv: [r.name, ...r.args],
    stdout: quiet,
    stderr: quiet,
    warn: quiet,
    ...r.opts,
  });
  try {
    traceDefinitions(m, r.defs, sink, { clock: 'counter' });
    expect(m.run()).toMatchObject({ kind: 'exit', status: 0 });
  } finally {
    m.close();
  }
}

/** The lines of a run traced in `format`, to a file (written in blocks) or to a stream of lines. */
function trace(r: Run, format: TraceFormat, to: 'file' | 'stream'): string[] {
  if (to === 'stream') {
    const lines: string[] = [];
    const sink = new TraceSink(format, (l) => void lines.push(l), r.name);
    run(r, sink);
    sink.close();
    return lines;
  }
  const path = join(dir, `${r.isa}-${r.name}.${format}`);
  const fd = openSync(path, 'w');
  const out = blockWriter(fd);
  const sink = new TraceSink(format, out, r.name);
  try {
    run(r, sink);
    sink.close();
  } finally {
    out.flush();
    closeSync(fd);
  }
  return readFileSync(path, 'utf8').split('\n').slice(0, -1);
}

/** The records a writer of its own gets for a run. */
function records(r: Run): TraceRecord[] {
  const got: TraceRecord[] = [];
  let seq = 0;
  run(r, { taskName: r.name, nextSeq: () => ++seq, record: (x) => got.push(x), close: quiet });
  return got;
}

/**
 * The JSON lines of a run, checked for what holds of every run: JSON.stringify's own text,
 * fields in order, seq counting from 1, the same to a file and to a stream, the same as the
 * events a writer of records gets and as a JSON sink writes for those records.
 */
function jsonLines(r: Run): TraceEvent[] {
  const lines = trace(r, 'json', 'file');
  const events = lines.map((l) => JSON.parse(l) as TraceEvent);
  events.forEach((ev, i) => {
    expect(lines[i]).toBe(JSON.stringify(ev));
    expect(Object.keys(ev)).toEqual([
      'seq',
      'ts',
      ...(ev.type === 'kretprobe' && ev.duration !== undefined ? ['duration'] : []),
      'type',
      'group',
      'event',
      'task',
      'pc',
      'at',
      ...(ev.type === 'kretprobe' ? ['ret'] : []),
      'args',
    ]);
    expect(ev.seq).toBe(i + 1);
  });
  expect(trace(r, 'json', 'stream')).toEqual(lines);
  const recs = records(r);
  expect(recs.map((x) => JSON.stringify(x.event))).toEqual(lines);
  const written: string[] = [];
  const sink = new TraceSink('json', (l) => void written.push(l), r.name);
  for (const x of recs) sink.record(x);
  expect(written).toEqual(lines);
  return events;
}

interface ChromeEvent {
  name: string;
  cat?: string;
  ph: string;
  s?: string;
  ts?: number;
  dur?: number;
  pid: number;
  tid: number;
  args: Record<string, string>;
}

/**
 * The Trace Event Format of a run, against its JSON lines `events`: one event a hit, in the
 * same order, with the same task and values; a named track for the process and each task.
 */
function chromeAgrees(r: Run, events: readonly TraceEvent[]): ChromeEvent[] {
  const lines = trace(r, 'chrome', 'file');
  expect(trace(r, 'chrome', 'stream')).toEqual(lines);
  const parsed = JSON.parse(lines.join('\n')) as { displayTimeUnit: string; traceEvents: ChromeEvent[] };
  expect(parsed.displayTimeUnit).toBe('ns');
  const all = parsed.traceEvents;
  lines.slice(1, -1).forEach((l, i) => expect(l).toBe(`${i > 0 ? ',' : ''}${JSON.stringify(all[i])}`));
  for (const e of all) expect(e.pid).toBe(GUEST_PID);
  expect(all[0]).toEqual({
    name: 'process_name',
    ph: 'M',
    pid: GUEST_PID,
    tid: present(events[0], 'the first event').task,
    args: { name: r.name },
  });
  const named = new Set<number>();
  const hits: ChromeEvent[] = [];
  for (const e of all) {
    if (e.name === 'thread_name') {
      expect(e.args).toEqual({ name: `${r.name}-${e.tid}` });
      named.add(e.tid);
    } else if (e.ph !== 'M') {
      expect(named.has(e.tid)).toBe(true);
      hits.push(e);
    }
  }
  expect(hits).toHaveLength(events.length);
  hits.forEach((c, i) => {
    const j = present(events[i], `event ${i}`);
    expect([c.name, c.cat, c.tid]).toEqual([j.event, j.group, j.task]);
    const args = j.type === 'kprobe' ? { at: j.at, ...j.args } : { func: j.at, ret: j.ret, ...j.args };
    expect(Object.entries(c.args)).toEqual(Object.entries(args));
    expect(c.ts).toBeGreaterThanOrEqual(0);
    if (j.type === 'kprobe') expect([c.ph, c.s, c.dur]).toEqual(['i', 't', undefined]);
    else {
      expect([c.ph, c.s]).toEqual(['X', undefined]);
      expect(c.dur).toBeGreaterThanOrEqual(0);
    }
  });
  return hits;
}

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
    const r: Run = {
      isa,
      name: 'args',
      args: argv,
      defs: [
        'p:pa print_arg i=$arg1:s32 s=+0($arg2):string c=+0($arg2):char b=+0($arg2):u8[4] x=$arg2:x16 sym=$arg2:symbol',
        'p:m main $comm argc=$arg1:u64 f=@0x10:u32 n=$arg1:s8 bf=$arg1:b3@1/32',
        'r:pr print_arg $retval i=$arg1 s=+0($arg2):string',
        // Arguments named as the members Trace Event Format puts first.
        'p:pat print_arg at=$arg1:s32',
        'r:rat print_arg func=$arg1:s32 ret=$retval',
      ],
    };
    const evs = jsonLines(r);
    expect(evs).toHaveLength(4 * (argv.length + 1) + 1);
    // What the guest got as argv, back from its memory through the trace (bytes as latin1).
    const strings = evs
      .filter((e) => e.event === 'pa')
      .map((e) => Buffer.from(present(e.args.s, 'argument s'), 'latin1').toString('utf8'));
    expect(strings).toEqual(['args', ...argv]);
    expect(evs.filter((e) => e.event === 'pr').map((e) => e.args.s)).toEqual(
      evs.filter((e) => e.event === 'pa').map((e) => e.args.s),
    );
    expect(findOne(evs, 'event m', (e) => e.event === 'm').args).toMatchObject({
      arg1: 'args',
      f: '(fault)',
      argc: String(argv.length + 1),
    });
    const hits = chromeAgrees(r, evs);
    expect(findOne(hits, 'event pat', (c) => c.name === 'pat').args).toEqual({ at: '0' });
    expect(Object.keys(findOne(hits, 'event rat', (c) => c.name === 'rat').args)).toEqual(['func', 'ret']);
  });

  it('a line longer than a block, and several tasks', () => {
    const long: Run = {
      isa,
      name: 'args',
      args: ['x'.repeat(5000), '\u00e9'.repeat(3000)],
      defs: ['p:big print_arg a=+0($arg2):string b=+0($arg2):string c=+0($arg2):string'],
    };
    const evs = jsonLines(long);
    expect(evs.map((e) => present(e.args.a, 'argument a').length)).toEqual([4, 4095, 4095]);
    chromeAgrees(long, evs);

    const threads: Run = {
      isa,
      name: 'rettest',
      args: ['threads'],
      defs: ['p:w work_thread id=$arg1', 'r:wr work_thread $retval', 'p:y sys_sched_yield'],
      opts: { quantum: 5000 },
    };
    const tw = jsonLines(threads);
    expect(new Set(tw.map((e) => e.task)).size).toBeGreaterThan(2);
    chromeAgrees(threads, tw);
  });

  it('seq across 9, 99 and 999 (its digits are counted up in place), more lines than a block holds', () => {
    const fib: Run = {
      isa,
      name: 'fib',
      args: ['15'],
      defs: ['p:f fib n=$arg1:s32', 'r:fr fib $retval:u32'],
    };
    const evs = jsonLines(fib);
    expect(evs.length).toBeGreaterThan(2000);
    expect(evs.map((e) => JSON.stringify(e)).join('\n').length).toBeGreaterThan(2 * 65536);
    chromeAgrees(fib, evs);
  });
});

describe('register values the JSON writer renders itself', () => {
  it('are the value in hex at every width and digit count, to a file and to a stream', () => {
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
    const file = new TraceSink('json', out, 'hex');
    const lines: string[] = [];
    const stream = new TraceSink('json', (l: string) => void lines.push(l), 'hex');
    const names = widths.flatMap((b) => values.map((_, i) => `r${i}_${b}`));
    const ids = widths.flatMap(() => values.map((_, i) => i));
    const bits = widths.flatMap((b) => values.map(() => b));
    const hex = { reads: ids.map((id) => () => cpu.regReadHalves(id)), bits };
    for (const sink of [file, stream]) {
      const parts = sink.jsonParts({ type: 'kprobe', group: 'g', event: 'e', pc: '0x1', at: 'f+0x0' }, names);
      sink.json(parts, 1000, 5, undefined, [], hex);
      sink.json(parts, 1001, 9, 4, [], hex);
    }
    out.flush();
    closeSync(fd);
    const written = readFileSync(path, 'utf8').split('\n').slice(0, -1);
    expect(written).toEqual(lines);
    const evs = written.map((l) => JSON.parse(l) as TraceEvent);
    expect(evs.map((e) => [e.seq, e.task, e.ts, e.duration])).toEqual([
      [1, 1000, 5, undefined],
      [2, 1001, 9, 4],
    ]);
    const second = present(evs[1], 'the second event');
    names.forEach((name, k) => {
      const bitsK = present(bits[k], `the width of ${name}`);
      const value = present(values[present(ids[k], `the register of ${name}`)], `the value of ${name}`);
      expect(second.args[name]).toBe(`0x${BigInt.asUintN(bitsK, value).toString(16)}`);
    });
  });
});

describe('each format, for given records', () => {
  const place = {};
  const kp: TraceRecord = {
    event: {
      seq: 1,
      type: 'kprobe',
      group: 'kprobes',
      event: 'p_leaf_0',
      task: 1000,
      pc: '0x401000',
      at: 'leaf+0x0',
      args: { x: '0x2a', s: 'caf\u00e9 "q" \\ \n\u0001', sym: 'main+0x4' },
    },
    textArgs: { x: '0x2a', s: '"caf\u00e9 "q" \\ \n\u0001"', sym: 'main+0x4' },
    where: 'leaf+0x0/0x10',
    ns: 1_234_567,
    key: place,
  };
  // The same probe and place again: what was rendered for the first is used.
  const kp2: TraceRecord = {
    ...kp,
    event: { ...kp.event, seq: 3, args: { x: '0x0', s: '', sym: 'leaf' } },
    textArgs: { x: '0x0', s: '""', sym: 'leaf' },
    ns: 5_000_000_000,
  };
  const kr: TraceRecord = {
    event: {
      seq: 2,
      type: 'kretprobe',
      group: 'grp',
      event: 'r_leaf_0',
      task: 1001,
      pc: '0x401020',
      at: 'leaf',
      ret: 'main+0x1c',
      args: { arg1: '-1' },
    },
    textArgs: { arg1: '-1' },
    where: 'main+0x1c/0x40 <- leaf',
    ns: 2_000_500,
    entryNs: 1_500_000,
  };
  const dropped = {
    event: 'r_leaf_0',
    group: 'grp',
    task: 1002,
    func: 'leaf',
    entryNs: 2_100_000,
    ns: 2_300_001,
    why: 'longjmp',
  } as const;
  const output = (format: TraceFormat, inNs = true): string[] => {
    const lines: string[] = [];
    const sink = new TraceSink(format, (l) => void lines.push(l), 'prog');
    sink.inNs = inNs;
    sink.record(kp);
    sink.record(kr);
    sink.dropped(dropped);
    sink.record(kp2);
    sink.close();
    return lines;
  };

  it('text', () => {
    expect(output('text')).toEqual([
      '       prog-1000 [000] .....     0.001234: p_leaf_0: (leaf+0x0/0x10) x=0x2a s="caf\u00e9' +
        ' "q" \\ \n\u0001" sym=main+0x4',
      '       prog-1001 [000] .....     0.002000: r_leaf_0: (main+0x1c/0x40 <- leaf) arg1=-1',
      '       prog-1000 [000] .....     5.000000: p_leaf_0: (leaf+0x0/0x10) x=0x0 s="" sym=leaf',
    ]);
  });

  it('JSON lines', () => {
    expect(output('json')).toEqual([
      '{"seq":1,"ts":1234567,"type":"kprobe","group":"kprobes","event":"p_leaf_0","task":1000,"pc":"0x401000' +
        '","at":"leaf+0x0","args":{"x":"0x2a","s":"caf\u00e9 \\"q\\" \\\\ \\n\\u0001","sym":"main' +
        '+0x4"}}',
      '{"seq":2,"ts":2000500,"duration":500500,"type":"kretprobe","group":"grp","event":"r_leaf_0",' +
        '"task":1001,"pc":"0x401020"' +
        ',"at":"leaf","ret":"main+0x1c","args":{"arg1":"-1"}}',
      '{"seq":3,"ts":5000000000,"type":"kprobe","group":"kprobes","event":"p_leaf_0","task":1000,"pc":"0x401000' +
        '","at":"leaf+0x0","args":{"x":"0x0","s":"","sym":"leaf"}}',
    ]);
  });

  it('Trace Event Format, times in microseconds as JSON.stringify writes their quotients', () => {
    expect(output('chrome')).toEqual([
      '{"displayTimeUnit":"ns","traceEvents":[',
      `{"name":"process_name","ph":"M","pid":${GUEST_PID},"tid":1000,"args":{"name":"prog"}}`,
      `,{"name":"thread_name","ph":"M","pid":${GUEST_PID},"tid":1000,"args":{"name":"prog-1000"}}`,
      `,{"name":"p_leaf_0","cat":"kprobes","ph":"i","s":"t","ts":1234.567,"pid":${GUEST_PID},"t` +
        `id":1000,"args":{"at":"leaf+0x0","x":"0x2a","s":"caf\u00e9 \\"q\\" \\\\ \\n\\u0001","sym` +
        `":"main+0x4"}}`,
      `,{"name":"thread_name","ph":"M","pid":${GUEST_PID},"tid":1001,"args":{"name":"prog-1001"}}`,
      `,{"name":"r_leaf_0","cat":"grp","ph":"X","ts":1500,"dur":500.5,"pid":${GUEST_PID},"tid":` +
        `1001,"args":{"func":"leaf","ret":"main+0x1c","arg1":"-1"}}`,
      `,{"name":"thread_name","ph":"M","pid":${GUEST_PID},"tid":1002,"args":{"name":"prog-1002"}}`,
      `,{"name":"r_leaf_0","cat":"grp","ph":"X","ts":2100,"dur":200.0010000000002,"pid":` +
        `${GUEST_PID},"tid":1002,"args":{"func":"leaf","dropped":"longjmp"}}`,
      `,{"name":"p_leaf_0","cat":"kprobes","ph":"i","s":"t","ts":5000000,"pid":${GUEST_PID},"ti` +
        `d":1000,"args":{"at":"leaf+0x0","x":"0x0","s":"","sym":"leaf"}}`,
      ']}',
    ]);
    const empty: string[] = [];
    new TraceSink('chrome', (l) => void empty.push(l), 'prog').close();
    expect(empty).toEqual(['{"displayTimeUnit":"ns","traceEvents":[', ']}']);
  });

  it('a clock that counts: bare counts in text, one microsecond a count in Chrome (ftrace counter)', () => {
    const counted = (format: TraceFormat) => output(format, false).filter((l) => l.includes('leaf_0'));
    expect(counted('text').map((l) => l.slice(0, 45))).toEqual([
      '       prog-1000 [000] .....      1234567: p_',
      '       prog-1001 [000] .....      2000500: r_',
      '       prog-1000 [000] .....   5000000000: p_',
    ]);
    const times = counted('chrome').map((l) => /"ts":([\d.]+)(?:,"dur":([\d.]+))?/.exec(l)?.slice(1));
    expect(times).toEqual([
      ['1234567', undefined],
      ['1500000', '500500'],
      ['2100000', '200001'],
      ['5000000000', undefined],
    ]);
  });
});
