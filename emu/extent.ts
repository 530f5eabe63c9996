// Counterpart: kallsyms_lookup_size_offset, the function around an address that Linux's
// can_probe decodes from. Where a stripped file has no symbol there, its .eh_frame still says
// where the function's code begins and ends.
import type { GuestAddr } from './addr.js';
import type { ElfImage } from './elf.js';
import type { Machine } from './machine.js';

/** The code of one function: by its symbol, or (`fromFde`) by the FDE describing it. */
export interface CodeExtent {
  addr: GuestAddr;
  size: number;
  name: string;
  fromFde: boolean;
}

/** The image (program or shared object) a guest address belongs to. */
export function imageAt(m: Machine, addr: GuestAddr): ElfImage {
  return m.modules.at(addr)?.image ?? m.image;
}

/** The function whose code holds `addr`: its symbol's, else its FDE's; undefined when neither says. */
export function functionAt(m: Machine, addr: GuestAddr): CodeExtent | undefined {
  const hit = m.symbols.resolve(addr);
  if (hit?.symbol.kind === 'func')
    return { addr: hit.symbol.addr, size: hit.symbol.size, name: hit.symbol.name, fromFde: false };
  const fdes = imageAt(m, addr).fdes;
  // The last FDE starting at or below addr (they are sorted by start).
  let lo = 0;
  let hi = fdes.length - 1;
  let best = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if ((fdes[mid]?.begin ?? Infinity) <= addr) {
      best = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  const fde = fdes[best];
  if (!fde || addr >= fde.end) return undefined;
  return { addr: fde.begin, size: fde.end - fde.begin, name: `0x${fde.begin.toString(16)}`, fromFde: true };
}
