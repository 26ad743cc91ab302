`resetall
`timescale 1ns / 1ps
`default_nettype none

/*
 * Exact-match flow table: a WAYS-way cuckoo hash (one block RAM and one H3 hash per way,
 * one entry per bucket) plus a small fully associative stash in registers.
 *
 * Entry (per way RAM word, MSB first): {valid, key[KEY_WIDTH], action[ACTION_WIDTH]};
 * a second RAM per way holds the entries' 32-bit hit counters.
 * Slots: way w, bucket b -> w*(ENTRIES/WAYS) + b; stash entry s -> ENTRIES + s.
 *
 * One pipeline serves lookups and the command FSM:
 *
 *   c0  key in; hash of all ways                  (lookup_key, or the FSM's op key)
 *   c1  RAM read address = bucket (all ways); the op's entry write (RAM or stash)
 *   c2  RAM data out; key compares (ways, stash); counters forwarded
 *   c3  hit counter read-modify-write (written at the end of c3); result select
 *   c4  result out                                   -> LOOKUP_LATENCY = 4
 *
 * Read port sharing: each RAM has one read port, so no duplicate RAM is spent on commands
 * (the entries already take ~40 of the ECP5-25F's 56 block RAMs). A lookup always takes
 * the pipeline; the FSM issues one operation ("op") into a clock with no lookup. An op is
 * a probe (read all ways at the hashes of a key), a read of one bucket, and/or one entry
 * write with its counter (zero, or carried from another slot). Lookups and ops stay in one
 * order through the pipeline, so every read sees every older write:
 *   - entries are written by ops only, in c1, so a younger lookup reads them from the RAM;
 *   - counters are written at one stage (end of c3) by lookups (+1 per hit) and ops, and
 *     forwarded from the two youngest older writes, so back-to-back hits on one entry and
 *     a counter carried by a move are all exact;
 *   - a move writes the entry's new copy (carrying its counter) one op before its old slot
 *     is overwritten; in between a lookup finds both copies and counts on both, so the
 *     count of the copy that survives is exact.
 * With a lookup every clock, commands wait (cmd_ready stays low until they finish).
 *
 * Insert: probe (exists? free candidate?), else up to WALK_TRIES random walks of at most
 * MAX_MOVES moves (no slot visited twice), executed from the free end backwards; else the
 * stash; else full. A table change is never half done: the walk only reads, the moves
 * keep every entry findable. Delete of a hashed entry tries to move a stash entry into the
 * freed bucket. Clear (and reset) sweeps every bucket; cmd_ready is low meanwhile.
 *
 * Area: wide (key) data is never muxed by a computed index more than needed. An op's
 * result holds every way's key (s3_key); the FSM takes one (key_pick, select in a register)
 * into op_key, and the result key comes from op_key or cmd_key. The walk keeps slot
 * numbers only (victim keys are picked from the probe result, moved keys re-read from the
 * RAM); its victim is chosen one way per clock against one compare bank on the path. The
 * stash keys sit in registers for the compares plus a distributed-RAM copy read by index;
 * the path has a distributed-RAM copy for its read port. Key compares are two bits per LUT.
 */
module sipnic_flow_table #(
    // hashed entries (power of two, divisible by WAYS)
    parameter ENTRIES = 4096,
    // cuckoo ways (power of two, >= 2)
    parameter WAYS = 4,
    // stash entries (1..255)
    parameter STASH = 8,
    // key bits (166: family, proto, dst_slot[4], src[128], sport[16], dport[16])
    parameter KEY_WIDTH = 166,
    // action bits
    parameter ACTION_WIDTH = 8,
    // lookup tag bits, passed through
    parameter TAG_WIDTH = 8,
    // longest cuckoo path (entries moved by one insert), 1..255
    parameter MAX_MOVES = 32,
    // slot number bits
    parameter SLOT_WIDTH = $clog2(ENTRIES+STASH),
    // per-entry meta (origin, state, aging class, last-hit stamp) beside the hit counter
    // for learning and aging; 0 leaves the counter RAM at 32 bits and RES_META at 0
    parameter LEARNING = 1
) (
    input  wire                    clk,
    input  wire                    rst,

    // lookups: one per clock, result exactly LOOKUP_LATENCY clocks later, in order
    input  wire                    lookup_valid,
    input  wire [KEY_WIDTH-1:0]    lookup_key,
    input  wire [TAG_WIDTH-1:0]    lookup_tag,
    input  wire [3:0]              lookup_flags,   // the frame's TCP {SYN, ACK, FIN, RST}
    output wire                    result_valid,
    output wire                    result_hit,
    output wire [ACTION_WIDTH-1:0] result_action,
    output wire [TAG_WIDTH-1:0]    result_tag,

    // commands (op: 1 insert, 2 delete, 3 lookup, 4 read slot, 5 clear)
    input  wire                    cmd_valid,
    output wire                    cmd_ready,
    input  wire [2:0]              cmd_op,
    input  wire [KEY_WIDTH-1:0]    cmd_key,
    input  wire [ACTION_WIDTH-1:0] cmd_action,
    input  wire [SLOT_WIDTH-1:0]   cmd_slot,
    input  wire [4:0]              cmd_meta,       // insert: {origin, state[2], class[2]}
    output wire                    cmd_done,
    output wire [1:0]              cmd_status,
    output wire                    cmd_res_valid,
    output wire [KEY_WIDTH-1:0]    cmd_res_key,
    output wire [ACTION_WIDTH-1:0] cmd_res_action,
    output wire [SLOT_WIDTH-1:0]   cmd_res_slot,
    output wire [31:0]             cmd_res_hits,
    output wire [31:0]             cmd_res_meta,   // as the RES_META register
    output wire [15:0]             cmd_res_moves,
    output wire [15:0]             count,
    output wire [7:0]              stash_used,
    output wire [7:0]              lookup_latency,

    // learning and aging
    input  wire [22:0]             now_ms,         // stamp of hits and inserts
    output wire                    emb_leave       // a hit took a learned entry out of embryonic
);

localparam DEPTH = ENTRIES / WAYS;
localparam IDX_W = $clog2(DEPTH);
localparam WAY_W = $clog2(WAYS);
localparam STASH_W = STASH > 1 ? $clog2(STASH) : 1;
localparam ENT_W = 1 + KEY_WIDTH + ACTION_WIDTH;
// counter word: {meta[27:0], hits[31:0]} with LEARNING, else hits only;
// meta = {origin, state[1:0], class[1:0], stamp[22:0]}
localparam CNT_W = LEARNING != 0 ? 60 : 32;
localparam PATH_N = MAX_MOVES + 1;          // path slots S1..S(n+1)
localparam PATH_W = $clog2(MAX_MOVES + 2);  // 0..MAX_MOVES+1
localparam DRAIN_W = $clog2(STASH + 1);
localparam WALK_TRIES = 8;                  // random walks per insert before the stash
localparam [7:0] LATENCY = 8'd4;

localparam [IDX_W-1:0] LAST_IDX = {IDX_W{1'b1}};  // DEPTH - 1
localparam [WAY_W-1:0] LAST_WAY = {WAY_W{1'b1}};  // WAYS - 1
localparam integer STASH_BASE_I = ENTRIES;
localparam integer STASH_END_I = ENTRIES + STASH;
localparam integer STASH_I = STASH;
localparam integer MAX_MOVES_I = MAX_MOVES;
localparam [SLOT_WIDTH-1:0] STASH_BASE = STASH_BASE_I[SLOT_WIDTH-1:0];
localparam [SLOT_WIDTH:0] STASH_END = STASH_END_I[SLOT_WIDTH:0];
localparam [DRAIN_W-1:0] DRAIN_END = STASH_I[DRAIN_W-1:0];
localparam [PATH_W-1:0] PATH_MAX = MAX_MOVES_I[PATH_W-1:0];

// command ops and status codes: flow.COMMAND's OP values and the command status codes
/* verilator lint_off UNUSEDPARAM */
`include "sipnic_regs.vh"
/* verilator lint_on UNUSEDPARAM */

localparam [2:0]
    CMD_INSERT = FLD_FLOW_COMMAND_OP_INSERT[2:0],
    CMD_DELETE = FLD_FLOW_COMMAND_OP_DELETE[2:0],
    CMD_LOOKUP = FLD_FLOW_COMMAND_OP_LOOKUP[2:0],
    CMD_READ = FLD_FLOW_COMMAND_OP_READ_SLOT[2:0],
    CMD_CLEAR = FLD_FLOW_COMMAND_OP_CLEAR[2:0];

localparam [1:0]
    KSRC_CMD = 2'd0,    // cmd_key_reg
    KSRC_SEL = 2'd1,    // key_pick (loaded into op_key)
    KSRC_OP = 2'd2;     // op_key_reg as it is

localparam [1:0]
    CNT_SRC_ZERO = 2'd0,
    CNT_SRC_WAY = 2'd1,
    CNT_SRC_STASH = 2'd2;

localparam [4:0]
    STATE_CLEAR = 5'd0,
    STATE_CLEAR_END = 5'd1,
    STATE_IDLE = 5'd2,
    STATE_INS_PROBE = 5'd3,
    STATE_WALK = 5'd4,
    STATE_MV_READ = 5'd5,
    STATE_MV_WRITE = 5'd6,
    STATE_INS_WRITE = 5'd7,
    STATE_DEL_PROBE = 5'd8,
    STATE_DEL_WRITE = 5'd9,
    STATE_DRAIN_NEXT = 5'd10,
    STATE_DRAIN_PROBE = 5'd11,
    STATE_DRAIN_MOVE = 5'd12,
    STATE_DRAIN_CLR = 5'd13,
    STATE_LOOKUP = 5'd14,
    STATE_READ = 5'd15,
    STATE_DRAIN_READ = 5'd16,
    STATE_BAD = 5'd17,
    STATE_WALK_SEL = 5'd18,
    STATE_READ_KEY = 5'd19;

initial begin
    if (WAYS < 2 || (WAYS & (WAYS - 1)) != 0) begin
        $error("Error: WAYS must be a power of two >= 2 (instance %m)");
        $finish;
    end
    if ((ENTRIES & (ENTRIES - 1)) != 0 || ENTRIES < 2 * WAYS) begin
        $error("Error: ENTRIES must be a power of two >= 2*WAYS (instance %m)");
        $finish;
    end
    if (STASH < 1 || STASH > 255) begin
        $error("Error: STASH must be 1..255 (instance %m)");
        $finish;
    end
    if (ENTRIES + STASH > 65535) begin
        $error("Error: ENTRIES+STASH must fit the 16-bit count (instance %m)");
        $finish;
    end
    if (MAX_MOVES < 1 || MAX_MOVES > 255) begin
        $error("Error: MAX_MOVES must be 1..255 (instance %m)");
        $finish;
    end
    if (SLOT_WIDTH < $clog2(ENTRIES + STASH)) begin
        $error("Error: SLOT_WIDTH too small for ENTRIES+STASH slots (instance %m)");
        $finish;
    end
end

// loop variables, one set per always block
integer fp, pp, cw, cs, hw, rw, rs, ss, fw, fs;

// ---------------------------------------------------------------------------------------
// Command FSM state and its operation descriptor (consumed by the pipeline at c0)

reg [4:0] state_reg = STATE_CLEAR, state_next;

reg                    op_req_reg = 1'b0, op_req_next;        // op waiting for a free clock
reg [KEY_WIDTH-1:0]    op_key_reg = {KEY_WIDTH{1'b0}};
reg                    op_key_ld;                             // op_key <= s3_sel_key
reg                    op_kcmd_reg = 1'b0, op_kcmd_next;      // the op's key is cmd_key_reg
reg [ACTION_WIDTH-1:0] op_act_reg = {ACTION_WIDTH{1'b0}}, op_act_next;
reg                    op_hash_reg = 1'b0, op_hash_next;      // read buckets hash(op_key)...
reg [IDX_W-1:0]        op_rd_idx_reg = {IDX_W{1'b0}}, op_rd_idx_next; // ...else this one
reg                    op_wr_reg = 1'b0, op_wr_next;          // write an entry
reg                    op_wr_all_reg = 1'b0, op_wr_all_next;  // into every way (clear)
reg                    op_wr_stash_reg = 1'b0, op_wr_stash_next; // into the stash
reg [WAY_W-1:0]        op_wr_way_reg = {WAY_W{1'b0}}, op_wr_way_next;
reg [IDX_W-1:0]        op_wr_idx_reg = {IDX_W{1'b0}}, op_wr_idx_next;
reg [STASH_W-1:0]      op_wr_sidx_reg = {STASH_W{1'b0}}, op_wr_sidx_next;
reg                    op_wr_vld_reg = 1'b0, op_wr_vld_next;  // valid bit written
reg                    op_cnt_en_reg = 1'b0, op_cnt_en_next;        // write the entry's counter
reg [1:0]              op_cnt_src_reg = CNT_SRC_ZERO, op_cnt_src_next;
reg [WAY_W-1:0]        op_cnt_way_reg = {WAY_W{1'b0}}, op_cnt_way_next; // at op_rd_idx
reg [STASH_W-1:0]      op_cnt_sidx_reg = {STASH_W{1'b0}}, op_cnt_sidx_next;
reg [WAY_W-1:0]        op_sel_way_reg = {WAY_W{1'b0}}, op_sel_way_next; // read: this way...
reg                    op_sel_stash_reg = 1'b0, op_sel_stash_next; // ...or this stash entry
reg [STASH_W-1:0]      op_sel_sidx_reg = {STASH_W{1'b0}}, op_sel_sidx_next;
reg                    op_res_reg = 1'b0, op_res_next;        // the FSM waits for its result

reg [KEY_WIDTH-1:0]    cmd_key_reg = {KEY_WIDTH{1'b0}};
reg                    cmd_accept;
reg [ACTION_WIDTH-1:0] cmd_act_reg = {ACTION_WIDTH{1'b0}}, cmd_act_next;
reg [4:0]              cmd_meta_reg = 5'd0, cmd_meta_next;
reg [SLOT_WIDTH-1:0]   cmd_slot_reg = {SLOT_WIDTH{1'b0}}, cmd_slot_next;

reg [PATH_N*WAY_W-1:0] path_way_reg = {PATH_N*WAY_W{1'b0}};
reg [PATH_N*IDX_W-1:0] path_idx_reg = {PATH_N*IDX_W{1'b0}};
reg [PATH_N-1:0]       path_vld_reg = {PATH_N{1'b0}};         // path entries in use
reg [WAY_W+IDX_W-1:0]  path_mem [0:PATH_N-1];                 // a copy, read by index
reg                    path_we;                               // path[path_len] <= pick
reg                    path_clr;
reg [WAY_W-1:0]        kway_reg = {WAY_W{1'b0}}, kway_next;   // way of key_pick; the walk's
reg [WAY_W-1:0]        sel_k_reg = {WAY_W{1'b0}}, sel_k_next; // victim candidate (k-th try)
reg [PATH_W-1:0]       path_len_reg = {PATH_W{1'b0}}, path_len_next;
reg [PATH_W-1:0]       src_reg = {PATH_W{1'b0}}, src_next;    // next move: path[src] -> dst
reg                    mv_last_reg = 1'b0, mv_last_next;      // the move in flight is path[0]'s
reg [WAY_W-1:0]        dst_way_reg = {WAY_W{1'b0}}, dst_way_next; // its destination
reg [IDX_W-1:0]        dst_idx_reg = {IDX_W{1'b0}}, dst_idx_next;
reg [WAY_W-1:0]        last_way_reg = {WAY_W{1'b0}};          // path[path_len-1]
reg [IDX_W-1:0]        last_idx_reg = {IDX_W{1'b0}};
reg [3:0]              tries_reg = 4'd0, tries_next;
reg [15:0]             moves_reg = 16'd0, moves_next;
reg                    fin_stash_reg = 1'b0, fin_stash_next;  // insert went to the stash
reg                    del_stash_reg = 1'b0, del_stash_next;  // delete hit the stash
reg [DRAIN_W-1:0]      drain_reg = {DRAIN_W{1'b0}}, drain_next;
reg [IDX_W-1:0]        clr_idx_reg = {IDX_W{1'b0}}, clr_idx_next;
reg                    clr_cmd_reg = 1'b0, clr_cmd_next;      // sweep answers a command
reg                    stash_clr;

reg [15:0]             count_reg = 16'd0, count_next;
reg [7:0]              stash_used_reg = 8'd0, stash_used_next;
reg [31:0]             lfsr_reg = 32'h1, lfsr_next;

reg                    done_reg = 1'b0, done_next;
reg [1:0]              status_reg = STATUS_OK, status_next;
reg                    res_valid_reg = 1'b0, res_valid_next;
reg [KEY_WIDTH-1:0]    res_key_reg = {KEY_WIDTH{1'b0}};
reg                    res_key_ld, res_key_sel, res_key_zero; // load: 0 / op_key / cmd key
reg [ACTION_WIDTH-1:0] res_act_reg = {ACTION_WIDTH{1'b0}}, res_act_next;
reg [SLOT_WIDTH-1:0]   res_slot_reg = {SLOT_WIDTH{1'b0}}, res_slot_next;
reg [CNT_W-1:0]        res_hits_reg = {CNT_W{1'b0}}, res_hits_next;
reg [15:0]             res_moves_reg = 16'd0, res_moves_next;

// ---------------------------------------------------------------------------------------
// Stash (registers)

reg [STASH-1:0]              stash_valid_reg = {STASH{1'b0}};
reg [STASH*KEY_WIDTH-1:0]    stash_key_reg = {STASH*KEY_WIDTH{1'b0}};
reg [STASH*ACTION_WIDTH-1:0] stash_act_reg = {STASH*ACTION_WIDTH{1'b0}};
reg [STASH*CNT_W-1:0]        stash_cnt_reg = {STASH*CNT_W{1'b0}};
// a copy of the keys in distributed RAM, read by index (the registers feed the compares)
reg [KEY_WIDTH-1:0]          stash_key_mem [0:STASH-1];

integer si;

initial begin
    for (si = 0; si < STASH; si = si + 1) begin
        stash_key_mem[si] = {KEY_WIDTH{1'b0}};
    end
end

// ---------------------------------------------------------------------------------------
// Pipeline

// c0
wire                   op_fire = op_req_reg && !lookup_valid;
wire [KEY_WIDTH-1:0]   key_in = lookup_valid ? lookup_key : op_kcmd_reg ? cmd_key_reg : op_key_reg;
wire [WAYS*IDX_W-1:0]  hash_idx;

// c1
reg                    s1_lk_reg = 1'b0, s1_op_reg = 1'b0;
reg [KEY_WIDTH-1:0]    s1_key_reg = {KEY_WIDTH{1'b0}};
reg [TAG_WIDTH-1:0]    s1_tag_reg = {TAG_WIDTH{1'b0}};
reg [WAYS*IDX_W-1:0]   s1_idx_reg = {WAYS*IDX_W{1'b0}};
reg [ACTION_WIDTH-1:0] s1_act_reg = {ACTION_WIDTH{1'b0}};
reg                    s1_wr_reg = 1'b0, s1_wr_all_reg = 1'b0, s1_wr_stash_reg = 1'b0;
reg [WAY_W-1:0]        s1_wr_way_reg = {WAY_W{1'b0}};
reg [IDX_W-1:0]        s1_wr_idx_reg = {IDX_W{1'b0}};
reg [STASH_W-1:0]      s1_wr_sidx_reg = {STASH_W{1'b0}};
reg                    s1_wr_vld_reg = 1'b0;
reg                    s1_cnt_en_reg = 1'b0;
reg [1:0]              s1_cnt_src_reg = CNT_SRC_ZERO;
reg [WAY_W-1:0]        s1_cnt_way_reg = {WAY_W{1'b0}};
reg [STASH_W-1:0]      s1_cnt_sidx_reg = {STASH_W{1'b0}};
reg [WAY_W-1:0]        s1_sel_way_reg = {WAY_W{1'b0}};
reg                    s1_sel_stash_reg = 1'b0;
reg [STASH_W-1:0]      s1_sel_sidx_reg = {STASH_W{1'b0}};
reg                    s1_res_reg = 1'b0;
reg [3:0]              s1_flags_reg = 4'd0;

// c2
reg                    s2_lk_reg = 1'b0, s2_op_reg = 1'b0;
reg [KEY_WIDTH-1:0]    s2_key_reg = {KEY_WIDTH{1'b0}};
reg [TAG_WIDTH-1:0]    s2_tag_reg = {TAG_WIDTH{1'b0}};
reg [WAYS*IDX_W-1:0]   s2_idx_reg = {WAYS*IDX_W{1'b0}};
reg                    s2_wr_stash_reg = 1'b0;
reg [WAY_W-1:0]        s2_wr_way_reg = {WAY_W{1'b0}};
reg [IDX_W-1:0]        s2_wr_idx_reg = {IDX_W{1'b0}};
reg [STASH_W-1:0]      s2_wr_sidx_reg = {STASH_W{1'b0}};
reg                    s2_cnt_en_reg = 1'b0;
reg [1:0]              s2_cnt_src_reg = CNT_SRC_ZERO;
reg [WAY_W-1:0]        s2_cnt_way_reg = {WAY_W{1'b0}};
reg [STASH_W-1:0]      s2_cnt_sidx_reg = {STASH_W{1'b0}};
reg [WAY_W-1:0]        s2_sel_way_reg = {WAY_W{1'b0}};
reg                    s2_sel_stash_reg = 1'b0;
reg [STASH_W-1:0]      s2_sel_sidx_reg = {STASH_W{1'b0}};
reg                    s2_res_reg = 1'b0;
reg [3:0]              s2_flags_reg = 4'd0;
wire [WAYS*ENT_W-1:0]  ent_rd;
wire [WAYS*CNT_W-1:0]  cnt_rd;
reg [WAYS-1:0]         match;
reg [STASH-1:0]        smatch;
reg [WAYS*CNT_W-1:0]   cnt_fwd;

// c3
reg                    s3_lk_reg = 1'b0, s3_op_reg = 1'b0;
reg [TAG_WIDTH-1:0]    s3_tag_reg = {TAG_WIDTH{1'b0}};
reg [WAYS*IDX_W-1:0]   s3_idx_reg = {WAYS*IDX_W{1'b0}};
reg [WAYS-1:0]         s3_match_reg = {WAYS{1'b0}};
reg [WAYS-1:0]         s3_vld_reg = {WAYS{1'b0}};
reg [WAYS*ACTION_WIDTH-1:0] s3_act_reg = {WAYS*ACTION_WIDTH{1'b0}};
reg [WAYS*CNT_W-1:0]   s3_hits_reg = {WAYS*CNT_W{1'b0}};
reg [STASH-1:0]        s3_smatch_reg = {STASH{1'b0}};
reg [WAYS*KEY_WIDTH-1:0] s3_key_reg = {WAYS*KEY_WIDTH{1'b0}}; // the last op's buckets, held
reg [WAYS*IDX_W-1:0]   s3_op_idx_reg = {WAYS*IDX_W{1'b0}};   // for the FSM
reg                    s3_wr_stash_reg = 1'b0;
reg [WAY_W-1:0]        s3_wr_way_reg = {WAY_W{1'b0}};
reg [IDX_W-1:0]        s3_wr_idx_reg = {IDX_W{1'b0}};
reg [STASH_W-1:0]      s3_wr_sidx_reg = {STASH_W{1'b0}};
reg                    s3_cnt_en_reg = 1'b0;
reg [1:0]              s3_cnt_src_reg = CNT_SRC_ZERO;
reg [WAY_W-1:0]        s3_cnt_way_reg = {WAY_W{1'b0}};
reg [STASH_W-1:0]      s3_cnt_sidx_reg = {STASH_W{1'b0}};
reg                    s3_res_reg = 1'b0;
reg [3:0]              s3_flags_reg = 4'd0;
reg                    emb_leave_reg = 1'b0;
reg                    emb_leave_w;
reg [CNT_W-1:0]        ins_word;           // counter word of an inserted entry
reg [WAYS*CNT_W-1:0]   cnt_cur;            // exact counter of each way's bucket
reg [CNT_W-1:0]        cnt_src_val;        // counter an op writes
reg                    rstash;             // the FSM's result entry: a stash entry...
reg [STASH_W-1:0]      rsidx;
reg [WAY_W-1:0]        rway;               // ...else this way's bucket
reg [STASH_W-1:0]      scnt_idx;           // one read port on the stash counters...
reg [WAY_W-1:0]        wcnt_way;           // ...and one on the ways' current counters
reg [CNT_W-1:0]        scnt_rd, wcnt_rd;
reg [WAYS-1:0]         cnt_we;
reg [WAYS*IDX_W-1:0]   cnt_wa;
reg [WAYS*CNT_W-1:0]   cnt_wd;

// counter write done at the last clock edge, per way (forwarding)
reg [WAYS-1:0]         lw_we_reg = {WAYS{1'b0}};
reg [WAYS*IDX_W-1:0]   lw_addr_reg = {WAYS*IDX_W{1'b0}};
reg [WAYS*CNT_W-1:0]   lw_data_reg = {WAYS*CNT_W{1'b0}};

// c4
reg                    result_valid_reg = 1'b0;
reg                    result_hit_reg = 1'b0;
reg [ACTION_WIDTH-1:0] result_action_reg = {ACTION_WIDTH{1'b0}};
reg [TAG_WIDTH-1:0]    result_tag_reg = {TAG_WIDTH{1'b0}};

assign result_valid = result_valid_reg;
assign result_hit = result_hit_reg;
assign result_action = result_action_reg;
assign result_tag = result_tag_reg;

assign cmd_ready = state_reg == STATE_IDLE && !op_req_reg;
assign cmd_done = done_reg;
assign cmd_status = status_reg;
assign cmd_res_valid = res_valid_reg;
assign cmd_res_key = res_key_reg;
assign cmd_res_action = res_act_reg;
assign cmd_res_slot = res_slot_reg;
assign cmd_res_hits = res_hits_reg[31:0];
assign cmd_res_meta = meta_word(res_hits_reg, now_ms);
assign emb_leave = emb_leave_reg;

localparam [1:0] ST_EMBRYONIC = 2'd0, ST_ESTABLISHED = 2'd1, ST_CLOSING = 2'd2;

// a lookup hit on a counter word: hits + 1, stamp = now, and a learned entry's state
// (closing stays; FIN or RST -> closing; embryonic and not SYN-without-ACK -> established)
/* verilator lint_off UNUSEDSIGNAL */
function [CNT_W-1:0] hit_word(input [CNT_W-1:0] w, input [3:0] fl, input [22:0] now);
    reg [59:0] x;
    begin
        x = 60'd0;
        x[CNT_W-1:0] = w;
        x[31:0] = x[31:0] + 1'b1;
        x[54:32] = now;
        if (x[59] && x[58:57] != ST_CLOSING) begin
            if (fl[1] || fl[0]) begin
                x[58:57] = ST_CLOSING;
            end else if (x[58:57] == ST_EMBRYONIC && !(fl[3] && !fl[2])) begin
                x[58:57] = ST_ESTABLISHED;
            end
        end
        hit_word = x[CNT_W-1:0];
    end
endfunction

// a hit on w takes a learned entry out of embryonic
function leaves_emb(input [CNT_W-1:0] w, input [3:0] fl);
    reg [59:0] x;
    begin
        x = 60'd0;
        x[CNT_W-1:0] = w;
        leaves_emb = LEARNING != 0 && x[59] && x[58:57] == ST_EMBRYONIC
            && (fl[1] || fl[0] || !(fl[3] && !fl[2]));
    end
endfunction

// RES_META of a counter word: {origin, 0, state, 00, class, 0, idle}
function [31:0] meta_word(input [CNT_W-1:0] w, input [22:0] now);
    reg [59:0] x;
    begin
        x = 60'd0;
        x[CNT_W-1:0] = w;
        meta_word = 32'd0;
        if (LEARNING != 0) begin
            meta_word = {x[59], 1'b0, x[58:57], 2'b00, x[56:55], 1'b0, now - x[54:32]};
        end
    end
endfunction
/* verilator lint_on UNUSEDSIGNAL */
assign cmd_res_moves = res_moves_reg;
assign count = count_reg;
assign stash_used = stash_used_reg;
assign lookup_latency = LATENCY;

// per-way hash and RAMs
genvar g;

generate
    for (g = 0; g < WAYS; g = g + 1) begin : way

        sipnic_flow_hash #(
            .KEY_WIDTH(KEY_WIDTH),
            .HASH_WIDTH(IDX_W),
            .SEED(g)
        )
        hash_inst (
            .key(key_in),
            .hash(hash_idx[g*IDX_W +: IDX_W])
        );

        // entries: written by ops in c1
        sipnic_ram_sdp #(
            .WIDTH(ENT_W),
            .DEPTH(DEPTH),
            .ADDR_WIDTH(IDX_W)
        )
        ent_ram_inst (
            .clk(clk),
            .wr_en(s1_op_reg && s1_wr_reg && !s1_wr_stash_reg
                && (s1_wr_all_reg || s1_wr_way_reg == g)),
            .wr_addr(s1_wr_idx_reg),
            .wr_data({s1_wr_vld_reg, s1_key_reg, s1_act_reg}),
            .rd_en(1'b1),
            .rd_addr(s1_idx_reg[g*IDX_W +: IDX_W]),
            .rd_data(ent_rd[g*ENT_W +: ENT_W])
        );

        // hit counters: written at the end of c3
        sipnic_ram_sdp #(
            .WIDTH(CNT_W),
            .DEPTH(DEPTH),
            .ADDR_WIDTH(IDX_W)
        )
        cnt_ram_inst (
            .clk(clk),
            .wr_en(cnt_we[g]),
            .wr_addr(cnt_wa[g*IDX_W +: IDX_W]),
            .wr_data(cnt_wd[g*CNT_W +: CNT_W]),
            .rd_en(1'b1),
            .rd_addr(s1_idx_reg[g*IDX_W +: IDX_W]),
            .rd_data(cnt_rd[g*CNT_W +: CNT_W])
        );

    end
endgenerate

// c2: key compares, two key bits per LUT4 (kept, so synthesis does not spread the XORs
// one bit per LUT), then an OR tree; written as vector operations (fast in simulation)
localparam KEY_PAIRS = (KEY_WIDTH + 1) / 2;
localparam [2*KEY_PAIRS-1:0] EVEN_MASK = {KEY_PAIRS{2'b01}};

wire [2*KEY_PAIRS-1:0] cmp_key = {{2*KEY_PAIRS-KEY_WIDTH{1'b0}}, s2_key_reg};
wire [WAYS-1:0]        way_key_eq;
wire [STASH-1:0]       stash_key_eq;

generate
    for (g = 0; g < WAYS + STASH; g = g + 1) begin : key_cmp
        wire [2*KEY_PAIRS-1:0] k;
        wire [2*KEY_PAIRS-1:0] diff = k ^ cmp_key;
        // bit 2q: key bits 2q or 2q+1 differ; odd bits are zero
        (* keep *) wire [2*KEY_PAIRS-1:0] pair_ne = (diff | (diff >> 1)) & EVEN_MASK;

        if (g < WAYS) begin : way_src
            assign k = {{2*KEY_PAIRS-KEY_WIDTH{1'b0}}, ent_rd[g*ENT_W + ACTION_WIDTH +: KEY_WIDTH]};
            assign way_key_eq[g] = ~|pair_ne;
        end else begin : stash_src
            assign k = {{2*KEY_PAIRS-KEY_WIDTH{1'b0}},
                stash_key_reg[(g-WAYS)*KEY_WIDTH +: KEY_WIDTH]};
            assign stash_key_eq[g-WAYS] = ~|pair_ne;
        end
    end
endgenerate

// c2: compares, forwarding
always @* begin
    for (cw = 0; cw < WAYS; cw = cw + 1) begin
        match[cw] = ent_rd[cw*ENT_W + ENT_W - 1] && way_key_eq[cw];
        if (lw_we_reg[cw] && lw_addr_reg[cw*IDX_W +: IDX_W] == s2_idx_reg[cw*IDX_W +: IDX_W]) begin
            cnt_fwd[cw*CNT_W +: CNT_W] = lw_data_reg[cw*CNT_W +: CNT_W];
        end else begin
            cnt_fwd[cw*CNT_W +: CNT_W] = cnt_rd[cw*CNT_W +: CNT_W];
        end
    end
    for (cs = 0; cs < STASH; cs = cs + 1) begin
        smatch[cs] = stash_valid_reg[cs] && stash_key_eq[cs];
    end
end

// c3: counters (lookup hits +1 on every matching copy; ops write their entry's counter)
always @* begin
    for (hw = 0; hw < WAYS; hw = hw + 1) begin
        if (lw_we_reg[hw] && lw_addr_reg[hw*IDX_W +: IDX_W] == s3_idx_reg[hw*IDX_W +: IDX_W]) begin
            cnt_cur[hw*CNT_W +: CNT_W] = lw_data_reg[hw*CNT_W +: CNT_W];
        end else begin
            cnt_cur[hw*CNT_W +: CNT_W] = s3_hits_reg[hw*CNT_W +: CNT_W];
        end
    end
    // an op writing a counter reads its source; otherwise the FSM reads its result's
    if (s3_op_reg && s3_cnt_en_reg) begin
        scnt_idx = s3_cnt_sidx_reg;
        wcnt_way = s3_cnt_way_reg;
    end else begin
        scnt_idx = rsidx;
        wcnt_way = rway;
    end
    scnt_rd = stash_cnt_reg[scnt_idx*CNT_W +: CNT_W];
    wcnt_rd = cnt_cur[wcnt_way*CNT_W +: CNT_W];
    begin : ins
        /* verilator lint_off UNUSEDSIGNAL */
        reg [59:0] x;
        /* verilator lint_on UNUSEDSIGNAL */
        x = {cmd_meta_reg, now_ms, 32'd0};
        ins_word = x[CNT_W-1:0];
    end
    // one embryonic-leave per lookup, whichever copies (a moving entry's two) it hits
    emb_leave_w = 1'b0;
    for (hw = 0; hw < WAYS; hw = hw + 1) begin
        if (s3_lk_reg && s3_match_reg[hw] && leaves_emb(cnt_cur[hw*CNT_W +: CNT_W], s3_flags_reg)) begin
            emb_leave_w = 1'b1;
        end
    end
    for (hw = 0; hw < STASH; hw = hw + 1) begin
        if (s3_lk_reg && s3_smatch_reg[hw] && leaves_emb(stash_cnt_reg[hw*CNT_W +: CNT_W], s3_flags_reg)) begin
            emb_leave_w = 1'b1;
        end
    end
    case (s3_cnt_src_reg)
        CNT_SRC_WAY: cnt_src_val = wcnt_rd;
        CNT_SRC_STASH: cnt_src_val = scnt_rd;
        default: cnt_src_val = ins_word;
    endcase
    for (hw = 0; hw < WAYS; hw = hw + 1) begin
        if (s3_lk_reg) begin
            cnt_we[hw] = s3_match_reg[hw];
            cnt_wa[hw*IDX_W +: IDX_W] = s3_idx_reg[hw*IDX_W +: IDX_W];
            cnt_wd[hw*CNT_W +: CNT_W] = hit_word(cnt_cur[hw*CNT_W +: CNT_W], s3_flags_reg, now_ms);
        end else begin
            cnt_we[hw] = s3_op_reg && s3_cnt_en_reg && !s3_wr_stash_reg
                && s3_wr_way_reg == hw[WAY_W-1:0];
            cnt_wa[hw*IDX_W +: IDX_W] = s3_wr_idx_reg;
            cnt_wd[hw*CNT_W +: CNT_W] = cnt_src_val;
        end
    end
end

always @(posedge clk) begin
    // c0 -> c1
    s1_lk_reg <= lookup_valid;
    s1_op_reg <= op_fire;
    s1_key_reg <= key_in;
    s1_tag_reg <= lookup_tag;
    s1_idx_reg <= (lookup_valid || op_hash_reg) ? hash_idx : {WAYS{op_rd_idx_reg}};
    s1_act_reg <= op_act_reg;
    s1_wr_reg <= op_wr_reg;
    s1_wr_all_reg <= op_wr_all_reg;
    s1_wr_stash_reg <= op_wr_stash_reg;
    s1_wr_way_reg <= op_wr_way_reg;
    s1_wr_idx_reg <= op_wr_idx_reg;
    s1_wr_sidx_reg <= op_wr_sidx_reg;
    s1_wr_vld_reg <= op_wr_vld_reg;
    s1_cnt_en_reg <= op_cnt_en_reg;
    s1_cnt_src_reg <= op_cnt_src_reg;
    s1_cnt_way_reg <= op_cnt_way_reg;
    s1_cnt_sidx_reg <= op_cnt_sidx_reg;
    s1_sel_way_reg <= op_sel_way_reg;
    s1_sel_stash_reg <= op_sel_stash_reg;
    s1_sel_sidx_reg <= op_sel_sidx_reg;
    s1_res_reg <= op_res_reg;
    s1_flags_reg <= lookup_flags;

    // c1 -> c2 (the RAMs read s1_idx)
    s2_lk_reg <= s1_lk_reg;
    s2_op_reg <= s1_op_reg;
    s2_key_reg <= s1_key_reg;
    s2_tag_reg <= s1_tag_reg;
    s2_idx_reg <= s1_idx_reg;
    s2_wr_stash_reg <= s1_wr_stash_reg;
    s2_wr_way_reg <= s1_wr_way_reg;
    s2_wr_idx_reg <= s1_wr_idx_reg;
    s2_wr_sidx_reg <= s1_wr_sidx_reg;
    s2_cnt_en_reg <= s1_cnt_en_reg;
    s2_cnt_src_reg <= s1_cnt_src_reg;
    s2_cnt_way_reg <= s1_cnt_way_reg;
    s2_cnt_sidx_reg <= s1_cnt_sidx_reg;
    s2_sel_way_reg <= s1_sel_way_reg;
    s2_sel_stash_reg <= s1_sel_stash_reg;
    s2_sel_sidx_reg <= s1_sel_sidx_reg;
    s2_res_reg <= s1_res_reg;
    s2_flags_reg <= s1_flags_reg;

    // c2 -> c3
    s3_lk_reg <= s2_lk_reg;
    s3_op_reg <= s2_op_reg;
    s3_tag_reg <= s2_tag_reg;
    s3_idx_reg <= s2_idx_reg;
    s3_match_reg <= match;
    for (rw = 0; rw < WAYS; rw = rw + 1) begin
        s3_vld_reg[rw] <= ent_rd[rw*ENT_W + ENT_W - 1];
        s3_act_reg[rw*ACTION_WIDTH +: ACTION_WIDTH] <= ent_rd[rw*ENT_W +: ACTION_WIDTH];
    end
    s3_hits_reg <= cnt_fwd;
    s3_smatch_reg <= smatch;
    if (s2_op_reg && s2_res_reg) begin
        for (rw = 0; rw < WAYS; rw = rw + 1) begin
            s3_key_reg[rw*KEY_WIDTH +: KEY_WIDTH] <= ent_rd[rw*ENT_W + ACTION_WIDTH +: KEY_WIDTH];
        end
        // a stash read takes way 0's place
        if (s2_sel_stash_reg) begin
            s3_key_reg[0 +: KEY_WIDTH] <= stash_key_mem[s2_sel_sidx_reg];
        end
        s3_op_idx_reg <= s2_idx_reg;
    end
    s3_wr_stash_reg <= s2_wr_stash_reg;
    s3_wr_way_reg <= s2_wr_way_reg;
    s3_wr_idx_reg <= s2_wr_idx_reg;
    s3_wr_sidx_reg <= s2_wr_sidx_reg;
    s3_cnt_en_reg <= s2_cnt_en_reg;
    s3_cnt_src_reg <= s2_cnt_src_reg;
    s3_cnt_way_reg <= s2_cnt_way_reg;
    s3_cnt_sidx_reg <= s2_cnt_sidx_reg;
    s3_res_reg <= s2_res_reg;
    s3_flags_reg <= s2_flags_reg;
    emb_leave_reg <= emb_leave_w;

    // c3: counter writes (the RAM takes cnt_we/cnt_wa/cnt_wd at this edge)
    lw_we_reg <= cnt_we;
    lw_addr_reg <= cnt_wa;
    lw_data_reg <= cnt_wd;

    // c3 -> c4: lookup result (lowest matching way, then lowest stash entry)
    result_valid_reg <= s3_lk_reg;
    result_hit_reg <= |s3_match_reg || |s3_smatch_reg;
    result_action_reg <= {ACTION_WIDTH{1'b0}};
    for (rs = STASH - 1; rs >= 0; rs = rs - 1) begin
        if (s3_smatch_reg[rs]) begin
            result_action_reg <= stash_act_reg[rs*ACTION_WIDTH +: ACTION_WIDTH];
        end
    end
    for (rw = WAYS - 1; rw >= 0; rw = rw - 1) begin
        if (s3_match_reg[rw]) begin
            result_action_reg <= s3_act_reg[rw*ACTION_WIDTH +: ACTION_WIDTH];
        end
    end
    result_tag_reg <= s3_tag_reg;

    if (rst) begin
        s1_lk_reg <= 1'b0;
        s1_op_reg <= 1'b0;
        s2_lk_reg <= 1'b0;
        s2_op_reg <= 1'b0;
        s3_lk_reg <= 1'b0;
        s3_op_reg <= 1'b0;
        lw_we_reg <= {WAYS{1'b0}};
        result_valid_reg <= 1'b0;
        emb_leave_reg <= 1'b0;
    end
end

// stash: entries written by ops in c1, counters at the end of c3 (as the RAMs); every
// entry has its own write enable (no variable part-selects of the wide stash vectors)
always @(posedge clk) begin
    for (ss = 0; ss < STASH; ss = ss + 1) begin
        if (s1_op_reg && s1_wr_reg && s1_wr_stash_reg && s1_wr_sidx_reg == ss[STASH_W-1:0]) begin
            stash_valid_reg[ss] <= s1_wr_vld_reg;
            stash_key_reg[ss*KEY_WIDTH +: KEY_WIDTH] <= s1_key_reg;
            stash_act_reg[ss*ACTION_WIDTH +: ACTION_WIDTH] <= s1_act_reg;
        end

        if (s3_op_reg && s3_cnt_en_reg && s3_wr_stash_reg && s3_wr_sidx_reg == ss[STASH_W-1:0]) begin
            stash_cnt_reg[ss*CNT_W +: CNT_W] <= cnt_src_val;
        end else if (s3_lk_reg && s3_smatch_reg[ss]) begin
            stash_cnt_reg[ss*CNT_W +: CNT_W] <= hit_word(stash_cnt_reg[ss*CNT_W +: CNT_W], s3_flags_reg, now_ms);
        end
    end

    if (s1_op_reg && s1_wr_reg && s1_wr_stash_reg) begin
        stash_key_mem[s1_wr_sidx_reg] <= s1_key_reg;
    end

    if (stash_clr) begin
        stash_valid_reg <= {STASH{1'b0}};
    end

    if (rst) begin
        stash_valid_reg <= {STASH{1'b0}};
    end
end

// ---------------------------------------------------------------------------------------
// Command FSM (acts on op results at c3)

wire res_evt = s3_op_reg && s3_res_reg;

reg                 match_any, smatch_any, free_any, sfree_any;
reg [WAY_W-1:0]     match_way, free_way;
reg [STASH_W-1:0]   smatch_idx, sfree_idx;
reg [STASH_W-1:0]   drain_idx;
reg [STASH_W-1:0]   slot_sidx;
reg [WAY_W-1:0]     slot_way;
reg [PATH_W-1:0]    path_prev;
reg [WAY_W-1:0]     pick_way;
reg [IDX_W-1:0]     pick_idx;
reg [WAY_W-1:0]     src_way;
reg [IDX_W-1:0]     src_idx;
reg [WAY_W-1:0]     cand_way;
reg [IDX_W-1:0]     cand_idx;
reg                 cand_on_path;
reg [WAY_W-1:0]     key_way;
reg [KEY_WIDTH-1:0] key_pick;
reg [ACTION_WIDTH-1:0] act_pick;
reg [CNT_W-1:0]     hits_pick;

always @* begin
    match_any = |s3_match_reg;
    smatch_any = |s3_smatch_reg;
    free_any = !(&s3_vld_reg);
    sfree_any = !(&stash_valid_reg);
    match_way = {WAY_W{1'b0}};
    free_way = {WAY_W{1'b0}};
    for (fw = WAYS - 1; fw >= 0; fw = fw - 1) begin
        if (s3_match_reg[fw]) begin
            match_way = fw[WAY_W-1:0];
        end
        if (!s3_vld_reg[fw]) begin
            free_way = fw[WAY_W-1:0];
        end
    end
    smatch_idx = {STASH_W{1'b0}};
    sfree_idx = {STASH_W{1'b0}};
    for (fs = STASH - 1; fs >= 0; fs = fs - 1) begin
        if (s3_smatch_reg[fs]) begin
            smatch_idx = fs[STASH_W-1:0];
        end
        if (!stash_valid_reg[fs]) begin
            sfree_idx = fs[STASH_W-1:0];
        end
    end
    drain_idx = drain_reg[STASH_W-1:0];
    slot_sidx = cmd_slot_reg[STASH_W-1:0] - STASH_BASE[STASH_W-1:0];
    slot_way = cmd_slot_reg[IDX_W +: WAY_W];
    // walk victim candidate (one way per clock, from a random start): off the path?
    cand_way = kway_reg;
    pick_way = state_reg == STATE_WALK_SEL ? cand_way : free_way;
    pick_idx = s3_op_idx_reg[pick_way*IDX_W +: IDX_W];
    cand_idx = pick_idx;
    cand_on_path = 1'b0;
    for (fp = 0; fp < MAX_MOVES; fp = fp + 1) begin
        if (path_vld_reg[fp] && path_way_reg[fp*WAY_W +: WAY_W] == cand_way
                && path_idx_reg[fp*IDX_W +: IDX_W] == cand_idx) begin
            cand_on_path = 1'b1;
        end
    end
    // the one entry a command's result reports: the slot read, else the probe's match
    if (state_reg == STATE_READ) begin
        rstash = cmd_slot_reg >= STASH_BASE;
        rsidx = slot_sidx;
        rway = slot_way;
    end else begin
        rstash = !match_any;
        rsidx = smatch_idx;
        rway = match_way;
    end
    // the one key the FSM takes from an op result: a way's (the candidate, else the way
    // read) or a stash entry's
    key_way = kway_reg;
    key_pick = s3_key_reg[key_way*KEY_WIDTH +: KEY_WIDTH];
    path_prev = path_len_reg - 1'b1;
    // the path's one read port
    {src_way, src_idx} = path_mem[src_reg];
end

// the result entry's action and counter
always @* begin
    if (rstash) begin
        act_pick = stash_act_reg[rsidx*ACTION_WIDTH +: ACTION_WIDTH];
        hits_pick = scnt_rd;
    end else begin
        act_pick = s3_act_reg[rway*ACTION_WIDTH +: ACTION_WIDTH];
        hits_pick = wcnt_rd;
    end
end

// a new op with everything off; the caller sets what it needs
task op_new;
    begin
        op_req_next = 1'b1;
        op_kcmd_next = 1'b0;
        op_hash_next = 1'b0;
        op_rd_idx_next = {IDX_W{1'b0}};
        op_wr_next = 1'b0;
        op_wr_all_next = 1'b0;
        op_wr_stash_next = 1'b0;
        op_wr_vld_next = 1'b0;
        op_cnt_en_next = 1'b0;
        op_cnt_src_next = CNT_SRC_ZERO;
        op_sel_stash_next = 1'b0;
        op_res_next = 1'b1;
    end
endtask

// the op's key: the command's, the entry the last op picked (s3_sel_key), or the op key kept
task op_key_src(input [1:0] ksrc);
    begin
        op_kcmd_next = ksrc == KSRC_CMD;
        if (ksrc == KSRC_SEL) begin
            op_key_ld = 1'b1;
        end
    end
endtask

// probe: read every way at hash(key)
task op_probe(input [1:0] ksrc);
    begin
        op_new();
        op_key_src(ksrc);
        op_hash_next = 1'b1;
    end
endtask

// write an entry into a bucket (its counter from cnt_src)
task op_write_way(input [WAY_W-1:0] t_way, input [IDX_W-1:0] t_idx, input [1:0] ksrc,
        input [ACTION_WIDTH-1:0] act, input vld, input [1:0] cnt_src);
    begin
        op_new();
        op_key_src(ksrc);
        op_act_next = act;
        op_wr_next = 1'b1;
        op_wr_way_next = t_way;
        op_wr_idx_next = t_idx;
        op_wr_vld_next = vld;
        op_cnt_en_next = vld;
        op_cnt_src_next = cnt_src;
    end
endtask

// write a stash entry (its counter from cnt_src)
task op_write_stash(input [STASH_W-1:0] sidx, input [1:0] ksrc,
        input [ACTION_WIDTH-1:0] act, input vld, input [1:0] cnt_src);
    begin
        op_new();
        op_key_src(ksrc);
        op_act_next = act;
        op_wr_next = 1'b1;
        op_wr_stash_next = 1'b1;
        op_wr_sidx_next = sidx;
        op_wr_vld_next = vld;
        op_cnt_en_next = vld;
        op_cnt_src_next = cnt_src;
    end
endtask

// read one bucket of one way (entry and counter); its key lands in s3_sel_key
task op_read(input [WAY_W-1:0] t_way, input [IDX_W-1:0] t_idx);
    begin
        op_new();
        op_rd_idx_next = t_idx;
        op_sel_way_next = t_way;
    end
endtask

// read one stash entry's key into s3_sel_key
task op_read_stash(input [STASH_W-1:0] sidx);
    begin
        op_new();
        op_sel_stash_next = 1'b1;
        op_sel_sidx_next = sidx;
        op_sel_way_next = {WAY_W{1'b0}};
    end
endtask

// this walk found no free bucket: another walk, else the stash, else full
task walk_fail;
    begin
        if (tries_reg != WALK_TRIES - 1) begin
            tries_next = tries_reg + 1'b1;
            path_len_next = {PATH_W{1'b0}};
            path_clr = 1'b1;
            op_probe(KSRC_CMD);
            state_next = STATE_INS_PROBE;
        end else if (sfree_any) begin
            op_write_stash(sfree_idx, KSRC_CMD, cmd_act_reg, 1'b1, CNT_SRC_ZERO);
            moves_next = 16'd0;
            fin_stash_next = 1'b1;
            state_next = STATE_INS_WRITE;
        end else begin
            res_none();
            res_moves_next = 16'd0;
            cmd_finish(STATUS_FULL);
        end
    end
endtask

task cmd_finish(input [1:0] status);
    begin
        done_next = 1'b1;
        status_next = status;
        state_next = STATE_IDLE;
    end
endtask

// result = the entry a probe found (way or stash) for key cmd_key
task res_found;
    begin
        res_valid_next = 1'b1;
        res_key_ld = 1'b1;
        if (match_any) begin
            res_slot_next = {{SLOT_WIDTH-WAY_W-IDX_W{1'b0}}, match_way,
                s3_op_idx_reg[match_way*IDX_W +: IDX_W]};
        end else begin
            res_slot_next = STASH_BASE + {{SLOT_WIDTH-STASH_W{1'b0}}, smatch_idx};
        end
        res_act_next = act_pick;
        res_hits_next = hits_pick;
    end
endtask

task res_none;
    begin
        res_valid_next = 1'b0;
        res_key_ld = 1'b1;
        res_act_next = {ACTION_WIDTH{1'b0}};
        res_slot_next = {SLOT_WIDTH{1'b0}};
        res_hits_next = {CNT_W{1'b0}};
    end
endtask

always @* begin
    state_next = state_reg;

    op_req_next = op_req_reg && !op_fire;
    op_key_ld = 1'b0;
    op_kcmd_next = op_kcmd_reg;
    op_act_next = op_act_reg;
    op_hash_next = op_hash_reg;
    op_rd_idx_next = op_rd_idx_reg;
    op_wr_next = op_wr_reg;
    op_wr_all_next = op_wr_all_reg;
    op_wr_stash_next = op_wr_stash_reg;
    op_wr_way_next = op_wr_way_reg;
    op_wr_idx_next = op_wr_idx_reg;
    op_wr_sidx_next = op_wr_sidx_reg;
    op_wr_vld_next = op_wr_vld_reg;
    op_cnt_en_next = op_cnt_en_reg;
    op_cnt_src_next = op_cnt_src_reg;
    op_cnt_way_next = op_cnt_way_reg;
    op_cnt_sidx_next = op_cnt_sidx_reg;
    op_sel_way_next = op_sel_way_reg;
    op_sel_stash_next = op_sel_stash_reg;
    op_sel_sidx_next = op_sel_sidx_reg;
    op_res_next = op_res_reg;

    cmd_accept = 1'b0;
    cmd_act_next = cmd_act_reg;
    cmd_meta_next = cmd_meta_reg;
    cmd_slot_next = cmd_slot_reg;

    path_we = 1'b0;
    path_clr = 1'b0;
    kway_next = s2_op_reg && s2_res_reg ? s2_sel_way_reg : kway_reg;
    sel_k_next = sel_k_reg;
    path_len_next = path_len_reg;
    src_next = src_reg;
    mv_last_next = mv_last_reg;
    dst_way_next = dst_way_reg;
    dst_idx_next = dst_idx_reg;
    tries_next = tries_reg;
    moves_next = moves_reg;
    fin_stash_next = fin_stash_reg;
    del_stash_next = del_stash_reg;
    drain_next = drain_reg;
    clr_idx_next = clr_idx_reg;
    clr_cmd_next = clr_cmd_reg;
    stash_clr = 1'b0;

    count_next = count_reg;
    stash_used_next = stash_used_reg;
    lfsr_next = {1'b0, lfsr_reg[31:1]} ^ (lfsr_reg[0] ? 32'h80200003 : 32'h0);

    done_next = 1'b0;
    status_next = status_reg;
    res_valid_next = res_valid_reg;
    res_key_ld = 1'b0;
    res_key_sel = 1'b0;
    res_key_zero = 1'b0;
    res_act_next = res_act_reg;
    res_slot_next = res_slot_reg;
    res_hits_next = res_hits_reg;
    res_moves_next = res_moves_reg;

    case (state_reg)
        STATE_CLEAR: begin
            // invalidate bucket clr_idx of every way; the last op is waited for
            if (!op_req_reg || op_fire) begin
                op_new();
                op_rd_idx_next = clr_idx_reg;
                op_wr_next = 1'b1;
                op_wr_all_next = 1'b1;
                op_wr_idx_next = clr_idx_reg;
                op_res_next = clr_idx_reg == LAST_IDX;
                clr_idx_next = clr_idx_reg + 1'b1;
                if (clr_idx_reg == LAST_IDX) begin
                    state_next = STATE_CLEAR_END;
                end
            end
        end
        STATE_CLEAR_END: begin
            if (res_evt) begin
                state_next = STATE_IDLE;
                if (clr_cmd_reg) begin
                    res_none();
                    cmd_finish(STATUS_OK);
                end
            end
        end
        STATE_IDLE: begin
            if (cmd_valid && cmd_ready) begin
                // cmd_key_reg loads cmd_key at this edge
                cmd_accept = 1'b1;
                cmd_act_next = cmd_action;
                cmd_meta_next = cmd_meta;
                cmd_slot_next = cmd_slot;
                tries_next = 4'd0;
                path_len_next = {PATH_W{1'b0}};
                path_clr = 1'b1;
                case (cmd_op)
                    CMD_INSERT: begin
                        op_probe(KSRC_CMD);
                        state_next = STATE_INS_PROBE;
                    end
                    CMD_DELETE: begin
                        op_probe(KSRC_CMD);
                        state_next = STATE_DEL_PROBE;
                    end
                    CMD_LOOKUP: begin
                        op_probe(KSRC_CMD);
                        state_next = STATE_LOOKUP;
                    end
                    CMD_READ: begin
                        if ({1'b0, cmd_slot} < STASH_END) begin
                            // a stash read also goes down the pipeline, for an exact counter
                            op_read(cmd_slot[IDX_W +: WAY_W], cmd_slot[IDX_W-1:0]);
                            if ({1'b0, cmd_slot} >= {1'b0, STASH_BASE}) begin
                                op_sel_stash_next = 1'b1;
                                op_sel_way_next = {WAY_W{1'b0}};
                            end
                            op_sel_sidx_next = cmd_slot[STASH_W-1:0]
                                - STASH_BASE[STASH_W-1:0];
                            state_next = STATE_READ;
                        end else begin
                            res_valid_next = 1'b0;
                            res_key_ld = 1'b1;
                            res_key_zero = 1'b1;
                            res_act_next = {ACTION_WIDTH{1'b0}};
                            res_slot_next = cmd_slot;
                            res_hits_next = {CNT_W{1'b0}};
                            cmd_finish(STATUS_NOT_FOUND);
                        end
                    end
                    CMD_CLEAR: begin
                        stash_clr = 1'b1;
                        count_next = 16'd0;
                        stash_used_next = 8'd0;
                        clr_idx_next = {IDX_W{1'b0}};
                        clr_cmd_next = 1'b1;
                        state_next = STATE_CLEAR;
                    end
                    default: begin
                        // answered next clock, with the key from cmd_key_reg
                        state_next = STATE_BAD;
                    end
                endcase
            end
        end
        STATE_BAD: begin
            res_none();
            cmd_finish(STATUS_NOT_FOUND);
        end
        STATE_INS_PROBE: begin
            if (res_evt) begin
                if (match_any || smatch_any) begin
                    res_found();
                    res_moves_next = 16'd0;
                    cmd_finish(STATUS_EXISTS);
                end else if (free_any) begin
                    op_write_way(free_way, s3_op_idx_reg[free_way*IDX_W +: IDX_W], KSRC_CMD,
                        cmd_act_reg, 1'b1, CNT_SRC_ZERO);
                    moves_next = 16'd0;
                    fin_stash_next = 1'b0;
                    state_next = STATE_INS_WRITE;
                end else begin
                    // start a walk: pick the victim, evict it, probe the victim's buckets
                    kway_next = lfsr_reg[WAY_W-1:0];
                    sel_k_next = {WAY_W{1'b0}};
                    state_next = STATE_WALK_SEL;
                end
            end
        end
        STATE_WALK: begin
            // probed K(n), the entry at path[n-1]
            if (res_evt) begin
                if (free_any) begin
                    dst_way_next = pick_way;
                    dst_idx_next = pick_idx;
                    src_next = path_prev;
                    moves_next = 16'd0;
                    op_read(last_way_reg, last_idx_reg);
                    state_next = STATE_MV_READ;
                end else if (path_len_reg == PATH_MAX) begin
                    walk_fail();
                end else begin
                    kway_next = lfsr_reg[WAY_W-1:0];
                    sel_k_next = {WAY_W{1'b0}};
                    state_next = STATE_WALK_SEL;
                end
            end
        end
        STATE_WALK_SEL: begin
            // the first way (from a random start) whose bucket is not on the path yet
            if (!cand_on_path) begin
                path_we = 1'b1;
                path_len_next = path_len_reg + 1'b1;
                op_probe(KSRC_SEL);
                state_next = STATE_WALK;
            end else if (sel_k_reg == LAST_WAY) begin
                walk_fail();
            end else begin
                sel_k_next = sel_k_reg + 1'b1;
                kway_next = kway_reg + 1'b1;
            end
        end
        STATE_MV_READ: begin
            // read path[src]; write its entry to dst, counter carried along; path[src] is
            // the next destination
            if (res_evt) begin
                op_write_way(dst_way_reg, dst_idx_reg, KSRC_SEL,
                    s3_act_reg[src_way*ACTION_WIDTH +: ACTION_WIDTH], 1'b1, CNT_SRC_WAY);
                op_rd_idx_next = src_idx;
                op_cnt_way_next = src_way;
                dst_way_next = src_way;
                dst_idx_next = src_idx;
                mv_last_next = src_reg == {PATH_W{1'b0}};
                src_next = src_reg - 1'b1;
                state_next = STATE_MV_WRITE;
            end
        end
        STATE_MV_WRITE: begin
            if (res_evt) begin
                moves_next = moves_reg + 1'b1;
                if (mv_last_reg) begin
                    // dst is path[0] now
                    op_write_way(dst_way_reg, dst_idx_reg, KSRC_CMD, cmd_act_reg, 1'b1,
                        CNT_SRC_ZERO);
                    fin_stash_next = 1'b0;
                    state_next = STATE_INS_WRITE;
                end else begin
                    op_read(src_way, src_idx);
                    state_next = STATE_MV_READ;
                end
            end
        end
        STATE_INS_WRITE: begin
            if (res_evt) begin
                res_valid_next = 1'b1;
                res_key_ld = 1'b1;
                res_act_next = cmd_act_reg;
                if (fin_stash_reg) begin
                    res_slot_next = STASH_BASE + {{SLOT_WIDTH-STASH_W{1'b0}}, s3_wr_sidx_reg};
                    stash_used_next = stash_used_reg + 1'b1;
                end else begin
                    res_slot_next = {{SLOT_WIDTH-WAY_W-IDX_W{1'b0}}, s3_wr_way_reg,
                        s3_wr_idx_reg};
                end
                res_hits_next = ins_word;
                res_moves_next = moves_reg;
                count_next = count_reg + 1'b1;
                cmd_finish(STATUS_OK);
            end
        end
        STATE_DEL_PROBE: begin
            if (res_evt) begin
                if (match_any) begin
                    res_found();
                    op_write_way(match_way, s3_op_idx_reg[match_way*IDX_W +: IDX_W],
                        KSRC_CMD, {ACTION_WIDTH{1'b0}}, 1'b0, CNT_SRC_ZERO);
                    del_stash_next = 1'b0;
                    state_next = STATE_DEL_WRITE;
                end else if (smatch_any) begin
                    res_found();
                    op_write_stash(smatch_idx, KSRC_CMD, {ACTION_WIDTH{1'b0}}, 1'b0,
                        CNT_SRC_ZERO);
                    del_stash_next = 1'b1;
                    state_next = STATE_DEL_WRITE;
                end else begin
                    res_none();
                    cmd_finish(STATUS_NOT_FOUND);
                end
            end
        end
        STATE_DEL_WRITE: begin
            if (res_evt) begin
                count_next = count_reg - 1'b1;
                if (del_stash_reg) begin
                    stash_used_next = stash_used_reg - 1'b1;
                    cmd_finish(STATUS_OK);
                end else if (stash_used_reg != 8'd0) begin
                    // a bucket was freed: try to move a stash entry into it
                    drain_next = {DRAIN_W{1'b0}};
                    state_next = STATE_DRAIN_NEXT;
                end else begin
                    cmd_finish(STATUS_OK);
                end
            end
        end
        STATE_DRAIN_NEXT: begin
            if (drain_reg == DRAIN_END) begin
                cmd_finish(STATUS_OK);
            end else if (stash_valid_reg[drain_idx]) begin
                // fetch the entry's key (into s3_sel_key, then op_key)
                op_read_stash(drain_idx);
                state_next = STATE_DRAIN_READ;
            end else begin
                drain_next = drain_reg + 1'b1;
            end
        end
        STATE_DRAIN_READ: begin
            if (res_evt) begin
                op_probe(KSRC_SEL);
                state_next = STATE_DRAIN_PROBE;
            end
        end
        STATE_DRAIN_PROBE: begin
            if (res_evt) begin
                if (free_any) begin
                    op_write_way(free_way, s3_op_idx_reg[free_way*IDX_W +: IDX_W], KSRC_OP,
                        stash_act_reg[drain_idx*ACTION_WIDTH +: ACTION_WIDTH], 1'b1,
                        CNT_SRC_STASH);
                    op_cnt_sidx_next = drain_idx;
                    state_next = STATE_DRAIN_MOVE;
                end else begin
                    drain_next = drain_reg + 1'b1;
                    state_next = STATE_DRAIN_NEXT;
                end
            end
        end
        STATE_DRAIN_MOVE: begin
            // the entry's new copy is in; now free its stash entry
            if (res_evt) begin
                op_write_stash(drain_idx, KSRC_OP, {ACTION_WIDTH{1'b0}}, 1'b0, CNT_SRC_ZERO);
                state_next = STATE_DRAIN_CLR;
            end
        end
        STATE_DRAIN_CLR: begin
            if (res_evt) begin
                stash_used_next = stash_used_reg - 1'b1;
                cmd_finish(STATUS_OK);
            end
        end
        STATE_LOOKUP: begin
            if (res_evt) begin
                if (match_any || smatch_any) begin
                    res_found();
                    cmd_finish(STATUS_OK);
                end else begin
                    res_none();
                    cmd_finish(STATUS_NOT_FOUND);
                end
            end
        end
        STATE_READ: begin
            if (res_evt) begin
                res_slot_next = cmd_slot_reg;
                if (rstash) begin
                    res_valid_next = stash_valid_reg[slot_sidx];
                end else begin
                    res_valid_next = s3_vld_reg[slot_way];
                end
                res_act_next = act_pick;
                res_hits_next = hits_pick;
                // the entry's key goes through op_key
                op_key_ld = 1'b1;
                state_next = STATE_READ_KEY;
            end
        end
        STATE_READ_KEY: begin
            res_key_ld = 1'b1;
            res_key_sel = 1'b1;
            cmd_finish(STATUS_OK);
        end
        default: begin
            state_next = STATE_IDLE;
        end
    endcase
end

// path: entry path_len takes the bucket the last probe picked (a free one, else the victim)
always @(posedge clk) begin
    for (pp = 0; pp < PATH_N; pp = pp + 1) begin
        if (path_we && path_len_reg == pp[PATH_W-1:0]) begin
            path_way_reg[pp*WAY_W +: WAY_W] <= pick_way;
            path_idx_reg[pp*IDX_W +: IDX_W] <= pick_idx;
        end
    end
    if (path_we) begin
        path_mem[path_len_reg] <= {pick_way, pick_idx};
        last_way_reg <= pick_way;
        last_idx_reg <= pick_idx;
    end
    if (path_clr) begin
        path_vld_reg <= {PATH_N{1'b0}};
    end else if (path_we) begin
        for (pp = 0; pp < PATH_N; pp = pp + 1) begin
            if (path_len_reg == pp[PATH_W-1:0]) begin
                path_vld_reg[pp] <= 1'b1;
            end
        end
    end
end

always @(posedge clk) begin
    if (op_key_ld) begin
        op_key_reg <= key_pick;
    end
    if (cmd_accept) begin
        cmd_key_reg <= cmd_key;
    end
    if (res_key_ld) begin
        if (res_key_zero) begin
            res_key_reg <= {KEY_WIDTH{1'b0}};
        end else if (res_key_sel) begin
            res_key_reg <= op_key_reg;
        end else begin
            res_key_reg <= cmd_key_reg;
        end
    end
end

always @(posedge clk) begin
    state_reg <= state_next;

    op_req_reg <= op_req_next;
    op_kcmd_reg <= op_kcmd_next;
    op_act_reg <= op_act_next;
    op_hash_reg <= op_hash_next;
    op_rd_idx_reg <= op_rd_idx_next;
    op_wr_reg <= op_wr_next;
    op_wr_all_reg <= op_wr_all_next;
    op_wr_stash_reg <= op_wr_stash_next;
    op_wr_way_reg <= op_wr_way_next;
    op_wr_idx_reg <= op_wr_idx_next;
    op_wr_sidx_reg <= op_wr_sidx_next;
    op_wr_vld_reg <= op_wr_vld_next;
    op_cnt_en_reg <= op_cnt_en_next;
    op_cnt_src_reg <= op_cnt_src_next;
    op_cnt_way_reg <= op_cnt_way_next;
    op_cnt_sidx_reg <= op_cnt_sidx_next;
    op_sel_way_reg <= op_sel_way_next;
    op_sel_stash_reg <= op_sel_stash_next;
    op_sel_sidx_reg <= op_sel_sidx_next;
    op_res_reg <= op_res_next;

    cmd_act_reg <= cmd_act_next;
    cmd_meta_reg <= cmd_meta_next;
    cmd_slot_reg <= cmd_slot_next;

    path_len_reg <= path_len_next;
    src_reg <= src_next;
    kway_reg <= kway_next;
    sel_k_reg <= sel_k_next;
    mv_last_reg <= mv_last_next;
    dst_way_reg <= dst_way_next;
    dst_idx_reg <= dst_idx_next;
    tries_reg <= tries_next;
    moves_reg <= moves_next;
    fin_stash_reg <= fin_stash_next;
    del_stash_reg <= del_stash_next;
    drain_reg <= drain_next;
    clr_idx_reg <= clr_idx_next;
    clr_cmd_reg <= clr_cmd_next;

    count_reg <= count_next;
    stash_used_reg <= stash_used_next;
    lfsr_reg <= lfsr_next;

    done_reg <= done_next;
    status_reg <= status_next;
    res_valid_reg <= res_valid_next;
    res_act_reg <= res_act_next;
    res_slot_reg <= res_slot_next;
    res_hits_reg <= res_hits_next;
    res_moves_reg <= res_moves_next;

    if (rst) begin
        // sweep the RAMs after reset
        state_reg <= STATE_CLEAR;
        op_req_reg <= 1'b0;
        path_len_reg <= {PATH_W{1'b0}};
        clr_idx_reg <= {IDX_W{1'b0}};
        clr_cmd_reg <= 1'b0;
        count_reg <= 16'd0;
        stash_used_reg <= 8'd0;
        lfsr_reg <= 32'h1;
        done_reg <= 1'b0;
        status_reg <= STATUS_OK;
        res_valid_reg <= 1'b0;
        res_moves_reg <= 16'd0;
    end
end

endmodule

`resetall
