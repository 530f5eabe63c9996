// Counterpart: Linux arch/ia64/kernel/process.c (start_thread, ia64_set_rbs_bot) and the
// break-based system call path (ivt.S break_fault): a user process around the IA-64 CPU.
import { Cpu, Trap } from './cpu.js';
import { type ElfImage, loadSegments } from './load.js';
import { addressOf, fold, type FoldedAddr, GuestFault, Ia64Memory } from './memory.js';

/** Linux/ia64 system call numbers this milestone implements. */
export const NR = { exit: 1025, write: 1027, exit_group: 1236 } as const;
/** The break immediate Linux/ia64 takes as a system call. */
export const SYSCALL_BREAK = 0x100000n;
const ENOSYS = 38n;
const EBADF = 9n;
const EFAULT = 14n;

/** Linux's STACK_TOP: region 3 plus RGN_MAP_LIMIT (2^44 - one page) for 16 KiB pages. */
export const STACK_TOP = 0x6000000000000000n + (1n << 44n) - 0x4000n;
const STACK_SIZE = 0x40000;
/** Linux puts the register backing store's bottom a stack-rlimit (8 MiB) below the stack top. */
export const RBS_BOT = STACK_TOP - 0x800000n;
const RBS_SIZE = 0x40000;

/** How a run of the process ended. */
export type Ia64Stop =
  | { kind: 'exit'; status: number }
  | { kind: 'limit' }
  | { kind: 'fault'; access: string; address: bigint; reason: string; ip: bigint }
  | { kind: 'illegal'; ip: bigint }
  | { kind: 'break'; imm: bigint; ip: bigint };

/** Where guest writes to a file descriptor go. */
export type WriteSink = (fd: number, bytes: Uint8Array) => void;

/** A single-threaded user process: memory, CPU and the system calls of this milestone. */
export class Ia64Machine {
  readonly mem = new Ia64Memory();
  readonly cpu: Cpu;
  exitStatus: number | undefined;

  constructor(
    image: ElfImage,
    private readonly sink: WriteSink,
  ) {
    loadSegments(image, this.mem);
    const top = fold(STACK_TOP);
    const rbs = fold(RBS_BOT);
    this.mem.map(top - STACK_SIZE, STACK_SIZE);
    this.mem.map(rbs, RBS_SIZE);
    this.cpu = new Cpu(this.mem, rbs);
    // argc = 0, argv and envp empty, auxv AT_NULL at the old sp; r12 keeps 16 bytes of scratch.
    const sp = top - 64;
    this.cpu.setGr(12, addressOf(sp - 16));
    const entry = fold(image.entry);
    this.cpu.ip = entry - (entry % 16);
    this.cpu.slot = 0;
  }

  /** Execute one slot, handling a system call it makes; undefined while the process runs on. */
  step(): Ia64Stop | undefined {
    if (this.exitStatus !== undefined) return { kind: 'exit', status: this.exitStatus };
    return this.after(this.cpu.step());
  }

  /** Run until exit, a fault or `maxSlots` executed slots. */
  run(maxSlots = Number.MAX_SAFE_INTEGER): Ia64Stop {
    const end = this.cpu.executed + maxSlots;
    while (this.exitStatus === undefined) {
      const left = end - this.cpu.executed;
      if (left <= 0) return { kind: 'limit' };
      const stop = this.after(this.cpu.run(Math.min(left, 1 << 30)));
      if (stop) return stop;
    }
    return { kind: 'exit', status: this.exitStatus };
  }

  private after(t: Trap): Ia64Stop | undefined {
    const cpu = this.cpu;
    switch (t) {
      case Trap.NONE:
        return undefined;
      case Trap.FAULT: {
        const f = cpu.fault;
        return {
          kind: 'fault',
          access: f?.access ?? 'read',
          address: f?.address ?? 0n,
          reason: f?.reason ?? 'unmapped',
          ip: cpu.ipWithSlot(),
        };
      }
      case Trap.ILLEGAL:
        return { kind: 'illegal', ip: cpu.ipWithSlot() };
      case Trap.BREAK:
        if (cpu.breakImm !== SYSCALL_BREAK) return { kind: 'break', imm: cpu.breakImm, ip: cpu.ipWithSlot() };
        this.syscall();
        return this.exitStatus === undefined ? undefined : { kind: 'exit', status: this.exitStatus };
    }
  }

  /** Argument `i`: out0.. are the registers after the caller's locals (r32 + sol + i). */
  private arg(i: number): bigint {
    return this.cpu.getGr(32 + this.cpu.sol + i);
  }

  private syscall(): void {
    const cpu = this.cpu;
    const nr = Number(cpu.getGr(15));
    let result: bigint;
    switch (nr) {
      case NR.exit:
      case NR.exit_group:
        this.exitStatus = Number(this.arg(0) & 0xffn);
        return;
      case NR.write:
        result = this.write(Number(this.arg(0)), this.arg(1), Number(this.arg(2)));
        break;
      default:
        result = -ENOSYS;
    }
    // Linux/ia64 returns errno positive in r8 with r10 = -1.
    if (result < 0n) {
      cpu.setGr(8, -result);
      cpu.setGr(10, -1n);
    } else {
      cpu.setGr(8, result);
      cpu.setGr(10, 0n);
    }
  }

  private write(fd: number, buf: bigint, count: number): bigint {
    if (fd !== 1 && fd !== 2) return -EBADF;
    const a: FoldedAddr = fold(buf);
    let bytes: Uint8Array;
    try {
      bytes = this.mem.readBytes(a, count);
    } catch (e) {
      if (e instanceof GuestFault) return -EFAULT;
      throw e;
    }
    this.sink(fd, bytes);
    return BigInt(count);
  }
}
