// The report: both trace formats read into one model, the model's counts, buckets, nesting,
// flame stacks and lanes against hand-computed values on small traces, errors naming file
// and line, escaping, and the report of real traces of fib from the built CLI.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { barChart, escapeHtml, formatTime, jsonForScript, renderReport } from '../../src/report/html.js';
import { writeReport } from '../../src/report/index.js';
import {
  argHistogram,
  argNumber,
  buildReport,
  countEvents,
  durationStats,
  flameGraph,
  flameTotal,
  frameName,
  linearBuckets,
  log2Buckets,
  log2Floor,
  nestCalls,
  packLane,
  timelineLanes,
  topValues,
  type FlameNode,
} from '../../src/report/model.js';
import {
  parseChrome,
  parseJsonLines,
  parseProfile,
  readTrace,
  ReportInputError,
  type ReportEvent,
} from '../../src/report/read.js';
import { cli, fixture } from '../helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'kprobe-emu-report-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const ASSETS = { d3: '/* d3 */', flamegraph: '/* flamegraph */' };

/** JSON lines from objects, seq numbered. */
function jsonl(events: object[]): string {
  return events.map((e, i) => JSON.stringify({ seq: i + 1, group: 'kprobes', task: 1, ...e })).join('\n');
}

/** A kprobe hit at ts. */
const hit = (event: string, ts: number | undefined, args: Record<string, string> = {}, task = 1) => ({
  type: 'kprobe',
  event,
  task,
  at: `${event}+0x0`,
  ...(ts === undefined ? {} : { ts }),
  args,
});
/** A return of `func` at ts after `duration`. */
const ret = (func: string, ts: number, duration: number, extra: object = {}, task = 1) => ({
  type: 'kretprobe',
  event: `${func}_ret`,
  task,
  at: func,
  ret: 'main+0x10',
  ts,
  duration,
  args: {},
  ...extra,
});

const events = (lines: object[]): ReportEvent[] => parseJsonLines(jsonl(lines), 't.jsonl').events;

/** A flame tree as `path value` lines (self values), for comparing with what was worked out by hand. */
function folded(n: FlameNode, path: string[] = []): string[] {
  const here = n.kind === 'root' ? path : [...path, n.kind === 'instant' ? `${n.name}!` : n.name];
  const own = n.kind === 'root' || n.value === 0 ? [] : [`${here.join(';')} ${n.value}`];
  return [...own, ...n.children.flatMap((c) => folded(c, here))];
}

/** The error a call throws, for its message. */
function thrown(fn: () => unknown): ReportInputError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ReportInputError);
    return e as ReportInputError;
  }
  throw new Error('expected a ReportInputError');
}

describe('reading JSON lines', () => {
  it('reads hits, the header, times, durations and stacks', () => {
    const text = [
      '{"clock":"counter","unit":"count"}',
      jsonl([hit('fibcall', 2, { n: '3' }), ret('fib', 5, 3, { stack: ['fib+0x17/0x2b', 'main+0x8/0x20'] })]),
      '',
    ].join('\n');
    const t = parseJsonLines(text, 't.jsonl');
    expect(t).toMatchObject({ format: 'json', clock: 'counter', unit: 'count' });
    expect(t.events).toEqual([
      {
        index: 1,
        kind: 'kprobe',
        group: 'kprobes',
        event: 'fibcall',
        task: 1,
        at: 'fibcall+0x0',
        ts: 2,
        args: { n: '3' },
      },
      {
        index: 2,
        kind: 'kretprobe',
        group: 'kprobes',
        event: 'fib_ret',
        task: 1,
        at: 'fib',
        ret: 'main+0x10',
        ts: 5,
        duration: 3,
        args: {},
        stack: ['fib+0x17/0x2b', 'main+0x8/0x20'],
      },
    ]);
  });

  it('reads a trace without times (the JSON of kprobe-emu before ts)', () => {
    const t = parseJsonLines(jsonl([hit('a', undefined)]), 't.jsonl');
    expect(t.unit).toBe('ns');
    expect(t.events[0]?.ts).toBeUndefined();
  });

  it.each([
    ['{"seq":1,', 1, /^t\.jsonl:1: not valid JSON: /],
    ['[1,2]', 1, /^t\.jsonl:1: expected a JSON object, got \[1,2\]$/],
    [
      jsonl([hit('a', 1)]) + '\n{"seq":2,"type":"uprobe","event":"x","task":1}',
      2,
      /"type" must be "kprobe" or "kretprobe", got "uprobe"/,
    ],
    [jsonl([{ ...hit('a', 1), task: '1' }]), 1, /^t\.jsonl:1: "task" must be an integer, got "1"$/],
    [jsonl([{ ...hit('a', 1), event: undefined }]), 1, /"event" must be a string, got nothing/],
    [jsonl([{ ...hit('a', 1), args: { n: [1] } }]), 1, /argument "n" must be a string, got \[1\]/],
    [jsonl([{ ...hit('a', 1), ts: 'soon' }]), 1, /"ts" must be a number, got "soon"/],
    [jsonl([{ ...ret('f', 1, -2) }]), 1, /"duration" must be a number of at least 0, got -2/],
    [jsonl([{ ...ret('f', 1, 1), stack: 'main' }]), 1, /"stack" must be an array of strings/],
  ])('names the line and what is wrong: %s', (text, line, message) => {
    const e = thrown(() => parseJsonLines(text, 't.jsonl'));
    expect(e.line).toBe(line);
    expect(e.message).toMatch(message);
  });

  it('refuses a trace with no events', () => {
    expect(thrown(() => parseJsonLines('{"clock":"local"}\n', 't.jsonl')).message).toBe(
      't.jsonl: empty trace: no events in it',
    );
  });
});

/** A Chrome document as the sink writes it: one event a line. */
function chromeDoc(events: object[], head = '{"displayTimeUnit":"ns","traceEvents":[', tail = ']}'): string {
  return `${head}\n${events.map((e, i) => (i > 0 ? ',' : '') + JSON.stringify(e)).join('\n')}\n${tail}`;
}

const CHROME_EVENTS = [
  { name: 'process_name', ph: 'M', pid: 1000, tid: 1000, args: { name: 'fib' } },
  { name: 'thread_name', ph: 'M', pid: 1000, tid: 1000, args: { name: 'fib-1000' } },
  {
    name: 'fibcall',
    cat: 'kprobes',
    ph: 'i',
    s: 't',
    ts: 0.3,
    pid: 1000,
    tid: 1000,
    args: { at: 'fib+0x0', n: '3' },
  },
  {
    name: 'fibret',
    cat: 'kprobes',
    ph: 'X',
    ts: 0.25,
    dur: 0.05,
    pid: 1000,
    tid: 1000,
    args: { func: 'fib', ret: 'fib+0x17', arg1: '2' },
  },
  {
    name: 'fibret',
    cat: 'kprobes',
    ph: 'X',
    ts: 0.1,
    dur: 4.096,
    pid: 1000,
    tid: 1000,
    args: { func: 'fib', dropped: 'longjmp' },
  },
  { name: 'counter', ph: 'C', ts: 1, pid: 1000, tid: 1000, args: { v: 1 } },
];

describe('reading Chrome traces', () => {
  it('reads instants as kprobes and slices as returns, microseconds as nanoseconds', () => {
    const t = parseChrome(chromeDoc(CHROME_EVENTS), 't.json');
    expect(t).toMatchObject({ format: 'chrome', unit: 'ns', skipped: 1 });
    expect(t.taskNames.get(1000)).toBe('fib-1000');
    expect(t.events).toEqual([
      {
        index: 1,
        kind: 'kprobe',
        group: 'kprobes',
        event: 'fibcall',
        task: 1000,
        at: 'fib+0x0',
        ts: 300,
        args: { n: '3' },
      },
      {
        index: 2,
        kind: 'kretprobe',
        group: 'kprobes',
        event: 'fibret',
        task: 1000,
        at: 'fib',
        ret: 'fib+0x17',
        ts: 300,
        duration: 50,
        args: { arg1: '2' },
      },
      {
        index: 3,
        kind: 'kretprobe',
        group: 'kprobes',
        event: 'fibret',
        task: 1000,
        at: 'fib',
        // 4.096 us is 4096 ns exactly, not a hair off the power of two.
        ts: 4196,
        duration: 4096,
        args: {},
        dropped: 'longjmp',
      },
    ]);
  });

  it('reads a bare array, and a counting clock named in otherData', () => {
    expect(parseChrome(JSON.stringify(CHROME_EVENTS), 'a.json').events).toHaveLength(3);
    const t = parseChrome(
      JSON.stringify({ traceEvents: CHROME_EVENTS, otherData: { clock: 'counter' } }),
      'c.json',
    );
    expect(t).toMatchObject({ unit: 'count', clock: 'counter' });
    expect(t.events[1]).toMatchObject({ ts: 0.3, duration: 0.05 });
  });

  it.each([
    // The closing brace left out: the error is at the end, on line 8.
    [chromeDoc(CHROME_EVENTS, undefined, ']'), /^t\.json:8: not valid JSON: /],
    ['{"traceEvents":[\n{"ph":"i"},\n{"ph":"i",}\n]}', /^t\.json:3: not valid JSON: /],
    ['{"events":[]}', /^t\.json: not a trace: expected JSON lines, a Chrome trace object/],
    [
      '[{"name":"x","ph":"X","ts":1,"tid":1}]',
      /^t\.json: event 1 of traceEvents: "dur" must be a number of at least 0, got nothing$/,
    ],
    ['[1]', /event 1 of traceEvents: expected an object, got 1/],
    ['[{"name":"x","ph":"i","ts":"1","tid":1}]', /"ts" must be a number, got "1"/],
    ['[{"name":"x","ph":"i","ts":1}]', /"tid" must be an integer, got nothing/],
    ['[{"name":"process_name","ph":"M","pid":1}]', /^t\.json: empty trace: no probe events in it$/],
  ])('says what is wrong with %s', (text, message) => {
    expect(thrown(() => parseChrome(text, 't.json')).message).toMatch(message);
  });
});

describe('telling the formats apart', () => {
  it('reads each format from a file, and names the file it cannot read', () => {
    const j = join(dir, 'sniff.jsonl');
    writeFileSync(j, jsonl([hit('a', 1)]) + '\n');
    expect(readTrace(j).format).toBe('json');
    const c = join(dir, 'sniff.json');
    writeFileSync(c, chromeDoc(CHROME_EVENTS));
    expect(readTrace(c).format).toBe('chrome');
    writeFileSync(c, JSON.stringify({ traceEvents: CHROME_EVENTS }));
    expect(readTrace(c).format).toBe('chrome');
    const missing = join(dir, 'missing.json');
    expect(thrown(() => readTrace(missing)).message).toBe(`${missing}: cannot read: ENOENT`);
    const empty = join(dir, 'empty.json');
    writeFileSync(empty, '\n\n');
    expect(thrown(() => readTrace(empty)).message).toBe(`${empty}: empty trace: no events in it`);
  });

  it('reads a file in chunks: lines across chunk ends, multi-byte characters across them', () => {
    const long = 'é'.repeat(700_000);
    const p = join(dir, 'long.jsonl');
    writeFileSync(p, jsonl([hit('a', 1, { s: long }), hit('b', 2, { s: 'x' }), hit('a', 3, { s: long })]));
    const t = readTrace(p);
    expect(t.events.map((e) => [e.event, e.args.s?.length])).toEqual([
      ['a', 700_000],
      ['b', 1],
      ['a', 700_000],
    ]);
  });
});

describe('the profile', () => {
  it('reads EVENT HITS MISSES lines among other stderr lines', () => {
    const p = parseProfile('fib(5) = 5\nkprobe-emu: a note\nfibcall 15 0\nfibret 13 2\n', 'p.txt');
    expect([...p]).toEqual([
      ['fibcall', { hits: 15, misses: 0 }],
      ['fibret', { hits: 13, misses: 2 }],
    ]);
    expect(thrown(() => parseProfile('hello\n', 'p.txt')).message).toBe(
      'p.txt: not a profile: no "EVENT HITS MISSES" line in it',
    );
  });

  it('fills the missed counts; an event only the profile names gets a row', () => {
    const ev = events([hit('a', 1), hit('a', 2), ret('f', 3, 1), hit('b', 4)]);
    const rows = countEvents(
      ev,
      new Map([
        ['f_ret', { hits: 1, misses: 4 }],
        ['never', { hits: 0, misses: 7 }],
      ]),
    );
    expect(rows).toEqual([
      { event: 'a', group: 'kprobes', kind: 'kprobe', places: ['a+0x0'], hits: 2, dropped: 0 },
      {
        event: 'f_ret',
        group: 'kprobes',
        kind: 'kretprobe',
        places: ['f'],
        hits: 1,
        dropped: 0,
        missed: 4,
        profileHits: 1,
      },
      { event: 'b', group: 'kprobes', kind: 'kprobe', places: ['b+0x0'], hits: 1, dropped: 0 },
      { event: 'never', group: '', places: [], hits: 0, dropped: 0, missed: 7, profileHits: 0 },
    ]);
    expect(countEvents(ev).every((r) => r.missed === undefined)).toBe(true);
  });
});

describe('histograms', () => {
  it('reads numbers as the tool prints them', () => {
    expect(['3', '-1', '0x1f', '2.5', '"abc"', 'fib+0x10/0x2b', '{1,2}', '(fault)'].map(argNumber)).toEqual([
      3,
      -1,
      31,
      2.5,
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
  });

  it('finds floor(log2) exactly at powers of two', () => {
    for (let k = 0; k < 64; k++) {
      expect(log2Floor(2 ** k)).toBe(k);
      // Below 2^53, where 2^k - 1 is still a double of its own.
      if (k > 1 && k <= 53) expect(log2Floor(2 ** k - 1)).toBe(k - 1);
    }
    expect(log2Floor(0.5)).toBe(-1);
  });

  it('puts values in power-of-two buckets, empty ones between listed', () => {
    // 0 | 1 | 2,3 | 4..7 (none) | 8..15 | ... | 1024..2047
    const b = log2Buckets([0, 0, 1, 2, 3, 9, 1024, 2047]);
    expect(b.map((x) => `${x.label}=${x.count}`)).toEqual([
      '[0]=2',
      '[1]=1',
      '[2, 4)=2',
      '[4, 8)=0',
      '[8, 16)=1',
      '[16, 32)=0',
      '[32, 64)=0',
      '[64, 128)=0',
      '[128, 256)=0',
      '[256, 512)=0',
      '[512, 1K)=0',
      '[1K, 2K)=2',
    ]);
  });

  it('puts negatives in mirrored buckets, and zero between them and the positives', () => {
    expect(log2Buckets([-5, -1, 3]).map((x) => `${x.label}=${x.count}`)).toEqual([
      '(-8, -4]=1',
      '(-4, -2]=0',
      '[-1]=1',
      '[0]=0',
      '[2, 4)=1',
    ]);
    expect(log2Buckets([0x1000, 0x3000], true).map((x) => x.label)).toEqual([
      '[0x1000, 0x2000)',
      '[0x2000, 0x4000)',
    ]);
    expect(log2Buckets([1.5, 3]).map((x) => x.label)).toEqual(['[1, 2)', '[2, 4)']);
  });

  it('gives integers of a narrow span a bar each, others round-width buckets', () => {
    expect(linearBuckets([3, 5, 5]).map((x) => `${x.label}=${x.count}`)).toEqual(['3=1', '4=0', '5=2']);
    // Span 100 over 20 buckets: width 5.
    const b = linearBuckets([0, 4, 5, 99, 100]);
    expect(b).toHaveLength(21);
    expect(b[0]).toEqual({ label: '[0, 5)', count: 2 });
    expect(b[1]).toEqual({ label: '[5, 10)', count: 1 });
    expect(b[20]).toEqual({ label: '[100, 105)', count: 1 });
    expect(linearBuckets([0.1, 0.2, 0.3]).map((x) => x.label)[0]).toBe('[0.1, 0.11)');
  });

  it('chooses log2 for a wide range, linear for a narrow one, values for strings', () => {
    expect(argHistogram(['1', '5', '7']).scale).toBe('linear');
    const wide = Array.from({ length: 50 }, (_, i) => String(2 ** (i % 20)));
    expect(argHistogram(wide).scale).toBe('log2');
    const pointers = Array.from({ length: 50 }, (_, i) => `0x${(0x7ffd0000 + i * 64).toString(16)}`);
    const p = argHistogram(pointers);
    expect(p.scale).toBe('linear');
    // A span of 3136 over 20 buckets: 157, up to a power of two: 0x100, 4 pointers in each.
    expect(p.buckets.map((b) => `${b.label}=${b.count}`)).toEqual(
      Array.from({ length: 13 }, (_, i) => {
        const a = 0x7ffd0000 + i * 0x100;
        return `[0x${a.toString(16)}, 0x${(a + 0x100).toString(16)})=${i < 12 ? 4 : 2}`;
      }),
    );
    const s = argHistogram(['"abc"', '"abc"', '"x"', '(fault)', '3']);
    expect(s).toEqual({
      scale: 'values',
      buckets: [
        { label: '"abc"', count: 2 },
        { label: '"x"', count: 1 },
        { label: '3', count: 1 },
      ],
      total: 5,
      faults: 1,
      otherValues: 0,
    });
  });

  it('gathers values past the top N as other', () => {
    const vs = ['a', 'b', 'b', 'c', 'c', 'c', 'd'];
    expect(topValues(vs, 2)).toEqual({
      buckets: [
        { label: 'c', count: 3 },
        { label: 'b', count: 2 },
        { label: 'other (2 values)', count: 2 },
      ],
      otherValues: 2,
    });
  });

  it('summarises durations', () => {
    expect(durationStats([5, 1, 3, 2, 4])).toEqual({ min: 1, median: 3, p99: 5, max: 5, total: 15 });
  });
});

/**
 * Task 1: f [0, 10] holds hit a at 1, g [2, 4] (holding hit a at 3), hit a at 5;
 * then h [11, 12]. Task 2: f [0, 6]. Recorded in order of hits: returns after what they hold.
 */
const NESTED = [
  hit('a', 1),
  hit('a', 3),
  ret('g', 4, 2),
  hit('a', 5),
  ret('f', 10, 10),
  ret('h', 12, 1),
  ret('f', 6, 6, {}, 2),
];

describe('nesting calls', () => {
  it('nests calls and hits in the call of the same task that encloses them', () => {
    const forest = nestCalls(events(NESTED));
    const shape = (n: { name: string; children: unknown[] }): unknown =>
      n.children.length ? { [n.name]: (n.children as (typeof n)[]).map(shape) } : n.name;
    expect(forest.get(1)?.map(shape)).toEqual([{ f: ['a', { g: ['a'] }, 'a'] }, 'h']);
    expect(forest.get(2)?.map(shape)).toEqual(['f']);
  });

  it('weights the flame graph by self time, or by hits; tasks first when there are several', () => {
    const forest = nestCalls(events(NESTED));
    const label = (t: number) => `task ${t}`;
    // f: 10 less g's 2; g: 2; h: 1; instants weigh no time.
    expect(folded(flameGraph(forest, 'time', label))).toEqual([
      'task 1;f 8',
      'task 1;f;g 2',
      'task 1;h 1',
      'task 2;f 6',
    ]);
    expect(folded(flameGraph(forest, 'hits', label))).toEqual([
      'task 1;f 1',
      'task 1;f;a! 2',
      'task 1;f;g 1',
      'task 1;f;g;a! 1',
      'task 1;h 1',
      'task 2;f 1',
    ]);
    const one = nestCalls(events(NESTED.slice(0, 5)));
    expect(folded(flameGraph(one, 'time'))).toEqual(['f 8', 'f;g 2']);
    expect(flameTotal(flameGraph(one, 'hits'))).toBe(5);
  });

  it('nests a writer that put calls by start, parents first', () => {
    const byStart = [ret('f', 10, 10), hit('a', 1), ret('g', 4, 2), hit('a', 5)];
    expect(folded(flameGraph(nestCalls(events(byStart)), 'hits'))).toEqual(['f 1', 'f;a! 2', 'f;g 1']);
  });

  it('keeps apart what a clock that did not move cannot order', () => {
    // Every hit at one time, as the guest clock gives without instruction counting.
    const flat = [hit('a', 3), hit('a', 3), ret('f', 3, 0), hit('a', 3), ret('f', 3, 0), ret('f', 3, 0)];
    expect(folded(flameGraph(nestCalls(events(flat)), 'hits'))).toEqual(['a! 3', 'f 3']);
    // A call that ran on past the start of another holds it, start instants alike or not.
    const tied = [ret('g', 5, 0), ret('h', 7, 2), ret('f', 9, 4)];
    expect(folded(flameGraph(nestCalls(events(tied)), 'hits'))).toEqual(['f 1', 'f;h 1', 'g 1']);
  });

  it('leaves untimed hits as roots of their own', () => {
    const ev = events([hit('a', undefined), hit('a', undefined), ret('f', 3, 1)]);
    expect(folded(flameGraph(nestCalls(ev), 'hits'))).toEqual(['a! 2', 'f 1']);
  });

  it('stands an event that recorded a stack on it, and what it holds on that', () => {
    // A return's stack starts at the caller it returned to; a kprobe's at its own place.
    const ev = events([
      hit('a', 2),
      ret('fib', 3, 2, { stack: ['main+0x8/0x20', '_start+0x1'] }),
      ret('fib', 9, 1, { stack: ['fib+0x17/0x2b', 'main+0x20/0x20', '_start+0x1'] }),
      hit('b', 12, {}, 1),
      { ...hit('b', 13), stack: ['b+0x0/0x10', 'main+0x30/0x40'] },
    ]);
    expect(frameName('fib+0x17/0x2b')).toBe('fib');
    expect(folded(flameGraph(nestCalls(ev), 'hits'))).toEqual([
      '_start;main;fib 1',
      '_start;main;fib;a! 1',
      '_start;main;fib;fib 1',
      'b! 1',
      'main;b;b! 1',
    ]);
    expect(flameGraph(nestCalls(ev), 'hits').children[0]?.kind).toBe('frame');
  });
});

describe('the timeline', () => {
  it('lays out calls by depth and hits as ticks, a lane per task', () => {
    const lanes = timelineLanes(nestCalls(events(NESTED)), (t) => `task ${t}`);
    expect(lanes.map((l) => [l.label, l.depth, l.ticks.map((t) => t.t)])).toEqual([
      ['task 1', 2, [1, 3, 5]],
      ['task 2', 1, []],
    ]);
    expect(lanes[0]?.slices.map((s) => [s.name, s.depth, s.start, s.end])).toEqual([
      ['f', 0, 0, 10],
      ['h', 0, 11, 12],
      ['g', 1, 2, 4],
    ]);
  });

  it('gathers slices and ticks too narrow to draw apart', () => {
    // 10,000 calls of 1 ns each, back to back, then one of 10,000 ns, on 100 units.
    const many = Array.from({ length: 10_000 }, (_, i) => ret('f', i + 1, 1));
    const ticks = Array.from({ length: 1000 }, (_, i) => hit('a', i * 10 + 0.5));
    const ev = events([...ticks, ...many, ret('g', 20_000, 10_000)]);
    const [lane] = timelineLanes(nestCalls(ev), String);
    if (!lane) throw new Error('no lane');
    const packed = packLane(lane, 0, 20_000, 100, 32);
    const narrow = packed.slices.filter((s) => s.slice.name === 'f');
    expect(narrow.reduce((s, x) => s + x.count, 0)).toBe(10_000);
    expect(narrow.length).toBeLessThanOrEqual(60);
    expect(packed.slices.filter((s) => s.slice.name === 'g')).toEqual([
      expect.objectContaining({ x0: 50, x1: 100, count: 1 }),
    ]);
    // 1000 ticks over 10,000 ns: 50 columns.
    expect(packed.ticks).toHaveLength(50);
    expect(packed.ticks.reduce((s, t) => s + t.count, 0)).toBe(1000);
    expect(packLane(lane, 0, 20_000, 100, 0)).toMatchObject({ slices: [], hidden: 10_001 });
  });
});

describe('the page', () => {
  it('escapes every string from the trace', () => {
    const evil = '<script>alert(1)</script>';
    const text = jsonl([
      { ...hit(evil, 1, { [`"${evil}`]: evil }), at: evil },
      { ...ret(evil, 3, 1), event: `${evil}ret` },
    ]);
    const t = parseJsonLines(text, `${evil}.jsonl`);
    t.taskNames.set(1, evil);
    const html = renderReport(buildReport(t), ASSETS, { title: `T ${evil}` });
    expect(html).not.toContain('<script>alert');
    expect(html).not.toContain('</script>alert');
    expect(html.match(/<script/g)).toHaveLength(4);
    expect(html).toContain('&#60;script&#62;alert(1)&#60;/script&#62;');
    expect(escapeHtml(`<a href="x" title='y'>&`)).toBe('&#60;a href=&#34;x&#34; title=&#39;y&#39;&#62;&#38;');
    expect(jsonForScript({ n: '</script><b>' })).toBe('{"n":"\\u003c/script>\\u003cb>"}');
  });

  it('keeps an inlined bundle from closing its element', () => {
    const t = parseJsonLines(jsonl([hit('a', 1)]), 't.jsonl');
    const html = renderReport(buildReport(t), { d3: 'var s = "</script>";', flamegraph: '' });
    expect(html).toContain('var s = "<\\/script>";');
  });

  it('draws a bar a bucket, scaled to the largest', () => {
    const svg = barChart(
      [
        { label: '[0]', count: 2 },
        { label: '[1]', count: 0 },
        { label: '[2, 4)', count: 4 },
      ],
      '#123456',
    );
    expect(
      svg.match(/<rect class="bar"[^>]*width="([\d.]+)"/g)?.map((r) => /width="([\d.]+)"/.exec(r)?.[1]),
    ).toEqual(['120.0', '0.0', '240.0']);
    expect(svg).toContain('<title>[2, 4): 4 (66.7%)</title>');
  });

  it('writes times as people read them', () => {
    expect(formatTime(999, 'ns')).toBe('999 ns');
    expect(formatTime(1234, 'ns')).toBe('1.23 µs');
    expect(formatTime(40_200_000, 'ns')).toBe('40.2 ms');
    expect(formatTime(3e9, 'ns')).toBe('3 s');
    expect(formatTime(12, 'count')).toBe('12 counts');
  });

  it('says n/a for missed hits without a profile, and why a trace without times has no timeline', () => {
    const t = parseJsonLines(
      jsonl([hit('a', undefined), { ...ret('f', 0, 0), ts: undefined, duration: undefined }]),
      't.jsonl',
    );
    const html = renderReport(buildReport(t), ASSETS);
    expect(html).toContain('>n/a</span>');
    expect(html).toContain('The trace has no times: nothing to place on a timeline.');
    expect(html).toContain('The trace has no call durations');
    expect(html).toContain('calls cannot be nested');
  });
});

describe('reports of traces from the built CLI', () => {
  const defs = ['-e', 'p:fibcall fib n=$arg1:u32', '-e', 'r:fibret fib $retval:u32'];
  /** A trace of fib 5 in `format`, with the profile the run printed. */
  function record(format: 'json' | 'chrome'): { trace: string; profile: string } {
    const trace = join(dir, `fib.${format}`);
    const r = cli([
      'run',
      '--format',
      format,
      '-o',
      trace,
      '--profile',
      ...defs,
      fixture('x86_64', 'fib'),
      '5',
    ]);
    expect(r.status, r.stderr).toBe(0);
    const profile = join(dir, `fib-${format}.profile`);
    writeFileSync(profile, r.stderr);
    return { trace, profile };
  }

  it.each(['json', 'chrome'] as const)('reports a %s trace of fib 5', (format) => {
    const { trace, profile } = record(format);
    const out = join(dir, `fib-${format}.html`);
    const summary = writeReport(trace, out, { profile, title: 'fib 5' });
    expect(summary).toMatchObject({ events: 30, tasks: 1 });
    const data = buildReport(readTrace(trace), parseProfile(readFileSync(profile, 'utf8'), profile));
    expect(data.rows.map((r) => [r.event, r.kind, r.hits, r.missed])).toEqual([
      ['fibcall', 'kprobe', 15, 0],
      ['fibret', 'kretprobe', 15, 0],
    ]);
    // fib(5) is called once with 5, once with 4, twice with 3, 3 times with 2, 5 with 1, 3 with 0.
    const n = data.args.find((a) => a.event === 'fibcall' && a.arg === 'n')?.hist;
    expect(n?.buckets.map((b) => `${b.label}=${b.count}`)).toEqual([
      '0=3',
      '1=5',
      '2=3',
      '3=2',
      '4=1',
      '5=1',
    ]);
    // The calls return fib(0..5): 0 three times, 1 eight, 2 twice, 3 once, 5 once.
    const rv = data.args.find((a) => a.event === 'fibret')?.hist;
    expect(rv?.buckets.map((b) => `${b.label}=${b.count}`)).toEqual([
      '0=3',
      '1=8',
      '2=2',
      '3=1',
      '4=0',
      '5=1',
    ]);
    expect(flameTotal(data.flame.hits)).toBe(30);
    const html = readFileSync(out, 'utf8');
    expect(html).toContain('<title>fib 5</title>');
    for (const id of ['events', 'arguments', 'durations', 'flame-graph', 'timeline'])
      expect(html).toContain(`<section id="${id}">`);
    // Nothing is fetched when the page is viewed.
    expect(html).not.toMatch(/<(script|link|img)[^>]+(src|href)=/);
    expect(html.length).toBeGreaterThan(250_000);
  });

  it('reads the same hits from both formats', () => {
    const j = readTrace(record('json').trace);
    const c = readTrace(record('chrome').trace);
    const strip = (e: ReportEvent) => [e.kind, e.event, e.task, e.at, e.ret, e.args];
    expect(c.events.map(strip)).toEqual(j.events.map(strip));
  });

  it('names a bad trace in its error', () => {
    const bad = join(dir, 'bad.jsonl');
    writeFileSync(bad, `${jsonl([hit('a', 1)])}\n{"seq":2,"type":"kprobe"\n`);
    expect(() => writeReport(bad, join(dir, 'bad.html'))).toThrow(`${bad}:2: not valid JSON: `);
  });
});
