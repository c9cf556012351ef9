#!/usr/bin/env bash
# Alternating comparison of two builds of the network benchmark on a noisy machine: runs build A, then
# build B, one round each, PAIRS times, and prints one line per run (the benchmark's table rows joined).
# Usage: tests/Switch.Benchmarks/network-ab.sh A.dll B.dll SHAPE PAIRS [--only raw|switch]
#   A.dll, B.dll: tests/Switch.Benchmarks/bin/Release/net10.0/Switch.Benchmarks.dll of each build
#   (e.g. this tree, and an older commit unpacked with `git archive <commit> | tar -x -C /tmp/before`
#   and built with `dotnet build tests/Switch.Benchmarks -c Release`).
# Set DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS in the environment to compare socket settings instead.
set -euo pipefail
if [ $# -lt 4 ]; then sed -n '2,8p' "$0"; exit 2; fi
a=$1 b=$2 shape=$3 pairs=$4
shift 4
for _ in $(seq 1 "$pairs"); do
  for dll in "$a" "$b"; do
    row=$(dotnet "$dll" network --seconds 3 --warmup 1 --rounds 1 --shapes "$shape" "$@" | grep -E '^\| [0-9]' | tr '\n' ' ')
    # Labelled by the name of the tree the build belongs to (the directory above its tests/).
    echo "$(cd "$(dirname "$dll")/../../../../.." && basename "$PWD") $row"
  done
done
