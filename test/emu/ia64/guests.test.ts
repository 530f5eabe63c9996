// Counterpart: HP Ski's user-mode simulator (bskinc) on the reference guests, whose output,
// exit status and executed-slot counts fixtures/ia64/README.md records.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseElf } from '../../../emu/ia64/load.js';
import { Ia64Machine } from '../../../emu/ia64/machine.js';

const BUILD = 'fixtures/ia64/build';

function boot(guest: string, onWrite?: (s: string) => void): { m: Ia64Machine; out: () => string } {
  let out = '';
  const m = new Ia64Machine(parseElf(readFileSync(`${BUILD}/${guest}`)), (_fd, bytes) => {
    const s = new TextDecoder().decode(bytes);
    out += s;
    onWrite?.(s);
  });
  return { m, out: () => out };
}

const hex = (v: bigint): string => v.toString(16);

describe('IA-64 reference guests (Ski oracle)', () => {
  it('hello: prints, exits 0, 12 slots', () => {
    const { m, out } = boot('hello');
    expect(m.run()).toEqual({ kind: 'exit', status: 0 });
    expect(out()).toBe('hello\n');
    expect(m.cpu.executed).toBe(12);
  });

  it('ops: five checksum lines, 2,346 slots', () => {
    const { m, out } = boot('ops');
    expect(m.run()).toEqual({ kind: 'exit', status: 0 });
    expect(out()).toBe(
      [
        'A efeb229716660fda',
        'B 27480d5331cf4f47',
        'C 0000000000706283',
        'D 9ffffffff8b333fd',
        'E c000000000024b75',
        '',
      ].join('\n'),
    );
    expect(m.cpu.executed).toBe(2346);
  });

  it('fib: fib(25)=75025 in 4,734,641 slots', () => {
    const { m, out } = boot('fib');
    expect(m.run()).toEqual({ kind: 'exit', status: 0 });
    expect(out()).toBe('fib(25)=75025\n');
    expect(m.cpu.executed).toBe(4_734_641);
  });

  it("fib: the first 400 steps match Ski's ip/cfm trace line for line", () => {
    let trace = '';
    const { m } = boot('fib', (s) => {
      trace += s;
    });
    for (let i = 0; i < 400; i++) {
      expect(m.step()).toBeUndefined();
      trace += `ip = ${hex(m.cpu.ipWithSlot())}\ncfm = ${hex(m.cpu.cfm())}\n`;
    }
    const want = readFileSync('fixtures/ia64/fib.trace400.txt', 'utf8').split('\n');
    const got = trace.split('\n');
    for (let i = 0; i < want.length; i++) expect(got[i], `trace line ${i + 1}`).toBe(want[i]);
  });

  it('reports a fetch from an unmapped address as a stop, not an exception', () => {
    const { m } = boot('hello');
    m.cpu.ip = 0; // region 0, offset 0: nothing is mapped there
    expect(m.run(10)).toEqual({ kind: 'fault', access: 'fetch', address: 0n, reason: 'unmapped', ip: 0n });
    expect(m.cpu.executed).toBe(0);
  });
});
