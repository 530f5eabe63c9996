// The trace's one JSON writer: what JSON.stringify writes, put as UTF-8 bytes straight into a
// buffer, so that a probe's hit formats its line without building strings or objects.

const utf8 = new TextEncoder();
const HEX = utf8.encode('0123456789abcdef');

/** A value as the trace formats hold them: a string, a number, or an object of them. */
export type JsonValue = string | number | JsonObject;
/** An object; its undefined members are left out, as JSON.stringify leaves them out. */
export interface JsonObject {
  readonly [key: string]: JsonValue | undefined;
}

/** A string's UTF-8 bytes, for the constant parts of a line, made once. */
export const utf8Bytes = (s: string): Uint8Array => utf8.encode(s);

/** Short bytes into `buf` at `n` (a loop beats TypedArray.set's call for a few); the offset after them. */
export function putBytes(buf: Uint8Array, n: number, b: Uint8Array): number {
  const len = b.length;
  for (let i = 0; i < len; i++) buf[n + i] = b[i] ?? 0;
  return n + len;
}

/**
 * A non-negative integer's decimal digits into `buf` at `n`; the offset after them. Digits
 * come nine at a time from parts below 10^9, which 32-bit integer division handles (a
 * nanosecond timestamp has 10 to 16 digits: float division was a third of a JSON line).
 */
export function putDecimal(buf: Uint8Array, n: number, v: number): number {
  if (v < 1e9) return putSmallDecimal(buf, n, v);
  const high = Math.floor(v / 1e9);
  return putNineDigits(buf, putDecimal(buf, n, high), v - high * 1e9);
}

/** "00" to "99": the digits of a value below 100, two bytes each. */
const DIGIT_PAIRS = Uint8Array.from(
  { length: 200 },
  (_, i) => 0x30 + (i % 2 === 0 ? Math.floor(i / 20) : (i >> 1) % 10),
);

/** putDecimal of a value below 10^9 (it fits an int32), two digits a division. */
function putSmallDecimal(buf: Uint8Array, n: number, v: number): number {
  const len =
    v < 1e4
      ? v < 10
        ? 1
        : v < 100
          ? 2
          : v < 1e3
            ? 3
            : 4
      : v < 1e6
        ? v < 1e5
          ? 5
          : 6
        : v < 1e7
          ? 7
          : v < 1e8
            ? 8
            : 9;
  let i = n + len;
  let x = v;
  while (x >= 100) {
    const q = (x / 100) | 0;
    const r = (x - q * 100) * 2;
    buf[--i] = DIGIT_PAIRS[r + 1] ?? 0;
    buf[--i] = DIGIT_PAIRS[r] ?? 0;
    x = q;
  }
  if (x >= 10) {
    buf[--i] = DIGIT_PAIRS[x * 2 + 1] ?? 0;
    buf[--i] = DIGIT_PAIRS[x * 2] ?? 0;
  } else buf[--i] = 0x30 + x;
  return n + len;
}

/** A value below 10^9 as exactly nine digits, zeros in front. */
function putNineDigits(buf: Uint8Array, n: number, v: number): number {
  let x = v;
  for (let i = n + 8; i >= n; i--) {
    const q = (x / 10) | 0;
    buf[i] = 0x30 + x - q * 10;
    x = q;
  }
  return n + 9;
}

/** `"0x…"` of a value's low `bits` (its halves as regReadHalves gives them); the offset after it. */
export function putHex(buf: Uint8Array, n: number, halves: Uint32Array, bits: number): number {
  let lo = halves[0] ?? 0;
  let hi = bits === 64 ? (halves[1] ?? 0) : 0;
  if (bits < 32) lo &= (1 << bits) - 1;
  buf[n++] = 0x22;
  buf[n++] = 0x30;
  buf[n++] = 0x78;
  let digits = 0;
  if (hi !== 0) {
    for (let x = hi; x !== 0; x >>>= 4) digits++;
    for (let i = digits - 1; i >= 0; i--, hi >>>= 4) buf[n + i] = HEX[hi & 15] ?? 0x30;
    n += digits;
    digits = 8;
  } else for (let x = lo; x !== 0; x >>>= 4) digits++;
  if (digits === 0) digits = 1;
  for (let i = digits - 1; i >= 0; i--, lo >>>= 4) buf[n + i] = HEX[lo & 15] ?? 0x30;
  n += digits;
  buf[n++] = 0x22;
  return n;
}

/**
 * JSON.stringify of a string, without its cost for the usual argument value (a number, a
 * symbol): those have nothing to escape and are only quoted.
 */
export function jsonString(s: string): string {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    // What JSON.stringify escapes: controls, '"', '\\', and UTF-16 surrogates (when lone).
    if (c < 0x20 || c === 0x22 || c === 0x5c || (c >= 0xd800 && c < 0xe000)) return JSON.stringify(s);
  }
  return `"${s}"`;
}

/** jsonString(s), UTF-8, into `buf` at `n` (room for 6 bytes a unit and the quotes); the offset after it. */
export function putJsonString(buf: Buffer, n: number, s: string): number {
  buf[n] = 0x22;
  const len = s.length;
  for (let i = 0; i < len; i++) {
    const c = s.charCodeAt(i);
    // Printable ASCII but '"' and '\\' is itself; anything else takes the general way.
    if (c < 0x20 || c > 0x7e || c === 0x22 || c === 0x5c) return n + buf.write(jsonString(s), n);
    buf[n + 1 + i] = c;
  }
  buf[n + 1 + len] = 0x22;
  return n + len + 2;
}

/** The most bytes a number takes: -0.0000012345678901234567. */
export const NUMBER_SIZE = 25;

/** JSON.stringify of a number into `buf` at `n`; the offset after it. */
export function putNumber(buf: Uint8Array, n: number, v: number): number {
  if (v >= 0 && Number.isSafeInteger(v)) return putDecimal(buf, n, v);
  const s = Number.isFinite(v) ? String(v) : 'null';
  for (let i = 0; i < s.length; i++) buf[n + i] = s.charCodeAt(i);
  return n + s.length;
}

/**
 * JSON.stringify(ns / 1000) of a whole number of nanoseconds, without the general conversion
 * of a fraction to text: below 10^15 the quotient's shortest form is its exact decimal (no two
 * decimals of 15 significant digits are one double), the 3 digits of the fraction less its
 * trailing zeros.
 */
export function putMicros(buf: Uint8Array, n: number, ns: number): number {
  if (!(ns >= 0 && ns < 1e15 && Number.isInteger(ns))) return putNumber(buf, n, ns / 1000);
  const whole = Math.floor(ns / 1000);
  let frac = ns - whole * 1000;
  n = putDecimal(buf, n, whole);
  if (frac === 0) return n;
  buf[n++] = 0x2e; // .
  for (let unit = 100; frac !== 0; unit /= 10) {
    const d = Math.floor(frac / unit);
    buf[n++] = 0x30 + d;
    frac -= d * unit;
  }
  return n;
}

/** The most bytes putJson writes for `v`. */
export function jsonSize(v: JsonValue): number {
  if (typeof v === 'string') return 6 * v.length + 2;
  if (typeof v === 'number') return NUMBER_SIZE;
  let size = 2;
  for (const k of Object.keys(v)) {
    const x = v[k];
    size += 6 * k.length + 4 + (x === undefined ? 0 : jsonSize(x));
  }
  return size;
}

/**
 * JSON.stringify(v), UTF-8, into `buf` at `n` (room for jsonSize(v)); the offset after it.
 * An object's members are its own keys in their order, the undefined ones left out.
 */
export function putJson(buf: Buffer, n: number, v: JsonValue): number {
  if (typeof v === 'string') return putJsonString(buf, n, v);
  if (typeof v === 'number') return putNumber(buf, n, v);
  buf[n++] = 0x7b; // {
  let first = true;
  for (const k of Object.keys(v)) {
    const x = v[k];
    if (x === undefined) continue;
    if (!first) buf[n++] = 0x2c; // ,
    first = false;
    n = putJsonString(buf, n, k);
    buf[n++] = 0x3a; // :
    n = putJson(buf, n, x);
  }
  buf[n++] = 0x7d; // }
  return n;
}
