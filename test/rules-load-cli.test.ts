// `sipnic rules load` all or nothing as a user meets it (issue 9, item 5): a real process
// interrupted with SIGINT half-way, one killed with SIGKILL (its journal, `rules recover`),
// and a serial line (the PTY simulator on the real serialport package) that dies half-way.
// Progress lines (SIPNIC_PROGRESS=1) say when the load is half-way; the load process reaches
// `sim serve` through a proxy the test holds still while it signals, so the load cannot
// finish before the signal lands, however busy the machine; nothing waits on a clock.
import { spawn } from 'node:child_process';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../host/src/cli/program.js';
import type { CliIO } from '../host/src/cli/context.js';
import { captureIo } from './support/cli-io.js';
import { SerialBus } from '../host/src/bus/serial-bus.js';
import { Adapter } from '../host/src/driver/index.js';
import { parseRules, type FlowRule } from '../host/src/codec/rules.js';
import { startPtySim } from '../host/src/sim/pty-sim.js';

const ROOT = join(import.meta.dirname, '..');
const BIN = join(ROOT, 'bin', 'sipnic.mjs');
const DIR = mkdtempSync(join(tmpdir(), 'sipnic-load-'));
const SOCKET = join(DIR, 'sim.sock');
const STATE = join(DIR, 'state');
const PROXY = join(DIR, 'proxy.sock');

/** A Unix-socket proxy to `sim serve` whose requests can be held back (hold) and let through again (release). */
function startProxy(): Promise<{ server: Server; hold(): void; release(): void }> {
  const pairs: { client: Socket; upstream: Socket }[] = [];
  let held = false;
  const server = createServer((client) => {
    const upstream = createConnection(SOCKET);
    upstream.pipe(client);
    if (!held) client.pipe(upstream);
    pairs.push({ client, upstream });
    const end = () => (client.destroy(), upstream.destroy());
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  });
  return new Promise((resolve) =>
    server.listen(PROXY, () =>
      resolve({
        server,
        hold() {
          held = true;
          for (const p of pairs) p.client.unpipe(p.upstream);
        },
        release() {
          held = false;
          for (const p of pairs) p.client.pipe(p.upstream);
        },
      }),
    ),
  );
}

const io = (extra: Partial<CliIO> = {}) => captureIo({ env: { SIPNIC_STATE_DIR: STATE }, ...extra });

async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const i = io();
  const code = await run(args[0] === '--device' || args[0] === '--socket' ? args : ['--socket', SOCKET, ...args], i);
  return { code, ...i.output };
}

const dump = async () => (await cli('rules', 'dump')).out;

function flowFile(name: string, n: number, action = 1, port = 443): string {
  const lines = Array.from({ length: n }, (_, i) => `flow-type tcp4 src-ip 192.0.2.${1 + (i % 250)} dst-ip 10.0.0.1 src-port ${1024 + i} dst-port ${port} action ${action}`);
  const path = join(DIR, name);
  writeFileSync(path, `# ${n} flows\ndefault action 2\n${lines.join('\n')}\n`);
  return path;
}

/** `sipnic rules load FILE` as its own process; resolves `halfway` once it has applied at least `at` rules. */
function loadProcess(file: string, at: number) {
  const child = spawn(process.execPath, [BIN, '--socket', PROXY, 'rules', 'load', file], {
    cwd: ROOT,
    env: { ...process.env, SIPNIC_PROGRESS: '1', SIPNIC_STATE_DIR: STATE },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  let reached!: () => void;
  let heard!: () => void;
  let half = false;
  const halfway = new Promise<void>((resolve) => (reached = resolve));
  const stopping = new Promise<void>((resolve) => (heard = resolve));
  child.stderr.on('data', (d: Buffer) => {
    err += d.toString();
    const m = [...err.matchAll(/applied (\d+)\//g)].at(-1);
    if (m && Number(m[1]) >= at && !half) {
      half = true;
      proxy.hold(); // the load goes no further until the test lets it
      reached();
    }
    if (/SIGINT: stopping after the command in flight/.test(err)) heard();
  });
  const exited = new Promise<{ code: number | null; signal: string | null; err: string }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal, err })));
  return { child, stopping, halfway: Promise.race([halfway, exited.then((e) => Promise.reject(new Error(`rules load ended before half-way: ${e.code} ${e.err}`)))]), exited };
}

let stop: AbortController;
let serving: Promise<number>;
let proxy: Awaited<ReturnType<typeof startProxy>>;

beforeAll(async () => {
  stop = new AbortController();
  let ready!: () => void;
  const started = new Promise<void>((resolve) => (ready = resolve));
  const serveIO = io({ signal: stop.signal, onServing: () => ready() });
  serving = run(['--socket', SOCKET, 'sim', 'serve', '--width', '64'], serveIO);
  await Promise.race([started, serving.then((code) => Promise.reject(new Error(`sim serve exited ${code}: ${serveIO.output.err}`)))]);
  expect((await cli('rules', 'load', flowFile('base.rules', 3, 1, 22))).code).toBe(0);
  proxy = await startProxy();
});

afterAll(async () => {
  proxy?.server.close();
  stop.abort();
  await serving;
  rmSync(DIR, { recursive: true, force: true });
});

describe('rules load, interrupted', () => {
  it('Ctrl-C half-way: the process takes its rules back out, exits 130 and leaves no journal', async () => {
    const before = await dump();
    const load = loadProcess(flowFile('sigint.rules', 3000), 640);
    await load.halfway;
    load.child.kill('SIGINT');
    await load.stopping;
    proxy.release();
    const r = await load.exited;
    expect(r.err).toMatch(/sipnic: interrupted \(SIGINT\) after \d+ of 3001 rules; took them back out: nothing was applied/);
    expect(r.code).toBe(130);
    expect(await dump()).toBe(before);
    expect(readdirSync(STATE)).toEqual([]);
  });

  it('killed half-way: the journal stops the next load until `rules recover` has taken the rest out', async () => {
    const before = await dump();
    const file = flowFile('sigkill.rules', 3000);
    const load = loadProcess(file, 640);
    await load.halfway;
    load.child.kill('SIGKILL');
    expect((await load.exited).signal).toBe('SIGKILL');
    proxy.release();
    expect(await dump()).not.toBe(before);

    // the journal belongs to the adapter the load used: here the proxy's socket
    expect((await cli('rules', 'recover')).out).toMatch(/^nothing to recover: no unfinished `rules load` against socket .*sim\.sock\n$/);
    const next = await cli('--socket', PROXY, 'rules', 'load', flowFile('next.rules', 2, 3, 8443));
    expect(next.code).toBe(1);
    expect(next.err).toMatch(/an earlier `sipnic rules load .*sigkill\.rules` \(pid \d+, started .*\) did not finish: the table may hold part of it\. Run `sipnic rules recover`/);

    const rec = await cli('--socket', PROXY, 'rules', 'recover', '--json');
    expect(rec.code).toBe(0);
    const out = JSON.parse(rec.out);
    expect(out).toMatchObject({ recovered: true, file, rules: 3001, defaultAction: 2 });
    expect(out.removed).toBeGreaterThanOrEqual(640);
    expect(await dump()).toBe(before);
    expect(readdirSync(STATE)).toEqual([]);
    expect((await cli('--socket', PROXY, 'rules', 'recover')).out).toMatch(/^nothing to recover/);
    expect((await cli('--socket', PROXY, 'rules', 'load', flowFile('after.rules', 2, 3, 8443))).code).toBe(0);
  });
});

describe('rules load over a serial line that dies half-way', () => {
  it('names the lines the table may still hold, exactly those are there, and `rules recover` restores the table', async () => {
    const sim = await startPtySim({ faultRate: 1 });
    try {
      await sim.setFaults(false);
      const device = ['--device', sim.path];
      const file = flowFile('serial.rules', 300);
      const rules = parseRules(`default action 2\n${Array.from({ length: 300 }, (_, i) => `flow-type tcp4 src-ip 192.0.2.${1 + (i % 250)} dst-ip 10.0.0.1 src-port ${1024 + i} dst-port 443 action 1`).join('\n')}`);
      const flows = rules.filter((r): r is FlowRule => r.kind === 'flow');
      let killed: Promise<unknown> | undefined;
      const i = io({
        env: { SIPNIC_STATE_DIR: STATE, SIPNIC_PROGRESS: '1' },
        stderr: (s) => {
          const m = /applied (\d+)\//.exec(s);
          if (m && Number(m[1]) >= 129) killed ??= sim.setFaults(true);
        },
      });
      const code = await run([...device, 'rules', 'load', file, '--json'], i);
      expect(killed).toBeDefined();
      await killed;
      expect(code).toBe(1);
      const err = JSON.parse(i.output.out).error;
      expect(err.code).toBe('EPARTIAL');
      expect(err.message).toMatch(/serial\.rules:\d+: .*taking the rules back out failed too .*: the table may still hold the rules of lines .* and its default action \(was 0\) of .*serial\.rules\. When the adapter answers again, `sipnic rules recover` takes them out/);

      await sim.setFaults(false);
      const a = await Adapter.open(await SerialBus.open(sim.path));
      try {
        const present = (await a.flows.lookupMany(flows)).map((e, k) => (e ? k + 3 : -1)).filter((line) => line > 0); // flow k is on line k + 3
        expect(present.length).toBeGreaterThanOrEqual(128);
        for (const line of present) expect(err.leftLines).toContain(line);
        expect(await a.getDefault()).toBe(2);
      } finally {
        await a.close();
      }
      const rec = await cli(...device, 'rules', 'recover');
      expect(rec.err).toBe('');
      expect(rec.out).toMatch(/^took out \d+ of the 301 rules of .*serial\.rules .*; default action back to 0\n$/);
      const b = await Adapter.open(await SerialBus.open(sim.path));
      try {
        expect((await b.flows.lookupMany(flows)).filter(Boolean)).toEqual([]);
        expect(await b.flows.count()).toBe(0);
        expect(await b.getDefault()).toBe(0);
      } finally {
        await b.close();
      }
    } finally {
      await sim.stop();
    }
  }, 120_000);
});
