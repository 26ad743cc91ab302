// Differential test of a gate-level sipnic_core (scripts/gate-level.mjs): random and
// deliberately malformed frames (test/support/framegen.ts) through the synthesized netlist,
// programmed by the real driver over a pipe (test/gate/core-pipe.ts), compared frame by frame
// with the TypeScript reference model (queue or drop reason, bytes, order within each queue),
// and the adapter's counters against the reference's tally — the checks of
// test/differential.test.ts, on the board's sizing, with fewer frames.
//
//   npx tsx test/gate/core-diff.ts --pipe BUILD/core_pipe [--frames N] [--sets K] [--seed S] [--board ID]
//
// Prints one JSON line with the tallies; exits 1 on any disagreement.
import { parseArgs } from 'node:util';
import { Adapter } from '../../host/src/driver/index.js';
import { BOARD_SIZING } from '../../host/src/board/boards.js';
import { buildFeatures } from '../../host/src/board/build.js';
import type { Sim, SimResults } from '../../sim/addon.js';
import { CLUSTER_V4, CLUSTER_V6, makeRng, randomFrame, randomRuleSet, type RuleSet } from '../support/framegen.js';
import { counterMismatches, makeRigFrom, runDifferential, type DiffReport } from '../support/compare.js';
import { loadSharedRules } from '../support/shared-rules.js';
import { CorePipe, type FrameRun } from './core-pipe.js';

const { values: opt } = parseArgs({
  options: {
    pipe: { type: 'string' },
    frames: { type: 'string', default: '3000' },
    sets: { type: 'string', default: '2' },
    seed: { type: 'string', default: '1' },
    board: { type: 'string', default: 'colorlight-5a-75b-v8' },
  },
});
if (!opt.pipe) throw new Error('--pipe BINARY (a build of test/rtl/core_pipe.cpp) is required');
const sizing = BOARD_SIZING[opt.board!]?.nic;
if (!sizing) throw new Error(`no sizing for board ${opt.board}`);
const FRAMES = Number(opt.frames), SETS = Number(opt.sets), SEED = Number(opt.seed);
const BATCH = 512;

/**
 * The board's address table has ADDR_SLOTS entries: the rules name one IPv4 and one IPv6
 * cluster address (frames to the other addresses of framegen's clusters are misses). An
 * IPv4-only build (IPV6=0) takes no IPv6 rule: IPv6 flows are left out, IPv6 listens become
 * IPv4 ones, and its IPv6 frames are misses.
 */
function onBoardAddresses(rules: RuleSet, ipv6: boolean): RuleSet {
  const dst = (family: 4 | 6) => (family === 4 ? CLUSTER_V4[0] : CLUSTER_V6[0]);
  const seen = new Set<string>();
  const flows = rules.flows
    .filter((f) => ipv6 || f.flow.family === 4)
    .map((f) => ({ ...f, flow: { ...f.flow, dst: dst(f.flow.family) } }))
    .filter((f) => {
      const k = JSON.stringify(f.flow);
      return !seen.has(k) && seen.add(k);
    });
  // an IPv6 listen becomes an IPv4 one: the listens are few, and one holds the bad queue list
  const listens = rules.listens
    .map((l) => (ipv6 ? l : { ...l, family: 4 as const }))
    .map((l) => ({ ...l, dst: dst(l.family) }))
    .filter((l) => {
      const k = `${l.family}/${l.proto}/${l.dst}/${l.dstPort}`;
      return !seen.has(k) && seen.add(k);
    });
  return { ...rules, flows, listens };
}

/** A Sim whose collect() hands back the netlist's results, batch by batch, for runDifferential. */
function replay(runs: FrameRun[], width: number): Sim {
  const unused = (what: string) => () => {
    throw new Error(`replay sim: ${what} is not used by runDifferential`);
  };
  return {
    width,
    cycles: 0,
    regRead: unused('regRead'),
    regWrite: unused('regWrite'),
    regBatch: unused('regBatch'),
    send: () => undefined,
    setReady: unused('setReady'),
    run: unused('run'),
    runUntilIdle: () => 0,
    collect: (): SimResults => {
      const r = runs.shift();
      if (!r) throw new Error('replay sim: more batches collected than were run');
      return r;
    },
    pending: () => 0,
    benchNative: unused('benchNative'),
    close: () => undefined,
  };
}

const t0 = Date.now();
const totals = { frames: 0, cycles: 0, mismatches: 0, counterProblems: 0, byOutcome: {} as Record<string, number>, byRule: { flow: 0, listen: 0, default: 0 } };
const problems: string[] = [];
for (let set = 0; set < SETS; set++) {
  const pipe = CorePipe.start(opt.pipe);
  try {
    const adapter = await Adapter.open(pipe);
    const { queues, maxFrame, dataWidth } = adapter.info;
    for (const [name, want, got] of [['QUEUES', sizing.QUEUES, queues], ['MAX_FRAME', sizing.MAX_FRAME, maxFrame], ['DATA_WIDTH', sizing.DATA_WIDTH, dataWidth]] as const) {
      if (want !== got) throw new Error(`the netlist reports ${name} ${got}, the board's sizing says ${want}`);
    }
    const rng = makeRng(1000 * SEED + set);
    const ipv6 = !adapter.info.ipv4Only;
    if (ipv6 !== buildFeatures(sizing).ipv6) throw new Error(`the netlist ${ipv6 ? 'steers' : 'does not steer'} IPv6, the board's sizing says IPV6 ${sizing.IPV6}`);
    const rules = onBoardAddresses(randomRuleSet(rng, 200, sizing.LISTEN_ENTRIES - 2, queues, { sharedPorts: sizing.LISTEN_GROUPS, lists: sizing.LISTEN_GROUPS }), ipv6);
    const reference = await loadSharedRules(adapter, rules, 8, ipv6);
    // the semantics' limit is 9022 bytes; the board's core drops longer than its MAX_FRAME
    const decide = reference.decide.bind(reference);
    reference.decide = (f) => (f.length > maxFrame ? { drop: 'oversize', by: null } : decide(f));
    const frames = Array.from({ length: Math.round(FRAMES / SETS) }, () => randomFrame(rng, rules));
    const runs: FrameRun[] = [];
    for (let at = 0; at < frames.length; at += BATCH) {
      const chunk = frames.slice(at, at + BATCH);
      const run = await pipe.runFrames(chunk, 200 * chunk.reduce((n, f) => n + f.length, 0) + 100_000);
      if (run.pending) problems.push(`rule set ${set}: ${run.pending} frames still in the netlist after ${run.cycles} clocks`);
      totals.cycles += run.cycles;
      runs.push(run);
    }
    const rig = makeRigFrom(replay(runs, dataWidth), adapter, reference);
    const report: DiffReport = runDifferential(rig, frames, BATCH);
    const counters = await counterMismatches(rig, report);
    totals.frames += report.frames;
    totals.mismatches += report.mismatchCount;
    totals.counterProblems += counters.length;
    for (const [k, v] of Object.entries(report.byOutcome)) totals.byOutcome[k] = (totals.byOutcome[k] ?? 0) + v;
    for (const k of ['flow', 'listen', 'default'] as const) totals.byRule[k] += report.byRule[k];
    for (const m of report.mismatches) problems.push(`rule set ${set}, frame ${m.index}: expected ${m.expected}, netlist ${m.actual} (${m.frameHex})`);
    for (const c of counters) problems.push(`rule set ${set}: counter ${c}`);
    const collisions = pipe.log.split('\n').filter((l) => l.includes('collision'));
    if (collisions.length) process.stderr.write(`rule set ${set}: ${collisions.length} DP16KD instances saw same-edge port collisions\n`);
  } finally {
    await pipe.close();
  }
}
// agreement proves little unless every kind of decision happened
for (const by of ['flow', 'listen', 'default'] as const) {
  if (totals.byRule[by] < 50) problems.push(`only ${totals.byRule[by]} frames decided by ${by} rules`);
}
for (const outcome of ['drop runt', 'drop oversize', 'drop rule', 'drop bad_queue', 'queue 0', `queue ${sizing.QUEUES - 1}`]) {
  if ((totals.byOutcome[outcome] ?? 0) < 3) problems.push(`outcome "${outcome}" seen ${totals.byOutcome[outcome] ?? 0} times`);
}
const ok = problems.length === 0 && totals.frames === Math.round(FRAMES / SETS) * SETS;
process.stdout.write(`${JSON.stringify({ ok, ...totals, seconds: (Date.now() - t0) / 1000 })}\n`);
for (const p of problems.slice(0, 30)) process.stderr.write(`core-diff: ${p}\n`);
process.exit(ok ? 0 : 1);
