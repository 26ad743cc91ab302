`resetall
`timescale 1ns / 1ps
`default_nettype none

/*
 * H3 hash for the flow table: each output bit is the XOR of a fixed pseudo-random half of
 * the key bits (a random linear map over GF(2)). SEED picks an independent map, one per
 * cuckoo way. Combinational: about log4(KEY_WIDTH/2) LUT4 levels.
 */
module sipnic_flow_hash #(
    // key bits
    parameter KEY_WIDTH = 166,
    // hash bits
    parameter HASH_WIDTH = 10,
    // selects the function
    parameter SEED = 0
) (
    input  wire [KEY_WIDTH-1:0]  key,
    output wire [HASH_WIDTH-1:0] hash
);

// bit k of the mask of output bit b: murmur3's 32-bit finaliser of (k, b, SEED)
function [KEY_WIDTH-1:0] hash_mask(input integer b);
    integer k;
    reg [31:0] x;
    begin
        hash_mask = {KEY_WIDTH{1'b0}};
        for (k = 0; k < KEY_WIDTH; k = k + 1) begin
            x = k * 32'h9e3779b1 + b * 32'h85ebca77 + SEED * 32'hc2b2ae3d + 32'h27d4eb2f;
            x = x ^ (x >> 16);
            x = x * 32'h85ebca6b;
            x = x ^ (x >> 13);
            x = x * 32'hc2b2ae35;
            x = x ^ (x >> 16);
            hash_mask[k] = x[7];
        end
    end
endfunction

genvar b;

generate
    for (b = 0; b < HASH_WIDTH; b = b + 1) begin : bit_hash
        localparam [KEY_WIDTH-1:0] MASK = hash_mask(b);
        assign hash[b] = ^(key & MASK);
    end
endgenerate

endmodule

`resetall
