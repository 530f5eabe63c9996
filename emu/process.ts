// Counterpart: what Linux keeps for a process apart from its CPU (mm_struct's brk, the
// futex waiters, the clock it reads, its random pool, the current system call's arguments),
// and the part of the scheduler and signal paths a system call may ask for. emu/linux.ts
// answers system calls on this object; the machine's run loop is the `control` it asks.
import { basename } from 'node:path';
import type { Cpu, IsaSpec, SyscallContext } from './isa.js';
import { pageUp, type GuestAddr } from './addr.js';
import { OutOfMemory, PROT_READ, PROT_WRITE, type Memory } from './memory.js';
import type { Scheduler, Task } from './tasks.js';
import { FdTable, pipeStdio, type HostStdio, type PendingRead } from './files.js';
import { CLOCK_REALTIME, GuestClock, type ClockMode } from './clock.js';
import { EFAULT, neg } from './errno.js';
import { RootFs } from './rootfs.js';
import type { FileMapping } from './modules.js';

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
  /** Standard input and what fds 0-2 are (default: pipes, stdin empty). */
  readonly stdio?: HostStdio;
  /** 'guest' (default): deterministic clocks that advance with guest work; 'host': the host's. */
  readonly clock?: ClockMode;
  /** The guest's "/": a read-only view of a host directory (--root); none, no files at all. */
  readonly rootFs?: RootFs;
}

/** RLIM_INFINITY: no limit (as rlimit64 holds it; a word-sized rlimit holds all ones of its width). */
export const RLIM_INFINITY = (1n << 64n) - 1n;

export class LinuxProcess {
  /** The current system call's arguments, filled by the ISA before a handler runs. */
  readonly syscallArgs: SyscallArgs = [0n, 0n, 0n, 0n, 0n, 0n];
  /** Tasks blocked in a futex wait with a timeout. */
  readonly timedWaiters = new Set<Task>();
  readonly syscallContext: SyscallContext;
  /** The file table: the host's three standard streams, and pipes. */
  readonly files = new FdTable();
  /** The read-only root the guest's paths walk in (--root), if any. */
  readonly root: RootFs | undefined;
  /** The working directory: a guest path of the root ("/" without one). */
  cwd = '/';
  /** Told of every mapping of a file of the root (the machine's modules). */
  fileMapped: ((m: FileMapping) => void) | undefined;
  readonly stdio: HostStdio;
  readonly clock: GuestClock;
  /** Reads of stdin waiting for input, oldest first (pollStdin completes them). */
  readonly stdinWaiters: PendingRead[] = [];
  /** Input read from the host ahead of the guest (by poll and select), given out first. */
  private stdinAhead: Uint8Array = new Uint8Array(0);
  /** poll saw the end of stdin (no more input will come). */
  private stdinEnded = false;
  /** rt_sigaction's struct sigaction by signal, as the guest last set it (its handler is the first word). */
  readonly sigactions = new Map<number, Uint8Array>();
  /** The task name a thread starts with: the program's file name, at most 15 bytes (TASK_COMM_LEN). */
  readonly comm: string;
  /** The file mode creation mask (umask): 022, as a login shell sets it. */
  umask = 0o022;
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
    this.stdio = options.stdio ?? pipeStdio();
    this.root = options.rootFs;
    this.comm = basename(options.argv[0] ?? '').slice(0, 15);
    this.clock = new GuestClock(options.clock ?? 'guest', () => this.work());
    this.brkStart = pageUp(imageEnd);
    this.brkCur = this.brkStart;
    this.syscallContext = {
      cpu,
      readWord: (a) => mem.readWord(a),
      writeWord: (a, v) => mem.writeWord(a, v),
      mapEngineMemory,
    };
  }

  /** The host's fds of the root's files the guest left open: closed when the machine is. */
  closeFiles(): void {
    for (const fd of this.files.open()) {
      const f = this.files.remove(fd);
      if (f?.kind === 'file' && f.refs === 0) RootFs.close(f.host);
    }
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

  /**
   * Guest work in nanoseconds: one an executed instruction where they are counted (a budget
   * or quantum), else a microsecond a system call; a time base read counts as a system call.
   */
  private work(): bigint {
    const insns = this.control.executed();
    const work = insns !== undefined ? BigInt(insns) : this.syscallCount * 1000n;
    return work + this.timeReads * 1000n;
  }

  /** The guest's wall clock (CLOCK_REALTIME) in nanoseconds. */
  guestNanoseconds(): bigint {
    return this.clock.read(CLOCK_REALTIME) ?? 0n;
  }

  /**
   * Up to `max` bytes of standard input: what was read ahead first, then the host's;
   * 'again' when nothing is there and `wait` is false.
   */
  readStdin(max: number, wait: boolean): Uint8Array | 'again' {
    if (this.stdinAhead.length > 0) {
      const out = this.stdinAhead.subarray(0, max);
      this.stdinAhead = this.stdinAhead.subarray(out.length);
      return out;
    }
    return this.stdio.readStdin(max, wait);
  }

  /** True when a read of stdin would not wait now (input is there, or its end); poll asks it. */
  stdinReady(): boolean {
    if (this.stdinAhead.length > 0 || this.stdinEnded) return true;
    const got = this.stdio.readStdin(65536, false);
    if (got === 'again') return false;
    if (got.length === 0) this.stdinEnded = true;
    else this.stdinAhead = got.slice();
    return true;
  }

  /** Wait until stdin has input or has ended (poll and select without a timeout, nothing else runnable). */
  waitStdin(): void {
    if (this.stdinAhead.length > 0 || this.stdinEnded) return;
    const got = this.stdio.readStdin(65536, true);
    if (got === 'again' || got.length === 0) this.stdinEnded = got !== 'again';
    else this.stdinAhead = got.slice();
  }

  /**
   * Complete the reads of stdin that wait, oldest first, with what input there is now;
   * with `wait`, wait for the first one's input (nothing else can run). Returns how many
   * completed.
   */
  pollStdin(wait: boolean): number {
    let done = 0;
    while (this.stdinWaiters.length > 0) {
      const w = this.stdinWaiters[0] as PendingRead;
      const got = this.readStdin(w.count, wait && done === 0);
      if (got === 'again') break;
      this.stdinWaiters.shift();
      let result = BigInt(got.length);
      try {
        this.mem.write(w.buf, got);
      } catch {
        result = neg(EFAULT); // the buffer went away while the task waited
      }
      this.complete(w.task, result);
      done++;
    }
    return done;
  }

  /** Wake a task blocked in a system call with that call's result. */
  complete(t: Task, result: bigint): void {
    const isa = this.isa;
    t.resume = (cpu) => isa.setSyscallResult(cpu, result);
    this.sched.wake(t);
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
