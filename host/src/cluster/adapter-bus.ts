// The cluster adapter's register bus socket: the protocol of socket-bus.ts (SocketBus connects
// unchanged: hello/read/write/batch, newline-delimited JSON), with one difference in who may
// talk. `sim serve` lets one connection own the bus at a time; in a cluster the primary keeps
// its connection for its whole life, and `sipnic --socket <dir>/bus.sock flow list` must still
// answer. So here every connection is served, and requests from all connections run one at a
// time, each whole: a batch (how the driver issues every table command: stage, command, poll,
// read back) never interleaves with another request. Reads from the CLI are therefore safe
// beside the primary; table changes belong to the primary (its registry caches what it wrote).
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { lstatSync, unlinkSync } from 'node:fs';
import { BusError, runBatch, type RegisterBus } from '../bus.js';
import { PROTOCOL_VERSION, type SimServer } from '../socket-bus.js';
import { trace, tracing, traceNow } from './trace.js';

export async function serveSharedBus(bus: RegisterBus, path: string, info: { width: number }): Promise<SimServer> {
  await clearStale(path);
  const sockets = new Set<Socket>();
  let chain: Promise<void> = Promise.resolve();

  const handle = async (line: string): Promise<Record<string, unknown>> => {
    let id: unknown = null;
    try {
      const req = JSON.parse(line) as Record<string, unknown>;
      id = req.id ?? null;
      switch (req.op) {
        case 'hello':
          return { id, server: 'sipnic-sim', version: PROTOCOL_VERSION, width: info.width, shared: true };
        case 'read':
          return { id, value: await bus.read(Number(req.addr)) };
        case 'write':
          await bus.write(Number(req.addr), Number(req.value));
          return { id };
        case 'batch': {
          if (!Array.isArray(req.ops)) throw new BusError('EPROTO', 'batch needs "ops": a list of numbers');
          return { id, values: Array.from(await runBatch(bus, Uint32Array.from(req.ops as number[]))) };
        }
        default:
          throw new BusError('EPROTO', `unknown op ${JSON.stringify(req.op)} (expected hello, read, write, batch)`);
      }
    } catch (err) {
      const code = err instanceof BusError ? err.code : err instanceof SyntaxError ? 'EPROTO' : 'EREMOTE';
      return { id, error: { code, message: err instanceof Error ? err.message : String(err) } };
    }
  };

  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.setEncoding('utf8');
    let buffer = '';
    socket.on('data', (chunk: string) => {
      buffer += chunk;
      let nl: number;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        if (line.trim() === '') continue;
        const rx = tracing ? traceNow() : 0;
        chain = chain.then(async () => {
          if (socket.destroyed) return;
          const start = tracing ? traceNow() : 0;
          const answer = await handle(line);
          if (!socket.destroyed) socket.write(JSON.stringify(answer) + '\n');
          if (tracing) trace('bus', { start, tx: traceNow(), bytes: line.length }, rx);
        });
      }
    });
    socket.on('error', () => socket.destroy());
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => {
      server.removeListener('error', reject);
      resolve();
    });
  });
  let closing: Promise<void> | undefined;
  return {
    path,
    width: info.width,
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      }).then(() => {
        try {
          unlinkSync(path);
        } catch {
          // already gone
        }
      });
      return closing;
    },
  };
}

async function clearStale(path: string): Promise<void> {
  let stat;
  try {
    stat = lstatSync(path);
  } catch {
    return;
  }
  if (!stat.isSocket()) throw new BusError('EBUSY', `${path} exists and is not a socket; not replacing it`);
  const alive = await new Promise<boolean>((resolve) => {
    const s = createConnection(path);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
  if (alive) throw new BusError('EBUSY', `a register bus is already served at ${path}`);
  unlinkSync(path);
}
