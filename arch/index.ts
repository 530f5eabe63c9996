// The instruction sets kprobe-emu runs, by ELF machine.
import { EM_386, EM_IA_64, EM_PPC64, EM_X86_64 } from '../emu/elf.js';
import type { IsaSpec } from '../emu/isa.js';
import { ia64 } from './ia64/isa.js';
import { ia64KprobeArch } from './ia64/kprobes.js';
import { ppc64 } from './ppc64/isa.js';
import { ppc64KprobeArch } from './ppc64/kprobes.js';
import { i386, x86_64 } from './x86/isa.js';
import { x86KprobeArch } from './x86/kprobes.js';
import type { KprobeArch } from './kprobe-arch.js';

const BY_MACHINE: ReadonlyMap<number, () => IsaSpec> = new Map([
  [EM_386, i386],
  [EM_X86_64, x86_64],
  [EM_PPC64, ppc64],
  [EM_IA_64, ia64],
]);

/** A fresh ISA description for an ELF machine, or undefined when it is not supported. */
export function isaForMachine(machine: number): IsaSpec | undefined {
  return BY_MACHINE.get(machine)?.();
}

export const ISA_NAMES = ['i386', 'x86_64', 'ppc64'] as const;

/** The kprobe arch hooks for an ISA, or undefined where kprobes are not implemented. */
export function kprobeArchFor(isa: IsaSpec): KprobeArch<unknown> | undefined {
  const make = KPROBE_ARCHES.get(isa.name);
  return make?.() as KprobeArch<unknown> | undefined;
}

const KPROBE_ARCHES: ReadonlyMap<string, () => KprobeArch<never>> = new Map([
  ['x86_64', () => x86KprobeArch(64) as KprobeArch<never>],
  ['i386', () => x86KprobeArch(32) as KprobeArch<never>],
  ['ppc64', () => ppc64KprobeArch() as KprobeArch<never>],
  ['ia64', () => ia64KprobeArch() as KprobeArch<never>],
]);
