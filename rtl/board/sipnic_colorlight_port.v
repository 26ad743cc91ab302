`resetall
`timescale 1ns / 1ps
`default_nettype none

/*
 * One gigabit Ethernet port of the board, from RGMII pins to DATA_WIDTH streams in the core
 * clock domain:
 *
 *   rx: RGMII ─► IDDR ─► MAC rx (FCS check) ─► pack 8→W ─► async FIFO ─► m_axis (clk_core)
 *       (rx_clk domain: the PHY's RXC)                        tuser on tlast = drop the frame
 *   tx: s_axis (clk_core) ─► async FIFO ─► unpack W→8 ─► MAC tx (FCS) ─► ODDR ─► RGMII
 *                                           (clk125 domain)
 *
 * The rx domain is reset from the core reset through two registers on RXC (RXC runs only
 * with a link). A 1000BASE-T link is assumed: at 10/100 Mb/s the PHY sends RGMII at 2.5/25
 * MHz with data on one edge, which this port does not decode.
 */
module sipnic_colorlight_port #(
    // core stream width
    parameter DATA_WIDTH = 32,
    // tkeep width (derived)
    parameter KEEP_WIDTH = DATA_WIDTH/8,
    // longest frame without FCS
    parameter MAX_FRAME = 2040,
    // clock-crossing FIFO address width (words)
    parameter FIFO_ADDR_WIDTH = 4,
    // RGMII delays (sipnic_rgmii_phy_if)
    parameter RX_DELAY = 80,
    parameter TX_CLK_DELAY = 0
) (
    input  wire                  clk125,
    input  wire                  rst125,
    input  wire                  clk_core,
    input  wire                  rst_core,

    /*
     * Received frames (core clock)
     */
    output wire [DATA_WIDTH-1:0] m_axis_tdata,
    output wire [KEEP_WIDTH-1:0] m_axis_tkeep,
    output wire                  m_axis_tvalid,
    input  wire                  m_axis_tready,
    output wire                  m_axis_tlast,
    output wire                  m_axis_tuser,

    /*
     * Frames to send (core clock); must not stall inside a frame for longer than the
     * clock-crossing FIFO holds
     */
    input  wire [DATA_WIDTH-1:0] s_axis_tdata,
    input  wire [KEEP_WIDTH-1:0] s_axis_tkeep,
    input  wire                  s_axis_tvalid,
    output wire                  s_axis_tready,
    input  wire                  s_axis_tlast,
    input  wire                  s_axis_tuser,

    /*
     * RGMII
     */
    input  wire                  rgmii_rxc,
    input  wire [3:0]            rgmii_rxd,
    input  wire                  rgmii_rx_ctl,
    output wire                  rgmii_txc,
    output wire [3:0]            rgmii_txd,
    output wire                  rgmii_tx_ctl
);

localparam WORD_WIDTH = DATA_WIDTH + KEEP_WIDTH + 2;

wire rx_clk;
wire [7:0] gmii_rxd, gmii_txd;
wire gmii_rx_dv, gmii_rx_er, gmii_tx_en, gmii_tx_er;

sipnic_rgmii_phy_if #(
    .RX_DELAY(RX_DELAY),
    .TX_CLK_DELAY(TX_CLK_DELAY)
)
phy_if_inst (
    .clk(clk125),
    .rx_clk(rx_clk),
    .gmii_rxd(gmii_rxd),
    .gmii_rx_dv(gmii_rx_dv),
    .gmii_rx_er(gmii_rx_er),
    .gmii_txd(gmii_txd),
    .gmii_tx_en(gmii_tx_en),
    .gmii_tx_er(gmii_tx_er),
    .rgmii_rxc(rgmii_rxc),
    .rgmii_rxd(rgmii_rxd),
    .rgmii_rx_ctl(rgmii_rx_ctl),
    .rgmii_txc(rgmii_txc),
    .rgmii_txd(rgmii_txd),
    .rgmii_tx_ctl(rgmii_tx_ctl)
);

/*
 * receive
 */
(* async_reg = "true" *) reg [1:0] rst_rx_sync_reg = 2'b11;
always @(posedge rx_clk) begin
    rst_rx_sync_reg <= {rst_rx_sync_reg[0], rst_core};
end
wire rst_rx = rst_rx_sync_reg[1];

wire [7:0] mac_rx_tdata;
wire mac_rx_tvalid, mac_rx_tlast, mac_rx_tuser;

/* verilator lint_off PINCONNECTEMPTY */
sipnic_eth_mac_rx #(
    .MAX_FRAME(MAX_FRAME + 4)
)
mac_rx_inst (
    .clk(rx_clk),
    .rst(rst_rx),
    .gmii_rxd(gmii_rxd),
    .gmii_rx_dv(gmii_rx_dv),
    .gmii_rx_er(gmii_rx_er),
    .m_axis_tdata(mac_rx_tdata),
    .m_axis_tvalid(mac_rx_tvalid),
    .m_axis_tlast(mac_rx_tlast),
    .m_axis_tuser(mac_rx_tuser),
    .stat_good_frame(),
    .stat_bad_fcs(),
    .stat_bad_frame()
);

wire [WORD_WIDTH-1:0] rx_word, rx_word_core;
wire rx_word_valid, rx_word_ready;

sipnic_rx_pack #(
    .DATA_WIDTH(DATA_WIDTH)
)
rx_pack_inst (
    .clk(rx_clk),
    .rst(rst_rx),
    .s_axis_tdata(mac_rx_tdata),
    .s_axis_tvalid(mac_rx_tvalid),
    .s_axis_tlast(mac_rx_tlast),
    .s_axis_tuser(mac_rx_tuser),
    .m_word(rx_word),
    .m_valid(rx_word_valid),
    .m_ready(rx_word_ready),
    .stat_overflow()
);
/* verilator lint_on PINCONNECTEMPTY */

sipnic_async_fifo #(
    .WIDTH(WORD_WIDTH),
    .ADDR_WIDTH(FIFO_ADDR_WIDTH)
)
rx_fifo_inst (
    .wr_clk(rx_clk),
    .s_data(rx_word),
    .s_valid(rx_word_valid),
    .s_ready(rx_word_ready),
    .rd_clk(clk_core),
    .m_data(rx_word_core),
    .m_valid(m_axis_tvalid),
    .m_ready(m_axis_tready)
);

assign m_axis_tdata = rx_word_core[DATA_WIDTH-1:0];
assign m_axis_tkeep = rx_word_core[DATA_WIDTH +: KEEP_WIDTH];
assign m_axis_tlast = rx_word_core[DATA_WIDTH+KEEP_WIDTH];
assign m_axis_tuser = rx_word_core[DATA_WIDTH+KEEP_WIDTH+1];

/*
 * transmit
 */
wire [WORD_WIDTH-1:0] tx_word;
wire tx_word_valid, tx_word_ready;

sipnic_async_fifo #(
    .WIDTH(WORD_WIDTH),
    .ADDR_WIDTH(FIFO_ADDR_WIDTH)
)
tx_fifo_inst (
    .wr_clk(clk_core),
    .s_data({s_axis_tuser, s_axis_tlast, s_axis_tkeep, s_axis_tdata}),
    .s_valid(s_axis_tvalid),
    .s_ready(s_axis_tready),
    .rd_clk(clk125),
    .m_data(tx_word),
    .m_valid(tx_word_valid),
    .m_ready(tx_word_ready)
);

wire [7:0] mac_tx_tdata;
wire mac_tx_tvalid, mac_tx_tready, mac_tx_tlast, mac_tx_tuser;

sipnic_tx_unpack #(
    .DATA_WIDTH(DATA_WIDTH)
)
tx_unpack_inst (
    .clk(clk125),
    .rst(rst125),
    .s_word(tx_word),
    .s_valid(tx_word_valid),
    .s_ready(tx_word_ready),
    .m_axis_tdata(mac_tx_tdata),
    .m_axis_tvalid(mac_tx_tvalid),
    .m_axis_tready(mac_tx_tready),
    .m_axis_tlast(mac_tx_tlast),
    .m_axis_tuser(mac_tx_tuser)
);

sipnic_eth_mac_tx mac_tx_inst (
    .clk(clk125),
    .rst(rst125),
    .s_axis_tdata(mac_tx_tdata),
    .s_axis_tvalid(mac_tx_tvalid),
    .s_axis_tready(mac_tx_tready),
    .s_axis_tlast(mac_tx_tlast),
    .s_axis_tuser(mac_tx_tuser),
    .gmii_txd(gmii_txd),
    .gmii_tx_en(gmii_tx_en),
    .gmii_tx_er(gmii_tx_er)
);

endmodule

`resetall
