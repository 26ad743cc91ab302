// The cluster adapter without namespaces: the real Verilated model and the real sockets (register
// bus, frame port), with the TAPs replaced by in-memory stand-ins behind the same interface
// (openTap/pollTaps are injected), so the steering, claims, watchers and counters run as
// non-root. The end-to-end run with real TAPs and TCP stacks is test/cluster.test.ts.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSim } from '../sim/addon.js';
import { ClusterAdapter } from '../host/src/cluster/adapter.js';
import { encodeMessage, FramePortClient, FramePortError, MessageReader } from '../host/src/cluster/frame-port-socket.js';
import type { FrameEvent } from '../host/src/cluster/frame-port.js';
import { SocketBus } from '../host/src/bus/socket-bus.js';
import { Adapter } from '../host/src/driver/index.js';
import { BusError } from '../host/src/bus/bus.js';
import { run } from '../host/src/cli/program.js';
import type { CliIO } from '../host/src/cli/context.js';
import { parseRules, parseRuleWords, type FlowRule, type ListenRule } from '../host/src/codec/rules.js';
import type { Tap, TapPollResult } from '../host/native/tap.js';
import { buildFrame } from './support/framegen.js';

/** TAPs in memory: frames the test puts in `inbox` are "read", frames the adapter writes land in `written`. */
class FakeTaps {
  readonly taps: (Tap & { inbox: Uint8Array[]; written: Uint8Array[] })[] = [];
  private wake?: () => void;

  open = (name: string): Tap => {
    const fd = 100 + this.taps.length;
    const tap = {
      fd,
      name: name.replace('%d', String(this.taps.length)),
      inbox: [] as Uint8Array[],
      written: [] as Uint8Array[],
      write(data: Uint8Array, lengths: Uint32Array) {
        let at = 0;
        for (const n of lengths) {
          tap.written.push(data.slice(at, at + n));
          at += n;
        }
        return { written: lengths.length, errors: 0, errno: 0 };
      },
      close() {},
    };
    this.taps.push(tap);
    return tap;
  };

  poll = async (fds: Int32Array, timeoutMs: number): Promise<TapPollResult> => {
    if (!this.taps.some((t) => t.inbox.length)) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, timeoutMs);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    const index: number[] = [];
    const frames: Uint8Array[] = [];
    fds.forEach((fd, k) => {
      const tap = this.taps.find((t) => t.fd === fd);
      for (const f of tap?.inbox.splice(0) ?? []) {
        index.push(k);
        frames.push(f);
      }
    });
    const lengths = Uint32Array.from(frames, (f) => f.length);
    const data = new Uint8Array(lengths.reduce((a, b) => a + b, 0));
    let at = 0;
    for (const f of frames) {
      data.set(f, at);
      at += f.length;
    }
    return { index: Uint16Array.from(index), lengths, data, errors: new Int32Array(fds.length) };
  };

  /** Frame into TAP k (0 = wire, p = processor p) as if its kernel sent it. */
  put(k: number, frame: Uint8Array): void {
    this.taps[k].inbox.push(frame);
    this.wake?.();
  }
}

const until = async (what: string, check: () => boolean, ms = 5000) => {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
};

/** The sipnic CLI in this process against the adapter's bus socket, output captured. */
async function sipnic(busPath: string, ...args: string[]) {
  const out = { out: '', err: '' };
  const io: CliIO = { stdout: (t) => void (out.out += t), stderr: (t) => void (out.err += t), stderrIsTTY: false, env: {} };
  const code = await run(['--socket', busPath, ...args], io);
  return { code, ...out, json: () => JSON.parse(out.out) };
}

const SYN = 0x02;
const ACK = 0x10;
const flow = (srcPort: number, dstPort: number) => ({ family: 4 as const, proto: 'tcp' as const, src: '192.0.2.7', dst: '10.0.0.1', srcPort, dstPort });

describe('cluster adapter (in-memory TAPs, real model and sockets)', () => {
  const taps = new FakeTaps();
  let adapter: ClusterAdapter;
  let dir = '';
  let bus = '';
  let port = '';

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sipnic-adapter-'));
    bus = join(dir, 'bus.sock');
    port = join(dir, 'frames.sock');
    adapter = await ClusterAdapter.start({
      processors: 3,
      busPath: bus,
      framePortPath: port,
      readyFile: join(dir, 'adapter.json'),
      createSim,
      openTap: taps.open,
      pollTaps: taps.poll,
    });
    const b = await SocketBus.connect(bus);
    const a = await Adapter.open(b);
    await a.listens.add(parseRuleWords('tcp4 dst-ip 10.0.0.1 dst-port 80 action 2'.split(' '), 'listen') as ListenRule);
    await a.flows.insert(parseRuleWords('flow-type tcp4 src-ip 192.0.2.7 dst-ip 10.0.0.1 src-port 5000 dst-port 80 action 3'.split(' '), 'flow') as FlowRule);
    await b.close();
  });

  afterAll(async () => {
    await adapter.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes a ready file naming the TAPs', () => {
    const ready = JSON.parse(readFileSync(join(dir, 'adapter.json'), 'utf8'));
    expect(ready.taps).toEqual({ wire: 'sn0', processors: ['sn1', 'sn2', 'sn3'] });
    expect(ready.queues).toBe(8);
  });

  it('steers wire frames: listen rule → processor 2, exact rule → processor 3, counted as fast path', async () => {
    const syn = buildFrame(flow(4000, 80), { flags: SYN });
    const data = buildFrame(flow(5000, 80), { flags: ACK, payload: 100 });
    taps.put(0, syn);
    taps.put(0, data);
    await until('both frames', () => taps.taps[2].written.length === 1 && taps.taps[3].written.length === 1);
    expect(taps.taps[2].written[0]).toEqual(syn);
    expect(taps.taps[3].written[0]).toEqual(data);
    const s = adapter.stats();
    expect(s.processors.map((p) => p.fastPath)).toEqual([0, 1, 1]);
    expect(s.fastPath).toBe(2);
    expect(s.wire.received).toBe(2);
    expect(s.table.flows).toBe(1);
  });

  it('queue 0 goes to its claimant; with none it is dropped and counted; one claimant at a time', async () => {
    const miss = buildFrame(flow(4001, 81), { flags: ACK });
    const before = adapter.stats().unclaimedDrops;
    taps.put(0, miss);
    await until('the unclaimed drop', () => adapter.stats().unclaimedDrops === before + 1);

    const primary = await FramePortClient.connect(port, 'primary');
    expect(primary.hello).toMatchObject({ server: 'sipnic-frame-port', version: 1, processors: 3, queues: 8 });
    const events: FrameEvent[] = [];
    primary.onFrame((e) => events.push(e));
    await primary.claimQueue(0);
    const other = await FramePortClient.connect(port, 'other');
    await expect(other.claimQueue(0)).rejects.toThrow(/already claimed by primary/);
    taps.put(0, miss);
    await until('the frame at the primary', () => events.length === 1);
    expect(events[0]).toMatchObject({ source: 'queue', queue: 0 });
    expect((events[0] as { frame: Uint8Array }).frame).toEqual(miss);
    // the claim ends with the connection
    await primary.close();
    await until('the claim released', () => Object.keys(adapter.stats().claims).length === 0);
    await other.claimQueue(0);
    await other.close();
  });

  it('deliver → a processor (via primary), transmit → the wire; processors’ frames → the wire', async () => {
    const c = await FramePortClient.connect(port, 'primary');
    const f = buildFrame(flow(4002, 80), { flags: ACK, payload: 10 });
    const w0 = taps.taps[0].written.length;
    await c.deliver(1, f);
    await c.transmit(f);
    expect(taps.taps[1].written.at(-1)).toEqual(f);
    expect(taps.taps[0].written.length).toBe(w0 + 1);
    const s = adapter.stats();
    expect(s.processors[0].viaPrimary).toBe(1);
    expect(s.viaPrimary).toBe(1);
    expect(s.wire.fromPrimary).toBe(1);
    await expect(c.deliver(4, f)).rejects.toThrow(FramePortError);
    await expect(c.deliver(4, f)).rejects.toThrow(/processor 4 does not exist/);

    const out = buildFrame({ ...flow(80, 4002), src: '10.0.0.1', dst: '192.0.2.7' }, { flags: ACK });
    taps.put(2, out);
    await until('the frame on the wire', () => taps.taps[0].written.length === w0 + 2);
    expect(taps.taps[0].written.at(-1)).toEqual(out);
    expect(adapter.stats().processors[1].transmitted).toBe(1);
    await c.close();
  });

  it('watchers get copies of connection requests (steered and delivered) and of connection opens', async () => {
    const m = await FramePortClient.connect(port, 'monitor 2');
    const events: FrameEvent[] = [];
    m.onFrame((e) => events.push(e));
    await m.watchConnectionRequests(2);
    await m.watchConnectionOpens(2);
    const syn = buildFrame(flow(4003, 80), { flags: SYN });
    const ack = buildFrame(flow(5000, 80), { flags: ACK }); // exact rule → 3: no copy
    taps.put(0, syn);
    taps.put(0, ack);
    const open = buildFrame({ ...flow(443, 40000), src: '10.0.0.1', dst: '192.0.2.9' }, { flags: SYN });
    const synAck = buildFrame({ ...flow(80, 4003), src: '10.0.0.1', dst: '192.0.2.7' }, { flags: SYN | ACK });
    taps.put(2, synAck);
    taps.put(2, open);
    const p = await FramePortClient.connect(port, 'primary');
    const delivered = buildFrame(flow(4004, 8080), { flags: SYN });
    await p.deliver(2, delivered);
    await until('three copies', () => events.length === 3);
    expect(events.map((e) => e.source).sort()).toEqual(['connection-open', 'connection-request', 'connection-request']);
    expect(events.find((e) => e.source === 'connection-open')).toMatchObject({ processor: 2, frame: open });
    expect(events.filter((e) => e.source === 'connection-request').map((e) => e.frame)).toEqual(expect.arrayContaining([syn, delivered]));
    await m.close();
    await p.close();
  });

  it('serves the register bus to a second connection while one stays open (the primary holds its own)', async () => {
    const held = await SocketBus.connect(bus);
    const second = await SocketBus.connect(bus);
    const a = await Adapter.open(second);
    expect(await a.flows.count()).toBe(1);
    expect((await a.listens.list()).map((e) => e.rule.dstPort)).toEqual([80]);
    await second.close();
    await held.close();
  });

  it("the table's register bus has one owner: others read, their changes are refused; ownership ends with the connection", async () => {
    const owner = await SocketBus.connect(bus);
    await owner.own('primary (pid 4242)');
    const mine = await Adapter.open(owner);
    const ownerRule = parseRuleWords('flow-type tcp4 src-ip 192.0.2.7 dst-ip 10.0.0.1 src-port 5001 dst-port 80 action 1'.split(' '), 'flow') as FlowRule;
    await mine.flows.insert(ownerRule);
    expect(await mine.flows.count()).toBe(2);
    const defaultBefore = await mine.getDefault();

    // one owner at a time
    const other = await SocketBus.connect(bus);
    const second = other.own('primary (pid 4343)');
    await expect(second).rejects.toBeInstanceOf(BusError);
    await expect(second).rejects.toMatchObject({ code: 'EBUSY', message: expect.stringMatching(/already owned by primary \(pid 4242\)/) });

    // a non-owner's change is refused whole, the table unchanged
    const add = await sipnic(bus, '--json', 'flow', 'add', 'flow-type', 'tcp4', 'src-ip', '192.0.2.7', 'dst-ip', '10.0.0.1', 'src-port', '5002', 'dst-port', '80', 'action', '2');
    expect(add.code).toBe(1);
    expect(add.json().error.code).toBe('EBUSY');
    expect(add.err).toMatch(/the adapter's table belongs to the primary \(primary \(pid 4242\)\); change it through the primary/);
    expect(add.err).toMatch(/flow\.COMMAND/);
    expect(await mine.flows.count()).toBe(2);
    expect((await mine.flows.list()).map((e) => e.rule.srcPort).sort()).toEqual([5000, 5001]);
    for (const words of ['listen add tcp4 dst-ip 10.0.0.1 dst-port 81 action 1', 'flow clear', 'flow del tcp4 src-ip 192.0.2.7 dst-ip 10.0.0.1 src-port 5000 dst-port 80', 'default set action 1', 'stats --clear']) {
      const r = await sipnic(bus, '--json', ...words.split(' '));
      expect(r.code, words).toBe(1);
      expect(r.json().error.code, words).toBe('EBUSY');
    }
    expect(await mine.flows.count()).toBe(2);
    expect((await mine.listens.list()).map((e) => e.rule.dstPort)).toEqual([80]);
    expect(await mine.getDefault()).toBe(defaultBefore);
    // raw: a register write outside the staging registers, and a batch that would write one after reads
    const scratch = mine.reg('core', 'SCRATCH');
    await expect(other.write(scratch, 7)).rejects.toMatchObject({ code: 'EBUSY', message: expect.stringMatching(/core\.SCRATCH/) });
    const listenCmd = mine.reg('listen', 'COMMAND');
    await expect(other.batch(Uint32Array.of(0, scratch, 0, 1, mine.reg('listen', 'SLOT'), 0, 1, listenCmd, 1))).rejects.toMatchObject({ code: 'EBUSY' });
    expect(await other.read(scratch)).not.toBe(7);

    // reads and read-only table commands work beside the owner and see its entries
    const list = await sipnic(bus, '--json', 'flow', 'list');
    expect(list.code, list.err).toBe(0);
    expect(list.json().flows.map((f: { srcPort: number }) => f.srcPort).sort()).toEqual([5000, 5001]);
    const lookup = await sipnic(bus, '--json', 'flow', 'lookup', 'tcp4', 'src-ip', '192.0.2.7', 'dst-ip', '10.0.0.1', 'src-port', '5001', 'dst-port', '80');
    expect(lookup.code, lookup.err).toBe(0);
    expect(lookup.json()).toMatchObject({ found: true, action: 1 });
    const listens = await sipnic(bus, '--json', 'listen', 'list');
    expect(listens.code, listens.err).toBe(0);
    expect(listens.out).toContain('80');
    const stats = await sipnic(bus, 'stats');
    expect(stats.code, stats.err).toBe(0);
    expect((await (await Adapter.open(other)).flows.lookup(ownerRule))?.action).toBe(1);

    // the owner's connection closes: ownership ends, another may take it and change the table
    await owner.close();
    const end = Date.now() + 5000;
    for (;;) {
      try {
        await other.own('primary (pid 4343)');
        break;
      } catch (err) {
        if ((err as BusError).code !== 'EBUSY' || Date.now() > end) throw err;
        await new Promise((r) => setTimeout(r, 5));
      }
    }
    const theirs = await Adapter.open(other);
    await theirs.flows.delete(ownerRule);
    expect(await theirs.flows.count()).toBe(1);
    // and now the first primary's successor is the one refused
    const third = await SocketBus.connect(bus);
    await expect(third.own('primary (pid 4444)')).rejects.toMatchObject({ code: 'EBUSY', message: expect.stringMatching(/pid 4343/) });
    await third.close();
    await other.close();
  });

  it('`sipnic primary` takes the bus on start: a second primary is refused, others read but cannot change the table', async () => {
    const secrets = join(dir, 'secrets');
    writeFileSync(secrets, '1 s1\n2 s2\n3 s3\n', { mode: 0o600 });
    const args = (control: string) => ['--socket', bus, 'primary', '--frames', port, '--ip', '10.0.0.1', '--mac', '02:00:00:00:00:01', '--processors', '3', '--secrets', secrets, '--control', `unix:${join(dir, control)}`];
    const stop = new AbortController();
    const out = { out: '', err: '' };
    const io: CliIO = { stdout: (t) => void (out.out += t), stderr: (t) => void (out.err += t), stderrIsTTY: false, env: {}, signal: stop.signal };
    let exited: number | undefined;
    const done = run(args('primary.sock'), io).then((c) => (exited = c));
    await until('the primary serving', () => /serving/.test(out.out) || exited !== undefined, 10_000);
    expect(exited, out.err).toBeUndefined();
    try {
      const second = await sipnic(bus, ...args('primary2.sock').slice(2));
      expect(second.code).toBe(1);
      expect(second.err).toMatch(/already owned by primary \(pid \d+\)/);
      const add = await sipnic(bus, 'listen', 'add', 'tcp4', 'dst-ip', '10.0.0.1', 'dst-port', '82', 'action', '1');
      expect(add.code).toBe(1);
      expect(add.err).toMatch(/belongs to the primary \(primary \(pid \d+\)\); change it through the primary/);
      const list = await sipnic(bus, '--json', 'flow', 'list');
      expect(list.code, list.err).toBe(0);
      expect(list.json().count).toBe(1);
    } finally {
      stop.abort();
      await done;
    }
    // its connection closed with it: the bus is free again
    const next = await SocketBus.connect(bus);
    for (const end = Date.now() + 5000; ; ) {
      try {
        await next.own('test');
        break;
      } catch (err) {
        if ((err as BusError).code !== 'EBUSY' || Date.now() > end) throw err;
        await new Promise((r) => setTimeout(r, 5));
      }
    }
    await next.close();
  });

  it('frame port framing: split messages reassemble, bad lengths are refused', () => {
    const r = new MessageReader();
    const m = encodeMessage(0x05, 7, Uint8Array.of(0, 1), new Uint8Array(60).fill(9));
    expect(r.push(m.subarray(0, 3))).toEqual([]);
    expect(r.push(m.subarray(3, 20))).toEqual([]);
    const got = r.push(Buffer.concat([m.subarray(20), m]));
    expect(got).toHaveLength(2);
    expect(got[0]).toMatchObject({ type: 5, id: 7 });
    expect(got[1].body.length).toBe(62);
    const bad = Buffer.alloc(9);
    bad.writeUInt32BE(2, 0);
    expect(() => new MessageReader().push(bad)).toThrow(/frame port message of 2 bytes/);
  });
});

describe('cluster adapter aging (its clock follows real time)', () => {
  const taps = new FakeTaps();
  let adapter: ClusterAdapter;
  let dir = '';

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sipnic-adapter-aging-'));
    adapter = await ClusterAdapter.start({ processors: 1, busPath: join(dir, 'bus.sock'), framePortPath: join(dir, 'frames.sock'), createSim, openTap: taps.open, pollTaps: taps.poll });
  });

  afterAll(async () => {
    await adapter.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs no aging pass while no entry can age; a learned entry ages out in real time', async () => {
    // nothing learned, no host aging class: idle loop iterations (100 ms poll timeouts) and no pass
    const idle = adapter.stats().loop.iterations;
    await until('three idle loop iterations', () => adapter.stats().loop.iterations >= idle + 3);
    expect(adapter.stats().loop.agingPasses).toBe(0);

    const b = await SocketBus.connect(join(dir, 'bus.sock'));
    const a = await Adapter.open(b);
    await a.applyRules(parseRules('learning syn-timeout 0.3\nlisten tcp4 dst-ip 10.0.0.1 dst-port 80 action 1 learn\n'));
    const sentAt = Date.now();
    taps.put(0, buildFrame(flow(4000, 80), { flags: SYN }));
    await until('the learned entry', () => adapter.stats().table.flows === 1);
    const [entry] = (await a.flows.list()).filter((e) => e.meta?.origin === 'learned');
    expect(entry?.meta?.state).toBe('embryonic');
    await until('the entry aged out', () => adapter.stats().table.flows === 0, 10_000);
    // syn-timeout 0.3 s from the SYN (its only hit; stamped in whole ms), and passes ran for it
    expect(Date.now() - sentAt).toBeGreaterThanOrEqual(300 - 2);
    expect(adapter.stats().loop.agingPasses).toBeGreaterThan(0);
    await b.close();
  });

  it('a burst of connection requests read in one poll is learned whole: none refused busy', async () => {
    const b = await SocketBus.connect(join(dir, 'bus.sock'));
    const a = await Adapter.open(b);
    await a.applyRules(parseRules('learning syn-timeout 30\nlisten tcp4 dst-ip 10.0.0.1 dst-port 8080 action 1 learn\n'));
    const before = (await a.learningCounters())!;
    const delivered = taps.taps[1].written.length;
    // 64 SYNs: the adapter's model gets them back to back, faster than the engine learns
    for (let i = 0; i < 64; i++) taps.put(0, buildFrame(flow(20_000 + i, 8080), { flags: SYN }));
    await until('the burst steered', () => taps.taps[1].written.length === delivered + 64);
    const after = (await a.learningCounters())!;
    expect(after.learned - before.learned).toBe(64);
    expect(after.refused.busy - before.refused.busy).toBe(0);
    await b.close();
  });

  it('a connection a processor opens is learned from its SYN (transmit side): the reply comes straight back to it', async () => {
    const b = await SocketBus.connect(join(dir, 'bus.sock'));
    const a = await Adapter.open(b);
    const learned = (await a.learningCounters())!.learned;
    // processor 1 opens 10.0.0.1:40000 → 192.0.2.9:443 (10.0.0.1 is a cluster address: the listen rules' address)
    const out = { family: 4 as const, proto: 'tcp' as const, src: '10.0.0.1', dst: '192.0.2.9', srcPort: 40000, dstPort: 443 };
    const wired = taps.taps[0].written.length;
    taps.put(1, buildFrame(out, { flags: SYN }));
    await until('the SYN on the wire', () => taps.taps[0].written.length === wired + 1);
    expect((await a.learningCounters())!.learned).toBe(learned + 1);
    const entry = (await a.flows.list()).find((e) => e.rule.srcPort === 443 && e.rule.dstPort === 40000);
    expect(entry).toMatchObject({ rule: { action: 1 }, meta: { origin: 'learned', state: 'embryonic' } });
    // the SYN-ACK from the wire: by the learned entry, to processor 1 (not queue 0: nobody claims it here)
    const delivered = taps.taps[1].written.length;
    const unclaimed = adapter.stats().unclaimedDrops;
    taps.put(0, buildFrame({ ...out, src: out.dst, dst: out.src, srcPort: 443, dstPort: 40000 }, { flags: SYN | ACK }));
    await until('the SYN-ACK at processor 1', () => taps.taps[1].written.length === delivered + 1);
    expect(adapter.stats().unclaimedDrops).toBe(unclaimed);
    await b.close();
  });
});
