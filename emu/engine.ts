// Counterpart: QEMU's CPUClass and AddressSpace as an accelerator sees them, reduced to what
// a user-mode process needs: the interface between the machine and whatever executes guest
// instructions. Unicorn is one implementation (emu/unicorn-engine.ts); an interpreter can be
// another. Nothing here knows which one runs.
import type { GuestAddr } from './addr.js';

/** PROT_* bits as mmap(2) and mprotect(2) take them. */
export const PROT_READ = 1;
export const PROT_WRITE = 2;
export const PROT_EXEC = 4;

/** A saved CPU state, owned by the engine that saved it (freed by `freeContext` or `close`). */
export interface EngineContext {
  readonly ptr: unknown;
}

/** The kind of access a fault report is about. */
export type AccessKind = 'read' | 'write' | 'fetch';

/**
 * How a run ended. `ok`: it reached `until`, was stopped, or ran its count. The others are
 * the faults the guest's own instruction raised, with PC at that instruction.
 */
export type RunEnd =
  | 'ok'
  | 'read-unmapped'
  | 'write-unmapped'
  | 'fetch-unmapped'
  | 'read-prot'
  | 'write-prot'
  | 'fetch-prot'
  | 'unaligned'
  | 'invalid-insn';

/** What an engine calls back into; each runs between two guest instructions. */
/** What watchWrites calls: true once it has seen what it waited for. */
export type WriteWatcher = (address: GuestAddr, size: number, value: bigint) => boolean;

export interface EngineHandlers {
  /** An interrupt or exception (x86 int3/int 0x80/#UD, ppc trap/sc/program check). */
  trap: (intno: number) => void;
  /** x86_64 `syscall`, where the engine reports it apart from interrupts. */
  syscall: () => void;
  /** An access the guest's page permissions or mappings refused: its exact address (any 64-bit value). */
  fault: (access: AccessKind, address: bigint) => void;
  /**
   * The permissions (PROT_*) of the guest page at `page` (below 2^53), or -1 when it is not
   * mapped: engines that resolve guest pages themselves ask this at a miss. Must not throw.
   */
  pagePerms: (page: number) => number;
  /** A traced instruction (`traceCode`) is about to run. */
  code?: (address: GuestAddr) => void;
}

/**
 * Register access by engine register id. Writes made inside a handler may be held back and
 * reach the CPU when the handler returns (or before anything that depends on them): the
 * guest sees the same thing.
 */
export interface CpuRegisters {
  /** A register's value (its low 64 bits). */
  regRead(id: number): bigint;
  /** A register holding an address (PC, a stack pointer), with no BigInt made (see addrOf). */
  regReadAddr(id: number): GuestAddr;
  /**
   * A register's value as two 32-bit halves, [low, high], for code that formats values
   * without making a BigInt (trace output); the array is reused by the next call.
   */
  regReadHalves(id: number): Uint32Array;
  /** Write a register (modulo 2^64); a number must be an integer. */
  regWrite(id: number, value: bigint | number): void;
  /** Registers wider than 64 bits or with a struct layout (x86 GDTR). */
  regReadBytes(id: number, size: number): Uint8Array;
  regWriteBytes(id: number, bytes: Uint8Array): void;
  /**
   * A hint: read these registers ahead, in one call where the engine can; regRead serves
   * them until the handler returns or the guest runs. The ids name registers none of which
   * is part of another: a write of one drops just it, a write of any other drops them all.
   */
  regPrefetch(ids: Int32Array): void;
}

/** Whole CPU states, for tasks and for guest calls made from handlers. */
export interface CpuContexts {
  /** Save the CPU into `into` (reused) or a new context. */
  contextSave(into?: EngineContext): EngineContext;
  contextRestore(ctx: EngineContext): void;
  freeContext(ctx: EngineContext): void;
  /** The raw bytes of a saved context, for state no register id reaches. */
  contextBytes(ctx: EngineContext): Uint8Array;
  setContextBytes(ctx: EngineContext, bytes: Uint8Array): void;
}

export interface CpuEngine extends CpuRegisters, CpuContexts {
  /** For messages: the engine and its version, e.g. "Unicorn 2.1.4". */
  readonly description: string;
  /**
   * A faulting load or store ends the run with PC at its own instruction; false where the
   * engine leaves PC at the start of the instruction's block (then IsaSpec.locateDataFault).
   */
  readonly reportsFaultingPc: boolean;
  /** Every encoding translates (false: IsaSpec.untranslatable lists what to defuse). */
  readonly translatesEveryEncoding: boolean;
  /** The handlers the engine calls; set once at open. */
  readonly handlers: EngineHandlers;

  /**
   * Map guest memory at `addr` backed by `bytes`, which the caller owns and reads and writes
   * in place (page aligned; `perms` are the guest's). The caller drops translations of code
   * it writes (`invalidateCode`).
   */
  map(addr: GuestAddr, bytes: Uint8Array, perms: number): void;
  /** Unmap [addr, addr+size), part of a mapping or several whole ones. */
  unmap(addr: GuestAddr, size: number): void;
  /** New guest permissions for [addr, addr+size). */
  protect(addr: GuestAddr, size: number, perms: number): void;
  /** Drop what the engine translated of [begin, end): code there was written. */
  invalidateCode(begin: GuestAddr, end: GuestAddr): void;
  /** Call `handlers.code` before each instruction in [begin, end] (inclusive). */
  traceCode(begin: GuestAddr, end: GuestAddr): void;
  /**
   * Call `fn` before each guest store that touches [begin, end), with the store's address,
   * size and value, until it returns true or the returned function is called; then the
   * watch goes. Other accesses pay nothing.
   */
  watchWrites(begin: GuestAddr, end: GuestAddr, fn: WriteWatcher): () => void;
  /**
   * What guest loads from `page` see: `bytes` (one page, the caller's, read in place) instead
   * of the page itself, which fetches still run; undefined goes back to the page. Where the
   * host patched code the guest must not see (a probe's breakpoint), loads see the original
   * bytes. False where the engine cannot (Unicorn 2.0.1's flat MMU: loads see the patch).
   */
  shadowReads(page: GuestAddr, bytes: Uint8Array | undefined): boolean;

  /**
   * Run from `begin` until `until`, `stop`, a fault or `count` instructions (0: no limit).
   * Rethrows what a handler threw.
   */
  run(begin: GuestAddr, until: GuestAddr, count?: number): RunEnd;
  /**
   * How many instructions the last counted run (a `count` > 0) began before it ended, the
   * one it stopped in included; undefined where the engine cannot tell.
   */
  ranInsns(): number | undefined;
  /**
   * How many instructions the counted run going on now (the innermost, from inside a
   * handler) has begun so far, the one being handled included; undefined outside a counted
   * run or where the engine cannot tell.
   */
  runningInsns(): number | undefined;
  /** End the current run once the running handler returns. */
  stop(): void;

  /** The engine's hooks, by kind and range, for tests and reports. */
  hooks(): { kind: string; begin: bigint; end: bigint }[];
  /** Calls into JavaScript that resolved a guest page (`handlers.pagePerms`). */
  readonly pageLookups: number;

  readonly closed: boolean;
  /** Free the engine and its contexts. Idempotent. */
  close(): void;
}
