// Shared test helpers: fixture paths, in-process runs with captured output, qemu-user runs.
import { spawnSync } from 'node:child_process';
import { runProgram, type RunOutcome } from '../src/run.js';
import type { MachineOptions } from '../emu/machine.js';

export { expected, fixture, fixtureArgs, fixtureNames, ISAS, type IsaName } from '../fixtures/catalog.js';

export interface Captured extends RunOutcome {
  stdout: string;
  stderr: string;
  warnings: string[];
}

/** Run a guest in-process with stdout/stderr captured. */
export async function runCaptured(
  path: string,
  args: string[] = [],
  opts: Partial<MachineOptions> = {},
): Promise<Captured> {
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
  return {
    ...r,
    stdout: Buffer.concat(out).toString('latin1'),
    stderr: Buffer.concat(err).toString('latin1'),
    warnings,
  };
}

export function hasCommand(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
}

/** Run the built CLI. */
export function cli(args: string[], input?: string) {
  const r = spawnSync(process.execPath, ['dist/src/cli.js', ...args], {
    encoding: 'latin1',
    input,
    timeout: 60_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Hex dump for failure messages. */
export const hex = (b: bigint | number): string => `0x${b.toString(16)}`;
