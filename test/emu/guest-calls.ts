// Test helpers: a machine on a fixture, and system calls made in its process as a trap would.
import { createMachine, loadElfFile } from '../../src/run.js';
import { PPC_REG } from '../../arch/ppc64/isa.js';
import { doSyscall } from '../../emu/linux.js';
import type { Machine, MachineOptions } from '../../emu/machine.js';
import { fixture, type IsaName } from '../helpers.js';

/** A machine on fixture `name`, its stdout and stderr captured and its notes collected. */
export function machineFor(isa: IsaName, name: string, opts: Partial<MachineOptions> = {}) {
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  const warnings: string[] = [];
  const m = createMachine(loadElfFile(fixture(isa, name)), {
    argv: [name],
    stdout: (b) => out.push(Buffer.from(b)),
    stderr: (b) => err.push(Buffer.from(b)),
    warn: (l) => warnings.push(l),
    ...opts,
  });
  return {
    m,
    out: () => Buffer.concat(out).toString('latin1'),
    err: () => Buffer.concat(err).toString('latin1'),
    warnings,
  };
}

/** Where a system call's number and first six arguments go, per ISA. */
const SYSCALL_REGS = {
  x86_64: ['rax', 'rdi', 'rsi', 'rdx', 'r10', 'r8', 'r9'],
  i386: ['eax', 'ebx', 'ecx', 'edx', 'esi', 'edi', 'ebp'],
  ppc64: ['r0', 'r3', 'r4', 'r5', 'r6', 'r7', 'r8'],
} as const;

/**
 * Run system call `call` (a name or a number) with `args` in the machine's process, as its
 * trap would, and give its result as the kernel leaves it: x86 -errno, ppc64 errno with
 * CR0.SO set.
 */
export function syscallIn(m: Machine, isa: IsaName, call: string | number, args: bigint[] = []): bigint {
  const nr = typeof call === 'number' ? call : [...m.isa.syscalls].find(([, n]) => n === call)?.[0];
  if (nr === undefined) throw new Error(`${isa} has no ${call}`);
  const reg = (name: string | undefined): number => {
    const id = name === undefined ? undefined : m.isa.registers[name];
    if (id === undefined) throw new Error(`no register ${name} for a system call on ${isa}`);
    return id;
  };
  const [nrReg, ...argRegs] = SYSCALL_REGS[isa];
  m.cpu.regWrite(reg(nrReg), nr);
  args.forEach((a, i) => m.cpu.regWrite(reg(argRegs[i]), a));
  doSyscall(m.process);
  const ret = m.cpu.regRead(m.isa.returnReg);
  return isa === 'ppc64' ? ret : BigInt.asIntN(m.isa.wordSize * 8, ret);
}

/** The same call, its result as a number with errors as -errno on every ISA. */
export function sys(m: Machine, isa: IsaName, call: string, args: (bigint | number)[] = []): number {
  const ret = syscallIn(m, isa, call, args.map(BigInt));
  if (isa === 'ppc64' && (m.cpu.regRead(PPC_REG.cr) & (1n << 28n)) !== 0n) return -Number(ret);
  const signed = BigInt.asIntN(m.isa.wordSize * 8, ret);
  // -4095..-1 are errors; anything else (an i386 address above 2 GiB) is a value.
  return Number(signed < 0n && signed >= -4095n ? signed : BigInt.asUintN(m.isa.wordSize * 8, ret));
}

/** One anonymous read-write page of the guest's (mmap through the ISA's own call), for buffers. */
export function scratch(m: Machine, isa: IsaName): number {
  const at = sys(m, isa, isa === 'i386' ? 'mmap2' : 'mmap', [0, 4096, 3, 0x22, -1, 0]);
  if (at <= 0) throw new Error(`mmap of a scratch page failed on ${isa}: ${at}`);
  return at;
}
