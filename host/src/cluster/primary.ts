// The primary management process: owns the adapter's register bus and queue 0.
//
// - Queue 0 gets what matched no rule: slow-path.ts answers ARP and ICMP echo, hands frames of
//   a known owner to it (counted) and answers the rest with RST or port unreachable.
// - Monitors connect over the control protocol (primary-control.ts, docs/cluster-protocol.md)
//   and ask for listen ports and exact flows; the primary checks them against the registry
//   and programs the adapter. All table changes go through the primary, in arrival order; flow
//   changes that arrive while a register-bus round trip is in flight go together in the next
//   one (primary-flows.ts).
// - A processor that misses its heartbeats loses its rules; shared ports shrink to the
//   survivors. The registry holds what the table holds: a change the adapter did not take
//   (a leave that needs a queue group none is free for, a failing adapter) stays in it and is
//   retried (settle()). On start the registry is rebuilt from the adapter's table, so the primary can
//   be restarted under live connections.
// - Hardware pinning with the adapter's event queue (flow FEATURES.EVENTS): the primary is the
//   queue's one reader. It turns the queue on before the start's table walk and then follows the
//   adapter's learned entries with it (registry.learned); records lost to a full queue make it
//   walk the table again. A lost processor's learned entries are deleted with its flows.
import type { Adapter, EgressTable, FlowEntry } from '../driver/index.js';
import type { LearningCounters } from '../driver/learning.js';
import { formatIp, parseIp } from '../codec/ip.js';
import { formatMac, parseMac } from '../codec/mac.js';
import { ownsIp, type Identity } from '../codec/packet.js';
import { formatRule, LEARNING_DEFAULTS, type FlowRule, type LearningRule, type ListenRule } from '../codec/rules.js';
import type { FramePort } from './frame-port.js';
import { CONTROL_VERSION, ControlError, PRIMARY_NAME, toWireFlow, wireFlowKey, type ControlAddress, type Request, type WireFlow } from './control-protocol.js';
import { ControlServer, type ControlConnection, type ControlLimits, type HandledRequest } from './primary-control.js';
import { fairFlowQuota, FlowChanges, flowRule, type FlowBatchStats } from './primary-flows.js';
import { ListenPorts, listenGroups, type ListenGroups } from './primary-groups.js';
import { members, owners, Registry, type LearnedEntry } from './registry.js';
import { SlowPath, type SlowPathCounters } from './slow-path.js';
import { SerialBus } from '../bus/serial-bus.js';
import { summarize } from '../util/percentiles.js';
import { Sequence } from '../util/sequence.js';

export { MAX_FLOW_BATCH } from './primary-flows.js';

export interface PrimaryOptions {
  adapter: Adapter;
  framePort: FramePort;
  identity: Identity;
  /** Processors 1..processors (queue p = processor p). */
  processors: number;
  /** Processor → secret. */
  secrets: ReadonlyMap<number, string>;
  /** A processor silent this long loses its rules (default 600 ms). */
  heartbeatTimeoutMs?: number;
  /** After a start, how long processors found in the table have to say hello again (default 5000 ms). */
  reclaimMs?: number;
  groups?: ListenGroups;
  /**
   * The board's egress table (the two-port NIC): each processor's queue gets the MAC its hello
   * names, queue 0 gets queue0Mac, and the rewrite is switched on at start; so is the source
   * rewrite, with the cluster MAC (identity.mac), so the clients see one MAC for the cluster
   * whichever host sends. Without it MACs are only used for the slow path (frame port's
   * setProcessorMac).
   */
  egress?: EgressTable;
  /** The MAC queue 0's frames must reach: the primary's own interface (with egress). */
  queue0Mac?: Uint8Array;
  /** Most flow changes sent to the adapter in one bus round trip (default MAX_FLOW_BATCH; 1 = one at a time). */
  maxFlowBatch?: number;
  /** Most flows one processor may hold (default: the flow table's entries and stash over the processors). */
  flowQuota?: number;
  /** Control connections that have not said hello: how long they may take, how many at once (primary-control.ts). */
  controlLimits?: ControlLimits;
  /**
   * Who pins incoming connections (default here host; `sipnic primary` defaults to hardware): `hardware`, the adapter learns each
   * connection from its SYN (TCP listen rules carry `learn`) and the monitors ask for no exact
   * rule for them; `host`, every connection's exact rule goes monitor → primary → adapter. An
   * adapter without the learning engine is run as host (with a log line).
   */
  pinning?: Pinning;
  /** Hardware pinning's timers and quotas (default CLUSTER_LEARNING). */
  learning?: LearningRule;
  /**
   * Most fallback pins in the table at once, while the primary follows the event queue (default:
   * a quarter of the flow table's entries and stash). A pin leaves the count when its aged record
   * comes; past the quota a frame reaching queue 0 is delivered and not pinned.
   */
  fallbackQuota?: number;
  log?: (line: string) => void;
  now?: () => number;
}

export type Pinning = 'hardware' | 'host';

/** The adapter's own entries of a table walk: learned ones, and the fallback pins (host entries that age) by flow key. */
interface AdapterEntries {
  learned: LearnedEntry[];
  pins: string[];
}

/** Sorts a walked entry that is the adapter's own into `into`; false for a processor's entry (a host entry that never ages). */
function sortAdapterEntry(e: FlowEntry, into: AdapterEntries): boolean {
  if (!e.meta || (e.meta.origin !== 'learned' && e.meta.agingClass === 0)) return false;
  if (e.meta.origin === 'learned') into.learned.push({ flow: toWireFlow(e.rule), owner: e.action, state: e.meta.state });
  else into.pins.push(wireFlowKey(toWireFlow(e.rule)));
  return true;
}

/** The learning line a primary with hardware pinning loads: the defaults, with a shorter fin-timeout (a closed connection's entry need not wait 10 s). */
export const CLUSTER_LEARNING: LearningRule = { kind: 'learning', ...LEARNING_DEFAULTS, finTimeoutMs: 2_000 };

/** A fallback pin's idle timeout: short, as a later frame pins the connection again. */
export const FALLBACK_IDLE_MS = 10_000;

export interface PrimaryCounters extends SlowPathCounters {
  processorsLost: number;
  /** Flow-adds refused with EQUOTA. */
  flowQuotaRefusals: number;
  /** Hardware pinning: connections the adapter did not learn that the primary pinned from the slow path, and tries the table refused. */
  fallbackPins: number;
  fallbackFailures: number;
  /** Fallback pins not tried because fallbackQuota pins were in the table (a blind ACK flood). */
  fallbackOverQuota: number;
  /** Retries of table changes the adapter did not take at once (leaving ports, a lost processor's flows). */
  tableRetries: number;
  /** Queue MACs from hellos the egress table did not take. */
  egressErrors: number;
  /** Hardware pinning with the event queue: records read (learned, aged), walks after records were lost, reads that failed. */
  eventsRead: number;
  eventResyncs: number;
  eventErrors: number;
}

/** First and longest wait before retrying table changes the adapter did not take. */
const RETRY_MS = { first: 100, max: 5000 };
/** `stats` reads the adapter's learning counters at most this often (ms). */
const LEARNING_STATS_MS = 1000;

const ms = (t: number) => Math.round(t * 1000) / 1000;

export class Primary {
  readonly registry: Registry;
  readonly counters: PrimaryCounters = {
    queueFrames: 0,
    arpReplies: 0,
    arpToProcessors: 0,
    neighbourToProcessors: 0,
    echoReplies: 0,
    neighbourAdverts: 0,
    slowPath: { flow: 0, listen: 0, group: 0, range: 0, 'icmp-error': 0 },
    resets: 0,
    portUnreachables: 0,
    ignored: 0,
    deliverErrors: 0,
    processorsLost: 0,
    heldWhileReclaiming: 0,
    flowQuotaRefusals: 0,
    fallbackPins: 0,
    fallbackFailures: 0,
    fallbackOverQuota: 0,
    tableRetries: 0,
    egressErrors: 0,
    eventsRead: 0,
    eventResyncs: 0,
    eventErrors: 0,
  };
  /** Most flows one processor may hold (EQUOTA beyond). */
  readonly flowQuota: number;
  private readonly adapter: Adapter;
  private readonly port: FramePort;
  private readonly me: Identity;
  private readonly groups: ListenGroups;
  private readonly timeoutMs: number;
  private readonly reclaimMs: number;
  private readonly log: (line: string) => void;
  private readonly now: () => number;
  private readonly deadlines = new Map<number, number>();
  /** Processors found in the table at start that have not said hello yet (their port ranges are unknown). */
  private readonly reclaiming = new Set<number>();
  /** Every table change, one at a time in arrival order. */
  private readonly tables = new Sequence();
  private readonly flowChanges: FlowChanges;
  private readonly ports: ListenPorts;
  /** When to retry table changes the adapter did not take (none pending: undefined), and the wait after that. */
  private retryAt?: number;
  private retryMs = RETRY_MS.first;
  private readonly control: ControlServer;
  private readonly slowPath: SlowPath;
  private timer?: NodeJS.Timeout;
  private closed = false;
  private readonly startedAt: number;
  /** Who pins incoming connections, resolved against the adapter at construction. */
  readonly pinning: Pinning;
  /** Fallback pins tried: flow key to when (one try per connection per second). */
  private readonly fallbackTried = new Map<string, number>();
  /** Following the event queue: the fallback pins in the table or on their way (flow key), till their aged record. */
  private readonly fallbackLive = new Set<string>();
  readonly fallbackQuota: number;
  private learningCache?: { at: number; value?: LearningCounters; reading?: Promise<LearningCounters | undefined> };
  /** Hardware pinning on an adapter with the event queue: the primary follows its learned entries. */
  readonly followsEvents: boolean;
  /** A read of the event queue is queued or running. */
  private eventsBusy = false;
  /** A read failed: where the queue's words stand is unknown, so the next poll restarts it and walks the table. */
  private eventsStale = false;

  constructor(private readonly options: PrimaryOptions) {
    this.adapter = options.adapter;
    this.port = options.framePort;
    this.me = options.identity;
    this.groups = options.groups ?? listenGroups;
    this.timeoutMs = options.heartbeatTimeoutMs ?? 600;
    this.reclaimMs = options.reclaimMs ?? 5000;
    this.log = options.log ?? (() => {});
    this.now = options.now ?? (() => performance.now());
    this.registry = new Registry((flow, m) => this.groups.groupQueue(flow, m), { processors: options.processors });
    this.startedAt = this.now();
    this.pinning = options.pinning === 'hardware' && this.adapter.info.learning ? 'hardware' : 'host';
    if (this.pinning !== (options.pinning ?? 'host')) this.log('pinning: this adapter has no learning engine (flow FEATURES.LEARNING 0): the host pins every connection');
    this.followsEvents = this.pinning === 'hardware' && this.adapter.info.events;
    const { entries, stash } = this.adapter.flows.capacity;
    this.fallbackQuota = options.fallbackQuota ?? Math.max(1, Math.floor((entries + stash) / 4));
    if (!Number.isInteger(this.fallbackQuota) || this.fallbackQuota < 1) throw new ControlError('EPROTO', `the fallback quota must be a positive integer, got ${options.fallbackQuota}`);
    const queues = this.adapter.info.queues;
    if (!Number.isInteger(options.processors) || options.processors < 1 || options.processors > queues - 1) {
      throw new ControlError('EPROTO', `processors must be 1..${queues - 1} (the adapter has ${queues} queues, queue 0 is the primary's), got ${options.processors}`);
    }
    if (this.me.ips.length === 0) throw new ControlError('EPROTO', 'the cluster needs at least one IP address');
    this.flowQuota = options.flowQuota ?? fairFlowQuota(this.adapter.flows.capacity, options.processors);
    if (!Number.isInteger(this.flowQuota) || this.flowQuota < 1) throw new ControlError('EPROTO', `the flow quota must be a positive integer, got ${options.flowQuota}`);
    const quotaSource = options.flowQuota === undefined ? `a fair share: ${this.adapter.flows.capacity.entries} + ${this.adapter.flows.capacity.stash} table entries over ${options.processors} processors` : '--flow-quota';
    this.flowChanges = new FlowChanges({ adapter: this.adapter, registry: this.registry, tables: this.tables, maxBatch: options.maxFlowBatch, quota: this.flowQuota, quotaSource, counters: this.counters, now: this.now });
    this.ports = new ListenPorts({ adapter: this.adapter, identity: this.me, groups: this.groups, registry: this.registry, learn: this.pinning === 'hardware', log: this.log });
    this.control = new ControlServer((c, req) => this.handle(c, req), { secrets: options.secrets, processors: options.processors, log: this.log, now: this.now, ...options.controlLimits });
    this.slowPath = new SlowPath({
      port: this.port,
      identity: this.me,
      processors: options.processors,
      registry: this.registry,
      counters: this.counters,
      reclaiming: () => this.reclaiming.size > 0,
      ...(options.egress && options.queue0Mac ? { queue0Mac: options.queue0Mac } : {}),
      ...(this.pinning === 'hardware' ? { unpinned: (flow: WireFlow, owner: number) => this.fallbackPin(flow, owner) } : {}),
      log: this.log,
    });
  }

  /** Flow-change batches run: how many, how many changes, the largest, and the bus time of each (ms, last 4096). */
  get flowBatches(): FlowBatchStats {
    return this.flowChanges.stats;
  }

  /**
   * Hardware pinning's fallback: a connection the adapter did not learn (its SYN was refused, or
   * its entry aged) is pinned by the host when a later frame of it reaches queue 0, with an
   * exact rule that ages after FALLBACK_IDLE_MS idle (a later frame pins it again). The rule is
   * not in the registry: no monitor removes it, aging does. One try per connection per second.
   *
   * Any TCP frame that is not a connection request gets here, so a blind ACK flood from random
   * sources would pin each of its "connections" and fill the table (learning would then be
   * refused full). Following the event queue, the primary knows which of its pins are still in
   * the table (a pin leaves with its aged record) and keeps them to fallbackQuota.
   */
  private fallbackPin(flow: WireFlow, owner: number): void {
    const key = wireFlowKey(flow);
    const now = this.now();
    const last = this.fallbackTried.get(key);
    if (last !== undefined && now - last < 1000) return;
    if (this.followsEvents) {
      // pinned already: its pin is in the table, or on its way there
      if (this.fallbackLive.has(key)) return;
      if (this.fallbackLive.size >= this.fallbackQuota) {
        if (this.counters.fallbackOverQuota++ === 0) this.log(`fallback pins: ${this.fallbackQuota} in the table (the fallback quota); frames of connections not pinned go on through queue 0 until some age`);
        return;
      }
      this.fallbackLive.add(key);
    }
    if (this.fallbackTried.size > 4096) for (const [k, t] of this.fallbackTried) if (now - t >= 1000) this.fallbackTried.delete(k);
    this.fallbackTried.set(key, now);
    const rule: FlowRule = { ...flowRule(flow, owner), idleTimeoutMs: FALLBACK_IDLE_MS };
    void this.tables
      .run(() => this.adapter.flows.insert(rule))
      .then(
        () => this.counters.fallbackPins++,
        (err: { code?: string; message?: string }) => {
          // not in the table as a pin: exists means the adapter learned it meanwhile
          this.fallbackLive.delete(key);
          if (err.code === 'EEXIST') return;
          this.counters.fallbackFailures++;
          if (this.counters.fallbackFailures <= 10) this.log(`fallback pin of ${key} to processor ${owner} failed: ${err.message}`);
        },
      );
  }

  /** Rebuilds the registry from the adapter's table, claims queue 0 and starts the heartbeat check. */
  async start(): Promise<void> {
    if (this.pinning === 'hardware') {
      const learning = this.options.learning ?? CLUSTER_LEARNING;
      await this.tables.run(() => this.adapter.setLearning(learning));
      this.log(`pinning: hardware (the adapter learns each TCP connection from its SYN; ${formatRule(learning)})`);
    } else this.log('pinning: host (every connection\'s exact rule goes monitor → primary → adapter)');
    // the queue (emptied) on before the walk: every change after the walk has its record
    if (this.followsEvents) await this.tables.run(() => this.restartEvents());
    else if (this.pinning === 'hardware') this.log('events: this adapter has no event queue (flow FEATURES.EVENTS 0): the registry does not follow what it learns');
    await this.tables.run(() => this.rebuild());
    const { egress, queue0Mac } = this.options;
    if (egress && queue0Mac) {
      await this.tables.run(async () => {
        await egress.setMac(0, queue0Mac);
        await egress.setRewrite(true);
        if (egress.hasSrcRewrite) {
          await egress.setClusterMac(this.me.mac);
          await egress.setSrcRewrite(true);
        }
      });
      this.log(`egress: queue 0 → ${formatMac(queue0Mac)}, rewrite on`);
      this.log(
        egress.hasSrcRewrite
          ? `egress: frames from the cluster reach the clients with source MAC ${formatMac(this.me.mac)} (ARP: sender address too), source rewrite on`
          : 'egress: this bitstream has no source rewrite (egress VERSION 1.0): clients see each host\'s own MAC; load a newer bitstream',
      );
    }
    this.slowPath.start();
    await this.port.claimQueue(0);
    const tick = Math.max(20, Math.min(100, this.timeoutMs / 4));
    this.timer = setInterval(() => void this.checkHeartbeats(), tick);
    this.timer.unref?.();
  }

  /** Serves the control protocol at an address (TCP or Unix socket). */
  listen(address: ControlAddress): Promise<ControlAddress> {
    return this.control.listen(address);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.slowPath.stop();
    clearInterval(this.timer);
    await this.control.close();
    await this.tables.idle();
  }

  /** Handles one frame of queue 0 (public for tests that feed frames directly). */
  frame(frame: Uint8Array): void {
    this.slowPath.frame(frame);
  }

  // ───────────────────────────── table changes ─────────────────────────────

  private async rebuild(): Promise<void> {
    const queues = this.adapter.info.queues;
    const mine = (rule: FlowRule | ListenRule) => ownsIp(this.me, rule.family, rule.dstIp);
    const adopt = (p: number) => {
      const info = this.registry.processor(p);
      if (!info.alive) {
        info.alive = true;
        info.lastSeen = this.now();
        this.deadlines.set(p, this.now() + this.reclaimMs);
        this.reclaiming.add(p);
      }
    };
    let flows = 0;
    let listens = 0;
    let adapters = 0;
    const own: AdapterEntries = { learned: [], pins: [] };
    for (const e of await this.adapter.flows.list()) {
      if (!mine(e.rule) || e.action < 1 || e.action >= queues) continue;
      // the adapter's own entries (learned, and fallback pins that age) are not a processor's to hold
      if (sortAdapterEntry(e, own)) {
        adapters++;
        continue;
      }
      adopt(e.action);
      this.registry.addFlow(e.action, toWireFlow(e.rule));
      flows++;
    }
    this.followAdapterEntries(own);
    for (const e of await this.adapter.listens.list()) {
      if (!mine(e.rule)) continue;
      const m = this.groups.membersOf(e.rule).filter((q) => q >= 1 && q < queues);
      for (const q of m) {
        adopt(q);
        this.registry.addListen(q, e.rule.proto, e.rule.dstPort, m.length > 1);
      }
      if (m.length) listens++;
    }
    // count each address slot's uses now, once: a connection's delete then frees its address slot
    // (or not) from the count instead of reading the flow table for another user (the primary is
    // the table's only writer while it runs: other processes' changes are refused)
    await this.adapter.addresses.deriveRefs();
    // the slow path hashes over the ascending member list: a table rule in another order is rewritten
    await this.ports.write([...this.registry.listens.values()].map((g) => ({ proto: g.proto, port: g.port, members: members(g) })));
    const held = [...this.registry.processors.values()].filter((p) => p.alive).map((p) => p.id);
    this.log(
      `registry rebuilt from the adapter: ${flows} flows, ${listens} listen rules` +
        (adapters ? ` (${adapters} entries learned or aging left to the adapter${this.followsEvents ? `, ${own.learned.length} learned followed by the event queue` : ''})` : '') +
        (held.length ? ` held by processors ${held.join(', ')} (they have ${this.reclaimMs} ms to say hello)` : ''),
    );
  }

  // ───────────────────────────── the adapter's events ─────────────────────────────

  /** Empties the event queue and turns it on (a new baseline for its overflow count). Run inside tables.run. */
  private async restartEvents(): Promise<void> {
    await this.adapter.events.disable();
    await this.adapter.events.enable();
  }

  /**
   * Reads the event queue (one bus round trip, between table changes); reads again at once
   * while records remain, else on the next heartbeat tick. Never throws.
   */
  private pollEvents(): void {
    if (!this.followsEvents || this.eventsBusy || this.closed) return;
    this.eventsBusy = true;
    void this.tables
      .run(() => this.readEvents())
      .then(
        (more) => {
          this.eventsBusy = false;
          if (more) this.pollEvents();
        },
        (err: Error) => {
          this.eventsBusy = false;
          this.eventsStale = true;
          this.counters.eventErrors++;
          if (this.counters.eventErrors <= 10) this.log(`events: reading the adapter's event queue failed (${err.message}); the next tick restarts it and walks the table`);
        },
      );
  }

  /** One read: learned entries in, aged ones out; after lost records, the table walked again. Returns whether records remain. */
  private async readEvents(): Promise<boolean> {
    if (this.eventsStale) {
      await this.resyncEvents('a read of it failed');
      this.eventsStale = false;
      return false;
    }
    const r = await this.adapter.events.read();
    this.counters.eventsRead += r.events.length;
    const queues = this.adapter.info.queues;
    let orphans = false;
    for (const e of r.events) {
      if (!ownsIp(this.me, e.rule.family, e.rule.dstIp)) continue;
      const flow = toWireFlow(e.rule);
      if (e.type === 'learned') {
        if (e.action < 1 || e.action >= queues) continue;
        this.registry.addLearned(e.action, flow, 'embryonic');
        // learned for a processor lost meanwhile (its SYN came before its listen went): delete it too
        if (!this.registry.processors.get(e.action)?.alive) orphans = true;
      } else if (e.type === 'aged') {
        this.registry.removeLearned(flow);
        if (e.state === 'host') this.fallbackLive.delete(wireFlowKey(flow));
      }
    }
    if (orphans) this.retryAt ??= this.now();
    if (r.overflowed) {
      await this.resyncEvents('the adapter\'s event queue was full and records were lost');
      return false;
    }
    return r.pending > 0;
  }

  /** The queue restarted (emptied) and the learned entries taken from a table walk; logged and counted. */
  private async resyncEvents(why: string): Promise<void> {
    this.counters.eventResyncs++;
    const started = this.now();
    await this.restartEvents();
    await this.resyncLearned();
    this.log(`events: ${why}: walked the table again (${this.registry.learned.size} learned entries, ${ms(this.now() - started)} ms)`);
  }

  /** The learned entries from a table walk (after the queue was restarted). */
  private async resyncLearned(): Promise<void> {
    const queues = this.adapter.info.queues;
    const own: AdapterEntries = { learned: [], pins: [] };
    for (const e of await this.adapter.flows.list()) {
      if (ownsIp(this.me, e.rule.family, e.rule.dstIp) && e.action >= 1 && e.action < queues) sortAdapterEntry(e, own);
    }
    this.followAdapterEntries(own);
    if (own.learned.some((l) => !this.registry.processors.get(l.owner)?.alive)) this.retryAt ??= this.now();
  }

  /**
   * The adapter's own entries a table walk found: the learned ones into the registry, the
   * fallback pins into their count. A pin whose insert is still queued behind the walk is not
   * among them: the count is low by those until their aged records.
   */
  private followAdapterEntries(own: AdapterEntries): void {
    this.registry.setLearned(own.learned);
    this.fallbackLive.clear();
    for (const k of own.pins) this.fallbackLive.add(k);
  }

  // ───────────────────────────── processors ─────────────────────────────

  private async checkHeartbeats(): Promise<void> {
    this.pollEvents();
    const now = this.now();
    for (const p of this.registry.processors.values()) {
      const deadline = this.deadlines.get(p.id);
      if (!p.alive || deadline === undefined || now <= deadline) continue;
      this.deadlines.delete(p.id);
      this.reclaiming.delete(p.id);
      p.alive = false;
      await this.tables.run(() => this.dropProcessor(p.id, now - p.lastSeen));
    }
    if (this.retryAt !== undefined && now >= this.retryAt) {
      this.retryAt = undefined;
      this.counters.tableRetries++;
      await this.tables.run(() => this.settle());
    }
  }

  /** Removes every rule of a processor that stopped answering; shared ports keep the survivors. */
  private async dropProcessor(id: number, silentMs: number): Promise<void> {
    const started = this.now();
    this.counters.processorsLost++;
    this.control.drop(id);
    const held = this.registry.dropProcessor(id);
    const left = await this.settle();
    const shrunk = held.listens.filter((l) => l.members.length).map((l) => `${l.proto}/${l.port} → ${l.members.join(',')}`);
    this.log(
      `processor ${id} lost (silent ${Math.round(silentMs)} ms): removed ${held.flows} flows${held.learned ? `, ${held.learned} learned entries` : ''} and ${held.listens.length - shrunk.length} listen ports` +
        (shrunk.length ? `; shared ports now ${shrunk.join('; ')}` : '') +
        ` in ${ms(this.now() - started)} ms` +
        (left ? `; the adapter has not taken ${left} of these changes yet, retrying` : ''),
    );
  }

  /**
   * Table changes the adapter did not take at once — lost processors' flows, processors
   * leaving ports — tried again: now, and while some are left, on the heartbeat tick after
   * 100 ms, doubling to 5 s. The registry keeps each until the table no longer has it.
   * Returns how many are left.
   */
  private async settle(): Promise<number> {
    const left = (await this.flowChanges.removeLost(this.log)) + (await this.ports.settle());
    if (left === 0) {
      this.retryAt = undefined;
      this.retryMs = RETRY_MS.first;
    } else {
      this.retryAt = this.now() + this.retryMs;
      this.retryMs = Math.min(RETRY_MS.max, this.retryMs * 2);
    }
    return left;
  }

  // ───────────────────────────── requests ─────────────────────────────

  private async handle(c: ControlConnection, req: HandledRequest): Promise<Record<string, unknown>> {
    if (req.op === 'hello') return this.hello(c, req);
    if (req.op === 'stats') {
      const learning = this.pinning === 'hardware' ? await this.learningCounters() : undefined;
      return { ...this.stats(), learning: learning ?? null };
    }
    const p = c.processor;
    if (p === undefined) throw new ControlError('ENOHELLO', `${req.op} before hello: say hello with the processor number and its secret first`);
    const info = this.registry.processor(p);
    if (!info.alive) throw new ControlError('ENOHELLO', `processor ${p} was declared lost; say hello again`);
    switch (req.op) {
      case 'heartbeat':
        this.seen(p);
        if (req.stats) info.stats = req.stats;
        return {};
      case 'listen':
        return this.tables.run(() => this.ports.listen(p, req.proto, req.port, Boolean(req.shared)));
      case 'unlisten':
        return this.tables.run(async () => {
          const answer = await this.ports.unlisten(p, req.proto, req.port);
          // a refused leave is retried; a port left may free what a waiting one needs
          if (answer.pending) this.retryAt ??= this.now() + this.retryMs;
          else if (this.registry.pendingLeaves().length) await this.settle();
          return answer;
        });
      case 'flow-add': {
        const flow = wire(req);
        if (!ownsIp(this.me, flow.family, parseIp(flow.dstIp).bytes)) throw new ControlError('EPERM', `flow ${wireFlowKey(flow)}: dst ${flow.dstIp} is not a cluster address`);
        return this.flowChanges.queue('add', p, flow);
      }
      case 'flow-del':
        return this.flowChanges.queue('del', p, wire(req));
    }
  }

  /** A hello whose proof of the processor's secret the control server checked already. */
  private async hello(c: ControlConnection, req: Extract<Request, { op: 'hello' }>): Promise<Record<string, unknown>> {
    const p = req.processor;
    if (c.processor !== undefined && c.processor !== p) throw new ControlError('EAUTH', `this connection is processor ${c.processor}'s`);
    const info = this.registry.processor(p);
    if (req.portRange) this.registry.checkRange(p, req.portRange);
    // a newer connection for the same processor replaces the old one
    this.control.drop(p, c);
    c.processor = p;
    this.reclaiming.delete(p);
    const returning = info.alive;
    info.alive = true;
    info.connected = true;
    if (req.portRange) info.portRange = [req.portRange[0], req.portRange[1]];
    if (req.mac) await this.learnMac(p, req.mac);
    this.seen(p);
    c.socket.once('close', () => {
      if (![...this.control.connections].some((o) => o !== c && o.processor === p)) info.connected = false;
    });
    this.log(`processor ${p}: hello${returning ? ' (holds rules already)' : ''}${info.portRange ? `, local ports ${info.portRange[0]}-${info.portRange[1]}` : ''}`);
    return {
      primary: PRIMARY_NAME,
      version: CONTROL_VERSION,
      processor: p,
      clusterIps: this.me.ips.map((a) => formatIp(a.bytes, a.family)),
      clusterMac: formatMac(this.me.mac),
      heartbeatMs: Math.max(10, Math.floor(this.timeoutMs / 4)),
      heartbeatTimeoutMs: this.timeoutMs,
      listens: this.registry.listensOf(p).map((g) => ({ proto: g.proto, port: g.port, shared: g.members.get(p) })),
      flows: this.registry.flowsOf(p),
      pinning: this.pinning,
    };
  }

  /** A processor's MAC from its hello: the slow path sends there, and its queue's egress MAC is set (once per change). */
  private async learnMac(p: number, mac: string): Promise<void> {
    const info = this.registry.processor(p);
    const bytes = parseMac(mac);
    this.port.setProcessorMac?.(p, bytes);
    const egress = this.options.egress;
    if (info.mac === mac || !egress) {
      info.mac = mac;
      return;
    }
    try {
      await this.tables.run(() => egress.setMac(p, bytes));
      info.mac = mac;
      this.log(`egress: queue ${p} → ${mac} (processor ${p}'s hello)`);
    } catch (err) {
      // the hello still counts: the slow path reaches the processor; the next hello tries again
      this.counters.egressErrors++;
      this.log(`egress: setting queue ${p} → ${mac} failed: ${(err as Error).message}`);
    }
  }

  private seen(p: number): void {
    const info = this.registry.processor(p);
    info.lastSeen = this.now();
    this.deadlines.set(p, info.lastSeen + this.timeoutMs);
  }

  /**
   * The adapter's learning counters, read between table changes (one batch on a serial line), at
   * most once a LEARNING_STATS_MS: anyone may ask for stats, and asking must not take the line
   * from the table changes (nor keep a slow line from ever looking quiet). Callers at the same
   * time share one read.
   */
  private learningCounters(): Promise<LearningCounters | undefined> {
    const c = this.learningCache;
    if (c?.reading) return c.reading;
    if (c?.value && this.now() - c.at < LEARNING_STATS_MS) return Promise.resolve(c.value);
    const reading = this.tables.run(() => this.adapter.learningCounters()).then(
      (value) => {
        this.learningCache = { at: this.now(), value };
        return value;
      },
      (err: unknown) => {
        this.learningCache = c && { at: c.at, value: c.value };
        throw err;
      },
    );
    this.learningCache = { at: c?.at ?? 0, value: c?.value, reading };
    return reading;
  }

  /** What `stats` answers: the primary's counters, the registry and each processor's own report. */
  stats(): Record<string, unknown> {
    const now = this.now();
    const fb = this.flowChanges.stats;
    const busMs = summarize(fb.busMs, 3);
    return {
      primary: PRIMARY_NAME,
      uptimeMs: Math.round(now - this.startedAt),
      clusterIps: this.me.ips.map((a) => formatIp(a.bytes, a.family)),
      clusterMac: formatMac(this.me.mac),
      pinning: this.pinning,
      counters: this.counters,
      // the register bus when it is a serial line (the board, a board simulator): its rate, commands, bytes, busy share
      serial: this.adapter.bus instanceof SerialBus ? { ...this.adapter.bus.wire(), retries: this.adapter.bus.stats.retries, timeouts: this.adapter.bus.stats.timeouts, failures: this.adapter.bus.stats.failures } : null,
      control: this.control.stats(),
      listens: [...this.registry.listens.values()].map((g) => ({ proto: g.proto, port: g.port, members: members(g), ...(g.leaving.size ? { leaving: [...g.leaving].sort((a, b) => a - b) } : {}) })),
      flows: this.registry.flows.size,
      flowQuota: this.flowQuota,
      // hardware pinning with the event queue: the adapter's learned entries as its records say
      learned: this.followsEvents ? this.registry.learned.size : null,
      events: this.followsEvents ? { read: this.counters.eventsRead, resyncs: this.counters.eventResyncs, errors: this.counters.eventErrors } : null,
      // fallback pins in the table (as their aged records say) against the quota
      fallbackPins: this.followsEvents ? { live: this.fallbackLive.size, quota: this.fallbackQuota } : null,
      // changes the adapter has not taken yet (the registry still holds them, as the table does)
      pending: {
        listens: this.registry.pendingLeaves().map((g) => ({ proto: g.proto, port: g.port, members: members(g), leaving: [...g.leaving].sort((a, b) => a - b), keeping: owners(g) })),
        flowsOfLostProcessors: [...this.registry.processors.values()].filter((p) => !p.alive).reduce((n, p) => n + this.registry.flowCount(p.id), 0),
        learnedOfLostProcessors: [...this.registry.processors.values()].filter((p) => !p.alive).reduce((n, p) => n + this.registry.learnedCount(p.id), 0),
        retryInMs: this.retryAt === undefined ? null : Math.max(0, Math.round(this.retryAt - now)),
      },
      flowBatches: {
        batches: fb.batches,
        changes: fb.changes,
        largest: fb.largest,
        queued: this.flowChanges.queued,
        busMs: { p50: busMs?.p50 ?? null, p99: busMs?.p99 ?? null },
      },
      processors: [...this.registry.processors.values()]
        .sort((a, b) => a.id - b.id)
        .map((p) => ({
          processor: p.id,
          alive: p.alive,
          connected: p.connected,
          lastSeenMsAgo: p.lastSeen ? Math.round(now - p.lastSeen) : null,
          portRange: p.portRange ?? null,
          mac: p.mac ?? null,
          flows: this.registry.flowCount(p.id),
          learned: this.followsEvents ? this.registry.learnedCount(p.id) : null,
          flowQuotaRefusals: this.flowChanges.quotaRefusals.get(p.id) ?? 0,
          listens: this.registry.listensOf(p.id).map((g) => `${g.proto}/${g.port}`),
          monitor: p.stats ?? null,
        })),
    };
  }
}

const wire = (f: WireFlow): WireFlow => ({ family: f.family, proto: f.proto, srcIp: f.srcIp, srcPort: f.srcPort, dstIp: f.dstIp, dstPort: f.dstPort });
