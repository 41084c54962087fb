#!/bin/bash
# Set everything up and run the whole test suite against one MPI.
#
#   scripts/run-tests.sh [openmpi|mpich] [--distcheck] [--build-only]
#
# Installs missing Debian packages (scripts/deps.sh), generates configure (./autogen.sh) when
# needed, configures in build/<mpi> and builds with make -j$(nproc). Then `make -k check`:
# Open MPI runs every suite at 1, 2, 3 and 4 ranks, MPICH at 1 and 2 (oversubscribed MPICH
# busy-polls, ~5 ms per collective: see docs). As root with Open MPI it also runs the multi-node
# check on the simulated cluster (tests/netns-check.sh), counted as one test.
#
#   --distcheck   also run `make distcheck` (builds the tarball and reruns the suite from it)
#   --build-only  stop after the build (used by scripts/run-main.sh)
#
# Environment: DC_TEST_NP (rank counts, overrides the per-MPI default), DC_TEST_TIMEOUT (seconds
# per test run, default 300), DC_CHECK_JOBS (tests run in parallel, default 1),
# DC_CONFIGURE_FLAGS (extra configure arguments), DC_JOBS (make -j for the build, default nproc),
# DC_NETNS_CHECK=0 (skip the multi-node check), DC_FORMAT_CHECK=0 (skip the clang-format check).
#
# The last line printed is "N passed, N failed, N skipped"; the exit status is non-zero if any
# test failed or something could not be built.
set -uo pipefail

mpi=openmpi
distcheck=0
build_only=0
for arg in "$@"; do
    case "$arg" in
        openmpi|mpich) mpi=$arg ;;
        --distcheck) distcheck=1 ;;
        --build-only) build_only=1 ;;
        -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
        *) echo "run-tests.sh: unknown argument '$arg' (see $0 --help)" >&2; exit 2 ;;
    esac
done

src=$(cd "$(dirname "$0")/.." && pwd)
bdir=$src/build/$mpi
jobs=${DC_JOBS:-$(nproc 2>/dev/null || echo 2)}
t_start=$(date +%s)
is_root=0
[ "$(id -u)" -eq 0 ] && is_root=1

say() { printf '\n=== %s  [%ds]\n' "$*" $(( $(date +%s) - t_start )); }
die() { echo "run-tests.sh: $*" >&2; echo "0 passed, 1 failed, 0 skipped"; exit 1; }

# ---------------------------------------------------------------- dependencies
say "dependencies ($mpi)"
deps_args=("$mpi")
# The multi-node check needs iproute2; only root can create network namespaces anyway.
[ "$mpi" = openmpi ] && [ $is_root -eq 1 ] && [ "${DC_NETNS_CHECK:-1}" != 0 ] && deps_args+=(--netns)
"$src/scripts/deps.sh" "${deps_args[@]}" || die "missing packages (see above)"

# Open MPI resolves the host's own name at every launch; without an /etc/hosts entry (seen in
# minimal chroots) each lookup may wait seconds for DNS, and a test suite of many short runs
# becomes many times slower. Say so rather than leave it a mystery.
host=$(uname -n)
if ! getent hosts "$host" >/dev/null 2>&1; then
    echo "run-tests.sh: warning: host name '$host' does not resolve (no /etc/hosts entry?):" \
         "MPI launches may wait for DNS; add '127.0.1.1 $host' to /etc/hosts" >&2
fi

# ---------------------------------------------------------------- configure and build
# The MPI is chosen by argument; a CC or CXX from the caller's environment would override it.
unset CC CXX
cd "$src" || die "cannot enter $src"
if [ -e "$src/config.status" ]; then
    die "$src is configured in-tree; run 'make distclean' there first (builds go to build/<mpi>)"
fi
if [ ! -x "$src/configure" ] || [ ! -e "$src/Makefile.in" ]; then
    say "autogen"
    ./autogen.sh || die "./autogen.sh failed"
fi
conf_flags="--with-mpi=$mpi ${DC_CONFIGURE_FLAGS:-}"
mkdir -p "$bdir" || die "cannot create $bdir"
cd "$bdir" || die "cannot enter $bdir"
if [ ! -e Makefile ] || [ "$(cat .dc-configure-flags 2>/dev/null)" != "$conf_flags" ]; then
    say "configure $conf_flags (in build/$mpi)"
    # shellcheck disable=SC2086 # the flags are words on purpose
    "$src/configure" $conf_flags > configure.out 2>&1 || {
        tail -n 30 configure.out
        die "configure failed (full output: $bdir/configure.out, $bdir/config.log)"
    }
    # configure ends with a summary of what it found (after a line "configure:")
    awk '/^configure: *$/ { buf = ""; f = 1 } f { buf = buf $0 "\n" } END { printf "%s", buf }' \
        configure.out
    echo "$conf_flags" > .dc-configure-flags
fi

printvar() {   # the value of a variable of the generated Makefile
    make -s -f Makefile -f - dc-print-var DC_PRINT_VAR="$1" <<'EOF'
dc-print-var:
	@echo $($(DC_PRINT_VAR))
EOF
}
say "build (make -j$jobs)"
build_failed=0
# -k builds every program that can be built, in two steps because `make check` would build no
# test program at all after one failure in `all`.
make -k -j"$jobs" all > build.out 2>&1 || build_failed=1
# shellcheck disable=SC2046 # a list of targets
make -k -j"$jobs" $(printvar check_PROGRAMS) >> build.out 2>&1 || build_failed=1
if [ $build_failed -eq 1 ]; then
    grep -E 'error:|undefined reference|\*\*\*' build.out | head -n 30
    echo "run-tests.sh: some targets failed to build (full output: $bdir/build.out)" >&2
else
    grep -E 'warning:' build.out | head -n 20
    echo "build ok"
fi
[ $build_only -eq 1 ] && exit $build_failed

# ---------------------------------------------------------------- test suite
case "$mpi" in
    openmpi) np_default="1 2 3 4" ;;
    mpich) np_default="1 2" ;;
esac
DC_TEST_NP=${DC_TEST_NP:-$np_default}
export DC_TEST_NP
check_jobs=${DC_CHECK_JOBS:-1}
say "make -k check (DC_TEST_NP=\"$DC_TEST_NP\", $mpi)"
t0=$(date +%s)
if [ $build_failed -eq 0 ]; then
    make -k -j"$check_jobs" check
else
    # check-TESTS depends on every test program, so run the suite's logs directly: what was
    # built runs, a missing program is an ERROR (tests/run-mpi.sh exits 99).
    for t in $(printvar TESTS); do rm -f "${t%.mpi}.log" "${t%.mpi}.trs"; done
    rm -f test-suite.log
    make -k -j"$check_jobs" test-suite.log
fi
echo "make check took $(( $(date +%s) - t0 )) s"

pass=0; fail=0; skip=0
if [ -f test-suite.log ]; then
    num() {
        local v
        v=$(sed -n "s/^# $1: *\([0-9][0-9]*\).*/\1/p" test-suite.log | head -n 1)
        echo "${v:-0}"
    }
    pass=$(( $(num PASS) + $(num XFAIL) ))
    fail=$(( $(num FAIL) + $(num XPASS) + $(num ERROR) ))
    skip=$(num SKIP)
    # The tails of the failing logs: enough to see which assertion failed on which rank.
    find tests examples -maxdepth 1 -name '*.trs' \
        -exec grep -lE '^:test-result: (FAIL|XPASS|ERROR)' {} + 2>/dev/null | sort |
    while read -r trs; do
        log=${trs%.trs}.log
        say "FAILED $log (last 40 lines; full log: $bdir/$log)"
        tail -n 40 "$log"
    done
else
    echo "run-tests.sh: no test-suite.log: the test suite did not run" >&2
    fail=1
fi
[ $build_failed -eq 1 ] && { fail=$((fail + 1)); echo "build failure counted as 1 failed test"; }

# ---------------------------------------------------------------- multi-node check
if [ "$mpi" = openmpi ] && [ "${DC_NETNS_CHECK:-1}" != 0 ]; then
    if [ $is_root -eq 1 ]; then
        say "multi-node check on the simulated cluster (tests/netns-check.sh)"
        "$src/tests/netns-check.sh" "$bdir" > netns-check.log 2>&1
        rc=$?
        # the outcome lines; the whole output when it failed
        if [ $rc -eq 0 ] || [ $rc -eq 77 ]; then
            grep -E '^(---|up:|down|SKIP|netns-check)|node-aware allreduce:' netns-check.log
        else
            tail -n 60 netns-check.log
        fi
        case $rc in
            0) pass=$((pass + 1)); echo "PASS: tests/netns-check.sh" ;;
            77) skip=$((skip + 1)); echo "SKIP: tests/netns-check.sh" ;;
            *) fail=$((fail + 1)); echo "FAIL: tests/netns-check.sh (exit $rc, log $bdir/netns-check.log)" ;;
        esac
    else
        echo "multi-node check skipped: needs root (network namespaces)"
        skip=$((skip + 1))
    fi
fi

# ---------------------------------------------------------------- format (once, with Open MPI)
# The house format is the checked-in .clang-format; counted as one test
# when clang-format is installed (scripts/deps.sh --format), skipped otherwise.
if [ "$mpi" = openmpi ] && [ "${DC_FORMAT_CHECK:-1}" != 0 ]; then
    if command -v clang-format >/dev/null 2>&1; then
        say "format check (clang-format, .clang-format)"
        files=$(cd "$src" && ls lib/*.c lib/*.h lib/scalapack/*.c include/*.h include/dcompute/*.h \
                tests/*.c tests/*.h examples/*.c examples/*.cpp bench/*.c tools/*.c 2>/dev/null)
        if (cd "$src" && clang-format --dry-run --Werror $files) > format-check.log 2>&1; then
            pass=$((pass + 1)); echo "PASS: format check ($(echo $files | wc -w) files)"
        else
            head -n 40 format-check.log
            fail=$((fail + 1))
            echo "FAIL: format check (fix with: clang-format -i <files>; log $bdir/format-check.log)"
        fi
    else
        echo "format check skipped: no clang-format (scripts/deps.sh --format installs it)"
        skip=$((skip + 1))
    fi
fi

# ---------------------------------------------------------------- distcheck (optional)
if [ $distcheck -eq 1 ]; then
    say "make distcheck"
    if DISTCHECK_CONFIGURE_FLAGS="$conf_flags" make distcheck > distcheck.out 2>&1; then
        pass=$((pass + 1)); echo "PASS: make distcheck"
    else
        tail -n 40 distcheck.out
        fail=$((fail + 1)); echo "FAIL: make distcheck (full output: $bdir/distcheck.out)"
    fi
fi

say "summary ($mpi, DC_TEST_NP=\"$DC_TEST_NP\")"
echo "logs: $bdir/test-suite.log"
echo "$pass passed, $fail failed, $skip skipped"
[ $fail -eq 0 ]
