// Counterpart: libiberty's cp-demangle.c (cplus_demangle_print, d_print_comp: a component
// tree to the text c++filt prints; with emu/demangle-print-type.ts and
// emu/demangle-print-expr.ts).

import { indexTemplateArgument, type Mod, type Templates } from './demangle-print-expr.js';
import { TypePrinter } from './demangle-print-type.js';
import { isFnQualifier, type Kind, type Node } from './demangle-tree.js';

/** MAX_RECURSION_COUNT: deeper printing is refused as a malformed (looping) tree. */
const MAX_PRINT_DEPTH = 1024;
/** DEMANGLE_RECURSION_LIMIT, as the sizing pass applies it. */
const COUNT_DEPTH_LIMIT = 2048;

// Leaves for the sizing pass: nothing under them holds a template or a reference.
const COUNT_LEAVES: ReadonlySet<Kind> = new Set<Kind>([
  'name',
  'template_param',
  'function_param',
  'sub_std',
  'builtin_type',
  'extended_builtin_type',
  'operator',
  'character',
  'number',
  'unnamed_type',
  'structured_binding',
  'module_name',
  'module_partition',
  'module_init',
  'template_head',
  'template_type_parm',
  'template_non_type_parm',
  'template_template_parm',
  'template_pack_parm',
]);

/** Kinds whose one operand the sizing pass follows (without counting a level). */
const ONE_CHILD: ReadonlySet<Kind> = new Set<Kind>([
  'ctor',
  'dtor',
  'extended_operator',
  'global_constructors',
  'global_destructors',
  'module_entity',
  'lambda',
  'default_arg',
]);

/** Special names printed as a phrase before the entity. */
const PHRASES: Readonly<Partial<Record<Kind, string>>> = {
  tparm_obj: 'template parameter object for ',
  module_init: 'initializer for module ',
  vtable: 'vtable for ',
  vtt: 'VTT for ',
  typeinfo: 'typeinfo for ',
  typeinfo_name: 'typeinfo name for ',
  typeinfo_fn: 'typeinfo fn for ',
  thunk: 'non-virtual thunk to ',
  virtual_thunk: 'virtual thunk to ',
  covariant_thunk: 'covariant return thunk to ',
  java_class: 'java Class for ',
  guard: 'guard variable for ',
  tls_init: 'TLS init function for ',
  tls_wrapper: 'TLS wrapper function for ',
  hidden_alias: 'hidden alias for ',
  transaction_clone: 'transaction clone for ',
  nontransaction_clone: 'non-transaction clone for ',
  java_resource: 'java resource ',
  global_constructors: 'global constructors keyed to ',
  global_destructors: 'global destructors keyed to ',
};

/** The tree's text, or undefined where cp-demangle.c reports a printing error. */
export function printTree(dc: Node): string | undefined {
  const p = new Printer();
  p.count(dc, 0);
  p.numCopyTemplates *= p.numSavedScopes;
  p.print(dc);
  return p.failed ? undefined : p.out;
}

/** Names, templates, lambdas and the dispatch over all kinds. */
class Printer extends TypePrinter {
  /**
   * d_count_templates_scopes: bounds on the scopes saved and templates copied while
   * printing; cp-demangle.c sizes its arrays by them and fails a print that needs more.
   */
  count(dc: Node | null, depth: number): void {
    if (!dc || dc.counting > 1 || depth > MAX_PRINT_DEPTH) return;
    dc.counting++;
    if (COUNT_LEAVES.has(dc.kind)) return;
    if (dc.kind === 'template') this.numCopyTemplates++;
    else if (
      (dc.kind === 'reference' || dc.kind === 'rvalue_reference') &&
      dc.left?.kind === 'template_param'
    )
      this.numSavedScopes++;
    if (ONE_CHILD.has(dc.kind)) {
      // cp-demangle.c follows these without counting a level.
      this.count(dc.left, depth);
      return;
    }
    if (depth > COUNT_DEPTH_LIMIT) return;
    this.count(dc.left, depth + 1);
    this.count(dc.right, depth + 1);
  }

  print(dc: Node | null): void {
    if (!dc || dc.printing > 1 || this.depth > MAX_PRINT_DEPTH) {
      this.fail();
      return;
    }
    dc.printing++;
    this.depth++;
    this.stack = { dc, parent: this.stack };
    if (!this.failed) this.printNameKind(dc);
    this.stack = this.stack.parent;
    dc.printing--;
    this.depth--;
  }

  /** d_print_comp_inner, split by kind: names and special names here, then types... */
  private printNameKind(dc: Node): void {
    const phrase = PHRASES[dc.kind];
    if (phrase !== undefined) {
      this.append(phrase);
      this.print(dc.left);
      return;
    }
    switch (dc.kind) {
      case 'name':
      case 'sub_std':
      case 'character':
        this.append(dc.text);
        return;
      case 'tagged_name':
        this.print(dc.left);
        this.append('[abi:');
        this.print(dc.right);
        this.append(']');
        return;
      case 'structured_binding':
        this.printStructuredBinding(dc);
        return;
      case 'module_entity':
        this.print(dc.left);
        this.append('@');
        this.print(dc.right);
        return;
      case 'module_name':
      case 'module_partition':
        if (dc.left) this.print(dc.left);
        if (dc.kind === 'module_partition') this.append(':');
        else if (dc.left) this.append('.');
        this.print(dc.right);
        return;
      case 'qual_name':
      case 'local_name':
        this.print(dc.left);
        this.append('::');
        this.printLocalEntity(dc.right);
        return;
      case 'typed_name':
        this.printTypedName(dc);
        return;
      case 'template':
        this.printTemplate(dc);
        return;
      case 'template_param':
        this.printTemplateParam(dc);
        return;
      case 'ctor':
        this.print(dc.left);
        return;
      case 'dtor':
        this.append('~');
        this.print(dc.left);
        return;
      case 'construction_vtable':
        this.append('construction vtable for ');
        this.print(dc.left);
        this.append('-in-');
        this.print(dc.right);
        return;
      case 'reftemp':
        this.append('reference temporary #');
        this.print(dc.right);
        this.append(' for ');
        this.print(dc.left);
        return;
      default:
        this.printTypeKind(dc);
    }
  }

  /** ...types... */
  private printTypeKind(dc: Node): void {
    switch (dc.kind) {
      case 'restrict':
      case 'volatile':
      case 'const':
        this.printCv(dc);
        return;
      case 'reference':
      case 'rvalue_reference':
        this.printReference(dc);
        return;
      case 'vendor_type_qual':
      case 'pointer':
      case 'complex':
      case 'imaginary':
      case 'restrict_this':
      case 'volatile_this':
      case 'const_this':
      case 'reference_this':
      case 'rvalue_reference_this':
      case 'transaction_safe':
      case 'noexcept':
      case 'throw_spec':
        this.printModifier(dc, dc.left);
        return;
      case 'builtin_type':
        this.append(dc.builtin?.name ?? '');
        return;
      case 'extended_builtin_type':
        this.append(`${dc.builtin?.name ?? ''}${dc.num}${dc.text}`);
        return;
      case 'vendor_type':
        this.print(dc.left);
        return;
      case 'function_type':
        this.printFunction(dc);
        return;
      case 'array_type':
        this.printArray(dc);
        return;
      case 'ptrmem_type':
      case 'vector_type':
        this.printPtrmemOrVector(dc);
        return;
      case 'arglist':
      case 'template_arglist':
        this.printList(dc);
        return;
      case 'initializer_list':
        if (dc.left) this.print(dc.left);
        this.append('{');
        this.print(dc.right);
        this.append('}');
        return;
      default:
        this.printExpressionKind(dc);
    }
  }

  /** ...expressions... */
  private printExpressionKind(dc: Node): void {
    switch (dc.kind) {
      case 'operator': {
        const name = dc.op?.name ?? '';
        const c = name[0] ?? '';
        // `operator new`, but `operator+`; no trailing space (`operator sizeof`).
        this.append(c >= 'a' && c <= 'z' ? 'operator ' : 'operator');
        this.append(name.endsWith(' ') ? name.slice(0, -1) : name);
        return;
      }
      case 'extended_operator':
        this.append('operator ');
        this.print(dc.left);
        return;
      case 'conversion':
        this.append('operator ');
        this.printConversion(dc);
        return;
      case 'nullary':
        this.printExprOp(dc.left);
        return;
      case 'unary':
        this.printUnary(dc);
        return;
      case 'binary':
        this.printBinary(dc);
        return;
      case 'trinary':
        this.printTrinary(dc);
        return;
      case 'literal':
      case 'literal_neg':
        this.printLiteral(dc);
        return;
      case 'vendor_expr':
        this.print(dc.left);
        this.append('(');
        this.print(dc.right);
        this.append(')');
        return;
      case 'number':
        this.append(String(dc.num));
        return;
      case 'compound_name':
        this.print(dc.left);
        this.print(dc.right);
        return;
      case 'decltype':
        this.append('decltype (');
        this.print(dc.left);
        this.append(')');
        return;
      default:
        this.printOtherKind(dc);
    }
  }

  /** ...and the rest; a kind no case knows is an error. */
  private printOtherKind(dc: Node): void {
    switch (dc.kind) {
      case 'pack_expansion':
        this.printPackExpansion(dc);
        return;
      case 'function_param':
        this.append(dc.num === 0 ? 'this' : `{parm#${dc.num}}`);
        return;
      case 'lambda':
        this.printLambda(dc);
        return;
      case 'unnamed_type':
        this.append(`{unnamed type#${dc.num + 1}}`);
        return;
      case 'clone':
        this.print(dc.left);
        this.append(' [clone ');
        this.print(dc.right);
        this.append(']');
        return;
      case 'template_head':
        this.printTemplateHead(dc);
        return;
      case 'template_type_parm':
        this.append('typename');
        return;
      case 'template_non_type_parm':
        this.print(dc.left);
        return;
      case 'template_template_parm':
        this.append('template');
        this.print(dc.left);
        this.append(' class');
        return;
      case 'template_pack_parm':
        this.print(dc.left);
        this.append('...');
        return;
      default:
        // binary_args, trinary_arg*, default_arg, cast: only ever printed by their parent.
        this.fail();
    }
  }

  private printStructuredBinding(dc: Node | null): void {
    this.append('[');
    for (;;) {
      this.print(dc?.left ?? null);
      dc = dc?.right ?? null;
      if (!dc) break;
      this.append(', ');
    }
    this.append(']');
  }

  /** What follows `::` in a local name: a default argument's scope is spelled out. */
  private printLocalEntity(local: Node | null): void {
    if (local?.kind === 'default_arg') {
      this.append(`{default arg#${local.num + 1}}::`);
      local = local.left;
    }
    this.print(local);
  }

  /**
   * A function's name with its type: the name and the qualifiers of `this` go down as
   * modifiers so the function type prints them around its parameter list.
   */
  private printTypedName(dc: Node): void {
    const hold = this.modifiers;
    this.modifiers = null;
    const adpm: Mod[] = [];
    let typed = dc.left;
    while (typed) {
      if (adpm.length >= 4) return this.fail();
      const m = this.newMod(typed);
      adpm.push(m);
      this.modifiers = m;
      if (!isFnQualifier(typed.kind)) break;
      typed = typed.left;
    }
    if (!typed) return this.fail();
    // A class local to a function: qualifiers on its member name apply here.
    if (typed.kind === 'local_name') {
      typed = typed.right;
      if (typed?.kind === 'default_arg') typed = typed.left;
      while (typed && isFnQualifier(typed.kind)) {
        if (adpm.length >= 4) return this.fail();
        const below = adpm[adpm.length - 1] as Mod;
        const top: Mod = { ...below, next: below };
        adpm.push(top);
        this.modifiers = top;
        below.mod = typed;
        below.printed = false;
        below.templates = this.templates;
        typed = typed.left;
      }
      if (!typed) return this.fail();
    }
    // A template function's parameters may use its template arguments.
    const outer = this.templates;
    if (typed.kind === 'template') this.templates = { next: outer, decl: typed };
    this.print(dc.right);
    this.templates = outer;
    for (let i = adpm.length - 1; i >= 0; i--) {
      const m = adpm[i] as Mod;
      if (!m.printed) {
        this.append(' ');
        this.printMod(m.mod);
      }
    }
    this.modifiers = hold;
  }

  private printTemplate(dc: Node): void {
    // A cast operator inside may need this template's parameters.
    const holdCurrent = this.currentTemplate;
    this.currentTemplate = dc;
    // Modifiers do not reach into template arguments: the template prints as a name.
    const holdMods = this.modifiers;
    this.modifiers = null;
    this.print(dc.left);
    this.printTemplateArgs(dc.right);
    this.modifiers = holdMods;
    this.currentTemplate = holdCurrent;
  }

  private printTemplateArgs(args: Node | null): void {
    if (this.lastChar === '<') this.append(' ');
    this.append('<');
    this.print(args);
    // No `>>`: it would read as a shift.
    if (this.lastChar === '>') this.append(' ');
    this.append('>');
  }

  private printTemplateParam(dc: Node): void {
    if (this.lambdaTplParms > dc.num + 1) {
      // An explicit template parameter of the lambda: $T0, $N1, $TT2.
      let a = this.templates?.decl?.left ?? null;
      for (let c = dc.num; a && c; c--) a = a.right;
      if (a?.kind === 'template_pack_parm') a = a.left;
      if (!a) return this.fail();
      this.printLambdaParmName(a.kind, dc.num);
      return;
    }
    if (this.lambdaTplParms) {
      // A generic lambda's `auto` parameter, numbered as g++ shows it.
      this.append(`auto:${dc.num + 1}`);
      return;
    }
    let a = this.lookupTemplateArgument(dc);
    if (a?.kind === 'template_arglist') a = indexTemplateArgument(a, this.packIndex);
    if (!a || !this.templates) return this.fail();
    // The argument may itself name a parameter of an enclosing template.
    const hold = this.templates;
    this.templates = hold.next;
    this.print(a);
    this.templates = hold;
  }

  private printLambdaParmName(kind: Kind, index: number): void {
    const prefix =
      kind === 'template_type_parm'
        ? '$T'
        : kind === 'template_non_type_parm'
          ? '$N'
          : kind === 'template_template_parm'
            ? '$TT'
            : undefined;
    if (prefix === undefined) this.fail();
    this.append(`${prefix ?? ''}${index}`);
  }

  private printLambda(dc: Node): void {
    this.append('{lambda');
    let parms = dc.left;
    const savedTplParms = this.lambdaTplParms;
    this.lambdaTplParms = 0;
    // An explicit template head stands in for template arguments.
    const scope: Templates = { next: this.templates, decl: null };
    this.templates = scope;
    if (parms?.kind === 'template_head') {
      scope.decl = parms;
      this.append('<');
      for (let parm = parms.left; parm; parm = parm.right) {
        if (this.lambdaTplParms++) this.append(', ');
        this.print(parm);
        this.append(' ');
        // The walk goes on from the pack's element, whose `right` links nothing: as in
        // cp-demangle.c, a parameter after a pack is not printed.
        if (parm.kind === 'template_pack_parm') parm = parm.left;
        if (!parm) break;
        this.printLambdaParmName(parm.kind, this.lambdaTplParms - 1);
      }
      this.append('>');
      parms = parms.right;
    }
    this.lambdaTplParms++;
    this.append('(');
    this.print(parms);
    this.lambdaTplParms = savedTplParms;
    this.templates = scope.next;
    this.append(`)#${dc.num + 1}}`);
  }

  private printTemplateHead(dc: Node): void {
    this.append('<');
    let count = 0;
    for (let parm = dc.left; parm; parm = parm.right) {
      if (count++) this.append(', ');
      this.print(parm);
    }
    this.append('>');
  }

  private printList(dc: Node): void {
    if (dc.left) this.print(dc.left);
    if (!dc.right) return;
    this.append(', ');
    const len = this.out.length;
    this.print(dc.right);
    // An empty argument pack printed nothing: take the ", " back (lastChar stays ' ').
    if (this.out.length === len) this.out = this.out.slice(0, -2);
  }

  /**
   * A conversion operator's type, which may use the enclosing template's parameters. The
   * arguments of a template type are printed with that template out of scope again (as
   * binutils 2.40 does; later libiberty keeps it in scope).
   */
  private printConversion(dc: Node): void {
    const outer = this.templates;
    if (this.currentTemplate) this.templates = { next: outer, decl: this.currentTemplate };
    const type = dc.left;
    if (type?.kind !== 'template') {
      this.print(type);
      this.templates = outer;
      return;
    }
    this.print(type.left);
    this.templates = outer;
    this.printTemplateArgs(type.right);
  }
}
