// C++ exceptions through return-probed frames (fixtures/corpus throw): the unwinder must
// see real return addresses, so the program prints what it prints unprobed, on all three
// ISAs; calls whose frames the exception finds probed are reported dropped ('exception').
import { describe, expect, it } from 'vitest';
import { kprobes } from '../../src/kprobes.js';
import type { KretDropReason } from '../../src/kretprobes.js';
import { ISAS, runCaptured } from '../helpers.js';

const FUNCS = ['thrower', 'level1', 'level2', 'level3', 'main'];

describe.each(ISAS)('%s: exceptions through return probes', (isa) => {
  const prog = `fixtures/corpus/build/${isa}/throw`;

  it('an exception caught one to four probed frames up: the same output and status as unprobed', async () => {
    const plain = await runCaptured(prog);
    expect(plain.status).toBe(0);
    const returns = new Map<string, number>();
    const drops: KretDropReason[] = [];
    const probed = await runCaptured(prog, [], {}, (m) => {
      for (const f of FUNCS)
        kprobes(m).registerKretprobe(
          { symbol: f },
          {
            maxactive: 20,
            handler: () => void returns.set(f, (returns.get(f) ?? 0) + 1),
            dropHandler: (_ri, why) => void drops.push(why),
          },
        );
    });
    expect(probed.stdout).toBe(plain.stdout);
    expect(probed.status).toBe(0);
    expect(probed.warnings).toEqual([]);
    // Two rounds of five calls of level3 (one returns, four throw): each throw drops the
    // task's calls in flight; the calls made after it return through the probes again.
    expect(drops.length).toBeGreaterThan(0);
    expect(new Set(drops)).toEqual(new Set(['exception']));
    expect(returns.get('thrower')).toBe(2);
    expect(returns.get('level3')).toBeGreaterThanOrEqual(2);
  });
});
