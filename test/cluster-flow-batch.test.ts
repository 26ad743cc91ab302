// FlowTable.insertMany / deleteMany / many: several table commands in one register-bus round
// trip (what the primary sends while connections are being set up), each with its own status,
// and the address-slot use counts kept as single inserts and deletes keep them.
import { describe, expect, it } from 'vitest';
import { createSim as realCreateSim, packFrames, type Sim, type SimOptions } from '../sim/addon.js';
import { SimBus } from '../host/src/bus/sim-bus.js';
import { Adapter, DriverError, FlowExistsError, NotFoundError, TableFullError, UnknownQueueError } from '../host/src/driver/index.js';
import { parseRuleLine, type FlowRule, type ListenRule } from '../host/src/codec/rules.js';
import { createFakeSim } from './support/fake-sim.js';

const createSim: (o: SimOptions) => Sim = process.env.SIPNIC_FAKE_SIM ? createFakeSim : realCreateSim;

const flow = (src: string, sport: number, action = 1, dst = '10.0.0.1'): FlowRule =>
  parseRuleLine(`flow-type tcp4 src-ip ${src} dst-ip ${dst} src-port ${sport} dst-port 80 action ${action}`) as FlowRule;
const listen = (port: number, action = 1, dst = '10.0.0.1'): ListenRule =>
  parseRuleLine(`listen tcp4 dst-ip ${dst} dst-port ${port} action ${action}`) as ListenRule;

/** A SimBus that counts batches (round trips) and their sizes. */
class CountingBus extends SimBus {
  batches: number[] = [];
  singles = 0;
  override async read(addr: number) {
    this.singles++;
    return super.read(addr);
  }
  override async write(addr: number, value: number) {
    this.singles++;
    return super.write(addr, value);
  }
  override async batch(ops: Uint32Array) {
    this.batches.push(ops.length / 3);
    return super.batch(ops);
  }
}

async function open(sim = createSim({ width: 64 })): Promise<{ sim: Sim; adapter: Adapter; bus: CountingBus }> {
  const bus = new CountingBus(sim);
  return { sim, bus, adapter: await Adapter.open(bus) };
}

/** TCP/IPv4 frame from 192.0.2.x:sport to 10.0.0.1:80, built by hand. */
function tcpFrame(srcLast: number, sport: number): Uint8Array {
  const f = new Uint8Array(60);
  f.set([2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 0x08, 0x00]);
  f.set([0x45, 0, 0, 46, 0, 0, 0x40, 0, 64, 6, 0, 0, 192, 0, 2, srcLast, 10, 0, 0, 1], 14);
  f.set([sport >> 8, sport & 255, 0, 80, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x10, 0xff, 0xff, 0, 0, 0, 0], 34);
  return f;
}

describe('FlowTable batches', () => {
  it('insertMany: one round trip, one command and one result per rule, in order', async () => {
    const { sim, adapter, bus } = await open();
    await adapter.listens.add(listen(80, 0));
    await adapter.flows.insert(flow('192.0.2.1', 1000, 3));
    await adapter.flows.delete(flow('192.0.2.1', 1000));
    await adapter.flows.insert(flow('192.0.2.1', 1000, 3));
    bus.batches = [];
    const rules = [
      flow('192.0.2.1', 1001, 1),
      flow('192.0.2.1', 1000, 2), // exists, as queue 3
      flow('192.0.2.1', 1002, 9), // no queue 9
      flow('192.0.2.1', 1003, 2),
      flow('192.0.2.1', 1001, 1), // inserted just before, in the same batch
    ];
    const r = await adapter.flows.insertMany(rules);
    // one round trip for the commands: four went out (the unknown queue never did), 14 accesses
    // each (wait, 7 key/action writes, COMMAND, wait, 4 result reads), and the aging class
    // write with the learning engine; what follows only looks whether the address slot of the
    // two refused rules is still in use
    expect(bus.batches[0]).toBe(4 * (14 + (adapter.info.learning ? 1 : 0)));
    expect(r.map((x) => x.ok)).toEqual([true, false, false, true, false]);
    expect(r[1].ok === false && r[1].error).toBeInstanceOf(FlowExistsError);
    expect(r[1].ok === false && (r[1].error as FlowExistsError).action).toBe(3);
    expect(r[2].ok === false && r[2].error).toBeInstanceOf(UnknownQueueError);
    expect(r[4].ok === false && r[4].error).toBeInstanceOf(FlowExistsError);
    expect(r[4].ok === false && (r[4].error as FlowExistsError).action).toBe(1);
    const slots = r.filter((x) => x.ok).map((x) => (x.ok ? x.value.slot : -1));
    const list = await adapter.flows.list();
    expect(list.map((e) => `${e.rule.srcPort}=${e.action}`).sort()).toEqual(['1000=3', '1001=1', '1003=2']);
    expect(slots.every((s) => list.some((e) => e.slot === s))).toBe(true);
    // the data path sees them: a frame of flow 1003 goes to queue 2
    const { data, lengths } = packFrames([tcpFrame(1, 1003), tcpFrame(1, 1001)]);
    sim.send(data, lengths);
    sim.runUntilIdle(100_000);
    expect(Array.from(sim.collect().queues)).toEqual([2, 1]);
    sim.close();
  });

  it('deleteMany: per rule the entry or NotFoundError; address slots stay while a rule uses them and go with the last', async () => {
    const { sim, adapter, bus } = await open();
    await adapter.listens.add(listen(80, 0, '10.0.0.1'));
    const a = Array.from({ length: 20 }, (_, i) => flow('192.0.2.9', 2000 + i, 1, '10.0.0.1'));
    const b = Array.from({ length: 5 }, (_, i) => flow('192.0.2.9', 3000 + i, 2, '10.0.0.2'));
    expect((await adapter.flows.insertMany([...a, ...b])).every((x) => x.ok)).toBe(true);
    expect(adapter.addresses.list().map((s) => s.slot)).toHaveLength(2);
    bus.batches = [];
    const r = await adapter.flows.deleteMany([...a, flow('192.0.2.9', 9999), ...b]);
    expect(r.filter((x) => x.ok)).toHaveLength(25);
    expect(r[20].ok === false && r[20].error).toBeInstanceOf(NotFoundError);
    expect(r[0].ok && r[0].value.action).toBe(1);
    expect(await adapter.flows.count()).toBe(0);
    // 10.0.0.1 still has its listen rule; 10.0.0.2 had only the five flows and is cleared
    const left = adapter.addresses.list();
    expect(left).toHaveLength(1);
    expect(Array.from(left[0].address.subarray(12))).toEqual([10, 0, 0, 1]);
    const fresh = await Adapter.open(new SimBus(sim));
    expect(fresh.addresses.list()).toHaveLength(1);
    // one round trip for the 26 commands; the address slots are looked at once each, not once per
    // deleted flow (whether each is still used, and clearing 10.0.0.2's)
    expect(bus.batches.filter((n) => n >= 26 * 10)).toHaveLength(1);
    expect(bus.batches.length).toBeLessThanOrEqual(4);
    sim.close();
  });

  it('a full table answers TableFullError for the rules that did not fit, the others are in', async () => {
    const sim = createFakeSim({ width: 64, flowEntries: 8, ways: 4, stash: 2 });
    const { adapter } = await open(sim);
    const rules = Array.from({ length: 24 }, (_, i) => flow('192.0.2.5', 5000 + i, 1));
    const r = await adapter.flows.insertMany(rules);
    const ok = r.filter((x) => x.ok).length;
    expect(ok).toBeGreaterThan(0);
    expect(ok).toBeLessThan(24);
    for (const x of r) if (!x.ok) expect(x.error).toBeInstanceOf(TableFullError);
    expect(await adapter.flows.count()).toBe(ok);
    const inTable = new Set((await adapter.flows.list()).map((e) => e.rule.srcPort));
    r.forEach((x, i) => expect(inTable.has(rules[i].srcPort)).toBe(x.ok));
    sim.close();
  });

  it('a bus failure fails every rule of the batch, with a DriverError', async () => {
    const { sim, adapter, bus } = await open();
    await adapter.listens.add(listen(80, 0));
    bus.batch = async () => {
      throw new Error('link down');
    };
    const r = await adapter.flows.insertMany([flow('192.0.2.1', 2), flow('192.0.2.1', 3)]);
    expect(r.map((x) => x.ok)).toEqual([false, false]);
    for (const x of r) expect(!x.ok && x.error).toBeInstanceOf(DriverError);
    sim.close();
  });
});
