// Counterpart: the kretprobe half of kernel/kprobes.c after the 2005 redesign (Linux
// 2.6.13: register_kretprobe, pre_handler_kretprobe, the instance table keyed by task,
// kprobe_flush_task) and of arch/*/kernel/kprobes.c (arch_init registering a kprobe on
// kretprobe_trampoline, arch_prepare_kretprobe, trampoline_probe_handler), with what came
// after: entry_handler and per-instance data (2.6.25), flushing on task death only
// (2.6.15), the stack-pointer liveness checks of uretprobes, and stack traces that see
// through the trampoline (5.15, kretprobe_find_ret_addr).
import type { KprobeArch } from '../arch/kprobe-arch.js';
import { ProbeError } from '../arch/kprobe-arch.js';
import type { GuestAddr } from '../emu/addr.js';
import { PROT_EXEC, PROT_READ } from '../emu/memory.js';
import { TidMap, type Task } from '../emu/tasks.js';
import type { Kprobe, KprobeCore, ProbePoint } from './kprobe.js';
import type { Regs } from './regs.js';

/** One tracked call (struct kretprobe_instance). */
export interface KretprobeInstance {
  /** The owning probe; undefined once it was unregistered (the call still returns right). */
  rp: Kretprobe | undefined;
  /** The real return address the trampoline took the place of. */
  readonly retAddr: GuestAddr;
  /** The task that made the call. */
  task: number;
  /** Stack pointer at entry (uretprobes' `stack`): tells live frames from skipped ones. */
  readonly stack: GuestAddr;
  /** Where the return address was in memory (the stack word), or undefined where it was in a register. */
  readonly retAddrAt: GuestAddr | undefined;
  /** The return address at entry was already the trampoline (a tail call, a second probe). */
  chained: boolean;
  /** Per-instance data for the entry and return handlers (`dataSize` bytes, zeroed). */
  data: Uint8Array;
  /** A JavaScript value the entry handler may leave for the return or drop handler (undefined at entry). */
  user: unknown;
}

/** Return handler: runs at the return, with PC at the real return address. */
export type KretHandler = (ri: KretprobeInstance, regs: Regs) => void;
/** Entry handler: runs at entry; non-zero (or true) means "do not track this call". */
export type KretEntryHandler = (ri: KretprobeInstance, regs: Regs) => number | boolean | void;

/** Why a tracked call ends without its return handler. */
export type KretDropReason = 'longjmp' | 'task-exit' | 'unregistered' | 'exception';

export interface KretprobeOptions {
  handler?: KretHandler;
  entryHandler?: KretEntryHandler;
  /**
   * A tracked call ended without a return: its frame was skipped by a longjmp (sp check),
   * its task died, or the probe was unregistered while it was in flight. Not in the kernel;
   * tracers use it to close what the entry opened.
   */
  dropHandler?: (ri: KretprobeInstance, why: KretDropReason) => void;
  /** Bytes of `ri.data` per instance. */
  dataSize?: number;
  /** Instances, i.e. calls tracked at once. Default 10 (see DEFAULT_MAXACTIVE). */
  maxactive?: number;
}

/**
 * The kernel's default when maxactive is not given, for a preemptible kernel:
 * max(10, 2 * NR_CPUS); the emulated machine has one CPU.
 */
export const DEFAULT_MAXACTIVE = 10;

/**
 * The entry points of libgcc's unwinder that start walking a stack (a C++ throw, the resume
 * after a cleanup, a rethrow, pthread_exit and pthread_cancel, glibc's backtrace): return-
 * probed frames are made unwindable there, and calls made inside them take no return probe.
 */
const UNWINDERS = [
  '_Unwind_RaiseException',
  '_Unwind_Resume',
  '_Unwind_ForcedUnwind',
  '_Unwind_Resume_or_Rethrow',
  '_Unwind_Backtrace',
];

/**
 * The C libraries' non-local jumps (glibc, with ppc64's __vmx variants, and musl), which take
 * no return probe. A longjmp ends in a computed jump to the context a setjmp saved, which the
 * return-path analysis takes for a way out, and never returns. A setjmp saves its return
 * address for a longjmp: with the trampoline's there, the longjmp comes back through the
 * trampoline with the setjmp's call returned long ago, and at the stack pointer of whatever
 * call its caller made next: no return to be told from that call's own. (Linux's uretprobes
 * take both and lose the jump: the trampoline finds the wrong instance, or none.)
 */
const LONGJMPS = new Set([
  'longjmp',
  '_longjmp',
  '__longjmp',
  'siglongjmp',
  '__libc_longjmp',
  '__libc_siglongjmp',
  '__longjmp_chk',
  '____longjmp_chk',
  '__longjmp_cancel',
  '__vmx__longjmp',
  '__vmx__libc_longjmp',
  '__vmx__libc_siglongjmp',
]);
const SETJMPS = new Set([
  'setjmp',
  '_setjmp',
  '__setjmp',
  'sigsetjmp',
  '__sigsetjmp',
  '__sigsetjmp_tail',
  '__vmx_setjmp',
  '__vmx__setjmp',
  '__vmxsetjmp',
  '__vmx__sigsetjmp',
  '__vmx__sigsetjmp_ent',
]);

/** A registered return probe (struct kretprobe). */
export class Kretprobe {
  /** Returns handled (a handler ran, or would have with none given). */
  nhit = 0;
  /**
   * Calls not tracked: no instance was free, or the call was made inside an unwinder's
   * frame walk (UNWINDERS), where the trampoline would stand for a frame it cannot find.
   */
  nmissed = 0;
  registered = true;
  /** Free instances; `used` are in flight. free.length + used === maxactive while registered. */
  readonly free: KretprobeInstance[] = [];
  used = 0;
  constructor(
    /** The entry kprobe. */
    readonly kp: Kprobe,
    readonly options: Readonly<KretprobeOptions>,
    readonly maxactive: number,
    /** The function's name, for traces. */
    readonly func: string,
  ) {}
}

export type KretprobeKeying = 'task' | 'stack';

/** An instance as the table keeps it: linked to the next older one of its task (or stack word). */
class Instance implements KretprobeInstance {
  rp: Kretprobe | undefined = undefined;
  task = 0;
  chained = false;
  user: unknown = undefined;
  next: Instance | undefined = undefined;
  retAddr: GuestAddr = 0;
  stack: GuestAddr = 0;
  retAddrAt: GuestAddr | undefined = undefined;

  constructor(readonly data: Uint8Array) {}

  /** A call is tracked: its return address, stack pointer and where the return address was. */
  enter(ret: GuestAddr, sp: GuestAddr, at: GuestAddr | undefined): void {
    this.retAddr = ret;
    this.stack = sp;
    this.retAddrAt = at;
  }
}

/**
 * Instances in flight as lists linked newest first (the kernel's hlist of 2.6.13), headed
 * by task id (an array indexed by tid: no hashing) or, with stack keying, by return slot (a
 * Map). Entry and return touch the head and the instance itself, nothing else: with 1,000
 * tasks taking turns, that is all of a task's state that has gone cold since its last turn.
 */
class InstanceTable {
  private readonly byTask: TidMap<Instance> | undefined;
  private readonly byStack: Map<GuestAddr, Instance> | undefined;

  /** `keying` 'task': keys are task ids; 'stack': keys are the stack words that held return addresses. */
  constructor(tgid: number, keying: KretprobeKeying) {
    if (keying === 'task') this.byTask = new TidMap(tgid);
    else this.byStack = new Map();
  }

  /** The newest instance of `key`. */
  head(key: number): Instance | undefined {
    // Each map at its own call site, so that each stays monomorphic on the hit path.
    if (this.byTask) return this.byTask.get(key);
    return this.byStack?.get(key);
  }

  /** Make `ri` the head of `key` (undefined: `key` has none left). */
  setHead(key: number, ri: Instance | undefined): void {
    if (this.byTask) {
      if (ri) this.byTask.set(key, ri);
      else this.byTask.delete(key);
    } else if (this.byStack) {
      if (ri) this.byStack.set(key, ri);
      else this.byStack.delete(key);
    }
  }

  push(key: number, ri: Instance): void {
    ri.next = this.head(key);
    this.setHead(key, ri);
  }

  /** Every key with instances, and its instances newest first. */
  *lists(): IterableIterator<[number, Instance[]]> {
    for (const [k, h] of this.byTask ?? this.byStack ?? []) yield [k, chainOf(h)];
  }

  /** Every instance in flight. */
  *all(): IterableIterator<Instance> {
    for (const [, l] of this.lists()) yield* l;
  }
}

/** `head` and the instances after it, newest first. */
function chainOf(head: Instance | undefined): Instance[] {
  const out: Instance[] = [];
  for (let ri = head; ri; ri = ri.next) out.push(ri);
  return out;
}

/** Per-instance data of probes that ask for none: one empty array for all of them. */
const NO_DATA = new Uint8Array(0);

const truthy = (v: number | boolean | void): boolean => v !== undefined && v !== false && v !== 0;

/** The return-probe side of one kprobe engine: the trampoline, the instance table. */
export class Kretprobes<A> {
  readonly trampoline: GuestAddr;
  /** The kprobe on kretprobe_trampoline (arch_init). */
  readonly trampolineProbe: Kprobe;
  /** Instances in flight by task id (or by return slot with stack keying), newest first: entry and return are O(1). */
  private readonly table: InstanceTable;
  readonly all: Kretprobe[] = [];
  /** Instances dropped because a longjmp skipped their frames (sp check). */
  nstale = 0;
  /** Tasks inside an unwinder (UNWINDERS), with the stack pointer at its entry. */
  private readonly unwinding = new Map<number, GuestAddr>();
  /** What marks a call's frame: the stack pointer, or the arch's frameReg (IA-64 ar.bsp). */
  private readonly frameReg: number;

  constructor(
    private readonly engine: KprobeCore<A>,
    readonly keying: KretprobeKeying,
  ) {
    this.table = new InstanceTable(engine.machine.sched.tgid, keying);
    const m = engine.machine;
    const arch: KprobeArch<A> = engine.arch;
    this.frameReg = arch.frameReg ?? m.isa.spReg;
    if (keying === 'stack' && arch.returnAddressAt(0) === undefined)
      throw new ProbeError(
        'ENOSYS',
        `stack-keyed return probes need the return address in memory at entry; ` +
          `${m.isa.name} keeps it in a register (the link register)`,
      );
    // arch_init: a page of the engine's with the trampoline's nop, and a kprobe on it.
    const page = m.mapEngineMemory(0x1000, PROT_READ | PROT_EXEC);
    m.mem.patchCode(page, arch.trampolineInsn);
    m.traceEngineCode(page, page + 0x1000, false);
    this.trampoline = page;
    if (arch.trampolineDescriptor && arch.descriptorEntry) {
      // A function pointer is a descriptor (IA-64): kretprobe_trampoline names one, and the
      // probe goes where its entry IP says (((struct fnptr *)kretprobe_trampoline)->ip).
      const desc = page + 0x800;
      const bytes = arch.trampolineDescriptor(page);
      m.mem.patchCode(desc, bytes);
      this.trampoline = arch.descriptorEntry(m.mem.read(desc, bytes.length));
    }
    m.symbols.add({
      name: 'kretprobe_trampoline',
      addr: this.trampoline,
      size: arch.trampolineInsn.length,
      kind: 'func',
    });
    this.trampolineProbe = engine.registerKprobe(
      { addr: this.trampoline },
      { preHandler: (_p, regs) => this.trampolineHandler(regs) },
      { internal: true },
    );
    m.readAheadAtTraps(arch.returnEntryRegs);
    m.sched.onExit((t) => this.flushTask(t));
    for (const name of UNWINDERS) {
      const s = m.symbols.lookup(name);
      if (s?.kind !== 'func') continue;
      engine.registerKprobe(
        { addr: s.addr },
        {
          preHandler: (_p, regs) => {
            this.exceptionUnwind(regs.tid, name);
            this.enterUnwinder(regs.tid);
            return 0;
          },
        },
        { internal: true },
      );
    }
  }

  /**
   * An exception starts unwinding the task's stack (UNWINDERS). The unwinder reads each
   * frame's return address to find its unwind table and call site, and the trampoline has
   * neither: unwinding through a return-probed frame would end in std::terminate. So every
   * return address of the task that points at the trampoline is put back, innermost first
   * (each one is the next call in flight that holds a real return address, as mapTrace
   * maps them), and the task's instances are dropped ('exception'): their calls return or
   * are unwound without the probe. Uprobes have the same problem and leave it.
   */
  private exceptionUnwind(task: number, via: string): void {
    const list = this.takeInstances(task);
    if (list.length === 0) return;
    const { machine: m, arch } = this.engine;
    const real = list.filter((ri) => !ri.chained);
    const sp = m.cpu.regReadAddr(this.frameReg);
    let i = 0;
    // The unwinder's own call, where it is return-probed and keeps its return address in a
    // register: that register holds the trampoline (its prologue has not saved it yet).
    const own = real[0];
    if (own && own.retAddrAt === undefined && arch.returnAddress(m.cpu, sp) === this.trampoline) {
      arch.setReturnAddress(m.cpu, sp, own.retAddr);
      i++;
    }
    // The others made a call: where the return address was in a register (ppc64 LR), it is
    // in the ABI's save word of the frame by now. (A copy, as i386's main makes when it
    // realigns the stack, is left: the unwinder reads the original.)
    for (const ri of real.slice(i)) {
      const slot = ri.retAddrAt ?? arch.savedReturnAddressAt(ri.stack);
      if (slot === undefined || m.mem.readAddr(slot) !== this.trampoline) continue;
      m.mem.writeWord(slot, ri.retAddr);
      i++;
    }
    if (i < real.length)
      m.options.warn(
        `kprobe-emu: ${via} unwinds task ${task} through ${real.length} return-probed calls, but only ` +
          `${i} of their return addresses were found on its stack: the unwinder may stop at the trampoline`,
      );
    for (const ri of list) this.release(ri, 'exception');
  }

  /**
   * The task is inside an unwinder until a call is made outside its frame. An unwinder
   * finds the frame it starts from through a helper's own return address (libgcc's
   * uw_init_context_1 reads it and looks up the unwind table of the code it returns to).
   * Which helpers those are is the unwinder's own business (static functions, inlined or
   * not), so no call made in there takes a return probe. The outermost unwinder's entry
   * counts (a rethrow starts a throw). The frame is known gone at the next call the task
   * makes from outside it: a landing pad's, or one after the unwinder returned to its caller.
   */
  private enterUnwinder(task: number): void {
    const sp = this.engine.machine.cpu.regReadAddr(this.frameReg);
    const outer = this.unwinding.get(task);
    if (outer === undefined || !this.engine.arch.frameAlive(outer, sp, 'call')) this.unwinding.set(task, sp);
  }

  /** Whether a call entering at `sp` is made inside an unwinder (enterUnwinder); forgets one left. */
  private inUnwinder(task: number, sp: GuestAddr): boolean {
    const entry = this.unwinding.get(task);
    if (entry === undefined) return false;
    if (this.engine.arch.frameAlive(entry, sp, 'call')) return true;
    this.unwinding.delete(task);
    return false;
  }

  /** Every instance of `task`, newest first, out of the table. */
  private takeInstances(task: number): Instance[] {
    if (this.keying === 'task') {
      const list = chainOf(this.table.head(task));
      this.table.setHead(task, undefined);
      return list;
    }
    const out: Instance[] = [];
    for (const [key, list] of [...this.table.lists()]) {
      const keep = list.filter((ri) => ri.task !== task);
      if (keep.length === list.length) continue;
      out.push(...list.filter((ri) => ri.task === task));
      keep.forEach((ri, j) => (ri.next = keep[j + 1]));
      this.table.setHead(key, keep[0]);
    }
    // Newest first: the deepest frames have the lowest return slots.
    return out.sort((a, b) => (a.retAddrAt ?? 0) - (b.retAddrAt ?? 0));
  }

  /** register_kretprobe: an entry kprobe whose pre_handler hijacks the return address. */
  register(point: ProbePoint, options: KretprobeOptions): Kretprobe {
    const { engine } = this;
    const { addr, symOffset } = engine.resolve(point);
    const fn = engine.machine.symbols.resolve(addr);
    if (!fn || fn.symbol.kind !== 'func' || fn.offset !== 0)
      throw new ProbeError('EINVAL', `a return probe goes on a function entry: ${symOffset} is not one`);
    const name = fn.symbol.name;
    // As for kprobes: the same options at the same entry twice would report each return twice.
    if (this.all.some((r) => r.registered && r.options === options && r.kp.addr === addr))
      throw new ProbeError(
        'EEXIST',
        `a return probe with these options is already registered on ${name}: unregister it before registering it again`,
      );
    const maxactive = options.maxactive ?? DEFAULT_MAXACTIVE;
    if (!Number.isInteger(maxactive) || maxactive < 1)
      throw new ProbeError('EINVAL', `maxactive must be a positive integer, got ${maxactive}`);
    const dataSize = options.dataSize ?? 0;
    if (!Number.isInteger(dataSize) || dataSize < 0)
      throw new ProbeError('EINVAL', `dataSize must be a non-negative integer, got ${dataSize}`);
    if (addr === engine.machine.image.entry)
      throw new ProbeError(
        'EINVAL',
        `${name} is the program's entry point: nothing calls it, and where a return address would be the stack holds argc`,
      );
    const ctx = engine.prepareContext();
    if (engine.arch.readsReturnAddress?.(ctx, addr))
      throw new ProbeError(
        'EINVAL',
        `${name} reads its own return address as data first thing: with the trampoline's there, ` +
          `it would compute from that one`,
      );
    if (LONGJMPS.has(name))
      throw new ProbeError(
        'EINVAL',
        `${name} never returns (it jumps to the context a setjmp saved): its instances could only leak`,
      );
    if (SETJMPS.has(name))
      throw new ProbeError(
        'EINVAL',
        `${name} saves its return address for a longjmp: with the trampoline's there, the longjmp ` +
          `could not be told from a return of the next call its caller makes`,
      );
    const start = fn.symbol.addr;
    const end = start + (fn.symbol.size > 0 ? fn.symbol.size : 1);
    if (fn.symbol.size > 0 && !engine.arch.hasReturnPath(ctx, start, end))
      throw new ProbeError(
        'EINVAL',
        `${name} never returns (no return and no jump out of its body): its instances could only leak`,
      );
    let rp: Kretprobe | undefined;
    const kp = engine.registerKprobe(point, {
      // The kprobe is registered before its kretprobe exists; no guest runs in between.
      preHandler: (_p, regs) => (rp ? this.preHandlerKretprobe(rp, regs) : 0),
    });
    rp = new Kretprobe(kp, options, maxactive, engine.machine.symbols.displayName(name));
    for (let i = 0; i < maxactive; i++) {
      rp.free.push(new Instance(dataSize > 0 ? new Uint8Array(dataSize) : NO_DATA));
    }
    this.all.push(rp);
    return rp;
  }

  /** unregister_kretprobe: no more entries; calls in flight return with no handler. */
  unregister(rp: Kretprobe): void {
    if (!rp.registered) return;
    rp.registered = false;
    this.engine.unregisterKprobe(rp.kp);
    rp.free.length = 0;
    rp.used = 0;
    // Every instance leaves the probe before a drop handler runs: one that throws ends the
    // run, and the task deaths that follow must find nothing more of this probe to drop.
    const inFlight: KretprobeInstance[] = [];
    // Each task's calls oldest first: the outermost call is dropped first.
    for (const [, list] of this.table.lists())
      for (const ri of list.reverse())
        if (ri.rp === rp) {
          ri.rp = undefined;
          inFlight.push(ri);
        }
    for (const ri of inFlight) this.dropped(rp, ri, 'unregistered');
  }

  /** Instances in flight for a task, newest first, for tests and tools. */
  instances(task: number): readonly KretprobeInstance[] {
    if (this.keying === 'task') return chainOf(this.table.head(task));
    return [...this.table.all()].filter((ri) => ri.task === task);
  }

  /** Every instance in flight. */
  inFlight(): number {
    let n = 0;
    for (const _ of this.table.all()) n++;
    return n;
  }

  /**
   * Pool invariants: free + used == maxactive for every registered probe, and used equals
   * the instances of that probe in the table.
   */
  checkInvariants(): string[] {
    const out: string[] = [];
    for (const rp of this.all) {
      if (!rp.registered) continue;
      let inTable = 0;
      for (const ri of this.table.all()) if (ri.rp === rp) inTable++;
      if (rp.free.length + rp.used !== rp.maxactive)
        out.push(
          `return probe on ${rp.func}: free ${rp.free.length} + used ${rp.used} != maxactive ${rp.maxactive}`,
        );
      if (inTable !== rp.used)
        out.push(`return probe on ${rp.func}: ${rp.used} used but ${inTable} in the instance table`);
    }
    // Task keying: no instance belongs to a dead task; once every task is dead, every
    // instance is back.
    const m = this.engine.machine;
    if (this.keying === 'task') {
      const live = new Set(m.sched.live().map((t) => t.tid));
      for (const [tid, l] of this.table.lists())
        if (!live.has(tid))
          out.push(`${l.length} return-probe instances belong to task ${tid}, which is dead`);
    }
    if (this.keying === 'task' && m.sched.live().length === 0 && this.inFlight() > 0)
      out.push(`${this.inFlight()} return-probe instances left after every task ended`);
    return out;
  }

  /** The table's key: the task id, or with stack keying the stack word that held the return address. */
  private key(task: number, retAddrAt: GuestAddr | undefined): number {
    if (this.keying === 'task') return task;
    if (retAddrAt === undefined) throw new Error('stack keying needs a return address on the stack');
    return retAddrAt;
  }

  /** pre_handler_kretprobe + arch_prepare_kretprobe. */
  private preHandlerKretprobe(rp: Kretprobe, regs: Regs): number {
    const { arch, machine: m } = this.engine;
    const cpu = m.cpu;
    // No BigInt is made.
    const sp = cpu.regReadAddr(this.frameReg);
    const task = regs.tid;
    const ret = arch.returnAddress(cpu, sp);
    const chained = ret === this.trampoline;
    if (this.unwinding.size > 0 && this.inUnwinder(task, sp)) {
      rp.nmissed++;
      return 0;
    }
    if (this.keying === 'task' && this.engine.kretprobeSpCheck)
      this.dropDead(task, sp, chained ? 'chain' : 'call');
    // The pool holds only instances made by register(), which the table can link.
    const ri = rp.free.pop() as Instance | undefined;
    if (!ri) {
      rp.nmissed++;
      return 0;
    }
    ri.rp = rp;
    ri.task = task;
    if (ri.data !== NO_DATA) ri.data.fill(0);
    ri.user = undefined;
    // The call's own addresses before the entry handler runs (the kernel fills ret_addr after
    // it, so a handler there reads what the instance's last call left).
    const at = arch.returnAddressAt(sp);
    ri.enter(ret, sp, at);
    ri.chained = chained;
    const eh = rp.options.entryHandler;
    let skip = false;
    if (eh) {
      try {
        skip = truthy(eh(ri, regs));
      } catch (e) {
        this.engine.handlerThrew(rp.kp, e, 'entry handler');
      }
    }
    if (!rp.registered) {
      // The entry handler unregistered its probe: this call is no longer tracked, and its
      // instance went with the pool.
      ri.rp = undefined;
      if (!skip) this.dropped(rp, ri, 'unregistered');
      return 0;
    }
    if (skip) {
      ri.rp = undefined;
      rp.free.push(ri);
      return 0;
    }
    arch.setReturnAddress(cpu, sp, this.trampoline);
    this.table.push(this.key(task, at), ri);
    rp.used++;
    return 0;
  }

  /** Instances whose frames a longjmp skipped: gone from the stack (uretprobes' cleanup). */
  private dropDead(task: number, sp: GuestAddr, ctx: 'call' | 'chain'): void {
    const { arch } = this.engine;
    for (
      let ri = this.table.head(task);
      ri && !arch.frameAlive(ri.stack, sp, ctx);
      ri = this.table.head(task)
    ) {
      // Out of the table before its drop handler runs.
      this.table.setHead(task, ri.next);
      this.release(ri, 'longjmp');
      this.nstale++;
    }
  }

  private dropped(rp: Kretprobe, ri: KretprobeInstance, why: KretDropReason): void {
    const dh = rp.options.dropHandler;
    if (dh) this.engine.runHandler(rp.kp, () => dh(ri, why), 'drop handler');
  }

  private release(ri: Instance, why?: KretDropReason): void {
    const rp = ri.rp;
    ri.next = undefined;
    if (rp && why) this.dropped(rp, ri, why);
    ri.rp = undefined;
    if (rp && rp.registered) {
      rp.used--;
      rp.free.push(ri);
    }
  }

  /** trampoline_probe_handler: consume the returning call's instances; PC to the real address. */
  private trampolineHandler(regs: Regs): number {
    const { machine: m, arch } = this.engine;
    const task = regs.tid;
    // The stack pointer is read only when something needs it: stack keying, or the sp check
    // of an outer call.
    const spReg = this.frameReg;
    let sp = this.keying === 'task' ? undefined : m.cpu.regReadAddr(spReg);
    const key = sp === undefined ? task : sp - m.isa.wordSize;
    let head = this.table.head(key);
    // The returning call's chain, newest first: `head` up to `end`, the first instance with
    // a real return address (those before it were chained: a tail call, a second probe).
    let end: Instance | undefined;
    for (;;) {
      end = head;
      while (end && end.chained) end = end.next;
      if (!end || !head) {
        throw this.engine.fatalError(
          `kretprobe_trampoline reached by task ${task} with no instance holding a real return ` +
            `address (${chainOf(head).length} in flight): the return address was lost`,
        );
      }
      // Out of the table before any handler runs.
      const next = end.next;
      this.table.setHead(key, next);
      // With the sp check, a chain whose next (outer) call is no longer on the stack was
      // skipped by a longjmp: drop it without handlers and look at the next one.
      if (
        this.keying === 'task' &&
        this.engine.kretprobeSpCheck &&
        next &&
        !arch.frameAlive(next.stack, (sp ??= m.cpu.regReadAddr(spReg)), 'ret')
      ) {
        this.nstale += this.endChain(head, end, undefined);
        // The table again: a drop handler may have run guest code.
        head = this.table.head(key);
        continue;
      }
      break;
    }
    const real = end.retAddr;
    // PC at the real return address while handlers run (as since 5.15), so that a stack
    // trace from the handler starts in the caller.
    m.cpu.regWrite(m.isa.pcReg, real);
    // Where the call kept its return address in a register (ppc64 LR), that register reads
    // the trampoline after the return: give it the real address too, as later kernels do
    // (regs->link = orig_ret_address; Linux 2.6.13 left LR at the trampoline). Writing a
    // register needs no stack pointer.
    if (end.retAddrAt === undefined) arch.setReturnAddress(m.cpu, 0, real);
    this.endChain(head, end, regs);
    return 1;
  }

  /**
   * The instances `head` to `end` (linked, out of the table), newest first: with `regs`, each
   * one's return handler runs; each goes back to its pool (dropped as skipped by a longjmp
   * without `regs`). The count.
   */
  private endChain(head: Instance, end: Instance, regs: Regs | undefined): number {
    let n = 0;
    for (let ri: Instance | undefined = head; ri;) {
      // A handler may make new calls: `ri` can be taken from the pool and relinked once
      // released, so its successor is read first.
      const next: Instance | undefined = ri === end ? undefined : ri.next;
      if (regs) this.returned(ri, regs);
      else this.release(ri, 'longjmp');
      n++;
      ri = next;
    }
    return n;
  }

  /** One instance of a returning chain: its handler runs, and it goes back to its pool. */
  private returned(ri: Instance, regs: Regs): void {
    const rp = ri.rp;
    if (rp && rp.registered) {
      rp.nhit++;
      const h = rp.options.handler;
      if (h) {
        try {
          h(ri, regs);
        } catch (e) {
          this.engine.handlerThrew(rp.kp, e, 'return handler');
        }
      }
    } else if (rp) {
      // Unregistered by a handler earlier in this chain: the chain was out of the table, so
      // unregister could not drop it.
      ri.rp = undefined;
      this.dropped(rp, ri, 'unregistered');
    }
    this.release(ri);
  }

  /** A task died: its instances go back (on death only, as since 2.6.15; not on exec). */
  private flushTask(t: Task): void {
    this.unwinding.delete(t.tid);
    if (this.keying !== 'task') return;
    const head = this.table.head(t.tid);
    if (!head) return;
    this.table.setHead(t.tid, undefined);
    // Newest first, as kprobe_flush_task walks the task's hlist.
    for (const ri of chainOf(head)) this.release(ri, 'task-exit');
  }

  /**
   * The task's return addresses through the trampoline (kretprobe_find_ret_addr): each
   * trampoline address in `trace` becomes the real address of the next call in flight.
   */
  mapTrace(task: number, trace: GuestAddr[]): GuestAddr[] {
    return trace.map(this.returnMapper(task));
  }

  /**
   * mapTrace one address at a time, for a walk that follows each return address as it
   * finds it: the mapper must see the task's return addresses innermost first.
   */
  returnMapper(task: number): (addr: GuestAddr) => GuestAddr {
    const list = this.instances(task);
    let i = 0;
    return (a) => {
      if (a !== this.trampoline) return a;
      while (list[i]?.chained) i++;
      const ri = list[i++];
      return ri ? ri.retAddr : a;
    };
  }
}
