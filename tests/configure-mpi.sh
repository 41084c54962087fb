#!/bin/sh
# configure takes every compiler from one MPI: with only CC=mpicc.mpich given, CXX must be
# MPICH's mpicxx.mpich (not the mpicxx in PATH, Open MPI's: the C++ example then linked two
# libmpi and crashed), and CC of one MPI with CXX of the other is refused with a message.
# Runs configure in temporary directories and stops it early (a BLAS that does not exist, so
# that only the compiler and MPI checks run): a few seconds. Exit 77 (SKIP) without MPICH's
# wrappers, or when the source directory is configured in place (configure then refuses to
# run elsewhere).
srcdir=${srcdir:-$(dirname "$0")/..}
srcdir=$(cd "$srcdir" && pwd)
[ -x "$srcdir/configure" ] || { echo "no $srcdir/configure" >&2; exit 99; }
[ -e "$srcdir/config.status" ] && { echo "SKIP: $srcdir is configured in place"; exit 77; }
command -v mpicc.mpich >/dev/null 2>&1 && command -v mpicxx.mpich >/dev/null 2>&1 ||
  { echo "SKIP: MPICH's mpicc.mpich and mpicxx.mpich not installed"; exit 77; }

work=$(mktemp -d "${TMPDIR:-/tmp}/dc-configure.XXXXXX") || exit 99
trap 'rm -rf "$work"' EXIT
rc=0

# run_configure DIR VAR=VALUE...: configure in DIR, output in DIR/out, status returned
run_configure() {
  d=$work/$1; shift
  mkdir -p "$d" &&
    (cd "$d" && env -u CC -u CXX "$@" timeout 300 "$srcdir/configure" \
       --with-blas=-ldc_no_such_blas_stop_here > out 2>&1)
}

# 1. CC alone: CXX from the same MPI
run_configure same CC=mpicc.mpich
cxx=$(sed -n "s/^CXX='\(.*\)'\$/\1/p" "$work/same/config.log" | tail -n 1)
echo "CC=mpicc.mpich: CXX='$cxx'"
case "$cxx" in
  *mpicxx.mpich*) grep 'C++ compiler' "$work/same/out" ;;
  *) echo "FAIL: CC=mpicc.mpich chose CXX='$cxx', not MPICH's mpicxx.mpich" >&2
     tail -n 5 "$work/same/out" >&2; rc=1 ;;
esac

# 2. compilers of two MPIs: refused, with a message naming both
if command -v mpicxx.openmpi >/dev/null 2>&1; then
  if run_configure mixed CC=mpicc.mpich CXX=mpicxx.openmpi; then
    echo "FAIL: CC=mpicc.mpich CXX=mpicxx.openmpi was accepted" >&2; rc=1
  elif grep -q "error: CC='mpicc.mpich' is mpich but CXX='mpicxx.openmpi' is openmpi" \
         "$work/mixed/out"; then
    grep 'error:' "$work/mixed/out"
  else
    echo "FAIL: CC=mpicc.mpich CXX=mpicxx.openmpi: not refused for the mix:" >&2
    tail -n 3 "$work/mixed/out" >&2; rc=1
  fi
else
  echo "(no mpicxx.openmpi: the refusal of a mix is not checked)"
fi
exit $rc
