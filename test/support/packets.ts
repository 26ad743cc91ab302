// A test's own wire: a veth pair with nothing of IPv6's chatter on it, and reading a packet
// socket (host/native/packet.cpp) on it until the frame the test waits for.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { PacketSocket } from '../../host/native/packet.js';

const execFileP = promisify(execFile);
const ip = (...args: string[]) => execFileP('ip', args);

/** The veth pair a ↔ b, up, IPv6 off (a stale one of that name is replaced); on a failure half-way none is left. */
export async function makeVethPair(a: string, b: string): Promise<void> {
  await removeVethPair(a);
  await ip('link', 'add', a, 'type', 'veth', 'peer', 'name', b);
  try {
    for (const l of [a, b]) {
      await execFileP('sysctl', ['-qw', `net.ipv6.conf.${l}.disable_ipv6=1`]);
      await ip('link', 'set', l, 'up');
    }
  } catch (err) {
    await removeVethPair(a);
    throw err;
  }
}

/** Deletes the pair that has `a` (nothing when there is none). */
export async function removeVethPair(a: string): Promise<void> {
  await ip('link', 'del', a).catch(() => {});
}

/** The next frame the socket reads that `want` accepts; throws after timeoutMs without one. */
export async function nextPacket(s: PacketSocket, want: (f: Uint8Array) => boolean, timeoutMs = 10_000): Promise<Uint8Array> {
  // loaded on use: the addon is built by npm install, and files that import this may run without it
  const { pollPackets } = await import('../../host/native/packet.js');
  const start = Date.now();
  while (Date.now() - start < timeoutMs) {
    const r = await pollPackets(Int32Array.of(s.fd), 100);
    let at = 0;
    for (const n of r.lengths) {
      const f = r.data.slice(at, at + n);
      at += n;
      if (want(f)) return f;
    }
  }
  throw new Error(`the frame did not arrive within ${timeoutMs} ms`);
}
