// Counterpart: libiberty's cp-demangle.c (cplus_demangle_type and what it calls: qualifiers,
// function, array, vector and pointer-to-member types, parameter lists).

import { ExpressionParser } from './demangle-parse-expr.js';
import { isDigit } from './demangle-parse-base.js';
import {
  BFLOAT16,
  BUILTIN_D_LETTERS,
  BUILTIN_LETTERS,
  FLOAT_N,
  RECURSION_LIMIT,
  type Kind,
  type Node,
} from './demangle-tree.js';

/** A chain of qualifiers being built: `head` is the outermost, `tail.left` the open slot. */
export interface QualChain {
  head: Node | null;
  tail: Node | null;
}

export function fillSlot(chain: QualChain, n: Node | null): void {
  if (chain.tail) chain.tail.left = n;
  else chain.head = n;
}

function slotValue(chain: QualChain): Node | null {
  return chain.tail ? chain.tail.left : chain.head;
}

/** The one-letter type constructors: P <type> is a pointer to <type>. */
const POINTERISH: Readonly<Record<string, Kind>> = {
  O: 'rvalue_reference',
  P: 'pointer',
  R: 'reference',
  C: 'complex',
  G: 'imaginary',
};

/** A qualifier as it applies to `this`, before a function type. */
const THIS_FORM: Readonly<Partial<Record<Kind, Kind>>> = {
  restrict: 'restrict_this',
  volatile: 'volatile_this',
  const: 'const_this',
};

/** <type>; a class or enum type is a <name>, which comes from the class above. */
export abstract class TypeParser extends ExpressionParser {
  protected abstract name(substable: boolean): Node | null;

  protected nextIsTypeQual(): boolean {
    const peek = this.peek();
    if (peek === 'r' || peek === 'V' || peek === 'K') return true;
    if (peek !== 'D') return false;
    const c = this.peekNext();
    return c === 'x' || c === 'o' || c === 'O' || c === 'w';
  }

  type(): Node | null {
    // The ABI makes the base type and the fully qualified type candidates, not the types
    // with a subset of the qualifiers, so all qualifiers are read at once.
    if (this.nextIsTypeQual()) return this.qualifiedType();
    let canSubst = true;
    let ret: Node | null;
    const peek = this.peek();
    const builtin = BUILTIN_LETTERS[peek];
    if (builtin) {
      ret = this.makeBuiltin(builtin);
      canSubst = false;
      this.advance(1);
    } else {
      switch (peek) {
        case 'u':
          this.advance(1);
          ret = this.comp('vendor_type', this.sourceName(), null);
          break;
        case 'F':
          ret = this.functionType();
          break;
        case 'A':
          ret = this.arrayType();
          break;
        case 'M':
          ret = this.pointerToMemberType();
          break;
        case 'T':
          ret = this.templateTemplateParam();
          break;
        case 'O':
        case 'P':
        case 'R':
        case 'C':
        case 'G':
          this.advance(1);
          ret = this.comp(POINTERISH[peek] as Kind, this.type(), null);
          break;
        case 'U':
          ret = this.vendorQualifiedType();
          break;
        case 'D': {
          const d = this.dType();
          if (d === undefined) return null;
          ret = d.node;
          canSubst = d.canSubst;
          break;
        }
        default:
          return this.name(true);
      }
    }
    if (canSubst && !this.addSub(ret)) return null;
    return ret;
  }

  protected qualifiedType(): Node | null {
    const chain = this.cvQualifiers(false);
    if (!chain) return null;
    // Qualifiers before a function type apply to `this`; the unqualified function type
    // must not become a candidate.
    fillSlot(chain, this.peek() === 'F' ? this.functionType() : this.type());
    const inner = slotValue(chain);
    if (!inner) return null;
    let ret = chain.head;
    if (inner.kind === 'rvalue_reference_this' || inner.kind === 'reference_this') {
      // The ref-qualifier goes outside the cv-qualifiers so it prints after them.
      const fn = inner.left;
      inner.left = ret;
      ret = inner;
      fillSlot(chain, fn);
    }
    if (!this.addSub(ret)) return null;
    return ret;
  }

  /** <template-param>, and <template-template-param> <template-args> after it. */
  protected templateTemplateParam(): Node | null {
    let ret = this.templateParam();
    if (this.peek() !== 'I') return ret;
    if (!this.isConversion) {
      if (!this.addSub(ret)) return null;
      return this.comp('template', ret, this.templateArgs());
    }
    // In a conversion operator's type the arguments may belong to the operator (a
    // <template-prefix>); they are the parameter's only if another argument list follows.
    const save = { n: this.n, comps: this.comps, subs: this.subs.length };
    const args = this.templateArgs();
    if (this.peek() === 'I') {
      if (!this.addSub(ret)) return null;
      ret = this.comp('template', ret, args);
    } else {
      this.n = save.n;
      this.comps = save.comps;
      this.subs.length = save.subs;
    }
    return ret;
  }

  protected vendorQualifiedType(): Node | null {
    this.advance(1);
    let ret = this.sourceName();
    if (this.peek() === 'I') ret = this.comp('template', ret, this.templateArgs());
    return this.comp('vendor_type_qual', this.type(), ret);
  }

  /** The types spelled D<letter>; undefined when the letter is unknown. */
  protected dType(): { node: Node | null; canSubst: boolean } | undefined {
    this.advance(1);
    const c = this.next();
    const builtin = BUILTIN_D_LETTERS[c];
    if (builtin) return { node: this.makeBuiltin(builtin), canSubst: false };
    switch (c) {
      case 'T':
      case 't': {
        let node = this.comp('decltype', this.expression(), null);
        if (node && this.next() !== 'E') node = null;
        return { node, canSubst: true };
      }
      case 'p':
        return { node: this.comp('pack_expansion', this.type(), null), canSubst: true };
      case 'a':
        return { node: this.makeName('auto'), canSubst: false };
      case 'c':
        return { node: this.makeName('decltype(auto)'), canSubst: false };
      case 'F':
        return this.floatN();
      case 'v':
        return { node: this.vectorType(), canSubst: true };
      default:
        return undefined;
    }
  }

  /** DF <number> _ (_FloatN), DF <number> x (_FloatNx), DF16b (std::bfloat16_t). */
  protected floatN(): { node: Node | null; canSubst: boolean } | undefined {
    const arg = this.number();
    if (this.peek() === 'b') {
      if (arg !== 16) return undefined;
      this.advance(1);
      return { node: this.makeBuiltin(BFLOAT16), canSubst: false };
    }
    const suffix = this.peek() === 'x' ? 'x' : '';
    if (!suffix && this.peek() !== '_') return undefined;
    const node = this.make('extended_builtin_type');
    if (node) {
      node.builtin = FLOAT_N;
      node.num = arg;
      node.text = suffix;
    }
    this.advance(1);
    return { node, canSubst: false };
  }

  /** <CV-qualifiers> and the function qualifiers Dx, Do, DO <expr> E, Dw <type>+ E. */
  protected cvQualifiers(memberFn: boolean): QualChain | undefined {
    const chain: QualChain = { head: null, tail: null };
    const quals: Node[] = [];
    let peek = this.peek();
    while (this.nextIsTypeQual()) {
      this.advance(1);
      const q = this.oneQualifier(peek, memberFn);
      if (!q) return undefined;
      fillSlot(chain, q);
      chain.tail = q;
      quals.push(q);
      peek = this.peek();
    }
    if (!memberFn && peek === 'F') {
      // Before a function type they qualify `this`, like a member function's.
      for (const q of quals) q.kind = THIS_FORM[q.kind] ?? q.kind;
    }
    return chain;
  }

  protected oneQualifier(peek: string, memberFn: boolean): Node | null {
    if (peek === 'r') return this.comp(memberFn ? 'restrict_this' : 'restrict', null, null);
    if (peek === 'V') return this.comp(memberFn ? 'volatile_this' : 'volatile', null, null);
    if (peek === 'K') return this.comp(memberFn ? 'const_this' : 'const', null, null);
    const c = this.next();
    if (c === 'x') return this.comp('transaction_safe', null, null);
    if (c === 'o' || c === 'O') {
      let right: Node | null = null;
      if (c === 'O') {
        right = this.expression();
        if (!right || !this.check('E')) return null;
      }
      return this.comp('noexcept', null, right);
    }
    if (c === 'w') {
      const right = this.parmlist();
      if (!right || !this.check('E')) return null;
      return this.comp('throw_spec', null, right);
    }
    return null;
  }

  protected refQualifier(sub: Node | null): Node | null {
    const peek = this.peek();
    if (peek !== 'R' && peek !== 'O') return sub;
    this.advance(1);
    return this.comp(peek === 'R' ? 'reference_this' : 'rvalue_reference_this', sub, null);
  }

  /** <function-type> ::= F [Y] <bare-function-type> [<ref-qualifier>] E */
  protected functionType(): Node | null {
    if (this.recursionLevel > RECURSION_LIMIT) return null;
    this.recursionLevel++;
    let ret: Node | null = null;
    if (this.check('F')) {
      // Y: extern "C", not printed.
      if (this.peek() === 'Y') this.advance(1);
      ret = this.refQualifier(this.bareFunctionType(true));
      if (!this.check('E')) ret = null;
    }
    this.recursionLevel--;
    return ret;
  }

  protected parmlist(): Node | null {
    let head: Node | null = null;
    let tail: Node | null = null;
    for (;;) {
      const peek = this.peek();
      if (peek === '\0' || peek === 'E' || peek === '.') break;
      // A function's ref-qualifier, not a reference parameter.
      if ((peek === 'R' || peek === 'O') && this.peekNext() === 'E') break;
      const type = this.type();
      if (!type) return null;
      const item = this.comp('arglist', type, null);
      if (!item) return null;
      if (tail) tail.right = item;
      else head = item;
      tail = item;
    }
    if (!head) return null;
    // (void) is printed ().
    if (!head.right && head.left?.kind === 'builtin_type' && head.left.builtin?.style === 'void')
      head.left = null;
    return head;
  }

  protected bareFunctionType(hasReturn: boolean): Node | null {
    // J: the first type is the return type.
    if (this.peek() === 'J') {
      this.advance(1);
      hasReturn = true;
    }
    let returnType: Node | null = null;
    if (hasReturn) {
      returnType = this.type();
      if (!returnType) return null;
    }
    const tl = this.parmlist();
    if (!tl) return null;
    return this.comp('function_type', returnType, tl);
  }

  protected arrayType(): Node | null {
    if (!this.check('A')) return null;
    let dim: Node | null = null;
    const peek = this.peek();
    if (isDigit(peek)) {
      const start = this.n;
      while (isDigit(this.peek())) this.advance(1);
      dim = this.makeName(this.s.slice(start, this.n));
      if (!dim) return null;
    } else if (peek !== '_') {
      dim = this.expression();
      if (!dim) return null;
    }
    if (!this.check('_')) return null;
    return this.comp('array_type', dim, this.type());
  }

  /** <vector-type> ::= Dv <number> _ <type> | Dv _ <expression> _ <type> */
  protected vectorType(): Node | null {
    let dim: Node | null;
    if (this.peek() === '_') {
      this.advance(1);
      dim = this.expression();
    } else dim = this.makeNum('number', this.number());
    if (!dim || !this.check('_')) return null;
    return this.comp('vector_type', dim, this.type());
  }

  protected pointerToMemberType(): Node | null {
    if (!this.check('M')) return null;
    const cl = this.type();
    if (!cl) return null;
    // The member's function type lands in the candidates as a plain function type; the
    // ABI says it differs, but nothing can refer to it, so that is harmless.
    const mem = this.type();
    if (!mem) return null;
    return this.comp('ptrmem_type', cl, mem);
  }
}
