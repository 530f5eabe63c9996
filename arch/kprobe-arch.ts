// Counterpart: the arch_* hooks that kernel/kprobes.c calls (arch_prepare_kprobe,
// arch_arm_kprobe, arch_disarm_kprobe, prepare_singlestep, resume_execution). The core in
// src/kprobes.ts never looks at an opcode: it calls one object implementing this.
import type { Cpu } from '../emu/isa.js';
import type { GuestAddr } from '../emu/addr.js';
import type { SymbolTable } from '../emu/symbols.js';
import type { Fde } from '../emu/cfi.js';

/** Registration failure (or an address the arch refuses): an errno-like code and what is wrong. */
export class ProbeError extends Error {
  constructor(
    readonly code: 'EINVAL' | 'EILSEQ' | 'ENOENT' | 'EEXIST' | 'ENOSYS' | 'EADDRNOTAVAIL' | 'ENOSPC',
    message: string,
  ) {
    super(message);
    this.name = 'ProbeError';
  }
}

export interface PrepareContext {
  /** Guest code bytes (original bytes: probes already armed are seen through). */
  read(addr: GuestAddr, size: number): Uint8Array;
  symbols: SymbolTable;
  /**
   * The function whose code holds `addr`: its symbol's extent, or where a stripped file has
   * none its .eh_frame FDE's; undefined when neither covers it.
   */
  functionAt(addr: GuestAddr): { addr: GuestAddr; size: number; name: string } | undefined;
}

/** How the core should continue after the pre-handlers returned 0. */
export type StepPlan =
  /** The CPU is set to run the copy in the slot; the step ends with a step event. */
  | 'step'
  /** The arch executed the instruction's effect itself and set PC: the step is over. */
  | 'emulated'
  /** The probed instruction is the guest's own breakpoint: deliver it as the guest's trap. */
  | 'guest-trap';

/** Per-task step state the arch may keep (the kernel's kprobe_saved_eflags...). */
export interface StepState {
  savedFlags: bigint;
}

/**
 * A breakpoint that is not whole bytes laid over the probed instruction (IA-64: 41 bits of a
 * 16-byte bundle that probes on its other slots share): the arch patches a span itself.
 */
export interface SpanPatch {
  /** Bytes of every span. */
  readonly size: number;
  /** Where the span holding the instruction at `addr` starts. */
  spanOf(addr: GuestAddr): GuestAddr;
  /** The breakpoint over `addr`'s instruction in `bytes` (the span as the CPU runs it), in place. */
  arm(bytes: Uint8Array, addr: GuestAddr): void;
  /** `addr`'s instruction in `bytes` back as it is in `original` (the span unprobed), in place. */
  disarm(bytes: Uint8Array, original: Uint8Array, addr: GuestAddr): void;
  /** Whether `addr`'s instruction in `bytes` is the breakpoint. */
  armed(bytes: Uint8Array, addr: GuestAddr): boolean;
}

export interface KprobeArch<A> {
  /** The breakpoint's bytes, written over the probed instruction (empty where `patch` does it). */
  readonly breakpoint: Uint8Array;
  /** Where set, arming and disarming go through it instead of `breakpoint`. */
  readonly patch?: SpanPatch;
  /** Bytes per instruction slot (the out-of-line copy of a probed instruction). */
  readonly insnSlotSize: number;
  /** Instruction slots must lie within this distance of the probed code (rel32, branch reach). */
  readonly insnSlotReach: number;
  /** What each slot's address must be a multiple of (IA-64: a bundle's 16); default 1. */
  readonly insnSlotAlign?: number;
  /** Trap number passed to fault handlers for each signal (x86: 14 page fault, 0 divide, 6 invalid opcode). */
  trapNumber(signal: number): number;

  /** Decode once; refuse with ProbeError. `addr` is checked to be an instruction boundary. */
  prepare(ctx: PrepareContext, addr: GuestAddr): A;
  /** The instruction slot's bytes for a probe at `addr` whose slot is at `insnSlot`. */
  insnSlotBytes(a: A, addr: GuestAddr, insnSlot: GuestAddr): Uint8Array;
  /** The address where the slot's step-end breakpoint sits (the instruction fell through). */
  stepEndAddr(a: A, insnSlot: GuestAddr): GuestAddr;
  /**
   * Whether the task may be switched out in the middle of this instruction's step, as it can
   * be in the middle of the instruction unprobed (x86 REP string instructions, a tick between
   * iterations). Others hold task switches until the step is over.
   */
  preemptibleStep?(a: A): boolean;
  /** After the pre-handlers: set the CPU up to execute the instruction out of line. */
  setupSinglestep(cpu: Cpu, a: A, addr: GuestAddr, insnSlot: GuestAddr, st: StepState): StepPlan;
  /**
   * The step is over (`completed`), or abandoned (false: a fault, a clone child taking a
   * copy of the CPU): apply the fix-ups, clear what the step set, put PC where the
   * original instruction would have left it (completed) or back at `addr` (abandoned).
   */
  resumeExecution(
    cpu: Cpu,
    a: A,
    addr: GuestAddr,
    insnSlot: GuestAddr,
    st: StepState,
    completed: boolean,
  ): void;
  /** Disassembly-free description for messages: length and class. */
  describe(a: A): string;

  // The booster (Linux 2.6.17, arch/x86/kernel/kprobes.c can_boost): after one successful
  // step, a probe without post handlers runs the copy straight from the slot, which jumps
  // back to the next instruction itself, so a hit costs one trap instead of two.

  /** Whether the copy can run from the slot with no trap after it (no control flow, no system call). */
  boostable(a: A): boolean;
  /** Send the CPU to the boosted copy (it returns to the original code by itself). */
  setupBoost(cpu: Cpu, a: A, insnSlot: GuestAddr): void;
  /** The original instruction's address for a PC inside the slot (reports of a fault there). */
  originalPc(a: A, addr: GuestAddr, insnSlot: GuestAddr, pc: GuestAddr): GuestAddr;

  // Return probes (arch_init, arch_prepare_kretprobe, and what came after).

  /** The one instruction of kretprobe_trampoline: a nop. */
  readonly trampolineInsn: Uint8Array;
  /**
   * Where a function pointer is a descriptor (IA-64: entry IP and gp, 16 bytes), so that
   * kretprobe_trampoline names one and arch_init reads the entry from it: the descriptor's
   * bytes for a trampoline whose code is at `entry`.
   */
  trampolineDescriptor?(entry: GuestAddr): Uint8Array;
  /** The entry IP a descriptor's bytes name (with trampolineDescriptor). */
  descriptorEntry?(bytes: Uint8Array): GuestAddr;
  /**
   * The register whose value marks a call's frame for frameAlive and the instance checks,
   * where it is not the stack pointer (IA-64: ar.bsp, which grows up with each call's
   * stacked registers while r12 may stay put).
   */
  readonly frameReg?: number;
  /** At a function's first instruction (stack pointer `sp`): its return address (x86 the word at sp, ppc64 LR). */
  returnAddress(cpu: Cpu, sp: GuestAddr): GuestAddr;
  /**
   * Registers read with PC at each trap once a return probe is registered: those its entry
   * reads, where reading them ahead saves more there than it adds to the other traps (a
   * batch costs about 0.06 us more than PC alone). ppc64: the stack pointer and LR;
   * x86: none (the stack pointer alone saved 0.03 us at the entry and cost 0.06 us at the
   * trampoline).
   */
  readonly returnEntryRegs: readonly number[];
  setReturnAddress(cpu: Cpu, sp: GuestAddr, addr: GuestAddr): void;
  /** Where that return address is kept in memory, or undefined where it is in a register. */
  returnAddressAt(sp: GuestAddr): GuestAddr | undefined;
  /**
   * Where the return address kept in a register goes once the function makes a call: the
   * ABI's save word relative to the stack pointer at entry (ppc64: the LR save doubleword,
   * 16(r1) of the caller's frame). Undefined where it is in memory from the start.
   */
  savedReturnAddressAt(sp: GuestAddr): GuestAddr | undefined;
  /**
   * Whether the frame of a call that entered with stack pointer `stack` is still live at
   * stack pointer `sp` (uretprobes' arch_uretprobe_is_alive): at a new call's entry
   * ('call'), at a tail call's entry ('chain': same sp as the caller's entry), at a return
   * to the trampoline ('ret').
   */
  frameAlive(stack: GuestAddr, sp: GuestAddr, ctx: 'call' | 'chain' | 'ret'): boolean;
  /**
   * Whether code in [start, end) can leave the function other than by a call: a return,
   * or a jump whose target is outside it (a tail call) or computed.
   */
  hasReturnPath(ctx: PrepareContext, start: GuestAddr, end: GuestAddr): boolean;
  /**
   * Whether the function at `start` reads its own return address as data first thing (i386's
   * `__x86.get_pc_thunk.bx`: `mov (%esp),%ebx; ret`): where a return probe put the
   * trampoline's address, it would compute from that one.
   */
  readsReturnAddress?(ctx: PrepareContext, start: GuestAddr): boolean;
  /**
   * Return addresses of the caller chain, innermost first, from the current registers: by
   * each frame's call frame information where `helpers.frameInfo` finds an FDE for it, else
   * by frame pointers on x86, the back chain on ppc64. Stops at the outermost frame or at a
   * broken or looping chain.
   */
  unwind(
    cpu: Cpu,
    readAddr: (addr: GuestAddr) => GuestAddr,
    max: number,
    helpers?: UnwindHelpers,
  ): GuestAddr[];
}

/** What an unwinder may use beyond the registers and memory; without it, no CFI. */
export interface UnwindHelpers {
  /**
   * Where the innermost frame is, where the CPU's PC says otherwise: a breakpoint trap
   * leaves x86's PC past the int3, inside the probed instruction.
   */
  pc?: GuestAddr;
  /** The .eh_frame FDE describing the code at an address (emu/cfi.ts findFrameInfo). */
  frameInfo?(pc: GuestAddr): Fde | undefined;
  /** A word of memory as a value: registers saved on the stack need not hold addresses. */
  readWord?(addr: GuestAddr): bigint;
  /**
   * The return address the walk goes on from, asked once for each one found, innermost
   * first (kretprobe_trampoline's address back to the real one); the result is what the
   * trace lists.
   */
  mapReturn?(addr: GuestAddr): GuestAddr;
  /**
   * Original code and function extents, for an innermost frame no FDE describes: at a
   * function's first instruction, before its prologue made the frame the fallback reads.
   */
  code?: PrepareContext;
}
