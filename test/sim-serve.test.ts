// `sipnic sim serve` under users who do not behave (issue 9, items 6 and 7), over real Unix
// sockets: an idle client no longer blocks the others, idle clients are timed out (an owner is
// not), a client that never reads its answers is paused instead of buffered for, a request line
// over 1 MiB is EPROTO and the end of that connection only, the polls of one request are
// bounded and leave the event loop free, a client that ends its side still gets its answers,
// and the client side gives up with a message naming the socket when nobody answers.
// No test waits a guessed time: each waits for the event it is about (an answer, a close).
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createSim as realCreateSim, type Sim, type SimOptions } from '../sim/addon.js';
import { run } from '../host/src/cli/program.js';
import type { CliIO } from '../host/src/cli/context.js';
import type { RegisterBus } from '../host/src/bus/bus.js';
import { runBatch, runBoundedBatch } from '../host/src/bus/batch.js';
import { SimBus } from '../host/src/bus/sim-bus.js';
import { MAX_PENDING, serveBus, SocketBus, type SimServer } from '../host/src/bus/socket-bus.js';
import { BLOCKS } from '../host/src/driver/regs.generated.js';
import { createFakeSim } from './support/fake-sim.js';

const createSim = (process.env.SIPNIC_FAKE_SIM ? createFakeSim : realCreateSim) as (o: SimOptions) => Sim;

const DIR = mkdtempSync(join(tmpdir(), 'sipnic-serve-'));
afterAll(() => rmSync(DIR, { recursive: true, force: true }));
let n = 0;
const socketPath = () => join(DIR, `s${n++}.sock`);

const SCRATCH = BLOCKS.core.registers.SCRATCH.offset;
const TYPE = BLOCKS.core.registers.TYPE.offset;

function io(extra: Partial<CliIO> = {}): CliIO & { output: { out: string; err: string } } {
  const output = { out: '', err: '' };
  return { output, stdout: (s) => void (output.out += s), stderr: (s) => void (output.err += s), stderrIsTTY: false, env: {}, createSim, ...extra };
}

/** `sipnic sim serve` in this process on a fresh socket, with extra options; stop() ends it. */
async function simServe(...extra: string[]): Promise<{ path: string; stop(): Promise<void> }> {
  const path = socketPath();
  const abort = new AbortController();
  let ready!: () => void;
  const started = new Promise<void>((resolve) => (ready = resolve));
  const serveIO = io({ signal: abort.signal, onServing: () => ready() });
  const serving = run(['--socket', path, 'sim', 'serve', ...extra], serveIO);
  await Promise.race([started, serving.then((code) => Promise.reject(new Error(`sim serve exited ${code}: ${serveIO.output.err}`)))]);
  return {
    path,
    stop: async () => {
      abort.abort();
      expect(await serving).toBe(0);
    },
  };
}

const opened: Socket[] = [];
afterEach(() => {
  for (const s of opened.splice(0)) s.destroy();
});

/** A raw client: everything it receives (as lines) and whether it closed. */
async function rawClient(path: string): Promise<{ socket: Socket; lines: () => any[]; closed: Promise<void> }> {
  const socket = createConnection(path);
  opened.push(socket);
  let text = '';
  socket.setEncoding('utf8');
  socket.on('data', (d: string) => void (text += d));
  socket.on('error', () => {});
  const closed = new Promise<void>((r) => socket.once('close', () => r()));
  await new Promise((r) => socket.once('connect', r));
  return {
    socket,
    lines: () =>
      text
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l)),
    closed,
  };
}

async function until(what: string, fn: () => boolean): Promise<void> {
  for (let i = 0; i < 1_000_000; i++) {
    if (fn()) return;
    await new Promise((r) => setTimeout(r, 1));
  }
  throw new Error(`never happened: ${what}`);
}

/** A second client's whole exchange: connect, write SCRATCH, read it back. */
async function roundTrip(path: string, value: number): Promise<number> {
  const bus = await SocketBus.connect(path);
  try {
    await bus.write(SCRATCH, value);
    return await bus.read(SCRATCH);
  } finally {
    await bus.close();
  }
}

describe('sim serve serves every client at once (item 6)', () => {
  let serve: Awaited<ReturnType<typeof simServe>>;
  beforeAll(async () => {
    serve = await simServe();
  });
  afterAll(async () => {
    await serve.stop();
  });

  it('a client that connected and sends nothing does not hold the others back: they are answered, and a CLI command runs', async () => {
    const idle = await rawClient(serve.path);
    const half = await rawClient(serve.path);
    half.socket.write('{"id":1,"op":"re'); // half a request, never finished
    expect(await roundTrip(serve.path, 0x1234abcd)).toBe(0x1234abcd);
    const i = io();
    expect(await run(['--socket', serve.path, 'regs', 'read', 'core.SCRATCH', '--json'], i)).toBe(0);
    expect(i.output.out).toContain(String(0x1234abcd));
    // the idle ones are still open (the default idle timeout is a minute)
    expect(idle.socket.destroyed || half.socket.destroyed).toBe(false);
  });

  it('a client that sends requests and never reads the answers is paused, not buffered for: another client is answered meanwhile', async () => {
    const { socket } = await rawClient(serve.path);
    socket.pause(); // never reads
    await new Promise<void>((r) => (socket.write(JSON.stringify({ id: 0, op: 'write', addr: SCRATCH, value: 0xffffffff }) + '\n') ? r() : socket.once('drain', r)));
    // 400 answers of 3,000 ten-digit words (~33 KB each, 13 MB in all) that nobody reads
    const batch = (id: number) => JSON.stringify({ id, op: 'batch', ops: Array.from({ length: 3000 }, () => [0, SCRATCH, 0]).flat() }) + '\n';
    const lines = Array.from({ length: 400 }, (_, i) => batch(i + 1)).join('');
    socket.write(lines);
    // a second client: every answer, while the first one's are stuck
    const bus = await SocketBus.connect(serve.path);
    try {
      for (let k = 0; k < 5; k++) expect(await bus.read(SCRATCH)).toBe(0xffffffff);
      expect([...(await bus.batch(Uint32Array.of(0, SCRATCH, 0)))]).toEqual([0xffffffff]);
    } finally {
      await bus.close();
    }
    expect(socket.destroyed).toBe(false);
  });

  it('a client that ends its side at once still gets every answer, then the end', async () => {
    const c = await rawClient(serve.path);
    c.socket.end(
      [{ id: 1, op: 'write', addr: SCRATCH, value: 7 }, { id: 2, op: 'read', addr: SCRATCH }, { id: 3, op: 'hello' }].map((l) => JSON.stringify(l) + '\n').join(''),
    );
    await c.closed;
    expect(c.lines()).toEqual([{ id: 1 }, { id: 2, value: 7 }, expect.objectContaining({ id: 3, server: 'sipnic-sim' })]);
  });
});

describe('the paused client, counted on the server (item 6)', () => {
  let server: SimServer;
  let bus: SimBus;
  let batches = 0;
  const path = socketPath();
  beforeAll(async () => {
    bus = new SimBus(createSim({ width: 64 }), { closeSim: true });
    const batch = bus.batch.bind(bus);
    bus.batch = (ops) => {
      batches++;
      return batch(ops);
    };
    server = await serveBus(bus, path, { width: 64 });
  });
  afterAll(async () => {
    await server.close();
    await bus.close();
  });

  it('runs only what fits its bounds (answers unread + MAX_PENDING), however many requests it sent', async () => {
    const { socket } = await rawClient(path);
    socket.pause();
    const line = (id: number) => JSON.stringify({ id, op: 'batch', ops: Array.from({ length: 3000 }, () => [0, TYPE, 0]).flat() }) + '\n';
    socket.write(Array.from({ length: 400 }, (_, i) => line(i + 1)).join(''));
    const other = await SocketBus.connect(path);
    try {
      await until('the server stops reading the client that does not read', () => batches > MAX_PENDING);
      // the other client's request arrives behind at most MAX_PENDING of the first one's
      const before = batches;
      expect(await other.read(SCRATCH)).toBeTypeOf('number');
      expect(batches - before).toBeLessThanOrEqual(MAX_PENDING + 1);
      // each answer is ~33 KB: 1 MiB unread plus the kernel's socket buffers is a few dozen,
      // nowhere near 400
      expect(batches).toBeLessThan(150);
    } finally {
      await other.close();
    }
  });
});

describe('sim serve --idle-timeout (item 6)', () => {
  let serve: Awaited<ReturnType<typeof simServe>>;
  beforeAll(async () => {
    serve = await simServe('--idle-timeout', '1');
  });
  afterAll(async () => {
    await serve.stop();
  });

  it('says so in --help', async () => {
    const i = io();
    await run(['sim', 'serve', '--help'], i);
    expect(i.output.out).toMatch(/--idle-timeout <seconds>\s+end a client connection that sends nothing for this\s+long \(0: never; default 60\)/);
    expect(i.output.out).toContain('SIPNIC_SOCKET_TIMEOUT');
    const bad = io();
    expect(await run(['--socket', socketPath(), 'sim', 'serve', '--idle-timeout', 'soon'], bad)).not.toBe(0);
    expect(bad.output.err).toContain('--idle-timeout must be a number of seconds 0..86400');
  });

  it('an idle client is told why and closed; an owner (the primary) is not; a busy one is not', async () => {
    const owner = await SocketBus.connect(serve.path);
    await owner.own('primary (pid 1)');
    const idle = await rawClient(serve.path);
    await idle.closed;
    expect(idle.lines()).toEqual([{ id: null, error: { code: 'ETIMEDOUT', message: 'sim serve ended this connection: nothing sent for 1 s (sim serve --idle-timeout)' } }]);
    // the owner connected before the idle client and still works
    await owner.write(SCRATCH, 42);
    expect(await owner.read(SCRATCH)).toBe(42);
    await owner.close();
    // a client that keeps asking is served past the timeout: until one idle client closes
    const bus = await SocketBus.connect(serve.path);
    const another = await rawClient(serve.path);
    let closed = false;
    void another.closed.then(() => (closed = true));
    let reads = 0;
    while (!closed) {
      await bus.read(SCRATCH);
      reads++;
    }
    expect(reads).toBeGreaterThan(0);
    expect(await bus.read(SCRATCH)).toBe(42);
    await bus.close();
  });

  it('a SocketBus left idle learns why its next request fails', async () => {
    const bus = await SocketBus.connect(serve.path);
    const marker = await rawClient(serve.path); // connected after bus: closed after it
    await marker.closed;
    await expect(bus.read(SCRATCH)).rejects.toMatchObject({ code: 'ETIMEDOUT', message: expect.stringMatching(/nothing sent for 1 s \(sim serve --idle-timeout\)/) });
    await bus.close();
  });
});

describe('sim serve bounds what one request can cost (item 7)', () => {
  let serve: Awaited<ReturnType<typeof simServe>>;
  beforeAll(async () => {
    serve = await simServe();
  });
  afterAll(async () => {
    await serve.stop();
  });

  it('a 2 MB request line is answered EPROTO and that connection ended; the line is never parsed; others are served meanwhile', async () => {
    const c = await rawClient(serve.path);
    // valid JSON: without a bound it would be answered as a read
    const huge = JSON.stringify({ id: 9, op: 'read', addr: SCRATCH, pad: 'x'.repeat(2 << 20) }) + '\n';
    c.socket.write(huge.slice(0, 1 << 20));
    expect(await roundTrip(serve.path, 0x77)).toBe(0x77);
    c.socket.write(huge.slice(1 << 20));
    await c.closed;
    expect(c.lines()).toEqual([
      { id: null, error: { code: 'EPROTO', message: 'request line longer than 1048576 bytes (it starts "{\\"id\\":9,\\"op\\":\\"read\\",\\"addr\\":28,\\"pad\\":\\"xxx"); closing the connection' } },
    ]);
    expect(await roundTrip(serve.path, 0x78)).toBe(0x78);
  });

  it('a poll that never ends ([2,0,4294967295]) is ETIMEDOUT after 100,000 reads; the loop turns meanwhile and the next client is answered', async () => {
    const c = await rawClient(serve.path);
    let turns = 0;
    let answered = false;
    const ticker = setInterval(() => void (answered || turns++), 1);
    try {
      c.socket.write(JSON.stringify({ id: 1, op: 'batch', ops: [1, SCRATCH, 5, 2, TYPE, 0xffffffff, 0, SCRATCH, 0] }) + '\n');
      // sent behind the poll: answered once it is over
      const next = roundTrip(serve.path, 6);
      await until('the poll answered', () => c.lines().length === 1);
      answered = true;
      expect(c.lines()[0]).toEqual({
        id: 1,
        error: { code: 'ETIMEDOUT', message: "batch op 1 (poll): register 0x0 & 0xffffffff still non-zero after 100000 repeated reads; a request's polls may read at most 100000 times" },
      });
      expect(await next).toBe(6);
    } finally {
      clearInterval(ticker);
    }
    // the native poll held the loop for the whole million reads: here it turned
    expect(turns).toBeGreaterThan(0);
  });

  it('polls that end are answered as before', async () => {
    const bus = await SocketBus.connect(serve.path);
    try {
      const v = await bus.batch(Uint32Array.of(1, SCRATCH, 0x0f0, 2, SCRATCH, 0x00f, 0, SCRATCH, 0, 2, TYPE, 0));
      expect([...v]).toEqual([0, 0x0f0, 0x0f0, (await bus.read(TYPE)) >>> 0]);
    } finally {
      await bus.close();
    }
  });
});

describe('runBoundedBatch', () => {
  /** A bus whose register 0x10 reads busy (bit 0) for `busy` reads after each write to it. */
  function busyBus(): RegisterBus & { reads: number[] } {
    const regs = new Map<number, number>();
    let busy = 0;
    const reads: number[] = [];
    return {
      reads,
      async read(addr) {
        reads.push(addr);
        if (addr === 0x10) return busy > 0 ? (busy--, 1) : 0;
        return regs.get(addr) ?? 0;
      },
      async write(addr, value) {
        if (addr === 0x10) busy = value;
        else regs.set(addr, value);
      },
      async close() {},
    };
  }

  it('makes the same accesses, in the same order, with the same answers as runBatch', async () => {
    const ops = Uint32Array.of(1, 0x20, 9, 1, 0x10, 3, 2, 0x10, 1, 0, 0x20, 0, 2, 0x20, 0x10, 1, 0x10, 0, 2, 0x10, 1);
    const a = busyBus();
    const b = busyBus();
    expect([...(await runBoundedBatch(a, ops))]).toEqual([...(await runBatch(b, ops))]);
    expect(a.reads).toEqual(b.reads);
  });

  it('stops at its bound with ETIMEDOUT naming the op', async () => {
    const bus = busyBus();
    await bus.write(0x10, 1000);
    await expect(runBoundedBatch(bus, Uint32Array.of(0, 0x20, 0, 2, 0x10, 1), { maxReads: 50, readsPerTurn: 8 })).rejects.toMatchObject({
      code: 'ETIMEDOUT',
      message: expect.stringMatching(/^batch op 1 \(poll\): register 0x10 & 0x1 still non-zero after 50 repeated reads/),
    });
  });
});

describe('the client side gives up when nobody answers (item 6)', () => {
  const servers: Server[] = [];
  const accepted: Socket[] = [];
  afterAll(async () => {
    for (const s of accepted) s.destroy();
    for (const s of servers) await new Promise((r) => s.close(r));
  });
  /** A server that accepts and never answers (a stopped `sim serve` looks the same), or answers hello only. */
  async function mute(answerHello: boolean): Promise<string> {
    const path = socketPath();
    const server = createServer((s) => {
      accepted.push(s);
      if (answerHello) {
        s.setEncoding('utf8');
        s.once('data', (d: string) => s.write(JSON.stringify({ id: JSON.parse(d.split('\n')[0]).id, server: 'sipnic-sim', version: 1, width: 64 }) + '\n'));
      }
    });
    servers.push(server);
    await new Promise<void>((r) => server.listen(path, r));
    return path;
  }

  it('no hello within the connect timeout: ETIMEDOUT naming the socket and what to check', async () => {
    const path = await mute(false);
    await expect(SocketBus.connect(path, { connectMs: 200 })).rejects.toMatchObject({
      code: 'ETIMEDOUT',
      message: `no answer from the simulated adapter at ${path} within 0.2 s: is \`sipnic sim serve\` running there, and not stopped (Ctrl-Z, SIGSTOP) or overloaded?`,
    });
  });

  it('the CLI: SIPNIC_SOCKET_TIMEOUT sets the wait; the error is printed and the exit code is not 0', async () => {
    const path = await mute(false);
    const i = io({ env: { SIPNIC_SOCKET_TIMEOUT: '0.2' } });
    const code = await run(['--socket', path, 'flow', 'list'], i);
    expect(code).not.toBe(0);
    expect(i.output.err).toContain(`no answer from the simulated adapter at ${path} within 0.2 s: is \`sipnic sim serve\` running there`);
    const bad = io({ env: { SIPNIC_SOCKET_TIMEOUT: 'never' } });
    expect(await run(['--socket', path, 'flow', 'list'], bad)).not.toBe(0);
    expect(bad.output.err).toContain('SIPNIC_SOCKET_TIMEOUT "never" is not a number of seconds');
  });

  it('no answer to a request within the answer timeout: ETIMEDOUT naming the socket and the request', async () => {
    const path = await mute(true);
    const bus = await SocketBus.connect(path, { connectMs: 5000, answerMs: 200 });
    await expect(bus.read(SCRATCH)).rejects.toMatchObject({
      code: 'ETIMEDOUT',
      message: `no answer from the simulated adapter at ${path} within 0.2 s to a read request: is \`sipnic sim serve\` running there, and not stopped (Ctrl-Z, SIGSTOP) or overloaded?`,
    });
    await bus.close();
  });
});
