// The command line as a user meets it: exit statuses, one-line reports, no stack traces.
import { mkdtempSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import { cli, fixture, ISAS, joinedRegExp } from '../helpers.js';

let dir: string;
const hello = () => Buffer.from(readFileSync(fixture('x86_64', 'hello')));

/** One line on stderr, no JavaScript stack trace. */
function expectOneLine(stderr: string, pattern: RegExp): void {
  expect(stderr).not.toMatch(/^\s+at /m);
  expect(stderr.trimEnd().split('\n')).toHaveLength(1);
  expect(stderr).toMatch(pattern);
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'kprobe-emu-cli-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('bad input exits 125 with a one-line reason', () => {
  const write = (name: string, bytes: Uint8Array | string): string => {
    const p = join(dir, name);
    writeFileSync(p, bytes);
    return p;
  };
  const cases: [string, () => string, RegExp][] = [
    ['missing file', () => join(dir, 'does-not-exist'), /does-not-exist: no such file/],
    [
      'directory',
      () => {
        const p = join(dir, 'adir');
        mkdirSync(p, { recursive: true });
        return p;
      },
      /adir: is a directory/,
    ],
    [
      'text file',
      () => write('text', '#!/bin/sh\necho this is a shell script\n'),
      /text: not an ELF file: bad magic \(offset 0\)/,
    ],
    [
      'truncated ELF',
      () => write('truncated', hello().subarray(0, 100)),
      /truncated: program header table lies beyond the end of the file/,
    ],
    [
      'ELF for ARM',
      () => {
        const b = hello();
        b.writeUInt16LE(40, 18);
        return write('arm', b);
      },
      /arm: unsupported machine ARM/,
    ],
    [
      'segment beyond the end of the file',
      () => {
        const b = hello();
        const phoff = Number(b.readBigUInt64LE(32));
        // First PT_LOAD: p_filesz and p_memsz far past the file.
        b.writeBigUInt64LE(0x100000n, phoff + 32);
        b.writeBigUInt64LE(0x100000n, phoff + 40);
        return write('beyond', b);
      },
      /beyond: segment at 0x[0-9a-f]+ extends beyond the end of the file .*\(program header 0\)/,
    ],
    [
      'entry outside any executable segment',
      () => {
        const b = hello();
        b.writeBigUInt64LE(0x1234n, 24);
        return write('entry', b);
      },
      /entry: entry point 0x1234 is not inside an executable segment \(e_entry\)/,
    ],
  ];
  it.each(cases)('%s', (_name, make, pattern) => {
    const r = cli(['run', make()]);
    expect(r.status).toBe(125);
    expect(r.stdout).toBe('');
    expectOneLine(r.stderr, pattern);
  });
});

describe.each(ISAS)('guest faults on %s end as Linux ends them', (isa) => {
  it('a jump to unmapped memory: 139 and a SIGSEGV report', () => {
    const r = cli(['run', fixture(isa, 'segv_jump')]);
    expect(r.status).toBe(139);
    expect(r.stdout.length).toBeGreaterThan(0); // output written before the fault stays
    expectOneLine(
      r.stderr,
      /^kprobe-emu: task 1000 killed by SIGSEGV at 0x10 \(0x10\): jump to unmapped address at 0x10$/m,
    );
  });
  it('an invalid instruction: 132 and a SIGILL report naming the function and the instruction', () => {
    const r = cli(['run', fixture(isa, 'illegal')]);
    expect(r.status).toBe(132);
    expectOneLine(
      r.stderr,
      isa === 'ppc64'
        ? /killed by SIGILL at do_illegal\+0x0\/0x8 \(0x[0-9a-f]+\): \(bad\)/
        : /killed by SIGILL at do_illegal\+0x0\/0x3 \(0x[0-9a-f]+\): ud2: invalid instruction/,
    );
  });
  it('a bad store names the storing instruction', () => {
    const r = cli(['run', fixture(isa, 'segv_write')]);
    expect(r.status).toBe(139);
    expectOneLine(
      r.stderr,
      isa === 'ppc64'
        ? /SIGSEGV at write_bad\+0x8\/0x10 \(0x[0-9a-f]+\): stw r3, 0\(r9\): invalid write at 0x8/
        : joinedRegExp(
            /SIGSEGV at write_bad\+0x[0-9a-f]+\/0x[0-9a-f]+ \(0x[0-9a-f]+\): /,
            /mov dword ptr \[e?r?ax\], e[dc]?[dx]i?: invalid write at 0x8/,
          ),
    );
  });
  it("the program's own breakpoint: 133 SIGTRAP", () => {
    const r = cli(['run', fixture(isa, 'trap')]);
    expect(r.status).toBe(133);
    expectOneLine(
      r.stderr,
      joinedRegExp(
        /killed by SIGTRAP at do_trap\+0x0\/0x[0-9a-f]+ \(0x[0-9a-f]+\): /,
        /(int3|trap): breakpoint instruction in the program/,
      ),
    );
  });
});

describe('limits and usage', () => {
  it('an endless loop with --max-insns exits 125 naming where it stopped', () => {
    const r = cli(['run', '--max-insns', '200000', fixture('x86_64', 'forever')]);
    expect(r.status).toBe(125);
    expect(r.stdout).toBe('spinning\n');
    expectOneLine(
      r.stderr,
      /instruction budget of 200000 exceeded at spin_forever\+0x[0-9a-f]+\/0x[0-9a-f]+ .* \(task 1000\)/,
    );
  });
  it('--max-tasks makes clone fail with EAGAIN past the limit', () => {
    const r = cli([
      'run',
      '--max-tasks',
      '2',
      '-e',
      'r:sp spawn_thread ret=$retval:s32',
      fixture('x86_64', 'threads'),
    ]);
    expect([r.status, r.stdout]).toEqual([1, 'spawn_thread failed\n']);
    // The first thread is made (its tid), the second is refused: -EAGAIN.
    expect([...r.stderr.matchAll(/ sp: .* ret=(-?\d+)$/gm)].map((x) => Number(x[1]))).toEqual([1001, -11]);
  });
  it('a divide by zero ends with 136 SIGFPE', () => {
    const r = cli(['run', fixture('i386', 'divzero')]);
    expect(r.status).toBe(136);
    expectOneLine(
      r.stderr,
      /SIGFPE at do_div\+0x[0-9a-f]+\/0x[0-9a-f]+ \(0x[0-9a-f]+\): idiv ecx: integer divide error/,
    );
  });
  it('the guest exit status passes through', () => {
    const r = cli(['run', fixture('ppc64', 'exitcode')]);
    expect(r.status).toBe(42);
    expect(r.stderr).toBe('');
  });
  it('guest arguments that look like options reach the guest', () => {
    const r = cli(['run', fixture('x86_64', 'args'), '-x', '--max-insns', '5']);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('argv[1] = -x\nargv[2] = --max-insns\nargv[3] = 5\n');
  });
  it('--env takes one KEY=VALUE each time, and the program path after it stays the program', () => {
    const r = cli(['run', '--env', 'HOME=/root', '--env', 'LANG=C', fixture('x86_64', 'args'), 'x']);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('argc = 2\n');
    expect(r.stdout).toContain('argv[1] = x\n');
  });
  it.each([
    [['bogus']],
    [['run']],
    [['run', '--env', 'HOME', 'x']],
    [['run', '--max-insns', 'abc', 'x']],
    [['run', '--quantum', '0', 'x']],
    [['run', '--no-such-option', 'x']],
  ])('wrong usage %j exits 2 with a message and no stack trace', (args) => {
    const r = cli(args);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/error: /);
    expect(r.stderr).not.toMatch(/^\s+at /m);
  });
});

describe('help', () => {
  it.each([[['--help']], [['run', '--help']], [['symbols', '--help']], [['disasm', '--help']]])(
    '%j shows examples and exits 0',
    (args) => {
      const r = cli(args);
      expect(r.status).toBe(0);
      expect(r.stdout).toMatch(/Examples?:\n {2}kprobe-emu /);
    },
  );
});
