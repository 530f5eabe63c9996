// ppc64 branch emulation against an independent assembler: keystone encodes random
// b/bc/bclr/bcctr forms (targets, AA, LK, BO, BI) and the emulation must land where the
// assembly text said, set LR only for LK=1 and decrement CTR only for the bdnz family.
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { emulateBranch } from '../../arch/ppc64/kprobes.js';
import { PPC_REG } from '../../arch/ppc64/isa.js';
import { fakeCpu } from './fake-cpu.js';

interface Assembler {
  asm(text: string, addr: number): { failed: boolean; mc: Uint8Array };
}
let ks: Assembler;

beforeAll(async () => {
  const mod = (await import('@alexaltea/keystone-js')) as unknown as {
    default: () => Promise<{
      Keystone: new (a: number, m: number) => Assembler;
      ARCH_PPC: number;
      MODE_PPC64: number;
      MODE_BIG_ENDIAN: number;
    }>;
  };
  const k = await mod.default();
  ks = new k.Keystone(k.ARCH_PPC, k.MODE_PPC64 | k.MODE_BIG_ENDIAN);
});

const ADDR = 0x10000100;
const LR0 = 0x10000800n;
const CTR0 = 0x10000a00n;

function cpu(ctr: bigint) {
  const c = fakeCpu({ [PPC_REG.lr]: LR0, [PPC_REG.ctr]: ctr, [PPC_REG.cr]: 0n, [PPC_REG.pc]: BigInt(ADDR) });
  return Object.assign(c, { r: c.regs });
}

function assemble(text: string): number {
  const r = ks.asm(text, ADDR);
  expect(r.failed, text).toBe(false);
  expect(r.mc.length, text).toBe(4);
  return new DataView(r.mc.buffer, r.mc.byteOffset).getUint32(0, false);
}

describe('ppc64 branch emulation against keystone', () => {
  it('b, ba, bl, bla land on the assembled target', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -0x800000, max: 0x7fffff }),
        fc.boolean(),
        fc.boolean(),
        (words, aa, lk) => {
          const target = aa ? (words & 0x3fffff) * 4 : ADDR + words * 4;
          if (target < 0) return;
          const insn = assemble(`b${lk ? 'l' : ''}${aa ? 'a' : ''} 0x${target.toString(16)}`);
          const c = cpu(CTR0);
          emulateBranch(c, insn, ADDR);
          expect(c.r.get(PPC_REG.pc)).toBe(BigInt(target));
          expect(c.r.get(PPC_REG.lr)).toBe(lk ? BigInt(ADDR + 4) : LR0);
          expect(c.r.get(PPC_REG.ctr)).toBe(CTR0);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('bc with BO=20 (always), any BI, AA, LK; and bdnz with CTR > 1: taken to the assembled target, CTR once', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -0x2000, max: 0x1fff }),
        fc.integer({ min: 0, max: 31 }),
        fc.boolean(),
        fc.boolean(),
        fc.boolean(),
        (words, bi, aa, lk, dnz) => {
          const target = aa ? (words & 0x1fff) * 4 : ADDR + words * 4;
          const bo = dnz ? 16 : 20;
          const insn = assemble(`bc${lk ? 'l' : ''}${aa ? 'a' : ''} ${bo}, ${bi}, 0x${target.toString(16)}`);
          const c = cpu(5n);
          emulateBranch(c, insn, ADDR);
          expect(c.r.get(PPC_REG.pc)).toBe(BigInt(target));
          expect(c.r.get(PPC_REG.lr)).toBe(lk ? BigInt(ADDR + 4) : LR0);
          expect(c.r.get(PPC_REG.ctr)).toBe(dnz ? 4n : 5n);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('bclr and bcctr (always, with and without LK) go to LR and CTR', () => {
    for (const [text, pc, lr] of [
      ['bclr 20, 0', LR0, LR0],
      ['bclrl 20, 0', LR0, BigInt(ADDR + 4)],
      ['bcctr 20, 0', CTR0, LR0],
      ['bcctrl 20, 0', CTR0, BigInt(ADDR + 4)],
    ] as const) {
      const c = cpu(CTR0);
      emulateBranch(c, assemble(text), ADDR);
      expect([text, c.r.get(PPC_REG.pc), c.r.get(PPC_REG.lr)]).toEqual([text, pc, lr]);
    }
  });
});
