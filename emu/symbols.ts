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
  /**
   * Sorted by address for binary search: every function, and apart from them the other
   * symbols (objects, labels), one of each name.
   */
  private readonly funcs: ElfSymbol[];
  private readonly others: ElfSymbol[];

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
    // Addresses resolve in every function, as kallsyms' do: a static function whose name
    // another one carries too is found by address, though not by name.
    const named = new Set(this.byName.values());
    const shadowed = symbols.filter((s) => s.kind === 'func' && !named.has(s) && this.duplicates.has(s.name));
    const distinct = new Map(shadowed.map((s) => [`${s.name}@${s.addr}`, s]));
    for (const s of named) distinct.delete(`${s.name}@${s.addr}`);
    const sorted = [...named, ...distinct.values()].sort((a, b) => a.addr - b.addr);
    this.funcs = sorted.filter((f) => f.kind === 'func');
    this.others = sorted.filter((f) => f.kind !== 'func');
  }

  /** Every symbol by address. */
  get all(): readonly ElfSymbol[] {
    return [...this.funcs, ...this.others].sort((a, b) => a.addr - b.addr);
  }

  functions(): ElfSymbol[] {
    return [...this.funcs];
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
    const best = containing(this.funcs, addr) ?? containing(this.others, addr);
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
    const list = sym.kind === 'func' ? this.funcs : this.others;
    let i = list.findIndex((s) => s.addr > sym.addr);
    if (i < 0) i = list.length;
    list.splice(i, 0, sym);
  }
}

/**
 * The symbol of `sorted` (by address) that contains `addr`: the nearest start at or below it,
 * or one of the few before that (aliases, a zero-sized symbol at a function's start).
 */
function containing(sorted: readonly ElfSymbol[], addr: GuestAddr): ElfSymbol | undefined {
  let lo = 0;
  let hi = sorted.length - 1;
  let idx = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const s = sorted[mid];
    if (!s) throw new Error(`SymbolTable.resolve: no symbol at index ${mid} of ${sorted.length}`);
    if (s.addr <= addr) {
      idx = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  for (let i = idx; i >= 0 && i > idx - 8; i--) {
    const s = sorted[i];
    if (!s) throw new Error(`SymbolTable.resolve: no symbol at index ${i} of ${sorted.length}`);
    if (addr < s.addr + (s.size === 0 ? 1 : s.size)) return s;
  }
  return undefined;
}
