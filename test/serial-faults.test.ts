// Table commands over a damaged serial line: the PTY simulator (the Verilated NIC behind its
// UART bridge) drops or damages bytes in both directions at a seeded rate; the driver inserts
// and deletes flow entries through SerialBus on the real serialport package. Every command
// must complete with the outcome the host expects or fail with a clear BusError, and at the
// end the whole table, read back over the same faulty line, must equal what the host believes.
// The host uses the simulator's timing (pty-sim.ts ptySimBusOptions: its bridge forgets a half
// frame after 2 ms of silence on the PTY); the run's numbers are in docs/serial.md.
//
//   SIPNIC_SERIAL_FAULT_COMMANDS  table commands (default 10000)
//   SIPNIC_SERIAL_FAULT_RATE      fraction of bytes dropped or damaged per direction (default 0.005)
//   SIPNIC_SERIAL_FAULT_SEED      seed of both the fault injection and the command mix (default 1)
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BusError } from '../host/src/bus/bus.js';
import { Adapter, FlowExistsError, NotFoundError } from '../host/src/driver/index.js';
import { formatIp } from '../host/src/codec/ip.js';
import { ptySimBusOptions, startPtySim, type PtySim } from '../host/src/sim/pty-sim.js';
import { parseRuleWords, type FlowRule } from '../host/src/codec/rules.js';
import { SerialBus } from '../host/src/bus/serial-bus.js';
import { makeRng, type Rng } from './support/framegen.js';

const COMMANDS = Number(process.env.SIPNIC_SERIAL_FAULT_COMMANDS ?? 10000);
const RATE = Number(process.env.SIPNIC_SERIAL_FAULT_RATE ?? 0.005);
const SEED = Number(process.env.SIPNIC_SERIAL_FAULT_SEED ?? 1);
// distinct flows the commands pick from: about half of them are live at any time
const POOL = 600;

let sim: PtySim;

beforeAll(async () => {
  sim = await startPtySim({ faultRate: RATE, faultSeed: SEED });
});

afterAll(async () => {
  await sim?.stop();
});

const keyOf = (r: FlowRule) => `${r.proto}${r.family} ${formatIp(r.srcIp, r.family)} ${formatIp(r.dstIp, r.family)} ${r.srcPort} ${r.dstPort}`;

/** `ipv6`: the adapter steers IPv6 (the board's IPv4-only build does not, and refuses IPv6 rules). */
function flowPool(rng: Rng, ipv6: boolean): FlowRule[] {
  const seen = new Set<string>();
  const out: FlowRule[] = [];
  while (out.length < POOL) {
    const v6 = ipv6 && rng() < 0.25;
    const proto = rng() < 0.7 ? 'tcp' : 'udp';
    const src = v6 ? `2001:db8:${Math.floor(rng() * 0xffff).toString(16)}::${Math.floor(rng() * 0xffff).toString(16)}` : `192.0.2.${1 + Math.floor(rng() * 254)}`;
    // one cluster address per family (the board has two address slots): in use all along
    const dst = v6 ? '2001:db8::1' : '10.0.0.1';
    const words = ['flow-type', `${proto}${v6 ? 6 : 4}`, 'src-ip', src, 'dst-ip', dst, 'src-port', String(1024 + Math.floor(rng() * 60000)), 'dst-port', String([80, 443, 53, 8080][Math.floor(rng() * 4)]), 'action', '0'];
    const rule = parseRuleWords(words, 'flow');
    if (seen.has(keyOf(rule))) continue;
    seen.add(keyOf(rule));
    out.push(rule);
  }
  return out;
}

describe(`serial line with ${RATE * 100}% of the bytes dropped or damaged each way`, () => {
  it(
    `${COMMANDS} flow inserts and deletes complete or fail clearly, and the table read back equals the host's view`,
    async () => {
      const rng = makeRng(SEED);
      const bus = await SerialBus.open(sim.path, ptySimBusOptions(sim.info));
      const adapter = await Adapter.open(bus);
      const pool = flowPool(rng, !adapter.info.ipv4Only);
      // the driver counts address-slot uses from the tables the first time it may free one:
      // do that now, while the table is empty and the count costs one read
      await adapter.addresses.deriveRefs();
      const queues = adapter.info.queues;
      const believed = new Map<string, number>(); // key → action
      const outcomes = { inserted: 0, deleted: 0, exists: 0, notFound: 0, failed: 0 };
      const failures: string[] = [];
      const t0 = performance.now();

      /** After a failed command: what the table really holds for this key. */
      const resync = async (rule: FlowRule) => {
        for (let i = 0; ; i++) {
          try {
            const e = await adapter.flows.lookup(rule);
            if (e) believed.set(keyOf(rule), e.action);
            else believed.delete(keyOf(rule));
            return;
          } catch (err) {
            if (!(err instanceof BusError) || i >= 5) throw err;
          }
        }
      };

      for (let n = 0; n < COMMANDS; n++) {
        const rule = { ...pool[Math.floor(rng() * pool.length)] };
        const key = keyOf(rule);
        const live = believed.has(key);
        // mostly the command that changes the table, sometimes the one that must be refused
        const insert = live ? rng() < 0.2 : rng() < 0.8;
        rule.action = Math.floor(rng() * (queues + 1)) - 1;
        try {
          if (insert) {
            try {
              await adapter.flows.insert(rule);
              expect(live, `insert of ${key} succeeded, but the host believes it is in the table`).toBe(false);
              believed.set(key, rule.action);
              outcomes.inserted++;
            } catch (err) {
              if (!(err instanceof FlowExistsError)) throw err;
              expect(live, `insert of ${key} found it present, but the host believes it is not`).toBe(true);
              outcomes.exists++;
            }
          } else {
            try {
              const e = await adapter.flows.delete(rule);
              expect(live, `delete of ${key} succeeded, but the host believes it is not in the table`).toBe(true);
              expect(e.action).toBe(believed.get(key));
              believed.delete(key);
              outcomes.deleted++;
            } catch (err) {
              if (!(err instanceof NotFoundError)) throw err;
              expect(live, `delete of ${key} found nothing, but the host believes it is in the table`).toBe(false);
              outcomes.notFound++;
            }
          }
        } catch (err) {
          // the one allowed failure: the line stayed too bad for the retries
          if (!(err instanceof BusError)) throw err;
          expect(err.message).toMatch(new RegExp(`^serial device ${sim.path}: .+ failed after \\d+ retries; last attempt: `));
          outcomes.failed++;
          failures.push(err.message);
          await resync(rule);
        }
      }
      const commandSeconds = (performance.now() - t0) / 1000;
      const commandStats = { ...bus.stats };
      const injected = await sim.faults();

      // read the whole table back over the same faulty line; a read that still fails after the
      // resends is a clear BusError, and the host reads the table again
      const t1 = performance.now();
      const readBackFailures: string[] = [];
      let entries: Awaited<ReturnType<typeof adapter.flows.list>> | undefined;
      let count = -1;
      while (!entries) {
        try {
          entries = await adapter.flows.list();
          count = await adapter.flows.count();
        } catch (err) {
          if (!(err instanceof BusError) || readBackFailures.length >= 2) throw err;
          expect(err.message).toMatch(new RegExp(`^serial device ${sim.path}: .+ failed after \\d+ retries; last attempt: `));
          readBackFailures.push(err.message);
          entries = undefined;
        }
      }
      const readBackSeconds = (performance.now() - t1) / 1000;
      const afterReadBack = await sim.faults();
      const readBackStats = Object.fromEntries(Object.entries(bus.stats).map(([k, v]) => [k, Math.round(v - commandStats[k as keyof typeof commandStats])]));
      const table = new Map(entries.map((e) => [keyOf(e.rule), e.action]));
      expect(table.size).toBe(entries.length);
      expect(count).toBe(believed.size);
      expect([...table.entries()].sort()).toEqual([...believed.entries()].sort());
      await bus.close();

      const summary = {
        commands: COMMANDS,
        rate: RATE,
        seed: SEED,
        outcomes,
        live: believed.size,
        bus: { ...commandStats, timeoutWaitMs: Math.round(commandStats.timeoutWaitMs), quietWaitMs: Math.round(commandStats.quietWaitMs) },
        injected: { toAdapter: injected.toAdapter, toHost: injected.toHost },
        commandSeconds: Number(commandSeconds.toFixed(1)),
        commandsPerSecond: Number((COMMANDS / commandSeconds).toFixed(1)),
        readBack: {
          entries: entries.length,
          seconds: Number(readBackSeconds.toFixed(1)),
          failures: readBackFailures,
          bus: readBackStats,
          injected: {
            toAdapter: { faults: afterReadBack.toAdapter.dropped + afterReadBack.toAdapter.corrupted - injected.toAdapter.dropped - injected.toAdapter.corrupted },
            toHost: { faults: afterReadBack.toHost.dropped + afterReadBack.toHost.corrupted - injected.toHost.dropped - injected.toHost.corrupted },
          },
        },
        failures,
      };
      console.log(`serial fault run: ${JSON.stringify(summary)}`);

      expect(outcomes.inserted + outcomes.deleted + outcomes.exists + outcomes.notFound + outcomes.failed).toBe(COMMANDS);
      // the faults really happened, at about the rate asked for, and cost resends
      for (const d of [injected.toAdapter, injected.toHost]) {
        const faults = d.dropped + d.corrupted;
        if (RATE > 0) {
          expect(faults).toBeGreaterThan(0.5 * RATE * d.bytes);
          expect(faults).toBeLessThan(1.5 * RATE * d.bytes + 10);
        }
      }
      if (RATE > 0) expect(commandStats.retries).toBeGreaterThan(0);
      // the read-back went over the faulty line too
      if (RATE > 0) expect(readBackStats.retries).toBeGreaterThan(0);
      // retries are there to make failures rare: at most one command in a hundred
      expect(outcomes.failed).toBeLessThanOrEqual(Math.ceil(COMMANDS / 100));
    },
    COMMANDS * 2000 + 600_000,
  );
});
