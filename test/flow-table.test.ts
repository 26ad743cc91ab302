// The flow table through the register interface: fill to 90% of capacity, then 100,000
// random inserts and deletes; after each phase every live entry is found (with its action,
// by a lookup command and by the data path) and every deleted entry is not.
import { describe, expect, it } from 'vitest';
import { formatIp, parseIp } from '../host/src/codec/ip.js';
import { createSim } from '../sim/addon.js';
import { SimBus } from '../host/src/bus/sim-bus.js';
import { Adapter } from '../host/src/driver/index.js';
import type { FlowRule } from '../host/src/codec/rules.js';
import { ReferenceAdapter } from '../host/src/semantics/reference.js';
import { buildFrame, CLUSTER_V4, CLUSTER_V6, int, makeRng, pick, type Rng } from './support/framegen.js';
import { makeRigFrom, runDifferential } from './support/compare.js';

const OPS = 100_000;

function addrBytes(rng: Rng, family: 4 | 6): Uint8Array {
  const a = new Uint8Array(16);
  if (family === 4) a.set([192, 0, 2, int(rng, 1, 254)], 12);
  else {
    a.set([0x20, 0x01, 0x0d, 0xb8, 0, 1], 0);
    for (let i = 6; i < 16; i++) a[i] = int(rng, 0, 255);
  }
  return a;
}

const CLUSTER = [...CLUSTER_V4.map((a) => ({ family: 4 as const, text: a })), ...CLUSTER_V6.map((a) => ({ family: 6 as const, text: a }))];

function randomRule(rng: Rng): FlowRule {
  const dst = pick(rng, CLUSTER);
  return {
    kind: 'flow',
    family: dst.family,
    proto: rng() < 0.5 ? 'tcp' : 'udp',
    srcIp: addrBytes(rng, dst.family),
    dstIp: parseIp(dst.text).bytes,
    srcPort: int(rng, 1, 65535),
    dstPort: int(rng, 1, 65535),
    action: int(rng, 0, 7),
  };
}

const keyOf = (r: FlowRule) => `${r.family}/${r.proto}/${Buffer.from(r.srcIp).toString('hex')}/${Buffer.from(r.dstIp).toString('hex')}/${r.srcPort}/${r.dstPort}`;


describe('flow table under churn', () => {
  it('keeps every live entry and forgets every deleted one', async () => {
    const rng = makeRng(7);
    const sim = createSim({ width: 64 });
    const adapter = await Adapter.open(new SimBus(sim));
    const capacity = adapter.info.flowEntries;
    const target = Math.floor(capacity * 0.9);
    const live = new Map<string, FlowRule>();
    const deleted = new Map<string, FlowRule>();

    const check = async (phase: string) => {
      expect(await adapter.flows.count(), `${phase}: COUNT`).toBe(live.size);
      for (const rule of live.values()) {
        const found = await adapter.flows.lookup(rule);
        expect(found?.action, `${phase}: live ${keyOf(rule)}`).toBe(rule.action);
      }
      for (const rule of deleted.values()) {
        expect(await adapter.flows.lookup(rule), `${phase}: deleted ${keyOf(rule)}`).toBeNull();
      }
    };

    while (live.size < target) {
      const rule = randomRule(rng);
      const key = keyOf(rule);
      if (live.has(key)) continue;
      await adapter.flows.insert(rule);
      live.set(key, rule);
    }
    await check('after fill to 90%');

    const liveKeys = [...live.keys()];
    for (let op = 0; op < OPS; op++) {
      if (live.size >= target || (live.size > target - 64 && rng() < 0.5)) {
        const at = int(rng, 0, liveKeys.length - 1);
        const key = liveKeys[at];
        liveKeys[at] = liveKeys[liveKeys.length - 1];
        liveKeys.pop();
        const rule = live.get(key)!;
        await adapter.flows.delete(rule);
        live.delete(key);
        deleted.set(key, rule);
      } else {
        const rule = randomRule(rng);
        const key = keyOf(rule);
        if (live.has(key)) continue;
        await adapter.flows.insert(rule);
        live.set(key, rule);
        liveKeys.push(key);
        deleted.delete(key);
      }
    }
    await check(`after ${OPS} inserts and deletes`);

    // The data path agrees: one frame per live entry goes to the entry's queue.
    const reference = new ReferenceAdapter({ queues: adapter.info.queues });
    for (const rule of live.values()) reference.add(rule);
    const frames = [...live.values()].map((r) =>
      buildFrame({ family: r.family, proto: r.proto, src: formatIp(r.srcIp, r.family), dst: formatIp(r.dstIp, r.family), srcPort: r.srcPort, dstPort: r.dstPort }, { flags: 0x10 }, rng),
    );
    const report = runDifferential(makeRigFrom(sim, adapter, reference), frames);
    expect(report.mismatches).toEqual([]);
    expect(report.byOutcome['queue 0'] ?? 0).toBeLessThan(frames.length); // not all default
    sim.close();
  });
});
