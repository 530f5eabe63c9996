// Counterpart: the folded stacks of Brendan Gregg's stackcollapse scripts (the input of
// flamegraph.pl and speedscope): one `comm;outer;...;inner WEIGHT` line per distinct stack.
import type { Sink } from './definitions.js';
import type { TraceRecord } from './sink.js';

/** `sym+0xoff/0xsize` as a frame of a flame graph: the function alone. */
const functionOf = (frame: string): string => frame.replace(/\+0x[0-9a-f]+(?:\/0x[0-9a-f]+)?$/, '');

/**
 * A trace written as folded stacks at its end: each hit's stack, outermost frame first,
 * weighted by 1 for a probe's hit and by the call's time for a return probe's (on the trace
 * clock: nanoseconds, or counts with `counter`).
 */
export class FoldedSink implements Sink {
  private seq = 0;
  private readonly weights = new Map<string, number>();

  constructor(
    private readonly out: (line: string) => void,
    readonly taskName: string,
  ) {}

  /** The task names of renamed threads (prctl PR_SET_NAME). */
  private commOf: (tid: number) => string | undefined = () => undefined;

  configure(setup: { commOf: (tid: number) => string | undefined }): void {
    this.commOf = setup.commOf;
  }

  nextSeq(): number {
    return ++this.seq;
  }

  wantsStack(): boolean {
    return true;
  }

  record(r: TraceRecord): void {
    const ev = r.event;
    let weight = 1;
    // A kprobe's stack starts at its own address; a return's at the caller it returned to,
    // under which the function that returned is the innermost frame.
    const frames = (r.stack ?? []).map(functionOf);
    if (ev.type === 'kretprobe') {
      if (r.entryNs === undefined) return;
      weight = r.ns - r.entryNs;
      if (weight <= 0) return;
      frames.unshift(ev.at);
    }
    const comm = this.commOf(ev.task) ?? this.taskName;
    // flamegraph.pl splits frames at ';' and the count at the last space: keep both out of names.
    const line = [comm, ...frames.reverse()].map((f) => f.replace(/[;\s]/g, '_')).join(';');
    this.weights.set(line, (this.weights.get(line) ?? 0) + weight);
  }

  close(): void {
    for (const [stack, w] of [...this.weights].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      this.out(`${stack} ${w}`);
  }
}
