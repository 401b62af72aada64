#!/usr/bin/env bash
# Build benchmark: `slipway build` (one read of every input byte; hashes while pooling; hard
# links between roles) against the shell pipeline "cabextract + sha256sum + cp per role" on
# the same 1 GiB of packages (four packages, 32 patches, three roles).
# Usage: benches/build.sh [DATA_DIR] [MIB]   (needs hyperfine and cabextract)
set -euo pipefail
cd "$(dirname "$0")/.."
data="${1:-/dev/shm/slipway-build}"
mib="${2:-1024}"
cargo build --release --quiet
cargo run --release --quiet --example gen_verify_data -- "$data/downloads" "$mib" patches
bin="$PWD/target/release/slipway"
out="$data/out"
cat > "$data/pipeline.sh" <<'SH'
#!/usr/bin/env bash
# The shell pipeline: unpack each package, hash every patch, copy the patches into each role.
set -euo pipefail
data="$1"; out="$2"
mkdir -p "$out/pool"
for pkg in "$data"/downloads/*.exe; do cabextract -q -d "$out/pool" "$pkg"; done
(cd "$out/pool" && sha256sum -- * > "$out/SHA256SUMS")
for role in app-ca app wfe; do
  mkdir -p "$out/$role/Updates"
  cp "$out"/pool/*.msp "$out/$role/Updates/"
done
rm -rf "$out/pool"
SH
chmod +x "$data/pipeline.sh"
du -sh "$data/downloads"
hyperfine -N --warmup 1 --runs 5 --prepare "rm -rf $out" \
  "$data/pipeline.sh $data $out" \
  "$bin build --no-progress -q $data/downloads -o $out --product sharepoint-2007"
rm -rf "$out"
/usr/bin/time -f "slipway build peak RSS: %M KiB" "$bin" build --no-progress -q "$data/downloads" -o "$out" --product sharepoint-2007 >/dev/null
rm -rf "$out"
