#!/usr/bin/env bash
# build of several LZX packages on one thread against two (--threads): independent downloads
# are unpacked side by side. Usage: benches/build_parallel.sh [DATA_DIR] [PACKAGES] [MIB]
# (needs hyperfine).
set -euo pipefail
cd "$(dirname "$0")/.."
data="${1:-/dev/shm/slipway-build-lzx}"
cargo build --release --quiet
cargo run --release --quiet --example gen_build_lzx -- "$data" "${2:-4}" "${3:-48}"
bin=target/release/slipway
out="$data.out"
run="$bin build $data -o $out --product sharepoint-2007 --allow-findings -q --no-progress"
hyperfine -N --warmup 1 --runs 10 --prepare "rm -rf $out" "$run --threads 1" "$run --threads 2"
rm -rf "$out"
