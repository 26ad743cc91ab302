#!/usr/bin/env bash
# Builds and runs the sipnic_core Verilator testbench (test/rtl/core_tb.cpp) at each data width;
# sources from rtl/manifest.mjs (target core_tb).
# Usage: scripts/test-core.sh [width ...]   (default: 8 32 64); build in ${BUILD:-/tmp/sipnic-core-tb}
set -euo pipefail
source "$(dirname "$0")/tb-tally.sh"
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-/tmp/sipnic-core-tb}
widths=${*:-8 32 64}
mkdir -p "$build"
list=$(node "$root/rtl/manifest.mjs" core_tb)
mapfile -t sources <<< "$list"
status=0
passed=0
failed=0
for w in $widths; do
    dir="$build/w$w"
    rm -rf "$dir"
    verilator --cc --exe --build -j 4 -O2 -Wno-fatal -GDATA_WIDTH="$w" \
        -CFLAGS "-O1 -DDW=$w" --Mdir "$dir" \
        "${sources[@]}" > "$dir.log" 2>&1 || { echo "build failed (width $w), see $dir.log"; tail -20 "$dir.log"; exit 1; }
    "$dir/Vsipnic_core" > "$dir.out" 2>&1 || status=1
    tally "$dir.out" core_tb
done
echo "core_tb: $passed passed, $failed failed (widths: $widths)"
[ "$failed" -eq 0 ] || status=1
exit $status
