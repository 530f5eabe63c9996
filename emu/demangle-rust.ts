// Counterpart: libiberty's rust-demangle.c (its legacy symbols only: `_ZN` <ident>+ `17h`
// <16 hex digits> `E`, which c++filt tries before the C++ demangler).
//
// Rust's legacy mangling borrows the Itanium nested-name form; c++filt prints such a symbol
// as a Rust path (`core::fmt::write::h0123456789abcdef`, escapes decoded, a `.llvm.N`
// suffix dropped), so a `_Z` name that reads as one is not demangled as C++.

/** `$...$` escapes with a fixed meaning. */
const ESCAPES: Readonly<Record<string, string>> = {
  SP: '@',
  BP: '*',
  RF: '&',
  LT: '<',
  GT: '>',
  LP: '(',
  RP: ')',
};

const HASH_SEGMENT = 19; // 17h + 16 hex digits

/** The Rust path a legacy Rust symbol stands for, or undefined if `s` is not one. */
export function demangleRustLegacy(s: string): string | undefined {
  if (!s.startsWith('_ZN') || !/^[A-Za-z0-9_$.:@]*$/.test(s)) return undefined;
  const end = pathEnd(s);
  if (end === undefined || end - 3 <= HASH_SEGMENT || s.slice(end - HASH_SEGMENT, end - 16) !== '17h')
    return undefined;
  const idents: string[] = [];
  for (let at = 3; at < end;) {
    const ident = readIdent(s, at, end);
    if (!ident) return undefined;
    idents.push(ident.text);
    at = ident.next;
  }
  // c++filt demangles verbosely, so the hash is kept.
  if (!isLegacyHash(idents[idents.length - 1] ?? '')) return undefined;
  return idents.map(unescape).join('::');
}

/**
 * Where the path ends: before the last character, an `E`, once a `.suffix` following that
 * `E` (as LLVM appends) is taken off.
 */
function pathEnd(s: string): number | undefined {
  let len = s.length;
  let dotSuffix = true;
  while (len > 3 && !(dotSuffix && s[len - 1] === 'E')) {
    dotSuffix = s[len - 1] === '.';
    len--;
  }
  return len > 3 && s[len - 1] === 'E' ? len - 1 : undefined;
}

/** <decimal length> <text>, non-empty; a length starting with 0 is just 0. */
function readIdent(s: string, at: number, end: number): { text: string; next: number } | undefined {
  const first = s[at];
  if (first === undefined || first < '0' || first > '9') return undefined;
  let len = Number(first);
  at++;
  if (first !== '0') {
    for (let c = s[at]; at < end && c !== undefined && c >= '0' && c <= '9'; c = s[at]) {
      len = len * 10 + Number(c);
      at++;
    }
  }
  if (len === 0 || at + len > end) return undefined;
  return { text: s.slice(at, at + len), next: at + len };
}

/** h and 16 lowercase hex digits, at least 5 of them different (a hash, not a word). */
function isLegacyHash(ident: string): boolean {
  return /^h[0-9a-f]{16}$/.test(ident) && new Set(ident.slice(1)).size >= 5;
}

/** `$LT$` to `<`, `$u7e$` to `~`, `..` to `::`; an unknown escape ends decoding. */
function unescape(ident: string): string {
  // The underscore the mangler puts before a leading escape is not part of the name.
  if (ident.startsWith('_$')) ident = ident.slice(1);
  let out = '';
  let i = 0;
  while (i < ident.length) {
    const c = ident[i];
    if (c === '$') {
      const e = decodeEscape(ident.slice(i));
      if (!e) return out + ident.slice(i);
      out += e.char;
      i += e.len;
    } else if (c === '.') {
      const pair = ident[i + 1] === '.';
      out += pair ? '::' : '.';
      i += pair ? 2 : 1;
    } else {
      let j = i;
      while (j < ident.length && ident[j] !== '$' && ident[j] !== '.') j++;
      out += ident.slice(i, j);
      i = j;
    }
  }
  return out;
}

/** The escape at the start of `e` (`$C$`, `$LT$`, `$u7e$`...): its character and length. */
function decodeEscape(e: string): { char: string; len: number } | undefined {
  if (e.length < 3) return undefined;
  const body = e.slice(1);
  let char: string | undefined;
  let bodyLen = 0;
  if (body[0] === 'C') {
    char = ',';
    bodyLen = 1;
  } else if (body.length > 2) {
    bodyLen = 2;
    char = ESCAPES[body.slice(0, 2)];
    if (body[0] === 'u' && body.length > 3) {
      bodyLen = 3;
      char = hexChar(body.slice(1, 3));
    }
  }
  if (char === undefined || body.length <= bodyLen || body[bodyLen] !== '$') return undefined;
  return { char, len: bodyLen + 2 };
}

/** $uXY$: a printable ASCII character in lowercase hex. */
function hexChar(hex: string): string | undefined {
  if (!/^[0-7][0-9a-f]$/.test(hex)) return undefined;
  const code = parseInt(hex, 16);
  return code < 0x20 ? undefined : String.fromCharCode(code);
}
