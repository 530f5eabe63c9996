// Counterpart: struct pt_regs as a kprobe handler sees it, plus the guest memory and
// guest calls a handler may use.
import type { GuestAddr } from '../emu/addr.js';
import type { Machine } from '../emu/machine.js';

/** Registers and memory of the task that hit a probe, for handlers to read and write. */
export class Regs {
  constructor(
    private readonly m: Machine,
    private readonly unwind?: (max: number) => GuestAddr[],
  ) {}

  /**
   * The task's stack as return addresses, innermost first: where it is (a probe's own
   * address in its handlers), then its callers, each frame by its .eh_frame CFI where it has
   * some, else by frame pointers (x86) or the back chain (ppc64), with kretprobe_trampoline
   * mapped back to the real return addresses.
   */
  stackTrace(max = 64): GuestAddr[] {
    if (!this.unwind) throw new Error('stackTrace: no unwinder on these registers');
    return this.unwind(max);
  }

  /** Read a register by name: the ISA's own names or the kernel's pt_regs names (`di`, `ip`). */
  get(name: string): bigint {
    return this.m.cpu.regRead(this.id(name));
  }

  set(name: string, value: bigint): void {
    this.m.cpu.regWrite(this.id(name), value);
  }

  /** The program counter: an address. */
  get pc(): GuestAddr {
    return this.m.cpu.regReadAddr(this.m.isa.pcReg);
  }

  set pc(v: GuestAddr) {
    this.m.cpu.regWrite(this.m.isa.pcReg, v);
  }

  /** The stack pointer: an address. */
  get sp(): GuestAddr {
    return this.m.cpu.regReadAddr(this.m.isa.spReg);
  }

  /** Argument N (1-based) at function entry, through the ISA's calling convention. */
  arg(n: number): bigint {
    if (!Number.isInteger(n) || n < 1) throw new RangeError(`argument numbers start at 1, got ${n}`);
    return this.m.isa.argument(this.m.cpu, n);
  }

  /** The function return value register (meaningful at a return). */
  get retval(): bigint {
    return this.m.cpu.regRead(this.m.isa.returnReg);
  }

  /** The task that hit the probe. */
  get tid(): number {
    return this.m.sched.current.tid;
  }

  read(addr: GuestAddr, size: number): Uint8Array {
    return this.m.mem.read(addr, size);
  }

  write(addr: GuestAddr, bytes: Uint8Array): void {
    this.m.mem.write(addr, bytes);
  }

  readWord(addr: GuestAddr): bigint {
    return this.m.mem.readWord(addr);
  }

  /**
   * Call a guest function (by symbol or code address) with integer arguments and return its
   * result. Probes hit inside the call are not handled: they count as missed (REENTER).
   */
  callGuest(fn: string | GuestAddr, ...args: bigint[]): bigint {
    let addr: GuestAddr;
    let toc: GuestAddr | undefined;
    if (typeof fn === 'string') {
      const s = this.m.symbols.lookup(fn);
      if (!s || s.kind !== 'func') throw new Error(`callGuest: no function named '${fn}'`);
      addr = s.addr;
      toc = s.toc;
    } else addr = fn;
    return this.m.callGuest(addr, args, toc);
  }

  private id(name: string): number {
    const id = this.m.isa.registers[name.toLowerCase()];
    if (id === undefined) throw new Error(`no register '${name}' on ${this.m.isa.name}`);
    return id;
  }
}
