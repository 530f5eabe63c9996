// Counterpart: Unicorn's own bindings (bindings/python/unicorn/unicorn.py): every native
// prototype in one place, one error type, hooks that never let an exception cross C frames.
//
// This is the only file of the project that imports koffi. Everything else sees the typed
// `Unicorn` class below, with guest values as bigint.
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import koffi from 'koffi';

/** UC_ARCH_* and UC_MODE_* values from unicorn/unicorn.h (2.0.1). */
export const UC_ARCH_X86 = 4;
export const UC_ARCH_PPC = 5;
export const UC_MODE_32 = 1 << 2;
export const UC_MODE_64 = 1 << 3;
export const UC_MODE_PPC64 = 1 << 3;
export const UC_MODE_BIG_ENDIAN = 1 << 30;

/** Unicorn's arch and mode for a CPU kind (the ISA specs name the CPU, not the engine). */
export function unicornMode(k: {
  arch: 'x86' | 'ppc';
  mode: 32 | 64;
  bigEndian: boolean;
}): [arch: number, mode: number] {
  if (k.arch === 'x86') return [UC_ARCH_X86, k.mode === 64 ? UC_MODE_64 : UC_MODE_32];
  if (k.mode !== 64) throw new Error('ppc: only 64-bit CPUs are supported');
  return [UC_ARCH_PPC, UC_MODE_PPC64 | (k.bigEndian ? UC_MODE_BIG_ENDIAN : 0)];
}

/** UC_PROT_* permission bits. */
export const UC_PROT_READ = 1;
export const UC_PROT_WRITE = 2;
export const UC_PROT_EXEC = 4;
export const UC_PROT_ALL = 7;

/** uc_err values that the machine interprets; the rest only get a message. */
export const UC_ERR_OK = 0;
export const UC_ERR_NOMEM = 1;
export const UC_ERR_READ_UNMAPPED = 6;
export const UC_ERR_WRITE_UNMAPPED = 7;
export const UC_ERR_FETCH_UNMAPPED = 8;
export const UC_ERR_INSN_INVALID = 10;
export const UC_ERR_MAP = 11;
export const UC_ERR_WRITE_PROT = 12;
export const UC_ERR_READ_PROT = 13;
export const UC_ERR_FETCH_PROT = 14;
export const UC_ERR_READ_UNALIGNED = 16;
export const UC_ERR_WRITE_UNALIGNED = 17;
export const UC_ERR_FETCH_UNALIGNED = 18;
export const UC_ERR_EXCEPTION = 21;
export const UC_ERR_ARG = 15;

/** uc_mem_type values passed to memory event hooks (and, the first three, to TLB fills). */
export const UC_MEM_READ = 16;
export const UC_MEM_WRITE = 17;
export const UC_MEM_FETCH = 18;
export const UC_MEM_READ_UNMAPPED = 19;
export const UC_MEM_WRITE_UNMAPPED = 20;
export const UC_MEM_FETCH_UNMAPPED = 21;
export const UC_MEM_WRITE_PROT = 22;
export const UC_MEM_READ_PROT = 23;
export const UC_MEM_FETCH_PROT = 24;

export const UC_HOOK_INTR = 1 << 0;
export const UC_HOOK_INSN = 1 << 1;
export const UC_HOOK_CODE = 1 << 2;
export const UC_HOOK_MEM_READ = 1 << 10;
export const UC_HOOK_MEM_WRITE = 1 << 11;
export const UC_HOOK_MEM_INVALID = (1 << 4) | (1 << 5) | (1 << 6) | (1 << 7) | (1 << 8) | (1 << 9);
export const UC_HOOK_MEM_UNMAPPED = (1 << 4) | (1 << 5) | (1 << 6);
/** Unicorn 2.1: called on a TLB miss when the TLB type is UC_TLB_VIRTUAL. */
export const UC_HOOK_TLB_FILL = 1 << 17;

/** x86 UC_X86_INS_SYSCALL: the only way to see x86_64 `syscall` (UC_HOOK_INSN). */
export const UC_X86_INS_SYSCALL = 699;

// uc_ctl codes are `type | nr_args << 26 | io << 30` (UC_CTL macro in unicorn.h).
const UC_CTL_IO_WRITE = 1;
const ctl = (type: number, nargs: number, io: number): number => type | (nargs << 26) | (io << 30) | 0;
const UC_CTL_CPU_MODEL = 7;
const UC_CTL_TB_REMOVE_CACHE = 9;
const UC_CTL_TB_FLUSH = 10;
const UC_CTL_TLB_FLUSH = 11;
const UC_CTL_TLB_TYPE = 12;
const UC_TLB_VIRTUAL = 1;

/** One error type for every failing Unicorn call: the uc_err code and the call that failed. */
export class UnicornError extends Error {
  constructor(
    readonly code: number,
    readonly call: string,
  ) {
    super(`${call} failed: ${strerror(code)} (uc_err ${code})`);
    this.name = 'UnicornError';
  }
}

/** The library `make` fetches (scripts/fetch-unicorn.sh), relative to the project root. */
const FETCHED = 'lib/unicorn/libunicorn.so.2';

/**
 * Where to find the library: KPROBE_EMU_LIBUNICORN, else the Unicorn 2.1 that `make`
 * fetched into the project, else the system's libunicorn.so.2 (Debian 12: 2.0.1).
 */
export function libraryPath(): string {
  const chosen = process.env.KPROBE_EMU_LIBUNICORN;
  if (chosen) return chosen;
  // This file runs from emu/ (sources, under vitest) or dist/emu/ (built).
  const here = dirname(fileURLToPath(import.meta.url));
  for (const up of ['..', '../..']) {
    const p = resolve(here, up, FETCHED);
    if (existsSync(p)) return p;
  }
  return 'libunicorn.so.2';
}

type Native = {
  uc_version: (major: null, minor: null) => number;
  uc_open: (arch: number, mode: number, out: [unknown]) => number;
  uc_close: (uc: unknown) => number;
  uc_strerror: (code: number) => string;
  uc_reg_read: (uc: unknown, regid: number, value: Uint8Array | BigUint64Array) => number;
  uc_reg_write: (uc: unknown, regid: number, value: Uint8Array | BigUint64Array) => number;
  uc_reg_read_batch: (uc: unknown, ids: Int32Array, vals: unknown, count: number) => number;
  uc_reg_write_batch: (uc: unknown, ids: Int32Array, vals: unknown, count: number) => number;
  uc_mem_write: (uc: unknown, addr: bigint, bytes: Uint8Array, size: number) => number;
  uc_mem_read: (uc: unknown, addr: bigint, bytes: Uint8Array, size: number) => number;
  uc_mem_map: (uc: unknown, addr: bigint, size: number, perms: number) => number;
  uc_mem_map_ptr: (uc: unknown, addr: bigint, size: number, perms: number, ptr: Uint8Array) => number;
  uc_mem_unmap: (uc: unknown, addr: bigint, size: number) => number;
  uc_mem_protect: (uc: unknown, addr: bigint, size: number, perms: number) => number;
  uc_emu_start: (uc: unknown, begin: bigint, until: bigint, timeout: bigint, count: number) => number;
  uc_emu_stop: (uc: unknown) => number;
  uc_hook_add: (
    uc: unknown,
    out: [unknown],
    type: number,
    cb: unknown,
    user: null,
    begin: bigint,
    end: bigint,
    ...variadic: unknown[]
  ) => number;
  uc_hook_del: (uc: unknown, hh: unknown) => number;
  uc_ctl: (uc: unknown, control: number, ...variadic: unknown[]) => number;
  uc_context_alloc: (uc: unknown, out: [unknown]) => number;
  uc_context_save: (uc: unknown, ctx: unknown) => number;
  uc_context_restore: (uc: unknown, ctx: unknown) => number;
  uc_context_free: (ctx: unknown) => number;
  uc_context_reg_write: (ctx: unknown, regid: number, value: Uint8Array) => number;
  uc_context_size: (uc: unknown) => number;
};

let native: Native | undefined;
let protos:
  { intr: unknown; syscall: unknown; code: unknown; mem: unknown; access: unknown; tlb: unknown } | undefined;

/** Load the library once; throws an Error naming the path when it cannot be opened. */
function lib(): Native {
  if (native) return native;
  const path = libraryPath();
  let l: ReturnType<typeof koffi.load>;
  try {
    l = koffi.load(path);
  } catch (e) {
    throw new Error(
      `cannot load the Unicorn library '${path}': ${(e as Error).message}. ` +
        `Run make (it fetches Unicorn 2.1 into lib/unicorn/), install Debian's libunicorn2 (2.0.1), ` +
        `or set KPROBE_EMU_LIBUNICORN`,
    );
  }
  // Named opaque types, referred to by name in the prototypes below.
  koffi.opaque('uc_engine');
  koffi.opaque('uc_context');
  // struct uc_tlb_entry of unicorn.h (2.1), what a TLB fill callback returns through its
  // pointer; fillTlb writes its two fields one by one.
  koffi.struct('uc_tlb_entry', { paddr: 'uint64_t', perms: 'int' });
  // Callbacks take the engine and user data as plain addresses: an opaque pointer would be
  // a new External object each call (~30 ns of a ~0.6 us trap).
  protos = {
    intr: koffi.proto('void uc_cb_hookintr_t(uintptr_t uc, uint32_t intno, uintptr_t user_data)'),
    syscall: koffi.proto('void uc_cb_insn_syscall_t(uintptr_t uc, uintptr_t user_data)'),
    code: koffi.proto(
      'void uc_cb_hookcode_t(uintptr_t uc, uint64_t address, uint32_t size, uintptr_t user_data)',
    ),
    mem: koffi.proto(
      'bool uc_cb_eventmem_t(uintptr_t uc, int type, uint64_t address, int size, int64_t value, uintptr_t user_data)',
    ),
    access: koffi.proto(
      'void uc_cb_hookmem_t(uintptr_t uc, int type, uint64_t address, int size, int64_t value, uintptr_t user_data)',
    ),
    tlb: koffi.proto(
      'bool uc_cb_tlbevent_t(uintptr_t uc, uint64_t vaddr, int type, uc_tlb_entry *result, uintptr_t user_data)',
    ),
  };
  native = {
    uc_version: l.func('unsigned int uc_version(void *major, void *minor)'),
    uc_open: l.func('int uc_open(int arch, int mode, _Out_ uc_engine **uc)'),
    uc_close: l.func('int uc_close(uc_engine *uc)'),
    uc_strerror: l.func('const char *uc_strerror(int code)'),
    uc_reg_read: l.func('int uc_reg_read(uc_engine *uc, int regid, _Out_ void *value)'),
    uc_reg_write: l.func('int uc_reg_write(uc_engine *uc, int regid, const void *value)'),
    // vals: an array of pointers in native memory of ours (batchScratch), passed as is.
    uc_reg_read_batch: l.func('int uc_reg_read_batch(uc_engine *uc, int *regs, void *vals, int count)'),
    uc_reg_write_batch: l.func('int uc_reg_write_batch(uc_engine *uc, int *regs, void *vals, int count)'),
    uc_mem_write: l.func('int uc_mem_write(uc_engine *uc, uint64_t address, const void *bytes, size_t size)'),
    uc_mem_read: l.func('int uc_mem_read(uc_engine *uc, uint64_t address, _Out_ void *bytes, size_t size)'),
    uc_mem_map: l.func('int uc_mem_map(uc_engine *uc, uint64_t address, size_t size, uint32_t perms)'),
    uc_mem_map_ptr: l.func(
      'int uc_mem_map_ptr(uc_engine *uc, uint64_t address, size_t size, uint32_t perms, void *ptr)',
    ),
    uc_mem_unmap: l.func('int uc_mem_unmap(uc_engine *uc, uint64_t address, size_t size)'),
    uc_mem_protect: l.func(
      'int uc_mem_protect(uc_engine *uc, uint64_t address, size_t size, uint32_t perms)',
    ),
    uc_emu_start: l.func(
      'int uc_emu_start(uc_engine *uc, uint64_t begin, uint64_t until, uint64_t timeout, size_t count)',
    ),
    uc_emu_stop: l.func('int uc_emu_stop(uc_engine *uc)'),
    uc_hook_add: l.func(
      'int uc_hook_add(uc_engine *uc, _Out_ size_t *hh, int type, void *callback, void *user_data, ' +
        'uint64_t begin, uint64_t end, ...)',
    ),
    uc_hook_del: l.func('int uc_hook_del(uc_engine *uc, size_t hh)'),
    uc_ctl: l.func('int uc_ctl(uc_engine *uc, int control, ...)'),
    uc_context_alloc: l.func('int uc_context_alloc(uc_engine *uc, _Out_ uc_context **ctx)'),
    uc_context_save: l.func('int uc_context_save(uc_engine *uc, uc_context *ctx)'),
    uc_context_restore: l.func('int uc_context_restore(uc_engine *uc, uc_context *ctx)'),
    uc_context_free: l.func('int uc_context_free(uc_context *ctx)'),
    uc_context_reg_write: l.func('int uc_context_reg_write(uc_context *ctx, int regid, const void *value)'),
    uc_context_size: l.func('size_t uc_context_size(uc_engine *uc)'),
  } as unknown as Native;
  return native;
}

function strerror(code: number): string {
  try {
    return lib().uc_strerror(code);
  } catch {
    return `uc_err ${code}`;
  }
}

/** The engine version as uc_version() reports it, e.g. 0x020001ff for 2.0.1. */
export interface UcVersion {
  major: number;
  minor: number;
  patch: number;
  /** The packed value uc_version() returns. */
  raw: number;
  text: string;
}

/** The loaded library's version, read once (a process loads one library). */
let version: UcVersion | undefined;

export function ucVersion(): UcVersion {
  if (version) return version;
  const raw = lib().uc_version(null, null) >>> 0;
  const major = (raw >>> 24) & 0xff;
  const minor = (raw >>> 16) & 0xff;
  const patch = (raw >>> 8) & 0xff;
  version = { major, minor, patch, raw, text: `${major}.${minor}.${patch}` };
  return version;
}

/**
 * What the binding calls back; each runs inside the one dispatcher of its kind, which
 * stashes an exception, stops the engine and lets `emuStart` rethrow it (as Unicorn's own
 * bindings do).
 */
export interface UnicornCallbacks {
  /** UC_HOOK_INTR. */
  intr?: (intno: number) => void;
  /** UC_HOOK_INSN with UC_X86_INS_SYSCALL. */
  syscall?: () => void;
  /** UC_HOOK_CODE. */
  code?: (address: bigint) => void;
  /** UC_HOOK_MEM_INVALID and UC_HOOK_MEM_UNMAPPED: `type` is UC_MEM_*; the access fails. */
  memInvalid?: (type: number, address: bigint, size: number) => void;
  /** UC_HOOK_MEM_READ and UC_HOOK_MEM_WRITE, before the access: `value` is what a store writes. */
  access?: (type: number, address: bigint, size: number, value: bigint) => void;
  /**
   * UC_HOOK_TLB_FILL: fill `entry` for the guest page at `vaddr` (a number below 2^53, else
   * a BigInt); true when it is filled. Runs outside the exception stash: must not throw.
   */
  tlbFill?: (vaddr: number | bigint, type: number, entry: TlbEntry) => boolean;
  /** After every hook callback above (not tlbFill); `code`: it was a UC_HOOK_CODE one. */
  hookEnd?: (code: boolean) => void;
  /** Before every hook callback (not tlbFill). */
  hookStart?: () => void;
}

/** struct uc_tlb_entry, reused for every fill. */
export interface TlbEntry {
  paddr: number | bigint;
  perms: number;
}

// One koffi-registered callback per hook kind for the whole process (koffi allows 8192);
// they find their engine by the uc_engine address through this table.
const engines = new Map<unknown, Unicorn>();
let dispatchers:
  { intr: unknown; syscall: unknown; code: unknown; mem: unknown; access: unknown; tlb: unknown } | undefined;

/** The table key of an engine address a callback got (a number or a BigInt). */
function keyOf(uc: unknown): unknown {
  return BigInt(uc as number | bigint);
}

/** The engine a callback belongs to; with one engine open (the usual case) no lookup. */
let only: Unicorn | undefined;
function engineOf(uc: unknown): Unicorn | undefined {
  return only ?? engines.get(keyOf(uc));
}
function enginesChanged(): void {
  only = engines.size === 1 ? engines.values().next().value : undefined;
}

function getDispatchers(): NonNullable<typeof dispatchers> {
  if (dispatchers) return dispatchers;
  lib();
  const p = protos;
  if (!p) throw new Error('the Unicorn library is not loaded');
  const entry: TlbEntry = { paddr: 0, perms: 0 };
  dispatchers = {
    intr: koffi.register(
      (uc: unknown, intno: number) => {
        const e = engineOf(uc);
        if (e) e.guard(e.callbacks.intr, intno, false);
      },
      koffi.pointer(p.intr as never),
    ),
    syscall: koffi.register(
      (uc: unknown) => {
        const e = engineOf(uc);
        if (e) e.guard(e.callbacks.syscall, undefined, false);
      },
      koffi.pointer(p.syscall as never),
    ),
    code: koffi.register(
      (uc: unknown, address: bigint | number) => {
        const e = engineOf(uc);
        if (e) e.guard(e.callbacks.code, BigInt(address), true);
      },
      koffi.pointer(p.code as never),
    ),
    mem: koffi.register(
      (uc: unknown, type: number, address: bigint | number, size: number) => {
        const e = engineOf(uc);
        // koffi hands a uint64 at 2^63 and above to JavaScript as a negative BigInt.
        const at = BigInt.asUintN(64, BigInt(address));
        if (e) e.guard((a: bigint) => e.callbacks.memInvalid?.(type, a, size), at, false);
        return false;
      },
      koffi.pointer(p.mem as never),
    ),
    access: koffi.register(
      (uc: unknown, type: number, address: bigint | number, size: number, value: bigint | number) => {
        const e = engineOf(uc);
        const at = BigInt.asUintN(64, BigInt(address));
        const v = BigInt.asUintN(64, BigInt(value));
        if (e) e.guard((a: bigint) => e.callbacks.access?.(type, a, size, v), at, false);
      },
      koffi.pointer(p.access as never),
    ),
    tlb: koffi.register(
      (uc: unknown, vaddr: bigint | number, type: number, result: unknown) => {
        const e = engineOf(uc);
        if (!e?.callbacks.tlbFill?.(vaddr, type, entry)) return false;
        // Two scalar writes cost less than one of the struct from an object (~0.15 us against
        // ~0.36 us through koffi).
        koffi.encode(result as never, 0, 'uint64_t', entry.paddr);
        koffi.encode(result as never, 8, 'int', entry.perms);
        return true;
      },
      koffi.pointer(p.tlb as never),
    ),
  };
  return dispatchers;
}

/** Which dispatcher serves a hook type. */
function dispatcherOf(type: number): unknown {
  const d = getDispatchers();
  if (type === UC_HOOK_INTR) return d.intr;
  if (type === UC_HOOK_INSN) return d.syscall;
  if (type === UC_HOOK_CODE) return d.code;
  if (type === UC_HOOK_TLB_FILL) return d.tlb;
  if ((type & ~UC_HOOK_MEM_INVALID) === 0) return d.mem;
  if ((type & ~(UC_HOOK_MEM_READ | UC_HOOK_MEM_WRITE)) === 0) return d.access;
  throw new RangeError(`no dispatcher for hook type 0x${type.toString(16)}`);
}

const SCRATCH = 4096;

/** Registers one batch call moves at most. */
const BATCH = 8;

/**
 * Native memory for uc_reg_read_batch and uc_reg_write_batch, made once per process: BATCH
 * values and a pointer to each. Passed as is, with nothing marshalled, a batch costs about
 * one single call: two registers in ~0.11 us, against ~0.18 us in two uc_reg_write calls.
 */
let batchMem: { ptrs: unknown; halves: Uint32Array } | undefined;
function batchScratch(): { ptrs: unknown; halves: Uint32Array } {
  if (batchMem) return batchMem;
  const vals = koffi.alloc('uint64_t', BATCH);
  const ptrs = koffi.alloc('uint64_t', BATCH);
  const base = BigInt(koffi.address(vals as never) as bigint | number);
  const table = new BigUint64Array(koffi.view(ptrs as never, 8 * BATCH) as ArrayBuffer);
  for (let i = 0; i < BATCH; i++) table[i] = base + 8n * BigInt(i);
  batchMem = { ptrs, halves: new Uint32Array(koffi.view(vals as never, 8 * BATCH) as ArrayBuffer) };
  return batchMem;
}

/** Number of engines currently open in this process (for leak checks). */
export function openEngineCount(): number {
  return engines.size;
}

/** Saved CPU contexts not yet freed, over all engines (for leak checks). */
export function openContextCount(): number {
  let n = 0;
  for (const e of engines.values()) n += e.contextCount;
  return n;
}

/** koffi callbacks registered by this process: a fixed set, made once (for leak checks). */
export function registeredCallbackCount(): number {
  return dispatchers ? Object.keys(dispatchers).length : 0;
}

/** A saved CPU context (uc_context), freed by `contextFree` or `close`. */
export interface UcContext {
  readonly ptr: unknown;
}

/**
 * A Unicorn engine, one method per C function (uc_ctl: one per control used). Every method
 * throws `UnicornError` on failure; a hook that throws stops the engine and its error is
 * rethrown by `emuStart` when the engine returns.
 */
export class Unicorn {
  private uc: unknown;
  private readonly key: unknown;
  private pending: unknown = undefined;
  private hasPending = false;
  private readonly contexts = new Set<unknown>();
  /** For small memory transfers: a buffer koffi can pass without moving it. */
  private readonly scratch = new Uint8Array(new ArrayBuffer(SCRATCH));
  private readonly hookList = new Map<unknown, { kind: string; begin: bigint; end: bigint }>();

  constructor(
    readonly arch: number,
    readonly mode: number,
    readonly callbacks: UnicornCallbacks,
  ) {
    const out: [unknown] = [null];
    check(lib().uc_open(arch, mode, out), 'uc_open');
    this.uc = out[0];
    this.key = koffi.address(this.uc as never);
    engines.set(this.key, this);
    enginesChanged();
  }

  /**
   * Run a hook callback with `arg`; if it throws, keep the error and stop the engine (never
   * cross C frames).
   */
  guard<T>(fn: ((arg: T) => void) | undefined, arg: T, code: boolean): void {
    const c = this.callbacks;
    c.hookStart?.();
    try {
      fn?.(arg);
    } catch (e) {
      this.fail(e);
    }
    try {
      c.hookEnd?.(code);
    } catch (e) {
      this.fail(e);
    }
  }

  /** A hook threw: keep the (first) error and stop the engine; emuStart rethrows it. */
  fail(e: unknown): void {
    if (!this.hasPending) {
      this.pending = e;
      this.hasPending = true;
    }
    lib().uc_emu_stop(this.uc);
  }

  /** uc_hook_add over [begin, end] (inclusive; [1, 0] is everywhere); returns the handle. */
  hookAdd(type: number, begin: bigint, end: bigint, name: string, ...variadic: unknown[]): unknown {
    const hh: [unknown] = [null];
    const cb = dispatcherOf(type);
    check(lib().uc_hook_add(this.uc, hh, type, cb, null, begin, end, ...variadic), `uc_hook_add(${name})`);
    this.hookList.set(hh[0], { kind: name, begin, end });
    return hh[0];
  }

  hookDel(hook: unknown): void {
    check(lib().uc_hook_del(this.uc, hook), 'uc_hook_del');
    this.hookList.delete(hook);
  }

  /** The hooks installed now, by kind and range ([1, 0] is everywhere), for tests and reports. */
  hooks(): { kind: string; begin: bigint; end: bigint }[] {
    return [...this.hookList.values()];
  }

  /** uc_reg_read into `value` (the register's own width, host order). */
  regRead(id: number, value: Uint8Array): void {
    check(lib().uc_reg_read(this.uc, id, value), 'uc_reg_read');
  }

  regWrite(id: number, value: Uint8Array): void {
    check(lib().uc_reg_write(this.uc, id, value), 'uc_reg_write');
  }

  /** uc_reg_read_batch: the values as [low, high] halves in host order, in native memory reused by the next batch. */
  regReadBatch(ids: Int32Array, count: number): Uint32Array {
    if (count > BATCH) throw new RangeError(`uc_reg_read_batch: ${count} registers; at most ${BATCH}`);
    const b = batchScratch();
    // Unicorn stores only each register's own width. (A loop: a few elements cost less than fill's call.)
    const h = b.halves;
    for (let i = 0; i < 2 * count; i++) h[i] = 0;
    check(lib().uc_reg_read_batch(this.uc, ids, b.ptrs, count), 'uc_reg_read_batch');
    return b.halves;
  }

  regWriteBatch(ids: Int32Array, halves: Uint32Array, count: number): void {
    if (count > BATCH) throw new RangeError(`uc_reg_write_batch: ${count} registers; at most ${BATCH}`);
    const b = batchScratch();
    // Element by element: a subarray for set() would be a new object per call (a trap's cost).
    const h = b.halves;
    for (let i = 0; i < 2 * count; i++) h[i] = halves[i] ?? 0;
    check(lib().uc_reg_write_batch(this.uc, ids, b.ptrs, count), 'uc_reg_write_batch');
  }

  memMap(addr: bigint, size: number, perms: number): void {
    check(lib().uc_mem_map(this.uc, addr, size, perms), `uc_mem_map(${hexRange(addr, size)})`);
  }

  /** uc_mem_map_ptr: `bytes` backs the mapping (and its pieces after an unmap or protect). */
  memMapPtr(addr: bigint, bytes: Uint8Array, perms: number): void {
    const size = bytes.length;
    check(lib().uc_mem_map_ptr(this.uc, addr, size, perms, bytes), `uc_mem_map_ptr(${hexRange(addr, size)})`);
  }

  memUnmap(addr: bigint, size: number): void {
    check(lib().uc_mem_unmap(this.uc, addr, size), `uc_mem_unmap(${hexRange(addr, size)})`);
  }

  memProtect(addr: bigint, size: number, perms: number): void {
    check(lib().uc_mem_protect(this.uc, addr, size, perms), `uc_mem_protect(${hexRange(addr, size)})`);
  }

  memRead(addr: bigint, size: number): Uint8Array {
    // Small reads go through the engine's own buffer and come back as a copy: handing koffi
    // a new small typed array makes V8 move its bytes off the heap first (~1 us a call).
    const small = size <= SCRATCH;
    const buf = small ? this.scratch : new Uint8Array(size);
    if (size > 0)
      check(lib().uc_mem_read(this.uc, addr, buf, size), `uc_mem_read(0x${addr.toString(16)}, ${size})`);
    return small ? buf.slice(0, size) : buf;
  }

  memWrite(addr: bigint, bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    let from = bytes;
    if (bytes.length <= SCRATCH) {
      this.scratch.set(bytes);
      from = this.scratch;
    }
    check(
      lib().uc_mem_write(this.uc, addr, from, bytes.length),
      `uc_mem_write(0x${addr.toString(16)}, ${bytes.length})`,
    );
  }

  /** uc_ctl(UC_CTL_TB_REMOVE_CACHE): drop translated blocks covering [begin, end). */
  ctlRemoveCache(begin: bigint, end: bigint): void {
    check(
      lib().uc_ctl(
        this.uc,
        ctl(UC_CTL_TB_REMOVE_CACHE, 2, UC_CTL_IO_WRITE),
        'uint64_t',
        begin,
        'uint64_t',
        end,
      ),
      'uc_ctl(TB_REMOVE_CACHE)',
    );
  }

  /** uc_ctl(UC_CTL_TB_FLUSH): drop every translated block. Never from a UC_HOOK_CODE callback (crashes 2.0.1). */
  ctlFlushTb(): void {
    check(lib().uc_ctl(this.uc, ctl(UC_CTL_TB_FLUSH, 0, UC_CTL_IO_WRITE)), 'uc_ctl(TB_FLUSH)');
  }

  /** uc_ctl(UC_CTL_TLB_FLUSH) (Unicorn 2.1). */
  ctlFlushTlb(): void {
    check(lib().uc_ctl(this.uc, ctl(UC_CTL_TLB_FLUSH, 0, UC_CTL_IO_WRITE)), 'uc_ctl(TLB_FLUSH)');
  }

  /** uc_ctl(UC_CTL_TLB_TYPE, UC_TLB_VIRTUAL) (Unicorn 2.1). */
  ctlVirtualTlb(): void {
    check(
      lib().uc_ctl(this.uc, ctl(UC_CTL_TLB_TYPE, 1, UC_CTL_IO_WRITE), 'int', UC_TLB_VIRTUAL),
      'uc_ctl(TLB_TYPE)',
    );
  }

  ctlCpuModel(model: number): void {
    check(
      lib().uc_ctl(this.uc, ctl(UC_CTL_CPU_MODEL, 1, UC_CTL_IO_WRITE), 'int', model),
      'uc_ctl(CPU_MODEL)',
    );
  }

  /** uc_emu_start with no timeout: the uc_err of the run; rethrows an error a hook raised. */
  emuStart(begin: bigint, until: bigint, count = 0): number {
    const err = lib().uc_emu_start(this.uc, begin, until, 0n, count);
    if (this.hasPending) {
      const e = this.pending;
      this.pending = undefined;
      this.hasPending = false;
      throw e;
    }
    return err;
  }

  /**
   * The running uc_emu_start's instruction count: [instructions counted, count asked]
   * (uc_struct's emu_counter and emu_count); undefined where this build's layout is unknown.
   * uc_emu_start resets both, so a nested call keeps the outer call's with these two.
   */
  countState(): [number, number] | undefined {
    const at = countStateOffset();
    if (at === undefined) return undefined;
    const w = koffi.decode(this.uc as never, at, countPairType()) as BigUint64Array;
    return [Number(w[0]), Number(w[1])];
  }

  setCountState(state: readonly [number, number]): void {
    const at = countStateOffset();
    if (at === undefined) throw new Error('internal error: the count state of this Unicorn build is unknown');
    koffi.encode(
      this.uc as never,
      at,
      countPairType(),
      BigUint64Array.of(BigInt(state[0]), BigInt(state[1])),
    );
  }

  /** countStateOffset's search (static: it reads a scratch engine's uc_struct). */
  static findCountState(): number | null {
    const u = new Unicorn(UC_ARCH_X86, UC_MODE_32, {});
    try {
      u.memMap(0x1000n, 0x1000, UC_PROT_ALL);
      u.memWrite(0x1000n, new Uint8Array(0x1000).fill(0x90));
      let found: number[] | undefined;
      // 4 KiB from its start stay inside uc_struct, which holds 64 exits and 64 sigjmp_bufs
      // (uc_priv.h): over 13 KiB.
      for (const n of [37, 53]) {
        u.emuStart(0x1000n, 0x2000n, n);
        const words = Array.from(
          koffi.decode(u.uc as never, koffi.array('uint64_t', 512)) as BigUint64Array,
          Number,
        );
        const here: number[] = [];
        for (let i = 0; i + 1 < words.length; i++)
          if (words[i] === n + 1 && words[i + 1] === n) here.push(8 * i);
        found = found ? found.filter((o) => here.includes(o)) : here;
      }
      return found?.length === 1 ? (found[0] as number) : null;
    } finally {
      u.close();
    }
  }

  emuStop(): void {
    check(lib().uc_emu_stop(this.uc), 'uc_emu_stop');
  }

  contextAlloc(): UcContext {
    const out: [unknown] = [null];
    check(lib().uc_context_alloc(this.uc, out), 'uc_context_alloc');
    this.contexts.add(out[0]);
    return { ptr: out[0] };
  }

  contextSave(ctx: UcContext): void {
    check(lib().uc_context_save(this.uc, ctx.ptr), 'uc_context_save');
  }

  contextRestore(ctx: UcContext): void {
    check(lib().uc_context_restore(this.uc, ctx.ptr), 'uc_context_restore');
  }

  contextRegWrite(ctx: UcContext, id: number, value: Uint8Array): void {
    check(lib().uc_context_reg_write(ctx.ptr, id, value), 'uc_context_reg_write');
  }

  contextFree(ctx: UcContext): void {
    if (this.contexts.delete(ctx.ptr)) lib().uc_context_free(ctx.ptr);
  }

  /** Size in bytes of a saved context, its header included. */
  contextSize(): number {
    return Number(lib().uc_context_size(this.uc));
  }

  /** The bytes of a saved context: { size_t context_size; uc_mode mode; uc_arch arch; char data[]; }. */
  contextBytes(ctx: UcContext): Uint8Array {
    const raw = koffi.decode(ctx.ptr as never, koffi.array('uint8_t', this.contextSize())) as number[];
    return Uint8Array.from(raw);
  }

  /** Write raw bytes back over a saved context (same layout as `contextBytes`). */
  setContextBytes(ctx: UcContext, bytes: Uint8Array): void {
    koffi.encode(ctx.ptr as never, koffi.array('uint8_t', bytes.length), Array.from(bytes));
  }

  get closed(): boolean {
    return this.uc === null;
  }

  get contextCount(): number {
    return this.contexts.size;
  }

  /** Free contexts, remove the engine from the dispatch table and close it. Idempotent. */
  close(): void {
    if (this.uc === null) return;
    for (const c of this.contexts) lib().uc_context_free(c);
    this.contexts.clear();
    engines.delete(this.key);
    enginesChanged();
    lib().uc_close(this.uc);
    this.uc = null;
  }
}

/** uint64_t[2], made once: koffi keeps every type it is asked to make. */
let pairType: unknown;
function countPairType(): never {
  pairType ??= koffi.array('uint64_t', 2);
  return pairType as never;
}

/** Where uc_struct keeps emu_counter and emu_count: found once (countStateOffset); null: not found. */
let countAt: number | null | undefined;

/**
 * The offset in uc_struct of emu_counter and the emu_count after it (two size_t). The layout
 * is the library build's own, so it is found by running: a counted uc_emu_start over nops
 * stops when its hook counts instruction N + 1, leaving the pair (N + 1, N). The one offset
 * holding that pair for two values of N is the answer.
 */
function countStateOffset(): number | undefined {
  if (countAt === undefined) countAt = Unicorn.findCountState();
  return countAt ?? undefined;
}

function hexRange(addr: bigint, size: number): string {
  return `0x${addr.toString(16)}, 0x${size.toString(16)}`;
}

function check(err: number, call: string): void {
  if (err !== UC_ERR_OK) throw new UnicornError(err, call);
}
