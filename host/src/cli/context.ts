// What every subcommand shares: where output goes, the root options (--socket, --device,
// --json), how to reach the adapter, and how errors become messages and exit codes.
import { InvalidArgumentError, type Command } from 'commander';
import type { Sim, SimOptions } from '../../../sim/addon.js';
import type { RegisterBus } from '../bus/bus.js';
import { Adapter } from '../driver/index.js';
import { SerialBus, type SerialProtocol } from '../bus/serial-bus.js';
import { defaultSocketPath, SocketBus, type SocketBusTimeouts } from '../bus/socket-bus.js';
import { untilStopped } from '../util/signals.js';

export interface CliIO {
  stdout(text: string): void;
  stderr(text: string): void;
  /** Whether stderr is a terminal (progress bars). */
  stderrIsTTY: boolean;
  env: NodeJS.ProcessEnv;
  /** The simulator factory; by default sim/addon.ts, loaded on first use. */
  createSim?: (options: SimOptions) => Sim;
  /** Ends what runs until stopped (`sim serve`, `primary`, `monitor`, …) as SIGINT/SIGTERM do. */
  signal?: AbortSignal;
  /** Called by `sim serve` once it listens. */
  onServing?: (info: { path: string; width: number }) => void;
}

export interface RootOptions {
  socket?: string;
  /** Serial device of the board or of `sim serve --pty` (env SIPNIC_DEVICE). */
  device?: string;
  /** Its line rate (env SIPNIC_BAUD; default 115200). */
  baud?: number;
  /** Plain LiteX UARTBone instead of sipnic's reliable commands. */
  uartbone?: boolean;
  json?: boolean;
}

/** Where the adapter is: a serial device, else the socket of `sim serve`. */
export type Target = { kind: 'serial'; device: string; baud: number; protocol: SerialProtocol } | { kind: 'socket'; path: string };

export class Cli {
  constructor(readonly io: CliIO) {}

  /** Root options as seen by a subcommand. */
  options(cmd: Command): RootOptions {
    return cmd.optsWithGlobals<RootOptions>();
  }

  json(cmd: Command): boolean {
    return Boolean(this.options(cmd).json);
  }

  socketPath(cmd: Command): string {
    return this.options(cmd).socket ?? defaultSocketPath(this.io.env);
  }

  /** --device, else --socket, else $SIPNIC_DEVICE, else the socket of `sim serve`. */
  target(cmd: Command): Target {
    const o = this.options(cmd);
    const device = o.device ?? (o.socket === undefined ? this.io.env.SIPNIC_DEVICE || undefined : undefined);
    if (device === undefined) return { kind: 'socket', path: this.socketPath(cmd) };
    const envBaud = this.io.env.SIPNIC_BAUD;
    let baud = o.baud ?? 115200;
    if (o.baud === undefined && envBaud) {
      try {
        baud = parseBaud(envBaud, 'SIPNIC_BAUD');
      } catch (err) {
        throw new Error((err as Error).message); // not a commander error: run() prints it
      }
    }
    return { kind: 'serial', device, baud, protocol: o.uartbone ? 'uartbone' : 'reliable' };
  }

  /** Opens the adapter on the serial device or behind `sim serve`, runs fn, always closes the bus. */
  async withAdapter<T>(cmd: Command, fn: (adapter: Adapter) => Promise<T>): Promise<T> {
    const t = this.target(cmd);
    const bus: RegisterBus = t.kind === 'serial' ? await SerialBus.open(t.device, { baud: t.baud, protocol: t.protocol }) : await SocketBus.connect(t.path, this.socketTimeouts());
    try {
      const adapter = await Adapter.open(bus);
      return await fn(adapter);
    } finally {
      await bus.close();
    }
  }

  /** How long a socket client waits for the connection and hello: $SIPNIC_SOCKET_TIMEOUT seconds, else SocketBus's default. */
  socketTimeouts(): SocketBusTimeouts {
    const text = this.io.env.SIPNIC_SOCKET_TIMEOUT;
    if (text === undefined || text === '') return {};
    const s = /^[0-9]+(\.[0-9]+)?$/.test(text.trim()) ? Number(text) : NaN;
    if (!(s > 0 && s <= 86400)) throw new Error(`SIPNIC_SOCKET_TIMEOUT ${JSON.stringify(text)} is not a number of seconds in (0, 86400]`);
    return { connectMs: s * 1000 };
  }

  async simFactory(): Promise<(options: SimOptions) => Sim> {
    if (this.io.createSim) return this.io.createSim;
    const addon = await import('../../../sim/addon.js');
    return addon.createSim;
  }

  /** Prints text (a trailing newline is added) unless --json; with --json prints obj. */
  out(cmd: Command, text: string | (() => string), obj: unknown): void {
    if (this.json(cmd)) this.io.stdout(JSON.stringify(obj, jsonReplacer) + '\n');
    else this.io.stdout((typeof text === 'function' ? text() : text) + '\n');
  }
}

/** Log lines on stderr, each with a timestamp and who speaks (the long-running roles). */
export function logger(cli: Cli, who: string): (line: string) => void {
  return (line) => cli.io.stderr(`${new Date().toISOString()} ${who}: ${line}\n`);
}

/**
 * How a role (`primary`, `monitor`) runs once started: until SIGINT, SIGTERM or io.signal (why:
 * 'SIGINT', 'SIGTERM', 'abort'), or until the adapter's frame port goes away (why 'error', and
 * lost says so: the role then exits 1).
 */
export async function untilStoppedOrLost(cli: Cli, framePort: { onClose(listener: (err?: Error) => void): void }): Promise<{ why: string; lost?: Error }> {
  let lost: Error | undefined;
  let stopping = false;
  const why = await untilStopped({
    signal: cli.io.signal,
    stopWhen: (stop) =>
      framePort.onClose((err) => {
        if (stopping) return;
        lost = new Error(`the adapter's frame port went away: ${err?.message ?? 'closed'}`);
        stop();
      }),
  });
  stopping = true;
  return { why, lost };
}

/** A line rate: a whole number of bits per second. */
export function parseBaud(text: string, field = '--baud'): number {
  const n = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(n) || n < 50 || n > 100_000_000) {
    throw new InvalidArgumentError(`${field} ${text} is not a line rate in bits per second (like 115200)`);
  }
  return n;
}

/** bigint → number (exact below 2^53), Uint8Array → never reaches JSON here. */
export function jsonReplacer(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? Number(value) : value;
}

/** A fixed-width text table; numbers right-aligned. */
export function table(headers: string[], rows: (string | number | bigint)[][]): string {
  const cells = [headers, ...rows.map((r) => r.map(String))];
  const widths = headers.map((_, c) => Math.max(...cells.map((r) => (r[c] ?? '').length)));
  const numeric = headers.map((_, c) => rows.length > 0 && rows.every((r) => typeof r[c] !== 'string'));
  return cells
    .map((r) =>
      r
        .map((cell, c) => (numeric[c] ? cell.padStart(widths[c]) : cell.padEnd(widths[c])))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** Words of a rule on the command line; `action` may be left out where it does not matter. */
export function withAction(words: string[]): string[] {
  return words.includes('action') ? words : [...words, 'action', '0'];
}

/** Ends a command with an exit code and no error message (its output already said why). */
export class CliExit extends Error {
  constructor(readonly exitCode: number) {
    super(`exit ${exitCode}`);
    this.name = 'CliExit';
  }
}
