// The machine: tasks and scheduling, system calls, limits, engine set-up per ISA.
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openEngineCount } from '../../emu/unicorn.js';
import { PPC_REG } from '../../arch/ppc64/isa.js';
import { X86_REG } from '../../arch/x86/isa.js';
import { ENOSYS } from '../../emu/errno.js';
import { fixture, ISAS, joinedRegExp, runCaptured } from '../helpers.js';
import { machineFor, syscallIn } from './guest-calls.js';

describe.each(ISAS)('%s machine', (isa) => {
  it('announces every task exit once, threads first and the main task last', async () => {
    const { m, out } = machineFor(isa, 'threads');
    const exits: number[] = [];
    m.sched.onExit((t) => exits.push(t.tid));
    const stop = m.run();
    m.close();
    expect(stop).toEqual({ kind: 'exit', status: 0 });
    expect(out()).toContain('total');
    expect(exits).toHaveLength(4);
    expect(new Set(exits).size).toBe(4);
    expect(exits[3]).toBe(1000);
  });

  it('a thread that exits inside a function is announced and joined', () => {
    const { m } = machineFor(isa, 'thread_exit');
    const exits: number[] = [];
    m.sched.onExit((t) => exits.push(t.tid));
    expect(m.run()).toEqual({ kind: 'exit', status: 0 });
    m.close();
    expect(exits).toEqual([1001, 1000]);
  });

  it('the same program and quantum give the same interleaving every run', async () => {
    const order = async () => {
      const { m, out } = machineFor(isa, 'threads', { quantum: 333 });
      const seen: string[] = [];
      // Task switches are visible as the sequence of tids that make system calls.
      const orig = m.isa.syscallNumber.bind(m.isa);
      m.isa.syscallNumber = (cpu) => {
        seen.push(`${m.sched.current.tid}`);
        return orig(cpu);
      };
      const stop = m.run();
      m.close();
      return { stop, out: out(), seen: seen.join(','), insns: m.insns };
    };
    const a = await order();
    const b = await order();
    expect(a.stop).toEqual({ kind: 'exit', status: 0 });
    expect(b).toEqual(a);
    expect(a.insns).toBeGreaterThan(0);
  });

  it('a busy-waiting task needs the quantum: without it the budget runs out, with it the program ends', async () => {
    const without = await runCaptured(fixture(isa, 'spinwait'), [], { maxInsns: 3_000_000 });
    expect(without.stop.kind).toBe('budget');
    expect(without.status).toBe(125);
    const withQ = await runCaptured(fixture(isa, 'spinwait'), [], { maxInsns: 50_000_000, quantum: 10_000 });
    expect(withQ.stop).toEqual({ kind: 'exit', status: 0 });
    expect(withQ.stdout).toContain('flag seen');
  });

  it('a counted run knows its exact count at exit, whatever the slice: a budget of it exits, one less stops', async () => {
    // One instruction a slice: the count is exact at every instruction.
    const one = await runCaptured(fixture(isa, 'fib'), ['10'], { quantum: 1 });
    expect(one.stop).toEqual({ kind: 'exit', status: 0 });
    expect(one.insns).toBeGreaterThan(1000);
    for (const opts of [{ quantum: 7 }, { quantum: 1000 }, { maxInsns: one.insns }]) {
      const r = await runCaptured(fixture(isa, 'fib'), ['10'], opts);
      expect(r.stop, JSON.stringify(opts)).toEqual({ kind: 'exit', status: 0 });
      expect(r.insns, JSON.stringify(opts)).toBe(one.insns);
    }
    const below = await runCaptured(fixture(isa, 'fib'), ['10'], { maxInsns: one.insns - 1 });
    expect(below.stop).toMatchObject({ kind: 'budget', insns: one.insns - 1 });
  });

  it('reports an unknown system call once, answered with -ENOSYS', async () => {
    const r = await runCaptured(fixture(isa, 'heap'));
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('unknown syscall: -38');
    expect(r.warnings.filter((w) => w.includes('number 999'))).toHaveLength(1);
    expect(r.warnings[0]).toMatch(
      joinedRegExp(
        /^kprobe-emu: unsupported system call number 999: answered with -ENOSYS /,
        /\(task 1000, pc rt_syscall\+0x[0-9a-f]+\/0x[0-9a-f]+\)$/,
      ),
    );
  });

  it('--max-memory makes brk and mmap fail with ENOMEM instead of growing', async () => {
    // Room for the brk test (3 pages) but not for the 5-page mapping that follows it.
    const { m } = machineFor(isa, 'heap');
    const atStart = m.mem.totalMapped;
    m.close();
    const r = await runCaptured(fixture(isa, 'heap'), [], { maxMemory: atStart + 4 * 4096 });
    expect(r.stdout).toContain('brk grow 3 pages, new memory zeroed: ok');
    expect(r.stdout).toMatch(/FAIL mmap/);
    expect(r.status).not.toBe(0);
  });

  it('closes its engine after a run', async () => {
    const before = openEngineCount();
    await runCaptured(fixture(isa, 'hello'));
    await runCaptured(fixture(isa, 'segv_write'));
    expect(openEngineCount()).toBe(before);
  });
});

it('ppc64: the engine runs in hypervisor state with FP/VEC/VSX enabled (MSR workaround)', () => {
  const { m } = machineFor('ppc64', 'hello');
  const msr = m.cpu.regRead(PPC_REG.msr);
  m.close();
  expect(msr & (1n << 60n)).not.toBe(0n);
  expect(msr & (1n << 13n)).not.toBe(0n);
  expect(msr & (1n << 23n)).not.toBe(0n);
});

it.each(['x86_64', 'i386'] as const)(
  '%s: a process starts with the FPU and SSE state Linux gives it (fpstate_init)',
  (isa) => {
    const { m } = machineFor(isa, 'hello');
    const state = [X86_REG.fpcw, X86_REG.fpsw, X86_REG.fptag, X86_REG.mxcsr].map((r) => m.cpu.regRead(r));
    m.close();
    // Control word 0x37f, status word 0, every x87 register empty, MXCSR 0x1f80.
    expect(state.map((v) => `0x${v.toString(16)}`)).toEqual(['0x37f', '0x0', '0xffff', '0x1f80']);
  },
);

describe.each(ISAS)('%s: calls a C library falls back from', (isa) => {
  it.each(['set_robust_list', 'rseq', 'clone3'])('%s gets ENOSYS with no report', (name) => {
    const { m, warnings } = machineFor(isa, 'hello');
    try {
      const ret = syscallIn(m, isa, name);
      expect(isa === 'ppc64' ? ret : -ret).toBe(BigInt(ENOSYS));
      // A call with no name is still reported, so the check above can tell.
      syscallIn(m, isa, 999);
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toContain('number 999');
    } finally {
      m.close();
    }
  });

  it('every number of the kernel table has its name (Linux 6.1 headers)', () => {
    const { m } = machineFor(isa, 'hello');
    m.close();
    const want = {
      x86_64: [0, 'read', 334, 'rseq', 435, 'clone3'],
      i386: [1, 'exit', 386, 'rseq', 435, 'clone3'],
      ppc64: [1, 'exit', 387, 'rseq', 435, 'clone3'],
    }[isa];
    for (let i = 0; i < want.length; i += 2) expect(m.isa.syscalls.get(want[i] as number)).toBe(want[i + 1]);
    expect(m.isa.syscalls.size).toBeGreaterThan(350);
  });
});

describe.each(ISAS)('%s: time', (isa) => {
  it('time() gives the seconds of the guest clock, and stores them where asked', () => {
    const { m, warnings } = machineFor(isa, 'hello');
    try {
      const want = m.process.guestNanoseconds() / 1_000_000_000n;
      // 2005-08-27, the guest clock's start (emu/process.ts), not 1970.
      expect(want).toBeGreaterThan(1_100_000_000n);
      const tloc = m.mapEngineMemory(0x1000, 3);
      for (const at of [0n, BigInt(tloc)]) expect(syscallIn(m, isa, 'time', [at])).toBe(want);
      expect(m.mem.readWord(tloc)).toBe(want);
      expect(warnings).toEqual([]);
    } finally {
      m.close();
    }
  });
});

describe.each(ISAS)('%s: resource limits', (isa) => {
  const GET = { x86_64: 'getrlimit', i386: 'ugetrlimit', ppc64: 'ugetrlimit' } as const;

  it('getrlimit and prlimit64 give the defaults, prlimit64 sets them, soft past hard is refused', () => {
    const { m, warnings } = machineFor(isa, 'hello');
    try {
      const call = (name: string, args: bigint[]): bigint => syscallIn(m, isa, name, args);
      const buf = m.mapEngineMemory(0x1000, 3);
      const w = m.isa.wordSize;
      const inf = (1n << BigInt(8 * w)) - 1n;
      const RLIMIT_STACK = 3n;
      const RLIMIT_NOFILE = 7n;
      expect(call(GET[isa], [RLIMIT_STACK, BigInt(buf)])).toBe(0n);
      expect([m.mem.readWord(buf), m.mem.readWord(buf + w)]).toEqual([8n << 20n, inf]);
      // prlimit64: struct rlimit64, new limits at buf + 16, the old ones back at buf.
      m.mem.writeU64(buf + 16, 256n);
      m.mem.writeU64(buf + 24, 4096n);
      expect(call('prlimit64', [0n, RLIMIT_NOFILE, BigInt(buf + 16), BigInt(buf)])).toBe(0n);
      expect([m.mem.readU64(buf), m.mem.readU64(buf + 8)]).toEqual([1024n, 1048576n]);
      expect(call(GET[isa], [RLIMIT_NOFILE, BigInt(buf)])).toBe(0n);
      expect([m.mem.readWord(buf), m.mem.readWord(buf + w)]).toEqual([256n, 4096n]);
      m.mem.writeU64(buf + 16, 8192n);
      const EINVAL = 22n;
      expect(call('prlimit64', [0n, RLIMIT_NOFILE, BigInt(buf + 16), 0n])).toBe(
        isa === 'ppc64' ? EINVAL : -EINVAL,
      );
      expect(warnings).toEqual([]);
    } finally {
      m.close();
    }
  });
});

describe.each(ISAS)('%s: madvise', (isa) => {
  it('MADV_DONTNEED zeroes the pages, other advice changes nothing, unmapped or unaligned is refused', () => {
    const { m, warnings } = machineFor(isa, 'hello');
    try {
      const call = (args: bigint[]): bigint => syscallIn(m, isa, 'madvise', args);
      const at = m.mapEngineMemory(0x3000, 3);
      m.mem.write(at, new Uint8Array(0x3000).fill(0xab));
      const MADV_WILLNEED = 3n;
      const MADV_DONTNEED = 4n;
      expect(call([BigInt(at), 0x3000n, MADV_WILLNEED])).toBe(0n);
      expect(m.mem.readU8(at + 0x1000)).toBe(0xab);
      expect(call([BigInt(at + 0x1000), 0x1000n, MADV_DONTNEED])).toBe(0n);
      expect([
        m.mem.readU8(at + 0xfff),
        m.mem.readU8(at + 0x1000),
        m.mem.readU8(at + 0x1fff),
        m.mem.readU8(at + 0x2000),
      ]).toEqual([0xab, 0, 0, 0xab]);
      const [EINVAL, ENOMEM] = isa === 'ppc64' ? [22n, 12n] : [-22n, -12n];
      expect(call([BigInt(at + 1), 0x1000n, MADV_DONTNEED])).toBe(EINVAL);
      // Page 1 is never mapped.
      expect(call([0x1000n, 0x1000n, MADV_DONTNEED])).toBe(ENOMEM);
      expect(warnings).toEqual([]);
    } finally {
      m.close();
    }
  });
});

it("i386: a report made in the C library's system call helper names the helper's caller", () => {
  const { m, warnings } = machineFor('i386', 'hello');
  try {
    const main = m.symbols.lookup('main');
    if (!main) throw new Error('hello has no main');
    // A helper where glibc has it, and a stack whose top word returns into main.
    const page = m.mapEngineMemory(0x2000, 3);
    m.symbols.add({ name: '_dl_sysinfo_int80', addr: page, size: 3, kind: 'func' });
    m.mem.writeWord(page + 0x1000, BigInt(main.addr + 5));
    m.cpu.regWrite(X86_REG.eip, page + 2);
    m.cpu.regWrite(X86_REG.esp, page + 0x1000);
    m.process.reportOnce('test', 'a note');
    expect(warnings).toEqual([
      expect.stringMatching(
        /^kprobe-emu: a note \(task 1000, pc main\+0x5\/0x[0-9a-f]+ \(through _dl_sysinfo_int80\)\)$/,
      ),
    ]);
  } finally {
    m.close();
  }
});

describe.each(ISAS)('%s: readlink', (isa) => {
  it('/proc/self/exe is the program as started, made absolute; any other path is refused as open is', () => {
    const { m, warnings } = machineFor(isa, 'hello');
    try {
      const call = (args: bigint[]): bigint => syscallIn(m, isa, 'readlink', args);
      const page = m.mapEngineMemory(0x1000, 3);
      const want = resolve('hello');
      for (const [path, at] of [
        ['/proc/self/exe', 0x100],
        ['/proc/1000/exe', 0x400],
      ] as const) {
        m.mem.write(page, Buffer.from(`${path}\0`, 'latin1'));
        expect(call([BigInt(page), BigInt(page + at), 0x200n])).toBe(BigInt(want.length));
        expect(Buffer.from(m.mem.read(page + at, want.length)).toString('latin1')).toBe(want);
      }
      // A buffer too short gets as much as fits, with no NUL, as Linux writes it.
      expect(call([BigInt(page), BigInt(page + 0x800), 3n])).toBe(3n);
      m.mem.write(page, Buffer.from('/etc/hostname\0', 'latin1'));
      expect(call([BigInt(page), BigInt(page + 0x100), 0x200n])).toBe(isa === 'ppc64' ? 13n : -13n);
      expect(warnings).toEqual([
        expect.stringContaining('readlink would reach the host: refused with -EACCES'),
      ]);
    } finally {
      m.close();
    }
  });
});
