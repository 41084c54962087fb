#!/bin/bash
# Set everything up and run the whole test suite against one MPI.
#
#   scripts/run-tests.sh [openmpi|mpich] [--distcheck] [--build-only]
#                        [--netns | --sanitize | --valgrind]
#
# Installs missing Debian packages (scripts/deps.sh), generates configure (./autogen.sh) when
# needed, configures in build/<mpi> and builds with make -j$(nproc). Then `make -k check`:
# Open MPI runs every suite at 1, 2, 3 and 4 ranks, MPICH at 1 and 2 (oversubscribed MPICH
# busy-polls, ~5 ms per collective: see docs). As root with Open MPI it also runs the multi-node
# check on the simulated cluster (tests/netns-check.sh): every suite at 5 ranks on 3 nodes,
# each counted as one test.
#
#   --distcheck   also run `make distcheck` (builds the tarball and reruns the suite from it)
#   --build-only  stop after the build (used by scripts/run-main.sh)
#   --netns       only the multi-node check (builds build/<mpi> first; Open MPI, root)
#   --sanitize    AddressSanitizer + UndefinedBehaviorSanitizer: the library and the whole suite
#                 built in build/<mpi>-asan with -fsanitize=address,undefined
#                 -fno-sanitize-recover=all (any report fails its test), run at the usual rank
#                 counts; leaks are reported, those inside the MPI stack suppressed by
#                 tests/lsan-mpi.supp
#   --valgrind    valgrind memcheck of the whole suite at 1 rank (build/<mpi>-valgrind, -O1 -g);
#                 MPI's own reports suppressed by tests/valgrind-openmpi.supp (Open MPI only);
#                 any other error or definite leak fails its test
#
# Environment: DC_TEST_NP (rank counts, overrides the per-MPI default), DC_TEST_TIMEOUT (seconds
# per test run, default 300; 900 under valgrind), DC_CHECK_JOBS (tests run in parallel, default
# 1), DC_CONFIGURE_FLAGS (extra configure arguments), DC_JOBS (make -j for the build, default
# nproc), DC_NETNS_CHECK=0 (skip the multi-node check), DC_FORMAT_CHECK=0 (skip the
# clang-format check).
#
# The last line printed is "N passed, N failed, N skipped"; the exit status is non-zero if any
# test failed or something could not be built.
set -uo pipefail

mpi=openmpi
distcheck=0
build_only=0
mode=suite
for arg in "$@"; do
    case "$arg" in
        openmpi|mpich) mpi=$arg ;;
        --distcheck) distcheck=1 ;;
        --build-only) build_only=1 ;;
        --netns) mode=netns ;;
        --sanitize) mode=sanitize ;;
        --valgrind) mode=valgrind ;;
        -h|--help) sed -n '2,34p' "$0"; exit 0 ;;
        *) echo "run-tests.sh: unknown argument '$arg' (see $0 --help)" >&2; exit 2 ;;
    esac
done

src=$(cd "$(dirname "$0")/.." && pwd)
case $mode in
    sanitize) bdir=$src/build/$mpi-asan ;;
    valgrind) bdir=$src/build/$mpi-valgrind ;;
    *) bdir=$src/build/$mpi ;;
esac
bname=${bdir#"$src"/}
jobs=${DC_JOBS:-$(nproc 2>/dev/null || echo 2)}
t_start=$(date +%s)
is_root=0
[ "$(id -u)" -eq 0 ] && is_root=1

say() { printf '\n=== %s  [%ds]\n' "$*" $(( $(date +%s) - t_start )); }
die() { echo "run-tests.sh: $*" >&2; echo "0 passed, 1 failed, 0 skipped"; exit 1; }

# The multi-node check: with Open MPI, in the plain suite run (unless DC_NETNS_CHECK=0) or alone.
netns=0
if [ "$mpi" = openmpi ]; then
    { [ $mode = suite ] && [ "${DC_NETNS_CHECK:-1}" != 0 ]; } && netns=1
    [ $mode = netns ] && netns=1
fi
[ $mode = netns ] && [ "$mpi" != openmpi ] && die "--netns needs Open MPI (netns-cluster runs Open MPI only)"

# ---------------------------------------------------------------- dependencies
say "dependencies ($mpi)"
deps_args=("$mpi")
# The multi-node check needs iproute2; only root can create network namespaces anyway.
[ $netns -eq 1 ] && [ $is_root -eq 1 ] && deps_args+=(--netns)
[ $mode = valgrind ] && deps_args+=(--valgrind)
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
# The sanitizer and valgrind builds pass their compiler flags through configure's environment
# (CFLAGS and LDFLAGS hold spaces), and record them with the arguments.
conf_env=()
case $mode in
    sanitize)
        san="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all"
        conf_env=("CFLAGS=-O1 -g $san" "CXXFLAGS=-O1 -g $san" "LDFLAGS=$san") ;;
    valgrind)
        conf_env=("CFLAGS=-O1 -g" "CXXFLAGS=-O1 -g") ;;
esac
conf_id="$conf_flags${conf_env[*]:+ ${conf_env[*]}}"
mkdir -p "$bdir" || die "cannot create $bdir"
cd "$bdir" || die "cannot enter $bdir"
if [ ! -e Makefile ] || [ "$(cat .dc-configure-flags 2>/dev/null)" != "$conf_id" ]; then
    say "configure $conf_id (in $bname)"
    # shellcheck disable=SC2086 # the flags are words on purpose
    env "${conf_env[@]}" "$src/configure" $conf_flags > configure.out 2>&1 || {
        tail -n 30 configure.out
        die "configure failed (full output: $bdir/configure.out, $bdir/config.log)"
    }
    # configure ends with a summary of what it found (after a line "configure:")
    awk '/^configure: *$/ { buf = ""; f = 1 } f { buf = buf $0 "\n" } END { printf "%s", buf }' \
        configure.out
    echo "$conf_id" > .dc-configure-flags
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
[ $mode = valgrind ] && np_default=1
DC_TEST_NP=${DC_TEST_NP:-$np_default}
export DC_TEST_NP
check_jobs=${DC_CHECK_JOBS:-1}
case $mode in
    sanitize)
        # Any report ends the rank with an error (exit 1 from run-mpi.sh's mpirun): the test
        # fails. Leaks are checked at exit, with whole stacks; tests/lsan-mpi.supp names only
        # what the MPI stack allocates for itself in MPI_Init/MPI_Finalize and its runtime.
        # allocator_may_return_null: the tests ask for impossible sizes and expect DC_ERR_NOMEM.
        export ASAN_OPTIONS="detect_leaks=1:halt_on_error=1:exitcode=1:fast_unwind_on_malloc=0"
        export ASAN_OPTIONS="$ASAN_OPTIONS:allocator_may_return_null=1"
        export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:exitcode=1"
        export LSAN_OPTIONS="suppressions=$src/tests/lsan-mpi.supp:print_suppressions=0"
        # Every rank gets the ASan runtime preloaded (not mpirun): test_scalapack_preload
        # re-executes itself with libdcompute_scalapack in LD_PRELOAD, after it.
        export DC_TEST_WRAPPER="env LD_PRELOAD=$(gcc -print-file-name=libasan.so)"
        export DC_TEST_SANITIZE=1
        say "sanitizers: ASAN_OPTIONS=$ASAN_OPTIONS UBSAN_OPTIONS=$UBSAN_OPTIONS LSAN_OPTIONS=$LSAN_OPTIONS" ;;
    valgrind)
        supp=""
        [ "$mpi" = openmpi ] && supp="--suppressions=$src/tests/valgrind-openmpi.supp"
        # 42: an error (or a definite or indirect leak) in a test program; run-mpi.sh's
        # mpirun passes it on, and the test fails. --keep-debuginfo: Open MPI unloads its
        # components at MPI_Finalize, and the suppressions need their frames' names.
        # (--track-origins=yes is left out: twice slower; add it by hand to chase a report.)
        export DC_TEST_WRAPPER="valgrind -q --error-exitcode=42 --leak-check=full \
--errors-for-leak-kinds=definite,indirect --show-leak-kinds=definite,indirect \
--num-callers=30 --keep-debuginfo=yes $supp"
        export DC_TEST_TIMEOUT=${DC_TEST_TIMEOUT:-900}
        say "valgrind: DC_TEST_WRAPPER=$DC_TEST_WRAPPER" ;;
esac
pass=0; fail=0; skip=0
if [ $mode != netns ]; then
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
fi
[ $build_failed -eq 1 ] && { fail=$((fail + 1)); echo "build failure counted as 1 failed test"; }

# ---------------------------------------------------------------- multi-node check
# One test per run of tests/netns-check.sh (every suite at 5 ranks on 3 nodes, and a few
# variants): its "PASS:/FAIL:/SKIP: netns/..." lines are counted like make check's.
if [ $netns -eq 1 ]; then
    if [ $is_root -eq 1 ]; then
        say "multi-node check on the simulated cluster (tests/netns-check.sh)"
        t0=$(date +%s)
        "$src/tests/netns-check.sh" "$bdir" > netns-check.log 2>&1
        rc=$?
        np=$(grep -c '^PASS: netns/' netns-check.log)
        nf=$(grep -c '^FAIL: netns/' netns-check.log)
        ns=$(grep -c '^SKIP: netns/' netns-check.log)
        # the outcome lines; with the tails of the failed runs' logs when there are some
        if [ "$nf" -gt 0 ]; then
            grep -vE '^(up:|down)' netns-check.log
        else
            grep -E '^(---|PASS|FAIL|SKIP|ERROR|netns-check)' netns-check.log
        fi
        case $rc in
            0) ;;
            77) [ $((np + nf + ns)) -eq 0 ] && ns=1 ;;
            # a failure of the script itself (cluster busy, no program): one failed test
            *) [ "$nf" -eq 0 ] && { nf=1; tail -n 30 netns-check.log; } ;;
        esac
        pass=$((pass + np)); fail=$((fail + nf)); skip=$((skip + ns))
        echo "multi-node check: $np passed, $nf failed, $ns skipped in" \
             "$(( $(date +%s) - t0 )) s (exit $rc; log $bdir/netns-check.log," \
             "per run $bdir/netns-check.d/)"
    else
        echo "multi-node check skipped: needs root (network namespaces)"
        skip=$((skip + 1))
    fi
fi

# ---------------------------------------------------------------- format (once, with Open MPI)
# The house format is the checked-in .clang-format; counted as one test
# when clang-format is installed (scripts/deps.sh --format), skipped otherwise.
if [ "$mpi" = openmpi ] && [ $mode = suite ] && [ "${DC_FORMAT_CHECK:-1}" != 0 ]; then
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
if [ $distcheck -eq 1 ] && [ $mode = suite ]; then
    say "make distcheck"
    if DISTCHECK_CONFIGURE_FLAGS="$conf_flags" make distcheck > distcheck.out 2>&1; then
        pass=$((pass + 1)); echo "PASS: make distcheck"
    else
        tail -n 40 distcheck.out
        fail=$((fail + 1)); echo "FAIL: make distcheck (full output: $bdir/distcheck.out)"
    fi
fi

say "summary ($mpi, $mode, $bname, DC_TEST_NP=\"$DC_TEST_NP\")"
echo "logs: $bdir/test-suite.log"
echo "$pass passed, $fail failed, $skip skipped"
[ $fail -eq 0 ]
