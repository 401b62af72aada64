#!/usr/bin/env bash
# Verify throughput: `slipway verify` (SHA-256 and SHA-1 of every input, computed in the pass
# that parses and extracts it) against sha256sum and hashdeep on the same 1 GiB of packages.
# Usage: benches/verify.sh [DATA_DIR] [MIB]   (needs hyperfine and hashdeep)
set -euo pipefail
cd "$(dirname "$0")/.."
data="${1:-/dev/shm/slipway-verify}"
mib="${2:-1024}"
cargo build --release --quiet
cargo run --release --quiet --example gen_verify_data -- "$data" "$mib"
bin=target/release/slipway
du -sh "$data"
hyperfine -N --warmup 1 --runs 5 \
  "sha256sum $data/office2010-kb2597000-fullfile-x64-glb.exe $data/office2010-kb2597001-fullfile-x64-glb.exe $data/office2010-kb2597002-fullfile-x64-glb.exe $data/office2010-kb2597003-fullfile-x64-glb.exe" \
  "hashdeep -c sha256,sha1 $data/office2010-kb2597000-fullfile-x64-glb.exe $data/office2010-kb2597001-fullfile-x64-glb.exe $data/office2010-kb2597002-fullfile-x64-glb.exe $data/office2010-kb2597003-fullfile-x64-glb.exe" \
  "$bin verify --no-progress -q $data/office2010-kb2597000-fullfile-x64-glb.exe $data/office2010-kb2597001-fullfile-x64-glb.exe $data/office2010-kb2597002-fullfile-x64-glb.exe $data/office2010-kb2597003-fullfile-x64-glb.exe"
/usr/bin/time -f "slipway verify peak RSS: %M KiB" "$bin" verify --no-progress -q "$data"/*.exe >/dev/null || true
