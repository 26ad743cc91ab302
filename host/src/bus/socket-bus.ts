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
//   each triple answers one word (value read, last polled value, 0 for a write).
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
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BusError, checkAddress, checkBatch, runBatch, type BusErrorCode, type RegisterBus } from './bus.js';
import { takeSocketPath, listenOn, closerOf } from './unix-socket.js';

export const PROTOCOL_VERSION = 1;

/** SIPNIC_SOCKET, else $XDG_RUNTIME_DIR/sipnic.sock, else /tmp/sipnic-<uid>.sock. */
export function defaultSocketPath(env: NodeJS.ProcessEnv = process.env): string {
  if (env.SIPNIC_SOCKET) return env.SIPNIC_SOCKET;
  if (env.XDG_RUNTIME_DIR) return join(env.XDG_RUNTIME_DIR, 'sipnic.sock');
  const uid = typeof process.getuid === 'function' ? process.getuid() : 0;
  return join(existsSync('/tmp') ? '/tmp' : tmpdir(), `sipnic-${uid}.sock`);
}

export const noSimMessage = (path: string): string => `no simulated adapter at ${path} — start one with \`sipnic sim serve\``;

interface Pending {
  resolve(value: Record<string, unknown>): void;
  reject(err: Error): void;
}

export interface ServerHello {
  server: string;
  version: number;
  width: number;
}

/** A RegisterBus reaching `sipnic sim serve` over its Unix socket. */
export class SocketBus implements RegisterBus {
  private nextId = 1;
  private buffer = '';
  private readonly pending = new Map<number, Pending>();
  private closed = false;
  hello?: ServerHello;

  private constructor(
    private readonly socket: Socket,
    readonly path: string,
  ) {
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => this.onData(chunk));
    socket.on('close', () => this.fail(new BusError('ECLOSED', `the simulated adapter at ${path} closed the connection`)));
    socket.on('error', (err) => this.fail(new BusError('ECLOSED', `connection to ${path} failed: ${err.message}`, { cause: err })));
  }

  /** Connects and greets the server; no server → BusError ENOSIM with the hint to start one. */
  static async connect(path: string = defaultSocketPath()): Promise<SocketBus> {
    const socket = await new Promise<Socket>((resolve, reject) => {
      const s = createConnection(path);
      s.once('connect', () => {
        s.removeAllListeners('error');
        resolve(s);
      });
      s.once('error', (err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT' || err.code === 'ECONNREFUSED' || err.code === 'ENOTSOCK') reject(new BusError('ENOSIM', noSimMessage(path), { cause: err }));
        else reject(new BusError('ENOSIM', `cannot reach ${path}: ${err.message}`, { cause: err }));
      });
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
    const r = await this.request({ op: 'batch', ops: Array.from(ops) });
    const values = r.values as number[];
    if (!Array.isArray(values) || values.length !== ops.length / 3) throw new BusError('EPROTO', `batch of ${ops.length / 3} ops answered ${Array.isArray(values) ? values.length : 'no'} values`);
    return Uint32Array.from(values);
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
    if (this.closed) return;
    this.closed = true;
    await new Promise<void>((resolve) => {
      this.socket.once('close', () => resolve());
      this.socket.end();
      setTimeout(() => {
        this.socket.destroy();
        resolve();
      }, 1000).unref();
    });
  }

  private request(body: Record<string, unknown>): Promise<Record<string, unknown>> {
    if (this.closed) return Promise.reject(new BusError('ECLOSED', 'register bus is closed'));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.socket.write(JSON.stringify({ id, ...body }) + '\n');
    });
  }

  private onData(chunk: string): void {
    this.buffer += chunk;
    let nl: number;
    while ((nl = this.buffer.indexOf('\n')) >= 0) {
      const line = this.buffer.slice(0, nl);
      this.buffer = this.buffer.slice(nl + 1);
      let msg: Record<string, unknown>;
      try {
        msg = JSON.parse(line);
      } catch {
        this.fail(new BusError('EPROTO', `the server sent a line that is not JSON: ${line.slice(0, 80)}`));
        return;
      }
      const p = this.pending.get(msg.id as number);
      if (!p) continue;
      this.pending.delete(msg.id as number);
      const error = msg.error as { code?: string; message?: string } | undefined;
      if (error) p.reject(new BusError((error.code as BusErrorCode) ?? 'EREMOTE', error.message ?? 'server error'));
      else p.resolve(msg);
    }
  }

  private fail(err: BusError): void {
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
    this.closed = true;
  }
}

// ───────────────────────────── server ─────────────────────────────

export interface SimServer {
  readonly path: string;
  readonly width: number;
  /** Stops accepting, closes every connection and removes the socket file. */
  close(): Promise<void>;
}

/**
 * Serves a register bus on a Unix socket. A socket file left by a dead server is replaced;
 * a live server at the path is an EBUSY error.
 */
export async function serveBus(bus: RegisterBus, path: string, info: { width: number }): Promise<SimServer> {
  await takeSocketPath(path, 'a simulated adapter', (m) => new BusError('EBUSY', m));
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
    let buffer = '';
    let chain = Promise.resolve();
    socket.on('data', (chunk: string) => {
      buffer += chunk;
      let nl: number;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        if (line.trim() === '') continue;
        chain = chain.then(async () => {
          const answer = await handle(line);
          if (!socket.destroyed) socket.write(JSON.stringify(answer) + '\n');
        });
      }
    });
    socket.resume();
  };

  const handle = async (line: string): Promise<Record<string, unknown>> => {
    let id: unknown = null;
    try {
      const req = JSON.parse(line) as Record<string, unknown>;
      id = req.id ?? null;
      switch (req.op) {
        case 'hello':
          return { id, server: 'sipnic-sim', version: PROTOCOL_VERSION, width: info.width };
        case 'read':
          return { id, value: await bus.read(Number(req.addr)) };
        case 'write':
          await bus.write(Number(req.addr), Number(req.value));
          return { id };
        case 'batch': {
          if (!Array.isArray(req.ops)) throw new BusError('EPROTO', 'batch needs "ops": a list of numbers');
          const ops = Uint32Array.from(req.ops as number[]);
          const values = await runBatch(bus, ops);
          return { id, values: Array.from(values) };
        }
        case 'own':
          // this connection owns the bus until it closes: nothing more to take
          return { id };
        default:
          throw new BusError('EPROTO', `unknown op ${JSON.stringify(req.op)} (expected hello, read, write, batch, own)`);
      }
    } catch (err) {
      const code = err instanceof BusError ? err.code : err instanceof SyntaxError ? 'EPROTO' : 'EREMOTE';
      return { id, error: { code, message: err instanceof Error ? err.message : String(err) } };
    }
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

