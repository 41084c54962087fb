#!/bin/bash
# The main job: set everything up, build, run the bundled examples and benchmarks on all local
# cores, and print a summary.
#
#   scripts/run-main.sh
#
# Installs missing Debian packages and builds in build/openmpi (through scripts/run-tests.sh
# --build-only), then runs every example and bench/bench_reduce under Open MPI's mpirun with
# np = nproc, then the other benchmarks under bench/, and tools/dc_info for the placement
# verdict. Where OPENBLAS_CORETYPE or OPENBLAS_L2_SIZE is set (the machine picks OpenBLAS's
# kernel), bench/bench_gemm runs with that setting and again, for the ScaLAPACK drop-in case
# (--compat), with both unset (OpenBLAS's native kernel); each run prints the kernel it used.
# bench/bench_ckpt (when the checkpoint module is built) writes and reads 16 MiB, 128 MiB and
# 1 GiB checkpoints in $TMPDIR or /tmp (5 GiB must be free there).
# Exits non-zero if the build, an example or a benchmark fails. Environment: DC_NP
# (rank count, default nproc), DC_BENCH_TIMEOUT (seconds per benchmark, default 300; 180 more
# for bench_gemm, which ends by itself after its --time-limit),
# DC_MPIRUN_ARGS (extra mpirun arguments).
set -uo pipefail

src=$(cd "$(dirname "$0")/.." && pwd)
bdir=$src/build/openmpi
np=${DC_NP:-$(nproc 2>/dev/null || echo 2)}
t_start=$(date +%s)
say() { printf '\n=== %s  [%ds]\n' "$*" $(( $(date +%s) - t_start )); }

# ---------------------------------------------------------------- build
"$src/scripts/run-tests.sh" openmpi --build-only
build_rc=$?
cd "$bdir" 2>/dev/null || { echo "run-main.sh: no build directory $bdir" >&2; exit 1; }
[ -x tools/dc_info ] || { echo "run-main.sh: the library did not build (see $bdir/build.out)" >&2; exit 1; }
[ $build_rc -eq 0 ] || echo "run-main.sh: some targets failed to build; running what was built" >&2

# ---------------------------------------------------------------- launcher
mpirun=$(sed -n 's/^DC_MPIEXEC *= *//p' Makefile)
mpirun=${mpirun:-mpirun.openmpi}
if [ "$(id -u)" -eq 0 ]; then
    export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
fi
# Open MPI gives one slot per core: more ranks than cores (DC_NP, or SMT where nproc counts
# hardware threads) need --oversubscribe; otherwise leave Open MPI's default binding alone.
cores=$(lscpu -p=SOCKET,CORE 2>/dev/null | grep -v '^#' | sort -u | wc -l)
[ "${cores:-0}" -ge 1 ] || cores=$np
mpiflags=()
[ "$np" -gt "$cores" ] && mpiflags+=(--oversubscribe)
# shellcheck disable=SC2206 # user-supplied words
mpiflags+=(${DC_MPIRUN_ARGS:-})
launch() {   # launch TIMEOUT PROGRAM [ARGS]
    local t=$1; shift
    timeout -s TERM -k 10 "$t" "$mpirun" "${mpiflags[@]}" -np "$np" "$@"
}

# ---------------------------------------------------------------- examples
printvar() {
    make -s -f Makefile -f - dc-print-var DC_PRINT_VAR="$1" <<'EOF'
dc-print-var:
	@echo $($(DC_PRINT_VAR))
EOF
}
examples=$(printvar DC_EXAMPLES)
ex_pass=0; ex_fail=0; ex_report=()
for ex in $examples; do
    say "example $ex (mpirun -np $np)"
    t0=$(date +%s.%N)
    if [ ! -x "$ex" ]; then
        rc=127; echo "not built: $ex"
    else
        launch 120 "./$ex"
        rc=$?
    fi
    dt=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
    if [ $rc -eq 0 ]; then
        ex_pass=$((ex_pass + 1)); ex_report+=("  ok      $ex (${dt} s)")
    else
        ex_fail=$((ex_fail + 1))
        case $rc in
            124|137) ex_report+=("  FAILED  $ex (timeout after 120 s)") ;;
            127) ex_report+=("  FAILED  $ex (not built)") ;;
            *) ex_report+=("  FAILED  $ex (exit $rc)") ;;
        esac
    fi
done

# ---------------------------------------------------------------- benchmarks
# bench/bench_reduce first (the issue's targets), then every other program under bench/. Each
# prints its own table with the baseline measured in the same run and the ratios.
bench_tmo=${DC_BENCH_TIMEOUT:-300}
benches=bench/bench_reduce
for b in $(printvar noinst_PROGRAMS); do
    case "$b" in bench/bench_reduce) ;; bench/*) benches="$benches $b" ;; esac
done
bench_fail=0; bench_report=()
# bench/bench_solve (the comparison with PETSc) is built only where configure found PETSc for
# this MPI: say why it is missing rather than leave it out silently.
case " $benches " in
    *" bench/bench_solve "*) ;;
    *) petsc=$(sed -n 's/^ *PETSc: *//p' configure.out 2>/dev/null | tail -n 1)
       bench_report+=("  skipped bench/bench_solve: not built (PETSc: ${petsc:-see configure.out})") ;;
esac
# bench/bench_ckpt (checkpoints against dd and MPI-IO) is built only with the checkpoint module.
case " $benches " in
    *" bench/bench_ckpt "*) ;;
    *) ckpt=$(sed -n 's/^ *checkpoints: *//p' configure.out 2>/dev/null | tail -n 1)
       bench_report+=("  skipped bench/bench_ckpt: not built (checkpoints: ${ckpt:-see configure.out})") ;;
esac
run_bench() {   # run_bench OUTFILE LABEL NATIVE PROGRAM [ARGS]; NATIVE=1: OpenBLAS's own kernel
    local out=$1 label=$2 b=$4 envs=(env) tmo=$bench_tmo rc dt st met t0
    [ "$3" = 1 ] && envs+=(-u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE)
    # bench_gemm stops measuring after its --time-limit (300 s) but ends the measurement under way
    [ "$b" = bench/bench_gemm ] && tmo=$(( bench_tmo + 180 ))
    shift 3
    say "benchmark $label (mpirun -np $np; output also in $out)"
    t0=$(date +%s)
    if [ -x "$b" ]; then
        "${envs[@]}" timeout -s TERM -k 10 "$tmo" "$mpirun" "${mpiflags[@]}" -np "$np" \
            "./$b" "${@:2}" 2>&1 | tee "$out"
        rc=${PIPESTATUS[0]}
    else
        echo "$b was not built" | tee "$out"
        rc=127
    fi
    dt=$(( $(date +%s) - t0 ))
    case $rc in
        0) st="ok      $label (${dt} s): table above and in $out" ;;
        124|137) st="FAILED  $label (timeout after $tmo s; partial output in $out)" ;;
        127) st="FAILED  $label (not built)" ;;
        *) st="FAILED  $label (exit $rc; output in $out)" ;;
    esac
    [ "$rc" -eq 0 ] || bench_fail=$((bench_fail + 1))
    bench_report+=("  $st")
    # a benchmark that checks targets ends with "<name>: N of M targets met; ..."
    met=$(grep -E "^$(basename "$b"): .*targets met" "$out" | tail -n 1)
    [ -n "$met" ] && bench_report+=("          $met")
}
for b in $benches; do
    if [ "$b" = bench/bench_gemm ] && [ -n "${OPENBLAS_CORETYPE+x}${OPENBLAS_L2_SIZE+x}" ]; then
        # This machine chooses OpenBLAS's kernel (OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE): measure
        # with that setting, then the native kernel (both unset) for the ScaLAPACK drop-in case
        # (--compat; the whole native table: env -u both variables, bench_gemm without --compat).
        run_bench "$bdir/bench_gemm.txt" "$b, the machine's OpenBLAS kernel setting" 0 "$b"
        run_bench "$bdir/bench_gemm_native.txt" "$b --compat, OpenBLAS's native kernel" 1 \
            "$b" --compat
    elif [ "$b" = bench/bench_ckpt ]; then
        # 16 MiB, 128 MiB and the issue's 1 GiB (3 repetitions; past 120 s every size stops
        # at 3): its time is the disk's, 3 x 1 GiB written by each of the three variants
        run_bench "$bdir/bench_ckpt.txt" "$b" 0 "$b" --bytes 16M,128M,1G --reps 3 \
            --time-limit 120
    else
        run_bench "$bdir/$(basename "$b").txt" "$b" 0 "$b"
    fi
done

# ---------------------------------------------------------------- placement
place_out=$bdir/dc_info.txt
say "placement (tools/dc_info, mpirun -np $np)"
launch 60 ./tools/dc_info > "$place_out" 2>&1
place_rc=$?
# The options table is in the file; on screen, the placement part (all of it if not found).
if grep -q '^libdcompute placement:' "$place_out"; then
    sed -n '/^libdcompute placement:/,$p' "$place_out"
else
    cat "$place_out"
fi
# dc_env_view ends with one verdict line per node: "node 0 (name): 2 rank(s), 2 core(s): ok - ..."
verdict=$(grep -E '^node [0-9]+ ' "$place_out" | head -n 4)
[ -n "$verdict" ] || verdict="(no verdict printed; dc_info exit $place_rc, output in $place_out)"

# ---------------------------------------------------------------- summary
say "summary"
echo "ranks:      $np (Open MPI, $cores cores${mpiflags[*]:+, mpirun ${mpiflags[*]}})"
echo "build:      $([ $build_rc -eq 0 ] && echo ok || echo "some targets failed ($bdir/build.out)")"
echo "examples:   $ex_pass passed, $ex_fail failed"
printf '%s\n' "${ex_report[@]}"
echo "benchmarks:"
printf '%s\n' "${bench_report[@]}"
echo "placement:  $verdict"
echo "total time: $(( $(date +%s) - t_start )) s"
[ $ex_fail -eq 0 ] && [ $build_rc -eq 0 ] && [ $bench_fail -eq 0 ]
