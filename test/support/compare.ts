// Runs frames through the Verilated adapter and through the TypeScript reference, and lists
// every frame on which they disagree (queue, drop reason, delivered bytes, order in queue).
import { createSim, packFrames, type Sim } from '../../sim/addon.js';
import { SimBus } from '../../host/src/bus/sim-bus.js';
import { Adapter } from '../../host/src/driver/index.js';
import { ReferenceAdapter } from '../../host/src/semantics/reference.js';
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

const describeExpected = (d: ReturnType<ReferenceAdapter['decide']>): string =>
  'queue' in d ? `queue ${d.queue}` : `drop ${d.drop}`;

/** Sends frames in batches, drains every queue, and compares frame by frame. */
export function runDifferential(rig: Rig, frames: readonly Uint8Array[], batch = 512): DiffReport {
  const report: DiffReport = {
    frames: frames.length, mismatches: [], mismatchCount: 0, byOutcome: {},
    byRule: { flow: 0, listen: 0, default: 0 }, queueFrames: new Map(), queueBytes: new Map(),
  };
  const lastIdInQueue = new Map<number, number>();
  const note = (index: number, expected: string, actual: string) => {
    report.mismatchCount++;
    if (report.mismatches.length < 10) {
      report.mismatches.push({ index, expected, actual, frameHex: Buffer.from(frames[index].subarray(0, 96)).toString('hex') });
    }
  };
  for (let start = 0; start < frames.length; start += batch) {
    const chunk = frames.slice(start, start + batch);
    const firstId = rig.sent;
    const { data, lengths } = packFrames(chunk);
    rig.sim.send(data, lengths);
    rig.sent += chunk.length;
    rig.sim.runUntilIdle(50_000_000);
    const out = rig.sim.collect();
    const seen = new Uint8Array(chunk.length);
    let at = 0;
    for (let k = 0; k < out.ids.length; k++) {
      const index = out.ids[k] - firstId + start;
      const local = out.ids[k] - firstId;
      const bytes = out.data.subarray(at, at + out.lengths[k]);
      at += out.lengths[k];
      if (local < 0 || local >= chunk.length || seen[local]) {
        note(Math.max(0, Math.min(frames.length - 1, index)), 'each frame out once', `frame id ${out.ids[k]} out again or unknown`);
        continue;
      }
      seen[local] = 1;
      const expected = rig.reference.decide(frames[index]);
      const queue = out.queues[k];
      const actual = queue >= 0 ? `queue ${queue}` : `drop ${DROP_REASONS[out.reasons[k] as keyof typeof DROP_REASONS] ?? out.reasons[k]}`;
      const exp = describeExpected(expected);
      report.byOutcome[exp] = (report.byOutcome[exp] ?? 0) + 1;
      if (expected.by) report.byRule[expected.by]++;
      if ('queue' in expected) {
        report.queueFrames.set(expected.queue, (report.queueFrames.get(expected.queue) ?? 0) + 1);
        report.queueBytes.set(expected.queue, (report.queueBytes.get(expected.queue) ?? 0) + frames[index].length);
      }
      if (exp !== actual) note(index, exp, actual);
      else if (queue >= 0 && !Buffer.from(bytes).equals(Buffer.from(frames[index]))) note(index, 'bytes unchanged', `bytes differ (${bytes.length} out, ${frames[index].length} in)`);
      if (queue >= 0) {
        const last = lastIdInQueue.get(queue) ?? -1;
        if (out.ids[k] <= last) note(index, `queue ${queue} in order`, `id ${out.ids[k]} after ${last}`);
        lastIdInQueue.set(queue, out.ids[k]);
      }
    }
    for (let local = 0; local < chunk.length; local++) {
      if (!seen[local]) note(start + local, 'frame out once', 'frame never came out');
    }
  }
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
