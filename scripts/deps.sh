#!/bin/bash
# Install the Debian 12 packages libdcompute needs, only those that are missing.
#
#   scripts/deps.sh [openmpi|mpich|both] [--doc] [--netns] [--format] [--valgrind]
#
#   openmpi  (default) build tools, hwloc, OpenBLAS, CUnit, zlib, Open MPI and its ScaLAPACK (and
#            scalapack-mpi-test, ScaLAPACK's own testers), its parallel HDF5 (checkpoints;
#            hdf5-tools for h5dump), and PETSc (petsc-dev, built for Open MPI) for
#            bench/bench_solve, and python3-matplotlib for tools/dc-report
#   mpich    the same with MPICH (and MPICH's ScaLAPACK and HDF5) instead of Open MPI, without
#            PETSc
#   both     both MPIs (what .ci/run uses), and cmake and python3 for its consumer job
#   --doc    (kept for old command lines: doxygen is always installed now, for the man pages
#            that make builds and tests/man-check.sh checks)
#   --netns  also iproute2, for the multi-node check on the simulated cluster (tests/netns-check.sh)
#   --format also clang-format, for the format check of scripts/run-tests.sh (.clang-format)
#   --valgrind also valgrind, for scripts/run-tests.sh --valgrind
#
# Runs apt-get as root directly, otherwise through `sudo -n` (never prompts). Without root and
# without sudo it prints the exact apt-get line to run and exits with status 1.
set -euo pipefail

mpi=openmpi
extra=()
for arg in "$@"; do
    case "$arg" in
        openmpi|mpich|both) mpi=$arg ;;
        --doc) ;;
        --netns) extra+=(iproute2) ;;
        --format) extra+=(clang-format) ;;
        --valgrind) extra+=(valgrind) ;;
        -h|--help) sed -n '2,19p' "$0"; exit 0 ;;
        *) echo "deps.sh: unknown argument '$arg' (see $0 --help)" >&2; exit 2 ;;
    esac
done

pkgs=(build-essential autoconf automake libtool pkg-config libhwloc-dev libopenblas-dev
      libcunit1-dev zlib1g-dev hdf5-tools libisal-dev doxygen man-db
      libjansson-dev python3-jsonschema)
# DC_TRACE writes its JSON with jansson (without it, tracing is not supported); make check
# reads the traces with python3 and loads one into tools/trace-viewer.html in headless chromium
# (tests/trace-chromium.sh skips without it).
pkgs+=(python3 chromium)
# ScaLAPACK (built for the same MPI) is optional for the build: the GEMM tests and benchmark
# compare against its pdgemm_ when configure finds it, and skip that comparison otherwise.
# scalapack-mpi-test holds ScaLAPACK's own testers for both MPIs (tests/pblas-tester.sh runs
# its PBLAS tester on libdcompute_scalapack's pdgemm_).
# PETSc is optional too: bench/bench_solve compares against it and is built only when configure
# finds it for the same MPI. Debian's petsc-dev is built for Open MPI (an MPICH build of
# libdcompute cannot use it), so only the Open MPI sets install it.
# The checkpoint module (dc_ckpt.h) needs a parallel HDF5 built for the same MPI, and zlib for
# its checksums; without them configure leaves it out. hdf5-tools gives h5dump, with which the
# tests read a checkpoint without libdcompute. ISA-L (libisal-dev, optional) computes the same
# CRC-32 as zlib about 6x faster.
# doxygen builds the man pages of the public functions (make, make install); man-db renders them
# in tests/man-check.sh (without doxygen configure leaves them out and that test skips).
# jansson (libjansson-dev) writes the JSON run report; python3-jsonschema validates it against
# docs/profile-schema.json in make check.
case "$mpi" in
    openmpi) pkgs+=(libopenmpi-dev openmpi-bin libscalapack-openmpi-dev scalapack-mpi-test
                    petsc-dev libhdf5-openmpi-dev) ;;
    mpich) pkgs+=(libmpich-dev mpich libscalapack-mpich-dev scalapack-mpi-test
                  libhdf5-mpich-dev) ;;
    both) pkgs+=(libopenmpi-dev openmpi-bin libscalapack-openmpi-dev
                 libmpich-dev mpich libscalapack-mpich-dev scalapack-mpi-test petsc-dev
                 libhdf5-openmpi-dev libhdf5-mpich-dev) ;;
esac
# tools/dc-report draws the run report and the benchmark results as PNG files with matplotlib
# (the main job's plots; tests/dc-report.sh skips without it).
pkgs+=(python3-matplotlib)
# the CI job "consumer" (.ci/run, with both MPIs) builds tests/consumer with CMake and checks the
# Spack package with python3
[ "$mpi" = both ] && pkgs+=(cmake python3)
pkgs+=("${extra[@]}")

# dpkg -s succeeds for removed-but-configured packages too; ask for the status word instead.
missing=()
for p in "${pkgs[@]}"; do
    status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
    [ "$status" = installed ] || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
    echo "deps: all ${#pkgs[@]} packages present ($mpi${extra:+ ${extra[*]}})"
    exit 0
fi

echo "deps: missing ${missing[*]}"
if [ "$(id -u)" -eq 0 ]; then
    sudo=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    sudo=(sudo -n)
else
    echo "deps: not root and no password-less sudo. Run as root, then re-run this script:" >&2
    echo "  apt-get update && apt-get install -y --no-install-recommends ${missing[*]}" >&2
    exit 1
fi

export DEBIAN_FRONTEND=noninteractive
# Options keep a fresh machine quiet and unattended: no prompts, keep existing config files.
apt_opts=(-y -q --no-install-recommends -o Dpkg::Options::=--force-confdef
          -o Dpkg::Options::=--force-confold)
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install "${apt_opts[@]}" "${missing[@]}"
echo "deps: done"
