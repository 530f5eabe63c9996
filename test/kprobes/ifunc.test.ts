// Probes on IFUNCs (glibc's strlen and memcpy): a probe by name goes on the implementation
// the resolver picks on the engine's CPU model, placed when the program stores that choice.
// Checked against what the program itself ended with: after an unprobed run, the slot its
// calls go through (the IRELATIVE one of a static program, the PLT slot ld.so bound) holds
// the implementation, and a code hook there counts how often it starts. Probes on every
// instruction of that implementation leave the output as it was.
import { describe, expect, it } from 'vitest';
import type { Machine } from '../../emu/machine.js';
import type { ElfSymbol } from '../../emu/elf.js';
import { pipeStdio } from '../../emu/files.js';
import { imageAt } from '../../emu/extent.js';
import { slotsOf, whenIfuncResolved } from '../../emu/ifunc.js';
import { kprobes } from '../../src/kprobes.js';
import { CORPUS, missingRoot, rootOf } from '../corpus-cases.js';
import { cli } from '../helpers.js';
import { functionBoundaries, programMachine } from './support.js';

const INPUT = 'first line\nsecond, longer line\n\nlast\n';

interface Run {
  m: Machine;
  out: () => string;
}

/** `lines fgets` of `variant` (strlen and memcpy per line), its root for a dynamic one. */
function start(variant: string): Run {
  const root = rootOf(variant);
  return programMachine(`${CORPUS}/build/${variant}/lines`, ['fgets'], {
    stdio: pipeStdio(Buffer.from(INPUT)),
    quantum: 5000,
    ...(root !== undefined ? { root } : {}),
  });
}

/** Call `fn` with IFUNC `name` once it is known (a shared object's once it is mapped). */
function onSymbol(m: Machine, name: string, fn: (s: ElfSymbol) => void): void {
  const now = m.symbols.lookup(name);
  if (now) return fn(now);
  let seen = false;
  m.modules.onMapped(() => {
    const s = m.symbols.lookup(name);
    if (!seen && s) {
      seen = true;
      fn(s);
    }
  });
}

/**
 * The implementation an unprobed run ended with in the slots of IFUNC `name` (all the same),
 * and, in a second run, how often it started.
 */
function oracle(variant: string, name: string): { impl: number; starts: number; stdout: string } {
  const first = start(variant);
  let slots: ReturnType<typeof slotsOf> = [];
  let sym: ElfSymbol | undefined;
  onSymbol(first.m, name, (s) => {
    sym = s;
    slots = slotsOf(first.m, s);
  });
  expect(first.m.run()).toEqual({ kind: 'exit', status: 0 });
  const own = sym && imageAt(first.m, sym.addr);
  const impls = new Set(
    slots.map((s) => {
      const v = first.m.mem.readAddr(s.slot);
      return s.stores === 'descriptor' ? first.m.mem.readAddr(v) : v;
    }),
  );
  // Only slots bound by then (a lazy PLT slot of a function never called still points back).
  const chosen = [...impls].filter((a) =>
    own?.segments.some((g) => g.executable && a >= g.vaddr && a < g.vaddr + g.memsz && a !== sym?.addr),
  );
  first.m.close();
  expect(chosen).toHaveLength(1);
  const impl = chosen[0] as number;
  const second = start(variant);
  let starts = 0;
  const inner = second.m.engine.handlers.code;
  second.m.engine.handlers.code = (a) => {
    if (a === impl) starts++;
    inner?.(a);
  };
  second.m.engine.traceCode(impl, impl);
  expect(second.m.run()).toEqual({ kind: 'exit', status: 0 });
  const stdout = second.out();
  second.m.close();
  return { impl, starts, stdout };
}

const CASES: [string, string[]][] = [
  ['x86_64', ['strlen', 'memcpy']],
  ['x86_64-dyn', ['libc.so.6:strlen', 'libc.so.6:memcpy']],
  // i386 glibc calls its own memcpy directly: only a program's call goes through the IFUNC,
  // and lines calls strlen alone through it.
  ['i386-dyn', ['libc.so.6:strlen']],
  ['ppc64-dyn', ['libc.so.6:strlen', 'libc.so.6:memcpy']],
];

describe.each(CASES)('%s lines', (variant, names) => {
  it.each(names)('%s: every instruction of the implementation picked, the output unchanged', (name) => {
    const missing = missingRoot(variant);
    if (missing) {
      console.warn(`${variant} skipped: ${missing}`);
      return;
    }
    const want = oracle(variant, name);
    expect(want.starts).toBeGreaterThan(0);
    const { m, out } = start(variant);
    const e = kprobes(m);
    let picked: number | undefined;
    let entry: { nhit: number } | undefined;
    let placed = 0;
    onSymbol(m, name, (sym) => {
      expect(sym.kind).toBe('ifunc');
      whenIfuncResolved(m, sym, (code) => {
        picked = code;
        const f = m.symbols.resolve(code)?.symbol;
        if (!f) throw new Error(`no symbol for the implementation of ${name}`);
        expect(f.addr).toBe(code);
        expect(f.size).toBeGreaterThan(16);
        for (const a of functionBoundaries(m, f)) {
          const p = e.registerKprobe({ addr: a }, {});
          if (a === code) entry = p;
          placed++;
        }
      });
    });
    const stop = m.run();
    const stdout = out();
    m.close();
    expect(stop).toEqual({ kind: 'exit', status: 0 });
    expect(stdout).toBe(want.stdout);
    expect(picked).toBe(want.impl);
    expect(placed).toBeGreaterThan(10);
    expect(entry?.nhit).toBe(want.starts);
  });
});

describe('probe definitions on an IFUNC', () => {
  it('p strlen and r memcpy (static x86_64) hit as often as the implementations start', () => {
    const strlen = oracle('x86_64', 'strlen');
    const memcpy = oracle('x86_64', 'memcpy');
    const got = cli(
      [
        'run',
        '--quantum',
        '5000',
        '--profile',
        '-e',
        'p:s strlen',
        '-e',
        'r:m memcpy $retval',
        '-o',
        '/dev/null',
        `${CORPUS}/build/x86_64/lines`,
        'fgets',
      ],
      INPUT,
    );
    expect(got.status).toBe(0);
    expect(got.stdout).toBe(strlen.stdout);
    expect(got.stderr).toBe(`s ${strlen.starts} 0\nm ${memcpy.starts} 0\n`);
  });

  it('the trace names the implementation', () => {
    const got = cli(['run', '-e', 'p strlen', `${CORPUS}/build/x86_64/lines`, 'fgets'], INPUT);
    expect(got.status).toBe(0);
    expect(got.stderr).toMatch(/p_strlen_0: \(__strlen_\w+\+0x0\/0x[0-9a-f]+\)\n/);
  });

  /** i386-dyn lines (with `args`) under one definition, through the CLI. */
  const i386Lines = (def: string, args: string[]) =>
    cli(
      ['run', '--root', rootOf('i386-dyn') as string, '-e', def, `${CORPUS}/build/i386-dyn/lines`, ...args],
      INPUT,
    );

  it('an IFUNC whose choice nothing stores is refused with the reason, the program runs on', () => {
    if (missingRoot('i386-dyn')) return;
    const got = i386Lines('p libc.so.6:memcpy', ['fgets']);
    expect(got.status).toBe(0);
    expect(got.stderr).toContain(
      "kprobe-emu: p libc.so.6:memcpy: 'libc.so.6:memcpy' is an IFUNC, and no relocation stores what its resolver picks",
    );
  });

  it('an IFUNC the program ends before resolving is reported as not placed', () => {
    // lines without fgets calls strlen nowhere through its PLT: ld.so never binds it.
    if (missingRoot('i386-dyn')) return;
    const got = i386Lines('p libc.so.6:strlen', []);
    expect(got.status).toBe(0);
    expect(got.stderr).toContain(
      "kprobe-emu: p libc.so.6:strlen: not placed: the program ended before it stored the implementation 'libc.so.6:strlen' (an IFUNC) resolves to",
    );
  });
});
