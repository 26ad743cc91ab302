# Sourced by the scripts/test-*.sh testbench runners: tally OUT TAG prints a testbench's output
# and adds its last "TAG: P passed, F failed" line to the caller's passed and failed counts; an
# output without that line (a crash, an early exit) counts as one failure.
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
