`resetall
`timescale 1ns / 1ps
`default_nettype none

// 8N1 UART transmitter: takes one byte per s_valid && s_ready, LSB first.
module sipnic_uart_tx #(
    // clock frequency in Hz
    parameter CLK_HZ = 50_000_000,
    // line rate in bits per second
    parameter BAUD = 115200,
    // clocks per bit, rounded to nearest (derived)
    parameter CLKS_PER_BIT = (CLK_HZ + BAUD / 2) / BAUD
) (
    input  wire       clk,
    input  wire       rst,

    input  wire [7:0] s_data,
    input  wire       s_valid,
    output wire       s_ready,

    output wire       txd
);

localparam CW = $clog2(CLKS_PER_BIT + 1);
localparam integer BIT_END_I = CLKS_PER_BIT - 1;
localparam [CW-1:0] BIT_END = BIT_END_I[CW-1:0];

initial begin
    if (CLKS_PER_BIT < 8) begin
        $error("sipnic_uart_tx: CLK_HZ/BAUD gives %0d clocks per bit, need at least 8", CLKS_PER_BIT);
        $finish;
    end
end

reg          busy_reg = 1'b0, busy_next;
reg [CW-1:0] count_reg = 0, count_next;
reg [3:0]    bit_reg = 4'd0, bit_next;
reg [8:0]    shift_reg = 9'h1ff, shift_next;    // {stop, data}; bit 0 is on the line after start
reg          txd_reg = 1'b1, txd_next;

assign s_ready = !busy_reg;
assign txd     = txd_reg;

always @* begin
    busy_next  = busy_reg;
    count_next = count_reg;
    bit_next   = bit_reg;
    shift_next = shift_reg;
    txd_next   = txd_reg;

    if (!busy_reg) begin
        txd_next = 1'b1;
        if (s_valid) begin
            busy_next  = 1'b1;
            count_next = 0;
            bit_next   = 4'd0;
            shift_next = {1'b1, s_data};
            txd_next   = 1'b0;              // start bit
        end
    end else begin
        count_next = count_reg + 1;
        if (count_reg == BIT_END) begin
            count_next = 0;
            bit_next   = bit_reg + 1;
            if (bit_reg == 4'd9) begin
                // stop bit done
                busy_next = 1'b0;
                txd_next  = 1'b1;
            end else begin
                txd_next   = shift_reg[0];
                shift_next = {1'b1, shift_reg[8:1]};
            end
        end
    end
end

always @(posedge clk) begin
    busy_reg  <= busy_next;
    count_reg <= count_next;
    bit_reg   <= bit_next;
    shift_reg <= shift_next;
    txd_reg   <= txd_next;

    if (rst) begin
        busy_reg <= 1'b0;
        txd_reg  <= 1'b1;
    end
end

endmodule

`resetall
