// Differential test: the same random and deliberately malformed frames through the RTL (under
// Verilator) and through the TypeScript reference of the steering semantics, compared frame
// by frame: queue or drop reason, delivered bytes, and order within each queue.
import { describe, expect, it } from 'vitest';
import { makeRng, randomFrame, randomRuleSet, rulesText } from './support/framegen.js';
import { counterMismatches, makeRig, runDifferential } from './support/compare.js';

const FRAMES_PER_WIDTH = 200_000;
const RULE_SETS = 4;

describe.each([8, 64] as const)('RTL vs reference at DATA_WIDTH %i', (width) => {
  it(`agrees on ${FRAMES_PER_WIDTH} frames`, async () => {
    let total = 0;
    const outcomes: Record<string, number> = {};
    for (let set = 0; set < RULE_SETS; set++) {
      const rng = makeRng(1000 * width + set);
      const rules = randomRuleSet(rng, 200, 12, 8);
      const rig = await makeRig(width, rulesText(rules));
      const frames = Array.from({ length: FRAMES_PER_WIDTH / RULE_SETS }, () => randomFrame(rng, rules));
      const report = runDifferential(rig, frames);
      const counters = await counterMismatches(rig, report);
      rig.sim.close();
      expect(report.mismatches, `rule set ${set}: ${report.mismatchCount} mismatches`).toEqual([]);
      expect(counters, `rule set ${set}: counters`).toEqual([]);
      for (const by of ['flow', 'listen', 'default'] as const) expect(report.byRule[by], by).toBeGreaterThan(1000);
      total += report.frames;
      for (const [k, v] of Object.entries(report.byOutcome)) outcomes[k] = (outcomes[k] ?? 0) + v;
    }
    expect(total).toBe(FRAMES_PER_WIDTH);
    // The stream must exercise every outcome, or agreement proves little.
    for (const outcome of ['drop runt', 'drop oversize', 'drop rule', 'queue 0', 'queue 7']) {
      expect(outcomes[outcome] ?? 0, outcome).toBeGreaterThan(20);
    }
  });
});
