// Counterpart: the time system calls of kernel/time/ (time.c, posix-timers.c, hrtimer.c's
// nanosleep, sys.c's times), answered from the process's one guest clock (emu/clock.ts).
import { addrOf } from './addr.js';
import { CLOCK_MONOTONIC, CLOCK_PROCESS_CPUTIME_ID, CLOCK_REALTIME } from './clock.js';
import type { LinuxProcess, SyscallArgs } from './process.js';
import { EFAULT, EINVAL, neg } from './errno.js';

const NS = 1_000_000_000n;
/** USER_HZ: the unit of times(2)'s clock ticks. */
const USER_HZ = 100n;
const TIMER_ABSTIME = 1n;

/** Store `ns` as a struct timespec of `size`-byte fields at `at`. */
function writeTimespec(p: LinuxProcess, at: bigint, ns: bigint, size: 4 | 8): void {
  const a = addrOf(at);
  p.mem.memWriteWord(a, size, ns / NS, p.mem.littleEndian);
  p.mem.memWriteWord(a + size, size, ns % NS, p.mem.littleEndian);
}

function clockGettime(p: LinuxProcess, id: bigint, ts: bigint, size: 4 | 8): bigint {
  const ns = p.clock.read(Number(BigInt.asIntN(32, id)));
  if (ns === undefined) return neg(EINVAL);
  if (ts === 0n) return neg(EFAULT);
  writeTimespec(p, ts, ns, size);
  return 0n;
}

function clockGetres(p: LinuxProcess, id: bigint, ts: bigint, size: 4 | 8): bigint {
  const res = p.clock.resolution(Number(BigInt.asIntN(32, id)));
  if (res === undefined) return neg(EINVAL);
  if (ts !== 0n) writeTimespec(p, ts, res, size);
  return 0n;
}

/**
 * Sleep: the guest clock moves on by the time asked (the host sleeps it under --clock
 * host) and the task yields, so other tasks run meanwhile. `rem` is never written: a
 * sleep here is not interrupted.
 */
function sleep(p: LinuxProcess, ns: bigint | undefined): bigint {
  if (ns === undefined) return neg(EFAULT);
  p.clock.sleep(ns);
  p.control.requestYield();
  return 0n;
}

/** A sleep's struct timespec in nanoseconds: undefined for a null pointer, -1n when it is invalid (EINVAL). */
function validRequest(p: LinuxProcess, req: bigint, size: 4 | 8): bigint | undefined {
  if (req === 0n) return undefined;
  const at = addrOf(req);
  const sec = BigInt.asIntN(size * 8, p.mem.memReadWord(at, size, p.mem.littleEndian));
  const nsec = BigInt.asIntN(size * 8, p.mem.memReadWord(at + size, size, p.mem.littleEndian));
  if (sec < 0n || nsec < 0n || nsec >= NS) return -1n;
  return sec * NS + nsec;
}

function nanosleep(p: LinuxProcess, req: bigint, size: 4 | 8): bigint {
  const ns = validRequest(p, req, size);
  if (ns === -1n) return neg(EINVAL);
  return sleep(p, ns);
}

function clockNanosleep(p: LinuxProcess, id: bigint, flags: bigint, req: bigint, size: 4 | 8): bigint {
  const clock = Number(BigInt.asIntN(32, id));
  const now = p.clock.read(clock);
  // The CPU-time clocks of the thread itself cannot be slept on (EINVAL, as the kernel says).
  if (now === undefined || clock === 3) return neg(EINVAL);
  const ns = validRequest(p, req, size);
  if (ns === -1n) return neg(EINVAL);
  if (ns === undefined) return neg(EFAULT);
  return sleep(p, (flags & TIMER_ABSTIME) !== 0n ? (ns > now ? ns - now : 0n) : ns);
}

type TimeHandler = (p: LinuxProcess, a: SyscallArgs) => bigint | undefined;

/** The handlers of emu/linux.ts for time, by the kernel's names. */
export const timeHandlers: Record<string, TimeHandler> = {
  clock_gettime: (p, [id, ts]) => clockGettime(p, id, ts, p.mem.wordSize),
  clock_gettime64: (p, [id, ts]) => clockGettime(p, id, ts, 8),
  clock_getres: (p, [id, ts]) => clockGetres(p, id, ts, p.mem.wordSize),
  clock_getres_time64: (p, [id, ts]) => clockGetres(p, id, ts, 8),
  gettimeofday: (p, [tv, tz]) => {
    const ns = p.clock.read(CLOCK_REALTIME) ?? 0n;
    const w = p.mem.wordSize;
    if (tv !== 0n) {
      p.mem.writeWord(addrOf(tv), ns / NS);
      p.mem.writeWord(addrOf(tv) + w, (ns % NS) / 1000n);
    }
    // struct timezone: UTC, no daylight saving time.
    if (tz !== 0n) p.mem.write(addrOf(tz), new Uint8Array(8));
    return 0n;
  },
  // time(2): the seconds of the same clock, also stored at `tloc` when it is given.
  time: (p, [tloc]) => {
    const s = (p.clock.read(CLOCK_REALTIME) ?? 0n) / NS;
    if (tloc !== 0n) p.mem.writeWord(addrOf(tloc), s);
    return s;
  },
  // times(2): the process's CPU time as user time, in USER_HZ ticks; returns ticks since boot.
  times: (p, [buf]) => {
    const cpu = p.clock.read(CLOCK_PROCESS_CPUTIME_ID) ?? 0n;
    if (buf !== 0n) {
      const w = p.mem.wordSize;
      p.mem.writeWord(addrOf(buf), (cpu * USER_HZ) / NS);
      for (let i = 1; i < 4; i++) p.mem.writeWord(addrOf(buf) + i * w, 0n);
    }
    return ((p.clock.read(CLOCK_MONOTONIC) ?? 0n) * USER_HZ) / NS;
  },
  nanosleep: (p, [req]) => nanosleep(p, req, p.mem.wordSize),
  clock_nanosleep: (p, [id, flags, req]) => clockNanosleep(p, id, flags, req, p.mem.wordSize),
  clock_nanosleep_time64: (p, [id, flags, req]) => clockNanosleep(p, id, flags, req, 8),
};
