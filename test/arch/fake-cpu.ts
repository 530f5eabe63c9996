// A CPU of registers only, for testing arch code that reads and writes registers.
import type { Cpu } from '../../emu/isa.js';

export function fakeCpu(init: Record<number, bigint>): Cpu & { regs: Map<number, bigint> } {
  const regs = new Map<number, bigint>(Object.entries(init).map(([k, v]) => [Number(k), v]));
  const none = () => {
    throw new Error('not used');
  };
  return {
    regs,
    regRead: (id) => regs.get(id) ?? 0n,
    regReadHalves: (id) => {
      const v = BigInt.asUintN(64, regs.get(id) ?? 0n);
      return Uint32Array.of(Number(v & 0xffffffffn), Number(v >> 32n));
    },
    regReadAddr: (id) => Number(BigInt.asUintN(64, regs.get(id) ?? 0n)),
    regWrite: (id, v) => void regs.set(id, BigInt(v)),
    regWriteBytes: none,
    // Registers are read from the map: nothing to read ahead.
    regPrefetch: () => {},
    regReadBytes: none,
    memRead: none,
    memReadWord: none,
    memReadHalves: none,
    memReadAddr: none,
    memWriteWord: none,
    memWrite: none,
    contextSave: none,
    contextRestore: none,
    freeContext: none,
    contextBytes: none,
    setContextBytes: none,
  };
}
