`resetall
`timescale 1ns / 1ps
`default_nettype none

// Test top for test/rtl/uart_bridge_tb.cpp: sipnic_uart_bridge driving a small sipnic_core,
// with 0..3 extra clocks of register-bus ack delay chosen per access by the testbench.
module uart_tb_top #(
    // clock frequency in Hz
    parameter CLK_HZ = 50_000_000,
    // line rate in bits per second
    parameter BAUD = 5_000_000,
    // bridge silence timeout in clocks
    parameter TIMEOUT_CLOCKS = CLK_HZ / 10
) (
    input  wire        clk,
    input  wire        rst,

    input  wire        uart_rxd,
    output wire        uart_txd,

    // extra ack delay for the next access, sampled with the core's ack
    input  wire [1:0]  ack_extra,

    // bus as seen by the core, for the testbench to watch
    output wire        mon_en,
    output wire        mon_we,
    output wire [15:0] mon_addr,
    output wire [31:0] mon_wdata,

    output wire [15:0] stat_rx_errors,
    output wire [15:0] stat_crc_errors,
    output wire [15:0] stat_timeouts,
    output wire [15:0] stat_replays
);

wire        reg_en;
wire        reg_we;
wire [15:0] reg_addr;
wire [31:0] reg_wdata;
wire        core_ack;
wire [31:0] core_rdata;

reg         pending_reg = 1'b0;
reg [1:0]   count_reg = 2'd0;
reg [31:0]  rdata_reg = 32'd0;

wire        bridge_ack   = (core_ack && ack_extra == 2'd0) || (pending_reg && count_reg == 2'd1);
wire [31:0] bridge_rdata = pending_reg ? rdata_reg : core_rdata;

assign mon_en    = reg_en;
assign mon_we    = reg_we;
assign mon_addr  = reg_addr;
assign mon_wdata = reg_wdata;

always @(posedge clk) begin
    if (core_ack && ack_extra != 2'd0) begin
        pending_reg <= 1'b1;
        count_reg   <= ack_extra;
        rdata_reg   <= core_rdata;
    end else if (pending_reg) begin
        count_reg <= count_reg - 2'd1;
        if (count_reg == 2'd1) begin
            pending_reg <= 1'b0;
        end
    end
    if (rst) begin
        pending_reg <= 1'b0;
    end
end

sipnic_uart_bridge #(
    .CLK_HZ(CLK_HZ),
    .BAUD(BAUD),
    .TIMEOUT_CLOCKS(TIMEOUT_CLOCKS)
) sipnic_uart_bridge_inst (
    .clk(clk),
    .rst(rst),
    .uart_rxd(uart_rxd),
    .uart_txd(uart_txd),
    .reg_en(reg_en),
    .reg_we(reg_we),
    .reg_addr(reg_addr),
    .reg_wdata(reg_wdata),
    .reg_ack(bridge_ack),
    .reg_rdata(bridge_rdata),
    .stat_rx_errors(stat_rx_errors),
    .stat_crc_errors(stat_crc_errors),
    .stat_timeouts(stat_timeouts),
    .stat_replays(stat_replays)
);

/* verilator lint_off PINCONNECTEMPTY */
sipnic_core #(
    .DATA_WIDTH(8),
    .QUEUES(2),
    .FLOW_ENTRIES(256),
    .LISTEN_ENTRIES(8),
    .MAX_FRAME(1518),
    .INGRESS_FIFO_BYTES(2048),
    .QUEUE_FIFO_BYTES(2048),
    // NOW_MS stands still: the burst-vs-single-reads check reads every register twice
    .CLOCKS_PER_MS(1 << 30)
) sipnic_core_inst (
    .clk(clk),
    .rst(rst),
    .s_axis_tdata(8'd0),
    .s_axis_tkeep(1'b0),
    .s_axis_tvalid(1'b0),
    .s_axis_tready(),
    .s_axis_tlast(1'b0),
    .tx_axis_tdata(8'd0),
    .tx_axis_tkeep(1'b0),
    .tx_axis_tvalid(1'b0),
    .tx_axis_tlast(1'b0),
    .tx_processor(5'd0),
    .m_axis_tdata(),
    .m_axis_tkeep(),
    .m_axis_tvalid(),
    .m_axis_tready(2'b11),
    .m_axis_tlast(),
    .m_axis_tuser(),
    .drop_valid(),
    .drop_id(),
    .drop_reason(),
    .reg_en(reg_en),
    .reg_we(reg_we),
    .reg_addr(reg_addr),
    .reg_wdata(reg_wdata),
    .reg_ack(core_ack),
    .reg_rdata(core_rdata)
);
/* verilator lint_on PINCONNECTEMPTY */

endmodule

`resetall
