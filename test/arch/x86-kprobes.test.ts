// The x86 fix-ups of resume_execution on a CPU of registers alone: the cases a fixture's
// layout does not reach.
import { describe, expect, it } from 'vitest';
import { decodeX86 } from '../../arch/x86/decode.js';
import { X86_REG } from '../../arch/x86/isa.js';
import { x86KprobeArch, type X86Ainsn } from '../../arch/x86/kprobes.js';
import { fakeCpu } from './fake-cpu.js';

describe('x86 resume_execution: a relative branch whose copy wraps past address 0', () => {
  // uw_init_context_1+0x52 in static glibc: `jne rel32` to its .cold part 0x87ef0 bytes
  // below, copied to a slot lower than that distance.
  const bytes = Uint8Array.of(0x0f, 0x85, 0x10, 0x81, 0xf7, 0xff);
  const ainsn = (mode: 32 | 64): X86Ainsn => ({
    insn: decodeX86(bytes, mode),
    cls: 'default',
    bytes,
    boost: false,
  });
  const [addr, slot] = [0x4863e0, 0x863e0];
  const target = addr + 6 - 0x87ef0;
  it.each([
    [64, X86_REG.rip, X86_REG.rflags, X86_REG.rsp],
    [32, X86_REG.eip, X86_REG.eflags, X86_REG.esp],
  ] as const)('%i-bit: PC goes to the original target', (mode, pc, flags, sp) => {
    const inSlot = BigInt.asUintN(mode, BigInt(slot + 6 - 0x87ef0));
    const cpu = fakeCpu({ [pc]: inSlot, [flags]: 0x346n, [sp]: 0x7fff0000n });
    x86KprobeArch(mode).resumeExecution(cpu, ainsn(mode), addr, slot, { savedFlags: 0n }, true);
    expect(cpu.regs.get(pc)).toBe(BigInt(target));
    expect(cpu.regs.get(flags)).toBe(0x246n);
  });
});
