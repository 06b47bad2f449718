#!/usr/bin/env bash
# Packages a built threatc binary as a release asset, under the name the GitHub Action
# (action/run.sh) downloads:
#   threatc-<version>-<target>.tar.gz   (threatc, README.md; Linux and macOS)
#   threatc-<version>-<target>.zip      (threatc.exe, README.md; Windows)
# Usage: scripts/package-release.sh VERSION TARGET BINARY OUT_DIR
# `sha256sum threatc-* > SHA256SUMS` in OUT_DIR then gives the checksum file
# (.github/workflows/release.yml does it once all targets are built).
set -euo pipefail
[ $# -eq 4 ] || { echo "usage: $0 VERSION TARGET BINARY OUT_DIR" >&2; exit 2; }
version=${1#v}
target=$2
binary=$3
out=$4
root=$(cd "$(dirname "$0")/.." && pwd)
[ -f "$binary" ] || { echo "no binary at $binary" >&2; exit 1; }
mkdir -p "$out"
out=$(cd "$out" && pwd)
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
case "$target" in
  *windows*)
    cp "$binary" "$stage/threatc.exe"
    cp "$root/README.md" "$stage/"
    asset="threatc-$version-$target.zip"
    rm -f "$out/$asset"
    if command -v zip > /dev/null 2>&1; then
      (cd "$stage" && zip -q -X "$out/$asset" threatc.exe README.md)
    else
      (cd "$stage" && 7z a -tzip "$out/$asset" threatc.exe README.md > /dev/null)
    fi
    ;;
  *)
    cp "$binary" "$stage/threatc"
    chmod 755 "$stage/threatc"
    cp "$root/README.md" "$stage/"
    asset="threatc-$version-$target.tar.gz"
    tar -czf "$out/$asset" -C "$stage" threatc README.md
    ;;
esac
echo "$out/$asset"
