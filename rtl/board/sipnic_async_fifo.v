`resetall
`timescale 1ns / 1ps
`default_nettype none

/*
 * Clock-domain-crossing FIFO: words written on wr_clk, read first-word-fall-through on
 * rd_clk. Gray-coded pointers, each synchronized through two registers into the other
 * domain; storage in distributed RAM (depth 2**ADDR_WIDTH). full/empty are conservative
 * (they clear a few clocks after the other side moved), never wrong. No reset: the pointers
 * start at zero from configuration, and nothing in this design resets one side alone.
 */
module sipnic_async_fifo #(
    // word width in bits
    parameter WIDTH = 38,
    // address width; depth is 2**ADDR_WIDTH words
    parameter ADDR_WIDTH = 4
) (
    /*
     * Write side
     */
    input  wire             wr_clk,
    input  wire [WIDTH-1:0] s_data,
    input  wire             s_valid,
    output wire             s_ready,

    /*
     * Read side
     */
    input  wire             rd_clk,
    output wire [WIDTH-1:0] m_data,
    output wire             m_valid,
    input  wire             m_ready
);

initial begin
    if (ADDR_WIDTH < 2) begin
        $error("Error: ADDR_WIDTH must be at least 2 (instance %m)");
        $finish;
    end
end

function [ADDR_WIDTH:0] bin2gray(input [ADDR_WIDTH:0] b);
    bin2gray = b ^ (b >> 1);
endfunction

reg [WIDTH-1:0] mem [0:(2**ADDR_WIDTH)-1];

reg [ADDR_WIDTH:0] rd_bin_reg = 0;
reg [ADDR_WIDTH:0] rd_gray_reg = 0;
(* async_reg = "true" *) reg [ADDR_WIDTH:0] wr_gray_sync1_reg = 0;
(* async_reg = "true" *) reg [ADDR_WIDTH:0] wr_gray_sync2_reg = 0;
reg [WIDTH-1:0] out_data_reg = {WIDTH{1'b0}};
reg out_valid_reg = 1'b0;

/*
 * write domain
 */
reg [ADDR_WIDTH:0] wr_bin_reg = 0;
reg [ADDR_WIDTH:0] wr_gray_reg = 0;
(* async_reg = "true" *) reg [ADDR_WIDTH:0] rd_gray_sync1_reg = 0;
(* async_reg = "true" *) reg [ADDR_WIDTH:0] rd_gray_sync2_reg = 0;

wire full = wr_gray_reg == {~rd_gray_sync2_reg[ADDR_WIDTH:ADDR_WIDTH-1], rd_gray_sync2_reg[ADDR_WIDTH-2:0]};
wire write = s_valid && !full;

assign s_ready = !full;

always @(posedge wr_clk) begin
    rd_gray_sync1_reg <= rd_gray_reg;
    rd_gray_sync2_reg <= rd_gray_sync1_reg;
    if (write) begin
        mem[wr_bin_reg[ADDR_WIDTH-1:0]] <= s_data;
        wr_bin_reg <= wr_bin_reg + 1;
        wr_gray_reg <= bin2gray(wr_bin_reg + 1);
    end
end

/*
 * read domain
 */
wire empty = rd_gray_reg == wr_gray_sync2_reg;
wire load = !empty && (m_ready || !out_valid_reg);

assign m_data = out_data_reg;
assign m_valid = out_valid_reg;

always @(posedge rd_clk) begin
    wr_gray_sync1_reg <= wr_gray_reg;
    wr_gray_sync2_reg <= wr_gray_sync1_reg;
    if (load) begin
        out_data_reg <= mem[rd_bin_reg[ADDR_WIDTH-1:0]];
        rd_bin_reg <= rd_bin_reg + 1;
        rd_gray_reg <= bin2gray(rd_bin_reg + 1);
        out_valid_reg <= 1'b1;
    end else if (m_ready) begin
        out_valid_reg <= 1'b0;
    end
end

endmodule

`resetall
