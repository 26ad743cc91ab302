// Every Ethernet capture in test/pcaps replayed through the RTL with rules taken from its own
// flows (exact rules for some connections, listen rules for the ports that saw a SYN, a
// default queue), compared frame by frame with the reference.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatIp } from '../host/src/codec/ip.js';
import { readCapture, CaptureError } from '../host/src/codec/pcap.js';
import { parseFrame, ReferenceAdapter } from '../host/src/semantics/reference.js';
import { counterMismatches, makeRig, makeRigFrom, runDifferential, runTimedDifferential } from './support/compare.js';
import { createSim } from '../sim/addon.js';
import { SimBus } from '../host/src/bus/sim-bus.js';
import { Adapter } from '../host/src/driver/index.js';
import { parseRules } from '../host/src/codec/rules.js';
import { SimTimeline } from '../host/src/sim/timeline.js';

const DIR = join(import.meta.dirname, 'pcaps');
const files = [
  ...readdirSync(DIR).filter((f) => /\.pcap(ng)?$/.test(f)).map((f) => join(DIR, f)),
  ...readdirSync(join(DIR, 'derived')).filter((f) => /\.pcap(ng)?$/.test(f)).map((f) => join(DIR, 'derived', f)),
].sort();


/** Rules built from what the capture carries, so that every rule kind gets hits. */
function rulesFromCapture(frames: Uint8Array[], queues: number): string {
  const dstCount = new Map<string, number>();
  const keys = new Map<string, string>();
  const listens = new Map<string, string>();
  for (const frame of frames) {
    const p = parseFrame(frame);
    if (p.kind !== 'steerable') continue;
    const dst = `${p.family}|${formatIp(p.dst, p.family)}`;
    dstCount.set(dst, (dstCount.get(dst) ?? 0) + 1);
  }
  // the adapter holds 16 cluster addresses: take the busiest destinations
  const cluster = new Set([...dstCount.entries()].sort((a, b) => b[1] - a[1]).slice(0, 16).map(([d]) => d));
  let n = 0;
  for (const frame of frames) {
    const p = parseFrame(frame);
    if (p.kind !== 'steerable') continue;
    const src = formatIp(p.src, p.family);
    const dst = formatIp(p.dst, p.family);
    if (!cluster.has(`${p.family}|${dst}`)) continue;
    const type = `${p.proto}${p.family}`;
    if (p.proto === 'tcp' && p.syn && !p.ack && listens.size < 32) {
      const k = `${type} dst-ip ${dst} dst-port ${p.dstPort}`;
      if (!listens.has(k)) listens.set(k, `listen ${k} action ${(listens.size % (queues - 1)) + 1}`);
    }
    const key = `flow-type ${type} src-ip ${src} dst-ip ${dst} src-port ${p.srcPort} dst-port ${p.dstPort}`;
    // every other connection gets an exact rule; a few of them drop
    if (!keys.has(key) && n++ % 2 === 0 && keys.size < 2000) keys.set(key, `${key} action ${keys.size % 7 === 6 ? -1 : keys.size % queues}`);
  }
  return [...keys.values(), ...listens.values(), `default action ${queues - 1}`].join('\n') + '\n';
}

describe.each([8, 64] as const)('real captures through the RTL at DATA_WIDTH %i', (width) => {
  for (const file of files) {
    const name = file.slice(DIR.length + 1);
    it(name, async () => {
      let frames: Uint8Array[];
      try {
        frames = readCapture(readFileSync(file)).frames.map((f) => f.data);
      } catch (err) {
        // only the two raw-IP captures are not Ethernet; they must say so
        expect(err).toBeInstanceOf(CaptureError);
        expect(String(err)).toMatch(/link type/i);
        expect(name).toMatch(/one_ipv6_http_stream\.pcap|four_ipv6_http_streams\.pcap/);
        return;
      }
      expect(frames.length).toBeGreaterThan(0);
      const rig = await makeRig(width, rulesFromCapture(frames, 8));
      const report = runDifferential(rig, frames);
      const counters = await counterMismatches(rig, report);
      rig.sim.close();
      expect(report.mismatches, `${report.mismatchCount} mismatches`).toEqual([]);
      expect(counters).toEqual([]);
      expect(report.frames).toBe(frames.length);
      // a capture that carries TCP or UDP to its busiest addresses must exercise the rules
      if (report.byRule.flow + report.byRule.listen === 0) {
        expect(frames.every((f) => parseFrame(f).kind !== 'steerable'), 'steerable frames but no rule hits').toBe(true);
      }
    });
  }
});

/**
 * Learning rules from a capture: every port that saw a SYN to a busy address learns (shared
 * among three queues for every other port), UDP flows get host rules that age, and timers
 * short enough that a capture of a few seconds crosses them.
 */
function learningRulesFromCapture(frames: Uint8Array[]): string {
  const exact = rulesFromCapture(frames, 8).split('\n');
  const listens = exact.filter((l) => l.startsWith('listen tcp')).map((l, i) => l.replace(/action \d+$/, i % 2 ? 'action 1,2,3 learn' : `action ${(i % 6) + 1} learn`));
  const udp = exact.filter((l) => /^flow-type udp/.test(l)).slice(0, 50).map((l, i) => `${l} idle-timeout ${i % 2 ? 0.5 : 2}`);
  return ['learning syn-timeout 1 idle-timeout 3 fin-timeout 0.5 max-embryonic 64', ...udp, ...listens, 'default action 7'].join('\n') + '\n';
}

describe('real captures through the RTL at their capture times, learning', () => {
  let learnedTotal = 0;
  for (const file of files) {
    const name = file.slice(DIR.length + 1);
    it(name, async () => {
      let timed: { timeUs: number; frame: Uint8Array }[];
      try {
        const capture = readCapture(readFileSync(file));
        const t0 = capture.frames.length ? capture.frames[0].tsSec * 1e6 + capture.frames[0].tsUsec : 0;
        let latest = 0;
        timed = capture.frames.map((f) => {
          latest = Math.max(latest, Math.round(f.tsSec * 1e6 + f.tsUsec - t0));
          return { timeUs: latest, frame: f.data };
        });
      } catch (err) {
        expect(err).toBeInstanceOf(CaptureError);
        return;
      }
      // the model runs each gap of up to a few ms clock by clock: the one long, busy capture
      // (4,709 frames, 8 s of such gaps) would take minutes for what the others already show
      if (timed.length > 3000) return;
      const rulesText = learningRulesFromCapture(timed.map((t) => t.frame));
      const reference = new ReferenceAdapter({ queues: 8 });
      for (const rule of parseRules(rulesText)) reference.add(rule, 0);
      const sim = createSim({ width: 64 });
      const adapter = await Adapter.open(new SimBus(sim));
      await adapter.applyRules(parseRules(rulesText));
      const timeline = SimTimeline.forAdapter(sim, adapter);
      const rig = makeRigFrom(sim, adapter, reference);
      const report = runTimedDifferential(rig, timeline, timed);
      const c = await adapter.learningCounters();
      sim.close();
      expect(report.mismatches, `${report.mismatchCount} mismatches`).toEqual([]);
      const ref = reference.counters();
      // counters are exact only when no frame was ambiguous
      if (report.ambiguous === 0) expect({ learned: c!.learned, refused: c!.refused }).toEqual({ learned: ref.learned, refused: ref.refused });
      learnedTotal += ref.learned;
    });
  }
  it('learned connections from the captures', () => {
    expect(learnedTotal).toBeGreaterThan(25);
  });
});
