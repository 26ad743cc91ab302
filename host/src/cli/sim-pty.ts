// `sipnic sim serve --pty`: the simulated NIC behind a pseudo-terminal (sim/pty/pty_sim.cpp),
// reached with --device like the board. The PTY's path is the first line of stdout.
// `--board --tap0 A --tap1 B [--baud N]`: the same, with the NIC's ports on two TAP devices the
// simulator creates and the line paced at the baud rate in wall time.
import { InvalidArgumentError, type Command } from 'commander';
import { checkPtyBaud, checkTapName, formatFaults, parsePhyModes, startPtySim } from '../sim/pty-sim.js';
import type { Cli } from './context.js';
import { untilStopped } from '../util/signals.js';

export function parseFaultRate(v: string): number {
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || n < 0 || n > 1) throw new InvalidArgumentError(`${v} is not a fraction in 0..1 (like 0.01 for 1%)`);
  return n;
}

export function parseFaultSeed(v: string): number {
  const n = Number(v);
  if (!/^\d+$/.test(v.trim()) || !Number.isSafeInteger(n)) throw new InvalidArgumentError(`${v} is not a whole number ≥ 0`);
  return n;
}

/** commander's parser of --phy (parsePhyModes). */
export function parsePhyOption(v: string): string {
  try {
    return parsePhyModes(v);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
}

/** commander's parser of --tap0/--tap1. */
export const tapNameOption = (field: string) => (v: string): string => {
  try {
    return checkTapName(v, field);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
};

/** commander's parser of sim serve's --baud. */
export function parsePtyBaud(v: string): number {
  const n = Number(v);
  try {
    if (!/^\d+$/.test(v.trim())) throw new Error(`${v} is not a whole number of bits per second in 50..20000000`);
    return checkPtyBaud(n);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
}

export interface PtyServeOptions {
  faultRate?: number;
  faultSeed?: number;
  /** Each port's PHY model (parsePhyModes). */
  phy?: string;
  /** Board mode: ports on TAPs, line paced at baud. */
  board?: boolean;
  tap0?: string;
  tap1?: string;
  baud?: number;
}

/** The option errors of --board, --tap0, --tap1, --baud (before anything starts). */
export function checkBoardOptions(opts: PtyServeOptions, uid: number | undefined = process.getuid?.()): void {
  if (!opts.board) {
    const given = (['tap0', 'tap1', 'baud'] as const).filter((k) => opts[k] !== undefined).map((k) => `--${k}`);
    if (given.length) throw new Error(`${given.join(', ')} ${given.length > 1 ? 'need' : 'needs'} --board (the NIC's ports on TAP devices, the line paced at --baud)`);
    return;
  }
  const missing = (['tap0', 'tap1'] as const).filter((k) => opts[k] === undefined).map((k) => `--${k} NAME`);
  if (missing.length) throw new Error(`--board needs ${missing.join(' and ')}: the TAP devices the simulator creates for port 0 (clients) and port 1 (cluster)`);
  if (opts.tap0 === opts.tap1) throw new Error(`--tap0 and --tap1 are both ${opts.tap0}; each port needs its own TAP`);
  if (uid !== undefined && uid !== 0) throw new Error('sim serve --board needs CAP_NET_ADMIN to create TAP devices: run it as root');
}

/** Runs the PTY simulator until SIGINT/SIGTERM or the CLI's abort signal; reports the faults it injected. */
export async function servePty(cli: Cli, cmd: Command, opts: PtyServeOptions): Promise<void> {
  checkBoardOptions(opts);
  const board = opts.board ? { tap0: opts.tap0!, tap1: opts.tap1! } : undefined;
  const sim = await startPtySim({ faultRate: opts.faultRate, faultSeed: opts.faultSeed, phy: opts.phy, board, baud: board ? (opts.baud ?? 115200) : undefined, onLog: (line) => cli.io.stderr(`${line}\n`) });
  const stopped = untilStopped({ signal: cli.io.signal, stopWhen: (stop) => void sim.exited.then(() => stop('exited')) });
  const boardInfo = sim.info.board ? { baud: sim.info.baud, maxFrame: sim.info.maxFrame, taps: sim.info.taps } : {};
  cli.out(cmd, sim.path, { pty: sim.path, width: sim.info.width, pid: process.pid, simPid: sim.info.pid, silenceMs: sim.info.silenceMs, faultRate: sim.info.faultRate, faultSeed: sim.info.faultSeed, phy: sim.info.phy, board: sim.info.board, ...boardInfo });
  cli.io.onServing?.({ path: sim.path, width: sim.info.width });
  const why = await stopped;
  const faults = await sim.stop();
  if (faults) cli.io.stderr(`sipnic sim: ${formatFaults(faults)}\n`);
  for (const p of sim.ports() ?? []) {
    cli.io.stderr(`sipnic sim: port ${p.port} (TAP ${p.tap}): ${p.rxFrames} frames in (${p.rxPadded} padded to 60 bytes, ${p.rxTooLong} too long, ${p.rxOverflow} lost to a full queue), ${p.txFrames} frames out (${p.txErrors} refused)\n`);
  }
  if (why === 'exited') throw new Error(`the PTY simulator ended by itself (${await sim.exited})`);
}
