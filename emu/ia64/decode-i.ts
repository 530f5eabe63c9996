// Counterpart: the Intel IA-64 Architecture Software Developer's Manual, vol. 3, ch. 4.3
// (I-unit formats I5-I29: shifts, extract/deposit, shrp, tbit, moves to and from br/pr/ar/ip).
import {
  arOp,
  bits,
  brOp,
  Ctype,
  dec,
  gr,
  hexOp,
  illegal,
  imm21,
  insn,
  type Insn,
  name,
  Op,
  pr,
  sext,
  target,
} from './insn.js';

/** One I-slot (major opcodes 0-7; 8-0xE are A-type and decoded elsewhere). */
export function decodeI(slot: number): Insn {
  const major = bits(slot, 37, 4);
  const r1 = bits(slot, 6, 7);
  const r2 = bits(slot, 13, 7);
  const r3 = bits(slot, 20, 7);
  switch (major) {
    case 0:
      return decodeMisc(slot, r1, r2, r3);
    case 4: {
      // I15: dep with a 4-bit length; positions are encoded as 63 - pos.
      const pos = 63 - bits(slot, 31, 6);
      const len = bits(slot, 27, 4) + 1;
      return insn('I', slot, Op.DEP, 'dep', [gr(r1)], [gr(r2), gr(r3), dec(pos), dec(len)], {
        r1,
        r2,
        r3,
        pos,
        len,
      });
    }
    case 5:
      return decodeBitField(slot, r1, r2, r3);
    case 7:
      return decodeShift(slot, r1, r2, r3);
    default:
      return illegal('I', slot);
  }
}

function decodeMisc(slot: number, r1: number, r2: number, r3: number): Insn {
  const x3 = bits(slot, 33, 3);
  if (x3 === 7) {
    // I21: mov to BR; the tag is an IP-relative hint target.
    const b1 = bits(slot, 6, 3);
    const wh = bits(slot, 20, 2);
    const ret = bits(slot, 22, 1);
    const ih = bits(slot, 23, 1);
    const disp = Number(sext(bits(slot, 24, 9), 9)) * 16;
    if (ret === 0 && ih === 0 && wh === 1 && disp === 0)
      return insn('I', slot, Op.MOV_TO_BR, 'mov', [brOp(b1)], [gr(r2)], { b1, r2 });
    const mn = `mov${ret ? '.ret' : ''}${['.sptk', '', '.dptk', ''][wh]}${ih ? '.imp' : ''}`;
    return insn('I', slot, Op.MOV_TO_BR, mn, [brOp(b1)], [gr(r2), target(disp)], { b1, r2, disp });
  }
  if (x3 === 3) {
    // I23: mov pr = r2, mask17; the 16 encoded bits are mask bits 1-16 (p0 never changes),
    // sign-extended over p17-p63.
    const m16 = bits(slot, 36, 1) * 2 ** 15 + bits(slot, 24, 8) * 128 + bits(slot, 6, 7);
    const mask = BigInt.asUintN(64, sext(m16, 16) << 1n);
    return insn('I', slot, Op.MOV_TO_PR, 'mov', [name('pr')], [gr(r2), hexOp(mask)], { r2, imm: mask });
  }
  if (x3 === 2) {
    // I24: mov pr.rot = imm44 (only p16-p63 change).
    const imm = BigInt.asUintN(64, sext(bits(slot, 36, 1) * 2 ** 27 + bits(slot, 6, 27), 28) << 16n);
    return insn('I', slot, Op.MOV_TO_PR_ROT, 'mov', [name('pr.rot')], [hexOp(imm)], { imm });
  }
  if (x3 !== 0) return illegal('I', slot);
  const x6 = bits(slot, 27, 6);
  switch (x6) {
    case 0x00:
      return insn('I', slot, Op.BREAK, 'break.i', [], [hexOp(imm21(slot))], { imm: BigInt(imm21(slot)) });
    case 0x01: {
      const mn = bits(slot, 26, 1) ? 'hint.i' : 'nop.i';
      return insn('I', slot, Op.NOP, mn, [], [hexOp(imm21(slot))], { imm: BigInt(imm21(slot)) });
    }
    case 0x0a: {
      const imm = sext(bits(slot, 36, 1) * 128 + r2, 8);
      return insn('I', slot, Op.MOV_TO_AR_IMM, 'mov.i', [arOp(r3)], [dec(imm)], { ar: r3, imm });
    }
    case 0x2a:
      return insn('I', slot, Op.MOV_TO_AR, 'mov.i', [arOp(r3)], [gr(r2)], { ar: r3, r2 });
    case 0x32:
      return insn('I', slot, Op.MOV_FROM_AR, 'mov.i', [gr(r1)], [arOp(r3)], { ar: r3, r1 });
    case 0x30:
      return insn('I', slot, Op.MOV_FROM_IP, 'mov', [gr(r1)], [name('ip')], { r1 });
    case 0x31: {
      const b2 = bits(slot, 13, 3);
      return insn('I', slot, Op.MOV_FROM_BR, 'mov', [gr(r1)], [brOp(b2)], { r1, b2 });
    }
    case 0x33:
      return insn('I', slot, Op.MOV_FROM_PR, 'mov', [gr(r1)], [name('pr')], { r1 });
  }
  if (x6 >= 0x10 && x6 <= 0x16 && x6 !== 0x13) {
    // I29: zxt1/2/4 (0x10-0x12), sxt1/2/4 (0x14-0x16); pos is the width in bytes.
    const size = 1 << (x6 & 3);
    const signed = x6 >= 0x14;
    const mn = `${signed ? 'sxt' : 'zxt'}${size}`;
    return insn('I', slot, signed ? Op.SXT : Op.ZXT, mn, [gr(r1)], [gr(r3)], { r1, r3, pos: size });
  }
  return illegal('I', slot);
}

const TB_CTYPE = [Ctype.NONE, Ctype.AND, Ctype.OR, Ctype.OR_ANDCM];
const TB_NAMES = ['', '.and', '.or', '.or.andcm'];

function decodeBitField(slot: number, r1: number, r2: number, r3: number): Insn {
  const x2 = bits(slot, 34, 2);
  const x = bits(slot, 33, 1);
  const len = bits(slot, 27, 6) + 1;
  if (x2 === 1 && x === 0) {
    // I11: extr / extr.u; objdump names the pos+len = 64 cases shr / shr.u.
    const signed = bits(slot, 13, 1) === 1;
    const pos = bits(slot, 14, 6);
    const op = signed ? Op.EXTR : Op.EXTR_U;
    const f = { r1, r3, pos, len };
    if (pos + len === 64)
      return insn('I', slot, op, signed ? 'shr' : 'shr.u', [gr(r1)], [gr(r3), dec(pos)], f);
    return insn('I', slot, op, signed ? 'extr' : 'extr.u', [gr(r1)], [gr(r3), dec(pos), dec(len)], f);
  }
  if (x2 === 1 && x === 1) {
    const pos = 63 - bits(slot, 20, 6);
    if (bits(slot, 26, 1) === 0) {
      // I12: dep.z r1 = r2; pos + len = 64 is objdump's shl.
      const f = { r1, r2, pos, len };
      if (pos + len === 64) return insn('I', slot, Op.DEP_Z, 'shl', [gr(r1)], [gr(r2), dec(pos)], f);
      return insn('I', slot, Op.DEP_Z, 'dep.z', [gr(r1)], [gr(r2), dec(pos), dec(len)], f);
    }
    const imm = sext(bits(slot, 36, 1) * 128 + r2, 8);
    return insn('I', slot, Op.DEP_Z_IMM, 'dep.z', [gr(r1)], [dec(imm), dec(pos), dec(len)], {
      r1,
      imm,
      pos,
      len,
    });
  }
  if (x2 === 3 && x === 1) {
    // I14: dep r1 = imm1, r3 (the one-bit immediate fills the field with 0 or -1).
    const pos = 63 - bits(slot, 14, 6);
    const imm = bits(slot, 36, 1) ? -1n : 0n;
    return insn('I', slot, Op.DEP_IMM, 'dep', [gr(r1)], [dec(imm), gr(r3), dec(pos), dec(len)], {
      r1,
      r3,
      imm,
      pos,
      len,
    });
  }
  if (x2 === 3 && x === 0) {
    const count = bits(slot, 27, 6);
    return insn('I', slot, Op.SHRP, 'shrp', [gr(r1)], [gr(r2), gr(r3), dec(count)], {
      r1,
      r2,
      r3,
      pos: count,
    });
  }
  if (x2 === 0) {
    // I16/I17: tbit and tnat; ya selects tnat, xc (bit 19) with ya is the tf family.
    const p1 = bits(slot, 6, 6);
    const p2 = bits(slot, 27, 6);
    const ta = bits(slot, 33, 1);
    const tb = bits(slot, 36, 1);
    const c = bits(slot, 12, 1);
    const nat = bits(slot, 13, 1) === 1;
    if (nat && bits(slot, 19, 1) === 1) return illegal('I', slot);
    const kind = ta * 2 + tb;
    const ctype = kind === 0 && c ? Ctype.UNC : (TB_CTYPE[kind] ?? Ctype.NONE);
    // rel: 0 tests for zero (.z), 1 for non-zero (.nz, c set in a parallel form).
    const nz = kind !== 0 && c === 1;
    const mn = `${nat ? 'tnat' : 'tbit'}.${nz ? 'nz' : 'z'}${kind === 0 && c ? '.unc' : TB_NAMES[kind]}`;
    const pos = bits(slot, 14, 6);
    const srcs = nat ? [gr(r3)] : [gr(r3), dec(pos)];
    return insn('I', slot, nat ? Op.TNAT : Op.TBIT, mn, [pr(p1), pr(p2)], srcs, {
      p1,
      p2,
      r3,
      pos,
      ctype,
      rel: nz ? 1 : 0,
    });
  }
  return illegal('I', slot);
}

function decodeShift(slot: number, r1: number, r2: number, r3: number): Insn {
  // I5/I7: variable shifts (za = zb = 1, ve = 0, x2a = 0); other opcode-7 forms are multimedia.
  const za = bits(slot, 36, 1);
  const zb = bits(slot, 33, 1);
  const ve = bits(slot, 32, 1);
  const x2a = bits(slot, 34, 2);
  const x2b = bits(slot, 28, 2);
  const x2c = bits(slot, 30, 2);
  if (za !== 1 || zb !== 1 || ve !== 0 || x2a !== 0) return illegal('I', slot);
  if (x2b === 0 && x2c === 1)
    return insn('I', slot, Op.SHL, 'shl', [gr(r1)], [gr(r2), gr(r3)], { r1, r2, r3 });
  if (x2b === 2 && x2c === 0)
    return insn('I', slot, Op.SHR, 'shr', [gr(r1)], [gr(r3), gr(r2)], { r1, r2, r3 });
  if (x2b === 0 && x2c === 0)
    return insn('I', slot, Op.SHR_U, 'shr.u', [gr(r1)], [gr(r3), gr(r2)], { r1, r2, r3 });
  return illegal('I', slot);
}
