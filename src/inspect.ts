// Looking at a program before probing it: its function symbols, and a function
// disassembled with, for each instruction, whether a kprobe can go there, how it would be
// carried out (the arch's fix-up class) or why not, and where given definitions would go.
import { ProbeError } from '../arch/kprobe-arch.js';
import { addrOf, hex, type GuestAddr } from '../emu/addr.js';
import { loadDisassembler } from '../emu/disasm.js';
import type { Machine } from '../emu/machine.js';
import { kprobes } from './kprobes.js';
import { DefinitionError, parseLine } from './probe-def.js';

/** Function symbols: `ADDRESS SIZE NAME`, code addresses (ppc64: resolved from .opd). */
export function symbolLines(m: Machine): string[] {
  const w = m.isa.wordSize * 2;
  return m.symbols
    .functions()
    .map((f) => `${f.addr.toString(16).padStart(w, '0')} ${f.size.toString(16).padStart(6, ' ')} ${f.name}`);
}

/** `disasm`: one function, annotated for probing. `where` is a symbol or an address in it. */
export async function disasmLines(
  m: Machine,
  where: string,
  defs: readonly string[] = [],
): Promise<string[]> {
  const syms = m.symbols;
  const byName = syms.lookup(where);
  const addr = byName
    ? byName.addr
    : /^(0x[0-9a-fA-F]+|\d+)$/.test(where)
      ? addrOf(BigInt(where))
      : undefined;
  if (addr === undefined) throw new Error(`no function named '${where}'`);
  const hit = syms.resolve(addr);
  if (!hit || hit.symbol.kind !== 'func') throw new Error(`${hex(addr)} is not inside a function`);
  const fn = hit.symbol;
  const size = fn.size > 0 ? fn.size : 16;
  const e = kprobes(m);
  const ctx = { read: (a: GuestAddr, n: number) => e.readOriginal(a, n), symbols: syms };

  // Where the definitions would go.
  const marks = new Map<GuestAddr, string[]>();
  const registers = new Set(Object.keys(m.isa.registers));
  for (const text of defs) {
    const d = parseLine(text, registers, m.isa.wordSize === 8 ? 64 : 32);
    if (d.kind === '-') continue;
    let at: GuestAddr;
    if ('addr' in d.point) at = addrOf(d.point.addr);
    else {
      const s = syms.lookup(d.point.symbol);
      if (!s || s.kind !== 'func')
        throw new DefinitionError(`no function named '${d.point.symbol}'`, d.point.column, text);
      at = s.addr + Number(d.point.offset);
    }
    marks.set(at, [...(marks.get(at) ?? []), `${d.kind === 'r' ? 'return probe' : 'probe'} ${d.event}`]);
  }

  const dis = await loadDisassembler(m.isa.cpuKind);
  const code = e.readOriginal(fn.addr, size);
  const insns = dis.decode(code, fn.addr);
  const returns = e.arch.hasReturnPath(ctx, fn.addr, fn.addr + size);
  const out = [
    `${fn.name}: ${hex(fn.addr)}..${hex(fn.addr + size)} (${size} bytes); ` +
      `return probes: ${returns ? 'yes' : 'no (it never returns)'}`,
  ];
  let at = fn.addr;
  const rows: [address: string, place: string, bytes: string, insn: string, note: string][] = [];
  for (const i of insns) {
    at = i.address + i.size;
    let how: string;
    try {
      how = e.arch.describe(e.arch.prepare(ctx, i.address));
    } catch (err) {
      if (!(err instanceof ProbeError)) throw err;
      how = `cannot probe: ${err.message.replace(/^cannot probe [^:]*: /, '')}`;
    }
    const bytes = Array.from(code.subarray(i.address - fn.addr, at - fn.addr), (b) =>
      b.toString(16).padStart(2, '0'),
    ).join(' ');
    const mark = marks.get(i.address);
    rows.push([
      hex(i.address),
      `${fn.name}+0x${(i.address - fn.addr).toString(16)}`,
      bytes,
      i.text,
      how + (mark ? `  <= ${mark.join(', ')}` : ''),
    ]);
  }
  if (at < fn.addr + size)
    rows.push([
      hex(at),
      `${fn.name}+0x${(at - fn.addr).toString(16)}`,
      '',
      '(bytes capstone does not decode)',
      '',
    ]);
  const width = (c: 0 | 1 | 2 | 3): number => Math.max(...rows.map((r) => r[c].length));
  const [w0, w1, w2, w3] = [width(0), width(1), width(2), width(3)];
  for (const [address, place, bytes, insn, note] of rows)
    out.push(
      `  ${address.padEnd(w0)}  ${place.padEnd(w1)}  ${bytes.padEnd(w2)}  ${insn.padEnd(w3)}  ${note}`.trimEnd(),
    );
  return out;
}
