// The event queue on the Verilated model: SYNs to `learn` listen rules at their times on the
// model's clock (SimTimeline), the records read back through adapter.events against what was
// sent and against table walks; aging by every state; overflow and the resync that follows it.
import { describe, expect, it } from 'vitest';
import { createSim, type Sim } from '../sim/addon.js';
import { SimBus } from '../host/src/bus/sim-bus.js';
import { Adapter, type FlowEvent } from '../host/src/driver/index.js';
import { formatIp } from '../host/src/codec/ip.js';
import { parseRules, ruleKey, type FlowRule } from '../host/src/codec/rules.js';
import { SimTimeline } from '../host/src/sim/timeline.js';
import { buildFrame, int, makeRng, pick, type FlowSpec } from './support/framegen.js';

const SYN = 0x02;
const ACK = 0x10;
const FIN_ACK = 0x11;
const TIMERS = { syn: 1000, idle: 5000, fin: 2000 };
const RULES = `learning syn-timeout ${TIMERS.syn / 1000} idle-timeout ${TIMERS.idle / 1000} fin-timeout ${TIMERS.fin / 1000} max-embryonic 2000
listen tcp4 dst-ip 10.0.0.1 dst-port 80 action 1 learn
listen tcp4 dst-ip 10.0.0.1 dst-port 8080 action 1,2,3 learn
listen tcp6 dst-ip 2001:db8::1 dst-port 443 action 2 learn
listen udp4 dst-ip 10.0.0.2 dst-port 53 action 4
listen tcp4 dst-ip 10.0.0.3 dst-port 25 action 5 learn
default action 0
`;
/** An entry of timeout T is gone once its idle time passes T × 1.01 + 10 ms (docs/semantics.md rule 6). */
const goneAfterUs = (ms: number) => (ms * 1.01 + 10) * 1000 + 1000;

interface Rig {
  sim: Sim;
  adapter: Adapter;
  timeline: SimTimeline;
}

async function rig(): Promise<Rig> {
  const sim = createSim({ width: 64 });
  const adapter = await Adapter.open(new SimBus(sim));
  expect(adapter.info.events, 'the model has the event queue (FEATURES.EVENTS)').toBe(true);
  await adapter.applyRules(parseRules(RULES));
  const timeline = SimTimeline.forAdapter(sim, adapter);
  return { sim, adapter, timeline };
}

const spec = (family: 4 | 6, src: number, srcPort: number, dstPort: number): FlowSpec => ({
  family,
  proto: 'tcp',
  src: family === 6 ? `2001:db8:5::${src.toString(16)}` : `198.18.${(src >> 8) & 255}.${src & 255}`,
  // port 25 is on the cluster address in address slot 3 (an odd slot of an IPv4 address)
  dst: family === 6 ? '2001:db8::1' : dstPort === 25 ? '10.0.0.3' : '10.0.0.1',
  srcPort,
  dstPort,
});
/** A flow's key as ruleKey gives it (the rule's action does not matter to it). */
const keyOf = (f: FlowSpec) => `${f.proto}${f.family} ${f.src}:${f.srcPort} > ${f.dst}:${f.dstPort}`;
const ruleKeyOf = (r: FlowRule) => `${r.proto}${r.family} ${formatIp(r.srcIp, r.family)}:${r.srcPort} > ${formatIp(r.dstIp, r.family)}:${r.dstPort}`;

/** Reads until nothing is pending; says whether an overflow was seen. */
async function drain(a: Adapter): Promise<{ events: FlowEvent[]; overflowed: boolean }> {
  const events: FlowEvent[] = [];
  let overflowed = false;
  for (;;) {
    const r = await a.events.read();
    events.push(...r.events);
    overflowed ||= r.overflowed;
    if (r.pending === 0) return { events, overflowed };
  }
}

/** The learned entries of a table walk: key → action. */
async function walkLearned(a: Adapter): Promise<Map<string, number>> {
  return new Map((await a.flows.list()).filter((e) => e.meta?.origin === 'learned').map((e) => [ruleKeyOf(e.rule), e.action]));
}

/** learned → add, aged → remove: the map of learned entries built from events only. */
function apply(map: Map<string, number>, events: FlowEvent[]): void {
  for (const e of events) {
    if (e.type === 'learned') map.set(ruleKeyOf(e.rule), e.action);
    else if (e.type === 'aged') map.delete(ruleKeyOf(e.rule));
  }
}

describe('event queue on the model', () => {
  it('a learned record for every SYN, with its key and the queue it went to; aged embryonic after syn-timeout', async () => {
    const { sim, adapter, timeline } = await rig();
    try {
      expect(await adapter.events.enable()).toEqual({ wasEnabled: false });
      const flows = [
        ...Array.from({ length: 10 }, (_, i) => spec(4, i + 1, 40000 + i, 80)),
        ...Array.from({ length: 6 }, (_, i) => spec(4, 300 + i, 41000 + i, 8080)),
        ...Array.from({ length: 4 }, (_, i) => spec(6, 0xa0 + i, 42000 + i, 443)),
        ...Array.from({ length: 3 }, (_, i) => spec(4, 400 + i, 43000 + i, 25)),
      ];
      expect(adapter.addresses.list().map((s) => [s.slot, formatIp(s.address, s.family)])).toEqual([[0, '10.0.0.1'], [1, '2001:db8::1'], [2, '10.0.0.2'], [3, '10.0.0.3']]);
      let t = 1000;
      for (const f of flows) timeline.send(buildFrame(f, { flags: SYN }), (t += 100));
      timeline.advanceTo(t + 200);
      const out = sim.collect();
      expect(out.ids.length).toBe(flows.length);
      const queueOf = new Map([...out.ids].map((id, k) => [id, out.queues[k]]));
      const { events, overflowed } = await drain(adapter);
      expect(overflowed).toBe(false);
      // in the order sent, each to the queue its SYN went to (a shared port's by the group hash)
      expect(events.map((e) => [e.type, ruleKeyOf(e.rule), e.action, e.rule.action])).toEqual(flows.map((f, i) => ['learned', keyOf(f), queueOf.get(i), queueOf.get(i)]));
      expect(events.every((e) => e.state === undefined && e.reason === undefined)).toBe(true);
      // what the walk holds is what the events said
      const fromEvents = new Map<string, number>();
      apply(fromEvents, events);
      expect(await walkLearned(adapter)).toEqual(fromEvents);

      timeline.advanceTo(t + goneAfterUs(TIMERS.syn));
      const aged = await drain(adapter);
      expect(aged.events.map((e) => `${e.type} ${e.state} ${ruleKeyOf(e.rule)} ${e.action}`).sort()).toEqual(events.map((e) => `aged embryonic ${ruleKeyOf(e.rule)} ${e.action}`).sort());
      expect((await adapter.flows.list()).length).toBe(0);
    } finally {
      sim.close();
    }
  });

  it('ages by state: an ACK makes established, a FIN closing, a host entry ages as host', async () => {
    const { sim, adapter, timeline } = await rig();
    try {
      await adapter.events.enable();
      const closing = spec(4, 7, 50000, 80);
      const established = spec(6, 7, 50001, 443);
      const host: FlowRule = { ...parseRules('flow-type tcp4 src-ip 192.0.2.9 dst-ip 10.0.0.1 src-port 7 dst-port 22 action 3 idle-timeout 1')[0] } as FlowRule;
      await adapter.flows.insert(host);
      timeline.send(buildFrame(closing, { flags: SYN }), 1000);
      timeline.send(buildFrame(established, { flags: SYN }), 1100);
      timeline.send(buildFrame(closing, { flags: ACK }), 2000);
      timeline.send(buildFrame(established, { flags: ACK }), 2100);
      timeline.send(buildFrame(closing, { flags: FIN_ACK }), 3000);
      timeline.advanceTo(3200);
      const learned = await drain(adapter);
      expect(learned.events.map((e) => `${e.type} ${ruleKeyOf(e.rule)} ${e.action}`)).toEqual([`learned ${keyOf(closing)} 1`, `learned ${keyOf(established)} 2`]);
      const states = new Map((await adapter.flows.list()).map((e) => [ruleKeyOf(e.rule), e.meta?.state]));
      expect(states.get(keyOf(closing))).toBe('closing');
      expect(states.get(keyOf(established))).toBe('established');

      // the host entry (1 s) first, then closing (fin-timeout 2 s), then established (idle-timeout 5 s)
      timeline.advanceTo(3200 + goneAfterUs(TIMERS.fin));
      const early = await drain(adapter);
      expect(early.events.map((e) => `${e.type} ${e.state} ${ruleKey(e.rule)} ${e.action}`).sort()).toEqual(
        [`aged host ${ruleKey(host)} 3`, `aged closing ${ruleKey({ ...host, srcIp: learned.events[0].rule.srcIp, srcPort: 50000, dstPort: 80 })} 1`].sort(),
      );
      timeline.advanceTo(3200 + goneAfterUs(TIMERS.idle));
      const late = await drain(adapter);
      expect(late.events.map((e) => `${e.type} ${e.state} ${ruleKeyOf(e.rule)} ${e.action}`)).toEqual([`aged established ${keyOf(established)} 2`]);
      expect(late.overflowed || early.overflowed || learned.overflowed).toBe(false);
    } finally {
      sim.close();
    }
  });

  it('refusal records with REFUSALS: at the embryonic quota and at max-entries, each with its key and the queue it was refused', async () => {
    const { sim, adapter, timeline } = await rig();
    try {
      await adapter.setLearning({ ...(await adapter.getLearning()), maxEmbryonic: 2, maxEntries: 3 });
      await adapter.events.enable({ refusals: true });
      const flows = Array.from({ length: 4 }, (_, i) => spec(4, 60 + i, 44000 + i, 80));
      let t = 1000;
      for (const f of flows) timeline.send(buildFrame(f, { flags: SYN }), (t += 100));
      // the first two established: room in the quota again, then the table's max-entries
      timeline.send(buildFrame(flows[0], { flags: ACK }), (t += 100));
      timeline.send(buildFrame(flows[1], { flags: ACK }), (t += 100));
      const more = [spec(4, 70, 45000, 80), spec(4, 71, 45001, 80)];
      for (const f of more) timeline.send(buildFrame(f, { flags: SYN }), (t += 100));
      timeline.advanceTo(t + 200);
      sim.collect();
      const { events } = await drain(adapter);
      expect(events.map((e) => `${e.type} ${e.reason ?? ''} ${ruleKeyOf(e.rule)} ${e.action}`)).toEqual([
        `learned  ${keyOf(flows[0])} 1`,
        `learned  ${keyOf(flows[1])} 1`,
        `refused quota ${keyOf(flows[2])} 1`,
        `refused quota ${keyOf(flows[3])} 1`,
        `learned  ${keyOf(more[0])} 1`,
        `refused full ${keyOf(more[1])} 1`,
      ]);
      const c = (await adapter.learningCounters())!;
      expect(c.refused).toMatchObject({ quota: 2, full: 1 });
      expect((await adapter.events.status()).skipped).toBe(0);
    } finally {
      sim.close();
    }
  });

  it.each([1, 2, 3])('random traffic, seed %i: the learned entries built only from events equal a table walk at every checkpoint', async (seed) => {
    const { sim, adapter, timeline } = await rig();
    const rng = makeRng(seed);
    try {
      await adapter.events.enable();
      const map = new Map<string, number>();
      const open: FlowSpec[] = [];
      let t = 1000;
      let next = 1;
      let checks = 0;
      let learnedSeen = 0;
      let agedSeen = 0;
      for (let round = 0; round < 30; round++) {
        for (let k = int(rng, 1, 6); k > 0; k--) {
          const roll = rng();
          if (roll < 0.5 || open.length === 0) {
            const f = spec(rng() < 0.25 ? 6 : 4, next, 20000 + next, pick(rng, [80, 8080, 443, 25]));
            next++;
            if (f.family === 6) f.dstPort = 443;
            else if (f.dstPort === 443) f.dstPort = 80;
            open.push(f);
            timeline.send(buildFrame(f, { flags: SYN }), (t += int(rng, 30, 400)));
          } else {
            const f = pick(rng, open);
            timeline.send(buildFrame(f, { flags: roll < 0.8 ? ACK : FIN_ACK }), (t += int(rng, 30, 400)));
          }
        }
        // idle stretches that cross the timers now and then
        t += pick(rng, [100, 1000, 50_000, 600_000, 1_500_000, 2_500_000]);
        timeline.advanceTo(t);
        sim.collect();
        if (round % 6 === 5) {
          // walk between two reads that find nothing new: no change slipped in between
          let walk: Map<string, number>;
          for (;;) {
            const before = await drain(adapter);
            apply(map, before.events);
            expect(before.overflowed).toBe(false);
            learnedSeen += before.events.filter((e) => e.type === 'learned').length;
            agedSeen += before.events.filter((e) => e.type === 'aged').length;
            walk = await walkLearned(adapter);
            const after = await drain(adapter);
            if (after.events.length === 0) break;
            apply(map, after.events);
            learnedSeen += after.events.filter((e) => e.type === 'learned').length;
            agedSeen += after.events.filter((e) => e.type === 'aged').length;
          }
          expect(map, `checkpoint after round ${round}`).toEqual(walk);
          checks++;
        }
      }
      expect(checks).toBe(5);
      expect(learnedSeen).toBeGreaterThan(30);
      expect(agedSeen).toBeGreaterThan(10);
    } finally {
      sim.close();
    }
  });

  it('overflow: more learns than EVENT_DEPTH unread → EVENT_PENDING = depth, overflowed; a restart and a walk resynchronise', async () => {
    const { sim, adapter, timeline } = await rig();
    try {
      await adapter.events.enable();
      const { depth } = await adapter.events.status();
      const n = depth + 40;
      let t = 1000;
      for (let i = 0; i < n; i++) timeline.send(buildFrame(spec(4, i + 1, 10000 + i, 80), { flags: SYN }), (t += 25));
      timeline.advanceTo(t + 200);
      sim.collect();
      const learned = (await adapter.learningCounters())!.learned;
      expect(learned).toBe(n);
      const st = await adapter.events.status();
      expect(st.pending).toBe(depth);
      expect(st.overflow).toBe(n - depth);

      const first = await adapter.events.read();
      expect(first.overflowed).toBe(true);
      const fromEvents = new Map<string, number>();
      apply(fromEvents, first.events);
      const rest = await drain(adapter);
      apply(fromEvents, rest.events);
      expect(rest.overflowed).toBe(false);
      expect(fromEvents.size).toBe(depth);
      // the events alone miss what was lost
      const table = await walkLearned(adapter);
      expect(table.size).toBe(n);
      expect(fromEvents).not.toEqual(table);

      // the resync: the queue restarted (emptied), then a walk; the events after it keep the map right
      await adapter.events.disable();
      await adapter.events.enable();
      const map = await walkLearned(adapter);
      t = timeline.nowUs;
      for (let i = 0; i < 30; i++) timeline.send(buildFrame(spec(4, 5000 + i, 30000 + i, 80), { flags: SYN }), (t += 25));
      timeline.advanceTo(t + goneAfterUs(TIMERS.syn) / 2);
      sim.collect();
      const more = await drain(adapter);
      expect(more.overflowed).toBe(false);
      apply(map, more.events);
      expect(map).toEqual(await walkLearned(adapter));
      expect(map.size).toBe(n + 30);
      timeline.advanceTo(t + goneAfterUs(TIMERS.syn));
      // every entry ages now: more records than the queue holds, so the next read says overflowed
      const aging = await drain(adapter);
      expect(aging.overflowed).toBe(true);
    } finally {
      sim.close();
    }
  });
});
