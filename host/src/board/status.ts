// `sipnic board status`: what the board says about itself over the serial line alone — the
// build's identity and parameters, each port's PHY (MDIO reads only: the PHYs are never written
// or reset) with its link resolved the IEEE way, the port counters, and for each port that
// cannot pass frames the reason in one line.
import { EgressTable, type Adapter, type AdapterInfo } from '../driver/index.js';
import { Ops } from '../driver/ops.js';
import { FIELDS, getField } from '../driver/regs.generated.js';
import { Mdio } from './mdio.js';
import { linkProblem, MII, resolveLink, type PhyLink, type PhyRegisters } from './phy-link.js';

/**
 * MDIO address of each port's PHY unless --phy-addr says otherwise: port 0 (PHY0, U11) at 0,
 * port 1 (PHY1, U13) at 1. The RTL8211FDs take their address from straps on RXD3, RX_CTL and RXC
 * (chubby75 5a-75b/hardware_V8.0.md); the strap values are not documented there, so these are
 * the usual ones, not verified on a board: where nothing answers, status scans the bus and says
 * which addresses do.
 */
export const DEFAULT_PHY_ADDRESSES: readonly number[] = [0, 1];
export const PORT_ROLES = ['clients', 'cluster'] as const;

/** The design's identity: the board block's build facts and the sizes the driver read at open. */
export interface BoardIdentity
  extends Pick<AdapterInfo, 'dataWidth' | 'queues' | 'maxFrame' | 'queueFifoBytes' | 'flowEntries' | 'flowWays' | 'flowStash' | 'listenEntries' | 'listenGroups' | 'addressSlots'> {
  /** BUILD_ID: the build's time in seconds since 1970 UTC; 0 when the build did not set it. */
  buildId: number;
  /** The build's time (ISO 8601), or null when not set. */
  buildTime: string | null;
  /** The git commit's first 8 hex digits, or null when not set. */
  gitHash: string | null;
  gitDirty: boolean;
  clkHz: number;
  baud: number;
  /** MDC in Hz: CLK_HZ / (2 × MDC_DIV). */
  mdcHz: number;
}

export interface PortStatus {
  port: number;
  role: (typeof PORT_ROLES)[number];
  /** MDIO address read. */
  phyAddress: number;
  /** A PHY answered at that address. */
  answered: boolean;
  link?: PhyLink;
  /** The registers read (BMSR twice), for a closer look. */
  registers?: PhyRegisters;
  /** Why this port passes no frames; absent when its link is 1000BASE-T full duplex. */
  problem?: string;
}

export interface PortCounters {
  /** port 0: frames into the core (counters.RX_FRAMES); port 1: frames passed on to port 0 (egress.P0_TX_FRAMES). */
  rxFrames: number | bigint;
  /** Frames dropped as bad at the port (FCS, rx error, too long, no room). */
  rxBad: number;
  txFrames: number;
}

export interface BoardStatus {
  identity: BoardIdentity;
  ports: PortStatus[];
  counters: PortCounters[];
  /** Addresses where a PHY answered, when a scan ran (a port's PHY did not answer at its address). */
  physAnswering?: number[];
  /** Every port's problem, in port order; empty when both links are 1000BASE-T full duplex. */
  problems: string[];
}

const hex8 = (v: number) => v.toString(16).padStart(8, '0');

/** The board block's identity registers (one round trip) and the sizes Adapter.open read from the other blocks. */
export async function readIdentity(adapter: Adapter): Promise<BoardIdentity> {
  const ops = new Ops();
  const names = ['BUILD_ID', 'GIT_HASH', 'BUILD_FLAGS', 'CLK_HZ', 'BAUD', 'MDC_DIV'] as const;
  const at = names.map((n) => ops.read(adapter.reg('board', n)));
  const words = await ops.run(adapter.bus);
  const [buildId, gitHash, flags, clkHz, baud, mdcDiv] = at.map((i) => words[i]);
  const i = adapter.info;
  return {
    buildId,
    buildTime: buildId ? new Date(buildId * 1000).toISOString().replace('.000Z', 'Z') : null,
    gitHash: gitHash ? hex8(gitHash) : null,
    gitDirty: getField(FIELDS.board.BUILD_FLAGS.GIT_DIRTY, flags) === 1,
    clkHz,
    baud,
    mdcHz: mdcDiv ? Math.round(clkHz / (2 * mdcDiv)) : 0,
    dataWidth: i.dataWidth,
    queues: i.queues,
    maxFrame: i.maxFrame,
    queueFifoBytes: i.queueFifoBytes,
    flowEntries: i.flowEntries,
    flowWays: i.flowWays,
    flowStash: i.flowStash,
    listenEntries: i.listenEntries,
    listenGroups: i.listenGroups,
    addressSlots: i.addressSlots,
  };
}

/** Reads one PHY (registers 0..5, 9, 10; BMSR twice); undefined registers when nothing answers. */
async function readPhy(mdio: Mdio, phy: number): Promise<{ answered: boolean; registers?: PhyRegisters }> {
  const id1 = await mdio.read(phy, MII.PHYID1);
  if (!id1.answered) return { answered: false };
  const v = async (reg: number) => (await mdio.read(phy, reg)).value;
  const bmcr = await v(MII.BMCR);
  const bmsrFirst = await v(MII.BMSR);
  const bmsr = await v(MII.BMSR);
  return {
    answered: true,
    registers: { bmcr, bmsrFirst, bmsr, phyId1: id1.value, phyId2: await v(MII.PHYID2), anar: await v(MII.ANAR), anlpar: await v(MII.ANLPAR), gbcr: await v(MII.GBCR), gbsr: await v(MII.GBSR) },
  };
}

export async function readBoardStatus(adapter: Adapter, phyAddresses: readonly number[] = DEFAULT_PHY_ADDRESSES): Promise<BoardStatus> {
  const mdio = Mdio.open(adapter);
  const identity = await readIdentity(adapter);
  const ports: PortStatus[] = [];
  for (let port = 0; port < PORT_ROLES.length; port++) {
    const phyAddress = phyAddresses[port] ?? DEFAULT_PHY_ADDRESSES[port];
    const { answered, registers } = await readPhy(mdio, phyAddress);
    const status: PortStatus = { port, role: PORT_ROLES[port], phyAddress, answered };
    if (registers) {
      status.registers = registers;
      status.link = resolveLink(registers);
      status.problem = linkProblem(port, status.link);
    }
    ports.push(status);
  }
  let physAnswering: number[] | undefined;
  if (ports.some((p) => !p.answered)) {
    physAnswering = [];
    for (let a = 0; a < 32; a++) if ((await mdio.read(a, MII.PHYID1)).answered) physAnswering.push(a);
    for (const p of ports) {
      if (p.answered) continue;
      const others = physAnswering.filter((a) => !ports.some((q) => q.answered && q.phyAddress === a));
      p.problem = others.length
        ? `port ${p.port}: no PHY answered at MDIO address ${p.phyAddress}; PHYs answer at ${others.join(', ')}: give the right one with --phy-addr ${p.port}:N`
        : `port ${p.port}: no PHY answered at MDIO address ${p.phyAddress}, nor at any other free address — check MDC (R5) and MDIO (T4) and that the PHY is powered`;
    }
  }
  const egress = await EgressTable.open(adapter);
  const e = await egress.counters();
  const core = await adapter.counters();
  const counters: PortCounters[] = [
    { rxFrames: core.rxFrames, rxBad: e.p0RxBad, txFrames: e.p0TxFrames },
    { rxFrames: e.p0TxFrames, rxBad: e.p1RxBad, txFrames: e.p1TxFrames },
  ];
  const problems = ports.flatMap((p) => (p.problem ? [p.problem] : []));
  return { identity, ports, counters, ...(physAnswering ? { physAnswering } : {}), problems };
}

/** "port 0:A,1:B" → addresses by port; an error naming the bad part otherwise. */
export function parsePhyAddresses(text: string): number[] {
  const out = [...DEFAULT_PHY_ADDRESSES];
  for (const part of text.split(',')) {
    const m = /^\s*([01])\s*:\s*(\d{1,2})\s*$/.exec(part);
    if (!m || Number(m[2]) > 31) throw new Error(`--phy-addr "${part}" is not PORT:ADDRESS (port 0 or 1, MDIO address 0..31), like 0:0,1:1`);
    out[Number(m[1])] = Number(m[2]);
  }
  return out;
}

const mhz = (hz: number) => (hz >= 1e6 ? `${(hz / 1e6).toFixed(2)} MHz` : `${(hz / 1e3).toFixed(1)} kHz`);

/** The status as text, for people. */
export function formatBoardStatus(s: BoardStatus): string {
  const i = s.identity;
  const lines = [
    `design: ${i.buildTime ? `built ${i.buildTime} (build id ${i.buildId})` : 'build id not set (a simulation, or a build that did not set it)'}, git ${i.gitHash ?? 'not set'}${i.gitDirty ? ' with uncommitted changes' : ''}`,
    `  clock ${mhz(i.clkHz)}, UART ${i.baud} baud, MDC ${mhz(i.mdcHz)}`,
    `  data width ${i.dataWidth}, ${i.queues} queues, frames up to ${i.maxFrame} bytes, ${i.flowEntries} flow entries (${i.flowWays} ways, stash ${i.flowStash}), ${i.listenEntries} listen entries (${i.listenGroups} groups), ${i.addressSlots} address slots`,
  ];
  for (const p of s.ports) {
    const c = s.counters[p.port];
    let phy: string;
    if (!p.answered || !p.link) phy = `no PHY answers at MDIO address ${p.phyAddress}`;
    else {
      const l = p.link;
      const mode = !l.up ? 'no link' : l.speed ? `link up, ${l.speed} Mb/s ${l.duplex} duplex` : 'link up, speed not resolved';
      const an = l.autoNegotiation === 'on' ? (l.autoNegotiationComplete ? 'auto-negotiated' : 'auto-negotiation not complete') : 'auto-negotiation off';
      const dropped = l.wentDownSinceLastRead ? '; the link was down since the PHY was last read (or since power-up)' : '';
      phy = `PHY 0x${hex8(l.phyId)} at MDIO address ${p.phyAddress}: ${mode} (${an})${dropped}`;
    }
    lines.push(`port ${p.port} (${p.role}): ${phy}`);
    lines.push(
      p.port === 0
        ? `  rx ${c.rxFrames} frames into the core, ${c.rxBad} bad; tx ${c.txFrames} frames (from port 1)`
        : `  rx ${c.rxFrames} frames passed to port 0, ${c.rxBad} bad; tx ${c.txFrames} frames (from the queues)`,
    );
  }
  if (s.physAnswering) lines.push(`PHYs answering on the MDIO bus: ${s.physAnswering.length ? s.physAnswering.join(', ') : 'none'}`);
  if (s.problems.length) lines.push(...s.problems);
  else lines.push('both links are 1000BASE-T full duplex');
  return lines.join('\n');
}
