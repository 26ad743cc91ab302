`resetall
`timescale 1ns / 1ps
`default_nettype none

// Top of the MDIO testbench (test/rtl/mdio_tb.cpp): sipnic_mdio_master on a bus with two PHY
// models (addresses 0 and 1, as sim/pty/sipnic_pty_top.v places them) and a pull-up. Nothing
// answers at any other address. collision: two drivers on MDIO in the same clock.
module mdio_tb_top #(
    // clocks per MDC half period
    parameter MDC_DIV = 3
) (
    input  wire        clk,
    input  wire        rst,

    input  wire        start,
    input  wire [4:0]  phy_addr,
    input  wire [4:0]  reg_addr,
    output wire        busy,
    output wire [15:0] rdata,
    output wire        no_answer,
    output wire        done,

    input  wire [1:0]  present,
    input  wire [1:0]  link_up,
    input  wire [3:0]  speed,
    input  wire [1:0]  full_duplex,

    output wire        mdc,
    output wire        mdio,
    output wire        collision,
    output wire [31:0] writes_seen
);

wire       m_o, m_oe;
wire [1:0] p_o, p_oe;
wire [31:0] writes0, writes1;

// the pull-up holds the line high when nobody drives it
assign mdio = m_oe ? m_o : p_oe[0] ? p_o[0] : p_oe[1] ? p_o[1] : 1'b1;
assign collision = (m_oe && |p_oe) || &p_oe;
assign writes_seen = writes0 + writes1;

sipnic_mdio_master #(
    .MDC_DIV(MDC_DIV)
)
master_inst (
    .clk(clk),
    .rst(rst),
    .start(start),
    .phy_addr(phy_addr),
    .reg_addr(reg_addr),
    .busy(busy),
    .rdata(rdata),
    .no_answer(no_answer),
    .done(done),
    .mdc(mdc),
    .mdio_o(m_o),
    .mdio_oe(m_oe),
    .mdio_i(mdio)
);

sipnic_mdio_phy_model #(
    .PHY_ADDR(0)
)
phy0_inst (
    .mdc(mdc),
    .mdio_i(mdio),
    .mdio_o(p_o[0]),
    .mdio_oe(p_oe[0]),
    .present(present[0]),
    .link_up(link_up[0]),
    .speed(speed[1:0]),
    .full_duplex(full_duplex[0]),
    .writes_seen(writes0)
);

sipnic_mdio_phy_model #(
    .PHY_ADDR(1)
)
phy1_inst (
    .mdc(mdc),
    .mdio_i(mdio),
    .mdio_o(p_o[1]),
    .mdio_oe(p_oe[1]),
    .present(present[1]),
    .link_up(link_up[1]),
    .speed(speed[3:2]),
    .full_duplex(full_duplex[1]),
    .writes_seen(writes1)
);

endmodule

`resetall
