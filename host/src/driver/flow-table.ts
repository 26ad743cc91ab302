// The exact-match flow table: one hardware command per insert, delete or lookup, each staged
// and answered in one bus round trip; many() puts several commands into one round trip.
import { BusError } from '../bus/bus.js';
import type { FlowRule } from '../codec/rules.js';
import { checkAction, decodeAction } from './actions.js';
import { requireRuleFamily, steersFamily, type AddressTable } from './address-table.js';
import { commandWord, FLOW_BUSY, FLOW_RESULT, flowResult, type FlowOp } from './commands.js';
import { DriverError, FlowExistsError, NotFoundError, TableFullError } from './errors.js';
import { scanFlowSlots, stageFlowCommand } from './flow-command.js';
import { addressBytes, decodeKeyFlags, decodePorts, type KeyFlags } from './key.js';
import { agingClasses, readAgingTimeouts } from './learning.js';
import { Ops } from './ops.js';
import { FIELDS, getField } from './regs.generated.js';
import type { TableContext } from './table-context.js';

/** An entry's learning and aging state (flow RES_META), on an adapter with FEATURES.LEARNING. */
export interface FlowMeta {
  origin: 'host' | 'learned';
  state: 'embryonic' | 'established' | 'closing';
  /** a host entry's aging class (0: never aged); 0 for learned entries */
  agingClass: number;
  /** milliseconds since the entry's last hit (mod 2^23) */
  idleMs: number;
}

const META_STATES = ['embryonic', 'established', 'closing', 'closing'] as const;

/** RES_META (or word 7 of a walk record) as FlowMeta. */
export function decodeFlowMeta(w: number): FlowMeta {
  const f = FIELDS.flow.RES_META;
  return {
    origin: getField(f.ORIGIN, w) ? 'learned' : 'host',
    state: META_STATES[getField(f.STATE, w) & 3],
    agingClass: getField(f.CLASS, w),
    idleMs: getField(f.IDLE_MS, w),
  };
}

/**
 * The rule of a table entry as the hardware gives its key: the key flags, the ports word (as
 * RES_PORTS), the source address and the action; the destination address through the address
 * slots. The walk, the slot reads and the event queue (events.ts) all build rules here.
 */
export function entryRule(addresses: Pick<AddressTable, 'get'>, key: KeyFlags, ports: number, src: Uint8Array, action: number): FlowRule {
  const { srcPort, dstPort } = decodePorts(ports);
  return {
    kind: 'flow',
    family: key.family,
    proto: key.proto,
    srcIp: src,
    // an entry whose slot was cleared behind our back shows the unspecified address
    dstIp: addresses.get(key.addressSlot)?.address ?? new Uint8Array(16),
    srcPort,
    dstPort,
    action,
  };
}

export interface FlowEntry {
  slot: number;
  rule: FlowRule; // rule.action is the entry's action
  action: number;
  hits: number;
  addressSlot: number;
  /** with FEATURES.LEARNING only */
  meta?: FlowMeta;
}

export interface InsertResult {
  slot: number;
  moves: number;
}

interface FlowResult {
  status: number;
  valid: boolean;
  flags: number;
  ports: number;
  src: Uint8Array;
  action: number;
  slot: number;
  hits: number;
  meta: number;
  moves: number;
}

/** One change of FlowTable.many(). */
export type FlowChange = { op: 'insert' | 'delete'; rule: FlowRule };

/** The outcome of one rule of a batched insert or delete: its value, or the error the single call would have thrown. */
export type FlowBatchResult<T> = { ok: true; value: T } | { ok: false; error: DriverError };

/** A batch whose STATUS poll timed out: the table is stuck busy. */
function stayedBusy(err: unknown): unknown {
  return err instanceof BusError && err.code === 'ETIMEDOUT' ? new DriverError('EHW', 'flow table stayed busy', { cause: err }) : err;
}

/** The exact-match flow table: one hardware command per insert, delete or lookup. */
export class FlowTable {
  constructor(
    private readonly ctx: TableContext,
    private readonly addresses: AddressTable,
  ) {}

  get capacity(): { entries: number; stash: number } {
    return { entries: this.ctx.info.flowEntries, stash: this.ctx.info.flowStash };
  }

  async count(): Promise<number> {
    return this.ctx.bus.read(this.ctx.reg('flow', 'COUNT'));
  }

  /** Cycles from a key entering the table to its result (LOOKUP_LATENCY). */
  async lookupLatency(): Promise<number> {
    return this.ctx.bus.read(this.ctx.reg('flow', 'LOOKUP_LATENCY'));
  }

  async stashUsed(): Promise<number> {
    return this.ctx.bus.read(this.ctx.reg('flow', 'STASH_USED'));
  }

  /** Adds an exact flow entry; throws FlowExistsError, TableFullError, UnknownQueueError. */
  async insert(rule: FlowRule): Promise<InsertResult> {
    requireRuleFamily(this.ctx, rule);
    checkAction(rule.action, this.ctx.info.queues);
    const agingClass = rule.idleTimeoutMs === undefined ? 0 : (await agingClasses(this.ctx, [rule.idleTimeoutMs])).get(rule.idleTimeoutMs)!;
    const { slot: addressSlot } = await this.addresses.acquire(rule.family, rule.dstIp);
    let r: FlowResult;
    try {
      r = await this.command('insert', rule, addressSlot, agingClass);
    } catch (err) {
      await this.addresses.release(addressSlot);
      throw err;
    }
    if (r.status === FLOW_RESULT.ok) return { slot: r.slot, moves: r.moves };
    await this.addresses.release(addressSlot);
    throw this.insertFailure(r.status, rule, r.slot, r.action);
  }

  /** Removes the entry with the rule's key (its action is ignored); throws NotFoundError. */
  async delete(rule: FlowRule): Promise<FlowEntry> {
    const addressSlot = this.addresses.find(rule.family, rule.dstIp);
    if (addressSlot < 0) throw new NotFoundError(rule);
    const r = await this.command('delete', rule, addressSlot);
    if (r.status !== FLOW_RESULT.ok) throw deleteFailure(r.status, rule);
    await this.addresses.release(addressSlot);
    return { slot: r.slot, rule: { ...rule, action: r.action }, action: r.action, hits: r.hits, addressSlot, ...this.metaOf(r.meta) };
  }

  /** The entry with the rule's key (its action is ignored), or null. */
  async lookup(rule: FlowRule): Promise<FlowEntry | null> {
    const addressSlot = this.addresses.find(rule.family, rule.dstIp);
    if (addressSlot < 0) return null;
    const r = await this.command('lookup', rule, addressSlot);
    if (r.status !== FLOW_RESULT.ok) return null;
    return { slot: r.slot, rule: { ...rule, action: r.action }, action: r.action, hits: r.hits, addressSlot, ...this.metaOf(r.meta) };
  }

  /**
   * Looks several keys up in one bus round trip (one lookup command each): per rule its
   * entry, or null when the table does not hold the key. A bus failure fails the call.
   */
  async lookupMany(rules: readonly FlowRule[]): Promise<(FlowEntry | null)[]> {
    const c = this.ctx;
    const ops = new Ops();
    const at = rules.map((rule) => {
      const addressSlot = this.addresses.find(rule.family, rule.dstIp);
      if (addressSlot < 0) return undefined; // no entry uses an address the table does not hold
      const status = stageFlowCommand(ops, c, 'lookup', rule, addressSlot);
      const action = ops.read(c.reg('flow', 'RES_ACTION'));
      ops.read(c.reg('flow', 'RES_SLOT'));
      ops.read(c.reg('flow', 'RES_HITS'));
      return { status, action, addressSlot };
    });
    if (!at.some(Boolean)) return rules.map(() => null);
    let r: Uint32Array;
    try {
      r = await ops.run(c.bus);
    } catch (err) {
      throw stayedBusy(err);
    }
    return rules.map((rule, i) => {
      const a = at[i];
      if (!a || flowResult(r[a.status]) !== FLOW_RESULT.ok) return null;
      const action = decodeAction(r[a.action]);
      return { slot: r[a.action + 1], rule: { ...rule, action }, action, hits: r[a.action + 2], addressSlot: a.addressSlot };
    });
  }

  /** Every live entry with its slot, action and hits, in slot order. */
  async list(): Promise<FlowEntry[]> {
    const entries = await this.scan(true);
    if (!this.ctx.info.learning || !entries.some((e) => e.meta?.agingClass)) return entries;
    // a host entry's aging class stands for the idle timeout it went in with
    const timeouts = await readAgingTimeouts(this.ctx);
    for (const e of entries) {
      const ms = e.meta?.agingClass ? timeouts[e.meta.agingClass - 1] : 0;
      if (ms) e.rule = { ...e.rule, idleTimeoutMs: ms };
    }
    return entries;
  }

  /** Reads slots in order until COUNT live entries have been seen (without full: slots and address slots only). */
  async scan(full: boolean, chunk = 256): Promise<FlowEntry[]> {
    const out: FlowEntry[] = [];
    for await (const { slot, key, entry } of scanFlowSlots(this.ctx, full, () => chunk)) {
      const { addressSlot } = key;
      if (!entry) {
        out.push({ slot, addressSlot, action: 0, hits: 0, rule: undefined as unknown as FlowRule });
        continue;
      }
      out.push({
        slot,
        addressSlot,
        action: entry.action,
        hits: entry.hits,
        ...this.metaOf(entry.meta),
        rule: entryRule(this.addresses, key, entry.ports, entry.src, entry.action),
      });
    }
    return out;
  }

  /** Empties the table (one command) and frees the address slots no listen entry uses. */
  async clear(): Promise<void> {
    const c = this.ctx;
    const ops = new Ops();
    ops.poll(c.reg('flow', 'STATUS'), FLOW_BUSY);
    ops.write(c.reg('flow', 'COMMAND'), commandWord(FIELDS.flow.COMMAND.OP, 'clear'));
    ops.poll(c.reg('flow', 'STATUS'), FLOW_BUSY);
    await ops.run(c.bus);
    await this.addresses.prune();
  }

  /**
   * Inserts several flow entries in one bus round trip: each is still its own table command
   * (stage the key, COMMAND, wait for not-busy, read its status) and the hardware runs them one
   * after another, in list order. Returns one result per rule, in order: ok with the slot, or
   * the error insert() would have thrown for it (FlowExistsError, TableFullError,
   * UnknownQueueError, DriverError). A bus failure fails every rule of the call.
   */
  async insertMany(rules: readonly FlowRule[]): Promise<FlowBatchResult<InsertResult>[]> {
    return (await this.many(rules.map((rule) => ({ op: 'insert' as const, rule })))) as FlowBatchResult<InsertResult>[];
  }

  /**
   * Removes several entries in one bus round trip (one command each); per rule the entry, or
   * NotFoundError / DriverError. With keepAddressSlots the deletes release no address slot: for
   * entries the adapter learned itself, which the slots' use counts may never have counted.
   */
  async deleteMany(rules: readonly FlowRule[], options: { keepAddressSlots?: boolean } = {}): Promise<FlowBatchResult<FlowEntry>[]> {
    return (await this.many(rules.map((rule) => ({ op: 'delete' as const, rule })), options)) as FlowBatchResult<FlowEntry>[];
  }

  /**
   * Inserts and deletes in one bus round trip, one table command each, in list order; one
   * result per change. (Address slots are acquired before and released after the batch, as
   * insert() and delete() do: a new cluster address costs its own round trip.)
   */
  async many(changes: readonly FlowChange[], options: { keepAddressSlots?: boolean } = {}): Promise<FlowBatchResult<InsertResult | FlowEntry>[]> {
    const c = this.ctx;
    const out: (FlowBatchResult<InsertResult | FlowEntry> | undefined)[] = new Array(changes.length);
    const slots: number[] = new Array(changes.length).fill(-1);
    const ops = new Ops();
    const at: { i: number; status: number; action: number }[] = [];
    const fail = (i: number, err: unknown) => {
      out[i] = { ok: false, error: err instanceof DriverError ? err : new DriverError('EHW', err instanceof Error ? err.message : String(err), { cause: err }) };
    };
    // the aging classes of the inserts with an idle timeout (a failure fails those inserts only)
    let classes = new Map<number, number>();
    let classError: unknown;
    try {
      // (not for an IPv6 insert an IPv4-only adapter refuses below)
      const aged = changes.filter((ch) => ch.op === 'insert' && ch.rule.idleTimeoutMs !== undefined && steersFamily(c, ch.rule.family));
      classes = await agingClasses(c, aged.map((ch) => ch.rule.idleTimeoutMs!));
    } catch (err) {
      classError = err;
    }
    for (let i = 0; i < changes.length; i++) {
      const { op, rule } = changes[i];
      try {
        if (op === 'insert') {
          requireRuleFamily(c, rule);
          checkAction(rule.action, c.info.queues);
          if (rule.idleTimeoutMs !== undefined && classError !== undefined) throw classError;
          slots[i] = (await this.addresses.acquire(rule.family, rule.dstIp)).slot;
        } else {
          slots[i] = this.addresses.find(rule.family, rule.dstIp);
          if (slots[i] < 0) throw new NotFoundError(rule);
        }
      } catch (err) {
        slots[i] = -1;
        fail(i, err);
        continue;
      }
      const status = stageFlowCommand(ops, c, op, rule, slots[i], rule.idleTimeoutMs === undefined ? 0 : classes.get(rule.idleTimeoutMs));
      const action = ops.read(c.reg('flow', 'RES_ACTION'));
      ops.read(c.reg('flow', 'RES_SLOT'));
      ops.read(c.reg('flow', 'RES_HITS'));
      ops.read(c.reg('flow', 'LAST_MOVES'));
      at.push({ i, status, action });
    }
    let r: Uint32Array | undefined;
    if (at.length) {
      try {
        r = await ops.run(c.bus);
      } catch (err) {
        const e = stayedBusy(err);
        for (const { i } of at) fail(i, e);
        await this.releaseSlots(at.filter(({ i }) => changes[i].op === 'insert').map(({ i }) => slots[i])).catch(() => undefined);
        return out as FlowBatchResult<InsertResult | FlowEntry>[];
      }
    }
    const release: number[] = [];
    for (const { i, status: si, action: ai } of at) {
      const { op, rule } = changes[i];
      const status = flowResult(r![si]);
      const action = decodeAction(r![ai]);
      const slot = r![ai + 1];
      const hits = r![ai + 2];
      const moves = r![ai + 3];
      try {
        if (op === 'insert') {
          if (status === FLOW_RESULT.ok) {
            out[i] = { ok: true, value: { slot, moves } };
            continue;
          }
          release.push(slots[i]);
          throw this.insertFailure(status, rule, slot, action);
        }
        if (status !== FLOW_RESULT.ok) throw deleteFailure(status, rule);
        if (!options.keepAddressSlots) release.push(slots[i]);
        out[i] = { ok: true, value: { slot, rule: { ...rule, action }, action, hits, addressSlot: slots[i] } };
      } catch (err) {
        fail(i, err);
      }
    }
    // the table changes are done; a slot left without users is cleared (a failure here leaves
    // an unused address slot behind, which prune() clears, and changes no rule's result)
    await this.releaseSlots(release).catch(() => undefined);
    return out as FlowBatchResult<InsertResult | FlowEntry>[];
  }

  /**
   * The address-slot releases of a batch, after all its commands ran: one per use when the
   * slots' uses are counted, else one per slot (an uncounted release looks at the tables as
   * they are now, which already hold every change of the batch).
   */
  private async releaseSlots(slots: readonly number[]): Promise<void> {
    const a = this.addresses;
    const counted = a.list().every((s) => s.refs !== undefined);
    const perSlot = new Map<number, number>();
    for (const s of slots) perSlot.set(s, (perSlot.get(s) ?? 0) + 1);
    for (const [slot, n] of perSlot) for (let k = 0; k < (counted ? n : 1); k++) await a.release(slot);
  }

  /** `{ meta }` of a RES_META word on an adapter with learning, else nothing. */
  private metaOf(w: number): { meta?: FlowMeta } {
    return this.ctx.info.learning ? { meta: decodeFlowMeta(w) } : {};
  }

  /** The error of an insert that answered `status` (not ok). */
  private insertFailure(status: number, rule: FlowRule, slot: number, action: number): DriverError {
    if (status === FLOW_RESULT.exists) return new FlowExistsError(rule, slot, action);
    if (status === FLOW_RESULT.full) return new TableFullError('flow', this.ctx.info.flowEntries, this.ctx.info.flowStash, rule);
    return new DriverError('EHW', `flow insert answered status ${status}`);
  }

  /** Stages the key, writes COMMAND, waits for not-busy and reads the result: one batch. */
  private async command(op: Extract<FlowOp, 'insert' | 'delete' | 'lookup'>, rule: FlowRule, addressSlot: number, agingClass = 0): Promise<FlowResult> {
    const c = this.ctx;
    const ops = new Ops();
    const status = stageFlowCommand(ops, c, op, rule, addressSlot, agingClass);
    const flags = ops.read(c.reg('flow', 'RES_FLAGS'));
    const ports = ops.read(c.reg('flow', 'RES_PORTS'));
    const src = ops.read(c.reg('flow', 'RES_SRC0'));
    for (const name of ['RES_SRC1', 'RES_SRC2', 'RES_SRC3']) ops.read(c.reg('flow', name));
    const action = ops.read(c.reg('flow', 'RES_ACTION'));
    const slot = ops.read(c.reg('flow', 'RES_SLOT'));
    const hits = ops.read(c.reg('flow', 'RES_HITS'));
    const meta = ops.read(c.reg('flow', 'RES_META'));
    const moves = ops.read(c.reg('flow', 'LAST_MOVES'));
    let r: Uint32Array;
    try {
      r = await ops.run(c.bus);
    } catch (err) {
      throw stayedBusy(err);
    }
    return {
      status: flowResult(r[status]),
      valid: decodeKeyFlags(FIELDS.flow.RES_FLAGS, r[flags]).valid,
      flags: r[flags],
      ports: r[ports],
      src: addressBytes(r.subarray(src, src + 4)),
      action: decodeAction(r[action]),
      slot: r[slot],
      hits: r[hits],
      meta: r[meta],
      moves: r[moves],
    };
  }
}

/** The error of a delete that answered `status` (not ok). */
function deleteFailure(status: number, rule: FlowRule): DriverError {
  if (status === FLOW_RESULT.not_found) return new NotFoundError(rule);
  return new DriverError('EHW', `flow delete answered status ${status}`);
}
