import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CaptureError, readCapture, writePcap, type Frame } from '../host/src/codec/pcap.js';

const DIR = join(import.meta.dirname, 'pcaps');
const read = (name: string) => readCapture(readFileSync(join(DIR, name)));

function captureError(fn: () => unknown): CaptureError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(CaptureError);
    expect((err as CaptureError).code).toBe('ECAPTURE');
    return err as CaptureError;
  }
  throw new Error('expected a CaptureError, nothing was thrown');
}

// ---- hand-built files (layouts from the pcap and pcapng specifications) ----

/** Little builder of byte strings with explicit byte order. */
class Bytes {
  private parts: number[] = [];
  constructor(private readonly le: boolean) {}
  u8(...v: number[]) {
    this.parts.push(...v);
    return this;
  }
  u16(v: number) {
    return this.le ? this.u8(v & 0xff, v >> 8) : this.u8(v >> 8, v & 0xff);
  }
  u32(v: number) {
    const b = [(v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff];
    return this.u8(...(this.le ? b.reverse() : b));
  }
  raw(b: Uint8Array | number[]) {
    return this.u8(...b);
  }
  get length() {
    return this.parts.length;
  }
  done() {
    return Uint8Array.from(this.parts);
  }
}

const frameOf = (n: number, len: number) => Uint8Array.from({ length: len }, (_, i) => (n * 31 + i) & 0xff);

function classicPcap(le: boolean, magic: number, linkType: number, records: { sec: number; frac: number; data: Uint8Array; orig?: number }[]) {
  const b = new Bytes(le).u32(magic).u16(2).u16(4).u32(0).u32(0).u32(65535).u32(linkType);
  for (const r of records) b.u32(r.sec).u32(r.frac).u32(r.data.length).u32(r.orig ?? r.data.length).raw(r.data);
  return b.done();
}

function block(le: boolean, type: number, body: Bytes | Uint8Array): Uint8Array {
  const content = body instanceof Uint8Array ? body : body.done();
  const pad = (4 - (content.length % 4)) % 4;
  const total = 12 + content.length + pad;
  return new Bytes(le).u32(type).u32(total).raw(content).raw(new Array(pad).fill(0)).u32(total).done();
}

const shb = (le: boolean) => block(le, 0x0a0d0d0a, new Bytes(le).u32(0x1a2b3c4d).u16(1).u16(0).u32(0xffffffff).u32(0xffffffff));

function idb(le: boolean, linkType: number, tsresol?: number, snapLen = 0) {
  const b = new Bytes(le).u16(linkType).u16(0).u32(snapLen);
  if (tsresol !== undefined) b.u16(9).u16(1).u8(tsresol, 0, 0, 0).u16(0).u16(0);
  return block(le, 1, b);
}

function epb(le: boolean, ifId: number, ticks: bigint, data: Uint8Array, orig = data.length) {
  const b = new Bytes(le).u32(ifId).u32(Number(ticks >> 32n)).u32(Number(ticks & 0xffffffffn)).u32(data.length).u32(orig).raw(data);
  while (b.length % 4) b.u8(0);
  return block(le, 6, b);
}

const spb = (le: boolean, data: Uint8Array, orig = data.length) => block(le, 3, new Bytes(le).u32(orig).raw(data));
const concat = (...parts: Uint8Array[]) => Uint8Array.from(parts.flatMap((p) => [...p]));

describe('classic pcap', () => {
  const records = [
    { sec: 1_600_000_000, frac: 123_456, data: frameOf(1, 60) },
    { sec: 1_600_000_001, frac: 999_999, data: frameOf(2, 14), orig: 1514 },
  ];

  it.each([
    ['little-endian µs', true, 0xa1b2c3d4, 1],
    ['big-endian µs', false, 0xa1b2c3d4, 1],
    ['little-endian ns', true, 0xa1b23c4d, 1000],
    ['big-endian ns', false, 0xa1b23c4d, 1000],
  ])('reads %s', (_name, le, magic, scale) => {
    const file = classicPcap(le, magic, 1, records.map((r) => ({ ...r, frac: r.frac * scale + (scale > 1 ? 999 : 0) })));
    const cap = readCapture(file);
    expect(cap.format).toBe('pcap');
    expect(cap.frames).toEqual([
      { data: records[0].data, tsSec: 1_600_000_000, tsUsec: 123_456 },
      { data: records[1].data, tsSec: 1_600_000_001, tsUsec: 999_999 }, // captured bytes, not orig_len
    ]);
  });

  it('masks the link-type field to its low 16 bits', () => {
    expect(readCapture(classicPcap(true, 0xa1b2c3d4, 0x30000001, records)).frames).toHaveLength(2);
    const err = captureError(() => readCapture(classicPcap(true, 0xa1b2c3d4, 0x30000065, records)));
    expect(err.message).toBe('link type 101 (RAW) is not Ethernet (1)');
    expect(err.linkType).toBe(101);
  });

  it('names the byte offset of a truncated record', () => {
    const file = classicPcap(true, 0xa1b2c3d4, 1, records);
    // second record starts at 24 + 16 + 60 = 100
    const cut = captureError(() => readCapture(file.subarray(0, file.length - 1)));
    expect(cut.message).toMatch(/record 2 at byte offset 100 truncated: captured length 14 but only 13 bytes remain/);
    expect(cut.offset).toBe(100);
    const header = captureError(() => readCapture(file.subarray(0, 100 + 7)));
    expect(header.message).toMatch(/record 2 header truncated at byte offset 100: 7 of 16 bytes/);
    expect(captureError(() => readCapture(file.subarray(0, 20))).message).toMatch(/file header truncated: 20 of 24 bytes/);
    expect(readCapture(file.subarray(0, 24)).frames).toEqual([]);
  });

  it('sniffs the magic, and says what it found when it is not a capture', () => {
    expect(captureError(() => readCapture(new TextEncoder().encode('hello world, no pcap'))).message).toMatch(
      /not a pcap or pcapng capture: magic 0x68656c6c at byte offset 0/,
    );
    expect(captureError(() => readCapture(Uint8Array.of(0x1f, 0x8b, 8, 0, 0))).message).toMatch(/gzip/);
    expect(captureError(() => readCapture(new Uint8Array(0))).message).toMatch(/too short/);
  });
});

describe('pcapng', () => {
  it('reads EPB and SPB with per-interface resolution, several sections of either byte order', () => {
    const a = frameOf(1, 60);
    const b = frameOf(2, 70);
    const c = frameOf(3, 64);
    const d = frameOf(4, 40);
    const file = concat(
      shb(false), // big-endian section
      idb(false, 1), // interface 0: µs (default)
      idb(false, 1, 9), // interface 1: ns
      block(false, 5, new Bytes(false).u32(0).u32(0).u32(0)), // interface statistics: skipped
      epb(false, 0, 1_700_000_000_250_000n, a, 1500),
      epb(false, 1, 1_700_000_001_000_002_999n, b),
      shb(true), // little-endian section: interfaces start again
      idb(true, 1, 0x80 | 10, 64), // 2^-10 s per tick, snaplen 64
      block(true, 4, new Bytes(true).u16(0).u16(0)), // name resolution: skipped
      epb(true, 0, (5n << 10n) | 512n, c),
      spb(true, d, 1500), // orig 1500, only 40 bytes present
    );
    const cap = readCapture(file);
    expect(cap.format).toBe('pcapng');
    expect(cap.frames).toEqual([
      { data: a, tsSec: 1_700_000_000, tsUsec: 250_000 },
      { data: b, tsSec: 1_700_000_001, tsUsec: 2 },
      { data: c, tsSec: 5, tsUsec: 500_000 },
      { data: d, tsSec: 0, tsUsec: 0 },
    ]);
  });

  it('refuses a packet on a non-Ethernet interface and names the link type', () => {
    const file = concat(shb(true), idb(true, 1), idb(true, 101), epb(true, 0, 0n, frameOf(1, 60)), epb(true, 1, 0n, frameOf(2, 60)));
    const err = captureError(() => readCapture(file));
    expect(err.message).toMatch(/interface 1 link type 101 \(RAW\) is not Ethernet \(1\)/);
  });

  it('names interfaces the section does not describe', () => {
    const file = concat(shb(true), idb(true, 1), epb(true, 3, 0n, frameOf(1, 60)));
    expect(captureError(() => readCapture(file)).message).toMatch(/names interface 3, but the section describes 1/);
  });

  it('names the offset of a truncated or inconsistent block', () => {
    const good = concat(shb(true), idb(true, 1), epb(true, 0, 0n, frameOf(1, 60)));
    const epbAt = shb(true).length + idb(true, 1).length;
    const err = captureError(() => readCapture(good.subarray(0, good.length - 2)));
    expect(err.message).toMatch(new RegExp(`block \\(type 0x6\\) at byte offset ${epbAt} truncated`));
    expect(err.offset).toBe(epbAt);
    const bad = good.slice();
    bad[bad.length - 4] ^= 4; // trailing length
    expect(captureError(() => readCapture(bad)).message).toMatch(/trailing length .* differs from leading length/);
    expect(captureError(() => readCapture(good.subarray(0, epbAt + 5))).message).toMatch(
      new RegExp(`block header truncated at byte offset ${epbAt}`),
    );
  });
});

describe('the captures of test/pcaps', () => {
  // packet counts and formats from test/pcaps/INDEX.md
  it.each([
    ['tcpdump__zmtp1.pcap', 'pcap', 16],
    ['tcpdump__ssh.pcap', 'pcap', 54],
    ['pcapplusplus__http-packets2.pcap', 'pcap', 222],
    ['pcapplusplus__tls.pcap', 'pcap', 44],
    ['pcapplusplus__nanosecs_big_endian.pcap', 'pcap', 10],
    ['pcapplusplus__QinQ_802.1_AD.pcapng', 'pcapng', 1],
    ['pcapplusplus__someip.pcapng', 'pcapng', 2],
    ['pcapplusplus__IcmpPackets.pcap', 'pcapng', 15],
    ['pcapplusplus__ipv6_options.pcap', 'pcapng', 6],
    ['pcapplusplus__ipv4-malformed.pcap', 'pcapng', 2],
    ['pcapplusplus__ip4_fragments.pcap', 'pcap', 53],
    ['pcapplusplus__many-protocols.pcap', 'pcap', 4709],
    ['tcpdump__tcp_header_heapoverflow.pcap', 'pcap', 1],
    ['tcpdump__heapoverflow-tcp_print.pcap', 'pcap', 1],
    ['derived/pcapplusplus__four_ipv6_http_streams__enet.pcap', 'pcap', 81],
    ['derived/pcapplusplus__three_http_streams__snap64.pcap', 'pcap', 28],
  ])('%s is %s with %i frames', (name, format, count) => {
    const cap = read(name);
    expect(cap.format).toBe(format);
    expect(cap.frames).toHaveLength(count);
  });

  it('classic files: header + records add up to the file size of INDEX.md', () => {
    for (const [name, size] of [
      ['tcpdump__zmtp1.pcap', 2119],
      ['pcapplusplus__nanosecs_big_endian.pcap', 2382],
      ['pcapplusplus__many-protocols.pcap', 2931377],
    ] as const) {
      const cap = read(name);
      expect(24 + cap.frames.reduce((n, f) => n + 16 + f.data.length, 0), name).toBe(size);
    }
  });

  it('reads the big-endian nanosecond file', () => {
    const bytes = readFileSync(join(DIR, 'pcapplusplus__nanosecs_big_endian.pcap'));
    expect(bytes.subarray(0, 4).toString('hex')).toBe('a1b23c4d');
    const cap = readCapture(bytes);
    // first record: seconds and nanoseconds straight from the file, big-endian
    const view = new DataView(bytes.buffer, bytes.byteOffset);
    expect(cap.frames[0].tsSec).toBe(view.getUint32(24));
    expect(cap.frames[0].tsUsec).toBe(Math.floor(view.getUint32(28) / 1000));
    expect(cap.frames[0].data.length).toBe(view.getUint32(32));
    expect(Buffer.from(cap.frames[0].data.subarray(12, 14)).toString('hex')).toBe('0800');
    for (const f of cap.frames) expect(f.tsUsec).toBeLessThan(1_000_000);
  });

  it('keeps caplen bytes, not orig_len, and accepts the fuzzed link-type field 0x30000001', () => {
    expect(read('tcpdump__tcp_header_heapoverflow.pcap').frames[0].data.length).toBe(46);
    expect(read('tcpdump__heapoverflow-tcp_print.pcap').frames[0].data.length).toBe(64);
    expect(read('tcpdump__dns_udp_2.pcap').frames[1].data.length).toBe(98);
  });

  it.each([
    ['pcapplusplus__one_ipv6_http_stream.pcap', 101],
    ['pcapplusplus__four_ipv6_http_streams.pcap', 12],
  ])('refuses the raw-IP capture %s', (name, linkType) => {
    const err = captureError(() => read(name));
    expect(err.message).toBe(`link type ${linkType} (RAW) is not Ethernet (1)`);
  });
});

describe('writePcap', () => {
  it('writes little-endian µs, snaplen 262144, Ethernet, byte for byte', () => {
    const out = writePcap([{ data: Uint8Array.of(1, 2, 3), tsSec: 0x01020304, tsUsec: 5 }]);
    expect(Buffer.from(out).toString('hex')).toBe(
      'd4c3b2a1' + '0200' + '0400' + '00000000' + '00000000' + '00000400' + '01000000' + '04030201' + '05000000' + '03000000' + '03000000' + '010203',
    );
  });

  it('round-trips every frame of real captures through readCapture', () => {
    for (const name of ['pcapplusplus__nanosecs_big_endian.pcap', 'pcapplusplus__someip.pcapng', 'pcapplusplus__many-protocols.pcap']) {
      const frames: Frame[] = read(name).frames;
      const back = readCapture(writePcap(frames));
      expect(back.format).toBe('pcap');
      expect(back.frames, name).toEqual(frames);
    }
  });

  it('refuses timestamps a record cannot hold', () => {
    expect(() => writePcap([{ data: new Uint8Array(14), tsSec: 0, tsUsec: 1_000_000 }])).toThrow(/tsUsec 1000000/);
    expect(() => writePcap([{ data: new Uint8Array(14), tsSec: -1, tsUsec: 0 }])).toThrow(/tsSec -1/);
  });
});
