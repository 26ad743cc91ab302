// The driver over SimBus: block walk, the single-command flow table, the listen table, the
// address slots (read back by a new Adapter), counters and all-or-nothing rule sets.
import { describe, expect, it } from 'vitest';
import { createSim as realCreateSim, type Sim, type SimOptions } from '../sim/addon.js';
import { BUS_OP, type RegisterBus } from '../host/src/bus/bus.js';
import { SimBus } from '../host/src/bus/sim-bus.js';
import {
  Adapter,
  ApplyInterruptedError,
  FlowExistsError,
  Ipv4OnlyError,
  ListenExistsError,
  NotFoundError,
  RuleApplyError,
  TableFullError,
  UnknownQueueError,
} from '../host/src/driver/index.js';
import { formatRule, parseRuleLine, parseRules, type FlowRule, type ListenRule } from '../host/src/codec/rules.js';
import { FIELDS, getField } from '../host/src/driver/regs.generated.js';
import { ReferenceAdapter } from '../host/src/semantics/reference.js';
import { packFrames } from '../sim/addon.js';
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

  it('a delete from a fresh Adapter looks for one other user of the address slot instead of counting the whole table', async () => {
    const { sim, adapter } = await open();
    for (let i = 0; i < 200; i++) await adapter.flows.insert(flow(`192.0.2.${1 + (i % 200)}`, 1000 + i, 1, '10.0.0.1'));
    await adapter.flows.insert(flow('192.0.2.1', 7, 1, '10.0.0.2'));
    /** A SimBus that counts register accesses (each read, write and poll of a batch). */
    class AccessCountingBus extends SimBus {
      accesses = 0;
      override async read(addr: number) {
        this.accesses++;
        return super.read(addr);
      }
      override async write(addr: number, value: number) {
        this.accesses++;
        return super.write(addr, value);
      }
      override async batch(ops: Uint32Array) {
        this.accesses += ops.length / 3;
        return super.batch(ops);
      }
    }
    const cost = async (f: (a: Adapter) => Promise<unknown>) => {
      const bus = new AccessCountingBus(sim);
      const fresh = await Adapter.open(bus);
      bus.accesses = 0;
      await f(fresh);
      return { accesses: bus.accesses, adapter: fresh };
    };
    // what counting every use costs: a read of every flow slot up to the last live entry
    const counting = await cost((a) => a.addresses.deriveRefs());
    expect(counting.accesses).toBeGreaterThan(4 * 201);

    // a delete whose address has other users: stops at the first one found
    const shared = await cost((a) => a.flows.delete(flow('192.0.2.1', 1000, 1, '10.0.0.1')));
    // (through the flow walk: a burst of 16 slots' records, 113 words, then the delete itself)
    expect(shared.accesses).toBeLessThan(counting.accesses / 10);
    expect(shared.adapter.addresses.find(4, flow('192.0.2.1', 0, 0, '10.0.0.1').dstIp)).toBe(0);

    // the last user of 10.0.0.2: its slot is freed (every live entry seen, none uses it)
    const last = await cost((a) => a.flows.delete(flow('192.0.2.1', 7, 1, '10.0.0.2')));
    expect(last.adapter.addresses.find(4, flow('192.0.2.1', 0, 0, '10.0.0.2').dstIp)).toBe(-1);
    expect((await Adapter.open(new SimBus(sim))).addresses.list().map((s) => s.address[15])).toEqual([1]);
    // and a failed insert (exists) from a fresh Adapter keeps the slot its twin uses
    const exists = await cost((a) => a.flows.insert(flow('192.0.2.2', 1001, 1, '10.0.0.1')).catch((e) => e));
    expect(exists.accesses).toBeLessThan(counting.accesses / 10);
    expect(exists.adapter.addresses.find(4, flow('192.0.2.1', 0, 0, '10.0.0.1').dstIp)).toBe(0);
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
    // the listen rule and the default, after the learning line of an adapter with the engine
    expect(before.map((r) => r.kind)).toEqual([...(adapter.info.learning ? ['learning'] : []), 'listen', 'default']);
    sim.close();
  });

  it('a learning line turns transmit-side learning on; a rule set failing after it leaves it as it was', async () => {
    const { sim, adapter } = await open();
    const transmit = () => getField(FIELDS.flow.LEARN_CONTROL.TRANSMIT, sim.regRead(adapter.reg('flow', 'LEARN_CONTROL')));
    expect(transmit(), 'no learning line since reset').toBe(0);
    // the learning line goes in, then the set is interrupted (Ctrl-C) before its flow
    const stop = new AbortController();
    const text = 'learning syn-timeout 1\nflow-type tcp4 src-ip 192.0.2.60 dst-ip 10.0.0.1 src-port 60 dst-port 80 action 1\n';
    const err = await adapter.applyRules(parseRules(text), { signal: stop.signal, onProgress: () => stop.abort() }).catch((e) => e);
    expect(err).toBeInstanceOf(ApplyInterruptedError);
    expect(transmit()).toBe(0);
    expect((await adapter.getLearning()).synTimeoutMs).toBe(5000);
    await adapter.applyRules(parseRules('learning syn-timeout 1\n'));
    expect(transmit()).toBe(1);
    expect((await adapter.getLearning()).synTimeoutMs).toBe(1000);
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

// the register-level stand-in has no queue groups
describe.skipIf(Boolean(process.env.SIPNIC_FAKE_SIM))('shared ports (listen rules with a queue list)', () => {
  const shared = (port: number, members: number[], dst = '10.0.0.1'): ListenRule => ({ ...listen(port, 0, dst), action: members });

  it('rules with the same table share a group, counted by use; a group is free again when unused', async () => {
    const { sim, adapter } = await open();
    expect(adapter.info.listenGroups).toBe(8);
    expect(await adapter.listens.add(shared(8080, [1, 2, 3]))).toEqual({ entry: 0, group: 0 });
    expect(await adapter.listens.add(shared(8081, [1, 2, 3]))).toEqual({ entry: 1, group: 0 });
    expect(await adapter.listens.add(shared(8082, [1, 2]))).toEqual({ entry: 2, group: 1 });
    // 1,2,1,2 fills the same 8 slots as 1,2
    expect(await adapter.listens.add(shared(8083, [1, 2, 1, 2]))).toEqual({ entry: 3, group: 1 });
    expect(await adapter.listens.add(listen(8084, 4))).toEqual({ entry: 4 });
    expect(adapter.listens.groups()).toEqual([
      { group: 0, table: [1, 2, 3, 1, 2, 3, 1, 2], members: [1, 2, 3], refs: 2 },
      { group: 1, table: [1, 2, 1, 2, 1, 2, 1, 2], members: [1, 2], refs: 2 },
    ]);
    const list = await adapter.listens.list();
    expect(list.map((e) => [e.entry, e.group, e.rule.action])).toEqual([
      [0, 0, [1, 2, 3]], [1, 0, [1, 2, 3]], [2, 1, [1, 2]], [3, 1, [1, 2]], [4, undefined, 4],
    ]);
    expect(formatRule(list[0].rule)).toBe('listen tcp4 dst-ip 10.0.0.1 dst-port 8080 action 1,2,3');

    await adapter.listens.remove(shared(8080, []));
    expect(adapter.listens.groups().map((g) => [g.group, g.refs])).toEqual([[0, 1], [1, 2]]);
    await adapter.listens.remove(shared(8081, []));
    expect(adapter.listens.groups().map((g) => g.group)).toEqual([1]);
    // the freed group is the first free one again
    expect((await adapter.listens.add(shared(8085, [5, 6]))).group).toBe(0);

    await expect(adapter.listens.add(shared(8090, [1, 8]))).rejects.toThrow(/queue 8 does not exist: the adapter has 8 queues/);
    await expect(adapter.listens.add(shared(8090, [1, -1]))).rejects.toMatchObject({ code: 'EQUEUE' });
    await expect(adapter.listens.add(shared(8081, [1, 2]))).resolves.toEqual({ entry: 1, group: 1 });
    sim.close();
  });

  it('a ninth distinct list finds no free group and leaves nothing behind', async () => {
    const { sim, adapter } = await open();
    for (let q = 0; q < 8; q++) expect((await adapter.listens.add(shared(9000 + q, [q, (q + 1) % 8]))).group).toBe(q);
    const err = await adapter.listens.add(shared(9100, [7, 6, 5], '10.0.0.9')).catch((e) => e);
    expect(err).toBeInstanceOf(TableFullError);
    expect(err).toMatchObject({ code: 'EFULL', table: 'group', capacity: 8 });
    expect(err.message).toMatch(/no free queue group \(8 groups/);
    expect((await adapter.listens.list()).length).toBe(8);
    expect(adapter.addresses.list().map((s) => s.address[15])).toEqual([1]); // 10.0.0.9 was not kept
    // a list whose table a group already holds still goes in
    expect(await adapter.listens.add(shared(9101, [3, 4, 3, 4]))).toEqual({ entry: 8, group: 3 });
    // all or nothing: a rules file that needs two more groups when none is free applies nothing
    await adapter.listens.remove(shared(9000, []));
    const before = await adapter.rules();
    const apply = await adapter.applyRules(parseRules('listen udp4 dst-ip 10.0.0.1 dst-port 53 action 1,2,3\nlisten udp4 dst-ip 10.0.0.1 dst-port 54 action 3,2,1\n')).catch((e) => e);
    expect(apply).toBeInstanceOf(RuleApplyError);
    expect(apply).toMatchObject({ index: 1, code: 'EFULL' });
    expect(await adapter.rules()).toEqual(before);
    await adapter.applyRules(parseRules('listen udp4 dst-ip 10.0.0.1 dst-port 53 action 1,2,3\nlisten udp4 dst-ip 10.0.0.1 dst-port 54 action 5,6\n'));
    expect(adapter.listens.groups().find((g) => g.group === 0)?.members).toEqual([1, 2, 3]);
    expect(adapter.listens.groups().find((g) => g.group === 5)?.refs).toBe(2);
    sim.close();
  });

  it('a new Adapter over the same bus reads the groups and their uses back', async () => {
    const { sim, adapter } = await open();
    await adapter.listens.add(shared(8080, [1, 2, 3]));
    await adapter.listens.add(shared(8081, [1, 2, 3], '10.0.0.2'));
    await adapter.listens.add(shared(8082, [4, 5]));
    const again = await Adapter.open(new SimBus(sim));
    expect(again.listens.groups()).toEqual(adapter.listens.groups());
    expect(again.listens.groups().map((g) => [g.group, g.members, g.refs])).toEqual([[0, [1, 2, 3], 2], [1, [4, 5], 1]]);
    // the reopened adapter shares and frees by those counts
    expect((await again.listens.add(shared(8083, [4, 5]))).group).toBe(1);
    expect((await again.listens.add(shared(8084, [6, 7]))).group).toBe(2);
    await again.listens.remove(shared(8080, []));
    await again.listens.remove(shared(8081, [], '10.0.0.2'));
    expect((await again.listens.add(shared(8085, [0, 1]))).group).toBe(0);
    expect((await Adapter.open(new SimBus(sim))).listens.groups().map((g) => [g.group, g.refs])).toEqual([[0, 1], [1, 2], [2, 1]]);
    sim.close();
  });

  it('update changes an entry in place while SYNs flow: each goes by the old action or the new, switching once', async () => {
    const { sim, adapter } = await open();
    await adapter.setDefault(0);
    const before = shared(8080, [1, 2, 3]);
    const after = shared(8080, [1, 2, 4]);
    await adapter.listens.add(before);
    await adapter.clearCounters();
    // 4000 SYNs queued for ingress; the update's register accesses run the clock, so the frames
    // pass the listen table before, during and after the change
    const frames = Array.from({ length: 4000 }, (_, i) => tcpFrame([192, 0, 2, 1 + (i >> 8)], [10, 0, 0, 1], 20000 + i, 8080, 0x02));
    const { data, lengths } = packFrames(frames);
    sim.send(data, lengths);
    sim.run(2000);
    const r = await adapter.listens.update(after);
    // the entry is its group's only user: the group's 8 slots are rewritten in place
    expect(r).toEqual({ entry: 0, previous: [1, 2, 3], group: 0 });
    sim.runUntilIdle(10_000_000);
    const out = sim.collect();
    expect(out.ids.length).toBe(frames.length);
    const oldRef = new ReferenceAdapter({ queues: 8 });
    oldRef.add(before);
    const newRef = new ReferenceAdapter({ queues: 8 });
    newRef.add(after);
    const firstId = out.ids.reduce((m, x) => Math.min(m, x), Infinity);
    let lastOld = -1;
    let firstNew = Infinity;
    for (let k = 0; k < out.ids.length; k++) {
      const i = out.ids[k] - firstId;
      const o = oldRef.decide(frames[i]);
      const n = newRef.decide(frames[i]);
      const want = [o, n].map((d) => ('queue' in d ? d.queue : -1));
      expect(want, `frame ${i}`).toContain(out.queues[k]);
      if (want[0] !== want[1] && out.queues[k] === want[0]) lastOld = Math.max(lastOld, i);
      if (want[0] !== want[1] && out.queues[k] === want[1]) firstNew = Math.min(firstNew, i);
    }
    // the change happened in the middle of the traffic, once
    expect(lastOld).toBeGreaterThan(100);
    expect(firstNew).toBeLessThan(frames.length - 100);
    expect(lastOld).toBeLessThan(firstNew);
    // no frame missed the entry: all were listen hits, none went to the default queue
    const c = await adapter.counters();
    expect(c.listenHits).toBe(BigInt(frames.length));
    expect(c.queues[0].frames).toBe(0n);
    expect(adapter.listens.groups().map((g) => [g.group, g.members, g.refs])).toEqual([[0, [1, 2, 4], 1]]);
    // to a plain queue and back, and a key that is not there
    expect((await adapter.listens.update(listen(8080, 5))).previous).toEqual([1, 2, 4]);
    expect(adapter.listens.groups()).toEqual([]);
    expect((await adapter.listens.update(before)).group).toBe(0);
    await expect(adapter.listens.update(shared(8081, [1, 2]))).rejects.toThrow(NotFoundError);
    // the same members with learn on, then off (a primary restarted with another --pinning): the entry's LEARN flag follows
    await adapter.listens.update({ ...before, learn: true });
    expect((await adapter.listens.list()).find((e) => e.rule.dstPort === 8080)).toMatchObject({ group: 0, rule: { learn: true } });
    await adapter.listens.update(before);
    expect((await adapter.listens.list()).find((e) => e.rule.dstPort === 8080)?.rule.learn).toBeUndefined();
    sim.close();
  });
});

/**
 * A SimBus over the (IPv6) model whose flow FEATURES reads IPV4_ONLY set, as an IPV6=0 build's
 * does (the driver's view of one; the hardware is tested in test/rtl/nic_tb.cpp), counting writes.
 */
class Ipv4OnlyBus extends SimBus {
  writes = 0;
  constructor(
    sim: Sim,
    private readonly features: number,
  ) {
    super(sim);
  }
  override async read(addr: number) {
    const v = await super.read(addr);
    return addr === this.features ? (v | FIELDS.flow.FEATURES.IPV4_ONLY.mask) >>> 0 : v;
  }
  override async write(addr: number, value: number) {
    this.writes++;
    return super.write(addr, value);
  }
  override async batch(ops: Uint32Array) {
    const r = await super.batch(ops);
    for (let i = 0; i < ops.length / 3; i++) {
      if (ops[3 * i] === BUS_OP.write) this.writes++;
      if (ops[3 * i] === BUS_OP.read && ops[3 * i + 1] === this.features) r[i] = (r[i] | FIELDS.flow.FEATURES.IPV4_ONLY.mask) >>> 0;
    }
    return r;
  }
}

describe('Adapter on an IPv4-only build (FEATURES.IPV4_ONLY)', () => {
  it('reads info.ipv4Only: clear on the IPv6 model, set where FEATURES says so', async () => {
    const sim = createSim({ width: 64 });
    const plain = await Adapter.open(new SimBus(sim));
    expect(plain.info.ipv4Only).toBe(false);
    const adapter = await Adapter.open(new Ipv4OnlyBus(sim, plain.reg('flow', 'FEATURES')));
    expect(adapter.info.ipv4Only).toBe(true);
    sim.close();
  });

  it('refuses every IPv6 flow rule, listen rule and address slot with ENOTSUP before writing anything', async () => {
    const sim = createSim({ width: 64 });
    const plain = await Adapter.open(new SimBus(sim));
    const bus = new Ipv4OnlyBus(sim, plain.reg('flow', 'FEATURES'));
    const adapter = await Adapter.open(bus);
    const flow6 = parseRuleLine('flow-type tcp6 src-ip 2001:db8::9 dst-ip 2001:db8::1 src-port 40000 dst-port 80 action 2') as FlowRule;
    const listen6 = parseRuleLine('listen udp6 dst-ip 2001:db8::1 dst-port 53 action 1') as ListenRule;
    const written = bus.writes;
    const refused = { code: 'ENOTSUP', name: 'Ipv4OnlyError' };
    await expect(adapter.flows.insert(flow6)).rejects.toMatchObject(refused);
    await expect(adapter.flows.insert(flow6)).rejects.toThrow(/flow rule flow-type tcp6 .*IPv4-only build \(IPV6=0/);
    await expect(adapter.listens.add(listen6)).rejects.toThrow(Ipv4OnlyError);
    await expect(adapter.listens.add(listen6)).rejects.toThrow(/listen rule listen udp6 .*IPv4-only build/);
    await expect(adapter.addresses.acquire(6, listen6.dstIp)).rejects.toThrow(/address slot for 2001:db8::1: .*IPv4-only build/);
    const [batched] = await adapter.flows.insertMany([flow6]);
    expect(batched.ok).toBe(false);
    expect(!batched.ok && batched.error).toMatchObject(refused);
    // a rule set with an IPv6 rule after IPv4 ones: refused whole, before its first write
    const set = parseRules(
      'default action 3\nlisten tcp4 dst-ip 10.0.0.1 dst-port 80 action 1\nflow-type tcp4 src-ip 192.0.2.7 dst-ip 10.0.0.1 src-port 1 dst-port 80 action 1\n' +
        'flow-type tcp6 src-ip 2001:db8::9 dst-ip 2001:db8::1 src-port 40000 dst-port 80 action 2 idle-timeout 30\n',
    );
    const err = await adapter.applyRules(set).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RuleApplyError);
    expect(err).toMatchObject({ code: 'ENOTSUP', index: 3 });
    expect((err as Error).message).toMatch(/rule 4 .*IPv4-only build .*nothing was applied/);
    expect(bus.writes, 'nothing was written').toBe(written);
    // and nothing is there, as a new look at the adapter finds
    const after = await Adapter.open(new SimBus(sim));
    expect(await after.flows.count()).toBe(0);
    expect(await after.listens.list()).toEqual([]);
    expect(after.addresses.list()).toEqual([]);
    expect(await after.getDefault()).toBe(0);
    // the same set without its IPv6 rule goes in
    await adapter.applyRules(set.slice(0, 3));
    expect(bus.writes).toBeGreaterThan(written);
    expect(await after.flows.count()).toBe(1);
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
