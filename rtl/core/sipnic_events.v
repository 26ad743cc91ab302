`resetall
`timescale 1ns / 1ps
`default_nettype none

/*
 * Event queue of the learning engine (flow block EVENT_* registers, docs/registers.md): what the
 * adapter did to its own table, in order, for the host to follow.
 *
 *   - table records (learned, aged): written while ENABLE; one that meets a full queue is lost
 *     and counted in EVENT_OVERFLOW, after which the host walks the table again
 *   - refusal records: written while REFUSALS and the queue is at most half full, else counted
 *     in EVENT_SKIPPED, so a flood of refused SYNs never pushes a table record out; a table
 *     record in the same clock wins; refusals without a kept key (r_more) are counted only
 *   - EVENT_DATA reads the head record a word at a time; the read of its last word pops it
 *
 * The queue is a block RAM whose read register is the head record: the read that pops one
 * record loads the next in the same clock, so back-to-back reads never see a gap. Capacity is
 * DEPTH in the RAM plus the head.
 */
module sipnic_events #(
    // flow key bits: {family, protocol, address slot[3:0], source address, ports[31:0]}
    parameter KEY_WIDTH = 166,
    // records in the RAM (power of two)
    parameter DEPTH = 512
) (
    input  wire                 clk,
    input  wire                 rst,

    /*
     * Table record: learned (type 1) or aged (type 2, detail = the entry's state)
     */
    input  wire                 t_valid,
    input  wire [1:0]           t_type,
    input  wire [1:0]           t_detail,
    input  wire [7:0]           t_action,
    input  wire [KEY_WIDTH-1:0] t_key,

    /*
     * Refusal record (type 3, detail = the reason)
     */
    input  wire                 r_valid,
    input  wire [1:0]           r_detail,
    input  wire [7:0]           r_action,
    input  wire [KEY_WIDTH-1:0] r_key,
    // refusals in the same clock that have no record (no key kept, or a second one)
    input  wire [1:0]           r_more,

    /*
     * Registers (flow block offsets, EVENT_CONTROL..EVENT_SKIPPED)
     */
    input  wire                 reg_wr,
    input  wire                 reg_rd,
    input  wire [7:0]           reg_addr,
    input  wire [31:0]          reg_wdata,
    output reg  [31:0]          reg_rdata
);

/* verilator lint_off UNUSEDPARAM */
`include "sipnic_regs.vh"
/* verilator lint_on UNUSEDPARAM */

localparam AW = $clog2(DEPTH);
localparam SRC_WIDTH = KEY_WIDTH - 38;
localparam REC_WIDTH = 12 + KEY_WIDTH;
localparam integer DEPTH_I = DEPTH;
localparam [AW:0] DEPTH_P = DEPTH_I[AW:0];
localparam [AW:0] HALF_P = DEPTH_P >> 1;
localparam integer CAPACITY_I = DEPTH + 1;
localparam [31:0] CAPACITY = CAPACITY_I;
localparam [1:0] TYPE_REFUSED = FLD_FLOW_EVENT_DATA_TYPE_REFUSED[1:0];

initial begin
    if (DEPTH < 4 || 2**AW != DEPTH) begin
        $error("Error: DEPTH must be a power of two, at least 4 (instance %m)");
        $finish;
    end
    if (SRC_WIDTH != 32 && SRC_WIDTH != 128) begin
        $error("Error: KEY_WIDTH must be 70 (IPv4) or 166 (IPv6) (instance %m)");
        $finish;
    end
end

reg enable_reg = 1'b0, refusals_reg = 1'b0;
reg [AW:0] wr_ptr_reg = {(AW+1){1'b0}}, rd_ptr_reg = {(AW+1){1'b0}};
reg head_ok_reg = 1'b0;      // the RAM's read register holds the head record
reg [2:0] word_reg = 3'd0;   // the head record's next word
reg [31:0] overflow_reg = 32'd0, skipped_reg = 32'd0;

wire [AW:0] used = wr_ptr_reg - rd_ptr_reg;
wire wr_control = reg_wr && reg_addr == REG_FLOW_EVENT_CONTROL[7:0];
wire flush = wr_control && !reg_wdata[FLD_FLOW_EVENT_CONTROL_ENABLE_SHIFT];

wire t_on = t_valid && enable_reg;
wire r_on = r_valid && enable_reg && refusals_reg;
wire t_write = t_on && used != DEPTH_P;
wire r_write = r_on && !t_on && used < HALF_P;
wire wr_en = (t_write || r_write) && !flush;
wire [REC_WIDTH-1:0] wr_rec = t_on ? {t_type, t_detail, t_action, t_key} : {TYPE_REFUSED, r_detail, r_action, r_key};

// the head record
wire [REC_WIDTH-1:0] head;
wire [1:0] h_type = head[REC_WIDTH-1 -: 2];
wire [1:0] h_detail = head[REC_WIDTH-3 -: 2];
wire [7:0] h_action = head[KEY_WIDTH +: 8];
wire [5:0] h_flags = head[KEY_WIDTH-1 -: 6];  // {family, protocol, slot}: the flow key's top bits (sipnic_regfile cmd_key, sipnic_steer lookup_key)
wire [127:0] h_src = {{(128-SRC_WIDTH){1'b0}}, head[32 +: SRC_WIDTH]};
wire [31:0] h_ports = head[31:0];
wire h_ipv6 = h_flags[5];
wire [2:0] h_last = h_ipv6 ? 3'd5 : 3'd2;

wire data_rd = reg_rd && reg_addr == REG_FLOW_EVENT_DATA[7:0] && head_ok_reg;
wire pop = data_rd && word_reg == h_last;
wire load = (!head_ok_reg || pop) && used != {(AW+1){1'b0}} && !flush;

sipnic_ram_sdp #(
    .WIDTH(REC_WIDTH),
    .ADDR_WIDTH(AW),
    .DEPTH(DEPTH)
)
sipnic_ram_sdp_inst (
    .clk(clk),
    .wr_en(wr_en),
    .wr_addr(wr_ptr_reg[AW-1:0]),
    .wr_data(wr_rec),
    .rd_en(load),
    .rd_addr(rd_ptr_reg[AW-1:0]),
    .rd_data(head)
);

always @(posedge clk) begin
    if (wr_control) begin
        enable_reg <= reg_wdata[FLD_FLOW_EVENT_CONTROL_ENABLE_SHIFT];
        refusals_reg <= reg_wdata[FLD_FLOW_EVENT_CONTROL_REFUSALS_SHIFT];
    end
    if (wr_en) begin
        wr_ptr_reg <= wr_ptr_reg + 1'b1;
    end
    if (load) begin
        rd_ptr_reg <= rd_ptr_reg + 1'b1;
        head_ok_reg <= 1'b1;
    end else if (pop) begin
        head_ok_reg <= 1'b0;
    end
    if (pop) begin
        word_reg <= 3'd0;
    end else if (data_rd) begin
        word_reg <= word_reg + 3'd1;
    end
    if (t_on && !t_write) begin
        overflow_reg <= overflow_reg + 1'b1;
    end
    if (enable_reg && refusals_reg && (r_more != 2'd0 || (r_valid && !r_write))) begin
        skipped_reg <= skipped_reg + {30'd0, r_more} + {31'd0, r_valid && !r_write};
    end
    if (flush) begin
        rd_ptr_reg <= wr_ptr_reg;
        head_ok_reg <= 1'b0;
        word_reg <= 3'd0;
    end
    if (rst) begin
        enable_reg <= 1'b0;
        refusals_reg <= 1'b0;
        wr_ptr_reg <= {(AW+1){1'b0}};
        rd_ptr_reg <= {(AW+1){1'b0}};
        head_ok_reg <= 1'b0;
        word_reg <= 3'd0;
        overflow_reg <= 32'd0;
        skipped_reg <= 32'd0;
    end
end

// EVENT_DATA's words
reg [31:0] word0, data_word;

always @* begin
    word0 = 32'd0;
    word0[FLD_FLOW_EVENT_DATA_VALID_SHIFT] = 1'b1;
    word0[FLD_FLOW_EVENT_DATA_TYPE_SHIFT +: FLD_FLOW_EVENT_DATA_TYPE_WIDTH] = h_type;
    word0[FLD_FLOW_EVENT_DATA_DETAIL_SHIFT +: FLD_FLOW_EVENT_DATA_DETAIL_WIDTH] = h_detail;
    word0[FLD_FLOW_EVENT_DATA_ACTION_SHIFT +: FLD_FLOW_EVENT_DATA_ACTION_WIDTH] = h_action;
    word0[FLD_FLOW_EVENT_DATA_WORDS_SHIFT +: FLD_FLOW_EVENT_DATA_WORDS_WIDTH] = {1'b0, h_last};
    word0[FSET_KEY_FLAGS_FAMILY_SHIFT +: FSET_KEY_FLAGS_FAMILY_WIDTH] = h_flags[5];
    word0[FSET_KEY_FLAGS_PROTO_SHIFT +: FSET_KEY_FLAGS_PROTO_WIDTH] = h_flags[4];
    word0[FSET_KEY_FLAGS_ADDR_SLOT_SHIFT +: FSET_KEY_FLAGS_ADDR_SLOT_WIDTH] = h_flags[3:0];
    data_word = 32'd0;
    if (head_ok_reg) begin
        case (word_reg)
            3'd0: data_word = word0;
            3'd1: begin
                data_word[FSET_PORTS_SRC_PORT_SHIFT +: FSET_PORTS_SRC_PORT_WIDTH] = h_ports[31:16];
                data_word[FSET_PORTS_DST_PORT_SHIFT +: FSET_PORTS_DST_PORT_WIDTH] = h_ports[15:0];
            end
            // IPv4: the address in word 2; IPv6: its four words, high first
            3'd2: data_word = h_ipv6 ? h_src[127:96] : h_src[31:0];
            3'd3: data_word = h_src[95:64];
            3'd4: data_word = h_src[63:32];
            default: data_word = h_src[31:0];
        endcase
    end
end

always @* begin
    case (reg_addr)
        REG_FLOW_EVENT_CONTROL[7:0]: begin
            reg_rdata = 32'd0;
            reg_rdata[FLD_FLOW_EVENT_CONTROL_ENABLE_SHIFT] = enable_reg;
            reg_rdata[FLD_FLOW_EVENT_CONTROL_REFUSALS_SHIFT] = refusals_reg;
        end
        REG_FLOW_EVENT_DATA[7:0]: reg_rdata = data_word;
        REG_FLOW_EVENT_PENDING[7:0]: reg_rdata = {{(31-AW){1'b0}}, used} + {31'd0, head_ok_reg};
        REG_FLOW_EVENT_DEPTH[7:0]: reg_rdata = CAPACITY;
        REG_FLOW_EVENT_OVERFLOW[7:0]: reg_rdata = overflow_reg;
        REG_FLOW_EVENT_SKIPPED[7:0]: reg_rdata = skipped_reg;
        default: reg_rdata = 32'd0;
    endcase
end

endmodule

`resetall
