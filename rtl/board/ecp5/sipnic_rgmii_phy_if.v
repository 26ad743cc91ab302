`resetall
`timescale 1ns / 1ps
`default_nettype none

/*
 * RGMII to GMII for a Lattice ECP5 at 1000 Mb/s (125 MHz, both edges)
 *
 * One DDR register per pin: IDDRX1F on rxd[3:0] and rx_ctl, ODDRX1F on txd[3:0] and tx_ctl,
 * and TXC made by an ODDRX1F of constant 1/0 so it leaves with the same delay as the data.
 * A DELAYG on every rx data/ctl pin and one on TXC set the clock/data skew (RGMII wants
 * the clock about 2 ns into the data eye; it may come from the PHY's internal delays, the
 * board, or these DELAYGs - tune RX_DELAY and TX_CLK_DELAY on the board). txd and tx_ctl
 * also leave through a DELAYG, of 0 taps: a delay cell adds its own insertion delay even at
 * 0 taps, so with one on every tx pin TXC, data and ctl see the same path and TX_CLK_DELAY
 * alone sets the tx skew.
 *
 *     RXC    _/~~~~~~~\_______/~~~~~~~\___
 *     RXD     | rxd[3:0] | rxd[7:4] |
 *     RX_CTL  |  rx_dv   | dv ^ er  |
 *
 * TX is the same with txd/tx_en/tx_er on TXC. The rx side is in the rx_clk domain
 * (rx_clk is RXC as it comes in, to be used as a clock); the tx side runs on clk, which
 * must be 125 MHz. gmii_rx_* come straight from the IDDRX1F output registers. No reset: the
 * DDR registers hold no control state (the tx MAC keeps gmii_tx_en low while in reset).
 */
module sipnic_rgmii_phy_if #(
    // DELAYG taps (about 25 ps each, 0..127) on rxd[3:0] and rx_ctl; 80 is about 2 ns
    parameter RX_DELAY = 80,
    // DELAYG taps on TXC; 0 when the PHY adds the tx clock delay itself
    parameter TX_CLK_DELAY = 0
) (
    input  wire       clk,

    /*
     * GMII interface to the MAC
     */
    output wire       rx_clk,
    output wire [7:0] gmii_rxd,
    output wire       gmii_rx_dv,
    output wire       gmii_rx_er,
    input  wire [7:0] gmii_txd,
    input  wire       gmii_tx_en,
    input  wire       gmii_tx_er,

    /*
     * RGMII interface to the PHY
     */
    input  wire       rgmii_rxc,
    input  wire [3:0] rgmii_rxd,
    input  wire       rgmii_rx_ctl,
    output wire       rgmii_txc,
    output wire [3:0] rgmii_txd,
    output wire       rgmii_tx_ctl
);

initial begin
    if (RX_DELAY < 0 || RX_DELAY > 127 || TX_CLK_DELAY < 0 || TX_CLK_DELAY > 127) begin
        $error("Error: DELAYG taps must be 0 to 127 (instance %m)");
        $finish;
    end
end

// pins [3:0] are rxd, [4] is rx_ctl
wire [4:0] rx_pin = {rgmii_rx_ctl, rgmii_rxd};
wire [4:0] rx_pin_delayed;
wire [4:0] rx_rise;
wire [4:0] rx_fall;

wire [4:0] tx_rise = {gmii_tx_en, gmii_txd[3:0]};
wire [4:0] tx_fall = {gmii_tx_en ^ gmii_tx_er, gmii_txd[7:4]};
wire [4:0] tx_oddr;
wire [4:0] tx_pin;
wire txc_oddr;

assign rx_clk = rgmii_rxc;

assign gmii_rxd = {rx_fall[3:0], rx_rise[3:0]};
assign gmii_rx_dv = rx_rise[4];
assign gmii_rx_er = rx_rise[4] ^ rx_fall[4];

assign rgmii_txd = tx_pin[3:0];
assign rgmii_tx_ctl = tx_pin[4];

genvar n;

generate
    for (n = 0; n < 5; n = n + 1) begin : rx_lane
        DELAYG #(
            .DEL_MODE("USER_DEFINED"),
            .DEL_VALUE(RX_DELAY)
        ) delay_inst (
            .A(rx_pin[n]),
            .Z(rx_pin_delayed[n])
        );

        IDDRX1F iddr_inst (
            .D(rx_pin_delayed[n]),
            .SCLK(rx_clk),
            .RST(1'b0),
            .Q0(rx_rise[n]),
            .Q1(rx_fall[n])
        );
    end

    for (n = 0; n < 5; n = n + 1) begin : tx_lane
        ODDRX1F oddr_inst (
            .SCLK(clk),
            .RST(1'b0),
            .D0(tx_rise[n]),
            .D1(tx_fall[n]),
            .Q(tx_oddr[n])
        );

        // 0 taps: the same insertion delay as TXC's DELAYG at TX_CLK_DELAY 0
        DELAYG #(
            .DEL_MODE("USER_DEFINED"),
            .DEL_VALUE(0)
        ) delay_inst (
            .A(tx_oddr[n]),
            .Z(tx_pin[n])
        );
    end
endgenerate

// TXC: a copy of clk through the same kind of output register as the data
ODDRX1F txc_oddr_inst (
    .SCLK(clk),
    .RST(1'b0),
    .D0(1'b1),
    .D1(1'b0),
    .Q(txc_oddr)
);

DELAYG #(
    .DEL_MODE("USER_DEFINED"),
    .DEL_VALUE(TX_CLK_DELAY)
) txc_delay_inst (
    .A(txc_oddr),
    .Z(rgmii_txc)
);

endmodule

`resetall
