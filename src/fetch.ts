// Counterpart: kernel/trace/trace_probe_tmpl.h (process_fetch_insn: registers, stack,
// memory, dereference chains, immediates, $comm) and the print functions of trace_probe.c
// (hex, decimal, 'c', "string", %pS symbols, {array}, "(fault)").
import { addrOf } from '../emu/addr.js';
import type { Machine } from '../emu/machine.js';
import type { SymbolTable } from '../emu/symbols.js';
import type { FetchArg, FetchSource, FetchType } from './probe-def.js';
import type { Regs } from './regs.js';

/**
 * The kernel's MAX_STRING_SIZE (PATH_MAX): its string buffer, NUL included. A longer string
 * is cut to 4095 characters (strncpy_from_kernel_nofault copies count-1 and the NUL).
 */
const MAX_STRING = 4096;

/** A value fetched for one argument: a number, a string, or the elements of an array. */
type Fetched =
  | { kind: 'num'; v: bigint }
  | { kind: 'str'; s: string }
  | { kind: 'strs'; ss: string[] }
  | { kind: 'array'; vs: bigint[] }
  | { kind: 'fault' };

class FetchFault extends Error {}

/** Symbol addresses an argument refers to (`@SYM`), resolved once when the probe is registered. */
export function resolveSymbols(symbols: SymbolTable, a: FetchArg): string | undefined {
  let s: FetchSource = a.source;
  while (s.kind === 'deref') s = s.inner;
  if (s.kind !== 'symmem') return undefined;
  return symbols.lookup(s.symbol) ? undefined : `no symbol named '${s.symbol}'`;
}

/** Memory at a fetched value taken as an address (wrapped to the word size, as the CPU would). */
function readMem(m: Machine, addr: bigint, size: number): Uint8Array {
  try {
    return m.mem.read(addrOf(BigInt.asUintN(m.isa.wordSize * 8, addr)), size);
  } catch {
    throw new FetchFault();
  }
}

function toNumber(m: Machine, b: Uint8Array): bigint {
  let v = 0n;
  const n = b.length;
  for (let i = 0; i < n; i++) {
    const byte = b[m.isa.littleEndian ? n - 1 - i : i];
    if (byte === undefined) throw new Error(`toNumber: byte ${i} of ${n} is missing`);
    v = (v << 8n) | BigInt(byte);
  }
  return v;
}

/** Arguments of a return probe, taken at the function's entry ($argN in `r` definitions). */
export type EntryArgs = ReadonlyMap<number, bigint>;

/** The $argN numbers a fetch argument uses. */
export function argNumbers(s: FetchSource, out = new Set<number>()): Set<number> {
  if (s.kind === 'arg') out.add(s.n);
  else if (s.kind === 'deref') argNumbers(s.inner, out);
  return out;
}

/** The value of a source, for use as an address or a number. */
function value(m: Machine, regs: Regs, s: FetchSource, entry: EntryArgs | undefined): bigint {
  switch (s.kind) {
    case 'reg':
      return regs.get(s.name);
    case 'arg':
      return entry ? (entry.get(s.n) ?? 0n) : regs.arg(s.n);
    case 'retval':
      return regs.retval;
    case 'stackptr':
      return BigInt(regs.sp);
    case 'stack':
      return toNumber(m, readMem(m, BigInt(regs.sp + s.n * m.isa.wordSize), m.isa.wordSize));
    case 'imm':
      return s.value;
    case 'mem':
      return toNumber(m, readMem(m, s.addr, m.isa.wordSize));
    case 'symmem':
      return toNumber(m, readMem(m, symbolAddress(m, s), m.isa.wordSize));
    case 'deref':
      return toNumber(m, readMem(m, value(m, regs, s.inner, entry) + s.offset, m.isa.wordSize));
    case 'comm':
    case 'immstr':
      throw new FetchFault();
  }
}

function symbolAddress(m: Machine, s: { symbol: string; offset: bigint }): bigint {
  const sym = m.symbols.lookup(s.symbol);
  if (!sym) throw new FetchFault();
  return BigInt(sym.addr) + s.offset;
}

/** Where a memory source reads from (the address the kernel's fetch would load). */
function memAddress(
  m: Machine,
  regs: Regs,
  s: FetchSource,
  entry: EntryArgs | undefined,
): bigint | undefined {
  if (s.kind === 'mem') return s.addr;
  if (s.kind === 'symmem') return symbolAddress(m, s);
  if (s.kind === 'deref') return value(m, regs, s.inner, entry) + s.offset;
  return undefined;
}

function readString(m: Machine, at: bigint): string {
  const bytes: number[] = [];
  for (let i = 0; i < MAX_STRING - 1; i++) {
    const c = readMem(m, at + BigInt(i), 1)[0];
    if (c === undefined)
      throw new Error(`readString: a 1-byte read at 0x${(at + BigInt(i)).toString(16)} gave none`);
    if (c === 0) break;
    bytes.push(c);
  }
  return Buffer.from(bytes).toString('latin1');
}

function fetch(m: Machine, regs: Regs, a: FetchArg, comm: string, entry: EntryArgs | undefined): Fetched {
  const { source: s, type: t } = a;
  try {
    if (s.kind === 'comm') return { kind: 'str', s: m.sched.current.comm ?? comm };
    if (s.kind === 'immstr') return { kind: 'str', s: s.value };
    const at = memAddress(m, regs, s, entry);
    if (at === undefined) {
      // The parser gives string and array types to memory sources only.
      if (t.kind === 'string' || ('array' in t && t.array !== undefined))
        throw new Error(
          `fetch: argument ${a.name} has a ${t.kind} type but its source (${s.kind}) is not memory`,
        );
      return { kind: 'num', v: value(m, regs, s, entry) };
    }
    if (t.kind === 'string') {
      // A string array: N pointers at the address, each to a string.
      if (t.array !== undefined) {
        const ws = m.isa.wordSize;
        return {
          kind: 'strs',
          ss: Array.from({ length: t.array }, (_, i) =>
            readString(m, toNumber(m, readMem(m, at + BigInt(i * ws), ws))),
          ),
        };
      }
      // String of memory: the bytes at the address, up to NUL.
      return { kind: 'str', s: readString(m, at) };
    }
    const size = t.bits / 8;
    if ('array' in t && t.array !== undefined) {
      const b = readMem(m, at, size * t.array);
      return {
        kind: 'array',
        vs: Array.from({ length: t.array }, (_, i) => toNumber(m, b.subarray(i * size, (i + 1) * size))),
      };
    }
    return { kind: 'num', v: toNumber(m, readMem(m, at, size)) };
  } catch (e) {
    if (e instanceof FetchFault) return { kind: 'fault' };
    throw e;
  }
}

/** An `x` type's text: the low `bits` of a value in hex, as the kernel prints it. */
export function hexValue(v: bigint, bits: number): string {
  return `0x${BigInt.asUintN(bits, v).toString(16)}`;
}

function renderNumber(m: Machine, v: bigint, t: FetchType): string {
  switch (t.kind) {
    case 'x':
      return hexValue(v, t.bits);
    case 'u':
      return BigInt.asUintN(t.bits, v).toString();
    case 's':
      return BigInt.asIntN(t.bits, v).toString();
    case 'char':
      return `'${String.fromCharCode(Number(BigInt.asUintN(8, v)))}'`;
    case 'symbol': {
      const a = BigInt.asUintN(t.bits, v);
      const hit = m.symbols.resolve(addrOf(a));
      return hit ? m.symbols.format(addrOf(a)) : `0x${a.toString(16)}`;
    }
    case 'bitfield':
      return ((BigInt.asUintN(t.bits, v) >> BigInt(t.offset)) & ((1n << BigInt(t.width)) - 1n)).toString();
    case 'string':
      return '';
  }
}

/** An argument as JSON shows it: strings without the quotes ftrace puts around them. */
function jsonForm(m: Machine, f: Fetched, t: FetchType): string {
  switch (f.kind) {
    case 'num':
      return renderNumber(m, f.v, t);
    case 'str':
      return f.s;
    case 'strs':
      return `{${f.ss.join(',')}}`;
    case 'array':
      return `{${f.vs.map((v) => renderNumber(m, v, t)).join(',')}}`;
    case 'fault':
      return '(fault)';
  }
}

/**
 * Fetch and render every argument of a hit: text form as ftrace prints it (strings in
 * double quotes), JSON form the same without the quotes.
 */
export function fetchArgs(
  m: Machine,
  regs: Regs,
  args: readonly FetchArg[],
  comm: string,
  entry?: EntryArgs,
): { text: Record<string, string>; json: Record<string, string>; raw: Map<string, bigint | string> } {
  const text: Record<string, string> = {};
  const json: Record<string, string> = {};
  const raw = new Map<string, bigint | string>();
  for (const a of args) {
    const f = fetch(m, regs, a, comm, entry);
    const j = jsonForm(m, f, a.type);
    json[a.name] = j;
    if (f.kind === 'strs') text[a.name] = `{${f.ss.map((x) => `"${x}"`).join(',')}}`;
    else text[a.name] = f.kind === 'str' ? `"${f.s}"` : j;
    const r = rawForm(f, a.type);
    if (r !== undefined) raw.set(a.name, r);
  }
  return { text, json, raw };
}

/**
 * An argument as a histogram takes it: a number as the u64 the kernel's event field holds
 * (a signed type sign-extended), a string as fetched; none for an array. A fault leaves a
 * number 0 and a string "(fault)", as the kernel's event then holds.
 */
function rawForm(f: Fetched, t: FetchType): bigint | string | undefined {
  switch (f.kind) {
    case 'num':
      switch (t.kind) {
        case 's':
          return BigInt.asUintN(64, BigInt.asIntN(t.bits, f.v));
        case 'bitfield':
          return (BigInt.asUintN(t.bits, f.v) >> BigInt(t.offset)) & ((1n << BigInt(t.width)) - 1n);
        case 'string':
          return '';
        default:
          return BigInt.asUintN(t.bits, f.v);
      }
    case 'str':
      return f.s;
    case 'fault':
      return t.kind === 'string' ? '(fault)' : 0n;
    default:
      return undefined;
  }
}

/** One argument of a probe fetched and rendered as fetchArgs' JSON form, set up once a probe. */
export type JsonFetcher = ((regs: Regs, entry: EntryArgs | undefined) => string) & {
  /**
   * A hex (`x`) value a writer may render without the string: a read of its two 32-bit
   * halves (a register or a stack word; the array is reused), the type's width, and whether
   * it is the value only when no entry arguments stand in for it (an `$argN`).
   */
  hex?: { halves: () => Uint32Array; bits: number; argument: boolean };
  /** The register its value comes from, or the stack pointer for a stack word. */
  register?: number;
};

/**
 * The fetcher of one argument. A number from a register or an argument, the usual case,
 * reads its register directly; anything else takes fetch()'s general way.
 */
export function jsonFetcher(m: Machine, a: FetchArg, comm: string): JsonFetcher {
  const { source: s, type: t } = a;
  const general: JsonFetcher = (regs, entry) => jsonForm(m, fetch(m, regs, a, comm, entry), t);
  if ((t.kind !== 'x' && t.kind !== 'u' && t.kind !== 's') || t.array !== undefined) return general;
  const { cpu, isa } = m;
  let get: (entry: EntryArgs | undefined) => bigint;
  let halves: () => Uint32Array;
  let register: number;
  if (s.kind === 'arg') {
    const n = s.n;
    const reg = isa.argumentRegister(n);
    const { wordSize, littleEndian, spReg } = isa;
    const off = isa.argumentOffset(n) ?? 0;
    halves =
      reg !== undefined
        ? () => cpu.regReadHalves(reg)
        : () => cpu.memReadHalves(cpu.regReadAddr(spReg) + off, wordSize, littleEndian);
    register = reg ?? spReg;
    get = (entry) => (entry ? (entry.get(n) ?? 0n) : isa.argument(cpu, n));
  } else if (s.kind === 'reg' || s.kind === 'retval') {
    const id = s.kind === 'reg' ? isa.registers[s.name.toLowerCase()] : isa.returnReg;
    if (id === undefined) return general;
    halves = () => cpu.regReadHalves(id);
    register = id;
    get = () => cpu.regRead(id);
  } else return general;
  let f: JsonFetcher;
  if (t.kind === 'x') {
    const bits = t.bits;
    f = (_regs, entry) => hexValue(get(entry), bits);
    f.hex = { halves, bits, argument: s.kind === 'arg' };
  } else f = (_regs, entry) => renderNumber(m, get(entry), t);
  f.register = register;
  return f;
}
