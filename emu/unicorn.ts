// Counterpart: Unicorn's own bindings (bindings/python/unicorn/unicorn.py): every native
// prototype in one place, one error type, hooks that never let an exception cross C frames.
//
// This is the only file of the project that imports koffi. Everything else sees the typed
// `Unicorn` class below, with guest values as bigint.
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import koffi from 'koffi';
import { intOfHalves, narrowInt, type Int } from './int.js';

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
export const PROT_READ = 1;
export const PROT_WRITE = 2;
export const PROT_EXEC = 4;

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

const UC_HOOK_INTR = 1 << 0;
const UC_HOOK_INSN = 1 << 1;
const UC_HOOK_CODE = 1 << 2;
const UC_HOOK_MEM_READ = 1 << 10;
const UC_HOOK_MEM_WRITE = 1 << 11;
const UC_HOOK_MEM_INVALID = (1 << 4) | (1 << 5) | (1 << 6) | (1 << 7) | (1 << 8) | (1 << 9);
const UC_HOOK_MEM_UNMAPPED = (1 << 4) | (1 << 5) | (1 << 6);
/** Unicorn 2.1: called on a TLB miss when the TLB type is UC_TLB_VIRTUAL. */
const UC_HOOK_TLB_FILL = 1 << 17;

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
/** QEMU's first TLB size (CPU_TLB_DYN_DEFAULT_BITS 8), and twice its largest (2^22 entries). */
const TLB_FIRST_SIZE = 1 << 8;
const TLB_GROW_MAX = 2 * (1 << 22);

const HOST_LE = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;
/** Where the low and high halves of a 64-bit word sit in a Uint32Array over it (host order). */
const LO = HOST_LE ? 0 : 1;
const HI = 1 - LO;

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
        `Run make (it fetches Unicorn 2.1 into lib/unicorn/), install Debian's libunicorn2 (2.0.1), or set KPROBE_EMU_LIBUNICORN`,
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
      'int uc_hook_add(uc_engine *uc, _Out_ size_t *hh, int type, void *callback, void *user_data, uint64_t begin, uint64_t end, ...)',
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

/** Whether the loaded library is at least `major`.`minor`. */
function engineAtLeast(major: number, minor: number): boolean {
  const v = ucVersion();
  return v.major > major || (v.major === major && v.minor >= minor);
}

/** Whether the loaded library has the virtual TLB (UC_TLB_VIRTUAL, Unicorn 2.1 and newer). */
export function engineHasVirtualTlb(): boolean {
  return engineAtLeast(2, 1);
}

/**
 * Whether every x86 encoding translates (Unicorn 2.1: an invalid one ends the run with
 * UC_ERR_INSN_INVALID); 2.0.1's translator aborts the host process on a few (ff /3 and
 * ff /5 with a register operand).
 */
export function engineTranslatesEveryEncoding(): boolean {
  return engineAtLeast(2, 1);
}

/**
 * Whether a faulting load or store stops the engine with PC at its own instruction, with no
 * hook (Unicorn 2.1); 2.0.1 leaves PC at the start of the instruction's translation block.
 */
export function engineReportsFaultingPc(): boolean {
  return engineHasVirtualTlb();
}

/** Callbacks an engine owner installs; each runs inside the one dispatcher of its kind. */
export interface HookHandlers {
  /** UC_HOOK_INTR: int3/int 0x80 on x86, trap/sc/program checks on ppc. */
  intr?: (intno: number) => void;
  /** UC_HOOK_INSN syscall (x86_64 `syscall`). */
  syscall?: () => void;
  /**
   * UC_HOOK_CODE, only where `traceCode` installed it: a JS call per instruction (~0.25 us),
   * for test oracles, never on a run's normal path.
   */
  code?: (address: bigint) => void;
  /** Invalid memory access; return value is ignored (the access always fails). */
  memInvalid?: (type: number, address: bigint, size: number) => void;
  /** A guest store into a range `watchWrites` watches, called before the store is done. */
  watchedWrite?: (address: bigint, size: number) => void;
  /**
   * Under the virtual TLB (`useVirtualTlb`): the permissions (PROT_*) of the guest page at
   * `page` (a number: guest pages lie below 2^53), or -1 when it is not mapped. `type` is the
   * access that missed (UC_MEM_READ, UC_MEM_WRITE, UC_MEM_FETCH). Must not throw.
   */
  tlbFill?: (page: number, type: number) => number;
}

// One koffi-registered callback per hook kind for the whole process (koffi allows 8192);
// they find their engine by the uc_engine address through this table.
const engines = new Map<unknown, Unicorn>();
let dispatchers:
  | {
      intr: unknown;
      syscall: unknown;
      code: unknown;
      mem: unknown;
      access: unknown;
      watched: unknown;
      tlb: unknown;
      denied: unknown;
    }
  | undefined;

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
  const p = protos!;
  dispatchers = {
    intr: koffi.register(
      (uc: unknown, intno: number) => {
        const e = engineOf(uc);
        if (!e) return;
        e.enterHook();
        try {
          e.handlers.intr?.(intno);
        } catch (err) {
          e.fail(err);
        }
        e.leaveHook();
      },
      koffi.pointer(p.intr as never),
    ),
    syscall: koffi.register(
      (uc: unknown) => {
        const e = engineOf(uc);
        if (!e) return;
        e.enterHook();
        try {
          e.handlers.syscall?.();
        } catch (err) {
          e.fail(err);
        }
        e.leaveHook();
      },
      koffi.pointer(p.syscall as never),
    ),
    code: koffi.register(
      (uc: unknown, address: bigint | number) => {
        const e = engineOf(uc);
        if (e) e.guard(() => e.handlers.code?.(BigInt(address)), true);
      },
      koffi.pointer(p.code as never),
    ),
    mem: koffi.register(
      (uc: unknown, type: number, address: bigint | number, size: number) => {
        const e = engineOf(uc);
        if (e) e.guard(() => e.handlers.memInvalid?.(type, BigInt.asUintN(64, BigInt(address)), size));
        return false;
      },
      koffi.pointer(p.mem as never),
    ),
    access: koffi.register(() => {}, koffi.pointer(p.access as never)),
    watched: koffi.register(
      (uc: unknown, _type: number, address: bigint | number, size: number) => {
        const e = engineOf(uc);
        if (e) e.guard(() => e.handlers.watchedWrite?.(BigInt.asUintN(64, BigInt(address)), size));
      },
      koffi.pointer(p.access as never),
    ),
    tlb: koffi.register(
      (uc: unknown, vaddr: bigint | number, type: number, result: unknown) => {
        const e = engineOf(uc);
        return e ? e.fillTlb(vaddr, type, result) : false;
      },
      koffi.pointer(p.tlb as never),
    ),
    denied: koffi.register(
      (uc: unknown, type: number, address: bigint | number, size: number) => {
        const e = engineOf(uc);
        if (e) e.guard(() => e.deniedAccess(type, BigInt(address), size));
        return false;
      },
      koffi.pointer(p.mem as never),
    ),
  };
  return dispatchers;
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

/**
 * Mappings up to this size are backed by an ArrayBuffer of ours (uc_mem_map_ptr), which
 * the host reads and writes without a call into Unicorn (a uc_mem_read or uc_mem_write of
 * a word costs ~0.3 us through koffi). Bigger ones Unicorn allocates itself.
 */
const HOST_BACKED_MAX = 256 << 20;

/** Integers below this in magnitude are exact as numbers. */
const EXACT = 1n << 53n;

/** An integer for a 64-bit store: a number must be an integer (a fraction is a caller's bug). */
function wordOf(v: Int): bigint {
  if (typeof v === 'bigint') return v;
  if (!Number.isSafeInteger(v)) throw new RangeError(`${v} is not an exact integer`);
  return BigInt(v);
}

/**
 * A stretch of guest memory in a buffer of ours. Unicorn keeps a split region's pieces on
 * the same buffer (uc_mem_unmap and uc_mem_protect of part of it), and so do these records.
 */
interface HostRegion {
  start: bigint;
  end: bigint;
  /** `start` as a number. */
  first: number;
  bytes: Uint8Array;
  view: DataView;
  /** Executable: a host write drops the translations of what it wrote. */
  exec: boolean;
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

/** A saved CPU context (uc_context), freed by `Unicorn.freeContext` or `Unicorn.close`. */
export interface CpuContext {
  readonly ptr: unknown;
}

/**
 * A Unicorn engine. Every method throws `UnicornError` on failure. Hooks are installed
 * once at open; a hook that throws stops the engine and its error is rethrown by
 * `emuStart` when the engine returns.
 */
export class Unicorn {
  private uc: unknown;
  private readonly key: unknown;
  private pending: unknown = undefined;
  private hasPending = false;
  private readonly contexts = new Set<unknown>();
  private readonly one = new BigUint64Array(1);
  private readonly halves = new Uint32Array(this.one.buffer);
  /** For small memory and register transfers: a buffer koffi can pass without moving it. */
  private readonly scratch = new Uint8Array(new ArrayBuffer(SCRATCH));
  private readonly scratchView = new DataView(this.scratch.buffer);
  private readonly oneBytes = new Uint8Array(this.one.buffer);
  private readonly memHalves = new Uint32Array(2);
  /** Host-backed regions, sorted by address, and the one the last access found. */
  private host: HostRegion[] = [];
  private lastHost: HostRegion | undefined;
  /** Offset of the last access found in `lastHost` (set by hostAt). */
  private hostOff = 0;
  readonly handlers: HookHandlers;
  /** Hook callbacks running now (a run nested in a hook nests them). */
  private hookDepth = 0;
  /**
   * Register writes made inside a hook wait here, in order, and go to Unicorn in one batch
   * when the hook returns (or before anything that depends on them: a read, a context
   * save, a run). Unicorn acts on a register write only when the hook returns, so the guest
   * sees the same thing.
   */
  private readonly pendIds = new Int32Array(BATCH);
  private readonly pendVals = new BigUint64Array(BATCH);
  private readonly pendHalves = new Uint32Array(this.pendVals.buffer);
  private pendN = 0;
  /** Registers read ahead by regPrefetch, served until a register is written or the hook ends. */
  private readonly cacheIds = new Int32Array(BATCH);
  private readonly cacheHalves = new Uint32Array(2 * BATCH);
  private readonly cacheVals = new BigUint64Array(this.cacheHalves.buffer);
  private cacheN = 0;
  /**
   * Under the virtual TLB: the physical page a denied access is sent to (never mapped), and
   * the guest page that access was for (see fillTlb); undefined on the flat MMU.
   */
  private faultPage: bigint | undefined;
  /** The page of the last denied access, as the fill callback got it (exact, even above 2^53). */
  private deniedPage: number | bigint = 0;
  /** TLB fills asked of tlbFill so far (each one a call into JavaScript). */
  tlbFills = 0;
  /** Fills since the TLB was last flushed, and how many make growTlb flush it. */
  private fillsSinceFlush = 0;
  private growAt = 2 * TLB_FIRST_SIZE;
  private readonly hookList = new Map<unknown, { kind: string; begin: bigint; end: bigint }>();

  constructor(
    readonly arch: number,
    readonly mode: number,
    handlers: HookHandlers,
    /**
     * `faultPage`: run under the virtual TLB (useVirtualTlb) with this fault page; else on
     * the flat MMU, with a UC_HOOK_MEM_INVALID hook for fault addresses, and `preciseFaultsAt`
     * adds the hooks that make Unicorn 2.0.1 report a faulting access at its own instruction.
     */
    options: { syscallInsn?: boolean; preciseFaultsAt?: bigint; faultPage?: bigint } = {},
  ) {
    const n = lib();
    const d = getDispatchers();
    const out: [unknown] = [null];
    check(n.uc_open(arch, mode, out), 'uc_open');
    this.uc = out[0];
    this.key = koffi.address(this.uc as never);
    this.handlers = handlers;
    engines.set(this.key, this);
    enginesChanged();
    this.addHook(UC_HOOK_INTR, d.intr, 1n, 0n, 'INTR');
    if (options.faultPage !== undefined) {
      // Any memory hook that is not bounded away from guest memory would send every guest
      // load and store through QEMU's slow helper again (docs/unicorn-2.1.md).
      this.useVirtualTlb(options.faultPage);
    } else this.addHook(UC_HOOK_MEM_INVALID, d.mem, 1n, 0n, 'MEM_INVALID');
    if (options.preciseFaultsAt !== undefined && options.faultPage === undefined) {
      // With any UC_HOOK_MEM_READ/WRITE present, Unicorn 2.0.1 syncs the guest PC before
      // each load/store, so a faulting access reports its own instruction instead of the
      // start of its translation block. The hooks cover one never-mapped byte, so they
      // never call back; the sync costs ~35 ns per load and ~60 ns per store.
      const at = options.preciseFaultsAt;
      this.addHook(UC_HOOK_MEM_READ | UC_HOOK_MEM_WRITE, d.access, at, at, 'MEM_READ|WRITE');
    }
    if (options.syscallInsn) {
      this.addHook(UC_HOOK_INSN, d.syscall, 1n, 0n, 'INSN syscall', 'int', UC_X86_INS_SYSCALL);
    }
  }

  /** Whether guest pages are resolved by `handlers.tlbFill` (Unicorn 2.1's UC_TLB_VIRTUAL). */
  get virtualTlb(): boolean {
    return this.faultPage !== undefined;
  }

  /**
   * Resolve guest pages through `handlers.tlbFill` from now on (Unicorn 2.1 and newer):
   * guest virtual addresses map to the same physical ones, every physical mapping is made
   * readable, writable and executable, and a page's permissions for the guest are what
   * tlbFill returns. Stores then take QEMU's fast path (about 1.5 ns against 30-110 ns on the
   * flat MMU: docs/unicorn-2.1.md).
   *
   * A denied access must still report its exact address, and the fill callback is given
   * only the page. So the page is sent, for that access alone, to `faultPage`, a physical
   * page that is never mapped; the access then fails there, and a memory hook bounded to
   * that one page (which slows no other access: Unicorn checks memory hooks by physical
   * address) sees the offset. `handlers.memInvalid` gets the guest address and the type
   * (UC_MEM_*_UNMAPPED) and uc_emu_start returns UC_ERR_*_UNMAPPED with PC at the faulting
   * instruction. Call flushTlb after a denied access before running the guest again.
   */
  useVirtualTlb(faultPage: bigint): void {
    if (!engineHasVirtualTlb())
      throw new Error(`the virtual TLB needs Unicorn 2.1 or newer (this is ${ucVersion().text})`);
    if (this.host.length > 0) throw new Error('useVirtualTlb: call it before mapping memory');
    const d = getDispatchers();
    check(
      native!.uc_ctl(this.uc, ctl(UC_CTL_TLB_TYPE, 1, UC_CTL_IO_WRITE), 'int', UC_TLB_VIRTUAL),
      'uc_ctl(TLB_TYPE)',
    );
    this.addHook(UC_HOOK_TLB_FILL, d.tlb, 1n, 0n, 'TLB_FILL');
    this.addHook(UC_HOOK_MEM_UNMAPPED, d.denied, faultPage, faultPage + 0xfffn, 'MEM_UNMAPPED');
    this.faultPage = faultPage;
  }

  /**
   * The TLB fill callback: the guest page at `vaddr` for an access of `type`. A page whose
   * permissions allow the access maps to itself with all its permissions (one fill serves
   * every later access of any kind); any other goes to the fault page (see useVirtualTlb).
   */
  fillTlb(vaddr: number | bigint, type: number, result: unknown): boolean {
    this.tlbFills++;
    if (++this.fillsSinceFlush >= this.growAt) this.growTlb();
    // Guest pages lie below 2^53: a page above maps nowhere, whatever its rounding.
    const page = Number(vaddr);
    let perms = -1;
    try {
      perms = this.handlers.tlbFill?.(page, type) ?? -1;
    } catch (e) {
      this.fail(e);
    }
    const need = type === UC_MEM_READ ? PROT_READ : type === UC_MEM_WRITE ? PROT_WRITE : PROT_EXEC;
    let paddr: number | bigint = page;
    if (perms < 0 || (perms & need) === 0) {
      this.deniedPage = vaddr;
      paddr = this.faultPage!;
      perms = need;
    }
    // Two scalar writes cost less than one of the struct from an object (~0.15 us against
    // ~0.36 us through koffi).
    koffi.encode(result as never, 0, 'uint64_t', paddr);
    koffi.encode(result as never, 8, 'int', perms);
    return true;
  }

  /**
   * QEMU sizes its TLB only when it is flushed: it doubles the table (256 entries at first)
   * when more than 70% of its entries were used since the last flush. A guest flushes
   * nothing by itself here, so one that keeps missing (random accesses over more memory
   * than 256 pages) would keep 256 entries and pay a fill, a call into JavaScript, at nearly
   * every access. After twice as many fills as the table may hold since the last flush, the
   * TLB is flushed (from inside the fill: QEMU rereads its table after every fill), so that
   * QEMU grows it, as a guest kernel's flushes would make it do.
   */
  private growTlb(): void {
    this.flushTlb();
    this.growAt = Math.min(this.growAt * 2, TLB_GROW_MAX);
  }

  /** The access fillTlb sent to the fault page failed there: its guest address, to memInvalid. */
  deniedAccess(type: number, paddr: bigint, size: number): void {
    // koffi hands a uint64 at 2^63 and above to JavaScript as a negative BigInt.
    const address = BigInt.asUintN(64, BigInt(this.deniedPage) + (paddr - this.faultPage!));
    this.handlers.memInvalid?.(type, address, size);
  }

  /** Drop every TLB entry (Unicorn 2.1): page permissions changed, or an access was denied. */
  flushTlb(): void {
    if (this.faultPage === undefined) return;
    this.fillsSinceFlush = 0;
    check(native!.uc_ctl(this.uc, ctl(UC_CTL_TLB_FLUSH, 0, UC_CTL_IO_WRITE)), 'uc_ctl(TLB_FLUSH)');
  }

  /**
   * Run a hook's `fn`, and if it throws, keep the error and stop the engine (never cross C
   * frames). `oneByOne`: the hook's register writes go in one uc_reg_write each (see
   * leaveHook).
   */
  guard(fn: () => void, oneByOne = false): void {
    this.enterHook();
    try {
      fn();
    } catch (e) {
      this.fail(e);
    }
    this.leaveHook(oneByOne);
  }

  /** A hook callback starts (the dispatchers call this). */
  enterHook(): void {
    this.hookDepth++;
  }

  /**
   * A hook callback ends: its register writes go to Unicorn, what it read ahead is dropped.
   * `oneByOne` after a UC_HOOK_CODE callback: Unicorn 2.1 keeps a PC written there only
   * when a plain uc_reg_write wrote it (that call alone sets the flag that makes the run
   * resume at the new PC); a PC written in a batch is undone, and the instruction runs again.
   */
  leaveHook(oneByOne = false): void {
    this.hookDepth--;
    this.cacheN = 0;
    if (this.pendN > 0) {
      try {
        this.flushWrites(oneByOne);
      } catch (e) {
        this.fail(e);
      }
    }
  }

  /** The register writes waiting, to Unicorn: one uc_reg_write, or one batch. */
  private flushWrites(oneByOne = false): void {
    const n = this.pendN;
    this.pendN = 0;
    if (oneByOne && n > 1) {
      for (let i = 0; i < n; i++) {
        this.halves[0] = this.pendHalves[2 * i]!;
        this.halves[1] = this.pendHalves[2 * i + 1]!;
        check(native!.uc_reg_write(this.uc, this.pendIds[i]!, this.oneBytes), 'uc_reg_write');
      }
      return;
    }
    if (n === 1) {
      this.halves[0] = this.pendHalves[0]!;
      this.halves[1] = this.pendHalves[1]!;
      check(native!.uc_reg_write(this.uc, this.pendIds[0]!, this.oneBytes), 'uc_reg_write');
      return;
    }
    const b = batchScratch();
    for (let i = 0; i < 2 * n; i++) b.halves[i] = this.pendHalves[i]!;
    check(native!.uc_reg_write_batch(this.uc, this.pendIds, b.ptrs, n), 'uc_reg_write_batch');
  }

  /** Before anything that reads or replaces the CPU state: the writes waiting go in. */
  private settle(): void {
    if (this.pendN > 0) this.flushWrites();
  }

  /**
   * Read `ids` in one call (all of them for about the cost of one uc_reg_read); regRead
   * serves them until the hook returns or the guest runs. The ids name registers none of
   * which shares storage with another (not rax and eax): a write of one of them drops just
   * that one, a write of any other register drops them all.
   */
  regPrefetch(ids: Int32Array): void {
    this.settle();
    const n = ids.length;
    if (n > BATCH) throw new RangeError(`regPrefetch: ${n} registers; at most ${BATCH}`);
    const b = batchScratch();
    const h = b.halves;
    // Unicorn stores only each register's own width. (Loops: a few elements cost less than
    // a call to fill or set.)
    for (let i = 0; i < 2 * n; i++) h[i] = 0;
    check(native!.uc_reg_read_batch(this.uc, ids, b.ptrs, n), 'uc_reg_read_batch');
    for (let i = 0; i < n; i++) this.cacheIds[i] = ids[i]!;
    for (let i = 0; i < 2 * n; i++) this.cacheHalves[i] = h[i]!;
    this.cacheN = n;
  }

  /** Where `id` is among the registers read ahead, or -1. */
  private cached(id: number): number {
    for (let i = 0; i < this.cacheN; i++) if (this.cacheIds[i] === id) return i;
    return -1;
  }

  /** A register is written: it is no longer served read ahead, nor (not one of them) is any. */
  private uncache(id: number): void {
    const i = this.cached(id);
    if (i >= 0) this.cacheIds[i] = -1;
    else this.cacheN = 0;
  }

  /** A hook threw: keep the (first) error and stop the engine; emuStart rethrows it. */
  fail(e: unknown): void {
    if (!this.hasPending) {
      this.pending = e;
      this.hasPending = true;
    }
    native!.uc_emu_stop(this.uc);
  }

  /** Install the UC_HOOK_CODE hook over [begin, end] (inclusive). */
  traceCode(begin: bigint, end: bigint): void {
    this.addHook(UC_HOOK_CODE, getDispatchers().code, begin, end, 'CODE');
  }

  /**
   * Call `handlers.watchedWrite` before every guest store into [begin, end] (inclusive).
   * Returns the hook, for `unhook`.
   */
  watchWrites(begin: bigint, end: bigint): unknown {
    return this.addHook(UC_HOOK_MEM_WRITE, getDispatchers().watched, begin, end, 'MEM_WRITE');
  }

  unhook(hook: unknown): void {
    check(native!.uc_hook_del(this.uc, hook), 'uc_hook_del');
    this.hookList.delete(hook);
  }

  /** uc_hook_add of one of the dispatchers over [begin, end]; the hook handle, kept in hookList. */
  private addHook(
    type: number,
    cb: unknown,
    begin: bigint,
    end: bigint,
    name: string,
    ...variadic: unknown[]
  ): unknown {
    const hh: [unknown] = [null];
    check(native!.uc_hook_add(this.uc, hh, type, cb, null, begin, end, ...variadic), `uc_hook_add(${name})`);
    this.hookList.set(hh[0], { kind: name, begin, end });
    return hh[0];
  }

  /** The hooks installed now, by kind and range ([1, 0] is everywhere), for tests and reports. */
  hooks(): { kind: string; begin: bigint; end: bigint }[] {
    return [...this.hookList.values()];
  }

  regRead(id: number): bigint {
    if (this.cacheN > 0) {
      const i = this.cached(id);
      if (i >= 0) return this.cacheVals[i]!;
    }
    if (this.pendN > 0) this.flushWrites();
    // Unicorn stores only the register's own width (4 bytes for EIP, 2 for CS): the rest
    // of the word must not keep what an earlier access left there.
    this.halves[0] = 0;
    this.halves[1] = 0;
    check(native!.uc_reg_read(this.uc, id, this.oneBytes), 'uc_reg_read');
    return this.one[0]!;
  }

  regReadHalves(id: number): Uint32Array {
    if (this.cacheN > 0) {
      const i = this.cached(id);
      if (i >= 0) {
        this.halves[0] = this.cacheHalves[2 * i]!;
        this.halves[1] = this.cacheHalves[2 * i + 1]!;
        if (!HOST_LE) this.halves.reverse();
        return this.halves;
      }
    }
    if (this.pendN > 0) this.flushWrites();
    this.halves[0] = 0;
    this.halves[1] = 0;
    check(native!.uc_reg_read(this.uc, id, this.oneBytes), 'uc_reg_read');
    // uc_reg_read stores in host order.
    if (!HOST_LE) this.halves.reverse();
    return this.halves;
  }

  /** A register as an Int: a number where exact (no BigInt is made), else a BigInt. */
  regReadInt(id: number): Int {
    return intOfHalves(this.regReadHalves(id));
  }

  /**
   * Write a register (modulo 2^64). Inside a hook the write waits for the hook's end, in
   * order with the others (see pendIds); a second write of the same register sends the
   * first ones before it.
   */
  regWrite(id: number, value: bigint | number): void {
    if (this.cacheN > 0) this.uncache(id);
    if (this.hookDepth > 0) {
      let n = this.pendN;
      for (let i = 0; i < n; i++)
        if (this.pendIds[i] === id) {
          this.flushWrites();
          n = 0;
          break;
        }
      if (n === BATCH) {
        this.flushWrites();
        n = 0;
      }
      this.pendIds[n] = id;
      if (typeof value === 'number' && value >= 0 && Number.isSafeInteger(value)) {
        // Two halves of an exact number: no BigInt is made (ToUint32 takes it modulo 2^32).
        this.pendHalves[2 * n + LO] = value >>> 0;
        this.pendHalves[2 * n + HI] = Math.floor(value / 0x100000000);
      } else {
        // The store takes the value modulo 2^64 (ToBigUint64).
        this.pendVals[n] = wordOf(value);
      }
      this.pendN = n + 1;
      return;
    }
    this.one[0] = wordOf(value);
    check(native!.uc_reg_write(this.uc, id, this.oneBytes), 'uc_reg_write');
  }

  /** Raw register access for registers wider than 64 bits or with a struct layout. */
  regReadBytes(id: number, size: number): Uint8Array {
    if (size > SCRATCH) throw new RangeError(`regReadBytes: ${size} bytes is more than a register holds`);
    this.settle();
    check(native!.uc_reg_read(this.uc, id, this.scratch), 'uc_reg_read');
    return this.scratch.slice(0, size);
  }

  regWriteBytes(id: number, bytes: Uint8Array): void {
    this.settle();
    this.cacheN = 0;
    check(native!.uc_reg_write(this.uc, id, bytes), 'uc_reg_write');
  }

  memMap(addr: bigint, size: number, perms: number): void {
    const what = `uc_mem_map(0x${addr.toString(16)}, 0x${size.toString(16)})`;
    if (size <= 0 || size > HOST_BACKED_MAX || addr + BigInt(size) > EXACT) {
      check(native!.uc_mem_map(this.uc, addr, size, this.physicalPerms(perms)), what);
      return;
    }
    const bytes = new Uint8Array(new ArrayBuffer(size));
    check(native!.uc_mem_map_ptr(this.uc, addr, size, this.physicalPerms(perms), bytes), what);
    const r: HostRegion = {
      start: addr,
      end: addr + BigInt(size),
      first: Number(addr),
      bytes,
      view: new DataView(bytes.buffer),
      exec: (perms & PROT_EXEC) !== 0,
    };
    const i = this.hostIndex(addr);
    this.host.splice(i, 0, r);
  }

  /** Under the virtual TLB a guest page's permissions live in the TLB, not in the mapping. */
  private physicalPerms(perms: number): number {
    return this.faultPage === undefined ? perms : PROT_READ | PROT_WRITE | PROT_EXEC;
  }

  memUnmap(addr: bigint, size: number): void {
    check(
      native!.uc_mem_unmap(this.uc, addr, size),
      `uc_mem_unmap(0x${addr.toString(16)}, 0x${size.toString(16)})`,
    );
    const [i, j] = this.splitHost(addr, addr + BigInt(size));
    this.host.splice(i, j - i);
    this.flushTlb();
  }

  /**
   * New permissions for guest pages. Under the virtual TLB the mapping stays as it is: the
   * TLB is flushed, so that the next access of each page asks tlbFill again, and code that
   * is no longer executable loses its translations.
   */
  memProtect(addr: bigint, size: number, perms: number): void {
    const what = `uc_mem_protect(0x${addr.toString(16)}, 0x${size.toString(16)})`;
    const exec = (perms & PROT_EXEC) !== 0;
    if (this.faultPage !== undefined) {
      // Refused as uc_mem_protect refuses it, with nothing changed.
      if ((addr & 0xfffn) !== 0n || (size & 0xfff) !== 0 || size <= 0)
        throw new UnicornError(UC_ERR_ARG, what);
      const [i, j] = this.splitHost(addr, addr + BigInt(size));
      let wasExec = j === i; // not host-backed: drop translations to be safe
      for (let k = i; k < j; k++) wasExec ||= this.host[k]!.exec;
      for (let k = i; k < j; k++) this.host[k]!.exec = exec;
      this.flushTlb();
      if (wasExec && !exec) this.removeCache(addr, addr + BigInt(size));
      return;
    }
    check(native!.uc_mem_protect(this.uc, addr, size, perms), what);
    const [i, j] = this.splitHost(addr, addr + BigInt(size));
    for (let k = i; k < j; k++) this.host[k]!.exec = exec;
  }

  /** Whether [addr, addr+size) lies in one host-backed region, which takes writes in place. */
  hostBacked(addr: bigint, size: number): boolean {
    return this.hostAt(addr, size) !== undefined;
  }

  /** Index of the first host region ending above `addr` (see hostAt on numbers). */
  private hostIndex(addr: bigint | number): number {
    const a = Number(addr);
    let lo = 0;
    let hi = this.host.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const r = this.host[mid]!;
      if (r.first + r.bytes.length <= a) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /**
   * Cut host regions at `start` and `end` as Unicorn cut its own, each piece keeping its
   * part of the buffer; returns the index range of the pieces inside [start, end).
   */
  private splitHost(start: bigint, end: bigint): [number, number] {
    this.lastHost = undefined;
    const cut = (at: bigint): void => {
      const i = this.hostIndex(at);
      const r = this.host[i];
      if (!r || r.start >= at) return;
      const n = Number(at - r.start);
      const right = r.bytes.subarray(n);
      r.bytes = r.bytes.subarray(0, n);
      r.view = new DataView(r.bytes.buffer, r.bytes.byteOffset, r.bytes.length);
      this.host.splice(i + 1, 0, {
        start: at,
        end: r.end,
        first: Number(at),
        bytes: right,
        view: new DataView(right.buffer, right.byteOffset, right.length),
        exec: r.exec,
      });
      r.end = at;
    };
    cut(start);
    cut(end);
    let j = this.hostIndex(start);
    const i = j;
    while (j < this.host.length && this.host[j]!.start < end) j++;
    return [i, j];
  }

  /**
   * The host region holding all of [addr, addr+size), its offset left in `hostOff`; or
   * undefined (not host-backed, or across regions: Unicorn's own calls take those).
   */
  private hostAt(addr: bigint | number, size: number): HostRegion | undefined {
    // Host-backed regions end at or below 2^53, where addresses are exact as numbers; one
    // above rounds to 2^53 or more and misses them all. No BigInt is made on this path.
    const a = Number(addr);
    let r = this.lastHost;
    if (r === undefined || a < r.first || a >= r.first + r.bytes.length) {
      r = this.host[this.hostIndex(addr)];
      if (r === undefined || a < r.first) return undefined;
      this.lastHost = r;
    }
    const off = a - r.first;
    if (off + size > r.bytes.length) return undefined;
    this.hostOff = off;
    return r;
  }

  memRead(addr: bigint, size: number): Uint8Array {
    const h = this.hostAt(addr, size);
    if (h) return h.bytes.slice(this.hostOff, this.hostOff + size);
    // Small reads go through the engine's own buffer and come back as a copy: handing koffi
    // a new small typed array makes V8 move its bytes off the heap first (~1 us a call).
    const small = size <= SCRATCH;
    const buf = small ? this.scratch : new Uint8Array(size);
    if (size > 0) {
      const err = native!.uc_mem_read(this.uc, addr, buf, size);
      if (err !== UC_ERR_OK) throw new UnicornError(err, `uc_mem_read(0x${addr.toString(16)}, ${size})`);
    }
    return small ? buf.slice(0, size) : buf;
  }

  memReadWord(addr: bigint, size: 4 | 8, littleEndian: boolean): bigint {
    const h = this.hostAt(addr, size);
    if (h)
      return size === 8
        ? h.view.getBigUint64(this.hostOff, littleEndian)
        : BigInt(h.view.getUint32(this.hostOff, littleEndian));
    const err = native!.uc_mem_read(this.uc, addr, this.scratch, size);
    if (err !== UC_ERR_OK) throw new UnicornError(err, `uc_mem_read(0x${addr.toString(16)}, ${size})`);
    return size === 8
      ? this.scratchView.getBigUint64(0, littleEndian)
      : BigInt(this.scratchView.getUint32(0, littleEndian));
  }

  memReadHalves(addr: bigint | number, size: 4 | 8, littleEndian: boolean): Uint32Array {
    const h = this.hostAt(addr, size);
    let view: DataView = this.scratchView;
    let at = 0;
    if (h) {
      view = h.view;
      at = this.hostOff;
    } else {
      const where = BigInt(addr);
      const err = native!.uc_mem_read(this.uc, where, this.scratch, size);
      if (err !== UC_ERR_OK) throw new UnicornError(err, `uc_mem_read(0x${where.toString(16)}, ${size})`);
    }
    const out = this.memHalves;
    if (size === 4) {
      out[0] = view.getUint32(at, littleEndian);
      out[1] = 0;
    } else {
      out[0] = view.getUint32(littleEndian ? at : at + 4, littleEndian);
      out[1] = view.getUint32(littleEndian ? at + 4 : at, littleEndian);
    }
    return out;
  }

  /** A 4- or 8-byte word as an Int: a number where exact (no BigInt is made), else a BigInt. */
  memReadInt(addr: Int, size: 4 | 8, littleEndian: boolean): Int {
    return intOfHalves(this.memReadHalves(addr, size, littleEndian));
  }

  /** Read into a caller-owned buffer (no allocation). */
  memReadInto(addr: bigint, buf: Uint8Array): void {
    const h = this.hostAt(addr, buf.length);
    if (h) {
      buf.set(h.bytes.subarray(this.hostOff, this.hostOff + buf.length));
      return;
    }
    const err = native!.uc_mem_read(this.uc, addr, buf, buf.length);
    if (err !== UC_ERR_OK) throw new UnicornError(err, `uc_mem_read(0x${addr.toString(16)}, ${buf.length})`);
  }

  /** A 4- or 8-byte word in the given byte order, written without allocating. */
  memWriteWord(addr: Int, size: 4 | 8, value: Int, littleEndian: boolean): void {
    const h = this.hostAt(addr, size);
    const view = h ? h.view : this.scratchView;
    const at = h ? this.hostOff : 0;
    // An exact number goes in as two halves (ToUint32, >>> 0, takes it modulo 2^32), a
    // BigInt through setBigUint64 (modulo 2^64): no BigInt is made for a number.
    const n = typeof value === 'number' ? value : narrowInt(value);
    if (typeof n === 'number' && n >= 0 && Number.isSafeInteger(n)) {
      if (size === 8) {
        view.setUint32(littleEndian ? at : at + 4, n >>> 0, littleEndian);
        view.setUint32(littleEndian ? at + 4 : at, Math.floor(n / 0x100000000), littleEndian);
      } else view.setUint32(at, n >>> 0, littleEndian);
    } else if (size === 8) view.setBigUint64(at, wordOf(n), littleEndian);
    else view.setUint32(at, Number(BigInt.asUintN(32, wordOf(n))), littleEndian);
    if (h) {
      if (h.exec) this.removeCache(BigInt(addr), BigInt(addr) + BigInt(size));
      return;
    }
    const where = BigInt(addr);
    const err = native!.uc_mem_write(this.uc, where, this.scratch, size);
    if (err !== UC_ERR_OK) throw new UnicornError(err, `uc_mem_write(0x${where.toString(16)}, ${size})`);
  }

  /**
   * Host-backed memory takes the bytes in place, whatever its permissions (as uc_mem_write,
   * but with no protect-and-back of read-only code, after which Unicorn 2.0.1 runs that code
   * more slowly); translations of code written so are dropped.
   */
  memWrite(addr: bigint, bytes: Uint8Array): void {
    const h = this.hostAt(addr, bytes.length);
    if (h) {
      h.bytes.set(bytes, this.hostOff);
      if (h.exec && bytes.length > 0) this.removeCache(addr, addr + BigInt(bytes.length));
      return;
    }
    if (bytes.length > 0) {
      // Copied into the engine's own buffer, for the reason memRead gives.
      let from = bytes;
      if (bytes.length <= SCRATCH) {
        this.scratch.set(bytes);
        from = this.scratch;
      }
      const err = native!.uc_mem_write(this.uc, addr, from, bytes.length);
      if (err !== UC_ERR_OK)
        throw new UnicornError(err, `uc_mem_write(0x${addr.toString(16)}, ${bytes.length})`);
    }
  }

  /** Drop translated blocks covering [begin, end): required after writing code. */
  removeCache(begin: bigint, end: bigint): void {
    check(
      native!.uc_ctl(
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

  /** Drop every translated block. Never call from a UC_HOOK_CODE callback (crashes 2.0.1). */
  flushTb(): void {
    check(native!.uc_ctl(this.uc, ctl(UC_CTL_TB_FLUSH, 0, UC_CTL_IO_WRITE)), 'uc_ctl(TB_FLUSH)');
  }

  setCpuModel(model: number): void {
    check(
      native!.uc_ctl(this.uc, ctl(UC_CTL_CPU_MODEL, 1, UC_CTL_IO_WRITE), 'int', model),
      'uc_ctl(CPU_MODEL)',
    );
  }

  /**
   * Run from `begin` until `until`, a stop request, an error or `count` instructions
   * (0 = no limit; a non-zero count makes Unicorn add a per-instruction hook).
   * Returns the uc_err code of the run; rethrows an error a hook raised.
   */
  emuStart(begin: bigint, until: bigint, count = 0): number {
    this.settle();
    this.cacheN = 0;
    const err = native!.uc_emu_start(this.uc, begin, until, 0n, count);
    this.cacheN = 0;
    if (this.hasPending) {
      const e = this.pending;
      this.pending = undefined;
      this.hasPending = false;
      throw e;
    }
    return err;
  }

  emuStop(): void {
    check(native!.uc_emu_stop(this.uc), 'uc_emu_stop');
  }

  contextSave(into?: CpuContext): CpuContext {
    let ctx = into;
    if (!ctx) {
      const out: [unknown] = [null];
      check(native!.uc_context_alloc(this.uc, out), 'uc_context_alloc');
      ctx = { ptr: out[0] };
      this.contexts.add(ctx.ptr);
    }
    this.settle();
    check(native!.uc_context_save(this.uc, ctx.ptr), 'uc_context_save');
    return ctx;
  }

  contextRegWrite(ctx: CpuContext, id: number, value: bigint): void {
    this.one[0] = BigInt.asUintN(64, value);
    check(native!.uc_context_reg_write(ctx.ptr, id, this.oneBytes), 'uc_context_reg_write');
  }

  contextRestore(ctx: CpuContext): void {
    this.settle();
    this.cacheN = 0;
    check(native!.uc_context_restore(this.uc, ctx.ptr), 'uc_context_restore');
  }

  freeContext(ctx: CpuContext): void {
    if (this.contexts.delete(ctx.ptr)) native!.uc_context_free(ctx.ptr);
  }

  /** Size in bytes of a saved context. */
  contextSize(): number {
    return Number(native!.uc_context_size(this.uc));
  }

  /**
   * Raw bytes of a saved context; used to locate fields Unicorn does not expose as
   * registers (the ppc MSR[HV] workaround).
   */
  contextBytes(ctx: CpuContext): Uint8Array {
    // uc_context is { size_t context_size; uc_mode mode; uc_arch arch; char data[]; } and
    // uc_context_size() counts the header too.
    const raw = koffi.decode(ctx.ptr as never, koffi.array('uint8_t', this.contextSize())) as number[];
    return Uint8Array.from(raw);
  }

  /** Write raw bytes back over a saved context (same layout as `contextBytes`). */
  setContextBytes(ctx: CpuContext, bytes: Uint8Array): void {
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
    for (const c of this.contexts) native!.uc_context_free(c);
    this.contexts.clear();
    engines.delete(this.key);
    enginesChanged();
    native!.uc_close(this.uc);
    this.uc = null;
    this.pendN = 0;
    this.cacheN = 0;
    this.host = [];
    this.lastHost = undefined;
  }
}

function check(err: number, call: string): void {
  if (err !== UC_ERR_OK) throw new UnicornError(err, call);
}
