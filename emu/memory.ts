// Counterpart: Linux mm/mmap.c as a user program sees it (mmap, munmap, mprotect, brk),
// at page granularity. Guest memory lives in buffers of ours, which the CPU engine maps and
// the host reads and writes in place (no call into the engine for an access).
import { PROT_EXEC, PROT_READ, PROT_WRITE, type CpuEngine } from './engine.js';
import { addrOfHalves, hex, pageDown, pageUp, type GuestAddr } from './addr.js';
import { wordOf } from './reg-cache.js';

export { PROT_EXEC, PROT_READ, PROT_WRITE };

const PAGE = 0x1000;

interface Area {
  start: GuestAddr;
  end: GuestAddr;
  perms: number;
  /** Who made it: 'image', 'stack', 'brk', 'mmap', 'engine'. */
  kind: string;
  /** The area's bytes: its part of the buffer the engine maps (pieces of a cut area share it). */
  bytes: Uint8Array;
  view: DataView;
}

/** Thrown when a limit (--max-memory) refuses a mapping; callers turn it into ENOMEM. */
export class OutOfMemory extends Error {}

/** A host access to guest memory that is not mapped: what, and where. */
export class MemoryFault extends Error {
  constructor(
    readonly access: 'read' | 'write',
    readonly address: GuestAddr,
    readonly size: number,
  ) {
    super(`${access} of ${size} byte(s) at ${hex(address)}: not mapped`);
    this.name = 'MemoryFault';
  }
}

/**
 * Guest memory: a sorted list of mapped areas, each backed by a buffer the engine maps,
 * byte-order aware word access, and `patchCode`, the only correct way to change code that
 * may have been run.
 */
export class Memory {
  private areas: Area[] = [];
  /** The area found last (dropped whenever the list changes). */
  private lastArea: Area | undefined;
  /** Offset of the last access in the area `find` returned. */
  private off = 0;
  private mappedBytes = 0;
  private readonly scratch = new Uint8Array(8);
  private readonly scratchView: DataView = new DataView(this.scratch.buffer);
  private readonly halves = new Uint32Array(2);
  /**
   * Pages holding hidden patches (patchCode's `hidden`): the bytes guest loads see there,
   * which are the page's without those patches.
   */
  private readonly shadows = new Map<number, Uint8Array>();

  constructor(
    private readonly engine: CpuEngine,
    readonly littleEndian: boolean,
    readonly wordSize: 4 | 8,
    /** Upper bound on mapped guest bytes (image, stacks, heap and mappings together). */
    readonly maxBytes: number,
  ) {}

  get totalMapped(): number {
    return this.mappedBytes;
  }

  /** Map [start, start+size) page aligned, zeroed; throws OutOfMemory past the limit. */
  map(start: GuestAddr, size: number, perms: number, kind: string): void {
    const s = pageDown(start);
    const e = pageUp(start + size);
    if (this.mappedBytes + (e - s) > this.maxBytes)
      throw new OutOfMemory(`guest memory limit of ${this.maxBytes} bytes reached`);
    let bytes: Uint8Array;
    try {
      bytes = new Uint8Array(e - s);
    } catch (err) {
      throw new OutOfMemory(`cannot allocate ${e - s} bytes of guest memory: ${(err as Error).message}`);
    }
    this.engine.map(s, bytes, perms);
    this.insert({
      start: s,
      end: e,
      perms,
      kind,
      bytes,
      view: viewOf(bytes),
    });
    this.mappedBytes += e - s;
  }

  /** Unmap every mapped page of [start, end); unmapped holes are skipped as munmap does. */
  unmap(start: GuestAddr, end: GuestAddr): void {
    if (this.shadows.size > 0) this.unshadowRange(start, end);
    for (const a of this.overlapping(start, end)) {
      const s = a.start > start ? a.start : start;
      const e = a.end < end ? a.end : end;
      this.engine.unmap(s, e - s);
      this.mappedBytes -= e - s;
      this.cut(a, s, e, undefined);
    }
  }

  /** Change permissions of [start, end); false if part of it is not mapped (ENOMEM). */
  protect(start: GuestAddr, end: GuestAddr, perms: number): boolean {
    if (!this.covered(start, end)) return false;
    if (this.shadows.size > 0 && (perms & PROT_WRITE) !== 0) this.unshadowRange(start, end);
    for (const a of this.overlapping(start, end)) {
      const s = a.start > start ? a.start : start;
      const e = a.end < end ? a.end : end;
      this.engine.protect(s, e - s, perms);
      this.cut(a, s, e, perms);
    }
    return true;
  }

  /** Index of the first area ending above `a`. */
  private indexAt(a: number): number {
    const areas = this.areas;
    let lo = 0;
    let hi = areas.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const r = areas[mid];
      if (r !== undefined && r.end <= a) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** The area holding `a` (a look at the one found last, else a binary search), or undefined. */
  private areaOf(a: number): Area | undefined {
    let r = this.lastArea;
    if (r === undefined || a < r.start || a >= r.end) {
      r = this.areas[this.indexAt(a)];
      if (r === undefined || a < r.start) return undefined;
      this.lastArea = r;
    }
    return r;
  }

  /**
   * The area holding all of [addr, addr+size), the offset left in `off`; undefined when
   * not mapped or across areas. Addresses at 2^53 and above round to where nothing is mapped.
   */
  private find(addr: GuestAddr, size: number): Area | undefined {
    const r = this.areaOf(addr);
    if (r === undefined) return undefined;
    const off = addr - r.start;
    if (off + size > r.bytes.length) return undefined;
    this.off = off;
    return r;
  }

  /**
   * Permissions of the page at `page` (a number), or -1 when it is not mapped: what the
   * engine asks at each TLB miss, so no BigInt is made.
   */
  pagePerms(page: number): number {
    return this.areaOf(page)?.perms ?? -1;
  }

  isMapped(addr: GuestAddr): boolean {
    return this.areaOf(addr) !== undefined;
  }

  /** Permissions of the page holding addr, or undefined. */
  permsAt(addr: GuestAddr): number | undefined {
    return this.areaOf(addr)?.perms;
  }

  /** True when every page of [start, end) is mapped. */
  covered(start: GuestAddr, end: GuestAddr): boolean {
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
  findFree(size: number, bottom: GuestAddr, top: GuestAddr): GuestAddr | undefined {
    let hi = top;
    for (let i = this.areas.length - 1; i >= 0; i--) {
      const a = this.areas[i];
      if (a === undefined || a.start >= hi) continue;
      if (a.end <= hi && hi - a.end >= size && hi - size >= bottom) return hi - size;
      if (a.start < hi) hi = a.start;
      if (hi < bottom) return undefined;
    }
    return hi - size >= bottom ? hi - size : undefined;
  }

  /**
   * Bytes of [addr, addr+size) as the guest reads them (without hidden patches), copied;
   * across areas too. Throws MemoryFault on a hole.
   */
  read(addr: GuestAddr, size: number): Uint8Array {
    const out = this.readExecuted(addr, size);
    if (this.shadows.size > 0)
      for (let page = addr - (addr % PAGE); page < addr + size; page += PAGE) {
        const copy = this.shadows.get(page);
        if (!copy) continue;
        const from = Math.max(addr, page);
        const to = Math.min(addr + size, page + PAGE);
        out.set(copy.subarray(from - page, to - page), from - addr);
      }
    return out;
  }

  /** The same bytes as the CPU runs them: hidden patches (a probe's breakpoint) included. */
  readExecuted(addr: GuestAddr, size: number): Uint8Array {
    const h = this.find(addr, size);
    if (h) return h.bytes.slice(this.off, this.off + size);
    const out = new Uint8Array(size);
    this.spans(addr, size, 'read', (r, off, at, n) => out.set(r.bytes.subarray(off, off + n), at));
    return out;
  }

  /**
   * Host writes take the bytes in place, whatever the guest's permissions; what they write
   * in executable areas drops the engine's translations of it.
   */
  write(addr: GuestAddr, bytes: Uint8Array): void {
    this.store(addr, bytes, false);
  }

  /**
   * The bytes into the areas; translations dropped for what lands in executable areas, or
   * for the whole range at once when `allCode` (patchCode: the caller says it is code).
   */
  private store(addr: GuestAddr, bytes: Uint8Array, allCode: boolean, hidden = false): void {
    this.storeBytes(addr, bytes, allCode);
    if (this.shadows.size > 0 && !hidden) this.mirror(addr, bytes);
  }

  private storeBytes(addr: GuestAddr, bytes: Uint8Array, allCode: boolean): void {
    const h = this.find(addr, bytes.length);
    if (h) {
      h.bytes.set(bytes, this.off);
      if ((allCode || (h.perms & PROT_EXEC) !== 0) && bytes.length > 0)
        this.engine.invalidateCode(addr, addr + bytes.length);
      return;
    }
    this.spans(addr, bytes.length, 'write', (r, off, at, n) => {
      r.bytes.set(bytes.subarray(at, at + n), off);
      if (!allCode && (r.perms & PROT_EXEC) !== 0)
        this.engine.invalidateCode(r.start + off, r.start + off + n);
    });
    if (allCode && bytes.length > 0) this.engine.invalidateCode(addr, addr + bytes.length);
  }

  /**
   * [addr, addr+size) piece by piece over the areas holding it; MemoryFault at its first
   * hole, before any piece is touched.
   */
  private spans(
    addr: GuestAddr,
    size: number,
    access: 'read' | 'write',
    fn: (r: Area, off: number, at: number, n: number) => void,
  ): void {
    for (let at = 0; at < size;) {
      const here = addr + at;
      const r = this.areaOf(here);
      if (r === undefined) throw new MemoryFault(access, here, size - at);
      at += r.end - here;
    }
    let at = 0;
    while (at < size) {
      const here = addr + at;
      const r = this.areaOf(here);
      if (r === undefined) throw new MemoryFault(access, here, size - at);
      const off = here - r.start;
      const n = Math.min(size - at, r.bytes.length - off);
      fn(r, off, at, n);
      at += n;
    }
  }

  /**
   * The word at `addr` as two 32-bit halves, [low, high], without making a BigInt; the array
   * is reused by the next call.
   */
  memReadHalves(addr: GuestAddr, size: 4 | 8, littleEndian: boolean): Uint32Array {
    const h = this.find(addr, size);
    let view = this.scratchView;
    let at = 0;
    if (h) {
      view = h.view;
      at = this.off;
    } else this.scratch.set(this.read(addr, size));
    const out = this.halves;
    if (size === 4) {
      out[0] = view.getUint32(at, littleEndian);
      out[1] = 0;
    } else {
      out[0] = view.getUint32(littleEndian ? at : at + 4, littleEndian);
      out[1] = view.getUint32(littleEndian ? at + 4 : at, littleEndian);
    }
    return out;
  }

  /** A 4- or 8-byte word in the given byte order. */
  memReadWord(addr: GuestAddr, size: 4 | 8, littleEndian: boolean): bigint {
    const h = this.memReadHalves(addr, size, littleEndian);
    return (BigInt(h[1] ?? 0) << 32n) | BigInt(h[0] ?? 0);
  }

  /** A 4- or 8-byte word holding an address (a return address, a pointer): no BigInt is made. */
  memReadAddr(addr: GuestAddr, size: 4 | 8, littleEndian: boolean): GuestAddr {
    const h = this.memReadHalves(addr, size, littleEndian);
    return addrOfHalves(h[0] ?? 0, h[1] ?? 0);
  }

  /** A 4- or 8-byte word in the given byte order (modulo 2^(8 size)), written without allocating. */
  memWriteWord(addr: GuestAddr, size: 4 | 8, value: bigint | number, littleEndian: boolean): void {
    const h = this.find(addr, size);
    const view = h ? h.view : this.scratchView;
    const at = h ? this.off : 0;
    // An exact number goes in as two halves (ToUint32, >>> 0, takes it modulo 2^32), a
    // BigInt through setBigUint64 (modulo 2^64): no BigInt is made for a number.
    const n = value;
    if (typeof n === 'number' && n >= 0 && Number.isSafeInteger(n)) {
      if (size === 8) {
        view.setUint32(littleEndian ? at : at + 4, n >>> 0, littleEndian);
        view.setUint32(littleEndian ? at + 4 : at, Math.floor(n / 0x100000000), littleEndian);
      } else view.setUint32(at, n >>> 0, littleEndian);
    } else if (size === 8) view.setBigUint64(at, wordOf(n), littleEndian);
    else view.setUint32(at, Number(BigInt.asUintN(32, wordOf(n))), littleEndian);
    if (h) {
      if ((h.perms & PROT_EXEC) !== 0) this.engine.invalidateCode(addr, addr + size);
      return;
    }
    this.write(addr, this.scratch.subarray(0, size));
  }

  /**
   * Write code bytes and drop the engine's translations of that range: a plain write leaves
   * already-translated blocks running the old bytes (docs/unicorn-engine.md). Writes
   * through read-only pages as the kernel's text_poke does.
   */
  patchCode(addr: GuestAddr, bytes: Uint8Array, how: { hidden?: boolean } = {}): void {
    if (how.hidden) this.shadow(addr, bytes.length);
    this.store(addr, bytes, true, how.hidden);
  }

  /**
   * Keep what guest loads see of the pages of [addr, addr+size) as they are now (read-only
   * pages: a writable one would let the guest's stores and its loads part ways).
   */
  private shadow(addr: GuestAddr, size: number): void {
    for (let page = addr - (addr % PAGE); page < addr + size; page += PAGE) {
      if (this.shadows.has(page)) continue;
      const perms = this.pagePerms(page);
      if (perms < 0 || (perms & PROT_WRITE) !== 0 || (perms & PROT_READ) === 0) continue;
      const copy = this.readExecuted(page, PAGE);
      if (this.engine.shadowReads(page, copy)) this.shadows.set(page, copy);
    }
  }

  /**
   * A write the guest may see: into the shadows it touches too. A shadow that holds what its
   * page holds (every hidden patch undone) goes.
   */
  private mirror(addr: GuestAddr, bytes: Uint8Array): void {
    for (let page = addr - (addr % PAGE); page < addr + bytes.length; page += PAGE) {
      const copy = this.shadows.get(page);
      if (!copy) continue;
      const from = Math.max(addr, page);
      const to = Math.min(addr + bytes.length, page + PAGE);
      copy.set(bytes.subarray(from - addr, to - addr), from - page);
      const now = this.readExecuted(page, PAGE);
      if (now.every((b, i) => b === copy[i])) this.unshadow(page);
    }
  }

  private unshadow(page: number): void {
    this.shadows.delete(page);
    this.engine.shadowReads(page, undefined);
  }

  /** Shadows of pages in [start, end) go (the pages were unmapped or made writable). */
  private unshadowRange(start: GuestAddr, end: GuestAddr): void {
    for (const page of [...this.shadows.keys()])
      if (page >= start - (start % PAGE) && page < end) this.unshadow(page);
  }

  readU8(addr: GuestAddr): number {
    const h = this.find(addr, 1);
    if (h) return h.bytes[this.off] ?? 0;
    throw new MemoryFault('read', addr, 1);
  }

  readU16(addr: GuestAddr): number {
    const b = this.read(addr, 2);
    return this.littleEndian ? (b[0] ?? 0) | ((b[1] ?? 0) << 8) : ((b[0] ?? 0) << 8) | (b[1] ?? 0);
  }

  readU32(addr: GuestAddr): number {
    return this.memReadHalves(addr, 4, this.littleEndian)[0] ?? 0;
  }

  readU64(addr: GuestAddr): bigint {
    return this.memReadWord(addr, 8, this.littleEndian);
  }

  readWord(addr: GuestAddr): bigint {
    return this.memReadWord(addr, this.wordSize, this.littleEndian);
  }

  /** A pointer-sized word holding an address, in the guest's byte order. */
  readAddr(addr: GuestAddr): GuestAddr {
    return this.memReadAddr(addr, this.wordSize, this.littleEndian);
  }

  writeU16(addr: GuestAddr, v: number): void {
    const b = this.littleEndian ? [v & 0xff, (v >> 8) & 0xff] : [(v >> 8) & 0xff, v & 0xff];
    this.write(addr, Uint8Array.from(b));
  }

  writeU32(addr: GuestAddr, v: number): void {
    this.memWriteWord(addr, 4, v >>> 0, this.littleEndian);
  }

  writeU64(addr: GuestAddr, v: bigint): void {
    this.memWriteWord(addr, 8, v, this.littleEndian);
  }

  writeWord(addr: GuestAddr, v: bigint | number): void {
    this.memWriteWord(addr, this.wordSize, v, this.littleEndian);
  }

  /** A NUL-terminated string of at most `max` bytes, or undefined if unreadable. */
  readCString(addr: GuestAddr, max = 4096): string | undefined {
    const out: number[] = [];
    try {
      while (out.length < max) {
        const b = this.readU8(addr + out.length);
        if (b === 0) break;
        out.push(b);
      }
    } catch {
      return undefined;
    }
    return Buffer.from(out).toString('latin1');
  }

  private overlapping(start: GuestAddr, end: GuestAddr): Area[] {
    return this.areas.filter((a) => a.start < end && start < a.end);
  }

  /**
   * Replace [s,e) of area `a` by a piece with new perms (or by nothing when perms is
   * undefined). The pieces keep their parts of the buffer, as the engine keeps its mapping's.
   */
  private cut(a: Area, s: GuestAddr, e: GuestAddr, perms: number | undefined): void {
    const i = this.areas.indexOf(a);
    const piece = (from: GuestAddr, to: GuestAddr, p: number): Area => {
      const bytes = a.bytes.subarray(from - a.start, to - a.start);
      return { ...a, start: from, end: to, perms: p, bytes, view: viewOf(bytes) };
    };
    const pieces: Area[] = [];
    if (a.start < s) pieces.push(piece(a.start, s, a.perms));
    if (perms !== undefined) pieces.push(piece(s, e, perms));
    if (e < a.end) pieces.push(piece(e, a.end, a.perms));
    this.lastArea = undefined;
    this.areas.splice(i, 1, ...pieces);
  }

  private insert(area: Area): void {
    this.lastArea = undefined;
    let i = this.areas.findIndex((a) => a.start > area.start);
    if (i < 0) i = this.areas.length;
    this.areas.splice(i, 0, area);
  }

  /** Mapped areas, for reports and invariants. */
  list(): readonly Readonly<Omit<Area, 'bytes' | 'view'>>[] {
    return this.areas;
  }
}

function viewOf(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
}

/** Permission bits from ELF/mmap style flags. */
export function perms(read: boolean, write: boolean, exec: boolean): number {
  return (read ? PROT_READ : 0) | (write ? PROT_WRITE : 0) | (exec ? PROT_EXEC : 0);
}
