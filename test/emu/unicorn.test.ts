// The Unicorn binding: version, hook errors, code patching, engine lifetime.
import { describe, expect, it } from 'vitest';
import { Memory } from '../../emu/memory.js';
import { openEngineCount, ucVersion, Unicorn, UnicornError, UC_ARCH_X86, UC_MODE_32, UC_MODE_64 } from '../../emu/unicorn.js';

const RAX = 35;
const EIP = 26;

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
