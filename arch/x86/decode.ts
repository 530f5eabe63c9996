// Counterpart: the kernel's x86 instruction decoder (arch/x86/lib/insn.c) in the small:
// prefixes, REX, opcode maps, ModRM/SIB, displacement and immediate sizes. Enough to find
// instruction boundaries and the parts the kprobe fix-ups read. No probe logic here.

export interface X86Insn {
  /** Total length in bytes. */
  len: number;
  /** Legacy prefixes in order (66, 67, f0, f2, f3, segment overrides). */
  prefixes: number[];
  /** REX byte (x86_64), or 0. */
  rex: number;
  /** Opcode: one byte, 0x0fXX for two-byte, 0x0f38XX / 0x0f3aXX for three-byte maps. */
  opcode: number;
  /** Offset of the opcode's first byte (after prefixes and REX). */
  opcodeOffset: number;
  modrm: number | undefined;
  /** Offset of a RIP-relative disp32 (x86_64 ModRM mod=00 rm=101), when there is one. */
  ripDispOffset: number | undefined;
  /** Operand-size override (66) present. */
  opsize16: boolean;
  /**
   * 'vex' (c4, c5: AVX) or 'evex' (62: AVX-512) where the instruction has one; `opcode` is
   * then its map's (0x0fXX, 0x0f38XX, 0x0f3aXX; EVEX maps 5 and 6: 0x05XX, 0x06XX).
   */
  vex?: 'vex' | 'evex';
  /** VEX.L: a 256-bit (ymm) operation where set. */
  vexL?: boolean;
}

export class DecodeError extends Error {}

const SEG_PREFIXES = new Set([0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65]);
const PREFIXES = new Set([0x66, 0x67, 0xf0, 0xf2, 0xf3, ...SEG_PREFIXES]);

// One-byte opcodes with a ModRM byte.
const MODRM1 = new Set<number>();
for (let b = 0; b < 0x40; b++) if ((b & 7) < 4) MODRM1.add(b);
for (const b of [
  0x62, 0x63, 0x69, 0x6b, 0x80, 0x81, 0x82, 0x83, 0xc0, 0xc1, 0xc4, 0xc5, 0xc6, 0xc7, 0xd0, 0xd1, 0xd2, 0xd3,
  0xf6, 0xf7, 0xfe, 0xff,
])
  MODRM1.add(b);
for (let b = 0x84; b <= 0x8f; b++) MODRM1.add(b);
for (let b = 0xd8; b <= 0xdf; b++) MODRM1.add(b);

// Two-byte (0f xx) opcodes without a ModRM byte.
const NO_MODRM2 = new Set([
  0x05, 0x06, 0x07, 0x08, 0x09, 0x0b, 0x0e, 0x30, 0x31, 0x32, 0x33, 0x34, 0x35, 0x37, 0x77, 0xa0, 0xa1, 0xa2,
  0xa8, 0xa9, 0xaa,
]);
for (let b = 0x80; b <= 0x8f; b++) NO_MODRM2.add(b);
for (let b = 0xc8; b <= 0xcf; b++) NO_MODRM2.add(b);
// Two-byte opcodes with an imm8 after ModRM.
const IMM8_2 = new Set([0x0f, 0x70, 0x71, 0x72, 0x73, 0xa4, 0xac, 0xba, 0xc2, 0xc4, 0xc5, 0xc6]);

/**
 * Decode one instruction at the start of `bytes` (at most 15 are read) in 32- or 64-bit
 * mode, VEX and EVEX ones included. Throws DecodeError for what it cannot decode (16-bit
 * addressing, opcodes invalid in the mode).
 */
export function decodeX86(bytes: Uint8Array, mode: 32 | 64): X86Insn {
  let i = 0;
  const at = (k: number): number => {
    const b = k < 15 ? bytes[k] : undefined;
    if (b === undefined) throw new DecodeError('instruction runs past 15 bytes or the end of the code');
    return b;
  };
  const prefixes: number[] = [];
  while (PREFIXES.has(at(i))) prefixes.push(at(i++));
  let rex = 0;
  if (mode === 64 && (at(i) & 0xf0) === 0x40) rex = at(i++);
  const opsize16 = prefixes.includes(0x66);
  const addr32in64 = prefixes.includes(0x67);
  if (mode === 32 && prefixes.includes(0x67))
    throw new DecodeError('16-bit addressing (67 prefix) is not supported');
  const rexW = (rex & 8) !== 0;
  const immZ = opsize16 ? 2 : 4;
  const opcodeOffset = i;
  // c4, c5 and 62 begin VEX and EVEX in 64-bit mode; in 32-bit mode only where the next byte
  // could not be a ModRM of les, lds or bound (mod 11).
  const first = at(i);
  if ((first === 0xc4 || first === 0xc5 || first === 0x62) && (mode === 64 || at(i + 1) >= 0xc0)) {
    if (rex !== 0 || prefixes.some((p) => p === 0x66 || p === 0xf0 || p === 0xf2 || p === 0xf3))
      throw new DecodeError('a VEX or EVEX prefix after REX, 66, f0, f2 or f3 is invalid (#UD)');
    return decodeVex(at, i, mode, prefixes);
  }
  const b0 = at(i++);
  let opcode = b0;
  let hasModrm = false;
  let imm = 0;

  if (b0 === 0x0f) {
    const b1 = at(i++);
    if (b1 === 0x38 || b1 === 0x3a) {
      const b2 = at(i++);
      opcode = (0x0f0000 | (b1 << 8) | b2) >>> 0;
      hasModrm = true;
      imm = b1 === 0x3a ? 1 : 0;
    } else {
      opcode = 0x0f00 | b1;
      hasModrm = !NO_MODRM2.has(b1);
      if (IMM8_2.has(b1)) imm = 1;
      if (b1 >= 0x80 && b1 <= 0x8f) imm = 4; // jcc rel32
    }
  } else {
    if (
      mode === 64 &&
      [
        0x06, 0x07, 0x0e, 0x16, 0x17, 0x1e, 0x1f, 0x27, 0x2f, 0x37, 0x3f, 0x60, 0x61, 0x62, 0x82, 0x9a, 0xc4,
        0xc5, 0xce, 0xd4, 0xd5, 0xd6, 0xea,
      ].includes(b0)
    )
      throw new DecodeError(`opcode 0x${b0.toString(16)} is invalid in 64-bit mode`);
    hasModrm = MODRM1.has(b0);
    if (
      (b0 < 0x40 && (b0 & 7) === 4) ||
      b0 === 0x6a ||
      b0 === 0x6b ||
      (b0 >= 0x70 && b0 <= 0x7f) ||
      b0 === 0x80 ||
      b0 === 0x82 ||
      b0 === 0x83 ||
      b0 === 0xa8 ||
      (b0 >= 0xb0 && b0 <= 0xb7) ||
      b0 === 0xc0 ||
      b0 === 0xc1 ||
      b0 === 0xc6 ||
      b0 === 0xcd ||
      b0 === 0xd4 ||
      b0 === 0xd5 ||
      (b0 >= 0xe0 && b0 <= 0xe7) ||
      b0 === 0xeb
    )
      imm = 1;
    else if (
      (b0 < 0x40 && (b0 & 7) === 5) ||
      b0 === 0x68 ||
      b0 === 0x69 ||
      b0 === 0x81 ||
      b0 === 0xa9 ||
      b0 === 0xc7
    )
      imm = immZ;
    else if (b0 >= 0xb8 && b0 <= 0xbf) imm = rexW ? 8 : immZ;
    else if (b0 === 0xe8 || b0 === 0xe9) imm = 4;
    else if (b0 === 0xc2 || b0 === 0xca) imm = 2;
    else if (b0 === 0xc8) imm = 3;
    else if (b0 === 0x9a || b0 === 0xea) imm = 2 + immZ;
    else if (b0 >= 0xa0 && b0 <= 0xa3) imm = mode === 64 ? (addr32in64 ? 4 : 8) : 4;
  }

  let modrm: number | undefined;
  let ripDispOffset: number | undefined;
  if (hasModrm) {
    modrm = at(i);
    if (b0 === 0xf6 && ((modrm >> 3) & 7) < 2) imm = 1;
    if (b0 === 0xf7 && ((modrm >> 3) & 7) < 2) imm = immZ;
    ({ i, ripDispOffset } = operand(at, i, mode));
  }
  i += imm;
  if (i > 15) throw new DecodeError('instruction longer than 15 bytes');
  if (i > bytes.length) throw new DecodeError('instruction runs past the end of the code');
  return { len: i, prefixes, rex, opcode, opcodeOffset, modrm, ripDispOffset, opsize16 };
}

/**
 * The memory or register operand from the ModRM byte at `i`: past it, its SIB byte and its
 * displacement; where the displacement is RIP-relative (64-bit mode, mod 00 rm 101).
 */
function operand(at: (k: number) => number, i: number, mode: 32 | 64): { i: number; ripDispOffset?: number } {
  const modrm = at(i++);
  const mod = modrm >> 6;
  const rm = modrm & 7;
  let ripDispOffset: number | undefined;
  if (mod !== 3) {
    if (rm === 4) {
      const sib = at(i++);
      if (mod === 0 && (sib & 7) === 5) i += 4;
    } else if (mod === 0 && rm === 5) {
      if (mode === 64) ripDispOffset = i;
      i += 4;
    }
    if (mod === 1) i += 1;
    else if (mod === 2) i += 4;
  }
  return ripDispOffset !== undefined ? { i, ripDispOffset } : { i };
}

/** VEX map 1 (0f) opcodes with an imm8 after ModRM; every map 3 (0f3a) one has one. */
const VEX_IMM8_MAP1 = new Set([0x70, 0x71, 0x72, 0x73, 0xc2, 0xc4, 0xc5, 0xc6]);

/**
 * A VEX (c4 3 bytes, c5 2 bytes) or EVEX (62, 4 bytes) instruction from its prefix at `i`:
 * the opcode, a ModRM (but vzeroupper and vzeroall, VEX 0f 77), its SIB and displacement,
 * and an imm8 where the map or opcode has one (Intel SDM vol. 2, 2.3 and 2.7).
 */
function decodeVex(at: (k: number) => number, i: number, mode: 32 | 64, prefixes: number[]): X86Insn {
  const kind = at(i) === 0x62 ? 'evex' : 'vex';
  // VEX.L is bit 2 of the last prefix byte.
  const vexL = kind === 'vex' && (at(at(i) === 0xc5 ? i + 1 : i + 2) & 4) !== 0;
  let map: number;
  if (kind === 'evex') {
    map = at(i + 1) & 0x7;
    if (map !== 1 && map !== 2 && map !== 3 && map !== 5 && map !== 6)
      throw new DecodeError(`EVEX map ${map} is reserved`);
    i += 4;
  } else if (at(i) === 0xc5) {
    map = 1;
    i += 2;
  } else {
    map = at(i + 1) & 0x1f;
    if (map < 1 || map > 3) throw new DecodeError(`VEX map ${map} is reserved`);
    i += 3;
  }
  const opcodeOffset = i;
  const op = at(i++);
  const opcode = (map === 1 ? 0x0f00 : map === 2 ? 0x0f3800 : map === 3 ? 0x0f3a00 : map << 8) | op;
  let modrm: number | undefined;
  let ripDispOffset: number | undefined;
  if (!(kind === 'vex' && map === 1 && op === 0x77)) {
    modrm = at(i);
    ({ i, ripDispOffset } = operand(at, i, mode));
  }
  if (map === 3 || (map === 1 && VEX_IMM8_MAP1.has(op))) i += 1;
  if (i > 15) throw new DecodeError('instruction longer than 15 bytes');
  at(i - 1); // its last byte is there
  return {
    len: i,
    prefixes,
    rex: 0,
    opcode,
    opcodeOffset,
    modrm,
    ripDispOffset,
    opsize16: false,
    vex: kind,
    ...(kind === 'vex' ? { vexL } : {}),
  };
}

/**
 * A string instruction (ins, outs, movs, cmps, stos, lods, scas) with a REP prefix: it runs
 * once an iteration, beginning again at its own address each time.
 */
export function isRepString(insn: X86Insn): boolean {
  const op = insn.opcode;
  const string = (op >= 0x6c && op <= 0x6f) || (op >= 0xa4 && op <= 0xa7) || (op >= 0xaa && op <= 0xaf);
  return string && insn.prefixes.some((p) => p === 0xf2 || p === 0xf3);
}
