// Counterpart: Linux fs/binfmt_elf.c (load_elf_binary) for a static ELF64 IA-64 executable,
// with the IA-64 software conventions' function descriptors (.opd).
import { fold, type Ia64Memory } from './memory.js';

export const EM_IA_64 = 50;

export interface ElfSymbol {
  readonly name: string;
  readonly value: bigint;
  readonly size: number;
  /** STT_* (2: function). */
  readonly type: number;
}

/** An official function descriptor: what `@fptr(f)` points at. */
export interface FunctionDescriptor {
  readonly address: bigint;
  readonly entry: bigint;
  readonly gp: bigint;
}

export interface ElfImage {
  readonly entry: bigint;
  readonly segments: readonly { vaddr: bigint; bytes: Uint8Array; memsz: number }[];
  /** .symtab; a function symbol's value is its code address, not its descriptor. */
  readonly symbols: readonly ElfSymbol[];
  readonly descriptors: readonly FunctionDescriptor[];
}

/** Why an image was refused (errors are data: a code and the detail). */
export class ElfError extends Error {
  constructor(
    readonly code: 'ENOEXEC',
    detail: string,
  ) {
    super(`${code}: ${detail}`);
  }
}

/** Parse a little-endian ELF64 EM_IA_64 executable. */
export function parseElf(file: Uint8Array): ElfImage {
  const dv = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const magic = dv.getUint32(0, false);
  if (magic !== 0x7f454c46 || file[4] !== 2 || file[5] !== 1)
    throw new ElfError('ENOEXEC', 'not a little-endian ELF64 file');
  if (dv.getUint16(18, true) !== EM_IA_64) throw new ElfError('ENOEXEC', 'not an IA-64 executable');
  const entry = dv.getBigUint64(24, true);
  const phoff = Number(dv.getBigUint64(32, true));
  const shoff = Number(dv.getBigUint64(40, true));
  const phentsize = dv.getUint16(54, true);
  const phnum = dv.getUint16(56, true);
  const shentsize = dv.getUint16(58, true);
  const shnum = dv.getUint16(60, true);
  const shstrndx = dv.getUint16(62, true);

  const segments: { vaddr: bigint; bytes: Uint8Array; memsz: number }[] = [];
  for (let i = 0; i < phnum; i++) {
    const o = phoff + i * phentsize;
    if (dv.getUint32(o, true) !== 1) continue; // PT_LOAD
    const offset = Number(dv.getBigUint64(o + 8, true));
    const vaddr = dv.getBigUint64(o + 16, true);
    const filesz = Number(dv.getBigUint64(o + 32, true));
    const memsz = Number(dv.getBigUint64(o + 40, true));
    segments.push({ vaddr, bytes: file.subarray(offset, offset + filesz), memsz });
  }

  const sections = Array.from({ length: shnum }, (_, i) => {
    const o = shoff + i * shentsize;
    return {
      name: dv.getUint32(o, true),
      type: dv.getUint32(o + 4, true),
      addr: dv.getBigUint64(o + 16, true),
      offset: Number(dv.getBigUint64(o + 24, true)),
      size: Number(dv.getBigUint64(o + 32, true)),
      link: dv.getUint32(o + 40, true),
    };
  });
  const cstr = (off: number): string => {
    let end = off;
    while (end < file.length && file[end] !== 0) end++;
    return new TextDecoder().decode(file.subarray(off, end));
  };
  const shstr = sections[shstrndx];
  const secName = (n: number): string => (shstr ? cstr(shstr.offset + n) : '');

  const symbols: ElfSymbol[] = [];
  const descriptors: FunctionDescriptor[] = [];
  for (const s of sections) {
    if (s.type === 2) {
      const strtab = sections[s.link];
      for (let o = s.offset + 24; o + 24 <= s.offset + s.size; o += 24) {
        symbols.push({
          name: strtab ? cstr(strtab.offset + dv.getUint32(o, true)) : '',
          type: (file[o + 4] ?? 0) & 0xf,
          value: dv.getBigUint64(o + 8, true),
          size: Number(dv.getBigUint64(o + 16, true)),
        });
      }
    } else if (secName(s.name) === '.opd') {
      for (let o = 0; o + 16 <= s.size; o += 16)
        descriptors.push({
          address: s.addr + BigInt(o),
          entry: dv.getBigUint64(s.offset + o, true),
          gp: dv.getBigUint64(s.offset + o + 8, true),
        });
    }
  }
  return { entry, segments, symbols, descriptors };
}

/** Map and copy the PT_LOAD segments (bss zeroed); refuses an address beyond the folded space. */
export function loadSegments(image: ElfImage, mem: Ia64Memory): void {
  for (const s of image.segments) {
    const a = fold(s.vaddr);
    if (a < 0) throw new ElfError('ENOEXEC', `segment at 0x${s.vaddr.toString(16)} is unimplemented`);
    mem.map(a, Math.max(s.memsz, 1));
    mem.writeBytes(a, s.bytes);
  }
}
