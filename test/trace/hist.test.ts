// The hist trigger (src/trace/hist.ts) against hand-computed expectations: keys and their
// modifiers as trace_events_hist.c prints them, sums, sort orders, the size limit with the
// kernel's Dropped count, and the lines of Documentation/trace/histogram.rst's examples in
// the shapes they take here.
import { describe, expect, it } from 'vitest';
import { Histogram, parseHist, TriggerError, type EventField, type HistNames } from '../../src/trace/hist.js';

const FIELDS: EventField[] = [
  { name: 'call_site', kind: 'num' },
  { name: 'bytes_req', kind: 'num' },
  { name: 'bytes_alloc', kind: 'num' },
  { name: 'name', kind: 'str' },
  { name: 'vec', kind: 'array' },
  { name: 'common_pid', kind: 'num' },
];

const NAMES: HistNames = {
  sym: (a) => (a >= 0x1000n && a < 0x2000n ? 'alloc_one' : `0x${a.toString(16)}`),
  symOffset: (a) =>
    a >= 0x1000n && a < 0x2000n ? `alloc_one+0x${(a - 0x1000n).toString(16)}/0x1000` : `0x${a.toString(16)}`,
  comm: (pid) => (pid === 1000 ? 'bash' : `task${pid}`),
};

/** A histogram of `spec` fed `hits` (field values by name). */
function histOf(spec: string, hits: Record<string, bigint | string>[], stack: string[] = []): Histogram {
  const text = `kmalloc hist:${spec}`;
  const h = new Histogram(parseHist(text, 'kmalloc hist:'.length, FIELDS), NAMES);
  for (const v of hits) h.add(new Map(Object.entries(v)), () => stack);
  return h;
}

/** The entry lines of a printed histogram (between the header and the totals). */
const entries = (h: Histogram): string[] => h.print().split('\n\n')[1]?.split('\n') ?? [];

const kmallocs = [
  { call_site: 0x1010n, bytes_req: 40n, bytes_alloc: 64n, common_pid: 1000n },
  { call_site: 0x1010n, bytes_req: 24n, bytes_alloc: 32n, common_pid: 1000n },
  { call_site: 0x3000n, bytes_req: 4096n, bytes_alloc: 4096n, common_pid: 7n },
  { call_site: 0x1010n, bytes_req: 3n, bytes_alloc: 8n, common_pid: 7n },
];

describe('hist output', () => {
  it('the whole file: header with the trigger, entries by hitcount, totals', () => {
    expect(histOf('keys=call_site:vals=bytes_req', kmallocs).print()).toBe(
      [
        '# event histogram',
        '#',
        '# trigger info: hist:keys=call_site:vals=hitcount,bytes_req:sort=hitcount:size=2048 [active]',
        '#',
        '',
        '{ call_site:      12288 } hitcount:          1  bytes_req:       4096',
        '{ call_site:       4112 } hitcount:          3  bytes_req:         67',
        '',
        'Totals:',
        '    Hits: 4',
        '    Entries: 2',
        '    Dropped: 0',
        '',
      ].join('\n'),
    );
  });

  it('.sym and .sym-offset: [address] and the symbol padded as %-45ps and %-55pS', () => {
    expect(entries(histOf('keys=call_site.sym:vals=bytes_req', kmallocs.slice(0, 2)))[0]).toBe(
      `{ call_site: [1010] ${'alloc_one'.padEnd(45)} } hitcount:          2  bytes_req:         64`,
    );
    expect(entries(histOf('keys=call_site.sym-offset', kmallocs.slice(2, 3)))[0]).toBe(
      `{ call_site: [3000] ${'0x3000'.padEnd(55)} } hitcount:          1`,
    );
  });

  it('.hex keys and values, .log2 (ilog2 of the next power of two) and .buckets', () => {
    expect(entries(histOf('keys=call_site.hex:vals=bytes_req.hex', kmallocs))).toEqual([
      '{ call_site: 3000 } hitcount:          1  bytes_req:       1000',
      '{ call_site: 1010 } hitcount:          3  bytes_req:         43',
    ]);
    // 3 -> 4 = 2^2, 24 -> 32 = 2^5, 40 -> 64 = 2^6, 4096 = 2^12; 0 and 1 -> 2^0.
    const sizes = [3n, 24n, 40n, 4096n, 0n, 1n].map((b) => ({ bytes_req: b }));
    expect(entries(histOf('keys=bytes_req.log2:sort=bytes_req', sizes))).toEqual([
      '{ bytes_req: ~ 2^0  } hitcount:          2',
      '{ bytes_req: ~ 2^2  } hitcount:          1',
      '{ bytes_req: ~ 2^5  } hitcount:          1',
      '{ bytes_req: ~ 2^6  } hitcount:          1',
      '{ bytes_req: ~ 2^12 } hitcount:          1',
    ]);
    expect(entries(histOf('keys=bytes_req.buckets=32:sort=bytes_req', sizes))).toEqual([
      '{ bytes_req: ~ 0-31 } hitcount:          4',
      '{ bytes_req: ~ 32-63 } hitcount:          1',
      '{ bytes_req: ~ 4096-4127 } hitcount:          1',
    ]);
  });

  it('.execname: the task name padded to 16, then the pid; compound keys joined by ", "', () => {
    expect(
      entries(histOf('keys=common_pid.execname,bytes_alloc:sort=common_pid,bytes_alloc', kmallocs)),
    ).toEqual([
      '{ common_pid: task7           [         7], bytes_alloc:          8 } hitcount:          1',
      '{ common_pid: task7           [         7], bytes_alloc:       4096 } hitcount:          1',
      '{ common_pid: bash            [      1000], bytes_alloc:         32 } hitcount:          1',
      '{ common_pid: bash            [      1000], bytes_alloc:         64 } hitcount:          1',
    ]);
  });

  it('string keys padded to 50; a stacktrace key as its frames, nine spaces in', () => {
    const h = histOf('keys=name', [{ name: 'ab' }, { name: 'ab' }, { name: 'c' }]);
    expect(entries(h)).toEqual([
      `{ name: ${'c'.padEnd(50)} } hitcount:          1`,
      `{ name: ${'ab'.padEnd(50)} } hitcount:          2`,
    ]);
    const st = histOf('keys=stacktrace', [{}, {}], ['leaf+0x4/0x10', 'main+0x20/0x40']);
    expect(st.print()).toContain(
      '{ stacktrace:\n         leaf+0x4/0x10\n         main+0x20/0x40\n} hitcount:          2\n',
    );
  });

  it('sort: by a value descending, then by hitcount; ties in key order', () => {
    expect(entries(histOf('keys=common_pid:vals=bytes_req:sort=bytes_req.descending', kmallocs))).toEqual([
      '{ common_pid:          7 } hitcount:          2  bytes_req:       4099',
      '{ common_pid:       1000 } hitcount:          2  bytes_req:         64',
    ]);
    expect(
      entries(histOf('keys=bytes_alloc:sort=hitcount.descending', kmallocs)).map((l) => l.slice(0, 26)),
    ).toEqual([
      '{ bytes_alloc:          8 ',
      '{ bytes_alloc:         32 ',
      '{ bytes_alloc:         64 ',
      '{ bytes_alloc:       4096 ',
    ]);
  });

  it('size: a power of two entries; new keys past it are dropped and counted', () => {
    const hits = Array.from({ length: 200 }, (_, i) => ({ bytes_req: BigInt(i % 150) }));
    const h = histOf('keys=bytes_req:size=100', hits);
    expect(h.info()).toBe('hist:keys=bytes_req:vals=hitcount:sort=hitcount:size=128');
    // Keys 0-127 fill the map; 128-149 find it full and are dropped (22); 150-199 are keys
    // 0-49 again, hits of existing entries: 128 + 50 hits.
    expect(h.print()).toMatch(/Totals:\n {4}Hits: 178\n {4}Entries: 128\n {4}Dropped: 22\n$/);
  });
});

describe('hist syntax errors, with a caret', () => {
  const error = (spec: string): { message: string; column: number } => {
    const text = `kmalloc hist:${spec}`;
    try {
      parseHist(text, 'kmalloc hist:'.length, FIELDS);
    } catch (e) {
      if (e instanceof TriggerError) return { message: e.message, column: e.column };
      throw e;
    }
    throw new Error(`no error for ${spec}`);
  };
  it.each([
    [
      'keys=nope',
      "hist: unknown field 'nope' (this event has: call_site, bytes_req, bytes_alloc, name, vec, common_pid, stacktrace)",
      18,
    ],
    [
      'keys=call_site.foo',
      "hist: unknown modifier '.foo' (hex, sym, sym-offset, execname, log2, buckets=N)",
      28,
    ],
    ['keys=name.hex', "hist: a string key takes no modifier ('.hex')", 23],
    ['keys=vec', "hist: 'vec' is an array: it cannot be a key", 18],
    ['keys=bytes_req.execname', "hist: '.execname' applies to common_pid only", 28],
    ['keys=bytes_req:vals=name', "hist: 'name' is not a number: values are sums", 33],
    ['keys=bytes_req:sort=call_site', "hist: cannot sort by 'call_site': not hitcount, a key or a value", 33],
    ['keys=bytes_req:size=10', 'hist: size 10 is out of range (128 to 131072 entries)', 33],
    ['vals=bytes_req', "hist: a histogram needs 'keys='", 13],
    ['keys=bytes_req:frob=1', "hist: unknown hist parameter 'frob' (keys, vals, sort, size)", 28],
    ['keys=bytes_req.buckets=0', 'hist: buckets must be at least 1', 28],
  ])('%s', (spec, message, column) => {
    expect(error(spec)).toEqual({ message, column });
  });
});

describe("Documentation/trace/histogram.rst's kmalloc examples, line for line", () => {
  // Its `hist:key=call_site.sym:val=bytes_req:sort=bytes_req.descending` table, first lines:
  // the symbols are the kernel's, the hits made to give the table's counts and sums.
  const DOC = [
    '{ call_site: [ffffffffa046041c] i915_gem_execbuffer2 [i915]                   } hitcount:       2186  bytes_req:    3397464',
    '{ call_site: [ffffffffa045e7c4] i915_gem_do_execbuffer.isra.23 [i915]         } hitcount:       1790  bytes_req:     712176',
    '{ call_site: [ffffffff8125847d] ext4_htree_store_dirent                       } hitcount:       8132  bytes_req:     513135',
    '{ call_site: [ffffffff811e2a1b] seq_buf_alloc                                 } hitcount:        106  bytes_req:     440128',
    '{ call_site: [ffffffff811ae8e1] __kmalloc                                     } hitcount:          8  bytes_req:     131072',
  ];
  const rows = DOC.map((l) => {
    const m = /\[([0-9a-f]+)\] (.+?) +\} hitcount: +(\d+) +bytes_req: +(\d+)$/.exec(l);
    if (!m) throw new Error(`not a hist line: ${l}`);
    return { addr: BigInt(`0x${m[1]}`), sym: m[2] ?? '', hits: Number(m[3]), bytes: BigInt(m[4] ?? '0') };
  });
  const names: HistNames = {
    sym: (a) => rows.find((r) => r.addr === a)?.sym ?? '?',
    symOffset: () => '?',
    comm: () => '?',
  };
  /** Each row's hits: its count of them, their bytes summing to its total. */
  const hits = rows.flatMap((r) =>
    Array.from({ length: r.hits }, (_, i) => {
      const each = r.bytes / BigInt(r.hits);
      const bytes = i === 0 ? r.bytes - each * BigInt(r.hits - 1) : each;
      return { call_site: r.addr, bytes_req: bytes };
    }),
  );

  it('.sym keys sorted by a value, descending', () => {
    const text = 'kmalloc hist:key=call_site.sym:val=bytes_req:sort=bytes_req.descending';
    const h = new Histogram(parseHist(text, 'kmalloc hist:'.length, FIELDS), names);
    for (const v of hits) h.add(new Map(Object.entries(v)), () => []);
    expect(
      h
        .print()
        .split('\n')
        .filter((l) => l.startsWith('{')),
    ).toEqual(DOC);
  });

  it('.hex keys', () => {
    // `hist:key=call_site.hex:val=bytes_req`'s last line.
    const h = new Histogram(
      parseHist('k hist:key=call_site.hex:val=bytes_req', 'k hist:'.length, FIELDS),
      names,
    );
    for (let i = 0; i < 1780; i++)
      h.add(
        new Map([
          ['call_site', 0xffffffffa0099c06n],
          ['bytes_req', 20n],
        ]),
        () => [],
      );
    expect(h.print()).toContain(
      '\n{ call_site: ffffffffa0099c06 } hitcount:       1780  bytes_req:      35600\n',
    );
  });
});
