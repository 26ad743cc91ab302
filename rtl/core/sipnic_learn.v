`resetall
`timescale 1ns / 1ps
`default_nettype none

/*
 * Learning engine and aging (docs/semantics.md, "Learning and aging"), beside the flow table:
 *
 *   - the flow table's command port, shared round-robin by the host (register file) and the
 *     engine; the engine's own ops: a learned INSERT first, else the aging sweep's READ_SLOT
 *     (+ DELETE of an expired entry, issued at once, so the DELETE's key is the flow table's
 *     result key of the READ_SLOT just done and no other command runs in between)
 *   - learning: a TCP connection request whose listen entry has LEARN, or a transmitted one
 *     from a cluster address (sipnic_tx_learn: the reverse key), is tagged on its flow lookup
 *     (lookup_tag); its result (fixed latency, in order) decides: exact hit -> refused
 *     exact; listen action not a queue -> nothing; EMBRYONIC (+ requests still waiting to be
 *     inserted) >= MAX_EMBRYONIC -> quota; COUNT (+ those) >= MAX_ENTRIES -> full; no slot
 *     free in the request queue at its lookup -> busy; else its INSERT waits in the queue
 *   - NOW_MS (every CLOCKS_PER_MS clocks), the timeouts, EMBRYONIC and the counters, read and
 *     written through reg_* at flow block offsets 0x80..0xE0
 *   - the event queue (sipnic_events, offsets 0xE4..0xF8): learned, aged and refused records
 *
 * Request queue (REQ_DEPTH slots): a request takes a slot at its lookup (key and action
 * written), is resolved in result order (go: insert, or not), and is served in the same order;
 * its slot is free again when its INSERT is done (or at once when it was refused). So the
 * request is refused busy only when REQ_DEPTH earlier requests still hold every slot.
 * Lookup tag: bit 0 the request took a slot, bit 1 it did not (refused at the result unless
 * exact/no queue/quota/full), bit 2 its listen action is a queue of the adapter.
 * The sweep runs only while an entry that can age exists (learned, or host with a class); it
 * and the queue's INSERTs take turns on the engine's side of the command port.
 */
module sipnic_learn #(
    // core clocks per millisecond
    parameter CLOCKS_PER_MS = 31250,
    // queues of the adapter
    parameter QUEUES = 8,
    // flow key bits
    parameter KEY_WIDTH = 166,
    // flow slots (hashed + stash)
    parameter SLOTS = 4104,
    // slot number bits
    parameter SLOT_WIDTH = $clog2(SLOTS),
    // learning requests that can wait for the command port (power of two, 2..16)
    parameter REQ_DEPTH = 4,
    // event records (sipnic_events; power of two)
    parameter EVENT_DEPTH = 512
) (
    input  wire                  clk,
    input  wire                  rst,

    /*
     * Learning requests: a flow lookup (the steer's, or the transmit side's reverse key)
     */
    input  wire                  lk_valid,
    input  wire [KEY_WIDTH-1:0]  lk_key,
    // receive side: TCP connection request decided by a LEARN listen entry; transmit side:
    // a processor's connection request from a cluster address
    input  wire                  lk_cand,
    input  wire [7:0]            lk_action,     // the listen action, or the processor's queue
    output wire [2:0]            lk_tag,
    input  wire                  res_valid,
    input  wire                  res_hit,
    input  wire [2:0]            res_tag,

    /*
     * Host commands (register file)
     */
    input  wire                  h_cmd_valid,
    output wire                  h_cmd_ready,
    input  wire [2:0]            h_cmd_op,
    input  wire [KEY_WIDTH-1:0]  h_cmd_key,
    input  wire [7:0]            h_cmd_action,
    input  wire [SLOT_WIDTH-1:0] h_cmd_slot,
    output wire                  h_cmd_done,

    /*
     * Flow table command port
     */
    output wire                  f_cmd_valid,
    input  wire                  f_cmd_ready,
    output wire [2:0]            f_cmd_op,
    output wire [KEY_WIDTH-1:0]  f_cmd_key,
    output wire [7:0]            f_cmd_action,
    output wire [SLOT_WIDTH-1:0] f_cmd_slot,
    output wire [4:0]            f_cmd_meta,
    input  wire                  f_cmd_done,
    input  wire [1:0]            f_cmd_status,
    input  wire                  f_cmd_res_valid,
    input  wire [KEY_WIDTH-1:0]  f_cmd_res_key,
    input  wire [7:0]            f_cmd_res_action,
    /* verilator lint_off UNUSEDSIGNAL */ // RES_META: origin, state, class, idle
    input  wire [31:0]           f_cmd_res_meta,
    /* verilator lint_on UNUSEDSIGNAL */
    input  wire [15:0]           f_count,
    input  wire                  f_emb_leave,
    output wire [22:0]           now_ms,

    /*
     * Registers (flow block offsets 0x80..0xFC)
     */
    input  wire                  reg_wr,
    input  wire                  reg_rd,
    input  wire [7:0]            reg_addr,
    input  wire [31:0]           reg_wdata,
    output reg  [31:0]           reg_rdata,
    // LEARN_CONTROL.TRANSMIT: transmit-side learning on
    output wire                  tx_enable
);

/* verilator lint_off UNUSEDPARAM */
`include "sipnic_regs.vh"
/* verilator lint_on UNUSEDPARAM */

localparam DIV_W = $clog2(CLOCKS_PER_MS + 1);
localparam integer DIV_LAST_I = CLOCKS_PER_MS - 1;
localparam [DIV_W-1:0] DIV_LAST = DIV_LAST_I[DIV_W-1:0];
localparam integer SLOT_LAST_I = SLOTS - 1;
localparam [SLOT_WIDTH-1:0] SLOT_LAST = SLOT_LAST_I[SLOT_WIDTH-1:0];
localparam [7:0] QUEUES_B = QUEUES[7:0];
localparam [31:0] CPM_W = CLOCKS_PER_MS;

localparam RQ_AW = $clog2(REQ_DEPTH);
localparam integer REQ_DEPTH_I = REQ_DEPTH;
localparam [RQ_AW:0] RQ_FULL = REQ_DEPTH_I[RQ_AW:0];

localparam [2:0]
    OP_INSERT = FLD_FLOW_COMMAND_OP_INSERT[2:0],
    OP_DELETE = FLD_FLOW_COMMAND_OP_DELETE[2:0],
    OP_READ = FLD_FLOW_COMMAND_OP_READ_SLOT[2:0],
    OP_CLEAR = FLD_FLOW_COMMAND_OP_CLEAR[2:0];

localparam [1:0] ST_EMBRYONIC = 2'd0, ST_ESTABLISHED = 2'd1;  // 2: closing

// aging sweep
localparam [2:0] A_IDLE = 3'd0, A_READ = 3'd1, A_READ_RUN = 3'd2, A_DEL = 3'd3, A_DEL_RUN = 3'd4;

initial begin
    if (CLOCKS_PER_MS < 1) begin
        $error("Error: CLOCKS_PER_MS must be >= 1 (instance %m)");
        $finish;
    end
    if (REQ_DEPTH < 2 || REQ_DEPTH > 16 || 2**RQ_AW != REQ_DEPTH) begin
        $error("Error: REQ_DEPTH must be a power of two, 2..16 (instance %m)");
        $finish;
    end
    if (SLOTS < 2 || SLOT_WIDTH < $clog2(SLOTS)) begin
        $error("Error: bad SLOTS/SLOT_WIDTH (instance %m)");
        $finish;
    end
end

// ---------------------------------------------------------------------------------------
// time base

reg [DIV_W-1:0] div_reg = {DIV_W{1'b0}};
reg [22:0] now_reg = 23'd0;

assign now_ms = now_reg;

wire wr_now = reg_wr && reg_addr == REG_FLOW_NOW_MS[7:0];

always @(posedge clk) begin
    if (wr_now) begin
        now_reg <= reg_wdata[22:0];
        div_reg <= {DIV_W{1'b0}};
    end else if (div_reg == DIV_LAST) begin
        now_reg <= now_reg + 1'b1;
        div_reg <= {DIV_W{1'b0}};
    end else begin
        div_reg <= div_reg + 1'b1;
    end
    if (rst) begin
        now_reg <= 23'd0;
        div_reg <= {DIV_W{1'b0}};
    end
end

// ---------------------------------------------------------------------------------------
// configuration

reg [21:0] syn_to_reg = 22'd5000, idle_to_reg = 22'd300000, fin_to_reg = 22'd10000;
reg [21:0] host_to1_reg = 22'd0, host_to2_reg = 22'd0, host_to3_reg = 22'd0;
reg [1:0]  ins_class_reg = 2'd0;
reg [15:0] max_emb_reg = 16'd1024;
reg [15:0] max_ent_reg = 16'd65535;
reg        tx_enable_reg = 1'b0;

assign tx_enable = tx_enable_reg;

always @(posedge clk) begin
    if (reg_wr) begin
        case (reg_addr)
            REG_FLOW_SYN_TIMEOUT_MS[7:0]: syn_to_reg <= reg_wdata[21:0];
            REG_FLOW_IDLE_TIMEOUT_MS[7:0]: idle_to_reg <= reg_wdata[21:0];
            REG_FLOW_FIN_TIMEOUT_MS[7:0]: fin_to_reg <= reg_wdata[21:0];
            REG_FLOW_HOST_TIMEOUT1_MS[7:0]: host_to1_reg <= reg_wdata[21:0];
            REG_FLOW_HOST_TIMEOUT2_MS[7:0]: host_to2_reg <= reg_wdata[21:0];
            REG_FLOW_HOST_TIMEOUT3_MS[7:0]: host_to3_reg <= reg_wdata[21:0];
            REG_FLOW_INSERT_CLASS[7:0]: ins_class_reg <= reg_wdata[1:0];
            REG_FLOW_MAX_EMBRYONIC[7:0]: max_emb_reg <= reg_wdata[31:16] != 16'd0 ? 16'hFFFF : reg_wdata[15:0];
            REG_FLOW_MAX_ENTRIES[7:0]: max_ent_reg <= reg_wdata[31:16] != 16'd0 ? 16'hFFFF : reg_wdata[15:0];
            REG_FLOW_LEARN_CONTROL[7:0]: tx_enable_reg <= reg_wdata[FLD_FLOW_LEARN_CONTROL_TRANSMIT_SHIFT];
            default: ;
        endcase
    end
    if (rst) begin
        syn_to_reg <= 22'd5000;
        idle_to_reg <= 22'd300000;
        fin_to_reg <= 22'd10000;
        host_to1_reg <= 22'd0;
        host_to2_reg <= 22'd0;
        host_to3_reg <= 22'd0;
        ins_class_reg <= 2'd0;
        max_emb_reg <= 16'd1024;
        max_ent_reg <= 16'd65535;
        tx_enable_reg <= 1'b0;
    end
end

// ---------------------------------------------------------------------------------------
// command port: host and engine, round robin; the done pulse goes to the command's owner

reg [2:0] a_state_reg = A_IDLE;  // aging sweep (below)
reg own_eng_reg = 1'b0;          // the command in flight is the engine's
reg [2:0] own_op_reg = 3'd0;     // its op
reg last_eng_reg = 1'b0;         // the last command granted was the engine's
reg last_ins_reg = 1'b0;         // the engine's last command was a learned INSERT

wire eng_valid;
wire [2:0] eng_op;
wire [SLOT_WIDTH-1:0] eng_slot;
wire eng_key_res;                // the engine's key: the last result's (aging) or the queue head's
wire eng_locked;                 // the engine's DELETE follows its READ_SLOT at once

wire hold;                       // an aging READ_SLOT found its entry expired: nothing else
wire grant_eng = eng_valid && !hold && (!h_cmd_valid || !last_eng_reg || eng_locked);
wire grant_host = h_cmd_valid && !hold && !grant_eng;
wire accept = f_cmd_valid && f_cmd_ready;
wire eng_accept = accept && grant_eng;
wire eng_done = f_cmd_done && own_eng_reg;

// request queue (below): slot memories, read at the head
reg [KEY_WIDTH-1:0] rq_key_mem [0:REQ_DEPTH-1];
reg [7:0] rq_act_mem [0:REQ_DEPTH-1];
reg [RQ_AW:0] rq_rd_reg = {(RQ_AW+1){1'b0}};
wire [RQ_AW-1:0] rq_head = rq_rd_reg[RQ_AW-1:0];

assign f_cmd_valid = grant_eng || grant_host;
assign h_cmd_ready = f_cmd_ready && grant_host;
assign f_cmd_op = grant_eng ? eng_op : h_cmd_op;
assign f_cmd_key = !grant_eng ? h_cmd_key : eng_key_res ? f_cmd_res_key : rq_key_mem[rq_head];
assign f_cmd_action = grant_eng ? rq_act_mem[rq_head] : h_cmd_action;
assign f_cmd_slot = grant_eng ? eng_slot : h_cmd_slot;
// inserts: host {origin 0, established, INSERT_CLASS}; learned {origin 1, embryonic, 0}
assign f_cmd_meta = grant_eng ? {1'b1, ST_EMBRYONIC, 2'd0} : {1'b0, ST_ESTABLISHED, ins_class_reg};
assign h_cmd_done = f_cmd_done && !own_eng_reg;

always @(posedge clk) begin
    if (accept) begin
        own_eng_reg <= grant_eng;
        own_op_reg <= f_cmd_op;
        last_eng_reg <= grant_eng;
    end
    if (eng_accept) begin
        last_ins_reg <= eng_op == OP_INSERT;
    end
    if (rst) begin
        own_eng_reg <= 1'b0;
        own_op_reg <= 3'd0;
        last_eng_reg <= 1'b0;
        last_ins_reg <= 1'b0;
    end
end

// results of any owner's command
wire res_ok = f_cmd_done && f_cmd_status == STATUS_OK;
wire res_learned = f_cmd_res_meta[31];
wire [1:0] res_state = f_cmd_res_meta[29:28];
wire [1:0] res_class = f_cmd_res_meta[25:24];
wire res_agable = res_learned || res_class != 2'd0;
wire res_emb = res_learned && res_state == ST_EMBRYONIC;
wire host_clear = accept && grant_host && h_cmd_op == OP_CLEAR;
wire ins_done_ok = res_ok && own_op_reg == OP_INSERT;
wire del_done_ok = res_ok && own_op_reg == OP_DELETE;

// ---------------------------------------------------------------------------------------
// learning

reg [15:0] emb_reg = 16'd0;
reg [31:0] learned_reg = 32'd0;
reg [31:0] ref_exact_reg = 32'd0, ref_quota_reg = 32'd0, ref_full_reg = 32'd0, ref_busy_reg = 32'd0;

// request queue pointers: wr (slots taken at lookups) - res (resolved at results) - rd (served)
reg [RQ_AW:0] rq_wr_reg = {(RQ_AW+1){1'b0}}, rq_res_reg = {(RQ_AW+1){1'b0}};
reg [REQ_DEPTH-1:0] rq_go_reg = {REQ_DEPTH{1'b0}};  // resolved: insert
reg rq_run_reg = 1'b0;                              // the head's INSERT is in flight
// requests resolved to insert and not yet inserted: they count towards the quota and full
// checks of later requests, as entries not yet visible do (semantics rule 7.2)
reg [RQ_AW:0] rq_go_cnt_reg = {(RQ_AW+1){1'b0}};

wire [RQ_AW:0] rq_used = rq_wr_reg - rq_rd_reg;
wire rq_resolved = rq_rd_reg != rq_res_reg;         // the head has its result
wire rq_head_go = rq_go_reg[rq_head];

wire cand = lk_valid && lk_cand;
wire cand_queue = !lk_action[ENC_ACTION_DROP_SHIFT]
    && {1'b0, lk_action[ENC_ACTION_QUEUE_SHIFT +: ENC_ACTION_QUEUE_WIDTH]} < QUEUES_B;
wire cand_take = cand && rq_used != RQ_FULL;

assign lk_tag = {cand && cand_queue, cand && !cand_take, cand_take};

// a tagged lookup's result: refusal checks in order
wire [16:0] emb_ahead = {1'b0, emb_reg} + {{(16-RQ_AW){1'b0}}, rq_go_cnt_reg};
wire [16:0] count_ahead = {1'b0, f_count} + {{(16-RQ_AW){1'b0}}, rq_go_cnt_reg};
wire t_any = res_valid && (res_tag[0] || res_tag[1]);
wire t_exact = t_any && res_hit;
wire t_req = t_any && !res_hit && res_tag[2];
wire t_quota = t_req && emb_ahead >= {1'b0, max_emb_reg};
wire t_full = t_req && !t_quota && count_ahead >= {1'b0, max_ent_reg};
wire t_pass = t_req && !t_quota && !t_full;
wire t_busy = t_pass && res_tag[1];
wire learn_start = t_pass && res_tag[0];
wire rq_resolve = res_valid && res_tag[0];          // the oldest unresolved slot's result

// the queue's side of the engine: the head's INSERT, or a refused head freed at once
wire rq_want = rq_resolved && rq_head_go && !rq_run_reg;
wire rq_ins_done = eng_done && rq_run_reg;
wire rq_pop = (rq_resolved && !rq_head_go) || rq_ins_done;
wire learn_ok = rq_ins_done && f_cmd_status == STATUS_OK;
wire learn_full = rq_ins_done && f_cmd_status == STATUS_FULL;

always @(posedge clk) begin
    if (cand_take) begin
        rq_key_mem[rq_wr_reg[RQ_AW-1:0]] <= lk_key;
        rq_act_mem[rq_wr_reg[RQ_AW-1:0]] <= lk_action;
    end
end

always @(posedge clk) begin
    if (cand_take) begin
        rq_wr_reg <= rq_wr_reg + 1'b1;
    end
    if (rq_resolve) begin
        rq_go_reg[rq_res_reg[RQ_AW-1:0]] <= learn_start;
        rq_res_reg <= rq_res_reg + 1'b1;
    end
    if (rq_pop) begin
        rq_rd_reg <= rq_rd_reg + 1'b1;
    end
    if (eng_accept && eng_op == OP_INSERT) begin
        rq_run_reg <= 1'b1;
    end else if (rq_ins_done) begin
        rq_run_reg <= 1'b0;
    end
    if (learn_start && !rq_ins_done) begin
        rq_go_cnt_reg <= rq_go_cnt_reg + 1'b1;
    end else if (!learn_start && rq_ins_done) begin
        rq_go_cnt_reg <= rq_go_cnt_reg - 1'b1;
    end

    if (learn_ok) learned_reg <= learned_reg + 1'b1;
    if (t_exact) ref_exact_reg <= ref_exact_reg + 1'b1;
    if (t_quota) ref_quota_reg <= ref_quota_reg + 1'b1;
    if (t_full || learn_full) ref_full_reg <= ref_full_reg + 1'b1;
    if (t_busy) ref_busy_reg <= ref_busy_reg + 1'b1;

    if (rst) begin
        rq_wr_reg <= {(RQ_AW+1){1'b0}};
        rq_res_reg <= {(RQ_AW+1){1'b0}};
        rq_rd_reg <= {(RQ_AW+1){1'b0}};
        rq_go_reg <= {REQ_DEPTH{1'b0}};
        rq_run_reg <= 1'b0;
        rq_go_cnt_reg <= {(RQ_AW+1){1'b0}};
        learned_reg <= 32'd0;
        ref_exact_reg <= 32'd0;
        ref_quota_reg <= 32'd0;
        ref_full_reg <= 32'd0;
        ref_busy_reg <= 32'd0;
    end
end

// EMBRYONIC: + a learned insert; - a hit out of embryonic, a delete of an embryonic entry
wire emb_inc = learn_ok;
wire [1:0] emb_dec = {1'b0, f_emb_leave} + {1'b0, del_done_ok && res_emb};

always @(posedge clk) begin
    if (host_clear) begin
        emb_reg <= 16'd0;
    end else if (emb_inc || emb_dec != 2'd0) begin
        if ({15'd0, emb_inc} + emb_reg < {14'd0, emb_dec}) begin
            emb_reg <= 16'd0;
        end else begin
            emb_reg <= emb_reg + {15'd0, emb_inc} - {14'd0, emb_dec};
        end
    end
    if (rst) begin
        emb_reg <= 16'd0;
    end
end

// ---------------------------------------------------------------------------------------
// aging sweep

reg [SLOT_WIDTH-1:0] a_slot_reg = {SLOT_WIDTH{1'b0}};
reg [15:0] agable_reg = 16'd0;   // entries that can age
reg [31:0] sweeps_reg = 32'd0;
reg [31:0] aged_emb_reg = 32'd0, aged_est_reg = 32'd0, aged_fin_reg = 32'd0, aged_host_reg = 32'd0;

reg [21:0] timeout;
reg never;

always @* begin
    never = 1'b0;
    if (res_learned) begin
        case (res_state)
            ST_EMBRYONIC: timeout = syn_to_reg;
            ST_ESTABLISHED: timeout = idle_to_reg;
            default: timeout = fin_to_reg;
        endcase
    end else begin
        case (res_class)
            2'd1: timeout = host_to1_reg;
            2'd2: timeout = host_to2_reg;
            default: timeout = host_to3_reg;
        endcase
        never = res_class == 2'd0 || timeout == 22'd0;
    end
end

wire expired = f_cmd_res_valid && !never && f_cmd_res_meta[22:0] > {1'b0, timeout};
assign hold = eng_done && a_state_reg == A_READ_RUN && expired;
wire a_step = (eng_done && a_state_reg == A_READ_RUN && !expired) || (eng_done && a_state_reg == A_DEL_RUN);

// the engine's next command: the DELETE that follows an expired READ_SLOT; else the queue's
// INSERT and the sweep's READ_SLOT, taking turns when both wait (a stream of learning requests
// never stops the aging, and each request waits for at most one sweep step)
wire ins_turn = rq_want && (a_state_reg != A_READ || !last_ins_reg);
assign eng_valid = rq_want || a_state_reg == A_READ || a_state_reg == A_DEL;
assign eng_locked = a_state_reg == A_DEL;
assign eng_op = a_state_reg == A_DEL ? OP_DELETE : ins_turn ? OP_INSERT : OP_READ;
assign eng_key_res = a_state_reg == A_DEL;
assign eng_slot = a_slot_reg;

always @(posedge clk) begin
    case (a_state_reg)
        A_IDLE: if (agable_reg != 16'd0) a_state_reg <= A_READ;
        A_READ: if (eng_accept && eng_op == OP_READ) a_state_reg <= A_READ_RUN;
        A_READ_RUN: if (eng_done) a_state_reg <= expired ? A_DEL : A_IDLE;
        A_DEL: if (eng_accept) a_state_reg <= A_DEL_RUN;
        default: if (eng_done) a_state_reg <= A_IDLE;
    endcase
    if (a_step) begin
        if (a_slot_reg == SLOT_LAST) begin
            a_slot_reg <= {SLOT_WIDTH{1'b0}};
            sweeps_reg <= sweeps_reg + 1'b1;
        end else begin
            a_slot_reg <= a_slot_reg + 1'b1;
        end
    end
    if (eng_done && a_state_reg == A_DEL_RUN && f_cmd_status == STATUS_OK) begin
        if (!res_learned) begin
            aged_host_reg <= aged_host_reg + 1'b1;
        end else if (res_state == ST_EMBRYONIC) begin
            aged_emb_reg <= aged_emb_reg + 1'b1;
        end else if (res_state == ST_ESTABLISHED) begin
            aged_est_reg <= aged_est_reg + 1'b1;
        end else begin
            aged_fin_reg <= aged_fin_reg + 1'b1;
        end
    end

    if (host_clear) begin
        agable_reg <= 16'd0;
    end else if (ins_done_ok && res_agable && !(del_done_ok && res_agable)) begin
        agable_reg <= agable_reg + 1'b1;
    end else if (del_done_ok && res_agable && agable_reg != 16'd0) begin
        agable_reg <= agable_reg - 1'b1;
    end

    if (rst) begin
        a_state_reg <= A_IDLE;
        a_slot_reg <= {SLOT_WIDTH{1'b0}};
        agable_reg <= 16'd0;
        sweeps_reg <= 32'd0;
        aged_emb_reg <= 32'd0;
        aged_est_reg <= 32'd0;
        aged_fin_reg <= 32'd0;
        aged_host_reg <= 32'd0;
    end
end

// ---------------------------------------------------------------------------------------
// events: a learned INSERT and an aging DELETE (the engine's commands: one at a time) are table
// records; a refusal's key is kept only while its request holds a queue slot

wire aged_ok = eng_done && a_state_reg == A_DEL_RUN && f_cmd_status == STATUS_OK;
wire ref_slot = (t_quota || t_full) && res_tag[0];
wire ref_noslot = ((t_quota || t_full) && !res_tag[0]) || t_busy;
wire [RQ_AW-1:0] rq_res_idx = rq_res_reg[RQ_AW-1:0];
wire [31:0] ev_rdata;

sipnic_events #(
    .KEY_WIDTH(KEY_WIDTH),
    .DEPTH(EVENT_DEPTH)
)
sipnic_events_inst (
    .clk(clk),
    .rst(rst),
    .t_valid(learn_ok || aged_ok),
    .t_type(learn_ok ? FLD_FLOW_EVENT_DATA_TYPE_LEARNED[1:0] : FLD_FLOW_EVENT_DATA_TYPE_AGED[1:0]),
    .t_detail(learn_ok ? 2'd0 : !res_learned ? 2'd3 : res_state),
    .t_action(learn_ok ? rq_act_mem[rq_head] : f_cmd_res_action),
    .t_key(learn_ok ? rq_key_mem[rq_head] : f_cmd_res_key),
    .r_valid(ref_slot || learn_full),
    .r_detail(t_quota ? 2'd1 : 2'd2),
    .r_action(ref_slot ? rq_act_mem[rq_res_idx] : rq_act_mem[rq_head]),
    .r_key(ref_slot ? rq_key_mem[rq_res_idx] : rq_key_mem[rq_head]),
    .r_more({1'b0, ref_noslot} + {1'b0, ref_slot && learn_full}),
    .reg_wr(reg_wr),
    .reg_rd(reg_rd),
    .reg_addr(reg_addr),
    .reg_wdata(reg_wdata),
    .reg_rdata(ev_rdata)
);

// ---------------------------------------------------------------------------------------
// register reads

always @* begin
    case (reg_addr)
        REG_FLOW_FEATURES[7:0]: reg_rdata = 32'd1;
        REG_FLOW_CLOCKS_PER_MS[7:0]: reg_rdata = CPM_W;
        REG_FLOW_NOW_MS[7:0]: reg_rdata = {9'd0, now_reg};
        REG_FLOW_SWEEPS[7:0]: reg_rdata = sweeps_reg;
        REG_FLOW_SYN_TIMEOUT_MS[7:0]: reg_rdata = {10'd0, syn_to_reg};
        REG_FLOW_IDLE_TIMEOUT_MS[7:0]: reg_rdata = {10'd0, idle_to_reg};
        REG_FLOW_FIN_TIMEOUT_MS[7:0]: reg_rdata = {10'd0, fin_to_reg};
        REG_FLOW_HOST_TIMEOUT1_MS[7:0]: reg_rdata = {10'd0, host_to1_reg};
        REG_FLOW_HOST_TIMEOUT2_MS[7:0]: reg_rdata = {10'd0, host_to2_reg};
        REG_FLOW_HOST_TIMEOUT3_MS[7:0]: reg_rdata = {10'd0, host_to3_reg};
        REG_FLOW_INSERT_CLASS[7:0]: reg_rdata = {30'd0, ins_class_reg};
        REG_FLOW_MAX_EMBRYONIC[7:0]: reg_rdata = {16'd0, max_emb_reg};
        REG_FLOW_EMBRYONIC[7:0]: reg_rdata = {16'd0, emb_reg};
        REG_FLOW_MAX_ENTRIES[7:0]: reg_rdata = {16'd0, max_ent_reg};
        REG_FLOW_LEARN_CONTROL[7:0]: reg_rdata = {31'd0, tx_enable_reg} << FLD_FLOW_LEARN_CONTROL_TRANSMIT_SHIFT;
        REG_FLOW_LEARNED[7:0]: reg_rdata = learned_reg;
        REG_FLOW_AGED_EMBRYONIC[7:0]: reg_rdata = aged_emb_reg;
        REG_FLOW_AGED_ESTABLISHED[7:0]: reg_rdata = aged_est_reg;
        REG_FLOW_AGED_CLOSING[7:0]: reg_rdata = aged_fin_reg;
        REG_FLOW_AGED_HOST[7:0]: reg_rdata = aged_host_reg;
        REG_FLOW_REFUSED_EXACT[7:0]: reg_rdata = ref_exact_reg;
        REG_FLOW_REFUSED_QUOTA[7:0]: reg_rdata = ref_quota_reg;
        REG_FLOW_REFUSED_FULL[7:0]: reg_rdata = ref_full_reg;
        REG_FLOW_REFUSED_BUSY[7:0]: reg_rdata = ref_busy_reg;
        default: reg_rdata = ev_rdata;
    endcase
end

endmodule

`resetall
