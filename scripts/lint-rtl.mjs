#!/usr/bin/env node
// Lints the RTL with Verilator -Wall at every supported data width, with the core and with the
// board's NIC (core + UART bridge + egress) as top; exits non-zero on any warning.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const sources = readdirSync(join(root, 'rtl')).filter((f) => f.endsWith('.v')).sort().map((f) => join('rtl', f));
let failed = 0;
for (const [top, width] of ['sipnic_core', 'sipnic_nic'].flatMap((t) => [8, 32, 64].map((w) => [t, w]))) {
  const args = ['--lint-only', '-Wall', '-Irtl', '--top-module', top, `-GDATA_WIDTH=${width}`, ...sources];
  const run = spawnSync('verilator', args, { cwd: root, encoding: 'utf8' });
  if (run.error) {
    console.error(`verilator not found (${run.error.message}); run npm install`);
    process.exit(2);
  }
  const ok = run.status === 0 && !/%Warning|%Error/.test(run.stderr);
  console.error(`lint ${top} DATA_WIDTH=${width}: ${ok ? 'clean' : 'FAILED'}`);
  if (!ok) {
    failed++;
    process.stderr.write(run.stderr);
  }
}
process.exit(failed ? 1 : 0);
