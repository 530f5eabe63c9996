// Counterpart: libiberty's cp-demangle.c (d_print_comp's expression cases, d_print_subexpr,
// d_print_expr_op, d_find_pack: expressions as text) and the printer's state.

import { isNewCast, type Kind, type Node } from './demangle-tree.js';

/** A pending type modifier (d_print_mod). */
export interface Mod {
  next: Mod | null;
  mod: Node;
  printed: boolean;
  /** The templates in scope where it was pushed, for its template parameters. */
  templates: Templates | null;
}

/** The templates whose arguments template parameters refer to, innermost first. */
export interface Templates {
  next: Templates | null;
  decl: Node | null;
}

/** The nodes being printed, innermost first. */
export interface ComponentStack {
  dc: Node;
  parent: ComponentStack | null;
}

// Kinds that never hold a template argument pack (d_find_pack stops at them).
const PACK_FREE: ReadonlySet<Kind> = new Set<Kind>([
  'lambda',
  'name',
  'tagged_name',
  'operator',
  'builtin_type',
  'extended_builtin_type',
  'sub_std',
  'character',
  'function_param',
  'unnamed_type',
  'default_arg',
  'number',
]);

const LITERAL_SUFFIX: Readonly<Record<string, string>> = {
  int: '',
  unsigned: 'u',
  long: 'l',
  'unsigned long': 'ul',
  'long long': 'll',
  'unsigned long long': 'ull',
};

/**
 * The printer's state (struct d_print_info) and its expression cases; names and types are
 * printed by the classes above.
 */
export abstract class ExpressionPrinter {
  out = '';
  /** The last character appended; it survives the removal of an empty pack's ", ". */
  protected lastChar = '';
  failed = false;
  protected templates: Templates | null = null;
  protected modifiers: Mod | null = null;
  /** Nesting of print calls: a malformed tree can loop through its substitutions. */
  protected depth = 0;
  /** One more than the explicit template parameters of the lambda being printed; 0 outside. */
  protected lambdaTplParms = 0;
  /** The element of a template argument pack being printed; -1 for the whole pack. */
  protected packIndex = 0;
  protected stack: ComponentStack | null = null;
  /** Templates in scope where a reference to a template parameter was first printed. */
  protected readonly savedScopes: { container: Node; templates: Templates | null }[] = [];
  /** Bounds from the sizing pass, which cp-demangle.c allocates by: more fails the print. */
  numSavedScopes = 0;
  numCopyTemplates = 0;
  protected copiedTemplates = 0;
  /** The template being printed, whose parameters a conversion operator's type may use. */
  protected currentTemplate: Node | null = null;

  protected append(s: string): void {
    if (s.length === 0) return;
    this.out += s;
    this.lastChar = s[s.length - 1] as string;
  }

  protected fail(): void {
    this.failed = true;
  }

  protected newMod(mod: Node): Mod {
    return { next: this.modifiers, mod, printed: false, templates: this.templates };
  }

  protected lookupTemplateArgument(dc: Node): Node | null {
    if (!this.templates) {
      this.fail();
      return null;
    }
    const decl = this.templates.decl;
    if (!decl) {
      this.fail();
      return null;
    }
    return indexTemplateArgument(decl.right, dc.num);
  }

  protected printExprOp(dc: Node | null): void {
    if (dc?.kind === 'operator') this.append(dc.op?.name ?? '');
    else this.print(dc);
  }

  protected printSubexpr(dc: Node | null): void {
    if (!dc) return this.fail();
    const k = dc.kind;
    const simple = k === 'name' || k === 'qual_name' || k === 'initializer_list' || k === 'function_param';
    if (!simple) this.append('(');
    this.print(dc);
    if (!simple) this.append(')');
  }

  protected printUnary(dc: Node): void {
    const op = dc.left;
    let operand = dc.right;
    if (!op || !operand) return this.fail();
    const code = op.kind === 'operator' ? op.op?.code : undefined;
    if (code !== undefined) {
      // &f: the address of a function, without its parameter list.
      if (
        code === 'ad' &&
        operand.kind === 'typed_name' &&
        operand.left?.kind === 'qual_name' &&
        operand.right?.kind === 'function_type'
      )
        operand = operand.left;
      if (operand.kind === 'binary_args') {
        // The postfix form of ++ and --.
        this.printSubexpr(operand.left);
        this.printExprOp(op);
        return;
      }
    }
    if (code === 'sZ') {
      // sizeof...(pack): the pack's length.
      this.append(String(packLength(this.findPack(operand))));
      return;
    }
    if (code === 'sP') {
      this.append(String(this.argsLength(operand)));
      return;
    }
    if (op.kind !== 'cast') this.printExprOp(op);
    else {
      this.append('(');
      this.print(op.left);
      this.append(')');
    }
    if (code === 'gs') this.print(operand);
    else if (code === 'st') {
      this.append('(');
      this.print(operand);
      this.append(')');
    } else this.printSubexpr(operand);
  }

  protected printBinary(dc: Node): void {
    const op = dc.left;
    const args = dc.right;
    if (!op || args?.kind !== 'binary_args') return this.fail();
    const code = op.op?.code ?? '';
    if (isNewCast(code)) {
      this.printExprOp(op);
      this.append('<');
      this.print(args.left);
      this.append('>(');
      this.print(args.right);
      this.append(')');
      return;
    }
    if (this.maybePrintFold(dc) || this.maybePrintDesignatedInit(dc)) return;
    // (a > b) so the > does not close a template argument list.
    const gt = op.op?.name === '>';
    if (gt) this.append('(');
    const left = args.left;
    if (code === 'cl' && left?.kind === 'typed_name') {
      // A call prints the callee's name, not its parameter types.
      if (left.right?.kind !== 'function_type') this.fail();
      this.printSubexpr(left.left);
    } else this.printSubexpr(left);
    if (code === 'ix') {
      this.append('[');
      this.print(args.right);
      this.append(']');
    } else {
      if (code !== 'cl') this.printExprOp(op);
      this.printSubexpr(args.right);
    }
    if (gt) this.append(')');
  }

  protected printTrinary(dc: Node): void {
    const op = dc.left;
    const arg1 = dc.right;
    const arg2 = arg1?.right;
    if (!op || arg1?.kind !== 'trinary_arg1' || arg2?.kind !== 'trinary_arg2') return this.fail();
    if (this.maybePrintFold(dc) || this.maybePrintDesignatedInit(dc)) return;
    const first = arg1.left;
    const second = arg2.left;
    const third = arg2.right;
    if (op.op?.code === 'qu') {
      this.printSubexpr(first);
      this.printExprOp(op);
      this.printSubexpr(second);
      this.append(' : ');
      this.printSubexpr(third);
      return;
    }
    this.append('new ');
    if (first?.left) {
      // Placement arguments.
      this.printSubexpr(first);
      this.append(' ');
    }
    this.print(second);
    if (third) this.printSubexpr(third);
  }

  /** C++17 fold expressions: (... + x), (x + ...), (a + ... + x). */
  protected maybePrintFold(dc: Node): boolean {
    const code = dc.left?.op?.code ?? '';
    if (code[0] !== 'f') return false;
    const ops = dc.right;
    const operator = ops?.left ?? null;
    let op1 = ops?.right ?? null;
    let op2: Node | null = null;
    if (op1?.kind === 'trinary_arg2') {
      op2 = op1.right;
      op1 = op1.left;
    }
    // The pattern prints whole packs.
    const savedIndex = this.packIndex;
    this.packIndex = -1;
    switch (code[1]) {
      case 'l':
        this.append('(...');
        this.printExprOp(operator);
        this.printSubexpr(op1);
        this.append(')');
        break;
      case 'r':
        this.append('(');
        this.printSubexpr(op1);
        this.printExprOp(operator);
        this.append('...)');
        break;
      case 'L':
      case 'R':
        this.append('(');
        this.printSubexpr(op1);
        this.printExprOp(operator);
        this.append('...');
        this.printExprOp(operator);
        this.printSubexpr(op2);
        this.append(')');
        break;
    }
    this.packIndex = savedIndex;
    return true;
  }

  /** Designated initializers: .name=x, [i]=x, [a ... b]=x, chained without '='. */
  protected maybePrintDesignatedInit(dc: Node): boolean {
    if (!isDesignatedInit(dc)) return false;
    const code = dc.left?.op?.code ?? '';
    const operands = dc.right;
    const op1 = operands?.left ?? null;
    let op2 = operands?.right ?? null;
    this.append(code[1] === 'i' ? '.' : '[');
    this.print(op1);
    if (code[1] === 'X') {
      this.append(' ... ');
      this.print(op2?.left ?? null);
      op2 = op2?.right ?? null;
    }
    if (code[1] !== 'i') this.append(']');
    if (op2 && isDesignatedInit(op2)) this.print(op2);
    else {
      this.append('=');
      this.printSubexpr(op2);
    }
    return true;
  }

  protected printLiteral(dc: Node): void {
    const type = dc.left;
    const value = dc.right;
    if (!type || !value) return this.fail();
    const neg = dc.kind === 'literal_neg';
    const style = type.kind === 'builtin_type' ? (type.builtin?.style ?? 'default') : 'default';
    const suffix = LITERAL_SUFFIX[style];
    if (suffix !== undefined && value.kind === 'name') {
      // 42, -1l, 7ull
      if (neg) this.append('-');
      this.print(value);
      this.append(suffix);
      return;
    }
    if (style === 'bool' && value.kind === 'name' && value.text.length === 1 && !neg) {
      if (value.text === '0') return this.append('false');
      if (value.text === '1') return this.append('true');
    }
    // (char)97, (double)[400921fb54442d18]
    this.append('(');
    this.print(type);
    this.append(')');
    if (neg) this.append('-');
    if (style === 'float') this.append('[');
    this.print(value);
    if (style === 'float') this.append(']');
  }

  protected printPackExpansion(dc: Node): void {
    const a = this.lambdaTplParms ? null : this.findPack(dc.left);
    if (!a) {
      // Only function parameter packs (or none found): print the pattern and "...".
      this.printSubexpr(dc.left);
      this.append('...');
      return;
    }
    const len = packLength(a);
    for (let i = 0; i < len; i++) {
      if (i) this.append(', ');
      this.packIndex = i;
      this.print(dc.left);
    }
  }

  /** A template argument pack used in dc (any will do). */
  protected findPack(dc: Node | null): Node | null {
    if (!dc) return null;
    if (dc.kind === 'template_param') {
      const a = this.lookupTemplateArgument(dc);
      return a?.kind === 'template_arglist' ? a : null;
    }
    if (dc.kind === 'pack_expansion' || PACK_FREE.has(dc.kind)) return null;
    return this.findPack(dc.left) ?? this.findPack(dc.right);
  }

  /** The number of template arguments in dc, with pack expansions expanded. */
  protected argsLength(dc: Node | null): number {
    let count = 0;
    for (; dc?.kind === 'template_arglist'; dc = dc.right) {
      const elt = dc.left;
      if (!elt) break;
      if (elt.kind === 'pack_expansion') count += packLength(this.findPack(elt.left));
      else count++;
    }
    return count;
  }

  /** d_print_comp: any node; a null one is an error. */
  abstract print(dc: Node | null): void;
}

/** The i-th element of a template argument list (the whole list for i < 0). */
export function indexTemplateArgument(args: Node | null, i: number): Node | null {
  if (i < 0) return args;
  let a = args;
  for (; a; a = a.right) {
    if (a.kind !== 'template_arglist') return null;
    if (i <= 0) break;
    i--;
  }
  if (i !== 0 || !a) return null;
  return a.left;
}

function packLength(dc: Node | null): number {
  let count = 0;
  for (; dc?.kind === 'template_arglist' && dc.left; dc = dc.right) count++;
  return count;
}

function isDesignatedInit(dc: Node): boolean {
  if (dc.kind !== 'binary' && dc.kind !== 'trinary') return false;
  const code = dc.left?.op?.code ?? '';
  return code[0] === 'd' && (code[1] === 'i' || code[1] === 'x' || code[1] === 'X');
}
