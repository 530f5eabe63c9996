// Counterpart: a user-mode emulator's process (qemu-user's cpu_loop, Qiling's os layer):
// one Unicorn engine, the loaded image, tasks, and the run loop that turns traps into
// system calls, breakpoints and signals. Knows nothing of probes: a breakpoint goes to the
// trap listener if one is attached (attachTrapListener), else ends the program with SIGTRAP.
import type { ElfImage } from './elf.js';
import type { Cpu, IsaSpec } from './isa.js';
import { doSyscall } from './linux.js';
import { ETIMEDOUT } from './errno.js';
import { RootFs } from './rootfs.js';
import { Modules } from './modules.js';
import { LinuxProcess, type ProcessControl } from './process.js';
import { mapImage, buildStack, loadInterpreter } from './loader.js';
import { Memory, OutOfMemory, PROT_EXEC, PROT_READ, PROT_WRITE } from './memory.js';
import { SymbolTable } from './symbols.js';
import { Scheduler, type Task } from './tasks.js';
import type { AccessKind, CpuEngine, RunEnd } from './engine.js';
import { openEngine } from './engines.js';
import { GuestCpu } from './guest-cpu.js';
import { addrOf, hex, pageDown, pageUp, type GuestAddr } from './addr.js';
import type { HostStdio } from './files.js';
import type { ClockMode } from './clock.js';

export const SIGNAL_NAMES: Record<number, string> = {
  1: 'SIGHUP',
  2: 'SIGINT',
  3: 'SIGQUIT',
  4: 'SIGILL',
  5: 'SIGTRAP',
  6: 'SIGABRT',
  7: 'SIGBUS',
  8: 'SIGFPE',
  9: 'SIGKILL',
  10: 'SIGUSR1',
  11: 'SIGSEGV',
  12: 'SIGUSR2',
  13: 'SIGPIPE',
  14: 'SIGALRM',
  15: 'SIGTERM',
};
export const SIGILL = 4;
export const SIGTRAP = 5;
export const SIGBUS = 7;
export const SIGSEGV = 11;
export const SIGPIPE = 13;

/** The system call helpers of i386 C libraries, whose callers a report names instead. */
const SYSCALL_HELPERS = new Set(['_dl_sysinfo_int80', '__kernel_vsyscall']);
/** Linux's stack_guard_gap (256 pages): nothing is mapped that close below the stack. */
const STACK_GUARD_GAP = 0x100000;
/** The lowest address the engine maps its own pages at: Linux's default mmap_min_addr. */
const ENGINE_BOTTOM = 0x10000;

/** Process id of every guest: fixed so runs and traces are reproducible. */
export const GUEST_PID = 1000;

export interface MachineOptions {
  /** argv[0] is the program name as the guest sees it. */
  argv: readonly string[];
  envp?: readonly string[];
  stdout: (bytes: Uint8Array) => void;
  stderr: (bytes: Uint8Array) => void;
  /** Emulator notes (unsupported system calls...), one line each. */
  warn: (line: string) => void;
  /** Standard input and what fds 0-2 are (default: pipes, with an empty stdin). */
  stdio?: HostStdio;
  /** Guest clocks: 'guest' (default) deterministic, advancing with guest work; 'host' the host's. */
  clock?: ClockMode;
  /** Stop with reason 'budget' after this many guest instructions (0 = no limit). */
  maxInsns?: number;
  /** Preempt the running task every N instructions (0 = only at yield, block, exit). */
  quantum?: number;
  /**
   * Count guest instructions without a budget or quantum (guestInsnsNow: the trace's guest
   * clock), at the cost of Unicorn's per-instruction count hook.
   */
  countInsns?: boolean;
  /** Upper bound on mapped guest memory in bytes. */
  maxMemory?: number;
  /** Upper bound on live tasks; clone fails with EAGAIN beyond it. */
  maxTasks?: number;
  /** Report the exact faulting instruction of a bad load/store (costs ~35-60 ns per access). */
  preciseFaults?: boolean;
  /**
   * Resolve guest pages through the engine's TLB (Unicorn 2.1's virtual TLB, the default
   * where the library has one); false runs on the flat MMU, as Unicorn 2.0.1 does.
   */
  virtualTlb?: boolean;
  /**
   * A host directory the guest sees as its "/", read-only (--root): its files can be opened,
   * read, mapped, listed and stat'ed; nothing is written. Without it the guest has no files.
   */
  root?: string;
}

export type StopReason =
  | { kind: 'exit'; status: number }
  | { kind: 'signal'; signal: number; name: string; pc: GuestAddr; tid: number; detail: string }
  | { kind: 'budget'; insns: number; pc: GuestAddr; tid: number }
  | { kind: 'deadlock'; tids: number[] }
  /** A host-side failure during the run (a throwing probe handler no fault handler took). */
  | { kind: 'error'; message: string; pc: GuestAddr; tid: number };

/** Exit status a shell shows for a stop: the guest's, or 128 + signal. */
export function shellStatus(r: StopReason): number {
  if (r.kind === 'exit') return r.status;
  if (r.kind === 'signal') return 128 + r.signal;
  return 125;
}

type Action = 'none' | 'yield' | 'switch';

/**
 * A breakpoint handler returns true when it consumed the trap (and set PC itself). The
 * address is that of the breakpoint instruction.
 */
export type BreakpointHandler = (addr: GuestAddr, task: Task) => boolean;

/** Thrown out of a hook to end the run with a 'error' stop (exit 125) and this message. */
export class HostError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HostError';
  }
}

/**
 * Sees a fault before it ends the program: 'handled' resumes at the PC now in the CPU;
 * otherwise the fault is reported at the returned `pc` (e.g. mapped back from a slot).
 */
export type FaultHandler = (signal: number, pc: GuestAddr, task: Task) => 'handled' | { pc: GuestAddr };

/**
 * What sees the machine's traps before they end the program: a probe engine (the kprobes
 * of src/), at most one per machine.
 */
export interface TrapListener {
  /** A breakpoint instruction trapped; true when it was the listener's (PC set). */
  breakpoint: BreakpointHandler;
  /** A single-step trap (x86 TF); unhandled ones end the program with SIGTRAP. */
  singleStep: (task: Task) => boolean;
  /** A fault, before it ends the program. */
  fault: FaultHandler;
  /** Maps an engine-owned PC (an out-of-line slot) to the guest address it stands for. */
  originalPc: (pc: GuestAddr) => GuestAddr;
}

export class Machine implements ProcessControl {
  readonly engine: CpuEngine;
  readonly cpu: Cpu;
  readonly mem: Memory;
  readonly sched: Scheduler;
  readonly symbols: SymbolTable;
  readonly options: Required<Omit<MachineOptions, 'envp' | 'stdio' | 'clock' | 'root'>> &
    Pick<MachineOptions, 'stdio' | 'clock' | 'root'> & { envp: readonly string[] };
  /** The shared objects the guest's dynamic loader mapped, with their symbols (MOD:SYM). */
  readonly modules: Modules;
  /** The Linux process the guest is: what its system calls work on. */
  readonly process: LinuxProcess;
  /** The one listener of this machine's traps (attachTrapListener). */
  private listener: TrapListener | undefined;
  private readonly breakpointBytes: number;
  /** Registers read with PC in one call at each breakpoint trap (readAheadAtTraps); undefined: PC alone. */
  private trapRegs: Int32Array | undefined;
  /** While set, task switches a system call asks for wait (a step is in progress). */
  private switchHold = 0;
  /** A timer tick fell inside a step: preempt as soon as the step is over. */
  private preemptPending = false;
  private callStop: GuestAddr | undefined;

  /**
   * Guest instructions executed in completed slices, counted only when a budget or
   * quantum asks for it (exact when a budget stops the run).
   */
  insns = 0;
  private readonly counting: boolean;
  private action: Action = 'none';
  private final: StopReason | undefined;
  private lastFault: { access: AccessKind; address: bigint } | undefined;
  /** Addresses with an unsafe-instruction code hook. */
  private readonly unsafeHooked = new Set<GuestAddr>();
  private readonly cloneListeners: ((t: Task) => void)[] = [];
  /** Engine-owned code ranges [begin, end) traced for counting (traceEngineCode). */
  private readonly engineCode: [GuestAddr, GuestAddr, boolean][] = [];
  /** Instructions the engine ran of its own code, where instructions are counted. */
  private engineInsns = 0;
  /** engineInsns when the slice running now began. */
  private sliceEngineInsns = 0;
  /** Work for between instructions (atNextBoundary), and how deep guest calls from handlers are. */
  private readonly deferred: (() => void)[] = [];
  private guestCalls = 0;
  /** The slot address where the copy of a probed instruction runs (it counts as the guest's). */
  private guestInsnAt: GuestAddr | undefined;
  /** `insns` as of the last completed tick: what the guest clock counts. */
  private clockInsns = 0;
  /**
   * Guest instructions left until the next timer tick: 0 or less when it is due (less when it
   * fell inside a probe's step: by how far the step went past it).
   */
  private tickLeft = 0;

  constructor(
    readonly isa: IsaSpec,
    readonly image: ElfImage,
    options: MachineOptions,
  ) {
    this.options = {
      envp: [],
      maxInsns: 0,
      quantum: 0,
      countInsns: false,
      maxMemory: 2 ** 30,
      maxTasks: 256,
      preciseFaults: true,
      virtualTlb: true,
      ...options,
    };
    if (image.machine !== isa.elfMachine)
      throw new Error(`ISA ${isa.name} cannot run ELF machine ${image.machine}`);
    this.breakpointBytes = isa.breakpointInsn.length;
    this.counting = this.options.maxInsns > 0 || this.options.quantum > 0 || this.options.countInsns;
    this.engine = openEngine(
      isa,
      {
        trap: (n) => this.onIntr(n),
        syscall: () => this.onSyscall(),
        fault: (access, address) => {
          this.lastFault = { access, address };
        },
        pagePerms: (page) => this.mem.pagePerms(page),
      },
      { virtualTlb: this.options.virtualTlb, preciseFaults: this.options.preciseFaults, warn: options.warn },
    );
    try {
      this.mem = new Memory(this.engine, isa.littleEndian, isa.wordSize, this.options.maxMemory);
      this.cpu = new GuestCpu(this.engine, this.mem);
      this.sched = new Scheduler(GUEST_PID);
      this.symbols = new SymbolTable(image.symbols);
      const rootFs = options.root !== undefined ? new RootFs(options.root) : undefined;
      this.process = new LinuxProcess(
        isa,
        this.cpu,
        this.mem,
        this.sched,
        { ...this.options, rootFs },
        this,
        image.end,
        (size, perms) => this.mapEngineMemory(size, perms),
      );
      this.modules = new Modules(this.symbols);
      this.process.fileMapped = (fm) => {
        // A library's code, as the program's: instructions the engine cannot run get their hooks.
        if ((fm.prot & PROT_EXEC) !== 0) this.guardUnsafe(fm.addr, this.mem.read(fm.addr, fm.len));
        this.modules.mapped(fm);
      };
      isa.initCpu(this.cpu, this.process.syscallContext);
      mapImage(this.mem, image);
      for (const seg of image.segments) if (seg.executable) this.guardUnsafe(seg.vaddr, seg.data);
      this.defuseUntranslatable(image);
      // A dynamically linked program starts in its interpreter, which loads the rest.
      const loaded =
        image.interp !== undefined ? loadInterpreter(this.mem, rootFs, image, isa.layout) : undefined;
      const interp = loaded?.image;
      if (loaded && interp) {
        // Its functions go by MOD:SYM as a library's (ld-linux-x86-64.so.2:_dl_map_object).
        this.modules.adopt(loaded.path, interp);
        for (const seg of interp.segments) if (seg.executable) this.guardUnsafe(seg.vaddr, seg.data);
        this.defuseUntranslatable(interp);
      }
      const { stackTop, stackSize } = isa.layout;
      this.mem.map(stackTop - stackSize, stackSize, PROT_READ | PROT_WRITE, 'stack');
      const sp = buildStack(this.mem, image, stackTop, {
        argv: this.options.argv,
        envp: this.options.envp,
        platform: isa.platform,
        hwcap: 0n,
        random: Uint8Array.from({ length: 16 }, (_, i) => (i * 37 + 11) & 0xff),
        interpBase: interp?.loadBias ?? 0,
      });
      const start = interp ?? image;
      isa.setEntryState(this.cpu, start.entry, sp, start.entryToc);
    } catch (e) {
      this.engine.close();
      if (e instanceof OutOfMemory)
        throw new Error(`the program does not fit in the guest memory limit: ${e.message}`);
      throw e;
    }
  }

  /**
   * Put a code hook on each instruction in `code` (placed at `vaddr`) that would crash the
   * engine (IsaSpec.findUnsafe); the hook emulates it if it is still there when reached.
   * Called for the image at load and for code the engine writes (kprobe slots).
   */
  guardUnsafe(vaddr: GuestAddr, code: Uint8Array): void {
    const find = this.isa.findUnsafe;
    if (!find) return;
    for (const addr of find(code, vaddr)) {
      if (this.unsafeHooked.has(addr)) continue;
      this.unsafeHooked.add(addr);
      this.engine.handlers.code ??= (at) => this.onTracedCode(at);
      // Engine code traced for counting (a slot) has a hook over it already, and Unicorn calls
      // every hook covering an address: a second one would count the instruction twice.
      if (!this.inEngineCode(addr)) this.engine.traceCode(addr, addr);
    }
  }

  /**
   * Write a faulting instruction over every encoding that would abort the engine when it is
   * translated (IsaSpec.untranslatable), in each function of the image. Executing the
   * result raises SIGILL, as the CPU's #UD does under Linux, instead of killing the host.
   */
  private defuseUntranslatable(image: ElfImage): void {
    const find = this.isa.untranslatable;
    if (!find || this.engine.translatesEveryEncoding) return;
    for (const seg of image.segments) {
      if (!seg.executable) continue;
      const segEnd = seg.vaddr + seg.data.length;
      for (const f of image.symbols) {
        if (f.kind !== 'func' || f.size === 0 || f.addr < seg.vaddr || f.addr >= segEnd) continue;
        const end = f.addr + f.size < segEnd ? f.addr + f.size : segEnd;
        for (const p of find(seg.data, seg.vaddr, f.addr, end)) {
          this.mem.patchCode(p.addr, p.bytes);
          this.options.warn(
            `kprobe-emu: ${this.symbols.format(p.addr)} holds an encoding Unicorn 2.0.1 cannot ` +
              `translate (it would abort the process); replaced by an invalid instruction (SIGILL if reached)`,
          );
        }
      }
    }
  }

  /** Addresses the machine has a code hook on (instructions it emulates), in ascending order. */
  codeHooks(): GuestAddr[] {
    return [...this.unsafeHooked].sort((a, b) => a - b);
  }

  /**
   * Code the engine runs of its own (a probe's out-of-line slots and the return-probe
   * trampoline), [begin, end): where instructions are counted, each one run there is the
   * engine's, not the guest's, and does not count (run() gives the slice that much more).
   * The breakpoint that sends a task to a slot (`slots`: code holding copies of guest
   * instructions) counts once, for the probed instruction it stands for; the copy in the
   * slot and the jump back are the engine's.
   */
  traceEngineCode(begin: GuestAddr, end: GuestAddr, slots: boolean): void {
    if (!this.counting || end <= begin) return;
    this.engineCode.push([begin, end, slots]);
    this.engine.handlers.code ??= (at) => this.onTracedCode(at);
    this.engine.traceCode(begin, end - 1);
  }

  /** Whether `at` is engine code: any, or (`slots`) code holding copies of guest instructions. */
  private inEngineCode(at: GuestAddr, slots = false): boolean {
    for (const [b, e, s] of this.engineCode) if (at >= b && at < e && (s || !slots)) return true;
    return false;
  }

  /**
   * A probe's breakpoint at guest address `addr` was taken. When the task goes on in a
   * slot, the copy there is the probed instruction (it counts) and the breakpoint the
   * engine's; when the probe emulated the instruction (PC back in guest code, or at the
   * trampoline after a return), the breakpoint stands for it and counts. A breakpoint in
   * engine code (the trampoline) was counted as engine code already.
   */
  private countTrap(addr: GuestAddr): void {
    if (this.inEngineCode(addr)) return;
    const next = this.cpu.regReadAddr(this.isa.pcReg);
    if (!this.inEngineCode(next, true)) return;
    this.engineInsns++;
    this.guestInsnAt = next;
  }

  private onTracedCode(at: GuestAddr): void {
    // A slot's copy of an instruction the machine emulates (a ppc64 time base read) is
    // emulated there too, with the guest's time.
    this.onUnsafe(at);
    if (!this.inEngineCode(at)) return;
    // The copy is the guest's instruction each time it begins: a REP string instruction
    // begins again at the same address for every iteration, as it does unprobed.
    if (at === this.guestInsnAt) return;
    this.guestInsnAt = undefined;
    this.engineInsns++;
  }

  private onUnsafe(addr: GuestAddr): void {
    if (!this.unsafeHooked.has(addr)) return;
    // Unicorn 2.1 calls every code hook covering an address, even after one of them moved
    // PC past the instruction: the instruction is emulated once, when PC is still at it.
    if (this.cpu.regReadAddr(this.isa.pcReg) !== addr) return;
    const word = this.mem.readExecuted(addr, 4); // only ppc64 has unsafe instructions: 4 bytes
    // Only if it is still there (a kprobe's breakpoint may have replaced it).
    if (!this.isa.findUnsafe!(word, addr).length) return;
    this.process.countTimeRead();
    this.isa.emulateUnsafe!(this.cpu, addr, this.process.guestNanoseconds());
  }

  onClone(l: (t: Task) => void): void {
    this.cloneListeners.push(l);
  }

  notifyClone(t: Task): void {
    for (const l of this.cloneListeners) l(t);
  }

  /**
   * Attach the one listener of this machine's traps. A second one would silently take the
   * traps of the first (two probe engines on one machine): it is refused.
   */
  attachTrapListener(l: TrapListener): void {
    if (this.listener)
      throw new Error('this machine already has a trap listener (one probe engine per machine)');
    this.listener = l;
  }

  /**
   * Guest instructions executed so far, where they are counted, as of the last timer tick
   * (or the budget's single slice); else undefined. The guest clock reads it.
   */
  executed(): number | undefined {
    return this.counting ? this.clockInsns : undefined;
  }

  /**
   * Guest instructions begun so far, where they are counted (else undefined): exact inside a
   * slice too, the instruction a handler runs for included. The trace's guest clock.
   */
  guestInsnsNow(): number | undefined {
    if (!this.counting) return undefined;
    const ran = this.engine.runningInsns();
    return ran === undefined ? this.insns : this.insns + ran - (this.engineInsns - this.sliceEngineInsns);
  }

  /** The current PC, as symbol+offset. */
  where(): string {
    const pc = this.cpu.regReadAddr(this.isa.pcReg);
    const hit = this.symbols.resolve(pc);
    // i386 C libraries make every system call through one helper (`call *%gs:0x10` into
    // `int $0x80; ret`): name its caller, the return address on top of the stack.
    if (hit && SYSCALL_HELPERS.has(hit.symbol.name)) {
      try {
        const ret = this.mem.readAddr(this.cpu.regReadAddr(this.isa.spReg));
        return `${this.symbols.format(ret)} (through ${hit.symbol.name})`;
      } catch {
        // An unreadable stack: the helper itself is all there is to say.
      }
    }
    return this.symbols.format(pc);
  }

  /** The current task gives up the CPU; the switch happens when its system call returns. */
  requestYield(): void {
    if (this.action === 'none') this.action = 'yield';
  }

  /** The current task blocked or left; another one runs when the system call returns. */
  requestSwitch(): void {
    this.action = 'switch';
  }

  /**
   * Switch tasks from inside the system call's hook, so the engine never stops for a
   * yield, a block or a thread exit. Restoring a saved context there is safe: the hook
   * runs between instructions and Unicorn resumes at the PC of the restored context.
   * x86_64 `syscall` is the exception that proves it: its hook sees RIP at the
   * instruction and Unicorn adds 2 afterwards, so the saved PC is moved past it first
   * and the restored one moved back by 2.
   */
  private switchAfterSyscall(adjust = this.isa.syscallInsn ? 2 : 0): void {
    if (this.action === 'none' || this.final || this.switchHold > 0) return;
    if (adjust) this.cpu.regWrite(this.isa.pcReg, this.cpu.regReadAddr(this.isa.pcReg) + adjust);
    const next = this.switchTask();
    this.action = 'none';
    if (!next) {
      this.engine.stop();
      return;
    }
    if (adjust) this.cpu.regWrite(this.isa.pcReg, this.cpu.regReadAddr(this.isa.pcReg) - adjust);
  }

  /** Keep the current task on the CPU until `releaseSwitch` (a step must finish first). */
  holdSwitch(): void {
    this.switchHold++;
  }

  /** Let switches happen again; one a system call asked for meanwhile happens now. */
  releaseSwitch(): void {
    if (this.switchHold > 0) this.switchHold--;
    if (this.switchHold === 0) this.switchAfterSyscall(0);
  }

  /**
   * Call a guest function from a host handler and return its return value. The CPU context
   * is saved and restored around the call; the guest's memory effects stay. The call runs
   * in a nested uc_emu_start that stops at an engine-owned return address; task switches
   * wait until it returns.
   */
  callGuest(fn: GuestAddr, args: readonly bigint[], toc?: GuestAddr): bigint {
    if (this.callStop === undefined) this.callStop = this.mapEngineMemory(0x1000, PROT_READ);
    const saved = this.cpu.contextSave();
    this.holdSwitch();
    this.guestCalls++;
    try {
      this.isa.setupCall(this.cpu, fn, args, this.callStop, toc ?? this.image.entryToc);
      const end = this.engine.run(fn, this.callStop);
      if (this.final) throw new HostError(`the program ended inside a guest call from a handler`);
      if (end !== 'ok') {
        const pc = this.cpu.regReadAddr(this.isa.pcReg);
        throw new HostError(
          `guest call to ${this.symbols.format(fn)} faulted at ${this.symbols.format(pc)}: ${end}`,
        );
      }
      const at = this.cpu.regReadAddr(this.isa.pcReg);
      if (at !== this.callStop)
        throw new HostError(`guest call to ${this.symbols.format(fn)} stopped at ${this.symbols.format(at)}`);
      return this.cpu.regRead(this.isa.returnReg);
    } finally {
      this.cpu.contextRestore(saved);
      this.cpu.freeContext(saved);
      this.switchHold--;
      // Work a store inside the call asked for waits for the run the handler is in.
      if (--this.guestCalls === 0 && this.deferred.length > 0) this.engine.stop();
    }
  }

  /**
   * Do `fn` between instructions, outside the engine, before the guest goes on: what a
   * memory hook may not do itself (map pages, write code). The engine finishes the
   * translation block it is in first (a block ends at any jump, so no code it jumps to has
   * run), and the run goes on where it stopped: the same instructions, ticks and budget.
   */
  atNextBoundary(fn: () => void): void {
    this.deferred.push(fn);
    if (this.guestCalls === 0) this.engine.stop();
  }

  /** The work atNextBoundary kept, done now. */
  private runDeferred(): void {
    for (const fn of this.deferred.splice(0)) fn();
  }

  /** exit_group: every task leaves; the run ends with `status`. */
  exitGroup(status: number): void {
    if (this.final) return;
    this.final = { kind: 'exit', status };
    for (const t of this.sched.live()) this.sched.kill(t, status);
    this.engine.stop();
  }

  /**
   * A fatal signal ends the thread group as Linux does; output already written stays.
   * `cpuFault` signals (raised by an instruction) go to the fault handler first; a signal
   * a system call sends only has its PC mapped back (out of an out-of-line slot).
   */
  fatalSignal(signal: number, pc: GuestAddr, detail: string, cpuFault = true): void {
    if (this.final) return;
    if (cpuFault) {
      const f = this.listener?.fault(signal, pc, this.sched.current);
      if (f === 'handled') return;
      if (f) pc = f.pc;
    } else pc = this.listener?.originalPc(pc) ?? pc;
    const tid = this.sched.current.tid;
    this.final = {
      kind: 'signal',
      signal,
      name: SIGNAL_NAMES[signal] ?? `signal ${signal}`,
      pc,
      tid,
      detail,
    };
    for (const t of this.sched.live()) this.sched.kill(t, 128 + signal);
    this.engine.stop();
  }

  /** Map memory the engine owns (not the program's): the call stop page, the trampoline. */
  mapEngineMemory(size: number, perms: number): GuestAddr {
    const at = this.mapEngineMemoryNear(size, perms, 0, Number.POSITIVE_INFINITY, 'engine');
    if (at === undefined) throw new OutOfMemory('no room for engine memory');
    return at;
  }

  /**
   * The same within `reach` of `addr` (an instruction slot near its probed code), or
   * undefined where neither of the engine's areas has room there. The areas are where the
   * guest maps nothing by itself, so the engine's pages do not move where its mmaps land:
   * below the program and the mmap area, and between the mmap area and the stack (Linux
   * puts mmap_base 128 MB below the stack top, which the 8 MB stack and its 1 MB guard gap
   * do not fill), which is within reach of the shared objects mapped just below.
   */
  mapEngineMemoryNear(
    size: number,
    perms: number,
    addr: GuestAddr,
    reach: number,
    kind: string,
  ): GuestAddr | undefined {
    const len = pageUp(size);
    const { mmapBottom, mmapTop, stackTop, stackSize } = this.isa.layout;
    const lowest = Math.min(mmapBottom, ...this.image.segments.map((s) => s.vaddr));
    const areas: [GuestAddr, GuestAddr][] = [
      [ENGINE_BOTTOM, pageDown(lowest)],
      [mmapTop, stackTop - stackSize - STACK_GUARD_GAP],
    ];
    for (const [bottom, top] of addr >= mmapBottom ? areas.reverse() : areas) {
      const lo = Math.max(bottom, addr - reach);
      const hi = Math.min(top, addr + reach);
      const at = hi - lo >= len ? this.mem.findFree(len, lo, hi) : undefined;
      if (at === undefined) continue;
      this.mem.map(at, len, perms, kind);
      return at;
    }
    return undefined;
  }

  private onSyscall(): void {
    this.process.countSyscall();
    doSyscall(this.process);
    this.switchAfterSyscall();
  }

  private onIntr(intno: number): void {
    this.dispatchIntr(intno);
  }

  /**
   * Registers that handlers of breakpoint traps read: from now on the first 7 asked for are
   * read with PC, in one call into Unicorn (about the cost of one read), at each trap; the
   * others are read when asked, as before. Each names a register of its own (the stack
   * pointer, an argument register), none part of another (see Unicorn.regPrefetch).
   */
  readAheadAtTraps(ids: Iterable<number>): void {
    const all = new Set([this.isa.pcReg, ...(this.trapRegs ?? [])]);
    for (const id of ids) if (all.size < 8) all.add(id);
    this.trapRegs = all.size > 1 ? Int32Array.from(all) : undefined;
  }

  private dispatchIntr(intno: number): void {
    const listener = this.listener;
    if (intno === this.isa.breakpointIntr && listener) {
      if (this.trapRegs) this.cpu.regPrefetch(this.trapRegs);
      // PC as an address: no BigInt is made on a probe hit.
      const addr = this.cpu.regReadAddr(this.isa.pcReg) - this.breakpointBytes;
      if (listener.breakpoint(addr, this.sched.current)) {
        if (this.engineCode.length > 0) this.countTrap(addr);
        return;
      }
    }
    const ev = this.isa.classifyIntr(intno, this.cpu);
    if (ev.kind === 'syscall') {
      this.onSyscall();
    } else if (ev.kind === 'breakpoint') {
      if (listener?.breakpoint(ev.addr, this.sched.current)) return;
      this.fatalSignal(SIGTRAP, ev.addr, 'breakpoint instruction in the program');
    } else if (ev.kind === 'singlestep') {
      if (listener?.singleStep(this.sched.current)) return;
      this.fatalSignal(SIGTRAP, ev.addr, 'single-step trap');
    } else if (ev.kind === 'fault') {
      this.fatalSignal(ev.signal, ev.addr, ev.detail);
    }
  }

  /**
   * Run until the program exits, is killed by a signal, deadlocks or exhausts its budget.
   *
   * Without a budget or quantum the engine runs in one `uc_emu_start` (tasks switch inside
   * the system call hooks). With them, each call gets Unicorn's native instruction count
   * (a per-instruction hook in C, ~1.1x; a JS block hook cost ~8x): a call that ends with
   * its count used up ran exactly that many instructions, which keeps `insns` exact at
   * every slice end. The quantum is a timer tick: every N instructions, whichever task
   * runs is preempted.
   */
  run(): StopReason {
    const { until } = this.isa.layout;
    const { maxInsns, quantum } = this.options;
    for (;;) {
      // A switch a system call asked for while a probe's step held it (a thread's exit in an
      // out-of-line slot, with the tick inside the step) is still to come when the step ends.
      if (this.switchHold === 0) this.action = 'none';
      this.lastFault = undefined;
      // Work asked for where the engine did not stop for it (a fault ended the slice).
      if (this.deferred.length > 0)
        try {
          this.runDeferred();
        } catch (e) {
          return this.hostFailure(e);
        }
      const pc = this.cpu.regReadAddr(this.isa.pcReg);
      let slice = 0;
      if (this.counting) {
        // The next tick is a quantum after the last one, wherever that one took effect: ticks
        // stay where the unprobed run has them. Ticks a probe's step covered are one tick.
        while (this.tickLeft <= 0 && !this.preemptPending)
          this.tickLeft += quantum > 0 ? quantum : Number.MAX_SAFE_INTEGER;
        // A tick fell inside a probe's step: one instruction at a time until the step is over.
        slice = this.preemptPending ? 1 : this.tickLeft;
        if (maxInsns > 0) slice = Math.min(slice, maxInsns - this.insns);
      }
      const engineBefore = this.engineInsns;
      this.sliceEngineInsns = engineBefore;
      let end: RunEnd;
      try {
        end = this.engine.run(pc, until, slice);
      } catch (e) {
        return this.hostFailure(e);
      }
      if (this.final) {
        // The program ended inside the slice: the count is exact up to its last instruction.
        const ran = this.counting ? this.engine.ranInsns() : undefined;
        if (ran !== undefined) this.insns += ran - (this.engineInsns - engineBefore);
        return this.finish(this.final);
      }
      if (end !== 'ok') {
        // The fault goes to the probes' fault handler and kills the tasks (their exit
        // listeners run): what a handler throws there ends the run as inside the engine.
        let stop: StopReason | undefined;
        try {
          stop = this.faultFromRun(end);
        } catch (e) {
          return this.hostFailure(e);
        }
        if (stop === undefined) continue;
        return this.finish(stop);
      }
      // Stopped for work between instructions: the slice ended early, where the engine says.
      let ran = slice;
      if (this.deferred.length > 0) {
        if (this.counting) ran = this.engine.ranInsns() ?? slice;
        try {
          this.runDeferred();
        } catch (e) {
          return this.hostFailure(e);
        }
        if (!this.counting) continue;
      }
      const at = this.cpu.regReadAddr(this.isa.pcReg);
      if (at === until || !this.counting) {
        return this.finish(this.signalStop(SIGSEGV, at, `jump to ${hex(at)}, which is not mapped`));
      }
      // The slice's count ran out: of it, the instructions of the engine's own code were not
      // the guest's, so the tick and the budget go on for that many more.
      const guest = ran - (this.engineInsns - engineBefore);
      this.insns += guest;
      this.tickLeft -= guest;
      // The guest clock moves at whole ticks, as it does where no engine code ran: at the
      // tick's own instruction, also when it takes effect after a probe's step.
      if (this.tickLeft <= 0) this.clockInsns = this.insns + this.tickLeft;
      if (maxInsns > 0 && this.insns >= maxInsns) {
        // A stop inside an out-of-line slot is reported at the guest instruction it stands for.
        const pc = this.listener?.originalPc(at) ?? at;
        return this.finish({ kind: 'budget', insns: maxInsns, pc, tid: this.sched.current.tid });
      }
      if (this.tickLeft > 0 && !this.preemptPending) continue;
      // A timer tick in the middle of a probe's step does not preempt: the step finishes
      // first (one instruction at a time), then the tick takes effect.
      if (this.switchHold > 0) {
        this.preemptPending = true;
        continue;
      }
      this.preemptPending = false;
      this.action = 'yield';
      if (!this.switchTask()) return this.finish(this.final ?? { kind: 'exit', status: 0 });
    }
  }

  /** Pick the next task after a yield/block/exit; undefined when the run is over. */
  private switchTask(): Task | undefined {
    const prev = this.sched.current;
    if (this.action === 'yield') this.sched.yieldCurrent();
    // Reads of stdin that wait get what input came meanwhile.
    if (this.process.stdinWaiters.length > 0) this.process.pollStdin(false);
    let next = this.sched.pickNext();
    // Nothing else can run: wait on the host for the input a task waits for.
    if (!next && this.process.stdinWaiters.length > 0 && this.process.pollStdin(true) > 0)
      next = this.sched.pickNext();
    if (!next) {
      if (this.sched.liveCount() === 0) {
        this.final = { kind: 'exit', status: prev.exitCode ?? 0 };
        return undefined;
      }
      // Everyone is blocked: a futex wait with a timeout expires, else it is a deadlock.
      const timed = [...this.process.timedWaiters].find((t) => t.state === 'blocked');
      if (!timed) {
        this.final = { kind: 'deadlock', tids: this.sched.live().map((t) => t.tid) };
        return undefined;
      }
      timed.resume = (cpu) => this.isa.setSyscallResult(cpu, BigInt(-ETIMEDOUT));
      this.sched.wake(timed);
      next = this.sched.pickNext();
      if (!next) throw new Error(`internal error: task ${timed.tid} was woken but cannot run`);
    }
    this.process.timedWaiters.delete(next);
    if (next !== prev) {
      // A task may be switched out in the middle of a REP string copy in a slot: where its
      // copy began goes with it, so that its next iteration still counts as the guest's.
      prev.slotInsnAt = this.guestInsnAt;
      this.guestInsnAt = next.slotInsnAt;
      if (prev.state !== 'dead') prev.context = this.cpu.contextSave(prev.context);
      else if (prev.context) {
        this.cpu.freeContext(prev.context);
        prev.context = undefined;
      }
      if (!next.context) throw new Error(`internal error: task ${next.tid} has no saved context`);
      this.cpu.contextRestore(next.context);
    }
    this.sched.current = next;
    const resume = next.resume;
    next.resume = undefined;
    resume?.(this.cpu);
    return next;
  }

  private signalStop(signal: number, pc: GuestAddr, detail: string): StopReason {
    return {
      kind: 'signal',
      signal,
      name: SIGNAL_NAMES[signal] ?? `signal ${signal}`,
      pc,
      tid: this.sched.current.tid,
      detail,
    };
  }

  /** The stop a faulted run means, or undefined when a fault handler took it. */
  private faultFromRun(end: Exclude<RunEnd, 'ok'>): StopReason | undefined {
    let pc = this.cpu.regReadAddr(this.isa.pcReg);
    const f = this.lastFault;
    const data =
      end === 'read-unmapped' || end === 'write-unmapped' || end === 'read-prot' || end === 'write-prot';
    // Where the engine reports the start of the instruction's block, find the instruction.
    if (data && f && this.isa.locateDataFault && !this.engine.reportsFaultingPc) {
      const write = end === 'write-unmapped' || end === 'write-prot';
      pc = this.isa.locateDataFault(this.cpu, pc, f.address, write) ?? pc;
    }
    const at = f ? ` at ${hex(f.address)}` : '';
    let stop: StopReason;
    switch (end) {
      case 'read-unmapped':
        stop = this.signalStop(SIGSEGV, pc, `invalid read${at} (not mapped)`);
        break;
      case 'write-unmapped':
        stop = this.signalStop(SIGSEGV, pc, `invalid write${at} (not mapped)`);
        break;
      case 'fetch-unmapped':
        stop = this.signalStop(SIGSEGV, f ? addrOf(f.address) : pc, `jump to unmapped address${at}`);
        break;
      case 'read-prot':
        stop = this.signalStop(SIGSEGV, pc, `read${at} not permitted`);
        break;
      case 'write-prot':
        stop = this.signalStop(SIGSEGV, pc, `write${at} to read-only memory`);
        break;
      case 'fetch-prot':
        stop = this.signalStop(
          SIGSEGV,
          f ? addrOf(f.address) : pc,
          `execution${at} of non-executable memory`,
        );
        break;
      case 'unaligned':
        stop = this.signalStop(SIGBUS, pc, `unaligned access${at}`);
        break;
      case 'invalid-insn':
        stop = this.signalStop(SIGILL, pc, 'invalid instruction');
        break;
    }
    if (stop.kind === 'signal') {
      const f = this.listener?.fault(stop.signal, stop.pc, this.sched.current);
      if (f === 'handled') return undefined;
      if (f) stop.pc = f.pc;
    }
    for (const t of this.sched.live()) this.sched.kill(t, 128 + (stop.kind === 'signal' ? stop.signal : 0));
    return stop;
  }

  /** A handler failed (HostError): every task ends, the run stops with an error. */
  private hostFailure(e: unknown): StopReason {
    if (!(e instanceof HostError)) {
      this.close();
      throw e;
    }
    const pc = this.cpu.regReadAddr(this.isa.pcReg);
    const at = this.listener?.originalPc(pc) ?? pc;
    const tid = this.sched.current.tid;
    for (const t of this.sched.live()) this.sched.kill(t, 125);
    return this.finish({ kind: 'error', message: e.message, pc: at, tid });
  }

  private finish(r: StopReason): StopReason {
    this.final = r;
    return r;
  }

  /** Whether timer ticks preempt tasks (--quantum): a task may stop between any two instructions. */
  get preemptive(): boolean {
    return this.options.quantum > 0;
  }

  /** The stop of the last `run`, if any. */
  get stopReason(): StopReason | undefined {
    return this.final;
  }

  /** Free the engine. The machine cannot run afterwards. */
  close(): void {
    this.process.closeFiles();
    this.engine.close();
  }
}
