// Guest memory in buffers of ours: the engine's guest sees what the host writes and the
// host reads what the guest stored, across cuts, areas and byte orders.
import { describe, expect, it, vi } from 'vitest';
import { Memory, MemoryFault, OutOfMemory } from '../../emu/memory.js';
import { engineHasVirtualTlb, UnicornEngine } from '../../emu/unicorn-engine.js';

const RSP = 44;
const RBX = 37;
const RAX = 35;

// mov rsp, top ; mov rax, 0x1122334455667788 ; push rax ; mov rbx, [0x20100]
const program = (top: number): Uint8Array =>
  Uint8Array.of(
    0x48,
    0xc7,
    0xc4,
    top & 0xff,
    (top >> 8) & 0xff,
    (top >> 16) & 0xff,
    0x00,
    0x48,
    0xb8,
    0x88,
    0x77,
    0x66,
    0x55,
    0x44,
    0x33,
    0x22,
    0x11,
    0x50,
    0x48,
    0x8b,
    0x1c,
    0x25,
    0x00,
    0x01,
    0x02,
    0x00,
  );

/** An x86_64 engine as a machine opens it, with code at 0x10000 (r-x) and data at 0x20000-0x24000 (rw-). */
function withMemory(fn: (e: UnicornEngine, mem: Memory) => void, maxBytes = 2 ** 32): void {
  const e: UnicornEngine = new UnicornEngine(
    { arch: 'x86', mode: 64, bigEndian: false },
    { trap: () => {}, syscall: () => {}, fault: () => {}, pagePerms: (p) => mem.pagePerms(p) },
    { syscallInsn: false, ...(engineHasVirtualTlb() ? { faultPage: 1n << 47n } : {}) },
  );
  const mem = new Memory(e, true, 8, maxBytes);
  try {
    mem.map(0x10000, 0x1000, 5, 'image');
    mem.map(0x20000, 0x4000, 3, 'mmap');
    fn(e, mem);
  } finally {
    e.close();
  }
}

function run(e: UnicornEngine, mem: Memory, top: number): void {
  const code = program(top);
  mem.patchCode(0x10000, code);
  expect(e.run(0x10000, 0x10000 + code.length)).toBe('ok');
}

describe('guest memory', () => {
  it('guest stores are host reads and host writes are guest loads', () => {
    withMemory((e, mem) => {
      mem.write(0x20100, Uint8Array.of(0xef, 0xbe, 0xad, 0xde));
      run(e, mem, 0x22000);
      expect(e.regRead(RSP)).toBe(0x21ff8n);
      expect(mem.memReadWord(0x21ff8, 8, true)).toBe(0x1122334455667788n);
      expect(mem.memReadWord(0x21ffc, 4, false)).toBe(0x44332211n);
      expect(e.regRead(RBX)).toBe(0xdeadbeefn);
      expect([...mem.read(0x21ff9, 3)]).toEqual([0x77, 0x66, 0x55]);
    });
  });

  it('an area cut by protect and unmap keeps its pieces on the buffer; the hole is unmapped', () => {
    withMemory((e, mem) => {
      mem.protect(0x21000, 0x22000, 1);
      mem.unmap(0x23000, 0x24000);
      expect(mem.list().map((a) => [a.start, a.end, a.perms])).toEqual([
        [0x10000, 0x11000, 5],
        [0x20000, 0x21000, 3],
        [0x21000, 0x22000, 1],
        [0x22000, 0x23000, 3],
      ]);
      expect(() => mem.read(0x23000, 4)).toThrow(MemoryFault);
      expect(() => mem.read(0x23000, 4)).toThrow(/read of 4 byte\(s\) at 0x23000: not mapped/);
      // The read-only piece takes host writes.
      mem.write(0x21000, Uint8Array.of(1, 2, 3, 4));
      expect(mem.memReadWord(0x21000, 4, true)).toBe(0x04030201n);
      // Guest accesses after the cut meet the host's bytes on both sides of it.
      mem.write(0x20100, Uint8Array.of(0x78, 0x56, 0x34, 0x12));
      run(e, mem, 0x23000);
      expect(e.regRead(RBX)).toBe(0x12345678n);
      expect(mem.memReadWord(0x22ff8, 8, true)).toBe(0x1122334455667788n);
      // An access across two pieces is served piece by piece.
      expect([...mem.read(0x21ffe, 4)]).toEqual([0, 0, 0, 0]);
      mem.write(0x21ffe, Uint8Array.of(9, 8, 7, 6));
      expect([...mem.read(0x21ffe, 4)]).toEqual([9, 8, 7, 6]);
      mem.memWriteWord(0x21ffc, 8, 0x1122334455667788n, true);
      expect([...mem.memReadHalves(0x21ffc, 8, true)]).toEqual([0x55667788, 0x11223344]);
      // Across a hole: refused at the hole, and what lies before it is not written either.
      expect(() => mem.write(0x22ffe, Uint8Array.of(1, 2, 3, 4))).toThrow(/write of 2 byte\(s\) at 0x23000/);
      expect([...mem.read(0x22ffe, 2)]).toEqual([0x22, 0x11]);
    });
  });

  it('code written by the host runs at once, read-only code is patched with no protect', () => {
    withMemory((e, mem) => {
      // inc eax ; inc eax ; nop
      mem.write(0x10000, Uint8Array.of(0xff, 0xc0, 0xff, 0xc0, 0x90));
      e.run(0x10000, 0x10005);
      expect(e.regRead(RAX)).toBe(2n);
      // The block ran once: a write into executable memory drops its translation.
      mem.write(0x10002, Uint8Array.of(0x90, 0x90));
      e.regWrite(RAX, 0n);
      e.run(0x10000, 0x10005);
      expect(e.regRead(RAX)).toBe(1n);
      const protect = vi.spyOn(e, 'protect');
      mem.patchCode(0x10000, Uint8Array.of(0x90, 0x90));
      expect(protect).not.toHaveBeenCalled();
      e.regWrite(RAX, 0n);
      e.run(0x10000, 0x10005);
      expect(e.regRead(RAX)).toBe(0n);
      expect(mem.permsAt(0x10000)).toBe(5);
    });
  });

  it('a word written is the value modulo 2^32 or 2^64, for negative values and values past 2^53 too', () => {
    withMemory((_e, mem) => {
      const cases: [bigint, bigint, bigint][] = [
        [-1n, 0xffffffffn, 0xffffffffffffffffn],
        [-(1n << 53n), 0n, 0xffe0000000000000n],
        [(1n << 53n) + 3n, 3n, (1n << 53n) + 3n],
        [(1n << 64n) + 0x1234567890abcdefn, 0x90abcdefn, 0x1234567890abcdefn],
        [-(1n << 70n) - 2n, 0xfffffffen, 0xfffffffffffffffen],
        [(1n << 53n) - 1n, 0xffffffffn, (1n << 53n) - 1n],
        [0x80000000n, 0x80000000n, 0x80000000n],
      ];
      for (const [value, four, eight] of cases) {
        mem.memWriteWord(0x20100, 8, value, true);
        expect(mem.memReadWord(0x20100, 8, true)).toBe(eight);
        mem.memWriteWord(0x20100, 8, 0n, true);
        mem.memWriteWord(0x20100, 4, value, true);
        expect(mem.memReadWord(0x20100, 8, true)).toBe(four);
      }
    });
  });

  it('words as numbers and BigInts, and addresses, in both byte orders, inside an area and across two', () => {
    withMemory((_e, mem) => {
      mem.map(0x24000, 0x1000, 3, 'mmap');
      const values: bigint[] = [
        0n,
        0x7fffffffn,
        0xffffffffn,
        0x100000000n,
        0x1122334455667n,
        (1n << 53n) - 1n,
        1n << 53n,
        0xfedcba9876543210n,
      ];
      for (const at of [0x20ff8, 0x23ffc])
        for (const le of [true, false])
          for (const v of values) {
            for (const size of [4, 8] as const) {
              const want = BigInt.asUintN(8 * size, v);
              // A number where exact, else the BigInt: the same word either way.
              mem.memWriteWord(at, size, v < 1n << 53n ? Number(v) : v, le);
              expect(mem.memReadWord(at, size, le)).toBe(want);
              // As an address: the number, exact below 2^53.
              expect(mem.memReadAddr(at, size, le)).toBe(Number(want));
            }
          }
      // A number that is not an exact integer is refused, and nothing is written.
      mem.memWriteWord(0x20100, 8, 5, true);
      expect(() => mem.memWriteWord(0x20100, 8, 2 ** 60 + 0.5, true)).toThrow(RangeError);
      expect(() => mem.memWriteWord(0x20100, 8, 1.5, true)).toThrow(RangeError);
      expect(mem.memReadWord(0x20100, 8, true)).toBe(5n);
      // Negative numbers are taken modulo 2^32 or 2^64, as BigInts are.
      mem.memWriteWord(0x20100, 8, -2, true);
      expect(mem.memReadWord(0x20100, 8, true)).toBe(0xfffffffffffffffen);
      mem.memWriteWord(0x20100, 4, -2, true);
      expect(mem.memReadWord(0x20100, 4, true)).toBe(0xfffffffen);
      expect(() => mem.memReadHalves(0x30000, 4, true)).toThrow(MemoryFault);
      expect(() => mem.memReadHalves(2 ** 60, 4, true)).toThrow(MemoryFault);
    });
  });

  it('a refused unmap or protect changes nothing; a page mapped again is zeroed; none is mapped past the limit', () => {
    withMemory((e, mem) => {
      expect(() => e.unmap(0x20800, 0x800)).toThrow(/uc_mem_unmap\(0x20800, 0x800\)/);
      expect(() => e.protect(0x20800, 0x800, 1)).toThrow(/uc_mem_protect\(0x20800, 0x800\)/);
      mem.write(0x22000, Uint8Array.of(0xff));
      mem.unmap(0x22000, 0x23000);
      mem.map(0x22000, 0x1000, 3, 'mmap');
      expect(mem.read(0x22000, 1)[0]).toBe(0);
      expect(() => mem.map(0x20000, 0x1000, 3, 'mmap')).toThrow(/uc_mem_map_ptr\(0x20000, 0x1000\)/);
      expect(mem.memReadWord(0x20000, 8, true)).toBe(0n);
      const before = mem.list().length;
      expect(() => mem.map(0x100000, 0x10000, 3, 'mmap')).toThrow(OutOfMemory);
      expect(mem.list().length).toBe(before);
    }, 0x8000);
  });
});
