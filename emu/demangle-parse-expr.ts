// Counterpart: libiberty's cp-demangle.c (d_expression, d_expr_primary, d_template_args and
// d_unresolved_name: expressions in template arguments and decltype, and template arguments).

import { ParserBase, INT_MAX, isDigit, isLower } from './demangle-parse-base.js';
import { isNewCast, NULLPTR_TYPE, type Kind, type Node } from './demangle-tree.js';

/** Expressions and template arguments; types and names come from the classes above. */
export abstract class ExpressionParser extends ParserBase {
  abstract type(): Node | null;
  protected abstract unqualifiedName(scope: Node | null, module: Node | null): Node | null;
  protected abstract prefix(substable: boolean): Node | null;
  protected abstract operatorName(): Node | null;
  abstract mangledName(topLevel: boolean): Node | null;

  protected templateParam(): Node | null {
    if (!this.check('T')) return null;
    const param = this.compactNumber();
    if (param < 0) return null;
    return this.makeNum('template_param', param);
  }

  protected templateArgs(): Node | null {
    const peek = this.peek();
    if (peek !== 'I' && peek !== 'J') return null;
    this.advance(1);
    return this.templateArgsRest();
  }

  /** <template-arg>* E; the arguments' names must not become a later ctor's name. */
  protected templateArgsRest(): Node | null {
    const hold = this.lastName;
    if (this.peek() === 'E') {
      // An empty argument pack.
      this.advance(1);
      return this.comp('template_arglist', null, null);
    }
    let head: Node | null = null;
    let tail: Node | null = null;
    for (;;) {
      const a = this.templateArg();
      if (!a) return null;
      const item = this.comp('template_arglist', a, null);
      if (!item) return null;
      if (tail) tail.right = item;
      else head = item;
      tail = item;
      if (this.check('E')) break;
    }
    this.lastName = hold;
    return head;
  }

  protected templateArg(): Node | null {
    switch (this.peek()) {
      case 'X': {
        this.advance(1);
        const ret = this.expression();
        return this.check('E') ? ret : null;
      }
      case 'L':
        return this.exprPrimary();
      case 'I':
      case 'J':
        return this.templateArgs();
      default:
        return this.type();
    }
  }

  protected exprList(terminator: string): Node | null {
    if (this.check(terminator)) return this.comp('arglist', null, null);
    let head: Node | null = null;
    let tail: Node | null = null;
    for (;;) {
      const arg = this.expression();
      if (!arg) return null;
      const item = this.comp('arglist', arg, null);
      if (!item) return null;
      if (tail) tail.right = item;
      else head = item;
      tail = item;
      if (this.check(terminator)) break;
    }
    return head;
  }

  /**
   * <unresolved-name> after `sr`. `sr 1A 1x` was the old spelling of A::x, `sr 1A E 1x`
   * the current one: the current reading is tried first and the whole name re-parsed with
   * the old one if that fails (see unresolvedNameState).
   */
  protected unresolvedName(): Node | null {
    this.advance(2);
    const peek = this.peek();
    let type: Node | null;
    if (this.unresolvedNameState !== 0 && (isDigit(peek) || isLower(peek) || 'CUL'.includes(peek))) {
      this.unresolvedNameState = -1;
      type = this.prefix(false);
      if (this.peek() === 'E') this.advance(1);
    } else type = this.type();
    let name = this.unqualifiedName(type, null);
    if (this.peek() === 'I') name = this.comp('template', name, this.templateArgs());
    return name;
  }

  expression(): Node | null {
    const was = this.isExpression;
    this.isExpression = true;
    const ret = this.expression1();
    this.isExpression = was;
    return ret;
  }

  protected expression1(): Node | null {
    const peek = this.peek();
    const next = this.peekNext();
    if (peek === 'L') return this.exprPrimary();
    if (peek === 'T') return this.templateParam();
    if (peek === 's' && next === 'r') return this.unresolvedName();
    if (peek === 's' && next === 'p') {
      this.advance(2);
      return this.comp('pack_expansion', this.expression1(), null);
    }
    if (peek === 'f' && next === 'p') return this.functionParam();
    if (isDigit(peek) || (peek === 'o' && next === 'n')) {
      // A dependent call's unqualified callee, as in decltype(f(t)) or operator+(t).
      if (peek === 'o') this.advance(2);
      const name = this.unqualifiedName(null, null);
      if (!name) return null;
      if (this.peek() === 'I') return this.comp('template', name, this.templateArgs());
      return name;
    }
    if ((peek === 'i' || peek === 't') && next === 'l') {
      // A braced initializer list, untyped or typed.
      this.advance(2);
      const type = peek === 't' ? this.type() : null;
      if (this.peek() === '\0' || this.peekNext() === '\0') return null;
      return this.comp('initializer_list', type, this.exprList('E'));
    }
    if (peek === 'u') {
      // A vendor extended expression.
      this.advance(1);
      const name = this.sourceName();
      const args = this.templateArgsRest();
      return this.comp('vendor_expr', name, args);
    }
    return this.operatorExpression();
  }

  /** fp [<cv>] <number> _ names a function parameter, fpT `this`. */
  protected functionParam(): Node | null {
    this.advance(2);
    let index: number;
    if (this.peek() === 'T') {
      this.advance(1);
      index = 0;
    } else {
      index = this.compactNumber();
      if (index === INT_MAX || index === -1) return null;
      index++;
    }
    return this.makeNum('function_param', index);
  }

  protected operatorExpression(): Node | null {
    const op = this.operatorName();
    if (!op) return null;
    let args: number;
    let code: string | undefined;
    if (op.kind === 'operator' && op.op) {
      code = op.op.code;
      if (code === 'st') return this.comp('unary', op, this.type());
      args = op.op.args;
    } else if (op.kind === 'extended_operator') args = op.num;
    else if (op.kind === 'cast') args = 1;
    else return null;
    switch (args) {
      case 0:
        return this.comp('nullary', op, null);
      case 1:
        return this.unaryExpression(op, code);
      case 2:
        return code === undefined ? null : this.binaryExpression(op, code);
      case 3:
        return code === undefined ? null : this.trinaryExpression(op, code);
      default:
        return null;
    }
  }

  protected unaryExpression(op: Node, code: string | undefined): Node | null {
    let suffix = false;
    // pp_ and mm_ are the prefix forms; without the _ they are postfix.
    if (code && (code[0] === 'p' || code[0] === 'm') && code[1] === code[0]) suffix = !this.check('_');
    let operand: Node | null;
    if (op.kind === 'cast' && this.check('_')) operand = this.exprList('E');
    else if (code === 'sP') operand = this.templateArgsRest();
    else operand = this.expression1();
    // A binary_args node with both sides the operand marks the postfix form for printing.
    if (suffix) operand = this.comp('binary_args', operand, operand);
    return this.comp('unary', op, operand);
  }

  protected binaryExpression(op: Node, code: string): Node | null {
    let left: Node | null;
    if (isNewCast(code)) left = this.type();
    else if (code[0] === 'f') left = this.operatorName();
    else if (code === 'di') left = this.unqualifiedName(null, null);
    else left = this.expression1();
    let right: Node | null;
    if (code === 'cl') right = this.exprList('E');
    else if (code === 'dt' || code === 'pt') right = this.memberName();
    else right = this.expression1();
    return this.comp('binary', op, this.comp('binary_args', left, right));
  }

  /** The member after `.` or `->`: qualified, or an unqualified name (old manglings left out `on`). */
  protected memberName(): Node | null {
    const peek = this.peek();
    const next = this.peekNext();
    if ((peek === 'g' && next === 's') || (peek === 's' && next === 'r')) return this.expression1();
    let right = this.unqualifiedName(null, null);
    if (this.peek() === 'I') right = this.comp('template', right, this.templateArgs());
    return right;
  }

  protected trinaryExpression(op: Node, code: string): Node | null {
    let first: Node | null;
    let second: Node | null;
    let third: Node | null;
    if (code === 'qu' || code === 'dX') {
      first = this.expression1();
      second = this.expression1();
      third = this.expression1();
      if (!third) return null;
    } else if (code[0] === 'f') {
      // A binary fold: the operator, then both operands.
      first = this.operatorName();
      second = this.expression1();
      third = this.expression1();
      if (!third) return null;
    } else if (code[0] === 'n') {
      if (code[1] !== 'w' && code[1] !== 'a') return null;
      first = this.exprList('_');
      second = this.type();
      if (this.check('E')) third = null;
      else if (this.peek() === 'p' && this.peekNext() === 'i') {
        this.advance(2);
        third = this.exprList('E');
      } else if (this.peek() === 'i' && this.peekNext() === 'l') third = this.expression1();
      else return null;
    } else return null;
    const args2 = this.comp('trinary_arg2', second, third);
    return this.comp('trinary', op, this.comp('trinary_arg1', first, args2));
  }

  /** <expr-primary> ::= L <type> <value> E | L <mangled-name> E */
  protected exprPrimary(): Node | null {
    if (!this.check('L')) return null;
    let ret: Node | null;
    // L Z...E without the _ is an old g++ bug, accepted.
    if (this.peek() === '_' || this.peek() === 'Z') ret = this.mangledName(false);
    else {
      const type = this.type();
      if (!type) return null;
      if (type.kind === 'builtin_type' && type.builtin?.name === NULLPTR_TYPE.name && this.check('E'))
        return type;
      let kind: Kind = 'literal';
      if (this.check('n')) kind = 'literal_neg';
      // The value is kept as text: float literals are hex of the target's representation.
      const start = this.n;
      while (this.peek() !== 'E') {
        if (this.peek() === '\0') return null;
        this.advance(1);
      }
      ret = this.comp(kind, type, this.makeName(this.s.slice(start, this.n)));
    }
    if (!this.check('E')) return null;
    return ret;
  }
}
