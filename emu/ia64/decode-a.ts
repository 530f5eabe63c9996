// Counterpart: the Intel IA-64 Architecture Software Developer's Manual, vol. 3, ch. 4.2
// (A-unit formats A1-A8: integer ALU, shladd, adds/addl, integer compares).
import { bits, Ctype, dec, gr, illegal, insn, type Insn, Op, pr, Rel, sext, type SlotUnit } from './insn.js';

const ALU_REG: Record<number, [Op, string, boolean]> = {
  0x00: [Op.ADD, 'add', false],
  0x01: [Op.ADD1, 'add', true],
  0x11: [Op.SUB, 'sub', false],
  0x10: [Op.SUB1, 'sub', true],
  0x30: [Op.AND, 'and', false],
  0x31: [Op.ANDCM, 'andcm', false],
  0x32: [Op.OR, 'or', false],
  0x33: [Op.XOR, 'xor', false],
};
const ALU_IMM: Record<number, [Op, string]> = {
  0x91: [Op.SUB_IMM, 'sub'],
  0xb0: [Op.AND_IMM, 'and'],
  0xb1: [Op.ANDCM_IMM, 'andcm'],
  0xb2: [Op.OR_IMM, 'or'],
  0xb3: [Op.XOR_IMM, 'xor'],
};

/** Major opcodes 8 (ALU), 9 (addl), 0xC-0xE (compares) in an M or I slot. */
export function decodeA(unit: SlotUnit, slot: number): Insn {
  const major = bits(slot, 37, 4);
  const r1 = bits(slot, 6, 7);
  const r2 = bits(slot, 13, 7);
  const r3 = bits(slot, 20, 7);
  if (major === 9) {
    // A5: the 22-bit immediate reaches only r0-r3 as its source.
    const v = bits(slot, 36, 1) * 2 ** 21 + bits(slot, 22, 5) * 2 ** 16 + bits(slot, 27, 9) * 128 + r2;
    const imm = sext(v, 22);
    const r3b = bits(slot, 20, 2);
    if (r3b === 0) return insn(unit, slot, Op.ADD_IMM, 'mov', [gr(r1)], [dec(imm)], { r1, imm });
    return insn(unit, slot, Op.ADD_IMM, 'addl', [gr(r1)], [dec(imm), gr(r3b)], { r1, r3: r3b, imm });
  }
  if (major === 8) return decodeAlu(unit, slot, r1, r2, r3);
  return decodeCmp(unit, slot, major, r2, r3);
}

function decodeAlu(unit: SlotUnit, slot: number, r1: number, r2: number, r3: number): Insn {
  const x2a = bits(slot, 34, 2);
  const ve = bits(slot, 33, 1);
  if (ve !== 0) return illegal(unit, slot);
  if (x2a === 2) {
    // A4 adds; with r3 = r0 objdump prints the `mov r1=imm` alias.
    const v = bits(slot, 36, 1) * 2 ** 13 + bits(slot, 27, 6) * 128 + r2;
    const imm = sext(v, 14);
    if (imm === 0n) return insn(unit, slot, Op.ADD_IMM, 'mov', [gr(r1)], [gr(r3)], { r1, r3, imm });
    if (r3 === 0) return insn(unit, slot, Op.ADD_IMM, 'mov', [gr(r1)], [dec(imm)], { r1, r3, imm });
    return insn(unit, slot, Op.ADD_IMM, 'adds', [gr(r1)], [dec(imm), gr(r3)], { r1, r3, imm });
  }
  if (x2a !== 0) return illegal(unit, slot);
  const x4 = bits(slot, 29, 4);
  const x2b = bits(slot, 27, 2);
  if (x4 === 4) {
    const count = x2b + 1;
    return insn(unit, slot, Op.SHLADD, 'shladd', [gr(r1)], [gr(r2), dec(count), gr(r3)], {
      r1,
      r2,
      r3,
      pos: count,
    });
  }
  const key = x4 * 16 + x2b;
  const reg = ALU_REG[key];
  if (reg) {
    const [op, mn, one] = reg;
    const srcs = one ? [gr(r2), gr(r3), dec(1)] : [gr(r2), gr(r3)];
    return insn(unit, slot, op, mn, [gr(r1)], srcs, { r1, r2, r3 });
  }
  const imm8 = ALU_IMM[key];
  if (imm8) {
    const imm = sext(bits(slot, 36, 1) * 128 + r2, 8);
    return insn(unit, slot, imm8[0], imm8[1], [gr(r1)], [dec(imm), gr(r3)], { r1, r3, imm });
  }
  return illegal(unit, slot);
}

// [major opcode][tb*2+ta][c]: the relation and ctype each register-form encoding means.
const REL_NAMES = ['eq', 'ne', 'lt', 'le', 'gt', 'ge', 'ltu'];
const CT_NAMES = ['', '.unc', '.and', '.or', '.or.andcm'];
const BASE: Record<number, [number, number, number]> = {
  0xc: [Rel.LT, Ctype.AND, Ctype.NONE],
  0xd: [Rel.LTU, Ctype.OR, Ctype.NONE],
  0xe: [Rel.EQ, Ctype.OR_ANDCM, Ctype.NONE],
};

function decodeCmp(unit: SlotUnit, slot: number, major: number, r2: number, r3: number): Insn {
  const base = BASE[major];
  if (!base) return illegal(unit, slot);
  const [plainRel, parallel] = base;
  const x2 = bits(slot, 34, 2);
  const tb = bits(slot, 36, 1);
  const ta = bits(slot, 33, 1);
  const c = bits(slot, 12, 1);
  const p1 = bits(slot, 6, 6);
  const p2 = bits(slot, 27, 6);
  const four = x2 & 1;
  const immForm = x2 >= 2;
  let rel: number;
  let ctype: number;
  let zeroForm = false;
  if (immForm || tb === 0) {
    if (ta === 0) {
      rel = plainRel;
      ctype = c ? Ctype.UNC : Ctype.NONE;
    } else {
      rel = c ? Rel.NE : Rel.EQ;
      ctype = parallel;
    }
  } else {
    // A7: parallel compares of r3 against zero; the r2 field must name r0.
    if (r2 !== 0) return illegal(unit, slot);
    rel = [Rel.GT, Rel.LE, Rel.GE, Rel.LT][ta * 2 + c] ?? Rel.GT;
    ctype = parallel;
    zeroForm = true;
  }
  const mn = `cmp${four ? '4' : ''}.${REL_NAMES[rel]}${CT_NAMES[ctype]}`;
  const dests = [pr(p1), pr(p2)];
  if (immForm) {
    const imm = sext(tb * 128 + r2, 8);
    return insn(unit, slot, Op.CMP_IMM, mn, dests, [dec(imm), gr(r3)], {
      p1,
      p2,
      r3,
      imm,
      rel,
      ctype,
      len: four,
    });
  }
  return insn(unit, slot, Op.CMP, mn, dests, [gr(zeroForm ? 0 : r2), gr(r3)], {
    p1,
    p2,
    r2,
    r3,
    rel,
    ctype,
    len: four,
  });
}
