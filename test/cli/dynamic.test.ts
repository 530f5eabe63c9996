// Dynamically linked programs: the host's own x86_64 programs under --root / (their loader
// and libraries are the host's), as qemu-user runs them with -L /: the same output and
// status, on stdin, on files of a directory, and refused with the reason without a root.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseElf } from '../../emu/elf.js';
import { cli, hasCommand } from '../helpers.js';
import { missingRoot, rootOf } from '../corpus-cases.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'kprobe-emu-dyn-'));
  mkdirSync(join(dir, 'sub'));
  writeFileSync(join(dir, 'a.txt'), 'alpha\nbeta\ngamma\n');
  writeFileSync(join(dir, 'sub/b.txt'), 'b\n');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Host programs, their arguments (`DIR` is the test directory) and stdin. */
const PROGRAMS: [string, string[], string][] = [
  ['/bin/true', [], ''],
  ['/bin/echo', ['hello', 'dynamic', 'world'], ''],
  ['/usr/bin/seq', ['2', '3', '20'], ''],
  ['/usr/bin/sort', ['-r'], 'pear\napple\nfig\n'],
  ['/usr/bin/md5sum', [], 'the quick brown fox\n'],
  ['/bin/cat', ['DIR/a.txt', 'DIR/sub/b.txt'], ''],
  ['/bin/ls', ['-1', 'DIR', 'DIR/sub'], ''],
  ['/bin/ls', ['-ln', '--time-style=+%s', 'DIR'], ''],
  ['/usr/bin/wc', ['DIR/a.txt'], ''],
  ['/bin/cat', ['DIR/missing'], ''],
];

const withDir = (args: string[]) => args.map((a) => a.replace('DIR', dir));

describe.each(PROGRAMS.map(([p, a, i]) => [`${p} ${a.join(' ')}`, p, a, i] as const))(
  'host program %s',
  (_, program, args, input) => {
    it('runs with --root / as under qemu-user -L /', () => {
      const got = cli(['run', '-q', '--root', '/', program, ...withDir(args)], input);
      if (!hasCommand('qemu-x86_64')) {
        console.warn('qemu-x86_64 is not installed: checked without its reference');
        expect(got.status).toBeLessThan(2);
        return;
      }
      const want = spawnSync('qemu-x86_64', ['-L', '/', program, ...withDir(args)], {
        input,
        encoding: 'latin1',
        env: {},
      });
      expect({ status: got.status, stdout: got.stdout, stderr: got.stderr }).toEqual({
        status: want.status,
        stdout: want.stdout,
        stderr: want.stderr,
      });
    });
  },
);

describe('a dynamically linked program', () => {
  it('without --root is refused before it starts, saying what to give', () => {
    const got = cli(['run', '/bin/true']);
    expect(got.status).toBe(125);
    expect(got.stderr).toMatch(
      /dynamically linked \(interpreter \/lib64\/ld-linux-x86-64\.so\.2\): give --root DIR/,
    );
  });

  it('whose interpreter is not in the root is refused with the path', () => {
    const got = cli(['run', '--root', dir, '/bin/true']);
    expect(got.status).toBe(125);
    expect(got.stderr).toContain(`the interpreter /lib64/ld-linux-x86-64.so.2 is not in the root ${dir}`);
  });
});

describe('symbols and disasm', () => {
  it('list a dynamically linked program with its root, and say so without one', () => {
    const got = cli(['symbols', '--root', '/', 'fixtures/corpus/build/x86_64-dyn/lines']);
    expect(got.status).toBe(0);
    // The program's own functions, where a PIE is placed.
    expect(got.stdout).toMatch(/^0000555555[0-9a-f]{6} +[0-9a-f]+ main$/m);
    const missing = missingRoot('ppc64-dyn');
    if (missing) console.warn(`disasm of a ppc64 dynamically linked program skipped: ${missing}`);
    else {
      const dis = cli([
        'disasm',
        '--root',
        '/usr/powerpc64-linux-gnu',
        'fixtures/corpus/build/ppc64-dyn/lines',
        'main',
      ]);
      expect(dis.status).toBe(0);
      expect(dis.stdout).toMatch(/^main: 0x1000[0-9a-f]{5}\.\./);
    }
    const bare = cli(['symbols', 'fixtures/corpus/build/x86_64-dyn/lines']);
    expect(bare.status).toBe(125);
    expect(bare.stderr).toMatch(/give --root DIR/);
  });

  it('mark IFUNCs; disasm runs the program to the implementation the resolver picks', () => {
    const syms = cli(['symbols', 'fixtures/corpus/build/x86_64/lines']);
    expect(syms.status).toBe(0);
    expect(syms.stdout).toMatch(
      /^[0-9a-f]{16} +[0-9a-f]+ strlen \(IFUNC: its resolver; disasm shows the implementation it picks\)$/m,
    );
    const dis = cli(['disasm', 'fixtures/corpus/build/x86_64/lines', 'strlen']);
    expect(dis.status).toBe(0);
    expect(dis.stdout).toMatch(
      /^strlen is an IFUNC \(resolver at 0x[0-9a-f]+\): on this CPU model it picks (__strlen_\w+) \(0x[0-9a-f]+\)\n\1: 0x/,
    );
    for (const [variant, fn] of [
      ['x86_64-dyn', 'libc.so.6:memcpy'],
      ['ppc64-dyn', 'libc.so.6:strlen'],
    ] as const) {
      const root = rootOf(variant);
      if (root === undefined || missingRoot(variant)) continue;
      const got = cli(['disasm', '--root', root, `fixtures/corpus/build/${variant}/lines`, fn]);
      expect(got.status).toBe(0);
      // libc.so.6 keeps no local symbols: the implementation goes by the IFUNC's name, its
      // extent from .eh_frame.
      expect(got.stdout).toContain(`${fn} is an IFUNC`);
      expect(got.stdout).toMatch(new RegExp(`\\n${fn}: 0x[0-9a-f]+\\.\\.0x[0-9a-f]+ \\(\\d+ bytes\\)`));
    }
    const never = cli([
      'disasm',
      '--root',
      '/',
      'fixtures/corpus/build/x86_64-dyn/lines',
      'libc.so.6:nosuch',
    ]);
    expect(never.status).toBe(2);
    expect(never.stderr).toContain("never mapped a function 'libc.so.6:nosuch'");
  });

  it('probe a stripped program by address, inside the functions its .eh_frame describes', () => {
    const busybox = 'fixtures/corpus/build/busybox-x86_64/busybox';
    // _start (the entry point, run once): xor %ebp,%ebp; mov %rdx,%r9; pop %rsi; mov %rsp,%rdx
    const entry = parseElf(readFileSync(busybox)).entry;
    const at = (off: number) => `0x${(entry + off).toString(16)}`;
    const got = cli(['run', '--profile', '-e', `p:a ${at(0)}`, '-e', `p:b ${at(6)}`, busybox, 'true']);
    expect(got.status).toBe(0);
    expect(got.stderr).toContain(`a 1 0\nb 1 0\n`);
    expect(got.stderr).toContain(
      `kprobe-emu: p:b ${at(6)}: no symbol covers ${at(6)}; taken as inside the function at ${at(0)}..`,
    );
    const mid = cli(['run', '-e', `p ${at(3)}`, busybox, 'true']);
    expect(mid.status).toBe(2);
    expect(mid.stderr).toContain(
      `${at(3)} is not an instruction boundary (an instruction of ${at(0)} spans it)`,
    );
    // The ELF header: no function's code.
    const none = cli(['run', '-e', 'p 0x400000', busybox, 'true']);
    expect(none.status).toBe(2);
    expect(none.stderr).toContain(
      '0x400000 is not inside a known function (no symbol or .eh_frame entry covers it)',
    );
  });

  it('say that a stripped program has no symbols, with a failing status', () => {
    const got = cli(['symbols', 'fixtures/corpus/build/busybox-x86_64/busybox']);
    expect(got.status).toBe(1);
    expect(got.stdout).toBe('');
    expect(got.stderr).toMatch(/busybox has no function symbols \(stripped: no \.symtab\)/);
  });
});
