// Replaying a capture through the simulated adapter (docs/semantics.md, "Replaying captures"):
// every frame of IN through a fresh in-process simulator loaded with RULES; out come
// queue-<n>.pcap per queue that received frames (arrival order), drop.pcap (dropped frames,
// input order) and summary.json. Output captures keep the input's timestamps.
import { mkdir, mkdtemp, readFile, rename, rm, writeFile, readdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { packFrames, type Sim, type SimOptions } from '../../../sim/addon.js';
import { SimBus } from '../bus/sim-bus.js';
import { Adapter } from '../driver/index.js';
import { readCapture, writePcap, type Capture, type Frame } from '../codec/pcap.js';
import { DROP_REASONS, type DropReasonName } from '../driver/regs.generated.js';
import { parseRules, type Rule } from '../codec/rules.js';
import type { LearningCounters } from '../driver/learning.js';
import { SimTimeline } from './timeline.js';

/** Rules that make the adapter learn or age entries: then time matters. */
const learns = (rules: readonly Rule[]): boolean =>
  rules.some((r) => r.kind === 'learning' || (r.kind === 'listen' && r.learn) || (r.kind === 'flow' && r.idleTimeoutMs !== undefined));

/** A record's capture time in µs (from the epoch; the differences are what count). */
const frameTimeUs = (f: Frame): number => f.tsSec * 1e6 + f.tsUsec;

export interface ReplayOptions {
  input: string;
  rulesFile: string;
  outDir: string;
  width?: 8 | 64;
  /** FST waveform of the whole run, written by the simulator. */
  trace?: string;
  /** Frames per send/runUntilIdle round. */
  batch?: number;
  createSim: (options: SimOptions) => Sim;
  onProgress?: (done: number, total: number) => void;
}

export interface ReplaySummary {
  input: string;
  format: 'pcap' | 'pcapng';
  rules: string;
  width: number;
  frames: number;
  bytes: number;
  /** Queues that received frames: frames and bytes, keyed by queue number. */
  queues: Record<string, { frames: number; bytes: number }>;
  /** Dropped frames per reason (every reason, zero included). */
  drops: Record<DropReasonName, number>;
  dropped: number;
  droppedBytes: number;
  /** How the adapter decided the frames that were not runt or oversize. */
  decisions: { flow: number; listen: number; default: number };
  cycles: number;
  /**
   * With rules that learn or age (a learning line, `learn`, `idle-timeout`): the frames went in
   * at their capture times (`captureUs` from the first frame; `jumps` over idle gaps) and the
   * learning engine's counters after the last frame. `embryonic`: entries still embryonic then.
   */
  learning?: LearningCounters & { timed: true; captureUs: number; jumps: number };
  /** Frames whose capture time a pcap record cannot hold, written at the nearest time it can. */
  timestampsClamped: number;
  files: string[];
}

const MAX_CYCLES_PER_FRAME = 200_000;

/**
 * Replays a capture; throws CaptureError, RuleSyntaxError, an EOUT error (the output folder) or
 * a driver error before touching an earlier replay's outputs: the new ones are written into a
 * staging folder and moved into place only once all of them, summary included, are complete.
 */
export async function replayCapture(options: ReplayOptions): Promise<ReplaySummary> {
  const capture = readCapture(await readFile(options.input));
  const rules = parseRules(await readFile(options.rulesFile, 'utf8'));
  // the output folder first: a folder that cannot be written fails now, not after the run
  const staging = await stagingFolder(options.outDir);
  try {
    return await replayInto(options, capture, rules, staging);
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

async function replayInto(options: ReplayOptions, capture: Capture, rules: Rule[], staging: string): Promise<ReplaySummary> {
  const width = options.width ?? 64;
  const batch = options.batch ?? 256;
  const frames = capture.frames;
  const sim = options.createSim({ width, ...(options.trace ? { trace: options.trace } : {}) });
  const queued = new Map<number, Frame[]>();
  const dropReason = new Uint8Array(frames.length); // 0: not dropped
  let cycles = 0;
  let summaryCounters;
  let learning: LearningCounters | undefined;
  let timed: { captureUs: number; jumps: number } | undefined;
  try {
    const adapter = await Adapter.open(new SimBus(sim));
    await adapter.applyRules(rules);
    const firstId = await adapter.bus.read(adapter.reg('core', 'FRAME_ID'));
    const seen = new Uint8Array(frames.length);
    const take = () => {
      const out = sim.collect();
      let offset = 0;
      for (let k = 0; k < out.ids.length; k++) {
        // frame ids count from FRAME_ID in send order: id → input index
        const index = (out.ids[k] - firstId) >>> 0;
        const length = out.lengths[k];
        if (index >= frames.length || seen[index]) throw new Error(`the simulated adapter reported frame id ${out.ids[k]} twice or out of range`);
        seen[index] = 1;
        const q = out.queues[k];
        if (q >= 0) {
          const list = queued.get(q) ?? [];
          list.push({ data: out.data.slice(offset, offset + length), tsSec: frames[index].tsSec, tsUsec: frames[index].tsUsec });
          queued.set(q, list);
        } else {
          dropReason[index] = out.reasons[k] || 0xff;
        }
        offset += length;
      }
    };
    if (learns(rules)) {
      // learning and aging follow the capture's clock: each frame at its time, idle gaps jumped over
      const timeline = SimTimeline.forAdapter(sim, adapter);
      const startCycles = sim.cycles;
      const t0 = frames.length ? frameTimeUs(frames[0]) : 0;
      let latest = 0;
      for (const [i, f] of frames.entries()) {
        // a capture's times may step back (merged captures): a frame never goes before the one ahead of it
        latest = Math.max(latest, frameTimeUs(f) - t0);
        timeline.send(f.data, latest);
        if (i % batch === batch - 1) {
          take();
          options.onProgress?.(i + 1, frames.length);
        }
      }
      sim.runUntilIdle(Math.max(1_000_000, MAX_CYCLES_PER_FRAME * Math.min(frames.length, batch)));
      if (sim.pending() > 0) throw new Error(`the simulated adapter did not finish ${sim.pending()} frames`);
      take();
      options.onProgress?.(frames.length, frames.length);
      cycles = sim.cycles - startCycles;
      timed = { captureUs: latest, jumps: timeline.jumps };
    } else {
      for (let start = 0; start < frames.length; start += batch) {
        const chunk = frames.slice(start, start + batch);
        const { data, lengths } = packFrames(chunk.map((f) => f.data));
        sim.send(data, lengths);
        const budget = Math.max(1_000_000, MAX_CYCLES_PER_FRAME * chunk.length);
        cycles += sim.runUntilIdle(budget);
        if (sim.pending() > 0) throw new Error(`the simulated adapter did not finish ${sim.pending()} frames within ${budget} cycles`);
        take();
        options.onProgress?.(Math.min(frames.length, start + chunk.length), frames.length);
      }
    }
    learning = await adapter.learningCounters();
    summaryCounters = await adapter.counters();
  } finally {
    sim.close();
  }

  const files: string[] = [];
  const queues: ReplaySummary['queues'] = {};
  for (const q of [...queued.keys()].sort((a, b) => a - b)) {
    const list = queued.get(q)!;
    const name = `queue-${q}.pcap`;
    await writeFile(join(staging, name), writePcap(list.map(recordTime)));
    files.push(name);
    queues[String(q)] = { frames: list.length, bytes: list.reduce((a, f) => a + f.data.length, 0) };
  }
  const drops = Object.fromEntries(Object.values(DROP_REASONS).map((r) => [r, 0])) as Record<DropReasonName, number>;
  const dropped: Frame[] = [];
  dropReason.forEach((reason, index) => {
    if (!reason) return;
    dropped.push(frames[index]);
    const name = DROP_REASONS[reason as keyof typeof DROP_REASONS] as DropReasonName | undefined;
    if (name) drops[name]++;
    else (drops as Record<string, number>)[`reason_${reason}`] = ((drops as Record<string, number>)[`reason_${reason}`] ?? 0) + 1;
  });
  await writeFile(join(staging, 'drop.pcap'), writePcap(dropped.map(recordTime)));
  files.push('drop.pcap');

  const summary: ReplaySummary = {
    input: options.input,
    format: capture.format,
    rules: options.rulesFile,
    width,
    frames: frames.length,
    bytes: frames.reduce((a, f) => a + f.data.length, 0),
    queues,
    drops,
    dropped: dropped.length,
    droppedBytes: dropped.reduce((a, f) => a + f.data.length, 0),
    decisions: {
      flow: Number(summaryCounters.flowHits),
      listen: Number(summaryCounters.listenHits),
      default: Number(summaryCounters.defaultHits),
    },
    cycles,
    ...(learning && timed ? { learning: { ...learning, timed: true as const, ...timed } } : {}),
    timestampsClamped: frames.filter((f) => recordTime(f) !== f).length,
    files: [...files, 'summary.json'],
  };
  await writeFile(join(staging, 'summary.json'), JSON.stringify(summary, null, 2) + '\n');
  // the new outputs are complete: only now do an earlier replay's outputs make way for them
  for (const name of await readdir(options.outDir)) {
    if (/^queue-\d+\.pcap$/.test(name) || name === 'drop.pcap' || name === 'summary.json') await rm(join(options.outDir, name));
  }
  for (const name of summary.files) await rename(join(staging, name), join(options.outDir, name));
  return summary;
}

/**
 * Creates the output folder (and its parents) and a staging folder inside it for this run.
 * Not mkdir's `recursive`: under /proc it never settles (Node 20 loops on ENOENT there).
 */
async function stagingFolder(outDir: string): Promise<string> {
  const missing: string[] = [];
  for (let dir = outDir; ; dir = dirname(dir)) {
    try {
      await mkdir(dir);
      break;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') break;
      if (code !== 'ENOENT' || dirname(dir) === dir) throw outError(outDir, err);
      missing.unshift(dir);
    }
  }
  try {
    for (const dir of missing) await mkdir(dir).catch((err) => { if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err; });
    return await mkdtemp(join(outDir, '.replay-'));
  } catch (err) {
    throw outError(outDir, err);
  }
}

function outError(outDir: string, err: unknown): Error {
  const e = err as NodeJS.ErrnoException;
  return Object.assign(new Error(`cannot write the output folder ${outDir}: ${e.code ?? e.message}`, { cause: err }), { code: 'EOUT', syscall: e.syscall });
}

/**
 * A frame's time as a classic pcap record holds it (seconds 0..2^32-1): a capture's time before
 * 1970 (a negative pcapng offset) or after 2106 is clamped, and counted in the summary.
 */
function recordTime(f: Frame): Frame {
  if (f.tsSec >= 0 && f.tsSec <= 0xffffffff) return f;
  return f.tsSec < 0 ? { ...f, tsSec: 0, tsUsec: 0 } : { ...f, tsSec: 0xffffffff, tsUsec: 999_999 };
}
