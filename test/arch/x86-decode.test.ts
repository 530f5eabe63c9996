// The x86 decoder against capstone: every instruction of every function of every x86
// fixture has the same length, and the fields the fix-ups read are right on known bytes.
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeX86 } from '../../arch/x86/decode.js';
import { loadDisassembler } from '../../emu/disasm.js';
import { parseElf } from '../../emu/elf.js';
import { findOne, present } from '../helpers.js';

describe('decodeX86', () => {
  it.each([
    ['x86_64', 64],
    ['i386', 32],
  ] as const)('%s: lengths equal capstone on every fixture function', async (isa, mode) => {
    const d = await loadDisassembler({ arch: 'x86', mode, bigEndian: false });
    let n = 0;
    const wrong: string[] = [];
    for (const f of readdirSync(`fixtures/build/${isa}`)) {
      if (f.includes('.') || f === 'obj') continue;
      const img = parseElf(readFileSync(`fixtures/build/${isa}/${f}`));
      const text = findOne(img.segments, `executable segment in ${f}`, (s) => s.executable);
      for (const s of img.symbols.filter((x) => x.kind === 'func' && x.size > 0)) {
        let off = s.addr - text.vaddr;
        const end = off + s.size;
        while (off < end) {
          const bytes = text.data.subarray(off, off + 15);
          const cs = d.decode(bytes, text.vaddr + off, 1)[0];
          const mine = decodeX86(bytes, mode).len;
          n++;
          if (!cs || cs.size !== mine)
            wrong.push(`${f} ${s.name}+${off}: ${cs?.text} capstone ${cs?.size} ours ${mine}`);
          off += cs?.size ?? mine;
        }
      }
    }
    expect(wrong).toEqual([]);
    expect(n).toBeGreaterThan(5000);
  });

  it('finds RIP-relative displacements, ModRM and prefixes (bytes beside their disassembly)', () => {
    // 48 8b 05 a6 19 00 00    mov rax, qword ptr [rip + 0x19a6]
    expect(decodeX86(Uint8Array.of(0x48, 0x8b, 0x05, 0xa6, 0x19, 0, 0), 64)).toMatchObject({
      len: 7,
      rex: 0x48,
      opcode: 0x8b,
      ripDispOffset: 3,
    });
    // c7 05 68 19 00 00 34 12 5a 5a    mov dword ptr [rip + 0x1968], 0x5a5a1234 (imm after disp)
    expect(decodeX86(Uint8Array.of(0xc7, 0x05, 0x68, 0x19, 0, 0, 0x34, 0x12, 0x5a, 0x5a), 64)).toMatchObject({
      len: 10,
      ripDispOffset: 2,
    });
    // the same bytes on i386 are an absolute address: nothing to rewrite
    expect(
      decodeX86(Uint8Array.of(0xc7, 0x05, 0x68, 0x19, 0, 0, 0x34, 0x12, 0x5a, 0x5a), 32).ripDispOffset,
    ).toBeUndefined();
    // f3 c3    rep ret
    expect(decodeX86(Uint8Array.of(0xf3, 0xc3), 64)).toMatchObject({
      len: 2,
      prefixes: [0xf3],
      opcode: 0xc3,
    });
    // ff 15 ca 1a 00 00    call qword ptr [rip + 0x1aca]: ff /2 by the ModRM reg field
    const call = decodeX86(Uint8Array.of(0xff, 0x15, 0xca, 0x1a, 0, 0), 64);
    expect(call.opcode).toBe(0xff);
    expect((present(call.modrm, 'the ModRM byte') >> 3) & 7).toBe(2);
    // 66 c7 05 1f 19 00 00 34 12    mov word ptr [rip + 0x191f], 0x1234 (16-bit immediate)
    expect(decodeX86(Uint8Array.of(0x66, 0xc7, 0x05, 0x1f, 0x19, 0, 0, 0x34, 0x12), 64)).toMatchObject({
      len: 9,
      opsize16: true,
      ripDispOffset: 3,
    });
    // 0f 05    syscall
    expect(decodeX86(Uint8Array.of(0x0f, 0x05), 64)).toMatchObject({ len: 2, opcode: 0x0f05 });
  });
});
