`resetall
`timescale 1ns / 1ps
`default_nettype none

/*
 * SIMULATION MODEL ONLY - not for synthesis. Synthesis uses the real ECP5 DELAYG from
 * yosys's ECP5 cell library; this file lives in sim/ecp5, outside rtl/, for that reason.
 *
 * Behavioural model of the ECP5 fixed input/output delay (DELAYG, same ports and
 * parameters). The real cell delays A by DEL_VALUE taps of roughly 25 ps in
 * DEL_MODE "USER_DEFINED". The Verilator test benches run without timing, so this model
 * passes A straight through; clock/data skew is modelled by the test bench's clock phases.
 */
module DELAYG #(
    /* verilator lint_off UNUSEDPARAM */ // delay not modelled in zero-delay simulation
    // delay mode: "USER_DEFINED" uses DEL_VALUE, other modes are Lattice presets
    parameter DEL_MODE = "USER_DEFINED",
    // delay in taps (0 to 127, about 25 ps each)
    parameter DEL_VALUE = 0
    /* verilator lint_on UNUSEDPARAM */
) (
    input  wire A,
    output wire Z
);

assign Z = A;

endmodule

`resetall
