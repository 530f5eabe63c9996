// Counterpart: arch/i386/kernel/kprobes.c and arch/x86_64/kernel/kprobes.c of Linux 2.6.13
// (arch_prepare_kprobe, prepare_singlestep, resume_execution), with the 2.6.12 bugs fixed:
// prefixes (66, f2/f3, segment, REX) are skipped before the opcode is classified, and
// ff /2../5 are told apart by the ModRM reg field, not the opcode byte.
//
// Stepping: the copy runs in its slot with EFLAGS.TF set, so Unicorn raises a debug trap
// after exactly one instruction wherever it went (a taken jcc, a call, a ret). An int3
// after the copy catches what leaves no TF trap (int 0x80, whose exception path skips it).
import { addrOf, type GuestAddr } from '../../emu/addr.js';
import { walkStack, type Caller, type Frame } from '../../emu/cfi.js';
import type { KprobeArch, PrepareContext, StepPlan, StepState } from '../kprobe-arch.js';
import { ProbeError } from '../kprobe-arch.js';
import { decodeX86, DecodeError, isRepString, type X86Insn } from './decode.js';
import { X86_REG, x86StackWords } from './isa.js';

const TF = 0x100n;
const IF = 0x200n;

/** What resume_execution does for the instruction, decided once at prepare time. */
export type X86Class =
  | 'default' //    PC = orig + (PC - slot): ordinary, jmp/jcc/loop rel, syscall
  | 'ret' //        c3 c2 cb ca: PC already right (taken from the stack)
  | 'call-rel' //   e8: fix the pushed return address; PC by the default rule
  | 'call-ind' //   ff /2: fix the pushed return address; PC absolute, keep
  | 'jmp-ind' //    ff /4: PC absolute, keep
  | 'pushf' //      9c: the pushed flags get the original TF back
  | 'rep-string' // f2/f3 + movs/cmps/stos/lods/scas/ins/outs: run whole, no TF (see setupSinglestep)
  | 'pause' //      f3 90: emulated at the hit (see setupSinglestep)
  | 'int3'; //      cc: the guest's own breakpoint, delivered in place

export interface X86Ainsn {
  insn: X86Insn;
  cls: X86Class;
  /** The original instruction bytes. */
  bytes: Uint8Array;
  /** Can run boosted: the copy then `jmp` back (can_boost). */
  boost: boolean;
}

/**
 * can_boost: straight-line instructions only. Not control flow (its own fix-up classes, and
 * jcc/jmp/loop/jrcxz rel), not system calls or software interrupts (a task parked in the
 * slot could outlive it), not cli/sti/popf/hlt (flags and state the step tracks), not int3.
 */
function canBoost(insn: X86Insn, cls: X86Class): boolean {
  if (cls !== 'default' && cls !== 'pushf') return false;
  const op = insn.opcode;
  if (
    (op >= 0x70 && op <= 0x7f) ||
    (op >= 0x0f80 && op <= 0x0f8f) ||
    (op >= 0xe0 && op <= 0xe3) ||
    op === 0xe9 ||
    op === 0xeb
  )
    return false;
  if (
    op === 0xcd ||
    op === 0xce ||
    op === 0xf1 ||
    op === 0x0f05 ||
    op === 0x0f34 ||
    op === 0x0f07 ||
    op === 0x0f35
  )
    return false;
  if (op === 0xfa || op === 0xfb || op === 0x9d || op === 0xf4) return false;
  return true;
}

function classify(insn: X86Insn, bytes: Uint8Array): X86Class {
  const op = insn.opcode;
  const reg = insn.modrm !== undefined ? (insn.modrm >> 3) & 7 : -1;
  // The engine (Unicorn 2.1, on QEMU 5's translator) executes VEX.128 forms (AVX on xmm,
  // BMI1, BMI2) but raises #UD on 256-bit VEX (AVX2) and on EVEX (AVX-512); its CPUID
  // offers neither, so a program (glibc's string functions) does not choose them.
  if (insn.vex === 'evex' || insn.vexL)
    throw new ProbeError(
      'EINVAL',
      `${insn.vex === 'evex' ? 'EVEX (AVX-512)' : '256-bit VEX (AVX2)'} instruction: the engine's CPU ` +
        `(Unicorn 2.1) executes SSE to SSE4.2, VEX.128 and BMI1/BMI2, not this, so it cannot be stepped`,
    );
  if (isRepString(insn)) return 'rep-string';
  // f3 90 is pause; with REX.B, 90 is xchg r8, rax.
  if (op === 0x90 && (insn.rex & 1) === 0 && insn.prefixes.includes(0xf3)) return 'pause';
  switch (op) {
    case 0xc3:
    case 0xc2:
      return 'ret';
    case 0xcb:
    case 0xca:
      throw new ProbeError('EINVAL', 'far return (lret) changes CS: it cannot be stepped out of line');
    case 0xe8:
      return 'call-rel';
    case 0x9c:
      return 'pushf';
    case 0xcc:
      return 'int3';
    case 0x9a:
    case 0xea:
      throw new ProbeError(
        'EINVAL',
        `far ${op === 0x9a ? 'call' : 'jmp'} (0x${op.toString(16)}) cannot be stepped out of line`,
      );
    case 0xcf:
      throw new ProbeError('EINVAL', 'iret cannot be stepped out of line');
    case 0xcd:
      if (bytes[insn.opcodeOffset + 1] === 3) return 'int3';
      return 'default';
    case 0xff:
      if (reg === 2) return 'call-ind';
      if (reg === 4) return 'jmp-ind';
      if (reg === 3 || reg === 5)
        throw new ProbeError(
          'EINVAL',
          `far indirect ${reg === 3 ? 'call' : 'jmp'} (ff /${reg}) cannot be stepped out of line`,
        );
      return 'default';
    default:
      return 'default';
  }
}

/** x86 (i386 or x86_64) as the kprobe core sees it. */
export function x86KprobeArch(mode: 32 | 64): KprobeArch<X86Ainsn> {
  const pcReg = mode === 64 ? X86_REG.rip : X86_REG.eip;
  const spReg = mode === 64 ? X86_REG.rsp : X86_REG.esp;
  const flagsReg = mode === 64 ? X86_REG.rflags : X86_REG.eflags;
  const { read: readWord, write: writeWord } = x86StackWords(mode === 64);
  const wordSize = mode === 64 ? 8 : 4;
  /** An address as the CPU computes it: i386 addresses wrap at 4 GB. */
  const wrap =
    mode === 64
      ? (a: GuestAddr): GuestAddr => a
      : (a: GuestAddr): GuestAddr => ((a % 2 ** 32) + 2 ** 32) % 2 ** 32;
  /** Instruction boundaries found so far, per function start, and the highest of them. */
  const boundaries = new Map<GuestAddr, { last: GuestAddr; set: Set<GuestAddr> }>();

  return {
    breakpoint: Uint8Array.of(0xcc),
    insnSlotSize: 32,
    insnSlotReach: mode === 64 ? 2 ** 31 - 0x10000 : 2 ** 32,
    trapNumber(signal) {
      return signal === 11 ? 14 : signal === 8 ? 0 : signal === 4 ? 6 : signal === 5 ? 3 : 13;
    },

    prepare(ctx: PrepareContext, addr: GuestAddr): X86Ainsn {
      const f = ctx.functionAt(addr);
      if (!f)
        throw new ProbeError(
          'EINVAL',
          `0x${addr.toString(16)} is not inside a known function (no symbol or .eh_frame entry ` +
            `covers it): its instruction boundaries cannot be checked`,
        );
      // Decode from the start of the function to prove addr is an instruction boundary;
      // where the function was decoded before, resume from the last boundary at or below
      // addr (boundaries are cached per function, so N probes in one function cost O(N)).
      const fn = f.addr;
      const end = fn + (f.size > 0 ? f.size : 16);
      let known = boundaries.get(fn);
      if (!known) boundaries.set(fn, (known = { last: fn, set: new Set([fn]) }));
      const notBoundary = (): ProbeError =>
        new ProbeError(
          'EILSEQ',
          `${ctx.symbols.format(addr)} is not an instruction boundary ` +
            `(an instruction of ${f.name} spans it)`,
        );
      let at = known.last;
      if (at > addr) {
        if (!known.set.has(addr)) throw notBoundary();
        at = addr;
      }
      for (;;) {
        let insn: X86Insn;
        const bytes = ctx.read(at, 15);
        try {
          insn = decodeX86(bytes, mode);
        } catch (e) {
          if (e instanceof DecodeError)
            throw new ProbeError(
              'EILSEQ',
              `cannot decode the instruction at ${ctx.symbols.format(at)}: ${e.message}`,
            );
          throw e;
        }
        if (at === addr) {
          const own = bytes.slice(0, insn.len);
          const cls = classify(insn, own);
          return { insn, cls, bytes: own, boost: canBoost(insn, cls) };
        }
        at += insn.len;
        if (at < end && at > known.last) {
          known.last = at;
          known.set.add(at);
        }
        if (at > addr || at >= end) throw notBoundary();
      }
    },

    insnSlotBytes(a, addr, slot) {
      // The copy, then for a boostable one `jmp addr+len` (the TF trap fires before it when
      // stepping), else an int3 catcher.
      const out = new Uint8Array(a.insn.len + (a.boost ? 5 : 1));
      out.set(a.bytes);
      if (a.insn.ripDispOffset !== undefined) {
        // RIP-relative operand: the copy must reach the same target from the slot.
        const off = a.insn.ripDispOffset;
        const dv = new DataView(out.buffer);
        const disp = dv.getInt32(off, true) + (addr - slot);
        if (disp < -(2 ** 31) || disp >= 2 ** 31)
          throw new ProbeError(
            'EINVAL',
            'the out-of-line slot is out of rel32 reach of the RIP-relative operand',
          );
        dv.setInt32(off, disp, true);
      }
      if (a.boost) {
        // i386 addresses wrap at 4 GB, so any distance is a rel32; x86_64 slots are within 2 GB.
        const rel = mode === 32 ? (addr - slot - 5) | 0 : addr - slot - 5;
        if (rel < -(2 ** 31) || rel >= 2 ** 31)
          throw new ProbeError('EINVAL', 'the out-of-line slot is out of rel32 reach of the probed code');
        out[a.insn.len] = 0xe9;
        new DataView(out.buffer).setInt32(a.insn.len + 1, rel, true);
      } else out[a.insn.len] = 0xcc;
      return out;
    },

    boostable(a) {
      return a.boost;
    },
    setupBoost(cpu, _a, slot) {
      cpu.regWrite(pcReg, slot);
    },
    originalPc(a, addr, slot, pc) {
      return pc - slot < a.insn.len ? addr + (pc - slot) : addr + a.insn.len;
    },

    stepEndAddr(a, slot) {
      return slot + a.insn.len;
    },

    preemptibleStep(a) {
      return a.cls === 'rep-string';
    },

    setupSinglestep(cpu, a, addr, slot, st: StepState): StepPlan {
      if (a.cls === 'int3') return 'guest-trap';
      // Unicorn (QEMU's helper_pause) leaves the CPU loop after pause without raising the
      // trap TF asks for, so a stepped copy would run on past the slot. pause only hints
      // that the task spins: its effect is PC past it.
      if (a.cls === 'pause') {
        cpu.regWrite(pcReg, wrap(addr + a.insn.len));
        return 'emulated';
      }
      const flags = cpu.regRead(flagsReg);
      st.savedFlags = flags & (TF | IF);
      // With TF a REP string instruction traps after one iteration with PC still on it, as
      // the CPU does: Linux 2.6.13's resume_execution then sent it back to the breakpoint, a
      // hit per iteration. Without TF the copy runs every iteration and the int3 after it
      // ends the step: one hit per execution, and the count of the unprobed run.
      if (a.cls !== 'rep-string') cpu.regWrite(flagsReg, flags | TF);
      cpu.regWrite(pcReg, slot);
      return 'step';
    },

    /*
     * resume_execution, by class (decided at prepare time):
     * 0) every stepped class: TF comes back as it was before the step (pause is emulated).
     * 1) pushf: the pushed copy gets the original TF (our TF must not leak into guest data).
     * 2) ret: PC already came from the stack.
     * 3) call rel32: the pushed return address points into the slot: move it to the original.
     * 4) call indirect: same fix; PC is the absolute target, keep it.
     * 5) jmp indirect: PC is the absolute target, keep it.
     * 6) everything else (jmp/jcc/loop rel, syscall, ordinary): PC = orig + (PC - slot).
     * An abandoned step (fault, clone child) puts PC back at the original address.
     */
    resumeExecution(cpu, a, addr, slot, st, completed) {
      // An emulated pause set PC itself and never touched the flags.
      if (a.cls === 'pause') return;
      const flags = cpu.regRead(flagsReg);
      cpu.regWrite(flagsReg, (flags & ~TF) | (st.savedFlags & TF));
      const pc = cpu.regReadAddr(pcReg);
      if (!completed) {
        // A syscall stepped in the slot (clone's child) has completed its instruction.
        const after = slot + a.insn.len;
        cpu.regWrite(pcReg, pc === after ? addr + a.insn.len : addr);
        return;
      }
      const sp = cpu.regReadAddr(spReg);
      switch (a.cls) {
        case 'pushf': {
          const tos = readWord(cpu, sp);
          writeWord(cpu, sp, (tos & ~TF) | (st.savedFlags & TF));
          break;
        }
        case 'ret':
        case 'jmp-ind':
          return;
        case 'call-rel':
        case 'call-ind': {
          const tos = cpu.memReadAddr(sp, wordSize, true);
          writeWord(cpu, sp, wrap(addr + (tos - slot)));
          if (a.cls === 'call-ind') return;
          break;
        }
        default:
          break;
      }
      // How far the copy moved PC, as the CPU computes addresses: a relative branch from a slot
      // low in memory to code further below wraps past 0 (and a 64-bit PC there is no exact
      // Number), so the distance is taken from the full register, modulo the address width.
      const moved = Number(BigInt.asIntN(mode, cpu.regRead(pcReg) - BigInt(slot)));
      cpu.regWrite(pcReg, wrap(addr + moved));
    },

    describe(a) {
      return `${a.insn.len}-byte ${a.cls}`;
    },

    trampolineInsn: Uint8Array.of(0x90),
    // No BigInt is made at a return probe's entry.
    returnAddress(cpu, sp) {
      return cpu.memReadAddr(sp, wordSize, true);
    },
    setReturnAddress(cpu, sp, addr) {
      cpu.memWriteWord(sp, wordSize, addr, true);
    },
    returnAddressAt(sp) {
      return sp;
    },
    savedReturnAddressAt() {
      return undefined; // on the stack from the call on
    },
    returnEntryRegs: [],

    frameAlive(stack, sp, ctx) {
      // `call` has just pushed a return address below every live frame's entry sp; `ret`
      // has popped the returning call's own, leaving sp one word above its entry sp.
      return ctx === 'call' ? sp < stack : sp <= stack;
    },

    readsReturnAddress(ctx, start) {
      try {
        const bytes = ctx.read(start, 15);
        const insn = decodeX86(bytes, mode);
        // mov (%esp|%rsp), reg: 8b with ModRM mod 00 rm 100 and a SIB of base and no index (24).
        const modrm = insn.modrm ?? 0;
        return insn.opcode === 0x8b && (modrm & 0xc7) === 0x04 && bytes[insn.opcodeOffset + 2] === 0x24;
      } catch (e) {
        if (e instanceof DecodeError) return false;
        throw e;
      }
    },

    hasReturnPath(ctx, start, end) {
      for (let at = start; at < end;) {
        const bytes = ctx.read(at, 15);
        let insn: X86Insn;
        try {
          insn = decodeX86(bytes, mode);
        } catch {
          return true; // undecodable: do not claim there is no way out
        }
        const op = insn.opcode;
        const reg = insn.modrm !== undefined ? (insn.modrm >> 3) & 7 : -1;
        if (op === 0xc3 || op === 0xc2 || op === 0xcb || op === 0xca || op === 0xcf) return true;
        if (op === 0xff && (reg === 4 || reg === 5)) return true;
        if (op === 0xea) return true;
        const dv = new DataView(bytes.buffer, bytes.byteOffset);
        let rel: number | undefined;
        if (op === 0xeb || (op >= 0x70 && op <= 0x7f) || (op >= 0xe0 && op <= 0xe3))
          rel = dv.getInt8(insn.len - 1);
        else if (op === 0xe9 || (op >= 0x0f80 && op <= 0x0f8f))
          rel =
            insn.opsize16 && mode === 32 ? dv.getInt16(insn.len - 2, true) : dv.getInt32(insn.len - 4, true);
        if (rel !== undefined) {
          const target = wrap(at + insn.len + rel);
          if (target < start || target >= end) return true;
        }
        at += insn.len;
      }
      return false;
    },

    unwind(cpu, read, max, h = {}) {
      const dwarf = mode === 64 ? DWARF_X86_64 : DWARF_I386;
      const spCol = mode === 64 ? 7 : 4;
      const bpCol = mode === 64 ? 6 : 5;
      const readValue = h.readWord ?? ((a: GuestAddr) => BigInt(read(a)));
      const word = BigInt(wordSize);
      /** The caller's registers: the stack and frame pointers given, the others the frame's. */
      const caller = (f: Frame, ra: GuestAddr, sp: bigint, bp: bigint | undefined): Caller => ({
        ra,
        reg: (n) => (n === spCol ? sp : n === bpCol ? bp : f.reg(n)),
      });
      return walkStack(
        {
          pc: h.pc ?? cpu.regReadAddr(pcReg),
          reg: (n) => {
            const id = dwarf[n];
            return id === undefined ? undefined : BigInt.asUintN(mode, cpu.regRead(id));
          },
          spColumn: spCol,
          readWord: readValue,
          frameInfo: h.frameInfo,
          mapReturn: h.mapReturn,
          fallback: (f) => {
            const sp = f.reg(spCol);
            const bp = f.reg(bpCol);
            if (sp === undefined) return undefined;
            const at = f.depth === 0 && h.code ? prologueState(h.code, f.pc) : undefined;
            // 0) at the first instruction, or at a ret: the return address is on top of the
            //    stack, and bp is the caller's;
            // 1) past `push %ebp/%rbp`: the caller's bp on top, the return address above it;
            // 2) elsewhere, frame pointers: [bp] is the caller's bp, [bp + word] the return
            //    address, and the caller's stack pointer is above both.
            if (at === 'entry' || at === 'ret')
              return caller(f, read(addrOf(sp)), sp + word + (at === 'ret' ? retPops(h.code, f.pc) : 0n), bp);
            if (at === 'pushed')
              return caller(f, read(addrOf(sp + word)), sp + 2n * word, readValue(addrOf(sp)));
            if (bp === undefined || bp === 0n || bp < sp) return undefined;
            return caller(f, read(addrOf(bp + word)), bp + 2n * word, readValue(addrOf(bp)));
          },
        },
        max,
      );
    },
  };
}

/**
 * The Unicorn register of each DWARF register number (the psABIs' "DWARF Register Number
 * Mapping"). x86_64's order is not the encoding's: rax, rdx, rcx, rbx, rsi, rdi, rbp, rsp,
 * then r8-r15; 16, the return address column, is no register. i386: eax, ecx, edx, ebx,
 * esp, ebp, esi, edi; 8 is its return address column.
 */
const DWARF_X86_64 = [
  X86_REG.rax,
  X86_REG.rdx,
  X86_REG.rcx,
  X86_REG.rbx,
  X86_REG.rsi,
  X86_REG.rdi,
  X86_REG.rbp,
  X86_REG.rsp,
  X86_REG.r8,
  X86_REG.r9,
  X86_REG.r10,
  X86_REG.r11,
  X86_REG.r12,
  X86_REG.r13,
  X86_REG.r14,
  X86_REG.r15,
];
const DWARF_I386 = [
  X86_REG.eax,
  X86_REG.ecx,
  X86_REG.edx,
  X86_REG.ebx,
  X86_REG.esp,
  X86_REG.ebp,
  X86_REG.esi,
  X86_REG.edi,
];

/** endbr64 and endbr32 (f3 0f 1e fa/fb): CET's marker, before a prologue where there is one. */
const isEndbr = (b: Uint8Array): boolean =>
  b[0] === 0xf3 && b[1] === 0x0f && b[2] === 0x1e && (b[3] ?? 0) >>> 1 === 0x7d;

/**
 * Where an instruction the CPU is about to run stands in a function no FDE describes, as
 * far as frame pointers are concerned (GDB's amd64_analyze_prologue, without its guesses):
 * 'entry' at the first instruction (past an endbr), 'pushed' right after a first `push
 * %ebp/%rbp`, before the `mov` that makes the frame; 'ret' at a return; undefined elsewhere.
 */
function prologueState(code: PrepareContext, pc: GuestAddr): 'entry' | 'pushed' | 'ret' | undefined {
  try {
    const op = code.read(pc, 1)[0];
    if (op === 0xc3 || op === 0xc2) return 'ret';
    const fn = code.functionAt(pc);
    if (!fn) return undefined;
    const start = isEndbr(code.read(fn.addr, 4)) ? fn.addr + 4 : fn.addr;
    if (pc === start) return 'entry';
    if (pc === start + 1 && code.read(start, 1)[0] === 0x55) return 'pushed';
  } catch {
    // Code that cannot be read: no prologue is known.
  }
  return undefined;
}

/** The bytes a `ret imm16` (c2) at `pc` pops beyond the return address; 0 for a plain ret. */
function retPops(code: PrepareContext | undefined, pc: GuestAddr): bigint {
  const b = code?.read(pc, 3);
  return b && b[0] === 0xc2 ? BigInt((b[1] ?? 0) | ((b[2] ?? 0) << 8)) : 0n;
}
