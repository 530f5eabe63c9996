// The kprobe_events grammar against the kernel's own cases (test/data/kprobe-events-cases.ts:
// every example of Documentation/trace/kprobetrace.rst and the ftrace selftests'
// kprobe_syntax_errors.tc, kretprobe_maxactive.tc, kretprobe_return_suffix.tc, probepoint.tc,
// the args tests), each with the kernel's outcome and, for errors, its caret column and
// error code. Then every grammar element on its own.
import { describe, expect, it } from 'vitest';
import { i386, x86_64 } from '../../arch/x86/isa.js';
import { ppc64 } from '../../arch/ppc64/isa.js';
import { SymbolTable } from '../../emu/symbols.js';
import {
  collectEvents,
  DefinitionError,
  parseDefinition,
  type FetchArg,
  type FetchSource,
  type ProbeDefinition,
} from '../../src/probe-def.js';
import { checkSymbols } from '../../src/trace/definitions.js';
import { KPROBE_EVENT_CASES, type EventCase } from '../data/kprobe-events-cases.js';
import { findOne, present } from '../helpers.js';

const REGS = {
  x86: new Set(Object.keys(x86_64().registers)),
  i386: new Set(Object.keys(i386().registers)),
  ppc: new Set(Object.keys(ppc64().registers)),
};

/** The kernel symbols the cases name, as a symbol table (name_show twice: not unique). */
const KERNEL = new SymbolTable(
  [
    'vfs_read',
    'vfs_open',
    'do_sys_open',
    'do_sys_openat2',
    'kernel_clone',
    '_do_fork',
    'do_fork',
    'do_exit',
    'tracefs_create_dir',
    'inet_csk_accept',
    'trace_printk_irq_work',
    'name_show',
    'vfs_write',
    'create_trace_kprobe',
    'kernel_read',
    'schedule',
    '_sdata',
    'jiffies',
    'linux_proc_banner',
    'eventfs_add_dir',
    'vfs_read.isra.0',
  ]
    .map((name, i) => ({ name, addr: 0x1000 * (i + 1), size: 0x800, kind: 'func' as const }))
    .concat([{ name: 'name_show', addr: 0x90000, size: 0x40, kind: 'func' }]),
);

/** Sources of cases written for an arch other than x86 and ppc64. */
const OTHER_ARCH = [
  /arch (aarch64|arm|s390|mips|loongarch|riscv)/,
  /on arch (aarch64|arm|s390|mips|loongarch|riscv)/,
  /BADREG on arch (mips|loongarch|aarch64|arm)/,
];

/**
 * Which register set a case was written for (the selftests pick registers per arch), or
 * undefined for an arch kprobe-emu does not run.
 */
function archOf(c: EventCase): keyof typeof REGS | undefined {
  const s = c.source;
  if (OTHER_ARCH.some((re) => re.test(s)) && !/GOODREG on arch x86/.test(s)) {
    if (/BADREG on arch (aarch64|arm)[^;]*on x86 it is GOODREG/.test(s)) return undefined;
    return undefined;
  }
  if (/ppc64|ppc\*/.test(s)) return 'ppc';
  return 'x86';
}

/** Features kprobe-emu does not have: kernel BTF, user memory, modules, fprobes, tracepoints. */
const UNSUPPORTED = new Set(['btf', 'user', 'module', 'fentry', 'tracepoint']);
/** MOD:SYM probe points (modules) anywhere in a case, its set-up included. */
const usesModule = (c: EventCase) => [c.def, ...(c.setup ?? [])].some((d) => /^\S+ \w+:\w/.test(d));

/**
 * Cases where kprobe-emu's answer differs from the kernel's on purpose, with the reason. A
 * case listed here must really differ (the test fails if it starts to agree).
 */
const DIFFERENT: Record<string, string> = {
  // The kernel checks instruction boundaries at registration, on a real vfs_read; the
  // grammar cannot: the engine refuses vfs_read+3 when it decodes the function.
  'p vfs_read+3': 'instruction boundaries are checked when the probe is registered (EILSEQ)',
  // The kernel's powerpc fetch registers leave MSR out; the emulated CPU's MSR can be read.
  'p vfs_read %msr': 'kprobe-emu lets %msr be fetched on ppc64',
};

const runnable = KPROBE_EVENT_CASES.filter(
  (c) => !c.needs?.some((n) => UNSUPPORTED.has(n)) && !usesModule(c) && archOf(c) !== undefined,
);

/** What kprobe-emu says to a case: ok, or the error's code and column. */
function outcome(c: EventCase): {
  outcome: 'ok' | 'error';
  column?: number;
  code?: string | undefined;
  message?: string;
} {
  const arch = archOf(c);
  if (arch === undefined) throw new Error(`no ISA here can run the case ${c.def}`);
  const regs = REGS[arch];
  try {
    const defs = collectEvents([...(c.setup ?? []), c.def], regs, 64);
    for (const d of defs) {
      const bad = checkSymbols(d, KERNEL);
      if (bad) throw bad;
    }
    return { outcome: 'ok' };
  } catch (e) {
    if (!(e instanceof DefinitionError)) throw e;
    return { outcome: 'error', column: e.column, code: e.code, message: e.message };
  }
}

describe('the kernel cases', () => {
  it('the table is there and most of it is runnable here', () => {
    expect(KPROBE_EVENT_CASES.length).toBeGreaterThan(200);
    expect(runnable.length).toBeGreaterThan(150);
  });

  it.each(runnable.filter((c) => !(c.def in DIFFERENT)).map((c) => [c.def, c] as const))('%s', (_def, c) => {
    const got = outcome(c);
    expect(got.outcome, `${c.source}: ${got.message ?? ''}`).toBe(c.outcome);
    if (c.outcome === 'error' && c.column !== undefined)
      expect(got.column, `${c.kernelError} ${got.message}`).toBe(c.column);
    // Where the kernel names its error, ours has the same code (NO_EVENT_INFO is the
    // kernel's answer to an event it cannot find, which has no counterpart here).
    if (c.outcome === 'error' && c.kernelError && c.kernelError !== 'NO_EVENT_INFO')
      expect(got.code, `${c.source}: ${got.message ?? ''}`).toBe(c.kernelError);
  });

  it.each(Object.entries(DIFFERENT))('differs on purpose: %s (%s)', (def) => {
    const c = findOne(runnable, `runnable case ${def}`, (x) => x.def === def);
    expect(outcome(c).outcome).not.toBe(c.outcome);
  });

  it('p:e f%return and r:e f are the same definition', () => {
    const regs = REGS.x86;
    const a = parseDefinition('p:e vfs_read%return $retval', regs, 64);
    const b = parseDefinition('r:e vfs_read $retval', regs, 64);
    const strip = (d: ProbeDefinition) => ({
      ...d,
      text: '',
      point: { ...d.point, column: 0 },
      args: d.args.map((x) => ({ ...x, column: 0 })),
    });
    expect(strip(a)).toEqual(strip(b));
  });

  it("MOD:SYM[+offs] names a shared object's symbol, and the automatic name has no ':' or '.'", () => {
    const d = parseDefinition('p libc.so.6:malloc+4 size=$arg1', REGS.x86, 64);
    expect(d.point).toMatchObject({ symbol: 'libc.so.6:malloc', offset: 4n });
    expect(d.event).toBe('p_libc_so_6_malloc_4');
    const r = parseDefinition('r libstdc++.so.6:_Znwm $retval', REGS.x86, 64);
    expect(r.point).toMatchObject({ symbol: 'libstdc++.so.6:_Znwm', offset: 0n });
    expect(() => parseDefinition('p :malloc', REGS.x86, 64)).toThrow(/bad probe point ':malloc'/);
  });

  it('PATH:OFFSET (uprobe_events) names a file offset of an object, by file name or path', () => {
    const d = parseDefinition('p /lib/x86_64-linux-gnu/libc.so.6:0x9a930 size=$arg1', REGS.x86, 64);
    expect(d.point).toMatchObject({ object: '/lib/x86_64-linux-gnu/libc.so.6', fileOffset: 0x9a930n });
    expect(d.event).toBe('p_libc_so_6_0x9a930');
    const r = parseDefinition('r:ret ld-linux-x86-64.so.2:4096', REGS.x86, 64);
    expect(r.point).toMatchObject({ object: 'ld-linux-x86-64.so.2', fileOffset: 0x1000n });
    // One probe point of a multi-probe event is removed by its PATH:OFFSET, in any radix.
    const kept = collectEvents(
      ['p:e libc.so.6:0x10', 'p:e libc.so.6:0x20', '-:e libc.so.6:16'],
      REGS.x86,
      64,
    );
    expect(kept.map((x) => x.point)).toMatchObject([{ object: 'libc.so.6', fileOffset: 0x20n }]);
  });
});

/** Parse on x86_64, or return the error. */
const parse = (text: string, regs = REGS.x86, bits: 32 | 64 = 64): ProbeDefinition | DefinitionError => {
  try {
    return parseDefinition(text, regs, bits);
  } catch (e) {
    if (e instanceof DefinitionError) return e;
    throw e;
  }
};
const def = (text: string, regs = REGS.x86, bits: 32 | 64 = 64): ProbeDefinition => {
  const d = parse(text, regs, bits);
  if (d instanceof DefinitionError) throw new Error(d.render());
  return d;
};
/** The first argument of a definition. */
const firstArg = (text: string, regs = REGS.x86, bits: 32 | 64 = 64): FetchArg =>
  present(def(text, regs, bits).args[0], `an argument in '${text}'`);
const src = (text: string): FetchSource => firstArg(`p f ${text}`).source;

describe('grammar elements', () => {
  it('probe heads: kind, MAXACTIVE, group, event, default names', () => {
    expect(def('p f')).toMatchObject({
      kind: 'p',
      group: 'kprobes',
      event: 'p_f_0',
      point: { symbol: 'f', offset: 0n },
    });
    expect(def('p f+0x10')).toMatchObject({ event: 'p_f_16', point: { offset: 16n } });
    expect(def('p 0x401000')).toMatchObject({ event: 'p_0x401000', point: { addr: 0x401000n } });
    expect(def('r f')).toMatchObject({ kind: 'r', event: 'r_f_0' });
    expect(def('r4096:g/e f')).toMatchObject({ kind: 'r', maxactive: 4096, group: 'g', event: 'e' });
    expect(def('p:g/ f')).toMatchObject({ group: 'g', event: 'p_f_0' });
    expect(def('p:e f%return')).toMatchObject({ kind: 'r', event: 'e' });
  });

  it('fetch sources', () => {
    expect(src('%di')).toEqual({ kind: 'reg', name: 'di' });
    expect(src('%R8')).toEqual({ kind: 'reg', name: 'r8' });
    expect(src('$arg3')).toEqual({ kind: 'arg', n: 3 });
    expect(src('$stack')).toEqual({ kind: 'stackptr' });
    expect(src('$stack2')).toEqual({ kind: 'stack', n: 2 });
    expect(src('$comm')).toEqual({ kind: 'comm' });
    expect(src('@0x1000')).toEqual({ kind: 'mem', addr: 0x1000n });
    expect(src('@sym')).toEqual({ kind: 'symmem', symbol: 'sym', offset: 0n });
    expect(src('@sym-8')).toEqual({ kind: 'symmem', symbol: 'sym', offset: -8n });
    expect(src('@sym+0x10')).toEqual({ kind: 'symmem', symbol: 'sym', offset: 16n });
    expect(src('\\-5')).toEqual({ kind: 'imm', value: -5n });
    expect(src('\\"a b"')).toEqual({ kind: 'immstr', value: 'a b' });
    expect(src('+8(-4(%si))')).toEqual({
      kind: 'deref',
      offset: 8n,
      inner: { kind: 'deref', offset: -4n, inner: { kind: 'reg', name: 'si' } },
    });
    expect(firstArg('r f $retval').source).toEqual({ kind: 'retval' });
  });

  it('types and names', () => {
    const t = (x: string) => firstArg(`p f a=${x}`).type;
    expect(t('%ax:u8')).toEqual({ kind: 'u', bits: 8 });
    expect(t('%ax:s64')).toEqual({ kind: 's', bits: 64 });
    expect(t('%ax')).toEqual({ kind: 'x', bits: 64 });
    expect(firstArg('p f %ax', REGS.i386, 32).type).toEqual({ kind: 'x', bits: 32 });
    expect(t('+0(%ax):char')).toEqual({ kind: 'char', bits: 8 });
    expect(t('+0(%ax):string')).toEqual({ kind: 'string', bits: 0 });
    expect(t('+0(%ax):string[2]')).toEqual({ kind: 'string', bits: 0, array: 2 });
    expect(t('%ax:symbol')).toEqual({ kind: 'symbol', bits: 64 });
    expect(t('+0(%ax):b3@5/32')).toEqual({ kind: 'bitfield', bits: 32, width: 3, offset: 5 });
    expect(t('+0(%ax):u16[4]')).toEqual({ kind: 'u', bits: 16, array: 4 });
    expect(firstArg('p f $comm')).toMatchObject({ name: 'arg1', type: { kind: 'string' } });
    expect(def('p f a=%ax b=%bx %cx').args.map((a) => a.name)).toEqual(['a', 'b', 'arg3']);
  });

  it.each([
    ['p f %nosuch', 'BAD_REG_NAME', 4],
    ['p f $arg0', 'BAD_ARG_NUM', 4],
    ['p f $stackx', 'BAD_STACK_NUM', 4],
    ['p f $foo', 'BAD_VAR', 4],
    ['p f $retval', 'RETVAL_ON_PROBE', 4],
    ['p f a=%ax:u12', 'BAD_TYPE', 10],
    ['p f a=%ax:b9@0/8', 'BAD_BITFIELD', 10],
    ['p f a=%ax:u8[2]', 'BAD_ARRAY_SUFFIX', 10],
    ['p f a=%ax:string', 'BAD_STRING', 10],
    ['p f $comm:u8', 'BAD_TYPE', 10],
    ['p f +0($comm)', 'COMM_CANT_DEREF', 7],
    ['p f \\"abc', 'IMMSTR_NO_CLOSE', 9],
    ['p f \\12x', 'BAD_IMM', 5],
    ['p f a=%ax a=%bx', 'USED_ARG_NAME', 10],
    ['p f 1a=%ax', 'BAD_ARG_NAME', 4],
    ['p:1e f', 'BAD_EVENT_NAME', 2],
    ['p:g-x/e f', 'BAD_GROUP_NAME', 2],
    ['p: f', 'NO_EVENT_NAME', 2],
    ['p5 f', 'BAD_MAXACT_TYPE', 1],
    ['r4097 f', 'MAXACT_TOO_BIG', 1],
    ['r0 f', 'BAD_MAXACT', 1],
    ['r10fuzz f', 'BAD_MAXACT', 1],
    ['r f+4', 'BAD_RETPROBE', 2],
    ['p f-4', 'BAD_PROBE_ADDR', 3],
    ['p f%ret', 'BAD_ADDR_SUFFIX', 3],
    ['p', 'NO_PROBE_POINT', 1],
    ['x f', 'BAD_PROBE_TYPE', 0],
  ])('%s: %s at column %i', (text, code, column) => {
    const e = parse(text);
    expect(e).toBeInstanceOf(DefinitionError);
    expect([(e as DefinitionError).code, (e as DefinitionError).column]).toEqual([code, column]);
    expect((e as DefinitionError).render().split('\n')[2]).toBe(`  ${' '.repeat(column)}^`);
  });

  it('events files: -: removes an event, or one probe point of a multi-probe event', () => {
    const names = (lines: string[]) =>
      collectEvents(lines, REGS.x86, 64).map(
        (d) => `${d.event}@${'symbol' in d.point ? d.point.symbol : ''}`,
      );
    expect(names(['p:a f', 'p:b g', '-:a'])).toEqual(['b@g']);
    expect(names(['p:a f', 'p:a g', '-:a f'])).toEqual(['a@g']);
    expect(names(['p:a f+16', 'p:a g', '-:a f+0x10'])).toEqual(['a@g']);
    expect(names(['p:a f', 'p:a g'])).toEqual(['a@f', 'a@g']);
    expect(() => names(['-:nosuch'])).toThrow(/no event nosuch to remove/);
    expect(() => names(['p:a f x=%ax', 'p:a g y=%ax'])).toThrow(/the arguments differ/);
  });
});
