// The adapter driver: finds the register blocks by walking TYPE/NEXT from address 0, then
// drives the tables through their single-command interface (stage the key, write COMMAND,
// poll STATUS, read the result). Every register is reached through regs.generated.ts.
//
// State lives in the hardware: a new Adapter over the same bus reads back the address slots
// and the tables, so one process sees what an earlier one wrote.
import { BUS_OP, BusError, runBatch, type RegisterBus } from '../bus/bus.js';
import { formatIp, ipEquals } from '../codec/ip.js';
import { BLOCKS, DROP_REASONS, type BlockName, type DropReasonName, type RegisterDef } from './regs.generated.js';
import { groupMembers, groupTable, GROUP_SLOTS } from '../semantics/listen-group.js';
import { formatAction, formatRule, MAX_LISTEN_MEMBERS, ruleKey, type Family, type FlowRule, type ListenAction, type ListenRule, type Proto, type Rule } from '../codec/rules.js';

// ───────────────────────────── errors ─────────────────────────────

export type DriverErrorCode = 'ENODEV' | 'ENOBLOCK' | 'EVERSION' | 'EFULL' | 'EEXIST' | 'ENOENT' | 'EQUEUE' | 'EHW' | 'ENOREG' | 'EACCESS';

/** Base of the driver's errors; `code` tells them apart without instanceof. */
export class DriverError extends Error {
  constructor(
    readonly code: DriverErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

export type TableName = 'flow' | 'listen' | 'address' | 'group';

/** A table has no room: flow (hashed entries + stash), listen entries or address slots. */
export class TableFullError extends DriverError {
  constructor(
    readonly table: TableName,
    readonly capacity: number,
    readonly stash = 0,
    readonly rule?: Rule,
  ) {
    super('EFULL', TableFullError.describe(table, capacity, stash));
  }
  static describe(table: TableName, capacity: number, stash: number): string {
    if (table === 'flow') return `flow table full (${capacity} entries + ${stash} stash)`;
    if (table === 'listen') return `listen table full (${capacity} entries)`;
    if (table === 'group') {
      if (capacity === 0) return 'this adapter has no queue groups: a listen rule takes one queue';
      return `no free queue group (${capacity} groups, each in use by listen rules with another queue list; rules with the same list share one)`;
    }
    return `address table full (${capacity} cluster addresses in use; a rule's dst-ip must be one of them or a free slot)`;
  }
}

/** The same flow key is already in the table. */
export class FlowExistsError extends DriverError {
  constructor(
    readonly rule: FlowRule,
    readonly slot: number,
    readonly action: number,
  ) {
    super('EEXIST', `flow already exists (slot ${slot}, action ${action}): ${ruleKey(rule)}`);
  }
}

/** A listen entry with the same (family, protocol, dst-ip, dst-port) is already in the table. */
export class ListenExistsError extends DriverError {
  constructor(
    readonly rule: ListenRule,
    readonly entry: number,
    readonly action: ListenAction,
  ) {
    super('EEXIST', `listen rule already exists (entry ${entry}, action ${formatAction(action)}): ${ruleKey(rule)}`);
  }
}

/** Delete/remove of a rule that is not in the table. */
export class NotFoundError extends DriverError {
  constructor(readonly rule: FlowRule | ListenRule) {
    super('ENOENT', `no such ${rule.kind} rule: ${ruleKey(rule)}`);
  }
}

/** An action that names a queue the adapter does not have. */
export class UnknownQueueError extends DriverError {
  constructor(
    readonly action: number,
    readonly queues: number,
  ) {
    super('EQUEUE', `queue ${action} does not exist: the adapter has ${queues} queues (0..${queues - 1}; action -1 drops)`);
  }
}

/** A rule of applyRules failed; nothing of the set stayed applied. */
export class RuleApplyError extends DriverError {
  constructor(
    readonly index: number,
    readonly rule: Rule,
    override readonly cause: DriverError,
  ) {
    super(cause.code, `rule ${index + 1} (${formatRule(rule)}): ${cause.message}; nothing was applied`, { cause });
  }
}

// ───────────────────────────── registers ─────────────────────────────

export interface AdapterInfo {
  dataWidth: number;
  queues: number;
  maxFrame: number;
  queueFifoBytes: number;
  flowEntries: number;
  flowWays: number;
  flowStash: number;
  flowLookupLatency: number;
  listenEntries: number;
  /** queue groups for listen rules whose action is a list of queues */
  listenGroups: number;
  addressSlots: number;
}

/** A register resolved from its name (`core.SCRATCH`, `counters.DROP[2]`) or address. */
export interface ResolvedRegister {
  block: BlockName;
  name: string; // `block.REG` or `block.REG[i]`
  def: RegisterDef;
  addr: number; // byte address of the (LO) word
  index?: number;
}

const BLOCK_NAMES = Object.keys(BLOCKS) as BlockName[];
const STATUS_BUSY = 1;
/** flow.COMMAND op codes. */
export const FLOW_OP = { insert: 1, delete: 2, lookup: 3, readSlot: 4, clear: 5 } as const;
const FLOW_STATUS = { ok: 0, exists: 1, full: 2, notFound: 3 } as const;
/** addr.COMMAND, listen.COMMAND and listen.GROUP_COMMAND op codes. */
export const TABLE_CMD = { write: 1, read: 2 } as const;
const MAX_BLOCKS = 64;
/** Blocks a bare sipnic_core lacks: only the two-port NIC (sipnic_nic, the board) has them. */
export const OPTIONAL_BLOCKS: readonly BlockName[] = ['egress'];

/** An action register read back: -1 (drop) or a queue. Hardware keeps bit 7 = drop. */
export function decodeAction(word: number): number {
  const v = word | 0;
  if (v < 0 || (v & 0x80) !== 0) return -1;
  return v & 0x7f;
}

export const encodeAction = (action: number): number => action >>> 0;

/** The four address words, bits 127:96 first. */
function addressWords(bytes: Uint8Array): number[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, 16);
  return [0, 4, 8, 12].map((o) => view.getUint32(o, false));
}

function addressBytes(words: ArrayLike<number>): Uint8Array {
  const out = new Uint8Array(16);
  const view = new DataView(out.buffer);
  for (let i = 0; i < 4; i++) view.setUint32(4 * i, words[i] >>> 0, false);
  return out;
}

/** A batch of triples being built, with the index of each op's result word. */
class Ops {
  private words: number[] = [];
  read(addr: number): number {
    this.words.push(BUS_OP.read, addr, 0);
    return this.words.length / 3 - 1;
  }
  write(addr: number, value: number): void {
    this.words.push(BUS_OP.write, addr, value >>> 0);
  }
  poll(addr: number, mask: number): number {
    this.words.push(BUS_OP.poll, addr, mask);
    return this.words.length / 3 - 1;
  }
  get length(): number {
    return this.words.length / 3;
  }
  run(bus: RegisterBus): Promise<Uint32Array> {
    return runBatch(bus, Uint32Array.from(this.words));
  }
}

// ───────────────────────────── the adapter ─────────────────────────────

export class Adapter {
  readonly addresses: AddressTable;
  readonly flows: FlowTable;
  readonly listens: ListenTable;

  private constructor(
    readonly bus: RegisterBus,
    /** Base address of every block, as found by the walk. */
    readonly bases: Readonly<Record<BlockName, number>>,
    readonly info: AdapterInfo,
  ) {
    this.addresses = new AddressTable(this);
    this.flows = new FlowTable(this);
    this.listens = new ListenTable(this);
  }

  /** Walks the blocks from address 0, reads the parameters and the address slots. */
  static async open(bus: RegisterBus): Promise<Adapter> {
    const bases = await walkBlocks(bus);
    const reg = (b: BlockName, r: string) => registerAddress(bases, b, r);
    const ops = new Ops();
    const at = {
      dataWidth: ops.read(reg('core', 'DATA_WIDTH')),
      queues: ops.read(reg('core', 'QUEUES')),
      maxFrame: ops.read(reg('core', 'MAX_FRAME')),
      queueFifoBytes: ops.read(reg('core', 'QUEUE_FIFO_BYTES')),
      flowEntries: ops.read(reg('flow', 'ENTRIES')),
      flowWays: ops.read(reg('flow', 'WAYS')),
      flowStash: ops.read(reg('flow', 'STASH')),
      flowLookupLatency: ops.read(reg('flow', 'LOOKUP_LATENCY')),
      listenEntries: ops.read(reg('listen', 'ENTRIES')),
      listenGroups: ops.read(reg('listen', 'GROUPS')),
      addressSlots: ops.read(reg('addr', 'SLOTS')),
    };
    const r = await ops.run(bus);
    const info = Object.fromEntries(Object.entries(at).map(([k, i]) => [k, r[i]])) as unknown as AdapterInfo;
    if (info.queues < 1 || info.queues > 128 || info.addressSlots > 16 || info.flowEntries === 0 || info.listenGroups > 64) {
      throw new DriverError('EHW', `implausible adapter parameters ${JSON.stringify(info)}`);
    }
    const adapter = new Adapter(bus, bases, info);
    await adapter.addresses.load();
    await adapter.listens.load();
    return adapter;
  }

  /** Whether the walk found the block (optional blocks exist only on some adapters). */
  has(block: BlockName): boolean {
    return this.bases[block] !== undefined;
  }

  /** Byte address of a register by block and generated name (array registers take an index). */
  reg(block: BlockName, name: string, index = 0): number {
    return registerAddress(this.bases, block, name, index);
  }

  /** Resolves `block.REG`, `block.REG[i]` or a numeric address (0x1c) to a register. */
  resolve(text: string): ResolvedRegister {
    const named = /^([a-z]+)\.([A-Z0-9_]+)(?:\[(\d+)\])?$/i.exec(text.trim());
    if (named) {
      const block = named[1].toLowerCase() as BlockName;
      if (!BLOCK_NAMES.includes(block)) throw new DriverError('ENOREG', `no block "${named[1]}" (blocks: ${BLOCK_NAMES.join(', ')})`);
      const name = named[2].toUpperCase();
      const def = (BLOCKS[block].registers as Record<string, RegisterDef>)[name];
      if (!def) {
        throw new DriverError('ENOREG', `block ${block} has no register "${named[2]}" (registers: ${Object.keys(BLOCKS[block].registers).join(', ')})`);
      }
      if (def.array && named[3] === undefined) throw new DriverError('ENOREG', `${block}.${name} is an array of ${def.array.count}: name one as ${block}.${name}[i]`);
      if (!def.array && named[3] !== undefined) throw new DriverError('ENOREG', `${block}.${name} is not an array`);
      const index = named[3] === undefined ? undefined : Number(named[3]);
      const full = index === undefined ? `${block}.${name}` : `${block}.${name}[${index}]`;
      return { block, name: full, def, addr: this.reg(block, name, index), index };
    }
    const addr = /^(0x[0-9a-f]+|\d+)$/i.test(text.trim()) ? Number(text.trim()) : NaN;
    if (!Number.isInteger(addr)) throw new DriverError('ENOREG', `"${text}" is neither a register name (like core.SCRATCH) nor an address (like 0x1c)`);
    for (const block of BLOCK_NAMES) {
      if (!this.has(block)) continue;
      for (const [name, def] of Object.entries(BLOCKS[block].registers as Record<string, RegisterDef>)) {
        const count = def.array?.count ?? 1;
        for (let i = 0; i < count; i++) {
          const a = this.bases[block] + def.offset + (def.array ? i * def.array.stride : 0);
          if (addr === a || (def.width === 64 && addr === a + 4)) {
            const full = def.array ? `${block}.${name}[${i}]` : `${block}.${name}`;
            return { block, name: full, def, addr: a, index: def.array ? i : undefined };
          }
        }
      }
    }
    throw new DriverError('ENOREG', `no register at address 0x${addr.toString(16)}`);
  }

  /** Reads a register: 64-bit registers LO then HI, as a bigint; 32-bit as a number. */
  async readRegister(r: ResolvedRegister): Promise<number | bigint> {
    if (r.def.access === 'wo') throw new DriverError('EACCESS', `${r.name} is write-only`);
    if (r.def.width === 64) {
      const ops = new Ops();
      ops.read(r.addr);
      ops.read(r.addr + 4);
      const [lo, hi] = await ops.run(this.bus);
      return (BigInt(hi) << 32n) | BigInt(lo);
    }
    return this.bus.read(r.addr);
  }

  /** Every register of every block (arrays expanded; queue arrays to the adapter's queues). */
  registers(): ResolvedRegister[] {
    const out: ResolvedRegister[] = [];
    for (const block of BLOCK_NAMES) {
      if (!this.has(block)) continue;
      for (const [name, def] of Object.entries(BLOCKS[block].registers as Record<string, RegisterDef>)) {
        if (!def.array) {
          out.push({ block, name: `${block}.${name}`, def, addr: this.reg(block, name) });
          continue;
        }
        const count = name.startsWith('Q_') || (block === 'egress' && name.startsWith('MAC_')) ? Math.min(def.array.count, this.info.queues) : def.array.count;
        for (let i = 0; i < count; i++) out.push({ block, name: `${block}.${name}[${i}]`, def, addr: this.reg(block, name, i), index: i });
      }
    }
    return out;
  }

  /** Reads readable registers in one batch (64-bit ones LO then HI); write-only ones give undefined. */
  async readRegisters(list: readonly ResolvedRegister[]): Promise<(number | bigint | undefined)[]> {
    const ops = new Ops();
    const at = list.map((r) => {
      if (r.def.access === 'wo') return -1;
      const i = ops.read(r.addr);
      if (r.def.width === 64) ops.read(r.addr + 4);
      return i;
    });
    const v = await ops.run(this.bus);
    return list.map((r, k) => {
      const i = at[k];
      if (i < 0) return undefined;
      return r.def.width === 64 ? (BigInt(v[i + 1]) << 32n) | BigInt(v[i]) : v[i];
    });
  }

  async writeRegister(r: ResolvedRegister, value: number): Promise<void> {
    if (r.def.access === 'ro') throw new DriverError('EACCESS', `${r.name} is read-only`);
    if (!Number.isInteger(value) || value < -0x80000000 || value > 0xffffffff) {
      throw new DriverError('EACCESS', `value ${value} does not fit a 32-bit register`);
    }
    await this.bus.write(r.addr, value >>> 0);
  }

  checkAction(action: number): void {
    if (!Number.isInteger(action) || action < -1 || action >= this.info.queues) throw new UnknownQueueError(action, this.info.queues);
  }

  /** A listen action: -1, a queue, or 1..8 queues (not -1) that share the port. */
  checkListenAction(action: ListenAction): void {
    if (!Array.isArray(action)) return this.checkAction(action);
    if (action.length < 1 || action.length > MAX_LISTEN_MEMBERS) {
      throw new DriverError('EQUEUE', `a shared port takes 1 to ${MAX_LISTEN_MEMBERS} queues, got ${action.length}`);
    }
    for (const q of action) {
      if (q === -1) throw new DriverError('EQUEUE', `a shared port's queue list names queues 0..${this.info.queues - 1}; -1 (drop) is not one`);
      this.checkAction(q);
    }
  }

  async setDefault(action: number): Promise<void> {
    this.checkAction(action);
    await this.bus.write(this.reg('core', 'DEFAULT_ACTION'), encodeAction(action));
  }

  async getDefault(): Promise<number> {
    return decodeAction(await this.bus.read(this.reg('core', 'DEFAULT_ACTION')));
  }

  /** Every counter, read LO then HI in one batch. */
  async counters(): Promise<Counters> {
    const ops = new Ops();
    const c64 = (name: string, index = 0) => {
      const addr = this.reg('counters', name, index);
      const lo = ops.read(addr);
      ops.read(addr + 4);
      return lo;
    };
    const at = {
      rxFrames: c64('RX_FRAMES'),
      rxBytes: c64('RX_BYTES'),
      flowHits: c64('FLOW_HITS'),
      listenHits: c64('LISTEN_HITS'),
      defaultHits: c64('DEFAULT_HITS'),
    };
    const reasons = Object.entries(DROP_REASONS).map(([code, name]) => ({ name, at: c64('DROP', Number(code) - 1) }));
    const queues = Array.from({ length: this.info.queues }, (_, q) => ({ frames: c64('Q_FRAMES', q), bytes: c64('Q_BYTES', q), drops: c64('Q_DROPS', q) }));
    const r = await ops.run(this.bus);
    const v = (i: number) => (BigInt(r[i + 1]) << 32n) | BigInt(r[i]);
    return {
      rxFrames: v(at.rxFrames),
      rxBytes: v(at.rxBytes),
      flowHits: v(at.flowHits),
      listenHits: v(at.listenHits),
      defaultHits: v(at.defaultHits),
      drops: Object.fromEntries(reasons.map((d) => [d.name, v(d.at)])) as Record<DropReasonName, bigint>,
      queues: queues.map((q) => ({ frames: v(q.frames), bytes: v(q.bytes), drops: v(q.drops) })),
    };
  }

  /** Clears every counter (CONTROL bit 0). */
  async clearCounters(): Promise<void> {
    await this.bus.write(this.reg('core', 'CONTROL'), 1);
  }

  /**
   * Applies a set of rules all or nothing: checks every rule first (queues, repeats, room),
   * then adds them in order; if one fails, what was added is taken out again and the
   * default action restored, and a RuleApplyError names the rule.
   */
  async applyRules(rules: readonly Rule[]): Promise<ApplyResult> {
    // check everything that can be checked without touching the tables
    const seen = new Map<string, number>();
    const newAddresses = new Set<string>();
    let flows = 0;
    let listens = 0;
    for (const [i, rule] of rules.entries()) {
      try {
        if (rule.kind === 'listen') this.checkListenAction(rule.action);
        else this.checkAction(rule.action);
      } catch (err) {
        throw new RuleApplyError(i, rule, err as DriverError);
      }
      const key = ruleKey(rule);
      if (rule.kind !== 'default' && seen.has(key)) {
        const first = seen.get(key)!;
        const cause =
          rule.kind === 'flow' ? new FlowExistsError(rule, -1, (rules[first] as FlowRule).action) : new ListenExistsError(rule, -1, (rules[first] as ListenRule).action);
        throw new RuleApplyError(i, rule, cause);
      }
      seen.set(key, i);
      if (rule.kind === 'flow') flows++;
      if (rule.kind === 'listen') listens++;
      if (rule.kind !== 'default' && this.addresses.find(rule.family, rule.dstIp) < 0) newAddresses.add(`${rule.family}|${formatIp(rule.dstIp, rule.family)}`);
    }
    const lastOf = (kind: Rule['kind']) => {
      for (let i = rules.length - 1; i >= 0; i--) if (rules[i].kind === kind) return i;
      return -1;
    };
    if (newAddresses.size > this.addresses.free()) {
      const i = rules.findIndex((r) => r.kind !== 'default');
      throw new RuleApplyError(i, rules[i], new TableFullError('address', this.info.addressSlots));
    }
    if (listens > 0) {
      const existing = await this.listens.list();
      for (const [i, rule] of rules.entries()) {
        if (rule.kind !== 'listen') continue;
        const dup = existing.find((e) => sameListen(e.rule, rule));
        if (dup) throw new RuleApplyError(i, rule, new ListenExistsError(rule, dup.entry, dup.rule.action));
      }
      if (existing.length + listens > this.info.listenEntries) {
        const i = lastOf('listen');
        throw new RuleApplyError(i, rules[i], new TableFullError('listen', this.info.listenEntries));
      }
      // queue lists: each new list needs a free group unless a group already holds its table
      const tables = new Set(this.listens.groups().map((g) => g.table.join(',')));
      let free = this.info.listenGroups - tables.size;
      for (const [i, rule] of rules.entries()) {
        if (rule.kind !== 'listen' || !Array.isArray(rule.action)) continue;
        const t = groupTable(rule.action).join(',');
        if (tables.has(t)) continue;
        if (free-- <= 0) throw new RuleApplyError(i, rule, new TableFullError('group', this.info.listenGroups, 0, rule));
        tables.add(t);
      }
    }
    if (flows > 0 && (await this.flows.count()) + flows > this.info.flowEntries + this.info.flowStash) {
      const i = lastOf('flow');
      throw new RuleApplyError(i, rules[i], new TableFullError('flow', this.info.flowEntries, this.info.flowStash));
    }

    const previousDefault = await this.getDefault();
    const done: Rule[] = [];
    let defaultChanged = false;
    for (const [i, rule] of rules.entries()) {
      try {
        if (rule.kind === 'flow') await this.flows.insert(rule);
        else if (rule.kind === 'listen') await this.listens.add(rule);
        else {
          await this.setDefault(rule.action);
          defaultChanged = true;
        }
        if (rule.kind !== 'default') done.push(rule);
      } catch (err) {
        await this.rollback(done, defaultChanged ? previousDefault : undefined);
        throw err instanceof DriverError ? new RuleApplyError(i, rule, err) : err;
      }
    }
    return { flows, listens, defaultAction: defaultChanged ? await this.getDefault() : undefined };
  }

  private async rollback(done: Rule[], previousDefault: number | undefined): Promise<void> {
    for (const rule of done.reverse()) {
      if (rule.kind === 'flow') await this.flows.delete(rule);
      else if (rule.kind === 'listen') await this.listens.remove(rule);
    }
    if (previousDefault !== undefined) await this.setDefault(previousDefault);
  }

  /** Every rule the adapter holds, as rules text order: flows, listens, default. */
  async rules(): Promise<Rule[]> {
    const flows = (await this.flows.list()).map((e) => e.rule);
    const listens = (await this.listens.list()).map((e) => e.rule);
    return [...flows, ...listens, { kind: 'default', action: await this.getDefault() }];
  }

  async close(): Promise<void> {
    await this.bus.close();
  }
}

export interface ApplyResult {
  flows: number;
  listens: number;
  defaultAction?: number;
}

export interface QueueCounters {
  frames: bigint;
  bytes: bigint;
  drops: bigint;
}

export interface Counters {
  rxFrames: bigint;
  rxBytes: bigint;
  flowHits: bigint;
  listenHits: bigint;
  defaultHits: bigint;
  drops: Record<DropReasonName, bigint>;
  queues: QueueCounters[];
}

/** Counters with every bigint as a number (exact below 2^53), for JSON. */
export function countersToJson(c: Counters): unknown {
  return JSON.parse(JSON.stringify(c, (_k, v) => (typeof v === 'bigint' ? Number(v) : v)));
}

/** Byte address of a register from the block bases the walk found (array registers take an index). */
function registerAddress(bases: Readonly<Record<BlockName, number>>, block: BlockName, name: string, index = 0): number {
  const def = (BLOCKS[block].registers as Record<string, RegisterDef>)[name];
  if (!def) throw new DriverError('ENOREG', `block ${block} has no register ${name}`);
  if (bases[block] === undefined) throw new DriverError('ENOBLOCK', `adapter lacks block ${block} (${BLOCKS[block].desc})`);
  if (def.array && (index < 0 || index >= def.array.count)) {
    throw new DriverError('ENOREG', `${block}.${name}[${index}]: index out of range 0..${def.array.count - 1}`);
  }
  return bases[block] + def.offset + (def.array ? index * def.array.stride : 0);
}

async function walkBlocks(bus: RegisterBus): Promise<Record<BlockName, number>> {
  const found: Partial<Record<BlockName, number>> = {};
  const byType = new Map<number, BlockName>(BLOCK_NAMES.map((b) => [BLOCKS[b].type, b]));
  let addr = 0;
  for (let n = 0; n < MAX_BLOCKS; n++) {
    const ops = new Ops();
    ops.read(addr);
    ops.read(addr + 4);
    ops.read(addr + 8);
    const [type, version, next] = await ops.run(bus);
    const name = byType.get(type);
    if (name === undefined) {
      if (addr === 0) throw new DriverError('ENODEV', `no sipnic adapter on this bus: type 0x${type.toString(16).padStart(8, '0')} at address 0`);
      // an unknown block: skip it, as a newer adapter may add blocks
    } else {
      if (version >>> 16 !== BLOCKS[name].version >>> 16) {
        throw new DriverError('EVERSION', `block ${name} has version 0x${version.toString(16)}; this driver knows major version ${BLOCKS[name].version >>> 16}`);
      }
      if (found[name] === undefined) found[name] = addr;
    }
    if (next === 0) break;
    if (next <= addr || next % 4 !== 0) throw new DriverError('EHW', `block at 0x${addr.toString(16)} points NEXT to 0x${next.toString(16)}`);
    addr = next;
  }
  const missing = BLOCK_NAMES.filter((b) => found[b] === undefined && !OPTIONAL_BLOCKS.includes(b));
  if (missing.length) throw new DriverError('ENOBLOCK', `adapter lacks block${missing.length > 1 ? 's' : ''} ${missing.join(', ')}`);
  return found as Record<BlockName, number>;
}

function sameListen(a: ListenRule, b: ListenRule): boolean {
  return a.family === b.family && a.proto === b.proto && a.dstPort === b.dstPort && ipEquals(a.dstIp, b.dstIp);
}

// ───────────────────────────── address slots ─────────────────────────────

export interface AddressSlot {
  slot: number;
  family: Family;
  address: Uint8Array;
  /** Rules that use the slot, when known (derived from the tables on demand). */
  refs?: number;
}

/**
 * The cluster address slots. A rule's destination address maps to a slot, written on first
 * use and cleared when no flow or listen entry uses it any more. The slots are read back
 * when the adapter is opened; use counts are derived from the tables the first time a slot
 * may have to be freed, then kept up to date.
 */
export class AddressTable {
  private slots: ({ family: Family; address: Uint8Array } | null)[] = [];
  private refs: number[] | null = null;

  constructor(private readonly adapter: Adapter) {}

  get capacity(): number {
    return this.adapter.info.addressSlots;
  }

  /** Reads every slot back from the adapter. */
  async load(): Promise<void> {
    const a = this.adapter;
    const ops = new Ops();
    const at: { family: number; words: number }[] = [];
    for (let s = 0; s < this.capacity; s++) {
      ops.write(a.reg('addr', 'SLOT'), s);
      ops.write(a.reg('addr', 'COMMAND'), TABLE_CMD.read);
      const family = ops.read(a.reg('addr', 'FAMILY'));
      const words = ops.read(a.reg('addr', 'ADDR0'));
      for (const r of ['ADDR1', 'ADDR2', 'ADDR3']) ops.read(a.reg('addr', r));
      at.push({ family, words });
    }
    const r = await ops.run(a.bus);
    this.slots = at.map(({ family, words }) => {
      const f = r[family];
      return f === 4 || f === 6 ? { family: f, address: addressBytes(r.subarray(words, words + 4)) } : null;
    });
    this.refs = null;
  }

  find(family: Family, address: Uint8Array): number {
    return this.slots.findIndex((s) => s !== null && s.family === family && ipEquals(s.address, address));
  }

  get(slot: number): { family: Family; address: Uint8Array } | null {
    return this.slots[slot] ?? null;
  }

  free(): number {
    return this.slots.filter((s) => s === null).length;
  }

  list(): AddressSlot[] {
    const out: AddressSlot[] = [];
    this.slots.forEach((s, slot) => {
      if (s) out.push({ slot, family: s.family, address: s.address, ...(this.refs ? { refs: this.refs[slot] } : {}) });
    });
    return out;
  }

  /** The slot for an address, written into a free slot when it has none; counts one use. */
  async acquire(family: Family, address: Uint8Array): Promise<{ slot: number; created: boolean }> {
    let slot = this.find(family, address);
    let created = false;
    if (slot < 0) {
      slot = this.slots.indexOf(null);
      if (slot < 0) throw new TableFullError('address', this.capacity);
      await this.writeSlot(slot, family, address);
      created = true;
    }
    if (this.refs) this.refs[slot]++;
    return { slot, created };
  }

  /**
   * One use of the slot fewer (call after the table change); clears the slot at zero. When the
   * uses are not counted yet (a fresh Adapter), the tables are searched for one other user of
   * the slot, stopping at the first (inUse), instead of counting every use.
   */
  async release(slot: number): Promise<void> {
    if (this.refs) {
      this.refs[slot] = Math.max(0, this.refs[slot] - 1);
      if (this.refs[slot] === 0 && this.slots[slot]) await this.writeSlot(slot, null, new Uint8Array(16));
      return;
    }
    if (this.slots[slot] && !(await this.inUse(slot))) await this.writeSlot(slot, null, new Uint8Array(16));
  }

  /**
   * Whether any flow or listen entry uses the address slot: the flow table's slots in growing
   * chunks (16, 16, 32, … 256) until an entry with this address slot turns up or COUNT live
   * entries have been seen, then the listen table (a few entries).
   */
  async inUse(slot: number): Promise<boolean> {
    const a = this.adapter;
    const total = a.info.flowEntries + a.info.flowStash;
    const count = await a.flows.count();
    let seen = 0;
    // chunks end at 16, 32, 64, … 256, 512, 768, …: never more slots read than 256-slot chunks would
    for (let start = 0, chunk = 16; start < total && seen < count; start += chunk, chunk = Math.min(256, start)) {
      const ops = new Ops();
      const at: number[] = [];
      for (let s = start; s < Math.min(total, start + chunk); s++) {
        ops.write(a.reg('flow', 'SLOT'), s);
        ops.write(a.reg('flow', 'COMMAND'), FLOW_OP.readSlot);
        ops.poll(a.reg('flow', 'STATUS'), STATUS_BUSY);
        at.push(ops.read(a.reg('flow', 'RES_FLAGS')));
      }
      const r = await ops.run(a.bus);
      for (const i of at) {
        if (!(r[i] >>> 31)) continue;
        if (((r[i] >>> 8) & 0xf) === slot) return true;
        seen++;
      }
    }
    return (await a.listens.list()).some((e) => e.addressSlot === slot);
  }

  /** Recounts the uses of each slot from the flow and listen tables; frees unused slots. */
  async deriveRefs(): Promise<number[]> {
    const refs = new Array<number>(this.capacity).fill(0);
    for (const e of await this.adapter.flows.scan(false)) refs[e.addressSlot]++;
    for (const e of await this.adapter.listens.list()) refs[e.addressSlot]++;
    this.refs = refs;
    return refs;
  }

  /** Clears every slot no rule uses. */
  async prune(): Promise<void> {
    await this.deriveRefs();
    for (let s = 0; s < this.capacity; s++) if (this.refs![s] === 0 && this.slots[s]) await this.writeSlot(s, null, new Uint8Array(16));
  }

  private async writeSlot(slot: number, family: Family | null, address: Uint8Array): Promise<void> {
    const a = this.adapter;
    const ops = new Ops();
    ops.write(a.reg('addr', 'SLOT'), slot);
    ops.write(a.reg('addr', 'FAMILY'), family ?? 0);
    addressWords(address).forEach((w, i) => ops.write(a.reg('addr', `ADDR${i}`), w));
    ops.write(a.reg('addr', 'COMMAND'), TABLE_CMD.write);
    await ops.run(a.bus);
    this.slots[slot] = family === null ? null : { family, address: Uint8Array.from(address) };
  }
}

// ───────────────────────────── flow table ─────────────────────────────

export interface FlowEntry {
  slot: number;
  rule: FlowRule; // rule.action is the entry's action
  action: number;
  hits: number;
  addressSlot: number;
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
  moves: number;
}

/** One change of FlowTable.many(). */
export type FlowChange = { op: 'insert' | 'delete'; rule: FlowRule };

/** The outcome of one rule of a batched insert or delete: its value, or the error the single call would have thrown. */
export type FlowBatchResult<T> = { ok: true; value: T } | { ok: false; error: DriverError };

/** The exact-match flow table: one hardware command per insert, delete or lookup. */
export class FlowTable {
  constructor(private readonly adapter: Adapter) {}

  get capacity(): { entries: number; stash: number } {
    return { entries: this.adapter.info.flowEntries, stash: this.adapter.info.flowStash };
  }

  async count(): Promise<number> {
    return this.adapter.bus.read(this.adapter.reg('flow', 'COUNT'));
  }

  /** Cycles from a key entering the table to its result (LOOKUP_LATENCY). */
  async lookupLatency(): Promise<number> {
    return this.adapter.bus.read(this.adapter.reg('flow', 'LOOKUP_LATENCY'));
  }

  async stashUsed(): Promise<number> {
    return this.adapter.bus.read(this.adapter.reg('flow', 'STASH_USED'));
  }

  /** Adds an exact flow entry; throws FlowExistsError, TableFullError, UnknownQueueError. */
  async insert(rule: FlowRule): Promise<InsertResult> {
    this.adapter.checkAction(rule.action);
    const { slot: addressSlot } = await this.adapter.addresses.acquire(rule.family, rule.dstIp);
    let r: FlowResult;
    try {
      r = await this.command(FLOW_OP.insert, rule, addressSlot);
    } catch (err) {
      await this.adapter.addresses.release(addressSlot);
      throw err;
    }
    if (r.status === FLOW_STATUS.ok) return { slot: r.slot, moves: r.moves };
    await this.adapter.addresses.release(addressSlot);
    if (r.status === FLOW_STATUS.exists) throw new FlowExistsError(rule, r.slot, r.action);
    if (r.status === FLOW_STATUS.full) throw new TableFullError('flow', this.adapter.info.flowEntries, this.adapter.info.flowStash, rule);
    throw new DriverError('EHW', `flow insert answered status ${r.status}`);
  }

  /** Removes the entry with the rule's key (its action is ignored); throws NotFoundError. */
  async delete(rule: FlowRule): Promise<FlowEntry> {
    const addressSlot = this.adapter.addresses.find(rule.family, rule.dstIp);
    if (addressSlot < 0) throw new NotFoundError(rule);
    const r = await this.command(FLOW_OP.delete, rule, addressSlot);
    if (r.status === FLOW_STATUS.notFound) throw new NotFoundError(rule);
    if (r.status !== FLOW_STATUS.ok) throw new DriverError('EHW', `flow delete answered status ${r.status}`);
    await this.adapter.addresses.release(addressSlot);
    return { slot: r.slot, rule: { ...rule, action: r.action }, action: r.action, hits: r.hits, addressSlot };
  }

  /** The entry with the rule's key (its action is ignored), or null. */
  async lookup(rule: FlowRule): Promise<FlowEntry | null> {
    const addressSlot = this.adapter.addresses.find(rule.family, rule.dstIp);
    if (addressSlot < 0) return null;
    const r = await this.command(FLOW_OP.lookup, rule, addressSlot);
    if (r.status !== FLOW_STATUS.ok) return null;
    return { slot: r.slot, rule: { ...rule, action: r.action }, action: r.action, hits: r.hits, addressSlot };
  }

  /** Every live entry with its slot, action and hits, in slot order. */
  async list(): Promise<FlowEntry[]> {
    return this.scan(true);
  }

  /** Reads slots in order until COUNT live entries have been seen. */
  async scan(full: boolean, chunk = 256): Promise<FlowEntry[]> {
    const a = this.adapter;
    const total = a.info.flowEntries + a.info.flowStash;
    const count = await this.count();
    const out: FlowEntry[] = [];
    for (let start = 0; start < total && out.length < count; start += chunk) {
      const ops = new Ops();
      const at: number[] = [];
      const end = Math.min(total, start + chunk);
      for (let s = start; s < end; s++) {
        ops.write(a.reg('flow', 'SLOT'), s);
        ops.write(a.reg('flow', 'COMMAND'), FLOW_OP.readSlot);
        ops.poll(a.reg('flow', 'STATUS'), STATUS_BUSY);
        const first = ops.read(a.reg('flow', 'RES_FLAGS'));
        if (full) {
          for (const name of ['RES_PORTS', 'RES_SRC0', 'RES_SRC1', 'RES_SRC2', 'RES_SRC3', 'RES_ACTION', 'RES_HITS']) ops.read(a.reg('flow', name));
        }
        at.push(first);
      }
      const r = await ops.run(a.bus);
      at.forEach((i, k) => {
        const flags = r[i];
        if (!(flags >>> 31)) return;
        const addressSlot = (flags >>> 8) & 0xf;
        if (!full) {
          out.push({ slot: start + k, addressSlot, action: 0, hits: 0, rule: undefined as unknown as FlowRule });
          return;
        }
        const dst = a.addresses.get(addressSlot);
        const family: Family = flags & 1 ? 6 : 4;
        const proto: Proto = flags & 2 ? 'udp' : 'tcp';
        const ports = r[i + 1];
        const action = decodeAction(r[i + 6]);
        out.push({
          slot: start + k,
          addressSlot,
          action,
          hits: r[i + 7],
          rule: {
            kind: 'flow',
            family,
            proto,
            srcIp: addressBytes(r.subarray(i + 2, i + 6)),
            // an entry whose slot was cleared behind our back shows the unspecified address
            dstIp: dst?.address ?? new Uint8Array(16),
            srcPort: ports >>> 16,
            dstPort: ports & 0xffff,
            action,
          },
        });
      });
    }
    return out;
  }

  /** Empties the table (one command) and frees the address slots no listen entry uses. */
  async clear(): Promise<void> {
    const a = this.adapter;
    const ops = new Ops();
    ops.poll(a.reg('flow', 'STATUS'), STATUS_BUSY);
    ops.write(a.reg('flow', 'COMMAND'), FLOW_OP.clear);
    ops.poll(a.reg('flow', 'STATUS'), STATUS_BUSY);
    await ops.run(a.bus);
    await a.addresses.prune();
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

  /** Removes several entries in one bus round trip (one command each); per rule the entry, or NotFoundError / DriverError. */
  async deleteMany(rules: readonly FlowRule[]): Promise<FlowBatchResult<FlowEntry>[]> {
    return (await this.many(rules.map((rule) => ({ op: 'delete' as const, rule })))) as FlowBatchResult<FlowEntry>[];
  }

  /**
   * Inserts and deletes in one bus round trip, one table command each, in list order; one
   * result per change. (Address slots are acquired before and released after the batch, as
   * insert() and delete() do: a new cluster address costs its own round trip.)
   */
  async many(changes: readonly FlowChange[]): Promise<FlowBatchResult<InsertResult | FlowEntry>[]> {
    const a = this.adapter;
    const out: (FlowBatchResult<InsertResult | FlowEntry> | undefined)[] = new Array(changes.length);
    const slots: number[] = new Array(changes.length).fill(-1);
    const ops = new Ops();
    const at: { i: number; status: number; action: number }[] = [];
    const fail = (i: number, err: unknown) => {
      out[i] = { ok: false, error: err instanceof DriverError ? err : new DriverError('EHW', err instanceof Error ? err.message : String(err), { cause: err }) };
    };
    for (let i = 0; i < changes.length; i++) {
      const { op, rule } = changes[i];
      try {
        if (op === 'insert') {
          a.checkAction(rule.action);
          slots[i] = (await a.addresses.acquire(rule.family, rule.dstIp)).slot;
        } else {
          slots[i] = a.addresses.find(rule.family, rule.dstIp);
          if (slots[i] < 0) throw new NotFoundError(rule);
        }
      } catch (err) {
        slots[i] = -1;
        fail(i, err);
        continue;
      }
      ops.poll(a.reg('flow', 'STATUS'), STATUS_BUSY);
      ops.write(a.reg('flow', 'KEY_FLAGS'), (rule.family === 6 ? 1 : 0) | (rule.proto === 'udp' ? 2 : 0) | (slots[i] << 8));
      ops.write(a.reg('flow', 'KEY_PORTS'), ((rule.srcPort << 16) | rule.dstPort) >>> 0);
      addressWords(rule.srcIp).forEach((w, k) => ops.write(a.reg('flow', `KEY_SRC${k}`), w));
      if (op === 'insert') ops.write(a.reg('flow', 'ACTION'), encodeAction(rule.action));
      ops.write(a.reg('flow', 'COMMAND'), op === 'insert' ? FLOW_OP.insert : FLOW_OP.delete);
      const status = ops.poll(a.reg('flow', 'STATUS'), STATUS_BUSY);
      const action = ops.read(a.reg('flow', 'RES_ACTION'));
      ops.read(a.reg('flow', 'RES_SLOT'));
      ops.read(a.reg('flow', 'RES_HITS'));
      ops.read(a.reg('flow', 'LAST_MOVES'));
      at.push({ i, status, action });
    }
    let r: Uint32Array | undefined;
    if (at.length) {
      try {
        r = await ops.run(a.bus);
      } catch (err) {
        const e = err instanceof BusError && err.code === 'ETIMEDOUT' ? new DriverError('EHW', 'flow table stayed busy', { cause: err }) : err;
        for (const { i } of at) fail(i, e);
        await this.releaseSlots(at.filter(({ i }) => changes[i].op === 'insert').map(({ i }) => slots[i])).catch(() => undefined);
        return out as FlowBatchResult<InsertResult | FlowEntry>[];
      }
    }
    const release: number[] = [];
    for (const { i, status: si, action: ai } of at) {
      const { op, rule } = changes[i];
      const status = (r![si] >>> 4) & 0xf;
      const action = decodeAction(r![ai]);
      const slot = r![ai + 1];
      const hits = r![ai + 2];
      const moves = r![ai + 3];
      try {
        if (op === 'insert') {
          if (status === FLOW_STATUS.ok) {
            out[i] = { ok: true, value: { slot, moves } };
            continue;
          }
          release.push(slots[i]);
          if (status === FLOW_STATUS.exists) throw new FlowExistsError(rule, slot, action);
          if (status === FLOW_STATUS.full) throw new TableFullError('flow', a.info.flowEntries, a.info.flowStash, rule);
          throw new DriverError('EHW', `flow insert answered status ${status}`);
        }
        if (status === FLOW_STATUS.notFound) throw new NotFoundError(rule);
        if (status !== FLOW_STATUS.ok) throw new DriverError('EHW', `flow delete answered status ${status}`);
        release.push(slots[i]);
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
    const a = this.adapter.addresses;
    const counted = a.list().every((s) => s.refs !== undefined);
    const perSlot = new Map<number, number>();
    for (const s of slots) perSlot.set(s, (perSlot.get(s) ?? 0) + 1);
    for (const [slot, n] of perSlot) for (let k = 0; k < (counted ? n : 1); k++) await a.release(slot);
  }

  /** Stages the key, writes COMMAND, waits for not-busy and reads the result: one batch. */
  private async command(op: number, rule: FlowRule, addressSlot: number): Promise<FlowResult> {
    const a = this.adapter;
    const ops = new Ops();
    ops.poll(a.reg('flow', 'STATUS'), STATUS_BUSY);
    ops.write(a.reg('flow', 'KEY_FLAGS'), (rule.family === 6 ? 1 : 0) | (rule.proto === 'udp' ? 2 : 0) | (addressSlot << 8));
    ops.write(a.reg('flow', 'KEY_PORTS'), ((rule.srcPort << 16) | rule.dstPort) >>> 0);
    addressWords(rule.srcIp).forEach((w, i) => ops.write(a.reg('flow', `KEY_SRC${i}`), w));
    if (op === FLOW_OP.insert) ops.write(a.reg('flow', 'ACTION'), encodeAction(rule.action));
    ops.write(a.reg('flow', 'COMMAND'), op);
    const status = ops.poll(a.reg('flow', 'STATUS'), STATUS_BUSY);
    const flags = ops.read(a.reg('flow', 'RES_FLAGS'));
    const ports = ops.read(a.reg('flow', 'RES_PORTS'));
    const src = ops.read(a.reg('flow', 'RES_SRC0'));
    for (const name of ['RES_SRC1', 'RES_SRC2', 'RES_SRC3']) ops.read(a.reg('flow', name));
    const action = ops.read(a.reg('flow', 'RES_ACTION'));
    const slot = ops.read(a.reg('flow', 'RES_SLOT'));
    const hits = ops.read(a.reg('flow', 'RES_HITS'));
    const moves = ops.read(a.reg('flow', 'LAST_MOVES'));
    let r: Uint32Array;
    try {
      r = await ops.run(a.bus);
    } catch (err) {
      if (err instanceof BusError && err.code === 'ETIMEDOUT') throw new DriverError('EHW', 'flow table stayed busy', { cause: err });
      throw err;
    }
    return {
      status: (r[status] >>> 4) & 0xf,
      valid: r[flags] >>> 31 === 1,
      flags: r[flags],
      ports: r[ports],
      src: addressBytes(r.subarray(src, src + 4)),
      action: decodeAction(r[action]),
      slot: r[slot],
      hits: r[hits],
      moves: r[moves],
    };
  }
}

// ───────────────────────────── listen table ─────────────────────────────

export interface ListenEntry {
  entry: number;
  /** rule.action is the entry's action; for a shared port, its group's members */
  rule: ListenRule;
  addressSlot: number;
  /** the queue group of a shared port */
  group?: number;
}

/** A queue group in use: its 8 slots, the members they were filled from, and its listen entries. */
export interface QueueGroup {
  group: number;
  table: number[];
  /** the shortest member list whose fill gives the table */
  members: number[];
  refs: number;
}

/** Listen ACTION register: 0x100 + g names queue group g. */
const LISTEN_GROUP_FLAG = 0x100;

/**
 * The listen table: a few entries written whole by one command each. A rule whose action is a
 * list of queues (a shared port) points its entry at a queue group holding the list's table;
 * rules with the same table share a group, counted by use and free again when none uses it.
 * Group use is read back from the hardware (load, and every list), never only remembered.
 */
export class ListenTable {
  private groupState: { table: number[]; refs: number }[] = [];

  constructor(private readonly adapter: Adapter) {}

  get capacity(): number {
    return this.adapter.info.listenEntries;
  }

  get groupCapacity(): number {
    return this.adapter.info.listenGroups;
  }

  /** Reads every entry and every group back and counts each group's uses. */
  async load(): Promise<ListenEntry[]> {
    const a = this.adapter;
    const ops = new Ops();
    const at: number[] = [];
    for (let e = 0; e < this.capacity; e++) {
      ops.write(a.reg('listen', 'SLOT'), e);
      ops.write(a.reg('listen', 'COMMAND'), TABLE_CMD.read);
      at.push(ops.read(a.reg('listen', 'FLAGS')));
      ops.read(a.reg('listen', 'PORT'));
      ops.read(a.reg('listen', 'ACTION'));
    }
    const groupAt: number[] = [];
    for (let g = 0; g < this.groupCapacity; g++) {
      ops.write(a.reg('listen', 'GROUP'), g);
      ops.write(a.reg('listen', 'GROUP_COMMAND'), TABLE_CMD.read);
      groupAt.push(ops.read(a.reg('listen', 'GROUP_QUEUE', 0)));
      for (let i = 1; i < GROUP_SLOTS; i++) ops.read(a.reg('listen', 'GROUP_QUEUE', i));
    }
    const r = await ops.run(a.bus);
    this.groupState = groupAt.map((i) => ({ table: Array.from(r.subarray(i, i + GROUP_SLOTS), decodeAction), refs: 0 }));
    const out: ListenEntry[] = [];
    at.forEach((i, entry) => {
      const flags = r[i];
      if (!(flags >>> 31)) return;
      const addressSlot = (flags >>> 8) & 0xf;
      const family: Family = flags & 1 ? 6 : 4;
      const word = r[i + 2];
      const group = word >>> 8 === LISTEN_GROUP_FLAG >>> 8 ? word & 0xff : undefined;
      const state = group === undefined ? undefined : this.groupState[group];
      if (state) state.refs++;
      out.push({
        entry,
        addressSlot,
        ...(group === undefined ? {} : { group }),
        rule: {
          kind: 'listen',
          family,
          proto: flags & 2 ? 'udp' : 'tcp',
          dstIp: a.addresses.get(addressSlot)?.address ?? new Uint8Array(16),
          dstPort: r[i + 1] & 0xffff,
          // a group the adapter does not have reads back as queue 127 (never written so)
          action: state ? groupMembers(state.table) : decodeAction(word),
        },
      });
    });
    return out;
  }

  /** Every valid entry, in entry order (the lowest entry wins in the data path); reads the groups too. */
  async list(): Promise<ListenEntry[]> {
    return this.load();
  }

  /** The queue groups in use, as of the last load or list (Adapter.open loads). */
  groups(): QueueGroup[] {
    const out: QueueGroup[] = [];
    this.groupState.forEach((s, group) => {
      if (s.refs > 0) out.push({ group, table: [...s.table], members: groupMembers(s.table), refs: s.refs });
    });
    return out;
  }

  /**
   * Writes the rule into the lowest free entry; refuses a second rule with the same key. A
   * queue list takes the group that holds its table, or a free group (TableFullError 'group'
   * when none is free).
   */
  async add(rule: ListenRule): Promise<{ entry: number; group?: number }> {
    const a = this.adapter;
    a.checkListenAction(rule.action);
    const entries = await this.list();
    const dup = entries.find((e) => sameListen(e.rule, rule));
    if (dup) throw new ListenExistsError(rule, dup.entry, dup.rule.action);
    const used = new Set(entries.map((e) => e.entry));
    let entry = 0;
    while (entry < this.capacity && used.has(entry)) entry++;
    if (entry >= this.capacity) throw new TableFullError('listen', this.capacity, 0, rule);
    const group = Array.isArray(rule.action) ? await this.acquireGroup(rule.action, rule) : undefined;
    let slot: number;
    try {
      ({ slot } = await a.addresses.acquire(rule.family, rule.dstIp));
    } catch (err) {
      if (group !== undefined) this.releaseGroup(group);
      throw err;
    }
    try {
      await this.write(entry, entryFlags(rule, slot), rule.dstPort, actionWord(rule.action, group));
    } catch (err) {
      await a.addresses.release(slot);
      if (group !== undefined) this.releaseGroup(group);
      throw err;
    }
    return group === undefined ? { entry } : { entry, group };
  }

  /**
   * Changes the action of the entry with the rule's key in place: the new group (if any) is
   * written first, then the entry in one command, so the entry never stops matching and each
   * connection request goes by the old action or the new one. Throws NotFoundError.
   */
  async update(rule: ListenRule): Promise<{ entry: number; previous: ListenAction; group?: number }> {
    this.adapter.checkListenAction(rule.action);
    const found = (await this.list()).find((e) => sameListen(e.rule, rule));
    if (!found) throw new NotFoundError(rule);
    const group = Array.isArray(rule.action) ? await this.acquireGroup(rule.action, rule) : undefined;
    try {
      await this.write(found.entry, entryFlags(rule, found.addressSlot), rule.dstPort, actionWord(rule.action, group));
    } catch (err) {
      if (group !== undefined) this.releaseGroup(group);
      throw err;
    }
    if (found.group !== undefined) this.releaseGroup(found.group);
    return { entry: found.entry, previous: found.rule.action, ...(group === undefined ? {} : { group }) };
  }

  /** Invalidates the entry with the rule's key (its action is ignored); throws NotFoundError. */
  async remove(rule: ListenRule): Promise<ListenEntry> {
    const found = (await this.list()).find((e) => sameListen(e.rule, rule));
    if (!found) throw new NotFoundError(rule);
    await this.write(found.entry, 0, 0, 0);
    if (found.group !== undefined) this.releaseGroup(found.group);
    await this.adapter.addresses.release(found.addressSlot);
    return found;
  }

  /** Invalidates every entry and frees the address slots no flow entry uses. */
  async clear(): Promise<void> {
    for (const e of await this.list()) await this.write(e.entry, 0, 0, 0);
    for (const s of this.groupState) s.refs = 0;
    await this.adapter.addresses.prune();
  }

  /** The group holding this list's table (one more use), else a free group written with it. */
  private async acquireGroup(members: readonly number[], rule: ListenRule): Promise<number> {
    const table = groupTable(members);
    const same = (t: number[]) => t.every((q, i) => q === table[i]);
    let group = this.groupState.findIndex((s) => s.refs > 0 && same(s.table));
    if (group < 0) {
      group = this.groupState.findIndex((s) => s.refs === 0);
      if (group < 0) throw new TableFullError('group', this.groupCapacity, 0, rule);
      await this.writeGroup(group, table);
    }
    this.groupState[group].refs++;
    return group;
  }

  /** One use of the group fewer; at none it is free (its slots stay until it is reused). */
  private releaseGroup(group: number): void {
    const s = this.groupState[group];
    if (s) s.refs = Math.max(0, s.refs - 1);
  }

  private async writeGroup(group: number, table: readonly number[]): Promise<void> {
    const a = this.adapter;
    const ops = new Ops();
    ops.write(a.reg('listen', 'GROUP'), group);
    table.forEach((q, i) => ops.write(a.reg('listen', 'GROUP_QUEUE', i), encodeAction(q)));
    ops.write(a.reg('listen', 'GROUP_COMMAND'), TABLE_CMD.write);
    await ops.run(a.bus);
    this.groupState[group].table = [...table];
  }

  private async write(entry: number, flags: number, port: number, action: number): Promise<void> {
    const a = this.adapter;
    const ops = new Ops();
    ops.write(a.reg('listen', 'SLOT'), entry);
    ops.write(a.reg('listen', 'FLAGS'), flags);
    ops.write(a.reg('listen', 'PORT'), port);
    ops.write(a.reg('listen', 'ACTION'), action);
    ops.write(a.reg('listen', 'COMMAND'), TABLE_CMD.write);
    await ops.run(a.bus);
  }
}

function entryFlags(rule: ListenRule, addressSlot: number): number {
  return (0x80000000 | (rule.family === 6 ? 1 : 0) | (rule.proto === 'udp' ? 2 : 0) | (addressSlot << 8)) >>> 0;
}

function actionWord(action: ListenAction, group: number | undefined): number {
  return group !== undefined ? LISTEN_GROUP_FLAG | group : encodeAction(action as number);
}
