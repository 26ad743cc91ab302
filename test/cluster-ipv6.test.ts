// The one-machine cluster dual-stack (`--family both`): IPv6 beside IPv4 in every namespace,
// neighbour discovery and echo of the cluster's IPv6 address answered by the primary, tcp6
// listen rules and exact rules installed by the monitors, connections of both families served.
// Needs root; skipped with a message otherwise.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryPrimary } from '../host/src/cluster/control-protocol.js';
import type { ConnectionResult, DemoResult } from '../host/src/cluster/demo.js';
import { BIN, ROOT, sipnic, sipnicJson } from './support/sipnic-process.js';
import { pingFrom } from './support/ping.js';
import { leftovers, namespaceSkipReason, startIn, until } from './support/cluster-ns.js';

const execFileP = promisify(execFile);
const skipReason = namespaceSkipReason('test/cluster-ipv6.test.ts');
const rooted = describe.skipIf(skipReason !== '');

const CLUSTER4 = '10.77.0.1';
const CLUSTER6 = 'fd53:4e::1';
const CLIENT6 = 'fd53:4e::100';
const CLUSTER_MAC = '02:53:4e:00:00:01';

rooted('cluster up --family both', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sipnic-v6-'));
  const stateDir = join(dir, 'u');
  const name = 'sipnic-t6';
  const client = `${name}-client`;
  const primaryStats = (): Promise<any> => queryPrimary(`unix:${join(stateDir, 'control.sock')}`, { op: 'stats' }, 5000);

  beforeAll(async () => {
    await sipnicJson(['cluster', 'up', '--processors', '2', '--family', 'both', '--name', name, '--state-dir', stateDir]);
  }, 120_000);

  afterAll(async () => {
    await sipnic(['cluster', 'down', '--name', name, '--state-dir', stateDir]);
    rmSync(dir, { recursive: true, force: true });
  }, 120_000);

  it('gives the client and every processor their IPv6 address beside the IPv4 one', async () => {
    expect((await execFileP('ip', ['-n', client, '-o', 'addr', 'show', 'dev', 'sn-wire'])).stdout).toContain(`${CLIENT6}/64`);
    for (const p of [1, 2]) {
      const addrs = (await execFileP('ip', ['-n', `${name}-p${p}`, '-o', 'addr', 'show', 'dev', `sn-p${p}`])).stdout;
      expect(addrs).toContain(`${CLUSTER4}/24`);
      expect(addrs).toContain(`${CLUSTER6}/64`);
      expect(addrs, 'no address still in duplicate address detection').not.toMatch(/tentative/);
    }
  });

  it('the primary answers neighbour solicitation and echo for the cluster IPv6 address', async () => {
    const before = await primaryStats();
    const { summary } = await pingFrom(client, CLUSTER6, { n: 3, waitS: 2 });
    expect(summary).toBe('3/3');
    // the client resolved the cluster address by neighbour discovery (no static entry: the roles run)
    expect((await execFileP('ip', ['-n', client, 'neigh', 'show', CLUSTER6])).stdout).toContain(`lladdr ${CLUSTER_MAC}`);
    const after = await primaryStats();
    expect(after.counters.echoReplies - before.counters.echoReplies).toBe(3);
    expect(after.counters.neighbourAdverts).toBeGreaterThanOrEqual(1);
  }, 60_000);

  it('a tcp6 connection is pinned by an exact tcp6 rule to the processor that serves it, beside a tcp6 listen rule', async () => {
    for (const p of [1, 2]) startIn(`${name}-p${p}`, ['cluster', 'demo-server', '--processor', String(p), '--host', `${CLUSTER4},${CLUSTER6}`, '--ports', '8080']);
    const bus = join(stateDir, 'bus.sock');
    const listens = async () => (await sipnicJson<{ listens: { flowType: string; dstIp: string; dstPort: number; action: number | number[] }[] }>(['--socket', bus, 'listen', 'list'])).listens;
    await until('tcp4 and tcp6 listen rules of port 8080 for both processors', async () => {
      const l = await listens();
      return ['tcp4', 'tcp6'].every((t) => l.some((x) => x.flowType === t && x.dstPort === 8080 && [x.action].flat().length === 2));
    });
    expect((await listens()).find((x) => x.flowType === 'tcp6')).toMatchObject({ dstIp: CLUSTER6, dstPort: 8080 });
    // one connection held open for 4 s (the server spreads its body), over IPv6
    const held = execFileP('ip', ['netns', 'exec', client, process.execPath, BIN, 'cluster', 'demo-client', '--host', CLUSTER6, '--ports', '8080', '--connections', '1', '--bytes', '20000', '--spread', '4000'], { cwd: ROOT });
    type Flow = { flowType: string; srcIp: string; srcPort: number; dstIp: string; dstPort: number; action: number };
    let flows: Flow[] = [];
    await until('an exact tcp6 rule for the connection', async () => {
      flows = (await sipnicJson<{ flows: Flow[] }>(['--socket', bus, 'flow', 'list'])).flows.filter((f) => f.flowType === 'tcp6');
      return flows.length > 0;
    });
    const [conn] = JSON.parse((await held).stdout) as ConnectionResult[];
    expect(conn).toMatchObject({ ok: true, family: 6 });
    // hardware pinning (the default): the adapter learned it from the tcp6 SYN
    expect(flows).toEqual([expect.objectContaining({ srcIp: CLIENT6, dstIp: CLUSTER6, dstPort: 8080, action: conn.processor, origin: 'learned' })]);
  }, 120_000);

  it('cluster down leaves nothing of it', async () => {
    const down = await sipnicJson(['cluster', 'down', '--name', name, '--state-dir', stateDir]);
    expect(down.leftover).toEqual({ namespaces: [], links: [] });
    await until('nothing of the cluster left', async () => (await leftovers(name, stateDir)).length === 0, 15_000);
  }, 60_000);
});

rooted('cluster demo --family', () => {
  it('both: every connection ok, both families served, every processor on the shared port', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sipnic-v6-'));
    try {
      const r = await sipnicJson<DemoResult>(['cluster', 'demo', '--processors', '3', '--connections', '120', '--family', 'both', '--name', 'sipnic-t6d', '--state-dir', join(dir, 'd')], { timeoutMs: 300_000 });
      expect(r.connections).toMatchObject({ attempted: 120, ok: 120, failed: 0 });
      // connection i goes to port i mod 4 at host floor(i / 4) mod 2: 60 of each family
      expect(r.byFamily).toEqual({ 4: { ok: 60, failed: 0 }, 6: { ok: 60, failed: 0 } });
      for (const p of ['1', '2', '3']) expect(r.byProcessor[p].sharedPort, `processor ${p} on the shared port`).toBeGreaterThan(0);
      // hardware pinning (the default) on both families: every connection learned, none pinned by the host
      expect(r.pinning).toMatchObject({ mode: 'hardware', hostPinsPerConnection: 0 });
      expect((r.pinning!.learning as { learned: number }).learned).toBeGreaterThanOrEqual(120);
      expect(r.leftover).toMatchObject({ namespaces: 0, links: 0 });
    } finally {
      await sipnic(['cluster', 'down', '--name', 'sipnic-t6d', '--state-dir', join(dir, 'd')]);
      rmSync(dir, { recursive: true, force: true });
    }
  }, 300_000);

  it('--board-sim with IPv6 is refused before anything is made', async () => {
    const r = await sipnic(['cluster', 'demo', '--board-sim', '--processors', '1', '--connections', '1', '--family', '6', '--name', 'sipnic-t6b']);
    expect(r.code).not.toBe(0);
    expect(r.err).toMatch(/--family 6 is for the one-machine cluster/);
  });
});
