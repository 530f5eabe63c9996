// Floating-point compares as the CPU makes them (fixtures/src/fpcmp.c): every outcome of a
// double compare on every ISA, and on ppc64 the CR field and FPSCR bits `fcmpu` and `fcmpo`
// leave. Unicorn 2.0.1 sets no CR field for either (every compare reads "equal"); the
// expected values are what qemu-ppc64 and the Power ISA give (fcmpo: VXVC for any NaN,
// VXSNAN for a signalling one; fcmpu: VXSNAN only).
import { describe, expect, it } from 'vitest';
import { expected, fixture, ISAS, joinedRegExp, present, runCaptured } from '../helpers.js';

/** CR field bits of a compare: FL (lt), FG (gt), FE (eq), FU (unordered). */
const LT = 8;
const GT = 4;
const EQ = 2;
const UN = 1;

/** Each pair fpcmp compares, the CR field both compares give, and whether it has a NaN / an sNaN. */
const PAIRS: [string, number, boolean, boolean][] = [
  ['1 < 2', LT, false, false],
  ['2 > 1', GT, false, false],
  ['1.5 == 1.5', EQ, false, false],
  ['nan ? 1', UN, true, false],
  ['1 ? nan', UN, true, false],
  ['-0 == 0', EQ, false, false],
  ['inf > 1e308', GT, false, false],
  ['snan ? 1', UN, true, true],
];

describe.each(ISAS)('%s', (isa) => {
  it('double compares: lt, gt, eq and unordered, and a sort by a double comparator', async () => {
    const r = await runCaptured(fixture(isa, 'fpcmp'));
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(expected('fpcmp').stdout);
  });
});

describe('ppc64 fcmpu and fcmpo', () => {
  it.each(PAIRS)(
    '%s: the CR field, and the invalid-operation bits of the FPSCR',
    async (pair, cr, nan, snan) => {
      const r = await runCaptured(fixture('ppc64', 'fpcmp'), ['raw']);
      expect(r.status).toBe(0);
      const line = present(
        r.stdout.split('\n').find((l) => l.startsWith(`${pair}: `)),
        `the ${pair} line of fpcmp raw:\n${r.stdout}`,
      );
      const [, ucr, ufpscr, usnan, uvc, ocr, ofpscr, osnan, ovc] = present(
        joinedRegExp(
          /fcmpu cr1=0x(\w) fpscr=0x(\w+) vxsnan=(\d) vxvc=(\d) \| /,
          /fcmpo cr1=0x(\w) fpscr=0x(\w+) vxsnan=(\d) vxvc=(\d)/,
        ).exec(line),
        `the fcmpu and fcmpo fields in ${JSON.stringify(line)}`,
      );
      const hex = (v: number) => v.toString(16);
      expect({ fcmpu: ucr, fcmpo: ocr }).toEqual({ fcmpu: hex(cr), fcmpo: hex(cr) });
      // FPCC (FPSCR bits 16-19, counted from the right at 12-15) holds the same four bits.
      const fpcc = (fpscr: string | undefined) => (parseInt(present(fpscr, 'an FPSCR'), 16) >>> 12) & 0xf;
      expect([fpcc(ufpscr), fpcc(ofpscr)]).toEqual([cr, cr]);
      expect({ fcmpu: [usnan, uvc], fcmpo: [osnan, ovc] }).toEqual({
        fcmpu: [snan ? '1' : '0', '0'],
        fcmpo: [snan ? '1' : '0', nan ? '1' : '0'],
      });
    },
  );
});
