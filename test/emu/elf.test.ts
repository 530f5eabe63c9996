// The ELF loader's parser: each ISA's fixtures, ppc64 descriptors, and refusals with where.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { EM_386, EM_PPC64, EM_X86_64, ElfError, parseElf } from '../../emu/elf.js';
import { SymbolTable } from '../../emu/symbols.js';
import { findOne, fixture, hasCommand, hex, ISAS, symbol } from '../helpers.js';

const load = (isa: 'x86_64' | 'i386' | 'ppc64', name: string) =>
  Buffer.from(readFileSync(fixture(isa, name)));

describe('parseElf', () => {
  it.each([
    ['x86_64', EM_X86_64, 64, true],
    ['i386', EM_386, 32, true],
    ['ppc64', EM_PPC64, 64, false],
  ] as const)(
    '%s: machine, class, byte order, an executable segment holding the entry',
    (isa, machine, cls, le) => {
      const img = parseElf(load(isa, 'fib'));
      expect(img.machine).toBe(machine);
      expect(img.class).toBe(cls);
      expect(img.littleEndian).toBe(le);
      const seg = img.segments.find((s) => img.entry >= s.vaddr && img.entry < s.vaddr + s.memsz);
      expect(seg?.executable, `entry ${hex(img.entry)}`).toBe(true);
      expect(img.symbols.find((s) => s.name === 'fib')?.kind).toBe('func');
    },
  );

  it('ppc64 ELFv1: entry and function symbols resolve through .opd descriptors to code and TOC', () => {
    const img = parseElf(load('ppc64', 'fib'));
    expect(img.rawEntry).not.toBe(img.entry);
    expect(img.entryToc).toBeGreaterThan(0n);
    const fib = findOne(img.symbols, 'symbol fib', (s) => s.name === 'fib');
    expect(fib.descriptor).toBeDefined();
    expect(fib.addr).not.toBe(fib.descriptor);
    expect(fib.toc).toBe(img.entryToc);
    const text = findOne(img.segments, 'executable segment', (s) => s.executable);
    expect(fib.addr >= text.vaddr && fib.addr < text.vaddr + text.memsz).toBe(true);
    // The code address holds the function's first instruction, not descriptor words.
    const off = fib.addr - text.vaddr;
    const first = new DataView(text.data.buffer, text.data.byteOffset).getUint32(off);
    expect(first).not.toBe(Math.floor(fib.addr / 2 ** 32));
  });

  it('symbol+offset lookups both ways, sizes included', () => {
    for (const isa of ISAS) {
      const t = new SymbolTable(parseElf(load(isa, 'nested')).symbols);
      const b = symbol(t, 'b');
      expect(b.size).toBeGreaterThan(0n);
      expect(t.resolve(b.addr + 4)).toEqual({ symbol: b, offset: 4 });
      expect(t.format(b.addr + 4)).toBe(`b+0x4/0x${b.size.toString(16)}`);
      expect(t.resolve(b.addr + b.size)?.symbol.name).not.toBe('b');
    }
  });

  const bad: [string, (b: Buffer) => Buffer, RegExp][] = [
    ['empty', () => Buffer.alloc(0), /file too short to be ELF/],
    ['bad class', (b) => ((b[4] = 7), b), /bad ELF class 7 \(e_ident\[EI_CLASS\]\)/],
    [
      'a PT_INTERP that is no absolute path',
      (b) => (b.writeUInt32LE(3, Number(b.readBigUInt64LE(32))), b),
      /interpreter '.*' is not an absolute path \(program header 0\)/,
    ],
    ['ET_REL', (b) => (b.writeUInt16LE(1, 16), b), /not an executable \(e_type 1\)/],
    [
      'filesz > memsz',
      (b) => {
        const ph = Number(b.readBigUInt64LE(32));
        b.writeBigUInt64LE(b.readBigUInt64LE(ph + 40) + 1n, ph + 32);
        return b;
      },
      /p_filesz .* exceeds p_memsz .* \(program header 0\)/,
    ],
    [
      'overlapping segments',
      (b) => {
        const ph = Number(b.readBigUInt64LE(32));
        const phnum = b.readUInt16LE(56);
        // Turn the last program header into a copy of the first PT_LOAD.
        let first = -1;
        for (let i = 0; i < phnum && first < 0; i++)
          if (b.readUInt32LE(ph + i * 56) === 1) first = ph + i * 56;
        b.copy(b, ph + (phnum - 1) * 56, first, first + 56);
        return b;
      },
      /overlaps the segment at/,
    ],
    ['no program headers', (b) => (b.writeUInt16LE(0, 56), b), /no program headers \(e_phnum\)/],
    [
      'huge segment',
      (b) => {
        const ph = Number(b.readBigUInt64LE(32));
        b.writeBigUInt64LE(1n << 60n, ph + 40);
        return b;
      },
      /outside the user address space|too large/,
    ],
    [
      'bogus symbol table entry size',
      (b) => {
        const shoff = Number(b.readBigUInt64LE(40));
        const shnum = b.readUInt16LE(60);
        for (let i = 0; i < shnum; i++)
          if (b.readUInt32LE(shoff + i * 64 + 4) === 2) b.writeBigUInt64LE(7n, shoff + i * 64 + 56);
        return b;
      },
      /symbol size 7, expected 24/,
    ],
  ];
  it.each(bad)('refuses %s with what and where', (_n, mutate, pattern) => {
    const b = mutate(load('x86_64', 'nested'));
    expect(() => parseElf(b)).toThrow(ElfError);
    expect(() => parseElf(b)).toThrow(pattern);
  });

  it('loads a position-independent x86 executable at its base and refuses a ppc64 one', () => {
    const pie = load('x86_64', 'nested');
    pie.writeUInt16LE(3, 16);
    const plain = parseElf(load('x86_64', 'nested'));
    const moved = parseElf(pie);
    expect(moved.loadBias).toBe(0x555555554000);
    expect(moved.entry).toBe(plain.entry + 0x555555554000);
    expect(moved.segments.map((g) => g.vaddr)).toEqual(plain.segments.map((g) => g.vaddr + 0x555555554000));
    expect(symbol(new SymbolTable(moved.symbols), 'b').addr).toBe(
      symbol(new SymbolTable(plain.symbols), 'b').addr + 0x555555554000,
    );
    const ppc = load('ppc64', 'hello');
    ppc.writeUInt16BE(3, 16);
    expect(() => parseElf(ppc)).toThrow(/position-independent PowerPC64 executables .*\(e_type\)/);
  });

  it.each([
    ['x86_64-dyn', '/lib64/ld-linux-x86-64.so.2', 0x555555554000],
    ['i386-dyn', '/lib/ld-linux.so.2', 0x56555000],
    ['ppc64-dyn', '/lib64/ld64.so.1', 0x100000000],
  ])(
    'reads the interpreter of a dynamically linked %s program and places it as Linux does',
    (variant, interp, base) => {
      const image = parseElf(readFileSync(`fixtures/corpus/build/${variant}/lines`));
      expect(image.interp).toBe(interp);
      expect(image.loadBias).toBe(base);
      // main's code (on ppc64 through its descriptor, relocated as ld.so will) is in the text.
      const main = symbol(new SymbolTable(image.symbols), 'main');
      const text = image.segments.find(
        (g) => g.executable && main.addr >= g.vaddr && main.addr < g.vaddr + g.memsz,
      );
      expect(text).toBeDefined();
      expect(image.entry).toBeGreaterThan(base);
    },
  );

  it('refuses little-endian ppc64 (ELFv2) and ppc64 binaries that claim ELFv2', () => {
    const le = load('ppc64', 'hello');
    le[5] = 1;
    le.writeUInt16LE(21, 18);
    le.writeUInt16LE(2, 16);
    expect(() => parseElf(le)).toThrow(/little-endian PowerPC64/);
    const v2 = load('ppc64', 'hello');
    v2.writeUInt32BE(2, 48);
    expect(() => parseElf(v2)).toThrow(/ELFv2 ABI is not supported .*\(e_flags\)/);
  });
});

describe('SymbolTable: static functions that share a name', () => {
  // glibc has several static round_and_return (strtod, strtof, strtold): by name a probe
  // must say which (its address), by address each is found, as kallsyms finds it.
  it.each(['x86_64', 'i386', 'ppc64'])('%s glibc: every function resolves at each of its bytes', (isa) => {
    const syms = parseElf(readFileSync(`fixtures/corpus/build/${isa}/clock`)).symbols;
    const t = new SymbolTable(syms);
    const fns = syms.filter((s) => s.kind === 'func' && s.size > 0);
    const shared = fns.filter((f) => (t.ambiguity(f.name) ?? 0) > 1);
    expect(shared.length).toBeGreaterThan(3);
    for (const f of fns)
      for (const at of [f.addr, f.addr + f.size - 1])
        expect(t.resolve(at)?.symbol.kind, `${f.name} at ${hex(at)}`).toBe('func');
    for (const f of shared) expect(t.resolve(f.addr)?.symbol.addr, f.name).toBe(f.addr);
  });
});

/** What readelf (binutils) says of a file: its output lines matching `re`. */
function readelf(args: string[], path: string, re: RegExp): string[] {
  const r = spawnSync('readelf', ['-W', ...args, path], { encoding: 'latin1', maxBuffer: 1 << 30 });
  // readelf exits 1 where it looked for separate debug info and found none: its output stands.
  if (r.error || r.stdout === '') throw new Error(`readelf ${args.join(' ')} ${path}: ${r.stderr}`);
  return r.stdout.split('\n').filter((l) => re.test(l));
}

describe('parseElf: relocations that store code addresses, and .eh_frame', () => {
  // Static glibc (IRELATIVE, ppc64 JMP_IREL) and each ISA's shared libc (GLOB_DAT, JUMP_SLOT).
  const files = [
    'fixtures/corpus/build/x86_64/lines',
    'fixtures/corpus/build/i386/lines',
    'fixtures/corpus/build/ppc64/lines',
    '/lib/x86_64-linux-gnu/libc.so.6',
    '/usr/i686-linux-gnu/lib/libc.so.6',
    '/usr/powerpc64-linux-gnu/lib/libc.so.6',
  ].filter((f) => existsSync(f));

  it.each(files)('%s: every FDE range and IRELATIVE relocation readelf shows', (path) => {
    if (!hasCommand('readelf')) {
      console.warn('readelf (binutils) is not installed: relocations and FDEs not compared with it');
      return;
    }
    const base = path.endsWith('.so.6') ? 0x10000000 : undefined;
    const img = parseElf(readFileSync(path), base !== undefined ? { base, shared: true } : {});
    const bias = base ?? 0;
    const fdes = readelf(['--debug-dump=frames'], path, / FDE /).map((l) => {
      const m = /pc=([0-9a-f]+)\.\.([0-9a-f]+)/.exec(l);
      if (!m) throw new Error(`no pc range in ${l}`);
      return { begin: parseInt(m[1] as string, 16) + bias, end: parseInt(m[2] as string, 16) + bias };
    });
    expect(fdes.length).toBeGreaterThan(100);
    expect(img.fdes).toEqual([...fdes].sort((a, b) => a.begin - b.begin));
    const irel = readelf(['-r'], path, /IREL/).map((l) => parseInt(l.split(/\s+/)[0] as string, 16) + bias);
    expect(
      img.codeSlots
        .filter((s) => s.resolver !== undefined)
        .map((s) => s.slot)
        .sort(),
    ).toEqual(irel.sort());
    const bound = readelf(['-r'], path, /_(JUMP_SLOT|JMP_SLOT|GLOB_DAT) /);
    expect(img.codeSlots.filter((s) => s.symbol !== undefined)).toHaveLength(bound.length);
  });

  it('IFUNC symbols are kept as such, with their resolver', () => {
    const img = parseElf(readFileSync('fixtures/corpus/build/x86_64/lines'));
    const strlen = img.symbols.find((s) => s.name === 'strlen');
    expect(strlen?.kind).toBe('ifunc');
    expect(img.codeSlots.some((s) => s.resolver === strlen?.addr)).toBe(true);
  });
});
