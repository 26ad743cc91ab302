`resetall
`timescale 1ns / 1ps
`default_nettype none

// Cluster address slots: ADDR_SLOTS x {valid, family, 128-bit address}, parallel compare;
// the lowest matching slot wins (the host keeps slots distinct)
module sipnic_addr_table #(
    // number of address slots (at most 16: the slot index is 4 bits)
    parameter ADDR_SLOTS = 16
) (
    input  wire         clk,
    input  wire         rst,

    /*
     * Write/read port (register file)
     */
    input  wire         wr_en,
    input  wire [3:0]   wr_slot,
    input  wire         wr_valid,
    input  wire         wr_ipv6,
    input  wire [127:0] wr_addr,
    input  wire [3:0]   rd_slot,
    output wire         rd_valid,
    output wire         rd_ipv6,
    output wire [127:0] rd_addr,

    /*
     * Match (combinational)
     */
    input  wire         match_ipv6,
    input  wire [127:0] match_addr,
    output wire         match_hit,
    output wire [3:0]   match_slot
);

initial begin
    if (ADDR_SLOTS < 1 || ADDR_SLOTS > 16) begin
        $error("Error: ADDR_SLOTS must be 1..16 (instance %m)");
        $finish;
    end
end

localparam [4:0] SLOTS = ADDR_SLOTS[4:0];
localparam SW = (ADDR_SLOTS > 1) ? $clog2(ADDR_SLOTS) : 1;

reg [ADDR_SLOTS-1:0] valid_reg = 0;
reg [ADDR_SLOTS-1:0] ipv6_reg = 0;
reg [127:0] addr_reg[ADDR_SLOTS-1:0];
// read-back: up to 2 slots straight from the registers (a 2:1 mux and the live gate fit one
// LUT4 per bit); more slots from a copy in distributed RAM (no wide read mux over the registers)
localparam RD_FROM_REGS = ADDR_SLOTS <= 2;

reg [ADDR_SLOTS-1:0] match;
reg [3:0] slot;
integer i;

// lowest matching slot, one-hot
wire [ADDR_SLOTS-1:0] first = match & (~match + 1'b1);

wire rd_in_range = {1'b0, rd_slot} < SLOTS;

// an entry reads back only while its valid bit is set (the copy is not reset)
wire rd_live = rd_in_range && valid_reg[rd_slot[SW-1:0]];
wire [129:0] rd_word;

generate
    if (RD_FROM_REGS) begin : rd_regs
        assign rd_word = rd_live ? {1'b1, ipv6_reg[rd_slot[SW-1:0]], addr_reg[rd_slot[SW-1:0]]} : 130'd0;
    end else begin : rd_copy
        reg [129:0] shadow[15:0];

        always @(posedge clk) begin
            if (wr_en) begin
                shadow[wr_slot] <= {wr_valid && {1'b0, wr_slot} < SLOTS, wr_ipv6, wr_addr};
            end
        end

        assign rd_word = rd_live ? shadow[rd_slot] : 130'd0;
    end
endgenerate

assign rd_valid = rd_word[129];
assign rd_ipv6 = rd_word[128];
assign rd_addr = rd_word[127:0];
assign match_hit = |match;
assign match_slot = slot;

always @* begin
    slot = 4'd0;
    for (i = 0; i < ADDR_SLOTS; i = i + 1) begin
        match[i] = valid_reg[i] && ipv6_reg[i] == match_ipv6 && addr_reg[i] == match_addr;
    end
    for (i = 0; i < ADDR_SLOTS; i = i + 1) begin
        if (first[i]) begin
            slot = slot | i[3:0];
        end
    end
end

always @(posedge clk) begin
    if (wr_en && {1'b0, wr_slot} < SLOTS) begin
        valid_reg[wr_slot[SW-1:0]] <= wr_valid;
        ipv6_reg[wr_slot[SW-1:0]] <= wr_ipv6;
        addr_reg[wr_slot[SW-1:0]] <= wr_addr;
    end

    if (rst) begin
        valid_reg <= 0;
        ipv6_reg <= 0;
    end
end

endmodule

`resetall
