// Counterpart: the aggregations of bpftrace (count(), hist(), lhist()) and of Brendan Gregg's
// flamegraph.pl over stacks: counts, histograms, nested calls, flame stacks and timeline
// lanes, each a pure function of the events read from a trace.
import type { ProfileRow, ReportEvent, Trace } from './read.js';

/** One row of the events table. */
export interface EventRow {
  event: string;
  group: string;
  /** Undefined for an event that only the profile names (no hit of it in the trace). */
  kind?: 'kprobe' | 'kretprobe';
  /** Where it was hit: kprobe places (`sym+0xoff`) or return-probe functions, first seen first. */
  places: string[];
  /** Hits recorded in the trace. */
  hits: number;
  /** Chrome: calls that ended without their return. */
  dropped: number;
  /** From the profile; undefined when none was given or it does not name the event. */
  missed?: number;
  profileHits?: number;
}

/** Rows of the events table, in order of first hit, with the profile's events after them. */
export function countEvents(events: readonly ReportEvent[], profile?: Map<string, ProfileRow>): EventRow[] {
  const rows = new Map<string, EventRow>();
  for (const e of events) {
    const key = `${e.group}/${e.event}`;
    let row = rows.get(key);
    if (!row) {
      row = { event: e.event, group: e.group, kind: e.kind, places: [], hits: 0, dropped: 0 };
      rows.set(key, row);
    }
    if (e.dropped !== undefined) row.dropped++;
    else row.hits++;
    if (!row.places.includes(e.at)) row.places.push(e.at);
  }
  const list = [...rows.values()];
  if (!profile) return list;
  // kprobe_profile names an event without its group.
  const seen = new Set<string>();
  for (const row of list) {
    const p = profile.get(row.event);
    if (!p) continue;
    seen.add(row.event);
    row.missed = p.misses;
    row.profileHits = p.hits;
  }
  for (const [event, p] of profile)
    if (!seen.has(event))
      list.push({ event, group: '', places: [], hits: 0, dropped: 0, missed: p.misses, profileHits: p.hits });
  return list;
}

/** One bar of a histogram. */
export interface Bucket {
  label: string;
  count: number;
}

export interface Histogram {
  /** log2: power-of-two buckets; linear: equal widths; values: the most frequent values. */
  scale: 'log2' | 'linear' | 'values';
  buckets: Bucket[];
  /** Values counted, faults included. */
  total: number;
  /** Fetches that faulted (`(fault)`), not in any bucket. */
  faults: number;
  /** scale values: how many distinct values the "other" bar gathers (0: none). */
  otherValues: number;
}

/** Bars of a values histogram before the rest are gathered as "other". */
export const TOP_VALUES = 20;
/** Integers spanning fewer values than this get a bar each. */
const EXACT_SPAN = 40;
/** A largest magnitude this many times the smallest non-zero one makes a range wide (log2). */
const WIDE_RATIO = 256;
/** The number of equal-width buckets a linear histogram aims at. */
const LINEAR_BUCKETS = 20;

const FAULT = '(fault)';

/** A fetched value as a number: decimal (`3`, `-1`, `2.5`) or hex (`0x1f`); else undefined. */
export function argNumber(v: string): number | undefined {
  if (/^-?\d+(\.\d+)?$/.test(v)) return Number(v);
  if (/^0x[0-9a-f]+$/i.test(v)) return Number(BigInt(v));
  return undefined;
}

/**
 * The histogram of one argument's values: numbers (when every value that did not fault is
 * one) in log2 buckets when their range is wide, else linear; anything else by value.
 */
export function argHistogram(values: readonly string[]): Histogram {
  const fetched = values.filter((v) => v !== FAULT);
  const faults = values.length - fetched.length;
  const nums = fetched.map(argNumber);
  const base = { total: values.length, faults, otherValues: 0 };
  if (fetched.length === 0 || nums.some((n) => n === undefined)) {
    const { buckets, otherValues } = topValues(fetched, TOP_VALUES);
    return { ...base, scale: 'values', buckets, otherValues };
  }
  const numbers = nums as number[];
  const hex = fetched.every((v) => /^0x/i.test(v));
  const scale = isWide(numbers) ? 'log2' : 'linear';
  const buckets = scale === 'log2' ? log2Buckets(numbers, hex) : linearBuckets(numbers, hex);
  return { ...base, scale, buckets };
}

/** Durations, always in log2 buckets: call times spread over orders of magnitude. */
export function durationHistogram(values: readonly number[]): Histogram {
  return { scale: 'log2', buckets: log2Buckets(values), total: values.length, faults: 0, otherValues: 0 };
}

function isWide(values: readonly number[]): boolean {
  let lo = Infinity;
  let hi = -Infinity;
  let smallest = Infinity;
  for (const v of values) {
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
    if (v !== 0) smallest = Math.min(smallest, Math.abs(v));
  }
  if (values.every(Number.isInteger) && hi - lo < EXACT_SPAN) return false;
  return smallest !== Infinity && Math.max(Math.abs(lo), Math.abs(hi)) / smallest >= WIDE_RATIO;
}

/** floor(log2(v)) for v > 0, exact at powers of two (Math.log2 may round across one). */
export function log2Floor(v: number): number {
  let k = Math.floor(Math.log2(v));
  while (2 ** k > v) k--;
  while (2 ** (k + 1) <= v) k++;
  return k;
}

/**
 * Power-of-two buckets as bpftrace's hist() prints them: `[0]`, `[1]`, `[2, 4)`, `[1K, 2K)`;
 * a negative value v in `(-2^(k+1), -2^k]`. Every bucket between the lowest and highest
 * used is listed, empty or not, so the shape reads true.
 */
export function log2Buckets(values: readonly number[], hex = false): Bucket[] {
  // A bucket's key: 0 for zero; k + OFFSET for [2^k, 2^(k+1)); -(k + OFFSET) for the negatives.
  const OFFSET = 1100;
  const counts = new Map<number, number>();
  let integers = true;
  for (const v of values) {
    const key = v === 0 ? 0 : Math.sign(v) * (log2Floor(Math.abs(v)) + OFFSET);
    counts.set(key, (counts.get(key) ?? 0) + 1);
    if (!Number.isInteger(v)) integers = false;
  }
  const keys = [...counts.keys()].sort((a, b) => a - b);
  const neg = keys.filter((k) => k < 0);
  const pos = keys.filter((k) => k > 0);
  // From a negative bucket to a positive one the run passes zero, not the powers below 1.
  const all = [
    ...range(neg[0], neg[neg.length - 1]),
    ...(counts.has(0) || (neg.length > 0 && pos.length > 0) ? [0] : []),
    ...range(pos[0], pos[pos.length - 1]),
  ];
  const fmt = (n: number) => (hex ? `0x${n.toString(16)}` : powerLabel(n));
  return all.map((key) => {
    const count = counts.get(key) ?? 0;
    if (key === 0) return { label: '[0]', count };
    const k = Math.abs(key) - OFFSET;
    const [a, b] = [2 ** k, 2 ** (k + 1)];
    // [1, 2) holds one integer.
    const one = a === 1 && integers && !hex;
    if (key > 0) return { label: one ? '[1]' : `[${fmt(a)}, ${fmt(b)})`, count };
    return { label: one ? '[-1]' : `(-${fmt(b)}, -${fmt(a)}]`, count };
  });
}

/** a, a + 1, ..., b; nothing when either is missing. */
function range(a: number | undefined, b: number | undefined): number[] {
  const r: number[] = [];
  if (a === undefined || b === undefined) return r;
  for (let i = a; i <= b; i++) r.push(i);
  return r;
}

/** A power of two as bpftrace writes it: 512, 1K, 64M, 2G; a fraction below 1 as is. */
function powerLabel(n: number): string {
  const units = ['', 'K', 'M', 'G', 'T', 'P', 'E'];
  let u = 0;
  while (n >= 1024 && u < units.length - 1 && Number.isInteger(n / 1024)) {
    n /= 1024;
    u++;
  }
  return `${n}${units[u]}`;
}

/**
 * Equal-width buckets: a bar per value for integers spanning fewer than EXACT_SPAN, else
 * about LINEAR_BUCKETS buckets of a round width (1, 2 or 5 times a power of ten; a power of
 * two for hex values).
 */
export function linearBuckets(values: readonly number[], hex = false): Bucket[] {
  if (values.length === 0) return [];
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  const fmt = (n: number) => (hex ? `0x${n.toString(16)}` : String(n));
  if (values.every(Number.isInteger) && hi - lo < EXACT_SPAN) {
    const counts = new Array<number>(hi - lo + 1).fill(0);
    for (const v of values) counts[v - lo] = (counts[v - lo] ?? 0) + 1;
    return counts.map((count, i) => ({ label: fmt(lo + i), count }));
  }
  // Hex values (addresses, flags) read best on power-of-two bounds.
  const raw = (hi - lo) / LINEAR_BUCKETS;
  const width = hex
    ? 2 ** Math.ceil(Math.log2(Math.max(1, raw)))
    : roundWidth(raw, values.every(Number.isInteger));
  const first = Math.floor(lo / width);
  const counts = new Array<number>(Math.floor(hi / width) - first + 1).fill(0);
  for (const v of values) {
    const i = Math.floor(v / width) - first;
    counts[i] = (counts[i] ?? 0) + 1;
  }
  return counts.map((count, i) => {
    const a = (first + i) * width;
    return { label: `[${fmt(round(a))}, ${fmt(round(a + width))})`, count };
  });
}

/** The smallest of 1, 2, 5 times a power of ten not below w (at least 1 for integers). */
function roundWidth(w: number, integers: boolean): number {
  if (!(w > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(w));
  const width = [1, 2, 5, 10].map((m) => m * p).find((c) => c >= w) ?? 10 * p;
  return integers ? Math.max(1, Math.round(width)) : width;
}

/** Rid a bucket bound of binary noise (0.30000000000000004). */
function round(n: number): number {
  return Number(n.toPrecision(12));
}

/** The `n` most frequent values (ties: first seen first), the rest counted as one "other" bar. */
export function topValues(values: readonly string[], n: number): { buckets: Bucket[]; otherValues: number } {
  const counts = new Map<string, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  const sorted = [...counts].sort((a, b) => b[1] - a[1]);
  const buckets = sorted.slice(0, n).map(([label, count]) => ({ label, count }));
  const rest = sorted.slice(n);
  if (rest.length > 0)
    buckets.push({ label: `other (${rest.length} values)`, count: rest.reduce((s, [, c]) => s + c, 0) });
  return { buckets, otherValues: rest.length };
}

/** The histogram of each fetched argument of each event, events and arguments first seen first. */
export function argHistograms(
  events: readonly ReportEvent[],
): { event: string; arg: string; hist: Histogram }[] {
  const values = new Map<string, Map<string, string[]>>();
  for (const e of events) {
    if (e.dropped !== undefined) continue;
    let byArg = values.get(e.event);
    if (!byArg) values.set(e.event, (byArg = new Map()));
    for (const [k, v] of Object.entries(e.args)) {
      let list = byArg.get(k);
      if (!list) byArg.set(k, (list = []));
      list.push(v);
    }
  }
  return [...values].flatMap(([event, byArg]) =>
    [...byArg].map(([arg, vs]) => ({ event, arg, hist: argHistogram(vs) })),
  );
}

/** A summary of call durations. */
export interface DurationStats {
  min: number;
  median: number;
  p99: number;
  max: number;
  total: number;
}

/** min, median, 99th percentile (nearest rank), max and sum of a non-empty list. */
export function durationStats(values: readonly number[]): DurationStats {
  const v = [...values].sort((a, b) => a - b);
  const rank = (p: number) => v[Math.max(0, Math.ceil(p * v.length) - 1)] ?? 0;
  return {
    min: v[0] ?? 0,
    median: rank(0.5),
    p99: rank(0.99),
    max: v[v.length - 1] ?? 0,
    total: v.reduce((s, x) => s + x, 0),
  };
}

/** The histogram of each return probe's call durations (calls that returned). */
export function durationHistograms(
  events: readonly ReportEvent[],
): { event: string; hist: Histogram; stats: DurationStats }[] {
  const values = new Map<string, number[]>();
  for (const e of events) {
    if (e.kind !== 'kretprobe' || e.duration === undefined || e.dropped !== undefined) continue;
    let list = values.get(e.event);
    if (!list) values.set(e.event, (list = []));
    list.push(e.duration);
  }
  return [...values].map(([event, vs]) => ({
    event,
    hist: durationHistogram(vs),
    stats: durationStats(vs),
  }));
}

/** A probed call (a return probe's interval) or an instant hit, with what nests inside it. */
export interface CallNode {
  ev: ReportEvent;
  /** A call's function, an instant's event name. */
  name: string;
  kind: 'call' | 'instant';
  /** NaN for an event without a time. */
  start: number;
  end: number;
  children: CallNode[];
}

/**
 * The hits of each task nested by time: a return probe's call [ts - duration, ts] holds the
 * calls and instants of its task inside it. Taken in the order they were recorded, as a
 * return is recorded after every call it holds, a call adopts the latest nodes not yet
 * adopted that started after it (or at its start and ended after it). A node wholly at the
 * call's start instant is ambiguous (the clock did not move between them) and stays outside:
 * a clock too coarse then shows calls side by side instead of inventing a nesting.
 * Untimed events are roots, after the timed ones. Roots are in time order.
 */
export function nestCalls(events: readonly ReportEvent[]): Map<number, CallNode[]> {
  const byTask = new Map<number, ReportEvent[]>();
  for (const e of events) {
    let list = byTask.get(e.task);
    if (!list) byTask.set(e.task, (list = []));
    list.push(e);
  }
  const forest = new Map<number, CallNode[]>();
  for (const [task, list] of byTask) {
    const nodes = list.map(toNode);
    const timed = nodes.filter((n) => !Number.isNaN(n.end));
    // A writer that wrote events in another order (by start, say): by end, inner first.
    if (timed.some((n, i) => i > 0 && n.end < (timed[i - 1]?.end ?? -Infinity)))
      timed.sort((a, b) => a.end - b.end || b.start - a.start || a.ev.index - b.ev.index);
    const pending: CallNode[] = [];
    for (const n of timed) {
      if (n.kind === 'call') {
        let i = pending.length;
        while (i > 0) {
          const c = pending[i - 1] as CallNode;
          const inside = (c.start > n.start || (c.start === n.start && c.end > n.start)) && c.end <= n.end;
          if (!inside) break;
          i--;
        }
        n.children = pending.splice(i);
      }
      pending.push(n);
    }
    forest.set(task, [...pending, ...nodes.filter((n) => Number.isNaN(n.end))]);
  }
  return forest;
}

function toNode(ev: ReportEvent): CallNode {
  const call = ev.kind === 'kretprobe' && ev.duration !== undefined && ev.ts !== undefined;
  const end = ev.ts ?? NaN;
  return {
    ev,
    name: ev.kind === 'kretprobe' ? ev.at || ev.event : ev.event,
    kind: call ? 'call' : 'instant',
    start: call ? end - (ev.duration as number) : end,
    end,
    children: [],
  };
}

/** A frame of a flame graph: `value` is its own (self) weight, as d3-flame-graph's selfValue takes it. */
export interface FlameNode {
  name: string;
  /** call: a probed call; instant: a kprobe hit; frame: a recorded stack frame no probe saw return. */
  kind: 'root' | 'task' | 'call' | 'instant' | 'frame';
  value: number;
  children: FlameNode[];
}

/**
 * A frame name from a stack: `fib+0x17/0x2b` is fib, so the frames of one function merge.
 */
export function frameName(f: string): string {
  return f.replace(/\+0x[0-9a-f]+(\/0x[0-9a-f]+)?$/i, '');
}

/**
 * The flame graph of the nested hits: each node's path is its enclosing calls' (or, for an
 * event that recorded a stack, that stack, outermost first, ending in its own function or
 * event), weighted by self time (a call's duration less its direct children's; instants
 * weigh nothing) or by hits (one each). Tasks are the first level when there are several.
 * Frames of no weight are left out.
 */
export function flameGraph(
  forest: Map<number, CallNode[]>,
  weight: 'time' | 'hits',
  taskLabel: (task: number) => string = (t) => String(t),
): FlameNode {
  const root: FlameNode = { name: 'all', kind: 'root', value: 0, children: [] };
  const index = new Map<FlameNode, Map<string, FlameNode>>();
  const child = (parent: FlameNode, name: string, kind: FlameNode['kind']): FlameNode => {
    let byKey = index.get(parent);
    if (!byKey) index.set(parent, (byKey = new Map()));
    // Instants apart from functions of the same name; a stack frame is a call seen from below.
    const key = `${kind === 'instant' ? 'i' : 'f'}:${name}`;
    let c = byKey.get(key);
    if (!c) {
      c = { name, kind, value: 0, children: [] };
      byKey.set(key, c);
      parent.children.push(c);
    } else if (c.kind === 'frame' && kind === 'call') c.kind = 'call';
    return c;
  };
  const place = (n: CallNode, parent: FlameNode, base: FlameNode) => {
    let at = parent;
    if (n.ev.stack && n.ev.stack.length > 0) {
      at = base;
      // A kprobe's stack starts at its own place, a return's at the caller it returned to:
      // either way the call or the hit itself is the frame inside the innermost.
      const frames = [...n.ev.stack].reverse().map(frameName);
      frames.push(n.name);
      frames.forEach((f, i) => (at = child(at, f, i === frames.length - 1 ? n.kind : 'frame')));
    } else at = child(parent, n.name, n.kind);
    const self =
      weight === 'hits'
        ? 1
        : n.kind === 'call'
          ? Math.max(0, n.end - n.start - n.children.reduce((s, c) => s + (c.end - c.start), 0))
          : 0;
    at.value += self;
    for (const c of n.children) place(c, at, base);
  };
  const several = forest.size > 1;
  for (const [task, nodes] of forest) {
    const base = several ? child(root, taskLabel(task), 'task') : root;
    for (const n of nodes) place(n, base, base);
  }
  return prune(root);
}

/** The tree without its weightless subtrees, children by name. */
function prune(n: FlameNode): FlameNode {
  return pruned(n)[0];
}

function pruned(n: FlameNode): [FlameNode, number] {
  let total = n.value;
  const children: FlameNode[] = [];
  for (const c of n.children) {
    const [p, t] = pruned(c);
    total += t;
    if (t > 0) children.push(p);
  }
  children.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return [{ ...n, children }, total];
}

/** A frame's width: its own weight and its children's. */
export function flameTotal(n: FlameNode): number {
  return n.children.reduce((s, c) => s + flameTotal(c), n.value);
}

/** A call drawn on a task's lane, at its nesting depth. */
export interface Slice {
  start: number;
  end: number;
  depth: number;
  name: string;
  event: string;
  args: Record<string, string>;
  dropped?: string;
}

/** An instant hit drawn as a tick. */
export interface Tick {
  t: number;
  event: string;
  at: string;
  args: Record<string, string>;
}

export interface Lane {
  task: number;
  label: string;
  /** By depth, then start. */
  slices: Slice[];
  ticks: Tick[];
  /** Rows of slices (deepest depth + 1). */
  depth: number;
}

/** The timeline: a lane per task with its calls as slices (by nesting depth) and its instants as ticks. */
export function timelineLanes(forest: Map<number, CallNode[]>, taskLabel: (task: number) => string): Lane[] {
  const lanes: Lane[] = [];
  for (const [task, nodes] of forest) {
    const lane: Lane = { task, label: taskLabel(task), slices: [], ticks: [], depth: 0 };
    const walk = (n: CallNode, depth: number) => {
      if (Number.isNaN(n.end)) return;
      if (n.kind === 'instant') {
        lane.ticks.push({ t: n.end, event: n.ev.event, at: n.ev.at, args: n.ev.args });
        return;
      }
      const s: Slice = {
        start: n.start,
        end: n.end,
        depth,
        name: n.name,
        event: n.ev.event,
        args: n.ev.args,
      };
      if (n.ev.dropped !== undefined) s.dropped = n.ev.dropped;
      lane.slices.push(s);
      lane.depth = Math.max(lane.depth, depth + 1);
      for (const c of n.children) walk(c, depth + 1);
    };
    for (const n of nodes) walk(n, 0);
    lane.slices.sort((a, b) => a.depth - b.depth || a.start - b.start);
    lane.ticks.sort((a, b) => a.t - b.t);
    if (lane.slices.length > 0 || lane.ticks.length > 0) lanes.push(lane);
  }
  return lanes.sort((a, b) => a.task - b.task);
}

/** A slice, or slices too narrow to draw apart gathered in one, in drawing units. */
export interface PackedSlice {
  x0: number;
  x1: number;
  depth: number;
  /** How many calls it stands for. */
  count: number;
  /** The first of them, for its name and tooltip. */
  slice: Slice;
}

export interface PackedTick {
  x: number;
  count: number;
  tick: Tick;
}

/**
 * A lane in drawing units, `width` across [t0, t1]: slices narrower than `minWidth` that
 * touch are gathered into one, and ticks gathered per unit column, so a lane of a million
 * calls draws in a few thousand shapes. Slices deeper than `maxDepth` rows are left out.
 */
export function packLane(
  lane: Lane,
  t0: number,
  t1: number,
  width: number,
  maxDepth: number,
  minWidth = 0.5,
): { slices: PackedSlice[]; ticks: PackedTick[]; hidden: number } {
  const scale = t1 > t0 ? width / (t1 - t0) : 0;
  const x = (t: number) => (t - t0) * scale;
  const slices: PackedSlice[] = [];
  let hidden = 0;
  let last: PackedSlice | undefined;
  for (const s of lane.slices) {
    if (s.depth >= maxDepth) {
      hidden++;
      continue;
    }
    const x0 = x(s.start);
    const x1 = x(s.end);
    // A run of narrow slices grows to one unit at most, so the shape of the lane stays.
    if (
      x1 - x0 < minWidth &&
      last &&
      last.depth === s.depth &&
      last.x1 - last.x0 < 1 &&
      x0 - last.x1 < minWidth
    ) {
      last.x1 = Math.max(last.x1, x1);
      last.count++;
      continue;
    }
    last = { x0, x1, depth: s.depth, count: 1, slice: s };
    slices.push(last);
  }
  const ticks: PackedTick[] = [];
  for (const t of lane.ticks) {
    const col = Math.floor(x(t.t));
    const prev = ticks[ticks.length - 1];
    if (prev && Math.floor(prev.x) === col) prev.count++;
    else ticks.push({ x: x(t.t), count: 1, tick: t });
  }
  return { slices, ticks, hidden };
}

/** Everything the page shows. */
export interface ReportData {
  path: string;
  format: Trace['format'];
  clock?: string;
  unit: string;
  events: number;
  tasks: number;
  /** The first and last time in the trace, when it has times. */
  span?: [number, number];
  skipped: number;
  profile: boolean;
  rows: EventRow[];
  args: { event: string; arg: string; hist: Histogram }[];
  durations: { event: string; hist: Histogram; stats: DurationStats }[];
  flame: {
    /** Weighted by self time; undefined when no call has a duration. */
    time?: FlameNode;
    hits: FlameNode;
    /** Whether hits were nested by time (else the trace has no times: each is a root). */
    nested: boolean;
    /** Whether some events recorded their stacks. */
    stacks: boolean;
  };
  lanes: Lane[];
}

/** The report of a trace, with the profile's counts of missed hits when there is one. */
export function buildReport(trace: Trace, profile?: Map<string, ProfileRow>): ReportData {
  const { events } = trace;
  const taskLabel = (t: number) => trace.taskNames.get(t) ?? `task ${t}`;
  const forest = nestCalls(events);
  let lo = Infinity;
  let hi = -Infinity;
  for (const e of events)
    if (e.ts !== undefined) {
      lo = Math.min(lo, e.ts - (e.duration ?? 0));
      hi = Math.max(hi, e.ts);
    }
  const timed = lo !== Infinity;
  const hasDurations = events.some((e) => e.kind === 'kretprobe' && e.duration !== undefined);
  const data: ReportData = {
    path: trace.path,
    format: trace.format,
    unit: trace.unit,
    events: events.length,
    tasks: forest.size,
    skipped: trace.skipped,
    profile: profile !== undefined,
    rows: countEvents(events, profile),
    args: argHistograms(events),
    durations: durationHistograms(events),
    flame: {
      hits: flameGraph(forest, 'hits', taskLabel),
      nested: timed,
      stacks: events.some((e) => e.stack !== undefined),
    },
    lanes: timed ? timelineLanes(forest, taskLabel) : [],
  };
  if (trace.clock !== undefined) data.clock = trace.clock;
  if (timed) data.span = [lo, hi];
  if (hasDurations) {
    const time = flameGraph(forest, 'time', taskLabel);
    if (flameTotal(time) > 0) data.flame.time = time;
  }
  return data;
}
