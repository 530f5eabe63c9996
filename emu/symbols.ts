// Counterpart: the kernel's kallsyms (kallsyms_lookup_name, sprint_symbol "sym+0xoff/0xsize").
import type { GuestAddr } from './addr.js';
import type { ElfSymbol } from './elf.js';

export interface SymbolHit {
  symbol: ElfSymbol;
  offset: number;
}

/** Symbol lookups both ways: name -> symbol, address -> symbol+offset. */
export class SymbolTable {
  private readonly byName = new Map<string, ElfSymbol>();
  /** Sized functions and objects sorted by address, for binary search. */
  private readonly sorted: ElfSymbol[];

  /** Function names that more than one function symbol carries (static functions). */
  private readonly duplicates = new Map<string, number>();

  constructor(symbols: readonly ElfSymbol[]) {
    const seen = new Map<string, Set<GuestAddr>>();
    for (const s of symbols) {
      if (s.kind !== 'func') continue;
      const at = seen.get(s.name) ?? new Set<GuestAddr>();
      at.add(s.addr);
      seen.set(s.name, at);
    }
    for (const [name, at] of seen) if (at.size > 1) this.duplicates.set(name, at.size);
    for (const s of symbols) {
      const prev = this.byName.get(s.name);
      // Prefer a function over another kind with the same name (ppc64 has both `f` and `.f` styles).
      if (!prev || (prev.kind !== 'func' && s.kind === 'func')) this.byName.set(s.name, s);
    }
    this.sorted = [...this.byName.values()].sort((a, b) => a.addr - b.addr);
  }

  get all(): readonly ElfSymbol[] {
    return this.sorted;
  }

  functions(): ElfSymbol[] {
    return this.sorted.filter((s) => s.kind === 'func');
  }

  /** How many functions carry `name` when more than one does (the kernel's non-unique symbols). */
  ambiguity(name: string): number | undefined {
    return this.duplicates.get(name);
  }

  lookup(name: string): ElfSymbol | undefined {
    return this.byName.get(name);
  }

  /**
   * The symbol containing `addr` (within its size), preferring functions; a zero-sized
   * symbol matches only its own address. Undefined when no symbol contains it.
   */
  resolve(addr: GuestAddr): SymbolHit | undefined {
    let lo = 0;
    let hi = this.sorted.length - 1;
    let idx = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const s = this.sorted[mid];
      if (!s) throw new Error(`SymbolTable.resolve: no symbol at index ${mid} of ${this.sorted.length}`);
      if (s.addr <= addr) {
        idx = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    let best: ElfSymbol | undefined;
    for (let i = idx; i >= 0 && i > idx - 8; i--) {
      const s = this.sorted[i];
      if (!s) throw new Error(`SymbolTable.resolve: no symbol at index ${i} of ${this.sorted.length}`);
      const inside = addr < s.addr + (s.size === 0 ? 1 : s.size);
      if (inside && (!best || (best.kind !== 'func' && s.kind === 'func'))) best = s;
    }
    return best ? { symbol: best, offset: addr - best.addr } : undefined;
  }

  /** `sym+0xoff/0xsize` as the kernel prints it, or the bare hex address. */
  format(addr: GuestAddr): string {
    return this.describe(addr).symOffsetSize;
  }

  /**
   * An address as the kernel prints it: `sym+0xoff` and `sym+0xoff/0xsize` (%pS); both the
   * bare hex address when no symbol holds it.
   */
  describe(addr: GuestAddr): { symOffset: string; symOffsetSize: string } {
    const hit = this.resolve(addr);
    if (!hit) return { symOffset: `0x${addr.toString(16)}`, symOffsetSize: `0x${addr.toString(16)}` };
    const symOffset = `${hit.symbol.name}+0x${hit.offset.toString(16)}`;
    return { symOffset, symOffsetSize: `${symOffset}/0x${hit.symbol.size.toString(16)}` };
  }

  /** Register an engine-made symbol (e.g. kretprobe_trampoline). */
  add(sym: ElfSymbol): void {
    this.byName.set(sym.name, sym);
    let i = this.sorted.findIndex((s) => s.addr > sym.addr);
    if (i < 0) i = this.sorted.length;
    this.sorted.splice(i, 0, sym);
  }
}
