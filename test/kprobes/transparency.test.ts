// Probes leave no trace in the guest: under a quantum or a budget, a run with probes on
// every instruction of its functions and return probes on them has the same schedule, the
// same output, the same guest instruction count and clock as the run without; the
// instructions the engine runs of its own (slots, jumps back, the trampoline) do not count.
import { afterEach, describe, expect, it } from 'vitest';
import type { Machine } from '../../emu/machine.js';
import { kprobes } from '../../src/kprobes.js';
import { machineFor, scratch } from '../emu/guest-calls.js';
import { fixture, fixtureArgs, fixtureNames, ISAS, symbol, type IsaName } from '../helpers.js';
import { observe } from './observe.js';
import { checkAndClose, programMachine } from './support.js';

// Runs are synchronous: a turn of the event loop after each lets vitest's worker answer its RPC.
afterEach(checkAndClose);

/** Programs whose tasks interleave, and the functions probed in them. */
const SCHEDULED: { path: (isa: IsaName) => string; fns: string[]; label: string; quanta: number[] }[] = [
  { label: 'threads', path: (isa) => fixture(isa, 'threads'), fns: ['worker', 'step'], quanta: [1, 7, 1000] },
  {
    label: 'thread_exit',
    path: (isa) => fixture(isa, 'thread_exit'),
    fns: ['inner', 'thread_main'],
    quanta: [1, 7, 1000],
  },
  // glibc's start-up alone is some 100,000 instructions: a quantum of 1 would take a minute.
  {
    label: 'corpus pthreads',
    path: (isa) => `fixtures/corpus/build/${isa}/pthreads`,
    fns: ['worker', 'producer', 'consumer', 'deep2', 'deep3'],
    quanta: [97, 1000],
  },
];

/**
 * Fixtures a fully probed run cannot leave as they were: they read their own return
 * addresses (a callee returns what it finds on the stack or in LR), which a return probe
 * replaces with the trampoline's, as Linux's kretprobes do. regloop's 10 million iterations
 * take minutes at this quantum.
 */
const STILL_DIFFER = new Set(['dispstep', 'branches', 'regloop']);

describe.each(ISAS)('%s: probes leave no trace', (isa) => {
  describe.each(SCHEDULED)('$label', ({ path, fns, quanta }) => {
    it.each(quanta)('under --quantum %i: the same schedule, output, count and clock', (quantum) => {
      const plain = observe(path(isa), { quantum });
      const probed = observe(path(isa), { quantum }, fns);
      expect(probed.probes).toBeGreaterThan(10);
      expect(plain.run.stop).toEqual({ kind: 'exit', status: 0 });
      expect(probed.run).toEqual(plain.run);
    });
  });

  // Every fixture, every function probed at every instruction, with return probes where they
  // go: the same run under a quantum that ticks often (inside steps too: a thread's exit
  // stepped in a slot, a ppc64 time base read in one).
  it.each(fixtureNames(isa).filter((n) => !STILL_DIFFER.has(n)))(
    'fixture %s under --quantum 13: the same as unprobed',
    (name) => {
      const path = fixture(isa, name);
      const args = fixtureArgs(name);
      const fns = (m: Machine) =>
        m.image.symbols
          .filter((f) => f.kind === 'func' && f.size > 0 && !/^_start$/.test(f.name))
          .map((f) => f.name);
      const opts = { quantum: 13, maxInsns: 20_000_000 };
      const plain = observe(path, opts, undefined, args);
      const probed = observe(path, opts, fns, args);
      expect(probed.run).toEqual(plain.run);
    },
  );

  it('a budget just below the program count stops at the same guest instruction', () => {
    // One instruction a slice: the count of every instruction but the last.
    const { m } = programMachine(fixture(isa, 'fib'), ['10'], { quantum: 1 });
    m.run();
    const count = m.insns;
    m.close();
    expect(count).toBeGreaterThan(1000);
    for (const n of [count - 1, count - 37, Math.floor(count / 2)]) {
      const plain = observe(fixture(isa, 'fib'), { maxInsns: n }, undefined, ['10']);
      const probed = observe(fixture(isa, 'fib'), { maxInsns: n }, ['fib', 'main'], ['10']);
      expect(plain.run.stop.kind).toBe('budget');
      expect(probed.run).toEqual(plain.run);
    }
  });

  it('a budget that ends at a return into the trampoline stops at the real return address', () => {
    // fib's body is some 15 instructions: 40 budgets in a row end after each of its
    // instructions, a return among them, whose next one is the trampoline's when probed.
    const start = 3000;
    for (let n = start; n < start + 40; n++) {
      const plain = observe(fixture(isa, 'fib'), { maxInsns: n }, undefined, ['10']);
      const probed = observe(fixture(isa, 'fib'), { maxInsns: n }, ['fib'], ['10']);
      expect(probed.run, `budget ${n}`).toEqual(plain.run);
    }
  });
});

describe('ppc64: a return the entry probe emulates', () => {
  it("goes to the trampoline, whose instructions stay the engine's: the same count as unprobed", () => {
    // std::exception's destructor is one blr, which its return probe's entry probe emulates
    // (into the trampoline); __cxa_end_catch, which calls it, then returns there by itself.
    const path = 'fixtures/corpus/build/ppc64/throw';
    const plain = observe(path, { quantum: 1000 });
    const probed = observe(
      path,
      { quantum: 1000 },
      {
        setUp: (m) => {
          const e = kprobes(m);
          for (const f of ['_ZNSt9exceptionD1Ev', '__cxa_end_catch']) e.registerKretprobe({ symbol: f }, {});
          return 2;
        },
      },
    );
    expect(plain.run.stop).toEqual({ kind: 'exit', status: 0 });
    expect(probed.run).toEqual(plain.run);
  });
});

describe.each(ISAS)('%s: the engine maps its pages where the guest does not', (isa) => {
  it("a guest mmap lands where it lands unprobed, with the trampoline and a guest call's page mapped", () => {
    const mmapAt = (probe: boolean): number => {
      const { m } = machineFor(isa, 'fib');
      try {
        if (probe) {
          const e = kprobes(m);
          e.registerKretprobe({ symbol: 'fib' }, {});
          e.registerKprobe({ symbol: 'main' }, {});
          m.callGuest(symbol(m.symbols, 'fib').addr, [3n], symbol(m.symbols, 'fib').toc);
        }
        return scratch(m, isa);
      } finally {
        m.close();
      }
    };
    expect(mmapAt(true)).toBe(mmapAt(false));
  });
});

describe('i386 pthreads: a REP string copy in a slot', () => {
  // glibc's create_thread clears its attributes with `rep stos`. Unprobed, a tick at every
  // instruction (quantum 1) switches tasks between its iterations; probed, the copy runs in
  // the slot and must be preempted there the same way, each iteration still the guest's.
  it('is preempted between iterations as unprobed, at quantum 1', () => {
    const path = 'fixtures/corpus/build/i386/pthreads';
    const opts = { quantum: 1, maxInsns: 40_000 };
    const plain = observe(path, opts);
    const probed = observe(path, opts, ['create_thread']);
    expect(probed.probes).toBeGreaterThan(100);
    expect(probed.run).toEqual(plain.run);
    // Both threads' system calls interleave in the window compared.
    expect(new Set(plain.run.seen.split(',').map((s) => s.split('@')[0])).size).toBeGreaterThan(1);
  });
});
