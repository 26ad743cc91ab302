// The primary follows the adapter's learned entries through the event queue (hardware pinning,
// flow FEATURES.EVENTS): in-process, the Verilated model through SimBus, the control protocol
// over a Unix socket, a clock the test moves for heartbeats and the model's own clock moved by
// SimTimeline for aging. Every wait is on a condition (the primary reads the queue on its
// heartbeat tick).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createSim, type Sim } from '../sim/addon.js';
import { BusError } from '../host/src/bus/bus.js';
import { SimBus } from '../host/src/bus/sim-bus.js';
import { Adapter } from '../host/src/driver/index.js';
import { formatIp, parseIp } from '../host/src/codec/ip.js';
import { ControlClient, wireFlowKey, type ControlAddress } from '../host/src/cluster/control-protocol.js';
import { FALLBACK_IDLE_MS, Primary } from '../host/src/cluster/primary.js';
import { SimTimeline } from '../host/src/sim/timeline.js';
import { buildFrame } from './support/framegen.js';
import { NullFramePort } from './support/null-frame-port.js';
import { until } from './support/until.js';

const DIR = mkdtempSync(join(tmpdir(), 'sipnic-primary-events-'));
afterAll(() => rmSync(DIR, { recursive: true, force: true }));

const CLUSTER_IP = '10.0.0.1';
const SECRETS = new Map([
  [1, 'one-secret'],
  [2, 'two-secret'],
]);
const SYN = 0x02;
const ACK = 0x10;
const SYN_TIMEOUT_MS = 1000;

interface Rig {
  sim: Sim;
  primary: Primary;
  timeline: SimTimeline;
  clock: { t: number };
  logs: string[];
  hello(processor: number): Promise<ControlClient>;
  /** SYNs from the client to a port of the cluster address, at the model's time now; their queues. */
  syns(port: number, srcPorts: number[]): number[];
  /** The learned entries of the table as a fresh driver walks it: key → action. */
  tableLearned(): Promise<Map<string, number>>;
  /** Host entries of the table that age (fallback pins), as a fresh driver walks it. */
  tablePins(): Promise<number>;
  /** The primary's learned map: key → owner. */
  registryLearned(): Map<string, number>;
  close(): Promise<void>;
}

const rigs: Rig[] = [];
afterEach(async () => {
  for (const r of rigs.splice(0)) await r.close();
});

let sockets = 0;

/** A SimBus whose next batch that reads EVENT_DATA runs and then fails, as a line that dies with the answer on it. */
class LosingBus extends SimBus {
  loseNext = false;
  eventData = -1;
  override async batch(ops: Uint32Array) {
    const r = await super.batch(ops);
    if (this.loseNext && ops.some((w, i) => i % 3 === 1 && w === this.eventData)) {
      this.loseNext = false;
      throw new BusError('EREMOTE', 'the answer was lost (test)');
    }
    return r;
  }
}

async function makeRig(o: { bus?: (sim: Sim) => SimBus; fallbackQuota?: number } = {}): Promise<Rig> {
  const sim = createSim({ width: 64 });
  const adapter = await Adapter.open(o.bus ? o.bus(sim) : new SimBus(sim));
  expect(adapter.info.events, 'the model has the event queue').toBe(true);
  await adapter.setDefault(0);
  const timeline = SimTimeline.forAdapter(sim, adapter);
  const clock = { t: 0 };
  const logs: string[] = [];
  const primary = new Primary({
    adapter,
    framePort: new NullFramePort(),
    identity: { mac: Uint8Array.of(2, 0, 0, 0, 0, 1), ips: [{ family: 4, bytes: parseIp(CLUSTER_IP).bytes }] },
    processors: 2,
    secrets: SECRETS,
    heartbeatTimeoutMs: 300,
    pinning: 'hardware',
    ...(o.fallbackQuota ? { fallbackQuota: o.fallbackQuota } : {}),
    learning: { kind: 'learning', synTimeoutMs: SYN_TIMEOUT_MS, idleTimeoutMs: 300_000, finTimeoutMs: 2000, maxEmbryonic: 4000 },
    now: () => clock.t,
    log: (l) => logs.push(l),
  });
  await primary.start();
  const control: ControlAddress = { kind: 'unix', path: join(DIR, `primary-${sockets++}.sock`) };
  await primary.listen(control);
  const clients: ControlClient[] = [];
  const rig: Rig = {
    sim,
    primary,
    timeline,
    clock,
    logs,
    async hello(processor) {
      const c = await ControlClient.connect(control);
      clients.push(c);
      await c.request({ op: 'hello', processor, secret: SECRETS.get(processor)! });
      return c;
    },
    syns(port, srcPorts) {
      const frames = srcPorts.map((p) => buildFrame({ family: 4, proto: 'tcp', src: '192.0.2.7', dst: CLUSTER_IP, srcPort: p, dstPort: port }, { flags: SYN }));
      // 30 µs apart: each learn is visible before the next SYN (never refused busy)
      let t = timeline.nowUs;
      for (const f of frames) timeline.send(f, (t += 30));
      timeline.advanceTo(t + 200);
      return Array.from(sim.collect().queues);
    },
    async tableLearned() {
      const a = await Adapter.open(new SimBus(sim));
      return new Map((await a.flows.list()).filter((e) => e.meta?.origin === 'learned').map((e) => [wireFlowKey({ family: 4, proto: e.rule.proto, srcIp: formatIp(e.rule.srcIp, 4), srcPort: e.rule.srcPort, dstIp: formatIp(e.rule.dstIp, 4), dstPort: e.rule.dstPort }), e.action]));
    },
    async tablePins() {
      const a = await Adapter.open(new SimBus(sim));
      return (await a.flows.list()).filter((e) => e.meta?.origin === 'host' && e.meta.agingClass !== 0).length;
    },
    registryLearned() {
      return new Map([...primary.registry.learned].map(([k, v]) => [k, v.owner]));
    },
    async close() {
      for (const c of clients) await c.close().catch(() => {});
      await primary.close();
      sim.close();
    },
  };
  rigs.push(rig);
  return rig;
}

const key = (srcPort: number, dstPort: number) => wireFlowKey({ family: 4, proto: 'tcp', srcIp: '192.0.2.7', srcPort, dstIp: CLUSTER_IP, dstPort });

describe('the primary follows the adapter through its event queue', () => {
  it('a learned connection appears in the learned map (not in flows), ages out of it, and a lost processor\'s entries leave the table', async () => {
    const rig = await makeRig();
    const { primary } = rig;
    expect(primary.followsEvents).toBe(true);
    const c1 = await rig.hello(1);
    const c2 = await rig.hello(2);
    await c1.request({ op: 'listen', proto: 'tcp', port: 8080 });
    await c2.request({ op: 'listen', proto: 'tcp', port: 9090 });

    expect(rig.syns(8080, [40001, 40002])).toEqual([1, 1]);
    expect(rig.syns(9090, [40003])).toEqual([2]);
    await until('the three learned entries in the registry', () => primary.registry.learned.size === 3);
    expect(rig.registryLearned()).toEqual(new Map([[key(40001, 8080), 1], [key(40002, 8080), 1], [key(40003, 9090), 2]]));
    expect(primary.registry.learned.get(key(40001, 8080))?.state).toBe('embryonic');
    expect(primary.registry.flows.size, 'learned entries are not flows (no quota)').toBe(0);
    expect(rig.registryLearned()).toEqual(await rig.tableLearned());
    const stats = primary.stats() as { learned: number; events: { read: number; resyncs: number }; processors: { processor: number; learned: number; flows: number }[] };
    expect(stats.learned).toBe(3);
    expect(stats.events).toMatchObject({ read: 3, resyncs: 0 });
    expect(stats.processors.map((p) => [p.processor, p.learned, p.flows])).toEqual([[1, 2, 0], [2, 1, 0]]);

    // aged: the model's clock past syn-timeout (an embryonic entry's timeout)
    rig.syns(8080, [40004]);
    await until('the fourth learned entry', () => primary.registry.learned.has(key(40004, 8080)));
    rig.timeline.advanceTo(rig.timeline.nowUs + (SYN_TIMEOUT_MS * 1.01 + 20) * 1000);
    await until('every entry aged out of the registry', () => primary.registry.learned.size === 0);
    expect((await rig.tableLearned()).size).toBe(0);
    expect(primary.counters.eventsRead).toBe(8);

    // processor 1 goes silent, processor 2 keeps its heartbeat
    rig.syns(8080, [40005, 40006]);
    rig.syns(9090, [40007]);
    await until('three learned again', () => primary.registry.learned.size === 3);
    rig.clock.t = 250;
    await c2.request({ op: 'heartbeat' });
    rig.clock.t = 400;
    await until('processor 1 lost', () => !primary.registry.processor(1).alive);
    await until('processor 1\'s learned entries gone from the registry', () => primary.registry.learnedCount(1) === 0);
    // ...and from the table: they steered to a dead queue
    expect(await rig.tableLearned()).toEqual(new Map([[key(40007, 9090), 2]]));
    expect(rig.registryLearned()).toEqual(new Map([[key(40007, 9090), 2]]));
    expect(rig.logs.some((l) => /processor 1 lost .*: removed 0 flows, 2 learned entries/.test(l)), rig.logs.join('\n')).toBe(true);
    expect((primary.stats() as { pending: { learnedOfLostProcessors: number } }).pending.learnedOfLostProcessors).toBe(0);
  });

  it('records lost to a full queue: the primary walks the table again, and its map equals the table', async () => {
    const rig = await makeRig();
    const { primary } = rig;
    const c1 = await rig.hello(1);
    await c1.request({ op: 'listen', proto: 'tcp', port: 8080 });
    // more SYNs than the queue holds, all in one turn of the event loop: the primary reads none in between
    const ports = Array.from({ length: 600 }, (_, i) => 20000 + i);
    expect(new Set(rig.syns(8080, ports))).toEqual(new Set([1]));
    await until('a resync', () => primary.counters.eventResyncs >= 1);
    await until('600 learned entries', () => primary.registry.learned.size === 600);
    expect(rig.registryLearned()).toEqual(await rig.tableLearned());
    expect(rig.logs.some((l) => /events: the adapter's event queue was full and records were lost: walked the table again \(600 learned entries/.test(l)), rig.logs.join('\n')).toBe(true);
    // following on after the resync
    rig.syns(8080, [30001, 30002]);
    await until('602 learned entries', () => primary.registry.learned.size === 602);
    expect(rig.registryLearned()).toEqual(await rig.tableLearned());
    expect(primary.counters.eventResyncs).toBe(1);
  });

  it('a read that fails with its records on the line: the next tick restarts the queue and walks the table', async () => {
    let bus!: LosingBus;
    const rig = await makeRig({ bus: (sim) => (bus = new LosingBus(sim)) });
    const { primary } = rig;
    bus.eventData = (await Adapter.open(new SimBus(rig.sim))).reg('flow', 'EVENT_DATA');
    const c1 = await rig.hello(1);
    await c1.request({ op: 'listen', proto: 'tcp', port: 8080 });
    bus.loseNext = true;
    rig.syns(8080, [50001, 50002, 50003]);
    await until('the failed read', () => primary.counters.eventErrors === 1);
    await until('a resync', () => primary.counters.eventResyncs === 1);
    await until('the three learned entries', () => primary.registry.learned.size === 3);
    expect(rig.registryLearned()).toEqual(await rig.tableLearned());
    expect(rig.logs.some((l) => /events: a read of it failed: walked the table again \(3 learned entries/.test(l)), rig.logs.join('\n')).toBe(true);
    rig.syns(8080, [50004]);
    await until('the fourth, from its record', () => primary.registry.learned.size === 4);
    expect(rig.registryLearned()).toEqual(await rig.tableLearned());
  });
});

describe('fallback pins are held to a quota while the primary follows the event queue', () => {
  it('a blind ACK flood pins at most fallbackQuota connections; aged pins make room again', async () => {
    const QUOTA = 40;
    const rig = await makeRig({ fallbackQuota: QUOTA });
    const { primary } = rig;
    const c1 = await rig.hello(1);
    await c1.request({ op: 'listen', proto: 'tcp', port: 8080 });
    // ACKs of "connections" the adapter never learned (no SYN): each reaches queue 0, the slow
    // path delivers it to the port's owner and asks for a fallback pin
    const ack = (srcPort: number) => buildFrame({ family: 4, proto: 'tcp', src: '198.18.0.9', dst: CLUSTER_IP, srcPort, dstPort: 8080 }, { flags: ACK });
    for (let p = 0; p < 3 * QUOTA; p++) primary.frame(ack(10000 + p));
    await until('the pins in the table', async () => primary.counters.fallbackPins === QUOTA && (await rig.tablePins()) === QUOTA);
    expect(primary.counters.fallbackOverQuota).toBe(2 * QUOTA);
    expect(primary.counters.fallbackFailures).toBe(0);
    expect(primary.stats().fallbackPins).toEqual({ live: QUOTA, quota: QUOTA });
    expect(rig.logs.some((l) => l.includes(`fallback pins: ${QUOTA} in the table`)), rig.logs.join('\n')).toBe(true);
    // a frame of a pinned connection does not pin it again
    primary.frame(ack(10000));
    expect(primary.counters.fallbackOverQuota).toBe(2 * QUOTA);
    // the pins age (FALLBACK_IDLE_MS idle); their aged records bring the count down
    rig.timeline.advanceTo(rig.timeline.nowUs + (FALLBACK_IDLE_MS * 1.01 + 20) * 1000);
    await until('the pins aged out of the count', () => (primary.stats().fallbackPins as { live: number }).live === 0);
    expect(await rig.tablePins()).toBe(0);
    primary.frame(ack(20000));
    await until('a new pin', async () => primary.counters.fallbackPins === QUOTA + 1 && (await rig.tablePins()) === 1);
  });
});
