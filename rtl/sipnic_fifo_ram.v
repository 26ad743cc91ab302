`resetall
`timescale 1ns / 1ps
`default_nettype none

// Simple dual-port RAM: one write port, one read port with a registered output
// (block-RAM inferable; the read register holds its value while rd_en is low)
module sipnic_fifo_ram #(
    // word width in bits
    parameter WIDTH = 8,
    // address width in bits; depth is 2**ADDR_WIDTH words
    parameter ADDR_WIDTH = 10
) (
    input  wire                  clk,

    input  wire                  wr_en,
    input  wire [ADDR_WIDTH-1:0] wr_addr,
    input  wire [WIDTH-1:0]      wr_data,

    input  wire                  rd_en,
    input  wire [ADDR_WIDTH-1:0] rd_addr,
    output wire [WIDTH-1:0]      rd_data
);

reg [WIDTH-1:0] mem[(2**ADDR_WIDTH)-1:0];
reg [WIDTH-1:0] rd_data_reg;

assign rd_data = rd_data_reg;

always @(posedge clk) begin
    if (wr_en) begin
        mem[wr_addr] <= wr_data;
    end
    if (rd_en) begin
        rd_data_reg <= mem[rd_addr];
    end
end

endmodule

`resetall
