`resetall
`timescale 1ns / 1ps
`default_nettype none

/*
 * Simple dual-port RAM for the flow table: one write port, one synchronous read port, one
 * clock. A read at the address being written in the same clock returns the old word (the
 * flow table never relies on that word: it forwards around the collision). Infers block RAM
 * (yosys synth_ecp5: DP16KD). Contents start at zero.
 */
module sipnic_flow_ram #(
    // bits per word
    parameter WIDTH = 32,
    // words
    parameter DEPTH = 1024,
    // address bits
    parameter ADDR_WIDTH = $clog2(DEPTH)
) (
    input  wire                  clk,

    // write port
    input  wire                  wr_en,
    input  wire [ADDR_WIDTH-1:0] wr_addr,
    input  wire [WIDTH-1:0]      wr_data,

    // read port: rd_data is the word at rd_addr of the previous clock
    input  wire [ADDR_WIDTH-1:0] rd_addr,
    output wire [WIDTH-1:0]      rd_data
);

initial begin
    if (DEPTH < 2 || DEPTH > (1 << ADDR_WIDTH)) begin
        $error("Error: DEPTH must be 2..2**ADDR_WIDTH (instance %m)");
        $finish;
    end
end

reg [WIDTH-1:0] mem [0:DEPTH-1];
reg [WIDTH-1:0] rd_data_reg = {WIDTH{1'b0}};

integer i;

initial begin
    for (i = 0; i < DEPTH; i = i + 1) begin
        mem[i] = {WIDTH{1'b0}};
    end
end

always @(posedge clk) begin
    if (wr_en) begin
        mem[wr_addr] <= wr_data;
    end
    rd_data_reg <= mem[rd_addr];
end

assign rd_data = rd_data_reg;

endmodule

`resetall
