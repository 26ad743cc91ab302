import { describe, expect, it } from 'vitest';
import {
  ACK_MARKER,
  AnswerDecoder,
  REPLAYED_FLAG,
  RELIABLE_OP,
  STATUS,
  SerialProtocolError,
  crc16,
  decodeCommand,
  decodeUartBoneRead,
  encodeAnswer,
  encodeCommand,
  encodeUartBoneRead,
  encodeUartBoneWrite,
  frameSizes,
  isDamagedOk,
  nextSeq,
} from '../host/src/bus/serial-protocol.js';

const ascii = (s: string) => new TextEncoder().encode(s);
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('crc16 (CRC-16/CCITT-FALSE)', () => {
  it('matches the catalogue check value and residue', () => {
    // check value from the CRC catalogue (Williams/Cook): "123456789" -> 0x29B1
    expect(crc16(ascii('123456789'))).toBe(0x29b1);
    expect(crc16(new Uint8Array(0))).toBe(0xffff);
    // the CRC appended big-endian leaves a zero remainder
    expect(crc16(new Uint8Array([...ascii('123456789'), 0x29, 0xb1]))).toBe(0);
  });
  it('chains over pieces', () => {
    expect(crc16(ascii('6789'), crc16(ascii('12345')))).toBe(0x29b1);
  });
});

describe('UARTBone frames', () => {
  it('encodes word addresses and big-endian data', () => {
    expect(hex(encodeUartBoneWrite(0x1c, [0x12345678]))).toBe('0101' + '00000007' + '12345678');
    expect(hex(encodeUartBoneWrite(0x1c, [1, 2], true))).toBe('0302' + '00000007' + '00000001' + '00000002');
    expect(hex(encodeUartBoneRead(0x0, 3))).toBe('0203' + '00000000');
    expect(hex(encodeUartBoneRead(0x400, 1, true))).toBe('0401' + '00000100');
    // 256 words travel as length byte 0
    expect(encodeUartBoneRead(0, 256)[1]).toBe(0);
  });
  it('decodes read answers', () => {
    expect([...decodeUartBoneRead(new Uint8Array([0x53, 0x50, 0, 1, 0, 0, 0, 2]), 2)]).toEqual([0x53500001, 2]);
    expect(() => decodeUartBoneRead(new Uint8Array(3), 1)).toThrow(/bytes.length 3/);
  });
  it('rejects bad arguments', () => {
    expect(() => encodeUartBoneRead(2, 1)).toThrow(SerialProtocolError);
    expect(() => encodeUartBoneRead(0, 0)).toThrow(/len 0/);
    expect(() => encodeUartBoneWrite(0, [])).toThrow(/data.length 0/);
    expect(() => encodeUartBoneWrite(0, [2 ** 32])).toThrow(/data\[0\]/);
  });
});

describe('reliable commands', () => {
  it('lays out a write as documented', () => {
    const f = encodeCommand({ op: 'write', seq: 0x90, addr: 0x1c, data: [0xcafef00d] });
    expect(hex(f.subarray(0, 11))).toBe('81' + '90' + '81' + '00000007' + 'cafef00d');
    expect(hex(encodeCommand({ op: 'read', seq: 0xff, addr: 0x400, len: 16 }).subarray(0, 7))).toBe(
      '82' + 'ff' + '90' + '00000100',
    );
    expect(f.length).toBe(13);
    expect(crc16(f)).toBe(0);
    expect(f.length).toBe(frameSizes('write', 1).command);
  });
  it('encodes each op byte', () => {
    expect(encodeCommand({ op: 'write', seq: 0x80, addr: 0, data: [1] })[0]).toBe(RELIABLE_OP.writeIncr);
    expect(encodeCommand({ op: 'read', seq: 0x80, addr: 0, len: 1 })[0]).toBe(RELIABLE_OP.readIncr);
    expect(encodeCommand({ op: 'write', seq: 0x80, addr: 0, data: [1], fixed: true })[0]).toBe(RELIABLE_OP.writeFixed);
    expect(encodeCommand({ op: 'read', seq: 0x80, addr: 0, len: 1, fixed: true })[0]).toBe(RELIABLE_OP.readFixed);
  });
  it('round-trips through decodeCommand', () => {
    const data = Array.from({ length: 16 }, (_, i) => (0x01020304 * (i + 1)) >>> 0);
    const f = encodeCommand({ op: 'write', seq: 0xfe, addr: 0x200, data, fixed: true });
    const d = decodeCommand(f);
    expect(d).toEqual({ op: 'write', fixed: true, seq: 0xfe, addr: 0x200, len: 16, data: Uint32Array.from(data) });
    const r = decodeCommand(encodeCommand({ op: 'read', seq: 0x81, addr: 0xfffc, len: 1 }));
    expect(r).toMatchObject({ op: 'read', fixed: false, seq: 0x81, addr: 0xfffc, len: 1 });
  });
  it('rejects a length byte without bit 7 even with a good CRC', () => {
    const f = encodeCommand({ op: 'read', seq: 0x80, addr: 0, len: 1 });
    f[2] = 0x01;
    f.set([crc16(f.subarray(0, 7)) >> 8, crc16(f.subarray(0, 7)) & 0xff], 7);
    expect(decodeCommand(f)).toBeNull();
  });
  it('every single-byte corruption is caught by the CRC', () => {
    const f = encodeCommand({ op: 'write', seq: 0xa0, addr: 0x1c, data: [1, 2, 3] });
    for (let i = 0; i < f.length; i++) {
      for (const flip of [0x01, 0x80, 0xff]) {
        const g = f.slice();
        g[i] ^= flip;
        expect(decodeCommand(g)).toBeNull();
      }
    }
  });
  it('rejects bad arguments', () => {
    expect(() => encodeCommand({ op: 'read', seq: 0x7f, addr: 0, len: 1 })).toThrow(/seq 127/);
    expect(() => encodeCommand({ op: 'read', seq: 0x80, addr: 0, len: 17 })).toThrow(/len 17/);
    expect(() => encodeCommand({ op: 'write', seq: 0x80, addr: 0, data: new Array(17).fill(0) })).toThrow(
      /data.length 17/,
    );
    expect(() => encodeCommand({ op: 'read', seq: 0x80, addr: 0xfffc, len: 2 })).toThrow(/addr 65532/);
    expect(() => encodeCommand({ op: 'read', seq: 0x80, addr: 0xfffc, len: 2, fixed: true })).not.toThrow();
  });
  it('sequence numbers stay in 0x80..0xFF', () => {
    expect(nextSeq(0x80)).toBe(0x81);
    expect(nextSeq(0xff)).toBe(0x80);
  });
});

describe('AnswerDecoder', () => {
  const ok = encodeAnswer({ seq: 0x91, status: STATUS.ok, data: [0x53500001, 0xcafef00d] });
  const nak = encodeAnswer({ seq: 0x92, status: STATUS.badCrc });
  const replay = encodeAnswer({ seq: 0x93, status: STATUS.ok, replayed: true });

  it('lays out an answer as documented', () => {
    expect(hex(ok.subarray(0, 12))).toBe('a5' + '91' + '00' + '02' + '53500001' + 'cafef00d');
    expect(ok.length).toBe(frameSizes('read', 2).answer);
    expect(nak[2]).toBe(STATUS.badCrc);
    expect(replay[2]).toBe(REPLAYED_FLAG);
  });
  it('decodes answers split at every byte boundary', () => {
    const stream = new Uint8Array([...ok, ...nak, ...replay]);
    const d = new AnswerDecoder();
    const got = [];
    for (const b of stream) got.push(...d.push(new Uint8Array([b])));
    expect(got).toEqual([
      { seq: 0x91, status: 0, replayed: false, data: Uint32Array.from([0x53500001, 0xcafef00d]) },
      { seq: 0x92, status: 1, replayed: false, data: new Uint32Array(0) },
      { seq: 0x93, status: 0, replayed: true, data: new Uint32Array(0) },
    ]);
    expect(d.pending).toBe(0);
  });
  it('skips garbage, including false markers, before an answer', () => {
    const d = new AnswerDecoder();
    const garbage = new Uint8Array([0x00, ACK_MARKER, 0x12, ACK_MARKER, 0x20, 0xff, ACK_MARKER, 0x80, 0x00, 0x01, 0x02]);
    const got = d.push(new Uint8Array([...garbage, ...ok]));
    expect(got).toHaveLength(1);
    expect(got[0].seq).toBe(0x91);
    expect(d.skipped).toBe(garbage.length);
  });
  it('with expectWords, a candidate claiming another word count does not hide the answer behind it', () => {
    // a damaged answer whose count byte grew (2 -> 15 words: 66 bytes claimed), then the good one
    const bad = ok.slice();
    bad[3] = 15;
    const stream = new Uint8Array([...bad, ...ok]);
    const loose = new AnswerDecoder();
    expect(loose.push(stream)).toEqual([]); // waits for the 66 bytes the false candidate claims
    const strict = new AnswerDecoder();
    strict.expectWords = 2;
    const got = strict.push(stream);
    expect(got.map((a) => [a.seq, a.data.length])).toEqual([[0x91, 2]]);
    // NAKs (0 words) still get through
    expect(strict.push(nak).map((a) => a.status)).toEqual([STATUS.badCrc]);
  });
  it('drops a corrupted answer and finds the next one', () => {
    const bad = ok.slice();
    bad[5] ^= 0x10;
    const d = new AnswerDecoder();
    expect(d.push(new Uint8Array([...bad, ...nak]))).toEqual([
      { seq: 0x92, status: 1, replayed: false, data: new Uint32Array(0) },
    ]);
    d.reset();
    expect(d.pending).toBe(0);
  });
  it('holds a partial answer until the rest arrives', () => {
    const d = new AnswerDecoder();
    expect(d.push(ok.subarray(0, 7))).toEqual([]);
    expect(d.pending).toBe(7);
    expect(d.push(ok.subarray(7))).toHaveLength(1);
  });
});

describe('isDamagedOk (a write answer worth resending at once)', () => {
  const seq = 0x9c;
  const ok = encodeAnswer({ seq, status: STATUS.ok });
  const replayed = encodeAnswer({ seq, status: STATUS.ok, replayed: true });
  const nak = encodeAnswer({ seq, status: STATUS.badCrc });
  const flip = (b: Uint8Array, i: number, mask = 0x10) => {
    const c = Uint8Array.from(b);
    c[i] ^= mask;
    return c;
  };
  const without = (b: Uint8Array, i: number) => Uint8Array.from([...b.subarray(0, i), ...b.subarray(i + 1)]);

  it('is true for an ok or replayed answer to seq with any one byte damaged or lost', () => {
    for (const a of [ok, replayed]) {
      for (let i = 0; i < a.length; i++) {
        expect(isDamagedOk(flip(a, i), seq), `byte ${i} damaged`).toBe(true);
        expect(isDamagedOk(without(a, i), seq), `byte ${i} lost`).toBe(true);
      }
    }
    // with a late answer to the previous command in front
    expect(isDamagedOk(Uint8Array.from([...encodeAnswer({ seq: seq - 1, status: 0 }), ...flip(ok, 4)]), seq)).toBe(true);
  });

  it('is false for a NAK with one byte damaged or lost, for the intact answer, for other seqs and for noise', () => {
    for (let i = 0; i < nak.length; i++) {
      expect(isDamagedOk(flip(nak, i), seq), `NAK byte ${i} damaged`).toBe(false);
      expect(isDamagedOk(without(nak, i), seq), `NAK byte ${i} lost`).toBe(false);
    }
    // the NAK's status damaged into ok: one byte from ok in the header, but its CRC is the NAK's
    expect(isDamagedOk(flip(nak, 2, 0x01), seq)).toBe(false);
    expect(isDamagedOk(ok, seq)).toBe(false);
    expect(isDamagedOk(flip(ok, 4), seq + 1)).toBe(false);
    expect(isDamagedOk(flip(flip(ok, 4), 5), seq)).toBe(false);
    expect(isDamagedOk(new Uint8Array([1, 2, 3]), seq)).toBe(false);
    expect(isDamagedOk(new Uint8Array(0), seq)).toBe(false);
  });
});
