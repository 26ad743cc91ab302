`resetall
`timescale 1ns / 1ps
`default_nettype none

/*
 * Test bench top for test/rtl/dp16kd_tb.cpp: one DP16KD model (sim/ecp5/DP16KD.v) per
 * configuration, all on the same pins, so the harness drives one set of inputs and checks
 * every configuration's outputs against its own expectations.
 *
 *   rbw18   x18 / x18, READBEFOREWRITE on both ports   (what yosys makes of sipnic's FIFOs)
 *   pdp36   x36 write / x36 read (pseudo-dual-port)     (what yosys makes of the wide RAMs)
 *   nw18    x18 NORMAL / x18 WRITETHROUGH, B OUTREG
 *   m9_18   x9 WRITETHROUGH / x18 NORMAL, B OUTREG
 *   m4_1    x4 NORMAL / x1 WRITETHROUGH
 *   m2_9    x2 NORMAL / x9 READBEFOREWRITE
 *   cs      x18 / x18, CSDECODE_A 0b101, CSDECODE_B 0b010, RESETMODE ASYNC, A OUTREG
 *   init    x18 / x9, INITVAL_00 and INITVAL_3F set, RESETMODE SYNC
 *   pdp36r9 x36 write / x9 read, OUTREG
 */
module dp16kd_tb_top (
    input  wire        clka,
    input  wire        clkb,
    input  wire [17:0] dia,
    input  wire [17:0] dib,
    input  wire [13:0] ada,
    input  wire [13:0] adb,
    input  wire        cea,
    input  wire        ceb,
    input  wire        ocea,
    input  wire        oceb,
    input  wire        wea,
    input  wire        web,
    input  wire        rsta,
    input  wire        rstb,
    input  wire [2:0]  csa,
    input  wire [2:0]  csb,

    // {DOB, DOA} of each configuration, in the order above
    output wire [35:0] do_rbw18,
    output wire [35:0] do_pdp36,
    output wire [35:0] do_nw18,
    output wire [35:0] do_m9_18,
    output wire [35:0] do_m4_1,
    output wire [35:0] do_m2_9,
    output wire [35:0] do_cs,
    output wire [35:0] do_init,
    output wire [35:0] do_pdp36r9
);

`define DP16KD_PINS(out) \
    .DIA17(dia[17]), .DIA16(dia[16]), .DIA15(dia[15]), .DIA14(dia[14]), .DIA13(dia[13]), .DIA12(dia[12]), \
    .DIA11(dia[11]), .DIA10(dia[10]), .DIA9(dia[9]), .DIA8(dia[8]), .DIA7(dia[7]), .DIA6(dia[6]), \
    .DIA5(dia[5]), .DIA4(dia[4]), .DIA3(dia[3]), .DIA2(dia[2]), .DIA1(dia[1]), .DIA0(dia[0]), \
    .ADA13(ada[13]), .ADA12(ada[12]), .ADA11(ada[11]), .ADA10(ada[10]), .ADA9(ada[9]), .ADA8(ada[8]), \
    .ADA7(ada[7]), .ADA6(ada[6]), .ADA5(ada[5]), .ADA4(ada[4]), .ADA3(ada[3]), .ADA2(ada[2]), \
    .ADA1(ada[1]), .ADA0(ada[0]), \
    .CEA(cea), .OCEA(ocea), .CLKA(clka), .WEA(wea), .RSTA(rsta), .CSA2(csa[2]), .CSA1(csa[1]), .CSA0(csa[0]), \
    .DOA17(out[17]), .DOA16(out[16]), .DOA15(out[15]), .DOA14(out[14]), .DOA13(out[13]), .DOA12(out[12]), \
    .DOA11(out[11]), .DOA10(out[10]), .DOA9(out[9]), .DOA8(out[8]), .DOA7(out[7]), .DOA6(out[6]), \
    .DOA5(out[5]), .DOA4(out[4]), .DOA3(out[3]), .DOA2(out[2]), .DOA1(out[1]), .DOA0(out[0]), \
    .DIB17(dib[17]), .DIB16(dib[16]), .DIB15(dib[15]), .DIB14(dib[14]), .DIB13(dib[13]), .DIB12(dib[12]), \
    .DIB11(dib[11]), .DIB10(dib[10]), .DIB9(dib[9]), .DIB8(dib[8]), .DIB7(dib[7]), .DIB6(dib[6]), \
    .DIB5(dib[5]), .DIB4(dib[4]), .DIB3(dib[3]), .DIB2(dib[2]), .DIB1(dib[1]), .DIB0(dib[0]), \
    .ADB13(adb[13]), .ADB12(adb[12]), .ADB11(adb[11]), .ADB10(adb[10]), .ADB9(adb[9]), .ADB8(adb[8]), \
    .ADB7(adb[7]), .ADB6(adb[6]), .ADB5(adb[5]), .ADB4(adb[4]), .ADB3(adb[3]), .ADB2(adb[2]), \
    .ADB1(adb[1]), .ADB0(adb[0]), \
    .CEB(ceb), .OCEB(oceb), .CLKB(clkb), .WEB(web), .RSTB(rstb), .CSB2(csb[2]), .CSB1(csb[1]), .CSB0(csb[0]), \
    .DOB17(out[35]), .DOB16(out[34]), .DOB15(out[33]), .DOB14(out[32]), .DOB13(out[31]), .DOB12(out[30]), \
    .DOB11(out[29]), .DOB10(out[28]), .DOB9(out[27]), .DOB8(out[26]), .DOB7(out[25]), .DOB6(out[24]), \
    .DOB5(out[23]), .DOB4(out[22]), .DOB3(out[21]), .DOB2(out[20]), .DOB1(out[19]), .DOB0(out[18])

DP16KD #(.DATA_WIDTH_A(18), .DATA_WIDTH_B(18), .WRITEMODE_A("READBEFOREWRITE"), .WRITEMODE_B("READBEFOREWRITE"))
rbw18_inst (`DP16KD_PINS(do_rbw18));

DP16KD #(.DATA_WIDTH_A(36), .DATA_WIDTH_B(36))
pdp36_inst (`DP16KD_PINS(do_pdp36));

DP16KD #(.DATA_WIDTH_A(18), .DATA_WIDTH_B(18), .WRITEMODE_A("NORMAL"), .WRITEMODE_B("WRITETHROUGH"), .REGMODE_B("OUTREG"))
nw18_inst (`DP16KD_PINS(do_nw18));

DP16KD #(.DATA_WIDTH_A(9), .DATA_WIDTH_B(18), .WRITEMODE_A("WRITETHROUGH"), .REGMODE_B("OUTREG"))
m9_18_inst (`DP16KD_PINS(do_m9_18));

DP16KD #(.DATA_WIDTH_A(4), .DATA_WIDTH_B(1), .WRITEMODE_B("WRITETHROUGH"))
m4_1_inst (`DP16KD_PINS(do_m4_1));

DP16KD #(.DATA_WIDTH_A(2), .DATA_WIDTH_B(9), .WRITEMODE_B("READBEFOREWRITE"))
m2_9_inst (`DP16KD_PINS(do_m2_9));

DP16KD #(.DATA_WIDTH_A(18), .DATA_WIDTH_B(18), .CSDECODE_A("0b101"), .CSDECODE_B("0b010"),
         .RESETMODE("ASYNC"), .REGMODE_A("OUTREG"))
cs_inst (`DP16KD_PINS(do_cs));

// word 0 = 0x2a5a5, word 1 = 0x15a5a, word 15 = 0x3ffff (INITVAL_00); word 1023 = 0x00001 (INITVAL_3F)
DP16KD #(.DATA_WIDTH_A(18), .DATA_WIDTH_B(9), .RESETMODE("SYNC"),
         .INITVAL_00({20'h3ffff, 260'h0, 20'h15a5a, 20'h2a5a5}),
         .INITVAL_3F({20'h00001, 300'h0}))
init_inst (`DP16KD_PINS(do_init));

DP16KD #(.DATA_WIDTH_A(36), .DATA_WIDTH_B(9), .REGMODE_A("OUTREG"), .REGMODE_B("OUTREG"))
pdp36r9_inst (`DP16KD_PINS(do_pdp36r9));

`undef DP16KD_PINS

endmodule

`resetall
