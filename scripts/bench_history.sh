#!/usr/bin/env bash
# Benchmark of `threatc history` (release binary): a temporary git repository holding the
# bank example (models/financial) with N commits (default 200) that each change the model:
# every commit adds or removes inline rules in an included rule file, every third also
# flips a rule's status in model.yaml, every tenth breaks the model (a failed point).
# Prints the median wall time of R runs (default 3) and the peak memory (max RSS).
# Usage: scripts/bench_history.sh [commits] [runs]
set -euo pipefail
cd "$(dirname "$0")/.."
commits=${1:-200}
runs=${2:-3}
cargo build --release --quiet
bin=$(pwd)/target/release/threatc
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
repo=$tmp/repo
mkdir -p "$repo"
cp -r models/financial "$repo/m"
g() { git -C "$repo" -c user.name=bench -c user.email=bench@example.com -c commit.gpgsign=false "$@"; }
g init -q
# The model includes a rule file the commits rewrite.
python3 - "$repo/m/model.yaml" <<'EOF'
import sys
p = sys.argv[1]
s = open(p).read()
s = s.replace("  - rules/identity.yaml\n", "  - rules/identity.yaml\n  - rules/bench.yaml\n", 1)
open(p, "w").write(s)
EOF
python3 scripts/gen_history_commit.py "$repo/m" 0
g add -A
GIT_COMMITTER_DATE="2026-01-01T12:00:00+00:00" g commit -q -m "bench 0"
for i in $(seq 1 $((commits - 1))); do
  python3 scripts/gen_history_commit.py "$repo/m" "$i"
  day=$(python3 -c "import datetime,sys; print((datetime.date(2026,1,1)+datetime.timedelta(days=int(sys.argv[1])//2)).isoformat())" "$i")
  GIT_COMMITTER_DATE="${day}T12:00:00+00:00" g commit -q -a -m "bench $i"
done
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $(uname -m); $commits commits; runs: $runs"
times=()
mem=0
for _ in $(seq "$runs"); do
  rm -rf "$tmp/out"
  /usr/bin/time -f "%e %M" -o "$tmp/t" "$bin" history "$repo/m/model.yaml" --out "$tmp/out" 2> "$tmp/err" || { cat "$tmp/err"; exit 1; }
  read -r t m < "$tmp/t"
  times+=("$t"); (( m > mem )) && mem=$m
done
median=$(printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
points=$(($(wc -l < "$tmp/out/trend.csv") - 1))
failed=$(grep -c ',failed,' "$tmp/out/trend.csv" || true)
tail -n 1 "$tmp/err"
awk -v t="$median" -v m="$mem" -v p="$points" -v f="$failed" \
  'BEGIN { printf "history: %d points (%d failed) in %.1f s (median), peak memory %.0f MB\n", p, f, t, m / 1024 }'
