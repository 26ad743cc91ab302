// Replaying a capture through the simulated adapter (docs/semantics.md, "Replaying captures"):
// every frame of IN through a fresh in-process simulator loaded with RULES; out come
// queue-<n>.pcap per queue that received frames (arrival order), drop.pcap (dropped frames,
// input order) and summary.json. Output captures keep the input's timestamps.
import { mkdir, readFile, rm, writeFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { packFrames, type Sim, type SimOptions } from '../../../sim/addon.js';
import { SimBus } from '../bus/sim-bus.js';
import { Adapter } from '../driver/index.js';
import { readCapture, writePcap, type Frame } from '../codec/pcap.js';
import { DROP_REASONS, type DropReasonName } from '../driver/regs.generated.js';
import { parseRules } from '../codec/rules.js';

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
  files: string[];
}

const MAX_CYCLES_PER_FRAME = 200_000;

/** Replays a capture; throws CaptureError, RuleSyntaxError or a driver error before writing anything. */
export async function replayCapture(options: ReplayOptions): Promise<ReplaySummary> {
  const capture = readCapture(await readFile(options.input));
  const rules = parseRules(await readFile(options.rulesFile, 'utf8'));
  const width = options.width ?? 64;
  const batch = options.batch ?? 256;
  const frames = capture.frames;

  const sim = options.createSim({ width, ...(options.trace ? { trace: options.trace } : {}) });
  const queued = new Map<number, Frame[]>();
  const dropReason = new Uint8Array(frames.length); // 0: not dropped
  let cycles = 0;
  let summaryCounters;
  try {
    const adapter = await Adapter.open(new SimBus(sim));
    await adapter.applyRules(rules);
    const firstId = await adapter.bus.read(adapter.reg('core', 'FRAME_ID'));
    const seen = new Uint8Array(frames.length);
    for (let start = 0; start < frames.length; start += batch) {
      const chunk = frames.slice(start, start + batch);
      const { data, lengths } = packFrames(chunk.map((f) => f.data));
      sim.send(data, lengths);
      const budget = Math.max(1_000_000, MAX_CYCLES_PER_FRAME * chunk.length);
      cycles += sim.runUntilIdle(budget);
      if (sim.pending() > 0) throw new Error(`the simulated adapter did not finish ${sim.pending()} frames within ${budget} cycles`);
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
      options.onProgress?.(Math.min(frames.length, start + chunk.length), frames.length);
    }
    summaryCounters = await adapter.counters();
  } finally {
    sim.close();
  }

  // outputs: clear what an earlier replay into the same folder left
  await mkdir(options.outDir, { recursive: true });
  for (const name of await readdir(options.outDir)) {
    if (/^queue-\d+\.pcap$/.test(name) || name === 'drop.pcap' || name === 'summary.json') await rm(join(options.outDir, name));
  }
  const files: string[] = [];
  const queues: ReplaySummary['queues'] = {};
  for (const q of [...queued.keys()].sort((a, b) => a - b)) {
    const list = queued.get(q)!;
    const name = `queue-${q}.pcap`;
    await writeFile(join(options.outDir, name), writePcap(list));
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
  await writeFile(join(options.outDir, 'drop.pcap'), writePcap(dropped));
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
    files: [...files, 'summary.json'],
  };
  await writeFile(join(options.outDir, 'summary.json'), JSON.stringify(summary, null, 2) + '\n');
  return summary;
}
