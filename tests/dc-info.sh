#!/bin/bash
# tools/dc_info --version and --parsable (make check, 2 ranks), compared with facts found here
# without the library: the version and MPI from the build's Makefile, the MPI version from the
# compiler's <mpi.h> and from ompi_info / mpichversion, the BLAS version from pkg-config, the
# summation kernel from /proc/cpuinfo, options set through the environment, the host name and
# the BLAS threads of each rank. Exit 77 (SKIP) when 2 ranks are not among DC_TEST_NP.
set -uo pipefail
top=${DC_TOP_BUILDDIR:-$(cd "$(dirname "$0")/.." && pwd)}
runner=$top/tests/run-mpi.sh
prog=$top/tools/dc_info
fails=0
fail() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }

case " ${DC_TEST_NP:-1 2 3 4} " in
  *" 2 "*) ;;
  *) echo "SKIP: runs at 2 ranks (DC_TEST_NP=\"${DC_TEST_NP:-}\")"; exit 77 ;;
esac
[ -x "$prog" ] || { echo "FAIL: no $prog (build first)" >&2; exit 99; }
mkvar() { sed -n "s/^$1 = //p" "$top/Makefile" | head -n 1; }
version=$(mkvar PACKAGE_VERSION)
mpi=$(mkvar DC_MPI)
cc=$(mkvar CC)
blas_libs=$(mkvar BLAS_LIBS)
[ -n "$version" ] && [ -n "$mpi" ] || { echo "FAIL: no PACKAGE_VERSION/DC_MPI in $top/Makefile" >&2; exit 99; }
out=$(mktemp "${TMPDIR:-/tmp}/dc-info.XXXXXX") || exit 99
trap 'rm -f "$out"' EXIT

# --version: one line
DC_TEST_NP=1 "$runner" "$top/tools/dc_info_np1.mpi" --version > "$out" 2>&1 || fail "--version failed"
[ "$(wc -l < "$out")" -eq 1 ] || fail "--version printed $(wc -l < "$out") lines"
grep -q "^libdcompute $version (libdcompute-$mpi, built for " "$out" || fail "--version: $(cat "$out")"

# --parsable at 2 ranks, with options set through the environment
DC_TEST_NP=2 DC_REPRO=binned DC_BLAS_THREADS=1 DC_ALLREDUCE=node DC_VERBOSE=0 \
    "$runner" "$top/tools/dc_info_np2.mpi" --parsable > "$out" 2>&1 || { cat "$out"; fail "--parsable failed"; }
val() { sed -n "s/^$1://p" "$out" | head -n 1; }
expect() {   # expect KEY VALUE
    local v; v=$(val "$1")
    [ "$v" = "$2" ] && echo "ok   $1: $v" || fail "$1: '$v', expected '$2'"
}
# every line is key:value
bad=$(grep -cvE '^[a-z_]+(:[A-Za-z0-9_]+)*:' "$out")
[ "$bad" -eq 0 ] || { grep -vE '^[a-z_]+(:[A-Za-z0-9_]+)*:' "$out"; fail "$bad line(s) not key:value"; }
expect version "$version"
expect library "libdcompute-$mpi"
expect build:mpi "$mpi"
expect runtime:mpi "$mpi"
expect runtime:ranks 2
# the MPI version in the compiler's <mpi.h>, and the runtime's own tool
case $mpi in
  openmpi)
    hv=$(echo '#include <mpi.h>' | $cc -x c -E -dM - 2>/dev/null | awk '/define OMPI_(MAJOR|MINOR|RELEASE)_VERSION /{v[$2]=$3} END {print v["OMPI_MAJOR_VERSION"] "." v["OMPI_MINOR_VERSION"] "." v["OMPI_RELEASE_VERSION"]}')
    rv=$(ompi_info --parsable 2>/dev/null | sed -n 's/^ompi:version:full://p' | head -n 1) ;;
  mpich)
    hv=$(echo '#include <mpi.h>' | $cc -x c -E -dM - 2>/dev/null | sed -n 's/^#define MPICH_VERSION "\(.*\)"/\1/p')
    rv=$( (mpichversion.mpich 2>/dev/null || mpichversion 2>/dev/null) | sed -n 's/^MPICH Version:[[:space:]]*//p' | head -n 1) ;;
esac
expect build:mpi_version "$hv"
[ -n "${rv:-}" ] && expect runtime:mpi_version "$rv"
# BLAS: OpenBLAS's version from pkg-config when the build used it
if [[ "$blas_libs" == *openblas* ]] && pv=$(pkg-config --modversion openblas 2>/dev/null); then
    expect blas:name OpenBLAS
    expect blas:version "$pv"
fi
# checkpoints: HDF5's version from pkg-config
if [ "$(val ckpt:enabled)" = 1 ]; then
    if hv5=$(pkg-config --modversion "hdf5-$mpi" 2>/dev/null); then expect ckpt:hdf5_version "$hv5"; fi
fi
# the summation kernel this CPU gets (x86: the flags the dispatcher asks for)
if grep -q '^flags' /proc/cpuinfo && [ "$(val repro:kernels)" = "generic,avx2,avx512" ]; then
    flags=" $(grep -m1 '^flags' /proc/cpuinfo | cut -d: -f2) "
    has() { [[ "$flags" == *" $1 "* ]]; }
    if has avx512f && has avx512dq && has avx512vl && has fma; then k=avx512
    elif has avx2 && has fma; then k=avx2
    else k=generic; fi
    expect repro:kernel "$k"
fi
# options from the environment, and one left at its default
expect option:DC_REPRO binned
expect option:DC_BLAS_THREADS 1
expect option:DC_ALLREDUCE node
expect option:DC_VERBOSE 0
# placement: both ranks, on this host, with the BLAS threads asked for
host=$(uname -n)
expect placement:nodes 1
for r in 0 1; do
    expect "placement:rank:$r:node" "$host"
    expect "placement:rank:$r:blas_threads" 1
    [ -n "$(val "placement:rank:$r:cpus")" ] || fail "placement:rank:$r:cpus empty"
done
[ -z "$(val placement:rank:2:node)" ] || fail "a third rank in the placement"
if [ $fails -ne 0 ]; then cat "$out"; echo "$fails check(s) failed"; exit 1; fi
echo "PASS: dc_info --version and --parsable agree with the build, the MPI, the BLAS, the CPU and the environment"
exit 0
