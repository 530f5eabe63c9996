// Counterpart: the Intel IA-64 Architecture Software Developer's Manual, vol. 3, ch. 4.1
// (instruction encoding overview: 128-bit bundles, templates, 41-bit slots, stops).
import { decodeA } from './decode-a.js';
import { decodeB } from './decode-b.js';
import { decodeF } from './decode-f.js';
import { decodeI } from './decode-i.js';
import { decodeM } from './decode-m.js';
import { decodeX } from './decode-x.js';
import { bits, type Insn } from './insn.js';

/** A template: the unit of each slot ('L' for MLX's immediate slot) and the stops after slots. */
export interface Template {
  readonly name: string;
  readonly units: string;
  /** Bit i set: an instruction-group stop follows slot i. */
  readonly stops: number;
}

/** The 32 template encodings; the holes are reserved (an illegal-operation fault). */
export const TEMPLATES: readonly (Template | undefined)[] = (() => {
  const t: (Template | undefined)[] = new Array<Template | undefined>(32).fill(undefined);
  const put = (code: number, units: string, stops: number): void => {
    t[code] = { name: units === 'MLX' ? 'MLX' : units, units, stops };
  };
  put(0x00, 'MII', 0);
  put(0x01, 'MII', 4);
  put(0x02, 'MII', 2);
  put(0x03, 'MII', 6);
  put(0x04, 'MLX', 0);
  put(0x05, 'MLX', 4);
  put(0x08, 'MMI', 0);
  put(0x09, 'MMI', 4);
  put(0x0a, 'MMI', 1);
  put(0x0b, 'MMI', 5);
  put(0x0c, 'MFI', 0);
  put(0x0d, 'MFI', 4);
  put(0x0e, 'MMF', 0);
  put(0x0f, 'MMF', 4);
  put(0x10, 'MIB', 0);
  put(0x11, 'MIB', 4);
  put(0x12, 'MBB', 0);
  put(0x13, 'MBB', 4);
  put(0x16, 'BBB', 0);
  put(0x17, 'BBB', 4);
  put(0x18, 'MMB', 0);
  put(0x19, 'MMB', 4);
  put(0x1c, 'MFB', 0);
  put(0x1d, 'MFB', 4);
  return t;
})();

/** A decoded bundle: three slots (for MLX, slot 2 repeats the X instruction that spans 1-2). */
export interface Bundle {
  readonly template: number;
  /** undefined for a reserved template: every slot is then illegal. */
  readonly info: Template | undefined;
  readonly slots: readonly [Insn, Insn, Insn];
}

/** The three raw 41-bit slots of the bundle at `bytes[off..off+16)`, each exact in a double. */
export function bundleSlots(bytes: Uint8Array, off: number): [number, number, number, number] {
  const dv = new DataView(bytes.buffer, bytes.byteOffset + off, 16);
  const lo = dv.getBigUint64(0, true);
  const hi = dv.getBigUint64(8, true);
  const m41 = (1n << 41n) - 1n;
  const template = Number(lo & 31n);
  const s0 = Number((lo >> 5n) & m41);
  const s1 = Number(((lo >> 46n) | (hi << 18n)) & m41);
  const s2 = Number(hi >> 23n);
  return [template, s0, s1, s2];
}

/** One instruction in a slot of the given unit; A-type majors (8-0xE) run on M and I alike. */
export function decodeSlot(unit: string, slot: number): Insn {
  const major = bits(slot, 37, 4);
  switch (unit) {
    case 'M':
      return major >= 8 && major <= 0xe ? decodeA('M', slot) : decodeM(slot);
    case 'I':
      return major >= 8 && major <= 0xe ? decodeA('I', slot) : decodeI(slot);
    case 'F':
      return decodeF(slot);
    default:
      return decodeB(slot);
  }
}

/** Decode the 16 bytes at `bytes[off..]` (a bundle's little-endian image). */
export function decodeBundle(bytes: Uint8Array, off = 0): Bundle {
  const [template, s0, s1, s2] = bundleSlots(bytes, off);
  const info = TEMPLATES[template];
  if (!info) {
    const bad = decodeF(2 ** 40 - 1);
    return { template, info, slots: [bad, bad, bad] };
  }
  const u = info.units;
  const i0 = decodeSlot(u[0] ?? 'M', s0);
  if (u === 'MLX') {
    const x = decodeX(s1, s2);
    return { template, info, slots: [i0, x, x] };
  }
  return { template, info, slots: [i0, decodeSlot(u[1] ?? 'I', s1), decodeSlot(u[2] ?? 'I', s2)] };
}

/** Write the 41-bit `value` into slot `n` (0-2) of the bundle at `bytes[off..off+16)`, in place. */
export function putBundleSlot(bytes: Uint8Array, n: number, value: number, off = 0): void {
  const dv = new DataView(bytes.buffer, bytes.byteOffset + off, 16);
  const m41 = (1n << 41n) - 1n;
  const v = BigInt(value) & m41;
  let lo = dv.getBigUint64(0, true);
  let hi = dv.getBigUint64(8, true);
  const M64 = (1n << 64n) - 1n;
  if (n === 0) lo = (lo & ~(m41 << 5n) & M64) | (v << 5n);
  else if (n === 1) {
    lo = (lo & ((1n << 46n) - 1n)) | ((v << 46n) & M64);
    hi = (hi & ~((1n << 23n) - 1n) & M64) | (v >> 18n);
  } else hi = (hi & ((1n << 23n) - 1n)) | (v << 23n);
  dv.setBigUint64(0, lo, true);
  dv.setBigUint64(8, hi, true);
}
