// Disassembly for reports and instruction counting, through capstone (loaded on first use:
// initialising it costs tens of milliseconds, so runs that never fault never pay it).
import type { CsDecoder } from '@alexaltea/capstone-js';
import type { GuestAddr } from './addr.js';

export interface DisasmSpec {
  arch: 'x86' | 'ppc' | 'ia64';
  mode: 32 | 64;
  bigEndian: boolean;
}

export interface Insn {
  address: GuestAddr;
  size: number;
  mnemonic: string;
  opStr: string;
  /** `mnemonic op_str` as one string. */
  text: string;
  /**
   * The bytes a listing shows for it, where they are not [address, address + size) (IA-64: a
   * slot's share of its bundle as objdump prints it).
   */
  shown?: Uint8Array;
}

export interface Disassembler {
  /** Decode up to `max` instructions (0 = all) from bytes placed at `addr`; stops at invalid bytes. */
  decode(bytes: Uint8Array, addr: GuestAddr, max?: number): Insn[];
  /**
   * Where instructions come in bundles (IA-64: 16 bytes, an instruction's address is its
   * bundle's plus its slot number), the bundle size: decoding starts at a bundle.
   */
  readonly bundle?: number;
}

const cache = new Map<string, Disassembler>();

export async function loadDisassembler(spec: DisasmSpec): Promise<Disassembler> {
  const key = `${spec.arch}${spec.mode}${spec.bigEndian}`;
  const hit = cache.get(key);
  if (hit) return hit;
  // Capstone has no IA-64: the interpreter's decoder prints it.
  if (spec.arch === 'ia64') return (await import('./ia64/disasm.js')).ia64Disassembler;
  const factory = (await import('@alexaltea/capstone-js')).default;
  const cs = await factory();
  const arch = spec.arch === 'x86' ? cs.ARCH_X86 : cs.ARCH_PPC;
  const mode = (spec.mode === 64 ? cs.MODE_64 : cs.MODE_32) | (spec.bigEndian ? cs.MODE_BIG_ENDIAN : 0);
  const d: CsDecoder = new cs.Capstone(arch, mode);
  const dis: Disassembler = {
    decode(bytes, addr, max = 0) {
      let insns;
      try {
        insns = d.disasm(Array.from(bytes), addr, max);
      } catch {
        return []; // capstone-js throws where the first bytes do not decode
      }
      return insns.map((i) => ({
        address: Number(i.address),
        size: i.size,
        mnemonic: i.mnemonic,
        opStr: i.op_str,
        text: i.op_str ? `${i.mnemonic} ${i.op_str}` : i.mnemonic,
      }));
    },
  };
  cache.set(key, dis);
  return dis;
}
