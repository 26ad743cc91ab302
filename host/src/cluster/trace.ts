// Timestamps along a rule install, for measuring where its time goes (docs/cluster.md, "What
// limits connection setup"). Off unless SIPNIC_TRACE_DIR names a folder: then every cluster
// process (adapter, primary, monitors) appends one JSON line per event to
// <dir>/<role>-<pid>.ndjson, with `t` in ms of CLOCK_MONOTONIC (process.hrtime): one clock
// for every process of the machine (performance.timeOrigin is only as exact as Date.now(), so
// timeOrigin + now() differs between processes by up to a millisecond).
// `sipnic cluster demo --trace DIR` sets it for the whole cluster and puts analyzeTrace()'s
// stage breakdown into its result. Costs nothing when off (one boolean test per event).
import { appendFileSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import { join } from 'node:path';
import { nearestRank, summarize } from '../util/percentiles.js';

const dir = process.env.SIPNIC_TRACE_DIR || '';
export const tracing = dir !== '';

/** ms of the system's monotonic clock, sub-µs resolution, comparable between processes of one machine. */
export const traceNow = (): number => Number(process.hrtime.bigint()) / 1e6;

let role = 'process';
let lines: string[] = [];
let file = '';
let timer: NodeJS.Timeout | undefined;
let eld: IntervalHistogram | undefined;

function flush(): void {
  if (!lines.length || !file) return;
  const text = lines.join('\n') + '\n';
  lines = [];
  try {
    appendFileSync(file, text);
  } catch {
    // tracing must never take a process down
  }
}

/** Names this process's trace file and starts the event-loop delay histogram (no-op unless tracing). */
export function traceAs(name: string): void {
  if (!tracing || file) return;
  role = name;
  mkdirSync(dir, { recursive: true });
  file = join(dir, `${role}-${process.pid}.ndjson`);
  eld = monitorEventLoopDelay({ resolution: 1 });
  eld.enable();
  timer = setInterval(() => {
    if (eld && eld.count > 0) {
      lines.push(JSON.stringify({ t: traceNow(), ev: 'eld', p50: eld.percentile(50) / 1e6, p99: eld.percentile(99) / 1e6, max: eld.max / 1e6, n: eld.count }));
      eld.reset();
    }
    flush();
  }, 250);
  timer.unref();
  process.on('exit', flush);
}

/** Records one event (no-op unless tracing and traceAs was called). */
export function trace(ev: string, data: Record<string, unknown>, t = traceNow()): void {
  if (!file) return;
  lines.push(JSON.stringify({ t, ev, ...data }));
  if (lines.length >= 2000) flush();
}

// ───────────────────────────── analysis ─────────────────────────────

interface Event {
  t: number;
  ev: string;
  role: string;
  [k: string]: unknown;
}

export interface StageStats {
  p50: number;
  p99: number;
  mean: number;
  n: number;
}

export interface TraceSummary {
  /** Flows followed from the adapter's SYN copy to the monitor's acknowledgement. */
  flows: number;
  /** ms per stage, in path order; see STAGES. */
  stages: Record<string, StageStats>;
  /** The rule-install batches the primary ran: size, and the bus round trip. */
  batches: { n: number; rules: { p50: number; max: number; mean: number }; busMs: StageStats | null };
  /** SYN copy out of the adapter → the same connection's first frame that missed into queue 0 (the race the rule has to win). */
  raceMs: StageStats | null;
  /** Connections with a frame that went to queue 0 before their rule was in the table (the adapter ran the insert). */
  lostRace: number;
  /** SYN copy out of the adapter → the adapter ran the insert (the rule is active from then on). */
  ruleActiveMs: StageStats | null;
  /** Event-loop delay per process role (ms, worst 250 ms window). */
  eventLoop: Record<string, { p99: number; max: number }>;
  /** The adapter loop: iterations and ms of work per iteration while flows were installed. */
  adapterLoop: { iterations: number; busyMs: StageStats | null };
}

/** The stages of one rule install, in order (name: from → to). */
export const STAGES: Record<string, string> = {
  adapterModel: 'adapter: poll returned → SYN copy written to the monitor (the model ran the batch)',
  toMonitor: 'SYN copy written → monitor received it (socket, monitor wake-up)',
  monitor: 'monitor received → flow-add written',
  toPrimary: 'flow-add written → primary parsed it',
  queued: 'primary parsed → its batch started (waiting for the bus round trip in flight)',
  primaryCheck: 'batch started → registry checked, handed to the driver',
  busOut: 'handed to the driver → adapter parsed the bus request (driver, JSON, socket, adapter wake-up)',
  adapterBus: 'adapter parsed the bus request → answer written (register batch, and waiting for the loop)',
  busBack: 'adapter answer written → primary has the results',
  primaryReply: 'primary has the results → answer written',
  toMonitorBack: 'answer written → monitor has it',
  total: 'monitor received the SYN copy → monitor has the answer (= ruleInstallMs)',
};

function stats(values: number[]): StageStats | null {
  const s = summarize(values, 3);
  return s && { p50: s.p50, p99: s.p99, mean: s.mean, n: s.n };
}

export function readTrace(folder: string): Event[] {
  const out: Event[] = [];
  for (const name of readdirSync(folder)) {
    if (!name.endsWith('.ndjson')) continue;
    const r = name.replace(/-\d+\.ndjson$/, '');
    for (const line of readFileSync(join(folder, name), 'utf8').split('\n')) {
      if (!line) continue;
      try {
        out.push({ ...(JSON.parse(line) as Event), role: r });
      } catch {
        // a line cut by a kill
      }
    }
  }
  return out.sort((a, b) => a.t - b.t);
}

/** Follows each flow through the trace of a cluster run (from `since` to `until`, traceNow() ms). */
export function analyzeTrace(folder: string, since = 0, until = Infinity): TraceSummary {
  const events = readTrace(folder).filter((e) => e.t >= since && e.t <= until);
  const first = (ev: string, role?: (r: string) => boolean) => {
    const m = new Map<string, Event>();
    for (const e of events) if (e.ev === ev && (!role || role(e.role)) && typeof e.k === 'string' && !m.has(e.k)) m.set(e.k, e);
    return m;
  };
  const syn = first('syn');
  const q0 = first('q0');
  const seen = first('seen');
  const req = first('req');
  const prx = first('prx');
  const ptx = first('ptx');
  const ack = first('ack');
  const batches = events.filter((e) => e.ev === 'batch');
  const batchOf = new Map<string, Event>();
  for (const b of batches) for (const k of (b.keys as string[]) ?? []) if (!batchOf.has(k)) batchOf.set(k, b);
  const busReqs = events.filter((e) => e.ev === 'bus');
  const iters = events.filter((e) => e.ev === 'iter');
  const stage: Record<string, number[]> = Object.fromEntries(Object.keys(STAGES).map((k) => [k, []]));
  const race: number[] = [];
  const activeAt: number[] = [];
  let flows = 0;
  let lost = 0;
  const busFor = (b: Event) => busReqs.find((r) => r.t >= (b.t1 as number) && r.t <= (b.t as number));
  const iterFor = (t: number) => {
    // the iteration whose work (t0..t) holds t
    let lo = 0;
    let hi = iters.length - 1;
    let found: Event | undefined;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if ((iters[mid].t0 as number) <= t) {
        found = iters[mid];
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found && found.t >= t ? found : undefined;
  };
  for (const [k, s] of seen) {
    const a = ack.get(k);
    if (!a) continue;
    flows++;
    const y = syn.get(k);
    const it = y && iterFor(y.t);
    const rq = req.get(k);
    const px = prx.get(k);
    const b = batchOf.get(k);
    const bus = b && busFor(b);
    const pt = ptx.get(k);
    const push = (name: string, from?: number, to?: number) => {
      if (from !== undefined && to !== undefined) stage[name].push(to - from);
    };
    push('adapterModel', it?.t0 as number | undefined, y?.t);
    push('toMonitor', y?.t, s.t);
    push('monitor', s.t, rq?.t);
    push('toPrimary', rq?.t, px?.t);
    push('queued', px?.t, b?.t0 as number | undefined);
    push('primaryCheck', b?.t0 as number | undefined, b?.t1 as number | undefined);
    push('busOut', b?.t1 as number | undefined, bus?.t as number | undefined);
    push('adapterBus', bus?.t as number | undefined, bus?.tx as number | undefined);
    push('busBack', bus?.tx as number | undefined, b?.t);
    push('primaryReply', b?.t, pt?.t);
    push('toMonitorBack', pt?.t, a.t);
    push('total', s.t, a.t);
    const z = q0.get(k);
    if (y && z && z.t > y.t) race.push(z.t - y.t);
    const active = (bus?.tx as number | undefined) ?? a.t;
    if (y) activeAt.push(active - y.t);
    if (z && z.t < active) lost++;
  }
  const eventLoop: TraceSummary['eventLoop'] = {};
  for (const e of events) {
    if (e.ev !== 'eld') continue;
    const r = e.role.replace(/-\d+$/, '');
    const cur = eventLoop[r] ?? { p99: 0, max: 0 };
    eventLoop[r] = { p99: Math.max(cur.p99, Math.round((e.p99 as number) * 1000) / 1000), max: Math.max(cur.max, Math.round((e.max as number) * 1000) / 1000) };
  }
  const sizes = batches.map((b) => (b.keys as string[]).length);
  const firstSeen = Math.min(...[...seen.values()].map((e) => e.t));
  const lastAck = Math.max(...[...ack.values()].map((e) => e.t));
  const busy = iters.filter((e) => e.t >= firstSeen && e.t <= lastAck).map((e) => e.t - (e.t0 as number));
  return {
    flows,
    stages: Object.fromEntries(Object.entries(stage).map(([k, v]) => [k, stats(v)]).filter(([, v]) => v)) as Record<string, StageStats>,
    batches: {
      n: batches.length,
      rules: sizes.length ? { p50: nearestRank([...sizes].sort((a, b) => a - b), 0.5), max: Math.max(...sizes), mean: Math.round((sizes.reduce((a, b) => a + b, 0) / sizes.length) * 100) / 100 } : { p50: 0, max: 0, mean: 0 },
      busMs: stats(batches.map((b) => (b.t as number) - (b.t0 as number))),
    },
    raceMs: stats(race),
    lostRace: lost,
    ruleActiveMs: stats(activeAt),
    eventLoop,
    adapterLoop: { iterations: busy.length, busyMs: stats(busy) },
  };
}
