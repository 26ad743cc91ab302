// sipnic cluster up|down|status|demo (and the internal `cluster adapter`): the one-machine
// cluster of docs/cluster.md — namespaces, TAPs, the simulated adapter between them, the
// primary and one monitor per processor.
import { Command, InvalidArgumentError, Option } from 'commander';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { ClusterAdapter, type AdapterStats } from '../cluster/adapter.js';
import { FramePortClient } from '../cluster/frame-port-socket.js';
import {
  clusterDown,
  clusterUp,
  defaultStateDir,
  isAlive,
  listNamespaces,
  loadState,
  makePlan,
  restartRole,
  startBackground,
  waitFor,
  CLUSTER_DEFAULTS,
  ClusterError,
  type ClusterState,
} from '../cluster/netns.js';
import { driveClient, formatDemo, runDemo, serveDemo } from '../cluster/demo.js';
import { Adapter } from '../driver/adapter.js';
import { traceAs } from '../cluster/trace.js';
import { SocketBus } from '../bus/socket-bus.js';
import { table, type Cli } from './context.js';

const intArg = (name: string, min: number, max: number) => (v: string) => {
  const n = Number(v);
  if (!/^\d+$/.test(v) || n < min || n > max) throw new InvalidArgumentError(`${name} must be an integer ${min}..${max}`);
  return n;
};

const nameOption = () => new Option('--name <name>', 'cluster name: prefix of its namespaces (sipnic-client, sipnic-p1…)').default(CLUSTER_DEFAULTS.name);
const stateDirOption = () => new Option('--state-dir <dir>', 'folder for sockets, logs and state (default $XDG_RUNTIME_DIR or /tmp, /<name>-cluster)');

/** The roles the program offers: `sipnic primary` and `sipnic monitor` when they exist. */
function rolesAvailable(cmd: Command): boolean {
  let root = cmd;
  while (root.parent) root = root.parent;
  const names = root.commands.map((c) => c.name());
  return names.includes('primary') && names.includes('monitor');
}

/**
 * Starts the primary (root namespace) and one monitor per processor (inside its namespace),
 * then waits until the primary reports every processor connected.
 *
 *   sipnic --socket BUS primary --frames FRAMES --ip IP --mac MAC --processors N
 *          --secrets SECRETS --control unix:CONTROL
 *   ip netns exec NS sipnic monitor --primary unix:CONTROL --processor P --secret-file SECRETS
 *          --frames FRAMES --port-range LOW-HIGH [--share all|PORTS]
 */
export async function startRoles(state: ClusterState, progress: (line: string) => void, signal?: AbortSignal, share = 'all'): Promise<void> {
  const { plan } = state;
  const secrets = plan.namespaces.processors.map((_, i) => `${i + 1} ${randomBytes(16).toString('hex')}`);
  writeFileSync(plan.paths.secrets, `# processor secret (sipnic cluster up)\n${secrets.join('\n')}\n`, { mode: 0o600 });
  const control = `unix:${plan.paths.control}`;
  progress(`primary: control ${control}, claims queue 0`);
  const primary = startBackground(state, 'primary', [
    '--socket', plan.paths.bus,
    'primary',
    '--frames', plan.paths.framePort,
    '--ip', plan.clusterIp,
    '--mac', plan.clusterMac,
    '--processors', String(plan.processors),
    '--secrets', plan.paths.secrets,
    '--control', control,
  ]);
  await waitFor('the primary', () => /sipnic primary: serving/.test(safeRead(primary.log)), { timeoutMs: 60_000, processes: [primary], signal });
  const monitors = plan.namespaces.processors.map((ns, i) => {
    const p = i + 1;
    const r = plan.portRanges[i];
    progress(`monitor ${p} in ${ns} (ports ${r.low}-${r.high}${share === 'none' ? '' : `, shares ${share}`})`);
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

/** The primary's `stats` answer (control protocol), or undefined when it does not answer. */
export async function primaryStats(control: string): Promise<Record<string, unknown> | undefined> {
  try {
    const { queryPrimary } = await import('../cluster/control-protocol.js');
    return await queryPrimary(control, { op: 'stats' }, 2000);
  } catch {
    return undefined;
  }
}

async function allConnected(control: string, processors: number): Promise<boolean> {
  const s = await primaryStats(control);
  const list = (s?.processors ?? []) as { processor: number; connected?: boolean; alive?: boolean }[];
  return Array.from({ length: processors }, (_, i) => i + 1).every((p) => list.some((x) => x.processor === p && x.connected && x.alive !== false));
}

const safeRead = (path: string): string => {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
};

/** Reads the adapter's counters over its frame port (undefined when it does not answer). */
export async function adapterStats(framePort: string, timeoutMs = 2000): Promise<AdapterStats | undefined> {
  let client: FramePortClient | undefined;
  const timer = new Promise<undefined>((r) => setTimeout(() => r(undefined), timeoutMs).unref());
  try {
    const get = (async () => {
      client = await FramePortClient.connect(framePort, 'status');
      return client.stats<AdapterStats>();
    })();
    return await Promise.race([get, timer]);
  } catch {
    return undefined;
  } finally {
    await client?.close();
  }
}

/** Flow and listen entries in use, read over the bus (undefined when it does not answer in time). */
async function tableOccupancy(busPath: string, timeoutMs = 3000): Promise<{ flows: number; flowCapacity: number; listens: number; listenCapacity: number } | undefined> {
  let bus: SocketBus | undefined;
  const timer = new Promise<undefined>((r) => setTimeout(() => r(undefined), timeoutMs).unref());
  try {
    const read = (async () => {
      bus = await SocketBus.connect(busPath);
      const a = await Adapter.open(bus);
      const flows = await a.flows.count();
      const listens = (await a.listens.list()).length;
      return { flows, flowCapacity: a.info.flowEntries + a.info.flowStash, listens, listenCapacity: a.listens.capacity };
    })();
    return await Promise.race([read, timer]);
  } catch {
    return undefined;
  } finally {
    await bus?.close();
  }
}

/** Ctrl-C during a long step: an AbortSignal instead of an exit, so cleanup runs. */
function interruptSignal(cli: Cli): { signal: AbortSignal; done(): void } {
  const ac = new AbortController();
  const stop = () => ac.abort();
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  cli.io.signal?.addEventListener('abort', stop);
  return {
    signal: ac.signal,
    done() {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      cli.io.signal?.removeEventListener('abort', stop);
    },
  };
}

export function clusterCommand(cli: Cli): Command {
  const cluster = new Command('cluster').description('a cluster on this machine: processors in network namespaces behind the simulated adapter (root)');
  const progress = (line: string) => cli.io.stderr(`sipnic cluster: ${line}\n`);

  cluster
    .command('up')
    .description('create the namespaces and TAPs, start the adapter, the primary and a monitor per processor')
    .requiredOption('--processors <n>', 'processors (namespaces sipnic-p1..pN, queues 1..N)', intArg('--processors', 1, 15))
    .addOption(nameOption())
    .addOption(stateDirOption())
    .option('--no-roles', 'start no primary and no monitors (rules by hand: `sipnic --socket <dir>/bus.sock listen add …`; the client gets a static ARP entry)')
    .option('--share <ports>', 'listen ports the processors share (`sipnic monitor --share`): all, none, or PORT,PORT…', 'all')
    .addHelpText('after', '\nExample:\n  sipnic cluster up --processors 3\n  sipnic cluster status\n  sipnic cluster down')
    .action(async (opts: { processors: number; name: string; stateDir?: string; roles: boolean; share: string }, cmd: Command) => {
      const withRoles = opts.roles && rolesAvailable(cmd);
      if (opts.roles && !withRoles) progress('`sipnic primary`/`sipnic monitor` are not in this build: starting the data plane only (as --no-roles)');
      const plan = makePlan({ processors: opts.processors, name: opts.name, stateDir: opts.stateDir, staticArp: !withRoles, env: cli.io.env });
      const intr = interruptSignal(cli);
      try {
        const state = await clusterUp(plan, {
          progress,
          signal: intr.signal,
          startRoles: withRoles ? (s) => startRoles(s, progress, intr.signal, opts.share) : undefined,
          failAt: cli.io.env.SIPNIC_CLUSTER_FAIL_AT,
        });
        cli.out(cmd, () => `cluster "${plan.name}" is up: ${plan.processors} processors at ${plan.clusterIp}, client ${plan.clientIp} in ${plan.namespaces.client}\n  bus: ${plan.paths.bus}\n  state: ${plan.stateDir}`, upJson(state));
      } finally {
        intr.done();
      }
    });

  cluster
    .command('down')
    .description('stop every process of the cluster and remove its namespaces, TAPs and state')
    .addOption(nameOption())
    .addOption(stateDirOption())
    .option('--keep-logs', 'keep the log files in the state folder')
    .addHelpText('after', '\nExample:\n  sipnic cluster down --json')
    .action(async (opts: { name: string; stateDir?: string; keepLogs?: boolean }, cmd: Command) => {
      if (process.getuid?.() !== 0) throw new ClusterError('ENOTROOT', 'removing namespaces needs root');
      const dir = opts.stateDir ?? defaultStateDir(opts.name, cli.io.env);
      const r = await clusterDown(dir, { name: opts.name, progress, keepLogs: opts.keepLogs });
      cli.out(cmd, `cluster "${opts.name}" is down: stopped ${r.stopped.length} processes, removed ${r.namespacesRemoved.length} namespaces; left over: ${r.leftover.namespaces.length} namespaces, ${r.leftover.links.length} links`, r);
    });

  cluster
    .command('status')
    .description('namespaces, processes, adapter counters and table occupancy of a running cluster')
    .addOption(nameOption())
    .addOption(stateDirOption())
    .addHelpText('after', '\nExample:\n  sipnic cluster status --json')
    .action(async (opts: { name: string; stateDir?: string }, cmd: Command) => {
      const dir = opts.stateDir ?? defaultStateDir(opts.name, cli.io.env);
      const state = loadState(dir);
      if (!state) throw new ClusterError('ENOTUP', `no cluster "${opts.name}" (no state in ${dir}); start one with \`sipnic cluster up --processors N\``);
      const present = await listNamespaces();
      const stats = await adapterStats(state.plan.paths.framePort);
      const primary = existsSync(state.plan.paths.control) ? await primaryStats(`unix:${state.plan.paths.control}`) : undefined;
      const tables = await tableOccupancy(state.plan.paths.bus);
      const obj = {
        name: state.plan.name,
        up: state.up,
        startedAt: state.startedAt,
        stateDir: dir,
        clusterIp: state.plan.clusterIp,
        clusterMac: state.plan.clusterMac,
        clientIp: state.plan.clientIp,
        namespaces: state.namespaces.map((n) => ({ name: n, present: present.includes(n) })),
        processes: state.processes.map((p) => ({ role: p.role, pid: p.pid, namespace: p.namespace ?? null, alive: isAlive(p.pid), log: p.log })),
        portRanges: state.plan.portRanges,
        tables: tables ?? null,
        adapter: stats ?? null,
        primary: primary ?? null,
      };
      cli.out(cmd, () => formatStatus(obj, stats, tables, primary), obj);
    });

  cluster
    .command('restart')
    .description('stop (if alive) and start again one process of the cluster, with the command it was started with')
    .argument('<role>', 'primary, monitor-<p> (or adapter: its TAPs go with it, so the cluster needs down/up)')
    .addOption(nameOption())
    .addOption(stateDirOption())
    .addHelpText('after', '\nExample:\n  sipnic cluster restart primary')
    .action(async (role: string, opts: { name: string; stateDir?: string }, cmd: Command) => {
      const dir = opts.stateDir ?? defaultStateDir(opts.name, cli.io.env);
      const { record, logOffset } = await restartRole(dir, role);
      const ready = role === 'primary' ? /sipnic primary: serving/ : role.startsWith('monitor') ? /sipnic monitor: processor \d+ connected/ : null;
      if (ready) {
        await waitFor(`${role} to be ready`, () => ready.test(readFileSync(record.log, 'utf8').slice(logOffset)), { timeoutMs: 60_000, processes: [record] });
      }
      cli.out(cmd, `${role} restarted (pid ${record.pid})`, { role, pid: record.pid, log: record.log });
    });

  cluster
    .command('adapter', { hidden: true })
    .description('(internal, started by `cluster up`) the simulated adapter between the TAPs')
    .requiredOption('--processors <n>', 'processors', intArg('--processors', 1, 15))
    .requiredOption('--bus <path>', 'register bus socket')
    .requiredOption('--frame-port <path>', 'frame port socket')
    .option('--ready-file <path>', 'written once the adapter is ready')
    .option('--tap-name <name>', 'TAP name template', 'sn%d')
    .addOption(new Option('--width <bits>', 'data path width').choices(['8', '64']).default('64'))
    .action(async (opts: { processors: number; bus: string; framePort: string; readyFile?: string; tapName: string; width: string }, cmd: Command) => {
      traceAs('adapter');
      const createSim = await cli.simFactory();
      const tap = await import('../../native/tap.js');
      const log = (line: string) => cli.io.stderr(`${new Date().toISOString()} adapter: ${line}\n`);
      const adapter = await ClusterAdapter.start({
        processors: opts.processors,
        busPath: opts.bus,
        framePortPath: opts.framePort,
        readyFile: opts.readyFile,
        tapName: opts.tapName,
        width: Number(opts.width) as 8 | 64,
        createSim,
        openTap: tap.openTap,
        pollTaps: tap.pollTaps,
        log,
      });
      log(`ready: taps ${JSON.stringify(adapter.tapNames)}, bus ${opts.bus}, frame port ${opts.framePort}`);
      await new Promise<void>((resolve) => {
        const stop = () => {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          resolve();
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
        cli.io.signal?.addEventListener('abort', stop);
      });
      log(`stopping: ${JSON.stringify(adapter.stats())}`);
      await adapter.close();
      cli.out(cmd, 'adapter stopped', { stopped: true });
    });

  cluster
    .command('demo')
    .description('up, HTTP servers in every processor, real connections from the client namespace, counts, down')
    .requiredOption('--processors <n>', 'processors', intArg('--processors', 1, 15))
    .requiredOption('--connections <m>', 'connections to make', intArg('--connections', 1, 1_000_000))
    .option('--bytes <b>', 'response body size', intArg('--bytes', 0, 100_000_000), 1000)
    .option('--concurrency <c>', 'connections open at once', intArg('--concurrency', 1, 1000), 16)
    .addOption(nameOption())
    .addOption(stateDirOption())
    .option('--no-roles', 'no primary/monitors: the demo installs listen rules itself (one processor per port)')
    .option('--trace <dir>', "timestamps of every rule install from the cluster's processes into this folder (SIPNIC_TRACE_DIR); the result gets a stage breakdown (`timing`)")
    .addHelpText('after', '\nExample:\n  sipnic cluster demo --processors 3 --connections 300 --json')
    .action(async (opts: { processors: number; connections: number; bytes: number; concurrency: number; name: string; stateDir?: string; roles: boolean; trace?: string }, cmd: Command) => {
      const withRoles = opts.roles && rolesAvailable(cmd);
      const intr = interruptSignal(cli);
      const say = cli.json(cmd) && !cli.io.env.SIPNIC_PROGRESS ? () => undefined : progress;
      try {
        const result = await runDemo({
          processors: opts.processors,
          connections: opts.connections,
          bytes: opts.bytes,
          concurrency: opts.concurrency,
          name: opts.name,
          stateDir: opts.stateDir,
          withRoles,
          env: cli.io.env,
          progress: say,
          signal: intr.signal,
          startRoles: (s) => startRoles(s, say, intr.signal),
          traceDir: opts.trace,
        });
        cli.out(cmd, () => formatDemo(result), result);
        if (result.connections.failed > 0 || result.leftover.namespaces + result.leftover.links > 0) process.exitCode = 1;
      } finally {
        intr.done();
      }
    });

  cluster
    .command('demo-server', { hidden: true })
    .description('(internal, run by the demo inside a processor namespace) HTTP servers for the demo')
    .requiredOption('--processor <p>', 'processor number', intArg('--processor', 1, 15))
    .requiredOption('--host <ip>', 'address to listen on')
    .requiredOption('--ports <list>', 'ports, comma separated')
    .action(async (opts: { processor: number; host: string; ports: string }) => {
      const ports = opts.ports.split(',').map(Number);
      const close = await serveDemo({ processor: opts.processor, host: opts.host, ports });
      cli.io.stderr(`demo server of processor ${opts.processor} listening on ${opts.host} ports ${ports.join(', ')}\n`);
      await new Promise<void>((resolve) => {
        process.once('SIGTERM', () => resolve());
        process.once('SIGINT', () => resolve());
        cli.io.signal?.addEventListener('abort', () => resolve());
      });
      await close();
    });

  cluster
    .command('demo-client', { hidden: true })
    .description('(internal, run by the demo inside the client namespace) connections to the demo servers; prints their results as JSON')
    .requiredOption('--host <ip>', 'server address')
    .requiredOption('--ports <list>', 'ports, comma separated: connection i goes to ports[i % n]')
    .requiredOption('--connections <m>', 'connections', intArg('--connections', 1, 1_000_000))
    .option('--bytes <b>', 'body size', intArg('--bytes', 0, 100_000_000), 1000)
    .option('--concurrency <c>', 'at once', intArg('--concurrency', 1, 1000), 16)
    .option('--spread <ms>', 'ask the server to spread each body over this long', intArg('--spread', 0, 600_000), 0)
    .option('--timeout <ms>', 'a connection silent this long fails', intArg('--timeout', 1, 600_000), 10_000)
    .action(async (opts: { host: string; ports: string; connections: number; bytes: number; concurrency: number; spread: number; timeout: number }) => {
      const step = Math.max(1, Math.floor(opts.connections / 10));
      const results = await driveClient({
        host: opts.host,
        ports: opts.ports.split(',').map(Number),
        connections: opts.connections,
        bytes: opts.bytes,
        concurrency: opts.concurrency,
        spreadMs: opts.spread,
        timeoutMs: opts.timeout,
        onDone: (n) => {
          if (n % step === 0 || n === opts.connections) cli.io.stderr(`client: ${n}/${opts.connections} connections done\n`);
        },
      });
      cli.io.stdout(JSON.stringify(results) + '\n');
    });

  return cluster;
}

function upJson(state: ClusterState) {
  const { plan } = state;
  return {
    name: plan.name,
    processors: plan.processors,
    stateDir: plan.stateDir,
    clusterIp: plan.clusterIp,
    clusterMac: plan.clusterMac,
    clientIp: plan.clientIp,
    namespaces: plan.namespaces,
    links: plan.links,
    portRanges: plan.portRanges,
    bus: plan.paths.bus,
    framePort: plan.paths.framePort,
    control: plan.paths.control,
    processes: state.processes.map((p) => ({ role: p.role, pid: p.pid, namespace: p.namespace ?? null, log: p.log })),
  };
}

function formatStatus(
  o: { name: string; up: boolean; stateDir: string; clusterIp: string; namespaces: { name: string; present: boolean }[]; processes: { role: string; pid: number; alive: boolean; namespace: string | null }[] },
  s: AdapterStats | undefined,
  tables?: { flows: number; flowCapacity: number; listens: number; listenCapacity: number },
  primary?: Record<string, unknown>,
): string {
  const lines = [
    `cluster "${o.name}" ${o.up ? 'up' : 'not (fully) up'} at ${o.clusterIp}, state ${o.stateDir}`,
    `namespaces: ${o.namespaces.map((n) => `${n.name}${n.present ? '' : ' (missing)'}`).join(', ')}`,
    '',
    table(['process', 'pid', 'namespace', 'alive'], o.processes.map((p) => [p.role, p.pid, p.namespace ?? '(root)', p.alive ? 'yes' : 'NO'])),
    '',
  ];
  lines.push(tables ? `tables: ${tables.flows} of ${tables.flowCapacity} flow entries, ${tables.listens} of ${tables.listenCapacity} listen entries` : 'tables: the register bus did not answer');
  if (primary) {
    const procs = (primary.processors ?? []) as { processor: number; alive?: boolean; connected?: boolean; flows?: number; listens?: string[] }[];
    lines.push(`primary: ${procs.map((p) => `p${p.processor} ${p.connected ? 'connected' : p.alive === false ? 'lost' : 'not connected'} (${p.flows ?? 0} flows, listens ${(p.listens ?? []).join(' ') || '-'})`).join('; ')}`);
  }
  if (!s) lines.push('adapter: not answering on its frame port');
  else {
    lines.push(`adapter: up ${(s.uptimeMs / 1000).toFixed(0)} s; flow table ${s.table.flows}/${s.table.flowCapacity}; wire in ${s.wire.received}, out ${s.wire.transmitted}; queue 0 → primary ${s.toClaimants}, unclaimed ${s.unclaimedDrops}`);
    lines.push(table(['processor', 'fast path', 'via primary', 'transmitted', 'write errors'], s.processors.map((p) => [p.processor, p.fastPath, p.viaPrimary, p.transmitted, p.writeErrors])));
  }
  return lines.join('\n');
}
