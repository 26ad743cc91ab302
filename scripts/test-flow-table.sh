#!/usr/bin/env bash
# Verilates rtl/core/sipnic_flow_table.v (rtl/manifest.mjs target flow_table_tb) with the C++
# testbench test/rtl/flow_table_tb.cpp, runs it,
# exits non-zero on any failure. Build output in build/flow_table_tb (gitignored), or $FLOW_TB_DIR.
# Env: FLOW_TB_SEED (key RNG seed), FLOW_TB_OPS (churn operations, default 100000).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out="${FLOW_TB_DIR:-$root/build/flow_table_tb}"
mkdir -p "$out"
cd "$root"
list=$(node "$root/rtl/manifest.mjs" flow_table_tb)
mapfile -t sources <<< "$list"
verilator --cc --exe --build -j 2 -Wall \
    --x-assign unique --x-initial unique \
    --public-flat-rw \
    -O3 -CFLAGS "-O2 -std=c++17" \
    --Mdir "$out" "${sources[@]}" \
    -o flow_table_tb > "$out/build.log" 2>&1 || { cat "$out/build.log"; exit 1; }
"$out/flow_table_tb" +verilator+rand+reset+2 "$@"
