import { describe, expect, it } from 'vitest';
import { formatIp, formatIPv6, IpParseError, ipEquals, parseIp } from '../host/src/codec/ip.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('parseIp', () => {
  it('puts IPv4 in bytes 12..15 with zeros before', () => {
    const a = parseIp('192.0.2.7');
    expect(a.family).toBe(4);
    expect(hex(a.bytes)).toBe('000000000000000000000000c0000207');
  });

  it.each([
    ['::', '00000000000000000000000000000000'],
    ['::1', '00000000000000000000000000000001'],
    ['1::', '00010000000000000000000000000000'],
    ['2001:db8::1', '20010db8000000000000000000000001'],
    ['2001:DB8:0:0:8:800:200C:417A', '20010db8000000000008080020 0c417a'.replace(' ', '')],
    ['ff01::101', 'ff010000000000000000000000000101'],
    ['1:2:3:4:5:6:7::', '00010002000300040005000600070000'],
    ['::2:3:4:5:6:7:8', '00000002000300040005000600070008'],
    ['::ffff:1.2.3.4', '00000000000000000000ffff01020304'],
    ['::13.1.68.3', '0000000000000000000000000d014403'],
    ['0:0:0:0:0:FFFF:129.144.52.38', '00000000000000000000ffff81903426'],
    ['64:ff9b::192.0.2.33', '0064ff9b0000000000000000c0000221'],
  ])('parses IPv6 %s', (text, bytes) => {
    const a = parseIp(text);
    expect(a.family).toBe(6);
    expect(hex(a.bytes)).toBe(bytes);
  });

  it.each([
    ['', /empty/],
    ['1.2.3', /4 dot-separated parts/],
    ['1.2.3.4.5', /4 dot-separated parts/],
    ['1.2.3.256', /256 is more than 255/],
    ['01.2.3.4', /"01" is not a decimal/],
    ['1.2.3.x', /"x" is not a decimal/],
    ['example.com', /neither/],
    ['1::2::3', /"::" may appear only once/],
    [':1:2:3:4:5:6:7', /empty group/],
    ['1:2:3:4:5:6:7:', /empty group/],
    [':::', /empty group/],
    ['1:2:3:4:5:6:7', /8 groups, found 7/],
    ['1:2:3:4:5:6:7:8:9', /8 groups, found 9/],
    ['1:2:3:4:5:6:7:8::', /at least one zero group/],
    ['12345::', /"12345" is not a group/],
    ['g::1', /"g" is not a group/],
    ['1.2.3.4::', /must come last/],
    ['::1.2.3.4:5', /must come last/],
    ['::1.2.3', /4 dot-separated parts/],
    ['fe80::1%eth0', /zone/],
  ])('rejects %j', (text, reason) => {
    let err: unknown;
    try {
      parseIp(text);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(IpParseError);
    expect((err as IpParseError).code).toBe('EIP');
    expect((err as Error).message).toContain(`"${text}"`);
    expect((err as Error).message).toMatch(reason);
  });
});

describe('formatIp (RFC 5952)', () => {
  it.each([
    // RFC 5952 section 4 examples and rules
    ['2001:0db8:0000:0000:0000:0000:0000:0001', '2001:db8::1'],
    ['2001:db8:0:0:0:0:2:1', '2001:db8::2:1'],
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'], // one zero group is not shortened
    ['2001:0:0:1:0:0:0:1', '2001:0:0:1::1'], // the longest run
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'], // the first of equal runs
    ['2001:DB8::ABCD', '2001:db8::abcd'], // lowercase
    ['0:0:0:0:0:0:0:0', '::'],
    ['0:0:0:0:0:0:0:1', '::1'],
    ['1:0:0:0:0:0:0:0', '1::'],
    ['0:0:0:0:0:ffff:c000:0207', '::ffff:192.0.2.7'], // IPv4-mapped in mixed notation
    ['fe80::0001:0002', 'fe80::1:2'],
  ])('%s → %s', (input, canonical) => {
    const a = parseIp(input);
    expect(formatIp(a.bytes, a.family)).toBe(canonical);
    const again = parseIp(canonical);
    expect(ipEquals(again.bytes, a.bytes)).toBe(true);
  });

  it('formats IPv4 from bytes 12..15', () => {
    const b = new Uint8Array(16);
    b.set([10, 0, 0, 1], 12);
    expect(formatIp(b, 4)).toBe('10.0.0.1');
  });

  it('round-trips random IPv6 addresses with zero runs', () => {
    let seed = 1;
    const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 16) & 0xffff;
    for (let n = 0; n < 2000; n++) {
      const b = new Uint8Array(16);
      for (let i = 0; i < 8; i++) {
        const w = rand() % 3 === 0 ? rand() : 0;
        b[2 * i] = w >> 8;
        b[2 * i + 1] = w & 0xff;
      }
      const text = formatIPv6(b);
      expect(text).not.toMatch(/:::|(^|:)0[0-9a-f]/);
      expect(ipEquals(parseIp(text).bytes, b), text).toBe(true);
    }
  });
});
