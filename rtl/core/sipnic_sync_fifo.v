`resetall
`timescale 1ns / 1ps
`default_nettype none

// Small first-word-fall-through FIFO (distributed RAM, asynchronous read of the head)
module sipnic_sync_fifo #(
    // word width in bits
    parameter WIDTH = 8,
    // address width in bits; depth is 2**ADDR_WIDTH words
    parameter ADDR_WIDTH = 5
) (
    input  wire             clk,
    input  wire             rst,

    input  wire [WIDTH-1:0] s_data,
    input  wire             s_valid,
    output wire             s_ready,

    output wire [WIDTH-1:0] m_data,
    output wire             m_valid,
    input  wire             m_ready
);

reg [WIDTH-1:0] mem[(2**ADDR_WIDTH)-1:0];

reg [ADDR_WIDTH:0] wr_ptr_reg = 0, wr_ptr_next;
reg [ADDR_WIDTH:0] rd_ptr_reg = 0, rd_ptr_next;

wire full  = wr_ptr_reg == (rd_ptr_reg ^ {1'b1, {ADDR_WIDTH{1'b0}}});
wire empty = wr_ptr_reg == rd_ptr_reg;
wire write = s_valid && !full;
wire read  = m_ready && !empty;

assign s_ready = !full;
assign m_valid = !empty;
assign m_data  = mem[rd_ptr_reg[ADDR_WIDTH-1:0]];

always @* begin
    wr_ptr_next = wr_ptr_reg;
    rd_ptr_next = rd_ptr_reg;
    if (write) begin
        wr_ptr_next = wr_ptr_reg + 1;
    end
    if (read) begin
        rd_ptr_next = rd_ptr_reg + 1;
    end
end

always @(posedge clk) begin
    if (write) begin
        mem[wr_ptr_reg[ADDR_WIDTH-1:0]] <= s_data;
    end

    wr_ptr_reg <= wr_ptr_next;
    rd_ptr_reg <= rd_ptr_next;

    if (rst) begin
        wr_ptr_reg <= 0;
        rd_ptr_reg <= 0;
    end
end

endmodule

`resetall
