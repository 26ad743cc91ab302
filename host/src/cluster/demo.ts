// `sipnic cluster demo`: a cluster up, an HTTP server in every processor namespace (its own
// port 8000+p, and the shared port 8080 all processors listen on), M real connections from the
// client namespace (Node's http, one connection per request, every body checked), the
// adapter's frame counts, the monitors' rule-install latencies, and the cluster down again
// with what was left over measured.
import { spawn } from 'node:child_process';
import { createServer, request, type IncomingMessage } from 'node:http';
import { isIP } from 'node:net';
import { loadavg } from 'node:os';
import type { AdapterStats } from './adapter.js';
import { queryPrimary } from './control-protocol.js';
import { CLUSTER_LEARNING } from './primary.js';
import { parseRuleWords } from '../codec/rules.js';
import { analyzeTrace, traceNow, type TraceSummary } from './trace.js';
import { clusterDown, isAlive, linkTxDropped, makePlan, readText, SIPNIC_BIN, startBackground, waitFor, ClusterError, type ClusterFamily, type ClusterPlan, type ClusterState } from './netns.js';
import { FLOOD_SOURCES, type SynFloodResult } from './syn-flood.js';
import { startCluster } from './roles.js';
import { boardQueueFrames, listensReadyAtPrimary, primarySnapshot, serialBetween, whenLineQuiet, type PrimarySnapshot } from './board-demo.js';
import { adapterDrained, readAdapterStats, withAdapterAt } from './status.js';
import { nearestRank, summarize } from '../util/percentiles.js';

export const SHARED_PORT = 8080;
export const ownPort = (processor: number): number => 8000 + processor;

/** The body the servers answer for connection `i` with `bytes` bytes: the client recomputes it. */
export function demoBody(i: number, bytes: number): Buffer {
  const b = Buffer.allocUnsafe(bytes);
  for (let k = 0; k < bytes; k++) b[k] = (k * 131 + i * 7) % 251;
  return b;
}

// ───────────────────────────── server (inside a processor namespace) ─────────────────────────────

/** Serves /c/<i>/<bytes> on the given ports; answers carry x-sipnic-processor. Resolves when listening. */
export async function serveDemo(o: { processor: number; hosts: string[]; ports: number[] }): Promise<() => Promise<void>> {
  const servers = o.hosts.flatMap((host) => o.ports.map((port) => {
    const s = createServer((req, res) => {
      // /c/<i>/<bytes>[/<ms>]: the body for connection i, spread over ms in ten pieces when given
      const m = /^\/c\/(\d+)\/(\d+)(?:\/(\d+))?$/.exec(req.url ?? '');
      if (!m) {
        res.writeHead(404).end();
        return;
      }
      const body = demoBody(Number(m[1]), Number(m[2]));
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': body.length, 'x-sipnic-processor': String(o.processor), 'x-sipnic-port': String(port), connection: 'close' });
      const spread = Number(m[3] ?? 0);
      if (!spread) {
        res.end(body);
        return;
      }
      let piece = 0;
      const step = Math.ceil(body.length / 10);
      const timer = setInterval(() => {
        res.write(body.subarray(piece * step, (piece + 1) * step));
        if (++piece === 10) {
          clearInterval(timer);
          res.end();
        }
      }, spread / 10);
      res.on('close', () => clearInterval(timer));
    });
    s.keepAliveTimeout = 1;
    return { s, host, port };
  }));
  await Promise.all(servers.map(({ s, host, port }) => new Promise<void>((resolve, reject) => s.once('error', reject).listen(port, host, () => resolve()))));
  return () => Promise.all(servers.map(({ s }) => new Promise<void>((r) => s.close(() => r())))).then(() => undefined);
}

// ───────────────────────────── client (inside the client namespace) ─────────────────────────────

export interface ConnectionResult {
  i: number;
  port: number;
  /** The server address's family (`--family both` alternates them). */
  family?: 4 | 6;
  ok: boolean;
  processor?: number;
  ms: number;
  /** When the connection started, ms after the client's first one (the rate leaves the client's start-up out). */
  at?: number;
  error?: string;
}

/**
 * Makes `connections` requests, each on a new connection, `concurrency` at a time. Connection i
 * goes to ports[i mod n] at hosts[floor(i / n) mod h], so every port sees every host.
 */
export async function driveClient(o: { hosts: string[]; ports: number[]; connections: number; bytes: number; concurrency: number; spreadMs?: number; timeoutMs?: number; onDone?: (n: number) => void }): Promise<ConnectionResult[]> {
  const results: ConnectionResult[] = [];
  let next = 0;
  const runStart = performance.now();
  const one = (i: number): Promise<ConnectionResult> => {
    const port = o.ports[i % o.ports.length];
    const host = o.hosts[Math.floor(i / o.ports.length) % o.hosts.length];
    const family = isIP(host) === 6 ? 6 : 4;
    const t0 = performance.now();
    return new Promise((resolve) => {
      const done = (r: Omit<ConnectionResult, 'i' | 'port' | 'ms'>) => resolve({ i, port, family, ms: Math.round((performance.now() - t0) * 10) / 10, at: Math.round((t0 - runStart) * 10) / 10, ...r });
      const req = request({ host, port, path: `/c/${i}/${o.bytes}${o.spreadMs ? `/${o.spreadMs}` : ''}`, agent: false, headers: { connection: 'close' }, timeout: o.timeoutMs ?? 10_000 }, (res: IncomingMessage) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', (err) => done({ ok: false, error: err.message }));
        res.on('end', () => {
          const body = Buffer.concat(chunks);
          const processor = Number(res.headers['x-sipnic-processor']);
          if (res.statusCode !== 200) done({ ok: false, processor, error: `HTTP ${res.statusCode}` });
          else if (!body.equals(demoBody(i, o.bytes))) done({ ok: false, processor, error: `body of ${body.length} bytes differs from the expected ${o.bytes}` });
          else done({ ok: true, processor });
        });
      });
      req.on('timeout', () => req.destroy(new Error(`no answer within ${o.timeoutMs ?? 10_000} ms`)));
      req.on('error', (err) => done({ ok: false, error: err.message }));
      req.end();
    });
  };
  const worker = async () => {
    while (next < o.connections) {
      const i = next++;
      results.push(await one(i));
      o.onDone?.(results.length);
    }
  };
  await Promise.all(Array.from({ length: Math.min(o.concurrency, o.connections) }, worker));
  return results.sort((a, b) => a.i - b.i);
}

// ───────────────────────────── the demo ─────────────────────────────

export interface DemoOptions {
  processors: number;
  connections: number;
  bytes: number;
  concurrency: number;
  name?: string;
  stateDir?: string;
  withRoles: boolean;
  env?: NodeJS.ProcessEnv;
  progress(line: string): void;
  signal?: AbortSignal;
  /** Folder for the cluster processes' timestamps (SIPNIC_TRACE_DIR); the result then has `timing`. */
  traceDir?: string;
  /** The board simulator in front of namespaces as hosts (board-lan.ts) at this line rate, instead of the adapter process. */
  boardSim?: { baud: number };
  /** The connections' address families (default 4); 6 and both bring IPv6 up in the namespaces. */
  family?: ClusterFamily;
  /** `--pinning` of the primary (absent: its default, hardware) */
  pinning?: 'hardware' | 'host';
  /** `--learning` of the primary */
  learning?: string;
  /** Spoofed SYNs to the shared port from the client's wire while the connections run (syn-flood.ts). */
  synFlood?: { count: number; ratePerSecond: number };
}

/** Frames from the wire into one processor: the fast path, and (the adapter's counts) the rest. */
export interface ProcessorFrames {
  processor: number;
  fastPath: number;
  viaPrimary?: number;
  transmitted?: number;
  writeErrors?: number;
}

export interface Percentiles {
  p50: number | null;
  p99: number | null;
  samples: number;
}

export interface DemoResult {
  processors: number;
  connections: { attempted: number; ok: number; failed: number; errors: string[] };
  byProcessor: Record<string, { ownPort: number; sharedPort: number }>;
  /** Connections by the server address's family ("4", "6"). */
  byFamily: Record<string, { ok: number; failed: number }>;
  frames: {
    fastPath: number;
    viaPrimary: number;
    fastPathFraction: number | null;
    /**
     * The frames after each connection request (the request itself takes the fast path by its
     * listen rule whoever pins the connection, spoofed SYNs of a flood included): how many took
     * the fast path, how many came through the primary, and the fraction (one-machine cluster only).
     */
    afterRequest?: { fastPath: number; viaPrimary: number; fraction: number | null };
    perProcessor: ProcessorFrames[];
    /** Frames the client's wire TAP dropped because the adapter's queue was full, since up (one-machine cluster; null when unreadable). */
    wireDrops?: number | null;
    source?: string;
  };
  /** `unanswered`: flow-adds the monitors gave up waiting for (their request timeout): not among the samples, so the percentiles are of the answered ones only. */
  ruleInstallMs: Percentiles & { unanswered: number; source: string; perProcessor: { processor: number; count: number; p50: number | null; p99: number | null; max: number | null; unanswered: number }[] };
  connectionMs: Percentiles;
  /** The adapter loop during the connections: poll wake-ups, ms spent working per wake-up, largest batch (none with boardSim). */
  adapterLoop?: { iterations: number; busyMsPerIteration: number | null; maxBatch: number };
  /** Connections that succeeded per second of the client's run. */
  connectionsPerSecond: number;
  /** With boardSim: the serial line during the client's run (the primary's SerialBus): commands, bytes both ways, the busier direction's share of the time. */
  serial?: { baud: number; commands: number; bytes: number; busyFraction: number | null };
  /**
   * With boardSim: when the primary's last flow change of the run went over the line (ms after
   * the client's end; the line then stayed quiet for 1 s; null: still busy after 120 s), the flow
   * changes (adds, and deletes of connections already gone) per second the line carried from the
   * client's start until then, and the serial line over that time.
   */
  rulesCaughtUp?: { afterClientMs: number | null; flowChangesPerSecond: number | null; serial: { baud: number; commands: number; bytes: number; busyFraction: number | null } | null };
  /**
   * Who pinned the incoming connections: the primary's mode; the monitors' host pins of
   * incoming connections (a connection request or a /proc poll: each a host round trip) per
   * connection made; the connection requests they left to the adapter; the connections the
   * adapter did not learn that the primary pinned from their next frame (hardware pinning's
   * fallback); and, with hardware pinning, the adapter's learning counters at the end, and
   * (with the adapter's event queue) the learned entries the primary follows and its event counts.
   */
  pinning?: {
    mode: string | null;
    hostPinsPerConnection: number | null;
    pinnedByRequest: number;
    pinnedByPoll: number;
    leftToAdapter: number;
    fallbackPins: number;
    learning: unknown;
    /** learned entries the primary holds at the end, per processor (null without the event queue) */
    learned: { total: number; byProcessor: Record<string, number> } | null;
    /** event records the primary read, and its walks after records were lost (null without the event queue) */
    events: { read: number; resyncs: number; errors: number } | null;
  };
  /**
   * With synFlood: what the flood sent (sources in 198.18.0.0/15), at what rate, and whether a
   * bound cut it short; with hardware pinning, the adapter's embryonic entries as the primary
   * read them every 200 ms while the flood ran (the most seen, and the quota), at its end, and
   * once the learning line's syn-timeout and 1 s more had passed after it.
   */
  synFlood?: SynFloodResult & { embryonic?: { maxSeen: number; quota: number; samples: number; atEnd: number | null; afterSynTimeout: number | null; synTimeoutMs: number } };
  elapsedMs: number;
  leftover: { namespaces: number; links: number; names: string[] };
  /** With traceDir: where the rule installs' time went (trace.ts analyzeTrace), and the machine's load average. */
  timing?: TraceSummary & { loadAverage: number[] };
}

function percentiles(values: number[]): Percentiles {
  const s = summarize(values);
  return { p50: s?.p50 ?? null, p99: s?.p99 ?? null, samples: s?.n ?? 0 };
}

/** The monitors' connection-request → exact-rule-active latencies, as the primary's `stats` reports them. */
export function ruleInstallFromPrimary(stats: Record<string, unknown> | Error): DemoResult['ruleInstallMs'] {
  if (stats instanceof Error) return { p50: null, p99: null, samples: 0, unanswered: 0, source: `missing: the primary did not answer stats (${stats.message})`, perProcessor: [] };
  type Reported = { ruleInstallMs?: { count: number; p50: number | null; p99: number | null; max: number | null }; flowAddsUnanswered?: number };
  const per = ((stats.processors ?? []) as { processor: number; monitor?: Reported | null }[])
    .map((p) => ({ processor: p.processor, ...(p.monitor?.ruleInstallMs ?? { count: 0, p50: null, p99: null, max: null }), unanswered: p.monitor?.flowAddsUnanswered ?? 0 }));
  const unanswered = per.reduce((n, p) => n + p.unanswered, 0);
  const withData = per.filter((p) => p.count > 0 && p.p50 !== null);
  if (!withData.length) return { p50: null, p99: null, samples: 0, unanswered, source: 'missing: no monitor reported ruleInstallMs', perProcessor: per };
  const p50s = withData.map((p) => p.p50 as number).sort((a, b) => a - b);
  return {
    p50: nearestRank(p50s, 0.5),
    p99: Math.max(...withData.map((p) => p.p99 as number)),
    samples: withData.reduce((n, p) => n + p.count, 0),
    unanswered,
    source:
      "the monitors' reports in the primary's stats: p50 = median of the monitors' p50s, p99 = the largest monitor p99" +
      (unanswered ? `; ${unanswered} flow-adds unanswered within the monitors' request timeout are not among the samples (their latency is longer)` : ''),
    perProcessor: per,
  };
}

/**
 * The adapter's EMBRYONIC, read through the primary every 200 ms until the flood ends (its last
 * SYN steered: `drained` after the sender is done, as a loaded adapter lags its wire), then at
 * its end and once syn-timeout + 1 s have passed after it.
 */
async function watchEmbryonic(control: string, flood: Promise<unknown>, drained: () => Promise<void>, learningWords?: string): Promise<NonNullable<NonNullable<DemoResult['synFlood']>['embryonic']>> {
  const learning = learningWords ? parseRuleWords(learningWords.split(/\s+/), 'learning') : CLUSTER_LEARNING;
  const read = async (): Promise<number | null> => {
    try {
      const s = await queryPrimary(control, { op: 'stats' }, 3000);
      return (s.learning as { embryonic?: number } | null)?.embryonic ?? null;
    } catch {
      return null;
    }
  };
  let done = false;
  void flood
    .then(drained)
    .finally(() => (done = true))
    .catch(() => undefined);
  let maxSeen = 0;
  let samples = 0;
  while (!done) {
    const e = await read();
    if (e !== null) {
      maxSeen = Math.max(maxSeen, e);
      samples++;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  const atEnd = await read();
  await new Promise((r) => setTimeout(r, learning.synTimeoutMs + 1000));
  return { maxSeen, quota: learning.maxEmbryonic, samples, atEnd, afterSynTimeout: await read(), synTimeoutMs: learning.synTimeoutMs };
}

/** The primary's pinning mode and the monitors' pin counts (undefined when the primary does not answer). */
function pinningFromPrimary(stats: Record<string, unknown> | Error, connections: number): DemoResult['pinning'] {
  if (stats instanceof Error) return undefined;
  type Reported = { pinnedByRequest?: number; pinnedByPoll?: number; leftToAdapter?: number };
  const monitors = ((stats.processors ?? []) as { monitor?: Reported | null }[]).map((p) => p.monitor ?? {});
  const sum = (k: keyof Reported) => monitors.reduce((n, m) => n + (m[k] ?? 0), 0);
  const pinnedByRequest = sum('pinnedByRequest');
  const pinnedByPoll = sum('pinnedByPoll');
  return {
    mode: typeof stats.pinning === 'string' ? stats.pinning : null,
    hostPinsPerConnection: connections ? Math.round(((pinnedByRequest + pinnedByPoll) / connections) * 1000) / 1000 : null,
    pinnedByRequest,
    pinnedByPoll,
    leftToAdapter: sum('leftToAdapter'),
    // hardware pinning: connections the adapter did not learn, pinned by the primary from their next frame
    fallbackPins: (stats.counters as { fallbackPins?: number } | undefined)?.fallbackPins ?? 0,
    learning: stats.learning ?? null,
    learned:
      typeof stats.learned === 'number'
        ? { total: stats.learned, byProcessor: Object.fromEntries(((stats.processors ?? []) as { processor: number; learned?: number | null }[]).map((p) => [String(p.processor), p.learned ?? 0])) }
        : null,
    events: (stats.events as { read: number; resyncs: number; errors: number } | null | undefined) ?? null,
  };
}

export async function runDemo(o: DemoOptions): Promise<DemoResult> {
  if (!o.withRoles) throw new ClusterError('EINVAL', 'the demo needs the primary and the monitors (`sipnic primary`, `sipnic monitor`) to install the rules; they are not in this build');
  const t0 = performance.now();
  const plan = makePlan({ processors: o.processors, name: o.name, stateDir: o.stateDir, env: o.env, boardSim: o.boardSim, family: o.family, pinning: o.pinning, learning: o.learning });
  const family = o.family ?? '4';
  // the servers listen on every cluster address; the client connects to those of --family
  const serverHosts = [plan.clusterIp, ...(plan.ipv6 ? [plan.ipv6.clusterIp] : [])].join(',');
  const clientHosts = family === '4' ? plan.clusterIp : family === '6' ? plan.ipv6!.clusterIp : serverHosts;
  const control = `unix:${plan.paths.control}`;
  // the cluster's processes inherit it (startBackground passes the environment on)
  if (o.traceDir) process.env.SIPNIC_TRACE_DIR = o.traceDir;
  let state: ClusterState | undefined;
  let result: Omit<DemoResult, 'leftover' | 'elapsedMs'> | undefined;
  try {
    state = await startCluster(plan, { progress: o.progress, signal: o.signal, roles: true });
    // servers: own port and the shared port in every processor
    const servers = plan.namespaces.processors.map((ns, i) =>
      startBackground(state!, `http-${i + 1}`, ['cluster', 'demo-server', '--processor', String(i + 1), '--host', serverHosts, '--ports', `${ownPort(i + 1)},${SHARED_PORT}`], ns),
    );
    o.progress(`HTTP servers: port ${ownPort(1)}…${ownPort(plan.processors)} (one per processor) and ${SHARED_PORT} (all) at ${serverHosts}`);
    await waitFor('the HTTP servers', () => servers.every((s) => /listening/.test(readText(s.log))), { timeoutMs: 30_000, processes: servers, signal: o.signal });
    const ports = [SHARED_PORT, ...plan.namespaces.processors.map((_, i) => ownPort(i + 1))];
    // the monitors see the listens and have them installed; wait until every port has its rule
    const listens = plan.boardSim ? () => listensReadyAtPrimary(control, ports) : () => listensReady(plan.paths.bus, plan.processors);
    await waitFor('listen rules for every server', listens, { timeoutMs: 30_000, signal: o.signal });
    const before = plan.boardSim ? await primarySnapshot(control) : await readAdapterStats(plan.paths.framePort, 'demo');
    o.progress(`${o.connections} connections from ${plan.namespaces.client} (${o.concurrency} at a time, ${o.bytes}-byte bodies)`);
    const clientStart = traceNow();
    const runStart = performance.now();
    const flood = o.synFlood && startFlood(plan, o.synFlood, o.signal, o.progress);
    flood?.catch(() => undefined); // awaited below; a failing client must not leave it unhandled
    const embryonic = flood && o.withRoles && o.pinning === 'hardware' && !plan.boardSim ? watchEmbryonic(control, flood, () => adapterDrained(plan.paths.framePort, { timeoutMs: 60_000, signal: o.signal }), o.learning) : undefined;
    const client = await runInNamespace(plan.namespaces.client, ['cluster', 'demo-client', '--host', clientHosts, '--ports', ports.join(','), '--connections', String(o.connections), '--bytes', String(o.bytes), '--concurrency', String(o.concurrency)], o.signal, o.progress);
    const runMs = performance.now() - runStart;
    const synFlood = flood ? { ...(await flood), ...(embryonic ? { embryonic: await embryonic } : {}) } : undefined;
    const results = JSON.parse(client) as ConnectionResult[];
    const clientEnd = traceNow();
    // a loaded adapter lags its wire: count the frames still in the TAP's queue too
    if (!plan.boardSim) await adapterDrained(plan.paths.framePort, { timeoutMs: 60_000, signal: o.signal });
    const after = plan.boardSim ? await primarySnapshot(control) : await readAdapterStats(plan.paths.framePort, 'demo');
    const wireDrops = plan.boardSim ? null : await linkTxDropped(plan.namespaces.client, plan.links.wire);
    const byProcessor: DemoResult['byProcessor'] = {};
    for (let p = 1; p <= plan.processors; p++) byProcessor[String(p)] = { ownPort: 0, sharedPort: 0 };
    for (const r of results) {
      if (!r.ok || !r.processor || !byProcessor[String(r.processor)]) continue;
      byProcessor[String(r.processor)][r.port === SHARED_PORT ? 'sharedPort' : 'ownPort']++;
    }
    const failed = results.filter((r) => !r.ok);
    const byFamily: DemoResult['byFamily'] = {};
    for (const r of results) {
      const f = (byFamily[String(r.family ?? 4)] ??= { ok: 0, failed: 0 });
      f[r.ok ? 'ok' : 'failed']++;
    }
    let rulesCaughtUp: DemoResult['rulesCaughtUp'];
    if (plan.boardSim) {
      // on a slow line the exact rules come in long after the connections: wait for them (the rule-install times then cover every connection)
      const b = before as PrimarySnapshot;
      const caught = await whenLineQuiet(control, { quietMs: 1000, timeoutMs: 120_000, signal: o.signal });
      rulesCaughtUp = {
        afterClientMs: caught ? Math.round(caught.at - (after as PrimarySnapshot).at) : null,
        flowChangesPerSecond: caught ? Math.round(((caught.flowChanges - b.flowChanges) / ((caught.at - b.at) / 1000)) * 10) / 10 : null,
        serial: caught ? serialBetween(b, caught) : null,
      };
    }
    // the monitors report their latencies with each heartbeat: give them one
    await new Promise((r) => setTimeout(r, 1500));
    // one stats answer for both: with hardware pinning it reads the adapter's counters
    const stats = await queryPrimary(control, { op: 'stats' }, 3000).catch((err: Error) => err);
    const ruleInstallMs = ruleInstallFromPrimary(stats);
    const pinning = pinningFromPrimary(stats, results.length);
    const timing = o.traceDir ? { ...analyzeTrace(o.traceDir, clientStart, clientEnd + 200), loadAverage: loadavg().map((v) => Math.round(v * 100) / 100) } : undefined;
    const frames = plan.boardSim ? await boardFrames(state, before as PrimarySnapshot, after as PrimarySnapshot) : { ...adapterFrames(before as AdapterStats, after as AdapterStats), wireDrops };
    result = {
      processors: plan.processors,
      connections: { attempted: results.length, ok: results.length - failed.length, failed: failed.length, errors: [...new Set(failed.map((r) => `port ${r.port}: ${r.error}`))].slice(0, 10) },
      byProcessor,
      byFamily,
      frames,
      ruleInstallMs,
      ...(pinning ? { pinning } : {}),
      ...(plan.boardSim ? { serial: serialBetween(before as PrimarySnapshot, after as PrimarySnapshot), rulesCaughtUp } : { adapterLoop: adapterLoop(before as AdapterStats, after as AdapterStats) }),
      connectionMs: percentiles(results.filter((r) => r.ok).map((r) => r.ms)),
      connectionsPerSecond: connectionRate(results, runMs),
      ...(synFlood ? { synFlood } : {}),
      ...(timing ? { timing } : {}),
    };
  } finally {
    o.progress('down');
    const down = await clusterDown(plan.stateDir, { name: plan.name, progress: o.progress });
    if (result) {
      return { ...result, elapsedMs: Math.round(performance.now() - t0), leftover: { namespaces: down.leftover.namespaces.length, links: down.leftover.links.length, names: [...down.leftover.namespaces, ...down.leftover.links] } };
    }
  }
  throw new ClusterError('ESTEP', 'the demo did not finish');
}

/** Connections that succeeded per second, from the first one's start to the last one's end (the client's own start-up left out when it says when each started). */
export function connectionRate(results: ConnectionResult[], fallbackMs: number): number {
  const ok = results.filter((r) => r.ok).length;
  const timed = results.filter((r) => r.at !== undefined);
  const spanMs = timed.length === results.length && timed.length ? Math.max(...timed.map((r) => r.at! + r.ms)) - Math.min(...timed.map((r) => r.at!)) : fallbackMs;
  return spanMs > 0 ? Math.round((ok / (spanMs / 1000)) * 10) / 10 : 0;
}

const fraction = (fast: number, via: number): number | null => (fast + via ? Math.round((fast / (fast + via)) * 10000) / 10000 : null);

/** The adapter's counts of frames into the processors between two of its stats. */
function adapterFrames(before: AdapterStats, after: AdapterStats): DemoResult['frames'] {
  const fastPath = after.fastPath - before.fastPath;
  const viaPrimary = after.viaPrimary - before.viaPrimary;
  const requests = after.processors.reduce((n, p, i) => n + (p.fastPathRequests ?? 0) - (before.processors[i].fastPathRequests ?? 0), 0);
  return {
    fastPath,
    viaPrimary,
    fastPathFraction: fraction(fastPath, viaPrimary),
    afterRequest: { fastPath: fastPath - requests, viaPrimary, fraction: fraction(fastPath - requests, viaPrimary) },
    perProcessor: after.processors.map((p, i) => ({
      processor: p.processor,
      fastPath: p.fastPath - before.processors[i].fastPath,
      viaPrimary: p.viaPrimary - before.processors[i].viaPrimary,
      transmitted: p.transmitted - before.processors[i].transmitted,
      writeErrors: p.writeErrors - before.processors[i].writeErrors,
    })),
  };
}

function adapterLoop(before: AdapterStats, after: AdapterStats): NonNullable<DemoResult['adapterLoop']> {
  return {
    iterations: after.loop.iterations - before.loop.iterations,
    busyMsPerIteration: after.loop.iterations > before.loop.iterations ? Math.round(((after.loop.busyMs - before.loop.busyMs) / (after.loop.iterations - before.loop.iterations)) * 1000) / 1000 : null,
    maxBatch: after.loop.maxBatch,
  };
}

/**
 * The board simulator's frames into the processors: the fast path is each processor's queue
 * counter (read once the primary is stopped; the simulator started at zero and only the demo's
 * connections reach queues 1..N), via primary the frames the primary handed over meanwhile.
 */
async function boardFrames(state: ClusterState, before: PrimarySnapshot, after: PrimarySnapshot): Promise<DemoResult['frames']> {
  const queues = await boardQueueFrames(state);
  const perProcessor = state.plan.namespaces.processors.map((_, i) => ({ processor: i + 1, fastPath: queues[i + 1] ?? 0 }));
  const fastPath = perProcessor.reduce((n, p) => n + p.fastPath, 0);
  const viaPrimary = after.viaPrimary - before.viaPrimary;
  return {
    fastPath,
    viaPrimary,
    fastPathFraction: fraction(fastPath, viaPrimary),
    perProcessor,
    source: "fast path: the board's queue 1..N frame counters (read over the PTY after the primary stopped); via primary: the primary's slow-path counters during the connections",
  };
}

/** Every processor's own port and the shared port have a listen entry. */
function listensReady(busPath: string, processors: number): Promise<boolean> {
  return withAdapterAt(busPath, async (adapter) => {
    const ports = new Set((await adapter.listens.list()).map((e) => e.rule.dstPort));
    for (let p = 1; p <= processors; p++) if (!ports.has(ownPort(p))) return false;
    return ports.has(SHARED_PORT);
  }).catch(() => false);
}

/**
 * The flood from the client's namespace (`cluster demo-flood`), started with the connections; it
 * ends by itself after count / rate seconds, and at the latest 30 s after that.
 */
function startFlood(plan: ClusterPlan, f: NonNullable<DemoOptions['synFlood']>, signal?: AbortSignal, progress?: (line: string) => void): Promise<SynFloodResult> {
  const maxMs = Math.ceil((f.count / f.ratePerSecond) * 1000) + 30_000;
  progress?.(`SYN flood: ${f.count} spoofed SYNs from ${FLOOD_SOURCES} to port ${SHARED_PORT} at ${f.ratePerSecond}/s`);
  const args = ['cluster', 'demo-flood', '--interface', plan.links.wire, '--mac', plan.clusterMac, '--host', plan.clusterIp, '--port', String(SHARED_PORT), '--count', String(f.count), '--rate', String(f.ratePerSecond), '--max-ms', String(maxMs)];
  return runInNamespace(plan.namespaces.client, args, signal, progress).then((out) => JSON.parse(out) as SynFloodResult);
}

/** Runs `sipnic ARGS` inside a namespace in the foreground; resolves its stdout, stderr lines go to progress. */
export function runInNamespace(ns: string, args: string[], signal?: AbortSignal, progress?: (line: string) => void): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('ip', ['netns', 'exec', ns, process.execPath, SIPNIC_BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => {
      err += s;
      for (const line of s.split('\n')) if (line.trim()) progress?.(line.trim());
    });
    const abort = () => child.pid && isAlive(child.pid) && child.kill('SIGTERM');
    signal?.addEventListener('abort', abort);
    child.on('close', (code) => {
      signal?.removeEventListener('abort', abort);
      if (code === 0) resolve(out);
      else reject(new ClusterError('ESTEP', `sipnic ${args.slice(0, 2).join(' ')} in ${ns} exited with ${code}: ${err.trim().split('\n').slice(-5).join('\n')}`));
    });
  });
}

export function formatDemo(r: DemoResult): string {
  const lines = [
    `connections: ${r.connections.ok}/${r.connections.attempted} ok, ${r.connections.failed} failed${r.connections.errors.length ? ` (${r.connections.errors.join('; ')})` : ''}`,
    ...(Object.keys(r.byFamily ?? {}).length > 1 ? [`by family: ${Object.entries(r.byFamily).map(([f, v]) => `IPv${f} ${v.ok} ok, ${v.failed} failed`).join('; ')}`] : []),
    'served by processor:',
    ...Object.entries(r.byProcessor).map(([p, v]) => `  p${p}: own port ${v.ownPort}, shared port ${v.sharedPort}`),
    `frames to processors: fast path ${r.frames.fastPath}, via primary ${r.frames.viaPrimary}${r.frames.fastPathFraction === null ? '' : ` (${(r.frames.fastPathFraction * 100).toFixed(2)}% fast path)`}${r.frames.wireDrops ? `; ${r.frames.wireDrops} dropped at the client's TAP (the adapter fell behind)` : ''}`,
    `rule install: ${r.ruleInstallMs.p50 === null ? r.ruleInstallMs.source : `p50 ${r.ruleInstallMs.p50} ms, p99 ${r.ruleInstallMs.p99} ms (${r.ruleInstallMs.samples} rules${r.ruleInstallMs.unanswered ? `; ${r.ruleInstallMs.unanswered} more unanswered within the request timeout, not counted` : ''})`}`,
    `connection time: p50 ${r.connectionMs.p50} ms, p99 ${r.connectionMs.p99} ms`,
    `connections per second: ${r.connectionsPerSecond}`,
    ...(r.pinning ? [`pinning: ${r.pinning.mode ?? '?'}; host pins per connection ${r.pinning.hostPinsPerConnection ?? '-'} (by request ${r.pinning.pinnedByRequest}, by poll ${r.pinning.pinnedByPoll}); left to the adapter ${r.pinning.leftToAdapter}; pinned by the primary's fallback ${r.pinning.fallbackPins}` + (r.pinning.learned ? `; the primary follows ${r.pinning.learned.total} learned entries (event records ${r.pinning.events?.read ?? 0}, walks after lost records ${r.pinning.events?.resyncs ?? 0})` : '')] : []),
    ...(r.synFlood ? [`SYN flood: ${r.synFlood.sent} spoofed SYNs from ${r.synFlood.sources} in ${r.synFlood.elapsedMs} ms (${r.synFlood.ratePerSecond}/s)${r.synFlood.cutShort ? `, cut short (${r.synFlood.cutShort})` : ''}${r.synFlood.sendErrors ? `, ${r.synFlood.sendErrors} send errors` : ''}`] : []),
    ...(r.adapterLoop ? [`adapter loop: ${r.adapterLoop.iterations} wake-ups, ${r.adapterLoop.busyMsPerIteration} ms of work each on average, largest batch ${r.adapterLoop.maxBatch} frames`] : []),
    ...(r.rulesCaughtUp ? [`last flow change of the run: ${r.rulesCaughtUp.afterClientMs === null ? 'the line still busy after 120 s' : `${r.rulesCaughtUp.afterClientMs} ms after the client's end, ${r.rulesCaughtUp.flowChangesPerSecond} flow changes per second`}`] : []),
    ...(r.serial ? [`serial line: ${r.serial.baud} baud, ${r.serial.commands} commands, ${r.serial.bytes} bytes, busy ${r.serial.busyFraction === null ? '?' : `${(r.serial.busyFraction * 100).toFixed(1)}%`} of the time`] : []),
    `left over after down: ${r.leftover.namespaces} namespaces, ${r.leftover.links} links`,
    `took ${(r.elapsedMs / 1000).toFixed(1)} s`,
  ];
  return lines.join('\n');
}
