// TidMap: the per-task map probe hits use instead of a hashed Map.
import { describe, expect, it } from 'vitest';
import { TidMap } from '../../emu/tasks.js';

describe('TidMap', () => {
  it('behaves as a Map keyed by tid: set, get, delete, size, entries in tid order, clear', () => {
    const m = new TidMap<string>(1000);
    expect([m.size, m.get(1000), m.delete(1000)]).toEqual([0, undefined, false]);
    m.set(1005, 'e');
    m.set(1000, 'a');
    m.set(1002, 'c');
    m.set(1002, 'C');
    expect([m.size, m.get(1002), m.get(1001), m.get(99_999)]).toEqual([3, 'C', undefined, undefined]);
    expect([...m]).toEqual([
      [1000, 'a'],
      [1002, 'C'],
      [1005, 'e'],
    ]);
    expect([...m.values()]).toEqual(['a', 'C', 'e']);
    expect([m.delete(1002), m.delete(1002), m.size]).toEqual([true, false, 2]);
    m.clear();
    expect([m.size, [...m]]).toEqual([0, []]);
  });
  it('refuses a tid outside its thread group', () => {
    const m = new TidMap<number>(1000);
    expect(() => m.set(999, 1)).toThrow(/tid 999 is not of thread group 1000/);
    expect(() => m.set(1000.5, 1)).toThrow(RangeError);
  });
});
