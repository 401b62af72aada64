#!/usr/bin/env bash
# Extraction benchmark: slipway (hashing every member) against cabextract on the same data.
# Usage: benches/extract.sh [DATA_DIR]   (needs cabextract and hyperfine; GNU time for RSS)
set -euo pipefail
cd "$(dirname "$0")/.."
data="${1:-target/bench-data}"
cargo build --release --quiet
cargo run --release --quiet --example gen_bench_data -- "$data"
bin=target/release/slipway
out="$data/out"
for cab in big-mszip many-small; do
  f="$data/$cab.cab"
  echo "== $cab.cab ($(du -h "$f" | cut -f1))"
  hyperfine --warmup 1 --runs 5 \
    --prepare "rm -rf $out" \
    "cabextract -q -d $out $f" \
    "$bin extract --no-progress -q $f -o $out" \
    "gcab -x -C $out $f"
  rm -rf "$out"
  /usr/bin/time -f "slipway peak RSS: %M KiB" "$bin" extract --no-progress -q "$f" -o "$out"
  rm -rf "$out"
  /usr/bin/time -f "cabextract peak RSS: %M KiB" cabextract -q -d "$out" "$f"
  rm -rf "$out"
done
