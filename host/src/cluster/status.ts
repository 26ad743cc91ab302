// What a running cluster says about itself, for `cluster status`, `cluster up` (waiting for
// the monitors) and the demo: the adapter's counters over its frame port, the tables' occupancy
// over the register bus, the primary's `stats` over the control protocol. Each query answers
// undefined when its process does not answer in time, never throws.
import { existsSync } from 'node:fs';
import { SocketBus } from '../bus/socket-bus.js';
import { Adapter } from '../driver/index.js';
import type { AdapterStats } from './adapter.js';
import { queryPrimary } from './control-protocol.js';
import { FramePortClient } from './frame-port-socket.js';
import { ClusterError, isAlive, listNamespaces, loadState, waitFor } from './netns.js';

/** work's value; a ClusterError ETIMEDOUT when it takes longer than ms (no limit without). */
function deadline<T>(ms: number | undefined, what: string, work: Promise<T>): Promise<T> {
  if (ms === undefined) return work;
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new ClusterError('ETIMEDOUT', `${what} did not answer within ${ms} ms`)), ms);
    timer.unref();
  });
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}

/** The adapter's counters over its frame port (connecting as `role`); throws when it does not answer (in time). */
export async function readAdapterStats(framePort: string, role: string, timeoutMs?: number): Promise<AdapterStats> {
  let client: FramePortClient | undefined;
  try {
    const read = (async () => {
      client = await FramePortClient.connect(framePort, role);
      return client.stats<AdapterStats>();
    })();
    return await deadline(timeoutMs, `the adapter's frame port ${framePort}`, read);
  } finally {
    await client?.close();
  }
}

/**
 * Waits until the adapter has steered every frame sent into its wire TAP before the call: two
 * of its loop iterations after this moment found the TAP empty (the first may have polled
 * before it), so the counters read next cover them. A loaded adapter lags its senders.
 */
export async function adapterDrained(framePort: string, o: { timeoutMs: number; signal?: AbortSignal }): Promise<void> {
  const start = (await readAdapterStats(framePort, 'drain')).wire.idlePolls;
  await waitFor("the adapter's wire TAP to drain", async () => (await readAdapterStats(framePort, 'drain')).wire.idlePolls >= start + 2, o);
}

/** The adapter's counters, or undefined when it does not answer within timeoutMs. */
export function adapterStats(framePort: string, timeoutMs = 2000): Promise<AdapterStats | undefined> {
  return readAdapterStats(framePort, 'status', timeoutMs).catch(() => undefined);
}

/** Runs fn on the adapter behind a register-bus socket (within timeoutMs when given); the bus is closed after. */
export async function withAdapterAt<T>(busPath: string, fn: (adapter: Adapter) => Promise<T>, timeoutMs?: number): Promise<T> {
  let bus: SocketBus | undefined;
  try {
    const work = (async () => {
      bus = await SocketBus.connect(busPath);
      return fn(await Adapter.open(bus));
    })();
    return await deadline(timeoutMs, `the register bus ${busPath}`, work);
  } finally {
    await bus?.close();
  }
}

export interface TableOccupancy {
  flows: number;
  flowCapacity: number;
  listens: number;
  listenCapacity: number;
}

/** Flow and listen entries in use, read over the bus (undefined when it does not answer in time). */
export function tableOccupancy(busPath: string, timeoutMs = 3000): Promise<TableOccupancy | undefined> {
  return withAdapterAt(
    busPath,
    async (a) => {
      const flows = await a.flows.count();
      const listens = (await a.listens.list()).length;
      return { flows, flowCapacity: a.info.flowEntries + a.info.flowStash, listens, listenCapacity: a.listens.capacity };
    },
    timeoutMs,
  ).catch(() => undefined);
}

/** The primary's `stats` answer (control protocol), or undefined when it does not answer. */
export async function primaryStats(control: string): Promise<Record<string, unknown> | undefined> {
  try {
    return await queryPrimary(control, { op: 'stats' }, 2000);
  } catch {
    return undefined;
  }
}

/** Whether the primary reports processors 1..processors connected (and not lost). */
export async function allConnected(control: string, processors: number): Promise<boolean> {
  const s = await primaryStats(control);
  const list = (s?.processors ?? []) as { processor: number; connected?: boolean; alive?: boolean }[];
  return Array.from({ length: processors }, (_, i) => i + 1).every((p) => list.some((x) => x.processor === p && x.connected && x.alive !== false));
}

/** The cluster whose state is in stateDir: what was made, what runs, and what its processes report. */
export async function clusterStatus(stateDir: string, name: string) {
  const state = loadState(stateDir);
  if (!state) throw new ClusterError('ENOTUP', `no cluster "${name}" (no state in ${stateDir}); start one with \`sipnic cluster up --processors N\``);
  const present = await listNamespaces();
  const board = state.plan.boardSim;
  // with --board-sim there is no adapter process: the primary holds the board's serial line, and its stats say what it wrote
  const stats = board ? undefined : await adapterStats(state.plan.paths.framePort);
  const primary = existsSync(state.plan.paths.control) ? await primaryStats(`unix:${state.plan.paths.control}`) : undefined;
  const tables = board ? undefined : await tableOccupancy(state.plan.paths.bus);
  return {
    name: state.plan.name,
    up: state.up,
    startedAt: state.startedAt,
    stateDir,
    clusterIp: state.plan.clusterIp,
    clusterMac: state.plan.clusterMac,
    clientIp: state.plan.clientIp,
    namespaces: state.namespaces.map((n) => ({ name: n, present: present.includes(n) })),
    processes: state.processes.map((p) => ({ role: p.role, pid: p.pid, namespace: p.namespace ?? null, alive: isAlive(p.pid), log: p.log })),
    portRanges: state.plan.portRanges,
    tables: tables ?? null,
    boardSim: board ? { pty: state.pty ?? null, baud: board.baud, taps: board.taps, namespaces: board.namespaces, lanIps: board.lanIps } : null,
    adapter: stats ?? null,
    primary: primary ?? null,
  };
}

export type ClusterStatus = Awaited<ReturnType<typeof clusterStatus>>;
