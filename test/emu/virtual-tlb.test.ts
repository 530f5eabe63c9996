// Guest memory under Unicorn 2.1's virtual TLB (Unicorn.useVirtualTlb): the engine the tests
// run on, no memory hook over guest memory, and every fault reported exactly as on the flat
// MMU (the faulting instruction, the address, the kind), page protections enforced.
import { describe, expect, it } from 'vitest';
import type { StopReason } from '../../emu/machine.js';
import { PROT_EXEC, PROT_READ, PROT_WRITE } from '../../emu/memory.js';
import { ucVersion } from '../../emu/unicorn.js';
import { engineHasVirtualTlb, UnicornEngine } from '../../emu/unicorn-engine.js';
import { createMachine, loadElfFile } from '../../src/run.js';
import { fixture, ISAS, type IsaName } from '../helpers.js';

function machineFor(isa: IsaName, name: string, args: string[], virtualTlb: boolean) {
  const out: Buffer[] = [];
  const m = createMachine(loadElfFile(fixture(isa, name)), {
    argv: [name, ...args],
    stdout: (b) => out.push(Buffer.from(b)),
    stderr: () => {},
    warn: () => {},
    virtualTlb,
  });
  return { m, out: () => Buffer.concat(out).toString('latin1') };
}

/** A run's stop and output; the stack fault's address depends on nothing here (same argv). */
function runOnce(
  isa: IsaName,
  name: string,
  args: string[],
  virtualTlb: boolean,
): { stop: StopReason; out: string; vtlb: boolean } {
  const { m, out } = machineFor(isa, name, args, virtualTlb);
  try {
    const stop = m.run();
    return { stop, out: out(), vtlb: (m.engine as UnicornEngine).virtualTlb };
  } finally {
    m.close();
  }
}

describe('the engine', () => {
  it('is Unicorn 2.1 or newer, with the virtual TLB (make fetches it: scripts/fetch-unicorn.sh)', () => {
    const v = ucVersion();
    expect(v.major * 100 + v.minor, `Unicorn ${v.text} is loaded`).toBeGreaterThanOrEqual(201);
    expect(engineHasVirtualTlb()).toBe(true);
  });
});

describe('x86_64 under the virtual TLB', () => {
  // The fill callback gets a 64-bit page address; above 2^53 a number would round it and at
  // 2^63 koffi hands it over negative: the report must still name the exact address.
  it.each(['0x7fffdeadbeef', '0x20000000000123', '0xdeadbeefdeadbeef'])(
    'a load from %s reports that exact address',
    (hex) => {
      const addr = BigInt(hex);
      const { m } = machineFor('x86_64', 'hello', [], true);
      try {
        // mov rax, addr; mov rax, [rax]
        const code = new Uint8Array(13);
        code.set([0x48, 0xb8]);
        new DataView(code.buffer).setBigUint64(2, addr, true);
        code.set([0x48, 0x8b, 0x00], 10);
        m.mem.patchCode(m.image.entry, code);
        expect(m.run()).toMatchObject({
          kind: 'signal',
          signal: 11,
          pc: m.image.entry + 10,
          detail: `invalid read at 0x${addr.toString(16)} (not mapped)`,
        });
      } finally {
        m.close();
      }
    },
  );
});

describe.each(ISAS)('%s under the virtual TLB', (isa) => {
  it('installs no memory hook over guest memory: one TLB fill hook, one memory hook on the fault page alone', () => {
    const { m } = machineFor(isa, 'fib', ['5'], true);
    try {
      expect((m.engine as UnicornEngine).virtualTlb).toBe(true);
      const hooks = m.engine.hooks();
      expect(hooks.filter((h) => h.kind === 'TLB_FILL')).toHaveLength(1);
      const mem = hooks.filter((h) => h.kind.startsWith('MEM'));
      const page = m.isa.layout.faultPage;
      expect(mem).toEqual([{ kind: 'MEM_UNMAPPED', begin: BigInt(page), end: BigInt(page) + 0xfffn }]);
      // The fault page lies beyond every address the guest can map.
      expect(page).toBeGreaterThan(m.isa.layout.stackTop);
      expect(m.mem.list().every((a) => a.end <= page)).toBe(true);
    } finally {
      m.close();
    }
  });

  it.each(['read', 'code', 'exec', 'stack', 'null'])(
    'fault %s: the same report as on the flat MMU',
    (kind) => {
      const flat = runOnce(isa, 'faults', [kind], false);
      const vtlb = runOnce(isa, 'faults', [kind], true);
      expect([flat.vtlb, vtlb.vtlb]).toEqual([false, true]);
      expect(flat.stop.kind).toBe('signal');
      expect(vtlb).toEqual({ ...flat, vtlb: true });
    },
  );

  it.each(['segv_write', 'segv_jump', 'illegal', 'trap'])(
    '%s: the same stop and output as on the flat MMU',
    (name) => {
      const flat = runOnce(isa, name, [], false);
      const vtlb = runOnce(isa, name, [], true);
      expect(vtlb).toEqual({ ...flat, vtlb: true });
    },
  );

  it('random accesses over 64 MB: the TLB grows, so few accesses call into JavaScript, and the result is right', () => {
    // 200,000 iterations of two random loads over 16,384 pages: with QEMU's first TLB (256
    // entries) nearly all of the 400,000 loads would miss and ask tlbFill.
    const { m, out } = machineFor(isa, 'memrand', ['200000'], true);
    try {
      expect(m.run()).toEqual({ kind: 'exit', status: 0 });
      expect(out()).toBe('memrand 200000 in 64 MB: checksum 0xfb70168048d94c23\n');
      expect(m.engine.pageLookups).toBeGreaterThan(16_384);
      expect(m.engine.pageLookups).toBeLessThan(100_000);
    } finally {
      m.close();
    }
  });

  it('enforces each page permission the guest sets, and a change takes effect at once', () => {
    const { m } = machineFor(isa, 'fib', ['5'], true);
    try {
      const at = m.mapEngineMemory(0x3000, PROT_READ | PROT_WRITE);
      const page = Number(at);
      expect([m.mem.pagePerms(page), m.mem.pagePerms(page + 0x2fff)]).toEqual([
        PROT_READ | PROT_WRITE,
        PROT_READ | PROT_WRITE,
      ]);
      expect(m.mem.pagePerms(Number(m.isa.layout.faultPage))).toBe(-1);
      expect(m.mem.protect(at + 0x1000, at + 0x2000, PROT_READ | PROT_EXEC)).toBe(true);
      expect([m.mem.pagePerms(page), m.mem.pagePerms(page + 0x1000), m.mem.pagePerms(page + 0x2000)]).toEqual(
        [PROT_READ | PROT_WRITE, PROT_READ | PROT_EXEC, PROT_READ | PROT_WRITE],
      );
      m.mem.unmap(at + 0x2000, at + 0x3000);
      expect(m.mem.pagePerms(page + 0x2000)).toBe(-1);
      // The host still writes a page the guest may only read and execute (as text_poke does).
      m.mem.patchCode(at + 0x1000, Uint8Array.of(1, 2, 3));
      expect([...m.mem.read(at + 0x1000, 3)]).toEqual([1, 2, 3]);
    } finally {
      m.close();
    }
  });
});
