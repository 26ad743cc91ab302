`resetall
`timescale 1ns / 1ps
`default_nettype none

// Register file: blocks core, addr, flow, listen (with its queue groups), counters (offsets from sipnic_regs.vh);
// one access at a time, reg_ack one clock after reg_en (two for a counter LO read: sipnic_counters
// answers from its RAM one clock after the read; more for a flow WALK_DATA read that starts a
// slot's record: it waits for a read_slot command of the flow table)
module sipnic_regfile #(
    // stream width in bits (reported)
    parameter DATA_WIDTH = 64,
    // number of queues
    parameter QUEUES = 8,
    // longest frame in bytes (reported)
    parameter MAX_FRAME = 9022,
    // bytes per queue FIFO (reported)
    parameter QUEUE_FIFO_BYTES = 16384,
    // address slots
    parameter ADDR_SLOTS = 16,
    // listen entries
    parameter LISTEN_ENTRIES = 32,
    // listen index width
    parameter LISTEN_INDEX_WIDTH = $clog2(LISTEN_ENTRIES),
    // listen queue groups
    parameter LISTEN_GROUPS = 8,
    // group index width
    parameter GROUP_INDEX_WIDTH = (LISTEN_GROUPS > 1) ? $clog2(LISTEN_GROUPS) : 1,
    // flow entries
    parameter FLOW_ENTRIES = 4096,
    // flow ways
    parameter FLOW_WAYS = 4,
    // flow stash entries
    parameter FLOW_STASH = 8,
    // flow slot index width
    parameter FLOW_SLOT_WIDTH = $clog2(FLOW_ENTRIES+FLOW_STASH),
    // flow key width
    parameter KEY_WIDTH = 166,
    // number of counters
    parameter COUNT = 13 + 3*QUEUES,
    // counter index width
    parameter COUNT_INDEX_WIDTH = $clog2(COUNT),
    // learning and aging built in (flow block 0x7C..0xE0 and listen LEARN; else they read 0)
    parameter LEARNING = 1,
    // 0: the core is built without IPv6 (flow FEATURES.IPV4_ONLY)
    parameter IPV6 = 1
) (
    input  wire                          clk,
    input  wire                          rst,

    /*
     * Register bus
     */
    input  wire                          reg_en,
    input  wire                          reg_we,
    input  wire [15:0]                   reg_addr,
    input  wire [31:0]                   reg_wdata,
    output wire                          reg_ack,
    output wire [31:0]                   reg_rdata,

    /*
     * Core
     */
    output wire [7:0]                    default_action,
    output wire                          clear_counters,
    input  wire [31:0]                   frame_id,

    /*
     * Address table
     */
    output wire                          addr_wr_en,
    output wire [3:0]                    addr_wr_slot,
    output wire                          addr_wr_valid,
    output wire                          addr_wr_ipv6,
    output wire [127:0]                  addr_wr_addr,
    output wire [3:0]                    addr_rd_slot,
    input  wire                          addr_rd_valid,
    input  wire                          addr_rd_ipv6,
    input  wire [127:0]                  addr_rd_addr,

    /*
     * Listen table
     */
    output wire                          listen_wr_en,
    output wire [LISTEN_INDEX_WIDTH-1:0] listen_wr_index,
    output wire                          listen_wr_valid,
    output wire                          listen_wr_ipv6,
    output wire                          listen_wr_udp,
    output wire [3:0]                    listen_wr_slot,
    output wire [15:0]                   listen_wr_port,
    output wire [7:0]                    listen_wr_action,
    output wire                          listen_wr_learn,
    output wire [LISTEN_INDEX_WIDTH-1:0] listen_rd_index,
    input  wire                          listen_rd_valid,
    input  wire                          listen_rd_ipv6,
    input  wire                          listen_rd_udp,
    input  wire [3:0]                    listen_rd_slot,
    input  wire [15:0]                   listen_rd_port,
    input  wire [7:0]                    listen_rd_action,
    input  wire                          listen_rd_learn,
    output wire                          group_wr_en,
    output wire [GROUP_INDEX_WIDTH-1:0]  group_wr_index,
    output wire [63:0]                   group_wr_data,
    output wire [GROUP_INDEX_WIDTH-1:0]  group_rd_index,
    input  wire [63:0]                   group_rd_data,

    /*
     * Flow table commands
     */
    output wire                          cmd_valid,
    input  wire                          cmd_ready,
    output wire [2:0]                    cmd_op,
    output wire [KEY_WIDTH-1:0]          cmd_key,
    output wire [7:0]                    cmd_action,
    output wire [FLOW_SLOT_WIDTH-1:0]    cmd_slot,
    input  wire                          cmd_done,
    input  wire [1:0]                    cmd_status,
    input  wire                          cmd_res_valid,
    input  wire [KEY_WIDTH-1:0]          cmd_res_key,
    input  wire [7:0]                    cmd_res_action,
    input  wire [FLOW_SLOT_WIDTH-1:0]    cmd_res_slot,
    input  wire [31:0]                   cmd_res_hits,
    input  wire [31:0]                   cmd_res_meta,
    input  wire [15:0]                   cmd_res_moves,
    input  wire [15:0]                   flow_count,
    input  wire [7:0]                    flow_stash_used,
    input  wire [7:0]                    flow_lookup_latency,

    /*
     * Counters
     */
    output wire                          cnt_rd_en,      // sipnic_counters read port: the value
    output wire [COUNT_INDEX_WIDTH-1:0]  cnt_rd_index,   // of counter cnt_rd_index on cnt_rd_value
    input  wire [63:0]                   cnt_rd_value,   // the clock after cnt_rd_en

    /*
     * Learning engine registers (flow block offsets 0x80..0xFC; sipnic_learn)
     */
    output wire                          learn_wr,
    output wire                          learn_rd,       // a read (EVENT_DATA reads move its cursor)
    output wire [7:0]                    learn_addr,
    output wire [31:0]                   learn_wdata,
    input  wire [31:0]                   learn_rdata
);

/* verilator lint_off UNUSEDPARAM */
`include "sipnic_regs.vh"
/* verilator lint_on UNUSEDPARAM */

initial begin
    if (KEY_WIDTH != 166) begin
        $error("Error: KEY_WIDTH must be 166 (instance %m)");
        $finish;
    end
end

// action register (32-bit two's complement) <-> hardware action byte (encoding ACTION): a
// negative number drops (all ones), a number above the largest queue is that queue
localparam [7:0] ACT_DROP = {8{1'b1}};
localparam [31:0] ACT_QUEUE_MAX = {24'd0, ENC_ACTION_QUEUE_MASK};

function [7:0] act_enc(input [31:0] v);
    if ($signed(v) < 0) begin
        act_enc = ACT_DROP;
    end else if (v > ACT_QUEUE_MAX) begin
        act_enc = ENC_ACTION_QUEUE_MASK;
    end else begin
        act_enc = v[7:0] & ENC_ACTION_QUEUE_MASK;
    end
endfunction

function [31:0] act_dec(input [7:0] a);
    act_dec = a[ENC_ACTION_DROP_SHIFT] ? 32'hffffffff : {24'd0, a & ENC_ACTION_QUEUE_MASK};
endfunction

// listen ACTION: GROUP set, no bit above it, INDEX g < LISTEN_GROUPS names queue group g <->
// a GROUP_ACTION byte
localparam [31:0] GROUPS_W = LISTEN_GROUPS;

function [7:0] listen_act_enc(input [31:0] v);
    if ((v >> FLD_LISTEN_ACTION_GROUP_SHIFT) == 32'd1 &&
            ((v & FLD_LISTEN_ACTION_INDEX_MASK) >> FLD_LISTEN_ACTION_INDEX_SHIFT) < GROUPS_W) begin
        listen_act_enc = 8'd0;
        listen_act_enc[ENC_GROUP_ACTION_TAG_SHIFT +: ENC_GROUP_ACTION_TAG_WIDTH] = ENC_GROUP_ACTION_TAG_GROUP;
        listen_act_enc[ENC_GROUP_ACTION_GROUP_SHIFT +: ENC_GROUP_ACTION_GROUP_WIDTH] =
            v[FLD_LISTEN_ACTION_INDEX_SHIFT +: ENC_GROUP_ACTION_GROUP_WIDTH];
    end else begin
        listen_act_enc = act_enc(v);
    end
endfunction

function [31:0] listen_act_dec(input [7:0] a);
    if (a[ENC_GROUP_ACTION_TAG_SHIFT +: ENC_GROUP_ACTION_TAG_WIDTH] == ENC_GROUP_ACTION_TAG_GROUP) begin
        listen_act_dec = 32'd0;
        listen_act_dec[FLD_LISTEN_ACTION_GROUP_SHIFT] = 1'b1;
        listen_act_dec[FLD_LISTEN_ACTION_INDEX_SHIFT +: ENC_GROUP_ACTION_GROUP_WIDTH] =
            a[ENC_GROUP_ACTION_GROUP_SHIFT +: ENC_GROUP_ACTION_GROUP_WIDTH];
    end else begin
        listen_act_dec = act_dec(a);
    end
endfunction

// byte offset of counter i's low word within the counters block
/* verilator lint_off UNUSEDSIGNAL */
function [15:0] cnt_off(input integer i);
    integer q, o;
    begin
        q = (i - 13) / 3;
        if (i == 0) cnt_off = REG_COUNTERS_RX_FRAMES;
        else if (i == 1) cnt_off = REG_COUNTERS_RX_BYTES;
        else if (i == 2) cnt_off = REG_COUNTERS_FLOW_HITS;
        else if (i == 3) cnt_off = REG_COUNTERS_LISTEN_HITS;
        else if (i == 4) cnt_off = REG_COUNTERS_DEFAULT_HITS;
        else begin
            if (i < 13) o = {16'd0, REG_COUNTERS_DROP} + (i - 5) * {16'd0, REG_COUNTERS_DROP_STRIDE};
            else if ((i - 13) % 3 == 0) o = {16'd0, REG_COUNTERS_Q_FRAMES} + q * {16'd0, REG_COUNTERS_Q_FRAMES_STRIDE};
            else if ((i - 13) % 3 == 1) o = {16'd0, REG_COUNTERS_Q_BYTES} + q * {16'd0, REG_COUNTERS_Q_BYTES_STRIDE};
            else o = {16'd0, REG_COUNTERS_Q_DROPS} + q * {16'd0, REG_COUNTERS_Q_DROPS_STRIDE};
            cnt_off = o[15:0];
        end
    end
endfunction
/* verilator lint_on UNUSEDSIGNAL */

reg ack_reg = 1'b0;
reg [31:0] rdata_reg = 0, rdata_next;

// core
reg [31:0] scratch_reg = 0, scratch_next;
reg [7:0] default_action_reg = 0, default_action_next;
reg clear_reg = 1'b0, clear_next;

// addr
reg [31:0] a_slot_reg = 0, a_slot_next;
reg [31:0] a_family_reg = 0, a_family_next;
reg [127:0] a_addr_reg = 0, a_addr_next;
reg a_wr_reg = 1'b0, a_wr_next;

// listen
reg [31:0] l_slot_reg = 0, l_slot_next;
reg l_valid_reg = 1'b0, l_valid_next;
reg l_learn_reg = 1'b0, l_learn_next;
reg [5:0] l_flags_reg = 0, l_flags_next;  // {slot[3:0], proto, family}
reg [15:0] l_port_reg = 0, l_port_next;
reg [31:0] l_action_reg = 0, l_action_next;
reg l_wr_reg = 1'b0, l_wr_next;
reg [31:0] g_group_reg = 0, g_group_next;
reg [63:0] g_queue_reg = 0, g_queue_next;  // staged slots, 8-bit hardware actions
reg g_wr_reg = 1'b0, g_wr_next;

// flow
reg [5:0] f_flags_reg = 0, f_flags_next;  // {slot[3:0], proto, family}
reg [31:0] f_ports_reg = 0, f_ports_next;  // {source port, destination port} as in the key
reg [127:0] f_src_reg = 0, f_src_next;
reg [31:0] f_action_reg = 0, f_action_next;
reg [31:0] f_slot_reg = 0, f_slot_next;
reg f_cmd_valid_reg = 1'b0, f_cmd_valid_next;
reg [2:0] f_cmd_op_reg = 0, f_cmd_op_next;
reg f_busy_reg = 1'b0, f_busy_next;
reg [1:0] f_status_reg = 0, f_status_next;
reg [15:0] f_done_cnt_reg = 0, f_done_cnt_next;
reg f_res_valid_reg = 1'b0;
reg [KEY_WIDTH-1:0] f_res_key_reg = 0;
reg [7:0] f_res_action_reg = 0;
reg [FLOW_SLOT_WIDTH-1:0] f_res_slot_reg = 0;
reg [31:0] f_res_hits_reg = 0;
reg [31:0] f_res_meta_reg = 0;
reg [15:0] f_res_moves_reg = 0;

// flow walk: WALK_DATA reads slot after slot, a record per slot (1 word when empty, 8 when
// live); reading a record's first word runs read_slot into the walk's own copy of the result
localparam [31:0] FLOW_SLOTS = FLOW_ENTRIES + FLOW_STASH;
localparam [2:0] WALK_LAST_WORD = 3'd7;
reg [31:0] w_slot_reg = 0, w_slot_next;    // cursor: slot of the record being read
reg [2:0] w_word_reg = 0, w_word_next;     // next word of that record (0: the record is not fetched)
reg w_fetch_reg = 1'b0, w_fetch_next;      // a word-0 read waits for its slot
reg w_cmd_reg = 1'b0, w_cmd_next;          // the walk's read_slot is on the command port
reg w_ack_reg = 1'b0, w_ack_next;          // answers the waiting word-0 read
reg [31:0] w_rdata_reg = 0, w_rdata_next;
reg [159:0] w_key_reg = 0;         // the entry's key without family, protocol, address slot
reg [31:0] w_hits_reg = 0;
reg [31:0] w_meta_reg = 0;

// counters
reg [31:0] hi_latch_reg = 0, hi_latch_next;

// a counter LO read answers a clock later than the others, with the value sipnic_counters read
reg cnt_pend_reg = 1'b0;
reg cnt_ack_reg = 1'b0;
reg [31:0] cnt_rdata_reg = 0;

assign reg_ack = ack_reg || cnt_ack_reg || w_ack_reg;
assign reg_rdata = cnt_ack_reg ? cnt_rdata_reg : (w_ack_reg ? w_rdata_reg : rdata_reg);

assign default_action = default_action_reg;
assign clear_counters = clear_reg;

assign addr_wr_en = a_wr_reg;
assign addr_wr_slot = a_slot_reg[3:0];
assign addr_wr_valid = a_family_reg == 32'd4 || a_family_reg == 32'd6;
assign addr_wr_ipv6 = a_family_reg == 32'd6;
assign addr_wr_addr = a_addr_reg;
assign addr_rd_slot = a_slot_reg[3:0];

assign listen_wr_en = l_wr_reg;
assign listen_wr_index = l_slot_reg[LISTEN_INDEX_WIDTH-1:0];
assign listen_wr_valid = l_valid_reg;
assign listen_wr_ipv6 = l_flags_reg[0];
assign listen_wr_udp = l_flags_reg[1];
assign listen_wr_slot = l_flags_reg[5:2];
assign listen_wr_port = l_port_reg;
assign listen_wr_action = listen_act_enc(l_action_reg);
assign listen_wr_learn = LEARNING != 0 && l_learn_reg;
assign listen_rd_index = l_slot_reg[LISTEN_INDEX_WIDTH-1:0];
assign group_wr_en = g_wr_reg;
assign group_wr_index = g_group_reg[GROUP_INDEX_WIDTH-1:0];
assign group_wr_data = g_queue_reg;
assign group_rd_index = g_group_reg[GROUP_INDEX_WIDTH-1:0];

assign cmd_valid = f_cmd_valid_reg;
assign cmd_op = f_cmd_op_reg;
assign cmd_key = {f_flags_reg[0], f_flags_reg[1], f_flags_reg[5:2], f_src_reg, f_ports_reg};
assign cmd_action = act_enc(f_action_reg);
assign cmd_slot = w_cmd_reg ? w_slot_reg[FLOW_SLOT_WIDTH-1:0] : f_slot_reg[FLOW_SLOT_WIDTH-1:0];

// key flags as the registers hold them, {slot[3:0], proto, family}, <-> the fields of the set
// keyFlags (flow KEY_FLAGS and RES_FLAGS, listen FLAGS); ports {source, destination} <-> the set
// ports (flow KEY_PORTS and RES_PORTS)
function [31:0] flags_word(input [5:0] f);
    begin
        flags_word = 32'd0;
        flags_word[FSET_KEY_FLAGS_FAMILY_SHIFT +: FSET_KEY_FLAGS_FAMILY_WIDTH] = f[0];
        flags_word[FSET_KEY_FLAGS_PROTO_SHIFT +: FSET_KEY_FLAGS_PROTO_WIDTH] = f[1];
        flags_word[FSET_KEY_FLAGS_ADDR_SLOT_SHIFT +: FSET_KEY_FLAGS_ADDR_SLOT_WIDTH] = f[5:2];
    end
endfunction

/* verilator lint_off UNUSEDSIGNAL */ // a whole register word: only the set's bits are read
function [5:0] flags_of(input [31:0] w);
    flags_of = {w[FSET_KEY_FLAGS_ADDR_SLOT_SHIFT +: FSET_KEY_FLAGS_ADDR_SLOT_WIDTH],
        w[FSET_KEY_FLAGS_PROTO_SHIFT +: FSET_KEY_FLAGS_PROTO_WIDTH], w[FSET_KEY_FLAGS_FAMILY_SHIFT +: FSET_KEY_FLAGS_FAMILY_WIDTH]};
endfunction
/* verilator lint_on UNUSEDSIGNAL */

function [31:0] ports_word(input [31:0] p);
    begin
        ports_word = 32'd0;
        ports_word[FSET_PORTS_SRC_PORT_SHIFT +: FSET_PORTS_SRC_PORT_WIDTH] = p[31:16];
        ports_word[FSET_PORTS_DST_PORT_SHIFT +: FSET_PORTS_DST_PORT_WIDTH] = p[15:0];
    end
endfunction

function [31:0] ports_of(input [31:0] w);
    ports_of = {w[FSET_PORTS_SRC_PORT_SHIFT +: FSET_PORTS_SRC_PORT_WIDTH], w[FSET_PORTS_DST_PORT_SHIFT +: FSET_PORTS_DST_PORT_WIDTH]};
endfunction

// word 0 of a walk record: VALID, the key flags, the action byte; 0 for an empty slot
function [31:0] walk_word0(input valid, input [5:0] flags, input [7:0] action);
    begin
        walk_word0 = 32'd0;
        if (valid) begin
            walk_word0 = flags_word(flags);
            walk_word0[FLD_FLOW_WALK_DATA_VALID_SHIFT] = 1'b1;
            walk_word0[FLD_FLOW_WALK_DATA_ACTION_SHIFT +: FLD_FLOW_WALK_DATA_ACTION_WIDTH] = action;
        end
    end
endfunction

// registers of several fields, as read
reg [31:0] f_status_word, f_res_flags_word, l_flags_word;

always @* begin
    f_status_word = 32'd0;
    f_status_word[FLD_FLOW_STATUS_BUSY_SHIFT +: FLD_FLOW_STATUS_BUSY_WIDTH] = f_busy_reg;
    f_status_word[FLD_FLOW_STATUS_RESULT_SHIFT +: FLD_FLOW_STATUS_RESULT_WIDTH] =
        {{(FLD_FLOW_STATUS_RESULT_WIDTH-2){1'b0}}, f_status_reg};
    f_status_word[FLD_FLOW_STATUS_COMPLETED_SHIFT +: FLD_FLOW_STATUS_COMPLETED_WIDTH] = f_done_cnt_reg;

    f_res_flags_word = flags_word({f_res_key_reg[163:160], f_res_key_reg[164], f_res_key_reg[165]});
    f_res_flags_word[FLD_FLOW_RES_FLAGS_VALID_SHIFT] = f_res_valid_reg;

    l_flags_word = flags_word(l_flags_reg);
    l_flags_word[FLD_LISTEN_FLAGS_VALID_SHIFT] = l_valid_reg;
    l_flags_word[FLD_LISTEN_FLAGS_LEARN_SHIFT] = LEARNING != 0 && l_learn_reg;
end

wire [15:0] off_core = reg_addr - BLK_CORE_BASE;
wire in_core = off_core < BLK_CORE_SIZE;
wire [15:0] off_addr = reg_addr - BLK_ADDR_BASE;
wire in_addr = off_addr < BLK_ADDR_SIZE;
wire [15:0] off_flow = reg_addr - BLK_FLOW_BASE;
wire in_flow = off_flow < BLK_FLOW_SIZE;
wire [15:0] off_listen = reg_addr - BLK_LISTEN_BASE;
wire in_listen = off_listen < BLK_LISTEN_SIZE;
wire [15:0] off_cnt = reg_addr - BLK_COUNTERS_BASE;
wire in_cnt = off_cnt < BLK_COUNTERS_SIZE;

wire rd = reg_en && !reg_we;
wire wr = reg_en && reg_we;

// learning registers: written through to sipnic_learn (its own clocked registers), read from it
assign learn_wr = LEARNING != 0 && reg_en && reg_we && in_flow && off_flow >= REG_FLOW_FEATURES;
assign learn_rd = LEARNING != 0 && rd && in_flow && off_flow >= REG_FLOW_FEATURES;
assign learn_addr = off_flow[7:0];
assign learn_wdata = reg_wdata;


// counter select: offsets are distinct, so OR-ing the matching index gives it (no chain)
localparam CIDX_WIDTH = $clog2(COUNT);

reg [CIDX_WIDTH-1:0] cidx;
reg cnt_lo, cnt_hi;
// each combinational block has its own loop index (a shared one is driven by both blocks)
integer ci;

always @* begin
    cidx = 0;
    cnt_lo = 1'b0;
    cnt_hi = 1'b0;
    for (ci = 0; ci < COUNT; ci = ci + 1) begin
        if (off_cnt == cnt_off(ci)) begin
            cidx = cidx | ci[CIDX_WIDTH-1:0];
            cnt_lo = in_cnt;
        end
        if (off_cnt == cnt_off(ci) + 16'd4) begin
            cidx = cidx | ci[CIDX_WIDTH-1:0];
            cnt_hi = in_cnt;
        end
    end
end

assign cnt_rd_en = rd && cnt_lo;
assign cnt_rd_index = cidx;

integer gi;

always @* begin
    gi = 0; // loop index of the listen group registers: assigned on every path (no latch in yosys)
    rdata_next = 32'd0;
    scratch_next = scratch_reg;
    default_action_next = default_action_reg;
    clear_next = 1'b0;
    a_slot_next = a_slot_reg;
    a_family_next = a_family_reg;
    a_addr_next = a_addr_reg;
    a_wr_next = 1'b0;
    l_slot_next = l_slot_reg;
    l_valid_next = l_valid_reg;
    l_learn_next = l_learn_reg;
    l_flags_next = l_flags_reg;
    l_port_next = l_port_reg;
    l_action_next = l_action_reg;
    l_wr_next = 1'b0;
    g_group_next = g_group_reg;
    g_queue_next = g_queue_reg;
    g_wr_next = 1'b0;
    f_flags_next = f_flags_reg;
    f_ports_next = f_ports_reg;
    f_src_next = f_src_reg;
    f_action_next = f_action_reg;
    f_slot_next = f_slot_reg;
    f_cmd_valid_next = f_cmd_valid_reg && !cmd_ready;
    f_cmd_op_next = f_cmd_op_reg;
    f_busy_next = f_busy_reg;
    f_status_next = f_status_reg;
    f_done_cnt_next = f_done_cnt_reg;
    hi_latch_next = hi_latch_reg;
    w_slot_next = w_slot_reg;
    w_word_next = w_word_reg;
    w_fetch_next = w_fetch_reg;
    w_cmd_next = w_cmd_reg;
    w_ack_next = 1'b0;
    w_rdata_next = 32'd0;

    if (cmd_done && !w_cmd_reg) begin
        f_busy_next = 1'b0;
        f_status_next = cmd_status;
        f_done_cnt_next = f_done_cnt_reg + 1;
    end

    // the walk's fetch: once no host command runs, read_slot on the cursor (a slot past the
    // stash is empty without a command); the answer is word 0 of the record
    if (w_fetch_reg && !w_cmd_reg && !f_busy_reg && !f_cmd_valid_reg) begin
        if (w_slot_reg < FLOW_SLOTS) begin
            f_cmd_valid_next = 1'b1;
            f_cmd_op_next = FLD_FLOW_COMMAND_OP_READ_SLOT[2:0];
            w_cmd_next = 1'b1;
        end else begin
            w_fetch_next = 1'b0;
            w_ack_next = 1'b1;
            w_slot_next = w_slot_reg + 1;
        end
    end
    if (cmd_done && w_cmd_reg) begin
        w_cmd_next = 1'b0;
        w_fetch_next = 1'b0;
        w_ack_next = 1'b1;
        w_rdata_next = walk_word0(cmd_res_valid, {cmd_res_key[163:160], cmd_res_key[164], cmd_res_key[165]}, cmd_res_action);
        if (cmd_res_valid) begin
            w_word_next = 3'd1;
        end else begin
            w_slot_next = w_slot_reg + 1;
        end
    end

    /*
     * reads
     */
    if (in_core) begin
        case (off_core)
            REG_CORE_TYPE: rdata_next = BLK_CORE_TYPE;
            REG_CORE_VERSION: rdata_next = BLK_CORE_VERSION;
            REG_CORE_NEXT: rdata_next = {16'd0, BLK_CORE_NEXT};
            REG_CORE_DATA_WIDTH: rdata_next = DATA_WIDTH;
            REG_CORE_QUEUES: rdata_next = QUEUES;
            REG_CORE_MAX_FRAME: rdata_next = MAX_FRAME;
            REG_CORE_QUEUE_FIFO_BYTES: rdata_next = QUEUE_FIFO_BYTES;
            REG_CORE_SCRATCH: rdata_next = scratch_reg;
            REG_CORE_DEFAULT_ACTION: rdata_next = act_dec(default_action_reg);
            REG_CORE_FRAME_ID: rdata_next = frame_id;
            default: rdata_next = 32'd0;
        endcase
    end else if (in_addr) begin
        case (off_addr)
            REG_ADDR_TYPE: rdata_next = BLK_ADDR_TYPE;
            REG_ADDR_VERSION: rdata_next = BLK_ADDR_VERSION;
            REG_ADDR_NEXT: rdata_next = {16'd0, BLK_ADDR_NEXT};
            REG_ADDR_SLOTS: rdata_next = ADDR_SLOTS;
            REG_ADDR_SLOT: rdata_next = a_slot_reg;
            REG_ADDR_FAMILY: rdata_next = a_family_reg;
            REG_ADDR_ADDR0: rdata_next = a_addr_reg[127:96];
            REG_ADDR_ADDR1: rdata_next = a_addr_reg[95:64];
            REG_ADDR_ADDR2: rdata_next = a_addr_reg[63:32];
            REG_ADDR_ADDR3: rdata_next = a_addr_reg[31:0];
            default: rdata_next = 32'd0;
        endcase
    end else if (in_flow) begin
        case (off_flow)
            REG_FLOW_TYPE: rdata_next = BLK_FLOW_TYPE;
            REG_FLOW_VERSION: rdata_next = BLK_FLOW_VERSION;
            REG_FLOW_NEXT: rdata_next = {16'd0, BLK_FLOW_NEXT};
            REG_FLOW_ENTRIES: rdata_next = FLOW_ENTRIES;
            REG_FLOW_WAYS: rdata_next = FLOW_WAYS;
            REG_FLOW_STASH: rdata_next = FLOW_STASH;
            REG_FLOW_COUNT: rdata_next = {16'd0, flow_count};
            REG_FLOW_STASH_USED: rdata_next = {24'd0, flow_stash_used};
            REG_FLOW_KEY_FLAGS: rdata_next = flags_word(f_flags_reg);
            REG_FLOW_KEY_PORTS: rdata_next = ports_word(f_ports_reg);
            REG_FLOW_KEY_SRC0: rdata_next = f_src_reg[127:96];
            REG_FLOW_KEY_SRC1: rdata_next = f_src_reg[95:64];
            REG_FLOW_KEY_SRC2: rdata_next = f_src_reg[63:32];
            REG_FLOW_KEY_SRC3: rdata_next = f_src_reg[31:0];
            REG_FLOW_ACTION: rdata_next = f_action_reg;
            REG_FLOW_SLOT: rdata_next = f_slot_reg;
            REG_FLOW_STATUS: rdata_next = f_status_word;
            REG_FLOW_RES_FLAGS: rdata_next = f_res_flags_word;
            REG_FLOW_RES_PORTS: rdata_next = ports_word(f_res_key_reg[31:0]);
            REG_FLOW_RES_SRC0: rdata_next = f_res_key_reg[159:128];
            REG_FLOW_RES_SRC1: rdata_next = f_res_key_reg[127:96];
            REG_FLOW_RES_SRC2: rdata_next = f_res_key_reg[95:64];
            REG_FLOW_RES_SRC3: rdata_next = f_res_key_reg[63:32];
            REG_FLOW_RES_ACTION: rdata_next = act_dec(f_res_action_reg);
            REG_FLOW_RES_SLOT: rdata_next = {{(32-FLOW_SLOT_WIDTH){1'b0}}, f_res_slot_reg};
            REG_FLOW_RES_HITS: rdata_next = f_res_hits_reg;
            REG_FLOW_LAST_MOVES: rdata_next = {16'd0, f_res_moves_reg};
            REG_FLOW_LOOKUP_LATENCY: rdata_next = {24'd0, flow_lookup_latency};
            REG_FLOW_WALK_SLOT: rdata_next = w_slot_reg;
            REG_FLOW_RES_META: rdata_next = f_res_meta_reg;
            REG_FLOW_WALK_DATA: begin
                case (w_word_reg)
                    3'd1: rdata_next = ports_word(w_key_reg[31:0]);
                    3'd2: rdata_next = w_key_reg[159:128];
                    3'd3: rdata_next = w_key_reg[127:96];
                    3'd4: rdata_next = w_key_reg[95:64];
                    3'd5: rdata_next = w_key_reg[63:32];
                    3'd6: rdata_next = w_hits_reg;
                    3'd7: rdata_next = w_meta_reg;
                    default: rdata_next = 32'd0;  // word 0 answers from the fetch (walk_rd_start)
                endcase
                if (rd) begin
                    if (w_word_reg == 3'd0) begin
                        w_fetch_next = 1'b1;
                    end else if (w_word_reg == WALK_LAST_WORD) begin
                        w_word_next = 3'd0;
                        w_slot_next = w_slot_reg + 1;
                    end else begin
                        w_word_next = w_word_reg + 3'd1;
                    end
                end
            end
            REG_FLOW_FEATURES: begin
                rdata_next = 32'd0;
                rdata_next[FLD_FLOW_FEATURES_LEARNING_SHIFT] = LEARNING != 0;
                rdata_next[FLD_FLOW_FEATURES_IPV4_ONLY_SHIFT] = IPV6 == 0;
                rdata_next[FLD_FLOW_FEATURES_EVENTS_SHIFT] = LEARNING != 0;
            end
            default: rdata_next = off_flow >= REG_FLOW_FEATURES && LEARNING != 0 ? learn_rdata : 32'd0;
        endcase
    end else if (in_listen) begin
        case (off_listen)
            REG_LISTEN_TYPE: rdata_next = BLK_LISTEN_TYPE;
            REG_LISTEN_VERSION: rdata_next = BLK_LISTEN_VERSION;
            REG_LISTEN_NEXT: rdata_next = {16'd0, BLK_LISTEN_NEXT};
            REG_LISTEN_ENTRIES: rdata_next = LISTEN_ENTRIES;
            REG_LISTEN_SLOT: rdata_next = l_slot_reg;
            REG_LISTEN_FLAGS: rdata_next = l_flags_word;
            REG_LISTEN_PORT: rdata_next[FLD_LISTEN_PORT_DST_PORT_SHIFT +: FLD_LISTEN_PORT_DST_PORT_WIDTH] = l_port_reg;
            REG_LISTEN_ACTION: rdata_next = l_action_reg;
            REG_LISTEN_GROUPS: rdata_next = GROUPS_W;
            REG_LISTEN_GROUP: rdata_next = g_group_reg;
            default: rdata_next = 32'd0;
        endcase
        for (gi = 0; gi < REG_LISTEN_GROUP_QUEUE_COUNT; gi = gi + 1) begin
            if (off_listen == REG_LISTEN_GROUP_QUEUE + gi[15:0] * REG_LISTEN_GROUP_QUEUE_STRIDE) begin
                rdata_next = act_dec(g_queue_reg[8*gi +: 8]);
            end
        end
    end else if (in_cnt) begin
        case (off_cnt)
            REG_COUNTERS_TYPE: rdata_next = BLK_COUNTERS_TYPE;
            REG_COUNTERS_VERSION: rdata_next = BLK_COUNTERS_VERSION;
            REG_COUNTERS_NEXT: rdata_next = {16'd0, BLK_COUNTERS_NEXT};
            default: rdata_next = 32'd0;
        endcase
    end
    if (cnt_hi) begin
        rdata_next = hi_latch_reg;
    end

    if (!rd) begin
        rdata_next = 32'd0;
    end

    /*
     * writes
     */
    if (wr) begin
        if (in_core) begin
            case (off_core)
                REG_CORE_SCRATCH: scratch_next = reg_wdata;
                REG_CORE_DEFAULT_ACTION: default_action_next = act_enc(reg_wdata);
                REG_CORE_CONTROL: clear_next = reg_wdata[FLD_CORE_CONTROL_CLEAR_COUNTERS_SHIFT];
                default: ;
            endcase
        end
        if (in_addr) begin
            case (off_addr)
                REG_ADDR_SLOT: a_slot_next = reg_wdata;
                REG_ADDR_FAMILY: a_family_next = reg_wdata;
                REG_ADDR_ADDR0: a_addr_next[127:96] = reg_wdata;
                REG_ADDR_ADDR1: a_addr_next[95:64] = reg_wdata;
                REG_ADDR_ADDR2: a_addr_next[63:32] = reg_wdata;
                REG_ADDR_ADDR3: a_addr_next[31:0] = reg_wdata;
                REG_ADDR_COMMAND: begin
                    if (a_slot_reg < ADDR_SLOTS) begin
                        if (reg_wdata == FLD_ADDR_COMMAND_OP_WRITE) begin
                            a_wr_next = 1'b1;
                        end else if (reg_wdata == FLD_ADDR_COMMAND_OP_READ) begin
                            a_family_next = addr_rd_valid ? (addr_rd_ipv6 ? 32'd6 : 32'd4) : 32'd0;
                            a_addr_next = addr_rd_addr;
                        end
                    end
                end
                default: ;
            endcase
        end
        if (in_flow) begin
            case (off_flow)
                REG_FLOW_KEY_FLAGS: f_flags_next = flags_of(reg_wdata);
                REG_FLOW_KEY_PORTS: f_ports_next = ports_of(reg_wdata);
                REG_FLOW_KEY_SRC0: f_src_next[127:96] = reg_wdata;
                REG_FLOW_KEY_SRC1: f_src_next[95:64] = reg_wdata;
                REG_FLOW_KEY_SRC2: f_src_next[63:32] = reg_wdata;
                REG_FLOW_KEY_SRC3: f_src_next[31:0] = reg_wdata;
                REG_FLOW_ACTION: f_action_next = reg_wdata;
                REG_FLOW_SLOT: f_slot_next = reg_wdata;
                REG_FLOW_WALK_SLOT: begin
                    w_slot_next = reg_wdata;
                    w_word_next = 3'd0;
                end
                REG_FLOW_COMMAND: begin
                    // the op values are insert .. clear, in a row
                    if (!f_busy_reg && reg_wdata >= FLD_FLOW_COMMAND_OP_INSERT && reg_wdata <= FLD_FLOW_COMMAND_OP_CLEAR) begin
                        f_cmd_valid_next = 1'b1;
                        f_cmd_op_next = reg_wdata[FLD_FLOW_COMMAND_OP_SHIFT +: 3];  // cmd_op holds 1..5
                        f_busy_next = 1'b1;
                    end
                end
                default: ;
            endcase
        end
        if (in_listen) begin
            case (off_listen)
                REG_LISTEN_SLOT: l_slot_next = reg_wdata;
                REG_LISTEN_FLAGS: begin
                    l_valid_next = reg_wdata[FLD_LISTEN_FLAGS_VALID_SHIFT];
                    l_learn_next = reg_wdata[FLD_LISTEN_FLAGS_LEARN_SHIFT];
                    l_flags_next = flags_of(reg_wdata);
                end
                REG_LISTEN_PORT: l_port_next = reg_wdata[FLD_LISTEN_PORT_DST_PORT_SHIFT +: FLD_LISTEN_PORT_DST_PORT_WIDTH];
                REG_LISTEN_ACTION: l_action_next = reg_wdata;
                REG_LISTEN_COMMAND: begin
                    if (l_slot_reg < LISTEN_ENTRIES) begin
                        if (reg_wdata == FLD_LISTEN_COMMAND_OP_WRITE) begin
                            l_wr_next = 1'b1;
                        end else if (reg_wdata == FLD_LISTEN_COMMAND_OP_READ) begin
                            l_valid_next = listen_rd_valid;
                            l_learn_next = listen_rd_learn;
                            l_flags_next = {listen_rd_slot, listen_rd_udp, listen_rd_ipv6};
                            l_port_next = listen_rd_port;
                            l_action_next = listen_act_dec(listen_rd_action);
                        end
                    end
                end
                REG_LISTEN_GROUP: g_group_next = reg_wdata;
                REG_LISTEN_GROUP_COMMAND: begin
                    if (g_group_reg < GROUPS_W) begin
                        if (reg_wdata == FLD_LISTEN_GROUP_COMMAND_OP_WRITE) begin
                            g_wr_next = 1'b1;
                        end else if (reg_wdata == FLD_LISTEN_GROUP_COMMAND_OP_READ) begin
                            g_queue_next = group_rd_data;
                        end
                    end
                end
                default: ;
            endcase
            for (gi = 0; gi < REG_LISTEN_GROUP_QUEUE_COUNT; gi = gi + 1) begin
                if (off_listen == REG_LISTEN_GROUP_QUEUE + gi[15:0] * REG_LISTEN_GROUP_QUEUE_STRIDE) begin
                    g_queue_next[8*gi +: 8] = act_enc(reg_wdata);
                end
            end
        end
    end
end

// a WALK_DATA read of a record's first word is answered by the fetch (w_ack_reg)
wire walk_rd_start = rd && in_flow && off_flow == REG_FLOW_WALK_DATA && w_word_reg == 3'd0;

always @(posedge clk) begin
    ack_reg <= reg_en && !cnt_rd_en && !walk_rd_start;
    rdata_reg <= rdata_next;

    scratch_reg <= scratch_next;
    default_action_reg <= default_action_next;
    clear_reg <= clear_next;

    a_slot_reg <= a_slot_next;
    a_family_reg <= a_family_next;
    a_addr_reg <= a_addr_next;
    a_wr_reg <= a_wr_next;

    l_slot_reg <= l_slot_next;
    l_valid_reg <= l_valid_next;
    l_learn_reg <= l_learn_next;
    l_flags_reg <= l_flags_next;
    l_port_reg <= l_port_next;
    l_action_reg <= l_action_next;
    l_wr_reg <= l_wr_next;
    g_group_reg <= g_group_next;
    g_queue_reg <= g_queue_next;
    g_wr_reg <= g_wr_next;

    f_flags_reg <= f_flags_next;
    f_ports_reg <= f_ports_next;
    f_src_reg <= f_src_next;
    f_action_reg <= f_action_next;
    f_slot_reg <= f_slot_next;
    f_cmd_valid_reg <= f_cmd_valid_next;
    f_cmd_op_reg <= f_cmd_op_next;
    f_busy_reg <= f_busy_next;
    f_status_reg <= f_status_next;
    f_done_cnt_reg <= f_done_cnt_next;

    w_slot_reg <= w_slot_next;
    w_word_reg <= w_word_next;
    w_fetch_reg <= w_fetch_next;
    w_cmd_reg <= w_cmd_next;
    w_ack_reg <= w_ack_next;
    w_rdata_reg <= w_rdata_next;
    if (cmd_done && w_cmd_reg) begin
        w_key_reg <= cmd_res_key[159:0];
        w_hits_reg <= cmd_res_hits;
        w_meta_reg <= LEARNING != 0 ? cmd_res_meta : 32'd0;
    end

    if (cmd_done && !w_cmd_reg) begin
        f_res_valid_reg <= cmd_res_valid;
        f_res_key_reg <= cmd_res_key;
        f_res_action_reg <= cmd_res_action;
        f_res_slot_reg <= cmd_res_slot;
        f_res_hits_reg <= cmd_res_hits;
        f_res_meta_reg <= LEARNING != 0 ? cmd_res_meta : 32'd0;
        f_res_moves_reg <= cmd_res_moves;
    end

    hi_latch_reg <= hi_latch_next;
    cnt_pend_reg <= cnt_rd_en;
    cnt_ack_reg <= cnt_pend_reg;
    if (cnt_pend_reg) begin
        cnt_rdata_reg <= cnt_rd_value[31:0];
        hi_latch_reg <= cnt_rd_value[63:32];
    end

    if (rst) begin
        ack_reg <= 1'b0;
        cnt_pend_reg <= 1'b0;
        cnt_ack_reg <= 1'b0;
        scratch_reg <= 0;
        default_action_reg <= 0;
        clear_reg <= 1'b0;
        a_wr_reg <= 1'b0;
        l_wr_reg <= 1'b0;
        g_wr_reg <= 1'b0;
        f_cmd_valid_reg <= 1'b0;
        f_busy_reg <= 1'b0;
        f_status_reg <= 0;
        f_done_cnt_reg <= 0;
        f_res_valid_reg <= 1'b0;
        w_word_reg <= 3'd0;
        w_fetch_reg <= 1'b0;
        w_cmd_reg <= 1'b0;
        w_ack_reg <= 1'b0;
    end
end

endmodule

`resetall
