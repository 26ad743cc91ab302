// Frames the primary reads and writes on queue 0: Ethernet II, ARP, IPv4/IPv6, ICMP/ICMPv6,
// TCP and UDP headers — parsed from the wire and built for answers (ARP reply, echo reply,
// neighbour advertisement, TCP RST, ICMP port unreachable, a bare TCP segment).
//
//   Ethernet  dst MAC (6) | src MAC (6) | EtherType (2) | payload
//   ARP       htype 1 (2) | ptype 0x0800 (2) | hlen 6 | plen 4 | op (2) | sha (6) | spa (4) | tha (6) | tpa (4)
//   IPv4      ver/ihl | tos | total length (2) | id (2) | flags/frag (2) | ttl | proto | checksum (2) | src (4) | dst (4)
//   IPv6      ver/class/flow (4) | payload length (2) | next header | hop limit | src (16) | dst (16)
//   TCP       sport (2) | dport (2) | seq (4) | ack (4) | offset/flags (2) | window (2) | checksum (2) | urg (2)
//   UDP       sport (2) | dport (2) | length (2) | checksum (2)
//
// Addresses are 16 bytes in network order, IPv4 in bytes 12..15 (the layout of ip.ts and the
// adapter's flow keys); MAC addresses as text are mac.ts's. Frames carry no FCS. VLAN-tagged
// frames are not the cluster's and parse as `other`.
import type { Family, Proto } from './rules.js';

export const ETHERTYPE_IPV4 = 0x0800;
export const ETHERTYPE_ARP = 0x0806;
export const ETHERTYPE_IPV6 = 0x86dd;
export const IPPROTO_ICMP = 1;
export const IPPROTO_TCP = 6;
export const IPPROTO_UDP = 17;
export const IPPROTO_ICMPV6 = 58;
export const TCP_FIN = 0x01;
export const TCP_SYN = 0x02;
export const TCP_RST = 0x04;
export const TCP_ACK = 0x10;
export const BROADCAST_MAC = new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);

const view = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);

const equalBytes = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && a.every((v, i) => v === b[i]);

// ───────────────────────────── checksums ─────────────────────────────

/** The 16-bit one's complement sum of data (odd length padded with a zero byte), not inverted. */
export function onesSum(data: Uint8Array, sum = 0): number {
  let s = sum;
  const n = data.length & ~1;
  for (let i = 0; i < n; i += 2) s += (data[i] << 8) | data[i + 1];
  if (data.length & 1) s += data[data.length - 1] << 8;
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return s;
}

/** The Internet checksum (RFC 1071) of the concatenated parts. */
export function internetChecksum(...parts: Uint8Array[]): number {
  let s = 0;
  // parts of odd length only ever come last, so summing part by part is exact
  for (const p of parts) s = onesSum(p, s);
  return ~s & 0xffff;
}

/** The IPv4 or IPv6 pseudo-header of an upper-layer checksum. */
export function pseudoHeader(family: Family, src: Uint8Array, dst: Uint8Array, proto: number, length: number): Uint8Array {
  if (family === 4) {
    const p = new Uint8Array(12);
    p.set(src.subarray(12, 16), 0);
    p.set(dst.subarray(12, 16), 4);
    p[9] = proto;
    view(p).setUint16(10, length);
    return p;
  }
  const p = new Uint8Array(40);
  p.set(src, 0);
  p.set(dst, 16);
  view(p).setUint32(32, length);
  p[39] = proto;
  return p;
}

// ───────────────────────────── parsing ─────────────────────────────

export interface ArpPacket {
  op: number; // 1 request, 2 reply
  senderMac: Uint8Array;
  senderIp: Uint8Array; // 4 bytes
  targetMac: Uint8Array;
  targetIp: Uint8Array; // 4 bytes
}

export interface IpPacket {
  family: Family;
  src: Uint8Array; // 16 bytes
  dst: Uint8Array; // 16 bytes
  proto: number; // IPv4 protocol or IPv6 next header
  /** Offset of the IP header in the frame and its length. */
  ipOffset: number;
  ipHeaderLength: number;
  /** Offset and length of the upper-layer data (bounded by the IP length and the frame). */
  l4Offset: number;
  l4Length: number;
  /** IPv4: fragment (MF or offset); IPv6: never. */
  fragment: boolean;
}

export interface L4Ports {
  proto: Proto;
  srcPort: number;
  dstPort: number;
  /** TCP only. */
  seq: number;
  ack: number;
  flags: number;
  dataOffset: number;
}

export type ParsedPacket =
  | { kind: 'arp'; dstMac: Uint8Array; srcMac: Uint8Array; arp: ArpPacket }
  | { kind: 'ip'; dstMac: Uint8Array; srcMac: Uint8Array; ip: IpPacket; l4?: L4Ports }
  | { kind: 'other'; dstMac?: Uint8Array; srcMac?: Uint8Array };

/** Parses the headers the primary cares about; anything short, tagged or unknown is `other`. */
export function parsePacket(frame: Uint8Array): ParsedPacket {
  if (frame.length < 14) return { kind: 'other' };
  const v = view(frame);
  const dstMac = frame.slice(0, 6);
  const srcMac = frame.slice(6, 12);
  const etherType = v.getUint16(12);
  if (etherType === ETHERTYPE_ARP) {
    if (frame.length < 14 + 28 || v.getUint16(14) !== 1 || v.getUint16(16) !== ETHERTYPE_IPV4 || frame[18] !== 6 || frame[19] !== 4) return { kind: 'other', dstMac, srcMac };
    return {
      kind: 'arp',
      dstMac,
      srcMac,
      arp: { op: v.getUint16(20), senderMac: frame.slice(22, 28), senderIp: frame.slice(28, 32), targetMac: frame.slice(32, 38), targetIp: frame.slice(38, 42) },
    };
  }
  let ip: IpPacket;
  if (etherType === ETHERTYPE_IPV4) {
    if (frame.length < 34 || frame[14] >> 4 !== 4) return { kind: 'other', dstMac, srcMac };
    const ihl = (frame[14] & 0xf) * 4;
    const total = v.getUint16(16);
    if (ihl < 20 || frame.length < 14 + ihl || total < ihl) return { kind: 'other', dstMac, srcMac };
    const end = Math.min(frame.length, 14 + total);
    const src = new Uint8Array(16);
    const dst = new Uint8Array(16);
    src.set(frame.subarray(26, 30), 12);
    dst.set(frame.subarray(30, 34), 12);
    ip = { family: 4, src, dst, proto: frame[23], ipOffset: 14, ipHeaderLength: ihl, l4Offset: 14 + ihl, l4Length: end - 14 - ihl, fragment: (v.getUint16(20) & 0x3fff) !== 0 };
  } else if (etherType === ETHERTYPE_IPV6) {
    if (frame.length < 54 || frame[14] >> 4 !== 6) return { kind: 'other', dstMac, srcMac };
    const end = Math.min(frame.length, 54 + v.getUint16(18));
    ip = { family: 6, src: frame.slice(22, 38), dst: frame.slice(38, 54), proto: frame[20], ipOffset: 14, ipHeaderLength: 40, l4Offset: 54, l4Length: end - 54, fragment: false };
  } else {
    return { kind: 'other', dstMac, srcMac };
  }
  return { kind: 'ip', dstMac, srcMac, ip, l4: ip.fragment ? undefined : parseL4(frame, ip) };
}

function parseL4(frame: Uint8Array, ip: IpPacket): L4Ports | undefined {
  const v = view(frame);
  const o = ip.l4Offset;
  if (ip.proto === IPPROTO_TCP && ip.l4Length >= 20) {
    return { proto: 'tcp', srcPort: v.getUint16(o), dstPort: v.getUint16(o + 2), seq: v.getUint32(o + 4), ack: v.getUint32(o + 8), dataOffset: (frame[o + 12] >> 4) * 4, flags: frame[o + 13] };
  }
  if (ip.proto === IPPROTO_UDP && ip.l4Length >= 8) {
    return { proto: 'udp', srcPort: v.getUint16(o), dstPort: v.getUint16(o + 2), seq: 0, ack: 0, flags: 0, dataOffset: 8 };
  }
  return undefined;
}

// ───────────────────────────── building ─────────────────────────────

function ethernet(dst: Uint8Array, src: Uint8Array, etherType: number, payload: Uint8Array): Uint8Array {
  const f = new Uint8Array(14 + payload.length);
  f.set(dst.subarray(0, 6), 0);
  f.set(src.subarray(0, 6), 6);
  view(f).setUint16(12, etherType);
  f.set(payload, 14);
  return f;
}

/** An IP packet (header + l4) with the header checksum (IPv4) filled in; l4 is copied as is. */
function ipPacket(family: Family, src: Uint8Array, dst: Uint8Array, proto: number, l4: Uint8Array, hopLimit = 64): Uint8Array {
  if (family === 4) {
    const p = new Uint8Array(20 + l4.length);
    const v = view(p);
    p[0] = 0x45;
    v.setUint16(2, p.length);
    v.setUint16(6, 0x4000); // DF
    p[8] = hopLimit;
    p[9] = proto;
    p.set(src.subarray(12, 16), 12);
    p.set(dst.subarray(12, 16), 16);
    v.setUint16(10, internetChecksum(p.subarray(0, 20)));
    p.set(l4, 20);
    return p;
  }
  const p = new Uint8Array(40 + l4.length);
  const v = view(p);
  v.setUint32(0, 0x60000000);
  v.setUint16(4, l4.length);
  p[6] = proto;
  p[7] = hopLimit;
  p.set(src, 8);
  p.set(dst, 24);
  p.set(l4, 40);
  return p;
}

/** Fills the upper-layer checksum at `at` (TCP 16, UDP 6, ICMPv6 2) with the pseudo-header. */
function fillL4Checksum(family: Family, src: Uint8Array, dst: Uint8Array, proto: number, l4: Uint8Array, at: number): void {
  view(l4).setUint16(at, 0);
  let c = internetChecksum(pseudoHeader(family, src, dst, proto, l4.length), l4);
  if (proto === IPPROTO_UDP && c === 0) c = 0xffff;
  view(l4).setUint16(at, c);
}

/** A TCP segment without options or data, as a whole Ethernet frame (the demo's SYN flood builds its SYNs with it). */
export function tcpFrame(o: {
  dstMac: Uint8Array;
  srcMac: Uint8Array;
  family: Family;
  src: Uint8Array;
  dst: Uint8Array;
  srcPort: number;
  dstPort: number;
  seq: number;
  ack?: number;
  flags: number;
  window?: number;
}): Uint8Array {
  const seg = new Uint8Array(20);
  const v = view(seg);
  v.setUint16(0, o.srcPort);
  v.setUint16(2, o.dstPort);
  v.setUint32(4, o.seq >>> 0);
  v.setUint32(8, (o.ack ?? 0) >>> 0);
  seg[12] = 5 << 4;
  seg[13] = o.flags;
  v.setUint16(14, o.window ?? 64240);
  fillL4Checksum(o.family, o.src, o.dst, IPPROTO_TCP, seg, 16);
  return ethernet(o.dstMac, o.srcMac, o.family === 4 ? ETHERTYPE_IPV4 : ETHERTYPE_IPV6, ipPacket(o.family, o.src, o.dst, IPPROTO_TCP, seg));
}

export interface Identity {
  mac: Uint8Array;
  /** The cluster's addresses (16 bytes each, IPv4 in bytes 12..15). */
  ips: readonly { family: Family; bytes: Uint8Array }[];
}

export const ownsIp = (me: Identity, family: Family, addr: Uint8Array): boolean => me.ips.some((a) => a.family === family && equalBytes(a.bytes, addr));

/** The ARP reply to a request for one of the cluster's IPv4 addresses, or null. */
export function arpReply(me: Identity, req: ArpPacket): Uint8Array | null {
  if (req.op !== 1) return null;
  const target = new Uint8Array(16);
  target.set(req.targetIp, 12);
  if (!ownsIp(me, 4, target)) return null;
  const a = new Uint8Array(28);
  const v = view(a);
  v.setUint16(0, 1);
  v.setUint16(2, ETHERTYPE_IPV4);
  a[4] = 6;
  a[5] = 4;
  v.setUint16(6, 2);
  a.set(me.mac, 8);
  a.set(req.targetIp, 14);
  a.set(req.senderMac, 18);
  a.set(req.senderIp, 24);
  // pad to the 60-byte Ethernet minimum, as a NIC would
  const f = ethernet(req.senderMac, me.mac, ETHERTYPE_ARP, a);
  const padded = new Uint8Array(60);
  padded.set(f);
  return padded;
}

/** The echo reply to an ICMP (or ICMPv6) echo request addressed to the cluster, or null. */
export function echoReply(me: Identity, frame: Uint8Array, p: Extract<ParsedPacket, { kind: 'ip' }>): Uint8Array | null {
  const { ip } = p;
  if (ip.fragment || !ownsIp(me, ip.family, ip.dst)) return null;
  const icmp = frame.slice(ip.l4Offset, ip.l4Offset + ip.l4Length);
  if (icmp.length < 8) return null;
  if (ip.family === 4) {
    if (ip.proto !== IPPROTO_ICMP || icmp[0] !== 8 || icmp[1] !== 0) return null;
    icmp[0] = 0;
    view(icmp).setUint16(2, 0);
    view(icmp).setUint16(2, internetChecksum(icmp));
  } else {
    if (ip.proto !== IPPROTO_ICMPV6 || icmp[0] !== 128 || icmp[1] !== 0) return null;
    icmp[0] = 129;
    fillL4Checksum(6, ip.dst, ip.src, IPPROTO_ICMPV6, icmp, 2);
  }
  return ethernet(p.srcMac, me.mac, ip.family === 4 ? ETHERTYPE_IPV4 : ETHERTYPE_IPV6, ipPacket(ip.family, ip.dst, ip.src, ip.proto, icmp));
}

/** ICMPv6 neighbour solicitation (135) for a cluster IPv6 address → solicited advertisement (136), or null. */
export function neighbourAdvert(me: Identity, frame: Uint8Array, p: Extract<ParsedPacket, { kind: 'ip' }>): Uint8Array | null {
  const { ip } = p;
  if (ip.family !== 6 || ip.proto !== IPPROTO_ICMPV6 || ip.l4Length < 24 || frame[ip.l4Offset] !== 135 || frame[ip.ipOffset + 7] !== 255) return null;
  const target = frame.slice(ip.l4Offset + 8, ip.l4Offset + 24);
  if (!ownsIp(me, 6, target)) return null;
  const unspecified = ip.src.every((b) => b === 0);
  const na = new Uint8Array(32);
  na[0] = 136;
  na[4] = unspecified ? 0x20 : 0x60; // override, and solicited unless answering DAD
  na.set(target, 8);
  na[24] = 2; // target link-layer address option
  na[25] = 1;
  na.set(me.mac, 26);
  // DAD probes (unspecified source) are answered to all-nodes
  const dst = unspecified ? Uint8Array.from([0xff, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]) : ip.src;
  fillL4Checksum(6, target, dst, IPPROTO_ICMPV6, na, 2);
  const dstMac = unspecified ? Uint8Array.from([0x33, 0x33, 0, 0, 0, 1]) : p.srcMac;
  return ethernet(dstMac, me.mac, ETHERTYPE_IPV6, ipPacket(6, target, dst, IPPROTO_ICMPV6, na, 255));
}

/**
 * The RST a closed port answers a TCP segment with (RFC 9293 3.10.7.1): to a segment with
 * ACK, <SEQ=SEG.ACK><CTL=RST>; otherwise <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>, where
 * SYN and FIN count in SEG.LEN. Null for a segment that is itself a RST.
 */
export function tcpReset(me: Identity, frame: Uint8Array, p: Extract<ParsedPacket, { kind: 'ip' }>): Uint8Array | null {
  const { ip, l4 } = p;
  if (!l4 || l4.proto !== 'tcp' || l4.flags & TCP_RST) return null;
  const dataLength = Math.max(0, ip.l4Length - l4.dataOffset);
  const seg = new Uint8Array(20);
  const v = view(seg);
  v.setUint16(0, l4.dstPort);
  v.setUint16(2, l4.srcPort);
  if (l4.flags & TCP_ACK) {
    v.setUint32(4, l4.ack);
    seg[13] = TCP_RST;
  } else {
    const len = dataLength + (l4.flags & TCP_SYN ? 1 : 0) + (l4.flags & TCP_FIN ? 1 : 0);
    v.setUint32(8, (l4.seq + len) >>> 0);
    seg[13] = TCP_RST | TCP_ACK;
  }
  seg[12] = 5 << 4;
  fillL4Checksum(ip.family, ip.dst, ip.src, IPPROTO_TCP, seg, 16);
  return ethernet(p.srcMac, me.mac, ip.family === 4 ? ETHERTYPE_IPV4 : ETHERTYPE_IPV6, ipPacket(ip.family, ip.dst, ip.src, IPPROTO_TCP, seg));
}

/**
 * ICMP destination unreachable, port unreachable (IPv4 type 3 code 3; IPv6 type 1 code 4),
 * quoting as much of the datagram as fits in 576 (IPv4) or 1280 (IPv6) bytes. Null for a
 * datagram to a multicast or broadcast MAC.
 */
export function portUnreachable(me: Identity, frame: Uint8Array, p: Extract<ParsedPacket, { kind: 'ip' }>): Uint8Array | null {
  const { ip } = p;
  if (p.dstMac[0] & 1) return null;
  const original = frame.subarray(ip.ipOffset, ip.l4Offset + ip.l4Length);
  const room = ip.family === 4 ? 576 - 20 - 8 : 1280 - 40 - 8;
  const quoted = original.subarray(0, Math.min(original.length, room));
  const icmp = new Uint8Array(8 + quoted.length);
  icmp.set(quoted, 8);
  if (ip.family === 4) {
    icmp[0] = 3;
    icmp[1] = 3;
    view(icmp).setUint16(2, internetChecksum(icmp));
  } else {
    icmp[0] = 1;
    icmp[1] = 4;
    fillL4Checksum(6, ip.dst, ip.src, IPPROTO_ICMPV6, icmp, 2);
  }
  const proto = ip.family === 4 ? IPPROTO_ICMP : IPPROTO_ICMPV6;
  return ethernet(p.srcMac, me.mac, ip.family === 4 ? ETHERTYPE_IPV4 : ETHERTYPE_IPV6, ipPacket(ip.family, ip.dst, ip.src, proto, icmp));
}

/**
 * The connection an ICMP error is about: the quoted datagram was sent by the cluster, so its
 * destination is the remote end. Returns the quoted packet's (proto, local port, remote
 * address, remote port), or null.
 */
export function icmpErrorQuote(frame: Uint8Array, p: Extract<ParsedPacket, { kind: 'ip' }>): { family: Family; proto: Proto; localPort: number; remote: Uint8Array; remotePort: number } | null {
  const { ip } = p;
  const o = ip.l4Offset;
  if (ip.l4Length < 8) return null;
  const type = frame[o];
  const isError = ip.family === 4 ? type === 3 || type === 11 || type === 12 : type >= 1 && type <= 4;
  if (!isError || (ip.family === 4 ? ip.proto !== IPPROTO_ICMP : ip.proto !== IPPROTO_ICMPV6)) return null;
  const inner = frame.subarray(o + 8, o + ip.l4Length);
  const v = view(inner);
  let proto: number;
  let l4: number;
  const remote = new Uint8Array(16);
  if (ip.family === 4) {
    if (inner.length < 20 || inner[0] >> 4 !== 4) return null;
    l4 = (inner[0] & 0xf) * 4;
    proto = inner[9];
    remote.set(inner.subarray(16, 20), 12);
  } else {
    if (inner.length < 40 || inner[0] >> 4 !== 6) return null;
    l4 = 40;
    proto = inner[6];
    remote.set(inner.subarray(24, 40));
  }
  if ((proto !== IPPROTO_TCP && proto !== IPPROTO_UDP) || inner.length < l4 + 4) return null;
  return { family: ip.family, proto: proto === IPPROTO_TCP ? 'tcp' : 'udp', localPort: v.getUint16(l4), remote, remotePort: v.getUint16(l4 + 2) };
}

export const isBroadcastOrFor = (mac: Uint8Array, me: Identity): boolean => equalBytes(mac, BROADCAST_MAC) || equalBytes(mac, me.mac) || (mac[0] === 0x33 && mac[1] === 0x33);
