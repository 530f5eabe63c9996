// The C++ demangler against GNU c++filt (binutils 2.40): hand-picked forms with the text
// c++filt prints for them, every `_Z` symbol of the committed C++ fixtures and of the host's
// libstdc++ fed through one c++filt process, and arbitrary input that must not throw.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { demangle } from '../../emu/demangle.js';
import { parseElf } from '../../emu/elf.js';
import { hasCommand } from '../helpers.js';

/** [mangled, what c++filt prints]; a name c++filt leaves alone maps to undefined. */
const CASES: readonly (readonly [string, string | undefined])[] = [
  // Nested names and substitutions.
  ['_ZN2ns5Outer5InnerC2Ev', 'ns::Outer::Inner::Inner()'],
  ['_ZN1A1fES_S_', 'A::f(A, A)'],
  ['_ZN1N1TIiiE2mfES0_IddE', 'N::T<int, int>::mf(N::T<double, double>)'],
  ['_ZSt4cout', 'std::cout'],
  ['_ZNSaIcEC1ERKS_', 'std::allocator<char>::allocator(std::allocator<char> const&)'],
  [
    '_ZNSbIwSt11char_traitsIwESaIwEE4swapERS2_',
    'std::basic_string<wchar_t, std::char_traits<wchar_t>, std::allocator<wchar_t> >::swap(std::basic_string<wchar_t, std::char_traits<wchar_t>, std::allocator<wchar_t> >&)',
  ],
  // c++filt demangles verbosely: Ss, Si, So, Sd are written out wherever they occur.
  ['_Z1fSs', 'f(std::basic_string<char, std::char_traits<char>, std::allocator<char> >)'],
  [
    '_ZNSsC1EPKcRKSaIcE',
    'std::basic_string<char, std::char_traits<char>, std::allocator<char> >::basic_string(char const*, std::allocator<char> const&)',
  ],
  ['_ZNSiD1Ev', 'std::basic_istream<char, std::char_traits<char> >::~basic_istream()'],
  [
    '_ZlsRSoRKSs',
    'operator<<(std::basic_ostream<char, std::char_traits<char> >&, std::basic_string<char, std::char_traits<char>, std::allocator<char> > const&)',
  ],
  [
    '_ZNSdC2EPSt15basic_streambufIcSt11char_traitsIcEE',
    'std::basic_iostream<char, std::char_traits<char> >::basic_iostream(std::basic_streambuf<char, std::char_traits<char> >*)',
  ],
  [
    '_ZNKSt7__cxx1112basic_stringIcSt11char_traitsIcESaIcEE4sizeEv',
    'std::__cxx11::basic_string<char, std::char_traits<char>, std::allocator<char> >::size() const',
  ],
  // Template arguments and parameters.
  ['_Z1fIiEvT_', 'void f<int>(int)'],
  ['_Z4makeI7FactoryiET_IT0_Ev', 'Factory<int> make<Factory, int>()'],
  ['_ZN1AIiE1fIdEEvT_S0_', 'void A<int>::f<double>(double, A<int>)'],
  ['_Z1fIRiEvOT_', 'void f<int&>(int&)'],
  // Constructors and destructors, inheriting constructors.
  ['_ZN1AC1Ev', 'A::A()'],
  ['_ZN1AC3Ev', 'A::A()'],
  ['_ZN1AD0Ev', 'A::~A()'],
  ['_ZN1AD2Ev', 'A::~A()'],
  ['_ZN1BCI11AEi', 'B::A(int)'],
  ['_ZN1BCI21AEi', 'B::A(int)'],
  // Operators.
  ['_ZN1AplERKS_', 'A::operator+(A const&)'],
  ['_ZN1AixEm', 'A::operator[](unsigned long)'],
  ['_ZN1AclEv', 'A::operator()()'],
  ['_ZN1AssERKS_', 'A::operator<=>(A const&)'],
  ['_ZNK1AcvPKcEv', 'A::operator char const*() const'],
  ['_ZnwmPv', 'operator new(unsigned long, void*)'],
  ['_ZnamRKSt9nothrow_t', 'operator new[](unsigned long, std::nothrow_t const&)'],
  ['_ZdaPvm', 'operator delete[](void*, unsigned long)'],
  ['_Zli2_xPKcm', 'operator"" _x(char const*, unsigned long)'],
  // Qualifiers of member functions.
  ['_ZNVK1A1fEv', 'A::f() const volatile'],
  ['_ZNKR1A1fEv', 'A::f() const &'],
  ['_ZNO1A1fEv', 'A::f() &&'],
  // Function types, pointers to functions and members, arrays.
  ['_Z1fPFPFivEiE', 'f(int (*(*)(int))())'],
  ['_Z1fM1AKFivRE', 'f(int (A::*)() const &)'],
  ['_Z1fM1Ai', 'f(int A::*)'],
  ['_Z1fRA10_i', 'f(int (&) [10])'],
  ['_Z1fPA3_A4_i', 'f(int (*) [3][4])'],
  // Pack expansions, decltype, expressions in template arguments.
  ['_Z1fIJidEEvDpT_', 'void f<int, double>(int, double)'],
  ['_Z1fIJEEvDpT_', 'void f<>()'],
  ['_Z1fIiEDtcl1gfp_EET_', 'decltype (g({parm#1})) f<int>(int)'],
  ['_Z1fIiEDTplfp_fp_ET_', 'decltype ({parm#1}+{parm#1}) f<int>(int)'],
  ['_Z1fILb1EEvv', 'void f<true>()'],
  ['_Z1fILc65EEvv', 'void f<(char)65>()'],
  ['_Z1fILin5EEvv', 'void f<-5>()'],
  ['_Z1fILy9EEvv', 'void f<9ull>()'],
  ['_Z1fILDnEEvv', 'void f<decltype(nullptr)>()'],
  ['_Z1fILi1ELi2EEvN1AIXplT_T0_EE1tE', 'void f<1, 2>(A<(1)+(2)>::t)'],
  ['_Z1fILi3EEvPAgtT_Li1E_i', 'void f<3>(int (*) [((3)>(1))])'],
  ['_Z1fIJiiEEvN1AIXsZT_EE1tE', 'void f<int, int>(A<2>::t)'],
  ['_Z1fIiEvDTcvT_fp_E', 'void f<int>(decltype ((int){parm#1}))'],
  ['_Z1fIiEvDTpp_fp_E', 'void f<int>(decltype (++{parm#1}))'],
  ['_Z1fIJiEEvDTflplfp_E', 'void f<int>(decltype ((...+{parm#1})))'],
  // ABI tags, lambdas, unnamed types, local names with discriminators.
  ['_Z1fB5cxx11v', 'f[abi:cxx11]()'],
  ['_ZZ4mainENKUlvE_clEv', 'main::{lambda()#1}::operator()() const'],
  ['_ZZ4mainENKUlRKiE0_clES0_', 'main::{lambda(int const&)#2}::operator()(int const&) const'],
  ['_ZZ1fIiEvvENKUlT_E_clIiEEDaS0_', 'auto f<int>()::{lambda(auto:1)#1}::operator()<int>(int) const'],
  ['_ZZ1fvENUt_1xE', 'f()::{unnamed type#1}::x'],
  ['_ZZ1fvE1x_1', 'f()::x'],
  ['_ZZ1fvE1x__12_', 'f()::x'],
  ['_ZZ1fvEs', 'f()::string literal'],
  ['_ZZ1fiEd_NKUlvE_clEv', 'f(int)::{default arg#1}::{lambda()#1}::operator()() const'],
  // Special names.
  ['_ZTV1A', 'vtable for A'],
  ['_ZTT1A', 'VTT for A'],
  ['_ZTIPKc', 'typeinfo for char const*'],
  ['_ZTS1A', 'typeinfo name for A'],
  ['_ZThn8_N1B1fEv', 'non-virtual thunk to B::f()'],
  ['_ZTv0_n24_N1B1fEv', 'virtual thunk to B::f()'],
  ['_ZTC1D0_1B', 'construction vtable for B-in-D'],
  ['_ZGVZ1fvE1x', 'guard variable for f()::x'],
  ['_ZGRZ1fvE1x0', 'reference temporary #0 for f()::x'],
  ['_ZTH1x', 'TLS init function for x'],
  ['_ZTW1x', 'TLS wrapper function for x'],
  ['_ZGTt1fv', 'transaction clone for f()'],
  ['_GLOBAL__I__Z1fv', 'global constructors keyed to f()'],
  // g++'s newer names for a file's initializers are not demangled.
  ['_GLOBAL__sub_I_main', undefined],
  // Clone suffixes.
  ['_Z3foov.constprop.0', 'foo() [clone .constprop.0]'],
  ['_Z3foov.isra.0', 'foo() [clone .isra.0]'],
  ['_Z3foov.cold', 'foo() [clone .cold]'],
  ['_Z3foov.part.0', 'foo() [clone .part.0]'],
  ['_Z3foov.constprop.0.isra.0', 'foo() [clone .constprop.0] [clone .isra.0]'],
  // Vendor qualifiers, anonymous namespaces, builtin types.
  ['_Z1fPU8__vectori', 'f(int __vector*)'],
  ['_ZN12_GLOBAL__N_11A1fEv', '(anonymous namespace)::A::f()'],
  ['_Z1fDn', 'f(decltype(nullptr))'],
  ['_Z1fDF16_', 'f(_Float16)'],
  ['_Z1fDh', 'f(half)'],
  ['_Z1fDiDs', 'f(char32_t, char16_t)'],
  ['_Z1fDu', 'f(char8_t)'],
  ['_Z1fno', 'f(__int128, unsigned __int128)'],
  ['_Z1fDa', 'f(auto)'],
  ['_Z1fDc', 'f(decltype(auto))'],
  ['_Z1fDv4_f', 'f(float __vector(4))'],
  ['_Z1fPKcz', 'f(char const*, ...)'],
  // c++filt skips a leading '.' (ppc64 entry points) and puts it back.
  ['._Z1fv', '.f()'],
  // What c++filt leaves unchanged.
  ['_Z', undefined],
  ['_Z3fo', undefined],
  ['_ZN3foo', undefined],
  ['_ZN3foo3bar', undefined],
  ['_Z1fIi', undefined],
  ['_Zfoo', undefined],
  ['main', undefined],
  ['_Z1fS_', undefined],
  ['_Z1fv_', undefined],
  ['_Z1fIiEvT0_', undefined],
  ['_ZGR1x_', undefined],
  ['_ZL3foo.lto_priv.0', undefined],
  // c++filt refuses names longer than 1024 bytes.
  [`_Z1017${'a'.repeat(1017)}v`, `${'a'.repeat(1017)}()`],
  [`_Z1018${'a'.repeat(1018)}v`, undefined],
  // Legacy Rust symbols, which c++filt demangles as Rust paths before trying C++.
  ['_ZN4core3fmt5write17h0123456789abcdefE', 'core::fmt::write::h0123456789abcdef'],
  [
    '_ZN4core3ptr85drop_in_place$LT$std..rt..lang_start$LT$$LP$$RP$$GT$..$u7b$$u7b$closure$u7d$$u7d$$GT$17h0dd5a7acb3a5f3dcE',
    'core::ptr::drop_in_place<std::rt::lang_start<()>::{{closure}}>::h0dd5a7acb3a5f3dc',
  ],
  ['_ZN3foo3bar17h05af221e174051e9E.llvm.123', 'foo::bar::h05af221e174051e9'],
  // Not a hash (too few distinct digits): read as C++, where a variable takes no clone suffix.
  ['_ZN3foo17h0000000000000000E.llvm.1', undefined],
  ['_ZN3foo17h0000000000000000E', 'foo::h0000000000000000'],
];

describe('demangle: chosen forms', () => {
  it.each(CASES)('%s', (mangled, want) => {
    expect(demangle(mangled)).toBe(want);
  });

  it('a valid name of a data object needs no parameter list', () => {
    expect(demangle('_ZN3fooE')).toBe('foo');
  });

  it('counts a <source-name> in UTF-8 bytes, as the compiler wrote it', () => {
    expect(demangle('_Z3föv')).toBe('fö()');
    expect(demangle('_Z2föv')).toBeUndefined();
  });
});

/** The `_Z` names of an ELF file's symbol table, version suffixes removed. */
function mangledSymbols(path: string, shared = false): string[] {
  const img = parseElf(readFileSync(path), { shared });
  const names = img.symbols.map((s) => s.name.replace(/@.*$/, '')).filter((n) => n.startsWith('_Z'));
  return [...new Set(names)].sort();
}

const CXXFILT = hasCommand('c++filt');
if (!CXXFILT) console.warn('c++filt (binutils) is not installed: the demangler is not compared with it');

/**
 * Demangle `names` with this module and with one c++filt process (stdin, one a line); the
 * mismatches. c++filt's filter splits its input at characters other than [A-Za-z0-9_$.],
 * which ELF symbol names do not contain.
 */
function differences(names: readonly string[]): string[] {
  const want = execFileSync('c++filt', { input: names.join('\n') + '\n', maxBuffer: 1 << 28 })
    .toString('utf8')
    .split('\n');
  const out: string[] = [];
  names.forEach((name, i) => {
    const got = demangle(name) ?? name;
    if (got !== want[i]) out.push(`${name}\n  want: ${want[i]}\n  got:  ${got}`);
  });
  return out;
}

function expectSameAsCxxfilt(names: readonly string[]): void {
  expect(
    names.filter((n) => !/^[A-Za-z0-9_$.]+$/.test(n)),
    'names c++filt would split',
  ).toEqual([]);
  const diffs = differences(names);
  expect(diffs.length, `${diffs.length} of ${names.length} differ:\n${diffs.slice(0, 20).join('\n')}`).toBe(
    0,
  );
}

const BUILD = 'fixtures/corpus/build';
/** Every fixture program with C++ symbols: the `throw` programs embed a static libstdc++. */
const FIXTURES = existsSync(BUILD)
  ? readdirSync(BUILD)
      .flatMap((dir) => readdirSync(join(BUILD, dir)).map((f) => join(BUILD, dir, f)))
      .filter((p) => statSync(p).isFile())
      .map((p) => ({ path: p, names: mangledSymbols(p) }))
      .filter((f) => f.names.length > 0)
  : [];

const LIBSTDCXX = '/usr/lib/x86_64-linux-gnu/libstdc++.so.6';
const LIBSTDCXX_NAMES = existsSync(LIBSTDCXX) ? mangledSymbols(LIBSTDCXX, true) : [];
if (!existsSync(LIBSTDCXX))
  console.warn(`${LIBSTDCXX} is not present: its symbols are not compared with c++filt`);

describe.skipIf(!CXXFILT)('demangle: the same text as c++filt', () => {
  it('the fixtures include the C++ programs', () => {
    const paths = FIXTURES.map((f) => f.path);
    for (const isa of ['x86_64', 'i386', 'ppc64']) expect(paths).toContain(join(BUILD, isa, 'throw'));
  });

  it.each(FIXTURES.map((f) => [f.path, f.names.length, f.names] as const))(
    '%s (%i names)',
    (_path, _count, names) => {
      expectSameAsCxxfilt(names);
    },
  );

  it.skipIf(LIBSTDCXX_NAMES.length === 0)(`${LIBSTDCXX} (${LIBSTDCXX_NAMES.length} names)`, () => {
    expect(LIBSTDCXX_NAMES.length).toBeGreaterThan(1000);
    expectSameAsCxxfilt(LIBSTDCXX_NAMES);
  });
});

describe('demangle: speed', () => {
  it('thousands of names take a fraction of a second', () => {
    const names = LIBSTDCXX_NAMES.length > 0 ? LIBSTDCXX_NAMES : FIXTURES.flatMap((f) => f.names);
    expect(names.length).toBeGreaterThan(1000);
    for (const n of names) demangle(n);
    const t0 = performance.now();
    for (const n of names) demangle(n);
    expect(performance.now() - t0).toBeLessThan(1000);
  });
});

/** Pieces of the grammar, so random strings reach deep into the parser and printer. */
const TOKENS = [
  ...'NEIJZLXSTDFMAPROKVrCGUBvbcilmsxyzdfe_0123456789'.split(''),
  'S_',
  'S0_',
  'St',
  'Sa',
  'Ss',
  'T_',
  'T0_',
  'fp_',
  'sr',
  'sp',
  'Dp',
  'DT',
  'Dt',
  'Dn',
  'Ul',
  'Ut',
  'cv',
  'pl',
  'qu',
  'cl',
  'nw',
  'li',
  'on',
  'C1',
  'D0',
  'CI1',
  '1a',
  '3foo',
  'B5cxx11',
  'Li1E',
  'Lb0E',
  'TV',
  'Th8_',
  'GV',
  'GR',
  'TA',
  '.cold',
  '.isra.0',
];

const wellFormed = (r: string | undefined): boolean =>
  r === undefined || (typeof r === 'string' && r.length > 0);

describe('demangle: arbitrary input', () => {
  const seed = 20240611;

  it('never throws on arbitrary strings', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 300 }), (s) => wellFormed(demangle(s))),
      { seed, numRuns: 3000 },
    );
  });

  it('never throws on strings of the mangling alphabet', () => {
    const mangled = fc
      .tuple(
        fc.constantFrom('_Z', '_ZN', '_ZZ', '_ZT', '_ZG', '_GLOBAL__I_', '._Z'),
        fc.array(fc.constantFrom(...TOKENS), { maxLength: 60 }),
      )
      .map(([head, body]) => head + body.join(''));
    fc.assert(
      fc.property(mangled, (s) => wellFormed(demangle(s))),
      { seed, numRuns: 20000 },
    );
  });

  it('never overflows the stack on deep nesting', () => {
    const deep = fc
      .tuple(
        fc.constantFrom('P', 'FP', 'I1a', 'N1a', 'A1_', 'Xpl', 'ZN1a', 'Dp', 'DTcl'),
        fc.integer({ min: 0, max: 1100 }),
      )
      .map(([piece, n]) => `_Z1f${piece.repeat(n)}iv`);
    fc.assert(
      fc.property(deep, (s) => wellFormed(demangle(s))),
      { seed, numRuns: 200 },
    );
  });
});
