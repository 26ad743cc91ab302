`resetall
`timescale 1ns / 1ps
`default_nettype none

// UART to register-bus master: LiteX UARTBone commands and sipnic's reliable commands
// (sequence number, CRC-16/CCITT-FALSE, acknowledgement, replay of the last answer) on one
// 8N1 line. Frame formats and recovery rules: docs/serial.md.
//
//  UARTBone command:  [cmd 0x01..0x04][len][word address, 4 bytes BE][len x 4 data bytes BE]
//                     read answer: len x 4 data bytes BE (len 0 means 256)
//  reliable command:  [cmd 0x81..0x84][seq 0x80..0xFF][0x80 + len, len 1..16][word address, 4 bytes BE]
//                     [len x 4 data bytes BE, writes only][CRC-16 BE over all bytes before it]
//  answer:            [0xA5][seq][status][n][n x 4 data bytes BE][CRC-16 BE]
module sipnic_uart_bridge #(
    // clock frequency in Hz
    parameter CLK_HZ = 50_000_000,
    // line rate in bits per second
    parameter BAUD = 115200,
    // silence inside a frame after which the receiver forgets the frame (100 ms)
    parameter TIMEOUT_CLOCKS = CLK_HZ / 10,
    // receive FIFO address width; depth is 2**RX_FIFO_ADDR_WIDTH bytes
    parameter RX_FIFO_ADDR_WIDTH = 5,
    // clocks per bit, rounded to nearest (derived)
    parameter CLKS_PER_BIT = (CLK_HZ + BAUD / 2) / BAUD
) (
    input  wire        clk,
    input  wire        rst,

    // serial line
    input  wire        uart_rxd,
    output wire        uart_txd,

    // register bus master (sipnic_core): one access at a time, reg_ack any time after reg_en
    output wire        reg_en,
    output wire        reg_we,
    output wire [15:0] reg_addr,
    output wire [31:0] reg_wdata,
    input  wire        reg_ack,
    input  wire [31:0] reg_rdata,

    // status, wrapping counters
    output wire [15:0] stat_rx_errors,    // bytes with a bad stop bit + receive FIFO overflows
    output wire [15:0] stat_crc_errors,   // reliable commands with a bad CRC
    output wire [15:0] stat_timeouts,     // frames abandoned after TIMEOUT_CLOCKS of silence
    output wire [15:0] stat_replays       // reliable commands answered from the cache
);

initial begin
    if (CLKS_PER_BIT < 8) begin
        $error("Error: CLK_HZ/BAUD gives fewer than 8 clocks per bit (instance %m)");
        $finish;
    end
    if (TIMEOUT_CLOCKS < 40 * CLKS_PER_BIT) begin
        $error("Error: TIMEOUT_CLOCKS must be at least four byte times (instance %m)");
        $finish;
    end
end

localparam TW = $clog2(TIMEOUT_CLOCKS + 1);
localparam integer TIMEOUT_END_I = TIMEOUT_CLOCKS - 1;
localparam [TW-1:0] TIMEOUT_END = TIMEOUT_END_I[TW-1:0];

// reliable commands carry at most this many words (size of the write buffer and answer cache)
localparam MAX_WORDS = 16;

localparam [7:0] ACK_MARKER = 8'hA5;

// answer status codes; bit 7 is set on an answer replayed from the cache
localparam [7:0]
    STATUS_OK          = 8'h00,
    STATUS_BAD_CRC     = 8'h01,
    STATUS_BAD_LENGTH  = 8'h02,
    STATUS_BAD_ADDRESS = 8'h03;

localparam [4:0]
    STATE_IDLE     = 5'd0,
    STATE_UB_LEN   = 5'd1,
    STATE_UB_ADDR  = 5'd2,
    STATE_UB_DATA  = 5'd3,
    STATE_UB_WRITE = 5'd4,
    STATE_UB_READ  = 5'd5,
    STATE_UB_SEND  = 5'd6,
    STATE_R_SEQ    = 5'd7,
    STATE_R_ADDR   = 5'd8,
    STATE_R_LEN    = 5'd9,
    STATE_R_DATA   = 5'd10,
    STATE_R_CRC    = 5'd11,
    STATE_R_CHECK  = 5'd12,
    STATE_R_WRITE  = 5'd13,
    STATE_R_READ   = 5'd14,
    STATE_A_HDR    = 5'd15,
    STATE_A_DATA   = 5'd16,
    STATE_A_CRC    = 5'd17,
    STATE_DISCARD  = 5'd18;

// CRC-16/CCITT-FALSE step (poly 0x1021, MSB first; init 0xFFFF and no final xor are applied by the caller)
function [15:0] crc16_byte(input [15:0] crc, input [7:0] data);
    integer i;
    reg [15:0] c;
    begin
        c = crc ^ {data, 8'h00};
        for (i = 0; i < 8; i = i + 1) begin
            c = c[15] ? {c[14:0], 1'b0} ^ 16'h1021 : {c[14:0], 1'b0};
        end
        crc16_byte = c;
    end
endfunction

// UART

wire [7:0] rx_data;
wire       rx_valid;
wire       rx_ferr;
wire       rx_fifo_ready;
wire [7:0] fb_data;
wire       fb_valid;
reg        fb_ready;
wire       tx_ready;

sipnic_uart_rx #(
    .CLK_HZ(CLK_HZ),
    .BAUD(BAUD),
    .CLKS_PER_BIT(CLKS_PER_BIT)
) sipnic_uart_rx_inst (
    .clk(clk),
    .rst(rst),
    .rxd(uart_rxd),
    .m_data(rx_data),
    .m_valid(rx_valid),
    .frame_error(rx_ferr)
);

sipnic_sync_fifo #(
    .WIDTH(8),
    .ADDR_WIDTH(RX_FIFO_ADDR_WIDTH)
) rx_fifo_inst (
    .clk(clk),
    .rst(rst),
    .s_data(rx_data),
    .s_valid(rx_valid),
    .s_ready(rx_fifo_ready),
    .m_data(fb_data),
    .m_valid(fb_valid),
    .m_ready(fb_ready)
);

// state

reg [4:0]    state_reg = STATE_IDLE, state_next;
reg          is_write_reg = 1'b0, is_write_next;
reg          incr_reg = 1'b0, incr_next;
reg [7:0]    len_reg = 8'd0, len_next;
reg [31:0]   addr_reg = 32'd0, addr_next;         // word address
reg [31:0]   data_reg = 32'd0, data_next;
reg [1:0]    byte_cnt_reg = 2'd0, byte_cnt_next;
reg [7:0]    word_cnt_reg = 8'd0, word_cnt_next;
reg [7:0]    seq_reg = 8'd0, seq_next;
reg [15:0]   crc_reg = 16'hffff, crc_next;
reg [15:0]   frame_crc_reg = 16'd0, frame_crc_next;
reg          bus_wait_reg = 1'b0, bus_wait_next;
reg          discard_after_reg = 1'b0, discard_after_next;
reg          rx_bad_reg = 1'b0, rx_bad_next;
reg [TW-1:0] timer_reg = 0, timer_next;

// last executed reliable command and its answer
reg          cache_valid_reg = 1'b0, cache_valid_next;
reg [7:0]    cache_seq_reg = 8'd0, cache_seq_next;
reg [15:0]   cache_crc_reg = 16'd0, cache_crc_next;
reg [7:0]    cache_status_reg = 8'd0, cache_status_next;
reg [7:0]    cache_len_reg = 8'd0, cache_len_next;

// answer being sent
reg [7:0]    ans_seq_reg = 8'd0, ans_seq_next;
reg [7:0]    ans_status_reg = 8'd0, ans_status_next;
reg [7:0]    ans_len_reg = 8'd0, ans_len_next;

reg          reg_en_reg = 1'b0, reg_en_next;
reg          reg_we_reg = 1'b0, reg_we_next;
reg [15:0]   reg_addr_reg = 16'd0, reg_addr_next;
reg [31:0]   reg_wdata_reg = 32'd0, reg_wdata_next;

reg [7:0]    tx_data_reg = 8'd0, tx_data_next;
reg          tx_valid_reg = 1'b0, tx_valid_next;

reg [15:0]   stat_rx_errors_reg = 16'd0, stat_rx_errors_next;
reg [15:0]   stat_crc_errors_reg = 16'd0, stat_crc_errors_next;
reg [15:0]   stat_timeouts_reg = 16'd0, stat_timeouts_next;
reg [15:0]   stat_replays_reg = 16'd0, stat_replays_next;

// write data of a reliable command (held until its CRC is checked) and the answer cache
reg [31:0] wbuf[MAX_WORDS-1:0];
reg [31:0] abuf[MAX_WORDS-1:0];
reg        wbuf_we;
reg        abuf_we;
reg [31:0] buf_wdata;

sipnic_uart_tx #(
    .CLK_HZ(CLK_HZ),
    .BAUD(BAUD),
    .CLKS_PER_BIT(CLKS_PER_BIT)
) sipnic_uart_tx_inst (
    .clk(clk),
    .rst(rst),
    .s_data(tx_data_reg),
    .s_valid(tx_valid_reg),
    .s_ready(tx_ready),
    .txd(uart_txd)
);

assign reg_en    = reg_en_reg;
assign reg_we    = reg_we_reg;
assign reg_addr  = reg_addr_reg;
assign reg_wdata = reg_wdata_reg;

assign stat_rx_errors  = stat_rx_errors_reg;
assign stat_crc_errors = stat_crc_errors_reg;
assign stat_timeouts   = stat_timeouts_reg;
assign stat_replays    = stat_replays_reg;

wire [3:0]  buf_index  = word_cnt_reg[3:0];
wire [31:0] wbuf_word  = wbuf[buf_index];
wire [31:0] abuf_word  = abuf[buf_index];
wire [31:0] abuf_next_word = abuf[buf_index + 4'd1];

wire        in_window  = addr_reg[31:14] == 18'd0;
wire        last_word  = word_cnt_reg == len_reg - 8'd1;
wire        tx_free    = !tx_valid_reg || tx_ready;
wire        r_in_window = addr_reg[31:14] == 18'd0 &&
                         (!incr_reg || {1'b0, addr_reg[13:0]} + {7'd0, len_reg} <= 15'h4000);
wire        receiving  = state_reg == STATE_UB_LEN || state_reg == STATE_UB_ADDR ||
                         state_reg == STATE_UB_DATA || state_reg == STATE_R_SEQ ||
                         state_reg == STATE_R_ADDR || state_reg == STATE_R_LEN ||
                         state_reg == STATE_R_DATA || state_reg == STATE_R_CRC ||
                         state_reg == STATE_DISCARD;

always @* begin
    state_next           = state_reg;
    is_write_next        = is_write_reg;
    incr_next            = incr_reg;
    len_next             = len_reg;
    addr_next            = addr_reg;
    data_next            = data_reg;
    byte_cnt_next        = byte_cnt_reg;
    word_cnt_next        = word_cnt_reg;
    seq_next             = seq_reg;
    crc_next             = crc_reg;
    frame_crc_next       = frame_crc_reg;
    bus_wait_next        = bus_wait_reg;
    discard_after_next   = discard_after_reg;
    rx_bad_next          = rx_bad_reg || rx_ferr || (rx_valid && !rx_fifo_ready);
    timer_next           = timer_reg;
    cache_valid_next     = cache_valid_reg;
    cache_seq_next       = cache_seq_reg;
    cache_crc_next       = cache_crc_reg;
    cache_status_next    = cache_status_reg;
    cache_len_next       = cache_len_reg;
    ans_seq_next         = ans_seq_reg;
    ans_status_next      = ans_status_reg;
    ans_len_next         = ans_len_reg;
    reg_en_next          = 1'b0;
    reg_we_next          = reg_we_reg;
    reg_addr_next        = reg_addr_reg;
    reg_wdata_next       = reg_wdata_reg;
    tx_data_next         = tx_data_reg;
    tx_valid_next        = tx_valid_reg && !tx_ready;
    stat_rx_errors_next  = stat_rx_errors_reg + {15'd0, rx_ferr || (rx_valid && !rx_fifo_ready)};
    stat_crc_errors_next = stat_crc_errors_reg;
    stat_timeouts_next   = stat_timeouts_reg;
    stat_replays_next    = stat_replays_reg;
    wbuf_we              = 1'b0;
    abuf_we              = 1'b0;
    buf_wdata            = {data_reg[23:0], fb_data};
    fb_ready             = 1'b0;

    // silence timer: runs while a frame is half received, restarts on every byte on the line
    if (!receiving || rx_valid || rx_ferr || fb_valid) begin
        timer_next = 0;
    end else begin
        timer_next = timer_reg + 1;
    end

    case (state_reg)
        STATE_IDLE: begin
            byte_cnt_next      = 2'd0;
            word_cnt_next      = 8'd0;
            discard_after_next = 1'b0;
            fb_ready           = 1'b1;
            if (rx_bad_reg) begin
                fb_ready    = 1'b0;
                rx_bad_next = 1'b0;
                state_next  = STATE_DISCARD;
            end else if (fb_valid) begin
                is_write_next = fb_data[0];
                incr_next     = fb_data[2:0] == 3'd1 || fb_data[2:0] == 3'd2;
                crc_next      = crc16_byte(16'hffff, fb_data);
                if (fb_data >= 8'h01 && fb_data <= 8'h04) begin
                    state_next = STATE_UB_LEN;
                end else if (fb_data >= 8'h81 && fb_data <= 8'h84) begin
                    state_next = STATE_R_SEQ;
                end else begin
                    state_next = STATE_DISCARD;
                end
            end
        end

        // UARTBone (LiteX Stream2Wishbone framing)
        STATE_UB_LEN: begin
            fb_ready = 1'b1;
            if (fb_valid) begin
                len_next   = fb_data;
                state_next = STATE_UB_ADDR;
            end
        end
        STATE_UB_ADDR: begin
            fb_ready = 1'b1;
            if (fb_valid) begin
                addr_next     = {addr_reg[23:0], fb_data};
                byte_cnt_next = byte_cnt_reg + 1;
                if (byte_cnt_reg == 2'd3) begin
                    state_next = is_write_reg ? STATE_UB_DATA : STATE_UB_READ;
                end
            end
        end
        STATE_UB_DATA: begin
            fb_ready = 1'b1;
            if (fb_valid) begin
                data_next     = {data_reg[23:0], fb_data};
                byte_cnt_next = byte_cnt_reg + 1;
                if (byte_cnt_reg == 2'd3) begin
                    state_next = STATE_UB_WRITE;
                end
            end
        end
        STATE_UB_WRITE: begin
            // words outside the 64 KiB register window are dropped
            if (!bus_wait_reg && in_window) begin
                reg_en_next    = 1'b1;
                reg_we_next    = 1'b1;
                reg_addr_next  = {addr_reg[13:0], 2'b00};
                reg_wdata_next = data_reg;
                bus_wait_next  = 1'b1;
            end else if (!in_window || reg_ack) begin
                bus_wait_next = 1'b0;
                word_cnt_next = word_cnt_reg + 1;
                addr_next     = addr_reg + {31'd0, incr_reg};
                state_next    = last_word ? STATE_IDLE : STATE_UB_DATA;
            end
        end
        STATE_UB_READ: begin
            // words outside the window read as 0
            if (!bus_wait_reg && in_window) begin
                reg_en_next   = 1'b1;
                reg_we_next   = 1'b0;
                reg_addr_next = {addr_reg[13:0], 2'b00};
                bus_wait_next = 1'b1;
            end else if (!in_window || reg_ack) begin
                bus_wait_next = 1'b0;
                data_next     = in_window ? reg_rdata : 32'd0;
                byte_cnt_next = 2'd0;
                state_next    = STATE_UB_SEND;
            end
        end
        STATE_UB_SEND: begin
            if (tx_free) begin
                tx_valid_next = 1'b1;
                tx_data_next  = data_reg[31:24];
                data_next     = {data_reg[23:0], 8'd0};
                byte_cnt_next = byte_cnt_reg + 1;
                if (byte_cnt_reg == 2'd3) begin
                    word_cnt_next = word_cnt_reg + 1;
                    addr_next     = addr_reg + {31'd0, incr_reg};
                    state_next    = last_word ? STATE_IDLE : STATE_UB_READ;
                end
            end
        end

        // reliable command
        STATE_R_SEQ: begin
            fb_ready = 1'b1;
            if (fb_valid) begin
                seq_next   = fb_data;
                crc_next   = crc16_byte(crc_reg, fb_data);
                // a sequence number below 0x80 is a lost or corrupted header
                state_next = fb_data[7] ? STATE_R_LEN : STATE_DISCARD;
            end
        end
        STATE_R_ADDR: begin
            fb_ready = 1'b1;
            if (fb_valid) begin
                addr_next     = {addr_reg[23:0], fb_data};
                crc_next      = crc16_byte(crc_reg, fb_data);
                byte_cnt_next = byte_cnt_reg + 1;
                if (byte_cnt_reg == 2'd3) begin
                    state_next = is_write_reg ? STATE_R_DATA : STATE_R_CRC;
                end
            end
        end
        STATE_R_LEN: begin
            fb_ready = 1'b1;
            if (fb_valid) begin
                // 0x80 + words: bit 7 set, so this byte never starts a UARTBone frame
                len_next = {1'b0, fb_data[6:0]};
                crc_next = crc16_byte(crc_reg, fb_data);
                if (!fb_data[7] || fb_data[6:0] == 7'd0 || fb_data[6:0] > MAX_WORDS[6:0]) begin
                    // the frame end is unknown: NAK, then wait for silence
                    ans_seq_next       = seq_reg;
                    ans_status_next    = STATUS_BAD_LENGTH;
                    ans_len_next       = 8'd0;
                    discard_after_next = 1'b1;
                    byte_cnt_next      = 2'd0;
                    state_next         = STATE_A_HDR;
                end else begin
                    state_next = STATE_R_ADDR;
                end
            end
        end
        STATE_R_DATA: begin
            fb_ready = 1'b1;
            if (fb_valid) begin
                data_next     = {data_reg[23:0], fb_data};
                crc_next      = crc16_byte(crc_reg, fb_data);
                byte_cnt_next = byte_cnt_reg + 1;
                if (byte_cnt_reg == 2'd3) begin
                    wbuf_we       = 1'b1;
                    word_cnt_next = word_cnt_reg + 1;
                    if (last_word) begin
                        state_next = STATE_R_CRC;
                    end
                end
            end
        end
        STATE_R_CRC: begin
            fb_ready = 1'b1;
            if (fb_valid) begin
                crc_next      = crc16_byte(crc_reg, fb_data);
                byte_cnt_next = byte_cnt_reg + 1;
                if (byte_cnt_reg == 2'd0) begin
                    frame_crc_next = crc_reg;
                end else begin
                    byte_cnt_next = 2'd0;
                    state_next    = STATE_R_CHECK;
                end
            end
        end
        STATE_R_CHECK: begin
            word_cnt_next = 8'd0;
            byte_cnt_next = 2'd0;
            if (crc_reg != 16'd0) begin
                // corrupted: not executed; NAK, then wait for silence
                stat_crc_errors_next = stat_crc_errors_reg + 1;
                ans_seq_next         = seq_reg;
                ans_status_next      = STATUS_BAD_CRC;
                ans_len_next         = 8'd0;
                discard_after_next   = 1'b1;
                state_next           = STATE_A_HDR;
            end else if (cache_valid_reg && seq_reg == cache_seq_reg && frame_crc_reg == cache_crc_reg) begin
                // retry of the last command: send its answer again, do not execute it again
                stat_replays_next = stat_replays_reg + 1;
                ans_seq_next      = cache_seq_reg;
                ans_status_next   = cache_status_reg | 8'h80;
                ans_len_next      = cache_len_reg;
                state_next        = STATE_A_HDR;
            end else begin
                cache_valid_next = 1'b0;
                cache_seq_next   = seq_reg;
                cache_crc_next   = frame_crc_reg;
                if (!r_in_window) begin
                    cache_valid_next  = 1'b1;
                    cache_status_next = STATUS_BAD_ADDRESS;
                    cache_len_next    = 8'd0;
                    ans_seq_next      = seq_reg;
                    ans_status_next   = STATUS_BAD_ADDRESS;
                    ans_len_next      = 8'd0;
                    state_next        = STATE_A_HDR;
                end else begin
                    state_next = is_write_reg ? STATE_R_WRITE : STATE_R_READ;
                end
            end
        end
        STATE_R_WRITE, STATE_R_READ: begin
            if (!bus_wait_reg) begin
                reg_en_next    = 1'b1;
                reg_we_next    = is_write_reg;
                reg_addr_next  = {addr_reg[13:0], 2'b00};
                reg_wdata_next = wbuf_word;
                bus_wait_next  = 1'b1;
            end else if (reg_ack) begin
                bus_wait_next = 1'b0;
                abuf_we       = !is_write_reg;
                buf_wdata     = reg_rdata;
                word_cnt_next = word_cnt_reg + 1;
                addr_next     = addr_reg + {31'd0, incr_reg};
                if (last_word) begin
                    cache_valid_next  = 1'b1;
                    cache_status_next = STATUS_OK;
                    cache_len_next    = is_write_reg ? 8'd0 : len_reg;
                    ans_seq_next      = seq_reg;
                    ans_status_next   = STATUS_OK;
                    ans_len_next      = is_write_reg ? 8'd0 : len_reg;
                    word_cnt_next     = 8'd0;
                    state_next        = STATE_A_HDR;
                end
            end
        end

        // answer: [0xA5][seq][status][n][n x 4 bytes][CRC-16]
        STATE_A_HDR: begin
            if (tx_free) begin
                tx_valid_next = 1'b1;
                case (byte_cnt_reg)
                    2'd0:    tx_data_next = ACK_MARKER;
                    2'd1:    tx_data_next = ans_seq_reg;
                    2'd2:    tx_data_next = ans_status_reg;
                    default: tx_data_next = ans_len_reg;
                endcase
                crc_next      = crc16_byte(byte_cnt_reg == 2'd0 ? 16'hffff : crc_reg, tx_data_next);
                byte_cnt_next = byte_cnt_reg + 1;
                if (byte_cnt_reg == 2'd3) begin
                    word_cnt_next = 8'd0;
                    data_next     = abuf_word;
                    state_next    = ans_len_reg == 8'd0 ? STATE_A_CRC : STATE_A_DATA;
                end
            end
        end
        STATE_A_DATA: begin
            if (tx_free) begin
                tx_valid_next = 1'b1;
                tx_data_next  = data_reg[31:24];
                crc_next      = crc16_byte(crc_reg, data_reg[31:24]);
                data_next     = {data_reg[23:0], 8'd0};
                byte_cnt_next = byte_cnt_reg + 1;
                if (byte_cnt_reg == 2'd3) begin
                    word_cnt_next = word_cnt_reg + 1;
                    data_next     = abuf_next_word;
                    if (word_cnt_reg == ans_len_reg - 8'd1) begin
                        state_next = STATE_A_CRC;
                    end
                end
            end
        end
        STATE_A_CRC: begin
            if (tx_free) begin
                tx_valid_next = 1'b1;
                tx_data_next  = byte_cnt_reg[0] ? crc_reg[7:0] : crc_reg[15:8];
                byte_cnt_next = byte_cnt_reg + 1;
                if (byte_cnt_reg[0]) begin
                    byte_cnt_next = 2'd0;
                    state_next    = discard_after_reg ? STATE_DISCARD : STATE_IDLE;
                end
            end
        end

        STATE_DISCARD: begin
            // drop everything until the line has been silent for TIMEOUT_CLOCKS
            fb_ready    = 1'b1;
            rx_bad_next = 1'b0;
            if (timer_reg == TIMEOUT_END) begin
                state_next = STATE_IDLE;
            end
        end

        default: state_next = STATE_IDLE;
    endcase

    // a frame half received: a damaged byte on the line abandons it, silence forgets it
    if (receiving && state_reg != STATE_DISCARD) begin
        if (rx_bad_reg) begin
            fb_ready    = 1'b0;
            rx_bad_next = 1'b0;
            state_next  = STATE_DISCARD;
        end else if (timer_reg == TIMEOUT_END) begin
            stat_timeouts_next = stat_timeouts_reg + 1;
            state_next         = STATE_IDLE;
        end
    end
end

always @(posedge clk) begin
    if (wbuf_we) begin
        wbuf[buf_index] <= buf_wdata;
    end
    if (abuf_we) begin
        abuf[buf_index] <= buf_wdata;
    end

    state_reg            <= state_next;
    is_write_reg         <= is_write_next;
    incr_reg             <= incr_next;
    len_reg              <= len_next;
    addr_reg             <= addr_next;
    data_reg             <= data_next;
    byte_cnt_reg         <= byte_cnt_next;
    word_cnt_reg         <= word_cnt_next;
    seq_reg              <= seq_next;
    crc_reg              <= crc_next;
    frame_crc_reg        <= frame_crc_next;
    bus_wait_reg         <= bus_wait_next;
    discard_after_reg    <= discard_after_next;
    rx_bad_reg           <= rx_bad_next;
    timer_reg            <= timer_next;
    cache_valid_reg      <= cache_valid_next;
    cache_seq_reg        <= cache_seq_next;
    cache_crc_reg        <= cache_crc_next;
    cache_status_reg     <= cache_status_next;
    cache_len_reg        <= cache_len_next;
    ans_seq_reg          <= ans_seq_next;
    ans_status_reg       <= ans_status_next;
    ans_len_reg          <= ans_len_next;
    reg_en_reg           <= reg_en_next;
    reg_we_reg           <= reg_we_next;
    reg_addr_reg         <= reg_addr_next;
    reg_wdata_reg        <= reg_wdata_next;
    tx_data_reg          <= tx_data_next;
    tx_valid_reg         <= tx_valid_next;
    stat_rx_errors_reg   <= stat_rx_errors_next;
    stat_crc_errors_reg  <= stat_crc_errors_next;
    stat_timeouts_reg    <= stat_timeouts_next;
    stat_replays_reg     <= stat_replays_next;

    if (rst) begin
        state_reg           <= STATE_IDLE;
        bus_wait_reg        <= 1'b0;
        discard_after_reg   <= 1'b0;
        rx_bad_reg          <= 1'b0;
        timer_reg           <= 0;
        cache_valid_reg     <= 1'b0;
        reg_en_reg          <= 1'b0;
        tx_valid_reg        <= 1'b0;
        stat_rx_errors_reg  <= 16'd0;
        stat_crc_errors_reg <= 16'd0;
        stat_timeouts_reg   <= 16'd0;
        stat_replays_reg    <= 16'd0;
    end
end

endmodule

`resetall
