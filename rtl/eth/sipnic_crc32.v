`resetall
`timescale 1ns / 1ps
`default_nettype none

/*
 * CRC-32 of IEEE 802.3, one byte per step (combinational)
 *
 * Reflected form: polynomial 0x04C11DB7 bit-reversed (0xEDB88320), data taken LSB
 * first as it goes on the wire. Start from crc_in = 32'hFFFFFFFF; the FCS of a frame is
 * ~crc_out after its last byte, sent low byte first. Running the whole frame including a
 * correct FCS through leaves the residue 32'hDEBB20E3.
 *
 *     crc_out = crc32_step(crc_in, data)
 */
module sipnic_crc32 (
    input  wire [31:0] crc_in,
    input  wire [7:0]  data,
    output wire [31:0] crc_out
);

reg [31:0] crc;
integer i;

always @* begin
    crc = crc_in;
    for (i = 0; i < 8; i = i + 1) begin
        crc = {1'b0, crc[31:1]} ^ ((crc[0] ^ data[i]) ? 32'hEDB88320 : 32'h00000000);
    end
end

assign crc_out = crc;

endmodule

`resetall
