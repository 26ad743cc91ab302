`resetall
`timescale 1ns / 1ps
`default_nettype none

// Statistics counters, 64 bits each, presented as one flat vector:
//   0 RX_FRAMES, 1 RX_BYTES, 2 FLOW_HITS, 3 LISTEN_HITS, 4 DEFAULT_HITS,
//   5 + r DROP[r] (r = reason - 1, 8 of them),
//   13 + 3q Q_FRAMES[q], 14 + 3q Q_BYTES[q], 15 + 3q Q_DROPS[q]
module sipnic_counters #(
    // number of queues
    parameter QUEUES = 8,
    // queue index width
    parameter QUEUE_WIDTH = $clog2(QUEUES),
    // width of frame lengths
    parameter LEN_WIDTH = 14,
    // number of counters (derived)
    parameter COUNT = 13 + 3*QUEUES
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

    output wire [COUNT*64-1:0]    counters
);

reg [63:0] cnt_reg[COUNT-1:0];
reg [63:0] inc[COUNT-1:0];

integer i;

always @* begin
    for (i = 0; i < COUNT; i = i + 1) begin
        inc[i] = 64'd0;
    end
    if (rx_frame) inc[0] = 64'd1;
    if (rx_beat) inc[1] = {56'd0, rx_beat_bytes};
    if (flow_hit) inc[2] = 64'd1;
    if (listen_hit) inc[3] = 64'd1;
    if (default_hit) inc[4] = 64'd1;
    for (i = 0; i < 8; i = i + 1) begin
        if (drop && {28'd0, drop_reason} == i + 1) inc[5+i] = 64'd1;
    end
    for (i = 0; i < QUEUES; i = i + 1) begin
        if (q_frame && {{(32-QUEUE_WIDTH){1'b0}}, q_frame_queue} == i) begin
            inc[13+3*i] = 64'd1;
            inc[14+3*i] = {{(64-LEN_WIDTH){1'b0}}, q_frame_len};
        end
        if (q_drop && {{(32-QUEUE_WIDTH){1'b0}}, q_drop_queue} == i) begin
            inc[15+3*i] = 64'd1;
        end
    end
end

genvar n;
generate
    for (n = 0; n < COUNT; n = n + 1) begin : counter
        always @(posedge clk) begin
            cnt_reg[n] <= cnt_reg[n] + inc[n];
            if (rst || clear) begin
                cnt_reg[n] <= 64'd0;
            end
        end
        assign counters[n*64 +: 64] = cnt_reg[n];
    end
endgenerate

endmodule

`resetall
