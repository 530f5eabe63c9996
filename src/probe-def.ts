// Counterpart: kernel/trace/trace_kprobe.c (create_trace_kprobe) and trace_probe.c
// (traceprobe_parse_probe_arg): the kprobe_events definition syntax, with errors that carry
// a column for the caret as the kernel's error_log does.

/** A syntax or registration error located in the definition text. */
export class DefinitionError extends Error {
  constructor(
    message: string,
    /** 0-based column of the offending token in `text`. */
    readonly column: number,
    readonly text: string,
  ) {
    super(message);
    this.name = 'DefinitionError';
  }

  /** The definition with a caret under the offending part. */
  render(): string {
    return `${this.message}\n  ${this.text}\n  ${' '.repeat(this.column)}^`;
  }
}

export type FetchType = { kind: 's' | 'u' | 'x'; bits: 8 | 16 | 32 | 64 };

export type FetchSource =
  | { kind: 'reg'; name: string }
  | { kind: 'arg'; n: number }
  | { kind: 'retval' };

export interface FetchArg {
  name: string;
  source: FetchSource;
  type: FetchType;
}

/** The kernel's KRETPROBE_MAXACTIVE_MAX: the largest MAXACTIVE the text syntax takes. */
export const MAXACTIVE_MAX = 4096;

export interface ProbeDefinition {
  kind: 'p' | 'r';
  /** `rN`: instances for a return probe (undefined: the default). */
  maxactive?: number;
  group: string;
  event: string;
  point: { symbol: string; offset: bigint; column: number } | { addr: bigint; column: number };
  args: FetchArg[];
  text: string;
}

interface Token {
  text: string;
  column: number;
}

function tokenize(text: string): Token[] {
  const out: Token[] = [];
  const re = /\S+/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text))) out.push({ text: m[0], column: m.index });
  return out;
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

function parseType(t: string, column: number, text: string): FetchType {
  const m = /^([sux])(8|16|32|64)$/.exec(t);
  if (!m) throw new DefinitionError(`unknown type '${t}' (this form takes s8..s64, u8..u64, x8..x64)`, column, text);
  return { kind: m[1] as 's' | 'u' | 'x', bits: Number(m[2]) as 8 | 16 | 32 | 64 };
}

/**
 * Parse one definition. `registers` are the register names the ISA accepts for %REG;
 * `defaultBits` is the default fetch width (64 or 32).
 */
export function parseDefinition(text: string, registers: ReadonlySet<string>, defaultBits: 32 | 64): ProbeDefinition {
  const toks = tokenize(text);
  if (toks.length === 0) throw new DefinitionError('empty probe definition', 0, text);
  const head = toks[0]!;
  const hm = /^([pr])(\d*)(?::(?:([^/\s]*)\/)?([^/\s]*))?$/.exec(head.text);
  if (!hm) throw new DefinitionError(`a definition starts with 'p' or 'r', optionally ':[GROUP/]EVENT'`, head.column, text);
  let kind = hm[1] as 'p' | 'r';
  let maxactive: number | undefined;
  if (hm[2]) {
    if (kind !== 'r') throw new DefinitionError('MAXACTIVE is only valid for return probes', head.column + 1, text);
    maxactive = Number(hm[2]);
    if (maxactive === 0) throw new DefinitionError('MAXACTIVE must be at least 1', head.column + 1, text);
    if (maxactive > MAXACTIVE_MAX) throw new DefinitionError(`MAXACTIVE is at most ${MAXACTIVE_MAX}`, head.column + 1, text);
  }
  const group = hm[3] || 'kprobes';
  let event = hm[4] ?? '';
  const groupCol = head.column + 2;
  if (hm[3] !== undefined && !NAME.test(group)) throw new DefinitionError(`bad group name '${group}'`, groupCol, text);
  const eventCol = head.column + head.text.length - event.length;
  if (event && !NAME.test(event)) throw new DefinitionError(`bad event name '${event}'`, eventCol, text);

  const target = toks[1];
  if (!target) throw new DefinitionError('missing probe point (SYM[+offs] or an address)', head.column + head.text.length, text);
  let point: ProbeDefinition['point'];
  if (/^0x[0-9a-fA-F]+$/.test(target.text) || /^\d+$/.test(target.text)) {
    point = { addr: BigInt(target.text), column: target.column };
    event ||= `p_0x${(point as { addr: bigint }).addr.toString(16)}`;
  } else {
    const sm = /^([A-Za-z_.$][\w.$]*)(?:([+-])(0x[0-9a-fA-F]+|\d+))?(%return)?$/.exec(target.text);
    if (!sm) throw new DefinitionError(`bad probe point '${target.text}' (expected SYM[+offs], SYM%return or an address)`, target.column, text);
    if (sm[2] === '-') throw new DefinitionError('a negative offset is not allowed', target.column + sm[1]!.length, text);
    const offset = sm[3] ? BigInt(sm[3]) : 0n;
    if (sm[4]) {
      // p:... SYM%return is the same as r:... SYM
      if (kind === 'r') throw new DefinitionError("%return goes with 'p'; 'r' is a return probe already", target.column + target.text.length - 7, text);
      kind = 'r';
    }
    point = { symbol: sm[1]!, offset, column: target.column };
    event ||= `${kind}_${sm[1]}_${offset}`;
  }
  if (kind === 'r' && ('addr' in point || point.offset !== 0n))
    throw new DefinitionError('a return probe goes on a function entry: SYM or SYM+0', target.column, text);

  const args: FetchArg[] = [];
  const names = new Set<string>();
  for (const [i, tok] of toks.slice(2).entries()) {
    let body = tok.text;
    let col = tok.column;
    let name = `arg${i + 1}`;
    const eq = body.indexOf('=');
    if (eq >= 0) {
      name = body.slice(0, eq);
      if (!NAME.test(name)) throw new DefinitionError(`bad argument name '${name}'`, col, text);
      body = body.slice(eq + 1);
      col += eq + 1;
    }
    if (names.has(name)) throw new DefinitionError(`argument name '${name}' is used twice`, tok.column, text);
    names.add(name);
    let type: FetchType = { kind: 'x', bits: defaultBits };
    const colon = body.indexOf(':');
    if (colon >= 0) {
      type = parseType(body.slice(colon + 1), col + colon + 1, text);
      body = body.slice(0, colon);
    }
    let source: FetchSource;
    if (body.startsWith('%')) {
      const reg = body.slice(1).toLowerCase();
      if (!registers.has(reg)) throw new DefinitionError(`unknown register '${body}'`, col, text);
      source = { kind: 'reg', name: reg };
    } else if (/^\$arg\d+$/.test(body)) {
      const n = Number(body.slice(4));
      if (n < 1) throw new DefinitionError('argument numbers start at 1 ($arg1)', col, text);
      if (kind === 'r') throw new DefinitionError('$argN is only valid at a function entry (p probes): at the return the argument registers are spent', col, text);
      source = { kind: 'arg', n };
    } else if (body === '$retval') {
      if (kind !== 'r') throw new DefinitionError('$retval is only valid for return probes', col, text);
      source = { kind: 'retval' };
    } else {
      throw new DefinitionError(`unknown fetch argument '${body}' (this form takes %REG, $argN, $retval)`, col, text);
    }
    args.push({ name, source, type });
  }
  return { kind, ...(maxactive !== undefined ? { maxactive } : {}), group, event, point, args, text };
}

/** Render a fetched value by its type: hex for x types, decimal for s/u. */
export function renderValue(v: bigint, t: FetchType): string {
  if (t.kind === 'x') return `0x${BigInt.asUintN(t.bits, v).toString(16)}`;
  if (t.kind === 'u') return BigInt.asUintN(t.bits, v).toString();
  return BigInt.asIntN(t.bits, v).toString();
}
