// Shared ports: which member of a listen rule's queue list gets a connection request, as the
// adapter chooses it (docs/semantics.md, "Shared ports"). The primary uses this to know which
// processor a SYN went to; the driver uses groupTable to fill a group's slots.
//
//   h    = src word 0 ^ … ^ src word 7 ^ source port ^ destination port   (16 bits; the
//          source address as eight big-endian 16-bit words, IPv4 in the last two)
//   slot = h[2:0] ^ h[5:3] ^ h[8:6] ^ h[11:9] ^ h[14:12] ^ h[15]           (0..7)
//   table[i] = members[i mod n], i = 0..7;  queue = table[slot]

/** Slots in a queue group (the adapter's indirection table). */
export const GROUP_SLOTS = 8;

/** The part of a frame's key the hash reads. */
export interface ListenHashKey {
  /** Source address: 16 bytes (IPv4 in bytes 12..15, as rules.ts and reference.ts hold it) or 4 bytes of IPv4. */
  srcIp: Uint8Array;
  srcPort: number;
  dstPort: number;
}

/** The 16-bit XOR fold of the source address and both ports. */
export function listenHash16(key: ListenHashKey): number {
  const src = key.srcIp;
  if (src.length !== 16 && src.length !== 4) throw new RangeError(`srcIp must be 4 or 16 bytes, got ${src.length}`);
  let h = (key.srcPort ^ key.dstPort) & 0xffff;
  for (let i = 0; i < src.length; i += 2) h ^= (src[i] << 8) | src[i + 1];
  return h;
}

/** The group slot (0..7) of a connection request. */
export function listenHash(key: ListenHashKey): number {
  const h = listenHash16(key);
  return (h ^ (h >> 3) ^ (h >> 6) ^ (h >> 9) ^ (h >> 12) ^ (h >> 15)) & 7;
}

/** A group's slots for a member list: slot i holds members[i mod n]. */
export function groupTable(members: readonly number[]): number[] {
  if (members.length === 0) throw new RangeError('a queue group needs at least one member');
  return Array.from({ length: GROUP_SLOTS }, (_, i) => members[i % members.length]);
}

/** The shortest member list whose table is this one (what a group read back shows). */
export function groupMembers(table: readonly number[]): number[] {
  if (table.length !== GROUP_SLOTS) throw new RangeError(`a group table has ${GROUP_SLOTS} slots, got ${table.length}`);
  for (let n = 1; n < GROUP_SLOTS; n++) {
    if (table.every((q, i) => q === table[i % n])) return table.slice(0, n);
  }
  return [...table];
}

/** The member (queue) the adapter gives a connection request to a listen rule with these members. */
export function groupQueue(key: ListenHashKey, members: readonly number[]): number {
  return groupTable(members)[listenHash(key)];
}
