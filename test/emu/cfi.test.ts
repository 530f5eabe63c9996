// emu/cfi.ts: the call frame programs of every FDE of the fixtures and the static glibc
// corpus against binutils' own reading of them (readelf --debug-dump=frames-interp), the
// instructions and expressions the corpus does not use on a hand-made section, and stack
// traces of probed programs walked by their CFI on all three ISAs.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  CfiError,
  evaluate,
  FrameIndex,
  rulesAt,
  step,
  walkStack,
  type FrameRules,
  type RegisterRule,
} from '../../emu/cfi.js';
import { EM_386, EM_X86_64, parseElf } from '../../emu/elf.js';
import type { Machine } from '../../emu/machine.js';
import { Modules } from '../../emu/modules.js';
import { registerKprobe } from '../../src/index.js';
import { createMachine, loadElfFile } from '../../src/run.js';
import { rootForTest } from '../corpus-cases.js';
import { hasCommand, hex, ISAS, present, symbol, type IsaName } from '../helpers.js';
import { functionBoundaries } from '../kprobes/support.js';

// --- readelf's reading ---------------------------------------------------------------------

/** readelf's register names (binutils dwarf.c dwarf_regnames_x86_64/_i386); ppc64 has none: rN. */
const READELF_NAMES: Record<number, string[]> = {
  [EM_X86_64]: 'rax rdx rcx rbx rsi rdi rbp rsp r8 r9 r10 r11 r12 r13 r14 r15 rip'.split(' '),
  [EM_386]: 'eax ecx edx ebx esp ebp esi edi eip'.split(' '),
};

interface ReadelfRow {
  loc: number;
  cfa: string;
  /** [column header, rule] as readelf prints them ('ra' for the return address column). */
  regs: [string, string][];
}

interface ReadelfEntry {
  kind: 'CIE' | 'FDE';
  offset: number;
  cie: number;
  begin: number;
  end: number;
  rows: ReadelfRow[];
}

/** The tables of `readelf --debug-dump=frames-interp`, one entry per CIE and FDE. */
function readelfTables(path: string): ReadelfEntry[] {
  const text = execFileSync('readelf', ['--debug-dump=frames-interp', path], {
    encoding: 'latin1',
    maxBuffer: 1 << 28,
  });
  const out: ReadelfEntry[] = [];
  let cur: ReadelfEntry | undefined;
  let cols: string[] | undefined;
  for (const line of text.split('\n')) {
    let m = /^([0-9a-f]+) [0-9a-f]+ [0-9a-f]+ CIE /.exec(line);
    if (m) {
      cur = { kind: 'CIE', offset: parseInt(m[1] ?? '', 16), cie: 0, begin: 0, end: 0, rows: [] };
      out.push(cur);
      cols = undefined;
      continue;
    }
    m = /^([0-9a-f]+) [0-9a-f]+ [0-9a-f]+ FDE cie=([0-9a-f]+) pc=([0-9a-f]+)\.\.([0-9a-f]+)/.exec(line);
    if (m) {
      const [, off, cie, begin, end] = m.map((x) => parseInt(x, 16));
      cur = { kind: 'FDE', offset: off ?? 0, cie: cie ?? 0, begin: begin ?? 0, end: end ?? 0, rows: [] };
      out.push(cur);
      cols = undefined;
      continue;
    }
    if (/^\s+LOC\s+CFA/.test(line)) {
      cols = line.trim().split(/\s+/).slice(2);
      continue;
    }
    if (!cur || !cols || !/^[0-9a-f]+ /.test(line) || line.includes('ZERO terminator')) continue;
    // A register rule prints as `r2 (rcx)`: one field.
    const fields: string[] = [];
    for (const t of line.trim().split(/\s+/)) {
      if (t.startsWith('(') && fields.length > 0) fields[fields.length - 1] += ` ${t}`;
      else fields.push(t);
    }
    const c = cols;
    cur.rows.push({
      loc: parseInt(fields[0] ?? '', 16),
      cfa: fields[1] ?? '',
      regs: c.map((name, i) => [name, (fields[2 + i] ?? '').replace(/ \(.*\)$/, '')]),
    });
  }
  return out;
}

const signed = (n: number): string => (n >= 0 ? `+${n}` : `${n}`);

/** A rule as readelf prints it: 'u' for none (unset and undefined look alike there). */
function ruleText(r: RegisterRule | undefined): string {
  if (!r || r.kind === 'undefined') return 'u';
  switch (r.kind) {
    case 'same':
      return 's';
    case 'offset':
      return `c${signed(r.offset)}`;
    case 'valOffset':
      return `v${signed(r.offset)}`;
    case 'register':
      return `r${r.reg}`;
    case 'expression':
      return 'exp';
    case 'valExpression':
      return 'vexp';
  }
}

/** The differences between our rules and readelf's row; empty when they agree. */
function compareRow(mine: FrameRules, row: ReadelfRow, names: string[] | undefined): string[] {
  const nameOf = (n: number): string => names?.[n] ?? `r${n}`;
  const numberOf = (name: string): number =>
    name === 'ra'
      ? mine.raColumn
      : (names?.indexOf(name) ?? -1) >= 0
        ? (names?.indexOf(name) ?? -1)
        : Number(name.slice(1));
  const diffs: string[] = [];
  const cfa = mine.cfa.kind === 'expression' ? 'exp' : `${nameOf(mine.cfa.reg)}${signed(mine.cfa.offset)}`;
  if (cfa !== row.cfa) diffs.push(`CFA: readelf ${row.cfa}, ours ${cfa}`);
  const shown = new Set<number>();
  for (const [name, rule] of row.regs) {
    const n = numberOf(name);
    shown.add(n);
    const ours = ruleText(mine.regs.get(n));
    if (ours !== rule) diffs.push(`${name}: readelf ${rule}, ours ${ours}`);
  }
  for (const [n, r] of mine.regs)
    if (!shown.has(n) && r.kind !== 'undefined') diffs.push(`column ${n}: readelf none, ours ${ruleText(r)}`);
  return diffs;
}

/** The ELF files of a build directory. */
function elfFiles(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names
    .map((n) => join(dir, n))
    .filter((p) => statSync(p).isFile() && readFileSync(p).subarray(0, 4).toString('latin1') === '\x7fELF');
}

describe('call frame programs against readelf --debug-dump=frames-interp', () => {
  it('every row of every FDE of the fixtures and the static glibc corpus: the same CFA and register rules', () => {
    if (!hasCommand('readelf')) {
      console.warn('readelf is not installed (binutils): the CFI comparison is skipped');
      return;
    }
    const files = ISAS.flatMap((isa) => [
      ...elfFiles(join('fixtures', 'build', isa)),
      ...elfFiles(join('fixtures', 'corpus', 'build', isa)),
    ]);
    let fdes = 0;
    let rows = 0;
    const diffs: string[] = [];
    for (const path of files) {
      const image = parseElf(readFileSync(path));
      const index = FrameIndex.of(image);
      const byOffset = new Map((index?.fdes ?? []).map((f) => [f.offset, f]));
      const tables = readelfTables(path);
      const cies = new Map(tables.filter((t) => t.kind === 'CIE').map((t) => [t.offset, t]));
      const names = READELF_NAMES[image.machine];
      for (const t of tables) {
        if (t.kind !== 'FDE' || t.begin === t.end) continue;
        const fde = byOffset.get(t.offset);
        if (!fde || fde.begin !== t.begin || fde.end !== t.end) {
          diffs.push(`${path}: FDE at ${hex(t.offset)} (${hex(t.begin)}..${hex(t.end)}) not found`);
          continue;
        }
        fdes++;
        // An FDE of nothing but nops prints no table: the CIE's row holds for all of it.
        const own =
          t.rows.length > 0 ? t.rows : (cies.get(t.cie)?.rows ?? []).map((r) => ({ ...r, loc: t.begin }));
        // readelf prints a row at every advance: the last one at a location is what holds there.
        const at = new Map(own.map((r) => [r.loc, r]));
        for (const row of at.values()) {
          rows++;
          let d: string[];
          try {
            d = compareRow(rulesAt(fde, row.loc), row, names);
          } catch (e) {
            d = [String(e)];
          }
          if (d.length > 0) diffs.push(`${path}: FDE at ${hex(t.offset)}, ${hex(row.loc)}: ${d.join('; ')}`);
        }
      }
    }
    console.log(`CFI checked against readelf: ${files.length} files, ${fdes} FDEs, ${rows} rows`);
    expect(diffs.slice(0, 20)).toEqual([]);
    expect(fdes).toBeGreaterThan(10_000);
  });
});

// --- a hand-made section: what the corpus does not use -------------------------------------

const le32 = (x: number): number[] => [x & 0xff, (x >>> 8) & 0xff, (x >>> 16) & 0xff, (x >>> 24) & 0xff];

/** Little-endian bytes of a 64-bit .eh_frame: one CIE and one FDE for [0x400000, 0x400040). */
function handMadeSection(fdeProgram: (fieldAddr: (at: number) => number) => number[]): {
  bytes: Uint8Array;
  vaddr: number;
} {
  const vaddr = 0x1000;
  const u32 = le32;
  // CIE: version 1, "zR", code alignment 1, data alignment -8, RA column 16, FDE pointers
  // pc-relative sdata4 (0x1b); CFA = rsp + 8, RA at CFA - 8.
  const cieBody = [...u32(0), 1, 0x7a, 0x52, 0, 1, 0x78, 16, 1, 0x1b, 0x0c, 7, 8, 0x90, 1];
  while ((cieBody.length + 4) % 8) cieBody.push(0);
  const cie = [...u32(cieBody.length), ...cieBody];
  const fdeStart = cie.length;
  // Field addresses inside the FDE's instructions, which start after length, CIE pointer,
  // pc_begin, pc_range and the augmentation length: 17 bytes in.
  const insnAt = fdeStart + 17;
  const program = fdeProgram((at) => vaddr + insnAt + at);
  const begin = 0x400000 - (vaddr + fdeStart + 8);
  const fdeBody = [...u32(fdeStart + 4), ...u32(begin), ...u32(0x40), 0, ...program];
  while ((fdeBody.length + 4) % 8) fdeBody.push(0);
  return { bytes: Uint8Array.from([...cie, ...u32(fdeBody.length), ...fdeBody, ...u32(0)]), vaddr };
}

describe('call frame instructions the corpus does not use', () => {
  const { bytes, vaddr } = handMadeSection((fieldAddr) => {
    const body = [
      [0x41], // advance_loc 1: +1
      [0x0e, 16], // def_cfa_offset 16
      [0x86, 2], // offset r6 at cfa-16
      [0x02, 3], // advance_loc1 3: +4
      [0x0d, 6], // def_cfa_register r6
      [0x03, 4, 0], // advance_loc2 4: +8
      [0x0a], // remember_state
      [0x08, 3], // same_value r3
      [0x14, 12, 2], // val_offset r12: cfa-16
      [0x2f, 13, 2], // GNU_negative_offset_extended r13: cfa+16
      [0x05, 14, 3], // offset_extended r14: cfa-24
      [0x16, 15, 1, 0x31], // val_expression r15: lit1
      [0x09, 2, 1], // register r2 in r1
      [0x04, 8, 0, 0, 0], // advance_loc4 8: +16
      [0x0b], // restore_state
      [0xc6], // restore r6
      [0x12, 7, 0x7e], // def_cfa_sf r7, -2 * -8 = 16
      [0x41], // advance_loc 1: +17
      [0x13, 0x7f], // def_cfa_offset_sf -1 * -8 = 8
      [0x2e, 16], // GNU_args_size 16
      [0x00], // nop
    ].flat();
    // set_loc +0x20, pc-relative sdata4 from its own field; then the RA is undefined.
    const field = fieldAddr(body.length + 1);
    return [...body, 0x01, ...le32(0x400020 - field), 0x07, 16];
  });
  const index = new FrameIndex({ bytes, vaddr, is64: true, le: true });
  const fde = present(index.find(0x400000), 'the hand-made FDE');
  const row = (pc: number): Record<string, string> => {
    const r = rulesAt(fde, pc);
    const out: Record<string, string> = {
      cfa: r.cfa.kind === 'register' ? `r${r.cfa.reg}${signed(r.cfa.offset)}` : 'exp',
    };
    for (const [n, rule] of [...r.regs].sort(([a], [b]) => a - b)) out[`r${n}`] = ruleText(rule);
    return out;
  };

  it('finds the FDE by address, and none outside it', () => {
    expect([fde.begin, fde.end].map(hex)).toEqual(['0x400000', '0x400040']);
    expect(index.find(0x3fffff)).toBeUndefined();
    expect(index.find(0x400040)).toBeUndefined();
    expect(index.find(0x40003f)).toBe(fde);
  });

  it.each([
    [0x400000, { cfa: 'r7+8', r16: 'c-8' }],
    [0x400003, { cfa: 'r7+16', r6: 'c-16', r16: 'c-8' }],
    [0x400004, { cfa: 'r6+16', r6: 'c-16', r16: 'c-8' }],
    [
      0x400008,
      {
        cfa: 'r6+16',
        r2: 'r1',
        r3: 's',
        r6: 'c-16',
        r12: 'v-16',
        r13: 'c+16',
        r14: 'c-24',
        r15: 'vexp',
        r16: 'c-8',
      },
    ],
    [0x400010, { cfa: 'r7+16', r16: 'c-8' }],
    [0x400011, { cfa: 'r7+8', r16: 'c-8' }],
    [0x40001f, { cfa: 'r7+8', r16: 'c-8' }],
    [0x400020, { cfa: 'r7+8', r16: 'u' }],
  ])('at %s', (pc, want) => {
    expect(row(pc)).toEqual(want);
  });

  it('a step by the rules: saved registers from the CFA, values from it, the return address', () => {
    const mem = new Map<number, bigint>([
      [0x7000, 0xaaaan], // cfa-16: saved r6
      [0x7020, 0xbbbbn], // cfa+16: r13
      [0x6ff8, 0xccccn], // cfa-24: r14
      [0x7008, 0x401234n], // cfa-8: the return address
    ]);
    const readWord = (a: number): bigint => {
      const x = mem.get(a);
      if (x === undefined) throw new Error(`unmapped ${hex(a)}`);
      return x;
    };
    const regs: Record<number, bigint> = { 1: 0x11n, 3: 0x33n, 6: 0x7000n, 7: 0x6fe0n };
    const c = step(rulesAt(fde, 0x400008), (n) => regs[n], readWord, 7);
    expect(hex(c.cfa)).toBe('0x7010');
    expect(c.ra).toBe(0x401234n);
    expect([1, 2, 3, 6, 7, 12, 13, 14, 15].map((n) => c.reg(n)?.toString(16))).toEqual([
      '11', // r1: no rule, the callee's
      '11', // r2: in r1
      '33', // same value
      'aaaa',
      '7010', // the stack pointer: the CFA
      '7000', // val_offset: cfa-16
      'bbbb',
      'cccc',
      '1', // val_expression lit1
    ]);
    // The outermost frame: no return address.
    expect(step(rulesAt(fde, 0x400020), (n) => regs[n], readWord, 7).ra).toBeUndefined();
  });
});

describe('DWARF expressions', () => {
  const mem = new Map<number, bigint>([[0x1008, 0x1234n]]);
  const ctx = (regs: Record<number, bigint>) => ({
    reg: (n: number) => regs[n],
    readWord: (a: number) => {
      const x = mem.get(a);
      if (x === undefined) throw new Error(`unmapped ${hex(a)}`);
      return x;
    },
    addressSize: 8 as const,
    littleEndian: true,
  });

  it('breg and deref: a CFA saved on the stack (x86_64 signal frames, realigned frames)', () => {
    // DW_OP_breg7 (rsp): 8; DW_OP_deref
    expect(evaluate(Uint8Array.of(0x77, 8, 0x06), ctx({ 7: 0x1000n }))).toBe(0x1234n);
  });

  it.each([
    [0x401020, 0x7ff0n + 8n], // rip & 15 = 0 < 11: the first instructions of a PLT entry
    [0x40102b, 0x7ff0n + 16n], // rip & 15 = 11: after its push
  ])("glibc's PLT CFA (breg7 8; breg16 0; lit15; and; lit11; ge; lit3; shl; plus) at rip %s", (rip, cfa) => {
    const expr = Uint8Array.of(0x77, 8, 0x80, 0, 0x3f, 0x1a, 0x3b, 0x2a, 0x33, 0x24, 0x22);
    expect(evaluate(expr, ctx({ 7: 0x7ff0n, 16: BigInt(rip) }))).toBe(cfa);
  });

  it('the CFA pushed first (DW_CFA_expression), constants, plus_uconst, arithmetic wraps at the address size', () => {
    // DW_OP_const1s -1; DW_OP_plus; DW_OP_plus_uconst 0x10
    expect(evaluate(Uint8Array.of(0x09, 0xff, 0x22, 0x23, 0x10), ctx({}), 0x100n)).toBe(0x10fn);
    // DW_OP_lit0; DW_OP_lit1; DW_OP_minus: -1 as a 64-bit address
    expect(evaluate(Uint8Array.of(0x30, 0x31, 0x1c), ctx({}))).toBe((1n << 64n) - 1n);
  });

  it('an operation it does not know, an unknown register or an empty stack: CfiError, not a crash', () => {
    expect(() => evaluate(Uint8Array.of(0xe0), ctx({}))).toThrow(CfiError); // DW_OP_GNU_push_tls_address
    expect(() => evaluate(Uint8Array.of(0x75, 0), ctx({}))).toThrow(CfiError); // breg5, unknown
    expect(() => evaluate(Uint8Array.of(0x22), ctx({}))).toThrow(CfiError);
    expect(() => evaluate(Uint8Array.of(0x2f, 0x00, 0x10), ctx({}))).toThrow(CfiError); // skip past the end
  });

  it('a walk whose rules cannot be computed ends at that frame', () => {
    const { bytes, vaddr } = handMadeSection(() => [0x0f, 1, 0xe0]); // def_cfa_expression: unknown op
    const index = new FrameIndex({ bytes, vaddr, is64: true, le: true });
    const trace = walkStack(
      {
        pc: 0x400004,
        reg: () => 0x7000n,
        spColumn: 7,
        readWord: () => 0n,
        frameInfo: (pc) => index.find(pc),
        fallback: () => ({ ra: 0x1234, reg: () => 0x8000n }),
      },
      8,
    );
    expect(trace).toEqual([]);
  });
});

// --- stack traces of probed programs -------------------------------------------------------

/** The function holding `addr`, or its address in hex. */
const fnName = (m: Machine, addr: number): string => m.symbols.resolve(addr)?.symbol.name ?? hex(addr);

/**
 * Run `path` with a kprobe at `point` whose pre-handler takes the first `hits` stack traces.
 * Each trace as formatted symbols, the function names, and the raw addresses.
 */
function tracesAt(
  path: string,
  point: { symbol: string; offset?: number } | { addr: number },
  hits = 1,
  args: string[] = [],
): { names: string[][]; formatted: string[][]; raw: number[][]; probe: number } {
  const m = createMachine(loadElfFile(path), {
    argv: [path, ...args],
    stdout: () => {},
    stderr: () => {},
    warn: () => {},
  });
  try {
    const raw: number[][] = [];
    const p = registerKprobe(m, point, {
      preHandler: (_p, regs) => {
        if (raw.length < hits) raw.push(regs.stackTrace());
        return 0;
      },
    });
    const stop = m.run();
    expect(stop.kind).toBe('exit');
    return {
      names: raw.map((t) => t.map((a) => fnName(m, a))),
      formatted: raw.map((t) => t.map((a) => m.symbols.format(a))),
      raw,
      probe: p.addr,
    };
  } finally {
    m.close();
  }
}

/** A location inside `fn` after its prologue: the CFI row with the largest CFA offset. */
function midFunction(path: string, fn: string): number {
  const image = parseElf(readFileSync(path));
  const sym = present(
    image.symbols.find((s) => s.name === fn && s.kind === 'func'),
    `${fn} in ${path}`,
  );
  const fde = present(FrameIndex.of(image)?.find(sym.addr), `the FDE of ${fn}`);
  let best = sym.addr;
  let most = -1;
  // Every advance ends a row: each location a row starts at is an instruction boundary.
  for (let pc = fde.begin; pc < fde.end; pc++) {
    const r = rulesAt(fde, pc);
    if (r.cfa.kind === 'register' && r.cfa.offset > most) {
      most = r.cfa.offset;
      best = pc;
    }
  }
  return best - sym.addr;
}

/** The functions a static glibc program's main is called from, outermost last. */
const LIBC_START = /^(__libc_start_call_main|__libc_start_main(_impl)?|generic_start_main)$/;

describe.each(ISAS)('%s: stack traces by CFI (fixtures/corpus throw, static glibc)', (isa: IsaName) => {
  const prog = join('fixtures', 'corpus', 'build', isa, 'throw');
  const CHAIN = ['thrower', 'level1', 'level2', 'level3', 'main'];

  it("a probe on thrower's first instruction: the probe's own address, then every caller up to libc's start", () => {
    const t = tracesAt(prog, { symbol: 'thrower' });
    const names = present(t.names[0], 'a trace');
    const shown = t.formatted[0]?.join('\n');
    expect(present(t.raw[0], 'a trace')[0]).toBe(t.probe);
    expect(names.slice(0, 5), shown).toEqual(CHAIN);
    expect(names[5], shown).toMatch(LIBC_START);
  });

  it('a probe in the middle of thrower, its frame made: the same chain', () => {
    const off = midFunction(prog, 'thrower');
    expect(off).toBeGreaterThan(0);
    const t = tracesAt(prog, { symbol: 'thrower', offset: off });
    const names = present(t.names[0], 'a trace');
    const shown = t.formatted[0]?.join('\n');
    expect(present(t.raw[0], 'a trace')[0]).toBe(t.probe);
    expect(names.slice(0, 5), shown).toEqual(CHAIN);
    expect(names[5], shown).toMatch(LIBC_START);
  });

  it("a probe on glibc's write, printf's to an unbuffered stdout (corpus syscalls): the trace reaches main", () => {
    const t = tracesAt(join('fixtures', 'corpus', 'build', isa, 'syscalls'), { symbol: 'write' });
    const names = present(t.names[0], 'a trace');
    const shown = t.formatted[0]?.join('\n');
    expect(present(t.raw[0], 'a trace')[0]).toBe(t.probe);
    expect(names, shown).toContain('main');
    expect(names[names.indexOf('main') + 1], shown).toMatch(LIBC_START);
  });
});

describe.each(['x86_64-dyn', 'i386-dyn', 'ppc64-dyn'])(
  '%s: stack traces through a shared object',
  (variant) => {
    it("a probe on libc.so.6's write, once ld.so mapped it: libc's FDEs at its load bias, then the program's, to main", () => {
      const root = rootForTest(variant);
      if (root === undefined) return;
      const path = join('fixtures', 'corpus', 'build', variant, 'syscalls');
      const m = createMachine(loadElfFile(path), {
        argv: [path],
        root,
        stdout: () => {},
        stderr: () => {},
        warn: () => {},
      });
      try {
        const traces: number[][] = [];
        let probe: number | undefined;
        m.modules.onMapped((fm, mod) => {
          const s = mod?.name === 'libc.so.6' ? m.symbols.lookup('libc.so.6:write') : undefined;
          if (!s || probe !== undefined || !Modules.executes(fm, s.addr)) return;
          probe = registerKprobe(
            m,
            { addr: s.addr },
            {
              preHandler: (_p, regs) => {
                if (traces.length === 0) traces.push(regs.stackTrace());
                return 0;
              },
            },
          ).addr;
        });
        expect(m.run().kind).toBe('exit');
        const raw = present(traces[0], 'a trace');
        const t = raw.map((a) => m.symbols.format(a));
        // libc's local functions (new_do_write, buffered_vfprintf) have no dynamic symbol.
        expect(raw[0]).toBe(probe);
        const main = t.findIndex((f) => f.startsWith('main+'));
        expect(main, t.join('\n')).toBeGreaterThan(1);
        expect(raw.slice(0, main).map((a) => m.modules.at(a)?.name)).toEqual(Array(main).fill('libc.so.6'));
        expect(t[main + 2], t.join('\n')).toMatch(/^libc\.so\.6:__libc_start_main\+/);
      } finally {
        m.close();
      }
    });
  },
);

describe.each(ISAS)('%s: stack traces without CFI (fixtures/build, no .eh_frame)', (isa: IsaName) => {
  const prog = join('fixtures', 'build', isa, 'fib');

  it('frame pointers (rettest nested, x86 -fno-omit-frame-pointer; ppc64 back chain): inner, outer, main at each instruction of inner', () => {
    const path = join('fixtures', 'build', isa, 'rettest');
    const m = createMachine(loadElfFile(path), {
      argv: [path],
      stdout: () => {},
      stderr: () => {},
      warn: () => {},
    });
    const inner = symbol(m.symbols, 'inner');
    const code = m.mem.read(inner.addr, inner.size);
    const offsets = functionBoundaries(m, inner)
      .map((a) => a - inner.addr)
      // ppc64's epilogue between popping the frame and blr (ld r0,16(r1); mtlr r0): the
      // return address is in neither the back chain nor LR, and only CFI would say where.
      .filter(
        (o) => isa !== 'ppc64' || ![0xe8010010, 0x7c0803a6].includes(new DataView(code.buffer).getUint32(o)),
      );
    m.close();
    expect(offsets.length).toBeGreaterThan(4);
    for (const off of offsets) {
      const t = tracesAt(path, { symbol: 'inner', offset: off }, 1, ['nested']);
      expect(present(t.raw[0], 'a trace')[0]).toBe(t.probe);
      expect(t.names[0]?.slice(0, 3), `inner+${hex(off)}: ${t.formatted[0]?.join(' ')}`).toEqual([
        'inner',
        'outer',
        'main',
      ]);
    }
  });

  it("a post-handler on the instruction before inner's call: PC in the slot stands for the next one", () => {
    const path = join('fixtures', 'build', isa, 'rettest');
    const m = createMachine(loadElfFile(path), {
      argv: [path, 'nested'],
      stdout: () => {},
      stderr: () => {},
      warn: () => {},
    });
    try {
      const inner = symbol(m.symbols, 'inner');
      const insns = functionBoundaries(m, inner);
      const call = insns.findIndex((a) =>
        isa === 'ppc64'
          ? (new DataView(m.mem.read(a, 4).buffer).getUint32(0) & 0xfc000003) >>> 0 === 0x48000001
          : m.mem.read(a, 1)[0] === 0xe8,
      );
      const before = present(insns[call - 1], "the instruction before inner's call");
      let trace: number[] = [];
      registerKprobe(
        m,
        { addr: before },
        { postHandler: (_p, regs) => void (trace = trace.length > 0 ? trace : regs.stackTrace()) },
      );
      expect(m.run().kind).toBe('exit');
      const shown = trace.map((a) => m.symbols.format(a)).join('\n');
      expect(trace[0], shown).toBe(insns[call]);
      expect(trace.slice(0, 3).map((a) => fnName(m, a))).toEqual(['inner', 'outer', 'main']);
    } finally {
      m.close();
    }
  });

  it("a probe on fib's first instruction: fib's own address, then its caller", () => {
    const t = tracesAt(prog, { symbol: 'fib' }, 3, ['5']);
    for (const [i, raw] of t.raw.entries()) {
      expect(raw[0]).toBe(t.probe);
      // The first call is main's; the next two are fib's own recursion.
      expect(t.names[i]?.[1]).toBe(i === 0 ? 'main' : 'fib');
    }
  });
});
