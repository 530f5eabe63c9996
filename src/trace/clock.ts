// Counterpart: kernel/trace/trace_clock.c and tracefs's trace_clock file: which clock stamps
// the events of a trace.
import type { Machine } from '../../emu/machine.js';

/**
 * The trace clocks, by ftrace's names where ftrace has them:
 * - `local`: the host's monotonic clock (real durations of the emulated run), as ftrace's
 *   default `local` is the CPU's own clock;
 * - `counter`: a count that each read moves on by one (ftrace's `counter`): the same in
 *   every run, and ordered;
 * - `guest`: the guest's own time, one nanosecond per guest instruction plus the time it
 *   slept: the same in every run of the same program and probes.
 */
export const TRACE_CLOCKS = ['local', 'counter', 'guest'] as const;
export type TraceClockName = (typeof TRACE_CLOCKS)[number];

export interface TraceClock {
  readonly name: TraceClockName;
  /** Whether the readings are nanoseconds (printed as seconds) or a bare count. */
  readonly inNs: boolean;
  /**
   * The time now, from the trace's start (ns) or the count of reads so far: a number, exact
   * to 2^53 ns (104 days), so a hit makes no BigInt.
   */
  now(): number;
}

/**
 * Clock `name` for the traces of machine `m`, starting now. The guest clock needs the
 * machine to count instructions (MachineOptions.countInsns): an error says so otherwise.
 */
export function traceClock(name: TraceClockName, m: Machine): TraceClock {
  switch (name) {
    case 'local': {
      // performance.now() is the host's monotonic clock in milliseconds (process.hrtime's
      // source), read without making a BigInt.
      const start = performance.now();
      return { name, inNs: true, now: () => Math.round((performance.now() - start) * 1e6) };
    }
    case 'counter': {
      let n = 0;
      return { name, inNs: false, now: () => ++n };
    }
    case 'guest': {
      if (m.guestInsnsNow() === undefined)
        throw new Error('the guest trace clock needs a machine that counts instructions (countInsns)');
      const { clock } = m.process;
      return { name, inNs: true, now: () => (m.guestInsnsNow() ?? 0) + Number(clock.slept) };
    }
  }
}
