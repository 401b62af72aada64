#!/usr/bin/env bash
# build --media: a setup-media tree of GIB GiB (random data, a few large files and many small
# ones) merged into four role folders, against `cp -r` of the same tree once (one pass) and
# four times (one copy per role). Reports time (hyperfine) and the bytes each run read and
# wrote (/usr/bin/time -v: file system inputs/outputs, 512-byte blocks, caches dropped first
# when permitted). Usage: benches/media_copy.sh [DATA_DIR] [GIB]
set -euo pipefail
cd "$(dirname "$0")/.."
data="${1:-/tmp/slipway-media-bench}"
gib="${2:-5}"
cargo build --release --quiet
bin=target/release/slipway
media="$data/media"
if [ ! -f "$media/.complete-$gib" ]; then
  rm -rf "$media"
  mkdir -p "$media/Updates" "$media/Setup"
  cp samples/media/exchange-2007/setup.exe "$media/setup.exe"
  cp samples/media/exchange-2007/Updates/*.msp "$media/Updates/"
  # GIB-1 files of 1 GiB, and 1 GiB as 4096 files of 256 KiB.
  for i in $(seq 1 $((gib - 1))); do
    head -c 1G /dev/urandom > "$media/Setup/data$i.cab"
  done
  mkdir -p "$media/Setup/small"
  for i in $(seq 1 4096); do
    head -c 256K /dev/urandom > "$media/Setup/small/f$i.bin"
  done
  touch "$media/.complete-$gib"
fi
rm -f "$media/.complete-"*
out="$data/out"
roles="--role edge-transport --role hub-transport --role client-access --role mailbox"
build="$bin build samples/exchange-2007 --product exchange-2007 $roles --media $media -o $out -q --no-progress"
cp1="cp -r $media $data/cp1"
cp4="sh -c 'for r in 1 2 3 4; do cp -r $media $data/cp4-\$r; done'"
clean="rm -rf $out $data/cp1 $data/cp4-1 $data/cp4-2 $data/cp4-3 $data/cp4-4"
drop() { sync; echo 3 > /proc/sys/vm/drop_caches 2>/dev/null || true; }
for cmd in "$build" "$cp1" "$cp4"; do
  eval "$clean"; drop
  echo "== $cmd"
  /usr/bin/time -v sh -c "$cmd" 2>&1 >/dev/null |
    grep -E "Elapsed|File system inputs|File system outputs|Maximum resident"
done
eval "$clean"
hyperfine -N --warmup 1 --runs 5 --prepare "$clean" "$build" "$cp1" "$cp4"
eval "$clean"
touch "$media/.complete-$gib"
