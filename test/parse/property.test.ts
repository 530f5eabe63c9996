// The fetch-argument grammar as a property: random argument trees (registers, $argN,
// $stackN, @ADDR, @SYM+-offs, immediates, nested dereferences) with random names and types
// are printed as text, and parsing the text gives the tree back.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { x86_64 } from '../../arch/x86/isa.js';
import { parseDefinition, type FetchSource } from '../../src/probe-def.js';

const REGS = new Set(Object.keys(x86_64().registers));
const REG_NAMES = [...REGS].filter((r) => /^[a-z][a-z0-9]*$/.test(r));

const leaf: fc.Arbitrary<FetchSource> = fc.oneof(
  fc.constantFrom(...REG_NAMES).map((name) => ({ kind: 'reg' as const, name })),
  fc.integer({ min: 1, max: 2048 }).map((n) => ({ kind: 'arg' as const, n })),
  fc.integer({ min: 0, max: 2048 }).map((n) => ({ kind: 'stack' as const, n })),
  fc.constant({ kind: 'stackptr' as const }),
  fc.bigInt({ min: 0n, max: (1n << 48n) - 1n }).map((addr) => ({ kind: 'mem' as const, addr })),
  fc
    .tuple(fc.stringMatching(/^[a-z_][a-z0-9_]{0,8}$/), fc.bigInt({ min: -4096n, max: 4096n }))
    .map(([symbol, offset]) => ({ kind: 'symmem' as const, symbol, offset })),
  fc.bigInt({ min: -(1n << 40n), max: 1n << 40n }).map((value) => ({ kind: 'imm' as const, value })),
);

/** Dereference chains no deeper than the kernel allows for the leaf. */
const source: fc.Arbitrary<FetchSource> = fc
  .tuple(leaf, fc.array(fc.bigInt({ min: -512n, max: 512n }), { maxLength: 12 }))
  .map(([inner, offsets]) => {
    const room = inner.kind === 'mem' || inner.kind === 'symmem' ? 12 : 13;
    return offsets
      .slice(0, room)
      .reduce<FetchSource>((acc, offset) => ({ kind: 'deref', offset, inner: acc }), inner);
  });

function print(s: FetchSource): string {
  const num = (v: bigint) => (v < 0n ? `-${-v}` : `+${v}`);
  switch (s.kind) {
    case 'reg':
      return `%${s.name}`;
    case 'arg':
      return `$arg${s.n}`;
    case 'stack':
      return `$stack${s.n}`;
    case 'stackptr':
      return '$stack';
    case 'mem':
      return `@0x${s.addr.toString(16)}`;
    case 'symmem':
      return `@${s.symbol}${s.offset === 0n ? '' : num(s.offset)}`;
    case 'imm':
      return `\\${s.value}`;
    case 'deref':
      return `${num(s.offset)}(${print(s.inner)})`;
    default:
      throw new Error(`not generated: ${s.kind}`);
  }
}

const type = fc.oneof(
  fc
    .tuple(fc.constantFrom('u', 's', 'x'), fc.constantFrom(8, 16, 32, 64))
    .map(([k, b]) => ({ text: `${k}${b}`, type: { kind: k, bits: b } })),
  fc.constant({ text: 'symbol', type: { kind: 'symbol', bits: 64 } }),
);

describe('fetch arguments, printed and parsed back', () => {
  it('gives the same tree, name and type', () => {
    fc.assert(
      // The kernel takes at most 63 characters of FETCHARG:TYPE (MAX_ARGSTR_LEN).
      fc.property(
        fc.array(
          fc.tuple(source, type).filter(([s, t]) => print(s).length + 1 + t.text.length <= 63),
          { minLength: 1, maxLength: 6 },
        ),
        (args) => {
          const text = `p:g/e fn ${args.map(([s, t], i) => `a${i}=${print(s)}:${t.text}`).join(' ')}`;
          const d = parseDefinition(text, REGS, 64);
          expect(d.args.map((a) => ({ name: a.name, source: a.source, type: a.type }))).toEqual(
            args.map(([s, t], i) => ({ name: `a${i}`, source: s, type: t.type })),
          );
          // Each argument's column points at its own text.
          for (const [i, a] of d.args.entries()) expect(text.slice(a.column).startsWith(`a${i}=`)).toBe(true);
        },
      ),
      { numRuns: 400 },
    );
  });
});
