// The one-machine cluster end to end: real network namespaces, TAP devices, the Verilated
// adapter between them, real Linux TCP stacks on both sides. Needs root (namespaces and
// /dev/net/tun); skipped with a message otherwise. Each block uses its own cluster name and
// state folder, and checks that nothing of it is left.
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AdapterStats } from '../host/src/cluster/adapter.js';
import { FramePortClient } from '../host/src/cluster/frame-port-socket.js';
import type { DemoResult, ConnectionResult } from '../host/src/cluster/demo.js';
import { BIN, ROOT, sipnic, sipnicJson } from './support/sipnic-process.js';
import { pingFrom } from './support/ping.js';
import { expectOwnSourcePorts, namespaceSkipReason, OUT_CLIENT_JS, OUT_SERVER_JS, startIn, until } from './support/cluster-ns.js';

const execFileP = promisify(execFile);
const TAP_ADDON = join(ROOT, 'host', 'native', 'build', 'Release', 'sipnic_tap.node');

const skipReason = namespaceSkipReason('test/cluster.test.ts');
const cluster = describe.skipIf(skipReason !== '');

async function namespaces(): Promise<string[]> {
  const { stdout } = await execFileP('ip', ['netns', 'list']);
  return stdout.split('\n').map((l) => l.split(' ')[0]).filter(Boolean);
}

async function rootLinks(): Promise<string[]> {
  const { stdout } = await execFileP('ip', ['-o', 'link', 'show']);
  return stdout.split('\n').map((l) => /^\d+:\s+([^:@\s]+)/.exec(l)?.[1]).filter((x): x is string => Boolean(x));
}

/** Running, not a zombie (init may take a moment to reap what `cluster down` ended). */
const alive = (pid: number) => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat[stat.lastIndexOf(')') + 2] !== 'Z';
  } catch {
    return false;
  }
};

/** Processes whose command line mentions text (our state folders are unique). */
async function processesMentioning(text: string): Promise<string[]> {
  const { stdout } = await execFileP('ps', ['-eo', 'pid,args']);
  return stdout.split('\n').filter((l) => l.includes(text) && !l.includes('ps -eo'));
}

async function adapterStats(stateDir: string): Promise<AdapterStats> {
  const c = await FramePortClient.connect(join(stateDir, 'frames.sock'), 'test');
  try {
    return await c.stats<AdapterStats>();
  } finally {
    await c.close();
  }
}

/** Everything of cluster `name` is gone: namespaces, TAPs, processes, state. */
async function expectNothingLeft(name: string, stateDir: string, taps: string[] = []): Promise<void> {
  expect((await namespaces()).filter((n) => n.startsWith(`${name}-`))).toEqual([]);
  const links = await rootLinks();
  expect(taps.filter((t) => links.includes(t))).toEqual([]);
  expect(await processesMentioning(stateDir)).toEqual([]);
  expect(existsSync(join(stateDir, 'state.json'))).toBe(false);
}

/** One HTTP GET on a new TCP connection from a fixed local port, run inside the client namespace. */
async function getFromPort(ns: string, port: number, localPort: number, path: string, timeoutMs: number): Promise<{ ok: boolean; status?: number; processor?: number; bytes?: number; error?: string }> {
  const script = `
const net = require('node:net');
const s = net.connect({ host: '10.77.0.1', port: ${port}, localPort: ${localPort} });
const chunks = [];
const t = setTimeout(() => { console.log(JSON.stringify({ ok: false, error: 'timeout' })); process.exit(0); }, ${timeoutMs});
s.on('connect', () => s.write('GET ${path} HTTP/1.1\\r\\nHost: x\\r\\nConnection: close\\r\\n\\r\\n'));
s.on('data', (d) => chunks.push(d));
s.on('error', (e) => { clearTimeout(t); console.log(JSON.stringify({ ok: false, error: e.message })); });
s.on('end', () => {
  clearTimeout(t);
  const all = Buffer.concat(chunks); const i = all.indexOf('\\r\\n\\r\\n');
  const head = all.subarray(0, i).toString(); const body = all.subarray(i + 4);
  console.log(JSON.stringify({ ok: true, status: Number(head.split(' ')[1]), processor: Number((/x-sipnic-processor: (\\d+)/i.exec(head) || [])[1]), bytes: body.length, body: body.toString('base64') }));
});`;
  const { stdout } = await execFileP('ip', ['netns', 'exec', ns, process.execPath, '-e', script], { maxBuffer: 64 << 20 });
  return JSON.parse(stdout);
}


cluster('cluster up/down (data plane only)', () => {
  let dir = '';
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'sipnic-t-'));
  });
  afterAll(async () => {
    await sipnic(['cluster', 'down', '--name', 'sipnic-tu', '--state-dir', join(dir, 'a')]);
    await sipnic(['cluster', 'down', '--name', 'sipnic-tv', '--state-dir', join(dir, 'b')]);
    await sipnic(['cluster', 'down', '--name', 'sipnic-tw', '--state-dir', join(dir, 'c')]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('the TAP addon is built', () => {
    expect(existsSync(TAP_ADDON), `${TAP_ADDON} missing: npm install builds it (scripts/build-tap.mjs)`).toBe(true);
  });

  it('up makes namespaces, TAPs and the adapter; down removes all of it', async () => {
    const stateDir = join(dir, 'a');
    const up = await sipnicJson(['cluster', 'up', '--processors', '2', '--no-roles', '--name', 'sipnic-tu', '--state-dir', stateDir]);
    expect(up.namespaces).toEqual({ client: 'sipnic-tu-client', processors: ['sipnic-tu-p1', 'sipnic-tu-p2'] });
    expect((await namespaces()).filter((n) => n.startsWith('sipnic-tu-')).sort()).toEqual(['sipnic-tu-client', 'sipnic-tu-p1', 'sipnic-tu-p2']);
    const state = JSON.parse(readFileSync(join(stateDir, 'state.json'), 'utf8'));
    const adapterPid = state.processes.find((p: { role: string }) => p.role === 'adapter').pid;
    expect(alive(adapterPid)).toBe(true);
    // the TAPs live in their namespaces with the cluster's addresses, and are gone from the root
    const { stdout: p1 } = await execFileP('ip', ['-n', 'sipnic-tu-p1', '-br', 'addr', 'show', 'sn-p1']);
    expect(p1).toMatch(/10\.77\.0\.1\/24/);
    const { stdout: range } = await execFileP('ip', ['netns', 'exec', 'sipnic-tu-p2', 'sysctl', '-n', 'net.ipv4.ip_local_port_range']);
    expect(range.trim().split(/\s+/).map(Number)).toEqual([up.portRanges[1].low, up.portRanges[1].high]);
    expect(up.portRanges[0].high).toBeLessThan(up.portRanges[1].low);
    const links = await rootLinks();
    expect(state.taps.filter((t: string) => links.includes(t))).toEqual([]);
    // table commands reach the running adapter over its bus socket
    const flows = await sipnicJson(['--socket', join(stateDir, 'bus.sock'), 'flow', 'list']);
    expect(flows).toBeTruthy();
    const status = await sipnicJson(['cluster', 'status', '--name', 'sipnic-tu', '--state-dir', stateDir]);
    expect(status.processes.every((p: { alive: boolean }) => p.alive)).toBe(true);
    expect(status.adapter.processors).toHaveLength(2);

    const down = await sipnicJson(['cluster', 'down', '--name', 'sipnic-tu', '--state-dir', stateDir]);
    expect(down.leftover).toEqual({ namespaces: [], links: [] });
    expect(alive(adapterPid)).toBe(false);
    await expectNothingLeft('sipnic-tu', stateDir, state.taps);
  });

  it('a failure half-way up removes what was made', async () => {
    const stateDir = join(dir, 'b');
    const r = await sipnic(['cluster', 'up', '--processors', '2', '--no-roles', '--name', 'sipnic-tv', '--state-dir', stateDir], { env: { SIPNIC_CLUSTER_FAIL_AT: 'links' } });
    expect(r.code).not.toBe(0);
    expect(r.err).toMatch(/forced failure at links/);
    expect(r.err).toMatch(/removing what was made/);
    await expectNothingLeft('sipnic-tv', stateDir);
  });

  it('Ctrl-C half-way up removes what was made', async () => {
    const stateDir = join(dir, 'c');
    const child = spawn(process.execPath, [BIN, 'cluster', 'up', '--processors', '2', '--no-roles', '--name', 'sipnic-tw', '--state-dir', stateDir], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d) => {
      err += d;
      // the adapter is starting: the namespaces exist, the TAPs are being opened
      if (/adapter:/.test(err) && !child.killed) child.kill('SIGINT');
    });
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code).not.toBe(0);
    expect(err).toMatch(/interrupted|removing what was made/);
    await expectNothingLeft('sipnic-tw', stateDir);
  });
});

cluster('a TCP connection over the fast path with hand-installed rules', () => {
  let dir = '';
  let stateDir = '';
  let bus = '';
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sipnic-t-'));
    stateDir = join(dir, 'f');
    bus = join(stateDir, 'bus.sock');
    await sipnicJson(['cluster', 'up', '--processors', '2', '--no-roles', '--name', 'sipnic-tf', '--state-dir', stateDir]);
    const server = startIn('sipnic-tf-p1', ['cluster', 'demo-server', '--processor', '1', '--host', '10.77.0.1', '--ports', '8001']);
    await until('the server', () => /listening/.test(server.output()));
  });
  afterAll(async () => {
    await sipnic(['cluster', 'down', '--name', 'sipnic-tf', '--state-dir', stateDir]);
    await expectNothingLeft('sipnic-tf', stateDir);
    rmSync(dir, { recursive: true, force: true });
  });

  it('every frame of the connection takes the fast path into processor 1', async () => {
    await sipnicJson(['--socket', bus, 'listen', 'add', 'tcp4', 'dst-ip', '10.77.0.1', 'dst-port', '8001', 'action', '1']);
    await sipnicJson(['--socket', bus, 'flow', 'add', 'flow-type', 'tcp4', 'src-ip', '10.77.0.100', 'dst-ip', '10.77.0.1', 'src-port', '40001', 'dst-port', '8001', 'action', '1']);
    const before = await adapterStats(stateDir);
    const r = await getFromPort('sipnic-tf-client', 8001, 40001, '/c/7/50000', 5000);
    const after = await adapterStats(stateDir);
    expect(r).toMatchObject({ ok: true, status: 200, processor: 1, bytes: 50000 });
    const body = Buffer.from((r as { body?: string }).body ?? '', 'base64');
    const { demoBody } = await import('../host/src/cluster/demo.js');
    expect(body.equals(demoBody(7, 50000))).toBe(true);
    const fast = after.processors[0].fastPath - before.processors[0].fastPath;
    const wireIn = after.wire.received - before.wire.received;
    expect(fast).toBeGreaterThanOrEqual(5); // SYN, ACK, request, ACKs, FIN…
    expect(fast).toBe(wireIn); // every frame the client sent
    expect(after.processors[0].viaPrimary - before.processors[0].viaPrimary).toBe(0);
    expect(after.processors[1].fastPath - before.processors[1].fastPath).toBe(0);
    expect(after.unclaimedDrops - before.unclaimedDrops).toBe(0);
    expect(after.processors[0].transmitted - before.processors[0].transmitted).toBeGreaterThan(30); // 50 kB back
  });

  it('without the exact rule the handshake stalls (its ACK goes to queue 0, which nobody claims here)', async () => {
    const before = await adapterStats(stateDir);
    const r = await getFromPort('sipnic-tf-client', 8001, 40002, '/c/1/100', 1500);
    const after = await adapterStats(stateDir);
    expect(r.ok).toBe(false);
    expect(after.processors[0].fastPath - before.processors[0].fastPath).toBeGreaterThanOrEqual(1); // the SYN, by the listen rule
    expect(after.unclaimedDrops - before.unclaimedDrops).toBeGreaterThanOrEqual(1); // the ACK
  });
});

const withRoles = describe.skipIf(skipReason !== '');

withRoles('the cluster with its primary and monitors', () => {
  it('a failure after the primary and monitors started removes them too', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sipnic-t-'));
    const stateDir = join(dir, 'r');
    const r = await sipnic(['cluster', 'up', '--processors', '2', '--name', 'sipnic-tr', '--state-dir', stateDir], { env: { SIPNIC_CLUSTER_FAIL_AT: 'ready' } });
    expect(r.code).not.toBe(0);
    expect(r.err).toMatch(/monitor 2 in sipnic-tr-p2/);
    expect(r.err).toMatch(/stopping primary/);
    expect(r.err).toMatch(/forced failure at ready/);
    await expectNothingLeft('sipnic-tr', stateDir);
    rmSync(dir, { recursive: true, force: true });
  });

  it('ARP and ping of the cluster address are answered (by the primary)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sipnic-t-'));
    const stateDir = join(dir, 'p');
    try {
      await sipnicJson(['cluster', 'up', '--processors', '2', '--name', 'sipnic-tp', '--state-dir', stateDir]);
      // no static entry: the client must resolve 10.77.0.1 by ARP
      const { stdout: before } = await execFileP('ip', ['-n', 'sipnic-tp-client', 'neigh', 'show', '10.77.0.1']);
      expect(before.trim()).toBe('');
      // python3 is part of the install (scripts/install.mjs); its raw socket sends the echo requests
      const { summary } = await pingFrom('sipnic-tp-client', '10.77.0.1', { n: 3, waitS: 2 });
      expect(summary).toBe('3/3');
      const { stdout: after } = await execFileP('ip', ['-n', 'sipnic-tp-client', 'neigh', 'show', '10.77.0.1']);
      expect(after).toMatch(/lladdr 02:53:4e:00:00:01/);
      const s = await adapterStats(stateDir);
      expect(s.toClaimants).toBeGreaterThanOrEqual(2); // the ARP request and the echo requests reached the primary
      expect(s.wire.fromPrimary).toBeGreaterThanOrEqual(2);
    } finally {
      await sipnic(['cluster', 'down', '--name', 'sipnic-tp', '--state-dir', stateDir]);
      await expectNothingLeft('sipnic-tp', stateDir);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('demo: 3 processors, 300 connections, all answered, every processor serves the shared port, nothing left over', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sipnic-t-'));
    const r = await sipnicJson<DemoResult>(['cluster', 'demo', '--processors', '3', '--connections', '300', '--name', 'sipnic-td', '--state-dir', join(dir, 'd')]);
    rmSync(dir, { recursive: true, force: true });
    console.log(`demo 3×300: ${JSON.stringify({ connections: r.connections, byProcessor: r.byProcessor, frames: { fastPath: r.frames.fastPath, viaPrimary: r.frames.viaPrimary, fraction: r.frames.fastPathFraction }, ruleInstallMs: { p50: r.ruleInstallMs.p50, p99: r.ruleInstallMs.p99 } })}`);
    expect(r.connections).toMatchObject({ attempted: 300, ok: 300, failed: 0 });
    for (const p of ['1', '2', '3']) {
      expect(r.byProcessor[p].sharedPort, `processor ${p} on the shared port`).toBeGreaterThan(0);
      expect(r.byProcessor[p].ownPort).toBe(75); // connection i goes to ports[i % 4]: 8080, 8001, 8002, 8003
    }
    expect(r.leftover).toMatchObject({ namespaces: 0, links: 0 });
    expect(r.frames.fastPath).toBeGreaterThan(0);
  });

  it('long connections (≥ 100 frames each from the client): ≥ 99% of their frames take the fast path', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sipnic-t-'));
    const r = await sipnicJson<DemoResult>(['cluster', 'demo', '--processors', '3', '--connections', '24', '--bytes', '2000000', '--concurrency', '4', '--name', 'sipnic-tl', '--state-dir', join(dir, 'l')]);
    rmSync(dir, { recursive: true, force: true });
    const frames = r.frames.fastPath + r.frames.viaPrimary;
    console.log(`long connections: ${r.frames.fastPath} of ${frames} frames on the fast path (${((r.frames.fastPathFraction ?? 0) * 100).toFixed(2)}%), ${(frames / 24).toFixed(0)} frames per connection`);
    expect(r.connections).toMatchObject({ attempted: 24, ok: 24, failed: 0 });
    expect(frames / 24).toBeGreaterThanOrEqual(100);
    expect(r.frames.fastPathFraction).toBeGreaterThanOrEqual(0.99);
    expect(r.leftover).toMatchObject({ namespaces: 0, links: 0 });
  });

  // hardware (the default): the adapter learns each connection's reverse entry from the SYN the
  // processor sends (transmit side); host: the monitor pins it from its copy of that SYN
  it.each(['hardware', 'host'] as const)('outgoing connections from the processors (%s pinning): source ports in their own ranges, replies to the right processor, pinned before the data', async (pinning) => {
    const dir = mkdtempSync(join(tmpdir(), 'sipnic-t-'));
    const stateDir = join(dir, 'o');
    const name = pinning === 'hardware' ? 'sipnic-to' : 'sipnic-th';
    const bus = join(stateDir, 'bus.sock');
    const CLIENT_PORT = 9000;
    const CONNS = 4; // per processor, all at once
    const BYTES = 300_000; // ≥ 200 segments of ≤ 1448 bytes back to the processor
    type Out = { i: number; ok: boolean; localPort?: number; bytes?: number; error?: string };
    const frames = (s: AdapterStats, p: number) => s.processors[p - 1].fastPath + s.processors[p - 1].viaPrimary;
    // connections i = base…base+n-1 from inside a processor namespace, all at once; each body checked
    const connectFrom = async (p: number, base: number, n: number, bytes: number, holdMs: number): Promise<Out[]> => {
      const { stdout } = await execFileP('ip', ['netns', 'exec', `${name}-p${p}`, process.execPath, '-e', OUT_CLIENT_JS, '10.77.0.100', String(CLIENT_PORT), String(base), String(n), String(bytes), String(holdMs)], { timeout: 60_000 });
      return JSON.parse(stdout) as Out[];
    };
    try {
      const up = await sipnicJson(['cluster', 'up', '--processors', '2', '--pinning', pinning, '--name', name, '--state-dir', stateDir]);
      const ranges = JSON.parse(readFileSync(join(stateDir, 'port-ranges.json'), 'utf8')) as { processor: number; low: number; high: number }[];
      const { queryPrimary } = await import('../host/src/cluster/control-protocol.js');
      const primaryStats = () => queryPrimary(`unix:${join(stateDir, 'control.sock')}`, { op: 'stats' }, 3000);
      const learned = async () => ((await primaryStats()).learning as { learned: number } | null)?.learned ?? 0;
      if (pinning === 'hardware') {
        // transmit-side learning knows the cluster's address from the table (docs/semantics.md
        // rule 9: the destination of a listen or flow rule), as in any cluster that serves
        // something: a server in processor 1 has its listen rule installed first
        startIn(`${name}-p1`, ['cluster', 'demo-server', '--processor', '1', '--host', '10.77.0.1', '--ports', '8001']);
        await until('a listen rule of processor 1', async () => (await sipnicJson<{ listens: unknown[] }>(['--socket', bus, 'listen', 'list'])).listens.length === 1);
      }
      const learnedBefore = await learned();
      expect(ranges).toEqual(up.portRanges);
      const rangeOf = (p: number) => ranges.find((r) => r.processor === p)!;
      const ownerOf = (port: number) => ranges.find((r) => port >= r.low && port <= r.high)?.processor;

      // a real TCP server on the client's side of the wire; it prints the remote port of each request
      const server = spawn('ip', ['netns', 'exec', `${name}-client`, process.execPath, '-e', OUT_SERVER_JS, '10.77.0.100', String(CLIENT_PORT)], { cwd: ROOT, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
      server.unref();
      let served = '';
      server.stdout!.on('data', (d) => (served += d));
      server.stderr!.on('data', (d) => (served += d));
      await until('the server in the client namespace', () => /listening/.test(served));
      const requests = () => served.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { i: number; port: number });

      // 1. each processor in turn: CONNS downloads at once; every frame back goes into that processor only
      let fast = 0;
      let via = 0;
      const perProcessor: Record<number, { fastPath: number; viaPrimary: number }> = {};
      for (const p of [1, 2]) {
        const other = 3 - p;
        const before = await adapterStats(stateDir);
        const results = await connectFrom(p, p * 100, CONNS, BYTES, 0);
        const after = await adapterStats(stateDir);
        expect(results).toHaveLength(CONNS);
        // the stack picked its source ports from its own range, and the server saw those ports
        expectOwnSourcePorts(p, results, rangeOf(p), requests(), p * 100, BYTES);
        const d = { fastPath: after.processors[p - 1].fastPath - before.processors[p - 1].fastPath, viaPrimary: after.processors[p - 1].viaPrimary - before.processors[p - 1].viaPrimary };
        perProcessor[p] = d;
        fast += d.fastPath;
        via += d.viaPrimary;
        expect(d.fastPath + d.viaPrimary, `frames into processor ${p}`).toBeGreaterThanOrEqual(100 * CONNS);
        expect(frames(after, other) - frames(before, other), `frames into processor ${other} while ${p}'s connections ran`).toBe(0);
        expect(after.unclaimedDrops - before.unclaimedDrops).toBe(0);
      }
      const fraction = fast / (fast + via);
      console.log(`outgoing connections (${pinning} pinning): ${fast} of ${fast + via} reply frames on the fast path (${(fraction * 100).toFixed(2)}%), ${((fast + via) / (2 * CONNS)).toFixed(0)} frames per connection; per processor ${JSON.stringify(perProcessor)}`);
      // measured 98.8–99.6% on a quiet machine (each connection's SYN-ACK races the rule and mostly
      // loses: ~0.5% by itself), 96.1% beside a CI run and two C++ builds on 2 cores; 89–95% with
      // the monitor not pinning on the SYN copy (rules from the /proc poll only), 0% with no pin.
      // The bound says the data went the fast path once pinned; which path pinned first is
      // checked below by the monitors' own counters, which load does not blur.
      expect(fraction).toBeGreaterThanOrEqual(0.9);

      type MonitorCounters = { processor: number; pinnedByOpen?: number; pinnedByPoll?: number; flowAddsRefused?: number; leftToAdapter?: number };
      const monitorStats = async (): Promise<MonitorCounters[]> => {
        const pstats = await primaryStats();
        return (pstats.processors as { processor: number; monitor?: Omit<MonitorCounters, 'processor'> }[]).map((x) => ({ processor: x.processor, ...x.monitor }));
      };
      // the monitors' counters reach the primary with their heartbeats: wait for every connection to be counted
      let monitors: MonitorCounters[] = [];
      const counted = (m: MonitorCounters) => (pinning === 'hardware' ? (m.leftToAdapter ?? 0) : (m.pinnedByOpen ?? 0) + (m.pinnedByPoll ?? 0));
      await until('the monitors\' heartbeats counting the connections', async () => {
        monitors = await monitorStats();
        return monitors.every((m) => counted(m) >= CONNS);
      }, 20_000);
      if (pinning === 'hardware') {
        console.log(`outgoing connections: monitors ${JSON.stringify(monitors)}`);
        // the adapter learned every connection from the SYN its processor sent; no monitor asked for a rule
        expect(await learned()).toBeGreaterThanOrEqual(learnedBefore + 2 * CONNS);
        for (const m of monitors) expect((m.pinnedByOpen ?? 0) + (m.pinnedByPoll ?? 0), `processor ${m.processor}'s host pins`).toBe(0);
      }
      else {
        console.log(`outgoing connections: monitors ${JSON.stringify(monitors)}`);
        // Each connection is pinned by whichever of the monitor's two paths sees it first: the copy of
        // the SYN its stack sent, or its /proc poll. The SYN copy normally wins; on a loaded machine
        // the poll sometimes does (seen: 1 of 4 by SYN on one processor). The fast-path fraction
        // above is what the pin must achieve; here: most pins come from SYN copies, none refused.
        const byOpen = monitors.reduce((a, m) => a + (m.pinnedByOpen ?? 0), 0);
        expect(byOpen, 'connections pinned from their SYN copies, both processors').toBeGreaterThanOrEqual(CONNS);
      }
      for (const m of monitors) expect(m.flowAddsRefused).toBe(0);

      // 2. both processors at once, connections held open: the flow table has an exact rule for each, to its processor's queue
      const held = [connectFrom(1, 500, 2, 20_000, 4000), connectFrom(2, 600, 2, 20_000, 4000)];
      await until('the held connections at the server', () => requests().filter((q) => q.i >= 500).length === 4, 20_000);
      const table = await sipnicJson<{ flows: { srcIp: string; srcPort: number; dstIp: string; dstPort: number; action: number; flowType: string }[] }>(['--socket', bus, 'flow', 'list']);
      const open = requests().filter((q) => q.i >= 500);
      for (const q of open) {
        const p = q.i >= 600 ? 2 : 1;
        expect(ownerOf(q.port), `source port ${q.port}`).toBe(p);
        expect(table.flows.filter((f) => f.dstPort === q.port), `exact rule of ${q.port}`).toEqual([
          expect.objectContaining({ flowType: 'tcp4', srcIp: '10.77.0.100', srcPort: CLIENT_PORT, dstIp: '10.77.0.1', dstPort: q.port, action: p }),
        ]);
      }
      const heldResults = (await Promise.all(held)).flat();
      expect(heldResults.filter((r) => !r.ok)).toEqual([]);
      expect(heldResults.map((r) => r.bytes)).toEqual([20_000, 20_000, 20_000, 20_000]);
    } finally {
      await sipnic(['cluster', 'down', '--name', name, '--state-dir', stateDir]);
      await expectNothingLeft(name, stateDir);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a processor killed mid-run and the primary restarted mid-run: the survivors serve, live connections survive the restart', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sipnic-t-'));
    const stateDir = join(dir, 'k');
    const name = 'sipnic-tk';
    const bus = join(stateDir, 'bus.sock');
    const client = (args: string[]) => sipnicJson<ConnectionResult[]>(['cluster', 'demo-client', '--host', '10.77.0.1', ...args], { ns: `${name}-client` });
    const shared = async () => {
      const list = await sipnicJson<{ listens: { dstPort: number; action: number | number[] }[] }>(['--socket', bus, 'listen', 'list']);
      const e = list.listens.find((x) => x.dstPort === 8080);
      return e ? ([] as number[]).concat(e.action) : [];
    };
    try {
      await sipnicJson(['cluster', 'up', '--processors', '3', '--name', name, '--state-dir', stateDir]);
      for (let p = 1; p <= 3; p++) startIn(`${name}-p${p}`, ['cluster', 'demo-server', '--processor', String(p), '--host', '10.77.0.1', '--ports', `${8000 + p},8080`]);
      await until('the shared port in all three processors', async () => (await shared()).length === 3);

      const first = await client(['--ports', '8080', '--connections', '30', '--bytes', '2000']);
      expect(first.every((c) => c.ok)).toBe(true);
      expect(new Set(first.map((c) => c.processor))).toEqual(new Set([1, 2, 3]));

      // processor 2 dies: everything in its namespace stops and its link goes down
      const { stdout: pids } = await execFileP('ip', ['netns', 'pids', `${name}-p2`]);
      for (const pid of pids.split(/\s+/).filter(Boolean)) process.kill(Number(pid), 'SIGKILL');
      await execFileP('ip', ['-n', `${name}-p2`, 'link', 'set', 'sn-p2', 'down']);
      await until('the shared port without processor 2', async () => JSON.stringify((await shared()).sort()) === '[1,3]', 10_000);
      const afterKill = await client(['--ports', '8080', '--connections', '60', '--bytes', '2000']);
      expect(afterKill.filter((c) => !c.ok)).toEqual([]);
      expect(new Set(afterKill.map((c) => c.processor))).toEqual(new Set([1, 3]));

      // the primary crashes under live connections and comes back
      const state = JSON.parse(readFileSync(join(stateDir, 'state.json'), 'utf8'));
      const primaryPid = state.processes.find((p: { role: string }) => p.role === 'primary').pid;
      const long = client(['--ports', '8001,8003', '--connections', '6', '--concurrency', '6', '--bytes', '200000', '--spread', '4000', '--timeout', '20000']);
      await new Promise((r) => setTimeout(r, 1000));
      process.kill(primaryPid, 'SIGKILL');
      await new Promise((r) => setTimeout(r, 500));
      const restarted = await sipnicJson(['cluster', 'restart', 'primary', '--name', name, '--state-dir', stateDir]);
      expect(restarted.pid).not.toBe(primaryPid);
      const longResults = await long;
      expect(longResults.filter((c) => !c.ok)).toEqual([]);
      await until('the monitors back with the primary', async () => (await shared()).length === 2, 15_000);
      const afterRestart = await client(['--ports', '8080,8001,8003', '--connections', '60', '--bytes', '2000']);
      expect(afterRestart.filter((c) => !c.ok)).toEqual([]);
    } finally {
      const down = await sipnicJson(['cluster', 'down', '--name', name, '--state-dir', stateDir]);
      expect(down.leftover).toEqual({ namespaces: [], links: [] });
      await expectNothingLeft(name, stateDir);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
