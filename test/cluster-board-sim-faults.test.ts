// The one-machine cluster's fault and security tests (test/cluster.test.ts), in board-sim mode:
// the board's design under Verilator in front of namespaces as hosts (`cluster up --board-sim`),
// the primary on the PTY and its own interface, each monitor on its own interface. What the
// one-machine tests ask the adapter process, these ask where an operator of a real board would:
// the primary's `stats` (its control socket), and the table and the board's counters over the
// PTY while the primary is stopped. One cluster of 3 processors serves every block in order
// (the kill and restart last); `cluster down` must leave nothing of it. The cluster runs
// `--pinning host`: these blocks test the host round trip (the fallback of hardware pinning) over
// the slow line, through faults; test/cluster-board-sim.test.ts runs hardware pinning.
// Needs root (namespaces, TAP devices); skipped with a message otherwise.
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryPrimary } from '../host/src/cluster/control-protocol.js';
import type { ConnectionResult } from '../host/src/cluster/demo.js';
import type { ClusterState, PortRange } from '../host/src/cluster/netns.js';
import { expectOwnSourcePorts, leftovers, namespaceSkipReason, OUT_CLIENT_JS, OUT_SERVER_JS, startIn, until, type OutResult } from './support/cluster-ns.js';
import { ROOT, sipnic, sipnicJson } from './support/sipnic-process.js';

const execFileP = promisify(execFile);

const skipReason = namespaceSkipReason('test/cluster-board-sim-faults.test.ts', ['ss']);
const boardSim = describe.skipIf(skipReason !== '');

const BAUD = 115200;
const CLUSTER_IP = '10.77.0.1';
const CLIENT_IP = '10.77.0.100';

const sh = (cmd: string, ...args: string[]) => execFileP(cmd, args, { encoding: 'utf8', timeout: 60_000, maxBuffer: 16 << 20 });

// ───────────────────────────── what a process holds open ─────────────────────────────

/** pid and all its descendants (from /proc/<pid>/stat's parent field). */
function processTree(root: number): number[] {
  const parent = new Map<number, number>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      parent.set(Number(d), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // gone meanwhile
    }
  }
  const tree = [root];
  for (let i = 0; i < tree.length; i++) for (const [pid, ppid] of parent) if (ppid === tree[i]) tree.push(pid);
  return tree.filter((p) => existsSync(`/proc/${p}`));
}

/** The targets of a process's open file descriptors ("socket:[123]", "/dev/pts/4", "pipe:[9]", …). */
function openFiles(pid: number): string[] {
  const out: string[] = [];
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      out.push(readlinkSync(`/proc/${pid}/fd/${fd}`));
    } catch {
      // closed meanwhile
    }
  }
  return out;
}

const socketInodes = (pid: number) => openFiles(pid).map((f) => /^socket:\[(\d+)\]$/.exec(f)?.[1]).filter((x): x is string => x !== undefined);

/** One socket as the kernel lists it in a network namespace. */
interface SocketInfo {
  kind: 'unix' | 'tcp' | 'udp' | 'raw' | 'packet' | 'netlink';
  /** unix: the bound path ('' when none); tcp/udp: local address:port; packet: the interface index. */
  local: string;
  /** unix: the peer socket's inode ('0' when not connected). */
  peer?: string;
}

/** Every socket of the network namespace `pid` is in, by inode: /proc/<pid>/net/* and, for Unix sockets' peers, `ss -x`. */
async function socketsSeenBy(pid: number): Promise<Map<string, SocketInfo>> {
  const m = new Map<string, SocketInfo>();
  const table = (file: string) => readFileSync(`/proc/${pid}/net/${file}`, 'utf8').trim().split('\n').slice(1).map((l) => l.trim().split(/\s+/));
  for (const f of ['tcp', 'tcp6', 'udp', 'udp6', 'raw', 'raw6']) {
    for (const r of table(f)) m.set(r[9], { kind: f.replace('6', '') as SocketInfo['kind'], local: r[1] });
  }
  for (const r of table('packet')) m.set(r[8], { kind: 'packet', local: r[4] });
  for (const r of table('netlink')) m.set(r[9], { kind: 'netlink', local: r[1] });
  for (const r of table('unix')) m.set(r[6], { kind: 'unix', local: r[7] ?? '', peer: '0' });
  // ss in the process's namespace: "u_str ESTAB 0 0 <path|*> <inode> <path|*> <peer inode>"
  const { stdout } = await sh('nsenter', `--net=/proc/${pid}/ns/net`, 'ss', '-xanH');
  for (const line of stdout.split('\n')) {
    const t = line.trim().split(/\s+/);
    if (t.length < 8) continue;
    const s = m.get(t[5]);
    if (s?.kind === 'unix') s.peer = t[7];
  }
  return m;
}

/** Network interface index → name in the namespace of pid. */
async function interfacesOf(pid: number): Promise<Map<string, string>> {
  const { stdout } = await sh('nsenter', `--net=/proc/${pid}/ns/net`, 'ip', '-o', 'link', 'show');
  return new Map(stdout.split('\n').filter(Boolean).map((l) => { const [i, n] = l.split(':'); return [i.trim(), n.trim().split('@')[0]]; }));
}

// ───────────────────────────── the cluster ─────────────────────────────

boardSim('cluster --board-sim: the roles reach the board as a real one; outgoing connections; faults', () => {
  const name = `sipnick${process.pid % 10000}`;
  // made when the block runs (not when the file is collected: a filtered or listed run would leave it)
  let stateDir = '';
  let control = '';
  const client = `${name}-client`;

  const state = () => JSON.parse(readFileSync(join(stateDir, 'state.json'), 'utf8')) as ClusterState;
  const pidOf = (role: string) => state().processes.find((p) => p.role === role)!.pid;
  const primaryStats = (): Promise<any> => queryPrimary(`unix:${control}`, { op: 'stats' }, 10_000);
  const alive = (pid: number) => existsSync(`/proc/${pid}`) && !readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z');
  /** Members of the shared port 8080's listen group as the primary holds it (its registry is the table's). */
  const sharedMembers = async (): Promise<number[]> => {
    const s = await primaryStats().catch(() => undefined);
    const l = (s?.listens as { proto: string; port: number; members: number[] }[] | undefined)?.find((x) => x.proto === 'tcp' && x.port === 8080);
    return l ? [...l.members].sort() : [];
  };
  /** `sipnic --device PTY ARGS --json` while the primary is stopped (it holds the line otherwise). */
  const overTheLine = <T = any>(args: string[]) => sipnicJson<T>(['--device', state().pty!, '--baud', String(BAUD), ...args], { timeoutMs: 120_000 });
  /** `sipnic cluster demo-client` in the client namespace: connections to the cluster address, each body checked. */
  const demoClient = (args: string[]) => sipnicJson<ConnectionResult[]>(['cluster', 'demo-client', '--host', CLUSTER_IP, ...args], { ns: client, timeoutMs: 300_000 });
  const stopPrimary = async () => {
    const pid = pidOf('primary');
    process.kill(pid, 'SIGTERM');
    await until('the primary to stop (it holds the serial line)', () => !alive(pid), 60_000);
  };

  beforeAll(async () => {
    stateDir = mkdtempSync(join(tmpdir(), 'sipnic-cluster-board-faults-'));
    control = join(stateDir, 'control.sock');
    await sipnicJson(['--baud', String(BAUD), 'cluster', 'up', '--board-sim', '--pinning', 'host', '--processors', '3', '--name', name, '--state-dir', stateDir], { timeoutMs: 400_000 });
  }, 420_000);

  afterAll(async () => {
    if (!stateDir) return;
    await sipnic(['cluster', 'down', '--name', name, '--state-dir', stateDir]);
    rmSync(stateDir, { recursive: true, force: true });
  }, 120_000);

  it('the primary and the monitors reach the simulated board only through the PTY and their own interfaces', async () => {
    const s = state();
    const lanLink = s.plan.boardSim!.lanLink;
    const sim = processTree(pidOf('board-sim'));
    expect(sim.length, 'sim serve and its Verilated child').toBeGreaterThanOrEqual(2);
    const simSockets = new Set(sim.flatMap(socketInodes));
    // every Unix socket in the system by inode, wherever it lives (the simulator's are in the root namespace)
    const unixPaths = new Map<string, string>();
    for (const pid of [process.pid, ...s.processes.map((p) => p.pid)]) {
      for (const [inode, info] of await socketsSeenBy(pid)) if (info.kind === 'unix') unixPaths.set(inode, info.local);
    }

    /** What of the simulator or of the state folder one process holds; [] when it holds only what a role on a real board would. */
    const offending = async (pid: number, role: string): Promise<string[]> => {
      const bad: string[] = [];
      const sockets = await socketsSeenBy(pid);
      const ifaces = await interfacesOf(pid);
      for (const f of openFiles(pid)) {
        const inode = /^socket:\[(\d+)\]$/.exec(f)?.[1];
        if (inode === undefined) {
          if (f === '/dev/net/tun' || f === '/dev/ptmx') bad.push(`${f} open`);
          if (/^\/dev\/(pts\/|tty)/.test(f) && !(role === 'primary' && f === s.pty)) bad.push(`tty ${f}`);
          if (f.startsWith(stateDir) && !f.endsWith('.log')) bad.push(`${f} open`);
          continue;
        }
        const k = sockets.get(inode);
        if (!k) { bad.push(`socket ${inode} not in its namespace's tables`); continue; }
        if (simSockets.has(inode)) bad.push(`socket ${inode} is the simulator's`);
        if (k.kind === 'unix') {
          if (k.peer && simSockets.has(k.peer)) bad.push(`Unix socket ${inode} connected to the simulator (peer ${k.peer})`);
          const peerPath = k.peer && k.peer !== '0' ? unixPaths.get(k.peer) ?? '' : '';
          for (const path of [k.local, peerPath]) if (path.startsWith(stateDir) && path !== control) bad.push(`Unix socket ${inode} on ${path}`);
          if (role !== 'primary' && k.local === control) bad.push(`Unix socket ${inode} bound to the control socket`);
        } else if (k.kind === 'packet') {
          if (ifaces.get(k.local) !== lanLink) bad.push(`packet socket ${inode} on interface ${ifaces.get(k.local) ?? `#${k.local}`}, not ${lanLink}`);
        } else if (k.kind !== 'tcp' && k.kind !== 'netlink') {
          bad.push(`${k.kind} socket ${inode} (${k.local})`);
        }
      }
      return bad;
    };

    // the check sees a connection to the simulator: sim serve's own pipes to its Verilated child are sockets it resolves
    const [serve, ...children] = sim;
    const serveSockets = await socketsSeenBy(serve);
    const childSockets = new Set(children.flatMap(socketInodes));
    expect(socketInodes(serve).some((i) => childSockets.has(serveSockets.get(i)?.peer ?? '')), "sim serve's sockets connected to its child, as the check resolves them").toBe(true);
    // and it names what a role must not hold: the Verilated child's TAPs, PTY master and sockets, were they a role's
    const asRole = await offending(children[0], 'monitor-1');
    expect(asRole).toContain('/dev/net/tun open');
    expect(asRole).toContain('/dev/ptmx open');
    expect(asRole.some((b) => /is the simulator's/.test(b))).toBe(true);

    const roles = s.processes.filter((p) => p.role === 'primary' || p.role.startsWith('monitor-'));
    expect(roles.map((p) => p.role)).toEqual(['primary', 'monitor-1', 'monitor-2', 'monitor-3']);
    for (const r of roles) {
      for (const pid of processTree(r.pid)) {
        // a socket opened or closed between reading the fds and the kernel's tables is read again
        let bad = await offending(pid, r.role);
        for (let i = 0; i < 3 && bad.some((b) => /not in its namespace's tables/.test(b)); i++) bad = await offending(pid, r.role);
        expect(bad, `${r.role} (pid ${pid})`).toEqual([]);
      }
    }
    // the primary holds the PTY; nothing else of the board's
    expect(openFiles(pidOf('primary'))).toContain(s.pty);
    const packetIn = async (pid: number) => {
      const m = await socketsSeenBy(pid);
      return socketInodes(pid).filter((i) => m.get(i)?.kind === 'packet').length;
    };
    // each role takes its frames from its own interface: a packet socket on it (the primary queue 0, a monitor its SYNs)
    for (const r of roles) expect(await packetIn(r.pid), `${r.role}'s packet sockets on ${lanLink}`).toBeGreaterThanOrEqual(1);
  }, 120_000);

  it('a monitor with the wrong secret is refused: exit 1, it says why, nothing changes in the table', async () => {
    const s = state();
    const b = s.plan.boardSim!;
    const wrong = join(stateDir, 'wrong-secret');
    writeFileSync(wrong, 'not-the-secret\n', { mode: 0o600 });
    const before = await primaryStats();
    // the monitor's command line from docs/deploy.md, on processor 1's host, with another secret
    const r = await sipnic(['monitor', '--primary', `${b.lanIps.primary}:${b.controlPort}`, '--processor', '1', '--secret-file', wrong, '--interface', b.lanLink, '--share', 'all'], { ns: `${name}-p1`, timeoutMs: 60_000 });
    const after = await primaryStats();
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/hello refused for processor 1/);
    expect(after.control.authFailures - before.control.authFailures).toBe(1);
    // the table: the same rules, and not one command on the serial line (the primary sends nothing when idle)
    expect(after.flows).toBe(before.flows);
    expect(after.listens).toEqual(before.listens);
    expect(after.serial.commands).toBe(before.serial.commands);
    // processor 1's own monitor is still the connected one
    expect(after.processors.map((p: { connected: boolean }) => p.connected)).toEqual([true, true, true]);
  }, 120_000);

  it('outgoing connections from the processors: source ports in their own ranges, replies to the right processor only, pinned', async () => {
    const CLIENT_PORT = 9000;
    const CONNS = 4; // per processor, all at once
    const BYTES = 300_000; // ≥ 200 segments of ≤ 1448 bytes back to the processor
    const ranges = JSON.parse(readFileSync(join(stateDir, 'port-ranges.json'), 'utf8')) as PortRange[];
    const rangeOf = (p: number) => ranges.find((r) => r.processor === p)!;
    const ownerOf = (port: number) => ranges.find((r) => port >= r.low && port <= r.high)?.processor;
    const connectFrom = async (p: number, base: number, n: number, bytes: number, holdMs: number): Promise<OutResult[]> => {
      const { stdout } = await execFileP('ip', ['netns', 'exec', `${name}-p${p}`, process.execPath, '-e', OUT_CLIENT_JS, CLIENT_IP, String(CLIENT_PORT), String(base), String(n), String(bytes), String(holdMs)], { timeout: 180_000 });
      return JSON.parse(stdout) as OutResult[];
    };
    const slowPath = (st: any): number => Object.values(st.counters.slowPath as Record<string, number>).reduce((a, b) => a + b, 0);

    // a real TCP server on the clients' side of the board; it prints the remote port of each request
    const server = spawn('ip', ['netns', 'exec', client, process.execPath, '-e', OUT_SERVER_JS, CLIENT_IP, String(CLIENT_PORT)], { cwd: ROOT, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    server.unref();
    let served = '';
    server.stdout!.on('data', (d) => (served += d));
    server.stderr!.on('data', (d) => (served += d));
    await until('the server in the client namespace', () => /listening/.test(served));
    const requests = () => served.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { i: number; port: number });

    // 1. processors 1 and 2 in turn: CONNS downloads at once each; processor 3 makes none
    const before = await primaryStats();
    for (const p of [1, 2]) {
      const results = await connectFrom(p, p * 100, CONNS, BYTES, 0);
      expect(results).toHaveLength(CONNS);
      // the stack picked its source ports from its own range, and the server saw those ports
      expectOwnSourcePorts(p, results, rangeOf(p), requests(), p * 100, BYTES);
    }

    // the monitors pinned them (from the SYNs their stacks sent, seen on their own interfaces, or by their /proc poll); none refused
    type MonitorCounters = { processor: number; pinnedByOpen?: number; pinnedByPoll?: number; flowAddsRefused?: number };
    let monitors: MonitorCounters[] = [];
    await until("the monitors' heartbeats counting their pins", async () => {
      monitors = ((await primaryStats()).processors as { processor: number; monitor?: Omit<MonitorCounters, 'processor'> }[]).map((x) => ({ processor: x.processor, ...x.monitor }));
      return [1, 2].every((p) => { const m = monitors.find((x) => x.processor === p)!; return (m.pinnedByOpen ?? 0) + (m.pinnedByPoll ?? 0) >= CONNS; });
    }, 60_000);
    console.log(`test/cluster-board-sim-faults.test.ts: outgoing connections: monitors ${JSON.stringify(monitors)}`);
    const byOpen = monitors.reduce((a, m) => a + (m.pinnedByOpen ?? 0), 0);
    expect(byOpen, 'connections pinned from their SYN copies, both processors').toBeGreaterThanOrEqual(CONNS);
    for (const m of monitors) expect(m.flowAddsRefused, `processor ${m.processor}'s refused flow adds`).toBe(0);
    const m3 = monitors.find((x) => x.processor === 3)!;
    expect((m3.pinnedByOpen ?? 0) + (m3.pinnedByPoll ?? 0), 'processor 3 made no connection').toBe(0);

    // 2. both processors at once, the answers held back until the primary is stopped and the table read
    const pins = async (p: number) => {
      const m = ((await primaryStats()).processors as { processor: number; monitor?: Omit<MonitorCounters, 'processor'> }[]).find((x) => x.processor === p)?.monitor;
      return (m?.pinnedByOpen ?? 0) + (m?.pinnedByPoll ?? 0);
    };
    const pinsBefore = { 1: await pins(1), 2: await pins(2) } as Record<number, number>;
    const held = [connectFrom(1, 500, 2, 20_000, 20_000), connectFrom(2, 600, 2, 20_000, 20_000)];
    for (const h of held) h.catch(() => undefined); // awaited below; not an unhandled rejection when the test fails before
    await until('the held connections at the server', () => requests().filter((q) => q.i >= 500).length === 4, 60_000);
    await until("the held connections' rules acknowledged to their monitors", async () => (await pins(1)) >= pinsBefore[1] + 2 && (await pins(2)) >= pinsBefore[2] + 2, 60_000);
    const via = slowPath(await primaryStats()) - slowPath(before);

    // 3. the primary stopped (the table stays): the board's own table and queue counters over the line
    await stopPrimary();
    const table = await overTheLine<{ flows: { srcIp: string; srcPort: number; dstIp: string; dstPort: number; action: number; flowType: string }[] }>(['flow', 'list']);
    const open = requests().filter((q) => q.i >= 500);
    for (const q of open) {
      const p = q.i >= 600 ? 2 : 1;
      expect(ownerOf(q.port), `source port ${q.port}`).toBe(p);
      expect(table.flows.filter((f) => f.dstPort === q.port), `exact rule of ${q.port}`).toEqual([
        expect.objectContaining({ flowType: 'tcp4', srcIp: CLIENT_IP, srcPort: CLIENT_PORT, dstIp: CLUSTER_IP, dstPort: q.port, action: p }),
      ]);
    }
    const counters = await overTheLine<{ queues: { frames: number | string }[] }>(['stats']);
    const frames = (q: number) => Number(counters.queues[q].frames);
    console.log(`test/cluster-board-sim-faults.test.ts: outgoing connections: board queue frames ${counters.queues.map((q) => q.frames).join(', ')}; via primary ${via}`);
    // the first block with traffic to processors: the board's counters since the simulator started are theirs
    expect(frames(1), 'frames into processor 1 (its replies)').toBeGreaterThanOrEqual(100 * CONNS);
    expect(frames(2), 'frames into processor 2 (its replies)').toBeGreaterThanOrEqual(100 * CONNS);
    expect(frames(3), 'frames into processor 3, which made no connection').toBe(0);
    const fraction = (frames(1) + frames(2)) / (frames(1) + frames(2) + via);
    console.log(`test/cluster-board-sim-faults.test.ts: outgoing connections: ${(fraction * 100).toFixed(2)}% of the reply frames on the fast path`);
    // Each connection's first answers race its rule, which waits its turn on the serial line (a flow
    // change is ~5 commands; 4 connections opened at once queue behind each other): measured 88–94%
    // at 115200 baud over six runs, 2 cores shared with other builds (the one-machine cluster, no line: 96–99.7%).
    // With no pin at all it is 0%; the bound says the data went the fast path once pinned.
    expect(fraction).toBeGreaterThanOrEqual(0.85);

    // 4. `cluster restart primary`: it reopens the PTY, rebuilds its registry from the table, the monitors come back;
    //    the held connections finish on their rules meanwhile
    await sipnicJson(['cluster', 'restart', 'primary', '--name', name, '--state-dir', stateDir], { timeoutMs: 300_000 });
    const heldResults = (await Promise.all(held)).flat();
    expect(heldResults.filter((r) => !r.ok)).toEqual([]);
    expect(heldResults.map((r) => r.bytes)).toEqual([20_000, 20_000, 20_000, 20_000]);
    await until('every monitor back with the restarted primary', async () => ((await primaryStats().catch(() => undefined))?.processors ?? []).filter((p: { connected: boolean }) => p.connected).length === 3, 120_000);
    server.kill();
  }, 600_000);

  it('a processor killed mid-run: the shared port goes on with the survivors, every new connection ok', async () => {
    for (let p = 1; p <= 3; p++) startIn(`${name}-p${p}`, ['cluster', 'demo-server', '--processor', String(p), '--host', CLUSTER_IP, '--ports', `${8000 + p},8080`]);
    await until('the shared port in all three processors', async () => JSON.stringify(await sharedMembers()) === '[1,2,3]', 60_000);
    const first = await demoClient(['--ports', '8080', '--connections', '30', '--bytes', '2000']);
    expect(first.filter((c) => !c.ok)).toEqual([]);
    expect(new Set(first.map((c) => c.processor))).toEqual(new Set([1, 2, 3]));

    // processor 2's host dies: everything in its namespace stops and its link goes down
    const { stdout: pids } = await sh('ip', 'netns', 'pids', `${name}-p2`);
    for (const pid of pids.split(/\s+/).filter(Boolean)) process.kill(Number(pid), 'SIGKILL');
    await sh('ip', '-n', `${name}-p2`, 'link', 'set', state().plan.boardSim!.lanLink, 'down');
    await until('the shared port without processor 2 (after the heartbeat timeout)', async () => JSON.stringify(await sharedMembers()) === '[1,3]', 60_000);
    const afterKill = await demoClient(['--ports', '8080', '--connections', '60', '--bytes', '2000']);
    expect(afterKill.filter((c) => !c.ok)).toEqual([]);
    expect(new Set(afterKill.map((c) => c.processor))).toEqual(new Set([1, 3]));
  }, 300_000);

  it('the primary killed and restarted mid-run: no live connection lost, new connections ok', async () => {
    const old = pidOf('primary');
    const flowsNow = async () => ((await primaryStats()).processors as { processor: number; flows: number }[]).filter((p) => p.processor !== 2).reduce((n, p) => n + p.flows, 0);
    const flowsBefore = await flowsNow();
    const long = demoClient(['--ports', '8001,8003', '--connections', '6', '--concurrency', '6', '--bytes', '200000', '--spread', '4000', '--timeout', '120000']);
    long.catch(() => undefined); // awaited below; not an unhandled rejection when the test fails before
    // live connections: the first of them pinned in the table
    await until('a long connection pinned', async () => (await flowsNow()) > flowsBefore, 60_000);
    const log = state().processes.find((p) => p.role === 'primary')!.log;
    const logOffset = readFileSync(log).length;
    process.kill(old, 'SIGKILL');
    await until('the primary gone', () => !alive(old), 30_000);
    const restarted = await sipnicJson(['cluster', 'restart', 'primary', '--name', name, '--state-dir', stateDir], { timeoutMs: 300_000 });
    expect(restarted.pid).not.toBe(old);
    // it read the table back over the serial line: the live connections' rules, the survivors' listens (8001, 8003, 8080)
    const rebuilt = /registry rebuilt from the adapter: (\d+) flows, (\d+) listen rules held by processors ([\d, ]+)/.exec(readFileSync(log, 'utf8').slice(logOffset));
    expect(rebuilt, "the restarted primary's log").not.toBeNull();
    expect(Number(rebuilt![1])).toBeGreaterThanOrEqual(1);
    expect(Number(rebuilt![2])).toBe(3);
    expect(rebuilt![3].split(',').map(Number).sort()).toEqual([1, 3]);
    const longResults = await long;
    expect(longResults.filter((c) => !c.ok)).toEqual([]);
    expect(longResults).toHaveLength(6);
    // the restarted primary found the shared port in the table; the survivors' monitors are back
    await until('the monitors of processors 1 and 3 back with the primary', async () => {
      const st = await primaryStats().catch(() => undefined);
      return JSON.stringify(st?.processors?.filter((p: { connected: boolean }) => p.connected).map((p: { processor: number }) => p.processor)) === '[1,3]' && JSON.stringify(await sharedMembers()) === '[1,3]';
    }, 120_000);
    const afterRestart = await demoClient(['--ports', '8080,8001,8003', '--connections', '60', '--bytes', '2000']);
    expect(afterRestart.filter((c) => !c.ok)).toEqual([]);
  }, 600_000);

  it('cluster down leaves no namespace, link or process of it', async () => {
    const down = await sipnicJson(['cluster', 'down', '--name', name, '--state-dir', stateDir]);
    expect(down.leftover).toEqual({ namespaces: [], links: [] });
    await until('nothing of the cluster left', async () => (await leftovers(name, stateDir)).length === 0, 30_000).catch(async (err) => {
      throw new Error(`${(err as Error).message}: ${(await leftovers(name, stateDir)).join('; ')}`);
    });
  }, 120_000);
});
