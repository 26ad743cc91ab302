`resetall
`timescale 1ns / 1ps
`default_nettype none

/*
 * Simple dual-port RAM: one write port, one synchronous read port, one clock. The read
 * register loads only while rd_en is high and otherwise holds its word. A read at the
 * address being written in the same clock returns the old word (users forward around that
 * collision where it matters). Infers block RAM (yosys synth_ecp5: DP16KD). Contents start
 * at zero.
 */
module sipnic_ram_sdp #(
    // bits per word
    parameter WIDTH = 32,
    // address bits
    parameter ADDR_WIDTH = 10,
    // words
    parameter DEPTH = 2**ADDR_WIDTH
) (
    input  wire                  clk,

    // write port
    input  wire                  wr_en,
    input  wire [ADDR_WIDTH-1:0] wr_addr,
    input  wire [WIDTH-1:0]      wr_data,

    // read port: rd_data is the word at rd_addr of the last clock rd_en was high
    input  wire                  rd_en,
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
    if (rd_en) begin
        rd_data_reg <= mem[rd_addr];
    end
end

assign rd_data = rd_data_reg;

endmodule

`resetall
