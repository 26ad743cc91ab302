// host/src/cluster/frame-port-packet.ts and host/native/packet.cpp on a real veth pair (root,
// the pair is made here in the root namespace without addresses and with IPv6 off, so nothing
// leaves it; removed afterwards, on failure too). Frames are built byte by byte by the test
// (test/support/framegen.ts); what a port passes on is checked against what was sent, in the
// order the veth keeps, with a marker frame sent last so "nothing else came" needs no sleep.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PacketFramePort } from '../host/src/cluster/frame-port-packet.js';
import type { FrameEvent } from '../host/src/cluster/frame-port.js';
import { openPacketSocket, type PacketSocket } from '../host/native/packet.js';
import { buildFrame, type FlowSpec } from './support/framegen.js';
import { makeVethPair, nextPacket, removeVethPair } from './support/packets.js';
import { until } from './support/until.js';

const execFileP = promisify(execFile);
const skipReason = process.platform !== 'linux' ? 'needs Linux (AF_PACKET)' : process.getuid?.() !== 0 ? 'needs root (veth pairs, packet sockets); CI runs it as root' : '';
if (skipReason) console.warn(`test/packet-frame-port.test.ts: skipped: ${skipReason}`);

const tag = `${process.pid % 10000}`;
const A = `snpk${tag}a`;
const B = `snpk${tag}b`;
const ip = (...args: string[]) => execFileP('ip', args);

const flow4: FlowSpec = { family: 4, proto: 'tcp', src: '10.99.0.100', dst: '10.99.0.1', srcPort: 40000, dstPort: 8080 };
const flow6: FlowSpec = { family: 6, proto: 'tcp', src: 'fd00:99::100', dst: 'fd00:99::1', srcPort: 40001, dstPort: 8080 };
const udp4: FlowSpec = { ...flow4, proto: 'udp' };
const SYN = 0x02;
const SYN_ACK = 0x12;
const ACK = 0x10;

/** A frame with its destination MAC replaced and a recognisable payload length. */
function to(dst: Uint8Array | number[], frame: Uint8Array): Uint8Array {
  const f = Uint8Array.from(frame);
  f.set(dst, 0);
  return f;
}

const send = (s: PacketSocket, f: Uint8Array) => expect(s.send(f, Uint32Array.of(f.length)).written).toBe(1);

const same = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((x, i) => x === b[i]);

describe.skipIf(skipReason !== '')('packet frame port on a veth pair', () => {
  let macA: Uint8Array;
  const BROADCAST = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff];
  const OTHER = [0x02, 0x99, 0x00, 0x00, 0x00, 0x77];

  beforeAll(async () => {
    await makeVethPair(A, B);
    macA = openPacketSocket(A).mac;
  });

  afterAll(async () => {
    await removeVethPair(A);
  });

  it('queue 0: frames to the interface, broadcasts; frames for another host counted and ignored; its own sends never come back', async () => {
    const port = PacketFramePort.open(A);
    const wire = openPacketSocket(B);
    try {
      expect(port.mac).toEqual(macA);
      const events: FrameEvent[] = [];
      port.onFrame((e) => events.push(e));
      await port.claimQueue(0);
      await expect(port.claimQueue(1)).rejects.toThrow(/carries queue 0 only/);
      const mine = to(macA, buildFrame(udp4, { payload: 11 }));
      const bcast = to(BROADCAST, buildFrame(udp4, { payload: 12 }));
      const other = to(OTHER, buildFrame(udp4, { payload: 13 }));
      const marker = to(macA, buildFrame(udp4, { payload: 14 }));
      await port.transmit(to(BROADCAST, buildFrame(udp4, { payload: 15 })));
      for (const f of [mine, bcast, other, marker]) send(wire, f);
      await until('the marker', () => events.some((e) => same(e.frame, marker)));
      expect(events.map((e) => e.source)).toEqual(['queue', 'queue', 'queue']);
      expect(events.map((e) => (e.source === 'queue' ? e.queue : -1))).toEqual([0, 0, 0]);
      expect(same(events[0].frame, mine) && same(events[1].frame, bcast)).toBe(true);
      expect(port.stats()).toMatchObject({ interface: A, queueFrames: 3, otherHost: 1, sent: 1, connectionRequests: 0 });
    } finally {
      await port.close();
      wire.close();
    }
  });

  it('the kernel filter passes only TCP SYNs without ACK (IPv4 with options, IPv6), incoming as requests and outgoing as opens', async () => {
    const port = PacketFramePort.open(A, { synOnly: true });
    const wire = openPacketSocket(B);
    const local = openPacketSocket(A); // another sender on A: its frames are PACKET_OUTGOING to the port
    try {
      const events: FrameEvent[] = [];
      port.onFrame((e) => events.push(e));
      await port.watchConnectionRequests(2);
      await port.watchConnectionOpens(2);
      const syn4 = to(macA, buildFrame(flow4, { flags: SYN }));
      const syn4opts = to(macA, buildFrame(flow4, { flags: SYN, ipOptions: 8 }));
      const syn6 = to(macA, buildFrame(flow6, { flags: SYN }));
      const notSyn = [
        buildFrame(flow4, { flags: SYN_ACK }),
        buildFrame(flow4, { flags: ACK }),
        buildFrame(flow6, { flags: SYN_ACK }),
        buildFrame(flow6, { flags: SYN, extensionHeader: true }), // documented: not matched
        buildFrame(flow4, { flags: SYN, fragment: { mf: false, offset: 10 } }), // a later fragment
        buildFrame(udp4, { payload: 2 }),
      ].map((f) => to(macA, f));
      for (const f of [notSyn[0], syn4, notSyn[1], notSyn[2], syn4opts, notSyn[3], notSyn[4], syn6, notSyn[5]]) send(wire, f);
      const outSyn = to(OTHER, buildFrame({ ...flow4, src: flow4.dst, dst: flow4.src, srcPort: 33000, dstPort: 80 }, { flags: SYN }));
      send(local, to(OTHER, buildFrame(flow4, { flags: SYN_ACK })));
      send(local, outSyn);
      await until('the outgoing SYN', () => events.some((e) => e.source === 'connection-open'));
      const requests = events.filter((e) => e.source === 'connection-request');
      expect(requests.map((e) => e.frame)).toEqual([syn4, syn4opts, syn6]);
      expect(requests.every((e) => e.source === 'connection-request' && e.queue === 2)).toBe(true);
      const opens = events.filter((e) => e.source === 'connection-open');
      expect(opens).toEqual([{ source: 'connection-open', processor: 2, frame: outSyn }]);
      // the kernel dropped the rest: the socket never read them
      expect(port.stats()).toMatchObject({ received: 4, connectionRequests: 3, connectionOpens: 1, unclaimed: 0 });
    } finally {
      await port.close();
      wire.close();
      local.close();
    }
  });

  it('deliver sends to the processor MAC it was told, from its own; transmit sends as is; unknown MAC and short frames are errors', async () => {
    const port = PacketFramePort.open(A);
    const wire = openPacketSocket(B);
    try {
      const frame = to(BROADCAST, buildFrame(udp4, { payload: 21 }));
      await expect(port.deliver(3, frame)).rejects.toThrow(/processor 3's MAC is not known yet/);
      const mac3 = Uint8Array.of(0x02, 0x53, 0x4e, 0x00, 0x00, 0x03);
      port.setProcessorMac(3, mac3);
      await port.deliver(3, frame);
      const got = await nextPacket(wire, (f) => f.length === frame.length && f[f.length - 1] === frame[frame.length - 1]);
      expect(got.subarray(0, 6)).toEqual(mac3);
      expect(got.subarray(6, 12)).toEqual(port.mac); // from this interface: a switch must not learn the client's MAC here
      expect(got.subarray(12)).toEqual(frame.subarray(12));
      expect(frame.subarray(0, 6)).toEqual(Uint8Array.from(BROADCAST)); // the caller's frame is not changed
      const plain = to(OTHER, buildFrame(udp4, { payload: 22 }));
      await port.transmit(plain);
      expect(await nextPacket(wire, (f) => same(f, plain))).toEqual(plain);
      await expect(port.transmit(Uint8Array.of(1, 2, 3))).rejects.toThrow(/3 bytes has no Ethernet header/);
    } finally {
      await port.close();
      wire.close();
    }
  });

  it('a missing interface is named; the port reports the interface going away', async () => {
    expect(() => PacketFramePort.open('snpk-none')).toThrow(/packet socket on interface snpk-none/);
    const extra = `snpk${tag}x`;
    await ip('link', 'add', extra, 'type', 'veth', 'peer', 'name', `snpk${tag}y`);
    try {
      await ip('link', 'set', extra, 'up');
      const port = PacketFramePort.open(extra);
      const closed = new Promise<Error | undefined>((r) => port.onClose(r));
      await ip('link', 'del', extra);
      expect((await closed)?.message).toMatch(new RegExp(`packet socket on ${extra}`));
      await port.close();
    } finally {
      await ip('link', 'del', extra).catch(() => {});
    }
  });
});
