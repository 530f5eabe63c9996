// Counterpart: ia64-linux-gnu-objdump -d, one slot per line: the Disassembler the reports use
// for IA-64, which capstone lacks. An instruction's address is its slot's (bundle + slot
// number, emu/ia64/engine.ts), its size the bytes to the next bundle from its slot's start.
import { wordOfAddr, type GuestAddr } from '../addr.js';
import { decodeBundle } from './decode.js';
import { format } from './format.js';

/** An instruction as emu/disasm.ts's `Insn` has it (declared here: that module loads this one). */
interface SlotInsn {
  address: GuestAddr;
  size: number;
  mnemonic: string;
  opStr: string;
  text: string;
  shown: Uint8Array;
}

/** objdump's share of a bundle for each slot: 6, 6 and 4 bytes (an L+X pair: the last 10). */
const SHOWN: readonly [number, number][] = [
  [0, 6],
  [6, 12],
  [12, 16],
];

/** A `Disassembler` (emu/disasm.ts) for IA-64. */
export const ia64Disassembler = {
  bundle: 16,
  decode(bytes: Uint8Array, addr: GuestAddr, max = 0): SlotInsn[] {
    // Bytes must begin at a bundle: a slot address past slot 0 has none of its bundle's start.
    if (addr % 16 !== 0) return [];
    const out: SlotInsn[] = [];
    for (let off = 0; off + 16 <= bytes.length; off += 16) {
      const b = decodeBundle(bytes, off);
      if (!b.info) return out;
      const base = addr + off;
      for (let s = 0; s < 3; s++) {
        const i = b.slots[s];
        if (!i || (s === 2 && b.info.units === 'MLX')) continue;
        const text = format(i, wordOfAddr(base));
        const sp = text.indexOf(' ');
        const [from, to] = SHOWN[s] ?? [0, 16];
        out.push({
          address: base + s,
          size: 16 - s,
          mnemonic: sp < 0 ? text : text.slice(0, sp),
          opStr: sp < 0 ? '' : text.slice(sp + 1),
          text,
          shown: bytes.slice(off + from, off + (s === 1 && b.info.units === 'MLX' ? 16 : to)),
        });
        if (max > 0 && out.length >= max) return out;
      }
    }
    return out;
  },
};
