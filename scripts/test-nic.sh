#!/usr/bin/env bash
# Builds and runs the testbenches of the board's NIC: test/rtl/counters_tb.cpp (block-RAM
# counters, QUEUES 2/4/16) and test/rtl/nic_tb.cpp (sipnic_nic: UART registers, egress MAC
# rewrite, port 1 -> port 0, bad frames) at DATA_WIDTH 8, 32, 64 with the board's sizes, and
# test/rtl/board_port_tb.cpp (one board port: clock-crossing FIFOs, pack/unpack, MACs, RGMII loop).
# Usage: scripts/test-nic.sh [width ...]   (build in ${BUILD:-build/nic_tb})
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-$root/build/nic_tb}
rtl=${RTL_DIR:-$root/rtl}
widths=${*:-8 32 64}
mkdir -p "$build"
passed=0
failed=0
status=0

# name tb-name top  verilator-args...  -- tb-args...
tally() {
    local out=$1 tag=$2 line
    cat "$out"
    line=$(grep "^$tag: [0-9]* passed" "$out" | tail -1 || true)
    if [ -z "$line" ]; then
        failed=$((failed + 1))
    else
        passed=$((passed + $(echo "$line" | awk '{print $2}')))
        failed=$((failed + $(echo "$line" | awk '{print $4}')))
    fi
}

for q in 2 4 16; do
    dir=$build/counters_q$q
    rm -rf "$dir"
    verilator --cc --exe --build -j 2 -O2 -Wall -Wno-fatal --top-module sipnic_counters -GQUEUES=$q \
        -I"$rtl" -CFLAGS "-O1 -DQUEUES=$q" --Mdir "$dir" \
        "$rtl/sipnic_counters.v" "$rtl/sipnic_ram_sdp.v" "$root/test/rtl/counters_tb.cpp" > "$dir.log" 2>&1 \
        || { echo "build failed (counters_tb QUEUES=$q), see $dir.log"; tail -20 "$dir.log"; exit 1; }
    "$dir/Vsipnic_counters" > "$dir.out" 2>&1 || status=1
    tally "$dir.out" counters_tb
done

clk=50000000
baud=5000000
for w in $widths; do
    dir=$build/nic_w$w
    rm -rf "$dir"
    verilator --cc --exe --build -j 2 -O2 -Wno-fatal --top-module sipnic_nic \
        -GCLK_HZ=$clk -GBAUD=$baud -GDATA_WIDTH=$w -GQUEUES=4 -GFLOW_ENTRIES=256 -GLISTEN_ENTRIES=8 \
        -GLISTEN_GROUPS=2 -GADDR_SLOTS=2 -GMAX_FRAME=2040 -GINGRESS_FIFO_BYTES=4096 -GQUEUE_FIFO_BYTES=4096 \
        -GRX_FIFO_BYTES=2048 \
        -I"$rtl" -CFLAGS "-O1 -DDW=$w -DQUEUES=4 -DCPB=$(( clk / baud )) -I$root/sim/src" --Mdir "$dir" \
        "$rtl"/*.v "$root/test/rtl/nic_tb.cpp" > "$dir.log" 2>&1 \
        || { echo "build failed (nic_tb width $w), see $dir.log"; tail -20 "$dir.log"; exit 1; }
    "$dir/Vsipnic_nic" > "$dir.out" 2>&1 || status=1
    tally "$dir.out" nic_tb
done
# one board port, RGMII looped at the pins: 125 MHz MAC side, core side at 50 and 41.67 MHz
for ps in 20000 24000; do
    dir=$build/board_port_$ps
    rm -rf "$dir"
    verilator --cc --exe --build -j 2 -O2 -Wno-fatal --top-module board_port_tb_top \
        -I"$rtl" -I"$rtl/board" -I"$root/sim/ecp5" -CFLAGS "-O1 -DDW=32 -DCORE_PS=$ps" --Mdir "$dir" \
        "$root/test/rtl/board_port_tb_top.v" "$rtl"/board/sipnic_colorlight_port.v "$rtl"/board/sipnic_async_fifo.v \
        "$rtl"/board/sipnic_rx_pack.v "$rtl"/board/sipnic_tx_unpack.v "$rtl/sipnic_eth_mac_rx.v" "$rtl/sipnic_eth_mac_tx.v" \
        "$rtl/sipnic_crc32.v" "$rtl/sipnic_rgmii_phy_if.v" \
        "$root/sim/ecp5/IDDRX1F.v" "$root/sim/ecp5/ODDRX1F.v" "$root/sim/ecp5/DELAYG.v" \
        "$root/test/rtl/board_port_tb.cpp" > "$dir.log" 2>&1 \
        || { echo "build failed (board_port_tb), see $dir.log"; tail -20 "$dir.log"; exit 1; }
    "$dir/Vboard_port_tb_top" > "$dir.out" 2>&1 || status=1
    tally "$dir.out" board_port_tb
done
echo "test-nic: $passed passed, $failed failed (counters_tb QUEUES 2/4/16; nic_tb widths: $widths; board_port_tb)"
[ "$failed" -eq 0 ] || status=1
exit $status
