// Connection learning and aging, RTL against the reference (docs/semantics.md, "Learning and
// aging"): the seeded learning traffic, each frame at its time on the model's nominal clock
// (SimTimeline), compared frame by frame, then the learning counters against the reference's.
// The stream crosses every state and timeout and both quotas (test/learn-traffic.test.ts checks
// its coverage) and has outgoing connections whose SYNs processors transmit (rule 9: through the
// model's transmit snoop and the reference's transmit()); the generator has moved every frame
// out of the windows where the semantics let the adapter choose, so any difference is a bug on
// one side.
import { describe, expect, it } from 'vitest';
import { createSim, packFrames } from '../sim/addon.js';
import { SimBus } from '../host/src/bus/sim-bus.js';
import { Adapter } from '../host/src/driver/index.js';
import { parseRules, ruleKey, type FlowRule } from '../host/src/codec/rules.js';
import type { FlowEvent } from '../host/src/driver/events.js';
import { ReferenceAdapter, type LearningOutcome } from '../host/src/semantics/reference.js';
import { SimTimeline } from '../host/src/sim/timeline.js';
import { makeRigFrom, runTimedDifferential, type Rig } from './support/compare.js';
import { LEARN_CAPACITY, LEARN_QUEUES, LEARN_RULES, learnTraffic, makeReference, type LearnTraffic } from './support/learn-traffic.js';
import { buildFrame } from './support/framegen.js';

async function learningRig(width: 8 | 32 | 64, rules = LEARN_RULES, reference = makeReference()): Promise<{ rig: Rig; timeline: SimTimeline }> {
  const sim = createSim({ width });
  const adapter = await Adapter.open(new SimBus(sim));
  expect(adapter.info.learning, 'the simulated adapter has the learning engine').toBe(true);
  expect(adapter.info.queues).toBeGreaterThanOrEqual(LEARN_QUEUES);
  const parsed = parseRules(rules);
  // a `learning` line turns transmit-side learning on (rule 9): the driver sets LEARN_CONTROL.TRANSMIT with it
  await adapter.applyRules(parsed);
  const timeline = SimTimeline.forAdapter(sim, adapter);
  return { rig: makeRigFrom(sim, adapter, reference), timeline };
}

// The model runs every gap shorter than a few aging passes clock by clock, so a stream costs
// its span in clocks: 300 connections at width 64, 100 at the widths whose clock is faster.
const traffic = new Map<string, LearnTraffic>();
const trafficFor = (seed: number, connections: number) => {
  const key = `${seed}/${connections}`;
  if (!traffic.has(key)) traffic.set(key, learnTraffic({ seed, connections, transmit: true }));
  return traffic.get(key)!;
};
const CONNECTIONS = { 8: 100, 32: 100, 64: 300 } as const;

describe.each([8, 32, 64] as const)('learning: RTL vs reference at DATA_WIDTH %i', (width) => {
  it('agrees frame by frame and on every learning counter', async () => {
    const t = trafficFor(100 + width, CONNECTIONS[width]);
    const { rig, timeline } = await learningRig(width);
    const report = runTimedDifferential(rig, timeline, t.frames);
    const end = t.frames.at(-1)!.timeUs;
    const adapterCounters = await rig.adapter.learningCounters();
    const ref = rig.reference.counters(end);
    rig.sim.close();
    expect(report.ambiguous, 'the generator leaves no ambiguous frame').toBe(0);
    expect(report.mismatches, `${report.mismatchCount} mismatches`).toEqual([]);
    expect(adapterCounters).toEqual({ learned: ref.learned, aged: ref.aged, refused: ref.refused, embryonic: 0 });
    // the stream reached everything it is meant to
    expect(ref.learned).toBeGreaterThan(CONNECTIONS[width] / 4);
    for (const [state, n] of Object.entries(ref.aged)) expect(n, `aged ${state}`).toBeGreaterThan(0);
    for (const reason of ['exact', 'quota', 'full'] as const) expect(ref.refused[reason], `refused ${reason}`).toBeGreaterThan(0);
    expect(report.byRule.flow).toBeGreaterThan(100);
    expect(report.jumps, 'idle gaps were jumped over').toBeGreaterThan(20);
    // outgoing connections: transmitted SYNs learned their reverse entries
    expect(report.transmitted).toBeGreaterThan(CONNECTIONS[width] / 20);
    expect(report.transmitLearned).toBeGreaterThan(0);
  });
});

describe('learning: the event queue says what the reference table did', () => {
  // The same stream with the event queue on (refusal records too): the learned records in the
  // order the reference learned, the aged records as the reference aged them (the sweep's order
  // is the slots', so as a multiset), every refusal record one of the reference's, in order.
  type Rec = { type: string; rule: FlowRule; state?: string; reason?: string };
  const describeRecord = (e: Rec) =>
    `${e.type}${e.state ? ` ${e.state}` : ''}${e.reason ? ` ${e.reason}` : ''} ${ruleKey(e.rule)} → ${e.rule.action}`;
  const sorted = (xs: string[]) => [...xs].sort();
  it('at DATA_WIDTH 64: learned, aged and refused records against the reference', async () => {
    const t = trafficFor(164, CONNECTIONS[64]);
    const { rig, timeline } = await learningRig(64);
    await rig.adapter.events.enable({ refusals: true });
    const expected = rig.reference.recordEvents();
    const report = runTimedDifferential(rig, timeline, t.frames);
    expect(report.mismatches, `${report.mismatchCount} mismatches`).toEqual([]);
    const got: FlowEvent[] = [];
    let overflowed = false;
    for (let left = 1; left > 0; ) {
      const r = await rig.adapter.events.read(256);
      got.push(...r.events);
      overflowed ||= r.overflowed;
      left = r.pending;
    }
    const status = await rig.adapter.events.status();
    const counters = await rig.adapter.learningCounters();
    rig.sim.close();
    if (!counters) throw new Error('the adapter has no learning counters');
    expect(overflowed || status.overflow !== 0, 'the stream fits the queue').toBe(false);
    const of = (xs: readonly Rec[], type: string) => xs.filter((e) => e.type === type).map(describeRecord);
    expect(of(got, 'learned')).toEqual(of(expected, 'learned'));
    expect(sorted(of(got, 'aged'))).toEqual(sorted(of(expected, 'aged')));
    // refusals: a record for each request that held a slot while the queue was at most half
    // full; the others are counted skipped (busy ones never have a record)
    const refused = of(got, 'refused');
    const refusable = of(expected, 'refused');
    let at = 0;
    for (const r of refused) {
      while (at < refusable.length && refusable[at] !== r) at++;
      expect(at < refusable.length, `refusal record ${r} is not one of the reference's, in order`).toBe(true);
      at++;
    }
    expect(refused.length + status.skipped).toBe(counters.refused.quota + counters.refused.full + counters.refused.busy);
    // the stream makes every kind of record
    console.log(`event records: ${of(got, 'learned').length} learned, ${of(got, 'aged').length} aged, ${refused.length} refused (${status.skipped} skipped); reference ${expected.length} events`);
    expect(of(got, 'learned').length).toBeGreaterThan(CONNECTIONS[64] / 4);
    for (const state of ['embryonic', 'established', 'closing', 'host']) expect(got.some((e) => e.state === state), `an aged ${state} record`).toBe(true);
    for (const reason of ['quota', 'full']) expect(got.some((e) => e.reason === reason), `a ${reason} refusal record`).toBe(true);
  });
});

describe('learning: the comparison can fail', () => {
  // each wrong reference must disagree with the RTL somewhere on the same stream
  const mutants: [string, string][] = [
    ['syn-timeout twice as long', LEARN_RULES.replace(/syn-timeout [0-9.]+/, 'syn-timeout 0.1')],
    ['idle-timeout half as long', LEARN_RULES.replace(/ idle-timeout 0\.2 /, ' idle-timeout 0.1 ')],
    ['no learning on port 80', LEARN_RULES.replace('dst-port 80 action 1 learn', 'dst-port 80 action 1')],
    ['one more embryonic entry allowed', LEARN_RULES.replace(/max-embryonic (\d+)/, (_m, n) => `max-embryonic ${Number(n) + 1}`)],
  ];
  // rule 9 wrong in the reference: the RTL must disagree with each
  const swapPorts = (frame: Uint8Array): Uint8Array => {
    const f = Uint8Array.from(frame);
    const l4 = 14 + (f[14] & 0x0f) * 4; // the generator's outgoing connections are IPv4 without VLAN tags
    f.set(frame.subarray(l4 + 2, l4 + 4), l4);
    f.set(frame.subarray(l4, l4 + 2), l4 + 2);
    return f;
  };
  type Transmit = (frame: Uint8Array, processor: number, timeUs?: number) => LearningOutcome;
  /** The reference with its transmit() replaced: `mutant` gets the real one to build on. */
  class MutantReference extends ReferenceAdapter {
    constructor(private readonly mutant: (real: Transmit, frame: Uint8Array, processor: number, timeUs?: number) => LearningOutcome) {
      super({ queues: LEARN_QUEUES, capacity: LEARN_CAPACITY });
    }
    override transmit(frame: Uint8Array, processor: number, timeUs?: number): LearningOutcome {
      return this.mutant((f, p, t) => super.transmit(f, p, t), frame, processor, timeUs);
    }
  }
  const transmitMutants: [string, (real: Transmit, frame: Uint8Array, processor: number, timeUs?: number) => LearningOutcome][] = [
    ['the reverse key with its ports swapped', (real, frame, processor, t) => real(swapPorts(frame), processor, t)],
    // (a runt through the real one: the reference's time still advances)
    ['no transmit-side learning', (real, frame, processor, t) => (real(frame.subarray(0, 10), processor, t), {})],
    ['transmit-side entries to queue 0', (real, frame, _processor, t) => real(frame, 0, t)],
  ];
  /** The RTL against a mutated reference (loaded with `rules`) on one stream; whether the comparison catches it. */
  async function againstMutant(reference: ReferenceAdapter, rules: string): Promise<{ caught: boolean; transmitted: number }> {
    for (const rule of parseRules(rules)) reference.add(rule, 0);
    const { rig, timeline } = await learningRig(64, LEARN_RULES, reference);
    const t = trafficFor(164, 60);
    const report = runTimedDifferential(rig, timeline, t.frames);
    const c = await rig.adapter.learningCounters();
    rig.sim.close();
    const ref = reference.counters(t.frames.at(-1)!.timeUs);
    const countersAgree = JSON.stringify(c) === JSON.stringify({ learned: ref.learned, aged: ref.aged, refused: ref.refused, embryonic: 0 });
    // what the unmutated test asserts: no mismatch, no ambiguous frame, the same counters
    return { caught: report.mismatchCount > 0 || report.ambiguous > 0 || !countersAgree, transmitted: report.transmitted };
  }

  it.each(transmitMutants)('transmit: %s', async (_name, mutant) => {
    const r = await againstMutant(new MutantReference(mutant), LEARN_RULES);
    expect(r.transmitted, 'the stream has transmitted frames').toBeGreaterThan(0);
    expect(r.caught, 'the mutant passes the comparison').toBe(true);
  });

  it.each(mutants)('%s', async (_name, mutated) => {
    expect(mutated).not.toBe(LEARN_RULES);
    const r = await againstMutant(new ReferenceAdapter({ queues: LEARN_QUEUES }), mutated);
    expect(r.caught, 'the mutant passes the comparison').toBe(true);
  });
});

describe.each([8, 64] as const)('learning under a line-rate SYN storm at DATA_WIDTH %i', (width) => {
  it('steers every SYN by its listen rule, counts each learned or refused, and never stalls ingress', async () => {
    const N = 3000;
    const sim = createSim({ width });
    const adapter = await Adapter.open(new SimBus(sim));
    await adapter.applyRules(parseRules('learning max-embryonic 65535\nlisten tcp4 dst-ip 10.0.0.1 dst-port 80 action 1,2,3 learn\n'));
    const frames = Array.from({ length: N }, (_, i) =>
      buildFrame({ family: 4, proto: 'tcp', src: `198.18.${(i >> 8) & 255}.${i & 255}`, dst: '10.0.0.1', srcPort: 1024 + i, dstPort: 80 }, { flags: 0x02 }),
    );
    const { data, lengths } = packFrames(frames);
    const before = sim.cycles;
    sim.send(data, lengths);
    sim.runUntilIdle(50_000_000);
    const cycles = sim.cycles - before;
    // the last SYN's learn ends after the SYN is out
    sim.run(1000);
    const out = sim.collect();
    const c = (await adapter.learningCounters())!;
    const table = await adapter.flows.list();
    sim.close();

    // every SYN out once, in the queue its shared-port hash names (the reference decides without learning)
    const reference = new ReferenceAdapter({ queues: adapter.info.queues });
    reference.add(parseRules('listen tcp4 dst-ip 10.0.0.1 dst-port 80 action 1,2,3\n')[0]);
    expect(out.ids.length).toBe(N);
    const wrong = [...out.ids].filter((id, k) => {
      const d = reference.decide(frames[id]);
      return !('queue' in d) || d.queue !== out.queues[k];
    });
    expect(wrong).toEqual([]);
    // each SYN learned or refused busy; nothing else
    expect(c.learned + c.refused.busy).toBe(N);
    expect(c.refused.busy, 'a back-to-back storm outruns the engine somewhere').toBeGreaterThan(0);
    expect(c.learned).toBeGreaterThan(0);
    expect(c.refused.quota + c.refused.full + c.refused.exact).toBe(0);
    // what was learned is in the table, each SYN's key to the queue the SYN went to
    expect(table.length).toBe(c.learned);
    const queueOf = new Map([...out.ids].map((id, k) => [id, out.queues[k]]));
    for (const e of table) {
      const i = e.rule.srcPort - 1024;
      expect(e.action, `entry of SYN ${i}`).toBe(queueOf.get(i));
    }
    // ingress never waited: the storm took about the time its bytes take on the stream
    const beats = lengths.reduce((a, l) => a + Math.ceil(l / (width / 8)), 0);
    expect(cycles).toBeLessThan(beats * 1.25 + 2000);
  });
});
