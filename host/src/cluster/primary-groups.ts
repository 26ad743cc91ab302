// The primary's listen ports: each port's rules in the adapter's table (one per cluster
// address) and the registry's record of them, changed in that order — the table first, the
// registry once the adapter took the change — so the two never disagree. A shared port's rule
// has a list of queues, spread by the adapter's hash of the address/port pair
// (host/src/semantics/listen-group.ts) over a queue group, changed in place by
// ListenTable.updateMany; the ListenGroups seam is everything the primary needs of groups.
//
// Leaving a port (an unlisten, or a lost processor) can find the table unable to take it yet:
// the port's group is shared with another port that keeps the old members and no group is
// free (the board has 2), or the adapter fails. The request cannot simply be refused: the
// processor's stack has closed the socket already (or the processor is dead), and nobody
// would ask again. So the primary owns the retry: the member stays in the registry, as it is
// in the table, marked leaving (the slow path still hashes over it, as the adapter does; it
// owns the port no longer, so others may take it); the unlisten is answered with `pending`,
// the primary's stats list it, and settle() tries again whenever a table change may have freed
// a group and on the heartbeat tick, backing off. A leave that needs no new group — a group
// whose users all shrink together, which is every shared port a lost processor was in — is a
// rewrite in place and never waits.
import { NotFoundError, sameListen, type Adapter, type ListenEntry } from '../driver/index.js';
import { parseIp } from '../codec/ip.js';
import { ownsIp, type Identity } from '../codec/packet.js';
import { groupQueue } from '../semantics/listen-group.js';
import type { ListenRule, Proto } from '../codec/rules.js';
import type { WireFlow } from './control-protocol.js';
import { listenKey, members, owners, type Registry } from './registry.js';

export interface ListenGroups {
  /** The member the adapter's listen-group hash picks for this connection. */
  groupQueue(flow: WireFlow, members: readonly number[]): number;
  /** A listen rule steering to these members (in this order, at least one). */
  rule(base: Omit<ListenRule, 'action'>, members: readonly number[]): ListenRule;
  /** The queues a listen rule read back from the table steers to, in its order. */
  membersOf(rule: ListenRule): number[];
  /**
   * Changes the actions of the table's listen rules with these keys, in place, all or
   * nothing; with `partial`, what needs a queue group none is free for is left unchanged.
   */
  update(adapter: Adapter, rules: readonly ListenRule[], options?: { partial?: boolean }): Promise<void>;
}

export const listenGroups: ListenGroups = {
  groupQueue: (flow, members) => groupQueue({ srcIp: parseIp(flow.srcIp).bytes, srcPort: flow.srcPort, dstPort: flow.dstPort }, members),
  rule: (base, members) => ({ ...base, action: members.length === 1 ? members[0] : [...members] }),
  membersOf: (rule) => (Array.isArray(rule.action) ? [...rule.action] : [rule.action]),
  update: async (adapter, rules, options) => {
    await adapter.listens.updateMany(rules, options);
  },
};

/** What the table should hold for a port: rules steering to these members (none: no rules). */
export interface PortChange {
  proto: Proto;
  port: number;
  members: readonly number[];
}

const sameList = (a: readonly number[], b: readonly number[]): boolean => a.length === b.length && a.every((v, i) => v === b[i]);
const ascending = (m: ReadonlyMap<number, boolean>): number[] => [...m.keys()].sort((a, b) => a - b);

export class ListenPorts {
  constructor(
    private readonly o: {
      adapter: Adapter;
      identity: Identity;
      groups: ListenGroups;
      registry: Registry;
      /** TCP listen rules carry `learn` (hardware pinning) */
      learn?: boolean;
      log(line: string): void;
    },
  ) {}

  /**
   * Makes the table's rules of these ports steer to their members: removals first, then every
   * change of an existing rule in one ListenTable.updateMany (so ports sharing a group that
   * shrink together are rewritten in place), then new rules. Throws what the table refused.
   */
  async write(changes: readonly PortChange[], options: { partial?: boolean } = {}): Promise<void> {
    const { adapter, groups } = this.o;
    const existing = await this.existing();
    const removes: ListenRule[] = [];
    const updates: ListenRule[] = [];
    const adds: ListenRule[] = [];
    for (const c of changes) {
      for (const { base, have } of this.rulesOf(c, existing)) {
        if (c.members.length === 0) {
          if (have) removes.push(have.rule);
        } else if (!have) adds.push(groups.rule(base, c.members));
        else if (!sameList(groups.membersOf(have.rule), c.members)) updates.push(groups.rule(base, c.members));
      }
    }
    for (const r of removes) {
      await adapter.listens.remove(r).catch((err) => {
        if (!(err instanceof NotFoundError)) throw err;
      });
    }
    if (updates.length) await groups.update(adapter, updates, options);
    for (const r of adds) await adapter.listens.add(r);
  }

  /** For each change, whether the table holds exactly its rules now. */
  async holds(changes: readonly PortChange[]): Promise<boolean[]> {
    const existing = await this.existing();
    return changes.map((c) => this.rulesOf(c, existing).every(({ have }) => (c.members.length === 0 ? !have : have !== undefined && sameList(this.o.groups.membersOf(have.rule), c.members))));
  }

  /** Processor p joins (proto, port): the table first, then the registry; a refusal changes neither. */
  async listen(p: number, proto: Proto, port: number, shared: boolean): Promise<{ members: number[] }> {
    const { registry, log } = this.o;
    registry.checkListen(p, proto, port, shared);
    const g = registry.listens.get(listenKey(proto, port));
    const was = g?.members.has(p) && !g.leaving.has(p);
    const before = g ? members(g) : [];
    const next = registry.wanted(proto, port);
    next.set(p, shared);
    const m = ascending(next);
    try {
      await this.write([{ proto, port, members: m }]);
    } catch (err) {
      // back to what the table held (one address's rule may be in already)
      await this.write([{ proto, port, members: before }]).catch((e: Error) => log(`restoring ${proto} port ${port} to ${before.join(',') || 'no rules'} failed: ${e.message}`));
      throw err;
    }
    registry.setMembers(proto, port, next);
    if (!was) log(`processor ${p}: listen ${proto} port ${port}${m.length > 1 ? ` (shared by ${m.join(',')})` : ''}`);
    return { members: m };
  }

  /**
   * Processor p leaves (proto, port). When the table cannot take it yet, p stays a member
   * (leaving) and the answer says so in `pending`; settle() retries.
   */
  async unlisten(p: number, proto: Proto, port: number): Promise<{ members: number[]; pending?: string }> {
    const { registry, log } = this.o;
    const g = registry.listens.get(listenKey(proto, port));
    if (!g?.members.has(p)) return { members: [] };
    const next = registry.wanted(proto, port);
    next.delete(p);
    const m = ascending(next);
    try {
      await this.write([{ proto, port, members: m }]);
    } catch (err) {
      registry.markLeaving(p, proto, port);
      const why = `${(err as Error).message}; processor ${p} still gets connection requests to ${proto} port ${port} until the primary's retry takes it off`;
      log(`processor ${p}: unlisten ${proto} port ${port} pending: ${why}`);
      return { members: m, pending: why };
    }
    registry.setMembers(proto, port, next);
    log(`processor ${p}: unlisten ${proto} port ${port}${m.length ? ` (still shared by ${m.join(',')})` : ''}`);
    return { members: m };
  }

  /**
   * Takes the leaving members off their ports, all in one table change (what needs a group none
   * is free for waits); records what the table took. Returns how many ports still wait.
   */
  async settle(): Promise<number> {
    const { registry, log } = this.o;
    const ports = registry.pendingLeaves();
    if (!ports.length) return 0;
    const changes: PortChange[] = ports.map((g) => ({ proto: g.proto, port: g.port, members: owners(g) }));
    try {
      await this.write(changes, { partial: true });
    } catch (err) {
      log(`taking leaving processors off ${changes.map((c) => `${c.proto}/${c.port}`).join(', ')} failed: ${(err as Error).message}`);
    }
    let done: boolean[];
    try {
      done = await this.holds(changes);
    } catch {
      return changes.length;
    }
    changes.forEach((c, i) => {
      if (!done[i]) return;
      const g = registry.listens.get(listenKey(c.proto, c.port))!;
      log(`${c.proto} port ${c.port}: processor${g.leaving.size > 1 ? 's' : ''} ${[...g.leaving].sort((a, b) => a - b).join(',')} taken off${c.members.length ? ` (now ${c.members.join(',')})` : ' (no listener left)'}`);
      registry.setMembers(c.proto, c.port, registry.wanted(c.proto, c.port));
    });
    return done.filter((d) => !d).length;
  }

  /** The table's listen rules for cluster addresses. */
  private async existing(): Promise<ListenEntry[]> {
    return (await this.o.adapter.listens.list()).filter((e) => ownsIp(this.o.identity, e.rule.family, e.rule.dstIp));
  }

  /** A port's rule key for each cluster address, with the table's entry for it. */
  private rulesOf(c: PortChange, existing: readonly ListenEntry[]): { base: Omit<ListenRule, 'action'>; have?: ListenEntry }[] {
    return this.o.identity.ips.map((ip) => {
      const base = { kind: 'listen' as const, family: ip.family, proto: c.proto, dstIp: ip.bytes, dstPort: c.port, ...(this.o.learn && c.proto === 'tcp' ? { learn: true } : {}) };
      return { base, have: existing.find((e) => sameListen(e.rule, { ...base, action: 0 })) };
    });
  }
}
