#!/usr/bin/env bash
# Extraction benchmark: slipway (hashing every member) against cabextract on the same data.
# Usage: benches/extract.sh [DATA_DIR]   (needs cabextract and hyperfine; GNU time for RSS)
set -euo pipefail
cd "$(dirname "$0")/.."
# tmpfs by default: the virtual disk here makes file creation dominate and vary run to run.
data="${1:-/dev/shm/slipway-bench}"
cargo build --release --quiet
cargo run --release --quiet --example gen_bench_data -- "$data"
bin=target/release/slipway
out="$data/out"
for cab in big-mszip many-small; do
  f="$data/$cab.cab"
  echo "== $cab.cab ($(du -h "$f" | cut -f1))"
  hyperfine -N --warmup 1 --runs 10 \
    --prepare "rm -rf $out" \
    "cabextract -q -d $out $f" \
    "$bin extract --no-progress -q $f -o $out" \
    "gcab -x -C $out $f" \
    --export-markdown "$data/$cab.md"
  # The floor for creating these files on this machine: tar x of the same tree.
  rm -rf "$out"
  "$bin" extract --no-progress -q "$f" -o "$out"
  tar cf "$data/$cab.tar" -C "$out" .
  hyperfine -N --warmup 1 --runs 10 \
    --prepare "sh -c 'rm -rf $out; mkdir $out'" \
    "tar xf $data/$cab.tar -C $out"
  rm -rf "$out"
  /usr/bin/time -f "slipway peak RSS: %M KiB" "$bin" extract --no-progress -q "$f" -o "$out"
  rm -rf "$out"
  /usr/bin/time -f "cabextract peak RSS: %M KiB" cabextract -q -d "$out" "$f"
  rm -rf "$out"
done
