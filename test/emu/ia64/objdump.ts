// Counterpart: binutils objdump -d on IA-64 ELF files: its listing parsed back into bundles.
import { execFileSync } from 'node:child_process';

/** One bundle as objdump lists it: its address, its 16 bytes and the text of each slot. */
export interface ListedBundle {
  readonly address: bigint;
  readonly bytes: Uint8Array;
  readonly template: string;
  readonly slots: string[];
}

export const OBJDUMP = 'ia64-linux-gnu-objdump';

/** Whether the cross objdump runs here (the tests that need it warn and skip without it). */
export function haveObjdump(): boolean {
  try {
    execFileSync(OBJDUMP, ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** objdump's slot text with its symbol annotations dropped and targets spelled 0x…. */
export function normalise(s: string): string {
  return s
    .replace(/;;\s*$/, '')
    .replace(/\b([0-9a-f]+) <[^>]*>/g, '0x$1')
    .replace(/\s+/g, ' ')
    .trim();
}

/** Parse `objdump -d file` into bundles (the bytes come from the listing itself). */
export function listBundles(file: string): ListedBundle[] {
  const text = execFileSync(OBJDUMP, ['-d', file], { encoding: 'utf8' });
  const out: ListedBundle[] = [];
  let cur: { address: bigint; bytes: number[]; template: string; slots: string[] } | undefined;
  const flush = (): void => {
    if (cur) out.push({ ...cur, bytes: Uint8Array.from(cur.bytes) });
    cur = undefined;
  };
  for (const line of text.split('\n')) {
    const m = /^\s*([0-9a-f]+):\t((?:[0-9a-f]{2} )+)\s*(.*)$/.exec(line);
    if (!m) continue;
    const [, addr = '', hexBytes = '', rest = ''] = m;
    let insn = rest;
    const t = /^\[(\w+)\]\s*(.*)$/.exec(rest);
    if (t) {
      flush();
      cur = { address: BigInt(`0x${addr}`), bytes: [], template: t[1] ?? '', slots: [] };
      insn = t[2] ?? '';
    }
    if (!cur) continue;
    for (const b of hexBytes.trim().split(' ')) cur.bytes.push(parseInt(b, 16));
    if (insn.trim() !== '') cur.slots.push(normalise(insn));
  }
  flush();
  return out;
}
