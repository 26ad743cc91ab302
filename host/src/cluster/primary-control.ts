// The primary's side of the control protocol (control-protocol.ts, docs/cluster-protocol.md):
// the listening sockets (TCP, or Unix with mode 0600), one connection per monitor, requests
// checked and handed to the primary as they arrive — each starts at once, its table change
// queued in arrival order — and the answers written in request order. A refusal is an answer
// with the error's code: ControlError's own, EFULL for a full table, EHW for anything else the
// adapter failed with.
import { chmodSync, unlinkSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { DriverError } from '../driver/index.js';
import { inOrderAnswers, onJsonLines, type JsonObject } from '../bus/ndjson.js';
import { takeSocketPath } from '../bus/unix-socket.js';
import { checkRequest, CONTROL_MAX_LINE, ControlError, formatControlAddress, wireFlowKey, type ControlAddress, type Request, type WireFlow } from './control-protocol.js';
import { trace, tracing } from './trace.js';

/** A monitor's connection; processor is set by its hello. */
export interface ControlConnection {
  readonly socket: Socket;
  processor?: number;
}

/** Answers one checked request: the fields after `"ok": true`. Throws to refuse it. */
export type ControlHandler = (conn: ControlConnection, req: Request) => JsonObject | Promise<JsonObject>;

export class ControlServer {
  readonly connections = new Set<ControlConnection>();
  private readonly servers: { server: Server; address: ControlAddress }[] = [];
  private closed = false;

  constructor(
    private readonly handle: ControlHandler,
    private readonly log: (line: string) => void,
  ) {}

  /** Serves the control protocol at an address (TCP or Unix socket); a TCP port 0 is answered with the one bound. */
  async listen(address: ControlAddress): Promise<ControlAddress> {
    if (address.kind === 'unix') await takeSocketPath(address.path, 'a primary', (m) => new ControlError('EPROTO', m));
    const server = createServer((socket) => this.accept(socket));
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

  private accept(socket: Socket): void {
    const c: ControlConnection = { socket };
    this.connections.add(c);
    socket.setNoDelay?.(true);
    socket.on('error', () => socket.destroy());
    socket.on('close', () => {
      this.connections.delete(c);
      if (c.processor !== undefined && !this.closed) this.log(`processor ${c.processor}: control connection closed (rules stay until its heartbeats are missed)`);
    });
    const send = inOrderAnswers(socket);
    onJsonLines(
      socket,
      (msg) => {
        const key = tracing && !(msg instanceof Error) && (msg.op === 'flow-add' || msg.op === 'flow-del') ? wireFlowKey(msg as unknown as WireFlow) : undefined;
        if (key) trace('prx', { k: key });
        void send(this.answer(c, msg)).then(() => {
          if (key) trace('ptx', { k: key });
        });
      },
      CONTROL_MAX_LINE,
    );
  }

  private async answer(c: ControlConnection, msg: JsonObject | Error): Promise<JsonObject> {
    const id = msg instanceof Error ? null : (msg.id ?? null);
    try {
      if (msg instanceof Error) throw new ControlError('EPROTO', `not a JSON object: ${msg.message}`);
      const req = checkRequest(msg);
      return { id, ok: true, ...(await this.handle(c, req)) };
    } catch (err) {
      const code = err instanceof ControlError ? err.code : err instanceof DriverError ? (err.code === 'EFULL' ? 'EFULL' : 'EHW') : 'EHW';
      const message = err instanceof Error ? err.message : String(err);
      if (c.processor !== undefined || code === 'EAUTH') this.log(`${c.processor !== undefined ? `processor ${c.processor}` : 'connection'}: ${String((msg as JsonObject).op ?? 'request')} refused: ${message}`);
      return { id, ok: false, error: { code, message } };
    }
  }
}
