// Random traffic for the differential tests and the benchmark: well-formed TCP/UDP over IPv4
// and IPv6 aimed at a rule set, plus frames malformed on purpose at every layer the parser
// reads. Frames are built byte by byte here from the header layouts (RFC 791, 8200, 793,
// 768, IEEE 802.1Q), not with the code under test.

export type Rng = () => number;

/** Small fast deterministic PRNG (mulberry32), so a failing seed can be replayed. */
export function makeRng(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const int = (rng: Rng, lo: number, hi: number): number => lo + Math.floor(rng() * (hi - lo + 1));
export const pick = <T>(rng: Rng, items: readonly T[]): T => items[Math.floor(rng() * items.length)];

export interface FlowSpec {
  family: 4 | 6;
  proto: 'tcp' | 'udp';
  src: string;
  dst: string;
  srcPort: number;
  dstPort: number;
}

export interface L4Options {
  flags?: number; // TCP flags byte
  vlans?: number[]; // TPIDs of the tags to put before the EtherType
  payload?: number; // payload bytes after the L4 header
  ipOptions?: number; // IPv4 option bytes (multiple of 4, ≤ 40)
  fragment?: { mf: boolean; offset: number };
  extensionHeader?: boolean; // IPv6: a Destination Options header before L4
}

function v4Bytes(text: string): number[] {
  return text.split('.').map((p) => Number(p));
}

function v6Bytes(text: string): number[] {
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  return groups.flatMap((g) => {
    const v = Number.parseInt(g, 16);
    return [v >> 8, v & 0xff];
  });
}

export const ETH_SRC = [0x02, 0x00, 0x00, 0x00, 0x00, 0x02];
export const ETH_DST = [0x02, 0x00, 0x00, 0x00, 0x00, 0x01];

/** Builds one Ethernet frame (no preamble, no FCS) carrying TCP or UDP for `flow`. */
export function buildFrame(flow: FlowSpec, opts: L4Options = {}, rng: Rng = Math.random): Uint8Array {
  const bytes: number[] = [...ETH_DST, ...ETH_SRC];
  for (const tpid of opts.vlans ?? []) bytes.push(tpid >> 8, tpid & 0xff, int(rng, 0, 15), int(rng, 0, 255));
  const payload = Array.from({ length: opts.payload ?? 0 }, () => int(rng, 0, 255));
  const protoNum = flow.proto === 'tcp' ? 6 : 17;
  const l4: number[] = [flow.srcPort >> 8, flow.srcPort & 0xff, flow.dstPort >> 8, flow.dstPort & 0xff];
  if (flow.proto === 'tcp') {
    const flags = opts.flags ?? 0x10;
    l4.push(...[1, 2, 3, 4], ...[5, 6, 7, 8], 0x50, flags, 0xff, 0xff, 0, 0, 0, 0);
  } else {
    const len = 8 + payload.length;
    l4.push(len >> 8, len & 0xff, 0, 0);
  }
  if (flow.family === 4) {
    bytes.push(0x08, 0x00);
    const optLen = opts.ipOptions ?? 0;
    const ihl = 5 + optLen / 4;
    const total = ihl * 4 + l4.length + payload.length;
    const frag = opts.fragment ? (opts.fragment.mf ? 0x2000 : 0) | (opts.fragment.offset & 0x1fff) : 0x4000; // DF
    bytes.push(0x40 | ihl, 0, total >> 8, total & 0xff, 0x12, 0x34, frag >> 8, frag & 0xff, 64, protoNum, 0, 0);
    bytes.push(...v4Bytes(flow.src), ...v4Bytes(flow.dst));
    for (let i = 0; i < optLen; i++) bytes.push(1); // NOP options
  } else {
    bytes.push(0x86, 0xdd);
    const ext = opts.extensionHeader ? [protoNum, 0, 1, 4, 0, 0, 0, 0] : [];
    const plen = ext.length + l4.length + payload.length;
    bytes.push(0x60, 0, 0, 0, plen >> 8, plen & 0xff, opts.extensionHeader ? 60 : protoNum, 64);
    bytes.push(...v6Bytes(flow.src), ...v6Bytes(flow.dst), ...ext);
  }
  bytes.push(...l4, ...payload);
  return Uint8Array.from(bytes);
}

export const CLUSTER_V4 = ['10.0.0.1', '10.0.0.2'];
export const CLUSTER_V6 = ['2001:db8::1', '2001:db8::2'];

export function randomFlow(rng: Rng, family?: 4 | 6, proto?: 'tcp' | 'udp'): FlowSpec {
  const fam = family ?? (rng() < 0.7 ? 4 : 6);
  return {
    family: fam,
    proto: proto ?? (rng() < 0.7 ? 'tcp' : 'udp'),
    src: fam === 4 ? `192.0.2.${int(rng, 1, 254)}` : `2001:db8:1::${int(rng, 1, 0xfffe).toString(16)}`,
    dst: fam === 4 ? pick(rng, CLUSTER_V4) : pick(rng, CLUSTER_V6),
    srcPort: int(rng, 1024, 65535),
    dstPort: pick(rng, [22, 53, 80, 443, 8080, int(rng, 1, 65535)]),
  };
}

export interface RuleSet {
  flows: { flow: FlowSpec; action: number }[];
  /** action: a queue, -1, or the queues sharing the port (an action list) */
  listens: { family: 4 | 6; proto: 'tcp' | 'udp'; dst: string; dstPort: number; action: number | number[] }[];
  defaultAction: number;
}

/** Rules text lines (the normative ethtool words) for a rule set. */
export function rulesText(rules: RuleSet): string {
  const lines: string[] = [];
  for (const { flow: f, action } of rules.flows) {
    lines.push(`flow-type ${f.proto}${f.family} src-ip ${f.src} dst-ip ${f.dst} src-port ${f.srcPort} dst-port ${f.dstPort} action ${action}`);
  }
  for (const l of rules.listens) {
    const action = Array.isArray(l.action) ? l.action.join(',') : String(l.action);
    lines.push(`listen ${l.proto}${l.family} dst-ip ${l.dst} dst-port ${l.dstPort} action ${action}`);
  }
  lines.push(`default action ${rules.defaultAction}`);
  return lines.join('\n') + '\n';
}

/**
 * Queue lists for shared ports: `count` distinct lists of 2..8 members (repeats allowed), the
 * last one naming a queue the adapter does not have (queues..queues+7).
 */
export function randomQueueLists(rng: Rng, count: number, queues: number): number[][] {
  const lists: number[][] = [];
  while (lists.length < count) {
    const list = Array.from({ length: int(rng, 2, 8) }, () => int(rng, 0, queues - 1));
    if (lists.length === count - 1) list[int(rng, 0, list.length - 1)] = queues + int(rng, 0, 7);
    if (!lists.some((l) => l.join() === list.join())) lists.push(list);
  }
  return lists;
}

/**
 * Random rules; with `sharedPorts`, that many listen rules take an action list drawn from a
 * pool of `lists` queue lists (so some share a list), one list with a queue ≥ queues.
 */
export function randomRuleSet(rng: Rng, flows: number, listens: number, queues: number, opts: { sharedPorts?: number; lists?: number } = {}): RuleSet {
  const action = () => (rng() < 0.05 ? -1 : int(rng, 0, queues - 1));
  const seen = new Set<string>();
  const set: RuleSet = { flows: [], listens: [], defaultAction: int(rng, 0, queues - 1) };
  while (set.flows.length < flows) {
    const flow = randomFlow(rng);
    const key = JSON.stringify(flow);
    if (seen.has(key)) continue;
    seen.add(key);
    set.flows.push({ flow, action: action() });
  }
  while (set.listens.length < listens) {
    const family = rng() < 0.7 ? 4 : 6;
    const l = { family, proto: rng() < 0.6 ? 'tcp' : 'udp', dst: pick(rng, family === 4 ? CLUSTER_V4 : CLUSTER_V6), dstPort: int(rng, 1, 65535), action: action() } as const;
    const key = `${l.family}/${l.proto}/${l.dst}/${l.dstPort}`;
    if (seen.has(key)) continue;
    seen.add(key);
    set.listens.push(l);
  }
  if (opts.sharedPorts) {
    const pool = randomQueueLists(rng, opts.lists ?? 5, queues);
    // the bad list always in use; the others drawn at random
    for (let i = 0; i < Math.min(opts.sharedPorts, set.listens.length); i++) {
      set.listens[i] = { ...set.listens[i], action: i === 0 ? pool[pool.length - 1] : pick(rng, pool) };
    }
  }
  return set;
}

const TPIDS = [0x8100, 0x88a8];
const TCP_FLAGS = [0x02, 0x12, 0x10, 0x18, 0x11, 0x04, 0x03, 0x06, 0xff, 0x00];

/**
 * One frame of a mixed stream: mostly traffic aimed at the rules (exact flows, connection
 * requests to listened ports), some misses, and a quarter deliberately malformed.
 */
export function randomFrame(rng: Rng, rules: RuleSet, maxPayload = 96): Uint8Array {
  const r = rng();
  const payload = rng() < 0.8 ? int(rng, 0, maxPayload) : int(rng, 0, 4 * maxPayload);
  const vlans = rng() < 0.8 ? [] : Array.from({ length: int(rng, 1, 2) }, () => pick(rng, TPIDS));
  const flags = pick(rng, TCP_FLAGS);
  if (r < 0.4 && rules.flows.length) {
    const { flow } = pick(rng, rules.flows);
    return buildFrame(flow, { flags, vlans, payload, ipOptions: flow.family === 4 && rng() < 0.2 ? 4 * int(rng, 1, 10) : 0 }, rng);
  }
  if (r < 0.6 && rules.listens.length) {
    const l = pick(rng, rules.listens);
    const flow = { ...randomFlow(rng, l.family, l.proto), dst: l.dst, dstPort: l.dstPort };
    return buildFrame(flow, { flags, vlans, payload }, rng);
  }
  if (r < 0.75) return buildFrame(randomFlow(rng), { flags, vlans, payload }, rng);
  return malformedFrame(rng, rules);
}

/**
 * A flow to build a malformed frame around: mostly one the rules steer (so a parser that
 * wrongly accepts the frame sends it to the rule's queue instead of the default, and the
 * difference shows), else a random one.
 */
function targetFlow(rng: Rng, rules: RuleSet, family?: 4 | 6): FlowSpec {
  const candidates = family ? rules.flows.filter((f) => f.flow.family === family) : rules.flows;
  if (candidates.length && rng() < 0.6) return pick(rng, candidates).flow;
  const listens = family ? rules.listens.filter((l) => l.family === family) : rules.listens;
  if (listens.length && rng() < 0.5) {
    const l = pick(rng, listens);
    return { ...randomFlow(rng, l.family, l.proto), dst: l.dst, dstPort: l.dstPort };
  }
  return randomFlow(rng, family);
}

/** Frames that break one rule of the parser each, built around a flow the rules know. */
export function malformedFrame(rng: Rng, rules: RuleSet): Uint8Array {
  const base = targetFlow(rng, rules);
  const kind = int(rng, 0, 13);
  const flags = pick(rng, TCP_FLAGS);
  switch (kind) {
    case 0: {
      // truncated anywhere, runts included
      const full = buildFrame(base, { flags, vlans: rng() < 0.3 ? [0x8100] : [] }, rng);
      return full.subarray(0, int(rng, 0, full.length - 1));
    }
    case 1: // three VLAN tags: the third is not skipped
      return buildFrame(base, { flags, vlans: [pick(rng, TPIDS), pick(rng, TPIDS), pick(rng, TPIDS)] }, rng);
    case 2: {
      // IPv4 fragments: first fragments (MF, offset 0) carry the ports but still are not steerable
      const offset = rng() < 0.6 ? 0 : int(rng, 1, 8191);
      return buildFrame(targetFlow(rng, rules, 4), { flags, fragment: { mf: offset === 0 || rng() < 0.5, offset } }, rng);
    }
    case 3: {
      // IHL below 5
      const f = buildFrame(targetFlow(rng, rules, 4), { flags }, rng);
      f[14] = 0x40 | int(rng, 0, 4);
      return f;
    }
    case 4: {
      // wrong IP version for the EtherType
      const f = buildFrame(base, { flags }, rng);
      f[14] = (pick(rng, [0, 4, 5, 6, 7, 15]) << 4) | (f[14] & 0x0f);
      return f;
    }
    case 5: // IPv6 extension header before L4
      return buildFrame(targetFlow(rng, rules, 6), { flags, extensionHeader: true }, rng);
    case 6: {
      // other IP protocols (ICMP, SCTP, ...)
      const f = buildFrame(base, { flags, payload: 8 }, rng);
      const protoAt = base.family === 4 ? 14 + 9 : 14 + 6;
      f[protoAt] = pick(rng, [1, 2, 47, 50, 58, 132, 0]);
      return f;
    }
    case 7: {
      // other EtherTypes (ARP, MPLS, 802.3 length, LLDP)
      const f = buildFrame(base, { flags, payload: 20 }, rng);
      const t = pick(rng, [0x0806, 0x8847, 0x0040, 0x88cc, 0x86dc, 0x0801]);
      f[12] = t >> 8;
      f[13] = t & 0xff;
      return f;
    }
    case 8: {
      // IPv4 options cut by the end of the frame
      const f = buildFrame(targetFlow(rng, rules, 4), { flags, ipOptions: 40 }, rng);
      return f.subarray(0, int(rng, 14 + 20, 14 + 60 + 19));
    }
    case 9: // random bytes
      return Uint8Array.from({ length: int(rng, 0, 120) }, () => int(rng, 0, 255));
    case 10: {
      // oversize and the exact limits around it
      const len = pick(rng, [9021, 9022, 9023, 9100]);
      const f = new Uint8Array(len);
      f.set(buildFrame(base, { flags }, rng));
      return f;
    }
    case 11: // minimum sizes: exactly 14 bytes, and L4 header one byte short
      return rng() < 0.5 ? buildFrame(base, { flags }, rng).subarray(0, 14) : trimToL4(buildFrame(base, { flags }, rng), base, -1);
    case 12: // exactly the fixed L4 header, nothing after
      return trimToL4(buildFrame(base, { flags }, rng), base, 0);
    default: {
      // VLAN-tagged frame whose tag is cut
      const f = buildFrame(base, { flags, vlans: [0x8100, 0x88a8] }, rng);
      return f.subarray(0, int(rng, 12, 22));
    }
  }
}

function trimToL4(frame: Uint8Array, flow: FlowSpec, delta: number): Uint8Array {
  const l3 = flow.family === 4 ? 20 : 40;
  const l4 = flow.proto === 'tcp' ? 20 : 8;
  return frame.subarray(0, 14 + l3 + l4 + delta);
}
