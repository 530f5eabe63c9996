// Counterpart: the per-architecture parts of Linux that a user-mode emulator needs
// (arch/*/include/uapi/asm/unistd*.h, start_thread, the syscall entry ABI), as Qiling keeps
// them: data per ISA behind one interface. The implementations live in arch/<isa>/.
import type { CpuContexts, CpuRegisters } from './engine.js';
import type { GuestAddr } from './addr.js';
import type { StatLayout } from './stat.js';

/** Guest memory as the ISA descriptions and probes read and write it, in either byte order. */
export interface GuestMemoryAccess {
  /** Bytes, copied. */
  memRead(addr: GuestAddr, size: number): Uint8Array;
  /** A 4- or 8-byte word in the given byte order. */
  memReadWord(addr: GuestAddr, size: 4 | 8, littleEndian: boolean): bigint;
  /** The same word holding an address (a return address, a pointer): no BigInt is made. */
  memReadAddr(addr: GuestAddr, size: 4 | 8, littleEndian: boolean): GuestAddr;
  /**
   * The same word as two 32-bit halves, [low, high], for code that formats values without
   * making a BigInt (trace output); the array is reused by the next call.
   */
  memReadHalves(addr: GuestAddr, size: 4 | 8, littleEndian: boolean): Uint32Array;
  /** A 4- or 8-byte word in the given byte order, written without allocating (modulo 2^(8 size)). */
  memWriteWord(addr: GuestAddr, size: 4 | 8, value: bigint | number, littleEndian: boolean): void;
  memWrite(addr: GuestAddr, bytes: Uint8Array): void;
}

/** The CPU as the ISA descriptions see it: registers, saved states and memory, nothing of the machine. */
export interface Cpu extends CpuRegisters, CpuContexts, GuestMemoryAccess {}

/** What an interrupt number means for the running program. */
export type IntrEvent =
  | { kind: 'syscall' }
  /** A breakpoint instruction; `addr` is the breakpoint's own address. */
  | { kind: 'breakpoint'; addr: GuestAddr }
  /** The trap a single-step (x86 EFLAGS.TF) raises after one instruction. */
  | { kind: 'singlestep'; addr: GuestAddr }
  /** The kernel emulates the instruction for user mode (ppc64 mfpvr); the ISA did it. */
  | { kind: 'emulated' }
  /** A fault ending the thread group with `signal`; `addr` is the faulting instruction. */
  | { kind: 'fault'; signal: number; addr: GuestAddr; detail: string };

/** Where a clone()'s arguments are: the order differs between ISAs (CLONE_BACKWARDS). */
export interface CloneArgOrder {
  flags: SyscallArgIndex;
  stack: SyscallArgIndex;
  parentTid: SyscallArgIndex;
  childTid: SyscallArgIndex;
  tls: SyscallArgIndex;
}

/** Which of the six system call arguments. */
export type SyscallArgIndex = 0 | 1 | 2 | 3 | 4 | 5;

export interface SyscallContext {
  cpu: Cpu;
  /** Guest memory helpers in the guest's byte order. */
  readWord(addr: GuestAddr): bigint;
  writeWord(addr: GuestAddr, value: bigint): void;
  mapEngineMemory(size: number, perms: number): GuestAddr;
}

/** The CPU an ISA runs on: what the engine emulates and the disassembler decodes. */
export interface CpuKind {
  arch: 'x86' | 'ppc' | 'ia64';
  mode: 32 | 64;
  bigEndian: boolean;
}

/**
 * One instruction set as the machine needs it: what CPU runs it, where its
 * registers are, its Linux system call ABI and numbers, and its process start state.
 */
export interface IsaSpec {
  /** Short name used in paths and messages: x86_64, i386, ppc64. */
  readonly name: string;
  /** ELF e_machine this spec runs. */
  readonly elfMachine: number;
  readonly wordSize: 4 | 8;
  readonly littleEndian: boolean;
  /** `uname -m` as Linux reports it. */
  readonly unameMachine: string;
  /** AT_PLATFORM string. */
  readonly platform: string;
  readonly pcReg: number;
  readonly spReg: number;
  /** Registers by the names users write (lower case), for messages and the API. */
  readonly registers: Readonly<Record<string, number>>;
  /** True when system calls arrive through UC_HOOK_INSN (x86_64 `syscall`). */
  readonly syscallInsn: boolean;
  /** System call number -> Linux name. */
  readonly syscalls: ReadonlyMap<number, string>;
  readonly cloneArgs: CloneArgOrder;
  /** Which struct stat, stat64 and statx layouts the ISA's kernel fills. */
  readonly statLayout: StatLayout;
  /** ioctl request number -> name, for the requests answered (TCGETS, TIOCGWINSZ, FIONREAD...). */
  readonly ioctls: ReadonlyMap<number, string>;
  /** struct termios as TCGETS gives it for a terminal in the kernel's default modes (tty_std_termios). */
  readonly termios: Uint8Array;
  /**
   * Address layout of a new process. `faultPage`: a page-aligned address above everything a
   * guest can map, never mapped, where the virtual TLB sends denied accesses (emu/unicorn-engine.ts).
   */
  readonly layout: {
    stackTop: GuestAddr;
    stackSize: number;
    mmapTop: GuestAddr;
    mmapBottom: GuestAddr;
    /** The address runs stop at (exact as a number: a multiple of 2^12 below 2^64). */
    until: GuestAddr;
    faultPage: GuestAddr;
  };
  /** capstone arch/mode names for reports (resolved by emu/disasm.ts). */
  readonly cpuKind: CpuKind;

  /**
   * Prepare a freshly opened engine (ppc64: the MSR[HV] workaround where needed; i386: a
   * GDT with a real 32-bit stack segment).
   */
  initCpu(cpu: Cpu, ctx: SyscallContext): void;
  /** Registers at process start: pc, sp pointing at argc, ppc64 r2 from the entry descriptor. */
  setEntryState(cpu: Cpu, entry: GuestAddr, sp: GuestAddr, toc: GuestAddr | undefined): void;

  syscallNumber(cpu: Cpu): number;
  syscallArgs(cpu: Cpu, out: bigint[]): void;
  /** Store a result; a value in [-4095, -1] is a negative errno as the kernel returns it. */
  setSyscallResult(cpu: Cpu, value: bigint): void;
  /** Program counter to resume at after the current system call. */
  pcAfterSyscall(cpu: Cpu): GuestAddr;

  /** Classify an interrupt that arrived at the UC_HOOK_INTR hook. */
  classifyIntr(intno: number, cpu: Cpu): IntrEvent;
  /** Instruction length at a faulting/breakpoint address is not needed: ISAs name it here. */
  readonly breakpointInsn: Uint8Array;
  /**
   * The interrupt number the breakpoint raises (x86 3, ppc64 6): the machine first offers
   * PC - breakpointInsn.length to the breakpoint handler without classifying (no memory
   * read on a probe hit), and classifies only what the handler does not take.
   */
  readonly breakpointIntr: number;

  /**
   * True when a UC_HOOK_MEM_READ/WRITE makes Unicorn sync PC before each access (x86 in
   * 2.0.1), so a faulting access reports its own instruction.
   */
  readonly memHooksSyncPc: boolean;
  /**
   * Where the engine reports the start of a translation block for a bad data access, find
   * the instruction in that block whose effective address covers `faultAddr`.
   */
  locateDataFault?(cpu: Cpu, blockPc: GuestAddr, faultAddr: bigint, write: boolean): GuestAddr | undefined;

  /**
   * Function call ABI for calling guest code from the host: set arguments, stack and return
   * address so that `fn` returns to `ret`; `toc` is the ppc64 ELFv1 TOC of `fn`.
   */
  setupCall(
    cpu: Cpu,
    fn: GuestAddr,
    args: readonly bigint[],
    ret: GuestAddr,
    toc: GuestAddr | undefined,
  ): void;
  /** The function return value register. */
  readonly returnReg: number;
  /** The register argument N (1-based) is in at function entry, where the ABI passes it in one. */
  argumentRegister(n: number): number | undefined;
  /**
   * Where argument N (1-based) is at function entry, as an offset from the stack pointer,
   * where the ABI passes it on the stack.
   */
  argumentOffset(n: number): number | undefined;
  /** Argument N (1-based) at function entry, as the kernel's regs_get_kernel_argument. */
  argument(cpu: Cpu, n: number): bigint;

  /**
   * Instructions that crash Unicorn 2.0.1 itself (ppc64 time base reads): their addresses in
   * `code` loaded at `vaddr`. The machine puts a code hook on each and `emulateUnsafe` carries
   * the instruction out instead (result registers, PC past it), with the guest time.
   */
  findUnsafe?(code: Uint8Array, vaddr: GuestAddr): GuestAddr[];
  emulateUnsafe?(cpu: Cpu, addr: GuestAddr, nowNs: bigint): void;
  /**
   * Encodings whose mere translation aborts Unicorn 2.0.1 (a `tcg fatal error` that kills the
   * host process), found in the function [start, end) of `code` (placed at `vaddr`): the
   * bytes to write over each, an instruction that faults as the CPU would (x86: ud2).
   */
  untranslatable?(
    code: Uint8Array,
    vaddr: GuestAddr,
    start: GuestAddr,
    end: GuestAddr,
  ): { addr: GuestAddr; bytes: Uint8Array }[];

  /**
   * CLONE_SETTLS, at the clone itself (as Linux's copy_thread reads it): what `tls` names is
   * read now (i386: a user_desc, which the caller may reuse at once), and the returned
   * function sets the child's thread pointer when the child first runs; a negative errno
   * when `tls` is refused.
   */
  cloneTls(tls: bigint, ctx: SyscallContext): ((cpu: Cpu) => void) | bigint;
  /**
   * A clone child's stacks from the `stack` argument (and clone2's size, where the ISA has
   * it); without this hook the stack pointer is set to `stack`.
   */
  cloneStack?(cpu: Cpu, stack: bigint, size: bigint | undefined): void;
  /** System calls that exist on this ISA only (arch_prctl, set_thread_area). */
  archSyscall?(name: string, args: readonly bigint[], ctx: SyscallContext): bigint | undefined;
}
