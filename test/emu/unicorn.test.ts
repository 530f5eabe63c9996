// The Unicorn binding: version, hook errors, code patching, engine lifetime.
import { describe, expect, it, vi } from 'vitest';
import { Memory } from '../../emu/memory.js';
import { narrowInt } from '../../emu/int.js';
import {
  openEngineCount,
  ucVersion,
  Unicorn,
  UnicornError,
  UC_ARCH_X86,
  UC_MODE_32,
  UC_MODE_64,
} from '../../emu/unicorn.js';
import { X86_REG as R } from '../../arch/x86/isa.js';

const RAX = 35;
const EIP = 26;
const EAX = 19;
const CS = 11;

describe('Unicorn binding', () => {
  it('reads the engine version', () => {
    const v = ucVersion();
    expect(v.major).toBe(2);
    expect(v.text).toMatch(/^2\.\d+\.\d+$/);
  });

  it('an exception thrown in a hook stops the engine and is rethrown by emuStart', () => {
    let calls = 0;
    const u = new Unicorn(UC_ARCH_X86, UC_MODE_32, {
      intr: () => {
        calls++;
        throw new Error('handler failed');
      },
    });
    try {
      u.memMap(0x1000n, 0x1000, 7);
      // int3; int3; int3: a hook that did not stop the engine would be called three times.
      u.memWrite(0x1000n, Uint8Array.of(0xcc, 0xcc, 0xcc, 0x90));
      expect(() => u.emuStart(0x1000n, 0x1004n)).toThrow('handler failed');
      expect(calls).toBe(1);
      expect(u.regRead(EIP)).toBe(0x1001n);
    } finally {
      u.close();
    }
  });

  it('a register narrower than 64 bits reads as its own width, whatever an earlier access left in the word', () => {
    const u = new Unicorn(UC_ARCH_X86, UC_MODE_32, {});
    try {
      u.regWrite(EIP, 0x8048000n);
      // A 32-bit register written with a negative value: the word holds 64 bits of ones.
      u.regWrite(EAX, -110n);
      expect(u.regRead(EIP)).toBe(0x8048000n);
      expect([...u.regReadHalves(EIP)]).toEqual([0x8048000, 0]);
      expect(u.regRead(EAX)).toBe(0xffffff92n);
      u.regWrite(EAX, -1n);
      // CS is 16 bits wide.
      expect(u.regRead(CS) >> 16n).toBe(0n);
    } finally {
      u.close();
    }
  });

  it('failing calls throw UnicornError naming the call', () => {
    const u = new Unicorn(UC_ARCH_X86, UC_MODE_64, {});
    try {
      expect(() => u.memRead(0xdead0000n, 4)).toThrow(UnicornError);
      expect(() => u.memRead(0xdead0000n, 4)).toThrow(/uc_mem_read\(0xdead0000, 4\) failed/);
    } finally {
      u.close();
    }
  });

  it('patchCode makes patched code run: a breakpoint replaced inside its own trap is not hit again', () => {
    let hits = 0;
    let mem: Memory;
    const u: Unicorn = new Unicorn(UC_ARCH_X86, UC_MODE_64, {
      intr: () => {
        hits++;
        mem.patchCode(0x1000n, Uint8Array.of(0x90));
        u.regWrite(41, 0x1000n);
      },
    });
    try {
      mem = new Memory(u, true, 8, 1n << 20n);
      mem.map(0x1000n, 0x1000n, 7, 'test');
      // loop: int3 ; inc eax ; cmp eax, 3 ; jne loop ; nop
      mem.write(0x1000n, Uint8Array.of(0xcc, 0xff, 0xc0, 0x83, 0xf8, 0x03, 0x75, 0xf8, 0x90));
      u.emuStart(0x1000n, 0x1009n, 1000);
      expect(hits).toBe(1);
      expect(u.regRead(RAX)).toBe(3n);
    } finally {
      u.close();
    }
  });

  it('with several engines open, each hook reaches its own engine', () => {
    const hits = [0, 0];
    const engines = [0, 1].map(
      (i) =>
        new Unicorn(UC_ARCH_X86, UC_MODE_64, {
          intr: () => {
            hits[i]!++;
            // The second engine runs inside the first one's hook: both dispatch at once.
            if (i === 0) engines[1]!.emuStart(0x1000n, 0x1002n);
          },
        }),
    );
    try {
      for (const u of engines) {
        u.memMap(0x1000n, 0x1000, 7);
        u.memWrite(0x1000n, Uint8Array.of(0xcc, 0x90));
      }
      engines[0]!.emuStart(0x1000n, 0x1002n);
      expect(hits).toEqual([1, 1]);
    } finally {
      for (const u of engines) u.close();
    }
  });

  it('close frees the engine and its dispatch entry', () => {
    const before = openEngineCount();
    const u = new Unicorn(UC_ARCH_X86, UC_MODE_64, {});
    expect(openEngineCount()).toBe(before + 1);
    u.close();
    u.close();
    expect(openEngineCount()).toBe(before);
    expect(u.closed).toBe(true);
  });

  describe('register writes inside a hook (sent in one batch when the hook returns)', () => {
    // 0x1000: int3 ; mov rcx, rax ; add rcx, rbx ; mov rdx, 2 ; (end 0x1011)
    const code = Uint8Array.of(
      0xcc,
      0x48,
      0x89,
      0xc1,
      0x48,
      0x01,
      0xd9,
      0x48,
      0xc7,
      0xc2,
      0x02,
      0x00,
      0x00,
      0x00,
    );
    const END = 0x1000n + BigInt(code.length);
    const withHook = (hook: (u: Unicorn) => void, fn: (u: Unicorn) => void): void => {
      const u: Unicorn = new Unicorn(UC_ARCH_X86, UC_MODE_64, { intr: () => hook(u) });
      try {
        u.memMap(0x1000n, 0x1000, 7);
        u.memWrite(0x1000n, code);
        fn(u);
      } finally {
        u.close();
      }
    };

    it('the guest runs on with every write; a read in the hook sees the writes before it', () => {
      const seen: bigint[] = [];
      withHook(
        (u) => {
          u.regWrite(R.rax, 5n);
          u.regWrite(R.rbx, 7n);
          seen.push(u.regRead(R.rax), u.regRead(R.rdx), u.regRead(R.rbx));
          u.regWrite(R.rbx, 8n);
        },
        (u) => {
          u.regWrite(R.rdx, 99n);
          expect(u.emuStart(0x1000n, END)).toBe(0);
          expect(seen).toEqual([5n, 99n, 7n]);
          expect([u.regRead(R.rax), u.regRead(R.rbx), u.regRead(R.rcx), u.regRead(R.rdx)]).toEqual([
            5n,
            8n,
            13n,
            2n,
          ]);
        },
      );
    });

    it('registers as Ints: numbers written in the hook arrive as BigInts would, and read back as numbers where exact', () => {
      const seen: (number | bigint)[] = [];
      withHook(
        (u) => {
          u.regWrite(R.rax, 0x1122334455667);
          u.regWrite(R.rbx, (1n << 60n) + 1n);
          u.regWrite(R.rdx, 7);
          seen.push(u.regReadInt(R.rax), u.regReadInt(R.rbx), u.regReadInt(R.rdx));
          u.regWrite(R.rdx, -1);
        },
        (u) => {
          expect(u.emuStart(0x1000n, END)).toBe(0);
          expect(seen).toEqual([0x1122334455667, (1n << 60n) + 1n, 7]);
          expect(u.regRead(R.rcx)).toBe(0x1122334455667n + (1n << 60n) + 1n);
          // Outside a hook a number goes straight in.
          u.regWrite(R.rdx, 2 ** 40);
          expect(u.regReadInt(R.rdx)).toBe(2 ** 40);
          u.regWrite(R.rdx, -1);
          expect(u.regRead(R.rdx)).toBe(0xffffffffffffffffn);
          expect(u.regReadInt(R.rdx)).toBe(0xffffffffffffffffn);
          expect(() => u.regWrite(R.rdx, 0.5)).toThrow(RangeError);
        },
      );
    });

    it('a PC written in the hook is where the guest goes on', () => {
      withHook(
        (u) => u.regWrite(R.rip, 0x1007n),
        (u) => {
          u.regWrite(R.rcx, 1n);
          u.emuStart(0x1000n, END);
          expect([u.regRead(R.rcx), u.regRead(R.rdx)]).toEqual([1n, 2n]);
        },
      );
    });

    it('more registers than one batch holds, and the same register written again, all arrive in order', () => {
      const regs = [R.rax, R.rbx, R.rsi, R.rdi, R.rbp, R.r8, R.r9, R.r10, R.r11, R.r12];
      withHook(
        (u) => {
          regs.forEach((r, i) => u.regWrite(r, BigInt(100 + i)));
          u.regWrite(R.rax, 1n);
          u.regWrite(R.rbx, 2n);
          u.regWrite(R.rax, 3n);
        },
        (u) => {
          u.emuStart(0x1000n, END);
          expect(regs.map((r) => u.regRead(r))).toEqual([
            3n,
            2n,
            ...regs.slice(2).map((_r, i) => BigInt(102 + i)),
          ]);
          expect(u.regRead(R.rcx)).toBe(5n);
        },
      );
    });

    it('a context saved in the hook holds the writes; a run nested in the hook starts from them', () => {
      let saved: ReturnType<Unicorn['contextSave']> | undefined;
      let nested = 0n;
      withHook(
        (u) => {
          u.regWrite(R.rax, 9n);
          saved = u.contextSave();
          u.regWrite(R.rax, 20n);
          u.regWrite(R.rbx, 1n);
          // The code after the breakpoint, run from inside the hook: rcx = rax + rbx.
          u.emuStart(0x1001n, 0x1007n);
          nested = u.regRead(R.rcx);
          u.regWrite(R.rip, END);
        },
        (u) => {
          u.emuStart(0x1000n, END);
          expect(nested).toBe(21n);
          u.contextRestore(saved!);
          expect(u.regRead(R.rax)).toBe(9n);
        },
      );
    });

    it('registers read ahead serve reads until a write or the hook end', () => {
      const seen: bigint[] = [];
      withHook(
        (u) => {
          u.regPrefetch(Int32Array.of(R.rax, R.rbx));
          seen.push(u.regRead(R.rax), u.regRead(R.rbx), BigInt(u.regReadHalves(R.rbx)[1]!), u.regRead(R.rdx));
          u.regWrite(R.rax, 4n);
          seen.push(u.regRead(R.rax), u.regRead(R.rbx));
        },
        (u) => {
          u.regWrite(R.rax, 1n);
          u.regWrite(R.rbx, 0x500000002n);
          u.regWrite(R.rdx, 3n);
          u.emuStart(0x1000n, END);
          expect(seen).toEqual([1n, 0x500000002n, 5n, 3n, 4n, 0x500000002n]);
          // The guest changed rcx and rdx after the hook: reads see the CPU, not the hook's.
          expect([u.regRead(R.rcx), u.regRead(R.rdx)]).toEqual([0x500000006n, 2n]);
          expect(() => u.regPrefetch(new Int32Array(9))).toThrow(RangeError);
        },
      );
    });

    it('a write drops what was read ahead of that register, or all of it when another register is written', () => {
      const EAX = 19;
      const seen: bigint[] = [];
      withHook(
        (u) => {
          u.regPrefetch(Int32Array.of(R.rax, R.rbx));
          u.regWrite(R.rax, 5n);
          seen.push(u.regRead(R.rax), u.regRead(R.rbx));
          u.regPrefetch(Int32Array.of(R.rax, R.rbx));
          // EAX is part of RAX and not among those read ahead: nothing read ahead is kept.
          u.regWrite(EAX, 7n);
          seen.push(u.regRead(R.rax));
          u.regPrefetch(Int32Array.of(R.rax, R.rbx));
          u.regWrite(R.rbx, 9n);
          seen.push(BigInt(u.regReadHalves(R.rbx)[0]!), u.regRead(R.rax));
          u.regWrite(R.rip, END);
        },
        (u) => {
          u.regWrite(R.rax, 0x100000001n);
          u.regWrite(R.rbx, 2n);
          u.emuStart(0x1000n, END);
          expect(seen).toEqual([5n, 2n, 7n, 9n, 7n]);
        },
      );
    });

    it('writes made before a hook throws still arrive; the error comes out of emuStart', () => {
      withHook(
        (u) => {
          u.regWrite(R.rax, 4n);
          throw new Error('handler failed');
        },
        (u) => {
          expect(() => u.emuStart(0x1000n, END)).toThrow('handler failed');
          expect(u.regRead(R.rax)).toBe(4n);
        },
      );
    });
  });

  describe('host-backed memory (uc_mem_map_ptr)', () => {
    const RSP = 44;
    const RBX = 37;
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
    const run = (u: Unicorn, top: number): void => {
      const code = program(top);
      u.memWrite(0x10000n, code);
      u.removeCache(0x10000n, 0x11000n);
      u.emuStart(0x10000n, 0x10000n + BigInt(code.length));
    };
    const withEngine = (fn: (u: Unicorn) => void): void => {
      const u = new Unicorn(UC_ARCH_X86, UC_MODE_64, {});
      try {
        u.memMap(0x10000n, 0x1000, 5);
        u.memMap(0x20000n, 0x4000, 3);
        fn(u);
      } finally {
        u.close();
      }
    };

    it('guest stores are host reads and host writes are guest loads', () => {
      withEngine((u) => {
        expect(u.hostBacked(0x20000n, 0x4000)).toBe(true);
        u.memWrite(0x20100n, Uint8Array.of(0xef, 0xbe, 0xad, 0xde));
        run(u, 0x22000);
        expect(u.regRead(RSP)).toBe(0x21ff8n);
        expect(u.memReadWord(0x21ff8n, 8, true)).toBe(0x1122334455667788n);
        expect(u.memReadWord(0x21ffcn, 4, false)).toBe(0x44332211n);
        expect(u.regRead(RBX)).toBe(0xdeadbeefn);
        const into = new Uint8Array(3);
        u.memReadInto(0x21ff9n, into);
        expect([...into]).toEqual([0x77, 0x66, 0x55]);
      });
    });

    it('a region cut by protect and unmap keeps its pieces on the buffer; the hole is unmapped', () => {
      withEngine((u) => {
        u.memProtect(0x21000n, 0x1000, 1);
        u.memUnmap(0x23000n, 0x1000);
        expect(u.hostBacked(0x22000n, 0x1000)).toBe(true);
        expect(u.hostBacked(0x23000n, 1)).toBe(false);
        expect(() => u.memRead(0x23000n, 4)).toThrow(UnicornError);
        // The read-only piece takes host writes, as uc_mem_write does.
        u.memWrite(0x21000n, Uint8Array.of(1, 2, 3, 4));
        expect(u.memReadWord(0x21000n, 4, true)).toBe(0x04030201n);
        // Guest accesses after the cut meet the host's bytes on both sides of it.
        u.memWrite(0x20100n, Uint8Array.of(0x78, 0x56, 0x34, 0x12));
        run(u, 0x23000);
        expect(u.regRead(RBX)).toBe(0x12345678n);
        expect(u.memReadWord(0x22ff8n, 8, true)).toBe(0x1122334455667788n);
        // An access across two pieces goes through Unicorn, which joins them.
        expect(u.hostBacked(0x21ffcn, 8)).toBe(false);
        expect([...u.memRead(0x21ffen, 4)]).toEqual([0, 0, 0, 0]);
        u.memWrite(0x21ffen, Uint8Array.of(9, 8, 7, 6));
        expect([...u.memRead(0x21ffen, 4)]).toEqual([9, 8, 7, 6]);
      });
    });

    it('code written by the host runs at once and read-only code is patched with no protect', () => {
      const u = new Unicorn(UC_ARCH_X86, UC_MODE_64, {});
      try {
        const mem = new Memory(u, true, 8, 1n << 20n);
        mem.map(0x1000n, 0x1000n, 5, 'test');
        // inc eax ; inc eax ; nop
        mem.write(0x1000n, Uint8Array.of(0xff, 0xc0, 0xff, 0xc0, 0x90));
        u.emuStart(0x1000n, 0x1005n);
        expect(u.regRead(RAX)).toBe(2n);
        // The block ran once: a write with no removeCache of our own must still be seen.
        u.memWrite(0x1002n, Uint8Array.of(0x90, 0x90));
        u.regWrite(RAX, 0n);
        u.emuStart(0x1000n, 0x1005n);
        expect(u.regRead(RAX)).toBe(1n);
        const protect = vi.spyOn(u, 'memProtect');
        mem.patchCode(0x1000n, Uint8Array.of(0x90, 0x90));
        mem.seal();
        expect(protect).not.toHaveBeenCalled();
        u.regWrite(RAX, 0n);
        u.emuStart(0x1000n, 0x1005n);
        expect(u.regRead(RAX)).toBe(0n);
        expect(mem.permsAt(0x1000n)).toBe(5);
      } finally {
        u.close();
      }
    });

    it('words read as halves and written as words are the same in host-backed memory and in memory Unicorn allocates', () => {
      withEngine((u) => {
        // Past the size that is host-backed: Unicorn's own calls serve it.
        const big = 0x40000000n;
        u.memMap(big, (256 << 20) + 0x1000, 3);
        expect(u.hostBacked(big, 8)).toBe(false);
        for (const at of [0x20ff8n, big + 0x1ff8n]) {
          u.memWriteWord(at, 8, 0x1122334455667788n, true);
          expect([...u.memReadHalves(at, 8, true)]).toEqual([0x55667788, 0x11223344]);
          expect([...u.memReadHalves(Number(at), 8, true)]).toEqual([0x55667788, 0x11223344]);
          expect([...u.memReadHalves(at, 8, false)]).toEqual([0x44332211, 0x88776655]);
          expect([...u.memReadHalves(at + 4n, 4, true)]).toEqual([0x11223344, 0]);
          u.memWriteWord(at, 4, 0xa1b2c3d4n, false);
          expect([...u.memRead(at, 4)]).toEqual([0xa1, 0xb2, 0xc3, 0xd4]);
          expect(u.memReadWord(at, 8, true)).toBe(0x11223344d4c3b2a1n);
        }
        expect(() => u.memReadHalves(0x30000n, 4, true)).toThrow(UnicornError);
      });
    });

    it('a word written is the value modulo 2^32 or 2^64, for negative values and values past 2^53 too', () => {
      withEngine((u) => {
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
          u.memWriteWord(0x20100n, 8, value, true);
          expect(u.memReadWord(0x20100n, 8, true)).toBe(eight);
          u.memWriteWord(0x20100n, 8, 0n, true);
          u.memWriteWord(0x20100n, 4, value, true);
          expect(u.memReadWord(0x20100n, 8, true)).toBe(four);
        }
      });
    });

    it('words as Ints: numbers where exact, BigInts past 2^53, the same words as with BigInts, in both byte orders and both kinds of memory', () => {
      withEngine((u) => {
        const big = 0x40000000n;
        u.memMap(big, (256 << 20) + 0x1000, 3);
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
        for (const at of [0x20ff8n, big + 0x1ff8n])
          for (const le of [true, false])
            for (const v of values) {
              for (const size of [4, 8] as const) {
                const want = BigInt.asUintN(8 * size, v);
                u.memWriteWord(Number(at), size, narrowInt(v), le);
                expect(u.memReadWord(at, size, le)).toBe(want);
                const got = u.memReadInt(Number(at), size, le);
                expect(got).toBe(narrowInt(want));
                expect(typeof got).toBe(want < 1n << 53n ? 'number' : 'bigint');
              }
            }
        // A number that is not an exact integer is refused, and nothing is written.
        u.memWriteWord(0x20100n, 8, 5, true);
        expect(() => u.memWriteWord(0x20100n, 8, 2 ** 60 + 0.5, true)).toThrow(RangeError);
        expect(() => u.memWriteWord(0x20100n, 8, 1.5, true)).toThrow(RangeError);
        expect(u.memReadWord(0x20100n, 8, true)).toBe(5n);
        // Negative numbers are taken modulo 2^32 or 2^64, as BigInts are.
        u.memWriteWord(0x20100n, 8, -2, true);
        expect(u.memReadWord(0x20100n, 8, true)).toBe(0xfffffffffffffffen);
        u.memWriteWord(0x20100n, 4, -2, true);
        expect(u.memReadWord(0x20100n, 4, true)).toBe(0xfffffffen);
      });
    });

    it('a refused unmap or protect changes nothing; a page mapped again starts zeroed', () => {
      withEngine((u) => {
        expect(() => u.memUnmap(0x20800n, 0x800)).toThrow(UnicornError);
        expect(() => u.memProtect(0x20800n, 0x800, 1)).toThrow(UnicornError);
        expect(u.hostBacked(0x20000n, 0x4000)).toBe(true);
        u.memWrite(0x22000n, Uint8Array.of(0xff));
        u.memUnmap(0x22000n, 0x1000);
        u.memMap(0x22000n, 0x1000, 3);
        expect(u.memRead(0x22000n, 1)[0]).toBe(0);
        expect(() => u.memMap(0x20000n, 0x1000, 3)).toThrow(UnicornError);
        expect(u.memReadWord(0x20000n, 8, true)).toBe(0n);
      });
    });
  });
});
