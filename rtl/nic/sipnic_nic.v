`resetall
`timescale 1ns / 1ps
`default_nettype none

/*
 * Two-port sipnic NIC, one clock domain, board independent: UART register bridge, sipnic_core,
 * per-queue destination-MAC rewrite and the cluster-to-clients path with its source-MAC rewrite.
 *
 *   port 0 rx (clients) ─► frame FIFO (drops tuser) ─► sipnic_core ─► queue 0..Q-1
 *                                                                        │ round robin, whole frames
 *   port 1 tx (cluster) ◄── sipnic_egress: dst MAC := MAC[q] ◄───────────┘
 *   port 1 rx (cluster) ─► frame FIFO (drops tuser) ─┬─► sipnic_src_rewrite ───► port 0 tx
 *                                                    │  src MAC, ARP sender MAC := CLUSTER_MAC
 *                                                    │  (egress CONTROL.REWRITE_SRC)
 *                                                    └─► (LEARNING) sipnic_tx_processor: source
 *                                                        MAC = MAC[n] -> the core's transmit
 *                                                        snoop with processor n (rule 9)
 *   uart ─► sipnic_uart_bridge ─► register bus ─┬─ sipnic_core (core … counters blocks)
 *                                               ├─ sipnic_egress (egress block: MACs, cluster MAC, control, port counters)
 *                                               └─ sipnic_board_block (board block: build identity, MDIO reads)
 *   mdc/mdio ◄─► sipnic_board_block's read-only MDIO master (the PHYs are never written)
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
    parameter RX_FIFO_BYTES = 16384,
    // build time, seconds since 1970 UTC (board.BUILD_ID; 0: not set)
    parameter BUILD_ID = 0,
    // first 8 hex digits of the git commit (board.GIT_HASH; 0: not set)
    parameter GIT_HASH = 0,
    // 1: the source differed from GIT_HASH
    parameter GIT_DIRTY = 0,
    // connection learning and aging in the core (0: neither)
    parameter LEARNING = 1,
    // core clocks per millisecond (derived from CLK_HZ)
    parameter CLOCKS_PER_MS = (CLK_HZ + 500) / 1000,
    // 1: IPv4 and IPv6 in the core; 0: IPv4 only (IPv6 frames by the default action)
    parameter IPV6 = 1
) (
    input  wire                  clk,
    input  wire                  rst,

    /*
     * UART (8N1) to the host
     */
    input  wire                  uart_rxd,
    output wire                  uart_txd,

    /*
     * MDIO management bus of the PHYs (mdio_oe high: drive mdio_o; low: release)
     */
    output wire                  mdc,
    output wire                  mdio_o,
    output wire                  mdio_oe,
    input  wire                  mdio_i,

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

initial begin
    if (RX_FIFO_BYTES < MAX_FRAME) begin
        $error("Error: RX_FIFO_BYTES must hold a MAX_FRAME frame (instance %m)");
        $finish;
    end
end

/*
 * register bus: the UART bridge is the master; sipnic_egress takes the egress block's addresses
 * (eg_reg_sel), sipnic_board_block the board block's (bd_reg_sel), the core every other
 */
wire        bus_en, bus_we, bus_ack;
wire [15:0] bus_addr;
wire [31:0] bus_wdata, bus_rdata;

wire        core_reg_ack, eg_reg_sel, eg_reg_ack, bd_reg_sel, bd_reg_ack;
wire [31:0] core_reg_rdata, eg_reg_rdata, bd_reg_rdata;

assign bus_ack = core_reg_ack || eg_reg_ack || bd_reg_ack;
assign bus_rdata = eg_reg_ack ? eg_reg_rdata : bd_reg_ack ? bd_reg_rdata : core_reg_rdata;

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

wire p0_rx_drop_bad, p0_rx_drop_big, p1_rx_drop_bad, p1_rx_drop_big;
wire [47:0] cluster_mac;
wire        rewrite_src;

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

// port 1's frames as they pass to port 0, and who sent each (the core's transmit snoop)
wire [DATA_WIDTH-1:0] p1_rx_tdata;
wire [KEEP_WIDTH-1:0] p1_rx_tkeep;
wire                  p1_rx_tvalid, p1_rx_tready, p1_rx_tlast;
wire [QUEUES*48-1:0]  queue_macs;
wire [4:0]            tx_processor;

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
    .QUEUE_FIFO_BYTES(QUEUE_FIFO_BYTES),
    .LEARNING(LEARNING),
    .CLOCKS_PER_MS(CLOCKS_PER_MS),
    .IPV6(IPV6)
)
core_inst (
    .clk(clk),
    .rst(rst),
    .s_axis_tdata(core_s_tdata),
    .s_axis_tkeep(core_s_tkeep),
    .s_axis_tvalid(core_s_tvalid),
    .s_axis_tready(core_s_tready),
    .s_axis_tlast(core_s_tlast),
    .tx_axis_tdata(p1_rx_tdata),
    .tx_axis_tkeep(p1_rx_tkeep),
    .tx_axis_tvalid(p1_rx_tvalid && p1_rx_tready && LEARNING != 0),
    .tx_axis_tlast(p1_rx_tlast),
    .tx_processor(tx_processor),
    .m_axis_tdata(q_tdata),
    .m_axis_tkeep(q_tkeep),
    .m_axis_tvalid(q_tvalid),
    .m_axis_tready(q_tready),
    .m_axis_tlast(q_tlast),
    .m_axis_tuser(),
    .drop_valid(),
    .drop_id(),
    .drop_reason(),
    .reg_en(bus_en && !eg_reg_sel && !bd_reg_sel),
    .reg_we(bus_we),
    .reg_addr(bus_addr),
    .reg_wdata(bus_wdata),
    .reg_ack(core_reg_ack),
    .reg_rdata(core_reg_rdata)
);
/* verilator lint_on PINCONNECTEMPTY */

/*
 * queues -> port 1 (round robin, destination MAC rewrite) and the egress registers
 */
sipnic_egress #(
    .DATA_WIDTH(DATA_WIDTH),
    .KEEP_WIDTH(KEEP_WIDTH),
    .QUEUES(QUEUES)
)
egress_inst (
    .clk(clk),
    .rst(rst),
    .reg_en(bus_en),
    .reg_we(bus_we),
    .reg_addr(bus_addr),
    .reg_wdata(bus_wdata),
    .reg_sel(eg_reg_sel),
    .reg_ack(eg_reg_ack),
    .reg_rdata(eg_reg_rdata),
    .s_axis_tdata(q_tdata),
    .s_axis_tkeep(q_tkeep),
    .s_axis_tvalid(q_tvalid),
    .s_axis_tready(q_tready),
    .s_axis_tlast(q_tlast),
    .m_axis_tdata(m_axis_p1_tdata),
    .m_axis_tkeep(m_axis_p1_tkeep),
    .m_axis_tvalid(m_axis_p1_tvalid),
    .m_axis_tready(m_axis_p1_tready),
    .m_axis_tlast(m_axis_p1_tlast),
    .m_axis_tuser(m_axis_p1_tuser),
    .stat_p0_rx_bad(p0_rx_drop_bad || p0_rx_drop_big),
    .stat_p1_rx_bad(p1_rx_drop_bad || p1_rx_drop_big),
    .stat_p0_tx_frame(m_axis_p0_tvalid && m_axis_p0_tready && m_axis_p0_tlast),
    .cluster_mac(cluster_mac),
    .rewrite_src(rewrite_src),
    .queue_macs(queue_macs)
);

/*
 * transmit side of connection learning: who sends each port 1 frame (LEARNING only)
 */
generate
    if (LEARNING != 0) begin : tx_learn
        sipnic_tx_processor #(
            .DATA_WIDTH(DATA_WIDTH),
            .KEEP_WIDTH(KEEP_WIDTH),
            .QUEUES(QUEUES)
        )
        tx_processor_inst (
            .clk(clk),
            .rst(rst),
            .s_tdata(p1_rx_tdata),
            .s_tvalid(p1_rx_tvalid && p1_rx_tready),
            .s_tlast(p1_rx_tlast),
            .queue_macs(queue_macs),
            .processor(tx_processor)
        );
    end else begin : no_tx_learn
        assign tx_processor = 5'h1F;
        /* verilator lint_off UNUSEDSIGNAL */
        wire unused = &{1'b0, queue_macs};
        /* verilator lint_on UNUSEDSIGNAL */
    end
endgenerate

/*
 * board block: identity registers and the MDIO master
 */
sipnic_board_block #(
    .CLK_HZ(CLK_HZ),
    .BAUD(BAUD),
    .BUILD_ID(BUILD_ID),
    .GIT_HASH(GIT_HASH),
    .GIT_DIRTY(GIT_DIRTY)
)
board_block_inst (
    .clk(clk),
    .rst(rst),
    .reg_en(bus_en),
    .reg_we(bus_we),
    .reg_addr(bus_addr),
    .reg_wdata(bus_wdata),
    .reg_sel(bd_reg_sel),
    .reg_ack(bd_reg_ack),
    .reg_rdata(bd_reg_rdata),
    .mdc(mdc),
    .mdio_o(mdio_o),
    .mdio_oe(mdio_oe),
    .mdio_i(mdio_i)
);

/*
 * port 1 rx -> port 0 tx: bad-frame filter, then the source MAC rewrite
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
    .m_axis_tdata(p1_rx_tdata),
    .m_axis_tkeep(p1_rx_tkeep),
    .m_axis_tvalid(p1_rx_tvalid),
    .m_axis_tready(p1_rx_tready),
    .m_axis_tlast(p1_rx_tlast),
    .drop_bad(p1_rx_drop_bad),
    .drop_big(p1_rx_drop_big)
);

sipnic_src_rewrite #(
    .DATA_WIDTH(DATA_WIDTH),
    .KEEP_WIDTH(KEEP_WIDTH)
)
src_rewrite_inst (
    .clk(clk),
    .rst(rst),
    .enable(rewrite_src),
    .cluster_mac(cluster_mac),
    .s_axis_tdata(p1_rx_tdata),
    .s_axis_tkeep(p1_rx_tkeep),
    .s_axis_tvalid(p1_rx_tvalid),
    .s_axis_tready(p1_rx_tready),
    .s_axis_tlast(p1_rx_tlast),
    .m_axis_tdata(m_axis_p0_tdata),
    .m_axis_tkeep(m_axis_p0_tkeep),
    .m_axis_tvalid(m_axis_p0_tvalid),
    .m_axis_tready(m_axis_p0_tready),
    .m_axis_tlast(m_axis_p0_tlast)
);

assign m_axis_p0_tuser = 1'b0;

endmodule

`resetall
