// The primary management process: owns the adapter's register bus and queue 0.
//
// - Queue 0 gets what matched no rule. The primary answers ARP and ICMP echo (and IPv6
//   neighbour solicitation) for the cluster addresses with the cluster MAC, hands ARP and
//   neighbour advertisements to every processor (their stacks resolve clients through it),
//   forwards frames of a known owner to it (the slow path, counted), and answers the rest:
//   TCP with RST, UDP with ICMP port unreachable.
// - Monitors connect over the control protocol (control-protocol.ts, docs/cluster-protocol.md)
//   and ask for listen ports and exact flows; the primary checks them against the registry
//   and programs the adapter. All table changes go through the primary, in arrival order; flow
//   changes that arrive while a register-bus round trip is in flight go together in the next
//   one (FlowTable.many: one table command and one answer each).
// - A processor that misses its heartbeats loses its rules; shared ports shrink to the
//   survivors. On start the registry is rebuilt from the adapter's table, so the primary can
//   be restarted under live connections.
import { timingSafeEqual } from 'node:crypto';
import { chmodSync, unlinkSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { DriverError, FlowExistsError, ListenExistsError, NotFoundError, type Adapter, type FlowChange } from '../driver/adapter.js';
import { formatIp, parseIp } from '../codec/ip.js';
import type { FlowRule, ListenRule, Proto } from '../codec/rules.js';
import type { FrameEvent, FramePort } from './frame-port.js';
import {
  checkRequest,
  CONTROL_VERSION,
  ControlError,
  formatControlAddress,
  onJsonLines,
  PRIMARY_NAME,
  toWireFlow,
  wireFlowKey,
  type ControlAddress,
  type MonitorStats,
  type Request,
  type WireFlow,
} from './control-protocol.js';
import { arpReply, echoReply, formatMac, icmpErrorQuote, IPPROTO_ICMPV6, isBroadcastOrFor, neighbourAdvert, ownsIp, parsePacket, portUnreachable, tcpReset, type Identity } from '../codec/packet.js';
import { listenGroups, type ListenGroups } from './primary-groups.js';
import { listenKey, members, Registry, type Via } from './registry.js';
import { trace, tracing, traceNow } from './trace.js';
import { takeSocketPath } from '../bus/unix-socket.js';

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
  /** Most flow changes sent to the adapter in one bus round trip (default MAX_FLOW_BATCH; 1 = one at a time). */
  maxFlowBatch?: number;
  log?: (line: string) => void;
  now?: () => number;
}

export interface PrimaryCounters {
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
  processorsLost: number;
  /** Frames with no owner dropped (not answered) while processors found at start had not said hello yet. */
  heldWhileReclaiming: number;
}

interface Connection {
  socket: Socket;
  processor?: number;
  chain: Promise<void>;
}

/** A flow-add or flow-del waiting for the next table batch. */
interface FlowOp {
  kind: 'add' | 'del';
  processor: number;
  flow: WireFlow;
  key: string;
  resolve(answer: Record<string, unknown>): void;
  reject(err: unknown): void;
}

interface FlowBatch {
  ops: FlowOp[];
  keys: Set<string>;
  /** The serial() call that runs it: later flow requests join only while nothing else was queued behind it. */
  seq: number;
  started: boolean;
}

/** Most flow changes in one bus round trip (a batch of 64 inserts is ~1,300 register accesses). */
export const MAX_FLOW_BATCH = 64;

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
  };
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
  private readonly connections = new Set<Connection>();
  private readonly servers: { server: Server; address: ControlAddress }[] = [];
  private tables: Promise<unknown> = Promise.resolve();
  /** serial() calls so far: orders table changes of every kind. */
  private serialSeq = 0;
  /** Flow changes queued behind the round trip in flight; they go to the adapter together. */
  private flowBatch?: FlowBatch;
  /** Flow-change batches run: how many, how many changes, the largest, and the bus time of each (ms, last 4096). */
  readonly flowBatches = { batches: 0, changes: 0, largest: 0, busMs: [] as number[] };
  private timer?: NodeJS.Timeout;
  private closed = false;
  private readonly startedAt: number;

  constructor(private readonly options: PrimaryOptions) {
    this.adapter = options.adapter;
    this.port = options.framePort;
    this.me = options.identity;
    this.groups = options.groups ?? listenGroups;
    this.timeoutMs = options.heartbeatTimeoutMs ?? 600;
    this.reclaimMs = options.reclaimMs ?? 5000;
    this.log = options.log ?? (() => {});
    this.now = options.now ?? (() => performance.now());
    this.registry = new Registry((flow, m) => this.groups.groupQueue(flow, m));
    this.startedAt = this.now();
    const queues = this.adapter.info.queues;
    if (!Number.isInteger(options.processors) || options.processors < 1 || options.processors > queues - 1) {
      throw new ControlError('EPROTO', `processors must be 1..${queues - 1} (the adapter has ${queues} queues, queue 0 is the primary's), got ${options.processors}`);
    }
    if (this.me.ips.length === 0) throw new ControlError('EPROTO', 'the cluster needs at least one IP address');
  }

  /** Rebuilds the registry from the adapter's table, claims queue 0 and starts the heartbeat check. */
  async start(): Promise<void> {
    await this.serial(() => this.rebuild());
    this.port.onFrame((e) => this.onFrame(e));
    await this.port.claimQueue(0);
    const tick = Math.max(20, Math.min(100, this.timeoutMs / 4));
    this.timer = setInterval(() => void this.checkHeartbeats(), tick);
    this.timer.unref?.();
  }

  /** Serves the control protocol at an address (TCP or Unix socket). */
  async listen(address: ControlAddress): Promise<ControlAddress> {
    if (address.kind === 'unix') await takeSocketPath(address.path, 'a primary', (m) => new ControlError('EPROTO', m));
    const server = createServer((socket) => this.accept(socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      const done = () => {
        server.removeListener('error', reject);
        resolve();
      };
      if (address.kind === 'unix') server.listen(address.path, done);
      else server.listen(address.port, address.host, done);
    });
    if (address.kind === 'unix') chmodSync(address.path, 0o600);
    const bound = server.address();
    const actual: ControlAddress = address.kind === 'tcp' && bound && typeof bound === 'object' ? { kind: 'tcp', host: address.host, port: bound.port } : address;
    this.servers.push({ server, address: actual });
    this.log(`control protocol on ${formatControlAddress(actual)}`);
    return actual;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    for (const c of this.connections) c.socket.destroy();
    await Promise.all(
      this.servers.map(
        ({ server, address }) =>
          new Promise<void>((resolve) =>
            server.close(() => {
              if (address.kind === 'unix') {
                try {
                  unlinkSync(address.path);
                } catch {
                  // gone already
                }
              }
              resolve();
            }),
          ),
      ),
    );
    await this.tables.catch(() => {});
  }

  // ───────────────────────────── table changes ─────────────────────────────

  /** Runs table changes one at a time, in arrival order. */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    this.serialSeq++;
    const run = this.tables.then(fn, fn);
    this.tables = run.catch(() => {});
    return run;
  }

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
    for (const e of await this.adapter.flows.list()) {
      if (!mine(e.rule) || e.action < 1 || e.action >= queues) continue;
      adopt(e.action);
      this.registry.addFlow(e.action, toWireFlow(e.rule));
      flows++;
    }
    for (const e of await this.adapter.listens.list()) {
      if (!mine(e.rule)) continue;
      const m = this.groups.membersOf(e.rule).filter((q) => q >= 1 && q < queues);
      for (const q of m) {
        adopt(q);
        this.registry.addListen(q, e.rule.proto, e.rule.dstPort, m.length > 1);
      }
      if (m.length) listens++;
    }
    // the slow path hashes over the ascending member list: a table rule in another order is rewritten
    for (const g of this.registry.listens.values()) await this.setListen(g.proto, g.port, members(g));
    const held = [...this.registry.processors.values()].filter((p) => p.alive).map((p) => p.id);
    this.log(
      `registry rebuilt from the adapter: ${flows} flows, ${listens} listen rules` +
        (held.length ? ` held by processors ${held.join(', ')} (they have ${this.reclaimMs} ms to say hello)` : ''),
    );
  }

  /** The listen rules of a port, one per cluster address, for these members (none: removed). */
  private async setListen(proto: Proto, port: number, m: readonly number[]): Promise<void> {
    const existing = (await this.adapter.listens.list()).filter((e) => e.rule.proto === proto && e.rule.dstPort === port && ownsIp(this.me, e.rule.family, e.rule.dstIp));
    for (const ip of this.me.ips) {
      const base = { kind: 'listen' as const, family: ip.family, proto, dstIp: ip.bytes, dstPort: port };
      const have = existing.find((e) => e.rule.family === ip.family && formatIp(e.rule.dstIp, ip.family) === formatIp(ip.bytes, ip.family));
      if (m.length === 0) {
        if (have) await this.adapter.listens.remove(have.rule);
        continue;
      }
      const rule = this.groups.rule(base, m);
      if (!have) {
        try {
          await this.adapter.listens.add(rule);
        } catch (err) {
          if (!(err instanceof ListenExistsError)) throw err;
          await this.groups.update(this.adapter, rule);
        }
      } else if (!sameList(this.groups.membersOf(have.rule), m)) {
        await this.groups.update(this.adapter, rule);
      }
    }
  }

  private flowRule(flow: WireFlow, action: number): FlowRule {
    return { kind: 'flow', family: flow.family, proto: flow.proto, srcIp: parseIp(flow.srcIp).bytes, dstIp: parseIp(flow.dstIp).bytes, srcPort: flow.srcPort, dstPort: flow.dstPort, action };
  }

  private async insertFlow(flow: WireFlow, owner: number): Promise<void> {
    const rule = this.flowRule(flow, owner);
    try {
      await this.adapter.flows.insert(rule);
    } catch (err) {
      if (!(err instanceof FlowExistsError)) throw err;
      if (err.action === owner) return;
      // a stale entry nobody holds (the registry was checked): replace it
      await this.adapter.flows.delete(rule);
      await this.adapter.flows.insert(rule);
    }
  }

  /**
   * Queues a flow-add or flow-del for the next table batch. Flow requests that arrive while the
   * bus round trip before them is in flight go to the adapter together, one table command each
   * (FlowTable.many); each still gets its own answer. Arrival order across kinds is kept: a
   * request joins the waiting batch only when no other table change was queued after it, and
   * never when the batch already holds a change of the same flow.
   */
  private queueFlow(kind: 'add' | 'del', processor: number, flow: WireFlow): Promise<Record<string, unknown>> {
    const key = wireFlowKey(flow);
    return new Promise((resolve, reject) => {
      const op: FlowOp = { kind, processor, flow, key, resolve, reject };
      const b = this.flowBatch;
      if (b && !b.started && b.seq === this.serialSeq && !b.keys.has(key) && b.ops.length < (this.options.maxFlowBatch ?? MAX_FLOW_BATCH)) {
        b.ops.push(op);
        b.keys.add(key);
        return;
      }
      const batch: FlowBatch = { ops: [op], keys: new Set([key]), seq: 0, started: false };
      this.flowBatch = batch;
      void this.serial(() => {
        batch.started = true;
        if (this.flowBatch === batch) this.flowBatch = undefined;
        return this.runFlowBatch(batch.ops);
      });
      batch.seq = this.serialSeq;
    });
  }

  /** Checks each queued change against the registry, then one bus round trip for all of them. Never throws. */
  private async runFlowBatch(ops: FlowOp[]): Promise<void> {
    const t0 = tracing ? traceNow() : 0;
    const todo: FlowOp[] = [];
    for (const op of ops) {
      try {
        if (!this.registry.processor(op.processor).alive) throw new ControlError('ENOHELLO', `processor ${op.processor} was declared lost; say hello again`);
        if (op.kind === 'add') {
          this.registry.checkFlow(op.processor, op.flow);
          if (this.registry.flows.has(op.key)) op.resolve({ existed: true });
          else todo.push(op);
        } else {
          const held = this.registry.flows.get(op.key);
          if (!held) op.resolve({ existed: false });
          else if (held.owner !== op.processor) throw new ControlError('EPERM', `flow ${op.key} belongs to processor ${held.owner}`);
          else todo.push(op);
        }
      } catch (err) {
        op.reject(err);
      }
    }
    if (!todo.length) return;
    const changes: FlowChange[] = todo.map((op) => ({ op: op.kind === 'add' ? 'insert' : 'delete', rule: this.flowRule(op.flow, op.kind === 'add' ? op.processor : 0) }));
    const started = this.now();
    const t1 = tracing ? traceNow() : 0;
    let results;
    try {
      results = await this.adapter.flows.many(changes);
    } catch (err) {
      for (const op of todo) op.reject(err);
      return;
    }
    const fb = this.flowBatches;
    fb.batches++;
    fb.changes += todo.length;
    fb.largest = Math.max(fb.largest, todo.length);
    if (fb.busMs.length >= 4096) fb.busMs.shift();
    fb.busMs.push(this.now() - started);
    if (tracing) trace('batch', { t0, t1, keys: todo.map((op) => op.key) });
    for (let i = 0; i < todo.length; i++) {
      const op = todo[i];
      const r = results[i];
      try {
        if (op.kind === 'add') {
          if (!r.ok) {
            if (!(r.error instanceof FlowExistsError)) throw r.error;
            // a stale entry nobody holds (the registry was checked): replace it
            if (r.error.action !== op.processor) await this.insertFlow(op.flow, op.processor);
          }
          this.registry.addFlow(op.processor, op.flow);
          op.resolve({});
        } else {
          if (!r.ok && !(r.error instanceof NotFoundError)) throw r.error;
          this.registry.removeFlow(op.flow);
          op.resolve({ existed: true });
        }
      } catch (err) {
        op.reject(err);
      }
    }
  }

  // ───────────────────────────── processors ─────────────────────────────

  private async checkHeartbeats(): Promise<void> {
    const now = this.now();
    for (const p of this.registry.processors.values()) {
      const deadline = this.deadlines.get(p.id);
      if (!p.alive || deadline === undefined || now <= deadline) continue;
      this.deadlines.delete(p.id);
      this.reclaiming.delete(p.id);
      p.alive = false;
      await this.serial(() => this.dropProcessor(p.id, now - p.lastSeen));
    }
  }

  /** Removes every rule of a processor that stopped answering; shared ports keep the survivors. */
  private async dropProcessor(id: number, silentMs: number): Promise<void> {
    const started = this.now();
    this.counters.processorsLost++;
    for (const c of this.connections) if (c.processor === id) c.socket.destroy();
    const { flows, listens } = this.registry.dropProcessor(id);
    for (let i = 0; i < flows.length; i += MAX_FLOW_BATCH) {
      const chunk = flows.slice(i, i + MAX_FLOW_BATCH);
      const results = await this.adapter.flows.deleteMany(chunk.map((f) => this.flowRule(f, 0))).catch((err: Error) => chunk.map(() => ({ ok: false as const, error: err })));
      results.forEach((r, k) => {
        if (!r.ok && !(r.error instanceof NotFoundError)) this.log(`processor ${id}: removing flow ${wireFlowKey(chunk[k])} failed: ${r.error.message}`);
      });
    }
    for (const l of listens) await this.setListen(l.proto, l.port, l.members).catch((err) => this.log(`processor ${id}: updating ${l.proto} port ${l.port} failed: ${err.message}`));
    const shrunk = listens.filter((l) => l.members.length).map((l) => `${l.proto}/${l.port} → ${l.members.join(',')}`);
    this.log(
      `processor ${id} lost (silent ${Math.round(silentMs)} ms): removed ${flows.length} flows and ${listens.length - shrunk.length} listen ports` +
        (shrunk.length ? `; shared ports now ${shrunk.join('; ')}` : '') +
        ` in ${ms(this.now() - started)} ms`,
    );
  }

  // ───────────────────────────── control protocol ─────────────────────────────

  private accept(socket: Socket): void {
    const c: Connection = { socket, chain: Promise.resolve() };
    this.connections.add(c);
    socket.setNoDelay?.(true);
    socket.on('error', () => socket.destroy());
    socket.on('close', () => {
      this.connections.delete(c);
      if (c.processor !== undefined && !this.closed) this.log(`processor ${c.processor}: control connection closed (rules stay until its heartbeats are missed)`);
    });
    onJsonLines(socket, (msg) => {
      // each request starts at once (its table change is queued in arrival order); the answers
      // go out in request order
      const key = tracing && !(msg instanceof Error) && (msg.op === 'flow-add' || msg.op === 'flow-del') ? wireFlowKey(msg as unknown as WireFlow) : undefined;
      if (key) trace('prx', { k: key });
      const answer = this.answer(c, msg);
      c.chain = c.chain.then(async () => {
        const a = await answer;
        if (!socket.destroyed) socket.write(JSON.stringify(a) + '\n');
        if (key) trace('ptx', { k: key });
      });
    });
  }

  private async answer(c: Connection, msg: Record<string, unknown> | Error): Promise<Record<string, unknown>> {
    const id = msg instanceof Error ? null : (msg.id ?? null);
    try {
      if (msg instanceof Error) throw new ControlError('EPROTO', `not a JSON object: ${msg.message}`);
      const req = checkRequest(msg);
      return { id, ok: true, ...(await this.handle(c, req)) };
    } catch (err) {
      const code = err instanceof ControlError ? err.code : err instanceof DriverError ? (err.code === 'EFULL' ? 'EFULL' : 'EHW') : 'EHW';
      const message = err instanceof Error ? err.message : String(err);
      if (c.processor !== undefined || code === 'EAUTH') this.log(`${c.processor !== undefined ? `processor ${c.processor}` : 'connection'}: ${String((msg as Record<string, unknown>).op ?? 'request')} refused: ${message}`);
      return { id, ok: false, error: { code, message } };
    }
  }

  private async handle(c: Connection, req: Request): Promise<Record<string, unknown>> {
    if (req.op === 'hello') return this.hello(c, req);
    if (req.op === 'stats') return this.stats();
    const p = c.processor;
    if (p === undefined) throw new ControlError('ENOHELLO', `${req.op} before hello: say hello with the processor number and its secret first`);
    const info = this.registry.processor(p);
    if (!info.alive) throw new ControlError('ENOHELLO', `processor ${p} was declared lost; say hello again`);
    switch (req.op) {
      case 'heartbeat':
        this.seen(p);
        if (req.stats) info.stats = req.stats;
        return {};
      case 'listen': {
        const shared = Boolean(req.shared);
        return this.serial(async () => {
          this.registry.checkListen(p, req.proto, req.port, shared);
          const key = listenKey(req.proto, req.port);
          const before = this.registry.listens.get(key);
          const prior = before ? new Map(before.members) : undefined;
          const m = this.registry.addListen(p, req.proto, req.port, shared);
          try {
            await this.setListen(req.proto, req.port, m);
          } catch (err) {
            // back to what the registry and the table held before (one address's rule may be in)
            if (prior?.size) this.registry.listens.set(key, { proto: req.proto, port: req.port, members: prior });
            else this.registry.listens.delete(key);
            const back = prior ? [...prior.keys()].sort((a, b) => a - b) : [];
            await this.setListen(req.proto, req.port, back).catch((e) => this.log(`restoring ${req.proto} port ${req.port} failed: ${(e as Error).message}`));
            throw err;
          }
          if (!prior?.has(p)) this.log(`processor ${p}: listen ${req.proto} port ${req.port}${m.length > 1 ? ` (shared by ${m.join(',')})` : ''}`);
          return { members: m };
        });
      }
      case 'unlisten':
        return this.serial(async () => {
          if (!this.registry.listens.get(listenKey(req.proto, req.port))?.members.has(p)) return { members: [] };
          const m = this.registry.removeListen(p, req.proto, req.port);
          await this.setListen(req.proto, req.port, m);
          this.log(`processor ${p}: unlisten ${req.proto} port ${req.port}${m.length ? ` (still shared by ${m.join(',')})` : ''}`);
          return { members: m };
        });
      case 'flow-add': {
        const flow = wire(req);
        if (!ownsIp(this.me, flow.family, parseIp(flow.dstIp).bytes)) throw new ControlError('EPERM', `flow ${wireFlowKey(flow)}: dst ${flow.dstIp} is not a cluster address`);
        return this.queueFlow('add', p, flow);
      }
      case 'flow-del':
        return this.queueFlow('del', p, wire(req));
    }
  }

  private hello(c: Connection, req: Extract<Request, { op: 'hello' }>): Record<string, unknown> {
    const p = req.processor;
    const expected = this.options.secrets.get(p);
    if (p > this.options.processors || expected === undefined || !sameSecret(expected, req.secret)) {
      throw new ControlError('EAUTH', `hello refused for processor ${p}: ${p > this.options.processors ? `the cluster has processors 1..${this.options.processors}` : 'unknown processor or wrong secret'}`);
    }
    if (c.processor !== undefined && c.processor !== p) throw new ControlError('EAUTH', `this connection is processor ${c.processor}'s`);
    const info = this.registry.processor(p);
    if (req.portRange) this.registry.checkRange(p, req.portRange);
    // a newer connection for the same processor replaces the old one
    for (const other of this.connections) if (other !== c && other.processor === p) other.socket.destroy();
    c.processor = p;
    this.reclaiming.delete(p);
    const returning = info.alive;
    info.alive = true;
    info.connected = true;
    if (req.portRange) info.portRange = [req.portRange[0], req.portRange[1]];
    this.seen(p);
    c.socket.once('close', () => {
      if (![...this.connections].some((o) => o !== c && o.processor === p)) info.connected = false;
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
    };
  }

  private seen(p: number): void {
    const info = this.registry.processor(p);
    info.lastSeen = this.now();
    this.deadlines.set(p, info.lastSeen + this.timeoutMs);
  }

  /** What `stats` answers: the primary's counters, the registry and each processor's own report. */
  stats(): Record<string, unknown> {
    const now = this.now();
    return {
      primary: PRIMARY_NAME,
      uptimeMs: Math.round(now - this.startedAt),
      clusterIps: this.me.ips.map((a) => formatIp(a.bytes, a.family)),
      clusterMac: formatMac(this.me.mac),
      counters: this.counters,
      listens: [...this.registry.listens.values()].map((g) => ({ proto: g.proto, port: g.port, members: members(g) })),
      flows: this.registry.flows.size,
      flowBatches: {
        batches: this.flowBatches.batches,
        changes: this.flowBatches.changes,
        largest: this.flowBatches.largest,
        busMs: msPercentiles(this.flowBatches.busMs),
      },
      processors: [...this.registry.processors.values()]
        .sort((a, b) => a.id - b.id)
        .map((p) => ({
          processor: p.id,
          alive: p.alive,
          connected: p.connected,
          lastSeenMsAgo: p.lastSeen ? Math.round(now - p.lastSeen) : null,
          portRange: p.portRange ?? null,
          flows: this.registry.flowsOf(p.id).length,
          listens: this.registry.listensOf(p.id).map((g) => `${g.proto}/${g.port}`),
          monitor: p.stats ?? null,
        })),
    };
  }

  // ───────────────────────────── queue 0 ─────────────────────────────

  private onFrame(e: FrameEvent): void {
    if (this.closed || e.source !== 'queue' || e.queue !== 0) return;
    this.counters.queueFrames++;
    try {
      this.frame(e.frame);
    } catch (err) {
      this.counters.ignored++;
      this.log(`queue 0: frame of ${e.frame.length} bytes not handled: ${(err as Error).message}`);
    }
  }

  /** Handles one frame of queue 0 (public for tests that feed frames directly). */
  frame(frame: Uint8Array): void {
    const p = parsePacket(frame);
    if (p.kind === 'other' || !isBroadcastOrFor(p.dstMac!, this.me)) {
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
      const r = this.registry.route(flow);
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
    const r = this.registry.route(flow);
    if (r) {
      this.counters.slowPath[r.via]++;
      this.deliver(r.owner, frame);
      return;
    }
    if (this.reclaiming.size) {
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

  private toEveryProcessor(frame: Uint8Array): void {
    for (let q = 1; q <= this.options.processors; q++) this.deliver(q, frame);
  }

  private deliver(processor: number, frame: Uint8Array): void {
    this.port.deliver(processor, frame).catch((err) => {
      this.counters.deliverErrors++;
      if (this.counters.deliverErrors <= 10) this.log(`deliver to processor ${processor} failed: ${err.message}`);
    });
  }

  private send(frame: Uint8Array): void {
    this.port.transmit(frame).catch((err) => {
      this.counters.deliverErrors++;
      if (this.counters.deliverErrors <= 10) this.log(`transmit failed: ${err.message}`);
    });
  }
}

function msPercentiles(values: readonly number[]): { p50: number | null; p99: number | null } {
  if (!values.length) return { p50: null, p99: null };
  const s = [...values].sort((a, b) => a - b);
  const at = (q: number) => ms(s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))]);
  return { p50: at(0.5), p99: at(0.99) };
}

const wire = (f: WireFlow): WireFlow => ({ family: f.family, proto: f.proto, srcIp: f.srcIp, srcPort: f.srcPort, dstIp: f.dstIp, dstPort: f.dstPort });

const sameList = (a: readonly number[], b: readonly number[]): boolean => a.length === b.length && a.every((v, i) => v === b[i]);

function sameSecret(expected: string, given: string): boolean {
  const a = Buffer.from(expected, 'utf8');
  const b = Buffer.from(given, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}

