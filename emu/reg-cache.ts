// Counterpart: none in Unicorn's own bindings; what a hook-heavy client adds on top of
// uc_reg_read/uc_reg_write so that a trap costs one call each way: register writes made in
// a hook go in one batch when it returns, and registers a trap handler reads come in one
// batch with PC.
import { addrOfHalves, type GuestAddr } from './addr.js';

/** The register calls of an engine binding, 1:1 on its C API. */
export interface RegisterIo {
  /** One register into `value` (8 bytes, host order; narrower registers fill their own width). */
  regRead(id: number, value: Uint8Array): void;
  regWrite(id: number, value: Uint8Array): void;
  /** `count` registers in one call: their values as halves, [low, high] each in host order. */
  regReadBatch(ids: Int32Array, count: number): Uint32Array;
  regWriteBatch(ids: Int32Array, halves: Uint32Array, count: number): void;
}

/** Registers one batch call moves at most. */
export const BATCH = 8;

const HOST_LE = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;
/** Where the low and high halves of a 64-bit word sit in a Uint32Array over it (host order). */
const LO = HOST_LE ? 0 : 1;
const HI = 1 - LO;

/** An integer for a 64-bit store: a number must be an integer (a fraction is a caller's bug). */
export function wordOf(v: bigint | number): bigint {
  if (typeof v === 'bigint') return v;
  if (!Number.isSafeInteger(v)) throw new RangeError(`${v} is not an exact integer`);
  return BigInt(v);
}

/**
 * Register reads and writes through a binding, batched inside hooks. The engine calls
 * `enterHook` and `leaveHook` around every hook callback, and `settle` before anything that
 * reads or replaces the whole CPU state (a context save or restore, a run).
 */
export class RegisterCache {
  private readonly one = new BigUint64Array(1);
  private readonly halves = new Uint32Array(this.one.buffer);
  private readonly oneBytes = new Uint8Array(this.one.buffer);
  /** Hook callbacks running now (a run nested in a hook nests them). */
  private hookDepth = 0;
  /**
   * Register writes made inside a hook wait here, in order, and go to the engine in one
   * batch when the hook returns (or before anything that depends on them). Unicorn acts on
   * a register write only when the hook returns, so the guest sees the same thing.
   */
  private readonly pendIds = new Int32Array(BATCH);
  private readonly pendVals = new BigUint64Array(BATCH);
  private readonly pendHalves = new Uint32Array(this.pendVals.buffer);
  private pendN = 0;
  /** Registers read ahead by prefetch, served until a register is written or the hook ends. */
  private readonly cacheIds = new Int32Array(BATCH);
  private readonly cacheHalves = new Uint32Array(2 * BATCH);
  private readonly cacheVals = new BigUint64Array(this.cacheHalves.buffer);
  private cacheN = 0;

  constructor(private readonly io: RegisterIo) {}

  enterHook(): void {
    this.hookDepth++;
  }

  /**
   * A hook callback ended: its writes go to the engine, what it read ahead is dropped.
   * `oneByOne` after a Unicorn 2.1 UC_HOOK_CODE callback: a PC written there is kept only
   * when a plain uc_reg_write wrote it (that call alone sets the flag that makes the run
   * resume at the new PC); a PC written in a batch is undone and the instruction runs again.
   */
  leaveHook(oneByOne: boolean): void {
    this.hookDepth--;
    this.cacheN = 0;
    if (this.pendN > 0) this.flushWrites(oneByOne);
  }

  /** Before anything that reads or replaces the CPU state: the writes waiting go in. */
  settle(): void {
    if (this.pendN > 0) this.flushWrites();
  }

  /** The CPU state changed behind the cache (a run, a context restore): drop the read-ahead. */
  forget(): void {
    this.cacheN = 0;
  }

  /** Drop everything held (the engine closed). */
  clear(): void {
    this.pendN = 0;
    this.cacheN = 0;
  }

  /** The register writes waiting, to the engine: one uc_reg_write each, or one batch. */
  private flushWrites(oneByOne = false): void {
    const n = this.pendN;
    this.pendN = 0;
    if (n === 1 || oneByOne) {
      for (let i = 0; i < n; i++) {
        this.halves[0] = this.pendHalves[2 * i] ?? 0;
        this.halves[1] = this.pendHalves[2 * i + 1] ?? 0;
        this.io.regWrite(this.pendIds[i] ?? 0, this.oneBytes);
      }
      return;
    }
    this.io.regWriteBatch(this.pendIds, this.pendHalves, n);
  }

  /** Read `ids` in one call; `read` serves them until a write, the hook's end or a run. */
  prefetch(ids: Int32Array): void {
    this.settle();
    const n = ids.length;
    if (n > BATCH) throw new RangeError(`regPrefetch: ${n} registers; at most ${BATCH}`);
    const h = this.io.regReadBatch(ids, n);
    this.cacheIds.set(ids);
    for (let i = 0; i < 2 * n; i++) this.cacheHalves[i] = h[i] ?? 0;
    this.cacheN = n;
  }

  /** Where `id` is among the registers read ahead, or -1. */
  private cached(id: number): number {
    for (let i = 0; i < this.cacheN; i++) if (this.cacheIds[i] === id) return i;
    return -1;
  }

  /** A register is written: it is no longer served read ahead, nor (not one of them) is any. */
  private uncache(id: number): void {
    const i = this.cached(id);
    if (i >= 0) this.cacheIds[i] = -1;
    else this.cacheN = 0;
  }

  read(id: number): bigint {
    if (this.cacheN > 0) {
      const i = this.cached(id);
      if (i >= 0) return this.cacheVals[i] ?? 0n;
    }
    this.readFresh(id);
    return this.one[0] ?? 0n;
  }

  /** `id` from the engine into `one`, after the writes waiting. */
  private readFresh(id: number): void {
    if (this.pendN > 0) this.flushWrites();
    // The engine stores only the register's own width (4 bytes for EIP, 2 for CS): the rest
    // of the word must not keep what an earlier access left there.
    this.halves[0] = 0;
    this.halves[1] = 0;
    this.io.regRead(id, this.oneBytes);
  }

  /** [low, high] halves, reused by the next call. */
  readHalves(id: number): Uint32Array {
    const i = this.cacheN > 0 ? this.cached(id) : -1;
    if (i >= 0) {
      this.halves[LO] = this.cacheHalves[2 * i + LO] ?? 0;
      this.halves[HI] = this.cacheHalves[2 * i + HI] ?? 0;
    } else this.readFresh(id);
    // Host order to [low, high].
    if (!HOST_LE) this.halves.reverse();
    return this.halves;
  }

  readAddr(id: number): GuestAddr {
    const h = this.readHalves(id);
    return addrOfHalves(h[0] ?? 0, h[1] ?? 0);
  }

  /**
   * Write a register (modulo 2^64). Inside a hook the write waits for the hook's end, in
   * order with the others; a second write of the same register sends the first ones before it.
   */
  write(id: number, value: bigint | number): void {
    if (this.cacheN > 0) this.uncache(id);
    if (this.hookDepth > 0) {
      let n = this.pendN;
      for (let i = 0; i < n; i++)
        if (this.pendIds[i] === id) {
          this.flushWrites();
          n = 0;
          break;
        }
      if (n === BATCH) {
        this.flushWrites();
        n = 0;
      }
      this.pendIds[n] = id;
      if (typeof value === 'number' && value >= 0 && Number.isSafeInteger(value)) {
        // Two halves of an exact number: no BigInt is made (ToUint32 takes it modulo 2^32).
        this.pendHalves[2 * n + LO] = value >>> 0;
        this.pendHalves[2 * n + HI] = Math.floor(value / 0x100000000);
      } else {
        // The store takes the value modulo 2^64 (ToBigUint64).
        this.pendVals[n] = wordOf(value);
      }
      this.pendN = n + 1;
      return;
    }
    this.one[0] = wordOf(value);
    this.io.regWrite(id, this.oneBytes);
  }

  /** A register's raw bytes changed behind the cache (regWriteBytes): drop the read-ahead. */
  wroteRaw(): void {
    this.settle();
    this.cacheN = 0;
  }
}
