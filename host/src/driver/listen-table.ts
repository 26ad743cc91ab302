// The listen table: (family, protocol, destination address slot, destination port) → an
// action, a few entries each written whole by one command; a shared port's entry names a
// queue group that spreads connection requests over its queues (docs/semantics.md).
import { ipEquals } from '../codec/ip.js';
import type { ListenAction, ListenRule } from '../codec/rules.js';
import { groupMembers, groupTable, GROUP_SLOTS } from '../semantics/listen-group.js';
import { checkListenAction, decodeAction, encodeAction } from './actions.js';
import { requireRuleFamily, type AddressTable } from './address-table.js';
import { commandWord } from './commands.js';
import { ListenExistsError, NotFoundError, TableFullError } from './errors.js';
import { decodeKeyFlags, encodeKeyFlags } from './key.js';
import { requireLearning } from './learning.js';
import { Ops } from './ops.js';
import { FIELDS, getField, putField } from './regs.generated.js';
import type { TableContext } from './table-context.js';

export interface ListenEntry {
  entry: number;
  /** rule.action is the entry's action; for a shared port, its group's members */
  rule: ListenRule;
  addressSlot: number;
  /** the queue group of a shared port */
  group?: number;
}

/** What ListenTable.update answers: the entry, its action before, and the group it uses now. */
export interface ListenUpdate {
  entry: number;
  previous: ListenAction;
  group?: number;
  /** updateMany with `partial`: no group was free for the new list; the entry is unchanged. */
  skipped?: true;
}

/** A queue group in use: its 8 slots, the members they were filled from, and its listen entries. */
export interface QueueGroup {
  group: number;
  table: number[];
  /** the shortest member list whose fill gives the table */
  members: number[];
  refs: number;
}

const L = FIELDS.listen;

/** Whether two listen rules have the same key (family, protocol, dst-ip, dst-port). */
export function sameListen(a: ListenRule, b: ListenRule): boolean {
  return a.family === b.family && a.proto === b.proto && a.dstPort === b.dstPort && ipEquals(a.dstIp, b.dstIp);
}

/**
 * The listen table: a few entries written whole by one command each. A rule whose action is a
 * list of queues (a shared port) points its entry at a queue group holding the list's table;
 * rules with the same table share a group, counted by use and free again when none uses it.
 * Group use is read back from the hardware (load, and every list), never only remembered.
 */
export class ListenTable {
  private groupState: { table: number[]; refs: number }[] = [];

  constructor(
    private readonly ctx: TableContext,
    private readonly addresses: AddressTable,
  ) {}

  get capacity(): number {
    return this.ctx.info.listenEntries;
  }

  get groupCapacity(): number {
    return this.ctx.info.listenGroups;
  }

  /** Reads every entry and every group back and counts each group's uses. */
  async load(): Promise<ListenEntry[]> {
    const c = this.ctx;
    const ops = new Ops();
    const at: number[] = [];
    for (let e = 0; e < this.capacity; e++) {
      ops.write(c.reg('listen', 'SLOT'), e);
      ops.write(c.reg('listen', 'COMMAND'), commandWord(L.COMMAND.OP, 'read'));
      at.push(ops.read(c.reg('listen', 'FLAGS')));
      ops.read(c.reg('listen', 'PORT'));
      ops.read(c.reg('listen', 'ACTION'));
    }
    const groupAt: number[] = [];
    for (let g = 0; g < this.groupCapacity; g++) {
      ops.write(c.reg('listen', 'GROUP'), g);
      ops.write(c.reg('listen', 'GROUP_COMMAND'), commandWord(L.GROUP_COMMAND.OP, 'read'));
      groupAt.push(ops.read(c.reg('listen', 'GROUP_QUEUE', 0)));
      for (let i = 1; i < GROUP_SLOTS; i++) ops.read(c.reg('listen', 'GROUP_QUEUE', i));
    }
    const r = await ops.run(c.bus);
    this.groupState = groupAt.map((i) => ({ table: Array.from(r.subarray(i, i + GROUP_SLOTS), decodeAction), refs: 0 }));
    const out: ListenEntry[] = [];
    at.forEach((i, entry) => {
      const { valid, family, proto, addressSlot } = decodeKeyFlags(L.FLAGS, r[i]);
      if (!valid) return;
      const learn = getField(L.FLAGS.LEARN, r[i]) === 1;
      const word = r[i + 2];
      const group = isGroupAction(word) ? getField(L.ACTION.INDEX, word) : undefined;
      const state = group === undefined ? undefined : this.groupState[group];
      if (state) state.refs++;
      out.push({
        entry,
        addressSlot,
        ...(group === undefined ? {} : { group }),
        rule: {
          kind: 'listen',
          family,
          proto,
          dstIp: this.addresses.get(addressSlot)?.address ?? new Uint8Array(16),
          dstPort: getField(L.PORT.DST_PORT, r[i + 1]),
          // a group the adapter does not have reads back as queue 127 (never written so)
          action: state ? groupMembers(state.table) : decodeAction(word),
          ...(learn ? { learn } : {}),
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
    requireRuleFamily(this.ctx, rule);
    checkListenAction(rule.action, this.ctx.info.queues);
    if (rule.learn) requireLearning(this.ctx, '"learn"');
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
      ({ slot } = await this.addresses.acquire(rule.family, rule.dstIp));
    } catch (err) {
      if (group !== undefined) this.releaseGroup(group);
      throw err;
    }
    try {
      await this.write(entry, entryFlags(rule, slot), rule.dstPort, actionWord(rule.action, group));
    } catch (err) {
      await this.addresses.release(slot);
      if (group !== undefined) this.releaseGroup(group);
      throw err;
    }
    return group === undefined ? { entry } : { entry, group };
  }

  /** Changes the action of the entry with the rule's key in place: updateMany of one rule. Throws NotFoundError. */
  async update(rule: ListenRule): Promise<ListenUpdate> {
    return (await this.updateMany([rule]))[0];
  }

  /**
   * Changes the actions of the entries with these rules' keys, each in place: every entry
   * keeps matching throughout and each connection request goes by its old action or its new
   * one. Planned whole before anything is written, so a refusal (NotFoundError, TableFullError
   * 'group') changes nothing. Per group of the old actions, in this order:
   *  - a list that a group kept in use already holds takes that group;
   *  - a group whose users are all in this update and all go to one list is rewritten in
   *    place: its 8 slots in one GROUP_COMMAND, which the hardware applies in one clock, so
   *    all its entries switch together and no free group is needed (a shared port shrinking
   *    when a member leaves always succeeds, even with every group in use);
   *  - otherwise a list takes a free group, counting those the other changes free first
   *    (written before the entry points at it). Only then is TableFullError possible: the
   *    group is shared with entries this update leaves alone and no group is free.
   * With `partial`, the lists no free group is left for are skipped (their entries unchanged,
   * answered `skipped: true`) instead of refusing the whole update.
   */
  async updateMany(rules: readonly ListenRule[], options: { partial?: boolean } = {}): Promise<ListenUpdate[]> {
    for (const r of rules) checkListenAction(r.action, this.ctx.info.queues);
    const entries = await this.list();
    const moves = rules.map((rule) => {
      const e = entries.find((x) => sameListen(x.rule, rule));
      if (!e) throw new NotFoundError(rule);
      return { e, rule, table: Array.isArray(rule.action) ? groupTable(rule.action) : undefined, group: undefined as number | undefined };
    });
    if (new Set(moves.map((m) => m.e.entry)).size !== moves.length) throw new RangeError('updateMany: the same listen key twice');
    const state = this.groupState;
    const sameTable = (a: readonly number[], b: readonly number[]) => a.every((q, i) => q === b[i]);
    // groups whose every user is in this update
    const allIn = new Map<number, typeof moves>();
    for (const m of moves) if (m.e.group !== undefined) allIn.set(m.e.group, [...(allIn.get(m.e.group) ?? []), m]);
    for (const [g, ms] of allIn) if (ms.length !== state[g].refs) allIn.delete(g);
    const kept = (g: number) => state[g].refs > 0 && !allIn.has(g);
    // 1. a list a kept group holds
    for (const m of moves) if (m.table) m.group = state.findIndex((s, g) => kept(g) && sameTable(s.table, m.table!));
    for (const m of moves) if (m.group === -1) m.group = undefined;
    // 2. in place
    const inPlace = new Map<number, number[]>();
    for (const [g, ms] of allIn) {
      const t = ms[0].table;
      if (t && ms.every((m) => m.table && m.group === undefined && sameTable(m.table, t))) {
        inPlace.set(g, t);
        for (const m of ms) m.group = g;
      }
    }
    // 3. new groups, one per distinct list, from the groups free once the other moves are done
    const refs = state.map((s) => s.refs);
    for (const m of moves) {
      if (m.e.group !== undefined && !inPlace.has(m.e.group) && (m.table === undefined || m.group !== undefined)) refs[m.e.group]--;
      if (m.group !== undefined && !inPlace.has(m.group)) refs[m.group]++;
    }
    let fresh = moves.filter((m) => m.table && m.group === undefined);
    const lists: number[][] = [];
    for (const m of fresh) if (!lists.some((t) => sameTable(t, m.table!))) lists.push(m.table!);
    const free = refs.map((n, g) => (n === 0 ? g : -1)).filter((g) => g >= 0);
    const skipped = new Set<(typeof moves)[number]>();
    if (lists.length > free.length) {
      if (!options.partial) throw new TableFullError('group', this.groupCapacity, 0, fresh[0].rule);
      // a skipped move keeps its old group (never one rewritten in place: those have no fresh moves)
      for (const t of lists.splice(free.length)) for (const m of fresh) if (sameTable(m.table!, t)) skipped.add(m);
      fresh = fresh.filter((m) => !skipped.has(m));
    }
    for (const m of fresh) m.group = free[lists.findIndex((t) => sameTable(t, m.table!))];

    // the writes: rewrites in place, then entries onto plain queues or kept groups (freeing
    // their old groups), then new groups and their entries
    for (const [g, t] of inPlace) if (!sameTable(state[g].table, t)) await this.writeGroup(g, t);
    const retarget = async (m: (typeof moves)[number]) => {
      // the same group and the same LEARN flag: the entry already says it
      if (m.group !== undefined && m.group === m.e.group && Boolean(m.rule.learn) === Boolean(m.e.rule.learn)) return;
      await this.write(m.e.entry, entryFlags(m.rule, m.e.addressSlot), m.rule.dstPort, actionWord(m.rule.action, m.group));
      if (m.group !== undefined) state[m.group].refs++;
      if (m.e.group !== undefined) this.releaseGroup(m.e.group);
    };
    for (const m of moves) if (!fresh.includes(m) && !skipped.has(m)) await retarget(m);
    for (const t of lists) {
      const g = fresh.find((m) => sameTable(m.table!, t))!.group!;
      await this.writeGroup(g, t);
      for (const m of fresh) if (m.group === g) await retarget(m);
    }
    return moves.map((m) =>
      skipped.has(m)
        ? { entry: m.e.entry, previous: m.e.rule.action, ...(m.e.group === undefined ? {} : { group: m.e.group }), skipped: true }
        : { entry: m.e.entry, previous: m.e.rule.action, ...(m.group === undefined ? {} : { group: m.group }) },
    );
  }

  /** Invalidates the entry with the rule's key (its action is ignored); throws NotFoundError. */
  async remove(rule: ListenRule): Promise<ListenEntry> {
    const found = (await this.list()).find((e) => sameListen(e.rule, rule));
    if (!found) throw new NotFoundError(rule);
    await this.write(found.entry, 0, 0, 0);
    if (found.group !== undefined) this.releaseGroup(found.group);
    await this.addresses.release(found.addressSlot);
    return found;
  }

  /** Invalidates every entry and frees the address slots no flow entry uses. */
  async clear(): Promise<void> {
    for (const e of await this.list()) await this.write(e.entry, 0, 0, 0);
    for (const s of this.groupState) s.refs = 0;
    await this.addresses.prune();
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
    const c = this.ctx;
    const ops = new Ops();
    ops.write(c.reg('listen', 'GROUP'), group);
    table.forEach((q, i) => ops.write(c.reg('listen', 'GROUP_QUEUE', i), encodeAction(q)));
    ops.write(c.reg('listen', 'GROUP_COMMAND'), commandWord(L.GROUP_COMMAND.OP, 'write'));
    await ops.run(c.bus);
    this.groupState[group].table = [...table];
  }

  private async write(entry: number, flags: number, port: number, action: number): Promise<void> {
    const c = this.ctx;
    const ops = new Ops();
    ops.write(c.reg('listen', 'SLOT'), entry);
    ops.write(c.reg('listen', 'FLAGS'), flags);
    ops.write(c.reg('listen', 'PORT'), putField(L.PORT.DST_PORT, port));
    ops.write(c.reg('listen', 'ACTION'), action);
    ops.write(c.reg('listen', 'COMMAND'), commandWord(L.COMMAND.OP, 'write'));
    await ops.run(c.bus);
  }
}

/** A valid entry's FLAGS word. */
function entryFlags(rule: ListenRule, addressSlot: number): number {
  return (encodeKeyFlags(L.FLAGS, { family: rule.family, proto: rule.proto, addressSlot }) | (rule.learn ? putField(L.FLAGS.LEARN, 1) : 0)) >>> 0;
}

/** The ACTION word: a queue or -1, or queue group g (GROUP set, INDEX g, no other bit). */
function actionWord(action: ListenAction, group: number | undefined): number {
  return group !== undefined ? putField(L.ACTION.GROUP, 1) | putField(L.ACTION.INDEX, group) : encodeAction(action as number);
}

/** Whether an ACTION word names a queue group: GROUP set and no bit above it (as the RTL decides). */
const isGroupAction = (word: number): boolean => word >>> L.ACTION.GROUP.shift === 1;
