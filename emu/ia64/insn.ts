// Counterpart: the Intel IA-64 Architecture Software Developer's Manual, vol. 3, ch. 4
// (instruction formats): the decoded record every unit decoder produces.

/** The execution unit of a slot, as the template names it (A-type instructions run on M or I). */
export type SlotUnit = 'M' | 'I' | 'F' | 'B' | 'X';

/**
 * What the interpreter switches on. One value per behaviour, not per mnemonic: completers
 * that change nothing observable here (hints, .clr) live in the record's other fields.
 */
export const Op = {
  ILLEGAL: 0,
  NOP: 1,
  BREAK: 2,
  // A unit
  ADD: 10,
  ADD1: 11,
  SUB: 12,
  SUB1: 13,
  AND: 14,
  ANDCM: 15,
  OR: 16,
  XOR: 17,
  SHLADD: 18,
  SUB_IMM: 19,
  AND_IMM: 20,
  ANDCM_IMM: 21,
  OR_IMM: 22,
  XOR_IMM: 23,
  ADD_IMM: 24,
  CMP: 25,
  CMP_IMM: 26,
  // I unit
  SHL: 40,
  SHR: 41,
  SHR_U: 42,
  EXTR: 43,
  EXTR_U: 44,
  DEP_Z: 45,
  DEP_Z_IMM: 46,
  DEP_IMM: 47,
  DEP: 48,
  SHRP: 49,
  TBIT: 50,
  TNAT: 51,
  MOV_TO_BR: 52,
  MOV_FROM_BR: 53,
  MOV_FROM_IP: 54,
  MOV_FROM_PR: 55,
  MOV_TO_PR: 56,
  MOV_TO_PR_ROT: 57,
  MOV_TO_AR: 58,
  MOV_TO_AR_IMM: 59,
  MOV_FROM_AR: 60,
  SXT: 61,
  ZXT: 62,
  // M unit
  LD: 70,
  ST: 71,
  ALLOC: 72,
  FLUSHRS: 73,
  MF: 74,
  LOADRS: 75,
  // B unit
  BR_COND: 80,
  BR_CLOOP: 81,
  BR_CALL: 82,
  BR_IND: 83,
  BR_CALL_IND: 84,
  BR_RET: 85,
  BR_MODULO: 86,
  // X unit
  MOVL: 90,
} as const;
export type Op = (typeof Op)[keyof typeof Op];

/** Compare relations after the decoder has applied the ctype's encoding (ne, le... are real). */
export const Rel = { EQ: 0, NE: 1, LT: 2, LE: 3, GT: 4, GE: 5, LTU: 6 } as const;
/** Compare/test-bit types as the hardware encodes them; orcm, andcm, and.orcm are assembler aliases. */
export const Ctype = { NONE: 0, UNC: 1, AND: 2, OR: 3, OR_ANDCM: 4 } as const;

/** One operand, for `format` only: the interpreter reads the numeric fields. */
export type Operand =
  | { kind: 'gr'; n: number }
  | { kind: 'pr'; n: number }
  | { kind: 'br'; n: number }
  | { kind: 'ar'; n: number }
  | { kind: 'mem'; n: number }
  | { kind: 'dec'; v: bigint }
  | { kind: 'hex'; v: bigint }
  | { kind: 'target'; disp: number }
  | { kind: 'name'; s: string };

/** A decoded slot. Fields an op does not use are 0. */
export interface Insn {
  readonly unit: SlotUnit;
  readonly op: Op;
  /** The mnemonic with its completers, as objdump prints it ("br.call.sptk.many"). */
  readonly mnemonic: string;
  /** Qualifying predicate (0: always). */
  readonly qp: number;
  /** Operands left of `=` (or all of them when there is no `=`). */
  readonly dests: readonly Operand[];
  readonly srcs: readonly Operand[];
  readonly r1: number;
  readonly r2: number;
  readonly r3: number;
  readonly p1: number;
  readonly p2: number;
  readonly b1: number;
  readonly b2: number;
  readonly ar: number;
  /** Bit position, shift count or access size in bytes, by op. */
  readonly pos: number;
  /** Field length, or a flag word (cmp4, ld8.fill/st8.spill), by op. */
  readonly len: number;
  readonly rel: number;
  readonly ctype: number;
  /** Immediate operand, sign-extended to 64 bits where the format says so. */
  readonly imm: bigint;
  /** IP-relative displacement in bytes (branches, brl, mov-to-br tags). */
  readonly disp: number;
  /** Slots the instruction occupies: 2 for MLX's L+X pair, else 1. */
  readonly width: 1 | 2;
}

/** Flags in `len` for loads and stores. */
export const LD_FILL = 1;
/** Post-increment kinds in `ctype` for loads and stores. */
export const INC_NONE = 0;
export const INC_REG = 1;
export const INC_IMM = 2;

/** Bits [pos, pos+len) of a 41-bit slot held exactly in a double (no 32-bit operators: 41 bits). */
export function bits(slot: number, pos: number, len: number): number {
  return Math.floor(slot / 2 ** pos) % 2 ** len;
}

/** `v`, `width` bits wide, sign-extended to a BigInt in two's complement (negative when the top bit is set). */
export function sext(v: number, width: number): bigint {
  return BigInt.asIntN(width, BigInt(v));
}

/** A record with every field zero but the ones given. */
export function insn(
  unit: SlotUnit,
  slot: number,
  op: Op,
  mnemonic: string,
  dests: readonly Operand[],
  srcs: readonly Operand[],
  f: Partial<Omit<Insn, 'unit' | 'op' | 'mnemonic' | 'dests' | 'srcs' | 'qp'>> = {},
): Insn {
  return {
    unit,
    op,
    mnemonic,
    qp: bits(slot, 0, 6),
    dests,
    srcs,
    r1: 0,
    r2: 0,
    r3: 0,
    p1: 0,
    p2: 0,
    b1: 0,
    b2: 0,
    ar: 0,
    pos: 0,
    len: 0,
    rel: 0,
    ctype: 0,
    imm: 0n,
    disp: 0,
    width: 1,
    ...f,
  };
}

/** An encoding this decoder does not know (or the ISA reserves). */
export function illegal(unit: SlotUnit, slot: number): Insn {
  return insn(unit, slot, Op.ILLEGAL, 'illegal', [], [{ kind: 'hex', v: BigInt(slot) }]);
}

export const gr = (n: number): Operand => ({ kind: 'gr', n });
export const pr = (n: number): Operand => ({ kind: 'pr', n });
export const brOp = (n: number): Operand => ({ kind: 'br', n });
export const arOp = (n: number): Operand => ({ kind: 'ar', n });
export const mem = (n: number): Operand => ({ kind: 'mem', n });
export const dec = (v: bigint | number): Operand => ({ kind: 'dec', v: BigInt(v) });
export const hexOp = (v: bigint | number): Operand => ({ kind: 'hex', v: BigInt(v) });
export const name = (s: string): Operand => ({ kind: 'name', s });
export const target = (disp: number): Operand => ({ kind: 'target', disp });

/** The 21-bit immediate of nop/break/hint on every unit: imm20a (6:25) and i (36). */
export function imm21(slot: number): number {
  return bits(slot, 36, 1) * 0x100000 + bits(slot, 6, 20);
}

/** Branch whether-hint names (wha / whb encodings 0..3). */
export const WH = ['sptk', 'spnt', 'dptk', 'dpnt'] as const;
