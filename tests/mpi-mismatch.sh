#!/bin/bash
# The library built for one MPI, used with the other (make check, 2 ranks):
#  1. run: tools/dc_info with the other MPI's libmpi preloaded in every rank (so the process
#     runs that MPI, as when an application of the other MPI links this library): dc_env_create
#     must fail on both ranks with "libdcompute-<this> was built for <This> <v> but the process
#     runs <Other> <v> (link -ldcompute-<other> / pkg-config dcompute-<other>...", and the job
#     must end by itself, without a crash ("Invalid MPI_Op", a signal, a timeout);
#  2. compile: a program including <dcompute.h> compiled with the other MPI's mpicc against
#     this build's headers must stop at the #error of dc_version.h (this build has no dc_build.h
#     for that MPI).
# Exit 77 (SKIP) without the other MPI or when 2 ranks are not among DC_TEST_NP.
set -uo pipefail
top=${DC_TOP_BUILDDIR:-$(cd "$(dirname "$0")/.." && pwd)}
src=$(cd "$(dirname "$0")/.." && pwd)
runner=$top/tests/run-mpi.sh
prog=$top/tools/dc_info

fail() { echo "FAIL: $*" >&2; exit 1; }
skip() { echo "SKIP: $*"; exit 77; }

case " ${DC_TEST_NP:-1 2 3 4} " in
  *" 2 "*) ;;
  *) skip "runs at 2 ranks (DC_TEST_NP=\"${DC_TEST_NP:-}\")" ;;
esac
[ "${DC_TEST_SANITIZE:-0}" = 1 ] && skip "the other MPI's libmpi is not instrumented (sanitizer build)"
[ -n "${DC_TEST_WRAPPER:-}" ] && skip "runs its own wrapper (DC_TEST_WRAPPER is set)"
[ -x "$prog" ] || fail "no $prog (build first)"
[ -x "$runner" ] || fail "no $runner"
this=
for m in openmpi mpich mpi; do [ -r "$top/include/dcompute/$m/dc_build.h" ] && this=$m; done
case $this in
  openmpi) other=mpich; This="Open MPI"; Other=MPICH; otherlib=libmpich.so.12 ;;
  mpich) other=openmpi; This=MPICH; Other="Open MPI"; otherlib=libmpi.so.40 ;;
  *) skip "built for '$this': no other MPI to compare with" ;;
esac
version=$(sed -n 's/^#define DC_MPI_VERSION_STRING "\(.*\)"/\1/p' "$top/include/dcompute/$this/dc_build.h")
path=$(/sbin/ldconfig -p 2>/dev/null | awk -v l="$otherlib" '$1 == l { print $NF; exit }')
[ -n "$path" ] && [ -r "$path" ] || skip "$Other's $otherlib is not installed"
out=$(mktemp "${TMPDIR:-/tmp}/dc-mismatch.XXXXXX") || fail "mktemp"
trap 'rm -f "$out" "$out.c"' EXIT

# 1. run
DC_TEST_NP=2 DC_TEST_TIMEOUT=${DC_TEST_TIMEOUT:-120} DC_TEST_WRAPPER="env LD_PRELOAD=$path" \
    "$runner" "$top/tools/dc_info_np2.mpi" > "$out" 2>&1
rc=$?
cat "$out"
[ $rc -eq 99 ] && fail "timeout"
[ $rc -ne 0 ] || fail "dc_info succeeded with $Other's libmpi preloaded"
want="libdcompute-$this was built for $This $version but the process runs $Other"
n=$(grep -cF -- "$want" "$out")
[ "$n" -eq 2 ] || fail "$n rank(s) of 2 printed \"$want\""
grep -qF -- "(link -ldcompute-$other / pkg-config dcompute-$other" "$out" ||
    fail "the message does not name -ldcompute-$other"
grep -qiE 'Invalid MPI_Op|signal [0-9]|segmentation|core dumped|MPI_ABORT' "$out" &&
    fail "the job crashed instead of failing in dc_env_create"
echo "PASS: run: both ranks fail in dc_env_create: $want ..."

# 2. compile
cc=mpicc.$other
if command -v "$cc" >/dev/null; then
    printf '#include <dcompute.h>\nint main(void) { return 0; }\n' > "$out.c"
    if "$cc" -I"$src/include" -I"$top/include" -c "$out.c" -o /dev/null > "$out" 2>&1; then
        fail "$cc compiled <dcompute.h> against the $this build"
    fi
    grep -qF "libdcompute is not installed for $Other, the MPI of this <mpi.h>" "$out" ||
        { cat "$out"; fail "$cc: no #error naming $Other"; }
    echo "PASS: compile: $cc stops at dc_version.h's #error"
else
    echo "compile check skipped: no $cc"
fi
exit 0
