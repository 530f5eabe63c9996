// Counterpart: glibc's elf_irela and elf_ifunc_invoke (sysdeps/*/dl-irel.h) and ld.so's
// binding of a name to an IFUNC: the resolver is asked for the implementation this CPU gets,
// and the answer is stored in a slot the callers go through. Which implementation that is
// shows when the first such store happens: in a static program when __libc_start_main
// applies its IRELATIVE relocations (apply_irel), in a dynamic one when ld.so relocates the
// object defining it or binds a caller's GOT or PLT slot to the name.
import type { GuestAddr } from './addr.js';
import type { CodeSlot, ElfImage, ElfSymbol } from './elf.js';
import type { Machine } from './machine.js';
import { imageAt } from './extent.js';

/** A symbol's own name, without its module (`libc.so.6:strlen` is `strlen`). */
const bareName = (name: string): string => name.slice(name.lastIndexOf(':') + 1);

/**
 * The slots that get IFUNC `sym`'s implementation: the IRELATIVE relocations of its own
 * object that call its resolver, and the GOT and PLT slots bound to its name in the program
 * and in every object loaded so far.
 */
export function slotsOf(m: Machine, sym: ElfSymbol): CodeSlot[] {
  const resolver = sym.descriptor ?? sym.addr;
  const name = bareName(sym.name);
  const own = imageAt(m, sym.addr);
  const images = [own, m.image, ...m.modules.loaded.map((x) => x.image)];
  return [...new Set(images)].flatMap((image) =>
    image.codeSlots.filter((s) =>
      s.resolver !== undefined ? image === own && s.resolver === resolver : s.symbol === name,
    ),
  );
}

/**
 * Call `fn` with the code address IFUNC `sym`'s resolver picks, after the first store of it
 * in one of its slots, before the guest runs on past the jump that follows (so before any
 * caller can use it). A store of something else there (ld.so pointing a lazy PLT slot at
 * its own stub) is passed over. Throws when nothing stores it: the choice is then made
 * where it cannot be seen.
 */
export function whenIfuncResolved(m: Machine, sym: ElfSymbol, fn: (code: GuestAddr) => void): void {
  const slots = slotsOf(m, sym);
  if (slots.length === 0)
    throw new Error(
      `'${sym.name}' is an IFUNC, and no relocation stores what its resolver picks ` +
        `(no IRELATIVE relocation calls it, nothing loaded binds its name): its implementation cannot be known`,
    );
  const own = imageAt(m, sym.addr);
  const inOwnCode = (a: GuestAddr) =>
    a !== sym.addr && own.segments.some((s) => s.executable && a >= s.vaddr && a < s.vaddr + s.memsz);
  const word = m.isa.wordSize;
  const cancels: (() => void)[] = [];
  let done = false;
  for (const slot of slots)
    cancels.push(
      m.engine.watchWrites(slot.slot, slot.slot + word, (at, size, value) => {
        // The code address is the slot's first word (a descriptor copy stores it alone too).
        if (done || at !== slot.slot || size !== word) return done;
        const v = word === 4 ? Number(value & 0xffffffffn) : Number(value);
        const code = slot.stores === 'descriptor' && inDescriptors(own, v) ? m.mem.readAddr(v) : v;
        if (!inOwnCode(code)) return false;
        done = true;
        for (const c of cancels) c();
        // Placing a probe maps pages and writes code, which a memory hook may not do.
        m.atNextBoundary(() => {
          nameImplementation(m, sym, own, code);
          fn(code);
        });
        return true;
      }),
    );
}

/** Whether `a` can be a function descriptor of `image` (ppc64 ELFv1: in a data segment). */
function inDescriptors(image: ElfImage, a: GuestAddr): boolean {
  return image.segments.some((s) => !s.executable && a >= s.vaddr && a + 16 <= s.vaddr + s.memsz);
}

/**
 * Where no symbol covers the implementation (a stripped shared object: libc.so.6 keeps only
 * its exported names), it takes the IFUNC's name, sized by its .eh_frame FDE: from then on
 * `libc.so.6:strlen` names the code the program runs, as a probe by that name expects.
 */
function nameImplementation(m: Machine, sym: ElfSymbol, own: ElfImage, code: GuestAddr): void {
  const hit = m.symbols.resolve(code);
  if (hit?.symbol.kind === 'func') return;
  const fde = own.fdes.find((r) => code >= r.begin && code < r.end);
  m.symbols.add({ name: sym.name, addr: code, size: fde ? fde.end - code : 0, kind: 'func' });
}
