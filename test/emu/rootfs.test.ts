// The read-only root (--root): paths walk inside the directory whatever the guest or the
// directory's own links say (.., absolute and relative links, /proc/self/root, loops), and
// the errors are the kernel's.
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ELOOP, ENOENT, ENOTDIR } from '../../emu/errno.js';
import { MAXSYMLINKS, RootFs, type Resolved } from '../../emu/rootfs.js';

let dir: string;
let outside: string;
let root: RootFs;

beforeAll(() => {
  const top = mkdtempSync(join(tmpdir(), 'kprobe-emu-root-'));
  dir = join(top, 'root');
  // A file next to the root, with a name the hostile links aim at.
  outside = join(top, 'secret');
  writeFileSync(outside, 'outside the root\n');
  mkdirSync(join(dir, 'etc'), { recursive: true });
  mkdirSync(join(dir, 'data/sub'), { recursive: true });
  writeFileSync(join(dir, 'etc/hello'), 'hello\n');
  writeFileSync(join(dir, 'secret'), "the root's own secret\n");
  symlinkSync('../etc/hello', join(dir, 'data/rel'));
  symlinkSync('/etc/hello', join(dir, 'data/abs'));
  symlinkSync('../../secret', join(dir, 'data/up'));
  symlinkSync('../../../../../../../../secret', join(dir, 'data/far-up'));
  symlinkSync(outside, join(dir, 'data/host-abs'));
  symlinkSync('/proc/self/root/secret', join(dir, 'data/proc-root'));
  symlinkSync('loop-b', join(dir, 'data/loop-a'));
  symlinkSync('loop-a', join(dir, 'data/loop-b'));
  symlinkSync('/data/sub', join(dir, 'data/dirlink'));
  symlinkSync('/', join(dir, 'data/rootlink'));
  // A chain of MAXSYMLINKS links ends at the file; one more is ELOOP.
  for (let i = 0; i < MAXSYMLINKS; i++)
    symlinkSync(i === MAXSYMLINKS - 1 ? '/etc/hello' : `c${i + 1}`, join(dir, `data/c${i}`));
  symlinkSync('c0', join(dir, 'data/c-1'));
  root = new RootFs(dir);
  return () => rmSync(top, { recursive: true, force: true });
});

const walk = (path: string, follow = true, cwd = '/'): Resolved | number => root.resolve(path, cwd, follow);
const guestOf = (path: string, follow = true, cwd = '/') => {
  const r = walk(path, follow, cwd);
  if (typeof r === 'number') return r;
  // Wherever it leads, the host path is inside the root.
  expect(r.host.toString('latin1').startsWith(dir)).toBe(true);
  return r.guest;
};

describe('a path walk in the root', () => {
  it('ends where the guest path leads, with no "." or ".." left', () => {
    expect(guestOf('/etc/hello')).toBe('/etc/hello');
    expect(guestOf('/etc/./../etc/hello')).toBe('/etc/hello');
    expect(guestOf('hello', true, '/etc')).toBe('/etc/hello');
    expect(guestOf('/')).toBe('/');
  });

  it('never goes above the root: ".." of "/" is "/"', () => {
    expect(guestOf('/../../../secret')).toBe('/secret');
    expect(guestOf('../../../../etc/hello', true, '/data/sub')).toBe('/etc/hello');
    expect(guestOf('/..')).toBe('/');
  });

  it('follows relative and absolute links against the root, the host path never outside it', () => {
    expect(guestOf('/data/rel')).toBe('/etc/hello');
    expect(guestOf('/data/abs')).toBe('/etc/hello');
    expect(guestOf('/data/up')).toBe('/secret');
    expect(guestOf('/data/far-up')).toBe('/secret');
    expect(guestOf('/data/dirlink/')).toBe('/data/sub');
    expect(guestOf('/data/rootlink/secret')).toBe('/secret');
  });

  it('an absolute link to a host path looks for that path in the root, not on the host', () => {
    // The host's file exists; the root has no such directory.
    expect(walk('/data/host-abs')).toBe(ENOENT);
    expect(walk(outside)).toBe(ENOENT);
  });

  it("does not read the root's /proc, /sys or /dev: /proc/self/root is not the host's /", () => {
    expect(walk('/data/proc-root')).toBe(ENOENT);
    expect(root.hostOnlyReached).toBe(true);
    expect(walk('/proc/self/exe', false)).toBe(ENOENT);
    expect(walk('/sys/kernel')).toBe(ENOENT);
    expect(walk('/dev/null')).toBe(ENOENT);
    expect(walk('/etc/hello')).not.toBe(ENOENT);
    expect(root.hostOnlyReached).toBe(false);
  });

  it('gives ELOOP for a loop and for a chain one link longer than MAXSYMLINKS', () => {
    expect(walk('/data/loop-a')).toBe(ELOOP);
    expect(guestOf('/data/c0')).toBe('/etc/hello');
    expect(walk('/data/c-1')).toBe(ELOOP);
  });

  it('leaves a last link alone unless told to follow it (lstat, readlink)', () => {
    const r = walk('/data/abs', false) as Resolved;
    expect(r.guest).toBe('/data/abs');
    expect(root.readlink(r).toString()).toBe('/etc/hello');
    expect(walk('/data/loop-a', false)).not.toBe(ELOOP);
  });

  it("gives the kernel's errors: ENOENT, ENOTDIR", () => {
    expect(walk('')).toBe(ENOENT);
    expect(walk('/nothing/here')).toBe(ENOENT);
    expect(walk('/etc/hello/x')).toBe(ENOTDIR);
    expect(walk('/etc/hello/')).toBe(ENOTDIR);
    // A missing last component is no error: its directory is there (open O_CREAT decides).
    const r = walk('/etc/new') as Resolved;
    expect(r.guest).toBe('/etc/new');
    expect(r.stat).toBeUndefined();
  });

  it('lists a directory with "." and ".." first; the root\'s ".." is the root', () => {
    const top = walk('/') as Resolved;
    const names = root.entries(top).map((e) => e.name.toString());
    expect(names.slice(0, 2)).toEqual(['.', '..']);
    expect(new Set(names.slice(2))).toEqual(new Set(['etc', 'data', 'secret']));
    const [self, up] = root.entries(top);
    expect(up?.ino).toBe(self?.ino);
  });
});

describe('a root that is not a directory', () => {
  it('is refused with its path', () => {
    expect(() => new RootFs(join(dir, 'etc/hello'))).toThrow(/not a directory/);
    expect(() => new RootFs(join(dir, 'none'))).toThrow(/ENOENT/);
  });
});
