// Counterpart: fs/namei.c's path walk (link_path_walk, step_into, the ".." of a root as
// openat2's RESOLVE_IN_ROOT treats it) over a host directory that stands for the guest's
// "/", read-only. Every component is looked at with lstat and every symbolic link is read
// and walked here, against the root: the host follows none, so no path leaves the directory.
import * as fs from 'node:fs';
import { ELOOP, ENAMETOOLONG, ENOENT, ENOTDIR } from './errno.js';
import { syntheticStat, type FileStat } from './stat.js';

/** MAXSYMLINKS (include/linux/namei.h): links followed in one walk before ELOOP. */
export const MAXSYMLINKS = 40;
/** PATH_MAX: a longer path is ENAMETOOLONG. */
export const PATH_MAX = 4096;

/**
 * Top-level directories of the root that are never read: on a host they describe the host
 * itself (its processes, devices and kernel), not a tree of files.
 */
export const HOST_ONLY = new Set(['proc', 'sys', 'dev']);

/** Where a guest path leads: its path in the guest's tree, the host's path, and what is there. */
export interface Resolved {
  /** The guest's absolute path, with no ".", ".." or symbolic link left. */
  readonly guest: string;
  /** The same file on the host: the root's path and the guest path's components. */
  readonly host: Buffer;
  /** lstat of it; undefined where the last component does not exist (its directory does). */
  readonly stat: fs.BigIntStats | undefined;
}

/** A directory entry as getdents64 gives it. */
export interface DirEntry {
  readonly name: Buffer;
  readonly ino: bigint;
  /** DT_* of include/linux/fs_types.h. */
  readonly type: number;
}

const S_IFMT = 0o170000;
const S_IFDIR = 0o040000;
const S_IFLNK = 0o120000;

/** The DT_* type of a file mode (the S_IF* bits shifted down, as fs_umode_to_dtype does). */
export const dtype = (mode: number): number => (mode & S_IFMT) >> 12;

export const isDir = (s: { mode: bigint | number }): boolean => (Number(s.mode) & S_IFMT) === S_IFDIR;
const isLink = (s: fs.BigIntStats): boolean => (Number(s.mode) & S_IFMT) === S_IFLNK;

/** The devices a root serves itself (its own /dev is never read). */
export type DeviceName = 'null' | 'zero' | 'urandom';

/** Where a root's devices are: Linux's misc character devices (major 1) on devtmpfs. */
const DEVICES: Record<DeviceName, { minor: number; ino: bigint }> = {
  null: { minor: 3, ino: 4n },
  zero: { minor: 5, ino: 8n },
  urandom: { minor: 9, ino: 11n },
};

/** The device a guest path names, if it is one a root serves (/dev/null, /dev/zero, /dev/urandom). */
export function deviceOf(guest: string): DeviceName | undefined {
  const m = /^\/dev\/(null|zero|urandom|random)$/.exec(guest);
  if (!m) return undefined;
  return m[1] === 'random' ? 'urandom' : (m[1] as DeviceName);
}

/** fstat of a served device: a character device of mode 0666, as a host's. */
export function deviceStat(dev: DeviceName): FileStat {
  const { minor, ino } = DEVICES[dev];
  // new_encode_dev: minor's low byte, the major above it.
  return syntheticStat(5n, ino, 0o020000 | 0o666, BigInt((1 << 8) | minor));
}

/** lstat that answers undefined where nothing is (ENOENT, or ENOTDIR for a file's "child"). */
function lstat(host: Buffer): fs.BigIntStats | undefined {
  return fs.lstatSync(host, { bigint: true, throwIfNoEntry: false });
}

/** A read-only view of a host directory as the guest's "/". */
export class RootFs {
  /** The host directory, made absolute, with no trailing slash (empty for the host's "/"). */
  private readonly base: Buffer;

  /** Whether the last walk stopped at a directory never read (HOST_ONLY): its ENOENT says so. */
  hostOnlyReached = false;

  constructor(readonly dir: string) {
    const real = fs.realpathSync(dir);
    const s = fs.statSync(real);
    if (!s.isDirectory()) throw new Error(`--root ${dir}: not a directory`);
    this.base = Buffer.from(real === '/' ? '' : real, 'utf8');
  }

  /** The host path of a guest path's components. */
  private hostOf(parts: readonly Buffer[]): Buffer {
    const out: Buffer[] = [this.base];
    for (const p of parts) out.push(Buffer.from('/'), p);
    return parts.length === 0 ? Buffer.concat([this.base, Buffer.from('/')]) : Buffer.concat(out);
  }

  /**
   * Walk `path` (latin1 bytes, as the guest passed it) from `cwd` (a guest path this walk
   * made): each "." is dropped, each ".." goes up but never above the root, each symbolic
   * link is read and walked in its place (an absolute one from the root), the last one only
   * where `follow`. The result, or an errno: ENOENT (a directory on the way is missing, or
   * the path is empty), ENOTDIR, ELOOP, ENAMETOOLONG.
   */
  resolve(path: string, cwd: string, follow: boolean): Resolved | number {
    this.hostOnlyReached = false;
    if (path.length === 0) return ENOENT;
    if (path.length >= PATH_MAX) return ENAMETOOLONG;
    const parts: Buffer[] = [];
    const start = path.startsWith('/') ? [] : cwd.split('/').filter((c) => c.length > 0);
    for (const c of start) parts.push(Buffer.from(c, 'latin1'));
    // Components still to walk, the next first; a link's target goes in front of them.
    const todo: string[] = path.split('/').reverse();
    let links = 0;
    let stat: fs.BigIntStats | undefined;
    // A path that ends with a slash, "." or "..": its last component must be a directory
    // (and a link there is followed).
    const tail = path.slice(path.lastIndexOf('/') + 1);
    const wantDir = tail === '' || tail === '.' || tail === '..';
    while (todo.length > 0) {
      const c = todo.pop() as string;
      if (c === '' || c === '.') continue;
      if (c === '..') {
        parts.pop();
        continue;
      }
      const last = todo.every((t) => t === '');
      parts.push(Buffer.from(c, 'latin1'));
      if (parts.length === 1 && HOST_ONLY.has(c)) {
        this.hostOnlyReached = true;
        return ENOENT;
      }
      const host = this.hostOf(parts);
      let s: fs.BigIntStats | undefined;
      try {
        s = lstat(host);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOTDIR') return ENOTDIR;
        if ((e as NodeJS.ErrnoException).code === 'ENAMETOOLONG') return ENAMETOOLONG;
        throw e;
      }
      if (!s) {
        if (!last) return ENOENT;
        stat = undefined;
        continue;
      }
      if (isLink(s) && (!last || follow || wantDir)) {
        if (++links > MAXSYMLINKS) return ELOOP;
        const target = fs.readlinkSync(host, { encoding: 'buffer' }).toString('latin1');
        parts.pop();
        if (target.startsWith('/')) parts.length = 0;
        if (target.length === 0) return ENOENT;
        for (const t of target.split('/').reverse()) todo.push(t);
        continue;
      }
      if (!last && !isDir(s)) return ENOTDIR;
      stat = s;
    }
    if (parts.length === 0) stat = lstat(this.hostOf(parts));
    if (wantDir && stat && !isDir(stat)) return ENOTDIR;
    const guest = '/' + parts.map((p) => p.toString('latin1')).join('/');
    return { guest, host: this.hostOf(parts), stat };
  }

  /** A file opened for reading, never following a link the walk did not (O_NOFOLLOW). */
  openRead(r: Resolved): number {
    return fs.openSync(r.host, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
  }

  /** Up to `n` bytes of a host fd at `pos`. */
  static pread(fd: number, n: number, pos: bigint): Uint8Array {
    const buf = Buffer.alloc(n);
    const got = fs.readSync(fd, buf, 0, n, pos);
    return buf.subarray(0, got);
  }

  /** lstat of a resolved path (a directory open in the guest: it may have gone since). */
  static lstat(r: Resolved): fs.BigIntStats {
    return fs.lstatSync(r.host, { bigint: true });
  }

  static close(fd: number): void {
    fs.closeSync(fd);
  }

  static fstat(fd: number): fs.BigIntStats {
    return fs.fstatSync(fd, { bigint: true });
  }

  /** A whole file of the root (a program's interpreter). */
  readAll(r: Resolved): Uint8Array {
    const fd = this.openRead(r);
    try {
      return fs.readFileSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  }

  /** The target of a symbolic link, as stored. */
  readlink(r: Resolved): Buffer {
    return fs.readlinkSync(r.host, { encoding: 'buffer' });
  }

  /**
   * A directory's entries, "." and ".." first (the root's ".." is itself), then the host's
   * in its own order.
   */
  entries(r: Resolved): DirEntry[] {
    const self = r.stat ?? lstat(r.host);
    const parent = r.guest === '/' ? r.guest : r.guest.slice(0, r.guest.lastIndexOf('/')) || '/';
    const up = lstat(
      this.hostOf(
        parent
          .split('/')
          .filter((c) => c.length > 0)
          .map((c) => Buffer.from(c, 'latin1')),
      ),
    );
    const out: DirEntry[] = [];
    if (self) out.push({ name: Buffer.from('.'), ino: self.ino, type: dtype(Number(self.mode)) });
    if (up) out.push({ name: Buffer.from('..'), ino: up.ino, type: dtype(Number(up.mode)) });
    // readdir(3) order, as getdents gives it (fs.readdirSync sorts the names). With 'buffer'
    // Node gives names as bytes, which its types do not list.
    const d = fs.opendirSync(r.host, { encoding: 'buffer' as BufferEncoding });
    try {
      for (let e = d.readSync(); e; e = d.readSync()) {
        const name = e.name as unknown as Buffer;
        const s = lstat(Buffer.concat([r.host, Buffer.from('/'), name]));
        if (s) out.push({ name, ino: s.ino, type: dtype(Number(s.mode)) });
      }
    } finally {
      d.closeSync();
    }
    return out;
  }
}
