#!/usr/bin/env node
// Builds sim/build/sipnic-pty-sim (sim/pty/pty_sim.cpp): the Verilated NIC (rtl/nic/sipnic_nic.v,
// through sim/pty/sipnic_pty_top.v) behind a pseudo-terminal, run by `sipnic sim serve --pty`.
// Sources: rtl/manifest.mjs, target pty. Called by scripts/install.mjs; skipped when the files
// of the target (the manifest included), the sizing and the flags are unchanged (a hash is
// stamped beside the binary).
//
// Sizing: the board's NIC sizing (host/src/board/sizing.json, colorlight-5a-75b-v8), so tables,
// queues and address slots are those of the board.
// Clock: the bridge runs at 8 clocks per bit (its minimum), so the model clocks 80 cycles per
// byte. A PTY has no line rate: the nominal BAUD only fixes CLK_HZ = 8 × BAUD, and with it how
// many clocks the bridge's 100 ms silence timeout (CLK_HZ / 10) takes; a low nominal rate keeps
// the silences that recovery needs cheap to simulate (1,920 clocks, 24 byte times, at 2400; the
// bridge needs at least 4 byte times). pty_sim.cpp maps that timeout to wall time (--silence-ms).
// Board mode (`sim serve --board`, the streams on two TAPs, the line paced at --baud in wall time)
// is the same binary: sim/pty/sipnic_pty_top.v brings the NIC's four streams out to the harness,
// which ties them off without --board. MAX_FRAME reaches the harness as PTY_MAX_FRAME.
// SIPNIC_RTL_DIR points at another RTL folder of the same layout (default rtl/); SIPNIC_FORCE=1 rebuilds.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { resolveTarget, verilatorArgs } from '../rtl/manifest.mjs';
import { boardSizing, SIZING_FILE } from './board-sizing.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const buildDir = join(root, 'sim', 'build');
const mdir = join(buildDir, 'pty');
const binary = join(buildDir, 'sipnic-pty-sim');
const stampFile = join(buildDir, '.pty-sim-stamp');
const BOARD = 'colorlight-5a-75b-v8';
const force = process.env.SIPNIC_FORCE === '1';
const jobs = String(process.env.SIPNIC_JOBS ?? 2);

const PTY_BAUD = 2400;
const PTY_CLK_HZ = 8 * PTY_BAUD;

const step = (msg) => process.stderr.write(`sipnic install: ${msg}\n`);
const fail = (msg) => {
  process.stderr.write(`sipnic install: FAILED: ${msg}\n`);
  process.exit(1);
};
const sha = (...parts) => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p).update('\0');
  return h.digest('hex');
};

const target = resolveTarget('pty');
const missing = target.files.filter((f) => !existsSync(f));
if (missing.length) fail(`missing ${missing.map((f) => relative(root, f)).join(', ')}`);
let sizing;
try {
  sizing = boardSizing(BOARD).nic;
} catch (err) {
  fail(err.message);
}
// CLOCKS_PER_MS: the model's nominal clock for 1 Gb/s at its width (not the slow PTY clock)
const params = { CLK_HZ: PTY_CLK_HZ, BAUD: PTY_BAUD, ...sizing, CLOCKS_PER_MS: { 8: 125000, 32: 31250, 64: 15625 }[sizing.DATA_WIDTH] };
const dataWidth = params.DATA_WIDTH;

const verilatorVersion = spawnSync('verilator', ['--version'], { encoding: 'utf8' }).stdout?.trim() ?? '';
if (!verilatorVersion) fail('verilator is not installed (scripts/install.mjs installs it)');

const args = [
  '--cc', '--exe', '--build', '-j', jobs, '-O3', '--x-assign', 'fast', '--x-initial', 'fast', '--noassert',
  '-Wno-fatal', ...Object.entries(params).map(([k, v]) => `-G${k}=${v}`),
  '-CFLAGS', `-DPTY_CLK_HZ=${PTY_CLK_HZ} -DPTY_BAUD=${PTY_BAUD} -DPTY_DATA_WIDTH=${dataWidth} -DPTY_MAX_FRAME=${params.MAX_FRAME}`,
  '-MAKEFLAGS', 'OPT_FAST=-O2 OPT_SLOW=-O1 OPT_GLOBAL=-O2',
  '--Mdir', mdir, ...verilatorArgs(target),
];
// every file the target reads (its sources, headers, C++ files, the manifest) and the sizing file
const stamp = sha(
  verilatorVersion,
  args.join(' '),
  ...[...target.files, SIZING_FILE].flatMap((f) => [relative(root, f), readFileSync(f)]),
);
if (!force && existsSync(binary) && existsSync(stampFile) && readFileSync(stampFile, 'utf8').trim() === stamp) {
  step('sipnic-pty-sim: up to date');
} else {
  const shown = Object.entries(params).map(([k, v]) => `${k}=${v}`).join(' ');
  step(`building ${relative(root, binary)} (PTY simulator: sipnic_nic with ${shown})`);
  rmSync(mdir, { recursive: true, force: true });
  mkdirSync(buildDir, { recursive: true });
  const r = spawnSync('verilator', args, { cwd: root, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  if (r.status !== 0) {
    process.stderr.write(r.stderr ?? '');
    fail(`verilator ${args.join(' ')} exited with ${r.status ?? r.signal}`);
  }
  // a new file renamed over the old one: a simulator still running keeps its own copy
  copyFileSync(join(mdir, 'Vsipnic_pty_top'), `${binary}.new`);
  renameSync(`${binary}.new`, binary);
  writeFileSync(stampFile, `${stamp}\n`);
}
