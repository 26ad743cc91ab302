`resetall
`timescale 1ns / 1ps
`default_nettype none

/*
 * Store-and-forward frame FIFO in block RAM that drops bad frames.
 *
 * A frame becomes readable only after its last beat is written. tuser on the last input beat
 * marks the frame bad: its beats are forgotten (the write pointer goes back to the last
 * committed frame) and drop_bad pulses. A frame that does not fit even into the empty FIFO is
 * cut, forgotten the same way and reported on drop_big; otherwise a full FIFO stalls the input
 * (s_axis_tready low) until the reader frees room. tkeep: contiguous low bytes, only the last
 * beat may be partial (stored as a byte count so that 32-bit streams fit 36-bit RAM words).
 * The output is a register after the RAM's read register (block RAM clock-to-out is slow on
 * ECP5): full rate while the consumer is ready.
 */
module sipnic_frame_fifo #(
    // stream width in bits
    parameter DATA_WIDTH = 32,
    // tkeep width (derived)
    parameter KEEP_WIDTH = DATA_WIDTH/8,
    // buffer size in bytes; a power of two
    parameter FIFO_BYTES = 2048
) (
    input  wire                  clk,
    input  wire                  rst,

    /*
     * Input: tuser on the last beat = bad frame
     */
    input  wire [DATA_WIDTH-1:0] s_axis_tdata,
    input  wire [KEEP_WIDTH-1:0] s_axis_tkeep,
    input  wire                  s_axis_tvalid,
    output wire                  s_axis_tready,
    input  wire                  s_axis_tlast,
    input  wire                  s_axis_tuser,

    /*
     * Output: good frames only
     */
    output wire [DATA_WIDTH-1:0] m_axis_tdata,
    output wire [KEEP_WIDTH-1:0] m_axis_tkeep,
    output wire                  m_axis_tvalid,
    input  wire                  m_axis_tready,
    output wire                  m_axis_tlast,

    /*
     * One pulse per forgotten frame
     */
    output wire                  drop_bad,
    output wire                  drop_big
);

localparam ADDR_WIDTH = $clog2(FIFO_BYTES / KEEP_WIDTH);
localparam CNT_WIDTH = KEEP_WIDTH > 1 ? $clog2(KEEP_WIDTH) : 1;
localparam WIDTH = DATA_WIDTH + CNT_WIDTH + 1;

initial begin
    if (KEEP_WIDTH * 8 != DATA_WIDTH) begin
        $error("Error: KEEP_WIDTH must be DATA_WIDTH/8 (instance %m)");
        $finish;
    end
    if ((2**ADDR_WIDTH) * KEEP_WIDTH != FIFO_BYTES || ADDR_WIDTH < 2) begin
        $error("Error: FIFO_BYTES must be a power of two of at least 4 words (instance %m)");
        $finish;
    end
end

// byte count - 1 of a contiguous tkeep, and back
function [CNT_WIDTH-1:0] keep_to_cnt(input [KEEP_WIDTH-1:0] keep);
    integer i;
    begin
        keep_to_cnt = 0;
        for (i = 1; i < KEEP_WIDTH; i = i + 1) begin
            if (keep[i]) begin
                keep_to_cnt = i[CNT_WIDTH-1:0];
            end
        end
    end
endfunction

function [KEEP_WIDTH-1:0] cnt_to_keep(input [CNT_WIDTH-1:0] cnt);
    integer i;
    begin
        for (i = 0; i < KEEP_WIDTH; i = i + 1) begin
            cnt_to_keep[i] = i <= cnt;
        end
    end
endfunction

reg [ADDR_WIDTH:0] wr_ptr_reg = 0, wr_ptr_next;
reg [ADDR_WIDTH:0] commit_ptr_reg = 0, commit_ptr_next;
reg [ADDR_WIDTH:0] rd_ptr_reg = 0, rd_ptr_next;
reg discard_reg = 1'b0, discard_next;
reg out_valid_reg = 1'b0, out_valid_next;
reg drop_bad_reg = 1'b0, drop_bad_next;
reg drop_big_reg = 1'b0, drop_big_next;
reg wr_en;
reg rd_en;

wire full = wr_ptr_reg == (rd_ptr_reg ^ {1'b1, {ADDR_WIDTH{1'b0}}});
// the frame being written already fills the whole FIFO: it can never fit
wire hopeless = full && commit_ptr_reg == rd_ptr_reg;
wire empty = commit_ptr_reg == rd_ptr_reg;

assign s_axis_tready = !full || hopeless || discard_reg;

// the RAM word moves into the output register
wire out_tready;
wire out_load = out_valid_reg && out_tready;
assign drop_bad = drop_bad_reg;
assign drop_big = drop_big_reg;

always @* begin
    wr_ptr_next = wr_ptr_reg;
    commit_ptr_next = commit_ptr_reg;
    rd_ptr_next = rd_ptr_reg;
    discard_next = discard_reg;
    out_valid_next = out_valid_reg;
    drop_bad_next = 1'b0;
    drop_big_next = 1'b0;
    wr_en = 1'b0;
    rd_en = 1'b0;

    if (s_axis_tvalid && s_axis_tready) begin
        if (discard_reg || hopeless) begin
            // cutting a frame too big for the FIFO: forget it, pulse once at its end
            wr_ptr_next = commit_ptr_reg;
            discard_next = !s_axis_tlast;
            if (s_axis_tlast) begin
                drop_big_next = 1'b1;
            end
        end else begin
            wr_en = 1'b1;
            wr_ptr_next = wr_ptr_reg + 1;
            if (s_axis_tlast) begin
                if (s_axis_tuser) begin
                    wr_ptr_next = commit_ptr_reg;
                    drop_bad_next = 1'b1;
                end else begin
                    commit_ptr_next = wr_ptr_reg + 1;
                end
            end
        end
    end

    if (out_load || !out_valid_reg) begin
        if (!empty) begin
            rd_en = 1'b1;
            rd_ptr_next = rd_ptr_reg + 1;
            out_valid_next = 1'b1;
        end else begin
            out_valid_next = 1'b0;
        end
    end
end

always @(posedge clk) begin
    wr_ptr_reg <= wr_ptr_next;
    commit_ptr_reg <= commit_ptr_next;
    rd_ptr_reg <= rd_ptr_next;
    discard_reg <= discard_next;
    out_valid_reg <= out_valid_next;
    drop_bad_reg <= drop_bad_next;
    drop_big_reg <= drop_big_next;

    if (rst) begin
        wr_ptr_reg <= 0;
        commit_ptr_reg <= 0;
        rd_ptr_reg <= 0;
        discard_reg <= 1'b0;
        out_valid_reg <= 1'b0;
        drop_bad_reg <= 1'b0;
        drop_big_reg <= 1'b0;
    end
end

wire [WIDTH-1:0] rd_word;

sipnic_ram_sdp #(
    .WIDTH(WIDTH),
    .ADDR_WIDTH(ADDR_WIDTH)
)
ram_inst (
    .clk(clk),
    .wr_en(wr_en),
    .wr_addr(wr_ptr_reg[ADDR_WIDTH-1:0]),
    .wr_data({s_axis_tlast, keep_to_cnt(s_axis_tkeep), s_axis_tdata}),
    .rd_en(rd_en),
    .rd_addr(rd_ptr_reg[ADDR_WIDTH-1:0]),
    .rd_data(rd_word)
);

sipnic_axis_reg #(
    .DATA_WIDTH(DATA_WIDTH),
    .KEEP_WIDTH(KEEP_WIDTH)
) out_reg (
    .clk(clk),
    .rst(rst),
    .s_axis_tdata(rd_word[DATA_WIDTH-1:0]),
    .s_axis_tkeep(rd_word[WIDTH-1] ? cnt_to_keep(rd_word[DATA_WIDTH +: CNT_WIDTH]) : {KEEP_WIDTH{1'b1}}),
    .s_axis_tvalid(out_valid_reg),
    .s_axis_tready(out_tready),
    .s_axis_tlast(rd_word[WIDTH-1]),
    .m_axis_tdata(m_axis_tdata),
    .m_axis_tkeep(m_axis_tkeep),
    .m_axis_tvalid(m_axis_tvalid),
    .m_axis_tready(m_axis_tready),
    .m_axis_tlast(m_axis_tlast)
);

endmodule

`resetall
