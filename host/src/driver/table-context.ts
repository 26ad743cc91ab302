// What a table needs of the adapter: the bus, where each register is, and the sizes read at
// open. The tables depend on this interface, never on Adapter (adapter.ts builds them).
import type { RegisterBus } from '../bus/bus.js';
import type { BlockName } from './regs.generated.js';

/** The adapter's parameters, read from the core, flow, listen and addr blocks at open. */
export interface AdapterInfo {
  dataWidth: number;
  queues: number;
  maxFrame: number;
  queueFifoBytes: number;
  flowEntries: number;
  flowWays: number;
  flowStash: number;
  flowLookupLatency: number;
  listenEntries: number;
  /** queue groups for listen rules whose action is a list of queues */
  listenGroups: number;
  addressSlots: number;
  /** the flow block has the walk (WALK_SLOT, WALK_DATA: flow VERSION 1.1 and later) */
  flowWalk: boolean;
  /** the flow block has the learning engine and aging (FEATURES.LEARNING) */
  learning: boolean;
  /** core clocks per millisecond of the adapter's aging clock (0 without learning) */
  clocksPerMs: number;
  /** built without IPv6 (FEATURES.IPV4_ONLY): IPv6 rules and addresses are refused */
  ipv4Only: boolean;
  /** the flow block has the event queue (FEATURES.EVENTS, flow version 2.3: EVENT_*) */
  events: boolean;
}

export interface TableContext {
  readonly bus: RegisterBus;
  readonly info: AdapterInfo;
  /** Byte address of a register by block and generated name (array registers take an index). */
  reg(block: BlockName, name: string, index?: number): number;
}
