// The corpus of real programs (fixtures/corpus: static glibc for three ISAs, musl, C++,
// busybox), each case on each variant it is built for: kprobe-emu's stdout, stderr and exit
// status equal qemu-user's (the committed expected/ files, and qemu-user itself where it is
// installed), with stdin piped in, and nothing of kprobe-emu's own on stderr.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { pipeStdio } from '../emu/files.js';
import { CASES, CORPUS, type Case, headReader, missingRoot, rootOf } from './corpus-cases.js';
import { hasCommand, runCaptured } from './helpers.js';

// Each run is synchronous inside: a turn of the event loop after each lets vitest's worker
// answer its RPC (a file that never yields trips its 60 s timeout on a slow machine).
afterEach(() => new Promise<void>((resolve) => setImmediate(resolve)));

const QEMU: Record<string, string> = {
  x86_64: 'qemu-x86_64',
  i386: 'qemu-i386',
  ppc64: 'qemu-ppc64',
  'musl-x86_64': 'qemu-x86_64',
  'busybox-x86_64': 'qemu-x86_64',
  'x86_64-pie': 'qemu-x86_64',
  'i386-pie': 'qemu-i386',
  'x86_64-dyn': 'qemu-x86_64',
  'i386-dyn': 'qemu-i386',
  'ppc64-dyn': 'qemu-ppc64',
};

/**
 * Where the CPU engine computes differently from qemu-user 7.2, line by line ([qemu-user's,
 * kprobe-emu's]). Unicorn 2.1.4 carries QEMU 5.0's x86 FPU: SSE arithmetic never sets
 * MXCSR's exception flags (fetestexcept sees none; QEMU 6.0 added update_mxcsr_from_sse_status),
 * and x87 fyl2x of 0 leaves its operand instead of -inf (QEMU 5.2 rewrote it). Each line must
 * still differ: when the engine is fixed the test says to remove its entry.
 */
const ENGINE_DIFFERS: Record<string, [string, string][]> = {
  'fp x86_64': [
    ['1/0 = inf: divbyzero 1', '1/0 = inf: divbyzero 0'],
    ['1/3: inexact 1 divbyzero 0', '1/3: inexact 0 divbyzero 0'],
    ['0/0: invalid 1', '0/0: invalid 0'],
    ['1e308*10: overflow 1', '1e308*10: overflow 0'],
  ],
  'fp musl-x86_64': [
    ['1/0 = inf: divbyzero 1', '1/0 = inf: divbyzero 0'],
    ['1/3: inexact 1 divbyzero 0', '1/3: inexact 0 divbyzero 0'],
    ['0/0: invalid 1', '0/0: invalid 0'],
    ['1e308*10: overflow 1', '1e308*10: overflow 0'],
  ],
  'fp i386': [
    ['log(0) = -inf', 'log(0) = 0'],
    ['1/3: inexact 1 divbyzero 0', '1/3: inexact 0 divbyzero 0'],
    ['0/0: invalid 1', '0/0: invalid 0'],
    ['1e308*10: overflow 1', '1e308*10: overflow 0'],
  ],
};

function expectedOf(c: Case): { stdout: string; stderr: string; status: number } {
  const f = (ext: string) => `${CORPUS}/expected/${c.name}.${ext}`;
  return {
    stdout: readFileSync(f('out'), 'latin1'),
    stderr: existsSync(f('err')) ? readFileSync(f('err'), 'latin1') : '',
    status: Number(readFileSync(f('status'), 'utf8').trim()),
  };
}

/** The expected stdout with the engine's known differences put in (kprobe-emu's lines). */
function withEngineDifferences(key: string, stdout: string): string {
  let s = stdout;
  for (const [qemu, ours] of ENGINE_DIFFERS[key] ?? []) {
    expect(s.split('\n'), `${key}: qemu-user's line '${qemu}'`).toContain(qemu);
    s = s.replace(`${qemu}\n`, `${ours}\n`);
  }
  return s;
}

describe.each(CASES)('corpus case $name', (c) => {
  const want = expectedOf(c);
  it.each(c.variants)('%s: same stdout, stderr and status as qemu-user, no notes', async (variant) => {
    const missing = missingRoot(variant);
    if (missing) {
      console.warn(`corpus ${c.name} ${variant} skipped: ${missing}`);
      return;
    }
    const prog = `${CORPUS}/build/${variant}/${c.program}`;
    const head = c.pipeTo ? headReader(c.pipeTo) : undefined;
    const root = rootOf(variant);
    const r = await runCaptured(prog, c.args, {
      ...(root !== undefined ? { root } : {}),
      stdio: pipeStdio(Buffer.from(c.stdin ?? '', 'latin1')),
      ...(head ? { stdout: head.write } : {}),
      // Threads that wait for each other by spinning need preemption, as qemu-user's real threads have.
      quantum: 100_000,
    });
    expect(r.warnings).toEqual([]);
    expect(r.report).toBeUndefined();
    expect(head ? head.text() : r.stdout).toBe(withEngineDifferences(`${c.name} ${variant}`, want.stdout));
    expect(r.stderr).toBe(want.stderr);
    expect(r.status).toBe(want.status);
  });

  const qemuMissing = c.variants.map((v) => QEMU[v] ?? '').filter((q) => !hasCommand(q));
  it.skipIf(qemuMissing.length > 0).each(c.variants)(
    '%s: the expected files are what qemu-user gives',
    (variant) => {
      const qemu = QEMU[variant] ?? '';
      const prog = `${CORPUS}/build/${variant}/${c.program}`;
      const root = rootOf(variant);
      if (missingRoot(variant)) return;
      const run = [qemu, ...(root !== undefined ? ['-L', root] : []), prog, ...c.args]
        .map((a) => `'${a.replace(/'/g, `'\\''`)}'`)
        .join(' ');
      // Pipes on fds 0-2, as the in-process run has (Node's own stdio would be sockets).
      const reader = c.pipeTo ?? 'cat';
      const line = `printf %s "$INPUT" | ${run} 2> >(cat >&2) | ${reader}; exit \${PIPESTATUS[1]}`;
      // A session of its own, as run.py gives: in a container whose session leader lies outside the
      // pid namespace, getsid and getpgrp would otherwise return 0 (syscalls prints whether they are > 0).
      const q = spawnSync('setsid', ['--wait', 'bash', '--norc', '--noprofile', '-c', line], {
        encoding: 'latin1',
        env: { INPUT: c.stdin ?? '' },
        timeout: 60_000,
      });
      expect(q.stdout).toBe(want.stdout);
      expect(q.stderr).toBe(want.stderr);
      expect(q.status).toBe(want.status);
    },
  );
});
