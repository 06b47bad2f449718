#!/usr/bin/env bash
# Benchmarks of the release binary: median wall time of N runs and peak memory (max RSS).
# Usage: scripts/bench.sh [runs]   (needs ../shared for the Sigma import figure)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-7}
cargo build --release --quiet
bin=target/release/threatc
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 scripts/gen_bench_model.py 5000 "$bin" > "$tmp/groups-5k.yaml"
python3 scripts/gen_bench_model.py 5000 "$bin" 10 > "$tmp/groups-5k-10.yaml"
python3 scripts/gen_bench_model.py 50000 "$bin" > "$tmp/groups-50k.yaml"

measure() { # name, command...
  local name=$1; shift
  local times=() mem=0
  for _ in $(seq "$runs"); do
    rm -rf "$tmp/out"
    # Wall time in nanoseconds (time's %e has 10 ms steps); peak memory from time's %M.
    local s e
    s=$(date +%s%N)
    /usr/bin/time -f "%M" -o "$tmp/t" "$@" > /dev/null 2>&1 || true
    e=$(date +%s%N)
    read -r m < "$tmp/t"
    times+=("$(awk -v d=$((e - s)) 'BEGIN { printf "%.4f", d / 1e9 }')"); (( m > mem )) && mem=$m
  done
  local median
  median=$(printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
  awk -v n="$name" -v t="$median" -v m="$mem" 'BEGIN { printf "| %-46s | %6.1f ms | %5.0f MB |\n", n, t * 1000, m / 1024 }'
}

echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $(uname -m); runs: $runs"
echo "| what | median | peak memory |"
echo "|---|---:|---:|"
measure "check financial example" "$bin" check models/financial/model.yaml
measure "build financial example" "$bin" build models/financial/model.yaml --out "$tmp/out"
measure "build all 172 groups (software) + 5,000 rules" "$bin" build "$tmp/groups-5k.yaml" --out "$tmp/out"
measure "build all 172 groups (software) + 5,000 rules + 10 assets" "$bin" build "$tmp/groups-5k-10.yaml" --out "$tmp/out"
measure "build all 172 groups (software) + 50,000 rules" "$bin" build "$tmp/groups-50k.yaml" --out "$tmp/out"
if [ -d ../shared/fixtures/sigma ]; then
  measure "import 3,748 Sigma rules (threatc import)" "$bin" import sigma ../shared/fixtures/sigma
  printf 'threatc: 1\nmodel:\n  name: sigma\nactors:\n  - group: FIN7\nrules:\n  - import: sigma\n    path: %s\n' "$(cd ../shared/fixtures/sigma && pwd)" > "$tmp/sigma.yaml"
  measure "build a model importing the 3,748 Sigma rules" "$bin" build "$tmp/sigma.yaml" --out "$tmp/out" --allow-outside-root
  cp -r models/financial "$tmp/bank"
  printf 'candidates:\n  - import: sigma\n    path: %s\n' "$(cd ../shared/fixtures/sigma && pwd)" >> "$tmp/bank/model.yaml"
  measure "build the bank with the 3,748 Sigma rules as candidates" "$bin" build "$tmp/bank/model.yaml" --out "$tmp/out" --allow-outside-root
  echo "bank with candidates, analysis stage (priorities + candidate matching), median of $runs:"
  for _ in $(seq "$runs"); do
    THREATC_TIMINGS=1 "$bin" build "$tmp/bank/model.yaml" --out "$tmp/out" --allow-outside-root 2>&1 >/dev/null | awk '$2 == "analyse" {print $3}'
  done | sort -n | awk '{a[NR]=$1} END {printf "  analyse %.1f ms\n", a[int((NR+1)/2)]}'
fi
echo "catalog load (embedded Enterprise, in-process):"
cargo bench --quiet --bench catalog 2>/dev/null | grep -i -E "enterprise|median" | head -3
