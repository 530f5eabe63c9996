// The command line on IA-64 guests: probe definitions by name, by slot offset and by full
// IA-64 address, the trace formats, and disasm's slot listing with each slot's probe verdict.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { cli, ia64Guests } from '../helpers.js';

const FIX = (name: string): string => `fixtures/ia64/build/${name}`;

describe('kprobe-emu on IA-64 guests', () => {
  it.each(ia64Guests())('run %s: the expected output and exit status', (name) => {
    const r = cli(['run', FIX(name)]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(readFileSync(`fixtures/ia64/expected/${name}.out`, 'latin1'));
    expect(r.status).toBe(Number(readFileSync(`fixtures/ia64/expected/${name}.status`, 'utf8').trim()));
  });

  it('run -e: kprobe and kretprobe lines with arguments, output unchanged', () => {
    const r = cli([
      'run',
      '-e',
      'p:t target v=$arg1:u32',
      '-e',
      'r:tr target ret=$retval:u32',
      FIX('ktest'),
      '30',
    ]);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('target = 10\ntarget2 = 11\nrecursed_target = 10\n');
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^ +ktest-1000 +\[000\] \.{5} +\d+\.\d{6}: t: \(target\+0x0\/0xa0\) v=30$/);
    expect(lines[1]).toMatch(/: tr: \(main\+0xb0\/0x1e0 <- target\) ret=10$/);
  });

  it('a slot by offset and by its full IA-64 address are the same probe; JSON shows IA-64 addresses', () => {
    const byOffset = cli(['run', '--format', 'json', '-e', 'p:s f_brl+1', FIX('fixups')]);
    const byAddr = cli(['run', '--format', 'json', '-e', 'p:s 0x4000000000000291', FIX('fixups')]);
    expect(byOffset.status).toBe(0);
    expect(byAddr.status).toBe(0);
    const rec = JSON.parse(byOffset.stderr.trim()) as Record<string, unknown>;
    expect(rec).toMatchObject({ type: 'kprobe', event: 's', pc: '0x4000000000000291', at: 'f_brl+0x1' });
    expect(JSON.parse(byAddr.stderr.trim())).toMatchObject({ pc: '0x4000000000000291', at: 'f_brl+0x1' });
    expect(byOffset.stdout).toBe(byAddr.stdout);
    expect(byOffset.stdout.split('\n')[0]).toBe('A 0000000000000105');
  });

  it('refuses slot 3, slot 2 of an MLX bundle and mov r=ip with the reason and where', () => {
    for (const [def, why] of [
      ['p f_brl+3', /names slot 3: an IA-64 probe address is a bundle's address plus its slot, 0-2/],
      ['p f_brl+2', /slot 2 of an MLX bundle/],
      ['p f_ip+1', /`mov r=ip` reads the address of its own bundle/],
    ] as const) {
      const r = cli(['run', '-e', def, FIX('fixups')]);
      expect(r.status, def).not.toBe(0);
      expect(r.stdout, def).toBe('');
      expect(r.stderr, def).toMatch(why);
    }
  });

  it('disasm lists slots as addr+slot with their bundle bytes as objdump splits them, and each verdict', () => {
    const r = cli(['disasm', FIX('fixups'), 'f_ip', '-e', 'p f_ip+0x12']);
    expect(r.status).toBe(0);
    const rows = r.stdout.trimEnd().split('\n');
    expect(rows[0]).toMatch(/^f_ip: 0x[0-9a-f]{16}\.\.0x[0-9a-f]{16} \(32 bytes\); return probes: yes$/);
    expect(
      rows.slice(1).map((l) =>
        l
          .trim()
          .split(/\s{2,}/)
          .slice(1),
      ),
    ).toEqual([
      ['f_ip+0x0', '01 00 00 00 01 00', 'nop.m 0x0', 'nop.m in slot 0, stepped out of line'],
      [
        'f_ip+0x1',
        '80 00 00 60 00 00',
        'mov r8=ip',
        'cannot probe: `mov r=ip` reads the address of its own bundle, which is the copy out of line',
      ],
      ['f_ip+0x2', '00 00 04 00', 'nop.i 0x0', 'nop.i in slot 2, stepped out of line'],
      ['f_ip+0x10', '11 00 00 00 01 00', 'nop.m 0x0', 'nop.m in slot 0, stepped out of line'],
      ['f_ip+0x11', '00 00 00 02 00 80', 'nop.i 0x0', 'nop.i in slot 1, stepped out of line'],
      [
        'f_ip+0x12',
        '08 00 84 00',
        'br.ret.sptk.many b0',
        'br.ret.sptk.many in slot 2, stepped out of line',
        '<= probe p_f_ip_18',
      ],
    ]);
  });
});
