// The primary's side of the control protocol (control-protocol.ts, docs/cluster-protocol.md):
// the listening sockets (TCP, or Unix with mode 0600), one connection per monitor, requests
// checked and handed to the primary as they arrive — each starts at once, its table change
// queued in arrival order — and the answers written in request order. A refusal is an answer
// with the error's code: ControlError's own, EFULL for a full table, EHW for anything else the
// adapter failed with.
//
// Who may connect is this module's (docs/cluster-protocol.md, "Security"):
// - `challenge` gives the connection a fresh nonce; `hello` must answer it with the processor's
//   proof (helloProof), checked here — the primary's handler sees only proven hellos — and
//   answered with the primary's own proof. A nonce answers one hello.
// - Failed hellos are limited per source and per processor (AuthLimiter), and logged once per
//   source.
// - A connection that has not said hello within authTimeoutMs is closed; such connections are
//   capped in all and per source, the oldest of the source holding most closed for a newcomer.
//   A connection that said hello is never counted, so a monitor's reconnect always gets in.
// - Reading from a connection pauses while too many of its answers are pending or wait for it
//   to read them; a line over CONTROL_MAX_LINE is answered with EPROTO, then the connection
//   closed.
import { chmodSync, unlinkSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { DriverError } from '../driver/index.js';
import { formatIp, parseIp } from '../codec/ip.js';
import { inOrderAnswers, LineTooLongError, onJsonLines, type JsonObject } from '../bus/ndjson.js';
import { takeSocketPath } from '../bus/unix-socket.js';
import {
  checkRequest,
  CONTROL_MAX_LINE,
  CONTROL_VERSIONS,
  ControlError,
  formatControlAddress,
  helloProof,
  newNonce,
  PRIMARY_NAME,
  sameProof,
  wireFlowKey,
  type ControlAddress,
  type HelloRequest,
  type Request,
  type WireFlow,
} from './control-protocol.js';
import { trace, tracing } from './trace.js';

/** A monitor's connection; processor is set by the handler once it accepted the connection's hello. */
export interface ControlConnection {
  readonly socket: Socket;
  /** Where it comes from, for the limits: `tcp:ADDRESS` (IPv6: `tcp:PREFIX::/64`) or `unix:PATH`. */
  readonly source: string;
  processor?: number;
}

/** The requests a handler gets: `challenge` is answered here, and a hello only once its proof checked out. */
export type HandledRequest = Exclude<Request, { op: 'challenge' }>;

/** Answers one checked request: the fields after `"ok": true`. Throws to refuse it. */
export type ControlHandler = (conn: ControlConnection, req: HandledRequest) => JsonObject | Promise<JsonObject>;

/** Bounds on connections that have not said hello. */
export interface ControlLimits {
  /** A connection that has not said hello within this long is closed (default 5000 ms). */
  authTimeoutMs?: number;
  /** Most connections without hello at once (default 256); a newcomer closes the oldest of the source holding most. */
  maxUnauthenticated?: number;
  /** Most connections without hello from one source (default 16); a newcomer closes the source's oldest. */
  maxUnauthenticatedPerSource?: number;
}

export interface ControlServerOptions extends ControlLimits {
  /** Processor → secret. */
  secrets: ReadonlyMap<number, string>;
  /** Processors 1..processors may say hello. */
  processors: number;
  log?: (line: string) => void;
  /** The clock of the hello rate limits (ms). */
  now?: () => number;
}

export const CONTROL_LIMITS = { authTimeoutMs: 5000, maxUnauthenticated: 256, maxUnauthenticatedPerSource: 16 } as const;

/** Most requests of a connection read and not yet answered, before and after hello; beyond, reading pauses. */
const MAX_PENDING = { unauthenticated: 16, authenticated: 65536 };
/** Most answer bytes waiting for a connection that does not read; beyond, reading pauses. */
const MAX_BUFFERED = CONTROL_MAX_LINE;
/** How long a connection the primary ended may take to close. */
const LINGER_MS = 1000;

/** What `stats` shows of the control connections (`control`). */
export interface ControlStats {
  /** Connections accepted since the start. */
  accepted: number;
  /** Connections open now that have not said hello. */
  unauthenticated: number;
  /** Hellos whose proof was wrong (or for a processor the cluster does not have). */
  authFailures: number;
  /** Hellos not tried because of the rate limits (ERATE). */
  authRateLimited: number;
  /** Connections closed for saying no hello within the auth timeout. */
  authTimeouts: number;
  /** Connections without hello closed to make room for newer ones. */
  evicted: number;
  /** Connections closed after a line over CONTROL_MAX_LINE. */
  linesTooLong: number;
}

interface Connection extends ControlConnection {
  /** Accept order (eviction picks the oldest). */
  readonly seq: number;
  /** The nonce of the last challenge, until a hello answers it. */
  nonce?: string;
  /** The primary is closing it: nothing more is read or answered. */
  ending?: boolean;
  authTimer?: NodeJS.Timeout;
}

export class ControlServer {
  readonly connections = new Set<ControlConnection>();
  private readonly servers: { server: Server; address: ControlAddress }[] = [];
  private readonly waiting = new Unauthenticated();
  private readonly limiter: AuthLimiter;
  private readonly limits: Required<ControlLimits>;
  private readonly counts = { accepted: 0, authFailures: 0, authRateLimited: 0, authTimeouts: 0, evicted: 0, linesTooLong: 0 };
  /** Sources already named in the log, per kind of trouble (bounded). */
  private readonly logged = new BoundedSet(4096);
  private readonly log: (line: string) => void;
  private readonly now: () => number;
  /** Proofs for processors without a secret are checked against this, so a refusal takes as long. */
  private readonly dummySecret = newNonce();
  private closed = false;

  constructor(
    private readonly handle: ControlHandler,
    private readonly options: ControlServerOptions,
  ) {
    this.log = options.log ?? (() => {});
    this.now = options.now ?? (() => performance.now());
    this.limits = {
      authTimeoutMs: options.authTimeoutMs ?? CONTROL_LIMITS.authTimeoutMs,
      maxUnauthenticated: options.maxUnauthenticated ?? CONTROL_LIMITS.maxUnauthenticated,
      maxUnauthenticatedPerSource: options.maxUnauthenticatedPerSource ?? Math.min(CONTROL_LIMITS.maxUnauthenticatedPerSource, options.maxUnauthenticated ?? Infinity),
    };
    for (const [k, v] of Object.entries(this.limits)) if (!Number.isInteger(v) || v < 1) throw new ControlError('EPROTO', `control limit ${k} must be a positive integer, got ${v}`);
    this.limiter = new AuthLimiter();
  }

  /** Serves the control protocol at an address (TCP or Unix socket); a TCP port 0 is answered with the one bound. */
  async listen(address: ControlAddress): Promise<ControlAddress> {
    if (address.kind === 'unix') await takeSocketPath(address.path, 'a primary', (m) => new ControlError('EPROTO', m));
    const server = createServer((socket) => this.accept(socket, address));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      const done = () => {
        server.removeListener('error', reject);
        resolve();
      };
      if (address.kind === 'unix') server.listen(address.path, done);
      else server.listen(address.port, address.host, done);
    });
    if (address.kind === 'unix') chmodSync(address.path, 0o600);
    const bound = server.address();
    const actual: ControlAddress = address.kind === 'tcp' && bound && typeof bound === 'object' ? { kind: 'tcp', host: address.host, port: bound.port } : address;
    this.servers.push({ server, address: actual });
    this.log(`control protocol on ${formatControlAddress(actual)}`);
    return actual;
  }

  /** Drops processor p's connections (all but `except`), as when a newer one replaces them or p is lost. */
  drop(processor: number, except?: ControlConnection): void {
    for (const c of this.connections) if (c !== except && c.processor === processor) c.socket.destroy();
  }

  /** The counters `stats` shows. */
  stats(): ControlStats {
    return { ...this.counts, unauthenticated: this.waiting.size };
  }

  /** Stops listening, drops every connection and removes the Unix sockets. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const c of this.connections) c.socket.destroy();
    await Promise.all(
      this.servers.map(
        ({ server, address }) =>
          new Promise<void>((resolve) =>
            server.close(() => {
              if (address.kind === 'unix') {
                try {
                  unlinkSync(address.path);
                } catch {
                  // gone already
                }
              }
              resolve();
            }),
          ),
      ),
    );
  }

  private accept(socket: Socket, address: ControlAddress): void {
    const c: Connection = { socket, source: sourceOf(socket, address), seq: this.counts.accepted++ };
    this.connections.add(c);
    socket.setNoDelay?.(true);
    socket.on('error', () => socket.destroy());
    socket.on('close', () => {
      this.connections.delete(c);
      this.waiting.delete(c);
      clearTimeout(c.authTimer);
      if (c.processor !== undefined && !this.closed) this.log(`processor ${c.processor}: control connection closed (rules stay until its heartbeats are missed)`);
    });
    this.admit(c);
    c.authTimer = setTimeout(() => this.authTimedOut(c), this.limits.authTimeoutMs);
    c.authTimer.unref?.();
    const send = inOrderAnswers(socket, { maxPending: () => (c.processor === undefined ? MAX_PENDING.unauthenticated : MAX_PENDING.authenticated), maxBuffered: MAX_BUFFERED });
    onJsonLines(
      socket,
      (msg) => {
        if (c.ending) return;
        if (msg instanceof LineTooLongError) {
          this.counts.linesTooLong++;
          c.ending = true;
          this.waiting.delete(c);
          if (c.processor !== undefined) this.log(`processor ${c.processor}: sent a line longer than ${CONTROL_MAX_LINE} bytes; closing its control connection`);
          const refusal = { id: null, ok: false, error: { code: 'EPROTO', message: `line longer than ${msg.maxLine} bytes (the control protocol's limit): closing the connection` } };
          void send(Promise.resolve(refusal)).then(() => endSoon(socket));
          return;
        }
        const key = tracing && !(msg instanceof Error) && (msg.op === 'flow-add' || msg.op === 'flow-del') ? wireFlowKey(msg as unknown as WireFlow) : undefined;
        if (key) trace('prx', { k: key });
        void send(this.answer(c, msg)).then(() => {
          if (key) trace('ptx', { k: key });
        });
      },
      CONTROL_MAX_LINE,
      { afterTooLong: 'discard' },
    );
  }

  /** Counts a new connection among those without hello; closes others beyond the caps. */
  private admit(c: Connection): void {
    const { maxUnauthenticated, maxUnauthenticatedPerSource } = this.limits;
    if (this.waiting.count(c.source) >= maxUnauthenticatedPerSource) {
      this.evict(this.waiting.oldestOf(c.source)!, `more than ${maxUnauthenticatedPerSource} connections without hello from ${c.source}`);
    }
    if (this.waiting.size >= maxUnauthenticated) {
      const victim = this.waiting.victim()!;
      this.evict(victim, `more than ${maxUnauthenticated} connections without hello, ${victim.source} holding most`);
    }
    this.waiting.add(c);
  }

  private evict(c: Connection, why: string): void {
    this.waiting.delete(c);
    c.ending = true;
    this.counts.evicted++;
    this.logOnce('evict', c.source, `control: closing connections without hello from ${c.source}: ${why} (counted in stats, not logged again for this source)`);
    c.socket.destroy();
  }

  private authTimedOut(c: Connection): void {
    if (c.processor !== undefined || c.ending || c.socket.destroyed) return;
    this.waiting.delete(c);
    this.counts.authTimeouts++;
    c.ending = true;
    const refusal = { id: null, ok: false, error: { code: 'ETIMEDOUT', message: `no hello within ${this.limits.authTimeoutMs} ms: closing the connection` } };
    if (!c.socket.writableEnded) c.socket.write(JSON.stringify(refusal) + '\n');
    endSoon(c.socket);
  }

  private async answer(c: Connection, msg: JsonObject | Error): Promise<JsonObject | undefined> {
    const id = msg instanceof Error ? null : (msg.id ?? null);
    try {
      if (msg instanceof Error) throw new ControlError('EPROTO', `not a JSON object: ${msg.message}`);
      const req = checkRequest(msg);
      if (req.op === 'challenge') {
        c.nonce = newNonce();
        return { id, ok: true, primary: PRIMARY_NAME, versions: CONTROL_VERSIONS, nonce: c.nonce };
      }
      if (req.op === 'hello') {
        const proof = this.prove(c, req);
        const fields = await this.handle(c, req);
        if (c.processor !== undefined) {
          this.waiting.delete(c);
          clearTimeout(c.authTimer);
        }
        return { id, ok: true, ...fields, proof };
      }
      return { id, ok: true, ...(await this.handle(c, req)) };
    } catch (err) {
      if (c.ending) return undefined;
      const code = err instanceof ControlError ? err.code : err instanceof DriverError ? (err.code === 'EFULL' ? 'EFULL' : 'EHW') : 'EHW';
      const message = err instanceof Error ? err.message : String(err);
      // refused hellos are logged once per source (prove)
      if (c.processor !== undefined) this.log(`processor ${c.processor}: ${String((msg as JsonObject).op ?? 'request')} refused: ${message}`);
      const retryInMs = err instanceof ControlError ? err.retryInMs : undefined;
      return { id, ok: false, error: { code, message, ...(retryInMs !== undefined ? { retryInMs } : {}) } };
    }
  }

  /**
   * Checks a hello's proof against the connection's challenge (spent by it, right or wrong),
   * within the rate limits; returns the primary's proof. EAUTH when it is wrong, ERATE (not
   * tried) while the source or the processor waits after failures.
   */
  private prove(c: Connection, req: HelloRequest): string {
    const p = req.processor;
    const secret = p <= this.options.processors ? this.options.secrets.get(p) : undefined;
    const known = secret === undefined ? undefined : p;
    const nonce = c.nonce;
    c.nonce = undefined;
    const now = this.now();
    const wait = this.limiter.wait(c.source, known, now);
    if (wait) {
      this.counts.authRateLimited++;
      const retryInMs = Math.ceil(wait.ms);
      throw new ControlError('ERATE', `hello for processor ${p} not tried: ${wait.why}; try again in ${retryInMs} ms`, { retryInMs });
    }
    if (nonce === undefined) throw new ControlError('EAUTH', `hello refused for processor ${p}: no challenge on this connection (ask "challenge" first and answer its nonce; a nonce answers one hello)`);
    const right = sameProof(helloProof('hello', secret ?? this.dummySecret, nonce, req.cnonce, p), req.proof);
    if (!right || secret === undefined) {
      this.counts.authFailures++;
      this.limiter.failed(c.source, known, now);
      const why = p > this.options.processors ? `the cluster has processors 1..${this.options.processors}` : secret === undefined ? 'no secret for that processor' : 'wrong proof';
      this.logOnce('auth', c.source, `control: hello from ${c.source} refused (processor ${p}: ${why}); further failures from ${c.source} are counted in stats, not logged`);
      throw new ControlError('EAUTH', `hello refused for processor ${p}: ${p > this.options.processors ? `the cluster has processors 1..${this.options.processors}` : 'wrong proof (unknown processor or wrong secret)'}`);
    }
    this.limiter.succeeded(c.source, p);
    return helloProof('primary', secret, nonce, req.cnonce, p);
  }

  private logOnce(kind: string, source: string, line: string): void {
    if (this.logged.add(`${kind} ${source}`)) this.log(line);
  }
}

/** Ends a socket (after what was written) and destroys it if it has not closed a little later. */
function endSoon(socket: Socket): void {
  if (socket.destroyed) return;
  socket.end();
  const t = setTimeout(() => socket.destroy(), LINGER_MS);
  t.unref?.();
  socket.once('close', () => clearTimeout(t));
}

/** The source of a connection for the limits: its address (an IPv6 address's /64, IPv4-mapped as IPv4), or the Unix socket's path. */
export function sourceOf(socket: Socket, address: ControlAddress): string {
  if (address.kind === 'unix') return `unix:${address.path}`;
  let a = socket.remoteAddress ?? 'unknown';
  if (/^::ffff:\d+\.\d+\.\d+\.\d+$/i.test(a)) a = a.slice(7);
  if (!a.includes(':')) return `tcp:${a}`;
  try {
    const b = parseIp(a.replace(/%.*$/, '')).bytes;
    const prefix = new Uint8Array(16);
    prefix.set(b.subarray(0, 8));
    return `tcp:${formatIp(prefix, 6)}/64`;
  } catch {
    return `tcp:${a}`;
  }
}

/** Connections that have not said hello, oldest first: in all and by source. */
class Unauthenticated {
  private readonly all = new Set<Connection>();
  private readonly bySource = new Map<string, Set<Connection>>();

  get size(): number {
    return this.all.size;
  }

  add(c: Connection): void {
    this.all.add(c);
    let s = this.bySource.get(c.source);
    if (!s) this.bySource.set(c.source, (s = new Set()));
    s.add(c);
  }

  delete(c: Connection): void {
    if (!this.all.delete(c)) return;
    const s = this.bySource.get(c.source)!;
    s.delete(c);
    if (s.size === 0) this.bySource.delete(c.source);
  }

  count(source: string): number {
    return this.bySource.get(source)?.size ?? 0;
  }

  oldestOf(source: string): Connection | undefined {
    return this.bySource.get(source)?.values().next().value;
  }

  /** The oldest connection of the source holding most (of two such sources, the older connection). */
  victim(): Connection | undefined {
    let best: Connection | undefined;
    let most = 0;
    for (const s of this.bySource.values()) {
      const oldest = s.values().next().value!;
      if (s.size > most || (s.size === most && best !== undefined && oldest.seq < best.seq)) {
        most = s.size;
        best = oldest;
      }
    }
    return best;
  }
}

/** A set of at most `max` strings; adding beyond forgets the oldest. */
class BoundedSet {
  private readonly items = new Set<string>();
  constructor(private readonly max: number) {}

  /** Adds an item; false when it was there already. */
  add(item: string): boolean {
    if (this.items.has(item)) return false;
    if (this.items.size >= this.max) this.items.delete(this.items.values().next().value!);
    this.items.add(item);
    return true;
  }
}

/** How a kind of failure record waits: free failures, then a wait doubling from baseMs to maxMs. */
interface BackoffRule {
  free: number;
  baseMs: number;
  maxMs: number;
}

/** Failed hellos of one source for one processor (a source's hellos for processors without a secret count as one). */
const PER_SOURCE: BackoffRule = { free: 5, baseMs: 1000, maxMs: 60_000 };
/** Failed hellos for one processor from every source. */
const PER_PROCESSOR: BackoffRule = { free: 20, baseMs: 1000, maxMs: 60_000 };
/** A record without failures for this long is forgotten. */
const FORGET_MS = 10 * 60_000;
/** Most records kept (the oldest forgotten beyond), and sources remembered per processor. */
const MAX_RECORDS = 4096;
const MAX_KNOWN_SOURCES = 16;

interface Failures {
  count: number;
  last: number;
  /** No hello is tried before this time. */
  until: number;
}

/**
 * The rate limits of hello: failures remembered per (source, processor) and per processor. A
 * few failures are free; each one after makes the next hello from that source for that
 * processor (or, per processor, from any source) wait, the wait doubling from 1 s to 60 s; a
 * record quiet for 10 minutes is forgotten, a right proof clears the source's. Waiting hellos
 * are refused without being tried, so guessing gets no answer faster than the waits allow.
 * The per-processor wait does not hold back the sources that proved that processor's secret
 * lately: many strangers guessing cannot keep its monitor out.
 */
class AuthLimiter {
  private readonly records = new Map<string, Failures>();
  private readonly knownSources = new Map<number, string[]>();

  /** How long a hello from source for processor (undefined: one without a secret) must wait, and why; undefined: try it. */
  wait(source: string, processor: number | undefined, now: number): { ms: number; why: string } | undefined {
    const own = this.records.get(pairKey(source, processor));
    if (own && own.until > now) return { ms: own.until - now, why: `too many failed hellos from ${source} for it lately` };
    if (processor === undefined || this.knownSources.get(processor)?.includes(source)) return undefined;
    const all = this.records.get(processorKey(processor));
    if (all && all.until > now) return { ms: all.until - now, why: `too many failed hellos for it lately, from many sources, and ${source} has not said hello as processor ${processor} before` };
    return undefined;
  }

  failed(source: string, processor: number | undefined, now: number): void {
    this.fail(pairKey(source, processor), PER_SOURCE, now);
    if (processor !== undefined) this.fail(processorKey(processor), PER_PROCESSOR, now);
  }

  succeeded(source: string, processor: number): void {
    this.records.delete(pairKey(source, processor));
    const known = (this.knownSources.get(processor) ?? []).filter((s) => s !== source);
    known.push(source);
    if (known.length > MAX_KNOWN_SOURCES) known.shift();
    this.knownSources.set(processor, known);
  }

  private fail(key: string, rule: BackoffRule, now: number): void {
    const r = this.records.get(key) ?? { count: 0, last: now, until: 0 };
    if (now - r.last > FORGET_MS) r.count = 0;
    r.count++;
    r.last = now;
    if (r.count > rule.free) r.until = now + Math.min(rule.maxMs, rule.baseMs * 2 ** Math.min(30, r.count - rule.free - 1));
    // most recently failed last: the oldest is forgotten first
    this.records.delete(key);
    this.records.set(key, r);
    if (this.records.size > MAX_RECORDS) this.records.delete(this.records.keys().next().value!);
  }
}

const pairKey = (source: string, processor: number | undefined) => `${source} ${processor ?? '?'}`;
const processorKey = (processor: number) => `processor ${processor}`;
