// generated from rtl/regs.json by scripts/gen-regs.mjs — do not edit

export type Access = 'ro' | 'rw' | 'wo';
export interface RegisterDef { readonly offset: number; readonly access: Access; readonly width: 32 | 64; readonly desc: string; readonly array?: { readonly count: number; readonly stride: number } }
export interface BlockDef { readonly name: string; readonly type: number; readonly version: number; readonly size: number; readonly desc: string; readonly registers: Readonly<Record<string, RegisterDef>> }

export const BLOCKS = {
  core: {
    name: 'core', type: 0x53500001, version: 0x00010000, size: 0x0100,
    desc: "Adapter identity, parameters, default action",
    registers: {
      TYPE: { offset: 0x000, access: 'ro', width: 32, desc: "block type" },
      VERSION: { offset: 0x004, access: 'ro', width: 32, desc: "block version" },
      NEXT: { offset: 0x008, access: 'ro', width: 32, desc: "byte address of the next block, 0 = last" },
      DATA_WIDTH: { offset: 0x00C, access: 'ro', width: 32, desc: "ingress/queue stream width in bits" },
      QUEUES: { offset: 0x010, access: 'ro', width: 32, desc: "number of queues" },
      MAX_FRAME: { offset: 0x014, access: 'ro', width: 32, desc: "longest accepted frame in bytes" },
      QUEUE_FIFO_BYTES: { offset: 0x018, access: 'ro', width: 32, desc: "bytes of buffer per queue" },
      SCRATCH: { offset: 0x01C, access: 'rw', width: 32, desc: "free for bus tests" },
      DEFAULT_ACTION: { offset: 0x020, access: 'rw', width: 32, desc: "action for frames no rule matches; reset 0" },
      CONTROL: { offset: 0x024, access: 'wo', width: 32, desc: "one-shot actions, one bit each" },
      FRAME_ID: { offset: 0x028, access: 'ro', width: 32, desc: "id the next ingress frame will get" },
    },
  },
  addr: {
    name: 'addr', type: 0x53500002, version: 0x00010000, size: 0x0100,
    desc: "Cluster addresses: flow and listen entries name a destination by slot index here",
    registers: {
      TYPE: { offset: 0x000, access: 'ro', width: 32, desc: "block type" },
      VERSION: { offset: 0x004, access: 'ro', width: 32, desc: "block version" },
      NEXT: { offset: 0x008, access: 'ro', width: 32, desc: "byte address of the next block" },
      SLOTS: { offset: 0x00C, access: 'ro', width: 32, desc: "number of address slots" },
      SLOT: { offset: 0x010, access: 'rw', width: 32, desc: "slot the next COMMAND acts on" },
      FAMILY: { offset: 0x014, access: 'rw', width: 32, desc: "staged: 0 empty, 4 IPv4, 6 IPv6" },
      ADDR0: { offset: 0x018, access: 'rw', width: 32, desc: "staged address bits 127:96 (IPv4: 0)" },
      ADDR1: { offset: 0x01C, access: 'rw', width: 32, desc: "staged address bits 95:64 (IPv4: 0)" },
      ADDR2: { offset: 0x020, access: 'rw', width: 32, desc: "staged address bits 63:32 (IPv4: 0)" },
      ADDR3: { offset: 0x024, access: 'rw', width: 32, desc: "staged address bits 31:0 (IPv4: the address)" },
      COMMAND: { offset: 0x028, access: 'wo', width: 32, desc: "acts on SLOT; ignored when SLOT >= SLOTS" },
    },
  },
  flow: {
    name: 'flow', type: 0x53500003, version: 0x00020300, size: 0x0100,
    desc: "Exact-match flow table (multi-way cuckoo hash with a stash)",
    registers: {
      TYPE: { offset: 0x000, access: 'ro', width: 32, desc: "block type" },
      VERSION: { offset: 0x004, access: 'ro', width: 32, desc: "block version" },
      NEXT: { offset: 0x008, access: 'ro', width: 32, desc: "byte address of the next block" },
      ENTRIES: { offset: 0x00C, access: 'ro', width: 32, desc: "entries in the hashed table (without stash)" },
      WAYS: { offset: 0x010, access: 'ro', width: 32, desc: "hash ways" },
      STASH: { offset: 0x014, access: 'ro', width: 32, desc: "stash entries; stash slots follow the table's slots" },
      COUNT: { offset: 0x018, access: 'ro', width: 32, desc: "live entries, stash included" },
      STASH_USED: { offset: 0x01C, access: 'ro', width: 32, desc: "live stash entries" },
      KEY_FLAGS: { offset: 0x020, access: 'rw', width: 32, desc: "key: family, protocol, destination address slot" },
      KEY_PORTS: { offset: 0x024, access: 'rw', width: 32, desc: "key: ports" },
      KEY_SRC0: { offset: 0x028, access: 'rw', width: 32, desc: "source address bits 127:96" },
      KEY_SRC1: { offset: 0x02C, access: 'rw', width: 32, desc: "source address bits 95:64" },
      KEY_SRC2: { offset: 0x030, access: 'rw', width: 32, desc: "source address bits 63:32" },
      KEY_SRC3: { offset: 0x034, access: 'rw', width: 32, desc: "source address bits 31:0" },
      ACTION: { offset: 0x038, access: 'rw', width: 32, desc: "action for INSERT" },
      SLOT: { offset: 0x03C, access: 'rw', width: 32, desc: "slot for READ_SLOT" },
      COMMAND: { offset: 0x040, access: 'wo', width: 32, desc: "starts a command; ignored while STATUS.BUSY" },
      STATUS: { offset: 0x044, access: 'ro', width: 32, desc: "command state" },
      RES_FLAGS: { offset: 0x048, access: 'ro', width: 32, desc: "result: valid, and the entry's key as KEY_FLAGS" },
      RES_PORTS: { offset: 0x04C, access: 'ro', width: 32, desc: "result: ports, as KEY_PORTS" },
      RES_SRC0: { offset: 0x050, access: 'ro', width: 32, desc: "as KEY_SRC0" },
      RES_SRC1: { offset: 0x054, access: 'ro', width: 32, desc: "as KEY_SRC1" },
      RES_SRC2: { offset: 0x058, access: 'ro', width: 32, desc: "as KEY_SRC2" },
      RES_SRC3: { offset: 0x05C, access: 'ro', width: 32, desc: "as KEY_SRC3" },
      RES_ACTION: { offset: 0x060, access: 'ro', width: 32, desc: "action of the entry found, inserted or read" },
      RES_SLOT: { offset: 0x064, access: 'ro', width: 32, desc: "slot of that entry" },
      RES_HITS: { offset: 0x068, access: 'ro', width: 32, desc: "frames that hit that entry" },
      LAST_MOVES: { offset: 0x06C, access: 'ro', width: 32, desc: "entries the last insert moved" },
      LOOKUP_LATENCY: { offset: 0x070, access: 'ro', width: 32, desc: "cycles from key in to result out" },
      WALK_SLOT: { offset: 0x074, access: 'rw', width: 32, desc: "walk cursor: the slot whose record WALK_DATA reads next (a write starts that slot's record afresh); it steps to the next slot after each record. Slots past the stash give empty records" },
      WALK_DATA: { offset: 0x078, access: 'ro', width: 32, desc: "the walk: each read gives the next word of slot WALK_SLOT's record, so a fixed-address burst reads consecutive slots. An empty slot's record is one word, 0; a live entry's is 8 words: this word (VALID set, key flags, action), RES_PORTS, RES_SRC0..3, RES_HITS, RES_META as those registers. Reading word 0 runs a read_slot command on the walk's own result registers (the bus waits for it; STATUS and the RES_* registers are untouched)" },
      RES_META: { offset: 0x07C, access: 'ro', width: 32, desc: "meta of the entry the last command found, inserted or read (0 without LEARNING)" },
      FEATURES: { offset: 0x080, access: 'ro', width: 32, desc: "built-in features (read whatever LEARNING is); when LEARNING is 0 every register below reads 0 and writes are ignored, and RES_META reads 0" },
      CLOCKS_PER_MS: { offset: 0x084, access: 'ro', width: 32, desc: "core clocks per millisecond (parameter)" },
      NOW_MS: { offset: 0x088, access: 'rw', width: 32, desc: "the adapter's millisecond clock, 23 bits, advances every CLOCKS_PER_MS clocks; a write sets it and restarts the sub-ms divider at 0 (simulation fast-forward; the host never writes it backwards)" },
      SWEEPS: { offset: 0x08C, access: 'ro', width: 32, desc: "aging passes completed over all slots (wraps at 2^32)" },
      SYN_TIMEOUT_MS: { offset: 0x090, access: 'rw', width: 32, desc: "idle timeout of embryonic learned entries, ms (0..3600000); reset 5000" },
      IDLE_TIMEOUT_MS: { offset: 0x094, access: 'rw', width: 32, desc: "idle timeout of established learned entries, ms; reset 300000" },
      FIN_TIMEOUT_MS: { offset: 0x098, access: 'rw', width: 32, desc: "idle timeout of closing learned entries, ms; reset 10000" },
      HOST_TIMEOUT1_MS: { offset: 0x09C, access: 'rw', width: 32, desc: "idle timeout of host entries inserted with class 1, ms (0 never); reset 0" },
      HOST_TIMEOUT2_MS: { offset: 0x0A0, access: 'rw', width: 32, desc: "class 2, as HOST_TIMEOUT1_MS" },
      HOST_TIMEOUT3_MS: { offset: 0x0A4, access: 'rw', width: 32, desc: "class 3, as HOST_TIMEOUT1_MS" },
      INSERT_CLASS: { offset: 0x0A8, access: 'rw', width: 32, desc: "aging class (bits 1:0) given to host INSERTs (0 = never aged); reset 0" },
      MAX_EMBRYONIC: { offset: 0x0AC, access: 'rw', width: 32, desc: "learning stops while this many learned entries are embryonic; 0 learns nothing; reset 1024" },
      EMBRYONIC: { offset: 0x0B0, access: 'ro', width: 32, desc: "learned entries now embryonic" },
      MAX_ENTRIES: { offset: 0x0B4, access: 'rw', width: 32, desc: "a learning request is refused full when COUNT >= MAX_ENTRIES (or the insert finds the table full); reset 65535" },
      LEARN_CONTROL: { offset: 0x0B8, access: 'rw', width: 32, desc: "learning switches; reset 0" },
      LEARNED: { offset: 0x0C0, access: 'ro', width: 32, desc: "entries learned (32 bit, wraps; cleared by reset only)" },
      AGED_EMBRYONIC: { offset: 0x0C4, access: 'ro', width: 32, desc: "learned entries aged while embryonic" },
      AGED_ESTABLISHED: { offset: 0x0C8, access: 'ro', width: 32, desc: "learned entries aged while established" },
      AGED_CLOSING: { offset: 0x0CC, access: 'ro', width: 32, desc: "learned entries aged while closing" },
      AGED_HOST: { offset: 0x0D0, access: 'ro', width: 32, desc: "host entries aged" },
      REFUSED_EXACT: { offset: 0x0D4, access: 'ro', width: 32, desc: "connection requests of a learn listen rule that hit an exact entry" },
      REFUSED_QUOTA: { offset: 0x0D8, access: 'ro', width: 32, desc: "learning requests refused at MAX_EMBRYONIC" },
      REFUSED_FULL: { offset: 0x0DC, access: 'ro', width: 32, desc: "learning requests refused with a full table (MAX_ENTRIES or the insert)" },
      REFUSED_BUSY: { offset: 0x0E0, access: 'ro', width: 32, desc: "learning requests refused while the engine held an earlier one" },
      EVENT_CONTROL: { offset: 0x0E4, access: 'rw', width: 32, desc: "the event queue (flow version 2.3, FEATURES.EVENTS): what the adapter did to its own table, for the host to follow; reset 0" },
      EVENT_DATA: { offset: 0x0E8, access: 'ro', width: 32, desc: "the event queue's read window: each read gives the next word, so a fixed-address burst reads consecutive records. With no record waiting a read gives one word, 0. A record is this word (VALID set, TYPE, DETAIL, the key flags, the action byte, WORDS) and WORDS more: the ports (as RES_PORTS), then the source address (IPv4: one word, as RES_SRC3; IPv6: four, as RES_SRC0..3). The queue has one reader: two would split records" },
      EVENT_PENDING: { offset: 0x0EC, access: 'ro', width: 32, desc: "records waiting in the queue (the one being read included)" },
      EVENT_DEPTH: { offset: 0x0F0, access: 'ro', width: 32, desc: "records the queue holds (parameter)" },
      EVENT_OVERFLOW: { offset: 0x0F4, access: 'ro', width: 32, desc: "learned and aged records lost to a full queue while ENABLE (wraps; cleared by reset only): when it moves, the host's copy of the table is stale and it walks the table again" },
      EVENT_SKIPPED: { offset: 0x0F8, access: 'ro', width: 32, desc: "refusal records not written while REFUSALS: the queue was more than half full, a table record came in the same clock, or the request held no slot of the engine's request queue, so its key was not kept (every busy refusal); wraps" },
    },
  },
  listen: {
    name: 'listen', type: 0x53500004, version: 0x00020100, size: 0x0100,
    desc: "Listen table: (family, protocol, destination slot, destination port) -> action; TCP matches SYN without ACK only. An action may name a queue group: the frame goes to the queue in the group's slot [listen hash] (docs/semantics.md, shared ports)",
    registers: {
      TYPE: { offset: 0x000, access: 'ro', width: 32, desc: "block type" },
      VERSION: { offset: 0x004, access: 'ro', width: 32, desc: "block version" },
      NEXT: { offset: 0x008, access: 'ro', width: 32, desc: "byte address of the next block" },
      ENTRIES: { offset: 0x00C, access: 'ro', width: 32, desc: "listen entries" },
      SLOT: { offset: 0x010, access: 'rw', width: 32, desc: "entry the next COMMAND acts on" },
      FLAGS: { offset: 0x014, access: 'rw', width: 32, desc: "staged: valid, family, protocol, destination address slot" },
      PORT: { offset: 0x018, access: 'rw', width: 32, desc: "staged: destination port" },
      ACTION: { offset: 0x01C, access: 'rw', width: 32, desc: "staged action: -1 drops, 0..127 a queue (a larger number is stored as queue 127), or queue group g: GROUP set, INDEX g, no other bit set (g < GROUPS; a larger g is stored as queue 127)" },
      COMMAND: { offset: 0x020, access: 'wo', width: 32, desc: "acts on SLOT; ignored when SLOT >= ENTRIES" },
      GROUPS: { offset: 0x024, access: 'ro', width: 32, desc: "queue groups (shared ports)" },
      GROUP: { offset: 0x028, access: 'rw', width: 32, desc: "group the next GROUP_COMMAND acts on" },
      GROUP_COMMAND: { offset: 0x02C, access: 'wo', width: 32, desc: "acts on GROUP with the staged GROUP_QUEUE[0..7] (all 8 slots at once); ignored when GROUP >= GROUPS" },
      GROUP_QUEUE: { offset: 0x030, access: 'rw', width: 32, desc: "staged group slot: a queue (0..127, a larger number reads back as 127) or -1 to drop", array: { count: 8, stride: 0x04 } },
    },
  },
  counters: {
    name: 'counters', type: 0x53500005, version: 0x00010000, size: 0x0300,
    desc: "64-bit counters: read LO (offset) then HI (offset+4); reading LO latches HI",
    registers: {
      TYPE: { offset: 0x000, access: 'ro', width: 32, desc: "block type" },
      VERSION: { offset: 0x004, access: 'ro', width: 32, desc: "block version" },
      NEXT: { offset: 0x008, access: 'ro', width: 32, desc: "byte address of the next block, 0 = last" },
      RX_FRAMES: { offset: 0x010, access: 'ro', width: 64, desc: "frames in" },
      RX_BYTES: { offset: 0x018, access: 'ro', width: 64, desc: "bytes in" },
      FLOW_HITS: { offset: 0x020, access: 'ro', width: 64, desc: "frames decided by a flow entry" },
      LISTEN_HITS: { offset: 0x028, access: 'ro', width: 64, desc: "frames decided by a listen entry" },
      DEFAULT_HITS: { offset: 0x030, access: 'ro', width: 64, desc: "frames decided by the default action" },
      DROP: { offset: 0x040, access: 'ro', width: 64, desc: "drops per reason", array: { count: 8, stride: 0x08 } },
      Q_FRAMES: { offset: 0x100, access: 'ro', width: 64, desc: "frames put into the queue", array: { count: 16, stride: 0x20 } },
      Q_BYTES: { offset: 0x108, access: 'ro', width: 64, desc: "bytes put into the queue", array: { count: 16, stride: 0x20 } },
      Q_DROPS: { offset: 0x110, access: 'ro', width: 64, desc: "frames tail-dropped at the queue", array: { count: 16, stride: 0x20 } },
    },
  },
  egress: {
    name: 'egress', type: 0x53500006, version: 0x00010100, size: 0x0100,
    desc: "Two-port NIC (sipnic_nic, the board): queue frames leave on port 1 with the destination MAC of their queue's processor; port 1 frames pass to port 0, optionally with the cluster's source MAC. Absent from a bare sipnic_core.",
    registers: {
      TYPE: { offset: 0x000, access: 'ro', width: 32, desc: "block type" },
      VERSION: { offset: 0x004, access: 'ro', width: 32, desc: "block version" },
      NEXT: { offset: 0x008, access: 'ro', width: 32, desc: "byte address of the next block, 0 = last" },
      QUEUES: { offset: 0x00C, access: 'ro', width: 32, desc: "queues, each with a MAC entry" },
      CONTROL: { offset: 0x010, access: 'rw', width: 32, desc: "egress switches (reset 0)" },
      P0_RX_BAD: { offset: 0x014, access: 'ro', width: 32, desc: "port 0 (clients) frames dropped as bad: FCS error, rx error, longer than the MAC's limit, lost to a full receive FIFO, or larger than the NIC's receive buffer (wraps)" },
      P1_RX_BAD: { offset: 0x018, access: 'ro', width: 32, desc: "port 1 (cluster) frames dropped as bad, as P0_RX_BAD (wraps)" },
      P1_TX_FRAMES: { offset: 0x01C, access: 'ro', width: 32, desc: "queue frames sent to port 1 (wraps)" },
      P0_TX_FRAMES: { offset: 0x020, access: 'ro', width: 32, desc: "port 1 frames passed to port 0 (wraps)" },
      CLUSTER_MAC_HI: { offset: 0x024, access: 'rw', width: 32, desc: "the cluster's MAC, bytes 0..1: source MAC of port 1 frames passed to port 0 while CONTROL.REWRITE_SRC is set (reset 0)" },
      CLUSTER_MAC_LO: { offset: 0x028, access: 'rw', width: 32, desc: "the cluster's MAC, bytes 2..5 (reset 0)" },
      MAC_HI: { offset: 0x040, access: 'rw', width: 32, desc: "destination MAC of queue n, bytes 0..1", array: { count: 16, stride: 0x08 } },
      MAC_LO: { offset: 0x044, access: 'rw', width: 32, desc: "destination MAC of queue n, bytes 2..5", array: { count: 16, stride: 0x08 } },
    },
  },
  board: {
    name: 'board', type: 0x53500007, version: 0x00010000, size: 0x0100,
    desc: "Two-port NIC (sipnic_nic, the board): the build's identity, the clocks, and a read-only MDIO master (IEEE 802.3 clause 22 read frames) on the PHYs' shared management bus. The PHYs are never written or reset. Absent from a bare sipnic_core.",
    registers: {
      TYPE: { offset: 0x000, access: 'ro', width: 32, desc: "block type" },
      VERSION: { offset: 0x004, access: 'ro', width: 32, desc: "block version" },
      NEXT: { offset: 0x008, access: 'ro', width: 32, desc: "byte address of the next block, 0 = last" },
      BUILD_ID: { offset: 0x00C, access: 'ro', width: 32, desc: "set by the board build: the build's time in seconds since 1970 UTC (0: not set, as in simulation)" },
      GIT_HASH: { offset: 0x010, access: 'ro', width: 32, desc: "set by the board build: the first 8 hex digits of the source's git commit (0: not set)" },
      BUILD_FLAGS: { offset: 0x014, access: 'ro', width: 32, desc: "set by the board build" },
      CLK_HZ: { offset: 0x018, access: 'ro', width: 32, desc: "the NIC's clock in Hz" },
      BAUD: { offset: 0x01C, access: 'ro', width: 32, desc: "the UART's nominal line rate" },
      MDC_DIV: { offset: 0x020, access: 'ro', width: 32, desc: "clocks per MDC half period: MDC = CLK_HZ / (2 * MDC_DIV), at most 2.5 MHz" },
      MDIO_COMMAND: { offset: 0x024, access: 'wo', width: 32, desc: "a write starts a clause 22 read of register REG of PHY PHY (32 preamble bits, 64 MDC periods in all); ignored while MDIO_STATUS.BUSY" },
      MDIO_STATUS: { offset: 0x028, access: 'ro', width: 32, desc: "the last read" },
    },
  },
} as const satisfies Record<string, BlockDef>;

export type BlockName = keyof typeof BLOCKS;

/** Drop reason codes as the data path reports them. */
export const DROP_REASONS = {
  1: 'runt',
  2: 'oversize',
  3: 'rule',
  4: 'queue_full',
  5: 'bad_queue',
} as const;
export type DropReasonName = (typeof DROP_REASONS)[keyof typeof DROP_REASONS];

/** Table command status codes. */
export const COMMAND_STATUS = {
  0: 'ok',
  1: 'exists',
  2: 'full',
  3: 'not_found',
} as const;
export type CommandStatusName = (typeof COMMAND_STATUS)[keyof typeof COMMAND_STATUS];

/** A bit field of a register: lowest bit, width, mask in place (e.g. 0xF00), named values. */
export interface FieldDef { readonly shift: number; readonly width: number; readonly mask: number; readonly values?: Readonly<Record<string, number>> }

/** Fields that several registers share at the same bits. */
export const FIELD_SETS = {
  keyFlags: {
    FAMILY: { shift: 0, width: 1, mask: 0x00000001, values: { ipv4: 0, ipv6: 1 } },
    PROTO: { shift: 1, width: 1, mask: 0x00000002, values: { tcp: 0, udp: 1 } },
    ADDR_SLOT: { shift: 8, width: 4, mask: 0x00000F00 },
  },
  ports: {
    SRC_PORT: { shift: 16, width: 16, mask: 0xFFFF0000 },
    DST_PORT: { shift: 0, width: 16, mask: 0x0000FFFF },
  },
  tableCommand: {
    OP: { shift: 0, width: 32, mask: 0xFFFFFFFF, values: { write: 1, read: 2 } },
  },
} as const satisfies Record<string, Record<string, FieldDef>>;

/** Bit fields by block and register (docs/registers.md describes each). */
export const FIELDS = {
  core: {
    CONTROL: {
      CLEAR_COUNTERS: { shift: 0, width: 1, mask: 0x00000001 },
    },
  },
  addr: {
    COMMAND: FIELD_SETS.tableCommand,
  },
  flow: {
    KEY_FLAGS: FIELD_SETS.keyFlags,
    KEY_PORTS: FIELD_SETS.ports,
    COMMAND: {
      OP: { shift: 0, width: 32, mask: 0xFFFFFFFF, values: { insert: 1, delete: 2, lookup: 3, read_slot: 4, clear: 5 } },
    },
    STATUS: {
      BUSY: { shift: 0, width: 1, mask: 0x00000001 },
      RESULT: { shift: 4, width: 4, mask: 0x000000F0, values: { ok: 0, exists: 1, full: 2, not_found: 3 } },
      COMPLETED: { shift: 16, width: 16, mask: 0xFFFF0000 },
    },
    RES_FLAGS: {
      VALID: { shift: 31, width: 1, mask: 0x80000000 },
      ...FIELD_SETS.keyFlags,
    },
    RES_PORTS: FIELD_SETS.ports,
    WALK_DATA: {
      VALID: { shift: 31, width: 1, mask: 0x80000000 },
      ...FIELD_SETS.keyFlags,
      ACTION: { shift: 16, width: 8, mask: 0x00FF0000 },
    },
    RES_META: {
      ORIGIN: { shift: 31, width: 1, mask: 0x80000000, values: { host: 0, learned: 1 } },
      STATE: { shift: 28, width: 2, mask: 0x30000000, values: { embryonic: 0, established: 1, closing: 2 } },
      CLASS: { shift: 24, width: 2, mask: 0x03000000 },
      IDLE_MS: { shift: 0, width: 23, mask: 0x007FFFFF },
    },
    FEATURES: {
      LEARNING: { shift: 0, width: 1, mask: 0x00000001 },
      IPV4_ONLY: { shift: 1, width: 1, mask: 0x00000002 },
      EVENTS: { shift: 2, width: 1, mask: 0x00000004 },
    },
    LEARN_CONTROL: {
      TRANSMIT: { shift: 0, width: 1, mask: 0x00000001 },
    },
    EVENT_CONTROL: {
      ENABLE: { shift: 0, width: 1, mask: 0x00000001 },
      REFUSALS: { shift: 1, width: 1, mask: 0x00000002 },
    },
    EVENT_DATA: {
      VALID: { shift: 31, width: 1, mask: 0x80000000 },
      TYPE: { shift: 28, width: 2, mask: 0x30000000, values: { learned: 1, aged: 2, refused: 3 } },
      DETAIL: { shift: 24, width: 2, mask: 0x03000000 },
      ACTION: { shift: 16, width: 8, mask: 0x00FF0000 },
      WORDS: { shift: 12, width: 4, mask: 0x0000F000 },
      ...FIELD_SETS.keyFlags,
    },
  },
  listen: {
    FLAGS: {
      VALID: { shift: 31, width: 1, mask: 0x80000000 },
      LEARN: { shift: 30, width: 1, mask: 0x40000000 },
      ...FIELD_SETS.keyFlags,
    },
    PORT: {
      DST_PORT: { shift: 0, width: 16, mask: 0x0000FFFF },
    },
    ACTION: {
      INDEX: { shift: 0, width: 8, mask: 0x000000FF },
      GROUP: { shift: 8, width: 1, mask: 0x00000100 },
    },
    COMMAND: FIELD_SETS.tableCommand,
    GROUP_COMMAND: FIELD_SETS.tableCommand,
  },
  egress: {
    CONTROL: {
      REWRITE_MAC: { shift: 0, width: 1, mask: 0x00000001 },
      REWRITE_SRC: { shift: 1, width: 1, mask: 0x00000002 },
    },
    CLUSTER_MAC_HI: {
      ADDR: { shift: 0, width: 16, mask: 0x0000FFFF },
    },
    CLUSTER_MAC_LO: {
      ADDR: { shift: 0, width: 32, mask: 0xFFFFFFFF },
    },
    MAC_HI: {
      ADDR: { shift: 0, width: 16, mask: 0x0000FFFF },
    },
    MAC_LO: {
      ADDR: { shift: 0, width: 32, mask: 0xFFFFFFFF },
    },
  },
  board: {
    BUILD_FLAGS: {
      GIT_DIRTY: { shift: 0, width: 1, mask: 0x00000001 },
    },
    MDIO_COMMAND: {
      REG: { shift: 0, width: 5, mask: 0x0000001F },
      PHY: { shift: 8, width: 5, mask: 0x00001F00 },
    },
    MDIO_STATUS: {
      DATA: { shift: 0, width: 16, mask: 0x0000FFFF },
      BUSY: { shift: 16, width: 1, mask: 0x00010000 },
      NO_ANSWER: { shift: 17, width: 1, mask: 0x00020000 },
      COMPLETED: { shift: 24, width: 8, mask: 0xFF000000 },
    },
  },
} as const satisfies Record<string, Record<string, Record<string, FieldDef>>>;

/** Bit fields of the hardware action bytes (what the tables hold; the registers hold numbers). */
export const ENCODINGS = {
  ACTION: {
    DROP: { shift: 7, width: 1, mask: 0x00000080 },
    QUEUE: { shift: 0, width: 7, mask: 0x0000007F },
  },
  GROUP_ACTION: {
    TAG: { shift: 6, width: 2, mask: 0x000000C0, values: { group: 2 } },
    GROUP: { shift: 0, width: 6, mask: 0x0000003F },
  },
} as const satisfies Record<string, Record<string, FieldDef>>;

/** (word & f.mask) >>> f.shift */
export function getField(f: FieldDef, word: number): number {
  return (word & f.mask) >>> f.shift;
}

/** value placed into the field, as an unsigned 32-bit word (throws RangeError if it does not fit) */
export function putField(f: FieldDef, value: number): number {
  if (!Number.isInteger(value) || value < 0 || value > 2 ** f.width - 1) {
    throw new RangeError(`field value ${value} does not fit ${f.width} bit${f.width === 1 ? '' : 's'} (0..${2 ** f.width - 1})`);
  }
  return (value * 2 ** f.shift) >>> 0;
}
