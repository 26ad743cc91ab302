`resetall
`timescale 1ns / 1ps
`default_nettype none

/*
 * Gigabit Ethernet MAC transmit side: AXI-Stream (8 bit) in, GMII (8 bit, 125 MHz) out
 *
 * One AXI-Stream packet (destination address to end of payload, no FCS) becomes:
 *
 *     55 55 55 55 55 55 55 D5 | DA(6) SA(6) type(2) payload ... [00 pad] | FCS(4) | idle x IFG
 *     preamble            SFD |<-- s_axis, zero padded to MIN_FRAME-4 -->| added  | tx_en low
 *
 * Packets follow each other at exactly IFG idle bytes when the next one is already waiting
 * (s_axis_tvalid high during the gap). tuser with tlast asks for the frame to be spoiled:
 * it is sent with the FCS inverted so every receiver drops it. A packet that stalls
 * (tvalid low in the middle) cannot be stretched on the wire: the frame is ended with
 * gmii_tx_er and the rest of the packet is taken and thrown away.
 */
module sipnic_eth_mac_tx #(
    // idle bytes between the end of one frame's FCS and the next preamble (802.3: 12)
    parameter IFG = 12,
    // shortest frame put on the wire, FCS included; shorter packets are zero padded
    parameter MIN_FRAME = 64
) (
    input  wire       clk,
    input  wire       rst,

    /*
     * AXI-Stream input
     */
    input  wire [7:0] s_axis_tdata,
    input  wire       s_axis_tvalid,
    output wire       s_axis_tready,
    input  wire       s_axis_tlast,
    input  wire       s_axis_tuser,

    /*
     * GMII output
     */
    output wire [7:0] gmii_txd,
    output wire       gmii_tx_en,
    output wire       gmii_tx_er
);

localparam MIN_DATA = MIN_FRAME - 4;
localparam LEN_WIDTH = $clog2(MIN_DATA + 1);
localparam AUX_WIDTH = $clog2((IFG > 8 ? IFG : 8) + 1);

localparam MIN_DATA_LAST = MIN_DATA - 1;
localparam IFG_LAST = IFG - 1;

localparam [LEN_WIDTH-1:0] LEN_MAX = MIN_DATA[LEN_WIDTH-1:0];
localparam [LEN_WIDTH-1:0] LEN_PAD_LAST = MIN_DATA_LAST[LEN_WIDTH-1:0];
localparam [AUX_WIDTH-1:0] AUX_PRE_LAST = 7;
localparam [AUX_WIDTH-1:0] AUX_FCS_LAST = 3;
localparam [AUX_WIDTH-1:0] AUX_IFG_LAST = IFG_LAST[AUX_WIDTH-1:0];

localparam [7:0] ETH_PRE = 8'h55;
localparam [7:0] ETH_SFD = 8'hD5;

localparam [2:0]
    STATE_IDLE = 3'd0,
    STATE_PREAMBLE = 3'd1,
    STATE_PAYLOAD = 3'd2,
    STATE_PAD = 3'd3,
    STATE_FCS = 3'd4,
    STATE_IFG = 3'd5,
    STATE_DISCARD = 3'd6;

initial begin
    if (IFG < 1) begin
        $error("Error: IFG must be at least 1 (instance %m)");
        $finish;
    end
    if (MIN_FRAME < 6) begin
        $error("Error: MIN_FRAME must be at least 6 (instance %m)");
        $finish;
    end
end

reg [2:0] state_reg = STATE_IDLE, state_next;

// preamble, FCS and gap byte counter
reg [AUX_WIDTH-1:0] aux_reg = 0, aux_next;
// bytes before the FCS so far, counted up to MIN_DATA
reg [LEN_WIDTH-1:0] len_reg = 0, len_next;
reg [31:0] crc_reg = 32'hFFFFFFFF, crc_next;
reg spoil_reg = 1'b0, spoil_next;

reg s_axis_tready_reg = 1'b0, s_axis_tready_next;

reg [7:0] gmii_txd_reg = 8'd0, gmii_txd_next;
reg gmii_tx_en_reg = 1'b0, gmii_tx_en_next;
reg gmii_tx_er_reg = 1'b0, gmii_tx_er_next;

wire [7:0] crc_data = state_reg == STATE_PAD ? 8'd0 : s_axis_tdata;
wire [31:0] crc_step;

assign s_axis_tready = s_axis_tready_reg;

assign gmii_txd = gmii_txd_reg;
assign gmii_tx_en = gmii_tx_en_reg;
assign gmii_tx_er = gmii_tx_er_reg;

sipnic_crc32 crc_inst (
    .crc_in(crc_reg),
    .data(crc_data),
    .crc_out(crc_step)
);

always @* begin
    state_next = state_reg;

    aux_next = aux_reg;
    len_next = len_reg;
    crc_next = crc_reg;
    spoil_next = spoil_reg;

    gmii_txd_next = 8'd0;
    gmii_tx_en_next = 1'b0;
    gmii_tx_er_next = 1'b0;

    case (state_reg)
        STATE_IDLE: begin
            len_next = 0;
            crc_next = 32'hFFFFFFFF;
            spoil_next = 1'b0;
            if (s_axis_tvalid) begin
                gmii_txd_next = ETH_PRE;
                gmii_tx_en_next = 1'b1;
                aux_next = 1;
                state_next = STATE_PREAMBLE;
            end
        end
        STATE_PREAMBLE: begin
            gmii_tx_en_next = 1'b1;
            aux_next = aux_reg + 1;
            if (aux_reg == AUX_PRE_LAST) begin
                gmii_txd_next = ETH_SFD;
                state_next = STATE_PAYLOAD;
            end else begin
                gmii_txd_next = ETH_PRE;
            end
        end
        STATE_PAYLOAD: begin
            gmii_tx_en_next = 1'b1;
            aux_next = 0;
            if (s_axis_tvalid) begin
                gmii_txd_next = s_axis_tdata;
                crc_next = crc_step;
                if (len_reg != LEN_MAX) begin
                    len_next = len_reg + 1;
                end
                if (s_axis_tlast) begin
                    spoil_next = s_axis_tuser;
                    if (len_reg < LEN_PAD_LAST) begin
                        state_next = STATE_PAD;
                    end else begin
                        state_next = STATE_FCS;
                    end
                end
            end else begin
                // underrun: end the frame with an error and drop the rest of the packet
                gmii_tx_er_next = 1'b1;
                state_next = STATE_DISCARD;
            end
        end
        STATE_PAD: begin
            gmii_tx_en_next = 1'b1;
            crc_next = crc_step;
            len_next = len_reg + 1;
            if (len_reg == LEN_PAD_LAST) begin
                state_next = STATE_FCS;
            end
        end
        STATE_FCS: begin
            gmii_txd_next = spoil_reg ? crc_reg[7:0] : ~crc_reg[7:0];
            gmii_tx_en_next = 1'b1;
            crc_next = {8'd0, crc_reg[31:8]};
            aux_next = aux_reg + 1;
            if (aux_reg == AUX_FCS_LAST) begin
                aux_next = 0;
                state_next = STATE_IFG;
            end
        end
        STATE_IFG: begin
            aux_next = aux_reg + 1;
            if (aux_reg == AUX_IFG_LAST) begin
                state_next = STATE_IDLE;
            end
        end
        STATE_DISCARD: begin
            aux_next = 0;
            if (s_axis_tvalid && s_axis_tlast) begin
                state_next = STATE_IFG;
            end
        end
        default: begin
            state_next = STATE_IDLE;
        end
    endcase

    s_axis_tready_next = state_next == STATE_PAYLOAD || state_next == STATE_DISCARD;
end

always @(posedge clk) begin
    state_reg <= state_next;

    aux_reg <= aux_next;
    len_reg <= len_next;
    crc_reg <= crc_next;
    spoil_reg <= spoil_next;

    s_axis_tready_reg <= s_axis_tready_next;

    gmii_txd_reg <= gmii_txd_next;
    gmii_tx_en_reg <= gmii_tx_en_next;
    gmii_tx_er_reg <= gmii_tx_er_next;

    if (rst) begin
        state_reg <= STATE_IDLE;
        aux_reg <= 0;
        s_axis_tready_reg <= 1'b0;
        gmii_tx_en_reg <= 1'b0;
        gmii_tx_er_reg <= 1'b0;
    end
end

endmodule

`resetall
