// Differential test: the same random and deliberately malformed frames through the RTL (under
// Verilator) and through the TypeScript reference of the steering semantics, compared frame
// by frame: queue or drop reason, delivered bytes, and order within each queue. Half the
// listen rules share their port among a list of queues (docs/semantics.md, shared ports).
import { describe, expect, it } from 'vitest';
import { buildFrame, makeRng, randomFrame, randomRuleSet, rulesText, type RuleSet } from './support/framegen.js';
import { counterMismatches, makeRig, makeRigFrom, runDifferential, type Rig } from './support/compare.js';
import { ReferenceAdapter } from '../host/src/semantics/reference.js';
import { parseRules } from '../host/src/codec/rules.js';
import { ipEquals, parseIp } from '../host/src/codec/ip.js';

const FRAMES_PER_WIDTH = 200_000;
const RULE_SETS = 4;
const QUEUES = 8;

/** Slot i of a list's table holds list[i mod n] (docs/semantics.md). */
const slotsOf = (list: readonly number[]) => Array.from({ length: 8 }, (_, i) => list[i % list.length]);

/**
 * A rig whose adapter holds the rules, shared ports included. The driver refuses a list with
 * a queue the adapter does not have, so such a list goes in as a stand-in list (its bad queue
 * replaced, with a table no other list has), and its group's slots are then written with the
 * real list through the registers. The reference gets the real rules.
 */
async function makeSharedRig(width: 8 | 32 | 64, rules: RuleSet): Promise<Rig> {
  const lists = rules.listens.flatMap((l) => (Array.isArray(l.action) ? [l.action] : []));
  const tables = new Set(lists.map((l) => slotsOf(l).join()));
  const standIn = new Map<string, number[]>();
  for (const list of lists) {
    if (list.every((q) => q < QUEUES) || standIn.has(list.join())) continue;
    let k = 0;
    let candidate = list.map((q) => (q < QUEUES ? q : k));
    while (tables.has(slotsOf(candidate).join())) candidate = list.map((q) => (q < QUEUES ? q : ++k));
    expect(k).toBeLessThan(QUEUES);
    tables.add(slotsOf(candidate).join());
    standIn.set(list.join(), candidate);
  }
  const loaded: RuleSet = {
    ...rules,
    listens: rules.listens.map((l) => (Array.isArray(l.action) && standIn.has(l.action.join()) ? { ...l, action: standIn.get(l.action.join())! } : l)),
  };
  const rig = await makeRig(width, rulesText(loaded));
  const a = rig.adapter;
  const entries = await a.listens.list();
  const poked = new Set<number>();
  for (const l of rules.listens) {
    if (!Array.isArray(l.action) || !standIn.has(l.action.join())) continue;
    const e = entries.find((x) => x.rule.family === l.family && x.rule.proto === l.proto && x.rule.dstPort === l.dstPort && ipEquals(x.rule.dstIp, parseIp(l.dst).bytes));
    expect(e?.group, `group of ${l.dstPort}`).toBeTypeOf('number');
    if (poked.has(e!.group!)) continue;
    poked.add(e!.group!);
    await a.bus.write(a.reg('listen', 'GROUP'), e!.group!);
    for (const [i, q] of slotsOf(l.action).entries()) await a.bus.write(a.reg('listen', 'GROUP_QUEUE', i), q);
    await a.bus.write(a.reg('listen', 'GROUP_COMMAND'), 1);
  }
  expect(poked.size).toBeGreaterThan(0);
  const reference = new ReferenceAdapter({ queues: a.info.queues });
  for (const rule of parseRules(rulesText(rules))) {
    if (rule.kind === 'default') reference.setDefault(rule.action);
    else reference.add(rule);
  }
  return makeRigFrom(rig.sim, a, reference);
}

describe.each([8, 32, 64] as const)('RTL vs reference at DATA_WIDTH %i', (width) => {
  it(`agrees on ${FRAMES_PER_WIDTH} frames`, async () => {
    let total = 0;
    let shared = 0;
    const outcomes: Record<string, number> = {};
    for (let set = 0; set < RULE_SETS; set++) {
      const rng = makeRng(1000 * width + set);
      const rules = randomRuleSet(rng, 200, 12, QUEUES, { sharedPorts: 6 });
      const rig = await makeSharedRig(width, rules);
      const frames = Array.from({ length: FRAMES_PER_WIDTH / RULE_SETS }, () => randomFrame(rng, rules));
      const report = runDifferential(rig, frames);
      const counters = await counterMismatches(rig, report);
      rig.sim.close();
      expect(report.mismatches, `rule set ${set}: ${report.mismatchCount} mismatches`).toEqual([]);
      expect(counters, `rule set ${set}: counters`).toEqual([]);
      for (const by of ['flow', 'listen', 'default'] as const) expect(report.byRule[by], by).toBeGreaterThan(1000);
      total += report.frames;
      for (const [k, v] of Object.entries(report.byOutcome)) outcomes[k] = (outcomes[k] ?? 0) + v;
      shared += frames.filter((f) => rig.reference.decide(f).slot !== undefined).length;
    }
    expect(total).toBe(FRAMES_PER_WIDTH);
    // The stream must exercise every outcome, or agreement proves little.
    for (const outcome of ['drop runt', 'drop oversize', 'drop rule', 'drop bad_queue', 'queue 0', 'queue 7']) {
      expect(outcomes[outcome] ?? 0, outcome).toBeGreaterThan(20);
    }
    // connection requests decided by a shared port's hash
    expect(shared).toBeGreaterThan(5000);
  });

  it('spreads 300 SYNs from one client with sequential source ports over a 3-queue shared port', async () => {
    const rig = await makeRig(width, 'listen tcp4 dst-ip 10.0.0.1 dst-port 8080 action 1,2,3\n');
    const frames = Array.from({ length: 300 }, (_, i) =>
      buildFrame({ family: 4, proto: 'tcp', src: '192.0.2.77', dst: '10.0.0.1', srcPort: 41000 + i, dstPort: 8080 }, { flags: 0x02 }),
    );
    const report = runDifferential(rig, frames);
    // per-queue frames as the adapter counted them
    const c = await rig.adapter.counters();
    rig.sim.close();
    expect(report.mismatches).toEqual([]);
    const counts = [1, 2, 3].map((q) => Number(c.queues[q].frames));
    expect(counts.reduce((x, y) => x + y, 0)).toBe(300);
    for (const c of counts) expect(c / 300, `shares ${counts.join('/')}`).toBeGreaterThanOrEqual(0.2);
  });
});
