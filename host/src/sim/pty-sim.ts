// The PTY simulator (sim/build/sipnic-pty-sim, built from sim/pty/ by scripts/build-pty-sim.mjs):
// the Verilated NIC behind a pseudo-terminal, for `sipnic sim serve --pty`, tests and the bench.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { SerialBusOptions } from '../bus/serial-bus.js';

export const PTY_SIM_BINARY = fileURLToPath(new URL('../../../sim/build/sipnic-pty-sim', import.meta.url));

/** Bytes one direction carried and the faults injected into them. */
export interface FaultDirection {
  bytes: number;
  dropped: number;
  corrupted: number;
}

export interface PtySimFaults {
  rate: number;
  seed: number;
  /** host → adapter */
  toAdapter: FaultDirection;
  /** adapter → host */
  toHost: FaultDirection;
  /** Clocks the model has run. */
  cycles: number;
  /** Injection paused (setFaults(false)). */
  paused: boolean;
}

export interface PtySimInfo {
  /** The serial device to open (the PTY's slave side). */
  pty: string;
  /** Stream width of the simulated NIC. */
  width: number;
  clkHz: number;
  clocksPerBit: number;
  timeoutClocks: number;
  /** Silence on the PTY (ms) that the bridge counts as its whole silence timeout (--silence-ms). */
  silenceMs: number;
  faultRate: number;
  faultSeed: number;
  pid: number;
  /** Each port's PHY model as --phy set it ("0:1000,1:1000" by default). */
  phy: string;
  /** --board: the NIC's ports on two TAP devices, the line paced at `baud`. */
  board: boolean;
  /** With board: the line rate in bits per second that both directions of the PTY are paced to. */
  baud?: number;
  /** With board: the longest frame the NIC takes (MAX_FRAME); a longer one from a TAP is cut and counted bad. */
  maxFrame?: number;
  /** With board: the TAP devices of port 0 and port 1 (created by the simulator, gone when it ends). */
  taps?: [string, string];
}

/** One port of a board simulator (`sipnic-pty-sim: ports [...]` on stderr). */
export interface PtySimPort {
  port: number;
  tap: string;
  /** Frames read from the TAP. */
  rxFrames: number;
  /** Of those, shorter than 60 bytes and padded. */
  rxPadded: number;
  /** Of those, longer than MAX_FRAME: cut and marked bad (the NIC counts them in egress.PN_RX_BAD). */
  rxTooLong: number;
  /** Of those, dropped because 256 frames were already waiting for the NIC's receive stream. */
  rxOverflow: number;
  /** Frames the NIC sent on this port, written to the TAP. */
  txFrames: number;
  /** Frames the TAP refused (link down) or the NIC marked bad. */
  txErrors: number;
}

export interface PtySim {
  readonly info: PtySimInfo;
  readonly path: string;
  /** Resolves with the exit code (or signal name) when the simulator ends. */
  readonly exited: Promise<number | string>;
  /** The fault counts so far (asks the simulator with SIGUSR1). */
  faults(): Promise<PtySimFaults>;
  /** Pauses (false) or resumes (true) the fault injection; resolves once the simulator has done it. */
  setFaults(on: boolean): Promise<PtySimFaults>;
  /** Ends the simulator; resolves with its final fault counts. */
  stop(): Promise<PtySimFaults | undefined>;
  /** With board: each port's frame counts, as of the last report (faults(), setFaults() or stop()). */
  ports(): PtySimPort[] | undefined;
}

export interface PtySimOptions {
  faultRate?: number;
  faultSeed?: number;
  /** Silence on the PTY that counts as the bridge's timeout (default: the simulator's, 2 ms). */
  silenceMs?: number;
  /** Each port's PHY model: "PORT:MODE,…" (parsePhyModes; default both 1000 full duplex). */
  phy?: string;
  /** Board mode: port 0 ↔ TAP tap0, port 1 ↔ TAP tap1 (created by the simulator; needs CAP_NET_ADMIN). */
  board?: { tap0: string; tap1: string };
  /** With board: line rate the PTY is paced to, both directions (default 115200). */
  baud?: number;
  binary?: string;
  /** Lines the simulator writes to stderr other than fault reports. */
  onLog?: (line: string) => void;
}

const FAULTS_PREFIX = 'sipnic-pty-sim: faults ';
const PORTS_PREFIX = 'sipnic-pty-sim: ports ';

/** A TAP name the kernel takes: 1..15 characters, no '/', ':', whitespace or '%'. */
export function checkTapName(name: string, field: string): string {
  if (!/^[A-Za-z0-9_.-]{1,15}$/.test(name) || name === '.' || name === '..') throw new Error(`${field} "${name}" is not an interface name (1 to 15 letters, digits, '_', '.', '-')`);
  return name;
}

/** A --baud for the paced line: a whole number of bits per second in 50..20,000,000. */
export function checkPtyBaud(baud: number, field = '--baud'): number {
  if (!Number.isSafeInteger(baud) || baud < 50 || baud > 20_000_000) throw new Error(`${field} ${baud} is not a whole number of bits per second in 50..20000000`);
  return baud;
}

/** Starts the simulator and waits until its PTY exists. */
export async function startPtySim(options: PtySimOptions = {}): Promise<PtySim> {
  const binary = options.binary ?? PTY_SIM_BINARY;
  if (!existsSync(binary)) throw new Error(`${binary} is missing: run \`npm install\` (scripts/build-pty-sim.mjs builds it)`);
  const rate = options.faultRate ?? 0;
  if (!(Number.isFinite(rate) && rate >= 0 && rate <= 1)) throw new Error(`fault rate ${rate} is not in 0..1`);
  const seed = options.faultSeed ?? 1;
  if (!Number.isSafeInteger(seed) || seed < 0) throw new Error(`fault seed ${seed} is not a whole number ≥ 0`);
  const args = ['--fault-rate', String(rate), '--fault-seed', String(seed)];
  if (options.silenceMs !== undefined) {
    if (!(Number.isFinite(options.silenceMs) && options.silenceMs >= 1 && options.silenceMs <= 1000)) throw new Error(`silence ${options.silenceMs} ms is not in 1..1000`);
    args.push('--silence-ms', String(options.silenceMs));
  }
  if (options.phy !== undefined) args.push('--phy', parsePhyModes(options.phy));
  if (options.board) {
    const tap0 = checkTapName(options.board.tap0, '--tap0');
    const tap1 = checkTapName(options.board.tap1, '--tap1');
    if (tap0 === tap1) throw new Error(`--tap0 and --tap1 are both ${tap0}; each port needs its own TAP`);
    args.push('--board', '--tap0', tap0, '--tap1', tap1, '--baud', String(checkPtyBaud(options.baud ?? 115200)));
  } else if (options.baud !== undefined) {
    throw new Error('--baud paces the line of a board simulator: it needs board (--board with --tap0 and --tap1)');
  }
  const child: ChildProcess = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });

  const reports: ((f: PtySimFaults) => void)[] = [];
  let lastFaults: PtySimFaults | undefined;
  let lastPorts: PtySimPort[] | undefined;
  const errLines: string[] = [];
  createInterface({ input: child.stderr! }).on('line', (line) => {
    if (line.startsWith(PORTS_PREFIX)) {
      lastPorts = JSON.parse(line.slice(PORTS_PREFIX.length)) as PtySimPort[];
    } else if (line.startsWith(FAULTS_PREFIX)) {
      lastFaults = JSON.parse(line.slice(FAULTS_PREFIX.length)) as PtySimFaults;
      for (const r of reports.splice(0)) r(lastFaults);
    } else {
      errLines.push(line);
      options.onLog?.(line);
    }
  });
  const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? -1)));
  const stdout = createInterface({ input: child.stdout! });
  const lines: string[] = [];
  const info = await new Promise<PtySimInfo>((resolve, reject) => {
    stdout.on('line', (line) => {
      lines.push(line);
      if (lines.length === 2) {
        try {
          resolve(JSON.parse(line) as PtySimInfo);
        } catch {
          reject(new Error(`${binary} printed ${JSON.stringify(line)} where its JSON line belongs`));
        }
      }
    });
    child.once('error', (err) => reject(new Error(`cannot start ${binary}: ${err.message}`)));
    void exited.then((code) => reject(new Error(`${binary} exited (${code}) before its PTY was ready${errLines.length ? `: ${errLines.join('; ')}` : ''}`)));
  });
  if (lines[0] !== info.pty) throw new Error(`${binary}: first line ${lines[0]} is not the PTY ${info.pty}`);
  info.board ??= false;

  const ask = (signal: 'SIGUSR1' | 'SIGUSR2') =>
    new Promise<PtySimFaults>((resolve, reject) => {
      if (child.exitCode !== null || child.signalCode !== null) return reject(new Error('the PTY simulator has ended'));
      reports.push(resolve);
      child.kill(signal);
    });
  let stopping: Promise<PtySimFaults | undefined> | undefined;
  return {
    info,
    path: info.pty,
    exited,
    faults() {
      return ask('SIGUSR1');
    },
    ports() {
      return lastPorts;
    },
    async setFaults(on: boolean) {
      const now = await ask('SIGUSR1');
      return now.paused === !on ? now : ask('SIGUSR2');
    },
    stop() {
      stopping ??= (async () => {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(timer);
        // the final report is the last stderr line; let readline deliver it
        await new Promise<void>((resolve) => (child.stderr!.readableEnded ? resolve() : child.stderr!.once('end', () => resolve())));
        await new Promise<void>((resolve) => setImmediate(resolve));
        return lastFaults;
      })();
      return stopping;
    },
  };
}

/**
 * Host timing for a SerialBus on the PTY simulator. The simulator moves 15,000-20,000 bytes per
 * second (1.5-1.9 M model clocks, 80 per byte), faster than 115200 baud, so the wire times
 * computed for 115200 baud cover its work on a command; what the board's defaults add for a
 * USB-UART (50 ms turnaround) and for the bridge's 100 ms silence timeout the simulator does not
 * have: its bridge forgets a half frame after `silenceMs` of silence on the PTY (docs/serial.md,
 * "The PTY simulator").
 *   latencyMs        2 ms beyond twice the wire time at 115200 for an answer to arrive (an
 *                    answer later than that is still taken during the quiet time)
 *   bridgeSilenceMs  the simulator's silenceMs (default 2 ms)
 *   silenceMs        quiet time before a resend, from the last byte either way: 2 ms more
 *                    (doubling with each resend of the same command, SerialBus quietMs)
 * Any longer time is also correct, only slower (the board's defaults work on the simulator).
 * A board simulator (`board`) paces the line at `info.baud`; the wire times are then computed
 * for that rate.
 */
export function ptySimBusOptions(info: Pick<PtySimInfo, 'silenceMs'> & { baud?: number }): SerialBusOptions {
  const bridge = info.silenceMs ?? 100;
  // a board simulator paces its line at info.baud: the wire times are those of that rate
  return { baud: info.baud ?? 115200, latencyMs: 2, bridgeSilenceMs: bridge, silenceMs: bridge + 2 };
}

/** A PHY model's mode for `sim serve --pty --phy`: a speed in Mb/s (full duplex unless "half"), no link, or no PHY. */
export const PHY_MODES = ['1000', '1000half', '100', '100half', '10', '10half', 'down', 'absent'] as const;

/**
 * "0:1000,1:100" → the same text checked ("PORT:MODE" items, port 0 or 1, each port once, MODE
 * one of PHY_MODES, "full" accepted as a suffix); an error naming the bad item otherwise.
 */
export function parsePhyModes(text: string): string {
  const seen = new Set<string>();
  const items = text.split(',').map((item) => {
    const m = /^\s*([01])\s*:\s*([a-z0-9]+)\s*$/.exec(item);
    const mode = m?.[2].replace(/^(1000|100|10)full$/, '$1');
    if (!m || !mode || !(PHY_MODES as readonly string[]).includes(mode)) {
      throw new Error(`--phy "${item}" is not PORT:MODE (port 0 or 1; MODE ${PHY_MODES.join(', ')}), like 0:1000,1:100`);
    }
    if (seen.has(m[1])) throw new Error(`--phy "${text}" sets port ${m[1]} twice`);
    seen.add(m[1]);
    return `${m[1]}:${mode}`;
  });
  return items.join(',');
}

/** One line for people: what the fault injection did. */
export function formatFaults(f: PtySimFaults): string {
  const dir = (d: FaultDirection) => `${d.bytes} bytes, ${d.dropped} dropped, ${d.corrupted} corrupted`;
  return `fault rate ${f.rate} (seed ${f.seed}): host → adapter ${dir(f.toAdapter)}; adapter → host ${dir(f.toHost)}`;
}
