#!/usr/bin/env node
// A board's sizing for the scripts: host/src/board/sizing.json (declared there once; the
// TypeScript board build reads the same file through host/src/board/boards.ts).
//   node scripts/board-sizing.mjs BOARD PART [NAME=VALUE ...]
// prints PART's parameters (nic: sipnic_nic's sizing; board: the top's own) as NAME=VALUE lines,
// with the given overrides applied (a NAME the part does not have is an error).
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
export const SIZING_FILE = join(root, 'host', 'src', 'board', 'sizing.json');

/** { nic: {NAME: value}, board: {NAME: value} } of a board. */
export function boardSizing(id) {
  const all = JSON.parse(readFileSync(SIZING_FILE, 'utf8'));
  const sizing = all[id];
  if (!sizing) throw new Error(`no sizing for board "${id}" in host/src/board/sizing.json (boards: ${Object.keys(all).join(', ')})`);
  return sizing;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const [id, part, ...overrides] = process.argv.slice(2);
  try {
    const sizing = boardSizing(id);
    if (!sizing[part]) throw new Error(`board ${id} has no part "${part}" (nic, board)`);
    const params = { ...sizing[part] };
    for (const o of overrides) {
      const m = /^([A-Z_][A-Z0-9_]*)=(-?\d+)$/.exec(o);
      if (!m || params[m[1]] === undefined) throw new Error(`bad override ${o} (a NAME=number of ${part}: ${Object.keys(params).join(', ')})`);
      params[m[1]] = Number(m[2]);
    }
    process.stdout.write(Object.entries(params).map(([k, v]) => `${k}=${v}\n`).join(''));
  } catch (err) {
    process.stderr.write(`scripts/board-sizing.mjs: ${err.message}\n`);
    process.exit(2);
  }
}
