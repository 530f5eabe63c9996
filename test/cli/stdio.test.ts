// The guest's standard streams through the CLI: the host's stdin passes through (or
// --stdin FILE), a closed stdout pipe ends a writer with SIGPIPE as under Linux, -q keeps
// notes off stderr, and a refused run leaves no -o file.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cli, fixture } from '../helpers.js';

const CORPUS = 'fixtures/corpus/build';
const dir = mkdtempSync(join(tmpdir(), 'kprobe-emu-stdio-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A shell line, run by bash with pipes on every fd (Node's own are sockets). */
function sh(line: string, input = '') {
  const r = spawnSync('bash', ['--norc', '--noprofile', '-c', line], {
    encoding: 'latin1',
    env: { ...process.env, INPUT: input },
    timeout: 60_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const run = `'${process.execPath}' dist/src/cli.js run`;

describe('standard streams through the CLI', () => {
  it('stdin passes through: a line reader sees what is piped in', () => {
    const r = sh(`printf %s "$INPUT" | ${run} ${CORPUS}/x86_64/lines | cat`, 'b\na\n');
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('lines: 2, bytes: 4, reads: 2\n2: A\n1: B\n');
  });

  it('--stdin FILE is the guest stdin; a file that cannot be opened is a usage error', () => {
    const f = join(dir, 'input.txt');
    writeFileSync(f, 'one\ntwo\nthree\n');
    const r = cli(['run', '--stdin', f, `${CORPUS}/busybox-x86_64/busybox`, 'wc', '-l']);
    expect(r.stdout.trim()).toBe('3');
    expect(r.status).toBe(0);
    const bad = cli(['run', '--stdin', join(dir, 'missing'), fixture('x86_64', 'hello')]);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain(`cannot open ${join(dir, 'missing')} for the guest's stdin: ENOENT`);
  });

  it('yes | head -2 ends: the writer dies of SIGPIPE (141) and nothing is reported', () => {
    const r = sh(`${run} ${CORPUS}/busybox-x86_64/busybox yes | head -2; echo "status \${PIPESTATUS[0]}"`);
    expect(r.stdout).toBe('y\ny\nstatus 141\n');
    expect(r.stderr).toBe('');
  });

  it('a writer that ignores SIGPIPE gets EPIPE', () => {
    const r = sh(
      `${run} ${CORPUS}/i386/epipe ignore | head -c 10 >/dev/null; echo "status \${PIPESTATUS[0]}"`,
    );
    expect(r.stdout).toBe('status 3\n');
    expect(r.stderr).toBe('write: EPIPE\n');
  });

  it('-q keeps the notes of refused calls off stderr; without it they are there', () => {
    const args = [fixture('x86_64', 'sandbox'), 'try', join(dir, 'probe')];
    const loud = cli(['run', ...args]);
    expect(loud.stderr).toMatch(/^kprobe-emu: system call open would reach the host/m);
    const quiet = cli(['run', '-q', ...args]);
    expect(quiet.stdout).toBe(loud.stdout);
    expect(quiet.stderr).toBe('');
  });

  it('a run refused before it starts leaves no -o file; a run that starts writes it', () => {
    const out = join(dir, 'trace.json');
    const bad = cli([
      'run',
      '--format',
      'chrome',
      '-o',
      out,
      '-e',
      'p:x no_such_function',
      fixture('x86_64', 'fib'),
    ]);
    expect(bad.status).toBe(2);
    expect(existsSync(out)).toBe(false);
    const ok = cli(['run', '--format', 'chrome', '-o', out, '-e', 'p:x fib', fixture('x86_64', 'fib'), '3']);
    expect(ok.status).toBe(0);
    expect(JSON.parse(readFileSync(out, 'utf8'))).toBeTypeOf('object');
  });

  it('a task renamed with prctl(PR_SET_NAME) shows under its new name in traces and $comm', () => {
    const r = cli(['run', '-e', 'p:aff sched_getaffinity name=$comm', `${CORPUS}/x86_64/syscalls`], '');
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(
      /^ *a-very-long-thr-1000 \[000\] .*: aff: \(sched_getaffinity\+0x0\/0x[0-9a-f]+\) name="a-very-long-thr"$/m,
    );
  });

  it('--clock host gives the host wall clock; the default starts at 2005-08-27', () => {
    const guest = cli(['run', `${CORPUS}/busybox-x86_64/busybox`, 'date', '-u', '+%Y-%m-%d']);
    expect(guest.stdout).toBe('2005-08-27\n');
    const host = cli(['run', '--clock', 'host', `${CORPUS}/busybox-x86_64/busybox`, 'date', '-u', '+%Y']);
    expect(host.stdout).toBe(`${new Date().getUTCFullYear()}\n`);
  });
});
