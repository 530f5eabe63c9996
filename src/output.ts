// Writing to file descriptors synchronously: the guest runs inside a synchronous call, so
// nothing asynchronous (a stream's callbacks) would run until it stops.
import { writeSync } from 'node:fs';

/** Lines to a file descriptor, encoded straight into a 64 KB buffer written when full (and on flush). */
export function blockWriter(fd: number): ((l: string) => void) & { flush: () => void } {
  const out = Buffer.allocUnsafe(1 << 16);
  let n = 0;
  const flush = () => {
    if (n > 0) writeAll(fd, out.subarray(0, n));
    n = 0;
  };
  const w = (l: string) => {
    // At most 3 bytes of UTF-8 per UTF-16 unit, and the newline.
    if (n + 3 * l.length + 1 > out.length) {
      flush();
      if (3 * l.length + 1 > out.length) {
        writeAll(fd, Buffer.from(`${l}\n`));
        return;
      }
    }
    n += out.write(l, n);
    out[n++] = 10;
  };
  return Object.assign(w, { flush });
}

/** Write all of `bytes` to a file descriptor (keeps stdout and stderr in order). */
export function writeAll(fd: number, bytes: Uint8Array): void {
  let off = 0;
  while (off < bytes.length) {
    try {
      off += writeSync(fd, bytes, off, bytes.length - off);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EAGAIN') continue;
      if (code === 'EPIPE') return;
      throw e;
    }
  }
}
