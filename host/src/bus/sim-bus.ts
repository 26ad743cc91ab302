// The register bus of a Verilated model in this process (tests, `sim replay`, `sim serve`, the
// cluster's adapter): each access is one call into the addon.
import type { Sim } from '../../../sim/addon.js';
import { BusError, type RegisterBus } from './bus.js';
import { checkAddress, checkBatch } from './batch.js';

export class SimBus implements RegisterBus {
  private closed = false;
  constructor(
    readonly sim: Sim,
    private readonly options: { closeSim?: boolean } = {},
  ) {}

  private check(): void {
    if (this.closed) throw new BusError('ECLOSED', 'register bus is closed');
  }

  async read(addr: number): Promise<number> {
    this.check();
    checkAddress(addr);
    return this.sim.regRead(addr) >>> 0;
  }

  async write(addr: number, value: number): Promise<void> {
    this.check();
    checkAddress(addr);
    this.sim.regWrite(addr, value >>> 0);
  }

  async batch(ops: Uint32Array): Promise<Uint32Array> {
    this.check();
    checkBatch(ops);
    return this.sim.regBatch(ops);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.options.closeSim) this.sim.close();
  }
}
