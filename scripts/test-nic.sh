#!/usr/bin/env bash
# Builds and runs the testbenches of the board's NIC: test/rtl/counters_tb.cpp (block-RAM
# counters, QUEUES 2/4/16) and test/rtl/nic_tb.cpp (sipnic_nic: UART registers, egress MAC
# rewrite, port 1 -> port 0 with and without the source MAC rewrite, bad frames) at DATA_WIDTH 8, 32, 64 with the board's sizes,
# (host/src/board/sizing.json: the learning engine, IPv4 only; transmit-side learning by source
# MAC, IPv6 frames by the default action; a 256-entry flow table keeps the run short), and at the
# board's width as the dual-stack variant (`board build --ipv6`: LEARNING=0, IPV6=1), and
# test/rtl/board_port_tb.cpp (one board port: clock-crossing FIFOs, pack/unpack, MACs, RGMII loop).
# Sources from rtl/manifest.mjs (targets counters_tb, nic_tb, board_port_tb).
# Usage: scripts/test-nic.sh [width ...]   (build in ${BUILD:-build/nic_tb})
set -euo pipefail
source "$(dirname "$0")/tb-tally.sh"
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-$root/build/nic_tb}
widths=${*:-8 32 64}
board=colorlight-5a-75b-v8
mkdir -p "$build"
passed=0
failed=0
status=0

# the sources of a manifest target into the array sources
target() {
    local list
    list=$(node "$root/rtl/manifest.mjs" "$1")
    mapfile -t sources <<< "$list"
}

target counters_tb
for q in 2 4 16; do
    dir=$build/counters_q$q
    rm -rf "$dir"
    verilator --cc --exe --build -j 2 -O2 -Wall -Wno-fatal -GQUEUES=$q \
        -CFLAGS "-O1 -DQUEUES=$q" --Mdir "$dir" "${sources[@]}" > "$dir.log" 2>&1 \
        || { echo "build failed (counters_tb QUEUES=$q), see $dir.log"; tail -20 "$dir.log"; exit 1; }
    "$dir/Vsipnic_counters" > "$dir.out" 2>&1 || status=1
    tally "$dir.out" counters_tb
done

# a parameter of the board's sizing: param PART NAME
param() {
    node "$root/scripts/board-sizing.mjs" "$board" "$1" | grep "^$2=" | cut -d= -f2
}

# nic_tb on the board's NIC sizing with a 256-entry flow table and these overrides (NAME=VALUE
# ...); the bridge at 10 clocks per bit. The testbench's defines come from the same sizing lines
# as the design's parameters, so the two cannot disagree.
clk=50000000
baud=5000000
target nic_tb
nic_run() {
    local name=$1 sizing n defines=""
    shift
    local dir=$build/nic_$name
    local -a nic_params
    rm -rf "$dir"
    sizing=$(node "$root/scripts/board-sizing.mjs" "$board" nic FLOW_ENTRIES=256 "$@")
    mapfile -t nic_params <<< "$sizing"
    # parameter:define
    for n in DATA_WIDTH:DW QUEUES:QUEUES LEARNING:LEARNING IPV6:IPV6; do
        defines+=" -D${n#*:}=$(grep "^${n%%:*}=" <<< "$sizing" | cut -d= -f2)"
    done
    verilator --cc --exe --build -j 2 -O2 -Wno-fatal \
        "${nic_params[@]/#/-G}" -GCLK_HZ=$clk -GBAUD=$baud \
        -CFLAGS "-O1$defines -DCPB=$(( clk / baud ))" --Mdir "$dir" \
        "${sources[@]}" > "$dir.log" 2>&1 \
        || { echo "build failed (nic_tb $name), see $dir.log"; tail -20 "$dir.log"; exit 1; }
    "$dir/Vsipnic_nic" > "$dir.out" 2>&1 || status=1
    tally "$dir.out" nic_tb
}
for w in $widths; do
    nic_run "w$w" DATA_WIDTH="$w"
done
# the board's width as the dual-stack variant (board build --ipv6): IPv6 steered, no learning engine
dw=$(param nic DATA_WIDTH)
nic_run "w${dw}_dual_stack" LEARNING=0 IPV6=1
# one board port at the board's width, RGMII looped at the pins: 125 MHz MAC side, core side at
# 50 MHz and at the board's core clock (500 MHz / CORE_DIV: 2 ns × CORE_DIV)
dw=$(param nic DATA_WIDTH)
target board_port_tb
for ps in 20000 $(( 2000 * $(param board CORE_DIV) )); do
    dir=$build/board_port_$ps
    rm -rf "$dir"
    verilator --cc --exe --build -j 2 -O2 -Wno-fatal -GDATA_WIDTH="$dw" \
        -CFLAGS "-O1 -DDW=$dw -DCORE_PS=$ps" --Mdir "$dir" "${sources[@]}" > "$dir.log" 2>&1 \
        || { echo "build failed (board_port_tb), see $dir.log"; tail -20 "$dir.log"; exit 1; }
    "$dir/Vboard_port_tb_top" > "$dir.out" 2>&1 || status=1
    tally "$dir.out" board_port_tb
done
echo "test-nic: $passed passed, $failed failed (counters_tb QUEUES 2/4/16; nic_tb widths: $widths as sized, and $dw dual-stack (LEARNING=0 IPV6=1); board_port_tb)"
[ "$failed" -eq 0 ] || status=1
exit $status
