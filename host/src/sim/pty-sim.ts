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
}

export interface PtySimOptions {
  faultRate?: number;
  faultSeed?: number;
  /** Silence on the PTY that counts as the bridge's timeout (default: the simulator's, 2 ms). */
  silenceMs?: number;
  /** Each port's PHY model: "PORT:MODE,…" (parsePhyModes; default both 1000 full duplex). */
  phy?: string;
  binary?: string;
  /** Lines the simulator writes to stderr other than fault reports. */
  onLog?: (line: string) => void;
}

const FAULTS_PREFIX = 'sipnic-pty-sim: faults ';

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
  const child: ChildProcess = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });

  const reports: ((f: PtySimFaults) => void)[] = [];
  let lastFaults: PtySimFaults | undefined;
  const errLines: string[] = [];
  createInterface({ input: child.stderr! }).on('line', (line) => {
    if (line.startsWith(FAULTS_PREFIX)) {
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
 */
export function ptySimBusOptions(info: Pick<PtySimInfo, 'silenceMs'>): SerialBusOptions {
  const bridge = info.silenceMs ?? 100;
  return { baud: 115200, latencyMs: 2, bridgeSilenceMs: bridge, silenceMs: bridge + 2 };
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
