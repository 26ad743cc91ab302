`resetall
`timescale 1ns / 1ps
`default_nettype none

/*
 * Egress of the two-port NIC: the egress register block and the path from the core's queues
 * to port 1.
 *
 *   queue 0..Q-1 ─► round robin, one whole frame per grant ─► dst MAC := MAC[q] ─► register ─► m_axis
 *                   (one idle clock between frames)            (CONTROL.REWRITE_MAC)
 *
 * Registers (egress block of rtl/regs.json): QUEUES, CONTROL, MAC_HI/MAC_LO per queue, and
 * four wrapping frame counters, three of them counting events of the NIC's other paths (stat_*).
 * CLUSTER_MAC_HI/LO and CONTROL.REWRITE_SRC belong to the port 1 -> port 0 path: they leave on
 * cluster_mac / rewrite_src for sipnic_src_rewrite.
 * The block decodes its own addresses (reg_sel: reg_addr is in the block), as a LiteX CSR bank
 * does; reg_ack follows an access to it one clock later.
 */
module sipnic_egress #(
    // stream width in bits
    parameter DATA_WIDTH = 32,
    // tkeep width (derived)
    parameter KEEP_WIDTH = DATA_WIDTH/8,
    // queues, 2..16
    parameter QUEUES = 8
) (
    input  wire                         clk,
    input  wire                         rst,

    /*
     * Register bus
     */
    input  wire                         reg_en,
    input  wire                         reg_we,
    input  wire [15:0]                  reg_addr,
    input  wire [31:0]                  reg_wdata,
    output wire                         reg_sel,
    output wire                         reg_ack,
    output wire [31:0]                  reg_rdata,

    /*
     * Queues from the core (queue q at [q*DATA_WIDTH +: DATA_WIDTH] etc.)
     */
    input  wire [QUEUES*DATA_WIDTH-1:0] s_axis_tdata,
    input  wire [QUEUES*KEEP_WIDTH-1:0] s_axis_tkeep,
    input  wire [QUEUES-1:0]            s_axis_tvalid,
    output wire [QUEUES-1:0]            s_axis_tready,
    input  wire [QUEUES-1:0]            s_axis_tlast,

    /*
     * Port 1 tx
     */
    output wire [DATA_WIDTH-1:0]        m_axis_tdata,
    output wire [KEEP_WIDTH-1:0]        m_axis_tkeep,
    output wire                         m_axis_tvalid,
    input  wire                         m_axis_tready,
    output wire                         m_axis_tlast,
    output wire                         m_axis_tuser,

    /*
     * Events counted in P0_RX_BAD, P1_RX_BAD and P0_TX_FRAMES (one pulse each)
     */
    input  wire                         stat_p0_rx_bad,
    input  wire                         stat_p1_rx_bad,
    input  wire                         stat_p0_tx_frame,

    /*
     * Source MAC rewrite of the port 1 -> port 0 path (CLUSTER_MAC_HI/LO, CONTROL.REWRITE_SRC)
     */
    output wire [47:0]                  cluster_mac,
    output wire                         rewrite_src,

    /*
     * MAC[0..QUEUES-1] (queue q at [q*48 +: 48]): who transmits a port 1 frame (sipnic_tx_processor)
     */
    output wire [QUEUES*48-1:0]         queue_macs
);

/* verilator lint_off UNUSEDPARAM */
`include "sipnic_regs.vh"
/* verilator lint_on UNUSEDPARAM */

localparam QW = QUEUES > 1 ? $clog2(QUEUES) : 1;
// beats that carry one of the 6 destination MAC bytes
localparam integer MAC_BEATS = (6 + KEEP_WIDTH - 1) / KEEP_WIDTH;
localparam BW = $clog2(MAC_BEATS + 1);
localparam integer LAST_Q_I = QUEUES - 1;
localparam [QW-1:0] LAST_Q = LAST_Q_I[QW-1:0];
localparam [BW-1:0] MAC_BEATS_B = MAC_BEATS[BW-1:0];
// MAC_HI[q] and MAC_LO[q] share a stride; the offset bits above the stride pick the queue, the
// bit of MAC_LO's distance from MAC_HI picks the word
localparam integer MAC_Q_SHIFT = $clog2(REG_EGRESS_MAC_HI_STRIDE);
localparam integer MAC_LO_BIT = $clog2(REG_EGRESS_MAC_LO - REG_EGRESS_MAC_HI);
localparam integer MAC_END_I = {16'd0, REG_EGRESS_MAC_HI} + QUEUES * {16'd0, REG_EGRESS_MAC_HI_STRIDE};
localparam [15:0] MAC_END = MAC_END_I[15:0];

initial begin
    if (QUEUES < 2 || QUEUES > REG_EGRESS_MAC_HI_COUNT) begin
        $error("Error: QUEUES must be 2..%0d (instance %m)", REG_EGRESS_MAC_HI_COUNT);
        $finish;
    end
    if (REG_EGRESS_MAC_LO_STRIDE != REG_EGRESS_MAC_HI_STRIDE || 2**MAC_Q_SHIFT != REG_EGRESS_MAC_HI_STRIDE ||
            2**MAC_LO_BIT != REG_EGRESS_MAC_LO - REG_EGRESS_MAC_HI || MAC_LO_BIT >= MAC_Q_SHIFT) begin
        $error("Error: MAC_HI/MAC_LO must interleave with a power-of-two stride (instance %m)");
        $finish;
    end
    if (FLD_EGRESS_MAC_HI_ADDR_WIDTH + FLD_EGRESS_MAC_LO_ADDR_WIDTH != 48) begin
        $error("Error: MAC_HI.ADDR and MAC_LO.ADDR must hold 48 bits (instance %m)");
        $finish;
    end
    if (FLD_EGRESS_CLUSTER_MAC_HI_ADDR_WIDTH + FLD_EGRESS_CLUSTER_MAC_LO_ADDR_WIDTH != 48) begin
        $error("Error: CLUSTER_MAC_HI.ADDR and CLUSTER_MAC_LO.ADDR must hold 48 bits (instance %m)");
        $finish;
    end
end

/*
 * egress block registers
 */
reg         ack_reg = 1'b0;
reg  [31:0] rdata_reg = 32'd0;
reg         rewrite_en_reg = 1'b0;
reg         rewrite_src_reg = 1'b0;
reg  [47:0] cluster_mac_reg = 48'd0;
reg  [47:0] mac_reg [0:QUEUES-1];
reg  [31:0] p0_rx_bad_reg = 32'd0;
reg  [31:0] p1_rx_bad_reg = 32'd0;
reg  [31:0] p1_tx_frames_reg = 32'd0;
reg  [31:0] p0_tx_frames_reg = 32'd0;

wire [15:0] off = reg_addr - BLK_EGRESS_BASE;
wire        in_block = off < BLK_EGRESS_SIZE;

assign reg_sel = in_block;
assign reg_ack = ack_reg;
assign reg_rdata = rdata_reg;
assign cluster_mac = cluster_mac_reg;
assign rewrite_src = rewrite_src_reg;

genvar mq;
generate
    for (mq = 0; mq < QUEUES; mq = mq + 1) begin : queue_mac
        assign queue_macs[mq*48 +: 48] = mac_reg[mq];
    end
endgenerate

wire        off_mac = off >= REG_EGRESS_MAC_HI && off < MAC_END;
/* verilator lint_off UNUSEDSIGNAL */
wire [15:0] off_mac_rel = off - REG_EGRESS_MAC_HI;
/* verilator lint_on UNUSEDSIGNAL */
wire [QW-1:0] off_mac_q = off_mac_rel[MAC_Q_SHIFT +: QW];
wire        off_mac_lo = off_mac_rel[MAC_LO_BIT];

integer q;

initial begin
    for (q = 0; q < QUEUES; q = q + 1) begin
        mac_reg[q] = 48'd0;
    end
end

reg [31:0] rdata;

always @* begin
    rdata = 32'd0;
    if (off_mac) begin
        if (off_mac_lo) begin
            rdata[FLD_EGRESS_MAC_LO_ADDR_SHIFT +: FLD_EGRESS_MAC_LO_ADDR_WIDTH] = mac_reg[off_mac_q][FLD_EGRESS_MAC_LO_ADDR_WIDTH-1:0];
        end else begin
            rdata[FLD_EGRESS_MAC_HI_ADDR_SHIFT +: FLD_EGRESS_MAC_HI_ADDR_WIDTH] = mac_reg[off_mac_q][47:FLD_EGRESS_MAC_LO_ADDR_WIDTH];
        end
    end else begin
        case (off)
            REG_EGRESS_TYPE: rdata = BLK_EGRESS_TYPE;
            REG_EGRESS_VERSION: rdata = BLK_EGRESS_VERSION;
            REG_EGRESS_NEXT: rdata = {16'd0, BLK_EGRESS_NEXT};
            REG_EGRESS_QUEUES: rdata = QUEUES;
            REG_EGRESS_CONTROL: begin
                rdata[FLD_EGRESS_CONTROL_REWRITE_MAC_SHIFT] = rewrite_en_reg;
                rdata[FLD_EGRESS_CONTROL_REWRITE_SRC_SHIFT] = rewrite_src_reg;
            end
            REG_EGRESS_CLUSTER_MAC_HI:
                rdata[FLD_EGRESS_CLUSTER_MAC_HI_ADDR_SHIFT +: FLD_EGRESS_CLUSTER_MAC_HI_ADDR_WIDTH] = cluster_mac_reg[47:FLD_EGRESS_CLUSTER_MAC_LO_ADDR_WIDTH];
            REG_EGRESS_CLUSTER_MAC_LO:
                rdata[FLD_EGRESS_CLUSTER_MAC_LO_ADDR_SHIFT +: FLD_EGRESS_CLUSTER_MAC_LO_ADDR_WIDTH] = cluster_mac_reg[FLD_EGRESS_CLUSTER_MAC_LO_ADDR_WIDTH-1:0];
            REG_EGRESS_P0_RX_BAD: rdata = p0_rx_bad_reg;
            REG_EGRESS_P1_RX_BAD: rdata = p1_rx_bad_reg;
            REG_EGRESS_P1_TX_FRAMES: rdata = p1_tx_frames_reg;
            REG_EGRESS_P0_TX_FRAMES: rdata = p0_tx_frames_reg;
            default: rdata = 32'd0;
        endcase
    end
end

always @(posedge clk) begin
    ack_reg <= reg_en && in_block;
    rdata_reg <= reg_en && in_block && !reg_we ? rdata : 32'd0;
    if (reg_en && in_block && reg_we) begin
        if (off_mac) begin
            if (off_mac_lo) begin
                mac_reg[off_mac_q][FLD_EGRESS_MAC_LO_ADDR_WIDTH-1:0] <=
                    reg_wdata[FLD_EGRESS_MAC_LO_ADDR_SHIFT +: FLD_EGRESS_MAC_LO_ADDR_WIDTH];
            end else begin
                mac_reg[off_mac_q][47:FLD_EGRESS_MAC_LO_ADDR_WIDTH] <=
                    reg_wdata[FLD_EGRESS_MAC_HI_ADDR_SHIFT +: FLD_EGRESS_MAC_HI_ADDR_WIDTH];
            end
        end else if (off == REG_EGRESS_CONTROL) begin
            rewrite_en_reg <= reg_wdata[FLD_EGRESS_CONTROL_REWRITE_MAC_SHIFT];
            rewrite_src_reg <= reg_wdata[FLD_EGRESS_CONTROL_REWRITE_SRC_SHIFT];
        end else if (off == REG_EGRESS_CLUSTER_MAC_HI) begin
            cluster_mac_reg[47:FLD_EGRESS_CLUSTER_MAC_LO_ADDR_WIDTH] <=
                reg_wdata[FLD_EGRESS_CLUSTER_MAC_HI_ADDR_SHIFT +: FLD_EGRESS_CLUSTER_MAC_HI_ADDR_WIDTH];
        end else if (off == REG_EGRESS_CLUSTER_MAC_LO) begin
            cluster_mac_reg[FLD_EGRESS_CLUSTER_MAC_LO_ADDR_WIDTH-1:0] <=
                reg_wdata[FLD_EGRESS_CLUSTER_MAC_LO_ADDR_SHIFT +: FLD_EGRESS_CLUSTER_MAC_LO_ADDR_WIDTH];
        end
    end

    if (stat_p0_rx_bad) begin
        p0_rx_bad_reg <= p0_rx_bad_reg + 1;
    end
    if (stat_p1_rx_bad) begin
        p1_rx_bad_reg <= p1_rx_bad_reg + 1;
    end
    if (m_axis_tvalid && m_axis_tready && m_axis_tlast) begin
        p1_tx_frames_reg <= p1_tx_frames_reg + 1;
    end
    if (stat_p0_tx_frame) begin
        p0_tx_frames_reg <= p0_tx_frames_reg + 1;
    end

    if (rst) begin
        ack_reg <= 1'b0;
        rewrite_en_reg <= 1'b0;
        rewrite_src_reg <= 1'b0;
        cluster_mac_reg <= 48'd0;
        p0_rx_bad_reg <= 32'd0;
        p1_rx_bad_reg <= 32'd0;
        p1_tx_frames_reg <= 32'd0;
        p0_tx_frames_reg <= 32'd0;
    end
end

/*
 * queues -> port 1: round robin over queues with a frame waiting, one whole frame per grant
 * (one idle clock between frames to choose), destination MAC rewritten on the fly, then an
 * output register
 */
wire         arb_tvalid, arb_tready, arb_tlast;
reg          active_reg = 1'b0, active_next;
reg [QW-1:0] sel_reg = 0, sel_next;
reg [BW-1:0] beat_reg = 0, beat_next;
reg [QW-1:0] cand;
reg          found;
integer      k;
/* verilator lint_off UNUSEDSIGNAL */
integer      ci;
/* verilator lint_on UNUSEDSIGNAL */

always @* begin
    active_next = active_reg;
    sel_next = sel_reg;
    beat_next = beat_reg;
    cand = sel_reg;
    found = 1'b0;
    ci = 0;
    k = 0;

    if (!active_reg) begin
        // first queue with a frame after the last one served
        for (k = 1; k <= QUEUES; k = k + 1) begin
            ci = ({{(32-QW){1'b0}}, sel_reg} + k) % QUEUES;
            cand = ci[QW-1:0];
            if (!found && s_axis_tvalid[cand]) begin
                found = 1'b1;
                sel_next = cand;
            end
        end
        active_next = found;
        beat_next = 0;
    end else if (arb_tvalid && arb_tready) begin
        if (beat_reg != MAC_BEATS_B) begin
            beat_next = beat_reg + 1;
        end
        if (arb_tlast) begin
            active_next = 1'b0;
        end
    end
end

always @(posedge clk) begin
    active_reg <= active_next;
    sel_reg <= sel_next;
    beat_reg <= beat_next;

    if (rst) begin
        active_reg <= 1'b0;
        sel_reg <= LAST_Q;
        beat_reg <= 0;
    end
end

genvar g;
generate
    for (g = 0; g < QUEUES; g = g + 1) begin : grant
        assign s_axis_tready[g] = active_reg && sel_reg == g && arb_tready;
    end
endgenerate

wire [DATA_WIDTH-1:0] sel_tdata = s_axis_tdata[sel_reg*DATA_WIDTH +: DATA_WIDTH];
wire [47:0] sel_mac = mac_reg[sel_reg];

// byte lane i of beat b carries frame byte b*KEEP_WIDTH + i; bytes 0..5 are the destination MAC
reg [DATA_WIDTH-1:0] tdata;
integer lane;

always @* begin
    tdata = sel_tdata;
    lane = 0;
    if (rewrite_en_reg) begin
        for (lane = 0; lane < KEEP_WIDTH; lane = lane + 1) begin
            if (beat_reg * KEEP_WIDTH + lane < 6) begin
                tdata[lane*8 +: 8] = sel_mac[(5 - (beat_reg * KEEP_WIDTH + lane)) * 8 +: 8];
            end
        end
    end
end

assign arb_tvalid = active_reg && s_axis_tvalid[sel_reg];
assign arb_tlast = s_axis_tlast[sel_reg];

// output register (the queue RAMs, the queue select and the rewrite are a long way to the
// consumer); full rate while the consumer is ready
sipnic_axis_reg #(
    .DATA_WIDTH(DATA_WIDTH),
    .KEEP_WIDTH(KEEP_WIDTH)
) out_reg (
    .clk(clk),
    .rst(rst),
    .s_axis_tdata(tdata),
    .s_axis_tkeep(s_axis_tkeep[sel_reg*KEEP_WIDTH +: KEEP_WIDTH]),
    .s_axis_tvalid(arb_tvalid),
    .s_axis_tready(arb_tready),
    .s_axis_tlast(arb_tlast),
    .m_axis_tdata(m_axis_tdata),
    .m_axis_tkeep(m_axis_tkeep),
    .m_axis_tvalid(m_axis_tvalid),
    .m_axis_tready(m_axis_tready),
    .m_axis_tlast(m_axis_tlast)
);

assign m_axis_tuser = 1'b0;

endmodule

`resetall
