// Reading a test's own packet socket (host/native/packet.cpp) until the frame it waits for.
import type { PacketSocket } from '../../host/native/packet.js';

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
