// Counterpart: emu/unicorn-engine.ts for the ISA Unicorn lacks: the IA-64 interpreter
// (cpu.ts) behind the CpuEngine interface, so the machine, the Linux layer and the probes
// drive it as they drive Unicorn. Addresses cross the seam folded (emu/addr.ts): a
// GuestAddr is region * 2^50 + offset, register values are the architectural 64-bit ones.
import { addrOf, wordOfAddr, type GuestAddr } from '../addr.js';
import type { CpuEngine, EngineContext, EngineHandlers, RunEnd, WriteWatcher } from '../engine.js';
import { AR, Cpu, Trap } from './cpu.js';
import { addressOf, fold } from './memory.js';
import { EnginePages } from './pages.js';
import { N_STACKED } from './rse.js';

/**
 * Register ids: r0-r127 as the current frame names them (r32 + n is the frame's n-th stacked
 * register), p0-p63, b0-b7, ar0-ar127, the CFM, and IP as Linux's kprobes address a slot:
 * the bundle's address plus the slot number (0-2) in the low bits. `rbs` is no register of the
 * architecture: written, the register backing store starts afresh at the address with no
 * caller frame in it, the current frame kept (a clone child's ar.bspstore with loadrs 0, as
 * Linux's copy_thread leaves it: glibc's clone2 reads its inputs in the child); read,
 * ar.bspstore. `below + k` (k >= 1, read only) is the stacked register k positions below the
 * current frame's r32, a caller's, wherever the register stack engine has it (an unwinder's
 * view of the backing store, which flushrs would change for the guest).
 */
export const IA64_REG = {
  gr: 0,
  pr: 128,
  br: 192,
  ar: 256,
  cfm: 384,
  ip: 385,
  psr: 386,
  rbs: 387,
  below: 1024,
} as const;

/** PSR.ss (bit 40): a single-step trap after each slot executed. */
export const PSR_SS = 1n << 40n;

/**
 * The interrupt number `handlers.trap` gets for a single-step trap: Linux/ia64's vector 36
 * (ia64_fault, DIE_FAULT with err 36), negative so that no break immediate takes it.
 */
export const SINGLE_STEP_TRAP = -36;

/** The break immediate Linux/ia64 takes as a system call (ia64's __BREAK_SYSCALL). */
export const SYSCALL_BREAK = 0x100000n;

// Context words: r0-r31, the predicates as one word, b0-b7, ar0-ar127, the 96 physical
// stacked registers, then the register stack's positions, CFM and IP.
const C_PR = 32;
const C_BR = 33;
const C_AR = 41;
const C_PHYS = C_AR + 128;
const C_BOF = C_PHYS + N_STACKED;
const C_STORE = C_BOF + 1;
const C_BSPSTORE = C_STORE + 1;
const C_RNAT = C_BSPSTORE + 1;
const C_CFM = C_RNAT + 1;
const C_IP = C_CFM + 1;
const C_PSR = C_IP + 1;
const C_WORDS = C_PSR + 1;

interface Ia64Context extends EngineContext {
  readonly ptr: BigUint64Array;
}

const FAULT_END: Record<string, RunEnd> = {
  'read-unmapped': 'read-unmapped',
  'write-unmapped': 'write-unmapped',
  'fetch-unmapped': 'fetch-unmapped',
  'read-prot': 'read-prot',
  'write-prot': 'write-prot',
  'fetch-prot': 'fetch-prot',
};

export class Ia64Engine implements CpuEngine {
  readonly description = 'IA-64 interpreter';
  readonly reportsFaultingPc = true;
  readonly translatesEveryEncoding = true;
  readonly pageLookups = 0;
  private readonly pages = new EnginePages();
  private readonly cpu: Cpu;
  /** Inclusive ranges [begin, end] whose slots call handlers.code first (traceCode). */
  private readonly traced: [GuestAddr, GuestAddr][] = [];
  private stopRequested = false;
  /** `executed` at the start of each counted run in progress, innermost last. */
  private readonly counted: number[] = [];
  private lastRan: number | undefined;
  private readonly halves = new Uint32Array(2);
  /** PSR.ss, the one bit of the processor status register a user task's state holds here. */
  private ss = false;
  closed = false;

  constructor(readonly handlers: EngineHandlers) {
    // The register stack's backing store is placed by the ISA's entry state (ar.bspstore).
    this.cpu = new Cpu(this.pages, 0);
  }

  regRead(id: number): bigint {
    const cpu = this.cpu;
    if (id < IA64_REG.pr) return cpu.getGr(id);
    if (id < IA64_REG.br) return BigInt(cpu.pr[id - IA64_REG.pr] ?? 0);
    if (id < IA64_REG.br + 8) return cpu.br[id - IA64_REG.br] ?? 0n;
    if (id >= IA64_REG.ar && id < IA64_REG.ar + 128) return cpu.readAr(id - IA64_REG.ar);
    if (id === IA64_REG.cfm) return cpu.cfm();
    if (id === IA64_REG.ip) return addressOf(cpu.ip) + BigInt(cpu.slot);
    if (id === IA64_REG.psr) return this.ss ? PSR_SS : 0n;
    if (id === IA64_REG.rbs) return cpu.readAr(AR.BSPSTORE);
    if (id > IA64_REG.below) {
      const v = cpu.rse.below(id - IA64_REG.below);
      if (v !== undefined) return v;
      throw new Error(`IA-64: no stacked register ${id - IA64_REG.below} below the current frame`);
    }
    throw new Error(`IA-64: no register with id ${id}`);
  }

  regReadAddr(id: number): GuestAddr {
    if (id === IA64_REG.ip) return this.cpu.ip + this.cpu.slot;
    return addrOf(this.regRead(id));
  }

  regReadHalves(id: number): Uint32Array {
    const v = this.regRead(id);
    this.halves[0] = Number(v & 0xffffffffn);
    this.halves[1] = Number(v >> 32n);
    return this.halves;
  }

  /** A number is a guest address (folded, emu/addr.ts): the register gets the address it stands for. */
  regWrite(id: number, value: bigint | number): void {
    const v = typeof value === 'number' ? wordOfAddr(value) : BigInt.asUintN(64, value);
    const cpu = this.cpu;
    if (id < IA64_REG.pr) cpu.setGr(id, v);
    else if (id < IA64_REG.br) {
      // p0 is always 1.
      if (id !== IA64_REG.pr) cpu.pr[id - IA64_REG.pr] = Number(v & 1n);
    } else if (id < IA64_REG.br + 8) cpu.br[id - IA64_REG.br] = v;
    else if (id >= IA64_REG.ar && id < IA64_REG.ar + 128) cpu.writeAr(id - IA64_REG.ar, v);
    else if (id === IA64_REG.cfm) {
      cpu.setCfm(v);
      // A frame written whole must have its registers in the physical file, as alloc makes room.
      cpu.rse.alloc(cpu.sof);
    } else if (id === IA64_REG.ip) this.setIp(v);
    else if (id === IA64_REG.psr) this.ss = (v & PSR_SS) !== 0n;
    else if (id === IA64_REG.rbs) {
      const at = fold(v);
      if (at < 0) throw new Error(`IA-64: 0x${v.toString(16)} is no implemented address for a backing store`);
      const rse = cpu.rse;
      rse.store = rse.bof;
      rse.bspstore = at;
      rse.rnat = 0n;
    } else throw new Error(`IA-64: no register with id ${id}`);
  }

  private setIp(v: bigint): void {
    const slot = Number(v & 0xfn);
    if (slot > 2) throw new Error(`IA-64: ip 0x${v.toString(16)} names slot ${slot} (0-2 only)`);
    const at = fold(v - BigInt(slot));
    // An unimplemented address: the next fetch faults there (2^53 is mapped by no one).
    this.cpu.ip = at < 0 ? 2 ** 53 : at;
    this.cpu.slot = slot;
  }

  regReadBytes(id: number, size: number): Uint8Array {
    const out = new Uint8Array(size);
    new DataView(out.buffer).setBigUint64(0, this.regRead(id), true);
    return out;
  }

  regWriteBytes(id: number, bytes: Uint8Array): void {
    this.regWrite(id, new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true));
  }

  regPrefetch(): void {
    // Registers are JavaScript state here: every read is as cheap as a prefetched one.
  }

  contextSave(into?: EngineContext): EngineContext {
    const w = (into as Ia64Context | undefined)?.ptr ?? new BigUint64Array(C_WORDS);
    const cpu = this.cpu;
    const rse = cpu.rse;
    w.set(cpu.gr, 0);
    let pr = 0n;
    for (let i = 63; i >= 0; i--) pr = (pr << 1n) | BigInt(cpu.pr[i] ?? 0);
    w[C_PR] = pr;
    w.set(cpu.br, C_BR);
    w.set(cpu.ar, C_AR);
    w.set(rse.phys, C_PHYS);
    w[C_BOF] = BigInt(rse.bof);
    w[C_STORE] = BigInt(rse.store);
    w[C_BSPSTORE] = BigInt(rse.bspstore);
    w[C_RNAT] = rse.rnat;
    w[C_CFM] = cpu.cfm();
    w[C_IP] = BigInt(cpu.ip + cpu.slot);
    w[C_PSR] = this.ss ? PSR_SS : 0n;
    return { ptr: w } satisfies Ia64Context;
  }

  contextRestore(ctx: EngineContext): void {
    const w = (ctx as Ia64Context).ptr;
    const cpu = this.cpu;
    const rse = cpu.rse;
    cpu.gr.set(w.subarray(0, 32));
    const pr = w[C_PR] ?? 1n;
    for (let i = 0; i < 64; i++) cpu.pr[i] = Number((pr >> BigInt(i)) & 1n);
    cpu.br.set(w.subarray(C_BR, C_BR + 8));
    cpu.ar.set(w.subarray(C_AR, C_AR + 128));
    rse.phys.set(w.subarray(C_PHYS, C_PHYS + N_STACKED));
    rse.bof = Number(w[C_BOF]);
    rse.bofPhys = rse.bof % N_STACKED;
    rse.store = Number(w[C_STORE]);
    rse.bspstore = Number(w[C_BSPSTORE]);
    rse.rnat = w[C_RNAT] ?? 0n;
    cpu.setCfm(w[C_CFM] ?? 0n);
    const ip = Number(w[C_IP]);
    cpu.slot = ip % 16;
    cpu.ip = ip - cpu.slot;
    this.ss = ((w[C_PSR] ?? 0n) & PSR_SS) !== 0n;
  }

  freeContext(): void {
    // Contexts are plain arrays: the garbage collector frees them.
  }

  contextBytes(ctx: EngineContext): Uint8Array {
    const w = (ctx as Ia64Context).ptr;
    return new Uint8Array(w.buffer.slice(w.byteOffset, w.byteOffset + w.byteLength));
  }

  setContextBytes(ctx: EngineContext, bytes: Uint8Array): void {
    const w = (ctx as Ia64Context).ptr;
    new Uint8Array(w.buffer, w.byteOffset, w.byteLength).set(bytes.subarray(0, w.byteLength));
  }

  map(addr: GuestAddr, bytes: Uint8Array, perms: number): void {
    this.pages.map(addr, bytes, perms);
  }

  unmap(addr: GuestAddr, size: number): void {
    this.pages.unmap(addr, size);
    this.cpu.invalidate(addr, addr + size);
  }

  protect(addr: GuestAddr, size: number, perms: number): void {
    this.pages.protect(addr, size, perms);
  }

  /** Decoded bundles are this engine's translations: those overlapping [begin, end) go. */
  invalidateCode(begin: GuestAddr, end: GuestAddr): void {
    this.cpu.invalidate(begin, end);
  }

  traceCode(begin: GuestAddr, end: GuestAddr): void {
    this.traced.push([begin, end]);
  }

  watchWrites(begin: GuestAddr, end: GuestAddr, fn: WriteWatcher): () => void {
    const w = { begin, end, fn };
    this.pages.watches.push(w);
    return () => {
      const i = this.pages.watches.indexOf(w);
      if (i >= 0) this.pages.watches.splice(i, 1);
    };
  }

  /** Loads see the shadow page; fetches the page itself (pages.ts keeps one view of each). */
  shadowReads(page: GuestAddr, bytes: Uint8Array | undefined): boolean {
    return this.pages.shadow(page, bytes);
  }

  /**
   * Run slots from `begin` (a slot address: bundle + slot number). A `break 0x100000` is a
   * system call, with IP already past it (as Linux's break_fault advances it); any other
   * break is a trap with IP at the break's own slot (a break is a fault on IA-64) and its
   * immediate as the interrupt number. Faults leave IP at the faulting slot. With PSR.ss set,
   * each slot that completes (a system call's break included) is followed by a single-step
   * trap (SINGLE_STEP_TRAP) with IP at the next slot.
   */
  run(begin: GuestAddr, until: GuestAddr, count = 0): RunEnd {
    const cpu = this.cpu;
    const slot = begin % 16;
    cpu.ip = begin - slot;
    cpu.slot = slot;
    this.stopRequested = false;
    const start = cpu.executed;
    if (count > 0) this.counted.push(start);
    let end: RunEnd = 'ok';
    try {
      for (;;) {
        if (this.stopRequested) break;
        const at = cpu.ip + cpu.slot;
        if (at === until) break;
        if (count > 0 && cpu.executed - start >= count) break;
        if (this.traced.length > 0 && this.isTraced(at)) {
          this.handlers.code?.(at);
          if (this.stopRequested || cpu.ip + cpu.slot !== at) continue;
        }
        const t = cpu.step();
        if (t === Trap.NONE) {
          if (this.ss) this.handlers.trap(SINGLE_STEP_TRAP);
          continue;
        }
        if (t === Trap.BREAK) {
          if (cpu.breakImm === SYSCALL_BREAK) {
            this.handlers.syscall();
            if (this.ss) this.handlers.trap(SINGLE_STEP_TRAP);
          } else {
            cpu.slot = cpu.breakAt % 16;
            cpu.ip = cpu.breakAt - cpu.slot;
            this.handlers.trap(Number(cpu.breakImm));
          }
          continue;
        }
        if (t === Trap.ILLEGAL) {
          end = 'invalid-insn';
          break;
        }
        const f = cpu.fault;
        if (f) {
          this.handlers.fault(f.access, f.address);
          end =
            f.reason === 'unaligned'
              ? 'unaligned'
              : (FAULT_END[`${f.access}-${f.reason}`] ?? 'read-unmapped');
        } else end = 'read-unmapped';
        break;
      }
    } finally {
      if (count > 0) {
        this.counted.pop();
        this.lastRan = cpu.executed - start;
      }
    }
    return end;
  }

  private isTraced(at: GuestAddr): boolean {
    for (const [b, e] of this.traced) if (at >= b && at <= e) return true;
    return false;
  }

  ranInsns(): number | undefined {
    return this.lastRan;
  }

  runningInsns(): number | undefined {
    const start = this.counted[this.counted.length - 1];
    return start === undefined ? undefined : this.cpu.executed - start;
  }

  stop(): void {
    this.stopRequested = true;
  }

  hooks(): { kind: string; begin: bigint; end: bigint }[] {
    return [
      ...this.traced.map(([b, e]) => ({ kind: 'code', begin: BigInt(b), end: BigInt(e) })),
      ...this.pages.watches.map((w) => ({ kind: 'mem-write', begin: BigInt(w.begin), end: BigInt(w.end) })),
    ];
  }

  close(): void {
    this.closed = true;
  }
}
