// Issue 9 ("Hardening"): the primary's registry and the adapter's table never disagree about
// shared ports, even on an adapter with few queue groups (the board has 2); a processor cannot
// take another's ports or connections with its local port range; and a per-processor flow
// quota keeps one processor from filling the flow table. In-process: the Verilated RTL through
// SimBus (or the register-level stand-in for a small flow table), the control protocol over
// real Unix sockets, a clock the test moves for heartbeats.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createSim as realCreateSim, packFrames, type Sim, type SimOptions } from '../sim/addon.js';
import { BUS_OP, BusError } from '../host/src/bus/bus.js';
import { SimBus } from '../host/src/bus/sim-bus.js';
import { Adapter, TableFullError } from '../host/src/driver/index.js';
import type { ListenRule } from '../host/src/codec/rules.js';
import { parseIp } from '../host/src/codec/ip.js';
import { ControlClient, type ControlAddress } from '../host/src/cluster/control-protocol.js';
import { Primary, type PrimaryOptions } from '../host/src/cluster/primary.js';
import { buildFrame } from './support/framegen.js';
import { createFakeSim } from './support/fake-sim.js';
import { NullFramePort } from './support/null-frame-port.js';
import { until } from './support/until.js';

const createSim: (o: SimOptions) => Sim = process.env.SIPNIC_FAKE_SIM ? createFakeSim : realCreateSim;

const DIR = mkdtempSync(join(tmpdir(), 'sipnic-hardening-'));
afterAll(() => rmSync(DIR, { recursive: true, force: true }));

const CLUSTER_IP = '10.0.0.1';
const CLUSTER_IP6 = '2001:db8::1';
const CLIENT_IP = '192.0.2.7';
const SECRETS = new Map([
  [1, 'one-secret'],
  [2, 'two-secret'],
  [3, 'three-secret'],
]);
const SYN = 0x02;

/** A SimBus that reports `groups` queue groups in listen.GROUPS, as the board's RTL does (2). */
class FewGroupsBus extends SimBus {
  constructor(
    sim: Sim,
    private readonly groupsAddr: number,
    private readonly groups: number,
  ) {
    super(sim);
  }
  override async read(addr: number) {
    return addr === this.groupsAddr ? this.groups : super.read(addr);
  }
  override async batch(ops: Uint32Array) {
    const r = await super.batch(ops);
    for (let i = 0; i < ops.length / 3; i++) if (ops[3 * i] === BUS_OP.read && ops[3 * i + 1] === this.groupsAddr) r[i] = this.groups;
    return r;
  }
}

/** A FewGroupsBus that fails every access while `failing` is set (a serial link down, an adapter restarting). */
class FlakyBus extends FewGroupsBus {
  failing = false;
  private fail() {
    if (this.failing) throw new BusError('EREMOTE', 'the adapter is not answering (test)');
  }
  override async read(addr: number) {
    this.fail();
    return super.read(addr);
  }
  override async write(addr: number, value: number) {
    this.fail();
    return super.write(addr, value);
  }
  override async batch(ops: Uint32Array) {
    this.fail();
    return super.batch(ops);
  }
}

interface Rig {
  sim: Sim;
  bus: SimBus;
  adapter: Adapter;
  primary: Primary;
  /** The primary's clock (ms); heartbeats are judged by it. */
  clock: { t: number };
  logs: string[];
  control: ControlAddress;
  hello(processor: number, portRange?: [number, number]): Promise<ControlClient>;
  /** The table as a fresh driver reads it: `proto family/port=members`, sorted. */
  listens(): Promise<string[]>;
  /** The registry's view of the same: one line per cluster address, as the table should be. */
  registry(): string[];
  /** SYNs from many source ports to a port: the queues the RTL steered them to. */
  synQueues(port: number): number[];
  close(): Promise<void>;
}

const rigs: Rig[] = [];
afterEach(async () => {
  for (const r of rigs.splice(0)) await r.close();
});

let socketCount = 0;

async function makeRig(o: { groups?: number; sim?: Sim; extra?: Partial<PrimaryOptions> } = {}): Promise<Rig> {
  const sim = o.sim ?? createSim({ width: 64 });
  const probe = await Adapter.open(new SimBus(sim));
  const bus = o.groups === undefined ? new SimBus(sim) : new FlakyBus(sim, probe.reg('listen', 'GROUPS'), o.groups);
  const adapter = await Adapter.open(bus);
  await adapter.setDefault(0);
  const clock = { t: 0 };
  const logs: string[] = [];
  const primary = new Primary({
    adapter,
    framePort: new NullFramePort(),
    identity: { mac: Uint8Array.of(2, 0, 0, 0, 0, 1), ips: [{ family: 4, bytes: parseIp(CLUSTER_IP).bytes }, { family: 6, bytes: parseIp(CLUSTER_IP6).bytes }] },
    processors: 3,
    secrets: SECRETS,
    heartbeatTimeoutMs: 300,
    now: () => clock.t,
    log: (l) => logs.push(l),
    ...o.extra,
  });
  await primary.start();
  const control: ControlAddress = { kind: 'unix', path: join(DIR, `primary-${socketCount++}.sock`) };
  await primary.listen(control);
  const clients: ControlClient[] = [];
  const rig: Rig = {
    sim,
    bus,
    adapter,
    primary,
    clock,
    logs,
    control,
    async hello(processor, portRange) {
      const c = await ControlClient.connect(control);
      clients.push(c);
      await c.request({ op: 'hello', processor, secret: SECRETS.get(processor)!, ...(portRange ? { portRange } : {}) });
      return c;
    },
    async listens() {
      const a = await Adapter.open(new SimBus(sim));
      return (await a.listens.list()).map((e) => `${e.rule.proto}${e.rule.family}/${e.rule.dstPort}=${[e.rule.action].flat().join(',')}`).sort();
    },
    registry() {
      const st = primary.stats() as { listens: { proto: string; port: number; members: number[] }[] };
      return st.listens.flatMap((l) => [4, 6].map((f) => `${l.proto}${f}/${l.port}=${l.members.join(',')}`)).sort();
    },
    synQueues(port) {
      const frames = Array.from({ length: 64 }, (_, i) => buildFrame({ family: 4, proto: 'tcp', src: CLIENT_IP, dst: CLUSTER_IP, srcPort: 30000 + i, dstPort: port }, { flags: SYN }));
      const { data, lengths } = packFrames(frames);
      sim.send(data, lengths);
      sim.runUntilIdle(1_000_000);
      return Array.from(sim.collect().queues);
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

const wireFlow = (srcPort: number, dstPort: number) => ({ family: 4 as const, proto: 'tcp' as const, srcIp: CLIENT_IP, srcPort, dstIp: CLUSTER_IP, dstPort });

// ───────────────────────────── item 1: groups ─────────────────────────────

describe.skipIf(Boolean(process.env.SIPNIC_FAKE_SIM))('ListenTable.update with every queue group in use', () => {
  const shared = (port: number, members: number[], dst = CLUSTER_IP): ListenRule => ({ kind: 'listen', family: 4, proto: 'tcp', dstIp: parseIp(dst).bytes, dstPort: port, action: members });

  it("the group's sole users are rewritten in place (one GROUP_COMMAND); shared with others, a new group is needed", async () => {
    const sim = createSim({ width: 64 });
    try {
      const probe = await Adapter.open(new SimBus(sim));
      const adapter = await Adapter.open(new FewGroupsBus(sim, probe.reg('listen', 'GROUPS'), 2));
      const groups = () => adapter.listens.groups().map((g) => [g.group, g.members, g.refs]);
      expect(adapter.info.listenGroups).toBe(2);
      await adapter.listens.add(shared(8080, [1, 2, 3]));
      await adapter.listens.add(shared(8081, [4, 5]));
      expect(await adapter.listens.update(shared(8080, [1, 3]))).toEqual({ entry: 0, previous: [1, 2, 3], group: 0 });
      expect(groups()).toEqual([[0, [1, 3], 1], [1, [4, 5], 1]]);
      // two entries (two cluster addresses) on one group, changed together: in place
      await adapter.listens.add(shared(8081, [4, 5], '10.0.0.2'));
      const both = await adapter.listens.updateMany([shared(8081, [4, 6]), shared(8081, [4, 6], '10.0.0.2')]);
      expect(both.map((r) => r.group)).toEqual([1, 1]);
      expect(groups()).toEqual([[0, [1, 3], 1], [1, [4, 6], 2]]);
      // one of them alone would need a third group: refused, nothing changed
      const before = await adapter.listens.list();
      const refused = await adapter.listens.update(shared(8081, [4, 7])).catch((e) => e);
      expect(refused).toBeInstanceOf(TableFullError);
      expect(refused).toMatchObject({ code: 'EFULL', table: 'group' });
      expect(await adapter.listens.list()).toEqual(before);
      // to a list another group holds already: that group is used, the old one freed
      await adapter.listens.updateMany([shared(8081, [1, 3]), shared(8081, [1, 3], '10.0.0.2')]);
      expect(groups()).toEqual([[0, [1, 3], 3]]);
      // which makes room for a new list
      expect(await adapter.listens.update({ ...shared(8080, []), action: 2 })).toEqual({ entry: 0, previous: [1, 3] });
      expect(await adapter.listens.update(shared(8081, [5, 6]))).toMatchObject({ group: 1 });
      expect(groups()).toEqual([[0, [1, 3], 1], [1, [5, 6], 1]]);
    } finally {
      sim.close();
    }
  });
});

describe.skipIf(Boolean(process.env.SIPNIC_FAKE_SIM))('shared ports on an adapter with 2 queue groups', () => {
  it('a lost processor leaves every group: table and registry agree, no SYN goes to its queue', async () => {
    const rig = await makeRig({ groups: 2 });
    const c = [0, await rig.hello(1), await rig.hello(2), await rig.hello(3)] as ControlClient[];
    for (const p of [1, 2, 3]) await c[p].request({ op: 'listen', proto: 'tcp', port: 8080, shared: true });
    for (const p of [1, 2]) await c[p].request({ op: 'listen', proto: 'tcp', port: 8081, shared: true });
    expect(await rig.listens()).toEqual(['tcp4/8080=1,2,3', 'tcp4/8081=1,2', 'tcp6/8080=1,2,3', 'tcp6/8081=1,2']);
    expect(rig.synQueues(8080)).toContain(2);

    // processor 2 stops heartbeating; 1 and 3 go on
    rig.clock.t = 1000;
    for (const p of [1, 3]) await c[p].request({ op: 'heartbeat' });
    await until('processor 2 lost', () => rig.primary.counters.processorsLost === 1 && !rig.logs.every((l) => !/processor 2 lost/.test(l)));
    expect(await rig.listens()).toEqual(['tcp4/8080=1,3', 'tcp4/8081=1', 'tcp6/8080=1,3', 'tcp6/8081=1']);
    expect(rig.registry()).toEqual(await rig.listens());
    expect(rig.synQueues(8080).filter((q) => q === 2)).toEqual([]);
  });

  it('an unlisten the table cannot take yet keeps the processor in the registry too, and is retried by the primary', async () => {
    const rig = await makeRig({ groups: 2 });
    const c = [0, await rig.hello(1), await rig.hello(2), await rig.hello(3)] as ControlClient[];
    // 8080 and 9090 share one group (same members), 8081 has the other
    for (const port of [8080, 9090]) for (const p of [1, 2, 3]) await c[p].request({ op: 'listen', proto: 'tcp', port, shared: true });
    for (const p of [1, 2]) await c[p].request({ op: 'listen', proto: 'tcp', port: 8081, shared: true });
    const table = await rig.listens();
    // 8080 without 2 needs a third group: the table refuses, so the registry keeps 2 on 8080
    const answer = await c[2].request({ op: 'unlisten', proto: 'tcp', port: 8080 });
    expect(answer).toMatchObject({ members: [1, 3], pending: expect.stringMatching(/queue group/) });
    expect(await rig.listens()).toEqual(table);
    expect(rig.registry()).toEqual(table);
    expect(rig.primary.stats()).toMatchObject({ pending: { listens: [{ proto: 'tcp', port: 8080, leaving: [2] }] } });
    // its other port frees the second group: the pending leave goes through with it
    expect(await c[2].request({ op: 'unlisten', proto: 'tcp', port: 8081 })).toMatchObject({ members: [1] });
    await until('the retried leave', async () => (await rig.listens()).includes('tcp4/8080=1,3'));
    expect(await rig.listens()).toEqual(['tcp4/8080=1,3', 'tcp4/8081=1', 'tcp4/9090=1,2,3', 'tcp6/8080=1,3', 'tcp6/8081=1', 'tcp6/9090=1,2,3']);
    expect(rig.registry()).toEqual(await rig.listens());
    expect(rig.primary.stats()).toMatchObject({ pending: { listens: [] } });
  });

  it('a lost processor whose rules the adapter cannot remove keeps them in the registry until a retry does', async () => {
    const rig = await makeRig({ groups: 2 });
    const bus = rig.bus as FlakyBus;
    const c = [0, await rig.hello(1), await rig.hello(2, [45000, 49999]), await rig.hello(3)] as ControlClient[];
    for (const p of [1, 2, 3]) await c[p].request({ op: 'listen', proto: 'tcp', port: 8080, shared: true });
    await c[2].request({ op: 'listen', proto: 'tcp', port: 81 });
    await c[2].request({ op: 'flow-add', ...wireFlow(20000, 8080) });
    await c[2].request({ op: 'flow-add', ...wireFlow(443, 45001) });
    const table = await rig.listens();

    bus.failing = true;
    rig.clock.t = 1000;
    for (const p of [1, 3]) await c[p].request({ op: 'heartbeat' });
    await until('processor 2 lost', () => rig.primary.counters.processorsLost === 1);
    // nothing came off the table, so the registry still holds it all: the slow path hashes as the adapter does
    expect(await rig.listens()).toEqual(table);
    expect(rig.registry()).toEqual(table);
    const pending = rig.primary.stats() as { pending: { listens: { port: number; leaving: number[]; keeping: number[] }[]; flowsOfLostProcessors: number; retryInMs: number | null } };
    expect(pending.pending).toMatchObject({ listens: [{ port: 8080, leaving: [2], keeping: [1, 3] }, { port: 81, leaving: [2], keeping: [] }], flowsOfLostProcessors: 2 });
    expect(pending.pending.retryInMs).not.toBeNull();
    // its port is not its any more: another processor may take it (the table change fails now, refused whole)
    await expect(c[3].request({ op: 'listen', proto: 'tcp', port: 81 })).rejects.toMatchObject({ code: 'EHW' });
    expect(rig.registry()).toEqual(table);

    // the adapter answers again: the retry (on the heartbeat tick, backing off) takes everything off
    bus.failing = false;
    rig.clock.t = 10_000;
    for (const p of [1, 3]) await c[p].request({ op: 'heartbeat' });
    await until('the retry', () => (rig.primary.stats() as typeof pending).pending.listens.length === 0 && rig.primary.stats().flows === 0);
    expect(await rig.listens()).toEqual(['tcp4/8080=1,3', 'tcp6/8080=1,3']);
    expect(rig.registry()).toEqual(await rig.listens());
    expect((await (await Adapter.open(new SimBus(rig.sim))).flows.list()).length).toBe(0);
    expect(rig.primary.counters.tableRetries).toBeGreaterThanOrEqual(1);
    expect(rig.synQueues(8080).filter((q) => q === 2)).toEqual([]);
  });

  it('a listen the table refuses changes nothing', async () => {
    const rig = await makeRig({ groups: 2 });
    const c = [0, await rig.hello(1), await rig.hello(2), await rig.hello(3)] as ControlClient[];
    for (const p of [1, 2]) await c[p].request({ op: 'listen', proto: 'tcp', port: 8080, shared: true });
    for (const p of [2, 3]) await c[p].request({ op: 'listen', proto: 'tcp', port: 8081, shared: true });
    await c[1].request({ op: 'listen', proto: 'tcp', port: 9090, shared: true });
    const table = await rig.listens();
    await expect(c[3].request({ op: 'listen', proto: 'tcp', port: 9090, shared: true })).rejects.toMatchObject({ code: 'EFULL' });
    expect(await rig.listens()).toEqual(table);
    expect(rig.registry()).toEqual(table);
  });
});

// ───────────────────────────── item 2: ranges and ownership ─────────────────────────────

describe("a processor cannot take another's ports or connections", () => {
  it('a range that holds a port another processor listens on is refused; so is a listen in another range', async () => {
    const rig = await makeRig();
    const one = await rig.hello(1, [40000, 44999]);
    await one.request({ op: 'listen', proto: 'tcp', port: 80 });
    // the range of the issue: TCP port 80 is processor 1's
    const two = await ControlClient.connect(rig.control);
    await expect(two.request({ op: 'hello', processor: 2, secret: SECRETS.get(2)!, portRange: [1, 20000] })).rejects.toMatchObject({
      code: 'ERANGE',
      message: expect.stringMatching(/tcp port 80, where processor 1 listens/),
    });
    await two.close();
    // a legitimate range; processor 2 may not pin a connection to processor 1's listen port
    const two2 = await rig.hello(2, [45000, 49999]);
    await expect(two2.request({ op: 'flow-add', ...wireFlow(50000, 80) })).rejects.toMatchObject({ code: 'EPERM', message: expect.stringMatching(/processor 1/) });
    // nor listen on a TCP port inside processor 1's range
    await expect(two2.request({ op: 'listen', proto: 'tcp', port: 41000 })).rejects.toMatchObject({ code: 'EPERM', message: expect.stringMatching(/processor 1's local port range/) });
    // and a third processor is not locked out
    const three = await rig.hello(3, [30000, 34999]);
    await three.request({ op: 'flow-add', ...wireFlow(443, 30001) });
  });

  it('a range larger than 65536 / processors is refused, naming the limit', async () => {
    const rig = await makeRig();
    await expect(rig.hello(1, [1, 39999])).rejects.toMatchObject({ code: 'ERANGE', message: expect.stringMatching(/at most 21845 ports/) });
    await rig.hello(1, [30000, 30000 + 21844]);
  });

  // a shared port needs queue groups, which the register-level stand-in lacks
  it.skipIf(Boolean(process.env.SIPNIC_FAKE_SIM))('a flow belongs to the processor whose listen or range owns its local port; group members pin to their own queue', async () => {
    const rig = await makeRig();
    const one = await rig.hello(1, [40000, 44999]);
    const two = await rig.hello(2, [45000, 49999]);
    const three = await rig.hello(3, [50000, 54999]);
    for (const c of [one, three]) await c.request({ op: 'listen', proto: 'tcp', port: 8080, shared: true });
    await one.request({ op: 'flow-add', ...wireFlow(1, 8080) });
    await three.request({ op: 'flow-add', ...wireFlow(2, 8080) });
    await expect(two.request({ op: 'flow-add', ...wireFlow(3, 8080) })).rejects.toMatchObject({ code: 'EPERM', message: expect.stringMatching(/listen port of processors 1,3/) });
    await expect(three.request({ op: 'flow-add', ...wireFlow(1, 8080) })).rejects.toMatchObject({ code: 'EPERM', message: expect.stringMatching(/belongs to processor 1/) });
    await expect(two.request({ op: 'flow-add', ...wireFlow(4, 41000) })).rejects.toMatchObject({ code: 'EPERM', message: expect.stringMatching(/processor 1's local port range/) });
    const a = await Adapter.open(new SimBus(rig.sim));
    expect((await a.flows.list()).map((e) => `${e.rule.srcPort}>${e.rule.dstPort}=${e.action}`).sort()).toEqual(['1>8080=1', '2>8080=3']);
  });
});

// ───────────────────────────── item 4: flow quota ─────────────────────────────

describe('per-processor flow quota', () => {
  it("by default a fair share of the flow table: one processor's flood is refused with EQUOTA, the next still gets its flows", async () => {
    // 64 entries + 4 stash over 3 processors: 22 each
    const rig = await makeRig({ sim: createFakeSim({ width: 64, flowEntries: 64, ways: 4, stash: 4 }) });
    const one = await rig.hello(1, [40000, 44999]);
    const two = await rig.hello(2, [45000, 49999]);
    const flood = await Promise.allSettled(Array.from({ length: 68 }, (_, i) => one.request({ op: 'flow-add', ...wireFlow(20000 + i, 40000 + i) })));
    const ok = flood.filter((a) => a.status === 'fulfilled').length;
    expect(ok).toBe(22);
    for (const a of flood.slice(22)) expect(a).toMatchObject({ status: 'rejected', reason: { code: 'EQUOTA', message: expect.stringMatching(/quota of 22 flows/) } });
    const next = await Promise.allSettled(Array.from({ length: 5 }, (_, i) => two.request({ op: 'flow-add', ...wireFlow(20000 + i, 45000 + i) })));
    expect(next.every((a) => a.status === 'fulfilled')).toBe(true);
    const st = rig.primary.stats() as { flowQuota: number; counters: { flowQuotaRefusals: number }; processors: { processor: number; flows: number; flowQuotaRefusals: number }[] };
    expect(st.flowQuota).toBe(22);
    expect(st.counters.flowQuotaRefusals).toBe(46);
    expect(st.processors.find((p) => p.processor === 1)).toMatchObject({ flows: 22, flowQuotaRefusals: 46 });
    // a removed flow makes room again
    await one.request({ op: 'flow-del', ...wireFlow(20000, 40000) });
    await one.request({ op: 'flow-add', ...wireFlow(30000, 40000) });
    await expect(one.request({ op: 'flow-add', ...wireFlow(30001, 40000) })).rejects.toMatchObject({ code: 'EQUOTA' });
  });

  it('--flow-quota sets it', async () => {
    const rig = await makeRig({ extra: { flowQuota: 3 } });
    const one = await rig.hello(1, [40000, 44999]);
    for (let i = 0; i < 3; i++) await one.request({ op: 'flow-add', ...wireFlow(20000 + i, 40000) });
    // asking again for a flow it holds is not a new one
    expect(await one.request({ op: 'flow-add', ...wireFlow(20000, 40000) })).toMatchObject({ existed: true });
    await expect(one.request({ op: 'flow-add', ...wireFlow(20003, 40000) })).rejects.toMatchObject({ code: 'EQUOTA', message: expect.stringMatching(/processor 1 holds 3 flows, its quota of 3 flows \(--flow-quota\)/) });
    const identity = { mac: Uint8Array.of(2, 0, 0, 0, 0, 1), ips: [{ family: 4 as const, bytes: parseIp(CLUSTER_IP).bytes }] };
    for (const flowQuota of [0, 1.5]) {
      expect(() => new Primary({ adapter: rig.adapter, framePort: new NullFramePort(), identity, processors: 3, secrets: SECRETS, flowQuota })).toThrow(/flow quota must be a positive integer/);
    }
  });
});
