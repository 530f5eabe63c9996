// The public API: run guest programs and put Linux-style kprobes on them.
export { runProgram, loadElfFile, createMachine, LoadError, type RunOutcome } from './run.js';
export { Machine, shellStatus, type MachineOptions, type StopReason } from '../emu/machine.js';
export {
  KprobeEngine,
  Kprobe,
  ProbeError,
  type KprobeHandlers,
  type PreHandler,
  type PostHandler,
  type FaultHandlerFn,
  type ProbePoint,
  type KprobeStatus,
} from './kprobes.js';
export {
  Kretprobe,
  Kretprobes,
  DEFAULT_MAXACTIVE,
  type KretprobeInstance,
  type KretprobeOptions,
  type KretHandler,
  type KretEntryHandler,
  type KretprobeKeying,
} from './kretprobes.js';
export { Regs } from './regs.js';
export { parseDefinition, DefinitionError, type ProbeDefinition } from './probe-def.js';
export { traceDefinitions } from './trace/definitions.js';
export { TraceSink, type TraceEvent } from './trace/sink.js';

import type { Machine } from '../emu/machine.js';
import { kprobes, type Kprobe, type KprobeHandlers, type ProbePoint } from './kprobes.js';
import type { Kretprobe, KretprobeOptions } from './kretprobes.js';

export { kprobes };

/** register_kprobe on a machine: `registerKprobe(m, { symbol: 'fib' }, { preHandler })`. */
export function registerKprobe(m: Machine, point: ProbePoint, handlers: KprobeHandlers): Kprobe {
  return kprobes(m).registerKprobe(point, handlers);
}

/** unregister_kprobe: the last probe at an address restores the original bytes. */
export function unregisterKprobe(m: Machine, p: Kprobe): void {
  kprobes(m).unregisterKprobe(p);
}

/** register_kretprobe on a machine: `registerKretprobe(m, { symbol: 'fib' }, { handler })`. */
export function registerKretprobe(m: Machine, point: ProbePoint, options: KretprobeOptions): Kretprobe {
  return kprobes(m).registerKretprobe(point, options);
}

/** unregister_kretprobe: calls in flight return to their callers with no handler. */
export function unregisterKretprobe(m: Machine, rp: Kretprobe): void {
  kprobes(m).unregisterKretprobe(rp);
}

/** register_kprobes: all or nothing (a refusal unregisters the ones before it and throws). */
export function registerKprobes(
  m: Machine,
  batch: readonly { point: ProbePoint; handlers?: KprobeHandlers }[],
): Kprobe[] {
  return kprobes(m).registerKprobes(batch);
}

/** unregister_kprobes. */
export function unregisterKprobes(m: Machine, ps: readonly Kprobe[]): void {
  kprobes(m).unregisterKprobes(ps);
}

/** register_kretprobes: all or nothing, as register_kprobes. */
export function registerKretprobes(
  m: Machine,
  batch: readonly { point: ProbePoint; options?: KretprobeOptions }[],
): Kretprobe[] {
  return kprobes(m).registerKretprobes(batch);
}

/** unregister_kretprobes. */
export function unregisterKretprobes(m: Machine, rps: readonly Kretprobe[]): void {
  kprobes(m).unregisterKretprobes(rps);
}
