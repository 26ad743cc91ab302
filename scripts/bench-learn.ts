// The learning engine and the aging sweep, measured on the simulated adapter at the board's
// width (32 bits), in clocks, and in time at the board's core clock (part of `npm run bench`).
//   learn.latencyClocks            SYN's last beat in → last beat in of the first later frame of the
//                                  connection that hits the learned entry (the smallest such gap)
//   learn.clocksPerLearnAtLoad50/90  64-byte SYNs to distinct keys at 50% / 90% of a 1 Gb/s line's
//                                  minimum-frame rate: clocks per entry learned (busy refusals count against it)
//   learn.busyAtLoad50/90ByQuarter  busy refusals among each quarter of those SYNs: the table (4,104
//                                  slots) fills as they are learned, and past ~2/3 full an insert's
//                                  cuckoo walks outlast the SYN spacing, whatever the request queue
//   learn.learnsPerSecondAtLineRate  SYNs at 100% of that rate: entries learned per second at the core clock
//   aging.sweepClocks / entriesPerSecond  one aging pass over every slot, and slots checked per second
import { createSim, packFrames, type Sim } from '../sim/addon.js';
import { SimBus } from '../host/src/bus/sim-bus.js';
import { Adapter } from '../host/src/driver/index.js';
import { parseRules } from '../host/src/codec/rules.js';
import { buildFrame } from '../test/support/framegen.js';
import sizing from '../host/src/board/sizing.json' with { type: 'json' };

const WIDTH = 32;
/** the board's core clock: 500 MHz PLL output divided by CORE_DIV (host/src/board/sizing.json) */
const CORE_HZ = 500e6 / sizing['colorlight-5a-75b-v8'].board.CORE_DIV;
/** a 64-byte frame with preamble and the minimum gap on a 1 Gb/s line: 84 bytes, 672 ns */
const MIN_FRAME_NS = 84 * 8;
const RULES = 'learning max-embryonic 65535\nlisten tcp4 dst-ip 10.0.0.1 dst-port 80 action 1 learn\ndefault action 0\n';

async function learningSim(): Promise<{ sim: Sim; adapter: Adapter }> {
  const sim = createSim({ width: WIDTH });
  const adapter = await Adapter.open(new SimBus(sim));
  if (!adapter.info.learning) throw new Error('the simulated adapter has no learning engine');
  await adapter.applyRules(parseRules(RULES));
  return { sim, adapter };
}

let nextPort = 1024;
let nextHost = 0;
function syn64(flags = 0x02): { frame: Uint8Array; flow: Parameters<typeof buildFrame>[0] } {
  const i = nextHost++;
  const flow = { family: 4 as const, proto: 'tcp' as const, src: `198.18.${(i >> 8) & 255}.${i & 255}`, dst: '10.0.0.1', srcPort: nextPort++ & 0xffff || 1, dstPort: 80 };
  const bare = buildFrame(flow, { flags }).length;
  return { frame: buildFrame(flow, { flags, payload: 64 - bare }), flow };
}

async function latency(): Promise<number> {
  const { sim } = await learningSim();
  try {
    for (let gap = 0; gap < 2000; gap++) {
      const { frame, flow } = syn64();
      const bare = buildFrame(flow, { flags: 0x10 }).length;
      const ack = buildFrame(flow, { flags: 0x10, payload: 64 - bare });
      sim.send(frame, Uint32Array.of(frame.length));
      if (gap > 0) sim.run(gap);
      sim.send(ack, Uint32Array.of(ack.length));
      sim.runUntilIdle(1_000_000);
      const out = sim.collect();
      const k = out.ids.length - 1;
      if (out.queues[k] === 1) return out.inCycles[k] - out.inCycles[k - 1];
    }
    throw new Error('no frame hit a learned entry within 2000 clocks of its SYN');
  } finally {
    sim.close();
  }
}

/** SYNs at `load` of the minimum-frame rate: clocks per learned entry, and the learned fraction. */
async function atLoad(load: number, count = 4000): Promise<{ clocksPerLearn: number; learned: number; busy: number; busyByQuarter: number[]; learnedFraction: number }> {
  const { sim, adapter } = await learningSim();
  try {
    const spacing = (MIN_FRAME_NS * 1e-9 * CORE_HZ) / load;
    const start = sim.cycles;
    let due = 0;
    const busyByQuarter: number[] = [];
    let busyBefore = 0;
    for (let i = 0; i < count; i++) {
      const { frame } = syn64();
      const now = sim.cycles - start;
      if (due > now) sim.run(Math.round(due - now));
      sim.send(frame, Uint32Array.of(frame.length));
      due += spacing;
      if (i % 256 === 255) sim.collect();
      if ((i + 1) % (count / 4) === 0) {
        // register reads run the model a few clocks; the schedule above catches up
        const busy = (await adapter.learningCounters())!.refused.busy;
        busyByQuarter.push(busy - busyBefore);
        busyBefore = busy;
      }
    }
    sim.runUntilIdle(10_000_000);
    const elapsed = sim.cycles - start;
    // requests still queued (near a full table an insert walks for hundreds of clocks) finish
    sim.run(20_000);
    const c = (await adapter.learningCounters())!;
    return { clocksPerLearn: elapsed / Math.max(1, c.learned), learned: c.learned, busy: c.refused.busy, busyByQuarter, learnedFraction: c.learned / count };
  } finally {
    sim.close();
  }
}

async function sweep(): Promise<{ sweepClocks: number; slots: number }> {
  const { sim, adapter } = await learningSim();
  try {
    // a table half full of learned entries
    const slots = adapter.info.flowEntries + adapter.info.flowStash;
    const frames = Array.from({ length: slots >> 1 }, () => syn64().frame);
    const { data, lengths } = packFrames(frames);
    sim.send(data, lengths);
    sim.runUntilIdle(50_000_000);
    sim.collect();
    const sweeps = adapter.reg('flow', 'SWEEPS');
    const first = sim.regRead(sweeps);
    while (sim.regRead(sweeps) === first) sim.run(64);
    const from = sim.cycles;
    const second = sim.regRead(sweeps);
    while (sim.regRead(sweeps) === second) sim.run(64);
    return { sweepClocks: sim.cycles - from, slots };
  } finally {
    sim.close();
  }
}

export async function learnBench() {
  const latencyClocks = await latency();
  const l50 = await atLoad(0.5);
  const l90 = await atLoad(0.9);
  const l100 = await atLoad(1);
  const s = await sweep();
  const r = (x: number) => Math.round(x * 100) / 100;
  return {
    learn: {
      width: WIDTH,
      coreClockHz: Math.round(CORE_HZ),
      latencyClocks,
      clocksPerLearnAtLoad50: r(l50.clocksPerLearn),
      clocksPerLearnAtLoad90: r(l90.clocksPerLearn),
      busyAtLoad50: l50.busy,
      busyAtLoad90: l90.busy,
      busyAtLoad50ByQuarter: l50.busyByQuarter,
      busyAtLoad90ByQuarter: l90.busyByQuarter,
      learnedFractionAtLineRate: r(l100.learnedFraction),
      learnsPerSecondAtLineRate: Math.round((l100.learnedFraction * 1e9) / MIN_FRAME_NS),
      minimumFrameClocks: r(MIN_FRAME_NS * 1e-9 * CORE_HZ),
    },
    aging: {
      slots: s.slots,
      sweepClocks: s.sweepClocks,
      sweepMicroseconds: r((s.sweepClocks / CORE_HZ) * 1e6),
      entriesPerSecond: Math.round((s.slots * CORE_HZ) / s.sweepClocks),
    },
  };
}
