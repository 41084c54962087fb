#!/bin/bash
# The main job: set everything up, build, run the bundled examples and benchmarks on all local
# cores, draw the plots, and print a summary that lists every file written.
#
#   scripts/run-main.sh
#
# Installs missing Debian packages and builds in build/openmpi (through scripts/run-tests.sh
# --build-only), then runs every example and bench/bench_reduce under Open MPI's mpirun with
# np = nproc, then the other benchmarks under bench/, and tools/dc_info for the placement
# verdict. Everything it writes goes to build/openmpi/results/ (emptied first):
#   profile.json  the run report of examples/poisson (DC_PROFILE=json:...; docs/profile.md)
#   trace.json    its timeline (DC_TRACE=...; open it in https://ui.perfetto.dev)
#   bench/        each benchmark's CSV (DC_BENCH_OUT=results/bench) and text table
#   plots/        PNG plots of the report and of the CSVs (tools/dc-report)
#   dc_info.txt, logs/  the placement and options, the output of the build and each example
# Where OPENBLAS_CORETYPE or OPENBLAS_L2_SIZE is set (the machine picks OpenBLAS's kernel),
# bench/bench_gemm runs with that setting and again, for the ScaLAPACK drop-in case (--compat),
# with both unset (OpenBLAS's native kernel; its files are named bench_gemm_native*); each run
# prints the kernel it used. bench/bench_ckpt (when the checkpoint module is built) writes and
# reads 16 MiB, 128 MiB and 1 GiB checkpoints in $TMPDIR or /tmp (5 GiB must be free there).
# On a terminal one updating line shows the step running (n of m) and the time elapsed, and
# each step's output (a benchmark's table) is printed when it ends; otherwise (a log) every
# step's output is streamed, under a "=== [n/m] ..." header, with no progress line.
# Exits non-zero if the build, an example or a benchmark fails. Environment: DC_NP
# (rank count, default nproc), DC_BENCH_TIMEOUT (seconds per benchmark, default 300; 180 more
# for bench_gemm, which ends by itself after its --time-limit),
# DC_MPIRUN_ARGS (extra mpirun arguments).
set -uo pipefail

src=$(cd "$(dirname "$0")/.." && pwd)
bdir=$src/build/openmpi
results=$bdir/results
np=${DC_NP:-$(nproc 2>/dev/null || echo 2)}
t_start=$(date +%s)
# the example whose run report, trace and plots the job writes (the most communication)
profiled=examples/poisson

# ---------------------------------------------------------------- progress
# step LOG SHOW LABEL COMMAND...: run one step, its output (stdout and stderr) into LOG; sets
# step_rc and step_dt. On a terminal: a progress line "[n/m] LABEL  Ns (total Ns)" updated
# every second while it runs, then the log printed when SHOW=all (only its tail on failure
# when SHOW=tail or none). Otherwise: a header line, and the output streamed as it comes
# (SHOW=all or tail) or only written to LOG (SHOW=none).
tty=0
[ -t 1 ] && tty=1
step_n=0
step_m='?'
tick_pid=
tick_stop() {
    if [ -n "$tick_pid" ]; then
        kill "$tick_pid" 2>/dev/null
        wait "$tick_pid" 2>/dev/null
        tick_pid=
        printf '\r\033[K'
    fi
}
trap tick_stop EXIT
trap 'tick_stop; exit 130' INT TERM
step() {
    local log=$1 show=$2 label=$3 t0
    shift 3
    step_n=$((step_n + 1))
    t0=$(date +%s)
    if [ $tty -eq 1 ]; then
        local cols
        cols=$(tput cols 2>/dev/null || echo 80)
        (
            trap 'exit 0' TERM
            while :; do
                now=$(date +%s)
                line=$(printf '[%s/%s] %s  %ds (total %ds)' "$step_n" "$step_m" "$label" \
                    $((now - t0)) $((now - t_start)))
                printf '\r\033[K%s' "${line:0:$((cols - 1))}"
                sleep 1 &
                wait $!
            done
        ) &
        tick_pid=$!
        "$@" > "$log" 2>&1 < /dev/null
        step_rc=$?
        tick_stop
        if [ "$show" = all ]; then
            printf '\n=== [%s/%s] %s\n' "$step_n" "$step_m" "$label"
            cat "$log"
        elif [ $step_rc -ne 0 ]; then
            printf '=== [%s/%s] %s: exit %d, last lines of %s:\n' "$step_n" "$step_m" "$label" \
                "$step_rc" "$log"
            tail -n 15 "$log"
        fi
    else
        printf '\n=== [%s/%s] %s  [%ds]\n' "$step_n" "$step_m" "$label" $((t0 - t_start))
        if [ "$show" = none ]; then
            "$@" > "$log" 2>&1 < /dev/null
            step_rc=$?
        else
            "$@" 2>&1 < /dev/null | tee "$log"
            step_rc=${PIPESTATUS[0]}
        fi
    fi
    step_dt=$(($(date +%s) - t0))
}

# ---------------------------------------------------------------- the steps
printvar() {   # the value of a variable of the generated Makefile in $bdir
    make -s -C "$bdir" -f Makefile -f - dc-print-var DC_PRINT_VAR="$1" <<'EOF'
dc-print-var:
	@echo $($(DC_PRINT_VAR))
EOF
}
gemm_twice=0
[ -n "${OPENBLAS_CORETYPE+x}${OPENBLAS_L2_SIZE+x}" ] && gemm_twice=1
# list_steps: the examples and the benchmarks (bench/bench_reduce first: the issue's targets;
# then every other program under bench/), and step_m, the number of steps. Each benchmark
# prints its own table with the baseline measured in the same run and the ratios, and writes
# its measurements (one CSV row each) to $DC_BENCH_OUT/<bench>.csv.
list_steps() {
    local b
    examples=$(printvar DC_EXAMPLES)
    benches=bench/bench_reduce
    for b in $(printvar noinst_PROGRAMS); do
        case "$b" in bench/bench_reduce) ;; bench/*) benches="$benches $b" ;; esac
    done
    step_m=1   # the build
    for b in $examples $benches; do step_m=$((step_m + 1)); done
    case " $benches " in *" bench/bench_gemm "*) step_m=$((step_m + gemm_twice)) ;; esac
    step_m=$((step_m + 2))   # placement, plots
}
# the count is known before the build where an earlier one left a Makefile
[ -e "$bdir/Makefile" ] && list_steps 2>/dev/null

# ---------------------------------------------------------------- build
mkdir -p "$bdir" || { echo "run-main.sh: cannot create $bdir" >&2; exit 1; }
rm -rf "$results"
mkdir -p "$results/logs" "$results/bench" "$results/plots" ||
    { echo "run-main.sh: cannot create $results" >&2; exit 1; }
step "$results/logs/build.txt" all "set up and build (scripts/run-tests.sh openmpi --build-only)" \
    "$src/scripts/run-tests.sh" openmpi --build-only
build_rc=$step_rc
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

export DC_BENCH_OUT=$results/bench

list_steps
# the JSON run report needs jansson (scripts/deps.sh installs it; without it DC_PROFILE=json fails)
json_report=0
grep -qs '^#define DC_HAVE_JANSSON 1' include/dcompute/*/dc_build.h && json_report=1
# ---------------------------------------------------------------- examples
ex_pass=0; ex_fail=0; ex_report=()
for ex in $examples; do
    envs=(env)
    label="example $ex (mpirun -np $np)"
    if [ "$ex" = "$profiled" ]; then
        envs+=("DC_TRACE=$results/trace.json")
        [ $json_report -eq 1 ] && envs+=("DC_PROFILE=json:$results/profile.json")
        label="example $ex (mpirun -np $np; run report and trace)"
    fi
    log=$results/logs/$(echo "$ex" | tr / _).txt
    if [ ! -x "$ex" ]; then
        step "$log" tail "$label" sh -c "echo 'not built: $ex'; exit 127"
    else
        step "$log" tail "$label" "${envs[@]}" timeout -s TERM -k 10 120 \
            "$mpirun" "${mpiflags[@]}" -np "$np" "./$ex"
    fi
    case $step_rc in
        0) ex_pass=$((ex_pass + 1)); st="ok      $ex (${step_dt} s)" ;;
        124|137) st="FAILED  $ex (timeout after 120 s)" ;;
        127) st="FAILED  $ex (not built)" ;;
        *) st="FAILED  $ex (exit $step_rc)" ;;
    esac
    [ "$step_rc" -eq 0 ] || ex_fail=$((ex_fail + 1))
    ex_report+=("  $st")
    [ $tty -eq 1 ] && echo "  $st"
done

# ---------------------------------------------------------------- benchmarks
bench_tmo=${DC_BENCH_TIMEOUT:-300}
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
# run_bench NAME LABEL NATIVE PROGRAM [ARGS]: the table goes to results/bench/NAME.txt, the CSV
# to results/bench/NAME.csv; NATIVE=1: OpenBLAS's own kernel
run_bench() {
    local name=$1 label=$2 b=$4 envs=(env) tmo=$bench_tmo st met out csvdir f
    out=$results/bench/$name.txt
    [ "$3" = 1 ] && envs+=(-u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE)
    # bench_gemm stops measuring after its --time-limit (300 s) but ends the measurement under way
    [ "$b" = bench/bench_gemm ] && tmo=$(( bench_tmo + 180 ))
    shift 3
    # each run writes its CSV into a directory of its own, then renamed to NAME.csv (a second
    # run of the same program must not replace the first one's)
    csvdir=$results/bench/.run-$name
    mkdir -p "$csvdir"
    envs+=("DC_BENCH_OUT=$csvdir")
    if [ -x "$b" ]; then
        step "$out" all "benchmark $label (mpirun -np $np)" "${envs[@]}" \
            timeout -s TERM -k 10 "$tmo" "$mpirun" "${mpiflags[@]}" -np "$np" "./$b" "${@:2}"
    else
        step "$out" all "benchmark $label" sh -c "echo '$b was not built'; exit 127"
    fi
    for f in "$csvdir"/*.csv; do
        [ -e "$f" ] || continue
        if [ "$(basename "$f" .csv)" = "$(basename "$b")" ]; then
            mv "$f" "$results/bench/$name.csv"
        else
            mv "$f" "$results/bench/"
        fi
    done
    rmdir "$csvdir" 2>/dev/null
    case $step_rc in
        0) st="ok      $label (${step_dt} s)" ;;
        124|137) st="FAILED  $label (timeout after $tmo s; partial output in bench/$name.txt)" ;;
        127) st="FAILED  $label (not built)" ;;
        *) st="FAILED  $label (exit $step_rc; output in bench/$name.txt)" ;;
    esac
    [ "$step_rc" -eq 0 ] || bench_fail=$((bench_fail + 1))
    bench_report+=("  $st")
    [ $tty -eq 1 ] && echo "  $st"
    # a benchmark that checks targets ends with "<name>: N of M targets met; ..."
    met=$(grep -E "^$(basename "$b"): .*targets met" "$out" | tail -n 1)
    [ -n "$met" ] && bench_report+=("          $met")
}
for b in $benches; do
    if [ "$b" = bench/bench_gemm ] && [ $gemm_twice -eq 1 ]; then
        # This machine chooses OpenBLAS's kernel (OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE): measure
        # with that setting, then the native kernel (both unset) for the ScaLAPACK drop-in case
        # (--compat; the whole native table: env -u both variables, bench_gemm without --compat).
        run_bench bench_gemm "$b, the machine's OpenBLAS kernel setting" 0 "$b"
        run_bench bench_gemm_native "$b --compat, OpenBLAS's native kernel" 1 "$b" --compat
    elif [ "$b" = bench/bench_ckpt ]; then
        # 16 MiB, 128 MiB and the issue's 1 GiB (3 repetitions; past 120 s every size stops
        # at 3): its time is the disk's, 3 x 1 GiB written by each of the three variants
        run_bench bench_ckpt "$b" 0 "$b" --bytes 16M,128M,1G --reps 3 --time-limit 120
    else
        run_bench "$(basename "$b")" "$b" 0 "$b"
    fi
done

# ---------------------------------------------------------------- placement
place_out=$results/dc_info.txt
step "$place_out" none "placement (tools/dc_info, mpirun -np $np)" launch 60 ./tools/dc_info
place_rc=$step_rc
# The options table is in the file; on screen, the placement part (all of it if not found).
if grep -q '^libdcompute placement:' "$place_out"; then
    sed -n '/^libdcompute placement:/,$p' "$place_out"
else
    cat "$place_out"
fi
# dc_env_view ends with one verdict line per node: "node 0 (name): 2 rank(s), 2 core(s): ok - ..."
verdict=$(grep -E '^node [0-9]+ ' "$place_out" | head -n 4)
[ -n "$verdict" ] || verdict="(no verdict printed; dc_info exit $place_rc, output in $place_out)"

# ---------------------------------------------------------------- plots
# tools/dc-report: PNG files from the run report and from the benchmarks' CSV files; each
# writes "PATH<TAB>what it shows" per file, kept for the summary.
plot_notes=()
draw_plots() {
    local rc=0 dcr=$src/tools/dc-report
    if [ -s "$results/profile.json" ]; then
        "$dcr" "$results/profile.json" -o "$results/plots" || rc=1
    else
        echo "no run report $results/profile.json: nothing to draw from it"
    fi
    if compgen -G "$results/bench/*.csv" > /dev/null; then
        "$dcr" --bench "$results/bench" -o "$results/plots" || rc=1
    else
        echo "no benchmark CSV files in $results/bench: nothing to draw from them"
    fi
    return $rc
}
step "$results/logs/plots.txt" tail "plots (tools/dc-report)" draw_plots
plot_rc=$step_rc
declare -A what=()
while IFS=$'\t' read -r f w; do
    case "$f" in
        "$results"/*) what[$f]=$w ;;
        dc-report:*) plot_notes+=("$f") ;;   # an error (bad input): in the summary too
    esac
done < "$results/logs/plots.txt"

# ---------------------------------------------------------------- summary
# describe FILE: one line on what a file under results/ holds
describe() {
    local f=$1 rel=${1#"$results"/} n base
    if [ -n "${what[$f]:-}" ]; then echo "${what[$f]}"; return; fi
    base=$(basename "$f")
    case "$rel" in
        profile.json) echo "run report of $profiled at $np ranks (JSON; docs/profile.md)" ;;
        trace.json) echo "timeline of $profiled, one track per rank: open in" \
                         "https://ui.perfetto.dev (Open trace file) or chrome://tracing" ;;
        bench/*.csv)
            n=$(($(wc -l < "$f") - 1))
            echo "${base%.csv} measurements: $n rows (metrics:" \
                 "$(awk -F, 'NR > 1 && !s[$5]++ { printf "%s%s", c, $5; c = ", " }' "$f"))" ;;
        bench/*.txt) echo "${base%.txt} output (its table and verdicts)" ;;
        dc_info.txt) echo "options in effect and placement (tools/dc_info)" ;;
        *) echo "written by this run" ;;
    esac
}
# list_files: every file under results/ with what it holds: the report, the trace and their
# plots first, then per benchmark its CSV, table and plots, the placement; the logs on one line
list_files() {
    local rel b w=12 files logs
    files=$(cd "$results" && find . -type f ! -path './bench/.run-*' | sed 's|^\./||' |
        while IFS= read -r rel; do
            b=$(basename "$rel")
            case "$rel" in
                profile.json|trace.json) echo "1 - 0 $rel" ;;
                plots/profile-*) echo "2 - 0 $rel" ;;
                bench/*) echo "3 ${b%.*} 1 $rel" ;;
                plots/*) echo "3 ${b%-*} 2 $rel" ;;
                dc_info.txt) echo "4 - 0 $rel" ;;
                logs/*) ;;
                *) echo "5 - 0 $rel" ;;
            esac
        done | sort -k1,1n -k2,2 -k3,3n -k4 | cut -d' ' -f4-)
    while IFS= read -r rel; do [ ${#rel} -gt "$w" ] && w=${#rel}; done <<< "$files"
    [ "$w" -gt 40 ] && w=40
    while IFS= read -r rel; do
        [ -n "$rel" ] && printf '  %-*s %s\n' "$w" "$rel" "$(describe "$results/$rel")"
    done <<< "$files"
    logs=$(cd "$results/logs" 2>/dev/null && find . -type f | wc -l)
    printf '  %-*s %s\n' "$w" "logs/" "output of the build (build.txt), each example \
(examples_NAME.txt) and tools/dc-report (plots.txt): $logs files"
}
[ $tty -eq 1 ] && echo
printf '\n=== summary  [%ds]\n' $(( $(date +%s) - t_start ))
echo "ranks:      $np (Open MPI, $cores cores${mpiflags[*]:+, mpirun ${mpiflags[*]}})"
echo "build:      $([ $build_rc -eq 0 ] && echo ok || echo "some targets failed ($bdir/build.out)")"
echo "examples:   $ex_pass passed, $ex_fail failed"
printf '%s\n' "${ex_report[@]}"
echo "benchmarks:"
printf '%s\n' "${bench_report[@]}"
echo "placement:  $verdict"
echo "files, in $results/:"
list_files
if [ $json_report -eq 0 ]; then
    echo "  (no run report: libdcompute was built without jansson, no DC_PROFILE=json)"
elif [ ! -s "$results/profile.json" ]; then
    echo "  (no run report: $profiled did not write $results/profile.json)"
fi
[ -s "$results/trace.json" ] ||
    echo "  (no trace: $profiled did not write $results/trace.json)"
[ $plot_rc -eq 0 ] || echo "  (tools/dc-report failed: see logs/plots.txt)"
for n in "${plot_notes[@]}"; do echo "  $n"; done
echo "total time: $(( $(date +%s) - t_start )) s"
[ $ex_fail -eq 0 ] && [ $build_rc -eq 0 ] && [ $bench_fail -eq 0 ]
