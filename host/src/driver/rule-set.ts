// A rule set applied all or nothing (`sipnic rules load`, `sim replay --rules`).
//
// Everything that can be checked is checked before the first write: queues, repeats, room,
// and every flow and listen of the set looked up in the table, so that none of them was there
// before. Then the rules go in, in order, flows many to a bus round trip. On a failure, or when
// the caller's signal aborts between round trips, what went in is taken out again, and so is
// every rule whose command may have run without an answer. When taking out fails too (the
// line died, or the caller's second signal), PartialApplyError lists the rules the table may
// still hold; as none was there before, deleting them (`sipnic rules recover`) restores it.
import { formatIp } from '../codec/ip.js';
import { ruleKey, type FlowRule, type LearningRule, type ListenRule, type Rule } from '../codec/rules.js';
import { groupTable } from '../semantics/listen-group.js';
import { requireRuleFamily, type AddressTable } from './address-table.js';
import { ApplyInterruptedError, DriverError, FlowExistsError, ListenExistsError, NotFoundError, PartialApplyError, RuleApplyError, TableFullError } from './errors.js';
import type { FlowTable } from './flow-table.js';
import { HOST_AGING_CLASSES, requireLearning } from './learning.js';
import { sameListen, type ListenTable } from './listen-table.js';
import type { AdapterInfo } from './table-context.js';

export interface ApplyResult {
  flows: number;
  listens: number;
  defaultAction?: number;
}

export interface ApplyOptions {
  /** Stops between bus round trips; the rules added so far are taken out (ApplyInterruptedError). */
  signal?: AbortSignal;
  /** Stops the taking out as well: PartialApplyError says what the table may still hold. */
  rollbackSignal?: AbortSignal;
  /** After each round trip that added rules. */
  onProgress?: (applied: number, total: number) => void;
  /** Called once every check has passed, before the first write (a journal goes here). */
  beforeWrite?: (state: { previousDefault: number }) => Promise<void>;
  /** Flow commands per bus round trip (default 64). */
  batch?: number;
}

/** What applyRules needs of the adapter. */
export interface RuleSetTarget {
  readonly info: AdapterInfo;
  readonly addresses: AddressTable;
  readonly flows: FlowTable;
  readonly listens: ListenTable;
  checkAction(action: number): void;
  checkListenAction(action: ListenRule['action']): void;
  getDefault(): Promise<number>;
  setDefault(action: number): Promise<void>;
  /** the learning engine's settings (only called when the set has a learning line) */
  getLearning(): Promise<LearningRule>;
  setLearning(rule: LearningRule): Promise<void>;
  /** HOST_TIMEOUT1..3_MS (only called when the set has a flow rule with idle-timeout) */
  agingTimeouts(): Promise<number[]>;
}

type Indexed = { index: number; rule: Rule };

export async function applyRules(t: RuleSetTarget, rules: readonly Rule[], options: ApplyOptions = {}): Promise<ApplyResult> {
  const batch = options.batch ?? 64;
  const { flows, listens } = await check(t, rules, batch, options.signal);
  const previousDefault = await t.getDefault();
  const previousLearning = rules.some((r) => r.kind === 'learning') ? await t.getLearning() : undefined;
  await options.beforeWrite?.({ previousDefault });

  const steps = stepsOf(rules, batch);
  const done: Indexed[] = [];
  // rules whose command may have run although its answer never came
  const maybe: Indexed[] = [];
  let defaultTouched = false;
  let learningTouched = false;
  let failure: RuleApplyError | ApplyInterruptedError | undefined;
  let applied = 0;
  for (const step of steps) {
    if (options.signal?.aborted) {
      failure = new ApplyInterruptedError(String(options.signal.reason ?? 'abort'), applied, rules.length);
      break;
    }
    const first = step[0];
    try {
      if (first.rule.kind === 'flow') {
        const results = await t.flows.insertMany(step.map((s) => s.rule as FlowRule));
        results.forEach((r, k) => {
          if (r.ok) done.push(step[k]);
          else if (r.error.code === 'EHW') maybe.push(step[k]); // no answer: it may have gone in
          failure ??= r.ok ? undefined : new RuleApplyError(step[k].index, step[k].rule, r.error);
        });
      } else if (first.rule.kind === 'listen') {
        await t.listens.add(first.rule);
        done.push(first);
      } else if (first.rule.kind === 'default') {
        defaultTouched = true;
        await t.setDefault(first.rule.action);
      } else if (first.rule.kind === 'learning') {
        learningTouched = true;
        await t.setLearning(first.rule);
      }
    } catch (err) {
      if (first.rule.kind !== 'default' && first.rule.kind !== 'learning') maybe.push(...step);
      failure = new RuleApplyError(first.index, first.rule, err instanceof DriverError ? err : new DriverError('EHW', String((err as Error)?.message ?? err), { cause: err }));
    }
    if (failure) break;
    applied += step.length;
    options.onProgress?.(applied, rules.length);
  }
  if (!failure) return { flows, listens, defaultAction: defaultTouched ? await t.getDefault() : undefined };

  const left = await takeOut(t, [...done, ...maybe], options.rollbackSignal, batch);
  let defaultLeft: { was: number } | undefined;
  if (defaultTouched && !left.error) {
    try {
      await t.setDefault(previousDefault);
    } catch (err) {
      left.error = err;
    }
  }
  if (learningTouched && previousLearning && !left.error) {
    try {
      await t.setLearning(previousLearning);
    } catch (err) {
      left.error = err;
    }
  }
  if (defaultTouched && left.error !== undefined) defaultLeft = { was: previousDefault };
  if (left.error === undefined) throw failure;
  throw new PartialApplyError(failure, left.rules, defaultLeft, left.error);
}

/**
 * Deletes each rule (ones already gone count as out); stops at the first failure of the bus
 * or at the signal, and returns what may still be in, with the reason, and how many it deleted.
 */
export async function takeOut(t: RuleSetTarget, rules: readonly Indexed[], signal?: AbortSignal, batch = 64): Promise<{ rules: Indexed[]; removed: number; error?: unknown }> {
  const left = [...rules].sort((a, b) => b.index - a.index);
  let removed = 0;
  for (const step of stepsOf(left.map((s) => s.rule), batch, left.map((s) => s.index))) {
    if (signal?.aborted) return { rules: sortByIndex(left), removed, error: new Error(`stopped by ${String(signal.reason ?? 'abort')}`) };
    try {
      if (step[0].rule.kind === 'flow') {
        const results = await t.flows.deleteMany(step.map((s) => s.rule as FlowRule));
        const refused = results.findIndex((r) => !r.ok && !(r.error instanceof NotFoundError));
        results.forEach((r, k) => {
          if (r.ok) removed++;
          if (r.ok || r.error instanceof NotFoundError) remove(left, step[k].index);
        });
        if (refused >= 0) return { rules: sortByIndex(left), removed, error: (results[refused] as { error: DriverError }).error };
      } else if (step[0].rule.kind === 'listen') {
        removed += await t.listens.remove(step[0].rule).then(
          () => 1,
          (err) => {
            if (err instanceof NotFoundError) return 0;
            throw err;
          },
        );
        remove(left, step[0].index);
      } else remove(left, step[0].index);
    } catch (err) {
      return { rules: sortByIndex(left), removed, error: err };
    }
  }
  return { rules: [], removed };
}

/** Consecutive flows in runs of up to `batch`; every other rule alone. */
function stepsOf(rules: readonly Rule[], batch: number, indices?: readonly number[]): Indexed[][] {
  const steps: Indexed[][] = [];
  rules.forEach((rule, i) => {
    const item = { index: indices ? indices[i] : i, rule };
    const last = steps.at(-1);
    if (rule.kind === 'flow' && last && last[0].rule.kind === 'flow' && last.length < batch) last.push(item);
    else steps.push([item]);
  });
  return steps;
}

const remove = (list: Indexed[], index: number) => {
  const at = list.findIndex((s) => s.index === index);
  if (at >= 0) list.splice(at, 1);
};
const sortByIndex = (list: Indexed[]) => [...list].sort((a, b) => a.index - b.index);

/** Every check that needs no write: throws the RuleApplyError of the first rule that fails. */
async function check(t: RuleSetTarget, rules: readonly Rule[], batch: number, signal?: AbortSignal): Promise<{ flows: number; listens: number }> {
  const seen = new Map<string, number>();
  const newAddresses = new Set<string>();
  let flows = 0;
  let listens = 0;
  const timeouts = new Map<number, number>(); // idle timeout -> first rule with it
  for (const [i, rule] of rules.entries()) {
    // a learning line, `learn` and `idle-timeout` need the adapter's learning engine
    const learning = rule.kind === 'learning' ? 'a learning line' : rule.kind === 'listen' && rule.learn ? '"learn"' : rule.kind === 'flow' && rule.idleTimeoutMs !== undefined ? '"idle-timeout"' : '';
    if (learning) {
      try {
        requireLearning(t, learning);
      } catch (err) {
        throw new RuleApplyError(i, rule, err as DriverError);
      }
    }
    if (rule.kind === 'flow' && rule.idleTimeoutMs !== undefined && !timeouts.has(rule.idleTimeoutMs)) timeouts.set(rule.idleTimeoutMs, i);
    if (rule.kind === 'learning') continue;
    try {
      // an IPv4-only adapter (FEATURES.IPV4_ONLY) takes no IPv6 rule
      if (rule.kind !== 'default') requireRuleFamily(t, rule);
      if (rule.kind === 'listen') t.checkListenAction(rule.action);
      else t.checkAction(rule.action);
    } catch (err) {
      throw new RuleApplyError(i, rule, err as DriverError);
    }
    const key = ruleKey(rule);
    if (rule.kind !== 'default' && seen.has(key)) {
      const first = seen.get(key)!;
      const cause =
        rule.kind === 'flow' ? new FlowExistsError(rule, -1, (rules[first] as FlowRule).action) : new ListenExistsError(rule, -1, (rules[first] as ListenRule).action);
      throw new RuleApplyError(i, rule, cause);
    }
    seen.set(key, i);
    if (rule.kind === 'flow') flows++;
    if (rule.kind === 'listen') listens++;
    if (rule.kind !== 'default' && t.addresses.find(rule.family, rule.dstIp) < 0) newAddresses.add(`${rule.family}|${formatIp(rule.dstIp, rule.family)}`);
  }
  const lastOf = (kind: Rule['kind']) => {
    for (let i = rules.length - 1; i >= 0; i--) if (rules[i].kind === kind) return i;
    return -1;
  };
  const { info } = t;
  if (newAddresses.size > t.addresses.free()) {
    const i = rules.findIndex((r) => r.kind !== 'default');
    throw new RuleApplyError(i, rules[i], new TableFullError('address', info.addressSlots));
  }
  if (listens > 0) {
    const existing = await t.listens.list();
    for (const [i, rule] of rules.entries()) {
      if (rule.kind !== 'listen') continue;
      const dup = existing.find((e) => sameListen(e.rule, rule));
      if (dup) throw new RuleApplyError(i, rule, new ListenExistsError(rule, dup.entry, dup.rule.action));
    }
    if (existing.length + listens > info.listenEntries) {
      const i = lastOf('listen');
      throw new RuleApplyError(i, rules[i], new TableFullError('listen', info.listenEntries));
    }
    // queue lists: each new list needs a free group unless a group already holds its table
    const tables = new Set(t.listens.groups().map((g) => g.table.join(',')));
    let free = info.listenGroups - tables.size;
    for (const [i, rule] of rules.entries()) {
      if (rule.kind !== 'listen' || !Array.isArray(rule.action)) continue;
      const table = groupTable(rule.action).join(',');
      if (tables.has(table)) continue;
      if (free-- <= 0) throw new RuleApplyError(i, rule, new TableFullError('group', info.listenGroups, 0, rule));
      tables.add(table);
    }
  }
  if (timeouts.size > 0) {
    // host rules age by class: each new idle timeout needs a class no timeout holds yet
    const held = await t.agingTimeouts();
    let free = held.filter((ms) => ms === 0).length;
    for (const [ms, i] of timeouts) {
      if (held.includes(ms)) continue;
      if (free-- <= 0) throw new RuleApplyError(i, rules[i], new TableFullError('timeouts', HOST_AGING_CLASSES, 0, rules[i]));
    }
  }
  if (flows > 0 && (await t.flows.count()) + flows > info.flowEntries + info.flowStash) {
    const i = lastOf('flow');
    throw new RuleApplyError(i, rules[i], new TableFullError('flow', info.flowEntries, info.flowStash));
  }
  // no flow of the set may be in the table already: then every rule a failed load leaves
  // behind is one of its own, and taking them out restores the table
  for (const step of stepsOf(rules, batch)) {
    if (step[0].rule.kind !== 'flow') continue;
    if (signal?.aborted) throw new ApplyInterruptedError(String(signal.reason ?? 'abort'), 0, rules.length);
    const found = await t.flows.lookupMany(step.map((s) => s.rule as FlowRule));
    const k = found.findIndex(Boolean);
    if (k >= 0) throw new RuleApplyError(step[k].index, step[k].rule, new FlowExistsError(step[k].rule as FlowRule, found[k]!.slot, found[k]!.action));
  }
  return { flows, listens };
}
