// Connection learning and aging (docs/semantics.md, "Learning and aging"), written from that
// text alone: the exact table's entries with their origin, state and last hit, the state
// machine, and the two windows inside which the semantics let an adapter choose (when a
// learned entry becomes visible, when an idle entry is removed).
//
// Times are integer microseconds on the frames' own clock (capture timestamps); a frame's
// time is the arrival of its first byte.
import { LEARNING_DEFAULTS, type FlowRule, type LearningRule } from '../codec/rules.js';

export type EntryState = 'embryonic' | 'established' | 'closing';
export type Origin = 'host' | 'learned';
/** Why a connection request did not create an entry. */
export type Refusal = 'exact' | 'quota' | 'full' | 'busy';
/**
 * Why the semantics do not fix the outcome of a frame: it came inside a learned entry's
 * visibility window, inside an entry's removal window, or while the learning engine may still
 * be working on an earlier connection request (so it may be refused `busy`).
 */
export type Ambiguity = 'visibility' | 'aging' | 'busy';

export type LearningTimers = Omit<LearningRule, 'kind'>;

/** A learned entry is visible to frames that arrive this long after its SYN's last byte. */
export const VISIBILITY_US = 20;
/** Wire time of one byte at 1 Gb/s, in ns: a frame's last byte arrives length × 8 ns after its first. */
export const WIRE_NS_PER_BYTE = 8;

export interface TcpFlags {
  syn: boolean;
  ack: boolean;
  fin: boolean;
  rst: boolean;
}

/** SYN set, ACK clear: the frames listen rules take, and the frames that learn. */
export const isConnectionRequest = (f: { syn: boolean; ack: boolean }): boolean => f.syn && !f.ack;

/**
 * A learned entry's state after a frame hits it. FIN or RST wins over everything (closing is
 * final); otherwise the first hit that is not a connection request establishes an embryonic
 * entry, and a connection request (a retransmitted SYN) leaves it embryonic.
 */
export function nextState(state: EntryState, flags: TcpFlags): EntryState {
  if (state === 'closing' || flags.fin || flags.rst) return 'closing';
  if (state === 'embryonic' && !isConnectionRequest(flags)) return 'established';
  return state;
}

/** When an entry idle for timeout T since its last hit is removed: [T − 1 ms, T × 1.01 + 10 ms], in µs after the hit. */
export function removalWindowUs(timeoutMs: number): { earliest: number; latest: number } {
  return { earliest: timeoutMs * 1000 - 1000, latest: timeoutMs * 1010 + 10_000 };
}

/** The first time a frame is sure to see the entry learned from a SYN of `length` bytes that arrived at `synUs`. */
export const visibleFromUs = (synUs: number, length: number): number => synUs + (length * WIRE_NS_PER_BYTE) / 1000 + VISIBILITY_US;

export interface ExactEntry {
  /** the flow rule the entry is (for a learned entry, the SYN's key and its queue as action) */
  readonly rule: FlowRule;
  readonly key: string;
  readonly origin: Origin;
  state: EntryState;
  lastHitUs: number;
  /** learned entries: frames before this may or may not see it; host entries: -Infinity */
  readonly visibleFromUs: number;
}

export interface LearningCounters {
  learned: number;
  /** entries that became established / closing (learned entries only) */
  established: number;
  closing: number;
  aged: Record<EntryState | 'host', number>;
  refused: Record<Refusal, number>;
}

export const emptyCounters = (): LearningCounters => ({
  learned: 0,
  established: 0,
  closing: 0,
  aged: { embryonic: 0, established: 0, closing: 0, host: 0 },
  refused: { exact: 0, quota: 0, full: 0, busy: 0 },
});

/**
 * What the adapter tells the host it did to its own table, in order (the event queue's records,
 * docs/architecture.md "Event queue"): an entry learned, an entry aged (in its state; `host`: a
 * host entry with an idle timeout), a connection request refused at the quota or a full table.
 */
export type TableEvent =
  | { type: 'learned'; rule: FlowRule }
  | { type: 'aged'; rule: FlowRule; state: EntryState | 'host' }
  | { type: 'refused'; rule: FlowRule; reason: 'quota' | 'full' };

/** What an entry's removal window means for a frame at some time. */
export type Presence = 'present' | 'maybe-aged';

/** The exact table: host flow rules and learned entries under one key space, aged by time. */
export class ExactTable {
  private readonly entries = new Map<string, ExactEntry>();
  private timersNow: LearningTimers = { ...LEARNING_DEFAULTS };
  readonly counters = emptyCounters();
  /** The table's events, when something asked for them (ReferenceAdapter.recordEvents). */
  events?: TableEvent[];
  /** No entry is past its removal window before this time (a lower bound, so sweeps can be skipped). */
  private sweepDueUs = Infinity;

  get size(): number {
    return this.entries.size;
  }

  count(origin: Origin): number {
    let n = 0;
    for (const e of this.entries.values()) if (e.origin === origin) n++;
    return n;
  }

  get timers(): LearningTimers {
    return this.timersNow;
  }

  /** Learned entries age with the timers current when they are checked. */
  set timers(t: LearningTimers) {
    this.timersNow = { ...t };
    this.sweepDueUs = -Infinity;
  }

  get(key: string): ExactEntry | undefined {
    return this.entries.get(key);
  }

  values(): IterableIterator<ExactEntry> {
    return this.entries.values();
  }

  add(entry: ExactEntry): void {
    this.entries.set(entry.key, entry);
    this.noteDeadline(entry);
  }

  delete(key: string): boolean {
    return this.entries.delete(key);
  }

  /** The idle timeout that applies to the entry now, in ms; undefined: never aged. */
  timeoutMs(e: ExactEntry): number | undefined {
    if (e.origin === 'host') return e.rule.idleTimeoutMs;
    if (e.state === 'embryonic') return this.timersNow.synTimeoutMs;
    if (e.state === 'established') return this.timersNow.idleTimeoutMs;
    return this.timersNow.finTimeoutMs;
  }

  /** Removes every entry past its removal window at `nowUs`, counting each as aged in its state. */
  sweep(nowUs: number): void {
    if (nowUs <= this.sweepDueUs) return;
    let due = Infinity;
    for (const [key, e] of this.entries) {
      const deadline = this.deadlineUs(e);
      if (nowUs > deadline) {
        this.entries.delete(key);
        const state = e.origin === 'host' ? 'host' : e.state;
        this.counters.aged[state]++;
        this.events?.push({ type: 'aged', rule: e.rule, state });
      } else {
        due = Math.min(due, deadline);
      }
    }
    this.sweepDueUs = due;
  }

  /** Whether an entry not yet swept away at `nowUs` may already have been removed. */
  presence(e: ExactEntry, nowUs: number): Presence {
    const t = this.timeoutMs(e);
    if (t === undefined) return 'present';
    return nowUs - e.lastHitUs >= removalWindowUs(t).earliest ? 'maybe-aged' : 'present';
  }

  /** Records a hit: refreshes the idle time, and moves a learned entry through its states. */
  hit(e: ExactEntry, flags: TcpFlags, nowUs: number): void {
    e.lastHitUs = nowUs;
    if (e.origin === 'learned') {
      const next = nextState(e.state, flags);
      if (next !== e.state) this.counters[next === 'closing' ? 'closing' : 'established']++;
      e.state = next;
    }
    this.noteDeadline(e);
  }

  /** Entries matching `which` at `nowUs`: `sure` certainly still there, `maybe` inside their removal window. */
  tally(nowUs: number, which: (e: ExactEntry) => boolean): { sure: number; maybe: number } {
    let sure = 0;
    let maybe = 0;
    for (const e of this.entries.values()) {
      if (!which(e)) continue;
      if (this.presence(e, nowUs) === 'present') sure++;
      else maybe++;
    }
    return { sure, maybe };
  }

  private deadlineUs(e: ExactEntry): number {
    const t = this.timeoutMs(e);
    return t === undefined ? Infinity : e.lastHitUs + removalWindowUs(t).latest;
  }

  private noteDeadline(e: ExactEntry): void {
    this.sweepDueUs = Math.min(this.sweepDueUs, this.deadlineUs(e));
  }
}
