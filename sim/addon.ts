// The one untyped loading point of the Verilated adapter (sim/build/Release/sipnic_sim.node,
// built by `npm install`). Everything above this file is typed.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

export interface SimOptions { width: 8 | 64; trace?: string /* FST path */ }
export interface SimResults {          // frames completed since the last collect(), in completion order
  ids: Uint32Array;                    // frame id (ingress order, from 0)
  queues: Int32Array;                  // queue, or -1 when dropped
  reasons: Uint8Array;                 // drop reason code, 0 when delivered
  lengths: Uint32Array;                // bytes delivered (0 when dropped)
  data: Uint8Array;                    // delivered frames' bytes, concatenated in this order
  inCycles: Float64Array;              // cycle the frame's last beat was accepted at ingress
  outCycles: Float64Array;             // cycle the frame's last beat left its queue, or of the drop pulse
}
export interface Sim {
  readonly width: number;
  readonly cycles: number;             // cycles since construction
  regRead(addr: number): number;       // runs clocks until reg_ack; traffic keeps flowing
  regWrite(addr: number, value: number): void;
  // ops: triples [op, addr, value]; op 0 read, 1 write, 2 poll: read addr until (v & value) == 0
  // returns one word per op (read value / final polled value / 0 for writes)
  regBatch(ops: Uint32Array): Uint32Array;
  send(data: Uint8Array, lengths: Uint32Array): void;   // queue frames for ingress
  // queue frames that processor `processor` transmits (the transmit snoop, semantics rule 9):
  // driven one beat per clock, never held, beside ingress; they leave no output (optional so
  // that fakes of a Sim need not have it; the addon's always does)
  sendTransmit?(data: Uint8Array, lengths: Uint32Array, processor: number): void;
  setReady(mask: number): void;        // bit q = m_axis_tready[q] (default all ones)
  run(cycles: number): void;           // exactly that many clocks
  runUntilIdle(maxCycles: number): number; // until every sent frame has completed or maxCycles; returns clocks run
  collect(): SimResults;
  pending(): number;                   // frames sent and not yet completed
  benchNative(data: Uint8Array, lengths: Uint32Array, repeat: number): { frames: number; cycles: number; seconds: number };
  close(): void;                       // final(), closes the trace
}

/** Frames concatenated into one buffer plus their lengths: the shape `send` and `benchNative` take. */
export function packFrames(frames: readonly Uint8Array[]): { data: Uint8Array; lengths: Uint32Array } {
  const lengths = Uint32Array.from(frames, (f) => f.length);
  const data = new Uint8Array(lengths.reduce((a, b) => a + b, 0));
  let at = 0;
  for (const f of frames) {
    data.set(f, at);
    at += f.length;
  }
  return { data, lengths };
}

/** The native class, as the addon exports it (sim/src/addon.cpp). */
interface NativeBinding {
  SipnicSim: new (options: SimOptions | TestSimOptions) => Sim;
}

const addonPath = fileURLToPath(new URL('./build/Release/sipnic_sim.node', import.meta.url));
let binding: NativeBinding | undefined;

function load(): NativeBinding {
  if (binding) return binding;
  if (!existsSync(addonPath)) {
    throw new Error(`the simulator addon ${addonPath} is not built: run \`npm install\` in the project root`);
  }
  binding = createRequire(import.meta.url)(addonPath) as NativeBinding;
  return binding;
}

/**
 * The board's width, 32, is built too: the differential test runs it beside 8 and 64 (the
 * widths the CLI and SimOptions offer).
 */
export type TestSimOptions = Omit<SimOptions, 'width'> & { width: 32 };

/** A fresh Verilated sipnic_core (after reset) at the given stream width. */
export function createSim(options: SimOptions | TestSimOptions): Sim {
  return new (load().SipnicSim)(options);
}
