// The x86 fix-ups of resume_execution on a CPU of registers alone: the cases a fixture's
// layout does not reach.
import { describe, expect, it } from 'vitest';
import { decodeX86 } from '../../arch/x86/decode.js';
import { X86_REG } from '../../arch/x86/isa.js';
import { x86KprobeArch, type X86Ainsn } from '../../arch/x86/kprobes.js';
import { fakeCpu } from './fake-cpu.js';
import { kprobes } from '../../src/kprobes.js';
import { disasmLines } from '../../src/inspect.js';
import { functionBoundaries, programMachine } from '../kprobes/support.js';

describe('x86 resume_execution: a relative branch whose copy wraps past address 0', () => {
  // uw_init_context_1+0x52 in static glibc: `jne rel32` to its .cold part 0x87ef0 bytes
  // below, copied to a slot lower than that distance.
  const bytes = Uint8Array.of(0x0f, 0x85, 0x10, 0x81, 0xf7, 0xff);
  const ainsn = (mode: 32 | 64): X86Ainsn => ({
    insn: decodeX86(bytes, mode),
    cls: 'default',
    bytes,
    boost: false,
  });
  const [addr, slot] = [0x4863e0, 0x863e0];
  const target = addr + 6 - 0x87ef0;
  it.each([
    [64, X86_REG.rip, X86_REG.rflags, X86_REG.rsp],
    [32, X86_REG.eip, X86_REG.eflags, X86_REG.esp],
  ] as const)('%i-bit: PC goes to the original target', (mode, pc, flags, sp) => {
    const inSlot = BigInt.asUintN(mode, BigInt(slot + 6 - 0x87ef0));
    const cpu = fakeCpu({ [pc]: inSlot, [flags]: 0x346n, [sp]: 0x7fff0000n });
    x86KprobeArch(mode).resumeExecution(cpu, ainsn(mode), addr, slot, { savedFlags: 0n }, true);
    expect(cpu.regs.get(pc)).toBe(BigInt(target));
    expect(cpu.regs.get(flags)).toBe(0x246n);
  });
});

describe("glibc's x86_64 string function variants", () => {
  // Static glibc carries every variant (SSE2, AVX2, EVEX, AVX-512, ERMS, RTM) of its string
  // functions whatever the CPU. Every instruction decodes (so every boundary is known);
  // each variant takes probes at the instructions the engine executes, AVX2 and AVX-512 ones
  // refused with the reason; and disasm says `r` goes exactly where it is taken.
  it('each decodes whole and takes probes; r where disasm says so', async () => {
    const { m } = programMachine('fixtures/corpus/build/x86_64/lines', [], {});
    try {
      const e = kprobes(m);
      e.maxProbes = Number.POSITIVE_INFINITY;
      const variants = m.symbols
        .functions()
        .filter(
          (f) =>
            /^__(str|stp|mem|rawmem|wcs|wmem)\w*_(sse2|ssse3|avx|avx2|evex|avx512)\w*$/.test(f.name) &&
            f.size > 0,
        );
      expect(variants.length).toBeGreaterThan(80);
      let placed = 0;
      let refused = 0;
      for (const f of variants) {
        let here = 0;
        for (const a of functionBoundaries(m, f)) {
          try {
            e.registerKprobe({ addr: a }, {});
            here++;
          } catch (err) {
            expect(String(err)).toMatch(
              /(256-bit VEX \(AVX2\)|EVEX \(AVX-512\)) instruction: the engine's CPU/,
            );
            refused++;
          }
        }
        expect(here, f.name).toBeGreaterThan(0);
        placed += here;
        const header = (await disasmLines(m, f.name))[0] ?? '';
        let r = true;
        try {
          e.registerKretprobe({ addr: f.addr }, { handler: () => {} });
        } catch {
          r = false;
        }
        expect(header.endsWith('return probes: yes'), `${header} / r ${r}`).toBe(r);
      }
      expect(placed).toBeGreaterThan(refused);
      expect(refused).toBeGreaterThan(100);
    } finally {
      m.close();
    }
  });
});
