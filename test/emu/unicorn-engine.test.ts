// The CPU engine on Unicorn: register writes batched in hooks, registers read ahead, code
// patched while it runs.
import { describe, expect, it } from 'vitest';
import { Memory } from '../../emu/memory.js';
import { engineHasVirtualTlb, UnicornEngine } from '../../emu/unicorn-engine.js';
import { X86_REG as R } from '../../arch/x86/isa.js';

const RAX = 35;
const EIP = 26;
const EAX = 19;
const CS = 11;

/** An x86 engine (32- or 64-bit) as a machine opens it, with memory of its own. */
function engine64(
  trap: (e: UnicornEngine) => void = () => {},
  mode: 32 | 64 = 64,
): { e: UnicornEngine; mem: Memory } {
  const e: UnicornEngine = new UnicornEngine(
    { arch: 'x86', mode, bigEndian: false },
    { trap: () => trap(e), syscall: () => {}, fault: () => {}, pagePerms: (p) => mem.pagePerms(p) },
    { syscallInsn: false, ...(engineHasVirtualTlb() ? { faultPage: 1n << 47n } : {}) },
  );
  const mem = new Memory(e, true, 8, 1n << 32n);
  return { e, mem };
}

describe('Unicorn engine', () => {
  it('a register narrower than 64 bits reads as its own width, whatever an earlier access left in the word', () => {
    const { e: u } = engine64(undefined, 32);
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

  it('patchCode makes patched code run: a breakpoint replaced inside its own trap is not hit again', () => {
    let hits = 0;
    const { e: u, mem } = engine64((e) => {
      hits++;
      mem.patchCode(0x1000n, Uint8Array.of(0x90));
      e.regWrite(41, 0x1000n);
    });
    try {
      mem.map(0x1000n, 0x1000n, 7, 'test');
      // loop: int3 ; inc eax ; cmp eax, 3 ; jne loop ; nop
      mem.write(0x1000n, Uint8Array.of(0xcc, 0xff, 0xc0, 0x83, 0xf8, 0x03, 0x75, 0xf8, 0x90));
      u.run(0x1000n, 0x1009n, 1000);
      expect(hits).toBe(1);
      expect(u.regRead(RAX)).toBe(3n);
    } finally {
      u.close();
    }
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
    const withHook = (hook: (u: UnicornEngine) => void, fn: (u: UnicornEngine) => void): void => {
      const { e: u, mem } = engine64(hook);
      try {
        mem.map(0x1000n, 0x1000n, 7, 'test');
        mem.write(0x1000n, code);
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
          expect(u.run(0x1000n, END)).toBe('ok');
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

    it('registers as Ints: numbers written in the hook arrive as BigInts would, read back as numbers if exact', () => {
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
          expect(u.run(0x1000n, END)).toBe('ok');
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
          u.run(0x1000n, END);
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
          u.run(0x1000n, END);
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
      let saved: ReturnType<UnicornEngine['contextSave']> | undefined;
      let nested = 0n;
      withHook(
        (u) => {
          u.regWrite(R.rax, 9n);
          saved = u.contextSave();
          u.regWrite(R.rax, 20n);
          u.regWrite(R.rbx, 1n);
          // The code after the breakpoint, run from inside the hook: rcx = rax + rbx.
          u.run(0x1001n, 0x1007n);
          nested = u.regRead(R.rcx);
          u.regWrite(R.rip, END);
        },
        (u) => {
          u.run(0x1000n, END);
          expect(nested).toBe(21n);
          if (!saved) throw new Error('no context saved');
          u.contextRestore(saved);
          expect(u.regRead(R.rax)).toBe(9n);
        },
      );
    });

    it('registers read ahead serve reads until a write or the hook end', () => {
      const seen: bigint[] = [];
      withHook(
        (u) => {
          u.regPrefetch(Int32Array.of(R.rax, R.rbx));
          seen.push(
            u.regRead(R.rax),
            u.regRead(R.rbx),
            BigInt(u.regReadHalves(R.rbx)[1] ?? -1),
            u.regRead(R.rdx),
          );
          u.regWrite(R.rax, 4n);
          seen.push(u.regRead(R.rax), u.regRead(R.rbx));
        },
        (u) => {
          u.regWrite(R.rax, 1n);
          u.regWrite(R.rbx, 0x500000002n);
          u.regWrite(R.rdx, 3n);
          u.run(0x1000n, END);
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
          seen.push(BigInt(u.regReadHalves(R.rbx)[0] ?? -1), u.regRead(R.rax));
          u.regWrite(R.rip, END);
        },
        (u) => {
          u.regWrite(R.rax, 0x100000001n);
          u.regWrite(R.rbx, 2n);
          u.run(0x1000n, END);
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
          expect(() => u.run(0x1000n, END)).toThrow('handler failed');
          expect(u.regRead(R.rax)).toBe(4n);
        },
      );
    });
  });
});
