// Board-simulator part of `npm run bench` (key boardSim): table commands over the PTY of
// `sim serve --board`, whose line is paced to the baud in wall time, so the figures are what
// the board at that rate would give with this host's turnaround; each next to its wire time
// (bytes × 10 / baud). Needs root (the simulator creates its two TAP devices); otherwise the
// key says why it was skipped.
import { performance } from 'node:perf_hooks';
import { SerialBus } from '../host/src/bus/serial-bus.js';
import { parseRuleWords } from '../host/src/codec/rules.js';
import { Adapter } from '../host/src/driver/index.js';
import { startPtySim } from '../host/src/sim/pty-sim.js';

const READS = 100;
const INSERTS = 40;
const RATES = [115_200, 1_000_000, 3_000_000];

const bytesOf = (bus: SerialBus) => bus.stats.bytesSent + bus.stats.bytesReceived;

/** `ms` of wall time for `bytes` on the line: per second, and wall time over wire time. */
function rate(count: number, ms: number, bytes: number, baud: number) {
  const wireMs = (bytes * 10 * 1000) / baud;
  return { perSecond: Math.round((count * 1000) / ms), bytes, wallOverWire: Number((ms / wireMs).toFixed(2)) };
}

async function atBaud(baud: number) {
  const tag = `${process.pid % 10000}`;
  const sim = await startPtySim({ board: { tap0: `sbb${tag}a`, tap1: `sbb${tag}b` }, baud });
  // the options the CLI and the primary use with --device and --baud (50 ms turnaround allowance)
  const bus = await SerialBus.open(sim.path, { baud });
  try {
    const adapter = await Adapter.open(bus);
    await adapter.addresses.deriveRefs();
    let b0 = bytesOf(bus);
    let t0 = performance.now();
    for (let i = 0; i < READS; i++) await bus.read(0);
    const reads = rate(READS, performance.now() - t0, bytesOf(bus) - b0, baud);

    const rules = Array.from({ length: INSERTS }, (_, i) =>
      parseRuleWords(['flow-type', 'tcp4', 'src-ip', '192.0.2.7', 'dst-ip', '10.0.0.1', 'src-port', String(40000 + i), 'dst-port', '80', 'action', '1'], 'flow'),
    );
    await adapter.flows.insert(rules[0]); // the address slot is written once, here
    await adapter.flows.delete(rules[0]);
    b0 = bytesOf(bus);
    t0 = performance.now();
    for (const r of rules) await adapter.flows.insert(r);
    const inserts = rate(INSERTS, performance.now() - t0, bytesOf(bus) - b0, baud);
    await adapter.flows.clear();
    return { baud, registerReads: reads, flowInserts: inserts, retries: bus.stats.retries, timeouts: bus.stats.timeouts };
  } finally {
    await bus.close();
    await sim.stop();
  }
}

export async function boardSimBench() {
  if (process.getuid?.() !== 0) return { skipped: 'needs root: sim serve --board creates TAP devices' };
  const out = [];
  for (const baud of RATES) out.push(await atBaud(baud));
  return { note: 'wall time over wire time > 1: the host\'s turnaround per command; at high rates also the model (about 18,000 bytes/s)', rates: out };
}
