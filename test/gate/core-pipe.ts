// The TypeScript end of test/rtl/core_pipe.cpp: a Verilated sipnic_core (here a gate-level
// netlist) in a child process, reached as a RegisterBus for the driver and as a frame runner.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { BusError, type RegisterBus } from '../../host/src/bus/bus.js';
import { checkAddress, checkBatch } from '../../host/src/bus/batch.js';
import { packFrames, type SimResults } from '../../sim/addon.js';

const OP = { quit: 0, read: 1, write: 2, batch: 3, frames: 4, info: 5 } as const;

export interface FrameRun extends SimResults {
  /** clocks the run took */
  cycles: number;
  /** frames sent and not completed when the run stopped */
  pending: number;
}

export class CorePipe implements RegisterBus {
  private buffered = Buffer.alloc(0);
  private waiting: { resolve: (b: Buffer) => void; reject: (e: Error) => void } | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private stderr = '';
  private exited: Error | undefined;

  private constructor(private readonly child: ChildProcessWithoutNullStreams) {
    child.stdout.on('data', (chunk: Buffer) => {
      this.buffered = Buffer.concat([this.buffered, chunk]);
      this.deliver();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      this.stderr = (this.stderr + chunk.toString()).slice(-20_000);
    });
    child.on('exit', (code, signal) => {
      this.exited = new BusError('ECLOSED', `${child.spawnfile} exited (${code ?? signal})\n${this.stderr.trim()}`);
      this.waiting?.reject(this.exited);
      this.waiting = undefined;
    });
    child.on('error', (err) => {
      this.exited = new BusError('ENOSIM', `${child.spawnfile}: ${err.message}`, { cause: err });
      this.waiting?.reject(this.exited);
      this.waiting = undefined;
    });
  }

  /** Starts the server binary (a build of test/rtl/core_pipe.cpp). */
  static start(binary: string): CorePipe {
    return new CorePipe(spawn(binary, [], { stdio: ['pipe', 'pipe', 'pipe'] }));
  }

  /** What the model printed on stderr (its $display output, the DP16KD collision counts). */
  get log(): string {
    return this.stderr;
  }

  private deliver(): void {
    if (!this.waiting || this.buffered.length < 8) return;
    const n = this.buffered.readUInt32LE(4);
    if (this.buffered.length < 8 + n) return;
    const status = this.buffered.readUInt32LE(0);
    const body = this.buffered.subarray(8, 8 + n);
    this.buffered = this.buffered.subarray(8 + n);
    const w = this.waiting;
    this.waiting = undefined;
    if (status === 0) w.resolve(Buffer.from(body));
    else w.reject(new BusError('EREMOTE', `core_pipe: ${body.toString()}`));
  }

  /** One request at a time, in call order. */
  private request(op: number, payload: Uint8Array): Promise<Buffer> {
    const run = () =>
      new Promise<Buffer>((resolve, reject) => {
        if (this.exited) return reject(this.exited);
        this.waiting = { resolve, reject };
        const head = Buffer.alloc(8);
        head.writeUInt32LE(op, 0);
        head.writeUInt32LE(payload.length, 4);
        this.child.stdin.write(Buffer.concat([head, payload]));
        this.deliver();
      });
    const p = this.queue.then(run, run);
    this.queue = p.catch(() => undefined);
    return p;
  }

  private static words(...w: number[]): Buffer {
    return Buffer.from(Uint32Array.from(w).buffer);
  }

  async read(addr: number): Promise<number> {
    checkAddress(addr);
    return (await this.request(OP.read, CorePipe.words(addr))).readUInt32LE(0);
  }

  async write(addr: number, value: number): Promise<void> {
    checkAddress(addr);
    await this.request(OP.write, CorePipe.words(addr, value >>> 0));
  }

  async batch(ops: Uint32Array): Promise<Uint32Array> {
    checkBatch(ops);
    const b = await this.request(OP.batch, Buffer.from(ops.buffer, ops.byteOffset, ops.byteLength));
    return new Uint32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
  }

  async info(): Promise<{ width: number; queues: number; cycles: number }> {
    const b = await this.request(OP.info, Buffer.alloc(0));
    return { width: b.readUInt32LE(0), queues: b.readUInt32LE(4), cycles: b.readUInt32LE(8) + 2 ** 32 * b.readUInt32LE(12) };
  }

  /** Sends the frames and runs until every one has come out (or maxCycles); what came out. */
  async runFrames(frames: readonly Uint8Array[], maxCycles: number): Promise<FrameRun> {
    const { data, lengths } = packFrames(frames);
    const b = await this.request(OP.frames, Buffer.concat([CorePipe.words(maxCycles, frames.length), Buffer.from(lengths.buffer), data]));
    const cycles = b.readUInt32LE(0), pending = b.readUInt32LE(4), k = b.readUInt32LE(8);
    const r: FrameRun = {
      cycles, pending,
      ids: new Uint32Array(k), queues: new Int32Array(k), reasons: new Uint8Array(k), lengths: new Uint32Array(k),
      data: new Uint8Array(0), inCycles: new Float64Array(k).fill(NaN), outCycles: new Float64Array(k).fill(NaN),
    };
    for (let i = 0; i < k; i++) {
      const at = 12 + 16 * i;
      r.ids[i] = b.readUInt32LE(at);
      r.queues[i] = b.readInt32LE(at + 4);
      r.reasons[i] = b.readUInt32LE(at + 8);
      r.lengths[i] = b.readUInt32LE(at + 12);
    }
    r.data = new Uint8Array(b.subarray(12 + 16 * k));
    return r;
  }

  async close(): Promise<void> {
    if (this.exited) return;
    const gone = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    await this.request(OP.quit, Buffer.alloc(0)).catch(() => undefined);
    this.child.stdin.end();
    await gone;
  }
}
