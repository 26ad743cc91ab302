// generated from rtl/regs.json by scripts/gen-regs.mjs — do not edit
// Include inside a module: localparams only.

// core: Adapter identity, parameters, default action
localparam [15:0] BLK_CORE_BASE = 16'h0000;
localparam [15:0] BLK_CORE_SIZE = 16'h0100;
localparam [15:0] BLK_CORE_NEXT = 16'h0100;
localparam [31:0] BLK_CORE_TYPE = 32'h53500001;
localparam [31:0] BLK_CORE_VERSION = 32'h00010000;
localparam [15:0] REG_CORE_TYPE = 16'h0000; // ro: block type
localparam [15:0] REG_CORE_VERSION = 16'h0004; // ro: block version
localparam [15:0] REG_CORE_NEXT = 16'h0008; // ro: byte address of the next block, 0 = last
localparam [15:0] REG_CORE_DATA_WIDTH = 16'h000C; // ro: ingress/queue stream width in bits
localparam [15:0] REG_CORE_QUEUES = 16'h0010; // ro: number of queues
localparam [15:0] REG_CORE_MAX_FRAME = 16'h0014; // ro: longest accepted frame in bytes
localparam [15:0] REG_CORE_QUEUE_FIFO_BYTES = 16'h0018; // ro: bytes of buffer per queue
localparam [15:0] REG_CORE_SCRATCH = 16'h001C; // rw: free for bus tests
localparam [15:0] REG_CORE_DEFAULT_ACTION = 16'h0020; // rw: action for frames no rule matches; reset 0
localparam [15:0] REG_CORE_CONTROL = 16'h0024; // wo: one-shot actions, one bit each
localparam [15:0] REG_CORE_FRAME_ID = 16'h0028; // ro: id the next ingress frame will get

// addr: Cluster addresses: flow and listen entries name a destination by slot index here
localparam [15:0] BLK_ADDR_BASE = 16'h0100;
localparam [15:0] BLK_ADDR_SIZE = 16'h0100;
localparam [15:0] BLK_ADDR_NEXT = 16'h0200;
localparam [31:0] BLK_ADDR_TYPE = 32'h53500002;
localparam [31:0] BLK_ADDR_VERSION = 32'h00010000;
localparam [15:0] REG_ADDR_TYPE = 16'h0000; // ro: block type
localparam [15:0] REG_ADDR_VERSION = 16'h0004; // ro: block version
localparam [15:0] REG_ADDR_NEXT = 16'h0008; // ro: byte address of the next block
localparam [15:0] REG_ADDR_SLOTS = 16'h000C; // ro: number of address slots
localparam [15:0] REG_ADDR_SLOT = 16'h0010; // rw: slot the next COMMAND acts on
localparam [15:0] REG_ADDR_FAMILY = 16'h0014; // rw: staged: 0 empty, 4 IPv4, 6 IPv6
localparam [15:0] REG_ADDR_ADDR0 = 16'h0018; // rw: staged address bits 127:96 (IPv4: 0)
localparam [15:0] REG_ADDR_ADDR1 = 16'h001C; // rw: staged address bits 95:64 (IPv4: 0)
localparam [15:0] REG_ADDR_ADDR2 = 16'h0020; // rw: staged address bits 63:32 (IPv4: 0)
localparam [15:0] REG_ADDR_ADDR3 = 16'h0024; // rw: staged address bits 31:0 (IPv4: the address)
localparam [15:0] REG_ADDR_COMMAND = 16'h0028; // wo: acts on SLOT; ignored when SLOT >= SLOTS

// flow: Exact-match flow table (multi-way cuckoo hash with a stash)
localparam [15:0] BLK_FLOW_BASE = 16'h0200;
localparam [15:0] BLK_FLOW_SIZE = 16'h0100;
localparam [15:0] BLK_FLOW_NEXT = 16'h0300;
localparam [31:0] BLK_FLOW_TYPE = 32'h53500003;
localparam [31:0] BLK_FLOW_VERSION = 32'h00020300;
localparam [15:0] REG_FLOW_TYPE = 16'h0000; // ro: block type
localparam [15:0] REG_FLOW_VERSION = 16'h0004; // ro: block version
localparam [15:0] REG_FLOW_NEXT = 16'h0008; // ro: byte address of the next block
localparam [15:0] REG_FLOW_ENTRIES = 16'h000C; // ro: entries in the hashed table (without stash)
localparam [15:0] REG_FLOW_WAYS = 16'h0010; // ro: hash ways
localparam [15:0] REG_FLOW_STASH = 16'h0014; // ro: stash entries; stash slots follow the table's slots
localparam [15:0] REG_FLOW_COUNT = 16'h0018; // ro: live entries, stash included
localparam [15:0] REG_FLOW_STASH_USED = 16'h001C; // ro: live stash entries
localparam [15:0] REG_FLOW_KEY_FLAGS = 16'h0020; // rw: key: family, protocol, destination address slot
localparam [15:0] REG_FLOW_KEY_PORTS = 16'h0024; // rw: key: ports
localparam [15:0] REG_FLOW_KEY_SRC0 = 16'h0028; // rw: source address bits 127:96
localparam [15:0] REG_FLOW_KEY_SRC1 = 16'h002C; // rw: source address bits 95:64
localparam [15:0] REG_FLOW_KEY_SRC2 = 16'h0030; // rw: source address bits 63:32
localparam [15:0] REG_FLOW_KEY_SRC3 = 16'h0034; // rw: source address bits 31:0
localparam [15:0] REG_FLOW_ACTION = 16'h0038; // rw: action for INSERT
localparam [15:0] REG_FLOW_SLOT = 16'h003C; // rw: slot for READ_SLOT
localparam [15:0] REG_FLOW_COMMAND = 16'h0040; // wo: starts a command; ignored while STATUS.BUSY
localparam [15:0] REG_FLOW_STATUS = 16'h0044; // ro: command state
localparam [15:0] REG_FLOW_RES_FLAGS = 16'h0048; // ro: result: valid, and the entry's key as KEY_FLAGS
localparam [15:0] REG_FLOW_RES_PORTS = 16'h004C; // ro: result: ports, as KEY_PORTS
localparam [15:0] REG_FLOW_RES_SRC0 = 16'h0050; // ro: as KEY_SRC0
localparam [15:0] REG_FLOW_RES_SRC1 = 16'h0054; // ro: as KEY_SRC1
localparam [15:0] REG_FLOW_RES_SRC2 = 16'h0058; // ro: as KEY_SRC2
localparam [15:0] REG_FLOW_RES_SRC3 = 16'h005C; // ro: as KEY_SRC3
localparam [15:0] REG_FLOW_RES_ACTION = 16'h0060; // ro: action of the entry found, inserted or read
localparam [15:0] REG_FLOW_RES_SLOT = 16'h0064; // ro: slot of that entry
localparam [15:0] REG_FLOW_RES_HITS = 16'h0068; // ro: frames that hit that entry
localparam [15:0] REG_FLOW_LAST_MOVES = 16'h006C; // ro: entries the last insert moved
localparam [15:0] REG_FLOW_LOOKUP_LATENCY = 16'h0070; // ro: cycles from key in to result out
localparam [15:0] REG_FLOW_WALK_SLOT = 16'h0074; // rw: walk cursor: the slot whose record WALK_DATA reads next (a write starts that slot's record afresh); it steps to the next slot after each record. Slots past the stash give empty records
localparam [15:0] REG_FLOW_WALK_DATA = 16'h0078; // ro: the walk: each read gives the next word of slot WALK_SLOT's record, so a fixed-address burst reads consecutive slots. An empty slot's record is one word, 0; a live entry's is 8 words: this word (VALID set, key flags, action), RES_PORTS, RES_SRC0..3, RES_HITS, RES_META as those registers. Reading word 0 runs a read_slot command on the walk's own result registers (the bus waits for it; STATUS and the RES_* registers are untouched)
localparam [15:0] REG_FLOW_RES_META = 16'h007C; // ro: meta of the entry the last command found, inserted or read (0 without LEARNING)
localparam [15:0] REG_FLOW_FEATURES = 16'h0080; // ro: built-in features (read whatever LEARNING is); when LEARNING is 0 every register below reads 0 and writes are ignored, and RES_META reads 0
localparam [15:0] REG_FLOW_CLOCKS_PER_MS = 16'h0084; // ro: core clocks per millisecond (parameter)
localparam [15:0] REG_FLOW_NOW_MS = 16'h0088; // rw: the adapter's millisecond clock, 23 bits, advances every CLOCKS_PER_MS clocks; a write sets it and restarts the sub-ms divider at 0 (simulation fast-forward; the host never writes it backwards)
localparam [15:0] REG_FLOW_SWEEPS = 16'h008C; // ro: aging passes completed over all slots (wraps at 2^32)
localparam [15:0] REG_FLOW_SYN_TIMEOUT_MS = 16'h0090; // rw: idle timeout of embryonic learned entries, ms (0..3600000); reset 5000
localparam [15:0] REG_FLOW_IDLE_TIMEOUT_MS = 16'h0094; // rw: idle timeout of established learned entries, ms; reset 300000
localparam [15:0] REG_FLOW_FIN_TIMEOUT_MS = 16'h0098; // rw: idle timeout of closing learned entries, ms; reset 10000
localparam [15:0] REG_FLOW_HOST_TIMEOUT1_MS = 16'h009C; // rw: idle timeout of host entries inserted with class 1, ms (0 never); reset 0
localparam [15:0] REG_FLOW_HOST_TIMEOUT2_MS = 16'h00A0; // rw: class 2, as HOST_TIMEOUT1_MS
localparam [15:0] REG_FLOW_HOST_TIMEOUT3_MS = 16'h00A4; // rw: class 3, as HOST_TIMEOUT1_MS
localparam [15:0] REG_FLOW_INSERT_CLASS = 16'h00A8; // rw: aging class (bits 1:0) given to host INSERTs (0 = never aged); reset 0
localparam [15:0] REG_FLOW_MAX_EMBRYONIC = 16'h00AC; // rw: learning stops while this many learned entries are embryonic; 0 learns nothing; reset 1024
localparam [15:0] REG_FLOW_EMBRYONIC = 16'h00B0; // ro: learned entries now embryonic
localparam [15:0] REG_FLOW_MAX_ENTRIES = 16'h00B4; // rw: a learning request is refused full when COUNT >= MAX_ENTRIES (or the insert finds the table full); reset 65535
localparam [15:0] REG_FLOW_LEARN_CONTROL = 16'h00B8; // rw: learning switches; reset 0
localparam [15:0] REG_FLOW_LEARNED = 16'h00C0; // ro: entries learned (32 bit, wraps; cleared by reset only)
localparam [15:0] REG_FLOW_AGED_EMBRYONIC = 16'h00C4; // ro: learned entries aged while embryonic
localparam [15:0] REG_FLOW_AGED_ESTABLISHED = 16'h00C8; // ro: learned entries aged while established
localparam [15:0] REG_FLOW_AGED_CLOSING = 16'h00CC; // ro: learned entries aged while closing
localparam [15:0] REG_FLOW_AGED_HOST = 16'h00D0; // ro: host entries aged
localparam [15:0] REG_FLOW_REFUSED_EXACT = 16'h00D4; // ro: connection requests of a learn listen rule that hit an exact entry
localparam [15:0] REG_FLOW_REFUSED_QUOTA = 16'h00D8; // ro: learning requests refused at MAX_EMBRYONIC
localparam [15:0] REG_FLOW_REFUSED_FULL = 16'h00DC; // ro: learning requests refused with a full table (MAX_ENTRIES or the insert)
localparam [15:0] REG_FLOW_REFUSED_BUSY = 16'h00E0; // ro: learning requests refused while the engine held an earlier one
localparam [15:0] REG_FLOW_EVENT_CONTROL = 16'h00E4; // rw: the event queue (flow version 2.3, FEATURES.EVENTS): what the adapter did to its own table, for the host to follow; reset 0
localparam [15:0] REG_FLOW_EVENT_DATA = 16'h00E8; // ro: the event queue's read window: each read gives the next word, so a fixed-address burst reads consecutive records. With no record waiting a read gives one word, 0. A record is this word (VALID set, TYPE, DETAIL, the key flags, the action byte, WORDS) and WORDS more: the ports (as RES_PORTS), then the source address (IPv4: one word, as RES_SRC3; IPv6: four, as RES_SRC0..3). The queue has one reader: two would split records
localparam [15:0] REG_FLOW_EVENT_PENDING = 16'h00EC; // ro: records waiting in the queue (the one being read included)
localparam [15:0] REG_FLOW_EVENT_DEPTH = 16'h00F0; // ro: records the queue holds (parameter)
localparam [15:0] REG_FLOW_EVENT_OVERFLOW = 16'h00F4; // ro: learned and aged records lost to a full queue while ENABLE (wraps; cleared by reset only): when it moves, the host's copy of the table is stale and it walks the table again
localparam [15:0] REG_FLOW_EVENT_SKIPPED = 16'h00F8; // ro: refusal records not written while REFUSALS: the queue was more than half full, a table record came in the same clock, or the request held no slot of the engine's request queue, so its key was not kept (every busy refusal); wraps

// listen: Listen table: (family, protocol, destination slot, destination port) -> action; TCP matches SYN without ACK only. An action may name a queue group: the frame goes to the queue in the group's slot [listen hash] (docs/semantics.md, shared ports)
localparam [15:0] BLK_LISTEN_BASE = 16'h0300;
localparam [15:0] BLK_LISTEN_SIZE = 16'h0100;
localparam [15:0] BLK_LISTEN_NEXT = 16'h0400;
localparam [31:0] BLK_LISTEN_TYPE = 32'h53500004;
localparam [31:0] BLK_LISTEN_VERSION = 32'h00020100;
localparam [15:0] REG_LISTEN_TYPE = 16'h0000; // ro: block type
localparam [15:0] REG_LISTEN_VERSION = 16'h0004; // ro: block version
localparam [15:0] REG_LISTEN_NEXT = 16'h0008; // ro: byte address of the next block
localparam [15:0] REG_LISTEN_ENTRIES = 16'h000C; // ro: listen entries
localparam [15:0] REG_LISTEN_SLOT = 16'h0010; // rw: entry the next COMMAND acts on
localparam [15:0] REG_LISTEN_FLAGS = 16'h0014; // rw: staged: valid, family, protocol, destination address slot
localparam [15:0] REG_LISTEN_PORT = 16'h0018; // rw: staged: destination port
localparam [15:0] REG_LISTEN_ACTION = 16'h001C; // rw: staged action: -1 drops, 0..127 a queue (a larger number is stored as queue 127), or queue group g: GROUP set, INDEX g, no other bit set (g < GROUPS; a larger g is stored as queue 127)
localparam [15:0] REG_LISTEN_COMMAND = 16'h0020; // wo: acts on SLOT; ignored when SLOT >= ENTRIES
localparam [15:0] REG_LISTEN_GROUPS = 16'h0024; // ro: queue groups (shared ports)
localparam [15:0] REG_LISTEN_GROUP = 16'h0028; // rw: group the next GROUP_COMMAND acts on
localparam [15:0] REG_LISTEN_GROUP_COMMAND = 16'h002C; // wo: acts on GROUP with the staged GROUP_QUEUE[0..7] (all 8 slots at once); ignored when GROUP >= GROUPS
localparam [15:0] REG_LISTEN_GROUP_QUEUE = 16'h0030; // rw: staged group slot: a queue (0..127, a larger number reads back as 127) or -1 to drop
localparam [15:0] REG_LISTEN_GROUP_QUEUE_STRIDE = 16'h0004;
localparam integer REG_LISTEN_GROUP_QUEUE_COUNT = 8;

// counters: 64-bit counters: read LO (offset) then HI (offset+4); reading LO latches HI
localparam [15:0] BLK_COUNTERS_BASE = 16'h0400;
localparam [15:0] BLK_COUNTERS_SIZE = 16'h0300;
localparam [15:0] BLK_COUNTERS_NEXT = 16'h0700;
localparam [31:0] BLK_COUNTERS_TYPE = 32'h53500005;
localparam [31:0] BLK_COUNTERS_VERSION = 32'h00010000;
localparam [15:0] REG_COUNTERS_TYPE = 16'h0000; // ro: block type
localparam [15:0] REG_COUNTERS_VERSION = 16'h0004; // ro: block version
localparam [15:0] REG_COUNTERS_NEXT = 16'h0008; // ro: byte address of the next block, 0 = last
localparam [15:0] REG_COUNTERS_RX_FRAMES = 16'h0010; // ro 64-bit: frames in
localparam [15:0] REG_COUNTERS_RX_BYTES = 16'h0018; // ro 64-bit: bytes in
localparam [15:0] REG_COUNTERS_FLOW_HITS = 16'h0020; // ro 64-bit: frames decided by a flow entry
localparam [15:0] REG_COUNTERS_LISTEN_HITS = 16'h0028; // ro 64-bit: frames decided by a listen entry
localparam [15:0] REG_COUNTERS_DEFAULT_HITS = 16'h0030; // ro 64-bit: frames decided by the default action
localparam [15:0] REG_COUNTERS_DROP = 16'h0040; // ro 64-bit: drops per reason
localparam [15:0] REG_COUNTERS_DROP_STRIDE = 16'h0008;
localparam integer REG_COUNTERS_DROP_COUNT = 8;
localparam [15:0] REG_COUNTERS_Q_FRAMES = 16'h0100; // ro 64-bit: frames put into the queue
localparam [15:0] REG_COUNTERS_Q_FRAMES_STRIDE = 16'h0020;
localparam integer REG_COUNTERS_Q_FRAMES_COUNT = 16;
localparam [15:0] REG_COUNTERS_Q_BYTES = 16'h0108; // ro 64-bit: bytes put into the queue
localparam [15:0] REG_COUNTERS_Q_BYTES_STRIDE = 16'h0020;
localparam integer REG_COUNTERS_Q_BYTES_COUNT = 16;
localparam [15:0] REG_COUNTERS_Q_DROPS = 16'h0110; // ro 64-bit: frames tail-dropped at the queue
localparam [15:0] REG_COUNTERS_Q_DROPS_STRIDE = 16'h0020;
localparam integer REG_COUNTERS_Q_DROPS_COUNT = 16;

// egress: Two-port NIC (sipnic_nic, the board): queue frames leave on port 1 with the destination MAC of their queue's processor; port 1 frames pass to port 0, optionally with the cluster's source MAC. Absent from a bare sipnic_core.
localparam [15:0] BLK_EGRESS_BASE = 16'h0700;
localparam [15:0] BLK_EGRESS_SIZE = 16'h0100;
localparam [15:0] BLK_EGRESS_NEXT = 16'h0800;
localparam [31:0] BLK_EGRESS_TYPE = 32'h53500006;
localparam [31:0] BLK_EGRESS_VERSION = 32'h00010100;
localparam [15:0] REG_EGRESS_TYPE = 16'h0000; // ro: block type
localparam [15:0] REG_EGRESS_VERSION = 16'h0004; // ro: block version
localparam [15:0] REG_EGRESS_NEXT = 16'h0008; // ro: byte address of the next block, 0 = last
localparam [15:0] REG_EGRESS_QUEUES = 16'h000C; // ro: queues, each with a MAC entry
localparam [15:0] REG_EGRESS_CONTROL = 16'h0010; // rw: egress switches (reset 0)
localparam [15:0] REG_EGRESS_P0_RX_BAD = 16'h0014; // ro: port 0 (clients) frames dropped as bad: FCS error, rx error, longer than the MAC's limit, lost to a full receive FIFO, or larger than the NIC's receive buffer (wraps)
localparam [15:0] REG_EGRESS_P1_RX_BAD = 16'h0018; // ro: port 1 (cluster) frames dropped as bad, as P0_RX_BAD (wraps)
localparam [15:0] REG_EGRESS_P1_TX_FRAMES = 16'h001C; // ro: queue frames sent to port 1 (wraps)
localparam [15:0] REG_EGRESS_P0_TX_FRAMES = 16'h0020; // ro: port 1 frames passed to port 0 (wraps)
localparam [15:0] REG_EGRESS_CLUSTER_MAC_HI = 16'h0024; // rw: the cluster's MAC, bytes 0..1: source MAC of port 1 frames passed to port 0 while CONTROL.REWRITE_SRC is set (reset 0)
localparam [15:0] REG_EGRESS_CLUSTER_MAC_LO = 16'h0028; // rw: the cluster's MAC, bytes 2..5 (reset 0)
localparam [15:0] REG_EGRESS_MAC_HI = 16'h0040; // rw: destination MAC of queue n, bytes 0..1
localparam [15:0] REG_EGRESS_MAC_HI_STRIDE = 16'h0008;
localparam integer REG_EGRESS_MAC_HI_COUNT = 16;
localparam [15:0] REG_EGRESS_MAC_LO = 16'h0044; // rw: destination MAC of queue n, bytes 2..5
localparam [15:0] REG_EGRESS_MAC_LO_STRIDE = 16'h0008;
localparam integer REG_EGRESS_MAC_LO_COUNT = 16;

// board: Two-port NIC (sipnic_nic, the board): the build's identity, the clocks, and a read-only MDIO master (IEEE 802.3 clause 22 read frames) on the PHYs' shared management bus. The PHYs are never written or reset. Absent from a bare sipnic_core.
localparam [15:0] BLK_BOARD_BASE = 16'h0800;
localparam [15:0] BLK_BOARD_SIZE = 16'h0100;
localparam [15:0] BLK_BOARD_NEXT = 16'h0000;
localparam [31:0] BLK_BOARD_TYPE = 32'h53500007;
localparam [31:0] BLK_BOARD_VERSION = 32'h00010000;
localparam [15:0] REG_BOARD_TYPE = 16'h0000; // ro: block type
localparam [15:0] REG_BOARD_VERSION = 16'h0004; // ro: block version
localparam [15:0] REG_BOARD_NEXT = 16'h0008; // ro: byte address of the next block, 0 = last
localparam [15:0] REG_BOARD_BUILD_ID = 16'h000C; // ro: set by the board build: the build's time in seconds since 1970 UTC (0: not set, as in simulation)
localparam [15:0] REG_BOARD_GIT_HASH = 16'h0010; // ro: set by the board build: the first 8 hex digits of the source's git commit (0: not set)
localparam [15:0] REG_BOARD_BUILD_FLAGS = 16'h0014; // ro: set by the board build
localparam [15:0] REG_BOARD_CLK_HZ = 16'h0018; // ro: the NIC's clock in Hz
localparam [15:0] REG_BOARD_BAUD = 16'h001C; // ro: the UART's nominal line rate
localparam [15:0] REG_BOARD_MDC_DIV = 16'h0020; // ro: clocks per MDC half period: MDC = CLK_HZ / (2 * MDC_DIV), at most 2.5 MHz
localparam [15:0] REG_BOARD_MDIO_COMMAND = 16'h0024; // wo: a write starts a clause 22 read of register REG of PHY PHY (32 preamble bits, 64 MDC periods in all); ignored while MDIO_STATUS.BUSY
localparam [15:0] REG_BOARD_MDIO_STATUS = 16'h0028; // ro: the last read

// drop reasons
localparam [3:0] DROP_RUNT = 4'h1; // frame shorter than 14 bytes
localparam [3:0] DROP_OVERSIZE = 4'h2; // frame longer than MAX_FRAME (9022) bytes
localparam [3:0] DROP_RULE = 4'h3; // the deciding rule's action is -1
localparam [3:0] DROP_QUEUE_FULL = 4'h4; // tail drop: the queue FIFO had no room for the whole frame
localparam [3:0] DROP_BAD_QUEUE = 4'h5; // the action names a queue the adapter does not have

// table command status
localparam [1:0] STATUS_OK = 2'd0;
localparam [1:0] STATUS_EXISTS = 2'd1;
localparam [1:0] STATUS_FULL = 2'd2;
localparam [1:0] STATUS_NOT_FOUND = 2'd3;

// bit fields: <name>_SHIFT (lowest bit), _WIDTH, _MASK (in place), and one constant per named value

// field set keyFlags (the same bits in every register that uses it)
localparam integer FSET_KEY_FLAGS_FAMILY_SHIFT = 0; // bit 0: address family
localparam integer FSET_KEY_FLAGS_FAMILY_WIDTH = 1;
localparam [31:0] FSET_KEY_FLAGS_FAMILY_MASK = 32'h00000001;
localparam [0:0] FSET_KEY_FLAGS_FAMILY_IPV4 = 1'd0;
localparam [0:0] FSET_KEY_FLAGS_FAMILY_IPV6 = 1'd1;
localparam integer FSET_KEY_FLAGS_PROTO_SHIFT = 1; // bit 1: protocol
localparam integer FSET_KEY_FLAGS_PROTO_WIDTH = 1;
localparam [31:0] FSET_KEY_FLAGS_PROTO_MASK = 32'h00000002;
localparam [0:0] FSET_KEY_FLAGS_PROTO_TCP = 1'd0;
localparam [0:0] FSET_KEY_FLAGS_PROTO_UDP = 1'd1;
localparam integer FSET_KEY_FLAGS_ADDR_SLOT_SHIFT = 8; // bits 11:8: destination address: a slot of the addr block
localparam integer FSET_KEY_FLAGS_ADDR_SLOT_WIDTH = 4;
localparam [31:0] FSET_KEY_FLAGS_ADDR_SLOT_MASK = 32'h00000F00;

// field set ports (the same bits in every register that uses it)
localparam integer FSET_PORTS_SRC_PORT_SHIFT = 16; // bits 31:16: source port
localparam integer FSET_PORTS_SRC_PORT_WIDTH = 16;
localparam [31:0] FSET_PORTS_SRC_PORT_MASK = 32'hFFFF0000;
localparam integer FSET_PORTS_DST_PORT_SHIFT = 0; // bits 15:0: destination port
localparam integer FSET_PORTS_DST_PORT_WIDTH = 16;
localparam [31:0] FSET_PORTS_DST_PORT_MASK = 32'h0000FFFF;

// field set tableCommand (the same bits in every register that uses it)
localparam integer FSET_TABLE_COMMAND_OP_SHIFT = 0; // bits 31:0: write: the staged registers into the entry (in one clock); read: the entry into the staged registers. The whole word is the command: any other value does nothing
localparam integer FSET_TABLE_COMMAND_OP_WIDTH = 32;
localparam [31:0] FSET_TABLE_COMMAND_OP_MASK = 32'hFFFFFFFF;
localparam [31:0] FSET_TABLE_COMMAND_OP_WRITE = 32'd1;
localparam [31:0] FSET_TABLE_COMMAND_OP_READ = 32'd2;

// core.CONTROL
localparam integer FLD_CORE_CONTROL_CLEAR_COUNTERS_SHIFT = 0; // bit 0: 1: clear every counter (0 does nothing)
localparam integer FLD_CORE_CONTROL_CLEAR_COUNTERS_WIDTH = 1;
localparam [31:0] FLD_CORE_CONTROL_CLEAR_COUNTERS_MASK = 32'h00000001;

// addr.COMMAND
localparam integer FLD_ADDR_COMMAND_OP_SHIFT = 0; // bits 31:0: write: the staged registers into the entry (in one clock); read: the entry into the staged registers. The whole word is the command: any other value does nothing
localparam integer FLD_ADDR_COMMAND_OP_WIDTH = 32;
localparam [31:0] FLD_ADDR_COMMAND_OP_MASK = 32'hFFFFFFFF;
localparam [31:0] FLD_ADDR_COMMAND_OP_WRITE = 32'd1;
localparam [31:0] FLD_ADDR_COMMAND_OP_READ = 32'd2;

// flow.KEY_FLAGS
localparam integer FLD_FLOW_KEY_FLAGS_FAMILY_SHIFT = 0; // bit 0: address family
localparam integer FLD_FLOW_KEY_FLAGS_FAMILY_WIDTH = 1;
localparam [31:0] FLD_FLOW_KEY_FLAGS_FAMILY_MASK = 32'h00000001;
localparam [0:0] FLD_FLOW_KEY_FLAGS_FAMILY_IPV4 = 1'd0;
localparam [0:0] FLD_FLOW_KEY_FLAGS_FAMILY_IPV6 = 1'd1;
localparam integer FLD_FLOW_KEY_FLAGS_PROTO_SHIFT = 1; // bit 1: protocol
localparam integer FLD_FLOW_KEY_FLAGS_PROTO_WIDTH = 1;
localparam [31:0] FLD_FLOW_KEY_FLAGS_PROTO_MASK = 32'h00000002;
localparam [0:0] FLD_FLOW_KEY_FLAGS_PROTO_TCP = 1'd0;
localparam [0:0] FLD_FLOW_KEY_FLAGS_PROTO_UDP = 1'd1;
localparam integer FLD_FLOW_KEY_FLAGS_ADDR_SLOT_SHIFT = 8; // bits 11:8: destination address: a slot of the addr block
localparam integer FLD_FLOW_KEY_FLAGS_ADDR_SLOT_WIDTH = 4;
localparam [31:0] FLD_FLOW_KEY_FLAGS_ADDR_SLOT_MASK = 32'h00000F00;

// flow.KEY_PORTS
localparam integer FLD_FLOW_KEY_PORTS_SRC_PORT_SHIFT = 16; // bits 31:16: source port
localparam integer FLD_FLOW_KEY_PORTS_SRC_PORT_WIDTH = 16;
localparam [31:0] FLD_FLOW_KEY_PORTS_SRC_PORT_MASK = 32'hFFFF0000;
localparam integer FLD_FLOW_KEY_PORTS_DST_PORT_SHIFT = 0; // bits 15:0: destination port
localparam integer FLD_FLOW_KEY_PORTS_DST_PORT_WIDTH = 16;
localparam [31:0] FLD_FLOW_KEY_PORTS_DST_PORT_MASK = 32'h0000FFFF;

// flow.COMMAND
localparam integer FLD_FLOW_COMMAND_OP_SHIFT = 0; // bits 31:0: insert KEY with ACTION; delete KEY; lookup KEY; read_slot SLOT; clear every entry. The whole word is the command: any other value does nothing
localparam integer FLD_FLOW_COMMAND_OP_WIDTH = 32;
localparam [31:0] FLD_FLOW_COMMAND_OP_MASK = 32'hFFFFFFFF;
localparam [31:0] FLD_FLOW_COMMAND_OP_INSERT = 32'd1;
localparam [31:0] FLD_FLOW_COMMAND_OP_DELETE = 32'd2;
localparam [31:0] FLD_FLOW_COMMAND_OP_LOOKUP = 32'd3;
localparam [31:0] FLD_FLOW_COMMAND_OP_READ_SLOT = 32'd4;
localparam [31:0] FLD_FLOW_COMMAND_OP_CLEAR = 32'd5;

// flow.STATUS
localparam integer FLD_FLOW_STATUS_BUSY_SHIFT = 0; // bit 0: a command is running
localparam integer FLD_FLOW_STATUS_BUSY_WIDTH = 1;
localparam [31:0] FLD_FLOW_STATUS_BUSY_MASK = 32'h00000001;
localparam integer FLD_FLOW_STATUS_RESULT_SHIFT = 4; // bits 7:4: result of the last command
localparam integer FLD_FLOW_STATUS_RESULT_WIDTH = 4;
localparam [31:0] FLD_FLOW_STATUS_RESULT_MASK = 32'h000000F0;
localparam [3:0] FLD_FLOW_STATUS_RESULT_OK = 4'd0;
localparam [3:0] FLD_FLOW_STATUS_RESULT_EXISTS = 4'd1;
localparam [3:0] FLD_FLOW_STATUS_RESULT_FULL = 4'd2;
localparam [3:0] FLD_FLOW_STATUS_RESULT_NOT_FOUND = 4'd3;
localparam integer FLD_FLOW_STATUS_COMPLETED_SHIFT = 16; // bits 31:16: commands completed (wraps)
localparam integer FLD_FLOW_STATUS_COMPLETED_WIDTH = 16;
localparam [31:0] FLD_FLOW_STATUS_COMPLETED_MASK = 32'hFFFF0000;

// flow.RES_FLAGS
localparam integer FLD_FLOW_RES_FLAGS_VALID_SHIFT = 31; // bit 31: the last command found, inserted or read an entry
localparam integer FLD_FLOW_RES_FLAGS_VALID_WIDTH = 1;
localparam [31:0] FLD_FLOW_RES_FLAGS_VALID_MASK = 32'h80000000;
localparam integer FLD_FLOW_RES_FLAGS_FAMILY_SHIFT = 0; // bit 0: address family
localparam integer FLD_FLOW_RES_FLAGS_FAMILY_WIDTH = 1;
localparam [31:0] FLD_FLOW_RES_FLAGS_FAMILY_MASK = 32'h00000001;
localparam [0:0] FLD_FLOW_RES_FLAGS_FAMILY_IPV4 = 1'd0;
localparam [0:0] FLD_FLOW_RES_FLAGS_FAMILY_IPV6 = 1'd1;
localparam integer FLD_FLOW_RES_FLAGS_PROTO_SHIFT = 1; // bit 1: protocol
localparam integer FLD_FLOW_RES_FLAGS_PROTO_WIDTH = 1;
localparam [31:0] FLD_FLOW_RES_FLAGS_PROTO_MASK = 32'h00000002;
localparam [0:0] FLD_FLOW_RES_FLAGS_PROTO_TCP = 1'd0;
localparam [0:0] FLD_FLOW_RES_FLAGS_PROTO_UDP = 1'd1;
localparam integer FLD_FLOW_RES_FLAGS_ADDR_SLOT_SHIFT = 8; // bits 11:8: destination address: a slot of the addr block
localparam integer FLD_FLOW_RES_FLAGS_ADDR_SLOT_WIDTH = 4;
localparam [31:0] FLD_FLOW_RES_FLAGS_ADDR_SLOT_MASK = 32'h00000F00;

// flow.RES_PORTS
localparam integer FLD_FLOW_RES_PORTS_SRC_PORT_SHIFT = 16; // bits 31:16: source port
localparam integer FLD_FLOW_RES_PORTS_SRC_PORT_WIDTH = 16;
localparam [31:0] FLD_FLOW_RES_PORTS_SRC_PORT_MASK = 32'hFFFF0000;
localparam integer FLD_FLOW_RES_PORTS_DST_PORT_SHIFT = 0; // bits 15:0: destination port
localparam integer FLD_FLOW_RES_PORTS_DST_PORT_WIDTH = 16;
localparam [31:0] FLD_FLOW_RES_PORTS_DST_PORT_MASK = 32'h0000FFFF;

// flow.WALK_DATA
localparam integer FLD_FLOW_WALK_DATA_VALID_SHIFT = 31; // bit 31: the slot holds an entry: 7 more words follow
localparam integer FLD_FLOW_WALK_DATA_VALID_WIDTH = 1;
localparam [31:0] FLD_FLOW_WALK_DATA_VALID_MASK = 32'h80000000;
localparam integer FLD_FLOW_WALK_DATA_FAMILY_SHIFT = 0; // bit 0: address family
localparam integer FLD_FLOW_WALK_DATA_FAMILY_WIDTH = 1;
localparam [31:0] FLD_FLOW_WALK_DATA_FAMILY_MASK = 32'h00000001;
localparam [0:0] FLD_FLOW_WALK_DATA_FAMILY_IPV4 = 1'd0;
localparam [0:0] FLD_FLOW_WALK_DATA_FAMILY_IPV6 = 1'd1;
localparam integer FLD_FLOW_WALK_DATA_PROTO_SHIFT = 1; // bit 1: protocol
localparam integer FLD_FLOW_WALK_DATA_PROTO_WIDTH = 1;
localparam [31:0] FLD_FLOW_WALK_DATA_PROTO_MASK = 32'h00000002;
localparam [0:0] FLD_FLOW_WALK_DATA_PROTO_TCP = 1'd0;
localparam [0:0] FLD_FLOW_WALK_DATA_PROTO_UDP = 1'd1;
localparam integer FLD_FLOW_WALK_DATA_ADDR_SLOT_SHIFT = 8; // bits 11:8: destination address: a slot of the addr block
localparam integer FLD_FLOW_WALK_DATA_ADDR_SLOT_WIDTH = 4;
localparam [31:0] FLD_FLOW_WALK_DATA_ADDR_SLOT_MASK = 32'h00000F00;
localparam integer FLD_FLOW_WALK_DATA_ACTION_SHIFT = 16; // bits 23:16: the entry's action byte (encoding ACTION)
localparam integer FLD_FLOW_WALK_DATA_ACTION_WIDTH = 8;
localparam [31:0] FLD_FLOW_WALK_DATA_ACTION_MASK = 32'h00FF0000;

// flow.RES_META
localparam integer FLD_FLOW_RES_META_ORIGIN_SHIFT = 31; // bit 31: who made the entry
localparam integer FLD_FLOW_RES_META_ORIGIN_WIDTH = 1;
localparam [31:0] FLD_FLOW_RES_META_ORIGIN_MASK = 32'h80000000;
localparam [0:0] FLD_FLOW_RES_META_ORIGIN_HOST = 1'd0;
localparam [0:0] FLD_FLOW_RES_META_ORIGIN_LEARNED = 1'd1;
localparam integer FLD_FLOW_RES_META_STATE_SHIFT = 28; // bits 29:28: connection state (host entries read established)
localparam integer FLD_FLOW_RES_META_STATE_WIDTH = 2;
localparam [31:0] FLD_FLOW_RES_META_STATE_MASK = 32'h30000000;
localparam [1:0] FLD_FLOW_RES_META_STATE_EMBRYONIC = 2'd0;
localparam [1:0] FLD_FLOW_RES_META_STATE_ESTABLISHED = 2'd1;
localparam [1:0] FLD_FLOW_RES_META_STATE_CLOSING = 2'd2;
localparam integer FLD_FLOW_RES_META_CLASS_SHIFT = 24; // bits 25:24: aging class of a host entry (0 never aged); learned entries 0
localparam integer FLD_FLOW_RES_META_CLASS_WIDTH = 2;
localparam [31:0] FLD_FLOW_RES_META_CLASS_MASK = 32'h03000000;
localparam integer FLD_FLOW_RES_META_IDLE_MS_SHIFT = 0; // bits 22:0: (NOW_MS - the entry's last-hit stamp) mod 2^23
localparam integer FLD_FLOW_RES_META_IDLE_MS_WIDTH = 23;
localparam [31:0] FLD_FLOW_RES_META_IDLE_MS_MASK = 32'h007FFFFF;

// flow.FEATURES
localparam integer FLD_FLOW_FEATURES_LEARNING_SHIFT = 0; // bit 0: the learning engine and aging are built in (parameter LEARNING)
localparam integer FLD_FLOW_FEATURES_LEARNING_WIDTH = 1;
localparam [31:0] FLD_FLOW_FEATURES_LEARNING_MASK = 32'h00000001;
localparam integer FLD_FLOW_FEATURES_IPV4_ONLY_SHIFT = 1; // bit 1: built without IPv6 (parameter IPV6 = 0; flow version 2.2): IPv6 frames are not steerable and go by the default action, the transmit side never learns from them, flow keys hold a 32-bit source address (an IPv6 key's source is cut to its low 32 bits)
localparam integer FLD_FLOW_FEATURES_IPV4_ONLY_WIDTH = 1;
localparam [31:0] FLD_FLOW_FEATURES_IPV4_ONLY_MASK = 32'h00000002;
localparam integer FLD_FLOW_FEATURES_EVENTS_SHIFT = 2; // bit 2: the event queue (EVENT_* registers, flow version 2.3) is built in: set with LEARNING
localparam integer FLD_FLOW_FEATURES_EVENTS_WIDTH = 1;
localparam [31:0] FLD_FLOW_FEATURES_EVENTS_MASK = 32'h00000004;

// flow.LEARN_CONTROL
localparam integer FLD_FLOW_LEARN_CONTROL_TRANSMIT_SHIFT = 0; // bit 0: transmit-side learning (docs/semantics.md rule 9): a connection request a processor transmits from a cluster address (an address slot) learns the reverse entry to that processor's queue; set with a learning line
localparam integer FLD_FLOW_LEARN_CONTROL_TRANSMIT_WIDTH = 1;
localparam [31:0] FLD_FLOW_LEARN_CONTROL_TRANSMIT_MASK = 32'h00000001;

// flow.EVENT_CONTROL
localparam integer FLD_FLOW_EVENT_CONTROL_ENABLE_SHIFT = 0; // bit 0: write records; clearing it empties the queue (records, cut record and all) and stops the overflow count
localparam integer FLD_FLOW_EVENT_CONTROL_ENABLE_WIDTH = 1;
localparam [31:0] FLD_FLOW_EVENT_CONTROL_ENABLE_MASK = 32'h00000001;
localparam integer FLD_FLOW_EVENT_CONTROL_REFUSALS_SHIFT = 1; // bit 1: also write a record for each learning request refused at the quota or a full table, while the queue is at most half full (else EVENT_SKIPPED counts it); refusals do not change the table, so skipping one never needs a resync
localparam integer FLD_FLOW_EVENT_CONTROL_REFUSALS_WIDTH = 1;
localparam [31:0] FLD_FLOW_EVENT_CONTROL_REFUSALS_MASK = 32'h00000002;

// flow.EVENT_DATA
localparam integer FLD_FLOW_EVENT_DATA_VALID_SHIFT = 31; // bit 31: a record starts here
localparam integer FLD_FLOW_EVENT_DATA_VALID_WIDTH = 1;
localparam [31:0] FLD_FLOW_EVENT_DATA_VALID_MASK = 32'h80000000;
localparam integer FLD_FLOW_EVENT_DATA_TYPE_SHIFT = 28; // bits 29:28: what happened
localparam integer FLD_FLOW_EVENT_DATA_TYPE_WIDTH = 2;
localparam [31:0] FLD_FLOW_EVENT_DATA_TYPE_MASK = 32'h30000000;
localparam [1:0] FLD_FLOW_EVENT_DATA_TYPE_LEARNED = 2'd1;
localparam [1:0] FLD_FLOW_EVENT_DATA_TYPE_AGED = 2'd2;
localparam [1:0] FLD_FLOW_EVENT_DATA_TYPE_REFUSED = 2'd3;
localparam integer FLD_FLOW_EVENT_DATA_DETAIL_SHIFT = 24; // bits 25:24: aged: the entry's state (0 embryonic, 1 established, 2 closing, 3 a host entry); refused: 1 quota, 2 full; learned: 0
localparam integer FLD_FLOW_EVENT_DATA_DETAIL_WIDTH = 2;
localparam [31:0] FLD_FLOW_EVENT_DATA_DETAIL_MASK = 32'h03000000;
localparam integer FLD_FLOW_EVENT_DATA_ACTION_SHIFT = 16; // bits 23:16: the entry's action byte (encoding ACTION): the queue learned, aged or refused
localparam integer FLD_FLOW_EVENT_DATA_ACTION_WIDTH = 8;
localparam [31:0] FLD_FLOW_EVENT_DATA_ACTION_MASK = 32'h00FF0000;
localparam integer FLD_FLOW_EVENT_DATA_WORDS_SHIFT = 12; // bits 15:12: words that follow in this record: 2 (IPv4) or 5 (IPv6)
localparam integer FLD_FLOW_EVENT_DATA_WORDS_WIDTH = 4;
localparam [31:0] FLD_FLOW_EVENT_DATA_WORDS_MASK = 32'h0000F000;
localparam integer FLD_FLOW_EVENT_DATA_FAMILY_SHIFT = 0; // bit 0: address family
localparam integer FLD_FLOW_EVENT_DATA_FAMILY_WIDTH = 1;
localparam [31:0] FLD_FLOW_EVENT_DATA_FAMILY_MASK = 32'h00000001;
localparam [0:0] FLD_FLOW_EVENT_DATA_FAMILY_IPV4 = 1'd0;
localparam [0:0] FLD_FLOW_EVENT_DATA_FAMILY_IPV6 = 1'd1;
localparam integer FLD_FLOW_EVENT_DATA_PROTO_SHIFT = 1; // bit 1: protocol
localparam integer FLD_FLOW_EVENT_DATA_PROTO_WIDTH = 1;
localparam [31:0] FLD_FLOW_EVENT_DATA_PROTO_MASK = 32'h00000002;
localparam [0:0] FLD_FLOW_EVENT_DATA_PROTO_TCP = 1'd0;
localparam [0:0] FLD_FLOW_EVENT_DATA_PROTO_UDP = 1'd1;
localparam integer FLD_FLOW_EVENT_DATA_ADDR_SLOT_SHIFT = 8; // bits 11:8: destination address: a slot of the addr block
localparam integer FLD_FLOW_EVENT_DATA_ADDR_SLOT_WIDTH = 4;
localparam [31:0] FLD_FLOW_EVENT_DATA_ADDR_SLOT_MASK = 32'h00000F00;

// listen.FLAGS
localparam integer FLD_LISTEN_FLAGS_VALID_SHIFT = 31; // bit 31: the entry is live (0: the entry matches nothing and reads back as all zero)
localparam integer FLD_LISTEN_FLAGS_VALID_WIDTH = 1;
localparam [31:0] FLD_LISTEN_FLAGS_VALID_MASK = 32'h80000000;
localparam integer FLD_LISTEN_FLAGS_LEARN_SHIFT = 30; // bit 30: TCP connection requests this entry steers to a queue learn their exact entry (with LEARNING; reads 0 without)
localparam integer FLD_LISTEN_FLAGS_LEARN_WIDTH = 1;
localparam [31:0] FLD_LISTEN_FLAGS_LEARN_MASK = 32'h40000000;
localparam integer FLD_LISTEN_FLAGS_FAMILY_SHIFT = 0; // bit 0: address family
localparam integer FLD_LISTEN_FLAGS_FAMILY_WIDTH = 1;
localparam [31:0] FLD_LISTEN_FLAGS_FAMILY_MASK = 32'h00000001;
localparam [0:0] FLD_LISTEN_FLAGS_FAMILY_IPV4 = 1'd0;
localparam [0:0] FLD_LISTEN_FLAGS_FAMILY_IPV6 = 1'd1;
localparam integer FLD_LISTEN_FLAGS_PROTO_SHIFT = 1; // bit 1: protocol
localparam integer FLD_LISTEN_FLAGS_PROTO_WIDTH = 1;
localparam [31:0] FLD_LISTEN_FLAGS_PROTO_MASK = 32'h00000002;
localparam [0:0] FLD_LISTEN_FLAGS_PROTO_TCP = 1'd0;
localparam [0:0] FLD_LISTEN_FLAGS_PROTO_UDP = 1'd1;
localparam integer FLD_LISTEN_FLAGS_ADDR_SLOT_SHIFT = 8; // bits 11:8: destination address: a slot of the addr block
localparam integer FLD_LISTEN_FLAGS_ADDR_SLOT_WIDTH = 4;
localparam [31:0] FLD_LISTEN_FLAGS_ADDR_SLOT_MASK = 32'h00000F00;

// listen.PORT
localparam integer FLD_LISTEN_PORT_DST_PORT_SHIFT = 0; // bits 15:0: destination port
localparam integer FLD_LISTEN_PORT_DST_PORT_WIDTH = 16;
localparam [31:0] FLD_LISTEN_PORT_DST_PORT_MASK = 32'h0000FFFF;

// listen.ACTION
localparam integer FLD_LISTEN_ACTION_INDEX_SHIFT = 0; // bits 7:0: the queue, or with GROUP the group
localparam integer FLD_LISTEN_ACTION_INDEX_WIDTH = 8;
localparam [31:0] FLD_LISTEN_ACTION_INDEX_MASK = 32'h000000FF;
localparam integer FLD_LISTEN_ACTION_GROUP_SHIFT = 8; // bit 8: INDEX names a queue group (only with bits 31:9 clear)
localparam integer FLD_LISTEN_ACTION_GROUP_WIDTH = 1;
localparam [31:0] FLD_LISTEN_ACTION_GROUP_MASK = 32'h00000100;

// listen.COMMAND
localparam integer FLD_LISTEN_COMMAND_OP_SHIFT = 0; // bits 31:0: write: the staged registers into the entry (in one clock); read: the entry into the staged registers. The whole word is the command: any other value does nothing
localparam integer FLD_LISTEN_COMMAND_OP_WIDTH = 32;
localparam [31:0] FLD_LISTEN_COMMAND_OP_MASK = 32'hFFFFFFFF;
localparam [31:0] FLD_LISTEN_COMMAND_OP_WRITE = 32'd1;
localparam [31:0] FLD_LISTEN_COMMAND_OP_READ = 32'd2;

// listen.GROUP_COMMAND
localparam integer FLD_LISTEN_GROUP_COMMAND_OP_SHIFT = 0; // bits 31:0: write: the staged registers into the entry (in one clock); read: the entry into the staged registers. The whole word is the command: any other value does nothing
localparam integer FLD_LISTEN_GROUP_COMMAND_OP_WIDTH = 32;
localparam [31:0] FLD_LISTEN_GROUP_COMMAND_OP_MASK = 32'hFFFFFFFF;
localparam [31:0] FLD_LISTEN_GROUP_COMMAND_OP_WRITE = 32'd1;
localparam [31:0] FLD_LISTEN_GROUP_COMMAND_OP_READ = 32'd2;

// egress.CONTROL
localparam integer FLD_EGRESS_CONTROL_REWRITE_MAC_SHIFT = 0; // bit 0: replace the destination MAC of queue n's frames with MAC_HI/MAC_LO[n] on port 1 (0: frames leave unchanged)
localparam integer FLD_EGRESS_CONTROL_REWRITE_MAC_WIDTH = 1;
localparam [31:0] FLD_EGRESS_CONTROL_REWRITE_MAC_MASK = 32'h00000001;
localparam integer FLD_EGRESS_CONTROL_REWRITE_SRC_SHIFT = 1; // bit 1: replace the source MAC of port 1 frames passed to port 0 with CLUSTER_MAC_HI/CLUSTER_MAC_LO, and in untagged ARP frames (EtherType 0x0806 at bytes 12..13) also the sender hardware address (bytes 22..27), so the clients see one MAC for the cluster (0: frames pass unchanged)
localparam integer FLD_EGRESS_CONTROL_REWRITE_SRC_WIDTH = 1;
localparam [31:0] FLD_EGRESS_CONTROL_REWRITE_SRC_MASK = 32'h00000002;

// egress.CLUSTER_MAC_HI
localparam integer FLD_EGRESS_CLUSTER_MAC_HI_ADDR_SHIFT = 0; // bits 15:0: MAC bytes 0..1, byte 0 (first on the wire) in bits 15:8
localparam integer FLD_EGRESS_CLUSTER_MAC_HI_ADDR_WIDTH = 16;
localparam [31:0] FLD_EGRESS_CLUSTER_MAC_HI_ADDR_MASK = 32'h0000FFFF;

// egress.CLUSTER_MAC_LO
localparam integer FLD_EGRESS_CLUSTER_MAC_LO_ADDR_SHIFT = 0; // bits 31:0: MAC bytes 2..5, byte 2 in bits 31:24
localparam integer FLD_EGRESS_CLUSTER_MAC_LO_ADDR_WIDTH = 32;
localparam [31:0] FLD_EGRESS_CLUSTER_MAC_LO_ADDR_MASK = 32'hFFFFFFFF;

// egress.MAC_HI
localparam integer FLD_EGRESS_MAC_HI_ADDR_SHIFT = 0; // bits 15:0: MAC bytes 0..1, byte 0 (first on the wire) in bits 15:8
localparam integer FLD_EGRESS_MAC_HI_ADDR_WIDTH = 16;
localparam [31:0] FLD_EGRESS_MAC_HI_ADDR_MASK = 32'h0000FFFF;

// egress.MAC_LO
localparam integer FLD_EGRESS_MAC_LO_ADDR_SHIFT = 0; // bits 31:0: MAC bytes 2..5, byte 2 in bits 31:24
localparam integer FLD_EGRESS_MAC_LO_ADDR_WIDTH = 32;
localparam [31:0] FLD_EGRESS_MAC_LO_ADDR_MASK = 32'hFFFFFFFF;

// board.BUILD_FLAGS
localparam integer FLD_BOARD_BUILD_FLAGS_GIT_DIRTY_SHIFT = 0; // bit 0: the source had changes not committed to GIT_HASH
localparam integer FLD_BOARD_BUILD_FLAGS_GIT_DIRTY_WIDTH = 1;
localparam [31:0] FLD_BOARD_BUILD_FLAGS_GIT_DIRTY_MASK = 32'h00000001;

// board.MDIO_COMMAND
localparam integer FLD_BOARD_MDIO_COMMAND_REG_SHIFT = 0; // bits 4:0: PHY register address
localparam integer FLD_BOARD_MDIO_COMMAND_REG_WIDTH = 5;
localparam [31:0] FLD_BOARD_MDIO_COMMAND_REG_MASK = 32'h0000001F;
localparam integer FLD_BOARD_MDIO_COMMAND_PHY_SHIFT = 8; // bits 12:8: PHY address
localparam integer FLD_BOARD_MDIO_COMMAND_PHY_WIDTH = 5;
localparam [31:0] FLD_BOARD_MDIO_COMMAND_PHY_MASK = 32'h00001F00;

// board.MDIO_STATUS
localparam integer FLD_BOARD_MDIO_STATUS_DATA_SHIFT = 0; // bits 15:0: the register's value (all ones when nothing answered)
localparam integer FLD_BOARD_MDIO_STATUS_DATA_WIDTH = 16;
localparam [31:0] FLD_BOARD_MDIO_STATUS_DATA_MASK = 32'h0000FFFF;
localparam integer FLD_BOARD_MDIO_STATUS_BUSY_SHIFT = 16; // bit 16: a read is running
localparam integer FLD_BOARD_MDIO_STATUS_BUSY_WIDTH = 1;
localparam [31:0] FLD_BOARD_MDIO_STATUS_BUSY_MASK = 32'h00010000;
localparam integer FLD_BOARD_MDIO_STATUS_NO_ANSWER_SHIFT = 17; // bit 17: no PHY drove the turnaround's second bit low: nothing at that address (the bus's pull-up held MDIO high)
localparam integer FLD_BOARD_MDIO_STATUS_NO_ANSWER_WIDTH = 1;
localparam [31:0] FLD_BOARD_MDIO_STATUS_NO_ANSWER_MASK = 32'h00020000;
localparam integer FLD_BOARD_MDIO_STATUS_COMPLETED_SHIFT = 24; // bits 31:24: reads completed (wraps)
localparam integer FLD_BOARD_MDIO_STATUS_COMPLETED_WIDTH = 8;
localparam [31:0] FLD_BOARD_MDIO_STATUS_COMPLETED_MASK = 32'hFF000000;

// encoding ACTION
localparam integer ENC_ACTION_DROP_SHIFT = 7; // bit 7: drop the frame
localparam integer ENC_ACTION_DROP_WIDTH = 1;
localparam [7:0] ENC_ACTION_DROP_MASK = 8'h80;
localparam integer ENC_ACTION_QUEUE_SHIFT = 0; // bits 6:0: queue (a queue the adapter does not have drops the frame as bad_queue)
localparam integer ENC_ACTION_QUEUE_WIDTH = 7;
localparam [7:0] ENC_ACTION_QUEUE_MASK = 8'h7F;

// encoding GROUP_ACTION
localparam integer ENC_GROUP_ACTION_TAG_SHIFT = 6; // bits 7:6: the value group marks a group action; any other value: the byte is an ACTION
localparam integer ENC_GROUP_ACTION_TAG_WIDTH = 2;
localparam [7:0] ENC_GROUP_ACTION_TAG_MASK = 8'hC0;
localparam [1:0] ENC_GROUP_ACTION_TAG_GROUP = 2'd2;
localparam integer ENC_GROUP_ACTION_GROUP_SHIFT = 0; // bits 5:0: queue group (a group the adapter does not have steers to queue 127)
localparam integer ENC_GROUP_ACTION_GROUP_WIDTH = 6;
localparam [7:0] ENC_GROUP_ACTION_GROUP_MASK = 8'h3F;
