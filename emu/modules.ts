// Counterpart: what the kernel's uprobes learn from mmap (uprobe_mmap: a file's pages coming
// into a process) and what /proc/PID/maps shows: the shared objects a dynamic loader maps
// from the root, each with its symbols, named as kprobe_events names module symbols
// (MOD:SYM, the module being the object's file name, libc.so.6).
import { basename } from 'node:path';
import { ElfError, parseElf, type ElfImage, type ElfSymbol } from './elf.js';
import type { GuestAddr } from './addr.js';
import { PROT_EXEC } from './engine.js';
import type { SymbolTable } from './symbols.js';

/** A file of the root the guest mapped (mmap of an fd). */
export interface FileMapping {
  /** The file's path in the guest's tree. */
  readonly path: string;
  readonly offset: number;
  readonly addr: GuestAddr;
  readonly len: number;
  /** PROT_* bits. */
  readonly prot: number;
  /** The file's first `max` bytes (all of it without `max`). */
  read(max?: number): Uint8Array;
}

/** A shared object in the guest's memory. */
export interface Module {
  /** Its file name (libc.so.6): the MOD of MOD:SYM. */
  readonly name: string;
  readonly path: string;
  /** Where its offset 0 (its first segment) was mapped: the load bias of an ET_DYN. */
  readonly base: GuestAddr;
  readonly end: GuestAddr;
  readonly image: ElfImage;
}

export class Modules {
  readonly loaded: Module[] = [];
  private readonly listeners: ((m: FileMapping, mod: Module | undefined) => void)[] = [];

  constructor(private readonly symbols: SymbolTable) {}

  /** Call `fn` at every file mapping, with the module it belongs to (if it is one). */
  onMapped(fn: (m: FileMapping, mod: Module | undefined) => void): void {
    this.listeners.push(fn);
  }

  /** A loaded object by its path in the guest's tree, or (no '/') by its file name. */
  named(object: string): Module | undefined {
    return this.loaded.find((x) => (object.includes('/') ? x.path === object : x.name === object));
  }

  /** The address of file offset `off` of a loaded object, where a segment loads it. */
  static fileOffsetAddr(mod: Module, off: number): GuestAddr | undefined {
    const seg = mod.image.segments.find((g) => off >= g.fileOffset && off < g.fileOffset + g.data.length);
    return seg ? seg.vaddr + (off - seg.fileOffset) : undefined;
  }

  /** The module containing `addr`. */
  at(addr: GuestAddr): Module | undefined {
    return this.loaded.find((x) => addr >= x.base && addr < x.end);
  }

  /** A mapping of a file: its offset 0 of an ELF shared object loads it; listeners hear of it. */
  mapped(fm: FileMapping): void {
    let mod = this.at(fm.addr);
    if (mod && mod.path !== fm.path) mod = undefined;
    if (!mod && fm.offset === 0) mod = this.load(fm);
    for (const l of this.listeners) l(fm, mod);
  }

  /** Whether `addr` lies in an executable mapping of `fm`. */
  static executes(fm: FileMapping, addr: GuestAddr): boolean {
    return (fm.prot & PROT_EXEC) !== 0 && addr >= fm.addr && addr < fm.addr + fm.len;
  }

  /** An object mapped by the kernel rather than by a guest mmap (the program's interpreter). */
  adopt(path: string, image: ElfImage): Module {
    return this.add(path, image.loadBias, image);
  }

  private add(path: string, base: GuestAddr, image: ElfImage): Module {
    const name = basename(path);
    const end = Math.max(...image.segments.map((g) => g.vaddr + g.memsz));
    const mod: Module = { name, path, base, end, image };
    this.loaded.push(mod);
    for (const s of image.symbols) this.symbols.add(qualified(name, s));
    return mod;
  }

  private load(fm: FileMapping): Module | undefined {
    // Not an ELF shared object (a data file, a locale archive): no module, and not read whole.
    const head = fm.read(18);
    if (head.length < 18 || head[0] !== 0x7f || head[1] !== 0x45 || head[2] !== 0x4c || head[3] !== 0x46)
      return undefined;
    const bytes = fm.read();
    let image: ElfImage;
    try {
      image = parseElf(bytes, { base: fm.addr, shared: true });
    } catch (e) {
      if (e instanceof ElfError) return undefined;
      throw e;
    }
    if (image.loadBias !== fm.addr) return undefined;
    return this.add(fm.path, fm.addr, image);
  }
}

/** A module's symbol under its MOD:SYM name. */
function qualified(mod: string, s: ElfSymbol): ElfSymbol {
  return { ...s, name: `${mod}:${s.name}` };
}
