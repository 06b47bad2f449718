#!/usr/bin/env bash
# Interleaved timing of two threatc binaries on the same build: on a shared machine, where the
# host's load moves absolute figures by a third within minutes, running two binaries in turn is
# what shows a change. Prints each binary's median and fastest wall time.
# Usage: scripts/ab.sh OLD_BINARY NEW_BINARY [runs] [model]
#   e.g. scripts/ab.sh /tmp/threatc-before target/release/threatc 21
# Under `chrt -f 50` (root) other processes of the machine stop interfering as well.
set -euo pipefail
cd "$(dirname "$0")/.."
a=$1 b=$2 runs=${3:-21} model=${4:-models/financial/model.yaml}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for _ in $(seq "$runs"); do
  for bin in "$a" "$b"; do
    rm -rf "$tmp/out"
    s=$(date +%s%N)
    "$bin" build "$model" --out "$tmp/out" > /dev/null 2>&1 || true
    e=$(date +%s%N)
    echo "$bin $(( (e - s) / 1000 ))"
  done
done | awk '
  { t[$1] = t[$1] " " $2; n[$1]++ }
  END {
    for (bin in t) {
      k = split(substr(t[bin], 2), v, " ")
      for (i = 1; i <= k; i++) for (j = i + 1; j <= k; j++) if (v[j] < v[i]) { x = v[i]; v[i] = v[j]; v[j] = x }
      printf "%-40s median %6.1f ms  fastest %6.1f ms  (%d runs)\n", bin, v[int((k + 1) / 2)] / 1000, v[1] / 1000, k
    }
  }' | sort
