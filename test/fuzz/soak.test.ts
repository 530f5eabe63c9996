// Soak, short: the core of bench/soak.ts (`npm run soak` runs it for 20 iterations) for
// SOAK_ITERATIONS (default 2) iterations over every fixture of every ISA, each run under a
// random probe set, against its unprobed run. Memory is printed, not asserted on RSS: a
// shared runner's RSS is too noisy for a short run; the leak counters are exact.
import { afterEach, describe, expect, it } from 'vitest';
import { ISA_NAMES } from '../../arch/index.js';
import { openContextCount, openEngineCount, registeredCallbackCount } from '../../emu/unicorn.js';
import { getGc, sampleMemory, Soak, soakFixtures, type MemorySample } from '../../bench/soak.js';
import { present } from '../helpers.js';

const ITERATIONS = Number(process.env.SOAK_ITERATIONS ?? 2);
const MB = (n: number): string => (n / 2 ** 20).toFixed(1);

// Runs are synchronous: give the worker a turn of the event loop between tests (vitest RPC).
afterEach(() => new Promise((resolve) => setImmediate(resolve)));

describe('soak: every fixture under random probe sets, in one process', () => {
  const soak = new Soak(soakFixtures());
  const gc = getGc();
  const samples: MemorySample[] = [];
  const iterations = Array.from({ length: ITERATIONS }, (_, k) => k + 1).flatMap((i) =>
    ISA_NAMES.map((isa) => [i, isa] as const),
  );

  const noLeaks = () => {
    expect(soak.totals.failures).toEqual([]);
    expect(openEngineCount(), 'Unicorn engines open').toBe(0);
    expect(openContextCount(), 'saved contexts open').toBe(0);
    expect(registeredCallbackCount(), 'koffi callbacks against the first run').toBe(soak.callbacks);
  };

  it('unprobed runs match fixtures/expected (the reference of every probed run)', async () => {
    await soak.prepare();
    expect(soak.oracles.size).toBe(soak.fixtures.length);
  });

  it.each(ISA_NAMES)('warm-up: one probed run of every %s fixture', (isa) => {
    soak.iteration(0, (f) => f.isa === isa);
    noLeaks();
  });

  it.each(iterations)('iteration %i, %s: output and stop as unprobed, nothing left open', (i, isa) => {
    if (samples.length === 0) samples.push(sampleMemory(gc));
    soak.iteration(i, (f) => f.isa === isa);
    noLeaks();
    if (isa === ISA_NAMES[ISA_NAMES.length - 1]) samples.push(sampleMemory(gc));
  });

  it('memory after the iterations', () => {
    const start = present(samples.at(0), 'a memory sample before the iterations');
    const end = present(samples.at(-1), 'a memory sample after them');
    const t = soak.totals;
    console.log(
      `soak: ${ITERATIONS} iterations, ${t.runs} probed runs, ` +
        `${t.kprobes} kprobes + ${t.kretprobes} kretprobes, ${t.hits} hits; ` +
        `RSS ${MB(start.rss)} -> ${MB(end.rss)} MB, heap used ${MB(start.heapUsed)} -> ${MB(end.heapUsed)} MB`,
    );
    noLeaks();
    // Loose: the JS heap after a full collection does not grow with the number of runs.
    expect(end.heapUsed - start.heapUsed).toBeLessThan(Math.max(start.heapUsed / 2, 32 * 2 ** 20));
  });
});
