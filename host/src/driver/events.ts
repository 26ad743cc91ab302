// The flow block's event queue (flow version 2.3, FEATURES.EVENTS; docs/registers.md
// EVENT_*): what the adapter did to its own table — an entry learned from a SYN, an entry aged
// out, a learning request refused — as records the host reads in order, so it can follow the
// table without walking it.
//
// EVENT_DATA is a read window: each read gives the next word, so a fixed-address burst reads
// consecutive records, and with no record waiting a read gives one word, 0. A record is word 0
// (VALID, TYPE, DETAIL, the action byte, WORDS, the key flags) and WORDS more: the ports word,
// then the source address (one word for IPv4, four for IPv6). A burst may end inside a record:
// the hardware's cursor stays there, and the reader keeps the words it has and goes on with the
// next burst. The queue has one reader: a second would split records between the two.
import type { FlowRule } from '../codec/rules.js';
import type { AddressTable } from './address-table.js';
import { decodeAction } from './actions.js';
import { DriverError } from './errors.js';
import { entryRule } from './flow-table.js';
import { addressBytes, decodeKeyFlags, type KeyFlags } from './key.js';
import { Ops } from './ops.js';
import { FIELDS, getField, putField } from './regs.generated.js';
import type { TableContext } from './table-context.js';

export type FlowEventType = 'learned' | 'aged' | 'refused';
/** What an aged entry was: a learned entry's state, or a host entry (one with an idle timeout). */
export type AgedState = 'embryonic' | 'established' | 'closing' | 'host';
export type RefusedReason = 'quota' | 'full';

export interface FlowEvent {
  type: FlowEventType;
  /** aged: the entry's state when it went */
  state?: AgedState;
  /** refused: why the learning request was not taken */
  reason?: RefusedReason;
  /** the entry's action (-1 drops, else a queue): the queue learned, aged or refused */
  action: number;
  /** the entry's key as a rule, as `flow list` gives it (rule.action is `action`) */
  rule: FlowRule;
}

/** A record as the hardware wrote it, before its address slot is looked up. */
export interface EventRecord {
  type: FlowEventType;
  /** DETAIL: aged, the state (0..3); refused, the reason (1, 2); learned, 0 */
  detail: number;
  action: number;
  key: KeyFlags;
  /** the ports word, as RES_PORTS */
  ports: number;
  /** the source address, 16 bytes (IPv4 in bytes 12..15) */
  src: Uint8Array;
}

export interface EventRead {
  events: FlowEvent[];
  /** EVENT_OVERFLOW moved since the last read (or enable): records were lost, the host's copy of the table is stale */
  overflowed: boolean;
  /** records still waiting after this read (EVENT_PENDING before the burst, less the records the burst finished) */
  pending: number;
}

export interface EventStatus {
  enabled: boolean;
  refusals: boolean;
  pending: number;
  depth: number;
  /** learned and aged records lost to a full queue (wraps) */
  overflow: number;
  /** refusal records not written (wraps) */
  skipped: number;
}

const DATA = FIELDS.flow.EVENT_DATA;
const CONTROL = FIELDS.flow.EVENT_CONTROL;
const TYPES = new Map<number, FlowEventType>(Object.entries(DATA.TYPE.values).map(([name, v]) => [v, name as FlowEventType]));
/** DETAIL of an aged record (docs/registers.md, flow.EVENT_DATA). */
const AGED_STATES: readonly AgedState[] = ['embryonic', 'established', 'closing', 'host'];
/** DETAIL of a refused record; 0 and 3 are not written. */
const REFUSED_REASONS: readonly (RefusedReason | undefined)[] = [undefined, 'quota', 'full', undefined];

/** Words after word 0: the ports, then one source word (IPv4) or four (IPv6). */
export const recordWords = (family: 4 | 6): number => 1 + (family === 6 ? 4 : 1);

/** The fewest words a read's burst asks for: one IPv6 record, or two IPv4 ones. */
export const MIN_BURST_WORDS = 1 + recordWords(6);

const hex = (w: number) => `0x${(w >>> 0).toString(16).padStart(8, '0')}`;

/**
 * Splits EVENT_DATA words into records. Words 0 between records are reads of an empty queue
 * and are skipped; a record cut off at the end of a burst is kept and finished by the next
 * push. A word that cannot start a record (VALID clear and not 0, an unknown TYPE or DETAIL,
 * WORDS not what the family needs) is a DriverError 'EHW', and the words kept are dropped.
 */
export class EventParser {
  private partial: number[] = [];
  private need = 0;

  /** Words still to come for the record cut off at the end of the last push (0: none). */
  get missing(): number {
    return this.partial.length ? this.need - this.partial.length : 0;
  }

  /** Forgets a cut-off record (the queue was emptied: disabled). */
  reset(): void {
    this.partial = [];
    this.need = 0;
  }

  push(words: ArrayLike<number>): EventRecord[] {
    const out: EventRecord[] = [];
    for (let i = 0; i < words.length; i++) {
      const w = words[i] >>> 0;
      if (this.partial.length === 0) {
        if (w === 0) continue;
        this.need = 1 + this.check(w);
      }
      this.partial.push(w);
      if (this.partial.length === this.need) {
        out.push(decodeRecord(this.partial));
        this.partial = [];
      }
    }
    return out;
  }

  /** Word 0 checked; returns WORDS. */
  private check(w: number): number {
    const why = checkWord0(w);
    if (why) {
      this.reset();
      throw new DriverError('EHW', `event queue: record word 0 ${hex(w)} ${why}`);
    }
    return getField(DATA.WORDS, w);
  }
}

/** What is wrong with a word that should start a record, or undefined. */
function checkWord0(w: number): string | undefined {
  if (!getField(DATA.VALID, w)) return 'has VALID clear (an empty read is 0)';
  const type = TYPES.get(getField(DATA.TYPE, w));
  if (!type) return `has TYPE ${getField(DATA.TYPE, w)}, none of learned, aged, refused`;
  const detail = getField(DATA.DETAIL, w);
  if ((type === 'learned' && detail !== 0) || (type === 'refused' && !REFUSED_REASONS[detail])) return `has DETAIL ${detail}, which a ${type} record does not have`;
  const { family } = decodeKeyFlags(DATA, w);
  const words = getField(DATA.WORDS, w);
  if (words !== recordWords(family)) return `says ${words} words follow; an IPv${family} record has ${recordWords(family)}`;
  return undefined;
}

/** A whole record's words (checked by EventParser) as an EventRecord. */
function decodeRecord(words: readonly number[]): EventRecord {
  const w = words[0];
  const { valid: _valid, ...key } = decodeKeyFlags(DATA, w);
  // IPv4: the one source word is RES_SRC3's, the low word of the 16 bytes
  const src = key.family === 6 ? addressBytes(words.slice(2, 6)) : addressBytes([0, 0, 0, words[2]]);
  return {
    type: TYPES.get(getField(DATA.TYPE, w))!,
    detail: getField(DATA.DETAIL, w),
    action: decodeAction(getField(DATA.ACTION, w)), // the hardware byte: DROP set is -1
    key,
    ports: words[1],
    src,
  };
}

/** A record as a FlowEvent, its destination address through the address slots (as `flow list` does). */
export function toFlowEvent(r: EventRecord, addresses: Pick<AddressTable, 'get'>): FlowEvent {
  const rule = entryRule(addresses, r.key, r.ports, r.src, r.action);
  return {
    type: r.type,
    ...(r.type === 'aged' ? { state: AGED_STATES[r.detail] } : {}),
    ...(r.type === 'refused' ? { reason: REFUSED_REASONS[r.detail] } : {}),
    action: r.action,
    rule,
  };
}

/**
 * The event queue's one reader: enable, read in bursts, disable. `read` is one bus round trip;
 * its burst is sized by what the last read left pending, at least MIN_BURST_WORDS and at most
 * maxWords (on a serial line every word read is 4 bytes each way).
 */
export class FlowEvents {
  private readonly parser = new EventParser();
  /** EVENT_OVERFLOW at enable or at the last read; undefined until one of them. */
  private overflowBase?: number;
  /** records the last read left waiting */
  private left = 0;
  /** words of the last record seen: how long the records still waiting are taken to be */
  private lastWords = 1 + recordWords(4);
  private counted = { records: 0, overflows: 0 };

  constructor(
    private readonly ctx: TableContext,
    private readonly addresses: Pick<AddressTable, 'get'>,
  ) {}

  /** Records read and overflows seen by this reader. */
  get stats(): { records: number; overflows: number } {
    return { ...this.counted };
  }

  private require(): void {
    if (!this.ctx.info.events) {
      throw new DriverError('ENOTSUP', 'this adapter has no event queue (flow FEATURES.EVENTS is 0; it comes with flow version 2.3 and the learning engine): follow the table with `flow list` instead');
    }
  }

  private reg(name: string): number {
    return this.ctx.reg('flow', name);
  }

  /**
   * Turns the queue on (with `refusals`, refusal records too) and takes EVENT_OVERFLOW as the
   * baseline of `overflowed`. Returns whether it was on already (its records are kept then).
   */
  async enable(options: { refusals?: boolean } = {}): Promise<{ wasEnabled: boolean }> {
    this.require();
    const ops = new Ops();
    const was = ops.read(this.reg('EVENT_CONTROL'));
    ops.write(this.reg('EVENT_CONTROL'), putField(CONTROL.ENABLE, 1) | putField(CONTROL.REFUSALS, options.refusals ? 1 : 0));
    const overflow = ops.read(this.reg('EVENT_OVERFLOW'));
    const pending = ops.read(this.reg('EVENT_PENDING'));
    const r = await ops.run(this.ctx.bus);
    const wasEnabled = getField(CONTROL.ENABLE, r[was]) === 1;
    // a queue that was off was empty: nothing of an earlier record is coming
    if (!wasEnabled) this.parser.reset();
    this.overflowBase = r[overflow];
    this.left = r[pending];
    return { wasEnabled };
  }

  /** Turns the queue off: the adapter empties it and stops counting overflows. */
  async disable(): Promise<void> {
    this.require();
    await this.ctx.bus.write(this.reg('EVENT_CONTROL'), 0);
    this.parser.reset();
    this.overflowBase = undefined;
    this.left = 0;
  }

  /** The queue's registers in one round trip. */
  async status(): Promise<EventStatus> {
    this.require();
    const ops = new Ops();
    for (const name of ['EVENT_CONTROL', 'EVENT_PENDING', 'EVENT_DEPTH', 'EVENT_OVERFLOW', 'EVENT_SKIPPED']) ops.read(this.reg(name));
    const [control, pending, depth, overflow, skipped] = await ops.run(this.ctx.bus);
    return { enabled: getField(CONTROL.ENABLE, control) === 1, refusals: getField(CONTROL.REFUSALS, control) === 1, pending, depth, overflow, skipped };
  }

  /**
   * One bus round trip: EVENT_PENDING, EVENT_DEPTH, EVENT_OVERFLOW, then a burst of EVENT_DATA.
   * Returns the records the burst finished, whether records were lost since the last read (the
   * caller's copy of the table is stale: walk it again), and how many records still wait (read
   * again at once while any do). On a queue this reader did not enable, the first read takes
   * the baseline and says not overflowed.
   */
  async read(maxWords = 64): Promise<EventRead> {
    this.require();
    if (!Number.isInteger(maxWords) || maxWords < MIN_BURST_WORDS) throw new DriverError('EINVAL', `maxWords ${maxWords}: a read asks for at least ${MIN_BURST_WORDS} words (one IPv6 record)`);
    const cut = this.parser.missing;
    // the record being read counts in EVENT_PENDING: its rest is `cut` words, not a whole record
    const waiting = cut ? Math.max(0, this.left - 1) : this.left;
    const words = Math.min(maxWords, Math.max(MIN_BURST_WORDS, cut + waiting * this.lastWords));
    const ops = new Ops();
    // PENDING, DEPTH, OVERFLOW in address order: one incrementing read on a serial line
    const pendingAt = ops.read(this.reg('EVENT_PENDING'));
    ops.read(this.reg('EVENT_DEPTH'));
    const overflowAt = ops.read(this.reg('EVENT_OVERFLOW'));
    const data = this.reg('EVENT_DATA');
    for (let k = 0; k < words; k++) ops.read(data);
    const r = await ops.run(this.ctx.bus);
    // (a burst that does not parse throws before the overflow is taken: the next read reports it)
    const records = this.parser.push(r.subarray(overflowAt + 1));
    const overflow = r[overflowAt];
    const overflowed = this.overflowBase !== undefined && overflow !== this.overflowBase;
    this.overflowBase = overflow;
    if (overflowed) this.counted.overflows++;
    this.counted.records += records.length;
    const last = records.at(-1);
    if (last) this.lastWords = 1 + recordWords(last.key.family);
    // EVENT_PENDING counted a record cut off before this burst, and counts one cut off now
    this.left = Math.max(0, r[pendingAt] - records.length);
    return { events: records.map((rec) => toFlowEvent(rec, this.addresses)), overflowed, pending: this.left };
  }
}
