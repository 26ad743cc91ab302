// What every RegisterBus implementation checks before it touches the registers, the fallback
// that runs a batch through single accesses for a bus without a native batch, and the runner
// a served bus uses for batches from its clients (polls bounded, the event loop never held).
import { setImmediate as nextTurn } from 'node:timers/promises';
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

/** How long a served batch's polls may go on (runBoundedBatch). */
export interface PollBounds {
  /** Reads one request's polls may make in all beyond each poll's first read; one more is ETIMEDOUT. */
  maxReads: number;
  /** Reads between two turns of the event loop. */
  readsPerTurn: number;
}

/**
 * Polls a served register bus makes for one request: 100,000 repeated reads in all (about half
 * a second of the Verilated model at ~5 µs a read; the driver's polls end after a few reads,
 * a clear of the whole flow table after a few thousand), with the event loop free between
 * slices of 256 reads. The model's own limit (a million reads per poll op, ~5 s, in one call)
 * is never reached through a server.
 */
export const SERVED_POLLS: PollBounds = { maxReads: 100_000, readsPerTurn: 256 };

/**
 * Runs a batch for a client of a served bus: the same accesses as runBatch, in order, but each
 * poll's repeated reads are made here, bounded by bounds.maxReads for the whole request (then
 * BusError ETIMEDOUT naming the op; the ops before it have run, as with a poll that times out
 * in the model), yielding to the event loop every bounds.readsPerTurn reads. Everything up to
 * and including a poll's first read is one call of the bus's batch, so a batch whose polls
 * end at once costs one call per poll.
 */
export async function runBoundedBatch(bus: RegisterBus, ops: Uint32Array, bounds: PollBounds = SERVED_POLLS): Promise<Uint32Array> {
  checkBatch(ops);
  const out = new Uint32Array(ops.length / 3);
  let from = 0;
  let reads = 0;
  let sinceTurn = 0;
  for (let i = 0; i < ops.length; i += 3) {
    if (ops[i] !== BUS_OP.poll) continue;
    const addr = ops[i + 1];
    const mask = ops[i + 2];
    // the ops before the poll and its first read, in one call
    const part = ops.slice(from, i + 3);
    part[part.length - 3] = BUS_OP.read;
    out.set(await runBatch(bus, part), from / 3);
    let v = out[i / 3];
    while ((v & mask) !== 0) {
      if (reads >= bounds.maxReads) {
        throw new BusError('ETIMEDOUT', `batch op ${i / 3} (poll): register 0x${addr.toString(16)} & 0x${mask.toString(16)} still non-zero after ${reads} repeated reads; a request's polls may read at most ${bounds.maxReads} times`);
      }
      if (++sinceTurn >= bounds.readsPerTurn) {
        sinceTurn = 0;
        await nextTurn();
      }
      v = await bus.read(addr);
      reads++;
    }
    out[i / 3] = v;
    from = i + 3;
  }
  if (from < ops.length) out.set(await runBatch(bus, ops.subarray(from)), from / 3);
  return out;
}
