#!/bin/bash
# tools/dc-report on real run reports and on benchmark CSV files. Each PNG is checked on its own
# terms with matplotlib.image.imread: it exists, has the documented size (900 x 600), is not
# blank, and the files written are those dc-report lists.
#  - Two real reports: examples/poisson --quick (halo exchanges) and examples/vec_dot (only
#    collectives) at 2 ranks with DC_PROFILE=json:FILE. Their heat maps differ, and in each the
#    pixels of the colour map's two ends (zero bytes and the largest entry) come in the
#    proportion of the zero and largest entries of its comm_matrix.ranks.
#  - The poisson report with all its bytes moved to one cell (same total, same title): the heat
#    map changes; with two nodes, the node heat map is written too.
#  - A CSV in the documented format (two metrics): one PNG per metric; the same rows with a load
#    above the core count give a different picture (the title's warning). A CSV with the
#    optional column "case" (two cases): one PNG per metric and case.
#  - --spread over three run directories with known ratios: the per-run medians, the spread and
#    the limit's verdict as computed independently here.
#  - Bad input (missing file, invalid JSON, a truncated report, another schema, another version,
#    a non-numeric size; --spread of one run, without ratios, of a missing run, with a bad
#    limit): exit status 2 and a message, no Python traceback.
# Exit 77 (SKIP) only when the interpreter of tools/dc-report has no matplotlib.
set -uo pipefail
src=${srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
src=$(cd "$src" && pwd)
top=${DC_TOP_BUILDDIR:-$(cd "$(dirname "$0")/.." && pwd)}
tool=$src/tools/dc-report
runner=$top/tests/run-mpi.sh

fail() { echo "FAIL: $*" >&2; exit 1; }

[ -f "$tool" ] || fail "no $tool"
py=$(sed -n '1s/^#! *//p' "$tool")
[ -x "$py" ] || { echo "SKIP: no $py (the interpreter of tools/dc-report)"; exit 77; }
"$py" -c 'import matplotlib' 2>/dev/null ||
    { echo "SKIP: $py has no matplotlib (apt-get install python3-matplotlib)"; exit 77; }
[ -x "$runner" ] || fail "no $runner"
for p in examples/poisson examples/vec_dot; do [ -x "$top/$p" ] || fail "no $top/$p (build first)"; done

work=$(mktemp -d "${TMPDIR:-/tmp}/dc-report.XXXXXX") || fail "mktemp"
trap 'rm -rf "$work"' EXIT
dcr() { timeout -s TERM -k 5 120 "$py" "$tool" "$@"; }

# ---------------------------------------------------------------- real reports
# report NAME PROGRAM [ARGS]: PROGRAM at 2 ranks writes $work/NAME.json
report() {
  local name=$1 prog=$2
  shift 2
  # the examples' own runs are those checked under valgrind (DC_TEST_WRAPPER): not these
  env -u DC_TEST_WRAPPER DC_PROFILE="json:$work/$name.json" DC_TEST_NP=2 \
    DC_TEST_TIMEOUT="${DC_TEST_TIMEOUT:-120}" \
    "$runner" "$top/$prog"_np2.mpi "$@" > "$work/$name.out" 2>&1
  local rc=$?
  [ $rc -eq 99 ] && { cat "$work/$name.out"; echo "TIMEOUT: $prog" >&2; exit 99; }
  [ $rc -eq 0 ] || { tail -n 30 "$work/$name.out"; fail "$prog exited with status $rc"; }
  [ -s "$work/$name.json" ] || fail "$prog wrote no report $work/$name.json (DC_PROFILE=json:...)"
}
# Without jansson the library writes no JSON report (DC_PROFILE=json fails with DC_ERR_NOTSUP):
# nothing to draw from, skipped.
if ! grep -q '^#define DC_HAVE_JANSSON 1' "$top"/include/dcompute/*/dc_build.h 2>/dev/null; then
  echo "SKIP: libdcompute was built without jansson: no JSON run report to draw"
  exit 77
fi
report poisson examples/poisson --quick
report vecdot examples/vec_dot

# plots NAME OUTDIR EXPECTED...: dc-report on $work/NAME.json writes exactly NAME-EXPECTED.png
plots() {
  local name=$1 out=$2 want
  shift 2
  dcr "$work/$name.json" -o "$out" > "$work/$name.list" 2> "$work/$name.err" ||
    { cat "$work/$name.err"; fail "dc-report $name.json: status $?"; }
  want=$(for e in "$@"; do echo "$out/$name-$e.png"; done | sort)
  [ "$(cut -f1 "$work/$name.list" | sort)" = "$want" ] ||
    { cat "$work/$name.list"; fail "dc-report $name.json listed other files than: $want"; }
  [ "$(find "$out" -name '*.png' | sort)" = "$want" ] ||
    { ls "$out"; fail "dc-report $name.json wrote other files than: $want"; }
}
plots poisson "$work/p" ranks imbalance comm-ranks
plots vecdot "$work/v" ranks imbalance comm-ranks

# controlled variants of the poisson report (python's json, independent of the tool)
"$py" - "$work" <<'EOF' || fail "could not write the report variants"
import json, sys
w = sys.argv[1]
rep = json.load(open(f"{w}/poisson.json"))
m = rep["comm_matrix"]["ranks"]
n = len(m)
total = sum(map(sum, m))
assert total > 0, "examples/poisson at 2 ranks sent no point-to-point bytes"
# all bytes in one cell: same total (the title says it), other cells
one = [[0] * n for _ in range(n)]
one[n - 1][0] = total
rep["comm_matrix"]["ranks"] = one
json.dump(rep, open(f"{w}/onecell.json", "w"))
# two nodes: the node heat map
rep["run"]["nodes"] = 2
rep["comm_matrix"]["nodes"] = {"names": ["nodeA", "nodeB"], "bytes": [[0, total], [3, 0]]}
json.dump(rep, open(f"{w}/twonode.json", "w"))
EOF
plots onecell "$work/o" ranks imbalance comm-ranks
plots twonode "$work/t" ranks imbalance comm-ranks comm-nodes

# every PNG: size, not blank; each heat map's colour-map ends against its matrix; the heat maps
# of different communication differ
"$py" - "$work" <<'EOF' || fail "the pictures do not match the reports (above)"
import glob, json, sys
import numpy as np
import matplotlib
matplotlib.use("Agg")
import matplotlib.image as mpimg
from matplotlib import colormaps
w = sys.argv[1]
bad = []
imgs = {}
for path in sorted(glob.glob(f"{w}/*/*.png")):
    a = mpimg.imread(path)
    imgs[path] = a
    if a.shape[:2] != (600, 900):
        bad.append(f"{path}: {a.shape[1]} x {a.shape[0]} pixels, expected 900 x 600")
        continue
    rgb = a[:, :, :3]
    ink = np.any(rgb < 0.9, axis=2).mean()  # share of pixels that are not white
    colours = len(np.unique((rgb * 255).astype(np.uint8).reshape(-1, 3), axis=0))
    if ink < 0.02 or colours < 8:
        bad.append(f"{path}: blank ({ink:.1%} not white, {colours} colours)")
if len(imgs) != 13:
    bad.append(f"{len(imgs)} PNG files, expected 13")

vir = colormaps["viridis"]
def ends(a):
    rgb = a[:, :, :3]
    near = lambda c: (np.abs(rgb - np.array(c[:3])).max(axis=2) < 0.02).sum()
    return near(vir(0.0)), near(vir(1.0))
for d, name in (("p", "poisson"), ("v", "vecdot"), ("o", "onecell"), ("t", "twonode")):
    m = json.load(open(f"{w}/{name}.json"))["comm_matrix"]["ranks"]
    vmax = max(map(max, m))
    zeros = sum(v == 0 for r in m for v in r)
    tops = sum(v == vmax for r in m for v in r) if vmax > 0 else 0
    lo, hi = ends(imgs[f"{w}/{d}/{name}-comm-ranks.png"])
    msg = f"{name}: {zeros} zero and {tops} largest entries, {lo} and {hi} pixels"
    print(msg)
    if tops == 0:
        if not (lo > 10000 and hi < 0.02 * lo):
            bad.append(msg + ": expected only the zero colour")
    elif zeros == 0:
        if not (hi > 10000 and lo < 0.02 * hi):
            bad.append(msg + ": expected no zero colour")
    elif abs(lo / hi - zeros / tops) > 0.15 * zeros / tops:
        bad.append(msg + f": pixel ratio {lo / hi:.2f}, entry ratio {zeros / tops:.2f}")

def differ(x, y):
    a, b = imgs[x], imgs[y]
    frac = np.any(np.abs(a - b) > 0.05, axis=2).mean()
    print(f"{x.split('/')[-1]} vs {y.split('/')[-1]}: {frac:.1%} of the pixels differ")
    if frac < 0.01:
        bad.append(f"{x} and {y} are (nearly) the same picture")
differ(f"{w}/p/poisson-comm-ranks.png", f"{w}/v/vecdot-comm-ranks.png")
differ(f"{w}/p/poisson-comm-ranks.png", f"{w}/o/onecell-comm-ranks.png")
for b in bad:
    print("FAIL:", b)
sys.exit(1 if bad else 0)
EOF

# ---------------------------------------------------------------- benchmark CSV
mkdir -p "$work/csv" "$work/busy"
"$py" - "$work" <<'EOF' || fail "could not write the CSV"
import sys
w = sys.argv[1]
head = "bench,variant,size,rep,metric,value,unit,np,nodes,mpi,blas,placement,machine,git_rev,load1,utc"
def rows(load):
    out = [head]
    for size in (8, 64, 512, 4096, 32768):
        for rep in range(3):
            for v, t in (("dc", 1.0), ("mpi", 1.3)):
                out.append(f"bench_x,{v},{size},{rep},seconds,{t * size * (1 + rep / 10) * 1e-6},s,"
                           f"2,1,openmpi,openblas,bound compact,host,abc123,{load},2026-01-01T00:00:00Z")
            out.append(f"bench_x,dc/mpi,{size},{rep},ratio,{0.77 + rep / 50},ratio,"
                       f"2,1,openmpi,openblas,bound compact,host,abc123,{load},2026-01-01T00:00:00Z")
    return "\n".join(out) + "\n"
open(f"{w}/csv/bench_x.csv", "w").write(rows(0.0))
open(f"{w}/busy/bench_x.csv", "w").write(rows(100000.0))
# with the optional column "case" (two experiments in one file, quoted fields)
with open(f"{w}/csv/bench_y.csv", "w") as f:
    f.write(head + ",case\n")
    for kase in ("dot", "allreduce"):
        for size in (8, 4096):
            for rep in range(2):
                f.write(f'bench_y,dc,{size},{rep},seconds,{size * 1e-6},s,2,1,openmpi,'
                        f'"openblas 0.3.21, Haswell",ok,host,abc,0.1,2026-01-01T00:00:00Z,{kase}\n')
EOF
for d in csv busy; do
  dcr --bench "$work/$d" -o "$work/$d-png" > "$work/$d.list" 2> "$work/$d.err" ||
    { cat "$work/$d.err"; fail "dc-report --bench $d: status $?"; }
  want=$(printf '%s\n' "$work/$d-png/bench_x-ratio.png" "$work/$d-png/bench_x-seconds.png" | sort)
  [ $d = csv ] && want=$(printf '%s\n' "$want" "$work/$d-png/bench_y-seconds-allreduce.png" \
                           "$work/$d-png/bench_y-seconds-dot.png" | sort)
  [ "$(cut -f1 "$work/$d.list" | sort)" = "$want" ] ||
    { cat "$work/$d.list"; fail "--bench $d: expected one PNG per metric (and case): $want"; }
done
"$py" - "$work" <<'EOF' || fail "benchmark pictures (above)"
import sys
import numpy as np
import matplotlib
matplotlib.use("Agg")
import matplotlib.image as mpimg
w = sys.argv[1]
bad = []
for m in ("seconds", "ratio"):
    a = mpimg.imread(f"{w}/csv-png/bench_x-{m}.png")
    b = mpimg.imread(f"{w}/busy-png/bench_x-{m}.png")
    if a.shape[:2] != (600, 900):
        bad.append(f"bench_x-{m}.png: {a.shape[1]} x {a.shape[0]} pixels")
    elif np.any(a[:, :, :3] < 0.9, axis=2).mean() < 0.02:
        bad.append(f"bench_x-{m}.png is blank")
    elif not np.any(np.abs(a - b) > 0.05):
        bad.append(f"bench_x-{m}.png: a load above the core count changes nothing")
for x in bad:
    print("FAIL:", x)
sys.exit(1 if bad else 0)
EOF

# ---------------------------------------------------------------- spread over runs
# Three run directories with known ratios (per run, the median of its repetitions): "a/b" at
# 8 has medians 1.00, 1.02, 0.98 (spread +-2.0 %), "c/d" at 16 has 1.00, 1.20, 1.10 (+-9.1 %,
# above the limit), "e/f" is in one run only (left out), rows of other metrics are ignored.
"$py" - "$work" <<'EOF' || fail "could not write the spread runs"
import os, sys
w = sys.argv[1]
head = "bench,variant,size,rep,metric,value,unit,np,nodes,mpi,blas,placement,machine,git_rev,load1,utc,case\n"
runs = {1: {"a/b": [0.9, 1.0, 1.3], "c/d": [1.0, 0.5, 2.0], "e/f": [3.0]},
        2: {"a/b": [1.02, 1.5, 0.7], "c/d": [1.2, 1.2, 1.2]},
        3: {"a/b": [0.98], "c/d": [1.1, 1.0, 1.3]}}
for i, ratios in runs.items():
    os.makedirs(f"{w}/run{i}", exist_ok=True)
    with open(f"{w}/run{i}/bx.csv", "w") as f:
        f.write(head)
        for v, vals in ratios.items():
            size = {"a/b": 8, "c/d": 16, "e/f": 32}[v]
            for r, x in enumerate(vals):
                tail = f"2,1,openmpi 4.1.4,b,ok,m,g,0.{i}0,2026-12-06T00:00:00Z,c1\n"
                f.write(f"bx,{v},{size},{r},ratio,{x},,{tail}")
                f.write(f"bx,{v.split('/')[0]},{size},{r},seconds,{5 * x},s,{tail}")
os.makedirs(f"{w}/noratio", exist_ok=True)
with open(f"{w}/noratio/x.csv", "w") as f:
    f.write(head + "bx,a,8,0,seconds,1.5,s,2,1,openmpi 4.1.4,b,ok,m,g,0.10,2026-12-06T00:00:00Z,c1\n")
EOF
dcr --spread "$work/run1" "$work/run2" "$work/run3" > "$work/spread.out" 2> "$work/spread.err" ||
    { cat "$work/spread.err"; fail "--spread exited with status $?"; }
cat "$work/spread.out"
"$py" - "$work/spread.out" <<'EOF' || fail "--spread printed other figures"
import sys
lines = open(sys.argv[1]).read().splitlines()
rows = {l.split()[2]: l.split() for l in lines if l.startswith("bx ")}
bad = []
if set(rows) != {"a/b", "c/d"}:
    bad.append(f"ratios listed: {sorted(rows)} (expected a/b and c/d: e/f is in one run only)")
want = {"a/b": (["1.000", "1.020", "0.980"], 2.0),
        "c/d": (["1.000", "1.200", "1.100"], 100 * 0.2 / 2.2)}
for k, (meds, sp) in want.items():
    r = rows.get(k)
    if r is None:
        continue
    if r[4:7] != meds:
        bad.append(f"{k}: medians {r[4:7]}, expected {meds}")
    got = float(r[7].lstrip("+-"))
    if abs(got - sp) > 0.051:
        bad.append(f"{k}: spread {got}, expected {sp:.1f}")
    if (sp > 5) != (r[-1] == "above"):
        bad.append(f"{k}: the 'above' mark is wrong")
last = lines[-1]
if not last.startswith("1 of 2 ratios within +-5 % over 3 runs") or "bx c1 c/d at 16" not in last:
    bad.append(f"last line: {last}")
for b in bad:
    print("FAIL:", b)
sys.exit(1 if bad else 0)
EOF
last=$(dcr --spread "$work/run1" "$work/run2" --limit 20 | tail -n 1)
[ "$last" = "2 of 2 ratios within +-20 % over 2 runs" ] || fail "--limit 20 over two runs: $last"
echo "spread: the medians per run, the spread and the limit's verdict as computed independently"

# ---------------------------------------------------------------- bad input
printf '{"schema": "dcompute-profile", "version": 1, "run": ' > "$work/trunc.json"
head -c "$(( $(wc -c < "$work/poisson.json") / 2 ))" "$work/poisson.json" > "$work/half.json"
"$py" - "$work" <<'EOF' || fail "could not write the bad reports"
import json, sys
w = sys.argv[1]
rep = json.load(open(f"{w}/poisson.json"))
json.dump(dict(rep, schema="something-else"), open(f"{w}/schema.json", "w"))
json.dump(dict(rep, version=rep["version"] + 1), open(f"{w}/version.json", "w"))
EOF
mkdir -p "$work/badcsv"
printf 'bench,variant,size,rep,metric,value\nb,dc,big,0,seconds,1.0\n' > "$work/badcsv/b.csv"
expect2() {   # expect2 WHAT ARGS...: dc-report ARGS exits 2 with a message, no traceback
  local what=$1
  shift
  dcr "$@" -o "$work/bad-out" > "$work/bad.out" 2> "$work/bad.err"
  local rc=$?
  [ $rc -eq 2 ] || { cat "$work/bad.err"; fail "$what: status $rc, expected 2"; }
  grep -q '^dc-report: ' "$work/bad.err" || fail "$what: no 'dc-report: ' message"
  grep -q Traceback "$work/bad.err" && { cat "$work/bad.err"; fail "$what: a Python traceback"; }
  echo "$what: $(head -n 1 "$work/bad.err")"
}
expect2 "missing file" "$work/none.json"
expect2 "invalid JSON" "$work/trunc.json"
expect2 "truncated report" "$work/half.json"
expect2 "other schema" "$work/schema.json"
expect2 "other version" "$work/version.json"
expect2 "missing directory" --bench "$work/nodir"
expect2 "non-numeric size" --bench "$work/badcsv"
expect2 "spread of one run" --spread "$work/run1"
expect2 "spread without ratios" --spread "$work/noratio" "$work/noratio"
expect2 "spread of a missing run" --spread "$work/run1" "$work/nodir"
expect2 "spread with a bad limit" --spread "$work/run1" "$work/run2" --limit 0
[ -e "$work/bad-out" ] && fail "bad input created the output directory"
echo "PASS: dc-report"
exit 0
