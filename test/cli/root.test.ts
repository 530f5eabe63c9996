// --root: Debian's busybox-static reads, lists and stats files of a read-only root as it
// does under qemu-user with the same directory as -L; its writes fail and the root stays
// as it was; its links never lead out.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, hasCommand } from '../helpers.js';

const BUSYBOX = 'fixtures/corpus/build/busybox-x86_64/busybox';

let top: string;
let root: string;

/** Every path under `d` with its size and mtime: what a write would change. */
function snapshot(d: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(d, { recursive: true }) as string[]) {
    const s = statSync(join(d, name), { throwIfNoEntry: false });
    out.push(`${name} ${s?.size} ${s?.mtimeMs}`);
  }
  return out.sort();
}

beforeAll(() => {
  top = mkdtempSync(join(tmpdir(), 'kprobe-emu-root-cli-'));
  root = join(top, 'root');
  mkdirSync(join(root, 'data/sub'), { recursive: true });
  mkdirSync(join(root, 'etc'));
  writeFileSync(join(root, 'etc/hello'), 'hello from the root\n');
  writeFileSync(join(root, 'data/nums'), Array.from({ length: 500 }, (_, i) => `${i * 7}\n`).join(''));
  writeFileSync(join(root, 'data/sub/b'), 'b\n');
  writeFileSync(join(root, 'data/sub/a'), 'a\n');
  symlinkSync('../etc/hello', join(root, 'data/rel'));
  // The host's file next to the root, as the hostile links name it.
  writeFileSync(join(top, 'secret'), 'outside\n');
});
afterAll(() => rmSync(top, { recursive: true, force: true }));

const run = (args: string[], input = '') => cli(['run', '--root', root, BUSYBOX, ...args], input);

/** The same command under qemu-user with the root as its -L. */
const qemu = (args: string[], input = '') =>
  spawnSync('qemu-x86_64', ['-L', root, BUSYBOX, ...args], { input, encoding: 'latin1', env: {} });

/**
 * Commands whose output and status qemu-user gives alike: reading, listing, stat of the
 * root's files. (qemu-user's -L is no chroot: a path it does not find under the prefix is
 * the host's, and the host follows absolute links; those cases are checked on their own.)
 */
const SAME: string[][] = [
  ['cat', '/etc/hello', '/data/rel'],
  ['wc', '-l', '/data/nums'],
  ['md5sum', '/data/nums', '/etc/hello'],
  ['head', '-n', '3', '/data/nums'],
  ['tail', '-c', '20', '/data/nums'],
  ['ls', '-1a', '/data/sub'],
  ['ls', '-1F', '/data'],
  ['find', '/data', '-type', 'f'],
  ['stat', '-c', '%s %F %h', '/data/nums', '/data/sub', '/data/rel'],
  ['stat', '-L', '-c', '%s %F', '/data/rel'],
  ['readlink', '/data/rel'],
  ['sort', '-rn', '/data/nums'],
  ['cat', '/data/missing'],
];

describe('busybox with --root', () => {
  it.each(SAME.map((a) => [a.join(' '), a] as const))('%s: as under qemu-user -L', (_, args) => {
    const got = run(args);
    expect(got.stderr).not.toMatch(/kprobe-emu:/);
    if (!hasCommand('qemu-x86_64')) {
      console.warn('qemu-x86_64 is not installed: --root is checked without its reference');
      expect(got.status).toBeLessThan(2);
      return;
    }
    const want = qemu(args);
    expect({ status: got.status, stdout: got.stdout, stderr: got.stderr }).toEqual({
      status: want.status,
      stdout: want.stdout,
      stderr: want.stderr,
    });
  });

  it('writes fail (EROFS, or EACCES for calls with no file of the root) and the root is unchanged', () => {
    const before = snapshot(root);
    const tries: [string[], RegExp][] = [
      [['sh', '-c', 'echo x > /etc/new'], /Read-only file system/],
      [['sh', '-c', 'echo x >> /etc/hello'], /Read-only file system/],
      [['cp', '/etc/hello', '/data/copy'], /Read-only file system/],
      [['touch', '/data/nums'], /Read-only file system|Permission denied/],
      [['rm', '/data/nums'], /Permission denied/],
      [['mkdir', '/data/d'], /Permission denied/],
      [['mv', '/data/nums', '/data/n2'], /Permission denied/],
      [['ln', '-s', 'x', '/data/l'], /Permission denied/],
    ];
    for (const [args, why] of tries) {
      const got = run(args);
      expect(got.status, args.join(' ')).not.toBe(0);
      expect(got.stderr, args.join(' ')).toMatch(why);
    }
    expect(snapshot(root)).toEqual(before);
  });

  it('resolves as in a chroot: absolute links from the root, ENOTDIR under a file', () => {
    symlinkSync('/etc/hello', join(root, 'data/abs'));
    try {
      expect(run(['cat', '/data/abs'])).toEqual({ status: 0, stdout: 'hello from the root\n', stderr: '' });
      expect(run(['readlink', '/data/abs']).stdout).toBe('/etc/hello\n');
      expect(run(['ls', '/etc/hello/x']).stderr).toBe('ls: /etc/hello/x: Not a directory\n');
      // qemu-user leaves chdir to the host.
      expect(run(['sh', '-c', 'cd /data/sub && pwd && cd ../.. && pwd && cd data && pwd']).stdout).toBe(
        '/data/sub\n/\n/data\n',
      );
    } finally {
      rmSync(join(root, 'data/abs'));
    }
  });

  it('hostile links and paths stay inside the root', () => {
    symlinkSync('../../secret', join(root, 'data/up'));
    symlinkSync(join(top, 'secret'), join(root, 'data/host-abs'));
    symlinkSync('/proc/self/root/' + join(top, 'secret').slice(1), join(root, 'data/proc'));
    symlinkSync('loop2', join(root, 'data/loop1'));
    symlinkSync('loop1', join(root, 'data/loop2'));
    try {
      for (const p of ['/data/up', '/data/host-abs', '/data/proc', '/../secret', '/../../../../secret']) {
        const got = run(['cat', p]);
        expect(got.stdout, p).not.toContain('outside');
        expect(got.status, p).toBe(1);
      }
      expect(run(['cat', '/data/loop1']).stderr).toMatch(/Symbolic link loop|Too many levels/);
      expect(run(['cat', '/proc/self/environ']).stderr).toMatch(/No such file/);
    } finally {
      for (const l of ['up', 'host-abs', 'proc', 'loop1', 'loop2']) rmSync(join(root, 'data', l));
    }
  });

  it('refuses a --root that is not a directory, saying which', () => {
    const got = cli(['run', '--root', join(root, 'etc/hello'), BUSYBOX, 'true']);
    expect(got.status).toBe(2);
    expect(got.stderr).toMatch(/--root .*etc\/hello: not a directory/);
  });

  it('without --root the guest still has no files', () => {
    const got = cli(['run', BUSYBOX, 'cat', '/etc/hostname']);
    expect(got.status).toBe(1);
    expect(got.stderr).toMatch(/would reach the host: refused with -EACCES/);
  });
});
