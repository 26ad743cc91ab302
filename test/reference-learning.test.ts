// The reference model's connection learning and aging (docs/semantics.md, "Learning and
// aging") against frames built byte by byte (test/support/framegen.ts), with the expected
// decisions, states and windows worked out by hand from the text. Times in µs.
//
// Timers throughout (unless a test says otherwise): syn-timeout 50 ms, idle-timeout 200 ms,
// fin-timeout 30 ms, so the removal windows [T − 1 ms, T × 1.01 + 10 ms] after the last hit are
//   embryonic   [49 000, 60 500] µs
//   established [199 000, 212 000] µs
//   closing     [29 000, 40 300] µs
import { describe, expect, it } from 'vitest';
import { parseRules } from '../host/src/codec/rules.js';
import { ReferenceAdapter, ReferenceTableError } from '../host/src/semantics/reference.js';
import { buildFrame } from './support/framegen.js';

const FIN = 0x01;
const SYN = 0x02;
const RST = 0x04;
const ACK = 0x10;

const RULES = `
learning syn-timeout 0.05 idle-timeout 0.2 fin-timeout 0.03 max-embryonic 2
listen tcp4 dst-ip 10.0.0.1 dst-port 80 action 2 learn
listen tcp4 dst-ip 10.0.0.1 dst-port 81 action 3
listen tcp4 dst-ip 10.0.0.1 dst-port 8080 action 1,2,3 learn
listen tcp4 dst-ip 10.0.0.1 dst-port 82 action -1 learn
listen udp4 dst-ip 10.0.0.1 dst-port 53 action 4
default action 0
`;

function adapter(extra = '', opts: { capacity?: number; rules?: string; ipv6?: boolean } = {}): ReferenceAdapter {
  const ref = new ReferenceAdapter({ queues: 8, capacity: opts.capacity, ipv6: opts.ipv6 });
  for (const rule of parseRules((opts.rules ?? RULES) + extra)) ref.add(rule);
  return ref;
}

/** A client frame 192.0.2.7:srcPort → 10.0.0.1:dstPort, 54 bytes (no payload). */
const tcp = (srcPort: number, flags: number, dstPort = 80, src = '192.0.2.7') => buildFrame({ family: 4, proto: 'tcp', src, dst: '10.0.0.1', srcPort, dstPort }, { flags });
const KEY = 'flow-type tcp4 src-ip 192.0.2.7 dst-ip 10.0.0.1 src-port 40001 dst-port 80';

describe('learning on a learn listen rule', () => {
  it('a SYN that a learn rule steers learns its connection; the SYN still goes to the listen queue', () => {
    const ref = adapter();
    expect(tcp(40001, SYN)).toHaveLength(54);
    expect(ref.decide(tcp(40001, SYN), 0)).toEqual({ queue: 2, by: 'listen', learned: true });
    expect(ref.decide(tcp(40001, ACK), 100)).toEqual({ queue: 2, by: 'flow' });
    expect(ref.entries(100)).toEqual([{ key: KEY, queue: 2, origin: 'learned', state: 'established', idleMs: 0, timeoutMs: 200 }]);
    expect(ref.counters(100)).toMatchObject({ learned: 1, established: 1, refused: { exact: 0, quota: 0, full: 0, busy: 0 } });
    expect(ref.learnedCount).toBe(1);
    expect(ref.flowCount).toBe(0);
  });

  it('a plain listen rule learns nothing, and its decisions carry no learning words', () => {
    const ref = adapter();
    expect(ref.decide(tcp(40001, SYN, 81), 0)).toEqual({ queue: 3, by: 'listen' });
    expect(ref.decide(tcp(40001, ACK, 81), 100)).toEqual({ queue: 0, by: 'default' });
    expect(ref.entries(100)).toEqual([]);
    expect(ref.counters().learned).toBe(0);
  });

  it('only a connection request learns: SYN+ACK, ACK, FIN and UDP to a learn port do not', () => {
    const ref = adapter();
    expect(ref.decide(tcp(40001, SYN | ACK), 0)).toEqual({ queue: 0, by: 'default' });
    expect(ref.decide(tcp(40001, ACK), 100)).toEqual({ queue: 0, by: 'default' });
    expect(ref.decide(tcp(40001, FIN | ACK), 200)).toEqual({ queue: 0, by: 'default' });
    expect(ref.entries(300)).toEqual([]);
  });

  it('a SYN with FIN set still learns, and the entry starts embryonic', () => {
    const ref = adapter();
    expect(ref.decide(tcp(40001, SYN | FIN), 0)).toEqual({ queue: 2, by: 'listen', learned: true });
    expect(ref.entries(0)).toMatchObject([{ key: KEY, state: 'embryonic' }]);
  });

  it('a learn rule that drops learns nothing and counts nothing', () => {
    const ref = adapter();
    expect(ref.decide(tcp(40001, SYN, 82), 0)).toEqual({ drop: 'rule', by: 'listen' });
    expect(ref.entries(0)).toEqual([]);
    expect(ref.counters()).toMatchObject({ learned: 0, refused: { exact: 0, quota: 0, full: 0, busy: 0 } });
  });

  it('a shared port learns the queue the group hash chose (docs/semantics.md worked examples)', () => {
    const ref = adapter();
    // 192.0.2.7:40001 → :8080 is slot 7 (queue 2 of 1,2,3); :40003 slot 5 (queue 3)
    expect(ref.decide(tcp(40001, SYN, 8080), 0)).toEqual({ queue: 2, by: 'listen', slot: 7, learned: true });
    expect(ref.decide(tcp(40003, SYN, 8080), 100)).toEqual({ queue: 3, by: 'listen', slot: 5, learned: true });
    expect(ref.decide(tcp(40003, ACK, 8080), 200)).toEqual({ queue: 3, by: 'flow' });
    expect(ref.decide(tcp(40001, ACK, 8080), 300)).toEqual({ queue: 2, by: 'flow' });
  });

  it('IPv6 learns the same way', () => {
    const ref = adapter('listen tcp6 dst-ip 2001:db8::1 dst-port 443 action 5 learn\n');
    const six = (flags: number) => buildFrame({ family: 6, proto: 'tcp', src: '2001:db8::7', dst: '2001:db8::1', srcPort: 5000, dstPort: 443 }, { flags });
    expect(ref.decide(six(SYN), 0)).toEqual({ queue: 5, by: 'listen', learned: true });
    expect(ref.decide(six(ACK), 100)).toEqual({ queue: 5, by: 'flow' });
    expect(ref.entries(100)[0].key).toBe('flow-type tcp6 src-ip 2001:db8::7 dst-ip 2001:db8::1 src-port 5000 dst-port 443');
  });
});

describe('the worked example of docs/semantics.md', () => {
  it('gives the table’s decisions and states', () => {
    const ref = adapter();
    expect(ref.decide(tcp(40001, SYN), 0)).toEqual({ queue: 2, by: 'listen', learned: true });
    expect(ref.decide(tcp(40001, SYN), 100)).toEqual({ queue: 2, by: 'flow', refused: 'exact' });
    expect(ref.decide(tcp(40001, ACK), 49_099)).toEqual({ queue: 2, by: 'flow' });
    expect(ref.entries()).toMatchObject([{ state: 'established', idleMs: 0 }]);
    expect(ref.decide(tcp(40001, ACK | 0x08), 248_098)).toEqual({ queue: 2, by: 'flow' });
    expect(ref.decide(tcp(40001, ACK | 0x08), 500_000)).toEqual({ queue: 0, by: 'default' });
    expect(ref.counters().aged).toEqual({ embryonic: 0, established: 1, closing: 0, host: 0 });
  });

  it('and its two ambiguous variants', () => {
    const early = adapter();
    early.decide(tcp(40001, SYN), 0);
    expect(early.decide(tcp(40001, ACK), 10)).toMatchObject({ ambiguous: 'visibility' });
    const late = adapter();
    late.decide(tcp(40001, SYN), 0);
    late.decide(tcp(40001, SYN), 100);
    late.decide(tcp(40001, ACK), 49_099);
    expect(late.decide(tcp(40001, ACK | 0x08), 250_000)).toMatchObject({ ambiguous: 'aging' });
  });
});

describe('refusal: exact', () => {
  it('a SYN that hits a host entry goes to its queue and is counted, not learned', () => {
    const ref = adapter('flow-type tcp4 src-ip 192.0.2.7 dst-ip 10.0.0.1 src-port 40001 dst-port 80 action 6\n');
    expect(ref.decide(tcp(40001, SYN), 0)).toEqual({ queue: 6, by: 'flow', refused: 'exact' });
    expect(ref.counters()).toMatchObject({ learned: 0, refused: { exact: 1, quota: 0, full: 0, busy: 0 } });
    expect(ref.entries(0)).toMatchObject([{ origin: 'host', queue: 6 }]);
  });

  it('a SYN hitting an exact entry of a port without learn counts nothing', () => {
    const ref = adapter('flow-type tcp4 src-ip 192.0.2.7 dst-ip 10.0.0.1 src-port 40001 dst-port 81 action 6\n');
    expect(ref.decide(tcp(40001, SYN, 81), 0)).toEqual({ queue: 6, by: 'flow' });
    expect(ref.counters().refused.exact).toBe(0);
  });

  it('a retransmitted SYN refreshes its embryonic entry and leaves it embryonic', () => {
    const ref = adapter();
    expect(ref.decide(tcp(40001, SYN), 0)).toEqual({ queue: 2, by: 'listen', learned: true });
    expect(ref.decide(tcp(40001, SYN), 40_000)).toEqual({ queue: 2, by: 'flow', refused: 'exact' });
    expect(ref.entries(40_000)).toMatchObject([{ state: 'embryonic', idleMs: 0 }]);
    // without the refresh the entry would be gone by 60 500; 88 999 is 48 999 after the retransmit
    expect(ref.decide(tcp(40001, ACK), 88_999)).toEqual({ queue: 2, by: 'flow' });
    expect(ref.counters()).toMatchObject({ learned: 1, refused: { exact: 1 }, aged: { embryonic: 0 } });
  });
});

describe('states', () => {
  const stateAfter = (flags: number[]): string => {
    const ref = adapter();
    ref.decide(tcp(40001, SYN), 0);
    flags.forEach((f, i) => ref.decide(tcp(40001, f), 100 * (i + 1)));
    return ref.entries()[0].state;
  };

  it.each([
    [[], 'embryonic'],
    [[SYN], 'embryonic'], // a retransmit
    [[ACK], 'established'],
    [[SYN | ACK], 'established'], // not a connection request
    [[ACK | 0x08], 'established'], // ACK+PSH
    [[0x00], 'established'], // no flags at all is still not a connection request
    [[FIN | ACK], 'closing'], // FIN wins over establishing
    [[RST], 'closing'],
    [[SYN | RST], 'closing'],
    [[ACK, FIN | ACK], 'closing'],
    [[ACK, RST | ACK], 'closing'],
    [[ACK, FIN | ACK, ACK], 'closing'], // closing is final
    [[FIN, SYN], 'closing'],
    [[RST, SYN | ACK, ACK], 'closing'],
  ])('after SYN, %j: %s', (flags, state) => {
    expect(stateAfter(flags)).toBe(state);
  });

  it('counts each transition once', () => {
    const ref = adapter();
    ref.decide(tcp(40001, SYN), 0);
    for (const [i, f] of [ACK, ACK, FIN | ACK, ACK, RST].entries()) ref.decide(tcp(40001, f), 100 * (i + 1));
    expect(ref.counters()).toMatchObject({ learned: 1, established: 1, closing: 1 });
  });
});

describe('aging of learned entries', () => {
  /** An entry brought to `state` with its last hit at 1000 µs. */
  function entryIn(state: 'embryonic' | 'established' | 'closing'): ReferenceAdapter {
    const ref = adapter();
    if (state === 'embryonic') ref.decide(tcp(40001, SYN), 1000);
    else {
      ref.decide(tcp(40001, SYN), 0);
      ref.decide(tcp(40001, state === 'established' ? ACK : FIN | ACK), 1000);
    }
    return ref;
  }

  // window of each state after a last hit at 1000: [1000 + T − 1 ms, 1000 + 1.01 T + 10 ms]
  it.each([
    ['embryonic', 1000 + 48_999, 1000 + 49_000, 1000 + 60_500, 1000 + 60_501],
    ['established', 1000 + 198_999, 1000 + 199_000, 1000 + 212_000, 1000 + 212_001],
    ['closing', 1000 + 28_999, 1000 + 29_000, 1000 + 40_300, 1000 + 40_301],
  ] as const)('%s: present just before the window, ambiguous inside, gone just after', (state, before, first, last, after) => {
    expect(entryIn(state).decide(tcp(40001, ACK), before)).toEqual({ queue: 2, by: 'flow' });
    expect(entryIn(state).decide(tcp(40001, ACK), first)).toEqual({ queue: 2, by: 'flow', ambiguous: 'aging' });
    expect(entryIn(state).decide(tcp(40001, ACK), last)).toEqual({ queue: 2, by: 'flow', ambiguous: 'aging' });
    const ref = entryIn(state);
    expect(ref.decide(tcp(40001, ACK), after)).toEqual({ queue: 0, by: 'default' });
    expect(ref.counters().aged).toEqual({ embryonic: 0, established: 0, closing: 0, host: 0, [state]: 1 });
    expect(ref.entries()).toEqual([]);
  });

  it('entries() marks an entry inside its window, counters() counts it only once it is past', () => {
    const ref = entryIn('embryonic');
    expect(ref.entries(1000 + 50_000)).toMatchObject([{ state: 'embryonic', idleMs: 50, timeoutMs: 50, mayBeAged: true }]);
    expect(ref.counters(1000 + 60_500).aged.embryonic).toBe(0);
    expect(ref.counters(1000 + 60_501).aged.embryonic).toBe(1);
  });

  it('a learning line loaded later applies to entries already learned', () => {
    const ref = entryIn('embryonic');
    ref.add(parseRules('learning syn-timeout 1')[0]);
    expect(ref.decide(tcp(40001, ACK), 1000 + 500_000)).toEqual({ queue: 2, by: 'flow' });
  });

  it('an aged connection learns again on its next SYN', () => {
    const ref = entryIn('embryonic');
    expect(ref.decide(tcp(40001, SYN), 1000 + 60_501)).toEqual({ queue: 2, by: 'listen', learned: true });
    expect(ref.counters()).toMatchObject({ learned: 2, aged: { embryonic: 1 } });
  });
});

describe('visibility', () => {
  // a 54-byte SYN at 0 ends at 0.432 µs: the entry is certain from 20.432 µs
  it('a frame before 20 µs after the SYN’s last byte is ambiguous, one after sees the entry', () => {
    expect(adapter().decide(tcp(40001, SYN), 0)).toMatchObject({ learned: true });
    const early = adapter();
    early.decide(tcp(40001, SYN), 0);
    expect(early.decide(tcp(40001, ACK), 20)).toEqual({ queue: 2, by: 'flow', ambiguous: 'visibility' });
    const late = adapter();
    late.decide(tcp(40001, SYN), 0);
    expect(late.entries(10)).toMatchObject([{ mayBeInvisible: true }]);
    expect(late.decide(tcp(40001, ACK), 21)).toEqual({ queue: 2, by: 'flow' });
    expect(late.entries(21)[0]).not.toHaveProperty('mayBeInvisible');
  });

  it('the SYN’s length counts: a 1054-byte SYN ends 8 µs later', () => {
    const big = buildFrame({ family: 4, proto: 'tcp', src: '192.0.2.7', dst: '10.0.0.1', srcPort: 40001, dstPort: 80 }, { flags: SYN, payload: 1000 });
    const ref = adapter();
    ref.decide(big, 0);
    expect(ref.decide(tcp(40001, ACK), 28)).toMatchObject({ ambiguous: 'visibility' });
    expect(ref.decide(tcp(40001, ACK), 29)).toEqual({ queue: 2, by: 'flow' });
  });

  it('a connection request while an earlier one may still be in the engine is ambiguous: busy', () => {
    const ref = adapter('', { rules: RULES.replace('max-embryonic 2', 'max-embryonic 10') });
    ref.decide(tcp(40001, SYN), 0);
    // the first request's entry is certain from 20.432; the second's from 40.432
    expect(ref.decide(tcp(40002, SYN), 20)).toEqual({ queue: 2, by: 'listen', learned: true, ambiguous: 'busy' });
    expect(ref.decide(tcp(40003, SYN, 8080), 41)).toEqual({ queue: 3, by: 'listen', slot: 5, learned: true });
    // a retransmit hits the exact entry: not the engine's work, so never busy
    expect(ref.decide(tcp(40003, SYN, 8080), 62)).toEqual({ queue: 3, by: 'flow', refused: 'exact' });
  });
});

describe('refusal: quota', () => {
  it('max-embryonic embryonic entries stop learning until one ages or establishes', () => {
    const ref = adapter(); // max-embryonic 2
    expect(ref.decide(tcp(40001, SYN), 0)).toMatchObject({ learned: true });
    expect(ref.decide(tcp(40002, SYN), 100)).toMatchObject({ learned: true });
    expect(ref.decide(tcp(40003, SYN), 200)).toEqual({ queue: 2, by: 'listen', refused: 'quota' });
    // established entries do not count
    expect(ref.decide(tcp(40001, ACK), 300)).toEqual({ queue: 2, by: 'flow' });
    expect(ref.decide(tcp(40003, SYN), 400)).toEqual({ queue: 2, by: 'listen', learned: true });
    expect(ref.decide(tcp(40004, SYN), 500)).toEqual({ queue: 2, by: 'listen', refused: 'quota' });
    // 40002 (last hit 100) and 40003 (400) are gone after 60 500 µs of idle
    expect(ref.decide(tcp(40004, SYN), 400 + 60_501)).toEqual({ queue: 2, by: 'listen', learned: true });
    expect(ref.counters(400 + 60_501)).toMatchObject({ learned: 4, refused: { quota: 2 }, aged: { embryonic: 2 } });
  });

  it('a count that depends on an entry inside its removal window is ambiguous', () => {
    const ref = adapter();
    ref.decide(tcp(40001, SYN), 0);
    ref.decide(tcp(40002, SYN), 10_000);
    expect(ref.decide(tcp(40003, SYN), 50_000)).toEqual({ queue: 2, by: 'listen', refused: 'quota', ambiguous: 'aging' });
  });

  it('max-embryonic 0 learns nothing', () => {
    const ref = adapter('', { rules: RULES.replace('max-embryonic 2', 'max-embryonic 0') });
    expect(ref.decide(tcp(40001, SYN), 0)).toEqual({ queue: 2, by: 'listen', refused: 'quota' });
  });
});

describe('refusal: full', () => {
  it('a table with capacity entries refuses, and learns again once one is removed', () => {
    const ref = adapter('flow-type udp4 src-ip 192.0.2.9 dst-ip 10.0.0.1 src-port 5000 dst-port 53 action 4\n', { capacity: 2 });
    expect(ref.decide(tcp(40001, SYN), 0)).toMatchObject({ learned: true });
    expect(ref.decide(tcp(40002, SYN), 100)).toEqual({ queue: 2, by: 'listen', refused: 'full' });
    ref.remove(parseRules(`${KEY} action 0`)[0], 200);
    expect(ref.decide(tcp(40002, SYN), 300)).toEqual({ queue: 2, by: 'listen', learned: true });
    expect(ref.counters().refused).toEqual({ exact: 0, quota: 0, full: 1, busy: 0 });
    expect(() => ref.add(parseRules('flow-type tcp4 src-ip 192.0.2.9 dst-ip 10.0.0.1 src-port 1 dst-port 2 action 1')[0], 400)).toThrow(ReferenceTableError);
  });

  it('quota is checked before full', () => {
    const ref = adapter('', { capacity: 2 });
    ref.decide(tcp(40001, SYN), 0);
    ref.decide(tcp(40002, SYN), 100);
    expect(ref.decide(tcp(40003, SYN), 200)).toMatchObject({ refused: 'quota' });
  });
});

describe('host entries', () => {
  const HOST = 'flow-type tcp4 src-ip 192.0.2.7 dst-ip 10.0.0.1 src-port 40001 dst-port 80 action 6';

  it('age with their own idle-timeout, window [T − 1 ms, T × 1.01 + 10 ms] from the last hit', () => {
    const ref = adapter(`${HOST} idle-timeout 0.1\n`); // added at 0: window [99 000, 111 000]
    expect(ref.decide(tcp(40001, ACK), 98_999)).toEqual({ queue: 6, by: 'flow' });
    // refreshed at 98 999: window [197 999, 209 999]
    expect(ref.decide(tcp(40001, ACK), 197_998)).toEqual({ queue: 6, by: 'flow' });
    expect(ref.decide(tcp(40001, ACK), 197_998 + 99_000)).toEqual({ queue: 6, by: 'flow', ambiguous: 'aging' });
    const gone = adapter(`${HOST} idle-timeout 0.1\n`);
    expect(gone.decide(tcp(40001, ACK), 111_001)).toEqual({ queue: 0, by: 'default' });
    expect(gone.counters().aged).toEqual({ embryonic: 0, established: 0, closing: 0, host: 1 });
    expect(gone.flowCount).toBe(0);
  });

  it('a FIN or RST changes nothing: still established, still its own timeout', () => {
    const ref = adapter(`${HOST} idle-timeout 0.1\n`);
    ref.decide(tcp(40001, FIN | ACK), 0);
    ref.decide(tcp(40001, RST), 10);
    expect(ref.entries(10)).toEqual([{ key: KEY, queue: 6, origin: 'host', state: 'established', idleMs: 0, timeoutMs: 100 }]);
    expect(ref.decide(tcp(40001, ACK), 10 + 98_999)).toEqual({ queue: 6, by: 'flow' }); // fin-timeout (30 ms) would have removed it
    expect(ref.counters()).toMatchObject({ closing: 0, established: 0 });
  });

  it('without idle-timeout never age', () => {
    const ref = adapter(`${HOST}\n`);
    expect(ref.decide(tcp(40001, ACK), 3_600_000_000)).toEqual({ queue: 6, by: 'flow' });
    expect(ref.entries()).toEqual([{ key: KEY, queue: 6, origin: 'host', state: 'established', idleMs: 0 }]);
  });

  it('UDP hits refresh a host entry too', () => {
    const ref = adapter('flow-type udp4 src-ip 192.0.2.9 dst-ip 10.0.0.1 src-port 5000 dst-port 53 action 4 idle-timeout 0.1\n');
    const udp = buildFrame({ family: 4, proto: 'udp', src: '192.0.2.9', dst: '10.0.0.1', srcPort: 5000, dstPort: 53 }, {});
    expect(ref.decide(udp, 90_000)).toEqual({ queue: 4, by: 'flow' });
    expect(ref.decide(udp, 180_000)).toEqual({ queue: 4, by: 'flow' });
  });

  it('the host may delete a learned entry, and may not add over one', () => {
    const ref = adapter();
    ref.decide(tcp(40001, SYN), 0);
    expect(() => ref.add(parseRules(HOST)[0], 100)).toThrow(/already present/);
    ref.remove(parseRules(HOST)[0], 100);
    expect(ref.decide(tcp(40001, ACK), 200)).toEqual({ queue: 0, by: 'default' });
  });
});

describe('transmit-side learning', () => {
  /** A frame processor sends from 10.0.0.1:50000 to 198.51.100.9:443. */
  const out = (flags: number, src = '10.0.0.1') => buildFrame({ family: 4, proto: 'tcp', src, dst: '198.51.100.9', srcPort: 50000, dstPort: 443 }, { flags });
  const back = (flags: number) => buildFrame({ family: 4, proto: 'tcp', src: '198.51.100.9', dst: '10.0.0.1', srcPort: 443, dstPort: 50000 }, { flags });

  it('a SYN from a cluster address learns the reverse entry to the sender’s queue', () => {
    const ref = adapter();
    expect(ref.transmit(out(SYN), 3, 0)).toEqual({ learned: true });
    expect(ref.entries(0)).toMatchObject([{ key: 'flow-type tcp4 src-ip 198.51.100.9 dst-ip 10.0.0.1 src-port 443 dst-port 50000', queue: 3, origin: 'learned', state: 'embryonic' }]);
    expect(ref.decide(back(SYN | ACK), 100)).toEqual({ queue: 3, by: 'flow' });
    expect(ref.entries(100)).toMatchObject([{ state: 'established' }]);
    // a retransmitted SYN refreshes the entry and counts exact
    expect(ref.transmit(out(SYN), 3, 200)).toEqual({ refused: 'exact' });
    expect(ref.counters()).toMatchObject({ learned: 1, refused: { exact: 1 } });
  });

  it('a retransmitted SYN refreshes the embryonic reverse entry', () => {
    const ref = adapter();
    ref.transmit(out(SYN), 3, 0);
    expect(ref.transmit(out(SYN), 3, 40_000)).toEqual({ refused: 'exact' });
    // 88 999 is past the first SYN's window [49 000, 60 500] but 48 999 after the retransmit
    expect(ref.decide(back(SYN | ACK), 88_999)).toEqual({ queue: 3, by: 'flow' });
  });

  it('IPv4-only (ipv6: false): an IPv6 SYN learns nothing either way, an IPv4 one as before', () => {
    const rules = RULES + 'listen tcp6 dst-ip 2001:db8::1 dst-port 80 action 2 learn\n';
    const out6 = buildFrame({ family: 6, proto: 'tcp', src: '2001:db8::1', dst: '2001:db8::99', srcPort: 50000, dstPort: 443 }, { flags: SYN });
    const in6 = buildFrame({ family: 6, proto: 'tcp', src: '2001:db8::99', dst: '2001:db8::1', srcPort: 40000, dstPort: 80 }, { flags: SYN });
    const both = adapter('', { rules });
    expect(both.transmit(out6, 3, 0)).toEqual({ learned: true });
    expect(both.decide(in6, 100)).toMatchObject({ queue: 2, by: 'listen', learned: true });
    const v4only = adapter('', { rules, ipv6: false });
    expect(v4only.transmit(out6, 3, 0)).toEqual({});
    expect(v4only.decide(in6, 100)).toEqual({ queue: 0, by: 'default' });
    expect(v4only.transmit(out(SYN), 3, 200)).toEqual({ learned: true });
    expect(v4only.counters()).toMatchObject({ learned: 1 });
  });

  it('learns nothing from other frames, other sources, or without a learning line', () => {
    const ref = adapter();
    expect(ref.transmit(out(ACK), 3, 0)).toEqual({});
    expect(ref.transmit(out(SYN | ACK), 3, 100)).toEqual({});
    expect(ref.transmit(out(SYN, '10.0.0.99'), 3, 200)).toEqual({});
    const noLine = adapter('', { rules: RULES.replace(/^learning .*$/m, '') });
    expect(noLine.transmit(out(SYN), 3, 0)).toEqual({});
    expect(noLine.entries()).toEqual([]);
    expect(() => ref.transmit(out(SYN), 8, 300)).toThrow(RangeError);
  });

  it('counts against the same quota', () => {
    const ref = adapter();
    ref.decide(tcp(40001, SYN), 0);
    ref.decide(tcp(40002, SYN), 100);
    expect(ref.transmit(out(SYN), 3, 200)).toEqual({ refused: 'quota' });
  });
});

describe('time', () => {
  it('must not go back', () => {
    const ref = adapter();
    ref.decide(tcp(40001, SYN), 1000);
    expect(() => ref.decide(tcp(40001, ACK), 999)).toThrow(/time must not go back/);
  });

  it('without a time a frame happens at the latest time seen', () => {
    const ref = adapter();
    ref.decide(tcp(40001, SYN), 1000);
    expect(ref.decide(tcp(40001, ACK))).toEqual({ queue: 2, by: 'flow', ambiguous: 'visibility' });
  });
});
