// Counterpart: arch/x86/include/uapi/asm/stat.h, arch/powerpc/include/uapi/asm/stat.h, include/uapi/linux/stat.h.
// The stat structures the guest receives, filled as fs/stat.c (cp_new_stat, cp_new_stat64, cp_statx) fills them.
import type { BigIntStats } from 'node:fs';

/** What a stat call reports of a file, as the host's fstat gives it (times in nanoseconds since the epoch). */
export interface FileStat {
  dev: bigint;
  ino: bigint;
  mode: number;
  nlink: bigint;
  uid: number;
  gid: number;
  rdev: bigint;
  size: bigint;
  blksize: bigint;
  blocks: bigint;
  atimeNs: bigint;
  mtimeNs: bigint;
  ctimeNs: bigint;
}

/**
 * A file the kernel makes up (a pipe, a device node): root's, one link, empty, its times
 * all zero; `rdev` the device number a device node carries.
 */
export function syntheticStat(dev: bigint, ino: bigint, mode: number, rdev = 0n): FileStat {
  return {
    dev,
    ino,
    mode,
    nlink: 1n,
    uid: 0,
    gid: 0,
    rdev,
    size: 0n,
    blksize: 4096n,
    blocks: 0n,
    atimeNs: 0n,
    mtimeNs: 0n,
    ctimeNs: 0n,
  };
}

/** A host stat as the guest's stat calls report it. */
export function fileStat(s: BigIntStats): FileStat {
  return {
    dev: s.dev,
    ino: s.ino,
    mode: Number(s.mode),
    nlink: s.nlink,
    uid: Number(s.uid),
    gid: Number(s.gid),
    rdev: s.rdev,
    size: s.size,
    blksize: s.blksize,
    blocks: s.blocks,
    atimeNs: s.atimeNs,
    mtimeNs: s.mtimeNs,
    ctimeNs: s.ctimeNs,
  };
}

/** Which kernel's structures: x86_64 and i386 are little-endian, ppc64 (not ppc64le) big-endian. */
export type StatLayout = 'x86_64' | 'i386' | 'ppc64';

/** sizeof(struct stat) of a 64-bit task, x86_64 and ppc64 alike (their fields land at the same offsets). */
export const STAT_SIZE_64 = 144;
/** sizeof(struct stat) of i386: the 32-bit fields of `fstat`, `stat` and `lstat`. */
export const STAT_SIZE_I386 = 64;
/** sizeof(struct stat64) of i386: glibc 2.1's layout with 4-byte alignment of its 64-bit fields. */
export const STAT64_SIZE_I386 = 96;
/** sizeof(struct statx), the same on every architecture. */
export const STATX_SIZE = 256;

/** STATX_BASIC_STATS: type, mode, nlink, uid, gid, atime, mtime, ctime, ino, size, blocks. */
export const STATX_BASIC_STATS = 0x7ff;

/** MAX_NON_LFS: the largest size a 32-bit struct stat may report before the kernel answers EOVERFLOW. */
const MAX_NON_LFS = 0x7fffffffn;
/** fs_overflowuid/fs_overflowgid: what a 16-bit uid or gid field shows of an id that does not fit. */
const OVERFLOW_ID = 65534;

const NS_PER_S = 1_000_000_000n;

/** A device number split as the kernel's MAJOR()/MINOR() see it. */
export interface DevNumber {
  major: number;
  minor: number;
}

/**
 * The major and minor of a host st_dev or st_rdev: glibc's gnu_dev_major/gnu_dev_minor, the encoding
 * Node's fstat reports. Masked to the kernel's dev_t (12-bit major, 20-bit minor) since a kernel cannot
 * hold more, so what the guest sees is what a kernel would have.
 */
export function splitDev(dev: bigint): DevNumber {
  const d = BigInt.asUintN(64, dev);
  const major = ((d >> 8n) & 0xfffn) | ((d >> 32n) & ~0xfffn);
  const minor = (d & 0xffn) | ((d >> 12n) & 0xffffff00n);
  return { major: Number(major & 0xfffn), minor: Number(minor & 0xfffffn) };
}

/** new_encode_dev (include/linux/kdev_t.h): the 32-bit encoding of struct stat's st_dev and st_rdev. */
export function newEncodeDev(d: DevNumber): number {
  return ((d.minor & 0xff) | (d.major << 8) | ((d.minor & ~0xff) << 12)) >>> 0;
}

/** huge_encode_dev: new_encode_dev widened to the 64-bit st_dev and st_rdev of struct stat64. */
export function hugeEncodeDev(d: DevNumber): bigint {
  return BigInt(newEncodeDev(d));
}

/** old_valid_dev: whether a device fits the 16-bit fields of __old_kernel_stat (oldstat, oldfstat). */
export function oldValidDev(d: DevNumber): boolean {
  return d.major < 256 && d.minor < 256;
}

/** old_encode_dev: the 16-bit major << 8 | minor of __old_kernel_stat. */
export function oldEncodeDev(d: DevNumber): number {
  return ((d.major << 8) | d.minor) & 0xffff;
}

/** A time split as struct timespec holds it: seconds rounded down, nanoseconds 0..999999999 (also before 1970). */
export function splitTime(ns: bigint): { sec: bigint; nsec: number } {
  let sec = ns / NS_PER_S;
  if (sec * NS_PER_S > ns) sec -= 1n;
  return { sec, nsec: Number(ns - sec * NS_PER_S) };
}

/**
 * high2lowuid/high2lowgid (include/linux/highuid.h): an id too wide for a 16-bit field shows as the
 * overflow id, it is not an error.
 */
function lowId(id: number): number {
  return id > 0xffff || id < 0 ? OVERFLOW_ID : id;
}

/** Stores that wrap as C's assignment to a narrower unsigned field does, in the layout's byte order. */
class Fields {
  readonly bytes: Uint8Array;
  private readonly view: DataView;
  private readonly little: boolean;

  constructor(size: number, layout: StatLayout) {
    this.bytes = new Uint8Array(size);
    this.view = new DataView(this.bytes.buffer);
    this.little = layout !== 'ppc64';
  }

  u16(offset: number, v: number | bigint): void {
    this.view.setUint16(offset, Number(BigInt.asUintN(16, BigInt(v))), this.little);
  }

  u32(offset: number, v: number | bigint): void {
    this.view.setUint32(offset, Number(BigInt.asUintN(32, BigInt(v))), this.little);
  }

  u64(offset: number, v: number | bigint): void {
    this.view.setBigUint64(offset, BigInt.asUintN(64, BigInt(v)), this.little);
  }

  /** st_atime, st_mtime, st_ctime from `offset`, each as seconds then nanoseconds of `width` bytes. */
  times(offset: number, width: 4 | 8, s: FileStat): void {
    [s.atimeNs, s.mtimeNs, s.ctimeNs].forEach((ns, i) => {
      const t = splitTime(ns);
      const at = offset + 2 * width * i;
      if (width === 8) {
        this.u64(at, t.sec);
        this.u64(at + 8, t.nsec);
      } else {
        this.u32(at, t.sec);
        this.u32(at + 4, t.nsec);
      }
    });
  }
}

/**
 * struct stat as `fstat`/`newfstatat`/`stat` fill it on the layout's kernel (x86_64 and ppc64: 144 bytes,
 * ppc64 big-endian; i386: the 64-byte struct stat of `fstat`). Undefined where the kernel answers
 * -EOVERFLOW, which only i386's narrow fields can: an inode number past 32 bits, more than 65535 links or
 * a size past 2 GiB (a 32-bit program must use fstat64 for those).
 */
export function encodeStat(layout: 'x86_64' | 'ppc64', s: FileStat): Uint8Array;
export function encodeStat(layout: StatLayout, s: FileStat): Uint8Array | undefined;
export function encodeStat(layout: StatLayout, s: FileStat): Uint8Array | undefined {
  return layout === 'i386' ? encodeStatI386(s) : encodeStat64Bit(layout, s);
}

/**
 * Whether i386's struct stat can report the file, the checks of cp_new_stat (fs/stat.c) for a 32-bit
 * kernel and cp_compat_stat for a 32-bit task on a 64-bit one. Devices need no check: st_dev and
 * st_rdev are 32-bit there, wide enough for new_encode_dev.
 */
export function fitsStatI386(s: FileStat): boolean {
  return (
    BigInt.asUintN(64, s.ino) <= 0xffffffffn &&
    BigInt.asUintN(64, s.nlink) <= 0xffffn &&
    BigInt.asUintN(64, s.size) <= MAX_NON_LFS
  );
}

/**
 * The 64-bit struct stat. The kernel's x86_64 layout puts st_nlink (64-bit) before st_mode, unlike
 * glibc's documented order; ppc64's does the same, so one writer serves both, in their byte orders.
 */
function encodeStat64Bit(layout: StatLayout, s: FileStat): Uint8Array {
  const f = new Fields(STAT_SIZE_64, layout);
  f.u64(0, newEncodeDev(splitDev(s.dev)));
  f.u64(8, s.ino);
  f.u64(16, s.nlink);
  f.u32(24, s.mode);
  f.u32(28, s.uid);
  f.u32(32, s.gid);
  f.u64(40, newEncodeDev(splitDev(s.rdev)));
  f.u64(48, s.size);
  f.u64(56, s.blksize);
  f.u64(64, s.blocks);
  f.times(72, 8, s);
  return f.bytes;
}

/**
 * i386's struct stat: 16-bit mode, nlink, uid and gid, 32-bit everything else. Seconds are truncated to
 * 32 bits as the kernel's assignment to unsigned long does (no EOVERFLOW for times past 2106 or before 1970).
 */
function encodeStatI386(s: FileStat): Uint8Array | undefined {
  if (!fitsStatI386(s)) return undefined;
  const f = new Fields(STAT_SIZE_I386, 'i386');
  f.u32(0, newEncodeDev(splitDev(s.dev)));
  f.u32(4, s.ino);
  f.u16(8, s.mode);
  f.u16(10, s.nlink);
  f.u16(12, lowId(s.uid));
  f.u16(14, lowId(s.gid));
  f.u32(16, newEncodeDev(splitDev(s.rdev)));
  f.u32(20, s.size);
  f.u32(24, s.blksize);
  f.u32(28, s.blocks);
  f.times(32, 4, s);
  return f.bytes;
}

/**
 * struct stat64 of i386's fstat64/fstatat64/stat64 (96 bytes; the x86_64 kernel's compat copy in
 * asm/ia32.h is declared packed and lands at the same offsets). Never overflows: the inode number is
 * 64-bit in st_ino at the end, and truncated in __st_ino at offset 12 where glibc 2.1 looked for it.
 * x86_64 and ppc64 tasks have no stat64 system calls, so asking for their layout is a caller's bug.
 */
export function encodeStat64(layout: StatLayout, s: FileStat): Uint8Array {
  if (layout !== 'i386') throw new Error(`struct stat64 does not exist for ${layout} tasks`);
  const f = new Fields(STAT64_SIZE_I386, layout);
  f.u64(0, hugeEncodeDev(splitDev(s.dev)));
  f.u32(12, s.ino);
  f.u32(16, s.mode);
  f.u32(20, s.nlink);
  f.u32(24, s.uid);
  f.u32(28, s.gid);
  f.u64(32, hugeEncodeDev(splitDev(s.rdev)));
  f.u64(44, s.size);
  f.u32(52, s.blksize);
  f.u64(56, s.blocks);
  f.times(64, 4, s);
  f.u64(88, s.ino);
  return f.bytes;
}

/**
 * struct statx (256 bytes, one layout everywhere, endianness per layout) as cp_statx fills it for the
 * basic stats: no birth time, attributes or mount id (their mask bits are clear, their fields zero).
 * Devices are split into major and minor rather than encoded, and times keep all 64 bits even on i386.
 */
export function encodeStatx(layout: StatLayout, s: FileStat): Uint8Array {
  const f = new Fields(STATX_SIZE, layout);
  f.u32(0x00, STATX_BASIC_STATS);
  f.u32(0x04, s.blksize);
  f.u32(0x10, s.nlink);
  f.u32(0x14, s.uid);
  f.u32(0x18, s.gid);
  f.u16(0x1c, s.mode);
  f.u64(0x20, s.ino);
  f.u64(0x28, s.size);
  f.u64(0x30, s.blocks);
  const a = splitTime(s.atimeNs);
  const c = splitTime(s.ctimeNs);
  const m = splitTime(s.mtimeNs);
  // struct statx_timestamp { __s64 tv_sec; __u32 tv_nsec; __s32 __reserved; }: atime, btime, ctime, mtime.
  f.u64(0x40, a.sec);
  f.u32(0x48, a.nsec);
  f.u64(0x60, c.sec);
  f.u32(0x68, c.nsec);
  f.u64(0x70, m.sec);
  f.u32(0x78, m.nsec);
  const rdev = splitDev(s.rdev);
  const dev = splitDev(s.dev);
  f.u32(0x80, rdev.major);
  f.u32(0x84, rdev.minor);
  f.u32(0x88, dev.major);
  f.u32(0x8c, dev.minor);
  return f.bytes;
}
