// The sipnic command line: a commander program built per run, so tests drive it in-process
// with raw arguments and see errors (exitOverride) instead of exits.
import { Command, CommanderError } from 'commander';
import { BusError } from '../bus/bus.js';
import { DriverError } from '../driver/index.js';
import { CaptureError } from '../codec/pcap.js';
import { RuleSyntaxError } from '../codec/rules.js';
import { Cli, CliExit, type CliIO } from './context.js';
import { addDeviceOptions } from './device.js';
import { boardCommand } from './board.js';
import { clusterCommand } from './cluster.js';
import { defaultCommand } from './default.js';
import { demoCommand } from './demo.js';
import { egressCommand } from './egress.js';
import { flowCommand } from './flow.js';
import { listenCommand } from './listen.js';
import { monitorCommand } from './monitor.js';
import { primaryCommand } from './primary.js';
import { regsCommand } from './regs.js';
import { rulesCommand } from './rules.js';
import { simCommand } from './sim.js';
import { statsCommand } from './stats.js';

export function buildProgram(io: CliIO): Command {
  const cli = new Cli(io);
  const program = new Command('sipnic')
    .description('sipnic: flow steering that makes a cluster of machines answer as one IP host')
    .version('0.1.0')
    .option('--socket <path>', 'socket of `sipnic sim serve` (env SIPNIC_SOCKET; default $XDG_RUNTIME_DIR/sipnic.sock or /tmp/sipnic-<uid>.sock)')
    .option('--json', 'print exactly one JSON object')
    .addHelpText('after', '\nExamples:\n  sipnic sim serve &\n  sipnic flow add flow-type tcp4 src-ip 192.0.2.7 dst-ip 10.0.0.1 src-port 40001 dst-port 80 action 2\n  sipnic flow list --json\n  sipnic demo');
  for (const make of [flowCommand, listenCommand, defaultCommand, rulesCommand, statsCommand, regsCommand, egressCommand, simCommand, demoCommand, clusterCommand, primaryCommand, monitorCommand, boardCommand]) {
    program.addCommand(make(cli));
  }
  addDeviceOptions(program);
  const configure = (cmd: Command) => {
    cmd
      .exitOverride()
      .configureOutput({ writeOut: (s) => io.stdout(s), writeErr: (s) => io.stderr(s) })
      .configureHelp({ showGlobalOptions: true })
      .showHelpAfterError('(add --help for usage)');
    cmd.commands.forEach(configure);
  };
  configure(program);
  return program;
}

/** Runs one command line (without node and script); returns the exit code. */
export async function run(args: readonly string[], io: CliIO): Promise<number> {
  const program = buildProgram(io);
  try {
    await program.parseAsync([...args], { from: 'user' });
    return 0;
  } catch (err) {
    if (err instanceof CliExit) return err.exitCode;
    const json = args.includes('--json');
    if (err instanceof CommanderError) {
      // commander printed the message already
      if (err.exitCode === 0) return 0;
      if (json) io.stdout(JSON.stringify({ error: { code: err.code, message: err.message.replace(/^error: /, '') } }) + '\n');
      return 2;
    }
    const code = (err as { code?: unknown }).code;
    const known = err instanceof DriverError || err instanceof BusError || err instanceof RuleSyntaxError || err instanceof CaptureError || (err as NodeJS.ErrnoException).syscall !== undefined;
    const message = err instanceof Error ? err.message : String(err);
    io.stderr(`sipnic: ${printable(message)}\n`);
    if (!known && err instanceof Error && err.stack && io.env.SIPNIC_DEBUG) io.stderr(err.stack + '\n');
    if (json) io.stdout(JSON.stringify({ error: { code: typeof code === 'string' ? code : 'EFAIL', message, ...errorData(err) } }) + '\n');
    // stopped by a signal: the shell's code for it (128 + signal number)
    const reason = (err as { reason?: unknown }).reason;
    if (code === 'EINTR' && (reason === 'SIGINT' || reason === 'SIGTERM')) return reason === 'SIGINT' ? 130 : 143;
    return 1;
  }
}

/** A message with its control bytes shown as \xNN: words from a garbage file must not drive the terminal. */
function printable(message: string): string {
  // eslint-disable-next-line no-control-regex
  return message.replace(/[\x00-\x08\x0b-\x1f\x7f-\x9f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** The data a named error carries, for --json. */
function errorData(err: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (err instanceof RuleSyntaxError) {
    if (err.word !== undefined) out.word = err.word;
    if (err.line !== undefined) out.line = err.line;
  }
  for (const k of ['table', 'capacity', 'stash', 'queues', 'action', 'slot', 'entry', 'index', 'line', 'linkType', 'offset']) {
    const v = (err as Record<string, unknown>)[k];
    if (typeof v === 'number' || typeof v === 'string') out[k] = v;
  }
  // what an unfinished `rules load` may have left (cli/rules.ts)
  for (const k of ['leftLines', 'journal']) {
    const v = (err as Record<string, unknown>)[k];
    if (Array.isArray(v) || typeof v === 'string') out[k] = v;
  }
  return out;
}

export function processIO(): CliIO {
  // a reader that goes away (`sipnic … | head`) ends the output, not the process with a stack trace
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
      throw err;
    });
  }
  return {
    stdout: (s) => process.stdout.write(s),
    stderr: (s) => process.stderr.write(s),
    stderrIsTTY: Boolean(process.stderr.isTTY),
    env: process.env,
  };
}
