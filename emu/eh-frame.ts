// Counterpart: the .eh_frame format of the Linux Standard Base (Core, "Exception Frames"),
// the DWARF call frame information every function compiled or assembled with CFI has: each
// FDE names the code it describes, which for a stripped file is the only record of where
// its functions begin and end.

/** [begin, end) of code one FDE describes. */
export interface CodeRange {
  begin: number;
  end: number;
}

const DW_EH_PE_omit = 0xff;
/** Bytes of the fixed-size pointer formats by their low three bits (2: data2, 3: data4, 4: data8). */
const FIXED_SIZES: Record<number, number> = { 2: 2, 3: 4, 4: 8 };
const DW_EH_PE_pcrel = 0x10;

/**
 * The code ranges of every FDE of an .eh_frame section (`bytes`, loaded at `vaddr`), sorted
 * by start. A malformed entry ends the walk: what came before it stands.
 */
export function functionRanges(bytes: Uint8Array, vaddr: bigint, is64: boolean, le: boolean): CodeRange[] {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: CodeRange[] = [];
  /** Each CIE's FDE pointer encoding, by its offset. */
  const cies = new Map<number, number>();
  let o = 0;
  try {
    while (o + 4 <= bytes.length) {
      let len = v.getUint32(o, le);
      let body = o + 4;
      if (len === 0) break; // the terminator
      if (len === 0xffffffff) {
        len = Number(v.getBigUint64(o + 4, le));
        body = o + 12;
      }
      const next = body + len;
      if (next > bytes.length || next <= o) break;
      const id = v.getUint32(body, le);
      if (id === 0) cies.set(o, cieEncoding(bytes, v, body + 4, next, is64, le));
      else {
        const enc = cies.get(body - id);
        if (enc === undefined) break;
        const at = { off: body + 4 };
        const begin = readEncoded(v, at, enc, vaddr, is64, le);
        const range = readEncoded(v, at, enc & 0x0f, 0n, is64, le);
        if (begin !== undefined && range !== undefined && range > 0n) {
          const b = Number(begin);
          if (Number.isSafeInteger(b) && b > 0) out.push({ begin: b, end: b + Number(range) });
        }
      }
      o = next;
    }
  } catch (e) {
    if (!(e instanceof RangeError)) throw e;
  }
  return out.sort((a, b) => a.begin - b.begin);
}

/** A CIE's FDE pointer encoding ('R' of its augmentation; absolute pointers without one). */
function cieEncoding(
  bytes: Uint8Array,
  v: DataView,
  o: number,
  end: number,
  is64: boolean,
  le: boolean,
): number {
  const version = v.getUint8(o++);
  let aug = '';
  while (o < end && bytes[o] !== 0) aug += String.fromCharCode(bytes[o++] ?? 0);
  o++;
  if (aug.includes('eh')) o += is64 ? 8 : 4;
  const at = { off: o };
  uleb(v, at); // code alignment
  uleb(v, at); // data alignment (signed; only skipped)
  if (version === 1) at.off++;
  else uleb(v, at); // return address register
  if (!aug.startsWith('z')) return 0;
  uleb(v, at); // augmentation data length
  for (const c of aug.slice(1)) {
    if (c === 'R') return v.getUint8(at.off);
    if (c === 'L') at.off++;
    else if (c === 'P') {
      const penc = v.getUint8(at.off++);
      readEncoded(v, at, penc, 0n, is64, le);
    } else if (c !== 'S' && c !== 'B') return 0;
  }
  return 0;
}

/** An unsigned or signed LEB128 number at `at`, moved past it. */
function leb(v: DataView, at: { off: number }, signed: boolean): bigint {
  let result = 0n;
  let shift = 0n;
  for (;;) {
    const b = v.getUint8(at.off++);
    result |= BigInt(b & 0x7f) << shift;
    shift += 7n;
    if ((b & 0x80) === 0) return signed && b & 0x40 ? result - (1n << shift) : result;
  }
}

const uleb = (v: DataView, at: { off: number }): bigint => leb(v, at, false);
const sleb = (v: DataView, at: { off: number }): bigint => leb(v, at, true);

/**
 * A pointer in encoding `enc` (DW_EH_PE_*) at `at`, moved past it. pc-relative ones are
 * taken from the field's own address (`base` + its offset); undefined for encodings a
 * section of a loaded file does not use here (data-relative, indirect, omitted).
 */
function readEncoded(
  v: DataView,
  at: { off: number },
  enc: number,
  base: bigint,
  is64: boolean,
  le: boolean,
): bigint | undefined {
  if (enc === DW_EH_PE_omit) return undefined;
  const field = at.off;
  const format = enc & 0x0f;
  let x: bigint;
  if (format === 0x01) x = uleb(v, at);
  else if (format === 0x09) x = sleb(v, at);
  else {
    // absptr (the word), udata2/4/8, sdata2/4/8.
    const size = format === 0x00 ? (is64 ? 8 : 4) : FIXED_SIZES[format & 7];
    if (size === undefined) return undefined;
    const signed = (format & 0x08) !== 0;
    x =
      size === 2
        ? BigInt(signed ? v.getInt16(at.off, le) : v.getUint16(at.off, le))
        : size === 4
          ? BigInt(signed ? v.getInt32(at.off, le) : v.getUint32(at.off, le))
          : signed
            ? v.getBigInt64(at.off, le)
            : v.getBigUint64(at.off, le);
    at.off += size;
  }
  const app = enc & 0x70;
  if (app === DW_EH_PE_pcrel) x += base + BigInt(field);
  else if (app !== 0) return undefined;
  if (enc & 0x80) return undefined;
  return BigInt.asUintN(is64 ? 64 : 32, x);
}
