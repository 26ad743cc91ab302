// What every Unix-socket server of the host shares (the register bus of `sim serve` and of the
// cluster's adapter, the frame port, the primary's control socket): taking over the socket's
// path from a dead server, listening, and closing with the file removed; and how their clients
// connect and end a connection.
import { lstatSync, unlinkSync } from 'node:fs';
import { createConnection, type Server, type Socket } from 'node:net';

/**
 * Frees path for a new server: nothing there is fine; a socket nobody answers on is removed
 * (its server died); anything else — a live server, or a file that is not a socket — is left
 * alone and reported through refuse(message), whose error is thrown.
 */
export async function takeSocketPath(path: string, serverName: string, refuse: (message: string) => Error): Promise<void> {
  let stat;
  try {
    stat = lstatSync(path);
  } catch {
    return;
  }
  if (!stat.isSocket()) throw refuse(`${path} exists and is not a socket; not replacing it`);
  const alive = await connectTo(path).then(
    (s) => {
      s.destroy();
      return true;
    },
    () => false,
  );
  if (alive) throw refuse(`${serverName} already serves ${path}`);
  unlinkSync(path);
}

/**
 * A connection to the Unix socket at path; rejects with the connection's error (ENOENT,
 * ECONNREFUSED, …), or, with timeoutMs, an Error with code ETIMEDOUT once that passed without
 * a connection (the socket is destroyed).
 */
export function connectTo(path: string, timeoutMs?: number): Promise<Socket> {
  return new Promise<Socket>((resolve, reject) => {
    const s = createConnection(path);
    const timer =
      timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            s.destroy();
            reject(Object.assign(new Error(`no connection to ${path} within ${timeoutMs} ms`), { code: 'ETIMEDOUT' }));
          }, timeoutMs);
    s.once('connect', () => {
      clearTimeout(timer);
      s.removeAllListeners('error');
      resolve(s);
    });
    s.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

/** server.listen(path), as a promise that rejects with the listen error. */
export function listenOn(server: Server, path: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => {
      server.removeListener('error', reject);
      resolve();
    });
  });
}

/** A close() for a Unix-socket server: stops listening, drops its connections, removes the file; once. */
export function closerOf(server: Server, sockets: Iterable<Socket>, path: string): () => Promise<void> {
  let closing: Promise<void> | undefined;
  return () => {
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
  };
}

/** Ends a client's connection gently: resolves once it closed, or destroys it after graceMs. */
export function endSocket(socket: Socket, graceMs: number): Promise<void> {
  return new Promise<void>((resolve) => {
    if (socket.destroyed) return resolve();
    socket.once('close', () => resolve());
    socket.end();
    setTimeout(() => {
      socket.destroy();
      resolve();
    }, graceMs).unref();
  });
}
