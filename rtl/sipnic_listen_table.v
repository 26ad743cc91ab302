`resetall
`timescale 1ns / 1ps
`default_nettype none

// Listen table: LISTEN_ENTRIES registers {valid, family, protocol, dst slot, dst port, action},
// parallel compare, lowest index wins; TCP matches only SYN without ACK
module sipnic_listen_table #(
    // number of listen entries
    parameter LISTEN_ENTRIES = 32,
    // entry index width
    parameter INDEX_WIDTH = $clog2(LISTEN_ENTRIES)
) (
    input  wire                   clk,
    input  wire                   rst,

    /*
     * Write/read port (register file)
     */
    input  wire                   wr_en,
    input  wire [INDEX_WIDTH-1:0] wr_index,
    input  wire                   wr_valid,
    input  wire                   wr_ipv6,
    input  wire                   wr_udp,
    input  wire [3:0]             wr_slot,
    input  wire [15:0]            wr_port,
    input  wire [7:0]             wr_action,
    input  wire [INDEX_WIDTH-1:0] rd_index,
    output wire                   rd_valid,
    output wire                   rd_ipv6,
    output wire                   rd_udp,
    output wire [3:0]             rd_slot,
    output wire [15:0]            rd_port,
    output wire [7:0]             rd_action,

    /*
     * Match (combinational)
     */
    input  wire                   match_en,
    input  wire                   match_ipv6,
    input  wire                   match_udp,
    input  wire [3:0]             match_slot,
    input  wire [15:0]            match_port,
    input  wire                   match_syn,
    input  wire                   match_ack,
    output wire                   match_hit,
    output wire [7:0]             match_action
);

initial begin
    if (LISTEN_ENTRIES < 1 || (2**INDEX_WIDTH) < LISTEN_ENTRIES) begin
        $error("Error: bad LISTEN_ENTRIES/INDEX_WIDTH (instance %m)");
        $finish;
    end
end

reg [LISTEN_ENTRIES-1:0] valid_reg = 0;
reg [LISTEN_ENTRIES-1:0] ipv6_reg;
reg [LISTEN_ENTRIES-1:0] udp_reg;
reg [3:0] slot_reg[LISTEN_ENTRIES-1:0];
reg [15:0] port_reg[LISTEN_ENTRIES-1:0];
reg [7:0] action_reg[LISTEN_ENTRIES-1:0];
// copy for the register file's read-back (distributed RAM: no wide read mux over the registers)
reg [30:0] shadow[(2**INDEX_WIDTH)-1:0];

reg [LISTEN_ENTRIES-1:0] match;
reg [7:0] action;
integer i;

// lowest matching entry, one-hot
wire [LISTEN_ENTRIES-1:0] first = match & (~match + 1'b1);

localparam [INDEX_WIDTH:0] ENTRIES_W = LISTEN_ENTRIES[INDEX_WIDTH:0];

wire rd_in_range = {1'b0, rd_index} < ENTRIES_W;
wire wr_in_range = {1'b0, wr_index} < ENTRIES_W;
wire flags_ok = match_udp || (match_syn && !match_ack);

// the copy is not reset: an entry reads back only while its valid bit is set
wire rd_live = rd_in_range && valid_reg[rd_index];
wire [30:0] rd_word = rd_live ? shadow[rd_index] : 31'd0;

assign rd_valid = rd_word[30];
assign rd_ipv6 = rd_word[29];
assign rd_udp = rd_word[28];
assign rd_slot = rd_word[27:24];
assign rd_port = rd_word[23:8];
assign rd_action = rd_word[7:0];
assign match_hit = match_en && flags_ok && |match;
assign match_action = action;

always @* begin
    action = 8'd0;
    for (i = 0; i < LISTEN_ENTRIES; i = i + 1) begin
        match[i] = valid_reg[i] && ipv6_reg[i] == match_ipv6 && udp_reg[i] == match_udp &&
            slot_reg[i] == match_slot && port_reg[i] == match_port;
    end
    for (i = 0; i < LISTEN_ENTRIES; i = i + 1) begin
        if (first[i]) begin
            action = action | action_reg[i];
        end
    end
end

always @(posedge clk) begin
    if (wr_en && wr_in_range) begin
        valid_reg[wr_index] <= wr_valid;
        ipv6_reg[wr_index] <= wr_ipv6;
        udp_reg[wr_index] <= wr_udp;
        slot_reg[wr_index] <= wr_slot;
        port_reg[wr_index] <= wr_port;
        action_reg[wr_index] <= wr_action;
    end
    if (wr_en) begin
        shadow[wr_index] <= {wr_valid && wr_in_range, wr_ipv6, wr_udp, wr_slot, wr_port, wr_action};
    end

    if (rst) begin
        valid_reg <= 0;
    end
end

endmodule

`resetall
