// IPv4 and IPv6 addresses as text (RFC 4291 section 2.2 in, RFC 5952 out) and as bytes.
//
// An address is 16 bytes in network order plus its family; an IPv4 address sits in bytes
// 12..15 with bytes 0..11 zero (the layout of the adapter's address slots and flow keys).

export type IpFamily = 4 | 6;

export interface IpAddress {
  family: IpFamily;
  bytes: Uint8Array; // always 16 bytes
}

/** Text that is not an IPv4 or IPv6 address; the message names the text and what is wrong. */
export class IpParseError extends Error {
  readonly code = 'EIP';
  readonly text: string;
  constructor(text: string, reason: string) {
    super(`bad IP address "${text}": ${reason}`);
    this.name = 'IpParseError';
    this.text = text;
  }
}

const DECIMAL_OCTET = /^(0|[1-9][0-9]{0,2})$/;
const HEX_GROUP = /^[0-9a-fA-F]{1,4}$/;

/** The four bytes of a dotted-quad IPv4 address, or throws naming `text`. */
export function parseIPv4Bytes(text: string, whole: string = text): Uint8Array {
  const parts = text.split('.');
  if (parts.length !== 4) throw new IpParseError(whole, `an IPv4 address has 4 dot-separated parts, found ${parts.length}`);
  const out = new Uint8Array(4);
  parts.forEach((part, i) => {
    // leading zeros are refused as inet_pton does: "010" could mean octal to another tool
    if (!DECIMAL_OCTET.test(part)) throw new IpParseError(whole, `"${part}" is not a decimal number 0..255`);
    const v = Number(part);
    if (v > 255) throw new IpParseError(whole, `${part} is more than 255`);
    out[i] = v;
  });
  return out;
}

/** The 16 bytes of an IPv6 address in any RFC 4291 text form (`::`, embedded dotted quad). */
export function parseIPv6Bytes(text: string): Uint8Array {
  if (text.includes('%')) throw new IpParseError(text, 'zone identifiers are not supported');
  const halves = text.split('::');
  if (halves.length > 2) throw new IpParseError(text, '"::" may appear only once');
  const groupsOf = (part: string): string[] => (part === '' ? [] : part.split(':'));
  const head = groupsOf(halves[0]);
  const tail = halves.length === 2 ? groupsOf(halves[1]) : [];
  const words: number[] = [];
  const all = [...head, ...tail];
  // an embedded IPv4 address may only be the last part of the text ("1.2.3.4::" is not)
  const endsText = halves.length === 2 ? tail : head;
  const last = endsText.length ? endsText[endsText.length - 1] : '';
  const dotted = last.includes('.');
  all.forEach((g, i) => {
    if (g.includes('.') && !(dotted && i === all.length - 1)) throw new IpParseError(text, `dotted IPv4 part "${g}" must come last`);
    if (g === '') throw new IpParseError(text, 'empty group (a single ":" at the start or end, or ":::")');
  });
  const hexCount = all.length - (dotted ? 1 : 0);
  for (let i = 0; i < hexCount; i++) {
    if (!HEX_GROUP.test(all[i])) throw new IpParseError(text, `"${all[i]}" is not a group of 1 to 4 hex digits`);
    words.push(Number.parseInt(all[i], 16));
  }
  if (dotted) {
    const v4 = parseIPv4Bytes(last, text);
    words.push((v4[0] << 8) | v4[1], (v4[2] << 8) | v4[3]);
  }
  const out = new Uint8Array(16);
  if (halves.length === 1) {
    if (words.length !== 8) throw new IpParseError(text, `an IPv6 address has 8 groups, found ${words.length}`);
  } else if (words.length > 7) {
    throw new IpParseError(text, '"::" must stand for at least one zero group');
  }
  const headWords = halves.length === 1 ? words.length : head.length;
  const tailWords = words.length - headWords;
  for (let i = 0; i < headWords; i++) writeWord(out, i, words[i]);
  for (let i = 0; i < tailWords; i++) writeWord(out, 8 - tailWords + i, words[headWords + i]);
  return out;
}

function writeWord(out: Uint8Array, index: number, value: number): void {
  out[2 * index] = value >> 8;
  out[2 * index + 1] = value & 0xff;
}

/** Parses either family: text with a ':' is IPv6, otherwise IPv4. */
export function parseIp(text: string): IpAddress {
  if (text === '') throw new IpParseError(text, 'empty');
  if (text.includes(':')) return { family: 6, bytes: parseIPv6Bytes(text) };
  if (/^[0-9]/.test(text) && text.includes('.')) {
    const bytes = new Uint8Array(16);
    bytes.set(parseIPv4Bytes(text), 12);
    return { family: 4, bytes };
  }
  throw new IpParseError(text, 'neither a dotted-quad IPv4 nor an IPv6 address');
}

/** Canonical text: dotted quad for IPv4, RFC 5952 for IPv6. */
export function formatIp(bytes: Uint8Array, family: IpFamily): string {
  if (bytes.length !== 16) throw new RangeError(`an address is 16 bytes, got ${bytes.length}`);
  return family === 4 ? formatIPv4(bytes.subarray(12, 16)) : formatIPv6(bytes);
}

export function formatIPv4(four: Uint8Array): string {
  return `${four[0]}.${four[1]}.${four[2]}.${four[3]}`;
}

/**
 * RFC 5952: lowercase, no leading zeros, the longest run of two or more zero groups (the
 * first on a tie) as "::"; IPv4-mapped addresses (::ffff:0:0/96) end in a dotted quad.
 */
export function formatIPv6(bytes: Uint8Array): string {
  const words = Array.from({ length: 8 }, (_, i) => (bytes[2 * i] << 8) | bytes[2 * i + 1]);
  const mapped = words.slice(0, 5).every((w) => w === 0) && words[5] === 0xffff;
  const hexWords = mapped ? 6 : 8;
  let bestAt = -1;
  let bestLen = 0;
  for (let i = 0; i < hexWords; ) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < hexWords && words[j] === 0) j++;
    if (j - i > bestLen) {
      bestAt = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (from: number, to: number) => words.slice(from, to).map((w) => w.toString(16));
  const tailV4 = mapped ? formatIPv4(bytes.subarray(12, 16)) : undefined;
  if (bestLen < 2) {
    return [...hex(0, hexWords), ...(tailV4 ? [tailV4] : [])].join(':');
  }
  const left = hex(0, bestAt).join(':');
  const right = [...hex(bestAt + bestLen, hexWords), ...(tailV4 ? [tailV4] : [])].join(':');
  return `${left}::${right}`;
}

export function ipEquals(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
