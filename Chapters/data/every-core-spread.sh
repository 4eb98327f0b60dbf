#!/bin/bash
# How SO_REUSEPORT spreads 1,000 clients over Part 4's two loops and Part 5's two schedulers:
# five runs each, counting each loop's (scheduler's) connect lines in the server's log.
# Run from the package root: bash Chapters/data/every-core-spread.sh
set -euo pipefail
swift build --product Part4Epoll >/dev/null
swift build --product Part5StateThreads >/dev/null
swift build --product Bench >/dev/null
log=$(mktemp)
trap 'rm -f "$log"' EXIT
for server in "Part4Epoll --loops 2" "Part5StateThreads --schedulers 2"; do
    label=loop
    [ "${server%% *}" = Part5StateThreads ] && label=scheduler
    for run in 1 2 3 4 5; do
        # shellcheck disable=SC2086  # the server's name and options are separate words
        .build/debug/$server --port 0 >"$log" 2>&1 &
        pid=$!
        for _ in $(seq 1 50); do grep -q "listening on" "$log" && break; sleep 0.1; done
        port=$(grep -o "listening on [0-9.]*:[0-9]*" "$log" | sed 's/.*://')
        .build/debug/Bench load --port "$port" --clients 1000 --duration 1 >/dev/null
        kill -TERM "$pid"
        wait "$pid"
        zero=$(grep -c "\[$label 0\] .* connected (" "$log" || true)
        one=$(grep -c "\[$label 1\] .* connected (" "$log" || true)
        echo "$server | run $run | $label 0: $zero | $label 1: $one"
    done
done
