// Counterpart: Linux's task_struct (the parts a user-mode emulator keeps) and a
// deterministic round-robin scheduler (kernel/sched of 2005 without priorities or SMP).
import type { GuestAddr } from './addr.js';
import type { EngineContext } from './engine.js';
import type { Cpu } from './isa.js';

export type TaskState = 'ready' | 'running' | 'blocked' | 'dead';

export class Task {
  state: TaskState = 'ready';
  /** Saved CPU state while the task is not running; undefined for the task on the CPU. */
  context: EngineContext | undefined;
  /** Applied after the context is restored: a blocked system call's result, a clone child's start. */
  resume: ((cpu: Cpu) => void) | undefined;
  /** CLONE_CHILD_CLEARTID / set_tid_address: zeroed and futex-woken at exit. */
  clearChildTid: GuestAddr = 0;
  /** Futex word the task waits on while blocked. */
  futexWait: GuestAddr | undefined;
  /** When it began to wait there: waiters on one word are woken first come, first served. */
  futexSeq = 0;
  exitCode: number | undefined;
  /** Blocked signals (rt_sigprocmask), bit N-1 for signal N; a clone child inherits it. */
  sigmask = 0n;
  /** While switched out: the slot copy of a guest instruction it was running (Machine counts). */
  slotInsnAt: GuestAddr | undefined;
  /** The name prctl(PR_SET_NAME) gave the task; undefined: the program's own (LinuxProcess.comm). */
  comm: string | undefined;

  constructor(
    readonly tid: number,
    readonly tgid: number,
  ) {}
}

/** Called once when a task dies (exit, exit_group, a fatal signal). */
export type TaskExitListener = (task: Task) => void;

/**
 * Round robin over runnable tasks. Switches happen only where the machine asks for them
 * (sched_yield, blocking, exit, and the optional instruction quantum), so the same
 * program and options give the same interleaving every run.
 */
export class Scheduler {
  private readonly tasks = new Map<number, Task>();
  private readonly runQueue: Task[] = [];
  private readonly listeners: TaskExitListener[] = [];
  current: Task;
  private nextTid: number;
  private futexSeq = 0;

  constructor(readonly tgid: number) {
    this.nextTid = tgid + 1;
    this.current = new Task(tgid, tgid);
    this.current.state = 'running';
    this.tasks.set(tgid, this.current);
  }

  onExit(l: TaskExitListener): () => void {
    this.listeners.push(l);
    return () => {
      const i = this.listeners.indexOf(l);
      if (i >= 0) this.listeners.splice(i, 1);
    };
  }

  get(tid: number): Task | undefined {
    return this.tasks.get(tid);
  }

  /** Live tasks (not dead), in creation order. */
  live(): Task[] {
    return [...this.tasks.values()].filter((t) => t.state !== 'dead');
  }

  liveCount(): number {
    let n = 0;
    for (const t of this.tasks.values()) if (t.state !== 'dead') n++;
    return n;
  }

  spawn(): Task {
    const t = new Task(this.nextTid++, this.tgid);
    this.tasks.set(t.tid, t);
    this.runQueue.push(t);
    return t;
  }

  /** Put a task back on the run queue (woken from a futex). */
  wake(t: Task): void {
    t.state = 'ready';
    t.futexWait = undefined;
    this.runQueue.push(t);
  }

  /** The current task gives up the CPU but stays runnable. */
  yieldCurrent(): void {
    if (this.current.state === 'running') {
      this.current.state = 'ready';
      this.runQueue.push(this.current);
    }
  }

  /** The task waits: on a futex word, or (no word) in a read, write or sleep someone completes. */
  block(t: Task, futex?: GuestAddr): void {
    t.state = 'blocked';
    t.futexWait = futex;
    t.futexSeq = this.futexSeq++;
  }

  /** A waiter moves to another futex word, behind those already there (FUTEX_REQUEUE). */
  requeue(t: Task, futex: GuestAddr): void {
    t.futexWait = futex;
    t.futexSeq = this.futexSeq++;
  }

  kill(t: Task, code: number): void {
    if (t.state === 'dead') return;
    const i = this.runQueue.indexOf(t);
    if (i >= 0) this.runQueue.splice(i, 1);
    t.state = 'dead';
    t.exitCode = code;
    for (const l of [...this.listeners]) l(t);
  }

  /** Next task to run, or undefined when none is runnable. */
  pickNext(): Task | undefined {
    const t = this.runQueue.shift();
    if (t) t.state = 'running';
    return t;
  }

  hasRunnable(): boolean {
    return this.runQueue.length > 0;
  }

  /** The tasks waiting on a futex word, in the order they began to wait (Linux's hash bucket queue). */
  waitingOn(futex: GuestAddr): Task[] {
    return [...this.tasks.values()]
      .filter((t) => t.state === 'blocked' && t.futexWait === futex)
      .sort((a, b) => a.futexSeq - b.futexSeq);
  }
}

/**
 * A map from tid to per-task state that probe hits look up: an array indexed by tid - tgid
 * (tids are dense from the thread group's id on), so a lookup hashes nothing. A tid below
 * the group's id is refused.
 */
export class TidMap<V> {
  private readonly slots: (V | undefined)[] = [];
  private count = 0;

  constructor(private readonly base: number) {}

  private index(tid: number): number {
    const i = tid - this.base;
    if (!Number.isInteger(i) || i < 0) throw new RangeError(`tid ${tid} is not of thread group ${this.base}`);
    return i;
  }

  get size(): number {
    return this.count;
  }

  get(tid: number): V | undefined {
    return this.slots[tid - this.base];
  }

  set(tid: number, v: V): void {
    const i = this.index(tid);
    while (this.slots.length < i) this.slots.push(undefined);
    if (this.slots[i] === undefined) this.count++;
    this.slots[i] = v;
  }

  delete(tid: number): boolean {
    const i = tid - this.base;
    if (this.slots[i] === undefined) return false;
    this.slots[i] = undefined;
    this.count--;
    return true;
  }

  clear(): void {
    this.slots.length = 0;
    this.count = 0;
  }

  *entries(): IterableIterator<[number, V]> {
    for (let i = 0; i < this.slots.length; i++) {
      const v = this.slots[i];
      if (v !== undefined) yield [i + this.base, v];
    }
  }

  *values(): IterableIterator<V> {
    for (const [, v] of this.entries()) yield v;
  }

  [Symbol.iterator](): IterableIterator<[number, V]> {
    return this.entries();
  }
}
