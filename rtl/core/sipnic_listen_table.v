`resetall
`timescale 1ns / 1ps
`default_nettype none

// Listen table: LISTEN_ENTRIES registers {valid, family, protocol, dst slot, dst port, action},
// parallel compare, lowest index wins; TCP matches only SYN without ACK.
// Shared ports: an action byte 8'b10gg_gggg (encoding GROUP_ACTION) names queue group g, a table
// of 8 actions (like a NIC's RSS indirection table); the frame takes the one in slot match_hash. The tables are kept as
// 8 small RAMs, one per slot, indexed by group: a group is written whole in one clock, and
// the winning entry's group reads its 8 slots at once for a select by the hash.
//
//   action byte: 0qqq_qqqq queue q | 10gg_gggg group g | 1111_1111 drop
module sipnic_listen_table #(
    // number of listen entries
    parameter LISTEN_ENTRIES = 32,
    // entry index width
    parameter INDEX_WIDTH = $clog2(LISTEN_ENTRIES),
    // number of queue groups, 1..64
    parameter GROUPS = 8,
    // group index width
    parameter GROUP_INDEX_WIDTH = (GROUPS > 1) ? $clog2(GROUPS) : 1
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
    input  wire                   wr_learn,
    input  wire [INDEX_WIDTH-1:0] rd_index,
    output wire                   rd_valid,
    output wire                   rd_ipv6,
    output wire                   rd_udp,
    output wire [3:0]             rd_slot,
    output wire [15:0]            rd_port,
    output wire [7:0]             rd_action,
    output wire                   rd_learn,

    /*
     * Group write/read port (register file): slot i is wr_group_data[8*i +: 8]
     */
    input  wire                         wr_group_en,
    input  wire [GROUP_INDEX_WIDTH-1:0] wr_group_index,
    input  wire [63:0]                  wr_group_data,
    input  wire [GROUP_INDEX_WIDTH-1:0] rd_group_index,
    output wire [63:0]                  rd_group_data,

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
    input  wire [2:0]             match_hash,
    output wire                   match_hit,
    output wire [7:0]             match_action,
    output wire                   match_learn
);

/* verilator lint_off UNUSEDPARAM */
`include "sipnic_regs.vh"
/* verilator lint_on UNUSEDPARAM */

initial begin
    if (LISTEN_ENTRIES < 1 || (2**INDEX_WIDTH) < LISTEN_ENTRIES) begin
        $error("Error: bad LISTEN_ENTRIES/INDEX_WIDTH (instance %m)");
        $finish;
    end
    if (GROUPS < 1 || GROUPS > 2**ENC_GROUP_ACTION_GROUP_WIDTH || (2**GROUP_INDEX_WIDTH) < GROUPS) begin
        $error("Error: GROUPS must be 1..64 (instance %m)");
        $finish;
    end
end

reg [LISTEN_ENTRIES-1:0] valid_reg = 0;
reg [LISTEN_ENTRIES-1:0] ipv6_reg;
reg [LISTEN_ENTRIES-1:0] udp_reg;
reg [3:0] slot_reg[LISTEN_ENTRIES-1:0];
reg [15:0] port_reg[LISTEN_ENTRIES-1:0];
reg [7:0] action_reg[LISTEN_ENTRIES-1:0];
reg [LISTEN_ENTRIES-1:0] learn_reg = 0;
// copy for the register file's read-back (distributed RAM: no wide read mux over the registers)
reg [31:0] shadow[(2**INDEX_WIDTH)-1:0];

// queue groups: a copy of every table for the read-back (the match reads the slot RAMs below)
reg [63:0] group_shadow[(2**GROUP_INDEX_WIDTH)-1:0];

reg [LISTEN_ENTRIES-1:0] match;
reg [7:0] action;
reg [7:0] resolved;
wire [63:0] group_slots;
integer i;

// lowest matching entry, one-hot
wire [LISTEN_ENTRIES-1:0] first = match & (~match + 1'b1);

localparam [INDEX_WIDTH:0] ENTRIES_W = LISTEN_ENTRIES[INDEX_WIDTH:0];

localparam [7:0] GROUPS_B = GROUPS[7:0];

wire rd_in_range = {1'b0, rd_index} < ENTRIES_W;
wire wr_in_range = {1'b0, wr_index} < ENTRIES_W;
wire flags_ok = match_udp || (match_syn && !match_ack);

// the copy is not reset: an entry reads back only while its valid bit is set
wire rd_live = rd_in_range && valid_reg[rd_index];
wire [31:0] rd_word = rd_live ? shadow[rd_index] : 32'd0;

assign rd_valid = rd_word[30];
assign rd_ipv6 = rd_word[29];
assign rd_udp = rd_word[28];
assign rd_slot = rd_word[27:24];
assign rd_port = rd_word[23:8];
assign rd_action = rd_word[7:0];
assign rd_learn = rd_word[31];
assign match_learn = |(first & learn_reg);
assign match_hit = match_en && flags_ok && |match;
assign match_action = resolved;
assign rd_group_data = group_shadow[rd_group_index];

// the first entry's action names a group: its number, and whether the adapter has it
wire action_group = action[ENC_GROUP_ACTION_TAG_SHIFT +: ENC_GROUP_ACTION_TAG_WIDTH] == ENC_GROUP_ACTION_TAG_GROUP;
wire group_in_range = {2'b00, action[ENC_GROUP_ACTION_GROUP_SHIFT +: ENC_GROUP_ACTION_GROUP_WIDTH]} < GROUPS_B;
wire [GROUP_INDEX_WIDTH-1:0] group_index = action[ENC_GROUP_ACTION_GROUP_SHIFT +: GROUP_INDEX_WIDTH];

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

// slot s of every group (distributed RAM, read at the winning entry's group)
genvar s;
generate
    for (s = 0; s < 8; s = s + 1) begin : group_slot
        reg [7:0] mem[(2**GROUP_INDEX_WIDTH)-1:0];

        always @(posedge clk) begin
            if (wr_group_en) begin
                mem[wr_group_index] <= wr_group_data[8*s +: 8];
            end
        end

        assign group_slots[8*s +: 8] = mem[group_index];
    end
endgenerate

always @* begin
    if (!action_group) begin
        resolved = action;
    end else if (group_in_range) begin
        case (match_hash)
            3'd0: resolved = group_slots[7:0];
            3'd1: resolved = group_slots[15:8];
            3'd2: resolved = group_slots[23:16];
            3'd3: resolved = group_slots[31:24];
            3'd4: resolved = group_slots[39:32];
            3'd5: resolved = group_slots[47:40];
            3'd6: resolved = group_slots[55:48];
            default: resolved = group_slots[63:56];
        endcase
    end else begin
        // not written by the register file; a queue no adapter has
        resolved = ENC_ACTION_QUEUE_MASK;
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
        learn_reg[wr_index] <= wr_learn;
    end
    if (wr_en) begin
        shadow[wr_index] <= {wr_learn, wr_valid && wr_in_range, wr_ipv6, wr_udp, wr_slot, wr_port, wr_action};
    end
    if (wr_group_en) begin
        group_shadow[wr_group_index] <= wr_group_data;
    end

    if (rst) begin
        valid_reg <= 0;
    end
end

endmodule

`resetall
