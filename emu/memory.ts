// Counterpart: Linux mm/mmap.c as a user program sees it (mmap, munmap, mprotect, brk),
// at page granularity, over Unicorn's mappings.
import { PROT_EXEC, PROT_READ, PROT_WRITE, type Unicorn } from './unicorn.js';

export const PAGE = 0x1000n;
export const alignDown = (v: bigint): bigint => v & ~(PAGE - 1n);
export const alignUp = (v: bigint): bigint => (v + PAGE - 1n) & ~(PAGE - 1n);

export { PROT_EXEC, PROT_READ, PROT_WRITE };

interface Area {
  start: bigint;
  end: bigint;
  /** `start` and `end` as numbers (guest mappings lie below 2^53), for pagePerms. */
  first: number;
  last: number;
  perms: number;
  /** Who made it: 'image', 'stack', 'brk', 'mmap', 'engine'. */
  kind: string;
  /** The write hook of a guarded area (see `guarded`). */
  watch?: unknown;
  /** A guarded area the guest tried to write: now read-only in Unicorn too. */
  locked?: boolean;
}

/** Code the guest may not write: executable, not writable. */
const readOnlyCode = (perms: number): boolean => (perms & PROT_EXEC) !== 0 && (perms & PROT_WRITE) === 0;

/** Thrown when a limit (--max-memory) refuses a mapping; callers turn it into ENOMEM. */
export class OutOfMemory extends Error {}

/**
 * Guest memory: a sorted list of mapped areas mirrored in Unicorn, byte-order aware word
 * access, and `patchCode`, the only correct way to change code that may have been run.
 */
export class Memory {
  private areas: Area[] = [];
  /** The area pagePerms found last (dropped whenever the list changes). */
  private lastArea: Area | undefined;
  /** Read-only pages patchCode opened for writing, with their permissions: see seal(). */
  private readonly opened = new Map<bigint, number>();
  private mappedBytes = 0n;

  constructor(
    private readonly uc: Unicorn,
    readonly littleEndian: boolean,
    readonly wordSize: 4 | 8,
    /** Upper bound on mapped guest bytes (image, stacks, heap and mappings together). */
    readonly maxBytes: bigint,
    /**
     * Map read-only code writable in Unicorn and keep it read-only for the guest with a
     * write hook. After any uc_mem_protect of a code region, or a uc_mem_write into a
     * read-only one (which protects it writable and back), Unicorn 2.0.1 runs that code
     * more slowly (bench/RESULTS.md). Host-backed code (Unicorn.memMap) takes patches in
     * place with no protect; this keeps mappings Unicorn allocates unprotected as well. The
     * hook costs nothing where stores already sync the PC for precise faults (x86);
     * elsewhere it slows every store, and such pages are protected around patches instead.
     */
    readonly guardCodeWithHook = false,
  ) {}

  /** An area whose code Unicorn lets us (not the guest) write without a protect. */
  private guarded(perms: number): boolean {
    return this.guardCodeWithHook && readOnlyCode(perms);
  }

  get totalMapped(): bigint {
    return this.mappedBytes;
  }

  /** Map [start, start+size) page aligned; throws OutOfMemory past the limit. */
  map(start: bigint, size: bigint, perms: number, kind: string): void {
    const s = alignDown(start);
    const e = alignUp(start + size);
    if (this.mappedBytes + (e - s) > this.maxBytes)
      throw new OutOfMemory(`guest memory limit of ${this.maxBytes} bytes reached`);
    this.uc.memMap(s, Number(e - s), this.guarded(perms) ? perms | PROT_WRITE : perms);
    this.insert(this.watched({ start: s, end: e, first: Number(s), last: Number(e), perms, kind }));
    this.mappedBytes += e - s;
  }

  /** Unmap every mapped page of [start, end); unmapped holes are skipped as munmap does. */
  unmap(start: bigint, end: bigint): void {
    this.seal();
    for (const a of this.overlapping(start, end)) {
      const s = a.start > start ? a.start : start;
      const e = a.end < end ? a.end : end;
      this.uc.memUnmap(s, Number(e - s));
      this.mappedBytes -= e - s;
      this.cut(a, s, e, undefined);
    }
  }

  /** Change permissions of [start, end); false if part of it is not mapped (ENOMEM). */
  protect(start: bigint, end: bigint, perms: number): boolean {
    this.seal();
    if (!this.covered(start, end)) return false;
    for (const a of this.overlapping(start, end)) {
      const s = a.start > start ? a.start : start;
      const e = a.end < end ? a.end : end;
      this.uc.memProtect(s, Number(e - s), this.guarded(perms) ? perms | PROT_WRITE : perms);
      this.cut(a, s, e, perms);
    }
    return true;
  }

  /**
   * A guest store into a guarded area, before it is done: make the area read-only in
   * Unicorn as well, so that the store faults (UC_ERR_WRITE_PROT) as on the real page.
   * The whole area is protected, so Unicorn does not split the region under the store.
   */
  guestWroteCode(addr: bigint): void {
    const a = this.areaAt(addr);
    if (!a || !this.guarded(a.perms) || a.locked) return;
    this.uc.memProtect(a.start, Number(a.end - a.start), a.perms);
    a.locked = true;
  }

  /** Whether Unicorn lets the host write the page without protecting it first (flat MMU). */
  private engineWritable(page: bigint): boolean {
    const a = this.areaAt(page);
    return a !== undefined && ((a.perms & PROT_WRITE) !== 0 || (this.guarded(a.perms) && !a.locked));
  }

  private areaAt(addr: bigint): Area | undefined {
    return this.areas.find((a) => addr >= a.start && addr < a.end);
  }

  /**
   * Permissions of the page at `page` (a number), or -1 when it is not mapped: what the
   * virtual TLB asks at each miss, so no BigInt is made (a binary search over the areas,
   * after a look at the one found last).
   */
  pagePerms(page: number): number {
    let a = this.lastArea;
    if (a === undefined || page < a.first || page >= a.last) {
      const areas = this.areas;
      let lo = 0;
      let hi = areas.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (areas[mid]!.last <= page) lo = mid + 1;
        else hi = mid;
      }
      a = areas[lo];
      if (a === undefined || page < a.first) return -1;
      this.lastArea = a;
    }
    return a.perms;
  }

  isMapped(addr: bigint): boolean {
    return this.areaAt(addr) !== undefined;
  }

  /** Permissions of the page holding addr, or undefined. */
  permsAt(addr: bigint): number | undefined {
    return this.areaAt(addr)?.perms;
  }

  /** True when every page of [start, end) is mapped. */
  covered(start: bigint, end: bigint): boolean {
    let at = start;
    for (const a of this.areas) {
      if (a.end <= at) continue;
      if (a.start > at) return false;
      at = a.end;
      if (at >= end) return true;
    }
    return at >= end;
  }

  /** Highest free range of `size` bytes between bottom and top (mmap's top-down search). */
  findFree(size: bigint, bottom: bigint, top: bigint): bigint | undefined {
    let hi = top;
    for (let i = this.areas.length - 1; i >= 0; i--) {
      const a = this.areas[i]!;
      if (a.start >= hi) continue;
      if (a.end <= hi && hi - a.end >= size && hi - size >= bottom) return hi - size;
      if (a.start < hi) hi = a.start;
      if (hi < bottom) return undefined;
    }
    return hi - size >= bottom ? hi - size : undefined;
  }

  read(addr: bigint, size: number): Uint8Array {
    return this.uc.memRead(addr, size);
  }

  write(addr: bigint, bytes: Uint8Array): void {
    this.uc.memWrite(addr, bytes);
  }

  /**
   * Write code bytes and drop Unicorn's translations of that range: a plain write leaves
   * already-translated blocks running the old bytes (docs/unicorn-engine.md).
   * Writes through read-only pages as the kernel's text_poke does.
   */
  patchCode(addr: bigint, bytes: Uint8Array): void {
    const end = addr + BigInt(bytes.length);
    // Host-backed code takes the bytes in place. Elsewhere Unicorn 2.0.1 writes into a
    // read-only range by protecting it writable and back, and every uc_mem_protect rebuilds
    // QEMU's view of the whole address space (tens of us with a few hundred regions). So
    // such pages stay open for writing while probes are registered, and `seal` protects
    // them back once, before the guest runs again.
    if (!this.uc.virtualTlb && !this.uc.hostBacked(addr, bytes.length)) {
      for (let page = addr & ~0xfffn; page < end; page += 0x1000n) {
        if (this.opened.has(page) || this.engineWritable(page)) continue;
        const perms = this.permsAt(page);
        if (perms === undefined) continue;
        this.uc.memProtect(page, 0x1000, perms | PROT_WRITE);
        this.opened.set(page, perms);
      }
    }
    this.uc.memWrite(addr, bytes);
    this.uc.removeCache(addr, end);
  }

  /** Protect the pages patchCode opened back to their permissions (before the guest runs). */
  seal(): void {
    if (this.opened.size === 0) return;
    // Neighbouring pages with the same permissions in one call.
    const pages = [...this.opened.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1));
    this.opened.clear();
    for (let i = 0; i < pages.length;) {
      const [start, perms] = pages[i]!;
      let j = i + 1;
      while (j < pages.length && pages[j]![0] === start + BigInt(j - i) * 0x1000n && pages[j]![1] === perms)
        j++;
      this.uc.memProtect(start, (j - i) * 0x1000, perms);
      i = j;
    }
  }

  readU8(addr: bigint): number {
    return this.uc.memRead(addr, 1)[0]!;
  }

  readU32(addr: bigint): number {
    return Number(this.uc.memReadWord(addr, 4, this.littleEndian));
  }

  readU64(addr: bigint): bigint {
    return this.uc.memReadWord(addr, 8, this.littleEndian);
  }

  readWord(addr: bigint): bigint {
    return this.wordSize === 8 ? this.readU64(addr) : BigInt(this.readU32(addr));
  }

  writeU32(addr: bigint, v: number): void {
    this.uc.memWriteWord(addr, 4, BigInt(v >>> 0), this.littleEndian);
  }

  writeU64(addr: bigint, v: bigint): void {
    this.uc.memWriteWord(addr, 8, v, this.littleEndian);
  }

  writeWord(addr: bigint, v: bigint): void {
    if (this.wordSize === 8) this.writeU64(addr, v);
    else this.writeU32(addr, Number(BigInt.asUintN(32, v)));
  }

  /** A NUL-terminated string of at most `max` bytes, or undefined if unreadable. */
  readCString(addr: bigint, max = 4096): string | undefined {
    const out: number[] = [];
    try {
      while (out.length < max) {
        const b = this.readU8(addr + BigInt(out.length));
        if (b === 0) break;
        out.push(b);
      }
    } catch {
      return undefined;
    }
    return Buffer.from(out).toString('latin1');
  }

  private overlapping(start: bigint, end: bigint): Area[] {
    return this.areas.filter((a) => a.start < end && start < a.end);
  }

  /** Replace [s,e) of area `a` by a piece with new perms (or by nothing when perms is undefined). */
  private cut(a: Area, s: bigint, e: bigint, perms: number | undefined): void {
    const i = this.areas.indexOf(a);
    if (a.watch !== undefined) this.uc.unhook(a.watch);
    const { watch: _old, ...rest } = a;
    const pieces: Area[] = [];
    if (a.start < s) pieces.push({ ...rest, end: s, last: Number(s) });
    if (perms !== undefined)
      pieces.push({ ...rest, start: s, end: e, first: Number(s), last: Number(e), perms, locked: false });
    if (e < a.end) pieces.push({ ...rest, start: e, first: Number(e) });
    this.lastArea = undefined;
    this.areas.splice(i, 1, ...pieces.map((p) => this.watched(p)));
  }

  /** Give a guarded area its write hook. */
  private watched(a: Area): Area {
    if (this.guarded(a.perms) && !a.locked) a.watch = this.uc.watchWrites(a.start, a.end - 1n);
    return a;
  }

  private insert(area: Area): void {
    this.lastArea = undefined;
    let i = this.areas.findIndex((a) => a.start > area.start);
    if (i < 0) i = this.areas.length;
    this.areas.splice(i, 0, area);
  }

  /** Mapped areas, for reports and invariants. */
  list(): readonly Readonly<Area>[] {
    return this.areas;
  }
}

/** Permission bits from ELF/mmap style flags. */
export function perms(read: boolean, write: boolean, exec: boolean): number {
  return (read ? PROT_READ : 0) | (write ? PROT_WRITE : 0) | (exec ? PROT_EXEC : 0);
}
