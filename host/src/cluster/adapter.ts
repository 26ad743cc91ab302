// The one-machine cluster's adapter process: a Verilated sipnic_core between TAP devices.
//
//   wire TAP (client namespace) ──read──► model ──► queue 0 ─► the claimant of queue 0 (the primary), frame port
//                                                 └► queue p ─► processor p's TAP (fast path), unless claimed
//   processor p's TAP ──read──► wire TAP (copies of SYNs to watchers of p's opens)
//   frame port deliver(p, f) ─► processor p's TAP (via primary);  transmit(f) ─► wire TAP
//
// One thread owns the model: the loop runs in the JS thread, the TAP reads happen in
// pollTaps' worker thread, and register-bus requests (serveSharedBus) and frame-port requests run
// between loop iterations. The loop blocks in poll() when there is nothing to do.
import { writeFileSync, renameSync, rmSync } from 'node:fs';
import type { Sim, SimOptions } from '../../../sim/addon.js';
import { packFrames } from '../../../sim/addon.js';
import { SimBus } from '../bus/sim-bus.js';
import { Adapter } from '../driver/index.js';
import type { SimServer } from '../bus/socket-bus.js';
import { serveSharedBus } from './adapter-bus.js';
import type { Tap, TapPollResult } from '../../native/tap.js';
import { FramePortError, serveFramePort, type FramePortHandler, type FramePortPeer, type FramePortServer } from './frame-port-socket.js';
import { toWireFlow, wireFlowKey } from './control-protocol.js';
import { parsePacket, TCP_ACK, TCP_SYN } from '../codec/packet.js';
import { trace, tracing, traceNow } from './trace.js';

/** The flow key of a TCP/UDP frame from the wire (tracing only), or undefined. */
function frameKey(f: Uint8Array): string | undefined {
  try {
    const p = parsePacket(f);
    if (p.kind !== 'ip' || !p.l4) return undefined;
    return wireFlowKey(toWireFlow({ family: p.ip.family, proto: p.l4.proto, srcIp: p.ip.src, srcPort: p.l4.srcPort, dstIp: p.ip.dst, dstPort: p.l4.dstPort }));
  } catch {
    return undefined;
  }
}

export interface ProcessorStats {
  processor: number;
  /** Frames the model steered to queue p and the adapter wrote into p's TAP. */
  fastPath: number;
  /** Of those, connection requests (TCP SYN without ACK): they take the fast path by their listen rule, pinned or not. */
  fastPathRequests: number;
  /** Frames the primary handed to p with deliver(). */
  viaPrimary: number;
  /** Frames p's stack sent, written to the wire. */
  transmitted: number;
  /** Frames p's TAP refused (device down, namespace gone). */
  writeErrors: number;
}

export interface AdapterStats {
  uptimeMs: number;
  processors: ProcessorStats[];
  fastPath: number;
  viaPrimary: number;
  /** idlePolls: loop iterations that found no frame waiting on the wire TAP (two after a moment mean everything sent before it was steered). */
  wire: { received: number; transmitted: number; fromPrimary: number; writeErrors: number; idlePolls: number };
  /** Frames of each queue the model delivered, and what became of queue-0/claimed frames. */
  queues: number[];
  toClaimants: number;
  /** Queue frames nobody took: an unclaimed queue 0, or a queue with no processor behind it. */
  unclaimedDrops: number;
  slowConsumerDrops: number;
  modelDrops: number;
  claims: Record<string, string>;
  /** agingPasses: aging passes the adapter ran the model for (none while no entry can age). */
  loop: { iterations: number; busyMs: number; maxBatch: number; agingPasses: number };
  /** Flow entries in the table (flow.COUNT) and its capacity. */
  table: { flows: number; flowCapacity: number };
}

export interface ClusterAdapterOptions {
  processors: number;
  /** Register bus socket (socket-bus.ts protocol; every connection served, requests one at a time, one owner changes the table: adapter-bus.ts). */
  busPath: string;
  framePortPath: string;
  width?: 8 | 64;
  /** TAP name to ask the kernel for; `%d` lets it pick a free number. */
  tapName?: string;
  /** Written (atomically) once everything is up: {pid, taps, bus, framePort, queues}. */
  readyFile?: string;
  createSim: (options: SimOptions) => Sim;
  openTap: (name: string) => Tap;
  pollTaps: (fds: Int32Array, timeoutMs: number, maxPerFd: number) => Promise<TapPollResult>;
  log?: (line: string) => void;
}

export interface AdapterReady {
  pid: number;
  taps: { wire: string; processors: string[] };
  bus: string;
  framePort: string;
  queues: number;
}

const POLL_MS = 100;
/** How often the aging clock follows real time and the sweep runs (learning engine only). */
const AGING_MS = 100;
/** The most of the adapter's time aging passes take (they are spaced by their own duration). */
const AGING_SHARE = 0.25;
const NOW_MS_MASK = 0x7fffff;
const AGING_CLOCKS_PER_SLOT = 8;
/** Clocks run after up to LEARN_REQUESTS connection requests so the learns they started are done (each typically 25-40; the 4th of a queue within 141 at width 64, behind host commands and sweep deletes: docs/architecture.md). */
const LEARN_SETTLE_CLOCKS = 160;
/** The learning engine's request queue (sipnic_core LEARN_REQUESTS): requests that can wait without a busy refusal. */
const LEARN_REQUESTS = 4;
const MAX_PER_FD = 256;

/** The TCP flags of a frame (untagged IPv4 or IPv6 with the whole TCP header: parsePacket), or -1 when it is not TCP. */
function tcpFlags(f: Uint8Array): number {
  const p = parsePacket(f);
  return p.kind === 'ip' && p.l4?.proto === 'tcp' ? p.l4.flags : -1;
}

/** A TCP SYN without ACK. */
const isConnectionRequest = (f: Uint8Array): boolean => {
  const flags = tcpFlags(f);
  return flags >= 0 && (flags & (TCP_SYN | TCP_ACK)) === TCP_SYN;
};

export class ClusterAdapter {
  private readonly sim: Sim;
  private readonly wire: Tap;
  private readonly taps: Tap[]; // index p-1
  private bus?: SimBus;
  private busServer?: SimServer;
  private portServer?: FramePortServer;
  private readonly claims = new Map<number, FramePortPeer>();
  private readonly requestWatchers = new Map<number, Set<FramePortPeer>>();
  private readonly openWatchers = new Map<number, Set<FramePortPeer>>();
  private readonly procStats: ProcessorStats[];
  private readonly started = Date.now();
  private readonly counts = { wireRx: 0, wireIdlePolls: 0, wireTx: 0, fromPrimary: 0, wireErrors: 0, toClaimants: 0, unclaimed: 0, slow: 0, modelDrops: 0, iterations: 0, busyMs: 0, maxBatch: 0, agingPasses: 0 };
  private readonly queueFrames: number[];
  private readonly dead = new Set<number>(); // poll indexes that reported an error
  private flowCountAddr = -1;
  private flowCapacity = 0;
  /** flow NOW_MS when the model has the learning engine (-1: none) */
  private nowMsAddr = -1;
  /** regBatch reads of LEARNED, AGED_EMBRYONIC/ESTABLISHED/CLOSING and HOST_TIMEOUT1..3_MS (mayAge). */
  private mayAgeReads = new Uint32Array(0);
  private nextAgingAt = 0;
  /** The model learns from what the processors send (learning engine and transmit snoop). */
  private transmitLearning = false;
  private running = true;
  private loopDone?: Promise<void>;
  readonly queues: number;

  private constructor(private readonly options: ClusterAdapterOptions) {
    const { processors } = options;
    this.sim = options.createSim({ width: options.width ?? 64 });
    this.queues = (this.sim as Sim & { queues?: number }).queues ?? 8;
    if (!Number.isInteger(processors) || processors < 1 || processors > this.queues - 1) {
      this.sim.close();
      throw new FramePortError('EINVAL', `--processors ${processors}: the adapter has ${this.queues} queues, so 1..${this.queues - 1} processors (queue 0 is the primary's)`);
    }
    this.queueFrames = new Array(this.queues).fill(0);
    const opened: Tap[] = [];
    try {
      const name = options.tapName ?? 'sn%d';
      for (let i = 0; i <= processors; i++) opened.push(options.openTap(name));
    } catch (err) {
      for (const t of opened) t.close();
      this.sim.close();
      throw err;
    }
    [this.wire, ...this.taps] = opened;
    this.procStats = this.taps.map((_, i) => ({ processor: i + 1, fastPath: 0, fastPathRequests: 0, viaPrimary: 0, transmitted: 0, writeErrors: 0 }));
  }

  /** Opens the TAPs, starts the model, serves the bus and the frame port, starts the loop. */
  static async start(options: ClusterAdapterOptions): Promise<ClusterAdapter> {
    const a = new ClusterAdapter(options);
    try {
      a.bus = new SimBus(a.sim);
      const driver = await Adapter.open(a.bus);
      a.flowCountAddr = driver.reg('flow', 'COUNT');
      a.flowCapacity = driver.info.flowEntries + driver.info.flowStash;
      if (driver.info.learning) {
        a.nowMsAddr = driver.reg('flow', 'NOW_MS');
        const regs = ['LEARNED', 'AGED_EMBRYONIC', 'AGED_ESTABLISHED', 'AGED_CLOSING', 'HOST_TIMEOUT1_MS', 'HOST_TIMEOUT2_MS', 'HOST_TIMEOUT3_MS'];
        a.mayAgeReads = Uint32Array.from(regs.flatMap((r) => [0, driver.reg('flow', r), 0]));
        a.transmitLearning = typeof a.sim.sendTransmit === 'function';
      }
      a.busServer = await serveSharedBus(a.bus, options.busPath, { width: a.sim.width, bases: driver.bases });
      a.portServer = await serveFramePort(options.framePortPath, a.handler());
    } catch (err) {
      await a.close();
      throw err;
    }
    a.loopDone = a.loop();
    if (options.readyFile) {
      const ready: AdapterReady = {
        pid: process.pid,
        taps: { wire: a.wire.name, processors: a.taps.map((t) => t.name) },
        bus: options.busPath,
        framePort: options.framePortPath,
        queues: a.queues,
      };
      writeFileSync(options.readyFile + '.tmp', JSON.stringify(ready) + '\n');
      renameSync(options.readyFile + '.tmp', options.readyFile);
    }
    return a;
  }

  get tapNames(): { wire: string; processors: string[] } {
    return { wire: this.wire.name, processors: this.taps.map((t) => t.name) };
  }

  stats(): AdapterStats {
    const c = this.counts;
    return {
      uptimeMs: Date.now() - this.started,
      processors: this.procStats.map((p) => ({ ...p })),
      fastPath: this.procStats.reduce((n, p) => n + p.fastPath, 0),
      viaPrimary: this.procStats.reduce((n, p) => n + p.viaPrimary, 0),
      wire: { received: c.wireRx, transmitted: c.wireTx, fromPrimary: c.fromPrimary, writeErrors: c.wireErrors, idlePolls: c.wireIdlePolls },
      queues: [...this.queueFrames],
      toClaimants: c.toClaimants,
      unclaimedDrops: c.unclaimed,
      slowConsumerDrops: c.slow,
      modelDrops: c.modelDrops,
      claims: Object.fromEntries([...this.claims].map(([q, p]) => [String(q), p.role || `peer ${p.id}`])),
      loop: { iterations: c.iterations, busyMs: Math.round(c.busyMs * 1000) / 1000, maxBatch: c.maxBatch, agingPasses: c.agingPasses },
      // a plain register read between two bus requests: it changes nothing a client stages
      table: { flows: this.flowCountAddr >= 0 ? this.sim.regRead(this.flowCountAddr) : 0, flowCapacity: this.flowCapacity },
    };
  }

  async close(): Promise<void> {
    if (!this.running && this.closed) return this.closed;
    this.running = false;
    this.closed = this.shutdown();
    return this.closed;
  }

  private closed?: Promise<void>;

  private async shutdown(): Promise<void> {
    await this.loopDone?.catch(() => undefined);
    await this.portServer?.close();
    await this.busServer?.close();
    await this.bus?.close();
    for (const t of [this.wire, ...this.taps]) t?.close();
    this.sim.close();
    if (this.options.readyFile) rmSync(this.options.readyFile, { force: true });
  }

  // ─────────────── the loop ───────────────

  private async loop(): Promise<void> {
    const all = [this.wire, ...this.taps];
    let fds = Int32Array.from(all, (t) => t.fd);
    while (this.running) {
      const live = fds.filter((_, i) => !this.dead.has(i));
      if (live.length === 0) {
        await new Promise((r) => setTimeout(r, POLL_MS));
        continue;
      }
      const r = await this.options.pollTaps(fds, POLL_MS, MAX_PER_FD);
      if (!this.running) break;
      const t0 = performance.now();
      const w0 = tracing ? traceNow() : 0;
      this.counts.iterations++;
      for (let k = 0; k < r.errors.length; k++) {
        if (r.errors[k] !== 0 && !this.dead.has(k)) {
          this.dead.add(k);
          this.options.log?.(`TAP ${all[k].name} reported errno ${r.errors[k]}; no longer read`);
        }
      }
      if (this.dead.size) fds = Int32Array.from(all, (t, i) => (this.dead.has(i) ? -1 : t.fd)); // poll ignores negative fds
      if (r.lengths.length > this.counts.maxBatch) this.counts.maxBatch = r.lengths.length;
      this.process(r);
      this.age();
      this.counts.busyMs += performance.now() - t0;
      if (tracing) trace('iter', { t0: w0, frames: r.lengths.length });
    }
  }

  /**
   * The model's clock runs only while it has work, so its aging clock would stand still between
   * frames: every AGING_MS the adapter sets NOW_MS to the real time since it started (never
   * back: the model's own millisecond count may be ahead) and runs an aging pass's clocks. A
   * pass checks every slot, a few clocks each: tens of ms of the model. So none runs while no
   * entry can age, and passes are spaced so they take at most AGING_SHARE of the adapter's time
   * (an entry then goes up to one spacing after its timeout).
   */
  private age(): void {
    if (this.nowMsAddr < 0) return;
    const now = performance.now();
    if (now < this.nextAgingAt) return;
    this.nextAgingAt = now + AGING_MS;
    this.syncClock();
    if (!this.mayAge()) return;
    this.sim.run(this.flowCapacity * AGING_CLOCKS_PER_SLOT);
    this.counts.agingPasses++;
    this.nextAgingAt = now + Math.max(AGING_MS, (performance.now() - now) / AGING_SHARE);
  }

  /** NOW_MS to the real time since the adapter started (never back: the model's own count may be ahead). */
  private syncClock(): void {
    const realMs = Math.floor(Date.now() - this.started) & NOW_MS_MASK;
    const modelMs = this.sim.regRead(this.nowMsAddr);
    if (((realMs - modelMs) & NOW_MS_MASK) < NOW_MS_MASK >> 1 && realMs !== modelMs) this.sim.regWrite(this.nowMsAddr, realMs);
  }

  /**
   * Whether some entry may be able to age: learned entries not all aged (the host may have
   * deleted some, which errs on the side of aging), or a host aging class has a timeout.
   */
  private mayAge(): boolean {
    const [learned, embryonic, established, closing, ...hostTimeouts] = this.sim.regBatch(this.mayAgeReads);
    return ((learned - embryonic - established - closing) | 0) !== 0 || hostTimeouts.some((t) => t !== 0);
  }

  private process(r: TapPollResult): void {
    const wireFrames: Uint8Array[] = [];
    const toWire: Uint8Array[] = [];
    const opened: { frame: Uint8Array; processor: number }[] = [];
    let at = 0;
    for (let i = 0; i < r.lengths.length; i++) {
      const frame = r.data.subarray(at, at + r.lengths[i]);
      at += r.lengths[i];
      const k = r.index[i];
      if (k === 0) {
        wireFrames.push(frame);
        continue;
      }
      this.procStats[k - 1].transmitted++;
      toWire.push(frame);
      if (!isConnectionRequest(frame)) continue;
      if (this.transmitLearning) opened.push({ frame, processor: k });
      const watchers = this.openWatchers.get(k);
      if (watchers?.size) for (const w of watchers) this.sendEvent(w, 'connection-open', k, frame);
    }
    // the reverse entries of the connections the processors open go in before their SYNs leave
    if (opened.length) this.snoop(opened);
    if (toWire.length) this.writeWire(toWire);
    if (wireFrames.length) this.steer(wireFrames);
    else this.counts.wireIdlePolls++;
  }

  /**
   * The connection requests the processors sent, through the model's transmit snoop
   * (transmit-side learning, docs/semantics.md rule 9), cut and settled as steer() does with
   * received ones. Other transmitted frames never touch the table, so they skip the model.
   */
  private snoop(requests: { frame: Uint8Array; processor: number }[]): void {
    for (let i = 0; i < requests.length; i += LEARN_REQUESTS) {
      const group = requests.slice(i, i + LEARN_REQUESTS);
      let bytes = 0;
      for (const { frame, processor } of group) {
        this.sim.sendTransmit!(frame, Uint32Array.of(frame.length), processor);
        bytes += frame.length;
      }
      this.sim.runUntilIdle(bytes + 10_000);
      this.sim.run(LEARN_SETTLE_CLOCKS);
    }
  }

  /** Wire frames through the model; each queue's frames to its claimant or its processor's TAP. */
  private steer(frames: Uint8Array[]): void {
    this.counts.wireRx += frames.length;
    // the batch's hits are stamped with the real time it came in, not the last aging pass's
    if (this.nowMsAddr >= 0) this.syncClock();
    // With the learning engine the batch goes in cut after every LEARN_REQUESTS-th connection
    // request, and the model runs on until those requests' learns are done: a TAP's frames have
    // no wire time between them, and back to back the engine's request queue would overflow
    // and refuse the later requests of a burst as busy.
    const groups: { frames: Uint8Array[]; requests: number }[] = [];
    let group: { frames: Uint8Array[]; requests: number } = { frames: [], requests: 0 };
    for (const f of frames) {
      group.frames.push(f);
      if (this.nowMsAddr >= 0 && isConnectionRequest(f) && ++group.requests === LEARN_REQUESTS) {
        groups.push(group);
        group = { frames: [], requests: 0 };
      }
    }
    if (group.frames.length) groups.push(group);
    for (const g of groups) {
      const { data, lengths } = packFrames(g.frames);
      this.sim.send(data, lengths);
      // every queue drains (ready all ones), so the frames complete within their bytes' clocks
      // plus the pipeline; the bound only guards against a stuck model
      this.sim.runUntilIdle(data.length + 2000 * g.frames.length + 10_000);
      // the requests' learned entries go in after the requests are out: let them, before the next group
      if (g.requests) this.sim.run(LEARN_SETTLE_CLOCKS);
    }
    if (this.sim.pending() > 0) this.options.log?.(`model still holds ${this.sim.pending()} frames after a batch of ${frames.length}`);
    const res = this.sim.collect();
    const perQueue = new Map<number, Uint8Array[]>();
    let off = 0;
    for (let i = 0; i < res.queues.length; i++) {
      const q = res.queues[i];
      const len = res.lengths[i];
      if (q < 0) {
        this.counts.modelDrops++;
        continue;
      }
      const frame = res.data.subarray(off, off + len);
      off += len;
      this.queueFrames[q]++;
      let list = perQueue.get(q);
      if (!list) perQueue.set(q, (list = []));
      list.push(frame);
    }
    for (const [q, list] of perQueue) {
      const watchers = this.requestWatchers.get(q);
      if (watchers?.size) {
        for (const f of list) {
          if (!isConnectionRequest(f)) continue;
          for (const w of watchers) this.sendEvent(w, 'connection-request', q, f);
          if (tracing) trace('syn', { k: frameKey(f), q });
        }
      }
      if (tracing && q === 0) for (const f of list) if (tcpFlags(f) >= 0) trace('q0', { k: frameKey(f) });
      const claimant = this.claims.get(q);
      if (claimant) {
        for (const f of list) if (this.sendEvent(claimant, 'queue', q, f)) this.counts.toClaimants++;
        continue;
      }
      if (q < 1 || q > this.taps.length) {
        this.counts.unclaimed += list.length;
        continue;
      }
      const packed = packFrames(list);
      const w = this.taps[q - 1].write(packed.data, packed.lengths);
      this.procStats[q - 1].fastPath += w.written;
      if (w.written === list.length) this.procStats[q - 1].fastPathRequests += list.filter(isConnectionRequest).length;
      this.procStats[q - 1].writeErrors += w.errors;
    }
  }

  private writeWire(frames: Uint8Array[]): number {
    const packed = packFrames(frames);
    const w = this.wire.write(packed.data, packed.lengths);
    this.counts.wireTx += w.written;
    this.counts.wireErrors += w.errors;
    return w.written;
  }

  private sendEvent(peer: FramePortPeer, source: 'queue' | 'connection-request' | 'connection-open', n: number, frame: Uint8Array): boolean {
    if (peer.send(source, n, frame)) return true;
    this.counts.slow++;
    return false;
  }

  // ─────────────── frame port ───────────────

  private handler(): FramePortHandler {
    const checkQueue = (q: number) => {
      if (q >= this.queues) throw new FramePortError('EINVAL', `queue ${q} does not exist (the adapter has queues 0..${this.queues - 1})`);
    };
    const checkProcessor = (p: number) => {
      if (p < 1 || p > this.taps.length) throw new FramePortError('EINVAL', `processor ${p} does not exist (processors 1..${this.taps.length})`);
    };
    const watch = (map: Map<number, Set<FramePortPeer>>, n: number, peer: FramePortPeer) => {
      let set = map.get(n);
      if (!set) map.set(n, (set = new Set()));
      set.add(peer);
    };
    return {
      hello: () => ({ server: 'sipnic-frame-port', version: 1, processors: this.taps.length, queues: this.queues }),
      claimQueue: (peer, q) => {
        checkQueue(q);
        const holder = this.claims.get(q);
        if (holder && holder !== peer) throw new FramePortError('EBUSY', `queue ${q} is already claimed by ${holder.role || `peer ${holder.id}`}`);
        this.claims.set(q, peer);
        this.options.log?.(`queue ${q} claimed by ${peer.role || `peer ${peer.id}`}`);
      },
      releaseQueue: (peer, q) => {
        if (this.claims.get(q) === peer) this.claims.delete(q);
      },
      watchConnectionRequests: (peer, q) => {
        checkQueue(q);
        watch(this.requestWatchers, q, peer);
      },
      watchConnectionOpens: (peer, p) => {
        checkProcessor(p);
        watch(this.openWatchers, p, peer);
      },
      deliver: (_peer, p, frame) => {
        checkProcessor(p);
        const watchers = this.requestWatchers.get(p);
        if (watchers?.size && isConnectionRequest(frame)) {
          for (const w of watchers) this.sendEvent(w, 'connection-request', p, frame);
          if (tracing) trace('syn', { k: frameKey(frame), q: p, via: 'primary' });
        }
        const w = this.taps[p - 1].write(frame, Uint32Array.of(frame.length));
        this.procStats[p - 1].viaPrimary += w.written;
        this.procStats[p - 1].writeErrors += w.errors;
      },
      transmit: (_peer, frame) => {
        this.counts.fromPrimary += this.writeWire([frame]);
      },
      stats: () => this.stats(),
      disconnected: (peer) => {
        for (const [q, holder] of this.claims) {
          if (holder === peer) {
            this.claims.delete(q);
            this.options.log?.(`queue ${q} released (${peer.role || `peer ${peer.id}`} disconnected)`);
          }
        }
        for (const set of [...this.requestWatchers.values(), ...this.openWatchers.values()]) set.delete(peer);
      },
    };
  }
}
