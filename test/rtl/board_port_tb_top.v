`resetall
`timescale 1ns / 1ps
`default_nettype none

/*
 * Test bench top for test/rtl/board_port_tb.cpp (scripts/test-nic.sh): one board port
 * (rtl/board/sipnic_colorlight_port.v) with its RGMII pins looped back (txd->rxd,
 * tx_ctl->rx_ctl, rxc = clk90, TXC 2 ns late as the PHY's delay gives on the board):
 *
 *   s_axis (clk_core) -> async FIFO -> unpack -> MAC tx -> RGMII -> loop
 *        -> MAC rx -> pack -> async FIFO -> m_axis (clk_core)
 */
module board_port_tb_top #(
    parameter DATA_WIDTH = 32,
    parameter KEEP_WIDTH = DATA_WIDTH/8
) (
    input  wire                  clk125,
    input  wire                  clk90,
    input  wire                  rst125,
    input  wire                  clk_core,
    input  wire                  rst_core,
    output wire [DATA_WIDTH-1:0] m_axis_tdata,
    output wire [KEEP_WIDTH-1:0] m_axis_tkeep,
    output wire                  m_axis_tvalid,
    input  wire                  m_axis_tready,
    output wire                  m_axis_tlast,
    output wire                  m_axis_tuser,
    input  wire [DATA_WIDTH-1:0] s_axis_tdata,
    input  wire [KEEP_WIDTH-1:0] s_axis_tkeep,
    input  wire                  s_axis_tvalid,
    output wire                  s_axis_tready,
    input  wire                  s_axis_tlast,
    input  wire                  s_axis_tuser
);

wire [3:0] txd;
wire tx_ctl;
/* verilator lint_off UNUSEDSIGNAL */
wire txc;
/* verilator lint_on UNUSEDSIGNAL */

sipnic_colorlight_port #(
    .DATA_WIDTH(DATA_WIDTH),
    .MAX_FRAME(2040)
)
port_inst (
    .clk125(clk125),
    .rst125(rst125),
    .clk_core(clk_core),
    .rst_core(rst_core),
    .m_axis_tdata(m_axis_tdata),
    .m_axis_tkeep(m_axis_tkeep),
    .m_axis_tvalid(m_axis_tvalid),
    .m_axis_tready(m_axis_tready),
    .m_axis_tlast(m_axis_tlast),
    .m_axis_tuser(m_axis_tuser),
    .s_axis_tdata(s_axis_tdata),
    .s_axis_tkeep(s_axis_tkeep),
    .s_axis_tvalid(s_axis_tvalid),
    .s_axis_tready(s_axis_tready),
    .s_axis_tlast(s_axis_tlast),
    .s_axis_tuser(s_axis_tuser),
    .rgmii_rxc(clk90),
    .rgmii_rxd(txd),
    .rgmii_rx_ctl(tx_ctl),
    .rgmii_txc(txc),
    .rgmii_txd(txd),
    .rgmii_tx_ctl(tx_ctl)
);

endmodule

`resetall
