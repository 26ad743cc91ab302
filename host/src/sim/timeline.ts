// The simulated adapter on a timeline of frame times (docs/semantics.md, "Learning and aging":
// `sim replay` feeds each frame at its capture time at the model's nominal clock and
// fast-forwards the idle time between frames).
//
// Model time is the clock count at the nominal rate (flow CLOCKS_PER_MS). A frame is sent (or,
// transmitted by a processor, fed to the transmit snoop) once the model has run up to its time. A gap longer than SETTLE_US is not run clock by clock: the
// model runs SETTLE_US (every frame in flight leaves, every learned entry is in), then NOW_MS
// jumps forward and the model runs until the aging sweep has made one whole pass at the new
// time, then on to the frame's time. The jump lands early enough that the pass and the run up
// to the frame fit before it, so the adapter's clock never goes back and no frame is late.
import type { Sim } from '../../../sim/addon.js';
import type { Adapter } from '../driver/index.js';

/** How long the model runs before a jump: far beyond a learn's 20 µs and any frame's passage. */
export const SETTLE_US = 200;

export interface TimelineOptions {
  /** flow CLOCKS_PER_MS */
  clocksPerMs: number;
  /** flow NOW_MS and SWEEPS byte addresses */
  nowMs: number;
  sweeps: number;
  /** the flow table's slots (hashed and stash): sizes the wait for an aging pass */
  slots: number;
}

const NOW_MS_MODULUS = 2 ** 23;
/** Longer than the longest timeout (3600 s) and its removal window, shorter than 2^22 ms. */
const MAX_STEP_US = 3_700_000_000;

/** Clocks an aging pass takes at most per slot (a read, and a delete of an expired entry). */
const PASS_CLOCKS_PER_SLOT = 24;

export class SimTimeline {
  private readonly clocksPerUs: number;
  /** model time (µs) at `baseCycles` */
  private baseUs = 0;
  private baseCycles: number;
  /** the longest aging pass seen, in clocks */
  private passClocks: number;
  /** jumps of NOW_MS made (for tests and summaries) */
  jumps = 0;

  /** A timeline over an opened adapter's model (which must have the learning engine). */
  static forAdapter(sim: Sim, adapter: Pick<Adapter, 'info' | 'reg'>): SimTimeline {
    const { info } = adapter;
    return new SimTimeline(sim, { clocksPerMs: info.clocksPerMs, nowMs: adapter.reg('flow', 'NOW_MS'), sweeps: adapter.reg('flow', 'SWEEPS'), slots: info.flowEntries + info.flowStash });
  }

  /**
   * Starts the timeline at 0 µs: measures one aging pass, then sets NOW_MS to 0. Host entries
   * already in the table keep the stamps they got when they went in (0 ms, in practice).
   */
  constructor(
    private readonly sim: Sim,
    private readonly o: TimelineOptions,
  ) {
    if (!(o.clocksPerMs > 0)) throw new RangeError(`the adapter has no aging clock (CLOCKS_PER_MS ${o.clocksPerMs})`);
    this.clocksPerUs = o.clocksPerMs / 1000;
    // the sweep runs only while some entry can age: with none, a pass is as long as its slots allow
    this.passClocks = this.runSweeps(2) ?? o.slots * PASS_CLOCKS_PER_SLOT;
    sim.regWrite(o.nowMs, 0);
    this.baseCycles = sim.cycles;
  }

  /** The model's time now, µs. */
  get nowUs(): number {
    return this.baseUs + (this.sim.cycles - this.baseCycles) / this.clocksPerUs;
  }

  /** An aging pass as measured, µs. */
  get passUs(): number {
    return this.passClocks / this.clocksPerUs;
  }

  /** Runs the model up to `timeUs` (nothing when it is there already), jumping over long gaps. */
  advanceTo(timeUs: number): void {
    // NOW_MS holds 23 bits and idle times are taken mod 2^23 ms: a gap longer than the longest
    // timeout and its removal window goes first to one step past that, where a pass removes
    // every entry that can age; then the jump to the frame cannot wrap onto a live stamp
    if (timeUs - this.nowUs > MAX_STEP_US + SETTLE_US) this.jump(this.nowUs + MAX_STEP_US);
    if (timeUs - this.nowUs > SETTLE_US) {
      this.runClocks(SETTLE_US * this.clocksPerUs);
      // land at least 2.2 passes before the frame: the pass running at the jump may be half
      // done, and one whole pass at the new time must end before the frame
      const jumpMs = Math.floor((timeUs - 2.2 * this.passUs) / 1000);
      if (jumpMs * 1000 > this.nowUs) this.setNow(jumpMs);
    }
    const left = timeUs - this.nowUs;
    if (left > 0) this.runClocks(left * this.clocksPerUs);
  }

  /** A jump to about `timeUs` (whole ms), settling first, with an aging pass at the new time. */
  private jump(timeUs: number): void {
    this.runClocks(SETTLE_US * this.clocksPerUs);
    this.setNow(Math.floor(timeUs / 1000));
  }

  /** NOW_MS := ms (the register keeps it mod 2^23), then the sweep passes over every slot at that time. */
  private setNow(ms: number): void {
    this.sim.regWrite(this.o.nowMs, ms % NOW_MS_MODULUS);
    this.baseUs = ms * 1000;
    this.baseCycles = this.sim.cycles;
    this.jumps++;
    // a running sweep ends a pass within the longest pass seen: SWEEPS still for longer than
    // that means nothing can age (the wait must not run past the frames the jump lands before)
    const pass = this.runSweeps(2, Math.ceil(this.passClocks * 1.25) + 512);
    if (pass !== undefined) this.passClocks = Math.max(this.passClocks, pass);
  }

  /** Sends one frame at `timeUs` (the model runs up to that time first). */
  send(frame: Uint8Array, timeUs: number): void {
    this.advanceTo(timeUs);
    this.sim.send(frame, Uint32Array.of(frame.length));
  }

  /**
   * Processor `processor` transmits one frame at `timeUs` (the transmit snoop, semantics rule 9;
   * the model runs up to that time first). It leaves no output.
   */
  transmit(frame: Uint8Array, processor: number, timeUs: number): void {
    if (!this.sim.sendTransmit) throw new Error('this simulator has no transmit snoop');
    this.advanceTo(timeUs);
    this.sim.sendTransmit(frame, Uint32Array.of(frame.length), processor);
  }

  private runClocks(clocks: number): void {
    const n = Math.ceil(clocks);
    if (n > 0) this.sim.run(n);
  }

  /**
   * Runs until SWEEPS has gone up by `n`; returns the clocks of the last whole pass. The sweep
   * stands still while no entry can age: SWEEPS not moving for longer than `n` passes can take,
   * or for `stillClocks`, means that, and gives undefined.
   */
  private runSweeps(n: number, stillClocks = Infinity): number | undefined {
    const limit = this.sim.cycles + (n + 1) * this.o.slots * PASS_CLOCKS_PER_SLOT;
    const start = this.sim.regRead(this.o.sweeps);
    let last = start;
    let passStart = -1;
    let moved = this.sim.cycles;
    while (this.sim.cycles < limit && this.sim.cycles - moved <= stillClocks) {
      this.sim.run(256);
      const now = this.sim.regRead(this.o.sweeps);
      if (now === last) continue;
      moved = this.sim.cycles;
      const pass = passStart >= 0 ? this.sim.cycles - passStart : undefined;
      passStart = this.sim.cycles;
      last = now;
      if (((now - start) >>> 0) >= n) return pass;
    }
    return undefined;
  }
}
