// generated from rtl/regs.json by scripts/gen-regs.mjs — do not edit
// Register map constants for the C++ testbenches and simulators (the same names as rtl/core/sipnic_regs.vh).
#ifndef SIPNIC_REGS_GENERATED_H
#define SIPNIC_REGS_GENERATED_H

#include <cstdint>

// core: Adapter identity, parameters, default action
static constexpr uint32_t BLK_CORE_BASE = 0x0000u;
static constexpr uint32_t BLK_CORE_SIZE = 0x0100u;
static constexpr uint32_t BLK_CORE_NEXT = 0x0100u;
static constexpr uint32_t BLK_CORE_TYPE = 0x53500001u;
static constexpr uint32_t BLK_CORE_VERSION = 0x00010000u;
static constexpr uint32_t REG_CORE_TYPE = 0x0000u; // ro: block type
static constexpr uint32_t REG_CORE_VERSION = 0x0004u; // ro: block version
static constexpr uint32_t REG_CORE_NEXT = 0x0008u; // ro: byte address of the next block, 0 = last
static constexpr uint32_t REG_CORE_DATA_WIDTH = 0x000Cu; // ro: ingress/queue stream width in bits
static constexpr uint32_t REG_CORE_QUEUES = 0x0010u; // ro: number of queues
static constexpr uint32_t REG_CORE_MAX_FRAME = 0x0014u; // ro: longest accepted frame in bytes
static constexpr uint32_t REG_CORE_QUEUE_FIFO_BYTES = 0x0018u; // ro: bytes of buffer per queue
static constexpr uint32_t REG_CORE_SCRATCH = 0x001Cu; // rw: free for bus tests
static constexpr uint32_t REG_CORE_DEFAULT_ACTION = 0x0020u; // rw: action for frames no rule matches; reset 0
static constexpr uint32_t REG_CORE_CONTROL = 0x0024u; // wo: one-shot actions, one bit each
static constexpr uint32_t REG_CORE_FRAME_ID = 0x0028u; // ro: id the next ingress frame will get

// addr: Cluster addresses: flow and listen entries name a destination by slot index here
static constexpr uint32_t BLK_ADDR_BASE = 0x0100u;
static constexpr uint32_t BLK_ADDR_SIZE = 0x0100u;
static constexpr uint32_t BLK_ADDR_NEXT = 0x0200u;
static constexpr uint32_t BLK_ADDR_TYPE = 0x53500002u;
static constexpr uint32_t BLK_ADDR_VERSION = 0x00010000u;
static constexpr uint32_t REG_ADDR_TYPE = 0x0000u; // ro: block type
static constexpr uint32_t REG_ADDR_VERSION = 0x0004u; // ro: block version
static constexpr uint32_t REG_ADDR_NEXT = 0x0008u; // ro: byte address of the next block
static constexpr uint32_t REG_ADDR_SLOTS = 0x000Cu; // ro: number of address slots
static constexpr uint32_t REG_ADDR_SLOT = 0x0010u; // rw: slot the next COMMAND acts on
static constexpr uint32_t REG_ADDR_FAMILY = 0x0014u; // rw: staged: 0 empty, 4 IPv4, 6 IPv6
static constexpr uint32_t REG_ADDR_ADDR0 = 0x0018u; // rw: staged address bits 127:96 (IPv4: 0)
static constexpr uint32_t REG_ADDR_ADDR1 = 0x001Cu; // rw: staged address bits 95:64 (IPv4: 0)
static constexpr uint32_t REG_ADDR_ADDR2 = 0x0020u; // rw: staged address bits 63:32 (IPv4: 0)
static constexpr uint32_t REG_ADDR_ADDR3 = 0x0024u; // rw: staged address bits 31:0 (IPv4: the address)
static constexpr uint32_t REG_ADDR_COMMAND = 0x0028u; // wo: acts on SLOT; ignored when SLOT >= SLOTS

// flow: Exact-match flow table (multi-way cuckoo hash with a stash)
static constexpr uint32_t BLK_FLOW_BASE = 0x0200u;
static constexpr uint32_t BLK_FLOW_SIZE = 0x0100u;
static constexpr uint32_t BLK_FLOW_NEXT = 0x0300u;
static constexpr uint32_t BLK_FLOW_TYPE = 0x53500003u;
static constexpr uint32_t BLK_FLOW_VERSION = 0x00020300u;
static constexpr uint32_t REG_FLOW_TYPE = 0x0000u; // ro: block type
static constexpr uint32_t REG_FLOW_VERSION = 0x0004u; // ro: block version
static constexpr uint32_t REG_FLOW_NEXT = 0x0008u; // ro: byte address of the next block
static constexpr uint32_t REG_FLOW_ENTRIES = 0x000Cu; // ro: entries in the hashed table (without stash)
static constexpr uint32_t REG_FLOW_WAYS = 0x0010u; // ro: hash ways
static constexpr uint32_t REG_FLOW_STASH = 0x0014u; // ro: stash entries; stash slots follow the table's slots
static constexpr uint32_t REG_FLOW_COUNT = 0x0018u; // ro: live entries, stash included
static constexpr uint32_t REG_FLOW_STASH_USED = 0x001Cu; // ro: live stash entries
static constexpr uint32_t REG_FLOW_KEY_FLAGS = 0x0020u; // rw: key: family, protocol, destination address slot
static constexpr uint32_t REG_FLOW_KEY_PORTS = 0x0024u; // rw: key: ports
static constexpr uint32_t REG_FLOW_KEY_SRC0 = 0x0028u; // rw: source address bits 127:96
static constexpr uint32_t REG_FLOW_KEY_SRC1 = 0x002Cu; // rw: source address bits 95:64
static constexpr uint32_t REG_FLOW_KEY_SRC2 = 0x0030u; // rw: source address bits 63:32
static constexpr uint32_t REG_FLOW_KEY_SRC3 = 0x0034u; // rw: source address bits 31:0
static constexpr uint32_t REG_FLOW_ACTION = 0x0038u; // rw: action for INSERT
static constexpr uint32_t REG_FLOW_SLOT = 0x003Cu; // rw: slot for READ_SLOT
static constexpr uint32_t REG_FLOW_COMMAND = 0x0040u; // wo: starts a command; ignored while STATUS.BUSY
static constexpr uint32_t REG_FLOW_STATUS = 0x0044u; // ro: command state
static constexpr uint32_t REG_FLOW_RES_FLAGS = 0x0048u; // ro: result: valid, and the entry's key as KEY_FLAGS
static constexpr uint32_t REG_FLOW_RES_PORTS = 0x004Cu; // ro: result: ports, as KEY_PORTS
static constexpr uint32_t REG_FLOW_RES_SRC0 = 0x0050u; // ro: as KEY_SRC0
static constexpr uint32_t REG_FLOW_RES_SRC1 = 0x0054u; // ro: as KEY_SRC1
static constexpr uint32_t REG_FLOW_RES_SRC2 = 0x0058u; // ro: as KEY_SRC2
static constexpr uint32_t REG_FLOW_RES_SRC3 = 0x005Cu; // ro: as KEY_SRC3
static constexpr uint32_t REG_FLOW_RES_ACTION = 0x0060u; // ro: action of the entry found, inserted or read
static constexpr uint32_t REG_FLOW_RES_SLOT = 0x0064u; // ro: slot of that entry
static constexpr uint32_t REG_FLOW_RES_HITS = 0x0068u; // ro: frames that hit that entry
static constexpr uint32_t REG_FLOW_LAST_MOVES = 0x006Cu; // ro: entries the last insert moved
static constexpr uint32_t REG_FLOW_LOOKUP_LATENCY = 0x0070u; // ro: cycles from key in to result out
static constexpr uint32_t REG_FLOW_WALK_SLOT = 0x0074u; // rw: walk cursor: the slot whose record WALK_DATA reads next (a write starts that slot's record afresh); it steps to the next slot after each record. Slots past the stash give empty records
static constexpr uint32_t REG_FLOW_WALK_DATA = 0x0078u; // ro: the walk: each read gives the next word of slot WALK_SLOT's record, so a fixed-address burst reads consecutive slots. An empty slot's record is one word, 0; a live entry's is 8 words: this word (VALID set, key flags, action), RES_PORTS, RES_SRC0..3, RES_HITS, RES_META as those registers. Reading word 0 runs a read_slot command on the walk's own result registers (the bus waits for it; STATUS and the RES_* registers are untouched)
static constexpr uint32_t REG_FLOW_RES_META = 0x007Cu; // ro: meta of the entry the last command found, inserted or read (0 without LEARNING)
static constexpr uint32_t REG_FLOW_FEATURES = 0x0080u; // ro: built-in features (read whatever LEARNING is); when LEARNING is 0 every register below reads 0 and writes are ignored, and RES_META reads 0
static constexpr uint32_t REG_FLOW_CLOCKS_PER_MS = 0x0084u; // ro: core clocks per millisecond (parameter)
static constexpr uint32_t REG_FLOW_NOW_MS = 0x0088u; // rw: the adapter's millisecond clock, 23 bits, advances every CLOCKS_PER_MS clocks; a write sets it and restarts the sub-ms divider at 0 (simulation fast-forward; the host never writes it backwards)
static constexpr uint32_t REG_FLOW_SWEEPS = 0x008Cu; // ro: aging passes completed over all slots (wraps at 2^32)
static constexpr uint32_t REG_FLOW_SYN_TIMEOUT_MS = 0x0090u; // rw: idle timeout of embryonic learned entries, ms (0..3600000); reset 5000
static constexpr uint32_t REG_FLOW_IDLE_TIMEOUT_MS = 0x0094u; // rw: idle timeout of established learned entries, ms; reset 300000
static constexpr uint32_t REG_FLOW_FIN_TIMEOUT_MS = 0x0098u; // rw: idle timeout of closing learned entries, ms; reset 10000
static constexpr uint32_t REG_FLOW_HOST_TIMEOUT1_MS = 0x009Cu; // rw: idle timeout of host entries inserted with class 1, ms (0 never); reset 0
static constexpr uint32_t REG_FLOW_HOST_TIMEOUT2_MS = 0x00A0u; // rw: class 2, as HOST_TIMEOUT1_MS
static constexpr uint32_t REG_FLOW_HOST_TIMEOUT3_MS = 0x00A4u; // rw: class 3, as HOST_TIMEOUT1_MS
static constexpr uint32_t REG_FLOW_INSERT_CLASS = 0x00A8u; // rw: aging class (bits 1:0) given to host INSERTs (0 = never aged); reset 0
static constexpr uint32_t REG_FLOW_MAX_EMBRYONIC = 0x00ACu; // rw: learning stops while this many learned entries are embryonic; 0 learns nothing; reset 1024
static constexpr uint32_t REG_FLOW_EMBRYONIC = 0x00B0u; // ro: learned entries now embryonic
static constexpr uint32_t REG_FLOW_MAX_ENTRIES = 0x00B4u; // rw: a learning request is refused full when COUNT >= MAX_ENTRIES (or the insert finds the table full); reset 65535
static constexpr uint32_t REG_FLOW_LEARN_CONTROL = 0x00B8u; // rw: learning switches; reset 0
static constexpr uint32_t REG_FLOW_LEARNED = 0x00C0u; // ro: entries learned (32 bit, wraps; cleared by reset only)
static constexpr uint32_t REG_FLOW_AGED_EMBRYONIC = 0x00C4u; // ro: learned entries aged while embryonic
static constexpr uint32_t REG_FLOW_AGED_ESTABLISHED = 0x00C8u; // ro: learned entries aged while established
static constexpr uint32_t REG_FLOW_AGED_CLOSING = 0x00CCu; // ro: learned entries aged while closing
static constexpr uint32_t REG_FLOW_AGED_HOST = 0x00D0u; // ro: host entries aged
static constexpr uint32_t REG_FLOW_REFUSED_EXACT = 0x00D4u; // ro: connection requests of a learn listen rule that hit an exact entry
static constexpr uint32_t REG_FLOW_REFUSED_QUOTA = 0x00D8u; // ro: learning requests refused at MAX_EMBRYONIC
static constexpr uint32_t REG_FLOW_REFUSED_FULL = 0x00DCu; // ro: learning requests refused with a full table (MAX_ENTRIES or the insert)
static constexpr uint32_t REG_FLOW_REFUSED_BUSY = 0x00E0u; // ro: learning requests refused while the engine held an earlier one
static constexpr uint32_t REG_FLOW_EVENT_CONTROL = 0x00E4u; // rw: the event queue (flow version 2.3, FEATURES.EVENTS): what the adapter did to its own table, for the host to follow; reset 0
static constexpr uint32_t REG_FLOW_EVENT_DATA = 0x00E8u; // ro: the event queue's read window: each read gives the next word, so a fixed-address burst reads consecutive records. With no record waiting a read gives one word, 0. A record is this word (VALID set, TYPE, DETAIL, the key flags, the action byte, WORDS) and WORDS more: the ports (as RES_PORTS), then the source address (IPv4: one word, as RES_SRC3; IPv6: four, as RES_SRC0..3). The queue has one reader: two would split records
static constexpr uint32_t REG_FLOW_EVENT_PENDING = 0x00ECu; // ro: records waiting in the queue (the one being read included)
static constexpr uint32_t REG_FLOW_EVENT_DEPTH = 0x00F0u; // ro: records the queue holds (parameter)
static constexpr uint32_t REG_FLOW_EVENT_OVERFLOW = 0x00F4u; // ro: learned and aged records lost to a full queue while ENABLE (wraps; cleared by reset only): when it moves, the host's copy of the table is stale and it walks the table again
static constexpr uint32_t REG_FLOW_EVENT_SKIPPED = 0x00F8u; // ro: refusal records not written while REFUSALS: the queue was more than half full, a table record came in the same clock, or the request held no slot of the engine's request queue, so its key was not kept (every busy refusal); wraps

// listen: Listen table: (family, protocol, destination slot, destination port) -> action; TCP matches SYN without ACK only. An action may name a queue group: the frame goes to the queue in the group's slot [listen hash] (docs/semantics.md, shared ports)
static constexpr uint32_t BLK_LISTEN_BASE = 0x0300u;
static constexpr uint32_t BLK_LISTEN_SIZE = 0x0100u;
static constexpr uint32_t BLK_LISTEN_NEXT = 0x0400u;
static constexpr uint32_t BLK_LISTEN_TYPE = 0x53500004u;
static constexpr uint32_t BLK_LISTEN_VERSION = 0x00020100u;
static constexpr uint32_t REG_LISTEN_TYPE = 0x0000u; // ro: block type
static constexpr uint32_t REG_LISTEN_VERSION = 0x0004u; // ro: block version
static constexpr uint32_t REG_LISTEN_NEXT = 0x0008u; // ro: byte address of the next block
static constexpr uint32_t REG_LISTEN_ENTRIES = 0x000Cu; // ro: listen entries
static constexpr uint32_t REG_LISTEN_SLOT = 0x0010u; // rw: entry the next COMMAND acts on
static constexpr uint32_t REG_LISTEN_FLAGS = 0x0014u; // rw: staged: valid, family, protocol, destination address slot
static constexpr uint32_t REG_LISTEN_PORT = 0x0018u; // rw: staged: destination port
static constexpr uint32_t REG_LISTEN_ACTION = 0x001Cu; // rw: staged action: -1 drops, 0..127 a queue (a larger number is stored as queue 127), or queue group g: GROUP set, INDEX g, no other bit set (g < GROUPS; a larger g is stored as queue 127)
static constexpr uint32_t REG_LISTEN_COMMAND = 0x0020u; // wo: acts on SLOT; ignored when SLOT >= ENTRIES
static constexpr uint32_t REG_LISTEN_GROUPS = 0x0024u; // ro: queue groups (shared ports)
static constexpr uint32_t REG_LISTEN_GROUP = 0x0028u; // rw: group the next GROUP_COMMAND acts on
static constexpr uint32_t REG_LISTEN_GROUP_COMMAND = 0x002Cu; // wo: acts on GROUP with the staged GROUP_QUEUE[0..7] (all 8 slots at once); ignored when GROUP >= GROUPS
static constexpr uint32_t REG_LISTEN_GROUP_QUEUE = 0x0030u; // rw: staged group slot: a queue (0..127, a larger number reads back as 127) or -1 to drop
static constexpr uint32_t REG_LISTEN_GROUP_QUEUE_STRIDE = 0x0004u;
static constexpr uint32_t REG_LISTEN_GROUP_QUEUE_COUNT = 8;

// counters: 64-bit counters: read LO (offset) then HI (offset+4); reading LO latches HI
static constexpr uint32_t BLK_COUNTERS_BASE = 0x0400u;
static constexpr uint32_t BLK_COUNTERS_SIZE = 0x0300u;
static constexpr uint32_t BLK_COUNTERS_NEXT = 0x0700u;
static constexpr uint32_t BLK_COUNTERS_TYPE = 0x53500005u;
static constexpr uint32_t BLK_COUNTERS_VERSION = 0x00010000u;
static constexpr uint32_t REG_COUNTERS_TYPE = 0x0000u; // ro: block type
static constexpr uint32_t REG_COUNTERS_VERSION = 0x0004u; // ro: block version
static constexpr uint32_t REG_COUNTERS_NEXT = 0x0008u; // ro: byte address of the next block, 0 = last
static constexpr uint32_t REG_COUNTERS_RX_FRAMES = 0x0010u; // ro 64-bit: frames in
static constexpr uint32_t REG_COUNTERS_RX_BYTES = 0x0018u; // ro 64-bit: bytes in
static constexpr uint32_t REG_COUNTERS_FLOW_HITS = 0x0020u; // ro 64-bit: frames decided by a flow entry
static constexpr uint32_t REG_COUNTERS_LISTEN_HITS = 0x0028u; // ro 64-bit: frames decided by a listen entry
static constexpr uint32_t REG_COUNTERS_DEFAULT_HITS = 0x0030u; // ro 64-bit: frames decided by the default action
static constexpr uint32_t REG_COUNTERS_DROP = 0x0040u; // ro 64-bit: drops per reason
static constexpr uint32_t REG_COUNTERS_DROP_STRIDE = 0x0008u;
static constexpr uint32_t REG_COUNTERS_DROP_COUNT = 8;
static constexpr uint32_t REG_COUNTERS_Q_FRAMES = 0x0100u; // ro 64-bit: frames put into the queue
static constexpr uint32_t REG_COUNTERS_Q_FRAMES_STRIDE = 0x0020u;
static constexpr uint32_t REG_COUNTERS_Q_FRAMES_COUNT = 16;
static constexpr uint32_t REG_COUNTERS_Q_BYTES = 0x0108u; // ro 64-bit: bytes put into the queue
static constexpr uint32_t REG_COUNTERS_Q_BYTES_STRIDE = 0x0020u;
static constexpr uint32_t REG_COUNTERS_Q_BYTES_COUNT = 16;
static constexpr uint32_t REG_COUNTERS_Q_DROPS = 0x0110u; // ro 64-bit: frames tail-dropped at the queue
static constexpr uint32_t REG_COUNTERS_Q_DROPS_STRIDE = 0x0020u;
static constexpr uint32_t REG_COUNTERS_Q_DROPS_COUNT = 16;

// egress: Two-port NIC (sipnic_nic, the board): queue frames leave on port 1 with the destination MAC of their queue's processor; port 1 frames pass to port 0, optionally with the cluster's source MAC. Absent from a bare sipnic_core.
static constexpr uint32_t BLK_EGRESS_BASE = 0x0700u;
static constexpr uint32_t BLK_EGRESS_SIZE = 0x0100u;
static constexpr uint32_t BLK_EGRESS_NEXT = 0x0800u;
static constexpr uint32_t BLK_EGRESS_TYPE = 0x53500006u;
static constexpr uint32_t BLK_EGRESS_VERSION = 0x00010100u;
static constexpr uint32_t REG_EGRESS_TYPE = 0x0000u; // ro: block type
static constexpr uint32_t REG_EGRESS_VERSION = 0x0004u; // ro: block version
static constexpr uint32_t REG_EGRESS_NEXT = 0x0008u; // ro: byte address of the next block, 0 = last
static constexpr uint32_t REG_EGRESS_QUEUES = 0x000Cu; // ro: queues, each with a MAC entry
static constexpr uint32_t REG_EGRESS_CONTROL = 0x0010u; // rw: egress switches (reset 0)
static constexpr uint32_t REG_EGRESS_P0_RX_BAD = 0x0014u; // ro: port 0 (clients) frames dropped as bad: FCS error, rx error, longer than the MAC's limit, lost to a full receive FIFO, or larger than the NIC's receive buffer (wraps)
static constexpr uint32_t REG_EGRESS_P1_RX_BAD = 0x0018u; // ro: port 1 (cluster) frames dropped as bad, as P0_RX_BAD (wraps)
static constexpr uint32_t REG_EGRESS_P1_TX_FRAMES = 0x001Cu; // ro: queue frames sent to port 1 (wraps)
static constexpr uint32_t REG_EGRESS_P0_TX_FRAMES = 0x0020u; // ro: port 1 frames passed to port 0 (wraps)
static constexpr uint32_t REG_EGRESS_CLUSTER_MAC_HI = 0x0024u; // rw: the cluster's MAC, bytes 0..1: source MAC of port 1 frames passed to port 0 while CONTROL.REWRITE_SRC is set (reset 0)
static constexpr uint32_t REG_EGRESS_CLUSTER_MAC_LO = 0x0028u; // rw: the cluster's MAC, bytes 2..5 (reset 0)
static constexpr uint32_t REG_EGRESS_MAC_HI = 0x0040u; // rw: destination MAC of queue n, bytes 0..1
static constexpr uint32_t REG_EGRESS_MAC_HI_STRIDE = 0x0008u;
static constexpr uint32_t REG_EGRESS_MAC_HI_COUNT = 16;
static constexpr uint32_t REG_EGRESS_MAC_LO = 0x0044u; // rw: destination MAC of queue n, bytes 2..5
static constexpr uint32_t REG_EGRESS_MAC_LO_STRIDE = 0x0008u;
static constexpr uint32_t REG_EGRESS_MAC_LO_COUNT = 16;

// board: Two-port NIC (sipnic_nic, the board): the build's identity, the clocks, and a read-only MDIO master (IEEE 802.3 clause 22 read frames) on the PHYs' shared management bus. The PHYs are never written or reset. Absent from a bare sipnic_core.
static constexpr uint32_t BLK_BOARD_BASE = 0x0800u;
static constexpr uint32_t BLK_BOARD_SIZE = 0x0100u;
static constexpr uint32_t BLK_BOARD_NEXT = 0x0000u;
static constexpr uint32_t BLK_BOARD_TYPE = 0x53500007u;
static constexpr uint32_t BLK_BOARD_VERSION = 0x00010000u;
static constexpr uint32_t REG_BOARD_TYPE = 0x0000u; // ro: block type
static constexpr uint32_t REG_BOARD_VERSION = 0x0004u; // ro: block version
static constexpr uint32_t REG_BOARD_NEXT = 0x0008u; // ro: byte address of the next block, 0 = last
static constexpr uint32_t REG_BOARD_BUILD_ID = 0x000Cu; // ro: set by the board build: the build's time in seconds since 1970 UTC (0: not set, as in simulation)
static constexpr uint32_t REG_BOARD_GIT_HASH = 0x0010u; // ro: set by the board build: the first 8 hex digits of the source's git commit (0: not set)
static constexpr uint32_t REG_BOARD_BUILD_FLAGS = 0x0014u; // ro: set by the board build
static constexpr uint32_t REG_BOARD_CLK_HZ = 0x0018u; // ro: the NIC's clock in Hz
static constexpr uint32_t REG_BOARD_BAUD = 0x001Cu; // ro: the UART's nominal line rate
static constexpr uint32_t REG_BOARD_MDC_DIV = 0x0020u; // ro: clocks per MDC half period: MDC = CLK_HZ / (2 * MDC_DIV), at most 2.5 MHz
static constexpr uint32_t REG_BOARD_MDIO_COMMAND = 0x0024u; // wo: a write starts a clause 22 read of register REG of PHY PHY (32 preamble bits, 64 MDC periods in all); ignored while MDIO_STATUS.BUSY
static constexpr uint32_t REG_BOARD_MDIO_STATUS = 0x0028u; // ro: the last read

// drop reasons
static constexpr uint32_t DROP_RUNT = 0x1u; // frame shorter than 14 bytes
static constexpr uint32_t DROP_OVERSIZE = 0x2u; // frame longer than MAX_FRAME (9022) bytes
static constexpr uint32_t DROP_RULE = 0x3u; // the deciding rule's action is -1
static constexpr uint32_t DROP_QUEUE_FULL = 0x4u; // tail drop: the queue FIFO had no room for the whole frame
static constexpr uint32_t DROP_BAD_QUEUE = 0x5u; // the action names a queue the adapter does not have

// table command status
static constexpr uint32_t STATUS_OK = 0;
static constexpr uint32_t STATUS_EXISTS = 1;
static constexpr uint32_t STATUS_FULL = 2;
static constexpr uint32_t STATUS_NOT_FOUND = 3;

// bit fields: <name>_SHIFT (lowest bit), _WIDTH, _MASK (in place), and one constant per named value

// field set keyFlags (the same bits in every register that uses it)
static constexpr uint32_t FSET_KEY_FLAGS_FAMILY_SHIFT = 0; // bit 0: address family
static constexpr uint32_t FSET_KEY_FLAGS_FAMILY_WIDTH = 1;
static constexpr uint32_t FSET_KEY_FLAGS_FAMILY_MASK = 0x00000001u;
static constexpr uint32_t FSET_KEY_FLAGS_FAMILY_IPV4 = 0;
static constexpr uint32_t FSET_KEY_FLAGS_FAMILY_IPV6 = 1;
static constexpr uint32_t FSET_KEY_FLAGS_PROTO_SHIFT = 1; // bit 1: protocol
static constexpr uint32_t FSET_KEY_FLAGS_PROTO_WIDTH = 1;
static constexpr uint32_t FSET_KEY_FLAGS_PROTO_MASK = 0x00000002u;
static constexpr uint32_t FSET_KEY_FLAGS_PROTO_TCP = 0;
static constexpr uint32_t FSET_KEY_FLAGS_PROTO_UDP = 1;
static constexpr uint32_t FSET_KEY_FLAGS_ADDR_SLOT_SHIFT = 8; // bits 11:8: destination address: a slot of the addr block
static constexpr uint32_t FSET_KEY_FLAGS_ADDR_SLOT_WIDTH = 4;
static constexpr uint32_t FSET_KEY_FLAGS_ADDR_SLOT_MASK = 0x00000F00u;

// field set ports (the same bits in every register that uses it)
static constexpr uint32_t FSET_PORTS_SRC_PORT_SHIFT = 16; // bits 31:16: source port
static constexpr uint32_t FSET_PORTS_SRC_PORT_WIDTH = 16;
static constexpr uint32_t FSET_PORTS_SRC_PORT_MASK = 0xFFFF0000u;
static constexpr uint32_t FSET_PORTS_DST_PORT_SHIFT = 0; // bits 15:0: destination port
static constexpr uint32_t FSET_PORTS_DST_PORT_WIDTH = 16;
static constexpr uint32_t FSET_PORTS_DST_PORT_MASK = 0x0000FFFFu;

// field set tableCommand (the same bits in every register that uses it)
static constexpr uint32_t FSET_TABLE_COMMAND_OP_SHIFT = 0; // bits 31:0: write: the staged registers into the entry (in one clock); read: the entry into the staged registers. The whole word is the command: any other value does nothing
static constexpr uint32_t FSET_TABLE_COMMAND_OP_WIDTH = 32;
static constexpr uint32_t FSET_TABLE_COMMAND_OP_MASK = 0xFFFFFFFFu;
static constexpr uint32_t FSET_TABLE_COMMAND_OP_WRITE = 1;
static constexpr uint32_t FSET_TABLE_COMMAND_OP_READ = 2;

// core.CONTROL
static constexpr uint32_t FLD_CORE_CONTROL_CLEAR_COUNTERS_SHIFT = 0; // bit 0: 1: clear every counter (0 does nothing)
static constexpr uint32_t FLD_CORE_CONTROL_CLEAR_COUNTERS_WIDTH = 1;
static constexpr uint32_t FLD_CORE_CONTROL_CLEAR_COUNTERS_MASK = 0x00000001u;

// addr.COMMAND
static constexpr uint32_t FLD_ADDR_COMMAND_OP_SHIFT = 0; // bits 31:0: write: the staged registers into the entry (in one clock); read: the entry into the staged registers. The whole word is the command: any other value does nothing
static constexpr uint32_t FLD_ADDR_COMMAND_OP_WIDTH = 32;
static constexpr uint32_t FLD_ADDR_COMMAND_OP_MASK = 0xFFFFFFFFu;
static constexpr uint32_t FLD_ADDR_COMMAND_OP_WRITE = 1;
static constexpr uint32_t FLD_ADDR_COMMAND_OP_READ = 2;

// flow.KEY_FLAGS
static constexpr uint32_t FLD_FLOW_KEY_FLAGS_FAMILY_SHIFT = 0; // bit 0: address family
static constexpr uint32_t FLD_FLOW_KEY_FLAGS_FAMILY_WIDTH = 1;
static constexpr uint32_t FLD_FLOW_KEY_FLAGS_FAMILY_MASK = 0x00000001u;
static constexpr uint32_t FLD_FLOW_KEY_FLAGS_FAMILY_IPV4 = 0;
static constexpr uint32_t FLD_FLOW_KEY_FLAGS_FAMILY_IPV6 = 1;
static constexpr uint32_t FLD_FLOW_KEY_FLAGS_PROTO_SHIFT = 1; // bit 1: protocol
static constexpr uint32_t FLD_FLOW_KEY_FLAGS_PROTO_WIDTH = 1;
static constexpr uint32_t FLD_FLOW_KEY_FLAGS_PROTO_MASK = 0x00000002u;
static constexpr uint32_t FLD_FLOW_KEY_FLAGS_PROTO_TCP = 0;
static constexpr uint32_t FLD_FLOW_KEY_FLAGS_PROTO_UDP = 1;
static constexpr uint32_t FLD_FLOW_KEY_FLAGS_ADDR_SLOT_SHIFT = 8; // bits 11:8: destination address: a slot of the addr block
static constexpr uint32_t FLD_FLOW_KEY_FLAGS_ADDR_SLOT_WIDTH = 4;
static constexpr uint32_t FLD_FLOW_KEY_FLAGS_ADDR_SLOT_MASK = 0x00000F00u;

// flow.KEY_PORTS
static constexpr uint32_t FLD_FLOW_KEY_PORTS_SRC_PORT_SHIFT = 16; // bits 31:16: source port
static constexpr uint32_t FLD_FLOW_KEY_PORTS_SRC_PORT_WIDTH = 16;
static constexpr uint32_t FLD_FLOW_KEY_PORTS_SRC_PORT_MASK = 0xFFFF0000u;
static constexpr uint32_t FLD_FLOW_KEY_PORTS_DST_PORT_SHIFT = 0; // bits 15:0: destination port
static constexpr uint32_t FLD_FLOW_KEY_PORTS_DST_PORT_WIDTH = 16;
static constexpr uint32_t FLD_FLOW_KEY_PORTS_DST_PORT_MASK = 0x0000FFFFu;

// flow.COMMAND
static constexpr uint32_t FLD_FLOW_COMMAND_OP_SHIFT = 0; // bits 31:0: insert KEY with ACTION; delete KEY; lookup KEY; read_slot SLOT; clear every entry. The whole word is the command: any other value does nothing
static constexpr uint32_t FLD_FLOW_COMMAND_OP_WIDTH = 32;
static constexpr uint32_t FLD_FLOW_COMMAND_OP_MASK = 0xFFFFFFFFu;
static constexpr uint32_t FLD_FLOW_COMMAND_OP_INSERT = 1;
static constexpr uint32_t FLD_FLOW_COMMAND_OP_DELETE = 2;
static constexpr uint32_t FLD_FLOW_COMMAND_OP_LOOKUP = 3;
static constexpr uint32_t FLD_FLOW_COMMAND_OP_READ_SLOT = 4;
static constexpr uint32_t FLD_FLOW_COMMAND_OP_CLEAR = 5;

// flow.STATUS
static constexpr uint32_t FLD_FLOW_STATUS_BUSY_SHIFT = 0; // bit 0: a command is running
static constexpr uint32_t FLD_FLOW_STATUS_BUSY_WIDTH = 1;
static constexpr uint32_t FLD_FLOW_STATUS_BUSY_MASK = 0x00000001u;
static constexpr uint32_t FLD_FLOW_STATUS_RESULT_SHIFT = 4; // bits 7:4: result of the last command
static constexpr uint32_t FLD_FLOW_STATUS_RESULT_WIDTH = 4;
static constexpr uint32_t FLD_FLOW_STATUS_RESULT_MASK = 0x000000F0u;
static constexpr uint32_t FLD_FLOW_STATUS_RESULT_OK = 0;
static constexpr uint32_t FLD_FLOW_STATUS_RESULT_EXISTS = 1;
static constexpr uint32_t FLD_FLOW_STATUS_RESULT_FULL = 2;
static constexpr uint32_t FLD_FLOW_STATUS_RESULT_NOT_FOUND = 3;
static constexpr uint32_t FLD_FLOW_STATUS_COMPLETED_SHIFT = 16; // bits 31:16: commands completed (wraps)
static constexpr uint32_t FLD_FLOW_STATUS_COMPLETED_WIDTH = 16;
static constexpr uint32_t FLD_FLOW_STATUS_COMPLETED_MASK = 0xFFFF0000u;

// flow.RES_FLAGS
static constexpr uint32_t FLD_FLOW_RES_FLAGS_VALID_SHIFT = 31; // bit 31: the last command found, inserted or read an entry
static constexpr uint32_t FLD_FLOW_RES_FLAGS_VALID_WIDTH = 1;
static constexpr uint32_t FLD_FLOW_RES_FLAGS_VALID_MASK = 0x80000000u;
static constexpr uint32_t FLD_FLOW_RES_FLAGS_FAMILY_SHIFT = 0; // bit 0: address family
static constexpr uint32_t FLD_FLOW_RES_FLAGS_FAMILY_WIDTH = 1;
static constexpr uint32_t FLD_FLOW_RES_FLAGS_FAMILY_MASK = 0x00000001u;
static constexpr uint32_t FLD_FLOW_RES_FLAGS_FAMILY_IPV4 = 0;
static constexpr uint32_t FLD_FLOW_RES_FLAGS_FAMILY_IPV6 = 1;
static constexpr uint32_t FLD_FLOW_RES_FLAGS_PROTO_SHIFT = 1; // bit 1: protocol
static constexpr uint32_t FLD_FLOW_RES_FLAGS_PROTO_WIDTH = 1;
static constexpr uint32_t FLD_FLOW_RES_FLAGS_PROTO_MASK = 0x00000002u;
static constexpr uint32_t FLD_FLOW_RES_FLAGS_PROTO_TCP = 0;
static constexpr uint32_t FLD_FLOW_RES_FLAGS_PROTO_UDP = 1;
static constexpr uint32_t FLD_FLOW_RES_FLAGS_ADDR_SLOT_SHIFT = 8; // bits 11:8: destination address: a slot of the addr block
static constexpr uint32_t FLD_FLOW_RES_FLAGS_ADDR_SLOT_WIDTH = 4;
static constexpr uint32_t FLD_FLOW_RES_FLAGS_ADDR_SLOT_MASK = 0x00000F00u;

// flow.RES_PORTS
static constexpr uint32_t FLD_FLOW_RES_PORTS_SRC_PORT_SHIFT = 16; // bits 31:16: source port
static constexpr uint32_t FLD_FLOW_RES_PORTS_SRC_PORT_WIDTH = 16;
static constexpr uint32_t FLD_FLOW_RES_PORTS_SRC_PORT_MASK = 0xFFFF0000u;
static constexpr uint32_t FLD_FLOW_RES_PORTS_DST_PORT_SHIFT = 0; // bits 15:0: destination port
static constexpr uint32_t FLD_FLOW_RES_PORTS_DST_PORT_WIDTH = 16;
static constexpr uint32_t FLD_FLOW_RES_PORTS_DST_PORT_MASK = 0x0000FFFFu;

// flow.WALK_DATA
static constexpr uint32_t FLD_FLOW_WALK_DATA_VALID_SHIFT = 31; // bit 31: the slot holds an entry: 7 more words follow
static constexpr uint32_t FLD_FLOW_WALK_DATA_VALID_WIDTH = 1;
static constexpr uint32_t FLD_FLOW_WALK_DATA_VALID_MASK = 0x80000000u;
static constexpr uint32_t FLD_FLOW_WALK_DATA_FAMILY_SHIFT = 0; // bit 0: address family
static constexpr uint32_t FLD_FLOW_WALK_DATA_FAMILY_WIDTH = 1;
static constexpr uint32_t FLD_FLOW_WALK_DATA_FAMILY_MASK = 0x00000001u;
static constexpr uint32_t FLD_FLOW_WALK_DATA_FAMILY_IPV4 = 0;
static constexpr uint32_t FLD_FLOW_WALK_DATA_FAMILY_IPV6 = 1;
static constexpr uint32_t FLD_FLOW_WALK_DATA_PROTO_SHIFT = 1; // bit 1: protocol
static constexpr uint32_t FLD_FLOW_WALK_DATA_PROTO_WIDTH = 1;
static constexpr uint32_t FLD_FLOW_WALK_DATA_PROTO_MASK = 0x00000002u;
static constexpr uint32_t FLD_FLOW_WALK_DATA_PROTO_TCP = 0;
static constexpr uint32_t FLD_FLOW_WALK_DATA_PROTO_UDP = 1;
static constexpr uint32_t FLD_FLOW_WALK_DATA_ADDR_SLOT_SHIFT = 8; // bits 11:8: destination address: a slot of the addr block
static constexpr uint32_t FLD_FLOW_WALK_DATA_ADDR_SLOT_WIDTH = 4;
static constexpr uint32_t FLD_FLOW_WALK_DATA_ADDR_SLOT_MASK = 0x00000F00u;
static constexpr uint32_t FLD_FLOW_WALK_DATA_ACTION_SHIFT = 16; // bits 23:16: the entry's action byte (encoding ACTION)
static constexpr uint32_t FLD_FLOW_WALK_DATA_ACTION_WIDTH = 8;
static constexpr uint32_t FLD_FLOW_WALK_DATA_ACTION_MASK = 0x00FF0000u;

// flow.RES_META
static constexpr uint32_t FLD_FLOW_RES_META_ORIGIN_SHIFT = 31; // bit 31: who made the entry
static constexpr uint32_t FLD_FLOW_RES_META_ORIGIN_WIDTH = 1;
static constexpr uint32_t FLD_FLOW_RES_META_ORIGIN_MASK = 0x80000000u;
static constexpr uint32_t FLD_FLOW_RES_META_ORIGIN_HOST = 0;
static constexpr uint32_t FLD_FLOW_RES_META_ORIGIN_LEARNED = 1;
static constexpr uint32_t FLD_FLOW_RES_META_STATE_SHIFT = 28; // bits 29:28: connection state (host entries read established)
static constexpr uint32_t FLD_FLOW_RES_META_STATE_WIDTH = 2;
static constexpr uint32_t FLD_FLOW_RES_META_STATE_MASK = 0x30000000u;
static constexpr uint32_t FLD_FLOW_RES_META_STATE_EMBRYONIC = 0;
static constexpr uint32_t FLD_FLOW_RES_META_STATE_ESTABLISHED = 1;
static constexpr uint32_t FLD_FLOW_RES_META_STATE_CLOSING = 2;
static constexpr uint32_t FLD_FLOW_RES_META_CLASS_SHIFT = 24; // bits 25:24: aging class of a host entry (0 never aged); learned entries 0
static constexpr uint32_t FLD_FLOW_RES_META_CLASS_WIDTH = 2;
static constexpr uint32_t FLD_FLOW_RES_META_CLASS_MASK = 0x03000000u;
static constexpr uint32_t FLD_FLOW_RES_META_IDLE_MS_SHIFT = 0; // bits 22:0: (NOW_MS - the entry's last-hit stamp) mod 2^23
static constexpr uint32_t FLD_FLOW_RES_META_IDLE_MS_WIDTH = 23;
static constexpr uint32_t FLD_FLOW_RES_META_IDLE_MS_MASK = 0x007FFFFFu;

// flow.FEATURES
static constexpr uint32_t FLD_FLOW_FEATURES_LEARNING_SHIFT = 0; // bit 0: the learning engine and aging are built in (parameter LEARNING)
static constexpr uint32_t FLD_FLOW_FEATURES_LEARNING_WIDTH = 1;
static constexpr uint32_t FLD_FLOW_FEATURES_LEARNING_MASK = 0x00000001u;
static constexpr uint32_t FLD_FLOW_FEATURES_IPV4_ONLY_SHIFT = 1; // bit 1: built without IPv6 (parameter IPV6 = 0; flow version 2.2): IPv6 frames are not steerable and go by the default action, the transmit side never learns from them, flow keys hold a 32-bit source address (an IPv6 key's source is cut to its low 32 bits)
static constexpr uint32_t FLD_FLOW_FEATURES_IPV4_ONLY_WIDTH = 1;
static constexpr uint32_t FLD_FLOW_FEATURES_IPV4_ONLY_MASK = 0x00000002u;
static constexpr uint32_t FLD_FLOW_FEATURES_EVENTS_SHIFT = 2; // bit 2: the event queue (EVENT_* registers, flow version 2.3) is built in: set with LEARNING
static constexpr uint32_t FLD_FLOW_FEATURES_EVENTS_WIDTH = 1;
static constexpr uint32_t FLD_FLOW_FEATURES_EVENTS_MASK = 0x00000004u;

// flow.LEARN_CONTROL
static constexpr uint32_t FLD_FLOW_LEARN_CONTROL_TRANSMIT_SHIFT = 0; // bit 0: transmit-side learning (docs/semantics.md rule 9): a connection request a processor transmits from a cluster address (an address slot) learns the reverse entry to that processor's queue; set with a learning line
static constexpr uint32_t FLD_FLOW_LEARN_CONTROL_TRANSMIT_WIDTH = 1;
static constexpr uint32_t FLD_FLOW_LEARN_CONTROL_TRANSMIT_MASK = 0x00000001u;

// flow.EVENT_CONTROL
static constexpr uint32_t FLD_FLOW_EVENT_CONTROL_ENABLE_SHIFT = 0; // bit 0: write records; clearing it empties the queue (records, cut record and all) and stops the overflow count
static constexpr uint32_t FLD_FLOW_EVENT_CONTROL_ENABLE_WIDTH = 1;
static constexpr uint32_t FLD_FLOW_EVENT_CONTROL_ENABLE_MASK = 0x00000001u;
static constexpr uint32_t FLD_FLOW_EVENT_CONTROL_REFUSALS_SHIFT = 1; // bit 1: also write a record for each learning request refused at the quota or a full table, while the queue is at most half full (else EVENT_SKIPPED counts it); refusals do not change the table, so skipping one never needs a resync
static constexpr uint32_t FLD_FLOW_EVENT_CONTROL_REFUSALS_WIDTH = 1;
static constexpr uint32_t FLD_FLOW_EVENT_CONTROL_REFUSALS_MASK = 0x00000002u;

// flow.EVENT_DATA
static constexpr uint32_t FLD_FLOW_EVENT_DATA_VALID_SHIFT = 31; // bit 31: a record starts here
static constexpr uint32_t FLD_FLOW_EVENT_DATA_VALID_WIDTH = 1;
static constexpr uint32_t FLD_FLOW_EVENT_DATA_VALID_MASK = 0x80000000u;
static constexpr uint32_t FLD_FLOW_EVENT_DATA_TYPE_SHIFT = 28; // bits 29:28: what happened
static constexpr uint32_t FLD_FLOW_EVENT_DATA_TYPE_WIDTH = 2;
static constexpr uint32_t FLD_FLOW_EVENT_DATA_TYPE_MASK = 0x30000000u;
static constexpr uint32_t FLD_FLOW_EVENT_DATA_TYPE_LEARNED = 1;
static constexpr uint32_t FLD_FLOW_EVENT_DATA_TYPE_AGED = 2;
static constexpr uint32_t FLD_FLOW_EVENT_DATA_TYPE_REFUSED = 3;
static constexpr uint32_t FLD_FLOW_EVENT_DATA_DETAIL_SHIFT = 24; // bits 25:24: aged: the entry's state (0 embryonic, 1 established, 2 closing, 3 a host entry); refused: 1 quota, 2 full; learned: 0
static constexpr uint32_t FLD_FLOW_EVENT_DATA_DETAIL_WIDTH = 2;
static constexpr uint32_t FLD_FLOW_EVENT_DATA_DETAIL_MASK = 0x03000000u;
static constexpr uint32_t FLD_FLOW_EVENT_DATA_ACTION_SHIFT = 16; // bits 23:16: the entry's action byte (encoding ACTION): the queue learned, aged or refused
static constexpr uint32_t FLD_FLOW_EVENT_DATA_ACTION_WIDTH = 8;
static constexpr uint32_t FLD_FLOW_EVENT_DATA_ACTION_MASK = 0x00FF0000u;
static constexpr uint32_t FLD_FLOW_EVENT_DATA_WORDS_SHIFT = 12; // bits 15:12: words that follow in this record: 2 (IPv4) or 5 (IPv6)
static constexpr uint32_t FLD_FLOW_EVENT_DATA_WORDS_WIDTH = 4;
static constexpr uint32_t FLD_FLOW_EVENT_DATA_WORDS_MASK = 0x0000F000u;
static constexpr uint32_t FLD_FLOW_EVENT_DATA_FAMILY_SHIFT = 0; // bit 0: address family
static constexpr uint32_t FLD_FLOW_EVENT_DATA_FAMILY_WIDTH = 1;
static constexpr uint32_t FLD_FLOW_EVENT_DATA_FAMILY_MASK = 0x00000001u;
static constexpr uint32_t FLD_FLOW_EVENT_DATA_FAMILY_IPV4 = 0;
static constexpr uint32_t FLD_FLOW_EVENT_DATA_FAMILY_IPV6 = 1;
static constexpr uint32_t FLD_FLOW_EVENT_DATA_PROTO_SHIFT = 1; // bit 1: protocol
static constexpr uint32_t FLD_FLOW_EVENT_DATA_PROTO_WIDTH = 1;
static constexpr uint32_t FLD_FLOW_EVENT_DATA_PROTO_MASK = 0x00000002u;
static constexpr uint32_t FLD_FLOW_EVENT_DATA_PROTO_TCP = 0;
static constexpr uint32_t FLD_FLOW_EVENT_DATA_PROTO_UDP = 1;
static constexpr uint32_t FLD_FLOW_EVENT_DATA_ADDR_SLOT_SHIFT = 8; // bits 11:8: destination address: a slot of the addr block
static constexpr uint32_t FLD_FLOW_EVENT_DATA_ADDR_SLOT_WIDTH = 4;
static constexpr uint32_t FLD_FLOW_EVENT_DATA_ADDR_SLOT_MASK = 0x00000F00u;

// listen.FLAGS
static constexpr uint32_t FLD_LISTEN_FLAGS_VALID_SHIFT = 31; // bit 31: the entry is live (0: the entry matches nothing and reads back as all zero)
static constexpr uint32_t FLD_LISTEN_FLAGS_VALID_WIDTH = 1;
static constexpr uint32_t FLD_LISTEN_FLAGS_VALID_MASK = 0x80000000u;
static constexpr uint32_t FLD_LISTEN_FLAGS_LEARN_SHIFT = 30; // bit 30: TCP connection requests this entry steers to a queue learn their exact entry (with LEARNING; reads 0 without)
static constexpr uint32_t FLD_LISTEN_FLAGS_LEARN_WIDTH = 1;
static constexpr uint32_t FLD_LISTEN_FLAGS_LEARN_MASK = 0x40000000u;
static constexpr uint32_t FLD_LISTEN_FLAGS_FAMILY_SHIFT = 0; // bit 0: address family
static constexpr uint32_t FLD_LISTEN_FLAGS_FAMILY_WIDTH = 1;
static constexpr uint32_t FLD_LISTEN_FLAGS_FAMILY_MASK = 0x00000001u;
static constexpr uint32_t FLD_LISTEN_FLAGS_FAMILY_IPV4 = 0;
static constexpr uint32_t FLD_LISTEN_FLAGS_FAMILY_IPV6 = 1;
static constexpr uint32_t FLD_LISTEN_FLAGS_PROTO_SHIFT = 1; // bit 1: protocol
static constexpr uint32_t FLD_LISTEN_FLAGS_PROTO_WIDTH = 1;
static constexpr uint32_t FLD_LISTEN_FLAGS_PROTO_MASK = 0x00000002u;
static constexpr uint32_t FLD_LISTEN_FLAGS_PROTO_TCP = 0;
static constexpr uint32_t FLD_LISTEN_FLAGS_PROTO_UDP = 1;
static constexpr uint32_t FLD_LISTEN_FLAGS_ADDR_SLOT_SHIFT = 8; // bits 11:8: destination address: a slot of the addr block
static constexpr uint32_t FLD_LISTEN_FLAGS_ADDR_SLOT_WIDTH = 4;
static constexpr uint32_t FLD_LISTEN_FLAGS_ADDR_SLOT_MASK = 0x00000F00u;

// listen.PORT
static constexpr uint32_t FLD_LISTEN_PORT_DST_PORT_SHIFT = 0; // bits 15:0: destination port
static constexpr uint32_t FLD_LISTEN_PORT_DST_PORT_WIDTH = 16;
static constexpr uint32_t FLD_LISTEN_PORT_DST_PORT_MASK = 0x0000FFFFu;

// listen.ACTION
static constexpr uint32_t FLD_LISTEN_ACTION_INDEX_SHIFT = 0; // bits 7:0: the queue, or with GROUP the group
static constexpr uint32_t FLD_LISTEN_ACTION_INDEX_WIDTH = 8;
static constexpr uint32_t FLD_LISTEN_ACTION_INDEX_MASK = 0x000000FFu;
static constexpr uint32_t FLD_LISTEN_ACTION_GROUP_SHIFT = 8; // bit 8: INDEX names a queue group (only with bits 31:9 clear)
static constexpr uint32_t FLD_LISTEN_ACTION_GROUP_WIDTH = 1;
static constexpr uint32_t FLD_LISTEN_ACTION_GROUP_MASK = 0x00000100u;

// listen.COMMAND
static constexpr uint32_t FLD_LISTEN_COMMAND_OP_SHIFT = 0; // bits 31:0: write: the staged registers into the entry (in one clock); read: the entry into the staged registers. The whole word is the command: any other value does nothing
static constexpr uint32_t FLD_LISTEN_COMMAND_OP_WIDTH = 32;
static constexpr uint32_t FLD_LISTEN_COMMAND_OP_MASK = 0xFFFFFFFFu;
static constexpr uint32_t FLD_LISTEN_COMMAND_OP_WRITE = 1;
static constexpr uint32_t FLD_LISTEN_COMMAND_OP_READ = 2;

// listen.GROUP_COMMAND
static constexpr uint32_t FLD_LISTEN_GROUP_COMMAND_OP_SHIFT = 0; // bits 31:0: write: the staged registers into the entry (in one clock); read: the entry into the staged registers. The whole word is the command: any other value does nothing
static constexpr uint32_t FLD_LISTEN_GROUP_COMMAND_OP_WIDTH = 32;
static constexpr uint32_t FLD_LISTEN_GROUP_COMMAND_OP_MASK = 0xFFFFFFFFu;
static constexpr uint32_t FLD_LISTEN_GROUP_COMMAND_OP_WRITE = 1;
static constexpr uint32_t FLD_LISTEN_GROUP_COMMAND_OP_READ = 2;

// egress.CONTROL
static constexpr uint32_t FLD_EGRESS_CONTROL_REWRITE_MAC_SHIFT = 0; // bit 0: replace the destination MAC of queue n's frames with MAC_HI/MAC_LO[n] on port 1 (0: frames leave unchanged)
static constexpr uint32_t FLD_EGRESS_CONTROL_REWRITE_MAC_WIDTH = 1;
static constexpr uint32_t FLD_EGRESS_CONTROL_REWRITE_MAC_MASK = 0x00000001u;
static constexpr uint32_t FLD_EGRESS_CONTROL_REWRITE_SRC_SHIFT = 1; // bit 1: replace the source MAC of port 1 frames passed to port 0 with CLUSTER_MAC_HI/CLUSTER_MAC_LO, and in untagged ARP frames (EtherType 0x0806 at bytes 12..13) also the sender hardware address (bytes 22..27), so the clients see one MAC for the cluster (0: frames pass unchanged)
static constexpr uint32_t FLD_EGRESS_CONTROL_REWRITE_SRC_WIDTH = 1;
static constexpr uint32_t FLD_EGRESS_CONTROL_REWRITE_SRC_MASK = 0x00000002u;

// egress.CLUSTER_MAC_HI
static constexpr uint32_t FLD_EGRESS_CLUSTER_MAC_HI_ADDR_SHIFT = 0; // bits 15:0: MAC bytes 0..1, byte 0 (first on the wire) in bits 15:8
static constexpr uint32_t FLD_EGRESS_CLUSTER_MAC_HI_ADDR_WIDTH = 16;
static constexpr uint32_t FLD_EGRESS_CLUSTER_MAC_HI_ADDR_MASK = 0x0000FFFFu;

// egress.CLUSTER_MAC_LO
static constexpr uint32_t FLD_EGRESS_CLUSTER_MAC_LO_ADDR_SHIFT = 0; // bits 31:0: MAC bytes 2..5, byte 2 in bits 31:24
static constexpr uint32_t FLD_EGRESS_CLUSTER_MAC_LO_ADDR_WIDTH = 32;
static constexpr uint32_t FLD_EGRESS_CLUSTER_MAC_LO_ADDR_MASK = 0xFFFFFFFFu;

// egress.MAC_HI
static constexpr uint32_t FLD_EGRESS_MAC_HI_ADDR_SHIFT = 0; // bits 15:0: MAC bytes 0..1, byte 0 (first on the wire) in bits 15:8
static constexpr uint32_t FLD_EGRESS_MAC_HI_ADDR_WIDTH = 16;
static constexpr uint32_t FLD_EGRESS_MAC_HI_ADDR_MASK = 0x0000FFFFu;

// egress.MAC_LO
static constexpr uint32_t FLD_EGRESS_MAC_LO_ADDR_SHIFT = 0; // bits 31:0: MAC bytes 2..5, byte 2 in bits 31:24
static constexpr uint32_t FLD_EGRESS_MAC_LO_ADDR_WIDTH = 32;
static constexpr uint32_t FLD_EGRESS_MAC_LO_ADDR_MASK = 0xFFFFFFFFu;

// board.BUILD_FLAGS
static constexpr uint32_t FLD_BOARD_BUILD_FLAGS_GIT_DIRTY_SHIFT = 0; // bit 0: the source had changes not committed to GIT_HASH
static constexpr uint32_t FLD_BOARD_BUILD_FLAGS_GIT_DIRTY_WIDTH = 1;
static constexpr uint32_t FLD_BOARD_BUILD_FLAGS_GIT_DIRTY_MASK = 0x00000001u;

// board.MDIO_COMMAND
static constexpr uint32_t FLD_BOARD_MDIO_COMMAND_REG_SHIFT = 0; // bits 4:0: PHY register address
static constexpr uint32_t FLD_BOARD_MDIO_COMMAND_REG_WIDTH = 5;
static constexpr uint32_t FLD_BOARD_MDIO_COMMAND_REG_MASK = 0x0000001Fu;
static constexpr uint32_t FLD_BOARD_MDIO_COMMAND_PHY_SHIFT = 8; // bits 12:8: PHY address
static constexpr uint32_t FLD_BOARD_MDIO_COMMAND_PHY_WIDTH = 5;
static constexpr uint32_t FLD_BOARD_MDIO_COMMAND_PHY_MASK = 0x00001F00u;

// board.MDIO_STATUS
static constexpr uint32_t FLD_BOARD_MDIO_STATUS_DATA_SHIFT = 0; // bits 15:0: the register's value (all ones when nothing answered)
static constexpr uint32_t FLD_BOARD_MDIO_STATUS_DATA_WIDTH = 16;
static constexpr uint32_t FLD_BOARD_MDIO_STATUS_DATA_MASK = 0x0000FFFFu;
static constexpr uint32_t FLD_BOARD_MDIO_STATUS_BUSY_SHIFT = 16; // bit 16: a read is running
static constexpr uint32_t FLD_BOARD_MDIO_STATUS_BUSY_WIDTH = 1;
static constexpr uint32_t FLD_BOARD_MDIO_STATUS_BUSY_MASK = 0x00010000u;
static constexpr uint32_t FLD_BOARD_MDIO_STATUS_NO_ANSWER_SHIFT = 17; // bit 17: no PHY drove the turnaround's second bit low: nothing at that address (the bus's pull-up held MDIO high)
static constexpr uint32_t FLD_BOARD_MDIO_STATUS_NO_ANSWER_WIDTH = 1;
static constexpr uint32_t FLD_BOARD_MDIO_STATUS_NO_ANSWER_MASK = 0x00020000u;
static constexpr uint32_t FLD_BOARD_MDIO_STATUS_COMPLETED_SHIFT = 24; // bits 31:24: reads completed (wraps)
static constexpr uint32_t FLD_BOARD_MDIO_STATUS_COMPLETED_WIDTH = 8;
static constexpr uint32_t FLD_BOARD_MDIO_STATUS_COMPLETED_MASK = 0xFF000000u;

// encoding ACTION
static constexpr uint32_t ENC_ACTION_DROP_SHIFT = 7; // bit 7: drop the frame
static constexpr uint32_t ENC_ACTION_DROP_WIDTH = 1;
static constexpr uint32_t ENC_ACTION_DROP_MASK = 0x80u;
static constexpr uint32_t ENC_ACTION_QUEUE_SHIFT = 0; // bits 6:0: queue (a queue the adapter does not have drops the frame as bad_queue)
static constexpr uint32_t ENC_ACTION_QUEUE_WIDTH = 7;
static constexpr uint32_t ENC_ACTION_QUEUE_MASK = 0x7Fu;

// encoding GROUP_ACTION
static constexpr uint32_t ENC_GROUP_ACTION_TAG_SHIFT = 6; // bits 7:6: the value group marks a group action; any other value: the byte is an ACTION
static constexpr uint32_t ENC_GROUP_ACTION_TAG_WIDTH = 2;
static constexpr uint32_t ENC_GROUP_ACTION_TAG_MASK = 0xC0u;
static constexpr uint32_t ENC_GROUP_ACTION_TAG_GROUP = 2;
static constexpr uint32_t ENC_GROUP_ACTION_GROUP_SHIFT = 0; // bits 5:0: queue group (a group the adapter does not have steers to queue 127)
static constexpr uint32_t ENC_GROUP_ACTION_GROUP_WIDTH = 6;
static constexpr uint32_t ENC_GROUP_ACTION_GROUP_MASK = 0x3Fu;

#endif
