#!/usr/bin/env bash
# Builds and runs the UART bridge testbench (test/rtl/uart_bridge_tb.cpp on test/rtl/uart_tb_top.v:
# sipnic_uart_bridge + sipnic_core): the full run at 5 Mbaud (10 clocks per bit at 50 MHz, short
# silence timeout), then a short run at 115200 baud with the default 100 ms timeout. Sources from
# rtl/manifest.mjs (target uart_tb).
# Usage: scripts/test-uart.sh [tb arguments, e.g. rate=0.05 seed=7]   (build in ${BUILD:-build/uart_tb})
set -euo pipefail
source "$(dirname "$0")/tb-tally.sh"
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-$root/build/uart_tb}
mkdir -p "$build"
list=$(node "$root/rtl/manifest.mjs" uart_tb)
mapfile -t sources <<< "$list"
clk=50000000
passed=0
failed=0
status=0

# name baud timeout_clocks [tb args...]
run() {
    local name=$1 baud=$2 timeout=$3
    shift 3
    local dir=$build/$name cpb=$(( (clk + baud / 2) / baud ))
    rm -rf "$dir"
    verilator --cc --exe --build -j 4 -O2 -Wall -Wno-fatal \
        -GCLK_HZ=$clk -GBAUD=$baud -GTIMEOUT_CLOCKS=$timeout \
        -CFLAGS "-O1 -DCPB=$cpb -DTIMEOUT=$timeout" --Mdir "$dir" \
        "${sources[@]}" > "$dir.log" 2>&1 \
        || { echo "build failed ($name), see $dir.log"; tail -20 "$dir.log"; exit 1; }
    "$dir/Vuart_tb_top" "$@" > "$dir.out" 2>&1 || status=1
    tally "$dir.out" uart_bridge_tb
}

run fast 5000000 2000 "$@"
run baud115200 115200 $((clk / 10)) short
echo "uart_bridge_tb: $passed passed, $failed failed"
[ "$failed" -eq 0 ] || status=1
exit $status
