`resetall
`timescale 1ns / 1ps
`default_nettype none

// Statistics counters, 64 bits each, in block RAM, read one at a time:
//   0 RX_FRAMES, 1 RX_BYTES, 2 FLOW_HITS, 3 LISTEN_HITS, 4 DEFAULT_HITS,
//   5 + r DROP[r] (r = reason - 1, 8 of them),
//   13 + 3q Q_FRAMES[q], 14 + 3q Q_BYTES[q], 15 + 3q Q_DROPS[q]
//
// Each counter is a 64-bit word in a RAM plus a narrow pending count in registers that takes
// this clock's increment. A sweep adds one counter's pending count into its RAM word per
// clock (read, then write the sum the next clock). A read (rd_en, rd_index) answers the
// next clock on rd_value with RAM word + pending count (+ the sum being written back), which
// is exactly the count of every event before the clock of rd_en; the sweep pauses that
// clock (the read takes the RAM's read port). clear zeroes everything at once: a flag per
// counter marks its RAM word as zero until the sweep next writes it.
module sipnic_counters #(
    // number of queues
    parameter QUEUES = 8,
    // queue index width
    parameter QUEUE_WIDTH = $clog2(QUEUES),
    // width of frame lengths
    parameter LEN_WIDTH = 14,
    // number of counters (derived)
    parameter COUNT = 13 + 3*QUEUES,
    // counter index width (derived)
    parameter INDEX_WIDTH = $clog2(COUNT)
) (
    input  wire                   clk,
    input  wire                   rst,

    input  wire                   clear,

    input  wire                   rx_beat,
    input  wire [7:0]             rx_beat_bytes,
    input  wire                   rx_frame,
    input  wire                   flow_hit,
    input  wire                   listen_hit,
    input  wire                   default_hit,
    input  wire                   drop,
    input  wire [3:0]             drop_reason,
    input  wire                   q_frame,
    input  wire [QUEUE_WIDTH-1:0] q_frame_queue,
    input  wire [LEN_WIDTH-1:0]   q_frame_len,
    input  wire                   q_drop,
    input  wire [QUEUE_WIDTH-1:0] q_drop_queue,

    // read: rd_value is the counter rd_index had at the clock of rd_en, one clock later
    input  wire                   rd_en,
    input  wire [INDEX_WIDTH-1:0] rd_index,
    output wire [63:0]            rd_value
);

// pending counts: a counter is swept at least every 2*COUNT clocks (a read pauses the sweep
// for one clock and reads come at most every other clock); in that time it gains at most
// 2*COUNT increments of at most 1 (event counters) or 2**LEN_WIDTH-1 (byte counters)
localparam EVENT_WIDTH = $clog2(2*COUNT + 1);
localparam PEND_WIDTH = (LEN_WIDTH > 8 ? LEN_WIDTH : 8) + $clog2(2*COUNT + 1);
localparam integer LAST_I = COUNT - 1;
localparam [INDEX_WIDTH-1:0] LAST = LAST_I[INDEX_WIDTH-1:0];

initial begin
    if (COUNT < 2) begin
        $error("Error: COUNT must be at least 2 (instance %m)");
        $finish;
    end
end

// counter n counts bytes
function is_bytes(input integer n);
    is_bytes = n == 1 || (n >= 13 && (n - 13) % 3 == 1);
endfunction

reg [PEND_WIDTH-1:0] inc [0:COUNT-1];
reg [COUNT-1:0] zero_reg = {COUNT{1'b1}};
wire [COUNT*PEND_WIDTH-1:0] pend;

integer i;

always @* begin
    for (i = 0; i < COUNT; i = i + 1) begin
        inc[i] = {PEND_WIDTH{1'b0}};
    end
    if (rx_frame) inc[0] = 1;
    if (rx_beat) inc[1] = {{(PEND_WIDTH-8){1'b0}}, rx_beat_bytes};
    if (flow_hit) inc[2] = 1;
    if (listen_hit) inc[3] = 1;
    if (default_hit) inc[4] = 1;
    for (i = 0; i < 8; i = i + 1) begin
        if (drop && {28'd0, drop_reason} == i + 1) inc[5+i] = 1;
    end
    for (i = 0; i < QUEUES; i = i + 1) begin
        if (q_frame && {{(32-QUEUE_WIDTH){1'b0}}, q_frame_queue} == i) begin
            inc[13+3*i] = 1;
            inc[14+3*i] = {{(PEND_WIDTH-LEN_WIDTH){1'b0}}, q_frame_len};
        end
        if (q_drop && {{(32-QUEUE_WIDTH){1'b0}}, q_drop_queue} == i) begin
            inc[15+3*i] = 1;
        end
    end
end

/*
 * sweep: clock t reads RAM word s and takes pend[s]; clock t+1 writes the sum
 */
reg [INDEX_WIDTH-1:0] sweep_reg = 0;
reg wb_valid_reg = 1'b0;
reg [INDEX_WIDTH-1:0] wb_index_reg = 0;
reg [PEND_WIDTH-1:0] wb_pend_reg = 0;
reg wb_zero_reg = 1'b0;

wire sweep = !rd_en;
wire [INDEX_WIDTH-1:0] ram_rd_index = rd_en ? rd_index : sweep_reg;
wire [63:0] ram_rd_data;
wire [63:0] wb_sum = (wb_zero_reg ? 64'd0 : ram_rd_data) + {{(64-PEND_WIDTH){1'b0}}, wb_pend_reg};

genvar n;
generate
    for (n = 0; n < COUNT; n = n + 1) begin : counter
        localparam W = is_bytes(n) ? PEND_WIDTH : EVENT_WIDTH;
        reg [W-1:0] pend_reg = {W{1'b0}};
        always @(posedge clk) begin
            if (sweep && sweep_reg == n) begin
                pend_reg <= inc[n][W-1:0];
            end else begin
                pend_reg <= pend_reg + inc[n][W-1:0];
            end
            if (rst || clear) begin
                pend_reg <= {W{1'b0}};
            end
        end
        assign pend[n*PEND_WIDTH +: PEND_WIDTH] = {{(PEND_WIDTH-W){1'b0}}, pend_reg};
    end
endgenerate

/*
 * read: the RAM word (as zero when cleared), the pending count, and a write-back landing in
 * the clock of the read (the RAM then returns the word before it)
 */
reg rd_zero_reg = 1'b0;
reg [PEND_WIDTH:0] rd_pend_reg = 0;

wire rd_hits_wb = wb_valid_reg && wb_index_reg == rd_index;
wire [PEND_WIDTH-1:0] rd_pend = pend[rd_index*PEND_WIDTH +: PEND_WIDTH];

assign rd_value = (rd_zero_reg ? 64'd0 : ram_rd_data) + {{(63-PEND_WIDTH){1'b0}}, rd_pend_reg};

always @(posedge clk) begin
    rd_zero_reg <= rd_hits_wb ? wb_zero_reg : zero_reg[rd_index];
    rd_pend_reg <= {1'b0, rd_pend} + (rd_hits_wb ? {1'b0, wb_pend_reg} : {(PEND_WIDTH+1){1'b0}});

    wb_valid_reg <= sweep;
    wb_index_reg <= sweep_reg;
    wb_pend_reg <= pend[sweep_reg*PEND_WIDTH +: PEND_WIDTH];
    wb_zero_reg <= zero_reg[sweep_reg];
    if (sweep) begin
        zero_reg[sweep_reg] <= 1'b0;
        sweep_reg <= sweep_reg == LAST ? 0 : sweep_reg + 1;
    end

    if (rst || clear) begin
        zero_reg <= {COUNT{1'b1}};
        wb_valid_reg <= 1'b0;
    end
    if (rst) begin
        sweep_reg <= 0;
    end
end

sipnic_ram_sdp #(
    .WIDTH(64),
    .ADDR_WIDTH(INDEX_WIDTH),
    .DEPTH(COUNT)
)
ram_inst (
    .clk(clk),
    .wr_en(wb_valid_reg),
    .wr_addr(wb_index_reg),
    .wr_data(wb_sum),
    .rd_en(1'b1),
    .rd_addr(ram_rd_index),
    .rd_data(ram_rd_data)
);

endmodule

`resetall
