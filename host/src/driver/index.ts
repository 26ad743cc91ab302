// The driver's public API. Importers outside driver/ take it from here; what is not named
// here (the batch builder, the key words, the slot scan) stays internal.
export { Adapter, countersToJson, type Counters, type QueueCounters } from './adapter.js';
export { type ApplyOptions, type ApplyResult } from './rule-set.js';
export type { AdapterInfo, TableContext } from './table-context.js';
export { ApplyInterruptedError, DriverError, FlowExistsError, Ipv4OnlyError, ListenExistsError, NotFoundError, PartialApplyError, RuleApplyError, TableFullError, UnknownQueueError, type DriverErrorCode, type TableName } from './errors.js';
export { OPTIONAL_BLOCKS, type BlockBases, type ResolvedRegister } from './registers.js';
export { decodeAction, encodeAction } from './actions.js';
export { FLOW_OP, TABLE_CMD } from './commands.js';
export { AddressTable, type AddressSlot } from './address-table.js';
export { FlowTable, decodeFlowMeta, type FlowBatchResult, type FlowChange, type FlowEntry, type FlowMeta, type InsertResult } from './flow-table.js';
export { ListenTable, sameListen, type ListenEntry, type ListenUpdate, type QueueGroup } from './listen-table.js';
export { FlowEvents, type AgedState, type EventRead, type EventStatus, type FlowEvent, type FlowEventType, type RefusedReason } from './events.js';
export { EgressTable, type EgressCounters } from './egress-table.js';
