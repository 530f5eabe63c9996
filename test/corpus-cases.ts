// The corpus of real programs (fixtures/corpus): its cases, and a stdout that stops reading
// as `head` does.
import { readFileSync } from 'node:fs';
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
