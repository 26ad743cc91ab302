// Table command codes and the flow table's STATUS word.
/** flow.STATUS bit 0: a command is running. */
export const STATUS_BUSY = 1;
/** flow.COMMAND op codes. */
export const FLOW_OP = { insert: 1, delete: 2, lookup: 3, readSlot: 4, clear: 5 } as const;
export const FLOW_STATUS = { ok: 0, exists: 1, full: 2, notFound: 3 } as const;
/** addr.COMMAND, listen.COMMAND and listen.GROUP_COMMAND op codes. */
export const TABLE_CMD = { write: 1, read: 2 } as const;

/** The result of the last flow command, from a STATUS word. */
export const flowResult = (status: number): number => (status >>> 4) & 0xf;
