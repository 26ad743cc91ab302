// The primary's queue 0: the frames that matched no rule in the adapter. ARP and ICMP echo
// (and IPv6 neighbour solicitation) for the cluster addresses are answered with the cluster
// MAC; ARP and neighbour advertisements go to every processor (their stacks resolve clients
// through them); a frame whose owner the registry knows goes to it (the slow path, counted by
// why); the rest is answered as a closed port would: TCP with RST, UDP with ICMP port
// unreachable.
import { formatIp } from '../codec/ip.js';
import { arpReply, echoReply, icmpErrorQuote, IPPROTO_ICMPV6, isBroadcastOrFor, neighbourAdvert, ownsIp, parsePacket, portUnreachable, TCP_ACK, TCP_RST, TCP_SYN, tcpReset, type Identity } from '../codec/packet.js';
import type { WireFlow } from './control-protocol.js';
import type { FrameEvent, FramePort } from './frame-port.js';
import type { Registry, Via } from './registry.js';

/** What queue 0 counts (the primary's counters, beside its own processorsLost). */
export interface SlowPathCounters {
  queueFrames: number;
  arpReplies: number;
  arpToProcessors: number;
  neighbourToProcessors: number;
  echoReplies: number;
  neighbourAdverts: number;
  /** Frames handed to their owner because they missed the adapter's tables, by why. */
  slowPath: Record<Via | 'icmp-error', number>;
  resets: number;
  portUnreachables: number;
  /** Frames not for the cluster, or nothing to do with (fragments, unknown protocols). */
  ignored: number;
  deliverErrors: number;
  /** Frames with no owner dropped (not answered) while processors found at start had not said hello yet. */
  heldWhileReclaiming: number;
}

export interface SlowPathOptions {
  port: FramePort;
  identity: Identity;
  /** Processors 1..processors (queue p = processor p). */
  processors: number;
  registry: Registry;
  /** Counted into; the primary reports them. */
  counters: SlowPathCounters;
  /** Whether processors found in the table at start are still to say hello (their port ranges are unknown). */
  reclaiming(): boolean;
  /** The MAC the board's egress rewrite gives queue 0's frames (the primary's interface): such frames count as the cluster's. */
  queue0Mac?: Uint8Array;
  /**
   * Hardware pinning: a TCP frame (not a connection request, not RST) of a connection to a
   * listen port, or to a processor's own port range (the reply to a connection it opened),
   * reached queue 0, so the adapter did not learn the connection (refused, or aged): the owner
   * may have it pinned by the host. Called after the frame is delivered.
   */
  unpinned?(flow: WireFlow, owner: number): void;
  log(line: string): void;
}

export class SlowPath {
  private readonly me: Identity;
  private readonly counters: SlowPathCounters;
  private stopped = false;

  constructor(private readonly o: SlowPathOptions) {
    this.me = o.identity;
    this.counters = o.counters;
  }

  /** Takes queue 0's frames from the frame port from now on (claiming the queue is the caller's). */
  start(): void {
    this.o.port.onFrame((e) => this.onFrame(e));
  }

  /** Ignores every frame from now on. */
  stop(): void {
    this.stopped = true;
  }

  private onFrame(e: FrameEvent): void {
    if (this.stopped || e.source !== 'queue' || e.queue !== 0) return;
    this.counters.queueFrames++;
    try {
      this.frame(e.frame);
    } catch (err) {
      this.counters.ignored++;
      this.o.log(`queue 0: frame of ${e.frame.length} bytes not handled: ${(err as Error).message}`);
    }
  }

  /** Handles one frame of queue 0. */
  frame(frame: Uint8Array): void {
    const p = parsePacket(frame);
    if (p.kind === 'other' || !(isBroadcastOrFor(p.dstMac!, this.me) || this.rewrittenForQueue0(p.dstMac!))) {
      this.counters.ignored++;
      return;
    }
    if (p.kind === 'arp') {
      const reply = arpReply(this.me, p.arp);
      if (reply) {
        this.counters.arpReplies++;
        this.send(reply);
      } else if (p.arp.op === 2 || p.arp.op === 1) {
        // replies to the processors' own requests (and gratuitous ARP) reach every processor
        this.counters.arpToProcessors++;
        this.toEveryProcessor(frame);
      } else this.counters.ignored++;
      return;
    }
    const { ip, l4 } = p;
    if (ip.proto === IPPROTO_ICMPV6 && ip.l4Length >= 4 && frame[ip.l4Offset] >= 133 && frame[ip.l4Offset] <= 137) {
      const na = neighbourAdvert(this.me, frame, p);
      if (na) {
        this.counters.neighbourAdverts++;
        this.send(na);
      } else if (frame[ip.l4Offset] === 136 || frame[ip.l4Offset] === 135) {
        this.counters.neighbourToProcessors++;
        this.toEveryProcessor(frame);
      } else this.counters.ignored++;
      return;
    }
    if (!ownsIp(this.me, ip.family, ip.dst)) {
      this.counters.ignored++;
      return;
    }
    const echo = echoReply(this.me, frame, p);
    if (echo) {
      this.counters.echoReplies++;
      this.send(echo);
      return;
    }
    const quote = icmpErrorQuote(frame, p);
    if (quote) {
      const flow: WireFlow = { family: quote.family, proto: quote.proto, srcIp: formatIp(quote.remote, quote.family), srcPort: quote.remotePort, dstIp: formatIp(ip.dst, ip.family), dstPort: quote.localPort };
      const r = this.o.registry.route(flow);
      if (r) {
        this.counters.slowPath['icmp-error']++;
        this.deliver(r.owner, frame);
      } else this.counters.ignored++;
      return;
    }
    if (!l4 || ip.fragment) {
      this.counters.ignored++;
      return;
    }
    const flow: WireFlow = { family: ip.family, proto: l4.proto, srcIp: formatIp(ip.src, ip.family), srcPort: l4.srcPort, dstIp: formatIp(ip.dst, ip.family), dstPort: l4.dstPort };
    const r = this.o.registry.route(flow);
    if (r) {
      this.counters.slowPath[r.via]++;
      this.deliver(r.owner, frame);
      // a handshake's ACK or later: a real connection (a spoofed SYN never gets this far)
      const request = (l4.flags & (TCP_SYN | TCP_ACK)) === TCP_SYN;
      if (l4.proto === 'tcp' && (r.via === 'listen' || r.via === 'group' || r.via === 'range') && !request && !(l4.flags & TCP_RST)) this.o.unpinned?.(flow, r.owner);
      return;
    }
    if (this.o.reclaiming()) {
      // after a restart, until every processor found in the table is back, a port may be in a
      // local port range not announced yet: let the sender retry rather than reset it
      this.counters.heldWhileReclaiming++;
      return;
    }
    const answer = l4.proto === 'tcp' ? tcpReset(this.me, frame, p) : portUnreachable(this.me, frame, p);
    if (!answer) {
      this.counters.ignored++;
      return;
    }
    if (l4.proto === 'tcp') this.counters.resets++;
    else this.counters.portUnreachables++;
    this.send(answer);
  }

  private rewrittenForQueue0(dst: Uint8Array): boolean {
    const q0 = this.o.queue0Mac;
    return q0 !== undefined && q0.every((b, i) => dst[i] === b);
  }

  private toEveryProcessor(frame: Uint8Array): void {
    for (let q = 1; q <= this.o.processors; q++) this.deliver(q, frame);
  }

  private deliver(processor: number, frame: Uint8Array): void {
    this.o.port.deliver(processor, frame).catch((err) => {
      this.counters.deliverErrors++;
      if (this.counters.deliverErrors <= 10) this.o.log(`deliver to processor ${processor} failed: ${err.message}`);
    });
  }

  private send(frame: Uint8Array): void {
    this.o.port.transmit(frame).catch((err) => {
      this.counters.deliverErrors++;
      if (this.counters.deliverErrors <= 10) this.o.log(`transmit failed: ${err.message}`);
    });
  }
}
