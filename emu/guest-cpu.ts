// Counterpart: QEMU's CPUState with its address space, as target code uses it: the engine's
// registers and contexts with the process's memory, one object for the ISA descriptions.
import type { CpuEngine, EngineContext } from './engine.js';
import type { GuestAddr } from './addr.js';
import type { Cpu } from './isa.js';
import type { Memory } from './memory.js';

/** Registers and contexts from the engine, memory from `Memory` (host buffers). */
export class GuestCpu implements Cpu {
  constructor(
    private readonly engine: CpuEngine,
    private readonly mem: Memory,
  ) {}

  regRead(id: number): bigint {
    return this.engine.regRead(id);
  }
  regReadHalves(id: number): Uint32Array {
    return this.engine.regReadHalves(id);
  }
  regReadAddr(id: number): GuestAddr {
    return this.engine.regReadAddr(id);
  }
  regWrite(id: number, value: bigint | number): void {
    this.engine.regWrite(id, value);
  }
  regReadBytes(id: number, size: number): Uint8Array {
    return this.engine.regReadBytes(id, size);
  }
  regWriteBytes(id: number, bytes: Uint8Array): void {
    this.engine.regWriteBytes(id, bytes);
  }
  regPrefetch(ids: Int32Array): void {
    this.engine.regPrefetch(ids);
  }
  contextSave(into?: EngineContext): EngineContext {
    return this.engine.contextSave(into);
  }
  contextRestore(ctx: EngineContext): void {
    this.engine.contextRestore(ctx);
  }
  freeContext(ctx: EngineContext): void {
    this.engine.freeContext(ctx);
  }
  contextBytes(ctx: EngineContext): Uint8Array {
    return this.engine.contextBytes(ctx);
  }
  setContextBytes(ctx: EngineContext, bytes: Uint8Array): void {
    this.engine.setContextBytes(ctx, bytes);
  }
  memRead(addr: GuestAddr, size: number): Uint8Array {
    return this.mem.read(addr, size);
  }
  memReadWord(addr: GuestAddr, size: 4 | 8, littleEndian: boolean): bigint {
    return this.mem.memReadWord(addr, size, littleEndian);
  }
  memReadHalves(addr: GuestAddr, size: 4 | 8, littleEndian: boolean): Uint32Array {
    return this.mem.memReadHalves(addr, size, littleEndian);
  }
  memReadAddr(addr: GuestAddr, size: 4 | 8, littleEndian: boolean): GuestAddr {
    return this.mem.memReadAddr(addr, size, littleEndian);
  }
  memWriteWord(addr: GuestAddr, size: 4 | 8, value: bigint | number, littleEndian: boolean): void {
    this.mem.memWriteWord(addr, size, value, littleEndian);
  }
  memWrite(addr: GuestAddr, bytes: Uint8Array): void {
    this.mem.write(addr, bytes);
  }
}
