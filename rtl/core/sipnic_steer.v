`resetall
`timescale 1ns / 1ps
`default_nettype none

// Steering decision: address match, flow lookup and listen match, then the decision
// (flow, else listen, else default) as a descriptor {length, queue | drop, reason}.
// Descriptors leave in arrival order, one per frame, so the frame id is their ordinal.
//
// stage D: address slot match on the parser output, listen hash (registered)
// stage E: flow lookup issued (if steerable and the address matched), listen match (a
//          queue group resolved by the hash), frame pushed into the pending FIFO
// stage F: pending head combined with its flow result (result FIFO, in order) into the
//          descriptor FIFO
module sipnic_steer #(
    // number of queues
    parameter QUEUES = 8,
    // queue index width
    parameter QUEUE_WIDTH = $clog2(QUEUES),
    // width of frame lengths
    parameter LEN_WIDTH = 14,
    // descriptor FIFO address width (its depth is the ingress in-flight frame limit)
    parameter DESC_ADDR_WIDTH = 10,
    // flow key width
    parameter KEY_WIDTH = 166
) (
    input  wire                   clk,
    input  wire                   rst,

    /*
     * Parsed frames
     */
    input  wire                   s_valid,
    input  wire [LEN_WIDTH-1:0]   s_len,
    input  wire                   s_runt,
    input  wire                   s_oversize,
    input  wire                   s_steerable,
    input  wire                   s_ipv6,
    input  wire                   s_udp,
    input  wire [127:0]           s_src,
    input  wire [127:0]           s_dst,
    input  wire [15:0]            s_sport,
    input  wire [15:0]            s_dport,
    input  wire                   s_syn,
    input  wire                   s_ack,
    input  wire                   s_fin,
    input  wire                   s_rst,

    /*
     * Address table match
     */
    output wire                   am_ipv6,
    output wire [127:0]           am_addr,
    input  wire                   am_hit,
    input  wire [3:0]             am_slot,

    /*
     * Listen table match
     */
    output wire                   lm_en,
    output wire                   lm_ipv6,
    output wire                   lm_udp,
    output wire [3:0]             lm_slot,
    output wire [15:0]            lm_port,
    output wire                   lm_syn,
    output wire                   lm_ack,
    output wire [2:0]             lm_hash,
    input  wire                   lm_hit,
    input  wire [7:0]             lm_action,

    /*
     * Flow table lookup
     */
    output wire                   lookup_valid,
    output wire [KEY_WIDTH-1:0]   lookup_key,
    output wire [3:0]             lookup_flags,   // TCP {SYN, ACK, FIN, RST} (0 for UDP)
    input  wire                   result_valid,
    input  wire                   result_hit,
    input  wire [7:0]             result_action,

    /*
     * Configuration
     */
    input  wire [7:0]             default_action,

    /*
     * Descriptors
     */
    output wire                   m_desc_valid,
    input  wire                   m_desc_ready,
    output wire [LEN_WIDTH-1:0]   m_desc_len,
    output wire                   m_desc_drop,
    output wire [3:0]             m_desc_reason,
    output wire [QUEUE_WIDTH-1:0] m_desc_queue,

    /*
     * Statistics: one pulse per decided frame that is not runt/oversize
     */
    output wire                   stat_flow_hit,
    output wire                   stat_listen_hit,
    output wire                   stat_default_hit
);

/* verilator lint_off UNUSEDPARAM */
`include "sipnic_regs.vh"
/* verilator lint_on UNUSEDPARAM */

initial begin
    if (KEY_WIDTH != 166) begin
        $error("Error: KEY_WIDTH must be 166 (instance %m)");
        $finish;
    end
    if (QUEUES < 2 || QUEUES > 16 || (2**QUEUE_WIDTH) < QUEUES) begin
        $error("Error: QUEUES must be 2..16 (instance %m)");
        $finish;
    end
end

/*
 * listen hash (docs/semantics.md, shared ports): the 16-bit XOR of the source address's
 * eight 16-bit words (IPv4: bits 31:0, the rest zero), the source port and the destination
 * port, folded to 3 bits by XOR of its bit groups 2:0, 5:3, 8:6, 11:9, 14:12 and 15
 */
function [2:0] listen_hash(input [127:0] src, input [15:0] sport, input [15:0] dport);
    reg [15:0] h;
    integer k;
    begin
        h = sport ^ dport;
        for (k = 0; k < 8; k = k + 1) begin
            h = h ^ src[16*k +: 16];
        end
        listen_hash = h[2:0] ^ h[5:3] ^ h[8:6] ^ h[11:9] ^ h[14:12] ^ {2'b00, h[15]};
    end
endfunction

/*
 * stage D: address match, listen hash
 */
reg d_valid_reg = 1'b0;
reg [LEN_WIDTH-1:0] d_len_reg;
reg d_runt_reg, d_oversize_reg;
reg d_match_reg;
reg d_ipv6_reg, d_udp_reg;
reg [3:0] d_slot_reg;
reg [127:0] d_src_reg;
reg [15:0] d_sport_reg, d_dport_reg;
reg d_syn_reg, d_ack_reg, d_fin_reg, d_rst_reg;
reg [2:0] d_hash_reg;

assign am_ipv6 = s_ipv6;
assign am_addr = s_dst;

always @(posedge clk) begin
    d_valid_reg <= s_valid;
    d_len_reg <= s_len;
    d_runt_reg <= s_runt;
    d_oversize_reg <= s_oversize;
    d_match_reg <= s_steerable && am_hit;
    d_ipv6_reg <= s_ipv6;
    d_udp_reg <= s_udp;
    d_slot_reg <= am_slot;
    d_src_reg <= s_src;
    d_sport_reg <= s_sport;
    d_dport_reg <= s_dport;
    d_syn_reg <= s_syn;
    d_ack_reg <= s_ack;
    d_fin_reg <= s_fin && !s_udp;
    d_rst_reg <= s_rst && !s_udp;
    d_hash_reg <= listen_hash(s_src, s_sport, s_dport);

    if (rst) begin
        d_valid_reg <= 1'b0;
    end
end

/*
 * stage E: flow lookup, listen match, pending FIFO
 */
assign lookup_valid = d_valid_reg && d_match_reg;
assign lookup_key = {d_ipv6_reg, d_udp_reg, d_slot_reg, d_src_reg, d_sport_reg, d_dport_reg};

assign lookup_flags = {d_syn_reg && !d_udp_reg, d_ack_reg && !d_udp_reg, d_fin_reg, d_rst_reg};

assign lm_en = d_match_reg;
assign lm_ipv6 = d_ipv6_reg;
assign lm_udp = d_udp_reg;
assign lm_slot = d_slot_reg;
assign lm_port = d_dport_reg;
assign lm_syn = d_syn_reg;
assign lm_ack = d_ack_reg;
assign lm_hash = d_hash_reg;

// frames wait here at most for their flow result (the descriptor FIFO never fills)
localparam PEND_ADDR_WIDTH = 5;
localparam PEND_WIDTH = LEN_WIDTH + 2 + 1 + 1 + 8;

wire [PEND_WIDTH-1:0] pend_in = {d_len_reg, d_runt_reg, d_oversize_reg, d_match_reg,
    lm_hit, lm_action};
wire [PEND_WIDTH-1:0] pend_out;
wire pend_valid;
wire pend_ready;

wire [LEN_WIDTH-1:0] p_len = pend_out[PEND_WIDTH-1 -: LEN_WIDTH];
wire p_runt = pend_out[11];
wire p_oversize = pend_out[10];
wire p_lookup = pend_out[9];
wire p_listen_hit = pend_out[8];
wire [7:0] p_listen_action = pend_out[7:0];

/* verilator lint_off PINCONNECTEMPTY */
sipnic_sync_fifo #(
    .WIDTH(PEND_WIDTH),
    .ADDR_WIDTH(PEND_ADDR_WIDTH)
)
pend_fifo_inst (
    .clk(clk),
    .rst(rst),
    .s_data(pend_in),
    .s_valid(d_valid_reg),
    .s_ready(),
    .m_data(pend_out),
    .m_valid(pend_valid),
    .m_ready(pend_ready)
);

wire [8:0] res_out;
wire res_valid;
wire res_ready;

sipnic_sync_fifo #(
    .WIDTH(9),
    .ADDR_WIDTH(PEND_ADDR_WIDTH)
)
res_fifo_inst (
    .clk(clk),
    .rst(rst),
    .s_data({result_hit, result_action}),
    .s_valid(result_valid),
    .s_ready(),
    .m_data(res_out),
    .m_valid(res_valid),
    .m_ready(res_ready)
);
/* verilator lint_on PINCONNECTEMPTY */

/*
 * stage F: decision
 */
localparam DESC_WIDTH = LEN_WIDTH + 1 + 4 + QUEUE_WIDTH;
localparam [7:0] QUEUES_W = QUEUES[7:0];

wire desc_in_ready;
wire go = pend_valid && (!p_lookup || res_valid) && desc_in_ready;

assign pend_ready = go;
assign res_ready = go && p_lookup;

reg [7:0] action;
reg drop;
reg [3:0] reason;
reg hit_flow, hit_listen, hit_default;

always @* begin
    hit_flow = 1'b0;
    hit_listen = 1'b0;
    hit_default = 1'b0;
    if (p_lookup && res_out[8]) begin
        action = res_out[7:0];
        hit_flow = 1'b1;
    end else if (p_listen_hit) begin
        action = p_listen_action;
        hit_listen = 1'b1;
    end else begin
        action = default_action;
        hit_default = 1'b1;
    end

    drop = 1'b1;
    if (p_runt) begin
        reason = DROP_RUNT;
    end else if (p_oversize) begin
        reason = DROP_OVERSIZE;
    end else if (action[ENC_ACTION_DROP_SHIFT]) begin
        reason = DROP_RULE;
    end else if ({1'b0, action[ENC_ACTION_QUEUE_SHIFT +: ENC_ACTION_QUEUE_WIDTH]} >= QUEUES_W) begin
        reason = DROP_BAD_QUEUE;
    end else begin
        reason = 4'd0;
        drop = 1'b0;
    end
end

reg stat_flow_reg = 1'b0, stat_listen_reg = 1'b0, stat_default_reg = 1'b0;

always @(posedge clk) begin
    stat_flow_reg <= go && !p_runt && !p_oversize && hit_flow;
    stat_listen_reg <= go && !p_runt && !p_oversize && hit_listen;
    stat_default_reg <= go && !p_runt && !p_oversize && hit_default;

    if (rst) begin
        stat_flow_reg <= 1'b0;
        stat_listen_reg <= 1'b0;
        stat_default_reg <= 1'b0;
    end
end

assign stat_flow_hit = stat_flow_reg;
assign stat_listen_hit = stat_listen_reg;
assign stat_default_hit = stat_default_reg;

wire [DESC_WIDTH-1:0] desc_in = {p_len, drop, reason, action[ENC_ACTION_QUEUE_SHIFT +: QUEUE_WIDTH]};
wire [DESC_WIDTH-1:0] desc_out;

sipnic_ram_fifo #(
    .WIDTH(DESC_WIDTH),
    .ADDR_WIDTH(DESC_ADDR_WIDTH)
)
desc_fifo_inst (
    .clk(clk),
    .rst(rst),
    .s_data(desc_in),
    .s_valid(pend_valid && (!p_lookup || res_valid)),
    .s_ready(desc_in_ready),
    .m_data(desc_out),
    .m_valid(m_desc_valid),
    .m_ready(m_desc_ready)
);

assign {m_desc_len, m_desc_drop, m_desc_reason, m_desc_queue} = desc_out;

endmodule

`resetall
