// Reading and writing packet captures.
//
// In: classic pcap (either byte order, µs or ns timestamps) and pcapng (any number of
// sections and interfaces, EPB/SPB/obsolete packet blocks), told apart by the magic number,
// never by the file name. Only Ethernet captures are accepted. A record's captured bytes are
// the frame; its original length is ignored.
// Out: classic little-endian µs pcap, snaplen 262144, link type Ethernet.

export interface Frame {
  data: Uint8Array;
  tsSec: number;
  tsUsec: number;
}

export interface Capture {
  format: 'pcap' | 'pcapng';
  frames: Frame[];
}

/** A capture that cannot be read; the message names the byte offset or the link type. */
export class CaptureError extends Error {
  readonly code = 'ECAPTURE';
  readonly offset?: number;
  readonly linkType?: number;
  constructor(message: string, options: { offset?: number; linkType?: number } = {}) {
    super(message);
    this.name = 'CaptureError';
    this.offset = options.offset;
    this.linkType = options.linkType;
  }
}

export const LINKTYPE_ETHERNET = 1;
export const PCAP_SNAPLEN = 262144;

// Names for the link types a wrong capture most likely carries (tcpdump.org/linktypes.html).
const LINK_TYPE_NAMES: Record<number, string> = {
  0: 'NULL',
  1: 'ETHERNET',
  6: 'IEEE802_5',
  9: 'PPP',
  12: 'RAW',
  14: 'RAW',
  101: 'RAW',
  104: 'C_HDLC',
  105: 'IEEE802_11',
  108: 'LOOP',
  113: 'LINUX_SLL',
  127: 'IEEE802_11_RADIOTAP',
  228: 'IPV4',
  229: 'IPV6',
  276: 'LINUX_SLL2',
};

export function linkTypeName(linkType: number): string {
  return LINK_TYPE_NAMES[linkType] ?? 'unknown';
}

function requireEthernet(linkType: number, where: string, offset: number): void {
  if (linkType !== LINKTYPE_ETHERNET) {
    throw new CaptureError(`${where}link type ${linkType} (${linkTypeName(linkType)}) is not Ethernet (1)`, { linkType, offset });
  }
}

const PCAP_MAGIC_US = 0xa1b2c3d4;
const PCAP_MAGIC_NS = 0xa1b23c4d;
const PCAP_MAGIC_MODIFIED = 0xa1b2cd34; // Kuznetsov's patched libpcap: 8 more bytes per record
const PCAPNG_SHB = 0x0a0d0d0a;
const PCAPNG_BYTE_ORDER = 0x1a2b3c4d;

/** Reads a classic pcap or pcapng capture held in memory. */
export function readCapture(bytes: Uint8Array): Capture {
  if (bytes.length < 4) {
    throw new CaptureError(`not a capture: ${bytes.length} bytes, too short for a magic number (truncated at byte offset ${bytes.length})`, { offset: bytes.length });
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magicBE = view.getUint32(0, false);
  const magicLE = view.getUint32(0, true);
  if (magicBE === PCAPNG_SHB) return { format: 'pcapng', frames: readPcapng(bytes, view) };
  for (const magic of [PCAP_MAGIC_US, PCAP_MAGIC_NS, PCAP_MAGIC_MODIFIED]) {
    if (magicBE === magic) return { format: 'pcap', frames: readPcap(bytes, view, false, magic) };
    if (magicLE === magic) return { format: 'pcap', frames: readPcap(bytes, view, true, magic) };
  }
  const hint = bytes[0] === 0x1f && bytes[1] === 0x8b ? ' (gzip-compressed: decompress it first)' : '';
  throw new CaptureError(
    `not a pcap or pcapng capture: magic 0x${magicBE.toString(16).padStart(8, '0')} at byte offset 0${hint}`,
    { offset: 0 },
  );
}

function readPcap(bytes: Uint8Array, view: DataView, le: boolean, magic: number): Frame[] {
  if (bytes.length < 24) {
    throw new CaptureError(`pcap file header truncated: ${bytes.length} of 24 bytes present (truncated at byte offset ${bytes.length})`, { offset: bytes.length });
  }
  // The upper bits of the link-type field carry FCS information (or fuzz); the type is the low 16.
  const linkType = view.getUint32(20, le) & 0xffff;
  requireEthernet(linkType, '', 20);
  const ns = magic === PCAP_MAGIC_NS;
  const recordHeader = magic === PCAP_MAGIC_MODIFIED ? 24 : 16;
  const frames: Frame[] = [];
  let at = 24;
  while (at < bytes.length) {
    const n = frames.length + 1;
    if (at + recordHeader > bytes.length) {
      throw new CaptureError(
        `record ${n} header truncated at byte offset ${at}: ${bytes.length - at} of ${recordHeader} bytes present`,
        { offset: at },
      );
    }
    const tsSec = view.getUint32(at, le);
    const frac = view.getUint32(at + 4, le);
    const capLen = view.getUint32(at + 8, le);
    const dataAt = at + recordHeader;
    if (dataAt + capLen > bytes.length) {
      throw new CaptureError(
        `record ${n} at byte offset ${at} truncated: captured length ${capLen} but only ${bytes.length - dataAt} bytes remain`,
        { offset: at },
      );
    }
    frames.push(frameOf(copyOf(bytes, dataAt, dataAt + capLen), tsSec, ns ? Math.floor(frac / 1000) : frac));
    at = dataAt + capLen;
  }
  return frames;
}

// A µs field of 10^6 or more (seen in hand-made files) is carried into the seconds.
function frameOf(data: Uint8Array, tsSec: number, tsUsec: number): Frame {
  return { data, tsSec: tsSec + Math.floor(tsUsec / 1e6), tsUsec: tsUsec % 1e6 };
}

interface Interface {
  linkType: number;
  snapLen: number;
  // ticks per second is 10^decimal or 2^binary
  tsDecimal?: number;
  tsBinary?: number;
  tsOffset: bigint; // seconds
}

function readPcapng(bytes: Uint8Array, view: DataView): Frame[] {
  const frames: Frame[] = [];
  let le = true;
  let interfaces: Interface[] = [];
  let at = 0;
  while (at < bytes.length) {
    if (at + 12 > bytes.length) {
      throw new CaptureError(`pcapng block header truncated at byte offset ${at}: ${bytes.length - at} bytes left, a block has at least 12`, { offset: at });
    }
    const typeRaw = view.getUint32(at, le);
    if (view.getUint32(at, false) === PCAPNG_SHB) {
      // a new section: its own byte order and interfaces
      const bom = view.getUint32(at + 8, false);
      if (bom === PCAPNG_BYTE_ORDER) le = false;
      else if (bom === 0x4d3c2b1a) le = true;
      else throw new CaptureError(`pcapng section header at byte offset ${at}: bad byte-order magic 0x${bom.toString(16)}`, { offset: at + 8 });
      interfaces = [];
    }
    const type = view.getUint32(at, le);
    const total = view.getUint32(at + 4, le);
    if (total < 12 || total % 4 !== 0) {
      throw new CaptureError(`pcapng block at byte offset ${at}: bad block length ${total} (a multiple of 4, at least 12)`, { offset: at + 4 });
    }
    if (at + total > bytes.length) {
      throw new CaptureError(
        `pcapng block (type 0x${typeRaw.toString(16)}) at byte offset ${at} truncated: length ${total} but only ${bytes.length - at} bytes remain`,
        { offset: at },
      );
    }
    const trailer = view.getUint32(at + total - 4, le);
    if (trailer !== total) {
      throw new CaptureError(`pcapng block at byte offset ${at}: trailing length ${trailer} differs from leading length ${total}`, { offset: at + total - 4 });
    }
    const body = at + 8;
    const bodyEnd = at + total - 4;
    const need = (n: number, what: string) => {
      if (body + n > bodyEnd) throw new CaptureError(`pcapng ${what} at byte offset ${at} too short: ${bodyEnd - body} body bytes, needs ${n}`, { offset: at });
    };
    switch (type) {
      case 0x00000001: {
        need(8, 'interface description block');
        const iface: Interface = { linkType: view.getUint16(body, le), snapLen: view.getUint32(body + 4, le), tsOffset: 0n };
        readOptions(view, body + 8, bodyEnd, le, (code, optAt, len) => {
          if (code === 9 && len >= 1) {
            const r = bytes[optAt];
            if (r & 0x80) iface.tsBinary = r & 0x7f;
            else iface.tsDecimal = r;
          } else if (code === 14 && len >= 8) {
            iface.tsOffset = view.getBigInt64(optAt, le);
          }
        });
        interfaces.push(iface);
        break;
      }
      case 0x00000006: // enhanced packet block
      case 0x00000002: {
        // obsolete packet block: 16-bit interface id and drop count instead of a 32-bit id
        const epb = type === 6;
        need(20, epb ? 'enhanced packet block' : 'packet block');
        const ifId = epb ? view.getUint32(body, le) : view.getUint16(body, le);
        const iface = interfaceOf(interfaces, ifId, at);
        requireEthernet(iface.linkType, `packet block at byte offset ${at}: interface ${ifId} `, at);
        const ts = (BigInt(view.getUint32(body + 4, le)) << 32n) | BigInt(view.getUint32(body + 8, le));
        const capLen = view.getUint32(body + 12, le);
        need(20 + capLen, `packet block with captured length ${capLen}`);
        const [sec, usec] = timestamp(ts, iface);
        frames.push(frameOf(copyOf(bytes, body + 20, body + 20 + capLen), sec, usec));
        break;
      }
      case 0x00000003: {
        // simple packet block: interface 0, no timestamp; captured bytes are what fits
        need(4, 'simple packet block');
        const iface = interfaceOf(interfaces, 0, at);
        requireEthernet(iface.linkType, `simple packet block at byte offset ${at}: interface 0 `, at);
        const origLen = view.getUint32(body, le);
        let capLen = Math.min(origLen, bodyEnd - body - 4);
        if (iface.snapLen > 0) capLen = Math.min(capLen, iface.snapLen);
        frames.push(frameOf(copyOf(bytes, body + 4, body + 4 + capLen), 0, 0));
        break;
      }
      default:
        break; // section header, statistics, name resolution, custom, …
    }
    at += total;
  }
  return frames;
}

function interfaceOf(interfaces: Interface[], id: number, at: number): Interface {
  const iface = interfaces[id];
  if (!iface) {
    throw new CaptureError(`pcapng packet block at byte offset ${at} names interface ${id}, but the section describes ${interfaces.length}`, { offset: at });
  }
  return iface;
}

function readOptions(view: DataView, from: number, end: number, le: boolean, each: (code: number, at: number, len: number) => void): void {
  let at = from;
  while (at + 4 <= end) {
    const code = view.getUint16(at, le);
    const len = view.getUint16(at + 2, le);
    if (code === 0) return; // opt_endofopt
    if (at + 4 + len > end) return; // a broken option list loses the options, not the packets
    each(code, at + 4, len);
    at += 4 + ((len + 3) & ~3);
  }
}

function timestamp(ticks: bigint, iface: Interface): [number, number] {
  const perSecond = iface.tsBinary !== undefined ? 1n << BigInt(iface.tsBinary) : 10n ** BigInt(iface.tsDecimal ?? 6);
  const sec = ticks / perSecond + iface.tsOffset;
  const usec = ((ticks % perSecond) * 1_000_000n) / perSecond;
  return [Number(sec), Number(usec)];
}

/** A classic little-endian microsecond pcap (snaplen 262144, Ethernet) of these frames. */
export function writePcap(frames: readonly Frame[]): Uint8Array {
  let size = 24;
  for (const f of frames) size += 16 + f.data.length;
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  view.setUint32(0, PCAP_MAGIC_US, true);
  view.setUint16(4, 2, true);
  view.setUint16(6, 4, true);
  view.setUint32(16, PCAP_SNAPLEN, true);
  view.setUint32(20, LINKTYPE_ETHERNET, true);
  let at = 24;
  frames.forEach((f, i) => {
    if (!Number.isInteger(f.tsSec) || f.tsSec < 0 || f.tsSec > 0xffffffff) {
      throw new RangeError(`frame ${i}: tsSec ${f.tsSec} does not fit a pcap record (0..2^32-1)`);
    }
    if (!Number.isInteger(f.tsUsec) || f.tsUsec < 0 || f.tsUsec > 999_999) {
      throw new RangeError(`frame ${i}: tsUsec ${f.tsUsec} is not 0..999999`);
    }
    view.setUint32(at, f.tsSec, true);
    view.setUint32(at + 4, f.tsUsec, true);
    view.setUint32(at + 8, f.data.length, true);
    view.setUint32(at + 12, f.data.length, true);
    out.set(f.data, at + 16);
    at += 16 + f.data.length;
  });
  return out;
}

// A plain Uint8Array copy: Buffer#slice would share memory and keep the Buffer type.
function copyOf(bytes: Uint8Array, from: number, to: number): Uint8Array {
  return new Uint8Array(bytes.subarray(from, to));
}
