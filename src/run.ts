// Load a guest program and run it: the library entry point the CLI and the tests share.
import { readFileSync, statSync } from 'node:fs';
import { isaForMachine } from '../arch/index.js';
import { ElfError, machineName, parseElf, type ElfImage } from '../emu/elf.js';
import { Machine, shellStatus, SIGPIPE, type MachineOptions, type StopReason } from '../emu/machine.js';
import { describeStop } from '../emu/stop-report.js';
import { existingKprobes } from './kprobes.js';

/** Refusal before or outside the guest: bad file, unsupported ELF, engine trouble. Exit 125. */
export class LoadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LoadError';
  }
}

/** Read and check an ELF file; throws LoadError naming the file and the reason. */
export function loadElfFile(path: string): ElfImage {
  let st;
  try {
    st = statSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new LoadError(
      `${path}: ${code === 'ENOENT' ? 'no such file' : `cannot read (${code ?? (e as Error).message})`}`,
    );
  }
  if (st.isDirectory()) throw new LoadError(`${path}: is a directory, not an ELF executable`);
  if (!st.isFile()) throw new LoadError(`${path}: not a regular file`);
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new LoadError(
      `${path}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
    );
  }
  try {
    return parseElf(bytes);
  } catch (e) {
    if (e instanceof ElfError) throw new LoadError(`${path}: ${e.message}`);
    throw e;
  }
}

/** A machine for an image, with the ISA chosen by its ELF machine. */
export function createMachine(image: ElfImage, options: MachineOptions, path = 'program'): Machine {
  const isa = isaForMachine(image.machine);
  if (!isa) throw new LoadError(`${path}: unsupported machine ${machineName(image.machine)}`);
  try {
    return new Machine(isa, image, options);
  } catch (e) {
    throw new LoadError(`${path}: cannot start: ${(e as Error).message}`);
  }
}

export interface RunOutcome {
  stop: StopReason;
  /** Exit status a shell would show. */
  status: number;
  /** The one-line report for a signal, budget or deadlock stop; undefined for a plain exit or SIGPIPE. */
  report: string | undefined;
  /**
   * Guest instructions run, when counting (a budget or quantum), else 0: exact at an exit or a
   * budget stop; at a fault, as of the last slice end.
   */
  insns: number;
}

/**
 * Load, run and report a program; the machine is closed afterwards. `setup` runs before
 * the guest (register probes there: what it throws ends the call before anything runs);
 * `after` runs once the guest stopped, before the machine is closed.
 */
export async function runProgram(
  path: string,
  options: MachineOptions,
  hooks: { setup?: (m: Machine) => void; after?: (m: Machine) => void } = {},
): Promise<RunOutcome> {
  const image = loadElfFile(path);
  const m = createMachine(image, options, path);
  try {
    hooks.setup?.(m);
    const stop = m.run();
    hooks.after?.(m);
    // Reports disassemble guest code: show it as the program has it, without breakpoints.
    existingKprobes(m)?.unregisterAll();
    // A shell says nothing when SIGPIPE ends a writer in a pipeline (`yes | head`): neither does this.
    const quiet = stop.kind === 'exit' || (stop.kind === 'signal' && stop.signal === SIGPIPE);
    const report = quiet ? undefined : await describeStop(m, stop);
    return { stop, status: shellStatus(stop), report, insns: m.insns };
  } finally {
    m.close();
  }
}
