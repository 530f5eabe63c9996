// Counterpart: the Intel IA-64 Architecture Software Developer's Manual, vol. 2, ch. 6
// (register stack engine), with Linux's arch/ia64/include/asm/rse.h for the slot arithmetic.
import type { FoldedAddr, Ia64Bus } from './memory.js';

/** Physical stacked registers, as the architecture's minimum (r32-r127). */
export const N_STACKED = 96;

/** The backing-store slot number of an address: slot 63 of every 64 holds an RNAT collection. */
export function slotNum(a: FoldedAddr): number {
  return Math.floor(a / 8) % 64;
}

/** `a` moved by `n` register slots, stepping over RNAT collection slots (ia64_rse_skip_regs). */
export function skipRegs(a: FoldedAddr, n: number): FoldedAddr {
  let delta = slotNum(a) + n;
  if (n < 0) delta -= 0x3e;
  return a + 8 * (n + Math.trunc(delta / 0x3f));
}

/**
 * The stacked registers and their backing store. Registers are numbered by position: the
 * count of stacked registers below them since the bottom of the store; position p lives in
 * physical register p mod 96 while it is not spilled. Positions [store, bof) are the dirty
 * registers of callers' frames, [bof, bof + sof) the current frame; spills go to BSPSTORE
 * only when a frame would not fit (lazy, like the RSE's enforced-lazy mode, which is what
 * the observable ar.bsp/ar.bspstore of a user guest allow), fills on return to a frame
 * that was spilled. NaT bits are not kept: RNAT collections are written as zeros.
 */
export class RegisterStack {
  readonly phys = new BigUint64Array(N_STACKED);
  /** Position of the current frame's r32. */
  bof = 0;
  /** bof mod 96: the physical index of r32. */
  bofPhys = 0;
  /** Position of the lowest register still in the physical file. */
  store = 0;
  /** Address the next spill goes to (AR.BSPSTORE). */
  bspstore: FoldedAddr;
  /** AR.RNAT: the NaT bits of the partial collection (always zero here). */
  rnat = 0n;

  constructor(
    private readonly mem: Ia64Bus,
    base: FoldedAddr,
  ) {
    this.bspstore = base;
  }

  /** AR.BSP: where the current frame's r32 would be spilled. */
  bsp(): FoldedAddr {
    return skipRegs(this.bspstore, this.bof - this.store);
  }

  /** Dirty registers not yet in the backing store (callers' frames only). */
  dirty(): number {
    return this.bof - this.store;
  }

  private setBof(p: number): void {
    this.bof = p;
    this.bofPhys = p % N_STACKED;
  }

  private spillOne(): void {
    this.mem.store(this.bspstore, 8, this.phys[this.store % N_STACKED] ?? 0n);
    this.store++;
    this.bspstore += 8;
    if (slotNum(this.bspstore) === 63) {
      this.mem.store(this.bspstore, 8, this.rnat);
      this.rnat = 0n;
      this.bspstore += 8;
    }
  }

  private fillOne(): void {
    this.bspstore -= 8;
    if (slotNum(this.bspstore) === 63) {
      this.rnat = this.mem.load(this.bspstore, 8);
      this.bspstore -= 8;
    }
    this.store--;
    this.phys[this.store % N_STACKED] = this.mem.load(this.bspstore, 8);
  }

  /** alloc: make room for a frame of `sof` registers, spilling the oldest dirty ones. */
  alloc(sof: number): void {
    while (this.bof + sof - this.store > N_STACKED) this.spillOne();
  }

  /** br.call: the caller's locals (`sol` of them) become dirty; the outputs start the new frame. */
  call(sol: number): void {
    this.setBof(this.bof + sol);
  }

  /** br.ret to a frame whose locals number `sol`: fill them back if they were spilled. */
  ret(sol: number): void {
    this.setBof(this.bof - sol);
    while (this.store > this.bof) this.fillOne();
  }

  /**
   * The stacked register `k` positions below the current frame's r32 (a caller's, k >= 1),
   * from the physical file or, spilled, from the backing store; undefined below the bottom.
   */
  below(k: number): bigint | undefined {
    const p = this.bof - k;
    if (p < 0 || k < 1) return undefined;
    if (p >= this.store) return this.phys[p % N_STACKED];
    return this.mem.load(skipRegs(this.bspstore, p - this.store), 8);
  }

  /** flushrs: write every dirty register to the backing store (BSPSTORE reaches BSP). */
  flush(): void {
    while (this.store < this.bof) this.spillOne();
  }

  /**
   * loadrs with RSC.loadrs = `bytes`: the registers of [BSP - bytes, BSP) are loaded from the
   * backing store and become the dirty ones, every other register outside the current frame
   * is dropped, and BSPSTORE = BSP - bytes. False where they do not fit beside the current
   * frame, or reach below the store's first register (an illegal operation).
   */
  loadrs(bytes: number, sof: number): boolean {
    const bsp = this.bsp();
    const base = bsp - bytes;
    let n = 0;
    for (let a = base; a < bsp; a += 8) if (slotNum(a) !== 63) n++;
    if (bytes % 8 !== 0 || n + sof > N_STACKED || n > this.bof) return false;
    this.store = this.bof - n;
    this.bspstore = base;
    for (let p = this.store; p < this.bof; p++)
      this.phys[p % N_STACKED] = this.mem.load(skipRegs(base, p - this.store), 8);
    // NaT bits are not kept: the partial collection is empty.
    this.rnat = 0n;
    return true;
  }

  /** A write of AR.BSPSTORE (legal only with nothing dirty): the store restarts there. */
  setBspstore(a: FoldedAddr): void {
    this.flush();
    this.store = this.bof;
    this.bspstore = a;
  }
}
