// The flow block's learning engine (docs/semantics.md, "Learning and aging"): its settings
// (the `learning` line), the aging classes that host rules with `idle-timeout` share, and its
// counters. An adapter built without the engine (flow FEATURES.LEARNING clear) refuses all of
// it with ENOBLOCK, so a rule set that needs it fails before its first write.
import { LEARNING_DEFAULTS, type LearningRule } from '../codec/rules.js';
import { DriverError, TableFullError } from './errors.js';
import { Ops } from './ops.js';
import { FIELDS, getField, putField } from './regs.generated.js';
import type { AdapterInfo, TableContext } from './table-context.js';

/** MAX_ENTRIES at reset: no limit beyond the table's own size. */
export const NO_MAX_ENTRIES = 0xffff;
/** Host aging classes 1..3 (class 0: never aged). */
export const HOST_AGING_CLASSES = 3;

export interface LearningCounters {
  learned: number;
  aged: { embryonic: number; established: number; closing: number; host: number };
  refused: { exact: number; quota: number; full: number; busy: number };
  /** learned entries embryonic now */
  embryonic: number;
}

/** Throws ENOBLOCK unless the adapter has the learning engine; `what` names the word that needs it. */
export function requireLearning(ctx: { readonly info: AdapterInfo }, what: string): void {
  if (!ctx.info.learning) throw new DriverError('ENOBLOCK', `${what} needs the adapter's learning engine, which this build does not have (flow FEATURES.LEARNING is 0)`);
}

const SETTINGS = ['SYN_TIMEOUT_MS', 'IDLE_TIMEOUT_MS', 'FIN_TIMEOUT_MS', 'MAX_EMBRYONIC', 'MAX_ENTRIES'] as const;

/**
 * Settings read from an adapter that had no learning line loaded (LEARN_CONTROL.TRANSMIT
 * clear): written back as they are, they leave it clear, so a rule set that fails after its
 * learning line restores the adapter exactly.
 */
const notLoaded = new WeakSet<LearningRule>();

/** The engine's timers and quotas as a `learning` rule (MAX_ENTRIES at its reset value reads as no max-entries). */
export async function readLearning(ctx: TableContext): Promise<LearningRule> {
  requireLearning(ctx, 'the learning settings');
  const ops = new Ops();
  for (const name of SETTINGS) ops.read(ctx.reg('flow', name));
  ops.read(ctx.reg('flow', 'LEARN_CONTROL'));
  const [syn, idle, fin, maxEmbryonic, maxEntries, control] = await ops.run(ctx.bus);
  const rule: LearningRule = {
    kind: 'learning',
    synTimeoutMs: syn,
    idleTimeoutMs: idle,
    finTimeoutMs: fin,
    maxEmbryonic,
    ...(maxEntries !== NO_MAX_ENTRIES ? { maxEntries } : {}),
  };
  if (!getField(FIELDS.flow.LEARN_CONTROL.TRANSMIT, control)) notLoaded.add(rule);
  return rule;
}

/** Writes the timers and quotas in one round trip; a learning line also turns transmit-side learning on (docs/semantics.md rule 9). */
export async function writeLearning(ctx: TableContext, rule: LearningRule): Promise<void> {
  requireLearning(ctx, 'a learning line');
  const values = [rule.synTimeoutMs, rule.idleTimeoutMs, rule.finTimeoutMs, rule.maxEmbryonic, rule.maxEntries ?? NO_MAX_ENTRIES];
  const ops = new Ops();
  SETTINGS.forEach((name, i) => ops.write(ctx.reg('flow', name), values[i]));
  ops.write(ctx.reg('flow', 'LEARN_CONTROL'), putField(FIELDS.flow.LEARN_CONTROL.TRANSMIT, notLoaded.has(rule) ? 0 : 1));
  await ops.run(ctx.bus);
}

/** The settings an adapter comes up with (a `learning` line with every word left out). */
export const defaultLearning = (): LearningRule => ({ kind: 'learning', ...LEARNING_DEFAULTS });

const COUNTERS = ['LEARNED', 'AGED_EMBRYONIC', 'AGED_ESTABLISHED', 'AGED_CLOSING', 'AGED_HOST', 'REFUSED_EXACT', 'REFUSED_QUOTA', 'REFUSED_FULL', 'REFUSED_BUSY', 'EMBRYONIC'] as const;

/** The learning counters (undefined without the engine). */
export async function readLearningCounters(ctx: TableContext): Promise<LearningCounters | undefined> {
  if (!ctx.info.learning) return undefined;
  const ops = new Ops();
  for (const name of COUNTERS) ops.read(ctx.reg('flow', name));
  const [learned, agedE, agedS, agedC, agedH, exact, quota, full, busy, embryonic] = await ops.run(ctx.bus);
  return {
    learned,
    aged: { embryonic: agedE, established: agedS, closing: agedC, host: agedH },
    refused: { exact, quota, full, busy },
    embryonic,
  };
}

/** HOST_TIMEOUT1..3_MS: the idle timeout of each host aging class (0: class unused); ENOBLOCK without the engine. */
export async function readAgingTimeouts(ctx: TableContext): Promise<number[]> {
  requireLearning(ctx, '"idle-timeout"');
  const ops = new Ops();
  for (let c = 1; c <= HOST_AGING_CLASSES; c++) ops.read(ctx.reg('flow', `HOST_TIMEOUT${c}_MS`));
  return Array.from(await ops.run(ctx.bus));
}

/**
 * The aging class of each idle timeout: a class whose HOST_TIMEOUTc_MS already holds it, else a
 * class whose timeout is 0 (unused), which is then written. The adapter ages host entries by
 * class, so a table holds at most three distinct host idle timeouts; a fourth is EFULL.
 * A class once written keeps its timeout (entries of it may still be in the table).
 */
export async function agingClasses(ctx: TableContext, timeoutsMs: Iterable<number>): Promise<Map<number, number>> {
  const wanted = [...new Set(timeoutsMs)];
  const out = new Map<number, number>();
  if (wanted.length === 0) return out;
  const held = await readAgingTimeouts(ctx);
  const reg = (c: number) => ctx.reg('flow', `HOST_TIMEOUT${c}_MS`);
  const write = new Ops();
  for (const ms of wanted) {
    let c = held.indexOf(ms);
    if (c < 0) {
      c = held.indexOf(0);
      if (c < 0) throw new TableFullError('timeouts', HOST_AGING_CLASSES);
      held[c] = ms;
      write.write(reg(c + 1), ms);
    }
    out.set(ms, c + 1);
  }
  if (write.length > 0) await write.run(ctx.bus);
  return out;
}
