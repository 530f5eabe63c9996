// Counterpart: binutils objdump -d: the decoder must read every bundle of the guests and of
// fixtures/ia64/src/decode-cases.s as objdump does, slot by slot.
import { describe, expect, it } from 'vitest';
import { decodeBundle } from '../../../emu/ia64/decode.js';
import { format } from '../../../emu/ia64/format.js';
import { Op } from '../../../emu/ia64/insn.js';
import { ia64Guests } from '../../helpers.js';
import { haveObjdump, listBundles } from './objdump.js';

const BUILD = 'fixtures/ia64/build';
const FILES = [...ia64Guests(), 'decode-cases.o'];
const present = haveObjdump();
if (!present) console.warn('ia64-linux-gnu-objdump not found: skipping the decoder-vs-objdump tests');

describe.skipIf(!present).each(FILES)('decode %s against objdump', (file) => {
  it('matches every slot', () => {
    const bundles = listBundles(`${BUILD}/${file}`);
    expect(bundles.length).toBeGreaterThan(0);
    const diffs: string[] = [];
    let compared = 0;
    for (const b of bundles) {
      const d = decodeBundle(b.bytes);
      expect(d.info?.units, `template at 0x${b.address.toString(16)}`).toBe(b.template);
      b.slots.forEach((want, i) => {
        const ins = d.slots[i];
        const got = ins ? format(ins, b.address) : 'missing';
        compared++;
        if (got !== want) diffs.push(`0x${b.address.toString(16)} slot ${i}: want "${want}" got "${got}"`);
        if (ins && ins.op === Op.ILLEGAL) diffs.push(`0x${b.address.toString(16)} slot ${i}: illegal`);
      });
    }
    expect(diffs).toEqual([]);
    expect(compared).toBeGreaterThan(file === 'decode-cases.o' ? 200 : 10);
  });
});

describe('templates', () => {
  it('marks MLX slot 2 as the X half of slot 1', () => {
    // hello's second bundle: nop.m 0x0; movl r33=0x40000000000000d0
    const bytes = Uint8Array.from([
      0x04, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x40, 0x20, 0x04, 0x05, 0x04, 0x60,
    ]);
    const b = decodeBundle(bytes);
    expect(b.info?.units).toBe('MLX');
    expect(b.slots[1]).toBe(b.slots[2]);
    expect(b.slots[1].width).toBe(2);
    expect(format(b.slots[1], 0x4000000000000090n)).toBe('movl r33=0x40000000000000d0');
  });
});
