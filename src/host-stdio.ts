// Counterpart: qemu-user's and strace's pass-through of fds 0-2: the guest's standard
// streams are the host's own (emu/files.ts's HostStdio over real file descriptors).
import { closeSync, constants, fstatSync, openSync, readSync, writeSync } from 'node:fs';
import { isatty } from 'node:tty';
import { BrokenPipe, type HostStdio, type StdFd, type WindowSize } from '../emu/files.js';
import { fileStat, type FileStat } from '../emu/stat.js';

const sleepMs = (ms: number): void => {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
};

const code = (e: unknown): string | undefined => (e as NodeJS.ErrnoException).code;

/**
 * The host's standard streams for a guest: stdin from `stdinFd` (0, or a file given with
 * --stdin), stdout and stderr the host's fds 1 and 2. Reading a pipe or terminal without
 * waiting goes through a second, non-blocking open of the same file (/proc/self/fd/N), so
 * the host's own descriptor keeps its flags.
 */
export function hostStdio(stdinFd = 0): HostStdio & { close(): void } {
  const isFile = (() => {
    try {
      return fstatSync(stdinFd).isFile();
    } catch {
      return false;
    }
  })();
  let nonblocking: number | undefined | null;
  const readInto = (fd: number, max: number): Uint8Array => {
    const buf = Buffer.allocUnsafe(Math.min(max, 1 << 20));
    const n = readSync(fd, buf, 0, buf.length, null);
    return buf.subarray(0, n);
  };
  return {
    readStdin(max, wait) {
      if (isFile || wait) {
        for (;;) {
          try {
            return readInto(stdinFd, max);
          } catch (e) {
            if (code(e) === 'EAGAIN') {
              sleepMs(5);
              continue;
            }
            // A closed or unreadable stdin reads as its end.
            if (code(e) === 'EBADF' || code(e) === 'EIO' || code(e) === 'EISDIR') return new Uint8Array(0);
            throw e;
          }
        }
      }
      if (nonblocking === undefined) {
        try {
          nonblocking = openSync(`/proc/self/fd/${stdinFd}`, constants.O_RDONLY | constants.O_NONBLOCK);
        } catch {
          nonblocking = null;
        }
      }
      if (nonblocking === null) return this.readStdin(max, true);
      try {
        return readInto(nonblocking, max);
      } catch (e) {
        if (code(e) === 'EAGAIN') return 'again';
        if (code(e) === 'EBADF' || code(e) === 'EIO') return new Uint8Array(0);
        throw e;
      }
    },
    stat(fd: StdFd): FileStat {
      return fileStat(fstatSync(fd === 0 ? stdinFd : fd, { bigint: true }));
    },
    terminal(fd: StdFd): WindowSize | undefined {
      if (!isatty(fd === 0 ? stdinFd : fd)) return undefined;
      const tty = isatty(1) ? process.stdout : isatty(2) ? process.stderr : undefined;
      return { rows: tty?.rows ?? 24, cols: tty?.columns ?? 80 };
    },
    close() {
      if (typeof nonblocking === 'number') closeSync(nonblocking);
      if (stdinFd !== 0) closeSync(stdinFd);
    },
  };
}

/** A guest's write to the host's fd 1 or 2: all of it, or BrokenPipe when the reader has gone. */
export function guestWriter(fd: 1 | 2): (bytes: Uint8Array) => void {
  return (bytes) => {
    let off = 0;
    while (off < bytes.length) {
      try {
        off += writeSync(fd, bytes, off, bytes.length - off);
      } catch (e) {
        if (code(e) === 'EAGAIN') {
          sleepMs(1);
          continue;
        }
        if (code(e) === 'EPIPE') throw new BrokenPipe();
        throw e;
      }
    }
  };
}
