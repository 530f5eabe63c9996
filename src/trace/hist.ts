// Counterpart: kernel/trace/trace_events_hist.c (event_hist_trigger_parse, event_hist_trigger,
// hist_trigger_print_key, hist_trigger_entry_print, hist_trigger_show) and tracing_map.c:
// the `hist:` trigger of Documentation/trace/histogram.rst, its syntax, its aggregation and
// the text of the event's `hist` file.
import { DefinitionError } from '../probe-def.js';

/** A bad `--trigger`: where in its text, with a caret, as a bad definition is shown. */
export class TriggerError extends DefinitionError {
  override name = 'TriggerError';
}

/** A field of an event a histogram may use: a fetch argument, or one every event has. */
export interface EventField {
  name: string;
  /** Numbers aggregate and print as u64; strings only key; a stack only keys (`stacktrace`). */
  kind: 'num' | 'str' | 'array';
}

/** Field values of one hit: numbers as the u64 the kernel stores, strings as fetched. */
export type FieldValues = ReadonlyMap<string, bigint | string>;

/** How a histogram shows addresses and tasks (kallsyms and the task list). */
export interface HistNames {
  /** `%ps`: the symbol containing `addr`, without offset; the hex address when none does. */
  sym(addr: bigint): string;
  /** `%pS`: `sym+0xoff/0xsize`; the hex address when no symbol contains it. */
  symOffset(addr: bigint): string;
  /** The name of task `pid` (`comm`). */
  comm(pid: number): string;
}

type KeyModifier = 'hex' | 'sym' | 'sym-offset' | 'execname' | 'log2' | 'buckets' | undefined;

interface KeySpec {
  field: string;
  kind: 'num' | 'str' | 'stack';
  modifier: KeyModifier;
  /** `.buckets=N`: the bucket size. */
  buckets?: bigint;
}

interface ValSpec {
  field: string;
  hex: boolean;
}

interface SortSpec {
  /** 'hitcount', a key's or a value's field name. */
  field: string;
  descending: boolean;
}

/** TRACING_MAP_BITS_DEFAULT, _MIN and _MAX (tracing_map.h): 2048 entries, 128 to 131072. */
const SIZE_DEFAULT = 2048;
const SIZE_MIN = 1 << 7;
const SIZE_MAX = 1 << 17;
/** TRACING_MAP_KEYS_MAX, TRACING_MAP_VALS_MAX (less hitcount), TRACING_MAP_SORT_KEYS_MAX. */
const KEYS_MAX = 3;
const VALS_MAX = 3;
const SORT_KEYS_MAX = 2;
/** HIST_STACKTRACE_DEPTH: frames a stacktrace key keeps. */
export const STACKTRACE_DEPTH = 16;
const U64 = (1n << 64n) - 1n;

/** One `hist:` trigger's parsed form, as `trigger info:` prints it. */
export interface HistSpec {
  keys: KeySpec[];
  vals: ValSpec[];
  sort: SortSpec[];
  size: number;
}

/**
 * Parse the text after `hist:` (`keys=...[:vals=...][:sort=...][:size=N]`), checking each
 * field against the event's. `text` is the whole trigger as given, `at` where this part
 * starts in it, for the caret of an error.
 */
export function parseHist(text: string, at: number, fields: readonly EventField[]): HistSpec {
  const spec: HistSpec = { keys: [], vals: [], sort: [], size: SIZE_DEFAULT };
  const fail = (message: string, column: number): never => {
    throw new TriggerError(`hist: ${message}`, column, text);
  };
  const byName = new Map(fields.map((f) => [f.name, f]));
  const known = (): string => fields.map((f) => f.name).join(', ');
  let sortText: { value: string; column: number } | undefined;
  let column = at;
  for (const part of text.slice(at).split(':')) {
    const eq = part.indexOf('=');
    const name = eq < 0 ? part : part.slice(0, eq);
    const value = eq < 0 ? '' : part.slice(eq + 1);
    const valueAt = column + name.length + 1;
    switch (name) {
      case 'keys':
      case 'key':
        spec.keys = listOf(value, valueAt, fail).map(([t, c]) => keySpec(t, c, byName, known, fail));
        break;
      case 'vals':
      case 'val':
      case 'values':
        spec.vals = listOf(value, valueAt, fail)
          .filter(([t]) => t !== 'hitcount')
          .map(([t, c]) => valSpec(t, c, byName, known, fail));
        break;
      case 'sort':
        sortText = { value, column: valueAt };
        break;
      case 'size': {
        const n = /^\d+$/.test(value) ? Number(value) : NaN;
        if (!(n >= 1)) fail(`size must be a positive number, got '${value}'`, valueAt);
        // The map holds a power of two entries (roundup_pow_of_two), 128 to 131072.
        const size = 2 ** Math.ceil(Math.log2(n));
        if (size < SIZE_MIN || size > SIZE_MAX)
          fail(`size ${value} is out of range (${SIZE_MIN} to ${SIZE_MAX} entries)`, valueAt);
        spec.size = size;
        break;
      }
      case 'pause':
      case 'cont':
      case 'continue':
      case 'clear':
      case 'name':
        fail(`'${name}' needs a running tracefs: only the histogram of one run is kept`, column);
        break;
      default:
        fail(`unknown hist parameter '${name}' (keys, vals, sort, size)`, column);
    }
    column += part.length + 1;
  }
  if (spec.keys.length === 0) fail("a histogram needs 'keys='", at);
  if (spec.keys.length > KEYS_MAX) fail(`at most ${KEYS_MAX} keys`, at);
  if (spec.vals.length > VALS_MAX) fail(`at most ${VALS_MAX} values besides hitcount`, at);
  spec.sort = sortText ? sortSpecs(sortText.value, sortText.column, spec, fail) : [];
  return spec;
}

type Fail = (message: string, column: number) => never;

/** The comma-separated items of `value`, each with its column. */
function listOf(value: string, at: number, fail: Fail): [string, number][] {
  if (value === '') fail('an empty list', at);
  const out: [string, number][] = [];
  let c = at;
  for (const item of value.split(',')) {
    if (item === '') fail('an empty item in the list', c);
    out.push([item, c]);
    c += item.length + 1;
  }
  return out;
}

function keySpec(
  item: string,
  column: number,
  byName: ReadonlyMap<string, EventField>,
  known: () => string,
  fail: Fail,
): KeySpec {
  if (item === 'stacktrace') return { field: item, kind: 'stack', modifier: undefined };
  const [field = '', mod] = splitModifier(item);
  const f = byName.get(field);
  if (!f) return fail(`unknown field '${field}' (this event has: ${known()}, stacktrace)`, column);
  if (f.kind === 'array') return fail(`'${field}' is an array: it cannot be a key`, column);
  if (mod === undefined) return { field, kind: f.kind, modifier: undefined };
  const modAt = column + field.length + 1;
  if (f.kind === 'str') return fail(`a string key takes no modifier ('.${mod}')`, modAt);
  const buckets = /^buckets=(\d+)$/.exec(mod);
  if (buckets) {
    const n = BigInt(buckets[1] ?? '0');
    if (n === 0n) fail('buckets must be at least 1', modAt);
    return { field, kind: 'num', modifier: 'buckets', buckets: n };
  }
  if (mod === 'execname' && field !== 'common_pid') fail("'.execname' applies to common_pid only", modAt);
  if (mod === 'hex' || mod === 'sym' || mod === 'sym-offset' || mod === 'execname' || mod === 'log2')
    return { field, kind: 'num', modifier: mod };
  return fail(`unknown modifier '.${mod}' (hex, sym, sym-offset, execname, log2, buckets=N)`, modAt);
}

function valSpec(
  item: string,
  column: number,
  byName: ReadonlyMap<string, EventField>,
  known: () => string,
  fail: Fail,
): ValSpec {
  const [field = '', mod] = splitModifier(item);
  const f = byName.get(field);
  if (!f) return fail(`unknown field '${field}' (this event has: ${known()}, hitcount)`, column);
  if (f.kind !== 'num') return fail(`'${field}' is not a number: values are sums`, column);
  if (mod !== undefined && mod !== 'hex')
    fail(`a value takes '.hex' only, not '.${mod}'`, column + field.length + 1);
  return { field, hex: mod === 'hex' };
}

function sortSpecs(value: string, at: number, spec: HistSpec, fail: Fail): SortSpec[] {
  const items = listOf(value, at, fail);
  if (items.length > SORT_KEYS_MAX) fail(`at most ${SORT_KEYS_MAX} sort keys`, at);
  const named = new Set(['hitcount', ...spec.keys.map((k) => k.field), ...spec.vals.map((v) => v.field)]);
  return items.map(([item, c]) => {
    const [field = '', mod] = splitModifier(item);
    if (!named.has(field) || field === 'stacktrace')
      fail(`cannot sort by '${field}': not hitcount, a key or a value`, c);
    if (mod !== undefined && mod !== 'descending' && mod !== 'ascending')
      fail(`a sort key takes '.descending' or '.ascending', not '.${mod}'`, c + field.length + 1);
    return { field, descending: mod === 'descending' };
  });
}

/** `name.modifier` split at its first dot (a modifier may hold '=': `buckets=10`). */
function splitModifier(item: string): [string, string | undefined] {
  const dot = item.indexOf('.');
  return dot < 0 ? [item, undefined] : [item.slice(0, dot), item.slice(dot + 1)];
}

/** One entry of the map: its key's parts and the sums. */
interface Entry {
  key: (bigint | string | readonly string[])[];
  hitcount: bigint;
  sums: bigint[];
  /** `.execname`: the task's name when the entry was made (the kernel saves it then). */
  comm?: string;
}

/** A histogram being filled by the hits of one event (event_hist_trigger), then printed. */
export class Histogram {
  private readonly map = new Map<string, Entry>();
  private hits = 0n;
  private drops = 0n;

  constructor(
    readonly spec: HistSpec,
    private readonly names: HistNames,
  ) {}

  /**
   * One hit: its key made from `values` (a stacktrace key from `stack`, frames innermost
   * first), its sums updated. A new key when the map is full is dropped, as tracing_map
   * drops it (counted, not kept).
   */
  add(values: FieldValues, stack: () => readonly string[]): void {
    const key = this.spec.keys.map((k): bigint | string | readonly string[] => {
      if (k.kind === 'stack') return stack().slice(0, STACKTRACE_DEPTH);
      const v = values.get(k.field);
      if (k.kind === 'str') return typeof v === 'string' ? v : '';
      const n = typeof v === 'bigint' ? v & U64 : 0n;
      if (k.modifier === 'log2') return log2(n);
      if (k.modifier === 'buckets' && k.buckets) return (n / k.buckets) * k.buckets;
      return n;
    });
    const id = key.map((p) => (Array.isArray(p) ? p.join('\n') : String(p))).join('\0');
    let e = this.map.get(id);
    if (!e) {
      if (this.map.size >= this.spec.size) {
        this.drops++;
        return;
      }
      e = { key, hitcount: 0n, sums: this.spec.vals.map(() => 0n) };
      const pid = this.spec.keys.find((k) => k.modifier === 'execname');
      if (pid) e.comm = this.names.comm(Number(values.get(pid.field) ?? 0n));
      this.map.set(id, e);
    }
    this.hits++;
    e.hitcount++;
    this.spec.vals.forEach((v, i) => {
      const x = values.get(v.field);
      e.sums[i] = ((e.sums[i] ?? 0n) + (typeof x === 'bigint' ? x : 0n)) & U64;
    });
  }

  /** The `hist` file: the header with the trigger, the sorted entries, the totals. */
  print(): string {
    const entries = this.sorted();
    let out = `# event histogram\n#\n# trigger info: ${this.info()} [active]\n#\n\n`;
    for (const e of entries) out += `${this.keyText(e)} ${this.valsText(e)}\n`;
    out += `\nTotals:\n    Hits: ${this.hits}\n    Entries: ${entries.length}\n    Dropped: ${this.drops}\n`;
    return out;
  }

  /** `hist:keys=...:vals=...:sort=...:size=N` as event_hist_trigger_print writes it. */
  info(): string {
    const { keys, vals, size } = this.spec;
    const key = (k: KeySpec) =>
      k.kind === 'stack'
        ? 'stacktrace'
        : `${k.field}${k.modifier === 'buckets' ? `.buckets=${k.buckets}` : k.modifier ? `.${k.modifier}` : ''}`;
    const val = (v: ValSpec) => `${v.field}${v.hex ? '.hex' : ''}`;
    const sorts = this.sortKeys().map((s) => `${this.sortName(s.field)}${s.descending ? '.descending' : ''}`);
    return `hist:keys=${keys.map(key).join(',')}:vals=${['hitcount', ...vals.map(val)].join(',')}:sort=${sorts.join(',')}:size=${size}`;
  }

  /** A sort key as printed: a key or value field with its modifier, or hitcount. */
  private sortName(field: string): string {
    if (field === 'hitcount') return field;
    const k = this.spec.keys.find((x) => x.field === field);
    if (k?.modifier) return `${field}.${k.modifier === 'buckets' ? `buckets=${k.buckets}` : k.modifier}`;
    const v = this.spec.vals.find((x) => x.field === field);
    return v?.hex ? `${field}.hex` : field;
  }

  /** The sort keys: those given, else hitcount ascending (the kernel's default). */
  private sortKeys(): SortSpec[] {
    return this.spec.sort.length > 0 ? this.spec.sort : [{ field: 'hitcount', descending: false }];
  }

  /**
   * Entries in sort order. Ties, which the kernel's sort leaves in any order, are put in
   * the order of their keys, so the same hits always print the same.
   */
  private sorted(): Entry[] {
    const sorts = this.sortKeys();
    const valueOf = (e: Entry, field: string): bigint | string => {
      if (field === 'hitcount') return e.hitcount;
      const k = this.spec.keys.findIndex((x) => x.field === field);
      if (k >= 0) {
        const p = e.key[k];
        return Array.isArray(p) ? p.join('\n') : (p as bigint | string);
      }
      return e.sums[this.spec.vals.findIndex((x) => x.field === field)] ?? 0n;
    };
    const cmp = (a: bigint | string, b: bigint | string): number => (a < b ? -1 : a > b ? 1 : 0);
    return [...this.map.values()].sort((a, b) => {
      for (const s of sorts) {
        const c = cmp(valueOf(a, s.field), valueOf(b, s.field));
        if (c !== 0) return s.descending ? -c : c;
      }
      for (let i = 0; i < a.key.length; i++) {
        const x = a.key[i];
        const y = b.key[i];
        const c = cmp(
          Array.isArray(x) ? x.join('\n') : (x as bigint | string),
          Array.isArray(y) ? y.join('\n') : (y as bigint | string),
        );
        if (c !== 0) return c;
      }
      return 0;
    });
  }

  /** `{ key: value, ... }` as hist_trigger_print_key prints it. */
  private keyText(e: Entry): string {
    let out = '{ ';
    let multiline = false;
    this.spec.keys.forEach((k, i) => {
      if (i > 0) out += ', ';
      const p = e.key[i];
      if (k.kind === 'stack') {
        out += 'stacktrace:\n';
        for (const frame of p as readonly string[]) out += `${' '.repeat(9)}${frame}\n`;
        multiline = true;
        return;
      }
      if (k.kind === 'str') {
        out += `${k.field}: ${String(p).padEnd(50)}`;
        return;
      }
      const v = p as bigint;
      switch (k.modifier) {
        case 'hex':
          out += `${k.field}: ${v.toString(16)}`;
          break;
        case 'sym':
          out += `${k.field}: [${v.toString(16)}] ${this.names.sym(v).padEnd(45)}`;
          break;
        case 'sym-offset':
          out += `${k.field}: [${v.toString(16)}] ${this.names.symOffset(v).padEnd(55)}`;
          break;
        case 'execname':
          out += `${k.field}: ${(e.comm ?? '').padEnd(16)}[${v.toString().padStart(10)}]`;
          break;
        case 'log2':
          out += `${k.field}: ~ 2^${v.toString().padEnd(2)}`;
          break;
        case 'buckets':
          out += `${k.field}: ~ ${v}-${v + (k.buckets ?? 1n) - 1n}`;
          break;
        default:
          out += `${k.field}: ${v.toString().padStart(10)}`;
      }
    });
    return `${out}${multiline ? '' : ' '}}`;
  }

  /** ` hitcount: N` and each value, as hist_trigger_entry_print prints them. */
  private valsText(e: Entry): string {
    let out = `hitcount: ${e.hitcount.toString().padStart(10)}`;
    this.spec.vals.forEach((v, i) => {
      const s = e.sums[i] ?? 0n;
      out += `  ${v.field}: ${(v.hex ? s.toString(16) : s.toString()).padStart(10)}`;
    });
    return out;
  }
}

/** ilog2(roundup_pow_of_two(v)) as hist_field_log2 computes it; 0 for 0 and 1. */
function log2(v: bigint): bigint {
  if (v <= 1n) return 0n;
  return BigInt((v - 1n).toString(2).length);
}
