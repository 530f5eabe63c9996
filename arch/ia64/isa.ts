// Counterpart: Linux arch/ia64: start_thread and ia64_set_rbs_bot (process.c), the
// break-based system call ABI (ivt.S break_fault: number in r15, arguments in out0-out5,
// result in r8 with r10 = 0 or -1), ia64_bad_break (traps.c) for the other breaks, and the
// IA-64 software conventions' calling convention (arguments in the callee's r32 on).
import { REGION_SPAN, wordOfAddr } from '../../emu/addr.js';
import { EM_IA_64 } from '../../emu/elf.js';
import { AR } from '../../emu/ia64/cpu.js';
import { IA64_REG, SINGLE_STEP_TRAP } from '../../emu/ia64/engine.js';
import type { Cpu, IntrEvent, IsaSpec } from '../../emu/isa.js';
import { GENERIC_IOCTLS, GENERIC_TERMIOS } from '../../emu/termios.js';
import { IA64_SYSCALLS } from './syscalls.js';

/** Register ids of the IA-64 engine (emu/ia64/engine.ts). */
export const gr = (n: number): number => IA64_REG.gr + n;
export const IA64 = {
  ip: IA64_REG.ip,
  cfm: IA64_REG.cfm,
  psr: IA64_REG.psr,
  b0: IA64_REG.br,
  sp: gr(12),
  gp: gr(1),
  ar: (n: number): number => IA64_REG.ar + n,
} as const;

/** __IA64_BREAK_KPROBE and __IA64_BREAK_JPROBE (asm/break.h): the immediates of probe breaks. */
export const BREAK_KPROBE = 0x80200;
const BREAK_JPROBE = 0x80300;

const SIGILL = 4;
const SIGTRAP = 5;
const SIGFPE = 8;

/**
 * The address layout, folded (emu/addr.ts: region * 2^50 + offset). Linux's STACK_TOP is
 * region 3 plus RGN_MAP_LIMIT (2^44 less a 16 KiB page); the register backing store grows
 * up from the bottom of the stack's 8 MiB rlimit (ia64_set_rbs_bot) while the memory stack
 * grows down from the top, so one 8 MiB mapping holds both. mmap goes in region 1
 * (DEFAULT_MAP_BASE 0x2000000000000000), text is in region 2, data and brk in region 3.
 */
const REGION = (r: number): number => r * REGION_SPAN;
const STACK_TOP = REGION(3) + 2 ** 44 - 0x4000;
const STACK_SIZE = 8 << 20;
const RBS_BOT = STACK_TOP - STACK_SIZE;

/** The first `sol` of the frame are its locals: out0 is r32 + sol (CFM.sol is bits 7-13). */
function outReg(cpu: Cpu, i: number): number {
  const sol = Number((cpu.regRead(IA64.cfm) >> 7n) & 0x7fn);
  return gr(32 + sol + i);
}

/** What ia64_bad_break makes of a break that is neither a system call nor a probe's. */
function badBreak(imm: number, addr: number): IntrEvent {
  if (imm === BREAK_KPROBE || imm === BREAK_JPROBE) return { kind: 'breakpoint', addr };
  if (imm >= 1 && imm <= 9)
    return { kind: 'fault', signal: SIGFPE, addr, detail: `break ${imm} (arithmetic trap)` };
  // 0x40000-0xfffff are for debuggers (SIGTRAP); the rest, break 0 included, are illegal.
  if ((imm >= 0x3f000 && imm < 0x40000) || (imm >= 0x40000 && imm < 0x100000))
    return { kind: 'fault', signal: SIGTRAP, addr, detail: `break 0x${imm.toString(16)}` };
  return { kind: 'fault', signal: SIGILL, addr, detail: `break 0x${imm.toString(16)}` };
}

export function ia64(): IsaSpec {
  // The assembler's names (r0-r127, p0-p63, b0-b7, ar.*), its aliases (sp, gp, tp, rp), the
  // stacked inputs in0-in7 (r32-r39 after alloc: the callee's frame starts at its inputs),
  // and ip and cfm.
  const registers: Record<string, number> = { ip: IA64.ip, pc: IA64.ip, cfm: IA64.cfm, psr: IA64.psr };
  for (let n = 0; n < 128; n++) registers[`r${n}`] = gr(n);
  for (let n = 0; n < 64; n++) registers[`p${n}`] = IA64_REG.pr + n;
  for (let n = 0; n < 8; n++) registers[`b${n}`] = IA64_REG.br + n;
  for (let n = 0; n < 8; n++) registers[`in${n}`] = gr(32 + n);
  Object.assign(registers, { sp: gr(12), gp: gr(1), tp: gr(13), rp: IA64_REG.br });
  for (const [name, n] of Object.entries(AR)) {
    const lower = name.toLowerCase();
    registers[`ar.${lower}`] = IA64.ar(n);
    registers[lower] = IA64.ar(n);
  }
  // Arguments 1-8 are in r32-r39 of the callee's frame; the rest on the memory stack above
  // its 16-byte scratch area.
  const argumentOffset = (n: number): number | undefined => (n <= 8 ? undefined : 16 + 8 * (n - 9));
  return {
    name: 'ia64',
    elfMachine: EM_IA_64,
    wordSize: 8,
    littleEndian: true,
    unameMachine: 'ia64',
    platform: 'ia64',
    pcReg: IA64.ip,
    spReg: IA64.sp,
    registers,
    syscallInsn: false,
    syscalls: IA64_SYSCALLS,
    // struct stat of ia64 has x86_64's fields at x86_64's offsets.
    statLayout: 'x86_64',
    ioctls: GENERIC_IOCTLS,
    termios: GENERIC_TERMIOS,
    // clone(flags, stack, ptid, ctid, tls) in out0-out4.
    cloneArgs: { flags: 0, stack: 1, parentTid: 2, childTid: 3, tls: 4 },
    layout: {
      stackTop: STACK_TOP,
      stackSize: STACK_SIZE,
      mmapTop: REGION(1) + 2 ** 44,
      mmapBottom: REGION(1),
      // Region 7 is never mapped here: the top of the folded space, below 2^53.
      until: REGION(8) - 0x1000,
      faultPage: REGION(8) - 0x2000,
    },
    cpuKind: { arch: 'ia64', mode: 64, bigEndian: false },
    // A break fault leaves IP at the break's own slot (emu/ia64/engine.ts): the breakpoint is
    // at PC itself, so no bytes are taken off. The probe's break is a 41-bit slot, which the
    // IA-64 kprobes will patch into a bundle (arch/ia64 kprobes are still to come).
    breakpointIntr: BREAK_KPROBE,
    breakpointInsn: new Uint8Array(0),
    memHooksSyncPc: false,

    returnReg: gr(8),
    argumentRegister: (n) => (n >= 1 && n <= 8 ? gr(31 + n) : undefined),
    argumentOffset,
    argument(cpu, n) {
      const off = argumentOffset(n);
      if (off === undefined) return cpu.regRead(gr(31 + n));
      return cpu.memReadWord(cpu.regReadAddr(IA64.sp) + off, 8, true);
    },
    setupCall(cpu, fn, args, ret, toc) {
      // The caller's context is saved around a guest call (Machine.callGuest), so the current
      // frame becomes the callee's: sof = the register arguments, sol = 0, and ar.pfs names
      // that frame again so br.ret leaves the register stack where it is.
      const inRegs = Math.min(args.length, 8);
      cpu.regWrite(IA64.cfm, BigInt(inRegs));
      cpu.regWrite(IA64.ar(AR.PFS), BigInt(inRegs));
      const oldSp = cpu.regReadAddr(IA64.sp);
      let sp = oldSp - 16 - 8 * Math.max(0, args.length - 8) - 16;
      sp -= sp % 16;
      args.forEach((v, i) => {
        if (i < 8) cpu.regWrite(gr(32 + i), v);
        else cpu.memWriteWord(sp + 16 + 8 * (i - 8), 8, v, true);
      });
      cpu.regWrite(IA64.sp, sp);
      if (toc !== undefined) cpu.regWrite(IA64.gp, toc);
      cpu.regWrite(IA64.b0, ret);
      cpu.regWrite(IA64.ip, fn);
    },
    initCpu() {
      // The interpreter starts in user mode with ar.rsc and ar.fpsr at Linux's defaults.
    },
    setEntryState(cpu, entry, sp, toc) {
      // start_thread: r12 leaves 16 bytes of scratch below argc; the register backing store
      // starts at the bottom of the stack rlimit with an empty frame.
      cpu.regWrite(IA64.sp, sp - 16);
      cpu.regWrite(IA64.ar(AR.BSPSTORE), RBS_BOT);
      cpu.regWrite(IA64.cfm, 0n);
      if (toc !== undefined) cpu.regWrite(IA64.gp, toc);
      cpu.regWrite(IA64.ip, entry);
    },
    syscallNumber(cpu) {
      return Number(cpu.regRead(gr(15)) & 0xffffffffn);
    },
    syscallArgs(cpu, out) {
      for (let i = 0; i < 6; i++) out[i] = cpu.regRead(outReg(cpu, i));
    },
    setSyscallResult(cpu, value) {
      if (value < 0n && value >= -4095n) {
        cpu.regWrite(gr(8), -value);
        cpu.regWrite(gr(10), -1n);
        return;
      }
      // A folded address (mmap's, brk's) goes back as the address it stands for.
      const v = value >= BigInt(REGION_SPAN) && value < 1n << 53n ? wordOfAddr(Number(value)) : value;
      cpu.regWrite(gr(8), v);
      cpu.regWrite(gr(10), 0n);
    },
    pcAfterSyscall(cpu) {
      return cpu.regReadAddr(IA64.ip);
    },
    classifyIntr(intno, cpu) {
      if (intno === SINGLE_STEP_TRAP) return { kind: 'singlestep', addr: cpu.regReadAddr(IA64.ip) };
      return badBreak(intno, cpu.regReadAddr(IA64.ip));
    },
    cloneStack(cpu, stack, size) {
      // copy_thread: r12 = stack_base + stack_size - 16, ar.bspstore = stack_base with no
      // caller frame on the register stack (the child must not return from the caller of
      // clone2). sys_clone passes a size of 16 (arch/ia64/kernel/entry.S), clone2 the caller's.
      cpu.regWrite(IA64.sp, stack + (size ?? 16n) - 16n);
      cpu.regWrite(IA64_REG.rbs, stack);
    },
    cloneTls(tls) {
      // The IA-64 thread pointer is r13.
      return (cpu) => cpu.regWrite(gr(13), tls);
    },
  };
}
