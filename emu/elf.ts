// Counterpart: Linux fs/binfmt_elf.c (what a static executable must look like to load) and
// the ELF gABI / ppc64 ELFv1 ABI (function descriptors in .opd).
//
// Parsing only: the image is checked and described here; emu/loader.ts maps it.

import { addrOf, type GuestAddr } from './addr.js';
import { functionRanges, type CodeRange, type EhFrameSection } from './eh-frame.js';

export const EM_386 = 3;
export const EM_PPC64 = 21;
export const EM_X86_64 = 62;
export const EM_IA_64 = 50;
/** e_flags of an IA-64 LP64 program (EF_IA_64_ABI64). */
const EF_IA_64_ABI64 = 0x10;

const PT_LOAD = 1;
const PT_INTERP = 3;
const PT_TLS = 7;
const SHT_SYMTAB = 2;
const SHT_RELA = 4;
const SHT_REL = 9;
const SHT_NOBITS = 8;
const SHT_DYNSYM = 11;
const STT_OBJECT = 1;
const STT_FUNC = 2;
const STT_GNU_IFUNC = 10;
/**
 * The relocations that store a function's address, per machine: R_*_IRELATIVE (and ppc64's
 * R_PPC64_JMP_IREL), which call an IFUNC resolver, and the GOT and PLT slots of a named
 * symbol (R_*_GLOB_DAT, R_*_JUMP_SLOT), which ld.so fills with what it resolves the name to.
 */
const SLOT_RELOCATIONS: Record<number, Record<number, CodeSlot['stores']>> = {
  [EM_X86_64]: { 6: 'code', 7: 'code', 37: 'code' },
  [EM_386]: { 6: 'code', 7: 'code', 42: 'code' },
  // R_PPC64_GLOB_DAT 20, R_PPC64_JMP_SLOT 21, R_PPC64_JMP_IREL 247, R_PPC64_IRELATIVE 248.
  [EM_PPC64]: { 20: 'descriptor', 21: 'descriptor-copy', 247: 'descriptor-copy', 248: 'descriptor' },
};
const IRELATIVE_TYPES = new Set([37, 42, 247, 248]);
const SHN_UNDEF = 0;
const SHN_ABS = 0xfff1;

/**
 * A relocation that stores a function's address at `slot`: an IRELATIVE one (the C library
 * of a static program or ld.so calls the resolver and stores its result: glibc's
 * elf_irela), or a GOT or PLT slot ld.so fills with the address of a symbol it looks up.
 */
export interface CodeSlot {
  slot: GuestAddr;
  /** IRELATIVE: the resolver as the symbol table gives it (its code, or ppc64 its descriptor). */
  resolver?: GuestAddr;
  /** GLOB_DAT and JUMP_SLOT: the name of the symbol bound there. */
  symbol?: string;
  /**
   * What the slot gets: the code's address ('code', x86), the address of its descriptor
   * (ppc64 GLOB_DAT, IRELATIVE) or a copy of the descriptor, code address first (a ppc64
   * PLT slot).
   */
  stores: 'code' | 'descriptor' | 'descriptor-copy';
}

/** Why an ELF file was refused; `where` names the header field or offset at fault. */
export class ElfError extends Error {
  constructor(
    message: string,
    readonly where: string,
  ) {
    super(`${message} (${where})`);
    this.name = 'ElfError';
  }
}

export interface Segment {
  vaddr: GuestAddr;
  memsz: number;
  /** File bytes of the segment (filesz long); the rest up to memsz is .bss, zero. */
  data: Uint8Array;
  readable: boolean;
  writable: boolean;
  executable: boolean;
  /** p_offset: where `data` begins in the file (uprobe offsets are file offsets). */
  fileOffset: number;
}

export interface ElfSymbol {
  name: string;
  /** For functions: the code address (ppc64 ELFv1 descriptors already resolved). */
  addr: GuestAddr;
  size: number;
  /** 'ifunc': STT_GNU_IFUNC, a function whose resolver picks its code (`addr`: the resolver's). */
  kind: 'func' | 'object' | 'other' | 'ifunc';
  /** ppc64 ELFv1: the descriptor address the symbol table gives for a function. */
  descriptor?: GuestAddr;
  /** ppc64 ELFv1: the TOC pointer from the descriptor. */
  toc?: GuestAddr;
}

export interface ElfImage {
  class: 32 | 64;
  littleEndian: boolean;
  machine: number;
  /** Entry code address (ppc64 ELFv1: resolved from its descriptor). */
  entry: GuestAddr;
  /** ppc64 ELFv1: TOC for the entry function (r2 at start). */
  entryToc?: GuestAddr;
  /** e_entry as written in the header. */
  rawEntry: GuestAddr;
  segments: Segment[];
  /** Program headers, for AT_PHDR/AT_PHNUM. */
  phdrAddr: GuestAddr;
  phnum: number;
  phentsize: number;
  symbols: ElfSymbol[];
  /** Highest address occupied by a PT_LOAD segment (start of brk). */
  end: GuestAddr;
  /** Where a position-independent executable was put (DYN_BASE); 0 for ET_EXEC. */
  loadBias: number;
  /** PT_INTERP: the dynamic loader a dynamically linked program names. */
  interp?: string;
  /**
   * The relocations that store a function's address in a slot: what an IFUNC resolver
   * returns, what ld.so binds a name to (none without section headers).
   */
  codeSlots: CodeSlot[];
  /**
   * The code each .eh_frame FDE describes, sorted: where a stripped file's functions begin
   * and end (FDEs overlap no function's start inside another).
   */
  fdes: CodeRange[];
  /**
   * The .eh_frame section as loaded (`vaddr` with the load bias), for the unwinder
   * (emu/cfi.ts); absent without one.
   */
  ehFrame?: EhFrameSection;
  /** PT_TLS, if any (static programs with libc use it; ours may not). */
  tls?: { vaddr: GuestAddr; filesz: number; memsz: number; align: number };
}

const MACHINE_NAMES: Record<number, string> = {
  2: 'SPARC',
  3: 'i386',
  8: 'MIPS',
  20: 'PowerPC (32-bit)',
  21: 'PowerPC64',
  40: 'ARM',
  43: 'SPARC V9',
  50: 'IA-64',
  62: 'x86-64',
  183: 'AArch64',
  243: 'RISC-V',
};

export function machineName(m: number): string {
  return MACHINE_NAMES[m] ?? `machine ${m}`;
}

/** A bounds-checked reader in one byte order. */
class Reader {
  private readonly view: DataView;
  private readonly decoder = new TextDecoder();
  constructor(
    readonly bytes: Uint8Array,
    readonly le: boolean,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  need(off: number, len: number, what: string): void {
    if (off < 0 || len < 0 || off + len > this.bytes.length)
      throw new ElfError(
        `${what} lies beyond the end of the file (${this.bytes.length} bytes)`,
        `offset 0x${off.toString(16)}+${len}`,
      );
  }
  u8(off: number): number {
    return this.view.getUint8(off);
  }
  u16(off: number): number {
    return this.view.getUint16(off, this.le);
  }
  u32(off: number): number {
    return this.view.getUint32(off, this.le);
  }
  u64(off: number): bigint {
    return this.view.getBigUint64(off, this.le);
  }
  /** The NUL-terminated string at `off` of the string table [start, start+size) (off < size). */
  str(start: number, size: number, off: number): string {
    let e = start + off;
    while (e < start + size && this.bytes[e] !== 0) e++;
    return this.decoder.decode(this.bytes.subarray(start + off, e));
  }
}

/**
 * Where Linux loads a static-pie with address randomization off: ELF_ET_DYN_BASE as the
 * x86 kernel has it since 4.13 for a 64-bit task (2/3 of the 47-bit space, page-aligned as
 * the mapping of the first segment leaves it), and the base a 32-bit task gets on a 64-bit
 * kernel (as gdb and /proc/PID/maps show it with randomization off).
 */
const DYN_BASE: Record<number, bigint | undefined> = {
  [EM_X86_64]: 0x555555554000n,
  [EM_386]: 0x56555000n,
  // arch/powerpc's ELF_ET_DYN_BASE for a 64-bit task.
  [EM_PPC64]: 0x100000000n,
};

/** `a + b` where `a` is known (a word read from a segment). */
const plus = (a: bigint | undefined, b: bigint): bigint | undefined => (a === undefined ? undefined : a + b);

/** The path PT_INTERP names, if the program has one. */
function findInterp(r: Reader, is64: boolean, fileSize: number): string | undefined {
  const phoff = Number(is64 ? r.u64(32) : BigInt(r.u32(28)));
  const phentsize = r.u16(is64 ? 54 : 42);
  const phnum = r.u16(is64 ? 56 : 44);
  for (let i = 0; i < phnum; i++) {
    const o = phoff + i * phentsize;
    if (o + phentsize > fileSize || r.u32(o) !== PT_INTERP) continue;
    const off = Number(is64 ? r.u64(o + 8) : BigInt(r.u32(o + 4)));
    const size = Number(is64 ? r.u64(o + 32) : BigInt(r.u32(o + 16)));
    r.need(off, size, `PT_INTERP (program header ${i})`);
    const raw = Buffer.from(r.bytes.subarray(off, off + size));
    const nul = raw.indexOf(0);
    const path = raw.subarray(0, nul < 0 ? raw.length : nul).toString('latin1');
    if (!path.startsWith('/'))
      throw new ElfError(`interpreter '${path}' is not an absolute path`, `program header ${i}`);
    return path;
  }
  return undefined;
}

/** Guest addresses lie below this (emu/addr.ts). */
const EXACT = 1n << 53n;

function toNumber(v: bigint, what: string): number {
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new ElfError(`${what} is too large`, `0x${v.toString(16)}`);
  return Number(v);
}

/** Parse and check a static executable. Throws ElfError with what and where. */
export function parseElf(bytes: Uint8Array, opts: { base?: number; shared?: boolean } = {}): ElfImage {
  if (bytes.length < 16) throw new ElfError('file too short to be ELF', `${bytes.length} bytes`);
  if (bytes[0] !== 0x7f || bytes[1] !== 0x45 || bytes[2] !== 0x4c || bytes[3] !== 0x46)
    throw new ElfError('not an ELF file: bad magic', 'offset 0');
  const cls = bytes[4];
  if (cls !== 1 && cls !== 2) throw new ElfError(`bad ELF class ${cls}`, 'e_ident[EI_CLASS]');
  const data = bytes[5];
  if (data !== 1 && data !== 2) throw new ElfError(`bad ELF byte order ${data}`, 'e_ident[EI_DATA]');
  const is64 = cls === 2;
  const r = new Reader(bytes, data === 1);
  const ehsize = is64 ? 64 : 52;
  r.need(0, ehsize, 'ELF header');
  const type = r.u16(16);
  const machine = r.u16(18);
  if (machine !== EM_386 && machine !== EM_X86_64 && machine !== EM_PPC64 && machine !== EM_IA_64)
    throw new ElfError(
      `unsupported machine ${machineName(machine)}: kprobe-emu runs i386, x86-64, PowerPC64 and IA-64`,
      'e_machine',
    );
  const want64 = machine !== EM_386;
  if (is64 !== want64)
    throw new ElfError(
      `ELF class ${is64 ? 64 : 32} does not match ${machineName(machine)}`,
      'e_ident[EI_CLASS]',
    );
  if (machine === EM_PPC64 && data !== 2)
    throw new ElfError(
      'little-endian PowerPC64 (ELFv2) is not supported: kprobe-emu runs big-endian ppc64 ELFv1',
      'e_ident[EI_DATA]',
    );
  if (machine !== EM_PPC64 && data !== 1)
    throw new ElfError(`big-endian ${machineName(machine)} ELF`, 'e_ident[EI_DATA]');
  if (type !== 2 && type !== 3) throw new ElfError(`not an executable (e_type ${type})`, 'e_type');
  const ia64 = machine === EM_IA_64;
  if (ia64) {
    if (type !== 2)
      throw new ElfError(
        'position-independent IA-64 programs are not supported (static ET_EXEC only)',
        'e_type',
      );
    if ((r.u32(48) & EF_IA_64_ABI64) === 0)
      throw new ElfError('ILP32 IA-64 programs are not supported (EF_IA_64_ABI64 only)', 'e_flags');
  }
  // IA-64 addresses carry a region in bits 61-63: they are folded as they are read (emu/addr.ts),
  // so segments, the entry and symbols are guest addresses below 2^53 as on the other ISAs.
  const fa = (v: bigint): bigint => (ia64 ? BigInt(addrOf(v)) : v);
  const interp = findInterp(r, is64, bytes.length);
  // A position-independent executable goes where Linux puts it with address randomization
  // off, or where the caller says (an interpreter). Without an interpreter to relocate
  // them, ppc64 ELFv1's function descriptors would hold unrelocated addresses.
  let bias = 0n;
  if (type === 3) {
    const at = opts.base !== undefined ? BigInt(opts.base) : DYN_BASE[machine];
    if (at === undefined || (machine === EM_PPC64 && interp === undefined && opts.base === undefined))
      throw new ElfError(
        `position-independent ${machineName(machine)} executables with no interpreter (static-pie) ` +
          `are not supported: their function descriptors (ELFv1 .opd) need relocating`,
        'e_type',
      );
    bias = at;
  }
  if (machine === EM_PPC64) {
    const flags = r.u32(is64 ? 48 : 36);
    if ((flags & 3) === 2) throw new ElfError('ppc64 ELFv2 ABI is not supported (ELFv1 only)', 'e_flags');
  }
  const word = (off: number): bigint => (is64 ? r.u64(off) : BigInt(r.u32(off)));
  const rawEntry = fa(word(24)) + bias;
  const phoff = toNumber(word(is64 ? 32 : 28), 'e_phoff');
  const shoff = toNumber(word(is64 ? 40 : 32), 'e_shoff');
  const phentsize = r.u16(is64 ? 54 : 42);
  const phnum = r.u16(is64 ? 56 : 44);
  const shentsize = r.u16(is64 ? 58 : 46);
  const shnum = r.u16(is64 ? 60 : 48);
  const wantPh = is64 ? 56 : 32;
  if (phnum === 0) throw new ElfError('no program headers', 'e_phnum');
  if (phentsize !== wantPh)
    throw new ElfError(`program header size ${phentsize}, expected ${wantPh}`, 'e_phentsize');
  r.need(phoff, phnum * phentsize, 'program header table');

  const segments: Segment[] = [];
  let phdrAddr = 0n;
  let tls: ElfImage['tls'];
  let end = 0n;
  const limit = ia64 ? EXACT : is64 ? 1n << 47n : 1n << 32n;
  for (let i = 0; i < phnum; i++) {
    const o = phoff + i * phentsize;
    const ptype = r.u32(o);
    let flags: number, offset: bigint, vaddr: bigint, filesz: bigint, memsz: bigint, align: bigint;
    if (is64) {
      flags = r.u32(o + 4);
      offset = r.u64(o + 8);
      vaddr = fa(r.u64(o + 16)) + bias;
      filesz = r.u64(o + 32);
      memsz = r.u64(o + 40);
      align = r.u64(o + 48);
    } else {
      offset = BigInt(r.u32(o + 4));
      vaddr = BigInt(r.u32(o + 8)) + bias;
      filesz = BigInt(r.u32(o + 16));
      memsz = BigInt(r.u32(o + 20));
      flags = r.u32(o + 24);
      align = BigInt(r.u32(o + 28));
    }
    const where = `program header ${i}`;
    if (ptype === PT_TLS)
      tls = {
        vaddr: toNumber(vaddr, 'p_vaddr'),
        filesz: toNumber(filesz, 'p_filesz'),
        memsz: toNumber(memsz, 'p_memsz'),
        align: toNumber(align, 'p_align'),
      };
    if (ptype !== PT_LOAD) continue;
    if (filesz > memsz)
      throw new ElfError(`p_filesz 0x${filesz.toString(16)} exceeds p_memsz 0x${memsz.toString(16)}`, where);
    if (offset + filesz > BigInt(bytes.length))
      throw new ElfError(
        `segment at 0x${vaddr.toString(16)} extends beyond the end of the file ` +
          `(offset 0x${offset.toString(16)} + 0x${filesz.toString(16)} > 0x${bytes.length.toString(16)})`,
        where,
      );
    if (vaddr + memsz > limit || vaddr + memsz < vaddr)
      throw new ElfError(
        `segment 0x${vaddr.toString(16)}+0x${memsz.toString(16)} is outside the user address space`,
        where,
      );
    if (memsz > 1n << 32n) throw new ElfError(`segment of 0x${memsz.toString(16)} bytes is too large`, where);
    if (vaddr < 0x1000n) throw new ElfError(`segment at 0x${vaddr.toString(16)} maps page zero`, where);
    const off = toNumber(offset, 'p_offset');
    if (phoff >= off && phoff + phnum * phentsize <= off + Number(filesz))
      phdrAddr = vaddr + BigInt(phoff - off);
    for (const s of segments) {
      if (vaddr < BigInt(s.vaddr + s.memsz) && BigInt(s.vaddr) < vaddr + memsz)
        throw new ElfError(
          `segment at 0x${vaddr.toString(16)} overlaps the segment at 0x${s.vaddr.toString(16)}`,
          where,
        );
    }
    segments.push({
      vaddr: Number(vaddr),
      memsz: Number(memsz),
      data: bytes.subarray(off, off + Number(filesz)),
      readable: (flags & 4) !== 0,
      writable: (flags & 2) !== 0,
      executable: (flags & 1) !== 0,
      fileOffset: off,
    });
    if (vaddr + memsz > end) end = vaddr + memsz;
  }
  if (segments.length === 0) throw new ElfError('no loadable segment (PT_LOAD)', 'program headers');

  const inSegment = (a: bigint, exec: boolean): Segment | undefined =>
    segments.find((s) => a >= BigInt(s.vaddr) && a < BigInt(s.vaddr + s.memsz) && (!exec || s.executable));
  const readWord = (a: bigint): bigint | undefined => {
    const s = inSegment(a, false);
    const size = is64 ? 8 : 4;
    if (!s) return undefined;
    const off = Number(a) - s.vaddr;
    if (off + size > s.data.length) return 0n; // in .bss
    const v = new DataView(s.data.buffer, s.data.byteOffset + off, size);
    return is64 ? v.getBigUint64(0, r.le) : BigInt(v.getUint32(0, r.le));
  };

  // ppc64 ELFv1: e_entry and function symbols point at descriptors { code, toc, env }.
  const descriptors = machine === EM_PPC64;
  let entry = rawEntry;
  let entryToc: bigint | undefined;
  if (descriptors && !(opts.shared && rawEntry === bias)) {
    // The file's descriptors hold link-time addresses: the kernel adds the load bias
    // (start_thread), as ld.so's relocation of .opd later does.
    const code = plus(readWord(rawEntry), bias);
    const toc = plus(readWord(rawEntry + 8n), bias);
    if (code === undefined || toc === undefined)
      throw new ElfError(
        `entry descriptor 0x${rawEntry.toString(16)} is not inside a loadable segment`,
        'e_entry',
      );
    entry = code;
    entryToc = toc;
  }
  if (!opts.shared && !inSegment(entry, true))
    throw new ElfError(`entry point 0x${entry.toString(16)} is not inside an executable segment`, 'e_entry');

  const sections = sectionHeaders(r, is64, shoff, shnum, shentsize, r.u16(is64 ? 62 : 50), fa);
  // IA-64: e_entry and symbols are code addresses; the gp (r1) of the entry is its official
  // descriptor's in .opd, where the link made one.
  if (ia64) entryToc = ia64EntryGp(sections, readWord, entry);
  const symbols = readSymbols(r, is64, sections, descriptors, (a) => plus(readWord(a), bias), bias, fa);
  const codeSlots = readCodeSlots(r, is64, machine, sections, readWord, bias);
  const eh = sections.find((h) => h.name === '.eh_frame' && h.type !== SHT_NOBITS);
  if (eh) r.need(eh.offset, eh.size, '.eh_frame');
  const ehFrame: EhFrameSection | undefined = eh && {
    bytes: r.bytes.subarray(eh.offset, eh.offset + eh.size),
    vaddr: Number(eh.addr + bias),
    is64,
    le: r.le,
  };
  const fdes = ehFrame ? functionRanges(ehFrame) : [];
  return {
    class: is64 ? 64 : 32,
    littleEndian: r.le,
    machine,
    entry: Number(entry),
    ...(entryToc !== undefined ? { entryToc: Number(entryToc) } : {}),
    rawEntry: Number(rawEntry),
    segments,
    phdrAddr: Number(phdrAddr),
    phnum,
    phentsize,
    symbols,
    codeSlots,
    fdes,
    ...(ehFrame ? { ehFrame } : {}),
    end: Number(end),
    loadBias: Number(bias),
    ...(interp !== undefined ? { interp } : {}),
    ...(tls ? { tls } : {}),
  };
}

interface SectionHeader {
  /** sh_name's string (empty where the file has no section name table). */
  name: string;
  type: number;
  /** sh_addr, without the load bias. */
  addr: bigint;
  offset: number;
  size: number;
  link: number;
  entsize: number;
}

/** The section header table (empty without one: a stripped file may have none). */
function sectionHeaders(
  r: Reader,
  is64: boolean,
  shoff: number,
  shnum: number,
  shentsize: number,
  shstrndx: number,
  fa: (v: bigint) => bigint,
): SectionHeader[] {
  if (shoff === 0 || shnum === 0) return [];
  const wantSh = is64 ? 64 : 40;
  if (shentsize !== wantSh)
    throw new ElfError(`section header size ${shentsize}, expected ${wantSh}`, 'e_shentsize');
  r.need(shoff, shnum * shentsize, 'section header table');
  const raw = Array.from({ length: shnum }, (_, i) => {
    const o = shoff + i * shentsize;
    return is64
      ? {
          nameOff: r.u32(o),
          type: r.u32(o + 4),
          addr: fa(r.u64(o + 16)),
          offset: Number(r.u64(o + 24)),
          size: Number(r.u64(o + 32)),
          link: r.u32(o + 40),
          entsize: Number(r.u64(o + 56)),
        }
      : {
          nameOff: r.u32(o),
          type: r.u32(o + 4),
          addr: BigInt(r.u32(o + 12)),
          offset: r.u32(o + 16),
          size: r.u32(o + 20),
          link: r.u32(o + 24),
          entsize: r.u32(o + 36),
        };
  });
  const names = raw[shstrndx];
  const nameOf = (off: number): string =>
    !names || off >= names.size || names.offset + names.size > r.bytes.length
      ? ''
      : r.str(names.offset, names.size, off);
  return raw.map(({ nameOff, ...h }) => ({ name: nameOf(nameOff), ...h }));
}

/**
 * The code slots (CodeSlot) of every SHT_RELA and SHT_REL section: .rela.plt or .rela.iplt
 * of a static program, .rela.plt and .rela.dyn of a dynamic one. A REL entry's addend is the
 * word at its slot. Offsets and addends are relative to the load bias.
 */
/** The gp of the .opd descriptor whose entry is `entry` (folded), if the program has one. */
function ia64EntryGp(
  sections: readonly SectionHeader[],
  readWord: (a: bigint) => bigint | undefined,
  entry: bigint,
): bigint | undefined {
  const opd = sections.find((h) => h.name === '.opd' && h.type !== SHT_NOBITS);
  if (!opd) return undefined;
  for (let o = 0; o + 16 <= opd.size; o += 16) {
    const code = readWord(opd.addr + BigInt(o));
    const gp = readWord(opd.addr + BigInt(o + 8));
    if (code !== undefined && gp !== undefined && BigInt(addrOf(code)) === entry) return BigInt(addrOf(gp));
  }
  return undefined;
}

function readCodeSlots(
  r: Reader,
  is64: boolean,
  machine: number,
  sections: readonly SectionHeader[],
  readWord: (a: bigint) => bigint | undefined,
  bias: bigint,
): CodeSlot[] {
  const out: CodeSlot[] = [];
  const kinds = SLOT_RELOCATIONS[machine] ?? {};
  for (const [i, s] of sections.entries()) {
    if (s.type !== SHT_RELA && s.type !== SHT_REL) continue;
    const rela = s.type === SHT_RELA;
    const entsize = (is64 ? 8 : 4) * (rela ? 3 : 2);
    const where = `section ${i} (${rela ? 'SHT_RELA' : 'SHT_REL'})`;
    if (s.entsize !== entsize) throw new ElfError(`relocation size ${s.entsize}, expected ${entsize}`, where);
    r.need(s.offset, s.size, 'relocation table');
    let names: ((index: number) => string | undefined) | undefined;
    for (let o = s.offset; o + entsize <= s.offset + s.size; o += entsize) {
      const offset = is64 ? r.u64(o) : BigInt(r.u32(o));
      const info = is64 ? r.u64(o + 8) : BigInt(r.u32(o + 4));
      const type = Number(is64 ? info & 0xffffffffn : info & 0xffn);
      const stores = kinds[type];
      if (!stores || offset + bias >= EXACT) continue;
      if (IRELATIVE_TYPES.has(type)) {
        const addend = rela ? (is64 ? r.u64(o + 16) : BigInt(r.u32(o + 8))) : readWord(offset + bias);
        if (addend === undefined || addend + bias >= EXACT) continue;
        out.push({ slot: Number(offset + bias), resolver: Number(addend + bias), stores });
      } else {
        names ??= symbolNames(r, is64, sections, s.link, where);
        const symbol = names(Number(is64 ? info >> 32n : info >> 8n));
        if (symbol) out.push({ slot: Number(offset + bias), symbol, stores });
      }
    }
  }
  return out;
}

/** The names of the symbol table at section `index` (a relocation section's sh_link), by symbol index. */
function symbolNames(
  r: Reader,
  is64: boolean,
  sections: readonly SectionHeader[],
  index: number,
  where: string,
): (i: number) => string | undefined {
  const tab = sections[index];
  const str = tab && sections[tab.link];
  if (!tab || !str || (tab.type !== SHT_DYNSYM && tab.type !== SHT_SYMTAB))
    throw new ElfError(`sh_link ${index} names no symbol table`, where);
  const entsize = is64 ? 24 : 16;
  r.need(tab.offset, tab.size, 'symbol table');
  r.need(str.offset, str.size, 'symbol string table');
  return (i) => {
    if (i === 0 || (i + 1) * entsize > tab.size) return undefined;
    const n = r.u32(tab.offset + i * entsize);
    return n < str.size ? r.str(str.offset, str.size, n) : undefined;
  };
}

function readSymbols(
  r: Reader,
  is64: boolean,
  sections: readonly SectionHeader[],
  descriptors: boolean,
  readWord: (a: bigint) => bigint | undefined,
  bias: bigint,
  fa: (v: bigint) => bigint,
): ElfSymbol[] {
  const shnum = sections.length;
  const sec = (i: number): SectionHeader => {
    const h = sections[i];
    if (!h) throw new ElfError(`section ${i} out of range`, 'section headers');
    return h;
  };
  const out: ElfSymbol[] = [];
  // The full table; where it was stripped, the dynamic one (a shared object's exports).
  let want = SHT_SYMTAB;
  if (![...Array(shnum).keys()].some((i) => sec(i).type === SHT_SYMTAB)) want = SHT_DYNSYM;
  for (let i = 0; i < shnum; i++) {
    const s = sec(i);
    if (s.type !== want) continue;
    const where = `section ${i} (${want === SHT_SYMTAB ? 'SHT_SYMTAB' : 'SHT_DYNSYM'})`;
    const entsize = is64 ? 24 : 16;
    if (s.entsize !== entsize) throw new ElfError(`symbol size ${s.entsize}, expected ${entsize}`, where);
    r.need(s.offset, s.size, 'symbol table');
    if (s.link >= shnum) throw new ElfError(`string table index ${s.link} out of range`, where);
    const str = sec(s.link);
    r.need(str.offset, str.size, 'symbol string table');
    const nameAt = (n: number): string => {
      if (n >= str.size) throw new ElfError(`symbol name offset ${n} beyond string table`, where);
      return r.str(str.offset, str.size, n);
    };
    for (let o = s.offset + entsize; o + entsize <= s.offset + s.size; o += entsize) {
      let name: number, info: number, shndx: number, value: bigint, size: bigint;
      if (is64) {
        name = r.u32(o);
        info = r.u8(o + 4);
        shndx = r.u16(o + 6);
        value = fa(r.u64(o + 8));
        size = r.u64(o + 16);
      } else {
        name = r.u32(o);
        value = BigInt(r.u32(o + 4));
        size = BigInt(r.u32(o + 8));
        info = r.u8(o + 12);
        shndx = r.u16(o + 14);
      }
      const t = info & 0xf;
      if (shndx === SHN_UNDEF || shndx === SHN_ABS || name === 0) continue;
      value += bias;
      if (t !== STT_FUNC && t !== STT_OBJECT && t !== STT_GNU_IFUNC && t !== 0) continue;
      const sname = nameAt(name);
      if (sname === '' || sname.startsWith('$')) continue;
      // Nothing is mapped at 2^53 or above: such a symbol names no guest address.
      if (value >= EXACT || size >= EXACT) continue;
      const kind =
        t === STT_FUNC ? 'func' : t === STT_GNU_IFUNC ? 'ifunc' : t === STT_OBJECT ? 'object' : 'other';
      if ((kind === 'func' || kind === 'ifunc') && descriptors) {
        const code = readWord(value);
        const toc = readWord(value + 8n);
        if (code === undefined || toc === undefined || code >= EXACT || toc >= EXACT) continue;
        out.push({
          name: sname,
          addr: Number(code),
          size: Number(size),
          kind,
          descriptor: Number(value),
          toc: Number(toc),
        });
      } else {
        out.push({
          name: sname,
          addr: Number(value),
          size: Number(size),
          kind,
        });
      }
    }
  }
  return out;
}
