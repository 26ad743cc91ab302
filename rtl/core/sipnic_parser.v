`resetall
`timescale 1ns / 1ps
`default_nettype none

// Header parser: three pipeline stages, one frame per clock
//
//  0      6      12         [16 VLAN   20 VLAN]  l3off = 14/18/22
// +------+------+----------+---------+---------+--------+-----------------+-------------+
// | dst  | src  | TPID/ET  | TCI,TPID| TCI,ET  | L3 hdr (IPv4 IHL*4 / IPv6 40) | L4 (TCP 20 / UDP 8) |
// +------+------+----------+---------+---------+--------+-----------------+-------------+
//
// stage A: VLAN skip (up to two tags 0x8100/0x88A8), window W = hdr[l3off-2 +: 84]
// stage B: IPv4/IPv6 decode from W, L4 ports/flags at W[2 + 4*l4sel] (l4sel = IHL or 10)
// stage C: presence of every byte used (len >= l3off + L3 header + fixed L4 header)
module sipnic_parser #(
    // header bytes captured per frame (at least 104)
    parameter HDR_BYTES = 128,
    // width of frame lengths
    parameter LEN_WIDTH = 14,
    // 1: IPv6 frames are parsed; 0: they are not steerable (m_ipv6 is 0, addresses 32 bits)
    parameter IPV6 = 1
) (
    input  wire                   clk,
    input  wire                   rst,

    /*
     * Captured frame
     */
    input  wire                   s_valid,
    /* verilator lint_off UNUSEDSIGNAL */
    input  wire [HDR_BYTES*8-1:0] s_hdr,  // bytes 12..103 are used
    /* verilator lint_on UNUSEDSIGNAL */
    input  wire [LEN_WIDTH-1:0]   s_len,
    input  wire                   s_runt,
    input  wire                   s_oversize,

    /*
     * Parsed fields
     */
    output wire                   m_valid,
    output wire [LEN_WIDTH-1:0]   m_len,
    output wire                   m_runt,
    output wire                   m_oversize,
    output wire                   m_steerable,
    output wire                   m_ipv6,
    output wire                   m_udp,
    output wire [127:0]           m_src,
    output wire [127:0]           m_dst,
    output wire [15:0]            m_sport,
    output wire [15:0]            m_dport,
    output wire                   m_syn,
    output wire                   m_ack,
    output wire                   m_fin,
    output wire                   m_rst
);

localparam WIN_BYTES = 84;

initial begin
    if (HDR_BYTES < 20 + WIN_BYTES) begin
        $error("Error: HDR_BYTES must be at least 104 (instance %m)");
        $finish;
    end
    if (IPV6 != 0 && IPV6 != 1) begin
        $error("Error: IPV6 must be 0 or 1 (instance %m)");
        $finish;
    end
end

/*
 * stage A
 */
reg a_valid_reg = 1'b0;
reg [WIN_BYTES*8-1:0] a_win_reg;
reg [1:0] a_tags_reg;
reg [LEN_WIDTH-1:0] a_len_reg;
reg a_runt_reg, a_oversize_reg;

wire [15:0] tpid0 = {s_hdr[12*8 +: 8], s_hdr[13*8 +: 8]};
wire [15:0] tpid1 = {s_hdr[16*8 +: 8], s_hdr[17*8 +: 8]};
wire vlan0 = tpid0 == 16'h8100 || tpid0 == 16'h88a8;
wire vlan1 = vlan0 && s_len >= 18 && (tpid1 == 16'h8100 || tpid1 == 16'h88a8);
wire [1:0] tags = vlan1 ? 2'd2 : (vlan0 ? 2'd1 : 2'd0);

reg [WIN_BYTES*8-1:0] win;

always @* begin
    case (tags)
        2'd0:    win = s_hdr[12*8 +: WIN_BYTES*8];
        2'd1:    win = s_hdr[16*8 +: WIN_BYTES*8];
        default: win = s_hdr[20*8 +: WIN_BYTES*8];
    endcase
end

always @(posedge clk) begin
    a_valid_reg <= s_valid;
    a_win_reg <= win;
    a_tags_reg <= tags;
    a_len_reg <= s_len;
    a_runt_reg <= s_runt;
    a_oversize_reg <= s_oversize;

    if (rst) begin
        a_valid_reg <= 1'b0;
    end
end

/*
 * stage B
 */
function [7:0] wb(input [WIN_BYTES*8-1:0] w, input integer i);
    wb = w[i*8 +: 8];
endfunction

wire [15:0] et = {wb(a_win_reg, 0), wb(a_win_reg, 1)};
wire [7:0] l3b0 = wb(a_win_reg, 2);
wire [3:0] ihl = l3b0[3:0];
/* verilator lint_off UNUSEDSIGNAL */
wire [7:0] v4_frag_hi = wb(a_win_reg, 2+6);  // bit 5 MF, bits 4:0 offset high
/* verilator lint_on UNUSEDSIGNAL */
wire [7:0] v4_frag_lo = wb(a_win_reg, 2+7);
wire [7:0] v4_proto = wb(a_win_reg, 2+9);
wire [7:0] v6_nh = wb(a_win_reg, 2+6);

wire v4 = et == 16'h0800 && l3b0[7:4] == 4'd4 && ihl >= 4'd5 &&
    !v4_frag_hi[5] && v4_frag_hi[4:0] == 5'd0 && v4_frag_lo == 8'd0 &&
    (v4_proto == 8'd6 || v4_proto == 8'd17);
wire v6 = IPV6 != 0 && et == 16'h86dd && l3b0[7:4] == 4'd6 && (v6_nh == 8'd6 || v6_nh == 8'd17);
wire [7:0] proto = v6 ? v6_nh : v4_proto;
wire [3:0] l4sel = v6 ? 4'd10 : ihl;

reg [127:0] src, dst;
/* verilator lint_off UNUSEDSIGNAL */
reg [8*14-1:0] l4;  // ports at 0..3, TCP flags at 13
/* verilator lint_on UNUSEDSIGNAL */
integer i;

always @* begin
    src = 128'd0;
    dst = 128'd0;
    if (v6) begin
        for (i = 0; i < 16; i = i + 1) begin
            src[(15-i)*8 +: 8] = wb(a_win_reg, 2+8+i);
            dst[(15-i)*8 +: 8] = wb(a_win_reg, 2+24+i);
        end
    end else begin
        for (i = 0; i < 4; i = i + 1) begin
            src[(3-i)*8 +: 8] = wb(a_win_reg, 2+12+i);
            dst[(3-i)*8 +: 8] = wb(a_win_reg, 2+16+i);
        end
    end

    l4 = a_win_reg[(2+20)*8 +: 14*8];
    for (i = 5; i < 16; i = i + 1) begin
        if (l4sel == i[3:0]) begin
            l4 = a_win_reg[(2+4*i)*8 +: 14*8];
        end
    end
end

reg b_valid_reg = 1'b0;
reg [LEN_WIDTH-1:0] b_len_reg;
reg b_runt_reg, b_oversize_reg;
reg b_ok_reg, b_ipv6_reg, b_udp_reg;
reg [127:0] b_src_reg, b_dst_reg;
reg [15:0] b_sport_reg, b_dport_reg;
reg b_syn_reg, b_ack_reg, b_fin_reg, b_rst_reg;
reg [7:0] b_need_reg;

always @(posedge clk) begin
    b_valid_reg <= a_valid_reg;
    b_len_reg <= a_len_reg;
    b_runt_reg <= a_runt_reg;
    b_oversize_reg <= a_oversize_reg;
    b_ok_reg <= v4 || v6;
    b_ipv6_reg <= v6;
    b_udp_reg <= proto == 8'd17;
    b_src_reg <= src;
    b_dst_reg <= dst;
    b_sport_reg <= {l4[0*8 +: 8], l4[1*8 +: 8]};
    b_dport_reg <= {l4[2*8 +: 8], l4[3*8 +: 8]};
    b_syn_reg <= l4[13*8 + 1];
    b_ack_reg <= l4[13*8 + 4];
    b_fin_reg <= l4[13*8 + 0];
    b_rst_reg <= l4[13*8 + 2];
    // bytes needed: l3off (14 + 4*tags) + 4*l4sel + fixed L4 header
    b_need_reg <= 8'd14 + {4'd0, a_tags_reg, 2'd0} + {2'd0, l4sel, 2'd0} +
        ((proto == 8'd17) ? 8'd8 : 8'd20);

    if (rst) begin
        b_valid_reg <= 1'b0;
    end
end

/*
 * stage C
 */
reg c_valid_reg = 1'b0;
reg [LEN_WIDTH-1:0] c_len_reg;
reg c_runt_reg, c_oversize_reg;
reg c_steerable_reg, c_ipv6_reg, c_udp_reg;
reg [127:0] c_src_reg, c_dst_reg;
reg [15:0] c_sport_reg, c_dport_reg;
reg c_syn_reg, c_ack_reg, c_fin_reg, c_rst_reg;

always @(posedge clk) begin
    c_valid_reg <= b_valid_reg;
    c_len_reg <= b_len_reg;
    c_runt_reg <= b_runt_reg;
    c_oversize_reg <= b_oversize_reg;
    c_steerable_reg <= b_ok_reg && !b_runt_reg && !b_oversize_reg &&
        b_len_reg >= {{(LEN_WIDTH-8){1'b0}}, b_need_reg};
    c_ipv6_reg <= b_ipv6_reg;
    c_udp_reg <= b_udp_reg;
    c_src_reg <= b_src_reg;
    c_dst_reg <= b_dst_reg;
    c_sport_reg <= b_sport_reg;
    c_dport_reg <= b_dport_reg;
    c_syn_reg <= b_syn_reg;
    c_ack_reg <= b_ack_reg;
    c_fin_reg <= b_fin_reg;
    c_rst_reg <= b_rst_reg;

    if (rst) begin
        c_valid_reg <= 1'b0;
    end
end

assign m_valid = c_valid_reg;
assign m_len = c_len_reg;
assign m_runt = c_runt_reg;
assign m_oversize = c_oversize_reg;
assign m_steerable = c_steerable_reg;
assign m_ipv6 = c_ipv6_reg;
assign m_udp = c_udp_reg;
assign m_src = c_src_reg;
assign m_dst = c_dst_reg;
assign m_sport = c_sport_reg;
assign m_dport = c_dport_reg;
assign m_syn = c_syn_reg;
assign m_ack = c_ack_reg;
assign m_fin = c_fin_reg;
assign m_rst = c_rst_reg;

endmodule

`resetall
