// The cluster adapter without namespaces: the real Verilated model and the real sockets (register
// bus, frame port), with the TAPs replaced by in-memory stand-ins behind the same interface
// (openTap/pollTaps are injected), so the steering, claims, watchers and counters run as
// non-root. The end-to-end run with real TAPs and TCP stacks is test/cluster.test.ts.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSim } from '../sim/addon.js';
import { ClusterAdapter } from '../host/src/cluster/adapter.js';
import { encodeMessage, FramePortClient, FramePortError, MessageReader } from '../host/src/cluster/frame-port-socket.js';
import type { FrameEvent } from '../host/src/cluster/frame-port.js';
import { SocketBus } from '../host/src/socket-bus.js';
import { Adapter } from '../host/src/driver.js';
import { parseRuleWords, type FlowRule, type ListenRule } from '../host/src/rules.js';
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
