// Counterpart: the Linux system calls that small static programs make (kernel/exit.c,
// kernel/fork.c copy_process for threads, kernel/futex.c, mm/mmap.c, mm/brk), as a
// user-mode emulator answers them. Nothing here reaches a host file, process or socket.
import { addrOf, pageAligned, pageUp, type GuestAddr } from './addr.js';
import { MemoryFault, OutOfMemory, PROT_WRITE } from './memory.js';
import { RLIM_INFINITY, type LinuxProcess, type SyscallArgs } from './process.js';
import { ioHandlers, s32, u32 } from './linux-io.js';
import { fsHandlers } from './linux-fs.js';
import { RootFs } from './rootfs.js';
import { timeHandlers } from './linux-time.js';
import { HOST_CALLS, refuseHostCall } from './host-reach.js';
import { EACCES, EAGAIN, EBADF, EFAULT, EINVAL, ENODEV, ENOMEM, EPERM, ESRCH, ENOSYS, neg } from './errno.js';

const CLONE_VM = 0x100n;
const CLONE_THREAD = 0x10000n;
const CLONE_SETTLS = 0x80000n;
const CLONE_PARENT_SETTID = 0x100000n;
const CLONE_CHILD_CLEARTID = 0x200000n;
const CLONE_CHILD_SETTID = 0x1000000n;

const MAP_FIXED = 0x10n;
const MADV_DONTNEED = 4n;
const MAP_ANONYMOUS = 0x20n;
const MAP_SHARED = 0x01n;
const MAP_TYPE = 0x0fn;

const SIG_BLOCK = 0n;
const SIG_UNBLOCK = 1n;
const SIG_SETMASK = 2n;

const FUTEX_WAIT = 0n;
const FUTEX_WAKE = 1n;
const FUTEX_REQUEUE = 3n;
const FUTEX_CMP_REQUEUE = 4n;
const FUTEX_WAKE_OP = 5n;
const FUTEX_WAIT_BITSET = 9n;
const FUTEX_WAKE_BITSET = 10n;

/**
 * Calls a C library makes at start and falls back from when the kernel lacks them: answered
 * with ENOSYS and not reported (qemu-user answers them so too). set_robust_list: the
 * kernel's walk of a dead thread's robust mutexes is not emulated, so glibc uses plain
 * futexes; rseq: glibc runs without restartable sequences; clone3: glibc falls back to clone.
 */
export const QUIET_ENOSYS = new Set(['set_robust_list', 'rseq', 'clone3']);

/** Result of a handler: a value to return now, or undefined when the call does not return (yet). */
type Handler = (p: LinuxProcess, a: SyscallArgs) => bigint | undefined;

/**
 * mmap: anonymous memory, or a file of the root copied into fresh pages at `offset` (a
 * private mapping; a shared one may not be written, as for any fd open read-only). Pages
 * past the file's end read as zeroes.
 */
function mmap(
  p: LinuxProcess,
  hint: bigint,
  len: bigint,
  prot: bigint,
  flags: bigint,
  fd: bigint,
  offset: bigint,
): bigint {
  if (len === 0n) return neg(EINVAL);
  let file: Uint8Array | undefined;
  let mapped: { path: string; host: number } | undefined;
  if ((flags & MAP_ANONYMOUS) === 0n) {
    if (!p.root) {
      p.reportOnce('mmap-file', `file-backed mmap (fd ${fd}) refused: the guest has no host files`);
      return neg(EBADF);
    }
    const f = p.files.get(fd);
    if (!f) return neg(EBADF);
    if (f.kind === 'dev' && f.dev === 'zero') {
      // /dev/zero maps fresh zero pages, as an anonymous mapping does.
    } else if (f.kind !== 'file') {
      // A stream, a pipe or another device cannot be mapped (Linux: ENODEV), nor a directory.
      return neg(ENODEV);
    } else {
      if (offset % 4096n !== 0n) return neg(EINVAL);
      if ((flags & MAP_TYPE) === MAP_SHARED && (Number(prot & 7n) & PROT_WRITE) !== 0) return neg(EACCES);
      if (len > BigInt(p.isa.layout.mmapTop)) return neg(ENOMEM);
      file = RootFs.pread(f.host, Number(len), offset);
      mapped = { path: f.path, host: f.host };
    }
  }
  // Past the user address space nothing can be mapped: no page-rounding of a length past 2^53.
  if (len > BigInt(p.isa.layout.mmapTop)) return neg(ENOMEM);
  const size = pageUp(Number(len));
  const addr = addrOf(hint);
  const { mmapBottom, mmapTop } = p.isa.layout;
  let at: GuestAddr | undefined;
  if ((flags & MAP_FIXED) !== 0n) {
    if (!pageAligned(addr)) return neg(EINVAL);
    p.mem.unmap(addr, addr + size);
    at = addr;
  } else {
    if (addr !== 0 && pageAligned(addr) && !p.mem.covered(addr, addr + size)) {
      const overlaps = p.mem.list().some((a) => a.start < addr + size && addr < a.end);
      if (!overlaps) at = addr;
    }
    at ??= p.mem.findFree(size, mmapBottom, mmapTop);
    if (at === undefined) return neg(ENOMEM);
  }
  try {
    p.mem.map(at, size, Number(prot & 7n), file ? 'mmap-file' : 'mmap');
  } catch (e) {
    if (e instanceof OutOfMemory) return neg(ENOMEM);
    throw e;
  }
  if (file && file.length > 0) p.mem.write(at, file);
  if (mapped) {
    const { path, host } = mapped;
    p.fileMapped?.({
      path,
      offset: Number(offset),
      addr: at,
      len: size,
      prot: Number(prot & 7n),
      read: (max) => RootFs.pread(host, max ?? Number(RootFs.fstat(host).size), 0n),
    });
  }
  return BigInt(at);
}

function futexWake(p: LinuxProcess, uaddr: GuestAddr, count: bigint): bigint {
  let n = 0n;
  for (const t of p.sched.waitingOn(uaddr)) {
    if (n >= count) break;
    t.resume = (cpu) => p.isa.setSyscallResult(cpu, 0n);
    p.sched.wake(t);
    n++;
  }
  return n;
}

/** The thread leaves: CHILD_CLEARTID is written and woken, the task dies. */
export function exitTask(p: LinuxProcess, code: number): void {
  const t = p.sched.current;
  if (t.clearChildTid !== 0) {
    try {
      p.mem.writeU32(t.clearChildTid, 0);
      futexWake(p, t.clearChildTid, 1n);
    } catch {
      // An unmapped clear_child_tid is ignored, as the kernel ignores the fault.
    }
  }
  p.sched.kill(t, code);
  p.control.requestSwitch();
}

const handlers: Record<string, Handler> = {
  ...ioHandlers,
  ...fsHandlers,
  ...timeHandlers,
  exit: (p, [code]) => {
    exitTask(p, Number(code & 0xffn));
    return undefined;
  },
  exit_group: (p, [code]) => {
    p.control.exitGroup(Number(code & 0xffn));
    return undefined;
  },
  getpid: (p) => BigInt(p.sched.tgid),
  // The guest's parent is init, and it leads its own process group and session.
  getppid: () => 1n,
  getpgrp: (p) => BigInt(p.sched.tgid),
  getpgid: (p, [pid]) => (pid === 0n || pid === BigInt(p.sched.tgid) ? BigInt(p.sched.tgid) : neg(ESRCH)),
  getsid: (p, [pid]) => (pid === 0n || pid === BigInt(p.sched.tgid) ? BigInt(p.sched.tgid) : neg(ESRCH)),
  setpgid: (p, [pid, pgid]) =>
    (pid === 0n || pid === BigInt(p.sched.tgid)) && (pgid === 0n || pgid === BigInt(p.sched.tgid))
      ? 0n
      : neg(EPERM),
  umask: (p, [mask]) => {
    const old = p.umask;
    p.umask = Number(mask & 0o777n);
    return BigInt(old);
  },
  gettid: (p) => BigInt(p.sched.current.tid),
  getuid: () => 0n,
  geteuid: () => 0n,
  getgid: () => 0n,
  getegid: () => 0n,
  getuid32: () => 0n,
  geteuid32: () => 0n,
  getgid32: () => 0n,
  getegid32: () => 0n,
  // Root, as the guest sees itself: real, effective and saved ids are all 0, no extra groups.
  getresuid: (p, a) => zeroes(p, a.slice(0, 3), 4),
  getresgid: (p, a) => zeroes(p, a.slice(0, 3), 4),
  getresuid32: (p, a) => zeroes(p, a.slice(0, 3), 4),
  getresgid32: (p, a) => zeroes(p, a.slice(0, 3), 4),
  getgroups: () => 0n,
  getgroups32: () => 0n,
  sysinfo: (p, [info]) => sysinfo(p, info),
  prctl: (p, [option, arg2]) => prctl(p, option, arg2),
  sched_getaffinity: (p, [pid, len, mask]) => {
    // One CPU: the mask is one word with bit 0 set (the kernel's cpumask_size() here).
    if (pid !== 0n && !p.sched.get(Number(pid))) return neg(ESRCH);
    const w = BigInt(p.mem.wordSize);
    if (len < w || len % w !== 0n) return neg(EINVAL);
    p.mem.writeWord(addrOf(mask), 1n);
    return w;
  },
  sched_setaffinity: (p, [pid]) => (pid === 0n || p.sched.get(Number(pid)) ? 0n : neg(ESRCH)),
  sched_yield: (p) => {
    p.control.requestYield();
    return 0n;
  },
  set_tid_address: (p, [ptr]) => {
    p.sched.current.clearChildTid = addrOf(ptr);
    return BigInt(p.sched.current.tid);
  },
  rt_sigaction: (p, [sig, act, old, size]) => {
    if (sig < 1n || sig > 64n || size !== 8n) return neg(EINVAL);
    // SIGKILL and SIGSTOP keep their actions (EINVAL when asked to change them).
    if (act !== 0n && (sig === 9n || sig === 19n)) return neg(EINVAL);
    // struct sigaction as the kernel takes it: handler, flags, restorer, then the mask.
    const n = 3 * p.mem.wordSize + 8;
    const prev = p.sigactions.get(Number(sig)) ?? new Uint8Array(n);
    if (act !== 0n) p.sigactions.set(Number(sig), p.mem.read(addrOf(act), n));
    if (old !== 0n) p.mem.write(addrOf(old), prev);
    return 0n;
  },
  rt_sigprocmask: (p, [how, set, old, size]) => {
    if (size !== 8n) return neg(EINVAL);
    const t = p.sched.current;
    const prev = t.sigmask;
    if (set !== 0n) {
      // SIGKILL and SIGSTOP cannot be blocked (the kernel drops them from the set silently).
      const s = p.mem.readU64(addrOf(set)) & ~((1n << 8n) | (1n << 18n));
      if (how === SIG_BLOCK) t.sigmask = prev | s;
      else if (how === SIG_UNBLOCK) t.sigmask = prev & ~s;
      else if (how === SIG_SETMASK) t.sigmask = s;
      else return neg(EINVAL);
    }
    if (old !== 0n) p.mem.writeU64(addrOf(old), prev);
    return 0n;
  },
  sigaltstack: () => 0n,
  brk: (p, [addr]) => BigInt(p.brk(addrOf(addr))),
  mmap: (p, a) => {
    if (p.isa.wordSize === 4) {
      // i386 old_mmap: one pointer to six words.
      const w = (i: number) => BigInt(p.mem.readU32(addrOf(a[0]) + 4 * i));
      return mmap(p, w(0), w(1), w(2), w(3), s32(w(4)), w(5));
    }
    return mmap(p, a[0], a[1], a[2], a[3], s32(a[4]), a[5] ?? 0n);
  },
  // The offset in 4096-byte units.
  mmap2: (p, a) => mmap(p, a[0], a[1], a[2], a[3], s32(a[4]), u32(a[5] ?? 0n) * 4096n),
  munmap: (p, [addr, len]) => {
    if (addr % 4096n !== 0n || len === 0n) return neg(EINVAL);
    if (len > BigInt(p.isa.layout.mmapTop)) return neg(EINVAL);
    p.mem.unmap(addrOf(addr), addrOf(addr) + pageUp(Number(len)));
    return 0n;
  },
  mprotect: (p, [addr, len, prot]) => {
    if (addr % 4096n !== 0n) return neg(EINVAL);
    if (len > BigInt(p.isa.layout.mmapTop)) return neg(ENOMEM);
    const at = addrOf(addr);
    return p.mem.protect(at, at + pageUp(Number(len)), Number(prot & 7n)) ? 0n : neg(ENOMEM);
  },
  uname: (p, [buf]) => {
    const fields = ['Linux', 'kprobe-emu', '6.1.0', '#1 SMP PREEMPT', p.isa.unameMachine, '(none)'];
    const out = new Uint8Array(65 * 6);
    fields.forEach((f, i) => out.set(new TextEncoder().encode(f), 65 * i));
    p.mem.write(addrOf(buf), out);
    return 0n;
  },
  futex_time64: (p, a) => futex(p, a),
  futex: (p, a) => futex(p, a),
  clone: (p, a) => clone(p, a),
  // IA-64: clone2(flags, stack_base, stack_size, parent_tidptr, child_tidptr, tls).
  clone2: (p, a) => clone(p, [a[0], a[1], a[3], a[4], a[5], 0n], a[2]),
  tgkill: (p, [tgid, tid, sig]) => signalSelf(p, tgid, tid, sig),
  tkill: (p, [tid, sig]) => signalSelf(p, BigInt(p.sched.tgid), tid, sig),
  kill: (p, [pid, sig]) => signalSelf(p, pid, BigInt(p.sched.current.tid), sig),
  // The word-sized struct rlimit: a limit past the word is RLIM_INFINITY of that width.
  getrlimit: (p, [resource, rlim]) => getRlimit(p, resource, rlim, p.mem.wordSize),
  ugetrlimit: (p, [resource, rlim]) => getRlimit(p, resource, rlim, p.mem.wordSize),
  setrlimit: (p, [resource, rlim]) => setRlimit(p, resource, rlim, p.mem.wordSize),
  // prlimit64 on this process (pid 0 or its own): struct rlimit64, two u64.
  prlimit64: (p, [pid, resource, next, old]) => {
    if (pid !== 0n && pid !== BigInt(p.sched.tgid)) return neg(ESRCH);
    if (resource >= RLIM_NLIMITS) return neg(EINVAL);
    if (old !== 0n) {
      const r = getRlimit(p, resource, old, 8);
      if (r !== 0n) return r;
    }
    return next !== 0n ? setRlimit(p, resource, next, 8) : 0n;
  },
  // madvise: advice is only advice, except MADV_DONTNEED, after which private anonymous
  // pages read as zero (glibc gives a dead thread's stack back with it).
  madvise: (p, [addr, len, advice]) => {
    if (addr % 4096n !== 0n) return neg(EINVAL);
    if (len > BigInt(p.isa.layout.mmapTop)) return neg(EINVAL);
    const at = addrOf(addr);
    const end = at + pageUp(Number(len));
    if (!p.mem.covered(at, end)) return neg(ENOMEM);
    if (advice === MADV_DONTNEED && end > at) p.mem.write(at, new Uint8Array(end - at));
    return 0n;
  },
  getrandom: (p, [buf, len]) => {
    const n = Number(len > 256n ? 256n : len);
    p.mem.write(addrOf(buf), p.randomBytes(n));
    return BigInt(n);
  },
};

/**
 * FUTEX_REQUEUE and FUTEX_CMP_REQUEUE (kernel/futex.c futex_requeue): wake `nrWake` waiters
 * of `from`, move up to `nrRequeue` more to `to`; the number woken and moved. CMP_REQUEUE
 * first checks that `from` still holds `expect`.
 */
function futexRequeue(
  p: LinuxProcess,
  from: GuestAddr,
  to: GuestAddr,
  nrWake: bigint,
  nrRequeue: bigint,
  expect: bigint | undefined,
): bigint {
  // The counts are C ints.
  if (BigInt.asIntN(32, nrWake) < 0n || BigInt.asIntN(32, nrRequeue) < 0n) return neg(EINVAL);
  if (expect !== undefined && BigInt(p.mem.readU32(from)) !== u32(expect)) return neg(EAGAIN);
  const woken = futexWake(p, from, u32(nrWake));
  let moved = 0n;
  for (const t of p.sched.waitingOn(from)) {
    if (moved >= u32(nrRequeue)) break;
    p.sched.requeue(t, to);
    moved++;
  }
  return woken + moved;
}

/**
 * FUTEX_WAKE_OP (futex_atomic_op_inuser): `*to = op(*to, oparg)`, wake `nrWake` waiters of
 * `uaddr`, and `nrWake2` of `to` if the old value compares with cmparg as `encoded` says.
 */
function futexWakeOp(
  p: LinuxProcess,
  uaddr: GuestAddr,
  to: GuestAddr,
  nrWake: bigint,
  nrWake2: bigint,
  encoded: bigint,
): bigint {
  const e = Number(encoded & 0xffffffffn);
  const op = (e >>> 28) & 7;
  const cmp = (e >>> 24) & 15;
  let oparg = ((e >>> 12) << 20) >> 20;
  const cmparg = (e << 20) >> 20;
  if ((e >>> 31) & 1) oparg = oparg >= 0 && oparg <= 31 ? 1 << oparg : 0;
  const old = p.mem.readU32(to) | 0;
  const next = [oparg, old + oparg, old | oparg, old & ~oparg, old ^ oparg][op];
  const holds = [old === cmparg, old !== cmparg, old < cmparg, old <= cmparg, old > cmparg, old >= cmparg][
    cmp
  ];
  if (next === undefined) return neg(ENOSYS);
  p.mem.writeU32(to, next >>> 0);
  // As Linux: the store is done before an unknown comparison is refused.
  if (holds === undefined) return neg(ENOSYS);
  let n = futexWake(p, uaddr, u32(nrWake));
  if (holds) n += futexWake(p, to, u32(nrWake2));
  return n;
}

function futex(p: LinuxProcess, [uaddr, opRaw, val, timeout, uaddr2, val3]: SyscallArgs): bigint | undefined {
  const op = opRaw & 0x7fn;
  if (op === FUTEX_WAIT || op === FUTEX_WAIT_BITSET) {
    if (BigInt(p.mem.readU32(addrOf(uaddr))) !== u32(val)) return neg(EAGAIN);
    const t = p.sched.current;
    p.sched.block(t, addrOf(uaddr));
    if (timeout !== 0n) p.timedWaiters.add(t);
    p.control.requestSwitch();
    return undefined;
  }
  if (op === FUTEX_WAKE || op === FUTEX_WAKE_BITSET) return futexWake(p, addrOf(uaddr), u32(val));
  // For these the fourth argument is a count (val2), not a timeout.
  if (op === FUTEX_REQUEUE || op === FUTEX_CMP_REQUEUE)
    return futexRequeue(
      p,
      addrOf(uaddr),
      addrOf(uaddr2),
      val,
      timeout,
      op === FUTEX_CMP_REQUEUE ? val3 : undefined,
    );
  if (op === FUTEX_WAKE_OP) return futexWakeOp(p, addrOf(uaddr), addrOf(uaddr2), val, timeout, val3);
  p.reportOnce(`futex-${op}`, `futex operation ${op} is not supported: answered with -ENOSYS`);
  return neg(ENOSYS);
}

/** clone: a new thread of this process (clone2: with the size of the stack at `stack`). */
function clone(p: LinuxProcess, a: SyscallArgs, stackSize?: bigint): bigint | undefined {
  const o = p.isa.cloneArgs;
  const flags = a[o.flags];
  // A new process (fork through clone) is refused as fork is.
  if ((flags & CLONE_VM) === 0n || (flags & CLONE_THREAD) === 0n) return refuseHostCall(p, 'clone', a);
  if (p.sched.liveCount() >= p.options.maxTasks) return neg(EAGAIN);
  const stack = a[o.stack];
  const tls = a[o.tls];
  const ctid = a[o.childTid];
  const ptid = a[o.parentTid];
  // CLONE_SETTLS is read now, as the kernel does; the child's thread pointer is set when it runs.
  const setTls = (flags & CLONE_SETTLS) !== 0n ? p.isa.cloneTls(tls, p.syscallContext) : undefined;
  if (typeof setTls === 'bigint') return setTls;
  const child = p.sched.spawn();
  const pc = p.isa.pcAfterSyscall(p.cpu);
  child.context = p.cpu.contextSave();
  if ((flags & CLONE_CHILD_CLEARTID) !== 0n) child.clearChildTid = addrOf(ctid);
  if ((flags & CLONE_PARENT_SETTID) !== 0n) p.mem.writeU32(addrOf(ptid), child.tid);
  if ((flags & CLONE_CHILD_SETTID) !== 0n) p.mem.writeU32(addrOf(ctid), child.tid);
  const isa = p.isa;
  child.resume = (cpu) => {
    isa.setSyscallResult(cpu, 0n);
    if (stack !== 0n) {
      if (isa.cloneStack) isa.cloneStack(cpu, stack, stackSize);
      else cpu.regWrite(isa.spReg, stack);
    }
    setTls?.(cpu);
    cpu.regWrite(isa.pcReg, pc);
  };
  p.control.notifyClone(child);
  return BigInt(child.tid);
}

/** Store `n`-byte zeroes at each of `ptrs` (getresuid and friends). */
function zeroes(p: LinuxProcess, ptrs: readonly bigint[], n: number): bigint {
  for (const at of ptrs) p.mem.write(addrOf(at), new Uint8Array(n));
  return 0n;
}

/**
 * sysinfo: uptime from the monotonic clock, the memory limit as the machine's RAM (what is
 * not mapped is free), the live tasks as processes, no swap, no load.
 */
function sysinfo(p: LinuxProcess, info: bigint): bigint {
  const w = p.mem.wordSize;
  const out = new Uint8Array(w === 8 ? 112 : 64);
  const v = new DataView(out.buffer);
  const put = (i: number, x: bigint) =>
    w === 8
      ? v.setBigUint64(i * 8, x, p.mem.littleEndian)
      : v.setUint32(i * 4, Number(x), p.mem.littleEndian);
  const max = BigInt(Math.min(p.mem.maxBytes, 2 ** 31 - 1));
  const total = w === 8 ? BigInt(p.mem.maxBytes) : max;
  const used = BigInt(p.mem.list().reduce((n, a) => n + (a.end - a.start), 0));
  put(0, (p.clock.read(1) ?? 0n) / 1_000_000_000n);
  put(4, total);
  put(5, total > used ? total - used : 0n);
  // procs (u16) follows the ten words of uptime, loads, RAM and swap; mem_unit (1) comes
  // after totalhigh and freehigh (include/uapi/linux/sysinfo.h).
  v.setUint16(10 * w, p.sched.liveCount(), p.mem.littleEndian);
  v.setUint32(w === 8 ? 104 : 52, 1, p.mem.littleEndian);
  p.mem.write(addrOf(info), out);
  return 0n;
}

const PR_SET_NAME = 15n;
const PR_GET_NAME = 16n;

/** prctl: the task's name (comm, 16 bytes with its NUL); other options are refused with EINVAL. */
function prctl(p: LinuxProcess, option: bigint, arg2: bigint): bigint {
  const t = p.sched.current;
  if (option === PR_SET_NAME) {
    const bytes = p.mem.read(addrOf(arg2), 16);
    const end = bytes.indexOf(0);
    t.comm = Buffer.from(bytes.subarray(0, end < 0 ? 15 : Math.min(end, 15))).toString('latin1');
    return 0n;
  }
  if (option === PR_GET_NAME) {
    const out = new Uint8Array(16);
    out.set(Buffer.from(t.comm ?? p.comm, 'latin1').subarray(0, 15));
    p.mem.write(addrOf(arg2), out);
    return 0n;
  }
  p.reportOnce(`prctl-${option}`, `prctl option ${option} is not supported: answered with -EINVAL`);
  return neg(EINVAL);
}

/** RLIMIT_NLIMITS: the resources there are (asm-generic/resource.h). */
const RLIM_NLIMITS = 16n;

/** Store resource's [soft, hard] at `rlim` as two words of `size` bytes. */
function getRlimit(p: LinuxProcess, resource: bigint, rlim: bigint, size: 4 | 8): bigint {
  if (resource >= RLIM_NLIMITS) return neg(EINVAL);
  const [soft, hard] = p.rlimits.get(Number(resource)) ?? [RLIM_INFINITY, RLIM_INFINITY];
  const max = (1n << BigInt(8 * size)) - 1n;
  const at = addrOf(rlim);
  p.mem.memWriteWord(at, size, soft > max ? max : soft, p.mem.littleEndian);
  p.mem.memWriteWord(at + size, size, hard > max ? max : hard, p.mem.littleEndian);
  return 0n;
}

/** New limits from `rlim` (two words of `size` bytes); the soft one may not pass the hard one. */
function setRlimit(p: LinuxProcess, resource: bigint, rlim: bigint, size: 4 | 8): bigint {
  if (resource >= RLIM_NLIMITS) return neg(EINVAL);
  const at = addrOf(rlim);
  const max = (1n << BigInt(8 * size)) - 1n;
  const word = (a: number): bigint => {
    const v = p.mem.memReadWord(a, size, p.mem.littleEndian);
    return v === max ? RLIM_INFINITY : v;
  };
  const soft = word(at);
  const hard = word(at + size);
  if (soft > hard) return neg(EINVAL);
  p.rlimits.set(Number(resource), [soft, hard]);
  return 0n;
}

function signalSelf(p: LinuxProcess, tgid: bigint, tid: bigint, sig: bigint): bigint | undefined {
  if (tgid !== BigInt(p.sched.tgid) || !p.sched.get(Number(tid))) return neg(EPERM);
  if (sig === 0n) return 0n;
  p.control.fatalSignal(
    Number(sig),
    p.isa.pcAfterSyscall(p.cpu),
    `signal ${sig} sent by the program to itself`,
    false,
  );
  return undefined;
}

/** Run one system call of the current task; writes its result unless the task blocked or left. */
export function doSyscall(p: LinuxProcess): void {
  const nr = p.isa.syscallNumber(p.cpu);
  const name = p.isa.syscalls.get(nr);
  const args = p.syscallArgs;
  p.isa.syscallArgs(p.cpu, args);
  let result: bigint | undefined;
  const h = name !== undefined ? handlers[name] : undefined;
  if (h) {
    try {
      result = h(p, args);
    } catch (e) {
      // A bad guest pointer in an argument: the kernel answers EFAULT.
      if (e instanceof MemoryFault) result = neg(EFAULT);
      else throw e;
    }
  } else {
    const arch = name !== undefined ? p.isa.archSyscall?.(name, args, p.syscallContext) : undefined;
    if (arch !== undefined) result = arch;
    else if (name !== undefined && QUIET_ENOSYS.has(name)) result = neg(ENOSYS);
    else if (name !== undefined && HOST_CALLS.has(name)) result = refuseHostCall(p, name, args);
    else {
      p.reportOnce(`sys-${nr}`, `unsupported system call ${name ?? 'number ' + nr}: answered with -ENOSYS`);
      result = neg(ENOSYS);
    }
  }
  if (result !== undefined) p.isa.setSyscallResult(p.cpu, result);
}
