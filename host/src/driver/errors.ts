// The driver's errors: one base class with a `code`, and a named subclass for each failure a
// caller may want to tell apart, carrying the data that explains it (table, capacity, rule).
import { formatAction, formatRule, ruleKey, type FlowRule, type ListenAction, type ListenRule, type Rule } from '../codec/rules.js';

export type DriverErrorCode = 'ENODEV' | 'ENOBLOCK' | 'EVERSION' | 'EFULL' | 'EEXIST' | 'ENOENT' | 'EQUEUE' | 'EHW' | 'ENOREG' | 'EACCESS' | 'EINVAL' | 'EINTR' | 'EPARTIAL' | 'ENOTSUP';

/** Base of the driver's errors; `code` tells them apart without instanceof. */
export class DriverError extends Error {
  constructor(
    readonly code: DriverErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

export type TableName = 'flow' | 'listen' | 'address' | 'group' | 'timeouts';

/** A table has no room: flow (hashed entries + stash), listen entries or address slots. */
export class TableFullError extends DriverError {
  constructor(
    readonly table: TableName,
    readonly capacity: number,
    readonly stash = 0,
    readonly rule?: Rule,
  ) {
    super('EFULL', TableFullError.describe(table, capacity, stash));
  }
  static describe(table: TableName, capacity: number, stash: number): string {
    if (table === 'flow') return `flow table full (${capacity} entries + ${stash} stash)`;
    if (table === 'listen') return `listen table full (${capacity} entries)`;
    if (table === 'group') {
      if (capacity === 0) return 'this adapter has no queue groups: a listen rule takes one queue';
      return `no free queue group (${capacity} groups, each in use by listen rules with another queue list; rules with the same list share one)`;
    }
    if (table === 'timeouts') return `no free aging class: host rules in the table already use ${capacity} other idle timeouts (the adapter ages host rules by class; use one of those timeouts, or remove the rules of one)`;
    return `address table full (${capacity} slots, each holding another cluster address that rules use; a rule's dst-ip must be one of those, or remove the rules of one to free its slot)`;
  }
}

/** The same flow key is already in the table. */
export class FlowExistsError extends DriverError {
  constructor(
    readonly rule: FlowRule,
    readonly slot: number,
    readonly action: number,
  ) {
    super('EEXIST', `flow already exists (slot ${slot}, action ${action}): ${ruleKey(rule)}`);
  }
}

/** A listen entry with the same (family, protocol, dst-ip, dst-port) is already in the table. */
export class ListenExistsError extends DriverError {
  constructor(
    readonly rule: ListenRule,
    readonly entry: number,
    readonly action: ListenAction,
  ) {
    super('EEXIST', `listen rule already exists (entry ${entry}, action ${formatAction(action)}): ${ruleKey(rule)}`);
  }
}

/** Delete/remove of a rule that is not in the table. */
export class NotFoundError extends DriverError {
  constructor(readonly rule: FlowRule | ListenRule) {
    super('ENOENT', `no such ${rule.kind} rule: ${ruleKey(rule)}`);
  }
}

/** An action that names a queue the adapter does not have. */
export class UnknownQueueError extends DriverError {
  constructor(
    readonly action: number,
    readonly queues: number,
  ) {
    super('EQUEUE', `queue ${action} does not exist: the adapter has ${queues} queues (0..${queues - 1}; action -1 drops)`);
  }
}

/**
 * An IPv6 rule or cluster address on an adapter built IPv4-only (IPV6=0, flow
 * FEATURES.IPV4_ONLY): its parser leaves IPv6 frames to the default action and its flow table
 * holds 32-bit source addresses, so nothing of it is written.
 */
export class Ipv4OnlyError extends DriverError {
  constructor(
    /** what was refused: "flow rule …", "listen rule …", "address slot …" */
    readonly what: string,
  ) {
    super('ENOTSUP', `${what}: this adapter is an IPv4-only build (IPV6=0, flow FEATURES.IPV4_ONLY is 1); it steers no IPv6 and takes no IPv6 rule or address`);
  }
}

/** A rule of applyRules failed; nothing of the set stayed applied. */
export class RuleApplyError extends DriverError {
  /** Line of the rule in its file, where the rules came from a file. */
  line?: number;
  constructor(
    readonly index: number,
    readonly rule: Rule,
    override readonly cause: DriverError,
  ) {
    super(cause.code, `rule ${index + 1} (${formatRule(rule)}): ${cause.message}; nothing was applied`, { cause });
  }
}

/** applyRules stopped by its caller's signal (SIGINT, SIGTERM); what it had added was taken out again. */
export class ApplyInterruptedError extends DriverError {
  constructor(
    readonly reason: string,
    readonly applied: number,
    readonly total: number,
  ) {
    super('EINTR', `interrupted (${reason}) after ${applied} of ${total} rules; took them back out: nothing was applied`);
  }
}

/**
 * applyRules failed or was interrupted, and taking its rules back out failed too (the bus
 * went away, or a second signal): `left` are the rules the table may still hold (none of them
 * was there before: deleting them restores the table), `defaultLeft` the default action when
 * it was not restored.
 */
export class PartialApplyError extends DriverError {
  constructor(
    readonly failure: RuleApplyError | ApplyInterruptedError,
    readonly left: readonly { index: number; rule: Rule }[],
    readonly defaultLeft: { was: number } | undefined,
    readonly rollbackError: unknown,
  ) {
    const what = [left.length ? `${left.length} of its rules` : '', defaultLeft ? `the new default action (was ${defaultLeft.was})` : ''].filter(Boolean).join(' and ');
    const why = rollbackError instanceof Error ? rollbackError.message : String(rollbackError);
    super('EPARTIAL', `${failure.message.replace(/; (took them back out: )?nothing was applied$/, '')}; taking the rules back out failed too (${why}): the table may still hold ${what}`, { cause: failure });
  }
}
