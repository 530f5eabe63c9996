// Counterpart: libiberty's cp-demangle.c (d_demangle_callback: which names are demangled and
// how) and binutils' cxxfilt.c (demangle_it), so the text is what `c++filt` prints.
//
// c++filt demangles with DMGL_PARAMS | DMGL_ANSI | DMGL_VERBOSE: parameters are printed and
// the abbreviations Ss, Si, So, Sd are always written out in full.

import { Parser } from './demangle-parse.js';
import { RECURSION_LIMIT, type Kind } from './demangle-tree.js';
import { printTree } from './demangle-print.js';
import { demangleRustLegacy } from './demangle-rust.js';

/**
 * The demangled form of an Itanium C++ ABI name (`_Z...`, or g++'s `_GLOBAL__I_`/`_GLOBAL__D_`
 * global constructor and destructor names) as c++filt prints it; undefined for a name
 * c++filt would leave unchanged (not mangled, malformed, or longer than 1024 bytes). A
 * legacy Rust symbol (`_ZN...17h<hash>E`) is printed as c++filt prints it, as a Rust path. A
 * symbol version (`@GLIBCXX_3.4`) must be stripped first. As c++filt does, one leading `.`
 * or `$` is skipped, and a `.` is put back in front of the result (ppc64's `._Z...` entry
 * points).
 */
export function demangle(mangled: string): string | undefined {
  // The C string ends at a NUL.
  const nul = mangled.indexOf('\0');
  if (nul >= 0) mangled = mangled.slice(0, nul);
  const name = mangled[0] === '.' || mangled[0] === '$' ? mangled.slice(1) : mangled;
  const back = mangled[0] === '.' ? '.' : '';
  // c++filt (cplus_demangle) tries Rust first: its legacy symbols look like C++ ones.
  const rust = demangleRustLegacy(name);
  if (rust !== undefined) return back + rust;
  // cp-demangle.c sizes its arrays by the length and refuses what could exhaust the stack;
  // in UTF-8 a name has at least as many bytes as it has UTF-16 units here.
  if (2 * name.length > RECURSION_LIMIT) return undefined;
  const ascii = isAscii(name);
  const text = demangleBytes(ascii ? name : toBytes(name));
  if (text === undefined) return undefined;
  return back + (ascii ? text : fromBytes(text));
}

function demangleBytes(s: string): string | undefined {
  let global: Kind | undefined;
  if (!s.startsWith('_Z')) {
    global = globalKind(s);
    if (!global) return undefined;
  }
  if (2 * s.length > RECURSION_LIMIT) return undefined;
  // A failure after reading an <unresolved-name> the current way is retried the old way.
  for (let state = 1; ; state = 0) {
    const p = new Parser(s, state);
    const dc = global ? p.globalKeyed(global) : p.mangledName(true);
    // With parameters demangled, all of the name must have been read.
    if (dc && p.atEnd()) return printTree(dc);
    if (state === 0 || p.unresolvedNameState !== -1) return undefined;
  }
}

/** _GLOBAL_ [._$] I|D _ <name>: g++'s old names for a file's global constructors and destructors. */
function globalKind(s: string): Kind | undefined {
  if (s.length < 11 || !s.startsWith('_GLOBAL_') || !'._$'.includes(s[8] as string) || s[10] !== '_')
    return undefined;
  if (s[9] === 'I') return 'global_constructors';
  if (s[9] === 'D') return 'global_destructors';
  return undefined;
}

// eslint-disable-next-line no-control-regex
const isAscii = (s: string): boolean => /^[\x00-\x7f]*$/.test(s);

/**
 * The name as bytes, one char each: a <source-name>'s length counts the bytes of its UTF-8
 * identifier.
 */
function toBytes(s: string): string {
  return String.fromCharCode(...new TextEncoder().encode(s));
}

function fromBytes(s: string): string {
  return new TextDecoder().decode(Uint8Array.from(s, (c) => c.charCodeAt(0)));
}
