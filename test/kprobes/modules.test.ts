// Probes in shared objects (MOD:SYM, kprobe_events' module syntax): on a dynamically linked
// program, `p libc.so.6:malloc` and `r libc.so.6:malloc` wait for the dynamic loader to map
// libc, then hit as often as malloc's first instruction runs, which a code hook counts in a
// separate unprobed run; on all three ISAs.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseElf } from '../../emu/elf.js';
import { Modules } from '../../emu/modules.js';
import { CORPUS, missingRoot, rootForTest, rootOf } from '../corpus-cases.js';
import { cli } from '../helpers.js';
import { programMachine } from './support.js';

const QUANTUM = 100_000;

/** `path` run in `root` through the CLI with these definitions, its trace dropped, with --profile. */
const profiled = (root: string, defs: string[], path: string) =>
  cli([
    'run',
    '--root',
    root,
    '--quantum',
    String(QUANTUM),
    '-o',
    '/dev/null',
    '--profile',
    ...defs.flatMap((d) => ['-e', d]),
    path,
  ]);

/** How often `sym` of `mod` starts in an unprobed run: a code hook at its address once mapped. */
function oracle(path: string, root: string, mod: string, sym: string): { count: number; stdout: string } {
  const { m, out } = programMachine(path, [], { root, quantum: QUANTUM });
  let count = 0;
  let at: number | undefined;
  const inner = m.engine.handlers.code;
  m.engine.handlers.code = (a) => {
    if (a === at) count++;
    inner?.(a);
  };
  // The loader is there from the start (the kernel maps it); a library once it is mapped.
  const now = m.symbols.lookup(`${mod}:${sym}`);
  if (now) {
    at = now.addr;
    m.engine.traceCode(at, at);
  }
  m.modules.onMapped((fm, loaded) => {
    const s = loaded?.name === mod ? m.symbols.lookup(`${mod}:${sym}`) : undefined;
    if (s && at === undefined && Modules.executes(fm, s.addr)) {
      at = s.addr;
      m.engine.traceCode(at, at);
    }
  });
  const stop = m.run();
  m.close();
  expect(stop).toEqual({ kind: 'exit', status: 0 });
  expect(at).toBeDefined();
  return { count, stdout: out() };
}

describe.each(['x86_64-dyn', 'i386-dyn', 'ppc64-dyn'])('%s pthreads', (variant) => {
  it('p and r libc.so.6:malloc hit as often as malloc runs, the output unchanged', () => {
    const root = rootForTest(variant);
    if (root === undefined) return;
    const path = `${CORPUS}/build/${variant}/pthreads`;
    const want = oracle(path, root, 'libc.so.6', 'malloc');
    expect(want.count).toBeGreaterThan(0);
    const got = profiled(root, ['p:m libc.so.6:malloc size=$arg1', 'r:rm libc.so.6:malloc $retval'], path);
    expect(got.status).toBe(0);
    expect(got.stdout).toBe(want.stdout);
    expect(got.stderr).toContain(`m ${want.count} 0\n`);
    expect(got.stderr).toContain(`rm ${want.count} 0\n`);
  });

  it('a probe on an object or function the program never maps is reported, not placed', () => {
    if (missingRoot(variant)) return;
    const got = cli([
      'run',
      '--root',
      rootOf(variant) as string,
      '-e',
      'p libc.so.6:no_such_function',
      '-e',
      'p libnothere.so.1:f',
      `${CORPUS}/build/${variant}/lines`,
    ]);
    expect(got.status).toBe(0);
    expect(got.stderr).toMatch(
      /p libc\.so\.6:no_such_function: not placed: libc\.so\.6 was mapped but has no function 'no_such_function'/,
    );
    expect(got.stderr).toMatch(
      /p libnothere\.so\.1:f: not placed: the program mapped no object named libnothere\.so\.1/,
    );
  });
});

describe.each([
  ['x86_64-dyn', 'ld-linux-x86-64.so.2'],
  ['i386-dyn', 'ld-linux.so.2'],
  ['ppc64-dyn', 'ld64.so.1'],
])('%s: the dynamic loader itself', (variant, ld) => {
  it(`${ld}:_dl_catch_exception hits as often as it runs (the kernel maps the loader, not an mmap)`, () => {
    const root = rootForTest(variant);
    if (root === undefined) return;
    const path = `${CORPUS}/build/${variant}/lines`;
    const want = oracle(path, root, ld, '_dl_catch_exception');
    expect(want.count).toBeGreaterThan(0);
    const got = profiled(root, [`p:c ${ld}:_dl_catch_exception`], path);
    expect(got.status).toBe(0);
    expect(got.stdout).toBe(want.stdout);
    expect(got.stderr).toContain(`c ${want.count} 0\n`);
  });
});

describe.each([
  ['x86_64-dyn', '/lib/x86_64-linux-gnu/libc.so.6'],
  ['i386-dyn', '/usr/i686-linux-gnu/lib/libc.so.6'],
  ['ppc64-dyn', '/usr/powerpc64-linux-gnu/lib/libc.so.6'],
])("%s: uprobe_events' PATH:OFFSET", (variant, host) => {
  it('libc.so.6:0xOFFSET, by name and by path, hits as often as the function at that file offset', () => {
    const root = rootForTest(variant);
    if (root === undefined) return;
    const path = `${CORPUS}/build/${variant}/pthreads`;
    const want = oracle(path, root, 'libc.so.6', 'malloc');
    // malloc's file offset, from the file itself.
    const img = parseElf(readFileSync(host), { base: 0x10000000, shared: true });
    const malloc = img.symbols.find((s) => s.name === 'malloc' && s.kind === 'func');
    const seg = img.segments.find(
      (g) => malloc && g.executable && malloc.addr >= g.vaddr && malloc.addr < g.vaddr + g.data.length,
    );
    if (!malloc || !seg) throw new Error(`${host}: no malloc in a loaded segment`);
    const off = `0x${(malloc.addr - seg.vaddr + seg.fileOffset).toString(16)}`;
    const guestPath = host.slice(root === '/' ? 0 : root.length);
    const got = profiled(
      root,
      [`p:byname libc.so.6:${off}`, `p:bypath ${guestPath}:${off}`, 'p:none libnothere.so.1:0x1000'],
      path,
    );
    expect(got.status).toBe(0);
    expect(got.stdout).toBe(want.stdout);
    expect(got.stderr).toContain(`byname ${want.count} 0\nbypath ${want.count} 0\n`);
    expect(got.stderr).toContain(
      'p:none libnothere.so.1:0x1000: not placed: the program mapped no object libnothere.so.1',
    );
  });
});
