// The frame port over a Unix socket: FramePortClient (what the primary and the monitors use)
// and serveFramePort (the adapter's side). A Unix socket path works across network
// namespaces (the path is resolved in the file system, not the network namespace), so a
// monitor inside a processor's namespace reaches the adapter in the root namespace.
//
// Framing (all integers big-endian):
//
//   message   = length:u32 (bytes after this field) · type:u8 · id:u32 · body
//
//   client → adapter                 body
//   0x01 hello                       version:u16 · role (UTF-8, may be empty)
//   0x02 claim-queue                 queue:u16          one claimant per queue; a second claim is EBUSY
//   0x03 watch-connection-requests   queue:u16
//   0x04 watch-connection-opens      processor:u16
//   0x05 deliver                     processor:u16 · frame
//   0x06 transmit                    frame
//   0x07 stats                       (empty)
//   0x08 release-queue               queue:u16          (the claim also ends when the connection closes)
//
//   adapter → client
//   0x80 reply                       status:u8 (0 ok, 1 error) · JSON (UTF-8): the result, or {code, message}
//   0x81 frame                       source:u8 (1 queue, 2 connection-request, 3 connection-open) · number:u16 · frame
//
// - Every request is answered by one reply with the request's id, in order. A request with
//   id 0 is not answered unless it fails (fire and forget: deliver/transmit in bulk).
// - hello answers {server: "sipnic-frame-port", version, processors, queues}; stats answers
//   the adapter's counters (AdapterStats in adapter.ts). A frame message has id 0; number is
//   the queue (sources 1, 2) or the processor (source 3).
// - Frames are Ethernet frames without FCS. A claimant that does not read falls behind: past
//   4 MiB waiting in its socket the adapter drops its frames and counts them (slowConsumerDrops).
import { createServer, type Server, type Socket } from 'node:net';
import type { FrameEvent, FramePort } from './frame-port.js';
import { PendingRequests } from '../bus/pending.js';
import { takeSocketPath, listenOn, closerOf, connectTo, endSocket } from '../bus/unix-socket.js';
import { CodedError } from '../util/errors.js';

export const FRAME_PORT_VERSION = 1;

export const MSG = {
  hello: 0x01,
  claimQueue: 0x02,
  watchConnectionRequests: 0x03,
  watchConnectionOpens: 0x04,
  deliver: 0x05,
  transmit: 0x06,
  stats: 0x07,
  releaseQueue: 0x08,
  reply: 0x80,
  frame: 0x81,
} as const;

export const FRAME_SOURCE = { queue: 1, 'connection-request': 2, 'connection-open': 3 } as const;
const SOURCE_NAME = { 1: 'queue', 2: 'connection-request', 3: 'connection-open' } as const;

/** Largest message accepted (a jumbo frame plus headers, with room to spare). */
const MAX_MESSAGE = 65536 + 64;

export type FramePortErrorCode = 'ENOADAPTER' | 'ECLOSED' | 'EPROTO' | 'EBUSY' | 'EINVAL' | 'EREMOTE';

export class FramePortError extends CodedError<FramePortErrorCode> {
  override readonly name = 'FramePortError';
}

/** One encoded message: header plus body parts. */
export function encodeMessage(type: number, id: number, ...parts: Uint8Array[]): Buffer {
  const bodyLength = parts.reduce((n, p) => n + p.length, 0);
  const out = Buffer.allocUnsafe(4 + 5 + bodyLength);
  out.writeUInt32BE(5 + bodyLength, 0);
  out[4] = type;
  out.writeUInt32BE(id >>> 0, 5);
  let at = 9;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

const u16 = (v: number): Uint8Array => Uint8Array.of((v >>> 8) & 0xff, v & 0xff);

export interface Message {
  type: number;
  id: number;
  body: Buffer;
}

/** Splits a byte stream into messages. */
export class MessageReader {
  private chunks: Buffer[] = [];
  private length = 0;

  /** Feeds bytes; returns the complete messages. Throws FramePortError EPROTO on a bad length. */
  push(chunk: Buffer): Message[] {
    this.chunks.push(chunk);
    this.length += chunk.length;
    const out: Message[] = [];
    if (this.length < 4) return out;
    let buf = this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks, this.length);
    let at = 0;
    while (buf.length - at >= 4) {
      const n = buf.readUInt32BE(at);
      if (n < 5 || n > MAX_MESSAGE) throw new FramePortError('EPROTO', `frame port message of ${n} bytes (expected 5..${MAX_MESSAGE})`);
      if (buf.length - at - 4 < n) break;
      out.push({ type: buf[at + 4], id: buf.readUInt32BE(at + 5), body: buf.subarray(at + 9, at + 4 + n) });
      at += 4 + n;
    }
    buf = buf.subarray(at);
    this.chunks = buf.length ? [buf] : [];
    this.length = buf.length;
    return out;
  }
}

// ───────────────────────────── client ─────────────────────────────

export interface FramePortHello {
  server: string;
  version: number;
  processors: number;
  queues: number;
}

/** A FramePort reached over the adapter's Unix socket. */
export class FramePortClient implements FramePort {
  private readonly pending = new PendingRequests<unknown>();
  private readonly listeners: ((event: FrameEvent) => void)[] = [];
  private readonly closeListeners: ((err?: Error) => void)[] = [];
  private readonly reader = new MessageReader();
  hello?: FramePortHello;

  private constructor(
    private readonly socket: Socket,
    readonly path: string,
  ) {
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('close', () => this.fail(new FramePortError('ECLOSED', `the adapter's frame port at ${path} closed the connection`)));
    socket.on('error', (err) => this.fail(new FramePortError('ECLOSED', `frame port ${path}: ${err.message}`, { cause: err })));
  }

  /** Connects and says hello; no adapter → FramePortError ENOADAPTER. */
  static async connect(path: string, role = ''): Promise<FramePortClient> {
    const socket = await connectTo(path).catch((err: Error) => {
      throw new FramePortError('ENOADAPTER', `no cluster adapter at ${path} (${err.message}) — start one with \`sipnic cluster up\``, { cause: err });
    });
    socket.setNoDelay?.(true);
    const client = new FramePortClient(socket, path);
    const hello = (await client.request(MSG.hello, u16(FRAME_PORT_VERSION), Buffer.from(role, 'utf8'))) as FramePortHello;
    if (hello?.server !== 'sipnic-frame-port') {
      await client.close();
      throw new FramePortError('EPROTO', `${path} is not a sipnic frame port`);
    }
    client.hello = hello;
    return client;
  }

  claimQueue(queue: number): Promise<void> {
    return this.request(MSG.claimQueue, u16(checkNumber('queue', queue))).then(() => undefined);
  }

  releaseQueue(queue: number): Promise<void> {
    return this.request(MSG.releaseQueue, u16(checkNumber('queue', queue))).then(() => undefined);
  }

  watchConnectionRequests(queue: number): Promise<void> {
    return this.request(MSG.watchConnectionRequests, u16(checkNumber('queue', queue))).then(() => undefined);
  }

  watchConnectionOpens(processor: number): Promise<void> {
    return this.request(MSG.watchConnectionOpens, u16(checkNumber('processor', processor))).then(() => undefined);
  }

  onFrame(listener: (event: FrameEvent) => void): void {
    this.listeners.push(listener);
  }

  /** Called once when the connection ends (the adapter went away, or close()). */
  onClose(listener: (err?: Error) => void): void {
    this.closeListeners.push(listener);
  }

  deliver(processor: number, frame: Uint8Array): Promise<void> {
    return this.request(MSG.deliver, u16(checkNumber('processor', processor)), frame).then(() => undefined);
  }

  transmit(frame: Uint8Array): Promise<void> {
    return this.request(MSG.transmit, frame).then(() => undefined);
  }

  /** The adapter's counters (see AdapterStats in adapter.ts). */
  stats<T = Record<string, unknown>>(): Promise<T> {
    return this.request(MSG.stats) as Promise<T>;
  }

  async close(): Promise<void> {
    if (this.pending.closed) return;
    await endSocket(this.socket, 1000);
    this.fail(new FramePortError('ECLOSED', 'frame port closed'));
  }

  private request(type: number, ...parts: Uint8Array[]): Promise<unknown> {
    return this.pending.request((id) => this.socket.write(encodeMessage(type, id, ...parts)));
  }

  private onData(chunk: Buffer): void {
    let messages: Message[];
    try {
      messages = this.reader.push(chunk);
    } catch (err) {
      this.socket.destroy();
      this.fail(err as FramePortError);
      return;
    }
    for (const m of messages) {
      if (m.type === MSG.frame) {
        const source = SOURCE_NAME[m.body[0] as 1 | 2 | 3];
        const number = m.body.readUInt16BE(1);
        const frame = new Uint8Array(m.body.subarray(3));
        const event: FrameEvent =
          source === 'connection-open' ? { source, processor: number, frame } : { source: source ?? 'queue', queue: number, frame };
        for (const l of this.listeners) l(event);
      } else if (m.type === MSG.reply) {
        let value: unknown = undefined;
        try {
          value = m.body.length > 1 ? JSON.parse(m.body.subarray(1).toString('utf8')) : undefined;
        } catch {
          value = undefined;
        }
        if (m.body[0] === 0) this.pending.resolve(m.id, value);
        else {
          const e = (value ?? {}) as { code?: FramePortErrorCode; message?: string };
          this.pending.reject(m.id, new FramePortError(e.code ?? 'EREMOTE', e.message ?? 'frame port request failed'));
        }
      }
    }
  }

  private fail(err: Error): void {
    const first = !this.pending.closed;
    // new requests get one message, whatever ended the connection
    this.pending.refuse(new FramePortError('ECLOSED', `frame port ${this.path} is closed`));
    this.pending.failAll(err);
    if (first) for (const l of this.closeListeners) l(err);
  }
}

function checkNumber(name: string, v: number): number {
  if (!Number.isInteger(v) || v < 0 || v > 0xffff) throw new FramePortError('EINVAL', `${name} must be an integer 0..65535, got ${v}`);
  return v;
}

// ───────────────────────────── server ─────────────────────────────

/** One connection to the frame port, as the adapter sees it. */
export interface FramePortPeer {
  readonly id: number;
  role: string;
  /** Sends a frame event; false when the peer is too far behind and the frame was dropped. */
  send(source: keyof typeof FRAME_SOURCE, number: number, frame: Uint8Array): boolean;
}

/** What the adapter does for the frame port's requests. Throw FramePortError to answer an error. */
export interface FramePortHandler {
  hello(peer: FramePortPeer): unknown;
  claimQueue(peer: FramePortPeer, queue: number): void;
  releaseQueue(peer: FramePortPeer, queue: number): void;
  watchConnectionRequests(peer: FramePortPeer, queue: number): void;
  watchConnectionOpens(peer: FramePortPeer, processor: number): void;
  deliver(peer: FramePortPeer, processor: number, frame: Uint8Array): void;
  transmit(peer: FramePortPeer, frame: Uint8Array): void;
  stats(peer: FramePortPeer): unknown;
  /** The peer is gone: its claims and watches end. */
  disconnected(peer: FramePortPeer): void;
}

export interface FramePortServer {
  readonly path: string;
  close(): Promise<void>;
}

const SLOW_CONSUMER_BYTES = 4 << 20;

/** Serves the frame port on a Unix socket; a stale socket file is replaced, a live one refused. */
export async function serveFramePort(path: string, handler: FramePortHandler): Promise<FramePortServer> {
  await takeSocketPath(path, 'a frame port', (m) => new FramePortError('EBUSY', m));
  const sockets = new Set<Socket>();
  let nextPeer = 1;
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.setNoDelay?.(true);
    const reader = new MessageReader();
    const peer: FramePortPeer = {
      id: nextPeer++,
      role: '',
      send(source, number, frame) {
        if (socket.destroyed || socket.writableLength > SLOW_CONSUMER_BYTES) return false;
        socket.write(encodeMessage(MSG.frame, 0, Uint8Array.of(FRAME_SOURCE[source], (number >>> 8) & 0xff, number & 0xff), frame));
        return true;
      },
    };
    const reply = (id: number, ok: boolean, value: unknown) => {
      if (socket.destroyed) return;
      if (ok && id === 0) return;
      const json = value === undefined ? Buffer.alloc(0) : Buffer.from(JSON.stringify(value), 'utf8');
      socket.write(encodeMessage(MSG.reply, id, Uint8Array.of(ok ? 0 : 1), json));
    };
    socket.on('data', (chunk: Buffer) => {
      let messages: Message[];
      try {
        messages = reader.push(chunk);
      } catch (err) {
        reply(0, false, { code: 'EPROTO', message: (err as Error).message });
        socket.destroy();
        return;
      }
      for (const m of messages) {
        try {
          reply(m.id, true, dispatch(handler, peer, m));
        } catch (err) {
          const code = err instanceof FramePortError ? err.code : 'EREMOTE';
          reply(m.id, false, { code, message: err instanceof Error ? err.message : String(err) });
        }
      }
    });
    socket.on('error', () => socket.destroy());
    socket.on('close', () => {
      sockets.delete(socket);
      handler.disconnected(peer);
    });
  });
  await listenOn(server, path);
  return {
    path,
    close: closerOf(server, sockets, path),
  };
}

/** The requests whose body is one u16 (a queue or a processor), and the handler method each calls. */
const U16_REQUESTS = {
  [MSG.claimQueue]: 'claimQueue',
  [MSG.releaseQueue]: 'releaseQueue',
  [MSG.watchConnectionRequests]: 'watchConnectionRequests',
  [MSG.watchConnectionOpens]: 'watchConnectionOpens',
} as const;

function dispatch(h: FramePortHandler, peer: FramePortPeer, m: Message): unknown {
  const need = (n: number) => {
    if (m.body.length < n) throw new FramePortError('EPROTO', `message type 0x${m.type.toString(16)} needs at least ${n} body bytes, got ${m.body.length}`);
  };
  const u16Request = U16_REQUESTS[m.type as keyof typeof U16_REQUESTS];
  if (u16Request) {
    need(2);
    return h[u16Request](peer, m.body.readUInt16BE(0));
  }
  switch (m.type) {
    case MSG.hello:
      need(2);
      if (m.body.readUInt16BE(0) !== FRAME_PORT_VERSION) throw new FramePortError('EPROTO', `frame port version ${m.body.readUInt16BE(0)} is not ${FRAME_PORT_VERSION}`);
      peer.role = m.body.subarray(2).toString('utf8');
      return h.hello(peer);
    case MSG.deliver:
      need(2 + 14);
      return h.deliver(peer, m.body.readUInt16BE(0), new Uint8Array(m.body.subarray(2)));
    case MSG.transmit:
      need(14);
      return h.transmit(peer, new Uint8Array(m.body));
    case MSG.stats:
      return h.stats(peer);
    default:
      throw new FramePortError('EPROTO', `unknown frame port message type 0x${m.type.toString(16)}`);
  }
}
