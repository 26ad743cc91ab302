// The Node-API simulator addon against the real RTL: register bus, frames through the default
// queue, a stalled queue that must not stall ingress, argument checks and FST tracing.
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createSim, packFrames, type Sim, type SimResults } from '../sim/addon.js';
import { BLOCKS } from '../host/src/driver/regs.generated.js';

const CORE = BLOCKS.core.registers;
const QUEUE_FULL = 4;

/** Frames that are not IP (EtherType 0x88B5, local experimental): they take the default action. */
function frames(count: number, length: (i: number) => number, seed = 1): Uint8Array[] {
  let s = seed >>> 0;
  const next = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) >>> 24);
  return Array.from({ length: count }, (_, i) => {
    const f = Uint8Array.from({ length: length(i) }, next);
    f[12] = 0x88;
    f[13] = 0xb5;
    return f;
  });
}

/** Each delivered frame's bytes, by id. */
function delivered(r: SimResults): Map<number, { queue: number; bytes: Uint8Array }> {
  const out = new Map<number, { queue: number; bytes: Uint8Array }>();
  let at = 0;
  for (let k = 0; k < r.ids.length; k++) {
    if (r.queues[k] >= 0) out.set(r.ids[k], { queue: r.queues[k], bytes: r.data.subarray(at, at + r.lengths[k]) });
    at += r.lengths[k];
  }
  return out;
}

const open: Sim[] = [];
function sim(width: 8 | 64, trace?: string): Sim {
  const s = createSim(trace ? { width, trace } : { width });
  open.push(s);
  return s;
}
afterEach(() => {
  for (const s of open.splice(0)) s.close();
});

describe.each([8, 64] as const)('simulator addon at DATA_WIDTH %i', (width) => {
  it('finds the core block at address 0 and round-trips SCRATCH', () => {
    const s = sim(width);
    expect(s.width).toBe(width);
    expect(s.regRead(CORE.TYPE.offset) >>> 0).toBe(BLOCKS.core.type);
    expect(s.regRead(CORE.DATA_WIDTH.offset)).toBe(width);
    for (const v of [0xdeadbeef, 0, 0xffffffff, 0x12345678]) {
      s.regWrite(CORE.SCRATCH.offset, v);
      expect(s.regRead(CORE.SCRATCH.offset) >>> 0).toBe(v);
    }
    const ops = Uint32Array.of(1, CORE.SCRATCH.offset, 0xa5a5a5a5, 0, CORE.SCRATCH.offset, 0, 0, CORE.TYPE.offset, 0,
      2, CORE.SCRATCH.offset, 0x5a5a5a5a);
    expect([...s.regBatch(ops)]).toEqual([0, 0xa5a5a5a5, BLOCKS.core.type, 0xa5a5a5a5]);
    expect(s.cycles).toBeGreaterThan(0);
  });

  it('delivers frames unchanged through queue 0 by default, ids in order', () => {
    const s = sim(width);
    const list = frames(300, (i) => [14, 60, 64, 65, 1514, 9022][i % 6] + (i % 6 === 1 ? i % 40 : 0), width);
    const { data, lengths } = packFrames(list);
    s.send(data, lengths);
    expect(s.pending()).toBe(list.length);
    const ran = s.runUntilIdle(10_000_000);
    expect(ran).toBeLessThan(10_000_000);
    expect(s.pending()).toBe(0);
    const r = s.collect();
    expect([...r.ids]).toEqual(list.map((_, i) => i));
    expect([...r.queues].every((q) => q === 0)).toBe(true);
    expect([...r.reasons].every((x) => x === 0)).toBe(true);
    expect([...r.lengths]).toEqual([...lengths]);
    expect(Buffer.from(r.data).equals(Buffer.from(data))).toBe(true);
    for (let k = 0; k < r.ids.length; k++) {
      expect(r.inCycles[k]).toBeGreaterThan(0);
      expect(r.outCycles[k]).toBeGreaterThan(r.inCycles[k]);
      if (k > 0) expect(r.inCycles[k]).toBeGreaterThan(r.inCycles[k - 1]);
    }
    // collect() hands each frame out once
    expect(s.collect().ids.length).toBe(0);
    // ids continue across batches
    const more = packFrames(frames(5, () => 64, 99));
    s.send(more.data, more.lengths);
    s.runUntilIdle(100_000);
    expect([...s.collect().ids]).toEqual([300, 301, 302, 303, 304]);
  });

  it('a stalled queue 0 drops with queue_full and does not stall ingress', () => {
    const s = sim(width);
    const fifoBytes = s.regRead(CORE.QUEUE_FIFO_BYTES.offset);
    const all = (1 << s.regRead(CORE.QUEUES.offset)) - 1;
    s.setReady(all & ~1);
    const count = Math.ceil((3 * fifoBytes) / 1500);
    const list = frames(count, () => 1500, 7 * width);
    const { data, lengths } = packFrames(list);
    s.send(data, lengths);
    const beats = count * Math.ceil(1500 / (width / 8));
    const start = s.cycles;
    // Ingress takes one beat per clock: every frame is in well within twice its beats.
    s.run(2 * beats + 2000);
    const stalled = s.collect();
    expect(delivered(stalled).size).toBe(0);
    expect(stalled.ids.length).toBeGreaterThan(0);
    expect([...stalled.queues].every((q) => q === -1)).toBe(true);
    expect([...stalled.reasons].every((x) => x === QUEUE_FULL)).toBe(true);
    const held = s.pending();
    expect(held).toBe(count - stalled.ids.length);
    expect(held * 1500).toBeLessThanOrEqual(fifoBytes);
    expect(held).toBeGreaterThan(0);
    // ingress kept taking a beat per clock: the last frame went in (and was dropped) on time
    const last = [...stalled.ids].indexOf(count - 1);
    expect(last).toBeGreaterThanOrEqual(0);
    expect(stalled.inCycles[last] - start).toBeLessThanOrEqual(1.25 * beats + 1000);

    s.setReady(all);
    s.runUntilIdle(1_000_000);
    expect(s.pending()).toBe(0);
    const rest = s.collect();
    const out = delivered(rest);
    expect(out.size).toBe(held);
    const ids = [...rest.ids];
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    for (const [id, { queue, bytes }] of out) {
      expect(queue).toBe(0);
      expect(Buffer.from(bytes).equals(Buffer.from(list[id]))).toBe(true);
    }
    expect(new Set([...stalled.ids, ...rest.ids]).size).toBe(count);
  });

  it('throws TypeError naming the bad argument', () => {
    const s = sim(width);
    const bad = (f: () => unknown, name: RegExp) => {
      expect(f).toThrow(TypeError);
      expect(f).toThrow(name);
    };
    bad(() => createSim({ width: 16 as 8 }), /width/);
    bad(() => createSim(undefined as unknown as { width: 8 }), /options/);
    bad(() => createSim({ width, trace: 5 as unknown as string }), /trace/);
    bad(() => s.regRead('0' as unknown as number), /addr/);
    bad(() => s.regRead(2), /addr/);
    bad(() => s.regRead(0x10000), /addr/);
    bad(() => s.regWrite(0, 1.5), /value/);
    bad(() => s.regBatch(new Uint32Array(2)), /ops/);
    bad(() => s.regBatch([0, 0, 0] as unknown as Uint32Array), /ops/);
    bad(() => s.regBatch(Uint32Array.of(7, 0, 0)), /ops/);
    bad(() => s.send([1, 2] as unknown as Uint8Array, Uint32Array.of(2)), /data/);
    bad(() => s.send(new Uint8Array(2), Uint8Array.of(2) as unknown as Uint32Array), /lengths/);
    bad(() => s.send(new Uint8Array(2), Uint32Array.of(3)), /lengths/);
    bad(() => s.setReady(-1), /mask/);
    bad(() => s.run(1.5), /cycles/);
    bad(() => s.runUntilIdle(Number.NaN), /maxCycles/);
    bad(() => s.benchNative(new Uint8Array(64), Uint32Array.of(64), -1), /repeat/);
    expect(s.pending()).toBe(0);
  });

  it('reports a closed simulator and measures a native loop', () => {
    const s = sim(width);
    const { data, lengths } = packFrames(frames(50, () => 64, 3));
    const b = s.benchNative(data, lengths, 4);
    expect(b.frames).toBe(200);
    expect(b.cycles).toBeGreaterThanOrEqual(200 * (512 / width));
    expect(b.seconds).toBeGreaterThan(0);
    expect(s.pending()).toBe(0);
    expect(s.collect().ids.length).toBe(0); // the bench's frames are not reported
    s.close();
    s.close();
    expect(() => s.regRead(0)).toThrow(/closed/);
  });

  it('runs and closes models in any order while others live in the same thread', () => {
    // Verilator 5 keeps the calling thread's context: a model that outlives a newer model's
    // context must not reach the freed one (it aborted the process when closed)
    const first = sim(width);
    for (let round = 0; round < 3; round++) {
      const later = sim(width);
      later.regWrite(CORE.SCRATCH.offset, round);
      later.close();
      first.regWrite(CORE.SCRATCH.offset, 0x1000 + round);
      expect(first.regRead(CORE.SCRATCH.offset)).toBe(0x1000 + round);
    }
    first.close();
    expect(sim(width).regRead(CORE.TYPE.offset) >>> 0).toBe(BLOCKS.core.type);
  });

  it('writes an FST trace when asked', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sipnic-trace-'));
    try {
      const path = join(dir, 'run.fst');
      const s = createSim({ width, trace: path });
      const { data, lengths } = packFrames(frames(3, () => 80, 5));
      s.send(data, lengths);
      s.runUntilIdle(10_000);
      s.regRead(CORE.TYPE.offset);
      s.close();
      expect(existsSync(path)).toBe(true);
      expect(statSync(path).size).toBeGreaterThan(200);
      expect(readFileSync(path)[0]).toBe(0); // FST header block
      expect(() => createSim({ width, trace: join(dir, 'no/such/dir/x.fst') })).toThrow(/no\/such\/dir/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
