// Counterpart: the .eh_frame format of the Linux Standard Base (Core, "Exception Frames"),
// the DWARF call frame information every function compiled or assembled with CFI has: each
// FDE names the code it describes, which for a stripped file is the only record of where
// its functions begin and end, and how to find its caller's frame from any instruction of
// it (emu/cfi.ts runs that program).

/** [begin, end) of code one FDE describes. */
export interface CodeRange {
  begin: number;
  end: number;
}

/** A Common Information Entry: what the FDEs that name it share. */
export interface Cie {
  /** Where the CIE starts in the section. */
  offset: number;
  version: number;
  augmentation: string;
  codeAlign: number;
  dataAlign: number;
  /** The column of the return address: a register (ppc64 LR, 65) or a column of its own (x86). */
  raColumn: number;
  /** The encoding (DW_EH_PE_*) of its FDEs' pointers ('R'; absolute without it). */
  fdeEncoding: number;
  /** 'z': each FDE has augmentation data, skipped by its length. */
  hasAugmentationData: boolean;
  /** 'S': its FDEs describe signal trampolines, whose caller's address is not a return address. */
  signalFrame: boolean;
  /**
   * Whether the FDEs' call frame programs can be run: a version and every augmentation
   * character understood (their code ranges are read either way).
   */
  understood: boolean;
  /** Its initial instructions (a view into the section). */
  instructions: Uint8Array;
  /** The section it is in (its byte order and address size are the CIE's). */
  section: EhFrameSection;
}

/** A Frame Description Entry: the code it covers and its call frame program. */
export interface Fde extends CodeRange {
  /** Where the FDE starts in the section. */
  offset: number;
  cie: Cie;
  /** Its instructions (a view into the section). */
  instructions: Uint8Array;
  /** The address the first byte of `instructions` is loaded at (pc-relative DW_CFA_set_loc). */
  instructionsAddr: number;
}

/** An .eh_frame section as loaded: its bytes, their address, the file's class and byte order. */
export interface EhFrameSection {
  bytes: Uint8Array;
  vaddr: number;
  is64: boolean;
  le: boolean;
}

const DW_EH_PE_omit = 0xff;
/** Bytes of the fixed-size pointer formats by their low three bits (2: data2, 3: data4, 4: data8). */
const FIXED_SIZES: Record<number, number> = { 2: 2, 3: 4, 4: 8 };
const DW_EH_PE_pcrel = 0x10;

/**
 * The code ranges of every FDE of an .eh_frame section, sorted by start. A malformed entry
 * ends the walk: what came before it stands.
 */
export function functionRanges(s: EhFrameSection): CodeRange[] {
  const out: CodeRange[] = [];
  walkEhFrame(s, (fde) => out.push({ begin: fde.begin, end: fde.end }));
  return out.sort((a, b) => a.begin - b.begin);
}

/**
 * Every FDE of the section with a code range, in section order (`visit` each one). A
 * malformed entry ends the walk: what came before it stands.
 */
export function walkEhFrame(s: EhFrameSection, visit: (fde: Fde) => void): void {
  const { bytes, is64, le } = s;
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const vaddr = BigInt(s.vaddr);
  const cies = new Map<number, Cie>();
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
      if (id === 0) cies.set(o, readCie(s, v, o, body + 4, next));
      else {
        const cie = cies.get(body - id);
        if (cie === undefined) break;
        const at = { off: body + 4 };
        const begin = readEncoded(v, at, cie.fdeEncoding, vaddr, is64, le);
        const range = readEncoded(v, at, cie.fdeEncoding & 0x0f, 0n, is64, le);
        if (cie.hasAugmentationData) {
          const skip = Number(uleb(v, at)); // read before at.off is: the read moves it
          at.off += skip;
        }
        if (begin !== undefined && range !== undefined && range > 0n && at.off <= next) {
          const b = Number(begin);
          if (Number.isSafeInteger(b) && b > 0)
            visit({
              offset: o,
              cie,
              begin: b,
              end: b + Number(range),
              instructions: bytes.subarray(at.off, next),
              instructionsAddr: s.vaddr + at.off,
            });
        }
      }
      o = next;
    }
  } catch (e) {
    if (!(e instanceof RangeError)) throw e;
  }
}

/** The CIE at `offset` whose fields start at `o` (past its id) and which ends at `end`. */
function readCie(section: EhFrameSection, v: DataView, offset: number, o: number, end: number): Cie {
  const { bytes, is64, le } = section;
  const version = v.getUint8(o++);
  let augmentation = '';
  while (o < end && bytes[o] !== 0) augmentation += String.fromCharCode(bytes[o++] ?? 0);
  o++;
  if (augmentation.includes('eh')) o += is64 ? 8 : 4;
  const at = { off: o };
  const codeAlign = Number(uleb(v, at));
  const dataAlign = Number(sleb(v, at));
  const raColumn = version === 1 ? v.getUint8(at.off++) : Number(uleb(v, at));
  const cie: Cie = {
    offset,
    version,
    augmentation,
    codeAlign,
    dataAlign,
    raColumn,
    fdeEncoding: 0,
    hasAugmentationData: augmentation.startsWith('z'),
    signalFrame: false,
    understood: version === 1 || version === 3,
    instructions: bytes.subarray(end, end),
    section,
  };
  if (!cie.hasAugmentationData) {
    // Without 'z' nothing says how long unknown augmentation data is.
    if (augmentation !== '') cie.understood = false;
    cie.instructions = bytes.subarray(at.off, end);
    return cie;
  }
  const dataLen = Number(uleb(v, at));
  const dataEnd = at.off + dataLen;
  for (const c of augmentation.slice(1)) {
    if (c === 'R') cie.fdeEncoding = v.getUint8(at.off++);
    else if (c === 'L') at.off++;
    else if (c === 'P') {
      const penc = v.getUint8(at.off++);
      readEncoded(v, at, penc, 0n, is64, le);
    } else if (c === 'S') cie.signalFrame = true;
    else if (c !== 'B') {
      // The data of what follows is unknown: the FDE encoding may be past it.
      cie.understood = false;
      break;
    }
  }
  if (dataEnd <= end) cie.instructions = bytes.subarray(dataEnd, end);
  else cie.understood = false;
  return cie;
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

/** An unsigned LEB128 number at `at`, moved past it (RangeError past the end of `v`). */
export const uleb = (v: DataView, at: { off: number }): bigint => leb(v, at, false);
/** A signed LEB128 number at `at`, moved past it (RangeError past the end of `v`). */
export const sleb = (v: DataView, at: { off: number }): bigint => leb(v, at, true);

/**
 * A pointer in encoding `enc` (DW_EH_PE_*) at `at`, moved past it. pc-relative ones are
 * taken from the field's own address (`base` + its offset); undefined for encodings a
 * section of a loaded file does not use here (data-relative, indirect, omitted).
 */
export function readEncoded(
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
