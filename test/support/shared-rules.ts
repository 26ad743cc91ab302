// Loads a random rule set (test/support/framegen.ts) into an adapter, shared ports included,
// and returns the reference model loaded with the same rules.
//
// A shared port's queue list may name a queue the adapter does not have (so that the drop
// reason bad_queue is exercised), which the driver refuses. Such a list goes in as a stand-in
// list (its bad queue replaced, with a table no other list has), and its group's slots are
// then written with the real list through the registers. The reference gets the real rules.
import type { Adapter } from '../../host/src/driver/index.js';
import { ReferenceAdapter } from '../../host/src/semantics/reference.js';
import { parseRules } from '../../host/src/codec/rules.js';
import { ipEquals, parseIp } from '../../host/src/codec/ip.js';
import { rulesText, type RuleSet } from './framegen.js';

/** Slot i of a list's table holds list[i mod n] (docs/semantics.md). */
const slotsOf = (list: readonly number[], slots: number) => Array.from({ length: slots }, (_, i) => list[i % list.length]);

/** `ipv6: false`: the adapter is an IPv4-only build (the rules must be IPv4; the reference takes IPv6 frames as not steerable). */
export async function loadSharedRules(adapter: Adapter, rules: RuleSet, slots = 8, ipv6 = true): Promise<ReferenceAdapter> {
  const queues = adapter.info.queues;
  const lists = rules.listens.flatMap((l) => (Array.isArray(l.action) ? [l.action] : []));
  const tables = new Set(lists.map((l) => slotsOf(l, slots).join()));
  const standIn = new Map<string, number[]>();
  for (const list of lists) {
    if (list.every((q) => q < queues) || standIn.has(list.join())) continue;
    let k = 0;
    let candidate = list.map((q) => (q < queues ? q : k));
    while (tables.has(slotsOf(candidate, slots).join())) candidate = list.map((q) => (q < queues ? q : ++k));
    if (k >= queues) throw new Error(`no stand-in list for ${list.join(',')}`);
    tables.add(slotsOf(candidate, slots).join());
    standIn.set(list.join(), candidate);
  }
  const loaded: RuleSet = {
    ...rules,
    listens: rules.listens.map((l) => (Array.isArray(l.action) && standIn.has(l.action.join()) ? { ...l, action: standIn.get(l.action.join())! } : l)),
  };
  await adapter.applyRules(parseRules(rulesText(loaded)));
  const entries = await adapter.listens.list();
  const poked = new Set<number>();
  for (const l of rules.listens) {
    if (!Array.isArray(l.action) || !standIn.has(l.action.join())) continue;
    const e = entries.find((x) => x.rule.family === l.family && x.rule.proto === l.proto && x.rule.dstPort === l.dstPort && ipEquals(x.rule.dstIp, parseIp(l.dst).bytes));
    if (typeof e?.group !== 'number') throw new Error(`listen ${l.proto}${l.family} ${l.dst} ${l.dstPort}: no queue group`);
    if (poked.has(e.group)) continue;
    poked.add(e.group);
    await adapter.bus.write(adapter.reg('listen', 'GROUP'), e.group);
    for (const [i, q] of slotsOf(l.action, slots).entries()) await adapter.bus.write(adapter.reg('listen', 'GROUP_QUEUE', i), q);
    await adapter.bus.write(adapter.reg('listen', 'GROUP_COMMAND'), 1);
  }
  if (standIn.size && poked.size === 0) throw new Error('a stand-in list was loaded but no group was rewritten');
  const reference = new ReferenceAdapter({ queues, ipv6 });
  for (const rule of parseRules(rulesText(rules))) {
    if (rule.kind === 'default') reference.setDefault(rule.action);
    else reference.add(rule);
  }
  return reference;
}
