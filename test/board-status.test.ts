// `sipnic board status` (host/src/board/status.ts, phy-link.ts, mdio.ts): the IEEE resolution of
// link, speed and duplex from clause 22 register values written out by hand from the standard's
// bit meanings; then end to end against the PTY simulator (`sim serve --pty`: the Verilated NIC
// with its read-only MDIO master and a PHY model per port, sim/phy), with one PHY at 100 Mb/s
// and one without link, a PHY that never answers, and both at 1000BASE-T full duplex.
import { afterEach, describe, expect, it } from 'vitest';
import { run } from '../host/src/cli/program.js';
import type { CliIO } from '../host/src/cli/context.js';
import { linkProblem, resolveLink, type PhyRegisters } from '../host/src/board/phy-link.js';
import { Mdio } from '../host/src/board/mdio.js';
import { parsePhyAddresses } from '../host/src/board/status.js';
import { parsePhyModes, startPtySim, type PtySim } from '../host/src/sim/pty-sim.js';
import { Adapter } from '../host/src/driver/index.js';
import { SimBus } from '../host/src/bus/sim-bus.js';
import { createSim } from '../sim/addon.js';

// BMCR: AN enable (bit 12) | full duplex (8) | speed select 1000 (6); BMSR: abilities 0x7949 | AN complete (5) | link (2)
const AN_ON = 0x1140;
const BMSR_UP = 0x7949 | 0x20 | 0x04;
const BMSR_DOWN = 0x7949;
const base: PhyRegisters = { bmcr: AN_ON, bmsrFirst: BMSR_UP, bmsr: BMSR_UP, phyId1: 0x001c, phyId2: 0xc916, anar: 0x01e1, anlpar: 0x41e1, gbcr: 0x0300, gbsr: 0x3800 };

describe('PHY link resolution (reads only, IEEE 802.3 clause 22/28/40)', () => {
  it('takes 1000BASE-T full when both ends advertise it, whatever 10/100 they also offer', () => {
    const l = resolveLink(base);
    expect(l).toMatchObject({ up: true, speed: 1000, duplex: 'full', autoNegotiation: 'on', autoNegotiationComplete: true, wentDownSinceLastRead: false, phyId: 0x001cc916 });
    expect(linkProblem(0, l)).toBeUndefined();
  });

  it('falls to 1000 half, then to the highest common 10/100 mode in priority order', () => {
    expect(resolveLink({ ...base, gbsr: 0x3400 })).toMatchObject({ speed: 1000, duplex: 'half' });
    // only what both ends advertise: we offer 1000 half alone, the partner both
    expect(resolveLink({ ...base, gbcr: 0x0100, gbsr: 0x3c00 })).toMatchObject({ speed: 1000, duplex: 'half' });
    expect(resolveLink({ ...base, gbcr: 0x0000, gbsr: 0x3c00, anlpar: 0x4101 })).toMatchObject({ speed: 100, duplex: 'full' });
    // we advertise only 1000 full: a partner with 1000 half only is not a 1000 link
    expect(resolveLink({ ...base, gbcr: 0x0200, gbsr: 0x3400, anlpar: 0x4081 })).toMatchObject({ speed: 100, duplex: 'half' });
    expect(resolveLink({ ...base, gbsr: 0, anlpar: 0x4101 })).toMatchObject({ speed: 100, duplex: 'full' });
    // 100BASE-T4 (bit 9) ranks above 100BASE-TX half (bit 7)
    expect(resolveLink({ ...base, gbsr: 0, anar: 0x03e1, anlpar: 0x4281 })).toMatchObject({ speed: 100, duplex: 'half' });
    expect(resolveLink({ ...base, gbsr: 0, anlpar: 0x4061 })).toMatchObject({ speed: 10, duplex: 'full' });
    expect(resolveLink({ ...base, gbsr: 0, anlpar: 0x4021 })).toMatchObject({ speed: 10, duplex: 'half' });
    // we do not advertise 100 full: a partner with only 100 full and 10 half links at 10 half
    expect(resolveLink({ ...base, gbsr: 0, anar: 0x00e1, anlpar: 0x4121 })).toMatchObject({ speed: 10, duplex: 'half' });
  });

  it('reads BMCR when auto-negotiation is off', () => {
    // speed select 01 (bit 13) = 100, duplex bit 8
    expect(resolveLink({ ...base, bmcr: 0x2100, anlpar: 0, gbsr: 0 })).toMatchObject({ autoNegotiation: 'off', speed: 100, duplex: 'full' });
    expect(resolveLink({ ...base, bmcr: 0x0000, anlpar: 0, gbsr: 0 })).toMatchObject({ speed: 10, duplex: 'half' });
    expect(resolveLink({ ...base, bmcr: 0x0140 })).toMatchObject({ speed: 1000, duplex: 'full' });
  });

  it("uses BMSR's second read for the link and the first for a drop since the last read", () => {
    expect(resolveLink({ ...base, bmsrFirst: BMSR_DOWN | 0x20 })).toMatchObject({ up: true, speed: 1000, wentDownSinceLastRead: true });
    const down = resolveLink({ ...base, bmsrFirst: BMSR_UP, bmsr: BMSR_DOWN, anlpar: 0, gbsr: 0 });
    expect([down.up, down.speed, down.duplex]).toEqual([false, undefined, undefined]);
  });

  it('names the reason nothing flows', () => {
    expect(linkProblem(1, resolveLink({ ...base, gbsr: 0, anlpar: 0x4101 }))).toBe('port 1: link at 100 Mb/s — the design needs 1000BASE-T: check the cable/switch port');
    expect(linkProblem(0, resolveLink({ ...base, gbsr: 0, anlpar: 0x4021 }))).toBe('port 0: link at 10 Mb/s half duplex — the design needs 1000BASE-T: check the cable/switch port');
    expect(linkProblem(1, resolveLink({ ...base, gbsr: 0x3400 }))).toBe("port 1: link at 1000 Mb/s half duplex — the design needs full duplex: check the other end's settings");
    expect(linkProblem(0, resolveLink({ ...base, bmsr: BMSR_DOWN }))).toBe('port 0: no link — check the cable and that the other end is powered and enabled');
    expect(linkProblem(0, resolveLink({ ...base, bmsr: 0x7949 | 0x04 }))).toMatch(/^port 0: link up but auto-negotiation has not completed/);
  });

  it('checks --phy-addr and --phy', () => {
    expect(parsePhyAddresses('1:7')).toEqual([0, 7]);
    expect(parsePhyAddresses('0:4, 1:5')).toEqual([4, 5]);
    expect(() => parsePhyAddresses('2:1')).toThrow(/--phy-addr "2:1" is not PORT:ADDRESS/);
    expect(() => parsePhyAddresses('0:32')).toThrow(/--phy-addr "0:32" is not PORT:ADDRESS \(port 0 or 1, MDIO address 0..31\)/);
    expect(parsePhyModes('0:1000full,1:100half')).toBe('0:1000,1:100half');
    expect(() => parsePhyModes('0:100,1:1G')).toThrow(/--phy "1:1G" is not PORT:MODE/);
    expect(() => parsePhyModes('1:100,1:10')).toThrow(/sets port 1 twice/);
  });

  it('says a bare core (the in-process simulator) has no MDIO', async () => {
    const bus = new SimBus(createSim({ width: 8 }), { closeSim: true });
    try {
      const adapter = await Adapter.open(bus);
      expect(adapter.has('board')).toBe(false);
      expect(() => Mdio.open(adapter)).toThrow(/no board block: PHY status needs the two-port NIC/);
    } finally {
      await bus.close();
    }
  });
});

describe('sipnic board status on the simulated board (sim serve --pty --phy)', () => {
  let sim: PtySim | undefined;
  afterEach(async () => {
    await sim?.stop();
    sim = undefined;
  });

  async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
    const o = { out: '', err: '' };
    const io: CliIO = { stdout: (t) => void (o.out += t), stderr: (t) => void (o.err += t), stderrIsTTY: false, env: {} };
    const code = await run([...args, '--device', sim!.path], io);
    return { code, ...o };
  }

  async function status(...extra: string[]): Promise<any> {
    const r = await cli('board', 'status', ...extra, '--json');
    expect(r.err, r.err).toBe('');
    expect(r.code).toBe(0);
    return JSON.parse(r.out);
  }

  it('names port 0 at 100 Mb/s and port 1 without link, in text and JSON', async () => {
    sim = await startPtySim({ phy: '0:100,1:down' });
    expect(sim.info.phy).toBe('0:100,1:down');
    const s = await status();
    expect(s.problems).toEqual([
      'port 0: link at 100 Mb/s — the design needs 1000BASE-T: check the cable/switch port',
      'port 1: no link — check the cable and that the other end is powered and enabled',
    ]);
    expect(s.ports[0]).toMatchObject({ port: 0, role: 'clients', phyAddress: 0, answered: true, link: { up: true, speed: 100, duplex: 'full', phyId: 0x001cc916 } });
    expect(s.ports[1]).toMatchObject({ port: 1, role: 'cluster', phyAddress: 1, answered: true, link: { up: false } });
    expect(s.ports[1].link.speed).toBeUndefined();
    // the simulated board's identity: no build id or hash (set only by `board build`), its clock and sizing
    expect(s.identity).toMatchObject({ buildId: 0, buildTime: null, gitHash: null, gitDirty: false, clkHz: 19200, baud: 2400, mdcHz: 9600, dataWidth: 32, queues: 4, flowEntries: 2048 });
    expect(s.counters).toEqual([
      { rxFrames: 0, rxBad: 0, txFrames: 0 },
      { rxFrames: 0, rxBad: 0, txFrames: 0 },
    ]);

    const text = await cli('board', 'status');
    expect(text.code).toBe(0);
    expect(text.out).toMatch(/^port 0 \(clients\): PHY 0x001cc916 at MDIO address 0: link up, 100 Mb\/s full duplex \(auto-negotiated\)/m);
    expect(text.out).toMatch(/^port 1 \(cluster\): PHY 0x001cc916 at MDIO address 1: no link/m);
    expect(text.out.trimEnd().split('\n').slice(-2)).toEqual(s.problems);
  });

  it("reports BMSR's latched-low link once after power-up, then the link as it is; both at 1000BASE-T full", async () => {
    sim = await startPtySim({ phy: '0:1000,1:1000' });
    const first = await status();
    expect(first.ports.map((p: any) => p.link.wentDownSinceLastRead)).toEqual([true, true]);
    // the second read of BMSR already says the link is up
    expect(first.problems).toEqual([]);
    const second = await status();
    expect(second.ports.map((p: any) => p.link.wentDownSinceLastRead)).toEqual([false, false]);
    expect(second.ports.map((p: any) => [p.link.speed, p.link.duplex])).toEqual([
      [1000, 'full'],
      [1000, 'full'],
    ]);
    expect(second.problems).toEqual([]);
    expect((await cli('board', 'status')).out).toMatch(/\nboth links are 1000BASE-T full duplex\n$/);
  });

  it('scans the bus when a PHY does not answer, and names the addresses that do', async () => {
    sim = await startPtySim({ phy: '1:absent' });
    const s = await status();
    expect(s.ports[1]).toMatchObject({ answered: false, phyAddress: 1 });
    expect(s.physAnswering).toEqual([0]);
    expect(s.problems).toEqual(['port 1: no PHY answered at MDIO address 1, nor at any other free address — check MDC (R5) and MDIO (T4) and that the PHY is powered']);
    // port 1 looked for at the wrong address: the PHY at 0 is port 0's
    const wrong = await status('--phy-addr', '0:5,1:0');
    expect(wrong.problems).toEqual(['port 0: no PHY answered at MDIO address 5, nor at any other free address — check MDC (R5) and MDIO (T4) and that the PHY is powered']);
    expect(wrong.ports[1]).toMatchObject({ answered: true, phyAddress: 0 });
  });

  it('takes --phy from `sim serve --pty` (the CLI) to the PHY models', async () => {
    const stop = new AbortController();
    const o = { out: '', err: '' };
    let ready!: (path: string) => void;
    const started = new Promise<string>((resolve) => (ready = resolve));
    const io: CliIO = { stdout: (t) => void (o.out += t), stderr: (t) => void (o.err += t), stderrIsTTY: false, env: {}, signal: stop.signal, onServing: ({ path }) => ready(path) };
    const serving = run(['sim', 'serve', '--pty', '--phy', '1:1000,0:10half', '--json'], io);
    try {
      const path = await Promise.race([started, serving.then((code) => Promise.reject(new Error(`sim serve --pty exited ${code}: ${o.err}`)))]);
      expect(JSON.parse(o.out.split('\n')[0]).phy).toBe('1:1000,0:10half');
      const e = { out: '', err: '' };
      const code = await run(['board', 'status', '--device', path, '--json'], { stdout: (t) => void (e.out += t), stderr: (t) => void (e.err += t), stderrIsTTY: false, env: {} });
      expect(code, e.err).toBe(0);
      expect(JSON.parse(e.out).problems).toEqual(['port 0: link at 10 Mb/s half duplex — the design needs 1000BASE-T: check the cable/switch port']);
    } finally {
      stop.abort();
      expect(await serving).toBe(0);
    }
  });

  it('refuses a bad --phy-addr, and --phy without --pty', async () => {
    sim = await startPtySim();
    const bad = await cli('board', 'status', '--phy-addr', '1:40');
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/--phy-addr "1:40" is not PORT:ADDRESS/);
    const o = { out: '', err: '' };
    const io: CliIO = { stdout: (t) => void (o.out += t), stderr: (t) => void (o.err += t), stderrIsTTY: false, env: {} };
    expect(await run(['sim', 'serve', '--phy', '1:100'], io)).toBe(1);
    expect(o.err).toMatch(/--phy needs --pty/);
  });
});
