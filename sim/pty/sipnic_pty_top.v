`resetall
`timescale 1ns / 1ps
`default_nettype none

// Top of the PTY simulator (sim/pty/pty_sim.cpp): rtl/nic/sipnic_nic.v behind its UART, its four
// frame streams brought out to the harness: with --board it moves them to and from two TAP
// devices, without it ties them off in C++ (no frames in, always ready). The NIC's MDIO bus carries
// two PHY models (sim/phy) at addresses 0 (port 0) and 1 (port 1) and a pull-up; the harness
// sets each PHY's link (pty_sim.cpp --phy). scripts/build-pty-sim.mjs
// sets the sizing to the board's (host/src/board/sizing.json) with -G, so the tables fill up
// and the registers read as on the board.
module sipnic_pty_top #(
    // clock frequency in Hz (8 clocks per bit; sets the clocks of the 100 ms silence timeout)
    parameter CLK_HZ = 19_200,
    // nominal line rate (a PTY has none)
    parameter BAUD = 2400,
    // stream width
    parameter DATA_WIDTH = 32,
    // queues
    parameter QUEUES = 8,
    // hashed flow entries
    parameter FLOW_ENTRIES = 4096,
    // cuckoo ways
    parameter FLOW_WAYS = 4,
    // flow stash entries
    parameter FLOW_STASH = 8,
    // listen entries
    parameter LISTEN_ENTRIES = 32,
    // listen queue groups
    parameter LISTEN_GROUPS = 8,
    // cluster address slots
    parameter ADDR_SLOTS = 16,
    // longest frame in bytes
    parameter MAX_FRAME = 9022,
    // core ingress buffer in bytes
    parameter INGRESS_FIFO_BYTES = 16384,
    // core per-queue buffer in bytes
    parameter QUEUE_FIFO_BYTES = 16384,
    // bad-frame filter buffer per rx port in bytes
    parameter RX_FIFO_BYTES = 16384,
    // connection learning and aging in the core
    parameter LEARNING = 1,
    // core clocks per millisecond (the model's nominal clock, not CLK_HZ)
    parameter CLOCKS_PER_MS = 31250,
    // IPv6 in the core (0: IPv4 only)
    parameter IPV6 = 1
) (
    input  wire clk,
    input  wire rst,

    input  wire uart_rxd,
    output wire uart_txd,

    /*
     * The PHYs' links, per port (bit/field n: port n): answers at all, link up, speed
     * (0: 10, 1: 100, 2: 1000 Mb/s), full duplex
     */
    input  wire [1:0] phy_present,
    input  wire [1:0] phy_link_up,
    input  wire [3:0] phy_speed,
    input  wire [1:0] phy_full_duplex,

    /*
     * Frame streams of the NIC, as sipnic_nic names them (the harness drives and reads them)
     */
    input  wire [DATA_WIDTH-1:0]   s_axis_p0_tdata,
    input  wire [DATA_WIDTH/8-1:0] s_axis_p0_tkeep,
    input  wire                    s_axis_p0_tvalid,
    output wire                    s_axis_p0_tready,
    input  wire                    s_axis_p0_tlast,
    input  wire                    s_axis_p0_tuser,
    output wire [DATA_WIDTH-1:0]   m_axis_p1_tdata,
    output wire [DATA_WIDTH/8-1:0] m_axis_p1_tkeep,
    output wire                    m_axis_p1_tvalid,
    input  wire                    m_axis_p1_tready,
    output wire                    m_axis_p1_tlast,
    output wire                    m_axis_p1_tuser,
    input  wire [DATA_WIDTH-1:0]   s_axis_p1_tdata,
    input  wire [DATA_WIDTH/8-1:0] s_axis_p1_tkeep,
    input  wire                    s_axis_p1_tvalid,
    output wire                    s_axis_p1_tready,
    input  wire                    s_axis_p1_tlast,
    input  wire                    s_axis_p1_tuser,
    output wire [DATA_WIDTH-1:0]   m_axis_p0_tdata,
    output wire [DATA_WIDTH/8-1:0] m_axis_p0_tkeep,
    output wire                    m_axis_p0_tvalid,
    input  wire                    m_axis_p0_tready,
    output wire                    m_axis_p0_tlast,
    output wire                    m_axis_p0_tuser
);

wire       mdc, mdio_o, mdio_oe, mdio;
wire [1:0] phy_o, phy_oe;

// the pull-up holds MDIO high while nobody drives it
assign mdio = mdio_oe ? mdio_o : phy_oe[0] ? phy_o[0] : phy_oe[1] ? phy_o[1] : 1'b1;

genvar p;
generate
    for (p = 0; p < 2; p = p + 1) begin : phy
        /* verilator lint_off PINCONNECTEMPTY */
        sipnic_mdio_phy_model #(
            .PHY_ADDR(p)
        )
        phy_inst (
            .mdc(mdc),
            .mdio_i(mdio),
            .mdio_o(phy_o[p]),
            .mdio_oe(phy_oe[p]),
            .present(phy_present[p]),
            .link_up(phy_link_up[p]),
            .speed(phy_speed[2*p +: 2]),
            .full_duplex(phy_full_duplex[p]),
            .writes_seen()
        );
        /* verilator lint_on PINCONNECTEMPTY */
    end
endgenerate

sipnic_nic #(
    .CLK_HZ(CLK_HZ),
    .BAUD(BAUD),
    .DATA_WIDTH(DATA_WIDTH),
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
    .CLOCKS_PER_MS(CLOCKS_PER_MS),
    .IPV6(IPV6)
) sipnic_nic_inst (
    .clk(clk),
    .rst(rst),
    .uart_rxd(uart_rxd),
    .uart_txd(uart_txd),
    .mdc(mdc),
    .mdio_o(mdio_o),
    .mdio_oe(mdio_oe),
    .mdio_i(mdio),
    .s_axis_p0_tdata(s_axis_p0_tdata),
    .s_axis_p0_tkeep(s_axis_p0_tkeep),
    .s_axis_p0_tvalid(s_axis_p0_tvalid),
    .s_axis_p0_tready(s_axis_p0_tready),
    .s_axis_p0_tlast(s_axis_p0_tlast),
    .s_axis_p0_tuser(s_axis_p0_tuser),
    .m_axis_p1_tdata(m_axis_p1_tdata),
    .m_axis_p1_tkeep(m_axis_p1_tkeep),
    .m_axis_p1_tvalid(m_axis_p1_tvalid),
    .m_axis_p1_tready(m_axis_p1_tready),
    .m_axis_p1_tlast(m_axis_p1_tlast),
    .m_axis_p1_tuser(m_axis_p1_tuser),
    .s_axis_p1_tdata(s_axis_p1_tdata),
    .s_axis_p1_tkeep(s_axis_p1_tkeep),
    .s_axis_p1_tvalid(s_axis_p1_tvalid),
    .s_axis_p1_tready(s_axis_p1_tready),
    .s_axis_p1_tlast(s_axis_p1_tlast),
    .s_axis_p1_tuser(s_axis_p1_tuser),
    .m_axis_p0_tdata(m_axis_p0_tdata),
    .m_axis_p0_tkeep(m_axis_p0_tkeep),
    .m_axis_p0_tvalid(m_axis_p0_tvalid),
    .m_axis_p0_tready(m_axis_p0_tready),
    .m_axis_p0_tlast(m_axis_p0_tlast),
    .m_axis_p0_tuser(m_axis_p0_tuser)
);

endmodule

`resetall
