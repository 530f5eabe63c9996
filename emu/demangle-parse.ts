// Counterpart: libiberty's cp-demangle.c (cplus_demangle_mangled_name through d_substitution:
// encodings, names, special names, local names, lambdas and substitutions; with
// emu/demangle-parse-type.ts and emu/demangle-parse-expr.ts, the Itanium C++ ABI grammar read
// into a tree of demangle components).

import { isDigit, isLower, isUpper } from './demangle-parse-base.js';
import { fillSlot, TypeParser } from './demangle-parse-type.js';
import { isFnQualifier, OPERATORS, STANDARD_SUBS, type Kind, type Node } from './demangle-tree.js';

const UINT_RANGE = 0x100000000;

export class Parser extends TypeParser {
  /** <mangled-name> ::= _Z <encoding> [<clone-suffix>]* */
  mangledName(topLevel: boolean): Node | null {
    // Below the top a missing '_' is allowed: old g++ wrote L Z...E in template arguments.
    if (!this.check('_') && topLevel) return null;
    if (!this.check('Z')) return null;
    let p = this.encoding(topLevel);
    if (topLevel) {
      while (this.peek() === '.') {
        const c = this.peekNext();
        if (!(isLower(c) || c === '_' || isDigit(c))) break;
        p = this.cloneSuffix(p);
      }
    }
    return p;
  }

  /**
   * _GLOBAL_ [._$] I|D _ <name>: what follows the 11 characters of the prefix is a mangled
   * name, or else any text; `kind` says constructors or destructors.
   */
  globalKeyed(kind: Kind): Node | null {
    this.n = 11;
    const rest = this.s.slice(this.n);
    let dc: Node | null;
    if (this.peek() !== '_' || this.peekNext() !== 'Z') dc = this.makeName(rest);
    else {
      this.advance(2);
      dc = this.encoding(false);
    }
    // Whatever the encoding left (a clone suffix) is ignored.
    this.n = this.s.length;
    return this.comp(kind, dc, null);
  }

  private encoding(topLevel: boolean): Node | null {
    const peek = this.peek();
    if (peek === 'G' || peek === 'T') return this.specialName();
    const dc = this.name(false);
    if (!dc) return null;
    const after = this.peek();
    if (after === '\0' || after === 'E') return dc;
    const ftype = this.bareFunctionType(hasReturnType(dc));
    if (!ftype) return null;
    // A function inside a local name: its return type would read as the local entity's.
    if (!topLevel && dc.kind === 'local_name' && ftype.kind === 'function_type') ftype.left = null;
    return this.comp('typed_name', dc, ftype);
  }

  /** <abi-tags>: B <source-name>, repeated; they leave the name a ctor would take alone. */
  private abiTags(dc: Node | null): Node | null {
    const hold = this.lastName;
    while (this.peek() === 'B') {
      this.advance(1);
      const tag = this.sourceName();
      dc = this.comp('tagged_name', dc, tag);
    }
    this.lastName = hold;
    return dc;
  }

  protected name(substable: boolean): Node | null {
    const peek = this.peek();
    let dc: Node | null = null;
    let subst = false;
    if (peek === 'N') dc = this.nestedName();
    else if (peek === 'Z') dc = this.localName();
    else if (peek === 'U') dc = this.unqualifiedName(null, null);
    else {
      let module: Node | null = null;
      if (peek === 'S') {
        if (this.peekNext() === 't') {
          this.advance(2);
          dc = this.makeName('std');
        }
        if (this.peek() === 'S') {
          module = this.substitution();
          if (!module) return null;
          if (module.kind !== 'module_name' && module.kind !== 'module_partition') {
            if (dc) return null;
            subst = true;
            dc = module;
            module = null;
          }
        }
      }
      if (!subst) dc = this.unqualifiedName(dc, module);
      if (this.peek() === 'I') {
        // <unscoped-template-name> <template-args>: the template name is a candidate.
        if (!subst && !this.addSub(dc)) return null;
        dc = this.comp('template', dc, this.templateArgs());
        subst = false;
      }
    }
    if (substable && !subst && !this.addSub(dc)) return null;
    return dc;
  }

  /** <nested-name> ::= N [<CV-qualifiers>] [<ref-qualifier>] <prefix> E */
  private nestedName(): Node | null {
    if (!this.check('N')) return null;
    const chain = this.cvQualifiers(true);
    if (!chain) return null;
    const rqual = this.refQualifier(null);
    const prefix = this.prefix(true);
    fillSlot(chain, prefix);
    if (!prefix) return null;
    let ret = chain.head;
    if (rqual) {
      rqual.left = ret;
      ret = rqual;
    }
    if (!this.check('E')) return null;
    return ret;
  }

  protected prefix(substable: boolean): Node | null {
    let ret: Node | null = null;
    for (;;) {
      const peek = this.peek();
      if (peek === 'D' && (this.peekNext() === 'T' || this.peekNext() === 't')) {
        if (ret) return null;
        ret = this.type();
      } else if (peek === 'I') {
        if (!ret) return null;
        const args = this.templateArgs();
        if (!args) return null;
        ret = this.comp('template', ret, args);
      } else if (peek === 'T') {
        if (ret) return null;
        ret = this.templateParam();
      } else if (peek === 'M') {
        // A lambda's initializer scope, already a substitution candidate.
        this.advance(1);
        continue;
      } else {
        let module: Node | null = null;
        if (peek === 'S') {
          module = this.substitution();
          if (!module) return null;
          if (module.kind !== 'module_name' && module.kind !== 'module_partition') {
            if (ret) return null;
            ret = module;
            continue;
          }
        }
        ret = this.unqualifiedName(ret, module);
      }
      if (!ret) break;
      if (this.peek() === 'E') break;
      if (substable && !this.addSub(ret)) return null;
    }
    return ret;
  }

  /** <module-name> ::= W [P] <source-name>, repeated; each step is a candidate. */
  private moduleName(module: Node | null): { ok: boolean; module: Node | null } {
    while (this.peek() === 'W') {
      this.advance(1);
      let kind: Kind = 'module_name';
      if (this.peek() === 'P') {
        kind = 'module_partition';
        this.advance(1);
      }
      module = this.comp(kind, module, this.sourceName());
      if (!module || !this.addSub(module)) return { ok: false, module };
    }
    return { ok: true, module };
  }

  protected unqualifiedName(scope: Node | null, module0: Node | null): Node | null {
    const m = this.moduleName(module0);
    if (!m.ok) return null;
    const module = m.module;
    const peek = this.peek();
    let ret: Node | null;
    if (isDigit(peek)) ret = this.sourceName();
    else if (isLower(peek)) ret = this.operatorUnqualified();
    else if (peek === 'D' && this.peekNext() === 'C') ret = this.structuredBinding();
    else if (peek === 'C' || peek === 'D') ret = this.ctorDtorName();
    else if (peek === 'L') {
      this.advance(1);
      ret = this.sourceName();
      if (!ret || !this.discriminator()) return null;
    } else if (peek === 'U') {
      const c = this.peekNext();
      if (c === 'l') ret = this.lambda();
      else if (c === 't') ret = this.unnamedType();
      else return null;
    } else return null;
    if (module) ret = this.comp('module_entity', ret, module);
    if (this.peek() === 'B') ret = this.abiTags(ret);
    if (scope) ret = this.comp('qual_name', scope, ret);
    return ret;
  }

  /** An <operator-name> used as a name; `on` makes `cv` a conversion even in an expression. */
  private operatorUnqualified(): Node | null {
    const wasExpression = this.isExpression;
    if (this.peek() === 'o' && this.peekNext() === 'n') {
      this.advance(2);
      this.isExpression = false;
    }
    let ret = this.operatorName();
    this.isExpression = wasExpression;
    if (ret && ret.kind === 'operator' && ret.op?.code === 'li')
      ret = this.comp('unary', ret, this.sourceName());
    return ret;
  }

  /** DC <source-name>+ E: the names a structured binding declares. */
  private structuredBinding(): Node | null {
    this.advance(2);
    let ret: Node | null = null;
    let prev: Node | null = null;
    do {
      const next = this.comp('structured_binding', this.sourceName(), null);
      if (prev) prev.right = next;
      else ret = next;
      prev = next;
    } while (prev && this.peek() !== 'E');
    if (!prev) return null;
    this.advance(1);
    return ret;
  }

  protected operatorName(): Node | null {
    const c1 = this.next();
    const c2 = this.next();
    if (c1 === 'v' && isDigit(c2)) {
      const name = this.sourceName();
      if (!name) return null;
      return this.makeNumbered('extended_operator', c2.charCodeAt(0) - 48, name);
    }
    if (c1 === 'c' && c2 === 'v') {
      const wasConversion = this.isConversion;
      this.isConversion = !this.isExpression;
      const type = this.type();
      const res = this.comp(this.isConversion ? 'conversion' : 'cast', type, null);
      this.isConversion = wasConversion;
      return res;
    }
    const op = OPERATORS.get(c1 + c2);
    return op ? this.makeOperator(op) : null;
  }

  private specialName(): Node | null {
    if (this.check('T')) return this.specialT();
    if (this.check('G')) return this.specialG();
    return null;
  }

  private specialT(): Node | null {
    switch (this.next()) {
      case 'V':
        return this.comp('vtable', this.type(), null);
      case 'T':
        return this.comp('vtt', this.type(), null);
      case 'I':
        return this.comp('typeinfo', this.type(), null);
      case 'S':
        return this.comp('typeinfo_name', this.type(), null);
      case 'h':
        if (!this.callOffset('h')) return null;
        return this.comp('thunk', this.encoding(false), null);
      case 'v':
        if (!this.callOffset('v')) return null;
        return this.comp('virtual_thunk', this.encoding(false), null);
      case 'c':
        if (!this.callOffset('\0') || !this.callOffset('\0')) return null;
        return this.comp('covariant_thunk', this.encoding(false), null);
      case 'C': {
        const derived = this.type();
        const offset = this.number();
        if (offset < 0 || !this.check('_')) return null;
        const base = this.type();
        return this.comp('construction_vtable', base, derived);
      }
      case 'F':
        return this.comp('typeinfo_fn', this.type(), null);
      case 'J':
        return this.comp('java_class', this.type(), null);
      case 'H':
        return this.comp('tls_init', this.name(false), null);
      case 'W':
        return this.comp('tls_wrapper', this.name(false), null);
      case 'A':
        return this.comp('tparm_obj', this.templateArg(), null);
      default:
        return null;
    }
  }

  private specialG(): Node | null {
    switch (this.next()) {
      case 'V':
        return this.comp('guard', this.name(false), null);
      case 'R': {
        const name = this.name(false);
        return this.comp('reftemp', name, this.makeNum('number', this.number()));
      }
      case 'A':
        return this.comp('hidden_alias', this.encoding(false), null);
      case 'I': {
        const m = this.moduleName(null);
        if (!m.ok || !m.module) return null;
        return this.comp('module_init', m.module, null);
      }
      case 'T':
        // Letters other than n are variants of transactional cloning.
        if (this.next() === 'n') return this.comp('nontransaction_clone', this.encoding(false), null);
        return this.comp('transaction_clone', this.encoding(false), null);
      case 'r':
        return this.javaResource();
      default:
        return null;
    }
  }

  /** Gr <length> _ <text with $S $_ $$ escapes>: a resource compiled into a Java class. */
  private javaResource(): Node | null {
    let len = this.number();
    if (len <= 1 || this.next() !== '_') return null;
    len--;
    let p: Node | null = null;
    while (len > 0) {
      const c = this.peek();
      if (c === '\0') return null;
      let next: Node | null;
      if (c === '$') {
        const e = this.s[this.n + 1] ?? '\0';
        const ch = e === 'S' ? '/' : e === '_' ? '.' : e === '$' ? '$' : '';
        if (ch === '') return null;
        next = this.make('character');
        if (next) next.text = ch;
        this.advance(2);
        len -= 2;
      } else {
        let i = 0;
        while (i < len && this.n + i < this.s.length && this.s[this.n + i] !== '$') i++;
        next = this.makeName(this.s.slice(this.n, this.n + i));
        this.advance(i);
        len -= i;
      }
      if (!next) return null;
      p = p ? this.comp('compound_name', p, next) : next;
      if (!p) return null;
    }
    return this.comp('java_resource', p, null);
  }

  /** <call-offset> ::= h <number> _ | v <number> _ <number> _ (not printed). */
  private callOffset(c: string): boolean {
    if (c === '\0') c = this.next();
    if (c === 'h') this.number();
    else if (c === 'v') {
      this.number();
      if (!this.check('_')) return false;
      this.number();
    } else return false;
    return this.check('_');
  }

  private ctorDtorName(): Node | null {
    if (this.peek() === 'C') {
      let inheriting = false;
      if (this.peekNext() === 'I') {
        inheriting = true;
        this.advance(1);
      }
      const k = this.peekNext();
      if (k < '1' || k > '5') return null;
      this.advance(2);
      // An inheriting constructor names its base; that is not printed.
      if (inheriting) this.type();
      return this.lastName ? this.make('ctor', this.lastName) : null;
    }
    if (this.peek() === 'D') {
      const k = this.peekNext();
      if (k !== '0' && k !== '1' && k !== '2' && k !== '4' && k !== '5') return null;
      this.advance(2);
      return this.lastName ? this.make('dtor', this.lastName) : null;
    }
    return null;
  }

  /** <local-name> ::= Z <encoding> E <name> [<discriminator>] | Z <encoding> E s [...] | ... d <n> _ <name> */
  private localName(): Node | null {
    if (!this.check('Z')) return null;
    const fn = this.encoding(false);
    if (!fn || !this.check('E')) return null;
    let name: Node | null;
    if (this.check('s')) {
      if (!this.discriminator()) return null;
      name = this.makeName('string literal');
    } else {
      let num = -1;
      if (this.check('d')) {
        // A default argument's scope: d [<number>] _.
        num = this.compactNumber();
        if (num < 0) return null;
      }
      name = this.name(false);
      // Lambdas and unnamed types carry their own discriminator.
      if (name && name.kind !== 'lambda' && name.kind !== 'unnamed_type' && !this.discriminator())
        return null;
      if (num >= 0) name = this.makeNumbered('default_arg', num, name);
    }
    // The enclosing function's return type would read as the local entity's: drop it.
    if (fn.kind === 'typed_name' && fn.right?.kind === 'function_type') fn.right.left = null;
    return this.comp('local_name', fn, name);
  }

  /** <discriminator> ::= _ <digit> | __ <number> _ (read, never printed). */
  private discriminator(): boolean {
    if (!this.check('_')) return true;
    const double = this.check('_');
    const discrim = this.number();
    if (discrim < 0) return false;
    if (double && discrim >= 10) return this.check('_');
    return true;
  }

  /** <template-parm> of a lambda's explicit template head: Ty, Tn <type>, Tt <head> E, Tp <parm>. */
  private templateParm(bad: { bad: boolean }): Node | null {
    if (this.peek() !== 'T') return null;
    switch (this.peekNext()) {
      case 'p': {
        this.advance(2);
        const op = this.templateParm(bad);
        if (!op) {
          bad.bad = true;
          return null;
        }
        return this.comp('template_pack_parm', op, null);
      }
      case 'y':
        this.advance(2);
        return this.comp('template_type_parm', null, null);
      case 'n': {
        this.advance(2);
        const op = this.type();
        if (!op) {
          bad.bad = true;
          return null;
        }
        return this.comp('template_non_type_parm', op, null);
      }
      case 't': {
        this.advance(2);
        const op = this.templateHead(bad);
        if (!op || !this.check('E')) {
          bad.bad = true;
          return null;
        }
        return this.comp('template_template_parm', op, null);
      }
      default:
        return null;
    }
  }

  private templateHead(bad: { bad: boolean }): Node | null {
    let head: Node | null = null;
    let tail: Node | null = null;
    for (let op = this.templateParm(bad); op; op = this.templateParm(bad)) {
      if (tail) tail.right = op;
      else head = op;
      tail = op;
    }
    return head ? this.comp('template_head', head, null) : null;
  }

  /** <closure-type-name> ::= Ul [<template-head>] <lambda-sig> E [<number>] _ */
  private lambda(): Node | null {
    if (!this.check('U') || !this.check('l')) return null;
    const bad = { bad: false };
    const head = this.templateHead(bad);
    if (bad.bad) return null;
    let tl = this.parmlist();
    if (!tl) return null;
    if (head) {
      head.right = tl;
      tl = head;
    }
    if (!this.check('E')) return null;
    const num = this.compactNumber();
    if (num < 0) return null;
    return this.makeNumbered('lambda', num, tl);
  }

  /** <unnamed-type-name> ::= Ut [<number>] _ */
  private unnamedType(): Node | null {
    if (!this.check('U') || !this.check('t')) return null;
    const num = this.compactNumber();
    if (num < 0) return null;
    const ret = this.makeNum('unnamed_type', num);
    return this.addSub(ret) ? ret : null;
  }

  /** .<lowercase/digits/_>* (.<digits>)*, as g++ appends to clones of a function. */
  private cloneSuffix(encoding: Node | null): Node | null {
    const start = this.n;
    let end = start;
    const at = (i: number): string => this.s[i] ?? '\0';
    const cloneChar = (c: string): boolean => isLower(c) || isDigit(c) || c === '_';
    if (at(end) === '.' && cloneChar(at(end + 1))) {
      end += 2;
      while (cloneChar(at(end))) end++;
    }
    while (at(end) === '.' && isDigit(at(end + 1))) {
      end += 2;
      while (isDigit(at(end))) end++;
    }
    this.n = end;
    return this.comp('clone', encoding, this.makeName(this.s.slice(start, end)));
  }

  /**
   * <substitution> ::= S_ | S <seq-id> _ | St | Sa | Sb | Ss | Si | So | Sd. The full
   * expansions are used everywhere (c++filt's DMGL_VERBOSE), so whether this is a prefix
   * of a constructor's name does not matter.
   */
  private substitution(): Node | null {
    if (!this.check('S')) return null;
    let c = this.next();
    if (c === '_' || isDigit(c) || isUpper(c)) {
      // <seq-id> is base 36 in an unsigned int: wrap and overflow as C does.
      let id = 0;
      if (c !== '_') {
        do {
          let d: number;
          if (isDigit(c)) d = c.charCodeAt(0) - 48;
          else if (isUpper(c)) d = c.charCodeAt(0) - 55;
          else return null;
          const newId = (id * 36 + d) % UINT_RANGE;
          if (newId < id) return null;
          id = newId;
          c = this.next();
        } while (c !== '_');
        id = (id + 1) % UINT_RANGE;
      }
      return this.subs[id] ?? null;
    }
    const std = STANDARD_SUBS[c];
    if (!std) return null;
    if (std.ctorName !== undefined) this.lastName = this.makeSub(std.ctorName);
    let dc = this.makeSub(std.text);
    if (this.peek() === 'B') {
      // With ABI tags the abbreviation becomes a candidate.
      dc = this.abiTags(dc);
      if (!this.addSub(dc)) return null;
    }
    return dc;
  }
}

/** Template functions print a return type, except constructors, destructors and conversions. */
function hasReturnType(dc: Node | null): boolean {
  if (!dc) return false;
  if (dc.kind === 'local_name') return hasReturnType(dc.right);
  if (dc.kind === 'template') return !isCtorDtorOrConversion(dc.left);
  if (isFnQualifier(dc.kind)) return hasReturnType(dc.left);
  return false;
}

function isCtorDtorOrConversion(dc: Node | null): boolean {
  if (!dc) return false;
  if (dc.kind === 'qual_name' || dc.kind === 'local_name') return isCtorDtorOrConversion(dc.right);
  return dc.kind === 'ctor' || dc.kind === 'dtor' || dc.kind === 'conversion';
}
