// Newline-delimited JSON over a socket, one object a line each way, UTF-8: what the register
// bus (socket-bus.ts, and the cluster adapter's bus in cluster/adapter-bus.ts) and the primary's
// control protocol (cluster/control-protocol.ts) share — the line reader, the client that
// matches answers to requests by `id` (PendingRequests), and the server's in-order answers.
import type { Socket } from 'node:net';
import { PendingRequests } from './pending.js';

export type JsonObject = Record<string, unknown>;

/**
 * Splits a stream of text into lines (without the '\n'); blank lines are skipped. A line
 * still unfinished after a chunk and longer than maxLine is an error (no bound by default).
 */
export class LineSplitter {
  private buffer = '';
  constructor(readonly maxLine = Number.POSITIVE_INFINITY) {}

  /** Feeds a chunk: calls onLine for each complete line; returns false when the unfinished line is over maxLine. */
  push(chunk: string, onLine: (line: string) => void): boolean {
    this.buffer += chunk;
    let nl: number;
    while ((nl = this.buffer.indexOf('\n')) >= 0) {
      const line = this.buffer.slice(0, nl);
      this.buffer = this.buffer.slice(nl + 1);
      if (line.trim() !== '') onLine(line);
    }
    return this.buffer.length <= this.maxLine;
  }

  /** The start of the unfinished line, for messages. */
  head(n = 80): string {
    return this.buffer.slice(0, n);
  }
}

/** A line as a JSON object, or the SyntaxError saying why it is not one. */
export function parseJsonObject(line: string): JsonObject | SyntaxError {
  let msg: unknown;
  try {
    msg = JSON.parse(line);
  } catch (err) {
    return err as SyntaxError;
  }
  return msg && typeof msg === 'object' && !Array.isArray(msg) ? (msg as JsonObject) : new SyntaxError('not a JSON object');
}

/**
 * Reads a socket's lines (blank ones skipped). A line longer than maxLine is reported to
 * tooLong with its start, and the socket destroyed.
 */
export function onLines(socket: Socket, onLine: (line: string) => void, maxLine?: number, tooLong?: (err: SyntaxError, head: string) => void): void {
  const lines = new LineSplitter(maxLine);
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => {
    if (lines.push(chunk, onLine)) return;
    tooLong?.(new SyntaxError(`line longer than ${lines.maxLine} bytes`), lines.head());
    socket.destroy();
  });
}

/**
 * Reads a socket's lines as JSON objects: each parsed object (or the parse error) goes to
 * handle with the raw line; a line longer than maxLine as a SyntaxError, and the socket is
 * destroyed.
 */
export function onJsonLines(socket: Socket, handle: (msg: JsonObject | Error, raw: string) => void, maxLine?: number): void {
  onLines(socket, (line) => handle(parseJsonObject(line), line), maxLine, handle);
}

/**
 * A server's answers, written one JSON object a line in the order the requests came, however
 * their work finishes: hand in each request's answer (a promise) as the request arrives. An
 * answer of undefined (or a failed one) writes nothing; nothing is written to a destroyed
 * socket. The promise returned settles once that answer was written or skipped.
 */
export function inOrderAnswers(socket: Socket): (answer: Promise<object | undefined>) => Promise<void> {
  let last: Promise<void> = Promise.resolve();
  return (answer) =>
    (last = last.then(async () => {
      const a = await answer.catch(() => undefined);
      if (a !== undefined && !socket.destroyed) socket.write(JSON.stringify(a) + '\n');
    }));
}

/** How a client's protocol turns what happens into errors. */
export interface JsonClientErrors {
  /** The error an answer carries, or undefined when it answers success. */
  answer(msg: JsonObject): Error | undefined;
  /** Ends the connection: the peer sent a line that is not a JSON object. */
  badLine(err: Error, raw: string): Error;
  /** Ends the connection: the socket closed, or failed with err. */
  closed(err?: Error): Error;
}

/**
 * The client side: request() writes `{"id":…, …body}` and resolves with the answer carrying
 * that id (or rejects with its error); a bad line, the socket closing or fail() rejects every
 * request in flight and every later one, and tells the onClose listeners once.
 */
export class JsonLineClient {
  private readonly pending = new PendingRequests<JsonObject>();
  private readonly closeListeners: ((err: Error) => void)[] = [];
  private failure?: Error;

  constructor(
    readonly socket: Socket,
    errors: JsonClientErrors,
    maxLine?: number,
  ) {
    onJsonLines(
      socket,
      (msg, raw) => {
        if (msg instanceof Error) return this.fail(errors.badLine(msg, raw));
        const err = errors.answer(msg);
        if (err) this.pending.reject(msg.id as number, err);
        else this.pending.resolve(msg.id as number, msg);
      },
      maxLine,
    );
    socket.on('close', () => this.fail(errors.closed()));
    socket.on('error', (err) => this.fail(errors.closed(err)));
  }

  /** Whether the client takes no more requests (refused, failed or closed). */
  get closed(): boolean {
    return this.pending.closed;
  }

  get closedError(): Error | undefined {
    return this.pending.closedError;
  }

  /** One request; with a timeout, no answer within timeout.ms rejects with timeout.error(). */
  request(body: object, timeout?: { ms: number; error: () => Error }): Promise<JsonObject> {
    return this.pending.request((id) => this.socket.write(JSON.stringify({ id, ...body }) + '\n'), timeout);
  }

  /** New requests reject with err; those in flight still get their answers. */
  refuse(err: Error): void {
    this.pending.refuse(err);
  }

  /** Rejects every request in flight and every later one with err; the first failure tells the onClose listeners. */
  fail(err: Error): void {
    this.pending.failAll(err);
    if (this.failure) return;
    this.failure = err;
    for (const l of this.closeListeners.splice(0)) l(err);
  }

  /** Called once when the client fails; at once when it has already. */
  onClose(listener: (err: Error) => void): void {
    if (this.failure) listener(this.failure);
    else this.closeListeners.push(listener);
  }
}
