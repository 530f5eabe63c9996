// Counterpart: HP Ski's user-mode simulator (bskinc) on the reference guests, whose output,
// exit status, executed-slot counts and first 400 steps of fib fixtures/ia64/README.md
// records, run through the project's Machine (the ELF loader, the Linux layer, the run loop)
// on the IA-64 engine; and the engine's own contracts (contexts with the register stack,
// counts, traps, faults, code invalidation).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { addrOf, hex } from '../../../emu/addr.js';
import { IA64, gr } from '../../../arch/ia64/isa.js';
import type { Machine, MachineOptions } from '../../../emu/machine.js';
import { doSyscall } from '../../../emu/linux.js';
import { createMachine, loadElfFile } from '../../../src/run.js';
import { cli } from '../../helpers.js';

const BUILD = 'fixtures/ia64/build';
const OPS = ['A efeb229716660fda', 'B 27480d5331cf4f47', 'C 0000000000706283', 'D 9ffffffff8b333fd'];

function boot(guest: string, opts: Partial<MachineOptions> = {}): { m: Machine; out: () => string } {
  let out = '';
  const text = (b: Uint8Array): void => {
    out += new TextDecoder().decode(b);
  };
  const m = createMachine(loadElfFile(`${BUILD}/${guest}`), {
    argv: [guest],
    stdout: text,
    stderr: text,
    warn: () => {},
    ...opts,
  });
  return { m, out: () => out };
}

describe('IA-64 guests through the Machine (Ski oracle: fixtures/ia64/README.md)', () => {
  it.each([
    ['hello', 'hello\n', 12],
    ['ops', `${OPS.join('\n')}\nE c000000000024b75\n`, 2346],
    ['fib', 'fib(25)=75025\n', 4_734_641],
  ])('%s: its output, exit 0, and as many slots as Ski', (guest, stdout, slots) => {
    const { m, out } = boot(guest, { countInsns: true });
    try {
      expect(m.run()).toEqual({ kind: 'exit', status: 0 });
      expect(out()).toBe(stdout);
      expect(m.insns).toBe(slots);
      expect(m.engine.description).toBe('IA-64 interpreter');
    } finally {
      m.close();
    }
  });

  it("fib: the first 400 steps match Ski's ip/cfm trace line for line", () => {
    // Ski prints `ip` as the bundle address plus 4 x the slot, and the guest's output in line.
    let trace = '';
    const { m } = boot('fib', {
      stdout: (b: Uint8Array) => void (trace += new TextDecoder().decode(b)),
    });
    try {
      const until = m.isa.layout.until;
      for (let i = 0; i < 400; i++) {
        expect(m.engine.run(m.cpu.regReadAddr(IA64.ip), until, 1)).toBe('ok');
        const ip = m.cpu.regRead(IA64.ip);
        const slot = ip % 16n;
        trace += `ip = ${(ip - slot + 4n * slot).toString(16)}\ncfm = ${m.cpu.regRead(IA64.cfm).toString(16)}\n`;
      }
      const want = readFileSync('fixtures/ia64/fib.trace400.txt', 'utf8').split('\n');
      const got = trace.split('\n');
      for (let i = 0; i < want.length; i++) expect(got[i], `trace line ${i + 1}`).toBe(want[i]);
    } finally {
      m.close();
    }
  });

  it('the loader folds region addresses, and they print as IA-64 addresses', () => {
    const { m } = boot('fib');
    try {
      expect(hex(m.image.entry)).toBe('0x40000000000000b0');
      expect(hex(m.cpu.regReadAddr(IA64.ip))).toBe('0x40000000000000b0');
      expect(m.cpu.regRead(IA64.ip)).toBe(0x40000000000000b0n);
      const fib = m.symbols.lookup('fib');
      expect(fib && hex(fib.addr)).toBe('0x4000000000000230');
      // The stack pointer is an address of region 3, 16 bytes below argc (start_thread).
      const sp = m.cpu.regRead(IA64.sp);
      expect(sp >> 61n).toBe(3n);
      const argc = m.cpu.regReadAddr(IA64.sp) + 16;
      expect(m.cpu.memReadWord(argc, 8, true)).toBe(1n);
      // argv[0] is stored as the IA-64 address of the string (region 3), read back folded.
      expect(m.cpu.memReadWord(argc + 8, 8, true) >> 61n).toBe(3n);
      expect(m.mem.readCString(m.cpu.memReadAddr(argc + 8, 8, true))).toBe('fib');
      expect(m.cpu.regRead(IA64.ar(18)) >> 61n).toBe(3n); // ar.bspstore
    } finally {
      m.close();
    }
  });

  it('a budget stops at the exact slot, reported with its symbol', () => {
    const { m } = boot('fib', { maxInsns: 100 });
    try {
      const stop = m.run();
      expect(stop).toMatchObject({ kind: 'budget', insns: 100 });
      expect(m.insns).toBe(100);
      expect(m.symbols.format(stop.kind === 'budget' ? stop.pc : 0)).toMatch(/^fib\+0x/);
    } finally {
      m.close();
    }
  });

  it('a quantum slices the run without changing its output or count', () => {
    const { m, out } = boot('ops', { quantum: 97 });
    try {
      expect(m.run()).toEqual({ kind: 'exit', status: 0 });
      expect(out()).toContain(OPS[3]);
      expect(m.insns).toBe(2346);
    } finally {
      m.close();
    }
  });

  it('a saved context brings back registers, frame and register stack exactly', () => {
    const { m } = boot('fib', { maxInsns: 20_000 });
    try {
      m.run();
      const ctx = m.cpu.contextSave();
      const pc = m.cpu.regReadAddr(IA64.ip);
      const regs = (): bigint[] => [
        m.cpu.regRead(IA64.ip),
        m.cpu.regRead(IA64.cfm),
        m.cpu.regRead(IA64.ar(17)), // ar.bsp
        ...Array.from({ length: 40 }, (_, i) => m.cpu.regRead(gr(i))),
      ];
      expect(m.engine.run(pc, 0, 5000)).toBe('ok');
      const after = regs();
      m.cpu.contextRestore(ctx);
      expect(m.cpu.regReadAddr(IA64.ip)).toBe(pc);
      expect(m.engine.run(pc, 0, 5000)).toBe('ok');
      expect(m.engine.ranInsns()).toBe(5000);
      expect(regs()).toEqual(after);
    } finally {
      m.close();
    }
  });

  it('break 0 patched over the entry ends the program with SIGILL there', () => {
    const { m } = boot('hello');
    try {
      // Sixteen zero bytes: template MII with break.m 0, break.i 0, break.i 0.
      m.mem.patchCode(m.image.entry, new Uint8Array(16));
      expect(m.run()).toMatchObject({ kind: 'signal', name: 'SIGILL', pc: m.image.entry });
    } finally {
      m.close();
    }
  });

  it('a jump to an unmapped address is a SIGSEGV report, not an exception', () => {
    const { m } = boot('hello');
    try {
      m.cpu.regWrite(IA64.ip, 0x6000000000100000n);
      expect(m.run()).toMatchObject({ kind: 'signal', name: 'SIGSEGV', detail: /unmapped/ });
    } finally {
      m.close();
    }
  });
});

describe('the IA-64 ABI on the machine', () => {
  it('a guest call passes arguments in r32 on and returns r8, the register stack intact', () => {
    const { m } = boot('fib');
    try {
      const before = [m.cpu.regRead(IA64.cfm), m.cpu.regRead(IA64.ar(17)), m.cpu.regRead(gr(32))];
      const fib = m.symbols.lookup('fib');
      expect(m.callGuest(fib?.addr ?? 0, [10n])).toBe(55n);
      expect(m.callGuest(fib?.addr ?? 0, [20n])).toBe(6765n);
      expect([m.cpu.regRead(IA64.cfm), m.cpu.regRead(IA64.ar(17)), m.cpu.regRead(gr(32))]).toEqual(before);
    } finally {
      m.close();
    }
  });

  it('system calls take out0-out5 after the locals and return addresses unfolded in r8', () => {
    const { m } = boot('fib');
    try {
      // A frame of 8 with 2 locals: out0 is r34.
      m.cpu.regWrite(IA64.cfm, 8n | (2n << 7n));
      const call = (nr: number, args: bigint[]): [bigint, bigint] => {
        m.cpu.regWrite(gr(15), BigInt(nr));
        args.forEach((v, i) => m.cpu.regWrite(gr(34 + i), v));
        doSyscall(m.process);
        return [m.cpu.regRead(gr(8)), m.cpu.regRead(gr(10))];
      };
      const [brk, ok] = call(1060, [0n]);
      expect(ok).toBe(0n);
      expect(brk >> 61n).toBe(3n); // the data region
      // mmap(0, 4096, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0): region 1.
      const [at] = call(1151, [0n, 4096n, 3n, 0x22n, -1n, 0n]);
      expect(at >> 61n).toBe(1n);
      expect(m.mem.isMapped(addrOf(at))).toBe(true);
      // An error: errno positive in r8, r10 = -1 (close of a descriptor never opened: EBADF).
      expect(call(1029, [99n])).toEqual([9n, 0xffffffffffffffffn]);
    } finally {
      m.close();
    }
  });
});

describe('IA-64 on the command line', () => {
  it('run prints the guest output and exits 0', () => {
    expect(cli(['run', `${BUILD}/hello`])).toEqual({ status: 0, stdout: 'hello\n', stderr: '' });
  });

  it('symbols lists code addresses as IA-64 addresses', () => {
    const r = cli(['symbols', `${BUILD}/fib`]);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('40000000000000b0    180 _start\n4000000000000230     90 fib\n');
  });
});
