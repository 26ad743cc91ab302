`resetall
`timescale 1ns / 1ps
`default_nettype none

// Ingress: frame id counter, byte counting, runt/oversize detection, capture of the first
// HDR_BYTES bytes, and the write side of the ingress packet FIFO (frames that are runt or
// oversize are rolled back at their last beat, so the FIFO only holds frames to dispatch)
module sipnic_ingress #(
    // stream width in bits
    parameter DATA_WIDTH = 64,
    // tkeep width
    parameter KEEP_WIDTH = DATA_WIDTH/8,
    // longest frame in bytes
    parameter MAX_FRAME = 9022,
    // width of frame lengths (holds MAX_FRAME + 2*KEEP_WIDTH)
    parameter LEN_WIDTH = 14,
    // ingress FIFO address width (in beats)
    parameter FIFO_ADDR_WIDTH = 11,
    // header bytes captured per frame
    parameter HDR_BYTES = 128,
    // frames allowed between their last beat and the dispatcher taking their descriptor
    parameter INFLIGHT_LIMIT = 32
) (
    input  wire                       clk,
    input  wire                       rst,

    /*
     * Frame input
     */
    input  wire [DATA_WIDTH-1:0]      s_axis_tdata,
    input  wire [KEEP_WIDTH-1:0]      s_axis_tkeep,
    input  wire                       s_axis_tvalid,
    output wire                       s_axis_tready,
    input  wire                       s_axis_tlast,

    /*
     * Ingress FIFO write port
     */
    output wire                       fifo_wr_en,
    output wire [FIFO_ADDR_WIDTH-1:0] fifo_wr_addr,
    output wire [DATA_WIDTH-1:0]      fifo_wr_data,
    input  wire [FIFO_ADDR_WIDTH:0]   fifo_rd_ptr,
    input  wire                       frame_release,

    /*
     * Completed frame (header and metadata), in the clock of its last beat (combinational:
     * the next frame starts overwriting the header register one clock later)
     */
    output wire                       m_frame_valid,
    output wire [HDR_BYTES*8-1:0]     m_frame_hdr,
    output wire [LEN_WIDTH-1:0]       m_frame_len,
    output wire                       m_frame_runt,
    output wire                       m_frame_oversize,

    /*
     * Statistics
     */
    output wire                       stat_beat,
    output wire [7:0]                 stat_beat_bytes,
    output wire                       stat_frame,
    output wire [31:0]                next_id
);

localparam HDR_BEATS = HDR_BYTES / KEEP_WIDTH;
localparam BEAT_CNT_WIDTH = $clog2(HDR_BEATS+1);
localparam INFLIGHT_WIDTH = $clog2(INFLIGHT_LIMIT+1);
localparam [INFLIGHT_WIDTH-1:0] INFLIGHT_MAX = INFLIGHT_LIMIT[INFLIGHT_WIDTH-1:0];
localparam [BEAT_CNT_WIDTH-1:0] HDR_BEATS_W = HDR_BEATS[BEAT_CNT_WIDTH-1:0];

initial begin
    if (KEEP_WIDTH * 8 != DATA_WIDTH) begin
        $error("Error: DATA_WIDTH must be 8 * KEEP_WIDTH (instance %m)");
        $finish;
    end
    if (HDR_BYTES % KEEP_WIDTH != 0) begin
        $error("Error: HDR_BYTES must be a multiple of KEEP_WIDTH (instance %m)");
        $finish;
    end
    if ((2**LEN_WIDTH) <= MAX_FRAME + 2*KEEP_WIDTH) begin
        $error("Error: LEN_WIDTH too small for MAX_FRAME (instance %m)");
        $finish;
    end
end

// MAX_FRAME at the width of the lengths it is compared with (it fits: checked above)
localparam integer MAX_FRAME_I = MAX_FRAME;
localparam [LEN_WIDTH-1:0] MAX_LEN = MAX_FRAME_I[LEN_WIDTH-1:0];

reg [FIFO_ADDR_WIDTH:0] wr_ptr_reg = 0, wr_ptr_next;
reg [FIFO_ADDR_WIDTH:0] commit_ptr_reg = 0, commit_ptr_next;
reg [LEN_WIDTH-1:0] byte_cnt_reg = 0, byte_cnt_next;
reg [BEAT_CNT_WIDTH-1:0] beat_cnt_reg = 0, beat_cnt_next;
reg first_reg = 1'b1, first_next;
reg [31:0] id_reg = 0, id_next;
reg [INFLIGHT_WIDTH-1:0] inflight_reg = 0, inflight_next;

reg [HDR_BYTES*8-1:0] hdr_reg, hdr_next;

reg frame_valid;
reg [LEN_WIDTH-1:0] frame_len;
reg frame_runt;
reg frame_oversize;

reg stat_beat_reg = 1'b0;
reg [7:0] stat_beat_bytes_reg = 0;
reg stat_frame_reg = 1'b0;

reg [7:0] beat_bytes;
reg wr_en;

wire [FIFO_ADDR_WIDTH:0] used = wr_ptr_reg - fifo_rd_ptr;
wire fifo_full = used[FIFO_ADDR_WIDTH];
wire accept = s_axis_tvalid && s_axis_tready;

assign s_axis_tready = !fifo_full && inflight_reg < INFLIGHT_MAX;

assign fifo_wr_en = wr_en;
assign fifo_wr_addr = wr_ptr_reg[FIFO_ADDR_WIDTH-1:0];
assign fifo_wr_data = s_axis_tdata;

assign m_frame_valid = frame_valid;
assign m_frame_hdr = hdr_next;
assign m_frame_len = frame_len;
assign m_frame_runt = frame_runt;
assign m_frame_oversize = frame_oversize;

assign stat_beat = stat_beat_reg;
assign stat_beat_bytes = stat_beat_bytes_reg;
assign stat_frame = stat_frame_reg;
assign next_id = id_reg;

// header capture: byte i belongs to beat i / KEEP_WIDTH, lane i % KEEP_WIDTH
genvar n;
generate
    for (n = 0; n < HDR_BYTES; n = n + 1) begin : hdr_byte
        localparam integer BEAT_I = n / KEEP_WIDTH;
        localparam [BEAT_CNT_WIDTH-1:0] BEAT = BEAT_I[BEAT_CNT_WIDTH-1:0];
        always @* begin
            if (beat_cnt_reg == BEAT) begin
                hdr_next[n*8 +: 8] = s_axis_tdata[(n % KEEP_WIDTH)*8 +: 8];
            end else begin
                hdr_next[n*8 +: 8] = hdr_reg[n*8 +: 8];
            end
        end
    end
endgenerate

integer k;

always @* begin
    beat_bytes = 0;
    for (k = 0; k < KEEP_WIDTH; k = k + 1) begin
        beat_bytes = beat_bytes + {7'd0, s_axis_tkeep[k]};
    end

    wr_ptr_next = wr_ptr_reg;
    commit_ptr_next = commit_ptr_reg;
    byte_cnt_next = byte_cnt_reg;
    beat_cnt_next = beat_cnt_reg;
    first_next = first_reg;
    id_next = id_reg;
    inflight_next = inflight_reg;

    frame_valid = 1'b0;
    frame_len = byte_cnt_reg + {{(LEN_WIDTH-8){1'b0}}, beat_bytes};
    frame_runt = frame_len < 14;
    frame_oversize = byte_cnt_reg > MAX_LEN || frame_len > MAX_LEN;

    // beats past MAX_FRAME are not stored: the frame is rolled back anyway
    wr_en = accept && byte_cnt_reg <= MAX_LEN;

    if (accept) begin
        if (first_reg) begin
            id_next = id_reg + 1;
        end
        if (byte_cnt_reg <= MAX_LEN) begin
            byte_cnt_next = byte_cnt_reg + {{(LEN_WIDTH-8){1'b0}}, beat_bytes};
        end
        if (beat_cnt_reg != HDR_BEATS_W) begin
            beat_cnt_next = beat_cnt_reg + 1;
        end
        if (wr_en) begin
            wr_ptr_next = wr_ptr_reg + 1;
        end
        first_next = 1'b0;

        if (s_axis_tlast) begin
            frame_valid = 1'b1;
            if (frame_runt || frame_oversize) begin
                wr_ptr_next = commit_ptr_reg;
            end
            commit_ptr_next = wr_ptr_next;
            byte_cnt_next = 0;
            beat_cnt_next = 0;
            first_next = 1'b1;
        end
    end

    if (accept && s_axis_tlast && !frame_release) begin
        inflight_next = inflight_reg + 1;
    end else if (!(accept && s_axis_tlast) && frame_release) begin
        inflight_next = inflight_reg - 1;
    end
end

always @(posedge clk) begin
    wr_ptr_reg <= wr_ptr_next;
    commit_ptr_reg <= commit_ptr_next;
    byte_cnt_reg <= byte_cnt_next;
    beat_cnt_reg <= beat_cnt_next;
    first_reg <= first_next;
    id_reg <= id_next;
    inflight_reg <= inflight_next;

    if (accept) begin
        hdr_reg <= hdr_next;
    end


    stat_beat_reg <= accept;
    stat_beat_bytes_reg <= beat_bytes;
    stat_frame_reg <= accept && s_axis_tlast;

    if (rst) begin
        wr_ptr_reg <= 0;
        commit_ptr_reg <= 0;
        byte_cnt_reg <= 0;
        beat_cnt_reg <= 0;
        first_reg <= 1'b1;
        id_reg <= 0;
        inflight_reg <= 0;
        stat_beat_reg <= 1'b0;
        stat_frame_reg <= 1'b0;
    end
end

endmodule

`resetall
