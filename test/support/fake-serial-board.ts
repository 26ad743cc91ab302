// A SerialLink whose far end is a register file speaking the bridge's two command sets
// (docs/serial.md), with scripted faults: for SerialBus tests that need exact control over
// what is lost or damaged. The real bridge is tested through the PTY simulator (serial.test.ts).
import type { SerialLink } from '../../host/src/bus/serial-link.js';
import { STATUS, decodeCommand, encodeAnswer } from '../../host/src/bus/serial-protocol.js';

export interface FakeBoardOptions {
  path?: string;
  /** Word addresses at or above this are refused with status 0x03 (default: none). */
  windowBytes?: number;
  /** Reads of this register return busyValue for the first busyReads reads. */
  busy?: { addr: number; reads: number; value: number };
}

/** What the fake does to the next frames: consumed one per frame. */
export type Fault =
  | 'ok'
  | 'drop-command'
  | 'damage-command'
  | 'drop-answer'
  | 'damage-answer'
  // the last byte of the answer lost
  | 'cut-answer'
  // the command damaged (a NAK) and the NAK's last byte damaged too
  | 'damage-both'
  | 'stale-answer-first'
  | 'late-answer'
  // the answer a byte at a time, 3 ms apart
  | 'slow-answer';

export class FakeSerialBoard implements SerialLink {
  readonly path: string;
  readonly regs = new Map<number, number>();
  /** Every frame the host sent, as sent. */
  readonly frames: Uint8Array[] = [];
  /** Every bus write the "board" executed: [addr, value]. */
  readonly executed: [number, number][] = [];
  /** When each frame arrived (performance.now()). */
  readonly times: number[] = [];
  readonly faults: Fault[] = [];
  /** Never answer at all. */
  silent = false;
  private dataListener?: (chunk: Uint8Array) => void;
  private closeListener?: (err?: Error) => void;
  private cache?: { seq: number; crc: number; status: number; data: number[] };
  private busyLeft: number;
  private lastAnswer?: Uint8Array;
  closed = false;

  constructor(private readonly options: FakeBoardOptions = {}) {
    this.path = options.path ?? '/dev/fake-board';
    this.busyLeft = options.busy?.reads ?? 0;
  }

  /** write() rejects with this (an unplugged USB-UART: EIO). */
  writeError?: Error;

  async write(bytes: Uint8Array): Promise<void> {
    if (this.writeError) throw this.writeError;
    const frame = Uint8Array.from(bytes);
    this.frames.push(frame);
    this.times.push(performance.now());
    const fault = this.faults.shift() ?? 'ok';
    if (fault === 'drop-command' || this.silent) return;
    if (fault === 'damage-command' || fault === 'damage-both') frame[frame.length - 3] ^= 0x40;
    let answer = frame[0] >= 0x81 ? this.reliable(frame) : this.uartBone(frame);
    if (!answer || fault === 'drop-answer') return;
    if (fault === 'damage-answer' || fault === 'damage-both') answer[answer.length - 1] ^= 0x01;
    if (fault === 'cut-answer') answer = answer.subarray(0, answer.length - 1);
    // the previous command's answer, late, in front of this one
    const out = fault === 'stale-answer-first' && this.lastAnswer ? concat(this.lastAnswer, answer) : answer;
    this.lastAnswer = answer;
    if (fault === 'slow-answer') {
      out.forEach((b, i) => setTimeout(() => this.dataListener?.(Uint8Array.of(b)), 1 + 3 * i));
      return;
    }
    // answer asynchronously, in two pieces, as a serial port delivers ('late-answer': after 60 ms)
    setTimeout(() => {
      const cut = Math.ceil(out.length / 2);
      this.dataListener?.(out.subarray(0, cut));
      setTimeout(() => this.dataListener?.(out.subarray(cut)), 1);
    }, fault === 'late-answer' ? 60 : 1);
  }

  onData(listener: (chunk: Uint8Array) => void): void {
    this.dataListener = listener;
  }

  onClose(listener: (err?: Error) => void): void {
    this.closeListener = listener;
  }

  /** The cable is pulled. */
  unplug(): void {
    this.closeListener?.(new Error('device disconnected'));
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  private readReg(addr: number): number {
    if (this.options.busy && addr === this.options.busy.addr && this.busyLeft > 0) {
      this.busyLeft--;
      return this.options.busy.value;
    }
    return this.regs.get(addr) ?? 0;
  }

  private reliable(frame: Uint8Array): Uint8Array {
    const cmd = decodeCommand(frame);
    if (!cmd) return encodeAnswer({ seq: frame[1], status: STATUS.badCrc });
    const crc = (frame[frame.length - 2] << 8) | frame[frame.length - 1];
    if (this.cache && this.cache.seq === cmd.seq && this.cache.crc === crc) {
      return encodeAnswer({ seq: cmd.seq, status: this.cache.status, replayed: true, data: this.cache.data });
    }
    const step = cmd.fixed ? 0 : 4;
    const limit = this.options.windowBytes ?? 0x10000;
    let status: number = STATUS.ok;
    const data: number[] = [];
    if (cmd.addr + step * (cmd.len - 1) >= limit) {
      status = STATUS.badAddress;
    } else {
      for (let i = 0; i < cmd.len; i++) {
        const addr = cmd.addr + step * i;
        if (cmd.op === 'write') {
          this.regs.set(addr, cmd.data[i]);
          this.executed.push([addr, cmd.data[i]]);
        } else {
          data.push(this.readReg(addr));
        }
      }
    }
    this.cache = { seq: cmd.seq, crc, status, data };
    return encodeAnswer({ seq: cmd.seq, status, data });
  }

  private uartBone(frame: Uint8Array): Uint8Array | undefined {
    const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
    const op = frame[0];
    const len = frame[1] === 0 ? 256 : frame[1];
    const addr = view.getUint32(2) * 4;
    const step = op === 0x01 || op === 0x02 ? 4 : 0;
    if (op === 0x01 || op === 0x03) {
      for (let i = 0; i < len; i++) {
        const v = view.getUint32(6 + 4 * i);
        this.regs.set(addr + step * i, v);
        this.executed.push([addr + step * i, v]);
      }
      return undefined;
    }
    const out = new Uint8Array(4 * len);
    const ov = new DataView(out.buffer);
    for (let i = 0; i < len; i++) ov.setUint32(4 * i, this.readReg(addr + step * i));
    return out;
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
