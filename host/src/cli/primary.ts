// sipnic primary — the primary management process of a cluster (host/src/cluster/primary.ts).
//
// What `sipnic cluster up` must pass (all required unless marked):
//   --socket PATH          root option: the register bus of the cluster adapter (or --device:
//                          whatever the table commands use)
//   --frames PATH          the adapter's frame port (Unix socket), or instead
//   --interface IF         the primary's own interface in front of the board (AF_PACKET)
//   --ip ADDR              the cluster's IP address (repeat for IPv4 + IPv6)
//   --mac MAC              the cluster's MAC address
//   --processors N         processors 1..N (queue p = processor p)
//   --secrets FILE         "PROCESSOR SECRET" lines, one per processor
//   --control ADDR         where monitors connect: unix:PATH (works across namespaces) or
//                          HOST:PORT; repeatable
//   optional: --heartbeat-timeout MS (600), --reclaim MS (5000), --max-flow-batch N (64),
//   --flow-quota N (most flows one processor may hold; default the flow table's entries and
//   stash over the processors), --auth-timeout MS (5000: a control connection without hello
//   is closed after it), --max-unauthenticated N[,PER_SOURCE] (256,16: control connections
//   without hello at once), --pinning hardware|host (hardware), --learning "WORDS" (hardware
//   pinning's learning line), --json (one JSON line when ready)
// It prints one line on stdout when it serves (`sipnic primary: serving …`), logs to stderr,
// and exits 0 on SIGTERM/SIGINT (removing its Unix socket), non-zero with a message on error.
import { Command, InvalidArgumentError, Option } from 'commander';
import { parseIp } from '../codec/ip.js';
import { MacParseError, parseMac } from '../codec/mac.js';
import { ControlError, formatControlAddress, parseControlAddress, readSecrets, type ControlAddress } from '../cluster/control-protocol.js';
import { FramePortClient } from '../cluster/frame-port-socket.js';
import { PacketFramePort } from '../cluster/frame-port-packet.js';
import { EgressTable } from '../driver/index.js';
import { formatMac } from '../codec/mac.js';
import { Primary } from '../cluster/primary.js';
import { traceAs } from '../cluster/trace.js';
import { SocketBus } from '../bus/socket-bus.js';
import { CliExit, logger, untilStoppedOrLost, type Cli } from './context.js';
import { collect, learningOption, parsedBy, pinningOption, positiveInt } from './options.js';
import { parseRuleWords } from '../codec/rules.js';

const macArg = (v: string) => {
  try {
    return parseMac(v);
  } catch (err) {
    if (err instanceof MacParseError) throw new InvalidArgumentError(`bad MAC address "${v}" (expected six hex bytes like 02:00:00:00:00:01)`);
    throw err;
  }
};

interface PrimaryOpts {
  frames?: string;
  interface?: string;
  ip: { family: 4 | 6; bytes: Uint8Array }[];
  mac: Uint8Array;
  processors: number;
  secrets: string;
  control: ControlAddress[];
  heartbeatTimeout: number;
  reclaim: number;
  maxFlowBatch: number;
  flowQuota?: number;
  authTimeout: number;
  maxUnauthenticated: [number, number];
  pinning: 'hardware' | 'host';
  learning?: string;
}

const unauthenticatedArg = (v: string): [number, number] => {
  const m = /^([0-9]{1,7})(?:,([0-9]{1,7}))?$/.exec(v);
  const total = m ? Number(m[1]) : NaN;
  const perSource = m?.[2] !== undefined ? Number(m[2]) : Math.min(16, total);
  if (!(total >= 1 && perSource >= 1 && perSource <= total)) throw new InvalidArgumentError('expected N or N,PER_SOURCE (positive, PER_SOURCE ≤ N), like 256,16');
  return [total, perSource];
};

export function primaryCommand(cli: Cli): Command {
  return new Command('primary')
    .description('run the primary management process: owns the register bus and queue 0, answers ARP/ICMP, serves the monitors')
    .option('--frames <path>', "the adapter's frame port (Unix socket of `sipnic cluster up`)")
    .option('--interface <if>', "the primary's own interface in front of the board: queue 0 is received there, the slow path sent there to each processor's MAC (AF_PACKET; needs CAP_NET_RAW)")
    .requiredOption('--ip <addr>', 'a cluster IP address (repeat for IPv4 and IPv6)', collect(parsedBy(parseIp)))
    .requiredOption('--mac <mac>', 'the cluster MAC address, like 02:00:00:00:00:01', macArg)
    .requiredOption('--processors <n>', 'processors 1..n; queue p is processor p', positiveInt('--processors'))
    .requiredOption('--secrets <file>', 'secrets file: one "PROCESSOR SECRET" line per processor (# comments)')
    .requiredOption('--control <addr>', 'where monitors connect: unix:PATH or HOST:PORT (repeatable)', collect(parsedBy(parseControlAddress)))
    .addOption(new Option('--heartbeat-timeout <ms>', 'a processor silent this long loses its rules').default(600).argParser(positiveInt('--heartbeat-timeout')))
    .addOption(new Option('--reclaim <ms>', 'after a restart, how long processors found in the table have to reconnect').default(5000).argParser(positiveInt('--reclaim')))
    .addOption(new Option('--max-flow-batch <n>', 'most flow changes in one register-bus round trip (1: one at a time)').default(64).argParser(positiveInt('--max-flow-batch')).env('SIPNIC_MAX_FLOW_BATCH'))
    .addOption(new Option('--auth-timeout <ms>', 'a control connection that has not said hello within this long is closed').default(5000).argParser(positiveInt('--auth-timeout')))
    .addOption(
      new Option('--max-unauthenticated <n[,per-source]>', 'most control connections without hello at once, in all and from one source address (a newcomer closes the oldest of the source holding most)')
        .default([256, 16], '256,16')
        .argParser(unauthenticatedArg),
    )
    .addOption(pinningOption())
    .addOption(learningOption())
    .addOption(new Option('--flow-quota <n>', "most flows one processor may hold; beyond it a flow-add is refused with EQUOTA (default: the flow table's entries and stash over the processors)").argParser(positiveInt('--flow-quota')))
    .addHelpText(
      'after',
      `
Give exactly one of --frames (the one-machine cluster's adapter) or --interface (in front of
the board, no simulator). With --interface the frames the interface receives for its MAC (and
broadcasts, multicasts) are queue 0, a frame for processor p is sent to the MAC p's monitor names in its
hello, and on a two-port NIC (--device to the board or \`sim serve --pty\`) the egress table is
set: queue 0 → this interface's MAC, queue p → processor p's MAC, rewrite on; and the cluster
MAC → --mac with the source rewrite on, so the clients see --mac as the source of every frame
from the cluster (and as the sender address of its ARP).

The register bus is the root --socket (a running \`sipnic sim serve\` or cluster adapter). While the
primary runs it owns that bus: every table change goes through it (\`sim serve\`: other table
commands wait; a cluster adapter: others may read, their changes are refused with EBUSY).
On start it rebuilds its registry from the adapter's table and never clears it, so it can be
restarted under live connections. Logs go to stderr; SIGTERM or SIGINT end it cleanly.

Control protocol (NDJSON, version 2): docs/cluster-protocol.md. A monitor proves it holds its
processor's secret by challenge-response (the secret never crosses the socket); failed hellos
are rate-limited per source and per processor. The protocol does not hide or protect the
requests themselves: serve TCP only on a network you trust (or inside a VPN), else unix:PATH.

Example:
  sipnic --socket /run/sipnic/adapter.sock primary --frames /run/sipnic/frames.sock \\
    --ip 10.0.0.1 --mac 02:00:00:00:00:01 --processors 3 --secrets /run/sipnic/secrets \\
    --control unix:/run/sipnic/primary.sock
  sipnic --device /dev/ttyUSB0 primary --interface eth1 --ip 10.0.0.1 \\
    --mac 02:00:00:00:00:01 --processors 3 --secrets /etc/sipnic/secrets --control 0.0.0.0:7000`,
    )
    .action(async (opts: PrimaryOpts, cmd: Command) => {
      traceAs('primary');
      if ((opts.frames === undefined) === (opts.interface === undefined)) {
        throw new Error('primary: give exactly one of --frames PATH (the adapter\'s frame port) or --interface IF (its own interface in front of the board)');
      }
      const log = logger(cli, 'primary');
      const secrets = readSecrets(opts.secrets);
      if (secrets.single !== undefined) throw new ControlError('EPROTO', `--secrets ${opts.secrets}: the primary needs "PROCESSOR SECRET" lines, not a single secret`);
      for (let p = 1; p <= opts.processors; p++) if (!secrets.has(p)) log(`warning: ${opts.secrets} has no secret for processor ${p}; it cannot connect`);
      await cli.withAdapter(cmd, async (adapter) => {
        // the table's register bus has one owner at a time: a cluster adapter refuses other
        // connections' table changes while we hold it, and a second primary
        if (adapter.bus instanceof SocketBus) await adapter.bus.own(`primary (pid ${process.pid})`);
        const packetPort = opts.interface !== undefined ? PacketFramePort.open(opts.interface) : undefined;
        const framePort = packetPort ?? (await FramePortClient.connect(opts.frames as string, 'primary'));
        let egress: EgressTable | undefined;
        if (packetPort) {
          if (adapter.has('egress')) egress = await EgressTable.open(adapter);
          else log('warning: this adapter has no egress block (a bare core): queue MACs are not set; only the slow path uses the processors\' MACs');
          log(`queue 0 and the slow path on ${packetPort.interfaceName} (${formatMac(packetPort.mac)})`);
        }
        let primary: Primary | undefined;
        let failure: Error | undefined;
        try {
          primary = new Primary({
            adapter,
            framePort,
            identity: { mac: opts.mac, ips: opts.ip },
            processors: opts.processors,
            secrets,
            ...(egress && packetPort ? { egress, queue0Mac: packetPort.mac } : {}),
            heartbeatTimeoutMs: opts.heartbeatTimeout,
            reclaimMs: opts.reclaim,
            maxFlowBatch: opts.maxFlowBatch,
            flowQuota: opts.flowQuota,
            pinning: opts.pinning,
            ...(opts.learning ? { learning: parseRuleWords(opts.learning.split(/\s+/), 'learning') } : {}),
            controlLimits: { authTimeoutMs: opts.authTimeout, maxUnauthenticated: opts.maxUnauthenticated[0], maxUnauthenticatedPerSource: opts.maxUnauthenticated[1] },
            log,
          });
          await primary.start();
          const addresses: ControlAddress[] = [];
          for (const a of opts.control) addresses.push(await primary.listen(a));
          const shown = addresses.map(formatControlAddress);
          cli.out(cmd, `sipnic primary: serving ${shown.join(', ')} (processors 1..${opts.processors}, pid ${process.pid})`, { serving: shown, processors: opts.processors, pid: process.pid });
          const { why, lost } = await untilStoppedOrLost(cli, framePort);
          failure = lost;
          log(`stopping (${why})`);
        } finally {
          await primary?.close();
          await framePort.close();
        }
        if (failure) {
          log(failure.message);
          throw new CliExit(1);
        }
      });
    });
}
