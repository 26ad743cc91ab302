// bus/ndjson.ts, the newline-JSON mechanics the register bus and the control protocol share:
// the line limit (a finished line over it too, not only an unfinished one), a reader that
// keeps the connection after a line over the limit so the server can answer before it closes,
// and a server's bounds on what a client that does not read can make it hold. Real Unix
// sockets.
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { inOrderAnswers, LineSplitter, onJsonLines, onLines } from '../host/src/bus/ndjson.js';

const DIR = mkdtempSync(join(tmpdir(), 'sipnic-ndjson-'));
afterAll(() => rmSync(DIR, { recursive: true, force: true }));

const servers: Server[] = [];
const sockets: Socket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  for (const s of servers.splice(0)) await new Promise((r) => s.close(r));
});

let n = 0;
/** A server whose connections go to onSocket; a connected client. */
async function pair(onSocket: (s: Socket) => void): Promise<Socket> {
  const path = join(DIR, `s${n++}.sock`);
  const server = createServer((s) => {
    sockets.push(s);
    onSocket(s);
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(path, r));
  const client = createConnection(path);
  sockets.push(client);
  await new Promise((r) => client.once('connect', r));
  return client;
}

async function until(what: string, fn: () => boolean): Promise<void> {
  for (let i = 0; i < 100_000; i++) {
    if (fn()) return;
    await new Promise((r) => setImmediate(r));
  }
  throw new Error(`never happened: ${what}`);
}

describe('LineSplitter', () => {
  it('a line over the limit is refused whether it arrives finished or not; lines up to it pass', () => {
    const got: string[] = [];
    expect(new LineSplitter(8).push('12345678\n1234\n', (l) => got.push(l))).toBe(true);
    expect(got).toEqual(['12345678', '1234']);
    // the whole line in one chunk, newline included
    expect(new LineSplitter(8).push('123456789\n', (l) => got.push(l))).toBe(false);
    // unfinished
    expect(new LineSplitter(8).push('123456789', (l) => got.push(l))).toBe(false);
    expect(got).toEqual(['12345678', '1234']);
    // one line at a time
    const s = new LineSplitter(8);
    expect(s.append('a\n\nb\nc')).toBe(true);
    expect([s.next(), s.next(), s.next()]).toEqual(['a', 'b', undefined]);
    s.append('d\n');
    expect(s.next()).toBe('cd');
  });
});

describe('LineSplitter chunking', () => {
  it('gives the same lines however the text is cut into chunks (newlines at chunk edges, blank lines, long lines)', () => {
    let seed = 7;
    const rnd = (n: number) => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) % n);
    for (let round = 0; round < 200; round++) {
      const lines = Array.from({ length: 1 + rnd(20) }, () => (rnd(5) === 0 ? '' : 'x'.repeat(rnd(3) === 0 ? 1 + rnd(5000) : 1 + rnd(10)) + round));
      const text = lines.join('\n') + '\n';
      const got: string[] = [];
      const splitter = new LineSplitter(1 << 20);
      for (let at = 0; at < text.length; ) {
        const len = 1 + rnd(rnd(4) === 0 ? 4000 : 8);
        expect(splitter.push(text.slice(at, at + len), (l) => got.push(l))).toBe(true);
        at += len;
      }
      expect(got).toEqual(lines.filter((l) => l.trim() !== ''));
    }
  });
});

describe('onLines / onJsonLines', () => {
  it("afterTooLong 'discard': the server answers the line over the limit and ends; the client reads the answer and a clean end", async () => {
    const seen: string[] = [];
    let refused = 0;
    const client = await pair((s) => {
      const send = inOrderAnswers(s);
      onJsonLines(
        s,
        (msg) => {
          if (msg instanceof Error) {
            refused++;
            void send(Promise.resolve({ id: null, error: msg.message })).then(() => s.end());
          } else seen.push(String(msg.id));
        },
        1024,
        { afterTooLong: 'discard' },
      );
    });
    let text = '';
    const ended = new Promise<string>((resolve) => {
      client.setEncoding('utf8');
      client.on('data', (d: string) => (text += d));
      client.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
      client.on('end', () => resolve('end'));
    });
    client.write('{"id":1}\n' + JSON.stringify({ id: 2, pad: 'x'.repeat(100_000) }) + '\n{"id":3}\n');
    expect(await ended).toBe('end');
    expect(seen).toEqual(['1']);
    expect(refused).toBe(1);
    expect(JSON.parse(text)).toEqual({ id: null, error: 'line longer than 1024 bytes' });
  });

  it('destroys the socket by default', async () => {
    let tooLong = '';
    const client = await pair((s) =>
      onLines(
        s,
        () => {},
        16,
        (_e, head) => (tooLong = head),
      ),
    );
    const closed = new Promise((r) => client.on('close', r));
    client.on('error', () => {});
    client.write('x'.repeat(100) + '\n');
    await closed;
    expect(tooLong).toMatch(/^x+$/);
  });
});

describe('inOrderAnswers bounds', () => {
  it('maxPending: no line is delivered while that many answers are pending, even of a chunk read already; the rest follow in order', async () => {
    const got: number[] = [];
    const release: (() => void)[] = [];
    let server!: Socket;
    const client = await pair((s) => {
      server = s;
      const send = inOrderAnswers(s, { maxPending: 4 });
      onJsonLines(s, (msg) => {
        got.push((msg as { id: number }).id);
        void send(new Promise((r) => release.push(() => r({ id: (msg as { id: number }).id }))));
      });
    });
    let answers = '';
    client.setEncoding('utf8');
    client.on('data', (d: string) => (answers += d));
    // one write, one chunk
    client.write(Array.from({ length: 100 }, (_, i) => JSON.stringify({ id: i })).join('\n') + '\n');
    await until('four delivered', () => got.length === 4);
    await new Promise((r) => setImmediate(r));
    expect(got).toEqual([0, 1, 2, 3]);
    expect(server.isPaused()).toBe(true);
    // each answer lets the next line in: never more than four pending
    for (let answered = 1; got.length < 100; answered++) {
      release.shift()!();
      await until('the next one delivered', () => got.length === Math.min(100, answered + 4));
      expect(release.length).toBeLessThanOrEqual(4);
    }
    for (const r of release.splice(0)) r();
    await until('all answered', () => answers.split('\n').length === 101);
    expect(answers.trim().split('\n').map((l) => (JSON.parse(l) as { id: number }).id)).toEqual(Array.from({ length: 100 }, (_, i) => i));
  });

  it('maxBuffered: a client that does not read stops the server reading once that much waits for it (with maxPending: what it holds is bounded by both)', async () => {
    let server!: Socket;
    let answered = 0;
    const big = 'y'.repeat(64 * 1024);
    const client = await pair((s) => {
      server = s;
      const send = inOrderAnswers(s, { maxPending: 8, maxBuffered: 256 * 1024 });
      onJsonLines(s, () => {
        answered++;
        void send(Promise.resolve({ big }));
      });
    });
    client.pause(); // never reads
    const lines = 2000; // 2000 × 64 KiB of answers: far more than the kernel's buffers
    client.write(Array.from({ length: lines }, (_, i) => JSON.stringify({ id: i })).join('\n') + '\n');
    await until('the server paused with the bound reached', () => server.isPaused() && server.writableLength >= 256 * 1024);
    for (let i = 0; i < 50; i++) await new Promise((r) => setImmediate(r));
    expect(answered).toBeLessThan(lines);
    expect(server.writableLength).toBeLessThan(256 * 1024 + 9 * (big.length + 20));
    // reading again drains it and the server goes on
    client.resume();
    await until('every line answered', () => answered === lines);
  });
});
