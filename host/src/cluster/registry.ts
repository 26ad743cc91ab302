// The primary's registry: which processor owns which port and connection. It decides, and
// the primary then programs the adapter; it never touches the adapter itself.
//
// - A listen port (proto, port) has members: one processor, or several when every one of them
//   asked to share it (a listen group, spread by the group hash).
// - A flow (the exact key of a connection, as its frames from the client carry it) has one
//   owner; a processor may only pin flows to the cluster address whose local port is one of
//   its listen ports or lies in its local port range.
// - Each processor announces its local port range (where its stack picks ports for outgoing
//   connections); ranges may not overlap.
import { ControlError, wireFlowKey, type MonitorStats, type WireFlow } from './control-protocol.js';
import type { Proto } from '../codec/rules.js';

export interface ProcessorInfo {
  id: number;
  portRange?: [number, number];
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
  /** Processor → whether it asked to share the port. */
  members: Map<number, boolean>;
}

export type Via = 'flow' | 'listen' | 'group' | 'range';

/** Chooses a member of a shared port for a connection; must equal the adapter's listen-group hash. */
export type GroupChooser = (flow: WireFlow, members: readonly number[]) => number;

export const listenKey = (proto: Proto, port: number): string => `${proto}/${port}`;

export class Registry {
  readonly processors = new Map<number, ProcessorInfo>();
  readonly listens = new Map<string, ListenGroup>();
  readonly flows = new Map<string, { flow: WireFlow; owner: number }>();

  constructor(private readonly chooseMember: GroupChooser) {}

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

  checkRange(id: number, range: [number, number]): void {
    for (const p of this.processors.values()) {
      if (p.id === id || !p.alive || !p.portRange) continue;
      if (range[0] <= p.portRange[1] && p.portRange[0] <= range[1]) {
        throw new ControlError('ERANGE', `local port range ${range[0]}-${range[1]} overlaps processor ${p.id}'s ${p.portRange[0]}-${p.portRange[1]}`);
      }
    }
    for (const g of this.listens.values()) {
      const others = [...g.members.keys()].filter((m) => m !== id);
      if (g.proto === 'udp' && others.length && g.port >= range[0] && g.port <= range[1]) {
        throw new ControlError('ERANGE', `local port range ${range[0]}-${range[1]} holds udp port ${g.port}, where processor ${others[0]} listens`);
      }
    }
  }

  /** Throws EPERM unless processor id may listen on (proto, port). */
  checkListen(id: number, proto: Proto, port: number, shared: boolean): void {
    const g = this.listens.get(listenKey(proto, port));
    const others = g ? [...g.members].filter(([m]) => m !== id) : [];
    if (others.length && !(shared && others.every(([, s]) => s))) {
      const owner = others.find(([, s]) => !s)?.[0] ?? others[0][0];
      const why = shared ? `processor ${owner} did not ask to share it` : 'ask with shared to share it';
      throw new ControlError('EPERM', `${proto} port ${port} belongs to processor ${owner} (${why})`);
    }
    // TCP listen rules see only connection requests; a UDP listen rule would take the
    // replies to another processor's outgoing datagrams
    const r = this.rangeOwner(port, id);
    if (proto === 'udp' && r !== undefined) throw new ControlError('EPERM', `udp port ${port} is in processor ${r}'s local port range`);
  }

  /** Adds id to the port's members; returns the members, ascending. */
  addListen(id: number, proto: Proto, port: number, shared: boolean): number[] {
    const key = listenKey(proto, port);
    let g = this.listens.get(key);
    if (!g) {
      g = { proto, port, members: new Map() };
      this.listens.set(key, g);
    }
    g.members.set(id, shared);
    return members(g);
  }

  /** Removes id from the port; returns the members left (empty: the port is free). */
  removeListen(id: number, proto: Proto, port: number): number[] {
    const key = listenKey(proto, port);
    const g = this.listens.get(key);
    if (!g) return [];
    g.members.delete(id);
    if (g.members.size === 0) this.listens.delete(key);
    return members(g);
  }

  listensOf(id: number): ListenGroup[] {
    return [...this.listens.values()].filter((g) => g.members.has(id));
  }

  /** Throws EPERM unless processor id may pin this flow (the dst address is checked by the caller). */
  checkFlow(id: number, flow: WireFlow): void {
    const held = this.flows.get(wireFlowKey(flow));
    if (held && held.owner !== id) throw new ControlError('EPERM', `flow ${wireFlowKey(flow)} belongs to processor ${held.owner}`);
    const g = this.listens.get(listenKey(flow.proto, flow.dstPort));
    if (g?.members.has(id)) return;
    const r = this.processors.get(id)?.portRange;
    if (r && flow.dstPort >= r[0] && flow.dstPort <= r[1]) return;
    throw new ControlError(
      'EPERM',
      `flow ${wireFlowKey(flow)}: ${flow.proto} port ${flow.dstPort} is neither a listen port of processor ${id} nor in its local port range` +
        (r ? ` ${r[0]}-${r[1]}` : ' (it announced none)'),
    );
  }

  addFlow(id: number, flow: WireFlow): void {
    this.flows.set(wireFlowKey(flow), { flow, owner: id });
  }

  removeFlow(flow: WireFlow): { flow: WireFlow; owner: number } | undefined {
    const key = wireFlowKey(flow);
    const held = this.flows.get(key);
    this.flows.delete(key);
    return held;
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

  /** Forgets everything processor id held; returns its flows and the groups it was in (members after). */
  dropProcessor(id: number): { flows: WireFlow[]; listens: { proto: Proto; port: number; members: number[] }[] } {
    const flows = this.flowsOf(id);
    for (const f of flows) this.flows.delete(wireFlowKey(f));
    const listens = this.listensOf(id).map((g) => ({ proto: g.proto, port: g.port, members: this.removeListen(id, g.proto, g.port) }));
    const p = this.processor(id);
    p.alive = false;
    p.portRange = undefined;
    return { flows, listens };
  }
}

export const members = (g: ListenGroup): number[] => [...g.members.keys()].sort((a, b) => a - b);
