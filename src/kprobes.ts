// Counterpart: kernel/kprobes.c of Linux 2.6.13 (register_kprobe, unregister_kprobe,
// aggregate probes, the per-CPU kprobe_ctlblk) and the arch-independent half of
// kprobe_handler / post_kprobe_handler / kprobe_fault_handler. Control blocks are kept per
// task, not per CPU: a step belongs to the task that hit the probe.
import { kprobeArchFor } from '../arch/index.js';
import { ProbeError, type KprobeArch, type PrepareContext, type StepState } from '../arch/kprobe-arch.js';
import type { Machine } from '../emu/machine.js';
import { HostError, SIGSEGV, SIGTRAP } from '../emu/machine.js';
import { PROT_EXEC, PROT_READ } from '../emu/memory.js';
import { hex, type GuestAddr } from '../emu/addr.js';
import { TidMap, type Task } from '../emu/tasks.js';
import { functionAt } from '../emu/extent.js';
import { findFrameInfo } from '../emu/cfi.js';
import { Kretprobes, type Kretprobe, type KretprobeKeying, type KretprobeOptions } from './kretprobes.js';
import { Regs } from './regs.js';
import {
  Kprobe,
  type KprobeCore,
  type KprobeHandlers,
  type KprobeStatus,
  type ProbePoint,
} from './kprobe.js';

export { ProbeError };
export {
  Kprobe,
  type FaultHandlerFn,
  type KprobeHandlers,
  type KprobeStatus,
  type PostHandler,
  type PreHandler,
  type ProbePoint,
} from './kprobe.js';

/** Default of KprobeEngine.maxProbes: ten times what the benchmarks register. */
export const DEFAULT_MAX_PROBES = 100_000;

interface Site<A> {
  addr: GuestAddr;
  /** Probes at this address, newest first (list_add_rcu puts new ones at the head). */
  probes: Kprobe[];
  ainsn: A;
  /** The instruction slot: where the probed instruction's copy runs out of line. */
  insnSlot: GuestAddr;
  /** The original bytes the breakpoint replaced. */
  opcode: Uint8Array;
  /** A step of this boostable instruction completed: later hits may be boosted. */
  boostReady: boolean;
}

interface Kcb<A> {
  site: Site<A>;
  /** The probe whose handler runs (for an aggregate's fault routing). */
  running: Kprobe | undefined;
  status: KprobeStatus;
  step: StepState;
  /** This level's step holds task switches (all but a preemptible one: a REP string copy). */
  held: boolean;
  /** One level of saved state (save_previous_kprobe). */
  prev:
    | { site: Site<A>; status: KprobeStatus; step: StepState; running: Kprobe | undefined; held: boolean }
    | undefined;
}

function hasPostHandler(site: { probes: Kprobe[] }): boolean {
  for (const p of site.probes) if (p.handlers.postHandler) return true;
  return false;
}

const truthy = (v: number | boolean | void): boolean => v !== undefined && v !== false && v !== 0;

/** The run already ended (fatalError): enclosing handlers pass it on, no fault handler takes it. */
class RunEndedError extends HostError {}

/**
 * The Regs handlers get. A memory write may not touch a probed instruction: its breakpoint
 * and its copy in the slot are the engine's, so a write there would leave the copy stale
 * and be undone by unregistering (the kernel keeps two patchers off one byte the same way:
 * no kprobe on ftrace or jump-label sites). Unregister the probe first.
 */
class HandlerRegs extends Regs {
  constructor(
    m: Machine,
    unwind: (max: number) => GuestAddr[],
    private readonly checkWrite: (addr: GuestAddr, size: number) => void,
  ) {
    super(m, unwind);
  }

  override write(addr: GuestAddr, bytes: Uint8Array): void {
    this.checkWrite(addr, bytes.length);
    super.write(addr, bytes);
  }
}

/**
 * The kprobe engine of one machine. Installs itself as the machine's breakpoint, step and
 * fault handler; registration patches the breakpoint into guest code with patchCode.
 */
export class KprobeEngine<A> implements KprobeCore<A> {
  /** Sites by address. */
  private readonly sites = new Map<GuestAddr, Site<A>>();
  private readonly kcbs: TidMap<Kcb<A>>;
  private readonly insnSlotPages: { base: GuestAddr; used: number }[] = [];
  private readonly freeInsnSlots: GuestAddr[] = [];
  /** Every probe ever registered, for invariants and profiles. */
  readonly all: Kprobe[] = [];
  private readonly removed: { addr: GuestAddr; opcode: Uint8Array }[] = [];
  readonly regs: Regs;
  /** Function names no probe may be put on (the kernel's blacklist, given by the user). */
  readonly blacklist = new Set<string>();
  /** Run boostable copies straight from their slots when no post handler needs a step end. */
  booster = true;
  /** Registered probes at most (return probes count their entry probe); beyond: ENOSPC. */
  maxProbes = DEFAULT_MAX_PROBES;
  /** Probes registered now (the engine's own not counted). */
  private nlive = 0;
  /** Hits that ran boosted (no step). */
  nboosted = 0;
  /** Drop return-probe instances whose frames a longjmp skipped (uretprobes' check). */
  kretprobeSpCheck = true;
  /** How return-probe instances are keyed: by task (2005 redesign) or by stack slot (before it). */
  kretprobeKeying: KretprobeKeying = 'task';
  private kret: Kretprobes<A> | undefined;
  /** A control block no task holds, for the next hit (no allocation per hit). */
  private spareKcb: Kcb<A> | undefined;
  /** nmissed of each probe at the last invariant check (it may only grow). */
  private readonly missedSeen = new WeakMap<object, number>();

  constructor(
    readonly machine: Machine,
    readonly arch: KprobeArch<A>,
  ) {
    this.kcbs = new TidMap(machine.sched.tgid);
    this.regs = new HandlerRegs(
      machine,
      (max) => this.stackTrace(max),
      (addr, size) => this.checkHandlerWrite(addr, size),
    );
    machine.attachTrapListener({
      breakpoint: (addr, task) => this.kprobeHandler(addr, task),
      singleStep: (task) => this.postKprobeHandler(task),
      fault: (signal, pc, task) => this.kprobeFaultHandler(signal, pc, task),
      originalPc: (pc) => this.originalPc(pc),
    });
    machine.sched.onExit((t) => this.kprobeFlushTask(t));
    machine.onClone((child) => this.copyProcess(child));
  }

  /** Resolve a probe point to an address, checking the symbol and offset. */
  resolve(point: ProbePoint): { addr: GuestAddr; symOffset: string } {
    const syms = this.machine.symbols;
    if ('addr' in point) return { addr: point.addr, symOffset: syms.describe(point.addr).symOffset };
    const s = syms.lookup(point.symbol);
    if (s?.kind === 'ifunc')
      throw new ProbeError(
        'ENOENT',
        `'${point.symbol}' is an IFUNC: its resolver picks the code when the program's relocations ` +
          `are applied (emu/ifunc.ts whenIfuncResolved; a probe definition waits for it)`,
      );
    if (!s || s.kind !== 'func') throw new ProbeError('ENOENT', `no function named '${point.symbol}'`);
    const n = syms.ambiguity(point.symbol);
    if (n !== undefined)
      throw new ProbeError(
        'EADDRNOTAVAIL',
        `'${point.symbol}' is not unique (${n} functions have that name): probe one by its address`,
      );
    const off = point.offset ?? 0;
    if (!Number.isSafeInteger(off) || off < 0)
      throw new ProbeError('EINVAL', `offset ${off} from ${point.symbol} is not a non-negative integer`);
    if (s.size > 0 && off >= s.size)
      throw new ProbeError(
        'EINVAL',
        `offset 0x${off.toString(16)} is beyond the end of ${point.symbol} (size 0x${s.size.toString(16)})`,
      );
    return { addr: s.addr + off, symOffset: `${point.symbol}+0x${off.toString(16)}` };
  }

  /** register_kprobe: validate, copy the instruction to a slot, arm the breakpoint. */
  registerKprobe(point: ProbePoint, handlers: KprobeHandlers = {}, how: { internal?: boolean } = {}): Kprobe {
    const { addr, symOffset } = this.resolve(point);
    if (!how.internal) this.checkBlacklist(addr);
    const old = this.getKprobe(addr);
    // The kernel's re-registration check (it answers EINVAL): the same handlers at the same
    // address twice would run twice a hit.
    if (old?.probes.some((q) => q.handlers === handlers))
      throw new ProbeError(
        'EEXIST',
        `a probe with these handlers is already registered at ${symOffset}: unregister it before registering it again`,
      );
    if (!how.internal && this.nlive >= this.maxProbes)
      throw new ProbeError(
        'ENOSPC',
        `the limit of ${this.maxProbes} registered probes is reached (maxProbes, --max-probes)`,
      );
    const p = new Kprobe(addr, handlers, symOffset);
    p.internal = how.internal === true;
    if (old) {
      // A new list: a hit whose pre_handler registers here walks on through the one it began with.
      old.probes = [p, ...old.probes];
      this.registered(p);
      return p;
    }
    const ainsn = this.arch.prepare(this.prepareContext(), addr);
    const insnSlot = this.getInsnSlot(addr);
    let bytes: Uint8Array;
    try {
      bytes = this.arch.insnSlotBytes(ainsn, addr, insnSlot);
    } catch (e) {
      this.freeInsnSlots.push(insnSlot);
      throw e;
    }
    this.machine.mem.patchCode(insnSlot, bytes);
    this.machine.guardUnsafe(insnSlot, bytes);
    const opcode = this.armKprobe(addr);
    const site: Site<A> = { addr, probes: [p], ainsn, insnSlot, opcode, boostReady: false };
    this.sites.set(addr, site);
    const i = this.removed.findIndex((r) => r.addr === addr);
    if (i >= 0) this.removed.splice(i, 1);
    this.registered(p);
    return p;
  }

  /**
   * register_kprobes: all or nothing, as kernel/kprobes.c has it. The probes are registered
   * in order; when one is refused, the ones before it are unregistered and its error is
   * thrown, so nothing of the batch stays. An empty batch is EINVAL.
   */
  registerKprobes(batch: readonly { point: ProbePoint; handlers?: KprobeHandlers }[]): Kprobe[] {
    return allOrNothing(
      batch,
      (b) => this.registerKprobe(b.point, b.handlers ?? {}),
      (p) => this.unregisterKprobe(p),
    );
  }

  /** register_kretprobes: all or nothing, like registerKprobes. */
  registerKretprobes(batch: readonly { point: ProbePoint; options?: KretprobeOptions }[]): Kretprobe[] {
    return allOrNothing(
      batch,
      (b) => this.registerKretprobe(b.point, b.options ?? {}),
      (rp) => this.unregisterKretprobe(rp),
    );
  }

  /** unregister_kprobes. */
  unregisterKprobes(ps: readonly Kprobe[]): void {
    for (const p of ps) this.unregisterKprobe(p);
  }

  /** unregister_kretprobes. */
  unregisterKretprobes(rps: readonly Kretprobe[]): void {
    for (const rp of rps) this.unregisterKretprobe(rp);
  }

  private registered(p: Kprobe): void {
    this.all.push(p);
    if (!p.internal) this.nlive++;
  }

  /** The blacklist: user-named functions and the engine's own trampoline. */
  private checkBlacklist(addr: GuestAddr): void {
    const hit = this.machine.symbols.resolve(addr);
    if (!hit || hit.symbol.kind !== 'func') return;
    const name = hit.symbol.name;
    if (this.blacklist.has(name))
      throw new ProbeError('EINVAL', `${name} is on the blacklist: no probe may be put on it`);
    if (
      this.kret &&
      addr >= this.kret.trampoline &&
      addr < this.kret.trampoline + this.arch.trampolineInsn.length
    )
      throw new ProbeError(
        'EINVAL',
        `kretprobe_trampoline belongs to the return probes: no probe may be put on it`,
      );
  }

  /** The return-probe side, set up (arch_init) on first use. */
  kretprobes(): Kretprobes<A> {
    this.kret ??= new Kretprobes(this, this.kretprobeKeying);
    return this.kret;
  }

  /** Return probes made so far, if any. */
  existingKretprobes(): Kretprobes<A> | undefined {
    return this.kret;
  }

  /** register_kretprobe: a kprobe at the function entry that hijacks its return address. */
  registerKretprobe(point: ProbePoint, options: KretprobeOptions = {}): Kretprobe {
    return this.kretprobes().register(point, options);
  }

  unregisterKretprobe(rp: Kretprobe): void {
    this.kret?.unregister(rp);
  }

  /**
   * The current task's stack as return addresses, innermost first: where it is, then the
   * caller chain by the arch's unwinder (each frame's .eh_frame CFI where it has some),
   * trampoline addresses mapped back to real ones as the walk meets them.
   */
  stackTrace(max = 64): GuestAddr[] {
    const m = this.machine;
    const tid = m.sched.current.tid;
    const k = this.kcbs.get(tid);
    const kret = this.kret?.returnMapper(tid);
    let pc = m.cpu.regReadAddr(m.isa.pcReg);
    // A pre-handler runs with PC past the breakpoint (x86): the probed instruction is where
    // the task is, and has not run. A post-handler runs before the step's fix-up: a PC in
    // the slot stands for the same place in the original.
    if (k?.status === 'HIT_ACTIVE' && pc === k.site.addr + this.arch.breakpoint.length) pc = k.site.addr;
    else if (k && pc >= k.site.insnSlot && pc < k.site.insnSlot + this.arch.insnSlotSize)
      pc = this.arch.originalPc(k.site.ainsn, k.site.addr, k.site.insnSlot, pc);
    return [
      kret ? kret(pc) : pc,
      ...this.arch.unwind(m.cpu, (a) => m.mem.readAddr(a), max - 1, {
        pc,
        frameInfo: (a) => findFrameInfo(m, a),
        readWord: (a) => m.mem.readWord(a),
        mapReturn: kret,
        code: this.prepareContext(),
      }),
    ];
  }

  /** unregister_kprobe: drop the probe; the last one at an address restores the original bytes. */
  unregisterKprobe(p: Kprobe): void {
    if (!p.registered) return;
    p.registered = false;
    if (!p.internal) this.nlive--;
    const site = this.getKprobe(p.addr);
    if (!site) return;
    site.probes = site.probes.filter((q) => q !== p);
    if (site.probes.length > 0) return;
    this.sites.delete(p.addr);
    this.disarmKprobe(site);
    this.removed.push({ addr: site.addr, opcode: site.opcode });
    this.freeInsnSlot(site);
  }

  /** get_kprobe: the site (the aggregate of probes) armed at `addr`. */
  private getKprobe(addr: GuestAddr): Site<A> | undefined {
    return this.sites.get(addr);
  }

  /** arch_arm_kprobe: the breakpoint over the probed instruction; returns the bytes it replaced. */
  private armKprobe(addr: GuestAddr): Uint8Array {
    const patch = this.arch.patch;
    if (patch) {
      // The span unprobed (other probes in it seen through), and as it runs now.
      const at = patch.spanOf(addr);
      const original = this.readOriginal(at, patch.size);
      const now = this.machine.mem.readExecuted(at, patch.size);
      patch.arm(now, addr);
      this.machine.mem.patchCode(at, now, { hidden: true });
      return original;
    }
    const bp = this.arch.breakpoint;
    const opcode = this.machine.mem.read(addr, bp.length);
    // The guest's own loads of its code still see the instruction (a ppc64 unwinder reads
    // the word after a call to find a TOC restore).
    this.machine.mem.patchCode(addr, bp, { hidden: true });
    return opcode;
  }

  /** arch_disarm_kprobe: the probed instruction's own bytes back. */
  private disarmKprobe(site: Site<A>): void {
    const patch = this.arch.patch;
    if (!patch) {
      this.machine.mem.patchCode(site.addr, site.opcode);
      return;
    }
    // Only this probe's instruction: probes on the span's others stay armed (Linux 2.6.13
    // copied the whole bundle back, disarming them too; later kernels patch the slot alone).
    const at = patch.spanOf(site.addr);
    const now = this.machine.mem.readExecuted(at, patch.size);
    patch.disarm(now, site.opcode, site.addr);
    const whole = now.every((b, i) => b === site.opcode[i]);
    // Hidden while another probe's breakpoint is in the span: the guest's loads see none.
    this.machine.mem.patchCode(at, now, { hidden: !whole });
  }

  /** Whether the probe at `addr` reads back the breakpoint now. */
  private armedNow(addr: GuestAddr): boolean {
    const patch = this.arch.patch;
    if (patch) return patch.armed(this.machine.mem.readExecuted(patch.spanOf(addr), patch.size), addr);
    const bp = this.arch.breakpoint;
    return this.machine.mem.readExecuted(addr, bp.length).every((b, i) => b === bp[i]);
  }

  /** Whether the instruction at `addr` reads back as `original` has it (a removed probe). */
  private restoredNow(addr: GuestAddr, original: Uint8Array): boolean {
    const patch = this.arch.patch;
    if (!patch)
      return this.machine.mem.readExecuted(addr, original.length).every((b, i) => b === original[i]);
    const now = this.machine.mem.readExecuted(patch.spanOf(addr), patch.size);
    const fixed = now.slice();
    patch.disarm(fixed, original, addr);
    return fixed.every((b, i) => b === now[i]);
  }

  /**
   * free_insn_slot: a removed site's slot goes back to the free list, but only once no task
   * is still stepping through it (the kernel's dirty slots, collected later).
   */
  private freeInsnSlot(site: Site<A>): void {
    if (this.getKprobe(site.addr) === site) return;
    if (![...this.kcbs.values()].some((k) => k.site === site || k.prev?.site === site))
      this.freeInsnSlots.push(site.insnSlot);
  }

  /** Unregister every probe (end of run, fatal handler error). */
  unregisterAll(): void {
    if (this.kret) for (const rp of this.kret.all) this.kret.unregister(rp);
    for (const p of this.all) this.unregisterKprobe(p);
  }

  /** The instruction slot of an armed probe address (for tests and tools). */
  insnSlotOf(addr: GuestAddr): GuestAddr | undefined {
    return this.getKprobe(addr)?.insnSlot;
  }

  /** Status of a task's control block, or undefined when no probe is running for it. */
  status(tid: number): KprobeStatus | undefined {
    return this.kcbs.get(tid)?.status;
  }

  /**
   * Invariants: armed probes read back the breakpoint, removed ones their original bytes,
   * and no task is left in the middle of a step. Returns the violations found.
   */
  checkInvariants(): string[] {
    const out: string[] = [];
    const patch = this.arch.patch;
    const at = (addr: GuestAddr) => (patch ? patch.spanOf(addr) : addr);
    const size = patch ? patch.size : this.arch.breakpoint.length;
    if (!this.machine.engine.closed) {
      for (const s of this.sites.values()) {
        if (!this.armedNow(s.addr))
          out.push(
            `armed probe at ${this.machine.symbols.format(s.addr)} reads ` +
              `${hexBytes(this.machine.mem.readExecuted(at(s.addr), size))}, not the breakpoint`,
          );
      }
      for (const r of this.removed) {
        if (!this.restoredNow(r.addr, r.opcode))
          out.push(
            `removed probe at ${hex(r.addr)} reads ` +
              `${hexBytes(this.machine.mem.readExecuted(at(r.addr), r.opcode.length))}, not the original ${hexBytes(r.opcode)}`,
          );
      }
    }
    for (const [tid, k] of this.kcbs)
      if (k.status === 'HIT_SS' || k.status === 'REENTER')
        out.push(`task ${tid} is left in the middle of a step (${k.status})`);
    if (this.kret) out.push(...this.kret.checkInvariants());
    // Miss counts only grow.
    const counters: [object, string, number][] = this.all.map((p) => [p, p.symOffset, p.nmissed]);
    if (this.kret)
      for (const rp of this.kret.all) counters.push([rp, `return probe on ${rp.func}`, rp.nmissed]);
    for (const [o, symOffset, n] of counters) {
      const before = this.missedSeen.get(o) ?? 0;
      if (n < before) out.push(`${symOffset}: nmissed went down from ${before} to ${n}`);
      this.missedSeen.set(o, n);
    }
    return out;
  }

  /** What the arch decodes with: original code bytes, symbols, function extents. */
  prepareContext(): PrepareContext {
    return {
      read: (a, n) => this.readOriginal(a, n),
      symbols: this.machine.symbols,
      functionAt: (a) => functionAt(this.machine, a),
    };
  }

  /** Original bytes of guest code, seeing through armed breakpoints. */
  readOriginal(addr: GuestAddr, size: number): Uint8Array {
    let bytes: Uint8Array;
    try {
      bytes = this.machine.mem.read(addr, size);
    } catch {
      // Near the end of a mapping: read what is there.
      bytes = new Uint8Array(size);
      for (let i = 0; i < size; i++) {
        try {
          bytes[i] = this.machine.mem.readU8(addr + i);
        } catch {
          return bytes.subarray(0, i);
        }
      }
    }
    // Sites whose breakpoint overlaps [addr, addr + size): look them up by address, so a read
    // costs O(size), not O(probes).
    // A site's patch starts at most this far before its address.
    const patch = this.arch.patch;
    const back = patch ? patch.size - 1 : this.arch.breakpoint.length - 1;
    for (let a = addr - back; a < addr + bytes.length; a++) {
      const s = this.getKprobe(a);
      if (!s) continue;
      const base = patch ? patch.spanOf(s.addr) : s.addr;
      for (const [i, b] of s.opcode.entries()) {
        const at = base + i - addr;
        if (at >= 0 && at < bytes.length) bytes[at] = b;
      }
    }
    return bytes;
  }

  /** A handler's write to [addr, addr + size) must miss every armed probe's instruction. */
  private checkHandlerWrite(addr: GuestAddr, size: number): void {
    // Sites by address, as in readOriginal: an instruction is no longer than its slot.
    const patch = this.arch.patch;
    for (let a = addr - (this.arch.insnSlotSize - 1); a < addr + size; a++) {
      const s = this.getKprobe(a);
      if (!s) continue;
      // The copy ends where the step-end breakpoint sits: the copy is as long as the
      // instruction. A patched span is the whole span.
      const from = patch ? patch.spanOf(s.addr) : a;
      const len = patch ? patch.size : this.arch.stepEndAddr(s.ainsn, s.insnSlot) - s.insnSlot;
      if (from + len > addr && from < addr + size)
        throw new ProbeError(
          'EINVAL',
          `a handler may not write [${hex(addr)}, ${hex(addr + size)}): ` +
            `it overlaps the probed instruction at ${this.machine.symbols.format(s.addr)} ` +
            `(unregister its probes first)`,
        );
    }
  }

  /** get_insn_slot: an instruction slot within the arch's reach of `addr` (engine-owned, read+exec). */
  private getInsnSlot(addr: GuestAddr): GuestAddr {
    const reach = this.arch.insnSlotReach;
    const near = (a: GuestAddr) => Math.abs(a - addr) < reach;
    const i = this.freeInsnSlots.findIndex(near);
    const free = i >= 0 ? this.freeInsnSlots.splice(i, 1)[0] : undefined;
    if (free !== undefined) return free;
    const size = this.arch.insnSlotSize;
    // Slots come in 64 KB areas: every mapping is a region Unicorn walks on each protect.
    const AREA = 0x10000;
    const align = this.arch.insnSlotAlign ?? 1;
    let page = this.insnSlotPages.find((p) => near(p.base) && (p.used + 1) * size <= AREA - (align - 1));
    if (!page) {
      // Where the guest maps nothing by itself (so its mmaps land as unprobed), else anywhere near.
      let base = this.machine.mapEngineMemoryNear(AREA, PROT_READ | PROT_EXEC, addr, reach, 'kprobe-slots');
      if (base === undefined) {
        const mem = this.machine.mem;
        const bottom = addr > reach ? addr - reach : 0x10000;
        base = mem.findFree(AREA, bottom, addr) ?? mem.findFree(AREA, addr, addr + reach);
        if (base === undefined)
          throw new ProbeError('EINVAL', `no room for an instruction slot near ${hex(addr)}`);
        mem.map(base, AREA, PROT_READ | PROT_EXEC, 'kprobe-slots');
      }
      // What runs in slots is the engine's: it does not count as guest instructions.
      this.machine.traceEngineCode(base, base + AREA, true);
      // Slots aligned as the arch needs (an IA-64 bundle to 16), within the area.
      page = { base: Math.ceil(base / align) * align, used: 0 };
      this.insnSlotPages.push(page);
    }
    return page.base + page.used++ * size;
  }

  private kcbFor(task: Task): Kcb<A> | undefined {
    return this.kcbs.get(task.tid);
  }

  /** A JS exception in a handler is a fault of that probe: its fault_handler may take it. */
  runHandler(p: Kprobe, fn: () => void, what: string): void {
    try {
      fn();
    } catch (e) {
      this.handlerThrew(p, e, what);
    }
  }

  /** A handler of `p` threw `e`: its fault_handler may take it, else the run ends. */
  handlerThrew(p: Kprobe, e: unknown, what: string): void {
    if (e instanceof RunEndedError) throw e;
    const msg = e instanceof Error ? e.message : String(e);
    const fh = p.handlers.faultHandler;
    let handled = false;
    if (fh) {
      try {
        handled = truthy(fh(p, this.regs, this.arch.trapNumber(SIGSEGV)));
      } catch (e2) {
        throw this.fatalError(
          `the fault handler of the probe at ${p.symOffset} threw: ${e2 instanceof Error ? e2.message : String(e2)}`,
        );
      }
    }
    if (!handled) throw this.fatalError(`the ${what} of the probe at ${p.symOffset} threw: ${msg}`);
  }

  /** End the run: every probe removed and guest code unpatched, per-task state dropped. */
  fatalError(message: string): HostError {
    this.kcbs.clear();
    this.unregisterAll();
    return new RunEndedError(message);
  }

  /** kprobe_handler: a breakpoint at `at` (a number below 2^53). */
  private kprobeHandler(at: GuestAddr, task: Task): boolean {
    const k = this.kcbFor(task);
    // The copy fell through to the breakpoint after it (int 0x80 leaves no TF trap).
    if (
      k &&
      (k.status === 'HIT_SS' || k.status === 'REENTER') &&
      at === this.arch.stepEndAddr(k.site.ainsn, k.site.insnSlot)
    ) {
      // The trap left PC after the breakpoint: the copy itself ended at the breakpoint.
      this.machine.cpu.regWrite(this.machine.isa.pcReg, at);
      return this.postKprobeHandler(task);
    }
    const site = this.getKprobe(at);
    if (!site) {
      const addr = at;
      // A probe removed since the trap was raised: its original bytes are back; resume there.
      if (this.removed.some((r) => r.addr === addr)) {
        if (!this.armedNow(addr)) {
          this.machine.cpu.regWrite(this.machine.isa.pcReg, addr);
          return true;
        }
      }
      return false; // the guest's own breakpoint
    }
    if (k) {
      // A probe hit while this task is inside a handler or a step: no handlers, just step
      // it and count it missed (2.6.13 status REENTER, one level of saved state).
      if (k.status === 'REENTER')
        throw this.fatalError(
          `probe at ${site.probes[0]?.symOffset ?? this.machine.symbols.format(site.addr)} ` +
            `hit while re-entering another probe: only one level of reentry is kept`,
        );
      k.prev = { site: k.site, status: k.status, step: k.step, running: k.running, held: k.held };
      k.held = false;
      k.site = site;
      k.status = 'REENTER';
      k.running = undefined;
      k.step = { savedFlags: 0n };
      for (const p of site.probes) p.nmissed++;
      return this.setupSinglestep(k, task);
    }
    let kcb = this.spareKcb;
    if (kcb) {
      this.spareKcb = undefined;
      kcb.site = site;
      kcb.running = undefined;
      kcb.status = 'HIT_ACTIVE';
      kcb.step.savedFlags = 0n;
      kcb.prev = undefined;
      kcb.held = false;
    } else
      kcb = {
        site,
        running: undefined,
        status: 'HIT_ACTIVE',
        step: { savedFlags: 0n },
        held: false,
        prev: undefined,
      };
    this.kcbs.set(task.tid, kcb);
    // aggr_pre_handler: in list order, stop at the first that says it set PC.
    const probes = site.probes.length === 1 ? site.probes : [...site.probes];
    for (const p of probes) {
      // An earlier handler of this hit may have unregistered it.
      if (!p.registered) continue;
      p.nhit++;
      const pre = p.handlers.preHandler;
      if (!pre) continue;
      kcb.running = p;
      let r: number | boolean | void = 0;
      try {
        r = pre(p, this.regs);
      } catch (e) {
        this.handlerThrew(p, e, 'pre_handler');
      }
      if (truthy(r)) {
        this.endHit(task, kcb);
        return true;
      }
    }
    kcb.running = undefined;
    // The booster: no post handler wants the step's end, so the copy jumps back by itself.
    // Not with preemption (--quantum): a tick could park the task inside the slot, which an
    // unregister could then free under it (the kernel boosts only when not preemptible).
    if (this.booster && site.boostReady && !this.machine.preemptive && !hasPostHandler(site)) {
      this.endHit(task, kcb);
      this.nboosted++;
      this.arch.setupBoost(this.machine.cpu, site.ainsn, site.insnSlot);
      return true;
    }
    return this.setupSinglestep(kcb, task);
  }

  /** A hit over with no step: the task's control block goes, kept for the next hit. */
  private endHit(task: Task, kcb: Kcb<A>): void {
    // A handler may have ended the run (fatalError) or hit again: only a block still the
    // task's is reused.
    if (this.kcbs.get(task.tid) !== kcb) return;
    this.kcbs.delete(task.tid);
    this.spareKcb = kcb;
  }

  private setupSinglestep(k: Kcb<A>, task: Task): boolean {
    const plan = this.arch.setupSinglestep(
      this.machine.cpu,
      k.site.ainsn,
      k.site.addr,
      k.site.insnSlot,
      k.step,
    );
    if (plan === 'step') {
      if (k.status !== 'REENTER') k.status = 'HIT_SS';
      // A tick may switch tasks inside a REP string copy, as it does between its iterations
      // unprobed: each task's step is its own (its control block, its slot position).
      k.held = !(this.arch.preemptibleStep?.(k.site.ainsn) ?? false);
      if (k.held) this.machine.holdSwitch();
      return true;
    }
    if (plan === 'emulated') return this.finishStep(k, task, false);
    // The probed instruction is the guest's own breakpoint: stepped in place it traps again,
    // which ends the program as the unprobed run does.
    this.endStep(k, task, false);
    this.machine.fatalSignal(SIGTRAP, k.site.addr, 'breakpoint instruction in the program');
    return true;
  }

  /** post_kprobe_handler: the step is over (TF trap or the breakpoint after the copy). */
  private postKprobeHandler(task: Task): boolean {
    const k = this.kcbFor(task);
    if (!k || (k.status !== 'HIT_SS' && k.status !== 'REENTER')) return false;
    return this.finishStep(k, task, true);
  }

  private finishStep(k: Kcb<A>, task: Task, held: boolean): boolean {
    if (k.status !== 'REENTER') {
      k.status = 'HIT_SSDONE';
      for (const p of [...k.site.probes]) {
        const post = p.handlers.postHandler;
        if (!post || !p.registered) continue;
        k.running = p;
        this.runHandler(p, () => post(p, this.regs, 0), 'post_handler');
      }
      k.running = undefined;
    }
    this.arch.resumeExecution(this.machine.cpu, k.site.ainsn, k.site.addr, k.site.insnSlot, k.step, true);
    if (held && k.status !== 'REENTER' && this.arch.boostable(k.site.ainsn)) k.site.boostReady = true;
    this.endStep(k, task, held);
    return true;
  }

  /** Restore the previous level after a reentered step, or drop the control block. */
  private endStep(k: Kcb<A>, task: Task, held: boolean): void {
    const site = k.site;
    const release = held && k.held;
    if (k.status === 'REENTER' && k.prev) {
      k.site = k.prev.site;
      k.status = k.prev.status;
      k.step = k.prev.step;
      k.running = k.prev.running;
      k.held = k.prev.held;
      k.prev = undefined;
    } else this.kcbs.delete(task.tid);
    this.freeInsnSlot(site);
    if (release) this.machine.releaseSwitch();
  }

  /** kprobe_fault_handler: a fault while a handler or a step of this task runs. */
  private kprobeFaultHandler(signal: number, pc: GuestAddr, task: Task): 'handled' | { pc: GuestAddr } {
    const k = this.kcbFor(task);
    // A fault in a boosted copy (no control block is kept for it) is reported at the
    // probed instruction, as unprobed.
    if (!k) return { pc: this.originalPc(pc) };
    const inSlot = pc >= k.site.insnSlot && pc < k.site.insnSlot + this.arch.insnSlotSize;
    if (k.status === 'HIT_SS' || k.status === 'REENTER') {
      const p = k.site.probes[0];
      const fh = p?.handlers.faultHandler;
      if (p && fh && k.status === 'HIT_SS') {
        let handled = false;
        try {
          handled = truthy(fh(p, this.regs, this.arch.trapNumber(signal)));
        } catch (e) {
          // No handler is left to take it, and no error may leave this hook: the machine asks
          // it about a fault uc_emu_start returned, outside any hook. So the run ends as for
          // any handler failure (every probe removed), but with the guest's own fault.
          const ended = this.fatalError(
            `the fault handler of the probe at ${p.symOffset} threw: ${e instanceof Error ? e.message : String(e)}`,
          );
          this.machine.options.warn(`kprobe-emu: ${ended.message}; the fault it was given ends the program`);
        }
        if (handled) return 'handled';
      }
      // Not handled: the fault ends the program, reported at the probed instruction as it
      // would be unprobed.
      const addr = k.site.addr;
      this.kcbs.delete(task.tid);
      if (k.held) this.machine.releaseSwitch();
      return { pc: inSlot ? addr : pc };
    }
    return { pc: this.originalPc(pc) };
  }

  /**
   * A PC inside a slot stands for the same offset of its probed instruction; at the
   * trampoline, for the real return address of the current task's returning call.
   */
  private originalPc(pc: GuestAddr): GuestAddr {
    for (const s of this.sites.values())
      if (pc >= s.insnSlot && pc < s.insnSlot + this.arch.insnSlotSize)
        return this.arch.originalPc(s.ainsn, s.addr, s.insnSlot, pc);
    if (this.kret && pc === this.kret.trampoline) {
      const [real] = this.kret.mapTrace(this.machine.sched.current.tid, [pc]);
      return real ?? pc;
    }
    return pc;
  }

  /** A task died: its control block goes (a step it began can never finish). */
  private kprobeFlushTask(t: Task): void {
    const k = this.kcbs.get(t.tid);
    if (!k) return;
    // A thread that exits from a system call stepped in a slot still gets its step-end trap
    // (the CPU runs on until then); keep the block so that trap ends the step cleanly.
    if ((k.status === 'HIT_SS' || k.status === 'REENTER') && !this.machine.stopReason) return;
    this.kcbs.delete(t.tid);
  }

  /**
   * clone stepped out of line: the child starts with the parent's CPU, PC in the slot and
   * the step's flags set. It must not inherit a half-done step: put it where the original
   * instruction leaves it.
   */
  private copyProcess(child: Task): void {
    const k = this.kcbFor(this.machine.sched.current);
    if (!k || (k.status !== 'HIT_SS' && k.status !== 'REENTER')) return;
    const site = k.site;
    const step = { ...k.step };
    const inner = child.resume;
    child.resume = (cpu) => {
      inner?.(cpu);
      this.arch.resumeExecution(cpu, site.ainsn, site.addr, site.insnSlot, step, false);
    };
  }
}

function hexBytes(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(' ');
}

const engines = new WeakMap<Machine, KprobeEngine<unknown>>();

/** Register each of `batch` in order; on a refusal, unregister those done and rethrow. */
function allOrNothing<B, P>(batch: readonly B[], register: (b: B) => P, unregister: (p: P) => void): P[] {
  if (batch.length === 0) throw new ProbeError('EINVAL', 'an empty batch: there is nothing to register');
  const done: P[] = [];
  try {
    for (const b of batch) done.push(register(b));
  } catch (e) {
    for (const p of done.reverse()) unregister(p);
    throw e;
  }
  return done;
}

/** The machine's kprobe engine if one was made. */
export function existingKprobes(m: Machine): KprobeEngine<unknown> | undefined {
  return engines.get(m);
}

/** The kprobe engine of a machine, made on first use; ProbeError ENOSYS where the ISA has none. */
export function kprobes(m: Machine): KprobeEngine<unknown> {
  let e = engines.get(m);
  if (!e) {
    const arch = kprobeArchFor(m.isa);
    if (!arch) throw new ProbeError('ENOSYS', `kprobes are not available on ${m.isa.name} in this version`);
    e = new KprobeEngine(m, arch);
    engines.set(m, e);
  }
  return e;
}
