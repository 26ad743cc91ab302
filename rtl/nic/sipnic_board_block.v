`resetall
`timescale 1ns / 1ps
`default_nettype none

/*
 * The board register block of the two-port NIC (board block of rtl/regs.json): the build's
 * identity (BUILD_ID, GIT_HASH, BUILD_FLAGS, set by `sipnic board build` through the top's
 * parameters), the clock and line rate, and the read-only MDIO master on the PHYs' shared bus.
 *
 *   MDIO_COMMAND write ─► sipnic_mdio_master (clause 22 read) ─► MDIO_STATUS: DATA, BUSY, NO_ANSWER
 *
 * The block decodes its own addresses (reg_sel), as sipnic_egress does; reg_ack follows an
 * access to it one clock later.
 */
module sipnic_board_block #(
    // clock frequency in Hz
    parameter CLK_HZ = 50_000_000,
    // UART line rate
    parameter BAUD = 115200,
    // build time, seconds since 1970 UTC (0: not set)
    parameter BUILD_ID = 0,
    // first 8 hex digits of the git commit (0: not set)
    parameter GIT_HASH = 0,
    // 1: the source differed from GIT_HASH
    parameter GIT_DIRTY = 0,
    // clocks per MDC half period (derived: MDC at most 2.5 MHz)
    parameter MDC_DIV = (CLK_HZ + 4_999_999) / 5_000_000
) (
    input  wire        clk,
    input  wire        rst,

    /*
     * Register bus
     */
    input  wire        reg_en,
    input  wire        reg_we,
    input  wire [15:0] reg_addr,
    // only MDIO_COMMAND's PHY and REG fields are written
    /* verilator lint_off UNUSEDSIGNAL */
    input  wire [31:0] reg_wdata,
    /* verilator lint_on UNUSEDSIGNAL */
    output wire        reg_sel,
    output wire        reg_ack,
    output wire [31:0] reg_rdata,

    /*
     * MDIO (shared by the PHYs)
     */
    output wire        mdc,
    output wire        mdio_o,
    output wire        mdio_oe,
    input  wire        mdio_i
);

/* verilator lint_off UNUSEDPARAM */
`include "sipnic_regs.vh"
/* verilator lint_on UNUSEDPARAM */

localparam integer MDC_DIV_I = MDC_DIV < 1 ? 1 : MDC_DIV;
localparam [31:0] BUILD_ID_W = BUILD_ID;
localparam [31:0] GIT_HASH_W = GIT_HASH;
localparam [31:0] CLK_HZ_W = CLK_HZ;
localparam [31:0] BAUD_W = BAUD;
localparam [31:0] MDC_DIV_W = MDC_DIV_I;

initial begin
    if (CLK_HZ / (2 * MDC_DIV_I) > 2_500_000) begin
        $error("Error: MDC_DIV %0d makes MDC faster than 2.5 MHz at CLK_HZ %0d (instance %m)", MDC_DIV, CLK_HZ);
        $finish;
    end
end

reg         ack_reg = 1'b0;
reg  [31:0] rdata_reg = 32'd0;
reg  [7:0]  completed_reg = 8'd0;

wire [15:0] off = reg_addr - BLK_BOARD_BASE;
wire        in_block = off < BLK_BOARD_SIZE;
wire        start = reg_en && in_block && reg_we && off == REG_BOARD_MDIO_COMMAND;

assign reg_sel = in_block;
assign reg_ack = ack_reg;
assign reg_rdata = rdata_reg;

wire        mdio_busy, mdio_no_answer, mdio_done;
wire [15:0] mdio_data;

sipnic_mdio_master #(
    .MDC_DIV(MDC_DIV_I)
)
mdio_master_inst (
    .clk(clk),
    .rst(rst),
    .start(start),
    .phy_addr(reg_wdata[FLD_BOARD_MDIO_COMMAND_PHY_SHIFT +: 5]),
    .reg_addr(reg_wdata[FLD_BOARD_MDIO_COMMAND_REG_SHIFT +: 5]),
    .busy(mdio_busy),
    .rdata(mdio_data),
    .no_answer(mdio_no_answer),
    .done(mdio_done),
    .mdc(mdc),
    .mdio_o(mdio_o),
    .mdio_oe(mdio_oe),
    .mdio_i(mdio_i)
);

reg [31:0] rdata;

always @* begin
    rdata = 32'd0;
    case (off)
        REG_BOARD_TYPE: rdata = BLK_BOARD_TYPE;
        REG_BOARD_VERSION: rdata = BLK_BOARD_VERSION;
        REG_BOARD_NEXT: rdata = {16'd0, BLK_BOARD_NEXT};
        REG_BOARD_BUILD_ID: rdata = BUILD_ID_W;
        REG_BOARD_GIT_HASH: rdata = GIT_HASH_W;
        REG_BOARD_BUILD_FLAGS: rdata[FLD_BOARD_BUILD_FLAGS_GIT_DIRTY_SHIFT] = GIT_DIRTY != 0;
        REG_BOARD_CLK_HZ: rdata = CLK_HZ_W;
        REG_BOARD_BAUD: rdata = BAUD_W;
        REG_BOARD_MDC_DIV: rdata = MDC_DIV_W;
        REG_BOARD_MDIO_STATUS: begin
            rdata[FLD_BOARD_MDIO_STATUS_DATA_SHIFT +: 16] = mdio_data;
            rdata[FLD_BOARD_MDIO_STATUS_BUSY_SHIFT] = mdio_busy;
            rdata[FLD_BOARD_MDIO_STATUS_NO_ANSWER_SHIFT] = mdio_no_answer;
            rdata[FLD_BOARD_MDIO_STATUS_COMPLETED_SHIFT +: 8] = completed_reg;
        end
        default: rdata = 32'd0;
    endcase
end

always @(posedge clk) begin
    ack_reg <= reg_en && in_block;
    rdata_reg <= reg_en && in_block && !reg_we ? rdata : 32'd0;
    if (mdio_done) begin
        completed_reg <= completed_reg + 1;
    end

    if (rst) begin
        ack_reg <= 1'b0;
        completed_reg <= 8'd0;
    end
end

endmodule

`resetall
