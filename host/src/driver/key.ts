// How a rule's key sits in register words: the flags word (valid, family, protocol, cluster
// address slot) that flow KEY_FLAGS/RES_FLAGS and listen FLAGS share, the ports word of a flow,
// and an address as four words.
import type { Family, Proto } from '../codec/rules.js';

export interface KeyFlags {
  family: Family;
  proto: Proto;
  /** the destination's cluster address slot */
  addressSlot: number;
}

/** A flags word: KEY_FLAGS of a flow key, or FLAGS of a listen entry (valid set). */
export function encodeKeyFlags(key: KeyFlags, valid = false): number {
  return ((valid ? 0x80000000 : 0) | (key.family === 6 ? 1 : 0) | (key.proto === 'udp' ? 2 : 0) | (key.addressSlot << 8)) >>> 0;
}

/** A flags word read back (flow RES_FLAGS, listen FLAGS). */
export function decodeKeyFlags(word: number): KeyFlags & { valid: boolean } {
  return { valid: word >>> 31 === 1, family: word & 1 ? 6 : 4, proto: word & 2 ? 'udp' : 'tcp', addressSlot: (word >>> 8) & 0xf };
}

/** A flow's KEY_PORTS word. */
export const encodePorts = (srcPort: number, dstPort: number): number => ((srcPort << 16) | dstPort) >>> 0;

export function decodePorts(word: number): { srcPort: number; dstPort: number } {
  return { srcPort: word >>> 16, dstPort: word & 0xffff };
}

/** The four address words, bits 127:96 first. */
export function addressWords(bytes: Uint8Array): number[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, 16);
  return [0, 4, 8, 12].map((o) => view.getUint32(o, false));
}

export function addressBytes(words: ArrayLike<number>): Uint8Array {
  const out = new Uint8Array(16);
  const view = new DataView(out.buffer);
  for (let i = 0; i < 4; i++) view.setUint32(4 * i, words[i] >>> 0, false);
  return out;
}
