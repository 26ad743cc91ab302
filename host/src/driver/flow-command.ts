// The flow table's register sequences, each written once: a command on a staged key (insert,
// delete, lookup), and the slot-by-slot read (READ_SLOT) that lists the table and finds the
// users of a cluster address slot.
import type { FlowRule } from '../codec/rules.js';
import { decodeAction, encodeAction } from './actions.js';
import { commandWord, FLOW_BUSY, type FlowOp } from './commands.js';
import { addressBytes, addressWords, decodeKeyFlags, encodePorts, encodeKeyFlags, type KeyFlags } from './key.js';
import { Ops } from './ops.js';
import { FIELDS } from './regs.generated.js';
import type { TableContext } from './table-context.js';

/**
 * Adds one flow command to a batch: wait for not-busy, stage the key (and the action of an
 * insert), write COMMAND, wait for not-busy again. Returns the index of that last STATUS.
 */
export function stageFlowCommand(ops: Ops, ctx: TableContext, op: Extract<FlowOp, 'insert' | 'delete' | 'lookup'>, rule: FlowRule, addressSlot: number): number {
  ops.poll(ctx.reg('flow', 'STATUS'), FLOW_BUSY);
  ops.write(ctx.reg('flow', 'KEY_FLAGS'), encodeKeyFlags(FIELDS.flow.KEY_FLAGS, { family: rule.family, proto: rule.proto, addressSlot }));
  ops.write(ctx.reg('flow', 'KEY_PORTS'), encodePorts(rule.srcPort, rule.dstPort));
  addressWords(rule.srcIp).forEach((w, k) => ops.write(ctx.reg('flow', `KEY_SRC${k}`), w));
  if (op === 'insert') ops.write(ctx.reg('flow', 'ACTION'), encodeAction(rule.action));
  ops.write(ctx.reg('flow', 'COMMAND'), commandWord(FIELDS.flow.COMMAND.OP, op));
  return ops.poll(ctx.reg('flow', 'STATUS'), FLOW_BUSY);
}

/** A live slot of the flow table; `entry` only when the whole entry was read. */
export interface SlotRead {
  slot: number;
  key: KeyFlags;
  entry?: { ports: number; src: Uint8Array; action: number; hits: number };
}

const ENTRY_REGS = ['RES_PORTS', 'RES_SRC0', 'RES_SRC1', 'RES_SRC2', 'RES_SRC3', 'RES_ACTION', 'RES_HITS'];

/**
 * Reads the slots in order, `chunkAt(start)` slots per bus round trip, and yields each live
 * one until COUNT live entries have been seen; a caller that stops early saves the rest.
 * With `full`, each slot's whole entry is read, else only its flags.
 */
export async function* scanFlowSlots(ctx: TableContext, full: boolean, chunkAt: (start: number) => number): AsyncGenerator<SlotRead> {
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
      const entry = full ? { ports: r[i + 1], src: addressBytes(r.subarray(i + 2, i + 6)), action: decodeAction(r[i + 6]), hits: r[i + 7] } : undefined;
      yield { slot: start + k, key, entry };
    }
  }
}
