// Counterpart: the Intel IA-64 Architecture Software Developer's Manual, vol. 2, ch. 4.1
// (virtual regions): a sparse little-endian guest memory over folded 64-bit addresses.
//
// An IA-64 address puts its region number in bits 61-63 (Linux: text at 0x4000…, data and
// stacks at 0x6000…), so real addresses sit far above 2^53. Implementations decode only the
// low bits of the offset within a region (Itanium 2: 50), so an address folds exactly into
// one number, region * 2^50 + offset, below 2^53: the project's one-address-type rule holds
// for the folded value, arithmetic stays in doubles, and a BigInt is made only where a
// register or a report needs the architectural address (`addressOf`). An offset at or
// above 2^50 is an unimplemented address and faults.

import { addrOf, wordOfAddr } from '../addr.js';

/** A folded guest address: region * 2^50 + offset (see the file comment). */
export type FoldedAddr = number;

/** IA-64 Linux's default page size. */
export const IA64_PAGE = 0x4000;

/**
 * The folded form of a 64-bit address (emu/addr.ts's addrOf, which folds for every ISA), or
 * -1 when its offset is beyond the implemented bits.
 */
export function fold(v: bigint): FoldedAddr {
  // addrOf leaves a region-0 value past 2^50 as itself, which other ISAs need: here it faults.
  if ((v & BELOW_REGION) >= IMPLEMENTED) return -1;
  return addrOf(v);
}

/** The offset bits below the region number, and the first offset no implementation decodes. */
const BELOW_REGION = (1n << 61n) - 1n;
const IMPLEMENTED = 1n << 50n;

/** The architectural 64-bit address of a folded one (emu/addr.ts's wordOfAddr). */
export const addressOf = (a: FoldedAddr): bigint => wordOfAddr(a);

export type AccessKind = 'read' | 'write' | 'fetch';

/** A refused access: caught at the CPU's run boundary and returned as a stop, never thrown out. */
export class GuestFault extends Error {
  constructor(
    readonly access: AccessKind,
    readonly address: bigint,
    readonly reason: 'unmapped' | 'unaligned' | 'prot',
  ) {
    super(`${access} ${reason} at 0x${address.toString(16)}`);
  }
}

/**
 * What the CPU needs of memory: aligned loads and stores, and bundle fetches. Each throws a
 * GuestFault for an access it refuses.
 */
export interface Ia64Bus {
  load(addr: FoldedAddr, size: number): bigint;
  store(addr: FoldedAddr, size: number, value: bigint): void;
  /** The 16 bytes of the bundle at `addr` (16-aligned), as an instruction fetch sees them. */
  fetchBundle(addr: FoldedAddr): Uint8Array;
}

/** Pages of IA64_PAGE bytes keyed by folded page number, each with a DataView for typed access. */
export class Ia64Memory implements Ia64Bus {
  private readonly pages = new Map<number, DataView>();
  private lastPage = -1;
  private lastView: DataView | undefined;

  /** Map zeroed pages over [addr, addr + size) (rounded out to pages); mapped pages stay. */
  map(addr: FoldedAddr, size: number): void {
    const first = Math.floor(addr / IA64_PAGE);
    const last = Math.floor((addr + size - 1) / IA64_PAGE);
    for (let p = first; p <= last; p++)
      if (!this.pages.has(p)) this.pages.set(p, new DataView(new ArrayBuffer(IA64_PAGE)));
  }

  isMapped(addr: FoldedAddr): boolean {
    return this.pages.has(Math.floor(addr / IA64_PAGE));
  }

  fetchBundle(addr: FoldedAddr): Uint8Array {
    if (!this.isMapped(addr)) throw new GuestFault('fetch', addressOf(addr), 'unmapped');
    return this.readBytes(addr, 16);
  }

  private view(addr: FoldedAddr, access: AccessKind): DataView {
    const p = Math.floor(addr / IA64_PAGE);
    if (p === this.lastPage && this.lastView) return this.lastView;
    const v = this.pages.get(p);
    if (!v) throw new GuestFault(access, addressOf(addr), 'unmapped');
    this.lastPage = p;
    this.lastView = v;
    return v;
  }

  /** A naturally aligned load of 1, 2, 4 or 8 bytes, zero-extended (IA-64 faults on misalignment). */
  load(addr: FoldedAddr, size: number): bigint {
    if (addr % size !== 0) throw new GuestFault('read', addressOf(addr), 'unaligned');
    const v = this.view(addr, 'read');
    const o = addr % IA64_PAGE;
    switch (size) {
      case 1:
        return BigInt(v.getUint8(o));
      case 2:
        return BigInt(v.getUint16(o, true));
      case 4:
        return BigInt(v.getUint32(o, true));
      default:
        return v.getBigUint64(o, true);
    }
  }

  /** A naturally aligned store of the low `size` bytes of `value`. */
  store(addr: FoldedAddr, size: number, value: bigint): void {
    if (addr % size !== 0) throw new GuestFault('write', addressOf(addr), 'unaligned');
    const v = this.view(addr, 'write');
    const o = addr % IA64_PAGE;
    switch (size) {
      case 1:
        v.setUint8(o, Number(value & 0xffn));
        return;
      case 2:
        v.setUint16(o, Number(value & 0xffffn), true);
        return;
      case 4:
        v.setUint32(o, Number(value & 0xffffffffn), true);
        return;
      default:
        v.setBigUint64(o, value, true);
    }
  }

  /** Copy guest bytes out (any alignment, may span pages). */
  readBytes(addr: FoldedAddr, size: number): Uint8Array {
    const out = new Uint8Array(size);
    for (let i = 0; i < size; i++) {
      const v = this.view(addr + i, 'read');
      out[i] = v.getUint8((addr + i) % IA64_PAGE);
    }
    return out;
  }

  /** Copy bytes in (any alignment, may span pages). */
  writeBytes(addr: FoldedAddr, bytes: Uint8Array): void {
    for (let i = 0; i < bytes.length; i++) {
      const v = this.view(addr + i, 'write');
      v.setUint8((addr + i) % IA64_PAGE, bytes[i] ?? 0);
    }
  }
}
