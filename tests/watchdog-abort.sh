#!/bin/bash
# The hang watchdog's abort mode (DC_TIMEOUT_ABORT): tests/watchdog_abort at 2 ranks, through
# tests/run-mpi.sh (the suites' launcher, flags and timeout), where rank 1 skips a dc_vec_dot.
# The job must die (non-zero status, not the runner's timeout) with the diagnosis on stderr:
# the waiting rank, the collective and the missing rank with its node name. Exit 77 (SKIP) when
# 2 ranks are not among DC_TEST_NP.
set -uo pipefail
top=${DC_TOP_BUILDDIR:-$(cd "$(dirname "$0")/.." && pwd)}
runner=$top/tests/run-mpi.sh
prog=$top/tests/watchdog_abort

fail() { echo "FAIL: $*" >&2; exit 1; }

case " ${DC_TEST_NP:-1 2 3 4} " in
  *" 2 "*) ;;
  *) echo "SKIP: the abort test runs at 2 ranks (DC_TEST_NP=\"${DC_TEST_NP:-}\")"; exit 77 ;;
esac
[ -x "$prog" ] || fail "no $prog (build first)"
[ -x "$runner" ] || fail "no $runner"
out=$(mktemp "${TMPDIR:-/tmp}/dc-wd-abort.XXXXXX") || fail "mktemp"
trap 'rm -f "$out"' EXIT

DC_TEST_NP=2 DC_TEST_TIMEOUT=${DC_TEST_TIMEOUT:-120} "$runner" "$prog"_np2.mpi > "$out" 2>&1
rc=$?
cat "$out"
[ $rc -eq 99 ] && { echo "TIMEOUT: the job was not aborted" >&2; exit 99; }
[ $rc -ne 0 ] || fail "the job exited 0: it was not aborted"
grep -q "NOT ABORTED" "$out" && fail "dc_vec_dot returned instead of aborting"
for want in "[dcompute watchdog] rank 0 (" "dc_vec_dot waited" "rank 1 (node " \
            "last entered #"; do
  grep -qF -- "$want" "$out" || fail "the diagnosis lacks \"$want\""
done
echo "PASS: the job was aborted (status $rc) with the diagnosis on stderr"
exit 0
