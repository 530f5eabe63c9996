// Counterpart: the Intel IA-64 Architecture Software Developer's Manual, vol. 3, ch. 4.5
// (B-unit formats B1-B5 and B9: IP-relative and indirect branches, calls, returns, nop/break).
import { bits, brOp, illegal, imm21, insn, type Insn, hexOp, Op, sext, target, WH } from './insn.js';

// B1 branch types (btype, bits 6:8) beyond br.cond: the loop branches.
const B1_NAMES: Record<number, string> = { 2: 'wexit', 3: 'wtop', 5: 'cloop', 6: 'cexit', 7: 'ctop' };
// B5's 3-bit whether-hint (bits 32:34) uses only the odd encodings.
const WHC: Record<number, string> = { 1: 'sptk', 3: 'spnt', 5: 'dptk', 7: 'dpnt' };

/** The completers of a branch: objdump spells an unpredicated static-taken br.cond as plain `br`. */
export function branchName(
  base: string,
  qp: number,
  wh: number,
  p: number,
  d: number,
  cond: boolean,
): string {
  const ph = p ? 'many' : 'few';
  const clr = d ? '.clr' : '';
  if (cond && qp === 0 && wh === 0) return `${base}.${ph}${clr}`;
  return `${base}${cond ? '.cond' : ''}.${WH[wh]}.${ph}${clr}`;
}

/** One B-slot. */
export function decodeB(slot: number): Insn {
  const major = bits(slot, 37, 4);
  const qp = bits(slot, 0, 6);
  const p = bits(slot, 12, 1);
  const d = bits(slot, 35, 1);
  const wh = bits(slot, 33, 2);
  const btype = bits(slot, 6, 3);
  const disp = Number(sext(bits(slot, 36, 1) * 2 ** 20 + bits(slot, 13, 20), 21)) * 16;
  switch (major) {
    case 0: {
      const x6 = bits(slot, 27, 6);
      const b2 = bits(slot, 13, 3);
      if (x6 === 0x00)
        return insn('B', slot, Op.BREAK, 'break.b', [], [hexOp(imm21(slot))], { imm: BigInt(imm21(slot)) });
      if (x6 === 0x20 && btype <= 1) {
        const mn =
          btype === 0 ? branchName('br', qp, wh, p, d, true) : branchName('br.ia', qp, wh, p, d, false);
        return insn('B', slot, Op.BR_IND, mn, [], [brOp(b2)], { b2 });
      }
      if (x6 === 0x21 && btype === 4)
        return insn('B', slot, Op.BR_RET, branchName('br.ret', qp, wh, p, d, false), [], [brOp(b2)], { b2 });
      return illegal('B', slot);
    }
    case 1: {
      const whc = WHC[bits(slot, 32, 3)];
      if (whc === undefined) return illegal('B', slot);
      const b1 = bits(slot, 6, 3);
      const b2 = bits(slot, 13, 3);
      const mn = `br.call.${whc}.${p ? 'many' : 'few'}${d ? '.clr' : ''}`;
      return insn('B', slot, Op.BR_CALL_IND, mn, [brOp(b1)], [brOp(b2)], { b1, b2 });
    }
    case 2:
      if (bits(slot, 27, 6) === 0)
        return insn('B', slot, Op.NOP, 'nop.b', [], [hexOp(imm21(slot))], { imm: BigInt(imm21(slot)) });
      return illegal('B', slot);
    case 4: {
      if (btype === 0)
        return insn('B', slot, Op.BR_COND, branchName('br', qp, wh, p, d, true), [], [target(disp)], {
          disp,
        });
      const kind = B1_NAMES[btype];
      if (kind === undefined) return illegal('B', slot);
      const op = btype === 5 ? Op.BR_CLOOP : Op.BR_MODULO;
      return insn('B', slot, op, branchName(`br.${kind}`, qp, wh, p, d, false), [], [target(disp)], {
        disp,
        rel: btype,
      });
    }
    case 5: {
      const b1 = bits(slot, 6, 3);
      const mn = branchName('br.call', qp, wh, p, d, false);
      return insn('B', slot, Op.BR_CALL, mn, [brOp(b1)], [target(disp)], { b1, disp });
    }
    default:
      return illegal('B', slot);
  }
}
