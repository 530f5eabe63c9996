// Looking at a program before probing it: its function symbols, and a function
// disassembled with, for each instruction, whether a kprobe can go there, how it would be
// carried out (the arch's fix-up class) or why not, and where given definitions would go.
import { ProbeError } from '../arch/kprobe-arch.js';
import { addrOf, hex, type GuestAddr } from '../emu/addr.js';
import { loadDisassembler } from '../emu/disasm.js';
import type { Machine } from '../emu/machine.js';
import type { ElfSymbol } from '../emu/elf.js';
import { whenIfuncResolved } from '../emu/ifunc.js';
import { Modules } from '../emu/modules.js';
import { kprobes } from './kprobes.js';
import { DefinitionError, parseLine } from './probe-def.js';

/**
 * Function symbols: `ADDRESS SIZE NAME`, code addresses (ppc64: resolved from .opd). An IFUNC
 * (its resolver's address) is marked so: which implementation it picks shows once the
 * program runs (`disasm` runs it that far).
 */
export function symbolLines(m: Machine): string[] {
  const w = m.isa.wordSize * 2;
  const line = (f: ElfSymbol, note = '') =>
    `${hex(f.addr).slice(2).padStart(w, '0')} ${f.size.toString(16).padStart(6, ' ')} ${m.symbols.displayName(f.name)}${note}`;
  const ifuncs = m.symbols.all.filter((s) => s.kind === 'ifunc');
  return [
    ...m.symbols.functions().map((f) => line(f)),
    ...ifuncs.map((f) => line(f, ' (IFUNC: its resolver; disasm shows the implementation it picks)')),
  ].sort();
}

/**
 * Run the program (no input, a budget) until `name` names code: a shared object's symbol
 * once the loader maps it, an IFUNC's implementation once the program stores its resolver's
 * choice. Otherwise, what it still waited for when the program ended.
 */
export function runUntilNamed(
  m: Machine,
  name: string,
): { sym: ElfSymbol; ifunc?: ElfSymbol } | { waited: 'a mapping' | 'an IFUNC choice' } {
  let found: { sym: ElfSymbol; ifunc?: ElfSymbol } | undefined;
  let waited: 'a mapping' | 'an IFUNC choice' = 'a mapping';
  const take = (s: ElfSymbol): void => {
    if (s.kind !== 'ifunc') {
      found = { sym: s };
      m.exitGroup(0);
      return;
    }
    waited = 'an IFUNC choice';
    whenIfuncResolved(m, s, (code) => {
      const impl = m.symbols.resolve(code)?.symbol;
      if (impl) found = { sym: impl, ifunc: s };
      m.exitGroup(0);
    });
  };
  const now = m.symbols.lookup(name);
  if (now) take(now);
  else
    m.modules.onMapped((fm) => {
      const s = m.symbols.lookup(name);
      if (waited === 'a mapping' && s && Modules.executes(fm, s.addr)) take(s);
    });
  m.run();
  return found ?? { waited };
}

/** `disasm`: one function, annotated for probing. `where` is a symbol or an address in it. */
export async function disasmLines(
  m: Machine,
  where: string,
  defs: readonly string[] = [],
): Promise<string[]> {
  const syms = m.symbols;
  let byName = syms.lookup(where);
  const header: string[] = [];
  // A shared object's function, or an IFUNC's implementation: only a run shows them.
  if (byName?.kind === 'ifunc' || (!byName && /^[\w.+-]+:(?!:)/.test(where))) {
    const got = runUntilNamed(m, where);
    if ('waited' in got)
      throw new Error(
        got.waited === 'an IFUNC choice'
          ? `'${where}' is an IFUNC, and the program, run with no input, ended (or ran out of its budget) before it stored the implementation its resolver picks`
          : `the program, run with no input, never mapped a function '${where}' (it ended, or ran out of its budget)`,
      );
    if (got.ifunc)
      header.push(
        `${where} is an IFUNC (resolver at ${hex(got.ifunc.addr)}): on this CPU model it picks ${m.symbols.displayName(got.sym.name)} (${hex(got.sym.addr)})`,
      );
    byName = got.sym;
  }
  const addr = byName
    ? byName.addr
    : /^(0x[0-9a-fA-F]+|\d+)$/.test(where)
      ? addrOf(BigInt(where))
      : undefined;
  if (addr === undefined) throw new Error(`no function named '${where}'`);
  const hit = syms.resolve(addr);
  if (!hit || hit.symbol.kind !== 'func') throw new Error(`${hex(addr)} is not inside a function`);
  const fn = hit.symbol;
  /** The function's name as shown (demangled unless asked not to be). */
  const shown = m.symbols.displayName(fn.name);
  const size = fn.size > 0 ? fn.size : 16;
  const e = kprobes(m);
  const ctx = e.prepareContext();

  // Where the definitions would go.
  const marks = new Map<GuestAddr, string[]>();
  const registers = new Set(Object.keys(m.isa.registers));
  for (const text of defs) {
    const d = parseLine(text, registers, m.isa.wordSize === 8 ? 64 : 32);
    if (d.kind === '-') continue;
    let at: GuestAddr;
    if ('addr' in d.point) at = addrOf(d.point.addr);
    else if ('object' in d.point) {
      const mod = m.modules.named(d.point.object);
      const a = mod && Modules.fileOffsetAddr(mod, Number(d.point.fileOffset));
      // An object not loaded (yet) has no place in this function.
      if (a === undefined) continue;
      at = a;
    } else {
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
  const out = [
    ...header,
    `${shown}: ${hex(fn.addr)}..${hex(fn.addr + size)} (${size} bytes); ` +
      `return probes: ${returnProbes(m, fn.addr, fn.name)}`,
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
    const bytes = Array.from(i.shown ?? code.subarray(i.address - fn.addr, at - fn.addr), (b) =>
      b.toString(16).padStart(2, '0'),
    ).join(' ');
    const mark = marks.get(i.address);
    rows.push([
      hex(i.address),
      `${shown}+0x${(i.address - fn.addr).toString(16)}`,
      bytes,
      i.text,
      how + (mark ? `  <= ${mark.join(', ')}` : ''),
    ]);
  }
  if (at < fn.addr + size)
    rows.push([
      hex(at),
      `${shown}+0x${(at - fn.addr).toString(16)}`,
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

/** Whether `r` takes the function at `addr`: a return probe registered and removed again. */
function returnProbes(m: Machine, addr: GuestAddr, name: string): string {
  const e = kprobes(m);
  try {
    e.unregisterKretprobe(e.registerKretprobe({ addr }, { handler: () => {} }));
    return 'yes';
  } catch (err) {
    if (!(err instanceof ProbeError)) throw err;
    // The header names the function already.
    const why = err.message.startsWith(`${name} `) ? err.message.slice(name.length + 1) : err.message;
    return `no (${why})`;
  }
}
