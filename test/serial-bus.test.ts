// SerialBus against a scripted far end (test/support/fake-serial-board.ts): how batches become
// commands, what a lost or damaged byte costs, and what a failure says. The real bridge, the
// real serialport package and a real PTY are in serial.test.ts and serial-faults.test.ts.
// The clock is vitest's fake one: the bus's timeouts and the fake board's answers happen at
// exact virtual times, so a busy machine cannot turn a 1 ms answer into a 21 ms timeout.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { BUS_OP, BusError } from '../host/src/bus/bus.js';
import { SerialBus } from '../host/src/bus/serial-bus.js';
import { decodeCommand } from '../host/src/bus/serial-protocol.js';
import { FakeSerialBoard } from './support/fake-serial-board.js';

const { read: R, write: W, poll: P } = BUS_OP;
const ops = (...triples: number[][]) => Uint32Array.from(triples.flat());
const fast = { latencyMs: 20, baud: 1_000_000 };

beforeEach(() => void vi.useFakeTimers());
afterEach(() => void vi.useRealTimers());

/** Moves the fake clock from timer to timer (the bus's and the fake board's) until p settles. */
async function settled<T>(p: Promise<T>): Promise<T> {
  let done = false;
  p.then(
    () => (done = true),
    () => (done = true),
  );
  for (let i = 0; !done; i++) {
    if (i > 10_000) throw new Error('the bus never settled: 10,000 timers fired');
    await vi.advanceTimersToNextTimerAsync();
  }
  return p;
}

/** The flow block's insert batch as the driver builds it (host/src/driver.ts FlowTable.command). */
function insertBatch(): Uint32Array {
  const t: number[][] = [[P, 0x244, 1]];
  for (let i = 0; i < 7; i++) t.push([W, 0x220 + 4 * i, 0x100 + i]);
  t.push([W, 0x240, 1], [P, 0x244, 1]);
  for (let a = 0x248; a <= 0x26c; a += 4) t.push([R, a, 0]);
  return ops(...t);
}

describe('SerialBus batches', () => {
  it('packs a flow insert (18 accesses, two polls) into four reliable commands', async () => {
    const board = new FakeSerialBoard();
    for (let a = 0x248; a <= 0x26c; a += 4) board.regs.set(a, a * 3);
    const bus = new SerialBus(board, fast);
    const out = await settled(bus.batch(insertBatch()));
    const cmds = board.frames.map((f) => decodeCommand(f)!);
    expect(cmds.map((c) => [c.op, c.addr, c.len, c.fixed])).toEqual([
      ['read', 0x244, 1, false],
      ['write', 0x220, 7, false],
      ['write', 0x240, 1, false],
      ['read', 0x244, 11, false],
    ]);
    expect(board.executed).toEqual([...Array.from({ length: 7 }, (_, i) => [0x220 + 4 * i, 0x100 + i]), [0x240, 1]]);
    expect(Array.from(out.subarray(10))).toEqual(Array.from({ length: 10 }, (_, i) => (0x248 + 4 * i) * 3));
    expect(bus.stats).toMatchObject({ commands: 4, retries: 0 });
  });

  it('uses fixed-address commands for repeated accesses and splits runs at 16 words', async () => {
    const board = new FakeSerialBoard();
    board.regs.set(0x1c, 7);
    const bus = new SerialBus(board, fast);
    const t: number[][] = [[W, 0x1c, 1], [W, 0x1c, 2], [W, 0x1c, 3], [R, 0x1c, 0], [R, 0x1c, 0]];
    for (let i = 0; i < 20; i++) t.push([W, 0x400 + 4 * i, i]);
    const out = await settled(bus.batch(ops(...t)));
    const cmds = board.frames.map((f) => decodeCommand(f)!);
    expect(cmds.map((c) => [c.op, c.addr, c.len, c.fixed])).toEqual([
      ['write', 0x1c, 3, true],
      ['read', 0x1c, 2, true],
      ['write', 0x400, 16, false],
      ['write', 0x440, 4, false],
    ]);
    expect(Array.from(out.subarray(3, 5))).toEqual([3, 3]);
    expect(board.regs.get(0x44c)).toBe(19);
  });

  it('repeats a poll with its following reads until the bits clear', async () => {
    const board = new FakeSerialBoard({ busy: { addr: 0x244, reads: 3, value: 0x31 } });
    board.regs.set(0x244, 0x30);
    board.regs.set(0x248, 0x80000000);
    const bus = new SerialBus(board, fast);
    const out = await settled(bus.batch(ops([P, 0x244, 1], [R, 0x248, 0])));
    expect(board.frames.length).toBe(4);
    expect(Array.from(out)).toEqual([0x30, 0x80000000]);
  });

  it('fails a poll that never clears, naming the register and the count', async () => {
    const board = new FakeSerialBoard({ busy: { addr: 0x244, reads: 1e9, value: 1 } });
    const bus = new SerialBus(board, { ...fast, maxPolls: 5 });
    await expect(settled(bus.batch(ops([P, 0x244, 1])))).rejects.toThrow(/\/dev\/fake-board: register 0x0244 still has bits 0x00000001 set after 5 polls/);
  });

  it('runs concurrent calls one at a time', async () => {
    const board = new FakeSerialBoard();
    board.regs.set(0x10, 1).set(0x14, 2);
    const bus = new SerialBus(board, fast);
    const [a, b] = await settled(Promise.all([bus.read(0x10), bus.read(0x14), bus.write(0x18, 3)]));
    expect([a, b, board.regs.get(0x18)]).toEqual([1, 2, 3]);
  });
});

describe('SerialBus recovery', () => {
  it('resends after a lost answer, and the adapter answers from its cache instead of executing twice', async () => {
    const board = new FakeSerialBoard();
    board.faults.push('drop-answer');
    const bus = new SerialBus(board, fast);
    await settled(bus.write(0x1c, 0xabcd));
    expect(board.frames.length).toBe(2);
    expect(board.frames[1]).toEqual(board.frames[0]); // the same bytes, the same seq
    expect(board.executed).toEqual([[0x1c, 0xabcd]]);
    expect(bus.stats).toMatchObject({ commands: 1, retries: 1, timeouts: 1, replays: 1 });
  });

  it('waits for the bridge to forget a damaged frame (100 ms of silence) before resending', async () => {
    const board = new FakeSerialBoard();
    board.faults.push('damage-command', 'damage-both');
    const bus = new SerialBus(board, fast);
    await settled(bus.write(0x20, 9));
    expect(board.frames.length).toBe(3);
    expect(board.executed).toEqual([[0x20, 9]]);
    expect(bus.stats).toMatchObject({ commands: 1, retries: 2, naks: 1, badAnswers: 1, replays: 0, quickRetries: 0 });
    expect(board.times[1] - board.times[0]).toBeGreaterThan(100);
    // a NAK with one byte damaged is still a NAK: the bridge is discarding, wait too
    expect(board.times[2] - board.times[1]).toBeGreaterThan(100);
    expect(bus.stats.quietWaitMs).toBeGreaterThan(200);
  });

  it("resends a write at once when its 6-byte ok answer came back with one byte damaged or lost", async () => {
    const board = new FakeSerialBoard();
    board.faults.push('damage-answer', 'cut-answer');
    const bus = new SerialBus(board, fast);
    await settled(bus.write(0x20, 9));
    expect(board.frames.length).toBe(3);
    expect(board.executed).toEqual([[0x20, 9]]);
    expect(board.times[1] - board.times[0]).toBeLessThan(60);
    expect(board.times[2] - board.times[1]).toBeLessThan(60);
    expect(bus.stats).toMatchObject({ commands: 1, retries: 2, quickRetries: 2, replays: 1, quietWaitMs: 0 });
  });

  it("waits the adapter's own silence timeout (bridgeSilenceMs), counted from the last byte on the line", async () => {
    const board = new FakeSerialBoard();
    board.faults.push('damage-command');
    const bus = new SerialBus(board, { ...fast, bridgeSilenceMs: 5, silenceMs: 15 });
    await settled(bus.write(0x20, 9));
    expect(board.frames.length).toBe(2);
    // the NAK arrives 1-2 ms after the command; the resend 15 ms after the NAK's last byte
    expect(board.times[1] - board.times[0]).toBeGreaterThan(15);
    expect(board.times[1] - board.times[0]).toBeLessThan(80);
    expect(() => new SerialBus(board, { bridgeSilenceMs: 5, silenceMs: 5 })).toThrow(/silenceMs 5 must exceed the bridge's 5 ms/);
  });

  it('resends at once when the whole good answer to a read came back damaged', async () => {
    const board = new FakeSerialBoard();
    board.regs.set(0x20, 1).set(0x24, 2);
    board.faults.push('damage-answer', 'drop-answer');
    const bus = new SerialBus(board, fast);
    expect(Array.from(await settled(bus.batch(ops([R, 0x20, 0], [R, 0x24, 0]))))).toEqual([1, 2]);
    expect(board.frames.length).toBe(3);
    expect(board.times[1] - board.times[0]).toBeLessThan(60);
    // nothing came back at all: the command may not have arrived whole, so wait
    expect(board.times[2] - board.times[1]).toBeGreaterThan(100);
    expect(bus.stats).toMatchObject({ commands: 1, retries: 2, quickRetries: 1, replays: 1 });
  });

  it('takes an answer that comes after the timeout but before the resend', async () => {
    const board = new FakeSerialBoard();
    board.regs.set(0x1c, 5);
    board.faults.push('late-answer');
    const bus = new SerialBus(board, fast); // timeout 21 ms, resend after 120 ms
    expect(await settled(bus.read(0x1c))).toBe(5);
    expect(board.frames.length).toBe(1);
    expect(bus.stats).toMatchObject({ commands: 1, timeouts: 1, lateAnswers: 1, retries: 0 });
  });

  it('waits past the timeout for an answer whose bytes are still coming in', async () => {
    const board = new FakeSerialBoard();
    board.regs.set(0x1c, 6);
    board.faults.push('slow-answer');
    const bus = new SerialBus(board, fast); // timeout 21 ms; the 10-byte answer takes 28 ms
    expect(await settled(bus.read(0x1c))).toBe(6);
    expect(board.frames.length).toBe(1);
    expect(bus.stats).toMatchObject({ commands: 1, timeouts: 0, retries: 0 });
  });

  it('ignores a late answer to the previous sequence number', async () => {
    const board = new FakeSerialBoard();
    board.regs.set(0x20, 77);
    const bus = new SerialBus(board, { ...fast, seq: 0x90 });
    await settled(bus.read(0x1c)); // answer: seq 0x90, value 0
    board.faults.push('stale-answer-first'); // 0x90's answer again, then 0x91's
    expect(await settled(bus.read(0x20))).toBe(77);
    expect(board.frames.map((f) => f[1])).toEqual([0x90, 0x91]);
    expect(bus.stats.retries).toBe(0);
  });

  it('gives up after the retries with the device, the command and what went wrong', async () => {
    const board = new FakeSerialBoard({ path: '/dev/ttyUSB7' });
    board.silent = true;
    const bus = new SerialBus(board, { ...fast, retries: 2, seq: 0x85 });
    const err = await settled(bus.write(0x1c, 5).catch((e: unknown) => e));
    expect(err).toBeInstanceOf(BusError);
    expect((err as BusError).code).toBe('EPROTO');
    expect((err as BusError).message).toBe('serial device /dev/ttyUSB7: write of 1 word at 0x001c (seq 0x85) failed after 2 retries; last attempt: no answer within 21 ms'); // 2 × 15 bytes' wire time + 20 ms, rounded up
    expect(board.frames.length).toBe(3);
    expect(bus.stats.failures).toBe(1);
  });

  it('says so when every answer comes back damaged', async () => {
    const board = new FakeSerialBoard();
    board.faults.push('damage-answer', 'damage-answer');
    const bus = new SerialBus(board, { ...fast, retries: 1 });
    await expect(settled(bus.read(0x10))).rejects.toThrow(/read of 1 word at 0x0010 \(seq 0x[0-9a-f]{2}\) failed after 1 retry; last attempt: a damaged answer/);
  });

  it('does not resend a command the adapter refused for its address', async () => {
    const board = new FakeSerialBoard({ windowBytes: 0x800 });
    const bus = new SerialBus(board, fast);
    const err = await settled(bus.batch(ops([R, 0x7f8, 0], [R, 0x7fc, 0], [R, 0x800, 0])).catch((e: unknown) => e));
    expect((err as BusError).code).toBe('EADDR');
    expect((err as BusError).message).toMatch(/refused the read of 3 words at 0x07f8: address outside/);
    expect(board.frames.length).toBe(1);
  });

  it('reports a device that goes away', async () => {
    const board = new FakeSerialBoard();
    board.silent = true;
    const bus = new SerialBus(board, { latencyMs: 5000 });
    const pending = bus.read(0);
    setTimeout(() => board.unplug(), 20);
    await expect(settled(pending)).rejects.toThrow('serial device /dev/fake-board went away: device disconnected');
    await expect(settled(bus.read(0))).rejects.toThrow(/went away/);
  });

  it('turns a failed send into a BusError naming the device', async () => {
    const board = new FakeSerialBoard({ path: '/dev/ttyACM3' });
    board.writeError = new Error('EIO: i/o error, write');
    const bus = new SerialBus(board, fast);
    const err = await settled(bus.write(0x1c, 1).catch((e: unknown) => e));
    expect(err).toBeInstanceOf(BusError);
    expect((err as BusError).message).toBe('serial device /dev/ttyACM3: cannot send: EIO: i/o error, write');
  });

  it('refuses options that would break the recovery rules', () => {
    const board = new FakeSerialBoard();
    expect(() => new SerialBus(board, { silenceMs: 50 })).toThrow(/must exceed the bridge's 100 ms/);
    expect(() => new SerialBus(board, { baud: 0 })).toThrow(/baud 0/);
    expect(() => new SerialBus(board, { protocol: 'x' as 'reliable' })).toThrow(/serial protocol x/);
  });
});

describe('SerialBus over UARTBone', () => {
  it('sends writes without waiting and packs reads up to 256 words', async () => {
    const board = new FakeSerialBoard();
    for (let i = 0; i < 300; i++) board.regs.set(0x1000 + 4 * i, i);
    const bus = new SerialBus(board, { ...fast, protocol: 'uartbone' });
    const t: number[][] = [[W, 0x1c, 9], [W, 0x20, 10]];
    for (let i = 0; i < 300; i++) t.push([R, 0x1000 + 4 * i, 0]);
    const out = await settled(bus.batch(ops(...t)));
    expect(board.frames.map((f) => [f[0], f[1]])).toEqual([
      [0x01, 2],
      [0x02, 0], // 256 words
      [0x02, 44],
    ]);
    expect(Array.from(out.subarray(2))).toEqual(Array.from({ length: 300 }, (_, i) => i));
    expect([board.regs.get(0x1c), board.regs.get(0x20)]).toEqual([9, 10]);
  });

  it('closes only after a read has proved the bridge took every unanswered write', async () => {
    const board = new FakeSerialBoard();
    board.regs.set(0, 0x5349504e);
    const bus = new SerialBus(board, { ...fast, protocol: 'uartbone' });
    await settled(bus.write(0x1c, 7));
    await settled(bus.close());
    // the write, then a one-word read of address 0 whose answer came before the port closed
    expect(board.frames.map((f) => [f[0], f[1]])).toEqual([
      [0x01, 1],
      [0x02, 1],
    ]);
    expect(board.closed).toBe(true);

    // nothing to confirm after a read: close sends nothing
    const quiet = new FakeSerialBoard();
    const reader = new SerialBus(quiet, { ...fast, protocol: 'uartbone' });
    await settled(reader.write(0x1c, 7));
    await settled(reader.read(0x1c));
    await settled(reader.close());
    expect(quiet.frames.length).toBe(2);

    // a dead line after writes is an error from close, and the port is let go all the same
    const dead = new FakeSerialBoard();
    const lost = new SerialBus(dead, { ...fast, protocol: 'uartbone', retries: 1 });
    await settled(lost.write(0x1c, 7));
    dead.silent = true;
    await expect(settled(lost.close())).rejects.toThrow(/UARTBone read of 1 word at 0x0000 failed after 1 retry/);
    expect(dead.closed).toBe(true);
  });

  it('resends a read that got no answer, and fails clearly when none comes', async () => {
    const board = new FakeSerialBoard();
    board.regs.set(0x1c, 42);
    board.faults.push('drop-answer');
    const bus = new SerialBus(board, { ...fast, protocol: 'uartbone', retries: 1 });
    expect(await settled(bus.read(0x1c))).toBe(42);
    board.silent = true;
    await expect(settled(bus.read(0x1c))).rejects.toThrow(/serial device \/dev\/fake-board: UARTBone read of 1 word at 0x001c failed after 1 retry; last attempt: no answer/);
  });
});
