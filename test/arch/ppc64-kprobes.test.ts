// The ppc64 kprobe arch on its own: branch emulation in every AA/LK/BO form against the
// Power ISA's definition (each encoding named by capstone, so the encodings are what the
// cases claim), trap conditions, and what registration refuses and why.
import { afterEach, describe, expect, it } from 'vitest';
import { emulateBranch, trapTaken } from '../../arch/ppc64/kprobes.js';
import { gpr, PPC_REG } from '../../arch/ppc64/isa.js';
import { fakeCpu } from './fake-cpu.js';
import { loadDisassembler } from '../../emu/disasm.js';
import { kprobes, ProbeError } from '../../src/kprobes.js';
import { checkAndClose, probed, programMachine } from '../kprobes/support.js';
import { joinedRegExp, present, symbol } from '../helpers.js';

afterEach(checkAndClose);

const b = (li: number, aa = 0, lk = 0) => ((18 << 26) | (li & 0x03fffffc) | (aa << 1) | lk) >>> 0;
const bc = (bo: number, bi: number, bd: number, aa = 0, lk = 0) =>
  ((16 << 26) | (bo << 21) | (bi << 16) | (bd & 0xfffc) | (aa << 1) | lk) >>> 0;
const bclr = (bo: number, bi: number, lk = 0) =>
  ((19 << 26) | (bo << 21) | (bi << 16) | (16 << 1) | lk) >>> 0;
const bcctr = (bo: number, bi: number, lk = 0) =>
  ((19 << 26) | (bo << 21) | (bi << 16) | (528 << 1) | lk) >>> 0;

const ADDR = 0x10000100n;
const LR = 0x10000800n;
const CTR = 0x10000a00n;
const EQ = 0x20000000n; // CR0[EQ], CR bit 2
const M64 = (1n << 64n) - 1n;

interface Case {
  name: string;
  insn: number;
  /** capstone's mnemonic for the encoding (undefined: capstone misnames it, see the case) */
  mnemonic: string | undefined;
  cr?: bigint;
  ctr?: bigint;
  pc: bigint;
  lr?: bigint;
  ctrAfter?: bigint;
}

const CASES: Case[] = [
  { name: 'b forward', insn: b(0x100), mnemonic: 'b', pc: ADDR + 0x100n },
  { name: 'b backward', insn: b(-8), mnemonic: 'b', pc: ADDR - 8n },
  { name: 'ba absolute', insn: b(0x100, 1), mnemonic: 'ba', pc: 0x100n },
  { name: 'ba negative absolute', insn: b(-0x100, 1), mnemonic: 'ba', pc: M64 - 0xffn },
  { name: 'bl sets LR', insn: b(0x40, 0, 1), mnemonic: 'bl', pc: ADDR + 0x40n, lr: ADDR + 4n },
  { name: 'bla', insn: b(0x200, 1, 1), mnemonic: 'bla', pc: 0x200n, lr: ADDR + 4n },
  { name: 'beq taken', insn: bc(12, 2, 0x20), mnemonic: 'beq', cr: EQ, pc: ADDR + 0x20n },
  { name: 'beq not taken', insn: bc(12, 2, 0x20), mnemonic: 'beq', cr: 0n, pc: ADDR + 4n },
  { name: 'bne taken', insn: bc(4, 2, -0x20), mnemonic: 'bne', cr: 0n, pc: ADDR - 0x20n },
  { name: 'beqa absolute', insn: bc(12, 2, 0x40, 1), mnemonic: 'beqa', cr: EQ, pc: 0x40n },
  {
    name: 'beql taken sets LR',
    insn: bc(12, 2, 0x20, 0, 1),
    mnemonic: 'beql',
    cr: EQ,
    pc: ADDR + 0x20n,
    lr: ADDR + 4n,
  },
  {
    name: 'beql not taken still sets LR',
    insn: bc(12, 2, 0x20, 0, 1),
    mnemonic: 'beql',
    cr: 0n,
    pc: ADDR + 4n,
    lr: ADDR + 4n,
  },
  {
    name: 'bdnz taken: CTR once',
    insn: bc(16, 0, -0x10),
    mnemonic: 'bdnz',
    ctr: 3n,
    pc: ADDR - 0x10n,
    ctrAfter: 2n,
  },
  {
    name: 'bdnz not taken: CTR reaches 0',
    insn: bc(16, 0, -0x10),
    mnemonic: 'bdnz',
    ctr: 1n,
    pc: ADDR + 4n,
    ctrAfter: 0n,
  },
  {
    name: 'bdnz from 0 wraps and is taken',
    insn: bc(16, 0, -0x10),
    mnemonic: 'bdnz',
    ctr: 0n,
    pc: ADDR - 0x10n,
    ctrAfter: M64,
  },
  { name: 'bdz taken', insn: bc(18, 0, 0x10), mnemonic: 'bdz', ctr: 1n, pc: ADDR + 0x10n, ctrAfter: 0n },
  {
    name: 'bdnzt both true',
    insn: bc(8, 2, 0x10),
    mnemonic: 'bdnzt',
    cr: EQ,
    ctr: 2n,
    pc: ADDR + 0x10n,
    ctrAfter: 1n,
  },
  {
    name: 'bdnzt condition false',
    insn: bc(8, 2, 0x10),
    mnemonic: 'bdnzt',
    cr: 0n,
    ctr: 2n,
    pc: ADDR + 4n,
    ctrAfter: 1n,
  },
  {
    name: 'bdnzl sets LR',
    insn: bc(16, 0, 0x10, 0, 1),
    mnemonic: 'bdnzl',
    ctr: 5n,
    pc: ADDR + 0x10n,
    lr: ADDR + 4n,
    ctrAfter: 4n,
  },
  // 0x429f0005: objdump prints `bcl 20,4*cr7+so,.+4`; capstone 4 prints `bdnzl`, ignoring BO[2].
  {
    name: 'bcl 20,31 (get PC)',
    insn: bc(20, 31, 4, 0, 1),
    mnemonic: undefined,
    pc: ADDR + 4n,
    lr: ADDR + 4n,
  },
  { name: 'blr', insn: bclr(20, 0), mnemonic: 'blr', pc: LR, lr: LR },
  { name: 'blr ignores the low bits of LR', insn: bclr(20, 0), mnemonic: 'blr', pc: LR, lr: LR + 3n },
  { name: 'blrl: target is the old LR', insn: bclr(20, 0, 1), mnemonic: 'blrl', pc: LR, lr: ADDR + 4n },
  { name: 'beqlr taken', insn: bclr(12, 2), mnemonic: 'beqlr', cr: EQ, pc: LR },
  { name: 'beqlr not taken', insn: bclr(12, 2), mnemonic: 'beqlr', cr: 0n, pc: ADDR + 4n },
  { name: 'bdnzlr: CTR once', insn: bclr(16, 0), mnemonic: 'bdnzlr', ctr: 2n, pc: LR, ctrAfter: 1n },
  { name: 'bctr', insn: bcctr(20, 0), mnemonic: 'bctr', pc: CTR, ctrAfter: CTR },
  { name: 'bctrl', insn: bcctr(20, 0, 1), mnemonic: 'bctrl', pc: CTR, lr: ADDR + 4n, ctrAfter: CTR },
  { name: 'bnectr not taken', insn: bcctr(4, 2), mnemonic: 'bnectr', cr: EQ, pc: ADDR + 4n },
];

describe('ppc64 branch emulation', () => {
  it('the encodings are the instructions the cases name (capstone)', async () => {
    const d = await loadDisassembler({ arch: 'ppc', mode: 64, bigEndian: true });
    const named = CASES.filter((c) => c.mnemonic !== undefined);
    const names = named.map((c) => {
      const bytes = new Uint8Array(4);
      new DataView(bytes.buffer).setUint32(0, c.insn, false);
      return d.decode(bytes, Number(ADDR), 1)[0]?.mnemonic;
    });
    expect(names).toEqual(named.map((c) => c.mnemonic));
  });

  it.each(CASES)('$name', (c) => {
    const initLr = c.name.includes('low bits') ? LR + 3n : LR;
    const cpu = fakeCpu({
      [PPC_REG.pc]: ADDR,
      [PPC_REG.lr]: initLr,
      [PPC_REG.ctr]: c.ctr ?? CTR,
      [PPC_REG.cr]: c.cr ?? 0n,
    });
    emulateBranch(cpu, c.insn, Number(ADDR));
    expect(cpu.regRead(PPC_REG.pc)).toBe(c.pc);
    expect(cpu.regRead(PPC_REG.lr)).toBe(c.lr ?? initLr);
    expect(cpu.regRead(PPC_REG.ctr)).toBe(c.ctrAfter ?? c.ctr ?? CTR);
  });
});

describe('ppc64 trap conditions', () => {
  const tw = (to: number, ra: number, rb: number) =>
    ((31 << 26) | (to << 21) | (ra << 16) | (rb << 11) | (4 << 1)) >>> 0;
  const td = (to: number, ra: number, rb: number) =>
    ((31 << 26) | (to << 21) | (ra << 16) | (rb << 11) | (68 << 1)) >>> 0;
  const twi = (to: number, ra: number, si: number) =>
    ((3 << 26) | (to << 21) | (ra << 16) | (si & 0xffff)) >>> 0;
  const tdi = (to: number, ra: number, si: number) =>
    ((2 << 26) | (to << 21) | (ra << 16) | (si & 0xffff)) >>> 0;
  const cpu = (r3: bigint, r4: bigint) => fakeCpu({ [gpr(3)]: r3, [gpr(4)]: r4 });
  it.each([
    ['trap (tw 31,0,0)', tw(31, 0, 0), 0n, 0n, true],
    ['tweq equal', tw(4, 3, 4), 5n, 5n, true],
    ['tweq different', tw(4, 3, 4), 5n, 6n, false],
    ['twlt signed', tw(16, 3, 4), 0xffffffffn, 1n, true],
    ['twllt unsigned', tw(2, 3, 4), 0xffffffffn, 1n, false],
    ['tw compares 32 bits only', tw(4, 3, 4), 0x1_00000005n, 5n, true],
    ['td compares 64 bits', td(4, 3, 4), 0x1_00000005n, 5n, false],
    ['tdgt signed 64', td(8, 3, 4), 1n, M64, true],
    ['twi: twnei not equal', twi(24, 3, 0), 1n, 0n, true],
    ['twi: twnei equal', twi(24, 3, 0), 0n, 0n, false],
    ['tdi: tdlgti sign-extended immediate', tdi(1, 3, -1), 5n, 0n, false],
    ['tdi: tdlti', tdi(16, 3, -1), M64 - 1n, 0n, true],
  ] as const)('%s', (_n, insn, r3, r4, want) => {
    expect(trapTaken(cpu(r3, r4), insn)).toBe(want);
  });
});

describe('ppc64 registration', () => {
  /** Register a probe on a word written into do_illegal's code (never run). */
  function refusalOf(words: number[], at = 0): string {
    const { m, e } = probed('ppc64', 'fib', ['3']);
    const fn = symbol(m.symbols, 'fib');
    const bytes = new Uint8Array(4 * words.length);
    words.forEach((w, i) => new DataView(bytes.buffer).setUint32(4 * i, w, false));
    m.mem.patchCode(fn.addr, bytes);
    try {
      e.registerKprobe({ addr: fn.addr + 4 * at });
    } catch (err) {
      expect(err).toBeInstanceOf(ProbeError);
      expect(e.checkInvariants()).toEqual([]);
      return (err as Error).message;
    }
    return 'registered';
  }
  const LWARX = 0x7d201828; // lwarx r9,0,r3
  const STWCX = 0x7c80192d; // stwcx. r4,0,r3
  const ADDI = 0x39290001; // addi r9,r9,1
  const BNE = 0x40a2fff4; // bne- (back)
  const NOP = 0x60000000;

  it.each([
    ['mtmsrd', [0x7c600164], 0, /mtmsrd changes the machine state/],
    ['mtmsr', [0x7c600124], 0, /mtmsr changes the machine state/],
    ['rfid', [0x4c000024], 0, /rfid returns from an interrupt/],
    ['bctar', [0x4e800460], 0, /bctar branches through TAR/],
    ['bcctr with a decrementing BO', [bcctr(16, 0)], 0, /invalid form/],
    ['lwarx', [LWARX, ADDI, STWCX, BNE], 0, /lwarx opens a load-reserve\/store-conditional sequence/],
    ['stwcx.', [LWARX, ADDI, STWCX, BNE], 2, /stwcx\. closes/],
    [
      'inside lwarx .. stwcx.',
      [LWARX, ADDI, STWCX, BNE],
      1,
      joinedRegExp(
        /fib\+0x4\/0x[0-9a-f]+ is inside the load-reserve\/store-conditional sequence /,
        /lwarx at fib\+0x0\/0x[0-9a-f]+ \.\. stwcx\. at fib\+0x8/,
      ),
    ],
  ] as const)('refuses %s, saying why', (_n, words, at, why) => {
    expect(refusalOf([...words], at)).toMatch(why);
  });

  it('accepts the branch after a closed sequence and plain code', () => {
    expect(refusalOf([LWARX, ADDI, STWCX, BNE], 3)).toBe('registered');
    expect(refusalOf([NOP, ADDI], 1)).toBe('registered');
  });

  it('refuses a misaligned address and one outside any function', () => {
    const { m, e } = probed('ppc64', 'fib', ['3']);
    const fib = symbol(m.symbols, 'fib');
    expect(() => e.registerKprobe({ addr: fib.addr + 2 })).toThrow(/0x[0-9a-f]+ is not 4-byte aligned/);
    // The descriptor in .opd is data, not code.
    const descriptor = present(fib.descriptor, "fib's .opd descriptor");
    expect(() => e.registerKprobe({ addr: descriptor })).toThrow(/is not inside a known function's code/);
  });

  it("refuses a word of data in a function's code: a switch's jump table", () => {
    // glibc-built syscalls: ename's switch jumps through offsets stored after its bctr.
    const { m } = programMachine('fixtures/corpus/build/ppc64/syscalls', [], {});
    const e = kprobes(m);
    const ename = symbol(m.symbols, 'ename');
    const words = Array.from({ length: ename.size / 4 }, (_, i) => ename.addr + 4 * i);
    const bctr = words.find((a) => m.mem.read(a, 4).every((b, i) => b === [0x4e, 0x80, 0x04, 0x20][i]));
    const table = present(bctr, "ename's bctr") + 4;
    expect(m.mem.read(table, 4)[0]).toBe(0);
    expect(() => e.registerKprobe({ addr: table })).toThrow(
      /is no instruction \(primary opcode 0\): data in the code, such as a jump table/,
    );
    expect(() => e.registerKprobe({ addr: table - 4 })).not.toThrow();
    m.close();
  });

  it("a symbol means the function code, not its .opd descriptor (as the kernel's .fib)", () => {
    const { m, e } = probed('ppc64', 'fib', ['3']);
    const fib = symbol(m.symbols, 'fib');
    const p = e.registerKprobe({ symbol: 'fib' });
    expect(p.addr).toBe(fib.addr);
    expect(p.addr).not.toBe(fib.descriptor);
    expect(m.run()).toEqual({ kind: 'exit', status: 0 });
    expect(p.nhit).toBe(5);
  });
});

describe('ppc64 user state', () => {
  /** Run `illegal` with do_illegal's first word replaced. */
  function runWith(insn: number) {
    const pr = probed('ppc64', 'illegal');
    const fn = symbol(pr.m.symbols, 'do_illegal');
    const bytes = new Uint8Array(4);
    new DataView(bytes.buffer).setUint32(0, insn, false);
    pr.m.mem.patchCode(fn.addr, bytes);
    return { ...pr, fn };
  }

  it.each([
    ['mfmsr r3', 0x7c6000a6],
    ['mtmsrd r3', 0x7c600164],
    ['mfsprg r3,0', 0x7c7042a6],
    ['tlbie r3', 0x7c001a64],
  ])('a privileged instruction (%s) raises SIGILL at itself, as Linux user mode does', (_n, insn) => {
    const { m, fn, out } = runWith(insn);
    const stop = m.run();
    expect(stop).toMatchObject({ kind: 'signal', signal: 4, pc: fn.addr });
    expect(out()).toBe('executing an illegal instruction\n');
  });

  it('mfpvr is emulated as Linux does for user mode: the POWER8 version', () => {
    const { m, e, fn, out } = runWith(0x7d3f42a6); // mfpvr r9
    let pvr = -1n;
    e.registerKprobe({ addr: fn.addr + 4 }, { preHandler: (_p, regs) => void (pvr = regs.get('r9')) });
    expect(m.run()).toEqual({ kind: 'exit', status: 0 });
    expect(pvr).toBe(0x004d0200n);
    expect(out()).toBe('executing an illegal instruction\nnot reached\n');
  });
});
