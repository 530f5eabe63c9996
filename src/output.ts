// Writing to file descriptors synchronously: the guest runs inside a synchronous call, so
// nothing asynchronous (a stream's callbacks) would run until it stops.
import { writeSync } from 'node:fs';

/**
 * Lines to a file descriptor, written in blocks. Text lines are gathered as a string and
 * encoded a block at a time (one encoding of a long string costs far less than one per
 * line); a writer that has its bytes ready puts them straight into the block (`reserve`,
 * then `buf` and `n`). Both kinds keep their order.
 */
export class BlockWriter {
  static readonly SIZE = 1 << 16;
  /** The block; bytes up to `n` are waiting to be written. */
  readonly buf = Buffer.allocUnsafe(BlockWriter.SIZE);
  n = 0;
  private text = '';
  /** `fd` may be set later (a file opened only once a run starts); nothing is written before. */
  constructor(public fd: number) {}

  /** A line of text (the newline is added). */
  line(l: string): void {
    this.text += l;
    this.text += '\n';
    if (this.text.length >= BlockWriter.SIZE >> 3) this.encodeText();
  }

  /**
   * Room for `size` more bytes at `n` (false when a block cannot hold them: write a text
   * line instead). Text lines waiting are encoded first, so the bytes come after them.
   */
  reserve(size: number): boolean {
    if (this.text.length > 0) this.encodeText();
    if (this.n + size <= BlockWriter.SIZE) return true;
    this.writeBlock();
    return size <= BlockWriter.SIZE;
  }

  /** Everything waiting, to the file descriptor. */
  flush(): void {
    if (this.text.length > 0) this.encodeText();
    this.writeBlock();
  }

  private encodeText(): void {
    const t = this.text;
    this.text = '';
    // At most 3 bytes of UTF-8 per UTF-16 unit.
    if (this.n + 3 * t.length > BlockWriter.SIZE) this.writeBlock();
    if (3 * t.length <= BlockWriter.SIZE) this.n += this.buf.write(t, this.n);
    else writeAll(this.fd, Buffer.from(t));
  }

  private writeBlock(): void {
    if (this.n > 0) writeAll(this.fd, this.buf.subarray(0, this.n));
    this.n = 0;
  }
}

/** A BlockWriter as a function of a line, with its flush. */
export function blockWriter(fd: number): ((l: string) => void) & { flush: () => void; block: BlockWriter } {
  const b = new BlockWriter(fd);
  return Object.assign((l: string) => b.line(l), { flush: () => b.flush(), block: b });
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
