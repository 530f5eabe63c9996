// Counterpart: what Linux keeps for a process apart from its CPU (mm_struct's brk, the
// futex waiters, the clock it reads, its random pool, the current system call's arguments),
// and the part of the scheduler and signal paths a system call may ask for. emu/linux.ts
// answers system calls on this object; the machine's run loop is the `control` it asks.
import type { Cpu, IsaSpec, SyscallContext } from './isa.js';
import { pageUp, type GuestAddr } from './addr.js';
import { OutOfMemory, PROT_READ, PROT_WRITE, type Memory } from './memory.js';
import type { Scheduler, Task } from './tasks.js';

/** What a system call asks of the machine that runs the process. */
export interface ProcessControl {
  /** The current task gives up the CPU when its system call returns. */
  requestYield(): void;
  /** The current task blocked or left: another runs when its system call returns. */
  requestSwitch(): void;
  /** A new task from clone, announced to those who listen (a probe engine). */
  notifyClone(t: Task): void;
  /** A fatal signal ends the thread group; `cpuFault` false: a system call sent it. */
  fatalSignal(signal: number, pc: GuestAddr, detail: string, cpuFault?: boolean): void;
  exitGroup(status: number): void;
  /** Guest instructions executed so far, where they are counted (a budget or quantum); else undefined. */
  executed(): number | undefined;
  /** The current PC as users read it (symbol+offset), for notes. */
  where(): string;
}

/** A system call's six argument registers, as the ISA reads them. */
export type SyscallArgs = [bigint, bigint, bigint, bigint, bigint, bigint];

export interface ProcessOptions {
  readonly stdout: (bytes: Uint8Array) => void;
  readonly stderr: (bytes: Uint8Array) => void;
  /** Emulator notes, one line each. */
  readonly warn: (line: string) => void;
  readonly maxTasks: number;
  /** argv[0]: what the program was started as (/proc/self/exe names it). */
  readonly argv: readonly string[];
}

/** RLIM_INFINITY: no limit (as rlimit64 holds it; a word-sized rlimit holds all ones of its width). */
export const RLIM_INFINITY = (1n << 64n) - 1n;

/** 2005-08-27, the week Linux 2.6.13 came out: where every guest clock starts. */
const CLOCK_START_NS = 1125100800n * 1_000_000_000n;

export class LinuxProcess {
  /** The current system call's arguments, filled by the ISA before a handler runs. */
  readonly syscallArgs: SyscallArgs = [0n, 0n, 0n, 0n, 0n, 0n];
  /** Tasks blocked in a futex wait with a timeout. */
  readonly timedWaiters = new Set<Task>();
  readonly syscallContext: SyscallContext;
  private syscallCount = 0n;
  /** Time base reads emulated (they advance guest time like system calls). */
  private timeReads = 0n;
  private rng = 0x2545f4914f6cdd1dn;
  private readonly brkStart: GuestAddr;
  private brkCur: GuestAddr;
  private readonly reported = new Set<string>();
  /**
   * Resource limits (getrlimit/setrlimit/prlimit64), [soft, hard], by RLIMIT_* number; an
   * unlisted resource is unlimited. The defaults of a Debian 12 login: an 8 MiB stack, no
   * core files, 1024 open files (hard 1048576).
   */
  readonly rlimits = new Map<number, [bigint, bigint]>([
    [3, [8n << 20n, RLIM_INFINITY]],
    [4, [0n, RLIM_INFINITY]],
    [7, [1024n, 1048576n]],
  ]);

  constructor(
    readonly isa: IsaSpec,
    readonly cpu: Cpu,
    readonly mem: Memory,
    readonly sched: Scheduler,
    readonly options: ProcessOptions,
    readonly control: ProcessControl,
    /** The end of the loaded image: the heap (brk) starts on the page after it. */
    imageEnd: GuestAddr,
    /** Map memory the engine owns (the trampoline, the call stop page). */
    mapEngineMemory: (size: number, perms: number) => GuestAddr,
  ) {
    this.brkStart = pageUp(imageEnd);
    this.brkCur = this.brkStart;
    this.syscallContext = {
      cpu,
      readWord: (a) => mem.readWord(a),
      writeWord: (a, v) => mem.writeWord(a, v),
      mapEngineMemory,
    };
  }

  /** A system call entered (it advances the guest clock where instructions are not counted). */
  countSyscall(): void {
    this.syscallCount++;
  }

  /** An emulated time base read (it advances the guest clock as a system call does). */
  countTimeRead(): void {
    this.timeReads++;
  }

  /** Emulator-side note printed once per key (unsupported calls, refused host access). */
  reportOnce(key: string, message: string): void {
    if (this.reported.has(key)) return;
    this.reported.add(key);
    this.options.warn(`kprobe-emu: ${message} (task ${this.sched.current.tid}, pc ${this.control.where()})`);
  }

  brk(addr: GuestAddr): GuestAddr {
    if (addr < this.brkStart) return this.brkCur;
    const top = pageUp(this.brkCur);
    const want = pageUp(addr);
    try {
      if (want > top) {
        if (!this.mem.list().every((a) => a.end <= top || a.start >= want)) return this.brkCur;
        this.mem.map(top, want - top, PROT_READ | PROT_WRITE, 'brk');
      } else if (want < top) this.mem.unmap(want, top);
    } catch (e) {
      if (e instanceof OutOfMemory) return this.brkCur;
      throw e;
    }
    this.brkCur = addr;
    return this.brkCur;
  }

  /** Guest time: deterministic, advanced by executed work rather than the host clock. */
  guestNanoseconds(): bigint {
    const insns = this.control.executed();
    const work = insns !== undefined ? BigInt(insns) : this.syscallCount * 1000n;
    return CLOCK_START_NS + work + this.timeReads * 1000n;
  }

  randomBytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      this.rng ^= (this.rng << 13n) & 0xffffffffffffffffn;
      this.rng ^= this.rng >> 7n;
      this.rng ^= (this.rng << 17n) & 0xffffffffffffffffn;
      out[i] = Number(this.rng & 0xffn);
    }
    return out;
  }
}
