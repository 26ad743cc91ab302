`resetall
`timescale 1ns / 1ps
`default_nettype none

/*
 * Receive MAC (8 bit, no backpressure) to a wider word stream for a clock-crossing FIFO.
 *
 * Words: {tuser, tlast, tkeep[KEEP_WIDTH-1:0], tdata[DATA_WIDTH-1:0]}, byte 0 in tdata[7:0].
 * A word is written when it is full or holds the frame's last byte. The MAC cannot wait: if
 * the FIFO is full when a word is due, the rest of that frame is thrown away and, as soon as
 * the FIFO has room, a one-byte word with tlast and tuser ends it, so the consumer drops the
 * whole frame as bad (frames that arrive while that marker waits are lost into the same
 * marker). stat_overflow pulses once per such marker.
 */
module sipnic_rx_pack #(
    // output word width, a multiple of 8
    parameter DATA_WIDTH = 32,
    // tkeep width (derived)
    parameter KEEP_WIDTH = DATA_WIDTH/8
) (
    input  wire                             clk,
    input  wire                             rst,

    /*
     * From the receive MAC
     */
    input  wire [7:0]                       s_axis_tdata,
    input  wire                             s_axis_tvalid,
    input  wire                             s_axis_tlast,
    input  wire                             s_axis_tuser,

    /*
     * To the FIFO
     */
    output wire [DATA_WIDTH+KEEP_WIDTH+1:0] m_word,
    output wire                             m_valid,
    input  wire                             m_ready,

    output wire                             stat_overflow
);

localparam IW = KEEP_WIDTH > 1 ? $clog2(KEEP_WIDTH) : 1;
localparam integer LAST_I = KEEP_WIDTH - 1;
localparam [IW-1:0] LAST_LANE = LAST_I[IW-1:0];

localparam [1:0]
    STATE_PASS = 2'd0,
    STATE_DROP = 2'd1,
    STATE_MARK = 2'd2;

reg [1:0] state_reg = STATE_PASS, state_next;
reg [DATA_WIDTH-1:0] data_reg = {DATA_WIDTH{1'b0}}, data_next;
reg [KEEP_WIDTH-1:0] keep_reg = {KEEP_WIDTH{1'b0}}, keep_next;
reg [IW-1:0] lane_reg = 0, lane_next;
reg in_frame_reg = 1'b0, in_frame_next;
reg ovf_reg = 1'b0, ovf_next;

reg [DATA_WIDTH+KEEP_WIDTH+1:0] word;
reg valid;

assign m_word = word;
assign m_valid = valid;
assign stat_overflow = ovf_reg;

always @* begin
    state_next = state_reg;
    data_next = data_reg;
    keep_next = keep_reg;
    lane_next = lane_reg;
    in_frame_next = in_frame_reg;
    ovf_next = 1'b0;
    word = {DATA_WIDTH+KEEP_WIDTH+2{1'b0}};
    valid = 1'b0;

    if (s_axis_tvalid) begin
        in_frame_next = !s_axis_tlast;
    end

    case (state_reg)
        STATE_PASS: begin
            if (s_axis_tvalid) begin
                data_next = data_reg;
                data_next[lane_reg*8 +: 8] = s_axis_tdata;
                keep_next = keep_reg;
                keep_next[lane_reg] = 1'b1;
                lane_next = lane_reg + 1;
                if (s_axis_tlast || lane_reg == LAST_LANE) begin
                    word = {s_axis_tuser && s_axis_tlast, s_axis_tlast, keep_next, data_next};
                    valid = m_ready;
                    lane_next = 0;
                    keep_next = {KEEP_WIDTH{1'b0}};
                    if (!m_ready) begin
                        state_next = s_axis_tlast ? STATE_MARK : STATE_DROP;
                    end
                end
            end
        end
        STATE_DROP: begin
            if (s_axis_tvalid && s_axis_tlast) begin
                state_next = STATE_MARK;
            end
        end
        default: begin
            // STATE_MARK: end the cut frame with a bad one-byte word
            word = {1'b1, 1'b1, {{(KEEP_WIDTH-1){1'b0}}, 1'b1}, {DATA_WIDTH{1'b0}}};
            valid = m_ready;
            if (m_ready) begin
                ovf_next = 1'b1;
                state_next = in_frame_next ? STATE_DROP : STATE_PASS;
            end
        end
    endcase
end

always @(posedge clk) begin
    state_reg <= state_next;
    data_reg <= data_next;
    keep_reg <= keep_next;
    lane_reg <= lane_next;
    in_frame_reg <= in_frame_next;
    ovf_reg <= ovf_next;

    if (rst) begin
        state_reg <= STATE_PASS;
        keep_reg <= {KEEP_WIDTH{1'b0}};
        lane_reg <= 0;
        in_frame_reg <= 1'b0;
        ovf_reg <= 1'b0;
    end
end

endmodule

`resetall
