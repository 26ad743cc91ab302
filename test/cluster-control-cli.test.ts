// `sipnic primary` and `sipnic monitor` as `sipnic cluster up` runs them, in-process: against a
// real `sipnic sim serve` (register bus socket), a frame port server on a Unix socket
// (serveFramePort with a recording handler) and a fake /proc directory. Ending the CLI's
// abort signal stands for SIGTERM (the same handler).
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSim as realCreateSim, type Sim, type SimOptions } from '../sim/addon.js';
import { run } from '../host/src/cli/program.js';
import type { CliIO } from '../host/src/cli/context.js';
import { queryPrimary } from '../host/src/cluster/control-protocol.js';
import { serveFramePort, type FramePortPeer, type FramePortServer } from '../host/src/cluster/frame-port-socket.js';
import { buildFrame } from './support/framegen.js';
import { createFakeSim } from './support/fake-sim.js';
import { until } from './support/until.js';

const createSim: (o: SimOptions) => Sim = process.env.SIPNIC_FAKE_SIM ? createFakeSim : realCreateSim;

const DIR = mkdtempSync(join(tmpdir(), 'sipnic-roles-'));
const BUS = join(DIR, 'bus.sock');
const FRAMES = join(DIR, 'frames.sock');
const CONTROL = join(DIR, 'primary.sock');
const SECRETS = join(DIR, 'secrets');
const PROC = join(DIR, 'proc');
const HEADER = '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n';

function io(extra: Partial<CliIO> = {}): CliIO & { output: { out: string; err: string } } {
  const output = { out: '', err: '' };
  return { output, stdout: (s) => void (output.out += s), stderr: (s) => void (output.err += s), stderrIsTTY: false, env: {}, createSim, ...extra };
}

async function cli(...args: string[]) {
  const i = io();
  const code = await run(['--socket', BUS, ...args], i);
  return { code, ...i.output };
}

/** Starts a long-running command; resolves once its stdout matches `ready`. */
async function background(args: string[], ready: RegExp) {
  const stop = new AbortController();
  const i = io({ signal: stop.signal });
  const done = run(['--socket', BUS, ...args], i);
  let exited: number | undefined;
  void done.then((c) => (exited = c));
  const start = Date.now();
  while (!ready.test(i.output.out)) {
    if (exited !== undefined) throw new Error(`${args[0]} exited ${exited}: ${i.output.err}`);
    if (Date.now() - start > 10_000) throw new Error(`${args[0]} not ready: ${i.output.err}`);
    await new Promise((r) => setTimeout(r, 10));
  }
  return { stop: () => stop.abort(), done, output: i.output };
}

// the adapter side of the frame port, recording what the roles ask for
const claims: number[] = [];
const requestWatchers = new Map<number, FramePortPeer>();
let frames: FramePortServer;
let sim: { stop(): void; done: Promise<number> };

beforeAll(async () => {
  sim = await background(['sim', 'serve'], /serving a simulated adapter/);
  frames = await serveFramePort(FRAMES, {
    hello: () => ({ server: 'sipnic-frame-port', version: 1, processors: 3, queues: 8 }),
    claimQueue: (_p, q) => void claims.push(q),
    releaseQueue: () => {},
    watchConnectionRequests: (peer, q) => void requestWatchers.set(q, peer),
    watchConnectionOpens: () => {},
    deliver: () => {},
    transmit: () => {},
    stats: () => ({}),
    disconnected: () => {},
  });
  writeFileSync(SECRETS, '# processor secret\n1 aaaa\n2 bbbb\n3 cccc\n');
  mkdirSync(join(PROC, 'net'), { recursive: true });
  mkdirSync(join(PROC, 'sys/net/ipv4'), { recursive: true });
  for (const f of ['tcp', 'tcp6', 'udp', 'udp6']) writeFileSync(join(PROC, 'net', f), HEADER);
  writeFileSync(join(PROC, 'sys/net/ipv4/ip_local_port_range'), '40000\t44999\n');
});

afterAll(async () => {
  await frames?.close();
  sim?.stop();
  expect(await sim.done).toBe(0);
  rmSync(DIR, { recursive: true, force: true });
});

// host pinning: the monitor pins each connection from the SYN copy the frame port gives it
const PRIMARY_ARGS = ['primary', '--pinning', 'host', '--frames', FRAMES, '--ip', '10.0.0.1', '--mac', '02:00:00:00:00:01', '--processors', '3', '--secrets', SECRETS, '--control', `unix:${CONTROL}`, '--heartbeat-timeout', '400'];
const MONITOR_ARGS = ['monitor', '--primary', `unix:${CONTROL}`, '--processor', '1', '--secret-file', SECRETS, '--frames', FRAMES, '--proc', PROC, '--poll', '20', '--grace', '60000'];

describe('sipnic primary / sipnic monitor', () => {
  it('--help names every flag `cluster up` passes', async () => {
    const p = await cli('primary', '--help');
    expect(p.code).toBe(0);
    for (const flag of ['--frames', '--ip', '--mac', '--processors', '--secrets', '--control', '--heartbeat-timeout', '--reclaim', '--socket']) expect(p.out).toContain(flag);
    const m = await cli('monitor', '--help');
    expect(m.code).toBe(0);
    for (const flag of ['--primary', '--processor', '--secret-file', '--frames', '--share', '--port-range', '--poll', '--proc']) expect(m.out).toContain(flag);
  });

  it('bad or missing flags are named', async () => {
    const missing = await cli('primary', '--frames', FRAMES);
    expect(missing.code).toBe(2);
    expect(missing.err).toMatch(/required option '--ip <addr>'/);
    const badMac = await cli(...PRIMARY_ARGS.map((a) => (a === '02:00:00:00:00:01' ? '02:00:00:00:01' : a)));
    expect(badMac.code).toBe(2);
    expect(badMac.err).toMatch(/bad MAC address "02:00:00:00:01"/);
    const badControl = await cli('monitor', ...MONITOR_ARGS.slice(1).map((a) => (a === `unix:${CONTROL}` ? 'localhost' : a)));
    expect(badControl.code).toBe(2);
    expect(badControl.err).toMatch(/HOST:PORT/);
  });

  it('no frame port: a clear error, exit 1', async () => {
    const r = await cli(...PRIMARY_ARGS.map((a) => (a === FRAMES ? join(DIR, 'none.sock') : a)));
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/no cluster adapter at .*none\.sock/);
  });

  it('runs as cluster up starts them: listen and connection request reach the table; SIGTERM ends both cleanly; the table stays', async () => {
    const primary = await background(PRIMARY_ARGS, /sipnic primary: serving unix:/);
    expect(claims).toEqual([0]);
    const monitor = await background(MONITOR_ARGS, /sipnic monitor: processor 1 connected/);
    expect(monitor.output.err).toMatch(/processor 1: connected to the primary at unix:.*, local ports 40000-44999/);

    // the server starts listening on 0.0.0.0:80
    writeFileSync(join(PROC, 'net/tcp'), HEADER + '   0: 00000000:0050 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1234 1 0000000000000000 100 0 0 10 0\n');
    await until('the listen', async () => ((await queryPrimary(`unix:${CONTROL}`, { op: 'stats' })).listens as unknown[]).length === 1);
    // the adapter copies a SYN to the monitor
    await until('the monitor watching', async () => requestWatchers.has(1));
    requestWatchers.get(1)!.send('connection-request', 1, buildFrame({ family: 4, proto: 'tcp', src: '192.0.2.7', dst: '10.0.0.1', srcPort: 40001, dstPort: 80 }, { flags: 0x02 }));
    await until('the flow', async () => (await queryPrimary(`unix:${CONTROL}`, { op: 'stats' })).flows === 1);
    // 100 more, one after the other, for the latency through the socket bus
    for (let i = 0; i < 100; i++) {
      requestWatchers.get(1)!.send('connection-request', 1, buildFrame({ family: 4, proto: 'tcp', src: '192.0.2.7', dst: '10.0.0.1', srcPort: 41000 + i, dstPort: 80 }, { flags: 0x02 }));
      await until('the flow', async () => (await queryPrimary(`unix:${CONTROL}`, { op: 'stats' })).flows === i + 2);
    }
    type Stats = { processors: { processor: number; monitor: { ruleInstallMs: { count: number; p50: number; p99: number; max: number } } | null }[] };
    const latency = await until('the monitor reporting 101 samples', async () => {
      const r = ((await queryPrimary(`unix:${CONTROL}`, { op: 'stats' })) as Stats).processors.find((p) => p.processor === 1)?.monitor?.ruleInstallMs;
      return r?.count === 101 ? r : undefined;
    });
    console.log(`ruleInstallMs through the CLI roles and the sim serve socket bus (101 requests): p50 ${latency.p50} ms, p99 ${latency.p99} ms, max ${latency.max} ms`);

    monitor.stop();
    expect(await monitor.done, monitor.output.err).toBe(0);
    expect(monitor.output.err).toMatch(/stopping \(abort\)/);
    primary.stop();
    expect(await primary.done).toBe(0);
    expect(existsSync(CONTROL)).toBe(false);
    expect(primary.output.err).toMatch(/processor 1: listen tcp port 80/);

    // the rules outlive the processes that made them
    const listens = JSON.parse((await cli('listen', 'list', '--json')).out);
    expect(listens.listens).toEqual([expect.objectContaining({ dstIp: '10.0.0.1', dstPort: 80, action: 1 })]);
    const flows = JSON.parse((await cli('flow', 'list', '--json')).out);
    expect(flows.count).toBe(101);
    expect(flows.flows).toContainEqual(expect.objectContaining({ srcIp: '192.0.2.7', srcPort: 40001, dstPort: 80, action: 1 }));

    // a restarted primary finds them (and says so)
    const again = await background(PRIMARY_ARGS, /sipnic primary: serving/);
    expect(again.output.err).toMatch(/registry rebuilt from the adapter: 101 flows, 1 listen rules held by processors 1/);
    again.stop();
    expect(await again.done).toBe(0);
  });

  it('a monitor with the wrong secret exits 1 and says why', async () => {
    const primary = await background(PRIMARY_ARGS, /sipnic primary: serving/);
    writeFileSync(join(DIR, 'wrong'), 'not-the-secret\n');
    const r = await cli(...MONITOR_ARGS.map((a) => (a === SECRETS ? join(DIR, 'wrong') : a)));
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/hello refused for processor 1/);
    primary.stop();
    expect(await primary.done).toBe(0);
  });
});
