// The primary's seam to listen groups: a listen rule whose action is a list of queues, spread
// by the adapter's hash of the address/port pair (host/src/semantics/listen-group.ts), changed in place
// by ListenTable.update. Everything the primary needs of groups goes through here.
import type { Adapter } from '../driver/index.js';
import { parseIp } from '../codec/ip.js';
import { groupQueue } from '../semantics/listen-group.js';
import type { ListenRule } from '../codec/rules.js';
import type { WireFlow } from './control-protocol.js';

export interface ListenGroups {
  /** The member the adapter's listen-group hash picks for this connection. */
  groupQueue(flow: WireFlow, members: readonly number[]): number;
  /** A listen rule steering to these members (in this order, at least one). */
  rule(base: Omit<ListenRule, 'action'>, members: readonly number[]): ListenRule;
  /** The queues a listen rule read back from the table steers to, in its order. */
  membersOf(rule: ListenRule): number[];
  /** Changes the action of the table's listen rule with this key, in place when the driver can. */
  update(adapter: Adapter, rule: ListenRule): Promise<void>;
}

export const listenGroups: ListenGroups = {
  groupQueue: (flow, members) => groupQueue({ srcIp: parseIp(flow.srcIp).bytes, srcPort: flow.srcPort, dstPort: flow.dstPort }, members),
  rule: (base, members) => ({ ...base, action: members.length === 1 ? members[0] : [...members] }),
  membersOf: (rule) => (Array.isArray(rule.action) ? [...rule.action] : [rule.action]),
  update: async (adapter, rule) => {
    await adapter.listens.update(rule);
  },
};
