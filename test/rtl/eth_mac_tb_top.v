`resetall
`timescale 1ns / 1ps
`default_nettype none

/*
 * Test bench top for test/rtl/eth_mac_tb.cpp (scripts/test-mac.sh)
 *
 *   s_axis -> sipnic_eth_mac_tx -> GMII (^ corrupt_mask) -> sipnic_rgmii_phy_if tx
 *          -> RGMII pins looped back (txd->rxd, tx_ctl->rx_ctl, rxc = clk90)
 *          -> sipnic_rgmii_phy_if rx -> GMII -> sipnic_eth_mac_rx -> m_axis
 *
 * The loop is at the RGMII pins. rxc is clk90 from the harness, a copy of TXC 2 ns (90
 * degrees) late: the skew the PHY's RXDLY or the DELAYGs give on the board, which the
 * zero-delay DELAYG model does not. corrupt_mask is XORed into the GMII byte the tx MAC
 * puts out, so the harness can damage any byte of a frame on the wire.
 */
module eth_mac_tb_top (
    input  wire       clk,
    input  wire       clk90,
    input  wire       rst,
    input  wire       rx_rst,

    input  wire [7:0] s_axis_tdata,
    input  wire       s_axis_tvalid,
    output wire       s_axis_tready,
    input  wire       s_axis_tlast,
    input  wire       s_axis_tuser,

    output wire [7:0] m_axis_tdata,
    output wire       m_axis_tvalid,
    output wire       m_axis_tlast,
    output wire       m_axis_tuser,

    output wire       stat_good_frame,
    output wire       stat_bad_fcs,
    output wire       stat_bad_frame,

    input  wire [7:0] corrupt_mask,

    // monitors: GMII out of the tx MAC (before corruption), GMII out of the rx PHY interface
    output wire [7:0] mon_tx_txd,
    output wire       mon_tx_en,
    output wire       mon_tx_er,
    output wire [7:0] mon_rx_rxd,
    output wire       mon_rx_dv,
    output wire       mon_rx_er,
    output wire       mon_txc,
    output wire       mon_rx_clk
);

wire [7:0] tx_gmii_txd;
wire tx_gmii_tx_en;
wire tx_gmii_tx_er;

wire rx_clk;
wire [7:0] rx_gmii_rxd;
wire rx_gmii_rx_dv;
wire rx_gmii_rx_er;

wire rgmii_txc;
wire [3:0] rgmii_txd;
wire rgmii_tx_ctl;

assign mon_tx_txd = tx_gmii_txd;
assign mon_tx_en = tx_gmii_tx_en;
assign mon_tx_er = tx_gmii_tx_er;
assign mon_rx_rxd = rx_gmii_rxd;
assign mon_rx_dv = rx_gmii_rx_dv;
assign mon_rx_er = rx_gmii_rx_er;
assign mon_txc = rgmii_txc;
assign mon_rx_clk = rx_clk;

sipnic_eth_mac_tx mac_tx_inst (
    .clk(clk),
    .rst(rst),
    .s_axis_tdata(s_axis_tdata),
    .s_axis_tvalid(s_axis_tvalid),
    .s_axis_tready(s_axis_tready),
    .s_axis_tlast(s_axis_tlast),
    .s_axis_tuser(s_axis_tuser),
    .gmii_txd(tx_gmii_txd),
    .gmii_tx_en(tx_gmii_tx_en),
    .gmii_tx_er(tx_gmii_tx_er)
);

sipnic_rgmii_phy_if phy_if_inst (
    .clk(clk),
    .rx_clk(rx_clk),
    .gmii_rxd(rx_gmii_rxd),
    .gmii_rx_dv(rx_gmii_rx_dv),
    .gmii_rx_er(rx_gmii_rx_er),
    .gmii_txd(tx_gmii_txd ^ corrupt_mask),
    .gmii_tx_en(tx_gmii_tx_en),
    .gmii_tx_er(tx_gmii_tx_er),
    .rgmii_rxc(clk90),
    .rgmii_rxd(rgmii_txd),
    .rgmii_rx_ctl(rgmii_tx_ctl),
    .rgmii_txc(rgmii_txc),
    .rgmii_txd(rgmii_txd),
    .rgmii_tx_ctl(rgmii_tx_ctl)
);

sipnic_eth_mac_rx mac_rx_inst (
    .clk(rx_clk),
    .rst(rx_rst),
    .gmii_rxd(rx_gmii_rxd),
    .gmii_rx_dv(rx_gmii_rx_dv),
    .gmii_rx_er(rx_gmii_rx_er),
    .m_axis_tdata(m_axis_tdata),
    .m_axis_tvalid(m_axis_tvalid),
    .m_axis_tlast(m_axis_tlast),
    .m_axis_tuser(m_axis_tuser),
    .stat_good_frame(stat_good_frame),
    .stat_bad_fcs(stat_bad_fcs),
    .stat_bad_frame(stat_bad_frame)
);

endmodule

`resetall
