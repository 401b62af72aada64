#!/usr/bin/env bash
# Hostile inputs in every command: how long each takes to refuse them and its peak memory,
# under the default budgets (issues "Damage is never success" and 19). Needs GNU time
# (/usr/bin/time). With OLD=path/to/an/older/slipway, the farm checks and the disc images
# are run with it too (each capped at 120 s), for the before/after ratios.
# Usage: benches/hostile.sh [DATA_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
data="${1:-/dev/shm/slipway-hostile}"
cargo build --release --quiet
cargo run --release --quiet --example gen_hostile -- "$data"
mkfifo "$data/pipe.exe" 2>/dev/null || true
bin=target/release/slipway
out="$data/out"
sample=samples/sharepoint-2007

# run LABEL BINARY ARGS…: one line with the exit code, wall time and peak KiB (GNU time -v;
# a run still going after 120 s is stopped, exit 124, with its peak so far).
run() {
  local label=$1 binary=$2
  shift 2
  rm -rf "$out"
  set +e
  /usr/bin/time -v -o "$data/time" timeout 120 "$binary" --no-progress -q "$@" >/dev/null 2>&1
  local code=$?
  set -e
  local secs kib
  secs=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$data/time")
  kib=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$data/time")
  [ "$code" = 124 ] && secs="killed at $secs"
  printf '%-34s %5s %14s %11s\n' "$label" "$code" "${secs:-?}" "${kib:-?}"
}

printf '%-34s %5s %14s %11s\n' "input, command" exit "wall (m:ss)" "peak KiB"
for input in nested.zip overlap.zip million.zip clash.zip dup.zip evil-names.zip \
  overlap-bundle.zip shared.iso shared-udf.iso pipe.exe /dev/zero; do
  path="$input"
  [ -e "$data/$input" ] && path="$data/$input"
  name=$(basename "$input")
  run "$name inspect" "$bin" inspect "$path"
  run "$name verify" "$bin" verify "$path"
  run "$name extract" "$bin" extract "$path" -o "$out" --recursive
  run "$name build" "$bin" build "$path" -o "$out" --product sharepoint-2007
done
if [ -n "${OLD:-}" ]; then
  run "overlap-bundle.zip verify (OLD)" "$OLD" verify "$data/overlap-bundle.zip"
  run "dup.zip extract (OLD)" "$OLD" extract "$data/dup.zip" -o "$out"
fi
for image in shared.iso shared-udf.iso; do
  run "$image build --media" "$bin" build "$sample" -o "$out" --product sharepoint-2007 \
    --media "$data/$image"
  if [ -n "${OLD:-}" ]; then
    run "$image inspect (OLD)" "$OLD" inspect "$data/$image"
  fi
done

# Farm files: checked and ordered (issue 19, point 5).
for n in 1000 10000 24000; do
  run "farm-$n.toml farm check" "$bin" farm check "$data/farm-$n.toml"
  if [ -n "${OLD:-}" ]; then
    run "farm-$n.toml farm check (OLD)" "$OLD" farm check "$data/farm-$n.toml"
  fi
done

# verify OUT with what an attacker plants (issue 19, point 2): each must end at once, exit 1.
built="$data/built"
rm -rf "$built"
"$bin" --no-progress -q build samples/ocs-2007-r2 -o "$built" --product ocs-2007-r2 >/dev/null
role=$(basename "$(dirname "$(find "$built" -mindepth 2 -maxdepth 2 -name Updates | head -n 1)")")
plant() {
  rm -rf "$data/planted"
  cp -a "$built" "$data/planted"
  case $1 in
    passwd) ln -s /etc/passwd "$data/planted/$role/Updates/passwd" ;;
    etc) ln -s /etc "$data/planted/etc" ;;
    root) ln -s / "$data/planted/root" ;;
    sums) cp "$built/SHA256SUMS" "$data/sums.copy" && rm "$data/planted/SHA256SUMS" &&
      ln -s "$data/sums.copy" "$data/planted/SHA256SUMS" ;;
    fifo) mkfifo "$data/planted/$role/pipe" ;;
  esac
}
for what in passwd etc root sums fifo; do
  plant "$what"
  run "OUT + $what verify" "$bin" verify "$data/planted"
done
