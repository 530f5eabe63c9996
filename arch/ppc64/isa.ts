// Counterpart: arch/powerpc start_thread (ELFv1: pc and r2 from the entry descriptor), the
// `sc` system call ABI (r0 number, r3..r8 arguments, CR0[SO] for errors), and the
// program-check causes Linux turns into SIGTRAP/SIGILL.
import type { GuestAddr } from '../../emu/addr.js';
import { EM_PPC64 } from '../../emu/elf.js';
import type { Cpu, IntrEvent, IsaSpec } from '../../emu/isa.js';
import { PPC64_SYSCALLS } from './syscalls.js';
import { defaultTermios } from '../../emu/termios.js';

/** The terminal and pipe ioctls answered (arch/powerpc/include/uapi/asm/ioctls.h: _IOR/_IOW numbers). */
const PPC64_IOCTLS = new Map<number, string>([
  [0x402c7413, 'TCGETS'],
  [0x802c7414, 'TCSETS'],
  [0x802c7415, 'TCSETSW'],
  [0x802c7416, 'TCSETSF'],
  [0x40047477, 'TIOCGPGRP'],
  [0x40087468, 'TIOCGWINSZ'],
  [0x4004667f, 'FIONREAD'],
  [0x8004667e, 'FIONBIO'],
]);

/**
 * tty_std_termios in arch/powerpc/include/uapi/asm/termbits.h's values (the same modes as
 * on x86, other bits); c_cc comes first, then c_line and the two speeds.
 */
const PPC64_TERMIOS = defaultTermios({
  littleEndian: false,
  flags: [0x300, 0x3, 0x4b0f, 0x5cf],
  ccIndex: {
    VINTR: 0,
    VQUIT: 1,
    VERASE: 2,
    VKILL: 3,
    VEOF: 4,
    VMIN: 5,
    VEOL: 6,
    VTIME: 7,
    VEOL2: 8,
    VSWTC: 9,
    VWERASE: 10,
    VREPRINT: 11,
    VSUSP: 12,
    VSTART: 13,
    VSTOP: 14,
    VLNEXT: 15,
    VDISCARD: 16,
  },
  ccOffset: 16,
  size: 44,
  speedOffset: 36,
});

/** Unicorn register ids (unicorn/ppc.h, 2.0.1): rN is 2+N. */
export const PPC_REG = { pc: 1, lr: 74, xer: 75, ctr: 76, msr: 77, fpscr: 78, cr: 79 } as const;
export const gpr = (n: number): number => 2 + n;

const SIGILL = 4;
const SIGBUS = 7;
const SIGSEGV = 11;

/** CR0[SO] as it sits in the 32-bit CR: the kernel sets it when a system call fails. */
const CR0_SO = 0x10000000n;

const MSR_SF = 1n << 63n;
const MSR_HV = 1n << 60n;
const MSR_VSX = 1n << 23n;
const MSR_VEC = 1n << 25n;
const MSR_FP = 1n << 13n;
const MSR_PR = 1n << 14n;
const MSR_EE = 1n << 15n;
const MSR_IR = 1n << 5n;
const MSR_DR = 1n << 4n;

/** QEMU's POWERPC_EXCP_* numbers as Unicorn delivers them to UC_HOOK_INTR. */
const EXCP_DSI = 2;
const EXCP_ISI = 3;
const EXCP_ALIGN = 5;
const EXCP_PROGRAM = 6;
const EXCP_FPU = 7;
const EXCP_SYSCALL = 8;
const EXCP_HV_EMU = 96;

/** mfspr rD, 287 (PVR) with rD masked out. */
const MFPVR = 0x7c1f42a6;
const MFPVR_MASK = 0xfc1fffff;
/** The processor version the guest reads: POWER8 (PVR 0x004d0200), as AT_PLATFORM says. */
const PVR_POWER8 = 0x004d0200n;

/**
 * Time base reads: mftb/mfspr of TBL (268) and TBU (269), rD masked out. Each one crashes
 * Unicorn 2.0.1 (the time base is never set up: a NULL dereference in the host process).
 */
const TB_READS: ReadonlyMap<number, 'tbl' | 'tbu'> = new Map([
  [0x7c0c42e6, 'tbl'], // mftb
  [0x7c0c42a6, 'tbl'], // mfspr rD, 268
  [0x7c0d42e6, 'tbu'], // mftbu
  [0x7c0d42a6, 'tbu'], // mfspr rD, 269
]);
/** The POWER8 time base runs at 512 MHz. */
const TB_HZ = 512_000_000n;

/** tw, td, twi, tdi: the trap family (the kprobe breakpoint is `tw 31,0,0`). */
export function isTrapInsn(insn: number): boolean {
  const op = insn >>> 26;
  const xo = (insn >>> 1) & 0x3ff;
  return op === 2 || op === 3 || (op === 31 && (xo === 4 || xo === 68));
}

/**
 * Unicorn 2.0.1 starts a PPC64 CPU in real mode with MSR[HV] clear, so every instruction
 * fetch faults (upstream issue #1591), and uc_reg_write(MSR) cannot set HV. Find env->msr
 * inside a saved context by toggling MSR[FP] and diffing, set HV there, restore, then
 * enable FP/VEC/VSX (gcc -mcpu=power9 code uses VSX).
 *
 * Then problem state, as Linux runs user code: writing MSR[PR] through uc_reg_write makes
 * QEMU recompute its privilege flags (so mfmsr, mtmsrd, rfid and privileged SPRs raise a
 * privileged-instruction program check, SIGILL as on Linux) but also forces IR/DR/EE on
 * (Book3S: PR=1 implies translation), and with translation on and no page table every
 * fetch faults. So PR goes in through uc_reg_write and IR/DR/EE come out again in the
 * saved context, where env->msr is plain data: addresses stay real (untranslated).
 * Applied only when HV is clear (a fresh CPU).
 */
function enterProblemState(cpu: Cpu): void {
  const msr0 = cpu.regRead(PPC_REG.msr);
  if ((msr0 & MSR_HV) !== 0n) return;
  const at = msrOffset(cpu, msr0);
  const patch = (value: bigint) => {
    const ctx = cpu.contextSave();
    const bytes = cpu.contextBytes(ctx);
    new DataView(bytes.buffer).setBigUint64(at, value, true);
    cpu.setContextBytes(ctx, bytes);
    cpu.contextRestore(ctx);
  };
  patch(msr0 | MSR_HV);
  cpu.regWrite(PPC_REG.msr, msr0 | MSR_HV | MSR_SF | MSR_FP | MSR_VEC | MSR_VSX | MSR_PR);
  patch(cpu.regRead(PPC_REG.msr) & ~(MSR_IR | MSR_DR | MSR_EE));
  const msr = cpu.regRead(PPC_REG.msr);
  if ((msr & (MSR_HV | MSR_PR)) !== (MSR_HV | MSR_PR) || (msr & (MSR_IR | MSR_DR)) !== 0n)
    throw new Error(`PPC64 set-up: MSR 0x${msr.toString(16)} is not HV|PR in real mode`);
}

/** Offset of env->msr inside a saved context: the one word that follows a toggle of MSR[FP]. */
function msrOffset(cpu: Cpu, msr0: bigint): number {
  const ctx = cpu.contextSave();
  const a = cpu.contextBytes(ctx);
  cpu.regWrite(PPC_REG.msr, msr0 ^ MSR_FP);
  const b = cpu.contextBytes(cpu.contextSave(ctx));
  cpu.regWrite(PPC_REG.msr, msr0);
  const dv = new DataView(a.buffer);
  const dvb = new DataView(b.buffer);
  for (let off = 0; off + 8 <= a.length; off += 8) {
    if (
      (dv.getBigUint64(off, true) ^ dvb.getBigUint64(off, true)) === MSR_FP &&
      dv.getBigUint64(off, true) === msr0
    )
      return off;
  }
  throw new Error('PPC64 set-up: env->msr not found in the saved CPU context');
}

function classify(intno: number, cpu: Cpu): IntrEvent {
  const pc = cpu.regReadAddr(PPC_REG.pc);
  switch (intno) {
    case EXCP_SYSCALL:
      return { kind: 'syscall' };
    case EXCP_PROGRAM: {
      // Program check: a trap instruction leaves PC after it; so do privileged ones.
      const insn = Number(cpu.memReadWord(pc - 4, 4, false));
      if (isTrapInsn(insn)) return { kind: 'breakpoint', addr: pc - 4 };
      if ((insn & MFPVR_MASK) === MFPVR) {
        // Linux emulates `mfspr rD, PVR` for user mode (arch/powerpc/kernel/traps.c).
        cpu.regWrite(gpr((insn >>> 21) & 31), PVR_POWER8);
        return { kind: 'emulated' };
      }
      return { kind: 'fault', signal: SIGILL, addr: pc - 4, detail: 'privileged instruction' };
    }
    case EXCP_HV_EMU:
      return { kind: 'fault', signal: SIGILL, addr: pc - 4, detail: 'illegal instruction' };
    case EXCP_FPU:
      return { kind: 'fault', signal: SIGILL, addr: pc, detail: 'floating point unavailable' };
    case EXCP_DSI:
      return { kind: 'fault', signal: SIGSEGV, addr: pc, detail: 'data storage interrupt' };
    case EXCP_ISI:
      return { kind: 'fault', signal: SIGSEGV, addr: pc, detail: 'instruction storage interrupt' };
    case EXCP_ALIGN:
      return { kind: 'fault', signal: SIGBUS, addr: pc, detail: 'alignment interrupt' };
    default:
      return { kind: 'fault', signal: SIGILL, addr: pc, detail: `exception ${intno}` };
  }
}

export function ppc64(): IsaSpec {
  // The kernel's powerpc pt_regs names (regoffset_table: rN/gprN, nip, msr, ctr, link, xer,
  // ccr) and the assembler's lr, cr, pc.
  const registers: Record<string, number> = {
    pc: PPC_REG.pc,
    nip: PPC_REG.pc,
    lr: PPC_REG.lr,
    link: PPC_REG.lr,
    ctr: PPC_REG.ctr,
    xer: PPC_REG.xer,
    msr: PPC_REG.msr,
    cr: PPC_REG.cr,
    ccr: PPC_REG.cr,
  };
  for (let n = 0; n < 32; n++) {
    registers[`r${n}`] = gpr(n);
    registers[`gpr${n}`] = gpr(n);
  }
  // r3..r10; further arguments live in the caller's parameter save area.
  const argumentOffset = (n: number): number | undefined => (n <= 8 ? undefined : 48 + 8 * (n - 1));
  return {
    name: 'ppc64',
    elfMachine: EM_PPC64,
    wordSize: 8,
    littleEndian: false,
    unameMachine: 'ppc64',
    platform: 'power8',
    pcReg: PPC_REG.pc,
    spReg: gpr(1),
    registers,
    syscallInsn: false,
    syscalls: PPC64_SYSCALLS,
    statLayout: 'ppc64',
    ioctls: PPC64_IOCTLS,
    termios: PPC64_TERMIOS,
    // CLONE_BACKWARDS: clone(flags, stack, ptid, tls, ctid) in r3..r7.
    cloneArgs: { flags: 0, stack: 1, parentTid: 2, tls: 3, childTid: 4 },
    // faultPage, 2^52: above the 4 PiB a ppc64 Linux process can reach at most.
    layout: {
      stackTop: 0x3ffffff0000,
      stackSize: 8 << 20,
      mmapTop: 0x3fff7ff0000,
      mmapBottom: 0x20000000,
      until: 0xfffffffffffff000,
      faultPage: 2 ** 52,
    },
    cpuKind: { arch: 'ppc', mode: 64, bigEndian: true },
    breakpointIntr: 6,
    breakpointInsn: Uint8Array.of(0x7f, 0xe0, 0x00, 0x08),
    memHooksSyncPc: false,
    locateDataFault,

    returnReg: gpr(3),
    argumentRegister: (n) => (n >= 1 && n <= 8 ? gpr(2 + n) : undefined),
    argumentOffset,
    argument(cpu, n) {
      const off = argumentOffset(n);
      if (off === undefined) return cpu.regRead(gpr(2 + n));
      return cpu.memReadWord(cpu.regReadAddr(gpr(1)) + off, 8, false);
    },
    setupCall(cpu, fn, args, ret, toc) {
      // A new frame below the current one: 112 bytes of ELFv1 frame header + save area,
      // with the back chain written, r2 = callee's TOC, LR = return address.
      const oldSp = cpu.regReadAddr(gpr(1));
      let sp = oldSp - 288 - 112 - 8 * Math.max(0, args.length - 8);
      sp -= sp % 16;
      cpu.memWriteWord(sp, 8, oldSp, false);
      args.forEach((v, i) => {
        if (i < 8) cpu.regWrite(gpr(3 + i), v);
        else {
          const b = new Uint8Array(8);
          new DataView(b.buffer).setBigUint64(0, BigInt.asUintN(64, v), false);
          cpu.memWrite(sp + 48 + 8 * i, b);
        }
      });
      cpu.regWrite(gpr(1), sp);
      if (toc !== undefined) cpu.regWrite(gpr(2), toc);
      cpu.regWrite(PPC_REG.lr, ret);
      cpu.regWrite(PPC_REG.pc, fn);
    },
    initCpu(cpu) {
      enterProblemState(cpu);
    },
    setEntryState(cpu, entry, sp, toc) {
      cpu.regWrite(gpr(1), sp);
      cpu.regWrite(gpr(2), toc ?? 0);
      cpu.regWrite(PPC_REG.pc, entry);
    },
    syscallNumber(cpu) {
      return Number(cpu.regRead(gpr(0)) & 0xffffffffn);
    },
    syscallArgs(cpu, out) {
      for (let i = 0; i < 6; i++) out[i] = cpu.regRead(gpr(3 + i));
    },
    setSyscallResult(cpu, value) {
      const cr = cpu.regRead(PPC_REG.cr);
      if (value < 0n && value >= -4095n) {
        cpu.regWrite(gpr(3), -value);
        cpu.regWrite(PPC_REG.cr, cr | CR0_SO);
      } else {
        cpu.regWrite(gpr(3), BigInt.asUintN(64, value));
        cpu.regWrite(PPC_REG.cr, cr & ~CR0_SO);
      }
    },
    pcAfterSyscall(cpu) {
      return cpu.regReadAddr(PPC_REG.pc);
    },
    classifyIntr(intno, cpu) {
      return classify(intno, cpu);
    },
    findUnsafe(code, vaddr) {
      const out: GuestAddr[] = [];
      const dv = new DataView(code.buffer, code.byteOffset, code.byteLength);
      for (let off = 0; off + 4 <= code.length; off += 4)
        if (TB_READS.has((dv.getUint32(off, false) & 0xfc1fffff) >>> 0)) out.push(vaddr + off);
      return out;
    },
    emulateUnsafe(cpu, addr, nowNs) {
      const insn = Number(cpu.memReadWord(addr, 4, false));
      const tb = (nowNs * TB_HZ) / 1_000_000_000n;
      const which = TB_READS.get((insn & 0xfc1fffff) >>> 0);
      cpu.regWrite(
        gpr((insn >>> 21) & 31),
        which === 'tbu' ? tb >> 32n : which === 'tbl' ? tb & 0xffffffffffffffffn : 0n,
      );
      cpu.regWrite(PPC_REG.pc, addr + 4);
    },
    cloneTls(tls) {
      // The ppc64 thread pointer is r13.
      return (cpu) => cpu.regWrite(gpr(13), tls);
    },
  };
}

// D/DS-form primary opcodes that load (true) or store (false).
const D_FORM = new Map<number, boolean>([
  [32, true],
  [33, true],
  [34, true],
  [35, true],
  [40, true],
  [41, true],
  [42, true],
  [43, true],
  [46, true],
  [48, true],
  [49, true],
  [50, true],
  [51, true],
  [58, true],
  [36, false],
  [37, false],
  [38, false],
  [39, false],
  [44, false],
  [45, false],
  [47, false],
  [52, false],
  [53, false],
  [54, false],
  [55, false],
  [62, false],
]);
// X-form (primary 31) extended opcodes that load (true) or store (false).
const X_FORM = new Map<number, boolean>([
  [21, true],
  [23, true],
  [53, true],
  [55, true],
  [87, true],
  [119, true],
  [279, true],
  [311, true],
  [341, true],
  [343, true],
  [373, true],
  [375, true],
  [532, true],
  [534, true],
  [790, true],
  [535, true],
  [567, true],
  [599, true],
  [631, true],
  [20, true],
  [84, true],
  [149, false],
  [151, false],
  [181, false],
  [183, false],
  [215, false],
  [247, false],
  [407, false],
  [439, false],
  [660, false],
  [662, false],
  [918, false],
  [663, false],
  [695, false],
  [727, false],
  [759, false],
  [150, false],
  [214, false],
]);

/**
 * Unicorn 2.0.1 reports a bad ppc64 load/store at the start of a translation block, and
 * not always the block holding the access: chained blocks leave the PC of the first. Walk
 * from there along the fall-through path (across conditional branches, up to the first
 * unconditional one) and return the first access of the right kind whose effective
 * address, from the current registers, covers the faulting address.
 */
export function locateDataFault(
  cpu: Cpu,
  blockPc: GuestAddr,
  faultAddr: bigint,
  write: boolean,
): GuestAddr | undefined {
  const reg = (n: number): bigint => (n === 0 ? 0n : cpu.regRead(gpr(n)));
  for (let i = 0; i < 128; i++) {
    const pc = blockPc + 4 * i;
    let insn: number;
    try {
      insn = Number(cpu.memReadWord(pc, 4, false));
    } catch {
      return undefined;
    }
    const op = insn >>> 26;
    const ra = (insn >>> 16) & 31;
    let load: boolean | undefined;
    let ea: bigint | undefined;
    const dLoad = D_FORM.get(op);
    const xLoad = op === 31 ? X_FORM.get((insn >>> 1) & 0x3ff) : undefined;
    if (dLoad !== undefined) {
      load = dLoad;
      const d = op === 58 || op === 62 ? insn & 0xfffc : insn & 0xffff;
      ea = BigInt.asUintN(64, reg(ra) + BigInt((d << 16) >> 16));
    } else if (xLoad !== undefined) {
      load = xLoad;
      ea = BigInt.asUintN(64, reg(ra) + cpu.regRead(gpr((insn >>> 11) & 31)));
    }
    if (ea !== undefined && load === !write && faultAddr >= ea && faultAddr < ea + 16n) return pc;
    if (op === 18 || op === 19 || op === 17) return undefined;
  }
  return undefined;
}
