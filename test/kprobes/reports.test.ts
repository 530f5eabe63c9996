// Every report names guest code: a budget that runs out while a probed instruction is being
// stepped out of line (in its slot, or boosted through it) is reported at that instruction.
import { afterEach, describe, expect, it } from 'vitest';
import { ISAS, present, symbol } from '../helpers.js';
import { checkAndClose, fixtureMachine } from './support.js';
import { kprobeArchFor } from '../../arch/index.js';
import { KprobeEngine } from '../../src/kprobes.js';

afterEach(checkAndClose);

describe.each(ISAS)('budget stops under probes on %s', (isa) => {
  it('a budget stop lands in spin_forever, never in a slot, whatever the budget', () => {
    const slots = new Set<number>();
    for (let budget = 200_000; budget < 200_012; budget++) {
      // Closed here, not by checkAndClose: a budget may stop a task in the middle of a step,
      // which that check would take for a step left half done.
      const { m } = fixtureMachine(isa, 'forever', [], { maxInsns: budget });
      const e = new KprobeEngine(m, present(kprobeArchFor(m.isa), `the kprobe arch of ${isa}`));
      const f = symbol(m.symbols, 'spin_forever');
      // A probe on every instruction of the loop (the arch refuses the ones it cannot step).
      for (let a = f.addr; a < f.addr + f.size; a++) {
        try {
          e.registerKprobe({ addr: a }, {});
        } catch {
          // not an instruction boundary, or not probeable
        }
      }
      for (let a = f.addr; a < f.addr + f.size; a++) {
        const s = e.insnSlotOf(a);
        if (s !== undefined) slots.add(s);
      }
      const stop = m.run();
      const bad = e.checkInvariants().filter((v) => !v.includes('in the middle of a step'));
      m.close();
      expect(bad).toEqual([]);
      expect(stop.kind).toBe('budget');
      if (stop.kind !== 'budget') continue;
      expect(
        stop.pc >= f.addr && stop.pc < f.addr + f.size,
        `pc 0x${stop.pc.toString(16)} at ${budget}`,
      ).toBe(true);
    }
    expect(slots.size).toBeGreaterThan(1);
  });
});
