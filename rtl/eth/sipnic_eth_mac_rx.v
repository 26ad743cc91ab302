`resetall
`timescale 1ns / 1ps
`default_nettype none

/*
 * Gigabit Ethernet MAC receive side: GMII (8 bit, 125 MHz) in, AXI-Stream (8 bit) out
 *
 * On the wire (gmii_rx_dv high throughout):
 *
 *     55 55 55 55 55 55 55 D5 | DA(6) SA(6) type(2) payload ... | FCS(4)
 *     preamble            SFD |<------ m_axis, tlast on last --->| checked, stripped
 *
 * Every frame leaves as one AXI-Stream packet of its bytes from the destination address to
 * the last byte before the FCS. tuser is valid with tlast: 1 marks a frame to drop (FCS
 * wrong, gmii_rx_er seen, or cut at MAX_FRAME). Exactly one of the stat_* outputs pulses
 * for every frame seen:
 *   stat_good_frame  FCS correct, no rx_er, not longer than MAX_FRAME
 *   stat_bad_fcs     FCS wrong (and nothing else wrong)
 *   stat_bad_frame   rx_er during the frame, longer than MAX_FRAME (cut there, tlast+tuser
 *                    on the byte received before the cut), bad preamble, or too short to
 *                    carry even one byte before the FCS (nothing is output for those two)
 * Frames shorter than 64 bytes are passed on if their FCS is correct (runts are the
 * consumer's business).
 *
 * No m_axis_tready: GMII cannot be paused, so the consumer must always accept (put a FIFO
 * after this, which is also where the rx clock domain is crossed). No tkeep at 8 bits.
 * Latency: a byte leaves 6 clocks after it is on gmii_rxd (input register and a 5 byte
 * window that keeps the FCS back until the end of the frame is known).
 */
module sipnic_eth_mac_rx #(
    // longest frame accepted, in bytes from destination address to the end of the FCS
    // (9000 byte payload + 14 header + 2 VLAN tags + 4 FCS = 9026)
    parameter MAX_FRAME = 9022 + 4
) (
    input  wire       clk,
    input  wire       rst,

    /*
     * GMII input
     */
    input  wire [7:0] gmii_rxd,
    input  wire       gmii_rx_dv,
    input  wire       gmii_rx_er,

    /*
     * AXI-Stream output
     */
    output wire [7:0] m_axis_tdata,
    output wire       m_axis_tvalid,
    output wire       m_axis_tlast,
    output wire       m_axis_tuser,

    /*
     * Status, one pulse per frame
     */
    output wire       stat_good_frame,
    output wire       stat_bad_fcs,
    output wire       stat_bad_frame
);

localparam COUNT_WIDTH = $clog2(MAX_FRAME + 1);
localparam integer MAX_FRAME_I = MAX_FRAME;
localparam [COUNT_WIDTH-1:0] COUNT_MAX = MAX_FRAME_I[COUNT_WIDTH-1:0];
localparam [COUNT_WIDTH-1:0] COUNT_WINDOW = 5;

localparam [7:0] ETH_PRE = 8'h55;
localparam [7:0] ETH_SFD = 8'hD5;
// CRC register after a frame with a correct FCS has been run through it
localparam [31:0] CRC_RESIDUE = 32'hDEBB20E3;

localparam [1:0]
    STATE_IDLE = 2'd0,
    STATE_PAYLOAD = 2'd1,
    STATE_DROP = 2'd2;

initial begin
    if (MAX_FRAME < 64) begin
        $error("Error: MAX_FRAME must be at least 64 (instance %m)");
        $finish;
    end
end

reg [1:0] state_reg = STATE_IDLE, state_next;

// GMII input register
reg [7:0] rxd_d0_reg = 8'd0;
reg dv_d0_reg = 1'b0;
reg er_d0_reg = 1'b0;

// last 5 bytes received, [7:0] newest; the oldest leaves once a newer one shows it is not FCS
reg [39:0] window_reg = 40'd0, window_next;
reg [COUNT_WIDTH-1:0] count_reg = 0, count_next;
reg [31:0] crc_reg = 32'hFFFFFFFF, crc_next;
reg error_reg = 1'b0, error_next;

reg [7:0] m_axis_tdata_reg = 8'd0, m_axis_tdata_next;
reg m_axis_tvalid_reg = 1'b0, m_axis_tvalid_next;
reg m_axis_tlast_reg = 1'b0, m_axis_tlast_next;
reg m_axis_tuser_reg = 1'b0, m_axis_tuser_next;

reg stat_good_frame_reg = 1'b0, stat_good_frame_next;
reg stat_bad_fcs_reg = 1'b0, stat_bad_fcs_next;
reg stat_bad_frame_reg = 1'b0, stat_bad_frame_next;

wire [31:0] crc_step;

assign m_axis_tdata = m_axis_tdata_reg;
assign m_axis_tvalid = m_axis_tvalid_reg;
assign m_axis_tlast = m_axis_tlast_reg;
assign m_axis_tuser = m_axis_tuser_reg;

assign stat_good_frame = stat_good_frame_reg;
assign stat_bad_fcs = stat_bad_fcs_reg;
assign stat_bad_frame = stat_bad_frame_reg;

sipnic_crc32 crc_inst (
    .crc_in(crc_reg),
    .data(rxd_d0_reg),
    .crc_out(crc_step)
);

always @* begin
    state_next = state_reg;

    window_next = window_reg;
    count_next = count_reg;
    crc_next = crc_reg;
    error_next = error_reg;

    m_axis_tdata_next = window_reg[39:32];
    m_axis_tvalid_next = 1'b0;
    m_axis_tlast_next = 1'b0;
    m_axis_tuser_next = 1'b0;

    stat_good_frame_next = 1'b0;
    stat_bad_fcs_next = 1'b0;
    stat_bad_frame_next = 1'b0;

    case (state_reg)
        STATE_IDLE: begin
            // preamble: any number of 55 then D5; anything else drops the frame
            count_next = 0;
            crc_next = 32'hFFFFFFFF;
            error_next = 1'b0;
            if (dv_d0_reg) begin
                if (rxd_d0_reg == ETH_SFD) begin
                    state_next = STATE_PAYLOAD;
                end else if (rxd_d0_reg != ETH_PRE || er_d0_reg) begin
                    stat_bad_frame_next = 1'b1;
                    state_next = STATE_DROP;
                end
            end
        end
        STATE_PAYLOAD: begin
            if (dv_d0_reg) begin
                if (count_reg == COUNT_MAX) begin
                    // one byte too many: end the packet here, marked bad
                    m_axis_tvalid_next = 1'b1;
                    m_axis_tlast_next = 1'b1;
                    m_axis_tuser_next = 1'b1;
                    stat_bad_frame_next = 1'b1;
                    state_next = STATE_DROP;
                end else begin
                    window_next = {window_reg[31:0], rxd_d0_reg};
                    count_next = count_reg + 1;
                    crc_next = crc_step;
                    error_next = error_reg || er_d0_reg;
                    m_axis_tvalid_next = count_reg >= COUNT_WINDOW;
                end
            end else begin
                // end of frame: the oldest byte in the window is the last one before the FCS
                if (count_reg >= COUNT_WINDOW) begin
                    m_axis_tvalid_next = 1'b1;
                    m_axis_tlast_next = 1'b1;
                    m_axis_tuser_next = error_reg || crc_reg != CRC_RESIDUE;
                    stat_good_frame_next = !error_reg && crc_reg == CRC_RESIDUE;
                    stat_bad_fcs_next = !error_reg && crc_reg != CRC_RESIDUE;
                    stat_bad_frame_next = error_reg;
                end else begin
                    stat_bad_frame_next = 1'b1;
                end
                state_next = STATE_IDLE;
            end
        end
        STATE_DROP: begin
            if (!dv_d0_reg) begin
                state_next = STATE_IDLE;
            end
        end
        default: begin
            state_next = STATE_IDLE;
        end
    endcase
end

always @(posedge clk) begin
    state_reg <= state_next;

    rxd_d0_reg <= gmii_rxd;
    dv_d0_reg <= gmii_rx_dv;
    er_d0_reg <= gmii_rx_er;

    window_reg <= window_next;
    count_reg <= count_next;
    crc_reg <= crc_next;
    error_reg <= error_next;

    m_axis_tdata_reg <= m_axis_tdata_next;
    m_axis_tvalid_reg <= m_axis_tvalid_next;
    m_axis_tlast_reg <= m_axis_tlast_next;
    m_axis_tuser_reg <= m_axis_tuser_next;

    stat_good_frame_reg <= stat_good_frame_next;
    stat_bad_fcs_reg <= stat_bad_fcs_next;
    stat_bad_frame_reg <= stat_bad_frame_next;

    if (rst) begin
        state_reg <= STATE_IDLE;
        dv_d0_reg <= 1'b0;
        count_reg <= 0;
        m_axis_tvalid_reg <= 1'b0;
        stat_good_frame_reg <= 1'b0;
        stat_bad_fcs_reg <= 1'b0;
        stat_bad_frame_reg <= 1'b0;
    end
end

endmodule

`resetall
