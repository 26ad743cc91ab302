`resetall
`timescale 1ns / 1ps
`default_nettype none

// First-word-fall-through FIFO in a block RAM: the RAM's read register is the output stage
// (one word per clock; a word written at clock t is at the output at t+2 when empty)
module sipnic_ram_fifo #(
    // word width in bits
    parameter WIDTH = 8,
    // address width in bits; depth is 2**ADDR_WIDTH words
    parameter ADDR_WIDTH = 10
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

reg [ADDR_WIDTH:0] wr_ptr_reg = 0, wr_ptr_next;
reg [ADDR_WIDTH:0] rd_ptr_reg = 0, rd_ptr_next;
reg out_valid_reg = 1'b0, out_valid_next;
reg rd_en;

wire full  = wr_ptr_reg == (rd_ptr_reg ^ {1'b1, {ADDR_WIDTH{1'b0}}});
wire empty = wr_ptr_reg == rd_ptr_reg;
wire write = s_valid && !full;

assign s_ready = !full;
assign m_valid = out_valid_reg;

always @* begin
    wr_ptr_next = wr_ptr_reg;
    rd_ptr_next = rd_ptr_reg;
    out_valid_next = out_valid_reg;
    rd_en = 1'b0;

    if (write) begin
        wr_ptr_next = wr_ptr_reg + 1;
    end

    if (m_ready || !out_valid_reg) begin
        if (!empty) begin
            rd_en = 1'b1;
            rd_ptr_next = rd_ptr_reg + 1;
            out_valid_next = 1'b1;
        end else begin
            out_valid_next = 1'b0;
        end
    end
end

always @(posedge clk) begin
    wr_ptr_reg <= wr_ptr_next;
    rd_ptr_reg <= rd_ptr_next;
    out_valid_reg <= out_valid_next;

    if (rst) begin
        wr_ptr_reg <= 0;
        rd_ptr_reg <= 0;
        out_valid_reg <= 1'b0;
    end
end

sipnic_ram_sdp #(
    .WIDTH(WIDTH),
    .ADDR_WIDTH(ADDR_WIDTH)
)
ram_inst (
    .clk(clk),
    .wr_en(write),
    .wr_addr(wr_ptr_reg[ADDR_WIDTH-1:0]),
    .wr_data(s_data),
    .rd_en(rd_en),
    .rd_addr(rd_ptr_reg[ADDR_WIDTH-1:0]),
    .rd_data(m_data)
);

endmodule

`resetall
