#!/usr/bin/env bash
# Builds and runs the MAC + RGMII loopback testbench (test/rtl/eth_mac_tb.cpp, top
# test/rtl/eth_mac_tb_top.v) with the ECP5 primitive simulation models from sim/ecp5; sources
# from rtl/manifest.mjs (target eth_mac_tb).
# Usage: scripts/test-mac.sh [tb args, e.g. --seed 7 --frames 1000]
# Build in ${BUILD:-build/mac_tb}; TRACE=1 builds with FST tracing (then pass --trace FILE).
# Exits non-zero on a build failure or any failed check; the last line is the tb summary.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-$root/build/mac_tb}
mkdir -p "$build"

trace_flags=()
if [ "${TRACE:-0}" = 1 ]; then
    trace_flags=(--trace-fst)
fi

log="$build/build.log"
list=$(node "$root/rtl/manifest.mjs" eth_mac_tb)
mapfile -t sources <<< "$list"
if ! verilator --cc --exe --build -j 4 -O2 -Wall \
    -CFLAGS "-O1" -LDFLAGS "-lz" "${trace_flags[@]}" \
    --Mdir "$build/obj" "${sources[@]}" > "$log" 2>&1; then
    echo "build failed, see $log"
    tail -30 "$log"
    echo "eth_mac_tb: 0 passed, 1 failed"
    exit 1
fi

# real frames with the FCS a real NIC computed (the repository's copy of the capture)
pcap="$root/test/pcaps/pcapplusplus__one_http_stream_fin.pcap"
[ -f "$pcap" ] || { echo "eth_mac_tb: missing $pcap"; exit 1; }
pcap_args=(--pcap "$pcap")

status=0
"$build/obj/Veth_mac_tb_top" "${pcap_args[@]}" "$@" | tee "$build/run.out" || status=$?
line=$(grep '^eth_mac_tb: [0-9]* passed' "$build/run.out" | tail -1 || true)
if [ -z "$line" ]; then
    echo "eth_mac_tb: 0 passed, 1 failed"
    exit 1
fi
exit $status
