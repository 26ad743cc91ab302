// Issue 9 ("Hardening"), the control protocol's side (docs/cluster-protocol.md, "Security"):
// hello by challenge-response (the secret never crosses the wire, a recorded hello does not
// work on another connection, the primary proves it holds the secret too), failed hellos
// rate-limited per source and per processor and logged once per source; connections that do
// not authenticate timed out and capped, an authenticated reconnect always getting in, a client
// that does not read its answers paused instead of buffered; a line over the limit answered
// with EPROTO before the close; EVERSION for versions the primary does not speak; heartbeat
// stats checked. The primary over the Verilated RTL (SimBus), the control protocol over real
// Unix and loopback TCP sockets (sources 127.0.0.x), the primary's clock and timers moved by
// the test. The proofs are computed here from the formula in the docs, not by the code under
// test.
import { createHmac, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { createSim as realCreateSim, type Sim, type SimOptions } from '../sim/addon.js';
import { SimBus } from '../host/src/bus/sim-bus.js';
import { Adapter } from '../host/src/driver/index.js';
import { parseIp } from '../host/src/codec/ip.js';
import { ControlClient, queryPrimary, type ControlAddress } from '../host/src/cluster/control-protocol.js';
import { Primary, type PrimaryOptions } from '../host/src/cluster/primary.js';
import { run } from '../host/src/cli/program.js';
import type { CliIO } from '../host/src/cli/context.js';
import { createFakeSim } from './support/fake-sim.js';
import { NullFramePort } from './support/null-frame-port.js';

const createSim: (o: SimOptions) => Sim = process.env.SIPNIC_FAKE_SIM ? createFakeSim : realCreateSim;

const DIR = mkdtempSync(join(tmpdir(), 'sipnic-control-security-'));
afterAll(() => rmSync(DIR, { recursive: true, force: true }));

const SECRETS = new Map([
  [1, 'one-secret'],
  [2, 'two-secret'],
  [3, 'three-secret'],
]);
const MAX_LINE = 1 << 20;

type Json = Record<string, unknown>;

// ───────────────────────────── the proofs, as the docs give them ─────────────────────────────

const hmac = (secret: string, text: string) => createHmac('sha256', secret).update(text, 'utf8').digest('hex');
/** The monitor's proof: HMAC-SHA256(secret, "sipnic-control/2 hello\n" nonce "\n" cnonce "\n" processor). */
const helloProof = (secret: string, nonce: string, cnonce: string, processor: number) => hmac(secret, `sipnic-control/2 hello\n${nonce}\n${cnonce}\n${processor}`);
/** The primary's proof, with its own label. */
const primaryProof = (secret: string, nonce: string, cnonce: string, processor: number) => hmac(secret, `sipnic-control/2 primary\n${nonce}\n${cnonce}\n${processor}`);

// ───────────────────────────── a raw line client ─────────────────────────────

/** One connection speaking raw lines: what it sent, the answers in order, how it ended. */
class Line {
  readonly sent: string[] = [];
  private readonly answers: Json[] = [];
  private readonly waiting: { resolve(v: Json): void; reject(e: Error): void }[] = [];
  private buffer = '';
  private over?: string;
  readonly ended: Promise<string>;

  private constructor(readonly socket: Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      this.buffer += chunk;
      let nl: number;
      while ((nl = this.buffer.indexOf('\n')) >= 0) {
        const msg = JSON.parse(this.buffer.slice(0, nl)) as Json;
        this.buffer = this.buffer.slice(nl + 1);
        const w = this.waiting.shift();
        if (w) w.resolve(msg);
        else this.answers.push(msg);
      }
    });
    this.ended = new Promise((resolve) => {
      socket.on('error', (err: NodeJS.ErrnoException) => (this.over ??= err.code ?? err.message));
      socket.on('end', () => (this.over ??= 'end'));
      socket.on('close', () => {
        this.over ??= 'close';
        for (const w of this.waiting.splice(0)) w.reject(new Error(`connection ended (${this.over}) before an answer`));
        resolve(this.over);
      });
    });
  }

  static open(address: ControlAddress, localAddress?: string): Promise<Line> {
    return new Promise((resolve, reject) => {
      const s = address.kind === 'unix' ? createConnection(address.path) : createConnection({ host: address.host, port: address.port, localAddress });
      s.once('connect', () => {
        s.removeListener('error', reject);
        resolve(new Line(s));
      });
      s.once('error', reject);
    });
  }

  get closed(): boolean {
    return this.over !== undefined;
  }

  send(msg: Json | string): void {
    const line = typeof msg === 'string' ? msg : JSON.stringify(msg);
    this.sent.push(line);
    this.socket.write(line + '\n');
  }

  next(): Promise<Json> {
    const a = this.answers.shift();
    if (a) return Promise.resolve(a);
    if (this.over) return Promise.reject(new Error(`connection ended (${this.over}) before an answer`));
    return new Promise((resolve, reject) => this.waiting.push({ resolve, reject }));
  }

  async ask(msg: Json): Promise<Json> {
    this.send(msg);
    return this.next();
  }

  /** challenge + hello with the proof computed here; the hello's answer. */
  async hello(processor: number, secret: string, extra: Json = {}): Promise<Json> {
    const ch = await this.ask({ id: 1, op: 'challenge' });
    const nonce = String(ch.nonce);
    const cnonce = randomBytes(32).toString('hex');
    return this.ask({ id: 2, op: 'hello', version: 2, processor, cnonce, proof: helloProof(secret, nonce, cnonce, processor), ...extra });
  }

  close(): void {
    this.socket.destroy();
  }
}

// ───────────────────────────── the rig ─────────────────────────────

interface Rig {
  primary: Primary;
  unix: ControlAddress;
  tcp: ControlAddress;
  clock: { t: number };
  logs: string[];
  /** The primary's `stats` answer, `control` part. */
  control(): Json;
  close(): Promise<void>;
}

const rigs: Rig[] = [];
const lines: Line[] = [];
afterEach(async () => {
  vi.useRealTimers();
  for (const l of lines.splice(0)) l.close();
  for (const r of rigs.splice(0)) await r.close();
});

let count = 0;
async function makeRig(extra: Partial<PrimaryOptions> = {}): Promise<Rig> {
  const sim = createSim({ width: 64 });
  const adapter = await Adapter.open(new SimBus(sim));
  await adapter.setDefault(0);
  const clock = { t: 0 };
  const logs: string[] = [];
  const primary = new Primary({
    adapter,
    framePort: new NullFramePort(),
    identity: { mac: Uint8Array.of(2, 0, 0, 0, 0, 1), ips: [{ family: 4, bytes: parseIp('10.0.0.1').bytes }] },
    processors: 3,
    secrets: SECRETS,
    // the clock stands still unless a test moves it: nobody is declared lost meanwhile
    heartbeatTimeoutMs: 600,
    now: () => clock.t,
    log: (l) => logs.push(l),
    ...extra,
  });
  await primary.start();
  const unix = await primary.listen({ kind: 'unix', path: join(DIR, `primary-${count++}.sock`) });
  const tcp = await primary.listen({ kind: 'tcp', host: '127.0.0.1', port: 0 });
  const rig: Rig = {
    primary,
    unix,
    tcp,
    clock,
    logs,
    control: () => (primary.stats() as { control: Json }).control,
    async close() {
      await primary.close();
      sim.close();
    },
  };
  rigs.push(rig);
  return rig;
}

async function open(address: ControlAddress, localAddress?: string): Promise<Line> {
  const l = await Line.open(address, localAddress);
  lines.push(l);
  return l;
}

/** Waits (on the event loop, not on timers: tests here may fake them) until fn is true; fails after `turns` turns. */
async function until(what: string, fn: () => boolean, turns = 200_000): Promise<void> {
  for (let i = 0; i < turns; i++) {
    if (fn()) return;
    await new Promise((r) => setImmediate(r));
  }
  throw new Error(`never happened: ${what}`);
}

/** A TCP proxy in front of the primary that records what crosses it, each way. */
async function recordingProxy(target: ControlAddress): Promise<{ address: ControlAddress; up: string[]; down: string[]; close(): Promise<void> }> {
  const up: string[] = [];
  const down: string[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    sockets.add(client);
    const t = target as { host: string; port: number };
    const upstream = createConnection({ host: t.host, port: t.port });
    client.on('data', (d) => {
      up.push(d.toString('utf8'));
      upstream.write(d);
    });
    upstream.on('data', (d) => {
      down.push(d.toString('utf8'));
      client.write(d);
    });
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    client.on('error', () => {});
    upstream.on('error', () => {});
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  const close = () => {
    for (const s of sockets) s.destroy();
    return new Promise<void>((r) => server.close(() => r()));
  };
  return { address: { kind: 'tcp', host: '127.0.0.1', port }, up, down, close };
}

/** A server that answers each line with answer(msg); closing drops its connections. */
async function fakePrimary(answer: (msg: Json) => Json): Promise<{ address: ControlAddress; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((s) => {
    sockets.add(s);
    s.setEncoding('utf8');
    let buf = '';
    s.on('data', (d: string) => {
      buf += d;
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const m = JSON.parse(buf.slice(0, nl)) as Json;
        buf = buf.slice(nl + 1);
        s.write(JSON.stringify(answer(m)) + '\n');
      }
    });
    s.on('error', () => {});
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    address: { kind: 'tcp', host: '127.0.0.1', port: (server.address() as { port: number }).port },
    close() {
      for (const s of sockets) s.destroy();
      return new Promise<void>((r) => server.close(() => r()));
    },
  };
}

// ───────────────────────────── item 3: hello ─────────────────────────────

describe('hello is a challenge-response (item 3)', () => {
  it('the secret never crosses the wire; the primary proves it holds the secret too', async () => {
    const rig = await makeRig();
    const proxy = await recordingProxy(rig.tcp);
    try {
      const c = await ControlClient.connect(proxy.address);
      const answer = await c.request({ op: 'hello', processor: 2, secret: 'two-secret' });
      await c.close();
      const wire = proxy.up.join('') + proxy.down.join('');
      expect(wire).not.toContain('two-secret');
      expect(wire).not.toContain(Buffer.from('two-secret').toString('hex'));
      expect(wire).not.toContain(Buffer.from('two-secret').toString('base64'));
      expect(answer).toMatchObject({ ok: true, processor: 2, version: 2 });
      // what did cross: a challenge, its nonce, the client's nonce and both proofs, which check out
      const sent = proxy.up.join('').trim().split('\n').map((l) => JSON.parse(l) as Json);
      const got = proxy.down.join('').trim().split('\n').map((l) => JSON.parse(l) as Json);
      expect(sent.map((m) => m.op)).toEqual(['challenge', 'hello']);
      const nonce = String(got[0].nonce);
      expect(nonce).toMatch(/^[0-9a-f]{64}$/);
      expect(got[0].versions).toEqual([2]);
      const hello = sent[1];
      expect(hello).not.toHaveProperty('secret');
      expect(hello.proof).toBe(helloProof('two-secret', nonce, String(hello.cnonce), 2));
      expect(got[1].proof).toBe(primaryProof('two-secret', nonce, String(hello.cnonce), 2));
    } finally {
      await proxy.close();
    }
  });

  it('a recorded hello is refused on another connection; a nonce answers one hello only', async () => {
    const rig = await makeRig();
    const proxy = await recordingProxy(rig.tcp);
    try {
      const c = await ControlClient.connect(proxy.address);
      await c.request({ op: 'hello', processor: 1, secret: 'one-secret' });
      await c.close();
    } finally {
      await proxy.close();
    }
    const recorded = proxy.up.join('').trim().split('\n');
    // the eavesdropper replays every line it saw, on its own connection
    const replay = await open(rig.tcp);
    const answers: Json[] = [];
    for (const line of recorded) answers.push(await replay.ask(JSON.parse(line) as Json));
    const hello = answers[answers.length - 1];
    expect(hello).toMatchObject({ ok: false, error: { code: 'EAUTH' } });
    // nor on the same connection twice: the nonce is spent by the first hello, right or wrong
    const l = await open(rig.unix);
    const ch = await l.ask({ id: 1, op: 'challenge' });
    const cnonce = randomBytes(32).toString('hex');
    const body = { op: 'hello', version: 2, processor: 1, cnonce, proof: helloProof('one-secret', String(ch.nonce), cnonce, 1) };
    expect(await l.ask({ id: 2, ...body })).toMatchObject({ ok: true });
    expect(await l.ask({ id: 3, ...body })).toMatchObject({ ok: false, error: { code: 'EAUTH', message: expect.stringMatching(/challenge/) } });
    // and a hello with no challenge at all
    const none = await open(rig.unix);
    expect(await none.ask({ id: 1, ...body })).toMatchObject({ ok: false, error: { code: 'EAUTH', message: expect.stringMatching(/challenge/) } });
  });

  it('a monitor does not take a primary that cannot prove the secret', async () => {
    // a stand-in that answers everything with ok, and a proof made with another secret
    const nonce = 'ab'.repeat(32);
    const fake = await fakePrimary((m) =>
      m.op === 'challenge'
        ? { id: m.id, ok: true, primary: 'sipnic-primary', versions: [2], nonce }
        : { id: m.id, ok: true, primary: 'sipnic-primary', version: 2, processor: m.processor, clusterIps: ['10.0.0.1'], proof: primaryProof('not-the-secret', nonce, String(m.cnonce), Number(m.processor)) },
    );
    try {
      const c = await ControlClient.connect(fake.address);
      await expect(c.request({ op: 'hello', processor: 1, secret: 'one-secret' })).rejects.toMatchObject({ code: 'EAUTH', message: expect.stringMatching(/did not prove/) });
    } finally {
      await fake.close();
    }
  });

  it('failed hellos are rate-limited per source with a doubling wait, logged once per source; the right secret from elsewhere gets in', async () => {
    const rig = await makeRig();
    const attacker = await open(rig.tcp, '127.0.0.2');
    let limited: Json | undefined;
    let failures = 0;
    for (let i = 0; i < 30 && !limited; i++) {
      const a = await attacker.hello(1, `guess-${i}`);
      const code = (a.error as { code: string }).code;
      if (code === 'ERATE') limited = a;
      else {
        expect(code).toBe('EAUTH');
        failures++;
      }
    }
    expect(limited, 'some attempt is refused without being tried').toBeDefined();
    expect(failures).toBeGreaterThanOrEqual(3);
    expect(failures).toBeLessThanOrEqual(10);
    const wait = (limited!.error as { retryInMs: number }).retryInMs;
    expect(wait).toBeGreaterThan(0);
    expect((limited!.error as { message: string }).message).toMatch(/127\.0\.0\.2/);
    // while limited, even the right secret is not tried from that source (no oracle)
    expect(await attacker.hello(1, 'one-secret')).toMatchObject({ ok: false, error: { code: 'ERATE' } });
    // another connection from the same source is the same source
    const again = await open(rig.tcp, '127.0.0.2');
    expect(await again.hello(1, 'guess-x')).toMatchObject({ ok: false, error: { code: 'ERATE' } });
    // the processor's own monitor, from its address, gets in
    const monitor = await open(rig.tcp, '127.0.0.1');
    expect(await monitor.hello(1, 'one-secret')).toMatchObject({ ok: true, processor: 1 });
    // once the wait is over one more attempt is tried; it fails and the next wait is longer
    rig.clock.t += wait;
    expect(await attacker.hello(1, 'guess-y')).toMatchObject({ ok: false, error: { code: 'EAUTH' } });
    const next = await attacker.hello(1, 'guess-z');
    expect(next).toMatchObject({ ok: false, error: { code: 'ERATE' } });
    expect((next.error as { retryInMs: number }).retryInMs).toBeGreaterThan(wait);
    // one log line for the source, however many attempts
    expect(rig.logs.filter((l) => l.includes('127.0.0.2'))).toHaveLength(1);
    expect(rig.logs.some((l) => l.includes('guess'))).toBe(false);
    expect(rig.control()).toMatchObject({ authFailures: failures + 1, authRateLimited: 4 });
  });

  it("many sources guessing one processor's secret: new sources wait, the processor's known source does not", async () => {
    const rig = await makeRig();
    // processor 3's monitor has said hello from 127.0.0.3 before
    const first = await open(rig.tcp, '127.0.0.3');
    expect(await first.hello(3, 'three-secret')).toMatchObject({ ok: true });
    first.close();
    // one wrong guess each from many addresses, until the processor's budget is spent
    let limitedAt: number | undefined;
    for (let i = 1; i <= 60 && limitedAt === undefined; i++) {
      const l = await open(rig.tcp, `127.0.1.${i}`);
      const a = await l.hello(3, `guess-${i}`);
      if ((a.error as { code: string }).code === 'ERATE') limitedAt = i;
      l.close();
    }
    expect(limitedAt, 'the processor-wide limit is reached').toBeDefined();
    // a source that never proved processor 3's secret waits, even with the right secret
    const stranger = await open(rig.tcp, '127.0.2.1');
    expect(await stranger.hello(3, 'three-secret')).toMatchObject({ ok: false, error: { code: 'ERATE', message: expect.stringMatching(/processor 3/) } });
    // the monitor's reconnect from its known address gets in
    const back = await open(rig.tcp, '127.0.0.3');
    expect(await back.hello(3, 'three-secret')).toMatchObject({ ok: true, processor: 3 });
    // other processors are not affected
    const other = await open(rig.tcp, '127.0.2.2');
    expect(await other.hello(2, 'two-secret')).toMatchObject({ ok: true, processor: 2 });
  });
});

// ───────────────────────────── item 4: connections ─────────────────────────────

describe('connections that do not authenticate (item 4)', () => {
  it('are closed after the auth timeout (timers faked), with an answer saying why; an authenticated one stays', async () => {
    const rig = await makeRig({ controlLimits: { authTimeoutMs: 5000 } });
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const idle = await open(rig.unix);
    const authed = await ControlClient.connect(rig.unix);
    await authed.request({ op: 'hello', processor: 1, secret: 'one-secret' });
    await until('both accepted', () => rig.control().accepted === 2);
    expect(rig.control()).toMatchObject({ unauthenticated: 1, authTimeouts: 0 });
    vi.advanceTimersByTime(4999);
    expect(rig.control()).toMatchObject({ unauthenticated: 1, authTimeouts: 0 });
    expect(idle.closed).toBe(false);
    vi.advanceTimersByTime(1);
    expect(rig.control()).toMatchObject({ unauthenticated: 0, authTimeouts: 1 });
    expect(await idle.next()).toMatchObject({ id: null, ok: false, error: { code: 'ETIMEDOUT', message: expect.stringMatching(/5000 ms/) } });
    expect(await idle.ended).toBe('end');
    expect(await authed.request({ op: 'heartbeat' })).toMatchObject({ ok: true });
    authed.destroy();
  });

  it('are capped per source and in all: the oldest of the busiest source goes; an authenticated reconnect always gets in', async () => {
    const rig = await makeRig({ controlLimits: { maxUnauthenticated: 8, maxUnauthenticatedPerSource: 4 } });
    let opened = 0;
    const flood: Line[] = [];
    for (let i = 0; i < 10; i++) flood.push(await open(rig.tcp, '127.0.0.2'));
    opened += 10;
    await until('accepted', () => rig.control().accepted === opened);
    // one source holds at most 4: its oldest went
    expect(rig.control()).toMatchObject({ unauthenticated: 4, evicted: 6 });
    await until('the oldest closed', () => flood.slice(0, 6).every((l) => l.closed));
    expect(flood.slice(6).some((l) => l.closed)).toBe(false);
    const second: Line[] = [];
    for (let i = 0; i < 4; i++) second.push(await open(rig.tcp, '127.0.0.3'));
    const lone = await open(rig.tcp, '127.0.0.4');
    opened += 5;
    await until('accepted', () => rig.control().accepted === opened);
    // 9 would be one too many: the oldest of a busiest source (127.0.0.2's) went, not the lone one
    expect(rig.control()).toMatchObject({ unauthenticated: 8, evicted: 7 });
    await until('closed', () => flood[6].closed);
    expect(lone.closed).toBe(false);
    // a monitor reconnecting in the middle of this gets in, and stays in as more arrive
    const monitor = await ControlClient.connect(rig.tcp);
    expect(await monitor.request({ op: 'hello', processor: 1, secret: 'one-secret' })).toMatchObject({ ok: true });
    for (let i = 0; i < 20; i++) await open(rig.tcp, `127.0.3.${i + 1}`);
    opened += 21;
    await until('accepted', () => rig.control().accepted === opened);
    expect(rig.control().unauthenticated).toBe(8);
    expect(await monitor.request({ op: 'heartbeat' })).toMatchObject({ ok: true });
    monitor.destroy();
  });

  it('on the Unix socket too (one source): 40 idle connections do not lock a monitor out', async () => {
    const rig = await makeRig();
    for (let i = 0; i < 40; i++) await open(rig.unix);
    await until('accepted', () => rig.control().accepted === 40);
    expect(rig.control().unauthenticated).toBeLessThanOrEqual(16);
    const monitor = await ControlClient.connect(rig.unix);
    expect(await monitor.request({ op: 'hello', processor: 2, secret: 'two-secret' })).toMatchObject({ ok: true });
    monitor.destroy();
  });

  it('a client that does not read its answers is paused, not buffered without bound; others are served meanwhile', async () => {
    const rig = await makeRig();
    const sink = await open(rig.tcp, '127.0.0.5');
    sink.socket.pause(); // never reads
    const n = 20_000;
    const text = Array.from({ length: n }, (_, i) => JSON.stringify({ id: i, op: 'stats' })).join('\n') + '\n';
    sink.socket.write(text);
    const server = [...(rig.primary as unknown as { control: { connections: Set<{ socket: Socket }> } }).control.connections].map((c) => c.socket);
    // done: it read everything (and buffered every answer), or stopped reading with answers waiting
    const done = (x: Socket) => x.bytesRead === Buffer.byteLength(text) || (x.isPaused() && x.writableLength >= MAX_LINE);
    await until('the server stopped reading or read everything', () => server.some(done));
    const s = server.find(done)!;
    // answers waiting for the client: about the limit (1 MiB), not n answers' worth
    expect(s.writableLength).toBeLessThan(2 * MAX_LINE);
    expect(s.bytesRead).toBeLessThan(Buffer.byteLength(text));
    expect(await queryPrimary(rig.unix, { op: 'stats' })).toMatchObject({ ok: true });
  });

  it('stats from anyone, however often, read the learning counters over the bus at most once a second (a serial line stays the table\'s)', async () => {
    const reads = vi.spyOn(Adapter.prototype, 'learningCounters');
    try {
      const rig = await makeRig({ pinning: 'hardware' });
      const base = reads.mock.calls.length;
      const ask = () => queryPrimary(rig.tcp, { op: 'stats' }) as Promise<{ learning: { learned: number } | null }>;
      // 40 at once, then 40 more one after another, while the primary's clock stands still
      const first = await Promise.all(Array.from({ length: 40 }, ask));
      for (let i = 0; i < 40; i++) await ask();
      expect(first.every((s) => s.learning && typeof s.learning.learned === 'number')).toBe(true);
      expect(reads.mock.calls.length - base).toBe(1);
      rig.clock.t += 999;
      await ask();
      expect(reads.mock.calls.length - base).toBe(1);
      rig.clock.t += 1;
      await ask();
      expect(reads.mock.calls.length - base).toBe(2);
    } finally {
      reads.mockRestore();
    }
  });
});

// ───────────────────────────── item 9: protocol checks ─────────────────────────────

describe('protocol checks (item 9)', () => {
  it('a line over 1 MiB is answered with EPROTO naming the limit, then the connection ends (not a reset)', async () => {
    const rig = await makeRig();
    // far over (the end of the line not yet sent), and just over (the whole line in one piece)
    for (const size of [4 * MAX_LINE, MAX_LINE]) {
      const l = await open(rig.unix);
      l.send('{"id":1,"op":"stats","pad":"' + 'x'.repeat(size) + '"}');
      expect(await l.next()).toMatchObject({ id: null, ok: false, error: { code: 'EPROTO', message: expect.stringMatching(/1048576 bytes/) } });
      expect(await l.ended).toBe('end');
    }
    expect(rig.control().linesTooLong).toBe(2);
    // the client sees the refusal, not a closed connection
    const c = await ControlClient.connect(rig.tcp);
    await c.request({ op: 'hello', processor: 1, secret: 'one-secret' });
    await expect(c.request({ op: 'heartbeat', pad: 'y'.repeat(MAX_LINE) } as never)).rejects.toMatchObject({ code: 'EPROTO', message: expect.stringMatching(/1048576 bytes/) });
    c.destroy();
  });

  it('hello refuses a version it does not speak with EVERSION naming the versions it does', async () => {
    const rig = await makeRig();
    const l = await open(rig.unix);
    // a version-1 monitor: its secret in the hello, no version
    expect(await l.ask({ id: 1, op: 'hello', processor: 1, secret: 'one-secret' })).toMatchObject({ ok: false, error: { code: 'EVERSION', message: expect.stringMatching(/version 1 .*speaks 2/) } });
    expect(await l.ask({ id: 2, op: 'hello', version: 1, processor: 1, secret: 'one-secret' })).toMatchObject({ ok: false, error: { code: 'EVERSION' } });
    expect(await l.hello(1, 'one-secret', { version: 3 })).toMatchObject({ ok: false, error: { code: 'EVERSION', message: expect.stringMatching(/version 3 .*speaks 2/) } });
    expect(await l.ask({ id: 3, op: 'hello', version: '2', processor: 1 })).toMatchObject({ ok: false, error: { code: 'EVERSION' } });
    // refused hellos of another version are not guesses: the right one still gets in
    expect(await l.hello(1, 'one-secret')).toMatchObject({ ok: true, version: 2 });
  });

  it('a monitor facing a version-1 primary (no challenge) or one of other versions says EVERSION', async () => {
    const v1 = await fakePrimary((m) => ({ id: m.id, ok: false, error: { code: 'EPROTO', message: `unknown op "${String(m.op)}" (expected hello, listen, unlisten, flow-add, flow-del, heartbeat, stats)` } }));
    const v3 = await fakePrimary((m) => ({ id: m.id, ok: true, primary: 'sipnic-primary', versions: [3], nonce: 'cd'.repeat(32) }));
    try {
      for (const [fake, text] of [
        [v1, /does not know "challenge": it speaks control protocol version 1/],
        [v3, /speaks control protocol versions 3, this monitor 2/],
      ] as const) {
        const c = await ControlClient.connect(fake.address);
        await expect(c.request({ op: 'hello', processor: 1, secret: 'one-secret' })).rejects.toMatchObject({ code: 'EVERSION', message: expect.stringMatching(text) });
        c.destroy();
      }
    } finally {
      await v1.close();
      await v3.close();
    }
  });

  it('heartbeat stats are checked: known fields, types and ranges; the bad field is named', async () => {
    const rig = await makeRig();
    const c = await ControlClient.connect(rig.unix);
    await c.request({ op: 'hello', processor: 1, secret: 'one-secret' });
    const good = { ruleInstallMs: { count: 3, p50: 0.4, p99: 1.9, max: 2.3 }, flows: 3, listens: 1, polls: 50, flowAddsRefused: 0, pinnedByRequest: 2, pinnedByOpen: 1, pinnedByPoll: 0, removed: 0 };
    expect(await c.request({ op: 'heartbeat', stats: good })).toMatchObject({ ok: true });
    const bad: [Json, RegExp][] = [
      [{ ...good, flows: -1 }, /"stats\.flows"/],
      [{ ...good, polls: 1.5 }, /"stats\.polls"/],
      [{ ...good, listens: '1' }, /"stats\.listens"/],
      [{ ...good, ruleInstallMs: 'fast' }, /"stats\.ruleInstallMs"/],
      [{ ...good, ruleInstallMs: { count: 3, p50: 0.4, p99: 1e300, max: 2.3 } }, /"stats\.ruleInstallMs\.p99"/],
      [{ ...good, ruleInstallMs: { count: 3, p50: 0.4, p99: 1.9 } }, /"stats\.ruleInstallMs\.max"/],
      [{ ...good, ruleInstallMs: { ...good.ruleInstallMs, extra: 'x'.repeat(1000) } }, /"stats\.ruleInstallMs\.extra"/],
      [{ ...good, notes: 'x'.repeat(100_000) }, /"stats\.notes"/],
    ];
    for (const [stats, field] of bad) await expect(c.request({ op: 'heartbeat', stats } as never)).rejects.toMatchObject({ code: 'EPROTO', message: expect.stringMatching(field) });
    await expect(c.request({ op: 'heartbeat', stats: [1, 2] } as never)).rejects.toMatchObject({ code: 'EPROTO', message: expect.stringMatching(/"stats"/) });
    // what is stored is the last good report
    const p1 = (rig.primary.stats() as { processors: { processor: number; monitor: unknown }[] }).processors.find((p) => p.processor === 1);
    expect(p1?.monitor).toEqual(good);
    c.destroy();
  });
});

describe('sipnic primary --help', () => {
  it('names the connection limits', async () => {
    let out = '';
    const io: CliIO = { stdout: (s) => void (out += s), stderr: () => {}, stderrIsTTY: false, env: {}, createSim };
    expect(await run(['primary', '--help'], io)).toBe(0);
    expect(out).toContain('--auth-timeout');
    expect(out).toContain('--max-unauthenticated');
  });
});
