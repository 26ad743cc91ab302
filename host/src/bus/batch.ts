// What every RegisterBus implementation checks before it touches the registers, and the
// fallback that runs a batch through single accesses for a bus without a native batch.
import { BUS_OP, BusError, type RegisterBus } from './bus.js';

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

/** Runs a batch: the bus's own batch when it has one, else through single accesses. */
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

/** The [addr, value] of each write triple in a batch (a malformed batch fails later, in runBatch). */
export function* writesOf(ops: Uint32Array): Generator<[number, number]> {
  for (let i = 0; i + 2 < ops.length; i += 3) if (ops[i] === BUS_OP.write) yield [ops[i + 1], ops[i + 2]];
}
