// Shared test helpers: fixture paths, in-process runs with captured output, qemu-user runs.
import { spawnSync } from 'node:child_process';
import { runProgram, type RunOutcome } from '../src/run.js';
import type { ElfSymbol } from '../emu/elf.js';
import type { Machine, MachineOptions } from '../emu/machine.js';

export {
  expected,
  fixture,
  fixtureArgs,
  fixtureNames,
  ia64Guests,
  ISAS,
  type IsaName,
} from '../fixtures/catalog.js';

export interface Captured extends RunOutcome {
  stdout: string;
  stderr: string;
  warnings: string[];
}

/** Run a guest in-process with stdout/stderr captured; `setup` runs before it (register probes there). */
export async function runCaptured(
  path: string,
  args: string[] = [],
  opts: Partial<MachineOptions> = {},
  setup?: (m: Machine) => void,
): Promise<Captured> {
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  const warnings: string[] = [];
  const argv0 = opts.argv?.[0] ?? path;
  const r = await runProgram(
    path,
    {
      stdout: (b) => out.push(Buffer.from(b)),
      stderr: (b) => err.push(Buffer.from(b)),
      warn: (l) => warnings.push(l),
      ...opts,
      argv: [argv0, ...args],
    },
    setup ? { setup } : {},
  );
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

/** `x`, which the test goes on with: throws naming `what` when it is missing. */
export function present<T>(x: T | null | undefined, what: string): T {
  if (x === undefined || x === null) throw new Error(`${what} is missing`);
  return x;
}

/** The first of `xs` that `pick` accepts: throws naming `what` when none does. */
export function findOne<T>(xs: readonly T[], what: string, pick: (x: T) => boolean): T {
  const x = xs.find(pick);
  if (x === undefined) throw new Error(`no ${what} among ${xs.length}`);
  return x;
}

/** Symbol `name` of a symbol table (a machine's `m.symbols`): throws naming it when there is none. */
export function symbol<S = ElfSymbol>(table: { lookup(name: string): S | undefined }, name: string): S {
  const s = table.lookup(name);
  if (!s) throw new Error(`no symbol named '${name}'`);
  return s;
}

/** Capture group `n` of the first match of `re` in `s`: throws showing both when there is none. */
export function group(re: RegExp, s: string, n = 1): string {
  const g = re.exec(s)?.[n];
  if (g === undefined) throw new Error(`${re} has no group ${n} in ${JSON.stringify(s)}`);
  return g;
}

/** One pattern made of the parts' patterns in order: a regular expression too long for a line. */
export function joinedRegExp(...parts: RegExp[]): RegExp {
  if (parts.some((p) => p.flags !== '')) throw new Error('joinedRegExp: the parts may not have flags');
  return new RegExp(parts.map((p) => p.source).join(''));
}
