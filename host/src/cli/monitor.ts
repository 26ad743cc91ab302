// sipnic monitor — the network monitor of one processor (host/src/cluster/monitor.ts); run it
// inside the processor's network namespace (`ip netns exec NS sipnic monitor …`).
import { Command, InvalidArgumentError, Option } from 'commander';
import { parseControlAddress, secretFor, type ControlAddress } from '../cluster/control-protocol.js';
import { FramePortClient } from '../cluster/frame-port-socket.js';
import { PacketFramePort } from '../cluster/frame-port-packet.js';
import { Monitor } from '../cluster/monitor.js';
import { formatMac } from '../codec/mac.js';
import { traceAs } from '../cluster/trace.js';
import { procFs } from '../cluster/monitor-proc.js';
import { CliExit, logger, untilStoppedOrLost, type Cli } from './context.js';
import { parsedBy, positiveInt } from './options.js';

const shareArg = (v: string): 'all' | number[] => {
  if (v === 'all') return 'all';
  const ports = v.split(',').map((p) => (/^[0-9]{1,5}$/.test(p) ? Number(p) : NaN));
  if (!ports.every((p) => p >= 1 && p <= 65535)) throw new InvalidArgumentError('expected "all" or ports separated by commas, like 8080,9000');
  return ports;
};

const rangeArg = (v: string): [number, number] => {
  const m = /^([0-9]{1,5})-([0-9]{1,5})$/.exec(v);
  const r = m ? [Number(m[1]), Number(m[2])] : [NaN, NaN];
  if (!(r[0] >= 1 && r[1] <= 65535 && r[0] <= r[1])) throw new InvalidArgumentError('expected LOW-HIGH, like 40000-44999');
  return r as [number, number];
};

interface MonitorOpts {
  primary: ControlAddress;
  processor: number;
  secretFile: string;
  frames?: string;
  interface?: string;
  poll: number;
  share?: 'all' | number[];
  portRange?: [number, number];
  proc: string;
  grace: number;
  connectTimeout: number;
}

export function monitorCommand(cli: Cli): Command {
  return new Command('monitor')
    .description("run a processor's network monitor: pins its listen ports and connections in the adapter through the primary")
    .requiredOption('--primary <addr>', 'the primary control address: unix:PATH or HOST:PORT', parsedBy(parseControlAddress))
    .requiredOption('--processor <n>', 'this processor (its queue number, 1..N)', positiveInt('--processor'))
    .requiredOption('--secret-file <file>', 'the processor\'s secret: the primary\'s secrets file (its "N SECRET" line is used) or a file holding just the secret')
    .option('--frames <path>', "the adapter's frame port (Unix socket of the one-machine cluster), for the SYN copies")
    .option('--interface <if>', "this processor's own network interface: its stack's SYNs, incoming and outgoing, are seen there (AF_PACKET with a kernel filter; needs CAP_NET_RAW), no adapter needed")
    .addOption(new Option('--poll <ms>', 'how often /proc/net is read').default(100).argParser(positiveInt('--poll')))
    .option('--share <ports>', '"all" or PORT,PORT…: listen ports this processor shares with others listening on them (each sharer must say so)', shareArg)
    .option('--port-range <lo-hi>', "local port range for outgoing connections (default: this namespace's net.ipv4.ip_local_port_range); must not overlap another processor's", rangeArg)
    .addOption(new Option('--proc <dir>', 'the proc file system to read').default('/proc'))
    .addOption(new Option('--grace <ms>', 'a connection pinned from its SYN that never appears in /proc is unpinned after this').default(3000).argParser(positiveInt('--grace')))
    .addOption(new Option('--connect-timeout <ms>', 'how long to keep trying to reach the primary at start').default(10000).argParser(positiveInt('--connect-timeout')))
    .addHelpText(
      'after',
      `
Give exactly one of --frames (the one-machine cluster: the adapter copies the SYNs) or
--interface (in front of the board: the monitor reads its own interface).

Run one per processor inside its namespace (or on its host). It prints one line on stdout once connected,
logs to stderr, reconnects when the primary restarts, and exits 0 on SIGTERM/SIGINT.
The processor's rules stay in the adapter after it exits until the primary misses its
heartbeats (--heartbeat-timeout of \`sipnic primary\`).

Example:
  ip netns exec sipnic-p1 sipnic monitor --primary unix:/run/sipnic/primary.sock \\
    --processor 1 --secret-file /run/sipnic/secrets --frames /run/sipnic/frames.sock --share all
  sipnic monitor --primary 192.168.50.1:7000 --processor 2 --secret-file /etc/sipnic/secret \\
    --interface eth1 --share all`,
    )
    .action(async (opts: MonitorOpts, cmd: Command) => {
      traceAs(`monitor-${opts.processor}`);
      if ((opts.frames === undefined) === (opts.interface === undefined)) {
        throw new Error('monitor: give exactly one of --frames PATH (the adapter\'s frame port) or --interface IF (this processor\'s own interface)');
      }
      const log = logger(cli, 'monitor');
      const secret = secretFor(opts.secretFile, opts.processor);
      const framePort =
        opts.interface !== undefined ? PacketFramePort.open(opts.interface, { synOnly: true }) : await FramePortClient.connect(opts.frames as string, `monitor ${opts.processor}`);
      const monitor = new Monitor({
        processor: opts.processor,
        ...(framePort instanceof PacketFramePort ? { mac: formatMac(framePort.mac) } : {}),
        secret,
        primary: opts.primary,
        framePort,
        proc: procFs(opts.proc),
        pollMs: opts.poll,
        share: opts.share,
        portRange: opts.portRange,
        graceMs: opts.grace,
        connectTimeoutMs: opts.connectTimeout,
        log,
      });
      let failure: Error | undefined;
      try {
        await monitor.start();
        cli.out(cmd, `sipnic monitor: processor ${opts.processor} connected (pid ${process.pid})`, { processor: opts.processor, pid: process.pid });
        const { why, lost } = await untilStoppedOrLost(cli, framePort);
        failure = lost;
        log(`stopping (${why}); ${JSON.stringify(monitor.stats())}`);
      } finally {
        await monitor.close();
        await framePort.close();
      }
      if (failure) {
        log(failure.message);
        throw new CliExit(1);
      }
    });
}
