// The register bus over a Unix socket: `sipnic sim serve` keeps one simulated adapter alive in
// a long-lived process, and each CLI invocation reaches its registers through SocketBus.
//
// Protocol (newline-delimited JSON, one object per line, UTF-8):
//
//   client → server                                   server → client
//   {"id":1,"op":"hello"}                             {"id":1,"server":"sipnic-sim","version":1,"width":64}
//   {"id":2,"op":"read","addr":28}                    {"id":2,"value":305419896}
//   {"id":3,"op":"write","addr":28,"value":1}         {"id":3}
//   {"id":4,"op":"batch","ops":[0,28,0, 1,28,5, ...]} {"id":4,"values":[...one word per triple]}
//   {"id":5,"op":"own","holder":"primary (pid 42)"}   {"id":5}
//   any request that fails                            {"id":n,"error":{"code":"EADDR","message":"..."}}
//
// - `id` is the client's; the answer carries it back. Requests are answered in order.
// - Addresses are byte addresses, values unsigned 32-bit integers. A batch is a flat list of
//   triples [op, addr, value]: op 0 read, 1 write, 2 poll (read addr until (v & value) == 0);
//   each triple answers one word (value read, last polled value, 0 for a write). A missing or
//   malformed `addr`, `value` or batch word is EPROTO naming it (never read as 0); one batch
//   request carries at most MAX_BATCH_WORDS words (SocketBus splits a larger batch). The polls
//   of one request may repeat their reads SERVED_POLLS.maxReads (100,000) times in all, then
//   the request is answered ETIMEDOUT (batch.ts: runBoundedBatch; the event loop turns every
//   256 reads, so the server keeps accepting, reading and timing out connections meanwhile).
// - Every connection is served at once; the bus runs one request at a time, each whole (a
//   batch — every table command of the driver is one — never interleaves with another
//   request), in the order the requests arrive. A connection with MAX_PENDING requests
//   waiting, or with MAX_BUFFERED bytes of answers it has not read, is not read from until it
//   catches up: a client that sends and never reads holds a bounded amount of memory and
//   delays no one.
// - A request line longer than MAX_REQUEST_LINE (1 MiB; the largest batch is ~540 KB) is
//   answered {"id":null,"error":{"code":"EPROTO",…}} and the connection ended (the rest of
//   the line is read and dropped, never buffered). A connection that sends nothing for the
//   idle timeout (`sim serve --idle-timeout`, default 60 s) while none of its requests waits
//   is told {"id":null,"error":{"code":"ETIMEDOUT",…}} and ended (one whose answers sit unread
//   is just closed). A client that ends its side still gets the answers to what it sent.
// - `own` asks to own the bus for the rest of the connection (`holder`, optional, names the
//   asker in other clients' errors). `sim serve` always grants it and guards nothing (every
//   connection may change the table); an owner (the primary) is never timed out as idle.
//   The cluster adapter's bus (cluster/adapter-bus.ts) is stricter: there the first `own`
//   wins, a second while that connection is open is refused with EBUSY naming the holder,
//   and while an owner exists only it may change the table (others read).
// - A line that is not JSON, or an unknown op, is answered with an error (id null when the
//   id could not be read); the connection stays open.
// - SocketBus waits CONNECT_TIMEOUT_MS (5 s) for the connection and the hello answer, and
//   ANSWER_TIMEOUT_MS (30 s) for each later answer, then fails with ETIMEDOUT naming the path.
import { existsSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BusError, type BusErrorCode, type RegisterBus } from './bus.js';
import { checkAddress, checkBatch, runBoundedBatch, writesOf } from './batch.js';
import { inOrderAnswers, JsonLineClient, onLines, type JsonObject } from './ndjson.js';
import { Sequence } from '../util/sequence.js';
import { takeSocketPath, listenOn, closerOf, connectTo, endSocket } from './unix-socket.js';

export const PROTOCOL_VERSION = 1;

/** SIPNIC_SOCKET, else $XDG_RUNTIME_DIR/sipnic.sock, else /tmp/sipnic-<uid>.sock. */
export function defaultSocketPath(env: NodeJS.ProcessEnv = process.env): string {
  if (env.SIPNIC_SOCKET) return env.SIPNIC_SOCKET;
  if (env.XDG_RUNTIME_DIR) return join(env.XDG_RUNTIME_DIR, 'sipnic.sock');
  const uid = typeof process.getuid === 'function' ? process.getuid() : 0;
  return join(existsSync('/tmp') ? '/tmp' : tmpdir(), `sipnic-${uid}.sock`);
}

export const noSimMessage = (path: string): string => `no simulated adapter at ${path} — start one with \`sipnic sim serve\``;

/** How long SocketBus waits before it gives up (SocketBus.connect). */
export interface SocketBusTimeouts {
  /** For the connection and the server's answer to hello, in ms (default CONNECT_TIMEOUT_MS). */
  connectMs?: number;
  /** For the answer to each later request, in ms (default ANSWER_TIMEOUT_MS). */
  answerMs?: number;
}

export const CONNECT_TIMEOUT_MS = 5000;
export const ANSWER_TIMEOUT_MS = 30_000;

/** ms as seconds for messages: 5000 → "5 s", 250 → "0.25 s". */
const seconds = (ms: number): string => `${Number((ms / 1000).toFixed(3))} s`;

/** What a client tells its user when the server does not answer in time. */
function noAnswer(path: string, ms: number, what: string): BusError {
  return new BusError('ETIMEDOUT', `no answer from the simulated adapter at ${path} within ${seconds(ms)}${what}: is \`sipnic sim serve\` running there, and not stopped (Ctrl-Z, SIGSTOP) or overloaded?`);
}

export interface ServerHello {
  server: string;
  version: number;
  width: number;
}

/** A RegisterBus reaching `sipnic sim serve` (or a cluster adapter) over its Unix socket. */
export class SocketBus implements RegisterBus {
  private readonly client: JsonLineClient;
  hello?: ServerHello;

  private constructor(
    private readonly socket: Socket,
    readonly path: string,
    private readonly answerMs: number,
  ) {
    this.client = new JsonLineClient(socket, {
      answer: (msg) => {
        const error = msg.error as { code?: string; message?: string } | undefined;
        return error ? new BusError((error.code as BusErrorCode) ?? 'EREMOTE', error.message ?? 'server error') : undefined;
      },
      badLine: (_err, raw) => new BusError('EPROTO', `the server sent a line that is not JSON: ${raw.slice(0, 80)}`),
      closed: (err) =>
        err
          ? new BusError('ECLOSED', `connection to ${path} failed: ${err.message}`, { cause: err })
          : new BusError('ECLOSED', `the simulated adapter at ${path} closed the connection`),
    });
  }

  /**
   * Connects and greets the server; no server → BusError ENOSIM with the hint to start one; no
   * connection or no hello answer within timeouts.connectMs → BusError ETIMEDOUT naming path.
   */
  static async connect(path: string = defaultSocketPath(), timeouts: SocketBusTimeouts = {}): Promise<SocketBus> {
    const connectMs = timeouts.connectMs ?? CONNECT_TIMEOUT_MS;
    const start = Date.now();
    const socket = await connectTo(path, connectMs).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ETIMEDOUT') throw noAnswer(path, connectMs, '');
      if (err.code === 'ENOENT' || err.code === 'ECONNREFUSED' || err.code === 'ENOTSOCK') throw new BusError('ENOSIM', noSimMessage(path), { cause: err });
      throw new BusError('ENOSIM', `cannot reach ${path}: ${err.message}`, { cause: err });
    });
    const bus = new SocketBus(socket, path, timeouts.answerMs ?? ANSWER_TIMEOUT_MS);
    let hello: JsonObject;
    try {
      hello = await bus.client.request({ op: 'hello' }, { ms: Math.max(1, connectMs - (Date.now() - start)), error: () => noAnswer(path, connectMs, '') });
    } catch (err) {
      socket.destroy();
      throw err;
    }
    if (hello.server !== 'sipnic-sim') {
      await bus.close();
      throw new BusError('EPROTO', `${path} is not a sipnic simulator socket`);
    }
    bus.hello = { server: String(hello.server), version: Number(hello.version), width: Number(hello.width) };
    return bus;
  }

  async read(addr: number): Promise<number> {
    checkAddress(addr);
    return Number((await this.request({ op: 'read', addr })).value) >>> 0;
  }

  async write(addr: number, value: number): Promise<void> {
    checkAddress(addr);
    await this.request({ op: 'write', addr, value: value >>> 0 });
  }

  async batch(ops: Uint32Array): Promise<Uint32Array> {
    checkBatch(ops);
    // in requests the server takes (MAX_BATCH_WORDS each), answered in order
    const out = new Uint32Array(ops.length / 3);
    for (let at = 0; at < ops.length; at += MAX_BATCH_WORDS) {
      const part = ops.subarray(at, at + MAX_BATCH_WORDS);
      const r = await this.request({ op: 'batch', ops: Array.from(part) });
      const values = r.values as number[];
      if (!Array.isArray(values) || values.length !== part.length / 3) throw new BusError('EPROTO', `batch of ${part.length / 3} ops answered ${Array.isArray(values) ? values.length : 'no'} values`);
      out.set(values, at / 3);
    }
    return out;
  }

  /**
   * Asks to own the bus for the rest of this connection (the primary does, on start). On a
   * cluster adapter's bus, another connection's table changes are then refused; another owner
   * already connected → BusError EBUSY naming it.
   */
  async own(holder: string): Promise<void> {
    await this.request({ op: 'own', holder });
  }

  async close(): Promise<void> {
    if (this.client.closed) return;
    this.client.refuse(closedBus());
    await endSocket(this.socket, 1000);
  }

  private request(body: JsonObject): Promise<JsonObject> {
    // after close: one message; after a failure: what ended the connection (the server's
    // reason when it gave one, as for an idle connection)
    if (this.client.closed) return Promise.reject(this.client.closedError ?? closedBus());
    return this.client.request(body, { ms: this.answerMs, error: () => noAnswer(this.path, this.answerMs, ` to a ${String(body.op)} request`) });
  }
}

const closedBus = () => new BusError('ECLOSED', 'register bus is closed');

// ───────────────────────────── server ─────────────────────────────

export interface SimServer {
  readonly path: string;
  readonly width: number;
  /** Stops accepting, closes every connection and removes the socket file. */
  close(): Promise<void>;
}

/**
 * Who may do what on a served bus. `sim serve` lets every connection do everything; the cluster
 * adapter's bus (cluster/adapter-bus.ts) gives one owner the table.
 */
export interface BusAccess<C> {
  /** Fields the hello answer adds. */
  hello?: JsonObject;
  /** `own` from conn with the holder it named (anything the client sent); throws BusError to refuse. */
  own(conn: C, holder: unknown): void;
  /** Throws BusError EBUSY when conn may not make these writes ([addr, value]). */
  guard(conn: C, writes: Iterable<[number, number]>): void;
}

/** Words one batch request may carry (triples): bounds the work one line can ask for. */
export const MAX_BATCH_WORDS = 3 * 16384;

const isWord = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 0xffffffff;

/** A request's 32-bit field; a missing or malformed one is EPROTO naming it (never read as 0). */
function wordField(req: JsonObject, name: string): number {
  const v = req[name];
  if (!isWord(v)) throw new BusError('EPROTO', `"${name}" is ${v === undefined ? 'missing' : JSON.stringify(v)}; expected a number 0..0xFFFFFFFF`);
  return v;
}

/** The answer to one request line of the protocol above, for a connection conn. Never throws: failures are answers. */
export function busAnswerer<C>(bus: RegisterBus, info: { width: number }, access?: BusAccess<C>): (line: string, conn: C) => Promise<JsonObject> {
  return async (line, conn) => {
    let id: unknown = null;
    try {
      const req = JSON.parse(line) as JsonObject;
      id = req.id ?? null;
      switch (req.op) {
        case 'hello':
          return { id, server: 'sipnic-sim', version: PROTOCOL_VERSION, width: info.width, ...access?.hello };
        case 'own':
          access?.own(conn, req.holder);
          return { id };
        case 'read':
          return { id, value: await bus.read(wordField(req, 'addr')) };
        case 'write': {
          const addr = wordField(req, 'addr');
          const value = wordField(req, 'value');
          access?.guard(conn, [[addr, value]]);
          await bus.write(addr, value);
          return { id };
        }
        case 'batch': {
          if (!Array.isArray(req.ops)) throw new BusError('EPROTO', 'batch needs "ops": a list of numbers');
          if (req.ops.length > MAX_BATCH_WORDS) throw new BusError('EPROTO', `batch of ${req.ops.length} words; at most ${MAX_BATCH_WORDS} (${MAX_BATCH_WORDS / 3} ops) in one request`);
          req.ops.forEach((w, i) => {
            if (!isWord(w)) throw new BusError('EPROTO', `batch "ops"[${i}] is ${JSON.stringify(w)}, not a number 0..0xFFFFFFFF`);
          });
          const ops = Uint32Array.from(req.ops as number[]);
          access?.guard(conn, writesOf(ops));
          return { id, values: Array.from(await runBoundedBatch(bus, ops)) };
        }
        default:
          throw new BusError('EPROTO', `unknown op ${JSON.stringify(req.op)} (expected hello, read, write, batch, own)`);
      }
    } catch (err) {
      const code = err instanceof BusError ? err.code : err instanceof SyntaxError ? 'EPROTO' : 'EREMOTE';
      return { id, error: { code, message: err instanceof Error ? err.message : String(err) } };
    }
  };
}

/** How `sim serve` treats its connections (serveBus). */
export interface ServeOptions {
  /**
   * A connection that sends nothing for this long (ms) while none of its requests waits is told
   * so and ended; 0 never. Default DEFAULT_IDLE_TIMEOUT_MS. An owner (`own`) is never timed out.
   */
  idleTimeoutMs?: number;
  /** Longest request line in bytes (default MAX_REQUEST_LINE): a longer one is EPROTO and the end of the connection. */
  maxLine?: number;
}

export const DEFAULT_IDLE_TIMEOUT_MS = 60_000;
/** Longest request line: the largest batch (MAX_BATCH_WORDS words of up to 10 digits) is ~540 KB. */
export const MAX_REQUEST_LINE = 1 << 20;
/** Requests one connection may have waiting; beyond, it is not read from until one is answered. */
export const MAX_PENDING = 16;
/** Answer bytes a connection has not read; beyond, it is not read from until it reads them. */
export const MAX_BUFFERED = 1 << 20;
/** After the server ended a connection (idle, line too long): how long the peer has to close its side. */
const CLOSE_GRACE_MS = 2000;

/**
 * Serves a register bus on a Unix socket: every connection at once, the bus one request at a
 * time in arrival order (see the protocol above). A socket file left by a dead server is
 * replaced; a live server at the path is an EBUSY error.
 */
export async function serveBus(bus: RegisterBus, path: string, info: { width: number }, options: ServeOptions = {}): Promise<SimServer> {
  await takeSocketPath(path, 'a simulated adapter', (m) => new BusError('EBUSY', m));
  const idleMs = options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
  const maxLine = options.maxLine ?? MAX_REQUEST_LINE;
  // one request at a time, whichever connection it came from
  const requests = new Sequence();
  // `own` is always granted here; an owner is not timed out as idle
  const owners = new WeakSet<Socket>();
  const answer = busAnswerer<Socket>(bus, info, { own: (socket) => void owners.add(socket), guard: () => {} });
  const all = new Set<Socket>();

  const server: Server = createServer({ allowHalfOpen: true }, (socket) => {
    all.add(socket);
    /** Requests read and not yet answered. */
    let waiting = 0;
    /** The client ended its side: once everything is answered, so do we. */
    let peerEnded = false;
    /** We ended the connection (idle, line too long): nothing more is served. */
    let closing = false;
    const send = inOrderAnswers(socket, { maxPending: MAX_PENDING, maxBuffered: MAX_BUFFERED });
    const idle = () => socket.setTimeout(idleMs > 0 && waiting === 0 && !closing && !owners.has(socket) ? idleMs : 0);
    const end = () => {
      if (socket.writableEnded || socket.destroyed) return;
      socket.end();
      if (closing) setTimeout(() => socket.destroy(), CLOSE_GRACE_MS).unref();
    };
    const reply = (answer: Promise<JsonObject | undefined>) => {
      waiting++;
      idle();
      void send(answer).then(() => {
        waiting--;
        idle();
        if ((peerEnded || closing) && waiting === 0) end();
      });
    };
    onLines(
      socket,
      (line) => {
        if (!closing) reply(requests.run(async () => (socket.destroyed ? undefined : answer(line, socket))));
      },
      maxLine,
      (_err, head) => {
        closing = true;
        reply(Promise.resolve({ id: null, error: { code: 'EPROTO', message: `request line longer than ${maxLine} bytes (it starts ${JSON.stringify(head.slice(0, 40))}); closing the connection` } }));
      },
      { afterTooLong: 'discard' },
    );
    socket.on('timeout', () => {
      // a client that does not read its answers is told nothing more
      if (closing || socket.writableLength > 0) return socket.destroy();
      closing = true;
      socket.setTimeout(0);
      socket.write(JSON.stringify({ id: null, error: { code: 'ETIMEDOUT', message: `sim serve ended this connection: nothing sent for ${idleMs / 1000} s (sim serve --idle-timeout)` } }) + '\n');
      end();
    });
    socket.on('end', () => {
      peerEnded = true;
      if (waiting === 0) end();
    });
    socket.on('error', () => socket.destroy());
    socket.on('close', () => all.delete(socket));
    idle();
  });
  await listenOn(server, path);

  return {
    path,
    width: info.width,
    close: closerOf(server, all, path),
  };
}
