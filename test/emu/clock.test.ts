// The guest's clocks: one deterministic clock behind every time call, advanced by guest
// work and by sleeps; or the host's clocks with --clock host.
import { describe, expect, it } from 'vitest';
import { GUEST_EPOCH_NS, GUEST_UPTIME_NS } from '../../emu/clock.js';
import type { Machine } from '../../emu/machine.js';
import { ISAS, type IsaName } from '../helpers.js';
import { machineFor, scratch, sys } from './guest-calls.js';

const EINVAL = 22;
const NS = 1_000_000_000n;

/** clock_gettime(id) in nanoseconds, through the ISA's own call and timespec. */
function gettime(m: Machine, isa: IsaName, at: number, id: number): bigint {
  expect(sys(m, isa, 'clock_gettime', [id, at])).toBe(0);
  const w = m.isa.wordSize;
  return m.mem.readWord(at) * NS + m.mem.readWord(at + w);
}

describe.each(ISAS)('%s: guest clocks', (isa) => {
  it('start at the documented epoch and uptime, and CPU time at zero', () => {
    const { m } = machineFor(isa, 'hello');
    try {
      const b = scratch(m, isa);
      const real = gettime(m, isa, b, 0);
      expect(real).toBeGreaterThanOrEqual(GUEST_EPOCH_NS);
      expect(real - GUEST_EPOCH_NS).toBeLessThan(NS);
      const mono = gettime(m, isa, b, 1);
      expect(mono - GUEST_UPTIME_NS).toBeLessThan(NS);
      for (const id of [4, 7]) expect(gettime(m, isa, b, id) - GUEST_UPTIME_NS).toBeLessThan(NS);
      for (const id of [2, 3]) expect(gettime(m, isa, b, id)).toBeLessThan(NS);
      // time(2) and gettimeofday read the same wall clock.
      expect(BigInt(sys(m, isa, 'time', [0]))).toBe(GUEST_EPOCH_NS / NS);
      expect(sys(m, isa, 'gettimeofday', [b, 0])).toBe(0);
      expect(m.mem.readWord(b)).toBe(GUEST_EPOCH_NS / NS);
    } finally {
      m.close();
    }
  });

  it('advance with work and sleeps; COARSE clocks tick in 4 ms; unknown ids are EINVAL', () => {
    const { m } = machineFor(isa, 'hello');
    try {
      const b = scratch(m, isa);
      const t0 = gettime(m, isa, b, 1);
      // Work between the reads: a system call entered through the machine's trap counts.
      m.process.countSyscall();
      const t1 = gettime(m, isa, b, 1);
      expect(t1).toBeGreaterThan(t0);
      // nanosleep of 1.5 s: the monotonic and wall clocks move on by at least that, CPU time does not.
      const cpu0 = gettime(m, isa, b, 2);
      m.mem.writeWord(b + 64, 1n);
      m.mem.writeWord(b + 64 + m.isa.wordSize, 500_000_000n);
      expect(sys(m, isa, 'nanosleep', [b + 64, 0])).toBe(0);
      const t2 = gettime(m, isa, b, 1);
      expect(t2 - t1).toBeGreaterThanOrEqual(1_500_000_000n);
      expect(gettime(m, isa, b, 2) - cpu0).toBeLessThan(1_000_000n);
      // An absolute clock_nanosleep to 2 s past now.
      m.mem.writeWord(b + 64, (t2 + 2n * NS) / NS);
      m.mem.writeWord(b + 64 + m.isa.wordSize, (t2 + 2n * NS) % NS);
      expect(sys(m, isa, 'clock_nanosleep', [1, 1, b + 64, 0])).toBe(0);
      expect(gettime(m, isa, b, 1)).toBeGreaterThanOrEqual(t2 + 2n * NS);
      const coarse = gettime(m, isa, b, 6);
      expect(coarse % 4_000_000n).toBe(0n);
      expect(sys(m, isa, 'clock_getres', [6, b])).toBe(0);
      expect(m.mem.readWord(b + m.isa.wordSize)).toBe(4_000_000n);
      expect(sys(m, isa, 'clock_getres', [1, b])).toBe(0);
      expect(m.mem.readWord(b + m.isa.wordSize)).toBe(1n);
      expect(sys(m, isa, 'clock_gettime', [10, b])).toBe(-EINVAL);
      expect(sys(m, isa, 'clock_gettime', [99, b])).toBe(-EINVAL);
      // times(): ticks since boot at USER_HZ 100.
      const ticks = sys(m, isa, 'times', [b]);
      expect(ticks).toBeGreaterThanOrEqual(Number((GUEST_UPTIME_NS + 3n * NS) / 10_000_000n));
    } finally {
      m.close();
    }
  });

  it('under --clock host, the wall clock is the host one', () => {
    const { m } = machineFor(isa, 'hello', { clock: 'host' });
    try {
      const b = scratch(m, isa);
      const real = gettime(m, isa, b, 0);
      const host = BigInt(Date.now()) * 1_000_000n;
      expect(real > host - 5n * NS && real < host + 5n * NS).toBe(true);
    } finally {
      m.close();
    }
  });
});

it('i386: clock_gettime64 fills a 64-bit timespec', () => {
  const { m } = machineFor('i386', 'hello');
  try {
    const b = scratch(m, 'i386');
    m.mem.write(b, new Uint8Array(16).fill(0xff));
    expect(sys(m, 'i386', 'clock_gettime64', [0, b])).toBe(0);
    expect(m.mem.readU64(b)).toBe(GUEST_EPOCH_NS / NS);
    expect(m.mem.readU64(b + 8)).toBeLessThan(NS);
  } finally {
    m.close();
  }
});
