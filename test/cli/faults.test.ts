// The guest-fault matrix: every fault of fixtures/src/faults.c on every ISA ends the thread
// group as Linux does (SIGSEGV, status 139), with a one-line report naming the faulting
// instruction and the task, and the output written before the fault kept. Probes on the
// faulting function and on calls in flight change none of it and leave no trace: code
// unpatched once they are unregistered, no return-probe instance of the dead task.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { Machine, StopReason } from '../../emu/machine.js';
import type { KretDropReason } from '../../src/kretprobes.js';
import { describeStop } from '../../emu/stop-report.js';
import { createMachine, loadElfFile } from '../../src/run.js';
import { cli, fixture, group, hasCommand, hex, ISAS, present, type IsaName } from '../helpers.js';
import { checkAndClose, probed } from '../kprobes/support.js';

const KINDS = ['read', 'code', 'exec', 'stack', 'null'] as const;
type Kind = (typeof KINDS)[number];

/** The faulting function of each kind: its entry gets a kprobe and a return probe. */
const fn = (kind: Kind) => `fault_${kind}`;

/** A stack address in a report: where the overflow faults depends on argv and the environment. */
const SP = '<sp>';

/**
 * What follows "killed by SIGSEGV at " in each report: symbol+offset/size (PC): instruction:
 * detail. Linux reports the same PC: the load or store that faults; for a jump, the target
 * (exec_buf, 0x0). On ppc64 a NULL function pointer faults on the descriptor load in the
 * caller, and the overflowing frame on the `stdux` that makes it.
 */
const REPORT: Record<IsaName, Record<Kind, string>> = {
  x86_64: {
    read: 'fault_read+0x7/0xa (0x400189): mov eax, dword ptr [rax]: invalid read at 0x8 (not mapped)',
    code: 'fault_code+0x0/0xb (0x40018c): mov dword ptr [rip - 0xa], 0: write at 0x40018c to read-only memory',
    exec: 'exec_buf+0x0/0x10 (0x401930): ret: execution at 0x401930 of non-executable memory',
    stack: `fault_stack+0x16/0x3e (0x4001bf): mov byte ptr [rsp], dil: invalid write at ${SP} (not mapped)`,
    null: '0x0 (0x0): jump to unmapped address at 0x0',
  },
  i386: {
    read: 'fault_read+0x5/0x8 (0x804814b): mov eax, dword ptr [eax]: invalid read at 0x8 (not mapped)',
    code: 'fault_code+0x0/0xb (0x804814e): mov dword ptr [0x804814e], 0: write at 0x804814e to read-only memory',
    exec: 'exec_buf+0x0/0x10 (0x80498d0): ret: execution at 0x80498d0 of non-executable memory',
    stack: `fault_stack+0x1c/0x48 (0x8048183): mov byte ptr [esp], dl: invalid write at ${SP} (not mapped)`,
    null: '0x0 (0x0): jump to unmapped address at 0x0',
  },
  ppc64: {
    read: 'fault_read+0x8/0x10 (0x1000021c): lwa r3, 0(r9): invalid read at 0x8 (not mapped)',
    code: 'fault_code+0x10/0x18 (0x100001c8): stw r10, 0(r9): write at 0x100001b8 to read-only memory',
    exec: 'exec_buf+0x0/0x10 (0x100013c0): blr: execution at 0x100013c0 of non-executable memory',
    stack: `fault_stack+0x20/0x64 (0x10000284): stdux r1, r1, r0: invalid write at ${SP} (not mapped)`,
    null: 'fault_null+0x18/0x40 (0x100002e0): ld r10, 0(r9): invalid read at 0x0 (not mapped)',
  },
};

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** The whole report line. */
const reportLine = (isa: IsaName, kind: Kind): RegExp =>
  new RegExp(
    `^kprobe-emu: task 1000 killed by SIGSEGV at ${escape(REPORT[isa][kind]).replace(escape(SP), '0x[0-9a-f]+')}$`,
  );

/** The first line of every fault kind: still there after the fault. */
const before = (kind: Kind) => `faulting: ${kind}\n`;

/** One line on stderr, no JavaScript stack trace. */
function expectOneLine(stderr: string, pattern: RegExp): void {
  expect(stderr).not.toMatch(/^\s+at /m);
  expect(stderr.trimEnd().split('\n')).toHaveLength(1);
  expect(stderr.trimEnd()).toMatch(pattern);
}

const dir = mkdtempSync(join(tmpdir(), 'kprobe-emu-faults-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs of the CLI, once each: the plain one, and one with probes and the trace in a file. */
const runs = new Map<string, ReturnType<typeof cli> & { trace: string }>();
function run(isa: IsaName, kind: Kind, withProbes: boolean) {
  const key = `${isa} ${kind} ${withProbes}`;
  let r = runs.get(key);
  if (!r) {
    const out = join(dir, `${isa}-${kind}.trace`);
    const probes = withProbes
      ? ['-o', out, '-e', `p:f ${fn(kind)}`, '-e', 'r:g main', '-e', `r:h ${fn(kind)}`]
      : [];
    r = {
      ...cli(['run', ...probes, fixture(isa, 'faults'), kind]),
      trace: withProbes ? readFileSync(out, 'latin1') : '',
    };
    runs.set(key, r);
  }
  return r;
}

describe.each(ISAS)('faults on %s: kprobe-emu run', (isa) => {
  it.each(KINDS)('%s: killed by SIGSEGV (139), the line printed before the fault kept', (kind) => {
    const r = run(isa, kind, false);
    expect([r.status, r.stdout]).toEqual([139, before(kind)]);
    expectOneLine(r.stderr, /^kprobe-emu: task 1000 killed by SIGSEGV at /);
  });

  it.each(KINDS)('%s: the report names the faulting instruction and the task', (kind) => {
    expectOneLine(run(isa, kind, false).stderr, reportLine(isa, kind));
  });

  it.each(KINDS)(
    '%s: a kprobe on the faulting function and return probes on it and on main change nothing',
    (kind) => {
      const plain = run(isa, kind, false);
      const r = run(isa, kind, true);
      expect([r.status, r.stdout]).toEqual([139, before(kind)]);
      expect(r.stderr).toBe(plain.stderr);
      // Entries only: no call returned, and the trace holds nothing but the entry hits.
      const lines = r.trace.trimEnd().split('\n');
      expect(lines.length).toBeGreaterThan(0);
      for (const l of lines)
        expect(l).toMatch(
          new RegExp(`^ +faults-1000 \\[000\\] \\.+ +[0-9.]+: f: \\(${fn(kind)}\\+0x0/0x[0-9a-f]+\\)$`),
        );
      if (kind !== 'stack') expect(lines).toHaveLength(1);
    },
  );
});

const QEMU = { x86_64: 'qemu-x86_64', i386: 'qemu-i386', ppc64: 'qemu-ppc64' } as const;

describe.each(ISAS)('faults on %s: the same as qemu-user', (isa) => {
  const qemu = QEMU[isa];
  it.skipIf(!hasCommand(qemu)).each(KINDS)(`%s: same stdout and status as ${qemu}`, (kind) => {
    const q = spawnSync(qemu, ['./faults', kind], {
      cwd: `fixtures/build/${isa}`,
      encoding: 'latin1',
      timeout: 60_000,
    });
    expect([q.signal, q.stdout]).toEqual(['SIGSEGV', before(kind)]);
    const r = run(isa, kind, false);
    expect([r.status, r.stdout]).toEqual([128 + 11, q.stdout]);
  });
});

/** Every executable segment's bytes, as the guest reads them. */
const text = (m: Machine): Uint8Array[] =>
  m.image.segments.filter((s) => s.executable).map((s) => m.mem.read(s.vaddr, Number(s.memsz)));

/** The stop of a run with no kprobe engine at all, for comparison. */
function plainStop(isa: IsaName, kind: Kind): StopReason {
  const m = createMachine(loadElfFile(fixture(isa, 'faults')), {
    argv: ['./faults', kind],
    stdout: () => {},
    stderr: () => {},
    warn: () => {},
  });
  try {
    return m.run();
  } finally {
    m.close();
  }
}

/**
 * The probe point on the faulting instruction itself, when it is inside a function past its
 * entry: the fault then happens while the instruction is stepped out of line or, for stack
 * (the instruction runs once per frame, so its later hits are boosted), while its copy runs
 * in the slot; either way it is reported at the probed instruction.
 */
function faultingInsn(isa: IsaName, kind: Kind): { symbol: string; offset: number } | undefined {
  const [, symbol, offset] = /^(fault_\w+)\+(0x[0-9a-f]+)\//.exec(REPORT[isa][kind]) ?? [];
  return symbol !== undefined && Number(offset) > 0 ? { symbol, offset: Number(offset) } : undefined;
}

describe.each(ISAS)('faults on %s: probe state after the task died', (isa) => {
  afterEach(checkAndClose);

  it.each(KINDS)('%s: same stop, code unpatched, no instance left', async (kind) => {
    const want = plainStop(isa, kind);
    const { m, e, out } = probed(isa, 'faults', [kind]);
    const original = text(m);
    let entries = 0;
    let insnHits = 0;
    const returns: string[] = [];
    const mainDrops: KretDropReason[] = [];
    const fnDrops: KretDropReason[] = [];
    const kps = [e.registerKprobe({ symbol: fn(kind) }, { preHandler: () => void entries++ })];
    // A probe on the faulting instruction: it faults while stepped out of line.
    const insn = faultingInsn(isa, kind);
    if (insn) kps.push(e.registerKprobe(insn, { preHandler: () => void insnHits++ }));
    const retprobe = (f: string, drops: KretDropReason[]) =>
      e.registerKretprobe(
        { symbol: f },
        {
          maxactive: 1000, // every call of the recursion is tracked
          handler: () => void returns.push(f),
          dropHandler: (_ri, why) => void drops.push(why),
        },
      );
    const rps = [retprobe('main', mainDrops), retprobe(fn(kind), fnDrops)];

    const stop = m.run();
    expect(out()).toBe(before(kind));
    expect(stop).toEqual(want);
    expect(stop).toMatchObject({ kind: 'signal', signal: 11, name: 'SIGSEGV', tid: 1000 });
    if (kind === 'stack' && stop.kind === 'signal') {
      // The overflow faults just below the stack's end.
      const bottom = m.isa.layout.stackTop - m.isa.layout.stackSize;
      const addr = Number(group(/at (0x[0-9a-f]+)/, stop.detail));
      expect(addr < bottom && addr >= bottom - 0x20000, `${hex(addr)} just below ${hex(bottom)}`).toBe(true);
    }

    // Hits: one entry per call, the faulting instruction once, and no call returned.
    expect(entries).toBe(kind === 'stack' ? fnDrops.length : 1);
    if (insn) expect(insnHits).toBe(kind === 'stack' ? entries : 1); // stack: once a frame
    expect(returns).toEqual([]);
    // The task died: each call in flight is dropped as a task exit, none is left.
    expect(mainDrops).toEqual(['task-exit']);
    expect(fnDrops.length).toBeGreaterThan(0);
    expect(new Set(fnDrops)).toEqual(new Set(['task-exit']));
    const kret = e.kretprobes();
    expect(m.sched.live()).toEqual([]);
    expect([kret.inFlight(), kret.instances(1000).length, ...rps.map((rp) => rp.used)]).toEqual([0, 0, 0, 0]);
    expect(rps.map((rp) => rp.nmissed)).toEqual([0, 0]);
    expect(e.checkInvariants()).toEqual([]);

    // Unregistered, the code reads as it did before any probe; the report shows it.
    for (const rp of rps) e.unregisterKretprobe(rp);
    for (const kp of kps) e.unregisterKprobe(kp);
    const now = text(m);
    expect(now.length).toBe(original.length);
    now.forEach((seg, i) =>
      expect(
        Buffer.from(seg).equals(Buffer.from(present(original[i], `segment ${i} before`))),
        `segment ${i} unpatched`,
      ).toBe(true),
    );
    expect(e.checkInvariants()).toEqual([]);
    expect(await describeStop(m, stop)).toMatch(reportLine(isa, kind));
  });
});
