`resetall
`timescale 1ns / 1ps
`default_nettype none

// sipnic core: ingress, parser, address/flow/listen match, steering, dispatch to per-queue
// FIFOs, counters and register file (see docs/architecture.md)
//
// s_axis -> ingress -> ingress FIFO ------------------------------> dispatch -> queue FIFOs
//              '-> header -> parser -> addr match -> flow/listen -> steer -^
module sipnic_core #(
    // stream width, 8, 32 or 64
    parameter DATA_WIDTH = 64,
    // tkeep width
    parameter KEEP_WIDTH = DATA_WIDTH/8,
    // queues, 2..16
    parameter QUEUES = 8,
    // hashed flow entries (power of two, divisible by FLOW_WAYS)
    parameter FLOW_ENTRIES = 4096,
    // cuckoo ways
    parameter FLOW_WAYS = 4,
    // flow stash entries
    parameter FLOW_STASH = 8,
    // listen entries
    parameter LISTEN_ENTRIES = 32,
    // listen queue groups (shared ports), 1..64
    parameter LISTEN_GROUPS = 8,
    // cluster address slots (index is 4 bits)
    parameter ADDR_SLOTS = 16,
    // longest frame in bytes
    parameter MAX_FRAME = 9022,
    // store-and-forward ingress buffer in bytes (power of two)
    parameter INGRESS_FIFO_BYTES = 16384,
    // per-queue buffer in bytes (power of two)
    parameter QUEUE_FIFO_BYTES = 16384,
    // connection learning and aging (sipnic_learn, per-entry meta); 0: neither, FEATURES 0
    parameter LEARNING = 1,
    // learning requests that can wait for the flow table's command port (power of two, 2..16)
    parameter LEARN_REQUESTS = 4,
    // event records the host has not read yet (sipnic_events; power of two; EVENT_DEPTH reads one more)
    parameter LEARN_EVENTS = 512,
    // core clocks per millisecond (NOW_MS); default: the clock of 1 Gb/s at DATA_WIDTH
    parameter CLOCKS_PER_MS = DATA_WIDTH == 8 ? 125000 : DATA_WIDTH == 32 ? 31250 : 15625,
    // 1: IPv4 and IPv6; 0: IPv6 frames are not steerable (default action, never learned) and
    // the flow table holds 70-bit keys with a 32-bit source (flow FEATURES.IPV4_ONLY)
    parameter IPV6 = 1
) (
    input  wire                         clk,
    input  wire                         rst,

    /*
     * Ingress
     */
    input  wire [DATA_WIDTH-1:0]        s_axis_tdata,
    input  wire [KEEP_WIDTH-1:0]        s_axis_tkeep,
    input  wire                         s_axis_tvalid,
    output wire                         s_axis_tready,
    input  wire                         s_axis_tlast,

    /*
     * Transmit snoop (with LEARNING; docs/semantics.md rule 9): the frames processor
     * tx_processor transmits, observed and never held (no tready); tx_processor is taken with
     * the last beat, a value >= QUEUES names no processor of the adapter
     */
    input  wire [DATA_WIDTH-1:0]        tx_axis_tdata,
    input  wire [KEEP_WIDTH-1:0]        tx_axis_tkeep,
    input  wire                         tx_axis_tvalid,
    input  wire                         tx_axis_tlast,
    input  wire [4:0]                   tx_processor,

    /*
     * Queues (queue q at [q*DATA_WIDTH +: DATA_WIDTH] etc.)
     */
    output wire [QUEUES*DATA_WIDTH-1:0] m_axis_tdata,
    output wire [QUEUES*KEEP_WIDTH-1:0] m_axis_tkeep,
    output wire [QUEUES-1:0]            m_axis_tvalid,
    input  wire [QUEUES-1:0]            m_axis_tready,
    output wire [QUEUES-1:0]            m_axis_tlast,
    output wire [QUEUES*32-1:0]         m_axis_tuser,

    /*
     * Drop notification
     */
    output wire                         drop_valid,
    output wire [31:0]                  drop_id,
    output wire [3:0]                   drop_reason,

    /*
     * Register bus
     */
    input  wire                         reg_en,
    input  wire                         reg_we,
    input  wire [15:0]                  reg_addr,
    input  wire [31:0]                  reg_wdata,
    output wire                         reg_ack,
    output wire [31:0]                  reg_rdata
);

localparam QUEUE_WIDTH = (QUEUES > 1) ? $clog2(QUEUES) : 1;
localparam LEN_WIDTH = $clog2(MAX_FRAME + 2*KEEP_WIDTH + 1);
localparam IFIFO_ADDR_WIDTH = $clog2(INGRESS_FIFO_BYTES / KEEP_WIDTH);
localparam QFIFO_ADDR_WIDTH = $clog2(QUEUE_FIFO_BYTES / KEEP_WIDTH);
// shortest frame that can reach a queue is 14 bytes
localparam MIN_BEATS = (14 + KEEP_WIDTH - 1) / KEEP_WIDTH;
localparam QID_ADDR_WIDTH = $clog2(((2**QFIFO_ADDR_WIDTH) + MIN_BEATS - 1) / MIN_BEATS);
localparam HDR_BYTES = 128;
// descriptors: one per frame between its last beat and the dispatcher; frames of >= 14 bytes
// waiting there all sit in the ingress FIFO, so this many never limits them
localparam DESC_ADDR_WIDTH = $clog2(((2**IFIFO_ADDR_WIDTH) + MIN_BEATS - 1) / MIN_BEATS);
localparam INFLIGHT_LIMIT = 2**DESC_ADDR_WIDTH;
// the flow key as the steer, the transmit learner and the registers see it:
// {family, udp, slot[3:0], src[127:0], sport[15:0], dport[15:0]}
localparam KEY_WIDTH = 166;
// the key the flow table, its hashes and the learning engine hold: without IPv6 only the
// source's low 32 bits, {family, udp, slot[3:0], src[31:0], sport[15:0], dport[15:0]}
localparam FT_SRC_WIDTH = IPV6 != 0 ? 128 : 32;
localparam FT_KEY_WIDTH = 6 + FT_SRC_WIDTH + 32;
localparam FLOW_SLOT_WIDTH = $clog2(FLOW_ENTRIES + FLOW_STASH);
localparam LISTEN_INDEX_WIDTH = (LISTEN_ENTRIES > 1) ? $clog2(LISTEN_ENTRIES) : 1;
localparam GROUP_INDEX_WIDTH = (LISTEN_GROUPS > 1) ? $clog2(LISTEN_GROUPS) : 1;
localparam COUNT = 13 + 3*QUEUES;

initial begin
    if (DATA_WIDTH != 8 && DATA_WIDTH != 32 && DATA_WIDTH != 64) begin
        $error("Error: DATA_WIDTH must be 8, 32 or 64 (instance %m)");
        $finish;
    end
    if (KEEP_WIDTH * 8 != DATA_WIDTH) begin
        $error("Error: KEEP_WIDTH must be DATA_WIDTH/8 (instance %m)");
        $finish;
    end
    if (QUEUES < 2 || QUEUES > 16) begin
        $error("Error: QUEUES must be 2..16 (instance %m)");
        $finish;
    end
    if (ADDR_SLOTS < 1 || ADDR_SLOTS > 16) begin
        $error("Error: ADDR_SLOTS must be 1..16 (instance %m)");
        $finish;
    end
    if ((2**IFIFO_ADDR_WIDTH) * KEEP_WIDTH != INGRESS_FIFO_BYTES ||
            (2**QFIFO_ADDR_WIDTH) * KEEP_WIDTH != QUEUE_FIFO_BYTES) begin
        $error("Error: FIFO sizes must be powers of two (instance %m)");
        $finish;
    end
    if (INGRESS_FIFO_BYTES < MAX_FRAME + 2*KEEP_WIDTH) begin
        $error("Error: INGRESS_FIFO_BYTES must hold a MAX_FRAME frame (instance %m)");
        $finish;
    end
    if (IPV6 != 0 && IPV6 != 1) begin
        $error("Error: IPV6 must be 0 or 1 (instance %m)");
        $finish;
    end
end

// the flow table's key from a full key (without IPv6 the source's bits 127:32 are dropped),
// and back (zero-extended)
/* verilator lint_off UNUSEDSIGNAL */ // without IPv6 the source's bits 127:32 (always 0 then)
function [FT_KEY_WIDTH-1:0] ft_pack(input [KEY_WIDTH-1:0] k);
    ft_pack = {k[165:160], k[FT_SRC_WIDTH+31:0]};
endfunction
/* verilator lint_on UNUSEDSIGNAL */

function [KEY_WIDTH-1:0] ft_unpack(input [FT_KEY_WIDTH-1:0] k);
    ft_unpack = {KEY_WIDTH{1'b0}};
    ft_unpack[165:160] = k[FT_KEY_WIDTH-1 -: 6];
    ft_unpack[FT_SRC_WIDTH+31:0] = k[FT_SRC_WIDTH+31:0];
endfunction

/*
 * ingress and its packet FIFO
 */
wire ififo_wr_en;
wire [IFIFO_ADDR_WIDTH-1:0] ififo_wr_addr;
wire [DATA_WIDTH-1:0] ififo_wr_data;
wire ififo_rd_en;
wire [IFIFO_ADDR_WIDTH-1:0] ififo_rd_addr;
wire [IFIFO_ADDR_WIDTH:0] ififo_rd_ptr;
wire [DATA_WIDTH-1:0] ififo_rd_data;

wire frame_valid;
wire [HDR_BYTES*8-1:0] frame_hdr;
wire [LEN_WIDTH-1:0] frame_len;
wire frame_runt, frame_oversize;

wire stat_beat, stat_frame;
wire [7:0] stat_beat_bytes;
wire [31:0] next_id;

wire desc_valid, desc_ready;

sipnic_ingress #(
    .DATA_WIDTH(DATA_WIDTH),
    .KEEP_WIDTH(KEEP_WIDTH),
    .MAX_FRAME(MAX_FRAME),
    .LEN_WIDTH(LEN_WIDTH),
    .FIFO_ADDR_WIDTH(IFIFO_ADDR_WIDTH),
    .HDR_BYTES(HDR_BYTES),
    .INFLIGHT_LIMIT(INFLIGHT_LIMIT)
)
sipnic_ingress_inst (
    .clk(clk),
    .rst(rst),
    .s_axis_tdata(s_axis_tdata),
    .s_axis_tkeep(s_axis_tkeep),
    .s_axis_tvalid(s_axis_tvalid),
    .s_axis_tready(s_axis_tready),
    .s_axis_tlast(s_axis_tlast),
    .fifo_wr_en(ififo_wr_en),
    .fifo_wr_addr(ififo_wr_addr),
    .fifo_wr_data(ififo_wr_data),
    .fifo_rd_ptr(ififo_rd_ptr),
    .frame_release(desc_valid && desc_ready),
    .m_frame_valid(frame_valid),
    .m_frame_hdr(frame_hdr),
    .m_frame_len(frame_len),
    .m_frame_runt(frame_runt),
    .m_frame_oversize(frame_oversize),
    .stat_beat(stat_beat),
    .stat_beat_bytes(stat_beat_bytes),
    .stat_frame(stat_frame),
    .next_id(next_id)
);

sipnic_ram_sdp #(
    .WIDTH(DATA_WIDTH),
    .ADDR_WIDTH(IFIFO_ADDR_WIDTH)
)
ingress_ram_inst (
    .clk(clk),
    .wr_en(ififo_wr_en),
    .wr_addr(ififo_wr_addr),
    .wr_data(ififo_wr_data),
    .rd_en(ififo_rd_en),
    .rd_addr(ififo_rd_addr),
    .rd_data(ififo_rd_data)
);

/*
 * parser, shared with the transmit snoop (LEARNING): a received frame takes it in its last
 * beat's clock as without the snoop; a transmitted frame's header takes it in a clock the
 * receive side leaves free, tagged, so its result goes to the transmit side
 */
wire pin_valid, pin_runt, pin_oversize;
wire [HDR_BYTES*8-1:0] pin_hdr;
wire [LEN_WIDTH-1:0] pin_len;
wire sp_valid, sp_runt, sp_oversize, sp_steerable;
wire [LEN_WIDTH-1:0] sp_len;

// the receive side's view of the parsed frames
wire p_valid, p_runt, p_oversize, p_steerable, p_ipv6, p_udp, p_syn, p_ack, p_fin, p_rst;
wire [LEN_WIDTH-1:0] p_len;
wire [127:0] p_src, p_dst;
wire [15:0] p_sport, p_dport;

sipnic_parser #(
    .HDR_BYTES(HDR_BYTES),
    .LEN_WIDTH(LEN_WIDTH),
    .IPV6(IPV6)
)
sipnic_parser_inst (
    .clk(clk),
    .rst(rst),
    .s_valid(pin_valid),
    .s_hdr(pin_hdr),
    .s_len(pin_len),
    .s_runt(pin_runt),
    .s_oversize(pin_oversize),
    .m_valid(sp_valid),
    .m_len(sp_len),
    .m_runt(sp_runt),
    .m_oversize(sp_oversize),
    .m_steerable(sp_steerable),
    .m_ipv6(p_ipv6),
    .m_udp(p_udp),
    .m_src(p_src),
    .m_dst(p_dst),
    .m_sport(p_sport),
    .m_dport(p_dport),
    .m_syn(p_syn),
    .m_ack(p_ack),
    .m_fin(p_fin),
    .m_rst(p_rst)
);

/*
 * tables
 */
// the address match port: the steer's, or in clocks it leaves free, the transmit side's
wire am_ipv6, am_hit, steer_am_ipv6;
wire [127:0] am_addr, steer_am_addr;
wire [3:0] am_slot;

wire addr_wr_en, addr_wr_valid, addr_wr_ipv6, addr_rd_valid, addr_rd_ipv6;
wire [3:0] addr_wr_slot, addr_rd_slot;
wire [127:0] addr_wr_addr, addr_rd_addr;

sipnic_addr_table #(
    .ADDR_SLOTS(ADDR_SLOTS)
)
sipnic_addr_table_inst (
    .clk(clk),
    .rst(rst),
    .wr_en(addr_wr_en),
    .wr_slot(addr_wr_slot),
    .wr_valid(addr_wr_valid),
    .wr_ipv6(addr_wr_ipv6),
    .wr_addr(addr_wr_addr),
    .rd_slot(addr_rd_slot),
    .rd_valid(addr_rd_valid),
    .rd_ipv6(addr_rd_ipv6),
    .rd_addr(addr_rd_addr),
    .match_ipv6(am_ipv6),
    .match_addr(am_addr),
    .match_hit(am_hit),
    .match_slot(am_slot)
);

wire lm_en, lm_ipv6, lm_udp, lm_syn, lm_ack, lm_hit, lm_learn;
wire [3:0] lm_slot;
wire [15:0] lm_port;
wire [7:0] lm_action;
wire [2:0] lm_hash;

wire listen_wr_en, listen_wr_valid, listen_wr_ipv6, listen_wr_udp, listen_wr_learn, listen_rd_learn;
wire [LISTEN_INDEX_WIDTH-1:0] listen_wr_index, listen_rd_index;
wire [3:0] listen_wr_slot, listen_rd_slot;
wire [15:0] listen_wr_port, listen_rd_port;
wire [7:0] listen_wr_action, listen_rd_action;
wire listen_rd_valid, listen_rd_ipv6, listen_rd_udp;
wire group_wr_en;
wire [GROUP_INDEX_WIDTH-1:0] group_wr_index, group_rd_index;
wire [63:0] group_wr_data, group_rd_data;

sipnic_listen_table #(
    .LISTEN_ENTRIES(LISTEN_ENTRIES),
    .INDEX_WIDTH(LISTEN_INDEX_WIDTH),
    .GROUPS(LISTEN_GROUPS),
    .GROUP_INDEX_WIDTH(GROUP_INDEX_WIDTH)
)
sipnic_listen_table_inst (
    .clk(clk),
    .rst(rst),
    .wr_en(listen_wr_en),
    .wr_index(listen_wr_index),
    .wr_valid(listen_wr_valid),
    .wr_ipv6(listen_wr_ipv6),
    .wr_udp(listen_wr_udp),
    .wr_slot(listen_wr_slot),
    .wr_port(listen_wr_port),
    .wr_action(listen_wr_action),
    .wr_learn(listen_wr_learn),
    .rd_index(listen_rd_index),
    .rd_valid(listen_rd_valid),
    .rd_ipv6(listen_rd_ipv6),
    .rd_udp(listen_rd_udp),
    .rd_slot(listen_rd_slot),
    .rd_port(listen_rd_port),
    .rd_action(listen_rd_action),
    .rd_learn(listen_rd_learn),
    .wr_group_en(group_wr_en),
    .wr_group_index(group_wr_index),
    .wr_group_data(group_wr_data),
    .rd_group_index(group_rd_index),
    .rd_group_data(group_rd_data),
    .match_en(lm_en),
    .match_ipv6(lm_ipv6),
    .match_udp(lm_udp),
    .match_slot(lm_slot),
    .match_port(lm_port),
    .match_syn(lm_syn),
    .match_ack(lm_ack),
    .match_hash(lm_hash),
    .match_hit(lm_hit),
    .match_action(lm_action),
    .match_learn(lm_learn)
);

// the flow lookup port: the steer's, or in clocks it leaves free, the transmit side's
wire lookup_valid, steer_lookup_valid;
wire [FT_KEY_WIDTH-1:0] lookup_key;
wire [KEY_WIDTH-1:0] steer_lookup_key;
wire [3:0] lookup_flags, steer_lookup_flags;
wire tx_lookup;                  // the lookup is the transmit side's: its result is not the steer's
wire result_valid, result_hit;
wire [7:0] result_action;
/* verilator lint_off UNUSEDSIGNAL */ // tag bits 7:4 are not used
wire [7:0] result_tag;
/* verilator lint_on UNUSEDSIGNAL */
wire [2:0] learn_tag;
wire lk_cand;                    // the lookup is a learning candidate
wire [7:0] lk_action;            // the queue it would learn
wire tx_enable;                  // LEARN_CONTROL.TRANSMIT
wire [22:0] now_ms;
wire emb_leave;

// the flow table's command port (the register file's, or through sipnic_learn's arbiter)
wire ft_cmd_valid, ft_cmd_ready, ft_cmd_done;
wire [2:0] ft_cmd_op;
wire [FT_KEY_WIDTH-1:0] ft_cmd_key;
wire [7:0] ft_cmd_action;
wire [FLOW_SLOT_WIDTH-1:0] ft_cmd_slot;
wire [4:0] ft_cmd_meta;
wire [31:0] cmd_res_meta;
wire learn_wr, learn_rd;
wire [7:0] learn_addr;
wire [31:0] learn_wdata, learn_rdata;

wire cmd_valid, cmd_ready, cmd_done, cmd_res_valid;
wire [2:0] cmd_op;
wire [KEY_WIDTH-1:0] cmd_key, cmd_res_key;  // the register file's, full width
wire [FT_KEY_WIDTH-1:0] cmd_key_ft = ft_pack(cmd_key);
wire [FT_KEY_WIDTH-1:0] cmd_res_key_ft;
assign cmd_res_key = ft_unpack(cmd_res_key_ft);
wire [7:0] cmd_action, cmd_res_action;
wire [FLOW_SLOT_WIDTH-1:0] cmd_slot, cmd_res_slot;
wire [1:0] cmd_status;
wire [31:0] cmd_res_hits;
wire [15:0] cmd_res_moves, flow_count;
wire [7:0] flow_stash_used, flow_lookup_latency;

/* verilator lint_off PINCONNECTEMPTY */
sipnic_flow_table #(
    .ENTRIES(FLOW_ENTRIES),
    .WAYS(FLOW_WAYS),
    .STASH(FLOW_STASH),
    .KEY_WIDTH(FT_KEY_WIDTH),
    .ACTION_WIDTH(8),
    .TAG_WIDTH(8),
    .MAX_MOVES(32),
    .SLOT_WIDTH(FLOW_SLOT_WIDTH),
    .LEARNING(LEARNING)
)
sipnic_flow_table_inst (
    .clk(clk),
    .rst(rst),
    .lookup_valid(lookup_valid),
    .lookup_key(lookup_key),
    .lookup_tag({4'd0, tx_lookup, learn_tag}),
    .lookup_flags(lookup_flags),
    .result_valid(result_valid),
    .result_hit(result_hit),
    .result_action(result_action),
    .result_tag(result_tag),
    .cmd_valid(ft_cmd_valid),
    .cmd_ready(ft_cmd_ready),
    .cmd_op(ft_cmd_op),
    .cmd_key(ft_cmd_key),
    .cmd_action(ft_cmd_action),
    .cmd_slot(ft_cmd_slot),
    .cmd_meta(ft_cmd_meta),
    .cmd_done(ft_cmd_done),
    .cmd_status(cmd_status),
    .cmd_res_valid(cmd_res_valid),
    .cmd_res_key(cmd_res_key_ft),
    .cmd_res_action(cmd_res_action),
    .cmd_res_slot(cmd_res_slot),
    .cmd_res_hits(cmd_res_hits),
    .cmd_res_meta(cmd_res_meta),
    .cmd_res_moves(cmd_res_moves),
    .count(flow_count),
    .stash_used(flow_stash_used),
    .lookup_latency(flow_lookup_latency),
    .now_ms(now_ms),
    .emb_leave(emb_leave)
);
/* verilator lint_on PINCONNECTEMPTY */

/*
 * learning engine and aging, between the register file's and the flow table's command ports
 */
generate
    if (LEARNING != 0) begin : learn
        sipnic_learn #(
            .CLOCKS_PER_MS(CLOCKS_PER_MS),
            .QUEUES(QUEUES),
            .KEY_WIDTH(FT_KEY_WIDTH),
            .SLOTS(FLOW_ENTRIES + FLOW_STASH),
            .SLOT_WIDTH(FLOW_SLOT_WIDTH),
            .REQ_DEPTH(LEARN_REQUESTS),
            .EVENT_DEPTH(LEARN_EVENTS)
        )
        sipnic_learn_inst (
            .clk(clk),
            .rst(rst),
            .lk_valid(lookup_valid),
            .lk_key(lookup_key),
            .lk_cand(lk_cand),
            .lk_action(lk_action),
            .lk_tag(learn_tag),
            .res_valid(result_valid),
            .res_hit(result_hit),
            .res_tag(result_tag[2:0]),
            .h_cmd_valid(cmd_valid),
            .h_cmd_ready(cmd_ready),
            .h_cmd_op(cmd_op),
            .h_cmd_key(cmd_key_ft),
            .h_cmd_action(cmd_action),
            .h_cmd_slot(cmd_slot),
            .h_cmd_done(cmd_done),
            .f_cmd_valid(ft_cmd_valid),
            .f_cmd_ready(ft_cmd_ready),
            .f_cmd_op(ft_cmd_op),
            .f_cmd_key(ft_cmd_key),
            .f_cmd_action(ft_cmd_action),
            .f_cmd_slot(ft_cmd_slot),
            .f_cmd_meta(ft_cmd_meta),
            .f_cmd_done(ft_cmd_done),
            .f_cmd_status(cmd_status),
            .f_cmd_res_valid(cmd_res_valid),
            .f_cmd_res_key(cmd_res_key_ft),
            .f_cmd_res_action(cmd_res_action),
            .f_cmd_res_meta(cmd_res_meta),
            .f_count(flow_count),
            .f_emb_leave(emb_leave),
            .now_ms(now_ms),
            .reg_wr(learn_wr),
            .reg_rd(learn_rd),
            .reg_addr(learn_addr),
            .reg_wdata(learn_wdata),
            .reg_rdata(learn_rdata),
            .tx_enable(tx_enable)
        );

        // transmit side: its own header capture, the shared parser, then the reverse-key request
        wire tx_valid, tx_steerable, tx_ipv6, tx_udp, tx_syn, tx_ack, tx_fin, tx_rst;
        wire [127:0] tx_src, tx_dst;
        wire [15:0] tx_sport, tx_dport;
        wire [4:0] tx_proc;
        wire tx_am_req, tx_am_ipv6, tx_lk_req;
        wire [127:0] tx_am_addr;
        wire [KEY_WIDTH-1:0] tx_lk_key;
        wire [3:0] tx_lk_flags;
        wire [7:0] tx_lk_action;
        wire tx_hdr_valid, tx_hdr_ready, tx_hdr_oversize;
        wire [92*8-1:0] tx_hdr;
        wire [LEN_WIDTH-1:0] tx_hdr_len;
        wire [4:0] tx_hdr_proc;

        sipnic_tx_snoop #(
            .DATA_WIDTH(DATA_WIDTH),
            .KEEP_WIDTH(KEEP_WIDTH),
            .MAX_FRAME(MAX_FRAME),
            .LEN_WIDTH(LEN_WIDTH),
            .HDR_BYTES(104),
            .FIRST_BYTE(12),
            .PROC_WIDTH(5)
        )
        sipnic_tx_snoop_inst (
            .clk(clk),
            .rst(rst),
            .s_tdata(tx_axis_tdata),
            .s_tkeep(tx_axis_tkeep),
            .s_tvalid(tx_axis_tvalid),
            .s_tlast(tx_axis_tlast),
            .s_processor(tx_processor),
            .m_valid(tx_hdr_valid),
            .m_ready(tx_hdr_ready),
            .m_hdr(tx_hdr),
            .m_len(tx_hdr_len),
            .m_oversize(tx_hdr_oversize),
            .m_processor(tx_hdr_proc)
        );

        // the parser: a received frame of 14 bytes or more always takes it, a transmitted header
        // takes it otherwise; a received runt (under 14 bytes: never steerable, always dropped,
        // no parsed field used) passes beside it with its length. Every select below is the
        // received frame alone, so each multiplexed bit is one LUT4.
        wire rx_take = frame_valid && !frame_runt;
        wire tx_take = tx_hdr_valid && !rx_take;
        assign tx_hdr_ready = !rx_take;
        assign pin_valid = rx_take || tx_hdr_valid;
        assign pin_hdr = {frame_hdr[HDR_BYTES*8-1:104*8], rx_take ? frame_hdr[104*8-1:12*8] : tx_hdr, frame_hdr[12*8-1:0]};
        assign pin_len = rx_take ? frame_len : tx_hdr_len;
        assign pin_runt = 1'b0;
        assign pin_oversize = rx_take ? frame_oversize : tx_hdr_oversize;

        // beside the parser's three stages: which side took it, the transmit processor, the runt
        reg [2:0] rx_reg = 3'd0, tx_reg = 3'd0, runt_reg = 3'd0;
        reg [3*5-1:0] tx_proc_reg;
        reg [3*LEN_WIDTH-1:0] runt_len_reg;

        always @(posedge clk) begin
            rx_reg <= {rx_reg[1:0], rx_take};
            tx_reg <= {tx_reg[1:0], tx_take};
            runt_reg <= {runt_reg[1:0], frame_valid && frame_runt};
            tx_proc_reg <= {tx_proc_reg[2*5-1:0], tx_hdr_proc};
            runt_len_reg <= {runt_len_reg[2*LEN_WIDTH-1:0], frame_len};
            if (rst) begin
                rx_reg <= 3'd0;
                tx_reg <= 3'd0;
                runt_reg <= 3'd0;
            end
        end

        // a runt is never oversize (its length is under 14), never steerable
        assign p_valid = rx_reg[2] || runt_reg[2];
        assign p_len = rx_reg[2] ? sp_len : runt_len_reg[3*LEN_WIDTH-1 -: LEN_WIDTH];
        assign p_runt = !rx_reg[2];
        assign p_oversize = sp_oversize && rx_reg[2];
        assign p_steerable = sp_steerable && rx_reg[2];
        /* verilator lint_off UNUSEDSIGNAL */
        wire unused_sp = &{1'b0, sp_valid, sp_runt};
        /* verilator lint_on UNUSEDSIGNAL */

        assign tx_valid = tx_reg[2];
        assign tx_steerable = sp_steerable;
        assign tx_ipv6 = p_ipv6;
        assign tx_udp = p_udp;
        assign tx_src = p_src;
        assign tx_dst = p_dst;
        assign tx_sport = p_sport;
        assign tx_dport = p_dport;
        assign tx_syn = p_syn;
        assign tx_ack = p_ack;
        assign tx_fin = p_fin;
        assign tx_rst = p_rst;
        assign tx_proc = tx_proc_reg[3*5-1 -: 5];

        // the receive side needs the address match for a steerable parsed frame, the lookup
        // port for the steer's lookups; the transmit side takes the clocks between
        // (p_steerable is set only with p_valid)
        wire tx_am_grant = tx_am_req && !p_steerable;
        assign tx_lookup = tx_lk_req && !steer_lookup_valid;

        sipnic_tx_learn #(
            .QUEUES(QUEUES),
            .KEY_WIDTH(KEY_WIDTH),
            .PROC_WIDTH(5),
            .IPV6(IPV6)
        )
        sipnic_tx_learn_inst (
            .clk(clk),
            .rst(rst),
            .enable(tx_enable),
            .s_valid(tx_valid),
            .s_steerable(tx_steerable),
            .s_ipv6(tx_ipv6),
            .s_udp(tx_udp),
            .s_src(tx_src),
            .s_dst(tx_dst),
            .s_sport(tx_sport),
            .s_dport(tx_dport),
            .s_syn(tx_syn),
            .s_ack(tx_ack),
            .s_fin(tx_fin),
            .s_rst(tx_rst),
            .s_processor(tx_proc),
            .am_req(tx_am_req),
            .am_ipv6(tx_am_ipv6),
            .am_addr(tx_am_addr),
            .am_grant(tx_am_grant),
            .am_hit(am_hit),
            .am_slot(am_slot),
            .lk_req(tx_lk_req),
            .lk_key(tx_lk_key),
            .lk_flags(tx_lk_flags),
            .lk_action(tx_lk_action),
            .lk_grant(tx_lookup)
        );

        assign am_ipv6 = tx_am_grant ? tx_am_ipv6 : steer_am_ipv6;
        assign am_addr = tx_am_grant ? tx_am_addr : steer_am_addr;
        assign lookup_valid = steer_lookup_valid || tx_lookup;
        assign lookup_key = ft_pack(tx_lookup ? tx_lk_key : steer_lookup_key);
        assign lookup_flags = tx_lookup ? tx_lk_flags : steer_lookup_flags;
        // a learning candidate: the steer's TCP connection request decided by a LEARN listen
        // entry, or the transmit side's request (it asks only for those)
        assign lk_cand = tx_lookup || (steer_lookup_flags[3] && !steer_lookup_flags[2] && !lm_udp && lm_hit && lm_learn);
        assign lk_action = tx_lookup ? tx_lk_action : lm_action;
    end else begin : no_learn
        assign pin_valid = frame_valid;
        assign pin_hdr = frame_hdr;
        assign pin_len = frame_len;
        assign pin_runt = frame_runt;
        assign pin_oversize = frame_oversize;
        assign p_valid = sp_valid;
        assign p_len = sp_len;
        assign p_runt = sp_runt;
        assign p_oversize = sp_oversize;
        assign p_steerable = sp_steerable;
        assign learn_tag = 3'd0;
        assign tx_enable = 1'b0;
        assign tx_lookup = 1'b0;
        assign lk_cand = 1'b0;
        assign lk_action = 8'd0;
        assign am_ipv6 = steer_am_ipv6;
        assign am_addr = steer_am_addr;
        assign lookup_valid = steer_lookup_valid;
        assign lookup_key = ft_pack(steer_lookup_key);
        assign lookup_flags = steer_lookup_flags;
        assign now_ms = 23'd0;
        assign ft_cmd_valid = cmd_valid;
        assign cmd_ready = ft_cmd_ready;
        assign ft_cmd_op = cmd_op;
        assign ft_cmd_key = cmd_key_ft;
        assign ft_cmd_action = cmd_action;
        assign ft_cmd_slot = cmd_slot;
        assign ft_cmd_meta = 5'd0;
        assign cmd_done = ft_cmd_done;
        assign learn_rdata = 32'd0;
        /* verilator lint_off UNUSEDSIGNAL */
        wire unused = &{1'b0, lm_learn, emb_leave, learn_wr, learn_rd, learn_addr, learn_wdata, tx_enable, lk_cand, lk_action,
            tx_axis_tdata, tx_axis_tkeep, tx_axis_tvalid, tx_axis_tlast, tx_processor};
        /* verilator lint_on UNUSEDSIGNAL */
    end
endgenerate

/*
 * steering decision
 */
wire [7:0] default_action;
wire [LEN_WIDTH-1:0] desc_len;
wire desc_drop;
wire [3:0] desc_reason;
wire [QUEUE_WIDTH-1:0] desc_queue;
wire stat_flow_hit, stat_listen_hit, stat_default_hit;

sipnic_steer #(
    .QUEUES(QUEUES),
    .QUEUE_WIDTH(QUEUE_WIDTH),
    .LEN_WIDTH(LEN_WIDTH),
    .DESC_ADDR_WIDTH(DESC_ADDR_WIDTH),
    .KEY_WIDTH(KEY_WIDTH)
)
sipnic_steer_inst (
    .clk(clk),
    .rst(rst),
    .s_valid(p_valid),
    .s_len(p_len),
    .s_runt(p_runt),
    .s_oversize(p_oversize),
    .s_steerable(p_steerable),
    .s_ipv6(p_ipv6),
    .s_udp(p_udp),
    .s_src(p_src),
    .s_dst(p_dst),
    .s_sport(p_sport),
    .s_dport(p_dport),
    .s_syn(p_syn),
    .s_ack(p_ack),
    .s_fin(p_fin),
    .s_rst(p_rst),
    .am_ipv6(steer_am_ipv6),
    .am_addr(steer_am_addr),
    .am_hit(am_hit),
    .am_slot(am_slot),
    .lm_en(lm_en),
    .lm_ipv6(lm_ipv6),
    .lm_udp(lm_udp),
    .lm_slot(lm_slot),
    .lm_port(lm_port),
    .lm_syn(lm_syn),
    .lm_ack(lm_ack),
    .lm_hash(lm_hash),
    .lm_hit(lm_hit),
    .lm_action(lm_action),
    .lookup_valid(steer_lookup_valid),
    .lookup_key(steer_lookup_key),
    .lookup_flags(steer_lookup_flags),
    .result_valid(result_valid && !result_tag[3]),
    .result_hit(result_hit),
    .result_action(result_action),
    .default_action(default_action),
    .m_desc_valid(desc_valid),
    .m_desc_ready(desc_ready),
    .m_desc_len(desc_len),
    .m_desc_drop(desc_drop),
    .m_desc_reason(desc_reason),
    .m_desc_queue(desc_queue),
    .stat_flow_hit(stat_flow_hit),
    .stat_listen_hit(stat_listen_hit),
    .stat_default_hit(stat_default_hit)
);

/*
 * dispatch and queues
 */
wire [QUEUES*(QFIFO_ADDR_WIDTH+1)-1:0] q_free;
wire [QUEUES-1:0] q_resv_valid;
wire [QFIFO_ADDR_WIDTH:0] q_resv_beats;
wire [31:0] q_resv_id;
wire [QUEUES-1:0] q_wr_valid;
wire [KEEP_WIDTH-1:0] q_wr_keep;
wire q_wr_last;

wire stat_q_frame, stat_q_drop;
wire [QUEUE_WIDTH-1:0] stat_q_frame_queue, stat_q_drop_queue;
wire [LEN_WIDTH-1:0] stat_q_frame_len;

sipnic_dispatch #(
    .DATA_WIDTH(DATA_WIDTH),
    .KEEP_WIDTH(KEEP_WIDTH),
    .QUEUES(QUEUES),
    .QUEUE_WIDTH(QUEUE_WIDTH),
    .LEN_WIDTH(LEN_WIDTH),
    .FIFO_ADDR_WIDTH(IFIFO_ADDR_WIDTH),
    .QUEUE_ADDR_WIDTH(QFIFO_ADDR_WIDTH)
)
sipnic_dispatch_inst (
    .clk(clk),
    .rst(rst),
    .s_desc_valid(desc_valid),
    .s_desc_ready(desc_ready),
    .s_desc_len(desc_len),
    .s_desc_drop(desc_drop),
    .s_desc_reason(desc_reason),
    .s_desc_queue(desc_queue),
    .fifo_rd_en(ififo_rd_en),
    .fifo_rd_addr(ififo_rd_addr),
    .fifo_rd_ptr(ififo_rd_ptr),
    .q_free(q_free),
    .q_resv_valid(q_resv_valid),
    .q_resv_beats(q_resv_beats),
    .q_resv_id(q_resv_id),
    .q_wr_valid(q_wr_valid),
    .q_wr_keep(q_wr_keep),
    .q_wr_last(q_wr_last),
    .drop_valid(drop_valid),
    .drop_id(drop_id),
    .drop_reason(drop_reason),
    .stat_q_frame(stat_q_frame),
    .stat_q_frame_queue(stat_q_frame_queue),
    .stat_q_frame_len(stat_q_frame_len),
    .stat_q_drop(stat_q_drop),
    .stat_q_drop_queue(stat_q_drop_queue)
);

genvar q;
generate
    for (q = 0; q < QUEUES; q = q + 1) begin : queue
        sipnic_queue_fifo #(
            .DATA_WIDTH(DATA_WIDTH),
            .KEEP_WIDTH(KEEP_WIDTH),
            .ADDR_WIDTH(QFIFO_ADDR_WIDTH),
            .ID_ADDR_WIDTH(QID_ADDR_WIDTH)
        )
        sipnic_queue_fifo_inst (
            .clk(clk),
            .rst(rst),
            .resv_valid(q_resv_valid[q]),
            .resv_beats(q_resv_beats),
            .resv_id(q_resv_id),
            .free(q_free[q*(QFIFO_ADDR_WIDTH+1) +: QFIFO_ADDR_WIDTH+1]),
            .wr_valid(q_wr_valid[q]),
            .wr_data(ififo_rd_data),
            .wr_keep(q_wr_keep),
            .wr_last(q_wr_last),
            .m_axis_tdata(m_axis_tdata[q*DATA_WIDTH +: DATA_WIDTH]),
            .m_axis_tkeep(m_axis_tkeep[q*KEEP_WIDTH +: KEEP_WIDTH]),
            .m_axis_tvalid(m_axis_tvalid[q]),
            .m_axis_tready(m_axis_tready[q]),
            .m_axis_tlast(m_axis_tlast[q]),
            .m_axis_tuser(m_axis_tuser[q*32 +: 32])
        );
    end
endgenerate

/*
 * counters and registers
 */
wire clear_counters;
wire cnt_rd_en;
wire [$clog2(COUNT)-1:0] cnt_rd_index;
wire [63:0] cnt_rd_value;

sipnic_counters #(
    .QUEUES(QUEUES),
    .QUEUE_WIDTH(QUEUE_WIDTH),
    .LEN_WIDTH(LEN_WIDTH),
    .COUNT(COUNT)
)
sipnic_counters_inst (
    .clk(clk),
    .rst(rst),
    .clear(clear_counters),
    .rx_beat(stat_beat),
    .rx_beat_bytes(stat_beat_bytes),
    .rx_frame(stat_frame),
    .flow_hit(stat_flow_hit),
    .listen_hit(stat_listen_hit),
    .default_hit(stat_default_hit),
    .drop(drop_valid),
    .drop_reason(drop_reason),
    .q_frame(stat_q_frame),
    .q_frame_queue(stat_q_frame_queue),
    .q_frame_len(stat_q_frame_len),
    .q_drop(stat_q_drop),
    .q_drop_queue(stat_q_drop_queue),
    .rd_en(cnt_rd_en),
    .rd_index(cnt_rd_index),
    .rd_value(cnt_rd_value)
);

sipnic_regfile #(
    .DATA_WIDTH(DATA_WIDTH),
    .QUEUES(QUEUES),
    .MAX_FRAME(MAX_FRAME),
    .QUEUE_FIFO_BYTES(QUEUE_FIFO_BYTES),
    .ADDR_SLOTS(ADDR_SLOTS),
    .LISTEN_ENTRIES(LISTEN_ENTRIES),
    .LISTEN_INDEX_WIDTH(LISTEN_INDEX_WIDTH),
    .LISTEN_GROUPS(LISTEN_GROUPS),
    .GROUP_INDEX_WIDTH(GROUP_INDEX_WIDTH),
    .FLOW_ENTRIES(FLOW_ENTRIES),
    .FLOW_WAYS(FLOW_WAYS),
    .FLOW_STASH(FLOW_STASH),
    .FLOW_SLOT_WIDTH(FLOW_SLOT_WIDTH),
    .KEY_WIDTH(KEY_WIDTH),
    .COUNT(COUNT),
    .LEARNING(LEARNING),
    .IPV6(IPV6)
)
sipnic_regfile_inst (
    .clk(clk),
    .rst(rst),
    .reg_en(reg_en),
    .reg_we(reg_we),
    .reg_addr(reg_addr),
    .reg_wdata(reg_wdata),
    .reg_ack(reg_ack),
    .reg_rdata(reg_rdata),
    .default_action(default_action),
    .clear_counters(clear_counters),
    .frame_id(next_id),
    .addr_wr_en(addr_wr_en),
    .addr_wr_slot(addr_wr_slot),
    .addr_wr_valid(addr_wr_valid),
    .addr_wr_ipv6(addr_wr_ipv6),
    .addr_wr_addr(addr_wr_addr),
    .addr_rd_slot(addr_rd_slot),
    .addr_rd_valid(addr_rd_valid),
    .addr_rd_ipv6(addr_rd_ipv6),
    .addr_rd_addr(addr_rd_addr),
    .listen_wr_en(listen_wr_en),
    .listen_wr_index(listen_wr_index),
    .listen_wr_valid(listen_wr_valid),
    .listen_wr_ipv6(listen_wr_ipv6),
    .listen_wr_udp(listen_wr_udp),
    .listen_wr_slot(listen_wr_slot),
    .listen_wr_port(listen_wr_port),
    .listen_wr_action(listen_wr_action),
    .listen_wr_learn(listen_wr_learn),
    .listen_rd_index(listen_rd_index),
    .listen_rd_valid(listen_rd_valid),
    .listen_rd_ipv6(listen_rd_ipv6),
    .listen_rd_udp(listen_rd_udp),
    .listen_rd_slot(listen_rd_slot),
    .listen_rd_port(listen_rd_port),
    .listen_rd_action(listen_rd_action),
    .listen_rd_learn(listen_rd_learn),
    .group_wr_en(group_wr_en),
    .group_wr_index(group_wr_index),
    .group_wr_data(group_wr_data),
    .group_rd_index(group_rd_index),
    .group_rd_data(group_rd_data),
    .cmd_valid(cmd_valid),
    .cmd_ready(cmd_ready),
    .cmd_op(cmd_op),
    .cmd_key(cmd_key),
    .cmd_action(cmd_action),
    .cmd_slot(cmd_slot),
    .cmd_done(cmd_done),
    .cmd_status(cmd_status),
    .cmd_res_valid(cmd_res_valid),
    .cmd_res_key(cmd_res_key),
    .cmd_res_action(cmd_res_action),
    .cmd_res_slot(cmd_res_slot),
    .cmd_res_hits(cmd_res_hits),
    .cmd_res_meta(cmd_res_meta),
    .cmd_res_moves(cmd_res_moves),
    .flow_count(flow_count),
    .flow_stash_used(flow_stash_used),
    .flow_lookup_latency(flow_lookup_latency),
    .cnt_rd_en(cnt_rd_en),
    .cnt_rd_index(cnt_rd_index),
    .cnt_rd_value(cnt_rd_value),
    .learn_wr(learn_wr),
    .learn_rd(learn_rd),
    .learn_addr(learn_addr),
    .learn_wdata(learn_wdata),
    .learn_rdata(learn_rdata)
);

endmodule

`resetall
