// The cluster address slots: flow and listen entries name their destination address by a
// small slot index instead of holding the 128-bit address (docs/architecture.md).
import { formatIp, ipEquals } from '../codec/ip.js';
import { formatRule, type Family, type FlowRule, type ListenRule } from '../codec/rules.js';
import { commandWord } from './commands.js';
import { Ipv4OnlyError, TableFullError } from './errors.js';
import { scanFlowSlots } from './flow-command.js';
import { addressBytes, addressWords } from './key.js';
import { Ops } from './ops.js';
import { FIELDS } from './regs.generated.js';
import type { AdapterInfo, TableContext } from './table-context.js';

/** Whether the adapter steers the family: IPv6 not on an adapter built IPv4-only (FEATURES.IPV4_ONLY). */
export const steersFamily = (ctx: { readonly info: AdapterInfo }, family: Family): boolean => family === 4 || !ctx.info.ipv4Only;

/** Throws Ipv4OnlyError (ENOTSUP) for a family the adapter does not steer; `what` names the rule or address, called only to throw. */
export function requireFamily(ctx: { readonly info: AdapterInfo }, family: Family, what: () => string): void {
  if (!steersFamily(ctx, family)) throw new Ipv4OnlyError(what());
}

/** requireFamily for a rule, named as "flow rule …" or "listen rule …". */
export function requireRuleFamily(ctx: { readonly info: AdapterInfo }, rule: FlowRule | ListenRule): void {
  requireFamily(ctx, rule.family, () => `${rule.kind} rule ${formatRule(rule)}`);
}

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

  constructor(
    private readonly ctx: TableContext,
    /** The address slot of every listen entry, read from the listen table. */
    private readonly listenSlots: () => Promise<number[]>,
  ) {}

  get capacity(): number {
    return this.ctx.info.addressSlots;
  }

  /** Reads every slot back from the adapter. */
  async load(): Promise<void> {
    const c = this.ctx;
    const ops = new Ops();
    const at: { family: number; words: number }[] = [];
    for (let s = 0; s < this.capacity; s++) {
      ops.write(c.reg('addr', 'SLOT'), s);
      ops.write(c.reg('addr', 'COMMAND'), commandWord(FIELDS.addr.COMMAND.OP, 'read'));
      const family = ops.read(c.reg('addr', 'FAMILY'));
      const words = ops.read(c.reg('addr', 'ADDR0'));
      for (const r of ['ADDR1', 'ADDR2', 'ADDR3']) ops.read(c.reg('addr', r));
      at.push({ family, words });
    }
    const r = await ops.run(c.bus);
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
    requireFamily(this.ctx, family, () => `address slot for ${formatIp(address, family)}`);
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
    // chunks end at 16, 32, 64, … 256, 512, 768, …: never more slots read than 256-slot chunks would
    const growing = (start: number) => (start === 0 ? 16 : Math.min(256, start));
    for await (const s of scanFlowSlots(this.ctx, false, growing)) if (s.key.addressSlot === slot) return true;
    return (await this.listenSlots()).includes(slot);
  }

  /** Recounts the uses of each slot from the flow and listen tables; frees unused slots. */
  async deriveRefs(): Promise<number[]> {
    const refs = new Array<number>(this.capacity).fill(0);
    for await (const s of scanFlowSlots(this.ctx, false, () => 256)) refs[s.key.addressSlot]++;
    for (const s of await this.listenSlots()) refs[s]++;
    this.refs = refs;
    return refs;
  }

  /** Clears every slot no rule uses. */
  async prune(): Promise<void> {
    await this.deriveRefs();
    for (let s = 0; s < this.capacity; s++) if (this.refs![s] === 0 && this.slots[s]) await this.writeSlot(s, null, new Uint8Array(16));
  }

  private async writeSlot(slot: number, family: Family | null, address: Uint8Array): Promise<void> {
    const c = this.ctx;
    const ops = new Ops();
    ops.write(c.reg('addr', 'SLOT'), slot);
    ops.write(c.reg('addr', 'FAMILY'), family ?? 0);
    addressWords(address).forEach((w, i) => ops.write(c.reg('addr', `ADDR${i}`), w));
    ops.write(c.reg('addr', 'COMMAND'), commandWord(FIELDS.addr.COMMAND.OP, 'write'));
    await ops.run(c.bus);
    this.slots[slot] = family === null ? null : { family, address: Uint8Array.from(address) };
  }
}
