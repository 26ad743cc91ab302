// The tables' command and status words, from the generated fields (regs.generated.ts).
import { FIELDS, getField, putField, type FieldDef } from './regs.generated.js';

const FLOW = FIELDS.flow;

/** A COMMAND register's word for a named op (`flow.COMMAND.OP` values `insert`, …). */
export function commandWord<K extends string>(op: FieldDef & { readonly values: Readonly<Record<K, number>> }, name: K): number {
  return putField(op, op.values[name]);
}

/** Poll mask of flow.STATUS: set while a command runs. */
export const FLOW_BUSY = FLOW.STATUS.BUSY.mask;

/** The results a flow command answers (flow.STATUS.RESULT). */
export const FLOW_RESULT = FLOW.STATUS.RESULT.values;

/** The result of the last flow command, from a STATUS word. */
export const flowResult = (status: number): number => getField(FLOW.STATUS.RESULT, status);

export type FlowOp = keyof typeof FLOW.COMMAND.OP.values;

/**
 * flow.COMMAND op codes under the names cluster/adapter-bus.ts reads them by; the driver
 * itself writes commandWord(FIELDS.flow.COMMAND.OP, …).
 */
export const FLOW_OP = {
  insert: FLOW.COMMAND.OP.values.insert,
  delete: FLOW.COMMAND.OP.values.delete,
  lookup: FLOW.COMMAND.OP.values.lookup,
  readSlot: FLOW.COMMAND.OP.values.read_slot,
  clear: FLOW.COMMAND.OP.values.clear,
} as const;

/** addr.COMMAND, listen.COMMAND and listen.GROUP_COMMAND op codes (the same in all three), for the same reader. */
export const TABLE_CMD = FIELDS.listen.COMMAND.OP.values;
