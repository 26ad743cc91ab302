// `sipnic primary --interface IF` (issue 10, item 1): the primary with no simulator between it
// and its processors. The table is the Verilated two-port NIC behind `sim serve --pty` (serial
// line, egress block); queue 0 arrives on a real veth interface made here in the root namespace
// (no addresses, IPv6 off, removed afterwards, on failure too), and the test's raw socket on the
// peer end stands for the board's port 1 and the processors' hosts. The test says hello as
// processor 1 with its MAC, as `sipnic monitor --interface` does.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../host/src/cli/program.js';
import type { CliIO } from '../host/src/cli/context.js';
import { ControlClient } from '../host/src/cluster/control-protocol.js';
import { openPacketSocket, type PacketSocket } from '../host/native/packet.js';
import { formatMac } from '../host/src/codec/mac.js';
import { buildFrame } from './support/framegen.js';
import { makeVethPair, nextPacket, removeVethPair } from './support/packets.js';

const skipReason = process.platform !== 'linux' ? 'needs Linux (AF_PACKET)' : process.getuid?.() !== 0 ? 'needs root (veth pairs, packet sockets); CI runs it as root' : '';
if (skipReason) console.warn(`test/primary-interface.test.ts: skipped: ${skipReason}`);

const tag = `${process.pid % 10000}`;
const A = `snpr${tag}a`; // the primary's interface
const B = `snpr${tag}b`; // the board's port 1 and the processors' hosts
const DIR = mkdtempSync(join(tmpdir(), 'sipnic-primary-if-'));
const SECRET = 'primary-interface-secret';
const CLUSTER_MAC = [0x02, 0x53, 0x4e, 0x00, 0x00, 0x01];
const CLIENT_MAC = [0x02, 0x53, 0x4e, 0x00, 0x00, 0xfe];
const P1_MAC = '02:53:4e:00:01:01';

function output(extra: Partial<CliIO> = {}) {
  const o = { out: '', err: '' };
  const io: CliIO = { stdout: (t) => void (o.out += t), stderr: (t) => void (o.err += t), stderrIsTTY: false, env: {}, ...extra };
  return { io, o };
}

describe.skipIf(skipReason !== '')('sipnic primary --interface', () => {
  let pty = '';
  const stopSim = new AbortController();
  let simServing: Promise<number>;
  const stopPrimary = new AbortController();
  let primaryDone: Promise<number> | undefined;
  const primaryOut = output({ signal: stopPrimary.signal });
  let macA: Uint8Array;
  const control = join(DIR, 'primary.sock');

  beforeAll(async () => {
    await makeVethPair(A, B);
    try {
      macA = openPacketSocket(A).mac;
      let ready!: (path: string) => void;
      const started = new Promise<string>((resolve) => (ready = resolve));
      const sim = output({ signal: stopSim.signal, onServing: ({ path }) => ready(path) });
      simServing = run(['sim', 'serve', '--pty'], sim.io);
      pty = await Promise.race([started, simServing.then((code) => Promise.reject(new Error(`sim serve --pty exited ${code}: ${sim.o.err}`)))]);
    } catch (err) {
      await removeVethPair(A);
      throw err;
    }
  }, 60_000);

  afterAll(async () => {
    stopPrimary.abort();
    await primaryDone;
    stopSim.abort();
    await simServing;
    await removeVethPair(A);
    rmSync(DIR, { recursive: true, force: true });
  });

  it('answers ARP on its interface, sends the slow path to the MAC of the hello, and sets the egress table', async () => {
    writeFileSync(join(DIR, 'secrets'), `1 ${SECRET}\n2 other-secret\n`);
    primaryDone = run(
      ['--device', pty, 'primary', '--interface', A, '--ip', '10.97.0.1', '--mac', formatMac(Uint8Array.from(CLUSTER_MAC)), '--processors', '2', '--secrets', join(DIR, 'secrets'), '--control', `unix:${control}`, '--heartbeat-timeout', '60000'],
      primaryOut.io,
    );
    const start = Date.now();
    while (!/serving/.test(primaryOut.o.out)) {
      if (Date.now() - start > 30_000) throw new Error(`primary not serving: ${primaryOut.o.err}`);
      if (await Promise.race([primaryDone.then(() => true), new Promise((r) => setTimeout(() => r(false), 20))])) throw new Error(`primary exited: ${primaryOut.o.err}`);
    }
    const wire = openPacketSocket(B);
    const monitor = await ControlClient.connect({ kind: 'unix', path: control });
    try {
      // an ARP request for the cluster address, broadcast as the board passes it on queue 0
      const arp = Uint8Array.from([
        ...[0xff, 0xff, 0xff, 0xff, 0xff, 0xff], ...CLIENT_MAC, 0x08, 0x06,
        0, 1, 0x08, 0x00, 6, 4, 0, 1, ...CLIENT_MAC, 10, 97, 0, 100, 0, 0, 0, 0, 0, 0, 10, 97, 0, 1,
      ]);
      wire.send(arp, Uint32Array.of(arp.length));
      const reply = await nextPacket(wire, (f) => f[12] === 0x08 && f[13] === 0x06 && f[21] === 2);
      expect([...reply.subarray(0, 6)]).toEqual(CLIENT_MAC);
      expect([...reply.subarray(22, 28)]).toEqual(CLUSTER_MAC); // the cluster's MAC answers
      expect([...reply.subarray(28, 32)]).toEqual([10, 97, 0, 1]);

      // processor 1 says hello with its MAC and listens on 8080
      const hello = await monitor.hello({ processor: 1, secret: SECRET, mac: P1_MAC });
      expect(hello.processor).toBe(1);
      await monitor.request({ op: 'listen', proto: 'tcp', port: 8080 });
      // a SYN that reached queue 0 (rewritten to the primary's MAC) goes to processor 1's MAC
      const syn = buildFrame({ family: 4, proto: 'tcp', src: '10.97.0.100', dst: '10.97.0.1', srcPort: 40000, dstPort: 8080 }, { flags: 0x02 });
      syn.set(macA, 0);
      wire.send(syn, Uint32Array.of(syn.length));
      const delivered = await nextPacket(wire, (f) => f.length === syn.length && f[12] === 0x08 && f[23] === 6 && f[47] === 0x02);
      expect(formatMac(delivered.subarray(0, 6))).toBe(P1_MAC);
      expect(delivered.subarray(6, 12)).toEqual(macA); // from the primary's interface, not the client's MAC
      expect(delivered.subarray(12)).toEqual(syn.subarray(12));

      const stats = await monitor.request({ op: 'stats' });
      const p1 = (stats.processors as { processor: number; mac: string | null }[]).find((p) => p.processor === 1);
      expect(p1?.mac).toBe(P1_MAC);
      expect((stats.counters as { egressErrors: number }).egressErrors).toBe(0);
    } finally {
      await monitor.close();
      wire.close();
      stopPrimary.abort();
      expect(await primaryDone).toBe(0);
    }
    // the primary is gone: the serial line is free, and the egress table holds what it set
    const list = output();
    expect(await run(['--device', pty, 'egress', 'list', '--json'], list.io), list.o.err).toBe(0);
    const egress = JSON.parse(list.o.out);
    expect(egress.rewrite).toBe(true);
    expect(egress.rewriteSrc).toBe(true);
    expect(egress.clusterMac).toBe(formatMac(Uint8Array.from(CLUSTER_MAC)));
    expect(primaryOut.o.err).toMatch(/egress: frames from the cluster reach the clients with source MAC 02:53:4e:00:00:01 \(ARP: sender address too\), source rewrite on/);
    expect(egress.macs[0]).toEqual({ queue: 0, mac: formatMac(macA) });
    expect(egress.macs[1]).toEqual({ queue: 1, mac: P1_MAC });
  }, 90_000);

  it('refuses a hello whose MAC is not one host\'s', async () => {
    // checked by the protocol before any primary sees it
    const { checkRequest } = await import('../host/src/cluster/control-protocol.js');
    const base = { op: 'hello', version: 2, processor: 1, cnonce: 'a'.repeat(64), proof: 'b'.repeat(64) };
    expect(() => checkRequest({ ...base, mac: '01:00:5e:00:00:01' })).toThrow(/field "mac" .* is not a unicast MAC/);
    expect(() => checkRequest({ ...base, mac: 'nope' })).toThrow(/field "mac"/);
    expect(checkRequest({ ...base, mac: '02-53-4E-00-01-01' })).toMatchObject({ mac: P1_MAC });
  });
});
