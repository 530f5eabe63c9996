// Guest addresses. Every guest mapping lies below 2^53, so an address is a plain number:
// exact wherever anything is mapped. A 64-bit value used as an address (a register, a
// word in memory) becomes one through `addrOf`; one at 2^53 or above rounds to a number
// that is still at 2^53 or above, where nothing is mapped, so it faults as it should.
// 64-bit register and memory values stay BigInts.

/** A guest virtual address (below 2^53 wherever memory is mapped). */
export type GuestAddr = number;

/** The page size of every ISA here. */
export const PAGE = 0x1000;

/** A 64-bit value as an address (see the file comment for values at 2^53 and above). */
export function addrOf(v: bigint): GuestAddr {
  return Number(BigInt.asUintN(64, v));
}

/** The address of two 32-bit halves [low, high] (host-order reads): no BigInt is made. */
export function addrOfHalves(lo: number, hi: number): GuestAddr {
  return hi * 0x100000000 + lo;
}

/** `a` rounded down to its page (arithmetic, not `&`: JavaScript's bit operators are 32-bit). */
export const pageDown = (a: GuestAddr): GuestAddr => a - (a % PAGE);

/** `a` rounded up to a page boundary. */
export const pageUp = (a: GuestAddr): GuestAddr => Math.ceil(a / PAGE) * PAGE;

/** Whether `a` is page aligned. */
export const pageAligned = (a: GuestAddr): boolean => a % PAGE === 0;

/** `0x…` for messages. */
export const hex = (a: GuestAddr | bigint): string => `0x${a.toString(16)}`;
