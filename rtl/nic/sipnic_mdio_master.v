`resetall
`timescale 1ns / 1ps
`default_nettype none

/*
 * Read-only MDIO management master (IEEE 802.3 clause 22). It can only read: the frame it
 * sends always carries the read op code, so a PHY on the bus is never written.
 *
 *   bit   0..31  32..33  34..35  36..40  41..45  46..47       48..63
 *         preamble ST=01  OP=10   PHYAD   REGAD   TA (Z, 0)    DATA[15:0]
 *         └──────────── master drives MDIO ─────┘└─ PHY drives (master releases) ─┘
 *
 * MDC is clk / (2 * MDC_DIV). The master changes MDIO after a falling MDC edge and samples it
 * at the rising edge (the PHY drives its bits after a rising edge, so each is sampled one
 * MDC period after it appeared). A PHY that answers drives the turnaround's second bit low;
 * when nothing drives it the bus's pull-up holds it high and no_answer is set.
 */
module sipnic_mdio_master #(
    // clocks per MDC half period (MDC = clk / (2 * MDC_DIV))
    parameter MDC_DIV = 10
) (
    input  wire        clk,
    input  wire        rst,

    /*
     * Command: start (one clock) a read of reg_addr on phy_addr; ignored while busy
     */
    input  wire        start,
    input  wire [4:0]  phy_addr,
    input  wire [4:0]  reg_addr,
    output wire        busy,
    output wire [15:0] rdata,
    output wire        no_answer,
    // one clock at the end of each read
    output wire        done,

    /*
     * MDIO pins (mdio_oe high: drive mdio_o; low: release, the PHY or the pull-up drives)
     */
    output wire        mdc,
    output wire        mdio_o,
    output wire        mdio_oe,
    input  wire        mdio_i
);

localparam DW = MDC_DIV > 1 ? $clog2(MDC_DIV) : 1;
localparam integer DIV_LAST_I = MDC_DIV - 1;
localparam [DW-1:0] DIV_LAST = DIV_LAST_I[DW-1:0];
// the last bit the master drives (preamble, ST, OP, PHYAD, REGAD: bits 0..45)
localparam [5:0] LAST_OUT_BIT = 6'd45;

initial begin
    if (MDC_DIV < 1) begin
        $error("Error: MDC_DIV must be at least 1 (instance %m)");
        $finish;
    end
end

reg          busy_reg = 1'b0;
reg          done_reg = 1'b0;
reg [DW-1:0] div_reg = 0;
reg          mdc_reg = 1'b0;
reg [5:0]    bit_reg = 6'd0;
// ST, OP, PHYAD, REGAD (frame bits 32..45); the preamble is all ones and is not stored
reg [13:0]   header_reg = 14'd0;
reg          oe_reg = 1'b0;
reg [15:0]   data_reg = 16'd0;
reg          no_answer_reg = 1'b0;

assign busy = busy_reg;
assign rdata = data_reg;
assign no_answer = no_answer_reg;
assign done = done_reg;
assign mdc = mdc_reg;
assign mdio_o = !bit_reg[5] || header_reg[13];
assign mdio_oe = oe_reg;

always @(posedge clk) begin
    done_reg <= 1'b0;
    if (!busy_reg) begin
        if (start) begin
            busy_reg <= 1'b1;
            div_reg <= 0;
            mdc_reg <= 1'b0;
            bit_reg <= 6'd0;
            oe_reg <= 1'b1;
            header_reg <= {2'b01, 2'b10, phy_addr, reg_addr};
        end
    end else if (div_reg != DIV_LAST) begin
        div_reg <= div_reg + 1;
    end else begin
        div_reg <= 0;
        mdc_reg <= !mdc_reg;
        if (!mdc_reg) begin
            // rising edge: the PHY samples the master's bit; the master samples the PHY's
            if (bit_reg == 6'd47) begin
                no_answer_reg <= mdio_i;
            end
            if (bit_reg >= 6'd48) begin
                data_reg <= {data_reg[14:0], mdio_i};
            end
        end else begin
            // falling edge: the next bit
            bit_reg <= bit_reg + 1;
            if (bit_reg[5]) begin
                header_reg <= {header_reg[12:0], 1'b0};
            end
            if (bit_reg == LAST_OUT_BIT) begin
                oe_reg <= 1'b0;
            end
            if (bit_reg == 6'd63) begin
                busy_reg <= 1'b0;
                done_reg <= 1'b1;
            end
        end
    end

    if (rst) begin
        busy_reg <= 1'b0;
        done_reg <= 1'b0;
        mdc_reg <= 1'b0;
        oe_reg <= 1'b0;
        no_answer_reg <= 1'b0;
    end
end

endmodule

`resetall
