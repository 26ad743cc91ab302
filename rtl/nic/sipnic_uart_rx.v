`resetall
`timescale 1ns / 1ps
`default_nettype none

// 8N1 UART receiver: 2-flop synchroniser, start on a falling edge, mid-bit sampling.
// A byte whose stop bit reads 0 is discarded and reported on frame_error (one pulse).
module sipnic_uart_rx #(
    // clock frequency in Hz
    parameter CLK_HZ = 50_000_000,
    // line rate in bits per second
    parameter BAUD = 115200,
    // clocks per bit, rounded to nearest (derived)
    parameter CLKS_PER_BIT = (CLK_HZ + BAUD / 2) / BAUD
) (
    input  wire       clk,
    input  wire       rst,

    input  wire       rxd,

    output wire [7:0] m_data,
    output wire       m_valid,        // one pulse per good byte
    output wire       frame_error     // one pulse per byte with a bad stop bit
);

localparam CW = $clog2(CLKS_PER_BIT + 1);
localparam integer BIT_END_I = CLKS_PER_BIT - 1;
localparam integer HALF_END_I = CLKS_PER_BIT / 2 - 1;
localparam [CW-1:0] BIT_END  = BIT_END_I[CW-1:0];
localparam [CW-1:0] HALF_END = HALF_END_I[CW-1:0];

initial begin
    if (CLKS_PER_BIT < 8) begin
        $error("sipnic_uart_rx: CLK_HZ/BAUD gives %0d clocks per bit, need at least 8", CLKS_PER_BIT);
        $finish;
    end
end

localparam [1:0]
    STATE_IDLE  = 2'd0,
    STATE_START = 2'd1,
    STATE_DATA  = 2'd2,
    STATE_STOP  = 2'd3;

(* ASYNC_REG = "TRUE" *) reg [1:0] sync_reg = 2'b11;
reg rxd_prev_reg = 1'b1;

reg [1:0]    state_reg = STATE_IDLE, state_next;
reg [CW-1:0] count_reg = 0, count_next;
reg [2:0]    bit_reg = 3'd0, bit_next;
reg [7:0]    data_reg = 8'd0, data_next;
reg          valid_reg = 1'b0, valid_next;
reg          error_reg = 1'b0, error_next;

wire rxd_s = sync_reg[1];

assign m_data      = data_reg;
assign m_valid     = valid_reg;
assign frame_error = error_reg;

always @* begin
    state_next = state_reg;
    count_next = count_reg;
    bit_next   = bit_reg;
    data_next  = data_reg;
    valid_next = 1'b0;
    error_next = 1'b0;

    case (state_reg)
        STATE_IDLE: begin
            count_next = 0;
            if (rxd_prev_reg && !rxd_s) begin
                state_next = STATE_START;
            end
        end
        STATE_START: begin
            // middle of the start bit: still low, else a glitch
            count_next = count_reg + 1;
            if (count_reg == HALF_END) begin
                count_next = 0;
                bit_next   = 3'd0;
                state_next = rxd_s ? STATE_IDLE : STATE_DATA;
            end
        end
        STATE_DATA: begin
            count_next = count_reg + 1;
            if (count_reg == BIT_END) begin
                count_next = 0;
                data_next  = {rxd_s, data_reg[7:1]};
                bit_next   = bit_reg + 1;
                if (bit_reg == 3'd7) begin
                    state_next = STATE_STOP;
                end
            end
        end
        STATE_STOP: begin
            // decide in the middle of the stop bit, then look for the next start edge at once
            count_next = count_reg + 1;
            if (count_reg == BIT_END) begin
                count_next = 0;
                valid_next = rxd_s;
                error_next = !rxd_s;
                state_next = STATE_IDLE;
            end
        end
        default: state_next = STATE_IDLE;
    endcase
end

always @(posedge clk) begin
    sync_reg     <= {sync_reg[0], rxd};
    rxd_prev_reg <= rxd_s;
    state_reg    <= state_next;
    count_reg    <= count_next;
    bit_reg      <= bit_next;
    data_reg     <= data_next;
    valid_reg    <= valid_next;
    error_reg    <= error_next;

    if (rst) begin
        sync_reg     <= 2'b11;
        rxd_prev_reg <= 1'b1;
        state_reg    <= STATE_IDLE;
        valid_reg    <= 1'b0;
        error_reg    <= 1'b0;
    end
end

endmodule

`resetall
