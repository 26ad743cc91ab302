// `cluster up|demo --board-sim`: the board simulator (`sim serve --board`) in front of network
// namespaces set up as the hosts of docs/deploy.md — the client on port 0, a bridge on port 1
// with the primary's host and each processor's host — so that nothing reaches into the simulator
// but its two TAPs and its PTY. Needs root (namespaces, TAP devices); skipped with a message
// otherwise. Every block checks that `cluster down` leaves no namespace, link or process.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryPrimary } from '../host/src/cluster/control-protocol.js';
import type { DemoResult } from '../host/src/cluster/demo.js';
import type { ClusterState } from '../host/src/cluster/netns.js';
import { BIN, ROOT, sipnic, sipnicJson } from './support/sipnic-process.js';
import { pingFrom } from './support/ping.js';
import { leftovers, namespaceSkipReason, until } from './support/cluster-ns.js';

const execFileP = promisify(execFile);

const skipReason = namespaceSkipReason('test/cluster-board-sim.test.ts');
const boardSim = describe.skipIf(skipReason !== '');

const BAUD = 115200;
const CLUSTER_IP = '10.77.0.1';
const CLUSTER_MAC = '02:53:4e:00:00:01';

const sh = (cmd: string, ...args: string[]) => execFileP(cmd, args, { encoding: 'utf8', timeout: 30_000 });

/** One HTTP request on one TCP connection; prints the client's port and the processor that answered. */
const HTTP_PY = [
  'import socket, sys, json',
  's = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=10)',
  "s.sendall(b'GET /c/7/1000 HTTP/1.1\\r\\nHost: x\\r\\nConnection: close\\r\\n\\r\\n')",
  "d = b''",
  'while True:',
  '    c = s.recv(65536)',
  '    if not c: break',
  '    d += c',
  "head = d.split(b'\\r\\n\\r\\n')[0].decode()",
  "proc = [l.split(':')[1].strip() for l in head.split('\\r\\n') if l.lower().startswith('x-sipnic-processor')]",
  "print(json.dumps({'port': s.getsockname()[1], 'status': head.split(' ')[1], 'processor': int(proc[0]) if proc else None, 'bytes': len(d)}))",
].join('\n');

boardSim('cluster up --board-sim: namespaces as hosts in front of the board simulator', () => {
  const name = `sipnicb${process.pid % 10000}`;
  // made when the block runs (not when the file is collected: a filtered or listed run would leave it)
  let stateDir = '';
  let control = '';
  const client = `${name}-client`;
  let up: { processes: { role: string; pid: number }[] };

  const state = () => JSON.parse(readFileSync(join(stateDir, 'state.json'), 'utf8')) as ClusterState;
  // the primary also serves the control protocol on a Unix socket in the state folder (paths work across namespaces)
  const primaryStats = (): Promise<any> => queryPrimary(`unix:${control}`, { op: 'stats' }, 5000);

  beforeAll(async () => {
    stateDir = mkdtempSync(join(tmpdir(), 'sipnic-cluster-board-sim-'));
    control = join(stateDir, 'control.sock');
    up = await sipnicJson(['--baud', String(BAUD), 'cluster', 'up', '--board-sim', '--processors', '2', '--name', name, '--state-dir', stateDir]);
  }, 300_000);

  afterAll(async () => {
    if (!stateDir) return;
    await sipnic(['cluster', 'down', '--name', name, '--state-dir', stateDir]);
    rmSync(stateDir, { recursive: true, force: true });
  }, 120_000);

  it('runs the simulator, the primary in its own namespace and a monitor per processor; only the TAPs were in the root namespace', async () => {
    expect(up.processes.map((p) => p.role)).toEqual(['board-sim', 'primary', 'monitor-1', 'monitor-2']);
    const s = state();
    expect(s.taps).toEqual([`${name}-b0`, `${name}-b1`]);
    expect(s.pty).toMatch(/^\/dev\/pts\/\d+$/);
    expect(s.processes.find((p) => p.role === 'primary')?.namespace).toBe(`${name}-primary`);
    const root = (await sh('ip', '-o', 'link', 'show')).stdout;
    expect(root).not.toContain(`${name}-b0`); // moved into the client namespace
    expect(root).not.toContain(`${name}-b1`); // moved onto the LAN's bridge
    const lan = (await sh('ip', '-n', `${name}-lan`, '-o', 'link', 'show', 'master', 'sn-switch')).stdout;
    for (const port of [`${name}-b1`, 'sn-primary', 'sn-p1', 'sn-p2']) expect(lan).toContain(`${port}`);
    // each processor as docs/deploy.md: the cluster address on lo, arp_ignore=1, the client network on-link from it
    for (const p of [1, 2]) {
      const ns = `${name}-p${p}`;
      expect((await sh('ip', '-n', ns, '-o', 'addr', 'show', 'dev', 'lo')).stdout).toContain(`${CLUSTER_IP}/32`);
      expect((await sh('ip', 'netns', 'exec', ns, 'sysctl', '-n', 'net.ipv4.conf.sn-lan.arp_ignore')).stdout.trim()).toBe('1');
      expect((await sh('ip', '-n', ns, 'route', 'show', '10.77.0.0/24')).stdout).toMatch(/dev sn-lan .*src 10\.77\.0\.1/);
    }
    expect((await sh('ip', 'netns', 'exec', `${name}-primary`, 'sysctl', '-n', 'net.ipv4.ip_forward')).stdout.trim()).toBe('0');
    // status asks the primary on its Unix socket; no adapter process here
    const status = await sipnicJson(['cluster', 'status', '--name', name, '--state-dir', stateDir]);
    expect(status.boardSim).toMatchObject({ baud: BAUD, taps: [`${name}-b0`, `${name}-b1`], pty: s.pty });
    expect(status.adapter).toBeNull();
    expect(status.primary.processors.map((p: { connected: boolean }) => p.connected)).toEqual([true, true]);
  }, 60_000);

  it('the primary answers ARP and ping for the cluster address through the design', async () => {
    const before = await primaryStats();
    const { summary } = await pingFrom(client, CLUSTER_IP, { n: 3 });
    expect(summary).toBe('3/3');
    expect((await sh('ip', '-n', client, 'neigh', 'show', CLUSTER_IP)).stdout).toContain(CLUSTER_MAC);
    const after = await primaryStats();
    expect(after.counters.echoReplies - before.counters.echoReplies).toBe(3);
    expect(after.counters.arpReplies).toBeGreaterThanOrEqual(1);
    expect(after.serial).toMatchObject({ baud: BAUD, failures: 0 });
  }, 60_000);

  it('a TCP connection to the shared port is served by a processor, its exact rule in the table (flow list once the primary is stopped)', async () => {
    for (const p of [1, 2]) {
      // started like the demo's servers; `cluster down` stops whatever runs in the namespaces
      execFile('ip', ['netns', 'exec', `${name}-p${p}`, process.execPath, BIN, 'cluster', 'demo-server', '--processor', String(p), '--host', CLUSTER_IP, '--ports', '8080'], { cwd: ROOT }).unref();
    }
    await until('both processors listening on 8080 with the primary', async () => (await primaryStats())?.listens?.some((l: { port: number; members: number[] }) => l.port === 8080 && l.members.length === 2) ?? false);
    const { stdout } = await sh('ip', 'netns', 'exec', client, 'python3', '-c', HTTP_PY, CLUSTER_IP, '8080');
    const conn = JSON.parse(stdout) as { port: number; status: string; processor: number; bytes: number };
    expect(conn.status).toBe('200');
    expect([1, 2]).toContain(conn.processor);
    // the processor resolved the client by ARP with the cluster address as sender; the board's
    // source rewrite gave that request (and the replies) the cluster MAC, so the client still
    // has the cluster MAC for the cluster address (without the rewrite: the processor's MAC)
    expect((await sh('ip', '-n', client, 'neigh', 'show', CLUSTER_IP)).stdout).toContain(CLUSTER_MAC);
    // hardware pinning (the default): the board learned it from its SYN; the primary's stats count it, and no monitor asked for a rule
    await until('the connection learned by the board', async () => ((await primaryStats()).learning?.learned ?? 0) >= 1);
    expect(((await primaryStats()).processors as { flows: number }[]).map((p) => p.flows)).toEqual([0, 0]);
    const primary = state().processes.find((p) => p.role === 'primary')!;
    process.kill(-primary.pid, 'SIGTERM');
    await until('the primary to stop (it holds the serial line)', () => !existsSync(`/proc/${primary.pid}`) || readFileSync(`/proc/${primary.pid}/stat`, 'utf8').includes(') Z'), 30_000);
    const table = await sipnicJson<{ flows: { srcIp: string; srcPort: number; dstIp: string; dstPort: number; action: number; flowType: string; origin?: string }[] }>(['--device', state().pty!, '--baud', String(BAUD), 'flow', 'list']);
    expect(table.flows).toContainEqual(expect.objectContaining({ flowType: 'tcp4', srcIp: '10.77.0.100', srcPort: conn.port, dstIp: CLUSTER_IP, dstPort: 8080, action: conn.processor, origin: 'learned' }));
  }, 120_000);

  it('cluster down leaves no namespace, link or process of it', async () => {
    const down = await sipnicJson(['cluster', 'down', '--name', name, '--state-dir', stateDir]);
    expect(down.leftover).toEqual({ namespaces: [], links: [] });
    expect(down.namespacesRemoved.sort()).toEqual([`${name}-client`, `${name}-lan`, `${name}-p1`, `${name}-p2`, `${name}-primary`]);
    await until('nothing of the cluster left', async () => (await leftovers(name, stateDir)).length === 0, 15_000).catch(async (err) => {
      throw new Error(`${(err as Error).message}: ${(await leftovers(name, stateDir)).join('; ')}`);
    });
  }, 120_000);
});

boardSim('cluster up --board-sim failing half-way', () => {
  it('removes what it made: the simulator, its TAPs, the namespaces, the bridge', async () => {
    const name = `sipnicf${process.pid % 10000}`;
    const stateDir = mkdtempSync(join(tmpdir(), 'sipnic-cluster-board-fail-'));
    try {
      // 'lan': after the simulator started and port 0 moved, while the hosts' veths are made
      const r = await sipnic(['cluster', 'up', '--board-sim', '--processors', '2', '--name', name, '--state-dir', stateDir], { env: { SIPNIC_CLUSTER_FAIL_AT: 'lan' } });
      expect(r.code).not.toBe(0);
      expect(r.err).toMatch(/forced failure at lan/);
      expect(r.err).toMatch(/removing what was made/);
      await until('nothing of the cluster left', async () => (await leftovers(name, stateDir)).length === 0, 15_000).catch(async (err) => {
        throw new Error(`${(err as Error).message}: ${(await leftovers(name, stateDir)).join('; ')}`);
      });
    } finally {
      await sipnic(['cluster', 'down', '--name', name, '--state-dir', stateDir]);
      rmSync(stateDir, { recursive: true, force: true });
    }
  }, 120_000);
});

boardSim('cluster demo --board-sim: host and hardware pinning', () => {
  const demo = async (pinning: 'host' | 'hardware'): Promise<DemoResult> => {
    const name = `sipnicd${process.pid % 10000}`;
    const stateDir = mkdtempSync(join(tmpdir(), 'sipnic-cluster-board-demo-'));
    try {
      const r = await sipnicJson<DemoResult>(['--baud', String(BAUD), 'cluster', 'demo', '--board-sim', '--pinning', pinning, '--processors', '3', '--connections', '300', '--name', name, '--state-dir', stateDir], { timeoutMs: 600_000 });
      console.log(`test/cluster-board-sim.test.ts: demo at ${BAUD} baud, ${pinning} pinning: ${JSON.stringify({ connectionsPerSecond: r.connectionsPerSecond, fastPathFraction: r.frames.fastPathFraction, pinning: r.pinning, ruleInstallMs: { p50: r.ruleInstallMs.p50, p99: r.ruleInstallMs.p99, samples: r.ruleInstallMs.samples, unanswered: r.ruleInstallMs.unanswered }, serial: r.serial, rulesCaughtUp: r.rulesCaughtUp, connectionMs: r.connectionMs })}`);
      expect(r.connections).toMatchObject({ attempted: 300, ok: 300, failed: 0 });
      for (const p of ['1', '2', '3']) {
        expect(r.byProcessor[p].sharedPort, `processor ${p} on the shared port`).toBeGreaterThan(0);
        expect(r.byProcessor[p].ownPort).toBe(75); // connection i goes to ports[i % 4]: 8080, 8001, 8002, 8003
      }
      expect(r.leftover).toEqual({ namespaces: 0, links: 0, names: [] });
      // the keys of the one-machine demo, and the serial line's
      for (const k of ['connections', 'byProcessor', 'frames', 'ruleInstallMs', 'connectionMs', 'elapsedMs', 'leftover']) expect(r, k).toHaveProperty(k);
      expect(r.serial).toMatchObject({ baud: BAUD, commands: expect.any(Number), bytes: expect.any(Number), busyFraction: expect.any(Number) });
      expect(r.serial!.busyFraction).toBeLessThanOrEqual(1.05); // the line's pace: ±5% of the baud in wall time
      expect(r.rulesCaughtUp?.afterClientMs, 'the flow changes drained after the run').not.toBeNull();
      expect(r.frames.fastPath).toBeGreaterThanOrEqual(300); // every SYN at least, by its listen rule
      expect(r.connectionsPerSecond).toBeGreaterThan(0);
      expect(await leftovers(name, stateDir)).toEqual([]);
      return r;
    } finally {
      await sipnic(['cluster', 'down', '--name', name, '--state-dir', stateDir]);
      rmSync(stateDir, { recursive: true, force: true });
    }
  };

  it('host pinning, 3 processors, 300 connections: all answered; the exact rules go over the line, behind the connections', async () => {
    const r = await demo('host');
    expect(r.pinning).toMatchObject({ mode: 'host', leftToAdapter: 0 });
    expect(r.serial!.commands).toBeGreaterThan(0);
    expect(r.serial!.busyFraction).toBeGreaterThan(0);
    // the line falls behind the connections: the rules come in after the client's run, within the demo's wait
    expect(r.rulesCaughtUp!.serial!.commands).toBeGreaterThanOrEqual(300); // at least one table command per connection
    // the installs answered (latency samples) and those the monitors gave up waiting for: each connection's once at most
    expect(r.ruleInstallMs.samples).toBeGreaterThan(0);
    expect(r.ruleInstallMs.samples + r.ruleInstallMs.unanswered).toBeLessThanOrEqual(300);
  }, 600_000);

  it('hardware pinning, the same demo: the board learns every connection; ≥ 0.999 of the frames on the fast path, no exact rule over the line', async () => {
    const r = await demo('hardware');
    expect(r.pinning).toMatchObject({ mode: 'hardware', hostPinsPerConnection: 0, pinnedByRequest: 0, pinnedByPoll: 0 });
    const learning = r.pinning!.learning as { learned: number; refused: Record<string, number> };
    // 300 incoming connections; the demo's ARP and its own port's connections aside, every SYN learned
    expect(learning.learned).toBeGreaterThanOrEqual(300);
    expect(learning.refused).toEqual({ exact: 0, quota: 0, full: 0, busy: 0 });
    expect(r.frames.viaPrimary).toBe(0);
    expect(r.frames.fastPathFraction).toBeGreaterThanOrEqual(0.999);
    expect(r.ruleInstallMs.samples).toBe(0);
    // the line carries no table change: the flow changes of the run are none
    expect(r.rulesCaughtUp!.flowChangesPerSecond).toBe(0);
    // the primary followed the board's learned entries over the line (its event queue): every record read, none lost
    expect(r.pinning!.events).toMatchObject({ resyncs: 0, errors: 0 });
    expect(r.pinning!.events!.read).toBeGreaterThanOrEqual(300);
  }, 600_000);
});

boardSim('cluster demo --board-sim: long connections', () => {
  it('long connections (≥ 100 frames each from the client): ≥ 99% of their frames take the fast path', async () => {
    const name = `sipnicl${process.pid % 10000}`;
    const stateDir = mkdtempSync(join(tmpdir(), 'sipnic-cluster-board-long-'));
    try {
      const r = await sipnicJson<DemoResult>(['--baud', String(BAUD), 'cluster', 'demo', '--board-sim', '--processors', '3', '--connections', '24', '--bytes', '2000000', '--concurrency', '4', '--name', name, '--state-dir', stateDir], { timeoutMs: 900_000 });
      const frames = r.frames.fastPath + r.frames.viaPrimary;
      console.log(`test/cluster-board-sim.test.ts: long connections at ${BAUD} baud: ${r.frames.fastPath} of ${frames} frames on the fast path (${((r.frames.fastPathFraction ?? 0) * 100).toFixed(2)}%), ${(frames / 24).toFixed(0)} frames per connection; ${JSON.stringify({ perProcessor: r.frames.perProcessor, ruleInstallMs: { p50: r.ruleInstallMs.p50, p99: r.ruleInstallMs.p99 }, serial: r.serial })}`);
      expect(r.connections).toMatchObject({ attempted: 24, ok: 24, failed: 0 });
      expect(frames / 24).toBeGreaterThanOrEqual(100);
      expect(r.frames.fastPathFraction).toBeGreaterThanOrEqual(0.99);
      expect(r.leftover).toEqual({ namespaces: 0, links: 0, names: [] });
      expect(await leftovers(name, stateDir)).toEqual([]);
    } finally {
      await sipnic(['cluster', 'down', '--name', name, '--state-dir', stateDir]);
      rmSync(stateDir, { recursive: true, force: true });
    }
  }, 900_000);
});
