// The trace's JSON writer: every string, number and object it writes is what JSON.stringify
// writes, within the room it asks for.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  jsonSize,
  jsonString,
  putJson,
  putJsonString,
  putDecimal,
  putMicros,
  putNumber,
  NUMBER_SIZE,
  type JsonObject,
} from '../../src/trace/json-encoder.js';

const buf = Buffer.alloc(1 << 16);
/** What a put function writes at offset 1, as text. */
const written = (put: (b: Buffer, n: number) => number): string => buf.toString('utf8', 1, put(buf, 1));

const STRINGS = [
  '',
  '0x1f',
  'leaf+0x0',
  '"',
  '\\',
  'a\nb',
  '\u0000',
  '\u001f',
  '\u007f',
  'é',
  '€',
  '\ud800',
  'x\udfffy',
  '\ud83d\ude00',
  "'c'",
];

describe('jsonString and putJsonString', () => {
  it('are JSON.stringify for every string: controls, quotes, backslashes, non-ASCII and lone surrogates', () => {
    for (const s of STRINGS) {
      expect(jsonString(s)).toBe(JSON.stringify(s));
      expect(written((b, n) => putJsonString(b, n, s))).toBe(JSON.stringify(s));
    }
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary' }),
        (s) =>
          jsonString(s) === JSON.stringify(s) && written((b, n) => putJsonString(b, n, s)) === jsonString(s),
      ),
      { numRuns: 5000 },
    );
  });
});

describe('putDecimal', () => {
  it("writes a non-negative integer's digits, at each length and across the 10^9 split", () => {
    const edges = [
      0,
      9,
      10,
      99,
      100,
      999_999_999,
      1e9,
      1e9 + 1,
      1_000_000_010,
      2 ** 31,
      2 ** 32,
      2 ** 53 - 1,
    ];
    for (let p = 1; p < 1e16; p *= 10) edges.push(p - 1, p, p + 1);
    for (const v of edges) expect(written((b, n) => putDecimal(b, n, v))).toBe(String(v));
    fc.assert(
      fc.property(fc.maxSafeNat(), (v) => written((b, n) => putDecimal(b, n, v)) === String(v)),
      { numRuns: 20000 },
    );
  });
});

describe('putMicros and putNumber', () => {
  it('write JSON.stringify of ns / 1000 for whole nanoseconds, and of any number', () => {
    const ns = [0, 1, 10, 100, 999, 1000, 1001, 1010, 1234567, 1e15 - 1, 1e15, 1e15 + 1, 2 ** 53 - 1, -1];
    for (const v of ns) expect(written((b, n) => putMicros(b, n, v))).toBe(JSON.stringify(v / 1000));
    fc.assert(
      fc.property(fc.maxSafeNat(), (v) => written((b, n) => putMicros(b, n, v)) === JSON.stringify(v / 1000)),
      { numRuns: 20000 },
    );
    fc.assert(
      fc.property(
        fc.nat({ max: 1e12 }),
        (v) => written((b, n) => putMicros(b, n, v)) === JSON.stringify(v / 1000),
      ),
      { numRuns: 20000 },
    );
    const numbers = [0, -0, 1, -1, 0.5, 1e21, -1.2345678901234567e-6, NaN, Infinity, -Infinity, 2 ** 53];
    for (const v of numbers) expect(written((b, n) => putNumber(b, n, v))).toBe(JSON.stringify(v));
    fc.assert(
      fc.property(fc.double(), (v) => {
        const s = written((b, n) => putNumber(b, n, v));
        return s === JSON.stringify(v) && s.length <= NUMBER_SIZE;
      }),
      { numRuns: 20000 },
    );
  });
});

describe('putJson', () => {
  it('is JSON.stringify for objects of strings, numbers and objects, undefined members left out', () => {
    const value = fc.oneof(fc.string({ unit: 'binary' }), fc.double(), fc.constant(undefined));
    const object = fc.dictionary(
      fc.string({ unit: 'binary' }),
      fc.oneof(value, fc.dictionary(fc.string({ unit: 'binary' }), value)),
    ) as fc.Arbitrary<JsonObject>;
    fc.assert(
      fc.property(object, (o) => {
        const end = putJson(buf, 0, o);
        return buf.toString('utf8', 0, end) === JSON.stringify(o) && end <= jsonSize(o);
      }),
      { numRuns: 2000 },
    );
  });
});
