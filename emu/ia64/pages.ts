// Counterpart: QEMU's softmmu page table as a user-mode process sees it (accel/tcg/cputlb.c):
// the IA-64 interpreter's view of guest memory the machine owns. Each 4 KiB page points into
// a buffer of emu/memory.ts's `Memory` (read and written in place, as Unicorn's
// uc_mem_map_ptr does), with the guest's PROT_* bits; a refused access is a GuestFault the
// CPU turns into a stop.
import { PAGE } from '../addr.js';
import { PROT_EXEC, PROT_READ, PROT_WRITE, type WriteWatcher } from '../engine.js';
import { addressOf, type FoldedAddr, GuestFault, type Ia64Bus } from './memory.js';

interface Page {
  /** The page's bytes, in the caller's buffer. */
  readonly bytes: Uint8Array;
  readonly view: DataView;
  /** What loads see: the page itself, or a shadow without a probe's patch (shadowReads). */
  readView: DataView;
  perms: number;
}

interface Watch {
  begin: FoldedAddr;
  end: FoldedAddr;
  fn: WriteWatcher;
}

export class EnginePages implements Ia64Bus {
  private readonly pages = new Map<number, Page>();
  private lastNo = -1;
  private last: Page | undefined;
  readonly watches: Watch[] = [];

  map(addr: FoldedAddr, bytes: Uint8Array, perms: number): void {
    for (let off = 0; off < bytes.length; off += PAGE) {
      const b = bytes.subarray(off, off + PAGE);
      const view = new DataView(b.buffer, b.byteOffset, PAGE);
      this.pages.set((addr + off) / PAGE, { bytes: b, view, readView: view, perms });
    }
    this.lastNo = -1;
  }

  unmap(addr: FoldedAddr, size: number): void {
    for (let off = 0; off < size; off += PAGE) this.pages.delete((addr + off) / PAGE);
    this.lastNo = -1;
  }

  protect(addr: FoldedAddr, size: number, perms: number): void {
    for (let off = 0; off < size; off += PAGE) {
      const p = this.pages.get((addr + off) / PAGE);
      if (p) p.perms = perms;
    }
  }

  /** Loads from `page` see `bytes` (undefined: the page again); false when it is not mapped. */
  shadow(page: FoldedAddr, bytes: Uint8Array | undefined): boolean {
    const p = this.pages.get(page / PAGE);
    if (!p) return false;
    p.readView = bytes ? new DataView(bytes.buffer, bytes.byteOffset, PAGE) : p.view;
    return true;
  }

  private page(addr: FoldedAddr, access: 'read' | 'write' | 'fetch', need: number): Page {
    const no = Math.floor(addr / PAGE);
    let p = this.last;
    if (no !== this.lastNo || !p) {
      p = this.pages.get(no);
      if (!p) throw new GuestFault(access, addressOf(addr), 'unmapped');
      this.lastNo = no;
      this.last = p;
    }
    if ((p.perms & need) === 0) throw new GuestFault(access, addressOf(addr), 'prot');
    return p;
  }

  /** A naturally aligned load of 1, 2, 4 or 8 bytes, zero-extended (IA-64 faults on misalignment). */
  load(addr: FoldedAddr, size: number): bigint {
    if (addr % size !== 0) throw new GuestFault('read', addressOf(addr), 'unaligned');
    const v = this.page(addr, 'read', PROT_READ).readView;
    const o = addr % PAGE;
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

  store(addr: FoldedAddr, size: number, value: bigint): void {
    if (addr % size !== 0) throw new GuestFault('write', addressOf(addr), 'unaligned');
    const v = this.page(addr, 'write', PROT_WRITE).view;
    if (this.watches.length > 0) this.watched(addr, size, value);
    const o = addr % PAGE;
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
        v.setBigUint64(o, BigInt.asUintN(64, value), true);
    }
  }

  fetchBundle(addr: FoldedAddr): Uint8Array {
    const p = this.page(addr, 'fetch', PROT_EXEC);
    const o = addr % PAGE;
    return p.bytes.subarray(o, o + 16);
  }

  private watched(addr: FoldedAddr, size: number, value: bigint): void {
    // A watcher may end its own watch: walk a copy.
    for (const w of [...this.watches])
      if (addr < w.end && addr + size > w.begin && w.fn(addr, size, BigInt.asUintN(size * 8, value)))
        this.watches.splice(this.watches.indexOf(w), 1);
  }
}
