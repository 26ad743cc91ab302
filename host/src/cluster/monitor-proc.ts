// What a processor's stack is doing, from its own namespace's /proc: /proc/net/tcp, tcp6, udp
// and udp6 list every socket with its local and remote address and state;
// /proc/sys/net/ipv4/ip_local_port_range is where the stack picks ports for outgoing
// connections (it applies to IPv6 too).
//
//   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
//    0: 0100007F:0050 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1234 …
//
// Addresses are hex of 32-bit words as the kernel holds them (host byte order per word, so
// 127.0.0.1 is 0100007F on a little-endian machine); ports are hex in the usual order.
import { readFile } from 'node:fs/promises';
import { endianness } from 'node:os';
import { join } from 'node:path';
import type { Family, Proto } from '../codec/rules.js';

export type ProcNetFile = 'tcp' | 'tcp6' | 'udp' | 'udp6';

/** Where the monitor reads the stack's sockets from: /proc, or a fake in tests. */
export interface ProcSource {
  /** The text of /proc/net/<name>; empty when the file does not exist (no IPv6). */
  readNet(name: ProcNetFile): Promise<string>;
  /** ip_local_port_range, or undefined when it cannot be read. */
  localPortRange(): Promise<[number, number] | undefined>;
}

export const TCP_STATE = {
  ESTABLISHED: 0x01,
  SYN_SENT: 0x02,
  SYN_RECV: 0x03,
  FIN_WAIT1: 0x04,
  FIN_WAIT2: 0x05,
  TIME_WAIT: 0x06,
  CLOSE: 0x07,
  CLOSE_WAIT: 0x08,
  LAST_ACK: 0x09,
  LISTEN: 0x0a,
  CLOSING: 0x0b,
} as const;

/** States in which a connection still exchanges frames that must reach this processor. */
export const LIVE_TCP_STATES: ReadonlySet<number> = new Set([
  TCP_STATE.ESTABLISHED,
  TCP_STATE.SYN_SENT,
  TCP_STATE.SYN_RECV,
  TCP_STATE.FIN_WAIT1,
  TCP_STATE.FIN_WAIT2,
  TCP_STATE.CLOSE_WAIT,
  TCP_STATE.LAST_ACK,
  TCP_STATE.CLOSING,
]);

export interface ProcSocket {
  proto: Proto;
  /** 4 for IPv4 and for IPv4-mapped addresses in tcp6/udp6 (a dual-stack socket's IPv4 peer). */
  family: Family;
  local: Uint8Array; // 16 bytes, IPv4 in 12..15
  localPort: number;
  remote: Uint8Array;
  remotePort: number;
  state: number;
  /** An IPv6 socket bound to :: (takes IPv4 too unless v6only). */
  dualStackAny: boolean;
}

/** Parses one /proc/net/{tcp,tcp6,udp,udp6} text; unreadable lines are skipped. */
export function parseProcNet(text: string, name: ProcNetFile, littleEndian = endianness() === 'LE'): ProcSocket[] {
  const proto: Proto = name.startsWith('tcp') ? 'tcp' : 'udp';
  const out: ProcSocket[] = [];
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length < 4 || !/^\d+:$/.test(f[0])) continue;
    const local = parseEndpoint(f[1], littleEndian);
    const remote = parseEndpoint(f[2], littleEndian);
    const state = Number.parseInt(f[3], 16);
    if (!local || !remote || Number.isNaN(state)) continue;
    const six = local.hexWords === 4;
    const mapped = six && isV4Mapped(local.addr) && (isV4Mapped(remote.addr) || remote.addr.every((b) => b === 0));
    const family: Family = !six || mapped ? 4 : 6;
    if (mapped) {
      local.addr.fill(0, 0, 12);
      remote.addr.fill(0, 0, 12);
    }
    out.push({ proto, family, local: local.addr, localPort: local.port, remote: remote.addr, remotePort: remote.port, state, dualStackAny: six && local.addr.every((b) => b === 0) });
  }
  return out;
}

function parseEndpoint(text: string, littleEndian: boolean): { addr: Uint8Array; port: number; hexWords: number } | undefined {
  const m = /^([0-9A-Fa-f]{8}|[0-9A-Fa-f]{32}):([0-9A-Fa-f]{4})$/.exec(text);
  if (!m) return undefined;
  const words = m[1].length / 8;
  const addr = new Uint8Array(16);
  const at = words === 1 ? 12 : 0;
  for (let w = 0; w < words; w++) {
    for (let b = 0; b < 4; b++) {
      const byte = Number.parseInt(m[1].slice(w * 8 + b * 2, w * 8 + b * 2 + 2), 16);
      addr[at + w * 4 + (littleEndian ? 3 - b : b)] = byte;
    }
  }
  return { addr, port: Number.parseInt(m[2], 16), hexWords: words };
}

const isV4Mapped = (a: Uint8Array): boolean => a.subarray(0, 10).every((b) => b === 0) && a[10] === 0xff && a[11] === 0xff;

/** Reads the real /proc (of the namespace this process runs in). */
export function procFs(root = '/proc'): ProcSource {
  return {
    async readNet(name) {
      try {
        return await readFile(join(root, 'net', name), 'utf8');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return '';
        throw err;
      }
    },
    async localPortRange() {
      try {
        const [lo, hi] = (await readFile(join(root, 'sys/net/ipv4/ip_local_port_range'), 'utf8')).trim().split(/\s+/).map(Number);
        return Number.isInteger(lo) && Number.isInteger(hi) && lo <= hi ? [lo, hi] : undefined;
      } catch {
        return undefined;
      }
    },
  };
}
