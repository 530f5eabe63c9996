// The Unicorn binding: version, hook errors, register widths, engine lifetime.
import { describe, expect, it } from 'vitest';
import {
  openEngineCount,
  ucVersion,
  Unicorn,
  UnicornError,
  UC_ARCH_X86,
  UC_HOOK_INTR,
  UC_MODE_32,
  UC_MODE_64,
} from '../../emu/unicorn.js';

const EIP = 26;
const EAX = 19;
const CS = 11;

/** A register through the binding, as a BigInt (the bytes in host order: x86 hosts only). */
function read(u: Unicorn, id: number): bigint {
  const word = new BigUint64Array(1);
  u.regRead(id, new Uint8Array(word.buffer));
  return word[0] ?? 0n;
}

function write(u: Unicorn, id: number, v: bigint): void {
  u.regWrite(id, new Uint8Array(BigUint64Array.of(BigInt.asUintN(64, v)).buffer));
}

/** An engine with a UC_HOOK_INTR hook calling `intr`, and `code` at 0x1000. */
function withCode(mode: number, code: Uint8Array, intr: (u: Unicorn) => void): Unicorn {
  const u: Unicorn = new Unicorn(UC_ARCH_X86, mode, { intr: () => intr(u) });
  u.hookAdd(UC_HOOK_INTR, 1n, 0n, 'INTR');
  u.memMap(0x1000n, 0x1000, 7);
  u.memWrite(0x1000n, code);
  return u;
}

describe('Unicorn binding', () => {
  it('reads the engine version', () => {
    const v = ucVersion();
    expect(v.major).toBe(2);
    expect(v.text).toMatch(/^2\.\d+\.\d+$/);
  });

  it('an exception thrown in a hook stops the engine and is rethrown by emuStart', () => {
    let calls = 0;
    // int3; int3; int3: a hook that did not stop the engine would be called three times.
    const u = withCode(UC_MODE_32, Uint8Array.of(0xcc, 0xcc, 0xcc, 0x90), () => {
      calls++;
      throw new Error('handler failed');
    });
    try {
      expect(() => u.emuStart(0x1000n, 0x1004n)).toThrow('handler failed');
      expect(calls).toBe(1);
      expect(read(u, EIP)).toBe(0x1001n);
    } finally {
      u.close();
    }
  });

  it('a register narrower than 64 bits fills its own width only', () => {
    const u = new Unicorn(UC_ARCH_X86, UC_MODE_32, {});
    try {
      write(u, EAX, -110n);
      const word = BigUint64Array.of(0xffffffffffffffffn);
      u.regRead(EAX, new Uint8Array(word.buffer));
      // The upper half keeps what was there: the register cache clears the word first.
      expect(word[0]).toBe(0xffffffffffffff92n);
      word[0] = 0n;
      u.regRead(CS, new Uint8Array(word.buffer));
      expect((word[0] ?? 0n) >> 16n).toBe(0n);
    } finally {
      u.close();
    }
  });

  it("a counted run's instruction count is read and written where this build keeps it", () => {
    // Five nops, an int3 whose hook runs a nested counted run, then nops to the end.
    const code = new Uint8Array(0x100).fill(0x90);
    code[5] = 0xcc;
    let inner: [number, number] | undefined;
    const u = withCode(UC_MODE_32, code, (e) => {
      const outer = e.countState();
      e.emuStart(0x1080n, 0x1090n, 1000);
      inner = e.countState();
      if (outer) e.setCountState(outer);
      write(e, EIP, 0x1006n);
    });
    try {
      u.emuStart(0x1000n, 0x2000n, 20);
      // The nested run ran 16 nops of its 1000; the outer run, given its count back, stopped
      // after its 20th instruction (the int3 among them) as it would have with no nested run.
      expect(inner).toEqual([16, 1000]);
      expect(u.countState()).toEqual([21, 20]);
      expect(read(u, EIP)).toBe(0x1014n);
    } finally {
      u.close();
    }
  });

  it('failing calls throw UnicornError naming the call', () => {
    const u = new Unicorn(UC_ARCH_X86, UC_MODE_64, {});
    try {
      expect(() => u.memRead(0xdead0000n, 4)).toThrow(UnicornError);
      expect(() => u.memRead(0xdead0000n, 4)).toThrow(/uc_mem_read\(0xdead0000, 4\) failed/);
      expect(() => u.memUnmap(0x20800n, 0x800)).toThrow(/uc_mem_unmap\(0x20800, 0x800\) failed/);
    } finally {
      u.close();
    }
  });

  it('with several engines open, each hook reaches its own engine', () => {
    const hits = [0, 0];
    const engines: Unicorn[] = [];
    for (const i of [0, 1])
      engines.push(
        withCode(UC_MODE_64, Uint8Array.of(0xcc, 0x90), () => {
          hits[i] = (hits[i] ?? 0) + 1;
          // The second engine runs inside the first one's hook: both dispatch at once.
          if (i === 0) engines[1]?.emuStart(0x1000n, 0x1002n);
        }),
      );
    try {
      engines[0]?.emuStart(0x1000n, 0x1002n);
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
});
