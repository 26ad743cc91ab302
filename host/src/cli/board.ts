// sipnic board build|flash|status — the FPGA board: bitstream from the RTL (yosys, nextpnr,
// ecppack from PyPI's yowasp packages), loading it with openFPGALoader, and what a running board
// says about itself over its serial line (identity, PHY links through MDIO reads, counters).
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { BoardError, BOARDS, findBoard } from '../board/boards.js';
import { buildBoard, buildFeatures, buildOutDir, buildParams, DELAY_TAPS, parseBuildBaud, parseTaps, rgmiiDelays, uartRate, type ProgressEvent, type RgmiiDelays, type UartRate } from '../board/build.js';
import { planFlash, runFlash } from '../board/flash.js';
import { DEFAULT_PHY_ADDRESSES, formatBoardStatus, parsePhyAddresses, readBoardStatus } from '../board/status.js';
import { ALLOW_LIST_PATH } from '../board/warnings.js';
import { formatClocks, formatUtilization, type ClockResult } from '../board/report.js';
import { CliExit, type Cli } from './context.js';
import { parsedBy } from './options.js';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));

const mmss = (s: number) => `${Math.floor(s / 60)}:${String(Math.floor(s % 60)).padStart(2, '0')}`;

/** "rx 80 taps (≈2.00 ns), txc 0 taps (≈0.00 ns), the board's defaults" */
export const formatDelays = (d: RgmiiDelays): string => {
  const ns = (taps: number) => `≈${((taps * DELAY_TAPS.ps) / 1000).toFixed(2)} ns`;
  return `rx ${d.rxDelayTaps} taps (${ns(d.rxDelayTaps)}), txc ${d.txClkDelayTaps} taps (${ns(d.txClkDelayTaps)})${d.defaults ? ", the board's defaults" : ''}`;
};

/** "core: learning engine, IPv4 only (IPv6 goes to the primary unsteered)". */
const formatFeatures = (f: { learning: boolean; ipv6: boolean }): string =>
  `core: ${f.learning ? 'learning engine' : 'no learning engine (the host pins connections)'}, ${f.ipv6 ? 'IPv4 and IPv6 steered' : 'IPv4 only (IPv6 goes to the primary unsteered)'}`;

/** "UART 3000000 baud: 14 clocks per bit at 41.67 MHz, 2976190 baud (-0.79%)". */
const formatUart = (u: UartRate): string =>
  `UART ${u.baud} baud: ${u.clocksPerBit} clocks per bit at ${(u.coreHz / 1e6).toFixed(2)} MHz, ${u.actualBaud} baud (${u.errorPercent > 0 ? '+' : ''}${u.errorPercent}%)`;

export function boardCommand(cli: Cli): Command {
  const board = new Command('board').description(`the FPGA board (${Object.keys(BOARDS).join(', ')}): build the bitstream, load it, ask it how it is`);

  board
    .command('build')
    .description('synthesize, place and route (timing must close) and pack the bitstream')
    .requiredOption('--board <name>', `board (${Object.keys(BOARDS).join(', ')})`)
    .option('--out <dir>', 'build folder (default build/board/<board>, with -rx<taps>-txc<taps> when the delays are not the defaults)')
    .option('--rx-delay <taps>', `DELAYG taps on rxd/rx_ctl, ${DELAY_TAPS.min}..${DELAY_TAPS.max}, about ${DELAY_TAPS.ps} ps each (default: the board's, sizing.json RX_DELAY)`, parsedBy((v) => parseTaps('--rx-delay', v)))
    .option('--tx-clk-delay <taps>', `DELAYG taps on TXC, ${DELAY_TAPS.min}..${DELAY_TAPS.max} (default: the board's, sizing.json TX_CLK_DELAY)`, parsedBy((v) => parseTaps('--tx-clk-delay', v)))
    .option('--baud <rate>', "the UART's line rate, e.g. 1000000 or 3000000 (default: the board's, sizing.json BAUD, 115200); the bridge must make it within 2% with at least 8 clocks per bit; the build folder gets -baud<rate>; reach the board with the same --baud")
    .option('--ipv6', 'the dual-stack variant: steer IPv6 too (IPV6=1) without the learning engine (LEARNING=0; both do not fit the board), so the cluster pins connections from the host; the build folder gets -ipv6; load it with board flash --ipv6')
    .addHelpText(
      'after',
      '\nExamples:\n  sipnic board build --board colorlight-5a-75b-v8\n  sipnic board build --board colorlight-5a-75b-v8 --json --out /tmp/bit\n' +
        '  sipnic board build --board colorlight-5a-75b-v8 --rx-delay 0 --tx-clk-delay 80   # a sweep point: build/board/colorlight-5a-75b-v8-rx0-txc80/\n' +
        '  sipnic board build --board colorlight-5a-75b-v8 --baud 3000000   # build/board/colorlight-5a-75b-v8-baud3000000/, then --baud 3000000 --device ...\n' +
        '  sipnic board build --board colorlight-5a-75b-v8 --ipv6   # build/board/colorlight-5a-75b-v8-ipv6/: IPv6 steered, host pinning',
    )
    .action(async (o: { board: string; out?: string; rxDelay?: number; txClkDelay?: number; ipv6?: boolean }, cmd: Command) => {
      const def = findBoard(o.board);
      const json = cli.json(cmd);
      const io = cli.io;
      const delays = rgmiiDelays(def, { rxDelayTaps: o.rxDelay, txClkDelayTaps: o.txClkDelay });
      // the root's --baud takes the option wherever it stands on the line (declared here for --help)
      const rootBaud = cli.options(cmd).baud;
      const baud = rootBaud === undefined ? undefined : parseBuildBaud(def, String(rootBaud));
      const uart = uartRate(def, baud ?? def.params.BAUD);
      const dualStack = Boolean(o.ipv6);
      const outDir = resolve(o.out ?? buildOutDir(def, delays, dualStack) + (baud === undefined || baud === def.params.BAUD ? '' : `-baud${baud}`));
      const features = formatFeatures(buildFeatures(buildParams(def, delays, baud, dualStack)));
      let lastLine = 0;
      const progress = (e: ProgressEvent) => {
        const head = `[${e.index}/${e.total}] ${e.title}`;
        if (io.stderrIsTTY) {
          const end = e.state === 'done' ? `done in ${mmss(e.seconds)}\n` : mmss(e.seconds);
          io.stderr(`\r\x1b[K${head}  ${end}`);
        } else if (e.state === 'start') {
          io.stderr(`${head} ...\n`);
          lastLine = 0;
        } else if (e.state === 'done') {
          io.stderr(`${head} done in ${mmss(e.seconds)}\n`);
        } else if (e.seconds - lastLine >= 60) {
          lastLine = e.seconds;
          io.stderr(`${head} ${mmss(e.seconds)}\n`);
        }
      };
      io.stderr(`sipnic board build: ${def.description} into ${outDir}\nRGMII delays: ${formatDelays(delays)}\n${formatUart(uart)}\n${features}\n`);
      let result;
      try {
        result = await buildBoard({ board: def, root: ROOT, outDir, env: io.env, progress, delays, baud, dualStack });
      } catch (err) {
        if (err instanceof BoardError && err.code === 'ETIMING') {
          const clocks = (err as BoardError & { clocks?: ClockResult[] }).clocks ?? [];
          io.stderr(`sipnic: ${err.message}\n${formatClocks(clocks).join('\n')}\n`);
          if (json) io.stdout(JSON.stringify({ error: { code: err.code, message: err.message, clocks, rgmii: delays } }) + '\n');
          throw new CliExit(1);
        }
        throw err;
      }
      cli.out(
        cmd,
        () =>
          [
            `bitstream ${result.bitstream}`,
            `RGMII delays: ${formatDelays(result.rgmii)}`,
            formatUart(uart),
            features,
            `identity (board status): build id ${result.identity.buildId}, git ${result.identity.gitHash ?? 'not set'}${result.identity.gitDirty ? ' with uncommitted changes' : ''}`,
            'clocks (Fmax after routing):',
            ...formatClocks(result.clocks),
            'utilization:',
            ...formatUtilization(result.utilization),
            `nextpnr report ${result.report}`,
            `warnings: ${result.warnings.length ? result.warnings.map((w) => `${w.tool} ${w.count}× "${w.class}"`).join('; ') : 'none'} (all in the allow-list ${ALLOW_LIST_PATH})`,
            `built in ${mmss(result.seconds)} (${result.stages.map((s) => `${s.name} ${mmss(s.seconds)}`).join(', ')})`,
          ].join('\n'),
        { ...result, uart },
      );
    });

  board
    .command('flash')
    .description('load a bitstream with openFPGALoader (into SRAM; --write-flash for the SPI flash)')
    .requiredOption('--board <name>', `board (${Object.keys(BOARDS).join(', ')})`)
    .option('--cable <cable>', 'openFPGALoader cable (ft232, ft2232, cmsisdap, dirtyJtag, ...)')
    .option('--bitstream <path>', 'bitstream (default: the one `board build` wrote, for --rx-delay/--tx-clk-delay if given)')
    .option('--rx-delay <taps>', 'without --bitstream: load the sweep point built with these rx taps', parsedBy((v) => parseTaps('--rx-delay', v)))
    .option('--tx-clk-delay <taps>', 'without --bitstream: load the sweep point built with these TXC taps', parsedBy((v) => parseTaps('--tx-clk-delay', v)))
    .option('--ipv6', 'without --bitstream: load the dual-stack variant (board build --ipv6)')
    .option('--write-flash', 'write the SPI flash (openFPGALoader -f --unprotect-flash) so the board boots with it; load to SRAM first (without it) to check the bitstream')
    .option('--dry-run', 'print the command and do nothing')
    .addHelpText('after', '\nExamples:\n  sipnic board flash --board colorlight-5a-75b-v8 --cable ft232 --dry-run\n  sipnic board flash --board colorlight-5a-75b-v8 --cable ft232 --write-flash')
    .action(async (o: { board: string; cable?: string; bitstream?: string; rxDelay?: number; txClkDelay?: number; ipv6?: boolean; writeFlash?: boolean; dryRun?: boolean }, cmd: Command) => {
      const def = findBoard(o.board);
      const io = cli.io;
      if (o.bitstream !== undefined && (o.rxDelay !== undefined || o.txClkDelay !== undefined || o.ipv6)) {
        throw new BoardError('EOPTION', '--rx-delay/--tx-clk-delay/--ipv6 pick the bitstream of a sweep point or variant: give them or --bitstream, not both');
      }
      const delays = rgmiiDelays(def, { rxDelayTaps: o.rxDelay, txClkDelayTaps: o.txClkDelay });
      const plan = planFlash({ board: def, cable: o.cable, bitstream: o.bitstream, delays, dualStack: Boolean(o.ipv6), writeFlash: Boolean(o.writeFlash), cwd: process.cwd(), env: io.env });
      const json = cli.json(cmd);
      if (o.dryRun) {
        cli.out(cmd, plan.line, { command: plan.argv, line: plan.line, bitstream: plan.bitstream, writeFlash: plan.writeFlash, dryRun: true });
        return;
      }
      // the exact command first, then its output (on stderr)
      if (json) io.stderr(`${plan.line}\n`);
      else io.stdout(`${plan.line}\n`);
      const code = await runFlash(plan, io.env, (s) => io.stderr(s));
      if (code !== 0) {
        const message = `openFPGALoader exited with ${code}`;
        if (json) io.stdout(JSON.stringify({ error: { code: 'EFLASH', message, command: plan.argv } }) + '\n');
        else io.stderr(`sipnic: ${message}\n`);
        throw new CliExit(1);
      }
      cli.out(cmd, `loaded ${plan.bitstream}${plan.writeFlash ? ' into the SPI flash' : ''}`, { command: plan.argv, line: plan.line, bitstream: plan.bitstream, writeFlash: plan.writeFlash, dryRun: false, exitCode: 0 });
    });

  board
    .command('status')
    .description("the running board's design identity, each port's link (PHY registers read over MDIO: never written, never reset) and port counters, over the serial line")
    .option('--phy-addr <port:addr,...>', `MDIO address of each port's PHY (default ${DEFAULT_PHY_ADDRESSES.map((a, p) => `${p}:${a}`).join(',')})`, parsedBy(parsePhyAddresses))
    .addHelpText(
      'after',
      '\nWhat it reads, all through --device (the board, or `sipnic sim serve --pty`):\n' +
        '  design    build time and git commit set by `sipnic board build`, clock, UART, table sizes\n' +
        '  ports     per PHY: BMSR twice (its link bit is latched low: the first read says whether the link\n' +
        '            went down since the last read, the second how it is now), then the highest mode both ends\n' +
        '            advertise (1000BASE-T control/status, registers 9/10, then 4/5); BMCR when auto-negotiation is off\n' +
        '  counters  frames in and out of each port, frames dropped as bad\n' +
        'The design passes frames only over 1000BASE-T full duplex links; for every port without one, the last\n' +
        'lines say why and what to check, like\n' +
        '  port 1: link at 100 Mb/s — the design needs 1000BASE-T: check the cable/switch port\n' +
        'A PHY that does not answer at its address makes status scan addresses 0..31 and name those that answer.\n' +
        '\nExamples:\n  sipnic board status --device /dev/ttyUSB0\n  sipnic board status --device /dev/ttyUSB0 --json\n  sipnic board status --device /dev/ttyUSB0 --phy-addr 0:4,1:5',
    )
    .action(async (o: { phyAddr?: number[] }, cmd: Command) => {
      const status = await cli.withAdapter(cmd, (adapter) => readBoardStatus(adapter, o.phyAddr));
      cli.out(cmd, () => formatBoardStatus(status), status);
    });

  return board;
}
