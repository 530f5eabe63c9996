// Counterpart: drivers/tty/tty_io.c's tty_std_termios and include/linux/tty.h's INIT_C_CC:
// the modes a terminal starts in, laid out as an ISA's struct termios holds them.

/** The control characters of INIT_C_CC, by name (the index of each differs between ISAs). */
const INIT_C_CC: Record<string, number> = {
  VINTR: 0x03,
  VQUIT: 0x1c,
  VERASE: 0x7f,
  VKILL: 0x15,
  VEOF: 0x04,
  VSTART: 0x11,
  VSTOP: 0x13,
  VSUSP: 0x1a,
  VREPRINT: 0x12,
  VDISCARD: 0x0f,
  VWERASE: 0x17,
  VLNEXT: 0x16,
  VMIN: 1,
};

export interface TermiosLayout {
  littleEndian: boolean;
  /** c_iflag, c_oflag, c_cflag, c_lflag of tty_std_termios in the ISA's bit values. */
  flags: [number, number, number, number];
  /** Index of each control character in c_cc. */
  ccIndex: Record<string, number>;
  /** Offset of c_cc (after c_line on x86, before it on ppc). */
  ccOffset: number;
  size: number;
  /** Offset of c_ispeed and c_ospeed where the struct has them (ppc: 38400 each). */
  speedOffset?: number;
}

/** struct termios of a terminal in the kernel's default modes. */
export function defaultTermios(l: TermiosLayout): Uint8Array {
  const out = new Uint8Array(l.size);
  const v = new DataView(out.buffer);
  l.flags.forEach((f, i) => v.setUint32(4 * i, f, l.littleEndian));
  for (const [name, ch] of Object.entries(INIT_C_CC)) {
    const i = l.ccIndex[name];
    if (i !== undefined) out[l.ccOffset + i] = ch;
  }
  if (l.speedOffset !== undefined) {
    v.setUint32(l.speedOffset, 38400, l.littleEndian);
    v.setUint32(l.speedOffset + 4, 38400, l.littleEndian);
  }
  return out;
}

/** The terminal and pipe ioctls answered where the ISA uses the asm-generic numbers (x86, IA-64). */
export const GENERIC_IOCTLS: ReadonlyMap<number, string> = new Map([
  [0x5401, 'TCGETS'],
  [0x5402, 'TCSETS'],
  [0x5403, 'TCSETSW'],
  [0x5404, 'TCSETSF'],
  [0x540f, 'TIOCGPGRP'],
  [0x5413, 'TIOCGWINSZ'],
  [0x541b, 'FIONREAD'],
  [0x5421, 'FIONBIO'],
]);

/**
 * tty_std_termios in asm-generic/termbits.h's layout and values (x86, IA-64, little-endian):
 * ICRNL|IXON, OPOST|ONLCR, B38400|CS8|CREAD|HUPCL,
 * ISIG|ICANON|ECHO|ECHOE|ECHOK|ECHOCTL|ECHOKE|IEXTEN; c_line (one byte) precedes c_cc.
 */
export const GENERIC_TERMIOS: Uint8Array = defaultTermios({
  littleEndian: true,
  flags: [0x500, 0x5, 0x4bf, 0x8a3b],
  ccIndex: {
    VINTR: 0,
    VQUIT: 1,
    VERASE: 2,
    VKILL: 3,
    VEOF: 4,
    VTIME: 5,
    VMIN: 6,
    VSWTC: 7,
    VSTART: 8,
    VSTOP: 9,
    VSUSP: 10,
    VEOL: 11,
    VREPRINT: 12,
    VDISCARD: 13,
    VWERASE: 14,
    VLNEXT: 15,
    VEOL2: 16,
  },
  ccOffset: 17,
  size: 36,
});
