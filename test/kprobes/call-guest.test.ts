// A handler that calls guest code (regs.callGuest) leaves the run as it was: the budget
// stops at the same guest instruction, the timer ticks where it would have ticked, and the
// called function's own instructions are not the guest's.
import koffi from 'koffi';
import { afterEach, describe, expect, it } from 'vitest';
import { kprobes } from '../../src/kprobes.js';
import type { Machine, MachineOptions } from '../../emu/machine.js';
import { fixture, ISAS, symbol } from '../helpers.js';
import { observe } from './observe.js';
import { checkAndClose, instructionBoundaries } from './support.js';

afterEach(checkAndClose);

/**
 * Bytes the process has from malloc now (glibc's mallinfo2: uordblks + hblkhd): the engine's,
 * koffi's and Node's native memory, without the noise of the resident size.
 */
const MallInfo2 = koffi.struct('mallinfo2', {
  arena: 'size_t',
  ordblks: 'size_t',
  smblks: 'size_t',
  hblks: 'size_t',
  hblkhd: 'size_t',
  usmblks: 'size_t',
  fsmblks: 'size_t',
  uordblks: 'size_t',
  fordblks: 'size_t',
  keepcost: 'size_t',
});
const mallinfo2 = koffi.load('libc.so.6').func('mallinfo2', MallInfo2, []) as () => Record<string, number>;
function mallocInUse(): number {
  if (!global.gc) throw new Error('the memory test needs node --expose-gc (vitest.config.ts)');
  global.gc();
  const m = mallinfo2();
  return Number(m.uordblks) + Number(m.hblkhd) - process.memoryUsage().arrayBuffers;
}

/**
 * mallocInUse once the process is at rest: V8 optimizes on background threads, and a
 * compilation in flight holds malloc'd zones of 8 MB and more until it ends. The least of
 * three readings 20 ms apart.
 */
async function settledMallocInUse(): Promise<number> {
  let least = Infinity;
  for (let i = 0; i < 3; i++) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    least = Math.min(least, mallocInUse());
  }
  return least;
}

/** A probe at `where` whose pre-handler calls the guest's sys_getpid and checks what it returns. */
function callingProbe(where: (m: Machine) => number, calls: { n: number }) {
  return {
    setUp(m: Machine): number {
      const e = kprobes(m);
      const tgid = BigInt(m.sched.tgid);
      e.registerKprobe(
        { addr: where(m) },
        {
          preHandler: (_p, regs) => {
            expect(regs.callGuest('sys_getpid')).toBe(tgid);
            calls.n++;
          },
        },
      );
      return 1;
    },
  };
}

/** The last instruction of spin_forever: the loop's jump back, run once per iteration. */
function loopEnd(m: Machine): number {
  const f = symbol(m.symbols, 'spin_forever');
  return instructionBoundaries(m)
    .filter((a) => a >= f.addr && a < f.addr + f.size)
    .at(-1) as number;
}

describe.each(ISAS)('%s: guest calls from a handler', (isa) => {
  it('under a budget: the stop is where the unprobed run stops', () => {
    const opts: Partial<MachineOptions> = { maxInsns: 200_000 };
    const calls = { n: 0 };
    const plain = observe(fixture(isa, 'forever'), opts);
    const probed = observe(fixture(isa, 'forever'), opts, callingProbe(loopEnd, calls));
    expect(plain.run.stop.kind).toBe('budget');
    expect(probed.run).toEqual(plain.run);
    // Some 200,000 / (3 to 5 instructions an iteration) calls, none of them counted.
    expect(calls.n).toBeGreaterThan(30_000);
  });

  it.each([7, 1000])('under --quantum %i: the same schedule, output and clock', (quantum) => {
    const calls = { n: 0 };
    const plain = observe(fixture(isa, 'threads'), { quantum });
    const probed = observe(
      fixture(isa, 'threads'),
      { quantum },
      callingProbe((m) => symbol(m.symbols, 'step').addr, calls),
    );
    expect(plain.run.stop).toEqual({ kind: 'exit', status: 0 });
    expect(probed.run).toEqual(plain.run);
    expect(calls.n).toBeGreaterThan(10);
  });

  it('a long run of calls under a quantum and budget takes no more memory than the run without', async () => {
    const opts: Partial<MachineOptions> = { maxInsns: 1_000_000, quantum: 1000 };
    const calls = { n: 0 };
    const probed = () => observe(fixture(isa, 'forever'), opts, callingProbe(loopEnd, calls));
    const plain = () => observe(fixture(isa, 'forever'), opts);
    // One run of each kind first: what any run takes once (compiled code, allocator pools)
    // is then in place.
    probed();
    plain();
    const afterPlain = await settledMallocInUse();
    calls.n = 0;
    probed();
    const afterProbed = await settledMallocInUse();
    probed();
    probed();
    const afterThree = await settledMallocInUse();
    // Some 200,000 calls a run; each used to keep about 75 bytes (a koffi type made per
    // call): 15 MB a run, 45 MB over three.
    expect(calls.n).toBeGreaterThan(500_000);
    // What is in use moves by up to 9 MB at times (V8's compiler zones are malloc'd).
    expect(afterProbed - afterPlain).toBeLessThan(12 * 2 ** 20);
    expect(afterThree - afterPlain).toBeLessThan(12 * 2 ** 20);
  });
});
