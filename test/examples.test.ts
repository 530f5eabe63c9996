// The example under examples/ runs as documented: as a script, and through its exported
// function on every ISA, with the counts a fib(n) run must give.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { traceFib } from '../examples/trace-fib.js';
import { fixture, ISAS } from './helpers.js';

const calls = (n: number): number => (n < 2 ? 1 : 1 + calls(n - 1) + calls(n - 2));

describe('examples/trace-fib.ts', () => {
  it('runs as a script with tsx', () => {
    const r = spawnSync(
      process.execPath,
      ['--import', 'tsx', 'examples/trace-fib.ts', fixture('x86_64', 'fib'), '10'],
      { encoding: 'utf8', timeout: 60_000 },
    );
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('fib(10) = 55\n177 calls, 177 returns traced (0 missed), 89 returned 1; exit 0\n');
    expect(r.status).toBe(0);
  });

  it.each(ISAS)('%s: events stream to the callback during the run', (isa) => {
    const seen: string[] = [];
    const s = traceFib(
      fixture(isa, 'fib'),
      '6',
      (e) => void seen.push(`${e.kind}${e.kind === 'entry' ? e.n : e.value}`),
    );
    expect(s).toEqual({
      status: 'exit 0',
      calls: calls(6),
      returns: calls(6),
      missed: 0,
      stdout: 'fib(6) = 8\n',
    });
    expect(seen.slice(0, 3)).toEqual(['entry6', 'entry5', 'entry4']);
    expect(seen.at(-1)).toBe('return8');
  });
});
