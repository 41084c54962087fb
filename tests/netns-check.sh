#!/bin/bash
# Multi-node check on a simulated cluster (network namespaces, one per "node"; see
# shared/tools/netns-cluster/README.md): the reduce suite at 5 ranks spread unevenly, 2, 1 and 2
# ranks per node, with the node-aware allreduce selected (DC_ALLREDUCE=node). It runs twice:
# ranks placed by node in blocks (0 1 | 2 | 3 4) and round-robin (0 3 | 1 | 2 4), so that node
# groups are neither equal nor contiguous in rank order.
#
#   tests/netns-check.sh [BUILDDIR]     BUILDDIR: an Open MPI build (default build/openmpi)
#
# Exit: 0 passed, 1 failed, 77 skipped (not root, no iproute2, no network namespaces, or no
# Open MPI), 99 error (cluster busy, test program missing). The cluster is always torn down.
# Environment: DC_NETNS_CLUSTER (path of netns-cluster.sh), DC_NETNS_TIMEOUT (seconds per run,
# default 300).
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/.." && pwd)
bdir=${1:-${DC_TOP_BUILDDIR:-$src/build/openmpi}}
tmo=${DC_NETNS_TIMEOUT:-300}
skip() { echo "SKIP: netns-check: $*"; exit 77; }
error() { echo "ERROR: netns-check: $*" >&2; exit 99; }

# ---------------------------------------------------------------- can we run at all?
[ "$(id -u)" -eq 0 ] || skip "needs root to create network namespaces"
command -v ip >/dev/null 2>&1 || skip "needs iproute2 (apt-get install iproute2)"
command -v unshare >/dev/null 2>&1 || skip "needs unshare (util-linux)"
cluster=${DC_NETNS_CLUSTER:-}
if [ -z "$cluster" ]; then
    for c in "$src/../shared/tools/netns-cluster/netns-cluster.sh" \
             /work/shared/tools/netns-cluster/netns-cluster.sh; do
        [ -x "$c" ] && { cluster=$c; break; }
    done
fi
if [ -z "$cluster" ] || [ ! -x "$cluster" ]; then
    skip "netns-cluster.sh not found (set DC_NETNS_CLUSTER to its path)"
fi
probe=dcprobe$$
if ! ip netns add "$probe" 2>/dev/null; then
    skip "network namespaces are not available here (ip netns add failed)"
fi
ip netns del "$probe" 2>/dev/null
command -v mpirun.openmpi >/dev/null 2>&1 || skip "needs Open MPI (mpirun.openmpi)"
grep -q '^DC_MPI_IMPL *= *openmpi' "$bdir/Makefile" 2>/dev/null ||
    skip "$bdir is not an Open MPI build (netns-cluster runs Open MPI only)"

# netns-cluster.sh calls plain `mpirun`: make sure that is Open MPI's, whatever the
# alternatives system says (MPICH's mpirun would start singletons).
shim=$(mktemp -d /tmp/dc-netns.XXXXXX) || error "mktemp failed"
ln -s "$(command -v mpirun.openmpi)" "$shim/mpirun"
export PATH="$shim:$PATH"

prog=$bdir/tests/test_reduce
if [ ! -x "$prog" ]; then
    make -C "$bdir" tests/test_reduce >/dev/null 2>&1 || { rm -rf "$shim"; error "cannot build $prog"; }
fi

# ---------------------------------------------------------------- one cluster at a time
# The simulated cluster is machine-wide (/run/dcompute-netns): serialise our own runs with a
# lock, and wait a while for a cluster someone else brought up.
exec 9>/run/dc-netns-check.lock
flock -w 600 9 || { rm -rf "$shim"; error "another netns-check holds the lock for 600 s"; }
for _ in $(seq 1 60); do
    [ -e /run/dcompute-netns/nnodes ] || break
    sleep 5
done
[ -e /run/dcompute-netns/nnodes ] && { rm -rf "$shim"; error "a simulated cluster is already up (not ours)"; }

# shellcheck disable=SC2317 # called by the trap
cleanup() {
    "$cluster" down >/dev/null 2>&1
    rm -rf "$shim"
}
trap cleanup EXIT
trap 'exit 99' INT TERM
"$cluster" up 3 || error "netns-cluster.sh up 3 failed"

# ---------------------------------------------------------------- the runs
failed=0
run() {   # run LABEL [mpirun options]
    local label=$1 out rc t0 seen; shift
    out=$(mktemp) || error "mktemp failed"
    echo "--- $label: mpirun --host node0:2,node1:1,node2:2${*:+ $*} -x DC_ALLREDUCE=node" \
         "-np 5 $prog"
    t0=$(date +%s)
    timeout -s TERM -k 10 "$tmo" "$cluster" run --host node0:2,node1:1,node2:2 "$@" \
        -x DC_ALLREDUCE=node -x DC_DEBUG=1 -np 5 "$prog" > "$out" 2>&1
    rc=$?
    echo "--- $label: exit $rc after $(( $(date +%s) - t0 )) s"
    tail -n 30 "$out"
    # The suite reports what it saw ("node-aware allreduce: 5 rank(s) on 3 node(s) ..."): a
    # pass on fewer nodes would prove nothing about the two-level algorithm.
    seen=$(sed -n 's/.*node-aware allreduce: \([0-9]*\) rank(s) on \([0-9]*\) node(s).*/\1 \2/p' \
           "$out" | head -n 1)
    case $rc in
        0) if [ "$seen" = "5 3" ]; then
               echo "--- $label: passed (5 ranks on 3 nodes)"
           else
               echo "--- $label: FAILED: expected 5 ranks on 3 nodes, the suite reported '${seen:-nothing}'"
               failed=1
           fi ;;
        124|137) echo "--- $label: TIMEOUT after $tmo s"; failed=1 ;;
        *) echo "--- $label: FAILED (exit $rc)"; failed=1 ;;
    esac
    rm -f "$out"
}
run "blocks of 2,1,2 ranks per node"
run "round-robin, 2,1,2 ranks per node" --map-by node
[ $failed -eq 0 ] && echo "netns-check: passed" || echo "netns-check: FAILED"
exit $failed
