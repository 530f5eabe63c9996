// The corpus of real programs (fixtures/corpus): its cases, and a stdout that stops reading
// as `head` does.
import { existsSync, readFileSync } from 'node:fs';
import { BrokenPipe } from '../emu/files.js';

export const CORPUS = 'fixtures/corpus';

export interface Case {
  name: string;
  program: string;
  variants: string[];
  args: string[];
  /** Standard input (null: none, an empty one). */
  stdin: string | null;
  /** A reader of stdout that stops early: 'head -c N' or 'head -N'. */
  pipeTo: string | null;
}

export const CASES = JSON.parse(readFileSync(`${CORPUS}/cases.json`, 'utf8')) as Case[];

/**
 * The root a dynamically linked variant runs in (--root, qemu-user's -L): the host's own
 * for x86_64, Debian's cross sysroots (libc6-i386-cross, libc6-ppc64-cross) for the others.
 */
const ROOTS: Record<string, string> = {
  'x86_64-dyn': '/',
  'i386-dyn': '/usr/i686-linux-gnu',
  'ppc64-dyn': '/usr/powerpc64-linux-gnu',
};

/** The root of `variant`, if it is dynamically linked. */
export const rootOf = (variant: string): string | undefined => ROOTS[variant];

/** Why `variant` cannot run here (its root has no dynamic loader), or undefined when it can. */
export function missingRoot(variant: string): string | undefined {
  const root = ROOTS[variant];
  if (root === undefined) return undefined;
  const loader = {
    'x86_64-dyn': 'lib64/ld-linux-x86-64.so.2',
    'i386-dyn': 'lib/ld-linux.so.2',
    'ppc64-dyn': 'lib/ld64.so.1',
  }[variant];
  return existsSync(`${root}/${loader}`) ? undefined : `${root}/${loader} is not installed`;
}

/**
 * The root of dynamically linked `variant` for a test to run it in, or undefined, with a
 * note saying why it is skipped, where the root's loader is not installed.
 */
export function rootForTest(variant: string): string | undefined {
  const missing = missingRoot(variant);
  if (missing) console.warn(`${variant} skipped: ${missing}`);
  return missing ? undefined : ROOTS[variant];
}

/**
 * A stdout whose reader goes away as `head` does: writes are taken until the reader has
 * what it wants (N bytes, or N lines), later ones find the pipe closed.
 */
export function headReader(pipeTo: string): { write: (b: Uint8Array) => void; text: () => string } {
  const m = /^head -(c )?(\d+)$/.exec(pipeTo);
  if (!m) throw new Error(`pipeTo '${pipeTo}' is not head -c N or head -N`);
  const bytes = m[1] !== undefined;
  const want = Number(m[2]);
  let got = Buffer.alloc(0);
  const enough = () => (bytes ? got.length >= want : got.toString('latin1').split('\n').length > want);
  return {
    write: (b) => {
      if (enough()) throw new BrokenPipe();
      got = Buffer.concat([got, b]);
    },
    text: () => {
      const s = got.toString('latin1');
      return bytes ? s.slice(0, want) : s.split('\n').slice(0, want).join('\n') + '\n';
    },
  };
}
