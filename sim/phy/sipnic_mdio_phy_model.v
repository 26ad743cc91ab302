`resetall
`timescale 1ns / 1ps
`default_nettype none

/*
 * Simulation model of a gigabit PHY's management side (IEEE 802.3 clause 22), RTL8211F-like,
 * for the PTY simulator (sim/pty) and the MDIO testbench (test/rtl/mdio_tb*). Not for synthesis.
 *
 * It answers read frames addressed to PHY_ADDR (after at least 32 preamble ones, ST 01, OP 10):
 * it drives the turnaround's second bit low and then the register, MSB first, each bit after a
 * rising MDC edge. Write frames and frames for other addresses are not answered; write frames
 * are counted in writes_seen (the host must never write a PHY).
 *
 * The link is set from outside (link_up, speed 0: 10, 1: 100, 2: 1000 Mb/s, full_duplex;
 * present 0: the PHY never answers). The link partner advertises exactly that mode; this PHY
 * advertises every mode, so auto-negotiation resolves to it.
 *
 *   0 BMCR    0x1140 (auto-negotiation on, full duplex, 1000 Mb/s select)
 *   1 BMSR    0x7949 | AN complete (bit 5) | link status (bit 2, latched low: reads 0 once
 *             after the link was down, as at power-up, then the present state)
 *   2 PHYID1  0x001c   3 PHYID2 0xc916 (RTL8211F)
 *   4 ANAR    0x01e1 (10/100 half and full, selector 802.3)
 *   5 ANLPAR  the partner's 10/100 mode | ACK (bit 14) | selector; 0 when the link is down
 *   9 GBCR    0x0300 (1000BASE-T half and full advertised)
 *  10 GBSR    partner 1000 full (bit 11) or half (bit 10), local/remote receiver OK (13/12)
 *   other registers read 0
 */
module sipnic_mdio_phy_model #(
    // the PHY's address on the bus
    parameter PHY_ADDR = 0
) (
    input  wire        mdc,
    input  wire        mdio_i,
    output wire        mdio_o,
    output wire        mdio_oe,

    /*
     * The link as the harness sets it
     */
    input  wire        present,
    input  wire        link_up,
    input  wire [1:0]  speed,
    input  wire        full_duplex,

    // write frames seen on the bus for this address
    output wire [31:0] writes_seen
);

localparam [4:0] ADDR = PHY_ADDR;
localparam [1:0] S_PREAMBLE = 2'd0, S_HEADER = 2'd1, S_TURN = 2'd2, S_DATA = 2'd3;

reg [1:0]  state_reg = S_PREAMBLE;
reg [5:0]  ones_reg = 6'd0;
reg [3:0]  count_reg = 4'd0;
/* verilator lint_off UNUSEDSIGNAL */
reg [13:0] header_reg = 14'd0;  // bit 13 shifts out
/* verilator lint_on UNUSEDSIGNAL */
reg [15:0] data_reg = 16'd0;
reg        oe_reg = 1'b0;
reg        out_reg = 1'b1;
reg        link_latch_reg = 1'b0;
reg [31:0] writes_reg = 32'd0;

assign mdio_o = out_reg;
assign mdio_oe = oe_reg;
assign writes_seen = writes_reg;

wire [13:0] header = {header_reg[12:0], mdio_i};

reg [15:0] value;

always @* begin
    value = 16'h0000;
    case (header[4:0])
        5'd0: value = 16'h1140;
        5'd1: value = 16'h7949 | (link_up ? 16'h0020 : 16'h0000) | (link_latch_reg && link_up ? 16'h0004 : 16'h0000);
        5'd2: value = 16'h001c;
        5'd3: value = 16'hc916;
        5'd4: value = 16'h01e1;
        5'd5: begin
            if (link_up) begin
                value = 16'h4001;
                case ({speed, full_duplex})
                    3'b000: value = value | 16'h0020;  // 10 half
                    3'b001: value = value | 16'h0040;  // 10 full
                    3'b010: value = value | 16'h0080;  // 100 half
                    3'b011: value = value | 16'h0100;  // 100 full
                    default: value = value | 16'h01e0;  // 1000: the partner offers 10/100 too
                endcase
            end
        end
        5'd9: value = 16'h0300;
        5'd10: begin
            if (link_up && speed == 2'd2) begin
                value = 16'h3000 | (full_duplex ? 16'h0800 : 16'h0400);
            end
        end
        default: value = 16'h0000;
    endcase
end

always @(posedge mdc) begin
    if (!link_up) begin
        link_latch_reg <= 1'b0;
    end
    case (state_reg)
        S_PREAMBLE: begin
            oe_reg <= 1'b0;
            if (mdio_i) begin
                if (ones_reg != 6'd32) ones_reg <= ones_reg + 1;
            end else begin
                if (ones_reg == 6'd32) begin
                    // ST's first bit
                    state_reg <= S_HEADER;
                    header_reg <= 14'd0;
                    count_reg <= 4'd1;
                end
                ones_reg <= 6'd0;
            end
        end
        S_HEADER: begin
            header_reg <= header;
            count_reg <= count_reg + 1;
            if (count_reg == 4'd13) begin
                // ST(2) OP(2) PHYAD(5) REGAD(5) complete
                state_reg <= S_PREAMBLE;
                if (header[13:12] == 2'b01 && header[9:5] == ADDR) begin
                    if (header[11:10] == 2'b10 && present) begin
                        state_reg <= S_TURN;
                        data_reg <= value;
                        if (header[4:0] == 5'd1) begin
                            link_latch_reg <= link_up;
                        end
                    end else if (header[11:10] == 2'b01) begin
                        writes_reg <= writes_reg + 1;
                    end
                end
            end
        end
        S_TURN: begin
            // the master released MDIO for the turnaround's first bit: drive its second bit low
            oe_reg <= 1'b1;
            out_reg <= 1'b0;
            state_reg <= S_DATA;
            count_reg <= 4'd15;
        end
        S_DATA: begin
            out_reg <= data_reg[count_reg];
            count_reg <= count_reg - 1;
            if (count_reg == 4'd0) begin
                state_reg <= S_PREAMBLE;
            end
        end
        default: state_reg <= S_PREAMBLE;
    endcase
end

endmodule

`resetall
