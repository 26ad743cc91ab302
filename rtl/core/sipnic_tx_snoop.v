`resetall
`timescale 1ns / 1ps
`default_nettype none

// Transmit snoop (docs/semantics.md rule 9): watches the frames a processor transmits, beat by
// beat, never holding them (there is no tready), and parses each one with its own parser, so
// transmitted frames never take a clock from the receive path. A frame's processor number is
// taken with its last beat and leaves beside the parsed fields.
//
//   beats -> header capture (bytes 0..HDR_BYTES-1), length -> sipnic_parser (3 stages) -> m_*
//            processor at the last beat -> 3-stage delay ------------------------------^
module sipnic_tx_snoop #(
    // stream width, 8, 32 or 64
    parameter DATA_WIDTH = 64,
    // tkeep width
    parameter KEEP_WIDTH = DATA_WIDTH/8,
    // longest frame in bytes
    parameter MAX_FRAME = 9022,
    // width of frame lengths
    parameter LEN_WIDTH = 14,
    // header bytes captured: the parser reads bytes 12..103
    parameter HDR_BYTES = 104,
    // processor number bits
    parameter PROC_WIDTH = 5,
    // 1: IPv6 frames are parsed; 0: they are not steerable, so never learned from
    parameter IPV6 = 1
) (
    input  wire                   clk,
    input  wire                   rst,

    /*
     * Transmitted frames (observed only)
     */
    input  wire [DATA_WIDTH-1:0]  s_tdata,
    input  wire [KEEP_WIDTH-1:0]  s_tkeep,
    input  wire                   s_tvalid,
    input  wire                   s_tlast,
    input  wire [PROC_WIDTH-1:0]  s_processor,

    /*
     * Parsed transmitted frames (one clock each)
     */
    output wire                   m_valid,
    output wire                   m_steerable,
    output wire                   m_ipv6,
    output wire                   m_udp,
    output wire [127:0]           m_src,
    output wire [127:0]           m_dst,
    output wire [15:0]            m_sport,
    output wire [15:0]            m_dport,
    output wire                   m_syn,
    output wire                   m_ack,
    output wire                   m_fin,
    output wire                   m_rst,
    output wire [PROC_WIDTH-1:0]  m_processor
);

localparam HDR_BEATS = (HDR_BYTES + KEEP_WIDTH - 1) / KEEP_WIDTH;
localparam BEAT_CNT_WIDTH = $clog2(HDR_BEATS + 1);
localparam [BEAT_CNT_WIDTH-1:0] HDR_BEATS_W = HDR_BEATS[BEAT_CNT_WIDTH-1:0];
localparam integer MAX_LEN_I = MAX_FRAME;
localparam [LEN_WIDTH-1:0] MAX_LEN = MAX_LEN_I[LEN_WIDTH-1:0];

initial begin
    if (HDR_BYTES < 104) begin
        $error("Error: HDR_BYTES must be at least 104 (instance %m)");
        $finish;
    end
    if ((2**LEN_WIDTH) <= MAX_FRAME + 2*KEEP_WIDTH) begin
        $error("Error: LEN_WIDTH too small for MAX_FRAME (instance %m)");
        $finish;
    end
end

reg [LEN_WIDTH-1:0] byte_cnt_reg = {LEN_WIDTH{1'b0}};
reg [BEAT_CNT_WIDTH-1:0] beat_cnt_reg = {BEAT_CNT_WIDTH{1'b0}};
reg [HDR_BYTES*8-1:0] hdr_reg;
reg [HDR_BYTES*8-1:0] hdr_next;

// header capture as sipnic_ingress: byte i belongs to beat i / KEEP_WIDTH, lane i % KEEP_WIDTH
genvar n;
generate
    for (n = 0; n < HDR_BYTES; n = n + 1) begin : hdr_byte
        localparam integer BEAT_I = n / KEEP_WIDTH;
        localparam [BEAT_CNT_WIDTH-1:0] BEAT = BEAT_I[BEAT_CNT_WIDTH-1:0];
        always @* begin
            if (beat_cnt_reg == BEAT) begin
                hdr_next[n*8 +: 8] = s_tdata[(n % KEEP_WIDTH)*8 +: 8];
            end else begin
                hdr_next[n*8 +: 8] = hdr_reg[n*8 +: 8];
            end
        end
    end
endgenerate

reg [7:0] beat_bytes;
integer k;

always @* begin
    beat_bytes = 8'd0;
    for (k = 0; k < KEEP_WIDTH; k = k + 1) begin
        beat_bytes = beat_bytes + {7'd0, s_tkeep[k]};
    end
end

// the frame's length so far; it stops counting past MAX_FRAME (the frame is oversize then)
wire [LEN_WIDTH-1:0] len_now = byte_cnt_reg + {{(LEN_WIDTH-8){1'b0}}, beat_bytes};
wire last = s_tvalid && s_tlast;

always @(posedge clk) begin
    if (s_tvalid) begin
        hdr_reg <= hdr_next;
        if (byte_cnt_reg <= MAX_LEN) begin
            byte_cnt_reg <= len_now;
        end
        if (beat_cnt_reg != HDR_BEATS_W) begin
            beat_cnt_reg <= beat_cnt_reg + 1'b1;
        end
        if (s_tlast) begin
            byte_cnt_reg <= {LEN_WIDTH{1'b0}};
            beat_cnt_reg <= {BEAT_CNT_WIDTH{1'b0}};
        end
    end
    if (rst) begin
        byte_cnt_reg <= {LEN_WIDTH{1'b0}};
        beat_cnt_reg <= {BEAT_CNT_WIDTH{1'b0}};
    end
end

// the parser's three stages, and the processor beside them
reg [PROC_WIDTH-1:0] proc_a_reg = {PROC_WIDTH{1'b0}}, proc_b_reg = {PROC_WIDTH{1'b0}}, proc_c_reg = {PROC_WIDTH{1'b0}};

always @(posedge clk) begin
    proc_a_reg <= s_processor;
    proc_b_reg <= proc_a_reg;
    proc_c_reg <= proc_b_reg;
end

assign m_processor = proc_c_reg;

/* verilator lint_off PINCONNECTEMPTY */
sipnic_parser #(
    .HDR_BYTES(HDR_BYTES),
    .LEN_WIDTH(LEN_WIDTH),
    .IPV6(IPV6)
)
sipnic_parser_inst (
    .clk(clk),
    .rst(rst),
    .s_valid(last),
    .s_hdr(hdr_next),
    .s_len(len_now),
    .s_runt(len_now < 14),
    .s_oversize(byte_cnt_reg > MAX_LEN || len_now > MAX_LEN),
    .m_valid(m_valid),
    .m_len(),
    .m_runt(),
    .m_oversize(),
    .m_steerable(m_steerable),
    .m_ipv6(m_ipv6),
    .m_udp(m_udp),
    .m_src(m_src),
    .m_dst(m_dst),
    .m_sport(m_sport),
    .m_dport(m_dport),
    .m_syn(m_syn),
    .m_ack(m_ack),
    .m_fin(m_fin),
    .m_rst(m_rst)
);
/* verilator lint_on PINCONNECTEMPTY */

endmodule

`resetall
