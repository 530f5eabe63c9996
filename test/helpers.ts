// Shared test helpers: fixture paths, in-process runs with captured output, qemu-user runs.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runProgram, type RunOutcome } from '../src/run.js';
import type { MachineOptions } from '../emu/machine.js';

export const ISAS = ['x86_64', 'i386', 'ppc64'] as const;
export type IsaName = (typeof ISAS)[number];

export const fixture = (isa: IsaName, name: string): string => join('fixtures', 'build', isa, name);

/** Fixtures with an expected outcome (every one that ends on its own) built for `isa`. */
export function fixtureNames(isa: IsaName): string[] {
  return readdirSync('fixtures/expected')
    .filter((f) => f.endsWith('.status'))
    .map((f) => f.slice(0, -'.status'.length))
    .filter((n) => existsSync(fixture(isa, n)))
    .sort();
}

export function expected(name: string): { stdout: string; status: number } {
  return {
    stdout: readFileSync(join('fixtures', 'expected', `${name}.out`), 'latin1'),
    status: Number(readFileSync(join('fixtures', 'expected', `${name}.status`), 'utf8').trim()),
  };
}

export function fixtureArgs(name: string): string[] {
  const p = join('fixtures', 'expected', `${name}.args`);
  if (!existsSync(p)) return [];
  // The .args files use shell quoting; let the shell split them.
  const r = spawnSync('sh', ['-c', `for a in ${readFileSync(p, 'utf8').trim()}; do printf '%s\\0' "$a"; done`]);
  return r.stdout.toString('latin1').split('\0').slice(0, -1);
}

export interface Captured extends RunOutcome {
  stdout: string;
  stderr: string;
  warnings: string[];
}

/** Run a guest in-process with stdout/stderr captured. */
export async function runCaptured(path: string, args: string[] = [], opts: Partial<MachineOptions> = {}): Promise<Captured> {
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  const warnings: string[] = [];
  const argv0 = opts.argv?.[0] ?? path;
  const r = await runProgram(path, {
    stdout: (b) => out.push(Buffer.from(b)),
    stderr: (b) => err.push(Buffer.from(b)),
    warn: (l) => warnings.push(l),
    ...opts,
    argv: [argv0, ...args],
  });
  return { ...r, stdout: Buffer.concat(out).toString('latin1'), stderr: Buffer.concat(err).toString('latin1'), warnings };
}

export function hasCommand(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
}

/** Run the built CLI. */
export function cli(args: string[], input?: string) {
  const r = spawnSync(process.execPath, ['dist/src/cli.js', ...args], { encoding: 'latin1', input, timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Hex dump for failure messages. */
export const hex = (b: bigint | number): string => `0x${b.toString(16)}`;
