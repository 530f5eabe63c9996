// Every fixture on every ISA: kprobe-emu against the committed expectations and, where
// qemu-user is installed, against qemu-user run side by side (same stdout, same status).
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { expected, fixture, fixtureArgs, fixtureNames, hasCommand, ISAS, runCaptured } from './helpers.js';

const QEMU = { x86_64: 'qemu-x86_64', i386: 'qemu-i386', ppc64: 'qemu-ppc64' } as const;

/**
 * spinwait busy-waits for a flag another thread sets: it ends only with preemption, which
 * kprobe-emu does when asked (--quantum), as qemu-user's real threads do by themselves.
 */
const OPTIONS: Record<string, { quantum?: number; maxInsns?: number }> = {
  spinwait: { quantum: 5000, maxInsns: 50_000_000 },
};

describe.each(ISAS)('%s fixtures', (isa) => {
  const names = fixtureNames(isa);
  it('has the fixtures the suite expects', () => {
    for (const n of [
      'hello',
      'fib',
      'nested',
      'tailcall',
      'loop',
      'globals',
      'funcptr',
      'threads',
      'thread_exit',
      'longjmp',
    ])
      expect(names).toContain(n);
  });

  it.each(names)('%s matches its expected output and status', async (name) => {
    const r = await runCaptured(fixture(isa, name), fixtureArgs(name), {
      argv: [`./${name}`],
      ...OPTIONS[name],
    });
    const want = expected(name);
    expect(r.stdout).toBe(want.stdout);
    expect(r.status).toBe(want.status);
  });

  const qemu = QEMU[isa];
  const haveQemu = hasCommand(qemu);
  if (!haveQemu)
    console.warn(
      `differential tests against ${qemu} skipped: ${qemu} is not installed (apt-get install qemu-user)`,
    );
  it.skipIf(!haveQemu).each(names)(`%s: same stdout and status as ${qemu}`, async (name) => {
    const args = fixtureArgs(name);
    const q = spawnSync(qemu, [`./${name}`, ...args], {
      cwd: `fixtures/build/${isa}`,
      encoding: 'latin1',
      timeout: 60_000,
    });
    const qStatus =
      q.status ??
      128 +
        (({ SIGSEGV: 11, SIGILL: 4, SIGFPE: 8, SIGTRAP: 5, SIGABRT: 6, SIGBUS: 7 } as Record<string, number>)[
          q.signal ?? ''
        ] ?? 0);
    const r = await runCaptured(fixture(isa, name), args, { argv: [`./${name}`], ...OPTIONS[name] });
    expect(r.stdout).toBe(q.stdout);
    expect(r.status).toBe(qStatus);
  });
});
