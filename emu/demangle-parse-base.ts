// Counterpart: libiberty's cp-demangle.c (struct d_info and its helpers: the cursor over the
// mangled name, d_make_comp and friends, the substitution table, <number> and <source-name>).

import { FN_QUALIFIERS, Node, type BuiltinType, type Kind, type OperatorInfo } from './demangle-tree.js';

// d_make_comp refuses a node whose required operands are missing; that is how a failed
// sub-parse (null) travels up.
const NEEDS_BOTH: ReadonlySet<Kind> = new Set<Kind>([
  'qual_name',
  'local_name',
  'typed_name',
  'tagged_name',
  'template',
  'construction_vtable',
  'vendor_type_qual',
  'ptrmem_type',
  'unary',
  'binary',
  'binary_args',
  'trinary',
  'trinary_arg1',
  'literal',
  'literal_neg',
  'vendor_expr',
  'compound_name',
  'vector_type',
  'clone',
  'module_entity',
]);
const NEEDS_RIGHT: ReadonlySet<Kind> = new Set<Kind>([
  'array_type',
  'initializer_list',
  'module_name',
  'module_partition',
]);
const NEEDS_NOTHING: ReadonlySet<Kind> = new Set<Kind>([
  'function_type',
  'restrict',
  'volatile',
  'const',
  'arglist',
  'template_arglist',
  'template_type_parm',
  ...FN_QUALIFIERS,
]);

export const INT_MAX = 0x7fffffff;

export const isDigit = (c: string): boolean => c >= '0' && c <= '9';
export const isLower = (c: string): boolean => c >= 'a' && c <= 'z';
export const isUpper = (c: string): boolean => c >= 'A' && c <= 'Z';

/**
 * The state of one parse. `s` is the name as bytes (one char per byte), so lengths in
 * <source-name> count what the compiler counted.
 */
export abstract class ParserBase {
  protected n = 0;
  protected comps = 0;
  protected readonly maxComps: number;
  protected subs: Node[] = [];
  protected lastName: Node | null = null;
  protected isExpression = false;
  protected isConversion = false;
  protected recursionLevel = 0;

  constructor(
    protected readonly s: string,
    /**
     * The <unresolved-name> reading (d_info.unresolved_name_state): 1 tries the current
     * `sr <prefix> E` form first and records -1 when it did; 0 reads only the old form.
     */
    public unresolvedNameState: number,
  ) {
    this.maxComps = 2 * s.length;
  }

  protected peek(): string {
    return this.s[this.n] ?? '\0';
  }

  protected peekNext(): string {
    return this.s[this.n + 1] ?? '\0';
  }

  protected advance(k: number): void {
    this.n += k;
  }

  protected next(): string {
    const c = this.peek();
    if (c !== '\0') this.n++;
    return c;
  }

  protected check(c: string): boolean {
    if (this.peek() !== c) return false;
    this.n++;
    return true;
  }

  atEnd(): boolean {
    return this.peek() === '\0';
  }

  protected make(kind: Kind, left: Node | null = null, right: Node | null = null): Node | null {
    if (this.comps >= this.maxComps) return null;
    this.comps++;
    return new Node(kind, left, right);
  }

  /** d_make_comp: a node, or null when an operand it needs is missing. */
  protected comp(kind: Kind, left: Node | null, right: Node | null): Node | null {
    if (NEEDS_BOTH.has(kind)) {
      if (!left || !right) return null;
    } else if (NEEDS_RIGHT.has(kind)) {
      if (!right) return null;
    } else if (!NEEDS_NOTHING.has(kind) && !left) return null;
    return this.make(kind, left, right);
  }

  protected makeName(text: string): Node | null {
    if (text.length === 0) return null;
    const p = this.make('name');
    if (p) p.text = text;
    return p;
  }

  protected makeSub(text: string): Node | null {
    const p = this.make('sub_std');
    if (p) p.text = text;
    return p;
  }

  protected makeNum(kind: Kind, num: number): Node | null {
    const p = this.make(kind);
    if (p) p.num = num;
    return p;
  }

  protected makeNumbered(kind: Kind, num: number, left: Node | null): Node | null {
    const p = this.make(kind, left);
    if (p) p.num = num;
    return p;
  }

  protected makeBuiltin(type: BuiltinType): Node | null {
    const p = this.make('builtin_type');
    if (p) p.builtin = type;
    return p;
  }

  protected makeOperator(op: OperatorInfo): Node | null {
    const p = this.make('operator');
    if (p) p.op = op;
    return p;
  }

  protected addSub(dc: Node | null): boolean {
    if (!dc || this.subs.length >= this.s.length) return false;
    this.subs.push(dc);
    return true;
  }

  protected sourceName(): Node | null {
    const len = this.number();
    if (len <= 0) return null;
    const ret = this.identifier(len);
    this.lastName = ret;
    return ret;
  }

  /** <number> ::= [n] <decimal>; -1 when it would overflow an int. */
  protected number(): number {
    let negative = false;
    if (this.peek() === 'n') {
      negative = true;
      this.advance(1);
    }
    let ret = 0;
    for (let c = this.peek(); isDigit(c); c = this.peek()) {
      const d = c.charCodeAt(0) - 48;
      if (ret > Math.trunc((INT_MAX - d) / 10)) return -1;
      ret = ret * 10 + d;
      this.advance(1);
    }
    return negative ? -ret : ret;
  }

  protected identifier(len: number): Node | null {
    if (this.s.length - this.n < len) return null;
    const name = this.s.slice(this.n, this.n + len);
    this.advance(len);
    // g++'s name for an anonymous namespace: _GLOBAL_ then [._$] then N.
    if (len >= 10 && name.startsWith('_GLOBAL_')) {
      const c = name[8];
      if ((c === '.' || c === '_' || c === '$') && name[9] === 'N')
        return this.makeName('(anonymous namespace)');
    }
    return this.makeName(name);
  }

  /** <non-negative number> _, where _ alone is 0 and <n>_ is n+1; -1 if malformed. */
  protected compactNumber(): number {
    let num: number;
    const peek = this.peek();
    if (peek === '_') num = 0;
    else if (peek === 'n') return -1;
    else num = this.number() + 1;
    if (num < 0 || !this.check('_')) return -1;
    return num;
  }
}
