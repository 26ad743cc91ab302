// Newline-delimited JSON over a socket, one object a line each way, UTF-8: what the register
// bus (socket-bus.ts, and the cluster adapter's bus in cluster/adapter-bus.ts) and the primary's
// control protocol (cluster/control-protocol.ts) share — the line reader, the client that
// matches answers to requests by `id` (PendingRequests), and the server's in-order answers.
import type { Socket } from 'node:net';
import { PendingRequests } from './pending.js';

export type JsonObject = Record<string, unknown>;

/**
 * Splits a stream of text into lines (without the '\n'); blank lines are skipped. A line
 * longer than maxLine — finished or not — is an error (no bound by default).
 *
 * Either push() a chunk and take every line at once, or append() it and take the lines one
 * by one with next() (a reader that may stop between two lines, as onLines does when its
 * socket is paused).
 */
export class LineSplitter {
  private buffer = '';
  /** Where the next line starts in buffer. */
  private at = 0;
  /** Where the unfinished line starts in buffer: just after its last '\n' (0 when it has none). */
  private tail = 0;
  /** A finished line over maxLine was seen (next() stops at it). */
  private overLong = false;
  constructor(readonly maxLine = Number.POSITIVE_INFINITY) {}

  /** Feeds a chunk: calls onLine for each complete line; returns false when a line is over maxLine. */
  push(chunk: string, onLine: (line: string) => void): boolean {
    if (!this.append(chunk)) return false;
    for (let line = this.next(); line !== undefined; line = this.next()) onLine(line);
    return !this.overLong;
  }

  /**
   * Adds a chunk without taking lines out; false when the unfinished line is over maxLine
   * already. Only the chunk is searched for '\n', and next() searches only text up to the
   * last one, so a long line costs time in proportion to its length, not to its square.
   */
  append(chunk: string): boolean {
    if (this.at > 0 && this.at >= this.buffer.length >> 1) {
      this.buffer = this.buffer.slice(this.at);
      this.tail -= this.at;
      this.at = 0;
    }
    const nl = chunk.lastIndexOf('\n');
    if (nl >= 0) this.tail = this.buffer.length + nl + 1;
    this.buffer += chunk;
    return this.buffer.length - Math.max(this.at, this.tail) <= this.maxLine;
  }

  /** The next complete line (blank ones skipped), or undefined: none complete, or one over maxLine (overLimit then says so). */
  next(): string | undefined {
    while (!this.overLong && this.at < this.tail) {
      const nl = this.buffer.indexOf('\n', this.at); // found: there is one before tail
      if (nl - this.at > this.maxLine) {
        this.overLong = true;
        return undefined;
      }
      const line = this.buffer.slice(this.at, nl);
      this.at = nl + 1;
      if (line.trim() !== '') return line;
    }
    return undefined;
  }

  /** Whether a line over maxLine was seen: finished, or unfinished and already longer. */
  get overLimit(): boolean {
    return this.overLong || this.buffer.length - Math.max(this.at, this.tail) > this.maxLine;
  }

  /** The start of the unfinished line (or of the line over the limit), for messages. */
  head(n = 80): string {
    return this.buffer.slice(this.at, this.at + n);
  }

  /** Forgets everything buffered (after a line over the limit). */
  clear(): void {
    this.buffer = '';
    this.at = 0;
    this.tail = 0;
  }
}

/** A line longer than the reader's maxLine: what onLines hands to tooLong. */
export class LineTooLongError extends SyntaxError {
  constructor(
    readonly maxLine: number,
    readonly head: string,
  ) {
    super(`line longer than ${maxLine} bytes`);
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

/** What happens to a connection after a line over the limit. */
export interface LineLimitOptions {
  /**
   * 'destroy' (the default): the socket is destroyed at once, after tooLong.
   * 'discard': no more lines are delivered and whatever else the peer sends is read and
   * dropped, so the caller can write an answer and end() the socket: the peer reads the answer
   * and an orderly close (destroying a socket with unread input makes the kernel answer with a
   * reset, which may throw the answer away).
   */
  afterTooLong?: 'destroy' | 'discard';
}

/**
 * Reads a socket's lines (blank ones skipped). While the socket is paused (by the caller, or
 * by inOrderAnswers' bounds) no line is delivered, even of a chunk read already; resume()
 * delivers the rest. A line longer than maxLine is reported to tooLong (a LineTooLongError
 * with its start), then the socket destroyed — or, with afterTooLong 'discard', left to the
 * caller with its further input dropped.
 */
export function onLines(socket: Socket, onLine: (line: string) => void, maxLine?: number, tooLong?: (err: SyntaxError, head: string) => void, options: LineLimitOptions = {}): void {
  const lines = new LineSplitter(maxLine);
  let over = false;
  const deliver = () => {
    for (let line = socket.isPaused() ? undefined : lines.next(); line !== undefined; line = socket.isPaused() ? undefined : lines.next()) {
      onLine(line);
      if (over) return;
    }
    if (!over && lines.overLimit) {
      over = true;
      const err = new LineTooLongError(lines.maxLine, lines.head());
      lines.clear();
      tooLong?.(err, err.head);
      if (options.afterTooLong === 'discard') {
        // keep reading (and dropping) whatever comes, whoever paused the socket
        socket.resume();
        socket.on('pause', () => socket.resume());
      } else socket.destroy();
    }
  };
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => {
    if (over) return;
    lines.append(chunk);
    deliver();
  });
  // lines read before a pause
  socket.on('resume', () => {
    if (!over) deliver();
  });
}

/**
 * Reads a socket's lines as JSON objects: each parsed object (or the parse error) goes to
 * handle with the raw line; a line longer than maxLine as a LineTooLongError, and the socket
 * is destroyed (or, with afterTooLong 'discard', left to the caller: see onLines).
 */
export function onJsonLines(socket: Socket, handle: (msg: JsonObject | Error, raw: string) => void, maxLine?: number, options?: LineLimitOptions): void {
  onLines(socket, (line) => handle(parseJsonObject(line), line), maxLine, handle, options);
}

/** Bounds on what a server holds for one connection (inOrderAnswers). */
export interface AnswerBounds {
  /** Most requests read and not yet answered (a number, or asked each time); beyond, reading pauses. */
  maxPending?: number | (() => number);
  /** Most answer bytes written and not yet taken by the peer (socket.writableLength); beyond, reading pauses until it drains. */
  maxBuffered?: number;
}

/**
 * A server's answers, written one JSON object a line in the order the requests came, however
 * their work finishes: hand in each request's answer (a promise) as the request arrives. An
 * answer of undefined (or a failed one) writes nothing; nothing is written to a destroyed or
 * ended socket. The promise returned settles once that answer was written or skipped.
 *
 * With bounds, the socket is paused (no more requests delivered: see onLines) while too many
 * answers are pending or too many bytes wait for a peer that does not read, and resumed when
 * both are below again; so a client that sends without reading holds at most about maxBuffered
 * bytes plus maxPending answers of the server's memory, and no one else waits for it. (Answers
 * are written after the request's line was delivered, so maxBuffered alone does not stop the
 * lines of a chunk read already: give maxPending too.)
 */
export function inOrderAnswers(socket: Socket, bounds?: AnswerBounds): (answer: Promise<object | undefined>) => Promise<void> {
  let last: Promise<void> = Promise.resolve();
  let pending = 0;
  let pausedByUs = false;
  const maxPending = () => (bounds?.maxPending === undefined ? Number.POSITIVE_INFINITY : typeof bounds.maxPending === 'function' ? bounds.maxPending() : bounds.maxPending);
  const maxBuffered = bounds?.maxBuffered ?? Number.POSITIVE_INFINITY;
  const check = () => {
    if (!bounds || socket.destroyed) return;
    const over = pending >= maxPending() || socket.writableLength >= maxBuffered;
    if (over && !pausedByUs) {
      pausedByUs = true;
      socket.pause();
    } else if (!over && pausedByUs) {
      pausedByUs = false;
      socket.resume();
    }
  };
  if (bounds) socket.on('drain', check);
  return (answer) => {
    pending++;
    check();
    return (last = last.then(async () => {
      const a = await answer.catch(() => undefined);
      if (a !== undefined && !socket.destroyed && !socket.writableEnded) socket.write(JSON.stringify(a) + '\n');
      pending--;
      check();
    }));
  };
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
 * that id (or rejects with its error); a bad line, an error answer without an id (a server
 * says so before it closes the connection: a line over its limit, no hello in time), the
 * socket closing or fail() rejects every request in flight and every later one, and tells the
 * onClose listeners once.
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
        if (err && (msg.id === null || msg.id === undefined)) this.fail(err);
        else if (err) this.pending.reject(msg.id as number, err);
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
