// Counterpart: kernel/trace/trace_events_trigger.c (event_trigger_parse, the stacktrace
// command) and the hist command of trace_events_hist.c: `--trigger 'EVENT COMMAND'` as
// `echo COMMAND > events/GROUP/EVENT/trigger` would set it, on the events of a run.
import type { ProbeDefinition } from '../probe-def.js';
import type { Sink } from './definitions.js';
import { Histogram, parseHist, TriggerError, type EventField, type HistNames } from './hist.js';
import type { DroppedCall, TraceRecord, TraceSetup } from './sink.js';

/** A trigger on one event: a histogram, or the stack printed after each hit (up to `count`). */
export type Trigger =
  | { event: string; group: string; kind: 'hist'; histogram: Histogram; text: string }
  | { event: string; group: string; kind: 'stacktrace'; count: number; text: string };

/**
 * The fields a histogram of `def`'s event may use: its fetch arguments, `common_pid`, and
 * for a return probe `duration`, the call's time from its entry to its return on the trace
 * clock (an event field of this tool's own: the kernel's histograms get it from a synthetic
 * event of two).
 */
export function eventFields(def: ProbeDefinition): EventField[] {
  const args: EventField[] = def.args.map((a) => ({
    name: a.name,
    kind:
      a.type.kind === 'bitfield' || a.type.array === undefined
        ? a.type.kind === 'string'
          ? 'str'
          : 'num'
        : 'array',
  }));
  return [
    ...args,
    { name: 'common_pid', kind: 'num' },
    ...(def.kind === 'r' ? [{ name: 'duration', kind: 'num' as const }] : []),
  ];
}

/**
 * Parse `--trigger` texts against the run's definitions: `[GROUP/]EVENT hist:...` or
 * `[GROUP/]EVENT stacktrace[:N]`. An unknown event or a bad command is a TriggerError
 * with a caret.
 */
export function parseTriggers(
  texts: readonly string[],
  defs: readonly ProbeDefinition[],
  names: HistNames,
): Trigger[] {
  return texts.map((text) => {
    const m = /^\s*(?:([\w.-]+)\/)?([\w.-]+)\s+(\S.*)$/.exec(text);
    if (!m) throw new TriggerError("a trigger is '[GROUP/]EVENT COMMAND' (hist:..., stacktrace)", 0, text);
    const [, group, event = '', command = ''] = m;
    const def = defs.find((d) => d.event === event && (group === undefined || d.group === group));
    if (!def) {
      const known = [...new Set(defs.map((d) => `${d.group}/${d.event}`))].join(', ') || 'none';
      throw new TriggerError(
        `no event '${group ? `${group}/` : ''}${event}' (events: ${known})`,
        text.indexOf(event),
        text,
      );
    }
    const at = text.length - command.length;
    if (command.startsWith('hist:') || command === 'hist') {
      const spec = parseHist(text, at + 'hist:'.length, eventFields(def));
      return { event, group: def.group, kind: 'hist', histogram: new Histogram(spec, names), text };
    }
    const st = /^stacktrace(?::(\d+))?$/.exec(command);
    if (st) {
      const count = st[1] === undefined ? Infinity : Number(st[1]);
      if (count === 0) throw new TriggerError('stacktrace:N needs N >= 1', at, text);
      return { event, group: def.group, kind: 'stacktrace', count, text };
    }
    if (/^\s*if\b|\bif\s/.test(command))
      throw new TriggerError('trigger filters (if ...) are not supported', at + command.indexOf('if'), text);
    throw new TriggerError(`unknown trigger command (hist:..., stacktrace[:N])`, at, text);
  });
}

/**
 * A sink that runs the triggers on the hits it passes on to `inner`: histograms fill, a
 * stacktrace trigger's hits carry their stack to the output.
 */
export class TriggeredSink implements Sink {
  private readonly byEvent = new Map<string, Trigger[]>();
  private triggers: readonly Trigger[] = [];

  constructor(private readonly inner: Sink) {}

  /** Set the triggers (parsed once the run's definitions are: parseTriggers). */
  set(triggers: readonly Trigger[]): void {
    this.triggers = triggers;
    this.byEvent.clear();
    for (const t of triggers) this.byEvent.set(t.event, [...(this.byEvent.get(t.event) ?? []), t]);
  }

  get taskName(): string {
    return this.inner.taskName;
  }

  get timed(): boolean {
    return this.inner.timed !== false || this.triggers.some((t) => t.kind === 'hist');
  }

  nextSeq(): number {
    return this.inner.nextSeq();
  }

  configure(setup: TraceSetup): void {
    this.inner.configure?.(setup);
  }

  wantsStack(event: string): boolean {
    return (this.byEvent.get(event) ?? []).some(
      (t) => t.kind === 'stacktrace' || t.histogram.spec.keys.some((k) => k.kind === 'stack'),
    );
  }

  wantsFields(event: string): boolean {
    return (this.byEvent.get(event) ?? []).some((t) => t.kind === 'hist');
  }

  record(r: TraceRecord): void {
    const ts = this.byEvent.get(r.event.event);
    if (!ts) {
      this.inner.record(r);
      return;
    }
    let show = false;
    for (const t of ts) {
      if (t.kind === 'stacktrace') {
        if (t.count > 0) {
          show = true;
          t.count--;
        }
        continue;
      }
      const values = new Map(r.fields ?? []);
      values.set('common_pid', BigInt(r.event.task));
      if (r.entryNs !== undefined) values.set('duration', BigInt(r.ns - r.entryNs));
      t.histogram.add(values, () => r.stack ?? []);
    }
    this.inner.record(show || !r.stack ? r : { ...r, stack: undefined });
  }

  dropped(d: DroppedCall): void {
    this.inner.dropped?.(d);
  }

  close(): void {
    this.inner.close();
  }

  /** Each histogram's `hist` file, in the order the triggers were given. */
  histograms(): string[] {
    return this.triggers.flatMap((t) => (t.kind === 'hist' ? [t.histogram.print()] : []));
  }
}
