// Counterpart: the kernel's POSIX clocks (kernel/time/posix-timers.c, posix-cpu-timers.c,
// timekeeping.c) as one guest clock: deterministic by default, or the host's own.

/** Clock ids of include/uapi/linux/time.h. */
export const CLOCK_REALTIME = 0;
export const CLOCK_MONOTONIC = 1;
export const CLOCK_PROCESS_CPUTIME_ID = 2;
export const CLOCK_THREAD_CPUTIME_ID = 3;
export const CLOCK_MONOTONIC_RAW = 4;
export const CLOCK_REALTIME_COARSE = 5;
export const CLOCK_MONOTONIC_COARSE = 6;
export const CLOCK_BOOTTIME = 7;
export const CLOCK_REALTIME_ALARM = 8;
export const CLOCK_BOOTTIME_ALARM = 9;
export const CLOCK_TAI = 11;

/** 2005-08-27 00:00:00 UTC, the week Linux 2.6.13 came out: where the guest's wall clock starts. */
export const GUEST_EPOCH_NS = 1125100800n * 1_000_000_000n;
/** How long the guest's machine has been up when the program starts: 100 s. */
export const GUEST_UPTIME_NS = 100n * 1_000_000_000n;
/** The COARSE clocks tick with the scheduler: HZ 250 on Debian's kernels, 4 ms. */
export const COARSE_NS = 4_000_000n;

export type ClockMode = 'guest' | 'host';

type ClockKind = 'realtime' | 'monotonic' | 'cputime';

/**
 * What a clock id reads: the wall clock, time since boot, or CPU time. Negative ids are
 * the CPU clocks of a pid or thread (clock_getcpuclockid's encoding, kernel/time/posix-cpu-timers.c);
 * the guest is one process, so they read its CPU time.
 */
function kindOf(id: number): { kind: ClockKind; coarse: boolean } | undefined {
  if (id < 0) return (id & 3) === 3 ? undefined : { kind: 'cputime', coarse: false };
  switch (id) {
    case CLOCK_REALTIME:
    case CLOCK_REALTIME_ALARM:
    case CLOCK_TAI:
      return { kind: 'realtime', coarse: false };
    case CLOCK_REALTIME_COARSE:
      return { kind: 'realtime', coarse: true };
    case CLOCK_MONOTONIC:
    case CLOCK_MONOTONIC_RAW:
    case CLOCK_BOOTTIME:
    case CLOCK_BOOTTIME_ALARM:
      return { kind: 'monotonic', coarse: false };
    case CLOCK_MONOTONIC_COARSE:
      return { kind: 'monotonic', coarse: true };
    case CLOCK_PROCESS_CPUTIME_ID:
    case CLOCK_THREAD_CPUTIME_ID:
      return { kind: 'cputime', coarse: false };
    default:
      return undefined;
  }
}

/**
 * The guest's clocks. In 'guest' mode all of them derive from one count of guest work
 * (`work()`, nanoseconds: executed instructions where they are counted, else system calls)
 * plus the time slept: the wall clock starts at GUEST_EPOCH_NS, the monotonic one at
 * GUEST_UPTIME_NS, CPU time at 0, and the same program reads the same times every run. In
 * 'host' mode they are the host's clocks, and sleeping sleeps.
 */
export class GuestClock {
  /** Nanoseconds the guest slept (nanosleep, clock_nanosleep): they pass on every clock but CPU time. */
  private sleptNs = 0n;
  /** The host's wall clock minus its monotonic clock, taken once (the wall clock then never steps back). */
  private readonly hostWallOffset = BigInt(Date.now()) * 1_000_000n - process.hrtime.bigint();
  private readonly hostCpuStart = process.cpuUsage();

  constructor(
    readonly mode: ClockMode,
    private readonly work: () => bigint,
  ) {}

  /** Nanoseconds the guest has slept so far (in 'host' mode too: what it asked to sleep). */
  get slept(): bigint {
    return this.sleptNs;
  }

  /** True when `id` names a clock (else clock_gettime answers EINVAL). */
  valid(id: number): boolean {
    return kindOf(id) !== undefined;
  }

  /** Nanoseconds on clock `id`, or undefined for an unknown id. */
  read(id: number): bigint | undefined {
    const k = kindOf(id);
    if (!k) return undefined;
    const ns = this.mode === 'host' ? this.host(k.kind) : this.guest(k.kind);
    return k.coarse ? ns - (ns % COARSE_NS) : ns;
  }

  /** clock_getres: 1 ns, or a scheduler tick for the COARSE clocks; undefined for an unknown id. */
  resolution(id: number): bigint | undefined {
    const k = kindOf(id);
    if (!k) return undefined;
    return k.coarse ? COARSE_NS : 1n;
  }

  /** Sleep `ns`: guest time moves on by it; the host sleeps it in 'host' mode. */
  sleep(ns: bigint): void {
    if (ns <= 0n) return;
    this.sleptNs += ns;
    if (this.mode === 'guest') return;
    const ms = Number(ns / 1_000_000n);
    if (ms > 0) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
  }

  private guest(kind: ClockKind): bigint {
    const w = this.work();
    if (kind === 'cputime') return w;
    const t = w + this.sleptNs;
    return kind === 'realtime' ? GUEST_EPOCH_NS + t : GUEST_UPTIME_NS + t;
  }

  private host(kind: ClockKind): bigint {
    if (kind === 'cputime') {
      const u = process.cpuUsage(this.hostCpuStart);
      return BigInt(u.user + u.system) * 1000n;
    }
    // process.hrtime is the host's CLOCK_MONOTONIC.
    const mono = process.hrtime.bigint();
    return kind === 'realtime' ? this.hostWallOffset + mono : mono;
  }
}
