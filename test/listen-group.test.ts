// host/src/semantics/listen-group.ts against the worked examples of docs/semantics.md ("Shared ports"),
// whose values were worked out by hand from the text, not with this code.
import { describe, expect, it } from 'vitest';
import { groupMembers, groupQueue, groupTable, listenHash, listenHash16 } from '../host/src/semantics/listen-group.js';
import { parseIp } from '../host/src/codec/ip.js';

const v4 = (text: string) => parseIp(text).bytes;

describe('listen hash', () => {
  it.each([
    ['192.0.2.7', 40001, 8080, 0x41d6, 7, [1, 2, 3], 2],
    ['192.0.2.7', 40002, 8080, 0x41d5, 4, [1, 2, 3], 2],
    ['192.0.2.7', 40003, 8080, 0x41d4, 5, [1, 2, 3], 3],
    ['192.0.2.7', 40006, 8080, 0x41d1, 0, [1, 2, 3], 1],
    ['2001:db8::7', 5000, 53, 0x3e03, 7, [4, 5], 5],
  ])('%s:%i → :%i', (src, srcPort, dstPort, h, slot, members, queue) => {
    const key = { srcIp: v4(src), srcPort, dstPort };
    expect(listenHash16(key)).toBe(h);
    expect(listenHash(key)).toBe(slot);
    expect(groupQueue(key, members)).toBe(queue);
  });

  it('takes a 4-byte IPv4 address the same as its 16-byte form', () => {
    expect(listenHash({ srcIp: Uint8Array.of(192, 0, 2, 7), srcPort: 40001, dstPort: 8080 })).toBe(7);
    expect(() => listenHash({ srcIp: new Uint8Array(5), srcPort: 1, dstPort: 2 })).toThrow(RangeError);
  });

  it('eight aligned sequential source ports fill the eight slots', () => {
    const slots = new Set(Array.from({ length: 8 }, (_, i) => listenHash({ srcIp: v4('198.51.100.20'), srcPort: 50000 + i, dstPort: 443 })));
    expect(slots.size).toBe(8);
  });

  it('300 sequential source ports from one client over 3 members: each gets at least 20%', () => {
    const counts = [0, 0, 0];
    for (let p = 33000; p < 33300; p++) counts[groupQueue({ srcIp: v4('192.0.2.55'), srcPort: p, dstPort: 8080 }, [0, 1, 2])]++;
    for (const c of counts) expect(c / 300).toBeGreaterThanOrEqual(0.2);
  });
});

describe('group tables', () => {
  it('fills slot i with members[i mod n] and reads back the shortest list', () => {
    expect(groupTable([1, 2, 3])).toEqual([1, 2, 3, 1, 2, 3, 1, 2]);
    expect(groupTable([7])).toEqual([7, 7, 7, 7, 7, 7, 7, 7]);
    expect(groupTable([0, 1, 2, 3, 4])).toEqual([0, 1, 2, 3, 4, 0, 1, 2]);
    expect(groupMembers([1, 2, 3, 1, 2, 3, 1, 2])).toEqual([1, 2, 3]);
    expect(groupMembers([1, 2, 1, 2, 1, 2, 1, 2])).toEqual([1, 2]);
    expect(groupMembers([1, 1, 2, 1, 1, 2, 1, 1])).toEqual([1, 1, 2]);
    expect(groupMembers([0, 1, 2, 3, 4, 5, 6, 7])).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(() => groupTable([])).toThrow(RangeError);
  });
});

describe('the reference model on the same examples', () => {
  it('decides connection requests to a shared port by the slot of the example', async () => {
    const { ReferenceAdapter } = await import('../host/src/semantics/reference.js');
    const { parseRules } = await import('../host/src/codec/rules.js');
    const { buildFrame } = await import('./support/framegen.js');
    const ref = new ReferenceAdapter({ queues: 8 });
    for (const r of parseRules('listen tcp4 dst-ip 10.0.0.1 dst-port 8080 action 1,2,3\nlisten udp6 dst-ip 2001:db8::1 dst-port 53 action 4,5\n')) ref.add(r);
    const tcp = (srcPort: number, flags: number) =>
      buildFrame({ family: 4, proto: 'tcp', src: '192.0.2.7', dst: '10.0.0.1', srcPort, dstPort: 8080 }, { flags });
    expect(ref.decide(tcp(40001, 0x02))).toEqual({ queue: 2, by: 'listen', slot: 7 });
    expect(ref.decide(tcp(40003, 0x02))).toEqual({ queue: 3, by: 'listen', slot: 5 });
    expect(ref.decide(tcp(40006, 0x02))).toEqual({ queue: 1, by: 'listen', slot: 0 });
    expect(ref.decide(tcp(40001, 0x12))).toEqual({ queue: 0, by: 'default' }); // SYN+ACK: not a connection request
    const udp6 = buildFrame({ family: 6, proto: 'udp', src: '2001:db8::7', dst: '2001:db8::1', srcPort: 5000, dstPort: 53 });
    expect(ref.decide(udp6)).toEqual({ queue: 5, by: 'listen', slot: 7 });
    // a member the adapter does not have drops the frame (bad_queue)
    const small = new ReferenceAdapter({ queues: 4 });
    for (const r of parseRules('listen tcp4 dst-ip 10.0.0.1 dst-port 8080 action 1,2,3,9\n')) small.add(r);
    expect(small.decide(tcp(40001, 0x02))).toEqual({ drop: 'bad_queue', by: 'listen', slot: 7 }); // slot 7 holds 9
    expect(small.decide(tcp(40003, 0x02))).toEqual({ queue: 2, by: 'listen', slot: 5 });
  });
});
