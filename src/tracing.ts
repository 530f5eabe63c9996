// Counterpart: the kprobe trace events of kernel/trace/trace_kprobe.c (print_kprobe_event,
// print_kretprobe_event) and kprobe_profile: definitions turned into registered probes that
// record their hits, written as ftrace text, JSON lines, or Chrome's Trace Event Format.
import { GUEST_PID, type Machine } from '../emu/machine.js';
import type { SymbolTable } from '../emu/symbols.js';
import { addrOf, type GuestAddr } from '../emu/addr.js';
import {
  argNumbers,
  fetchArgs,
  hexValue,
  jsonFetcher,
  resolveSymbols,
  type EntryArgs,
  type JsonFetcher,
} from './fetch.js';
import { kprobes, ProbeError, type Kprobe, type KprobeEngine } from './kprobes.js';
import {
  type KretDropReason,
  type Kretprobe,
  type KretprobeInstance,
  type KretprobeKeying,
} from './kretprobes.js';
import { collectEvents, DefinitionError, type ProbeDefinition } from './probe-def.js';
import type { BlockWriter } from './output.js';
import type { Regs } from './regs.js';

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

const HEX = new TextEncoder().encode('0123456789abcdef');

/** `"0x…"` of a value's low `bits` (its halves as regReadHalves gives them); the offset after it. */
function putHex(buf: Uint8Array, n: number, halves: Uint32Array, bits: number): number {
  let lo = halves[0]!;
  let hi = bits === 64 ? halves[1]! : 0;
  if (bits < 32) lo &= (1 << bits) - 1;
  buf[n++] = 0x22;
  buf[n++] = 0x30;
  buf[n++] = 0x78;
  let digits = 0;
  if (hi !== 0) {
    for (let x = hi; x !== 0; x >>>= 4) digits++;
    for (let i = digits - 1; i >= 0; i--, hi >>>= 4) buf[n + i] = HEX[hi & 15]!;
    n += digits;
    digits = 8;
  } else for (let x = lo; x !== 0; x >>>= 4) digits++;
  if (digits === 0) digits = 1;
  for (let i = digits - 1; i >= 0; i--, lo >>>= 4) buf[n + i] = HEX[lo & 15]!;
  n += digits;
  buf[n++] = 0x22;
  return n;
}

const utf8 = new TextEncoder();
const SEQ = utf8.encode('{"seq":');

/** Short bytes into `buf` at `n` (a loop beats TypedArray.set's call for a few); the offset after them. */
function putBytes(buf: Uint8Array, n: number, b: Uint8Array): number {
  const len = b.length;
  for (let i = 0; i < len; i++) buf[n + i] = b[i]!;
  return n + len;
}

/** A non-negative integer's decimal digits into `buf` at `n`; the offset after them. */
function putDecimal(buf: Uint8Array, n: number, v: number): number {
  let len = 1;
  for (let x = v; x >= 10; x = Math.floor(x / 10)) len++;
  let x = v;
  for (let i = n + len - 1; i >= n; i--) {
    buf[i] = 0x30 + (x % 10);
    x = Math.floor(x / 10);
  }
  return n + len;
}

/** jsonString(s), UTF-8, into `buf` at `n` (room for 6 bytes a unit and the quotes); the offset after it. */
function putJsonString(buf: Buffer, n: number, s: string): number {
  buf[n] = 0x22;
  const len = s.length;
  for (let i = 0; i < len; i++) {
    const c = s.charCodeAt(i);
    // Printable ASCII but '"' and '\\' is itself; anything else takes the general way.
    if (c < 0x20 || c > 0x7e || c === 0x22 || c === 0x5c) return n + buf.write(jsonString(s), n);
    buf[n + 1 + i] = c;
  }
  buf[n + 1 + len] = 0x22;
  return n + len + 2;
}

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

/**
 * JSON.stringify of a string, without its cost for the usual argument value (a number, a
 * symbol): those have nothing to escape and are only quoted.
 */
export function jsonString(s: string): string {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    // What JSON.stringify escapes: controls, '"', '\\', and UTF-16 surrogates (when lone).
    if (c < 0x20 || c === 0x22 || c === 0x5c || (c >= 0xd800 && c < 0xe000)) return JSON.stringify(s);
  }
  return `"${s}"`;
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
    parts.nameBytes = parts.names.map((k) => utf8.encode(k));
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
        parts.midBytes = utf8.encode(`${parts.head}${task}${parts.tail}`);
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

/**
 * The symbol checks the kernel makes when it creates an event: the probe point names one
 * function (BAD_PROBE_ADDR when none, NON_UNIQ_SYMBOL when several), and every @SYM names a
 * symbol (BAD_MEM_ADDR).
 */
export function checkSymbols(d: ProbeDefinition, symbols: SymbolTable): DefinitionError | undefined {
  if ('symbol' in d.point) {
    const s = symbols.lookup(d.point.symbol);
    if (!s || s.kind !== 'func')
      return new DefinitionError(
        `no function named '${d.point.symbol}'`,
        d.point.column,
        d.text,
        'BAD_PROBE_ADDR',
      );
    const n = symbols.ambiguity(d.point.symbol);
    if (n !== undefined)
      return new DefinitionError(
        `'${d.point.symbol}' is not unique (${n} functions have that name): probe one by its address`,
        d.point.column,
        d.text,
        'NON_UNIQ_SYMBOL',
      );
  }
  for (const a of d.args) {
    const why = resolveSymbols(symbols, a);
    if (why) return new DefinitionError(why, a.column, d.text, 'BAD_MEM_ADDR');
  }
  return undefined;
}

/** A writer with what the recorders need: the task name and the event sequence. */
export type Sink = TraceWriter & { readonly taskName: string; nextSeq(): number };

/** A definition registered on a machine, with its probe. */
export type TracedProbe =
  | { def: ProbeDefinition; probe: Kprobe; ret?: undefined }
  | { def: ProbeDefinition; ret: Kretprobe; probe?: undefined };

/** How the CLI set the engine up for return probes. */
export interface TraceOptions {
  blacklist?: readonly string[];
  kretprobeSpCheck?: boolean;
  kretprobeKeying?: KretprobeKeying;
  maxProbes?: number;
}

/**
 * Parse every line first (nothing registers if one is bad; see collectEvents for multi-probe
 * events and `-:` removals), then register them all.
 */
export function traceDefinitions(
  m: Machine,
  texts: readonly string[],
  sink: Sink,
  options: TraceOptions = {},
): { engine: KprobeEngine<unknown>; probes: TracedProbe[] } {
  const registers = new Set(Object.keys(m.isa.registers));
  const bits = m.isa.wordSize === 8 ? 64 : 32;
  const defs = collectEvents(texts, registers, bits);
  for (const d of defs) {
    const bad = checkSymbols(d, m.symbols);
    if (bad) throw bad;
  }
  let engine: KprobeEngine<unknown>;
  try {
    engine = kprobes(m);
  } catch (e) {
    if (e instanceof ProbeError && defs[0])
      throw new DefinitionError(e.message, defs[0].point.column, defs[0].text);
    throw e;
  }
  for (const b of options.blacklist ?? []) engine.blacklist.add(b);
  if (options.kretprobeSpCheck !== undefined) engine.kretprobeSpCheck = options.kretprobeSpCheck;
  if (options.kretprobeKeying !== undefined) engine.kretprobeKeying = options.kretprobeKeying;
  if (options.maxProbes !== undefined) engine.maxProbes = options.maxProbes;
  // The built-in JSON writer is fed lines straight from the fetched values.
  const direct = sink instanceof TraceSink && sink.format === 'json' ? sink : undefined;
  const conventionRegs = new Set([m.isa.spReg, m.isa.returnReg]);
  for (let n = 1; n <= 8; n++) {
    const r = m.isa.argumentRegister(n);
    if (r !== undefined) conventionRegs.add(r);
  }
  const jsonWay = (sink: TraceSink, def: ProbeDefinition, atReturn: boolean): JsonWay => {
    const fetchers = def.args.map((a) => jsonFetcher(m, a, sink.taskName));
    // The registers the hits read come with PC at each trap, in the same call: those of the
    // calling convention, none of which is part of another (a definition may name %eax on
    // x86_64, which is part of rax: that one is read when asked).
    m.readAheadAtTraps(
      fetchers.flatMap((f) =>
        f.register !== undefined && conventionRegs.has(f.register) ? [f.register] : [],
      ),
    );
    return { sink, fetchers, hex: hexArgs(fetchers, atReturn) };
  };
  const start = m.process.guestNanoseconds();
  const now = sink.timed === false ? () => 0n : () => m.process.guestNanoseconds() - start;
  const probes: TracedProbe[] = [];
  try {
    for (const def of defs) {
      const point =
        'addr' in def.point
          ? { addr: addrOf(def.point.addr) }
          : { symbol: def.point.symbol, offset: Number(def.point.offset) };
      try {
        if (def.kind === 'r') {
          /** Where return addresses are, found once per address (and record key). */
          const places = new Map<GuestAddr, ReturnPlace>();
          const json = direct && jsonWay(direct, def, true);
          // $argN in a return probe: the arguments as they were at the entry.
          const wanted = [...new Set(def.args.flatMap((a) => [...argNumbers(a.source, new Set<number>())]))];
          const ret: Kretprobe = engine.registerKretprobe(point, {
            ...(def.maxactive !== undefined ? { maxactive: def.maxactive } : {}),
            entryHandler: (ri, regs) => {
              ri.user =
                wanted.length === 0
                  ? now()
                  : { ns: now(), args: new Map(wanted.map((n) => [n, regs.arg(n)])) };
            },
            handler: (ri, regs) => recordReturn(m, sink, def, ri, regs, now(), places, json),
            dropHandler: (ri, why) => {
              const entryNs = entryNsOf(ri);
              if (entryNs !== undefined)
                sink.dropped?.({
                  event: def.event,
                  group: def.group,
                  task: ri.task,
                  func: ret.func,
                  entryNs,
                  ns: now(),
                  why,
                });
            },
          });
          probes.push({ def, ret });
        } else {
          let where: { at: string; sym: string; pc: string } | undefined;
          let preHandler = (p: Kprobe, regs: Regs) =>
            record(m, sink, def, p, regs, now(), (where ??= locate(m, p.addr)));
          if (direct) {
            const values: string[] = [];
            const { fetchers, hex } = jsonWay(direct, def, false);
            let parts: JsonParts | undefined;
            preHandler = (p, regs) => {
              fetchValues(fetchers, regs, undefined, values, hex);
              direct.json(
                (parts ??= direct.jsonParts(
                  { type: 'kprobe', group: def.group, event: def.event, ...locate(m, p.addr) },
                  argNames(def),
                )),
                regs.tid,
                values,
                hex,
              );
              return 0;
            };
          }
          const probe = engine.registerKprobe(point, { preHandler });
          probes.push({ def, probe });
        }
      } catch (e) {
        if (e instanceof ProbeError)
          throw new DefinitionError(
            `cannot probe here: ${e.message} (${e.code})`,
            def.point.column,
            def.text,
          );
        throw e;
      }
    }
  } catch (e) {
    engine.unregisterAll();
    throw e;
  }
  return { engine, probes };
}

/**
 * print_kretprobe_event: `(caller+0xoff/0xsize <- func)`. The return address is PC, the
 * real one even for an instance of a chain (a tail call, a second probe) whose own saved
 * address is the trampoline.
 */
function recordReturn(
  m: Machine,
  sink: Sink,
  def: ProbeDefinition,
  ri: KretprobeInstance,
  regs: Regs,
  ns: bigint,
  places: Map<GuestAddr, ReturnPlace>,
  direct: JsonWay | undefined,
): void {
  const u = ri.user as EntryState | undefined;
  const entry = (typeof u === 'object' ? u.args : undefined) ?? NO_ARGS;
  // An instance of a chain holds the trampoline; PC is the real address then. Places are
  // kept by address.
  const to = ri.chained ? regs.pc : ri.retAddr;
  const func = ri.rp?.func ?? '?';
  let place = places.get(to);
  if (!place) {
    const p = locate(m, to);
    places.set(to, (place = { ...p, where: `${p.sym} <- ${func}`, values: [] }));
  }
  if (direct) {
    fetchValues(direct.fetchers, regs, entry, place.values, direct.hex);
    // The parts name the function: not kept for a call whose probe has gone meanwhile.
    const parts = ri.rp
      ? (place.json ??= returnParts(direct.sink, def, func, place))
      : returnParts(direct.sink, def, func, place);
    direct.sink.json(parts, regs.tid, place.values, direct.hex);
    return;
  }
  const entryNs = entryNsOf(ri);
  const { text, json } = fetchArgs(m, regs, def.args, sink.taskName, entry);
  sink.record({
    event: {
      seq: sink.nextSeq(),
      type: 'kretprobe',
      group: def.group,
      event: def.event,
      task: regs.tid,
      pc: place.pc,
      at: func,
      ret: place.at,
      args: json,
    },
    textArgs: text,
    where: ri.rp ? place.where : `${place.sym} <- ${func}`,
    ns,
    ...(entryNs !== undefined ? { entryNs } : {}),
    key: place,
  });
}

/**
 * Where a traced return probe returned to, with its `(caller+0xoff/0xsize <- func)` text
 * and, for the JSON writer, its line parts and the array its values are fetched into.
 */
type ReturnPlace = { at: string; sym: string; pc: string; where: string; json?: JsonParts; values: string[] };

const returnParts = (sink: TraceSink, def: ProbeDefinition, func: string, place: ReturnPlace): JsonParts =>
  sink.jsonParts(
    { type: 'kretprobe', group: def.group, event: def.event, pc: place.pc, at: func, ret: place.at },
    argNames(def),
  );

/** How a probe's hits go straight to the JSON writer: its sink, its argument fetchers, the registers the writer reads. */
type JsonWay = { sink: TraceSink; fetchers: JsonFetcher[]; hex: HexArgs | undefined };

/** Every argument of a hit into `out`, in definition order, but those the writer reads itself. */
function fetchValues(
  fetchers: readonly JsonFetcher[],
  regs: Regs,
  entry: EntryArgs | undefined,
  out: string[],
  hex: HexArgs | undefined,
): void {
  for (let i = 0; i < fetchers.length; i++) if (!hex || !hex.reads[i]) out[i] = fetchers[i]!(regs, entry);
}

/**
 * The arguments the JSON writer can read itself; undefined when none. In a return probe an
 * `$argN` is the value at the entry, not what its register or stack slot holds now.
 */
function hexArgs(fetchers: readonly JsonFetcher[], atReturn: boolean): HexArgs | undefined {
  const reads = fetchers.map((f) => (f.hex && !(atReturn && f.hex.argument) ? f.hex.halves : undefined));
  if (reads.every((r) => r === undefined)) return undefined;
  return { reads, bits: fetchers.map((f) => f.hex?.bits ?? 0) };
}

const argNames = (def: ProbeDefinition): string[] => def.args.map((a) => a.name);

/** What the entry handler of a traced return probe leaves in `ri.user`: its time, with $argN when asked. */
type EntryState = bigint | { ns: bigint; args: ReadonlyMap<number, bigint> };

/** The entry time of a traced call, if its entry was seen. */
const entryNsOf = (ri: KretprobeInstance): bigint | undefined => {
  const u = ri.user as EntryState | undefined;
  return typeof u === 'bigint' ? u : u?.ns;
};

const NO_ARGS: ReadonlyMap<number, bigint> = new Map();

/** `sym+0xoff`, `sym+0xoff/0xsize` and the hex address of a probe, made once per probe. */
function locate(m: Machine, addr: GuestAddr): { at: string; sym: string; pc: string } {
  return { ...m.symbols.place(addr), pc: `0x${addr.toString(16)}` };
}

function record(
  m: Machine,
  sink: Sink,
  def: ProbeDefinition,
  _p: Kprobe,
  regs: Regs,
  ns: bigint,
  where: { at: string; sym: string; pc: string },
): number {
  const { text, json } = fetchArgs(m, regs, def.args, sink.taskName);
  sink.record({
    event: {
      seq: sink.nextSeq(),
      type: 'kprobe',
      group: def.group,
      event: def.event,
      task: regs.tid,
      pc: where.pc,
      at: where.at,
      args: json,
    },
    textArgs: text,
    where: where.sym,
    ns,
    key: where,
  });
  return 0;
}

/**
 * kprobe_profile: `EVENT HITS MISSES` lines. For a return probe, hits are returns handled
 * and misses are calls not tracked (no free instance) plus missed hits of its entry kprobe.
 */
export function profileLines(probes: readonly TracedProbe[]): string[] {
  // One line per event: a multi-probe event sums its probe points.
  const rows = new Map<string, { event: string; hits: number; misses: number }>();
  for (const t of probes) {
    const key = `${t.def.group}/${t.def.event}`;
    const row = rows.get(key) ?? { event: t.def.event, hits: 0, misses: 0 };
    if (t.ret) {
      row.hits += t.ret.nhit;
      row.misses += t.ret.nmissed + t.ret.kp.nmissed;
    } else {
      row.hits += t.probe.nhit;
      row.misses += t.probe.nmissed;
    }
    rows.set(key, row);
  }
  return [...rows.values()].map((r) => `${r.event} ${r.hits} ${r.misses}`);
}
