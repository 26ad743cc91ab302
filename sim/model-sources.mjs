#!/usr/bin/env node
// Prints the Verilated models' C++ files, relative to sim/, for binding.gyp's `sources`
// (run by gyp at configure time; scripts/install.mjs verilates them first).
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const sim = dirname(fileURLToPath(import.meta.url));
const files = [];
for (const width of [8, 32, 64]) {
  const dir = join('build', `obj_w${width}`);
  const prefix = `Vsipnic_w${width}`;
  const found = existsSync(join(sim, dir))
    ? readdirSync(join(sim, dir)).filter((f) => f.startsWith(prefix) && f.endsWith('.cpp')).sort()
    : [];
  if (!found.length) {
    process.stderr.write(`sim/${dir} has no ${prefix}*.cpp: run npm install (scripts/install.mjs verilates the RTL)\n`);
    process.exit(1);
  }
  for (const f of found) files.push(`${dir}/${f}`);
}
process.stdout.write(`${files.join('\n')}\n`);
