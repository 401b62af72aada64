#!/usr/bin/env bash
# Quantum extraction benchmark: slipway (hashing every member) against cabextract on the same
# data, in the same hyperfine runs, output on tmpfs.
# Data: big-quantum.cab (generated: 150 MiB in 48 members, Quantum with a 2 MiB window) and
# the corpus's libmspack/mszip_lzx_qtm.cab (MSZIP, LZX and Quantum folders, 303 bytes).
# Usage: benches/quantum.sh [DATA_DIR] [CORPUS]   (needs cabextract, hyperfine, GNU time)
set -euo pipefail
cd "$(dirname "$0")/.."
data="${1:-/dev/shm/slipway-bench-quantum}"
corpus="${2:-${SLIPWAY_CORPUS:-../shared/corpus}}"
mkdir -p "$data"
cargo build --release --quiet
[ -f "$data/big-quantum.cab" ] || cargo run --release --quiet --example gen_bench_quantum -- "$data"
cp "$corpus/libmspack/mszip_lzx_qtm.cab" "$data/mszip_lzx_qtm.cab"
bin=target/release/slipway
out="$data/out"
for cab in big-quantum mszip_lzx_qtm; do
  f="$data/$cab.cab"
  # Same bytes out of both tools before timing anything.
  rm -rf "$out" "$out.ref"
  cabextract -q -d "$out.ref" "$f" 2>/dev/null
  "$bin" extract --no-progress -q "$f" -o "$out"
  diff -r "$out.ref" "$out" >/dev/null
  unpacked=$(du -sb --apparent-size "$out" | cut -f1)
  echo "== $cab.cab: $(du -b "$f" | cut -f1) bytes, $unpacked bytes unpacked, identical"
  rm -rf "$out" "$out.ref"
  runs="${RUNS:-10}"
  [ "$cab" = big-quantum ] || runs="${SMALL_RUNS:-100}"
  # Rounds alternate the two tools (the machine is shared); medians over all runs.
  for round in $(seq "${ROUNDS:-3}"); do
    hyperfine -N --warmup 2 --runs "$runs" \
      --prepare "rm -rf $out" \
      "cabextract -q -d $out $f" \
      "$bin extract --no-progress -q $f -o $out" \
      --export-json "$data/$cab-$round.json" | grep -E "Time|±"
  done
  python3 - "$unpacked" "$data/$cab"-*.json <<'PY'
import json, statistics, sys
unpacked = int(sys.argv[1])
times = {}
user = {}
for path in sys.argv[2:]:
    for r in json.load(open(path))["results"]:
        tool = r["command"].split()[0].split("/")[-1]
        times.setdefault(tool, []).extend(r["times"])
        user.setdefault(tool, []).append(r["user"])
med = {k: statistics.median(v) for k, v in times.items()}
for k, m in med.items():
    print(f"median {k}: {m * 1000:.1f} ms over {len(times[k])} runs, {unpacked / m / 1e6:.1f} MB/s,"
          f" mean user time per round {', '.join(f'{u * 1000:.1f}' for u in user[k])} ms")
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
