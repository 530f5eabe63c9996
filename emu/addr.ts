// Guest addresses. Every guest mapping lies below 2^53, so an address is a plain number:
// exact wherever anything is mapped. A 64-bit value used as an address (a register, a
// word in memory) becomes one through `addrOf`; one at 2^53 or above rounds to a number
// that is still at 2^53 or above, where nothing is mapped, so it faults as it should.
// 64-bit register and memory values stay BigInts.
//
// IA-64 puts a region number in address bits 61-63 (Linux: text at 0x4000..., data and
// stacks at 0x6000...) and implements 50 offset bits, so its addresses fold exactly into
// region * 2^50 + offset (emu/ia64/memory.ts). The fold is the identity below 2^50, where
// every other ISA keeps all it maps, and a value whose offset is not implemented stays at
// 2^53 or above: so `addrOf` folds for every ISA, and `wordOfAddr` gives the 64-bit value
// of a folded address where one is written to a register or to memory.

/** A guest virtual address (below 2^53 wherever memory is mapped). */
export type GuestAddr = number;

/** The page size of every ISA here. */
export const PAGE = 0x1000;

/** Where folded addresses of IA-64 region 1 begin: region * 2^50 + offset (file comment). */
export const REGION_SPAN = 2 ** 50;

/** Bit 61, where IA-64's region number starts, and the mask of its implemented offset. */
const REGION_BIT = 1n << 61n;
const OFFSET_MASK = (1n << 50n) - 1n;
const BELOW_REGION = REGION_BIT - 1n;

/** A 64-bit value as an address (see the file comment for values at 2^53 and above). */
export function addrOf(v: bigint): GuestAddr {
  const u = BigInt.asUintN(64, v);
  // A region number with an implemented offset: the folded address (identity below 2^61).
  if (u >= REGION_BIT && (u & BELOW_REGION) <= OFFSET_MASK)
    return Number(u >> 61n) * REGION_SPAN + Number(u & OFFSET_MASK);
  return Number(u);
}

/** The address of two 32-bit halves [low, high] (host-order reads): no BigInt is made. */
export function addrOfHalves(lo: number, hi: number): GuestAddr {
  // Bits 61-63 are bits 29-31 of the high half; an implemented offset keeps bits 50-60 clear.
  if (hi >= 0x20000000 && (hi & 0x1ffc0000) === 0)
    return (hi >>> 29) * REGION_SPAN + (hi & 0x3ffff) * 0x100000000 + lo;
  return hi * 0x100000000 + lo;
}

/** The 64-bit value of an address, where it goes into a register or a word (unfolds IA-64's). */
export function wordOfAddr(a: GuestAddr): bigint {
  if (a < REGION_SPAN || a >= 2 ** 53) return BigInt(a);
  const region = Math.floor(a / REGION_SPAN);
  return (BigInt(region) << 61n) | BigInt(a - region * REGION_SPAN);
}

/** `a` rounded down to its page (arithmetic, not `&`: JavaScript's bit operators are 32-bit). */
export const pageDown = (a: GuestAddr): GuestAddr => a - (a % PAGE);

/** `a` rounded up to a page boundary. */
export const pageUp = (a: GuestAddr): GuestAddr => Math.ceil(a / PAGE) * PAGE;

/** Whether `a` is page aligned. */
export const pageAligned = (a: GuestAddr): boolean => a % PAGE === 0;

/** `0x…` for messages; a folded IA-64 address shows as the address it stands for. */
export const hex = (a: GuestAddr | bigint): string =>
  `0x${(typeof a === 'number' && Number.isInteger(a) && a >= REGION_SPAN ? wordOfAddr(a) : a).toString(16)}`;
