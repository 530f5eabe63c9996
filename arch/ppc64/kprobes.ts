// Counterpart: arch/ppc64/kernel/kprobes.c of Linux 2.6.13 (arch_prepare_kprobe refusing
// rfid and mtmsrd, a `trap` as the breakpoint, the copy stepped out of line) and, for
// branches, the emulate_step of arch/powerpc/lib/sstep.c that later kernels try first.
//
// Stepping: Unicorn 2.0.1 does not honour MSR[SE], so a step is the copy in its slot
// followed by a `trap`. A taken branch would jump past that trap, so branches never run in
// the slot: they are emulated at the hit, once, with their side effects (LR for LK=1, CTR
// for the bdnz family) applied once. Linux 2.6.12 stepped the copy and then emulated the
// branch again, decrementing CTR twice; here an instruction is either emulated or stepped.
import { addrOf, type GuestAddr } from '../../emu/addr.js';
import { walkStack } from '../../emu/cfi.js';
import type { Cpu } from '../../emu/isa.js';
import type { KprobeArch, PrepareContext, StepPlan } from '../kprobe-arch.js';
import { ProbeError } from '../kprobe-arch.js';
import { gpr, isTrapInsn, PPC_REG } from './isa.js';

/** `tw 31,0,0`, the unconditional `trap` of arch/powerpc (BREAKPOINT_INSTRUCTION). */
export const PPC_TRAP = 0x7fe00008;

const MASK64 = (1n << 64n) - 1n;

/** How the probed instruction is carried out, decided once at registration. */
export type PpcClass =
  | 'step' //   copied to the slot, followed by a trap
  | 'branch' // b, bc, bclr, bcctr in every AA/LK/BO form: emulated at the hit
  | 'trap'; //  tw, td, twi, tdi: the condition is evaluated at the hit (the guest's own trap)

export interface PpcAinsn {
  insn: number;
  cls: PpcClass;
}

const op = (insn: number): number => insn >>> 26;
const xo = (insn: number): number => (insn >>> 1) & 0x3ff;

/** Extended opcodes of primary opcode 31 that begin or end a reservation. */
const LARX = new Map([
  [52, 'lbarx'],
  [116, 'lharx'],
  [20, 'lwarx'],
  [84, 'ldarx'],
  [276, 'lqarx'],
]);
const STCX = new Map([
  [694, 'stbcx.'],
  [726, 'sthcx.'],
  [150, 'stwcx.'],
  [214, 'stdcx.'],
  [182, 'stqcx.'],
]);
/** gdb's ppc_deal_with_atomic_sequence looks this far for the closing store-conditional. */
const ATOMIC_SEQUENCE_LENGTH = 16;

const larx = (insn: number): string | undefined => (op(insn) === 31 ? LARX.get(xo(insn)) : undefined);
const stcx = (insn: number): string | undefined =>
  op(insn) === 31 && (insn & 1) === 1 ? STCX.get(xo(insn)) : undefined;

/** Instructions that cannot run out of line, with the reason given to the user. */
function refusal(insn: number): string | undefined {
  const o = op(insn);
  const x = xo(insn);
  // No instruction has primary opcode 0 (it traps as illegal): a word of data in the text,
  // such as a switch's jump table. A trap written there would be read as an offset.
  if (o === 0)
    return `0x${insn.toString(16).padStart(8, '0')} is no instruction (primary opcode 0): data in the code, such as a jump table`;
  if (o === 19 && (x === 18 || x === 274 || x === 50))
    return (
      `${x === 18 ? 'rfid' : x === 274 ? 'hrfid' : 'rfi'} returns from an interrupt: ` +
      'it cannot be stepped out of line'
    );
  if (o === 31 && (x === 178 || x === 146))
    return `${x === 178 ? 'mtmsrd' : 'mtmsr'} changes the machine state: it cannot be stepped out of line`;
  if (o === 19 && x === 560) return 'bctar branches through TAR, which the emulator does not expose';
  if (o === 19 && x === 528 && ((insn >>> 21) & 4) === 0)
    return 'bcctr with a CTR-decrementing BO is an invalid form';
  if (o === 19 && (x & 0x1f) === 2) return 'addpcis reads the address of the instruction itself';
  const l = larx(insn);
  if (l)
    return `${l} opens a load-reserve/store-conditional sequence: a trap inside it loses the reservation`;
  const s = stcx(insn);
  if (s)
    return `${s} closes a load-reserve/store-conditional sequence: a trap inside it loses the reservation`;
  return undefined;
}

function classify(insn: number): PpcClass {
  const o = op(insn);
  if (o === 18 || o === 16 || (o === 19 && (xo(insn) === 16 || xo(insn) === 528))) return 'branch';
  if (isTrapInsn(insn)) return 'trap';
  return 'step';
}

const sext = (v: number, bits: number): bigint => BigInt.asIntN(bits, BigInt(v));

/**
 * Carry out a branch at `addr` on the CPU, as the Power ISA defines it for 64-bit mode:
 * CTR decremented (BO[2]=0), then the CTR and CR conditions, LR = addr + 4 when LK=1, PC to
 * the target when taken or to addr + 4. The target of b/bc is relative to `addr` unless AA.
 */
export function emulateBranch(cpu: Cpu, insn: number, at: GuestAddr): void {
  // Register arithmetic: targets wrap modulo 2^64 as on the CPU.
  const addr = BigInt(at);
  const next = (addr + 4n) & MASK64;
  const o = op(insn);
  let target: bigint;
  let taken = true;
  if (o === 18) {
    const li = sext(insn & 0x03fffffc, 26);
    target = insn & 2 ? li : addr + li;
  } else {
    const bo = (insn >>> 21) & 31;
    const bi = (insn >>> 16) & 31;
    if ((bo & 4) === 0) {
      const ctr = (cpu.regRead(PPC_REG.ctr) - 1n) & MASK64;
      cpu.regWrite(PPC_REG.ctr, ctr);
      if ((ctr !== 0n) === ((bo & 2) !== 0)) taken = false;
    }
    if ((bo & 16) === 0) {
      const bit = (cpu.regRead(PPC_REG.cr) >> BigInt(31 - bi)) & 1n;
      if ((bit === 1n) !== ((bo & 8) !== 0)) taken = false;
    }
    if (o === 16) {
      const bd = sext(insn & 0xfffc, 16);
      target = insn & 2 ? bd : addr + bd;
    } else target = cpu.regRead(xo(insn) === 16 ? PPC_REG.lr : PPC_REG.ctr) & ~3n;
  }
  if (insn & 1) cpu.regWrite(PPC_REG.lr, next);
  cpu.regWrite(PPC_REG.pc, taken ? target & MASK64 : next);
}

/** Whether tw/td/twi/tdi would trap with the CPU's registers (TO: lt gt eq ltu gtu). */
export function trapTaken(cpu: Cpu, insn: number): boolean {
  const to = (insn >>> 21) & 31;
  const ra = cpu.regRead(gpr((insn >>> 16) & 31));
  const o = op(insn);
  const wide = o === 2 || (o === 31 && xo(insn) === 68);
  const b =
    o === 2 || o === 3 ? BigInt.asUintN(64, sext(insn & 0xffff, 16)) : cpu.regRead(gpr((insn >>> 11) & 31));
  const bits = wide ? 64 : 32;
  const sa = BigInt.asIntN(bits, ra);
  const sb = BigInt.asIntN(bits, b);
  const ua = BigInt.asUintN(bits, ra);
  const ub = BigInt.asUintN(bits, b);
  return (
    ((to & 16) !== 0 && sa < sb) ||
    ((to & 8) !== 0 && sa > sb) ||
    ((to & 4) !== 0 && sa === sb) ||
    ((to & 2) !== 0 && ua < ub) ||
    ((to & 1) !== 0 && ua > ub)
  );
}

const word = (b: Uint8Array, at = 0): number => new DataView(b.buffer, b.byteOffset).getUint32(at, false);

/**
 * An address inside a larx .. stcx. sequence (as gdb refuses to step into one): a larx
 * at or before `addr`, with no stcx. between, and a stcx. at or after it within reach.
 */
function atomicSequence(
  ctx: PrepareContext,
  addr: GuestAddr,
  start: GuestAddr,
  end: GuestAddr,
): string | undefined {
  let open: GuestAddr | undefined;
  for (let a = addr - 4; a >= start && a > addr - 4 * ATOMIC_SEQUENCE_LENGTH; a -= 4) {
    const w = word(ctx.read(a, 4));
    if (stcx(w)) return undefined;
    if (larx(w)) {
      open = a;
      break;
    }
  }
  if (open === undefined) return undefined;
  for (let a = addr; a < end && a < open + 4 * ATOMIC_SEQUENCE_LENGTH; a += 4) {
    const w = word(ctx.read(a, 4));
    if (stcx(w))
      return (
        `${ctx.symbols.format(addr)} is inside the load-reserve/store-conditional sequence ` +
        `${larx(word(ctx.read(open, 4)))} at ${ctx.symbols.format(open)} .. ${stcx(w)} at ${ctx.symbols.format(a)}: ` +
        'a trap there loses the reservation'
      );
  }
  return undefined;
}

/** Fault handler trap numbers: the vector Linux stores in regs->trap for each signal. */
const TRAP_VECTORS: ReadonlyMap<number, number> = new Map([
  [11, 0x300], // data storage
  [7, 0x600], //  alignment
  [4, 0x700], //  program check (illegal, privileged)
  [5, 0x700], //  program check (trap)
  [8, 0x700], //  program check (floating point enabled)
]);

/** ppc64 as the kprobe core sees it. */
export function ppc64KprobeArch(): KprobeArch<PpcAinsn> {
  const trap = new Uint8Array(4);
  new DataView(trap.buffer).setUint32(0, PPC_TRAP, false);
  return {
    breakpoint: trap,
    // The copy and the trap after it; the boosted copy and a branch back.
    insnSlotSize: 16,
    // The boosted copy branches back with `b` (+-32 MB): slots stay within its reach.
    insnSlotReach: 2 ** 25 - 0x10000,
    trapNumber(signal) {
      return TRAP_VECTORS.get(signal) ?? 0x700;
    },

    prepare(ctx, addr) {
      if (addr % 4 !== 0)
        throw new ProbeError(
          'EINVAL',
          `0x${addr.toString(16)} is not 4-byte aligned: ppc64 instructions are`,
        );
      const f = ctx.functionAt(addr);
      if (!f)
        throw new ProbeError(
          'EINVAL',
          `0x${addr.toString(16)} is not inside a known function's code (no symbol or .eh_frame entry covers it)`,
        );
      const bytes = ctx.read(addr, 4);
      if (bytes.length < 4) throw new ProbeError('EINVAL', `${ctx.symbols.format(addr)} is not readable`);
      const insn = word(bytes);
      const why = refusal(insn);
      if (why) throw new ProbeError('EINVAL', `cannot probe ${ctx.symbols.format(addr)}: ${why}`);
      const start = f.addr;
      const seq = atomicSequence(ctx, addr, start, start + (f.size > 0 ? f.size : 4));
      if (seq) throw new ProbeError('EINVAL', `cannot probe ${seq}`);
      return { insn, cls: classify(insn) };
    },

    insnSlotBytes(a, addr, slot) {
      // [copy, trap] for stepping; [copy, b addr+4] at +8 for the booster.
      const out = new Uint8Array(16);
      const dv = new DataView(out.buffer);
      dv.setUint32(0, a.insn, false);
      dv.setUint32(4, PPC_TRAP, false);
      dv.setUint32(8, a.insn, false);
      const rel = addr + 4 - (slot + 12);
      if (rel < -(2 ** 25) || rel >= 2 ** 25)
        throw new ProbeError('EINVAL', 'the out-of-line slot is out of `b` reach of the probed code');
      dv.setUint32(12, ((18 << 26) | (rel & 0x3ffffff)) >>> 0, false);
      return out;
    },

    boostable(a) {
      // Not sc (a task parked in the slot could outlive it), not branches or traps (emulated).
      return a.cls === 'step' && op(a.insn) !== 17;
    },
    setupBoost(cpu, _a, slot) {
      cpu.regWrite(PPC_REG.pc, slot + 8);
    },
    originalPc(_a, addr, slot, pc) {
      const off = pc - slot;
      return off === 0 || off === 8 ? addr : addr + 4;
    },

    stepEndAddr(_a, slot) {
      return slot + 4;
    },

    setupSinglestep(cpu, a, addr, slot): StepPlan {
      switch (a.cls) {
        case 'branch':
          emulateBranch(cpu, a.insn, addr);
          return 'emulated';
        case 'trap':
          if (trapTaken(cpu, a.insn)) return 'guest-trap';
          cpu.regWrite(PPC_REG.pc, addr + 4);
          return 'emulated';
        case 'step':
          cpu.regWrite(PPC_REG.pc, slot);
          return 'step';
      }
    },

    /*
     * resume_execution: only stepped instructions get here with work to do. The step ended
     * at the trap after the copy (PC = slot + 4), so PC = addr + (PC - slot). An abandoned
     * step (a fault, a clone child) goes back to addr, or past it when the copy was a system
     * call that completed (the child of clone).
     */
    resumeExecution(cpu, a, addr, slot, _st, completed) {
      if (a.cls !== 'step') return;
      const pc = cpu.regReadAddr(PPC_REG.pc);
      if (completed) cpu.regWrite(PPC_REG.pc, addr + (pc - slot));
      else cpu.regWrite(PPC_REG.pc, pc === slot + 4 ? addr + 4 : addr);
    },

    describe(a) {
      return a.cls === 'branch'
        ? 'branch, emulated'
        : a.cls === 'trap'
          ? 'trap, condition evaluated'
          : 'stepped out of line';
    },

    trampolineInsn: Uint8Array.of(0x60, 0x00, 0x00, 0x00),
    returnAddress(cpu) {
      return cpu.regReadAddr(PPC_REG.lr);
    },
    returnEntryRegs: [gpr(1), PPC_REG.lr],
    setReturnAddress(cpu, _sp, addr) {
      cpu.regWrite(PPC_REG.lr, addr);
    },
    returnAddressAt() {
      return undefined; // in LR until the prologue's mflr/std
    },
    savedReturnAddressAt(sp) {
      // The 64-bit PowerPC ELF ABI (v1 and v2): a non-leaf function saves LR at 16(r1) of
      // its caller's frame, whose back chain r1 points at on entry.
      return sp + 16;
    },

    frameAlive(stack, sp, ctx) {
      // r1 at entry is the caller's sp; a call from inside a frame is below it, a tail call
      // reuses it, and a return restores exactly the returning call's own.
      return ctx === 'chain' ? sp <= stack : sp < stack;
    },

    hasReturnPath(ctx, start, end) {
      for (let at = start; at < end; at += 4) {
        const insn = word(ctx.read(at, 4));
        const o = op(insn);
        if ((insn & 1) === 1 && (o === 16 || o === 18 || o === 19)) continue; // linking: a call
        if (o === 19 && (xo(insn) === 16 || xo(insn) === 528 || xo(insn) === 560)) return true; // blr, bctr, bctar
        if (o === 18 || o === 16) {
          const disp = o === 18 ? ((insn & 0x03fffffc) << 6) >> 6 : ((insn & 0xfffc) << 16) >> 16;
          // An absolute target below zero is past 2^63 on the CPU: outside the function too.
          const target = insn & 2 ? disp : at + disp;
          if (target < start || target >= end) return true;
        }
      }
      return false;
    },

    unwind(cpu, read, max, h = {}) {
      const readValue = h.readWord ?? ((a: GuestAddr) => BigInt(read(a)));
      return walkStack(
        {
          pc: h.pc ?? cpu.regReadAddr(PPC_REG.pc),
          reg: (n) => {
            const id =
              n < 32 ? gpr(n) : n === DWARF_LR ? PPC_REG.lr : n === DWARF_CTR ? PPC_REG.ctr : undefined;
            return id === undefined ? undefined : cpu.regRead(id);
          },
          spColumn: 1,
          readWord: readValue,
          frameInfo: h.frameInfo,
          mapReturn: h.mapReturn,
          fallback: (f) => {
            const sp = f.reg(1);
            if (sp === undefined) return undefined;
            // Before the prologue's `stdu r1` (or at the `blr` after the epilogue) the
            // return address is in LR and r1 is the caller's own.
            if (f.depth === 0 && h.code && inLinkRegister(h.code, f.pc)) {
              const lr = f.reg(DWARF_LR);
              return lr === undefined ? undefined : { ra: addrOf(lr), reg: f.reg };
            }
            // ELFv1 back chain: [sp] is the caller's frame; a function's return address
            // sits in its caller's frame at +16 (the LR save doubleword).
            const next = readValue(addrOf(sp));
            if (next <= sp) return undefined;
            const ra = read(addrOf(next) + 16);
            return { ra, reg: (n: number) => (n === 1 ? next : f.reg(n)) };
          },
        },
        max,
      );
    },
  };
}

/** LR and CTR in the 64-bit PowerPC ELF ABI's DWARF numbering (r0-r31 are 0-31). */
const DWARF_LR = 65;
const DWARF_CTR = 66;
/** Instructions of a function looked at for its prologue's stack frame, at most. */
const PROLOGUE_SCAN = 1024;

/**
 * Whether the return address is still (or again) in LR at `pc`, in a function no FDE
 * describes: no `stdu r1,-N(r1)` / `stdux r1,r1,rN` from its start up to `pc` (the frame
 * is not made yet: the ABI makes it before any call), or `pc` is at `blr`.
 */
function inLinkRegister(code: PrepareContext, pc: GuestAddr): boolean {
  try {
    if (word(code.read(pc, 4)) === 0x4e800020) return true;
    const fn = code.functionAt(pc);
    if (!fn || pc - fn.addr > PROLOGUE_SCAN * 4) return false;
    if (pc === fn.addr) return true;
    const body = code.read(fn.addr, pc - fn.addr);
    for (let at = 0; at + 4 <= body.length; at += 4) {
      const insn = word(body, at);
      if ((insn & 0xffff0003) >>> 0 === 0xf8210001 || (insn & 0xffff07fe) >>> 0 === 0x7c21016a) return false;
    }
    return true;
  } catch {
    // Code that cannot be read: no prologue is known.
    return false;
  }
}
