// sipnic board build|flash in-process: the flash command line (dry run) and its errors, the
// parsing of a real nextpnr-ecp5 report of the Colorlight build (test/fixtures), the RGMII delay
// options of a sweep (--rx-delay, --tx-clk-delay: validation, parameters, names), the warning
// classes of real yosys/nextpnr logs against the allow-list (test/fixtures/board-logs), and the
// build pipeline run against stand-in tools (SIPNIC_YOSYS / SIPNIC_NEXTPNR / SIPNIC_ECPPACK) so
// that a clock below its target or an unknown warning must fail the build. The real build runs
// in CI (.ci/run).
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { run } from '../host/src/cli/program.js';
import type { CliIO } from '../host/src/cli/context.js';
import { BOARDS } from '../host/src/board/boards.js';
import { bitstreamName, buildIdentity, buildOutDir, buildParams, identityParams, parseBuildBaud, parseTaps, rgmiiDelays, uartRate, yosysScript } from '../host/src/board/build.js';
import { ALLOW_LIST, ALLOW_LIST_PATH, checkWarnings, findWarnings, unknownWarnings, validateAllowList, warningClass } from '../host/src/board/warnings.js';
import { KNOWN_CABLES, planFlash } from '../host/src/board/flash.js';
import { failingClocks, parseNextpnrLog, parseNextpnrReport } from '../host/src/board/report.js';

const ROOT = join(import.meta.dirname, '..');
const FIXTURES = join(import.meta.dirname, 'fixtures');
const REPORT = readFileSync(join(FIXTURES, 'nextpnr-report-colorlight-5a-75b-v8.json'), 'utf8');
const LOG = readFileSync(join(FIXTURES, 'nextpnr-log-colorlight-5a-75b-v8.txt'), 'utf8');
const LOGS = join(FIXTURES, 'board-logs');
const YOSYS_BEFORE = readFileSync(join(LOGS, 'yosys-before.log'), 'utf8');
const YOSYS_AFTER = readFileSync(join(LOGS, 'yosys-after.log'), 'utf8');
const NEXTPNR_AFTER = readFileSync(join(LOGS, 'nextpnr-after.log'), 'utf8');
const DIR = mkdtempSync(join(tmpdir(), 'sipnic-board-'));
const BOARD = 'colorlight-5a-75b-v8';

afterAll(() => rmSync(DIR, { recursive: true, force: true }));

async function cli(args: string[], env: NodeJS.ProcessEnv = {}) {
  const output = { out: '', err: '' };
  const io: CliIO = { stdout: (s) => void (output.out += s), stderr: (s) => void (output.err += s), stderrIsTTY: false, env };
  const code = await run(args, io);
  return { code, ...output };
}

describe('board flash', () => {
  const bit = join(DIR, 'my board.bit');
  writeFileSync(bit, 'not really a bitstream');

  it('prints the exact openFPGALoader command on --dry-run', async () => {
    const r = await cli(['board', 'flash', '--board', BOARD, '--cable', 'ft232', '--bitstream', bit, '--dry-run']);
    expect(r.code).toBe(0);
    expect(r.out).toBe(`openFPGALoader -b colorlight -c ft232 '${bit}'\n`);
  });

  it('adds -f and --unprotect-flash for --write-flash, and --json gives the argv', async () => {
    const r = await cli(['board', 'flash', '--board', BOARD, '--cable', 'dirtyJtag', '--bitstream', bit, '--write-flash', '--dry-run', '--json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.command).toEqual(['openFPGALoader', '-b', 'colorlight', '-c', 'dirtyJtag', '-f', '--unprotect-flash', bit]);
    expect(j.dryRun).toBe(true);
    expect(j.writeFlash).toBe(true);
  });

  it('runs the command it printed (a stand-in openFPGALoader records its arguments)', async () => {
    const fake = join(DIR, 'fake-loader.sh');
    const seen = join(DIR, 'loader-args.txt');
    writeFileSync(fake, `#!/bin/sh\n[ "$1" = "--list-cables" ] && { echo "cable name vid:pid"; echo "ft232 0x0403:6014"; exit 0; }\necho "$@" > '${seen}'\necho "Load SRAM: [====] 100.00%"\n`);
    chmodSync(fake, 0o755);
    const r = await cli(['board', 'flash', '--board', BOARD, '--cable', 'ft232', '--bitstream', bit], { SIPNIC_OPENFPGALOADER: fake });
    expect(r.code, r.err).toBe(0);
    expect(r.out.split('\n')[0]).toBe(`${fake} -b colorlight -c ft232 '${bit}'`);
    expect(readFileSync(seen, 'utf8').trim()).toBe(`-b colorlight -c ft232 ${bit}`);
    expect(r.err).toContain('100.00%');
  });

  it('refuses an unknown board, a missing or unknown cable, a missing bitstream', async () => {
    let r = await cli(['board', 'flash', '--board', 'icebreaker', '--cable', 'ft232', '--bitstream', bit, '--dry-run']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/unknown board "icebreaker" \(boards: colorlight-5a-75b-v8\)/);
    r = await cli(['board', 'flash', '--board', BOARD, '--bitstream', bit, '--dry-run']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/--cable is required/);
    r = await cli(['board', 'flash', '--board', BOARD, '--cable', 'ft9999', '--bitstream', bit, '--dry-run', '--json']);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.out).error).toMatchObject({ code: 'ECABLE' });
    expect(r.err).toMatch(/unknown cable "ft9999"/);
    r = await cli(['board', 'flash', '--board', BOARD, '--cable', 'ft232', '--bitstream', join(DIR, 'none.bit'), '--dry-run', '--json']);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.out).error.code).toBe('ENOBITSTREAM');
  });

  it('says how to get openFPGALoader when it is missing', async () => {
    const r = await cli(['board', 'flash', '--board', BOARD, '--cable', 'ft232', '--bitstream', bit], { SIPNIC_OPENFPGALOADER: join(DIR, 'no-such-loader') });
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/not found: apt-get install -y openfpgaloader/);
  });

  it("loads a sweep point's bitstream for --rx-delay/--tx-clk-delay, and refuses them beside --bitstream", async () => {
    // from an empty folder, so that a sweep point built in this tree does not answer instead
    const cwd = mkdtempSync(join(tmpdir(), 'sipnic-flash-'));
    try {
      const point = `build/board/${BOARD}-rx0-txc0/sipnic_colorlight_5a_75b-rx0-txc0.bit`;
      const plan = () => planFlash({ board: BOARDS[BOARD], cable: 'ft232', delays: { rxDelayTaps: 0, txClkDelayTaps: 0, defaults: false }, writeFlash: false, cwd, env: {} });
      expect(plan).toThrow(join(cwd, point));
      expect(plan).toThrow(`run \`sipnic board build --board ${BOARD} --rx-delay 0 --tx-clk-delay 0\` first`);
      mkdirSync(dirname(join(cwd, point)), { recursive: true });
      writeFileSync(join(cwd, point), 'bit');
      expect(plan().bitstream).toBe(join(cwd, point));
    } finally {
      rmSync(cwd, { recursive: true, force: true });
    }
    // the command line names that sweep point in this tree (built here or not)
    let r = await cli(['board', 'flash', '--board', BOARD, '--cable', 'ft232', '--rx-delay', '0', '--tx-clk-delay', '0', '--dry-run', '--json']);
    const want = join(process.cwd(), `build/board/${BOARD}-rx0-txc0/sipnic_colorlight_5a_75b-rx0-txc0.bit`);
    const answer = JSON.parse(r.out);
    if (r.code === 0) expect(answer.bitstream).toBe(want);
    else expect(answer.error).toMatchObject({ code: 'ENOBITSTREAM', message: expect.stringContaining(want) });
    r = await cli(['board', 'flash', '--board', BOARD, '--cable', 'ft232', '--bitstream', bit, '--rx-delay', '40', '--dry-run']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/give them or --bitstream, not both/);
    r = await cli(['board', 'flash', '--board', BOARD, '--cable', 'ft232', '--rx-delay', '300', '--dry-run']);
    expect(r.code).toBe(2);
    expect(r.err).toContain('--rx-delay must be a whole number of DELAYG taps 0..127');
  });

  it('loads the dual-stack variant for --ipv6, and refuses it beside --bitstream', async () => {
    // from an empty folder, so that a variant built in this tree does not answer instead
    const cwd = mkdtempSync(join(tmpdir(), 'sipnic-flash-'));
    try {
      const plan = () => planFlash({ board: BOARDS[BOARD], cable: 'ft232', dualStack: true, writeFlash: false, cwd, env: {} });
      expect(plan).toThrow(join(cwd, `build/board/${BOARD}-ipv6/sipnic_colorlight_5a_75b.bit`));
      expect(plan).toThrow(`run \`sipnic board build --board ${BOARD} --ipv6\` first`);
      mkdirSync(join(cwd, `build/board/${BOARD}-ipv6`), { recursive: true });
      writeFileSync(join(cwd, `build/board/${BOARD}-ipv6/sipnic_colorlight_5a_75b.bit`), 'bit');
      expect(plan().bitstream).toBe(join(cwd, `build/board/${BOARD}-ipv6/sipnic_colorlight_5a_75b.bit`));
    } finally {
      rmSync(cwd, { recursive: true, force: true });
    }
    const r = await cli(['board', 'flash', '--board', BOARD, '--cable', 'ft232', '--bitstream', bit, '--ipv6', '--dry-run']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/give them or --bitstream, not both/);
  });

  it('knows the cables of openFPGALoader', () => {
    for (const c of ['ft232', 'ft2232', 'cmsisdap', 'dirtyJtag', 'usb-blaster']) expect(KNOWN_CABLES).toContain(c);
  });
});

describe('nextpnr report of the Colorlight build', () => {
  it('gives every clock with its Fmax and target, and the cell use', () => {
    const r = parseNextpnrReport(REPORT);
    const names = r.clocks.map((c) => c.name);
    expect(names).toEqual(expect.arrayContaining(['clk125', 'clk_core']));
    for (const c of r.clocks) {
      expect(c.fmaxMHz).toBeGreaterThan(0);
      expect(c.met).toBe(c.fmaxMHz >= c.targetMHz);
    }
    expect(r.clocks.find((c) => c.name === 'clk125')?.targetMHz).toBe(125);
    expect(r.utilization?.lut4.available).toBe(24288);
    expect(r.utilization?.ebr.available).toBe(56);
    expect(r.utilization?.ebr.used).toBeGreaterThan(0);
    expect(r.utilization?.ebr.used).toBeLessThanOrEqual(56);
    expect(failingClocks(r)).toEqual([]);
  });

  it('reads the same clocks from the log, last report of each', () => {
    const fromLog = parseNextpnrLog(LOG);
    const fromReport = parseNextpnrReport(REPORT);
    expect(fromLog.clocks.map((c) => c.name)).toEqual(fromReport.clocks.map((c) => c.name));
    for (const c of fromLog.clocks) expect(c.fmaxMHz).toBeCloseTo(fromReport.clocks.find((d) => d.name === c.name)!.fmaxMHz, 1);
  });

  it('finds a clock below its constraint', () => {
    const j = JSON.parse(REPORT);
    const [net] = Object.keys(j.fmax);
    j.fmax[net].achieved = j.fmax[net].constraint - 0.5;
    const failing = failingClocks(parseNextpnrReport(JSON.stringify(j)));
    expect(failing.map((c) => c.name)).toEqual([net.replace(/^\$glbnet\$/, '').replace(/\$TRELLIS_IO_IN$/, '')]);
    expect(failingClocks(parseNextpnrLog("Warning: Max frequency for clock 'clk_core': 39.60 MHz (FAIL at 50.00 MHz)\n")).length).toBe(1);
  });

  it('refuses what is not a report', () => {
    expect(() => parseNextpnrReport('{"fmax": {}}')).toThrow(/lacks "fmax" or "utilization"/);
    expect(() => parseNextpnrReport('<html>')).toThrow(/not JSON/);
  });
});

describe('board build pipeline (stand-in tools)', () => {
  // each stand-in writes what the real tool would, in its working directory (the build folder)
  function tools(scenario: 'ok' | 'fail-exit' | 'fail-report' | 'no-yosys' | 'warn-yosys' | 'warn-nextpnr') {
    const bin = join(DIR, `tools-${scenario}`);
    mkdirSync(bin, { recursive: true });
    const report = JSON.parse(REPORT);
    if (scenario === 'fail-report') {
      const net = Object.keys(report.fmax).find((n) => n.includes('clk_core'))!;
      report.fmax[net].achieved = report.fmax[net].constraint * 0.8;
    }
    writeFileSync(join(bin, 'report.json'), JSON.stringify(report));
    const sh = (name: string, body: string) => {
      writeFileSync(join(bin, name), `#!/bin/sh\n${body}\n`);
      chmodSync(join(bin, name), 0o755);
      return join(bin, name);
    };
    // a real synthesis log (cut), or the one of the build before the loop-index fix
    writeFileSync(join(bin, 'yosys.log'), scenario === 'warn-yosys' ? YOSYS_BEFORE : YOSYS_AFTER);
    writeFileSync(join(bin, 'nextpnr.log'), NEXTPNR_AFTER + (scenario === 'warn-nextpnr' ? "Warning: IO 'eth0_mdio' is unconstrained in LPF and will be automatically placed\n" : ''));
    const yosys = sh('yosys', scenario === 'no-yosys' ? 'echo "ERROR: syntax error" > yosys.log; exit 1' : `test -f synth.ys && echo "{}" > top.json && cp '${join(bin, 'yosys.log')}' yosys.log`);
    const nextpnr =
      scenario === 'fail-exit'
        ? sh('nextpnr', `echo "Info: Max frequency for clock '\\$glbnet\\$clk_core': 38.10 MHz (FAIL at 50.00 MHz)" > nextpnr.log\necho "ERROR: Max frequency for clock 'clk_core'" >> nextpnr.log\nexit 1`)
        : sh('nextpnr', `cp '${join(bin, 'report.json')}' report.json; echo cfg > top.config; cp '${join(bin, 'nextpnr.log')}' nextpnr.log`);
    const ecppack = sh('ecppack', 'cp "$1" "$2"');
    return { SIPNIC_YOSYS: yosys, SIPNIC_NEXTPNR: nextpnr, SIPNIC_ECPPACK: ecppack };
  }

  it('runs the three stages and prints one JSON object', async () => {
    const out = join(DIR, 'out-ok');
    const r = await cli(['board', 'build', '--board', BOARD, '--out', out, '--json'], tools('ok'));
    expect(r.code, r.err).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.bitstream).toBe(join(out, BOARDS[BOARD].bitstream));
    expect(existsSync(j.bitstream)).toBe(true);
    expect(j.clocks.length).toBeGreaterThanOrEqual(2);
    expect(j.clocks[0]).toEqual({ name: expect.any(String), fmaxMHz: expect.any(Number), targetMHz: expect.any(Number), met: true });
    expect(j.utilization.lut4).toEqual({ used: expect.any(Number), available: 24288 });
    expect(j.stages.map((s: { name: string }) => s.name)).toEqual(['synth', 'pnr', 'pack']);
    expect(j.rgmii).toEqual({ rxDelayTaps: 80, txClkDelayTaps: 0, defaults: true });
    // the identity `board status` reads back: this commit, set on the top by chparam
    const head = spawnSync('git', ['rev-parse', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).stdout.trim();
    expect(j.identity.gitHash).toBe(head.slice(0, 8));
    const hashLiteral = parseInt(head.slice(0, 8), 16) > 0x7fffffff ? `32'h${head.slice(0, 8).replace(/^0+/, '')}` : String(parseInt(head.slice(0, 8), 16));
    expect(readFileSync(join(out, 'synth.ys'), 'utf8')).toContain(` -set BUILD_ID ${j.identity.buildId} -set GIT_HASH ${hashLiteral} -set GIT_DIRTY ${j.identity.gitDirty ? 1 : 0} sipnic_colorlight_5a_75b\n`);
    // the allowed classes of the real log, counted
    expect(j.warnings).toEqual([
      { tool: 'yosys', class: ALLOW_LIST.yosys[0].class, count: 1 },
      { tool: 'yosys', class: ALLOW_LIST.yosys[1].class, count: 1 },
    ]);
    expect(JSON.parse(readFileSync(join(out, 'build-summary.json'), 'utf8')).bitstream).toBe(j.bitstream);
    expect(existsSync(join(out, 'report.json'))).toBe(true);
    // progress on stderr: stage names and elapsed time
    expect(r.err).toMatch(/\[1\/3\] synthesis .* done in 0:0\d/);
    expect(r.err).toMatch(/\[2\/3\] place and route/);
    expect(r.err).toMatch(/\[3\/3\] bitstream/);
  });

  it("builds the board's sizing (the learning engine, IPv4 only) by default and the dual-stack variant with --ipv6", async () => {
    const plain = join(DIR, 'out-features');
    let r = await cli(['board', 'build', '--board', BOARD, '--out', plain, '--json'], tools('ok'));
    expect(r.code, r.err).toBe(0);
    expect(JSON.parse(r.out).features).toEqual({ learning: true, ipv6: false });
    expect(readFileSync(join(plain, 'synth.ys'), 'utf8')).toMatch(/ -set LEARNING 1 -set IPV6 0 /);
    expect(r.err).toContain('core: learning engine, IPv4 only (IPv6 goes to the primary unsteered)\n');

    const dual = join(DIR, 'out-ipv6');
    r = await cli(['board', 'build', '--board', BOARD, '--ipv6', '--out', dual, '--json'], tools('ok'));
    expect(r.code, r.err).toBe(0);
    expect(JSON.parse(r.out).features).toEqual({ learning: false, ipv6: true });
    expect(readFileSync(join(dual, 'synth.ys'), 'utf8')).toMatch(/ -set LEARNING 0 -set IPV6 1 /);
    expect(r.err).toContain('core: no learning engine (the host pins connections), IPv4 and IPv6 steered\n');
    // without --out, a folder of its own beside the default build
    expect(buildOutDir(BOARDS[BOARD], rgmiiDelays(BOARDS[BOARD]), true)).toMatch(/build\/board\/colorlight-5a-75b-v8-ipv6$/);
  });

  it('fails when nextpnr stops on a clock below its target (no report, the log says FAIL)', async () => {
    const r = await cli(['board', 'build', '--board', BOARD, '--out', join(DIR, 'out-fail-exit'), '--json'], tools('fail-exit'));
    expect(r.code).toBe(1);
    const j = JSON.parse(r.out);
    expect(j.error.code).toBe('ETIMING');
    expect(j.error.message).toMatch(/timing not met: clk_core 38\.10 MHz < 50\.00 MHz/);
    expect(j.error.clocks).toEqual([{ name: 'clk_core', fmaxMHz: 38.1, targetMHz: 50, met: false }]);
    expect(existsSync(join(DIR, 'out-fail-exit', BOARDS[BOARD].bitstream))).toBe(false);
  });

  it('fails when the report shows a clock below its target', async () => {
    const r = await cli(['board', 'build', '--board', BOARD, '--out', join(DIR, 'out-fail-report')], tools('fail-report'));
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/timing not met: clk_core/);
    expect(r.err).toMatch(/clk_core .* FAIL/);
  });

  it('shows the synthesis log when yosys fails, and names a missing tool', async () => {
    let r = await cli(['board', 'build', '--board', BOARD, '--out', join(DIR, 'out-no-yosys')], tools('no-yosys'));
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/synthesis failed \(exit 1\):\nERROR: syntax error/);
    r = await cli(['board', 'build', '--board', BOARD, '--out', join(DIR, 'out-missing')], { SIPNIC_YOSYS: join(DIR, 'no-such-yosys') });
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/no-such-yosys not found: run npm install/);
  });

  it('fails on a yosys warning class not in the allow-list, listing it and naming the allow-list', async () => {
    const out = join(DIR, 'out-warn-yosys');
    const r = await cli(['board', 'build', '--board', BOARD, '--out', out, '--json'], tools('warn-yosys'));
    expect(r.code).toBe(1);
    const j = JSON.parse(r.out);
    expect(j.error.code).toBe('EWARNING');
    expect(j.error.message).toContain('yosys printed a warning of a class not seen before');
    expect(j.error.message).toContain(`${join(out, 'yosys.log')}:`);
    expect(j.error.message).toContain("Warning: Drivers conflicting with a constant 1'0 driver: (2 times)");
    expect(j.error.message).toContain('class: Warning: Drivers conflicting with a constant N driver:');
    expect(j.error.message).toContain(ALLOW_LIST_PATH);
    // stopped after synthesis: no place and route, no bitstream
    expect(r.err).not.toMatch(/\[2\/3\]/);
    expect(existsSync(join(out, BOARDS[BOARD].bitstream))).toBe(false);
  });

  it('fails on a nextpnr warning class not in the allow-list', async () => {
    const out = join(DIR, 'out-warn-nextpnr');
    const r = await cli(['board', 'build', '--board', BOARD, '--out', out], tools('warn-nextpnr'));
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/nextpnr printed a warning of a class not seen before:\n .*nextpnr\.log:\d+: Warning: IO 'eth0_mdio' is unconstrained/);
    expect(r.err).toContain("class: Warning: IO <id> is unconstrained in LPF and will be automatically placed");
    expect(existsSync(join(out, BOARDS[BOARD].bitstream))).toBe(false);
  });

  it('builds a sweep point: the taps go to the top, into the bitstream name, the summary and --json', async () => {
    const out = join(DIR, 'out-sweep');
    let r = await cli(['board', 'build', '--board', BOARD, '--out', out, '--rx-delay', '0', '--tx-clk-delay', '64'], tools('ok'));
    expect(r.code, r.err).toBe(0);
    const bit = join(out, 'sipnic_colorlight_5a_75b-rx0-txc64.bit');
    expect(r.out).toContain(`bitstream ${bit}\n`);
    expect(r.out).toContain('RGMII delays: rx 0 taps (≈0.00 ns), txc 64 taps (≈1.60 ns)\n');
    expect(r.err).toContain('RGMII delays: rx 0 taps');
    const ys = readFileSync(join(out, 'synth.ys'), 'utf8');
    expect(ys).toMatch(/ -set RX_DELAY 0 /);
    expect(ys).toMatch(/ -set TX_CLK_DELAY 64 /);
    expect(existsSync(bit)).toBe(true);
    // another point into the same folder keeps the first bitstream
    r = await cli(['board', 'build', '--board', BOARD, '--out', out, '--rx-delay', '40', '--json'], tools('ok'));
    expect(r.code, r.err).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.rgmii).toEqual({ rxDelayTaps: 40, txClkDelayTaps: 0, defaults: false });
    expect(j.bitstream).toBe(join(out, 'sipnic_colorlight_5a_75b-rx40-txc0.bit'));
    expect(existsSync(bit)).toBe(true);
    expect(readFileSync(join(out, 'synth.ys'), 'utf8')).toMatch(/ -set RX_DELAY 40 -set TX_CLK_DELAY 0 /);
  });

  it('writes a yosys script with paths relative to the build folder (the yowasp tools see /tmp as their own)', () => {
    const script = yosysScript(BOARDS[BOARD], ROOT, join(ROOT, 'build/board/x'));
    expect(script).toMatch(/read_verilog -defer -I\.\.\/\.\.\/\.\.\/rtl\/core /);
    expect(script).toContain('../../../rtl/board/sipnic_colorlight_5a_75b.v');
    expect(script).toContain('../../../rtl/core/sipnic_core.v');
    expect(script).not.toMatch(/ \//);
    // every parameter of the board's sizing (host/src/board/sizing.json) set on the top before synthesis
    expect(Object.keys(BOARDS[BOARD].params)).toContain('QUEUES');
    for (const [k, v] of Object.entries(BOARDS[BOARD].params)) expect(script).toMatch(new RegExp(`^chparam(?: .*)? -set ${k} ${v} (?:.* )?sipnic_colorlight_5a_75b$`, 'm'));
    expect(script).toContain('synth_ecp5 -top sipnic_colorlight_5a_75b -json top.json');
  });
});

describe('UART rate option (board build --baud)', () => {
  const def = BOARDS[BOARD];

  it('gives the dividers at the 41.67 MHz core clock, and refuses rates the bridge cannot make', () => {
    // 500 MHz / 12 = 41,666,667 Hz: 1 Mbaud → 42 clocks per bit (992,063 baud), 3 Mbaud → 14 (2,976,190)
    expect(uartRate(def, 1_000_000)).toEqual({ baud: 1_000_000, coreHz: 500_000_000 / 12, clocksPerBit: 42, actualBaud: 992_063, errorPercent: -0.79 });
    expect(uartRate(def, 3_000_000)).toMatchObject({ clocksPerBit: 14, actualBaud: 2_976_190, errorPercent: -0.79 });
    expect(uartRate(def, 115_200)).toMatchObject({ clocksPerBit: 362, actualBaud: 115_101, errorPercent: -0.09 });
    expect(parseBuildBaud(def, '3000000')).toBe(3_000_000);
    expect(parseBuildBaud(def, '5208333')).toBe(5_208_333); // 8 clocks per bit, the fastest
    expect(() => parseBuildBaud(def, '6000000')).toThrow('--baud 6000000 is too fast for the UART bridge: 7 clocks per bit at the core\'s 41.67 MHz, it needs at least 8 (at most 5208333 baud)');
    expect(() => parseBuildBaud(def, '4000000')).toThrow('--baud 4000000: 10 clocks per bit at 41.67 MHz give 4166667 baud, 4.17% off (at most ±2%)');
    for (const bad of ['0', '-1', '1.5', 'fast', '']) expect(() => parseBuildBaud(def, bad), bad).toThrow(`--baud must be a whole number of bits per second, not "${bad}"`);
  });

  it('reaches the build from the command line (the root --baud must not swallow it)', async () => {
    const out = join(tmpdir(), `sipnic-baud-${process.pid}`);
    const r = await cli(['board', 'build', '--board', BOARD, '--baud', '4000000', '--out', out]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch('--baud 4000000: 10 clocks per bit at 41.67 MHz give 4166667 baud, 4.17% off (at most ±2%)');
    expect(existsSync(out)).toBe(false);
  });

  it("sets BAUD on the top in the yosys script; without it the board's", () => {
    const d = rgmiiDelays(def);
    expect(yosysScript(def, ROOT, join(ROOT, 'build/board/x'), buildParams(def, d, 3_000_000))).toMatch(/ -set BAUD 3000000 /);
    expect(yosysScript(def, ROOT, join(ROOT, 'build/board/x'), buildParams(def, d))).toMatch(/ -set BAUD 115200 /);
  });
});

describe('RGMII delay options (a sweep of DELAYG taps)', () => {
  const def = BOARDS[BOARD];

  it('takes whole numbers 0..127', () => {
    expect(parseTaps('--rx-delay', '0')).toBe(0);
    expect(parseTaps('--rx-delay', '80')).toBe(80);
    expect(parseTaps('--tx-clk-delay', '127')).toBe(127);
    for (const bad of ['128', '-1', '1.5', '0x10', 'abc', '', ' ', '1e2', '99999999999999999999']) {
      expect(() => parseTaps('--tx-clk-delay', bad), bad).toThrow(`--tx-clk-delay must be a whole number of DELAYG taps 0..127 (about 25 ps each), not "${bad}"`);
    }
  });

  it('refuses a bad value on the command line with the option and the range, before building anything', async () => {
    const out = join(DIR, 'out-bad-taps');
    let r = await cli(['board', 'build', '--board', BOARD, '--out', out, '--rx-delay', '128'], { SIPNIC_YOSYS: join(DIR, 'no-such-yosys') });
    expect(r.code).toBe(2);
    expect(r.err).toContain('--rx-delay must be a whole number of DELAYG taps 0..127 (about 25 ps each), not "128"');
    r = await cli(['board', 'build', '--board', BOARD, '--out', out, '--tx-clk-delay', 'two', '--json'], { SIPNIC_YOSYS: join(DIR, 'no-such-yosys') });
    expect(r.code).toBe(2);
    expect(JSON.parse(r.out).error.message).toContain('--tx-clk-delay must be a whole number of DELAYG taps 0..127');
    expect(existsSync(out)).toBe(false);
  });

  it("defaults to the board's taps (sizing.json) and names only other points", () => {
    const d0 = rgmiiDelays(def);
    expect(d0).toEqual({ rxDelayTaps: def.params.RX_DELAY, txClkDelayTaps: def.params.TX_CLK_DELAY, defaults: true });
    expect(bitstreamName(def, d0)).toBe('sipnic_colorlight_5a_75b.bit');
    expect(buildOutDir(def, d0)).toBe(`build/board/${BOARD}`);
    // the defaults given explicitly are still the defaults
    expect(rgmiiDelays(def, { rxDelayTaps: def.params.RX_DELAY, txClkDelayTaps: def.params.TX_CLK_DELAY }).defaults).toBe(true);
    const d = rgmiiDelays(def, { rxDelayTaps: 0 });
    expect(d).toEqual({ rxDelayTaps: 0, txClkDelayTaps: def.params.TX_CLK_DELAY, defaults: false });
    expect(bitstreamName(def, d)).toBe(`sipnic_colorlight_5a_75b-rx0-txc${def.params.TX_CLK_DELAY}.bit`);
    expect(buildOutDir(def, d)).toBe(`build/board/${BOARD}-rx0-txc${def.params.TX_CLK_DELAY}`);
    // every point of a sweep has its own name
    const names = new Set<string>();
    for (const rx of [0, 40, 80, 127]) for (const tx of [0, 40, 80, 127]) names.add(bitstreamName(def, rgmiiDelays(def, { rxDelayTaps: rx, txClkDelayTaps: tx })));
    expect(names.size).toBe(16);
    expect(() => rgmiiDelays(def, { txClkDelayTaps: 128 })).toThrow(/TX_CLK_DELAY must be 0..127 taps, not 128/);
  });

  it('sets the identity the board block reports (build time, git commit, uncommitted changes)', () => {
    const id = { buildId: 1796000000, gitHash: 'deadbeef', gitDirty: true };
    expect(identityParams(id)).toEqual({ BUILD_ID: 1796000000, GIT_HASH: 0xdeadbeef, GIT_DIRTY: 1 });
    expect(identityParams({ buildId: 5, gitHash: null, gitDirty: false })).toEqual({ BUILD_ID: 5, GIT_HASH: 0, GIT_DIRTY: 0 });
    const script = yosysScript(def, ROOT, join(ROOT, 'build/board/x'), { ...buildParams(def, rgmiiDelays(def)), ...identityParams(id) });
    // past 2^31 as a sized constant: yosys would read a plain decimal as a signed integer
    expect(script).toMatch(/ -set BUILD_ID 1796000000 -set GIT_HASH 32'hdeadbeef -set GIT_DIRTY 1 sipnic_colorlight_5a_75b$/m);
    expect(buildIdentity(ROOT, 1_000_000_000_999).buildId).toBe(1_000_000_000);
    expect(buildIdentity('/').gitHash).toBeNull();
  });

  it('sets the taps on the top, every other parameter unchanged', () => {
    const d = rgmiiDelays(def, { rxDelayTaps: 12, txClkDelayTaps: 100 });
    const p = buildParams(def, d);
    expect(p).toEqual({ ...def.params, RX_DELAY: 12, TX_CLK_DELAY: 100 });
    const script = yosysScript(def, ROOT, join(ROOT, 'build/board/x'), p);
    expect(script).toMatch(/^chparam .* -set RX_DELAY 12 -set TX_CLK_DELAY 100 sipnic_colorlight_5a_75b$/m);
    expect(script).toMatch(/ -set QUEUES 4 /);
  });
});

describe('warnings of the board build against the allow-list', () => {
  it('classifies real yosys lines without their numbers, names and source lines', () => {
    expect(warningClass('Warning: Replacing memory \\inc with list of registers. See ../../../rtl/core/sipnic_counters.v:84')).toBe(
      'Warning: Replacing memory <id> with list of registers. See sipnic_counters.v',
    );
    // the same warning from another run, folder and line: the same class
    expect(warningClass('Warning: Replacing memory \\inc with list of registers. See /work/x/rtl/core/sipnic_counters.v:91.7-91.10')).toBe(
      warningClass('Warning: Replacing memory \\inc with list of registers. See ../../../rtl/core/sipnic_counters.v:84'),
    );
    // a memory replaced in another file is another class
    expect(warningClass('Warning: Replacing memory \\x with list of registers. See ../rtl/core/sipnic_parser.v:12')).not.toBe(ALLOW_LIST.yosys[0].class);
    expect(warningClass("Warning: Drivers conflicting with a constant 1'0 driver:")).toBe(warningClass("Warning: Drivers conflicting with a constant 1'1 driver:"));
    expect(warningClass('Warning: wire \\nic_inst.\\core_inst.$procmux$42096 [3] is assigned in a block at x.v:1.2-3.4.')).toBe(
      warningClass('Warning: wire \\a.$procmux$7 [12] is assigned in a block at ../x.v:9.'),
    );
    // nextpnr's quoted names
    expect(warningClass("Warning: IO 'eth0_txd[0]' is unconstrained in LPF and will be automatically placed")).toBe(
      'Warning: IO <id> is unconstrained in LPF and will be automatically placed',
    );
  });

  it('finds the regfile warnings of the build before the fix (must fail) and nothing unknown after it', () => {
    const before = unknownWarnings('yosys', YOSYS_BEFORE);
    expect(before.map((w) => w.class)).toEqual(['Warning: Drivers conflicting with a constant N driver:']);
    expect(before[0].count).toBe(2);
    expect(before[0].line).toBe("Warning: Drivers conflicting with a constant 1'0 driver:");
    expect(YOSYS_BEFORE.split('\n')[before[0].lineNumber - 1]).toBe(before[0].line);
    expect(() => checkWarnings('yosys', YOSYS_BEFORE, 'yosys.log')).toThrow(/class not seen before:[\s\S]*Drivers conflicting[\s\S]*host\/src\/board\/warnings-allowed\.json/);
    // after: only allowed classes, every one of them seen (the list holds nothing stale)
    expect(unknownWarnings('yosys', YOSYS_AFTER)).toEqual([]);
    expect(findWarnings('yosys', YOSYS_AFTER).map((w) => w.class)).toEqual(ALLOW_LIST.yosys.map((a) => a.class));
    expect(unknownWarnings('nextpnr', NEXTPNR_AFTER)).toEqual([]);
    expect(findWarnings('nextpnr', NEXTPNR_AFTER + "Warning: IO 'x' is unconstrained in LPF and will be automatically placed\n")).toHaveLength(1);
    // a class allowed for yosys is not allowed for nextpnr
    expect(unknownWarnings('nextpnr', YOSYS_AFTER)).toHaveLength(2);
  });

  it('keeps a well-formed allow-list: normalized classes, one-line reasons, no repeats', () => {
    expect(() => validateAllowList(ALLOW_LIST)).not.toThrow();
    expect(() => validateAllowList({ yosys: [{ class: 'Warning: x', reason: '' }], nextpnr: [] })).toThrow(/yosys\[0\] needs a one-line reason/);
    expect(() => validateAllowList({ yosys: [{ class: 'Warning: x 12', reason: 'r' }], nextpnr: [] })).toThrow(/not normalized \(should be: Warning: x N\)/);
    expect(() => validateAllowList({ yosys: [], nextpnr: [{ class: 'Warning: a', reason: 'r' }, { class: 'Warning: a', reason: 's' }] })).toThrow(/repeats/);
    expect(() => validateAllowList({ yosys: [] })).toThrow(/"nextpnr" is not a list/);
  });
});
