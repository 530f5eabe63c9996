// Counterpart: binutils opcodes/ia64-dis.c (print_insn_ia64): the text objdump prints per slot.
import type { Insn, Operand } from './insn.js';

const AR_NAMES: Record<number, string> = {
  16: 'rsc',
  17: 'bsp',
  18: 'bspstore',
  19: 'rnat',
  21: 'fcr',
  24: 'eflag',
  25: 'csd',
  26: 'ssd',
  27: 'cflg',
  28: 'fsr',
  29: 'fir',
  30: 'fdr',
  32: 'ccv',
  36: 'unat',
  40: 'fpsr',
  44: 'itc',
  45: 'ruc',
  64: 'pfs',
  65: 'lc',
  66: 'ec',
};

/** An application register's assembler name ("ar.lc", "ar.k3", "ar48"). */
export function arName(n: number): string {
  if (n < 8) return `ar.k${n}`;
  const s = AR_NAMES[n];
  return s === undefined ? `ar${n}` : `ar.${s}`;
}

function operand(o: Operand, bundle: bigint): string {
  switch (o.kind) {
    case 'gr':
      return `r${o.n}`;
    case 'pr':
      return `p${o.n}`;
    case 'br':
      return `b${o.n}`;
    case 'ar':
      return arName(o.n);
    case 'mem':
      return `[r${o.n}]`;
    case 'dec':
      return o.v.toString();
    case 'hex':
      return `0x${BigInt.asUintN(64, o.v).toString(16)}`;
    case 'target':
      return `0x${BigInt.asUintN(64, bundle + BigInt(o.disp)).toString(16)}`;
    case 'name':
      return o.s;
  }
}

/**
 * The instruction as objdump -d prints it (without its bundle's `[MII]` and stops), e.g.
 * "(p06) br.cond.dptk.few 0x4000000000000190"; `bundle` resolves IP-relative targets.
 */
export function format(i: Insn, bundle: bigint): string {
  const qp = i.qp === 0 ? '' : `(p${i.qp.toString().padStart(2, '0')}) `;
  const srcs = i.srcs.map((o) => operand(o, bundle)).join(',');
  const ops = i.dests.length ? `${i.dests.map((o) => operand(o, bundle)).join(',')}=${srcs}` : srcs;
  return `${qp}${i.mnemonic}${ops ? ` ${ops}` : ''}`;
}
