// Guest addresses as numbers (emu/addr.ts): the identity below 2^50, IA-64's regions folded.
import { describe, expect, it } from 'vitest';
import { addrOf, addrOfHalves, hex, wordOfAddr } from '../../emu/addr.js';

describe('guest addresses', () => {
  it('below 2^50 a value is its own address, both ways', () => {
    for (const v of [0n, 0x1000n, 0x7ffffffff000n, (1n << 50n) - 1n]) {
      expect(addrOf(v)).toBe(Number(v));
      expect(addrOfHalves(Number(v & 0xffffffffn), Number(v >> 32n))).toBe(Number(v));
      expect(wordOfAddr(Number(v))).toBe(v);
    }
  });

  it('an IA-64 region address folds to region * 2^50 + offset and back', () => {
    const cases: [bigint, number][] = [
      [0x2000000000000000n, 2 ** 50],
      [0x40000000000000b0n, 2 * 2 ** 50 + 0xb0],
      [0x600000ffffffc000n, 3 * 2 ** 50 + 0xffffffc000],
      [0xe003ffffffffffffn, 8 * 2 ** 50 - 1],
    ];
    for (const [v, folded] of cases) {
      expect(addrOf(v)).toBe(folded);
      expect(addrOfHalves(Number(v & 0xffffffffn), Number(v >> 32n))).toBe(folded);
      expect(wordOfAddr(folded)).toBe(v);
      expect(hex(folded)).toBe(`0x${v.toString(16)}`);
    }
  });

  it('an offset beyond 50 bits is no address: it stays at 2^53 or above and faults', () => {
    for (const v of [
      0xffffffffffffffffn,
      0x0004000000000000n << 4n,
      0x8004000000000000n,
      0xffff800000000000n,
    ]) {
      expect(addrOf(v)).toBeGreaterThanOrEqual(2 ** 53);
      expect(addrOfHalves(Number(v & 0xffffffffn), Number(v >> 32n))).toBeGreaterThanOrEqual(2 ** 53);
    }
  });
});
