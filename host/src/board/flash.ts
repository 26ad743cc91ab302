// `sipnic board flash`: openFPGALoader -b <board> -c <cable> [-f] <bitstream>.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { BoardError, type BoardDef } from './boards.js';
import { bitstreamName, buildOutDir, rgmiiDelays, type RgmiiDelays } from './build.js';

/** openFPGALoader's cable names (v0.10, `openFPGALoader --list-cables`). */
export const KNOWN_CABLES: readonly string[] = [
  'anlogicCable', 'arm-usb-ocd-h', 'bus_blaster', 'bus_blaster_b', 'ch552_jtag', 'cmsisdap', 'dfu', 'digilent',
  'digilent_ad', 'digilent_b', 'digilent_hs2', 'digilent_hs3', 'dirtyJtag', 'ecpix5-debug', 'efinix_jtag_ft4232',
  'efinix_spi_ft2232', 'efinix_spi_ft4232', 'ft2232', 'ft2232_b', 'ft231X', 'ft232', 'ft232RL', 'ft4232',
  'gatemate_evb_jtag', 'gatemate_evb_spi', 'gatemate_pgm', 'jlink', 'jtag-smt2-nc', 'libgpiod', 'lpc-link2',
  'orbtrace', 'papilio', 'steppenprobe', 'tigard', 'usb-blaster', 'usb-blasterII', 'xvc-client',
];

export const LOADER = { env: 'SIPNIC_OPENFPGALOADER', command: 'openFPGALoader' } as const;

export interface FlashPlan {
  /** argv[0] is the program. */
  argv: string[];
  /** The same as one shell line. */
  line: string;
  bitstream: string;
  writeFlash: boolean;
}

const quote = (a: string) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`);

/** Cables the installed openFPGALoader lists, or undefined when it cannot be asked. */
function installedCables(command: string): string[] | undefined {
  const r = spawnSync(command, ['--list-cables'], { encoding: 'utf8', timeout: 10_000 });
  if (r.error || r.status !== 0) return undefined;
  const names = r.stdout.split('\n').slice(1).map((l) => l.trim().split(/\s+/)[0]).filter(Boolean);
  return names.length ? names : undefined;
}

/** Checks the arguments and makes the command; touches nothing. */
export function planFlash(o: { board: BoardDef; cable: string | undefined; bitstream?: string; delays?: RgmiiDelays; dualStack?: boolean; writeFlash: boolean; cwd: string; env: NodeJS.ProcessEnv }): FlashPlan {
  if (!o.cable) throw new BoardError('ECABLE', `--cable is required (for example ft232, ft2232, cmsisdap, dirtyJtag; see openFPGALoader --list-cables)`);
  const command = o.env[LOADER.env] || LOADER.command;
  const cables = installedCables(command) ?? KNOWN_CABLES;
  if (!cables.includes(o.cable)) {
    throw new BoardError('ECABLE', `unknown cable "${o.cable}" (openFPGALoader cables: ${cables.join(', ')})`);
  }
  // without --bitstream: the one `board build` wrote for these delays and variant (a folder of its own)
  const delays = o.delays ?? rgmiiDelays(o.board);
  const bitstream = resolve(o.cwd, o.bitstream ?? join(buildOutDir(o.board, delays, o.dualStack), bitstreamName(o.board, delays)));
  if (!existsSync(bitstream) || !statSync(bitstream).isFile()) {
    const taps = delays.defaults ? '' : ` --rx-delay ${delays.rxDelayTaps} --tx-clk-delay ${delays.txClkDelayTaps}`;
    const hint = o.bitstream ? '' : `: run \`sipnic board build --board ${o.board.id}${taps}${o.dualStack ? ' --ipv6' : ''}\` first, or pass --bitstream`;
    throw new BoardError('ENOBITSTREAM', `no bitstream at ${bitstream}${hint}`);
  }
  // Colorlight boards often ship with the SPI flash's blocks write-protected: without
  // --unprotect-flash the write fails (or verifies against the old contents).
  const argv = [command, '-b', o.board.loaderBoard, '-c', o.cable, ...(o.writeFlash ? ['-f', '--unprotect-flash'] : []), bitstream];
  return { argv, line: argv.map(quote).join(' '), bitstream, writeFlash: o.writeFlash };
}

/** Runs the plan; its output goes to `out`. Resolves the exit code. */
export function runFlash(plan: FlashPlan, env: NodeJS.ProcessEnv, out: (s: string) => void): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(plan.argv[0], plan.argv.slice(1), { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.on('data', (b: Buffer) => out(b.toString()));
    child.stderr.on('data', (b: Buffer) => out(b.toString()));
    child.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') {
        reject(new BoardError('ENOTOOL', `${plan.argv[0]} not found: apt-get install -y openfpgaloader (npm install does it through scripts/board-tools.mjs)`));
      } else {
        reject(new BoardError('ETOOL', `${plan.argv[0]}: ${err.message}`, { cause: err }));
      }
    });
    child.on('close', (code, signal) => resolvePromise(code ?? (signal ? 128 : 1)));
  });
}
