`resetall
`timescale 1ns / 1ps
`default_nettype none

/*
 * sipnic on a Colorlight 5A-75B v8.0 (LFE5U-25F-6BG256C, two RTL8211FD RGMII PHYs).
 * Pins and clocks: rtl/board/sipnic_colorlight_5a_75b.lpf; description: docs/board.md.
 *
 *  clk25 (P6, from a PHY) ─► EHXPLLL ─┬─ clk125 (125 MHz): RGMII tx, transmit MACs, tx unpack
 *                                     └─ clk_core (500 MHz / CORE_DIV): sipnic_nic
 *
 *  PHY0 (clients) rxc ─► rgmii/IDDR ─► MAC rx (FCS) ─► pack 8→32 ─► async FIFO ─► nic p0 rx
 *  PHY0           txc ◄─ rgmii/ODDR ◄─ MAC tx (FCS) ◄─ unpack 32→8 ◄─ async FIFO ◄─ nic p0 tx
 *  PHY1 (cluster)  the same on nic port 1
 *  UART: tx on T6 (the LED pin: the LED flickers while the board answers), rx on R7 (button)
 *  MDIO: MDC R5, MDIO T4, shared by both PHYs; the NIC's master only reads (never writes or
 *        resets a PHY: PHY1 makes the 25 MHz clock everything here runs from)
 *
 * The 125 MHz logic is only the MAC edge (GMII registers, FCS, 8-bit pack/unpack, FIFO
 * pointers); the core runs DATA_WIDTH bits wide at the slower core clock.
 */
module sipnic_colorlight_5a_75b #(
    // The board's sizing is declared once, in host/src/board/sizing.json; `sipnic board build`
    // sets every parameter below from it (yosys chparam), so the defaults are "unset" (-1) and
    // stop elaboration. CORE_DIV keeps its value only while scripts/bench-serial.ts reads it here.

    // core clock = 500 MHz VCO / CORE_DIV (12: 41.67 MHz; at 10, 50 MHz, the core missed timing
    // in one of two place-and-route runs)
    parameter CORE_DIV = 12,
    // UART line rate
    parameter BAUD = -1,
    // core stream width
    parameter DATA_WIDTH = -1,
    // queues
    parameter QUEUES = -1,
    // hashed flow entries
    parameter FLOW_ENTRIES = -1,
    // cuckoo ways
    parameter FLOW_WAYS = -1,
    // flow stash entries
    parameter FLOW_STASH = -1,
    // listen entries
    parameter LISTEN_ENTRIES = -1,
    // listen queue groups
    parameter LISTEN_GROUPS = -1,
    // cluster address slots
    parameter ADDR_SLOTS = -1,
    // longest frame in bytes, without FCS
    parameter MAX_FRAME = -1,
    // core ingress buffer in bytes
    parameter INGRESS_FIFO_BYTES = -1,
    // core per-queue buffer in bytes
    parameter QUEUE_FIFO_BYTES = -1,
    // NIC bad-frame filter buffer per rx port in bytes
    parameter RX_FIFO_BYTES = -1,
    // connection learning and aging (sipnic_learn) in the core: 1 or 0
    parameter LEARNING = -1,
    // core clocks per millisecond; 0: from the core clock (500 MHz / CORE_DIV / 1000, rounded)
    parameter CLOCKS_PER_MS = 0,
    // IPv6 in the core: 1, or 0 for IPv4 only (a 70-bit flow key; flow FEATURES.IPV4_ONLY)
    parameter IPV6 = 1,
    // RGMII rx data delay taps (about 25 ps each) and tx clock delay taps
    parameter RX_DELAY = -1,
    parameter TX_CLK_DELAY = -1,
    // the build's identity (board block): seconds since 1970 UTC, the git commit's first 8 hex
    // digits, 1 when the source had uncommitted changes; set by `sipnic board build`, 0: not set
    parameter BUILD_ID = 0,
    parameter GIT_HASH = 0,
    parameter GIT_DIRTY = 0
) (
    input  wire       clk25,

    /*
     * UART to the host
     */
    output wire       uart_tx,
    input  wire       uart_rx,

    /*
     * PHY management bus, shared by both PHYs
     */
    output wire       mdc,
    inout  wire       mdio,

    /*
     * PHY0: clients' port
     */
    input  wire       eth0_rxc,
    input  wire [3:0] eth0_rxd,
    input  wire       eth0_rx_ctl,
    output wire       eth0_txc,
    output wire [3:0] eth0_txd,
    output wire       eth0_tx_ctl,

    /*
     * PHY1: cluster port
     */
    input  wire       eth1_rxc,
    input  wire [3:0] eth1_rxd,
    input  wire       eth1_rx_ctl,
    output wire       eth1_txc,
    output wire [3:0] eth1_txd,
    output wire       eth1_tx_ctl
);

localparam KEEP_WIDTH = DATA_WIDTH/8;
localparam integer CORE_HZ = 500_000_000 / CORE_DIV;
localparam integer CORE_CLOCKS_PER_MS = CLOCKS_PER_MS > 0 ? CLOCKS_PER_MS : (CORE_HZ + 500) / 1000;

initial begin
    if (CORE_DIV < 1 || BAUD < 1 || DATA_WIDTH < 1 || QUEUES < 1 || FLOW_ENTRIES < 1 || FLOW_WAYS < 1 ||
            FLOW_STASH < 1 || LISTEN_ENTRIES < 1 || LISTEN_GROUPS < 1 || ADDR_SLOTS < 1 || MAX_FRAME < 1 ||
            INGRESS_FIFO_BYTES < 1 || QUEUE_FIFO_BYTES < 1 || RX_FIFO_BYTES < 1 || RX_DELAY < 0 || TX_CLK_DELAY < 0 ||
            LEARNING < 0 || CLOCKS_PER_MS < 0 || IPV6 < 0) begin
        $error("Error: a parameter is unset: the board build sets them from host/src/board/sizing.json (instance %m)");
        $finish;
    end
end

/*
 * clocks and resets
 */
wire clk125, clk_core, pll_locked;

// the PLL's unused outputs (CLKOS2/3, INTLOCK, REFCLK) and their enables stay unconnected;
// nextpnr gives unconnected inputs their defaults
/* verilator lint_off PINCONNECTEMPTY */
/* verilator lint_off PINMISSING */
(* FREQUENCY_PIN_CLKI="25" *)
(* FREQUENCY_PIN_CLKOP="125" *)
(* ICP_CURRENT="12" *) (* LPF_RESISTOR="8" *) (* MFG_ENABLE_FILTEROPAMP="1" *) (* MFG_GMCREF_SEL="2" *)
EHXPLLL #(
    .PLLRST_ENA("DISABLED"),
    .INTFB_WAKE("DISABLED"),
    .STDBY_ENABLE("DISABLED"),
    .DPHASE_SOURCE("DISABLED"),
    .OUTDIVIDER_MUXA("DIVA"),
    .OUTDIVIDER_MUXB("DIVB"),
    .OUTDIVIDER_MUXC("DIVC"),
    .OUTDIVIDER_MUXD("DIVD"),
    .CLKI_DIV(1),
    .CLKOP_ENABLE("ENABLED"),
    .CLKOP_DIV(4),
    .CLKOP_CPHASE(3),
    .CLKOP_FPHASE(0),
    .CLKOS_ENABLE("ENABLED"),
    .CLKOS_DIV(CORE_DIV),
    .CLKOS_CPHASE(CORE_DIV - 1),
    .CLKOS_FPHASE(0),
    .FEEDBK_PATH("CLKOP"),
    .CLKFB_DIV(5)
)
pll_inst (
    .RST(1'b0),
    .STDBY(1'b0),
    .CLKI(clk25),
    .CLKOP(clk125),
    .CLKOS(clk_core),
    .CLKFB(clk125),
    .CLKINTFB(),
    .PHASESEL0(1'b0),
    .PHASESEL1(1'b0),
    .PHASEDIR(1'b1),
    .PHASESTEP(1'b1),
    .PHASELOADREG(1'b1),
    .PLLWAKESYNC(1'b0),
    .ENCLKOP(1'b0),
    .LOCK(pll_locked)
);
/* verilator lint_on PINMISSING */
/* verilator lint_on PINCONNECTEMPTY */

// core reset: held until the PLL has been locked for 2**15 core clocks
reg [15:0] por_reg = 16'd0;
reg rst_core_reg = 1'b1;

always @(posedge clk_core) begin
    if (!pll_locked) begin
        por_reg <= 16'd0;
    end else if (!por_reg[15]) begin
        por_reg <= por_reg + 1;
    end
    rst_core_reg <= !por_reg[15];
end

// the other domains take the core reset through two registers
(* async_reg = "true" *) reg [1:0] rst125_sync_reg = 2'b11;
always @(posedge clk125) begin
    rst125_sync_reg <= {rst125_sync_reg[0], rst_core_reg};
end
wire rst125 = rst125_sync_reg[1];

/*
 * the NIC in the core domain
 */
wire [DATA_WIDTH-1:0] p0_rx_tdata, p1_rx_tdata, p0_tx_tdata, p1_tx_tdata;
wire [KEEP_WIDTH-1:0] p0_rx_tkeep, p1_rx_tkeep, p0_tx_tkeep, p1_tx_tkeep;
wire p0_rx_tvalid, p0_rx_tready, p0_rx_tlast, p0_rx_tuser;
wire p1_rx_tvalid, p1_rx_tready, p1_rx_tlast, p1_rx_tuser;
wire p0_tx_tvalid, p0_tx_tready, p0_tx_tlast, p0_tx_tuser;
wire p1_tx_tvalid, p1_tx_tready, p1_tx_tlast, p1_tx_tuser;
wire mdio_o, mdio_oe;

// MDIO: driven by the NIC during a frame's first 46 bits, released otherwise (the pull-up or a PHY)
assign mdio = mdio_oe ? mdio_o : 1'bz;

sipnic_nic #(
    .CLK_HZ(CORE_HZ),
    .BAUD(BAUD),
    .DATA_WIDTH(DATA_WIDTH),
    .KEEP_WIDTH(KEEP_WIDTH),
    .QUEUES(QUEUES),
    .FLOW_ENTRIES(FLOW_ENTRIES),
    .FLOW_WAYS(FLOW_WAYS),
    .FLOW_STASH(FLOW_STASH),
    .LISTEN_ENTRIES(LISTEN_ENTRIES),
    .LISTEN_GROUPS(LISTEN_GROUPS),
    .ADDR_SLOTS(ADDR_SLOTS),
    .MAX_FRAME(MAX_FRAME),
    .INGRESS_FIFO_BYTES(INGRESS_FIFO_BYTES),
    .QUEUE_FIFO_BYTES(QUEUE_FIFO_BYTES),
    .RX_FIFO_BYTES(RX_FIFO_BYTES),
    .LEARNING(LEARNING),
    .CLOCKS_PER_MS(CORE_CLOCKS_PER_MS),
    .IPV6(IPV6),
    .BUILD_ID(BUILD_ID),
    .GIT_HASH(GIT_HASH),
    .GIT_DIRTY(GIT_DIRTY)
)
nic_inst (
    .clk(clk_core),
    .rst(rst_core_reg),
    .uart_rxd(uart_rx),
    .uart_txd(uart_tx),
    .mdc(mdc),
    .mdio_o(mdio_o),
    .mdio_oe(mdio_oe),
    .mdio_i(mdio),
    .s_axis_p0_tdata(p0_rx_tdata),
    .s_axis_p0_tkeep(p0_rx_tkeep),
    .s_axis_p0_tvalid(p0_rx_tvalid),
    .s_axis_p0_tready(p0_rx_tready),
    .s_axis_p0_tlast(p0_rx_tlast),
    .s_axis_p0_tuser(p0_rx_tuser),
    .m_axis_p1_tdata(p1_tx_tdata),
    .m_axis_p1_tkeep(p1_tx_tkeep),
    .m_axis_p1_tvalid(p1_tx_tvalid),
    .m_axis_p1_tready(p1_tx_tready),
    .m_axis_p1_tlast(p1_tx_tlast),
    .m_axis_p1_tuser(p1_tx_tuser),
    .s_axis_p1_tdata(p1_rx_tdata),
    .s_axis_p1_tkeep(p1_rx_tkeep),
    .s_axis_p1_tvalid(p1_rx_tvalid),
    .s_axis_p1_tready(p1_rx_tready),
    .s_axis_p1_tlast(p1_rx_tlast),
    .s_axis_p1_tuser(p1_rx_tuser),
    .m_axis_p0_tdata(p0_tx_tdata),
    .m_axis_p0_tkeep(p0_tx_tkeep),
    .m_axis_p0_tvalid(p0_tx_tvalid),
    .m_axis_p0_tready(p0_tx_tready),
    .m_axis_p0_tlast(p0_tx_tlast),
    .m_axis_p0_tuser(p0_tx_tuser)
);

/*
 * the two Ethernet ports
 */
sipnic_colorlight_port #(
    .DATA_WIDTH(DATA_WIDTH),
    .MAX_FRAME(MAX_FRAME),
    .RX_DELAY(RX_DELAY),
    .TX_CLK_DELAY(TX_CLK_DELAY)
)
port0_inst (
    .clk125(clk125),
    .rst125(rst125),
    .clk_core(clk_core),
    .rst_core(rst_core_reg),
    .m_axis_tdata(p0_rx_tdata),
    .m_axis_tkeep(p0_rx_tkeep),
    .m_axis_tvalid(p0_rx_tvalid),
    .m_axis_tready(p0_rx_tready),
    .m_axis_tlast(p0_rx_tlast),
    .m_axis_tuser(p0_rx_tuser),
    .s_axis_tdata(p0_tx_tdata),
    .s_axis_tkeep(p0_tx_tkeep),
    .s_axis_tvalid(p0_tx_tvalid),
    .s_axis_tready(p0_tx_tready),
    .s_axis_tlast(p0_tx_tlast),
    .s_axis_tuser(p0_tx_tuser),
    .rgmii_rxc(eth0_rxc),
    .rgmii_rxd(eth0_rxd),
    .rgmii_rx_ctl(eth0_rx_ctl),
    .rgmii_txc(eth0_txc),
    .rgmii_txd(eth0_txd),
    .rgmii_tx_ctl(eth0_tx_ctl)
);

sipnic_colorlight_port #(
    .DATA_WIDTH(DATA_WIDTH),
    .MAX_FRAME(MAX_FRAME),
    .RX_DELAY(RX_DELAY),
    .TX_CLK_DELAY(TX_CLK_DELAY)
)
port1_inst (
    .clk125(clk125),
    .rst125(rst125),
    .clk_core(clk_core),
    .rst_core(rst_core_reg),
    .m_axis_tdata(p1_rx_tdata),
    .m_axis_tkeep(p1_rx_tkeep),
    .m_axis_tvalid(p1_rx_tvalid),
    .m_axis_tready(p1_rx_tready),
    .m_axis_tlast(p1_rx_tlast),
    .m_axis_tuser(p1_rx_tuser),
    .s_axis_tdata(p1_tx_tdata),
    .s_axis_tkeep(p1_tx_tkeep),
    .s_axis_tvalid(p1_tx_tvalid),
    .s_axis_tready(p1_tx_tready),
    .s_axis_tlast(p1_tx_tlast),
    .s_axis_tuser(p1_tx_tuser),
    .rgmii_rxc(eth1_rxc),
    .rgmii_rxd(eth1_rxd),
    .rgmii_rx_ctl(eth1_rx_ctl),
    .rgmii_txc(eth1_txc),
    .rgmii_txd(eth1_txd),
    .rgmii_tx_ctl(eth1_tx_ctl)
);

endmodule

`resetall
