// Counterpart: what a Linux system call handler reaches of its process (current, mm, the
// scheduler, the signal and exit paths): the part of the machine emu/linux.ts works on,
// named here so that the machine can use the handlers without the two importing each other.
import type { Cpu, IsaSpec, SyscallContext } from './isa.js';
import type { Memory } from './memory.js';
import type { Scheduler, Task } from './tasks.js';

export interface SyscallHost {
  readonly isa: IsaSpec;
  readonly cpu: Cpu;
  readonly mem: Memory;
  readonly sched: Scheduler;
  readonly syscallContext: SyscallContext;
  /** The current system call's arguments, filled by the ISA before a handler runs. */
  readonly syscallArgs: bigint[];
  /** Tasks blocked in a futex wait with a timeout. */
  readonly timedWaiters: Set<Task>;
  readonly options: {
    readonly stdout: (bytes: Uint8Array) => void;
    readonly stderr: (bytes: Uint8Array) => void;
    readonly maxTasks: number;
  };
  /** An emulator-side note printed once per key. */
  reportOnce(key: string, message: string): void;
  /** The current task gives up the CPU when its system call returns. */
  requestYield(): void;
  /** The current task blocked or left: another runs when its system call returns. */
  requestSwitch(): void;
  /** A new task from clone, announced to those who listen. */
  notifyClone(t: Task): void;
  /** A fatal signal ends the thread group; `cpuFault` false: a system call sent it. */
  fatalSignal(signal: number, pc: bigint, detail: string, cpuFault?: boolean): void;
  exitGroup(status: number): void;
  brk(addr: bigint): bigint;
  /** The guest's clock, in nanoseconds since the epoch. */
  guestNanoseconds(): bigint;
  randomBytes(n: number): Uint8Array;
}
