// Counterpart: arch/x86/include/uapi/asm/stat.h, arch/powerpc/include/uapi/asm/stat.h, include/uapi/linux/stat.h:
// every field at the offset and width the compilers report, in each layout's byte order.
import { describe, expect, it } from 'vitest';
import {
  encodeStat,
  encodeStat64,
  encodeStatx,
  fitsStatI386,
  hugeEncodeDev,
  newEncodeDev,
  oldEncodeDev,
  oldValidDev,
  splitDev,
  splitTime,
  STATX_BASIC_STATS,
  type FileStat,
} from '../../emu/stat.js';

/** [offset, width] of each field. */
type Layout = Record<string, readonly [number, number]>;

/*
 * The offsets and sizes are what offsetof/sizeof printed for the UAPI headers (<asm/stat.h>, <linux/stat.h>)
 * with gcc (x86_64), i686-linux-gnu-gcc run under qemu-i386 and powerpc64-linux-gnu-gcc run under qemu-ppc64.
 */

/** struct stat of x86_64: sizeof 144. ppc64's printed the same offsets and sizes, and sizeof 144. */
const STAT_64: Layout = {
  st_dev: [0, 8],
  st_ino: [8, 8],
  st_nlink: [16, 8],
  st_mode: [24, 4],
  st_uid: [28, 4],
  st_gid: [32, 4],
  st_rdev: [40, 8],
  st_size: [48, 8],
  st_blksize: [56, 8],
  st_blocks: [64, 8],
  st_atime: [72, 8],
  st_atime_nsec: [80, 8],
  st_mtime: [88, 8],
  st_mtime_nsec: [96, 8],
  st_ctime: [104, 8],
  st_ctime_nsec: [112, 8],
};

/** struct stat of i386: sizeof 64. */
const STAT_I386: Layout = {
  st_dev: [0, 4],
  st_ino: [4, 4],
  st_mode: [8, 2],
  st_nlink: [10, 2],
  st_uid: [12, 2],
  st_gid: [14, 2],
  st_rdev: [16, 4],
  st_size: [20, 4],
  st_blksize: [24, 4],
  st_blocks: [28, 4],
  st_atime: [32, 4],
  st_atime_nsec: [36, 4],
  st_mtime: [40, 4],
  st_mtime_nsec: [44, 4],
  st_ctime: [48, 4],
  st_ctime_nsec: [52, 4],
};

/** struct stat64 of i386: sizeof 96 (__pad0 at 8 and __pad3 at 40, 4 bytes each, stay zero). */
const STAT64_I386: Layout = {
  st_dev: [0, 8],
  __st_ino: [12, 4],
  st_mode: [16, 4],
  st_nlink: [20, 4],
  st_uid: [24, 4],
  st_gid: [28, 4],
  st_rdev: [32, 8],
  st_size: [44, 8],
  st_blksize: [52, 4],
  st_blocks: [56, 8],
  st_atime: [64, 4],
  st_atime_nsec: [68, 4],
  st_mtime: [72, 4],
  st_mtime_nsec: [76, 4],
  st_ctime: [80, 4],
  st_ctime_nsec: [84, 4],
  st_ino: [88, 8],
};

/**
 * struct statx: sizeof 256, the same on all three (statx_timestamp: tv_sec 8 bytes at +0, tv_nsec 4 at +8;
 * stx_btime at 80 and stx_mnt_id at 144 stay zero: not in the basic stats).
 */
const STATX: Layout = {
  stx_mask: [0, 4],
  stx_blksize: [4, 4],
  stx_attributes: [8, 8],
  stx_nlink: [16, 4],
  stx_uid: [20, 4],
  stx_gid: [24, 4],
  stx_mode: [28, 2],
  stx_ino: [32, 8],
  stx_size: [40, 8],
  stx_blocks: [48, 8],
  stx_attributes_mask: [56, 8],
  'stx_atime.tv_sec': [64, 8],
  'stx_atime.tv_nsec': [72, 4],
  'stx_ctime.tv_sec': [96, 8],
  'stx_ctime.tv_nsec': [104, 4],
  'stx_mtime.tv_sec': [112, 8],
  'stx_mtime.tv_nsec': [120, 4],
  stx_rdev_major: [128, 4],
  stx_rdev_minor: [132, 4],
  stx_dev_major: [136, 4],
  stx_dev_minor: [140, 4],
};

const S = 1_000_000_000n;

/** Distinct values, some wider than 32 bits: dev is glibc's makedev(0x123, 0x45678), rdev makedev(0x88, 0x1234). */
const wide: FileStat = {
  dev: 0x45612378n,
  ino: 0x1122334455667788n,
  mode: 0o100644,
  nlink: 0x7654321n,
  uid: 0x10203,
  gid: 0x40506,
  rdev: 0x1208834n,
  size: 0x123456789n,
  blksize: 0x3000n,
  blocks: 0x91a2b4n,
  atimeNs: 1_700_000_001n * S + 111_111_111n,
  mtimeNs: 1_600_000_002n * S + 222_222_222n,
  ctimeNs: 1_500_000_003n * S + 333_333_333n,
};

/** Values that fit i386's struct stat, none of which truncation would leave alone if the width were wrong. */
const narrow: FileStat = {
  ...wide,
  ino: 0x89abcdefn,
  mode: 0o20620,
  nlink: 0x1234n,
  uid: 0x4321,
  gid: 0x5678,
  size: 0x7ffffff0n,
  blksize: 0x400n,
  blocks: 0x3ffffn,
};

const NEW_DEV = 0x45612378n;
const NEW_RDEV = 0x1208834n;

const times = {
  atime: 1_700_000_001n,
  atime_nsec: 111_111_111n,
  mtime: 1_600_000_002n,
  mtime_nsec: 222_222_222n,
  ctime: 1_500_000_003n,
  ctime_nsec: 333_333_333n,
};

const stat64Values = {
  st_dev: NEW_DEV,
  st_ino: wide.ino,
  st_nlink: wide.nlink,
  st_mode: BigInt(wide.mode),
  st_uid: BigInt(wide.uid),
  st_gid: BigInt(wide.gid),
  st_rdev: NEW_RDEV,
  st_size: wide.size,
  st_blksize: wide.blksize,
  st_blocks: wide.blocks,
  st_atime: times.atime,
  st_atime_nsec: times.atime_nsec,
  st_mtime: times.mtime,
  st_mtime_nsec: times.mtime_nsec,
  st_ctime: times.ctime,
  st_ctime_nsec: times.ctime_nsec,
};

const statI386Values = {
  ...stat64Values,
  st_ino: narrow.ino,
  st_nlink: narrow.nlink,
  st_mode: BigInt(narrow.mode),
  st_uid: BigInt(narrow.uid),
  st_gid: BigInt(narrow.gid),
  st_size: narrow.size,
  st_blksize: narrow.blksize,
  st_blocks: narrow.blocks,
};

const stat64I386Values = { ...stat64Values, __st_ino: 0x55667788n };

const statxValues = {
  stx_mask: BigInt(STATX_BASIC_STATS),
  stx_blksize: wide.blksize,
  stx_attributes: 0n,
  stx_nlink: wide.nlink,
  stx_uid: BigInt(wide.uid),
  stx_gid: BigInt(wide.gid),
  stx_mode: BigInt(wide.mode),
  stx_ino: wide.ino,
  stx_size: wide.size,
  stx_blocks: wide.blocks,
  stx_attributes_mask: 0n,
  'stx_atime.tv_sec': times.atime,
  'stx_atime.tv_nsec': times.atime_nsec,
  'stx_ctime.tv_sec': times.ctime,
  'stx_ctime.tv_nsec': times.ctime_nsec,
  'stx_mtime.tv_sec': times.mtime,
  'stx_mtime.tv_nsec': times.mtime_nsec,
  stx_rdev_major: 0x88n,
  stx_rdev_minor: 0x1234n,
  stx_dev_major: 0x123n,
  stx_dev_minor: 0x45678n,
};

/** An unsigned field of 2, 4 or 8 bytes read back with DataView. */
function read(bytes: Uint8Array, [offset, width]: readonly [number, number], little: boolean): bigint {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (width === 2) return BigInt(view.getUint16(offset, little));
  if (width === 4) return BigInt(view.getUint32(offset, little));
  if (width === 8) return view.getBigUint64(offset, little);
  throw new Error(`no field of ${width} bytes`);
}

/** Every field where the header has it, and zero in every byte no field covers (padding, spare, unused). */
function expectLayout(
  bytes: Uint8Array,
  layout: Layout,
  values: Record<string, bigint>,
  little: boolean,
): void {
  expect(Object.keys(values).sort()).toEqual(Object.keys(layout).sort());
  const covered = new Set<number>();
  for (const [name, field] of Object.entries(layout)) {
    expect([name, read(bytes, field, little)]).toEqual([name, values[name]]);
    for (let i = 0; i < field[1]; i++) covered.add(field[0] + i);
  }
  const stray = [...bytes.keys()].filter((i) => !covered.has(i) && bytes[i] !== 0);
  expect(stray).toEqual([]);
}

describe('struct stat', () => {
  it('x86_64: 144 bytes, st_nlink (64-bit) before st_mode, little-endian', () => {
    const bytes = encodeStat('x86_64', wide);
    expect(bytes.length).toBe(144);
    expectLayout(bytes, STAT_64, stat64Values, true);
  });

  it('ppc64: 144 bytes, the same offsets big-endian', () => {
    const bytes = encodeStat('ppc64', wide);
    expect(bytes.length).toBe(144);
    expectLayout(bytes, STAT_64, stat64Values, false);
    expect([...bytes.subarray(8, 16)]).toEqual([0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88]);
  });

  it('i386: 64 bytes, 16-bit mode, nlink, uid and gid', () => {
    const bytes = encodeStat('i386', narrow);
    expect(bytes?.length).toBe(64);
    if (!bytes) throw new Error('unexpected EOVERFLOW');
    expectLayout(bytes, STAT_I386, statI386Values, true);
  });

  it('i386: undefined (EOVERFLOW) for an inode past 32 bits, 65536 links or 2 GiB', () => {
    expect(fitsStatI386(narrow)).toBe(true);
    expect(encodeStat('i386', { ...narrow, ino: 0x100000000n })).toBeUndefined();
    expect(encodeStat('i386', { ...narrow, nlink: 0x10000n })).toBeUndefined();
    expect(encodeStat('i386', { ...narrow, size: 0x80000000n })).toBeUndefined();
    expect(encodeStat('i386', wide)).toBeUndefined();
    expect(fitsStatI386(wide)).toBe(false);
    expect(
      encodeStat('i386', { ...narrow, ino: 0xffffffffn, nlink: 0xffffn, size: 0x7fffffffn }),
    ).toBeDefined();
  });

  it('i386: a uid or gid past 16 bits shows as 65534, as high2lowuid has it', () => {
    const bytes = encodeStat('i386', { ...narrow, uid: 0x10000, gid: 100000 });
    if (!bytes) throw new Error('unexpected EOVERFLOW');
    expect(read(bytes, [12, 2], true)).toBe(65534n);
    expect(read(bytes, [14, 2], true)).toBe(65534n);
  });

  it('i386: seconds truncated to 32 bits, times before 1970 rounded down with positive nanoseconds', () => {
    const s = { ...narrow, atimeNs: (0x100000000n + 5n) * S + 7n, mtimeNs: -1_500_000_000n, ctimeNs: 0n };
    const bytes = encodeStat('i386', s);
    if (!bytes) throw new Error('unexpected EOVERFLOW');
    expect(read(bytes, [32, 4], true)).toBe(5n);
    expect(read(bytes, [36, 4], true)).toBe(7n);
    expect(read(bytes, [40, 4], true)).toBe(0xfffffffen);
    expect(read(bytes, [44, 4], true)).toBe(500_000_000n);
    const x = encodeStat('x86_64', s);
    expect(read(x, [72, 8], true)).toBe(0x100000005n);
    expect(read(x, [88, 8], true)).toBe(0xfffffffffffffffen);
    expect(read(x, [96, 8], true)).toBe(500_000_000n);
  });
});

describe('struct stat64', () => {
  it('i386: 96 bytes, 64-bit devices, the inode in __st_ino (truncated) and st_ino', () => {
    const bytes = encodeStat64('i386', wide);
    expect(bytes.length).toBe(96);
    expectLayout(bytes, STAT64_I386, stat64I386Values, true);
  });

  it('i386: 32-bit seconds, but no EOVERFLOW where struct stat has one', () => {
    const bytes = encodeStat64('i386', { ...wide, nlink: 0x10000n, atimeNs: (0x100000000n + 9n) * S });
    expect(read(bytes, [20, 4], true)).toBe(0x10000n);
    expect(read(bytes, [64, 4], true)).toBe(9n);
  });

  it('does not exist for 64-bit tasks', () => {
    expect(() => encodeStat64('x86_64', wide)).toThrow(/stat64/);
    expect(() => encodeStat64('ppc64', wide)).toThrow(/stat64/);
  });
});

describe('struct statx', () => {
  for (const layout of ['x86_64', 'i386', 'ppc64'] as const) {
    it(`${layout}: 256 bytes, the basic stats, ${layout === 'ppc64' ? 'big' : 'little'}-endian`, () => {
      const bytes = encodeStatx(layout, wide);
      expect(bytes.length).toBe(256);
      expectLayout(bytes, STATX, statxValues, layout !== 'ppc64');
    });
  }

  it('keeps 64-bit seconds on i386, negative ones too', () => {
    const bytes = encodeStatx('i386', { ...wide, atimeNs: (0x100000000n + 5n) * S, mtimeNs: -1n });
    expect(read(bytes, [64, 8], true)).toBe(0x100000005n);
    expect(read(bytes, [112, 8], true)).toBe(0xffffffffffffffffn);
    expect(read(bytes, [120, 4], true)).toBe(999_999_999n);
  });
});

describe('device numbers and times', () => {
  it('splits glibc makedev and encodes as new_encode_dev and huge_encode_dev', () => {
    expect(splitDev(NEW_DEV)).toEqual({ major: 0x123, minor: 0x45678 });
    expect(splitDev(12n)).toEqual({ major: 0, minor: 12 });
    expect(newEncodeDev({ major: 0x123, minor: 0x45678 })).toBe(0x45612378);
    expect(newEncodeDev({ major: 0xfff, minor: 0xfffff })).toBe(0xffffffff);
    expect(hugeEncodeDev({ major: 0x88, minor: 0x1234 })).toBe(NEW_RDEV);
    // glibc's bits past the kernel's 12-bit major and 20-bit minor: a kernel has no such device.
    expect(splitDev((1n << 32n) | (0xabn << 44n) | 0x102n)).toEqual({ major: 1, minor: 2 });
  });

  it('old_encode_dev and old_valid_dev for __old_kernel_stat', () => {
    expect(oldValidDev({ major: 8, minor: 1 })).toBe(true);
    expect(oldValidDev({ major: 256, minor: 1 })).toBe(false);
    expect(oldValidDev({ major: 8, minor: 256 })).toBe(false);
    expect(oldEncodeDev({ major: 8, minor: 1 })).toBe(0x801);
  });

  it('splits nanoseconds as a timespec', () => {
    expect(splitTime(1_500_000_000n)).toEqual({ sec: 1n, nsec: 500_000_000 });
    expect(splitTime(-1_500_000_000n)).toEqual({ sec: -2n, nsec: 500_000_000 });
    expect(splitTime(-2_000_000_000n)).toEqual({ sec: -2n, nsec: 0 });
    expect(splitTime(0n)).toEqual({ sec: 0n, nsec: 0 });
  });
});
