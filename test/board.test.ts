// sipnic board build|flash in-process: the flash command line (dry run) and its errors, the
// parsing of a real nextpnr-ecp5 report of the Colorlight build (test/fixtures), and the build
// pipeline run against stand-in tools (SIPNIC_YOSYS / SIPNIC_NEXTPNR / SIPNIC_ECPPACK) so
// that a clock below its target must fail the build. The real build runs in CI (.ci/run).
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { run } from '../host/src/cli/program.js';
import type { CliIO } from '../host/src/cli/context.js';
import { BOARDS } from '../host/src/board/boards.js';
import { yosysScript } from '../host/src/board/build.js';
import { KNOWN_CABLES } from '../host/src/board/flash.js';
import { failingClocks, parseNextpnrLog, parseNextpnrReport } from '../host/src/board/report.js';

const ROOT = join(import.meta.dirname, '..');
const FIXTURES = join(import.meta.dirname, 'fixtures');
const REPORT = readFileSync(join(FIXTURES, 'nextpnr-report-colorlight-5a-75b-v8.json'), 'utf8');
const LOG = readFileSync(join(FIXTURES, 'nextpnr-log-colorlight-5a-75b-v8.txt'), 'utf8');
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
  function tools(scenario: 'ok' | 'fail-exit' | 'fail-report' | 'no-yosys') {
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
    const yosys = sh('yosys', scenario === 'no-yosys' ? 'echo "ERROR: syntax error" > yosys.log; exit 1' : 'test -f synth.ys && echo "{}" > top.json');
    const nextpnr =
      scenario === 'fail-exit'
        ? sh('nextpnr', `echo "Info: Max frequency for clock '\\$glbnet\\$clk_core': 38.10 MHz (FAIL at 50.00 MHz)" > nextpnr.log\necho "ERROR: Max frequency for clock 'clk_core'" >> nextpnr.log\nexit 1`)
        : sh('nextpnr', `cp '${join(bin, 'report.json')}' report.json; echo cfg > top.config; echo "Info: done" > nextpnr.log`);
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
    expect(JSON.parse(readFileSync(join(out, 'build-summary.json'), 'utf8')).bitstream).toBe(j.bitstream);
    expect(existsSync(join(out, 'report.json'))).toBe(true);
    // progress on stderr: stage names and elapsed time
    expect(r.err).toMatch(/\[1\/3\] synthesis .* done in 0:0\d/);
    expect(r.err).toMatch(/\[2\/3\] place and route/);
    expect(r.err).toMatch(/\[3\/3\] bitstream/);
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
