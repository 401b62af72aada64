#!/usr/bin/env bash
# LZX extraction benchmark: slipway (hashing every member) against cabextract on the same
# data, in the same hyperfine run, output on tmpfs.
# Data: vc_red.cab (the real LZX:21 cabinet inside the corpus's vcredist_x86.exe, taken out
# with cabextract; never committed) and big-lzx.cab (generated: 210 MiB, LZX:21, E8).
# Usage: benches/lzx.sh [DATA_DIR] [CORPUS]   (needs cabextract, hyperfine, GNU time)
set -euo pipefail
cd "$(dirname "$0")/.."
data="${1:-/dev/shm/slipway-bench-lzx}"
corpus="${2:-${SLIPWAY_CORPUS:-../shared/corpus}}"
mkdir -p "$data"
cargo build --release --quiet
[ -f "$data/big-lzx.cab" ] || cargo run --release --quiet --example gen_bench_data -- "$data" --lzx
if [ ! -f "$data/vc_red.cab" ]; then
  rm -rf "$data/vcredist"
  cabextract -q -d "$data/vcredist" "$corpus/roomsports/vcredist_x86.exe"
  cp "$data/vcredist/vc_red.cab" "$data/vc_red.cab"
fi
bin=target/release/slipway
out="$data/out"
for cab in vc_red big-lzx; do
  f="$data/$cab.cab"
  # Same bytes out of both tools before timing anything.
  rm -rf "$out" "$out.ref"
  cabextract -q -d "$out.ref" "$f" 2>/dev/null
  "$bin" extract --no-progress -q "$f" -o "$out"
  diff -r "$out.ref" "$out" >/dev/null
  echo "== $cab.cab: $(du -b "$f" | cut -f1) bytes, $(du -sb "$out" | cut -f1) bytes unpacked, identical"
  unpacked=$(du -sb "$out" | cut -f1)
  rm -rf "$out" "$out.ref"
  # Rounds alternate the two tools (the machine is shared); medians over all runs.
  for round in $(seq "${ROUNDS:-3}"); do
    hyperfine -N --warmup 2 --runs "${RUNS:-10}" \
      --prepare "rm -rf $out" \
      "cabextract -q -d $out $f" \
      "$bin extract --no-progress -q $f -o $out" \
      --export-json "$data/$cab-$round.json" | grep -E "Time|±"
  done
  python3 - "$unpacked" "$data/$cab"-*.json <<'PY'
import json, statistics, sys
unpacked = int(sys.argv[1])
times = {}
for path in sys.argv[2:]:
    for r in json.load(open(path))["results"]:
        times.setdefault(r["command"].split()[0].split("/")[-1], []).extend(r["times"])
med = {k: statistics.median(v) for k, v in times.items()}
for k, m in med.items():
    print(f"median {k}: {m * 1000:.1f} ms over {len(times[k])} runs, {unpacked / m / 1e6:.0f} MB/s")
print(f"slipway / cabextract: {med['slipway'] / med['cabextract']:.2f}x the time")
PY
  rm -rf "$out"
  /usr/bin/time -o "$data/rss" -f "%M" "$bin" extract --no-progress -q "$f" -o "$out"
  echo "slipway peak RSS: $(cat "$data/rss") KiB"
  rm -rf "$out"
  /usr/bin/time -o "$data/rss" -f "%M" cabextract -q -d "$out" "$f" 2>/dev/null
  echo "cabextract peak RSS: $(cat "$data/rss") KiB"
  rm -rf "$out"
done
