#!/usr/bin/env bash
# Hostile inputs in every command: how long each takes to refuse them and its peak memory,
# under the default budgets (issue "Damage is never success"). Needs GNU time (/usr/bin/time).
# Usage: benches/hostile.sh [DATA_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
data="${1:-/dev/shm/slipway-hostile}"
cargo build --release --quiet
cargo run --release --quiet --example gen_hostile -- "$data"
mkfifo "$data/pipe.exe" 2>/dev/null || true
bin=target/release/slipway
out="$data/out"
printf '%-16s %-8s %5s %9s %11s\n' input command exit seconds "peak KiB"
for input in nested.zip overlap.zip million.zip clash.zip evil-names.zip pipe.exe /dev/zero; do
  path="$input"
  [ -e "$data/$input" ] && path="$data/$input"
  for cmd in inspect verify extract build; do
    rm -rf "$out"
    case $cmd in
      extract) args=(extract "$path" -o "$out" --recursive) ;;
      build) args=(build "$path" -o "$out" --product sharepoint-2007) ;;
      *) args=("$cmd" "$path") ;;
    esac
    set +e
    /usr/bin/time -f "%e %M" -o "$data/time" "$bin" --no-progress -q "${args[@]}" >/dev/null 2>&1
    code=$?
    set -e
    read -r secs kib < <(tail -n 1 "$data/time")
    printf '%-16s %-8s %5s %9s %11s\n' "$(basename "$input")" "$cmd" "$code" "$secs" "$kib"
  done
done
