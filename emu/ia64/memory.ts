// Counterpart: the Intel IA-64 Architecture Software Developer's Manual, vol. 2, ch. 4.1
// (virtual regions): folded 64-bit addresses, and the bus the interpreter loads, stores and
// fetches through (pages.ts implements it over the machine's memory).
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
