// Counterpart: the file system calls of fs/read_write.c, fs/pipe.c, fs/fcntl.c, fs/file.c,
// fs/stat.c, fs/ioctl.c and fs/select.c, over the file table of emu/files.ts: the host's
// three standard streams, the guest's own pipes, and files of the root (emu/linux-fs.ts
// opens them).
import { addrOf } from './addr.js';
import {
  BrokenPipe,
  O_ACCMODE,
  O_APPEND,
  O_CLOEXEC,
  O_NONBLOCK,
  O_RDONLY,
  O_WRONLY,
  PIPE_BUF,
  pipeStat,
  type OpenFile,
  type Pipe,
  type StdFd,
} from './files.js';
import { deviceStat, RootFs } from './rootfs.js';
import { encodeStat, encodeStat64, fileStat, type FileStat } from './stat.js';
import type { LinuxProcess, SyscallArgs } from './process.js';
import {
  EAGAIN,
  EBADF,
  EFAULT,
  EINVAL,
  EISDIR,
  EMFILE,
  ENOTTY,
  EOVERFLOW,
  EPIPE,
  ESPIPE,
  neg,
} from './errno.js';

const SIGPIPE = 13;
const SIG_DFL = 0n;
const SIG_IGN = 1n;

/** The status flags F_SETFL may change (fs/fcntl.c SETFL_MASK, those that mean something here). */
const SETFL_MASK = O_APPEND | O_NONBLOCK;

const F_DUPFD = 0n;
const F_GETFD = 1n;
const F_SETFD = 2n;
const F_GETFL = 3n;
const F_SETFL = 4n;
const F_DUPFD_CLOEXEC = 1030n;
const F_SETPIPE_SZ = 1031n;
const F_GETPIPE_SZ = 1032n;
const FD_CLOEXEC = 1n;

const POLLIN = 0x1;
const POLLOUT = 0x4;
const POLLERR = 0x8;
const POLLHUP = 0x10;
const POLLNVAL = 0x20;
const POLLRDNORM = 0x40;
const POLLWRNORM = 0x100;

/** The most one read or write moves here (the kernel's MAX_RW_COUNT is about 2 GB). */
const MAX_RW = 1 << 24;
const MAX_WRITE = BigInt(MAX_RW);

/** The open file of `fd`, or undefined (EBADF). */
/** A count a read or write moves at once: at most MAX_RW. */
export const rwCount = (count: bigint): number => Number(count < MAX_WRITE ? count : MAX_WRITE);

export function fileOf(p: LinuxProcess, fd: bigint): OpenFile | undefined {
  return fd < 0n || fd > 0xffffffffn ? undefined : p.files.get(fd);
}

/** The handler of `signal` as the guest set it (SIG_DFL when it never did). */
function handlerOf(p: LinuxProcess, signal: number): bigint {
  const act = p.sigactions.get(signal);
  if (!act) return SIG_DFL;
  const v = new DataView(act.buffer, act.byteOffset, act.byteLength);
  return p.mem.wordSize === 8
    ? v.getBigUint64(0, p.mem.littleEndian)
    : BigInt(v.getUint32(0, p.mem.littleEndian));
}

/**
 * A write to a pipe with no reader: SIGPIPE, whose default action ends the thread group
 * (status 141), then EPIPE for a program that ignores it. A handler is not run (signals are
 * not delivered to handlers here): the write fails with EPIPE as if it were ignored.
 */
function brokenPipe(p: LinuxProcess): bigint {
  const h = BigInt.asUintN(64, handlerOf(p, SIGPIPE));
  if (h === SIG_DFL) {
    p.control.fatalSignal(SIGPIPE, p.isa.pcAfterSyscall(p.cpu), 'write to a pipe with no reader', false);
  } else if (h !== SIG_IGN) {
    p.reportOnce(
      'sigpipe-handler',
      'a SIGPIPE handler is not run: the write fails with -EPIPE as if ignored',
    );
  }
  return neg(EPIPE);
}

/** What a guest write of `bytes` to `fd` returns: a count, a negative errno, or undefined (it blocked). */
export function writeFd(p: LinuxProcess, fd: bigint, bytes: Uint8Array): bigint | undefined {
  const f = fileOf(p, fd);
  if (!f || (f.flags & O_ACCMODE) === O_RDONLY) return neg(EBADF);
  if (f.kind === 'std') {
    try {
      if (f.fd === 2) p.options.stderr(bytes);
      else p.options.stdout(bytes);
    } catch (e) {
      if (e instanceof BrokenPipe) return brokenPipe(p);
      throw e;
    }
    return BigInt(bytes.length);
  }
  // Writes to the devices go nowhere (to /dev/urandom they would only stir the pool).
  if (f.kind === 'dev') return BigInt(bytes.length);
  // Files of the root are open for reading only (their flags said so above).
  if (f.kind !== 'pipe') return neg(EBADF);
  const pipe = f.pipe;
  if (pipe.readers === 0) return brokenPipe(p);
  if (bytes.length === 0) return 0n;
  // Up to PIPE_BUF a write goes in whole or waits; a longer one puts in what fits.
  const fits = bytes.length <= PIPE_BUF ? (pipe.space >= bytes.length ? bytes.length : 0) : pipe.space;
  if (fits > 0) {
    pipe.push(bytes.subarray(0, fits));
    feedReaders(p, pipe);
    return BigInt(fits);
  }
  if ((f.flags & O_NONBLOCK) !== 0) return neg(EAGAIN);
  const t = p.sched.current;
  pipe.pendingWrites.push({ task: t, bytes: bytes.slice() });
  p.sched.block(t);
  p.control.requestSwitch();
  return undefined;
}

/** Give readers that wait on `pipe` what it holds, oldest first. */
function feedReaders(p: LinuxProcess, pipe: Pipe): void {
  while (pipe.pendingReads.length > 0 && pipe.size > 0) {
    const r = pipe.pendingReads.shift();
    if (!r) break;
    p.complete(r.task, deliver(p, r.buf, pipe.take(r.count)));
    drainWriters(p, pipe);
  }
}

/** Let writers that wait on `pipe` put what now fits, oldest first. */
function drainWriters(p: LinuxProcess, pipe: Pipe): void {
  while (pipe.pendingWrites.length > 0) {
    const w = pipe.pendingWrites[0];
    if (!w) break;
    const fits =
      w.bytes.length <= PIPE_BUF ? (pipe.space >= w.bytes.length ? w.bytes.length : 0) : pipe.space;
    if (fits === 0) break;
    pipe.pendingWrites.shift();
    pipe.push(w.bytes.subarray(0, fits));
    p.complete(w.task, BigInt(fits));
  }
}

/** Copy read bytes to the guest's buffer: their count, or EFAULT. */
function deliver(p: LinuxProcess, buf: number, bytes: Uint8Array): bigint {
  try {
    p.mem.write(buf, bytes);
  } catch {
    return neg(EFAULT);
  }
  return BigInt(bytes.length);
}

/**
 * A guest read of up to `count` bytes from `fd` into `buf`. Standard input waits only when
 * no other task can run (the host's read blocks the whole machine); otherwise the task
 * waits and the machine polls the host between switches (LinuxProcess.pollStdin).
 */
export function readFd(p: LinuxProcess, fd: bigint, buf: bigint, count: bigint): bigint | undefined {
  const f = fileOf(p, fd);
  if (!f || (f.flags & O_ACCMODE) === O_WRONLY) return neg(EBADF);
  if (count >= 1n << BigInt(p.mem.wordSize * 8 - 1)) return neg(EINVAL);
  const n = rwCount(count);
  const at = addrOf(buf);
  const nonblock = (f.flags & O_NONBLOCK) !== 0;
  const t = p.sched.current;
  if (f.kind === 'std') {
    if (n === 0) return 0n;
    if (p.stdinWaiters.length === 0) {
      const got = p.readStdin(n, !nonblock && !p.sched.hasRunnable());
      if (got !== 'again') return deliver(p, at, got);
    }
    if (nonblock) return neg(EAGAIN);
    p.stdinWaiters.push({ task: t, buf: at, count: n });
    p.sched.block(t);
    p.control.requestSwitch();
    return undefined;
  }
  if (f.kind === 'dir') return neg(EISDIR);
  if (f.kind === 'dev') {
    if (f.dev === 'null') return 0n;
    return deliver(p, at, f.dev === 'zero' ? new Uint8Array(n) : p.randomBytes(n));
  }
  if (f.kind === 'file') {
    const got = RootFs.pread(f.host, n, f.pos);
    f.pos += BigInt(got.length);
    return deliver(p, at, got);
  }
  const pipe = f.pipe;
  if (n === 0) return 0n;
  if (pipe.size > 0) {
    const r = deliver(p, at, pipe.take(n));
    drainWriters(p, pipe);
    return r;
  }
  if (pipe.writers === 0) return 0n;
  if (nonblock) return neg(EAGAIN);
  pipe.pendingReads.push({ task: t, buf: at, count: n });
  p.sched.block(t);
  p.control.requestSwitch();
  return undefined;
}

/** Close `fd`; the last close of a pipe's end ends what waits on the other. */
export function closeFd(p: LinuxProcess, fd: bigint): bigint {
  const f = fileOf(p, fd);
  if (!f) return neg(EBADF);
  p.files.remove(Number(fd));
  if (f.refs === 0) releaseFile(p, f);
  return 0n;
}

function releaseFile(p: LinuxProcess, f: OpenFile): void {
  if (f.kind === 'file') RootFs.close(f.host);
  if (f.kind !== 'pipe') return;
  const pipe = f.pipe;
  if (f.end === 'read') {
    pipe.readers--;
    if (pipe.readers > 0) return;
    // Writers that wait will never be read: they fail with EPIPE (and SIGPIPE).
    for (const w of pipe.pendingWrites.splice(0)) p.complete(w.task, neg(EPIPE));
  } else {
    pipe.writers--;
    if (pipe.writers > 0) return;
    // Readers that wait see the end of the pipe.
    for (const r of pipe.pendingReads.splice(0)) p.complete(r.task, 0n);
  }
}

function dupTo(p: LinuxProcess, oldFd: bigint, newFd: bigint, cloexec: boolean): bigint {
  const f = fileOf(p, oldFd);
  if (!f) return neg(EBADF);
  if (newFd < 0n || newFd >= rlimitNofile(p)) return neg(EBADF);
  const old = p.files.installAt(f, Number(newFd), cloexec);
  if (old && old !== f && old.refs === 0) releaseFile(p, old);
  else if (old === f) f.refs--;
  return newFd;
}

function dupLowest(p: LinuxProcess, fd: bigint, min: bigint, cloexec: boolean): bigint {
  const f = fileOf(p, fd);
  if (!f) return neg(EBADF);
  const limit = rlimitNofile(p);
  if (min < 0n || min >= limit) return neg(EINVAL);
  const got = p.files.install(f, cloexec, Number(limit), Number(min));
  return got === undefined ? neg(EMFILE) : BigInt(got);
}

/** RLIMIT_NOFILE's soft limit: fds at or above it cannot be made. */
function rlimitNofile(p: LinuxProcess): bigint {
  const soft = p.rlimits.get(7)?.[0] ?? 1024n;
  return soft < 1n << 20n ? soft : 1n << 20n;
}

function fcntl(p: LinuxProcess, fd: bigint, cmd: bigint, arg: bigint): bigint {
  const f = fileOf(p, fd);
  if (!f) return neg(EBADF);
  const i = Number(fd);
  switch (cmd) {
    case F_DUPFD:
      return dupLowest(p, fd, arg, false);
    case F_DUPFD_CLOEXEC:
      return dupLowest(p, fd, arg, true);
    case F_GETFD:
      return p.files.cloexec(i) ? FD_CLOEXEC : 0n;
    case F_SETFD:
      p.files.setCloexec(i, (arg & FD_CLOEXEC) !== 0n);
      return 0n;
    case F_GETFL:
      return BigInt(f.flags);
    case F_SETFL:
      f.flags = (f.flags & ~SETFL_MASK) | (Number(arg & 0xffffffffn) & SETFL_MASK);
      return 0n;
    case F_GETPIPE_SZ:
    case F_SETPIPE_SZ:
      return f.kind === 'pipe' ? 65536n : neg(EBADF);
    default:
      p.reportOnce(`fcntl-${cmd}`, `fcntl command ${cmd} is not supported: answered with -EINVAL`);
      return neg(EINVAL);
  }
}

function pipe2(p: LinuxProcess, fds: bigint, flags: bigint): bigint {
  if ((flags & ~BigInt(O_NONBLOCK | O_CLOEXEC)) !== 0n) return neg(EINVAL);
  const [r, w] = p.files.newPipe(Number(flags) & O_NONBLOCK);
  const cloexec = (flags & BigInt(O_CLOEXEC)) !== 0n;
  const limit = Number(rlimitNofile(p));
  const rfd = p.files.install(r, cloexec, limit);
  if (rfd === undefined) return neg(EMFILE);
  const wfd = p.files.install(w, cloexec, limit);
  if (wfd === undefined) {
    p.files.remove(rfd);
    return neg(EMFILE);
  }
  try {
    p.mem.writeU32(addrOf(fds), rfd);
    p.mem.writeU32(addrOf(fds) + 4, wfd);
  } catch {
    p.files.remove(rfd);
    p.files.remove(wfd);
    return neg(EFAULT);
  }
  return 0n;
}

const SEEK_SET = 0n;
const SEEK_CUR = 1n;
const SEEK_END = 2n;

/**
 * lseek: a file of the root moves its offset (past its end too); a directory goes back to
 * an entry by its index (what getdents64 gave as d_off); the standard streams and pipes
 * cannot seek.
 */
function lseek(p: LinuxProcess, fd: bigint, off: bigint, whence: bigint): bigint {
  const f = fileOf(p, fd);
  if (!f) return neg(EBADF);
  if (f.kind === 'dir') {
    if (u32(whence) !== SEEK_SET || off < 0n) return neg(EINVAL);
    f.pos = Number(off);
    return off;
  }
  // The devices keep no offset (null_lseek, noop_llseek).
  if (f.kind === 'dev') return 0n;
  if (f.kind !== 'file') return neg(ESPIPE);
  let base: bigint;
  switch (u32(whence)) {
    case SEEK_SET:
      base = 0n;
      break;
    case SEEK_CUR:
      base = f.pos;
      break;
    case SEEK_END:
      base = RootFs.fstat(f.host).size;
      break;
    default:
      return neg(EINVAL);
  }
  const to = base + off;
  if (to < 0n) return neg(EINVAL);
  f.pos = to;
  return to;
}

/** What fstat reports for an open file. */
function statOf(p: LinuxProcess, f: OpenFile): FileStat {
  switch (f.kind) {
    case 'std':
      return p.stdio.stat(f.fd);
    case 'pipe':
      return pipeStat(f.pipe.ino);
    case 'file':
      return fileStat(RootFs.fstat(f.host));
    case 'dir':
      return fileStat(RootFs.lstat(f.at));
    case 'dev':
      return deviceStat(f.dev);
  }
}

export function putStat(
  p: LinuxProcess,
  fd: bigint,
  buf: bigint,
  encode: (s: FileStat) => Uint8Array | undefined,
): bigint {
  const f = fileOf(p, fd);
  if (!f) return neg(EBADF);
  const bytes = encode(statOf(p, f));
  if (!bytes) return neg(EOVERFLOW);
  p.mem.write(addrOf(buf), bytes);
  return 0n;
}

/** ioctl on a standard stream or a pipe: terminal requests work where the host's fd is a terminal. */
function ioctl(p: LinuxProcess, fd: bigint, req: bigint, arg: bigint): bigint {
  const f = fileOf(p, fd);
  if (!f) return neg(EBADF);
  const name = p.isa.ioctls.get(Number(BigInt.asUintN(32, req)));
  const size = f.kind === 'std' ? p.stdio.terminal(f.fd as StdFd) : undefined;
  switch (name) {
    case 'FIONBIO':
      f.flags = p.mem.readU32(addrOf(arg)) !== 0 ? f.flags | O_NONBLOCK : f.flags & ~O_NONBLOCK;
      return 0n;
    case 'FIONREAD':
      if (f.kind !== 'pipe') return neg(ENOTTY);
      p.mem.writeU32(addrOf(arg), f.pipe.size);
      return 0n;
  }
  if (!size) return neg(ENOTTY);
  switch (name) {
    case 'TCGETS':
      p.mem.write(addrOf(arg), p.isa.termios);
      return 0n;
    case 'TCSETS':
    case 'TCSETSW':
    case 'TCSETSF':
      // The host terminal's modes stay as they are: the guest's change is taken, not applied.
      return 0n;
    case 'TIOCGWINSZ': {
      const ws = new Uint8Array(8);
      const v = new DataView(ws.buffer);
      v.setUint16(0, size.rows, p.mem.littleEndian);
      v.setUint16(2, size.cols, p.mem.littleEndian);
      p.mem.write(addrOf(arg), ws);
      return 0n;
    }
    case 'TIOCGPGRP':
      p.mem.writeU32(addrOf(arg), p.sched.tgid);
      return 0n;
    default:
      p.reportOnce(`ioctl-${req}`, `ioctl 0x${req.toString(16)} on a terminal is not supported: -ENOTTY`);
      return neg(ENOTTY);
  }
}

/** poll(2) readiness of one open file for `events`. */
function readiness(p: LinuxProcess, f: OpenFile | undefined, events: number): number {
  if (!f) return POLLNVAL;
  let r = 0;
  const wantIn = events & (POLLIN | POLLRDNORM);
  const wantOut = events & (POLLOUT | POLLWRNORM);
  if (f.kind === 'std') {
    if (f.fd === 0) {
      if (wantIn && p.stdinReady()) r |= wantIn;
    } else r |= wantOut;
    return r;
  }
  // A file of the root is always ready (as regular files are).
  if (f.kind !== 'pipe') return wantIn | wantOut;
  const pipe = f.pipe;
  if (f.end === 'read') {
    if (pipe.size > 0) r |= wantIn;
    if (pipe.writers === 0) r |= POLLHUP;
  } else {
    if (pipe.readers === 0) r |= POLLERR;
    else if (pipe.space >= PIPE_BUF) r |= wantOut;
  }
  return r;
}

/**
 * Nothing was ready: wait for standard input if it was asked for and nothing else can
 * run; else the timeout passes on the guest clock. A wait with no timeout on the guest's
 * own pipes alone returns 0 with a report (poll does not block on them).
 */
function pollWait(p: LinuxProcess, wantsStdin: boolean, timeoutNs: bigint | undefined): boolean {
  if (wantsStdin && !p.sched.hasRunnable() && timeoutNs === undefined) {
    p.waitStdin();
    return true;
  }
  if (timeoutNs !== undefined) p.clock.sleep(timeoutNs);
  else
    p.reportOnce(
      'poll-forever',
      'poll or select without a timeout on pipes only does not wait: it returns 0',
    );
  p.control.requestYield();
  return false;
}

function poll(p: LinuxProcess, fds: bigint, nfds: bigint, timeoutNs: bigint | undefined): bigint {
  if (nfds > rlimitNofile(p)) return neg(EINVAL);
  const base = addrOf(fds);
  const n = Number(nfds);
  const scan = (): number => {
    let ready = 0;
    for (let i = 0; i < n; i++) {
      const at = base + 8 * i;
      const fd = BigInt.asIntN(32, BigInt(p.mem.readU32(at)));
      const events = p.mem.readU16(at + 4);
      const r = fd < 0n ? 0 : readiness(p, fileOf(p, fd), events | POLLERR | POLLHUP);
      p.mem.writeU16(at + 6, r);
      if (r !== 0) ready++;
    }
    return ready;
  };
  let ready = scan();
  if (ready > 0 || timeoutNs === 0n) return BigInt(ready);
  let wantsStdin = false;
  for (let i = 0; i < n; i++) if (p.mem.readU32(base + 8 * i) === 0) wantsStdin = true;
  if (pollWait(p, wantsStdin, timeoutNs)) ready = scan();
  return BigInt(ready);
}

/** select(2) over fd_sets of words (the guest's byte order); `timeoutNs` undefined: no timeout. */
function select(
  p: LinuxProcess,
  nfds: bigint,
  sets: [bigint, bigint, bigint],
  timeoutNs: bigint | undefined,
): bigint {
  if (nfds < 0n || nfds > rlimitNofile(p)) return neg(EINVAL);
  const n = Number(nfds);
  const w = p.mem.wordSize;
  const bits = 8 * w;
  const words = Math.ceil(n / bits);
  const read = (set: bigint): bigint[] =>
    set === 0n ? [] : Array.from({ length: words }, (_, i) => p.mem.readWord(addrOf(set) + i * w));
  const want = sets.map(read);
  const isSet = (s: bigint[], fd: number) => ((s[Math.floor(fd / bits)] ?? 0n) >> BigInt(fd % bits)) & 1n;
  for (let fd = 0; fd < n; fd++) if (want.some((s) => isSet(s, fd)) && !p.files.get(fd)) return neg(EBADF);
  const scan = (): [bigint[][], number] => {
    const out = want.map((s) => s.map(() => 0n));
    let count = 0;
    for (let fd = 0; fd < n; fd++) {
      const f = p.files.get(fd);
      const masks = [POLLIN | POLLHUP, POLLOUT | POLLERR, 0];
      for (let k = 0; k < 3; k++) {
        const s = want[k] as bigint[];
        if (!isSet(s, fd) || k === 2) continue;
        if (readiness(p, f, masks[k] as number) !== 0) {
          const o = out[k] as bigint[];
          o[Math.floor(fd / bits)] = (o[Math.floor(fd / bits)] ?? 0n) | (1n << BigInt(fd % bits));
          count++;
        }
      }
    }
    return [out, count];
  };
  let [out, count] = scan();
  if (count === 0 && timeoutNs !== 0n) {
    if (pollWait(p, isSet(want[0] as bigint[], 0) === 1n, timeoutNs)) [out, count] = scan();
  }
  sets.forEach((set, k) => {
    if (set === 0n) return;
    (out[k] as bigint[]).forEach((v, i) => p.mem.writeWord(addrOf(set) + i * w, v));
  });
  return BigInt(count);
}

/** A struct timespec of `size`-byte fields at `at` in nanoseconds; undefined for a null pointer. */
export function readTimespec(p: LinuxProcess, at: bigint, size: 4 | 8): bigint | undefined {
  if (at === 0n) return undefined;
  const a = addrOf(at);
  const sec = BigInt.asIntN(size * 8, p.mem.memReadWord(a, size, p.mem.littleEndian));
  const nsec = BigInt.asIntN(size * 8, p.mem.memReadWord(a + size, size, p.mem.littleEndian));
  return sec * 1_000_000_000n + nsec;
}

/** A timeout in milliseconds (poll's int): undefined for a negative one (wait forever). */
const msTimeout = (ms: bigint): bigint | undefined => {
  const v = BigInt.asIntN(32, ms);
  return v < 0n ? undefined : v * 1_000_000n;
};

/** A struct timeval of words at `at`, in nanoseconds; undefined for a null pointer. */
function readTimeval(p: LinuxProcess, at: bigint): bigint | undefined {
  if (at === 0n) return undefined;
  const w = p.mem.wordSize;
  const sec = BigInt.asIntN(w * 8, p.mem.readWord(addrOf(at)));
  const usec = BigInt.asIntN(w * 8, p.mem.readWord(addrOf(at) + w));
  return sec * 1_000_000_000n + usec * 1000n;
}

type IoHandler = (p: LinuxProcess, a: SyscallArgs) => bigint | undefined;

/** An int argument, as the kernel reads it from its register (sign-extended, or unsigned). */
export const u32 = (v: bigint): bigint => BigInt.asUintN(32, v);
export const s32 = (v: bigint): bigint => BigInt.asIntN(32, v);

/** The handlers of emu/linux.ts for files, by the kernel's names. */
export const ioHandlers: Record<string, IoHandler> = {
  read: (p, [fd, buf, count]) => readFd(p, s32(fd), buf, count),
  readv: (p, [fd, iov, cnt]) => {
    // The first buffer with room gets what one read gives (a short read, as readv may return).
    const w = BigInt(p.mem.wordSize);
    for (let i = 0n; i < cnt && i < 1024n; i++) {
      const base = p.mem.readWord(addrOf(iov + i * 2n * w));
      const len = p.mem.readWord(addrOf(iov + i * 2n * w + w));
      if (len > 0n) return readFd(p, s32(fd), base, len);
    }
    return fileOf(p, s32(fd)) ? 0n : neg(EBADF);
  },
  write: (p, [fd, buf, count]) => {
    // A count with the sign bit set is EINVAL for the kernel (rw_verify_area); larger ones
    // are cut to what one call moves (MAX_RW_COUNT), here 16 MB.
    if (count >= 1n << BigInt(p.mem.wordSize * 8 - 1)) return neg(EINVAL);
    const n = rwCount(count);
    return writeFd(p, s32(fd), p.mem.read(addrOf(buf), n));
  },
  writev: (p, [fd, iov, cnt]) => {
    // UIO_MAXIOV and a total that must fit in ssize_t, as import_iovec checks.
    if (cnt > 1024n) return neg(EINVAL);
    const w = BigInt(p.mem.wordSize);
    const parts: Uint8Array[] = [];
    let total = 0n;
    for (let i = 0n; i < cnt; i++) {
      const base = p.mem.readWord(addrOf(iov + i * 2n * w));
      const len = p.mem.readWord(addrOf(iov + i * 2n * w + w));
      total += len;
      if (len >= 1n << BigInt(p.mem.wordSize * 8 - 1) || total >= 1n << BigInt(p.mem.wordSize * 8 - 1))
        return neg(EINVAL);
      if (total > MAX_WRITE) break;
      parts.push(p.mem.read(addrOf(base), Number(len)));
    }
    return writeFd(p, s32(fd), Buffer.concat(parts));
  },
  close: (p, [fd]) => closeFd(p, s32(fd)),
  dup: (p, [fd]) => dupLowest(p, s32(fd), 0n, false),
  dup2: (p, [oldFd, newFd]) => {
    if (!fileOf(p, s32(oldFd))) return neg(EBADF);
    return s32(oldFd) === s32(newFd) ? s32(newFd) : dupTo(p, s32(oldFd), s32(newFd), false);
  },
  dup3: (p, [oldFd, newFd, flags]) => {
    if (s32(oldFd) === s32(newFd) || (u32(flags) & ~BigInt(O_CLOEXEC)) !== 0n) return neg(EINVAL);
    return dupTo(p, s32(oldFd), s32(newFd), (u32(flags) & BigInt(O_CLOEXEC)) !== 0n);
  },
  fcntl: (p, [fd, cmd, arg]) => fcntl(p, s32(fd), u32(cmd), arg),
  fcntl64: (p, [fd, cmd, arg]) => fcntl(p, s32(fd), u32(cmd), arg),
  pipe: (p, [fds]) => pipe2(p, fds, 0n),
  pipe2: (p, [fds, flags]) => pipe2(p, fds, u32(flags)),
  lseek: (p, [fd, off, whence]) =>
    lseek(p, s32(fd), p.mem.wordSize === 4 ? s32(off) : BigInt.asIntN(64, off), whence),
  _llseek: (p, [fd, high, low, result, whence]) => {
    const to = lseek(p, s32(fd), BigInt.asIntN(64, (u32(high) << 32n) | u32(low)), whence);
    if (to < 0n) return to;
    p.mem.memWriteWord(addrOf(result), 8, to, p.mem.littleEndian);
    return 0n;
  },
  fstat: (p, [fd, buf]) => putStat(p, s32(fd), buf, (s) => encodeStat(p.isa.statLayout, s)),
  fstat64: (p, [fd, buf]) => putStat(p, s32(fd), buf, (s) => encodeStat64(p.isa.statLayout, s)),
  ioctl: (p, [fd, req, arg]) => ioctl(p, s32(fd), req, arg),
  poll: (p, [fds, nfds, timeout]) => poll(p, fds, u32(nfds), msTimeout(timeout)),
  ppoll: (p, [fds, nfds, ts]) => poll(p, fds, u32(nfds), readTimespec(p, ts, p.mem.wordSize)),
  ppoll_time64: (p, [fds, nfds, ts]) => poll(p, fds, u32(nfds), readTimespec(p, ts, 8)),
  select: (p, [n, r, w, e, tv]) => select(p, s32(n), [r, w, e], readTimeval(p, tv)),
  _newselect: (p, [n, r, w, e, tv]) => select(p, s32(n), [r, w, e], readTimeval(p, tv)),
  pselect6: (p, [n, r, w, e, ts]) => select(p, s32(n), [r, w, e], readTimespec(p, ts, p.mem.wordSize)),
  pselect6_time64: (p, [n, r, w, e, ts]) => select(p, s32(n), [r, w, e], readTimespec(p, ts, 8)),
};
