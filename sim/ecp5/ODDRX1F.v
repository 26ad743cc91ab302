`resetall
`timescale 1ns / 1ps
`default_nettype none

/*
 * SIMULATION MODEL ONLY - not for synthesis. Synthesis uses the real ECP5 ODDRX1F from
 * yosys's ECP5 cell library; this file lives in sim/ecp5, outside rtl/, for that reason.
 *
 * Behavioural model of the ECP5 output DDR register (ODDRX1F, same ports and parameter).
 * D0 and D1 are taken on a rising edge of SCLK; Q then drives D0 while SCLK is high and D1
 * while it is low, so an ODDRX1F with D0 = 1, D1 = 0 gives a copy of SCLK. RST is
 * asynchronous. Zero delay: Q changes with the SCLK edges.
 *
 *     SCLK  _/~~~~\____/~~~~\____/~~~~
 *     D0,D1  a,b  |    c,d  |
 *     Q                | a  | b  | c  | d
 */
module ODDRX1F #(
    // global set/reset use; not modelled
    /* verilator lint_off UNUSEDPARAM */ // kept for port/parameter compatibility with the real cell
    parameter GSR = "ENABLED"
    /* verilator lint_on UNUSEDPARAM */
) (
    input  wire SCLK,
    input  wire RST,
    input  wire D0,
    input  wire D1,
    output wire Q
);

reg d0_reg = 1'b0;
reg d1_reg = 1'b0;
// D1 moved to the falling edge so a rising edge never shows the next D1 early
reg d1_neg_reg = 1'b0;

assign Q = SCLK ? d0_reg : d1_neg_reg;

always @(posedge SCLK or posedge RST) begin
    if (RST) begin
        d0_reg <= 1'b0;
        d1_reg <= 1'b0;
    end else begin
        d0_reg <= D0;
        d1_reg <= D1;
    end
end

always @(negedge SCLK or posedge RST) begin
    if (RST) begin
        d1_neg_reg <= 1'b0;
    end else begin
        d1_neg_reg <= d1_reg;
    end
end

endmodule

`resetall
