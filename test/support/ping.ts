// ICMP echo (IPv4) or ICMPv6 echo (an address with ':') from inside a network namespace over a
// raw socket (the machine has no ping binary; python3 is part of the install, scripts/install.mjs).
// An ICMPv6 raw socket gets the kernel's checksum and reads without the IPv6 header.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const execFileP = promisify(execFile);

/** argv: dst n size wait-seconds. One line per reply or timeout, then the summary line `ok/n`; exits 0 either way. */
const PING_PY = [
  'import socket, struct, sys, time, os',
  'def csum(b):',
  "    if len(b) % 2: b += b'\\0'",
  "    s = sum(struct.unpack('!%dH' % (len(b)//2), b)); s = (s >> 16) + (s & 0xffff); s += s >> 16",
  '    return ~s & 0xffff',
  'dst = sys.argv[1]; n = int(sys.argv[2]); size = int(sys.argv[3]); wait = float(sys.argv[4])',
  "v6 = ':' in dst; req, rep = (128, 129) if v6 else (8, 0)",
  's = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6) if v6 else socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP); s.settimeout(wait)',
  'ok = 0',
  'for seq in range(n):',
  "    ident = os.getpid() & 0xffff; payload = (b'sipnic-ping-%d-' % seq).ljust(size, b'.')",
  "    hdr = struct.pack('!BBHHH', req, 0, 0, ident, seq); pkt = struct.pack('!BBHHH', req, 0, 0 if v6 else csum(hdr + payload), ident, seq) + payload",
  '    t0 = time.time(); s.sendto(pkt, (dst, 0))',
  '    while True:',
  '        try: data, addr = s.recvfrom(65536)',
  "        except socket.timeout: print('timeout seq', seq); break",
  "        ihl = 0 if v6 else (data[0] & 15) * 4; t, c, _, i, q = struct.unpack('!BBHHH', data[ihl:ihl+8])",
  '        if t == rep and i == ident and q == seq and data[ihl+8:] == payload:',
  "            ok += 1; print('reply from %s seq %d %.2f ms' % (addr[0], seq, (time.time()-t0)*1000)); break",
  "print('%d/%d' % (ok, n))",
].join('\n');

export interface PingResult {
  /** Echoes answered. */
  ok: number;
  /** The summary line, `ok/n`. */
  summary: string;
  /** Everything the pinger printed. */
  out: string;
}

/** `n` echoes of `size` payload bytes to `dst` from namespace `ns`, each waited for `waitS` seconds. */
export async function pingFrom(ns: string, dst: string, o: { n?: number; size?: number; waitS?: number } = {}): Promise<PingResult> {
  const { n = 3, size = 56, waitS = 5 } = o;
  const { stdout } = await execFileP('ip', ['netns', 'exec', ns, 'python3', '-c', PING_PY, dst, String(n), String(size), String(waitS)], { encoding: 'utf8' });
  const m = /^(\d+)\/(\d+)$/m.exec(stdout);
  return { ok: m ? Number(m[1]) : -1, summary: m ? m[0] : '', out: stdout };
}
