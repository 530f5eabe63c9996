// Counterpart: kernel/trace/trace_kprobe.c (__trace_kprobe_create) and trace_probe.c
// (traceprobe_parse_probe_arg, parse_probe_arg, the type table): the kprobe_events
// definition syntax of Documentation/trace/kprobetrace.rst, with errors that carry the
// kernel's error code and a column for the caret, as its error_log does.

/** A syntax or registration error located in the definition text. */
export class DefinitionError extends Error {
  constructor(
    message: string,
    /** 0-based column of the offending token in `text`. */
    readonly column: number,
    readonly text: string,
    /** The kernel's error code (trace_probe.h ERRORS), when the kernel has one. */
    readonly code?: string,
  ) {
    super(message);
    this.name = 'DefinitionError';
  }

  /** The definition with a caret under the offending part. */
  render(): string {
    return `${this.message}\n  ${this.text}\n  ${' '.repeat(this.column)}^`;
  }
}

/** A fetch type (the kernel's fetch_type table, plus bitfields and arrays). */
export type FetchType =
  | { kind: 's' | 'u' | 'x'; bits: 8 | 16 | 32 | 64; array?: number }
  | { kind: 'char'; bits: 8; array?: number }
  /** A string at an address; with `array`, N pointers to strings. */
  | { kind: 'string'; bits: 0; array?: number }
  | { kind: 'symbol'; bits: 32 | 64; array?: number }
  | { kind: 'bitfield'; bits: 8 | 16 | 32 | 64; width: number; offset: number };

export type FetchSource =
  | { kind: 'reg'; name: string }
  | { kind: 'arg'; n: number }
  | { kind: 'retval' }
  | { kind: 'stack'; n: number }
  | { kind: 'stackptr' }
  | { kind: 'comm' }
  /** @ADDR or @SYM[+|-offs]: memory at an address. */
  | { kind: 'mem'; addr: bigint }
  | { kind: 'symmem'; symbol: string; offset: bigint }
  /** +|-OFFS(FETCHARG): memory at the inner value plus OFFS. */
  | { kind: 'deref'; offset: bigint; inner: FetchSource }
  | { kind: 'imm'; value: bigint }
  | { kind: 'immstr'; value: string };

export interface FetchArg {
  name: string;
  source: FetchSource;
  type: FetchType;
  /** Column of the argument in the definition, for errors found later (unknown @SYM). */
  column: number;
}

/** The kernel's KRETPROBE_MAXACTIVE_MAX: the largest MAXACTIVE the text syntax takes. */
export const MAXACTIVE_MAX = 4096;
/** MAX_TRACE_ARGS, MAX_ARRAY_LEN, MAX_EVENT_NAME_LEN, MAX_ARGSTR_LEN of trace_probe.h. */
export const MAX_TRACE_ARGS = 128;
export const MAX_ARRAY_LEN = 64;
export const MAX_EVENT_NAME_LEN = 64;
export const MAX_ARGSTR_LEN = 63;
export const MAX_ARG_NAME_LEN = 32;
/** PARAM_MAX_STACK: THREAD_SIZE / sizeof(long), 2048 on x86_64 and i386 alike. */
export const PARAM_MAX_STACK = 2048;
/** FETCH_INSN_MAX - 1: fetch operations one argument may take (dereferences included). */
const MAX_FETCH_OPS = 15;

export interface ProbeDefinition {
  kind: 'p' | 'r';
  /** `rN`: instances for a return probe (undefined: the default). */
  maxactive?: number;
  group: string;
  event: string;
  point:
    | { symbol: string; offset: bigint; column: number }
    | { addr: bigint; column: number }
    /** uprobe_events' PATH:OFFSET: a file offset in a shared object (its name or its path). */
    | { object: string; fileOffset: bigint; column: number };
  args: FetchArg[];
  text: string;
}

/** `-:[GRP/]EVENT [SYM[+offs]]`: removes an earlier event, or one probe point of it. */
export interface ProbeRemoval {
  kind: '-';
  group: string | undefined;
  event: string;
  /** A probe point of a multi-probe event: remove only that one. */
  point?: string;
  text: string;
}

interface Token {
  text: string;
  column: number;
}

function tokenize(text: string): Token[] {
  const out: Token[] = [];
  // Whitespace separates tokens, except inside a quoted immediate string (\"a b").
  const re = /(?:[^\s"]|"(?:[^"\\]|\\.)*"?)+/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text))) out.push({ text: m[0], column: m.index });
  return out;
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const NUMBER = /^(0x[0-9a-fA-F]+|\d+)$/;

/** Where in the definition a piece of an argument sits, for errors. */
interface Ctx {
  text: string;
  kind: 'p' | 'r';
  registers: ReadonlySet<string>;
  wordBits: 32 | 64;
}

const err = (ctx: Ctx, message: string, column: number, code: string): DefinitionError =>
  new DefinitionError(message, column, ctx.text, code);

/** Parse a type name (after ':'), with its column for errors. */
function parseType(ctx: Ctx, t: string, column: number): FetchType {
  let array: number | undefined;
  let base = t;
  const open = t.indexOf('[');
  if (open >= 0) {
    const close = t.indexOf(']', open);
    if (close < 0) throw err(ctx, `an array type needs a closing ']'`, column + t.length, 'ARRAY_NO_CLOSE');
    if (close !== t.length - 1)
      throw err(ctx, `nothing may follow an array type's ']'`, column + close + 1, 'BAD_ARRAY_SUFFIX');
    const num = t.slice(open + 1, close);
    if (!/^\d+$/.test(num) || Number(num) === 0)
      throw err(ctx, `bad array size '${num}'`, column + open + 1, 'BAD_ARRAY_NUM');
    array = Number(num);
    if (array > MAX_ARRAY_LEN)
      throw err(ctx, `an array has at most ${MAX_ARRAY_LEN} elements`, column + open + 1, 'ARRAY_TOO_BIG');
    base = t.slice(0, open);
  }
  const withArray = <T extends object>(x: T): T => (array === undefined ? x : { ...x, array });
  const m = /^([sux])(8|16|32|64)$/.exec(base);
  if (m) return withArray({ kind: m[1] as 's' | 'u' | 'x', bits: Number(m[2]) as 8 | 16 | 32 | 64 });
  if (base === 'char') return withArray({ kind: 'char' as const, bits: 8 as const });
  if (base === 'symbol') return withArray({ kind: 'symbol' as const, bits: ctx.wordBits });
  if (base === 'string')
    return array === undefined ? { kind: 'string', bits: 0 } : { kind: 'string', bits: 0, array };
  const b = /^b(\d+)@(\d+)\/(8|16|32|64)$/.exec(base);
  if (b) {
    const width = Number(b[1]);
    const offset = Number(b[2]);
    const bits = Number(b[3]) as 8 | 16 | 32 | 64;
    if (width === 0 || width + offset > bits)
      throw err(ctx, `bitfield b${width}@${offset} does not fit in ${bits} bits`, column, 'BAD_BITFIELD');
    if (array !== undefined) throw err(ctx, 'a bitfield has no array form', column + open, 'BAD_BITFIELD');
    return { kind: 'bitfield', bits, width, offset };
  }
  if (/^b/.test(base))
    throw err(ctx, `bad bitfield '${base}' (b<width>@<offset>/<container bits>)`, column, 'BAD_BITFIELD');
  throw err(
    ctx,
    `unknown type '${base}' (u8..u64, s8..s64, x8..x64, char, string, symbol, b<w>@<o>/<size>, TYPE[N])`,
    column,
    'BAD_TYPE',
  );
}

/** A signed number: decimal or 0x hex. */
function parseNumber(s: string): bigint | undefined {
  const [, sign, digits] = /^([+-]?)(0x[0-9a-fA-F]+|\d+)$/.exec(s) ?? [];
  if (digits === undefined) return undefined;
  const v = BigInt(digits);
  return sign === '-' ? -v : v;
}

/** parse_probe_arg: one fetch source (no name, no type). */
function parseSource(ctx: Ctx, body: string, col: number, depth: number): FetchSource {
  if (body === '') throw err(ctx, 'an argument needs a fetch source', col, 'NO_ARG_BODY');
  switch (body[0]) {
    case '%': {
      const reg = body.slice(1).toLowerCase();
      if (!ctx.registers.has(reg)) throw err(ctx, `unknown register '${body}'`, col, 'BAD_REG_NAME');
      return { kind: 'reg', name: reg };
    }
    case '$': {
      if (body === '$retval') {
        if (ctx.kind !== 'r')
          throw err(ctx, '$retval is only valid for return probes', col, 'RETVAL_ON_PROBE');
        return { kind: 'retval' };
      }
      if (body === '$stack') return { kind: 'stackptr' };
      if (body === '$comm' || body === '$COMM') return { kind: 'comm' };
      const st = /^\$stack(\d+)$/.exec(body);
      if (st) {
        if (Number(st[1]) > PARAM_MAX_STACK)
          throw err(ctx, `$stackN goes up to ${PARAM_MAX_STACK}`, col, 'BAD_STACK_NUM');
        return { kind: 'stack', n: Number(st[1]) };
      }
      if (body.startsWith('$stack'))
        throw err(ctx, `bad stack entry '${body}' ($stackN)`, col, 'BAD_STACK_NUM');
      const a = /^\$arg(\d+)$/.exec(body);
      if (a) {
        const n = Number(a[1]);
        if (n < 1 || n > PARAM_MAX_STACK)
          throw err(ctx, `argument numbers go from 1 to ${PARAM_MAX_STACK} ($argN)`, col, 'BAD_ARG_NUM');
        return { kind: 'arg', n };
      }
      if (body === '$arg*')
        throw err(
          ctx,
          '$arg* names the arguments from BTF, which static programs do not carry',
          col,
          'NOSUP_BTFARG',
        );
      if (body.startsWith('$arg')) throw err(ctx, `bad argument number in '${body}'`, col, 'BAD_ARG_NUM');
      throw err(ctx, `unknown variable '${body}' ($argN, $stack, $stackN, $retval, $comm)`, col, 'BAD_VAR');
    }
    case '@': {
      const rest = body.slice(1);
      if (rest.startsWith('+'))
        throw err(ctx, '@+OFFSET (a file offset) is for uprobes only', col, 'FILE_ON_KPROBE');
      if (NUMBER.test(rest)) {
        if (BigInt(rest) >= 1n << BigInt(ctx.wordBits))
          throw err(ctx, `bad memory address '${body}'`, col, 'BAD_MEM_ADDR');
        return { kind: 'mem', addr: BigInt(rest) };
      }
      const [, symbol, sign, digits] = /^([A-Za-z_.][\w.]*)(?:([+-])(0x[0-9a-fA-F]+|\d+))?$/.exec(rest) ?? [];
      if (symbol === undefined || /^\d/.test(rest))
        throw err(ctx, `bad memory address '${body}' (@ADDR or @SYM[+|-offs])`, col, 'BAD_MEM_ADDR');
      const off = digits ? BigInt(digits) * (sign === '-' ? -1n : 1n) : 0n;
      return { kind: 'symmem', symbol, offset: off };
    }
    case '\\': {
      const rest = body.slice(1);
      if (rest.startsWith('"')) {
        if (rest.length < 2 || !rest.endsWith('"'))
          throw err(ctx, 'an immediate string needs its closing quote', col + body.length, 'IMMSTR_NO_CLOSE');
        return { kind: 'immstr', value: rest.slice(1, -1) };
      }
      const v = parseNumber(rest);
      if (v === undefined) throw err(ctx, `bad immediate '${rest}'`, col + 1, 'BAD_IMM');
      return { kind: 'imm', value: v };
    }
    case '+':
    case '-': {
      // As the kernel: the inner argument runs to the LAST ')'.
      const open = body.indexOf('(');
      if (open < 0) throw err(ctx, `a dereference needs '(': +|-OFFS(FETCHARG)`, col, 'DEREF_NEED_BRACE');
      const offset = parseNumber(body.slice(0, open));
      if (offset === undefined)
        throw err(ctx, `bad dereference offset '${body.slice(0, open)}'`, col, 'BAD_DEREF_OFFS');
      const close = body.lastIndexOf(')');
      if (close < open)
        throw err(ctx, `a dereference needs its closing ')'`, col + body.length, 'DEREF_OPEN_BRACE');
      if (close !== body.length - 1)
        throw err(ctx, `nothing may follow a dereference's ')'`, col + close + 1, 'BAD_DEREF_OFFS');
      const inner = parseSource(ctx, body.slice(open + 1, close), col + open + 1, depth + 1);
      if (inner.kind === 'comm' || inner.kind === 'immstr')
        throw err(
          ctx,
          `${inner.kind === 'comm' ? '$comm' : 'a string'} cannot be dereferenced`,
          col + open + 1,
          'COMM_CANT_DEREF',
        );
      if (fetchOps(inner) + 1 >= MAX_FETCH_OPS)
        throw err(ctx, `too many fetch operations (at most ${MAX_FETCH_OPS - 1})`, col, 'TOO_MANY_OPS');
      return { kind: 'deref', offset, inner };
    }
    default:
      throw err(
        ctx,
        `unknown fetch argument '${body}' ` +
          '(%REG, $argN, $stackN, $stack, $retval, $comm, @ADDR, @SYM, +|-OFFS(ARG), \\IMM)',
        col,
        'BAD_FETCH_ARG',
      );
  }
}

/** Fetch operations a source takes in the kernel's fetch program (@ADDR: load, deref). */
function fetchOps(s: FetchSource): number {
  if (s.kind === 'deref') return fetchOps(s.inner) + 1;
  return s.kind === 'mem' || s.kind === 'symmem' ? 2 : 1;
}

/** Whether a source reads memory (so string, arrays and symbols of memory make sense). */
const fromMemory = (s: FetchSource): boolean => s.kind === 'mem' || s.kind === 'symmem' || s.kind === 'deref';

/** One FETCHARG with its optional NAME= and :TYPE. */
function parseArg(ctx: Ctx, tok: Token, index: number, defaultBits: 32 | 64): FetchArg {
  let body = tok.text;
  let col = tok.column;
  let name = `arg${index + 1}`;
  const eq = body.indexOf('=');
  if (eq >= 0 && !body.startsWith('\\"')) {
    name = body.slice(0, eq);
    if (name === '') throw err(ctx, 'an argument name is missing before =', col, 'NO_ARG_NAME');
    if (name.length > MAX_ARG_NAME_LEN)
      throw err(ctx, `an argument name is at most ${MAX_ARG_NAME_LEN} characters`, col, 'ARG_NAME_TOO_LONG');
    if (!NAME.test(name)) throw err(ctx, `bad argument name '${name}'`, col, 'BAD_ARG_NAME');
    body = body.slice(eq + 1);
    col += eq + 1;
  }
  if (body.length > MAX_ARGSTR_LEN)
    throw err(ctx, `an argument is at most ${MAX_ARGSTR_LEN} characters`, col, 'ARG_TOO_LONG');
  // The type follows the last ':' outside parentheses and quotes.
  let depth = 0;
  let quoted = false;
  let colon = -1;
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (c === '"') quoted = !quoted;
    else if (!quoted && c === '(') depth++;
    else if (!quoted && c === ')') depth--;
    else if (!quoted && depth === 0 && c === ':') colon = i;
  }
  let typeText: string | undefined;
  if (colon >= 0) {
    typeText = body.slice(colon + 1);
    body = body.slice(0, colon);
  }
  const source = parseSource(ctx, body, col, 0);
  let type: FetchType;
  if (typeText !== undefined) {
    type = parseType(ctx, typeText, col + colon + 1);
  } else if (source.kind === 'comm' || source.kind === 'immstr') {
    type = { kind: 'string', bits: 0 };
  } else {
    type = { kind: 'x', bits: defaultBits };
  }
  const typeCol = col + colon + 1;
  if (type.kind === 'string' && !(fromMemory(source) || source.kind === 'comm' || source.kind === 'immstr'))
    throw err(
      ctx,
      'string is only for memory (+|-OFFS(ARG), @ADDR, @SYM), $comm or an immediate string',
      typeCol,
      'BAD_STRING',
    );
  if ((source.kind === 'comm' || source.kind === 'immstr') && type.kind !== 'string')
    throw err(
      ctx,
      `${source.kind === 'comm' ? '$comm' : 'an immediate string'} is a string`,
      typeCol,
      'BAD_TYPE',
    );
  if ('array' in type && type.array !== undefined && !fromMemory(source))
    throw err(ctx, 'an array is only for memory (+|-OFFS(ARG), @ADDR, @SYM)', typeCol, 'BAD_ARRAY_SUFFIX');
  return { name, source, type, column: tok.column };
}

/**
 * Parse one definition. `registers` are the register names the ISA accepts for %REG;
 * `defaultBits` is the default fetch width (64 or 32).
 */
export function parseDefinition(
  text: string,
  registers: ReadonlySet<string>,
  defaultBits: 32 | 64,
): ProbeDefinition {
  const d = parseLine(text, registers, defaultBits);
  if (d.kind === '-')
    throw new DefinitionError(
      '-:EVENT removes a probe: only in an events file, after its definition',
      0,
      text,
      'NO_EVENT_INFO',
    );
  return d;
}

/** One line of an events file: a definition or `-:[GRP/]EVENT`. */
export function parseLine(
  text: string,
  registers: ReadonlySet<string>,
  defaultBits: 32 | 64,
): ProbeDefinition | ProbeRemoval {
  const toks = tokenize(text);
  const head = toks[0];
  if (!head) throw new DefinitionError('empty probe definition', 0, text, 'NO_EVENT_INFO');
  // TYPE, then MAXACTIVE (or junk after '-'), then :[GRP/]EVENT.
  const [, type, suffix, full] = /^([pr-])([^:]*)(?::(.*))?$/.exec(head.text) ?? [];
  if (type === undefined || suffix === undefined)
    throw new DefinitionError(
      `a definition starts with 'p', 'r' or '-:'`,
      head.column,
      text,
      'BAD_PROBE_TYPE',
    );
  let kind = type as 'p' | 'r' | '-';
  const ctx0 = { text, registers, wordBits: defaultBits };
  let group: string | undefined;
  let event = '';
  const nameCol = head.column + 1 + suffix.length + 1;
  if (full !== undefined) {
    const slash = full.indexOf('/');
    if (slash >= 0) {
      group = full.slice(0, slash);
      event = full.slice(slash + 1);
      if (group === '') throw new DefinitionError('a group name is empty', nameCol, text, 'NO_GROUP_NAME');
      if (group.length > MAX_EVENT_NAME_LEN)
        throw new DefinitionError(
          `a group name is at most ${MAX_EVENT_NAME_LEN} characters`,
          nameCol,
          text,
          'GROUP_TOO_LONG',
        );
      if (!NAME.test(group))
        throw new DefinitionError(`bad group name '${group}'`, nameCol, text, 'BAD_GROUP_NAME');
    } else event = full;
    const eventCol = nameCol + (slash >= 0 ? slash + 1 : 0);
    // `p:` names nothing (an error); `p:GRP/` takes the automatic event name in GRP.
    if (event === '' && (kind === '-' || slash < 0))
      throw new DefinitionError('an event name is missing', eventCol, text, 'NO_EVENT_NAME');
    if (event.length > MAX_EVENT_NAME_LEN)
      throw new DefinitionError(
        `an event name is at most ${MAX_EVENT_NAME_LEN} characters`,
        eventCol,
        text,
        'EVENT_TOO_LONG',
      );
    if (event && !NAME.test(event))
      throw new DefinitionError(`bad event name '${event}'`, eventCol, text, 'BAD_EVENT_NAME');
  }
  if (kind === '-') {
    if (suffix)
      throw new DefinitionError(`'-' is followed by ':[GRP/]EVENT'`, head.column + 1, text, 'BAD_PROBE_TYPE');
    if (full === undefined)
      throw new DefinitionError('-:EVENT needs the event name', head.column + 1, text, 'NO_EVENT_NAME');
    const extra = toks[2];
    if (extra)
      throw new DefinitionError('-:EVENT takes at most a probe point', extra.column, text, 'BAD_FETCH_ARG');
    return { kind: '-', group, event, ...(toks[1] ? { point: toks[1].text } : {}), text };
  }
  let maxactive: number | undefined;
  if (suffix) {
    if (kind !== 'r')
      throw new DefinitionError(
        'MAXACTIVE is only valid for return probes',
        head.column + 1,
        text,
        'BAD_MAXACT_TYPE',
      );
    if (!/^\d+$/.test(suffix))
      throw new DefinitionError(`bad MAXACTIVE '${suffix}'`, head.column + 1, text, 'BAD_MAXACT');
    maxactive = Number(suffix);
    if (maxactive === 0)
      throw new DefinitionError('MAXACTIVE must be at least 1', head.column + 1, text, 'BAD_MAXACT');
    if (maxactive > MAXACTIVE_MAX)
      throw new DefinitionError(
        `MAXACTIVE is at most ${MAXACTIVE_MAX}`,
        head.column + 1,
        text,
        'MAXACT_TOO_BIG',
      );
  }

  const target = toks[1];
  if (!target)
    throw new DefinitionError(
      'missing probe point (SYM[+offs] or an address)',
      head.column + head.text.length,
      text,
      'NO_PROBE_POINT',
    );
  let point: ProbeDefinition['point'];
  const fileOffset = /^([^\s:%]+):(0x[0-9a-fA-F]+|\d+)$/.exec(target.text);
  if (NUMBER.test(target.text)) {
    point = { addr: BigInt(target.text), column: target.column };
    event ||= `${kind}_0x${point.addr.toString(16)}`;
  } else if (fileOffset) {
    const [, object = '', off = '0'] = fileOffset;
    point = { object, fileOffset: BigInt(off), column: target.column };
    // uprobe_events' automatic name: p_<file name>_0x<offset>, '.' and '-' made '_'.
    const base = object.slice(object.lastIndexOf('/') + 1);
    event ||= `${kind}_${base.replace(/[.-]/g, '_')}_0x${point.fileOffset.toString(16)}`;
  } else {
    // MOD:SYM names a symbol of a shared object (kprobe_events' module syntax). A C++ name
    // goes demangled: `ns::C::f` as it is, or in double quotes with its parameters and
    // anything else (`"ns::C::f(int) const"`), as perf-probe takes it.
    const [, raw, module = '', quoted, plain, sign, digits, pointSuffix] =
      /^(((?:[\w.+-]+:(?!:))?)(?:"((?:[^"\\]|\\.)+)"|([A-Za-z_.$~][\w.$]*(?:::~?[A-Za-z_][\w.$]*)*)))(?:([+-])(0x[0-9a-fA-F]+|\d+))?(%\w*)?$/.exec(
        target.text,
      ) ?? [];
    const symbol =
      raw === undefined ? undefined : `${module}${quoted?.replace(/\\(.)/g, '$1') ?? plain ?? ''}`;
    if (symbol === undefined || raw === undefined)
      throw new DefinitionError(
        `bad probe point '${target.text}' (expected [MOD:]SYM[+offs], SYM%return, "C++ NAME(PARAMS)" or an address)`,
        target.column,
        text,
        'BAD_PROBE_ADDR',
      );
    if (pointSuffix !== undefined && pointSuffix !== '%return')
      throw new DefinitionError(
        `unknown suffix '${pointSuffix}' (only %return)`,
        target.column + target.text.length - pointSuffix.length,
        text,
        'BAD_ADDR_SUFFIX',
      );
    const offset = digits ? BigInt(digits) : 0n;
    if (sign === '-' || offset >= 1n << 63n)
      throw new DefinitionError(
        'a negative offset is not allowed',
        target.column + raw.length,
        text,
        'BAD_PROBE_ADDR',
      );
    if (pointSuffix) {
      // p:... SYM%return is the same as r:... SYM
      if (kind === 'r')
        throw new DefinitionError(
          "%return goes with 'p'; 'r' is a return probe already",
          target.column + target.text.length - 7,
          text,
          'BAD_ADDR_SUFFIX',
        );
      kind = 'r';
    }
    point = { symbol, offset, column: target.column };
    // The automatic name: '.' in a symbol (vfs_read.isra.0) and ':' after a module become
    // '_', as does whatever else a C++ name has that an event name may not; cut to the
    // longest an event name may be.
    event ||= `${kind}_${symbol.replace(/\W/g, '_')}_${offset}`.slice(0, MAX_EVENT_NAME_LEN);
  }
  if (kind === 'r' && ('addr' in point || ('offset' in point && point.offset !== 0n)))
    throw new DefinitionError(
      'a return probe goes on a function entry: SYM or SYM+0',
      target.column,
      text,
      'BAD_RETPROBE',
    );

  const ctx: Ctx = { ...ctx0, kind };
  const argToks = toks.slice(2);
  const extra = argToks[MAX_TRACE_ARGS];
  if (extra)
    throw new DefinitionError(`at most ${MAX_TRACE_ARGS} arguments`, extra.column, text, 'TOO_MANY_ARGS');
  const args: FetchArg[] = [];
  const names = new Set<string>();
  for (const [i, tok] of argToks.entries()) {
    const a = parseArg(ctx, tok, i, defaultBits);
    if (names.has(a.name))
      throw new DefinitionError(`argument name '${a.name}' is used twice`, tok.column, text, 'USED_ARG_NAME');
    names.add(a.name);
    args.push(a);
  }
  return {
    kind,
    ...(maxactive !== undefined ? { maxactive } : {}),
    group: group ?? 'kprobes',
    event,
    point,
    args,
    text,
  };
}

const pointText = (d: ProbeDefinition): string =>
  'addr' in d.point
    ? `0x${d.point.addr.toString(16)}`
    : 'object' in d.point
      ? `${d.point.object}:0x${d.point.fileOffset.toString(16)}`
      : `${d.point.symbol}+${d.point.offset}`;
const argSignature = (a: FetchArg): string =>
  `${a.name}:${JSON.stringify(a.type)}:${a.source.kind === 'immstr' || a.source.kind === 'comm' ? 'string' : 'value'}`;

/**
 * The events of an events file, in order, as the kernel's dynamic_events keeps them: a
 * definition under an existing event name adds a probe point to it (a multi-probe event,
 * same probe type and same arguments required), `-:EVENT` removes an event and
 * `-:EVENT SYM` one of its probe points.
 */
export function collectEvents(
  lines: readonly string[],
  registers: ReadonlySet<string>,
  defaultBits: 32 | 64,
): ProbeDefinition[] {
  const events = new Map<string, ProbeDefinition[]>();
  for (const text of lines) {
    const d = parseLine(text, registers, defaultBits);
    if (d.kind === '-') {
      const found = [...events].find(
        ([k]) =>
          k === `${d.group ?? 'kprobes'}/${d.event}` || (d.group === undefined && k.endsWith(`/${d.event}`)),
      );
      if (!found)
        throw new DefinitionError(
          `no event ${d.group ? `${d.group}/` : ''}${d.event} to remove`,
          2,
          text,
          'NO_EVENT_INFO',
        );
      const [key, list] = found;
      if (d.point === undefined) {
        events.delete(key);
        continue;
      }
      const pm = /^([A-Za-z_.$][\w.$]*)(?:\+(0x[0-9a-fA-F]+|\d+))?$/.exec(d.point);
      const fo = /^([^\s:%]+):(0x[0-9a-fA-F]+|\d+)$/.exec(d.point);
      const norm = pm
        ? `${pm[1]}+${pm[2] ? BigInt(pm[2]) : 0n}`
        : /^(0x[0-9a-fA-F]+|\d+)$/.test(d.point)
          ? `0x${BigInt(d.point).toString(16)}`
          : fo
            ? `${fo[1]}:0x${BigInt(fo[2] ?? '0').toString(16)}`
            : d.point;
      const i = list.findIndex((x) => pointText(x) === norm);
      if (i < 0)
        throw new DefinitionError(
          `event ${key} has no probe at ${d.point}`,
          text.indexOf(d.point),
          text,
          'NO_EVENT_INFO',
        );
      list.splice(i, 1);
      if (list.length === 0) events.delete(key);
      continue;
    }
    const key = `${d.group}/${d.event}`;
    const list = events.get(key);
    if (!list) {
      events.set(key, [d]);
      continue;
    }
    // An event whose last probe point went was deleted, so a list kept has a first point.
    const first = list[0];
    if (!first) throw new Error(`collectEvents: event ${key} is kept with no probe points`);
    if (first.kind !== d.kind)
      throw new DefinitionError(
        `event ${key} has ${first.kind === 'r' ? 'return' : 'entry'} probes: a probe of the other kind cannot join it`,
        0,
        text,
        'DIFF_PROBE_TYPE',
      );
    const n = Math.max(first.args.length, d.args.length);
    for (let i = 0; i < n; i++) {
      const a = first.args[i];
      const b = d.args[i];
      if (!a || !b || argSignature(a) !== argSignature(b))
        throw new DefinitionError(
          `the arguments differ from those of event ${key}`,
          b?.column ?? d.text.length,
          text,
          'DIFF_ARG_TYPE',
        );
    }
    if (list.some((x) => pointText(x) === pointText(d)))
      throw new DefinitionError(`event ${key} already probes ${pointText(d)}`, 0, text, 'SAME_PROBE');
    list.push(d);
  }
  return [...events.values()].flat();
}
