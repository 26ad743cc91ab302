// A batch of register operations, built up and then sent in one bus round trip: a table
// command is staged, polled for not-busy and its result read without a wait in between.
import { BUS_OP, type RegisterBus } from '../bus/bus.js';
import { runBatch } from '../bus/batch.js';

/** A batch of triples being built, with the index of each op's result word. */
export class Ops {
  private words: number[] = [];
  read(addr: number): number {
    this.words.push(BUS_OP.read, addr, 0);
    return this.words.length / 3 - 1;
  }
  write(addr: number, value: number): void {
    this.words.push(BUS_OP.write, addr, value >>> 0);
  }
  poll(addr: number, mask: number): number {
    this.words.push(BUS_OP.poll, addr, mask);
    return this.words.length / 3 - 1;
  }
  get length(): number {
    return this.words.length / 3;
  }
  run(bus: RegisterBus): Promise<Uint32Array> {
    return runBatch(bus, Uint32Array.from(this.words));
  }
}
