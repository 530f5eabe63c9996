// Counterpart: the kprobe trace events of kernel/trace/trace_kprobe.c (print_kprobe_event)
// and kprobe_profile: definitions turned into registered probes that record their hits.
import type { Machine } from '../emu/machine.js';
import { kprobes, ProbeError, type Kprobe, type KprobeEngine } from './kprobes.js';
import type { Kretprobe, KretprobeInstance, KretprobeKeying } from './kretprobes.js';
import { DefinitionError, parseDefinition, renderValue, type ProbeDefinition } from './probe-def.js';
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

export type TraceFormat = 'text' | 'json';

/** Formats events: ftrace-like text lines or one JSON object a line. */
export class TraceSink {
  private seq = 0;
  constructor(
    readonly format: TraceFormat,
    private readonly write: (line: string) => void,
    private readonly comm: string,
  ) {}

  nextSeq(): number {
    return ++this.seq;
  }

  emit(ev: TraceEvent, sym: string): void {
    if (this.format === 'json') {
      this.write(JSON.stringify(ev));
      return;
    }
    const args = Object.entries(ev.args).map(([k, v]) => ` ${k}=${v}`).join('');
    const task = `${this.comm}-${ev.task}`.padStart(16);
    this.write(`${task} [000] ..... ${String(ev.seq).padStart(6)}: ${ev.event}: (${sym})${args}`);
  }
}

/** A definition registered on a machine, with its probe. */
export type TracedProbe = { def: ProbeDefinition; probe: Kprobe; ret?: undefined } | { def: ProbeDefinition; ret: Kretprobe; probe?: undefined };

/** How the CLI set the engine up for return probes. */
export interface TraceOptions {
  blacklist?: readonly string[];
  kretprobeSpCheck?: boolean;
  kretprobeKeying?: KretprobeKeying;
}

/** Parse every definition first (nothing registers if one is bad), then register them all. */
export function traceDefinitions(m: Machine, texts: readonly string[], sink: TraceSink, options: TraceOptions = {}): { engine: KprobeEngine<unknown>; probes: TracedProbe[] } {
  const registers = new Set(Object.keys(m.isa.registers));
  const bits = m.isa.wordSize === 8 ? 64 : 32;
  const defs = texts.map((t) => parseDefinition(t, registers, bits));
  const seen = new Map<string, ProbeDefinition>();
  for (const d of defs) {
    const key = `${d.group}/${d.event}`;
    if (seen.has(key)) throw new DefinitionError(`event ${key} is defined twice`, 0, d.text);
    seen.set(key, d);
  }
  let engine: KprobeEngine<unknown>;
  try {
    engine = kprobes(m);
  } catch (e) {
    if (e instanceof ProbeError && defs[0]) throw new DefinitionError(e.message, defs[0].point.column, defs[0].text);
    throw e;
  }
  for (const b of options.blacklist ?? []) engine.blacklist.add(b);
  if (options.kretprobeSpCheck !== undefined) engine.kretprobeSpCheck = options.kretprobeSpCheck;
  if (options.kretprobeKeying !== undefined) engine.kretprobeKeying = options.kretprobeKeying;
  const probes: TracedProbe[] = [];
  try {
    for (const def of defs) {
      const point = 'addr' in def.point ? { addr: def.point.addr } : { symbol: def.point.symbol, offset: def.point.offset };
      try {
        if (def.kind === 'r') {
          const ret = engine.registerKretprobe(point, {
            ...(def.maxactive !== undefined ? { maxactive: def.maxactive } : {}),
            handler: (ri, regs) => recordReturn(m, sink, def, ri, regs),
          });
          probes.push({ def, ret });
        } else {
          const probe = engine.registerKprobe(point, { preHandler: (p, regs) => record(m, sink, def, p, regs) });
          probes.push({ def, probe });
        }
      } catch (e) {
        if (e instanceof ProbeError) throw new DefinitionError(`cannot probe here: ${e.message} (${e.code})`, def.point.column, def.text);
        throw e;
      }
    }
  } catch (e) {
    engine.unregisterAll();
    throw e;
  }
  return { engine, probes };
}

function fetch(regs: Regs, def: ProbeDefinition, i: number): bigint {
  const a = def.args[i]!;
  switch (a.source.kind) {
    case 'reg':
      return regs.get(a.source.name);
    case 'arg':
      return regs.arg(a.source.n);
    case 'retval':
      return regs.retval;
  }
}

function fetchAll(regs: Regs, def: ProbeDefinition): Record<string, string> {
  const args: Record<string, string> = {};
  def.args.forEach((a, i) => {
    args[a.name] = renderValue(fetch(regs, def, i), a.type);
  });
  return args;
}

/**
 * print_kretprobe_event: `(ret_sym+0xoff/0xsize <- func)`. The return address is PC, the
 * real one even for an instance of a chain (a tail call, a second probe) whose own saved
 * address is the trampoline.
 */
function recordReturn(m: Machine, sink: TraceSink, def: ProbeDefinition, ri: KretprobeInstance, regs: Regs): void {
  const args = fetchAll(regs, def);
  const to = regs.pc;
  const hit = m.symbols.resolve(to);
  const ret = hit ? `${hit.symbol.name}+0x${hit.offset.toString(16)}` : `0x${to.toString(16)}`;
  const sym = hit ? `${ret}/0x${hit.symbol.size.toString(16)}` : ret;
  const func = ri.rp?.func ?? '?';
  sink.emit(
    { seq: sink.nextSeq(), type: 'kretprobe', group: def.group, event: def.event, task: regs.tid, pc: `0x${to.toString(16)}`, at: func, ret, args },
    `${sym} <- ${func}`,
  );
}

function record(m: Machine, sink: TraceSink, def: ProbeDefinition, p: Kprobe, regs: Regs): number {
  const args = fetchAll(regs, def);
  const hit = m.symbols.resolve(p.addr);
  const at = hit ? `${hit.symbol.name}+0x${hit.offset.toString(16)}` : `0x${p.addr.toString(16)}`;
  const sym = hit ? `${at}/0x${hit.symbol.size.toString(16)}` : at;
  sink.emit(
    { seq: sink.nextSeq(), type: 'kprobe', group: def.group, event: def.event, task: regs.tid, pc: `0x${p.addr.toString(16)}`, at, args },
    sym,
  );
  return 0;
}

/**
 * kprobe_profile: `EVENT HITS MISSES` lines. For a return probe, hits are returns handled
 * and misses are calls not tracked (no free instance) plus missed hits of its entry kprobe.
 */
export function profileLines(probes: readonly TracedProbe[]): string[] {
  return probes.map((t) =>
    t.ret ? `${t.def.event} ${t.ret.nhit} ${t.ret.nmissed + t.ret.kp.nmissed}` : `${t.def.event} ${t.probe.nhit} ${t.probe.nmissed}`,
  );
}
