// Counterpart: struct kprobe and its handler types (include/linux/kprobes.h), and what the
// return-probe code of kernel/kprobes.c calls of the core: the probe object alone, so that
// return probes (src/kretprobes.ts) reach the core through an interface, as arch code does.
import type { GuestAddr } from '../emu/addr.js';
import type { KprobeArch, PrepareContext } from '../arch/kprobe-arch.js';
import type { HostError, Machine } from '../emu/machine.js';
import type { Regs } from './regs.js';

/** pre_handler: non-zero (or true) means "I set PC": no step and no post_handler. */
export type PreHandler = (p: Kprobe, regs: Regs) => number | boolean | void;
/** post_handler: after the step, before the PC fix-up (as the kernel; flags is always 0). */
export type PostHandler = (p: Kprobe, regs: Regs, flags: number) => void;
/** fault_handler: non-zero (or true) means handled; otherwise the fault takes its course. */
export type FaultHandlerFn = (p: Kprobe, regs: Regs, trapnr: number) => number | boolean | void;

export interface KprobeHandlers {
  preHandler?: PreHandler;
  postHandler?: PostHandler;
  faultHandler?: FaultHandlerFn;
}

/** Where to probe: a symbol (plus offset) or an address. */
export type ProbePoint = { symbol: string; offset?: number } | { addr: GuestAddr };

/** A registered kprobe. `nhit` and `nmissed` count handled and missed hits. */
export class Kprobe {
  nhit = 0;
  nmissed = 0;
  registered = true;
  /** The engine's own (the return-probe trampoline's): not counted against maxProbes. */
  internal = false;
  constructor(
    readonly addr: GuestAddr,
    readonly handlers: KprobeHandlers,
    /** `symbol+0xoff` as registered, for messages and traces. */
    readonly symOffset: string,
  ) {}
}

/** Status of a task's control block (kprobe_ctlblk.kprobe_status). */
export type KprobeStatus = 'HIT_ACTIVE' | 'HIT_SS' | 'REENTER' | 'HIT_SSDONE';

/** What return probes use of the kprobe core (KprobeEngine implements it). */
export interface KprobeCore<A> {
  readonly arch: KprobeArch<A>;
  readonly machine: Machine;
  /** Check each return's stack pointer, dropping instances a longjmp skipped (uretprobes). */
  kretprobeSpCheck: boolean;
  resolve(point: ProbePoint): { addr: GuestAddr; symOffset: string };
  registerKprobe(point: ProbePoint, handlers?: KprobeHandlers, how?: { internal?: boolean }): Kprobe;
  unregisterKprobe(p: Kprobe): void;
  /** Code as the program has it, without the breakpoints. */
  readOriginal(addr: GuestAddr, size: number): Uint8Array;
  /** What the arch decodes with: original code bytes, symbols, function extents. */
  prepareContext(): PrepareContext;
  /** Run a handler of `p`; what it throws goes to `p`'s fault handler (handlerThrew). */
  runHandler(p: Kprobe, fn: () => void, what: string): void;
  handlerThrew(p: Kprobe, e: unknown, what: string): void;
  /** The error that ends the run, with every probe removed. */
  fatalError(message: string): HostError;
}
