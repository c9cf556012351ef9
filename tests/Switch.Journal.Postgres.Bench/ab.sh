#!/bin/bash
# Alternated A/B of the projector bench (docs/benchmarks.md, "Projector throughput (projector helper …)").
# usage: ab.sh LEGS BATCH ROUNDS "DIR MODE" "DIR MODE" …   e.g. ab.sh 400000 50000 3 "/tmp/base projector" "bin/Release/net10.0 projector-2w"
# Each DIR holds a built Switch.Journal.Postgres.Bench.dll; each line printed: time, run, legs/s, CPU per leg, load.
legs=$1; batch=$2; rounds=$3; shift 3
for i in $(seq 1 "$rounds"); do
  for spec in "$@"; do
    read -r dir mode <<< "$spec"
    out=$(dotnet "$dir/Switch.Journal.Postgres.Bench.dll" "$mode" "$legs" "$batch" 2>&1)
    echo "$(date -u +%H:%M:%S) $dir $mode $(echo "$out" | grep -E "legs in batches" | sed 's/.*: //') | $(echo "$out" | grep -E "µs/leg" | sed 's/^ *//')"
  done
done
