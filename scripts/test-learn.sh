#!/usr/bin/env bash
# Builds and runs the learning-engine testbench (test/rtl/learn_tb.cpp, sipnic_core with a
# 256-entry flow table and a 16-record event queue, so it overflows) at DATA_WIDTH 8, 32 and 64 with LEARNING=1 and CLOCKS_PER_MS at the nominal
# clock of 1 Gb/s, and once at width 8 with LEARNING=0 (the registers read 0, nothing learned).
# Usage: scripts/test-learn.sh   (build in ${BUILD:-/tmp/sipnic-learn-tb})
set -euo pipefail
source "$(dirname "$0")/tb-tally.sh"
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-/tmp/sipnic-learn-tb}
mkdir -p "$build"
list=$(node "$root/rtl/manifest.mjs" learn_tb)
mapfile -t sources <<< "$list"
status=0
passed=0
failed=0
# width:learning:clocks per ms
for v in 8:1:125000 32:1:31250 64:1:15625 8:0:125000; do
    IFS=: read -r w l cpm <<< "$v"
    dir="$build/w${w}_l${l}"
    rm -rf "$dir"
    verilator --cc --exe --build -j 2 -O2 -Wno-fatal -GDATA_WIDTH="$w" -GLEARNING="$l" -GCLOCKS_PER_MS="$cpm" \
        -GFLOW_ENTRIES=256 -GLEARN_EVENTS=16 -CFLAGS "-O1 -DEVENTS=16 -DDW=$w -DLEARNING=$l -DCPM=$cpm" --Mdir "$dir" \
        "${sources[@]}" > "$dir.log" 2>&1 || { echo "build failed ($v), see $dir.log"; tail -20 "$dir.log"; exit 1; }
    "$dir/Vsipnic_core" > "$dir.out" 2>&1 || status=1
    tally "$dir.out" learn_tb
done
echo "learn_tb total: $passed passed, $failed failed"
[ "$status" -eq 0 ] && [ "$failed" -eq 0 ]
