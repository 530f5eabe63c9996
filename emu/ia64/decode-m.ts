// Counterpart: the Intel IA-64 Architecture Software Developer's Manual, vol. 3, ch. 4.4
// (M-unit formats M1-M5 integer loads/stores, M25 flushrs and loadrs, M24 mf, invala, fwb, srlz, sync.i, M26-M27
// invala.e, M29-M31 and M34 alloc, M37).
import {
  arOp,
  bits,
  dec,
  gr,
  hexOp,
  illegal,
  imm21,
  INC_IMM,
  INC_NONE,
  INC_REG,
  insn,
  type Insn,
  LD_FILL,
  mem,
  name,
  Op,
  type Operand,
  sext,
} from './insn.js';

const LOAD_KIND: Record<number, string> = {
  0x00: '',
  0x01: '.s',
  0x02: '.a',
  0x03: '.sa',
  0x04: '.bias',
  0x05: '.acq',
  0x08: '.c.clr',
  0x09: '.c.nc',
  0x0a: '.c.clr.acq',
};
const LOAD_HINT = ['', '.nt1', '', '.nta'];

/** One M-slot that is not A-type. */
export function decodeM(slot: number): Insn {
  const major = bits(slot, 37, 4);
  const r1 = bits(slot, 6, 7);
  const r2 = bits(slot, 13, 7);
  const r3 = bits(slot, 20, 7);
  switch (major) {
    case 0:
      return decodeSys(slot, r3);
    case 1:
      return decodeAr(slot, r1, r2, r3);
    case 4:
    case 5:
      return decodeMem(slot, major, r1, r2, r3);
    default:
      return illegal('M', slot);
  }
}

function decodeSys(slot: number, r3: number): Insn {
  if (bits(slot, 33, 3) !== 0) return illegal('M', slot);
  const x4 = bits(slot, 27, 4);
  const x2 = bits(slot, 31, 2);
  const x6 = x2 * 16 + x4;
  switch (x6) {
    case 0x00:
      return insn('M', slot, Op.BREAK, 'break.m', [], [hexOp(imm21(slot))], { imm: BigInt(imm21(slot)) });
    case 0x01:
      if (bits(slot, 26, 1)) return insn('M', slot, Op.NOP, 'hint.m', [], [dec(imm21(slot))]);
      return insn('M', slot, Op.NOP, 'nop.m', [], [hexOp(imm21(slot))]);
    case 0x0a:
      return insn('M', slot, Op.LOADRS, 'loadrs', [], []);
    case 0x0c:
      return insn('M', slot, Op.FLUSHRS, 'flushrs', [], []);
    // The ALAT is not modelled (advanced loads act as plain loads): nothing to invalidate.
    case 0x10:
      return insn('M', slot, Op.MF, 'invala', [], []);
    case 0x12:
      return insn('M', slot, Op.MF, 'invala.e', [], [gr(bits(slot, 6, 7))]);
    case 0x13:
      return insn('M', slot, Op.MF, 'invala.e', [], [name(`f${bits(slot, 6, 7)}`)]);
    // Ordering and serialization: slots run one at a time, in order.
    case 0x20:
      return insn('M', slot, Op.MF, 'fwb', [], []);
    case 0x30:
      return insn('M', slot, Op.MF, 'srlz.d', [], []);
    case 0x31:
      return insn('M', slot, Op.MF, 'srlz.i', [], []);
    case 0x33:
      return insn('M', slot, Op.MF, 'sync.i', [], []);
    case 0x22:
      return insn('M', slot, Op.MF, 'mf', [], []);
    case 0x23:
      return insn('M', slot, Op.MF, 'mf.a', [], []);
    case 0x28: {
      const imm = sext(bits(slot, 36, 1) * 128 + bits(slot, 13, 7), 8);
      return insn('M', slot, Op.MOV_TO_AR_IMM, 'mov.m', [arOp(r3)], [dec(imm)], { ar: r3, imm });
    }
  }
  return illegal('M', slot);
}

function decodeAr(slot: number, r1: number, r2: number, r3: number): Insn {
  const x3 = bits(slot, 33, 3);
  if (x3 === 6) {
    // M34: the fields are sof, sol and sor/8; objdump prints sof, sol, sor.
    const sof = r2;
    const sol = r3;
    const sor = bits(slot, 27, 4);
    return insn('M', slot, Op.ALLOC, 'alloc', [gr(r1)], [name('ar.pfs'), dec(sof), dec(sol), dec(sor * 8)], {
      r1,
      pos: sof,
      len: sol,
      rel: sor,
    });
  }
  if (x3 !== 0) return illegal('M', slot);
  const x6 = bits(slot, 27, 6);
  if (x6 === 0x2a) return insn('M', slot, Op.MOV_TO_AR, 'mov.m', [arOp(r3)], [gr(r2)], { ar: r3, r2 });
  if (x6 === 0x22) return insn('M', slot, Op.MOV_FROM_AR, 'mov.m', [gr(r1)], [arOp(r3)], { ar: r3, r1 });
  return illegal('M', slot);
}

function decodeMem(slot: number, major: number, r1: number, r2: number, r3: number): Insn {
  const m = bits(slot, 36, 1);
  const x = bits(slot, 27, 1);
  const x6 = bits(slot, 30, 6);
  const hint = bits(slot, 28, 2);
  const size = 1 << (x6 & 3);
  // Major 4 with m set is the register post-increment form; major 5 the immediate one (M3/M5),
  // whose 9-bit immediate takes bit 27 (the x bit of major 4) and bit 36 (m).
  if (major === 4 && x !== 0) return illegal('M', slot);
  const inc = major === 5 ? INC_IMM : m ? INC_REG : INC_NONE;
  if (x6 >= 0x30) {
    const spill = x6 === 0x3b;
    if (!spill && x6 > 0x37) return illegal('M', slot);
    if (inc === INC_REG) return illegal('M', slot);
    const mn = spill ? 'st8.spill' : `st${size}${x6 >= 0x34 ? '.rel' : ''}`;
    const imm = inc === INC_IMM ? sext(bits(slot, 36, 1) * 256 + x * 128 + bits(slot, 6, 7), 9) : 0n;
    const srcs: Operand[] = inc === INC_IMM ? [gr(r2), dec(imm)] : [gr(r2)];
    return insn('M', slot, Op.ST, `${mn}${hint === 3 ? '.nta' : ''}`, [mem(r3)], srcs, {
      r2,
      r3,
      imm,
      pos: spill ? 8 : size,
      len: spill ? LD_FILL : 0,
      ctype: inc,
    });
  }
  const fill = x6 === 0x1b;
  const kind = LOAD_KIND[x6 >> 2];
  if (!fill && kind === undefined) return illegal('M', slot);
  const mn = `${fill ? 'ld8.fill' : `ld${size}${kind}`}${LOAD_HINT[hint]}`;
  const imm = inc === INC_IMM ? sext(bits(slot, 36, 1) * 256 + x * 128 + r2, 9) : 0n;
  const srcs: Operand[] =
    inc === INC_IMM ? [mem(r3), dec(imm)] : inc === INC_REG ? [mem(r3), gr(r2)] : [mem(r3)];
  return insn('M', slot, Op.LD, mn, [gr(r1)], srcs, {
    r1,
    r2,
    r3,
    imm,
    pos: fill ? 8 : size,
    len: fill ? LD_FILL : 0,
    ctype: inc,
  });
}
