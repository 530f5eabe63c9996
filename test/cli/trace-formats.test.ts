// Trace output: ftrace text lines against the ftrace line grammar, Trace Event Format for
// Perfetto (parsed, complete slices per task, dropped calls closed with a mark), and for each
// ISA one fixture traced with $argN, %REG, $retval, a dereference and a string argument,
// compared with what the guest prints. Also `symbols` and `disasm`.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cli, findOne, fixture, group, ISAS, joinedRegExp, present } from '../helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'kprobe-emu-formats-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** TASK-TID [CPU] FLAGS TIMESTAMP: EVENT: (SYM+0xOFF/0xSIZE[ <- FUNC]) name=value... */
const FTRACE_LINE = joinedRegExp(
  /^ *(\S+)-(\d+) +\[(\d{3})\] (\S{5}) +(\d+\.\d{6}): (\w+): /,
  /\((\S+\+0x[0-9a-f]+\/0x[0-9a-f]+)(?: <- (\w+))?\)/,
  /((?: \w+=(?:"[^"]*"|'.'|\{[^}]*\}|\S+))*)$/,
);

/** The first argument register of each ISA, by pt_regs name. */
const ARG0 = { x86_64: 'di', i386: 'ax', ppc64: 'r3' } as const;
/** i386 passes print_str's argument on the stack; x86_64 and ppc64 in %ARG0. */

describe.each(ISAS)('%s', (isa) => {
  it('a traced fixture: $argN, %REG, $retval, a dereference and a string agree with what the guest prints', () => {
    const defs = [
      // print_str(s): the string through $arg1 and a dereference, its first byte as char.
      '-e',
      'p:ps print_str s=+0($arg1):string c=+0($arg1):char w=+0($arg1):u8[2]',
      // target(v) = v / 3: its argument by $arg1, and by register where the ABI has one.
      '-e',
      `p:tg target v=$arg1:u32${isa === 'i386' ? '' : ` r=%${ARG0[isa]}:u32`}`,
      '-e',
      'r:tr target $retval:u32',
      '-e',
      'r:t2 target2 v=$retval:s32',
      '-e',
      'p:cm main $comm',
    ];
    const r = cli(['run', ...defs, fixture(isa, 'ktest'), '3000']);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('target = 1000\ntarget2 = 1001\nrecursed_target = 1000\n');
    const lines = r.stderr.trim().split('\n');
    for (const l of lines) expect(l).toMatch(FTRACE_LINE);
    const ev = (name: string) =>
      lines
        .map((l) => present(FTRACE_LINE.exec(l), `an ftrace line in ${JSON.stringify(l)}`))
        .filter((m) => m[6] === name)
        .map((m) => present(m[9], `the arguments of ${JSON.stringify(m[0])}`).trim());
    // The strings print_str printed, in order, as the guest wrote them (the numbers and
    // newlines come from print_udec and print_nl).
    const strings = ev('ps').map((a) => group(/^s="([^"]*)"/, a));
    expect(strings).toEqual(
      r.stdout
        .split('\n')
        .slice(0, 3)
        .map((l) => l.replace(/\d+$/, '')),
    );
    expect(ev('ps')[0]).toBe(`s="target = " c='t' w={116,97}`);
    expect(ev('tg')).toEqual([isa === 'i386' ? 'v=3000' : 'v=3000 r=3000']);
    expect(ev('tr')).toEqual(['arg1=1000']);
    expect(ev('t2')).toEqual(['v=1001']);
    expect(ev('cm')).toEqual(['arg1="ktest"']);
    // Return lines name the caller and the function.
    expect(lines.find((l) => / tr: /.test(l))).toMatch(
      / tr: \(main\+0x[0-9a-f]+\/0x[0-9a-f]+ <- target\) arg1=1000$/,
    );
  });

  it('Trace Event Format: parses, kprobes are instants, returns are complete slices on their task', () => {
    const out = join(dir, `${isa}.json`);
    const r = cli([
      'run',
      '--format',
      'chrome',
      '-o',
      out,
      '--quantum',
      '5000',
      '-e',
      'r:w work $retval',
      '-e',
      'p:y sys_sched_yield',
      fixture(isa, 'rettest'),
      'threads',
    ]);
    expect(r.status).toBe(0);
    const trace = JSON.parse(readFileSync(out, 'utf8'));
    expect(trace.displayTimeUnit).toBe('ns');
    const evs: {
      ph: string;
      name: string;
      tid: number;
      ts: number;
      dur?: number;
      args: Record<string, string>;
    }[] = trace.traceEvents;
    const meta = evs.filter((e) => e.ph === 'M');
    expect(meta.map((e) => e.name)).toContain('process_name');
    const slices = evs.filter((e) => e.ph === 'X');
    expect(slices).toHaveLength(3);
    expect(new Set(slices.map((e) => e.tid)).size).toBe(3);
    const arg1s = slices.map((e) => BigInt(present(e.args.arg1, `arg1 of slice ${e.name}`)));
    expect(arg1s.sort((a, b) => Number(a - b))).toEqual([107n, 207n, 307n]);
    for (const s of slices) {
      const dur = present(s.dur, `the duration of slice ${s.name}`);
      expect(dur).toBeGreaterThanOrEqual(0);
      expect(meta.some((m) => m.name === 'thread_name' && m.tid === s.tid)).toBe(true);
      // The task's yields happened inside its slice.
      const inside = evs.filter((e) => e.ph === 'i' && e.tid === s.tid && e.ts >= s.ts && e.ts <= s.ts + dur);
      expect(inside.length).toBeGreaterThan(0);
    }
    expect(evs.every((e) => ['M', 'X', 'i'].includes(e.ph))).toBe(true);
  });

  it('Trace Event Format: calls dropped by a longjmp and by a dying task end with a marked slice', () => {
    const out = join(dir, `${isa}-drop.json`);
    const probes = [
      '-e',
      'r:l landing',
      '-e',
      'r:a esc_a',
      '-e',
      'r:b esc_b',
      '-e',
      'r:c esc_c',
      '-e',
      'r:x maybe_exit',
    ];
    const r = cli(['run', '--format', 'chrome', '-o', out, ...probes, fixture(isa, 'rettest')]);
    expect(r.status).toBe(0);
    const evs: { ph: string; name: string; tid: number; args: Record<string, string> }[] = JSON.parse(
      readFileSync(out, 'utf8'),
    ).traceEvents;
    const slices = evs.filter((e) => e.ph === 'X');
    expect(
      slices
        .filter((e) => e.args.dropped === 'longjmp')
        .map((e) => e.name)
        .sort(),
    ).toEqual(['a', 'b', 'c']);
    expect(slices.filter((e) => e.args.dropped === 'task-exit').map((e) => e.name)).toEqual(['x']);
    expect(
      slices
        .filter((e) => !e.args.dropped)
        .map((e) => e.name)
        .sort(),
    ).toEqual(['l', 'x']);
  });
});

describe('symbols and disasm', () => {
  it('symbols lists code addresses and sizes, ppc64 included', () => {
    const r = cli(['symbols', fixture('ppc64', 'fib')]);
    expect(r.status).toBe(0);
    const fib = findOne(r.stdout.split('\n'), 'symbol line of fib', (l) => l.endsWith(' fib'));
    expect(fib).toMatch(/^0000000010[0-9a-f]{6} +5c fib$/);
  });

  it('disasm marks probe sites, fix-up classes and refusals', () => {
    const x = cli([
      'disasm',
      fixture('x86_64', 'dispstep'),
      'test_call_indirect_mem',
      '-e',
      'p:here test_call_indirect_mem',
    ]);
    expect(x.status).toBe(0);
    expect(x.stdout).toMatch(
      joinedRegExp(
        /test_call_indirect_mem\+0x0 +ff 15 [0-9a-f ]+ +/,
        /call qword ptr \[rip \+ 0x[0-9a-f]+\] +6-byte call-ind {2}<= probe here/,
      ),
    );
    expect(x.stdout).toMatch(/ret +1-byte ret/);
    const p = cli(['disasm', fixture('ppc64', 'fib'), 'fib', '-e', 'r fib']);
    expect(p.stdout).toMatch(/^fib: 0x[0-9a-f]+\.\.0x[0-9a-f]+ \(92 bytes\); return probes: yes/);
    expect(p.stdout).toMatch(/bl 0x[0-9a-f]+ +branch, emulated/);
    expect(p.stdout).toMatch(/mflr r0 +stepped out of line/);
    expect(p.stdout).toMatch(/<= return probe r_fib_0/);
    const die = cli(['disasm', fixture('i386', 'rettest'), 'die']);
    expect(die.stdout).toMatch(/return probes: no \(never returns \(no return and no jump out of its body\)/);
    const bad = cli(['disasm', fixture('x86_64', 'fib'), 'nosuch']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/no function named 'nosuch'/);
  });
});

describe('--max-output', () => {
  it('stops writing events at the limit, counts the rest, and keeps the run and a Chrome trace whole', () => {
    const full = cli([
      'run',
      '--format',
      'json',
      '--trace-clock',
      'counter',
      '-o',
      join(dir, 'full.jsonl'),
      '-e',
      'p fib',
      fixture('x86_64', 'fib'),
      '10',
    ]);
    const all = readFileSync(join(dir, 'full.jsonl'), 'utf8').trimEnd().split('\n');
    expect(all).toHaveLength(177); // fib(10) makes 177 calls
    const r = cli([
      'run',
      '--format',
      'json',
      '--max-output',
      '2k',
      '--trace-clock',
      'counter',
      '-o',
      join(dir, 'cut.jsonl'),
      '-e',
      'p fib',
      fixture('x86_64', 'fib'),
      '10',
    ]);
    expect([r.status, r.stdout]).toEqual([full.status, full.stdout]);
    const cut = readFileSync(join(dir, 'cut.jsonl'), 'utf8').trimEnd().split('\n');
    // Written up to the event that reached 2048 bytes, and those are the first events of the full run.
    expect(cut.join('\n').length).toBeGreaterThanOrEqual(2048);
    expect(cut.slice(0, -1).join('\n').length).toBeLessThan(2048);
    expect(cut).toEqual(all.slice(0, cut.length));
    expect(r.stderr).toBe(
      'kprobe-emu: the trace reached --max-output (2048 bytes): ' +
        `${all.length - cut.length} later events were not written\n`,
    );

    const c = cli([
      'run',
      '--format',
      'chrome',
      '--max-output',
      '1k',
      '-o',
      join(dir, 'cut.json'),
      '-e',
      'r fib',
      fixture('x86_64', 'fib'),
      '10',
    ]);
    expect(c.status).toBe(0);
    const trace = JSON.parse(readFileSync(join(dir, 'cut.json'), 'utf8')) as {
      traceEvents: { ph: string }[];
    };
    expect(trace.traceEvents.filter((e) => e.ph === 'X').length).toBeGreaterThan(0);
    expect(c.stderr).toMatch(
      /^kprobe-emu: the trace reached --max-output \(1024 bytes\): \d+ later events were not written\n$/,
    );
  });
  it('refuses a size it cannot read', () => {
    const r = cli(['run', '--max-output', '12x', fixture('x86_64', 'hello')]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/expected a size such as 512M, got '12x'/);
  });
});
