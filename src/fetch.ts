// Counterpart: kernel/trace/trace_probe_tmpl.h (process_fetch_insn: registers, stack,
// memory, dereference chains, immediates, $comm) and the print functions of trace_probe.c
// (hex, decimal, 'c', "string", %pS symbols, {array}, "(fault)").
import type { Machine } from '../emu/machine.js';
import type { SymbolTable } from '../emu/symbols.js';
import type { FetchArg, FetchSource, FetchType } from './probe-def.js';
import type { Regs } from './regs.js';

/** The longest string fetched, as the kernel's MAX_STRING_SIZE (PATH_MAX). */
const MAX_STRING = 4096;

/** A value fetched for one argument: a number, a string, or the elements of an array. */
type Fetched = { kind: 'num'; v: bigint } | { kind: 'str'; s: string } | { kind: 'strs'; ss: string[] } | { kind: 'array'; vs: bigint[] } | { kind: 'fault' };

class FetchFault extends Error {}

/** Symbol addresses an argument refers to (`@SYM`), resolved once when the probe is registered. */
export function resolveSymbols(symbols: SymbolTable, a: FetchArg): string | undefined {
  let s: FetchSource = a.source;
  while (s.kind === 'deref') s = s.inner;
  if (s.kind !== 'symmem') return undefined;
  return symbols.lookup(s.symbol) ? undefined : `no symbol named '${s.symbol}'`;
}

function readMem(m: Machine, addr: bigint, size: number): Uint8Array {
  try {
    return m.mem.read(BigInt.asUintN(m.isa.wordSize * 8, addr), size);
  } catch {
    throw new FetchFault();
  }
}

function toNumber(m: Machine, b: Uint8Array): bigint {
  let v = 0n;
  const n = b.length;
  for (let i = 0; i < n; i++) v = (v << 8n) | BigInt(b[m.isa.littleEndian ? n - 1 - i : i]!);
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
      return regs.sp;
    case 'stack':
      return toNumber(m, readMem(m, regs.sp + BigInt(s.n * m.isa.wordSize), m.isa.wordSize));
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
  return sym.addr + s.offset;
}

/** Where a memory source reads from (the address the kernel's fetch would load). */
function memAddress(m: Machine, regs: Regs, s: FetchSource, entry: EntryArgs | undefined): bigint | undefined {
  if (s.kind === 'mem') return s.addr;
  if (s.kind === 'symmem') return symbolAddress(m, s);
  if (s.kind === 'deref') return value(m, regs, s.inner, entry) + s.offset;
  return undefined;
}

function readString(m: Machine, at: bigint): string {
  const bytes: number[] = [];
  for (let i = 0; i < MAX_STRING; i++) {
    const c = readMem(m, at + BigInt(i), 1)[0]!;
    if (c === 0) break;
    bytes.push(c);
  }
  return Buffer.from(bytes).toString('latin1');
}

function fetch(m: Machine, regs: Regs, a: FetchArg, comm: string, entry: EntryArgs | undefined): Fetched {
  const { source: s, type: t } = a;
  try {
    if (s.kind === 'comm') return { kind: 'str', s: comm };
    if (s.kind === 'immstr') return { kind: 'str', s: s.value };
    const at = memAddress(m, regs, s, entry);
    if (t.kind === 'string') {
      // A string array: N pointers at the address, each to a string.
      if (t.array !== undefined) {
        const ws = m.isa.wordSize;
        return { kind: 'strs', ss: Array.from({ length: t.array }, (_, i) => readString(m, toNumber(m, readMem(m, at! + BigInt(i * ws), ws)))) };
      }
      // String of memory: the bytes at the address, up to NUL.
      return { kind: 'str', s: readString(m, at!) };
    }
    const size = t.bits / 8;
    if ('array' in t && t.array !== undefined) {
      const b = readMem(m, at!, size * t.array);
      return { kind: 'array', vs: Array.from({ length: t.array }, (_, i) => toNumber(m, b.subarray(i * size, (i + 1) * size))) };
    }
    if (at !== undefined) return { kind: 'num', v: toNumber(m, readMem(m, at, size)) };
    return { kind: 'num', v: value(m, regs, s, entry) };
  } catch (e) {
    if (e instanceof FetchFault) return { kind: 'fault' };
    throw e;
  }
}

function renderNumber(m: Machine, v: bigint, t: FetchType): string {
  switch (t.kind) {
    case 'x':
      return `0x${BigInt.asUintN(t.bits, v).toString(16)}`;
    case 'u':
      return BigInt.asUintN(t.bits, v).toString();
    case 's':
      return BigInt.asIntN(t.bits, v).toString();
    case 'char':
      return `'${String.fromCharCode(Number(BigInt.asUintN(8, v)))}'`;
    case 'symbol': {
      const a = BigInt.asUintN(t.bits, v);
      const hit = m.symbols.resolve(a);
      return hit ? m.symbols.format(a) : `0x${a.toString(16)}`;
    }
    case 'bitfield':
      return ((BigInt.asUintN(t.bits, v) >> BigInt(t.offset)) & ((1n << BigInt(t.width)) - 1n)).toString();
    case 'string':
      return '';
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
): { text: Record<string, string>; json: Record<string, string> } {
  const text: Record<string, string> = {};
  const json: Record<string, string> = {};
  for (const a of args) {
    const f = fetch(m, regs, a, comm, entry);
    if (f.kind === 'fault') {
      text[a.name] = json[a.name] = '(fault)';
    } else if (f.kind === 'strs') {
      text[a.name] = `{${f.ss.map((x) => `"${x}"`).join(',')}}`;
      json[a.name] = `{${f.ss.join(',')}}`;
    } else if (f.kind === 'str') {
      text[a.name] = `"${f.s}"`;
      json[a.name] = f.s;
    } else if (f.kind === 'array') {
      text[a.name] = json[a.name] = `{${f.vs.map((v) => renderNumber(m, v, a.type)).join(',')}}`;
    } else {
      text[a.name] = json[a.name] = renderNumber(m, f.v, a.type);
    }
  }
  return { text, json };
}
