// The kernel's batch registration (register_kprobes, register_kretprobes and their
// unregister_ forms): all or nothing, a refusal rolls back what the batch registered.
import { afterEach, describe, expect, it } from 'vitest';
import { ISAS } from '../helpers.js';
import { checkAndClose, probed } from './support.js';
import { ProbeError } from '../../arch/kprobe-arch.js';

afterEach(checkAndClose);

describe.each(ISAS)('batch registration on %s', (isa) => {
  it('register_kprobes: one refused probe unregisters the others and restores their bytes', () => {
    const { m, e } = probed(isa, 'ktest');
    const at = (name: string) => m.symbols.lookup(name)?.addr ?? -1;
    const before = [at('target'), at('main')].map((a) => [...m.mem.readExecuted(a, 4)]);
    expect(() =>
      e.registerKprobes([
        { point: { symbol: 'target' } },
        { point: { symbol: 'main' } },
        { point: { symbol: 'nope' } },
      ]),
    ).toThrow(ProbeError);
    expect([at('target'), at('main')].map((a) => [...m.mem.readExecuted(a, 4)])).toEqual(before);
    expect(e.registerKprobes([{ point: { symbol: 'target' } }, { point: { symbol: 'main' } }])).toHaveLength(
      2,
    );
    expect(() => e.registerKprobes([])).toThrow(/empty batch/);
  });

  it('register_kprobes then a run: every probe of the batch hits; unregister_kprobes restores the bytes', () => {
    const { m, e } = probed(isa, 'ktest');
    const ps = e.registerKprobes([{ point: { symbol: 'target' } }, { point: { symbol: 'main' } }]);
    expect(m.run()).toEqual({ kind: 'exit', status: 0 });
    expect(ps.map((p) => p.nhit)).toEqual([1, 1]);
    e.unregisterKprobes(ps);
    expect(ps.every((p) => !p.registered)).toBe(true);
  });

  it('register_kretprobes: a refused one rolls back the others; a good batch catches every return', () => {
    const { m, e } = probed(isa, 'ktest');
    expect(() =>
      e.registerKretprobes([{ point: { symbol: 'target' } }, { point: { symbol: 'no_such_function' } }]),
    ).toThrow(ProbeError);
    const live = () => (e.existingKretprobes()?.all ?? []).filter((rp) => rp.registered);
    expect(live()).toHaveLength(0);
    const seen: string[] = [];
    const rps = e.registerKretprobes([
      { point: { symbol: 'target' }, options: { handler: () => void seen.push('target') } },
    ]);
    expect(m.run()).toEqual({ kind: 'exit', status: 0 });
    expect(seen).toEqual(['target']);
    expect(live()).toHaveLength(1);
    e.unregisterKretprobes(rps);
    expect(live()).toHaveLength(0);
  });
});
