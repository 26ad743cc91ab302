// The frame port on a real interface (AF_PACKET, host/native/packet.cpp): how the roles run in
// front of the board, with no simulator and no adapter process. The board sends queue 0 to the
// primary's interface and queue p to processor p's; the primary hands slow-path frames to a
// processor by sending them to that processor's MAC on the same Ethernet, and a monitor sees its
// own stack's SYNs on its own interface. The Unix-socket frame port (frame-port-socket.ts) is
// the other transport behind the same FramePort interface.
//
// What each request means here:
// - claimQueue(0): every frame the interface receives addressed to it (its MAC, broadcast or
//   multicast: sll_pkttype HOST/BROADCAST/MULTICAST) is a queue-0 frame; frames for other
//   hosts that a switch floods (OTHERHOST) are counted and ignored. Only queue 0 exists here.
// - watchConnectionRequests(q): incoming TCP SYNs without ACK become connection requests of q.
// - watchConnectionOpens(p): SYNs without ACK this host sends (PACKET_OUTGOING) become p's
//   connection opens.
// - deliver(p, frame): the frame with its destination MAC set to processor p's (setProcessorMac,
//   from p's hello) and its source MAC to this interface's is sent on the interface. The source
//   matters on a learning switch: sent with the client's MAC as source, the switch would move the
//   client to the primary's port, and the processors' replies to the client would go there.
// - transmit(frame): sent on the interface as it is.
// A packet socket does not see the frames it sent itself.
import type { FrameEvent, FramePort } from './frame-port.js';
import { FramePortError } from './frame-port-socket.js';
import { openPacketSocket, pollPackets, PACKET_TYPE, type PacketSocket } from '../../native/packet.js';
import { formatMac } from '../codec/mac.js';
import { TCP_SYN_FILTER } from './syn-filter.js';

export interface PacketFramePortOptions {
  /** Only TCP SYNs without ACK reach the socket (a monitor's port): the kernel filters the rest. */
  synOnly?: boolean;
  /** How long one poll waits before it looks whether the port was closed (default 100 ms). */
  pollMs?: number;
}

export interface PacketFramePortStats {
  interface: string;
  mac: string;
  /** Frames the socket read. */
  received: number;
  /** Incoming frames passed on as queue 0 frames. */
  queueFrames: number;
  connectionRequests: number;
  connectionOpens: number;
  /** Incoming frames addressed to another host (a switch flooding), not passed on. */
  otherHost: number;
  /** Incoming frames nobody asked for (no claim, no watch, or not a SYN for a watcher). */
  unclaimed: number;
  /** Frames longer than 65,536 bytes the socket dropped. */
  truncated: number;
  sent: number;
  sendErrors: number;
}

export class PacketFramePort implements FramePort {
  private readonly listeners: ((event: FrameEvent) => void)[] = [];
  private readonly closeListeners: ((err?: Error) => void)[] = [];
  private readonly processorMacs = new Map<number, Uint8Array>();
  private queue0 = false;
  private readonly requestQueues = new Set<number>();
  private readonly openProcessors = new Set<number>();
  private closed = false;
  private loop?: Promise<void>;
  private readonly counts = { received: 0, queueFrames: 0, connectionRequests: 0, connectionOpens: 0, otherHost: 0, unclaimed: 0, truncated: 0, sent: 0, sendErrors: 0 };

  private constructor(
    private readonly socket: PacketSocket,
    private readonly pollMs: number,
  ) {}

  /** Opens a packet socket on the interface and starts reading it. Needs CAP_NET_RAW. */
  static open(iface: string, options: PacketFramePortOptions = {}): PacketFramePort {
    let socket: PacketSocket;
    try {
      socket = openPacketSocket(iface, options.synOnly ? TCP_SYN_FILTER : undefined);
    } catch (err) {
      const e = err as Error & { code?: string };
      const hint = e.code === 'EPERM' ? ' (a packet socket needs CAP_NET_RAW: run as root)' : '';
      throw new FramePortError('ENOADAPTER', `cannot open a packet socket on interface ${iface}: ${e.message}${hint}`, { cause: err });
    }
    const port = new PacketFramePort(socket, options.pollMs ?? 100);
    port.loop = port.readLoop();
    return port;
  }

  get interfaceName(): string {
    return this.socket.name;
  }

  /** The interface's MAC address. */
  get mac(): Uint8Array {
    return this.socket.mac;
  }

  async claimQueue(queue: number): Promise<void> {
    this.checkOpen();
    if (queue !== 0) throw new FramePortError('EINVAL', `interface ${this.socket.name} carries queue 0 only (the board sends queue ${queue} to its processor's interface), not queue ${queue}`);
    this.queue0 = true;
  }

  async watchConnectionRequests(queue: number): Promise<void> {
    this.checkOpen();
    this.requestQueues.add(checkNumber('queue', queue));
  }

  async watchConnectionOpens(processor: number): Promise<void> {
    this.checkOpen();
    this.openProcessors.add(checkNumber('processor', processor));
  }

  onFrame(listener: (event: FrameEvent) => void): void {
    this.listeners.push(listener);
  }

  /** Called once when the port ends (the interface went away, or close()). */
  onClose(listener: (err?: Error) => void): void {
    this.closeListeners.push(listener);
  }

  /** Where deliver(p) sends: processor p's MAC (the primary learns it from p's hello). */
  setProcessorMac(processor: number, mac: Uint8Array): void {
    checkNumber('processor', processor);
    if (mac.length !== 6) throw new FramePortError('EINVAL', `processor ${processor}'s MAC must have 6 bytes, got ${mac.length}`);
    this.processorMacs.set(processor, Uint8Array.from(mac));
  }

  processorMac(processor: number): Uint8Array | undefined {
    return this.processorMacs.get(processor);
  }

  async deliver(processor: number, frame: Uint8Array): Promise<void> {
    const mac = this.processorMacs.get(processor);
    if (!mac) throw new FramePortError('EINVAL', `processor ${processor}'s MAC is not known yet (it comes with its monitor's hello), frame not delivered`);
    if (frame.length < 14) throw new FramePortError('EINVAL', `a frame of ${frame.length} bytes has no Ethernet header`);
    const out = Uint8Array.from(frame);
    out.set(mac, 0);
    out.set(this.socket.mac, 6);
    this.send(out);
  }

  async transmit(frame: Uint8Array): Promise<void> {
    if (frame.length < 14) throw new FramePortError('EINVAL', `a frame of ${frame.length} bytes has no Ethernet header`);
    this.send(frame);
  }

  stats(): PacketFramePortStats {
    return { interface: this.socket.name, mac: formatMac(this.socket.mac), ...this.counts };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.end(new FramePortError('ECLOSED', `packet frame port on ${this.socket.name} closed`));
    // the worker thread may be in poll(2) on the fd: close it only once the loop has returned
    await this.loop;
    this.socket.close();
  }

  private send(frame: Uint8Array): void {
    this.checkOpen();
    const r = this.socket.send(frame, Uint32Array.of(frame.length));
    this.counts.sent += r.written;
    if (r.errors) {
      this.counts.sendErrors += r.errors;
      throw new FramePortError('EREMOTE', `sending a frame of ${frame.length} bytes on ${this.socket.name} failed (errno ${r.errno})`);
    }
  }

  private checkOpen(): void {
    if (this.closed) throw new FramePortError('ECLOSED', `packet frame port on ${this.socket.name} is closed`);
  }

  private async readLoop(): Promise<void> {
    const fds = Int32Array.of(this.socket.fd);
    while (!this.closed) {
      let r;
      try {
        r = await pollPackets(fds, this.pollMs);
      } catch (err) {
        this.end(new FramePortError('ECLOSED', `packet socket on ${this.socket.name}: ${(err as Error).message}`, { cause: err }));
        return;
      }
      this.counts.truncated += r.truncated;
      let at = 0;
      for (let i = 0; i < r.lengths.length; i++) {
        const n = r.lengths[i];
        this.dispatch(r.data.subarray(at, at + n), r.pkttype[i]);
        at += n;
      }
      if (r.errors[0]) {
        this.end(new FramePortError('ECLOSED', `packet socket on ${this.socket.name} failed (errno ${r.errors[0]}): the interface went away or down`));
        return;
      }
    }
  }

  private dispatch(data: Uint8Array, pkttype: number): void {
    this.counts.received++;
    const outgoing = pkttype === PACKET_TYPE.outgoing;
    if (pkttype === PACKET_TYPE.otherhost) {
      this.counts.otherHost++;
      return;
    }
    let passed = false;
    if (!outgoing && this.queue0) {
      this.counts.queueFrames++;
      this.emit({ source: 'queue', queue: 0, frame: Uint8Array.from(data) });
      passed = true;
    }
    const watchers = outgoing ? this.openProcessors : this.requestQueues;
    if (watchers.size && isSynWithoutAck(data)) {
      for (const n of watchers) {
        if (outgoing) {
          this.counts.connectionOpens++;
          this.emit({ source: 'connection-open', processor: n, frame: Uint8Array.from(data) });
        } else {
          this.counts.connectionRequests++;
          this.emit({ source: 'connection-request', queue: n, frame: Uint8Array.from(data) });
        }
      }
      passed = true;
    }
    if (!passed) this.counts.unclaimed++;
  }

  private emit(event: FrameEvent): void {
    for (const l of this.listeners) l(event);
  }

  private end(err: Error): void {
    if (this.closed) return;
    this.closed = true;
    for (const l of this.closeListeners) l(err);
  }
}

/** The check the kernel's TCP_SYN_FILTER makes, again in JS: a port without the filter (the primary's) sees every frame. */
function isSynWithoutAck(f: Uint8Array): boolean {
  if (f.length < 14) return false;
  const type = (f[12] << 8) | f[13];
  let flagsAt: number;
  if (type === 0x0800) {
    if (f.length < 34 || f[23] !== 6 || (((f[20] << 8) | f[21]) & 0x1fff) !== 0) return false;
    flagsAt = 14 + (f[14] & 0x0f) * 4 + 13;
  } else if (type === 0x86dd) {
    if (f.length < 54 || f[20] !== 6) return false;
    flagsAt = 14 + 40 + 13;
  } else return false;
  return flagsAt < f.length && (f[flagsAt] & 0x12) === 0x02;
}

function checkNumber(name: string, v: number): number {
  if (!Number.isInteger(v) || v < 0 || v > 0xffff) throw new FramePortError('EINVAL', `${name} must be an integer 0..65535, got ${v}`);
  return v;
}
