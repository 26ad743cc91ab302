`resetall
`timescale 1ns / 1ps
`default_nettype none

/*
 * AXI-stream output register: one register stage (data, keep, last, valid) with the input
 * ready while the register is empty or the consumer takes its word, so a stream moves at one
 * word per clock while the consumer is ready. No combinational path from the output to the
 * output; s_axis_tready depends on m_axis_tready.
 */
module sipnic_axis_reg #(
    // stream width in bits
    parameter DATA_WIDTH = 64,
    // tkeep width
    parameter KEEP_WIDTH = DATA_WIDTH/8
) (
    input  wire                  clk,
    input  wire                  rst,

    input  wire [DATA_WIDTH-1:0] s_axis_tdata,
    input  wire [KEEP_WIDTH-1:0] s_axis_tkeep,
    input  wire                  s_axis_tvalid,
    output wire                  s_axis_tready,
    input  wire                  s_axis_tlast,

    output wire [DATA_WIDTH-1:0] m_axis_tdata,
    output wire [KEEP_WIDTH-1:0] m_axis_tkeep,
    output wire                  m_axis_tvalid,
    input  wire                  m_axis_tready,
    output wire                  m_axis_tlast
);

reg [DATA_WIDTH-1:0] m_tdata_reg = {DATA_WIDTH{1'b0}};
reg [KEEP_WIDTH-1:0] m_tkeep_reg = {KEEP_WIDTH{1'b0}};
reg                  m_tvalid_reg = 1'b0;
reg                  m_tlast_reg = 1'b0;

assign s_axis_tready = !m_tvalid_reg || m_axis_tready;

always @(posedge clk) begin
    if (m_axis_tready) begin
        m_tvalid_reg <= 1'b0;
    end
    if (s_axis_tvalid && s_axis_tready) begin
        m_tdata_reg <= s_axis_tdata;
        m_tkeep_reg <= s_axis_tkeep;
        m_tlast_reg <= s_axis_tlast;
        m_tvalid_reg <= 1'b1;
    end
    if (rst) begin
        m_tvalid_reg <= 1'b0;
    end
end

assign m_axis_tdata = m_tdata_reg;
assign m_axis_tkeep = m_tkeep_reg;
assign m_axis_tvalid = m_tvalid_reg;
assign m_axis_tlast = m_tlast_reg;

endmodule

`resetall
