#!/usr/bin/env node
// Lints the RTL with Verilator -Wall: the core, the board's NIC (core + UART bridge + egress) and
// the egress block and the source MAC rewrite on their own at every supported data width, and the board top at the board's
// sizing (host/src/board/sizing.json) with the ECP5 simulation models (sim/ecp5). Sources from
// rtl/manifest.mjs. Exits non-zero on any warning.
import { spawnSync } from 'node:child_process';
import { resolveTarget, verilatorArgs } from '../rtl/manifest.mjs';
import { boardSizing } from './board-sizing.mjs';

const board = boardSizing('colorlight-5a-75b-v8');
const runs = [
  ...['core', 'nic', 'egress', 'src_rewrite'].flatMap((t) => [8, 32, 64].map((w) => ({ target: t, params: { DATA_WIDTH: w } }))),
  // without the learning engine (LEARNING=0: the area of a core without it)
  { target: 'core', params: { DATA_WIDTH: 32, LEARNING: 0 } },
  // the board top as sized (the learning engine, IPv4 only) and its dual-stack variant (board build --ipv6)
  { target: 'board', params: { ...board.nic, ...board.board } },
  { target: 'board', params: { ...board.nic, ...board.board, LEARNING: 0, IPV6: 1 } },
  // IPv4 only (IPV6=0: a 70-bit flow key), with and without the learning engine
  { target: 'core', params: { DATA_WIDTH: 32, IPV6: 0 } },
  { target: 'core', params: { DATA_WIDTH: 32, LEARNING: 0, IPV6: 0 } },
];
let failed = 0;
for (const { target, params } of runs) {
  const t = resolveTarget(target);
  const args = ['--lint-only', '-Wall', ...Object.entries(params).map(([k, v]) => `-G${k}=${v}`), ...verilatorArgs(t)];
  const run = spawnSync('verilator', args, { encoding: 'utf8' });
  if (run.error) {
    console.error(`verilator not found (${run.error.message}); run npm install`);
    process.exit(2);
  }
  const ok = run.status === 0 && !/%Warning|%Error/.test(run.stderr);
  const shown = target === 'board' ? `board sizing${params.LEARNING !== board.nic.LEARNING ? ` LEARNING=${params.LEARNING}` : ''}${params.IPV6 !== undefined && params.IPV6 !== board.nic.IPV6 ? ` IPV6=${params.IPV6}` : ''}` : Object.entries(params).map(([k, v]) => `${k}=${v}`).join(' ');
  console.error(`lint ${t.top} ${shown}: ${ok ? 'clean' : 'FAILED'}`);
  if (!ok) {
    failed++;
    process.stderr.write(run.stderr);
  }
}
process.exit(failed ? 1 : 0);
