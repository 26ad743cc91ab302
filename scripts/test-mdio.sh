#!/usr/bin/env bash
# Builds and runs test/rtl/mdio_tb.cpp: the read-only MDIO master (rtl/nic/sipnic_mdio_master.v)
# against two PHY models (sim/phy/sipnic_mdio_phy_model.v) at MDC_DIV 1, 3 and 9 (9: the
# board's, 41.67 MHz core clock to MDC at 2.31 MHz). Sources from rtl/manifest.mjs (mdio_tb).
# Usage: scripts/test-mdio.sh [div ...]   (build in ${BUILD:-build/mdio_tb})
set -euo pipefail
source "$(dirname "$0")/tb-tally.sh"
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-$root/build/mdio_tb}
divs=${*:-1 3 9}
mkdir -p "$build"
mapfile -t sources < <(node "$root/rtl/manifest.mjs" mdio_tb)
passed=0
failed=0
for d in $divs; do
    dir=$build/div$d
    rm -rf "$dir"
    verilator --cc --exe --build -j 2 -O2 -Wall -Wno-fatal -GMDC_DIV=$d -CFLAGS "-O1 -DMDC_DIV=$d" \
        --Mdir "$dir" "${sources[@]}" > "$dir.log" 2>&1 \
        || { echo "build failed (mdio_tb MDC_DIV=$d), see $dir.log"; tail -20 "$dir.log"; exit 1; }
    "$dir/Vmdio_tb_top" > "$dir.out" 2>&1 || true
    tally "$dir.out" mdio_tb
done
echo "test-mdio: $passed passed, $failed failed (MDC_DIV: $divs)"
[ "$failed" -eq 0 ]
