// Bringing the one-machine cluster up with its roles: the data plane (netns.ts: namespaces,
// adapter, TAPs), then the primary in the root namespace and one monitor per processor inside
// its namespace, ready once the primary reports every processor connected. Also the restart of
// one recorded process, ready when its log says so.
//
//   sipnic --socket BUS primary --frames FRAMES --ip IP --mac MAC --processors N
//          --secrets SECRETS --control unix:CONTROL
//   ip netns exec NS sipnic monitor --primary unix:CONTROL --processor P --secret-file SECRETS
//          --frames FRAMES --port-range LOW-HIGH [--share all|PORTS]
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { clusterUp, loadState, readText, restartRole, startBackground, waitFor, type ClusterPlan, type ClusterState, type ProcessRecord } from './netns.js';
import { allConnected } from './status.js';
import { boardMonitorArgs, boardPrimaryArgs, boardSimDataPlane } from './board-lan.js';

/** What each role prints once it is ready (its first line on stdout, in its log). */
const READY: Record<string, RegExp> = {
  primary: /sipnic primary: serving/,
  monitor: /sipnic monitor: processor \d+ connected/,
};

export interface StartOptions {
  progress(line: string): void;
  /** Aborts the start-up; everything made so far is removed. */
  signal?: AbortSignal;
  /** Start the primary and the monitors (false: the data plane only, rules by hand). */
  roles: boolean;
  /** Listen ports the processors share (`sipnic monitor --share`): all, none, or PORT,PORT… (default all). */
  share?: string;
  /** Test hook: fail at this step of netns.ts clusterUp. */
  failAt?: string;
}

/** Brings the cluster of plan up (with its roles unless told not to); on failure or abort nothing is left. */
export function startCluster(plan: ClusterPlan, o: StartOptions): Promise<ClusterState> {
  return clusterUp(plan, {
    progress: o.progress,
    signal: o.signal,
    startRoles: o.roles ? (state) => startRoles(state, o.progress, o.signal, o.share) : undefined,
    failAt: o.failAt,
    dataPlane: plan.boardSim ? (state, step) => boardSimDataPlane(state, step, o.progress, o.signal) : undefined,
  });
}

/**
 * Starts the primary (root namespace) and one monitor per processor (inside its namespace),
 * then waits until the primary reports every processor connected.
 */
export async function startRoles(state: ClusterState, progress: (line: string) => void, signal?: AbortSignal, share = 'all'): Promise<void> {
  const { plan } = state;
  const secrets = plan.namespaces.processors.map((_, i) => `${i + 1} ${randomBytes(16).toString('hex')}`);
  writeFileSync(plan.paths.secrets, `# processor secret (sipnic cluster up)\n${secrets.join('\n')}\n`, { mode: 0o600 });
  const control = `unix:${plan.paths.control}`;
  const board = plan.boardSim;
  progress(board ? `primary in ${board.namespaces.primary}: ${state.pty} at ${board.baud} baud, queue 0 on ${board.lanLink}, control ${board.lanIps.primary}:${board.controlPort} and ${control}` : `primary: control ${control}, claims queue 0`);
  const primaryArgs = board
    ? boardPrimaryArgs(state)
    : ['--socket', plan.paths.bus, 'primary', '--frames', plan.paths.framePort, '--ip', plan.clusterIp, ...(plan.ipv6 ? ['--ip', plan.ipv6.clusterIp] : []), '--mac', plan.clusterMac, '--processors', String(plan.processors), '--secrets', plan.paths.secrets, '--control', control];
  if (plan.pinning) primaryArgs.push('--pinning', plan.pinning);
  if (plan.learning) primaryArgs.push('--learning', plan.learning);
  const primary = startBackground(state, 'primary', primaryArgs, board?.namespaces.primary);
  // on a serial line the primary reads the whole table back before it serves
  await waitFor('the primary', () => READY.primary.test(readText(primary.log)), { timeoutMs: board ? 180_000 : 60_000, processes: [primary], signal });
  const monitors = plan.namespaces.processors.map((ns, i) => {
    const p = i + 1;
    const r = plan.portRanges[i];
    progress(`monitor ${p} in ${ns} (ports ${r.low}-${r.high}${share === 'none' ? '' : `, shares ${share}`})`);
    if (board) return startBackground(state, `monitor-${p}`, boardMonitorArgs(plan, p, share), ns);
    return startBackground(
      state,
      `monitor-${p}`,
      [
        'monitor',
        '--primary', control,
        '--processor', String(p),
        '--secret-file', plan.paths.secrets,
        '--frames', plan.paths.framePort,
        '--port-range', `${r.low}-${r.high}`,
        ...(share === 'none' ? [] : ['--share', share]),
      ],
      ns,
    );
  });
  await waitFor('every monitor connected to the primary', () => allConnected(control, plan.processors), { timeoutMs: 60_000, processes: [primary, ...monitors], signal });
}

/** Stops (if alive) and starts again one recorded process with its command; waits until a primary or monitor is ready. */
export async function restartProcess(stateDir: string, role: string): Promise<ProcessRecord> {
  // on a serial line (--board-sim) the primary reads the whole table back before it serves, as at `up`
  const board = loadState(stateDir)?.plan.boardSim !== undefined;
  const { record, logOffset } = await restartRole(stateDir, role);
  const ready = role === 'primary' ? READY.primary : role.startsWith('monitor') ? READY.monitor : undefined;
  if (ready) {
    await waitFor(`${role} to be ready`, () => ready.test(readFileSync(record.log, 'utf8').slice(logOffset)), { timeoutMs: board && role === 'primary' ? 180_000 : 60_000, processes: [record] });
  }
  return record;
}
