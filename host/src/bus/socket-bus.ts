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
//   request carries at most MAX_BATCH_WORDS words (SocketBus splits a larger batch).
// - One connection owns the bus at a time: the server reads nothing from the next
//   connection until the current one closes, so its requests simply wait (a CLI command's
//   table change is never interleaved with another's).
// - `own` asks to own the bus for the rest of the connection (`holder`, optional, names the
//   asker in other clients' errors). Here the connection already does, so it always succeeds.
//   The cluster adapter's bus (cluster/adapter-bus.ts) serves every connection at once: there
//   the first `own` wins, a second while that connection is open is refused with EBUSY naming
//   the holder, and while an owner exists only it may change the table (others read).
// - A line that is not JSON, or an unknown op, is answered with an error (id null when the
//   id could not be read); the connection stays open.
import { existsSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BusError, type BusErrorCode, type RegisterBus } from './bus.js';
import { checkAddress, checkBatch, runBatch, writesOf } from './batch.js';
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

  /** Connects and greets the server; no server → BusError ENOSIM with the hint to start one. */
  static async connect(path: string = defaultSocketPath()): Promise<SocketBus> {
    const socket = await connectTo(path).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT' || err.code === 'ECONNREFUSED' || err.code === 'ENOTSOCK') throw new BusError('ENOSIM', noSimMessage(path), { cause: err });
      throw new BusError('ENOSIM', `cannot reach ${path}: ${err.message}`, { cause: err });
    });
    const bus = new SocketBus(socket, path);
    const hello = await bus.request({ op: 'hello' });
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
    // after close or a failure: one message, whatever ended the connection
    if (this.client.closed) return Promise.reject(closedBus());
    return this.client.request(body);
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
 * Who may do what on a served bus. `sim serve` serves one connection at a time and lets it do
 * everything; the cluster adapter's bus (cluster/adapter-bus.ts) gives one owner the table.
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
          return { id, values: Array.from(await runBatch(bus, ops)) };
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

/**
 * Serves a register bus on a Unix socket. A socket file left by a dead server is replaced;
 * a live server at the path is an EBUSY error.
 */
export async function serveBus(bus: RegisterBus, path: string, info: { width: number }): Promise<SimServer> {
  await takeSocketPath(path, 'a simulated adapter', (m) => new BusError('EBUSY', m));
  // the connection served owns the bus already: `own` has nothing more to take
  const answer = busAnswerer<Socket>(bus, info);
  const waiting: Socket[] = [];
  const all = new Set<Socket>();
  let owner: Socket | null = null;

  const next = () => {
    while (!owner && waiting.length) {
      const s = waiting.shift()!;
      if (s.destroyed) continue;
      owner = s;
      serve(s);
    }
  };

  const serve = (socket: Socket) => {
    const requests = new Sequence();
    const send = inOrderAnswers(socket);
    onLines(socket, (line) => void send(requests.run(() => answer(line, socket))));
    socket.resume();
  };

  const server: Server = createServer({ pauseOnConnect: true }, (socket) => {
    all.add(socket);
    socket.setEncoding('utf8');
    socket.on('error', () => socket.destroy());
    socket.on('close', () => {
      all.delete(socket);
      if (owner === socket) owner = null;
      next();
    });
    waiting.push(socket);
    next();
  });
  await listenOn(server, path);

  return {
    path,
    width: info.width,
    close: closerOf(server, all, path),
  };
}
