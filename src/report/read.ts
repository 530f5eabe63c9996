// Counterpart: what trace-cmd report and perf script do to a recorded trace: read
// `kprobe-emu run --format json` (JSON lines) or `--format chrome` (Trace Event Format), and
// kprobe_profile text, into one model the report is made from.
import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';

/** One probe hit, the same whichever format it was read from. */
export interface ReportEvent {
  /** 1-based position in the file: the order the hits were recorded in. */
  index: number;
  kind: 'kprobe' | 'kretprobe';
  group: string;
  event: string;
  task: number;
  /** kprobe: the probed place (`sym+0xoff`); kretprobe: the function. */
  at: string;
  /** kretprobe: where the call returned to (`sym+0xoff`). */
  ret?: string;
  /** When it was hit (kretprobe: the return), in the trace's unit. */
  ts?: number;
  /** kretprobe: the call's time from entry to return, in the trace's unit. */
  duration?: number;
  /** Fetched arguments as the tool prints them. */
  args: Record<string, string>;
  /** Frames, innermost first, when the trace recorded them. */
  stack?: string[];
  /** Chrome: a call that ended without its return, and why (longjmp, task-exit...). */
  dropped?: string;
}

/** A trace file read into events. */
export interface Trace {
  path: string;
  format: 'json' | 'chrome';
  /** The trace clock, when the file names it. */
  clock?: string;
  /** The unit of `ts` and `duration` (`ns`, or `count` for a clock that counts). */
  unit: string;
  events: ReportEvent[];
  /** Task names where the trace has them (Chrome's thread_name). */
  taskNames: Map<number, string>;
  /** Chrome events of kinds a probe never makes (counters, flows, async...), left out. */
  skipped: number;
}

/** kprobe_profile's line for one event (`EVENT HITS MISSES`). */
export interface ProfileRow {
  hits: number;
  misses: number;
}

/** Input the report cannot use: which file, which line (JSON lines), and what is wrong. */
export class ReportInputError extends Error {
  constructor(
    readonly file: string,
    readonly line: number | undefined,
    readonly what: string,
  ) {
    super(`${file}${line === undefined ? '' : `:${line}`}: ${what}`);
    this.name = 'ReportInputError';
  }
}

const CHUNK = 1 << 20;

/**
 * Calls `onLine` with each line of the file and its 1-based number. The file is read a
 * chunk at a time: a trace may be larger than the longest string V8 makes.
 */
function eachLine(path: string, onLine: (line: string, n: number) => void): void {
  const fd = openFile(path);
  try {
    const buf = Buffer.allocUnsafe(CHUNK);
    const decoder = new StringDecoder('utf8');
    let rest = '';
    let n = 0;
    for (;;) {
      const got = readSync(fd, buf, 0, CHUNK, null);
      const text = rest + (got > 0 ? decoder.write(buf.subarray(0, got)) : decoder.end());
      const lines = text.split('\n');
      rest = got > 0 ? (lines.pop() ?? '') : '';
      for (const l of lines) onLine(l, ++n);
      if (got === 0) return;
    }
  } finally {
    closeSync(fd);
  }
}

function openFile(path: string): number {
  try {
    return openSync(path, 'r');
  } catch (e) {
    throw new ReportInputError(path, undefined, `cannot read: ${errnoText(e)}`);
  }
}

function errnoText(e: unknown): string {
  return (e as NodeJS.ErrnoException).code ?? (e as Error).message;
}

/** The longest first line read to tell the formats apart: past it, the line is no JSON line. */
const FIRST_LINE_MAX = 64 << 20;

/** The first line that is not blank, for telling the formats apart (undefined: none). */
function firstLine(path: string): string | undefined {
  const fd = openFile(path);
  try {
    const buf = Buffer.allocUnsafe(CHUNK);
    const decoder = new StringDecoder('utf8');
    let text = '';
    for (;;) {
      const got = readSync(fd, buf, 0, CHUNK, null);
      text = (text + (got > 0 ? decoder.write(buf.subarray(0, got)) : decoder.end())).trimStart();
      const nl = text.indexOf('\n');
      if (nl >= 0) return text.slice(0, nl);
      // A document on one line (a Chrome trace from another writer) is not read whole here.
      if (got === 0 || text.length > FIRST_LINE_MAX) return text === '' ? undefined : text;
    }
  } finally {
    closeSync(fd);
  }
}

/**
 * A trace written by `kprobe-emu run --format json` or `--format chrome`, told apart by its
 * first line: a JSON object that is not a Trace Event Format document starts JSON lines.
 */
export function readTrace(path: string): Trace {
  const first = firstLine(path);
  if (first === undefined) throw new ReportInputError(path, undefined, 'empty trace: no events in it');
  if (first.trim().startsWith('{')) {
    let o: unknown;
    try {
      o = JSON.parse(first);
    } catch {
      o = undefined;
    }
    if (isObject(o) && !('traceEvents' in o)) return readJsonLines(path);
  }
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const why =
      (e as NodeJS.ErrnoException).code === 'ERR_STRING_TOO_LONG'
        ? 'too large to read as one Chrome trace document: record it with --format json'
        : `cannot read: ${errnoText(e)}`;
    throw new ReportInputError(path, undefined, why);
  }
  return parseChrome(text, path);
}

/** The events of a JSON-lines trace file. */
export function readJsonLines(path: string): Trace {
  const p = new JsonLinesParser(path);
  eachLine(path, (l, n) => p.line(l, n));
  return p.finish();
}

/** The events of JSON lines given as text (`path` names it in errors). */
export function parseJsonLines(text: string, path: string): Trace {
  const p = new JsonLinesParser(path);
  text.split('\n').forEach((l, i) => p.line(l, i + 1));
  return p.finish();
}

class JsonLinesParser {
  private readonly trace: Trace;
  constructor(private readonly path: string) {
    this.trace = { path, format: 'json', unit: 'ns', events: [], taskNames: new Map(), skipped: 0 };
  }

  line(text: string, n: number): void {
    const t = text.trim();
    if (t === '') return;
    let o: unknown;
    try {
      o = JSON.parse(t);
    } catch (e) {
      throw this.error(n, `not valid JSON: ${(e as Error).message}`);
    }
    if (!isObject(o)) throw this.error(n, `expected a JSON object, got ${describe(o)}`);
    // A line without seq is a header ({"clock":"local","unit":"ns"}), not a hit.
    if (!('seq' in o)) {
      if (typeof o.clock === 'string') this.trace.clock = o.clock;
      if (typeof o.unit === 'string') this.trace.unit = o.unit;
      return;
    }
    const field = <T>(name: string, ok: (v: unknown) => v is T, want: string): T => {
      const v = o[name];
      if (!ok(v)) throw this.error(n, `"${name}" must be ${want}, got ${describe(v)}`);
      return v;
    };
    const optional = <T>(name: string, ok: (v: unknown) => v is T, want: string): T | undefined =>
      o[name] === undefined ? undefined : field(name, ok, want);
    const ev: ReportEvent = {
      index: this.trace.events.length + 1,
      kind: field('type', isKind, '"kprobe" or "kretprobe"'),
      group: optional('group', isString, 'a string') ?? '',
      event: field('event', isString, 'a string'),
      task: field('task', isInteger, 'an integer'),
      at: optional('at', isString, 'a string') ?? '',
      args: this.args(o.args, n),
    };
    const ret = optional('ret', isString, 'a string');
    if (ret !== undefined) ev.ret = ret;
    const ts = optional('ts', isFiniteNumber, 'a number');
    if (ts !== undefined) ev.ts = ts;
    const duration = optional('duration', isDuration, 'a number of at least 0');
    if (duration !== undefined) ev.duration = duration;
    const stack = optional('stack', isStringArray, 'an array of strings');
    if (stack !== undefined) ev.stack = stack;
    this.trace.events.push(ev);
  }

  private args(v: unknown, n: number): Record<string, string> {
    if (v === undefined) return {};
    if (!isObject(v)) throw this.error(n, `"args" must be an object, got ${describe(v)}`);
    const args: Record<string, string> = {};
    for (const [k, x] of Object.entries(v)) {
      if (typeof x === 'string') args[k] = x;
      else if (typeof x === 'number') args[k] = String(x);
      else throw this.error(n, `argument "${k}" must be a string, got ${describe(x)}`);
    }
    return args;
  }

  private error(n: number, what: string): ReportInputError {
    return new ReportInputError(this.path, n, what);
  }

  finish(): Trace {
    if (this.trace.events.length === 0)
      throw new ReportInputError(this.path, undefined, 'empty trace: no events in it');
    return this.trace;
  }
}

/**
 * The events of a Trace Event Format document: an object with `traceEvents` or a bare
 * array. Times there are microseconds; they become nanoseconds, unless the document says
 * (in `otherData`) that its clock counts, as the sink then writes a count as a microsecond.
 */
export function parseChrome(text: string, path: string): Trace {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    const msg = (e as Error).message;
    throw new ReportInputError(path, lineOfJsonError(text, msg), `not valid JSON: ${msg}`);
  }
  const list = Array.isArray(doc) ? doc : isObject(doc) ? doc.traceEvents : undefined;
  if (!Array.isArray(list))
    throw new ReportInputError(
      path,
      undefined,
      'not a trace: expected JSON lines, a Chrome trace object with "traceEvents", or an array of events',
    );
  const other = isObject(doc) && isObject(doc.otherData) ? doc.otherData : {};
  const clock = typeof other.clock === 'string' ? other.clock : undefined;
  const counts = other.unit === 'count' || clock === 'counter';
  const trace: Trace = {
    path,
    format: 'chrome',
    unit: counts ? 'count' : 'ns',
    events: [],
    taskNames: new Map(),
    skipped: 0,
  };
  if (clock !== undefined) trace.clock = clock;
  // Microseconds to nanoseconds, rounded to a picosecond: the sink wrote ns / 1000, and a
  // binary fraction of it times 1000 can land a hair off a power of two.
  const time = counts ? (us: number) => us : (us: number) => Math.round(us * 1e6) / 1e3;
  list.forEach((e: unknown, i: number) => {
    const where = `event ${i + 1} of traceEvents`;
    const bad = (what: string) => new ReportInputError(path, undefined, `${where}: ${what}`);
    if (!isObject(e)) throw bad(`expected an object, got ${describe(e)}`);
    const ph = e.ph;
    if (typeof ph !== 'string') throw bad(`"ph" must be a string, got ${describe(ph)}`);
    const task = e.tid ?? e.pid;
    if (ph === 'M') {
      if (e.name === 'thread_name' && isInteger(task) && isObject(e.args) && typeof e.args.name === 'string')
        trace.taskNames.set(task, e.args.name);
      return;
    }
    if (ph !== 'X' && ph !== 'i' && ph !== 'I') {
      trace.skipped++;
      return;
    }
    if (typeof e.name !== 'string') throw bad(`"name" must be a string, got ${describe(e.name)}`);
    if (!isFiniteNumber(e.ts)) throw bad(`"ts" must be a number, got ${describe(e.ts)}`);
    if (!isInteger(task)) throw bad(`"tid" must be an integer, got ${describe(task)}`);
    if (e.args !== undefined && !isObject(e.args))
      throw bad(`"args" must be an object, got ${describe(e.args)}`);
    const raw = e.args ?? {};
    // The sink puts the place (kprobe: at; kretprobe: func, ret, dropped) first among args.
    const own = ph === 'X' ? ['func', 'ret', 'dropped'] : ['at'];
    const args: Record<string, string> = {};
    for (const [k, v] of Object.entries(raw))
      if (!own.includes(k)) args[k] = typeof v === 'string' ? v : JSON.stringify(v);
    const text = (k: string) => (typeof raw[k] === 'string' ? raw[k] : undefined);
    const ev: ReportEvent = {
      index: trace.events.length + 1,
      kind: ph === 'X' ? 'kretprobe' : 'kprobe',
      group: typeof e.cat === 'string' ? e.cat : '',
      event: e.name,
      task,
      at: text(ph === 'X' ? 'func' : 'at') ?? e.name,
      args,
    };
    if (ph === 'X') {
      if (!isDuration(e.dur)) throw bad(`"dur" must be a number of at least 0, got ${describe(e.dur)}`);
      ev.duration = time(e.dur);
      ev.ts = time(e.ts + e.dur);
      const ret = text('ret');
      if (ret !== undefined) ev.ret = ret;
      const dropped = text('dropped');
      if (dropped !== undefined) ev.dropped = dropped;
    } else ev.ts = time(e.ts);
    if (isStringArray(raw.stack)) ev.stack = raw.stack;
    trace.events.push(ev);
  });
  if (trace.events.length === 0)
    throw new ReportInputError(path, undefined, 'empty trace: no probe events in it');
  return trace;
}

/** The line of a JSON.parse error, from the position V8 names in its message. */
function lineOfJsonError(text: string, msg: string): number | undefined {
  const m = /line (\d+)/.exec(msg) ?? undefined;
  if (m?.[1] !== undefined) return Number(m[1]);
  const p = /position (\d+)/.exec(msg);
  if (p?.[1] === undefined) return undefined;
  let line = 1;
  const end = Math.min(Number(p[1]), text.length);
  for (let i = 0; i < end; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

/**
 * `kprobe-emu run --profile` output: `EVENT HITS MISSES` a line, as kprobe_profile prints
 * it. That output shares stderr with the guest's and the tool's notes, so other lines are
 * passed over; a file with no such line at all is an error.
 */
export function readProfile(path: string): Map<string, ProfileRow> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new ReportInputError(path, undefined, `cannot read: ${errnoText(e)}`);
  }
  return parseProfile(text, path);
}

export function parseProfile(text: string, path: string): Map<string, ProfileRow> {
  const rows = new Map<string, ProfileRow>();
  for (const l of text.split('\n')) {
    const m = /^\s*(\S+)\s+(\d+)\s+(\d+)\s*$/.exec(l);
    if (!m || m[1] === undefined) continue;
    const row = rows.get(m[1]) ?? { hits: 0, misses: 0 };
    row.hits += Number(m[2]);
    row.misses += Number(m[3]);
    rows.set(m[1], row);
  }
  if (rows.size === 0)
    throw new ReportInputError(path, undefined, 'not a profile: no "EVENT HITS MISSES" line in it');
  return rows;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
function isString(v: unknown): v is string {
  return typeof v === 'string';
}
function isKind(v: unknown): v is 'kprobe' | 'kretprobe' {
  return v === 'kprobe' || v === 'kretprobe';
}
function isFiniteNumber(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}
function isDuration(v: unknown): v is number {
  return isFiniteNumber(v) && v >= 0;
}
function isInteger(v: unknown): v is number {
  return Number.isSafeInteger(v);
}
function isStringArray(v: unknown): v is string[] {
  return Array.isArray(v) && v.every(isString);
}

/** A value as an error message shows it: short JSON. */
function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  const s = JSON.stringify(v);
  return s.length > 40 ? `${s.slice(0, 37)}...` : s;
}
