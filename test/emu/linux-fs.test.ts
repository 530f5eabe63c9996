// The root's files through the system calls of each ISA (--root): open, read, pread64,
// lseek, fstat, getdents64 (its records in the guest's byte order), readlinkat, mmap of a
// file, chdir and getcwd, and the errors Linux gives on a read-only file system.
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Machine } from '../../emu/machine.js';
import { ISAS, type IsaName } from '../helpers.js';
import { machineFor, scratch, sys } from './guest-calls.js';

const ENOENT = 2;
const EBADF = 9;
const ENODEV = 19;
const EACCES = 13;
const ENOTDIR = 20;
const EISDIR = 21;
const EINVAL = 22;
const EROFS = 30;
const ESPIPE = 29;
const EOPNOTSUPP = 95;
const AT_FDCWD = -100;
const O_WRONLY = 1;
const O_CREAT = 0o100;
const O_TRUNC = 0o1000;
/** O_DIRECTORY: powerpc has its own value. */
const O_DIRECTORY = (isa: IsaName) => (isa === 'ppc64' ? 0o40000 : 0o200000);

let dir: string;
const BODY = Array.from({ length: 3000 }, (_, i) => String.fromCharCode(97 + (i % 26))).join('');

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'kprobe-emu-fs-'));
  mkdirSync(join(dir, 'd/e'), { recursive: true });
  writeFileSync(join(dir, 'd/file'), BODY);
  writeFileSync(join(dir, 'd/e/x'), 'x');
  symlinkSync('file', join(dir, 'd/link'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** `s` NUL-terminated at `at` in guest memory. */
function cstr(m: Machine, at: number, s: string): number {
  m.mem.write(at, Buffer.from(s + '\0', 'latin1'));
  return at;
}

const text = (m: Machine, at: number, n: number) => Buffer.from(m.mem.read(at, n)).toString('latin1');

/** The names of getdents64 records at `at` (`n` bytes), read in the guest's byte order. */
function dirents(m: Machine, at: number, n: number): string[] {
  const b = Buffer.from(m.mem.read(at, n));
  const names: string[] = [];
  for (let off = 0; off < n;) {
    const reclen = m.mem.littleEndian ? b.readUInt16LE(off + 16) : b.readUInt16BE(off + 16);
    const name = b.subarray(off + 19, off + reclen);
    names.push(name.subarray(0, name.indexOf(0)).toString('latin1'));
    off += reclen;
  }
  return names;
}

describe.each(ISAS)('%s: files of the root', (isa) => {
  const open = (m: Machine, path: number, flags: number) => sys(m, isa, 'openat', [AT_FDCWD, path, flags, 0]);

  it('opens, reads, preads and seeks a file, and fstat gives its size', () => {
    const { m } = machineFor(isa, 'hello', { root: dir });
    try {
      const b = scratch(m, isa);
      const fd = open(m, cstr(m, b, '/d/./e/../link'), 0);
      expect(fd).toBe(3);
      expect(sys(m, isa, 'read', [fd, b + 1024, 10])).toBe(10);
      expect(text(m, b + 1024, 10)).toBe(BODY.slice(0, 10));
      // pread64 leaves the offset; i386 passes its 64-bit position in two words.
      const pos = isa === 'i386' ? [2990, 0] : [2990];
      expect(sys(m, isa, 'pread64', [fd, b + 1024, 100, ...pos])).toBe(10);
      expect(text(m, b + 1024, 10)).toBe(BODY.slice(2990));
      expect(sys(m, isa, 'read', [fd, b + 1024, 5])).toBe(5);
      expect(text(m, b + 1024, 5)).toBe(BODY.slice(10, 15));
      expect(sys(m, isa, 'lseek', [fd, -3, 2])).toBe(2997);
      expect(sys(m, isa, 'read', [fd, b + 1024, 100])).toBe(3);
      expect(sys(m, isa, 'read', [fd, b + 1024, 100])).toBe(0);
      expect(sys(m, isa, isa === 'i386' ? 'fstat64' : 'fstat', [fd, b + 2048])).toBe(0);
      expect(sys(m, isa, 'close', [fd])).toBe(0);
      expect(sys(m, isa, 'read', [fd, b + 1024, 1])).toBe(-EBADF);
    } finally {
      m.close();
    }
  });

  it('lists a directory with getdents64 and moves about with chdir, getcwd and readlinkat', () => {
    const { m } = machineFor(isa, 'hello', { root: dir });
    try {
      const b = scratch(m, isa);
      const fd = open(m, cstr(m, b, '/d'), O_DIRECTORY(isa));
      expect(fd).toBeGreaterThan(2);
      expect(sys(m, isa, 'read', [fd, b + 1024, 10])).toBe(-EISDIR);
      const n = sys(m, isa, 'getdents64', [fd, b + 1024, 2048]);
      expect(n).toBeGreaterThan(0);
      expect(dirents(m, b + 1024, n).sort()).toEqual(['.', '..', 'e', 'file', 'link']);
      expect(sys(m, isa, 'getdents64', [fd, b + 1024, 2048])).toBe(0);
      // Too small a buffer for one record.
      expect(sys(m, isa, 'lseek', [fd, 0, 0])).toBe(0);
      expect(sys(m, isa, 'getdents64', [fd, b + 1024, 8])).toBe(-EINVAL);
      expect(sys(m, isa, 'chdir', [cstr(m, b, '/d/e')])).toBe(0);
      expect(sys(m, isa, 'getcwd', [b + 1024, 100])).toBe(5);
      expect(text(m, b + 1024, 5)).toBe('/d/e\0');
      expect(open(m, cstr(m, b, 'x'), 0)).toBeGreaterThan(2);
      expect(sys(m, isa, 'readlinkat', [AT_FDCWD, cstr(m, b, '../link'), b + 1024, 100])).toBe(4);
      expect(text(m, b + 1024, 4)).toBe('file');
      expect(sys(m, isa, 'readlinkat', [AT_FDCWD, cstr(m, b, '/d/file'), b + 1024, 100])).toBe(-EINVAL);
    } finally {
      m.close();
    }
  });

  it('maps a file privately: its bytes, then zeroes to the page end; the file is not touched', () => {
    const { m } = machineFor(isa, 'hello', { root: dir });
    try {
      const b = scratch(m, isa);
      const fd = open(m, cstr(m, b, '/d/file'), 0);
      // PROT_READ|PROT_WRITE, MAP_PRIVATE; i386's mmap2 takes the offset in pages.
      const at = sys(m, isa, isa === 'i386' ? 'mmap2' : 'mmap', [0, 8192, 3, 0x02, fd, 0]);
      expect(at).toBeGreaterThan(0);
      expect(text(m, at, 3000)).toBe(BODY);
      expect(text(m, at + 3000, 16)).toBe('\0'.repeat(16));
      m.mem.write(at, Buffer.from('changed'));
      const again = sys(m, isa, isa === 'i386' ? 'mmap2' : 'mmap', [0, 4096, 1, 0x02, fd, 0]);
      expect(text(m, again, 7)).toBe(BODY.slice(0, 7));
      // Standard input (a pipe) cannot be mapped.
      expect(sys(m, isa, isa === 'i386' ? 'mmap2' : 'mmap', [0, 4096, 1, 0x02, 0, 0])).toBe(-ENODEV);
      // A shared writable mapping of an fd opened for reading: EACCES.
      expect(sys(m, isa, isa === 'i386' ? 'mmap2' : 'mmap', [0, 4096, 3, 0x01, fd, 0])).toBe(-EACCES);
    } finally {
      m.close();
    }
  });

  it("gives a read-only file system's errors, and ENOENT for the host's /proc", () => {
    const { m, warnings } = machineFor(isa, 'hello', { root: dir });
    try {
      const b = scratch(m, isa);
      expect(open(m, cstr(m, b, '/d/file'), O_WRONLY)).toBe(-EROFS);
      expect(open(m, cstr(m, b, '/d/file'), O_TRUNC)).toBe(-EROFS);
      expect(open(m, cstr(m, b, '/d/new'), O_CREAT | O_WRONLY)).toBe(-EROFS);
      expect(open(m, cstr(m, b, '/d'), O_WRONLY)).toBe(-EISDIR);
      expect(open(m, cstr(m, b, '/d/new'), 0)).toBe(-ENOENT);
      expect(open(m, cstr(m, b, '/d/file'), O_DIRECTORY(isa))).toBe(-ENOTDIR);
      expect(open(m, cstr(m, b, '/d/file/x'), 0)).toBe(-ENOTDIR);
      expect(open(m, cstr(m, b, '/proc/self/status'), 0)).toBe(-ENOENT);
      expect(warnings.join('\n')).toMatch(/\/proc, \/sys and \/dev are not read/);
    } finally {
      m.close();
    }
  });
});

describe.each(ISAS)('%s: without a root', (isa) => {
  it('every path is refused with EACCES, reported once but for the files C libraries probe', () => {
    const { m, warnings } = machineFor(isa, 'hello');
    try {
      const b = scratch(m, isa);
      const statAt = isa === 'i386' ? 'fstatat64' : 'newfstatat';
      cstr(m, b, '/etc/localtime');
      expect(sys(m, isa, 'statx', [AT_FDCWD, b, 0, 0x7ff, b + 1024])).toBe(-EACCES);
      expect(sys(m, isa, statAt, [AT_FDCWD, b, b + 1024, 0])).toBe(-EACCES);
      expect(sys(m, isa, 'openat', [AT_FDCWD, b, 0, 0])).toBe(-EACCES);
      expect(warnings).toEqual([]);
      cstr(m, b, '/etc/passwd');
      expect(sys(m, isa, 'statx', [AT_FDCWD, b, 0, 0x7ff, b + 1024])).toBe(-EACCES);
      expect(sys(m, isa, 'statx', [AT_FDCWD, b, 0, 0x7ff, b + 1024])).toBe(-EACCES);
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatch(/system call statx would reach the host: refused with -EACCES/);
    } finally {
      m.close();
    }
  });
});

describe.each(ISAS)('%s: calls real programs make on the root', (isa) => {
  it('fadvise is taken for a file and ESPIPE for a pipe; xattrs are not supported; copy_file_range to a stream is EINVAL', () => {
    const { m, warnings } = machineFor(isa, 'hello', { root: dir });
    try {
      const b = scratch(m, isa);
      const fd = sys(m, isa, 'openat', [AT_FDCWD, cstr(m, b, '/d/file'), 0, 0]);
      expect(sys(m, isa, 'fadvise64', [fd, 0, 0, 0, 0, 0])).toBe(0);
      expect(sys(m, isa, 'fadvise64', [0, 0, 0, 0, 0, 0])).toBe(-ESPIPE);
      expect(sys(m, isa, 'lgetxattr', [cstr(m, b, '/d/link'), b + 512, b + 1024, 64])).toBe(-EOPNOTSUPP);
      expect(sys(m, isa, 'getxattr', [cstr(m, b, '/d/none'), b + 512, b + 1024, 64])).toBe(-ENOENT);
      expect(sys(m, isa, 'flistxattr', [fd, b + 1024, 64])).toBe(-EOPNOTSUPP);
      expect(sys(m, isa, 'copy_file_range', [fd, 0, 1, 0, 100, 0])).toBe(-EINVAL);
      expect(sys(m, isa, 'copy_file_range', [fd, 0, 99, 0, 100, 0])).toBe(-EBADF);
      expect(warnings).toEqual([]);
    } finally {
      m.close();
    }
  });
});

describe.each(ISAS)('%s: the devices a root serves', (isa) => {
  it('/dev/null, /dev/zero and /dev/urandom read, write, stat and map as on Linux', () => {
    const { m, warnings } = machineFor(isa, 'hello', { root: dir });
    try {
      const b = scratch(m, isa);
      const open = (path: string, flags = 2) => sys(m, isa, 'openat', [AT_FDCWD, cstr(m, b, path), flags, 0]);
      const nul = open('/dev/null');
      expect(sys(m, isa, 'read', [nul, b + 1024, 16])).toBe(0);
      expect(sys(m, isa, 'write', [nul, b, 100])).toBe(100);
      const zero = open('/dev/../dev/zero');
      m.mem.write(b + 1024, Buffer.alloc(16, 0xff));
      expect(sys(m, isa, 'read', [zero, b + 1024, 16])).toBe(16);
      expect(text(m, b + 1024, 16)).toBe('\0'.repeat(16));
      const rnd = open('/dev/urandom', 0);
      expect(sys(m, isa, 'read', [rnd, b + 1024, 32])).toBe(32);
      expect(text(m, b + 1024, 32)).not.toBe('\0'.repeat(32));
      // A character device, major 1 minor 3, mode 0666.
      expect(sys(m, isa, 'statx', [AT_FDCWD, cstr(m, b, '/dev/null'), 0, 0x7ff, b + 1024])).toBe(0);
      const le = m.mem.littleEndian;
      const u32 = (off: number) =>
        Buffer.from(m.mem.read(b + 1024 + off, 4))[le ? 'readUInt32LE' : 'readUInt32BE'](0);
      const mode = Buffer.from(m.mem.read(b + 1024 + 0x1c, 2))[le ? 'readUInt16LE' : 'readUInt16BE'](0);
      expect(mode).toBe(0o020666);
      expect([u32(0x80), u32(0x84)]).toEqual([1, 3]);
      // A private mapping of /dev/zero is zero pages.
      const at = sys(m, isa, isa === 'i386' ? 'mmap2' : 'mmap', [0, 8192, 3, 0x02, zero, 0]);
      expect(text(m, at, 8192)).toBe('\0'.repeat(8192));
      expect(sys(m, isa, isa === 'i386' ? 'mmap2' : 'mmap', [0, 4096, 1, 0x02, nul, 0])).toBe(-ENODEV);
      // Anything else under /dev is not there.
      expect(open('/dev/sda', 0)).toBe(-ENOENT);
      expect(warnings.join('\n')).toMatch(/\/proc, \/sys and \/dev are not read/);
    } finally {
      m.close();
    }
  });
});

describe('ppc64: code mapped from a file of the root', () => {
  it('gets its time base reads guarded, as the program and its loader do', () => {
    // nop; mftb r3 (mfspr r3, 268); blr
    writeFileSync(
      join(dir, 'code.bin'),
      Buffer.from([0x60, 0, 0, 0, 0x7c, 0x6c, 0x42, 0xa6, 0x4e, 0x80, 0, 0x20]),
    );
    const { m } = machineFor('ppc64', 'hello', { root: dir });
    try {
      const b = scratch(m, 'ppc64');
      const fd = sys(m, 'ppc64', 'openat', [AT_FDCWD, cstr(m, b, '/code.bin'), 0, 0]);
      const before = m.codeHooks();
      const at = sys(m, 'ppc64', 'mmap', [0, 4096, 5, 0x02, fd, 0]);
      expect(at).toBeGreaterThan(0);
      expect(m.codeHooks().filter((a) => !before.includes(a))).toEqual([at + 4]);
    } finally {
      m.close();
    }
  });
});
