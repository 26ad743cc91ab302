`resetall
`timescale 1ns / 1ps
`default_nettype none

/*
 * Two-port sipnic NIC, one clock domain, board independent: UART register bridge, sipnic_core,
 * per-queue destination-MAC rewrite and the cluster-to-clients path.
 *
 *   port 0 rx (clients) ─► frame FIFO (drops tuser) ─► sipnic_core ─► queue 0..Q-1
 *                                                                        │ round robin, whole frames
 *   port 1 tx (cluster) ◄── dst MAC := MAC[q] (when CONTROL[0]) ◄────────┘
 *   port 1 rx (cluster) ─► frame FIFO (drops tuser) ─────────────────────────► port 0 tx
 *   uart ─► sipnic_uart_bridge ─► register bus ─┬─ sipnic_core (core … counters blocks)
 *                                               └─ egress block (MACs, control, port counters)
 *
 * Streams: byte 0 on the wire = tdata[7:0]; tkeep contiguous low bytes, only the last beat
 * may be partial. tuser on the last beat of an rx stream marks a frame to drop (bad FCS,
 * rx error, too long): it is counted in egress.P0_RX_BAD / P1_RX_BAD and never forwarded.
 * tuser of the tx streams is always 0. Every frame that leaves a tx port was complete in a
 * buffer before its first beat left (no underrun towards a MAC).
 */
module sipnic_nic #(
    // clock frequency in Hz (UART timing)
    parameter CLK_HZ = 50_000_000,
    // UART line rate
    parameter BAUD = 115200,
    // stream width, 8, 32 or 64
    parameter DATA_WIDTH = 32,
    // tkeep width (derived)
    parameter KEEP_WIDTH = DATA_WIDTH/8,
    // queues, 2..16
    parameter QUEUES = 8,
    // hashed flow entries (power of two, divisible by FLOW_WAYS)
    parameter FLOW_ENTRIES = 4096,
    // cuckoo ways
    parameter FLOW_WAYS = 4,
    // flow stash entries
    parameter FLOW_STASH = 8,
    // listen entries
    parameter LISTEN_ENTRIES = 32,
    // listen groups (listeners sharing a port by round robin)
    parameter LISTEN_GROUPS = 8,
    // cluster address slots
    parameter ADDR_SLOTS = 16,
    // longest frame in bytes
    parameter MAX_FRAME = 9022,
    // core store-and-forward ingress buffer in bytes (power of two)
    parameter INGRESS_FIFO_BYTES = 16384,
    // core per-queue buffer in bytes (power of two)
    parameter QUEUE_FIFO_BYTES = 16384,
    // bad-frame filter buffer of each rx port in bytes (power of two); a frame must fit in it
    parameter RX_FIFO_BYTES = 16384
) (
    input  wire                  clk,
    input  wire                  rst,

    /*
     * UART (8N1) to the host
     */
    input  wire                  uart_rxd,
    output wire                  uart_txd,

    /*
     * Port 0 rx: frames from the clients' wire into the core
     */
    input  wire [DATA_WIDTH-1:0] s_axis_p0_tdata,
    input  wire [KEEP_WIDTH-1:0] s_axis_p0_tkeep,
    input  wire                  s_axis_p0_tvalid,
    output wire                  s_axis_p0_tready,
    input  wire                  s_axis_p0_tlast,
    input  wire                  s_axis_p0_tuser,

    /*
     * Port 1 tx: queue frames to the cluster, destination MAC rewritten per queue
     */
    output wire [DATA_WIDTH-1:0] m_axis_p1_tdata,
    output wire [KEEP_WIDTH-1:0] m_axis_p1_tkeep,
    output wire                  m_axis_p1_tvalid,
    input  wire                  m_axis_p1_tready,
    output wire                  m_axis_p1_tlast,
    output wire                  m_axis_p1_tuser,

    /*
     * Port 1 rx: frames from the cluster, passed to port 0
     */
    input  wire [DATA_WIDTH-1:0] s_axis_p1_tdata,
    input  wire [KEEP_WIDTH-1:0] s_axis_p1_tkeep,
    input  wire                  s_axis_p1_tvalid,
    output wire                  s_axis_p1_tready,
    input  wire                  s_axis_p1_tlast,
    input  wire                  s_axis_p1_tuser,

    /*
     * Port 0 tx: cluster frames to the clients
     */
    output wire [DATA_WIDTH-1:0] m_axis_p0_tdata,
    output wire [KEEP_WIDTH-1:0] m_axis_p0_tkeep,
    output wire                  m_axis_p0_tvalid,
    input  wire                  m_axis_p0_tready,
    output wire                  m_axis_p0_tlast,
    output wire                  m_axis_p0_tuser
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
localparam integer MAC_END_I = {16'd0, REG_EGRESS_MAC_HI} + QUEUES * {16'd0, REG_EGRESS_MAC_HI_STRIDE};
localparam [15:0] MAC_END = MAC_END_I[15:0];

initial begin
    if (QUEUES > REG_EGRESS_MAC_HI_COUNT) begin
        $error("Error: QUEUES must be at most %0d (instance %m)", REG_EGRESS_MAC_HI_COUNT);
        $finish;
    end
    if (RX_FIFO_BYTES < MAX_FRAME) begin
        $error("Error: RX_FIFO_BYTES must hold a MAX_FRAME frame (instance %m)");
        $finish;
    end
end

/*
 * register bus: the UART bridge is the master; the egress block is decoded here, every other
 * address goes to the core
 */
wire        bus_en, bus_we, bus_ack;
wire [15:0] bus_addr;
wire [31:0] bus_wdata, bus_rdata;

wire        core_reg_ack;
wire [31:0] core_reg_rdata;

wire [15:0] off_eg = bus_addr - BLK_EGRESS_BASE;
wire        in_eg = off_eg < BLK_EGRESS_SIZE;

reg         eg_ack_reg = 1'b0;
reg  [31:0] eg_rdata_reg = 32'd0;

assign bus_ack = core_reg_ack || eg_ack_reg;
assign bus_rdata = eg_ack_reg ? eg_rdata_reg : core_reg_rdata;

/* verilator lint_off PINCONNECTEMPTY */
sipnic_uart_bridge #(
    .CLK_HZ(CLK_HZ),
    .BAUD(BAUD)
)
uart_bridge_inst (
    .clk(clk),
    .rst(rst),
    .uart_rxd(uart_rxd),
    .uart_txd(uart_txd),
    .reg_en(bus_en),
    .reg_we(bus_we),
    .reg_addr(bus_addr),
    .reg_wdata(bus_wdata),
    .reg_ack(bus_ack),
    .reg_rdata(bus_rdata),
    .stat_rx_errors(),
    .stat_crc_errors(),
    .stat_timeouts(),
    .stat_replays()
);
/* verilator lint_on PINCONNECTEMPTY */

/*
 * egress block registers
 */
reg         rewrite_en_reg = 1'b0;
reg  [47:0] mac_reg [0:QUEUES-1];
reg  [31:0] p0_rx_bad_reg = 32'd0;
reg  [31:0] p1_rx_bad_reg = 32'd0;
reg  [31:0] p1_tx_frames_reg = 32'd0;
reg  [31:0] p0_tx_frames_reg = 32'd0;

// MAC_HI[q] at 0x40 + 8q, MAC_LO[q] at 0x44 + 8q
wire        eg_mac = off_eg >= REG_EGRESS_MAC_HI && off_eg < MAC_END;
/* verilator lint_off UNUSEDSIGNAL */
wire [15:0] eg_mac_rel = off_eg - REG_EGRESS_MAC_HI;
/* verilator lint_on UNUSEDSIGNAL */
wire [QW-1:0] eg_mac_q = eg_mac_rel[3 +: QW];
wire        eg_mac_lo = eg_mac_rel[2];

integer q;

initial begin
    for (q = 0; q < QUEUES; q = q + 1) begin
        mac_reg[q] = 48'd0;
    end
end

wire p0_rx_drop_bad, p0_rx_drop_big, p1_rx_drop_bad, p1_rx_drop_big;

always @(posedge clk) begin
    eg_ack_reg <= bus_en && in_eg;
    eg_rdata_reg <= 32'd0;
    if (bus_en && in_eg && !bus_we) begin
        if (eg_mac) begin
            eg_rdata_reg <= eg_mac_lo ? mac_reg[eg_mac_q][31:0] : {16'd0, mac_reg[eg_mac_q][47:32]};
        end else begin
            case (off_eg)
                REG_EGRESS_TYPE: eg_rdata_reg <= BLK_EGRESS_TYPE;
                REG_EGRESS_VERSION: eg_rdata_reg <= BLK_EGRESS_VERSION;
                REG_EGRESS_NEXT: eg_rdata_reg <= {16'd0, BLK_EGRESS_NEXT};
                REG_EGRESS_QUEUES: eg_rdata_reg <= QUEUES;
                REG_EGRESS_CONTROL: eg_rdata_reg <= {31'd0, rewrite_en_reg};
                REG_EGRESS_P0_RX_BAD: eg_rdata_reg <= p0_rx_bad_reg;
                REG_EGRESS_P1_RX_BAD: eg_rdata_reg <= p1_rx_bad_reg;
                REG_EGRESS_P1_TX_FRAMES: eg_rdata_reg <= p1_tx_frames_reg;
                REG_EGRESS_P0_TX_FRAMES: eg_rdata_reg <= p0_tx_frames_reg;
                default: eg_rdata_reg <= 32'd0;
            endcase
        end
    end
    if (bus_en && in_eg && bus_we) begin
        if (eg_mac) begin
            if (eg_mac_lo) begin
                mac_reg[eg_mac_q][31:0] <= bus_wdata;
            end else begin
                mac_reg[eg_mac_q][47:32] <= bus_wdata[15:0];
            end
        end else if (off_eg == REG_EGRESS_CONTROL) begin
            rewrite_en_reg <= bus_wdata[0];
        end
    end

    if (p0_rx_drop_bad || p0_rx_drop_big) begin
        p0_rx_bad_reg <= p0_rx_bad_reg + 1;
    end
    if (p1_rx_drop_bad || p1_rx_drop_big) begin
        p1_rx_bad_reg <= p1_rx_bad_reg + 1;
    end
    if (m_axis_p1_tvalid && m_axis_p1_tready && m_axis_p1_tlast) begin
        p1_tx_frames_reg <= p1_tx_frames_reg + 1;
    end
    if (m_axis_p0_tvalid && m_axis_p0_tready && m_axis_p0_tlast) begin
        p0_tx_frames_reg <= p0_tx_frames_reg + 1;
    end

    if (rst) begin
        eg_ack_reg <= 1'b0;
        rewrite_en_reg <= 1'b0;
        p0_rx_bad_reg <= 32'd0;
        p1_rx_bad_reg <= 32'd0;
        p1_tx_frames_reg <= 32'd0;
        p0_tx_frames_reg <= 32'd0;
    end
end

/*
 * port 0 rx: bad-frame filter, then the core
 */
wire [DATA_WIDTH-1:0] core_s_tdata;
wire [KEEP_WIDTH-1:0] core_s_tkeep;
wire                  core_s_tvalid, core_s_tready, core_s_tlast;

sipnic_frame_fifo #(
    .DATA_WIDTH(DATA_WIDTH),
    .KEEP_WIDTH(KEEP_WIDTH),
    .FIFO_BYTES(RX_FIFO_BYTES)
)
p0_rx_fifo_inst (
    .clk(clk),
    .rst(rst),
    .s_axis_tdata(s_axis_p0_tdata),
    .s_axis_tkeep(s_axis_p0_tkeep),
    .s_axis_tvalid(s_axis_p0_tvalid),
    .s_axis_tready(s_axis_p0_tready),
    .s_axis_tlast(s_axis_p0_tlast),
    .s_axis_tuser(s_axis_p0_tuser),
    .m_axis_tdata(core_s_tdata),
    .m_axis_tkeep(core_s_tkeep),
    .m_axis_tvalid(core_s_tvalid),
    .m_axis_tready(core_s_tready),
    .m_axis_tlast(core_s_tlast),
    .drop_bad(p0_rx_drop_bad),
    .drop_big(p0_rx_drop_big)
);

wire [QUEUES*DATA_WIDTH-1:0] q_tdata;
wire [QUEUES*KEEP_WIDTH-1:0] q_tkeep;
wire [QUEUES-1:0]            q_tvalid;
wire [QUEUES-1:0]            q_tready;
wire [QUEUES-1:0]            q_tlast;

/* verilator lint_off PINCONNECTEMPTY */
sipnic_core #(
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
    .QUEUE_FIFO_BYTES(QUEUE_FIFO_BYTES)
)
core_inst (
    .clk(clk),
    .rst(rst),
    .s_axis_tdata(core_s_tdata),
    .s_axis_tkeep(core_s_tkeep),
    .s_axis_tvalid(core_s_tvalid),
    .s_axis_tready(core_s_tready),
    .s_axis_tlast(core_s_tlast),
    .m_axis_tdata(q_tdata),
    .m_axis_tkeep(q_tkeep),
    .m_axis_tvalid(q_tvalid),
    .m_axis_tready(q_tready),
    .m_axis_tlast(q_tlast),
    .m_axis_tuser(),
    .drop_valid(),
    .drop_id(),
    .drop_reason(),
    .reg_en(bus_en && !in_eg),
    .reg_we(bus_we),
    .reg_addr(bus_addr),
    .reg_wdata(bus_wdata),
    .reg_ack(core_reg_ack),
    .reg_rdata(core_reg_rdata)
);
/* verilator lint_on PINCONNECTEMPTY */

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
            if (!found && q_tvalid[cand]) begin
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
        assign q_tready[g] = active_reg && sel_reg == g && arb_tready;
    end
endgenerate

wire [DATA_WIDTH-1:0] sel_tdata = q_tdata[sel_reg*DATA_WIDTH +: DATA_WIDTH];
wire [47:0] sel_mac = mac_reg[sel_reg];

// byte lane i of beat b carries frame byte b*KEEP_WIDTH + i; bytes 0..5 are the destination MAC
reg [DATA_WIDTH-1:0] p1_tdata;
integer lane;

always @* begin
    p1_tdata = sel_tdata;
    lane = 0;
    if (rewrite_en_reg) begin
        for (lane = 0; lane < KEEP_WIDTH; lane = lane + 1) begin
            if (beat_reg * KEEP_WIDTH + lane < 6) begin
                p1_tdata[lane*8 +: 8] = sel_mac[(5 - (beat_reg * KEEP_WIDTH + lane)) * 8 +: 8];
            end
        end
    end
end

assign arb_tvalid = active_reg && q_tvalid[sel_reg];
assign arb_tlast = q_tlast[sel_reg];

// output register (the queue RAMs, the queue select and the rewrite are a long way to the
// consumer); full rate while the consumer is ready
reg [DATA_WIDTH-1:0] p1_tdata_reg = {DATA_WIDTH{1'b0}};
reg [KEEP_WIDTH-1:0] p1_tkeep_reg = {KEEP_WIDTH{1'b0}};
reg                  p1_tvalid_reg = 1'b0;
reg                  p1_tlast_reg = 1'b0;

assign arb_tready = !p1_tvalid_reg || m_axis_p1_tready;

always @(posedge clk) begin
    if (m_axis_p1_tready) begin
        p1_tvalid_reg <= 1'b0;
    end
    if (arb_tvalid && arb_tready) begin
        p1_tdata_reg <= p1_tdata;
        p1_tkeep_reg <= q_tkeep[sel_reg*KEEP_WIDTH +: KEEP_WIDTH];
        p1_tlast_reg <= arb_tlast;
        p1_tvalid_reg <= 1'b1;
    end
    if (rst) begin
        p1_tvalid_reg <= 1'b0;
    end
end

assign m_axis_p1_tdata = p1_tdata_reg;
assign m_axis_p1_tkeep = p1_tkeep_reg;
assign m_axis_p1_tvalid = p1_tvalid_reg;
assign m_axis_p1_tlast = p1_tlast_reg;
assign m_axis_p1_tuser = 1'b0;

/*
 * port 1 rx -> port 0 tx: bad-frame filter only
 */
sipnic_frame_fifo #(
    .DATA_WIDTH(DATA_WIDTH),
    .KEEP_WIDTH(KEEP_WIDTH),
    .FIFO_BYTES(RX_FIFO_BYTES)
)
p1_rx_fifo_inst (
    .clk(clk),
    .rst(rst),
    .s_axis_tdata(s_axis_p1_tdata),
    .s_axis_tkeep(s_axis_p1_tkeep),
    .s_axis_tvalid(s_axis_p1_tvalid),
    .s_axis_tready(s_axis_p1_tready),
    .s_axis_tlast(s_axis_p1_tlast),
    .s_axis_tuser(s_axis_p1_tuser),
    .m_axis_tdata(m_axis_p0_tdata),
    .m_axis_tkeep(m_axis_p0_tkeep),
    .m_axis_tvalid(m_axis_p0_tvalid),
    .m_axis_tready(m_axis_p0_tready),
    .m_axis_tlast(m_axis_p0_tlast),
    .drop_bad(p1_rx_drop_bad),
    .drop_big(p1_rx_drop_big)
);

assign m_axis_p0_tuser = 1'b0;

endmodule

`resetall
