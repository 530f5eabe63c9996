// What a transparency test compares between a run with probes and one without: the task
// and guest clock at each system call, the output, how the run stopped (and where a budget
// stopped it).
import { expect } from 'vitest';
import { kprobes } from '../../src/kprobes.js';
import type { Machine, MachineOptions } from '../../emu/machine.js';
import type { ElfSymbol } from '../../emu/elf.js';
import { symbol } from '../helpers.js';
import { functionBoundaries, programMachine } from './support.js';

/**
 * Probes on every instruction of `fns` (those the arch can take) and a return probe on each
 * (by address: static functions share names). The probe limit is lifted: glibc has over a
 * hundred thousand instructions.
 */
export function probeEverything(
  m: Machine,
  which: string[] | ((m: Machine) => (string | ElfSymbol)[]),
): number {
  const fns = (typeof which === 'function' ? which(m) : which).map((f) =>
    typeof f === 'string' ? symbol(m.symbols, f) : f,
  );
  const e = kprobes(m);
  e.maxProbes = Number.POSITIVE_INFINITY;
  let n = 0;
  // Decoded before any breakpoint is written over the code.
  const starts = fns.map((f) => functionBoundaries(m, f));
  for (const [i, f] of fns.entries()) {
    for (const a of starts[i] ?? []) {
      try {
        e.registerKprobe({ addr: a }, {});
        n++;
      } catch (err) {
        // An instruction the arch does not probe; anything else is the test's mistake.
        expect(String(err)).toMatch(
          /cannot be probed|cannot probe|may not be probed|refuse|unsafe|cannot decode|cannot be stepped|blacklist/,
        );
      }
    }
    try {
      e.registerKretprobe({ addr: f.addr }, { handler: () => {} });
    } catch (err) {
      // A function that never returns (it ends in exit or pthread_exit) takes no return
      // probe, nor does one the blacklist or the arch refuses.
      expect(String(err)).toMatch(
        /never returns|blacklist|not a function|cannot|saves its return address|entry point|return address as data/,
      );
    }
  }
  return n;
}

/** How a run went, as the transparency tests compare it. */
export interface Observed {
  /** What the probe set-up returned (the number of probes, say). */
  probes: number;
  run: { stop: ReturnType<Machine['run']>; out: string; seen: string; insns: number };
  /** The guest instructions counted at the stop, whatever it was. */
  count: number;
}

/**
 * One run of `path`: `probe` (function names to probe everywhere, or a set-up of its own that
 * returns a number) runs before it. The count is compared at an exit or budget stop, where it
 * is exact; at a fault it is that of the last slice end, and a probe's step ends slices early.
 */
export function observe(
  path: string,
  opts: Partial<MachineOptions>,
  probe?: string[] | ((m: Machine) => (string | ElfSymbol)[]) | { setUp: (m: Machine) => number },
  args: string[] = [],
): Observed {
  // A stdout of the caller's (a reader that goes away) sees each write before it is kept.
  const chunks: Buffer[] = [];
  const { m } = programMachine(path, args, {
    ...opts,
    stdout: (b: Uint8Array) => {
      opts.stdout?.(b);
      chunks.push(Buffer.from(b));
    },
  });
  const out = () => Buffer.concat(chunks).toString('latin1');
  try {
    let probes = 0;
    if (probe && 'setUp' in probe) probes = probe.setUp(m);
    else if (probe) probes = probeEverything(m, probe);
    // The guest's system calls, not those of functions a handler calls (callGuest).
    const seen: string[] = [];
    let calling = 0;
    const call = m.callGuest.bind(m);
    m.callGuest = (...a) => {
      calling++;
      try {
        return call(...a);
      } finally {
        calling--;
      }
    };
    const orig = m.isa.syscallNumber.bind(m.isa);
    m.isa.syscallNumber = (cpu) => {
      if (calling === 0) seen.push(`${m.sched.current.tid}@${m.process.guestNanoseconds()}`);
      return orig(cpu);
    };
    const stop = m.run();
    return {
      probes,
      run: { stop, out: out(), seen: seen.join(','), insns: stop.kind === 'signal' ? 0 : m.insns },
      count: m.insns,
    };
  } finally {
    m.close();
  }
}
