// LiteX's own host tools as the peer of the UART bridge: `litex_server --uart` on the PTY of
// the simulated NIC, and LiteX's RemoteClient (Python) talking to it over TCP, walk the
// register blocks, read and write SCRATCH, and see a flow entry that sipnic's CLI added with
// its reliable commands over the same line. LiteX (and pyserial) come from PyPI through the
// install step (scripts/board-tools.mjs); without them this file fails, it does not skip.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../host/src/cli/program.js';
import type { CliIO } from '../host/src/cli/context.js';
import { startPtySim, type PtySim } from '../host/src/sim/pty-sim.js';
import { BLOCKS } from '../host/src/driver/regs.generated.js';

const PYTHON = process.env.SIPNIC_PYTHON ?? 'python3';

// Walks the block chain from 0 through RemoteClient and answers one JSON object.
const CLIENT_PY = String.raw`
import json, sys
from litex import RemoteClient
port, scratch = int(sys.argv[1]), int(sys.argv[2], 0)
wb = RemoteClient(host="127.0.0.1", port=port)
wb.open()
blocks, addr = [], 0
while True:
    t, v, n = wb.read(addr), wb.read(addr + 4), wb.read(addr + 8)
    blocks.append({"addr": addr, "type": t, "version": v})
    if n == 0 or len(blocks) > 16:
        break
    addr = n
wb.write(0x1C, scratch)
out = {"blocks": blocks, "scratch": wb.read(0x1C)}
flow = next(b for b in blocks if b["type"] == int(sys.argv[3], 0))
out["flowCount"] = wb.read(flow["addr"] + int(sys.argv[4], 0))
wb.close()
print(json.dumps(out))
`;

interface LitexView {
  blocks: { addr: number; type: number; version: number }[];
  scratch: number;
  flowCount: number;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

async function waitForTcp(port: number, child: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`litex_server exited (${child.exitCode}): ${log()}`);
    const ok = await new Promise<boolean>((resolve) => {
      const c = connect(port, '127.0.0.1');
      c.once('connect', () => {
        c.destroy();
        resolve(true);
      });
      c.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`litex_server did not listen on ${port}: ${log()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const o = { out: '', err: '' };
  const io: CliIO = { stdout: (s) => void (o.out += s), stderr: (s) => void (o.err += s), stderrIsTTY: false, env: {} };
  const code = await run(args, io);
  return { code, ...o };
}

/** Runs litex_server on the PTY for the length of fn. */
async function withLitexServer<T>(pty: string, fn: (port: number) => Promise<T>): Promise<T> {
  const port = await freePort();
  let log = '';
  const child = spawn(PYTHON, ['-m', 'litex.tools.litex_server', '--uart', '--uart-port', pty, '--bind-port', String(port)], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.on('data', (d) => (log += d));
  child.stderr!.on('data', (d) => (log += d));
  try {
    await waitForTcp(port, child, () => log);
    return await fn(port);
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => (child.exitCode !== null ? r(null) : child.once('exit', r)));
  }
}

function litexView(port: number, scratch: number): LitexView {
  const r = spawnSync(PYTHON, ['-c', CLIENT_PY, String(port), `0x${scratch.toString(16)}`, `0x${BLOCKS.flow.type.toString(16)}`, `0x${BLOCKS.flow.registers.COUNT.offset.toString(16)}`], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  if (r.status !== 0) throw new Error(`RemoteClient failed (${r.status ?? r.signal}): ${r.stderr}`);
  return JSON.parse(r.stdout) as LitexView;
}

describe('LiteX host tools against the simulated UART bridge', () => {
  let sim: PtySim;

  beforeAll(async () => {
    const probe = spawnSync(PYTHON, ['-c', 'import litex, serial'], { encoding: 'utf8' });
    if (probe.status !== 0) throw new Error(`LiteX is not installed for ${PYTHON} (npm install fetches it: scripts/board-tools.mjs): ${probe.stderr}`);
    // the board's bridge forgets a half frame after 100 ms of silence; LiteX's tools send plain UARTBone
    // (no retry), so the simulator waits as long as the board does: a starved writer on a busy
    // machine must not lose a frame the board would have kept
    sim = await startPtySim({ silenceMs: 100 });
  });

  afterAll(async () => {
    await sim?.stop();
  });

  it('RemoteClient through litex_server walks the register blocks and writes/reads SCRATCH', async () => {
    const view = await withLitexServer(sim.path, async (port) => litexView(port, 0xc0ffee42));
    const expected = Object.values(BLOCKS).map((b) => [b.type, b.version]);
    expect(view.blocks.map((b) => [b.type, b.version])).toEqual(expected);
    expect(view.blocks[0].addr).toBe(0);
    expect(view.scratch).toBe(0xc0ffee42);
    expect(view.flowCount).toBe(0);
  });

  it("sees what sipnic's reliable commands wrote on the same line, and the other way round", async () => {
    const add = await cli(['flow', 'add', 'flow-type', 'tcp4', 'src-ip', '192.0.2.7', 'dst-ip', '10.0.0.1', 'src-port', '40001', 'dst-port', '80', 'action', '2', '--device', sim.path]);
    expect(add.err).toBe('');
    expect(add.code).toBe(0);
    const view = await withLitexServer(sim.path, async (port) => litexView(port, 0x5a5a0001));
    expect(view.flowCount).toBe(1);
    // SCRATCH as LiteX left it, read back by sipnic's reliable commands
    const read = await cli(['regs', 'read', 'core.SCRATCH', '--device', sim.path, '--json']);
    expect(read.code).toBe(0);
    expect(JSON.parse(read.out)).toMatchObject({ name: 'core.SCRATCH', value: 0x5a5a0001 });
  });
});
