#!/usr/bin/env node
// Builds host/native (the TAP addon the one-machine cluster uses: host/native/tap.cpp, and the
// AF_PACKET sockets of the roles' --interface: packet.cpp) with
// node-gyp configure + build; skipped when nothing it reads changed. Called by install.mjs;
// SIPNIC_FORCE=1 rebuilds. Linux only: elsewhere it says so and leaves the cluster out.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dir = join(root, 'host', 'native');
const addon = join(dir, 'build', 'Release', 'sipnic_tap.node');
const step = (msg) => process.stderr.write(`sipnic install: ${msg}\n`);
const fail = (msg) => {
  process.stderr.write(`sipnic install: FAILED: ${msg}\n`);
  process.exit(1);
};

if (process.platform !== 'linux') {
  step('TAP addon: not Linux, skipped (the one-machine cluster needs Linux)');
  process.exit(0);
}
const inputs = ['binding.gyp', 'tap.cpp', 'packet.cpp', 'packet.h', 'napi_util.h', 'frame_io.h'].map((f) => join(dir, f));
const h = createHash('sha256');
for (const p of [process.version, process.execPath, ...inputs.flatMap((f) => [relative(root, f), readFileSync(f)])]) h.update(p).update('\0');
const stamp = h.digest('hex');
const stampFile = join(dir, 'build', '.tap-stamp');
if (process.env.SIPNIC_FORCE !== '1' && existsSync(addon) && existsSync(stampFile) && readFileSync(stampFile, 'utf8').trim() === stamp) {
  step('TAP addon: up to date');
  process.exit(0);
}
let gyp;
try {
  gyp = createRequire(join(root, 'package.json')).resolve('node-gyp/bin/node-gyp.js');
} catch {
  fail('node-gyp is not installed (it is a dependency: run npm install)');
}
const prefix = dirname(dirname(process.execPath));
const nodedir = [process.env.npm_config_nodedir, '/usr', prefix].find((d) => d && existsSync(join(d, 'include', 'node', 'node_api.h')));
if (!nodedir) fail(`no Node headers (include/node/node_api.h) under /usr or ${prefix}`);
const common = [`--nodedir=${nodedir}`, '--directory', dir, '--loglevel=warn'];
for (const args of [['configure', ...common], ['build', ...common]]) {
  step(`TAP addon: node-gyp ${args[0]}`);
  const r = spawnSync(process.execPath, [gyp, ...args], { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.status !== 0) fail(`node-gyp ${args[0]} in host/native exited with ${r.status ?? r.signal}`);
}
if (!existsSync(addon)) fail(`node-gyp finished but ${relative(root, addon)} is missing`);
writeFileSync(stampFile, `${stamp}\n`);
