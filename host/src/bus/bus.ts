// The register bus: the one seam between the driver and whatever holds the registers (the
// in-process Verilated model, `sipnic sim serve` over a socket, later a serial link).
import type { Sim } from '../../../sim/addon.js';

/** Batch op codes: a batch is a Uint32Array of triples [op, addr, value]. */
export const BUS_OP = { read: 0, write: 1, poll: 2 } as const;

export interface RegisterBus {
  read(addr: number): Promise<number>;
  write(addr: number, value: number): Promise<void>;
  /**
   * Runs triples [op, addr, value] in order: 0 read, 1 write, 2 poll (read addr until
   * (v & value) == 0). Returns one word per op: the value read, the final polled value, or 0
   * for a write. Optional: the driver falls back to single accesses without it.
   */
  batch?(ops: Uint32Array): Promise<Uint32Array>;
  close(): Promise<void>;
}

export type BusErrorCode = 'ENOSIM' | 'ECLOSED' | 'EPROTO' | 'ETIMEDOUT' | 'EBUSY' | 'EADDR' | 'EREMOTE';

export class BusError extends Error {
  override readonly name = 'BusError';
  constructor(
    readonly code: BusErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Throws when addr is not a 4-byte aligned 16-bit byte address. */
export function checkAddress(addr: number): void {
  if (!Number.isInteger(addr) || addr < 0 || addr > 0xfffc || addr % 4 !== 0) {
    throw new BusError('EADDR', `register address ${addr} is not a 4-byte aligned address in 0..0xFFFC`);
  }
}

/** Checks the shape of a batch: whole triples, known ops, valid addresses. */
export function checkBatch(ops: Uint32Array): void {
  if (ops.length % 3 !== 0) throw new BusError('EPROTO', `batch length ${ops.length} is not a multiple of 3`);
  for (let i = 0; i < ops.length; i += 3) {
    if (ops[i] > 2) throw new BusError('EPROTO', `batch op ${ops[i]} at ${i / 3} is not 0 (read), 1 (write) or 2 (poll)`);
    checkAddress(ops[i + 1]);
  }
}

/** Runs a batch through single accesses: for buses without a native batch. */
export async function runBatch(bus: RegisterBus, ops: Uint32Array, maxPolls = 1_000_000): Promise<Uint32Array> {
  if (bus.batch) return bus.batch(ops);
  checkBatch(ops);
  const out = new Uint32Array(ops.length / 3);
  for (let i = 0, k = 0; i < ops.length; i += 3, k++) {
    const [op, addr, value] = [ops[i], ops[i + 1], ops[i + 2]];
    if (op === BUS_OP.read) out[k] = await bus.read(addr);
    else if (op === BUS_OP.write) await bus.write(addr, value);
    else {
      let v = await bus.read(addr);
      for (let n = 0; (v & value) !== 0; n++) {
        if (n >= maxPolls) throw new BusError('ETIMEDOUT', `register 0x${addr.toString(16)} still has bits 0x${value.toString(16)} set after ${maxPolls} polls`);
        v = await bus.read(addr);
      }
      out[k] = v;
    }
  }
  return out;
}

/** The register bus of a simulator in this process. */
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
