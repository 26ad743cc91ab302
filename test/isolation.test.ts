// Queue isolation: one queue stops draining; every other queue still receives every frame
// meant for it, the stalled queue's drops are counted exactly, and frames in = frames out +
// drops, both as the harness sees them and as the adapter's counters say.
import { describe, expect, it } from 'vitest';
import { createSim, packFrames } from '../sim/addon.js';
import { SimBus } from '../host/src/bus/sim-bus.js';
import { Adapter } from '../host/src/driver/index.js';
import { parseRules } from '../host/src/codec/rules.js';
import { buildFrame, makeRng, type FlowSpec } from './support/framegen.js';

const STALLED = 3;

describe.each([8, 64] as const)('queue isolation at DATA_WIDTH %i', (width) => {
  it('a stalled queue loses only its own frames, all counted', async () => {
    const rng = makeRng(42 + width);
    const sim = createSim({ width });
    const adapter = await Adapter.open(new SimBus(sim));
    const queues = adapter.info.queues;
    const flows: FlowSpec[] = Array.from({ length: queues }, (_, q) => ({
      family: 4, proto: 'tcp', src: `192.0.2.${q + 1}`, dst: '10.0.0.1', srcPort: 40000 + q, dstPort: 80,
    }));
    await adapter.applyRules(parseRules(flows.map((f, q) =>
      `flow-type tcp4 src-ip ${f.src} dst-ip ${f.dst} src-port ${f.srcPort} dst-port ${f.dstPort} action ${q}`).join('\n')));

    sim.setReady(0xffff & ~(1 << STALLED));
    const perQueue = 400;
    const frames: Uint8Array[] = [];
    const target: number[] = [];
    for (let i = 0; i < perQueue * queues; i++) {
      const q = i % queues;
      frames.push(buildFrame(flows[q], { flags: 0x18, payload: 200 + (i % 300) }, rng));
      target.push(q);
    }
    const { data, lengths } = packFrames(frames);
    sim.send(data, lengths);
    sim.run(frames.reduce((a, f) => a + Math.ceil(f.length / (width / 8)) + 4, 0) + 10_000);

    const out = sim.collect();
    const delivered = new Map<number, number[]>();
    const dropped: number[] = [];
    for (let k = 0; k < out.ids.length; k++) {
      if (out.queues[k] >= 0) {
        const list = delivered.get(out.queues[k]) ?? [];
        list.push(out.ids[k]);
        delivered.set(out.queues[k], list);
      } else {
        expect(out.reasons[k], `frame ${out.ids[k]} drop reason`).toBe(4); // queue_full
        expect(target[out.ids[k]]).toBe(STALLED);
        dropped.push(out.ids[k]);
      }
    }
    // every other queue got all its frames, in order
    for (let q = 0; q < queues; q++) {
      if (q === STALLED) continue;
      const expected = target.flatMap((t, id) => (t === q ? [id] : []));
      expect(delivered.get(q), `queue ${q}`).toEqual(expected);
    }
    expect(delivered.get(STALLED) ?? []).toEqual([]);
    expect(dropped.length).toBeGreaterThan(0);
    // the stalled queue's FIFO holds what was not dropped
    const held = sim.pending();
    expect(held + dropped.length).toBe(perQueue);

    const c = await adapter.counters();
    expect(Number(c.rxFrames)).toBe(frames.length);
    expect(Number(c.queues[STALLED].drops)).toBe(dropped.length);
    expect(Number(c.drops.queue_full)).toBe(dropped.length);
    const enqueued = c.queues.reduce((a, q) => a + Number(q.frames), 0);
    expect(enqueued + dropped.length).toBe(frames.length);

    // draining again releases the held frames, in order, and nothing else is lost
    sim.setReady(0xffff);
    sim.runUntilIdle(1_000_000);
    const rest = sim.collect();
    expect(rest.ids.length).toBe(held);
    expect([...rest.queues].every((q) => q === STALLED)).toBe(true);
    expect([...rest.ids]).toEqual([...rest.ids].sort((a, b) => a - b));
    expect(sim.pending()).toBe(0);
    sim.close();
  });
});
