// sipnic sim serve|replay — the simulated adapter: kept alive behind a socket, or fed a capture.
import progress from 'cli-progress';
import { Command, InvalidArgumentError, Option } from 'commander';
import { SimBus } from '../bus/sim-bus.js';
import { replayCapture, type ReplaySummary } from '../sim/replay.js';
import { ANSWER_TIMEOUT_MS, CONNECT_TIMEOUT_MS, DEFAULT_IDLE_TIMEOUT_MS, MAX_REQUEST_LINE, serveBus } from '../bus/socket-bus.js';
import { SERVED_POLLS } from '../bus/batch.js';
import { untilStopped } from '../util/signals.js';
import { table, type Cli } from './context.js';
import { secondsOption } from './options.js';
import { parseFaultRate, parseFaultSeed, parsePhyOption, parsePtyBaud, servePty, tapNameOption } from './sim-pty.js';

export const widthOption = () =>
  new Option('--width <bits>', 'data path width of the simulated adapter').choices(['8', '64']).default('64').argParser((v: string) => {
    if (v !== '8' && v !== '64') throw new InvalidArgumentError('expected 8 or 64');
    return v;
  });

export function formatReplay(s: ReplaySummary, outDir?: string): string {
  const rows: (string | number)[][] = Object.entries(s.queues).map(([q, v]) => [`queue ${q}`, v.frames, v.bytes]);
  rows.push(['dropped', s.dropped, s.droppedBytes]);
  const drops = Object.entries(s.drops).filter(([, n]) => n > 0);
  return [
    `${s.frames} frames (${s.bytes} bytes) from ${s.input} through the simulated adapter (width ${s.width}, ${s.cycles} cycles)`,
    `decided by flow entries ${s.decisions.flow}, listen entries ${s.decisions.listen}, default ${s.decisions.default}`,
    '',
    table(['', 'frames', 'bytes'], rows),
    ...(drops.length ? ['', `drops: ${drops.map(([k, n]) => `${k} ${n}`).join(', ')}`] : []),
    ...(outDir ? ['', `wrote ${s.files.join(', ')} into ${outDir}`] : []),
  ].join('\n');
}

/** A cli-progress bar on stderr when it is a terminal and the output is not JSON. */
export function progressFor(cli: Cli, cmd: Command, total: number): { update(done: number): void; stop(): void } | undefined {
  if (!cli.io.stderrIsTTY || cli.json(cmd) || total < 1000) return undefined;
  const bar = new progress.SingleBar({ stream: process.stderr, format: 'replay [{bar}] {percentage}% | {value}/{total} frames', hideCursor: true, clearOnComplete: true }, progress.Presets.shades_classic);
  bar.start(total, 0);
  return { update: (done) => bar.update(done), stop: () => bar.stop() };
}

export function simCommand(cli: Cli): Command {
  const sim = new Command('sim').description('the simulated adapter (Verilated RTL)');

  sim
    .command('serve')
    .description('keep one simulated adapter running and serve its registers on a Unix socket')
    .addOption(widthOption())
    .option('--trace <file.fst>', 'write an FST waveform of everything the simulator does (large; for debugging)')
    .option('--pty', 'serve the simulated NIC through its UART register bridge behind a pseudo-terminal; prints the PTY path as the first line')
    .option('--fault-rate <r>', 'with --pty: drop or damage this fraction of the bytes in each direction (seeded)', parseFaultRate)
    .option('--fault-seed <n>', 'with --pty: seed of the fault injection (default 1)', parseFaultSeed)
    .option('--phy <port:mode,...>', 'with --pty: the link each port\'s PHY model reports over MDIO (`sipnic board status`): mode 1000, 100 or 10 (Mb/s, full duplex; 100half for half), down, or absent (never answers); default 0:1000,1:1000', parsePhyOption)
    .option('--board', "the board's design in the loop (implies --pty): the NIC's port 0 and port 1 frames on the TAP devices --tap0 and --tap1, which the simulator creates (root), and the PTY paced at --baud")
    .option('--tap0 <name>', 'with --board: the TAP device for port 0 (the clients\' side); must not exist yet', tapNameOption('--tap0'))
    .option('--tap1 <name>', 'with --board: the TAP device for port 1 (the cluster\'s side); must not exist yet', tapNameOption('--tap1'))
    .option('--baud <n>', 'with --board: the line rate the PTY is paced to, both directions, 10 bits per byte (default 115200); every client passes the same --baud', parsePtyBaud)
    .option('--idle-timeout <seconds>', `end a client connection that sends nothing for this long (0: never; default ${DEFAULT_IDLE_TIMEOUT_MS / 1000})`, secondsOption('--idle-timeout', 0, 86400))
    .addHelpText(
      'after',
      '\nExample:\n  sipnic sim serve --width 64 &\n  sipnic flow list\n\nThe socket is --socket, else $SIPNIC_SOCKET, else $XDG_RUNTIME_DIR/sipnic.sock, else /tmp/sipnic-<uid>.sock.\n\n' +
        'Every client is served at once; the adapter runs one request (a table command is one) at a time, in arrival order.\n' +
        `A client that sends nothing for --idle-timeout seconds is told so and disconnected (a primary, which owns the bus, never is);\n` +
        `a request line over ${MAX_REQUEST_LINE} bytes is answered EPROTO and the connection ended; the polls of one request\n` +
        `read at most ${SERVED_POLLS.maxReads} times (then ETIMEDOUT); a client that does not read its answers is not read from.\n` +
        `Clients (every table command) wait ${CONNECT_TIMEOUT_MS / 1000} s for the connection and the server's hello ($SIPNIC_SOCKET_TIMEOUT seconds)\n` +
        `and ${ANSWER_TIMEOUT_MS / 1000} s for each answer, then fail with ETIMEDOUT naming the socket.\n\n` +
        'A simulated board on a serial line (the same UART bridge as the board; fault counts on stderr at exit):\n  sipnic sim serve --pty --fault-rate 0.01 > sim.out &   # first line: the PTY path\n  sleep 1; PTY=$(head -1 sim.out)\n  sipnic flow add flow-type tcp4 src-ip 192.0.2.7 dst-ip 10.0.0.1 src-port 40001 dst-port 80 action 2 --device "$PTY"\n  sipnic flow list --device "$PTY" --json\n\n' +
        'A simulated board whose port 1 PHY links at 100 Mb/s (what `board status` says about it):\n  sipnic sim serve --pty --phy 0:1000,1:100 > sim.out &\n  sipnic board status --device "$(head -1 sim.out)"\n\n' +
        'The board\'s design in the loop (root): frames on two TAPs, the serial line at 115200 baud in wall time:\n' +
        '  sipnic sim serve --board --tap0 sb0 --tap1 sb1 --baud 115200 > sim.out &   # first line: the PTY path\n' +
        '  ip netns add client; ip link set sb0 netns client      # port 0: the clients\' wire\n' +
        '  ip -n client addr add 10.9.0.2/24 dev sb0; ip -n client link set sb0 up\n' +
        '  ip netns add host; ip link set sb1 netns host          # port 1: the cluster side\n' +
        '  ip -n host addr add 10.9.0.1/24 dev sb1; ip -n host link set sb1 up\n' +
        '  ip netns exec client ping -c 3 10.9.0.1                # queue 0 → port 1, port 1 → port 0\n' +
        '  sipnic stats --device "$(head -1 sim.out)" --baud 115200\n' +
        'The TAPs are created up in this namespace and vanish when the simulator ends; a name that exists already is refused.\n' +
        'A frame shorter than 60 bytes is padded to 60 (as a MAC\'s peer sends it); one longer than the NIC\'s MAX_FRAME is cut and\n' +
        'counted bad (egress P0_RX_BAD/P1_RX_BAD). The frame counts per TAP go to stderr at exit.',
    )
    .action(async (opts: { width: string; trace?: string; pty?: boolean; faultRate?: number; faultSeed?: number; phy?: string; idleTimeout?: number; board?: boolean; tap0?: string; tap1?: string; baud?: number }, cmd: Command) => {
      // the root's --baud (the clients' line rate) takes the option wherever it stands on the
      // command line; declared here too for this command's --help
      const baud = cli.options(cmd).baud;
      if (baud !== undefined) opts.baud = parsePtyBaud(String(baud));
      if (opts.pty || opts.board || opts.tap0 !== undefined || opts.tap1 !== undefined || opts.baud !== undefined) {
        if (opts.idleTimeout !== undefined) throw new Error('--idle-timeout is for the socket; a PTY has one user at a time');
        return servePty(cli, cmd, opts);
      }
      if (opts.faultRate !== undefined || opts.faultSeed !== undefined) throw new Error('--fault-rate and --fault-seed need --pty');
      if (opts.phy !== undefined) throw new Error('--phy needs --pty: the PHY models sit on the simulated board\'s MDIO bus');
      const width = Number(opts.width) as 8 | 64;
      const path = cli.socketPath(cmd);
      const createSim = await cli.simFactory();
      const model = createSim({ width, ...(opts.trace ? { trace: opts.trace } : {}) });
      const bus = new SimBus(model, { closeSim: true });
      let server;
      try {
        server = await serveBus(bus, path, { width }, opts.idleTimeout === undefined ? {} : { idleTimeoutMs: opts.idleTimeout * 1000 });
      } catch (err) {
        await bus.close();
        throw err;
      }
      const stopped = untilStopped({ signal: cli.io.signal });
      cli.out(cmd, `sipnic sim: serving a simulated adapter (width ${width}) at ${path}`, { serving: path, width, pid: process.pid });
      cli.io.onServing?.({ path, width });
      await stopped;
      await server.close();
      await bus.close();
    });

  sim
    .command('replay')
    .description('run every frame of a capture through a fresh simulated adapter loaded with a rules file')
    .argument('<in>', 'capture: pcap (either byte order, µs or ns) or pcapng, Ethernet')
    .requiredOption('--rules <file>', 'rules file')
    .requiredOption('--out <dir>', 'folder for queue-<n>.pcap, drop.pcap and summary.json')
    .addOption(widthOption())
    .option('--trace <file.fst>', 'write an FST waveform of the replay (open it with GTKWave)')
    .addHelpText('after', '\nExample:\n  sipnic sim replay test/pcaps/pcapplusplus__three_http_streams.pcap --rules examples/demo.rules --out out/')
    .action(async (input: string, opts: { rules: string; out: string; width: string; trace?: string }, cmd: Command) => {
      const createSim = await cli.simFactory();
      let bar: ReturnType<typeof progressFor>;
      let started = false;
      try {
        const summary = await replayCapture({
          input,
          rulesFile: opts.rules,
          outDir: opts.out,
          width: Number(opts.width) as 8 | 64,
          trace: opts.trace,
          createSim,
          onProgress: (done, total) => {
            if (!started) {
              started = true;
              bar = progressFor(cli, cmd, total);
            }
            bar?.update(done);
          },
        });
        bar?.stop();
        bar = undefined;
        cli.out(cmd, formatReplay(summary, opts.out), summary);
      } finally {
        bar?.stop();
      }
    });

  return sim;
}
