// Counterpart: libiberty's demangle.h and cp-demangle.c (the demangle components: what a node
// of the parsed tree stands for, and the tables of builtin types, operators and standard
// substitutions the grammar refers to).
//
// The tree keeps cp-demangle.c's shape (a kind, a left and a right child) because the
// printer's rules (emu/demangle-print.ts) are written against that shape: where a qualifier
// hangs decides where it is printed, and substitutions share subtrees by identity.

/** DEMANGLE_COMPONENT_*: what a node of the tree stands for. */
export type Kind =
  | 'name'
  | 'qual_name'
  | 'local_name'
  | 'typed_name'
  | 'tagged_name'
  | 'template'
  | 'template_param'
  | 'function_param'
  | 'ctor'
  | 'dtor'
  | 'vtable'
  | 'vtt'
  | 'construction_vtable'
  | 'typeinfo'
  | 'typeinfo_name'
  | 'typeinfo_fn'
  | 'thunk'
  | 'virtual_thunk'
  | 'covariant_thunk'
  | 'java_class'
  | 'guard'
  | 'tls_init'
  | 'tls_wrapper'
  | 'reftemp'
  | 'hidden_alias'
  | 'transaction_clone'
  | 'nontransaction_clone'
  | 'sub_std'
  | 'restrict'
  | 'volatile'
  | 'const'
  | 'restrict_this'
  | 'volatile_this'
  | 'const_this'
  | 'reference_this'
  | 'rvalue_reference_this'
  | 'transaction_safe'
  | 'noexcept'
  | 'throw_spec'
  | 'vendor_type_qual'
  | 'pointer'
  | 'reference'
  | 'rvalue_reference'
  | 'complex'
  | 'imaginary'
  | 'builtin_type'
  | 'extended_builtin_type'
  | 'vendor_type'
  | 'function_type'
  | 'array_type'
  | 'ptrmem_type'
  | 'vector_type'
  | 'arglist'
  | 'template_arglist'
  | 'initializer_list'
  | 'operator'
  | 'extended_operator'
  | 'cast'
  | 'conversion'
  | 'nullary'
  | 'unary'
  | 'binary'
  | 'binary_args'
  | 'trinary'
  | 'trinary_arg1'
  | 'trinary_arg2'
  | 'literal'
  | 'literal_neg'
  | 'vendor_expr'
  | 'java_resource'
  | 'compound_name'
  | 'character'
  | 'number'
  | 'decltype'
  | 'global_constructors'
  | 'global_destructors'
  | 'lambda'
  | 'default_arg'
  | 'unnamed_type'
  | 'pack_expansion'
  | 'clone'
  | 'tparm_obj'
  | 'structured_binding'
  | 'module_entity'
  | 'module_name'
  | 'module_partition'
  | 'module_init'
  | 'template_head'
  | 'template_type_parm'
  | 'template_non_type_parm'
  | 'template_template_parm'
  | 'template_pack_parm';

/** How a literal of a builtin type is printed (d_builtin_type_print). */
export type LiteralStyle =
  | 'default'
  | 'int'
  | 'unsigned'
  | 'long'
  | 'unsigned long'
  | 'long long'
  | 'unsigned long long'
  | 'bool'
  | 'float'
  | 'void';

export interface BuiltinType {
  name: string;
  style: LiteralStyle;
}

export interface OperatorInfo {
  code: string;
  /** As printed in an expression; "sizeof " keeps its space, `operator` names drop it. */
  name: string;
  args: number;
}

/**
 * One demangle component. `left` and `right` are its operands; a ctor, dtor or extended
 * operator keeps its name in `left`, a lambda or default argument its subtree there.
 */
export class Node {
  left: Node | null;
  right: Node | null;
  /** Identifier text, a standard substitution's expansion, a literal's digits. */
  text = '';
  /** Template parameter index, discriminator, extended operator arity, _Float width. */
  num = 0;
  op: OperatorInfo | undefined;
  builtin: BuiltinType | undefined;
  /** How deep this node is on the printer's stack: a loop through substitutions shows here. */
  printing = 0;
  /** Visits by the printer's sizing pass (d_count_templates_scopes), at most two. */
  counting = 0;
  constructor(
    public kind: Kind,
    left: Node | null = null,
    right: Node | null = null,
  ) {
    this.left = left;
    this.right = right;
  }
}

/** The qualifiers of a member function or function type, which apply to `this`. */
export const FN_QUALIFIERS: ReadonlySet<Kind> = new Set<Kind>([
  'restrict_this',
  'volatile_this',
  'const_this',
  'reference_this',
  'rvalue_reference_this',
  'transaction_safe',
  'noexcept',
  'throw_spec',
]);

export function isFnQualifier(kind: Kind): boolean {
  return FN_QUALIFIERS.has(kind);
}

/** The builtin types spelled with one lowercase letter. */
export const BUILTIN_LETTERS: Readonly<Record<string, BuiltinType>> = {
  a: { name: 'signed char', style: 'default' },
  b: { name: 'bool', style: 'bool' },
  c: { name: 'char', style: 'default' },
  d: { name: 'double', style: 'float' },
  e: { name: 'long double', style: 'float' },
  f: { name: 'float', style: 'float' },
  g: { name: '__float128', style: 'float' },
  h: { name: 'unsigned char', style: 'default' },
  i: { name: 'int', style: 'int' },
  j: { name: 'unsigned int', style: 'unsigned' },
  l: { name: 'long', style: 'long' },
  m: { name: 'unsigned long', style: 'unsigned long' },
  n: { name: '__int128', style: 'default' },
  o: { name: 'unsigned __int128', style: 'default' },
  s: { name: 'short', style: 'default' },
  t: { name: 'unsigned short', style: 'default' },
  v: { name: 'void', style: 'void' },
  w: { name: 'wchar_t', style: 'default' },
  x: { name: 'long long', style: 'long long' },
  y: { name: 'unsigned long long', style: 'unsigned long long' },
  z: { name: '...', style: 'default' },
};

/** The builtins spelled D<letter>. */
export const BUILTIN_D_LETTERS: Readonly<Record<string, BuiltinType>> = {
  f: { name: 'decimal32', style: 'default' },
  d: { name: 'decimal64', style: 'default' },
  e: { name: 'decimal128', style: 'default' },
  h: { name: 'half', style: 'float' },
  u: { name: 'char8_t', style: 'default' },
  s: { name: 'char16_t', style: 'default' },
  i: { name: 'char32_t', style: 'default' },
  n: { name: 'decltype(nullptr)', style: 'default' },
};
export const NULLPTR_TYPE = BUILTIN_D_LETTERS.n as BuiltinType;
/** DF <n> _ is _Float<n>, DF <n> x _Float<n>x. */
export const FLOAT_N: BuiltinType = { name: '_Float', style: 'float' };
export const BFLOAT16: BuiltinType = { name: 'std::bfloat16_t', style: 'float' };

/** <operator-name>: the two-letter code, the text in an expression, the operand count. */
export const OPERATORS: ReadonlyMap<string, OperatorInfo> = new Map(
  (
    [
      ['aN', '&=', 2],
      ['aS', '=', 2],
      ['aa', '&&', 2],
      ['ad', '&', 1],
      ['an', '&', 2],
      ['at', 'alignof ', 1],
      ['aw', 'co_await ', 1],
      ['az', 'alignof ', 1],
      ['cc', 'const_cast', 2],
      ['cl', '()', 2],
      ['cm', ',', 2],
      ['co', '~', 1],
      ['dV', '/=', 2],
      ['dX', '[...]=', 3],
      ['da', 'delete[] ', 1],
      ['dc', 'dynamic_cast', 2],
      ['de', '*', 1],
      ['di', '=', 2],
      ['dl', 'delete ', 1],
      ['ds', '.*', 2],
      ['dt', '.', 2],
      ['dv', '/', 2],
      ['dx', ']=', 2],
      ['eO', '^=', 2],
      ['eo', '^', 2],
      ['eq', '==', 2],
      ['fL', '...', 3],
      ['fR', '...', 3],
      ['fl', '...', 2],
      ['fr', '...', 2],
      ['ge', '>=', 2],
      ['gs', '::', 1],
      ['gt', '>', 2],
      ['ix', '[]', 2],
      ['lS', '<<=', 2],
      ['le', '<=', 2],
      ['li', 'operator"" ', 1],
      ['ls', '<<', 2],
      ['lt', '<', 2],
      ['mI', '-=', 2],
      ['mL', '*=', 2],
      ['mi', '-', 2],
      ['ml', '*', 2],
      ['mm', '--', 1],
      ['na', 'new[]', 3],
      ['ne', '!=', 2],
      ['ng', '-', 1],
      ['nt', '!', 1],
      ['nw', 'new', 3],
      ['oR', '|=', 2],
      ['oo', '||', 2],
      ['or', '|', 2],
      ['pL', '+=', 2],
      ['pl', '+', 2],
      ['pm', '->*', 2],
      ['pp', '++', 1],
      ['ps', '+', 1],
      ['pt', '->', 2],
      ['qu', '?', 3],
      ['rM', '%=', 2],
      ['rS', '>>=', 2],
      ['rc', 'reinterpret_cast', 2],
      ['rm', '%', 2],
      ['rs', '>>', 2],
      ['sP', 'sizeof...', 1],
      ['sZ', 'sizeof...', 1],
      ['sc', 'static_cast', 2],
      ['ss', '<=>', 2],
      ['st', 'sizeof ', 1],
      ['sz', 'sizeof ', 1],
      ['tr', 'throw', 0],
      ['tw', 'throw ', 1],
    ] as const
  ).map(([code, name, args]) => [code, { code, name, args }]),
);

/**
 * The abbreviations S<letter>. c++filt demangles verbosely (DMGL_VERBOSE), so each stands
 * for its full expansion; `ctorName` is what a constructor or destructor of it is called.
 */
export const STANDARD_SUBS: Readonly<Record<string, { text: string; ctorName?: string }>> = {
  t: { text: 'std' },
  a: { text: 'std::allocator', ctorName: 'allocator' },
  b: { text: 'std::basic_string', ctorName: 'basic_string' },
  s: {
    text: 'std::basic_string<char, std::char_traits<char>, std::allocator<char> >',
    ctorName: 'basic_string',
  },
  i: { text: 'std::basic_istream<char, std::char_traits<char> >', ctorName: 'basic_istream' },
  o: { text: 'std::basic_ostream<char, std::char_traits<char> >', ctorName: 'basic_ostream' },
  d: { text: 'std::basic_iostream<char, std::char_traits<char> >', ctorName: 'basic_iostream' },
};

/** DEMANGLE_RECURSION_LIMIT: deeper nesting of function types is refused. */
export const RECURSION_LIMIT = 2048;

/** const_cast, dynamic_cast, reinterpret_cast, static_cast: printed as cast<T>(x). */
export function isNewCast(code: string): boolean {
  return code[1] === 'c' && (code[0] === 's' || code[0] === 'd' || code[0] === 'c' || code[0] === 'r');
}
