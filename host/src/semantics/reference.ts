// The reference model of the steering semantics (docs/semantics.md), written from that text
// alone. The RTL is checked against it frame by frame, so it favours plainness over speed.
//
// With time (connection learning and aging, learning.ts): decide() and transmit() take each
// frame's time in integer microseconds (its capture timestamp, the arrival of its first
// byte), never decreasing. Without a time a frame happens at the latest time seen, so callers
// that never learn nor age see the steering semantics alone.
import { LEARNING_DEFAULTS, ruleKey, type Family, type FlowRule, type LearningRule, type ListenRule, type Proto, type Rule } from '../codec/rules.js';
import {
  ExactTable,
  isConnectionRequest,
  visibleFromUs,
  type Ambiguity,
  type EntryState,
  type ExactEntry,
  type LearningCounters,
  type Origin,
  type Refusal,
  type TableEvent,
  type TcpFlags,
} from './learning.js';

export const MIN_FRAME = 14;
export const MAX_FRAME = 9022;

const ETHERTYPE_IPV4 = 0x0800;
const ETHERTYPE_IPV6 = 0x86dd;
const VLAN_TPIDS = [0x8100, 0x88a8];
const MAX_VLAN_TAGS = 2;
const IPPROTO_TCP = 6;
const IPPROTO_UDP = 17;
const TCP_FIN = 0x01;
const TCP_SYN = 0x02;
const TCP_RST = 0x04;
const TCP_ACK = 0x10;

export type ParsedFrame =
  | { kind: 'runt' | 'oversize' }
  | { kind: 'other' }
  | {
      kind: 'steerable';
      family: Family;
      proto: Proto;
      src: Uint8Array; // 16 bytes; IPv4 in bytes 12..15
      dst: Uint8Array;
      srcPort: number;
      dstPort: number;
      syn: boolean; // the TCP flags: always false for UDP
      ack: boolean;
      fin: boolean;
      rst: boolean;
    };

export type SteerableFrame = Extract<ParsedFrame, { kind: 'steerable' }>;

/** What a build of the adapter parses: `ipv6: false`, an IPv4-only build (IPV6=0), where IPv6 frames are `other`. */
export interface ParseOptions {
  ipv6?: boolean;
}

/** Classifies one frame (Ethernet, no preamble, no FCS) by semantics rules 1–4. */
export function parseFrame(frame: Uint8Array, options: ParseOptions = {}): ParsedFrame {
  const len = frame.length;
  if (len < MIN_FRAME) return { kind: 'runt' };
  if (len > MAX_FRAME) return { kind: 'oversize' };
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  const other = { kind: 'other' } as const;

  // After the two MAC addresses: up to two VLAN tags (TPID + TCI), then the EtherType.
  let at = 12;
  let etherType = view.getUint16(at);
  for (let tags = 0; tags < MAX_VLAN_TAGS && VLAN_TPIDS.includes(etherType); tags++) {
    at += 4;
    if (at + 2 > len) return other;
    etherType = view.getUint16(at);
  }
  const l3 = at + 2;

  let family: Family;
  let protoNumber: number;
  let l4: number;
  const src = new Uint8Array(16);
  const dst = new Uint8Array(16);
  if (etherType === ETHERTYPE_IPV4) {
    if (l3 + 1 > len) return other;
    const version = frame[l3] >> 4;
    const ihl = frame[l3] & 0x0f;
    if (version !== 4 || ihl < 5) return other;
    if (l3 + ihl * 4 > len) return other;
    const flagsFragment = view.getUint16(l3 + 6);
    const moreFragments = (flagsFragment & 0x2000) !== 0;
    const fragmentOffset = flagsFragment & 0x1fff;
    if (moreFragments || fragmentOffset !== 0) return other;
    family = 4;
    protoNumber = frame[l3 + 9];
    src.set(frame.subarray(l3 + 12, l3 + 16), 12);
    dst.set(frame.subarray(l3 + 16, l3 + 20), 12);
    l4 = l3 + ihl * 4;
  } else if (etherType === ETHERTYPE_IPV6 && options.ipv6 !== false) {
    if (l3 + 40 > len) return other;
    if (frame[l3] >> 4 !== 6) return other;
    family = 6;
    protoNumber = frame[l3 + 6]; // next header: anything but TCP/UDP (extension headers too) is not steerable
    src.set(frame.subarray(l3 + 8, l3 + 24));
    dst.set(frame.subarray(l3 + 24, l3 + 40));
    l4 = l3 + 40;
  } else {
    return other;
  }

  if (protoNumber !== IPPROTO_TCP && protoNumber !== IPPROTO_UDP) return other;
  const proto: Proto = protoNumber === IPPROTO_TCP ? 'tcp' : 'udp';
  if (l4 + (proto === 'tcp' ? 20 : 8) > len) return other;
  const flags = proto === 'tcp' ? frame[l4 + 13] : 0;
  return {
    kind: 'steerable',
    family,
    proto,
    src,
    dst,
    srcPort: view.getUint16(l4),
    dstPort: view.getUint16(l4 + 2),
    syn: (flags & TCP_SYN) !== 0,
    ack: (flags & TCP_ACK) !== 0,
    fin: (flags & TCP_FIN) !== 0,
    rst: (flags & TCP_RST) !== 0,
  };
}

export type DropReason = 'runt' | 'oversize' | 'rule' | 'queue_full' | 'bad_queue';
export type DecidedBy = 'flow' | 'listen' | 'default';
/** `slot`: for a listen rule with a queue list (a shared port), the slot the frame's hash chose. */
export type Decision = { queue: number; by: DecidedBy; slot?: number } | { drop: DropReason; by: DecidedBy | null; slot?: number };

/**
 * What learning did with a frame, beside its Decision: `learned`, the frame created an exact
 * entry; `refused`, a connection request that would have learned did not (and why);
 * `ambiguous`, the semantics let the adapter choose here (see docs/semantics.md), so the frame
 * proves nothing either way — the model went on as if the entry were visible and not yet aged.
 */
export interface LearningOutcome {
  learned?: true;
  refused?: Refusal;
  ambiguous?: Ambiguity;
}

export type TimedDecision = Decision & LearningOutcome;

/** One exact entry as entries() lists it. */
export interface EntryView {
  key: string;
  queue: number;
  origin: Origin;
  /** host entries are always `established` (they age as established entries do) */
  state: EntryState;
  idleMs: number;
  /** the idle timeout that applies now; undefined: never aged */
  timeoutMs?: number;
  /** the entry is inside its removal window: the adapter may already have removed it */
  mayBeAged?: true;
  /** a learned entry frames may not see yet */
  mayBeInvisible?: true;
}

/** A table change the reference refuses: a rule already present, one that is not there, or no room. */
export class ReferenceTableError extends Error {
  readonly code: 'EEXIST' | 'ENOENT' | 'ENOSPC';
  constructor(code: 'EEXIST' | 'ENOENT' | 'ENOSPC', message: string) {
    super(message);
    this.name = 'ReferenceTableError';
    this.code = code;
  }
}

/**
 * What the adapter should do with each frame, given its rules (semantics rules 5–6), and,
 * with time, what connection learning and aging do to its exact table.
 *
 * `capacity`: how many exact entries (host and learned) the table holds; a connection
 * request that would learn into a table with that many entries is refused `full`.
 */
export class ReferenceAdapter {
  readonly queues: number;
  readonly capacity: number;
  private readonly exact = new ExactTable();
  private readonly listens = new Map<string, ListenRule>();
  private defaultAction = 0;
  private maxEmbryonic = LEARNING_DEFAULTS.maxEmbryonic;
  /** `max-entries`: learning is refused `full` at this many exact entries (and at `capacity`) */
  private maxEntries = Infinity;
  /** a `learning` line is loaded: the transmit side learns */
  private transmitLearning = false;
  private nowUs = 0;
  /** the learning engine may be busy with an earlier connection request until this time */
  private engineFreeFromUs = -Infinity;
  /** `ipv6: false` models an IPv4-only build: IPv6 frames are not steerable (default action), never learned from */
  readonly parse: ParseOptions;

  constructor(opts: { queues: number; capacity?: number; ipv6?: boolean }) {
    if (!Number.isInteger(opts.queues) || opts.queues < 1) throw new RangeError(`queues must be an integer ≥ 1, got ${opts.queues}`);
    const capacity = opts.capacity ?? Infinity;
    if (!(capacity === Infinity || (Number.isInteger(capacity) && capacity >= 0))) throw new RangeError(`capacity must be an integer ≥ 0, got ${capacity}`);
    this.queues = opts.queues;
    this.capacity = capacity;
    this.parse = { ipv6: opts.ipv6 ?? true };
  }

  /**
   * Adds a flow or listen rule (a default rule sets the default action; a learning rule sets
   * the timers and the quota and turns transmit-side learning on). A host flow rule with an
   * idle timeout counts its idle time from `timeUs`.
   */
  add(rule: Rule, timeUs?: number): void {
    if (rule.kind === 'default') return this.setDefault(rule.action);
    if (rule.kind === 'learning') return this.setLearning(rule);
    const now = this.advance(timeUs);
    const key = ruleKey(rule);
    if (rule.kind === 'listen') {
      if (this.listens.has(key)) throw new ReferenceTableError('EEXIST', `${key} is already present`);
      this.listens.set(key, rule);
      return;
    }
    if (this.exact.get(key)) throw new ReferenceTableError('EEXIST', `${key} is already present`);
    if (this.exact.size >= this.capacity) throw new ReferenceTableError('ENOSPC', `no room for ${key}: the table holds ${this.capacity} entries`);
    this.exact.add({ rule, key, origin: 'host', state: 'established', lastHitUs: now, visibleFromUs: -Infinity });
  }

  /** Removes the rule with the same key (the action is not compared); a flow rule's key may name a learned entry. */
  remove(rule: Rule, timeUs?: number): void {
    if (rule.kind === 'default') return this.setDefault(0);
    if (rule.kind === 'learning') {
      this.setLearning({ kind: 'learning', ...LEARNING_DEFAULTS });
      this.transmitLearning = false;
      return;
    }
    this.advance(timeUs);
    const key = ruleKey(rule);
    const removed = rule.kind === 'flow' ? this.exact.delete(key) : this.listens.delete(key);
    if (!removed) throw new ReferenceTableError('ENOENT', `${key} is not present`);
  }

  private setLearning(rule: LearningRule): void {
    const { kind: _kind, ...timers } = rule;
    this.exact.timers = timers;
    this.maxEmbryonic = rule.maxEmbryonic;
    this.maxEntries = rule.maxEntries ?? Infinity;
    this.transmitLearning = true;
  }

  setDefault(action: number): void {
    if (!Number.isInteger(action) || action < -1) throw new RangeError(`action must be an integer ≥ -1, got ${action}`);
    this.defaultAction = action;
  }

  /** Host flow rules in the table (learned entries not counted). */
  get flowCount(): number {
    return this.exact.count('host');
  }

  get learnedCount(): number {
    return this.exact.count('learned');
  }

  get listenCount(): number {
    return this.listens.size;
  }

  /** The decision for a frame arriving at `timeUs`, and what learning did with it. */
  decide(frame: Uint8Array, timeUs?: number): TimedDecision {
    const now = this.advance(timeUs);
    const parsed = parseFrame(frame, this.parse);
    if (parsed.kind === 'runt' || parsed.kind === 'oversize') return { drop: parsed.kind, by: null };
    if (parsed.kind === 'steerable') {
      const listen = this.listens.get(ruleKey(listenRuleOf(parsed)));
      const entry = this.exact.get(ruleKey(flowRuleOf(parsed)));
      if (entry) {
        const hit = this.hitEntry(entry, parsed, now);
        // a connection request for a learning port that hits an exact entry does not learn
        const outcome = listen?.learn && parsed.proto === 'tcp' && isConnectionRequest(parsed) ? this.refuse('exact', hit) : hit;
        return { ...this.act(entry.rule.action, 'flow'), ...outcome };
      }
      const connectionRequest = parsed.proto === 'udp' || (parsed.syn && !parsed.ack);
      if (connectionRequest && listen) {
        const action = listen.action;
        const slot = Array.isArray(action) ? sharedPortSlot(parsed) : undefined;
        const decision: Decision = slot === undefined ? this.act(action as number, 'listen') : { ...this.act(slotQueue(action as number[], slot), 'listen'), slot };
        if (!listen.learn || parsed.proto !== 'tcp' || !('queue' in decision)) return decision;
        return { ...decision, ...this.learn(flowRuleOf(parsed, decision.queue), frame.length, now) };
      }
    }
    return this.act(this.defaultAction, 'default');
  }

  /**
   * A frame processor `processor` transmits at `timeUs`: with a `learning` line loaded, a
   * connection request from a cluster address (the destination of a host flow or listen rule)
   * learns the reverse entry (remote → local, queue `processor`). Other frames do nothing.
   */
  transmit(frame: Uint8Array, processor: number, timeUs?: number): LearningOutcome {
    if (!Number.isInteger(processor) || processor < 0 || processor >= this.queues) throw new RangeError(`processor must be a queue 0..${this.queues - 1}, got ${processor}`);
    const now = this.advance(timeUs);
    const p = parseFrame(frame, this.parse);
    if (!this.transmitLearning || p.kind !== 'steerable' || p.proto !== 'tcp' || !isConnectionRequest(p) || !this.isClusterAddress(p.family, p.src)) return {};
    const reverse: FlowRule = { kind: 'flow', family: p.family, proto: p.proto, srcIp: p.dst, dstIp: p.src, srcPort: p.dstPort, dstPort: p.srcPort, action: processor };
    const entry = this.exact.get(ruleKey(reverse));
    if (entry) return this.refuse('exact', this.hitEntry(entry, p, now));
    return this.learn(reverse, frame.length, now);
  }

  /** Learning counters, with every entry past its removal window at `timeUs` counted as aged. */
  counters(timeUs?: number): LearningCounters {
    this.advance(timeUs);
    return structuredClone(this.exact.counters);
  }

  /** The exact table at `timeUs`: host and learned entries not certainly aged. */
  entries(timeUs?: number): EntryView[] {
    const now = this.advance(timeUs);
    return [...this.exact.values()].map((e) => {
      const timeoutMs = this.exact.timeoutMs(e);
      return {
        key: e.key,
        queue: e.rule.action,
        origin: e.origin,
        state: e.state,
        idleMs: (now - e.lastHitUs) / 1000,
        ...(timeoutMs !== undefined ? { timeoutMs } : {}),
        ...(this.exact.presence(e, now) === 'maybe-aged' ? { mayBeAged: true as const } : {}),
        ...(now < e.visibleFromUs ? { mayBeInvisible: true as const } : {}),
      };
    });
  }

  /** The time of the frame or command: given, or the latest seen; never earlier. Ages the table up to it. */
  private advance(timeUs?: number): number {
    if (timeUs !== undefined) {
      if (!Number.isFinite(timeUs) || timeUs < this.nowUs) throw new RangeError(`time must not go back: ${timeUs} µs after ${this.nowUs} µs`);
      this.nowUs = timeUs;
    }
    this.exact.sweep(this.nowUs);
    return this.nowUs;
  }

  /** A frame hits an exact entry: refresh, state change, and whether the hit is certain. */
  private hitEntry(entry: ExactEntry, flags: TcpFlags, now: number): LearningOutcome {
    const outcome: LearningOutcome = {};
    if (now < entry.visibleFromUs) outcome.ambiguous = 'visibility';
    else if (this.exact.presence(entry, now) === 'maybe-aged') outcome.ambiguous = 'aging';
    this.exact.hit(entry, flags, now);
    return outcome;
  }

  private refuse(reason: Refusal, outcome: LearningOutcome = {}, rule?: FlowRule): LearningOutcome {
    this.exact.counters.refused[reason]++;
    if (rule && (reason === 'quota' || reason === 'full')) this.exact.events?.push({ type: 'refused', rule, reason });
    return { ...outcome, refused: reason };
  }

  /**
   * From now on, keeps the table's events (learned, aged, refused at the quota or full) in the
   * returned array, in the order they happen: what the adapter's event queue should say.
   */
  recordEvents(): TableEvent[] {
    this.exact.events = [];
    return this.exact.events;
  }

  /** A connection request that missed the exact table asks to learn `rule` (its action the queue). */
  private learn(rule: FlowRule, length: number, now: number): LearningOutcome {
    const outcome: LearningOutcome = {};
    const visibleFrom = visibleFromUs(now, length);
    // the engine is sure to be free only once every earlier request's entry is visible
    if (now < this.engineFreeFromUs) outcome.ambiguous = 'busy';
    this.engineFreeFromUs = Math.max(this.engineFreeFromUs, visibleFrom);
    // entries inside their removal window may or may not count: the model counts them
    const embryonic = this.exact.tally(now, (e) => e.origin === 'learned' && e.state === 'embryonic');
    if (embryonic.sure + embryonic.maybe >= this.maxEmbryonic) {
      if (embryonic.sure < this.maxEmbryonic) outcome.ambiguous ??= 'aging';
      return this.refuse('quota', outcome, rule);
    }
    const all = this.exact.tally(now, () => true);
    const room = Math.min(this.capacity, this.maxEntries);
    if (all.sure + all.maybe >= room) {
      if (all.sure < room) outcome.ambiguous ??= 'aging';
      return this.refuse('full', outcome, rule);
    }
    this.exact.add({ rule, key: ruleKey(rule), origin: 'learned', state: 'embryonic', lastHitUs: now, visibleFromUs: visibleFrom });
    this.exact.counters.learned++;
    this.exact.events?.push({ type: 'learned', rule });
    return { ...outcome, learned: true };
  }

  /** A cluster address: the destination of a host flow rule or of a listen rule in the table. */
  private isClusterAddress(family: Family, address: Uint8Array): boolean {
    const same = (r: { family: Family; dstIp: Uint8Array }) => r.family === family && r.dstIp.every((b, i) => b === address[i]);
    for (const l of this.listens.values()) if (same(l)) return true;
    for (const e of this.exact.values()) if (e.origin === 'host' && same(e.rule)) return true;
    return false;
  }

  private act(action: number, by: DecidedBy): Decision {
    if (action === -1) return { drop: 'rule', by };
    if (action >= this.queues) return { drop: 'bad_queue', by };
    return { queue: action, by };
  }
}

/**
 * Shared ports (docs/semantics.md): the slot 0..7 of a connection request. The 16-bit word
 * h is the XOR of the source address read as eight big-endian 16-bit words, the source port
 * and the destination port; slot bit j is the XOR of h's bits j, j+3, j+6, j+9, j+12, j+15.
 */
export function sharedPortSlot(p: { src: Uint8Array; srcPort: number; dstPort: number }): number {
  let hi = (p.srcPort >> 8) ^ (p.dstPort >> 8);
  let lo = (p.srcPort ^ p.dstPort) & 0xff;
  for (let i = 0; i < 16; i++) {
    if (i % 2 === 0) hi ^= p.src[i];
    else lo ^= p.src[i];
  }
  const h = (hi << 8) | lo;
  let slot = 0;
  for (let bit = 0; bit < 16; bit++) {
    if ((h >> bit) & 1) slot ^= 1 << (bit % 3);
  }
  return slot;
}

/** The queue in a slot of the group filled from a member list: slot i holds members[i mod n]. */
function slotQueue(members: readonly number[], slot: number): number {
  return members[slot % members.length];
}

function flowRuleOf(p: SteerableFrame, action = 0): FlowRule {
  return { kind: 'flow', family: p.family, proto: p.proto, srcIp: p.src, dstIp: p.dst, srcPort: p.srcPort, dstPort: p.dstPort, action };
}

function listenRuleOf(p: SteerableFrame): ListenRule {
  return { kind: 'listen', family: p.family, proto: p.proto, dstIp: p.dst, dstPort: p.dstPort, action: 0 };
}

export interface DecisionSummary {
  frames: number;
  queues: Record<number, number>; // frames per queue
  drops: Partial<Record<DropReason, number>>; // frames per drop reason
  hits: Record<DecidedBy, number>; // frames decided by each rule kind (runts/oversize excluded)
}

/** Counts decisions the way summary.json and the adapter's counters do. */
export function summarize(decisions: Iterable<Decision>): DecisionSummary {
  const s: DecisionSummary = { frames: 0, queues: {}, drops: {}, hits: { flow: 0, listen: 0, default: 0 } };
  for (const d of decisions) {
    s.frames++;
    if ('queue' in d) s.queues[d.queue] = (s.queues[d.queue] ?? 0) + 1;
    else s.drops[d.drop] = (s.drops[d.drop] ?? 0) + 1;
    if (d.by) s.hits[d.by]++;
  }
  return s;
}
