#!/usr/bin/env bash
# slipway extract against 7-Zip (7zz) and cabextract, side by side on the same cabinets.
#
# Inputs (generated or taken out of the corpus; never committed):
#   vc_red      the real LZX:21 cabinet inside the corpus's vcredist_x86.exe
#   big-lzx     generated LZX:21, 210 MiB in 48 members (gen_bench_data --lzx)
#   big-mszip   generated MSZIP, 200 MiB in 40 members (gen_bench_data)
#   big-stored  the same 200 MiB, uncompressed (gen_bench_data --stored)
#   many-small  generated MSZIP, 20,000 members of 0.5-4 KiB (gen_bench_data)
#
# slipway runs twice: as `extract -q` (no digest reported, so none computed: read, check,
# write, as 7zz and cabextract do) and as `extract --json` (every member's SHA-256 reported,
# so computed: one more pass over every byte).
#
# For each input: the tools' outputs are compared byte for byte first; then ROUNDS rounds,
# each running every tool once (the order rotates from round to round; output removed before
# each run, outside the timing). Reported: the median of the per-round ratios of each slipway
# run to 7zz and to cabextract, with their range. For big-stored also the floor: one read
# (cat), one SHA-256 of each member (sha256sum) and one write (cp) of the same bytes, which
# the `--json` run is held to (it hashes; the `-q` run does not).
#
# Then, with SCALING=1: thread scaling of `slipway extract --threads 1` against `--threads 2`
# on each cabinet and of `slipway build` (four LZX packages, gen_build_lzx), and the cost of
# LZX extraction at 50, 200 and 800 MiB (time and peak memory).
#
# Usage: benches/vs7zip.sh [DATA_DIR] [CORPUS]
#   ROUNDS=11     rounds per input
#   LOAD=1        keep the other core busy (`yes > /dev/null`) while measuring
#   ONLY="a b"    only these inputs
#   SCALING=1     also the thread-scaling and size series
# Needs 7zz (Debian 7zip), cabextract, python3, GNU time; output on tmpfs by default.
set -euo pipefail
cd "$(dirname "$0")/.."
data="${1:-/dev/shm/slipway-vs7zip}"
corpus="${2:-${SLIPWAY_CORPUS:-../shared/corpus}}"
mkdir -p "$data"
cargo build --release --quiet --bin slipway --example gen_bench_data --example gen_build_lzx
gen=target/release/examples/gen_bench_data
[ -f "$data/big-mszip.cab" ] && [ -f "$data/many-small.cab" ] || "$gen" "$data"
[ -f "$data/big-stored.cab" ] || "$gen" "$data" --stored
[ -f "$data/big-lzx.cab" ] || "$gen" "$data" --lzx
if [ ! -f "$data/vc_red.cab" ]; then
  exe=$(find "$corpus" -name vcredist_x86.exe | head -1)
  rm -rf "$data/vcredist"
  cabextract -q -d "$data/vcredist" "$exe"
  cp "$data/vcredist/vc_red.cab" "$data/vc_red.cab"
  rm -rf "$data/vcredist"
fi

load_pid=""
stop_load() { if [ -n "$load_pid" ]; then kill "$load_pid" 2>/dev/null || true; wait "$load_pid" 2>/dev/null || true; fi; }
trap stop_load EXIT
if [ "${LOAD:-0}" = 1 ]; then
  yes >/dev/null &
  load_pid=$!
  echo "load: yes >/dev/null (pid $load_pid) keeps one core busy"
fi

python3 - "$data" "${ROUNDS:-11}" "${ONLY:-vc_red big-lzx big-mszip big-stored many-small}" <<'PY'
import os, shutil, statistics, subprocess, sys, time
data, rounds, only = sys.argv[1], int(sys.argv[2]), sys.argv[3].split()
bin = os.path.abspath("target/release/slipway")
out = os.path.join(data, "out")

def tools(cab):
    return {
        "slipway": [bin, "extract", "--no-progress", "-q", cab, "-o", out],
        "slipway-json": [bin, "extract", "--no-progress", "--json", cab, "-o", out],
        "7zz": ["7zz", "x", "-y", "-bd", "-bso0", "-bsp0", "-o" + out, cab],
        "cabextract": ["cabextract", "-q", "-d", out, cab],
    }

def clean():
    shutil.rmtree(out, ignore_errors=True)

def run(cmd, **kw):
    clean()
    t = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, **kw)
    return time.perf_counter() - t

def tree(root):
    files = {}
    for d, _, names in os.walk(root):
        for n in names:
            p = os.path.join(d, n)
            files[os.path.relpath(p, root)] = p
    return files

def same(a, b):
    ta, tb = tree(a), tree(b)
    if sorted(ta) != sorted(tb):
        return False
    for k in ta:
        with open(ta[k], "rb") as x, open(tb[k], "rb") as y:
            while True:
                u, v = x.read(1 << 20), y.read(1 << 20)
                if u != v:
                    return False
                if not u:
                    break
    return True

def spread(xs):
    return f"{statistics.median(xs):.2f} (min {min(xs):.2f}, max {max(xs):.2f})"

for name in only:
    cab = os.path.join(data, name + ".cab")
    cmds = tools(cab)
    # Same bytes from every tool before anything is timed.
    refs = {}
    for t, cmd in cmds.items():
        run(cmd)
        refs[t] = out + "." + t
        shutil.rmtree(refs[t], ignore_errors=True)
        os.rename(out, refs[t])
    for t in ("slipway-json", "7zz", "cabextract"):
        if not same(refs["slipway"], refs[t]):
            sys.exit(f"{name}: slipway and {t} wrote different files")
    size = sum(os.path.getsize(p) for p in tree(refs["slipway"]).values())
    members = len(tree(refs["slipway"]))
    if name == "big-stored":
        members_dir = refs["slipway"]
        cmds["floor"] = ["sh", "-c",
            f"cat {cab} >/dev/null && find {members_dir} -type f -exec sha256sum {{}} + >/dev/null"
            f" && cp -r {members_dir} {out}"]
    times = {t: [] for t in cmds}
    order = list(cmds)
    for r in range(rounds):
        for t in order[r % len(order):] + order[:r % len(order)]:
            times[t].append(run(cmds[t]))
    clean()
    for t in refs.values():
        shutil.rmtree(t, ignore_errors=True)
    print(f"== {name}.cab: {os.path.getsize(cab):,} bytes, {members} members, {size:,} bytes out,"
          f" identical from every tool; {rounds} rounds")
    for t, xs in times.items():
        print(f"  {t:12s} median {statistics.median(xs) * 1000:8.1f} ms"
              f" (min {min(xs) * 1000:.1f}, max {max(xs) * 1000:.1f})")
    for mine in ("slipway", "slipway-json"):
        for t in ("7zz", "cabextract", "floor"):
            if t in times and not (t == "floor" and mine == "slipway"):
                ratios = [a / b for a, b in zip(times[mine], times[t])]
                print(f"  {mine} / {t}: {spread(ratios)}")
PY

# Peak memory (KiB) of each tool on each input.
for name in ${ONLY:-vc_red big-lzx big-mszip big-stored many-small}; do
  line="peak RSS $name:"
  for tool in slipway 7zz cabextract; do
    rm -rf "$data/out"
    case $tool in
      slipway) cmd=(target/release/slipway extract --no-progress -q "$data/$name.cab" -o "$data/out") ;;
      7zz) cmd=(7zz x -y -bd -bso0 -bsp0 "-o$data/out" "$data/$name.cab") ;;
      cabextract) cmd=(cabextract -q -d "$data/out" "$data/$name.cab") ;;
    esac
    /usr/bin/time -o "$data/rss" -f %M "${cmd[@]}" >/dev/null 2>&1
    line="$line $tool $(cat "$data/rss") KiB,"
  done
  echo "${line%,}"
done
rm -rf "$data/out"

[ "${SCALING:-0}" = 1 ] || exit 0

# Thread scaling of extract: --threads 1 against --threads 2 on each cabinet (same bytes).
python3 - "$data" "${ROUNDS:-11}" "${ONLY:-vc_red big-lzx big-mszip big-stored many-small}" <<'PY'
import filecmp, os, shutil, statistics, subprocess, sys, time
data, rounds, only = sys.argv[1], int(sys.argv[2]), sys.argv[3].split()
bin = os.path.abspath("target/release/slipway")
def run(cab, n, out):
    shutil.rmtree(out, ignore_errors=True)
    t = time.perf_counter()
    subprocess.run([bin, "--threads", str(n), "extract", "--no-progress", "-q", cab, "-o", out],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t
for name in only:
    cab = os.path.join(data, name + ".cab")
    o1, o2 = os.path.join(data, "t1"), os.path.join(data, "t2")
    run(cab, 1, o1); run(cab, 2, o2)
    def tree(root):
        return sorted(os.path.relpath(os.path.join(d, n), root)
                      for d, _, names in os.walk(root) for n in names)
    t1 = tree(o1)
    if t1 != tree(o2) or filecmp.cmpfiles(o1, o2, t1, shallow=False)[1:] != ([], []):
        sys.exit(f"{name}: --threads 1 and 2 wrote different files")
    one, two = [], []
    for r in range(rounds):
        for n in ((1, 2) if r % 2 == 0 else (2, 1)):
            (one if n == 1 else two).append(run(cab, n, o1))
    shutil.rmtree(o1, ignore_errors=True); shutil.rmtree(o2, ignore_errors=True)
    s = [a / b for a, b in zip(one, two)]
    print(f"== extract {name}.cab: --threads 1 median {statistics.median(one) * 1000:.1f} ms,"
          f" --threads 2 median {statistics.median(two) * 1000:.1f} ms; speed-up"
          f" {statistics.median(s):.2f} (min {min(s):.2f}, max {max(s):.2f}); same files")
PY

# Thread scaling: four independent packages built, and extracted, with one and two threads.
if [ ! -d "$data/build/downloads" ]; then
  target/release/examples/gen_build_lzx "$data/build/downloads" 4 48 >/dev/null
fi
python3 - "$data" "${ROUNDS:-11}" <<'PY'
import os, shutil, statistics, subprocess, sys, time
data, rounds = sys.argv[1], int(sys.argv[2])
bin = os.path.abspath("target/release/slipway")
dl = os.path.join(data, "build", "downloads")
pkgs = sorted(os.path.join(dl, n) for n in os.listdir(dl))
def run(n):
    out = os.path.join(data, "build", f"x{n}")
    shutil.rmtree(out, ignore_errors=True)
    t = time.perf_counter()
    doc = subprocess.run([bin, "--threads", str(n), "extract", "--no-progress", "--json", *pkgs,
                          "-o", out], check=True, stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL).stdout
    return time.perf_counter() - t, doc.replace(out.encode(), b"OUT")
one, two = [], []
for r in range(rounds):
    for n in ((1, 2) if r % 2 == 0 else (2, 1)):
        (one if n == 1 else two).append(run(n))
if len({d for _, d in one + two}) != 1:
    sys.exit("extract: the reports of --threads 1 and 2 differ")
a, b = [t for t, _ in one], [t for t, _ in two]
s = [x / y for x, y in zip(a, b)]
print(f"== extract, 4 LZX packages in one run: --threads 1 median {statistics.median(a) * 1000:.1f} ms,"
      f" --threads 2 median {statistics.median(b) * 1000:.1f} ms; speed-up {statistics.median(s):.2f}"
      f" (min {min(s):.2f}, max {max(s):.2f}); reports identical")
PY
python3 - "$data" "${ROUNDS:-11}" <<'PY'
import os, shutil, statistics, subprocess, sys, time
data, rounds = sys.argv[1], int(sys.argv[2])
bin = os.path.abspath("target/release/slipway")
dl = os.path.join(data, "build", "downloads")
def run(n):
    out = os.path.join(data, "build", f"out{n}")
    shutil.rmtree(out, ignore_errors=True)
    cmd = [bin, "build", dl, "-o", out, "--product", "sharepoint-2007", "--no-progress", "-q",
           "--allow-findings", "--threads", str(n)]
    t = time.perf_counter()
    # The build time is pinned: it is recorded in the manifest and the report.
    env = dict(os.environ, SOURCE_DATE_EPOCH="1262304000")
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    return time.perf_counter() - t, open(os.path.join(out, "install-manifest.json"), "rb").read()
one, two = [], []
for r in range(rounds):
    for n in ((1, 2) if r % 2 == 0 else (2, 1)):
        t, manifest = run(n)
        (one if n == 1 else two).append((t, manifest))
if len({m for _, m in one + two}) != 1:
    sys.exit("build: the manifests of --threads 1 and 2 differ")
a, b = [t for t, _ in one], [t for t, _ in two]
print(f"== build, 4 LZX packages: --threads 1 median {statistics.median(a) * 1000:.1f} ms,"
      f" --threads 2 median {statistics.median(b) * 1000:.1f} ms; manifests identical")
r = [x / y for x, y in zip(a, b)]
print(f"  speed-up (threads 1 / threads 2 per round): {statistics.median(r):.2f}"
      f" (min {min(r):.2f}, max {max(r):.2f})")
PY

# Linear cost and flat memory: LZX extraction at 50, 200 and 800 MiB.
for mib in 50 200 800; do
  f="$data/lzx-$mib.cab"
  [ -f "$f" ] || target/release/examples/gen_bench_data "$data" --lzx "$mib"
  best=""
  for _ in 1 2 3; do
    rm -rf "$data/out"
    /usr/bin/time -o "$data/rss" -f "%e %M" target/release/slipway extract --no-progress -q "$f" -o "$data/out"
    read -r secs rss <"$data/rss"
    if [ -z "$best" ] || awk "BEGIN{exit !($secs < $best)}"; then best=$secs; fi
  done
  echo "lzx-$mib.cab: best of 3 ${best} s, $(awk "BEGIN{printf \"%.1f\", $mib / $best}") MiB/s, peak RSS ${rss} KiB"
  rm -rf "$data/out"
done
