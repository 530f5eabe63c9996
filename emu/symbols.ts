// Counterpart: the kernel's kallsyms (kallsyms_lookup_name, sprint_symbol "sym+0xoff/0xsize").
import { hex, type GuestAddr } from './addr.js';
import { demangle } from './demangle.js';
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

  /** Whether names show demangled (C++ as c++filt writes them) or as stored (--no-demangle). */
  demangle = true;
  /** Each name's demangled form, once made (the name itself where it is not mangled). */
  private readonly demangled = new Map<string, string>();
  /**
   * Symbols by their demangled names: the whole text (`ns::f(int)`) and the name without its
   * parameters (`ns::f`), null where several functions share it. Made at the first lookup
   * of a name no symbol has as stored; symbols added later clear it.
   */
  private byDemangled: Map<string, ElfSymbol | null> | undefined;

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
    const n = this.duplicates.get(name);
    if (n !== undefined || this.byName.has(name)) return n;
    if (this.demangledIndex().get(name) !== null) return undefined;
    // A C++ name without its parameters that several overloads share.
    return this.overloads(name).length;
  }

  /** The demangled names of the functions whose name without parameters is `name`. */
  overloads(name: string): string[] {
    const all = this.functions().map((f) => this.demangledOf(f.name));
    return [
      ...new Set(all.filter((d) => d !== name && !d.includes(' [clone ') && shortName(d) === name)),
    ].sort();
  }

  /** The symbol named `name` as stored, or by its demangled name (whole, or without its parameters). */
  lookup(name: string): ElfSymbol | undefined {
    return this.byName.get(name) ?? this.demangledIndex().get(name) ?? undefined;
  }

  /** A name as traces and listings show it: demangled unless `demangle` is off. */
  displayName(name: string): string {
    return this.demangle ? this.demangledOf(name) : name;
  }

  private demangledOf(name: string): string {
    let d = this.demangled.get(name);
    if (d === undefined) {
      d = demangledName(name);
      this.demangled.set(name, d);
    }
    return d;
  }

  private demangledIndex(): Map<string, ElfSymbol | null> {
    if (this.byDemangled) return this.byDemangled;
    const index = new Map<string, ElfSymbol | null>();
    const put = (key: string, s: ElfSymbol): void => {
      const prev = index.get(key);
      index.set(key, prev === undefined || prev === s || prev?.addr === s.addr ? s : null);
    };
    for (const s of this.byName.values()) {
      const d = this.demangledOf(s.name);
      if (d === s.name) continue;
      put(d, s);
      // A compiler's clone (`f() [clone .cold]`) is a part of f, named only in full.
      const short = shortName(d);
      if (short !== d && s.kind === 'func' && !d.includes(' [clone ')) put(short, s);
    }
    this.byDemangled = index;
    return index;
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
    if (!hit) return { symOffset: hex(addr), symOffsetSize: hex(addr) };
    const symOffset = `${this.displayName(hit.symbol.name)}+0x${hit.offset.toString(16)}`;
    return { symOffset, symOffsetSize: `${symOffset}/0x${hit.symbol.size.toString(16)}` };
  }

  /** Register an engine-made symbol (e.g. kretprobe_trampoline). */
  add(sym: ElfSymbol): void {
    this.byName.set(sym.name, sym);
    this.byDemangled = undefined;
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

/**
 * `name` demangled where it is a mangled C++ (or legacy Rust) name, with a shared object's
 * `MOD:` kept in front; else `name` itself.
 */
function demangledName(name: string): string {
  const colon = name.indexOf(':_Z');
  if (colon >= 0) {
    const d = demangle(name.slice(colon + 1));
    return d === undefined ? name : `${name.slice(0, colon + 1)}${d}`;
  }
  return name.includes('_Z') ? (demangle(name) ?? name) : name;
}

/**
 * A demangled function name without its parameter list, qualifiers and return type
 * (`ns::C::f(int) const` and `void ns::f<int>(int)` give `ns::C::f` and `ns::f<int>`): the
 * name a user types for a function that has no overloads. The text itself where it has no
 * parameter list.
 */
export function shortName(text: string): string {
  const close = text.lastIndexOf(')');
  if (close < 0) return text;
  // Past the parameters only qualifiers and clone notes may follow.
  if (!/^(?: const| volatile| &&| &| \[clone [^\]]*\])*$/.test(text.slice(close + 1))) return text;
  let depth = 0;
  let open = -1;
  for (let i = close; i >= 0; i--) {
    const c = text[i];
    if (c === ')' || c === '>') depth++;
    else if (c === '(' || c === '<') depth--;
    if (depth === 0) {
      open = i;
      break;
    }
  }
  if (open <= 0) return text;
  const head = text.slice(0, open);
  // A template function's return type comes first, a space away at the top level.
  depth = 0;
  for (let i = head.length - 1; i >= 0; i--) {
    const c = head[i];
    if (c === '>' || c === ')') depth++;
    else if (c === '<' || c === '(') depth--;
    else if (c === ' ' && depth === 0 && !head.slice(0, i).endsWith('operator')) return head.slice(i + 1);
  }
  return head;
}
