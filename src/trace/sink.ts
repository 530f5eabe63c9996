// Counterpart: the print side of kernel/trace/trace_kprobe.c (print_kprobe_event,
// print_kretprobe_event): recorded hits written as ftrace text, JSON lines, or Chrome's
// Trace Event Format.
import { GUEST_PID } from '../../emu/machine.js';
import { hexValue } from '../fetch.js';
import type { KretDropReason } from '../kretprobes.js';
import type { BlockWriter } from '../output.js';
import { jsonString, putBytes, putDecimal, putHex, putJsonString, utf8Bytes } from './json-encoder.js';

/** One recorded hit, with the fields of the JSON output. */
export interface TraceEvent {
  seq: number;
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
  /** Guest time of the hit, nanoseconds since the program started (0 for a writer not `timed`). */
  ns: bigint;
  /** Return probes: guest time of the call's entry. */
  entryNs?: bigint;
  /**
   * The same object for every record of one probe at one place: type, group, event, pc, at,
   * ret, where and the argument names are then the same, so a sink may cache their rendering.
   */
  key?: object;
}

/** What TraceSink.jsonParts renders once for a probe's events at one place. */
export interface JsonParts {
  head: string;
  tail: string;
  names: string[];
  /** head, task and tail in UTF-8, for the task of the last line put as bytes. */
  task: number;
  midBytes: Uint8Array;
  /** The names, UTF-8. */
  nameBytes: Uint8Array[];
}

/** Arguments of a JSON line the writer reads itself: per argument the read of its halves (or none) and the width. */
export interface HexArgs {
  reads: ((() => Uint32Array) | undefined)[];
  bits: number[];
}

const SEQ = utf8Bytes('{"seq":');

export type TraceFormat = 'text' | 'json' | 'chrome';

/** Where trace records go: the three built-in formats, or anything with this shape. */
export interface TraceWriter {
  /** False when the writer shows no times (JSON lines): hits then leave `ns` at 0. */
  readonly timed?: boolean;
  record(r: TraceRecord): void;
  /** A tracked call that ended without its return (Chrome: a marked end). */
  dropped?(r: {
    event: string;
    group: string;
    task: number;
    func: string;
    entryNs: bigint;
    ns: bigint;
    why: KretDropReason;
  }): void;
  close(): void;
}

/** `SECONDS.MICROSECONDS` as ftrace prints timestamps. */
function timestamp(ns: bigint): string {
  return `${ns / 1_000_000_000n}.${((ns / 1000n) % 1_000_000n).toString().padStart(6, '0')}`;
}

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
  readonly timed: boolean;
  /** The output's block, when it has one: the JSON lines of `json()` are put there as bytes. */
  private readonly block: BlockWriter | undefined;
  constructor(
    readonly format: TraceFormat,
    private readonly out: ((line: string) => void) & { block?: BlockWriter },
    private readonly comm: string,
    /** Once this many bytes are written, later events are counted in `lost`, not written. */
    readonly limit = Infinity,
  ) {
    this.timed = format !== 'json';
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
      this.writeJson(c, ev.seq, ev.task, Object.values(ev.args));
      return;
    }
    if (this.format === 'chrome') {
      this.chromeTask(ev.task);
      const us = Number(r.ns) / 1000;
      if (ev.type === 'kprobe')
        this.chrome({
          name: ev.event,
          cat: ev.group,
          ph: 'i',
          s: 't',
          ts: us,
          pid: GUEST_PID,
          tid: ev.task,
          args: { at: ev.at, ...ev.args },
        });
      else {
        const start = Number(r.entryNs ?? r.ns) / 1000;
        this.chrome({
          name: ev.event,
          cat: ev.group,
          ph: 'X',
          ts: start,
          dur: us - start,
          pid: GUEST_PID,
          tid: ev.task,
          args: { func: ev.at, ret: ev.ret, ...ev.args },
        });
      }
      return;
    }
    const args = Object.entries(r.textArgs)
      .map(([k, v]) => ` ${k}=${v}`)
      .join('');
    const task = `${this.comm}-${ev.task}`.padStart(16);
    this.write(`${task} [000] ..... ${timestamp(r.ns).padStart(12)}: ${ev.event}: (${r.where})${args}`);
  }

  dropped(d: {
    event: string;
    group: string;
    task: number;
    func: string;
    entryNs: bigint;
    ns: bigint;
    why: KretDropReason;
  }): void {
    if (this.format !== 'chrome' || !this.room()) return;
    this.chromeTask(d.task);
    const start = Number(d.entryNs) / 1000;
    this.chrome({
      name: d.event,
      cat: d.group,
      ph: 'X',
      ts: start,
      dur: Number(d.ns) / 1000 - start,
      pid: GUEST_PID,
      tid: d.task,
      args: { func: d.func, dropped: d.why },
    });
  }

  private readonly jsonByKey = new WeakMap<object, JsonParts>();

  /**
   * The constant parts of the JSON lines of one probe at one place, rendered once: with
   * them a recorder writes its events by `json()`, making no record objects.
   */
  jsonParts(
    ev: Pick<TraceEvent, 'type' | 'group' | 'event' | 'pc' | 'at' | 'ret'>,
    names: readonly string[],
  ): JsonParts {
    const ret = ev.ret === undefined ? '' : `,"ret":${JSON.stringify(ev.ret)}`;
    const parts: JsonParts = {
      head: `,"type":"${ev.type}","group":${JSON.stringify(ev.group)},"event":${JSON.stringify(ev.event)},"task":`,
      tail: `,"pc":"${ev.pc}","at":${JSON.stringify(ev.at)}${ret},"args":{`,
      names: names.map((k, i) => `${i > 0 ? ',' : ''}${JSON.stringify(k)}:`),
      task: -1,
      midBytes: new Uint8Array(0),
      nameBytes: [],
    };
    parts.nameBytes = parts.names.map((k) => utf8Bytes(k));
    return parts;
  }

  /**
   * One JSON-lines event from its parts (the line record() writes for it); a new seq. The
   * arguments `hex` names are read from their registers here, not taken from `values`.
   */
  json(parts: JsonParts, task: number, values: string[], hex?: HexArgs): void {
    const seq = ++this.seq;
    if (!this.room()) return;
    const b = this.block;
    if (b) {
      if (parts.task !== task) {
        parts.task = task;
        parts.midBytes = utf8Bytes(`${parts.head}${task}${parts.tail}`);
      }
      const { names, nameBytes, midBytes } = parts;
      const reads = hex?.reads;
      // The most the line can take: 6 bytes a UTF-16 unit escaped (\u001f) or encoded;
      // "0x" and 16 digits for a value the writer reads.
      let size = SEQ.length + 16 + midBytes.length + 3;
      for (let i = 0; i < names.length; i++)
        size += nameBytes[i]!.length + (reads && reads[i] ? 18 : 6 * values[i]!.length) + 2;
      if (b.reserve(size)) {
        const buf = b.buf;
        const start = b.n;
        let n = putBytes(buf, start, this.seqText(seq));
        buf.set(midBytes, n);
        n += midBytes.length;
        for (let i = 0; i < names.length; i++) {
          n = putBytes(buf, n, nameBytes[i]!);
          const read = reads && reads[i];
          n = read ? putHex(buf, n, read(), hex.bits[i]!) : putJsonString(buf, n, values[i]!);
        }
        buf[n++] = 0x7d; // }}\n
        buf[n++] = 0x7d;
        buf[n++] = 0x0a;
        b.n = n;
        this.written += n - start;
        return;
      }
    }
    if (hex)
      for (let i = 0; i < hex.reads.length; i++) {
        const h = hex.reads[i]?.();
        if (h) values[i] = hexValue((BigInt(h[1]!) << 32n) | BigInt(h[0]!), hex.bits[i]!);
      }
    this.writeJson(parts, seq, task, values);
  }

  /** `{"seq":` and the digits of seq, UTF-8: the last one's digits counted up when seq follows it. */
  private seqText(seq: number): Uint8Array {
    const t = this.seqBytes;
    if (seq === this.seqOf + 1) {
      let i = t.length - 1;
      while (i >= SEQ.length && t[i] === 0x39) t[i--] = 0x30;
      if (i >= SEQ.length) {
        t[i]!++;
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

  private writeJson(c: JsonParts, seq: number, task: number, values: readonly string[]): void {
    let line = `{"seq":${seq}${c.head}${task}${c.tail}`;
    for (let i = 0; i < c.names.length; i++) line += `${c.names[i]}${jsonString(values[i]!)}`;
    this.write(`${line}}}`);
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
    this.chrome({ name: 'thread_name', ph: 'M', pid: GUEST_PID, tid, args: { name: `${this.comm}-${tid}` } });
  }

  private chrome(o: object): void {
    if (this.first) this.write(CHROME_HEAD);
    this.write(`${this.first ? '' : ','}${JSON.stringify(o)}`);
    this.first = false;
  }
}
