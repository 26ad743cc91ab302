// The reference model against frames built byte by byte here (RFC 791, 8200, 793, 768,
// IEEE 802.1Q/802.1ad layouts), with expected decisions read off docs/semantics.md.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readCapture } from '../host/src/codec/pcap.js';
import { parseFrame, ReferenceAdapter, summarize, type Decision } from '../host/src/semantics/reference.js';
import { parseRules } from '../host/src/codec/rules.js';

// ---- frame builder ----

const MAC = [0x02, 0, 0, 0, 0, 0x01, 0x02, 0, 0, 0, 0, 0x02];
const v4 = (s: string) => s.split('.').map(Number);
const CLIENT4 = v4('192.0.2.7');
const SERVER4 = v4('10.0.0.1');
// 2001:db8::7 and 2001:db8::1
const CLIENT6 = [0x20, 0x01, 0x0d, 0xb8, ...new Array(11).fill(0), 0x07];
const SERVER6 = [0x20, 0x01, 0x0d, 0xb8, ...new Array(11).fill(0), 0x01];

interface Build {
  family?: 4 | 6;
  proto?: number; // IP protocol / next header
  src?: number[];
  dst?: number[];
  sport?: number;
  dport?: number;
  flags?: number; // TCP flags byte
  tags?: number[]; // TPIDs before the EtherType
  etherType?: number;
  ihl?: number;
  version?: number;
  fragment?: number; // IPv4 flags + fragment offset field
  options?: number; // IPv4 option bytes
  ext?: boolean; // IPv6: Destination Options header (60) before L4
  payload?: number;
}

function frame(b: Build = {}): Uint8Array {
  const family = b.family ?? 4;
  const proto = b.proto ?? 6;
  const out: number[] = [...MAC];
  for (const tpid of b.tags ?? []) out.push(tpid >> 8, tpid & 0xff, 0x00, 0x64);
  const etherType = b.etherType ?? (family === 4 ? 0x0800 : 0x86dd);
  out.push(etherType >> 8, etherType & 0xff);
  const sport = b.sport ?? 40001;
  const dport = b.dport ?? 80;
  const l4 =
    proto === 17
      ? [sport >> 8, sport & 0xff, dport >> 8, dport & 0xff, 0, 8, 0, 0]
      : [sport >> 8, sport & 0xff, dport >> 8, dport & 0xff, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, b.flags ?? 0x10, 0xff, 0xff, 0, 0, 0, 0];
  if (family === 4) {
    const ihl = b.ihl ?? 5 + (b.options ?? 0) / 4;
    const frag = b.fragment ?? 0x4000; // DF
    out.push(((b.version ?? 4) << 4) | ihl, 0, 0, 0, 0, 1, frag >> 8, frag & 0xff, 64, proto, 0, 0);
    out.push(...(b.src ?? CLIENT4), ...(b.dst ?? SERVER4));
    for (let i = 0; i < (b.options ?? 0); i++) out.push(1); // NOP
  } else {
    out.push((b.version ?? 6) << 4, 0, 0, 0, 0, 0, b.ext ? 60 : proto, 64, ...(b.src ?? CLIENT6), ...(b.dst ?? SERVER6));
    if (b.ext) out.push(proto, 0, 1, 4, 0, 0, 0, 0);
  }
  out.push(...l4, ...new Array(b.payload ?? 0).fill(0xaa));
  return Uint8Array.from(out);
}

const SYN = 0x02;
const ACK = 0x10;

// ---- parseFrame ----

describe('parseFrame', () => {
  it('reads the key of a plain TCP/IPv4 frame', () => {
    const p = parseFrame(frame({ flags: SYN }));
    expect(p).toMatchObject({ kind: 'steerable', family: 4, proto: 'tcp', srcPort: 40001, dstPort: 80, syn: true, ack: false });
    if (p.kind !== 'steerable') throw new Error('not steerable');
    expect(Array.from(p.src)).toEqual([...new Array(12).fill(0), 192, 0, 2, 7]);
    expect(Array.from(p.dst)).toEqual([...new Array(12).fill(0), 10, 0, 0, 1]);
  });

  it('reads the key of UDP/IPv6', () => {
    const p = parseFrame(frame({ family: 6, proto: 17, sport: 5000, dport: 53 }));
    expect(p).toMatchObject({ kind: 'steerable', family: 6, proto: 'udp', srcPort: 5000, dstPort: 53, syn: false, ack: false });
    if (p.kind !== 'steerable') throw new Error('not steerable');
    expect(Array.from(p.src)).toEqual(CLIENT6);
    expect(Array.from(p.dst)).toEqual(SERVER6);
  });

  it.each([
    ['13 bytes', frame().subarray(0, 13), 'runt'],
    ['0 bytes', new Uint8Array(0), 'runt'],
    ['14 bytes', frame().subarray(0, 14), 'other'],
    ['9022 bytes', padTo(frame(), 9022), 'steerable'],
    ['9023 bytes', padTo(frame(), 9023), 'oversize'],
    ['one 802.1Q tag', frame({ tags: [0x8100] }), 'steerable'],
    ['one 802.1ad tag', frame({ tags: [0x88a8] }), 'steerable'],
    ['QinQ 0x88a8 + 0x8100', frame({ tags: [0x88a8, 0x8100] }), 'steerable'],
    ['two 0x8100 tags', frame({ tags: [0x8100, 0x8100], family: 6 }), 'steerable'],
    ['a third tag', frame({ tags: [0x88a8, 0x8100, 0x8100] }), 'other'],
    ['TPID 0x9100 (not skipped)', frame({ tags: [0x9100] }), 'other'],
    ['tag cut before the EtherType', frame({ tags: [0x8100] }).subarray(0, 17), 'other'],
    ['IPv4 options (IHL 15)', frame({ options: 40 }), 'steerable'],
    ['IPv4 options cut short', frame({ options: 40 }).subarray(0, 14 + 59), 'other'],
    ['IHL 4', frame({ ihl: 4 }), 'other'],
    ['IHL 0', frame({ ihl: 0 }), 'other'],
    ['MF set', frame({ fragment: 0x2000 }), 'other'],
    ['fragment offset 1', frame({ fragment: 0x0001 }), 'other'],
    ['fragment offset 0x1fff', frame({ fragment: 0x1fff }), 'other'],
    ['DF and the reserved bit only', frame({ fragment: 0xc000 }), 'steerable'],
    ['version 6 in an 0x0800 frame', frame({ version: 6 }), 'other'],
    ['version 4 in an 0x86DD frame', frame({ family: 6, version: 4 }), 'other'],
    ['ICMP (proto 1)', frame({ proto: 1, payload: 20 }), 'other'],
    ['IPv6 next header 58', frame({ family: 6, proto: 58, payload: 20 }), 'other'],
    ['IPv6 with a Destination Options header before TCP', frame({ family: 6, ext: true }), 'other'],
    ['IPv6 with a Destination Options header before UDP', frame({ family: 6, proto: 17, ext: true }), 'other'],
    ['IPv6 header 39 bytes', frame({ family: 6 }).subarray(0, 14 + 39), 'other'],
    ['ARP EtherType', frame({ etherType: 0x0806 }), 'other'],
    ['802.3 length field', frame({ etherType: 0x0040 }), 'other'],
    ['TCP header 19 bytes (14+20+19)', frame().subarray(0, 14 + 20 + 19), 'other'],
    ['TCP header exactly 20 bytes', frame().subarray(0, 14 + 20 + 20), 'steerable'],
    ['TCP after options, 19 bytes', frame({ options: 8 }).subarray(0, 14 + 28 + 19), 'other'],
    ['UDP header 7 bytes', frame({ proto: 17 }).subarray(0, 14 + 20 + 7), 'other'],
    ['UDP header exactly 8 bytes', frame({ proto: 17 }).subarray(0, 14 + 20 + 8), 'steerable'],
    ['IPv6 TCP header 19 bytes', frame({ family: 6 }).subarray(0, 14 + 40 + 19), 'other'],
    ['IPv6 UDP header 8 bytes behind a tag', frame({ family: 6, proto: 17, tags: [0x8100] }).subarray(0, 18 + 40 + 8), 'steerable'],
  ])('%s → %s', (_name, bytes, kind) => {
    expect(parseFrame(bytes).kind).toBe(kind);
  });

  it('ignores IP total length and checksums', () => {
    const f = frame({ payload: 10 });
    f[14 + 2] = 0xff; // total length far beyond the frame
    f[14 + 3] = 0xff;
    f[14 + 10] = 0xde; // header checksum garbage
    expect(parseFrame(f).kind).toBe('steerable');
  });
});

function padTo(f: Uint8Array, len: number): Uint8Array {
  const out = new Uint8Array(len);
  out.set(f);
  return out;
}

// ---- decisions ----

const RULES = `
flow-type tcp4 src-ip 192.0.2.7 dst-ip 10.0.0.1 src-port 40001 dst-port 80 action 2
flow-type udp6 src-ip 2001:db8::7 dst-ip 2001:db8::1 src-port 5000 dst-port 53 action 3
flow-type tcp4 src-ip 192.0.2.66 dst-ip 10.0.0.1 src-port 40001 dst-port 80 action -1
flow-type tcp4 src-ip 192.0.2.99 dst-ip 10.0.0.1 src-port 40001 dst-port 80 action 8
listen tcp4 dst-ip 10.0.0.1 dst-port 80 action 1
listen udp4 dst-ip 10.0.0.1 dst-port 53 action 4
listen tcp6 dst-ip 2001:db8::1 dst-port 443 action 5
listen tcp4 dst-ip 10.0.0.1 dst-port 23 action -1
default action 7
`;

function adapter(queues = 8): ReferenceAdapter {
  const a = new ReferenceAdapter({ queues });
  for (const rule of parseRules(RULES)) a.add(rule);
  return a;
}

const OTHER_CLIENT = v4('192.0.2.8');

describe('ReferenceAdapter.decide', () => {
  const ref = adapter();
  it.each<[string, Uint8Array, Decision]>([
    ['exact flow', frame({ flags: ACK }), { queue: 2, by: 'flow' }],
    ['flow beats listen (SYN to a listened port)', frame({ flags: SYN }), { queue: 2, by: 'flow' }],
    ['flow behind QinQ', frame({ flags: ACK, tags: [0x88a8, 0x8100] }), { queue: 2, by: 'flow' }],
    ['flow with IPv4 options', frame({ flags: ACK, options: 12 }), { queue: 2, by: 'flow' }],
    ['IPv6 UDP flow', frame({ family: 6, proto: 17, sport: 5000, dport: 53 }), { queue: 3, by: 'flow' }],
    ['flow action -1', frame({ src: v4('192.0.2.66') }), { drop: 'rule', by: 'flow' }],
    ['flow action 8 with 8 queues', frame({ src: v4('192.0.2.99') }), { drop: 'bad_queue', by: 'flow' }],
    ['other source port: no flow, ACK: default', frame({ sport: 40002, flags: ACK }), { queue: 7, by: 'default' }],
    ['swapped ports do not match the flow', frame({ sport: 80, dport: 40001 }), { queue: 7, by: 'default' }],
    ['flow key needs the protocol too (UDP same tuple)', frame({ proto: 17, dport: 80 }), { queue: 7, by: 'default' }],
    ['SYN to a listened port', frame({ src: OTHER_CLIENT, flags: SYN }), { queue: 1, by: 'listen' }],
    ['SYN with FIN/PSH/ECE/CWR too', frame({ src: OTHER_CLIENT, flags: SYN | 0x01 | 0x08 | 0x40 | 0x80 }), { queue: 1, by: 'listen' }],
    ['SYN+ACK', frame({ src: OTHER_CLIENT, flags: SYN | ACK }), { queue: 7, by: 'default' }],
    ['ACK only', frame({ src: OTHER_CLIENT, flags: ACK }), { queue: 7, by: 'default' }],
    ['no flags', frame({ src: OTHER_CLIENT, flags: 0 }), { queue: 7, by: 'default' }],
    ['all eight flags', frame({ src: OTHER_CLIENT, flags: 0xff }), { queue: 7, by: 'default' }],
    ['SYN to another port', frame({ src: OTHER_CLIENT, flags: SYN, dport: 81 }), { queue: 7, by: 'default' }],
    ['SYN to another address', frame({ src: OTHER_CLIENT, dst: v4('10.0.0.2'), flags: SYN }), { queue: 7, by: 'default' }],
    ['SYN over IPv6 to the IPv4 listen port', frame({ family: 6, flags: SYN }), { queue: 7, by: 'default' }],
    ['SYN over IPv6 to 443', frame({ family: 6, flags: SYN, dport: 443 }), { queue: 5, by: 'listen' }],
    ['UDP to a listened port, any source', frame({ proto: 17, src: OTHER_CLIENT, sport: 1234, dport: 53 }), { queue: 4, by: 'listen' }],
    ['TCP SYN to the UDP listen port', frame({ src: OTHER_CLIENT, flags: SYN, dport: 53 }), { queue: 7, by: 'default' }],
    ['listen action -1', frame({ src: OTHER_CLIENT, flags: SYN, dport: 23 }), { drop: 'rule', by: 'listen' }],
    ['fragment of the flow (MF)', frame({ fragment: 0x2000 }), { queue: 7, by: 'default' }],
    ['fragment of the flow (offset)', frame({ fragment: 0x0010 }), { queue: 7, by: 'default' }],
    ['flow behind a third tag', frame({ tags: [0x8100, 0x8100, 0x8100] }), { queue: 7, by: 'default' }],
    ['IPv6 flow behind an extension header', frame({ family: 6, proto: 17, sport: 5000, dport: 53, ext: true }), { queue: 7, by: 'default' }],
    ['flow with its TCP header one byte short', frame().subarray(0, 14 + 20 + 19), { queue: 7, by: 'default' }],
    ['runt 13 bytes', frame().subarray(0, 13), { drop: 'runt', by: null }],
    ['14 bytes', frame().subarray(0, 14), { queue: 7, by: 'default' }],
    ['9022 bytes, the flow', padTo(frame(), 9022), { queue: 2, by: 'flow' }],
    ['9023 bytes', padTo(frame(), 9023), { drop: 'oversize', by: null }],
  ])('%s', (_name, bytes, expected) => {
    expect(ref.decide(bytes)).toEqual(expected);
  });

  it('IPv4-only (ipv6: false, an IPV6=0 build): IPv6 frames are not steerable and go by the default; IPv4 unchanged', () => {
    const v4only = new ReferenceAdapter({ queues: 8, ipv6: false });
    for (const rule of parseRules(RULES)) v4only.add(rule);
    const ipv6Flow = frame({ family: 6, proto: 17, sport: 5000, dport: 53 });
    const ipv6Listen = frame({ family: 6, flags: SYN, dport: 443 });
    expect(ref.decide(ipv6Flow)).toEqual({ queue: 3, by: 'flow' });
    expect(ref.decide(ipv6Listen)).toEqual({ queue: 5, by: 'listen' });
    expect(v4only.decide(ipv6Flow)).toEqual({ queue: 7, by: 'default' });
    expect(v4only.decide(ipv6Listen)).toEqual({ queue: 7, by: 'default' });
    expect(parseFrame(ipv6Flow, { ipv6: false }).kind).toBe('other');
    for (const f of [frame({ flags: ACK }), frame({ src: OTHER_CLIENT, flags: SYN }), frame({ proto: 17, src: OTHER_CLIENT, sport: 1234, dport: 53 })]) {
      expect(v4only.decide(f)).toEqual(ref.decide(f));
    }
  });

  it('defaults to queue 0, and a default beyond the queues is bad_queue', () => {
    const a = new ReferenceAdapter({ queues: 4 });
    expect(a.decide(frame())).toEqual({ queue: 0, by: 'default' });
    a.setDefault(-1);
    expect(a.decide(frame())).toEqual({ drop: 'rule', by: 'default' });
    a.setDefault(4);
    expect(a.decide(frame())).toEqual({ drop: 'bad_queue', by: 'default' });
    a.add({ kind: 'default', action: 3 });
    expect(a.decide(frame({ etherType: 0x0806 }))).toEqual({ queue: 3, by: 'default' });
  });

  it('removes rules by key and refuses duplicates', () => {
    const a = adapter();
    const [flow, , , , listen] = parseRules(RULES);
    expect(() => a.add(flow)).toThrow(/already present/);
    a.remove({ ...flow, action: 6 } as typeof flow); // the action is not part of the key
    expect(a.decide(frame({ flags: SYN }))).toEqual({ queue: 1, by: 'listen' });
    a.remove(listen);
    expect(a.decide(frame({ flags: SYN }))).toEqual({ queue: 7, by: 'default' });
    expect(() => a.remove(listen)).toThrow(/not present/);
  });

  it('summarizes decisions', () => {
    const ref2 = adapter();
    const frames = [frame(), frame({ flags: SYN, src: OTHER_CLIENT }), frame({ src: v4('192.0.2.66') }), frame().subarray(0, 5), frame({ sport: 1 })];
    expect(summarize(frames.map((f) => ref2.decide(f)))).toEqual({
      frames: 5,
      queues: { 2: 1, 1: 1, 7: 1 },
      drops: { rule: 1, runt: 1 },
      hits: { flow: 2, listen: 1, default: 1 },
    });
  });
});

// ---- real captures: steerable counts that follow from INDEX.md's description of each file ----

describe('parseFrame on real captures', () => {
  const DIR = join(import.meta.dirname, 'pcaps');
  const kinds = (name: string) => {
    const counts: Record<string, number> = {};
    for (const f of readCapture(readFileSync(join(DIR, name))).frames) {
      const p = parseFrame(f.data);
      const k = p.kind === 'steerable' ? `${p.proto}${p.family}${p.proto === 'tcp' && p.syn && !p.ack ? '-syn' : ''}` : p.kind;
      counts[k] = (counts[k] ?? 0) + 1;
    }
    return counts;
  };

  it.each<[string, Record<string, number>]>([
    ['tcpdump__zmtp1.pcap', { 'tcp4-syn': 1, tcp4: 15 }],
    ['pcapplusplus__three_http_streams.pcap', { 'tcp4-syn': 3, tcp4: 25 }],
    ['derived/pcapplusplus__three_http_streams__vlan100.pcap', { 'tcp4-syn': 3, tcp4: 25 }],
    ['derived/pcapplusplus__three_http_streams__snap64.pcap', { 'tcp4-syn': 3, tcp4: 25 }],
    ['derived/pcapplusplus__four_ipv6_http_streams__enet.pcap', { 'tcp6-syn': 4, tcp6: 77 }],
    ['pcapplusplus__tls.pcap', { 'tcp4-syn': 1, tcp4: 24, 'tcp6-syn': 1, tcp6: 18 }],
    ['pcapplusplus__someip.pcapng', { tcp6: 1, udp6: 1 }], // one 802.1Q tag
    ['tcpdump__dns_udp.pcap', { udp4: 2 }],
    ['pcapplusplus__frag_http_req.pcap', { other: 11 }], // first fragment has MF set
    ['pcapplusplus__IPv4Frag.pcap', { other: 3 }],
    ['pcapplusplus__one_http_stream_rst.pcap', { other: 10 }], // PPPoE
    ['pcapplusplus__MplsPackets.pcap', { other: 2 }],
    ['pcapplusplus__ipv6_options.pcap', { other: 6 }], // extension headers
    ['tcpdump__ipv6-routing-header.pcap', { other: 4 }],
    ['tcpdump__ipv4_invalid_hdr_length.pcap', { other: 1 }], // IHL 4
    ['tcpdump__ipv4_invalid_total_length.pcap', { udp4: 1 }], // total length not checked
    ['tcpdump__ipv6_39_byte_header.pcap', { other: 1 }],
    ['tcpdump__tcp_header_heapoverflow.pcap', { other: 1 }], // TCP header cut short
    ['tcpdump__bigtcp-ipv6-hbh.pcap', { oversize: 1 }],
    ['tcpdump__gso-ipv6.pcap', { tcp6: 1 }], // 7226 bytes ≤ 9022
    ['tcpdump__802.1ad_QinQ.pcap', { other: 2 }], // ARP
    ['pcapplusplus__EthDot3.pcap', { other: 1 }],
  ])('%s', (name, expected) => {
    expect(kinds(name)).toEqual(expected);
  });

  it('many-protocols: 124 connection requests, as INDEX.md counts', () => {
    expect(kinds('pcapplusplus__many-protocols.pcap')['tcp4-syn']).toBe(124);
  });
});
