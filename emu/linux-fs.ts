// Counterpart: the path system calls of fs/open.c, fs/stat.c, fs/namei.c (readlinkat),
// fs/readdir.c (getdents64), fs/read_write.c (pread64, sendfile) and the working
// directory of fs/d_path.c, over the read-only root of emu/rootfs.ts (--root). Without a
// root the guest has no files: every path is refused as it would reach the host.
import { posix, resolve as hostResolve } from 'node:path';
import { addrOf } from './addr.js';
import {
  EACCES,
  EBADF,
  EEXIST,
  EFAULT,
  EINVAL,
  EISDIR,
  ELOOP,
  EMFILE,
  ENOENT,
  ENOTDIR,
  EOPNOTSUPP,
  EOVERFLOW,
  ERANGE,
  EROFS,
  ESPIPE,
  neg,
} from './errno.js';
import { O_ACCMODE, O_CLOEXEC, O_NONBLOCK, type OpenFile } from './files.js';
import { QUIET_PATHS, refuseHostCall } from './host-reach.js';
import { fileOf, putStat, rwCount, s32, u32, writeFd } from './linux-io.js';
import type { LinuxProcess, SyscallArgs } from './process.js';
import { deviceOf, deviceStat, isDir, RootFs, type DeviceName, type Resolved } from './rootfs.js';
import { encodeStat, encodeStat64, encodeStatx, fileStat, type FileStat } from './stat.js';

// open(2) flags besides files.ts's: the same on x86 and ppc64 but for O_DIRECTORY and O_NOFOLLOW.
const O_CREAT = 0o100;
const O_EXCL = 0o200;
const O_TRUNC = 0o1000;
/** O_DIRECTORY and O_NOFOLLOW of each ISA (asm-generic/fcntl.h; powerpc's uapi fcntl.h). */
const DIR_FLAGS = {
  x86_64: { directory: 0o200000, nofollow: 0o400000 },
  i386: { directory: 0o200000, nofollow: 0o400000 },
  ppc64: { directory: 0o40000, nofollow: 0o100000 },
};

const AT_FDCWD = -100n;
const AT_SYMLINK_NOFOLLOW = 0x100n;
const AT_EMPTY_PATH = 0x1000n;

const W_OK = 2n;
const X_OK = 1n;

const S_IFMT = 0o170000;
const S_IFREG = 0o100000;
const S_IFLNK = 0o120000;

type FsHandler = (p: LinuxProcess, a: SyscallArgs) => bigint | undefined;

/**
 * Walk a guest path from `dirfd` (AT_FDCWD: the working directory) in the root: the
 * resolved path, or a negative errno. A path into the root's /proc, /sys or /dev is not
 * there (ENOENT) and reported once (not for the files C libraries look for by themselves):
 * those describe the host.
 */
function walk(
  p: LinuxProcess,
  root: RootFs,
  dirfd: bigint,
  path: string,
  follow: boolean,
): Resolved | bigint {
  let cwd = p.cwd;
  if (!path.startsWith('/') && s32(dirfd) !== AT_FDCWD) {
    const f = fileOf(p, s32(dirfd));
    if (!f) return neg(EBADF);
    if (f.kind !== 'dir') return neg(ENOTDIR);
    cwd = f.at.guest;
  }
  const r = root.resolve(path, cwd, follow);
  if (typeof r === 'number') {
    if (r === ENOENT && root.hostOnlyReached && !QUIET_PATHS.has(path))
      p.reportOnce(
        'root-host-only',
        `the root's /proc, /sys and /dev are not read (they describe the host): ${path} is not there`,
      );
    return neg(r);
  }
  return r;
}

/**
 * The device a path names (/dev/null, /dev/zero, /dev/urandom), taken lexically from the
 * working directory or `dirfd`: the root's /dev is never read, so no link can lead there.
 */
function deviceAt(p: LinuxProcess, dirfd: bigint, path: string): DeviceName | undefined {
  let base = p.cwd;
  if (!path.startsWith('/') && s32(dirfd) !== AT_FDCWD) {
    const f = fileOf(p, s32(dirfd));
    if (f?.kind !== 'dir') return undefined;
    base = f.at.guest;
  }
  return deviceOf(posix.resolve(base, path));
}

/** The path argument: a guest string, or EFAULT. */
function pathArg(p: LinuxProcess, at: bigint): string | bigint {
  return p.mem.readCString(addrOf(at)) ?? neg(EFAULT);
}

/** open and openat: only for reading, of a regular file or a directory of the root. */
function openAt(p: LinuxProcess, name: string, dirfd: bigint, pathAt: bigint, flags: bigint): bigint {
  const root = p.root;
  if (!root) return refuseHostCall(p, name, name === 'open' ? [pathAt] : [dirfd, pathAt]);
  const path = pathArg(p, pathAt);
  if (typeof path !== 'string') return path;
  const fl = Number(u32(flags));
  const bits = DIR_FLAGS[p.isa.statLayout];
  const dev = deviceAt(p, dirfd, path);
  if (dev) {
    if ((fl & bits.directory) !== 0) return neg(ENOTDIR);
    return install(p, { kind: 'dev', dev, flags: fl & (O_ACCMODE | O_NONBLOCK), refs: 0 }, fl);
  }
  const nofollow = (fl & bits.nofollow) !== 0;
  const r = walk(p, root, dirfd, path, !nofollow);
  if (typeof r === 'bigint') return r;
  const writes = (fl & O_ACCMODE) !== 0 || (fl & O_TRUNC) !== 0;
  if (!r.stat) return neg((fl & O_CREAT) !== 0 ? EROFS : ENOENT);
  if ((fl & O_CREAT) !== 0 && (fl & O_EXCL) !== 0) return neg(EEXIST);
  const mode = Number(r.stat.mode) & S_IFMT;
  if (mode === S_IFLNK) return neg(ELOOP);
  const dir = isDir(r.stat);
  if (writes) return neg(dir ? EISDIR : EROFS);
  if ((fl & bits.directory) !== 0 && !dir) return neg(ENOTDIR);
  let file: OpenFile;
  const kept = fl & O_NONBLOCK;
  if (dir) file = { kind: 'dir', at: r, entries: undefined, pos: 0, flags: kept, refs: 0 };
  else if (mode === S_IFREG) {
    file = { kind: 'file', host: root.openRead(r), pos: 0n, path: r.guest, flags: kept, refs: 0 };
  } else {
    // A FIFO, a device or a socket inside the root would reach the host's own.
    p.reportOnce(
      `root-special-${r.guest}`,
      `${r.guest} is not a regular file or a directory: refused with -EACCES`,
    );
    return neg(EACCES);
  }
  return install(p, file, fl);
}

/** A new open file at the lowest free fd (EMFILE past RLIMIT_NOFILE). */
function install(p: LinuxProcess, file: OpenFile, fl: number): bigint {
  const limit = Number(p.rlimits.get(7)?.[0] ?? 1024n);
  const fd = p.files.install(file, (fl & O_CLOEXEC) !== 0, limit);
  if (fd === undefined) {
    if (file.kind === 'file') RootFs.close(file.host);
    return neg(EMFILE);
  }
  return BigInt(fd);
}

/** The stat calls whose path is their first argument (the others take a dirfd first). */
const PATH_FIRST = new Set(['stat', 'lstat', 'stat64', 'lstat64']);

/** stat, lstat, fstatat, statx: a path of the root (or, with AT_EMPTY_PATH and "", the fd). */
function statPath(
  p: LinuxProcess,
  name: string,
  dirfd: bigint,
  pathAt: bigint,
  flags: bigint,
  buf: bigint,
  encode: (s: FileStat) => Uint8Array | undefined,
): bigint {
  const path = pathArg(p, pathAt);
  if (typeof path !== 'string') return path;
  if (path === '' && (flags & AT_EMPTY_PATH) !== 0n) return putStat(p, s32(dirfd), buf, encode);
  const root = p.root;
  if (!root) return refuseHostCall(p, name, PATH_FIRST.has(name) ? [pathAt] : [dirfd, pathAt]);
  const dev = deviceAt(p, dirfd, path);
  let st: FileStat;
  if (dev) st = deviceStat(dev);
  else {
    const r = walk(p, root, dirfd, path, (flags & AT_SYMLINK_NOFOLLOW) === 0n);
    if (typeof r === 'bigint') return r;
    if (!r.stat) return neg(ENOENT);
    st = fileStat(r.stat);
  }
  const bytes = encode(st);
  if (!bytes) return neg(EOVERFLOW);
  p.mem.write(addrOf(buf), bytes);
  return 0n;
}

/** access and faccessat: the guest is root, so only writing (EROFS) and executing can fail. */
function accessAt(
  p: LinuxProcess,
  name: string,
  dirfd: bigint,
  pathAt: bigint,
  mode: bigint,
  flags: bigint,
): bigint {
  const root = p.root;
  if (!root) return refuseHostCall(p, name, name === 'access' ? [pathAt] : [dirfd, pathAt]);
  const path = pathArg(p, pathAt);
  if (typeof path !== 'string') return path;
  // The devices are read and written by anyone, executed by no one.
  if (deviceAt(p, dirfd, path)) return (mode & X_OK) !== 0n ? neg(EACCES) : 0n;
  const r = walk(p, root, dirfd, path, (flags & AT_SYMLINK_NOFOLLOW) === 0n);
  if (typeof r === 'bigint') return r;
  if (!r.stat) return neg(ENOENT);
  if ((mode & W_OK) !== 0n) return neg(EROFS);
  if ((mode & X_OK) !== 0n && !isDir(r.stat) && (Number(r.stat.mode) & 0o111) === 0) return neg(EACCES);
  return 0n;
}

/**
 * readlink of /proc/self/exe (glibc asks it at start): the program as it was started, made
 * absolute, as qemu-user answers. Any other path is a link of the root, or refused as open
 * is without one.
 */
function readlinkAt(
  p: LinuxProcess,
  name: string,
  dirfd: bigint,
  pathAt: bigint,
  buf: bigint,
  size: bigint,
): bigint {
  const path = pathArg(p, pathAt);
  if (typeof path !== 'string') return path;
  let target: Buffer;
  if (path === '/proc/self/exe' || path === `/proc/${p.sched.tgid}/exe`) {
    target = Buffer.from(hostResolve(p.options.argv[0] ?? ''), 'latin1');
  } else {
    const root = p.root;
    if (!root) return refuseHostCall(p, name, name === 'readlink' ? [pathAt] : [dirfd, pathAt]);
    const r = walk(p, root, dirfd, path, false);
    if (typeof r === 'bigint') return r;
    if (!r.stat) return neg(ENOENT);
    if ((Number(r.stat.mode) & S_IFMT) !== S_IFLNK) return neg(EINVAL);
    target = root.readlink(r);
  }
  if (size <= 0n || size >= 1n << 31n) return neg(EINVAL);
  const n = Math.min(target.length, Number(size));
  p.mem.write(addrOf(buf), target.subarray(0, n));
  return BigInt(n);
}

/** getdents64: struct linux_dirent64 records (d_ino, d_off, d_reclen, d_type, d_name) from the next entry on. */
function getdents64(p: LinuxProcess, fd: bigint, dirp: bigint, count: bigint): bigint {
  const f = fileOf(p, s32(fd));
  if (!f) return neg(EBADF);
  if (f.kind !== 'dir') return neg(ENOTDIR);
  const root = p.root as RootFs;
  f.entries ??= root.entries(f.at);
  const room = rwCount(u32(count));
  const out: Buffer[] = [];
  let used = 0;
  const le = p.mem.littleEndian;
  while (f.pos < f.entries.length) {
    const e = f.entries[f.pos] as (typeof f.entries)[number];
    const reclen = (19 + e.name.length + 1 + 7) & ~7;
    if (used + reclen > room) break;
    const rec = Buffer.alloc(reclen);
    if (le) {
      rec.writeBigUInt64LE(e.ino, 0);
      rec.writeBigInt64LE(BigInt(f.pos + 1), 8);
      rec.writeUInt16LE(reclen, 16);
    } else {
      rec.writeBigUInt64BE(e.ino, 0);
      rec.writeBigInt64BE(BigInt(f.pos + 1), 8);
      rec.writeUInt16BE(reclen, 16);
    }
    rec.writeUInt8(e.type, 18);
    e.name.copy(rec, 19);
    out.push(rec);
    used += reclen;
    f.pos++;
  }
  if (used === 0 && f.pos < f.entries.length) return neg(EINVAL);
  p.mem.write(addrOf(dirp), Buffer.concat(out));
  return BigInt(used);
}

/** pread64: at `pos`, leaving the file's offset where it is. */
function pread(p: LinuxProcess, fd: bigint, buf: bigint, count: bigint, pos: bigint): bigint {
  const f = fileOf(p, s32(fd));
  if (!f) return neg(EBADF);
  if (f.kind === 'dir') return neg(EISDIR);
  if (f.kind !== 'file') return neg(ESPIPE);
  if (pos < 0n) return neg(EINVAL);
  const n = rwCount(count);
  const got = RootFs.pread(f.host, n, pos);
  p.mem.write(addrOf(buf), got);
  return BigInt(got.length);
}

/** sendfile: a file of the root to any fd the guest may write, through its offset or `offp`'s. */
function sendfile(
  p: LinuxProcess,
  out: bigint,
  inFd: bigint,
  offp: bigint,
  count: bigint,
  offSize: 4 | 8,
): bigint | undefined {
  const f = fileOf(p, s32(inFd));
  if (!f) return neg(EBADF);
  if (f.kind !== 'file') return neg(EINVAL);
  const le = p.mem.littleEndian;
  const pos = offp === 0n ? f.pos : BigInt.asIntN(offSize * 8, p.mem.memReadWord(addrOf(offp), offSize, le));
  if (pos < 0n) return neg(EINVAL);
  const n = rwCount(count);
  const bytes = RootFs.pread(f.host, n, pos);
  const r = writeFd(p, out, bytes);
  // A write that waits (a full pipe) puts all of its bytes in the end.
  const moved = r === undefined ? BigInt(bytes.length) : r;
  if (moved > 0n) {
    if (offp === 0n) f.pos = pos + moved;
    else p.mem.memWriteWord(addrOf(offp), offSize, pos + moved, le);
  }
  return r;
}

/** posix_fadvise: advice taken and ignored for a file of the root; a pipe or stream cannot seek. */
function fadvise(p: LinuxProcess, fd: bigint): bigint {
  const f = fileOf(p, s32(fd));
  if (!f) return neg(EBADF);
  return f.kind === 'file' || f.kind === 'dir' ? 0n : neg(ESPIPE);
}

/**
 * The getxattr and listxattr family: the root keeps no extended attributes for the guest
 * (coreutils' ls asks for ACLs and security labels). Without a root, a path is the host's.
 */
function xattr(p: LinuxProcess, name: string, a: SyscallArgs, byFd: boolean): bigint {
  if (byFd) return fileOf(p, s32(a[0] ?? 0n)) ? neg(EOPNOTSUPP) : neg(EBADF);
  const root = p.root;
  if (!root) return refuseHostCall(p, name, a);
  const path = pathArg(p, a[0] ?? 0n);
  if (typeof path !== 'string') return path;
  const r = walk(p, root, AT_FDCWD, path, !name.startsWith('l'));
  if (typeof r === 'bigint') return r;
  return r.stat ? neg(EOPNOTSUPP) : neg(ENOENT);
}

/**
 * copy_file_range: the root is read-only, so the only writable fds are streams and pipes,
 * which it does not take (EINVAL; cat then reads and writes).
 */
function copyFileRange(p: LinuxProcess, inFd: bigint, outFd: bigint): bigint {
  const i = fileOf(p, s32(inFd));
  const o = fileOf(p, s32(outFd));
  if (!i || !o) return neg(EBADF);
  if (o.kind === 'file' || o.kind === 'dir') return neg(EBADF);
  return neg(EINVAL);
}

/** chdir and fchdir: the working directory is a directory of the root. */
function chdirTo(p: LinuxProcess, r: Resolved | bigint): bigint {
  if (typeof r === 'bigint') return r;
  if (!r.stat) return neg(ENOENT);
  if (!isDir(r.stat)) return neg(ENOTDIR);
  p.cwd = r.guest;
  return 0n;
}

/** A path call's last two words on i386 make one 64-bit offset (low word first). */
const offset64 = (p: LinuxProcess, a: SyscallArgs, i: number): bigint =>
  p.mem.wordSize === 4 ? (u32(a[i + 1] ?? 0n) << 32n) | u32(a[i] ?? 0n) : BigInt.asIntN(64, a[i] ?? 0n);

const layout = (p: LinuxProcess) => p.isa.statLayout;

/** The handlers of emu/linux.ts for paths and the root's files, by the kernel's names. */
export const fsHandlers: Record<string, FsHandler> = {
  open: (p, [path, flags]) => openAt(p, 'open', AT_FDCWD, path, flags),
  openat: (p, [dirfd, path, flags]) => openAt(p, 'openat', dirfd, path, flags),
  creat: (p, a) => (p.root ? neg(EROFS) : refuseHostCall(p, 'creat', a)),
  stat: (p, [path, buf]) => statPath(p, 'stat', AT_FDCWD, path, 0n, buf, (s) => encodeStat(layout(p), s)),
  lstat: (p, [path, buf]) =>
    statPath(p, 'lstat', AT_FDCWD, path, AT_SYMLINK_NOFOLLOW, buf, (s) => encodeStat(layout(p), s)),
  stat64: (p, [path, buf]) =>
    statPath(p, 'stat64', AT_FDCWD, path, 0n, buf, (s) => encodeStat64(layout(p), s)),
  lstat64: (p, [path, buf]) =>
    statPath(p, 'lstat64', AT_FDCWD, path, AT_SYMLINK_NOFOLLOW, buf, (s) => encodeStat64(layout(p), s)),
  newfstatat: (p, [dirfd, path, buf, flags]) =>
    statPath(p, 'newfstatat', dirfd, path, u32(flags), buf, (s) => encodeStat(layout(p), s)),
  fstatat64: (p, [dirfd, path, buf, flags]) =>
    statPath(p, 'fstatat64', dirfd, path, u32(flags), buf, (s) => encodeStat64(layout(p), s)),
  statx: (p, [dirfd, path, flags, , buf]) =>
    statPath(p, 'statx', dirfd, path, u32(flags), buf, (s) => encodeStatx(layout(p), s)),
  access: (p, [path, mode]) => accessAt(p, 'access', AT_FDCWD, path, u32(mode), 0n),
  faccessat: (p, [dirfd, path, mode]) => accessAt(p, 'faccessat', dirfd, path, u32(mode), 0n),
  faccessat2: (p, [dirfd, path, mode, flags]) =>
    accessAt(p, 'faccessat2', dirfd, path, u32(mode), u32(flags)),
  readlink: (p, [path, buf, size]) => readlinkAt(p, 'readlink', AT_FDCWD, path, buf, size),
  readlinkat: (p, [dirfd, path, buf, size]) => readlinkAt(p, 'readlinkat', dirfd, path, buf, size),
  getdents64: (p, [fd, dirp, count]) => getdents64(p, fd, dirp, count),
  pread64: (p, a) => pread(p, a[0] ?? 0n, a[1] ?? 0n, a[2] ?? 0n, offset64(p, a, 3)),
  sendfile: (p, [out, inFd, offp, count]) =>
    sendfile(p, out, inFd, offp, count, p.mem.wordSize === 4 ? 4 : 8),
  sendfile64: (p, [out, inFd, offp, count]) => sendfile(p, out, inFd, offp, count, 8),
  fadvise64: (p, [fd]) => fadvise(p, fd),
  fadvise64_64: (p, [fd]) => fadvise(p, fd),
  copy_file_range: (p, [inFd, , outFd]) => copyFileRange(p, inFd, outFd),
  getxattr: (p, a) => xattr(p, 'getxattr', a, false),
  lgetxattr: (p, a) => xattr(p, 'lgetxattr', a, false),
  listxattr: (p, a) => xattr(p, 'listxattr', a, false),
  llistxattr: (p, a) => xattr(p, 'llistxattr', a, false),
  fgetxattr: (p, a) => xattr(p, 'fgetxattr', a, true),
  flistxattr: (p, a) => xattr(p, 'flistxattr', a, true),
  chdir: (p, a) => {
    const root = p.root;
    if (!root) return refuseHostCall(p, 'chdir', a);
    const path = pathArg(p, a[0] ?? 0n);
    return typeof path === 'string' ? chdirTo(p, walk(p, root, AT_FDCWD, path, true)) : path;
  },
  fchdir: (p, [fd]) => {
    const f = fileOf(p, s32(fd));
    if (!f) return neg(EBADF);
    return f.kind === 'dir' ? chdirTo(p, f.at) : neg(ENOTDIR);
  },
  getcwd: (p, [buf, size]) => {
    // Without a root the guest is at "/" of nothing.
    const cwd = Buffer.from(p.cwd + '\0', 'latin1');
    if (size < BigInt(cwd.length)) return neg(ERANGE);
    p.mem.write(addrOf(buf), cwd);
    return BigInt(cwd.length);
  },
};
