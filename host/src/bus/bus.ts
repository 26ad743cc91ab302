// The register bus: the one seam between the driver and whatever holds the registers — the
// in-process Verilated model (sim-bus.ts), `sipnic sim serve` or the cluster's adapter over a
// Unix socket (socket-bus.ts), the board or `sim serve --pty` over a serial line
// (serial-bus.ts). This file holds only what they all share: the interface, its error and the
// batch op codes (checks and the fallback runner are in batch.ts).
import { CodedError } from '../util/errors.js';

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

export class BusError extends CodedError<BusErrorCode> {
  override readonly name = 'BusError';
}
