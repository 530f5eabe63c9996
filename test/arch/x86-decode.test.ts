// The x86 decoder against capstone: every instruction of every function of every x86
// fixture has the same length, and the fields the fix-ups read are right on known bytes.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
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

  // glibc's string functions come in SSE2, AVX2, EVEX (AVX-512VL) and AVX-512 variants: every
  // function of static glibc (by symbol) and of each ISA's libc.so.6 (by .eh_frame entry).
  it.each([
    ['fixtures/corpus/build/x86_64/lines', 64],
    ['fixtures/corpus/build/i386/lines', 32],
    ['/lib/x86_64-linux-gnu/libc.so.6', 64],
    ['/usr/i686-linux-gnu/lib/libc.so.6', 32],
  ] as const)(
    '%s: lengths equal capstone on every instruction, VEX and EVEX ones too',
    async (path, mode) => {
      if (!existsSync(path)) {
        console.warn(`${path} skipped: not installed`);
        return;
      }
      const shared = path.endsWith('.so.6');
      const img = parseElf(readFileSync(path), shared ? { base: 0x10000000, shared: true } : {});
      const d = await loadDisassembler({ arch: 'x86', mode, bigEndian: false });
      const ranges = shared
        ? img.fdes.map((r) => ({ addr: r.begin, end: r.end }))
        : img.symbols
            .filter((x) => x.kind === 'func' && x.size > 0)
            .map((x) => ({ addr: x.addr, end: x.addr + x.size }));
      let n = 0;
      let vex = 0;
      let evex = 0;
      const wrong: string[] = [];
      for (const r of ranges) {
        const text = img.segments.find(
          (g) => g.executable && r.addr >= g.vaddr && r.end <= g.vaddr + g.data.length,
        );
        if (!text) continue;
        let off = r.addr - text.vaddr;
        const end = r.end - text.vaddr;
        while (off < end) {
          const bytes = text.data.subarray(off, Math.min(off + 15, text.data.length));
          const cs = d.decode(bytes, text.vaddr + off, 1)[0];
          // Padding capstone has no instruction for ends the walk of this range.
          if (!cs) break;
          let mine: number | string;
          n++;
          try {
            const insn = decodeX86(bytes, mode);
            mine = insn.len;
            if (insn.vex === 'vex') vex++;
            if (insn.vex === 'evex') evex++;
          } catch (e) {
            mine = String(e);
          }
          if (cs.size !== mine && wrong.length < 20)
            wrong.push(
              `0x${(text.vaddr + off).toString(16)}: ${cs.mnemonic} ${cs.opStr} capstone ${cs.size} ours ${mine}`,
            );
          off += cs.size;
        }
      }
      expect(wrong).toEqual([]);
      expect(n).toBeGreaterThan(50_000);
      // Debian's i686 glibc has no AVX variants; the x86_64 one has AVX2, EVEX and AVX-512 ones.
      if (mode === 64) {
        expect(vex).toBeGreaterThan(1000);
        expect(evex).toBeGreaterThan(1000);
      }
    },
  );

  it('decodes VEX and EVEX instructions: prefix, map, ModRM, RIP-relative displacement, imm8', () => {
    // c5 fd 74 0f    vpcmpeqb ymm1, ymm0, ymmword ptr [rdi]
    expect(decodeX86(Uint8Array.of(0xc5, 0xfd, 0x74, 0x0f), 64)).toMatchObject({
      len: 4,
      vex: 'vex',
      opcode: 0x0f74,
    });
    // c5 f8 77    vzeroupper: no ModRM
    expect(decodeX86(Uint8Array.of(0xc5, 0xf8, 0x77), 64)).toMatchObject({ len: 3, modrm: undefined });
    // c4 e3 7d 38 05 10 00 00 00 01    vinserti128 ymm0, ymm0, [rip + 0x10], 1 (map 0f3a: imm8)
    expect(decodeX86(Uint8Array.of(0xc4, 0xe3, 0x7d, 0x38, 0x05, 0x10, 0, 0, 0, 0x01), 64)).toMatchObject({
      len: 10,
      opcode: 0x0f3a38,
      ripDispOffset: 5,
    });
    // 62 f1 7d 48 74 0f    vpcmpeqb k1, zmm0, zmmword ptr [rdi] (EVEX)
    expect(decodeX86(Uint8Array.of(0x62, 0xf1, 0x7d, 0x48, 0x74, 0x0f), 64)).toMatchObject({
      len: 6,
      vex: 'evex',
    });
    // i386: c5 with a ModRM of mod != 11 is lds, not VEX
    expect(decodeX86(Uint8Array.of(0xc5, 0x06), 32)).toMatchObject({ len: 2, opcode: 0xc5 });
    expect(decodeX86(Uint8Array.of(0xc5, 0xf9, 0x6f, 0xc1), 32)).toMatchObject({ len: 4, vex: 'vex' });
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
