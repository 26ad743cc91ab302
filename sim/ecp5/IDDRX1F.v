`resetall
`timescale 1ns / 1ps
`default_nettype none

/*
 * SIMULATION MODEL ONLY - not for synthesis. Synthesis uses the real ECP5 IDDRX1F from
 * yosys's ECP5 cell library; this file lives in sim/ecp5, outside rtl/, for that reason.
 *
 * Behavioural model of the ECP5 input DDR register (IDDRX1F, same ports and parameter).
 * D is sampled on the rising edge of SCLK and on the falling edge that follows; both
 * samples are presented together on the next rising edge: Q0 the rising-edge one, Q1 the
 * falling-edge one. RST is asynchronous. Zero delay: the skew between SCLK and D is up to
 * the test bench (or to the DELAYG on the pin, which this set of models does not delay).
 *
 *     SCLK  _/~~~~\____/~~~~\____/~~~~
 *     D      | a  | b  | c  | d  |
 *     Q0,Q1            |   a,b   |   c,d
 */
module IDDRX1F #(
    // global set/reset use; not modelled
    /* verilator lint_off UNUSEDPARAM */ // kept for port/parameter compatibility with the real cell
    parameter GSR = "ENABLED"
    /* verilator lint_on UNUSEDPARAM */
) (
    input  wire D,
    input  wire SCLK,
    input  wire RST,
    output wire Q0,
    output wire Q1
);

reg pos_reg = 1'b0;
reg neg_reg = 1'b0;
reg q0_reg = 1'b0;
reg q1_reg = 1'b0;

assign Q0 = q0_reg;
assign Q1 = q1_reg;

always @(posedge SCLK or posedge RST) begin
    if (RST) begin
        pos_reg <= 1'b0;
        q0_reg <= 1'b0;
        q1_reg <= 1'b0;
    end else begin
        pos_reg <= D;
        q0_reg <= pos_reg;
        q1_reg <= neg_reg;
    end
end

always @(negedge SCLK or posedge RST) begin
    if (RST) begin
        neg_reg <= 1'b0;
    end else begin
        neg_reg <= D;
    end
end

endmodule

`resetall
