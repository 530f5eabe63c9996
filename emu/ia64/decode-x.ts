// Counterpart: the Intel IA-64 Architecture Software Developer's Manual, vol. 3, ch. 4.7
// (X-unit formats X1-X4 in MLX bundles: break.x/nop.x, movl, brl, brl.call).
import { branchName } from './decode-b.js';
import { bits, brOp, gr, hexOp, illegal, insn, type Insn, Op, target } from './insn.js';

/** The L+X pair of an MLX bundle: `l` is slot 1 (41 bits of immediate), `x` slot 2. */
export function decodeX(l: number, x: number): Insn {
  const major = bits(x, 37, 4);
  const L = BigInt(l);
  const bit = (pos: number, len: number): bigint => BigInt(bits(x, pos, len));
  const qp = bits(x, 0, 6);
  switch (major) {
    case 0: {
      const x6 = bits(x, 27, 6);
      if (bits(x, 33, 3) !== 0 || x6 > 1) return illegal('X', x);
      const imm = (L << 21n) | (bit(36, 1) << 20n) | bit(6, 20);
      const mn = x6 === 0 ? 'break.x' : bits(x, 26, 1) ? 'hint.x' : 'nop.x';
      return insn('X', x, x6 === 0 ? Op.BREAK : Op.NOP, mn, [], [hexOp(imm)], { imm, width: 2 });
    }
    case 6: {
      const imm = BigInt.asUintN(
        64,
        (bit(36, 1) << 63n) |
          (L << 22n) |
          (bit(21, 1) << 21n) |
          (bit(22, 5) << 16n) |
          (bit(27, 9) << 7n) |
          bit(13, 7),
      );
      const r1 = bits(x, 6, 7);
      return insn('X', x, Op.MOVL, 'movl', [gr(r1)], [hexOp(imm)], { r1, imm, width: 2 });
    }
    case 0xc:
    case 0xd: {
      const imm60 = (bit(36, 1) << 59n) | ((L >> 2n) << 20n) | bit(13, 20);
      const disp = Number(BigInt.asIntN(60, imm60)) * 16;
      const wh = bits(x, 33, 2);
      const p = bits(x, 12, 1);
      const d = bits(x, 35, 1);
      if (major === 0xc) {
        if (bits(x, 6, 3) !== 0) return illegal('X', x);
        const mn = branchName('brl', qp, wh, p, d, true);
        return insn('X', x, Op.BR_COND, mn, [], [target(disp)], { disp, width: 2 });
      }
      const b1 = bits(x, 6, 3);
      const mn = branchName('brl.call', qp, wh, p, d, false);
      return insn('X', x, Op.BR_CALL, mn, [brOp(b1)], [target(disp)], { b1, disp, width: 2 });
    }
    default:
      return illegal('X', x);
  }
}
