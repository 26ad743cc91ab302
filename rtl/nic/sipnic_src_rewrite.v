`resetall
`timescale 1ns / 1ps
`default_nettype none

/*
 * Source MAC rewrite of the cluster-to-clients path (port 1 rx -> port 0 tx), so the clients see
 * one MAC for the cluster instead of one per processor.
 *
 *   s_axis ─► src MAC (bytes 6..11) := cluster_mac ─► ARP sender MAC (bytes 22..27) := cluster_mac ─► register ─► m_axis
 *             (enable)                                 (enable, untagged ARP: bytes 12..13 = 0x0806)
 *
 *    0      6      12   14             22     28
 *   ┌──────┬──────┬────┬──────────────┬──────┬──────┬─ ─ ─
 *   │ dst  │ src  │type│ ARP htype …  │ SHA  │ SPA  │ …
 *   └──────┴──────┴────┴──────────────┴──────┴──────┴─ ─ ─
 *
 * Byte lane i of beat b carries frame byte b*KEEP_WIDTH + i. A registered beat counter (saturating
 * past byte 27) selects the lanes to replace, so the rewrite is a 2:1 mux per byte behind a
 * decode of registers; the EtherType is compared as it passes and remembered in a register, which
 * is why its beat must come before the beat of byte 22 (true up to DATA_WIDTH 128). A VLAN tag
 * moves the EtherType to bytes 16..17: tagged ARP keeps its sender address. Frames shorter than 28
 * (or 12) bytes get the bytes they have rewritten. enable is taken at a frame's first beat and
 * held for the frame; cluster_mac is used as it is (set it before enable). Full rate while the
 * consumer is ready; tready backpressure passes through the output register.
 */
module sipnic_src_rewrite #(
    // stream width in bits
    parameter DATA_WIDTH = 32,
    // tkeep width (derived)
    parameter KEEP_WIDTH = DATA_WIDTH/8
) (
    input  wire                  clk,
    input  wire                  rst,

    /*
     * Rewrite settings (egress.CONTROL.REWRITE_SRC, egress.CLUSTER_MAC_HI/LO)
     */
    input  wire                  enable,
    input  wire [47:0]           cluster_mac,  // byte 0 (first on the wire) in bits 47:40

    /*
     * Frames in (from the port 1 bad-frame FIFO)
     */
    input  wire [DATA_WIDTH-1:0] s_axis_tdata,
    input  wire [KEEP_WIDTH-1:0] s_axis_tkeep,
    input  wire                  s_axis_tvalid,
    output wire                  s_axis_tready,
    input  wire                  s_axis_tlast,

    /*
     * Frames out (to port 0 tx)
     */
    output wire [DATA_WIDTH-1:0] m_axis_tdata,
    output wire [KEEP_WIDTH-1:0] m_axis_tkeep,
    output wire                  m_axis_tvalid,
    input  wire                  m_axis_tready,
    output wire                  m_axis_tlast
);

// frame bytes: source MAC 6..11, EtherType 12..13, ARP sender hardware address 22..27
localparam integer SRC_FIRST = 6;
localparam integer ET_FIRST = 12;
localparam integer SHA_FIRST = 22;
localparam integer SHA_END = 28;
// beats up to the one holding byte 27; the counter stops one past it
localparam integer LAST_BEAT = (SHA_END - 1) / KEEP_WIDTH;
localparam integer BW = $clog2(LAST_BEAT + 2);
localparam [BW-1:0] PAST_B = LAST_BEAT[BW-1:0] + 1'b1;

initial begin
    if (DATA_WIDTH != KEEP_WIDTH * 8 || KEEP_WIDTH < 1) begin
        $error("Error: DATA_WIDTH must be KEEP_WIDTH bytes (instance %m)");
        $finish;
    end
    if ((ET_FIRST + 1) / KEEP_WIDTH >= SHA_FIRST / KEEP_WIDTH) begin
        $error("Error: the EtherType must end in a beat before byte 22, DATA_WIDTH <= 128 (instance %m)");
        $finish;
    end
end

reg [BW-1:0] beat_reg = {BW{1'b0}}, beat_next;
reg          en_reg = 1'b0, en_next;
reg          arp_reg = 1'b0, arp_next;

wire first = beat_reg == {BW{1'b0}};
// enable of this frame: taken at its first beat
wire en_cur = first ? enable : en_reg;

wire in_tready;
wire in_xfer = s_axis_tvalid && in_tready;

reg [DATA_WIDTH-1:0] tdata;
integer lane;
integer idx;

always @* begin
    beat_next = beat_reg;
    en_next = en_cur;
    // EtherType bytes seen so far are 0x08, 0x06 (starts true at a frame's first beat)
    arp_next = first ? 1'b1 : arp_reg;
    tdata = s_axis_tdata;
    idx = 0;

    for (lane = 0; lane < KEEP_WIDTH; lane = lane + 1) begin
        idx = {{(32-BW){1'b0}}, beat_reg} * KEEP_WIDTH + lane;
        if (idx == ET_FIRST && s_axis_tdata[lane*8 +: 8] != 8'h08) begin
            arp_next = 1'b0;
        end
        if (idx == ET_FIRST + 1 && s_axis_tdata[lane*8 +: 8] != 8'h06) begin
            arp_next = 1'b0;
        end
        if (en_cur && idx >= SRC_FIRST && idx < SRC_FIRST + 6) begin
            tdata[lane*8 +: 8] = cluster_mac[(5 - (idx - SRC_FIRST)) * 8 +: 8];
        end
        // arp_reg: the EtherType beat is an earlier one (checked at elaboration)
        if (en_cur && arp_reg && idx >= SHA_FIRST && idx < SHA_END) begin
            tdata[lane*8 +: 8] = cluster_mac[(5 - (idx - SHA_FIRST)) * 8 +: 8];
        end
    end

    if (s_axis_tlast) begin
        beat_next = {BW{1'b0}};
    end else if (beat_reg != PAST_B) begin
        beat_next = beat_reg + 1'b1;
    end
end

always @(posedge clk) begin
    if (in_xfer) begin
        beat_reg <= beat_next;
        en_reg <= en_next;
        arp_reg <= arp_next;
    end

    if (rst) begin
        beat_reg <= {BW{1'b0}};
        en_reg <= 1'b0;
        arp_reg <= 1'b0;
    end
end

// output register: full rate while the consumer is ready
sipnic_axis_reg #(
    .DATA_WIDTH(DATA_WIDTH),
    .KEEP_WIDTH(KEEP_WIDTH)
) out_reg (
    .clk(clk),
    .rst(rst),
    .s_axis_tdata(tdata),
    .s_axis_tkeep(s_axis_tkeep),
    .s_axis_tvalid(s_axis_tvalid),
    .s_axis_tready(in_tready),
    .s_axis_tlast(s_axis_tlast),
    .m_axis_tdata(m_axis_tdata),
    .m_axis_tkeep(m_axis_tkeep),
    .m_axis_tvalid(m_axis_tvalid),
    .m_axis_tready(m_axis_tready),
    .m_axis_tlast(m_axis_tlast)
);

assign s_axis_tready = in_tready;

endmodule

`resetall
