// The sandbox of emu/linux.ts, seen from a guest (fixtures/src/sandbox.c): every call that
// would reach the host gets the documented errno and one report, no host file appears; and
// under qemu-user the same binary really reaches the host, so the fixture tries what it says.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, fixture, hasCommand, ISAS, type IsaName } from '../helpers.js';
import { I386_SYSCALLS, X86_64_SYSCALLS } from '../../arch/x86/syscalls.js';
import { PPC64_SYSCALLS } from '../../arch/ppc64/syscalls.js';
import { HOST_CALLS } from '../../emu/host-reach.js';

const EPERM = 1;
const EBADF = 9;
const E2BIG = 7;
const EACCES = 13;
const ENOSYS = 38;

/**
 * Each line of `sandbox try`, in order, with what kprobe-emu answers:
 * - host calls (HOST_CALLS): -EACCES;
 * - fds other than 0, 1, 2 are not open: -EBADF for read and write of fd 3;
 * - kill of a pid that is not the guest's own (1000): -EPERM, and no report;
 * - a mapping of a file (here stdin): -EBADF;
 * - a number no table names: -ENOSYS.
 */
const ANSWERS: readonly [string, number][] = [
  ['open', -EACCES],
  ['openat', -EACCES],
  ['creat', -EACCES],
  ['open O_CREAT', -EACCES],
  ['read fd 3', -EBADF],
  ['write fd 3', -EBADF],
  ['execve', -EACCES],
  ['fork', -EACCES],
  ['vfork', -EACCES],
  ['socket', -EACCES],
  ['kill 1 0', -EPERM],
  ['mmap fd 0', -EBADF],
  ['syscall 1000', -ENOSYS],
  ['syscall 1000 again', -ENOSYS],
];

/** i386 has no socket call in this fixture: it goes through socketcall(SYS_SOCKET). */
const socketCall = (isa: IsaName) => (isa === 'i386' ? 'socketcall' : 'socket');

/** The reports, each once: `open` and `syscall 1000` are tried twice, `kill` makes none. */
const reports = (isa: IsaName): string[] => [
  ...['open', 'openat', 'creat', 'execve', 'fork', 'vfork', socketCall(isa)].map(
    (c) => `system call ${c} would reach the host: refused with -EACCES`,
  ),
  'file-backed mmap (fd 0) refused: the guest has no host files',
  'unsupported system call number 1000: answered with -ENOSYS',
];

/** `NAME: RESULT` lines as [NAME, RESULT]. */
function results(stdout: string): [string, number][] {
  return stdout
    .trimEnd()
    .split('\n')
    .map((l) => {
      const [, name, result] = /^(.+): (-?\d+)$/.exec(l) ?? [];
      if (name === undefined || result === undefined)
        throw new Error(`not a NAME: RESULT line: ${JSON.stringify(l)}`);
      return [name, Number(result)];
    });
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'kprobe-emu-sandbox-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.each(ISAS)('sandbox on %s', (isa) => {
  it('refuses every host call with its errno, reports each once, creates no file', () => {
    const probe = join(dir, `emu-${isa}`);
    const r = cli(['run', fixture(isa, 'sandbox'), 'try', probe]);
    expect(r.status).toBe(0);
    expect(results(r.stdout)).toEqual(ANSWERS);
    expect(existsSync(probe)).toBe(false);

    const lines = r.stderr.trimEnd().split('\n');
    const want = reports(isa);
    for (const msg of want) {
      const re = new RegExp(
        `^kprobe-emu: ${escape(msg)} \\(task 1000, pc rt_syscall\\+0x[0-9a-f]+/0x[0-9a-f]+\\)$`,
      );
      expect(
        lines.filter((l) => re.test(l)),
        msg,
      ).toHaveLength(1);
    }
    expect(lines).toHaveLength(want.length);
  });

  const qemu = `qemu-${isa}`;
  it.skipIf(!hasCommand(qemu))(`under ${qemu} the same calls reach the host`, () => {
    const probe = join(dir, `qemu-${isa}`);
    const q = spawnSync(qemu, ['./sandbox', 'try', probe], {
      cwd: `fixtures/build/${isa}`,
      encoding: 'latin1',
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 60_000,
    });
    expect(q.status, q.stderr).toBe(0);
    const got = new Map(results(q.stdout));
    expect([...got.keys()]).toEqual(ANSWERS.map(([name]) => name));
    // Files opened and created: fds 3 and up, and the probe file is on the disk.
    for (const name of ['open', 'openat', 'creat', 'open O_CREAT'])
      expect(got.get(name), name).toBeGreaterThanOrEqual(3);
    expect(existsSync(probe)).toBe(true);
    // The kernel opened /bin/sh, then refused the over-long argument instead of running it.
    expect(got.get('execve')).toBe(-E2BIG);
    expect(got.get('fork')).toBeGreaterThan(0);
    expect(got.get('vfork')).toBeGreaterThan(0);
    expect(got.get('socket')).toBeGreaterThanOrEqual(3);
    expect(got.get('syscall 1000')).toBe(-ENOSYS);
  });
});

describe('every host call is refused by name', () => {
  // A misspelled name would match no call, and the call would get the generic -ENOSYS.
  it('each name is a system call of at least one ISA, and the common ones are on all three', () => {
    const tables = [X86_64_SYSCALLS, I386_SYSCALLS, PPC64_SYSCALLS].map((t) => new Set(t.values()));
    expect([...HOST_CALLS].filter((c) => !tables.some((t) => t.has(c)))).toEqual([]);
    for (const t of tables)
      for (const c of ['openat', 'execve', 'stat', 'access', 'faccessat', 'socket', 'fork'])
        expect(HOST_CALLS.has(c) && t.has(c), c).toBe(true);
  });
});
