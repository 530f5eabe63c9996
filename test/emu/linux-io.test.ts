// File system calls over the file table: the standard streams, pipes between tasks, dup,
// fcntl, fstat, ioctl and poll, as Linux answers them (fs/pipe.c, fs/fcntl.c, fs/stat.c).
import { describe, expect, it, vi } from 'vitest';
import { pipeStdio, BrokenPipe, type HostStdio } from '../../emu/files.js';
import type { FileStat } from '../../emu/stat.js';
import type { Machine } from '../../emu/machine.js';
import { ISAS, type IsaName } from '../helpers.js';
import { machineFor, scratch, sys } from './guest-calls.js';

const EBADF = 9;
const EAGAIN = 11;
const EINVAL = 22;
const ENOTTY = 25;
const EPIPE = 32;
const ESPIPE = 29;
const EACCES = 13;

const text = (s: string) => new TextEncoder().encode(s);

function put(m: Machine, at: number, s: string): void {
  m.mem.write(at, text(s));
}

function get(m: Machine, at: number, n: number): string {
  return Buffer.from(m.mem.read(at, n)).toString('latin1');
}

/** fds [r, w] of a new pipe made by the guest. */
function pipe(m: Machine, isa: IsaName, buf: number, flags = 0): [number, number] {
  expect(sys(m, isa, 'pipe2', [buf, flags])).toBe(0);
  return [m.mem.readU32(buf), m.mem.readU32(buf + 4)];
}

describe.each(ISAS)('%s: pipes', (isa) => {
  it('a pipe carries bytes in order and reads its end once the write end is closed', () => {
    const { m } = machineFor(isa, 'hello');
    try {
      const b = scratch(m, isa);
      const [r, w] = pipe(m, isa, b);
      expect([r, w]).toEqual([3, 4]);
      put(m, b + 100, 'hello pipe');
      expect(sys(m, isa, 'write', [w, b + 100, 5])).toBe(5);
      expect(sys(m, isa, 'write', [w, b + 105, 5])).toBe(5);
      expect(sys(m, isa, 'read', [r, b + 200, 3])).toBe(3);
      expect(get(m, b + 200, 3)).toBe('hel');
      expect(sys(m, isa, 'read', [r, b + 200, 64])).toBe(7);
      expect(get(m, b + 200, 7)).toBe('lo pipe');
      expect(sys(m, isa, 'close', [w])).toBe(0);
      expect(sys(m, isa, 'read', [r, b + 200, 64])).toBe(0);
      expect(sys(m, isa, 'close', [w])).toBe(-EBADF);
    } finally {
      m.close();
    }
  });

  it('an empty pipe with O_NONBLOCK says EAGAIN; without it the reader waits and a writer wakes it', () => {
    const { m } = machineFor(isa, 'hello');
    try {
      const b = scratch(m, isa);
      const [r, w] = pipe(m, isa, b, 0o4000);
      expect(sys(m, isa, 'read', [r, b + 200, 8])).toBe(-EAGAIN);
      expect(sys(m, isa, 'fcntl', [r, 4, 0])).toBe(0);
      // The reader blocks: no result yet, the task waits.
      const reader = m.sched.current;
      sys(m, isa, 'read', [r, b + 200, 8]);
      expect(reader.state).toBe('blocked');
      // Another task writes (the same address space): the reader gets the bytes.
      const writer = m.sched.spawn();
      m.sched.current = writer;
      put(m, b + 100, 'wake');
      expect(sys(m, isa, 'write', [w, b + 100, 4])).toBe(4);
      expect(reader.state).toBe('ready');
      expect(get(m, b + 200, 4)).toBe('wake');
      expect(reader.resume).toBeTypeOf('function');
    } finally {
      m.close();
    }
  });

  it('a write to a pipe with no reader raises SIGPIPE (status 141); ignored, it fails with EPIPE', () => {
    const { m } = machineFor(isa, 'hello');
    try {
      const b = scratch(m, isa);
      const [r, w] = pipe(m, isa, b);
      expect(sys(m, isa, 'close', [r])).toBe(0);
      // SIG_IGN for SIGPIPE: struct sigaction's first word is the handler.
      m.mem.write(b + 300, new Uint8Array(64));
      m.mem.writeWord(b + 300, 1n);
      expect(sys(m, isa, 'rt_sigaction', [13, b + 300, 0, 8])).toBe(0);
      expect(sys(m, isa, 'write', [w, b, 1])).toBe(-EPIPE);
      // Back to SIG_DFL: the same write ends the program with SIGPIPE.
      m.mem.writeWord(b + 300, 0n);
      expect(sys(m, isa, 'rt_sigaction', [13, b + 300, b + 400, 8])).toBe(0);
      expect(m.mem.readWord(b + 400)).toBe(1n);
      const fatal = vi.spyOn(m, 'fatalSignal');
      expect(sys(m, isa, 'write', [w, b, 1])).toBe(-EPIPE);
      expect(fatal).toHaveBeenCalledOnce();
      expect(fatal.mock.calls[0]?.[0]).toBe(13);
    } finally {
      m.close();
    }
  });

  it('stdout whose reader has gone: EPIPE and SIGPIPE too', () => {
    const { m } = machineFor(isa, 'hello', {
      stdout: () => {
        throw new BrokenPipe();
      },
    });
    try {
      const b = scratch(m, isa);
      m.mem.writeWord(b + 300, 1n);
      expect(sys(m, isa, 'rt_sigaction', [13, b + 300, 0, 8])).toBe(0);
      expect(sys(m, isa, 'write', [1, b, 1])).toBe(-EPIPE);
    } finally {
      m.close();
    }
  });
});

describe.each(ISAS)('%s: file descriptors', (isa) => {
  it('dup, dup2, dup3 and fcntl share one open file; writes through a copy reach stdout', () => {
    const { m, out } = machineFor(isa, 'hello');
    try {
      const b = scratch(m, isa);
      put(m, b, 'via dup\n');
      expect(sys(m, isa, 'dup', [1])).toBe(3);
      expect(sys(m, isa, 'write', [3, b, 8])).toBe(8);
      expect(sys(m, isa, 'dup3', [1, 7, 0o2000000])).toBe(7);
      expect(sys(m, isa, 'fcntl', [7, 1, 0])).toBe(1); // F_GETFD: FD_CLOEXEC
      expect(sys(m, isa, 'fcntl', [3, 1, 0])).toBe(0);
      expect(sys(m, isa, 'fcntl', [1, 0, 10])).toBe(10); // F_DUPFD from 10
      expect(sys(m, isa, 'fcntl', [1, 3, 0])).toBe(1); // F_GETFL: O_WRONLY
      expect(sys(m, isa, 'fcntl', [0, 3, 0])).toBe(0); // O_RDONLY
      expect(sys(m, isa, 'dup3', [1, 1, 0])).toBe(-EINVAL);
      expect(sys(m, isa, 'dup2', [1, 1])).toBe(1);
      expect(sys(m, isa, 'dup2', [42, 5])).toBe(-EBADF);
      expect(sys(m, isa, 'close', [1])).toBe(0);
      expect(sys(m, isa, 'write', [1, b, 8])).toBe(-EBADF);
      expect(sys(m, isa, 'write', [10, b, 8])).toBe(8);
      expect(sys(m, isa, 'write', [0, b, 8])).toBe(-EBADF);
      expect(sys(m, isa, 'lseek', [0, 0, 1])).toBe(-ESPIPE);
      expect(out()).toBe('via dup\nvia dup\n');
    } finally {
      m.close();
    }
  });

  it('stdin: what the host gives, then its end; reads of other tasks wait for it', () => {
    const { m } = machineFor(isa, 'hello', { stdio: pipeStdio(text('line one\nline two\n')) });
    try {
      const b = scratch(m, isa);
      expect(sys(m, isa, 'read', [0, b, 9])).toBe(9);
      expect(get(m, b, 9)).toBe('line one\n');
      expect(sys(m, isa, 'read', [0, b, 100])).toBe(9);
      expect(sys(m, isa, 'read', [0, b, 100])).toBe(0);
    } finally {
      m.close();
    }
  });

  it('a read of stdin waits (the task blocks) while other tasks can run, and completes when input comes', () => {
    const chunks: (Uint8Array | 'again')[] = ['again', text('late')];
    const waits: boolean[] = [];
    const stdio: HostStdio = {
      ...pipeStdio(),
      readStdin: (_max, wait) => {
        waits.push(wait);
        return chunks.shift() ?? new Uint8Array(0);
      },
    };
    const { m } = machineFor(isa, 'hello', { stdio });
    try {
      const b = scratch(m, isa);
      const reader = m.sched.current;
      m.sched.spawn(); // another runnable task: the host read must not wait
      sys(m, isa, 'read', [0, b, 16]);
      expect(waits).toEqual([false]);
      expect(reader.state).toBe('blocked');
      expect(m.process.stdinWaiters).toHaveLength(1);
      // Between switches the machine looks again: the input has come.
      expect(m.process.pollStdin(false)).toBe(1);
      expect(reader.state).toBe('ready');
      expect(get(m, b, 4)).toBe('late');
    } finally {
      m.close();
    }
  });

  it('fstat says what the host fd is; ioctl TCGETS is ENOTTY on a pipe and works on a terminal', () => {
    const chr: FileStat = { ...pipeStdio().stat(1), mode: 0o020620, rdev: (136n << 8n) | 3n };
    const tty: HostStdio = {
      ...pipeStdio(),
      stat: (fd) => (fd === 1 ? chr : pipeStdio().stat(fd)),
      terminal: (fd) => (fd === 1 ? { rows: 50, cols: 132 } : undefined),
    };
    const { m } = machineFor(isa, 'hello', { stdio: tty });
    try {
      const b = scratch(m, isa);
      const fstat = isa === 'i386' ? 'fstat64' : 'fstat';
      // st_mode's offset: x86_64 24, ppc64 24, i386's stat64 16.
      const modeAt = isa === 'i386' ? 16 : 24;
      expect(sys(m, isa, fstat, [0, b])).toBe(0);
      expect(m.mem.readU32(b + modeAt) & 0o170000).toBe(0o010000);
      expect(sys(m, isa, fstat, [1, b])).toBe(0);
      expect(m.mem.readU32(b + modeAt) & 0o170000).toBe(0o020000);
      const ioctl = (name: string) => [...m.isa.ioctls].find(([, n]) => n === name)?.[0] ?? -1;
      const [TCGETS, TIOCGWINSZ] = [ioctl('TCGETS'), ioctl('TIOCGWINSZ')];
      expect(sys(m, isa, 'ioctl', [0, TCGETS, b])).toBe(-ENOTTY);
      expect(sys(m, isa, 'ioctl', [1, TCGETS, b])).toBe(0);
      expect(get(m, b, m.isa.termios.length)).toBe(Buffer.from(m.isa.termios).toString('latin1'));
      expect(sys(m, isa, 'ioctl', [1, TIOCGWINSZ, b])).toBe(0);
      expect([m.mem.readU16(b), m.mem.readU16(b + 2)]).toEqual([50, 132]);
      // A path is the host's: refused like open.
      put(m, b + 100, '/etc/passwd\0');
      expect(sys(m, isa, isa === 'i386' ? 'fstatat64' : 'newfstatat', [-100, b + 100, b, 0])).toBe(-EACCES);
      put(m, b + 100, '\0');
      expect(sys(m, isa, isa === 'i386' ? 'fstatat64' : 'newfstatat', [1, b + 100, b, 0x1000])).toBe(0);
      expect(m.mem.readU32(b + modeAt) & 0o170000).toBe(0o020000);
    } finally {
      m.close();
    }
  });

  it('poll: stdout is writable, stdin readable once input is there', () => {
    const { m } = machineFor(isa, 'hello', { stdio: pipeStdio(text('x')) });
    try {
      const b = scratch(m, isa);
      // struct pollfd { int fd; short events; short revents; } x 2
      m.mem.writeU32(b, 0);
      m.mem.writeU16(b + 4, 1);
      m.mem.writeU32(b + 8, 1);
      m.mem.writeU16(b + 12, 4);
      expect(sys(m, isa, 'poll', [b, 2, 0])).toBe(2);
      expect([m.mem.readU16(b + 6), m.mem.readU16(b + 14)]).toEqual([1, 4]);
    } finally {
      m.close();
    }
  });
});
