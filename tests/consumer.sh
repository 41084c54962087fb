#!/bin/bash
# Out-of-tree consumers of an installed libdcompute (the CI job "consumer"):
#
#   tests/consumer.sh PREFIX [openmpi] [mpich]
#
# PREFIX holds the builds for the MPIs named (make install of each, side by side). For each MPI,
# tests/consumer/consumer.c is built four ways -- CMake (find_package(dcompute), the MPI chosen by
# FindMPI's compiler and by DCOMPUTE_MPI) and pkg-config (dcompute-<mpi>), each shared and static
# -- and run at 2 ranks, where it checks a distributed dot product against its serial reference
# ("consumer: ok"). Static means libdcompute-<mpi>.a linked into the program with its
# dependencies shared (Debian ships no static Open MPI or ISA-L); the script checks that the
# program loads no libdcompute .so. With both MPIs: a program compiled with one MPI and linked to
# the other's library must fail in dc_env_create on every rank with the message naming both
# MPIs and the library to link, and not crash ("Invalid MPI_Op", a signal); and a CMake
# project that asks for one MPI while FindMPI finds the other must fail at configure time.
# Also: the Spack package (packaging/spack) passes tests/spack-check.py.
# Exit 0 when everything passed; prints PASS/FAIL lines and a count.
set -uo pipefail

prefix=${1:?usage: tests/consumer.sh PREFIX [openmpi] [mpich]}
shift
mpis=("$@")
[ ${#mpis[@]} -gt 0 ] || mpis=(openmpi mpich)
src=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/dc-consumer.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT
pass=0; fail=0
ok() { echo "PASS: $*"; pass=$((pass + 1)); }
bad() { echo "FAIL: $*"; fail=$((fail + 1)); }
export PKG_CONFIG_PATH=$prefix/lib/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1

launch() {   # launch MPI NP PROGRAM: the MPI's own launcher, under a timeout
    local m=$1 np=$2; shift 2
    case $m in
        openmpi) timeout -k 5 60 mpirun.openmpi --oversubscribe --mca pml ob1 \
                     --mca btl self,vader --mca osc ^ucx --mca mtl ^ofi -np "$np" "$@" ;;
        mpich) timeout -k 5 60 mpiexec.mpich -np "$np" "$@" ;;
    esac
}

run_consumer() {   # run_consumer MPI WHAT PROGRAM [static]
    local m=$1 what=$2 prog=$3 static=${4:-} out
    if [ ! -x "$prog" ]; then bad "$m $what: not built"; return; fi
    if [ -n "$static" ]; then
        if ldd "$prog" | grep -q 'libdcompute'; then
            bad "$m $what: the static program loads $(ldd "$prog" | grep libdcompute)"; return
        fi
    elif ! ldd "$prog" | grep -q "libdcompute-$m\.so"; then
        bad "$m $what: the program does not load libdcompute-$m.so"; return
    fi
    out=$(LD_LIBRARY_PATH=$prefix/lib launch "$m" 2 "$prog" 2>&1)
    if [ $? -eq 0 ] && grep -q '^consumer: ok' <<<"$out"; then
        ok "$m $what: $(grep '^consumer:' <<<"$out")"
    else
        bad "$m $what:"; echo "$out" | tail -n 15
    fi
}

for m in "${mpis[@]}"; do
    cc=mpicc.$m
    command -v "$cc" >/dev/null || { bad "$m: no $cc"; continue; }
    [ -r "$prefix/lib/pkgconfig/dcompute-$m.pc" ] || { bad "$m: no dcompute-$m.pc in $prefix"; continue; }
    d=$work/$m; mkdir -p "$d"
    # pkg-config, shared and static (libdcompute-<mpi>.a, its dependencies shared)
    # shellcheck disable=SC2046
    "$cc" -o "$d/pc-shared" "$src/tests/consumer/consumer.c" $(pkg-config --cflags --libs "dcompute-$m") \
        > "$d/pc-shared.log" 2>&1 || cat "$d/pc-shared.log"
    run_consumer "$m" "pkg-config shared" "$d/pc-shared"
    libs=$(pkg-config --static --libs "dcompute-$m" | sed "s|-ldcompute-$m\b|-Wl,-Bstatic -ldcompute-$m -Wl,-Bdynamic|")
    # shellcheck disable=SC2046,SC2086 # flag lists
    "$cc" -o "$d/pc-static" "$src/tests/consumer/consumer.c" $(pkg-config --cflags "dcompute-$m") $libs \
        > "$d/pc-static.log" 2>&1 || cat "$d/pc-static.log"
    run_consumer "$m" "pkg-config static" "$d/pc-static" static
    # CMake: the MPI from FindMPI (MPI_C_COMPILER) for the shared build, named by DCOMPUTE_MPI
    # for the static one
    for kind in shared static; do
        args=(-DCMAKE_PREFIX_PATH="$prefix" -DMPI_C_COMPILER="$(command -v "$cc")")
        [ $kind = static ] && args+=(-DDCOMPUTE_USE_STATIC_LIBS=ON -DDCOMPUTE_MPI="$m")
        if cmake -S "$src/tests/consumer" -B "$d/cm-$kind" "${args[@]}" > "$d/cm-$kind.log" 2>&1 &&
            cmake --build "$d/cm-$kind" >> "$d/cm-$kind.log" 2>&1; then
            run_consumer "$m" "CMake $kind" "$d/cm-$kind/consumer" "${kind/shared/}"
        else
            bad "$m CMake $kind: configure or build failed"; tail -n 20 "$d/cm-$kind.log"
        fi
    done
done

# The wrong library: compiled with one MPI, linked to the build for the other.
if [ ${#mpis[@]} -ge 2 ]; then
    for pair in "mpich openmpi" "openmpi mpich"; do
        read -r app lib <<<"$pair"
        d=$work/mismatch-$app; mkdir -p "$d"
        # shellcheck disable=SC2046
        if ! "mpicc.$app" -o "$d/prog" "$src/tests/consumer/consumer.c" -I"$prefix/include" \
            -L"$prefix/lib" -ldcompute-"$lib" > "$d/build.log" 2>&1; then
            bad "$app program with libdcompute-$lib: did not build"; cat "$d/build.log"; continue
        fi
        out=$(LD_LIBRARY_PATH=$prefix/lib launch "$app" 2 "$d/prog" 2>&1)
        rc=$?
        want="libdcompute-$lib was built for"
        n=$(grep -c "dc_env_create: .*$want .* but the process runs .*(link -ldcompute-$app / pkg-config dcompute-$app" <<<"$out")
        if [ $rc -ne 0 ] && [ $rc -lt 124 ] && [ "$n" -eq 2 ] &&
            ! grep -qiE 'Invalid MPI_Op|signal|segmentation|core dumped|MPI_ABORT' <<<"$out"; then
            ok "$app program with libdcompute-$lib fails on both ranks: $(grep -m1 -o "$want.*" <<<"$out")"
        else
            bad "$app program with libdcompute-$lib (exit $rc, $n rank(s) with the message):"
            echo "$out" | tail -n 15
        fi
    done
    # CMake: the MPICH build asked for while FindMPI finds Open MPI
    if cmake -S "$src/tests/consumer" -B "$work/cm-wrong" -DCMAKE_PREFIX_PATH="$prefix" \
        -DMPI_C_COMPILER="$(command -v mpicc.openmpi)" -DDCOMPUTE_MPI=mpich > "$work/cm-wrong.log" 2>&1; then
        bad "CMake with DCOMPUTE_MPI=mpich and Open MPI's mpicc configured"
    elif grep -q "the mpich build was asked for, but FindMPI found openmpi" "$work/cm-wrong.log"; then
        ok "CMake refuses DCOMPUTE_MPI=mpich with Open MPI's FindMPI"
    else
        bad "CMake with DCOMPUTE_MPI=mpich and Open MPI: no clear message"; tail -n 15 "$work/cm-wrong.log"
    fi
fi

if [ -r "$src/packaging/spack/packages/dcompute/package.py" ]; then
    if out=$(timeout 60 python3 "$src/tests/spack-check.py" 2>&1); then
        ok "spack package: $out"
    else
        bad "spack package:"; echo "$out"
    fi
fi
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
