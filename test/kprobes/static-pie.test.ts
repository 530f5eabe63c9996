// Static-pie programs (corpus pthreads built with -static-pie for x86_64 and i386): loaded
// at Linux's base with randomization off, their symbols moved with them, and probes on
// every instruction of the program's own functions, with return probes, hit as often as
// the instructions run (a code hook in an unprobed run counts them) with the output unchanged.
import { afterEach, describe, expect, it } from 'vitest';
import { CORPUS } from '../corpus-cases.js';
import { checkAndClose, executionCountsOf, functionBoundaries, programMachine } from './support.js';
import { kprobes } from '../../src/kprobes.js';
import { symbol } from '../helpers.js';

afterEach(checkAndClose);

const VARIANTS: [string, number][] = [
  ['x86_64-pie', 0x555555554000],
  ['i386-pie', 0x56555000],
];
const OWN = ['main', 'worker', 'deep2', 'deep3', 'exiter', 'producer', 'consumer', 'barrier_worker'];
/** Those that return (deep2, deep3 and exiter end in pthread_exit). */
const RETURNING = ['main', 'worker', 'producer', 'consumer', 'barrier_worker'];

describe.each(VARIANTS)('%s pthreads', (variant, base) => {
  const path = `${CORPUS}/build/${variant}/pthreads`;

  it('is loaded at the documented base, its symbols with it', () => {
    const { m } = programMachine(path, [], {});
    try {
      expect(m.image.loadBias).toBe(base);
      const main = symbol(m.symbols, 'main');
      expect(main.addr).toBeGreaterThan(base);
      expect(m.mem.isMapped(main.addr)).toBe(true);
      expect(m.image.entry).toBeGreaterThan(base);
    } finally {
      m.close();
    }
  });

  it('probes on every instruction of its own functions hit as often as they run', () => {
    const oracle = executionCountsOf(programMachine(path, [], {}));
    expect(oracle.stop).toEqual({ kind: 'exit', status: 0 });
    const { m, out } = programMachine(path, [], {});
    const e = kprobes(m);
    const fns = OWN.map((n) => symbol(m.symbols, n));
    const addrs = fns.flatMap((f) => functionBoundaries(m, f));
    const probes = addrs.map((addr) => e.registerKprobe({ addr }, { preHandler: () => 0 }));
    const rets = RETURNING.map((n) => e.registerKretprobe({ symbol: n }, { maxactive: 32 }));
    expect(m.run()).toEqual(oracle.stop);
    expect(out()).toBe(oracle.stdout);
    const wrong = probes
      .map((p) => ({ at: m.symbols.format(p.addr), hits: p.nhit, ran: oracle.counts.get(p.addr) ?? 0 }))
      .filter((r) => r.hits !== r.ran);
    expect(wrong).toEqual([]);
    expect(probes.length).toBeGreaterThan(200);
    // Each function's entry ran as often as its return probe saw a call (none missed).
    for (const rp of rets) expect(rp.nhit + rp.nmissed, rp.func).toBe(oracle.counts.get(rp.kp.addr) ?? 0);
  });
});
