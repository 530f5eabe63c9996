// Probes leave no trace in real programs: each case of the corpus (static glibc on three ISAs,
// musl, C++), with a probe on every instruction of every function and a return probe on every
// function that takes one, runs as unprobed under several quanta and under a budget just
// below its own count: the same output, stop (the budget's at the same guest instruction),
// schedule and guest clock at every system call, and instruction count.
//
// make test compares one case of each kind on x86_64 (two on every variant) over its first
// instructions, at quantum 1000; KPROBE_EMU_SWEEP=full (make soak) compares every case and variant at quanta 1, 7 and
// 1000, whole runs up to 20 million instructions (docs/transparency.md: what still differs).
import { afterEach, describe, expect, it } from 'vitest';
import type { Machine } from '../../emu/machine.js';
import { pipeStdio } from '../../emu/files.js';
import { CASES, CORPUS, type Case, headReader, missingRoot, rootOf } from '../corpus-cases.js';
import { observe } from './observe.js';
import { checkAndClose } from './support.js';

afterEach(checkAndClose);

const FULL = process.env.KPROBE_EMU_SWEEP === 'full';
/** The instructions compared: a longer run is compared up to a budget of this many. */
const WINDOW = FULL ? 20_000_000 : 120_000;
/** The same with a quantum of 1 (a slice per instruction). */
const WINDOW_1 = FULL ? 2_000_000 : 20_000;
const QUANTA = FULL ? [1, 7, 1000] : [1000];
/** make test's cases: stdin, system calls, setjmp/longjmp, SIGPIPE, C++ exceptions, threads. */
const QUICK = new Set(['lines', 'syscalls', 'jmp-mask', 'epipe-write', 'throw', 'pthreads']);
/** make test's variants: x86_64, and every one for these cases. */
const QUICK_ALL_VARIANTS = new Set(['lines', 'syscalls']);

/**
 * The variants probed: busybox-static is stripped, and x86 probes need the function around
 * an address to know it is an instruction boundary (as Linux's can_probe needs kallsyms).
 */
const probedVariants = (c: Case) =>
  c.variants.filter(
    (v) => !v.startsWith('busybox') && (FULL || v === 'x86_64' || QUICK_ALL_VARIANTS.has(c.name)),
  );
const everyFunction = (m: Machine) => m.symbols.functions().filter((f) => f.size > 0);

const SWEPT = CASES.filter((c) => (FULL || QUICK.has(c.name)) && probedVariants(c).length > 0);

describe.each(SWEPT)('corpus $name', (c) => {
  it.each(probedVariants(c))(
    '%s: probed everywhere, the same run under each quantum and under a budget of its count',
    async (variant) => {
      const path = `${CORPUS}/build/${variant}/${c.program}`;
      const missing = missingRoot(variant);
      if (missing) {
        console.warn(`corpus ${c.name} ${variant} skipped: ${missing}`);
        return;
      }
      const root = rootOf(variant);
      // A new stdin and reader for each run (and the root of a dynamically linked variant).
      const io = () => ({
        ...(root !== undefined ? { root } : {}),
        stdio: pipeStdio(Buffer.from(c.stdin ?? '', 'latin1')),
        ...(c.pipeTo ? { stdout: headReader(c.pipeTo).write } : {}),
      });
      // Each run is synchronous: a turn of the event loop between runs lets vitest's worker
      // answer its RPC (a case of the full sweep runs for minutes).
      const turn = () => new Promise<void>((resolve) => setImmediate(resolve));
      const compare = async (opts: { quantum: number; maxInsns: number }) => {
        const plain = observe(path, { ...opts, ...io() }, undefined, c.args);
        await turn();
        const probed = observe(path, { ...opts, ...io() }, everyFunction, c.args);
        await turn();
        // A dynamically linked program's probes are in its own functions only.
        expect(probed.probes, JSON.stringify(opts)).toBeGreaterThan(root !== undefined ? 100 : 1000);
        expect(probed.run, JSON.stringify(opts)).toEqual(plain.run);
        return plain.run;
      };
      // The program's own count (exact at its end), then a budget of it: it ends as unprobed.
      const count = observe(path, { quantum: 1000, ...io() }, undefined, c.args).count;
      expect(count).toBeGreaterThan(1000);
      if (count <= WINDOW)
        expect((await compare({ quantum: 1000, maxInsns: count })).stop.kind).not.toBe('budget');
      for (const quantum of QUANTA) {
        const maxInsns = Math.min(count - 1, quantum === 1 ? WINDOW_1 : WINDOW);
        const run = await compare({ quantum, maxInsns });
        expect(run.stop).toMatchObject({ kind: 'budget', insns: maxInsns });
      }
    },
    FULL ? 3_600_000 : 300_000,
  );
});
