// Counterpart: the print side of kernel/trace/trace_kprobe.c (print_kprobe_event,
// print_kretprobe_event): recorded hits written as ftrace text, JSON lines, or Chrome's
// Trace Event Format, the JSON of both by the writer of json-encoder.ts.
import { GUEST_PID } from '../../emu/machine.js';
import type { KretDropReason } from '../kretprobes.js';
import type { BlockWriter } from '../output.js';
import {
  jsonSize,
  jsonString,
  putBytes,
  putDecimal,
  putHex,
  putJson,
  putJsonString,
  putMicros,
  putNumber,
  NUMBER_SIZE,
  utf8Bytes,
  type JsonObject,
} from './json-encoder.js';

/** The bytes of nothing (an index past a list's end, which the callers never reach). */
const NO_BYTES = new Uint8Array(0);

/** One recorded hit, with the fields of the JSON output. */
export interface TraceEvent {
  seq: number;
  /** When it happened on the trace clock: nanoseconds since the trace began, or a count (`counter`). */
  ts?: number;
  /** kretprobe: the call's time from its entry to its return, in ts's unit (when the entry was seen). */
  duration?: number;
  type: 'kprobe' | 'kretprobe';
  group: string;
  event: string;
  task: number;
  /** kprobe: the probed address; kretprobe: the real return address. */
  pc: string;
  /** kprobe: `sym+0xoff` of the probe; kretprobe: the function's name. */
  at: string;
  /** kretprobe: where it returned to, `sym+0xoff`. */
  ret?: string;
  args: Record<string, string>;
}

/** What a sink gets for each hit: the JSON event plus what the other formats need. */
export interface TraceRecord {
  event: TraceEvent;
  /** The arguments as ftrace prints them (strings quoted). */
  textArgs: Record<string, string>;
  /** `(sym+0xoff/0xsize)` or `(caller+0xoff/0xsize <- func)` without the parentheses. */
  where: string;
  /** Time of the hit on the trace clock (0 for a writer not `timed`). */
  ns: number;
  /** Return probes: the trace clock at the call's entry. */
  entryNs?: number;
  /** The fetched arguments as a histogram takes them (hist.ts), when a trigger wants them. */
  fields?: ReadonlyMap<string, bigint | string>;
  /**
   * The task's stack at the hit, innermost first, `sym+0xoff/0xsize` a frame: printed after
   * the event (the stacktrace trigger) when set.
   */
  stack?: readonly string[];
  /**
   * The same object for every record of one probe at one place: type, group, event, pc, at,
   * ret, where and the argument names are then the same, so a sink may cache their rendering.
   */
  key?: object;
}

/** A tracked call that ended without its return. */
export interface DroppedCall {
  event: string;
  group: string;
  task: number;
  func: string;
  entryNs: number;
  ns: number;
  why: KretDropReason;
}

/** What TraceSink.jsonParts renders once for a probe's events at one place. */
export interface JsonParts {
  /** What follows seq, up to the task: `,"type":…,"task":`. */
  head: string;
  /** What follows the task, up to the arguments: `,"pc":…,"args":{`. */
  tail: string;
  /** head, task and tail in UTF-8, for the task of the last line put as bytes. */
  task: number;
  midBytes: Uint8Array;
  /** The names, UTF-8, each as `"name":` with the comma before all but the first. */
  nameBytes: Uint8Array[];
}

/** Arguments of a JSON line the writer reads itself: per argument the read of its halves (or none) and the width. */
export interface HexArgs {
  reads: ((() => Uint32Array) | undefined)[];
  bits: number[];
}

export type TraceFormat = 'text' | 'json' | 'chrome';

/** What the tracer tells a writer before the first record. */
export interface TraceSetup {
  /** Whether times are nanoseconds, or a count (the `counter` clock). */
  inNs: boolean;
  /** The name of task `tid` where it has one of its own (prctl PR_SET_NAME). */
  commOf: (tid: number) => string | undefined;
}

/** Where trace records go: the three built-in formats, or anything with this shape. */
export interface TraceWriter {
  configure?(setup: TraceSetup): void;
  /** False when the writer shows no times: hits then leave `ns` at 0. */
  readonly timed?: boolean;
  record(r: TraceRecord): void;
  /** A tracked call that ended without its return (Chrome: a marked end). */
  dropped?(r: DroppedCall): void;
  close(): void;
}

/**
 * A timestamp as ftrace prints it: `SECONDS.MICROSECONDS` for a clock in nanoseconds, else
 * the bare count (trace_output.c, TRACE_FILE_TIME_IN_NS).
 */
function timestamp(ns: number, inNs: boolean): string {
  if (!inNs) return ns.toString();
  const us = Math.floor(ns / 1000);
  return `${Math.floor(us / 1_000_000)}.${(us % 1_000_000).toString().padStart(6, '0')}`;
}

const SEQ = utf8Bytes('{"seq":');
const JSON_TS = utf8Bytes(',"ts":');
const JSON_DURATION = utf8Bytes(',"duration":');
const CHROME_HEAD = '{"displayTimeUnit":"ns","traceEvents":[';

/** Formats records: ftrace-like text lines, one JSON object a line, or Trace Event Format. */
export class TraceSink implements TraceWriter {
  private seq = 0;
  private readonly tasks = new Set<number>();
  private first = true;
  /** Characters written so far (one a byte for the ASCII the formats write). */
  private written = 0;
  /** Events not written because the output reached `limit`. */
  lost = 0;
  readonly timed = true;
  /**
   * Whether times are nanoseconds (else a count, as the `counter` clock's): set by whoever
   * chose the clock (configure). Chrome's microseconds are then counts.
   */
  inNs = true;

  configure(setup: TraceSetup): void {
    this.inNs = setup.inNs;
    this.commOf = setup.commOf;
  }
  /** The output's block, when it has one: the JSON lines of `json()` are put there as bytes. */
  private readonly block: BlockWriter | undefined;
  /** Where the JSON writer puts a line that is written as text. */
  private scratch = Buffer.alloc(0);
  constructor(
    readonly format: TraceFormat,
    private readonly out: ((line: string) => void) & { block?: BlockWriter },
    private readonly comm: string,
    /** Once this many bytes are written, later events are counted in `lost`, not written. */
    readonly limit = Infinity,
  ) {
    this.block = out.block;
  }

  private write(line: string): void {
    this.written += line.length + 1;
    this.out(line);
  }

  /** Whether an event may still be written; counts it as lost when not. */
  private room(): boolean {
    if (this.written < this.limit) return true;
    this.lost++;
    return false;
  }

  nextSeq(): number {
    return ++this.seq;
  }

  /** The task name ftrace shows (`comm`, at most 15 characters). */
  get taskName(): string {
    return this.comm;
  }

  /**
   * The name of task `tid` where it has one of its own (prctl PR_SET_NAME); set by whoever
   * knows the tasks (configure), else every task has the program's name.
   */
  commOf: (tid: number) => string | undefined = () => undefined;

  record(r: TraceRecord): void {
    if (!this.room()) return;
    const ev = r.event;
    if (this.format === 'json') {
      // The object JSON.stringify(ev) would write, its constant parts rendered once a key.
      let c = r.key && this.jsonByKey.get(r.key);
      if (!c) {
        c = this.jsonParts(ev, Object.keys(ev.args));
        if (r.key) this.jsonByKey.set(r.key, c);
      }
      // As a text line, as the other formats write records: the limit counts its characters.
      const duration = r.entryNs === undefined ? undefined : r.ns - r.entryNs;
      this.jsonLine(
        c,
        ev.seq,
        ev.task,
        r.ns,
        duration,
        Object.values(ev.args),
        undefined,
        undefined,
        r.stack,
      );
      return;
    }
    if (this.format === 'chrome') {
      this.chromeTask(ev.task);
      let c = r.key && this.chromeByKey.get(r.key);
      if (!c) {
        c = chromeParts(ev);
        if (r.key) this.chromeByKey.set(r.key, c);
      }
      const scale = this.inNs ? 1 : 1000;
      this.chromeEvent(c, (r.entryNs ?? r.ns) * scale, r.ns * scale, ev.task, Object.values(ev.args));
      return;
    }
    const args = Object.entries(r.textArgs)
      .map(([k, v]) => ` ${k}=${v}`)
      .join('');
    const task = `${this.commOf(ev.task) ?? this.comm}-${ev.task}`.padStart(16);
    const head = `${task} [000] ..... ${timestamp(r.ns, this.inNs).padStart(12)}: `;
    this.write(`${head}${ev.event}: (${r.where})${args}`);
    // The stacktrace trigger's entry, as ftrace prints a stack (trace_output.c, trace_stack_print).
    if (r.stack) this.write(`${head}<stack trace>\n${r.stack.map((f) => ` => ${f}`).join('\n')}`);
  }

  dropped(d: DroppedCall): void {
    if (this.format !== 'chrome' || !this.room()) return;
    this.chromeTask(d.task);
    const scale = this.inNs ? 1 : 1000;
    const start = (d.entryNs * scale) / 1000;
    this.chrome({
      name: d.event,
      cat: d.group,
      ph: 'X',
      ts: start,
      dur: (d.ns * scale) / 1000 - start,
      pid: GUEST_PID,
      tid: d.task,
      args: { func: d.func, dropped: d.why },
    });
  }

  private readonly jsonByKey = new WeakMap<object, JsonParts>();
  private readonly chromeByKey = new WeakMap<object, ChromeParts>();

  /**
   * The constant parts of the JSON lines of one probe at one place, rendered once: with
   * them a recorder writes its events by `json()`, making no record objects.
   */
  jsonParts(
    ev: Pick<TraceEvent, 'type' | 'group' | 'event' | 'pc' | 'at' | 'ret'>,
    names: readonly string[],
  ): JsonParts {
    const ret = ev.ret === undefined ? '' : `,"ret":${jsonString(ev.ret)}`;
    return {
      head: `,"type":"${ev.type}","group":${jsonString(ev.group)},"event":${jsonString(ev.event)},"task":`,
      tail: `,"pc":"${ev.pc}","at":${jsonString(ev.at)}${ret},"args":{`,
      task: -1,
      midBytes: new Uint8Array(0),
      nameBytes: names.map((k, i) => utf8Bytes(`${i > 0 ? ',' : ''}${jsonString(k)}:`)),
    };
  }

  /**
   * One JSON-lines event from its parts (the line record() writes for it); a new seq. The
   * arguments `hex` names are read from their registers here, not taken from `values`.
   */
  json(
    parts: JsonParts,
    task: number,
    ts: number,
    duration: number | undefined,
    values: readonly string[],
    hex?: HexArgs,
  ): void {
    const seq = ++this.seq;
    if (!this.room()) return;
    this.jsonLine(parts, seq, task, ts, duration, values, hex, this.block);
  }

  /**
   * A JSON line, as bytes into `block` when it has room for them, else into the scratch
   * buffer and written as a text line.
   */
  private jsonLine(
    parts: JsonParts,
    seq: number,
    task: number,
    ts: number,
    duration: number | undefined,
    values: readonly string[],
    hex: HexArgs | undefined,
    block: BlockWriter | undefined,
    stack?: readonly string[],
  ): void {
    if (parts.task !== task) {
      parts.task = task;
      parts.midBytes = utf8Bytes(`${parts.head}${task}${parts.tail}`);
    }
    const { nameBytes, midBytes } = parts;
    const reads = hex?.reads;
    // The most the line can take: 6 bytes a UTF-16 unit escaped (\u001f) or encoded;
    // "0x" and 16 digits for a value the writer reads.
    let size =
      SEQ.length + 16 + JSON_TS.length + JSON_DURATION.length + 2 * NUMBER_SIZE + midBytes.length + 3;
    for (let i = 0; i < nameBytes.length; i++)
      size += (nameBytes[i]?.length ?? 0) + (reads && reads[i] ? 18 : 6 * (values[i]?.length ?? 0)) + 2;
    if (stack) size += 3 * JSON.stringify(stack).length + 10;
    const inBlock = block !== undefined && block.reserve(size);
    const buf = inBlock ? block.buf : this.scratchOf(size);
    const start = inBlock ? block.n : 0;
    let n = putBytes(buf, start, this.seqText(seq));
    n = putBytes(buf, n, JSON_TS);
    n = putNumber(buf, n, ts);
    if (duration !== undefined) {
      n = putBytes(buf, n, JSON_DURATION);
      n = putNumber(buf, n, duration);
    }
    buf.set(midBytes, n);
    n += midBytes.length;
    for (let i = 0; i < nameBytes.length; i++) {
      n = putBytes(buf, n, nameBytes[i] ?? NO_BYTES);
      const read = reads && reads[i];
      n = read ? putHex(buf, n, read(), hex.bits[i] ?? 64) : putJsonString(buf, n, values[i] ?? '');
    }
    buf[n++] = 0x7d; // }
    // The stacktrace trigger's frames (the size above has room for them).
    if (stack) n += buf.write(`,"stack":${JSON.stringify(stack)}`, n, 'utf8');
    buf[n++] = 0x7d;
    if (inBlock) {
      buf[n++] = 0x0a;
      block.n = n;
      this.written += n - start;
    } else this.write(buf.toString('utf8', 0, n));
  }

  /** `{"seq":` and the digits of seq, UTF-8: the last one's digits counted up when seq follows it. */
  private seqText(seq: number): Uint8Array {
    const t = this.seqBytes;
    if (seq === this.seqOf + 1) {
      let i = t.length - 1;
      while (i >= SEQ.length && t[i] === 0x39) t[i--] = 0x30;
      if (i >= SEQ.length) {
        t[i] = (t[i] ?? 0x30) + 1;
        this.seqOf = seq;
        return t;
      }
    }
    const b = new Uint8Array(SEQ.length + 17);
    b.set(SEQ);
    this.seqBytes = b.subarray(0, putDecimal(b, SEQ.length, seq));
    this.seqOf = seq;
    return this.seqBytes;
  }

  private seqBytes = new Uint8Array(0);
  /** The seq whose digits `seqBytes` holds. */
  private seqOf = -2;

  /** The scratch buffer, with room for `size` bytes. */
  private scratchOf(size: number): Buffer {
    if (this.scratch.length < size)
      this.scratch = Buffer.allocUnsafe(Math.max(size, 2 * this.scratch.length));
    return this.scratch;
  }

  /** End the output (Chrome: the closing brackets; the header if nothing was written). */
  close(): void {
    if (this.format !== 'chrome') return;
    if (this.first) this.write(CHROME_HEAD);
    this.write(']}');
  }

  private chromeTask(tid: number): void {
    if (this.tasks.has(tid)) return;
    if (this.tasks.size === 0)
      this.chrome({ name: 'process_name', ph: 'M', pid: GUEST_PID, tid, args: { name: this.comm } });
    this.tasks.add(tid);
    const name = `${this.commOf(tid) ?? this.comm}-${tid}`;
    this.chrome({ name: 'thread_name', ph: 'M', pid: GUEST_PID, tid, args: { name } });
  }

  /** A Trace Event, as a text line of its own (a comma before all but the first). */
  private chrome(o: JsonObject): void {
    const buf = this.chromeStart(1 + jsonSize(o));
    this.chromeEnd(buf, putJson(buf, this.first ? 0 : 1, o));
  }

  /**
   * A hit's Trace Event from its parts: an instant at `endNs`, or a slice from `startNs` to
   * `endNs`; in microseconds, as the ts and dur of a slice are `endNs / 1000` less `startNs / 1000`.
   */
  private chromeEvent(
    c: ChromeParts,
    startNs: number,
    endNs: number,
    tid: number,
    values: readonly string[],
  ): void {
    const { head, around, slots } = c;
    // The most the event can take: a comma; ts, dur and tid; 6 bytes a UTF-16 unit of a value.
    let size = 1 + head.length + 2 * NUMBER_SIZE + CHROME_DUR.length + CHROME_TID.length + 16;
    for (let i = 0; i < around.length; i++) size += around[i]?.length ?? 0;
    for (let i = 0; i < slots.length; i++) size += 6 * (values[slots[i] ?? 0]?.length ?? 0) + 2;
    const buf = this.chromeStart(size);
    let n = putBytes(buf, this.first ? 0 : 1, head);
    if (c.slice) {
      n = putMicros(buf, n, startNs);
      n = putBytes(buf, n, CHROME_DUR);
      const dur = endNs / 1000 - startNs / 1000;
      // Two rounded quotients apart: the times' difference over 1000, unless their roundings differ.
      n = dur === (endNs - startNs) / 1000 ? putMicros(buf, n, endNs - startNs) : putNumber(buf, n, dur);
    } else n = putMicros(buf, n, endNs);
    n = putBytes(buf, n, CHROME_TID);
    n = putDecimal(buf, n, tid);
    n = putBytes(buf, n, around[0] ?? NO_BYTES);
    for (let i = 0; i < slots.length; i++) {
      n = putJsonString(buf, n, values[slots[i] ?? 0] ?? '');
      n = putBytes(buf, n, around[i + 1] ?? NO_BYTES);
    }
    this.chromeEnd(buf, n);
  }

  /**
   * The scratch buffer for an event of at most `size` bytes, with the comma that separates
   * events at 0: the first event is put at 0, over it, and any other at 1.
   */
  private chromeStart(size: number): Buffer {
    if (this.first) this.write(CHROME_HEAD);
    const buf = this.scratchOf(size);
    buf[0] = 0x2c;
    return buf;
  }

  /** The event put in `buf` up to `n`, its comma included, as a line of text. */
  private chromeEnd(buf: Buffer, n: number): void {
    this.write(buf.toString('utf8', 0, n));
    this.first = false;
  }
}

const CHROME_DUR = utf8Bytes(',"dur":');
const CHROME_TID = utf8Bytes(`,"pid":${GUEST_PID},"tid":`);

/**
 * What a hit's Trace Event takes from its probe and place, rendered once: the bytes up to
 * `"ts":`, and the args object with a slot for each argument value, `around` the slots.
 */
interface ChromeParts {
  slice: boolean;
  head: Uint8Array;
  /** The bytes before the first slot, between two, and after the last. */
  around: Uint8Array[];
  /** The index in the event's args of the value each slot takes. */
  slots: number[];
}

/**
 * The parts of `ev`'s Trace Events: an instant with the place as `args.at`, or a slice with
 * the function and the return place as `args.func` and `args.ret`; the arguments follow, one
 * of the same name taking that member's value in its place.
 */
function chromeParts(ev: Pick<TraceEvent, 'type' | 'group' | 'event' | 'at' | 'ret' | 'args'>): ChromeParts {
  const slice = ev.type === 'kretprobe';
  const own = slice ? { func: ev.at, ret: ev.ret } : { at: ev.at };
  const members: Record<string, string | number | undefined> = {
    ...own,
    ...Object.fromEntries(Object.keys(ev.args).map((k, i) => [k, i])),
  };
  const around: Uint8Array[] = [];
  const slots: number[] = [];
  let text = ',"args":{';
  let first = true;
  for (const [k, v] of Object.entries(members)) {
    if (v === undefined) continue;
    text += `${first ? '' : ','}${jsonString(k)}:`;
    first = false;
    if (typeof v === 'string') text += jsonString(v);
    else {
      around.push(utf8Bytes(text));
      slots.push(v);
      text = '';
    }
  }
  around.push(utf8Bytes(`${text}}}`));
  const ph = slice ? '"ph":"X"' : '"ph":"i","s":"t"';
  return {
    slice,
    head: utf8Bytes(`{"name":${jsonString(ev.event)},"cat":${jsonString(ev.group)},${ph},"ts":`),
    around,
    slots,
  };
}
