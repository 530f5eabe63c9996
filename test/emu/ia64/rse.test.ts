// Counterpart: the IA-64 manual's register stack engine (vol. 2, ch. 6): flushrs, loadrs and
// the fills on return, on a backing store of plain words.
import { describe, expect, it } from 'vitest';
import { RegisterStack, skipRegs } from '../../../emu/ia64/rse.js';

/** A register stack over a sparse word memory; the store starts at `base`. */
function stack(base: number) {
  const mem = new Map<number, bigint>();
  const bus = {
    load: (a: number) => mem.get(a) ?? 0n,
    store: (a: number, _size: number, v: bigint) => void mem.set(a, v),
    fetchBundle: () => new Uint8Array(16),
  };
  return { rse: new RegisterStack(bus, base), mem };
}

describe('the register stack engine', () => {
  it('loadrs loads [BSP - loadrs, BSP) into registers and drops the other dirty ones', () => {
    const base = 0x10000;
    const { rse, mem } = stack(base);
    // A caller frame of 10 registers, 4 of them locals, holding 100 + position.
    rse.alloc(10);
    for (let p = 0; p < 10; p++) rse.phys[p] = BigInt(100 + p);
    rse.call(4);
    rse.alloc(8);
    rse.flush();
    expect([rse.store, rse.bspstore]).toEqual([4, base + 32]);
    expect([0, 1, 2, 3].map((p) => mem.get(base + 8 * p))).toEqual([100n, 101n, 102n, 103n]);
    // The backing store changed under the flushed registers, then loadrs of 2 registers.
    mem.set(base + 8, 999n);
    expect(rse.loadrs(16, 8)).toBe(true);
    expect([rse.store, rse.bspstore, rse.bsp()]).toEqual([2, base + 16, base + 32]);
    // Loaded registers keep what they were loaded with; the dropped ones fill on return.
    mem.set(base + 16, 555n);
    rse.ret(4);
    expect([0, 1, 2, 3].map((p) => rse.phys[p])).toEqual([100n, 999n, 102n, 103n]);
  });

  it('loadrs 0 makes every caller register come back from memory; too many registers do not fit', () => {
    const base = 0x20000;
    const { rse, mem } = stack(base);
    rse.alloc(6);
    for (let p = 0; p < 6; p++) rse.phys[p] = BigInt(p + 1);
    rse.call(6);
    rse.alloc(2);
    // Nothing flushed: loadrs 0 drops the dirty registers without writing them.
    expect(rse.loadrs(0, 2)).toBe(true);
    expect([rse.store, rse.bspstore]).toEqual([6, base + 48]);
    for (let p = 0; p < 6; p++) mem.set(skipRegs(base, p), BigInt(70 + p));
    rse.ret(6);
    expect(Array.from(rse.phys.subarray(0, 6))).toEqual([70n, 71n, 72n, 73n, 74n, 75n]);
    // 40 caller registers flushed, a frame of 90: 6 fit beside it, 10 do not; and no more
    // than the store has below BSP.
    const other = stack(base).rse;
    other.alloc(40);
    other.call(40);
    other.flush();
    other.alloc(90);
    expect(other.loadrs(8 * 10, 90)).toBe(false);
    expect(other.loadrs(8 * 6, 90)).toBe(true);
    expect(other.store).toBe(34);
    const shallow = stack(base).rse;
    shallow.alloc(4);
    shallow.call(4);
    // 6 slots below BSP, one of them an RNAT collection (the store starts at a 512-byte
    // boundary, so the slot below it is one): 5 registers, 1 more than the store holds.
    expect(shallow.loadrs(8 * 6, 0)).toBe(false);
    expect(shallow.loadrs(8 * 5, 0)).toBe(true);
  });
});
