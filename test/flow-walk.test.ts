// The flow walk (flow.WALK_SLOT / WALK_DATA) against the slot-by-slot read (READ_SLOT) it
// replaces for `flow list`: on a table filled until inserts fail, with entries in every way and
// in the stash, both give exactly the same slots, keys, actions and hit counts.
import { describe, expect, it } from 'vitest';
import { createSim, packFrames } from '../sim/addon.js';
import { SimBus } from '../host/src/bus/sim-bus.js';
import { Adapter } from '../host/src/driver/index.js';
import { scanFlowSlots, type SlotRead } from '../host/src/driver/flow-command.js';
import { parseRuleLine, type FlowRule } from '../host/src/codec/rules.js';
import type { TableContext } from '../host/src/driver/table-context.js';
import { FIELDS } from '../host/src/driver/regs.generated.js';

// always the RTL model (not SIPNIC_FAKE_SIM's stand-in): the walk under test is the hardware's

const flow = (i: number): FlowRule => {
  const family = i % 5 === 0 ? 6 : 4;
  const proto = i % 3 === 0 ? 'udp' : 'tcp';
  const src = family === 6 ? `2001:db8:aaaa:${i.toString(16)}:1111:${i.toString(16)}:2222:${(i + 1).toString(16)}` : `198.51.${(i >> 8) & 255}.${i & 255}`;
  const dst = family === 6 ? '2001:db8::1' : '10.0.0.1';
  // IPv6 sources differ in every word; actions: queues 0..7 and drop
  const action = (i % 9) - 1;
  return parseRuleLine(`flow-type ${proto}${family} src-ip ${src} dst-ip ${dst} src-port ${1024 + i} dst-port ${80 + (i % 7)} action ${action}`) as FlowRule;
};

/** A TCP/IPv4 frame of the flow (the entry's hit counter counts it). */
function frameOf(r: FlowRule): Uint8Array {
  const f = new Uint8Array(14 + 20 + 20);
  const v = new DataView(f.buffer);
  v.setUint16(12, 0x0800);
  f[14] = 0x45;
  f[23] = 6;
  f.set(r.srcIp.subarray(12), 26);
  f.set(r.dstIp.subarray(12), 30);
  v.setUint16(34, r.srcPort);
  v.setUint16(36, r.dstPort);
  f[47] = 0x02; // SYN
  return f;
}

async function collect(gen: AsyncGenerator<SlotRead>): Promise<SlotRead[]> {
  const out: SlotRead[] = [];
  for await (const s of gen) out.push(s);
  return out;
}

describe('flow walk', () => {
  it('reads a full table, every way and the stash, exactly as slot-by-slot reads do', async () => {
    const sim = createSim({ width: 64 });
    const bus = new SimBus(sim);
    const adapter = await Adapter.open(bus);
    expect(adapter.info.flowWalk).toBe(true);
    const rules: FlowRule[] = [];
    // fill until inserts fail as full: the stash then holds entries too
    let full = 0;
    for (let i = 0; full < 64; i += 256) {
      const batch = Array.from({ length: 256 }, (_, k) => flow(i + k));
      const res = await adapter.flows.insertMany(batch);
      res.forEach((r, k) => (r.ok ? rules.push(batch[k]) : full++));
    }
    const { flowEntries, flowWays, flowStash } = adapter.info;
    expect(await adapter.flows.stashUsed()).toBe(flowStash);
    // hits on some TCP/IPv4 entries, so the counters are not all zero
    const hit = rules.filter((r) => r.family === 4 && r.proto === 'tcp').slice(0, 50);
    const frames = packFrames(hit.flatMap((r) => [frameOf(r), frameOf(r)]));
    sim.send(frames.data, frames.lengths);
    sim.run(20_000);

    const walk = await collect(scanFlowSlots(adapter, true, () => 256));
    const slotBySlot: TableContext = { bus, reg: (b, n, i) => adapter.reg(b, n, i), info: { ...adapter.info, flowWalk: false } };
    const perSlot = await collect(scanFlowSlots(slotBySlot, true, () => 256));

    expect(walk.length).toBe(rules.length);
    // RES_META's IDLE_MS follows NOW_MS, which runs on between the two reads: compared without it
    const withoutIdle = (xs: typeof walk) => xs.map((s) => (s.entry ? { ...s, entry: { ...s.entry, meta: s.entry.meta & ~FIELDS.flow.RES_META.IDLE_MS.mask } } : s));
    expect(withoutIdle(walk)).toEqual(withoutIdle(perSlot));
    const perWay = flowEntries / flowWays;
    const ways = new Set(walk.filter((s) => s.slot < flowEntries).map((s) => Math.floor(s.slot / perWay)));
    expect(ways.size).toBe(flowWays);
    expect(walk.filter((s) => s.slot >= flowEntries).length).toBe(flowStash);
    expect(walk.some((s) => s.entry!.hits === 2)).toBe(true);
    expect(new Set(walk.map((s) => s.entry!.action))).toEqual(new Set([-1, 0, 1, 2, 3, 4, 5, 6, 7]));
    expect(walk.some((s) => s.key.family === 6) && walk.some((s) => s.key.proto === 'udp')).toBe(true);

    // a walk started part-way (the cursor set by hand) reads on from that slot; a slot past the stash reads as empty
    const from = walk[walk.length - 3].slot;
    await bus.write(adapter.reg('flow', 'WALK_SLOT'), from);
    const w0 = await bus.read(adapter.reg('flow', 'WALK_DATA'));
    expect(w0 >>> 31).toBe(1);
    await bus.write(adapter.reg('flow', 'WALK_SLOT'), flowEntries + flowStash);
    expect(await bus.read(adapter.reg('flow', 'WALK_DATA'))).toBe(0);
    expect(await bus.read(adapter.reg('flow', 'WALK_SLOT'))).toBe(flowEntries + flowStash + 1);
    sim.close();
  }, 120_000);

  it('leaves STATUS and the RES_* registers of the last command alone', async () => {
    const sim = createSim({ width: 64 });
    const bus = new SimBus(sim);
    const adapter = await Adapter.open(bus);
    await adapter.flows.insert(flow(1));
    const looked = await adapter.flows.lookup(flow(2));
    expect(looked).toBeNull();
    const before = await adapter.readRegisters(['flow.STATUS', 'flow.RES_FLAGS', 'flow.RES_SLOT'].map((r) => adapter.resolve(r)));
    expect(await adapter.flows.list()).toHaveLength(1);
    expect(await adapter.readRegisters(['flow.STATUS', 'flow.RES_FLAGS', 'flow.RES_SLOT'].map((r) => adapter.resolve(r)))).toEqual(before);
    sim.close();
  });
});
