`resetall
`timescale 1ns / 1ps
`default_nettype none

/*
 * Which processor transmits a frame from port 1 (docs/semantics.md rule 9, "on the board: a
 * frame from port 1 whose source MAC is processor n's"): the frame's source MAC (bytes 6..11)
 * compared with each queue's MAC of the egress block (MAC[n] is processor n's, the address
 * sipnic_egress writes into queue n's frames). Observes the stream only. `processor` is valid
 * with the frame's last beat (the core's transmit snoop takes it there): the lowest n whose
 * non-zero MAC matches, or all ones (no processor) when none does.
 */
module sipnic_tx_processor #(
    // stream width, 8, 32 or 64
    parameter DATA_WIDTH = 32,
    // tkeep width
    parameter KEEP_WIDTH = DATA_WIDTH/8,
    // queues, 2..16
    parameter QUEUES = 8
) (
    input  wire                    clk,
    input  wire                    rst,

    // beats as they transfer (tvalid && tready)
    /* verilator lint_off UNUSEDSIGNAL */ // at width 64, bytes 0..5 of beat 0 are not needed
    input  wire [DATA_WIDTH-1:0]   s_tdata,
    /* verilator lint_on UNUSEDSIGNAL */
    input  wire                    s_tvalid,
    input  wire                    s_tlast,

    // the egress block's MAC[0..QUEUES-1], queue q at [q*48 +: 48]
    input  wire [QUEUES*48-1:0]    queue_macs,

    output reg  [4:0]              processor
);

// beats that carry one of bytes 6..11
localparam integer MAC_END_BEAT = 11 / KEEP_WIDTH;
localparam BW = $clog2(MAC_END_BEAT + 2);
localparam integer MAC_END_I = MAC_END_BEAT + 1;
localparam [BW-1:0] BEATS_DONE = MAC_END_I[BW-1:0];

initial begin
    if (QUEUES < 2 || QUEUES > 16) begin
        $error("Error: QUEUES must be 2..16 (instance %m)");
        $finish;
    end
end

reg [BW-1:0] beat_reg = {BW{1'b0}};
reg [47:0] src_reg = 48'd0;
reg [47:0] src_now;

// the source MAC so far, with this beat's bytes (byte 6 is the MAC's most significant)
genvar n;
generate
    for (n = 6; n < 12; n = n + 1) begin : mac_byte
        localparam integer BEAT_I = n / KEEP_WIDTH;
        localparam [BW-1:0] BEAT = BEAT_I[BW-1:0];
        always @* begin
            if (beat_reg == BEAT) begin
                src_now[(11 - n)*8 +: 8] = s_tdata[(n % KEEP_WIDTH)*8 +: 8];
            end else begin
                src_now[(11 - n)*8 +: 8] = src_reg[(11 - n)*8 +: 8];
            end
        end
    end
endgenerate

integer q;

always @* begin
    processor = 5'h1F;
    for (q = QUEUES - 1; q >= 0; q = q - 1) begin
        if (queue_macs[q*48 +: 48] != 48'd0 && queue_macs[q*48 +: 48] == src_now) begin
            processor = q[4:0];
        end
    end
end

always @(posedge clk) begin
    if (s_tvalid) begin
        src_reg <= src_now;
        if (s_tlast) begin
            beat_reg <= {BW{1'b0}};
        end else if (beat_reg != BEATS_DONE) begin
            beat_reg <= beat_reg + 1'b1;
        end
    end
    if (rst) begin
        beat_reg <= {BW{1'b0}};
    end
end

endmodule

`resetall
