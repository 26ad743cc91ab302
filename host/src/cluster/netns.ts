// The one-machine cluster's plumbing: network namespaces, TAP devices moved into them,
// addresses, per-processor port ranges, and the background processes (adapter, primary,
// monitors) — brought up step by step with every step recorded in the state folder, so
// `down` (or a failure, or Ctrl-C, half-way up) removes exactly what was made.
//
//   sipnic-client ns: sn-wire 10.77.0.100/24 (02:53:4e:00:00:fe)
//        │ TAP fd
//   adapter process (root ns): Verilated model · bus.sock · frames.sock
//        │ TAP fd per processor
//   sipnic-p<i> ns: sn-p<i> 10.77.0.1/24 (02:53:4e:00:00:01), ip_local_port_range of its own
import { execFile, spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { AdapterReady } from './adapter.js';
import { CodedError } from '../util/errors.js';

const execFileP = promisify(execFile);

export const SIPNIC_BIN = fileURLToPath(new URL('../../../bin/sipnic.mjs', import.meta.url));

export type ClusterErrorCode = 'ENOTROOT' | 'EEXIST' | 'ESTEP' | 'ENOTUP' | 'ETIMEDOUT' | 'EABORT' | 'EINVAL';

export class ClusterError extends CodedError<ClusterErrorCode> {
  override readonly name = 'ClusterError';
}

export interface PortRange {
  processor: number;
  low: number;
  high: number;
}

export interface ClusterPlan {
  name: string;
  processors: number;
  stateDir: string;
  clusterIp: string;
  prefixLength: number;
  clusterMac: string;
  clientIp: string;
  clientMac: string;
  /**
   * IPv6 beside IPv4 (`--family 6|both`): the cluster's and the client's IPv6 addresses and
   * their prefix, no duplicate address detection; absent: IPv6 off in every namespace.
   */
  ipv6?: { clusterIp: string; clientIp: string; prefixLength: number };
  namespaces: { client: string; processors: string[] };
  /** Interface names inside the namespaces. */
  links: { wire: string; processors: string[] };
  portRanges: PortRange[];
  paths: { bus: string; framePort: string; control: string; secrets: string; portRanges: string; adapterReady: string; state: string };
  /** Permanent neighbour entries instead of ARP (set when no primary answers ARP). */
  staticArp: boolean;
  /** The board simulator in front of namespaces as real hosts (board-lan.ts) instead of the adapter process. */
  boardSim?: BoardSimPlan;
  /** `--pinning`: who pins TCP connections (the primary's option; absent: its default, hardware). */
  pinning?: 'hardware' | 'host';
  /** `--learning`: the primary's learning words (absent: its default). */
  learning?: string;
}

/**
 * `--board-sim`: `sim serve --board` with port 0 on TAP taps[0] (into the client namespace) and
 * port 1 on taps[1] (into the LAN namespace's bridge); the primary's host and each processor's
 * host are namespaces with a veth on that bridge (docs/deploy.md, on one machine).
 */
export interface BoardSimPlan {
  baud: number;
  taps: [string, string];
  namespaces: { primary: string; lan: string };
  /** The bridge in the LAN namespace (the switch of LAN B). */
  bridge: string;
  /** Each host's LAN interface, inside its namespace. */
  lanLink: string;
  /** The bridge side of each host's veth, in the LAN namespace. */
  lanPorts: { primary: string; processors: string[] };
  /** The control network (LAN B): the primary's address, each processor's. */
  lanPrefixLength: number;
  lanIps: { primary: string; processors: string[] };
  macs: { primary: string; processors: string[] };
  /** The primary's TCP control port on its LAN address. */
  controlPort: number;
}

export interface ProcessRecord {
  role: string;
  pid: number;
  namespace?: string;
  log: string;
  command: string[];
}

export interface ClusterState {
  plan: ClusterPlan;
  startedAt: string;
  namespaces: string[];
  /** TAP names in the root namespace as the kernel gave them (before the move). */
  taps: string[];
  /** With boardSim: the board simulator's serial device (its PTY). */
  pty?: string;
  processes: ProcessRecord[];
  up: boolean;
}

export const CLUSTER_DEFAULTS = {
  name: 'sipnic',
  clusterIp: '10.77.0.1',
  prefixLength: 24,
  clusterMac: '02:53:4e:00:00:01',
  clientIp: '10.77.0.100',
  clientMac: '02:53:4e:00:00:fe',
  clusterIp6: 'fd53:4e::1',
  clientIp6: 'fd53:4e::100',
  prefixLength6: 64,
  portLow: 32768,
  portHigh: 60999,
} as const;

export function defaultStateDir(name: string, env: NodeJS.ProcessEnv = process.env): string {
  return join(env.XDG_RUNTIME_DIR || '/tmp', `${name}-cluster`);
}

/** Disjoint ip_local_port_range per processor, splitting 32768..60999 (low even, high odd). */
export function portRanges(processors: number, low: number = CLUSTER_DEFAULTS.portLow, high: number = CLUSTER_DEFAULTS.portHigh): PortRange[] {
  const size = Math.floor((high - low + 1) / processors) & ~1;
  return Array.from({ length: processors }, (_, i) => ({ processor: i + 1, low: low + i * size, high: low + (i + 1) * size - 1 }));
}

/** `--family`: the address families the demo's connections use; 6 and both bring IPv6 up beside IPv4. */
export type ClusterFamily = '4' | '6' | 'both';
export const CLUSTER_FAMILIES: readonly ClusterFamily[] = ['4', '6', 'both'];

export function makePlan(o: { processors: number; name?: string; stateDir?: string; staticArp?: boolean; env?: NodeJS.ProcessEnv; boardSim?: { baud: number }; family?: ClusterFamily; pinning?: 'hardware' | 'host'; learning?: string }): ClusterPlan {
  const name = o.name ?? CLUSTER_DEFAULTS.name;
  if (!/^[a-z][a-z0-9-]{0,15}$/.test(name) || !name.startsWith('sipnic')) throw new ClusterError('EINVAL', `cluster name "${name}" must start with "sipnic" (lower case, digits, '-', at most 16 characters)`);
  if (!Number.isInteger(o.processors) || o.processors < 1 || o.processors > 15) throw new ClusterError('EINVAL', `--processors must be 1..15, got ${o.processors}`);
  if (o.boardSim && name.length > 12) throw new ClusterError('EINVAL', `cluster name "${name}" is too long for --board-sim: its TAPs are <name>-b0 and <name>-b1 (at most 15 characters), so at most 12 characters`);
  if (o.boardSim && !(Number.isSafeInteger(o.boardSim.baud) && o.boardSim.baud >= 50 && o.boardSim.baud <= 20_000_000)) throw new ClusterError('EINVAL', `--baud ${o.boardSim.baud} is not a whole number of bits per second in 50..20000000`);
  const family = o.family ?? '4';
  if (!CLUSTER_FAMILIES.includes(family)) throw new ClusterError('EINVAL', `--family must be one of ${CLUSTER_FAMILIES.join(', ')}, got ${family}`);
  // in front of the board the processors would answer neighbour solicitations for the cluster address (no arp_ignore for IPv6), and the board rewrites ARP only
  if (o.boardSim && family !== '4') throw new ClusterError('EINVAL', `--family ${family} is for the one-machine cluster; --board-sim is IPv4 only for now`);
  const stateDir = o.stateDir ?? defaultStateDir(name, o.env);
  const p = Array.from({ length: o.processors }, (_, i) => i + 1);
  return {
    name,
    processors: o.processors,
    stateDir,
    clusterIp: CLUSTER_DEFAULTS.clusterIp,
    prefixLength: CLUSTER_DEFAULTS.prefixLength,
    clusterMac: CLUSTER_DEFAULTS.clusterMac,
    clientIp: CLUSTER_DEFAULTS.clientIp,
    clientMac: CLUSTER_DEFAULTS.clientMac,
    ...(o.pinning ? { pinning: o.pinning } : {}),
    ...(o.learning ? { learning: o.learning } : {}),
    ...(family !== '4' ? { ipv6: { clusterIp: CLUSTER_DEFAULTS.clusterIp6, clientIp: CLUSTER_DEFAULTS.clientIp6, prefixLength: CLUSTER_DEFAULTS.prefixLength6 } } : {}),
    namespaces: { client: `${name}-client`, processors: p.map((i) => `${name}-p${i}`) },
    links: { wire: 'sn-wire', processors: p.map((i) => `sn-p${i}`) },
    portRanges: portRanges(o.processors),
    paths: {
      bus: join(stateDir, 'bus.sock'),
      framePort: join(stateDir, 'frames.sock'),
      control: join(stateDir, 'control.sock'),
      secrets: join(stateDir, 'secrets'),
      portRanges: join(stateDir, 'port-ranges.json'),
      adapterReady: join(stateDir, 'adapter.json'),
      state: join(stateDir, 'state.json'),
    },
    staticArp: o.staticArp ?? false,
    ...(o.boardSim ? { boardSim: boardSimPlan(name, o.processors, o.boardSim.baud) } : {}),
  };
}

function boardSimPlan(name: string, processors: number, baud: number): BoardSimPlan {
  const p = Array.from({ length: processors }, (_, i) => i + 1);
  const lan = BOARD_SIM_DEFAULTS.lanNet;
  return {
    baud,
    taps: [`${name}-b0`, `${name}-b1`],
    namespaces: { primary: `${name}-primary`, lan: `${name}-lan` },
    bridge: 'sn-switch',
    lanLink: 'sn-lan',
    lanPorts: { primary: 'sn-primary', processors: p.map((i) => `sn-p${i}`) },
    lanPrefixLength: 24,
    lanIps: { primary: `${lan}.1`, processors: p.map((i) => `${lan}.${1 + i}`) },
    macs: { primary: '02:53:4e:00:01:00', processors: p.map((i) => `02:53:4e:00:01:${i.toString(16).padStart(2, '0')}`) },
    controlPort: BOARD_SIM_DEFAULTS.controlPort,
  };
}

export const BOARD_SIM_DEFAULTS = { baud: 115200, lanNet: '192.168.77', controlPort: 7000 } as const;

/** Every namespace of the plan: the client, the processors and, with boardSim, the primary's host and the LAN. */
export function planNamespaces(plan: ClusterPlan): string[] {
  return [plan.namespaces.client, ...plan.namespaces.processors, ...(plan.boardSim ? [plan.boardSim.namespaces.primary, plan.boardSim.namespaces.lan] : [])];
}

/** The processes that hold the data plane (its TAPs): stopped after the roles. */
export const isDataPlane = (role: string): boolean => role === 'adapter' || role === 'board-sim';

// ───────────────────────────── commands ─────────────────────────────

/** Runs a command; a failure is a ClusterError naming the command and its stderr. */
export async function sh(cmd: string, args: string[], what?: string): Promise<string> {
  try {
    const r = await execFileP(cmd, args, { encoding: 'utf8', timeout: 20_000 });
    return r.stdout;
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new ClusterError('ESTEP', `${what ?? 'step'} failed: ${cmd} ${args.join(' ')}: ${(e.stderr || e.message).trim()}`, { cause: err });
  }
}

export const ip = (...args: string[]) => sh('ip', args, 'ip');

/** Network namespaces by name (`ip netns list`). */
export async function listNamespaces(): Promise<string[]> {
  const out = await sh('ip', ['netns', 'list']);
  return out
    .split('\n')
    .map((l) => l.trim().split(/\s+/)[0])
    .filter(Boolean);
}

/** Link names in the root namespace (`ip -o link`). */
export async function listRootLinks(): Promise<string[]> {
  const out = await sh('ip', ['-o', 'link', 'show']);
  return out
    .split('\n')
    .map((l) => /^\d+:\s+([^:@\s]+)/.exec(l)?.[1])
    .filter((x): x is string => Boolean(x));
}

/** Whether pid runs (a zombie waiting for its parent, here often an init that reaps slowly, does not). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** SIGTERM to the process group, SIGKILL after graceMs. Returns once it is gone. */
export async function stopProcess(pid: number, graceMs = 3000): Promise<void> {
  const signal = (sig: NodeJS.Signals) => {
    try {
      process.kill(-pid, sig); // each background process leads its own group (detached)
    } catch {
      try {
        process.kill(pid, sig);
      } catch {
        // gone
      }
    }
  };
  if (!isAlive(pid)) return;
  signal('SIGTERM');
  const until = Date.now() + graceMs;
  while (isAlive(pid) && Date.now() < until) await sleep(25);
  if (isAlive(pid)) {
    signal('SIGKILL');
    while (isAlive(pid)) await sleep(10);
  }
}

// ───────────────────────────── state ─────────────────────────────

export function saveState(state: ClusterState): void {
  const file = state.plan.paths.state;
  writeFileSync(file + '.tmp', JSON.stringify(state, null, 2) + '\n');
  renameSync(file + '.tmp', file);
}

export function loadState(stateDir: string): ClusterState | null {
  const file = join(stateDir, 'state.json');
  if (!existsSync(file)) return null;
  return JSON.parse(readFileSync(file, 'utf8')) as ClusterState;
}

// ───────────────────────────── processes ─────────────────────────────

/** Starts `sipnic ARGS` in the background (own process group, log file), optionally in a namespace. */
export function startBackground(state: ClusterState, role: string, args: string[], namespace?: string, command?: string[]): ProcessRecord {
  const log = join(state.plan.stateDir, `${role}.log`);
  const fd = openSync(log, 'a');
  const argv = command ?? [process.execPath, SIPNIC_BIN, ...args];
  const [cmd, ...rest] = namespace ? ['ip', 'netns', 'exec', namespace, ...argv] : argv;
  // the roles reach the adapter by the paths on their command lines, never by a device or socket from the environment
  const { SIPNIC_DEVICE: _device, SIPNIC_SOCKET: _socket, ...env } = process.env;
  const child = spawn(cmd, rest, { detached: true, stdio: ['ignore', fd, fd], env: { ...env, SIPNIC_CLUSTER: state.plan.name } });
  closeSync(fd);
  child.unref();
  if (child.pid === undefined) throw new ClusterError('ESTEP', `could not start ${role}: ${cmd}`);
  const rec: ProcessRecord = { role, pid: child.pid, namespace, log, command: [cmd, ...rest] };
  state.processes.push(rec);
  saveState(state);
  return rec;
}

/** A file's text ('' when it cannot be read: a log not written yet). */
export function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

export function logTail(path: string, lines = 15): string {
  try {
    return readFileSync(path, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/** Waits until check() is true; fails early when one of the watched processes dies. */
export async function waitFor(what: string, check: () => boolean | Promise<boolean>, o: { timeoutMs: number; processes?: ProcessRecord[]; signal?: AbortSignal }): Promise<void> {
  const until = Date.now() + o.timeoutMs;
  for (;;) {
    if (o.signal?.aborted) throw new ClusterError('EABORT', `interrupted while waiting for ${what}`);
    if (await check()) return;
    for (const p of o.processes ?? []) {
      if (!isAlive(p.pid)) throw new ClusterError('ESTEP', `${p.role} (pid ${p.pid}) exited while waiting for ${what}; its log ${p.log} ends:\n${logTail(p.log)}`);
    }
    if (Date.now() > until) throw new ClusterError('ETIMEDOUT', `timed out after ${o.timeoutMs} ms waiting for ${what}`);
    await sleep(50);
  }
}

// ───────────────────────────── up / down ─────────────────────────────

export interface UpHooks {
  progress(line: string): void;
  signal?: AbortSignal;
  /** Starts the primary and the monitors once the data plane is up (roles.ts; none: rules by hand). */
  startRoles?(state: ClusterState): Promise<void>;
  /** Test hook: throw at this step to check that a failure removes everything. */
  failAt?: string;
  /** Makes the data plane instead of the adapter and its TAPs (board-lan.ts for --board-sim); `step` checks for abort and the test hook. */
  dataPlane?(state: ClusterState, step: (name: string) => void): Promise<void>;
}

/** Everything `down` must remove that is ours even without a state file. */
export async function clusterNamespaces(name: string): Promise<string[]> {
  const re = new RegExp(`^${name}-(client|p\\d+|primary|lan)$`);
  return (await listNamespaces()).filter((n) => re.test(n));
}

/** Brings the cluster up; on any failure (or abort) everything made so far is removed and the error rethrown. */
export async function clusterUp(plan: ClusterPlan, hooks: UpHooks): Promise<ClusterState> {
  if (process.getuid?.() !== 0) throw new ClusterError('ENOTROOT', 'the one-machine cluster needs root (network namespaces, /dev/net/tun)');
  const old = loadState(plan.stateDir);
  if (old) {
    const alive = old.processes.filter((p) => isAlive(p.pid));
    if (alive.length || (await clusterNamespaces(plan.name)).length) throw new ClusterError('EEXIST', `cluster "${plan.name}" is already up (state in ${plan.stateDir}); run \`sipnic cluster down\` first`);
  }
  const leftovers = await clusterNamespaces(plan.name);
  if (leftovers.length) throw new ClusterError('EEXIST', `namespaces ${leftovers.join(', ')} exist already; run \`sipnic cluster down --name ${plan.name}\` first`);
  mkdirSync(plan.stateDir, { recursive: true, mode: 0o700 });
  const state: ClusterState = { plan, startedAt: new Date().toISOString(), namespaces: [], taps: [], processes: [], up: false };
  saveState(state);
  const step = (name: string) => {
    if (hooks.signal?.aborted) throw new ClusterError('EABORT', `interrupted before ${name}`);
    if (hooks.failAt === name) throw new ClusterError('ESTEP', `forced failure at ${name} (test)`);
  };
  try {
    // 1. namespaces
    hooks.progress(`namespaces: ${planNamespaces(plan).join(', ')}`);
    for (const ns of planNamespaces(plan)) {
      step('namespaces');
      await ip('netns', 'add', ns);
      state.namespaces.push(ns);
      saveState(state);
      await ip('-n', ns, 'link', 'set', 'lo', 'up');
      // IPv6 off, or on without duplicate address detection and router solicitations: the
      // processors share one MAC and address, and there is no router
      const v6 = plan.ipv6 ? ['accept_dad=0', 'dad_transmits=0', 'accept_ra=0', 'router_solicitations=0'] : ['disable_ipv6=1'];
      for (const k of ['all', 'default']) for (const setting of v6) await sh('ip', ['netns', 'exec', ns, 'sysctl', '-qw', `net.ipv6.conf.${k}.${setting}`]);
    }
    for (const r of plan.portRanges) {
      await sh('ip', ['netns', 'exec', plan.namespaces.processors[r.processor - 1], 'sysctl', '-qw', `net.ipv4.ip_local_port_range=${r.low} ${r.high}`]);
    }
    writeFileSync(plan.paths.portRanges, JSON.stringify(plan.portRanges, null, 2) + '\n');

    // 2, 3. the data plane: the adapter and its TAPs, or the board simulator and its LAN
    if (hooks.dataPlane) await hooks.dataPlane(state, step);
    else await adapterDataPlane(state, hooks, step);

    // 4. primary and monitors
    step('roles');
    if (hooks.startRoles) await hooks.startRoles(state);
    step('ready');
    state.up = true;
    saveState(state);
    return state;
  } catch (err) {
    hooks.progress(`failed: ${(err as Error).message.split('\n')[0]} — removing what was made`);
    await clusterDown(plan.stateDir, { name: plan.name, progress: hooks.progress, keepLogs: false }).catch(() => undefined);
    throw err;
  }
}

/** The adapter process opens a TAP per processor and the wire's in the root namespace; they move into their namespaces. */
async function adapterDataPlane(state: ClusterState, hooks: UpHooks, step: (name: string) => void): Promise<void> {
  const { plan } = state;
  // 2. the adapter opens the TAPs in the root namespace
  step('adapter');
  hooks.progress(`adapter: Verilated model, ${plan.processors + 1} TAPs, bus ${plan.paths.bus}, frame port ${plan.paths.framePort}`);
  rmSync(plan.paths.adapterReady, { force: true });
  const adapter = startBackground(state, 'adapter', [
    'cluster', 'adapter',
    '--processors', String(plan.processors),
    '--bus', plan.paths.bus,
    '--frame-port', plan.paths.framePort,
    '--ready-file', plan.paths.adapterReady,
  ]);
  await waitFor('the adapter', () => existsSync(plan.paths.adapterReady), { timeoutMs: 60_000, processes: [adapter], signal: hooks.signal });
  const ready = JSON.parse(readFileSync(plan.paths.adapterReady, 'utf8')) as AdapterReady;
  state.taps = [ready.taps.wire, ...ready.taps.processors];
  saveState(state);

  // 3. TAPs into their namespaces, addresses
  step('links');
  hooks.progress(`links: ${plan.links.wire} ${plan.clientIp}/${plan.prefixLength} in ${plan.namespaces.client}; ${plan.links.processors[0]}… ${plan.clusterIp}/${plan.prefixLength} ${plan.clusterMac} in each processor`);
  await moveTap(ready.taps.wire, plan.namespaces.client, plan.links.wire, plan.clientMac, `${plan.clientIp}/${plan.prefixLength}`);
  const v6 = plan.ipv6;
  if (v6) await ip('-n', plan.namespaces.client, 'addr', 'add', `${v6.clientIp}/${v6.prefixLength}`, 'dev', plan.links.wire, 'nodad');
  if (plan.staticArp) {
    for (const addr of [plan.clusterIp, ...(v6 ? [v6.clusterIp] : [])]) await ip('-n', plan.namespaces.client, 'neigh', 'replace', addr, 'lladdr', plan.clusterMac, 'dev', plan.links.wire, 'nud', 'permanent');
  }
  for (let i = 0; i < plan.processors; i++) {
    const ns = plan.namespaces.processors[i];
    await moveTap(ready.taps.processors[i], ns, plan.links.processors[i], plan.clusterMac, `${plan.clusterIp}/${plan.prefixLength}`);
    if (v6) await ip('-n', ns, 'addr', 'add', `${v6.clusterIp}/${v6.prefixLength}`, 'dev', plan.links.processors[i], 'nodad');
    // processors know the client's MAC: their own ARP requests (neighbour solicitations) would
    // reach the client, but its replies (to the shared MAC) go to queue 0, and which processor
    // asked is not the primary's to guess
    for (const addr of [plan.clientIp, ...(v6 ? [v6.clientIp] : [])]) await ip('-n', ns, 'neigh', 'replace', addr, 'lladdr', plan.clientMac, 'dev', plan.links.processors[i], 'nud', 'permanent');
  }
}

const TAP_QUEUE_FRAMES = 2000;

/** Frames a link in ns dropped on transmit (for a TAP: its queue to the adapter was full), or null when it cannot be read. */
export async function linkTxDropped(ns: string, link: string): Promise<number | null> {
  try {
    const { stdout } = await execFileP('ip', ['-n', ns, '-s', '-j', 'link', 'show', 'dev', link]);
    const [info] = JSON.parse(stdout) as { stats64?: { tx?: { dropped?: number } } }[];
    return info?.stats64?.tx?.dropped ?? null;
  } catch {
    return null;
  }
}

/** Moves a TAP (or any link) from the root namespace into ns, renames it, sets its MAC and address, and sets it up. */
export async function moveTap(kernelName: string, ns: string, name: string, mac: string, cidr: string): Promise<void> {
  await ip('link', 'set', kernelName, 'netns', ns);
  await ip('-n', ns, 'link', 'set', kernelName, 'name', name);
  await ip('-n', ns, 'link', 'set', name, 'address', mac);
  // frames the namespace sends wait in the TAP's queue until the adapter reads them: room for a
  // burst while the model runs a batch (the kernel's 500 is a few of them), not so much that a
  // flood the adapter cannot keep up with queues seconds of frames ahead of everything else
  await ip('-n', ns, 'link', 'set', name, 'txqueuelen', String(TAP_QUEUE_FRAMES));
  await ip('-n', ns, 'addr', 'add', cidr, 'dev', name);
  await ip('-n', ns, 'link', 'set', name, 'up');
}

export interface DownReport {
  stopped: { role: string; pid: number }[];
  namespacesRemoved: string[];
  leftover: { namespaces: string[]; links: string[] };
}

/** Stops every process, removes namespaces, TAPs and the state folder. Safe to run twice. */
export async function clusterDown(stateDir: string, o: { name?: string; progress?: (line: string) => void; keepLogs?: boolean }): Promise<DownReport> {
  const state = loadState(stateDir);
  const name = state?.plan.name ?? o.name ?? CLUSTER_DEFAULTS.name;
  const progress = o.progress ?? (() => undefined);
  const report: DownReport = { stopped: [], namespacesRemoved: [], leftover: { namespaces: [], links: [] } };
  // roles first (monitors, primary), the adapter (or board simulator) last: it holds the TAPs
  const procs = [...(state?.processes ?? [])].reverse().sort((a, b) => Number(isDataPlane(a.role)) - Number(isDataPlane(b.role)));
  for (const p of procs) {
    if (!isAlive(p.pid)) continue;
    progress(`stopping ${p.role} (pid ${p.pid})`);
    await stopProcess(p.pid);
    report.stopped.push({ role: p.role, pid: p.pid });
  }
  const namespaces = new Set([...(state?.namespaces ?? []), ...(await clusterNamespaces(name))]);
  for (const ns of namespaces) {
    // anything still running inside (servers a demo or a user started there)
    const pids = (await sh('ip', ['netns', 'pids', ns]).catch(() => ''))
      .split(/\s+/)
      .filter(Boolean)
      .map(Number);
    for (const pid of pids) {
      progress(`stopping pid ${pid} in ${ns}`);
      await stopProcess(pid, 1000);
      report.stopped.push({ role: `in ${ns}`, pid });
    }
    const had = (await listNamespaces()).includes(ns);
    if (had) {
      await sh('ip', ['netns', 'del', ns]).catch(() => '');
      report.namespacesRemoved.push(ns);
    }
  }
  if (namespaces.size) progress(`removed namespaces ${[...namespaces].join(', ')}`);
  // TAPs left in the root namespace (the adapter died between opening and moving them)
  const links = await listRootLinks();
  for (const t of state?.taps ?? []) if (links.includes(t)) await ip('link', 'del', t).catch(() => '');
  // the kernel removes a namespace's devices asynchronously; give it a moment
  for (let i = 0; i < 40; i++) {
    report.leftover.namespaces = await clusterNamespaces(name);
    const root = await listRootLinks();
    report.leftover.links = (state?.taps ?? []).filter((t) => root.includes(t));
    if (!report.leftover.namespaces.length && !report.leftover.links.length) break;
    await sleep(50);
  }
  if (existsSync(stateDir) && existsSync(join(stateDir, 'state.json'))) {
    if (o.keepLogs) {
      for (const f of ['state.json', 'bus.sock', 'frames.sock', 'control.sock', 'adapter.json', 'secrets']) rmSync(join(stateDir, f), { force: true });
    } else rmSync(stateDir, { recursive: true, force: true });
  }
  return report;
}

/** Restarts a recorded background process (stopping it first when alive) with the same command; returns the new record and the log offset it starts at. */
export async function restartRole(stateDir: string, role: string): Promise<{ record: ProcessRecord; logOffset: number }> {
  const state = loadState(stateDir);
  if (!state) throw new ClusterError('ENOTUP', `no cluster state in ${stateDir}`);
  const i = state.processes.findIndex((p) => p.role === role);
  if (i < 0) throw new ClusterError('EINVAL', `no process "${role}" in this cluster (roles: ${state.processes.map((p) => p.role).join(', ')})`);
  const old = state.processes[i];
  await stopProcess(old.pid);
  state.processes.splice(i, 1);
  let logOffset = 0;
  try {
    logOffset = readFileSync(old.log).length;
  } catch {
    // no log yet
  }
  const rest = old.namespace ? old.command.slice(4) : old.command;
  const record = startBackground(state, role, [], old.namespace, rest);
  return { record, logOffset };
}
