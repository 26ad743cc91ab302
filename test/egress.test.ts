// host/src/driver/egress-table.ts against a register-level stand-in of sipnic_nic's egress block (the RTL
// of the block is tested through the UART by test/rtl/nic_tb.cpp): MAC words in the order the
// RTL keeps them, queue range, the rewrite bit, counters, the cluster MAC and the source rewrite bit
// (each CONTROL switch set without touching the other); and a bare core has no such block.
// Then `sipnic egress` end to end against `sim serve --pty` (the Verilated sipnic_nic).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../host/src/cli/program.js';
import type { CliIO } from '../host/src/cli/context.js';
import type { RegisterBus } from '../host/src/bus/bus.js';
import { formatMac, parseMac } from '../host/src/codec/mac.js';
import { Adapter, EgressTable } from '../host/src/driver/index.js';
import { createSim } from '../sim/addon.js';
import { SimBus } from '../host/src/bus/sim-bus.js';
import { BLOCKS } from '../host/src/driver/regs.generated.js';

const BASE = 0x700;
const R = BLOCKS.egress.registers;

/** The egress block as sipnic_nic.v implements it: MAC_HI and CLUSTER_MAC_HI keep 16 bits, CONTROL 2 bits. */
function egressBus(queues: number): RegisterBus & { words: Map<number, number> } {
  const words = new Map<number, number>([
    [BASE + R.TYPE.offset, BLOCKS.egress.type],
    [BASE + R.QUEUES.offset, queues],
    [BASE + R.P0_RX_BAD.offset, 3],
    [BASE + R.P1_RX_BAD.offset, 4],
    [BASE + R.P1_TX_FRAMES.offset, 5],
    [BASE + R.P0_TX_FRAMES.offset, 6],
  ]);
  return {
    words,
    async read(addr) {
      return words.get(addr) ?? 0;
    },
    async write(addr, value) {
      const off = addr - BASE;
      if (off === R.CONTROL.offset) words.set(addr, value & 3);
      else if (off === R.CLUSTER_MAC_HI.offset) words.set(addr, value & 0xffff);
      else if (off === R.CLUSTER_MAC_LO.offset) words.set(addr, value >>> 0);
      else if (off >= R.MAC_HI.offset && off < R.MAC_HI.offset + queues * R.MAC_HI.array.stride) {
        words.set(addr, (off - R.MAC_HI.offset) % 8 === 0 ? value & 0xffff : value >>> 0);
      }
    },
    async close() {},
  };
}

describe('egress MAC table', () => {
  it('parses and prints MAC addresses, and refuses what is not one', () => {
    expect(formatMac(parseMac('02:00:5E:10:00:01'))).toBe('02:00:5e:10:00:01');
    expect(formatMac(parseMac('02-00-5e-10-00-ff'))).toBe('02:00:5e:10:00:ff');
    expect(() => parseMac('02:00:5e:10:00')).toThrow(/not a MAC address/);
    expect(() => parseMac('02:00-5e:10:00:01')).toThrow(/not a MAC address/);
  });

  it('writes MAC_HI (bytes 0..1) and MAC_LO (bytes 2..5) of a queue and reads them back', async () => {
    const bus = egressBus(4);
    const t = new EgressTable(bus, BASE, 4);
    await t.setMac(2, '02:5e:10:a2:22:0d');
    expect(bus.words.get(BASE + R.MAC_HI.offset + 2 * 8)).toBe(0x025e);
    expect(bus.words.get(BASE + R.MAC_LO.offset + 2 * 8)).toBe(0x10a2220d);
    expect(formatMac(await t.getMac(2))).toBe('02:5e:10:a2:22:0d');
    await t.setMac(3, Uint8Array.from([0xff, 0xee, 0xdd, 0xcc, 0xbb, 0xaa]));
    expect((await t.list()).map((e) => e.mac)).toEqual(['00:00:00:00:00:00', '00:00:00:00:00:00', '02:5e:10:a2:22:0d', 'ff:ee:dd:cc:bb:aa']);
    await expect(t.setMac(4, '02:00:00:00:00:01')).rejects.toThrow(/queue 4 does not exist: the adapter has 4 queues/);
    await expect(t.getMac(-1)).rejects.toThrow(/queue -1 does not exist/);
  });

  it('switches the rewrite and reads the port counters', async () => {
    const t = new EgressTable(egressBus(2), BASE, 2);
    expect(await t.rewriteEnabled()).toBe(false);
    await t.setRewrite(true);
    expect(await t.rewriteEnabled()).toBe(true);
    expect(await t.counters()).toEqual({ p0RxBad: 3, p1RxBad: 4, p1TxFrames: 5, p0TxFrames: 6 });
  });

  it('writes CLUSTER_MAC_HI/LO and switches the source rewrite without touching the destination rewrite', async () => {
    const bus = egressBus(2);
    const t = new EgressTable(bus, BASE, 2);
    expect(formatMac(await t.getClusterMac())).toBe('00:00:00:00:00:00');
    await t.setClusterMac('02:53:4e:00:00:01');
    expect(bus.words.get(BASE + R.CLUSTER_MAC_HI.offset)).toBe(0x0253);
    expect(bus.words.get(BASE + R.CLUSTER_MAC_LO.offset)).toBe(0x4e000001);
    expect(formatMac(await t.getClusterMac())).toBe('02:53:4e:00:00:01');
    await t.setClusterMac(Uint8Array.from([0xfe, 0xdc, 0xba, 0x98, 0x76, 0x54]).subarray(0));
    expect(formatMac(await t.getClusterMac())).toBe('fe:dc:ba:98:76:54');
    await expect(t.setClusterMac(Uint8Array.of(1, 2, 3))).rejects.toThrow(/a MAC address has 6 bytes, not 3/);
    // no queue MAC was written
    expect((await t.list()).map((e) => e.mac)).toEqual(['00:00:00:00:00:00', '00:00:00:00:00:00']);

    const control = () => bus.words.get(BASE + R.CONTROL.offset) ?? 0;
    expect(await t.srcRewriteEnabled()).toBe(false);
    await t.setRewrite(true);
    await t.setSrcRewrite(true);
    expect(control()).toBe(3);
    expect(await t.srcRewriteEnabled()).toBe(true);
    await t.setRewrite(false);
    expect(control()).toBe(2);
    expect(await t.rewriteEnabled()).toBe(false);
    expect(await t.srcRewriteEnabled()).toBe(true);
    await t.setRewrite(true);
    await t.setSrcRewrite(false);
    expect(control()).toBe(1);
    expect(await t.rewriteEnabled()).toBe(true);
  });

  it('knows a bitstream from before the source rewrite by its VERSION, and refuses the cluster MAC there', async () => {
    const opened = async (version: number) => {
      const bus = egressBus(2);
      bus.words.set(BASE + R.VERSION.offset, version);
      const adapter = { bus, has: (b: string) => b === 'egress', reg: (_b: string, name: string) => BASE + R[name as keyof typeof R].offset };
      return EgressTable.open(adapter);
    };
    const old = await opened(0x00010000);
    expect(old.hasSrcRewrite).toBe(false);
    await expect(old.setClusterMac('02:53:4e:00:00:01')).rejects.toThrow(/egress block \(VERSION 1\.0, a bitstream built before the source rewrite\) has no cluster MAC/);
    await expect(old.setSrcRewrite(true)).rejects.toMatchObject({ code: 'EVERSION' });
    await old.setRewrite(true); // what the old block has still works
    expect(await old.rewriteEnabled()).toBe(true);
    expect((await opened(BLOCKS.egress.version)).hasSrcRewrite).toBe(true);
  });

  it('says a bare core (the in-process simulator) has no egress block', async () => {
    const sim = createSim({ width: 8 });
    const bus = new SimBus(sim, { closeSim: true });
    try {
      const adapter = await Adapter.open(bus);
      expect(adapter.has('egress')).toBe(false);
      expect(adapter.has('counters')).toBe(true);
      await expect(EgressTable.open(adapter)).rejects.toThrow(/no egress block/);
      expect(() => adapter.resolve('egress.CONTROL')).toThrow(/lacks block egress/);
      expect(adapter.registers().some((r) => r.block === 'egress')).toBe(false);
    } finally {
      await bus.close();
    }
  });
});

describe('sipnic egress on the simulated NIC (sim serve --pty)', () => {
  const output = (extra: Partial<CliIO> = {}) => {
    const o = { out: '', err: '' };
    const io: CliIO = { stdout: (t) => void (o.out += t), stderr: (t) => void (o.err += t), stderrIsTTY: false, env: {}, ...extra };
    return { io, o };
  };
  let pty = '';
  let stop: AbortController;
  let serving: Promise<number>;

  beforeAll(async () => {
    stop = new AbortController();
    let ready!: (path: string) => void;
    const started = new Promise<string>((resolve) => (ready = resolve));
    const { io, o } = output({ signal: stop.signal, onServing: ({ path }) => ready(path) });
    serving = run(['sim', 'serve', '--pty'], io);
    pty = await Promise.race([started, serving.then((code) => Promise.reject(new Error(`sim serve --pty exited ${code}: ${o.err}`)))]);
  });

  afterAll(async () => {
    stop.abort();
    expect(await serving).toBe(0);
  });

  async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
    const { io, o } = output();
    const code = await run([...args, '--device', pty], io);
    return { code, ...o };
  }

  async function json(...args: string[]): Promise<any> {
    const r = await cli(...args, '--json');
    expect(r.err, r.err).toBe('');
    expect(r.code).toBe(0);
    return JSON.parse(r.out);
  }

  it("sets a queue's MAC, lists them, and switches the rewrite on and off", async () => {
    const before = await json('egress', 'list');
    expect(before.rewrite).toBe(false);
    expect(before.queues).toBeGreaterThanOrEqual(2);
    expect(before.macs).toHaveLength(before.queues);

    expect(await json('egress', 'set', '1', '02:5E:10:A2:22:0D')).toEqual({ queue: 1, mac: '02:5e:10:a2:22:0d' });
    const listed = await json('egress', 'list');
    expect(listed.macs[1]).toEqual({ queue: 1, mac: '02:5e:10:a2:22:0d' });
    // the words the RTL keeps, by register name
    expect((await json('regs', 'read', 'egress.MAC_HI[1]')).value).toBe(0x025e);
    expect((await json('regs', 'read', 'egress.MAC_LO[1]')).value).toBe(0x10a2220d);

    expect(await json('egress', 'enable')).toEqual({ rewrite: true });
    expect((await json('egress', 'list')).rewrite).toBe(true);
    expect((await json('regs', 'read', 'egress.CONTROL')).value).toBe(1);
    const text = await cli('egress', 'list');
    expect(text.out).toMatch(/^queue {2}mac\n/);
    expect(text.out).toMatch(/^ *1 +02:5e:10:a2:22:0d$/m);
    expect(text.out).toMatch(/^rewrite on\ncluster mac 00:00:00:00:00:00, source rewrite off\n$/m);

    expect(await json('egress', 'disable')).toEqual({ rewrite: false });
    expect((await json('regs', 'read', 'egress.CONTROL')).value).toBe(0);
  });

  it('sets the cluster MAC and switches the source rewrite on and off, apart from the queue rewrite', async () => {
    const before = await json('egress', 'list');
    expect(before.clusterMac).toBe('00:00:00:00:00:00');
    expect(before.rewriteSrc).toBe(false);

    expect(await json('egress', 'cluster-mac', '02:53:4E:00:00:01')).toEqual({ clusterMac: '02:53:4e:00:00:01' });
    expect((await json('regs', 'read', 'egress.CLUSTER_MAC_HI')).value).toBe(0x0253);
    expect((await json('regs', 'read', 'egress.CLUSTER_MAC_LO')).value).toBe(0x4e000001);
    // setting the MAC does not switch the rewrite on
    expect((await json('egress', 'list')).rewriteSrc).toBe(false);

    expect(await json('egress', 'enable', '--src')).toEqual({ rewriteSrc: true });
    expect((await json('regs', 'read', 'egress.CONTROL')).value).toBe(2);
    expect(await json('egress', 'enable')).toEqual({ rewrite: true });
    expect((await json('regs', 'read', 'egress.CONTROL')).value).toBe(3);
    const listed = await json('egress', 'list');
    expect(listed).toMatchObject({ rewrite: true, rewriteSrc: true, clusterMac: '02:53:4e:00:00:01' });
    const text = await cli('egress', 'list');
    expect(text.out).toMatch(/rewrite on\ncluster mac 02:53:4e:00:00:01, source rewrite on\n$/);

    expect(await json('egress', 'disable', '--src')).toEqual({ rewriteSrc: false });
    expect((await json('regs', 'read', 'egress.CONTROL')).value).toBe(1);
    expect(await json('egress', 'disable')).toEqual({ rewrite: false });
    expect((await json('regs', 'read', 'egress.CONTROL')).value).toBe(0);

    const bad = await cli('egress', 'cluster-mac', '02:53:4e:00:00', '--json');
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/"02:53:4e:00:00" is not a MAC address/);
    expect((await json('egress', 'list')).clusterMac).toBe('02:53:4e:00:00:01');
  });

  it('refuses a queue the NIC does not have, a bad MAC and a queue that is not a number', async () => {
    const { queues } = await json('egress', 'list');
    const far = await cli('egress', 'set', String(queues), '02:00:00:00:00:01', '--json');
    expect(far.code).toBe(1);
    expect(far.err).toMatch(new RegExp(`queue ${queues} does not exist: the adapter has ${queues} queues`));
    expect(JSON.parse(far.out).error.code).toBe('EQUEUE');

    const bad = await cli('egress', 'set', '1', '02:00:5e:10:00', '--json');
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/"02:00:5e:10:00" is not a MAC address/);
    expect(JSON.parse(bad.out).error.code).toBe('EMAC');

    const word = await cli('egress', 'set', 'one', '02:00:00:00:00:01');
    expect(word.code).toBe(2);
    expect(word.err).toMatch(/queue "one" is not a queue number/);

    // nothing of that changed queue 1
    expect((await json('egress', 'list')).macs[1].mac).toBe('02:5e:10:a2:22:0d');
  });

  it('--help shows an example', async () => {
    const { io, o } = output();
    expect(await run(['egress', 'set', '--help'], io)).toBe(0);
    expect(o.out).toMatch(/Example:\n {2}sipnic egress set 1 02:00:5e:10:00:01/);
    const c = output();
    expect(await run(['egress', 'cluster-mac', '--help'], c.io)).toBe(0);
    expect(c.o.out).toMatch(/Example:\n {2}sipnic egress cluster-mac 02:53:4e:00:00:01\n {2}sipnic egress enable --src/);
    const e = output();
    expect(await run(['egress', 'enable', '--help'], e.io)).toBe(0);
    expect(e.o.out).toMatch(/--src +switch on the source rewrite instead/);
  });
});
