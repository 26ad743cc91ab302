// The primary's flow changes (flow-add, flow-del from the monitors) in batches: the requests
// that arrive while the register-bus round trip before them is in flight go to the adapter
// together in the next one (FlowTable.many: still one table command and one answer each).
// Arrival order across kinds of table change is kept: a request joins the waiting batch only
// when no other table change was queued after it, and never when the batch already holds a
// change of the same flow.
//
// Each processor may hold at most `quota` flows (`sipnic primary --flow-quota`, by default a
// fair share of the table: its entries and stash over the processors), so one processor's
// flood of connections cannot take the table from the others: a flow-add beyond it is refused
// with EQUOTA before it reaches the adapter, and counted.
import { FlowExistsError, NotFoundError, type Adapter, type FlowChange } from '../driver/index.js';
import { parseIp } from '../codec/ip.js';
import type { FlowRule } from '../codec/rules.js';
import { ControlError, wireFlowKey, type WireFlow } from './control-protocol.js';
import type { Registry } from './registry.js';
import { trace, tracing, traceNow } from './trace.js';
import type { Sequence } from '../util/sequence.js';

/** Most flow changes in one bus round trip (a batch of 64 inserts is ~1,300 register accesses). */
export const MAX_FLOW_BATCH = 64;

/** The adapter's rule for a flow: its frames from the client to queue `action`. */
export function flowRule(flow: WireFlow, action: number): FlowRule {
  return { kind: 'flow', family: flow.family, proto: flow.proto, srcIp: parseIp(flow.srcIp).bytes, dstIp: parseIp(flow.dstIp).bytes, srcPort: flow.srcPort, dstPort: flow.dstPort, action };
}

/** The default flow quota: the table's entries and stash shared evenly by the processors. */
export function fairFlowQuota(capacity: { entries: number; stash: number }, processors: number): number {
  return Math.max(1, Math.floor((capacity.entries + capacity.stash) / Math.max(1, processors)));
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
  /** The table job that runs it: later flow requests join only while nothing else was queued behind it. */
  seq: number;
  started: boolean;
}

export interface FlowBatchStats {
  batches: number;
  changes: number;
  largest: number;
  /** The bus time of each batch (ms, the last 4096). */
  busMs: number[];
}

export class FlowChanges {
  /** Flow-change batches run: how many, how many changes, the largest, and the bus time of each. */
  readonly stats: FlowBatchStats = { batches: 0, changes: 0, largest: 0, busMs: [] };
  /** Flow-adds refused for the quota, per processor. */
  readonly quotaRefusals = new Map<number, number>();
  /** Flow changes queued behind the round trip in flight; they go to the adapter together. */
  private waiting?: FlowBatch;
  private unanswered = 0;

  /** Flow changes taken and not answered yet (queued, or in the round trip in flight). */
  get queued(): number {
    return this.unanswered;
  }

  constructor(
    private readonly o: {
      adapter: Adapter;
      registry: Registry;
      /** Every table change of the primary, in arrival order. */
      tables: Sequence;
      maxBatch?: number;
      /** Most flows one processor may hold. */
      quota: number;
      /** How the quota was chosen, for the refusal's message. */
      quotaSource?: string;
      /** The primary's counters: refusals are counted in flowQuotaRefusals. */
      counters?: { flowQuotaRefusals: number };
      now(): number;
    },
  ) {}

  /** Queues a flow-add or flow-del of processor for the next table batch; resolves with the answer's fields. */
  queue(kind: 'add' | 'del', processor: number, flow: WireFlow): Promise<Record<string, unknown>> {
    const key = wireFlowKey(flow);
    const { tables } = this.o;
    this.unanswered++;
    let answered = false;
    const done = () => {
      if (!answered) this.unanswered--;
      answered = true;
    };
    return new Promise((resolve, reject) => {
      const op: FlowOp = { kind, processor, flow, key, resolve: (v) => (done(), resolve(v)), reject: (e) => (done(), reject(e)) };
      const b = this.waiting;
      if (b && !b.started && b.seq === tables.handed && !b.keys.has(key) && b.ops.length < (this.o.maxBatch ?? MAX_FLOW_BATCH)) {
        b.ops.push(op);
        b.keys.add(key);
        return;
      }
      const batch: FlowBatch = { ops: [op], keys: new Set([key]), seq: 0, started: false };
      this.waiting = batch;
      void tables.run(() => {
        batch.started = true;
        if (this.waiting === batch) this.waiting = undefined;
        return this.run(batch.ops);
      });
      batch.seq = tables.handed;
    });
  }

  /** Checks each queued change against the registry, then one bus round trip for all of them. Never throws. */
  private async run(ops: FlowOp[]): Promise<void> {
    const { adapter, registry } = this.o;
    const t0 = tracing ? traceNow() : 0;
    const todo: FlowOp[] = [];
    /** Adds of this batch per processor, counted against the quota with what it holds. */
    const adding = new Map<number, number>();
    for (const op of ops) {
      try {
        if (!registry.processor(op.processor).alive) throw new ControlError('ENOHELLO', `processor ${op.processor} was declared lost; say hello again`);
        if (op.kind === 'add') {
          registry.checkFlow(op.processor, op.flow);
          if (registry.flows.has(op.key)) op.resolve({ existed: true });
          else {
            const n = adding.get(op.processor) ?? 0;
            this.checkQuota(op, registry.flowCount(op.processor) + n);
            adding.set(op.processor, n + 1);
            todo.push(op);
          }
        } else {
          const held = registry.flows.get(op.key);
          if (!held) op.resolve({ existed: false });
          else if (held.owner !== op.processor) throw new ControlError('EPERM', `flow ${op.key} belongs to processor ${held.owner}`);
          else todo.push(op);
        }
      } catch (err) {
        op.reject(err);
      }
    }
    if (!todo.length) return;
    const changes: FlowChange[] = todo.map((op) => ({ op: op.kind === 'add' ? 'insert' : 'delete', rule: flowRule(op.flow, op.kind === 'add' ? op.processor : 0) }));
    const started = this.o.now();
    const t1 = tracing ? traceNow() : 0;
    let results;
    try {
      results = await adapter.flows.many(changes);
    } catch (err) {
      for (const op of todo) op.reject(err);
      return;
    }
    const fb = this.stats;
    fb.batches++;
    fb.changes += todo.length;
    fb.largest = Math.max(fb.largest, todo.length);
    if (fb.busMs.length >= 4096) fb.busMs.shift();
    fb.busMs.push(this.o.now() - started);
    if (tracing) trace('batch', { t0, t1, keys: todo.map((op) => op.key) });
    for (let i = 0; i < todo.length; i++) {
      const op = todo[i];
      const r = results[i];
      try {
        if (op.kind === 'add') {
          if (!r.ok) {
            if (!(r.error instanceof FlowExistsError)) throw r.error;
            // a stale entry nobody holds (the registry was checked): replace it
            if (r.error.action !== op.processor) await this.replace(op.flow, op.processor);
          }
          registry.addFlow(op.processor, op.flow);
          op.resolve({});
        } else {
          if (!r.ok && !(r.error instanceof NotFoundError)) throw r.error;
          registry.removeFlow(op.flow);
          op.resolve({ existed: true });
        }
      } catch (err) {
        op.reject(err);
      }
    }
  }

  private checkQuota(op: FlowOp, holds: number): void {
    const { quota, quotaSource } = this.o;
    if (holds < quota) return;
    this.quotaRefusals.set(op.processor, (this.quotaRefusals.get(op.processor) ?? 0) + 1);
    if (this.o.counters) this.o.counters.flowQuotaRefusals++;
    throw new ControlError('EQUOTA', `flow ${op.key}: processor ${op.processor} holds ${holds} flows, its quota of ${quota} flows (${quotaSource ?? 'flow quota'}); remove a flow first`);
  }

  /**
   * Deletes the flows lost processors still hold, and the entries the adapter learned to their
   * queues, 64 per round trip; each leaves the registry once the table no longer has it (a
   * delete that finds nothing is success). Returns how many are left (to retry).
   */
  async removeLost(log: (line: string) => void): Promise<number> {
    const { adapter, registry } = this.o;
    const dead = (f: { owner: number }) => !registry.processor(f.owner).alive;
    let left = 0;
    // one kind per round trip: a learned entry's delete releases no address slot (the slots' use
    // counts, derived at start, never counted what the adapter learned since)
    for (const learned of [false, true]) {
      const lost = learned ? [...registry.learned.values()].filter(dead) : [...registry.flows.values()].filter(dead);
      for (let i = 0; i < lost.length; i += MAX_FLOW_BATCH) {
        const chunk = lost.slice(i, i + MAX_FLOW_BATCH);
        const results = await adapter.flows.deleteMany(chunk.map((f) => flowRule(f.flow, 0)), { keepAddressSlots: learned }).catch((err: Error) => chunk.map(() => ({ ok: false as const, error: err })));
        results.forEach((r, k) => {
          const { flow, owner } = chunk[k];
          if (r.ok || r.error instanceof NotFoundError) {
            if (learned) registry.removeLearned(flow);
            else registry.removeFlow(flow);
          } else {
            left++;
            if (left <= 3) log(`processor ${owner}: removing ${learned ? 'learned entry' : 'flow'} ${wireFlowKey(flow)} failed: ${r.error.message}`);
          }
        });
      }
    }
    return left;
  }

  /** Inserts flow for owner where a stale entry of another queue stands. */
  private async replace(flow: WireFlow, owner: number): Promise<void> {
    const { adapter } = this.o;
    const rule = flowRule(flow, owner);
    try {
      await adapter.flows.insert(rule);
    } catch (err) {
      if (!(err instanceof FlowExistsError)) throw err;
      if (err.action === owner) return;
      await adapter.flows.delete(rule);
      await adapter.flows.insert(rule);
    }
  }
}
