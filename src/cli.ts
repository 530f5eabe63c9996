#!/usr/bin/env node
// The command line: `kprobe-emu run [options] <elf> [guest args...]`.
// Exit status: the guest's own; 128+signal when a fault ends it; 125 when the emulator
// refuses (bad ELF, budget, deadlock, internal error); 2 for wrong usage.
import { closeSync, existsSync, openSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { createMachine, LoadError, loadElfFile, runProgram } from './run.js';
import { disasmLines, symbolLines } from './inspect.js';
import type { Machine } from '../emu/machine.js';
import { pipeStdio } from '../emu/files.js';
import { DefinitionError, type ProbeDefinition } from './probe-def.js';
import { DEFAULT_MAX_PROBES } from './kprobes.js';
import { notPlacedReason, profileLines, traceDefinitions, type TracedProbe } from './trace/definitions.js';
import { TraceSink } from './trace/sink.js';
import { TRACE_CLOCKS, type TraceClockName } from './trace/clock.js';
import { TriggerError } from './trace/hist.js';
import { parseTriggers, TriggeredSink } from './trace/triggers.js';
import { FoldedSink } from './trace/folded.js';
import { ReportInputError, writeReport } from './report/index.js';
import { addrOf } from '../emu/addr.js';
import { blockWriter, writeAll } from './output.js';
import { guestWriter, hostStdio } from './host-stdio.js';

const EXIT_USAGE = 2;
const EXIT_REFUSED = 125;

const line = (fd: number, s: string): void => writeAll(fd, Buffer.from(s.endsWith('\n') ? s : `${s}\n`));

function positiveInt(name: string) {
  return (v: string): number => {
    if (!/^\d+$/.test(v) || Number(v) <= 0 || !Number.isSafeInteger(Number(v)))
      throw new InvalidArgumentError(`${name} must be a positive integer, got '${v}'`);
    return Number(v);
  };
}

function byteSize(v: string): bigint {
  const [, digits, suffix] = /^(\d+)([kKmMgG]?)$/.exec(v) ?? [];
  if (digits === undefined || suffix === undefined)
    throw new InvalidArgumentError(`expected a size such as 512M, got '${v}'`);
  const unit = { '': 1n, k: 1n << 10n, m: 1n << 20n, g: 1n << 30n }[
    suffix.toLowerCase() as '' | 'k' | 'm' | 'g'
  ];
  return BigInt(digits) * unit;
}

/** A --max-memory size as the machine takes it (bytes below 2^53: past that is no limit). */
function memoryLimit(v: bigint): number {
  return v >= 1n << 53n ? Number.MAX_SAFE_INTEGER : Number(v);
}

interface RunOpts {
  maxInsns?: number;
  quantum?: number;
  maxMemory?: bigint;
  maxTasks?: number;
  maxOutput: bigint;
  maxProbes: number;
  env?: string[];
  event?: string[];
  eventsFile?: string;
  trigger?: string[];
  format: 'text' | 'json' | 'chrome' | 'folded';
  output?: string;
  profile?: boolean;
  blacklist?: string[];
  kretprobeSpCheck: boolean;
  kretprobeKeying: 'task' | 'stack';
  stdin?: string;
  root?: string;
  clock: 'guest' | 'host';
  traceClock: TraceClockName;
  demangle: boolean;
  quiet?: boolean;
}

/** Wrong usage found after parsing: exit 2 with a message. */
class UsageError extends Error {}

/** A --root that is a directory the emulator can read. */
function checkedRoot(dir: string): string {
  let ok: boolean;
  try {
    ok = statSync(dir).isDirectory();
  } catch (e) {
    throw new UsageError(`--root ${dir}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  if (!ok) throw new UsageError(`--root ${dir}: not a directory`);
  return dir;
}

function readEventsFile(path: string | undefined): string[] {
  if (!path) return [];
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new UsageError(
      `cannot read the events file ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
    );
  }
  return text
    .split('\n')
    .map((l) => l.replace(/#.*$/, '').trim())
    .filter((l) => l.length > 0);
}

/**
 * A machine on `elf` to inspect (a dynamically linked one needs its root for its loader).
 * `disasm` may run it a little (a shared object's function, an IFUNC's implementation): with
 * no input, its output dropped, and a budget.
 */
function openMachine(elf: string, root?: string): Machine {
  const quiet = () => {};
  return createMachine(
    loadElfFile(elf),
    {
      argv: [elf],
      stdout: quiet,
      stderr: quiet,
      warn: quiet,
      stdio: pipeStdio(new Uint8Array(0)),
      maxInsns: INSPECT_BUDGET,
      ...(root !== undefined ? { root: checkedRoot(root) } : {}),
    },
    elf,
  );
}

/** Instructions `disasm` may run a program to see a name (ld.so maps libc in about 200,000). */
const INSPECT_BUDGET = 50_000_000;

function withMachine(elf: string, root: string | undefined, fn: (m: Machine) => void): void {
  const m = openMachine(elf, root);
  try {
    fn(m);
  } finally {
    m.close();
  }
}

async function withMachineAsync(
  elf: string,
  root: string | undefined,
  fn: (m: Machine) => Promise<void>,
): Promise<void> {
  const m = openMachine(elf, root);
  try {
    await fn(m);
  } finally {
    m.close();
  }
}

export async function main(argv: string[]): Promise<number> {
  try {
    return await parseAndRun(argv);
  } catch (e) {
    if (e instanceof CommanderError) {
      if (
        e.code === 'commander.helpDisplayed' ||
        e.code === 'commander.version' ||
        e.code === 'commander.help'
      )
        return 0;
      return EXIT_USAGE;
    }
    if (e instanceof TriggerError) {
      line(2, `kprobe-emu: bad trigger: ${e.render()}`);
      return EXIT_USAGE;
    }
    if (e instanceof DefinitionError) {
      line(2, `kprobe-emu: bad probe definition: ${e.render()}`);
      return EXIT_USAGE;
    }
    if (e instanceof UsageError) {
      line(2, `kprobe-emu: ${e.message}`);
      return EXIT_USAGE;
    }
    if (e instanceof LoadError) {
      line(2, `kprobe-emu: ${e.message}`);
      return EXIT_REFUSED;
    }
    line(2, `kprobe-emu: internal error: ${(e as Error)?.message ?? String(e)}`);
    return EXIT_REFUSED;
  }
}

/** The version in package.json (this file runs from src/ or dist/src/). */
function packageVersion(): string {
  for (let dir = dirname(fileURLToPath(import.meta.url)), i = 0; i < 3; i++, dir = dirname(dir)) {
    const p = join(dir, 'package.json');
    if (existsSync(p)) return (JSON.parse(readFileSync(p, 'utf8')) as { version: string }).version;
  }
  return 'unknown';
}

async function parseAndRun(argv: string[]): Promise<number> {
  let status = 0;
  const program = new Command()
    .name('kprobe-emu')
    .description(
      'Run static i386, x86_64, ppc64 and IA-64 Linux programs (on Unicorn; IA-64 on an interpreter), ' +
        'with Linux-style kprobes',
    )
    .version(packageVersion())
    .exitOverride()
    .enablePositionalOptions()
    .configureOutput({
      writeOut: (s) => line(1, s),
      writeErr: (s) => line(2, s),
    })
    .addHelpText(
      'after',
      `
Examples:
  kprobe-emu run -e 'p fib n=$arg1:u32' -e 'r fib $retval' fixtures/build/x86_64/fib 5
  kprobe-emu symbols fixtures/build/ppc64/fib
  kprobe-emu disasm fixtures/build/ppc64/fib fib -e 'r fib'
Each command has its own --help.`,
    );

  program
    .command('run')
    .description('run a guest program; its stdout, stderr and exit status pass through')
    .argument(
      '<elf>',
      'ELF executable (i386, x86_64, big-endian ppc64 ELFv1 or static IA-64; a dynamically linked one needs --root)',
    )
    .argument('[args...]', 'arguments for the guest program')
    .addOption(
      new Option('--max-insns <n>', 'stop with status 125 after N guest instructions').argParser(
        positiveInt('--max-insns'),
      ),
    )
    .addOption(
      new Option('--quantum <n>', 'preempt the running task every N instructions').argParser(
        positiveInt('--quantum'),
      ),
    )
    .addOption(
      new Option(
        '--max-memory <size>',
        'guest memory limit (e.g. 256M); brk/mmap fail with ENOMEM beyond it',
      ).argParser(byteSize),
    )
    .addOption(
      new Option('--max-tasks <n>', 'live task limit; clone fails with EAGAIN beyond it').argParser(
        positiveInt('--max-tasks'),
      ),
    )
    .option(
      '--env <KEY=VALUE>',
      'one variable of the guest environment (repeatable; empty by default)',
      (v: string, prev: string[] = []) => {
        if (!/^[^=]+=/.test(v)) throw new InvalidArgumentError(`expected KEY=VALUE, got '${v}'`);
        return [...prev, v];
      },
    )
    .option('--stdin <file>', "the guest's standard input (default: kprobe-emu's own)")
    .option(
      '--root <dir>',
      'a host directory the guest sees as its /, read-only (default: the guest has no files)',
    )
    .addOption(
      new Option(
        '--clock <clock>',
        "guest clocks: deterministic, starting 2005-08-27 and advancing with guest work, or the host's",
      )
        .choices(['guest', 'host'])
        .default('guest'),
    )
    .option('-q, --quiet', 'no notes about unsupported system calls or refused host access on stderr')
    .option('--no-demangle', 'show C++ names as stored (mangled), not as c++filt writes them')
    .option(
      '-e, --event <definition>',
      "a probe in kprobe_events syntax: 'p[:[GRP/]EVENT] SYM[+offs]|0xADDR [NAME=]FETCHARG[:TYPE]...', " +
        "'r[MAXACTIVE][:[GRP/]EVENT] SYM [$retval...]' or 'p:... SYM%return' (repeatable)",
      (v: string, prev: string[] = []) => [...prev, v],
    )
    .option('--events-file <file>', 'probe definitions, one a line (# starts a comment)')
    .option(
      '--trigger <trigger>',
      "an event trigger as ftrace's: '[GRP/]EVENT hist:keys=FIELD[.MOD],...[:vals=...][:sort=...][:size=N]' " +
        "(printed on stderr at exit) or '[GRP/]EVENT stacktrace[:N]' (repeatable)",
      (v: string, prev: string[] = []) => [...prev, v],
    )
    .addOption(
      new Option(
        '--format <format>',
        'trace format: ftrace-like text, JSON lines, Trace Event Format for Perfetto, ' +
          'or folded stacks for flame graphs (weighted by hits, return probes by time)',
      )
        .choices(['text', 'json', 'chrome', 'folded'])
        .default('text'),
    )
    .option('-o, --output <file>', 'write the trace here (default: stderr)')
    .addOption(
      new Option(
        '--trace-clock <clock>',
        "the events' times, as ftrace's trace_clock: the host's monotonic clock, a count of " +
          "events, or the guest's instructions (deterministic; counting them costs ~1.1x)",
      )
        .choices([...TRACE_CLOCKS])
        .default('local'),
    )
    .addOption(
      new Option('--max-output <size>', 'trace size limit; events after it are counted, not written')
        .argParser(byteSize)
        .default(1n << 30n, '1G'),
    )
    .option('--profile', 'print EVENT HITS MISSES for each probe on stderr at exit')
    .addOption(
      new Option('--max-probes <n>', 'registered probe limit; registration fails with ENOSPC beyond it')
        .argParser(positiveInt('--max-probes'))
        .default(DEFAULT_MAX_PROBES),
    )
    .option(
      '--blacklist <symbol>',
      'refuse probes on this function (repeatable)',
      (v: string, prev: string[] = []) => [...prev, v],
    )
    .option(
      '--no-kretprobe-sp-check',
      'keep return-probe instances whose frames a longjmp skipped (the 2005 behaviour)',
    )
    .addOption(
      new Option(
        '--kretprobe-keying <keying>',
        'key return-probe instances by task (2005 redesign) ' +
          'or by the stack address of the return slot (before it; not on ppc64)',
      )
        .choices(['task', 'stack'])
        .default('task'),
    )
    .addHelpText(
      'after',
      `
Examples:
  kprobe-emu run fixtures/build/x86_64/hello
  kprobe-emu run -e 'p:myprobe fib n=$arg1:u32' --profile fixtures/build/x86_64/fib 5
  kprobe-emu run -e 'r100:fibret fib $retval:u32' fixtures/build/ppc64/fib 15
  kprobe-emu run -e 'p print_str s=+0($arg1):string' fixtures/build/i386/hello
  kprobe-emu run --format chrome -o trace.json -e 'r work' fixtures/build/x86_64/rettest threads
  kprobe-emu run --quantum 10000 --max-insns 100000000 fixtures/build/ppc64/spinwait

The guest's fds 0, 1 and 2 are kprobe-emu's own stdin, stdout and stderr (a read of stdin
waits only when no other guest task can run; a write to a closed pipe raises SIGPIPE). The
guest reaches no other host file: paths, new processes and sockets get EACCES.

Exit status: the guest's own; 128+N when a signal N killed it; 125 when the emulator refused
or stopped the run (budget, deadlock, a handler error); 2 for usage and definition errors.`,
    )
    .passThroughOptions()
    .action(async (elf: string, args: string[], opts: RunOpts) => {
      const defs = [...(opts.event ?? []), ...readEventsFile(opts.eventsFile)];
      let stdinFd = 0;
      if (opts.stdin !== undefined) {
        try {
          stdinFd = openSync(opts.stdin, 'r');
        } catch (e) {
          throw new UsageError(
            `cannot open ${opts.stdin} for the guest's stdin: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
          );
        }
      }
      const stdio = hostStdio(stdinFd);
      let traced: TracedProbe[] = [];
      let pending: ProbeDefinition[] = [];
      let machine: Machine | undefined;
      // The trace file is made only once the guest is loaded and its probes registered, so a
      // refused run leaves no file behind. To a file the trace is written in blocks of 64 KiB
      // (BlockWriter.SIZE); to stderr line by line, in order with what the guest writes there.
      const trace = opts.output !== undefined ? blockWriter(-1) : undefined;
      const out = trace ?? ((l: string) => line(2, l));
      const comm = basename(elf).slice(0, 15);
      const traceSink =
        opts.format === 'folded' ? undefined : new TraceSink(opts.format, out, comm, Number(opts.maxOutput));
      const writer = traceSink ?? new FoldedSink(out, comm);
      const triggered = opts.trigger ? new TriggeredSink(writer) : undefined;
      const sink = triggered ?? writer;
      if (triggered && defs.length === 0)
        throw new UsageError('--trigger needs probes (-e or --events-file)');
      const warn = opts.quiet ? () => {} : (l: string) => line(2, l);
      const runOpts = {
        argv: [elf, ...args],
        envp: opts.env ?? [],
        stdout: guestWriter(1),
        stderr: guestWriter(2),
        stdio,
        clock: opts.clock,
        warn,
        ...(opts.root !== undefined ? { root: checkedRoot(opts.root) } : {}),
        ...(opts.maxInsns !== undefined ? { maxInsns: opts.maxInsns } : {}),
        ...(opts.traceClock === 'guest' && defs.length > 0 ? { countInsns: true } : {}),
        ...(opts.quantum !== undefined ? { quantum: opts.quantum } : {}),
        ...(opts.maxMemory !== undefined ? { maxMemory: memoryLimit(opts.maxMemory) } : {}),
        ...(opts.maxTasks !== undefined ? { maxTasks: opts.maxTasks } : {}),
      };
      const setup = (m: Machine) => {
        machine = m;
        m.symbols.demangle = opts.demangle;
        if (defs.length > 0)
          ({ probes: traced, pending } = traceDefinitions(m, defs, sink, {
            blacklist: opts.blacklist ?? [],
            kretprobeSpCheck: opts.kretprobeSpCheck,
            kretprobeKeying: opts.kretprobeKeying,
            maxProbes: opts.maxProbes,
            clock: opts.traceClock,
          }));
        if (triggered)
          triggered.set(
            parseTriggers(opts.trigger ?? [], [...traced.map((t) => t.def), ...pending], {
              sym: (a) => {
                const hit = m.symbols.resolve(addrOf(a));
                return hit ? m.symbols.displayName(hit.symbol.name) : `0x${a.toString(16)}`;
              },
              symOffset: (a) => m.symbols.format(addrOf(a)),
              comm: (pid) => m.sched.get(pid)?.comm ?? comm,
            }),
          );
        // The trace file is made only now, as the guest starts: a refused run leaves none.
        if (trace && opts.output !== undefined) {
          try {
            trace.block.fd = openSync(opts.output, 'w');
          } catch (e) {
            throw new UsageError(
              `cannot open ${opts.output} for the trace: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
            );
          }
        }
      };
      let r;
      try {
        r = await runProgram(elf, runOpts, { setup });
        sink.close();
      } finally {
        // Whatever happened, what was traced reaches the file.
        if (trace && trace.block.fd >= 0) {
          trace.flush();
          closeSync(trace.block.fd);
        }
        stdio.close();
      }
      if (r.report) line(2, r.report);
      if (traceSink && traceSink.lost > 0)
        line(
          2,
          `kprobe-emu: the trace reached --max-output (${opts.maxOutput} bytes): ` +
            `${traceSink.lost} later events were not written`,
        );
      for (const h of triggered?.histograms() ?? []) writeAll(2, Buffer.from(h));
      // A probe on a shared object the program never mapped, or on an IFUNC whose choice
      // was never stored, was never placed: say so.
      for (const d of pending)
        if (machine) line(2, `kprobe-emu: ${d.text}: not placed: ${notPlacedReason(machine, d)}`);
      if (opts.profile) for (const l of profileLines(traced)) line(2, l);
      status = r.status;
    });

  program
    .command('symbols')
    .description('list the function symbols: ADDRESS SIZE NAME (hex; code addresses, also on ppc64)')
    .argument('<elf>', 'ELF executable')
    .option('--root <dir>', "the root a dynamically linked program's loader is in (as for run)")
    .option('--no-demangle', 'show C++ names as stored (mangled), not as c++filt writes them')
    .addHelpText('after', '\nExample:\n  kprobe-emu symbols fixtures/build/ppc64/fib')
    .action((elf: string, opts: { root?: string; demangle: boolean }) => {
      withMachine(elf, opts.root, (m) => {
        m.symbols.demangle = opts.demangle;
        const lines = symbolLines(m);
        if (lines.length === 0) {
          // A stripped program (every Debian binary): nothing to list is not success.
          line(2, `kprobe-emu: ${elf} has no function symbols (stripped: no .symtab)`);
          status = 1;
        }
        for (const l of lines) line(1, l);
      });
    });

  program
    .command('disasm')
    .description('disassemble a function, showing for each instruction whether and how a kprobe goes there')
    .argument('<elf>', 'ELF executable')
    .argument('<where>', 'a function name or an address inside one')
    .option('--root <dir>', "the root a dynamically linked program's loader is in (as for run)")
    .option(
      '-e, --event <definition>',
      'mark where this probe definition would go (repeatable)',
      (v: string, prev: string[] = []) => [...prev, v],
    )
    .option('--no-demangle', 'show C++ names as stored (mangled), not as c++filt writes them')
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  kprobe-emu disasm fixtures/build/x86_64/dispstep test_call\n' +
        "  kprobe-emu disasm fixtures/build/ppc64/fib fib -e 'p fib+8' -e 'r fib'",
    )
    .action(
      async (elf: string, where: string, opts: { event?: string[]; root?: string; demangle: boolean }) => {
        let lines: string[] = [];
        await withMachineAsync(elf, opts.root, async (m) => {
          m.symbols.demangle = opts.demangle;
          try {
            lines = await disasmLines(m, where, opts.event ?? []);
          } catch (e) {
            if (e instanceof DefinitionError) throw e;
            throw new UsageError((e as Error).message);
          }
        });
        for (const l of lines) line(1, l);
      },
    );

  program
    .command('report')
    .description('make one self-contained HTML page of a trace: counts, histograms, flame graph, timeline')
    .argument('<trace>', 'a trace written by `run --format json` or `run --format chrome`')
    .requiredOption('-o, --output <file>', 'write the page here')
    .option('--profile <file>', 'what `run --profile` printed (EVENT HITS MISSES), for the missed counts')
    .option('--title <text>', "the page's heading (default: the trace's file name)")
    .addHelpText(
      'after',
      '\nExample:\n' +
        "  kprobe-emu run --format json -o fib.jsonl --profile -e 'p:fibcall fib n=$arg1:u32' \\\n" +
        "      -e 'r:fibret fib $retval:u32' fixtures/build/x86_64/fib 12 2> fib.profile\n" +
        '  kprobe-emu report fib.jsonl --profile fib.profile -o fib.html',
    )
    .action((trace: string, opts: { output: string; profile?: string; title?: string }) => {
      try {
        writeReport(trace, opts.output, { profile: opts.profile, title: opts.title });
      } catch (e) {
        // A trace or profile it cannot use is the caller's to fix: exit 2 with where and why.
        if (e instanceof ReportInputError) throw new UsageError(e.message);
        throw e;
      }
    });

  await program.parseAsync(argv, { from: 'user' });
  return status;
}

process.exitCode = await main(process.argv.slice(2));
