// Counterpart: Linux fs/binfmt_elf.c load_elf_binary and create_elf_tables: map PT_LOAD
// segments, zero .bss, lay out argc/argv/envp/auxv on a new stack.
import { ElfError, parseElf, type ElfImage } from './elf.js';
import { PAGE, pageDown, pageUp, wordOfAddr, type GuestAddr } from './addr.js';
import { perms, type Memory } from './memory.js';
import type { RootFs } from './rootfs.js';

const AT_NULL = 0n;
const AT_PHDR = 3n;
const AT_PHENT = 4n;
const AT_PHNUM = 5n;
const AT_PAGESZ = 6n;
const AT_BASE = 7n;
const AT_FLAGS = 8n;
const AT_ENTRY = 9n;
const AT_UID = 11n;
const AT_EUID = 12n;
const AT_GID = 13n;
const AT_EGID = 14n;
const AT_PLATFORM = 15n;
const AT_HWCAP = 16n;
const AT_CLKTCK = 17n;
const AT_SECURE = 23n;
const AT_RANDOM = 25n;
const AT_EXECFN = 31n;

/** Map every PT_LOAD segment; pages shared by two segments get the union of permissions. */
export function mapImage(mem: Memory, image: ElfImage): void {
  const pagePerms = new Map<GuestAddr, number>();
  for (const s of image.segments) {
    const p = perms(s.readable, s.writable, s.executable);
    for (let a = pageDown(s.vaddr); a < pageUp(s.vaddr + s.memsz); a += PAGE)
      pagePerms.set(a, (pagePerms.get(a) ?? 0) | p);
  }
  // One mapping per run of adjacent pages with the same permissions.
  const pages = [...pagePerms].sort(([a], [b]) => a - b);
  let run: { start: GuestAddr; end: GuestAddr; perms: number } | undefined;
  for (const [page, p] of pages) {
    if (run && page === run.end && p === run.perms) {
      run.end += PAGE;
      continue;
    }
    if (run) mem.map(run.start, run.end - run.start, run.perms, 'image');
    run = { start: page, end: page + PAGE, perms: p };
  }
  if (run) mem.map(run.start, run.end - run.start, run.perms, 'image');
  // File bytes; the rest of memsz stays zero (.bss): fresh Unicorn pages are zero-filled.
  for (const s of image.segments) mem.write(s.vaddr, s.data);
}

export interface StackSpec {
  argv: readonly string[];
  envp: readonly string[];
  platform: string;
  hwcap: bigint;
  /** 16 bytes for AT_RANDOM; fixed by default so runs are reproducible. */
  random: Uint8Array;
  /** AT_BASE: where the interpreter was loaded (0: none). */
  interpBase: GuestAddr;
}

/**
 * The dynamic loader a program names (PT_INTERP), read from the root and mapped as
 * load_elf_binary maps it: an ET_DYN of the program's machine, placed at the top of the
 * mmap area (where Linux's first mmap lands with randomization off).
 */
export function loadInterpreter(
  mem: Memory,
  root: RootFs | undefined,
  main: ElfImage,
  area: { mmapBottom: GuestAddr; mmapTop: GuestAddr },
): { image: ElfImage; path: string } {
  const path = main.interp as string;
  if (!root)
    throw new ElfError(
      `dynamically linked (interpreter ${path}): give --root DIR holding its loader and libraries ` +
        `(--root / for the host's own programs, a cross sysroot such as /usr/i686-linux-gnu for others)`,
      'PT_INTERP',
    );
  const r = root.resolve(path, '/', true);
  if (typeof r === 'number' || !r.stat)
    throw new ElfError(`the interpreter ${path} is not in the root ${root.dir}`, 'PT_INTERP');
  const bytes = root.readAll(r);
  const where = `interpreter ${root.dir.replace(/\/$/, '')}${r.guest}`;
  // Parsed once at a trial base for its size (it must be position-independent), then where it goes.
  const parse = (base: number): ElfImage => {
    try {
      return parseElf(bytes, { base });
    } catch (e) {
      if (e instanceof ElfError) throw new Error(`${where}: ${e.message}`);
      throw e;
    }
  };
  const trial = parse(PAGE);
  if (trial.machine !== main.machine || trial.interp !== undefined || trial.loadBias !== PAGE)
    throw new ElfError(
      `${where} is not a dynamic loader for this program (an ET_DYN of its machine with no interpreter)`,
      'PT_INTERP',
    );
  const span = pageUp(Math.max(...trial.segments.map((g) => g.vaddr + g.memsz)) - PAGE);
  const base = mem.findFree(span, area.mmapBottom, area.mmapTop);
  if (base === undefined) throw new ElfError(`${where}: no room for its ${span} bytes`, 'PT_INTERP');
  const image = parse(base);
  mapImage(mem, image);
  return { image, path: r.guest };
}

/**
 * Build the initial stack below `top` as create_elf_tables does and return the stack
 * pointer, which points at argc and is 16-byte aligned.
 */
export function buildStack(mem: Memory, image: ElfImage, top: GuestAddr, spec: StackSpec): GuestAddr {
  const w = mem.wordSize;
  const enc = new TextEncoder();
  let p = top;
  const pushBytes = (bytes: Uint8Array): GuestAddr => {
    p -= bytes.length;
    mem.write(p, bytes);
    return p;
  };
  const cstr = (s: string): Uint8Array => {
    const b = enc.encode(s);
    const out = new Uint8Array(b.length + 1);
    out.set(b);
    return out;
  };
  // An end marker word at the very top, as Linux leaves one (the exec filename lies below).
  p -= w;
  const execfn = pushBytes(cstr(spec.argv[0] ?? ''));
  const envPtrs = spec.envp.map((e) => pushBytes(cstr(e)));
  const argPtrs = spec.argv.map((a) => pushBytes(cstr(a)));
  const platform = pushBytes(cstr(spec.platform));
  p -= p % 16;
  const random = pushBytes(spec.random);
  const auxv: [bigint, bigint][] = [
    [AT_HWCAP, spec.hwcap],
    [AT_PAGESZ, BigInt(PAGE)],
    [AT_CLKTCK, 100n],
    [AT_PHDR, wordOfAddr(image.phdrAddr)],
    [AT_PHENT, BigInt(image.phentsize)],
    [AT_PHNUM, BigInt(image.phnum)],
    [AT_BASE, wordOfAddr(spec.interpBase)],
    [AT_FLAGS, 0n],
    [AT_ENTRY, wordOfAddr(image.rawEntry)],
    [AT_UID, 0n],
    [AT_EUID, 0n],
    [AT_GID, 0n],
    [AT_EGID, 0n],
    [AT_SECURE, 0n],
    [AT_RANDOM, wordOfAddr(random)],
    [AT_EXECFN, wordOfAddr(execfn)],
    [AT_PLATFORM, wordOfAddr(platform)],
    [AT_NULL, 0n],
  ];
  const words = 1 + argPtrs.length + 1 + envPtrs.length + 1 + auxv.length * 2;
  p -= words * w;
  p -= p % 16;
  let at = p;
  const put = (v: bigint | number): void => {
    mem.writeWord(at, v);
    at += w;
  };
  // Pointers go in as the addresses they stand for (IA-64's are folded: emu/addr.ts).
  put(spec.argv.length);
  for (const a of argPtrs) put(wordOfAddr(a));
  put(0n);
  for (const e of envPtrs) put(wordOfAddr(e));
  put(0n);
  for (const [k, v] of auxv) {
    put(k);
    put(v);
  }
  return p;
}
