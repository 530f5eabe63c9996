// Counterpart: arch/x86 start_thread, the int 0x80 / syscall entry ABIs, arch_prctl and
// set_thread_area; i386 and x86_64 share this file, parameterised by mode.
import { EM_386, EM_X86_64 } from '../../emu/elf.js';
import { addrOf, type GuestAddr } from '../../emu/addr.js';
import type { Cpu, IntrEvent, IsaSpec, SyscallContext } from '../../emu/isa.js';
import { decodeX86 } from './decode.js';
import { I386_SYSCALLS, X86_64_SYSCALLS } from './syscalls.js';
import { GENERIC_IOCTLS, GENERIC_TERMIOS } from '../../emu/termios.js';

/** Unicorn register ids (unicorn/x86.h, 2.0.1). */
export const X86_REG = {
  eax: 19,
  ebx: 21,
  ecx: 22,
  edx: 24,
  esi: 29,
  edi: 23,
  ebp: 20,
  esp: 30,
  eip: 26,
  eflags: 25,
  rax: 35,
  rbx: 37,
  rcx: 38,
  rdx: 40,
  rsi: 43,
  rdi: 39,
  rbp: 36,
  rsp: 44,
  rip: 41,
  rflags: 253,
  r8: 106,
  r9: 107,
  r10: 108,
  r11: 109,
  r12: 110,
  r13: 111,
  r14: 112,
  r15: 113,
  cs: 11,
  ss: 49,
  ds: 17,
  es: 28,
  fs: 32,
  gs: 33,
  fs_base: 250,
  gs_base: 251,
  gdtr: 243,
  fpsw: 31,
  fpcw: 246,
  fptag: 247,
  mxcsr: 249,
} as const;

/**
 * The FPU and SSE state Linux gives a new process (fpstate_init, arch/x86/kernel/fpu/core.c,
 * with the defaults of arch/x86/include/asm/fpu/types.h): x87 control word 0x37f (every
 * exception masked, 64-bit precision, round to nearest), status word 0, every x87 register
 * empty (tag word 0xffff), MXCSR 0x1f80 (every SSE exception masked, round to nearest). A
 * clone copies its parent's state, as Linux's fpu_clone does (the child starts from the
 * parent's saved context).
 */
const FPU_INIT = { fpcw: 0x37f, fpsw: 0, fptag: 0xffff, mxcsr: 0x1f80 } as const;

const SIGILL = 4;
const SIGFPE = 8;
const SIGSEGV = 11;
const SIGBUS = 7;

const ARCH_SET_GS = 0x1001n;
const ARCH_SET_FS = 0x1002n;
const ARCH_GET_FS = 0x1003n;
const ARCH_GET_GS = 0x1004n;

/** i386 Linux puts the TLS descriptors at GDT entries 6..8 (GDT_ENTRY_TLS_MIN). */
const GDT_ENTRY_TLS_MIN = 6;
const GDT_ENTRIES = 32;

/** Read and write one stack word (4 or 8 bytes, little-endian) through the CPU. */
export function x86StackWords(is64: boolean): {
  read(cpu: Cpu, a: GuestAddr): bigint;
  write(cpu: Cpu, a: GuestAddr, value: bigint | number): void;
} {
  const size = is64 ? 8 : 4;
  return {
    read(cpu, a) {
      return cpu.memReadWord(a, size, true);
    },
    write(cpu, a, value) {
      cpu.memWriteWord(a, size, value, true);
    },
  };
}

function classify(intno: number, cpu: Cpu, pcReg: number, is64: boolean): IntrEvent {
  const pc = cpu.regReadAddr(pcReg);
  switch (intno) {
    case 0x80:
      if (!is64) return { kind: 'syscall' };
      return {
        kind: 'fault',
        signal: SIGSEGV,
        addr: pc - 2,
        detail: 'int 0x80 (32-bit system call) from 64-bit code',
      };
    case 3: {
      // int3 (cc) leaves PC after its one byte; `int 3` (cd 03) after two. Read the byte
      // before PC first: an int3 at the start of a mapping has nothing mapped before it.
      if (cpu.memRead(pc - 1, 1)[0] === 0xcc) return { kind: 'breakpoint', addr: pc - 1 };
      let intN = false;
      try {
        intN = cpu.memRead(pc - 2, 1)[0] === 0xcd;
      } catch {
        intN = false;
      }
      return { kind: 'breakpoint', addr: intN ? pc - 2 : pc - 1 };
    }
    case 0:
      return { kind: 'fault', signal: SIGFPE, addr: pc, detail: 'integer divide error' };
    case 1:
      return { kind: 'singlestep', addr: pc };
    case 4:
      return { kind: 'fault', signal: SIGSEGV, addr: pc, detail: 'overflow (into)' };
    case 5:
      return { kind: 'fault', signal: SIGSEGV, addr: pc, detail: 'bound range exceeded' };
    case 6:
      return { kind: 'fault', signal: SIGILL, addr: pc, detail: 'invalid opcode' };
    case 13:
      return { kind: 'fault', signal: SIGSEGV, addr: pc, detail: 'general protection fault' };
    case 14:
      return { kind: 'fault', signal: SIGSEGV, addr: pc, detail: 'page fault' };
    case 17:
      return { kind: 'fault', signal: SIGBUS, addr: pc, detail: 'alignment check' };
    default:
      return { kind: 'fault', signal: SIGSEGV, addr: pc, detail: `exception ${intno}` };
  }
}

/** GDT entry 2: the stack segment loaded into SS at start. */
const GDT_ENTRY_STACK = 2;

/** A segment descriptor: flat base/limit fields plus access byte and flags nibble. */
function descriptor(base: number, limit: number, access: number, flags: number): Uint8Array {
  const d = new Uint8Array(8);
  d[0] = limit & 0xff;
  d[1] = (limit >> 8) & 0xff;
  d[2] = base & 0xff;
  d[3] = (base >> 8) & 0xff;
  d[4] = (base >> 16) & 0xff;
  d[5] = access;
  d[6] = ((limit >> 16) & 0x0f) | (flags << 4);
  d[7] = (base >>> 24) & 0xff;
  return d;
}

/**
 * i386: give the CPU a GDT and load SS from a real flat 32-bit descriptor. Unicorn 2.0.1
 * starts with an SS cache lacking the B (32-bit) flag; the first segment load (a guest
 * `mov %gs` after set_thread_area) recomputes the stack size from it and the stack
 * pointer silently becomes 16-bit.
 */
function setUpGdt(cpu: Cpu, ctx: SyscallContext, gdt: { base: GuestAddr | undefined }): void {
  const base = ctx.mapEngineMemory(GDT_ENTRIES * 8, 3);
  gdt.base = base;
  // uc_x86_mmr: { u16 selector; u64 base; u32 limit; u32 flags } with natural alignment.
  const mmr = new Uint8Array(24);
  const mv = new DataView(mmr.buffer);
  mv.setBigUint64(8, BigInt(base), true);
  mv.setUint32(16, GDT_ENTRIES * 8 - 1, true);
  cpu.regWriteBytes(X86_REG.gdtr, mmr);
  // Present, DPL 0 (the CPL Unicorn runs at), read/write data; 4 KiB granularity, 32-bit.
  cpu.memWrite(base + GDT_ENTRY_STACK * 8, descriptor(0, 0xfffff, 0x93, 0xc));
  cpu.regWrite(X86_REG.ss, BigInt(GDT_ENTRY_STACK << 3));
}

/** struct user_desc (asm/ldt.h), the fields set_thread_area and CLONE_SETTLS use. */
interface UserDesc {
  entry: number;
  base: number;
  limit: number;
  flags: number;
}

function readUserDesc(cpu: Cpu, uinfo: GuestAddr): UserDesc {
  const v = new DataView(cpu.memRead(uinfo, 16).buffer);
  return {
    entry: v.getInt32(0, true),
    base: v.getUint32(4, true),
    limit: v.getUint32(8, true),
    flags: v.getUint32(12, true),
  };
}

/** The GDT entry a user_desc names (-1: the first TLS entry), or a negative errno. */
function threadAreaEntry(d: UserDesc, gdt: { base: GuestAddr | undefined }): number {
  const entry = d.entry === -1 ? GDT_ENTRY_TLS_MIN : d.entry;
  if (entry < GDT_ENTRY_TLS_MIN || entry > GDT_ENTRY_TLS_MIN + 2) return -22;
  if (gdt.base === undefined) return -38;
  return entry;
}

/** Present, DPL 3, read/write data, with the user's base, limit, size and granularity. */
function writeThreadArea(cpu: Cpu, d: UserDesc, entry: number, gdt: { base: GuestAddr | undefined }): void {
  if (gdt.base === undefined) return;
  const seg32 = d.flags & 1;
  const limitInPages = (d.flags >> 4) & 1;
  cpu.memWrite(gdt.base + entry * 8, descriptor(d.base, d.limit, 0xf3, (seg32 << 2) | (limitInPages << 3)));
}

/** i386 set_thread_area: write a flat 32-bit data descriptor for user_desc at `uinfo`. */
function setThreadArea(cpu: Cpu, uinfo: GuestAddr, gdt: { base: GuestAddr | undefined }): bigint {
  const d = readUserDesc(cpu, uinfo);
  const entry = threadAreaEntry(d, gdt);
  if (entry < 0) return BigInt(entry);
  if (d.entry === -1) cpu.memWrite(uinfo, Uint8Array.from(new Uint8Array(Int32Array.of(entry).buffer)));
  writeThreadArea(cpu, d, entry, gdt);
  return BigInt(entry);
}

function makeX86(is64: boolean): IsaSpec {
  const R = X86_REG;
  const pcReg = is64 ? R.rip : R.eip;
  const spReg = is64 ? R.rsp : R.esp;
  const argRegs = is64
    ? [R.rdi, R.rsi, R.rdx, R.r10, R.r8, R.r9]
    : [R.ebx, R.ecx, R.edx, R.esi, R.edi, R.ebp];
  const retReg = is64 ? R.rax : R.eax;
  const gdt: { base: GuestAddr | undefined } = { base: undefined };
  // Full-width registers by their own names and by the kernel's pt_regs names (`ax` is
  // all of rax on x86_64, all of eax on i386).
  const registers: Record<string, number> = is64
    ? {
        ...Object.fromEntries(Object.entries(R).filter(([k]) => !k.startsWith('e') || k === 'eflags')),
        ax: R.rax,
        bx: R.rbx,
        cx: R.rcx,
        dx: R.rdx,
        si: R.rsi,
        di: R.rdi,
        bp: R.rbp,
        sp: R.rsp,
        ip: R.rip,
        flags: R.rflags,
      }
    : {
        eax: R.eax,
        ebx: R.ebx,
        ecx: R.ecx,
        edx: R.edx,
        esi: R.esi,
        edi: R.edi,
        ebp: R.ebp,
        esp: R.esp,
        eip: R.eip,
        eflags: R.eflags,
        ax: R.eax,
        bx: R.ebx,
        cx: R.ecx,
        dx: R.edx,
        si: R.esi,
        di: R.edi,
        bp: R.ebp,
        sp: R.esp,
        ip: R.eip,
        flags: R.eflags,
        cs: R.cs,
        ss: R.ss,
        ds: R.ds,
        es: R.es,
        fs: R.fs,
        gs: R.gs,
      };
  const callArgRegs = [R.rdi, R.rsi, R.rdx, R.rcx, R.r8, R.r9];
  const w = is64 ? 8 : 4;
  const { read: readStack, write: writeStack } = x86StackWords(is64);
  // At function entry the return address is at sp: x86_64 passes six arguments in registers,
  // then on the stack above it; i386 cdecl passes all on the stack.
  const argumentOffset = (n: number): number | undefined =>
    is64 && n <= 6 ? undefined : Number(w) * (is64 ? n - 6 : n);
  const argumentRegister = (n: number): number | undefined =>
    is64 && n >= 1 && n <= 6 ? callArgRegs[n - 1] : undefined;
  const isaName = is64 ? 'x86_64' : 'i386';
  const spec: IsaSpec = {
    name: isaName,
    elfMachine: is64 ? EM_X86_64 : EM_386,
    wordSize: is64 ? 8 : 4,
    littleEndian: true,
    unameMachine: is64 ? 'x86_64' : 'i686',
    platform: is64 ? 'x86_64' : 'i686',
    pcReg,
    spReg,
    registers,
    syscallInsn: is64,
    syscalls: is64 ? X86_64_SYSCALLS : I386_SYSCALLS,
    statLayout: isaName,
    ioctls: GENERIC_IOCTLS,
    termios: GENERIC_TERMIOS,
    // x86_64: clone(flags, stack, ptid, ctid, tls); i386 (CLONE_BACKWARDS): (flags, stack, ptid, tls, ctid).
    cloneArgs: is64
      ? { flags: 0, stack: 1, parentTid: 2, childTid: 3, tls: 4 }
      : { flags: 0, stack: 1, parentTid: 2, tls: 3, childTid: 4 },
    layout: is64
      ? // 2^47: the first non-canonical user address, which no x86_64 process can map.
        {
          stackTop: 0x7ffffffff000,
          stackSize: 8 << 20,
          mmapTop: 0x7ffff7fff000,
          mmapBottom: 0x10000000,
          until: 0xfffffffffffff000,
          faultPage: 2 ** 47,
        }
      : // 4 GiB: past every 32-bit address (the engine's physical addresses go up to 2^36).
        {
          stackTop: 0xc0000000,
          stackSize: 8 << 20,
          mmapTop: 0xb7fff000,
          mmapBottom: 0x10000000,
          until: 0xfffff000,
          faultPage: 2 ** 32,
        },
    cpuKind: { arch: 'x86', mode: is64 ? 64 : 32, bigEndian: false },
    breakpointIntr: 3,
    breakpointInsn: Uint8Array.of(0xcc),
    memHooksSyncPc: true,

    returnReg: retReg,
    argumentRegister,
    argumentOffset,
    argument(cpu, n) {
      const reg = argumentRegister(n);
      if (reg !== undefined) return cpu.regRead(reg);
      const off = argumentOffset(n);
      if (off === undefined)
        throw new Error(`${isaName}: argument ${n} is neither in a register nor on the stack`);
      return readStack(cpu, cpu.regReadAddr(spReg) + off);
    },
    setupCall(cpu, fn, args, ret) {
      // Below the red zone (128 bytes on x86_64), aligned so that sp+w is 16-aligned at entry.
      let sp = cpu.regReadAddr(spReg) - 256;
      sp -= sp % 16;
      const stackArgs = is64 ? args.slice(6) : args;
      sp -= w * stackArgs.length;
      sp -= sp % 16;
      stackArgs.forEach((v, i) => writeStack(cpu, sp + w * i, v));
      if (is64)
        for (const [i, reg] of callArgRegs.entries()) {
          const v = args[i];
          if (v === undefined) break;
          cpu.regWrite(reg, v);
        }
      sp -= w;
      writeStack(cpu, sp, ret);
      cpu.regWrite(spReg, sp);
      // The call starts with a clean trap flag: a post handler runs while its step's TF is set.
      const flagsReg = is64 ? R.rflags : R.eflags;
      cpu.regWrite(flagsReg, cpu.regRead(flagsReg) & ~0x100n);
      cpu.regWrite(pcReg, fn);
    },
    initCpu(cpu, ctx) {
      if (!is64) setUpGdt(cpu, ctx, gdt);
    },
    setEntryState(cpu, entry, sp) {
      for (const [reg, value] of Object.entries(FPU_INIT))
        cpu.regWrite(R[reg as keyof typeof FPU_INIT], value);
      cpu.regWrite(spReg, sp);
      // ELF_PLAT_INIT: edx/rdx = 0 (no atexit function from a dynamic linker).
      cpu.regWrite(is64 ? R.rdx : R.edx, 0n);
      cpu.regWrite(pcReg, entry);
    },
    syscallNumber(cpu) {
      return Number(cpu.regRead(retReg) & 0xffffffffn);
    },
    syscallArgs(cpu, out) {
      for (let i = 0; i < argRegs.length; i++) {
        const reg = argRegs[i];
        if (reg === undefined) throw new Error(`${isaName}: no register for system call argument ${i}`);
        out[i] = cpu.regRead(reg);
      }
    },
    setSyscallResult(cpu, value) {
      cpu.regWrite(retReg, is64 ? BigInt.asUintN(64, value) : BigInt.asUintN(32, value));
    },
    pcAfterSyscall(cpu) {
      // x86_64 `syscall` reaches its UC_HOOK_INSN with RIP still at the instruction.
      return is64 ? cpu.regReadAddr(pcReg) + 2 : cpu.regReadAddr(pcReg);
    },
    classifyIntr(intno, cpu) {
      return classify(intno, cpu, pcReg, is64);
    },
    untranslatable(code, vaddr, start, end) {
      // ff /3 and ff /5 with a register operand (far call/jmp through a register) are #UD on
      // a CPU; QEMU's translator in Unicorn 2.0.1 aborts on them instead (found by fuzzing).
      const out: { addr: GuestAddr; bytes: Uint8Array }[] = [];
      for (let at = start; at < end;) {
        const off = at - vaddr;
        if (off < 0 || off >= code.length) break;
        let insn;
        try {
          insn = decodeX86(code.subarray(off, off + 15), is64 ? 64 : 32);
        } catch {
          at += 1;
          continue;
        }
        const reg = insn.modrm !== undefined ? (insn.modrm >> 3) & 7 : -1;
        if (
          insn.opcode === 0xff &&
          insn.modrm !== undefined &&
          insn.modrm >> 6 === 3 &&
          (reg === 3 || reg === 5)
        )
          out.push({ addr: at + insn.opcodeOffset, bytes: Uint8Array.of(0x0f, 0x0b) });
        at += insn.len;
      }
      return out;
    },
    cloneTls(tls, ctx) {
      if (is64) return (cpu) => cpu.regWrite(R.fs_base, tls);
      // The user_desc is read now: glibc builds it in pthread_create's frame and builds the
      // next thread's there once clone returns.
      const desc = readUserDesc(ctx.cpu, addrOf(tls));
      const entry = threadAreaEntry(desc, gdt);
      if (entry < 0) return BigInt(entry);
      return (cpu) => {
        writeThreadArea(cpu, desc, entry, gdt);
        cpu.regWrite(R.gs, (entry << 3) | 3);
      };
    },
    archSyscall(name, args, ctx) {
      if (is64 && name === 'arch_prctl') {
        const [code, addr] = args;
        if (addr === undefined) throw new Error('arch_prctl: no address argument');
        if (code === ARCH_SET_FS) ctx.cpu.regWrite(R.fs_base, addr);
        else if (code === ARCH_SET_GS) ctx.cpu.regWrite(R.gs_base, addr);
        else if (code === ARCH_GET_FS) ctx.writeWord(addrOf(addr), ctx.cpu.regRead(R.fs_base));
        else if (code === ARCH_GET_GS) ctx.writeWord(addrOf(addr), ctx.cpu.regRead(R.gs_base));
        else return -22n;
        return 0n;
      }
      if (!is64 && name === 'set_thread_area') {
        const [uinfo] = args;
        if (uinfo === undefined) throw new Error('set_thread_area: no user_desc argument');
        const r = setThreadArea(ctx.cpu, addrOf(uinfo), gdt);
        return r < 0n ? r : 0n;
      }
      return undefined;
    },
  };
  return spec;
}

/** A fresh spec per machine: the i386 GDT lives in one machine's memory. */
export const x86_64 = (): IsaSpec => makeX86(true);
export const i386 = (): IsaSpec => makeX86(false);
