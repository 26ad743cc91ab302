// `npm run -s bench`: measures the simulated adapter and prints one JSON object.
//   cyclesPerFrame       ingress clocks per 64-byte frame, back to back (target: its beats, 64 at w8, 8 at w64)
//   lookupLatencyCycles  flow table key-in to result-out, from the design (flow.LOOKUP_LATENCY)
//   frameLatencyCycles   last beat in to last beat out of one 64-byte frame on an idle adapter
//   loadFactorAtFirstFailure  live entries / hashed entries at the first failed insert, random keys
//   apiVsNativeRatio     frames/s through the TypeScript batched API / frames/s of a C++ loop, same model and frames
//   insertsPerSecond     flow inserts per second from TypeScript into the simulator (one command each)
//   serial               the serial link: measured through the PTY simulator, computed for real lines (scripts/bench-serial.ts)
//   learn, aging         the learning engine and the aging sweep at the board's width and clock (scripts/bench-learn.ts)
//   boardSim             table commands over `sim serve --board`'s paced line at 115200, 1 M and 3 Mbaud (root; scripts/bench-board-sim.ts)
import { performance } from 'node:perf_hooks';
import { createSim, packFrames, type Sim } from '../sim/addon.js';
import { SimBus } from '../host/src/bus/sim-bus.js';
import { Adapter, TableFullError } from '../host/src/driver/index.js';
import { parseRules } from '../host/src/codec/rules.js';
import { serialBench } from './bench-serial.js';
import { boardSimBench } from './bench-board-sim.js';
import { learnBench } from './bench-learn.js';
import { buildFrame, makeRng, randomFlow, randomRuleSet, rulesText, type FlowSpec, type Rng } from '../test/support/framegen.js';

const FRAME_BYTES = 64;
const STREAM = 4000;

function frame64(flow: FlowSpec, rng: Rng): Uint8Array {
  const bare = buildFrame(flow, { flags: 0x10 }, rng).length;
  return buildFrame(flow, { flags: 0x10, payload: FRAME_BYTES - bare }, rng);
}

async function loadedSim(width: 8 | 64, rng: Rng) {
  const rules = randomRuleSet(rng, 1000, 8, 8);
  // v4 TCP only, so every 64-byte frame is the same shape
  rules.flows = rules.flows.map((f) => ({ flow: { ...f.flow, family: 4, proto: 'tcp', src: `192.0.2.${1 + (f.flow.srcPort % 250)}`, dst: '10.0.0.1' }, action: f.action < 0 ? 1 : f.action }));
  const unique = new Map(rules.flows.map((f) => [JSON.stringify(f.flow), f]));
  rules.flows = [...unique.values()];
  rules.listens = [];
  const sim = createSim({ width });
  const adapter = await Adapter.open(new SimBus(sim));
  await adapter.applyRules(parseRules(rulesText(rules)));
  return { sim, adapter, rules };
}

function streams(rng: Rng, flows: FlowSpec[]): Record<'hit' | 'miss' | 'mixed', Uint8Array[]> {
  const hit = Array.from({ length: STREAM }, (_, i) => frame64(flows[i % flows.length], rng));
  const miss = Array.from({ length: STREAM }, () => frame64({ ...randomFlow(rng, 4, 'tcp'), dst: '10.0.0.1' }, rng));
  const mixed = hit.map((f, i) => (i % 2 ? f : miss[i]));
  return { hit, miss, mixed };
}

/** Clocks between the last beats of the first and last frame, per frame. */
function ingressCyclesPerFrame(sim: Sim, frames: Uint8Array[]): number {
  const { data, lengths } = packFrames(frames);
  sim.send(data, lengths);
  sim.runUntilIdle(100_000_000);
  const out = sim.collect();
  const inCycle = new Map<number, number>();
  for (let k = 0; k < out.ids.length; k++) inCycle.set(out.ids[k], out.inCycles[k]);
  const ids = [...inCycle.keys()].sort((a, b) => a - b);
  return (inCycle.get(ids[ids.length - 1])! - inCycle.get(ids[0])!) / (ids.length - 1);
}

async function cyclesPerFrame(width: 8 | 64) {
  const rng = makeRng(width);
  const { sim, rules } = await loadedSim(width, rng);
  const s = streams(rng, rules.flows.map((f) => f.flow));
  const result = {
    hit: ingressCyclesPerFrame(sim, s.hit),
    miss: ingressCyclesPerFrame(sim, s.miss),
    mixed: ingressCyclesPerFrame(sim, s.mixed),
  };
  // one frame on an idle adapter: how long from its last beat in to its last beat out
  const { data, lengths } = packFrames([s.hit[0]]);
  sim.send(data, lengths);
  sim.runUntilIdle(10_000);
  const one = sim.collect();
  const frameLatency = one.outCycles[0] - one.inCycles[0];
  sim.close();
  return { result, frameLatency };
}

async function loadFactor() {
  const rng = makeRng(99);
  const sim = createSim({ width: 64 });
  const adapter = await Adapter.open(new SimBus(sim));
  const entries = adapter.info.flowEntries;
  const seen = new Set<string>();
  let inserted = 0;
  let firstFailure = -1;
  const t0 = performance.now();
  for (;;) {
    const f = randomFlow(rng);
    const text = `flow-type ${f.proto}${f.family} src-ip ${f.src} dst-ip ${f.dst} src-port ${f.srcPort} dst-port ${f.dstPort} action 1`;
    if (seen.has(text)) continue;
    seen.add(text);
    const rule = parseRules(text)[0];
    if (rule.kind !== 'flow') continue;
    try {
      await adapter.flows.insert(rule);
      inserted++;
    } catch (err) {
      if (!(err instanceof TableFullError)) throw err;
      firstFailure = inserted;
      break;
    }
  }
  const seconds = (performance.now() - t0) / 1000;
  const latency = await adapter.flows.lookupLatency();
  sim.close();
  return { loadFactor: firstFailure / entries, entriesAtFailure: firstFailure, entries, insertsPerSecond: inserted / seconds, latency };
}

async function apiVsNative() {
  const rng = makeRng(5);
  const { sim, rules } = await loadedSim(64, rng);
  const frames = streams(rng, rules.flows.map((f) => f.flow)).mixed;
  const all = Array.from({ length: 10 }, () => frames).flat();
  // TypeScript batched path: send a batch, run until idle, collect
  const t0 = performance.now();
  for (let i = 0; i < all.length; i += 1024) {
    const { data, lengths } = packFrames(all.slice(i, i + 1024));
    sim.send(data, lengths);
    sim.runUntilIdle(100_000_000);
    sim.collect();
  }
  const apiFps = all.length / ((performance.now() - t0) / 1000);
  const { data, lengths } = packFrames(frames);
  const native = sim.benchNative(data, lengths, 10);
  sim.close();
  const nativeFps = native.frames / native.seconds;
  return { ratio: apiFps / nativeFps, apiFramesPerSecond: apiFps, nativeFramesPerSecond: nativeFps };
}

const w8 = await cyclesPerFrame(8);
const w64 = await cyclesPerFrame(64);
const lf = await loadFactor();
const api = await apiVsNative();
const learning = await learnBench();
const serial = await serialBench();
const boardSim = await boardSimBench();
const round = (x: number, d = 3) => Math.round(x * 10 ** d) / 10 ** d;
console.log(JSON.stringify({
  cyclesPerFrame: {
    w8: { hit: round(w8.result.hit), miss: round(w8.result.miss), mixed: round(w8.result.mixed), target: 64 },
    w64: { hit: round(w64.result.hit), miss: round(w64.result.miss), mixed: round(w64.result.mixed), target: 8 },
  },
  lookupLatencyCycles: lf.latency,
  frameLatencyCycles: { w8: w8.frameLatency, w64: w64.frameLatency },
  loadFactorAtFirstFailure: round(lf.loadFactor, 4),
  entriesAtFirstFailure: lf.entriesAtFailure,
  flowEntries: lf.entries,
  apiVsNativeRatio: round(api.ratio),
  apiFramesPerSecond: Math.round(api.apiFramesPerSecond),
  nativeFramesPerSecond: Math.round(api.nativeFramesPerSecond),
  insertsPerSecond: Math.round(lf.insertsPerSecond),
  ...learning,
  serial,
  boardSim,
}, null, 2));
