// The network monitor of one processor: runs in the processor's namespace and keeps the
// adapter's rules in step with what the processor's unmodified stack does.
//
// - Polls /proc/net/{tcp,tcp6,udp,udp6}: a listening socket → `listen` (the primary installs
//   the listen rule, or the group of all listeners of a shared port); a connection that is
//   gone or in TIME_WAIT → `flow-del`; a live connection not yet pinned → `flow-add`.
// - Polling alone is too slow to pin a connection before its handshake ends, so the monitor
//   also takes the adapter's copies of the connection requests steered to its queue and of
//   the SYNs its stack sends, and asks for the exact rule at once. ruleInstallMs is the time
//   from such a copy arriving to the primary's acknowledgement (the rule is then active).
// - Heartbeats carry the monitor's stats; a lost control connection is re-established with
//   backoff and everything is announced again (the primary keeps the rules meanwhile, until
//   the heartbeat timeout).
import { formatIp, parseIp } from '../codec/ip.js';
import {
  ControlClient,
  ControlError,
  formatControlAddress,
  toWireFlow,
  wireFlowKey,
  type ControlAddress,
  type MonitorStats,
  type WireFlow,
  type WireListen,
} from './control-protocol.js';
import type { FrameEvent, FramePort } from './frame-port.js';
import { LIVE_TCP_STATES, parseProcNet, TCP_STATE, type ProcNetFile, type ProcSource } from './monitor-proc.js';
import { parsePacket, TCP_ACK, TCP_SYN } from '../codec/packet.js';
import { trace, tracing, traceNow } from './trace.js';
import { summarize } from '../util/percentiles.js';

export interface MonitorOptions {
  processor: number;
  secret: string;
  primary: ControlAddress;
  framePort: FramePort;
  proc: ProcSource;
  /** /proc poll period (default 100 ms). */
  pollMs?: number;
  /** Ports this processor is willing to share with other processors' listeners: 'all' or a list. */
  share?: 'all' | readonly number[];
  /** This processor's own MAC, told the primary in the hello (--interface: the interface's). */
  mac?: string;
  /** Local port range to announce; default: the namespace's ip_local_port_range. */
  portRange?: [number, number];
  /** A flow pinned from a SYN copy that never shows up in /proc is removed after this long (default 3000 ms). */
  graceMs?: number;
  /** How long a request to the primary may take before it counts as unanswered (default 3000 ms). */
  requestTimeoutMs?: number;
  /** How long start() keeps trying to reach the primary (default 10000 ms); a refused hello fails at once (one the primary's rate limit holds back, ERATE, is tried again after the wait it names). */
  connectTimeoutMs?: number;
  log?: (line: string) => void;
  now?: () => number;
}

interface Pinned {
  flow: WireFlow;
  pinnedAt: number;
  /** The primary acknowledged it (the rule is in the adapter). */
  acked: boolean;
  inFlight?: Promise<void>;
  /** The primary refused it: not retried until it disappears from /proc. */
  refused?: boolean;
  /**
   * Its flow-add got no answer in time: the primary may still have installed it (it queues
   * table changes behind a slow serial line), so it is deleted when the connection goes, as an
   * acknowledged one is (a flow-del of a rule that never went in is refused, harmlessly).
   */
  unanswered?: boolean;
}

const MAX_SAMPLES = 100_000;

export class Monitor {
  private client?: ControlClient;
  private clusterIps = new Set<string>();
  private readonly listens = new Map<string, WireListen>();
  private readonly refusedListens = new Map<string, number>();
  private readonly pinned = new Map<string, Pinned>();
  private readonly samples: number[] = [];
  /** Flow-adds that got no answer in time (the first 20 are logged). */
  private unanswered = 0;
  private readonly counts = { polls: 0, flowAddsRefused: 0, pinnedByRequest: 0, pinnedByOpen: 0, pinnedByPoll: 0, removed: 0, leftToAdapter: 0 };
  /** The primary runs hardware pinning: the adapter learns TCP connections, incoming and outgoing; this monitor asks for none of them. */
  private hardwarePinning = false;
  private portRange?: [number, number];
  private pollTimer?: NodeJS.Timeout;
  private heartbeatTimer?: NodeJS.Timeout;
  private reconnectTimer?: NodeJS.Timeout;
  private polling?: Promise<void>;
  private closed = false;
  private backoffMs = 100;
  private readonly log: (line: string) => void;
  private readonly now: () => number;
  private connectedOnce?: (err?: Error) => void;

  constructor(private readonly options: MonitorOptions) {
    this.log = options.log ?? (() => {});
    this.now = options.now ?? (() => performance.now());
  }

  get processor(): number {
    return this.options.processor;
  }

  /** Connects to the primary (first attempt must succeed), watches the frame port, starts polling. */
  async start(): Promise<void> {
    const o = this.options;
    const stackRange = await o.proc.localPortRange();
    this.portRange = o.portRange ?? stackRange;
    if (o.portRange && stackRange && (stackRange[0] < o.portRange[0] || stackRange[1] > o.portRange[1])) {
      this.log(
        `processor ${o.processor}: warning: this namespace's net.ipv4.ip_local_port_range is ${stackRange[0]}-${stackRange[1]}, wider than the announced ` +
          `${o.portRange[0]}-${o.portRange[1]}; outgoing connections from ports outside it cannot be pinned`,
      );
    }
    o.framePort.onFrame((e) => this.onFrame(e));
    await o.framePort.watchConnectionRequests(o.processor);
    await o.framePort.watchConnectionOpens(o.processor);
    const deadline = this.now() + (o.connectTimeoutMs ?? 10_000);
    for (let wait = 50; ; wait = Math.min(1000, wait * 2)) {
      try {
        await this.connect();
        break;
      } catch (err) {
        const retry = err instanceof ControlError && (err.code === 'ECONNECT' || err.code === 'ECLOSED' || err.code === 'ETIMEDOUT' || err.code === 'ERATE');
        const delay = err instanceof ControlError && err.retryInMs !== undefined ? Math.max(wait, err.retryInMs) : wait;
        if (!retry || this.closed || this.now() + delay > deadline) throw err;
        await new Promise((r) => setTimeout(r, delay));
      }
    }
    this.pollTimer = setInterval(() => void this.poll(), o.pollMs ?? 100);
    await this.poll();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.pollTimer);
    clearInterval(this.heartbeatTimer);
    clearTimeout(this.reconnectTimer);
    await this.polling?.catch(() => {});
    await this.client?.close();
  }

  /** Stops everything at once, as a dead processor would (tests). */
  crash(): void {
    this.closed = true;
    clearInterval(this.pollTimer);
    clearInterval(this.heartbeatTimer);
    clearTimeout(this.reconnectTimer);
    this.client?.destroy();
  }

  stats(): MonitorStats & { pinnedByRequest: number; pinnedByOpen: number; pinnedByPoll: number; removed: number; flowAddsUnanswered: number; leftToAdapter: number } {
    return {
      ruleInstallMs: ruleInstallStats(this.samples),
      flows: [...this.pinned.values()].filter((p) => p.acked).length,
      listens: this.listens.size,
      polls: this.counts.polls,
      flowAddsRefused: this.counts.flowAddsRefused,
      pinnedByRequest: this.counts.pinnedByRequest,
      pinnedByOpen: this.counts.pinnedByOpen,
      pinnedByPoll: this.counts.pinnedByPoll,
      removed: this.counts.removed,
      flowAddsUnanswered: this.unanswered,
      leftToAdapter: this.counts.leftToAdapter,
    };
  }

  /** The rule-install latencies measured so far, in ms. */
  get ruleInstallSamples(): readonly number[] {
    return this.samples;
  }

  // ───────────────────────────── control connection ─────────────────────────────

  private async connect(): Promise<void> {
    const o = this.options;
    const client = await ControlClient.connect(o.primary, o.requestTimeoutMs);
    let hello: Record<string, unknown>;
    try {
      // challenge-response: the secret is not sent; the primary proves it holds it too
      hello = await client.hello({ processor: o.processor, secret: o.secret, ...(this.portRange ? { portRange: this.portRange } : {}), ...(o.mac ? { mac: o.mac } : {}) });
    } catch (err) {
      await client.close();
      throw err;
    }
    this.client = client;
    this.backoffMs = 100;
    this.clusterIps = new Set((hello.clusterIps as string[]).map((t) => formatIp(parseIp(t).bytes, parseIp(t).family)));
    this.hardwarePinning = hello.pinning === 'hardware';
    // what the primary holds for us is the starting point; the next poll corrects it
    this.listens.clear();
    for (const l of (hello.listens as WireListen[]) ?? []) this.listens.set(`${l.proto}/${l.port}`, l);
    const held = new Set(((hello.flows as WireFlow[]) ?? []).map(wireFlowKey));
    for (const [k, p] of this.pinned) {
      if (held.has(k)) p.acked = true;
      else this.pinned.delete(k);
    }
    const now = this.now();
    for (const f of (hello.flows as WireFlow[]) ?? []) if (!this.pinned.has(wireFlowKey(f))) this.pinned.set(wireFlowKey(f), { flow: f, pinnedAt: now, acked: true });
    this.log(
      `processor ${o.processor}: connected to the primary at ${formatControlAddress(o.primary)}` +
        (this.portRange ? `, local ports ${this.portRange[0]}-${this.portRange[1]}` : '') +
        (held.size || this.listens.size ? ` (it holds ${this.listens.size} listen ports and ${held.size} flows of ours)` : ''),
    );
    const heartbeatMs = Number(hello.heartbeatMs) || 150;
    clearInterval(this.heartbeatTimer);
    let heartbeatRefused = false;
    this.heartbeatTimer = setInterval(() => {
      client.request({ op: 'heartbeat', stats: this.stats() }).catch((err: Error) => {
        // a refused heartbeat is not counted as one: say so, once a connection
        if (err instanceof ControlError && err.code === 'EPROTO' && !heartbeatRefused) {
          heartbeatRefused = true;
          this.log(`processor ${o.processor}: heartbeat refused: ${err.message}`);
        }
      });
    }, heartbeatMs);
    client.onClose((err) => {
      if (this.client !== client) return;
      this.client = undefined;
      clearInterval(this.heartbeatTimer);
      if (this.closed) return;
      this.log(`processor ${o.processor}: lost the primary (${err.message}); reconnecting`);
      this.scheduleReconnect();
    });
  }

  private scheduleReconnect(delayMs = this.backoffMs): void {
    if (this.closed || this.reconnectTimer) return;
    this.reconnectTimer = setTimeout(async () => {
      this.reconnectTimer = undefined;
      try {
        await this.connect();
        void this.poll();
      } catch (err) {
        if (err instanceof ControlError && (err.code === 'EAUTH' || err.code === 'EVERSION' || err.code === 'ERATE')) this.log(`processor ${this.options.processor}: ${err.message}`);
        this.backoffMs = Math.min(2000, this.backoffMs * 2);
        // the primary's rate limit names its wait
        this.scheduleReconnect(err instanceof ControlError && err.retryInMs !== undefined ? Math.max(this.backoffMs, err.retryInMs) : this.backoffMs);
      }
    }, delayMs);
  }

  // ───────────────────────────── connection requests ─────────────────────────────

  private onFrame(e: FrameEvent): void {
    const seen = this.now();
    const wall = tracing ? traceNow() : 0;
    if (e.source === 'connection-request' && e.queue === this.options.processor) {
      if (this.hardwarePinning) {
        // the adapter learned (or was refused: then the primary's slow path carries it) this connection
        this.counts.leftToAdapter++;
        return;
      }
      const f = synFlow(e.frame, false);
      if (f && tracing) trace('seen', { k: wireFlowKey(f) }, wall);
      if (f) this.pin(f, seen, 'request');
    } else if (e.source === 'connection-open' && e.processor === this.options.processor) {
      if (this.hardwarePinning) {
        // the adapter learns the reverse entry from the SYN this processor sent (transmit-side learning)
        this.counts.leftToAdapter++;
        return;
      }
      const f = synFlow(e.frame, true);
      if (f && tracing) trace('seen', { k: wireFlowKey(f) }, wall);
      if (f) this.pin(f, seen, 'open');
    }
  }

  /** Asks for the exact rule of a flow unless it is pinned or being pinned. */
  private pin(flow: WireFlow, seenAt: number, by: 'request' | 'open' | 'poll'): void {
    const key = wireFlowKey(flow);
    if (this.pinned.has(key)) return;
    if (!this.clusterIps.has(flow.dstIp)) return;
    const client = this.client;
    const entry: Pinned = { flow, pinnedAt: seenAt, acked: false };
    this.pinned.set(key, entry);
    if (!client) return; // pinned locally; announced after the reconnect's poll
    if (tracing) queueMicrotask(() => trace('req', { k: key }));
    entry.inFlight = client.request({ op: 'flow-add', ...flow }).then(
      () => {
        if (tracing) trace('ack', { k: key });
        entry.acked = true;
        entry.inFlight = undefined;
        if (by === 'poll') this.counts.pinnedByPoll++;
        else {
          if (by === 'request') this.counts.pinnedByRequest++;
          else this.counts.pinnedByOpen++;
          if (this.samples.length < MAX_SAMPLES) this.samples.push(this.now() - seenAt);
        }
      },
      (err: Error) => {
        entry.inFlight = undefined;
        if (err instanceof ControlError && err.code === 'ETIMEDOUT') {
          entry.unanswered = true;
          if (++this.unanswered <= 20) this.log(`processor ${this.options.processor}: flow ${key}: ${err.message}; deleted when the connection goes, as if installed`);
        } else if (err instanceof ControlError && (err.code === 'EPERM' || err.code === 'EFULL' || err.code === 'EQUOTA')) {
          entry.refused = true;
          this.counts.flowAddsRefused++;
          if (this.counts.flowAddsRefused <= 20) this.log(`processor ${this.options.processor}: flow ${key} refused: ${err.message}`);
        } else this.pinned.delete(key);
      },
    );
  }

  // ───────────────────────────── polling ─────────────────────────────

  /** One pass over /proc; a pass in progress is reused. */
  poll(): Promise<void> {
    this.polling ??= this.pollOnce().finally(() => (this.polling = undefined));
    return this.polling;
  }

  private async pollOnce(): Promise<void> {
    const o = this.options;
    const files: ProcNetFile[] = ['tcp', 'tcp6', 'udp', 'udp6'];
    let texts: string[];
    try {
      texts = await Promise.all(files.map((f) => o.proc.readNet(f)));
    } catch (err) {
      this.log(`processor ${o.processor}: reading /proc failed: ${(err as Error).message}`);
      return;
    }
    this.counts.polls++;
    const sockets = files.flatMap((f, i) => parseProcNet(texts[i], f));
    const now = this.now();
    const range = this.portRange;
    const inRange = (port: number) => range !== undefined && port >= range[0] && port <= range[1];
    const reachable = (s: (typeof sockets)[number]) => s.local.every((b) => b === 0) || this.clusterIps.has(formatIp(s.local, s.family));

    // listen ports
    const wanted = new Map<string, WireListen>();
    for (const s of sockets) {
      const listening = s.proto === 'tcp' ? s.state === TCP_STATE.LISTEN : s.state === TCP_STATE.CLOSE && s.remotePort === 0 && s.remote.every((b) => b === 0);
      if (!listening || s.localPort === 0 || !reachable(s)) continue;
      // a UDP socket on a local-range port is a client's; its replies come by range or flow
      if (s.proto === 'udp' && inRange(s.localPort)) continue;
      const share = o.share === 'all' || (Array.isArray(o.share) && o.share.includes(s.localPort));
      wanted.set(`${s.proto}/${s.localPort}`, { proto: s.proto, port: s.localPort, shared: share });
    }
    // live connections
    const live = new Map<string, WireFlow>();
    for (const s of sockets) {
      if (s.remotePort === 0 || s.remote.every((b) => b === 0)) continue;
      const alive = s.proto === 'tcp' ? LIVE_TCP_STATES.has(s.state) : s.state === TCP_STATE.ESTABLISHED;
      if (!alive) continue;
      // hardware pinning: a TCP connection is the adapter's to pin, from the SYN it received
      // (to one of our listen ports) or the one we sent; the primary pins one it could not learn
      if (this.hardwarePinning && s.proto === 'tcp') continue;
      const flow = toWireFlow({ family: s.family, proto: s.proto, srcIp: s.remote, srcPort: s.remotePort, dstIp: s.local, dstPort: s.localPort });
      if (this.clusterIps.has(flow.dstIp)) live.set(wireFlowKey(flow), flow);
    }

    const client = this.client;
    if (!client) return;
    const requests: Promise<unknown>[] = [];
    for (const [key, l] of wanted) {
      const have = this.listens.get(key);
      if (have && Boolean(have.shared) === Boolean(l.shared)) continue;
      const retryAt = this.refusedListens.get(key);
      if (retryAt !== undefined && now < retryAt) continue;
      requests.push(
        client.request({ op: 'listen', proto: l.proto, port: l.port, shared: Boolean(l.shared) }).then(
          () => {
            this.listens.set(key, l);
            this.refusedListens.delete(key);
            this.log(`processor ${o.processor}: listening on ${l.proto} port ${l.port}${l.shared ? ' (shared)' : ''}`);
          },
          (err: Error) => {
            if (!this.refusedListens.has(key)) this.log(`processor ${o.processor}: listen ${l.proto} port ${l.port} refused: ${err.message}`);
            this.refusedListens.set(key, now + 5000);
          },
        ),
      );
    }
    for (const [key, l] of this.listens) {
      if (wanted.has(key)) continue;
      this.listens.delete(key);
      requests.push(
        client.request({ op: 'unlisten', proto: l.proto, port: l.port }).then(
          () => this.log(`processor ${o.processor}: stopped listening on ${l.proto} port ${l.port}`),
          () => {},
        ),
      );
    }
    for (const key of this.refusedListens.keys()) if (!wanted.has(key)) this.refusedListens.delete(key);

    for (const [key, flow] of live) {
      const p = this.pinned.get(key);
      if (!p) this.pin(flow, now, 'poll');
      else if (!p.acked && !p.inFlight && !p.refused) {
        // pinned while the primary was away
        this.pinned.delete(key);
        this.pin(flow, now, 'poll');
      }
    }
    const grace = o.graceMs ?? 3000;
    for (const [key, p] of this.pinned) {
      if (live.has(key) || p.inFlight) continue;
      if (now - p.pinnedAt < grace && !p.refused) continue;
      this.pinned.delete(key);
      if (!p.acked && !p.unanswered) continue;
      this.counts.removed++;
      requests.push(client.request({ op: 'flow-del', ...p.flow }).catch(() => {}));
    }
    await Promise.all(requests);
  }
}

/** ruleInstallMs as the heartbeat reports it: ms to 3 decimals, nulls before the first sample. */
function ruleInstallStats(samples: readonly number[]): MonitorStats['ruleInstallMs'] {
  const s = summarize(samples, 3);
  return s ? { count: s.n, p50: s.p50, p99: s.p99, max: s.max } : { count: 0, p50: null, p99: null, max: null };
}

/** The flow of a SYN (without ACK): as the client sent it, or (outgoing) turned around. */
function synFlow(frame: Uint8Array, outgoing: boolean): WireFlow | undefined {
  const p = parsePacket(frame);
  if (p.kind !== 'ip' || !p.l4 || p.l4.proto !== 'tcp' || (p.l4.flags & (TCP_SYN | TCP_ACK)) !== TCP_SYN) return undefined;
  const { ip, l4 } = p;
  return outgoing
    ? toWireFlow({ family: ip.family, proto: 'tcp', srcIp: ip.dst, srcPort: l4.dstPort, dstIp: ip.src, dstPort: l4.srcPort })
    : toWireFlow({ family: ip.family, proto: 'tcp', srcIp: ip.src, srcPort: l4.srcPort, dstIp: ip.dst, dstPort: l4.dstPort });
}
