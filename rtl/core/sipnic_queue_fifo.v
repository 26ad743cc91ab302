`resetall
`timescale 1ns / 1ps
`default_nettype none

// Queue FIFO: beats {tlast, tkeep, tdata} in a block RAM, frame ids in a second RAM.
// The dispatcher reserves room for a whole frame (and pushes its id) before it writes the
// frame's beats one per clock, so the output never runs dry inside a frame; m_axis_tuser
// carries the frame id on every beat.
module sipnic_queue_fifo #(
    // stream width in bits
    parameter DATA_WIDTH = 64,
    // tkeep width
    parameter KEEP_WIDTH = DATA_WIDTH/8,
    // address width in beats
    parameter ADDR_WIDTH = 11,
    // id FIFO address width (at least depth / shortest frame in beats)
    parameter ID_ADDR_WIDTH = 10
) (
    input  wire                  clk,
    input  wire                  rst,

    /*
     * Reservation (one per frame, before its beats)
     */
    input  wire                  resv_valid,
    input  wire [ADDR_WIDTH:0]   resv_beats,
    input  wire [31:0]           resv_id,
    output wire [ADDR_WIDTH:0]   free,

    /*
     * Beat writes
     */
    input  wire                  wr_valid,
    input  wire [DATA_WIDTH-1:0] wr_data,
    input  wire [KEEP_WIDTH-1:0] wr_keep,
    input  wire                  wr_last,

    /*
     * Frame output
     */
    output wire [DATA_WIDTH-1:0] m_axis_tdata,
    output wire [KEEP_WIDTH-1:0] m_axis_tkeep,
    output wire                  m_axis_tvalid,
    input  wire                  m_axis_tready,
    output wire                  m_axis_tlast,
    output wire [31:0]           m_axis_tuser
);

localparam DEPTH = 2**ADDR_WIDTH;
localparam WIDTH = DATA_WIDTH + KEEP_WIDTH + 1;

reg [ADDR_WIDTH:0] wr_ptr_reg = 0, wr_ptr_next;
reg [ADDR_WIDTH:0] resv_ptr_reg = 0, resv_ptr_next;
reg [ADDR_WIDTH:0] rd_ptr_reg = 0, rd_ptr_next;
reg [ID_ADDR_WIDTH:0] id_wr_ptr_reg = 0, id_wr_ptr_next;
reg [ID_ADDR_WIDTH:0] id_rd_ptr_reg = 0, id_rd_ptr_next;
reg out_valid_reg = 1'b0, out_valid_next;
reg any_read_reg = 1'b0, any_read_next;

reg rd_en, id_rd_en;

wire [WIDTH-1:0] rd_data;
wire [31:0] id_rd_data;

wire empty = wr_ptr_reg == rd_ptr_reg;
wire [ADDR_WIDTH:0] used = resv_ptr_reg - rd_ptr_reg;

assign free = DEPTH[ADDR_WIDTH:0] - used;

assign m_axis_tdata = rd_data[DATA_WIDTH-1:0];
assign m_axis_tkeep = rd_data[DATA_WIDTH +: KEEP_WIDTH];
assign m_axis_tlast = rd_data[WIDTH-1];
assign m_axis_tvalid = out_valid_reg;
assign m_axis_tuser = id_rd_data;

always @* begin
    wr_ptr_next = wr_ptr_reg;
    resv_ptr_next = resv_ptr_reg;
    rd_ptr_next = rd_ptr_reg;
    id_wr_ptr_next = id_wr_ptr_reg;
    id_rd_ptr_next = id_rd_ptr_reg;
    out_valid_next = out_valid_reg;
    any_read_next = any_read_reg;
    rd_en = 1'b0;
    id_rd_en = 1'b0;

    if (resv_valid) begin
        resv_ptr_next = resv_ptr_reg + resv_beats;
        id_wr_ptr_next = id_wr_ptr_reg + 1;
    end
    if (wr_valid) begin
        wr_ptr_next = wr_ptr_reg + 1;
    end

    // the RAM output register is the output stage; it holds the last beat read
    if (m_axis_tready || !out_valid_reg) begin
        if (!empty) begin
            rd_en = 1'b1;
            rd_ptr_next = rd_ptr_reg + 1;
            out_valid_next = 1'b1;
            any_read_next = 1'b1;
            // first beat of a frame: the previous beat read was a last one
            if (!any_read_reg || m_axis_tlast) begin
                id_rd_en = 1'b1;
                id_rd_ptr_next = id_rd_ptr_reg + 1;
            end
        end else begin
            out_valid_next = 1'b0;
        end
    end
end

always @(posedge clk) begin
    wr_ptr_reg <= wr_ptr_next;
    resv_ptr_reg <= resv_ptr_next;
    rd_ptr_reg <= rd_ptr_next;
    id_wr_ptr_reg <= id_wr_ptr_next;
    id_rd_ptr_reg <= id_rd_ptr_next;
    out_valid_reg <= out_valid_next;
    any_read_reg <= any_read_next;

    if (rst) begin
        wr_ptr_reg <= 0;
        resv_ptr_reg <= 0;
        rd_ptr_reg <= 0;
        id_wr_ptr_reg <= 0;
        id_rd_ptr_reg <= 0;
        out_valid_reg <= 1'b0;
        any_read_reg <= 1'b0;
    end
end

sipnic_ram_sdp #(
    .WIDTH(WIDTH),
    .ADDR_WIDTH(ADDR_WIDTH)
)
data_ram_inst (
    .clk(clk),
    .wr_en(wr_valid),
    .wr_addr(wr_ptr_reg[ADDR_WIDTH-1:0]),
    .wr_data({wr_last, wr_keep, wr_data}),
    .rd_en(rd_en),
    .rd_addr(rd_ptr_reg[ADDR_WIDTH-1:0]),
    .rd_data(rd_data)
);

sipnic_ram_sdp #(
    .WIDTH(32),
    .ADDR_WIDTH(ID_ADDR_WIDTH)
)
id_ram_inst (
    .clk(clk),
    .wr_en(resv_valid),
    .wr_addr(id_wr_ptr_reg[ID_ADDR_WIDTH-1:0]),
    .wr_data(resv_id),
    .rd_en(id_rd_en),
    .rd_addr(id_rd_ptr_reg[ID_ADDR_WIDTH-1:0]),
    .rd_data(id_rd_data)
);

endmodule

`resetall
