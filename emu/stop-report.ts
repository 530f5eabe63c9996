// Counterpart: the line a shell or the kernel's log shows when a program ends badly
// ("segfault at ... ip ..."): how a stop reads, kept apart from the run loop, since it loads
// a disassembler and is asynchronous.
import { hex, type GuestAddr } from './addr.js';
import { loadDisassembler } from './disasm.js';
import type { Machine, StopReason } from './machine.js';

/** One line describing a stop for stderr: signal, symbol+offset, instruction, task. */
export async function describeStop(m: Machine, r: StopReason): Promise<string> {
  if (r.kind === 'exit') return `exited with status ${r.status}`;
  if (r.kind === 'deadlock')
    return `kprobe-emu: deadlock: every task waits (on a futex or a pipe) and none can wake it (tasks ${r.tids.join(', ')})`;
  if (r.kind === 'error')
    return `kprobe-emu: run stopped at ${await describePc(m, r.pc)} (task ${r.tid}): ${r.message}`;
  const where = await describePc(m, r.pc);
  if (r.kind === 'budget')
    return `kprobe-emu: instruction budget of ${r.insns} exceeded at ${where} (task ${r.tid})`;
  return `kprobe-emu: task ${r.tid} killed by ${r.name} at ${where}: ${r.detail}`;
}

/** `sym+0xoff/0xsize (0xaddr): insn` for reports; without the instruction once the engine is closed. */
export async function describePc(m: Machine, pc: GuestAddr): Promise<string> {
  const at = `${m.symbols.format(pc)} (${hex(pc)})`;
  if (m.engine.closed || !m.mem.isMapped(pc)) return at;
  try {
    const d = await loadDisassembler(m.isa.cpuKind);
    // Bundled instructions (IA-64) decode from their bundle's start.
    const base = d.bundle ? pc - (pc % d.bundle) : pc;
    const insn = d.bundle
      ? d.decode(m.mem.read(base, d.bundle), base).find((i) => i.address === pc)
      : d.decode(m.mem.read(pc, 16), pc, 1)[0];
    return `${at}: ${insn ? insn.text : '(bad)'}`;
  } catch {
    return at;
  }
}
