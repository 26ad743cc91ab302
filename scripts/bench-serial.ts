// Serial-link part of `npm run bench`: table commands through the PTY simulator (the Verilated
// NIC behind its UART bridge, sim/build/sipnic-pty-sim) with SerialBus on the real serialport
// package, and what the same bytes give on a real line (computed: bytes × 10 bits / baud, no
// turnaround latency).
//   measured.*   through the PTY simulator on this machine (no faults)
//   computed.*   wire-limited, at 115200 baud, 3 Mbaud (fast USB-UARTs) and the bridge's highest
//                rate (8 clocks per bit at the board's core clock)
import { execFileSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { Adapter } from '../host/src/driver/index.js';
import { scanFlowSlots } from '../host/src/driver/flow-command.js';
import { PTY_SIM_BINARY, startPtySim } from '../host/src/sim/pty-sim.js';
import { parseRuleWords, type FlowRule } from '../host/src/codec/rules.js';
import { SerialBus, type SerialStats } from '../host/src/bus/serial-bus.js';
import { makeRng } from '../test/support/framegen.js';
import { BOARDS } from '../host/src/board/boards.js';

const INSERTS = 300;
const READS = 500;

/** The board's core clock: the PLL's 500 MHz VCO divided by the board's CORE_DIV (host/src/board/sizing.json). */
function boardCoreHz(): number {
  return 500_000_000 / BOARDS['colorlight-5a-75b-v8'].params.CORE_DIV;
}

function delta(after: SerialStats, before: SerialStats) {
  return { commands: after.commands - before.commands, bytes: after.bytesSent + after.bytesReceived - before.bytesSent - before.bytesReceived };
}

export async function serialBench() {
  const clock = JSON.parse(execFileSync(PTY_SIM_BINARY, ['--clock-rate', '2000000'], { encoding: 'utf8' })) as { clocksPerSecond: number; clocksPerBit: number };
  const sim = await startPtySim();
  const bus = await SerialBus.open(sim.path);
  try {
    const adapter = await Adapter.open(bus);
    await adapter.addresses.deriveRefs();
    const rng = makeRng(7);
    const rules: FlowRule[] = [];
    const seen = new Set<string>();
    while (rules.length < INSERTS) {
      const words = ['flow-type', 'tcp4', 'src-ip', `192.0.2.${1 + Math.floor(rng() * 254)}`, 'dst-ip', '10.0.0.1', 'src-port', String(1024 + Math.floor(rng() * 60000)), 'dst-port', '80', 'action', '1'];
      if (seen.has(words.join(' '))) continue;
      seen.add(words.join(' '));
      rules.push(parseRuleWords(words, 'flow'));
    }
    await adapter.flows.insert(rules[0]); // the address slot is written once, here
    await adapter.flows.delete(rules[0]);

    let s0 = { ...bus.stats };
    let t0 = performance.now();
    for (let i = 0; i < READS; i++) await bus.read(0);
    const readSeconds = (performance.now() - t0) / 1000;
    const reads = delta(bus.stats, s0);

    s0 = { ...bus.stats };
    t0 = performance.now();
    for (const r of rules) await adapter.flows.insert(r);
    const insertSeconds = (performance.now() - t0) / 1000;
    const inserts = delta(bus.stats, s0);

    s0 = { ...bus.stats };
    t0 = performance.now();
    const listed = await adapter.flows.list();
    const listSeconds = (performance.now() - t0) / 1000;
    const list = delta(bus.stats, s0);
    if (listed.length !== INSERTS) throw new Error(`flow list found ${listed.length} of ${INSERTS} entries`);

    s0 = { ...bus.stats };
    t0 = performance.now();
    for (const r of rules) await adapter.flows.delete(r);
    const deleteSeconds = (performance.now() - t0) / 1000;
    const deletes = delta(bus.stats, s0);

    // `sipnic stats` as a fresh CLI invocation does it: open the adapter (block walk, parameters,
    // address slots, listen table), then every counter
    s0 = { ...bus.stats };
    t0 = performance.now();
    const statsAdapter = await Adapter.open(bus);
    await statsAdapter.counters();
    const statsSeconds = (performance.now() - t0) / 1000;
    const stats = delta(bus.stats, s0);

    // a full board table: insert until the table refuses (full), then list it
    let full = 0;
    let live = 0;
    for (let i = 0; full < 16 && live < adapter.info.flowEntries + adapter.info.flowStash; i += 64) {
      const batch = Array.from({ length: 64 }, (_, k) => parseRuleWords(['flow-type', 'udp4', 'src-ip', `198.51.${((i + k) >> 8) & 255}.${(i + k) & 255}`, 'dst-ip', '10.0.0.1', 'src-port', String(1024 + ((i + k) >> 16)), 'dst-port', '53', 'action', '2'], 'flow'));
      for (const r of await adapter.flows.insertMany(batch)) r.ok ? live++ : full++;
    }
    s0 = { ...bus.stats };
    t0 = performance.now();
    const listedFull = await adapter.flows.list();
    const listFullSeconds = (performance.now() - t0) / 1000;
    const listFull = delta(bus.stats, s0);
    if (listedFull.length !== live) throw new Error(`flow list of the full table found ${listedFull.length} of ${live} entries`);
    // the same table read slot by slot (READ_SLOT), as before the walk, for comparison
    s0 = { ...bus.stats };
    const slotBySlot = { bus, reg: adapter.reg.bind(adapter), info: { ...adapter.info, flowWalk: false } };
    let slotBySlotEntries = 0;
    for await (const _ of scanFlowSlots(slotBySlot, true, () => 256)) slotBySlotEntries++;
    const listFullSlotBySlot = delta(bus.stats, s0);
    if (slotBySlotEntries !== live) throw new Error(`slot-by-slot read of the full table found ${slotBySlotEntries} of ${live} entries`);
    await adapter.flows.clear();

    const bytesPerInsert = inserts.bytes / INSERTS;
    const bytesPerDelete = deletes.bytes / INSERTS;
    const bytesPerRead = reads.bytes / READS;
    const coreHz = boardCoreHz();
    const bridgeMax = Math.floor(coreHz / 8);
    const atBaud = (baud: number) => ({
      baud,
      registerReadsPerSecond: Math.round(baud / 10 / bytesPerRead),
      flowInsertsPerSecond: Math.round(baud / 10 / bytesPerInsert),
      flowDeletesPerSecond: Math.round(baud / 10 / bytesPerDelete),
      flowListSeconds: Number(((list.bytes * 10) / baud).toFixed(2)),
      flowListFullSeconds: Number(((listFull.bytes * 10) / baud).toFixed(2)),
      flowListFullSlotBySlotSeconds: Number(((listFullSlotBySlot.bytes * 10) / baud).toFixed(2)),
      statsSeconds: Number(((stats.bytes * 10) / baud).toFixed(3)),
    });
    const totalBytes = reads.bytes + inserts.bytes + list.bytes + deletes.bytes;
    const totalSeconds = readSeconds + insertSeconds + listSeconds + deleteSeconds;
    return {
      measured: {
        ptySimClocksPerSecond: Math.round(clock.clocksPerSecond),
        clocksPerBit: clock.clocksPerBit,
        lineBytesPerSecond: Math.round(totalBytes / totalSeconds),
        serialCommandsPerSecond: Math.round((reads.commands + inserts.commands + list.commands + deletes.commands) / totalSeconds),
        registerReadsPerSecond: Math.round(READS / readSeconds),
        flowInsertsPerSecond: Number((INSERTS / insertSeconds).toFixed(1)),
        flowDeletesPerSecond: Number((INSERTS / deleteSeconds).toFixed(1)),
        flowListSeconds: Number(listSeconds.toFixed(2)),
        flowListEntries: INSERTS,
        flowSlots: adapter.info.flowEntries + adapter.info.flowStash,
        commandsPerInsert: inserts.commands / INSERTS,
        commandsPerDelete: deletes.commands / INSERTS,
        bytesPerRead,
        bytesPerInsert,
        bytesPerDelete,
        flowListBytes: list.bytes,
        flowListFullSeconds: Number(listFullSeconds.toFixed(2)),
        flowListFullEntries: live,
        flowListFullBytes: listFull.bytes,
        flowListFullCommands: listFull.commands,
        flowListFullSlotBySlotBytes: listFullSlotBySlot.bytes,
        statsSeconds: Number(statsSeconds.toFixed(3)),
        statsBytes: stats.bytes,
        statsCommands: stats.commands,
      },
      computed: {
        note: 'wire time only (bytes × 10 bits / baud); a USB-UART adds its turnaround per command',
        baud115200: atBaud(115200),
        baud1M: atBaud(1_000_000),
        baud3M: atBaud(3_000_000),
        bridgeMax: { ...atBaud(bridgeMax), coreHz },
      },
    };
  } finally {
    await bus.close();
    await sim.stop();
  }
}
