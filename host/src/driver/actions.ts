// Actions: how a queue number or -1 (drop) sits in an action register, and the checks that
// refuse a queue the adapter does not have.
import { MAX_LISTEN_MEMBERS, type ListenAction } from '../codec/rules.js';
import { DriverError, UnknownQueueError } from './errors.js';

/** An action register read back: -1 (drop) or a queue. Hardware keeps bit 7 = drop. */
export function decodeAction(word: number): number {
  const v = word | 0;
  if (v < 0 || (v & 0x80) !== 0) return -1;
  return v & 0x7f;
}

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
