// The register bus over a serial line: the board's UART (rtl/sipnic_uart_bridge.v) through a
// USB-UART, or `sipnic sim serve --pty`. Framing in serial-protocol.ts, rules in docs/serial.md.
//
// - protocol 'reliable' (default): sipnic's commands 0x81..0x84 with sequence number, CRC-16 and
//   acknowledgement. Stop-and-wait; a NAK, a damaged answer or no answer within the timeout
//   costs a resend of the same bytes after the line has been quiet for the bridge's silence
//   timeout (bridgeSilenceMs: 100 ms on the board, a few ms on the PTY simulator) plus a margin
//   that doubles per resend (at once when a read's whole good answer, or a write's ok answer
//   with one byte damaged, came back: the bridge is ready then; and not at all when the answer
//   turns up late during the quiet time), and the bridge's answer cache makes a resend of an
//   executed command harmless.
// - protocol 'uartbone': LiteX UARTBone 0x01..0x04, no checksum, no answer to writes. Reads
//   that get no answer are resent; a damaged write is not noticed (use it on a clean line).
//   close() reads the core TYPE register once after unanswered writes: the bridge works in
//   order, so the answer proves it took every write before the port is let go (a PTY's next
//   opener flushes bytes the simulator has not read yet, and a dead line shows up here).
//
// batch() packs runs of accesses into multi-word commands (serial-plan.ts): a flow-table insert
// is then four round trips, not twenty.
//
// Errors are BusErrors naming the device: EPROTO when a command still failed after the retries
// (the message says which command, how many retries and what the last attempt got), ETIMEDOUT
// when a poll's bits never cleared, EADDR when the adapter refused an address, ECLOSED when the
// device went away, ENOSIM when it cannot be opened.
//
// The bytes move through a SerialLink (serial-link.ts): openSerialPort() for a real port (the
// serialport package), duplexLink() for any Node duplex stream, or a test's own fake.
import { randomInt } from 'node:crypto';
import { BusError, type RegisterBus } from './bus.js';
import { checkAddress, checkBatch } from './batch.js';
import { openSerialPort, type SerialLink } from './serial-link.js';
import { describe, hex, plan, type Access } from './serial-plan.js';
import {
  ANSWER_HEADER_BYTES,
  AnswerDecoder,
  CRC_BYTES,
  MAX_RELIABLE_WORDS,
  MAX_UARTBONE_WORDS,
  SILENCE_MS,
  STATUS,
  decodeUartBoneRead,
  encodeCommand,
  encodeUartBoneRead,
  encodeUartBoneWrite,
  frameSizes,
  isDamagedOk,
  nextSeq,
  type Answer,
} from './serial-protocol.js';

export type SerialProtocol = 'reliable' | 'uartbone';

export interface SerialBusOptions {
  /** 'reliable' (sipnic's commands, default) or 'uartbone' (plain LiteX). */
  protocol?: SerialProtocol;
  /** Line rate in bits per second, for the answer timeouts (default 115200). */
  baud?: number;
  /** Resends of one command before it fails (default 10). */
  retries?: number;
  /** Time allowed beyond the bytes' wire time for an answer to arrive (default 50 ms: USB-UART turnaround). */
  latencyMs?: number;
  /**
   * The adapter's silence timeout in the host's time: after this much silence the bridge forgets
   * a half frame and ends a discard (default 100 ms, the board; the PTY simulator says its own,
   * see pty-sim.ts ptySimBusOptions).
   */
  bridgeSilenceMs?: number;
  /**
   * Quiet time before a resend, from the last byte on the line in either direction; must exceed
   * bridgeSilenceMs (default bridgeSilenceMs + 20 ms).
   */
  silenceMs?: number;
  /** Reads per poll op before it fails (default 100,000). */
  maxPolls?: number;
  /** First sequence number, 0x80..0xFF (default random, so a new session never collides with the last). */
  seq?: number;
}

/** What the line has done since the bus was opened. */
export interface SerialStats {
  /** Commands completed (each counted once, however often it was sent). */
  commands: number;
  /** Resends. */
  retries: number;
  /** Attempts that got no (complete) answer in time. */
  timeouts: number;
  /** Attempts answered with bad CRC or bad length (the adapter saw damaged bytes). */
  naks: number;
  /** Attempts whose answer came back damaged or not matching the command. */
  badAnswers: number;
  /** Commands answered from the adapter's cache: executed once, their first answer was lost. */
  replays: number;
  /** Commands whose answer came after the timeout, during the quiet time before a resend. */
  lateAnswers: number;
  /** Resends sent at once, without the quiet time: a whole good answer had come back damaged. */
  quickRetries: number;
  /** Milliseconds spent waiting for answers that did not come (expired answer timeouts). */
  timeoutWaitMs: number;
  /** Milliseconds spent in the quiet time before resends. */
  quietWaitMs: number;
  /** Commands that failed for good. */
  failures: number;
  bytesSent: number;
  bytesReceived: number;
}

const DEFAULTS = { protocol: 'reliable' as SerialProtocol, baud: 115200, retries: 10, latencyMs: 50, bridgeSilenceMs: SILENCE_MS, maxPolls: 100_000 };

/** Quiet time beyond the bridge's silence timeout when silenceMs is not given. */
const SILENCE_MARGIN_MS = 20;

/** Bytes of an answer without data: every NAK, and the answer to a write. */
const NAK_BYTES = ANSWER_HEADER_BYTES + CRC_BYTES;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, Math.max(0, ms)));

/** How one attempt ended. */
type Outcome = { kind: 'answer'; answer: Answer } | { kind: 'timeout'; received: number } | { kind: 'damaged'; received: number } | { kind: 'closed'; err?: Error };

/** A RegisterBus over a serial line (see the file comment). */
export class SerialBus implements RegisterBus {
  readonly protocol: SerialProtocol;
  readonly stats: SerialStats = {
    commands: 0,
    retries: 0,
    timeouts: 0,
    naks: 0,
    badAnswers: 0,
    replays: 0,
    lateAnswers: 0,
    quickRetries: 0,
    timeoutWaitMs: 0,
    quietWaitMs: 0,
    failures: 0,
    bytesSent: 0,
    bytesReceived: 0,
  };
  private readonly options: Required<Omit<SerialBusOptions, 'seq' | 'protocol'>>;
  private seq: number;
  private closed = false;
  /** When the bus was opened (ms, performance.now()): `wire()` measures the line's busy fraction from here. */
  private readonly openedAt = performance.now();
  /** UARTBone writes sent since the last answered read: close() confirms them. */
  private unconfirmedWrites = 0;
  private lost?: Error;
  private chain: Promise<unknown> = Promise.resolve();
  private readonly decoder = new AnswerDecoder();
  /** Answers decoded and not yet looked at. */
  private answers: Answer[] = [];
  /** Raw bytes received since the last send (UARTBone answers). */
  private raw: Uint8Array[] = [];
  private rawLength = 0;
  private receivedSinceSend = 0;
  /** When the last byte the host sent has left the wire, at the latest (ms, performance.now()). */
  private lineFreeAt = 0;
  /** When the last byte arrived (ms, performance.now()). */
  private lastRxAt = 0;
  private wake?: () => void;

  constructor(
    private readonly link: SerialLink,
    options: SerialBusOptions = {},
  ) {
    const o = { ...DEFAULTS, ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) } as typeof DEFAULTS & SerialBusOptions;
    if (o.protocol !== 'reliable' && o.protocol !== 'uartbone') throw new BusError('EPROTO', `serial protocol ${String(o.protocol)} is not 'reliable' or 'uartbone'`);
    if (!Number.isInteger(o.baud) || o.baud < 50 || o.baud > 100_000_000) throw new BusError('EPROTO', `baud ${o.baud} is not a line rate in 50..100000000`);
    if (!Number.isInteger(o.retries) || o.retries < 0) throw new BusError('EPROTO', `retries ${o.retries} is not a whole number ≥ 0`);
    if (!(Number.isFinite(o.bridgeSilenceMs) && o.bridgeSilenceMs > 0)) throw new BusError('EPROTO', `bridgeSilenceMs ${o.bridgeSilenceMs} is not a time in ms > 0`);
    if (!(Number.isFinite(o.latencyMs) && o.latencyMs >= 0)) throw new BusError('EPROTO', `latencyMs ${o.latencyMs} is not a time in ms ≥ 0`);
    const silenceMs = o.silenceMs ?? o.bridgeSilenceMs + SILENCE_MARGIN_MS;
    if (!(silenceMs > o.bridgeSilenceMs)) throw new BusError('EPROTO', `silenceMs ${silenceMs} must exceed the bridge's ${o.bridgeSilenceMs} ms silence timeout`);
    if (o.seq !== undefined && !(Number.isInteger(o.seq) && o.seq >= 0x80 && o.seq <= 0xff)) throw new BusError('EPROTO', `seq ${o.seq} is not in 0x80..0xFF`);
    this.protocol = o.protocol;
    this.options = { baud: o.baud, retries: o.retries, latencyMs: o.latencyMs, bridgeSilenceMs: o.bridgeSilenceMs, silenceMs, maxPolls: o.maxPolls };
    // the first command steps seq once, so start one before the wanted value
    this.seq = o.seq !== undefined ? (o.seq === 0x80 ? 0xff : o.seq - 1) : 0x80 | randomInt(128);
    link.onData((chunk) => this.onData(chunk));
    link.onClose((err) => {
      this.lost = err ?? new Error('closed');
      this.wake?.();
    });
  }

  /** The line rate the wire times are computed for (bits per second). */
  get baud(): number {
    return this.options.baud;
  }

  /**
   * The line as a whole: its rate, the commands and bytes so far, and the share of the time since
   * the bus was opened that the bytes took on the wire (10 bits per byte; the busier direction).
   */
  wire(): { baud: number; commands: number; bytesSent: number; bytesReceived: number; busyFraction: number; sinceMs: number } {
    const sinceMs = performance.now() - this.openedAt;
    const busiest = Math.max(this.stats.bytesSent, this.stats.bytesReceived);
    const busyFraction = sinceMs > 0 ? Math.round(((busiest * 10 * 1000) / this.options.baud / sinceMs) * 10000) / 10000 : 0;
    return { baud: this.options.baud, commands: this.stats.commands, bytesSent: this.stats.bytesSent, bytesReceived: this.stats.bytesReceived, busyFraction, sinceMs: Math.round(sinceMs) };
  }

  /** Opens a serial device with the serialport package and a SerialBus over it. */
  static async open(path: string, options: SerialBusOptions = {}): Promise<SerialBus> {
    const link = await openSerialPort(path, options.baud ?? DEFAULTS.baud);
    return new SerialBus(link, options);
  }

  get path(): string {
    return this.link.path;
  }

  async read(addr: number): Promise<number> {
    checkAddress(addr);
    return this.exclusive(async () => (await this.access({ write: false, addr, fixed: false, data: [], len: 1 }))[0]);
  }

  async write(addr: number, value: number): Promise<void> {
    checkAddress(addr);
    await this.exclusive(() => this.access({ write: true, addr, fixed: false, data: [value >>> 0], len: 1 }));
  }

  async batch(ops: Uint32Array): Promise<Uint32Array> {
    checkBatch(ops);
    return this.exclusive(async () => {
      const out = new Uint32Array(ops.length / 3);
      const maxWords = this.protocol === 'reliable' ? MAX_RELIABLE_WORDS : MAX_UARTBONE_WORDS;
      for (const step of plan(ops, maxWords)) {
        if (step.kind === 'write') {
          await this.access(step.access);
        } else if (step.kind === 'read') {
          out.set(await this.access(step.access), step.out);
        } else {
          for (let polls = 1; ; polls++) {
            const words = await this.access(step.access);
            if ((words[0] & step.mask) === 0) {
              out.set(words, step.out);
              break;
            }
            if (polls >= this.options.maxPolls) {
              throw new BusError('ETIMEDOUT', `serial device ${this.path}: register ${hex(step.access.addr)} still has bits ${hex(step.mask, 8)} set after ${polls} polls`);
            }
          }
        }
      }
      return out;
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    let barrier: Promise<unknown> = Promise.resolve();
    if (this.unconfirmedWrites > 0) barrier = this.exclusive(() => this.access({ write: false, addr: 0, len: 1, fixed: false, data: [] }));
    this.closed = true;
    try {
      await barrier;
    } finally {
      await this.chain.catch(() => undefined);
      await this.link.close();
    }
  }

  // ───────────────────────────── one command ─────────────────────────────

  /** Runs fn after every earlier operation: one command on the line at a time. */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new BusError('ECLOSED', `serial device ${this.path}: register bus is closed`));
    const run = this.chain.then(fn, fn);
    this.chain = run.catch(() => undefined);
    return run;
  }

  private checkLink(): void {
    if (this.lost) throw new BusError('ECLOSED', `serial device ${this.path} went away: ${this.lost.message}`, { cause: this.lost });
  }

  /** One access, resent until it succeeds or the retries are used up; the words read. */
  private async access(a: Access): Promise<Uint32Array> {
    this.checkLink();
    const reliable = this.protocol === 'reliable';
    if (reliable) this.seq = nextSeq(this.seq);
    const seq = this.seq;
    const frame = reliable
      ? encodeCommand(a.write ? { op: 'write', seq, addr: a.addr, data: a.data, fixed: a.fixed } : { op: 'read', seq, addr: a.addr, len: a.len, fixed: a.fixed })
      : a.write
        ? encodeUartBoneWrite(a.addr, a.data, a.fixed)
        : encodeUartBoneRead(a.addr, a.len, a.fixed);
    const sizes = reliable ? frameSizes(a.write ? 'write' : 'read', a.len) : { command: frame.length, answer: a.write ? 0 : 4 * a.len };
    if (!reliable && a.write) {
      // UARTBone writes answer nothing: nothing to wait for, nothing to resend
      await this.send(frame);
      this.stats.commands++;
      this.unconfirmedWrites++;
      return new Uint32Array(0);
    }
    const wireMs = ((sizes.command + sizes.answer) * 10 * 1000) / this.options.baud;
    const timeoutMs = Math.ceil(2 * wireMs + this.options.latencyMs);
    let last = '';
    for (let attempt = 0; ; attempt++) {
      this.checkLink();
      this.decoder.reset();
      this.decoder.expectWords = a.write ? 0 : a.len;
      this.answers = [];
      this.raw = [];
      this.rawLength = 0;
      this.receivedSinceSend = 0;
      await this.send(frame);
      const sentAt = performance.now();
      const outcome = await this.awaitAnswer(reliable ? seq : -1, sizes.answer, timeoutMs, false);
      if (outcome.kind === 'closed') this.checkLink();
      if (outcome.kind === 'timeout') {
        this.stats.timeouts++;
        this.stats.timeoutWaitMs += performance.now() - sentAt;
        last = outcome.received ? `an incomplete answer (${outcome.received} of ${sizes.answer} bytes) within ${timeoutMs} ms` : `no answer within ${timeoutMs} ms`;
      } else if (outcome.kind === 'damaged') {
        this.stats.badAnswers++;
        last = `a damaged answer (${outcome.received} bytes, none a valid answer to seq ${hex(seq, 2)})`;
      } else if (outcome.kind === 'answer') {
        if (!reliable) {
          this.stats.commands++;
          this.unconfirmedWrites = 0;
          return decodeUartBoneRead(this.takeRaw(4 * a.len), a.len);
        }
        const { answer } = outcome;
        const data = this.accept(a, answer);
        if (data) return data;
        if (answer.status === STATUS.badAddress) {
          this.stats.failures++;
          throw new BusError('EADDR', `serial device ${this.path}: the adapter refused the ${describe(a)}: address outside its 64 KiB register window`);
        }
        if (answer.status === STATUS.ok) {
          this.stats.badAnswers++;
          last = `an answer with ${answer.data.length} words for a read of ${a.len}`;
        } else {
          this.stats.naks++;
          last = answer.status === STATUS.badCrc ? 'the adapter received it damaged (bad CRC)' : answer.status === STATUS.badLength ? 'the adapter received a bad length' : `unknown status ${hex(answer.status, 2)}`;
        }
      }
      const final = attempt >= this.options.retries;
      // More bytes came back than a NAK has (6), for a read whose good answer is longer: the
      // bridge sent a whole good answer, so it executed the command and is ready for the next
      // frame; the resend goes at once and is answered from the cache. The same for a write
      // whose 6 bytes are its ok answer with one byte damaged or lost and not a NAK so damaged.
      const received = outcome.kind === 'damaged' || outcome.kind === 'timeout' ? outcome.received : 0;
      if (!final && reliable && ((sizes.answer > NAK_BYTES && received > NAK_BYTES) || (a.write && isDamagedOk(this.takeRaw(this.rawLength), seq)))) {
        this.stats.retries++;
        this.stats.quickRetries++;
        continue;
      }
      // Otherwise the bridge may be dropping the rest of a damaged frame until the line has
      // been silent for its timeout: resend after that (counted from the last byte on the line
      // either way: after a NAK the bridge's silence starts when the NAK has been sent). An
      // answer to this very command arriving meanwhile (it was only late) ends the wait
      // without a resend; after the last attempt only such an answer is waited for.
      if (!final || (reliable && outcome.kind === 'timeout')) {
        const quietFrom = performance.now();
        const quietMs = this.quietMs(attempt);
        const late = await this.awaitAnswer(reliable ? seq : -1, Infinity, () => Math.max(this.lineFreeAt, this.lastRxAt) + quietMs - performance.now(), true);
        this.stats.quietWaitMs += performance.now() - quietFrom;
        if (late.kind === 'answer' && reliable) {
          const data = this.accept(a, late.answer);
          if (data) {
            this.stats.lateAnswers++;
            return data;
          }
        }
      }
      if (final) break;
      this.stats.retries++;
    }
    this.stats.failures++;
    const what = reliable ? `${describe(a)} (seq ${hex(seq, 2)})` : `UARTBone ${describe(a)}`;
    const tries = this.options.retries;
    throw new BusError('EPROTO', `serial device ${this.path}: ${what} failed after ${tries} ${tries === 1 ? 'retry' : 'retries'}; last attempt: ${last}`);
  }

  /** The words of a successful answer to access a (counted), or undefined. */
  private accept(a: Access, answer: Answer): Uint32Array | undefined {
    if (answer.status !== STATUS.ok || (!a.write && answer.data.length !== a.len)) return undefined;
    if (answer.replayed) this.stats.replays++;
    this.stats.commands++;
    return answer.data;
  }

  private async send(bytes: Uint8Array): Promise<void> {
    const start = performance.now();
    try {
      await this.link.write(bytes);
    } catch (err) {
      if (err instanceof BusError) throw err;
      throw new BusError('ECLOSED', `serial device ${this.path}: cannot send: ${(err as Error).message}`, { cause: err });
    }
    this.stats.bytesSent += bytes.length;
    const wire = (bytes.length * 10 * 1000) / this.options.baud;
    this.lineFreeAt = Math.max(performance.now(), start + wire);
  }

  /**
   * Waits for the answer to seq (reliable) or for `expect` raw bytes (UARTBone, seq -1). With
   * `okOnly` (the quiet time before a resend) only a successful answer to seq ends the wait
   * early, and the time left is a function, looked at again when it runs out (bytes arriving
   * meanwhile move the end of the quiet time).
   */
  private awaitAnswer(seq: number, expect: number, timeout: number | (() => number), okOnly: boolean): Promise<Outcome> {
    return new Promise<Outcome>((resolve) => {
      let grace: NodeJS.Timeout | undefined;
      let graceAt = -1;
      let timer: NodeJS.Timeout | undefined;
      const done = (o: Outcome) => {
        clearTimeout(timer);
        clearTimeout(grace);
        this.wake = undefined;
        resolve(o);
      };
      const started = performance.now();
      const expire = () => {
        // an answer still coming in is not over: wait until the bytes stop (for at most as long
        // again as the timeout, so a line that never falls silent still ends the wait)
        const now = performance.now();
        const sinceRx = now - this.lastRxAt;
        const limit = typeof timeout === 'number' ? 2 * timeout : 0;
        if (!okOnly && this.receivedSinceSend > 0 && sinceRx < this.graceMs() && now - started < limit) timer = setTimeout(expire, this.graceMs() - sinceRx);
        else done({ kind: 'timeout', received: this.receivedSinceSend });
      };
      const arm = () => {
        const ms = typeof timeout === 'number' ? timeout : timeout();
        if (typeof timeout !== 'number' && ms > 0) timer = setTimeout(arm, ms);
        else timer = setTimeout(expire, Math.max(0, ms));
      };
      arm();
      const check = () => {
        if (this.lost) return done({ kind: 'closed', err: this.lost });
        if (seq < 0) {
          if (this.rawLength >= expect) done({ kind: 'answer', answer: { seq: -1, status: STATUS.ok, replayed: false, data: new Uint32Array(0) } });
          return;
        }
        for (const answer of this.answers.splice(0)) {
          if (answer.seq === seq && (!okOnly || answer.status === STATUS.ok)) return done({ kind: 'answer', answer });
        }
        if (okOnly) return;
        // about as many bytes as the answer has (one or two may have been lost) and none of
        // them made it: damaged, unless more bytes (the rest of a longer candidate) follow
        // within the grace time, which starts again with every byte
        if (this.receivedSinceSend >= Math.max(ANSWER_HEADER_BYTES, expect - 2) && graceAt !== this.receivedSinceSend) {
          clearTimeout(grace);
          graceAt = this.receivedSinceSend;
          grace = setTimeout(() => done({ kind: 'damaged', received: this.receivedSinceSend }), this.graceMs());
        }
      };
      this.wake = check;
      check();
    });
  }

  /** Silence after the last byte received that ends an answer that is not coming whole. */
  private graceMs(): number {
    return Math.ceil((30 * 1000) / this.options.baud + Math.max(2, Math.min(10, this.options.latencyMs / 5)));
  }

  /**
   * Quiet time before resend number attempt + 1: the bridge's silence timeout plus a margin
   * that doubles with each resend of the same command, up to 100 ms (or the bridge's timeout,
   * if longer). A host or simulator slowed down by load, whose resends land in the bridge's
   * discard and start its silence timer again, so still gets a resend through.
   */
  private quietMs(attempt: number): number {
    const { bridgeSilenceMs: bridge, silenceMs } = this.options;
    return bridge + Math.min((silenceMs - bridge) * 2 ** Math.min(attempt, 16), Math.max(bridge, 100));
  }

  private onData(chunk: Uint8Array): void {
    this.lastRxAt = performance.now();
    this.stats.bytesReceived += chunk.length;
    this.receivedSinceSend += chunk.length;
    if (this.protocol === 'reliable') {
      this.answers.push(...this.decoder.push(chunk));
    }
    // raw bytes too: the UARTBone answer, or a damaged reliable answer to look at (a few bytes)
    if (this.protocol === 'uartbone' || this.rawLength < 64) {
      this.raw.push(chunk.slice());
      this.rawLength += chunk.length;
    }
    this.wake?.();
  }

  private takeRaw(n: number): Uint8Array {
    const all = new Uint8Array(this.rawLength);
    let at = 0;
    for (const c of this.raw) {
      all.set(c, at);
      at += c.length;
    }
    this.raw = [];
    this.rawLength = 0;
    return all.subarray(0, n);
  }
}
