// The adapter driver: finds the register blocks by walking TYPE/NEXT from address 0, reads the
// adapter's parameters and builds the tables over them (address slots, flows, listens); here
// too the default action, the counters and rule sets applied all or nothing. Every register
// is reached through regs.generated.ts.
//
// State lives in the hardware: a new Adapter over the same bus reads back the address slots
// and the tables, so one process sees what an earlier one wrote.
import type { RegisterBus } from '../bus/bus.js';
import type { LearningRule, ListenAction, Rule } from '../codec/rules.js';
import { checkAction, checkListenAction, decodeAction, encodeAction } from './actions.js';
import { AddressTable } from './address-table.js';
import { DriverError } from './errors.js';
import { FlowEvents } from './events.js';
import { FlowTable } from './flow-table.js';
import { readAgingTimeouts, readLearning, readLearningCounters, writeLearning, type LearningCounters } from './learning.js';
import { ListenTable } from './listen-table.js';
import { applyRules, type ApplyOptions, type ApplyResult } from './rule-set.js';
import { Ops } from './ops.js';
import { DROP_REASONS, ENCODINGS, FIELDS, getField, putField, type BlockName, type DropReasonName } from './regs.generated.js';
import {
  listRegisters,
  readRegister,
  readRegisters,
  registerAddress,
  resolveRegister,
  walkBlocks,
  writeRegister,
  type BlockBases,
  type ResolvedRegister,
} from './registers.js';
import type { AdapterInfo, TableContext } from './table-context.js';

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
  /** with the learning engine: what it learned, aged and refused (32-bit, wrapping; not cleared by clearCounters) */
  learning?: LearningCounters;
}

/** Counters with every bigint as a number (exact below 2^53), for JSON. */
export function countersToJson(c: Counters): unknown {
  return JSON.parse(JSON.stringify(c, (_k, v) => (typeof v === 'bigint' ? Number(v) : v)));
}

/** The most the hardware's encodings can name: queues in an action byte, address slots in a key, groups in a group action. */
const MAX = {
  queues: 2 ** ENCODINGS.ACTION.QUEUE.width,
  addressSlots: 2 ** FIELDS.flow.KEY_FLAGS.ADDR_SLOT.width,
  listenGroups: 2 ** ENCODINGS.GROUP_ACTION.GROUP.width,
};

export class Adapter implements TableContext {
  readonly addresses: AddressTable;
  readonly flows: FlowTable;
  readonly listens: ListenTable;
  /** The event queue's reader (info.events; without it every method throws ENOTSUP). */
  readonly events: FlowEvents;

  private constructor(
    readonly bus: RegisterBus,
    /** Base address of every block, as found by the walk. */
    readonly bases: BlockBases,
    readonly info: AdapterInfo,
  ) {
    this.addresses = new AddressTable(this, async () => (await this.listens.list()).map((e) => e.addressSlot));
    this.flows = new FlowTable(this, this.addresses);
    this.listens = new ListenTable(this, this.addresses);
    this.events = new FlowEvents(this, this.addresses);
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
    const flowVersion = ops.read(reg('flow', 'VERSION'));
    const features = ops.read(reg('flow', 'FEATURES'));
    const clocksPerMs = ops.read(reg('flow', 'CLOCKS_PER_MS'));
    const r = await ops.run(bus);
    const info = Object.fromEntries(Object.entries(at).map(([k, i]) => [k, r[i]])) as unknown as AdapterInfo;
    // the walk came with flow version 1.1 (the major version is checked by walkBlocks); version
    // 2.0 has it with 8-word records (RES_META) and FEATURES
    info.flowWalk = r[flowVersion] >>> 0 >= 0x00010100;
    info.learning = getField(FIELDS.flow.FEATURES.LEARNING, r[features]) === 1;
    info.clocksPerMs = info.learning ? r[clocksPerMs] : 0;
    // flow version 2.2 has it; an older adapter reads 0 there: IPv6 built in
    info.ipv4Only = getField(FIELDS.flow.FEATURES.IPV4_ONLY, r[features]) === 1;
    // flow version 2.3: the event queue (EVENT_*); an older adapter reads 0 there
    info.events = getField(FIELDS.flow.FEATURES.EVENTS, r[features]) === 1;
    if (info.queues < 1 || info.queues > MAX.queues || info.addressSlots > MAX.addressSlots || info.flowEntries === 0 || info.listenGroups > MAX.listenGroups) {
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
    return resolveRegister(this.bases, text);
  }

  /** Reads a register: 64-bit registers LO then HI, as a bigint; 32-bit as a number. */
  readRegister(r: ResolvedRegister): Promise<number | bigint> {
    return readRegister(this.bus, r);
  }

  /** Every register of every block (arrays expanded; queue arrays to the adapter's queues). */
  registers(): ResolvedRegister[] {
    return listRegisters(this.bases, this.info.queues);
  }

  /** Reads readable registers in one batch (64-bit ones LO then HI); write-only ones give undefined. */
  readRegisters(list: readonly ResolvedRegister[]): Promise<(number | bigint | undefined)[]> {
    return readRegisters(this.bus, list);
  }

  writeRegister(r: ResolvedRegister, value: number): Promise<void> {
    return writeRegister(this.bus, r, value);
  }

  checkAction(action: number): void {
    checkAction(action, this.info.queues);
  }

  /** A listen action: -1, a queue, or 1..8 queues (not -1) that share the port. */
  checkListenAction(action: ListenAction): void {
    checkListenAction(action, this.info.queues);
  }

  async setDefault(action: number): Promise<void> {
    this.checkAction(action);
    await this.bus.write(this.reg('core', 'DEFAULT_ACTION'), encodeAction(action));
  }

  async getDefault(): Promise<number> {
    return decodeAction(await this.bus.read(this.reg('core', 'DEFAULT_ACTION')));
  }

  /** The learning engine's timers and quotas (ENOBLOCK without the engine). */
  getLearning(): Promise<LearningRule> {
    return readLearning(this);
  }

  setLearning(rule: LearningRule): Promise<void> {
    return writeLearning(this, rule);
  }

  /** The idle timeouts of host aging classes 1..3 (0: class unused). */
  agingTimeouts(): Promise<number[]> {
    return readAgingTimeouts(this);
  }

  /** The learning counters; undefined when the adapter has no learning engine. */
  learningCounters(): Promise<LearningCounters | undefined> {
    return readLearningCounters(this);
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
    const learning = await this.learningCounters();
    return {
      ...(learning ? { learning } : {}),
      rxFrames: v(at.rxFrames),
      rxBytes: v(at.rxBytes),
      flowHits: v(at.flowHits),
      listenHits: v(at.listenHits),
      defaultHits: v(at.defaultHits),
      drops: Object.fromEntries(reasons.map((d) => [d.name, v(d.at)])) as Record<DropReasonName, bigint>,
      queues: queues.map((q) => ({ frames: v(q.frames), bytes: v(q.bytes), drops: v(q.drops) })),
    };
  }

  /** Clears every counter (core.CONTROL.CLEAR_COUNTERS). */
  async clearCounters(): Promise<void> {
    await this.bus.write(this.reg('core', 'CONTROL'), putField(FIELDS.core.CONTROL.CLEAR_COUNTERS, 1));
  }

  /** Applies a set of rules all or nothing (rule-set.ts). */
  async applyRules(rules: readonly Rule[], options?: ApplyOptions): Promise<ApplyResult> {
    return applyRules(this, rules, options);
  }

  /** Every rule the adapter holds, as rules text order: the learning line (with the engine), flows, listens, default. */
  async rules(): Promise<Rule[]> {
    const learning: Rule[] = this.info.learning ? [await this.getLearning()] : [];
    // learned entries are the adapter's state, not rules
    const flows = (await this.flows.list()).filter((e) => e.meta?.origin !== 'learned').map((e) => e.rule);
    const listens = (await this.listens.list()).map((e) => e.rule);
    return [...learning, ...flows, ...listens, { kind: 'default', action: await this.getDefault() }];
  }

  async close(): Promise<void> {
    await this.bus.close();
  }
}
