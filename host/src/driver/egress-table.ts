// The egress block of the two-port NIC (rtl/sipnic_nic.v, the board): per-queue destination
// MACs for frames sent to the cluster port, the rewrite switch and the ports' counters; and the
// cluster MAC that frames passed from the cluster port to the clients' port get as source (and
// untagged ARP as sender address) while its switch is on. A bare sipnic_core (the in-process
// simulator) has no such block: EgressTable.open says so.
import type { RegisterBus } from '../bus/bus.js';
import { formatMac, parseMac } from '../codec/mac.js';
import { DriverError } from './errors.js';
import { FIELDS, getField, putField, type BlockName } from './regs.generated.js';
import { registerAddress, type BlockBases } from './registers.js';
import type { TableContext } from './table-context.js';

export interface EgressCounters {
  /** Port 0 (clients) frames dropped as bad (FCS, rx error, too long, receive overflow). */
  p0RxBad: number;
  /** Port 1 (cluster) frames dropped as bad. */
  p1RxBad: number;
  /** Queue frames sent to port 1. */
  p1TxFrames: number;
  /** Port 1 frames passed to port 0. */
  p0TxFrames: number;
}

type EgressRegister = 'CONTROL' | 'P0_RX_BAD' | 'P1_RX_BAD' | 'P1_TX_FRAMES' | 'P0_TX_FRAMES' | 'MAC_HI' | 'MAC_LO' | 'CLUSTER_MAC_HI' | 'CLUSTER_MAC_LO';
type ControlSwitch = 'REWRITE_MAC' | 'REWRITE_SRC';
const F = FIELDS.egress;

export class EgressTable {
  constructor(
    readonly bus: RegisterBus,
    /** Byte address of the egress block. */
    readonly base: number,
    /** Queues, one MAC each. */
    readonly queues: number,
    /** The block has CLUSTER_MAC and CONTROL.REWRITE_SRC (egress VERSION 1.1 and later; a bitstream built before has not). */
    readonly hasSrcRewrite = true,
  ) {}

  /** The egress block of an opened adapter; ENOBLOCK when the adapter has none (a bare core). */
  static async open(adapter: Pick<TableContext, 'bus' | 'reg'> & { has(block: BlockName): boolean }): Promise<EgressTable> {
    if (!adapter.has('egress')) {
      throw new DriverError('ENOBLOCK', 'this adapter has no egress block (per-queue MACs exist on the two-port NIC, sipnic_nic / the board, not on a bare core)');
    }
    const base = adapter.reg('egress', 'TYPE');
    const queues = await adapter.bus.read(adapter.reg('egress', 'QUEUES'));
    const version = await adapter.bus.read(adapter.reg('egress', 'VERSION'));
    return new EgressTable(adapter.bus, base, queues, (version & 0xffff) >= 0x0100);
  }

  private addr(name: EgressRegister, index = 0): number {
    // the table knows only its own block's base
    return registerAddress({ egress: this.base } as BlockBases, 'egress', name, index);
  }

  private checkSrcRewrite(): void {
    if (!this.hasSrcRewrite) {
      throw new DriverError('EVERSION', "this adapter's egress block (VERSION 1.0, a bitstream built before the source rewrite) has no cluster MAC: build and load a newer bitstream");
    }
  }

  private checkQueue(queue: number): void {
    if (!Number.isInteger(queue) || queue < 0 || queue >= this.queues) {
      throw new DriverError('EQUEUE', `queue ${queue} does not exist: the adapter has ${this.queues} queues (0..${this.queues - 1})`);
    }
  }

  /** The destination MAC frames of `queue` get on port 1. */
  async getMac(queue: number): Promise<Uint8Array> {
    this.checkQueue(queue);
    return this.readMac('MAC_HI', 'MAC_LO', queue);
  }

  async setMac(queue: number, mac: Uint8Array | string): Promise<void> {
    this.checkQueue(queue);
    await this.writeMac('MAC_HI', 'MAC_LO', queue, mac);
  }

  /** The source MAC frames passed from port 1 to port 0 get while the source rewrite is on. */
  async getClusterMac(): Promise<Uint8Array> {
    this.checkSrcRewrite();
    return this.readMac('CLUSTER_MAC_HI', 'CLUSTER_MAC_LO', 0);
  }

  async setClusterMac(mac: Uint8Array | string): Promise<void> {
    this.checkSrcRewrite();
    await this.writeMac('CLUSTER_MAC_HI', 'CLUSTER_MAC_LO', 0, mac);
  }

  /** bytes 0..1 from hi, 2..5 from lo, each big-endian (the first byte on the wire highest) */
  private async readMac(hi: 'MAC_HI' | 'CLUSTER_MAC_HI', lo: 'MAC_LO' | 'CLUSTER_MAC_LO', index: number): Promise<Uint8Array> {
    const hiWord = await this.bus.read(this.addr(hi, index));
    const loWord = await this.bus.read(this.addr(lo, index));
    const mac = new Uint8Array(6);
    const view = new DataView(mac.buffer);
    view.setUint16(0, getField(F[hi].ADDR, hiWord), false);
    view.setUint32(2, getField(F[lo].ADDR, loWord), false);
    return mac;
  }

  /** bytes 0..1 into hi, 2..5 into lo, each big-endian (the first byte on the wire highest) */
  private async writeMac(hi: 'MAC_HI' | 'CLUSTER_MAC_HI', lo: 'MAC_LO' | 'CLUSTER_MAC_LO', index: number, mac: Uint8Array | string): Promise<void> {
    const b = typeof mac === 'string' ? parseMac(mac) : mac;
    if (b.length !== 6) throw new DriverError('ENOREG', `a MAC address has 6 bytes, not ${b.length}`);
    const view = new DataView(b.buffer, b.byteOffset, 6);
    await this.bus.write(this.addr(hi, index), putField(F[hi].ADDR, view.getUint16(0, false)));
    await this.bus.write(this.addr(lo, index), putField(F[lo].ADDR, view.getUint32(2, false)));
  }

  /** Every queue's MAC. */
  async list(): Promise<{ queue: number; mac: string }[]> {
    const out: { queue: number; mac: string }[] = [];
    for (let q = 0; q < this.queues; q++) out.push({ queue: q, mac: formatMac(await this.getMac(q)) });
    return out;
  }

  /** Whether queue frames leave port 1 with their queue's MAC as destination. */
  async rewriteEnabled(): Promise<boolean> {
    return getField(F.CONTROL.REWRITE_MAC, await this.bus.read(this.addr('CONTROL'))) === 1;
  }

  async setRewrite(on: boolean): Promise<void> {
    await this.setControl('REWRITE_MAC', on);
  }

  /**
   * Whether port 1 frames reach port 0 with the cluster MAC as source (and, in untagged ARP, as
   * sender hardware address).
   */
  async srcRewriteEnabled(): Promise<boolean> {
    this.checkSrcRewrite();
    return getField(F.CONTROL.REWRITE_SRC, await this.bus.read(this.addr('CONTROL'))) === 1;
  }

  async setSrcRewrite(on: boolean): Promise<void> {
    this.checkSrcRewrite();
    await this.setControl('REWRITE_SRC', on);
  }

  /** One CONTROL switch, the others kept (read, modify, write). */
  private async setControl(field: ControlSwitch, on: boolean): Promise<void> {
    const word = await this.bus.read(this.addr('CONTROL'));
    const f = F.CONTROL[field];
    await this.bus.write(this.addr('CONTROL'), ((word & ~f.mask) | putField(f, on ? 1 : 0)) >>> 0);
  }

  async counters(): Promise<EgressCounters> {
    const r = (n: EgressRegister) => this.bus.read(this.addr(n));
    return { p0RxBad: await r('P0_RX_BAD'), p1RxBad: await r('P1_RX_BAD'), p1TxFrames: await r('P1_TX_FRAMES'), p0TxFrames: await r('P0_TX_FRAMES') };
  }
}
