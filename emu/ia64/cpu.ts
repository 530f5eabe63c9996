// Counterpart: the Intel IA-64 Architecture Software Developer's Manual, vol. 3, ch. 2
// (instruction reference): an interpreter of the decoded slots over user-visible state.
//
// State: r0-r31 and the 96 physical stacked registers as BigUint64Arrays (a store wraps
// modulo 2^64 by itself, so arithmetic needs no asUintN), predicates as bytes, b0-b7, the
// application registers by number, CFM as numbers, IP as a folded bundle address plus slot.
// Each slot executes in order, its reads seeing the writes of earlier slots of the same
// instruction group: the sequential model Ski shows, exact for code that obeys the
// dependency rules (the guests are assembled with -x, which checks them).
// Not modelled: NaT bits (registers never hold NaT; ld8.fill and st8.spill move data and
// clear the UNAT bit; tnat tests false), register rotation (rrb stays 0; the modulo-
// scheduled branches trap as illegal), floating point, speculation and the ALAT (ld.s,
// ld.a and ld.c load like ld).
import { type Bundle, decodeBundle } from './decode.js';
import { Ctype, type Insn, INC_IMM, INC_REG, LD_FILL, Op, Rel } from './insn.js';
import { addressOf, fold, type FoldedAddr, GuestFault, type Ia64Bus } from './memory.js';
import { RegisterStack } from './rse.js';

/** Application register numbers the interpreter gives meaning to. */
export const AR = {
  RSC: 16,
  BSP: 17,
  BSPSTORE: 18,
  RNAT: 19,
  UNAT: 36,
  FPSR: 40,
  PFS: 64,
  LC: 65,
  EC: 66,
} as const;

/** How a step or run ended, numerically for the hot loop; details sit on the Cpu. */
export const Trap = { NONE: 0, BREAK: 1, FAULT: 2, ILLEGAL: 3 } as const;
export type Trap = (typeof Trap)[keyof typeof Trap];

/** User mode: br.call records privilege level 3 in ar.pfs.ppl. */
const USER_PL = 3n;

export class Cpu {
  readonly gr = new BigUint64Array(32);
  readonly pr = new Uint8Array(64);
  readonly br = new BigUint64Array(8);
  readonly ar = new BigUint64Array(128);
  readonly rse: RegisterStack;
  /** CFM fields. */
  sof = 0;
  sol = 0;
  sor = 0;
  rrbGr = 0;
  rrbFr = 0;
  rrbPr = 0;
  /** Folded address of the current bundle, and the slot in it. */
  ip: FoldedAddr = 0;
  slot = 0;
  /** Slots executed (nops and predicated-off slots included), as Ski counts them. */
  executed = 0;
  /** The immediate of the last break (Trap.BREAK), and its own slot (folded bundle + slot). */
  breakImm = 0n;
  breakAt: FoldedAddr = 0;
  /** The refused access of the last Trap.FAULT. */
  fault: GuestFault | undefined;

  private readonly bundles = new Map<FoldedAddr, Bundle>();
  private nip = 0;
  private nslot = 0;

  constructor(
    readonly mem: Ia64Bus,
    backingStore: FoldedAddr,
  ) {
    this.rse = new RegisterStack(mem, backingStore);
    this.pr[0] = 1;
    this.ar[AR.RSC] = 0xfn;
    this.ar[AR.FPSR] = 0x9804c0270033fn;
  }

  /** The architectural IP of the current slot: bundle address + 4 * slot, as Ski prints it. */
  ipWithSlot(): bigint {
    return addressOf(this.ip) + BigInt(4 * this.slot);
  }

  /** CFM as the 38-bit register value (sof, sol, sor, rrb.gr, rrb.fr, rrb.pr). */
  cfm(): bigint {
    const low = this.sof + this.sol * 2 ** 7 + this.sor * 2 ** 14 + this.rrbGr * 2 ** 18;
    return BigInt(low) | (BigInt(this.rrbFr) << 25n) | (BigInt(this.rrbPr) << 32n);
  }

  setCfm(v: bigint): void {
    const low = Number(v & 0x1ffffffn);
    this.sof = low & 0x7f;
    this.sol = (low >>> 7) & 0x7f;
    this.sor = (low >>> 14) & 0xf;
    this.rrbGr = (low >>> 18) & 0x7f;
    this.rrbFr = Number((v >> 25n) & 0x7fn);
    this.rrbPr = Number((v >> 32n) & 0x3fn);
  }

  /** General register `n` of the current frame (r32+ beyond sof read as the physical register). */
  getGr(n: number): bigint {
    if (n < 32) return this.gr[n] ?? 0n;
    let i = this.rse.bofPhys + n - 32;
    if (i >= 96) i -= 96;
    return this.rse.phys[i] ?? 0n;
  }

  setGr(n: number, v: bigint): void {
    if (n < 32) {
      if (n !== 0) this.gr[n] = v;
      return;
    }
    let i = this.rse.bofPhys + n - 32;
    if (i >= 96) i -= 96;
    this.rse.phys[i] = v;
  }

  readAr(n: number): bigint {
    switch (n) {
      case AR.BSP:
        return addressOf(this.rse.bsp());
      case AR.BSPSTORE:
        return addressOf(this.rse.bspstore);
      case AR.RNAT:
        return this.rse.rnat;
      default:
        return this.ar[n] ?? 0n;
    }
  }

  writeAr(n: number, v: bigint): void {
    switch (n) {
      case AR.BSP:
        return;
      case AR.BSPSTORE:
        this.rse.setBspstore(this.foldOrFault(v, 'write'));
        return;
      case AR.RNAT:
        this.rse.rnat = BigInt.asUintN(64, v);
        return;
      case AR.EC:
        this.ar[n] = v & 0x3fn;
        return;
      default:
        this.ar[n] = v;
    }
  }

  /** Drop decoded bundles in [begin, end) (folded): code there was written. */
  invalidate(begin: FoldedAddr, end: FoldedAddr): void {
    for (const a of this.bundles.keys()) if (a + 16 > begin && a < end) this.bundles.delete(a);
  }

  private foldOrFault(v: bigint, access: 'read' | 'write' | 'fetch'): FoldedAddr {
    const a = fold(BigInt.asUintN(64, v));
    if (a < 0) throw new GuestFault(access, BigInt.asUintN(64, v), 'unmapped');
    return a;
  }

  private fetch(ip: FoldedAddr): Bundle {
    let b = this.bundles.get(ip);
    if (b) return b;
    b = decodeBundle(this.mem.fetchBundle(ip));
    this.bundles.set(ip, b);
    return b;
  }

  /** Execute one slot. A break leaves IP after it; a fault or illegal slot leaves IP at it. */
  step(): Trap {
    try {
      return this.stepSlot();
    } catch (e) {
      if (e instanceof GuestFault) {
        this.fault = e;
        return Trap.FAULT;
      }
      throw e;
    }
  }

  /** Execute up to `count` slots; stops early at a break, fault or illegal slot. */
  run(count: number): Trap {
    try {
      for (let n = 0; n < count; n++) {
        const t = this.stepSlot();
        if (t !== Trap.NONE) return t;
      }
      return Trap.NONE;
    } catch (e) {
      if (e instanceof GuestFault) {
        this.fault = e;
        return Trap.FAULT;
      }
      throw e;
    }
  }

  private stepSlot(): Trap {
    const ins = this.fetch(this.ip).slots[this.slot] as Insn;
    this.executed++;
    let nslot = this.slot + ins.width;
    let nip = this.ip;
    if (nslot >= 3) {
      nslot = 0;
      nip += 16;
    }
    if (ins.qp !== 0 && this.pr[ins.qp] === 0) {
      // An unconditional compare or tbit clears both targets even when its predicate is false.
      if (ins.ctype === Ctype.UNC && (ins.op === Op.CMP || ins.op === Op.CMP_IMM || ins.op === Op.TBIT)) {
        this.setPr(ins.p1, false);
        this.setPr(ins.p2, false);
      }
      this.ip = nip;
      this.slot = nslot;
      return Trap.NONE;
    }
    this.nip = nip;
    this.nslot = nslot;
    const t = this.exec(ins);
    this.ip = this.nip;
    this.slot = this.nslot;
    return t;
  }

  private setPr(n: number, v: boolean): void {
    if (n !== 0) this.pr[n] = v ? 1 : 0;
  }

  private branch(target: FoldedAddr): void {
    this.nip = target - (target % 16);
    this.nslot = 0;
  }

  private predicates(ins: Insn, r: boolean): void {
    switch (ins.ctype) {
      case Ctype.NONE:
      case Ctype.UNC:
        this.setPr(ins.p1, r);
        this.setPr(ins.p2, !r);
        return;
      case Ctype.AND:
        if (!r) {
          this.setPr(ins.p1, false);
          this.setPr(ins.p2, false);
        }
        return;
      case Ctype.OR:
        if (r) {
          this.setPr(ins.p1, true);
          this.setPr(ins.p2, true);
        }
        return;
      case Ctype.OR_ANDCM:
        if (r) {
          this.setPr(ins.p1, true);
          this.setPr(ins.p2, false);
        }
    }
  }

  private compare(ins: Insn, a: bigint, b: bigint): boolean {
    const w = ins.len ? 32 : 64;
    switch (ins.rel) {
      case Rel.EQ:
        return BigInt.asUintN(w, a) === BigInt.asUintN(w, b);
      case Rel.NE:
        return BigInt.asUintN(w, a) !== BigInt.asUintN(w, b);
      case Rel.LTU:
        return BigInt.asUintN(w, a) < BigInt.asUintN(w, b);
    }
    const sa = BigInt.asIntN(w, a);
    const sb = BigInt.asIntN(w, b);
    switch (ins.rel) {
      case Rel.LT:
        return sa < sb;
      case Rel.LE:
        return sa <= sb;
      case Rel.GT:
        return sa > sb;
      default:
        return sa >= sb;
    }
  }

  private exec(ins: Insn): Trap {
    switch (ins.op) {
      case Op.NOP:
      case Op.MF:
        return Trap.NONE;
      case Op.BREAK:
        this.breakImm = ins.imm;
        this.breakAt = this.ip + this.slot;
        return Trap.BREAK;
      case Op.ADD:
        this.setGr(ins.r1, this.getGr(ins.r2) + this.getGr(ins.r3));
        return Trap.NONE;
      case Op.ADD1:
        this.setGr(ins.r1, this.getGr(ins.r2) + this.getGr(ins.r3) + 1n);
        return Trap.NONE;
      case Op.SUB:
        this.setGr(ins.r1, this.getGr(ins.r2) - this.getGr(ins.r3));
        return Trap.NONE;
      case Op.SUB1:
        this.setGr(ins.r1, this.getGr(ins.r2) - this.getGr(ins.r3) - 1n);
        return Trap.NONE;
      case Op.AND:
        this.setGr(ins.r1, this.getGr(ins.r2) & this.getGr(ins.r3));
        return Trap.NONE;
      case Op.ANDCM:
        this.setGr(ins.r1, this.getGr(ins.r2) & ~this.getGr(ins.r3));
        return Trap.NONE;
      case Op.OR:
        this.setGr(ins.r1, this.getGr(ins.r2) | this.getGr(ins.r3));
        return Trap.NONE;
      case Op.XOR:
        this.setGr(ins.r1, this.getGr(ins.r2) ^ this.getGr(ins.r3));
        return Trap.NONE;
      case Op.SHLADD:
        this.setGr(ins.r1, (this.getGr(ins.r2) << BigInt(ins.pos)) + this.getGr(ins.r3));
        return Trap.NONE;
      case Op.SUB_IMM:
        this.setGr(ins.r1, ins.imm - this.getGr(ins.r3));
        return Trap.NONE;
      case Op.AND_IMM:
        this.setGr(ins.r1, ins.imm & this.getGr(ins.r3));
        return Trap.NONE;
      case Op.ANDCM_IMM:
        this.setGr(ins.r1, ins.imm & ~this.getGr(ins.r3));
        return Trap.NONE;
      case Op.OR_IMM:
        this.setGr(ins.r1, ins.imm | this.getGr(ins.r3));
        return Trap.NONE;
      case Op.XOR_IMM:
        this.setGr(ins.r1, ins.imm ^ this.getGr(ins.r3));
        return Trap.NONE;
      case Op.ADD_IMM:
        this.setGr(ins.r1, ins.imm + this.getGr(ins.r3));
        return Trap.NONE;
      case Op.CMP:
        this.predicates(ins, this.compare(ins, this.getGr(ins.r2), this.getGr(ins.r3)));
        return Trap.NONE;
      case Op.CMP_IMM:
        this.predicates(ins, this.compare(ins, ins.imm, this.getGr(ins.r3)));
        return Trap.NONE;
      case Op.TBIT: {
        const set = ((this.getGr(ins.r3) >> BigInt(ins.pos)) & 1n) === 1n;
        this.predicates(ins, ins.rel ? set : !set);
        return Trap.NONE;
      }
      case Op.TNAT:
        // No register holds NaT here: .z is true, .nz false.
        this.predicates(ins, ins.rel === 0);
        return Trap.NONE;
      case Op.SHL: {
        const c = this.getGr(ins.r3);
        this.setGr(ins.r1, c > 63n ? 0n : this.getGr(ins.r2) << c);
        return Trap.NONE;
      }
      case Op.SHR: {
        const c = this.getGr(ins.r2);
        this.setGr(ins.r1, BigInt.asIntN(64, this.getGr(ins.r3)) >> (c > 63n ? 63n : c));
        return Trap.NONE;
      }
      case Op.SHR_U: {
        const c = this.getGr(ins.r2);
        this.setGr(ins.r1, c > 63n ? 0n : this.getGr(ins.r3) >> c);
        return Trap.NONE;
      }
      case Op.EXTR:
        this.setGr(ins.r1, BigInt.asIntN(ins.len, BigInt.asIntN(64, this.getGr(ins.r3)) >> BigInt(ins.pos)));
        return Trap.NONE;
      case Op.EXTR_U:
        this.setGr(ins.r1, BigInt.asUintN(ins.len, this.getGr(ins.r3) >> BigInt(ins.pos)));
        return Trap.NONE;
      case Op.DEP_Z:
        this.setGr(ins.r1, BigInt.asUintN(ins.len, this.getGr(ins.r2)) << BigInt(ins.pos));
        return Trap.NONE;
      case Op.DEP_Z_IMM:
        this.setGr(ins.r1, BigInt.asUintN(ins.len, ins.imm) << BigInt(ins.pos));
        return Trap.NONE;
      case Op.DEP_IMM:
      case Op.DEP: {
        const pos = BigInt(ins.pos);
        const mask = ((1n << BigInt(ins.len)) - 1n) << pos;
        const src = ins.op === Op.DEP ? this.getGr(ins.r2) << pos : ins.imm;
        this.setGr(ins.r1, (this.getGr(ins.r3) & ~mask) | (src & mask));
        return Trap.NONE;
      }
      case Op.SHRP:
        this.setGr(ins.r1, ((this.getGr(ins.r2) << 64n) | this.getGr(ins.r3)) >> BigInt(ins.pos));
        return Trap.NONE;
      case Op.SXT:
        this.setGr(ins.r1, BigInt.asIntN(ins.pos * 8, this.getGr(ins.r3)));
        return Trap.NONE;
      case Op.ZXT:
        this.setGr(ins.r1, BigInt.asUintN(ins.pos * 8, this.getGr(ins.r3)));
        return Trap.NONE;
      case Op.MOV_TO_BR:
        this.br[ins.b1] = this.getGr(ins.r2);
        return Trap.NONE;
      case Op.MOV_FROM_BR:
        this.setGr(ins.r1, this.br[ins.b2] ?? 0n);
        return Trap.NONE;
      case Op.MOV_FROM_IP:
        this.setGr(ins.r1, addressOf(this.ip));
        return Trap.NONE;
      case Op.MOV_FROM_PR: {
        let v = 0n;
        for (let i = 63; i >= 0; i--) v = (v << 1n) | BigInt(this.pr[i] ?? 0);
        this.setGr(ins.r1, v);
        return Trap.NONE;
      }
      case Op.MOV_TO_PR:
      case Op.MOV_TO_PR_ROT: {
        const src = ins.op === Op.MOV_TO_PR ? this.getGr(ins.r2) : ins.imm;
        const mask = ins.op === Op.MOV_TO_PR ? ins.imm : ~0xffffn;
        for (let i = 1; i < 64; i++)
          if ((mask >> BigInt(i)) & 1n) this.pr[i] = Number((src >> BigInt(i)) & 1n);
        return Trap.NONE;
      }
      case Op.MOV_TO_AR:
        this.writeAr(ins.ar, this.getGr(ins.r2));
        return Trap.NONE;
      case Op.MOV_TO_AR_IMM:
        this.writeAr(ins.ar, ins.imm);
        return Trap.NONE;
      case Op.MOV_FROM_AR:
        this.setGr(ins.r1, this.readAr(ins.ar));
        return Trap.NONE;
      case Op.LD: {
        const base = this.getGr(ins.r3);
        const v = this.mem.load(this.foldOrFault(base, 'read'), ins.pos);
        this.setGr(ins.r1, v);
        if (ins.ctype === INC_REG) this.setGr(ins.r3, base + this.getGr(ins.r2));
        else if (ins.ctype === INC_IMM) this.setGr(ins.r3, base + ins.imm);
        return Trap.NONE;
      }
      case Op.ST: {
        const base = this.getGr(ins.r3);
        const a = this.foldOrFault(base, 'write');
        this.mem.store(a, ins.pos, this.getGr(ins.r2));
        // st8.spill records the register's NaT (never set here) in UNAT bit (address bits 8:3).
        if (ins.len === LD_FILL) this.ar[AR.UNAT] = (this.ar[AR.UNAT] ?? 0n) & ~(1n << BigInt((a / 8) % 64));
        if (ins.ctype === INC_IMM) this.setGr(ins.r3, base + ins.imm);
        return Trap.NONE;
      }
      case Op.ALLOC: {
        const pfs = this.ar[AR.PFS] ?? 0n;
        if (ins.pos > 96 || ins.len > ins.pos || ins.rel * 8 > ins.pos) return this.illegal();
        this.rse.alloc(ins.pos);
        this.sof = ins.pos;
        this.sol = ins.len;
        this.sor = ins.rel;
        this.setGr(ins.r1, pfs);
        return Trap.NONE;
      }
      case Op.FLUSHRS:
        this.rse.flush();
        return Trap.NONE;
      case Op.LOADRS: {
        // Only in enforced lazy mode (RSC.mode 0); RSC.loadrs is bits 16-29.
        const rsc = this.ar[AR.RSC] ?? 0n;
        if ((rsc & 3n) !== 0n || !this.rse.loadrs(Number((rsc >> 16n) & 0x3fffn), this.sof))
          return this.illegal();
        return Trap.NONE;
      }
      case Op.BR_COND:
        this.branch(this.ip + ins.disp);
        return Trap.NONE;
      case Op.BR_CLOOP: {
        const lc = this.ar[AR.LC] ?? 0n;
        if (lc !== 0n) {
          this.ar[AR.LC] = lc - 1n;
          this.branch(this.ip + ins.disp);
        }
        return Trap.NONE;
      }
      case Op.BR_IND:
        this.branch(this.foldOrFault(this.br[ins.b2] ?? 0n, 'fetch'));
        return Trap.NONE;
      case Op.BR_CALL:
        this.call(ins, this.ip + ins.disp);
        return Trap.NONE;
      case Op.BR_CALL_IND:
        this.call(ins, this.foldOrFault(this.br[ins.b2] ?? 0n, 'fetch'));
        return Trap.NONE;
      case Op.BR_RET: {
        const target = this.foldOrFault(this.br[ins.b2] ?? 0n, 'fetch');
        const pfs = this.ar[AR.PFS] ?? 0n;
        this.setCfm(pfs & ((1n << 38n) - 1n));
        this.ar[AR.EC] = (pfs >> 52n) & 0x3fn;
        this.rse.ret(this.sol);
        this.branch(target);
        return Trap.NONE;
      }
      case Op.MOVL:
        this.setGr(ins.r1, ins.imm);
        return Trap.NONE;
      default:
        return this.illegal();
    }
  }

  /** br.call: save CFM, EC and the privilege level in ar.pfs; the outputs become the new frame. */
  private call(ins: Insn, target: FoldedAddr): void {
    this.br[ins.b1] = addressOf(this.ip + 16);
    this.ar[AR.PFS] = this.cfm() | ((this.ar[AR.EC] ?? 0n) << 52n) | (USER_PL << 62n);
    this.rse.call(this.sol);
    this.sof -= this.sol;
    this.sol = 0;
    this.sor = 0;
    this.rrbGr = 0;
    this.rrbFr = 0;
    this.rrbPr = 0;
    this.branch(target);
  }

  private illegal(): Trap {
    this.nip = this.ip;
    this.nslot = this.slot;
    return Trap.ILLEGAL;
  }
}
