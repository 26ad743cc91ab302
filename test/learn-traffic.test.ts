// The learning traffic generator (test/support/learn-traffic.ts) covers what the learning
// differential must show: run through a reference model built here from the generator's rules
// text, every state is reached, every timeout fires, every refusal reason but `busy` is
// counted, and no frame lands where the semantics let the adapter choose.
import { describe, expect, it } from 'vitest';
import { parseRules } from '../host/src/codec/rules.js';
import { parseFrame, ReferenceAdapter, type TimedDecision } from '../host/src/semantics/reference.js';
import { LEARN_CAPACITY, LEARN_MAX_EMBRYONIC, learnTraffic, type LearnTraffic } from './support/learn-traffic.js';

const SEEDS = [1, 2, 3];

function run(traffic: LearnTraffic) {
  const ref = new ReferenceAdapter({ queues: traffic.queues, capacity: traffic.capacity });
  for (const rule of parseRules(traffic.rules)) ref.add(rule, 0);
  const decisions: TimedDecision[] = [];
  let transmitLearned = 0;
  let ambiguous = 0;
  let mostEmbryonic = 0;
  let mostEntries = 0;
  for (const f of traffic.frames) {
    if (f.processor !== undefined) {
      const outcome = ref.transmit(f.frame, f.processor, f.timeUs);
      if (outcome.learned) transmitLearned++;
      if (outcome.ambiguous) ambiguous++;
    } else {
      const d = ref.decide(f.frame, f.timeUs);
      decisions.push(d);
      if (d.ambiguous) ambiguous++;
    }
    const entries = ref.entries(f.timeUs);
    mostEntries = Math.max(mostEntries, entries.length);
    mostEmbryonic = Math.max(mostEmbryonic, entries.filter((e) => e.origin === 'learned' && e.state === 'embryonic').length);
  }
  return { ref, decisions, transmitLearned, ambiguous, mostEmbryonic, mostEntries };
}

describe.each(SEEDS)('learning traffic, seed %i', (seed) => {
  const traffic = learnTraffic({ seed, connections: 300 });

  it('is timestamped in integer µs, in order, each frame after the previous one left a 1 Gb/s wire', () => {
    expect(traffic.frames.length).toBeGreaterThan(800);
    for (let i = 1; i < traffic.frames.length; i++) {
      const prev = traffic.frames[i - 1];
      const cur = traffic.frames[i];
      expect(Number.isInteger(cur.timeUs)).toBe(true);
      // (length + preamble, FCS and gap of 24 bytes) × 8 ns
      expect(cur.timeUs).toBeGreaterThanOrEqual(prev.timeUs + ((prev.frame.length + 24) * 8) / 1000);
    }
  });

  it('no frame is ambiguous; few were moved and almost none dropped', () => {
    const { ambiguous } = run(traffic);
    expect(ambiguous).toBe(0);
    expect(traffic.retimed).toBeGreaterThanOrEqual(0);
    expect(traffic.dropped).toBeLessThanOrEqual(traffic.frames.length / 100);
  });

  it('reaches every state, fires every timeout, counts every refusal but busy', () => {
    const { ref, decisions, transmitLearned } = run(traffic);
    const c = ref.counters();
    expect(c.learned).toBeGreaterThan(50);
    expect(c.established).toBeGreaterThan(10);
    expect(c.closing).toBeGreaterThan(10);
    expect(c.aged.embryonic).toBeGreaterThan(5);
    expect(c.aged.established).toBeGreaterThan(5);
    expect(c.aged.closing).toBeGreaterThan(5);
    expect(c.aged.host).toBeGreaterThan(0);
    expect(c.refused.exact).toBeGreaterThan(5);
    expect(c.refused.quota).toBeGreaterThan(5);
    expect(c.refused.full).toBeGreaterThan(5);
    expect(c.refused.busy).toBe(0);
    expect(transmitLearned).toBeGreaterThan(5);
    // learned on every kind of learn rule: a single queue, a shared port (a slot), IPv6
    const learnedFrames = traffic.frames.filter((f) => f.processor === undefined).map((f, i) => ({ f, d: decisions[i] })).filter(({ d }) => d.learned);
    expect(learnedFrames.some(({ d }) => d.slot !== undefined)).toBe(true);
    expect(learnedFrames.some(({ f }) => { const p = parseFrame(f.frame); return p.kind === 'steerable' && p.family === 6; })).toBe(true);
    for (const by of ['flow', 'listen', 'default'] as const) expect(decisions.filter((d) => d.by === by).length).toBeGreaterThan(50);
  });

  it('never holds more than the quota of embryonic entries or the table’s capacity, and ends with only the rule that never ages', () => {
    const { ref, mostEmbryonic, mostEntries } = run(traffic);
    expect(mostEmbryonic).toBe(LEARN_MAX_EMBRYONIC);
    expect(mostEntries).toBe(LEARN_CAPACITY);
    expect(ref.entries().map((e) => [e.origin, e.timeoutMs])).toEqual([['host', undefined]]);
  });
});

describe('learning traffic generator', () => {
  it('is the same for the same seed and differs between seeds', () => {
    const a = learnTraffic({ seed: 7, connections: 100 });
    const b = learnTraffic({ seed: 7, connections: 100 });
    const c = learnTraffic({ seed: 8, connections: 100 });
    const flat = (t: LearnTraffic) => t.frames.map((f) => `${f.timeUs}:${f.processor ?? ''}:${Buffer.from(f.frame).toString('hex')}`).join('\n');
    expect(flat(a)).toBe(flat(b));
    expect(flat(a)).not.toBe(flat(c));
  });
});
