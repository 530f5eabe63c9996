// Counterpart: a process's file table and its pipes (fs/file.c's files_struct, fs/pipe.c),
// as a user-mode emulator keeps them: the three standard streams the host lends the guest,
// pipes the guest makes between its own threads, and files and directories of the root
// (--root, emu/rootfs.ts) it opens for reading.
import type { DeviceName, DirEntry, Resolved } from './rootfs.js';
import { syntheticStat, type FileStat } from './stat.js';
import type { Task } from './tasks.js';

/** The reader of the guest's stdout or stderr went away (a closed pipe): the write gets EPIPE. */
export class BrokenPipe extends Error {
  constructor() {
    super('the reader of the pipe has gone');
    this.name = 'BrokenPipe';
  }
}

export type StdFd = 0 | 1 | 2;

/** A terminal's size in characters, as TIOCGWINSZ reports it. */
export interface WindowSize {
  rows: number;
  cols: number;
}

/**
 * What the host lends the guest as its standard streams, apart from the writes (the
 * machine's `stdout` and `stderr` callbacks).
 */
export interface HostStdio {
  /**
   * Up to `max` bytes of standard input: an empty array at its end, 'again' when nothing
   * has come yet and `wait` is false (with `wait` true the call waits for input).
   */
  readStdin(max: number, wait: boolean): Uint8Array | 'again';
  /** What fstat reports for fd 0, 1 or 2: the host's own fd (a pipe, a file, a terminal). */
  stat(fd: StdFd): FileStat;
  /** The terminal's size when the fd is a terminal; undefined when it is not (ENOTTY). */
  terminal(fd: StdFd): WindowSize | undefined;
}

/** When nothing says otherwise: stdin holds `input` (empty by default), fds 0-2 are pipes. */
export function pipeStdio(input: Uint8Array = new Uint8Array(0)): HostStdio {
  let at = 0;
  return {
    readStdin(max) {
      const n = Math.min(max, input.length - at);
      at += n;
      return input.slice(at - n, at);
    },
    stat: (fd) => pipeStat(BigInt(fd + 1)),
    terminal: () => undefined,
  };
}

const S_IFIFO = 0o010000;
/** The pipefs device of a 6.1 kernel (major 0, minor 12), as fstat of a pipe shows it. */
const PIPEFS_DEV = 12n;

/** A pipe as fstat describes it: a FIFO of pipefs, owned by root, mode 0600. */
export function pipeStat(ino: bigint): FileStat {
  return syntheticStat(PIPEFS_DEV, ino, S_IFIFO | 0o600);
}

/** A read a task blocked in: where its bytes go when they come. */
export interface PendingRead {
  task: Task;
  buf: number;
  count: number;
}

/** A write a task blocked in (the pipe was full): the bytes it still has to put. */
export interface PendingWrite {
  task: Task;
  bytes: Uint8Array;
}

/** PIPE_BUF: writes up to this size go into a pipe whole or not at all. */
export const PIPE_BUF = 4096;

/** A pipe: a buffer of 64 KiB (the kernel's default of 16 pages) with its two ends. */
export class Pipe {
  static readonly CAPACITY = 65536;
  private chunks: Uint8Array[] = [];
  size = 0;
  readers = 0;
  writers = 0;
  readonly pendingReads: PendingRead[] = [];
  readonly pendingWrites: PendingWrite[] = [];

  constructor(readonly ino: bigint) {}

  get space(): number {
    return Pipe.CAPACITY - this.size;
  }

  push(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    this.chunks.push(bytes.slice());
    this.size += bytes.length;
  }

  /** Up to `max` bytes from the front of the buffer. */
  take(max: number): Uint8Array {
    const n = Math.min(max, this.size);
    const out = new Uint8Array(n);
    let at = 0;
    while (at < n) {
      const c = this.chunks[0] as Uint8Array;
      const k = Math.min(c.length, n - at);
      out.set(c.subarray(0, k), at);
      at += k;
      if (k === c.length) this.chunks.shift();
      else this.chunks[0] = c.subarray(k);
    }
    this.size -= n;
    return out;
  }
}

/** An open file description: what dup'd fds share (the kernel's struct file). */
export type OpenFile =
  | { kind: 'std'; fd: StdFd; flags: number; refs: number }
  | { kind: 'pipe'; end: 'read' | 'write'; pipe: Pipe; flags: number; refs: number }
  /** A file of the root, read through the host's fd `host` (opened read-only), at `pos`. */
  | { kind: 'file'; host: number; pos: bigint; path: string; flags: number; refs: number }
  /** /dev/null, /dev/zero or /dev/urandom of a root: served here, never the host's. */
  | { kind: 'dev'; dev: DeviceName; flags: number; refs: number }
  /** A directory of the root: its entries, read on the first getdents, and the next one's index. */
  | { kind: 'dir'; at: Resolved; entries: DirEntry[] | undefined; pos: number; flags: number; refs: number };

interface FdEntry {
  file: OpenFile;
  cloexec: boolean;
}

/** O_ACCMODE values and the status flags fcntl(F_SETFL) may change (O_APPEND, O_NONBLOCK...). */
export const O_RDONLY = 0;
export const O_WRONLY = 1;
export const O_RDWR = 2;
export const O_ACCMODE = 3;
export const O_APPEND = 0o2000;
export const O_NONBLOCK = 0o4000;
export const O_CLOEXEC = 0o2000000;

/** The file table: fds 0-2 are the host's streams at start; pipes come from pipe/pipe2. */
export class FdTable {
  private readonly fds: (FdEntry | undefined)[] = [];
  private nextIno = 1000n;

  constructor() {
    for (const fd of [0, 1, 2] as const)
      this.fds[fd] = {
        file: { kind: 'std', fd, flags: fd === 0 ? O_RDONLY : O_WRONLY, refs: 1 },
        cloexec: false,
      };
  }

  get(fd: bigint | number): OpenFile | undefined {
    const i = Number(fd);
    return Number.isInteger(i) && i >= 0 ? this.fds[i]?.file : undefined;
  }

  cloexec(fd: number): boolean {
    return this.fds[fd]?.cloexec ?? false;
  }

  setCloexec(fd: number, on: boolean): void {
    const e = this.fds[fd];
    if (e) e.cloexec = on;
  }

  /** Open fds, ascending. */
  open(): number[] {
    const out: number[] = [];
    this.fds.forEach((e, i) => {
      if (e) out.push(i);
    });
    return out;
  }

  /** Install `file` at the lowest free fd at or above `min`, below `limit`; undefined when none is (EMFILE). */
  install(file: OpenFile, cloexec: boolean, limit: number, min = 0): number | undefined {
    let fd = min;
    while (this.fds[fd]) fd++;
    if (fd >= limit) return undefined;
    file.refs++;
    this.fds[fd] = { file, cloexec };
    return fd;
  }

  /** Put `file` at exactly `fd`, closing what was there (dup2); returns the file that fd closed, if any. */
  installAt(file: OpenFile, fd: number, cloexec: boolean): OpenFile | undefined {
    const old = this.fds[fd]?.file;
    file.refs++;
    this.fds[fd] = { file, cloexec };
    if (old) old.refs--;
    return old;
  }

  /** Remove `fd`; returns its description (refs dropped) or undefined when it was not open. */
  remove(fd: number): OpenFile | undefined {
    const e = this.fds[fd];
    if (!e) return undefined;
    this.fds[fd] = undefined;
    e.file.refs--;
    return e.file;
  }

  /** A new pipe's two descriptions (not yet installed: `install` counts their references). */
  newPipe(flags: number): [OpenFile, OpenFile] {
    const pipe = new Pipe(this.nextIno++);
    pipe.readers = 1;
    pipe.writers = 1;
    return [
      { kind: 'pipe', end: 'read', pipe, flags: O_RDONLY | flags, refs: 0 },
      { kind: 'pipe', end: 'write', pipe, flags: O_WRONLY | flags, refs: 0 },
    ];
  }
}
