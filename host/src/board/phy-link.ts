// What a PHY's clause 22 registers say about its link, resolved the IEEE 802.3 way from reads
// alone (nothing is written): BMSR's link bit is latched low, so it is read twice (the first read
// tells whether the link went down since the PHY was last read, the second how it is now); the
// speed and duplex are the highest mode both ends advertise, 1000BASE-T first (registers 9 and 10,
// clause 40) then 100/10 (registers 4 and 5, clause 28 priority order), or BMCR's forced mode
// when auto-negotiation is off. And the one line a user needs when the design cannot pass frames.

/** Clause 22 registers read from one PHY (BMSR twice). */
export interface PhyRegisters {
  bmcr: number; // 0
  bmsrFirst: number; // 1, first read (latched-low link bit: went down since the last read?)
  bmsr: number; // 1, second read (the link now)
  phyId1: number; // 2
  phyId2: number; // 3
  anar: number; // 4
  anlpar: number; // 5
  gbcr: number; // 9
  gbsr: number; // 10
}

export type Duplex = 'full' | 'half';

export interface PhyLink {
  up: boolean;
  /** Mb/s, undefined while the link is down or auto-negotiation has not completed. */
  speed?: 1000 | 100 | 10;
  duplex?: Duplex;
  autoNegotiation: 'on' | 'off';
  /** BMSR's auto-negotiation complete bit. */
  autoNegotiationComplete: boolean;
  /** The first BMSR read had the link bit low: the link was down at some time since the PHY was last read (or since power-up). */
  wentDownSinceLastRead: boolean;
  /** PHY identifier: OUI bits and model from registers 2 and 3, as 0x001cc916. */
  phyId: number;
}

export const MII = { BMCR: 0, BMSR: 1, PHYID1: 2, PHYID2: 3, ANAR: 4, ANLPAR: 5, GBCR: 9, GBSR: 10 } as const;

const BMCR_AN_ENABLE = 1 << 12;
const BMCR_SPEED_LSB = 1 << 13;
const BMCR_SPEED_MSB = 1 << 6;
const BMCR_DUPLEX = 1 << 8;
const BMSR_LINK = 1 << 2;
const BMSR_AN_COMPLETE = 1 << 5;
const GBCR_1000_FULL = 1 << 9;
const GBCR_1000_HALF = 1 << 8;
const GBSR_LP_1000_FULL = 1 << 11;
const GBSR_LP_1000_HALF = 1 << 10;
/** ANAR/ANLPAR technology bits, highest priority first (802.3 annex 28B.3; 100BASE-T4 is half duplex). */
const AN_MODES: { bit: number; speed: 100 | 10; duplex: Duplex }[] = [
  { bit: 1 << 8, speed: 100, duplex: 'full' },
  { bit: 1 << 9, speed: 100, duplex: 'half' },
  { bit: 1 << 7, speed: 100, duplex: 'half' },
  { bit: 1 << 6, speed: 10, duplex: 'full' },
  { bit: 1 << 5, speed: 10, duplex: 'half' },
];

/** The link from the registers (pure: tests give it register values). */
export function resolveLink(r: PhyRegisters): PhyLink {
  const up = (r.bmsr & BMSR_LINK) !== 0;
  const an = (r.bmcr & BMCR_AN_ENABLE) !== 0;
  const anComplete = (r.bmsr & BMSR_AN_COMPLETE) !== 0;
  const link: PhyLink = {
    up,
    autoNegotiation: an ? 'on' : 'off',
    autoNegotiationComplete: anComplete,
    wentDownSinceLastRead: (r.bmsrFirst & BMSR_LINK) === 0,
    phyId: ((r.phyId1 << 16) | r.phyId2) >>> 0,
  };
  if (!up) return link;
  if (!an) {
    const msb = (r.bmcr & BMCR_SPEED_MSB) !== 0;
    const lsb = (r.bmcr & BMCR_SPEED_LSB) !== 0;
    link.speed = msb && !lsb ? 1000 : !msb && lsb ? 100 : !msb && !lsb ? 10 : undefined;
    link.duplex = (r.bmcr & BMCR_DUPLEX) !== 0 ? 'full' : 'half';
    return link;
  }
  if (!anComplete) return link;
  if (r.gbcr & GBCR_1000_FULL && r.gbsr & GBSR_LP_1000_FULL) return { ...link, speed: 1000, duplex: 'full' };
  if (r.gbcr & GBCR_1000_HALF && r.gbsr & GBSR_LP_1000_HALF) return { ...link, speed: 1000, duplex: 'half' };
  const common = r.anar & r.anlpar;
  const mode = AN_MODES.find((m) => common & m.bit);
  if (mode) return { ...link, speed: mode.speed, duplex: mode.duplex };
  return link;
}

/** Why a port passes no frames, or undefined when its link is 1000BASE-T full duplex (what the design needs). */
export function linkProblem(port: number, link: PhyLink): string | undefined {
  if (!link.up) return `port ${port}: no link — check the cable and that the other end is powered and enabled`;
  if (link.speed === undefined) {
    return link.autoNegotiation === 'on' && !link.autoNegotiationComplete
      ? `port ${port}: link up but auto-negotiation has not completed — read the status again in a few seconds; if it stays so, check the other end's settings`
      : `port ${port}: link up at a speed the PHY's registers do not name — the design needs 1000BASE-T full duplex: check the other end's settings`;
  }
  if (link.speed !== 1000) {
    return `port ${port}: link at ${link.speed} Mb/s${link.duplex === 'half' ? ' half duplex' : ''} — the design needs 1000BASE-T: check the cable/switch port`;
  }
  if (link.duplex !== 'full') return `port ${port}: link at 1000 Mb/s half duplex — the design needs full duplex: check the other end's settings`;
  return undefined;
}
