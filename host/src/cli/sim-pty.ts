// `sipnic sim serve --pty`: the simulated NIC behind a pseudo-terminal (sim/pty/pty_sim.cpp),
// reached with --device like the board. The PTY's path is the first line of stdout.
import { InvalidArgumentError, type Command } from 'commander';
import { formatFaults, parsePhyModes, startPtySim } from '../sim/pty-sim.js';
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

export interface PtyServeOptions {
  faultRate?: number;
  faultSeed?: number;
  /** Each port's PHY model (parsePhyModes). */
  phy?: string;
}

/** Runs the PTY simulator until SIGINT/SIGTERM or the CLI's abort signal; reports the faults it injected. */
export async function servePty(cli: Cli, cmd: Command, opts: PtyServeOptions): Promise<void> {
  const sim = await startPtySim({ faultRate: opts.faultRate, faultSeed: opts.faultSeed, phy: opts.phy, onLog: (line) => cli.io.stderr(`${line}\n`) });
  const stopped = untilStopped({ signal: cli.io.signal, stopWhen: (stop) => void sim.exited.then(() => stop('exited')) });
  cli.out(cmd, sim.path, { pty: sim.path, width: sim.info.width, pid: process.pid, simPid: sim.info.pid, silenceMs: sim.info.silenceMs, faultRate: sim.info.faultRate, faultSeed: sim.info.faultSeed, phy: sim.info.phy });
  cli.io.onServing?.({ path: sim.path, width: sim.info.width });
  const why = await stopped;
  const faults = await sim.stop();
  if (faults) cli.io.stderr(`sipnic sim: ${formatFaults(faults)}\n`);
  if (why === 'exited') throw new Error(`the PTY simulator ended by itself (${await sim.exited})`);
}
