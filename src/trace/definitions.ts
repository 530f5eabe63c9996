// Counterpart: the event side of kernel/trace/trace_kprobe.c (register_trace_kprobe,
// kprobe_trace_func, kretprobe_trace_func) and kprobe_profile: definitions turned into
// registered probes whose hits are recorded to a trace writer (sink.ts).
import { Modules } from '../../emu/modules.js';
import { whenIfuncResolved } from '../../emu/ifunc.js';
import { functionAt } from '../../emu/extent.js';
import type { ElfSymbol } from '../../emu/elf.js';
import type { Machine } from '../../emu/machine.js';
import type { SymbolTable } from '../../emu/symbols.js';
import { addrOf, hex, type GuestAddr } from '../../emu/addr.js';
import {
  argNumbers,
  fetchArgs,
  jsonFetcher,
  resolveSymbols,
  type EntryArgs,
  type JsonFetcher,
} from '../fetch.js';
import { kprobes, ProbeError, type Kprobe, type KprobeEngine } from '../kprobes.js';
import { type Kretprobe, type KretprobeInstance, type KretprobeKeying } from '../kretprobes.js';
import { collectEvents, DefinitionError, type ProbeDefinition } from '../probe-def.js';
import type { Regs } from '../regs.js';
import { traceClock, type TraceClockName } from './clock.js';
import { TraceSink, type HexArgs, type JsonParts, type TraceRecord, type TraceWriter } from './sink.js';

/**
 * The symbol checks the kernel makes when it creates an event: the probe point names one
 * function (BAD_PROBE_ADDR when none, NON_UNIQ_SYMBOL when several), and every @SYM names a
 * symbol (BAD_MEM_ADDR).
 */
export function checkSymbols(d: ProbeDefinition, symbols: SymbolTable): DefinitionError | undefined {
  if ('symbol' in d.point) {
    const s = symbols.lookup(d.point.symbol);
    const n = symbols.ambiguity(d.point.symbol);
    if (n !== undefined) {
      // Overloads of a C++ name are told apart by their parameters; static functions by address.
      const overloads = s ? [] : symbols.overloads(d.point.symbol);
      const how =
        overloads.length > 0
          ? `name one with its parameters: ${overloads.map((o) => `"${o}"`).join(', ')}`
          : 'probe one by its address';
      return new DefinitionError(
        `'${d.point.symbol}' is not unique (${n} functions have that name): ${how}`,
        d.point.column,
        d.text,
        'NON_UNIQ_SYMBOL',
      );
    }
    if (!s || (s.kind !== 'func' && s.kind !== 'ifunc'))
      return new DefinitionError(
        `no function named '${d.point.symbol}'`,
        d.point.column,
        d.text,
        'BAD_PROBE_ADDR',
      );
  }
  for (const a of d.args) {
    const why = resolveSymbols(symbols, a);
    if (why) return new DefinitionError(why, a.column, d.text, 'BAD_MEM_ADDR');
  }
  return undefined;
}

/** A writer with what the recorders need: the task name and the event sequence. */
export type Sink = TraceWriter & {
  readonly taskName: string;
  nextSeq(): number;
  /** Whether the hits of `event` take the task's stack (a stacktrace trigger or key). */
  wantsStack?(event: string): boolean;
  /** Whether the hits of `event` take their arguments' values as numbers (a hist trigger). */
  wantsFields?(event: string): boolean;
};

/** A definition registered on a machine, with its probe. */
export type TracedProbe =
  | { def: ProbeDefinition; probe: Kprobe; ret?: undefined }
  | { def: ProbeDefinition; ret: Kretprobe; probe?: undefined };

/** MOD:SYM, a shared object's symbol (`libc.so.6:malloc`; not a C++ name's `ns::f`). */
const MODULE_SYMBOL = /^[\w.+-]+:(?!:)/;

/** How the CLI set the engine up for return probes. */
export interface TraceOptions {
  blacklist?: readonly string[];
  kretprobeSpCheck?: boolean;
  kretprobeKeying?: KretprobeKeying;
  maxProbes?: number;
  /** The clock of the events' times (default `local`, as ftrace's default). */
  clock?: TraceClockName;
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
): {
  engine: KprobeEngine<unknown>;
  probes: TracedProbe[];
  /** Definitions on shared objects still waiting for their object (none mapped it yet). */
  pending: ProbeDefinition[];
} {
  const registers = new Set(Object.keys(m.isa.registers));
  const bits = m.isa.wordSize === 8 ? 64 : 32;
  const defs = collectEvents(texts, registers, bits);
  // A probe on a shared object that is not mapped yet waits for it (as trace_kprobe waits
  // for a module); its name is checked when the object comes.
  /**
   * A PATH:OFFSET point's address, once its object is loaded. A path is taken as the root
   * resolves it (its links followed), as the kernel's uprobe takes the file's inode.
   */
  const fileOffsetAddr = (point: { object: string; fileOffset: bigint }): GuestAddr | undefined => {
    const r = point.object.includes('/') ? m.process.root?.resolve(point.object, '/', true) : undefined;
    const mod = m.modules.named(r !== undefined && typeof r !== 'number' ? r.guest : point.object);
    return mod && Modules.fileOffsetAddr(mod, Number(point.fileOffset));
  };
  const waits = (d: ProbeDefinition) =>
    'object' in d.point
      ? fileOffsetAddr(d.point) === undefined
      : 'symbol' in d.point && MODULE_SYMBOL.test(d.point.symbol) && !m.symbols.lookup(d.point.symbol);
  // A probe on an IFUNC waits for its resolver's choice (see emu/ifunc.ts).
  const ifuncOf = (d: ProbeDefinition) => {
    const s = 'symbol' in d.point ? m.symbols.lookup(d.point.symbol) : undefined;
    return s?.kind === 'ifunc' ? s : undefined;
  };
  for (const d of defs) {
    if (waits(d)) continue;
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
  const clock = traceClock(options.clock ?? 'local', m);
  // A task renamed with prctl(PR_SET_NAME) shows under its own name, as in ftrace.
  sink.configure?.({ inNs: clock.inNs, commOf: (tid) => m.sched.get(tid)?.comm });
  const now = sink.timed === false ? () => 0 : clock.now;
  const probes: TracedProbe[] = [];
  /** Say what was assumed of an address no symbol covers (a stripped program's). */
  const assumed = (def: ProbeDefinition, at: GuestAddr): void => {
    const f = functionAt(m, at);
    if (f?.fromFde)
      m.options.warn(
        `kprobe-emu: ${def.text}: no symbol covers ${hex(at)}; taken as inside the function ` +
          `at ${f.name}..${hex(f.addr + f.size)} that an .eh_frame entry describes ` +
          `(its instruction boundaries decoded from there)`,
      );
  };
  /** Register `def`; an IFUNC's at `code`, the implementation its resolver picked. */
  const register = (def: ProbeDefinition, code?: GuestAddr): void => {
    const at = 'object' in def.point ? fileOffsetAddr(def.point) : undefined;
    const point =
      'addr' in def.point
        ? { addr: addrOf(def.point.addr) }
        : 'object' in def.point
          ? { addr: at ?? 0 }
          : code !== undefined
            ? implementationPoint(m, code, Number(def.point.offset))
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
              wanted.length === 0 ? now() : { ns: now(), args: new Map(wanted.map((n) => [n, regs.arg(n)])) };
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
        assumed(def, ret.kp.addr);
      } else {
        let location: Location | undefined;
        let preHandler = (p: Kprobe, regs: Regs) =>
          record(m, sink, def, p, regs, now(), (location ??= locate(m, p.addr)));
        if (direct) {
          const values: string[] = [];
          const { fetchers, hex } = jsonWay(direct, def, false);
          let parts: JsonParts | undefined;
          preHandler = (p, regs) => {
            fetchValues(fetchers, regs, undefined, values, hex);
            const ns = now();
            direct.json(
              (parts ??= direct.jsonParts(
                { type: 'kprobe', group: def.group, event: def.event, ...locate(m, p.addr) },
                argNames(def),
              )),
              regs.tid,
              ns,
              undefined,
              values,
              hex,
            );
            return 0;
          };
        }
        const probe = engine.registerKprobe(point, { preHandler });
        probes.push({ def, probe });
        assumed(def, probe.addr);
      }
    } catch (e) {
      if (e instanceof ProbeError)
        throw new DefinitionError(`cannot probe here: ${e.message} (${e.code})`, def.point.column, def.text);
      throw e;
    }
  };
  const pending = defs.filter(waits);
  /** Definitions waiting for an IFUNC's implementation (not for an object to be mapped). */
  const choosing = new Set<ProbeDefinition>();
  /** Place `def` when its IFUNC's implementation is known (a DefinitionError when it never can be). */
  const deferIfunc = (def: ProbeDefinition, sym: ElfSymbol): void => {
    try {
      whenIfuncResolved(m, sym, (code) => {
        pending.splice(pending.indexOf(def), 1);
        try {
          register(def, code);
        } catch (e) {
          if (!(e instanceof DefinitionError)) throw e;
          m.options.warn(`kprobe-emu: ${def.text}: ${e.message}`);
        }
      });
    } catch (e) {
      if (e instanceof Error && !(e instanceof DefinitionError))
        throw new DefinitionError(e.message, def.point.column, def.text);
      throw e;
    }
    pending.push(def);
    choosing.add(def);
  };
  try {
    for (const def of defs) {
      if (pending.includes(def)) continue;
      const ifunc = ifuncOf(def);
      if (ifunc) deferIfunc(def, ifunc);
      else register(def);
    }
  } catch (e) {
    engine.unregisterAll();
    throw e;
  }
  if (pending.length > 0) {
    // Each waits for the mapping that makes its function executable (the object's text:
    // a breakpoint written into an earlier mapping of the file would be mapped over).
    m.modules.onMapped((fm) => {
      for (const def of [...pending]) {
        if (choosing.has(def)) continue;
        const sym = 'symbol' in def.point ? m.symbols.lookup(def.point.symbol) : undefined;
        const at = 'object' in def.point ? fileOffsetAddr(def.point) : sym?.addr;
        if (at === undefined || !Modules.executes(fm, at)) continue;
        pending.splice(pending.indexOf(def), 1);
        const bad = checkSymbols(def, m.symbols);
        try {
          if (bad) throw bad;
          const ifunc = ifuncOf(def);
          if (ifunc) deferIfunc(def, ifunc);
          else register(def);
        } catch (e) {
          if (!(e instanceof DefinitionError)) throw e;
          m.options.warn(`kprobe-emu: ${def.text}: ${e.message}`);
        }
      }
    });
  }
  return { engine, probes, pending };
}

/**
 * Where a probe on an IFUNC goes once its implementation is known: by that code's own name
 * (`__strlen_sse2`), or the IFUNC's where it had none (emu/ifunc.ts names it), so the
 * offset is checked against its size; by address where the name is not unique.
 */
function implementationPoint(
  m: Machine,
  code: GuestAddr,
  offset: number,
): { symbol: string; offset: number } | { addr: GuestAddr } {
  const hit = m.symbols.resolve(code);
  const name = hit?.symbol.name;
  if (hit?.offset === 0 && name !== undefined && m.symbols.ambiguity(name) === undefined)
    return { symbol: name, offset };
  return { addr: code + offset };
}

/** Why a definition `traceDefinitions` left pending was never placed. */
export function notPlacedReason(m: Machine, d: ProbeDefinition): string {
  if ('object' in d.point) {
    const off = `0x${d.point.fileOffset.toString(16)}`;
    return m.modules.named(d.point.object)
      ? `no segment of ${d.point.object} loads file offset ${off}`
      : `the program mapped no object ${d.point.object}`;
  }
  const name = 'symbol' in d.point ? d.point.symbol : '';
  if (m.symbols.lookup(name)?.kind === 'ifunc')
    return `the program ended before it stored the implementation '${name}' (an IFUNC) resolves to`;
  const [mod = '', fn = ''] = name.split(':');
  return m.modules.loaded.some((x) => x.name === mod)
    ? `${mod} was mapped but has no function '${fn}'`
    : `the program mapped no object named ${mod}`;
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
  ns: number,
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
    const entryNs = entryNsOf(ri);
    direct.sink.json(
      parts,
      regs.tid,
      ns,
      entryNs === undefined ? undefined : ns - entryNs,
      place.values,
      direct.hex,
    );
    return;
  }
  const entryNs = entryNsOf(ri);
  const { text, json, raw } = fetchArgs(m, regs, def.args, sink.taskName, entry);
  sink.record({
    event: {
      seq: sink.nextSeq(),
      ts: ns,
      ...(entryNs !== undefined ? { duration: ns - entryNs } : {}),
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
    ...extras(m, sink, def, regs, raw),
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

/**
 * How a probe's hits go straight to the JSON writer: its sink, its argument fetchers, the
 * registers the writer reads.
 */
type JsonWay = { sink: TraceSink; fetchers: JsonFetcher[]; hex: HexArgs | undefined };

/** Every argument of a hit into `out`, in definition order, but those the writer reads itself. */
function fetchValues(
  fetchers: readonly JsonFetcher[],
  regs: Regs,
  entry: EntryArgs | undefined,
  out: string[],
  hex: HexArgs | undefined,
): void {
  for (let i = 0; i < fetchers.length; i++) {
    const f = fetchers[i];
    if (f && (!hex || !hex.reads[i])) out[i] = f(regs, entry);
  }
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
type EntryState = number | { ns: number; args: ReadonlyMap<number, bigint> };

/** The entry time of a traced call, if its entry was seen. */
const entryNsOf = (ri: KretprobeInstance): number | undefined => {
  const u = ri.user as EntryState | undefined;
  return typeof u === 'number' ? u : u?.ns;
};

const NO_ARGS: ReadonlyMap<number, bigint> = new Map();

/** What a trigger asks of a hit besides the event: its arguments' values, the task's stack. */
function extras(
  m: Machine,
  sink: Sink,
  def: ProbeDefinition,
  regs: Regs,
  raw: ReadonlyMap<string, bigint | string>,
): Pick<TraceRecord, 'fields' | 'stack'> {
  const out: Pick<TraceRecord, 'fields' | 'stack'> = {};
  if (sink.wantsFields?.(def.event)) out.fields = raw;
  if (sink.wantsStack?.(def.event)) out.stack = regs.stackTrace().map((a) => m.symbols.format(a));
  return out;
}

/** A probe's place in a trace: `sym+0xoff` (at), `sym+0xoff/0xsize` (sym) and the hex address. */
type Location = { at: string; sym: string; pc: string };

/** The Location of an address, made once per probe. */
function locate(m: Machine, addr: GuestAddr): Location {
  const d = m.symbols.describe(addr);
  return { at: d.symOffset, sym: d.symOffsetSize, pc: hex(addr) };
}

function record(
  m: Machine,
  sink: Sink,
  def: ProbeDefinition,
  _p: Kprobe,
  regs: Regs,
  ns: number,
  location: Location,
): number {
  const { text, json, raw } = fetchArgs(m, regs, def.args, sink.taskName);
  sink.record({
    event: {
      seq: sink.nextSeq(),
      ts: ns,
      type: 'kprobe',
      group: def.group,
      event: def.event,
      task: regs.tid,
      pc: location.pc,
      at: location.at,
      args: json,
    },
    textArgs: text,
    where: location.sym,
    ns,
    ...extras(m, sink, def, regs, raw),
    key: location,
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
