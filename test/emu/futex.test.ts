// futex(2) as kernel/futex.c answers it: waiters woken first come, first served, FUTEX_REQUEUE
// and FUTEX_CMP_REQUEUE (musl's condition variables), FUTEX_WAKE_OP (older glibc's).
import { describe, expect, it } from 'vitest';
import type { Machine } from '../../emu/machine.js';
import type { Task } from '../../emu/tasks.js';
import { ISAS, type IsaName } from '../helpers.js';
import { machineFor, scratch, sys } from './guest-calls.js';

const EAGAIN = 11;
const EINVAL = 22;
const ENOSYS = 38;
const FUTEX_WAKE = 1;
const FUTEX_REQUEUE = 3;
const FUTEX_CMP_REQUEUE = 4;
const FUTEX_WAKE_OP = 5;
const FUTEX_PRIVATE_FLAG = 128;

/** FUTEX_OP(op, oparg, cmp, cmparg) of linux/futex.h. */
const futexOp = (op: number, oparg: number, cmp: number, cmparg: number) =>
  (((op & 0xf) << 28) | ((cmp & 0xf) << 24) | ((oparg & 0xfff) << 12) | (cmparg & 0xfff)) >>> 0;

/** Tasks blocked on `word`, in this order (as FUTEX_WAIT leaves them). */
function waiters(m: Machine, word: number, n: number): Task[] {
  return Array.from({ length: n }, () => {
    const t = m.sched.spawn();
    m.sched.pickNext(); // off the run queue, as a task that ran and then waited
    m.sched.block(t, word);
    return t;
  });
}

const tids = (ts: Task[]) => ts.map((t) => t.tid);

function withMachine(isa: IsaName, body: (m: Machine, page: number) => void): void {
  const { m } = machineFor(isa, 'hello');
  try {
    body(m, scratch(m, isa));
  } finally {
    m.close();
  }
}

describe.each(ISAS)('%s: futex', (isa) => {
  it('FUTEX_WAKE wakes the waiters in the order they began to wait', () => {
    withMachine(isa, (m, a) => {
      const [t1, t2, t3] = waiters(m, a, 3);
      if (!t1 || !t2 || !t3) throw new Error('three waiters');
      // t1 wakes and waits again: it is now the last.
      m.sched.wake(t1);
      m.sched.pickNext();
      m.sched.block(t1, a);
      expect(tids(m.sched.waitingOn(a))).toEqual(tids([t2, t3, t1]));
      expect(sys(m, isa, 'futex', [a, FUTEX_WAKE | FUTEX_PRIVATE_FLAG, 2])).toBe(2);
      expect([t2.state, t3.state, t1.state]).toEqual(['ready', 'ready', 'blocked']);
    });
  });

  it('FUTEX_REQUEUE wakes nr_wake, moves up to nr_requeue behind the second word, counts both', () => {
    withMachine(isa, (m, a) => {
      const b = a + 64;
      const [already] = waiters(m, b, 1);
      const ts = waiters(m, a, 4);
      // nr_wake 1, nr_requeue 2 (the fourth argument is a count here).
      expect(sys(m, isa, 'futex', [a, FUTEX_REQUEUE | FUTEX_PRIVATE_FLAG, 1, 2, b])).toBe(3);
      expect(ts.map((t) => t.state)).toEqual(['ready', 'blocked', 'blocked', 'blocked']);
      expect(tids(m.sched.waitingOn(a))).toEqual(tids(ts.slice(3)));
      expect(tids(m.sched.waitingOn(b))).toEqual(tids([already as Task, ...ts.slice(1, 3)]));
      expect(sys(m, isa, 'futex', [a, FUTEX_REQUEUE, -1, 0, b])).toBe(-EINVAL);
      expect(sys(m, isa, 'futex', [a, FUTEX_REQUEUE, 0, 0, b])).toBe(0);
    });
  });

  it('FUTEX_CMP_REQUEUE checks the word first: EAGAIN and nothing moved when it changed', () => {
    withMachine(isa, (m, a) => {
      const b = a + 64;
      m.mem.writeU32(a, 7);
      const ts = waiters(m, a, 2);
      expect(sys(m, isa, 'futex', [a, FUTEX_CMP_REQUEUE, 0, 5, b, 8])).toBe(-EAGAIN);
      expect(tids(m.sched.waitingOn(a))).toEqual(tids(ts));
      expect(sys(m, isa, 'futex', [a, FUTEX_CMP_REQUEUE, 0, 5, b, 7])).toBe(2);
      expect(tids(m.sched.waitingOn(b))).toEqual(tids(ts));
    });
  });

  it('FUTEX_WAKE_OP stores op(old, oparg) and wakes the second word only when old compares true', () => {
    withMachine(isa, (m, a) => {
      const b = a + 64;
      const onA = waiters(m, a, 2);
      const onB = waiters(m, b, 2);
      m.mem.writeU32(b, 1);
      // glibc's FUTEX_OP_CLEAR_WAKE_IF_GT_ONE: *b = 0, wake b's if the old value was > 1.
      const clearIfGtOne = futexOp(0, 0, 4, 1);
      expect(sys(m, isa, 'futex', [a, FUTEX_WAKE_OP, 1, 1, b, clearIfGtOne])).toBe(1);
      expect(m.mem.readU32(b)).toBe(0);
      expect([...onA, ...onB].map((t) => t.state)).toEqual(['ready', 'blocked', 'blocked', 'blocked']);
      // ADD 5 to 0, compare old (0) == 0: wakes one of each.
      expect(sys(m, isa, 'futex', [a, FUTEX_WAKE_OP, 1, 1, b, futexOp(1, 5, 0, 0)])).toBe(2);
      expect(m.mem.readU32(b)).toBe(5);
      expect([...onA, ...onB].map((t) => t.state)).toEqual(['ready', 'ready', 'ready', 'blocked']);
      // OPARG_SHIFT (op | 8): OR 1 << 4; ANDN; XOR; a negative cmparg compares signed.
      expect(sys(m, isa, 'futex', [a, FUTEX_WAKE_OP, 0, 0, b, futexOp(8 | 2, 4, 0, 0)])).toBe(0);
      expect(m.mem.readU32(b)).toBe(21);
      sys(m, isa, 'futex', [a, FUTEX_WAKE_OP, 0, 0, b, futexOp(3, 1, 0, 0)]);
      expect(m.mem.readU32(b)).toBe(20);
      sys(m, isa, 'futex', [a, FUTEX_WAKE_OP, 0, 0, b, futexOp(4, 0xfff, 0, 0)]);
      expect(m.mem.readU32(b)).toBe((20 ^ -1) >>> 0);
      expect(sys(m, isa, 'futex', [a, FUTEX_WAKE_OP, 0, 1, b, futexOp(0, 0, 2, -20)])).toBe(1);
      expect(onB[1]?.state).toBe('ready');
      // Unknown op: nothing stored; unknown comparison: stored, then refused.
      m.mem.writeU32(b, 9);
      expect(sys(m, isa, 'futex', [a, FUTEX_WAKE_OP, 0, 0, b, futexOp(7, 1, 0, 0)])).toBe(-ENOSYS);
      expect(m.mem.readU32(b)).toBe(9);
      expect(sys(m, isa, 'futex', [a, FUTEX_WAKE_OP, 0, 0, b, futexOp(0, 3, 9, 0)])).toBe(-ENOSYS);
      expect(m.mem.readU32(b)).toBe(3);
    });
  });
});
