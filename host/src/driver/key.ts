// How a rule's key sits in register words: the flags word (valid, family, protocol, cluster
// address slot) that flow KEY_FLAGS/RES_FLAGS and listen FLAGS share, the ports word of a flow,
// and an address as four words. Bit positions come from the generated fields.
import type { Family, Proto } from '../codec/rules.js';
import { FIELDS, getField, putField, type FieldDef } from './regs.generated.js';

export interface KeyFlags {
  family: Family;
  proto: Proto;
  /** the destination's cluster address slot */
  addressSlot: number;
}

/** The fields of a flags word: flow.KEY_FLAGS, and with VALID flow.RES_FLAGS and listen.FLAGS. */
interface FlagFields {
  readonly FAMILY: FieldDef & { readonly values: { readonly ipv4: number; readonly ipv6: number } };
  readonly PROTO: FieldDef & { readonly values: { readonly tcp: number; readonly udp: number } };
  readonly ADDR_SLOT: FieldDef;
}
interface ValidFlagFields extends FlagFields {
  readonly VALID: FieldDef;
}

/** A flags word: KEY_FLAGS of a flow key, or (with VALID) FLAGS of a valid listen entry. */
export function encodeKeyFlags(f: FlagFields | ValidFlagFields, key: KeyFlags): number {
  return (
    ('VALID' in f ? putField(f.VALID, 1) : 0) |
    putField(f.FAMILY, key.family === 6 ? f.FAMILY.values.ipv6 : f.FAMILY.values.ipv4) |
    putField(f.PROTO, key.proto === 'udp' ? f.PROTO.values.udp : f.PROTO.values.tcp) |
    putField(f.ADDR_SLOT, key.addressSlot)
  ) >>> 0;
}

/** A flags word read back (flow RES_FLAGS, listen FLAGS). */
export function decodeKeyFlags(f: ValidFlagFields, word: number): KeyFlags & { valid: boolean } {
  return {
    valid: getField(f.VALID, word) === 1,
    family: getField(f.FAMILY, word) === f.FAMILY.values.ipv6 ? 6 : 4,
    proto: getField(f.PROTO, word) === f.PROTO.values.udp ? 'udp' : 'tcp',
    addressSlot: getField(f.ADDR_SLOT, word),
  };
}

const PORTS = FIELDS.flow.KEY_PORTS;

/** A flow's KEY_PORTS word. */
export const encodePorts = (srcPort: number, dstPort: number): number => (putField(PORTS.SRC_PORT, srcPort) | putField(PORTS.DST_PORT, dstPort)) >>> 0;

/** A RES_PORTS word. */
export function decodePorts(word: number): { srcPort: number; dstPort: number } {
  const f = FIELDS.flow.RES_PORTS;
  return { srcPort: getField(f.SRC_PORT, word), dstPort: getField(f.DST_PORT, word) };
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
