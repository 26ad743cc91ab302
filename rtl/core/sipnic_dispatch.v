`resetall
`timescale 1ns / 1ps
`default_nettype none

// Dispatcher: takes descriptors in order, reads each delivered frame from the ingress FIFO
// one beat per clock into its queue FIFO, and skips dropped frames in one clock; a frame is
// tail-dropped (queue_full) when its queue FIFO has no room reserved for the whole frame.
// The next descriptor is taken in the clock that issues the last beat: no gap between frames;
// a frame without data (runt/oversize) is taken at any clock. Frame ids count descriptors.
// Reservations reach the queue FIFO two clocks after the decision: a frame is >= 2 beats.
module sipnic_dispatch #(
    // stream width in bits
    parameter DATA_WIDTH = 64,
    // tkeep width
    parameter KEEP_WIDTH = DATA_WIDTH/8,
    // number of queues
    parameter QUEUES = 8,
    // queue index width
    parameter QUEUE_WIDTH = $clog2(QUEUES),
    // width of frame lengths
    parameter LEN_WIDTH = 14,
    // ingress FIFO address width (beats)
    parameter FIFO_ADDR_WIDTH = 11,
    // queue FIFO address width (beats)
    parameter QUEUE_ADDR_WIDTH = 11
) (
    input  wire                            clk,
    input  wire                            rst,

    /*
     * Descriptors
     */
    input  wire                            s_desc_valid,
    output wire                            s_desc_ready,
    input  wire [LEN_WIDTH-1:0]            s_desc_len,
    input  wire                            s_desc_drop,
    input  wire [3:0]                      s_desc_reason,
    input  wire [QUEUE_WIDTH-1:0]          s_desc_queue,

    /*
     * Ingress FIFO read port (data appears on the RAM output one clock after rd_en)
     */
    output wire                            fifo_rd_en,
    output wire [FIFO_ADDR_WIDTH-1:0]      fifo_rd_addr,
    output wire [FIFO_ADDR_WIDTH:0]        fifo_rd_ptr,

    /*
     * Queue FIFOs: space reservation and beat writes (data = ingress RAM output)
     */
    input  wire [QUEUES*(QUEUE_ADDR_WIDTH+1)-1:0] q_free,
    output wire [QUEUES-1:0]               q_resv_valid,
    output wire [QUEUE_ADDR_WIDTH:0]       q_resv_beats,
    output wire [31:0]                     q_resv_id,
    output wire [QUEUES-1:0]               q_wr_valid,
    output wire [KEEP_WIDTH-1:0]           q_wr_keep,
    output wire                            q_wr_last,

    /*
     * Drops
     */
    output wire                            drop_valid,
    output wire [31:0]                     drop_id,
    output wire [3:0]                      drop_reason,

    /*
     * Statistics
     */
    output wire                            stat_q_frame,
    output wire [QUEUE_WIDTH-1:0]          stat_q_frame_queue,
    output wire [LEN_WIDTH-1:0]            stat_q_frame_len,
    output wire                            stat_q_drop,
    output wire [QUEUE_WIDTH-1:0]          stat_q_drop_queue
);

/* verilator lint_off UNUSEDPARAM */
`include "sipnic_regs.vh"
/* verilator lint_on UNUSEDPARAM */

localparam KEEP_SHIFT = $clog2(KEEP_WIDTH);
localparam CW0 = (LEN_WIDTH > QUEUE_ADDR_WIDTH+1) ? LEN_WIDTH : QUEUE_ADDR_WIDTH+1;
localparam CW = (CW0 > FIFO_ADDR_WIDTH+1) ? CW0 : FIFO_ADDR_WIDTH+1;
localparam integer KEEP_M1_I = KEEP_WIDTH - 1;
localparam [LEN_WIDTH-1:0] KEEP_M1 = KEEP_M1_I[LEN_WIDTH-1:0];

initial begin
    if ((2**KEEP_SHIFT) != KEEP_WIDTH) begin
        $error("Error: KEEP_WIDTH must be a power of two (instance %m)");
        $finish;
    end
end

reg act_reg = 1'b0, act_next;
reg [QUEUE_WIDTH-1:0] q_reg = 0, q_next;
reg [LEN_WIDTH-1:0] left_reg = 0, left_next;
reg [KEEP_WIDTH-1:0] last_keep_reg = 0, last_keep_next;
reg [FIFO_ADDR_WIDTH:0] rd_ptr_reg = 0, rd_ptr_next;
reg [31:0] id_reg = 0, id_next;

reg [QUEUES-1:0] wr_valid_reg = 0, wr_valid_next;
reg [KEEP_WIDTH-1:0] wr_keep_reg = 0, wr_keep_next;
reg wr_last_reg = 1'b0, wr_last_next;

reg [QUEUES-1:0] resv_valid_reg = 0, resv_valid_next;
reg [QUEUE_ADDR_WIDTH:0] resv_beats_reg = 0, resv_beats_next;
reg [31:0] resv_id_reg = 0, resv_id_next;

reg drop_valid_reg = 1'b0, drop_valid_next;
reg [31:0] drop_id_reg = 0, drop_id_next;
reg [3:0] drop_reason_reg = 0, drop_reason_next;

reg stat_q_frame_reg = 1'b0, stat_q_frame_next;
reg [QUEUE_WIDTH-1:0] stat_q_frame_queue_reg = 0, stat_q_frame_queue_next;
reg [LEN_WIDTH-1:0] stat_q_frame_len_reg = 0, stat_q_frame_len_next;
reg stat_q_drop_reg = 1'b0, stat_q_drop_next;
reg [QUEUE_WIDTH-1:0] stat_q_drop_queue_reg = 0, stat_q_drop_queue_next;

// beats and last-beat keep of the offered descriptor
wire [LEN_WIDTH-1:0] beats = (s_desc_len + KEEP_M1) >> KEEP_SHIFT;
wire [CW-1:0] beats_cw = {{(CW-LEN_WIDTH){1'b0}}, beats};
wire [KEEP_WIDTH-1:0] tail_keep;
reg [QUEUE_ADDR_WIDTH:0] free;
integer i;

always @* begin
    free = 0;
    for (i = 0; i < QUEUES; i = i + 1) begin
        if (s_desc_queue == i[QUEUE_WIDTH-1:0]) begin
            free = q_free[i*(QUEUE_ADDR_WIDTH+1) +: QUEUE_ADDR_WIDTH+1];
        end
    end
end
wire fits = {{(CW-QUEUE_ADDR_WIDTH-1){1'b0}}, free} >= beats_cw;

generate
    if (KEEP_WIDTH == 1) begin : keep1
        assign tail_keep = 1'b1;
    end else begin : keepn
        wire [KEEP_SHIFT-1:0] rem = s_desc_len[KEEP_SHIFT-1:0];
        assign tail_keep = (rem == 0) ? {KEEP_WIDTH{1'b1}} : ~({KEEP_WIDTH{1'b1}} << rem);
    end
endgenerate

wire has_data = s_desc_reason != DROP_RUNT && s_desc_reason != DROP_OVERSIZE;
wire last_issue = act_reg && left_reg == 1;
wire can_load = !act_reg || last_issue || !has_data;

assign s_desc_ready = can_load;

assign fifo_rd_en = act_reg;
assign fifo_rd_addr = rd_ptr_reg[FIFO_ADDR_WIDTH-1:0];
assign fifo_rd_ptr = rd_ptr_reg;

assign q_resv_valid = resv_valid_reg;
assign q_resv_beats = resv_beats_reg;
assign q_resv_id = resv_id_reg;
assign q_wr_valid = wr_valid_reg;
assign q_wr_keep = wr_keep_reg;
assign q_wr_last = wr_last_reg;

assign drop_valid = drop_valid_reg;
assign drop_id = drop_id_reg;
assign drop_reason = drop_reason_reg;

assign stat_q_frame = stat_q_frame_reg;
assign stat_q_frame_queue = stat_q_frame_queue_reg;
assign stat_q_frame_len = stat_q_frame_len_reg;
assign stat_q_drop = stat_q_drop_reg;
assign stat_q_drop_queue = stat_q_drop_queue_reg;

always @* begin
    act_next = act_reg;
    q_next = q_reg;
    left_next = left_reg;
    last_keep_next = last_keep_reg;
    rd_ptr_next = rd_ptr_reg;
    id_next = id_reg;

    wr_valid_next = 0;
    wr_keep_next = {KEEP_WIDTH{1'b1}};
    wr_last_next = 1'b0;

    resv_valid_next = 0;
    resv_beats_next = beats_cw[QUEUE_ADDR_WIDTH:0];
    resv_id_next = id_reg;

    drop_valid_next = 1'b0;
    drop_id_next = id_reg;
    drop_reason_next = s_desc_reason;

    stat_q_frame_next = 1'b0;
    stat_q_frame_queue_next = s_desc_queue;
    stat_q_frame_len_next = s_desc_len;
    stat_q_drop_next = 1'b0;
    stat_q_drop_queue_next = s_desc_queue;

    // issue one beat of the current frame
    if (act_reg) begin
        wr_valid_next[q_reg] = 1'b1;
        wr_keep_next = last_issue ? last_keep_reg : {KEEP_WIDTH{1'b1}};
        wr_last_next = last_issue;
        left_next = left_reg - 1;
        if (last_issue) begin
            act_next = 1'b0;
        end
    end

    if (s_desc_valid && can_load) begin
        id_next = id_reg + 1;
        if (s_desc_drop || !fits) begin
            drop_valid_next = 1'b1;
            if (!s_desc_drop) begin
                drop_reason_next = DROP_QUEUE_FULL;
                stat_q_drop_next = 1'b1;
            end
            if (has_data) begin
                rd_ptr_next = rd_ptr_reg + beats_cw[FIFO_ADDR_WIDTH:0];
            end
        end else begin
            act_next = 1'b1;
            q_next = s_desc_queue;
            left_next = beats;
            last_keep_next = tail_keep;
            resv_valid_next[s_desc_queue] = 1'b1;
            stat_q_frame_next = 1'b1;
        end
    end

    if (act_reg) begin
        rd_ptr_next = rd_ptr_next + 1;
    end
end

always @(posedge clk) begin
    act_reg <= act_next;
    q_reg <= q_next;
    left_reg <= left_next;
    last_keep_reg <= last_keep_next;
    rd_ptr_reg <= rd_ptr_next;
    id_reg <= id_next;

    wr_valid_reg <= wr_valid_next;
    wr_keep_reg <= wr_keep_next;
    wr_last_reg <= wr_last_next;

    resv_valid_reg <= resv_valid_next;
    resv_beats_reg <= resv_beats_next;
    resv_id_reg <= resv_id_next;

    drop_valid_reg <= drop_valid_next;
    drop_id_reg <= drop_id_next;
    drop_reason_reg <= drop_reason_next;

    stat_q_frame_reg <= stat_q_frame_next;
    stat_q_frame_queue_reg <= stat_q_frame_queue_next;
    stat_q_frame_len_reg <= stat_q_frame_len_next;
    stat_q_drop_reg <= stat_q_drop_next;
    stat_q_drop_queue_reg <= stat_q_drop_queue_next;

    if (rst) begin
        act_reg <= 1'b0;
        rd_ptr_reg <= 0;
        id_reg <= 0;
        wr_valid_reg <= 0;
        resv_valid_reg <= 0;
        drop_valid_reg <= 1'b0;
        stat_q_frame_reg <= 1'b0;
        stat_q_drop_reg <= 1'b0;
    end
end

endmodule

`resetall
