// The event queue's reader (host/src/driver/events.ts) without the model: records built here
// from the generated field definitions (putField), never by the parser under test, split at
// every word into bursts; and FlowEvents against a register-level stand-in of the queue
// (EVENT_DATA gives the next word, 0 with no record waiting; EVENT_PENDING counts the record
// being read), which shows the burst sizes and the overflow baseline.
import { describe, expect, it } from 'vitest';
import { parseIp } from '../host/src/codec/ip.js';
import { DriverError } from '../host/src/driver/errors.js';
import { EventParser, FlowEvents, MIN_BURST_WORDS, toFlowEvent, type EventRecord } from '../host/src/driver/events.js';
import { registerAddress, type BlockBases } from '../host/src/driver/registers.js';
import { ENCODINGS, FIELDS, getField, putField } from '../host/src/driver/regs.generated.js';
import type { AdapterInfo, TableContext } from '../host/src/driver/table-context.js';
import type { Family, Proto } from '../host/src/codec/rules.js';

const D = FIELDS.flow.EVENT_DATA;
const P = FIELDS.flow.RES_PORTS;

interface Rec {
  type: 'learned' | 'aged' | 'refused';
  detail?: number;
  /** -1 drop, else a queue */
  action: number;
  family: Family;
  proto: Proto;
  slot: number;
  src: string;
  srcPort: number;
  dstPort: number;
  /** WORDS as written (default: what docs/registers.md says the family has: 2 or 5) */
  words?: number;
}

const actionByte = (a: number) => (a < 0 ? putField(ENCODINGS.ACTION.DROP, 1) : putField(ENCODINGS.ACTION.QUEUE, a));

/** A record's words as the hardware writes them (docs/registers.md, flow.EVENT_DATA). */
function recordWords(r: Rec): number[] {
  const w0 =
    putField(D.VALID, 1) |
    putField(D.TYPE, D.TYPE.values[r.type]) |
    putField(D.DETAIL, r.detail ?? 0) |
    putField(D.ACTION, actionByte(r.action)) |
    putField(D.WORDS, r.words ?? (r.family === 6 ? 5 : 2)) |
    putField(D.FAMILY, r.family === 6 ? D.FAMILY.values.ipv6 : D.FAMILY.values.ipv4) |
    putField(D.PROTO, D.PROTO.values[r.proto]) |
    putField(D.ADDR_SLOT, r.slot);
  const ports = putField(P.SRC_PORT, r.srcPort) | putField(P.DST_PORT, r.dstPort);
  const bytes = parseIp(r.src).bytes;
  const view = new DataView(bytes.buffer, bytes.byteOffset, 16);
  const src = r.family === 6 ? [0, 4, 8, 12].map((o) => view.getUint32(o)) : [view.getUint32(12)];
  return [w0, ports, ...src].map((w) => w >>> 0);
}

const RECORDS: Rec[] = [
  { type: 'learned', action: 1, family: 4, proto: 'tcp', slot: 0, src: '192.0.2.7', srcPort: 40001, dstPort: 80 },
  // an IPv6 source with zero words inside: a 0 inside a record is data, not an empty read
  { type: 'aged', detail: 0, action: 2, family: 6, proto: 'tcp', slot: 3, src: '2001:db8::7', srcPort: 1, dstPort: 443 },
  { type: 'aged', detail: 1, action: 3, family: 4, proto: 'tcp', slot: 15, src: '0.0.0.0', srcPort: 0, dstPort: 0 },
  { type: 'aged', detail: 2, action: 1, family: 4, proto: 'tcp', slot: 1, src: '198.51.100.255', srcPort: 65535, dstPort: 8080 },
  { type: 'aged', detail: 3, action: -1, family: 4, proto: 'udp', slot: 2, src: '203.0.113.9', srcPort: 53, dstPort: 5353 },
  { type: 'refused', detail: 1, action: 2, family: 4, proto: 'tcp', slot: 0, src: '192.0.2.8', srcPort: 40002, dstPort: 80 },
  { type: 'refused', detail: 2, action: 127, family: 6, proto: 'tcp', slot: 4, src: 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', srcPort: 2, dstPort: 22 },
];

/** What the parser should make of a Rec, written out from the Rec (not through the parser). */
function expected(r: Rec) {
  return { type: r.type, detail: r.detail ?? 0, action: r.action, key: { family: r.family, proto: r.proto, addressSlot: r.slot }, ports: (r.srcPort * 65536 + r.dstPort) >>> 0, src: parseIp(r.src).bytes };
}

const ALL = RECORDS.flatMap(recordWords);

describe('EventParser', () => {
  it('reads every kind of record in one burst, skipping empty reads between them', () => {
    const words = [0, 0, ...recordWords(RECORDS[0]), 0, ...RECORDS.slice(1).flatMap(recordWords), 0, 0, 0];
    expect(new EventParser().push(words)).toEqual(RECORDS.map(expected));
  });

  it('keeps a record cut anywhere and finishes it with the next burst', () => {
    for (let cut = 0; cut <= ALL.length; cut++) {
      const p = new EventParser();
      const got = [...p.push(ALL.slice(0, cut)), ...p.push(ALL.slice(cut))];
      expect(got, `cut at word ${cut}`).toEqual(RECORDS.map(expected));
      expect(p.missing).toBe(0);
    }
  });

  it('takes bursts of a single word, the cut record across many of them', () => {
    const p = new EventParser();
    const got: EventRecord[] = [];
    for (const w of ALL) got.push(...p.push([w]));
    expect(got).toEqual(RECORDS.map(expected));
  });

  it('says how many words the cut record still needs', () => {
    const p = new EventParser();
    const six = recordWords(RECORDS[1]);
    expect(p.push(six.slice(0, 2))).toEqual([]);
    expect(p.missing).toBe(4);
    p.reset();
    expect(p.missing).toBe(0);
  });

  const bad: [string, number[], RegExp][] = [
    ['a word 0 with VALID clear that is not 0', [putField(D.TYPE, 1) | putField(D.WORDS, 2), 0, 0], /VALID clear/],
    ['TYPE 0', [recordWords(RECORDS[0])[0] & ~D.TYPE.mask, 0, 0], /TYPE 0/],
    ['an IPv4 record of 5 words', recordWords({ ...RECORDS[0], words: 5 }), /says 5 words follow; an IPv4 record has 2/],
    ['an IPv6 record of 2 words', recordWords({ ...RECORDS[1], words: 2 }), /says 2 words follow; an IPv6 record has 5/],
    ['a refused record with DETAIL 0', recordWords({ ...RECORDS[5], detail: 0 }), /DETAIL 0/],
    ['a learned record with DETAIL 2', recordWords({ ...RECORDS[0], detail: 2 }), /DETAIL 2/],
  ];
  it.each(bad)('refuses %s with EHW', (_what, words, message) => {
    const p = new EventParser();
    let err: unknown;
    try {
      p.push(words);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DriverError);
    expect((err as DriverError).code).toBe('EHW');
    expect((err as DriverError).message).toMatch(message);
  });

  it('the records built here put the key flags where the walk word 0 has them', () => {
    // the test's own words agree with the field set the walk uses for the key
    const w = recordWords(RECORDS[1])[0];
    expect(getField(FIELDS.flow.WALK_DATA.ADDR_SLOT, w)).toBe(3);
    expect(getField(FIELDS.flow.WALK_DATA.FAMILY, w)).toBe(1);
  });
});

describe('toFlowEvent', () => {
  const addresses = { get: (slot: number) => (slot === 0 ? { family: 4 as const, address: parseIp('10.0.0.1').bytes } : slot === 3 ? { family: 6 as const, address: parseIp('2001:db8::1').bytes } : null) };
  it('builds the rule as the walk does: destination through the address slot, action, state or reason', () => {
    const [learned, aged6, agedEst, agedClosing, agedHost, quota, full] = new EventParser().push(ALL).map((r) => toFlowEvent(r, addresses));
    expect(learned).toEqual({ type: 'learned', action: 1, rule: { kind: 'flow', family: 4, proto: 'tcp', srcIp: parseIp('192.0.2.7').bytes, dstIp: parseIp('10.0.0.1').bytes, srcPort: 40001, dstPort: 80, action: 1 } });
    expect(aged6).toMatchObject({ type: 'aged', state: 'embryonic', action: 2, rule: { family: 6, srcIp: parseIp('2001:db8::7').bytes, dstIp: parseIp('2001:db8::1').bytes, srcPort: 1, dstPort: 443 } });
    expect([agedEst.state, agedClosing.state, agedHost.state]).toEqual(['established', 'closing', 'host']);
    expect(agedHost).toMatchObject({ action: -1, rule: { proto: 'udp', action: -1 } });
    // an address slot that holds nothing: the unspecified address, as flow list shows it
    expect(agedEst.rule.dstIp).toEqual(new Uint8Array(16));
    expect([quota.reason, full.reason]).toEqual(['quota', 'full']);
    expect(full.action).toBe(127);
    expect('reason' in learned || 'state' in learned).toBe(false);
  });
});

// ─────────────────────── FlowEvents on a stand-in queue ───────────────────────

const BASES = { core: 0, addr: 0x100, flow: 0x200, listen: 0x300, counters: 0x400 } as unknown as BlockBases;
const reg = (name: string) => registerAddress(BASES, 'flow', name);

/** EVENT_* as docs/registers.md describes them, over single reads (the driver's batch fallback). */
class QueueBus {
  control = 0;
  overflow = 0;
  records: number[][] = [];
  /** words of the head record read so far */
  at = 0;
  dataReads = 0;
  bursts: number[] = [];
  private burst = 0;
  readonly depth = 16;
  push(words: number[]): void {
    if (!(this.control & FIELDS.flow.EVENT_CONTROL.ENABLE.mask)) return;
    if (this.records.length >= this.depth) this.overflow = (this.overflow + 1) >>> 0;
    else this.records.push(words);
  }
  async read(addr: number): Promise<number> {
    if (addr !== reg('EVENT_DATA') && this.burst) {
      this.bursts.push(this.burst);
      this.burst = 0;
    }
    switch (addr) {
      case reg('EVENT_CONTROL'):
        return this.control;
      case reg('EVENT_PENDING'):
        return this.records.length;
      case reg('EVENT_DEPTH'):
        return this.depth;
      case reg('EVENT_OVERFLOW'):
        return this.overflow;
      case reg('EVENT_SKIPPED'):
        return 0;
      case reg('EVENT_DATA'): {
        this.dataReads++;
        this.burst++;
        const head = this.records[0];
        if (!head) return 0;
        const w = head[this.at++];
        if (this.at === head.length) {
          this.records.shift();
          this.at = 0;
        }
        return w;
      }
    }
    throw new Error(`stand-in: read of 0x${addr.toString(16)}`);
  }
  async write(addr: number, value: number): Promise<void> {
    if (addr !== reg('EVENT_CONTROL')) throw new Error(`stand-in: write of 0x${addr.toString(16)}`);
    this.control = value;
    if (!(value & FIELDS.flow.EVENT_CONTROL.ENABLE.mask)) {
      this.records = [];
      this.at = 0;
    }
  }
  endBurst(): void {
    if (this.burst) this.bursts.push(this.burst);
    this.burst = 0;
  }
  async close() {}
}

function reader(events = true) {
  const bus = new QueueBus();
  const ctx: TableContext = { bus, info: { events } as AdapterInfo, reg: (block, name) => registerAddress(BASES, block, name) };
  return { bus, events: new FlowEvents(ctx, { get: () => ({ family: 4, address: parseIp('10.0.0.1').bytes }) }) };
}

const learnedRec = (i: number): Rec => ({ type: 'learned', action: 1 + (i % 3), family: 4, proto: 'tcp', slot: 0, src: `192.0.2.${i % 250}`, srcPort: 1000 + i, dstPort: 80 });

describe('FlowEvents', () => {
  it('refuses every method with ENOTSUP on an adapter without the queue', async () => {
    const { events } = reader(false);
    for (const call of [() => events.enable(), () => events.disable(), () => events.read(), () => events.status()]) {
      await expect(call()).rejects.toThrow(/no event queue \(flow FEATURES.EVENTS is 0/);
    }
  });

  it('reads every record in order across bursts of at most maxWords, never far past what is pending', async () => {
    const { bus, events } = reader();
    expect(await events.enable()).toEqual({ wasEnabled: false });
    const recs = Array.from({ length: 12 }, (_, i) => learnedRec(i));
    for (const r of recs) bus.push(recordWords(r));
    const got: number[] = [];
    let reads = 0;
    for (;;) {
      const r = await events.read(8);
      bus.endBurst();
      reads++;
      got.push(...r.events.map((e) => e.rule.srcPort));
      expect(r.overflowed).toBe(false);
      if (r.pending === 0) break;
      expect(reads).toBeLessThan(20);
    }
    expect(got).toEqual(recs.map((r) => r.srcPort));
    expect(Math.max(...bus.bursts)).toBeLessThanOrEqual(8);
    // 36 words of records; each burst sized by what is pending reads at most one short record's worth of empty words
    expect(bus.dataReads).toBeLessThanOrEqual(36 + 3 * reads);
    // an empty queue: one small burst of MIN_BURST_WORDS
    const empty = await events.read();
    bus.endBurst();
    expect(empty).toEqual({ events: [], overflowed: false, pending: 0 });
    expect(bus.bursts.at(-1)).toBe(MIN_BURST_WORDS);
  });

  it('sizes a burst by what the last read left pending, up to maxWords', async () => {
    const { bus, events } = reader();
    await events.enable();
    for (let i = 0; i < 10; i++) bus.push(recordWords(learnedRec(i)));
    // nothing was pending at enable: the first burst is the smallest, and finds 10 records pending
    expect((await events.read(64)).pending).toBe(8);
    bus.endBurst();
    expect(bus.bursts).toEqual([MIN_BURST_WORDS]);
    // the 8 left, each taken to be as long as the last one seen (IPv4: 3 words)
    expect(await events.read(64)).toMatchObject({ pending: 0 });
    bus.endBurst();
    expect(bus.bursts).toEqual([MIN_BURST_WORDS, 24]);
    expect(bus.records.length).toBe(0);
    // capped at maxWords
    for (let i = 0; i < 10; i++) bus.push(recordWords(learnedRec(i)));
    await events.read(64);
    await events.read(12);
    bus.endBurst();
    expect(bus.bursts.slice(2)).toEqual([MIN_BURST_WORDS, 12]);
  });

  it('says overflowed once when EVENT_OVERFLOW moves after enable, and counts it', async () => {
    const { bus, events } = reader();
    bus.overflow = 41; // from an earlier reader: not this one's loss
    await events.enable();
    for (let i = 0; i < 20; i++) bus.push(recordWords(learnedRec(i)));
    expect(bus.overflow).toBe(45);
    const first = await events.read(64);
    expect(first.overflowed).toBe(true);
    let n = first.events.length;
    for (let r = first; r.pending > 0; n += r.events.length) {
      r = await events.read(64);
      expect(r.overflowed).toBe(false);
    }
    expect(n).toBe(16);
    expect((await events.read()).overflowed).toBe(false);
    expect(events.stats).toEqual({ records: 16, overflows: 1 });
  });

  it('enable keeps a queue that was on (and the record it was cut in); disable empties it', async () => {
    const { bus, events } = reader();
    await events.enable();
    bus.push(recordWords(RECORDS[0]));
    bus.push(recordWords(RECORDS[1]));
    // a burst of 6 words: the IPv4 record and half the IPv6 one
    const p = await events.read(MIN_BURST_WORDS);
    expect(p.events.map((e) => e.rule.srcPort)).toEqual([RECORDS[0].srcPort]);
    expect(p.pending).toBe(1);
    expect(await events.enable({ refusals: true })).toEqual({ wasEnabled: true });
    expect(bus.control).toBe(putField(FIELDS.flow.EVENT_CONTROL.ENABLE, 1) | putField(FIELDS.flow.EVENT_CONTROL.REFUSALS, 1));
    const rest = await events.read();
    expect(rest.events.map((e) => [e.rule.srcPort, e.rule.srcIp])).toEqual([[RECORDS[1].srcPort, parseIp(RECORDS[1].src).bytes]]);
    expect(rest.pending).toBe(0);
    bus.push(recordWords(RECORDS[0]));
    expect((await events.status()).pending).toBe(1);
    await events.disable();
    expect(await events.status()).toEqual({ enabled: false, refusals: false, pending: 0, depth: 16, overflow: 0, skipped: 0 });
  });

  it('refuses a burst smaller than one IPv6 record', async () => {
    const { events } = reader();
    await events.enable();
    await expect(events.read(3)).rejects.toThrow(/at least 6 words/);
  });
});
