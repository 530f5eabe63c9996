// Counterpart: libiberty's cp-demangle.c (d_print_comp's type cases, d_print_mod_list,
// d_print_mod, d_print_function_type, d_print_array_type: types printed inside out).
//
// A pointer, reference, array or function type pushes itself on a stack of pending modifiers
// and prints what it modifies first; whoever reaches the place where the declarator goes (a
// function's parameter list, an array's bounds) prints the pending ones there: `int (*)[3]`.

import { ExpressionPrinter, indexTemplateArgument, type Mod, type Templates } from './demangle-print-expr.js';
import { isFnQualifier, type Kind, type Node } from './demangle-tree.js';

const CV_KINDS: ReadonlySet<Kind> = new Set<Kind>(['restrict', 'volatile', 'const']);

/** How a modifier prints after the type it modifies (d_print_mod). */
const MOD_TEXT: Readonly<Partial<Record<Kind, string>>> = {
  restrict: ' restrict',
  restrict_this: ' restrict',
  volatile: ' volatile',
  volatile_this: ' volatile',
  const: ' const',
  const_this: ' const',
  transaction_safe: ' transaction_safe',
  pointer: '*',
  reference: '&',
  reference_this: ' &',
  rvalue_reference: '&&',
  rvalue_reference_this: ' &&',
  complex: ' _Complex',
  imaginary: ' _Imaginary',
};

/** Modifiers, qualifiers, function and array types; names come from the class above. */
export abstract class TypePrinter extends ExpressionPrinter {
  /** const, volatile, restrict: an array's element type may push the same one twice. */
  protected printCv(dc: Node): void {
    for (let p = this.modifiers; p; p = p.next) {
      if (p.printed) continue;
      if (!CV_KINDS.has(p.mod.kind)) break;
      if (p.mod.kind === dc.kind) {
        this.print(dc.left);
        return;
      }
    }
    this.printModifier(dc, dc.left);
  }

  /** Reference collapsing through template arguments: T& with T = U&& is U&. */
  protected printReference(dc: Node): void {
    let sub = dc.left;
    let inner: Node | null = null;
    let restore: { templates: Templates | null } | undefined;
    if (!this.lambdaTplParms && sub?.kind === 'template_param') {
      const scope = this.savedScopes.find((s) => s.container === sub);
      if (!scope) {
        // First visit: remember the templates in scope for when a substitution
        // brings this reference back somewhere else.
        this.saveScope(sub);
        if (this.failed) return;
      } else if (!this.beneath(sub, dc)) {
        restore = { templates: this.templates };
        this.templates = scope.templates;
      }
      let a = this.lookupTemplateArgument(sub);
      if (a?.kind === 'template_arglist') a = indexTemplateArgument(a, this.packIndex);
      if (!a) {
        if (restore) this.templates = restore.templates;
        return this.fail();
      }
      sub = a;
    }
    if (sub && (sub.kind === 'reference' || sub.kind === dc.kind)) dc = sub;
    else if (sub?.kind === 'rvalue_reference') inner = sub.left;
    this.printModifier(dc, inner ?? dc.left);
    if (restore) this.templates = restore.templates;
  }

  /** Whether `sub`, or `dc` above the current node, is being printed. */
  protected beneath(sub: Node, dc: Node): boolean {
    for (let e = this.stack; e; e = e.parent)
      if (e.dc === sub || (e.dc === dc && e !== this.stack)) return true;
    return false;
  }

  protected saveScope(container: Node): void {
    if (this.savedScopes.length >= this.numSavedScopes) return this.fail();
    const scope = { container, templates: null as Templates | null };
    this.savedScopes.push(scope);
    let tail: Templates | null = null;
    for (let src = this.templates; src; src = src.next) {
      if (this.copiedTemplates >= this.numCopyTemplates) return this.fail();
      this.copiedTemplates++;
      const dst: Templates = { next: null, decl: src.decl };
      if (tail) tail.next = dst;
      else scope.templates = dst;
      tail = dst;
    }
  }

  /** A modifier: push it, print what it modifies, and print it unless someone else did. */
  protected printModifier(dc: Node, inner: Node | null): void {
    const dpm = this.newMod(dc);
    this.modifiers = dpm;
    this.print(inner);
    if (!dpm.printed) this.printMod(dc);
    this.modifiers = dpm.next;
  }

  protected printFunction(dc: Node): void {
    if (dc.left) {
      // The return type goes first; this type rides along as a modifier so that a
      // return type that is itself a declarator (a function pointer) can place it.
      const dpm = this.newMod(dc);
      this.modifiers = dpm;
      this.print(dc.left);
      this.modifiers = dpm.next;
      if (dpm.printed) return;
      this.append(' ');
    }
    this.printFunctionType(dc, this.modifiers);
  }

  protected printArray(dc: Node): void {
    const hold = this.modifiers;
    const first = this.newMod(dc);
    this.modifiers = first;
    const adpm: Mod[] = [first];
    // A qualified array type qualifies its elements: move the qualifiers down.
    for (let p = hold; p && CV_KINDS.has(p.mod.kind); p = p.next) {
      if (p.printed) continue;
      if (adpm.length >= 4) return this.fail();
      const copy: Mod = { ...p, next: this.modifiers };
      this.modifiers = copy;
      adpm.push(copy);
      p.printed = true;
    }
    this.print(dc.right);
    this.modifiers = hold;
    if (first.printed) return;
    for (let i = adpm.length - 1; i > 0; i--) this.printMod((adpm[i] as Mod).mod);
    this.printArrayType(dc, this.modifiers);
  }

  protected printPtrmemOrVector(dc: Node): void {
    const dpm = this.newMod(dc);
    this.modifiers = dpm;
    this.print(dc.right);
    if (!dpm.printed) this.printMod(dc);
    this.modifiers = dpm.next;
  }

  protected printModList(mods: Mod | null, suffix: boolean): void {
    if (!mods || this.failed) return;
    if (mods.printed || (!suffix && isFnQualifier(mods.mod.kind))) {
      this.printModList(mods.next, suffix);
      return;
    }
    mods.printed = true;
    const hold = this.templates;
    this.templates = mods.templates;
    const mod = mods.mod;
    if (mod.kind === 'function_type') {
      this.printFunctionType(mod, mods.next);
      this.templates = hold;
      return;
    }
    if (mod.kind === 'array_type') {
      this.printArrayType(mod, mods.next);
      this.templates = hold;
      return;
    }
    if (mod.kind === 'local_name') {
      // Its qualifiers were taken off already; its function sees no modifiers.
      const holdMods = this.modifiers;
      this.modifiers = null;
      this.print(mod.left);
      this.modifiers = holdMods;
      this.append('::');
      let dc = mod.right;
      if (dc?.kind === 'default_arg') {
        this.append(`{default arg#${dc.num + 1}}::`);
        dc = dc.left;
      }
      while (dc && isFnQualifier(dc.kind)) dc = dc.left;
      this.print(dc);
      this.templates = hold;
      return;
    }
    this.printMod(mod);
    this.templates = hold;
    this.printModList(mods.next, suffix);
  }

  protected printMod(mod: Node): void {
    const text = MOD_TEXT[mod.kind];
    if (text !== undefined) {
      this.append(text);
      return;
    }
    switch (mod.kind) {
      case 'noexcept':
      case 'throw_spec':
        this.append(mod.kind === 'noexcept' ? ' noexcept' : ' throw');
        if (mod.right) {
          this.append('(');
          this.print(mod.right);
          this.append(')');
        }
        return;
      case 'vendor_type_qual':
        this.append(' ');
        this.print(mod.right);
        return;
      case 'ptrmem_type':
        if (this.lastChar !== '(') this.append(' ');
        this.print(mod.left);
        this.append('::*');
        return;
      case 'typed_name':
        this.print(mod.left);
        return;
      case 'vector_type':
        this.append(' __vector(');
        this.print(mod.left);
        this.append(')');
        return;
      default:
        // Something that does not go back on the stack: the declarator's name.
        this.print(mod);
    }
  }

  /** A function type without its return type: `(*name)(params) const`. */
  protected printFunctionType(dc: Node, mods: Mod | null): void {
    let needParen = false;
    let needSpace = false;
    for (let p = mods; p && !p.printed; p = p.next) {
      const k = p.mod.kind;
      if (k === 'pointer' || k === 'reference' || k === 'rvalue_reference') needParen = true;
      else if (
        CV_KINDS.has(k) ||
        k === 'vendor_type_qual' ||
        k === 'complex' ||
        k === 'imaginary' ||
        k === 'ptrmem_type'
      )
        needSpace = needParen = true;
      if (needParen) break;
    }
    if (needParen) {
      if (!needSpace && this.lastChar !== '(' && this.lastChar !== '*') needSpace = true;
      if (needSpace && this.lastChar !== ' ') this.append(' ');
      this.append('(');
    }
    const hold = this.modifiers;
    this.modifiers = null;
    this.printModList(mods, false);
    if (needParen) this.append(')');
    this.append('(');
    if (dc.right) this.print(dc.right);
    this.append(')');
    this.printModList(mods, true);
    this.modifiers = hold;
  }

  /** An array type without its element type: ` (&name) [3]`. */
  protected printArrayType(dc: Node, mods: Mod | null): void {
    let needSpace = true;
    if (mods) {
      let needParen = false;
      for (let p: Mod | null = mods; p; p = p.next) {
        if (p.printed) continue;
        if (p.mod.kind === 'array_type') needSpace = false;
        else needParen = needSpace = true;
        break;
      }
      if (needParen) this.append(' (');
      this.printModList(mods, false);
      if (needParen) this.append(')');
    }
    if (needSpace) this.append(' ');
    this.append('[');
    if (dc.left) this.print(dc.left);
    this.append(']');
  }
}
