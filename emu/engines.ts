// Counterpart: QEMU's accelerator choice (accel/accel-*.c): which CPU engine runs a guest.
// Unicorn for the ISAs it has, the interpreter of emu/ia64/ for IA-64; the rest of the tree
// sees only the CpuEngine interface.
import type { CpuEngine, EngineHandlers } from './engine.js';
import { Ia64Engine } from './ia64/engine.js';
import type { IsaSpec } from './isa.js';
import { engineHasVirtualTlb, UnicornEngine } from './unicorn-engine.js';
import { libraryPath, ucVersion } from './unicorn.js';

/** The one line a process prints when the loaded Unicorn is older than 2.1. */
let warnedOldEngine = false;

export interface EngineChoice {
  /** Resolve guest pages through the engine's own TLB where it has one (false: flat MMU, for comparisons). */
  virtualTlb: boolean;
  /** Flat MMU: make the engine report a faulting access at its own instruction where that costs a hook. */
  preciseFaults: boolean;
  /** Where engine notes go (the fallback engine's line). */
  warn: (line: string) => void;
}

/** Open the CPU engine for `isa`, calling `handlers`. */
export function openEngine(isa: IsaSpec, handlers: EngineHandlers, choice: EngineChoice): CpuEngine {
  if (isa.cpuKind.arch === 'ia64') return new Ia64Engine(handlers);
  const hasTlb = engineHasVirtualTlb();
  if (!hasTlb && !warnedOldEngine) {
    warnedOldEngine = true;
    choice.warn(
      `kprobe-emu: Unicorn ${ucVersion().text} (${libraryPath()}) is the fallback engine: ` +
        `guests run on the flat MMU, ` +
        `several times slower on call-heavy code, and ppc64 floating-point compares are wrong ` +
        `(fcmpu and fcmpo always say equal); make fetches Unicorn 2.1 into lib/unicorn/`,
    );
  }
  const virtualTlb = choice.virtualTlb && hasTlb;
  return new UnicornEngine(isa.cpuKind, handlers, {
    syscallInsn: isa.syscallInsn,
    ...(virtualTlb ? { faultPage: BigInt(isa.layout.faultPage) } : {}),
    ...(!virtualTlb && choice.preciseFaults && isa.memHooksSyncPc
      ? { preciseFaultsAt: BigInt(isa.layout.until) }
      : {}),
  });
}
