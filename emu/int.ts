// Guest integers as numbers where exact: what an engine hands out for addresses and words,
// so that the probe path makes no BigInt for a user address (every guest mapping lies
// below 2^53).

/** Integers below this in magnitude are exact as numbers. */
const EXACT = 1n << 53n;
const EXACT_NEG = -EXACT;

/**
 * A guest integer as a number where that is exact (below 2^53 in magnitude, as user
 * addresses are), else as a BigInt: what narrowInt gives. Equal values have the same form,
 * so `===` compares them.
 */
export type Int = number | bigint;

/** The Int of a 64-bit word given as two 32-bit halves, [low, high]: a BigInt only at 2^53 and above. */
export function intOfHalves(h: Uint32Array): Int {
  const lo = h[0];
  const hi = h[1];
  if (lo === undefined || hi === undefined) throw new Error(`intOfHalves: ${h.length} halves, not 2`);
  return hi < 0x200000 ? hi * 0x100000000 + lo : (BigInt(hi) << 32n) | BigInt(lo);
}

/** `v` as a number where that is exact (below 2^53 in magnitude, as user addresses are), else itself. */
export function narrowInt(v: bigint): Int {
  return v < EXACT && v > EXACT_NEG ? Number(v) : v;
}

/** The BigInt a narrowInt result stands for. */
export function widenInt(v: Int): bigint {
  return typeof v === 'number' ? BigInt(v) : v;
}
