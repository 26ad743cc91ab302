// The flow table's register sequences, each written once: a command on a staged key (insert,
// delete, lookup), and the slot-by-slot read (READ_SLOT) that lists the table and finds the
// users of a cluster address slot.
import type { FlowRule } from '../codec/rules.js';
import { decodeAction, encodeAction } from './actions.js';
import { commandWord, FLOW_BUSY, type FlowOp } from './commands.js';
import { addressBytes, addressWords, decodeKeyFlags, encodePorts, encodeKeyFlags, type KeyFlags } from './key.js';
import { Ops } from './ops.js';
import { DriverError } from './errors.js';
import { FIELDS, getField } from './regs.generated.js';
import type { TableContext } from './table-context.js';

/**
 * Adds one flow command to a batch: wait for not-busy, stage the key (and the action and, with
 * the learning engine, the aging class of an insert), write COMMAND, wait for not-busy again.
 * Returns the index of that last STATUS.
 */
export function stageFlowCommand(ops: Ops, ctx: TableContext, op: Extract<FlowOp, 'insert' | 'delete' | 'lookup'>, rule: FlowRule, addressSlot: number, agingClass = 0): number {
  ops.poll(ctx.reg('flow', 'STATUS'), FLOW_BUSY);
  ops.write(ctx.reg('flow', 'KEY_FLAGS'), encodeKeyFlags(FIELDS.flow.KEY_FLAGS, { family: rule.family, proto: rule.proto, addressSlot }));
  ops.write(ctx.reg('flow', 'KEY_PORTS'), encodePorts(rule.srcPort, rule.dstPort));
  addressWords(rule.srcIp).forEach((w, k) => ops.write(ctx.reg('flow', `KEY_SRC${k}`), w));
  if (op === 'insert') ops.write(ctx.reg('flow', 'ACTION'), encodeAction(rule.action));
  // INSERT_CLASS holds between commands: every insert sets its own
  if (op === 'insert' && ctx.info.learning) ops.write(ctx.reg('flow', 'INSERT_CLASS'), agingClass);
  ops.write(ctx.reg('flow', 'COMMAND'), commandWord(FIELDS.flow.COMMAND.OP, op));
  return ops.poll(ctx.reg('flow', 'STATUS'), FLOW_BUSY);
}

/** A live slot of the flow table; `entry` only when the whole entry was read. */
export interface SlotRead {
  slot: number;
  key: KeyFlags;
  entry?: { ports: number; src: Uint8Array; action: number; hits: number; meta: number };
}

const ENTRY_REGS = ['RES_PORTS', 'RES_SRC0', 'RES_SRC1', 'RES_SRC2', 'RES_SRC3', 'RES_ACTION', 'RES_HITS', 'RES_META'];

/**
 * Reads the slots in order, `chunkAt(start)` slots per bus round trip, and yields each live
 * one until COUNT live entries have been seen; a caller that stops early saves the rest.
 * With `full`, each slot's whole entry is read, else only its flags (the walk reads whole
 * entries either way). An adapter with the flow walk (WALK_DATA) is read through it
 * (walkFlowSlots), else slot by slot (readFlowSlots).
 */
export function scanFlowSlots(ctx: TableContext, full: boolean, chunkAt: (start: number) => number): AsyncGenerator<SlotRead> {
  return ctx.info.flowWalk ? walkFlowSlots(ctx, chunkAt) : readFlowSlots(ctx, full, chunkAt);
}

/** Words of a live entry's walk record (an empty slot's record is one word). */
export const WALK_RECORD_WORDS = 8;

/**
 * The table through the flow walk: each bus round trip sets WALK_SLOT to the first slot not yet
 * read whole and reads WALK_DATA as a burst of words (about `chunkAt(slot)` slots' worth, at
 * least what the live entries still to come need); the records are parsed in order and a record
 * cut off at the end of the burst is read again by the next one. Setting the cursor in every
 * round trip keeps two walkers on one served bus from stepping on each other between round trips.
 * Stops once COUNT live entries have been seen or the slots are done.
 */
export async function* walkFlowSlots(ctx: TableContext, chunkAt: (start: number) => number): AsyncGenerator<SlotRead> {
  const total = ctx.info.flowEntries + ctx.info.flowStash;
  const count = await ctx.bus.read(ctx.reg('flow', 'COUNT'));
  const data = ctx.reg('flow', 'WALK_DATA');
  let seen = 0;
  let slot = 0;
  while (slot < total && seen < count) {
    const need = (count - seen) * WALK_RECORD_WORDS;
    const words = Math.max(WALK_RECORD_WORDS, Math.min(chunkAt(slot) * WALK_RECORD_WORDS, need));
    const ops = new Ops();
    ops.write(ctx.reg('flow', 'WALK_SLOT'), slot);
    for (let k = 0; k < words; k++) ops.read(data);
    const r = await ops.run(ctx.bus);
    // r[0] is the write's; the words start at 1
    for (let i = 1; i < r.length && slot < total && seen < count; slot++) {
      const w = r[i];
      if (!getField(FIELDS.flow.WALK_DATA.VALID, w)) {
        if (w !== 0) throw new DriverError('EHW', `flow walk: slot ${slot} has an empty record that is not 0 (0x${w.toString(16)})`);
        i++;
        continue;
      }
      if (i + WALK_RECORD_WORDS > r.length) break; // cut off: the next burst starts at this slot
      const { valid: _valid, ...key } = decodeKeyFlags(FIELDS.flow.WALK_DATA, w);
      seen++;
      const action = decodeAction(getField(FIELDS.flow.WALK_DATA.ACTION, w)); // the hardware byte: DROP set is -1
      yield { slot, key, entry: { ports: r[i + 1], src: addressBytes(r.subarray(i + 2, i + 6)), action, hits: r[i + 6], meta: r[i + 7] } };
      i += WALK_RECORD_WORDS;
    }
  }
}

/** The table slot by slot: SLOT, COMMAND read_slot, poll STATUS, read RES_* (5 commands on a serial line). */
async function* readFlowSlots(ctx: TableContext, full: boolean, chunkAt: (start: number) => number): AsyncGenerator<SlotRead> {
  const total = ctx.info.flowEntries + ctx.info.flowStash;
  const count = await ctx.bus.read(ctx.reg('flow', 'COUNT'));
  let seen = 0;
  for (let start = 0, chunk = chunkAt(0); start < total && seen < count; start += chunk, chunk = chunkAt(start)) {
    const ops = new Ops();
    const at: number[] = [];
    for (let s = start; s < Math.min(total, start + chunk); s++) {
      ops.write(ctx.reg('flow', 'SLOT'), s);
      ops.write(ctx.reg('flow', 'COMMAND'), commandWord(FIELDS.flow.COMMAND.OP, 'read_slot'));
      ops.poll(ctx.reg('flow', 'STATUS'), FLOW_BUSY);
      at.push(ops.read(ctx.reg('flow', 'RES_FLAGS')));
      if (full) for (const name of ENTRY_REGS) ops.read(ctx.reg('flow', name));
    }
    const r = await ops.run(ctx.bus);
    for (const [k, i] of at.entries()) {
      const { valid, ...key } = decodeKeyFlags(FIELDS.flow.RES_FLAGS, r[i]);
      if (!valid) continue;
      seen++;
      const entry = full ? { ports: r[i + 1], src: addressBytes(r.subarray(i + 2, i + 6)), action: decodeAction(r[i + 6]), hits: r[i + 7], meta: r[i + 8] } : undefined;
      yield { slot: start + k, key, entry };
    }
  }
}
