// Framing of the serial link to the board (rtl/sipnic_uart_bridge.v, docs/serial.md): LiteX
// UARTBone frames and sipnic's reliable commands (sequence number, CRC-16/CCITT-FALSE,
// acknowledgement). Pure functions and one incremental decoder; no I/O here.
//
// Addresses in this module are register byte addresses (4-byte aligned, 0..0xFFFC), as in
// RegisterBus; on the wire they travel as word addresses (byte address / 4), 4 bytes big-endian.

/** UARTBone command bytes (LiteX Stream2Wishbone). */
export const UARTBONE_OP = { writeIncr: 0x01, readIncr: 0x02, writeFixed: 0x03, readFixed: 0x04 } as const;

/** Reliable command bytes: the UARTBone op with bit 7 set. */
export const RELIABLE_OP = { writeIncr: 0x81, readIncr: 0x82, writeFixed: 0x83, readFixed: 0x84 } as const;

/** First byte of every answer frame. */
export const ACK_MARKER = 0xa5;

/** Answer status codes (bit 7 of the status byte is REPLAYED_FLAG). */
export const STATUS = { ok: 0x00, badCrc: 0x01, badLength: 0x02, badAddress: 0x03 } as const;

/** Set in the status byte when the answer is the cached answer of an already executed command. */
export const REPLAYED_FLAG = 0x80;

/** Most words a reliable command reads or writes (the bridge's answer cache). */
export const MAX_RELIABLE_WORDS = 16;

/** Most words one UARTBone frame moves (a length byte of 0 means 256). */
export const MAX_UARTBONE_WORDS = 256;

/** The bridge forgets a half-received frame, and ends a discard, after this much silence. */
export const SILENCE_MS = 100;

/** Bytes of a reliable command header (op, seq, 0x80 + len, word address) and of its CRC. */
export const COMMAND_HEADER_BYTES = 7;
export const CRC_BYTES = 2;
/** Bytes of an answer header (marker, seq, status, n). */
export const ANSWER_HEADER_BYTES = 4;

export type SerialProtocolErrorCode = 'EARG';

export class SerialProtocolError extends Error {
  override readonly name = 'SerialProtocolError';
  constructor(
    readonly code: SerialProtocolErrorCode,
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

function argError(field: string, value: unknown, want: string): SerialProtocolError {
  return new SerialProtocolError('EARG', field, `${field} ${String(value)} is not ${want}`);
}

function checkByteAddress(addr: number): void {
  if (!Number.isInteger(addr) || addr < 0 || addr > 0xfffc || addr % 4 !== 0) {
    throw argError('addr', addr, 'a 4-byte aligned register address in 0..0xFFFC');
  }
}

function checkWords(data: ArrayLike<number>, max: number): void {
  if (data.length < 1 || data.length > max) throw argError('data.length', data.length, `in 1..${max}`);
  for (let i = 0; i < data.length; i++) {
    const w = data[i];
    if (!Number.isInteger(w) || w < 0 || w > 0xffffffff) throw argError(`data[${i}]`, w, 'a 32-bit unsigned word');
  }
}

/** CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF, not reflected, no final xor); chain with `crc`. */
export function crc16(data: Uint8Array, crc = 0xffff): number {
  let c = crc & 0xffff;
  for (let i = 0; i < data.length; i++) {
    c ^= data[i] << 8;
    for (let b = 0; b < 8; b++) c = c & 0x8000 ? ((c << 1) ^ 0x1021) & 0xffff : (c << 1) & 0xffff;
  }
  return c;
}

// ---------------------------------------------------------------- UARTBone

function uartBoneHeader(op: number, len: number, addr: number, dataWords: number): Uint8Array {
  const out = new Uint8Array(6 + 4 * dataWords);
  const view = new DataView(out.buffer);
  view.setUint8(0, op);
  view.setUint8(1, len & 0xff);
  view.setUint32(2, addr / 4);
  return out;
}

/** `[op][len][word address BE][data BE]`: writes `data` from `addr` (incrementing, or all to `addr`). */
export function encodeUartBoneWrite(addr: number, data: ArrayLike<number>, fixed = false): Uint8Array {
  checkByteAddress(addr);
  checkWords(data, MAX_UARTBONE_WORDS);
  const out = uartBoneHeader(fixed ? UARTBONE_OP.writeFixed : UARTBONE_OP.writeIncr, data.length, addr, data.length);
  const view = new DataView(out.buffer);
  for (let i = 0; i < data.length; i++) view.setUint32(6 + 4 * i, data[i]);
  return out;
}

/** `[op][len][word address BE]`: the board answers `len × 4` bytes (see decodeUartBoneRead). */
export function encodeUartBoneRead(addr: number, len: number, fixed = false): Uint8Array {
  checkByteAddress(addr);
  if (!Number.isInteger(len) || len < 1 || len > MAX_UARTBONE_WORDS) {
    throw argError('len', len, `in 1..${MAX_UARTBONE_WORDS}`);
  }
  return uartBoneHeader(fixed ? UARTBONE_OP.readFixed : UARTBONE_OP.readIncr, len, addr, 0);
}

/** The words of a UARTBone read answer (big-endian); `bytes` must hold exactly `len × 4` bytes. */
export function decodeUartBoneRead(bytes: Uint8Array, len: number): Uint32Array {
  if (bytes.length !== 4 * len) throw argError('bytes.length', bytes.length, `${4 * len} (len × 4)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Uint32Array(len);
  for (let i = 0; i < len; i++) out[i] = view.getUint32(4 * i);
  return out;
}

// ---------------------------------------------------------------- reliable commands

export type ReliableOp = 'write' | 'read';

export type ReliableCommand =
  | { op: 'write'; seq: number; addr: number; data: ArrayLike<number>; fixed?: boolean }
  | { op: 'read'; seq: number; addr: number; len: number; fixed?: boolean };

/** Set in a reliable command's length byte (which is 0x80 + words). */
export const LEN_FLAG = 0x80;

/** Sequence numbers live in 0x80..0xFF (bit 7 set, see docs/serial.md). */
export function isSeq(seq: number): boolean {
  return Number.isInteger(seq) && seq >= 0x80 && seq <= 0xff;
}

/** The sequence number after `seq` (wraps 0xFF → 0x80). */
export function nextSeq(seq: number): number {
  return 0x80 | ((seq + 1) & 0x7f);
}

/**
 * `[op][seq][0x80 + len][word address BE][len × 4 data bytes BE, writes][CRC-16 BE]`, the CRC
 * over every byte before it. Bit 7 is set in seq and in the length byte so that neither can
 * start a UARTBone frame when the bytes before it are lost (docs/serial.md).
 */
export function encodeCommand(cmd: ReliableCommand): Uint8Array {
  if (!isSeq(cmd.seq)) throw argError('seq', cmd.seq, 'in 0x80..0xFF');
  checkByteAddress(cmd.addr);
  let op: number;
  let len: number;
  if (cmd.op === 'write') {
    checkWords(cmd.data, MAX_RELIABLE_WORDS);
    op = cmd.fixed ? RELIABLE_OP.writeFixed : RELIABLE_OP.writeIncr;
    len = cmd.data.length;
  } else if (cmd.op === 'read') {
    if (!Number.isInteger(cmd.len) || cmd.len < 1 || cmd.len > MAX_RELIABLE_WORDS) {
      throw argError('len', cmd.len, `in 1..${MAX_RELIABLE_WORDS}`);
    }
    op = cmd.fixed ? RELIABLE_OP.readFixed : RELIABLE_OP.readIncr;
    len = cmd.len;
  } else {
    throw argError('op', (cmd as { op: unknown }).op, "'write' or 'read'");
  }
  const dataWords = cmd.op === 'write' ? len : 0;
  if (!cmd.fixed && cmd.addr / 4 + len > 0x4000) throw argError('addr', cmd.addr, `a start for ${len} words`);
  const out = new Uint8Array(COMMAND_HEADER_BYTES + 4 * dataWords + CRC_BYTES);
  const view = new DataView(out.buffer);
  view.setUint8(0, op);
  view.setUint8(1, cmd.seq);
  view.setUint8(2, LEN_FLAG | len);
  view.setUint32(3, cmd.addr / 4);
  if (cmd.op === 'write') {
    for (let i = 0; i < len; i++) view.setUint32(COMMAND_HEADER_BYTES + 4 * i, cmd.data[i]);
  }
  const end = out.length - CRC_BYTES;
  view.setUint16(end, crc16(out.subarray(0, end)));
  return out;
}

/** A decoded reliable command (what the bridge sees); for fakes of the board and for tests. */
export interface DecodedCommand {
  op: ReliableOp;
  fixed: boolean;
  seq: number;
  addr: number;
  len: number;
  data: Uint32Array;
}

/** Parses one whole reliable command frame; null when it is not one (wrong op, length or CRC). */
export function decodeCommand(frame: Uint8Array): DecodedCommand | null {
  if (frame.length < COMMAND_HEADER_BYTES + CRC_BYTES) return null;
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  const op = view.getUint8(0);
  if (op < RELIABLE_OP.writeIncr || op > RELIABLE_OP.readFixed) return null;
  const write = (op & 1) === 1;
  const lenByte = view.getUint8(2);
  const len = lenByte & 0x7f;
  const dataWords = write ? len : 0;
  if (!(lenByte & LEN_FLAG) || len < 1 || len > MAX_RELIABLE_WORDS || frame.length !== COMMAND_HEADER_BYTES + 4 * dataWords + CRC_BYTES) {
    return null;
  }
  if (crc16(frame) !== 0) return null;
  const wordAddr = view.getUint32(3);
  if (wordAddr > 0x3fff) return null;
  const data = new Uint32Array(dataWords);
  for (let i = 0; i < dataWords; i++) data[i] = view.getUint32(COMMAND_HEADER_BYTES + 4 * i);
  return {
    op: write ? 'write' : 'read',
    fixed: op >= RELIABLE_OP.writeFixed,
    seq: view.getUint8(1),
    addr: wordAddr * 4,
    len,
    data,
  };
}

// ---------------------------------------------------------------- answers

export interface Answer {
  seq: number;
  /** STATUS code, REPLAYED_FLAG removed. */
  status: number;
  /** The bridge answered from its cache: the command had already been executed. */
  replayed: boolean;
  /** Words read (empty for writes and errors). */
  data: Uint32Array;
}

/** `[0xA5][seq][status][n][n × 4 data bytes BE][CRC-16 BE]`. */
export function encodeAnswer(answer: { seq: number; status: number; replayed?: boolean; data?: ArrayLike<number> }): Uint8Array {
  const data = answer.data ?? [];
  if (data.length > MAX_RELIABLE_WORDS) throw argError('data.length', data.length, `at most ${MAX_RELIABLE_WORDS}`);
  if (!Number.isInteger(answer.seq) || answer.seq < 0 || answer.seq > 0xff) throw argError('seq', answer.seq, 'a byte');
  if (!Number.isInteger(answer.status) || answer.status < 0 || answer.status > 0x7f) {
    throw argError('status', answer.status, 'in 0..0x7F');
  }
  const out = new Uint8Array(ANSWER_HEADER_BYTES + 4 * data.length + CRC_BYTES);
  const view = new DataView(out.buffer);
  view.setUint8(0, ACK_MARKER);
  view.setUint8(1, answer.seq);
  view.setUint8(2, answer.status | (answer.replayed ? REPLAYED_FLAG : 0));
  view.setUint8(3, data.length);
  for (let i = 0; i < data.length; i++) view.setUint32(ANSWER_HEADER_BYTES + 4 * i, data[i]);
  const end = out.length - CRC_BYTES;
  view.setUint16(end, crc16(out.subarray(0, end)));
  return out;
}

/**
 * Incremental decoder of answer frames from the byte stream. Bytes before a marker are skipped
 * (counted in `skipped`); a candidate whose count is impossible or whose CRC fails gives up only
 * its marker byte, so a real answer starting inside it is still found. Set `expectWords` to the
 * word count of the answer awaited: a candidate with another count (other than 0, a NAK's) is
 * given up at once instead of holding back the bytes after it until its claimed length is in
 * (a damaged count byte, or a stray 0xA5, would otherwise hide the real answer behind it).
 */
export class AnswerDecoder {
  private buf = new Uint8Array(0);
  /** Bytes thrown away since construction or the last reset(). */
  skipped = 0;
  /** Word count of the awaited answer (undefined: any count up to 16). */
  expectWords?: number;

  /** Feeds received bytes; returns the answers completed by them, in order. */
  push(chunk: Uint8Array): Answer[] {
    const merged = new Uint8Array(this.buf.length + chunk.length);
    merged.set(this.buf);
    merged.set(chunk, this.buf.length);
    const answers: Answer[] = [];
    let pos = 0;
    for (;;) {
      while (pos < merged.length && merged[pos] !== ACK_MARKER) {
        pos++;
        this.skipped++;
      }
      if (merged.length - pos < ANSWER_HEADER_BYTES) break;
      const n = merged[pos + 3];
      if (n > MAX_RELIABLE_WORDS || (this.expectWords !== undefined && n !== 0 && n !== this.expectWords)) {
        pos++;
        this.skipped++;
        continue;
      }
      const total = ANSWER_HEADER_BYTES + 4 * n + CRC_BYTES;
      if (merged.length - pos < total) break;
      const frame = merged.subarray(pos, pos + total);
      if (crc16(frame) !== 0) {
        pos++;
        this.skipped++;
        continue;
      }
      const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
      const data = new Uint32Array(n);
      for (let i = 0; i < n; i++) data[i] = view.getUint32(ANSWER_HEADER_BYTES + 4 * i);
      const status = frame[2];
      answers.push({ seq: frame[1], status: status & 0x7f, replayed: (status & REPLAYED_FLAG) !== 0, data });
      pos += total;
    }
    this.buf = merged.slice(pos);
    return answers;
  }

  /** Bytes held waiting for the rest of a possible answer. */
  get pending(): number {
    return this.buf.length;
  }

  /** Forgets held bytes (after a retry's silence, late bytes belong to nothing). */
  reset(): void {
    this.buf = new Uint8Array(0);
    this.skipped = 0;
  }
}

/** Bytes on the wire for a reliable command and for its answer: for answer timeouts. */
export function frameSizes(op: ReliableOp, len: number): { command: number; answer: number } {
  return {
    command: COMMAND_HEADER_BYTES + (op === 'write' ? 4 * len : 0) + CRC_BYTES,
    answer: ANSWER_HEADER_BYTES + (op === 'read' ? 4 * len : 0) + CRC_BYTES,
  };
}

/**
 * Whether `bytes`, all that came back for a reliable write (whose answer carries no data), are
 * its ok answer (or replayed ok answer) to `seq` with exactly one byte damaged or lost, and not
 * also a NAK to `seq` with one byte damaged or lost. Then the bridge executed the command (or
 * had already) and is ready for the next frame, and a resend can go at once. Bytes in front
 * (a late answer to an earlier command) are ignored.
 */
export function isDamagedOk(bytes: Uint8Array, seq: number): boolean {
  if (!isSeq(seq)) return false;
  const near = (template: Uint8Array): boolean => {
    const n = template.length;
    if (bytes.length >= n) {
      const tail = bytes.subarray(bytes.length - n);
      let diff = 0;
      for (let i = 0; i < n; i++) if (tail[i] !== template[i]) diff++;
      if (diff === 0) return false; // there whole: not damaged
      if (diff === 1) return true;
    }
    if (bytes.length >= n - 1) {
      // one byte lost: the tail is the template without byte `skip`
      const tail = bytes.subarray(bytes.length - (n - 1));
      for (let skip = 0; skip < n; skip++) {
        let same = true;
        for (let i = 0, j = 0; i < n - 1; i++, j++) {
          if (j === skip) j++;
          if (tail[i] !== template[j]) {
            same = false;
            break;
          }
        }
        if (same) return true;
      }
    }
    return false;
  };
  const ok = [encodeAnswer({ seq, status: STATUS.ok }), encodeAnswer({ seq, status: STATUS.ok, replayed: true })];
  const nak = [encodeAnswer({ seq, status: STATUS.badCrc }), encodeAnswer({ seq, status: STATUS.badLength })];
  return ok.some(near) && !nak.some(near);
}
