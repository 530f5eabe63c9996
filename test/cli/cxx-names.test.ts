// C++ names as users type and read them: `symbols` and traces show them demangled (as
// c++filt writes them; --no-demangle as stored), and a definition takes a demangled name, in
// double quotes with its parameters or without them where no overload shares it, probing the
// same function, as often, as its mangled name does.
import { describe, expect, it } from 'vitest';
import { shortName } from '../../emu/symbols.js';
import { cli, ISAS } from '../helpers.js';

const THROW = (isa: string): string => `fixtures/corpus/build/${isa}/throw`;
const CXX = 'fixtures/corpus/build/x86_64/cxx';

/** `operator new(size_t)` on each ISA, mangled: size_t is unsigned int on i386. */
const NEW = {
  x86_64: ['_Znwm', 'unsigned long'],
  i386: ['_Znwj', 'unsigned int'],
  ppc64: ['_Znwm', 'unsigned long'],
};

/** The `EVENT HITS MISSES` line of `event` in a --profile run's stderr. */
const hits = (stderr: string, event: string): number =>
  Number(new RegExp(`^${event} (\\d+) \\d+$`, 'm').exec(stderr)?.[1] ?? NaN);

describe.each(ISAS)('%s throw', (isa) => {
  const [mangled, size] = NEW[isa];
  it('symbols: demangled, or as stored with --no-demangle', () => {
    const shown = cli(['symbols', THROW(isa)]);
    expect(shown.status).toBe(0);
    expect(shown.stdout).toMatch(new RegExp(`^[0-9a-f]+ +[0-9a-f]+ operator new\\(${size}\\)$`, 'm'));
    expect(shown.stdout).not.toMatch(/ _Z\w+$/m);
    const stored = cli(['symbols', '--no-demangle', THROW(isa)]);
    expect(stored.stdout).toMatch(new RegExp(`^[0-9a-f]+ +[0-9a-f]+ ${mangled}$`, 'm'));
  });

  it('a quoted demangled name, its name without parameters and its mangled name: one function, as many hits', () => {
    const r = cli([
      'run',
      '--profile',
      '-e',
      `p:full "operator new(${size})"`,
      '-e',
      'p:short "operator new"',
      '-e',
      `p:stored ${mangled}`,
      THROW(isa),
    ]);
    expect(r.status).toBe(0);
    const n = hits(r.stderr, 'stored');
    expect(n).toBeGreaterThan(0);
    expect([hits(r.stderr, 'full'), hits(r.stderr, 'short')]).toEqual([n, n]);
    expect(r.stderr).toMatch(new RegExp(`: full: \\(operator new\\(${size}\\)\\+0x0/0x[0-9a-f]+\\)`));
  });
});

describe('x86_64 cxx', () => {
  it("a return probe's trace names the function and its caller demangled", () => {
    const r = cli(['run', '-e', 'r:area "(anonymous namespace)::Circle::area"', CXX]);
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/: area: \(\S.* <- \(anonymous namespace\)::Circle::area\(\) const\)/);
    const stored = cli(['run', '--no-demangle', '-e', 'r:area "(anonymous namespace)::Circle::area"', CXX]);
    expect(stored.stderr).toMatch(
      /: area: \(_Z\w+\+0x[0-9a-f]+\/0x[0-9a-f]+ <- _ZNK12_GLOBAL__N_16Circle4areaEv\)/,
    );
  });

  it('a name overloads share is refused with the overloads to choose from', () => {
    const r = cli(['run', '-e', 'p "operator new[]"', CXX]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(
      `'operator new[]' is not unique (2 functions have that name): name one with its parameters: ` +
        `"operator new[](unsigned long)", "operator new[](unsigned long, std::nothrow_t const&)"`,
    );
  });

  it('an unknown C++ name is no function', () => {
    const r = cli(['run', '-e', 'p "ns::nothing(int)"', CXX]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("no function named 'ns::nothing(int)'");
  });
});

describe('shortName: a demangled name without parameters, qualifiers or return type', () => {
  it.each([
    ['ns::C::f(int) const', 'ns::C::f'],
    ['void ns::f<int>(int)', 'ns::f<int>'],
    [
      'std::vector<int, std::allocator<int> >::push_back(int const&) &&',
      'std::vector<int, std::allocator<int> >::push_back',
    ],
    ['operator new(unsigned long)', 'operator new'],
    ['f(void (*)(int))', 'f'],
    ['g() [clone .cold]', 'g'],
    ['main', 'main'],
    ['guard variable for x', 'guard variable for x'],
  ])('%s', (name, short) => {
    expect(shortName(name)).toBe(short);
  });
});
