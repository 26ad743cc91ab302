// What every subcommand shares: where output goes, the root options (--socket, --json), how
// to reach the adapter, and how errors become messages and exit codes.
import type { Command } from 'commander';
import type { Sim, SimOptions } from '../../../sim/addon.js';
import { Adapter } from '../driver.js';
import { defaultSocketPath, SocketBus } from '../socket-bus.js';

export interface CliIO {
  stdout(text: string): void;
  stderr(text: string): void;
  /** Whether stderr is a terminal (progress bars). */
  stderrIsTTY: boolean;
  env: NodeJS.ProcessEnv;
  /** The simulator factory; by default sim/addon.ts, loaded on first use. */
  createSim?: (options: SimOptions) => Sim;
  /** Ends `sim serve` (besides SIGINT/SIGTERM). */
  signal?: AbortSignal;
  /** Called by `sim serve` once it listens. */
  onServing?: (info: { path: string; width: number }) => void;
}

export interface RootOptions {
  socket?: string;
  json?: boolean;
}

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

  /** Opens the adapter behind `sim serve`, runs fn, always closes the connection. */
  async withAdapter<T>(cmd: Command, fn: (adapter: Adapter) => Promise<T>): Promise<T> {
    const bus = await SocketBus.connect(this.socketPath(cmd));
    try {
      const adapter = await Adapter.open(bus);
      return await fn(adapter);
    } finally {
      await bus.close();
    }
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
