#!/usr/bin/env bash
# Verilates rtl/sipnic_flow_table.v with the C++ testbench test/rtl/flow_table_tb.cpp, runs it,
# exits non-zero on any failure. Build output in build/flow_table_tb (gitignored), or $FLOW_TB_DIR.
# Env: FLOW_TB_SEED (key RNG seed), FLOW_TB_OPS (churn operations, default 100000).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out="${FLOW_TB_DIR:-$root/build/flow_table_tb}"
mkdir -p "$out"
cd "$root"
verilator --cc --exe --build -j 2 -Wall \
    --x-assign unique --x-initial unique \
    --public-flat-rw \
    -O3 -CFLAGS "-O2 -std=c++17" \
    --Mdir "$out" --top-module sipnic_flow_table -Irtl \
    rtl/sipnic_flow_table.v rtl/sipnic_flow_hash.v rtl/sipnic_ram_sdp.v \
    "$root/test/rtl/flow_table_tb.cpp" \
    -o flow_table_tb > "$out/build.log" 2>&1 || { cat "$out/build.log"; exit 1; }
"$out/flow_table_tb" +verilator+rand+reset+2 "$@"
