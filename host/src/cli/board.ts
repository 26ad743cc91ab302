// sipnic board build|flash — the FPGA board: bitstream from the RTL (yosys, nextpnr, ecppack
// from PyPI's yowasp packages) and loading it with openFPGALoader.
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { BoardError, BOARDS, defaultOutDir, findBoard } from '../board/boards.js';
import { buildBoard, type ProgressEvent } from '../board/build.js';
import { planFlash, runFlash } from '../board/flash.js';
import { formatClocks, formatUtilization, type ClockResult } from '../board/report.js';
import { CliExit, type Cli } from './context.js';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));

const mmss = (s: number) => `${Math.floor(s / 60)}:${String(Math.floor(s % 60)).padStart(2, '0')}`;

export function boardCommand(cli: Cli): Command {
  const board = new Command('board').description(`the FPGA board (${Object.keys(BOARDS).join(', ')}): build the bitstream, load it`);

  board
    .command('build')
    .description('synthesize, place and route (timing must close) and pack the bitstream')
    .requiredOption('--board <name>', `board (${Object.keys(BOARDS).join(', ')})`)
    .option('--out <dir>', 'build folder (default build/board/<board>)')
    .addHelpText('after', '\nExamples:\n  sipnic board build --board colorlight-5a-75b-v8\n  sipnic board build --board colorlight-5a-75b-v8 --json --out /tmp/bit')
    .action(async (o: { board: string; out?: string }, cmd: Command) => {
      const def = findBoard(o.board);
      const json = cli.json(cmd);
      const io = cli.io;
      const outDir = resolve(o.out ?? defaultOutDir(def));
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
      io.stderr(`sipnic board build: ${def.description} into ${outDir}\n`);
      let result;
      try {
        result = await buildBoard({ board: def, root: ROOT, outDir, env: io.env, progress });
      } catch (err) {
        if (err instanceof BoardError && err.code === 'ETIMING') {
          const clocks = (err as BoardError & { clocks?: ClockResult[] }).clocks ?? [];
          io.stderr(`sipnic: ${err.message}\n${formatClocks(clocks).join('\n')}\n`);
          if (json) io.stdout(JSON.stringify({ error: { code: err.code, message: err.message, clocks } }) + '\n');
          throw new CliExit(1);
        }
        throw err;
      }
      cli.out(
        cmd,
        () =>
          [
            `bitstream ${result.bitstream}`,
            'clocks (Fmax after routing):',
            ...formatClocks(result.clocks),
            'utilization:',
            ...formatUtilization(result.utilization),
            `nextpnr report ${result.report}`,
            `built in ${mmss(result.seconds)} (${result.stages.map((s) => `${s.name} ${mmss(s.seconds)}`).join(', ')})`,
          ].join('\n'),
        result,
      );
    });

  board
    .command('flash')
    .description('load a bitstream with openFPGALoader (into SRAM; --write-flash for the SPI flash)')
    .requiredOption('--board <name>', `board (${Object.keys(BOARDS).join(', ')})`)
    .option('--cable <cable>', 'openFPGALoader cable (ft232, ft2232, cmsisdap, dirtyJtag, ...)')
    .option('--bitstream <path>', 'bitstream (default: the one `board build` wrote)')
    .option('--write-flash', 'write the SPI flash (openFPGALoader -f --unprotect-flash) so the board boots with it; load to SRAM first (without it) to check the bitstream')
    .option('--dry-run', 'print the command and do nothing')
    .addHelpText('after', '\nExamples:\n  sipnic board flash --board colorlight-5a-75b-v8 --cable ft232 --dry-run\n  sipnic board flash --board colorlight-5a-75b-v8 --cable ft232 --write-flash')
    .action(async (o: { board: string; cable?: string; bitstream?: string; writeFlash?: boolean; dryRun?: boolean }, cmd: Command) => {
      const def = findBoard(o.board);
      const io = cli.io;
      const plan = planFlash({ board: def, cable: o.cable, bitstream: o.bitstream, writeFlash: Boolean(o.writeFlash), cwd: process.cwd(), env: io.env });
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

  return board;
}
