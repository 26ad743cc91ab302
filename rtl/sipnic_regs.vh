// generated from rtl/regs.json by scripts/gen-regs.mjs — do not edit
// Include inside a module: localparams only.

// core: Adapter identity, parameters, default action
localparam [15:0] BLK_CORE_BASE    = 16'h0000;
localparam [15:0] BLK_CORE_SIZE    = 16'h0100;
localparam [15:0] BLK_CORE_NEXT    = 16'h0100;
localparam [31:0] BLK_CORE_TYPE    = 32'h53500001;
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
localparam [15:0] REG_CORE_CONTROL = 16'h0024; // wo: bit 0: clear every counter
localparam [15:0] REG_CORE_FRAME_ID = 16'h0028; // ro: id the next ingress frame will get

// addr: Cluster addresses: flow and listen entries name a destination by slot index here
localparam [15:0] BLK_ADDR_BASE    = 16'h0100;
localparam [15:0] BLK_ADDR_SIZE    = 16'h0100;
localparam [15:0] BLK_ADDR_NEXT    = 16'h0200;
localparam [31:0] BLK_ADDR_TYPE    = 32'h53500002;
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
localparam [15:0] REG_ADDR_COMMAND = 16'h0028; // wo: 1: write staged into SLOT (in one clock); 2: read SLOT into staged

// flow: Exact-match flow table (multi-way cuckoo hash with a stash)
localparam [15:0] BLK_FLOW_BASE    = 16'h0200;
localparam [15:0] BLK_FLOW_SIZE    = 16'h0100;
localparam [15:0] BLK_FLOW_NEXT    = 16'h0300;
localparam [31:0] BLK_FLOW_TYPE    = 32'h53500003;
localparam [31:0] BLK_FLOW_VERSION = 32'h00010000;
localparam [15:0] REG_FLOW_TYPE = 16'h0000; // ro: block type
localparam [15:0] REG_FLOW_VERSION = 16'h0004; // ro: block version
localparam [15:0] REG_FLOW_NEXT = 16'h0008; // ro: byte address of the next block
localparam [15:0] REG_FLOW_ENTRIES = 16'h000C; // ro: entries in the hashed table (without stash)
localparam [15:0] REG_FLOW_WAYS = 16'h0010; // ro: hash ways
localparam [15:0] REG_FLOW_STASH = 16'h0014; // ro: stash entries; stash slots follow the table's slots
localparam [15:0] REG_FLOW_COUNT = 16'h0018; // ro: live entries, stash included
localparam [15:0] REG_FLOW_STASH_USED = 16'h001C; // ro: live stash entries
localparam [15:0] REG_FLOW_KEY_FLAGS = 16'h0020; // rw: bit 0 family (0 IPv4, 1 IPv6); bit 1 protocol (0 TCP, 1 UDP); bits 11:8 destination address slot
localparam [15:0] REG_FLOW_KEY_PORTS = 16'h0024; // rw: bits 31:16 source port, 15:0 destination port
localparam [15:0] REG_FLOW_KEY_SRC0 = 16'h0028; // rw: source address bits 127:96
localparam [15:0] REG_FLOW_KEY_SRC1 = 16'h002C; // rw: source address bits 95:64
localparam [15:0] REG_FLOW_KEY_SRC2 = 16'h0030; // rw: source address bits 63:32
localparam [15:0] REG_FLOW_KEY_SRC3 = 16'h0034; // rw: source address bits 31:0
localparam [15:0] REG_FLOW_ACTION = 16'h0038; // rw: action for INSERT
localparam [15:0] REG_FLOW_SLOT = 16'h003C; // rw: slot for READ_SLOT
localparam [15:0] REG_FLOW_COMMAND = 16'h0040; // wo: 1 insert, 2 delete, 3 lookup, 4 read slot, 5 clear all; ignored while busy
localparam [15:0] REG_FLOW_STATUS = 16'h0044; // ro: bit 0 busy; bits 7:4 result of the last command (0 ok, 1 exists, 2 full, 3 not found); bits 31:16 count of completed commands
localparam [15:0] REG_FLOW_RES_FLAGS = 16'h0048; // ro: bit 31 valid; low bits as KEY_FLAGS
localparam [15:0] REG_FLOW_RES_PORTS = 16'h004C; // ro: as KEY_PORTS
localparam [15:0] REG_FLOW_RES_SRC0 = 16'h0050; // ro: as KEY_SRC0
localparam [15:0] REG_FLOW_RES_SRC1 = 16'h0054; // ro: as KEY_SRC1
localparam [15:0] REG_FLOW_RES_SRC2 = 16'h0058; // ro: as KEY_SRC2
localparam [15:0] REG_FLOW_RES_SRC3 = 16'h005C; // ro: as KEY_SRC3
localparam [15:0] REG_FLOW_RES_ACTION = 16'h0060; // ro: action of the entry found, inserted or read
localparam [15:0] REG_FLOW_RES_SLOT = 16'h0064; // ro: slot of that entry
localparam [15:0] REG_FLOW_RES_HITS = 16'h0068; // ro: frames that hit that entry
localparam [15:0] REG_FLOW_LAST_MOVES = 16'h006C; // ro: entries the last insert moved
localparam [15:0] REG_FLOW_LOOKUP_LATENCY = 16'h0070; // ro: cycles from key in to result out

// listen: Listen table: (family, protocol, destination slot, destination port) -> action; TCP matches SYN without ACK only. An action may name a queue group: the frame goes to the queue in the group's slot [listen hash] (docs/semantics.md, shared ports)
localparam [15:0] BLK_LISTEN_BASE    = 16'h0300;
localparam [15:0] BLK_LISTEN_SIZE    = 16'h0100;
localparam [15:0] BLK_LISTEN_NEXT    = 16'h0400;
localparam [31:0] BLK_LISTEN_TYPE    = 32'h53500004;
localparam [31:0] BLK_LISTEN_VERSION = 32'h00020000;
localparam [15:0] REG_LISTEN_TYPE = 16'h0000; // ro: block type
localparam [15:0] REG_LISTEN_VERSION = 16'h0004; // ro: block version
localparam [15:0] REG_LISTEN_NEXT = 16'h0008; // ro: byte address of the next block
localparam [15:0] REG_LISTEN_ENTRIES = 16'h000C; // ro: listen entries
localparam [15:0] REG_LISTEN_SLOT = 16'h0010; // rw: entry the next COMMAND acts on
localparam [15:0] REG_LISTEN_FLAGS = 16'h0014; // rw: staged: bit 31 valid; bit 0 family; bit 1 protocol; bits 11:8 destination address slot
localparam [15:0] REG_LISTEN_PORT = 16'h0018; // rw: staged: bits 15:0 destination port
localparam [15:0] REG_LISTEN_ACTION = 16'h001C; // rw: staged action: -1 drops, 0..127 a queue, 0x100 + g queue group g (g < GROUPS; a larger g is stored as queue 127)
localparam [15:0] REG_LISTEN_COMMAND = 16'h0020; // wo: 1: write staged into SLOT (in one clock); 2: read SLOT into staged
localparam [15:0] REG_LISTEN_GROUPS = 16'h0024; // ro: queue groups (shared ports)
localparam [15:0] REG_LISTEN_GROUP = 16'h0028; // rw: group the next GROUP_COMMAND acts on
localparam [15:0] REG_LISTEN_GROUP_COMMAND = 16'h002C; // wo: 1: write the staged GROUP_QUEUE[0..7] into GROUP (all 8 slots in one clock); 2: read GROUP into the staged slots
localparam [15:0] REG_LISTEN_GROUP_QUEUE = 16'h0030; // rw: staged group slot: a queue (0..127, a larger number reads back as 127) or -1 to drop
localparam [15:0] REG_LISTEN_GROUP_QUEUE_STRIDE = 16'h0004;
localparam integer REG_LISTEN_GROUP_QUEUE_COUNT = 8;

// counters: 64-bit counters: read LO (offset) then HI (offset+4); reading LO latches HI
localparam [15:0] BLK_COUNTERS_BASE    = 16'h0400;
localparam [15:0] BLK_COUNTERS_SIZE    = 16'h0300;
localparam [15:0] BLK_COUNTERS_NEXT    = 16'h0700;
localparam [31:0] BLK_COUNTERS_TYPE    = 32'h53500005;
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

// egress: Two-port NIC (sipnic_nic, the board): queue frames leave on port 1 with the destination MAC of their queue's processor; port 1 frames pass to port 0. Absent from a bare sipnic_core.
localparam [15:0] BLK_EGRESS_BASE    = 16'h0700;
localparam [15:0] BLK_EGRESS_SIZE    = 16'h0100;
localparam [15:0] BLK_EGRESS_NEXT    = 16'h0000;
localparam [31:0] BLK_EGRESS_TYPE    = 32'h53500006;
localparam [31:0] BLK_EGRESS_VERSION = 32'h00010000;
localparam [15:0] REG_EGRESS_TYPE = 16'h0000; // ro: block type
localparam [15:0] REG_EGRESS_VERSION = 16'h0004; // ro: block version
localparam [15:0] REG_EGRESS_NEXT = 16'h0008; // ro: byte address of the next block, 0 = last
localparam [15:0] REG_EGRESS_QUEUES = 16'h000C; // ro: queues, each with a MAC entry
localparam [15:0] REG_EGRESS_CONTROL = 16'h0010; // rw: bit 0: replace the destination MAC of queue n's frames with MAC[n] on port 1 (reset 0: frames leave unchanged)
localparam [15:0] REG_EGRESS_P0_RX_BAD = 16'h0014; // ro: port 0 (clients) frames dropped as bad: FCS error, rx error, longer than the MAC's limit, lost to a full receive FIFO, or larger than the NIC's receive buffer (wraps)
localparam [15:0] REG_EGRESS_P1_RX_BAD = 16'h0018; // ro: port 1 (cluster) frames dropped as bad, as P0_RX_BAD (wraps)
localparam [15:0] REG_EGRESS_P1_TX_FRAMES = 16'h001C; // ro: queue frames sent to port 1 (wraps)
localparam [15:0] REG_EGRESS_P0_TX_FRAMES = 16'h0020; // ro: port 1 frames passed to port 0 (wraps)
localparam [15:0] REG_EGRESS_MAC_HI = 16'h0040; // rw: bits 15:0: destination MAC bytes 0..1 (first on the wire in bits 15:8) for queue n
localparam [15:0] REG_EGRESS_MAC_HI_STRIDE = 16'h0008;
localparam integer REG_EGRESS_MAC_HI_COUNT = 16;
localparam [15:0] REG_EGRESS_MAC_LO = 16'h0044; // rw: destination MAC bytes 2..5 (byte 2 in bits 31:24) for queue n
localparam [15:0] REG_EGRESS_MAC_LO_STRIDE = 16'h0008;
localparam integer REG_EGRESS_MAC_LO_COUNT = 16;

// drop reasons
localparam [3:0] DROP_RUNT = 4'd1; // frame shorter than 14 bytes
localparam [3:0] DROP_OVERSIZE = 4'd2; // frame longer than MAX_FRAME (9022) bytes
localparam [3:0] DROP_RULE = 4'd3; // the deciding rule's action is -1
localparam [3:0] DROP_QUEUE_FULL = 4'd4; // tail drop: the queue FIFO had no room for the whole frame
localparam [3:0] DROP_BAD_QUEUE = 4'd5; // the action names a queue the adapter does not have

// table command status
localparam [1:0] STATUS_OK = 2'd0;
localparam [1:0] STATUS_EXISTS = 2'd1;
localparam [1:0] STATUS_FULL = 2'd2;
localparam [1:0] STATUS_NOT_FOUND = 2'd3;
