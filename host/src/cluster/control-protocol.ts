// The primary's control protocol (docs/cluster-protocol.md): newline-delimited JSON over TCP
// (`HOST:PORT`, `[V6]:PORT`) or a Unix socket (`unix:PATH`). One request per line, answered in
// order with the request's `id`. A monitor proves it holds its processor's secret without
// sending it: it answers the nonce of a `challenge` with an HMAC, and the primary answers with
// its own (helloProof):
//
//   → {"id":1,"op":"challenge"}
//   ← {"id":1,"ok":true,"primary":"sipnic-primary","versions":[2],"nonce":"<64 hex>"}
//   → {"id":2,"op":"hello","version":2,"processor":2,"cnonce":"<64 hex>","proof":"<64 hex>","portRange":[40000,44999]}
//   ← {"id":2,"ok":true,"primary":"sipnic-primary","version":2,"clusterIps":["10.0.0.1"],…,"proof":"<64 hex>"}
//   ← {"id":7,"ok":false,"error":{"code":"EPERM","message":"…"}}
//
// This module holds what both ends share: addresses, the client, message shapes and their
// checks, the proofs and the secrets file. The newline-JSON framing and the matching of answers
// to requests are bus/ndjson.ts's, as for the register bus.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createConnection, type Socket } from 'node:net';
import { formatIp, parseIp } from '../codec/ip.js';
import { formatMac, parseMac } from '../codec/mac.js';
import type { Family, Proto } from '../codec/rules.js';
import { JsonLineClient, type JsonObject } from '../bus/ndjson.js';
import { endSocket } from '../bus/unix-socket.js';
import { CodedError } from '../util/errors.js';

/** The control protocol's version (2: hello by challenge-response; 1 sent the secret). */
export const CONTROL_VERSION = 2;
/** The versions this end speaks. */
export const CONTROL_VERSIONS: readonly number[] = [CONTROL_VERSION];
export const PRIMARY_NAME = 'sipnic-primary';

export type ControlErrorCode =
  | 'EPROTO' // not JSON, unknown op, missing or bad field, a line over CONTROL_MAX_LINE
  | 'EVERSION' // hello in a protocol version the other end does not speak
  | 'EAUTH' // hello refused: unknown processor, wrong proof, no challenge; or the primary's own proof is wrong
  | 'ERATE' // hello not tried: too many failed hellos lately from this source or for this processor (retryInMs)
  | 'ENOHELLO' // a request that needs hello came first
  | 'EPERM' // the port or flow belongs to another processor, or is not the requester's
  | 'ERANGE' // port range too large, overlapping another processor's, or holding another's listen port
  | 'EFULL' // the adapter's table is full
  | 'EQUOTA' // the processor holds as many flows as its quota allows
  | 'EHW' // the adapter failed
  | 'ECLOSED' // connection closed
  | 'ETIMEDOUT' // no answer in time; from the primary: no hello in time
  | 'ECONNECT'; // could not reach the primary

export class ControlError extends CodedError<ControlErrorCode> {
  override readonly name = 'ControlError';
  /** ERATE: how long to wait before the next hello, in ms. */
  readonly retryInMs?: number;

  constructor(code: ControlErrorCode, message: string, options?: { cause?: unknown; retryInMs?: number }) {
    super(code, message, options);
    if (options?.retryInMs !== undefined) this.retryInMs = options.retryInMs;
  }
}

/**
 * Longest request or answer line either end accepts (1 MiB). The primary answers a longer
 * request with EPROTO naming the limit and closes the connection.
 */
export const CONTROL_MAX_LINE = 1 << 20;

// ───────────────────────────── addresses ─────────────────────────────

export type ControlAddress = { kind: 'tcp'; host: string; port: number } | { kind: 'unix'; path: string };

/** `unix:PATH`, `HOST:PORT` or `[IPV6]:PORT`. */
export function parseControlAddress(text: string): ControlAddress {
  if (text.startsWith('unix:')) {
    const path = text.slice(5);
    if (path === '') throw new ControlError('EPROTO', `bad control address "${text}": unix: needs a path`);
    return { kind: 'unix', path };
  }
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(text);
  const port = m ? Number(m[3]) : NaN;
  if (!m || !(port >= 0 && port <= 65535)) throw new ControlError('EPROTO', `bad control address "${text}" (expected HOST:PORT, [IPV6]:PORT or unix:PATH)`);
  return { kind: 'tcp', host: m[1] ?? m[2], port };
}

export const formatControlAddress = (a: ControlAddress): string => (a.kind === 'unix' ? `unix:${a.path}` : a.host.includes(':') ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`);

// ───────────────────────────── messages ─────────────────────────────

/**
 * A flow as the adapter sees its frames from the client: src = the remote end, dst = the
 * cluster address and the processor's local port.
 */
export interface WireFlow {
  family: Family;
  proto: Proto;
  srcIp: string;
  srcPort: number;
  dstIp: string;
  dstPort: number;
}

export interface WireListen {
  proto: Proto;
  port: number;
  shared?: boolean;
}

/** What a monitor tells the primary in each heartbeat, for `stats` (checked: checkStats). */
export interface MonitorStats {
  /** Connection request seen → exact rule acknowledged, in ms. */
  ruleInstallMs: { count: number; p50: number | null; p99: number | null; max: number | null };
  flows: number;
  listens: number;
  polls: number;
  flowAddsRefused: number;
  /** How the monitor's pins came about (a connection request, a SYN its stack sent, a /proc poll), and pins it removed. */
  pinnedByRequest?: number;
  pinnedByOpen?: number;
  pinnedByPoll?: number;
  removed?: number;
  /** Flow-adds the primary did not answer within the monitor's request timeout (not in ruleInstallMs; still deleted when their connection goes). */
  flowAddsUnanswered?: number;
  /** Connection requests steered to this processor that it left to the adapter to pin (hardware pinning). */
  leftToAdapter?: number;
}

/** hello on the wire: the processor's proof for the connection's challenge nonce (helloProof). */
export interface HelloRequest {
  op: 'hello';
  version: number;
  processor: number;
  /** The client's nonce, 64 hex digits. */
  cnonce: string;
  /** helloProof('hello', …), 64 hex digits. */
  proof: string;
  portRange?: [number, number];
  /** The processor's own MAC (its interface in front of the board): where the primary sends its slow path, and the MAC the board's egress table gives its queue. */
  mac?: string;
}

export type Request =
  | { op: 'challenge' }
  | HelloRequest
  | { op: 'listen'; proto: Proto; port: number; shared?: boolean }
  | { op: 'unlisten'; proto: Proto; port: number }
  | ({ op: 'flow-add' } & WireFlow)
  | ({ op: 'flow-del' } & WireFlow)
  | { op: 'heartbeat'; stats?: MonitorStats }
  | { op: 'stats' };

/** hello as a caller of ControlClient gives it: the client answers the challenge with the secret, which is never sent. */
export interface HelloCredentials {
  op: 'hello';
  processor: number;
  secret: string;
  portRange?: [number, number];
  mac?: string;
}

/** What ControlClient.request takes: a request as sent, or a hello with the secret. */
export type ClientRequest = Request | HelloCredentials;

/** A flow key as a string, for maps: `tcp4 SRC:SPORT > DST:DPORT`. */
export const wireFlowKey = (f: WireFlow): string => `${f.proto}${f.family} ${f.srcIp}:${f.srcPort} > ${f.dstIp}:${f.dstPort}`;

/** Bytes ↔ text of a flow: addresses in canonical form, so keys compare as strings. */
export function toWireFlow(f: { family: Family; proto: Proto; srcIp: Uint8Array; srcPort: number; dstIp: Uint8Array; dstPort: number }): WireFlow {
  return { family: f.family, proto: f.proto, srcIp: formatIp(f.srcIp, f.family), srcPort: f.srcPort, dstIp: formatIp(f.dstIp, f.family), dstPort: f.dstPort };
}

const isPort = (v: unknown): v is number => Number.isInteger(v) && (v as number) >= 0 && (v as number) <= 65535;
const isProto = (v: unknown): v is Proto => v === 'tcp' || v === 'udp';
const isHex64 = (v: unknown): v is string => typeof v === 'string' && /^[0-9a-f]{64}$/.test(v);
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A value as a message shows it: JSON, cut short. */
function shown(v: unknown): string {
  const t = JSON.stringify(v) ?? String(v);
  return t.length > 40 ? `${t.slice(0, 40)}…` : t;
}

/** Checks a request's shape; the message names the bad field. */
export function checkRequest(msg: Record<string, unknown>): Request {
  const bad = (field: string, want: string) => new ControlError('EPROTO', `${String(msg.op)}: field "${field}" ${shown(msg[field])} is not ${want}`);
  switch (msg.op) {
    case 'challenge':
      return { op: 'challenge' };
    case 'hello':
      // the version first: a hello of another version has other fields
      if (!CONTROL_VERSIONS.includes(msg.version === undefined ? 1 : (msg.version as number))) {
        throw new ControlError(
          'EVERSION',
          `hello: control protocol version ${msg.version === undefined ? '1 (no "version" given)' : shown(msg.version)} is not supported: this primary speaks ${CONTROL_VERSIONS.join(', ')} (challenge, then hello with a proof: docs/cluster-protocol.md)`,
        );
      }
      if (!Number.isInteger(msg.processor) || (msg.processor as number) < 1) throw bad('processor', 'a processor number ≥ 1');
      if (!isHex64(msg.cnonce)) throw bad('cnonce', 'a nonce of 64 hex digits');
      if (!isHex64(msg.proof)) throw bad('proof', 'an HMAC-SHA256 of 64 hex digits');
      if (msg.portRange !== undefined) {
        const r = msg.portRange as unknown[];
        if (!Array.isArray(r) || r.length !== 2 || !isPort(r[0]) || !isPort(r[1]) || r[0] > r[1]) throw bad('portRange', '[low, high] ports');
      }
      if (msg.mac !== undefined && !isUnicastMac(msg.mac)) throw bad('mac', 'a unicast MAC address like "02:00:00:00:00:01"');
      return {
        op: 'hello',
        version: msg.version as number,
        processor: msg.processor as number,
        cnonce: msg.cnonce as string,
        proof: msg.proof as string,
        ...(msg.portRange ? { portRange: msg.portRange as [number, number] } : {}),
        ...(msg.mac !== undefined ? { mac: formatMac(parseMac(msg.mac as string)) } : {}),
      };
    case 'listen':
    case 'unlisten':
      if (!isProto(msg.proto)) throw bad('proto', '"tcp" or "udp"');
      if (!isPort(msg.port) || msg.port === 0) throw bad('port', 'a port 1..65535');
      if (msg.shared !== undefined && typeof msg.shared !== 'boolean') throw bad('shared', 'true or false');
      return msg as Request;
    case 'flow-add':
    case 'flow-del': {
      if (msg.family !== 4 && msg.family !== 6) throw bad('family', '4 or 6');
      if (!isProto(msg.proto)) throw bad('proto', '"tcp" or "udp"');
      for (const f of ['srcPort', 'dstPort']) if (!isPort(msg[f])) throw bad(f, 'a port 0..65535');
      for (const f of ['srcIp', 'dstIp']) {
        let ok = false;
        try {
          ok = typeof msg[f] === 'string' && parseIp(msg[f] as string).family === msg.family;
        } catch {
          ok = false;
        }
        if (!ok) throw bad(f, `an IPv${msg.family} address`);
      }
      // canonical text, so the same flow always has the same key
      const canon = (t: string) => formatIp(parseIp(t).bytes, msg.family as Family);
      return { ...msg, srcIp: canon(msg.srcIp as string), dstIp: canon(msg.dstIp as string) } as unknown as Request;
    }
    case 'heartbeat':
      return msg.stats === undefined ? { op: 'heartbeat' } : { op: 'heartbeat', stats: checkStats(msg.stats) };
    case 'stats':
      return { op: 'stats' };
    default:
      throw new ControlError('EPROTO', `unknown op ${shown(msg.op)} (expected challenge, hello, listen, unlisten, flow-add, flow-del, heartbeat, stats)`);
  }
}

/** A heartbeat's counters: whole numbers up to 2^53 - 1. */
const STAT_COUNTS = { required: ['flows', 'listens', 'polls', 'flowAddsRefused'], optional: ['pinnedByRequest', 'pinnedByOpen', 'pinnedByPoll', 'removed', 'flowAddsUnanswered', 'leftToAdapter'] } as const;
/** Latencies a heartbeat reports are at most a day (ms). */
const MAX_STAT_MS = 86_400_000;

/**
 * A heartbeat's stats, checked: an object of the known fields only (MonitorStats), counters
 * whole numbers ≥ 0, ruleInstallMs' count a counter and p50, p99, max null or 0..a day in
 * ms. Returns a copy of those fields (what the primary stores and shows in `stats`); anything
 * else is EPROTO naming the field.
 */
export function checkStats(v: unknown): MonitorStats {
  const bad = (field: string, value: unknown, want: string) => new ControlError('EPROTO', `heartbeat: field "${field}" ${shown(value)} is not ${want}`);
  const count = (field: string, value: unknown) => {
    if (!Number.isSafeInteger(value) || (value as number) < 0) throw bad(field, value, 'a whole number ≥ 0');
    return value as number;
  };
  if (!isObject(v)) throw bad('stats', v, 'an object of counters');
  const known = new Set<string>(['ruleInstallMs', ...STAT_COUNTS.required, ...STAT_COUNTS.optional]);
  for (const k of Object.keys(v)) if (!known.has(k)) throw bad(`stats.${k}`, v[k], `a known stat (${[...known].join(', ')})`);
  const r = v.ruleInstallMs;
  if (!isObject(r)) throw bad('stats.ruleInstallMs', r, 'an object {count, p50, p99, max}');
  for (const k of Object.keys(r)) if (!['count', 'p50', 'p99', 'max'].includes(k)) throw bad(`stats.ruleInstallMs.${k}`, r[k], 'one of count, p50, p99, max');
  const ms = (k: 'p50' | 'p99' | 'max') => {
    const x = r[k];
    if (x === null) return null;
    if (typeof x !== 'number' || !(x >= 0 && x <= MAX_STAT_MS)) throw bad(`stats.ruleInstallMs.${k}`, x, `null or a time in ms, 0..${MAX_STAT_MS}`);
    return x;
  };
  const out: MonitorStats = {
    ruleInstallMs: { count: count('stats.ruleInstallMs.count', r.count), p50: ms('p50'), p99: ms('p99'), max: ms('max') },
    flows: 0,
    listens: 0,
    polls: 0,
    flowAddsRefused: 0,
  };
  for (const k of STAT_COUNTS.required) out[k] = count(`stats.${k}`, v[k]);
  for (const k of STAT_COUNTS.optional) if (v[k] !== undefined) out[k] = count(`stats.${k}`, v[k]);
  return out;
}

// ───────────────────────────── hello proofs ─────────────────────────────

/** A fresh nonce: 32 random bytes as 64 hex digits. */
export const newNonce = (): string => randomBytes(32).toString('hex');

/**
 * The proof of holding a processor's secret for one connection: HMAC-SHA256 keyed by the
 * secret (its UTF-8 bytes) over `sipnic-control/2 WHO\nNONCE\nCNONCE\nPROCESSOR` — WHO
 * `hello` for the monitor's proof, `primary` for the primary's answer, NONCE the primary's
 * challenge, CNONCE the monitor's — as 64 hex digits.
 */
export function helloProof(who: 'hello' | 'primary', secret: string, nonce: string, cnonce: string, processor: number): string {
  return createHmac('sha256', secret).update(`sipnic-control/${CONTROL_VERSION} ${who}\n${nonce}\n${cnonce}\n${processor}`, 'utf8').digest('hex');
}

/** Whether `given` is the proof expected (64 hex digits), compared in constant time. */
export function sameProof(expected: string, given: unknown): boolean {
  return isHex64(given) && isHex64(expected) && timingSafeEqual(Buffer.from(expected, 'hex'), Buffer.from(given, 'hex'));
}

// ───────────────────────────── the client ─────────────────────────────

export function connectControl(address: ControlAddress, timeoutMs = 3000): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = address.kind === 'unix' ? createConnection(address.path) : createConnection({ host: address.host, port: address.port });
    const timer = setTimeout(() => {
      s.destroy();
      reject(new ControlError('ETIMEDOUT', `no answer from the primary at ${formatControlAddress(address)} within ${timeoutMs} ms`));
    }, timeoutMs);
    s.once('connect', () => {
      clearTimeout(timer);
      s.removeAllListeners('error');
      s.setNoDelay?.(true);
      resolve(s);
    });
    s.once('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(new ControlError('ECONNECT', `cannot reach the primary at ${formatControlAddress(address)}: ${err.code ?? err.message}`, { cause: err }));
    });
  });
}

/** A connection to the primary: request() sends one line and resolves with its answer. */
export class ControlClient {
  private readonly client: JsonLineClient;

  private constructor(
    private readonly socket: Socket,
    readonly address: ControlAddress,
    private readonly timeoutMs: number,
  ) {
    this.client = new JsonLineClient(
      socket,
      {
        answer: (msg) => {
          if (msg.ok !== false) return undefined;
          const e = (msg.error ?? {}) as { code?: ControlErrorCode; message?: string; retryInMs?: unknown };
          return new ControlError(e.code ?? 'EPROTO', e.message ?? 'refused', typeof e.retryInMs === 'number' ? { retryInMs: e.retryInMs } : undefined);
        },
        badLine: (err) => new ControlError('EPROTO', `the primary sent a line that is not JSON: ${err.message}`),
        closed: (err) =>
          err
            ? new ControlError('ECLOSED', `connection to the primary failed: ${err.message}`, { cause: err })
            : new ControlError('ECLOSED', `the primary at ${formatControlAddress(address)} closed the connection`),
      },
      CONTROL_MAX_LINE,
    );
  }

  static async connect(address: ControlAddress | string, timeoutMs = 3000): Promise<ControlClient> {
    const a = typeof address === 'string' ? parseControlAddress(address) : address;
    return new ControlClient(await connectControl(a, timeoutMs), a, timeoutMs);
  }

  get closed(): boolean {
    return this.client.closed;
  }

  onClose(listener: (err: ControlError) => void): void {
    this.client.onClose(listener as (err: Error) => void);
  }

  /** One request; a hello with a secret is made by hello() (the secret is not sent). */
  request(body: ClientRequest): Promise<JsonObject> {
    if (body.op === 'hello' && 'secret' in body) return this.hello(body);
    return this.client.request(body, { ms: this.timeoutMs, error: () => new ControlError('ETIMEDOUT', `${body.op}: no answer from the primary within ${this.timeoutMs} ms`) });
  }

  /**
   * Says hello as a processor: asks for a challenge, answers its nonce with the proof of the
   * secret (helloProof; the secret itself stays here), and checks the primary's proof in the
   * answer — a primary that cannot make it does not hold the secret: EAUTH, and the connection
   * is dropped. A primary that speaks only another version: EVERSION.
   */
  async hello(h: { processor: number; secret: string; portRange?: [number, number]; mac?: string }): Promise<JsonObject> {
    const at = formatControlAddress(this.address);
    let challenge: JsonObject;
    try {
      challenge = await this.request({ op: 'challenge' });
    } catch (err) {
      // a version-1 primary knows no challenge
      if (err instanceof ControlError && err.code === 'EPROTO' && /unknown op/.test(err.message)) {
        throw new ControlError('EVERSION', `the primary at ${at} does not know "challenge": it speaks control protocol version 1, this monitor ${CONTROL_VERSIONS.join(', ')}`, { cause: err });
      }
      throw err;
    }
    const versions = Array.isArray(challenge.versions) ? (challenge.versions as unknown[]) : [];
    if (!CONTROL_VERSIONS.some((v) => versions.includes(v))) {
      throw new ControlError('EVERSION', `the primary at ${at} speaks control protocol versions ${versions.map(String).join(', ') || '(none given)'}, this monitor ${CONTROL_VERSIONS.join(', ')}`);
    }
    const nonce = challenge.nonce;
    if (!isHex64(nonce)) throw new ControlError('EPROTO', `the primary at ${at} sent a challenge without a nonce of 64 hex digits`);
    const cnonce = newNonce();
    const answer = await this.request({
      op: 'hello',
      version: CONTROL_VERSION,
      processor: h.processor,
      cnonce,
      proof: helloProof('hello', h.secret, nonce, cnonce, h.processor),
      ...(h.portRange ? { portRange: h.portRange } : {}),
      ...(h.mac ? { mac: h.mac } : {}),
    });
    if (!sameProof(helloProof('primary', h.secret, nonce, cnonce, h.processor), answer.proof)) {
      const err = new ControlError('EAUTH', `the primary at ${at} did not prove it holds processor ${h.processor}'s secret (the proof in its hello answer is wrong); not talking to it`);
      this.client.fail(err);
      this.socket.destroy();
      throw err;
    }
    return answer;
  }

  async close(): Promise<void> {
    this.client.fail(new ControlError('ECLOSED', 'closed'));
    await endSocket(this.socket, 500);
  }

  /** Drops the connection at once, as a crash would (tests). */
  destroy(): void {
    this.socket.destroy();
  }
}

/** One request on a fresh connection (e.g. `stats` from `cluster demo`). */
export async function queryPrimary(address: ControlAddress | string, body: ClientRequest, timeoutMs = 3000): Promise<Record<string, unknown>> {
  const c = await ControlClient.connect(address, timeoutMs);
  try {
    return await c.request(body);
  } finally {
    await c.close();
  }
}

// ───────────────────────────── secrets ─────────────────────────────

/**
 * A secrets file: one `PROCESSOR SECRET` pair a line (whitespace between), `#` comments.
 * A file holding a single word is the secret of whichever processor reads it.
 */
export function parseSecrets(text: string, source = 'secrets file'): Map<number, string> & { single?: string } {
  const out = new Map<number, string>() as Map<number, string> & { single?: string };
  const lines = text.split(/\r?\n/).map((l, i) => ({ n: i + 1, words: l.replace(/#.*/, '').trim().split(/\s+/).filter(Boolean) })).filter((l) => l.words.length);
  if (lines.length === 1 && lines[0].words.length === 1) {
    out.single = lines[0].words[0];
    return out;
  }
  for (const { n, words } of lines) {
    const p = Number(words[0]);
    if (words.length !== 2 || !Number.isInteger(p) || p < 1) throw new ControlError('EPROTO', `${source} line ${n}: expected "PROCESSOR SECRET" (processor ≥ 1)`);
    if (out.has(p)) throw new ControlError('EPROTO', `${source} line ${n}: processor ${p} appears twice`);
    out.set(p, words[1]);
  }
  return out;
}

export function readSecrets(path: string): Map<number, string> & { single?: string } {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ControlError('EPROTO', `cannot read secrets file ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { cause: err });
  }
  return parseSecrets(text, path);
}

/** The secret of processor p from a secrets file (a `p SECRET` line, or a single-word file). */
export function secretFor(path: string, processor: number): string {
  const s = readSecrets(path);
  const secret = s.get(processor) ?? s.single;
  if (secret === undefined) throw new ControlError('EPROTO', `secrets file ${path} has no line for processor ${processor}`);
  return secret;
}

/** A MAC address text naming one host: six hex bytes, not multicast or broadcast (bit 0 of the first byte clear). */
function isUnicastMac(v: unknown): boolean {
  if (typeof v !== 'string') return false;
  try {
    return (parseMac(v)[0] & 1) === 0;
  } catch {
    return false;
  }
}
