// The reference model of the steering semantics (docs/semantics.md), written from that text
// alone. The RTL is checked against it frame by frame, so it favours plainness over speed.
import { ruleKey, type Family, type FlowRule, type ListenRule, type Proto, type Rule } from '../codec/rules.js';

export const MIN_FRAME = 14;
export const MAX_FRAME = 9022;

const ETHERTYPE_IPV4 = 0x0800;
const ETHERTYPE_IPV6 = 0x86dd;
const VLAN_TPIDS = [0x8100, 0x88a8];
const MAX_VLAN_TAGS = 2;
const IPPROTO_TCP = 6;
const IPPROTO_UDP = 17;
const TCP_SYN = 0x02;
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
      syn: boolean; // always false for UDP
      ack: boolean;
    };

export type SteerableFrame = Extract<ParsedFrame, { kind: 'steerable' }>;

/** Classifies one frame (Ethernet, no preamble, no FCS) by semantics rules 1–4. */
export function parseFrame(frame: Uint8Array): ParsedFrame {
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
  } else if (etherType === ETHERTYPE_IPV6) {
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
  };
}

export type DropReason = 'runt' | 'oversize' | 'rule' | 'queue_full' | 'bad_queue';
export type DecidedBy = 'flow' | 'listen' | 'default';
/** `slot`: for a listen rule with a queue list (a shared port), the slot the frame's hash chose. */
export type Decision = { queue: number; by: DecidedBy; slot?: number } | { drop: DropReason; by: DecidedBy | null; slot?: number };

/** A table change the reference refuses: a rule already present, or one that is not there. */
export class ReferenceTableError extends Error {
  readonly code: 'EEXIST' | 'ENOENT';
  constructor(code: 'EEXIST' | 'ENOENT', message: string) {
    super(message);
    this.name = 'ReferenceTableError';
    this.code = code;
  }
}

/** What the adapter should do with each frame, given its rules (semantics rules 5–6). */
export class ReferenceAdapter {
  readonly queues: number;
  private readonly flows = new Map<string, FlowRule>();
  private readonly listens = new Map<string, ListenRule>();
  private defaultAction = 0;

  constructor(opts: { queues: number }) {
    if (!Number.isInteger(opts.queues) || opts.queues < 1) throw new RangeError(`queues must be an integer ≥ 1, got ${opts.queues}`);
    this.queues = opts.queues;
  }

  /** Adds a flow or listen rule (a default rule sets the default action). */
  add(rule: Rule): void {
    if (rule.kind === 'default') return this.setDefault(rule.action);
    if (rule.kind === 'learning') throw new RangeError('learning is not modelled yet');
    const table: Map<string, Rule> = rule.kind === 'flow' ? this.flows : this.listens;
    const key = ruleKey(rule);
    if (table.has(key)) throw new ReferenceTableError('EEXIST', `${key} is already present`);
    table.set(key, rule);
  }

  /** Removes the rule with the same key (the action is not compared). */
  remove(rule: Rule): void {
    if (rule.kind === 'default') return this.setDefault(0);
    if (rule.kind === 'learning') throw new RangeError('learning is not modelled yet');
    const table: Map<string, Rule> = rule.kind === 'flow' ? this.flows : this.listens;
    const key = ruleKey(rule);
    if (!table.delete(key)) throw new ReferenceTableError('ENOENT', `${key} is not present`);
  }

  setDefault(action: number): void {
    if (!Number.isInteger(action) || action < -1) throw new RangeError(`action must be an integer ≥ -1, got ${action}`);
    this.defaultAction = action;
  }

  get flowCount(): number {
    return this.flows.size;
  }

  get listenCount(): number {
    return this.listens.size;
  }

  decide(frame: Uint8Array): Decision {
    const parsed = parseFrame(frame);
    if (parsed.kind === 'runt' || parsed.kind === 'oversize') return { drop: parsed.kind, by: null };
    if (parsed.kind === 'steerable') {
      const flow = this.flows.get(ruleKey(flowRuleOf(parsed)));
      if (flow) return this.act(flow.action, 'flow');
      const connectionRequest = parsed.proto === 'udp' || (parsed.syn && !parsed.ack);
      if (connectionRequest) {
        const listen = this.listens.get(ruleKey(listenRuleOf(parsed)));
        if (listen) {
          const action = listen.action;
          if (!Array.isArray(action)) return this.act(action, 'listen');
          const slot = sharedPortSlot(parsed);
          return { ...this.act(slotQueue(action, slot), 'listen'), slot };
        }
      }
    }
    return this.act(this.defaultAction, 'default');
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

function flowRuleOf(p: SteerableFrame): FlowRule {
  return { kind: 'flow', family: p.family, proto: p.proto, srcIp: p.src, dstIp: p.dst, srcPort: p.srcPort, dstPort: p.dstPort, action: 0 };
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
