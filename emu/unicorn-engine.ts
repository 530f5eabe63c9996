// Counterpart: Qiling's Unicorn layer (qiling/arch/*.py over unicorn.Uc): the CPU engine
// interface on top of the Unicorn binding, with the virtual TLB of Unicorn 2.1, the fault
// reports and the register cache that keep traps cheap.
import type { AccessKind, CpuEngine, EngineContext, EngineHandlers, RunEnd, WriteWatcher } from './engine.js';
import { PROT_EXEC, PROT_READ, PROT_WRITE } from './engine.js';
import type { CpuKind } from './isa.js';
import { RegisterCache } from './reg-cache.js';
import type { GuestAddr } from './addr.js';
import {
  Unicorn,
  UnicornError,
  UC_ERR_ARG,
  UC_ERR_FETCH_PROT,
  UC_ERR_FETCH_UNALIGNED,
  UC_ERR_FETCH_UNMAPPED,
  UC_ERR_INSN_INVALID,
  UC_ERR_OK,
  UC_ERR_READ_PROT,
  UC_ERR_READ_UNALIGNED,
  UC_ERR_READ_UNMAPPED,
  UC_ERR_WRITE_PROT,
  UC_ERR_WRITE_UNALIGNED,
  UC_ERR_WRITE_UNMAPPED,
  UC_HOOK_CODE,
  UC_HOOK_INSN,
  UC_HOOK_INTR,
  UC_HOOK_MEM_INVALID,
  UC_HOOK_MEM_READ,
  UC_HOOK_MEM_UNMAPPED,
  UC_HOOK_MEM_WRITE,
  UC_HOOK_TLB_FILL,
  UC_MEM_FETCH,
  UC_MEM_FETCH_PROT,
  UC_MEM_FETCH_UNMAPPED,
  UC_MEM_READ,
  UC_MEM_READ_PROT,
  UC_MEM_READ_UNMAPPED,
  UC_MEM_WRITE,
  UC_PROT_ALL,
  UC_X86_INS_SYSCALL,
  ucVersion,
  unicornMode,
  type TlbEntry,
} from './unicorn.js';

/** QEMU's first TLB size (CPU_TLB_DYN_DEFAULT_BITS 8), and twice its largest (2^22 entries). */
const TLB_FIRST_SIZE = 1 << 8;
const TLB_GROW_MAX = 2 * (1 << 22);

/** Whether the loaded library is at least `major`.`minor`. */
function engineAtLeast(major: number, minor: number): boolean {
  const v = ucVersion();
  return v.major > major || (v.major === major && v.minor >= minor);
}

/** Whether the loaded library has the virtual TLB (UC_TLB_VIRTUAL, Unicorn 2.1 and newer). */
export function engineHasVirtualTlb(): boolean {
  return engineAtLeast(2, 1);
}

/** What each failing uc_emu_start means for the guest. */
const RUN_ENDS = new Map<number, RunEnd>([
  [UC_ERR_OK, 'ok'],
  [UC_ERR_READ_UNMAPPED, 'read-unmapped'],
  [UC_ERR_WRITE_UNMAPPED, 'write-unmapped'],
  [UC_ERR_FETCH_UNMAPPED, 'fetch-unmapped'],
  [UC_ERR_READ_PROT, 'read-prot'],
  [UC_ERR_WRITE_PROT, 'write-prot'],
  [UC_ERR_FETCH_PROT, 'fetch-prot'],
  [UC_ERR_READ_UNALIGNED, 'unaligned'],
  [UC_ERR_WRITE_UNALIGNED, 'unaligned'],
  [UC_ERR_FETCH_UNALIGNED, 'unaligned'],
  [UC_ERR_INSN_INVALID, 'invalid-insn'],
]);

/** What a denial of the virtual TLB means on a mapped page. */
const UNMAPPED_TO_PROT = new Map<RunEnd, RunEnd>([
  ['read-unmapped', 'read-prot'],
  ['write-unmapped', 'write-prot'],
  ['fetch-unmapped', 'fetch-prot'],
]);

function accessOf(type: number): AccessKind {
  if (type === UC_MEM_READ || type === UC_MEM_READ_UNMAPPED || type === UC_MEM_READ_PROT) return 'read';
  if (type === UC_MEM_FETCH_UNMAPPED || type === UC_MEM_FETCH_PROT || type === UC_MEM_FETCH) return 'fetch';
  return 'write';
}

export interface UnicornEngineOptions {
  /** x86_64: system calls arrive through UC_HOOK_INSN. */
  syscallInsn: boolean;
  /**
   * Run under the virtual TLB (Unicorn 2.1) with this fault page (see useVirtualTlb); else
   * on the flat MMU.
   */
  faultPage?: bigint;
  /**
   * Flat MMU only: with a UC_HOOK_MEM_READ/WRITE present, Unicorn 2.0.1 syncs the guest PC
   * before each x86 load and store, so a faulting access reports its own instruction
   * instead of the start of its translation block. The hooks cover this one never-mapped
   * byte, so they never call back; the sync costs ~35 ns per load and ~60 ns per store.
   */
  preciseFaultsAt?: bigint;
}

/** A count a nested run never reaches (size_t; exact as a double). */
const NEVER = 2 ** 52;

/** The CPU engine on Unicorn. */
export class UnicornEngine implements CpuEngine {
  private readonly uc: Unicorn;
  private readonly regs: RegisterCache;
  /** Under the virtual TLB: the never-mapped physical page denied accesses are sent to. */
  private readonly faultPage: bigint | undefined;
  /** The page of the last denied access, as the fill callback got it (exact, even above 2^53). */
  private deniedPage: number | bigint = 0;
  /** The address of the last fault reported, and whether its page is mapped. */
  private lastFaultMapped = false;
  pageLookups = 0;
  /** Pages whose loads see other bytes (shadowReads): the physical page each is mapped at. */
  private readonly shadows = new Map<number, bigint>();
  /** Physical pages above the fault page free for shadows, and the next never used. */
  private readonly freeShadowPages: bigint[] = [];
  private nextShadowPage = 1n;
  /** Store watches (watchWrites), each with its hook. */
  private readonly watches: { hook: unknown; begin: GuestAddr; end: GuestAddr; fn: WriteWatcher }[] = [];
  /** The count of each uc_emu_start running now, outermost first (0: not counted). */
  private readonly counts: number[] = [];
  /** The count the last run to end was given (0: not counted), for ranInsns. */
  private lastCount = 0;
  /** Fills since the TLB was last flushed, and how many make growTlb flush it. */
  private fillsSinceFlush = 0;
  private growAt = 2 * TLB_FIRST_SIZE;
  readonly description: string;
  readonly reportsFaultingPc: boolean;
  readonly translatesEveryEncoding: boolean;

  constructor(
    kind: CpuKind,
    readonly handlers: EngineHandlers,
    options: UnicornEngineOptions,
  ) {
    const { arch } = kind;
    if (arch === 'ia64') throw new Error('Unicorn has no IA-64: emu/ia64/engine.ts runs it');
    const v = ucVersion();
    this.description = `Unicorn ${v.text}`;
    // Unicorn 2.1 reports a faulting load or store at its own instruction (2.0.1: at the
    // start of its block), and translates every x86 encoding (2.0.1's translator aborts the
    // process on ff /3 and ff /5 with a register operand).
    this.reportsFaultingPc = engineAtLeast(2, 1);
    this.translatesEveryEncoding = engineAtLeast(2, 1);
    this.uc = new Unicorn(...unicornMode({ ...kind, arch }), {
      intr: handlers.trap,
      syscall: handlers.syscall,
      code: (a) => handlers.code?.(Number(a)),
      memInvalid: (type, address) => this.reportFault(type, address),
      access: (type, address, size, value) => this.watched(type, address, size, value),
      tlbFill: (vaddr, type, entry) => this.fillTlb(vaddr, type, entry),
      hookStart: () => this.regs.enterHook(),
      hookEnd: (code) => this.regs.leaveHook(code),
    });
    this.regs = new RegisterCache(this.uc);
    try {
      this.uc.hookAdd(UC_HOOK_INTR, 1n, 0n, 'INTR');
      this.faultPage = options.faultPage;
      if (options.faultPage !== undefined) this.useVirtualTlb(options.faultPage);
      else this.uc.hookAdd(UC_HOOK_MEM_INVALID, 1n, 0n, 'MEM_INVALID');
      if (options.preciseFaultsAt !== undefined && options.faultPage === undefined) {
        const at = options.preciseFaultsAt;
        this.uc.hookAdd(UC_HOOK_MEM_READ | UC_HOOK_MEM_WRITE, at, at, 'MEM_READ|WRITE');
      }
      if (options.syscallInsn)
        this.uc.hookAdd(UC_HOOK_INSN, 1n, 0n, 'INSN syscall', 'int', UC_X86_INS_SYSCALL);
    } catch (e) {
      this.uc.close();
      throw e;
    }
  }

  /** Whether guest pages are resolved by `handlers.pagePerms` (Unicorn 2.1's UC_TLB_VIRTUAL). */
  get virtualTlb(): boolean {
    return this.faultPage !== undefined;
  }

  /**
   * Resolve guest pages through `handlers.pagePerms` (Unicorn 2.1 and newer): guest virtual
   * addresses map to the same physical ones, every physical mapping is readable, writable
   * and executable, and a page's permissions for the guest are what pagePerms returns.
   * Stores then take QEMU's fast path (about 1.5 ns against 30-110 ns on the flat MMU:
   * docs/unicorn-2.1.md).
   *
   * A denied access must still report its exact address, and the fill callback is given
   * only the page. So the page is sent, for that access alone, to `faultPage`, a physical
   * page that is never mapped; the access then fails there, and a memory hook bounded to
   * that one page (which slows no other access: Unicorn checks memory hooks by physical
   * address) sees the offset. The TLB is flushed after the run that faulted.
   */
  private useVirtualTlb(faultPage: bigint): void {
    if (!engineHasVirtualTlb())
      throw new Error(`the virtual TLB needs Unicorn 2.1 or newer (this is ${ucVersion().text})`);
    this.uc.ctlVirtualTlb();
    this.uc.hookAdd(UC_HOOK_TLB_FILL, 1n, 0n, 'TLB_FILL');
    this.uc.hookAdd(UC_HOOK_MEM_UNMAPPED, faultPage, faultPage + 0xfffn, 'MEM_UNMAPPED');
  }

  /**
   * The TLB fill callback: the guest page at `vaddr` for an access of `type`. A page whose
   * permissions allow the access maps to itself with all its permissions (one fill serves
   * every later access of any kind); any other goes to the fault page (see useVirtualTlb).
   */
  private fillTlb(vaddr: number | bigint, type: number, entry: TlbEntry): boolean {
    const faultPage = this.faultPage;
    if (faultPage === undefined) return false;
    this.pageLookups++;
    if (++this.fillsSinceFlush >= this.growAt) this.growTlb();
    // Guest pages lie below 2^53: a page above maps nowhere, whatever its rounding.
    const page = Number(vaddr);
    let perms = -1;
    try {
      perms = this.handlers.pagePerms(page);
    } catch (e) {
      this.uc.fail(e);
    }
    const need = type === UC_MEM_READ ? PROT_READ : type === UC_MEM_WRITE ? PROT_WRITE : PROT_EXEC;
    if (perms < 0 || (perms & need) === 0) {
      this.deniedPage = vaddr;
      entry.paddr = faultPage;
      entry.perms = need;
    } else if (this.shadows.size === 0 || !this.shadows.has(page)) {
      entry.paddr = page;
      entry.perms = perms;
    } else if (type === UC_MEM_READ) {
      // Loads go to the shadow, the rest to the page; each entry serves its kind of access
      // alone, so the next access of the other kind fills again.
      entry.paddr = this.shadows.get(page) as bigint;
      entry.perms = PROT_READ;
    } else {
      entry.paddr = page;
      entry.perms = perms & ~PROT_READ;
    }
    return true;
  }

  shadowReads(page: GuestAddr, bytes: Uint8Array | undefined): boolean {
    const faultPage = this.faultPage;
    if (faultPage === undefined) return false;
    const old = this.shadows.get(page);
    if (old !== undefined) {
      this.uc.memUnmap(old, 0x1000);
      this.shadows.delete(page);
      this.freeShadowPages.push(old);
    }
    if (bytes) {
      if (bytes.length !== 0x1000 || page % 0x1000 !== 0)
        throw new RangeError(
          `shadowReads: 0x${page.toString(16)} with ${bytes.length} bytes is not one page`,
        );
      // Physical pages above the fault page, which no guest page uses (guest pages map to
      // their own addresses, all below it).
      const at = this.freeShadowPages.pop() ?? faultPage + 0x1000n * this.nextShadowPage++;
      this.uc.memMapPtr(at, bytes, UC_PROT_ALL);
      this.shadows.set(page, at);
    }
    this.flushTlb();
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

  /** Drop every TLB entry (Unicorn 2.1): page permissions changed, or an access was denied. */
  private flushTlb(): void {
    if (this.faultPage === undefined) return;
    this.fillsSinceFlush = 0;
    this.uc.ctlFlushTlb();
  }

  /** A failed access: under the virtual TLB it failed on the fault page, for the page fillTlb denied. */
  private reportFault(type: number, address: bigint): void {
    let at = address;
    if (this.faultPage !== undefined)
      at = BigInt.asUintN(64, BigInt(this.deniedPage) + (address - this.faultPage));
    this.lastFaultMapped = at < 1n << 53n && this.handlers.pagePerms(Number(at - (at % 0x1000n))) >= 0;
    this.handlers.fault(accessOf(type), at);
  }

  regRead(id: number): bigint {
    return this.regs.read(id);
  }

  regReadHalves(id: number): Uint32Array {
    return this.regs.readHalves(id);
  }

  regReadAddr(id: number): GuestAddr {
    return this.regs.readAddr(id);
  }

  regWrite(id: number, value: bigint | number): void {
    this.regs.write(id, value);
  }

  regReadBytes(id: number, size: number): Uint8Array {
    this.regs.settle();
    const out = new Uint8Array(Math.max(size, 64));
    this.uc.regRead(id, out);
    return out.slice(0, size);
  }

  regWriteBytes(id: number, bytes: Uint8Array): void {
    this.regs.wroteRaw();
    this.uc.regWrite(id, bytes);
  }

  regPrefetch(ids: Int32Array): void {
    this.regs.prefetch(ids);
  }

  contextSave(into?: EngineContext): EngineContext {
    const ctx = into ?? this.uc.contextAlloc();
    this.regs.settle();
    this.uc.contextSave(ctx);
    return ctx;
  }

  contextRestore(ctx: EngineContext): void {
    this.regs.settle();
    this.regs.forget();
    this.uc.contextRestore(ctx);
  }

  freeContext(ctx: EngineContext): void {
    this.uc.contextFree(ctx);
  }

  contextBytes(ctx: EngineContext): Uint8Array {
    return this.uc.contextBytes(ctx);
  }

  setContextBytes(ctx: EngineContext, bytes: Uint8Array): void {
    this.uc.setContextBytes(ctx, bytes);
  }

  /** Under the virtual TLB a guest page's permissions live in the TLB, not in the mapping. */
  private physicalPerms(perms: number): number {
    return this.faultPage === undefined ? perms : UC_PROT_ALL;
  }

  map(addr: GuestAddr, bytes: Uint8Array, perms: number): void {
    this.uc.memMapPtr(BigInt(addr), bytes, this.physicalPerms(perms));
  }

  unmap(addr: GuestAddr, size: number): void {
    this.uc.memUnmap(BigInt(addr), size);
    this.flushTlb();
  }

  /**
   * New permissions for guest pages. Under the virtual TLB the mapping stays as it is: the
   * TLB is flushed, so that the next access of each page asks pagePerms again, and code is
   * dropped from the translation cache (it may no longer be executable).
   */
  protect(addr: GuestAddr, size: number, perms: number): void {
    if (this.faultPage === undefined) {
      this.uc.memProtect(BigInt(addr), size, perms);
      return;
    }
    // Refused as uc_mem_protect refuses it, with nothing changed.
    if (addr % 0x1000 !== 0 || size % 0x1000 !== 0 || size <= 0)
      throw new UnicornError(UC_ERR_ARG, `uc_mem_protect(0x${addr.toString(16)}, 0x${size.toString(16)})`);
    this.flushTlb();
    if ((perms & PROT_EXEC) === 0) this.uc.ctlRemoveCache(BigInt(addr), BigInt(addr + size));
  }

  invalidateCode(begin: GuestAddr, end: GuestAddr): void {
    this.uc.ctlRemoveCache(BigInt(begin), BigInt(end));
  }

  traceCode(begin: GuestAddr, end: GuestAddr): void {
    this.uc.hookAdd(UC_HOOK_CODE, BigInt(begin), BigInt(end), 'CODE');
  }

  watchWrites(begin: GuestAddr, end: GuestAddr, fn: WriteWatcher): () => void {
    if (end <= begin)
      throw new RangeError(`watchWrites: empty range 0x${begin.toString(16)}..0x${end.toString(16)}`);
    // A store that starts before the range and reaches into it is seen too: the hook begins
    // up to 7 bytes lower, and watched() checks the overlap.
    const hook = this.uc.hookAdd(
      UC_HOOK_MEM_WRITE,
      BigInt(Math.max(0, begin - 7)),
      BigInt(end - 1),
      'MEM_WRITE',
    );
    const w = { hook, begin, end, fn };
    this.watches.push(w);
    return () => this.unwatch(w);
  }

  private unwatch(w: (typeof this.watches)[number]): void {
    const i = this.watches.indexOf(w);
    if (i < 0) return;
    this.watches.splice(i, 1);
    this.uc.hookDel(w.hook);
  }

  /** A store a watch's hook saw: each watch it overlaps is told, and goes once satisfied. */
  private watched(type: number, address: bigint, size: number, value: bigint): void {
    if (type !== UC_MEM_WRITE) return;
    const at = Number(address);
    for (const w of [...this.watches]) {
      if (at + size <= w.begin || at >= w.end) continue;
      if (w.fn(at, size, value)) this.unwatch(w);
    }
  }

  run(begin: GuestAddr, until: GuestAddr, count = 0): RunEnd {
    return this.counts.length > 0 ? this.runNested(begin, until, count) : this.runOnce(begin, until, count);
  }

  /**
   * A run from inside a hook (a handler's guest call). While the outer run counts, uc_emu_start
   * would reset the outer count, and with no count of its own delete the count hook and flush
   * every translation: it runs with a count it never reaches instead, and the outer count is
   * put back after it, so the outer run stops where it would have stopped.
   */
  private runNested(begin: GuestAddr, until: GuestAddr, count: number): RunEnd {
    const counted = (this.counts.at(-1) ?? 0) > 0;
    const outer = counted ? this.uc.countState() : undefined;
    if (counted && outer === undefined)
      throw new Error(
        `${this.description}: a guest call inside a counted run (under a budget or quantum) needs this library's instruction count, which was not found in its uc_struct`,
      );
    try {
      return this.runOnce(begin, until, outer !== undefined && count === 0 ? NEVER : count);
    } finally {
      if (outer !== undefined) this.uc.setCountState(outer);
    }
  }

  ranInsns(): number | undefined {
    // Unicorn's count hook adds one before each instruction and stops the run when it passes
    // the count (uc.c, hook_count_cb): the counter says how many instructions began. It stays
    // until the next uc_emu_start, and a nested run puts the outer one's back when it ends.
    const state = this.lastCount > 0 ? this.uc.countState() : undefined;
    return state === undefined ? undefined : Math.min(state[0], this.lastCount);
  }

  runningInsns(): number | undefined {
    const count = this.counts.at(-1);
    if (count === undefined || count === 0) return undefined;
    const state = this.uc.countState();
    return state === undefined ? undefined : Math.min(state[0], count);
  }

  private runOnce(begin: GuestAddr, until: GuestAddr, count: number): RunEnd {
    this.regs.settle();
    this.regs.forget();
    this.lastFaultMapped = false;
    this.counts.push(count);
    let err: number;
    try {
      err = this.uc.emuStart(BigInt(begin), BigInt(until), count);
    } finally {
      this.counts.pop();
    }
    this.lastCount = count;
    this.regs.forget();
    let end = RUN_ENDS.get(err);
    if (end === undefined) throw new UnicornError(err, 'uc_emu_start');
    if (end !== 'ok' && this.faultPage !== undefined) {
      // A denied access left its page's TLB entry on the fault page, and every denial
      // arrives as "unmapped": a mapped page means its permissions refused.
      this.flushTlb();
      if (this.lastFaultMapped) end = UNMAPPED_TO_PROT.get(end) ?? end;
    }
    return end;
  }

  stop(): void {
    this.uc.emuStop();
  }

  hooks(): { kind: string; begin: bigint; end: bigint }[] {
    return this.uc.hooks();
  }

  get closed(): boolean {
    return this.uc.closed;
  }

  close(): void {
    this.uc.close();
    this.regs.clear();
  }
}
