// `cluster demo --syn-flood N`: spoofed SYNs from 198.18.0.0/15 to the shared port while the
// real connections run, from the client namespace's wire. Checks that the flood is sent whole
// and through the adapter, that it is bounded in time, and that the answers to it have nowhere
// to go outside the cluster's namespaces. Needs root; skipped with a message otherwise.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import type { DemoResult } from '../host/src/cluster/demo.js';
import { floodSyns } from '../host/src/cluster/syn-flood.js';
import { parsePacket, TCP_SYN } from '../host/src/codec/packet.js';
import { sipnic, sipnicJson } from './support/sipnic-process.js';
import { namespaceSkipReason } from './support/cluster-ns.js';

const execFileP = promisify(execFile);
const skipReason = namespaceSkipReason('test/cluster-syn-flood.test.ts');

describe('the flood frames', () => {
  it('are valid SYNs from 198.18.0.0/15 to the port asked for, with sources spread over the range', () => {
    const dst = new Uint8Array(16);
    dst.set([10, 77, 0, 1], 12);
    const gen = floodSyns({ srcMac: new Uint8Array([2, 0, 0, 0, 0, 0xfe]), dstMac: new Uint8Array([2, 0x53, 0x4e, 0, 0, 1]), dst, dstPort: 8080, seed: 7 });
    const sources = new Set<string>();
    for (let i = 0; i < 2000; i++) {
      const p = parsePacket(gen.next().value as Uint8Array);
      if (p.kind !== 'ip' || !p.l4 || p.l4.proto !== 'tcp') throw new Error(`frame ${i} is not TCP/IP: ${p.kind}`);
      expect(p.ip.family).toBe(4);
      expect([...p.ip.dst.subarray(12)]).toEqual([10, 77, 0, 1]);
      expect(p.ip.src[12]).toBe(198);
      expect([18, 19]).toContain(p.ip.src[13]);
      expect(p.l4.dstPort).toBe(8080);
      expect(p.l4.flags).toBe(TCP_SYN);
      sources.add(p.ip.src.subarray(12).join('.'));
    }
    expect(sources.size).toBeGreaterThan(1900); // 2,000 draws from 131,072 addresses
  });
});

describe.skipIf(skipReason !== '')('cluster demo --syn-flood', () => {
  it('sends every SYN through the adapter while every real connection succeeds', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sipnic-flood-'));
    try {
      const r = await sipnicJson<DemoResult>(['cluster', 'demo', '--processors', '2', '--connections', '60', '--syn-flood', '3000', '--syn-flood-rate', '3000', '--name', 'sipnic-tf', '--state-dir', join(dir, 'f')], { timeoutMs: 300_000 });
      expect(r.connections).toMatchObject({ attempted: 60, ok: 60, failed: 0 });
      expect(r.synFlood).toMatchObject({ sent: 3000, sendErrors: 0, sources: '198.18.0.0/15', cutShort: null });
      // the listen rule of the shared port steered every spoofed SYN into a processor, besides the real connections' frames
      expect(r.frames.wireDrops, "frames the client's TAP dropped").toBe(0);
      expect(r.frames.fastPath).toBeGreaterThanOrEqual(3000 + 60);
      expect(r.leftover).toMatchObject({ namespaces: 0, links: 0 });
    } finally {
      await sipnic(['cluster', 'down', '--name', 'sipnic-tf', '--state-dir', join(dir, 'f')]);
      rmSync(dir, { recursive: true, force: true });
    }
  }, 300_000);

  it("the spoofed sources are routed nowhere from the cluster's namespaces, and the sender stops at its time bound", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sipnic-flood-'));
    const stateDir = join(dir, 'r');
    try {
      const up = await sipnicJson<{ namespaces: { client: string; processors: string[] }; clusterMac: string; clusterIp: string; links: { wire: string } }>(['cluster', 'up', '--processors', '2', '--name', 'sipnic-tr', '--state-dir', stateDir]);
      for (const ns of [up.namespaces.client, ...up.namespaces.processors]) {
        const route = await execFileP('ip', ['-n', ns, 'route', 'get', '198.19.255.1']).then(
          (x) => `routed: ${x.stdout.trim()}`,
          (e: { stderr?: string }) => String(e.stderr ?? e),
        );
        expect(route, `a route from ${ns} to the flood's sources`).toMatch(/unreachable/i);
      }
      // a million SYNs at 1,000/s would take 17 minutes: the bound stops it after 300 ms
      const bounded = await sipnicJson(['cluster', 'demo-flood', '--interface', up.links.wire, '--mac', up.clusterMac, '--host', up.clusterIp, '--port', '8080', '--count', '1000000', '--rate', '1000', '--max-ms', '300'], { ns: up.namespaces.client, timeoutMs: 60_000 });
      expect(bounded.cutShort).toBe('time');
      expect(bounded.sent).toBeGreaterThan(0);
      expect(bounded.sent).toBeLessThan(1000 * 0.3 + 1024); // at most one batch past the pace
    } finally {
      await sipnic(['cluster', 'down', '--name', 'sipnic-tr', '--state-dir', stateDir]);
      rmSync(dir, { recursive: true, force: true });
    }
  }, 300_000);
});
