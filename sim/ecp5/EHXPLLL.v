`resetall
`timescale 1ns / 1ps
`default_nettype none

/*
 * SIMULATION MODEL ONLY - not for synthesis. Synthesis uses the real ECP5 EHXPLLL from
 * yosys's ECP5 cell library; this file lives in sim/ecp5, outside rtl/, for that reason.
 *
 * Stand-in for the ECP5 PLL (same ports and parameters as yosys's cells_bb.v) so that Verilator
 * can elaborate and lint the board top (scripts/lint-rtl.mjs). It does not synthesize
 * frequencies: every output clock follows CLKI, LOCK is high. Nothing runs the board top in
 * simulation; the board port testbench makes its own clocks.
 */
module EHXPLLL #(
    /* verilator lint_off UNUSEDPARAM */ // dividers, phases and modes are not modelled
    parameter CLKI_DIV = 1,
    parameter CLKFB_DIV = 1,
    parameter CLKOP_DIV = 8,
    parameter CLKOS_DIV = 8,
    parameter CLKOS2_DIV = 8,
    parameter CLKOS3_DIV = 8,
    parameter CLKOP_ENABLE = "ENABLED",
    parameter CLKOS_ENABLE = "DISABLED",
    parameter CLKOS2_ENABLE = "DISABLED",
    parameter CLKOS3_ENABLE = "DISABLED",
    parameter CLKOP_CPHASE = 0,
    parameter CLKOS_CPHASE = 0,
    parameter CLKOS2_CPHASE = 0,
    parameter CLKOS3_CPHASE = 0,
    parameter CLKOP_FPHASE = 0,
    parameter CLKOS_FPHASE = 0,
    parameter CLKOS2_FPHASE = 0,
    parameter CLKOS3_FPHASE = 0,
    parameter FEEDBK_PATH = "CLKOP",
    parameter CLKOP_TRIM_POL = "RISING",
    parameter CLKOP_TRIM_DELAY = 0,
    parameter CLKOS_TRIM_POL = "RISING",
    parameter CLKOS_TRIM_DELAY = 0,
    parameter OUTDIVIDER_MUXA = "DIVA",
    parameter OUTDIVIDER_MUXB = "DIVB",
    parameter OUTDIVIDER_MUXC = "DIVC",
    parameter OUTDIVIDER_MUXD = "DIVD",
    parameter PLL_LOCK_MODE = 0,
    parameter PLL_LOCK_DELAY = 200,
    parameter STDBY_ENABLE = "DISABLED",
    parameter REFIN_RESET = "DISABLED",
    parameter SYNC_ENABLE = "DISABLED",
    parameter INT_LOCK_STICKY = "ENABLED",
    parameter DPHASE_SOURCE = "DISABLED",
    parameter PLLRST_ENA = "DISABLED",
    parameter INTFB_WAKE = "DISABLED"
    /* verilator lint_on UNUSEDPARAM */
) (
    input  wire CLKI,
    /* verilator lint_off UNUSEDSIGNAL */ // feedback, phase steps, standby and resets: not modelled
    input  wire CLKFB,
    input  wire PHASESEL1,
    input  wire PHASESEL0,
    input  wire PHASEDIR,
    input  wire PHASESTEP,
    input  wire PHASELOADREG,
    input  wire STDBY,
    input  wire PLLWAKESYNC,
    input  wire RST,
    input  wire ENCLKOP,
    input  wire ENCLKOS,
    input  wire ENCLKOS2,
    input  wire ENCLKOS3,
    /* verilator lint_on UNUSEDSIGNAL */
    output wire CLKOP,
    output wire CLKOS,
    output wire CLKOS2,
    output wire CLKOS3,
    output wire LOCK,
    output wire INTLOCK,
    output wire REFCLK,
    output wire CLKINTFB
);

assign CLKOP = CLKI;
assign CLKOS = CLKI;
assign CLKOS2 = CLKI;
assign CLKOS3 = CLKI;
assign LOCK = 1'b1;
assign INTLOCK = 1'b1;
assign REFCLK = CLKI;
assign CLKINTFB = CLKI;

endmodule

`resetall
