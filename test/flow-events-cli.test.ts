// `sipnic flow events` in-process (commander with exitOverride, output captured) against a real
// `sipnic sim serve` started in this process on a temporary socket, as test/cli.test.ts does;
// the served model is kept so the test can feed it SYNs between invocations (the model runs
// on this thread: nothing else touches it while a frame is sent).
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSim, type Sim, type SimOptions } from '../sim/addon.js';
import { run } from '../host/src/cli/program.js';
import type { CliIO } from '../host/src/cli/context.js';
import { captureIo } from './support/cli-io.js';
import { buildFrame } from './support/framegen.js';

const DIR = mkdtempSync(join(tmpdir(), 'sipnic-events-cli-'));
const SOCKET = join(DIR, 'sim.sock');

const io = (extra: Partial<CliIO> = {}) => captureIo({ createSim: (o: SimOptions) => (model = createSim(o)), ...extra });

async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const i = io();
  const code = await run(['--socket', SOCKET, ...args], i);
  return { code, ...i.output };
}

let model: Sim;
let stop: AbortController;
let serving: Promise<number>;

/** SYNs from 192.0.2.7 to 10.0.0.1:port, each learned before the next (~13 µs of model clock apart). */
function syns(port: number, srcPorts: number[]): void {
  for (const p of srcPorts) {
    const f = buildFrame({ family: 4, proto: 'tcp', src: '192.0.2.7', dst: '10.0.0.1', srcPort: p, dstPort: port }, { flags: 0x02 });
    model.send(f, Uint32Array.of(f.length));
    model.runUntilIdle(100_000);
    model.run(2000);
  }
  model.collect();
}

beforeAll(async () => {
  stop = new AbortController();
  let ready!: () => void;
  const started = new Promise<void>((resolve) => (ready = resolve));
  const serveIO = io({ signal: stop.signal, onServing: () => ready() });
  serving = run(['--socket', SOCKET, 'sim', 'serve', '--width', '64'], serveIO);
  await Promise.race([started, serving.then((code) => Promise.reject(new Error(`sim serve exited ${code}: ${serveIO.output.err}`)))]);
  const rules = join(DIR, 'learn.rules');
  writeFileSync(rules, 'learning max-embryonic 100\nlisten tcp4 dst-ip 10.0.0.1 dst-port 80 action 2 learn\nlisten tcp4 dst-ip 10.0.0.1 dst-port 81 action 3 learn\n');
  const r = await cli('rules', 'load', rules);
  expect(r.code, r.err).toBe(0);
});

afterAll(async () => {
  stop.abort();
  expect(await serving).toBe(0);
  expect(existsSync(SOCKET)).toBe(false);
  rmSync(DIR, { recursive: true, force: true });
});

describe('sipnic flow events', () => {
  it('turns the queue on and says so; then prints each learned entry, one JSON object per line with --json', async () => {
    const first = await cli('flow', 'events', '--json');
    expect(first.code, first.err).toBe(0);
    expect(first.out).toBe('');
    expect(first.err).toMatch(/the event queue was off: turned it on/);

    syns(80, [40001, 40002]);
    syns(81, [40003]);
    const r = await cli('flow', 'events', '--json');
    expect(r.code, r.err).toBe(0);
    expect(r.err, 'on already: nothing to say').toBe('');
    const lines = r.out.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toEqual([
      { type: 'learned', action: 2, flowType: 'tcp4', srcIp: '192.0.2.7', srcPort: 40001, dstIp: '10.0.0.1', dstPort: 80, rule: 'flow-type tcp4 src-ip 192.0.2.7 dst-ip 10.0.0.1 src-port 40001 dst-port 80 action 2' },
      { type: 'learned', action: 2, flowType: 'tcp4', srcIp: '192.0.2.7', srcPort: 40002, dstIp: '10.0.0.1', dstPort: 80, rule: 'flow-type tcp4 src-ip 192.0.2.7 dst-ip 10.0.0.1 src-port 40002 dst-port 80 action 2' },
      { type: 'learned', action: 3, flowType: 'tcp4', srcIp: '192.0.2.7', srcPort: 40003, dstIp: '10.0.0.1', dstPort: 81, rule: 'flow-type tcp4 src-ip 192.0.2.7 dst-ip 10.0.0.1 src-port 40003 dst-port 81 action 3' },
    ]);
    // read: the queue is empty now
    expect((await cli('flow', 'events', '--json')).out).toBe('');
  });

  it('prints text lines and a summary on stderr without --json; --refusals turns refusal records on', async () => {
    syns(80, [40010]);
    const r = await cli('flow', 'events', '--refusals');
    expect(r.code, r.err).toBe(0);
    expect(r.out).toBe('learned             flow-type tcp4 src-ip 192.0.2.7 dst-ip 10.0.0.1 src-port 40010 dst-port 80 action 2\n');
    expect(r.err).toMatch(/refusal records turned on/);
    expect(r.err).toMatch(/1 event; the queue holds 513 records, 0 waiting; since reset 0 lost to a full queue, 0 refusals not written/);
    const control = JSON.parse((await cli('regs', 'read', 'flow.EVENT_CONTROL', '--json')).out);
    expect(control.value, 'ENABLE and REFUSALS').toBe(3);
  });

  it('--follow prints records as they come until stopped, and stopping turns nothing off', async () => {
    expect((await cli('flow', 'events')).code, 'the queue on (this test may run alone)').toBe(0);
    const stopFollow = new AbortController();
    const f = io({ signal: stopFollow.signal });
    const following = run(['--socket', SOCKET, 'flow', 'events', '--follow', '--json', '--interval', '5'], f);
    const until = async (what: string, ok: () => boolean) => {
      const start = Date.now();
      while (!ok()) {
        if (Date.now() - start > 10_000) throw new Error(`timed out waiting for ${what}: ${f.output.err}`);
        await new Promise((r) => setTimeout(r, 5));
      }
    };
    // records written before or after its first read: it prints them either way
    syns(80, [40020]);
    await until('the first record', () => f.output.out.includes('"srcPort":40020'));
    syns(81, [40021, 40022]);
    await until('two more', () => f.output.out.trim().split('\n').length === 3);
    stopFollow.abort();
    expect(await following).toBe(0);
    expect(f.output.out.trim().split('\n').map((l) => JSON.parse(l).srcPort)).toEqual([40020, 40021, 40022]);
    const control = JSON.parse((await cli('regs', 'read', 'flow.EVENT_CONTROL', '--json')).out);
    expect(control.value & 1, 'EVENT_CONTROL.ENABLE still set').toBe(1);
  });

  it('help: the primary is the one reader in a cluster, and what an overflow means', async () => {
    const i = io();
    await run(['flow', 'events', '--help'], i);
    const help = i.output.out + i.output.err;
    expect(help).toMatch(/When a cluster runs, the\s+primary[^]*is the queue's reader/);
    expect(help).toMatch(/A second reader[^]*splits the\s+records/);
    expect(help).toMatch(/Overflow: the queue holds EVENT_DEPTH records[^]*learned and aged records are lost/);
    expect(help).toContain('sipnic flow events --follow --json');
  });
});
