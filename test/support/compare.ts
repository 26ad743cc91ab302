// Runs frames through the Verilated adapter and through the TypeScript reference, and lists
// every frame on which they disagree (queue, drop reason, delivered bytes, order in queue).
import { createSim, packFrames, type Sim, type SimResults } from '../../sim/addon.js';
import type { SimTimeline } from '../../host/src/sim/timeline.js';
import { SimBus } from '../../host/src/bus/sim-bus.js';
import { Adapter } from '../../host/src/driver/index.js';
import { ReferenceAdapter, type Decision } from '../../host/src/semantics/reference.js';
import { parseRules, type Rule } from '../../host/src/codec/rules.js';
import { DROP_REASONS } from '../../host/src/driver/regs.generated.js';

export interface Mismatch {
  index: number;
  frameHex: string;
  expected: string;
  actual: string;
}

export interface DiffReport {
  frames: number;
  mismatches: Mismatch[];
  mismatchCount: number;
  byOutcome: Record<string, number>;
  /** frames the reference decided by a flow rule, a listen rule or the default action */
  byRule: Record<'flow' | 'listen' | 'default', number>;
  /** frames and bytes the reference put in each queue */
  queueFrames: Map<number, number>;
  queueBytes: Map<number, number>;
}

export interface Rig {
  sim: Sim;
  adapter: Adapter;
  reference: ReferenceAdapter;
  sent: number;
}

/** A fresh simulated adapter and reference, both loaded with the same rules text. */
export async function makeRig(width: 8 | 32 | 64, rulesText: string): Promise<Rig> {
  const sim = createSim({ width });
  const adapter = await Adapter.open(new SimBus(sim));
  const rules: Rule[] = parseRules(rulesText);
  await adapter.applyRules(rules);
  const reference = new ReferenceAdapter({ queues: adapter.info.queues });
  for (const rule of rules) {
    if (rule.kind === 'default') reference.setDefault(rule.action);
    else reference.add(rule);
  }
  return { sim, adapter, reference, sent: 0 };
}

/** A rig around a simulator that already carries rules; `sent` counts frames it has seen. */
export function makeRigFrom(sim: Sim, adapter: Adapter, reference: ReferenceAdapter, sent = 0): Rig {
  return { sim, adapter, reference, sent };
}

const describeExpected = (d: Decision): string =>
  'queue' in d ? `queue ${d.queue}` : `drop ${d.drop}`;

/**
 * Compares the adapter's outputs with the reference's decisions, frame by frame: queue or drop
 * reason, delivered bytes, each frame out exactly once, order within each queue. Fills `report`.
 */
class OutputCheck {
  private readonly lastIdInQueue = new Map<number, number>();

  constructor(
    readonly report: DiffReport,
    private readonly frames: readonly Uint8Array[],
  ) {}

  note(index: number, expected: string, actual: string): void {
    const { report } = this;
    report.mismatchCount++;
    if (report.mismatches.length < 10) {
      report.mismatches.push({ index, expected, actual, frameHex: Buffer.from(this.frames[index].subarray(0, 96)).toString('hex') });
    }
  }

  /**
   * Checks one collect()'s worth of outputs; `indexOf(id)` maps a frame id to its index in
   * `frames` (or -1), `expectedOf(index)` gives the reference's decision, `seen` marks frames out.
   */
  take(out: SimResults, indexOf: (id: number) => number, expectedOf: (index: number) => Decision | undefined, seen: Uint8Array): void {
    const { report, frames } = this;
    let at = 0;
    for (let k = 0; k < out.ids.length; k++) {
      const index = indexOf(out.ids[k]);
      const bytes = out.data.subarray(at, at + out.lengths[k]);
      at += out.lengths[k];
      if (index < 0 || index >= frames.length || seen[index]) {
        this.note(Math.max(0, Math.min(frames.length - 1, index)), 'each frame out once', `frame id ${out.ids[k]} out again or unknown`);
        continue;
      }
      seen[index] = 1;
      const expected = expectedOf(index);
      if (!expected) continue; // the semantics let the adapter choose
      const queue = out.queues[k];
      const actual = queue >= 0 ? `queue ${queue}` : `drop ${DROP_REASONS[out.reasons[k] as keyof typeof DROP_REASONS] ?? out.reasons[k]}`;
      const exp = describeExpected(expected);
      report.byOutcome[exp] = (report.byOutcome[exp] ?? 0) + 1;
      if (expected.by) report.byRule[expected.by]++;
      if ('queue' in expected) {
        report.queueFrames.set(expected.queue, (report.queueFrames.get(expected.queue) ?? 0) + 1);
        report.queueBytes.set(expected.queue, (report.queueBytes.get(expected.queue) ?? 0) + frames[index].length);
      }
      if (exp !== actual) this.note(index, exp, actual);
      else if (queue >= 0 && !Buffer.from(bytes).equals(Buffer.from(frames[index]))) this.note(index, 'bytes unchanged', `bytes differ (${bytes.length} out, ${frames[index].length} in)`);
      if (queue >= 0) {
        const last = this.lastIdInQueue.get(queue) ?? -1;
        if (out.ids[k] <= last) this.note(index, `queue ${queue} in order`, `id ${out.ids[k]} after ${last}`);
        this.lastIdInQueue.set(queue, out.ids[k]);
      }
    }
  }

  /** Every frame not marked in `seen` (from `from` on) is reported as never out. */
  missing(seen: Uint8Array, from = 0, to = seen.length): void {
    for (let i = from; i < to; i++) if (!seen[i]) this.note(i, 'frame out once', 'frame never came out');
  }
}

const emptyReport = (frames: number): DiffReport => ({
  frames, mismatches: [], mismatchCount: 0, byOutcome: {},
  byRule: { flow: 0, listen: 0, default: 0 }, queueFrames: new Map(), queueBytes: new Map(),
});

/** Sends frames in batches, drains every queue, and compares frame by frame. */
export function runDifferential(rig: Rig, frames: readonly Uint8Array[], batch = 512): DiffReport {
  const report = emptyReport(frames.length);
  const check = new OutputCheck(report, frames);
  const seen = new Uint8Array(frames.length);
  for (let start = 0; start < frames.length; start += batch) {
    const chunk = frames.slice(start, start + batch);
    const firstId = rig.sent;
    const { data, lengths } = packFrames(chunk);
    rig.sim.send(data, lengths);
    rig.sent += chunk.length;
    rig.sim.runUntilIdle(50_000_000);
    // the reference decides in output order here: with no time, a decision depends on the rules alone
    const indexOf = (id: number) => {
      const local = id - firstId;
      return local >= 0 && local < chunk.length ? start + local : -1;
    };
    check.take(rig.sim.collect(), indexOf, (index) => rig.reference.decide(frames[index]), seen);
    check.missing(seen, start, start + chunk.length);
  }
  return report;
}

/** What learning did over a timed run, as the reference saw it. */
export interface TimedReport extends DiffReport {
  /** frames the reference called ambiguous (a generator's stream has none); they are not compared */
  ambiguous: number;
  /** NOW_MS jumps over idle gaps */
  jumps: number;
  /** frames processors transmitted (the transmit snoop), and how many of them learned in the reference */
  transmitted: number;
  transmitLearned: number;
}

/**
 * Sends each frame at its time on the model's nominal clock (SimTimeline: long gaps are jumped
 * over), the reference deciding each one at the same time in input order, then compares frame by
 * frame as runDifferential does. A frame with `processor` is one that processor transmits: it goes
 * through the transmit snoop (SimTimeline.transmit) and the reference's transmit(), and leaves
 * no output to compare; `frames` and the indices in mismatches count received frames only.
 */
export function runTimedDifferential(rig: Rig, timeline: SimTimeline, timed: readonly { timeUs: number; frame: Uint8Array; processor?: number }[]): TimedReport {
  const frames = timed.filter((t) => t.processor === undefined).map((t) => t.frame);
  const report: TimedReport = { ...emptyReport(frames.length), ambiguous: 0, jumps: 0, transmitted: 0, transmitLearned: 0 };
  const check = new OutputCheck(report, frames);
  const seen = new Uint8Array(frames.length);
  const expected: (Decision | undefined)[] = new Array(frames.length);
  const firstId = rig.sent;
  const indexOf = (id: number) => id - firstId;
  const jumpsBefore = timeline.jumps;
  let i = 0;
  for (const { timeUs, frame, processor } of timed) {
    if (processor !== undefined) {
      timeline.transmit(frame, processor, timeUs);
      const o = rig.reference.transmit(frame, processor, timeUs);
      if (o.ambiguous) report.ambiguous++;
      if (o.learned) report.transmitLearned++;
      report.transmitted++;
      continue;
    }
    timeline.send(frame, timeUs);
    rig.sent++;
    const d = rig.reference.decide(frame, timeUs);
    if (d.ambiguous) report.ambiguous++;
    expected[i] = d.ambiguous ? undefined : d;
    // outputs so far, without running the model any further
    if (i % 256 === 255) check.take(rig.sim.collect(), indexOf, (index) => expected[index], seen);
    i++;
  }
  rig.sim.runUntilIdle(50_000_000);
  check.take(rig.sim.collect(), indexOf, (index) => expected[index], seen);
  check.missing(seen);
  report.jumps = timeline.jumps - jumpsBefore;
  return report;
}

/**
 * The adapter's own counters against the reference's tally of the same frames (for a rig
 * whose frames all went through one runDifferential call since its counters were zero).
 */
export async function counterMismatches(rig: Rig, report: DiffReport): Promise<string[]> {
  const c = await rig.adapter.counters();
  const problems: string[] = [];
  const expect = (what: string, actual: bigint, expected: number) => {
    if (Number(actual) !== expected) problems.push(`${what}: adapter ${actual}, reference ${expected}`);
  };
  expect('RX_FRAMES', c.rxFrames, report.frames);
  expect('FLOW_HITS', c.flowHits, report.byRule.flow);
  expect('LISTEN_HITS', c.listenHits, report.byRule.listen);
  expect('DEFAULT_HITS', c.defaultHits, report.byRule.default);
  for (const reason of ['runt', 'oversize', 'rule', 'bad_queue'] as const) {
    expect(`DROP ${reason}`, c.drops[reason], report.byOutcome[`drop ${reason}`] ?? 0);
  }
  c.queues.forEach((q, n) => {
    expect(`Q_FRAMES[${n}]`, q.frames, report.queueFrames.get(n) ?? 0);
    expect(`Q_BYTES[${n}]`, q.bytes, report.queueBytes.get(n) ?? 0);
  });
  return problems;
}
