// `cluster demo --syn-flood N`: spoofed TCP SYNs to the shared port while the real connections
// run, sent from the client's namespace on its wire (a packet socket, so the client's own stack
// never sees them). Sources are drawn from the benchmarking range 198.18.0.0/15 (RFC 2544), which
// no namespace of the cluster routes anywhere: the processors' SYN-ACKs to them find no route and
// are dropped inside the processor namespaces. Bounded three ways: N frames, a rate, a time limit.
import { openPacketSocket } from '../../native/packet.js';
import { parseIp } from '../codec/ip.js';
import { parseMac } from '../codec/mac.js';
import { TCP_SYN, tcpFrame } from '../codec/packet.js';

/** 198.18.0.0/15: 131,072 source addresses. */
export const FLOOD_SOURCES = '198.18.0.0/15';
const FLOOD_BASE = (198 << 24) | (18 << 16);
const FLOOD_SIZE = 1 << 17;

export interface SynFloodOptions {
  /** The interface the SYNs leave on (the client's wire). */
  interface: string;
  /** Destination MAC (the cluster's) and address, and the port the SYNs ask for. */
  dstMac: string;
  dstIp: string;
  dstPort: number;
  count: number;
  ratePerSecond: number;
  /** Stop after this long even if not all were sent. */
  maxMs: number;
  seed?: number;
  signal?: AbortSignal;
  onProgress?(sent: number): void;
}

export interface SynFloodResult {
  sent: number;
  sendErrors: number;
  elapsedMs: number;
  ratePerSecond: number;
  sources: string;
  /** Why it stopped before sending them all ('time', 'abort'), or null. */
  cutShort: 'time' | 'abort' | null;
}

/** The i-th spoofed SYN of a seeded stream: source address, source port and sequence number drawn from the seed. */
export function* floodSyns(o: { srcMac: Uint8Array; dstMac: Uint8Array; dst: Uint8Array; dstPort: number; seed: number }): Generator<Uint8Array> {
  let x = o.seed >>> 0 || 1;
  // xorshift32: enough to scatter sources over the /15 and the tuples over the hash slots
  const next = () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>>= 0);
  };
  const src = new Uint8Array(16);
  for (;;) {
    const a = (FLOOD_BASE + (next() % FLOOD_SIZE)) >>> 0;
    src.set([a >>> 24, (a >>> 16) & 0xff, (a >>> 8) & 0xff, a & 0xff], 12);
    yield tcpFrame({ dstMac: o.dstMac, srcMac: o.srcMac, family: 4, src, dst: o.dst, srcPort: 1024 + (next() % 64512), dstPort: o.dstPort, seq: next(), flags: TCP_SYN });
  }
}

/** Sends the flood, paced against the wall clock in batches (one send(2) call per frame, one addon call per batch). */
export async function sendSynFlood(o: SynFloodOptions): Promise<SynFloodResult> {
  const dst = parseIp(o.dstIp);
  if (dst.family !== 4) throw new RangeError(`the SYN flood is IPv4 (its sources are ${FLOOD_SOURCES}); ${o.dstIp} is IPv6`);
  const socket = openPacketSocket(o.interface);
  const frames = floodSyns({ srcMac: socket.mac, dstMac: parseMac(o.dstMac), dst: dst.bytes, dstPort: o.dstPort, seed: o.seed ?? 1 });
  const start = performance.now();
  let sent = 0;
  let sendErrors = 0;
  let cutShort: SynFloodResult['cutShort'] = null;
  try {
    while (sent < o.count) {
      if (o.signal?.aborted) {
        cutShort = 'abort';
        break;
      }
      const elapsed = performance.now() - start;
      if (elapsed > o.maxMs) {
        cutShort = 'time';
        break;
      }
      const due = Math.min(o.count, Math.floor((o.ratePerSecond * elapsed) / 1000)) - sent;
      if (due > 0) {
        const n = Math.min(due, 1024);
        const batch = Array.from({ length: n }, () => frames.next().value as Uint8Array);
        const data = new Uint8Array(batch.reduce((a, f) => a + f.length, 0));
        let at = 0;
        for (const f of batch) {
          data.set(f, at);
          at += f.length;
        }
        const r = socket.send(data, Uint32Array.from(batch, (f) => f.length));
        sent += n;
        sendErrors += r.errors;
        o.onProgress?.(sent);
      }
      await new Promise((r) => setTimeout(r, 2));
    }
  } finally {
    socket.close();
  }
  const elapsedMs = Math.round(performance.now() - start);
  return { sent, sendErrors, elapsedMs, ratePerSecond: elapsedMs > 0 ? Math.round((sent * 1000) / elapsedMs) : 0, sources: FLOOD_SOURCES, cutShort };
}
