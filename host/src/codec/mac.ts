// MAC addresses as text: six hex bytes separated by ':' or '-' (one kind per address) in,
// lower-case with ':' out.

/** Text that is not a MAC address; the message names the text. */
export class MacParseError extends Error {
  readonly code = 'EMAC';
  constructor(readonly text: string) {
    super(`"${text}" is not a MAC address (like 02:00:5e:10:00:01)`);
    this.name = 'MacParseError';
  }
}

const MAC = /^([0-9a-f]{2})([:-])([0-9a-f]{2})\2([0-9a-f]{2})\2([0-9a-f]{2})\2([0-9a-f]{2})\2([0-9a-f]{2})$/i;

/** "02:00:5e:10:00:01" (or with '-') → 6 bytes; throws MacParseError. */
export function parseMac(text: string): Uint8Array {
  const m = MAC.exec(text.trim());
  if (!m) throw new MacParseError(text);
  return Uint8Array.from([m[1], m[3], m[4], m[5], m[6], m[7]].map((h) => Number.parseInt(h, 16)));
}

/** 6 bytes → "02:00:5e:10:00:01". */
export const formatMac = (mac: Uint8Array): string => Array.from(mac.subarray(0, 6), (b) => b.toString(16).padStart(2, '0')).join(':');
