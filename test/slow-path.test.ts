// The primary's slow path under hardware pinning: which frames reaching queue 0 mean "the
// adapter did not learn this connection" (the primary then pins it, its fallback), by how the
// registry routes them. Frames built by the test's own generator, the registry real.
import { describe, expect, it } from 'vitest';
import type { WireFlow } from '../host/src/cluster/control-protocol.js';
import type { FramePort } from '../host/src/cluster/frame-port.js';
import { Registry } from '../host/src/cluster/registry.js';
import { SlowPath, type SlowPathCounters } from '../host/src/cluster/slow-path.js';
import { buildFrame, ETH_DST } from './support/framegen.js';

const SYN = 0x02;
const ACK = 0x10;
const RST = 0x04;

function slowPath() {
  const registry = new Registry((_, members) => members[0], { processors: 2 });
  Object.assign(registry.processor(1), { alive: true, connected: true, portRange: [40000, 44999] as [number, number] });
  Object.assign(registry.processor(2), { alive: true, connected: true });
  registry.addListen(2, 'tcp', 80, false);
  const delivered: number[] = [];
  const unpinned: { flow: WireFlow; owner: number }[] = [];
  const port = { deliver: async (p: number) => void delivered.push(p), transmit: async () => undefined } as unknown as FramePort;
  const counters = { slowPath: { flow: 0, listen: 0, group: 0, range: 0, 'icmp-error': 0 } } as unknown as SlowPathCounters;
  for (const k of ['queueFrames', 'arpReplies', 'arpToProcessors', 'neighbourToProcessors', 'echoReplies', 'neighbourAdverts', 'resets', 'portUnreachables', 'ignored', 'deliverErrors', 'heldWhileReclaiming'] as const) counters[k] = 0;
  const sp = new SlowPath({
    port,
    identity: { mac: Uint8Array.from(ETH_DST), ips: [{ family: 4, bytes: Uint8Array.from([...new Array(12).fill(0), 10, 0, 0, 1]) }] },
    processors: 2,
    registry,
    counters,
    reclaiming: () => false,
    unpinned: (flow, owner) => void unpinned.push({ flow, owner }),
    log: () => undefined,
  });
  return { sp, delivered, unpinned };
}

const tcp = (srcPort: number, dstPort: number, flags: number) => buildFrame({ family: 4, proto: 'tcp', src: '192.0.2.9', dst: '10.0.0.1', srcPort, dstPort }, { flags });

describe('slow path, hardware pinning', () => {
  it("a later frame of a connection to a listen port or into a processor's port range asks for the fallback pin; a SYN, a RST or UDP does not", () => {
    const { sp, delivered, unpinned } = slowPath();
    sp.frame(tcp(5000, 80, ACK)); // the handshake's ACK of an incoming connection the adapter did not learn
    sp.frame(tcp(443, 40001, SYN | ACK)); // the reply to a connection processor 1 opened
    sp.frame(tcp(5001, 80, SYN)); // a connection request: a spoofed SYN gets this far too
    sp.frame(tcp(443, 40002, RST));
    sp.frame(buildFrame({ family: 4, proto: 'udp', src: '192.0.2.9', dst: '10.0.0.1', srcPort: 53, dstPort: 40003 }));
    expect(delivered).toEqual([2, 1, 2, 1, 1]);
    expect(unpinned).toEqual([
      { flow: { family: 4, proto: 'tcp', srcIp: '192.0.2.9', srcPort: 5000, dstIp: '10.0.0.1', dstPort: 80 }, owner: 2 },
      { flow: { family: 4, proto: 'tcp', srcIp: '192.0.2.9', srcPort: 443, dstIp: '10.0.0.1', dstPort: 40001 }, owner: 1 },
    ]);
  });
});
