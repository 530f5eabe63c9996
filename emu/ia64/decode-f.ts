// Counterpart: the Intel IA-64 Architecture Software Developer's Manual, vol. 3, ch. 4.6
// (F-unit format F15: break.f and nop.f; the floating-point operations are not decoded yet).
import { bits, hexOp, illegal, imm21, insn, type Insn, Op } from './insn.js';

/** One F-slot: only the forms a user-mode integer guest meets (bundle padding, traps). */
export function decodeF(slot: number): Insn {
  if (bits(slot, 37, 4) !== 0 || bits(slot, 33, 1) !== 0) return illegal('F', slot);
  const x6 = bits(slot, 27, 6);
  const imm = BigInt(imm21(slot));
  if (x6 === 0) return insn('F', slot, Op.BREAK, 'break.f', [], [hexOp(imm)], { imm });
  if (x6 === 1)
    return insn('F', slot, Op.NOP, bits(slot, 26, 1) ? 'hint.f' : 'nop.f', [], [hexOp(imm)], { imm });
  return illegal('F', slot);
}
