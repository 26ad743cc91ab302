// Actions: how a queue number or -1 (drop) sits in an action register, and the checks that
// refuse a queue the adapter does not have.
import { MAX_LISTEN_MEMBERS, type ListenAction } from '../codec/rules.js';
import { DriverError, UnknownQueueError } from './errors.js';
import { ENCODINGS, getField } from './regs.generated.js';

/**
 * An action register read back: -1 (drop) or a queue. The registers answer -1 or a queue
 * already; a word with the hardware byte's DROP bit set is taken as a drop all the same.
 */
export function decodeAction(word: number): number {
  if ((word | 0) < 0 || getField(ENCODINGS.ACTION.DROP, word) === 1) return -1;
  return getField(ENCODINGS.ACTION.QUEUE, word);
}

/** An action register's word: two's complement, so -1 is all ones. */
export const encodeAction = (action: number): number => action >>> 0;

/** -1 or a queue 0..queues-1; UnknownQueueError otherwise. */
export function checkAction(action: number, queues: number): void {
  if (!Number.isInteger(action) || action < -1 || action >= queues) throw new UnknownQueueError(action, queues);
}

/** A listen action: -1, a queue, or 1..8 queues (not -1) that share the port. */
export function checkListenAction(action: ListenAction, queues: number): void {
  if (!Array.isArray(action)) return checkAction(action, queues);
  if (action.length < 1 || action.length > MAX_LISTEN_MEMBERS) {
    throw new DriverError('EQUEUE', `a shared port takes 1 to ${MAX_LISTEN_MEMBERS} queues, got ${action.length}`);
  }
  for (const q of action) {
    if (q === -1) throw new DriverError('EQUEUE', `a shared port's queue list names queues 0..${queues - 1}; -1 (drop) is not one`);
    checkAction(q, queues);
  }
}
