// What `cluster demo --board-sim` measures where the one-machine cluster asks its adapter: the
// primary's `stats` (the frames it handed to processors, the serial line it drives) before and
// after the connections, and, once the primary is stopped (the table stays), the board's own
// queue counters read over the simulator's PTY.
import { SerialBus } from '../bus/serial-bus.js';
import { Adapter } from '../driver/index.js';
import { queryPrimary } from './control-protocol.js';
import { boardSimOf } from './board-lan.js';
import { ClusterError, stopProcess, type ClusterState } from './netns.js';

/** The primary's counters that the demo takes differences of. */
export interface PrimarySnapshot {
  /** Frames the primary handed to their processor (every slow-path reason). */
  viaPrimary: number;
  /** Exact rules the primary holds (its registry, as the table). */
  flows: number;
  /** Rule installs the monitors have reported acknowledged (their ruleInstallMs counts, with each heartbeat). */
  installs: number;
  /** Flow changes it has sent to the table in batches. */
  flowChanges: number;
  /** Flow changes it has taken and not answered yet. */
  flowQueued: number;
  serial: { baud: number; commands: number; bytesSent: number; bytesReceived: number };
  at: number;
}

interface PrimaryStats {
  counters?: { slowPath?: Record<string, number> };
  flows?: number;
  flowBatches?: { changes?: number; queued?: number };
  processors?: { monitor?: { ruleInstallMs?: { count?: number } } | null }[];
  serial?: PrimarySnapshot['serial'] | null;
  listens?: { proto: string; port: number; members: number[] }[];
}

export async function primarySnapshot(control: string): Promise<PrimarySnapshot> {
  const s = (await queryPrimary(control, { op: 'stats' }, 5000)) as PrimaryStats;
  if (!s.serial) throw new ClusterError('ESTEP', "the primary's stats have no serial line: it is not on the board simulator's PTY");
  const viaPrimary = Object.values(s.counters?.slowPath ?? {}).reduce((a, b) => a + b, 0);
  const installs = (s.processors ?? []).reduce((n, p) => n + (p.monitor?.ruleInstallMs?.count ?? 0), 0);
  return { viaPrimary, flows: s.flows ?? 0, installs, flowChanges: s.flowBatches?.changes ?? 0, flowQueued: s.flowBatches?.queued ?? 0, serial: s.serial, at: performance.now() };
}

/** The serial line between two snapshots: commands, bytes both ways, and the busier direction's share of the wall time. */
export function serialBetween(a: PrimarySnapshot, b: PrimarySnapshot): { baud: number; commands: number; bytes: number; busyFraction: number | null } {
  const sent = b.serial.bytesSent - a.serial.bytesSent;
  const received = b.serial.bytesReceived - a.serial.bytesReceived;
  const ms = b.at - a.at;
  const busy = (Math.max(sent, received) * 10 * 1000) / b.serial.baud;
  return { baud: b.serial.baud, commands: b.serial.commands - a.serial.commands, bytes: sent + received, busyFraction: ms > 0 ? Math.round((busy / ms) * 10000) / 10000 : null };
}

/**
 * Waits until the primary's flow changes have drained: none taken and unanswered, and none done,
 * for quietMs (on a slow line the rules come in long after the connections ended, and the rules
 * of connections already gone are deleted again). Not the line's command count: asking for stats
 * reads the learning counters over it. Returns the primary's stats as of the last flow change
 * seen; undefined when changes are still coming after timeoutMs.
 */
export async function whenLineQuiet(control: string, o: { quietMs: number; timeoutMs: number; signal?: AbortSignal }): Promise<PrimarySnapshot | undefined> {
  const until = Date.now() + o.timeoutMs;
  let last: PrimarySnapshot | undefined;
  while (Date.now() < until && !o.signal?.aborted) {
    const now = await primarySnapshot(control).catch(() => undefined);
    if (now && (!last || now.flowChanges !== last.flowChanges || now.flowQueued > 0)) last = now;
    else if (now && last && now.at - last.at >= o.quietMs) return last;
    await new Promise((r) => setTimeout(r, 100));
  }
  return undefined;
}

/** Every processor's own port and the shared port have a listen rule with the primary (its registry is the table's). */
export async function listensReadyAtPrimary(control: string, ports: number[]): Promise<boolean> {
  try {
    const s = (await queryPrimary(control, { op: 'stats' }, 3000)) as PrimaryStats;
    const have = new Set((s.listens ?? []).filter((l) => l.proto === 'tcp').map((l) => l.port));
    return ports.every((p) => have.has(p));
  } catch {
    return false;
  }
}

/**
 * Stops the primary (the table stays) and reads the board's queue counters over the PTY: the
 * frames the design steered to each processor's queue since the simulator started.
 */
export async function boardQueueFrames(state: ClusterState): Promise<number[]> {
  const b = boardSimOf(state.plan);
  const primary = state.processes.find((p) => p.role === 'primary');
  if (primary) await stopProcess(primary.pid);
  if (!state.pty) throw new ClusterError('ESTEP', 'the board simulator has no PTY recorded');
  const bus = await SerialBus.open(state.pty, { baud: b.baud });
  try {
    const c = await (await Adapter.open(bus)).counters();
    return c.queues.map((q) => Number(q.frames));
  } finally {
    await bus.close();
  }
}
