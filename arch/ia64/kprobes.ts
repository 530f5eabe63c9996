// Counterpart: arch/ia64/kernel/kprobes.c of Linux 2.6.13 (Rusty Lynch and Anil S
// Keshavamurthy, 2005): a probe address is a bundle's address plus its slot; the breakpoint
// is `break 0x80200` in the probed slot with the instruction's own qualifying predicate
// (none for the compares and bit tests of type unc, which write their targets whatever it
// says); the whole bundle is copied out of line and run with PSR.ss from the probed slot,
// and resume_execution puts IP and the branch register a call wrote back into the original.
//
// Where this departs from 2.6.13, and why:
// - brl and brl.call are rebased like the B-unit branches: 2.6.13 gave them no IP fix-up,
//   so a probed long branch went to its target's offset from the copy.
// - Only the probed slot is patched and restored, so several probes share a bundle; 2.6.13
//   wrote the whole bundle back, disarming the others (later kernels patch the slot alone).
// - The 41 bits of the slot are written whole, so a break in slot 1 carries the immediate
//   0x80200 (later kernels wrote only slot 1's high bits, let the instruction's low ones
//   through and matched the immediate without its low 12 bits); the L slot of an MLX bundle
//   is zeroed while its X slot holds the break, so that `break.x` raises 0x80200, not imm62.
// - chk.s.m and chk.a branch IP-relative to recovery code and are refused like chk.s.i.
// - The branch register a call wrote is relocated whichever it is (2.6.13: b0, b6, b7).
// - No booster: 2.6.13 had none on ia64.
import { addrOf, type GuestAddr, wordOfAddr } from '../../emu/addr.js';
import { AR } from '../../emu/ia64/cpu.js';
import { bundleSlots, decodeBundle, putBundleSlot, TEMPLATES } from '../../emu/ia64/decode.js';
import { IA64_REG, PSR_SS } from '../../emu/ia64/engine.js';
import { bits, Op, type Insn } from '../../emu/ia64/insn.js';
import type { Cpu } from '../../emu/isa.js';
import type { KprobeArch, PrepareContext, SpanPatch } from '../kprobe-arch.js';
import { ProbeError } from '../kprobe-arch.js';
import { BREAK_KPROBE, gr, IA64 } from './isa.js';

/** The probed instruction, decoded once at registration. */
export interface Ia64Ainsn {
  /** The slot as IP names it (0-2; the L+X instruction of an MLX bundle is slot 1). */
  slot: number;
  /** The original bundle. */
  bundle: Uint8Array;
  /** resume_execution's INST_FLAG_FIX_RELATIVE_IP_ADDR: an IP-relative branch or call. */
  fixIp: boolean;
  /** INST_FLAG_FIX_BRANCH_REG: the branch register a call writes its return address to. */
  fixBr: number | undefined;
  mnemonic: string;
}

/** Options that reproduce Linux 2.6.13 where this arch departs from it (tests of the fix-ups). */
export interface Ia64KprobeOptions {
  /** Rebase brl/brl.call targets after the step (2.6.13: no). */
  brlFixup?: boolean;
  /** Relocate the branch register a call wrote (the kernel: yes). */
  branchRegFixup?: boolean;
  /** Rebase IP-relative B-unit branches (the kernel: yes). */
  ipFixup?: boolean;
}

/** `break.m 0x80200` with qp 0 (every unit's break: major 0, x3 0, x6 0, imm20a = 0x80200 & 0xfffff, i = 0). */
const BREAK_INSN = (BREAK_KPROBE % 2 ** 20) * 2 ** 6 + Math.floor(BREAK_KPROBE / 2 ** 20) * 2 ** 36;

const major = (insn: number): number => bits(insn, 37, 4);

/** The IA-64 interruption vectors Linux passes to fault handlers (arch/ia64/kernel/ivt.S). */
const TRAP_VECTORS: ReadonlyMap<number, number> = new Map([
  [11, 20], // Page Not Present
  [7, 30], //  Unaligned Reference
  [4, 24], //  General Exception (illegal operation)
  [8, 32], //  Floating-point Fault
  [5, 36], //  Single Step Trap
]);

/** cmp/cmp4 of ctype unc (A6, A8 formats in an M or I slot): both targets written whatever qp says. */
function cmpUnc(unit: string, insn: number): boolean {
  if (unit !== 'M' && unit !== 'I') return false;
  const m = major(insn);
  if (m !== 0xc && m !== 0xd && m !== 0xe) return false;
  const x2 = bits(insn, 34, 2);
  const tb = bits(insn, 36, 1);
  const ta = bits(insn, 33, 1);
  const c = bits(insn, 12, 1);
  if (x2 === 0 || x2 === 1) return tb === 0 && ta === 0 && c === 1;
  return ta === 0 && c === 1;
}

/**
 * unsupported_inst: why the instruction cannot be probed, or the break's predicate. The
 * returned qp is 0 for unc compares and bit tests, whose predicate gates only their inputs.
 */
function check(unit: string, insn: number, d: Insn): { why: string } | { qp: number } {
  const m = major(insn);
  const qp = bits(insn, 0, 6);
  if (cmpUnc(unit, insn)) return { qp: 0 };
  if (unit === 'I') {
    if (m === 0 && bits(insn, 33, 3) === 1)
      return { why: `${d.mnemonic} is a speculation check: it branches IP-relative to recovery code` };
    if (m === 0 && bits(insn, 27, 9) === 0x30)
      return { why: '`mov r=ip` reads the address of its own bundle, which is the copy out of line' };
    if (m === 5 && bits(insn, 33, 4) === 0 && bits(insn, 12, 1) === 1) return { qp: 0 };
  }
  if (unit === 'M') {
    if (m === 1 && bits(insn, 33, 3) === 1)
      return { why: `${d.mnemonic} is a speculation check: it branches IP-relative to recovery code` };
    if (m === 0 && bits(insn, 33, 3) >= 4)
      return { why: `${d.mnemonic} is an advanced-load check: it branches IP-relative to recovery code` };
  }
  if (unit === 'B') {
    if (m === 7) return { why: `${d.mnemonic} is an IP-relative branch predict: kprobes refuse it` };
    if (m === 2 && (bits(insn, 27, 6) === 0x10 || bits(insn, 27, 6) === 0x11))
      return { why: `${d.mnemonic} is an indirect branch predict: kprobes refuse it` };
  }
  if (unit === 'F') {
    // fcmp/fclass of type unc, and the approximations (frcpa, frsqrta), write predicates whatever qp says.
    if ((m === 4 || m === 5) && bits(insn, 12, 1) === 1) return { qp: 0 };
    if ((m === 0 || m === 1) && bits(insn, 33, 1) === 1) return { qp: 0 };
  }
  return { qp };
}

/** The instruction at slot `slot` (0-2) of a bundle, as the kernel's get_kprobe_inst finds it. */
interface SlotInsn {
  mlx: boolean;
  /** The bundle slot holding its opcode: the X slot, 2, for an L+X pair at slot 1. */
  rawSlot: number;
  /** Its unit ('X' for an L+X pair); undefined for a reserved template. */
  unit: string | undefined;
  /** Its 41 bits. */
  insn: number;
  /** The L slot of the bundle. */
  lSlot: number;
  template: number;
}

function slotInsn(bytes: Uint8Array, slot: number): SlotInsn {
  const [template, s0, s1, s2] = bundleSlots(bytes, 0);
  const units = TEMPLATES[template]?.units;
  const mlx = units === 'MLX';
  const rawSlot = mlx && slot === 1 ? 2 : slot;
  const unit = mlx && slot === 1 ? 'X' : units?.[slot];
  return { mlx, rawSlot, unit, insn: [s0, s1, s2][rawSlot] ?? 0, lSlot: s1, template };
}

/** The break in slot `rawSlot` of `bytes` (the whole slot; for an X slot, the L slot zeroed). */
function armSlot(bytes: Uint8Array, rawSlot: number, qp: number, mlx: boolean): void {
  putBundleSlot(bytes, rawSlot, BREAK_INSN + qp);
  if (mlx && rawSlot === 2) putBundleSlot(bytes, 1, 0);
}

/** The bundle's slot patch: one probe's slot at a time, the others left as they are. */
const BUNDLE_PATCH: SpanPatch = {
  size: 16,
  spanOf: (addr) => addr - (addr % 16),
  arm(bytes, addr) {
    const slot = addr % 16;
    const { mlx, rawSlot, unit, insn } = slotInsn(bytes, slot);
    // prepare_break_inst: the instruction's own predicate, none for the unc kinds.
    const c = check(unit ?? 'M', insn, decodeBundle(bytes).slots[slot] as Insn);
    armSlot(bytes, rawSlot, 'qp' in c ? c.qp : bits(insn, 0, 6), mlx);
  },
  disarm(bytes, original, addr) {
    const [template, o0, o1, o2] = bundleSlots(original, 0);
    const mlx = TEMPLATES[template]?.units === 'MLX';
    const slot = addr % 16;
    if (mlx && slot === 1) {
      putBundleSlot(bytes, 1, o1);
      putBundleSlot(bytes, 2, o2);
    } else putBundleSlot(bytes, slot, [o0, o1, o2][slot] ?? 0);
  },
  armed(bytes, addr) {
    const { mlx, rawSlot, insn, lSlot } = slotInsn(bytes, addr % 16);
    return insn - bits(insn, 0, 6) === BREAK_INSN && (!mlx || rawSlot !== 2 || lSlot === 0);
  },
};

/** IA-64 as the kprobe core sees it. */
export function ia64KprobeArch(options: Ia64KprobeOptions = {}): KprobeArch<Ia64Ainsn> {
  const brlFixup = options.brlFixup ?? true;
  const branchRegFixup = options.branchRegFixup ?? true;
  const ipFixup = options.ipFixup ?? true;
  return {
    breakpoint: new Uint8Array(0),
    patch: BUNDLE_PATCH,
    // One bundle: the copy of the probed one, at a bundle's alignment.
    insnSlotSize: 16,
    insnSlotAlign: 16,
    // A step's IP-relative targets are rebased afterwards, so the copy may be anywhere; it is
    // kept in the code's region.
    insnSlotReach: 2 ** 44,
    trapNumber(signal) {
      return TRAP_VECTORS.get(signal) ?? 24;
    },

    prepare(ctx, addr) {
      const slot = addr % 16;
      const bundleAt = addr - slot;
      if (slot > 2)
        throw new ProbeError(
          'EINVAL',
          `${ctx.symbols.format(addr)} names slot ${slot}: an IA-64 probe address is a bundle's address plus its slot, 0-2`,
        );
      if (!ctx.functionAt(addr))
        throw new ProbeError(
          'EINVAL',
          `${ctx.symbols.format(addr)} is not inside a known function's code (no symbol or .eh_frame entry covers it)`,
        );
      const bundle = ctx.read(bundleAt, 16);
      if (bundle.length < 16)
        throw new ProbeError('EINVAL', `${ctx.symbols.format(bundleAt)} is not readable`);
      const { mlx, unit, insn, template } = slotInsn(bundle, slot);
      if (unit === undefined)
        throw new ProbeError(
          'EINVAL',
          `the bundle at ${ctx.symbols.format(bundleAt)} has reserved template 0x${template.toString(16)}: it is not code`,
        );
      if (mlx && slot === 2)
        throw new ProbeError(
          'EINVAL',
          `${ctx.symbols.format(addr)} is slot 2 of an MLX bundle, the X half of the L+X instruction at slot 1: probe slot 1`,
        );
      const d = decodeBundle(bundle).slots[slot] as Insn;
      const c = check(unit, insn, d);
      if ('why' in c) throw new ProbeError('EINVAL', `cannot probe ${ctx.symbols.format(addr)}: ${c.why}`);
      const m = major(insn);
      let fixIp = false;
      let fixBr: number | undefined;
      if (unit === 'B') {
        if (m === 1) fixBr = bits(insn, 6, 3);
        else if (m === 4) fixIp = ipFixup;
        else if (m === 5) {
          fixIp = ipFixup;
          fixBr = bits(insn, 6, 3);
        }
      } else if (unit === 'X') {
        if (m === 0xc) fixIp = brlFixup;
        else if (m === 0xd) {
          fixIp = brlFixup;
          fixBr = bits(insn, 6, 3);
        }
      }
      if (!branchRegFixup) fixBr = undefined;
      return { slot, bundle, fixIp, fixBr, mnemonic: d.mnemonic };
    },

    insnSlotBytes(a) {
      return a.bundle.slice();
    },

    stepEndAddr(_a, insnSlot) {
      // No breakpoint ends a step: PSR.ss traps after the one slot. The bundle after the copy
      // is never reached.
      return insnSlot + 16;
    },

    setupSinglestep(cpu, a, _addr, insnSlot) {
      // prepare_ss: IP at the copy, ri at the probed slot, PSR.ss on.
      cpu.regWrite(IA64.ip, insnSlot + a.slot);
      cpu.regWrite(IA64.psr, cpu.regRead(IA64.psr) | PSR_SS);
      return 'step';
    },

    resumeExecution(cpu, a, addr, insnSlot, _st, completed) {
      cpu.regWrite(IA64.psr, cpu.regRead(IA64.psr) & ~PSR_SS);
      const resume = addr - (addr % 16);
      const ip = cpu.regReadAddr(IA64.ip);
      const bundle = ip - (ip % 16);
      const inCopy = bundle === insnSlot || bundle === insnSlot + 16;
      if (!completed) {
        // Abandoned: back at the probe, or past it where the copy was a system call that
        // completed (a clone child).
        cpu.regWrite(IA64.ip, inCopy && ip !== insnSlot + a.slot ? ip - insnSlot + resume : addr);
        return;
      }
      if (a.fixBr !== undefined) {
        // The return address a call wrote is the bundle after the copy: the one after the original.
        const b = IA64.b0 + a.fixBr;
        const ret = cpu.regReadAddr(b);
        if (ret === insnSlot || ret === insnSlot + 16) cpu.regWrite(b, ret - insnSlot + resume);
      }
      // An IP-relative branch went to its target's offset from the copy, taken or not; any
      // other instruction fell through inside the copy or to the bundle after it.
      if (a.fixIp || inCopy) cpu.regWrite(IA64.ip, ip - insnSlot + resume);
    },

    describe(a) {
      const fix = [a.fixIp ? 'IP rebased' : '', a.fixBr !== undefined ? `b${a.fixBr} relocated` : '']
        .filter(Boolean)
        .join(', ');
      return `${a.mnemonic} in slot ${a.slot}, stepped out of line${fix ? ` (${fix})` : ''}`;
    },

    boostable() {
      return false;
    },
    setupBoost() {
      throw new Error('IA-64 probes are never boosted');
    },
    originalPc(a, addr, insnSlot, pc) {
      return pc === insnSlot + a.slot ? addr : addr - (addr % 16) + (pc - insnSlot);
    },

    // kretprobe_trampoline as an empty C function compiles: { nop.m 0; nop.i 0; br.ret.sptk.many b0 ;; }.
    trampolineInsn: Uint8Array.of(0x11, 0, 0, 0, 1, 0, 0, 0, 0, 2, 0, 0x80, 8, 0, 0x84, 0),
    trampolineDescriptor(entry) {
      const d = new Uint8Array(16);
      new DataView(d.buffer).setBigUint64(0, wordOfAddr(entry), true);
      return d;
    },
    descriptorEntry(bytes) {
      return addrOf(new DataView(bytes.buffer, bytes.byteOffset, 16).getBigUint64(0, true));
    },
    frameReg: IA64.ar(AR.BSP),
    returnAddress(cpu) {
      return cpu.regReadAddr(IA64.b0);
    },
    returnEntryRegs: [IA64.b0, IA64.ar(AR.BSP)],
    setReturnAddress(cpu, _sp, addr) {
      cpu.regWrite(IA64.b0, addr);
    },
    returnAddressAt() {
      return undefined; // in b0, then in a stacked register of the function's choosing
    },
    savedReturnAddressAt() {
      return undefined; // a stacked register, not a word of the memory stack
    },

    frameAlive(stack, bsp, ctx) {
      // ar.bsp at a call's entry is where the caller's frame ends: a call made from inside
      // the frame starts above it (the caller keeps b0 and ar.pfs in locals), a tail call
      // starts at the same place, and a return to the frame's caller comes back to it.
      return ctx === 'call' ? bsp > stack : bsp >= stack;
    },

    hasReturnPath(ctx, start, end) {
      for (let at = start - (start % 16); at < end; at += 16) {
        const bytes = ctx.read(at, 16);
        if (bytes.length < 16) return true;
        for (const [slot, d] of decodeBundle(bytes).slots.entries()) {
          if (slot === 2 && d.width === 2) continue;
          if (d.op === Op.BR_RET || d.op === Op.BR_IND) return true;
          if (d.op === Op.BR_COND || d.op === Op.BR_CLOOP) {
            const target = at + d.disp;
            if (target < start || target >= end) return true;
          }
        }
      }
      return false;
    },

    unwind(cpu, _read, max, h = {}) {
      return unwindRegisterStack(cpu, h.pc ?? cpu.regReadAddr(IA64.ip), max, h.code, h.mapReturn);
    },
  };
}

/** Where a function keeps its caller's b0 and ar.pfs, as far as `pc`: registers of its frame. */
interface Prologue {
  /** The register holding b0 (`mov rN=b0`), or undefined while b0 holds it still. */
  b0: number | undefined;
  /** The register holding ar.pfs (`alloc rN=ar.pfs`, then any `mov rM=rN`), or undefined before alloc. */
  pfs: number | undefined;
}

/** The prologue of the function holding `pc`, read from its start up to `pc`. */
function prologue(code: PrepareContext, fn: { addr: GuestAddr }, pc: GuestAddr): Prologue {
  const out: Prologue = { b0: undefined, pfs: undefined };
  for (let at = fn.addr - (fn.addr % 16); at < pc; at += 16) {
    const bytes = code.read(at, 16);
    if (bytes.length < 16) break;
    for (const [slot, d] of decodeBundle(bytes).slots.entries()) {
      if (at + slot >= pc || (slot === 2 && d.width === 2)) continue;
      if (d.qp !== 0) continue;
      if (d.op === Op.MOV_FROM_BR && d.b2 === 0) out.b0 = d.r1;
      else if (d.op === Op.ALLOC) out.pfs = d.r1;
      else if (d.op === Op.ADD_IMM && d.imm === 0n) {
        // `mov rM=rN` (adds rM=0,rN): the saved value moves.
        if (d.r3 === out.pfs) out.pfs = d.r1;
        if (d.r3 === out.b0) out.b0 = d.r1;
      }
    }
  }
  return out;
}

/**
 * Return addresses of the caller chain, innermost first, from the register stack: a
 * function's return address is in b0 until its prologue copies it to a register (`mov
 * rN=b0`), and its caller's frame marker in ar.pfs until `alloc rN=ar.pfs`; the caller's
 * frame lies sol registers below (ar.pfs's sol), in the physical registers or spilled to the
 * backing store. Each caller's own prologue says where it keeps its return address and
 * ar.pfs. Without unwind tables, a function that keeps them elsewhere (a static register
 * past the innermost frame, memory) or was entered by a jump ends the walk there.
 */
function unwindRegisterStack(
  cpu: Cpu,
  pc0: GuestAddr,
  max: number,
  code: PrepareContext | undefined,
  mapReturn: ((a: GuestAddr) => GuestAddr) | undefined,
): GuestAddr[] {
  const out: GuestAddr[] = [];
  if (!code) return out;
  let pc = pc0;
  // How far the examined frame's r32 is below the current frame's (0: the innermost frame).
  let below = 0;
  const reg = (n: number): bigint | undefined => {
    if (below === 0) return cpu.regRead(gr(n));
    if (n < 32 || n - 32 >= below) return undefined;
    return cpu.regRead(IA64_REG.below + below - (n - 32));
  };
  try {
    while (out.length < max) {
      const fn = code.functionAt(pc);
      if (!fn) break;
      const p = prologue(code, fn, pc);
      const rawRa = p.b0 !== undefined ? reg(p.b0) : below === 0 ? cpu.regRead(IA64.b0) : undefined;
      const pfs = p.pfs !== undefined ? reg(p.pfs) : below === 0 ? cpu.regRead(IA64.ar(AR.PFS)) : undefined;
      if (rawRa === undefined || rawRa === 0n) break;
      const ra = mapReturn ? mapReturn(addrOf(rawRa)) : addrOf(rawRa);
      out.push(ra);
      if (pfs === undefined) break;
      below += Number((pfs >> 7n) & 0x7fn);
      pc = ra;
    }
  } catch {
    // A register stack slot that cannot be read (unmapped backing store): the walk ends.
  }
  return out;
}
