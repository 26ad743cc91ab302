`resetall
`timescale 1ns / 1ps
`default_nettype none

/*
 * SIMULATION MODEL ONLY - not for synthesis. yosys's ECP5 cell library declares DP16KD as a
 * black box (share/ecp5/cells_sim.v); this model lets a synthesized netlist run under
 * Verilator (scripts/gate-level.mjs). Same ports as that declaration.
 *
 * Behaviour of the ECP5 sysMEM block RAM as Lattice's "ECP5 and ECP5-5G Memory Usage
 * Guide" (TN1264) describes the DP16KD and PDPW16KD primitives, written for this project
 * (not derived from yosys's memory mapping rules, so that a mapping error shows up):
 *
 *   - 18 Kbit, two ports A and B, each 16K x 1, 8K x 2, 4K x 4, 2K x 9 or 1K x 18
 *     (DATA_WIDTH_x); DATA_WIDTH_A 36 is the pseudo-dual-port mode of PDPW16KD: 512 x 36,
 *     port A writes, port B reads.
 *   - address bits: x1 AD[13:0], x2 AD[13:1], x4 AD[13:2], x9 AD[13:3], x18 AD[13:4],
 *     x36 AD[13:5]. A x18 write takes byte enables on AD[1:0] (AD0: DI[8:0], AD1: DI[17:9]);
 *     the x36 write takes them on ADA[3:0] (ADA<n>: bits 9n+8..9n of {DIB, DIA}).
 *   - data on the low DATA_WIDTH pins of DI/DO. x36: write data {DIB, DIA}, read data
 *     {DOA, DOB} (nextpnr's PDPW16KD -> DP16KD pin mapping, ecp5/pack.cc), unused DO pins 0.
 *     TN1264 documents the 36-bit mode only as the PDPW16KD primitive (DO35..DO0), not which
 *     DP16KD pins carry which half, and the open tools disagree: yosys's $__PDPW16KD_ map
 *     (share/lattice/brams_map_16kd.v) reads bits 17:0 from DOA. Built with
 *     +define+DP16KD_X36_READ_LOW_ON_DOA the model takes that order instead (read data
 *     {DOB, DOA}); docs/gate-level.md says why the gate-level runs use it and how to settle it
 *     on a board.
 *   - everything is synchronous to the port's clock: a port acts on a rising edge with CE
 *     high and CS[2:0] equal to CSDECODE; WE high writes, WE low reads. A disabled port keeps
 *     its output.
 *   - output of a write (WRITEMODE): NORMAL keeps the previous output, WRITETHROUGH shows the
 *     data being written (DI), READBEFOREWRITE shows the word being overwritten (x9/x18).
 *   - REGMODE NOREG: DO shows the word from the clock edge of the access; OUTREG: one more
 *     register, loaded on a rising edge with OCE high (two clocks from address to DO).
 *   - RST clears the output (latch and output register): RESETMODE SYNC on a rising edge,
 *     ASYNC at once. GSR (global set/reset at configuration) is modelled as power-up zero.
 *   - INITVAL_00..3F: 64 x 320 bits, each 16 words of 18 bits in 20-bit slots (the top two
 *     bits of a slot unused): 18-bit word w is INITVAL_<w/16>[20*(w%16) +: 18].
 *
 * Where the guide is silent, this model chooses, and says so:
 *   - the 18K array is 1024 rows of 18 bits; a x9 word is half a row (address bit 0 picks
 *     the high half), x1/x2/x4 words use the 16 data columns (0-7, 9-16), a x36 word is rows
 *     2a (low 18 bits) and 2a+1. This layout shows only when the two ports' widths differ.
 *   - WRITETHROUGH of a x18 write with some byte enables low shows DI as presented.
 *   - the same clock edge on both ports with one port writing bits the other reads: the
 *     reader gets the old word, and the collision is counted (reported at the end of the simulation). Built with
 *     +define+DP16KD_COLLISION_POISON the reader gets the old word inverted instead, so a
 *     design that depends on such a read fails its tests. Both ports writing the same bits:
 *     port B's data is stored, counted as a collision.
 *   - RST in SYNC mode acts on the clock edge whatever CE and OCE are.
 * A parameter value outside what is modelled stops the simulation at time 0.
 */
module DP16KD #(
    // port widths: 1, 2, 4, 9, 18; DATA_WIDTH_A 36 selects the 512 x 36 pseudo-dual-port mode
    parameter DATA_WIDTH_A = 18,
    parameter DATA_WIDTH_B = 18,
    // "NOREG" or "OUTREG" (output register)
    parameter REGMODE_A = "NOREG",
    parameter REGMODE_B = "NOREG",
    // output reset: "SYNC" or "ASYNC"
    parameter RESETMODE = "SYNC",
    // release of an asynchronous reset; not modelled (zero-delay simulation)
    /* verilator lint_off UNUSEDPARAM */
    parameter ASYNC_RESET_RELEASE = "SYNC",
    /* verilator lint_on UNUSEDPARAM */
    // chip-select decode "0bXYZ": the port is selected when CS[2:0] == XYZ
    parameter CSDECODE_A = "0b000",
    parameter CSDECODE_B = "0b000",
    // output during a write: "NORMAL", "WRITETHROUGH", "READBEFOREWRITE"
    parameter WRITEMODE_A = "NORMAL",
    parameter WRITEMODE_B = "NORMAL",
    // control-pin polarity (the cell's pin muxes): the pin's own name, or "INV"
    parameter CLKAMUX = "CLKA",
    parameter CLKBMUX = "CLKB",
    parameter CEAMUX = "CEA",
    parameter CEBMUX = "CEB",
    parameter OCEAMUX = "OCEA",
    parameter OCEBMUX = "OCEB",
    parameter WEAMUX = "WEA",
    parameter WEBMUX = "WEB",
    parameter RSTAMUX = "RSTA",
    parameter RSTBMUX = "RSTB",
    /* verilator lint_off UNUSEDPARAM */
    // block identifier for initialisation at configuration; not used here
    parameter WID = 0,
    // global set/reset use; power-up state is zero either way
    parameter GSR = "ENABLED",
    // "STATIC" or "DYNAMIC" initialisation; contents come from INITVAL_xx either way
    parameter INIT_DATA = "STATIC",
    /* verilator lint_on UNUSEDPARAM */
    // initial contents (see above)
    parameter [319:0] INITVAL_00 = 320'h0, parameter [319:0] INITVAL_01 = 320'h0,
    parameter [319:0] INITVAL_02 = 320'h0, parameter [319:0] INITVAL_03 = 320'h0,
    parameter [319:0] INITVAL_04 = 320'h0, parameter [319:0] INITVAL_05 = 320'h0,
    parameter [319:0] INITVAL_06 = 320'h0, parameter [319:0] INITVAL_07 = 320'h0,
    parameter [319:0] INITVAL_08 = 320'h0, parameter [319:0] INITVAL_09 = 320'h0,
    parameter [319:0] INITVAL_0A = 320'h0, parameter [319:0] INITVAL_0B = 320'h0,
    parameter [319:0] INITVAL_0C = 320'h0, parameter [319:0] INITVAL_0D = 320'h0,
    parameter [319:0] INITVAL_0E = 320'h0, parameter [319:0] INITVAL_0F = 320'h0,
    parameter [319:0] INITVAL_10 = 320'h0, parameter [319:0] INITVAL_11 = 320'h0,
    parameter [319:0] INITVAL_12 = 320'h0, parameter [319:0] INITVAL_13 = 320'h0,
    parameter [319:0] INITVAL_14 = 320'h0, parameter [319:0] INITVAL_15 = 320'h0,
    parameter [319:0] INITVAL_16 = 320'h0, parameter [319:0] INITVAL_17 = 320'h0,
    parameter [319:0] INITVAL_18 = 320'h0, parameter [319:0] INITVAL_19 = 320'h0,
    parameter [319:0] INITVAL_1A = 320'h0, parameter [319:0] INITVAL_1B = 320'h0,
    parameter [319:0] INITVAL_1C = 320'h0, parameter [319:0] INITVAL_1D = 320'h0,
    parameter [319:0] INITVAL_1E = 320'h0, parameter [319:0] INITVAL_1F = 320'h0,
    parameter [319:0] INITVAL_20 = 320'h0, parameter [319:0] INITVAL_21 = 320'h0,
    parameter [319:0] INITVAL_22 = 320'h0, parameter [319:0] INITVAL_23 = 320'h0,
    parameter [319:0] INITVAL_24 = 320'h0, parameter [319:0] INITVAL_25 = 320'h0,
    parameter [319:0] INITVAL_26 = 320'h0, parameter [319:0] INITVAL_27 = 320'h0,
    parameter [319:0] INITVAL_28 = 320'h0, parameter [319:0] INITVAL_29 = 320'h0,
    parameter [319:0] INITVAL_2A = 320'h0, parameter [319:0] INITVAL_2B = 320'h0,
    parameter [319:0] INITVAL_2C = 320'h0, parameter [319:0] INITVAL_2D = 320'h0,
    parameter [319:0] INITVAL_2E = 320'h0, parameter [319:0] INITVAL_2F = 320'h0,
    parameter [319:0] INITVAL_30 = 320'h0, parameter [319:0] INITVAL_31 = 320'h0,
    parameter [319:0] INITVAL_32 = 320'h0, parameter [319:0] INITVAL_33 = 320'h0,
    parameter [319:0] INITVAL_34 = 320'h0, parameter [319:0] INITVAL_35 = 320'h0,
    parameter [319:0] INITVAL_36 = 320'h0, parameter [319:0] INITVAL_37 = 320'h0,
    parameter [319:0] INITVAL_38 = 320'h0, parameter [319:0] INITVAL_39 = 320'h0,
    parameter [319:0] INITVAL_3A = 320'h0, parameter [319:0] INITVAL_3B = 320'h0,
    parameter [319:0] INITVAL_3C = 320'h0, parameter [319:0] INITVAL_3D = 320'h0,
    parameter [319:0] INITVAL_3E = 320'h0, parameter [319:0] INITVAL_3F = 320'h0
) (
    /*
     * port A
     */
    input  wire DIA17, DIA16, DIA15, DIA14, DIA13, DIA12, DIA11, DIA10, DIA9,
    input  wire DIA8, DIA7, DIA6, DIA5, DIA4, DIA3, DIA2, DIA1, DIA0,
    input  wire ADA13, ADA12, ADA11, ADA10, ADA9, ADA8, ADA7, ADA6, ADA5, ADA4,
    input  wire ADA3, ADA2, ADA1, ADA0,
    input  wire CEA, OCEA, CLKA, WEA, RSTA,
    input  wire CSA2, CSA1, CSA0,
    output wire DOA17, DOA16, DOA15, DOA14, DOA13, DOA12, DOA11, DOA10, DOA9,
    output wire DOA8, DOA7, DOA6, DOA5, DOA4, DOA3, DOA2, DOA1, DOA0,

    /*
     * port B
     */
    input  wire DIB17, DIB16, DIB15, DIB14, DIB13, DIB12, DIB11, DIB10, DIB9,
    input  wire DIB8, DIB7, DIB6, DIB5, DIB4, DIB3, DIB2, DIB1, DIB0,
    input  wire ADB13, ADB12, ADB11, ADB10, ADB9, ADB8, ADB7, ADB6, ADB5, ADB4,
    input  wire ADB3, ADB2, ADB1, ADB0,
    input  wire CEB, OCEB, CLKB, WEB, RSTB,
    input  wire CSB2, CSB1, CSB0,
    output wire DOB17, DOB16, DOB15, DOB14, DOB13, DOB12, DOB11, DOB10, DOB9,
    output wire DOB8, DOB7, DOB6, DOB5, DOB4, DOB3, DOB2, DOB1, DOB0
);

// String parameters are compared with literals of other lengths, index arithmetic is done in
// integers, the array is updated in program order inside the one clocked process, and RST
// reaches the outputs both at once (ASYNC) and on the edge, all on purpose.
/* verilator lint_off WIDTH */
/* verilator lint_off BLKSEQ */
/* verilator lint_off UNUSEDSIGNAL */
/* verilator lint_off SYNCASYNCNET */

// pseudo-dual-port (PDPW16KD) mode: 512 x 36, A writes, B reads
localparam PDP = DATA_WIDTH_A == 36;

function width_ok(input integer w, input integer allow36);
    width_ok = w == 1 || w == 2 || w == 4 || w == 9 || w == 18 || (allow36 != 0 && w == 36);
endfunction

// log2 of the word width in 1-bit units of the address: x1 0, x2 1, x4 2, x9 3, x18 4, x36 5
function integer addr_shift(input integer w);
    addr_shift = w == 1 ? 0 : w == 2 ? 1 : w == 4 ? 2 : w == 9 ? 3 : w == 18 ? 4 : 5;
endfunction

// a CSDECODE string "0bXYZ" as 3 bits (its last three characters)
function [2:0] cs_bits(input [39:0] s);
    cs_bits = {s[16], s[8], s[0]};  // "0" is 8'h30, "1" is 8'h31
endfunction

function cs_ok(input [39:0] s);
    cs_ok = s[39:24] == "0b" && s[23:17] == 7'h18 && s[15:9] == 7'h18 && s[7:1] == 7'h18;
endfunction

function mode_ok(input [8*15-1:0] m, input integer w);
    mode_ok = m == "NORMAL" || m == "WRITETHROUGH" || (m == "READBEFOREWRITE" && (w == 9 || w == 18));
endfunction

initial begin
    if (!width_ok(DATA_WIDTH_A, 1) || !width_ok(DATA_WIDTH_B, PDP ? 1 : 0)) begin
        $error("Error: DP16KD %m: DATA_WIDTH_A %0d / DATA_WIDTH_B %0d not modelled", DATA_WIDTH_A, DATA_WIDTH_B);
        $finish;
    end
    if ((REGMODE_A != "NOREG" && REGMODE_A != "OUTREG") || (REGMODE_B != "NOREG" && REGMODE_B != "OUTREG")
        || (DATA_WIDTH_B == 36 && REGMODE_A != REGMODE_B)) begin
        $error("Error: DP16KD %m: REGMODE_A %s / REGMODE_B %s not modelled", REGMODE_A, REGMODE_B);
        $finish;
    end
    if (!mode_ok(WRITEMODE_A, DATA_WIDTH_A) && !(PDP && WRITEMODE_A == "NORMAL")
        || !mode_ok(WRITEMODE_B, DATA_WIDTH_B) && !(PDP && WRITEMODE_B == "NORMAL")) begin
        $error("Error: DP16KD %m: WRITEMODE_A %s (x%0d) / WRITEMODE_B %s (x%0d) not modelled",
               WRITEMODE_A, DATA_WIDTH_A, WRITEMODE_B, DATA_WIDTH_B);
        $finish;
    end
    if (RESETMODE != "SYNC" && RESETMODE != "ASYNC") begin
        $error("Error: DP16KD %m: RESETMODE %s not modelled", RESETMODE);
        $finish;
    end
    if (!cs_ok(CSDECODE_A) || !cs_ok(CSDECODE_B)) begin
        $error("Error: DP16KD %m: CSDECODE_A %s / CSDECODE_B %s are not \"0bXYZ\"", CSDECODE_A, CSDECODE_B);
        $finish;
    end
    if ((CLKAMUX != "CLKA" && CLKAMUX != "INV") || (CLKBMUX != "CLKB" && CLKBMUX != "INV")
        || (CEAMUX != "CEA" && CEAMUX != "INV") || (CEBMUX != "CEB" && CEBMUX != "INV")
        || (OCEAMUX != "OCEA" && OCEAMUX != "INV") || (OCEBMUX != "OCEB" && OCEBMUX != "INV")
        || (WEAMUX != "WEA" && WEAMUX != "INV") || (WEBMUX != "WEB" && WEBMUX != "INV")
        || (RSTAMUX != "RSTA" && RSTAMUX != "INV") || (RSTBMUX != "RSTB" && RSTBMUX != "INV")) begin
        $error("Error: DP16KD %m: a control-pin mux other than the pin or INV is not modelled");
        $finish;
    end
end

/*
 * pins
 */
wire [17:0] dia = {DIA17, DIA16, DIA15, DIA14, DIA13, DIA12, DIA11, DIA10, DIA9,
                   DIA8, DIA7, DIA6, DIA5, DIA4, DIA3, DIA2, DIA1, DIA0};
wire [17:0] dib = {DIB17, DIB16, DIB15, DIB14, DIB13, DIB12, DIB11, DIB10, DIB9,
                   DIB8, DIB7, DIB6, DIB5, DIB4, DIB3, DIB2, DIB1, DIB0};
wire [13:0] ada = {ADA13, ADA12, ADA11, ADA10, ADA9, ADA8, ADA7, ADA6, ADA5, ADA4, ADA3, ADA2, ADA1, ADA0};
wire [13:0] adb = {ADB13, ADB12, ADB11, ADB10, ADB9, ADB8, ADB7, ADB6, ADB5, ADB4, ADB3, ADB2, ADB1, ADB0};

wire clka = CLKAMUX == "INV" ? ~CLKA : CLKA;
wire clkb = CLKBMUX == "INV" ? ~CLKB : CLKB;
wire cea = CEAMUX == "INV" ? ~CEA : CEA;
wire ceb = CEBMUX == "INV" ? ~CEB : CEB;
wire ocea = OCEAMUX == "INV" ? ~OCEA : OCEA;
wire oceb = OCEBMUX == "INV" ? ~OCEB : OCEB;
wire wea = WEAMUX == "INV" ? ~WEA : WEA;
wire web = WEBMUX == "INV" ? ~WEB : WEB;
wire rsta = RSTAMUX == "INV" ? ~RSTA : RSTA;
wire rstb = RSTBMUX == "INV" ? ~RSTB : RSTB;
wire sela = cea && {CSA2, CSA1, CSA0} == cs_bits(CSDECODE_A);
wire selb = ceb && {CSB2, CSB1, CSB0} == cs_bits(CSDECODE_B);
// in the pseudo-dual-port mode the read side (port B's controls) owns the whole output
wire rst_out_a = PDP ? rstb : rsta;
wire arst_a = RESETMODE == "ASYNC" && rst_out_a;
wire arst_b = RESETMODE == "ASYNC" && rstb;

/*
 * state
 */
reg [17:0] mem [0:1023];
reg [17:0] lat_a = 18'd0, lat_b = 18'd0;  // what a NOREG port shows
reg [17:0] out_a = 18'd0, out_b = 18'd0;  // OUTREG registers
reg clka_seen = 1'b0, clkb_seen = 1'b0;
integer collision_count = 0;

localparam OUTREG_A = PDP ? REGMODE_B == "OUTREG" : REGMODE_A == "OUTREG";
localparam OUTREG_B = REGMODE_B == "OUTREG";

wire [17:0] doa = OUTREG_A ? out_a : lat_a;
wire [17:0] dob = OUTREG_B ? out_b : lat_b;
assign {DOA17, DOA16, DOA15, DOA14, DOA13, DOA12, DOA11, DOA10, DOA9,
        DOA8, DOA7, DOA6, DOA5, DOA4, DOA3, DOA2, DOA1, DOA0} = doa;
assign {DOB17, DOB16, DOB15, DOB14, DOB13, DOB12, DOB11, DOB10, DOB9,
        DOB8, DOB7, DOB6, DOB5, DOB4, DOB3, DOB2, DOB1, DOB0} = dob;

function [319:0] initval(input integer i);
    case (i)
        8'h00: initval = INITVAL_00; 8'h01: initval = INITVAL_01; 8'h02: initval = INITVAL_02; 8'h03: initval = INITVAL_03;
        8'h04: initval = INITVAL_04; 8'h05: initval = INITVAL_05; 8'h06: initval = INITVAL_06; 8'h07: initval = INITVAL_07;
        8'h08: initval = INITVAL_08; 8'h09: initval = INITVAL_09; 8'h0A: initval = INITVAL_0A; 8'h0B: initval = INITVAL_0B;
        8'h0C: initval = INITVAL_0C; 8'h0D: initval = INITVAL_0D; 8'h0E: initval = INITVAL_0E; 8'h0F: initval = INITVAL_0F;
        8'h10: initval = INITVAL_10; 8'h11: initval = INITVAL_11; 8'h12: initval = INITVAL_12; 8'h13: initval = INITVAL_13;
        8'h14: initval = INITVAL_14; 8'h15: initval = INITVAL_15; 8'h16: initval = INITVAL_16; 8'h17: initval = INITVAL_17;
        8'h18: initval = INITVAL_18; 8'h19: initval = INITVAL_19; 8'h1A: initval = INITVAL_1A; 8'h1B: initval = INITVAL_1B;
        8'h1C: initval = INITVAL_1C; 8'h1D: initval = INITVAL_1D; 8'h1E: initval = INITVAL_1E; 8'h1F: initval = INITVAL_1F;
        8'h20: initval = INITVAL_20; 8'h21: initval = INITVAL_21; 8'h22: initval = INITVAL_22; 8'h23: initval = INITVAL_23;
        8'h24: initval = INITVAL_24; 8'h25: initval = INITVAL_25; 8'h26: initval = INITVAL_26; 8'h27: initval = INITVAL_27;
        8'h28: initval = INITVAL_28; 8'h29: initval = INITVAL_29; 8'h2A: initval = INITVAL_2A; 8'h2B: initval = INITVAL_2B;
        8'h2C: initval = INITVAL_2C; 8'h2D: initval = INITVAL_2D; 8'h2E: initval = INITVAL_2E; 8'h2F: initval = INITVAL_2F;
        8'h30: initval = INITVAL_30; 8'h31: initval = INITVAL_31; 8'h32: initval = INITVAL_32; 8'h33: initval = INITVAL_33;
        8'h34: initval = INITVAL_34; 8'h35: initval = INITVAL_35; 8'h36: initval = INITVAL_36; 8'h37: initval = INITVAL_37;
        8'h38: initval = INITVAL_38; 8'h39: initval = INITVAL_39; 8'h3A: initval = INITVAL_3A; 8'h3B: initval = INITVAL_3B;
        8'h3C: initval = INITVAL_3C; 8'h3D: initval = INITVAL_3D; 8'h3E: initval = INITVAL_3E; default: initval = INITVAL_3F;
    endcase
endfunction

integer r;
reg [319:0] iv;
initial begin
    for (r = 0; r < 1024; r = r + 1) begin
        iv = initval(r / 16);
        mem[r] = iv[20 * (r % 16) +: 18];
    end
end

/*
 * Where an access lands in the 1024 x 18 array: up to two rows (x36 uses rows 2a, 2a+1),
 * each with a column mask, and the lowest column of the word in the first row.
 */
task automatic place(input integer width, input [13:0] ad, input [3:0] be, input wr,
                     output [9:0] row0, output [17:0] mask0, output [9:0] row1, output [17:0] mask1,
                     output integer lsb);
    integer n, j;
    begin
        n = ad >> addr_shift(width);
        row0 = 10'd0;
        row1 = 10'd0;
        mask0 = 18'd0;
        mask1 = 18'd0;
        lsb = 0;
        if (width <= 4) begin
            // data columns only: position j of the row's 16 data bits sits in column j or j+1
            j = (n * width) % 16;
            row0 = (n * width) / 16;
            lsb = j < 8 ? j : j + 1;
            mask0 = ((18'd1 << width) - 18'd1) << lsb;
        end else if (width == 9) begin
            row0 = n >> 1;
            lsb = (n & 1) * 9;
            mask0 = 18'h1ff << lsb;
        end else if (width == 18) begin
            row0 = n;
            mask0 = wr ? {{9{be[1]}}, {9{be[0]}}} : 18'h3ffff;
        end else begin
            row0 = n * 2;
            row1 = n * 2 + 1;
            mask0 = wr ? {{9{be[1]}}, {9{be[0]}}} : 18'h3ffff;
            mask1 = wr ? {{9{be[3]}}, {9{be[2]}}} : 18'h3ffff;
        end
    end
endtask

// the word at a placement: low 18 bits from row0 (shifted down), high 18 from row1 (x36)
function [35:0] fetch(input integer width, input [9:0] row0, input [9:0] row1, input integer lsb);
    reg [17:0] w0;
    begin
        w0 = mem[row0] >> lsb;
        if (width == 36) fetch = {mem[row1], mem[row0]};
        else if (width == 18) fetch = {18'd0, w0};
        else fetch = {18'd0, w0 & ((18'd1 << width) - 18'd1)};
    end
endfunction

function [35:0] width_mask(input integer width);
    width_mask = width == 36 ? {36{1'b1}} : (36'd1 << width) - 36'd1;
endfunction

function overlap(input [9:0] ra0, input [17:0] ma0, input [9:0] ra1, input [17:0] ma1,
                         input [9:0] rb0, input [17:0] mb0, input [9:0] rb1, input [17:0] mb1);
    overlap = (ra0 == rb0 && (ma0 & mb0) != 0) || (ra0 == rb1 && (ma0 & mb1) != 0)
           || (ra1 == rb0 && (ma1 & mb0) != 0) || (ra1 == rb1 && (ma1 & mb1) != 0);
endfunction

/*
 * Both ports in one process, so that an edge both clocks share is one event: reads see the
 * array before the writes of that edge, and a collision between the ports can be seen.
 */
always @(posedge clka or negedge clka or posedge clkb or negedge clkb or posedge arst_a or posedge arst_b) begin : access
    reg rise_a, rise_b, act_a, act_b, wr_a, wr_b, show_a, show_b;
    reg [9:0] ra0, ra1, rb0, rb1, wa0, wa1, wb0, wb1;     // rows read / written
    reg [17:0] rma0, rma1, rmb0, rmb1, wma0, wma1, wmb0, wmb1;  // their column masks
    integer la, lb, unused;
    reg [35:0] old_a, old_b, din_a, din_b, shown_a, shown_b;
    reg [3:0] be_a, be_b;

    rise_a = clka && !clka_seen;
    rise_b = clkb && !clkb_seen;
    clka_seen = clka;
    clkb_seen = clkb;

    din_a = PDP ? {dib, dia} : {18'd0, dia};
    din_b = {18'd0, dib};
    be_a = PDP ? ada[3:0] : {2'b00, ada[1:0]};
    be_b = {2'b00, adb[1:0]};
    // a port acts on its rising edge when enabled and selected; in the pseudo-dual-port
    // mode port A only writes and port B only reads
    act_a = rise_a && sela;
    act_b = rise_b && selb;
    wr_a = act_a && wea;
    wr_b = act_b && web && !PDP;
    // the port's output takes a new word: a read, or a write other than NORMAL
    show_a = act_a && !PDP && (!wr_a || WRITEMODE_A != "NORMAL");
    show_b = act_b && (!wr_b || WRITEMODE_B != "NORMAL");

    place(DATA_WIDTH_A, ada, be_a, 1'b0, ra0, rma0, ra1, rma1, la);
    place(DATA_WIDTH_A, ada, be_a, 1'b1, wa0, wma0, wa1, wma1, unused);
    place(DATA_WIDTH_B, adb, be_b, 1'b0, rb0, rmb0, rb1, rmb1, lb);
    place(DATA_WIDTH_B, adb, be_b, 1'b1, wb0, wmb0, wb1, wmb1, unused);
    old_a = fetch(DATA_WIDTH_A, ra0, ra1, la);
    old_b = fetch(DATA_WIDTH_B, rb0, rb1, lb);

    // same edge, one port writing bits the other port's output takes
    if (wr_a && show_b && overlap(wa0, wma0, wa1, wma1, rb0, rmb0, rb1, rmb1)) begin
        collision_count = collision_count + 1;
`ifdef DP16KD_COLLISION_POISON
        old_b = ~old_b;
`endif
    end
    if (wr_b && show_a && overlap(wb0, wmb0, wb1, wmb1, ra0, rma0, ra1, rma1)) begin
        collision_count = collision_count + 1;
`ifdef DP16KD_COLLISION_POISON
        old_a = ~old_a;
`endif
    end
    if (wr_a && wr_b && overlap(wa0, wma0, wa1, wma1, wb0, wmb0, wb1, wmb1)) begin
        collision_count = collision_count + 1;
    end

    // writes: port A first, so port B's data stays where both write
    if (wr_a) begin
        mem[wa0] = (mem[wa0] & ~wma0) | ((din_a[17:0] << la) & wma0);
        if (DATA_WIDTH_A == 36) mem[wa1] = (mem[wa1] & ~wma1) | (din_a[35:18] & wma1);
    end
    if (wr_b) begin
        mem[wb0] = (mem[wb0] & ~wmb0) | ((din_b[17:0] << lb) & wmb0);
    end

    // what each port shows: WRITETHROUGH the data written, otherwise the word read
    shown_a = (wr_a && WRITEMODE_A == "WRITETHROUGH" ? din_a : old_a) & width_mask(DATA_WIDTH_A);
    shown_b = (wr_b && WRITEMODE_B == "WRITETHROUGH" ? din_b : old_b) & width_mask(DATA_WIDTH_B);

    if (!PDP) begin
        if (arst_a) begin
            lat_a <= 18'd0;
            out_a <= 18'd0;
        end else if (rise_a) begin
            if (rsta) begin
                lat_a <= 18'd0;
                out_a <= 18'd0;
            end else begin
                if (show_a) lat_a <= shown_a[17:0];
                if (ocea) out_a <= lat_a;
            end
        end
    end
    if (arst_b) begin
        lat_b <= 18'd0;
        out_b <= 18'd0;
        if (PDP) begin
            lat_a <= 18'd0;
            out_a <= 18'd0;
        end
    end else if (rise_b) begin
        if (rstb) begin
            lat_b <= 18'd0;
            out_b <= 18'd0;
            if (PDP) begin
                lat_a <= 18'd0;
                out_a <= 18'd0;
            end
        end else begin
            if (show_b) begin
                lat_b <= shown_b[17:0];
`ifdef DP16KD_X36_READ_LOW_ON_DOA
                // x36 read, the order yosys's $__PDPW16KD_ map assumes: bits 17:0 on DOA
                if (PDP && DATA_WIDTH_B == 36) begin
                    lat_a <= shown_b[17:0];
                    lat_b <= shown_b[35:18];
                end
`else
                // x36 read: the high 18 bits come out on DOA (nextpnr's PDPW16KD pin mapping)
                if (PDP) lat_a <= shown_b[35:18];
`endif
            end
            if (oceb) begin
                out_b <= lat_b;
                if (PDP) out_a <= lat_a;
            end
        end
    end
end

// same-edge collisions (see above), reported when the simulation ends
final begin
    if (collision_count != 0) begin
        $display("DP16KD %m: %0d same-edge collisions between the ports", collision_count);
    end
end

/* verilator lint_on SYNCASYNCNET */
/* verilator lint_on UNUSEDSIGNAL */
/* verilator lint_on BLKSEQ */
/* verilator lint_on WIDTH */

endmodule

`resetall
