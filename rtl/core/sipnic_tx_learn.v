`resetall
`timescale 1ns / 1ps
`default_nettype none

// Transmit-side learning requests (docs/semantics.md rule 9): a connection request that
// processor n transmits (TCP, SYN set, ACK clear) whose source address is a cluster address
// (it matches an address slot) asks to learn the reverse key -> queue n. It borrows the
// address table's match port and then the flow table's lookup port, each in a clock the
// receive side does not use (the receive side always wins, so it never waits); the lookup is
// tagged as transmit-side, so its result goes to the learning engine only, which treats it as
// any learning request (exact hit, quota, full, busy) and inserts through the same queue.
//
// One request is held at a time. The receive side needs each port at most once per steerable
// frame (54 bytes at least: 7 clocks apart at width 64), so a held request leaves within
// 4 clocks, before the next transmitted steerable frame is parsed.
module sipnic_tx_learn #(
    // queues of the adapter
    parameter QUEUES = 8,
    // flow key bits
    parameter KEY_WIDTH = 166,
    // processor number bits
    parameter PROC_WIDTH = 5,
    // 0: IPv4 only, the addresses' bits 127:32 are not held (the core's IPV6)
    parameter IPV6 = 1
) (
    input  wire                   clk,
    input  wire                   rst,

    // LEARN_CONTROL.TRANSMIT
    input  wire                   enable,

    /*
     * Parsed transmitted frames
     */
    input  wire                   s_valid,
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
    input  wire [PROC_WIDTH-1:0]  s_processor,

    /*
     * Address table match port, granted in clocks the receive side leaves free
     */
    output wire                   am_req,
    output wire                   am_ipv6,
    output wire [127:0]           am_addr,
    input  wire                   am_grant,
    input  wire                   am_hit,
    input  wire [3:0]             am_slot,

    /*
     * Flow table lookup port, granted in clocks the receive side leaves free
     */
    output wire                   lk_req,
    output wire [KEY_WIDTH-1:0]   lk_key,
    output wire [3:0]             lk_flags,   // the frame's TCP {SYN, ACK, FIN, RST}
    output wire [7:0]             lk_action,  // queue = the processor
    input  wire                   lk_grant
);

localparam integer QUEUES_I = QUEUES;
localparam [PROC_WIDTH:0] QUEUES_P = QUEUES_I[PROC_WIDTH:0];

initial begin
    if (KEY_WIDTH != 166) begin
        $error("Error: KEY_WIDTH must be 166 (instance %m)");
        $finish;
    end
    if (QUEUES < 2 || QUEUES > 2**PROC_WIDTH || PROC_WIDTH > 7) begin
        $error("Error: QUEUES must fit PROC_WIDTH bits, PROC_WIDTH <= 7 (instance %m)");
        $finish;
    end
end

localparam [1:0] S_IDLE = 2'd0, S_ADDR = 2'd1, S_LOOKUP = 2'd2;

reg [1:0] state_reg = S_IDLE;
reg ipv6_reg = 1'b0, fin_reg = 1'b0, rst_reg = 1'b0;
reg [127:0] src_reg = 128'd0, dst_reg = 128'd0;
reg [15:0] sport_reg = 16'd0, dport_reg = 16'd0;
reg [PROC_WIDTH-1:0] proc_reg = {PROC_WIDTH{1'b0}};
reg [3:0] slot_reg = 4'd0;

// a connection request of a processor of the adapter (what it asks to learn is decided later)
wire cand = s_valid && enable && s_steerable && !s_udp && s_syn && !s_ack
    && {1'b0, s_processor} < QUEUES_P;

assign am_req = state_reg == S_ADDR;
assign am_ipv6 = ipv6_reg;
assign am_addr = src_reg;

// the reverse key: {family, tcp, slot of the frame's source, the frame's destination as
// source, its destination port as source port, its source port as destination port}
assign lk_req = state_reg == S_LOOKUP;
assign lk_key = {ipv6_reg, 1'b0, slot_reg, dst_reg, dport_reg, sport_reg};
assign lk_flags = {1'b1, 1'b0, fin_reg, rst_reg};
assign lk_action = {{(8-PROC_WIDTH){1'b0}}, proc_reg};

always @(posedge clk) begin
    case (state_reg)
        S_IDLE: begin
            if (cand) begin
                state_reg <= S_ADDR;
            end
        end
        S_ADDR: begin
            if (am_grant) begin
                slot_reg <= am_slot;
                // not from a cluster address: learns nothing, counts nothing
                state_reg <= am_hit ? S_LOOKUP : S_IDLE;
            end
        end
        default: begin
            if (lk_grant) begin
                state_reg <= S_IDLE;
            end
        end
    endcase
    if (state_reg == S_IDLE && cand) begin
        ipv6_reg <= s_ipv6;
        src_reg <= IPV6 != 0 ? s_src : {96'd0, s_src[31:0]};
        dst_reg <= IPV6 != 0 ? s_dst : {96'd0, s_dst[31:0]};
        sport_reg <= s_sport;
        dport_reg <= s_dport;
        fin_reg <= s_fin;
        rst_reg <= s_rst;
        proc_reg <= s_processor;
    end
    if (rst) begin
        state_reg <= S_IDLE;
    end
end

endmodule

`resetall
