`resetall
`timescale 1ns / 1ps
`default_nettype none

// Transmit snoop (docs/semantics.md rule 9): watches the frames a processor transmits, beat by
// beat, never holding them (there is no tready), and offers each frame that can be parsed
// (14 bytes or more) to the parser it shares with the receive side, in a clock that side leaves
// free. A frame's processor number is taken with its last beat and leaves beside its header.
//
//   beats -> header capture (bytes FIRST_BYTE..HDR_BYTES-1), length, processor -> m_* (valid/ready)
//
// An offered header that is not taken waits one clock, in the capture itself: received frames
// take the shared parser at most every other clock (only those of 14 bytes or more take it, and
// they are at least two beats at every width), so the waiting header is taken in the next clock,
// before the next transmitted frame has written any captured byte (its first beat holds bytes
// below FIRST_BYTE) or offered a header of its own (at least two beats too).
module sipnic_tx_snoop #(
    // stream width, 8, 32 or 64
    parameter DATA_WIDTH = 64,
    // tkeep width
    parameter KEEP_WIDTH = DATA_WIDTH/8,
    // longest frame in bytes
    parameter MAX_FRAME = 9022,
    // width of frame lengths
    parameter LEN_WIDTH = 14,
    // header bytes captured end here: the parser reads bytes 12..103
    parameter HDR_BYTES = 104,
    // first header byte captured
    parameter FIRST_BYTE = 12,
    // processor number bits
    parameter PROC_WIDTH = 5
) (
    input  wire                                clk,
    input  wire                                rst,

    /*
     * Transmitted frames (observed only)
     */
    input  wire [DATA_WIDTH-1:0]               s_tdata,
    input  wire [KEEP_WIDTH-1:0]               s_tkeep,
    input  wire                                s_tvalid,
    input  wire                                s_tlast,
    input  wire [PROC_WIDTH-1:0]               s_processor,

    /*
     * Captured frames for the shared parser (bytes FIRST_BYTE..HDR_BYTES-1; 14 bytes or more)
     */
    output wire                                m_valid,
    input  wire                                m_ready,
    output wire [(HDR_BYTES-FIRST_BYTE)*8-1:0] m_hdr,
    output wire [LEN_WIDTH-1:0]                m_len,
    output wire                                m_oversize,
    output wire [PROC_WIDTH-1:0]               m_processor
);

localparam CAP_BYTES = HDR_BYTES - FIRST_BYTE;
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
    // the one-clock wait above: a frame of 14 bytes is two beats, the first holds no captured byte
    if (FIRST_BYTE > 12 || FIRST_BYTE < KEEP_WIDTH || KEEP_WIDTH >= 14) begin
        $error("Error: FIRST_BYTE must be KEEP_WIDTH..12, KEEP_WIDTH below 14 (instance %m)");
        $finish;
    end
    if ((2**LEN_WIDTH) <= MAX_FRAME + 2*KEEP_WIDTH) begin
        $error("Error: LEN_WIDTH too small for MAX_FRAME (instance %m)");
        $finish;
    end
end

reg [LEN_WIDTH-1:0] byte_cnt_reg = {LEN_WIDTH{1'b0}};
reg [BEAT_CNT_WIDTH-1:0] beat_cnt_reg = {BEAT_CNT_WIDTH{1'b0}};
reg [CAP_BYTES*8-1:0] hdr_reg;
reg [CAP_BYTES*8-1:0] hdr_next;

// header capture as sipnic_ingress: byte i belongs to beat i / KEEP_WIDTH, lane i % KEEP_WIDTH
genvar n;
generate
    for (n = FIRST_BYTE; n < HDR_BYTES; n = n + 1) begin : hdr_byte
        localparam integer BEAT_I = n / KEEP_WIDTH;
        localparam [BEAT_CNT_WIDTH-1:0] BEAT = BEAT_I[BEAT_CNT_WIDTH-1:0];
        always @* begin
            if (beat_cnt_reg == BEAT) begin
                hdr_next[(n-FIRST_BYTE)*8 +: 8] = s_tdata[(n % KEEP_WIDTH)*8 +: 8];
            end else begin
                hdr_next[(n-FIRST_BYTE)*8 +: 8] = hdr_reg[(n-FIRST_BYTE)*8 +: 8];
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
wire oversize_now = byte_cnt_reg > MAX_LEN || len_now > MAX_LEN;
// a runt (under 14 bytes) is never steerable: it is not offered
wire last = s_tvalid && s_tlast && len_now >= 14;

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

// the header offered and not taken: its length and processor wait beside the capture
reg wait_reg = 1'b0;
reg [LEN_WIDTH-1:0] wait_len_reg;
reg wait_oversize_reg;
reg [PROC_WIDTH-1:0] wait_proc_reg;

always @(posedge clk) begin
    wait_reg <= last && !m_ready;
    if (last) begin
        wait_len_reg <= len_now;
        wait_oversize_reg <= oversize_now;
        wait_proc_reg <= s_processor;
    end
    if (rst) begin
        wait_reg <= 1'b0;
    end
end

// the header waits in the capture: in the clock after the last beat the next frame's first
// beat writes no captured byte, so hdr_next still holds it
assign m_valid = last || wait_reg;
assign m_hdr = hdr_next;
assign m_len = wait_reg ? wait_len_reg : len_now;
assign m_oversize = wait_reg ? wait_oversize_reg : oversize_now;
assign m_processor = wait_reg ? wait_proc_reg : s_processor;

`ifndef SYNTHESIS
// the wait above is one clock at most (see the top): a header not taken then would be lost
always @(posedge clk) begin
    if (!rst && wait_reg && (!m_ready || last)) begin
        $error("sipnic_tx_snoop: a waiting header was not taken in the next clock (instance %m)");
    end
end
`endif

endmodule

`resetall
