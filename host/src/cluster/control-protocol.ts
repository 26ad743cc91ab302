// The primary's control protocol (docs/cluster-protocol.md): newline-delimited JSON over TCP
// (`HOST:PORT`, `[V6]:PORT`) or a Unix socket (`unix:PATH`). One request per line, answered in
// order with the request's `id`:
//
//   → {"id":1,"op":"hello","processor":2,"secret":"…","portRange":[40000,44999]}
//   ← {"id":1,"ok":true,"primary":"sipnic-primary","version":1,"clusterIps":["10.0.0.1"],…}
//   ← {"id":7,"ok":false,"error":{"code":"EPERM","message":"…"}}
//
// This module holds what both ends share: addresses, the client, message shapes and the
// secrets file. The newline-JSON framing and the matching of answers to requests are
// bus/ndjson.ts's, as for the register bus.
import { readFileSync } from 'node:fs';
import { createConnection, type Socket } from 'node:net';
import { formatIp, parseIp } from '../codec/ip.js';
import type { Family, Proto } from '../codec/rules.js';
import { JsonLineClient, type JsonObject } from '../bus/ndjson.js';
import { endSocket } from '../bus/unix-socket.js';
import { CodedError } from '../util/errors.js';

export const CONTROL_VERSION = 1;
export const PRIMARY_NAME = 'sipnic-primary';

export type ControlErrorCode =
  | 'EPROTO' // not JSON, unknown op, missing or bad field
  | 'EAUTH' // hello refused: unknown processor or wrong secret
  | 'ENOHELLO' // a request that needs hello came first
  | 'EPERM' // the port or flow belongs to another processor, or is not the requester's
  | 'ERANGE' // port range too large, overlapping another processor's, or holding another's listen port
  | 'EFULL' // the adapter's table is full
  | 'EQUOTA' // the processor holds as many flows as its quota allows
  | 'EHW' // the adapter failed
  | 'ECLOSED' // connection closed
  | 'ETIMEDOUT'
  | 'ECONNECT'; // could not reach the primary

export class ControlError extends CodedError<ControlErrorCode> {
  override readonly name = 'ControlError';
}

/** Longest request or answer line either end accepts (1 MiB); a longer one ends the connection. */
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

/** What a monitor tells the primary in each heartbeat, for `stats`. */
export interface MonitorStats {
  /** Connection request seen → exact rule acknowledged, in ms. */
  ruleInstallMs: { count: number; p50: number | null; p99: number | null; max: number | null };
  flows: number;
  listens: number;
  polls: number;
  flowAddsRefused: number;
}

export type Request =
  | { op: 'hello'; processor: number; secret: string; portRange?: [number, number]; version?: number }
  | { op: 'listen'; proto: Proto; port: number; shared?: boolean }
  | { op: 'unlisten'; proto: Proto; port: number }
  | ({ op: 'flow-add' } & WireFlow)
  | ({ op: 'flow-del' } & WireFlow)
  | { op: 'heartbeat'; stats?: MonitorStats }
  | { op: 'stats' };

/** A flow key as a string, for maps: `tcp4 SRC:SPORT > DST:DPORT`. */
export const wireFlowKey = (f: WireFlow): string => `${f.proto}${f.family} ${f.srcIp}:${f.srcPort} > ${f.dstIp}:${f.dstPort}`;

/** Bytes ↔ text of a flow: addresses in canonical form, so keys compare as strings. */
export function toWireFlow(f: { family: Family; proto: Proto; srcIp: Uint8Array; srcPort: number; dstIp: Uint8Array; dstPort: number }): WireFlow {
  return { family: f.family, proto: f.proto, srcIp: formatIp(f.srcIp, f.family), srcPort: f.srcPort, dstIp: formatIp(f.dstIp, f.family), dstPort: f.dstPort };
}

const isPort = (v: unknown): v is number => Number.isInteger(v) && (v as number) >= 0 && (v as number) <= 65535;
const isProto = (v: unknown): v is Proto => v === 'tcp' || v === 'udp';

/** Checks a request's shape; the message names the bad field. */
export function checkRequest(msg: Record<string, unknown>): Request {
  const bad = (field: string, want: string) => new ControlError('EPROTO', `${String(msg.op)}: field "${field}" ${JSON.stringify(msg[field])} is not ${want}`);
  switch (msg.op) {
    case 'hello':
      if (!Number.isInteger(msg.processor) || (msg.processor as number) < 1) throw bad('processor', 'a processor number ≥ 1');
      if (typeof msg.secret !== 'string') throw bad('secret', 'a string');
      if (msg.portRange !== undefined) {
        const r = msg.portRange as unknown[];
        if (!Array.isArray(r) || r.length !== 2 || !isPort(r[0]) || !isPort(r[1]) || r[0] > r[1]) throw bad('portRange', '[low, high] ports');
      }
      return msg as Request;
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
    case 'stats':
      return msg as Request;
    default:
      throw new ControlError('EPROTO', `unknown op ${JSON.stringify(msg.op)} (expected hello, listen, unlisten, flow-add, flow-del, heartbeat, stats)`);
  }
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
          const e = (msg.error ?? {}) as { code?: ControlErrorCode; message?: string };
          return new ControlError(e.code ?? 'EPROTO', e.message ?? 'refused');
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

  request(body: Request): Promise<JsonObject> {
    return this.client.request(body, { ms: this.timeoutMs, error: () => new ControlError('ETIMEDOUT', `${body.op}: no answer from the primary within ${this.timeoutMs} ms`) });
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
export async function queryPrimary(address: ControlAddress | string, body: Request, timeoutMs = 3000): Promise<Record<string, unknown>> {
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
