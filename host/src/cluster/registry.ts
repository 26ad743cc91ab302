// The primary's registry: which processor owns which port and connection. It decides, and
// the primary then programs the adapter; it never touches the adapter itself.
//
// The registry holds what the adapter's table holds, never more or less: the primary changes
// the table first and records the change here only once the adapter took it.
//
// - A listen port (proto, port) has members: one processor, or several when every one of them
//   asked to share it (a listen group, spread by the group hash). A member the table could
//   not take off yet (an unlisten refused for want of a queue group, a lost processor while
//   the adapter fails) stays a member, marked leaving, until the primary's retry succeeds.
// - Each processor announces its local port range (where its stack picks ports for outgoing
//   connections). Every port has at most one owner: ranges may not overlap, a range may not
//   hold a port another processor listens on, nobody listens on a port in another's range,
//   and a range holds at most 65536 / processors ports (maxRangePorts).
// - A flow (the exact key of a connection, as its frames from the client carry it) has one
//   owner: the processor whose listen port or local port range its local port (dstPort) is
//   in; on a shared port any member, its rule always to the requester's own queue.
// - With hardware pinning the adapter learns entries itself (from SYNs) and ages them out: the
//   learned entries are kept apart from the flows (`learned`: key → owner and state, the owner
//   being the queue the adapter learned), filled by the primary's table walk and kept by the
//   adapter's event queue. They count toward no processor's flow quota.
import { ControlError, wireFlowKey, type MonitorStats, type WireFlow } from './control-protocol.js';
import type { Proto } from '../codec/rules.js';

export interface ProcessorInfo {
  id: number;
  portRange?: [number, number];
  /** The processor's own MAC from its hello (a monitor with --interface), "02:…". */
  mac?: string;
  /** Holds rules: said hello and has not missed its heartbeats, or was found in the table at start. */
  alive: boolean;
  /** Has an authenticated control connection now. */
  connected: boolean;
  /** ms timestamp of the last hello or heartbeat (or of adoption at start). */
  lastSeen: number;
  stats?: MonitorStats;
}

export interface ListenGroup {
  proto: Proto;
  port: number;
  /** Processor → whether it asked to share the port: the queues the table's rules steer to. */
  members: Map<number, boolean>;
  /** Members the table has not taken off yet (the primary retries); not owners any more. */
  leaving: Set<number>;
}

export type Via = 'flow' | 'listen' | 'group' | 'range';

/** A learned entry's state: as the last table walk read it, or embryonic from its learned record (later changes of state are not reported). */
export type LearnedState = 'embryonic' | 'established' | 'closing';

/** An entry the adapter learned: its key, the processor it steers to, its state as last seen. */
export interface LearnedEntry {
  flow: WireFlow;
  owner: number;
  state: LearnedState;
}

/** Chooses a member of a shared port for a connection; must equal the adapter's listen-group hash. */
export type GroupChooser = (flow: WireFlow, members: readonly number[]) => number;

export const listenKey = (proto: Proto, port: number): string => `${proto}/${port}`;

/** The most ports a processor's local port range may hold: its share of the port space. */
export const maxRangePorts = (processors: number): number => Math.floor(65536 / Math.max(1, processors));

export class Registry {
  readonly processors = new Map<number, ProcessorInfo>();
  readonly listens = new Map<string, ListenGroup>();
  /** Read it; change it only with addFlow / removeFlow (they keep the per-processor counts). */
  readonly flows = new Map<string, { flow: WireFlow; owner: number }>();
  private readonly flowCounts = new Map<number, number>();
  /** The adapter's learned entries. Read it; change it only with addLearned / removeLearned / setLearned. */
  readonly learned = new Map<string, LearnedEntry>();
  private readonly learnedCounts = new Map<number, number>();
  /** The most ports a local port range may hold. */
  readonly maxRangePorts: number;

  constructor(
    private readonly chooseMember: GroupChooser,
    options: { processors?: number } = {},
  ) {
    this.maxRangePorts = maxRangePorts(options.processors ?? 1);
  }

  processor(id: number): ProcessorInfo {
    let p = this.processors.get(id);
    if (!p) {
      p = { id, alive: false, connected: false, lastSeen: 0 };
      this.processors.set(id, p);
    }
    return p;
  }

  /** The processor whose local port range holds port (alive processors only). */
  rangeOwner(port: number, except?: number): number | undefined {
    for (const p of this.processors.values()) {
      if (p.id !== except && p.alive && p.portRange && port >= p.portRange[0] && port <= p.portRange[1]) return p.id;
    }
    return undefined;
  }

  /** Throws ERANGE unless processor id may announce this local port range. */
  checkRange(id: number, range: [number, number]): void {
    const size = range[1] - range[0] + 1;
    if (size > this.maxRangePorts) {
      throw new ControlError('ERANGE', `local port range ${range[0]}-${range[1]} has ${size} ports; a processor may announce at most ${this.maxRangePorts} ports (65536 / processors)`);
    }
    for (const p of this.processors.values()) {
      if (p.id === id || !p.alive || !p.portRange) continue;
      if (range[0] <= p.portRange[1] && p.portRange[0] <= range[1]) {
        throw new ControlError('ERANGE', `local port range ${range[0]}-${range[1]} overlaps processor ${p.id}'s ${p.portRange[0]}-${p.portRange[1]}`);
      }
    }
    // a listen port is its members': a range over it would make its connections ambiguous
    for (const g of this.listens.values()) {
      const others = owners(g).filter((m) => m !== id);
      if (others.length && g.port >= range[0] && g.port <= range[1]) {
        throw new ControlError('ERANGE', `local port range ${range[0]}-${range[1]} holds ${g.proto} port ${g.port}, where processor ${others.join(',')} listens`);
      }
    }
  }

  /** Throws EPERM unless processor id may listen on (proto, port). */
  checkListen(id: number, proto: Proto, port: number, shared: boolean): void {
    const g = this.listens.get(listenKey(proto, port));
    const others = g ? [...g.members].filter(([m]) => m !== id && !g.leaving.has(m)) : [];
    if (others.length && !(shared && others.every(([, s]) => s))) {
      const owner = others.find(([, s]) => !s)?.[0] ?? others[0][0];
      const why = shared ? `processor ${owner} did not ask to share it` : 'ask with shared to share it';
      throw new ControlError('EPERM', `${proto} port ${port} belongs to processor ${owner} (${why})`);
    }
    // the range's owner pins flows on every port in it (its outgoing connections)
    const r = this.rangeOwner(port, id);
    if (r !== undefined) throw new ControlError('EPERM', `${proto} port ${port} is in processor ${r}'s local port range`);
  }

  /** The members the port should have (processor → asked to share): every member but those leaving. */
  wanted(proto: Proto, port: number): Map<number, boolean> {
    const g = this.listens.get(listenKey(proto, port));
    return new Map(g ? [...g.members].filter(([m]) => !g.leaving.has(m)) : []);
  }

  /** Records what the table now holds for the port (no members: the port is free); nobody is leaving it any more. */
  setMembers(proto: Proto, port: number, next: ReadonlyMap<number, boolean>): number[] {
    const key = listenKey(proto, port);
    if (next.size === 0) {
      this.listens.delete(key);
      return [];
    }
    const g: ListenGroup = { proto, port, members: new Map(next), leaving: new Set() };
    this.listens.set(key, g);
    return members(g);
  }

  /** Adds id to the port's members (the table holds it already); returns the members, ascending. */
  addListen(id: number, proto: Proto, port: number, shared: boolean): number[] {
    const key = listenKey(proto, port);
    let g = this.listens.get(key);
    if (!g) {
      g = { proto, port, members: new Map(), leaving: new Set() };
      this.listens.set(key, g);
    }
    g.members.set(id, shared);
    g.leaving.delete(id);
    return members(g);
  }

  /** Marks id as leaving the port: the table still steers to it until the primary's retry takes it off. */
  markLeaving(id: number, proto: Proto, port: number): void {
    const g = this.listens.get(listenKey(proto, port));
    if (g?.members.has(id)) g.leaving.add(id);
  }

  /** Ports with members the table has not taken off yet. */
  pendingLeaves(): ListenGroup[] {
    return [...this.listens.values()].filter((g) => g.leaving.size > 0);
  }

  /** The ports processor id listens on (not those it is leaving). */
  listensOf(id: number): ListenGroup[] {
    return [...this.listens.values()].filter((g) => g.members.has(id) && !g.leaving.has(id));
  }

  /**
   * Throws EPERM unless processor id may pin this flow (the dst address is checked by the
   * caller): it is its already, or its local port is a listen port of id (on a shared port,
   * any member: the rule goes to the requester's own queue), or, on no listen port, in id's
   * local port range.
   */
  checkFlow(id: number, flow: WireFlow): void {
    const held = this.flows.get(wireFlowKey(flow));
    if (held) {
      if (held.owner !== id) throw new ControlError('EPERM', `flow ${wireFlowKey(flow)} belongs to processor ${held.owner}`);
      return;
    }
    const what = `flow ${wireFlowKey(flow)}: ${flow.proto} port ${flow.dstPort}`;
    const g = this.listens.get(listenKey(flow.proto, flow.dstPort));
    const m = g ? owners(g) : [];
    if (m.includes(id)) return;
    if (m.length) throw new ControlError('EPERM', `${what} is a listen port of processor${m.length > 1 ? 's' : ''} ${m.join(',')}, not of processor ${id}`);
    const r = this.rangeOwner(flow.dstPort);
    if (r === id) return;
    if (r !== undefined) throw new ControlError('EPERM', `${what} is in processor ${r}'s local port range`);
    const own = this.processors.get(id)?.portRange;
    throw new ControlError('EPERM', `${what} is neither a listen port of processor ${id} nor in its local port range` + (own ? ` ${own[0]}-${own[1]}` : ' (it announced none)'));
  }

  addFlow(id: number, flow: WireFlow): void {
    const key = wireFlowKey(flow);
    const held = this.flows.get(key);
    if (held) this.count(held.owner, -1);
    this.flows.set(key, { flow, owner: id });
    this.count(id, 1);
  }

  removeFlow(flow: WireFlow): { flow: WireFlow; owner: number } | undefined {
    const key = wireFlowKey(flow);
    const held = this.flows.get(key);
    if (held) {
      this.flows.delete(key);
      this.count(held.owner, -1);
    }
    return held;
  }

  /** How many flows processor id holds. */
  flowCount(id: number): number {
    return this.flowCounts.get(id) ?? 0;
  }

  private count(id: number, by: number): void {
    tally(this.flowCounts, id, by);
  }

  /** Records an entry the adapter learned (again: its owner and state are updated). */
  addLearned(owner: number, flow: WireFlow, state: LearnedState): void {
    this.removeLearned(flow);
    this.learned.set(wireFlowKey(flow), { flow, owner, state });
    tally(this.learnedCounts, owner, 1);
  }

  /** Forgets a learned entry (aged out, or deleted); none held is no change. */
  removeLearned(flow: WireFlow): LearnedEntry | undefined {
    const key = wireFlowKey(flow);
    const held = this.learned.get(key);
    if (held) {
      this.learned.delete(key);
      tally(this.learnedCounts, held.owner, -1);
    }
    return held;
  }

  /** Replaces every learned entry with those of a table walk. */
  setLearned(entries: Iterable<LearnedEntry>): void {
    this.learned.clear();
    this.learnedCounts.clear();
    for (const e of entries) this.addLearned(e.owner, e.flow, e.state);
  }

  /** How many learned entries steer to processor id. */
  learnedCount(id: number): number {
    return this.learnedCounts.get(id) ?? 0;
  }

  flowsOf(id: number): WireFlow[] {
    return [...this.flows.values()].filter((f) => f.owner === id).map((f) => f.flow);
  }

  /**
   * Where a frame from a client (key as the adapter sees it) belongs when it missed the
   * adapter's tables: its connection's owner, else the listen port's member (the group hash
   * for a shared port), else the processor whose local port range holds the port.
   */
  route(flow: WireFlow): { owner: number; via: Via } | undefined {
    const held = this.flows.get(wireFlowKey(flow));
    if (held) return { owner: held.owner, via: 'flow' };
    const g = this.listens.get(listenKey(flow.proto, flow.dstPort));
    if (g && g.members.size) {
      const m = members(g);
      return m.length === 1 ? { owner: m[0], via: 'listen' } : { owner: this.chooseMember(flow, m), via: 'group' };
    }
    const r = this.rangeOwner(flow.dstPort);
    return r === undefined ? undefined : { owner: r, via: 'range' };
  }

  /**
   * Processor id is lost: no longer alive, its range is free, and it is leaving every port it
   * listened on. Its flows, learned entries and memberships stay until the table no longer has
   * them (the primary removes them, removeFlow / removeLearned / setMembers). Returns how many
   * flows and learned entries it holds and its ports with the members they are to keep.
   */
  dropProcessor(id: number): { flows: number; learned: number; listens: { proto: Proto; port: number; members: number[] }[] } {
    const p = this.processor(id);
    p.alive = false;
    p.portRange = undefined;
    const listens = [...this.listens.values()].filter((g) => g.members.has(id));
    for (const g of listens) g.leaving.add(id);
    return { flows: this.flowCount(id), learned: this.learnedCount(id), listens: listens.map((g) => ({ proto: g.proto, port: g.port, members: owners(g) })) };
  }
}

/** Adds `by` to a per-processor count, dropping counts that reach 0. */
function tally(counts: Map<number, number>, id: number, by: number): void {
  const n = (counts.get(id) ?? 0) + by;
  if (n > 0) counts.set(id, n);
  else counts.delete(id);
}

/** The processors the table's rules of the port steer to, ascending (leaving ones too: the slow path hashes as the table does). */
export const members = (g: ListenGroup): number[] => [...g.members.keys()].sort((a, b) => a - b);

/** The port's owners: its members but those leaving, ascending. */
export const owners = (g: ListenGroup): number[] => members(g).filter((m) => !g.leaving.has(m));
