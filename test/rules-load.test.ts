// Adapter.applyRules all or nothing when the register bus fails under it (issue 9, item 5):
// the simulated core behind a bus that loses answers or dies after a given number of round
// trips, and a caller that aborts half-way. After each, the table read back through the
// healthy bus must be what it was before, or hold exactly the rules the error names.
import { beforeEach, describe, expect, it } from 'vitest';
import { createSim, type Sim } from '../sim/addon.js';
import { SimBus } from '../host/src/bus/sim-bus.js';
import { BusError, type RegisterBus } from '../host/src/bus/bus.js';
import { Adapter, ApplyInterruptedError, PartialApplyError, RuleApplyError } from '../host/src/driver/index.js';
import { takeOut } from '../host/src/driver/rule-set.js';
import { formatRule, parseRules, type Rule } from '../host/src/codec/rules.js';

/** Passes round trips through until `failAt`; from there loses answers (`lose` of them) or all of them (dead). */
class FailingBus implements RegisterBus {
  trips = 0;
  writes = 0;
  failAt = Infinity;
  /** How many round trips from failAt on run in the core but lose their answer; Infinity: the line is dead (nothing runs). */
  lose = Infinity;
  constructor(private readonly inner: SimBus) {}

  private async trip<T>(run: () => Promise<T>): Promise<T> {
    const n = this.trips++;
    if (n < this.failAt) return run();
    if (this.lose === Infinity) throw new BusError('EPROTO', 'line dead (test)');
    if (n < this.failAt + this.lose) {
      await run(); // the adapter did it; the answer is lost
      throw new BusError('EPROTO', 'answer lost (test)');
    }
    return run();
  }
  read(addr: number) {
    return this.trip(() => this.inner.read(addr));
  }
  write(addr: number, value: number) {
    this.writes++;
    return this.trip(() => this.inner.write(addr, value));
  }
  batch(ops: Uint32Array) {
    for (let i = 0; i < ops.length; i += 3) if (ops[i] === 1) this.writes++;
    return this.trip(() => this.inner.batch(ops));
  }
  async close() {}
}

/** Every rule the table holds, as sorted rules text. */
async function tableText(a: Adapter): Promise<string[]> {
  return (await a.rules()).map(formatRule).sort();
}

function flowRules(n: number, dst = '10.0.0.1'): string {
  return Array.from({ length: n }, (_, i) => `flow-type tcp4 src-ip 192.0.2.${1 + (i % 200)} dst-ip ${dst} src-port ${10000 + i} dst-port 80 action ${1 + (i % 3)}`).join('\n');
}

let sim: Sim;
let good: Adapter; // through the healthy bus: the truth
let bus: FailingBus;
let before: string[];

beforeEach(async () => {
  sim = createSim({ width: 64 });
  good = await Adapter.open(new SimBus(sim));
  await good.applyRules(parseRules('flow-type udp4 src-ip 192.0.2.250 dst-ip 10.0.0.1 src-port 5 dst-port 53 action 1\nlisten tcp4 dst-ip 10.0.0.1 dst-port 22 action 2\ndefault action 0'));
  before = await tableText(good);
  bus = new FailingBus(new SimBus(sim));
  return () => sim.close();
});

// a file with a listen, a default and 300 flows (five round trips of 64), to a new address too
const FILE = `listen tcp4 dst-ip 10.0.0.1 dst-port 80 action 1,2\ndefault action 3\n${flowRules(150)}\n${flowRules(150, '10.0.0.2')}`;

describe('applyRules over a failing bus', () => {
  it('takes out the rules of a round trip whose answer was lost, so nothing stays', async () => {
    const a = await Adapter.open(bus);
    bus.lose = 1;
    // after the listen, the default and the first 64 flows: the next round trip is 64 inserts
    const err = await a.applyRules(parseRules(FILE), { onProgress: (n) => n === 66 && (bus.failAt = bus.trips) }).catch((e) => e);
    expect(err).toBeInstanceOf(RuleApplyError);
    expect(err.index).toBe(66);
    expect(err.message).toMatch(/answer lost \(test\).*; nothing was applied$/);
    expect(await tableText(good)).toEqual(before);
  });

  it('names exactly what the table still holds when the line dies, and taking those out restores it', async () => {
    const a = await Adapter.open(bus);
    const rules = parseRules(FILE);
    let applied = 0;
    const err = await a
      .applyRules(rules, {
        onProgress: (n) => {
          applied = n;
          if (n >= 100 && bus.failAt === Infinity) bus.failAt = bus.trips + 1; // dies in the next-but-one round trip
        },
      })
      .catch((e) => e);
    expect(applied).toBeGreaterThanOrEqual(100);
    expect(err).toBeInstanceOf(PartialApplyError);
    const partial = err as PartialApplyError;
    expect(partial.failure).toBeInstanceOf(RuleApplyError);
    expect(partial.defaultLeft).toEqual({ was: 0 });
    // the table holds exactly the rules the error names (some may not have gone in: the answer never came)
    const now = await tableText(good);
    const added = now.filter((r) => !before.includes(r) && !r.startsWith('default'));
    const named = partial.left.map((l) => formatRule(l.rule)).sort();
    for (const r of added) expect(named).toContain(r);
    expect(added.length).toBeGreaterThanOrEqual(100);
    expect(now).toContain('default action 3');
    // the line comes back: deleting what it names (and the default) restores the table
    const fixed = await Adapter.open(new SimBus(sim));
    const out = await takeOut(fixed, partial.left);
    expect(out.error).toBeUndefined();
    expect(out.removed).toBe(added.length);
    await fixed.setDefault(0);
    expect(await tableText(good)).toEqual(before);
  });

  it('stops between round trips when the signal aborts and takes out what went in', async () => {
    const a = await Adapter.open(bus);
    const ac = new AbortController();
    const err = await a.applyRules(parseRules(FILE), { onProgress: (n) => n >= 130 && ac.abort('SIGINT'), signal: ac.signal }).catch((e) => e);
    expect(err).toBeInstanceOf(ApplyInterruptedError);
    expect(err.message).toMatch(/^interrupted \(SIGINT\) after \d+ of 302 rules; took them back out: nothing was applied$/);
    expect(err.applied).toBeGreaterThanOrEqual(130);
    expect(await tableText(good)).toEqual(before);
  });

  it('refuses a flow the table holds already before writing anything', async () => {
    const a = await Adapter.open(bus);
    const writes = bus.writes;
    const text = `${flowRules(100)}\nflow-type udp4 src-ip 192.0.2.250 dst-ip 10.0.0.1 src-port 5 dst-port 53 action 2`;
    const err = await a.applyRules(parseRules(text)).catch((e) => e);
    expect(err).toBeInstanceOf(RuleApplyError);
    expect(err.index).toBe(100);
    expect(err.message).toMatch(/flow already exists \(slot \d+, action 1\)/);
    // a lookup stages its key with writes, but no table command that changes anything ran
    expect(await tableText(good)).toEqual(before);
    expect(bus.writes).toBeGreaterThan(writes);
  });

  it('with a second signal, leaves the rest for recovery and says so', async () => {
    const a = await Adapter.open(bus);
    const stop = new AbortController();
    const giveUp = new AbortController();
    giveUp.abort('SIGINT');
    const rules: Rule[] = parseRules(FILE);
    const err = await a.applyRules(rules, { onProgress: (n) => n >= 66 && stop.abort('SIGINT'), signal: stop.signal, rollbackSignal: giveUp.signal }).catch((e) => e);
    expect(err).toBeInstanceOf(PartialApplyError);
    expect(err.failure).toBeInstanceOf(ApplyInterruptedError);
    expect(err.message).toMatch(/taking the rules back out failed too \(stopped by SIGINT\)/);
    const added = (await tableText(good)).filter((r) => !before.includes(r) && !r.startsWith('default'));
    expect(err.left.map((l: { rule: Rule }) => formatRule(l.rule)).sort()).toEqual(added);
  });
});
