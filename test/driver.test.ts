// The driver over SimBus: block walk, the single-command flow table, the listen table, the
// address slots (read back by a new Adapter), counters and all-or-nothing rule sets.
import { describe, expect, it } from 'vitest';
import { createSim as realCreateSim, type Sim, type SimOptions } from '../sim/addon.js';
import { SimBus, type RegisterBus } from '../host/src/bus.js';
import {
  Adapter,
  FlowExistsError,
  ListenExistsError,
  NotFoundError,
  RuleApplyError,
  TableFullError,
  UnknownQueueError,
} from '../host/src/driver.js';
import { parseRuleLine, parseRules, type FlowRule, type ListenRule } from '../host/src/rules.js';
import { createFakeSim } from './support/fake-sim.js';

const createSim: (o: SimOptions) => Sim = process.env.SIPNIC_FAKE_SIM ? createFakeSim : realCreateSim;

const flow = (src: string, sport: number, action = 1, dst = '10.0.0.1'): FlowRule =>
  parseRuleLine(`flow-type tcp4 src-ip ${src} dst-ip ${dst} src-port ${sport} dst-port 80 action ${action}`) as FlowRule;
const listen = (port: number, action = 1, dst = '10.0.0.1'): ListenRule =>
  parseRuleLine(`listen tcp4 dst-ip ${dst} dst-port ${port} action ${action}`) as ListenRule;

/** A SimBus that counts round trips. */
class CountingBus extends SimBus {
  calls = 0;
  override async read(addr: number) {
    this.calls++;
    return super.read(addr);
  }
  override async write(addr: number, value: number) {
    this.calls++;
    return super.write(addr, value);
  }
  override async batch(ops: Uint32Array) {
    this.calls++;
    return super.batch(ops);
  }
}

async function open(): Promise<{ sim: Sim; adapter: Adapter; bus: CountingBus }> {
  const sim = createSim({ width: 64 });
  const bus = new CountingBus(sim);
  return { sim, bus, adapter: await Adapter.open(bus) };
}

/** TCP/IPv4 frame bytes, built by hand (no VLAN, no options). */
function tcpFrame(src: number[], dst: number[], sport: number, dport: number, flags: number): Uint8Array {
  const f = new Uint8Array(14 + 20 + 20 + 6);
  f.set([2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 0x08, 0x00]);
  f.set([0x45, 0, 0, 46, 0, 0, 0x40, 0, 64, 6, 0, 0, ...src, ...dst], 14);
  f.set([sport >> 8, sport & 255, dport >> 8, dport & 255, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, flags, 0xff, 0xff, 0, 0, 0, 0], 34);
  return f;
}

describe('Adapter over SimBus', () => {
  it('finds the blocks by walking TYPE/NEXT and reads the parameters', async () => {
    const { sim, adapter } = await open();
    expect(Object.keys(adapter.bases).sort()).toEqual(['addr', 'core', 'counters', 'flow', 'listen']);
    expect(adapter.bases.core).toBe(0);
    expect(adapter.info).toMatchObject({ dataWidth: 64, queues: 8, flowEntries: 4096, flowWays: 4, flowStash: 8, listenEntries: 32, addressSlots: 16 });
    sim.close();
  });

  it('inserts, looks up, lists and deletes flows, one bus round trip per command', async () => {
    const { sim, adapter, bus } = await open();
    const a = flow('192.0.2.7', 40001, 2);
    await adapter.flows.insert(a); // first use of 10.0.0.1 also writes its address slot
    const b = flow('192.0.2.8', 40002, -1);
    bus.calls = 0;
    const r = await adapter.flows.insert(b);
    expect(bus.calls).toBe(1);
    expect(r.moves).toBeGreaterThanOrEqual(0);
    expect((await adapter.flows.lookup(b))?.action).toBe(-1);
    expect((await adapter.flows.lookup(a))?.action).toBe(2);
    expect(await adapter.flows.lookup(flow('192.0.2.9', 40003))).toBeNull();
    await expect(adapter.flows.insert({ ...a, action: 3 })).rejects.toThrow(FlowExistsError);
    await expect(adapter.flows.insert({ ...a, action: 3 })).rejects.toThrow(/already exists/);
    await expect(adapter.flows.insert(flow('192.0.2.9', 1, 8))).rejects.toThrow(UnknownQueueError);
    const list = await adapter.flows.list();
    expect(list.map((e) => [e.rule.srcPort, e.action, e.hits]).sort()).toEqual([[40001, 2, 0], [40002, -1, 0]]);
    expect(list.find((e) => e.rule.srcPort === 40001)?.slot).toBe(r.slot === list[0].slot ? list[1].slot : list[0].slot);
    expect(await adapter.flows.count()).toBe(2);
    await adapter.flows.delete(a);
    await expect(adapter.flows.delete(a)).rejects.toThrow(NotFoundError);
    expect(await adapter.flows.count()).toBe(1);
    sim.close();
  });

  it('maps destination addresses to slots, frees them when unused, and a new Adapter reads them back', async () => {
    const { sim, adapter } = await open();
    await adapter.flows.insert(flow('192.0.2.1', 1, 1, '10.0.0.1'));
    await adapter.flows.insert(flow('192.0.2.1', 2, 1, '10.0.0.2'));
    await adapter.listens.add(listen(80, 1, '10.0.0.2'));
    expect(adapter.addresses.list().map((s) => s.slot)).toEqual([0, 1]);

    const again = await Adapter.open(new SimBus(sim));
    expect(again.addresses.list().map((s) => [s.slot, s.address[15]])).toEqual([[0, 1], [1, 2]]);
    expect(await again.addresses.deriveRefs()).toEqual([1, 2, ...new Array(14).fill(0)]);
    // the flows list names the destination from the slot
    expect((await again.flows.list()).map((e) => e.rule.dstIp[15]).sort()).toEqual([1, 2]);

    await again.flows.delete(flow('192.0.2.1', 2, 1, '10.0.0.2'));
    expect(again.addresses.find(4, flow('192.0.2.1', 0, 0, '10.0.0.2').dstIp)).toBe(1); // the listen entry still uses it
    await again.listens.remove(listen(80, 1, '10.0.0.2'));
    expect(again.addresses.list().map((s) => s.slot)).toEqual([0]);

    // 16 slots: the 17th address is refused and leaves nothing behind
    for (let i = 2; i <= 16; i++) await again.flows.insert(flow('192.0.2.1', 100 + i, 1, `10.0.1.${i}`));
    const before = await again.flows.count();
    await expect(again.flows.insert(flow('192.0.2.1', 999, 1, '10.0.2.1'))).rejects.toThrow(/address table full/);
    expect(await again.flows.count()).toBe(before);
    await again.flows.clear();
    expect(await again.flows.count()).toBe(0);
    expect(again.addresses.list()).toEqual([]);
    sim.close();
  });

  it('listen table: lowest free entry, duplicates refused, full after 32', async () => {
    const { sim, adapter } = await open();
    for (let p = 0; p < 32; p++) expect((await adapter.listens.add(listen(1000 + p))).entry).toBe(p);
    await expect(adapter.listens.add(listen(1000))).rejects.toThrow(ListenExistsError);
    const full = await adapter.listens.add(listen(2000)).catch((e) => e);
    expect(full).toBeInstanceOf(TableFullError);
    expect(full).toMatchObject({ code: 'EFULL', table: 'listen', capacity: 32, message: 'listen table full (32 entries)' });
    await adapter.listens.remove(listen(1005));
    expect((await adapter.listens.add(listen(2000, 3))).entry).toBe(5);
    expect((await adapter.listens.list())[5].rule).toMatchObject({ dstPort: 2000, action: 3 });
    await expect(adapter.listens.remove(listen(3000))).rejects.toThrow(NotFoundError);
    sim.close();
  });

  it('default action and counters', async () => {
    const { sim, adapter } = await open();
    expect(await adapter.getDefault()).toBe(0);
    await adapter.setDefault(-1);
    expect(await adapter.getDefault()).toBe(-1);
    await adapter.setDefault(7);
    expect(await adapter.getDefault()).toBe(7);
    await expect(adapter.setDefault(8)).rejects.toThrow(/queue 8 does not exist: the adapter has 8 queues/);

    await adapter.flows.insert(flow('192.0.2.7', 40001, 2));
    await adapter.listens.add(listen(80, 3));
    const frames = [
      tcpFrame([192, 0, 2, 7], [10, 0, 0, 1], 40001, 80, 0x10), // flow → 2
      tcpFrame([192, 0, 2, 9], [10, 0, 0, 1], 5555, 80, 0x02), // SYN → listen → 3
      tcpFrame([192, 0, 2, 9], [10, 0, 0, 9], 5555, 80, 0x02), // other address → default 7
      new Uint8Array(10), // runt
    ];
    const lengths = Uint32Array.from(frames, (f) => f.length);
    const data = new Uint8Array(lengths.reduce((x, y) => x + y, 0));
    let at = 0;
    for (const f of frames) {
      data.set(f, at);
      at += f.length;
    }
    sim.send(data, lengths);
    sim.runUntilIdle(1_000_000);
    sim.collect();
    const c = await adapter.counters();
    expect(c.rxFrames).toBe(4n);
    expect(c.rxBytes).toBe(BigInt(data.length));
    expect([c.flowHits, c.listenHits, c.defaultHits]).toEqual([1n, 1n, 1n]);
    expect(c.drops.runt).toBe(1n);
    expect(c.queues.map((q) => q.frames)).toEqual([0n, 0n, 1n, 1n, 0n, 0n, 0n, 1n]);
    expect((await adapter.flows.list())[0].hits).toBe(1);
    await adapter.clearCounters();
    expect((await adapter.counters()).rxFrames).toBe(0n);
    sim.close();
  });

  it('applyRules is all or nothing', async () => {
    const { sim, adapter } = await open();
    await adapter.applyRules(parseRules('listen tcp4 dst-ip 10.0.0.1 dst-port 22 action 1\n'));
    const before = await adapter.rules();
    // a flow the hardware already has, after rules that went in: all of them come out again
    await adapter.flows.insert(flow('192.0.2.50', 50));
    const held = await adapter.rules();
    const text = [
      'default action 4',
      'listen udp4 dst-ip 10.0.0.3 dst-port 53 action 2',
      'flow-type tcp4 src-ip 192.0.2.51 dst-ip 10.0.0.4 src-port 51 dst-port 80 action 1',
      'flow-type tcp4 src-ip 192.0.2.50 dst-ip 10.0.0.1 src-port 50 dst-port 80 action 1',
    ].join('\n');
    const err = await adapter.applyRules(parseRules(text)).catch((e) => e);
    expect(err).toBeInstanceOf(RuleApplyError);
    expect(err).toMatchObject({ index: 3, code: 'EEXIST' });
    expect(await adapter.rules()).toEqual(held);
    expect(adapter.addresses.list().map((s) => s.address[15])).toEqual([1]);
    // checked before anything is written: unknown queue, listen duplicate
    await expect(adapter.applyRules(parseRules('default action 2\nlisten tcp4 dst-ip 10.0.0.1 dst-port 23 action 9\n'))).rejects.toThrow(/rule 2 .*queue 9/);
    await expect(adapter.applyRules(parseRules('listen tcp4 dst-ip 10.0.0.1 dst-port 22 action 2\n'))).rejects.toThrow(/already exists/);
    expect(await adapter.getDefault()).toBe(0);
    expect(before.length).toBe(2);
    sim.close();
  });

  it('fills the flow table, then reports it full', { timeout: 300_000 }, async () => {
    const { sim, adapter } = await open();
    const capacity = adapter.info.flowEntries + adapter.info.flowStash;
    let inserted = 0;
    let error: unknown;
    for (let i = 0; i < capacity + 1; i++) {
      try {
        await adapter.flows.insert(flow(`192.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, 1024 + (i % 60000)));
        inserted++;
      } catch (err) {
        error = err;
        break;
      }
    }
    expect(error).toBeInstanceOf(TableFullError);
    expect((error as Error).message).toBe('flow table full (4096 entries + 8 stash)');
    expect(inserted).toBeGreaterThan(adapter.info.flowEntries / 2);
    expect(await adapter.flows.count()).toBe(inserted);
    expect((await adapter.flows.list()).length).toBe(inserted);
    sim.close();
  });
});

describe('SimBus', () => {
  it('refuses unaligned addresses and use after close', async () => {
    const sim = createSim({ width: 8 });
    const bus: RegisterBus = new SimBus(sim);
    await expect(bus.read(2)).rejects.toThrow(/aligned/);
    await bus.write(0x1c, 0xdeadbeef);
    expect((await bus.batch!(Uint32Array.of(0, 0x1c, 0, 1, 0x1c, 7, 0, 0x1c, 0)))[2]).toBe(7);
    await bus.close();
    await expect(bus.read(0)).rejects.toMatchObject({ code: 'ECLOSED' });
    sim.close();
  });
});
