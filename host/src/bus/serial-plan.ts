// How SerialBus packs a batch into multi-word commands: writes to consecutive addresses into
// one incrementing write, repeated accesses to one address into a fixed-address command, and a
// poll followed by reads of the next addresses into one read that is repeated until the poll
// condition holds (registers here have no read side effects beyond the counters' LO→HI latch,
// which the repeat keeps in order, and flow WALK_DATA, which the driver never reads after a
// poll). A flow-table insert is then four round trips, not twenty.
import { BUS_OP } from './bus.js';

export const hex = (n: number, digits = 4): string => `0x${n.toString(16).padStart(digits, '0')}`;

/** One command on the wire, as planned from a batch. */
export interface Access {
  write: boolean;
  addr: number;
  fixed: boolean;
  /** Words to write, or the number of words to read. */
  data: number[];
  len: number;
}

/** A step of a planned batch. */
export type Step =
  | { kind: 'write'; access: Access }
  | { kind: 'read'; access: Access; out: number }
  // read [addr, addr+4, ...] until (first & mask) == 0; first → out, the rest → reads
  | { kind: 'poll'; access: Access; mask: number; out: number; reads: number };

/** Splits a batch into multi-word commands of at most maxWords words (see the file comment). */
export function plan(ops: Uint32Array, maxWords: number): Step[] {
  const steps: Step[] = [];
  const n = ops.length / 3;
  const op = (k: number) => ops[3 * k];
  const addr = (k: number) => ops[3 * k + 1];
  const value = (k: number) => ops[3 * k + 2];
  let k = 0;
  while (k < n) {
    const a = addr(k);
    if (op(k) === BUS_OP.poll) {
      let j = k + 1;
      while (j < n && j - k < maxWords && op(j) === BUS_OP.read && addr(j) === a + 4 * (j - k)) j++;
      steps.push({ kind: 'poll', access: { write: false, addr: a, fixed: false, data: [], len: j - k }, mask: value(k), out: k, reads: j - k - 1 });
      k = j;
      continue;
    }
    const kind = op(k);
    // incrementing when the next access of the same kind is at a + 4, fixed when at a
    const fixed = k + 1 < n && op(k + 1) === kind && addr(k + 1) === a;
    let j = k + 1;
    while (j < n && j - k < maxWords && op(j) === kind && addr(j) === (fixed ? a : a + 4 * (j - k))) j++;
    const data: number[] = [];
    if (kind === BUS_OP.write) for (let i = k; i < j; i++) data.push(value(i));
    const access: Access = { write: kind === BUS_OP.write, addr: a, fixed, data, len: j - k };
    steps.push(kind === BUS_OP.write ? { kind: 'write', access } : { kind: 'read', access, out: k });
    k = j;
  }
  return steps;
}

/** The command for messages: "write of 2 words at 0x0100". */
export function describe(a: Access): string {
  const words = `${a.len} word${a.len === 1 ? '' : 's'}`;
  return `${a.write ? 'write' : 'read'} of ${words} at ${hex(a.addr)}${a.fixed && a.len > 1 ? ' (fixed address)' : ''}`;
}

