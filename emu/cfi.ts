// Counterpart: DWARF 4 §6.4 (Call Frame Information) as .eh_frame carries it, run the way
// libgcc's unwind-dw2.c runs it (execute_cfa_program, execute_stack_op, uw_update_context_1),
// which settles what DWARF leaves to the ABI: a column with no rule keeps its value (the
// callee-saved convention), the caller's stack pointer is the CFA unless a rule says
// otherwise, and a frame's rules are looked up at its return address minus one unless the
// frame below it is a signal frame ('S').
//
// Nothing here knows registers by name: the arch maps DWARF register numbers to its own.
import { addrOf, type GuestAddr } from './addr.js';
import type { ElfImage } from './elf.js';
import { readEncoded, sleb, uleb, walkEhFrame, type EhFrameSection, type Fde } from './eh-frame.js';

export type { Fde } from './eh-frame.js';

/** A call frame program or expression this evaluator cannot run (malformed or unsupported). */
export class CfiError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CfiError';
  }
}

/** How to compute the CFA: a register plus an offset, or a DWARF expression. */
export type CfaRule =
  { kind: 'register'; reg: number; offset: number } | { kind: 'expression'; expr: Uint8Array };

/** How to recover one register (column) of the caller (DWARF 4 §6.4.1). */
export type RegisterRule =
  /** Not recoverable (the RA column: the outermost frame). */
  | { kind: 'undefined' }
  | { kind: 'same' }
  /** Saved at CFA + offset. */
  | { kind: 'offset'; offset: number }
  /** The value is CFA + offset. */
  | { kind: 'valOffset'; offset: number }
  /** In another register of the callee. */
  | { kind: 'register'; reg: number }
  /** Saved at the address the expression computes (the CFA pushed first). */
  | { kind: 'expression'; expr: Uint8Array }
  /** The value the expression computes (the CFA pushed first). */
  | { kind: 'valExpression'; expr: Uint8Array };

/** The row of the call frame table at one address. */
export interface FrameRules {
  cfa: CfaRule;
  /** Columns with a rule; a column without one keeps the callee's value. */
  regs: ReadonlyMap<number, RegisterRule>;
  raColumn: number;
  /** The FDE describes a signal trampoline: its caller's address is where it was interrupted. */
  signalFrame: boolean;
  addressSize: 4 | 8;
  /** Byte order of the expressions' operands. */
  littleEndian: boolean;
}

interface State {
  cfa: CfaRule | undefined;
  regs: Map<number, RegisterRule>;
}

const copyState = (s: State): State => ({ cfa: s.cfa, regs: new Map(s.regs) });

/**
 * The rules in force at `pc` (which `fde` covers): the CIE's initial instructions, then the
 * FDE's up to the last row starting at or before `pc`. Throws CfiError for a program it
 * cannot run.
 */
export function rulesAt(fde: Fde, pc: GuestAddr): FrameRules {
  const cie = fde.cie;
  if (!cie.understood)
    throw new CfiError(`CIE at 0x${cie.offset.toString(16)}: version ${cie.version} "${cie.augmentation}"`);
  const state: State = { cfa: undefined, regs: new Map() };
  const run = { loc: fde.begin, pc, stack: [] as State[], initial: undefined as State | undefined };
  try {
    execute(cie.instructions, fde.instructionsAddr, fde, state, run);
    run.initial = copyState(state);
    execute(fde.instructions, fde.instructionsAddr, fde, state, run);
  } catch (e) {
    if (e instanceof RangeError) throw new CfiError(`FDE at 0x${fde.offset.toString(16)}: truncated program`);
    throw e;
  }
  if (!state.cfa) throw new CfiError(`FDE at 0x${fde.offset.toString(16)}: no CFA rule`);
  return {
    cfa: state.cfa,
    regs: state.regs,
    raColumn: cie.raColumn,
    signalFrame: cie.signalFrame,
    addressSize: cie.section.is64 ? 8 : 4,
    littleEndian: cie.section.le,
  };
}

/**
 * execute_cfa_program: the instructions of `program` while the location stays at or below
 * `run.pc`. `addr` is where the program's first byte is loaded (pc-relative DW_CFA_set_loc;
 * the CIE's initial instructions never set a location).
 */
function execute(
  program: Uint8Array,
  addr: GuestAddr,
  fde: Fde,
  state: State,
  run: { loc: number; pc: GuestAddr; stack: State[]; initial: State | undefined },
): void {
  const { cie } = fde;
  const { le, is64 } = cie.section;
  const v = new DataView(program.buffer, program.byteOffset, program.byteLength);
  const at = { off: 0 };
  const u = (): number => Number(uleb(v, at));
  const s = (): number => Number(sleb(v, at));
  const block = (): Uint8Array => {
    const len = u();
    if (at.off + len > program.length) throw new RangeError('block past the end');
    const b = program.subarray(at.off, at.off + len);
    at.off += len;
    return b;
  };
  /** Move the location; false when that passes `run.pc` (the row in force there is built). */
  const advance = (to: number): boolean => {
    if (to > run.pc) return false;
    run.loc = to;
    return true;
  };
  const restore = (reg: number): void => {
    const r = run.initial?.regs.get(reg);
    if (r) state.regs.set(reg, r);
    else state.regs.delete(reg);
  };
  const cfaRegister = (reg: number, offset: number): void => {
    state.cfa = { kind: 'register', reg, offset };
  };
  while (at.off < program.length) {
    const op = v.getUint8(at.off++);
    const low = op & 0x3f;
    switch (op >> 6) {
      case 1: // DW_CFA_advance_loc
        if (!advance(run.loc + low * cie.codeAlign)) return;
        continue;
      case 2: // DW_CFA_offset
        state.regs.set(low, { kind: 'offset', offset: u() * cie.dataAlign });
        continue;
      case 3: // DW_CFA_restore
        restore(low);
        continue;
    }
    switch (op) {
      case 0x00: // DW_CFA_nop
        break;
      case 0x01: {
        // DW_CFA_set_loc
        const to = readEncoded(v, at, cie.fdeEncoding, BigInt(addr), is64, le);
        if (to === undefined)
          throw new CfiError(`DW_CFA_set_loc in encoding 0x${cie.fdeEncoding.toString(16)}`);
        if (!advance(Number(to))) return;
        break;
      }
      case 0x02: // DW_CFA_advance_loc1
        if (!advance(run.loc + v.getUint8(at.off++) * cie.codeAlign)) return;
        break;
      case 0x03: {
        // DW_CFA_advance_loc2
        const d = v.getUint16(at.off, le);
        at.off += 2;
        if (!advance(run.loc + d * cie.codeAlign)) return;
        break;
      }
      case 0x04: {
        // DW_CFA_advance_loc4
        const d = v.getUint32(at.off, le);
        at.off += 4;
        if (!advance(run.loc + d * cie.codeAlign)) return;
        break;
      }
      case 0x05: {
        // DW_CFA_offset_extended
        const reg = u();
        state.regs.set(reg, { kind: 'offset', offset: u() * cie.dataAlign });
        break;
      }
      case 0x06: // DW_CFA_restore_extended
        restore(u());
        break;
      case 0x07: // DW_CFA_undefined
        state.regs.set(u(), { kind: 'undefined' });
        break;
      case 0x08: // DW_CFA_same_value
        state.regs.set(u(), { kind: 'same' });
        break;
      case 0x09: {
        // DW_CFA_register
        const reg = u();
        state.regs.set(reg, { kind: 'register', reg: u() });
        break;
      }
      case 0x0a: // DW_CFA_remember_state: the CFA rule goes with the registers' (as gcc expects)
        run.stack.push(copyState(state));
        break;
      case 0x0b: {
        // DW_CFA_restore_state
        const saved = run.stack.pop();
        if (!saved)
          throw new CfiError(`FDE at 0x${fde.offset.toString(16)}: restore_state with none remembered`);
        state.cfa = saved.cfa;
        state.regs = saved.regs;
        break;
      }
      case 0x0c: {
        // DW_CFA_def_cfa
        const reg = u();
        cfaRegister(reg, u());
        break;
      }
      case 0x0d: // DW_CFA_def_cfa_register: the offset stays (0 after an expression)
        cfaRegister(u(), state.cfa?.kind === 'register' ? state.cfa.offset : 0);
        break;
      case 0x0e: // DW_CFA_def_cfa_offset
        cfaRegister(state.cfa?.kind === 'register' ? state.cfa.reg : 0, u());
        break;
      case 0x0f: // DW_CFA_def_cfa_expression
        state.cfa = { kind: 'expression', expr: block() };
        break;
      case 0x10: {
        // DW_CFA_expression
        const reg = u();
        state.regs.set(reg, { kind: 'expression', expr: block() });
        break;
      }
      case 0x11: {
        // DW_CFA_offset_extended_sf
        const reg = u();
        state.regs.set(reg, { kind: 'offset', offset: s() * cie.dataAlign });
        break;
      }
      case 0x12: {
        // DW_CFA_def_cfa_sf
        const reg = u();
        cfaRegister(reg, s() * cie.dataAlign);
        break;
      }
      case 0x13: // DW_CFA_def_cfa_offset_sf
        cfaRegister(state.cfa?.kind === 'register' ? state.cfa.reg : 0, s() * cie.dataAlign);
        break;
      case 0x14: {
        // DW_CFA_val_offset
        const reg = u();
        state.regs.set(reg, { kind: 'valOffset', offset: u() * cie.dataAlign });
        break;
      }
      case 0x15: {
        // DW_CFA_val_offset_sf
        const reg = u();
        state.regs.set(reg, { kind: 'valOffset', offset: s() * cie.dataAlign });
        break;
      }
      case 0x16: {
        // DW_CFA_val_expression
        const reg = u();
        state.regs.set(reg, { kind: 'valExpression', expr: block() });
        break;
      }
      case 0x2e: // DW_CFA_GNU_args_size: what a landing pad pops; nothing for the frame's rules
        u();
        break;
      case 0x2f: {
        // DW_CFA_GNU_negative_offset_extended
        const reg = u();
        state.regs.set(reg, { kind: 'offset', offset: -u() * cie.dataAlign });
        break;
      }
      default:
        throw new CfiError(
          `FDE at 0x${fde.offset.toString(16)}: call frame instruction 0x${op.toString(16)}`,
        );
    }
  }
}

/** What a DWARF expression may read: the frame's registers by DWARF number, and memory. */
export interface ExpressionContext {
  /** A register of the frame; undefined where it is not known. */
  reg(n: number): bigint | undefined;
  /** An address-sized word of memory. */
  readWord(addr: GuestAddr): bigint;
  addressSize: 4 | 8;
  littleEndian: boolean;
}

/** Operations an expression may run at most: a loop by DW_OP_bra ends there. */
const MAX_OPS = 10_000;

/**
 * execute_stack_op: the value a DWARF expression leaves on top of its stack, with
 * `initial` pushed first where given. The operations .eh_frame uses (gcc's register saves
 * of signal frames and stack-realigning functions, glibc's PLT entries), plus the rest of
 * DWARF 4's arithmetic, stack and control operations; any other throws CfiError.
 */
export function evaluate(expr: Uint8Array, ctx: ExpressionContext, initial?: bigint): bigint {
  const bits = ctx.addressSize * 8;
  const wrap = (x: bigint): bigint => BigInt.asUintN(bits, x);
  const signed = (x: bigint): bigint => BigInt.asIntN(bits, x);
  const v = new DataView(expr.buffer, expr.byteOffset, expr.byteLength);
  const le = ctx.littleEndian;
  const stack: bigint[] = initial === undefined ? [] : [wrap(initial)];
  const at = { off: 0 };
  const pop = (): bigint => {
    const x = stack.pop();
    if (x === undefined) throw new CfiError('DWARF expression: stack underflow');
    return x;
  };
  const push = (x: bigint): void => void stack.push(wrap(x));
  const reg = (n: number): bigint => {
    const r = ctx.reg(n);
    if (r === undefined) throw new CfiError(`DWARF expression: register ${n} is not known`);
    return r;
  };
  const fixed = (size: number, isSigned: boolean): bigint => {
    const o = at.off;
    at.off += size;
    if (size === 1) return BigInt(isSigned ? v.getInt8(o) : v.getUint8(o));
    if (size === 2) return BigInt(isSigned ? v.getInt16(o, le) : v.getUint16(o, le));
    if (size === 4) return BigInt(isSigned ? v.getInt32(o, le) : v.getUint32(o, le));
    return isSigned ? v.getBigInt64(o, le) : v.getBigUint64(o, le);
  };
  const binary = (f: (a: bigint, b: bigint) => bigint): void => {
    const b = pop();
    const a = pop();
    push(f(a, b));
  };
  const compare = (f: (a: bigint, b: bigint) => boolean): void =>
    binary((a, b) => (f(signed(a), signed(b)) ? 1n : 0n));
  const jump = (): void => {
    const d = v.getInt16(at.off, le);
    at.off += 2 + d;
    if (at.off < 0 || at.off > expr.length)
      throw new CfiError('DWARF expression: branch out of the expression');
  };
  try {
    for (let n = 0; at.off < expr.length; n++) {
      if (n === MAX_OPS) throw new CfiError(`DWARF expression: more than ${MAX_OPS} operations`);
      const op = v.getUint8(at.off++);
      if (op >= 0x30 && op <= 0x4f)
        push(BigInt(op - 0x30)); // DW_OP_lit0..31
      else if (op >= 0x70 && op <= 0x8f)
        push(reg(op - 0x70) + sleb(v, at)); // DW_OP_breg0..31
      else
        switch (op) {
          case 0x03: // DW_OP_addr
            push(fixed(ctx.addressSize, false));
            break;
          case 0x06: // DW_OP_deref
            push(ctx.readWord(addrOf(pop())));
            break;
          case 0x08: // DW_OP_const1u
          case 0x09: // DW_OP_const1s
          case 0x0a: // DW_OP_const2u
          case 0x0b: // DW_OP_const2s
          case 0x0c: // DW_OP_const4u
          case 0x0d: // DW_OP_const4s
          case 0x0e: // DW_OP_const8u
          case 0x0f: // DW_OP_const8s
            push(fixed(1 << ((op - 0x08) >> 1), (op & 1) === 1));
            break;
          case 0x10: // DW_OP_constu
            push(uleb(v, at));
            break;
          case 0x11: // DW_OP_consts
            push(sleb(v, at));
            break;
          case 0x12: {
            // DW_OP_dup
            const x = pop();
            stack.push(x, x);
            break;
          }
          case 0x13: // DW_OP_drop
            pop();
            break;
          case 0x14: // DW_OP_over
            if (stack.length < 2) throw new CfiError('DWARF expression: stack underflow');
            push(stack.at(-2) ?? 0n);
            break;
          case 0x15: {
            // DW_OP_pick
            const i = v.getUint8(at.off++);
            const x = stack.at(-1 - i);
            if (x === undefined) throw new CfiError('DWARF expression: stack underflow');
            push(x);
            break;
          }
          case 0x16: {
            // DW_OP_swap
            const b = pop();
            const a = pop();
            stack.push(b, a);
            break;
          }
          case 0x17: {
            // DW_OP_rot: the top moves under the next two
            const c = pop();
            const b = pop();
            const a = pop();
            stack.push(c, a, b);
            break;
          }
          case 0x19: {
            // DW_OP_abs
            const a = signed(pop());
            push(a < 0n ? -a : a);
            break;
          }
          case 0x1a: // DW_OP_and
            binary((a, b) => a & b);
            break;
          case 0x1b: // DW_OP_div (signed)
            binary((a, b) => {
              if (b === 0n) throw new CfiError('DWARF expression: division by zero');
              return signed(a) / signed(b);
            });
            break;
          case 0x1c: // DW_OP_minus
            binary((a, b) => a - b);
            break;
          case 0x1d: // DW_OP_mod
            binary((a, b) => {
              if (b === 0n) throw new CfiError('DWARF expression: division by zero');
              return a % b;
            });
            break;
          case 0x1e: // DW_OP_mul
            binary((a, b) => a * b);
            break;
          case 0x1f: // DW_OP_neg
            push(-pop());
            break;
          case 0x20: // DW_OP_not
            push(~pop());
            break;
          case 0x21: // DW_OP_or
            binary((a, b) => a | b);
            break;
          case 0x22: // DW_OP_plus
            binary((a, b) => a + b);
            break;
          case 0x23: // DW_OP_plus_uconst
            push(pop() + uleb(v, at));
            break;
          case 0x24: // DW_OP_shl
            binary((a, b) => (b >= BigInt(bits) ? 0n : a << b));
            break;
          case 0x25: // DW_OP_shr
            binary((a, b) => (b >= BigInt(bits) ? 0n : a >> b));
            break;
          case 0x26: // DW_OP_shra
            binary((a, b) => signed(a) >> (b >= BigInt(bits) ? BigInt(bits - 1) : b));
            break;
          case 0x27: // DW_OP_xor
            binary((a, b) => a ^ b);
            break;
          case 0x28: // DW_OP_bra
            if (pop() !== 0n) jump();
            else at.off += 2;
            break;
          case 0x29: // DW_OP_eq
            compare((a, b) => a === b);
            break;
          case 0x2a: // DW_OP_ge
            compare((a, b) => a >= b);
            break;
          case 0x2b: // DW_OP_gt
            compare((a, b) => a > b);
            break;
          case 0x2c: // DW_OP_le
            compare((a, b) => a <= b);
            break;
          case 0x2d: // DW_OP_lt
            compare((a, b) => a < b);
            break;
          case 0x2e: // DW_OP_ne
            compare((a, b) => a !== b);
            break;
          case 0x2f: // DW_OP_skip
            jump();
            break;
          case 0x92: {
            // DW_OP_bregx
            const r = Number(uleb(v, at));
            push(reg(r) + sleb(v, at));
            break;
          }
          case 0x94: {
            // DW_OP_deref_size: only a whole word (the memory reader reads words)
            const size = v.getUint8(at.off++);
            if (size !== ctx.addressSize) throw new CfiError(`DWARF expression: DW_OP_deref_size ${size}`);
            push(ctx.readWord(addrOf(pop())));
            break;
          }
          case 0x96: // DW_OP_nop
            break;
          default:
            throw new CfiError(`DWARF expression: operation 0x${op.toString(16)}`);
        }
    }
  } catch (e) {
    if (e instanceof RangeError) throw new CfiError('DWARF expression: truncated');
    throw e;
  }
  return pop();
}

/** The caller's frame as one step of unwinding finds it. */
export interface CallerFrame {
  cfa: bigint;
  /** The return address; undefined where the rules say there is none (the outermost frame). */
  ra: bigint | undefined;
  /**
   * The caller's registers by DWARF number, computed when asked (a saved one is read from
   * memory then): a column the rules name, the stack pointer (the CFA), else the callee's.
   * Undefined where it is not known; throws where memory cannot be read.
   */
  reg(n: number): bigint | undefined;
}

/**
 * One step of unwinding (uw_update_context_1): the caller of the frame whose registers
 * `reg` reads, at a location `rules` describe. `spColumn` is the stack pointer's DWARF
 * number. Throws CfiError where a rule needs a register that is not known.
 */
export function step(
  rules: FrameRules,
  reg: (n: number) => bigint | undefined,
  readWord: (addr: GuestAddr) => bigint,
  spColumn: number,
): CallerFrame {
  const ctx: ExpressionContext = {
    reg,
    readWord,
    addressSize: rules.addressSize,
    littleEndian: rules.littleEndian,
  };
  const wrap = (x: bigint): bigint => BigInt.asUintN(rules.addressSize * 8, x);
  const known = (n: number): bigint => {
    const r = reg(n);
    if (r === undefined) throw new CfiError(`register ${n} is not known`);
    return r;
  };
  const cfa =
    rules.cfa.kind === 'register'
      ? wrap(known(rules.cfa.reg) + BigInt(rules.cfa.offset))
      : evaluate(rules.cfa.expr, ctx);
  const value = (n: number, r: RegisterRule): bigint | undefined => {
    switch (r.kind) {
      case 'undefined':
        return undefined;
      case 'same':
        return reg(n);
      case 'offset':
        return readWord(addrOf(wrap(cfa + BigInt(r.offset))));
      case 'valOffset':
        return wrap(cfa + BigInt(r.offset));
      case 'register':
        return reg(r.reg);
      case 'expression':
        return readWord(addrOf(evaluate(r.expr, ctx, cfa)));
      case 'valExpression':
        return evaluate(r.expr, ctx, cfa);
    }
  };
  const memo = new Map<number, bigint | undefined>();
  const callerReg = (n: number): bigint | undefined => {
    if (memo.has(n)) return memo.get(n);
    const r = rules.regs.get(n);
    const x = r ? value(n, r) : n === spColumn ? cfa : reg(n);
    memo.set(n, x);
    return x;
  };
  const raRule = rules.regs.get(rules.raColumn);
  let ra: bigint | undefined;
  if (!raRule) ra = known(rules.raColumn);
  else if (raRule.kind !== 'undefined') {
    ra = callerReg(rules.raColumn);
    if (ra === undefined) throw new CfiError(`the return address (column ${rules.raColumn}) is not known`);
  }
  return { cfa, ra, reg: callerReg };
}

/**
 * The FDEs of one .eh_frame section sorted by the code they cover, for finding the one of
 * an address by binary search.
 */
export class FrameIndex {
  private static readonly cache = new WeakMap<ElfImage, FrameIndex | null>();
  /** Sorted by start. */
  readonly fdes: readonly Fde[];
  /** maxEnd[i]: the furthest end of fdes[0..i] (an FDE may reach over the starts of later ones). */
  private readonly maxEnd: Float64Array;

  constructor(section: EhFrameSection) {
    const fdes: Fde[] = [];
    walkEhFrame(section, (f) => fdes.push(f));
    fdes.sort((a, b) => a.begin - b.begin);
    this.fdes = fdes;
    this.maxEnd = new Float64Array(fdes.length);
    let m = 0;
    fdes.forEach((f, i) => (this.maxEnd[i] = m = Math.max(m, f.end)));
  }

  /** The index of an image's .eh_frame, built at its first use; undefined without one. */
  static of(image: ElfImage): FrameIndex | undefined {
    let ix = FrameIndex.cache.get(image);
    if (ix === undefined) {
      ix = image.ehFrame ? new FrameIndex(image.ehFrame) : null;
      FrameIndex.cache.set(image, ix);
    }
    return ix ?? undefined;
  }

  /** The FDE covering `pc` (the innermost, where one lies inside another). */
  find(pc: GuestAddr): Fde | undefined {
    const { fdes } = this;
    let lo = 0;
    let hi = fdes.length - 1;
    let best = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if ((fdes[mid]?.begin ?? Infinity) <= pc) {
        best = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    for (let i = best; i >= 0 && (this.maxEnd[i] ?? 0) > pc; i--) {
      const f = fdes[i];
      if (f && pc < f.end) return f;
    }
    return undefined;
  }
}

/** Where code lives: the program's image and the shared objects mapped into the process. */
export interface FrameSource {
  readonly image: ElfImage;
  readonly modules: { at(addr: GuestAddr): { readonly image: ElfImage } | undefined };
}

/** The FDE describing the code at `pc`, in the program or the loaded object holding it. */
export function findFrameInfo(src: FrameSource, pc: GuestAddr): Fde | undefined {
  const image = src.modules.at(pc)?.image ?? src.image;
  return FrameIndex.of(image)?.find(pc);
}

/** Rows already built, per FDE: the stacks of a probe hit again go through the same call sites. */
const rowCache = new WeakMap<Fde, Map<GuestAddr, FrameRules>>();
/** Rows kept per FDE at most (a function's call sites and probed places). */
const ROWS_PER_FDE = 64;

/** rulesAt, remembered (the rules are never changed once built). */
function cachedRulesAt(fde: Fde, pc: GuestAddr): FrameRules {
  let rows = rowCache.get(fde);
  if (!rows) rowCache.set(fde, (rows = new Map()));
  let r = rows.get(pc);
  if (!r) {
    r = rulesAt(fde, pc);
    if (rows.size >= ROWS_PER_FDE) rows.clear();
    rows.set(pc, r);
  }
  return r;
}

/** One frame of a walk. */
export interface Frame {
  /** Where it is: the instruction it goes on at (`exact`), or a return address into it. */
  pc: GuestAddr;
  /**
   * `pc` is the next instruction to run (the innermost frame, or one a signal interrupted),
   * not a return address: its own rules apply there, not those of the call before it.
   */
  exact: boolean;
  /** 0 for the innermost frame. */
  depth: number;
  /** Its registers by DWARF number; undefined where not known. */
  reg(n: number): bigint | undefined;
}

/** A frame's caller as a step finds it. */
export interface Caller {
  /** The return address; undefined: the frame is the outermost. */
  ra: GuestAddr | undefined;
  /** The caller's registers by DWARF number. */
  reg(n: number): bigint | undefined;
}

/** A stack to walk: the innermost frame, and how to step from a frame to its caller. */
export interface StackWalk {
  /** The innermost frame's next instruction. */
  pc: GuestAddr;
  /** The innermost frame's registers by DWARF number (the CPU's). */
  reg(n: number): bigint | undefined;
  /** The stack pointer's DWARF number. */
  spColumn: number;
  readWord(addr: GuestAddr): bigint;
  /** The FDE describing code at an address, if one does. */
  frameInfo?(pc: GuestAddr): Fde | undefined;
  /** The caller of a frame no FDE describes (frame pointers, a back chain); undefined stops. */
  fallback(frame: Frame): Caller | undefined;
  /**
   * The return address the walk goes on from, for each one found, innermost first (a return
   * address some code put in place of the real one, mapped back to it).
   */
  mapReturn?(addr: GuestAddr): GuestAddr;
}

/**
 * The return addresses of the caller chain, innermost first (at most `max`), each as
 * `mapReturn` gives it: by the FDE of each frame where one covers it, else by `fallback`.
 * The walk ends at the outermost frame, at a return address of 0, where the stack pointer
 * goes down (a broken or looping chain: only the innermost frame may share its caller's),
 * or where a rule or a memory read fails.
 */
export function walkStack(w: StackWalk, max: number): GuestAddr[] {
  const out: GuestAddr[] = [];
  let frame: Frame = { pc: w.pc, exact: true, depth: 0, reg: w.reg };
  while (out.length < max) {
    let caller: Caller | undefined;
    let exact = false;
    try {
      const at = frame.exact ? frame.pc : frame.pc - 1;
      const fde = w.frameInfo?.(at);
      if (fde) {
        const rules = cachedRulesAt(fde, at);
        const c = step(rules, frame.reg, w.readWord, w.spColumn);
        caller = { ra: c.ra === undefined ? undefined : addrOf(c.ra), reg: c.reg };
        exact = rules.signalFrame;
      } else caller = w.fallback(frame);
      if (caller?.ra === undefined || caller.ra === 0) break;
      const sp = frame.reg(w.spColumn);
      const up = caller.reg(w.spColumn);
      if (sp === undefined || up === undefined || up < sp || (up === sp && frame.depth > 0)) break;
    } catch {
      // A frame whose memory cannot be read or whose rules cannot be computed: the walk
      // ends there (a stack trace is what could be found).
      break;
    }
    const ra = w.mapReturn ? w.mapReturn(caller.ra) : caller.ra;
    out.push(ra);
    frame = { pc: ra, exact, depth: frame.depth + 1, reg: caller.reg };
  }
  return out;
}
