// sipnic cluster up|down|status|demo (and the internal `cluster adapter`): the one-machine
// cluster of docs/cluster.md — namespaces, TAPs, the simulated adapter between them, the
// primary and one monitor per processor.
import { Command, Option } from 'commander';
import { ClusterAdapter } from '../cluster/adapter.js';
import { clusterDown, defaultStateDir, makePlan, BOARD_SIM_DEFAULTS, CLUSTER_DEFAULTS, CLUSTER_FAMILIES, ClusterError, type ClusterFamily, type ClusterState } from '../cluster/netns.js';
import { driveClient, formatDemo, runDemo, serveDemo } from '../cluster/demo.js';
import { restartProcess, startCluster } from '../cluster/roles.js';
import { clusterStatus, type ClusterStatus } from '../cluster/status.js';
import { traceAs } from '../cluster/trace.js';
import { FLOOD_SOURCES, sendSynFlood } from '../cluster/syn-flood.js';
import { interruptSignal, untilStopped } from '../util/signals.js';
import { logger, table, type Cli } from './context.js';
import { intOption, learningOption, pinningOption } from './options.js';

const nameOption = () => new Option('--name <name>', 'cluster name: prefix of its namespaces (sipnic-client, sipnic-p1…)').default(CLUSTER_DEFAULTS.name);
const boardSimOption = () =>
  new Option('--board-sim', "the board simulator (`sim serve --board`) in front of namespaces set up as the hosts of docs/deploy.md: the primary on its PTY (root --baud, default 115200) and its own LAN interface, each monitor on its own (docs/cluster.md)");

/** With --board-sim: the line rate, the root's --baud (it takes the option wherever it stands on the line). */
function boardSimFrom(cli: Cli, cmd: Command, on: boolean | undefined, withRoles: boolean): { baud: number } | undefined {
  if (!on) return undefined;
  if (!withRoles) throw new ClusterError('EINVAL', '--board-sim needs the primary and the monitors: without them nothing programs the board (no --no-roles)');
  return { baud: cli.options(cmd).baud ?? BOARD_SIM_DEFAULTS.baud };
}

const familyOption = (what: string) =>
  new Option('--family <family>', `${what}: 4, 6 (IPv6 ${CLUSTER_DEFAULTS.clusterIp6}/${CLUSTER_DEFAULTS.prefixLength6} beside IPv4), or both`).choices(CLUSTER_FAMILIES).default('4');

const stateDirOption = () => new Option('--state-dir <dir>', 'folder for sockets, logs and state (default $XDG_RUNTIME_DIR or /tmp, /<name>-cluster)');

/** The roles the program offers: `sipnic primary` and `sipnic monitor` when they exist. */
function rolesAvailable(cmd: Command): boolean {
  let root = cmd;
  while (root.parent) root = root.parent;
  const names = root.commands.map((c) => c.name());
  return names.includes('primary') && names.includes('monitor');
}

export function clusterCommand(cli: Cli): Command {
  const cluster = new Command('cluster').description('a cluster on this machine: processors in network namespaces behind the simulated adapter (root)');
  const progress = (line: string) => cli.io.stderr(`sipnic cluster: ${line}\n`);

  cluster
    .command('up')
    .description('create the namespaces and TAPs, start the adapter, the primary and a monitor per processor')
    .requiredOption('--processors <n>', 'processors (namespaces sipnic-p1..pN, queues 1..N)', intOption('--processors', 1, 15))
    .addOption(nameOption())
    .addOption(stateDirOption())
    .option('--no-roles', 'start no primary and no monitors (rules by hand: `sipnic --socket <dir>/bus.sock listen add …`; the client gets a static ARP entry)')
    .option('--share <ports>', 'listen ports the processors share (`sipnic monitor --share`): all, none, or PORT,PORT…', 'all')
    .addOption(familyOption('address families on the wire'))
    .addOption(pinningOption())
    .addOption(learningOption())
    .addOption(boardSimOption())
    .addHelpText('after', '\nExample:\n  sipnic cluster up --processors 3\n  sipnic cluster up --processors 3 --family both\n  sipnic --baud 115200 cluster up --board-sim --processors 2\n  sipnic cluster status\n  sipnic cluster down')
    .action(async (opts: { processors: number; name: string; stateDir?: string; roles: boolean; share: string; family: ClusterFamily; boardSim?: boolean; pinning: 'hardware' | 'host'; learning?: string }, cmd: Command) => {
      const withRoles = opts.roles && rolesAvailable(cmd);
      if (opts.roles && !withRoles) progress('`sipnic primary`/`sipnic monitor` are not in this build: starting the data plane only (as --no-roles)');
      const boardSim = boardSimFrom(cli, cmd, opts.boardSim, withRoles);
      const plan = makePlan({ processors: opts.processors, name: opts.name, stateDir: opts.stateDir, staticArp: !withRoles, env: cli.io.env, boardSim, family: opts.family, pinning: opts.pinning, learning: opts.learning });
      const intr = interruptSignal(cli.io.signal);
      try {
        const state = await startCluster(plan, { progress, signal: intr.signal, roles: withRoles, share: opts.share, failAt: cli.io.env.SIPNIC_CLUSTER_FAIL_AT });
        cli.out(cmd, () => `cluster "${plan.name}" is up: ${plan.processors} processors at ${plan.clusterIp}${plan.ipv6 ? ` and ${plan.ipv6.clusterIp}` : ''}, client ${plan.clientIp}${plan.ipv6 ? ` and ${plan.ipv6.clientIp}` : ''} in ${plan.namespaces.client}\n  bus: ${plan.paths.bus}\n  state: ${plan.stateDir}`, upJson(state));
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
      const status = await clusterStatus(opts.stateDir ?? defaultStateDir(opts.name, cli.io.env), opts.name);
      cli.out(cmd, () => formatStatus(status), status);
    });

  cluster
    .command('restart')
    .description('stop (if alive) and start again one process of the cluster, with the command it was started with')
    .argument('<role>', 'primary, monitor-<p> (or adapter: its TAPs go with it, so the cluster needs down/up)')
    .addOption(nameOption())
    .addOption(stateDirOption())
    .addHelpText('after', '\nExample:\n  sipnic cluster restart primary')
    .action(async (role: string, opts: { name: string; stateDir?: string }, cmd: Command) => {
      const record = await restartProcess(opts.stateDir ?? defaultStateDir(opts.name, cli.io.env), role);
      cli.out(cmd, `${role} restarted (pid ${record.pid})`, { role, pid: record.pid, log: record.log });
    });

  cluster
    .command('adapter', { hidden: true })
    .description('(internal, started by `cluster up`) the simulated adapter between the TAPs')
    .requiredOption('--processors <n>', 'processors', intOption('--processors', 1, 15))
    .requiredOption('--bus <path>', 'register bus socket')
    .requiredOption('--frame-port <path>', 'frame port socket')
    .option('--ready-file <path>', 'written once the adapter is ready')
    .option('--tap-name <name>', 'TAP name template', 'sn%d')
    .addOption(new Option('--width <bits>', 'data path width').choices(['8', '64']).default('64'))
    .action(async (opts: { processors: number; bus: string; framePort: string; readyFile?: string; tapName: string; width: string }, cmd: Command) => {
      traceAs('adapter');
      const createSim = await cli.simFactory();
      const tap = await import('../../native/tap.js');
      const log = logger(cli, 'adapter');
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
      await untilStopped({ signal: cli.io.signal });
      log(`stopping: ${JSON.stringify(adapter.stats())}`);
      await adapter.close();
      cli.out(cmd, 'adapter stopped', { stopped: true });
    });

  cluster
    .command('demo')
    .description('up, HTTP servers in every processor, real connections from the client namespace, counts, down')
    .requiredOption('--processors <n>', 'processors', intOption('--processors', 1, 15))
    .requiredOption('--connections <m>', 'connections to make', intOption('--connections', 1, 1_000_000))
    .option('--bytes <b>', 'response body size', intOption('--bytes', 0, 100_000_000), 1000)
    .option('--concurrency <c>', 'connections open at once', intOption('--concurrency', 1, 1000), 16)
    .addOption(nameOption())
    .addOption(stateDirOption())
    .option('--no-roles', 'no primary/monitors: the demo installs listen rules itself (one processor per port)')
    .option('--trace <dir>', "timestamps of every rule install from the cluster's processes into this folder (SIPNIC_TRACE_DIR); the result gets a stage breakdown (`timing`)")
    .addOption(familyOption("the connections' address families (both: alternately)"))
    .addOption(pinningOption())
    .addOption(learningOption())
    .addOption(boardSimOption())
    .option('--syn-flood <n>', `while the connections run, send n spoofed SYNs (sources in ${FLOOD_SOURCES}) to the shared port from the client's wire`, intOption('--syn-flood', 0, 1_000_000), 0)
    .option('--syn-flood-rate <per-second>', 'the flood\'s pace', intOption('--syn-flood-rate', 1, 1_000_000), 20_000)
    .addHelpText('after', '\nExample:\n  sipnic cluster demo --processors 3 --connections 300 --json\n  sipnic --baud 1000000 cluster demo --board-sim --processors 3 --connections 300 --json\n  sipnic cluster demo --processors 3 --connections 300 --syn-flood 100000 --json\n  sipnic cluster demo --processors 3 --connections 300 --family both --json')
    .action(async (opts: { processors: number; connections: number; bytes: number; concurrency: number; name: string; stateDir?: string; roles: boolean; trace?: string; boardSim?: boolean; family: ClusterFamily; synFlood: number; synFloodRate: number; pinning: 'hardware' | 'host'; learning?: string }, cmd: Command) => {
      const withRoles = opts.roles && rolesAvailable(cmd);
      const boardSim = boardSimFrom(cli, cmd, opts.boardSim, withRoles);
      const intr = interruptSignal(cli.io.signal);
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
          traceDir: opts.trace,
          boardSim,
          family: opts.family,
          pinning: opts.pinning,
          learning: opts.learning,
          synFlood: opts.synFlood > 0 ? { count: opts.synFlood, ratePerSecond: opts.synFloodRate } : undefined,
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
    .requiredOption('--processor <p>', 'processor number', intOption('--processor', 1, 15))
    .requiredOption('--host <ip>', 'addresses to listen on, comma separated')
    .requiredOption('--ports <list>', 'ports, comma separated')
    .action(async (opts: { processor: number; host: string; ports: string }) => {
      const ports = opts.ports.split(',').map(Number);
      const close = await serveDemo({ processor: opts.processor, hosts: opts.host.split(','), ports });
      cli.io.stderr(`demo server of processor ${opts.processor} listening on ${opts.host} ports ${ports.join(', ')}\n`);
      await untilStopped({ signal: cli.io.signal });
      await close();
    });

  cluster
    .command('demo-flood', { hidden: true })
    .description('(internal, run by the demo inside the client namespace) spoofed SYNs on an interface; prints what it sent as JSON')
    .requiredOption('--interface <if>', 'interface to send on')
    .requiredOption('--mac <mac>', 'destination MAC')
    .requiredOption('--host <ip>', 'destination address (IPv4)')
    .requiredOption('--port <port>', 'destination port', intOption('--port', 1, 65535))
    .requiredOption('--count <n>', 'SYNs to send', intOption('--count', 1, 1_000_000))
    .requiredOption('--rate <per-second>', 'pace', intOption('--rate', 1, 1_000_000))
    .requiredOption('--max-ms <ms>', 'stop after this long', intOption('--max-ms', 1, 3_600_000))
    .action(async (opts: { interface: string; mac: string; host: string; port: number; count: number; rate: number; maxMs: number }) => {
      const step = Math.max(1, Math.floor(opts.count / 4));
      let said = 0;
      const result = await sendSynFlood({
        interface: opts.interface,
        dstMac: opts.mac,
        dstIp: opts.host,
        dstPort: opts.port,
        count: opts.count,
        ratePerSecond: opts.rate,
        maxMs: opts.maxMs,
        signal: cli.io.signal,
        onProgress: (n) => {
          if (n - said < step && n !== opts.count) return;
          said = n;
          cli.io.stderr(`flood: ${n}/${opts.count} SYNs sent\n`);
        },
      });
      cli.io.stdout(JSON.stringify(result) + '\n');
    });

  cluster
    .command('demo-client', { hidden: true })
    .description('(internal, run by the demo inside the client namespace) connections to the demo servers; prints their results as JSON')
    .requiredOption('--host <ip>', 'server addresses, comma separated: connection i goes to host[floor(i / ports) % hosts]')
    .requiredOption('--ports <list>', 'ports, comma separated: connection i goes to ports[i % n]')
    .requiredOption('--connections <m>', 'connections', intOption('--connections', 1, 1_000_000))
    .option('--bytes <b>', 'body size', intOption('--bytes', 0, 100_000_000), 1000)
    .option('--concurrency <c>', 'at once', intOption('--concurrency', 1, 1000), 16)
    .option('--spread <ms>', 'ask the server to spread each body over this long', intOption('--spread', 0, 600_000), 0)
    .option('--timeout <ms>', 'a connection silent this long fails', intOption('--timeout', 1, 600_000), 10_000)
    .action(async (opts: { host: string; ports: string; connections: number; bytes: number; concurrency: number; spread: number; timeout: number }) => {
      const step = Math.max(1, Math.floor(opts.connections / 10));
      const results = await driveClient({
        hosts: opts.host.split(','),
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
    ...(plan.ipv6 ? { ipv6: plan.ipv6 } : {}),
    namespaces: plan.namespaces,
    links: plan.links,
    portRanges: plan.portRanges,
    bus: plan.paths.bus,
    framePort: plan.paths.framePort,
    control: plan.paths.control,
    processes: state.processes.map((p) => ({ role: p.role, pid: p.pid, namespace: p.namespace ?? null, log: p.log })),
  };
}

function formatStatus(o: ClusterStatus): string {
  const { adapter: s, tables, primary } = o;
  const lines = [
    `cluster "${o.name}" ${o.up ? 'up' : 'not (fully) up'} at ${o.clusterIp}, state ${o.stateDir}`,
    `namespaces: ${o.namespaces.map((n) => `${n.name}${n.present ? '' : ' (missing)'}`).join(', ')}`,
    '',
    table(['process', 'pid', 'namespace', 'alive'], o.processes.map((p) => [p.role, p.pid, p.namespace ?? '(root)', p.alive ? 'yes' : 'NO'])),
    '',
  ];
  if (o.boardSim) lines.push(`board simulator: ${o.boardSim.pty} at ${o.boardSim.baud} baud, TAPs ${o.boardSim.taps.join(' and ')} (the primary holds the serial line: its stats below say what it wrote)`);
  else lines.push(tables ? `tables: ${tables.flows} of ${tables.flowCapacity} flow entries, ${tables.listens} of ${tables.listenCapacity} listen entries` : 'tables: the register bus did not answer');
  if (primary) {
    const procs = (primary.processors ?? []) as { processor: number; alive?: boolean; connected?: boolean; flows?: number; learned?: number | null; listens?: string[] }[];
    lines.push(`primary: ${procs.map((p) => `p${p.processor} ${p.connected ? 'connected' : p.alive === false ? 'lost' : 'not connected'} (${p.flows ?? 0} flows, ${typeof p.learned === 'number' ? `${p.learned} learned, ` : ''}listens ${(p.listens ?? []).join(' ') || '-'})`).join('; ')}`);
    const events = primary.events as { read: number; resyncs: number; errors: number } | null | undefined;
    if (events) lines.push(`primary follows the adapter's event queue: ${primary.learned} learned entries; ${events.read} records read, ${events.resyncs} walks after lost records, ${events.errors} failed reads`);
  }
  // no adapter process in front of the board simulator
  if (!s && !o.boardSim) lines.push('adapter: not answering on its frame port');
  else if (s) {
    lines.push(`adapter: up ${(s.uptimeMs / 1000).toFixed(0)} s; flow table ${s.table.flows}/${s.table.flowCapacity}; wire in ${s.wire.received}, out ${s.wire.transmitted}; queue 0 → primary ${s.toClaimants}, unclaimed ${s.unclaimedDrops}`);
    lines.push(table(['processor', 'fast path', 'via primary', 'transmitted', 'write errors'], s.processors.map((p) => [p.processor, p.fastPath, p.viaPrimary, p.transmitted, p.writeErrors])));
  }
  return lines.join('\n');
}
