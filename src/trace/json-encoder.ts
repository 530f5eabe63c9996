// The trace's byte-level JSON encoder: what JSON.stringify writes, put as UTF-8 bytes straight
// into a buffer, so that a probe's hit formats its line without building strings or objects.

const utf8 = new TextEncoder();
const HEX = utf8.encode('0123456789abcdef');

/** A string's UTF-8 bytes, for the constant parts of a line, made once. */
export const utf8Bytes = (s: string): Uint8Array => utf8.encode(s);

/** Short bytes into `buf` at `n` (a loop beats TypedArray.set's call for a few); the offset after them. */
export function putBytes(buf: Uint8Array, n: number, b: Uint8Array): number {
  const len = b.length;
  for (let i = 0; i < len; i++) buf[n + i] = b[i]!;
  return n + len;
}

/** A non-negative integer's decimal digits into `buf` at `n`; the offset after them. */
export function putDecimal(buf: Uint8Array, n: number, v: number): number {
  let len = 1;
  for (let x = v; x >= 10; x = Math.floor(x / 10)) len++;
  let x = v;
  for (let i = n + len - 1; i >= n; i--) {
    buf[i] = 0x30 + (x % 10);
    x = Math.floor(x / 10);
  }
  return n + len;
}

/** `"0x…"` of a value's low `bits` (its halves as regReadHalves gives them); the offset after it. */
export function putHex(buf: Uint8Array, n: number, halves: Uint32Array, bits: number): number {
  let lo = halves[0]!;
  let hi = bits === 64 ? halves[1]! : 0;
  if (bits < 32) lo &= (1 << bits) - 1;
  buf[n++] = 0x22;
  buf[n++] = 0x30;
  buf[n++] = 0x78;
  let digits = 0;
  if (hi !== 0) {
    for (let x = hi; x !== 0; x >>>= 4) digits++;
    for (let i = digits - 1; i >= 0; i--, hi >>>= 4) buf[n + i] = HEX[hi & 15]!;
    n += digits;
    digits = 8;
  } else for (let x = lo; x !== 0; x >>>= 4) digits++;
  if (digits === 0) digits = 1;
  for (let i = digits - 1; i >= 0; i--, lo >>>= 4) buf[n + i] = HEX[lo & 15]!;
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
