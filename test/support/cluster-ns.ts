// What the cluster tests in network namespaces share: polling with a deadline, what a cluster
// left behind, a background `sipnic` inside a namespace, and the HTTP server/client scripts of
// the outgoing-connection tests (a server on the clients' side, downloads from a processor).
import { execFile, spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { expect } from 'vitest';
import { BIN, ROOT } from './sipnic-process.js';

const execFileP = promisify(execFile);
const sh = (cmd: string, ...args: string[]) => execFileP(cmd, args, { encoding: 'utf8', timeout: 30_000 });

/**
 * Why the namespace cluster tests of `file` cannot run on this machine ('' when they can):
 * Linux, root, /dev/net/tun, and iproute2's `ip` plus any of `tools`. Said once on stderr.
 */
export function namespaceSkipReason(file: string, tools: string[] = []): string {
  const missing = ['ip', ...tools].find((t) => spawnSync(t, ['-V']).status !== 0);
  const reason =
    process.platform !== 'linux' ? 'not Linux'
    : process.getuid?.() !== 0 ? 'needs root (network namespaces, TAP devices); CI runs it as root'
    : !existsSync('/dev/net/tun') ? 'no /dev/net/tun'
    : missing ? `no \`${missing}\` (iproute2)`
    : '';
  if (reason) console.warn(`${file}: skipped: ${reason}`);
  return reason;
}

/** Waits until check() answers true, polling; fails naming what after timeoutMs. */
export async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** What of a cluster named `name` is left: namespaces, links in the root namespace, processes mentioning it or its state folder. */
export async function leftovers(name: string, stateDir: string): Promise<string[]> {
  const ns = (await sh('ip', 'netns', 'list')).stdout.split('\n').map((l) => l.split(' ')[0]).filter((n) => n.startsWith(`${name}-`));
  const links = (await sh('ip', '-o', 'link', 'show')).stdout.split('\n').map((l) => /^\d+:\s+([^:@\s]+)/.exec(l)?.[1] ?? '').filter((l) => l.startsWith(`${name}-`));
  const procs = (await sh('ps', '-eo', 'pid,stat,args')).stdout
    .split('\n')
    .filter((l) => (l.includes(`${name}-`) || l.includes(stateDir)) && !l.includes('ps -eo') && !/^\s*\d+\s+Z/.test(l));
  return [...ns, ...links, ...procs];
}

/** A background `sipnic ARGS` inside a namespace (killed by `cluster down` with everything in it). */
export function startIn(ns: string, args: string[]): { output: () => string; pid: number } {
  const child = spawn('ip', ['netns', 'exec', ns, process.execPath, BIN, ...args], { cwd: ROOT, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  child.unref();
  return { output: () => output, pid: child.pid! };
}

/** HTTP server (client namespace): GET /o/<i>/<bytes>/<holdMs> answers demo-like bytes after holdMs; prints each request's remote port. */
export const OUT_SERVER_JS = `
const http = require('node:http');
const [host, port] = process.argv.slice(1);
const body = (i, n) => { const b = Buffer.allocUnsafe(n); for (let k = 0; k < n; k++) b[k] = (k * 131 + i * 7) % 251; return b; };
const s = http.createServer((req, res) => {
  const m = /^\\/o\\/(\\d+)\\/(\\d+)\\/(\\d+)$/.exec(req.url || '');
  if (!m) { res.writeHead(404).end(); return; }
  console.log(JSON.stringify({ i: Number(m[1]), port: req.socket.remotePort }));
  const b = body(Number(m[1]), Number(m[2]));
  setTimeout(() => { res.writeHead(200, { 'content-length': b.length, connection: 'close' }); res.end(b); }, Number(m[3]));
});
s.keepAliveTimeout = 1;
s.listen(Number(port), host, () => console.log('listening'));
`;

/** HTTP client (processor namespace): n connections at once to HOST:PORT, bodies checked; prints [{i, ok, localPort, bytes, error}]. */
export const OUT_CLIENT_JS = `
const http = require('node:http');
const [host, port, base, n, bytes, hold] = process.argv.slice(1);
const body = (i, n) => { const b = Buffer.allocUnsafe(n); for (let k = 0; k < n; k++) b[k] = (k * 131 + i * 7) % 251; return b; };
const one = (i) => new Promise((resolve) => {
  let localPort;
  const req = http.get({ host, port: Number(port), path: '/o/' + i + '/' + bytes + '/' + hold, agent: false, headers: { connection: 'close' }, timeout: 30000 }, (res) => {
    const chunks = [];
    res.on('data', (c) => chunks.push(c));
    res.on('end', () => {
      const all = Buffer.concat(chunks);
      const ok = res.statusCode === 200 && all.equals(body(i, Number(bytes)));
      resolve({ i, ok, localPort, bytes: all.length, ...(ok ? {} : { error: 'HTTP ' + res.statusCode + ', ' + all.length + ' bytes, body ' + (all.equals(body(i, Number(bytes))) ? 'ok' : 'differs') }) });
    });
    res.on('error', (e) => resolve({ i, ok: false, localPort, error: e.message }));
  });
  req.on('socket', (s) => s.on('connect', () => (localPort = s.localPort)));
  req.on('timeout', () => req.destroy(new Error('timeout')));
  req.on('error', (e) => resolve({ i, ok: false, localPort, error: e.message }));
});
Promise.all(Array.from({ length: Number(n) }, (_, k) => one(Number(base) + k))).then((r) => console.log(JSON.stringify(r)));
`;

/** An outgoing-connection result of OUT_CLIENT_JS. */
/**
 * Outgoing connections `base`… of processor p as OUT_CLIENT_JS reported them: all ok with their
 * whole bodies, each from its own source port inside the processor's range, and those are the
 * ports the server (OUT_SERVER_JS, `requests`) saw.
 */
export function expectOwnSourcePorts(p: number, results: OutResult[], range: { low: number; high: number }, requests: { i: number; port: number }[], base: number, bytes: number): void {
  expect(results.filter((r) => !r.ok), `processor ${p}'s connections`).toEqual([]);
  expect(results.map((r) => r.bytes)).toEqual(new Array(results.length).fill(bytes));
  for (const r of results) {
    expect(r.localPort).toBeGreaterThanOrEqual(range.low);
    expect(r.localPort).toBeLessThanOrEqual(range.high);
  }
  expect(new Set(results.map((r) => r.localPort)).size).toBe(results.length);
  expect(requests.filter((q) => q.i >= base && q.i < base + results.length).map((q) => q.port).sort()).toEqual(results.map((r) => r.localPort).sort());
}

export type OutResult = { i: number; ok: boolean; localPort?: number; bytes?: number; error?: string };
