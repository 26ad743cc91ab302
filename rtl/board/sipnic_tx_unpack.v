`resetall
`timescale 1ns / 1ps
`default_nettype none

/*
 * Word stream from a clock-crossing FIFO to the transmit MAC (8 bit): the inverse of
 * sipnic_rx_pack's format, {tuser, tlast, tkeep, tdata}, byte 0 first. One byte per clock
 * while the MAC takes them. Two word registers (the one being split and the next) and an
 * output byte register: s_ready is a register, so the MAC's tready never reaches the FIFO's
 * pointers in the same clock, and the byte lane select is not in front of the MAC's CRC.
 */
module sipnic_tx_unpack #(
    // input word width, a multiple of 8
    parameter DATA_WIDTH = 32,
    // tkeep width (derived)
    parameter KEEP_WIDTH = DATA_WIDTH/8
) (
    input  wire                             clk,
    input  wire                             rst,

    /*
     * From the FIFO
     */
    input  wire [DATA_WIDTH+KEEP_WIDTH+1:0] s_word,
    input  wire                             s_valid,
    output wire                             s_ready,

    /*
     * To the transmit MAC
     */
    output wire [7:0]                       m_axis_tdata,
    output wire                             m_axis_tvalid,
    input  wire                             m_axis_tready,
    output wire                             m_axis_tlast,
    output wire                             m_axis_tuser
);

localparam WW = DATA_WIDTH + KEEP_WIDTH + 2;
localparam IW = KEEP_WIDTH > 1 ? $clog2(KEEP_WIDTH) : 1;

reg [WW-1:0] cur_reg = {WW{1'b0}}, next_reg = {WW{1'b0}};
reg cur_valid_reg = 1'b0, next_valid_reg = 1'b0;
reg [IW-1:0] lane_reg = 0;
reg [7:0] out_data_reg = 8'd0;
reg out_valid_reg = 1'b0, out_last_reg = 1'b0, out_user_reg = 1'b0;

wire [DATA_WIDTH-1:0] data = cur_reg[DATA_WIDTH-1:0];
wire [KEEP_WIDTH-1:0] keep = cur_reg[DATA_WIDTH +: KEEP_WIDTH];
wire word_last = cur_reg[DATA_WIDTH+KEEP_WIDTH];
wire word_user = cur_reg[DATA_WIDTH+KEEP_WIDTH+1];

// last byte of this word: the lane after it is not kept (or there is none)
wire [KEEP_WIDTH:0] keep_ext = {1'b0, keep};
wire lane_end = !keep_ext[lane_reg + 1];
// a byte moves from the current word into the output register
wire take = cur_valid_reg && (!out_valid_reg || m_axis_tready);
wire done = take && lane_end;

assign m_axis_tdata = out_data_reg;
assign m_axis_tvalid = out_valid_reg;
assign m_axis_tlast = out_last_reg;
assign m_axis_tuser = out_user_reg;
assign s_ready = !next_valid_reg;

always @(posedge clk) begin
    if (m_axis_tready) begin
        out_valid_reg <= 1'b0;
    end
    if (take) begin
        out_data_reg <= data[lane_reg*8 +: 8];
        out_last_reg <= word_last && lane_end;
        out_user_reg <= word_user && lane_end;
        out_valid_reg <= 1'b1;
        lane_reg <= lane_end ? 0 : lane_reg + 1;
    end
    if (!cur_valid_reg || done) begin
        // the current word is free: take the next one, or the FIFO's
        if (next_valid_reg) begin
            cur_reg <= next_reg;
            cur_valid_reg <= 1'b1;
            next_valid_reg <= 1'b0;
        end else begin
            cur_reg <= s_word;
            cur_valid_reg <= s_valid;
        end
    end else if (!next_valid_reg) begin
        next_reg <= s_word;
        next_valid_reg <= s_valid;
    end
    if (rst) begin
        cur_valid_reg <= 1'b0;
        next_valid_reg <= 1'b0;
        out_valid_reg <= 1'b0;
        lane_reg <= 0;
    end
end

endmodule

`resetall
