// The probe options of `kprobe-emu run`: -e, --events-file, --format json, -o, --profile,
// and definitions that cannot be parsed or registered (exit 2, caret, guest never runs).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cli, fixture, ISAS, joinedRegExp } from '../helpers.js';
import { createMachine, loadElfFile } from '../../src/run.js';
import { instructionBoundaries } from '../kprobes/support.js';

const dir = mkdtempSync(join(tmpdir(), 'kprobe-emu-probes-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The stack pointer by its pt_regs name. */
const SP = { x86_64: 'sp', i386: 'sp', ppc64: 'r1' } as const;

describe.each(ISAS)('%s', (isa) => {
  it('JSON trace: one object per hit with the documented fields, $argN through the ABI', () => {
    const out = join(dir, `${isa}.jsonl`);
    const r = cli([
      'run',
      '--format',
      'json',
      '-o',
      out,
      '-e',
      `p:grp/tgt target v=$arg1:u32 %${SP[isa]}`,
      fixture(isa, 'ktest'),
      '300',
    ]);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('target = 100\ntarget2 = 101\nrecursed_target = 100\n');
    const lines = readFileSync(out, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines).toHaveLength(1);
    const ev = lines[0];
    expect(Object.keys(ev)).toEqual(['seq', 'ts', 'type', 'group', 'event', 'task', 'pc', 'at', 'args']);
    expect(ev).toMatchObject({
      seq: 1,
      type: 'kprobe',
      group: 'grp',
      event: 'tgt',
      task: 1000,
      at: 'target+0x0',
    });
    expect(ev.pc).toMatch(/^0x[0-9a-f]+$/);
    expect(ev.args.v).toBe('300');
    expect(ev.args.arg2).toMatch(/^0x[0-9a-f]+$/);
  });

  it('--profile prints EVENT HITS MISSES; text trace goes to stderr by default', () => {
    const r = cli([
      'run',
      '--profile',
      '-e',
      'p fib n=$arg1:s32',
      '-e',
      'p:calls main',
      fixture(isa, 'fib'),
      '5',
    ]);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('fib(5) = 5\n');
    const lines = r.stderr.trim().split('\n');
    expect(lines.filter((l) => / p_fib_0: \(fib\+0x0\/0x[0-9a-f]+\) n=-?\d+$/.test(l))).toHaveLength(15);
    expect(lines.slice(-2)).toEqual(['p_fib_0 15 0', 'calls 1 0']);
  });

  it('return probes: r and p...%return are the same; JSON kretprobe events with at, pc, ret and $retval', () => {
    const out = join(dir, `${isa}-ret.jsonl`);
    const r = cli([
      'run',
      '--format',
      'json',
      '-o',
      out,
      '-e',
      'r:grp/fr fib v=$retval:u32',
      '-e',
      'p:pr fib%return $retval:s32',
      fixture(isa, 'fib'),
      '4',
    ]);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('fib(4) = 3\n');
    const evs = readFileSync(out, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(evs).toHaveLength(18); // 9 calls of fib(4), two probes each
    const last = evs.at(-1);
    expect(Object.keys(last)).toEqual([
      'seq',
      'ts',
      'duration',
      'type',
      'group',
      'event',
      'task',
      'pc',
      'at',
      'ret',
      'args',
    ]);
    expect(last).toMatchObject({ type: 'kretprobe', task: 1000, at: 'fib', args: { arg1: '3' } });
    expect(last.ret).toMatch(/^main\+0x[0-9a-f]+$/);
    expect(last.pc).toMatch(/^0x[0-9a-f]+$/);
    expect(evs.filter((e) => e.event === 'fr').map((e) => e.args.v)).toEqual(
      evs.filter((e) => e.event === 'pr').map((e) => e.args.arg1),
    );
    expect(evs.filter((e) => e.event === 'fr')[0]).toMatchObject({
      group: 'grp',
      ret: expect.stringMatching(/^fib\+0x/),
    });
  });

  it('return probes in text and --profile: hits are returns, misses are calls no instance was free for', () => {
    const r = cli([
      'run',
      '--profile',
      '-e',
      'r2:two fib $retval:u32',
      '-e',
      'r:all fib',
      fixture(isa, 'fib'),
      '5',
    ]);
    expect(r.status).toBe(0);
    const lines = r.stderr.trim().split('\n');
    expect(
      lines.filter((l) => / two: \((fib|main)\+0x[0-9a-f]+\/0x[0-9a-f]+ <- fib\) arg1=\d+$/.test(l)),
    ).toHaveLength(3);
    expect(lines.slice(-2)).toEqual(['two 3 12', 'all 15 0']);
  });

  it('return probe options: --blacklist, --no-kretprobe-sp-check', () => {
    const black = cli([
      'run',
      '--blacklist',
      'target2',
      '-e',
      'p target',
      '-e',
      'r target2',
      fixture(isa, 'ktest'),
    ]);
    expect(black.status).toBe(2);
    expect(black.stderr).toMatch(/target2 is on the blacklist/);
    const probes = ['-e', 'r landing', '-e', 'r esc_a', '-e', 'r esc_b', '-e', 'r esc_c'];
    const checked = cli(['run', ...probes, fixture(isa, 'rettest'), 'longjmp']);
    expect([checked.status, checked.stdout]).toEqual([0, 'landing = 31\nlanding_plain = 42\n']);
    const unchecked = cli(['run', '--no-kretprobe-sp-check', ...probes, fixture(isa, 'rettest'), 'longjmp']);
    expect(unchecked.status).not.toBe(0);
    expect(unchecked.stderr).toMatch(/r_esc_c_0: \(esc_b\+0x[0-9a-f]+\/0x[0-9a-f]+ <- esc_c\)/);
  });

  it('--max-probes: past the limit, ENOSPC before the program runs; a return probe counts its entry probe', () => {
    const fits = cli([
      'run',
      '--max-probes',
      '3',
      '-e',
      'p target',
      '-e',
      'p main',
      '-e',
      'r target2',
      fixture(isa, 'ktest'),
    ]);
    expect(fits.status).toBe(0);
    const over = cli([
      'run',
      '--max-probes',
      '2',
      '-e',
      'p target',
      '-e',
      'p main',
      '-e',
      'r target2',
      fixture(isa, 'ktest'),
    ]);
    expect([over.status, over.stdout]).toEqual([2, '']);
    expect(over.stderr).toMatch(
      joinedRegExp(
        /^kprobe-emu: bad probe definition: cannot probe here: /,
        /the limit of 2 registered probes is reached \(maxProbes, --max-probes\) \(ENOSPC\)\n {2}r target2\n/,
      ),
    );
  });

  it('256 probes at once (multiple_kprobes.tc): instruction addresses of the program, from an events file', () => {
    const m = createMachine(loadElfFile(fixture(isa, 'rettest')), {
      argv: ['rettest'],
      stdout: () => {},
      stderr: () => {},
      warn: () => {},
    });
    const addrs = instructionBoundaries(m).slice(0, 256);
    m.close();
    expect(addrs).toHaveLength(256);
    const f = join(dir, `${isa}-256.events`);
    writeFileSync(f, addrs.map((a, i) => `p:multi/e${i} 0x${a.toString(16)}`).join('\n'));
    const r = cli([
      'run',
      '--profile',
      '-o',
      join(dir, `${isa}-256.trace`),
      '--events-file',
      f,
      fixture(isa, 'rettest'),
    ]);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(readFileSync('fixtures/expected/rettest.out', 'latin1'));
    const profile = r.stderr
      .trim()
      .split('\n')
      .filter((l) => /^e\d+ \d+ \d+$/.test(l));
    expect(profile).toHaveLength(256);
    expect(profile.filter((l) => !l.endsWith(' 0 0')).length).toBeGreaterThan(50);
  });

  it('--events-file with comments', () => {
    const f = join(dir, `${isa}.events`);
    writeFileSync(f, '# probes\np:one target   # the first\n\np:two target2\n');
    const r = cli(['run', '--profile', '--events-file', f, fixture(isa, 'ktest')]);
    expect(r.status).toBe(0);
    expect(r.stderr.trim().split('\n').slice(-2)).toEqual(['one 1 0', 'two 1 0']);
  });
});

describe('bad definitions exit 2 before the guest runs, with a caret', () => {
  const cases: [string, string, RegExp, number][] = [
    ['mid-instruction address', 'p:e target+1', /not an instruction boundary/, 4],
    ['unknown symbol', 'p nosuch', /no function named 'nosuch'/, 2],
    ['bad type', 'p target x=$arg1:u12', /unknown type 'u12'/, 17],
    ['unknown register', 'p target %xyz', /unknown register '%xyz'/, 9],
    ['$retval on a kprobe', 'p target $retval', /\$retval is only valid for return probes/, 9],
    ['negative offset', 'p target-4', /negative offset/, 8],
    ['garbage', 'q target', /starts with 'p', 'r' or '-:'/, 0],
    ['MAXACTIVE too big', 'r5000 target', /MAXACTIVE is at most 4096/, 1],
    ['MAXACTIVE zero', 'r0 target', /MAXACTIVE must be at least 1/, 1],
    ['MAXACTIVE on a kprobe', 'p4 target', /MAXACTIVE is only valid for return probes/, 1],
    ['return probe off the entry', 'r:x target+4', /a return probe goes on a function entry/, 4],
    ['%return on r', 'r target%return', /%return goes with 'p'/, 8],
  ];
  it.each(cases)('%s', (_n, def, pattern, column) => {
    const r = cli(['run', '-e', def, fixture('x86_64', 'ktest')]);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe(''); // the guest never ran
    const lines = r.stderr.split('\n');
    expect(lines[0]).toMatch(pattern);
    expect(lines[1]).toBe(`  ${def}`);
    expect(lines[2]).toBe(`  ${' '.repeat(column)}^`);
  });

  it('ppc64: a misaligned address, pointed at', () => {
    const r = cli(['run', '-e', 'p:e target+2', fixture('ppc64', 'ktest')]);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.split('\n').slice(0, 3)).toEqual([
      expect.stringMatching(/0x[0-9a-f]+ is not 4-byte aligned/),
      '  p:e target+2',
      '      ^',
    ]);
  });

  it('a return probe on a function that never returns, and stack keying on ppc64', () => {
    const die = cli(['run', '-e', 'p:x die%return', fixture('x86_64', 'rettest'), 'noreturn']);
    expect(die.status).toBe(2);
    expect(die.stdout).toBe('');
    expect(die.stderr).toMatch(/die never returns/);
    const stack = cli(['run', '--kretprobe-keying', 'stack', '-e', 'r fib', fixture('ppc64', 'fib'), '3']);
    expect(stack.status).toBe(2);
    expect(stack.stderr).toMatch(/ppc64 keeps it in a register/);
    const x86 = cli([
      'run',
      '--kretprobe-keying',
      'stack',
      '--profile',
      '-e',
      'r fib',
      fixture('x86_64', 'fib'),
      '3',
    ]);
    expect(x86.status).toBe(0);
    expect(x86.stderr.trim().split('\n').at(-1)).toBe('r_fib_0 5 0');
  });

  it('one event name on two probe points is a multi-probe event; the same point twice is refused', () => {
    const multi = cli([
      'run',
      '--profile',
      '-e',
      'p:a target',
      '-e',
      'p:a target2',
      fixture('x86_64', 'ktest'),
    ]);
    expect(multi.status).toBe(0);
    expect(multi.stderr).toMatch(/ a: \(target\+0x0\/0x[0-9a-f]+\)\n.* a: \(target2\+0x0\/0x[0-9a-f]+\)\n/);
    expect(multi.stderr.trim().split('\n').at(-1)).toBe('a 2 0');
    const same = cli(['run', '-e', 'p:a target', '-e', 'p:a target', fixture('x86_64', 'ktest')]);
    expect(same.status).toBe(2);
    expect(same.stderr).toMatch(/event kprobes\/a already probes target\+0/);
    const kinds = cli(['run', '-e', 'p:a target', '-e', 'r:a target2', fixture('x86_64', 'ktest')]);
    expect(kinds.status).toBe(2);
    expect(kinds.stderr).toMatch(/a probe of the other kind cannot join it/);
  });
});
