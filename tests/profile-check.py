#!/usr/bin/python3
"""Check a libdcompute JSON run report: against docs/profile-schema.json (python3-jsonschema),
then what a schema cannot say: one entry per rank, P x P and N x N matrices, the node matrix
equal to the rank matrix summed by node, per-operation minimum <= average <= maximum.

    profile-check.py SCHEMA REPORT [RANKS]

Exit 0 when the report is valid (and has RANKS ranks when given), 1 with the reasons when
not, 2 when the check cannot run (no jsonschema)."""
import json
import sys

try:
    import jsonschema
except ImportError:
    print("profile-check: python3-jsonschema is missing (apt-get install python3-jsonschema)",
          file=sys.stderr)
    sys.exit(2)


def problems(rep, nranks):
    run = rep["run"]
    p, n = run["ranks"], run["nodes"]
    if nranks is not None and p != nranks:
        yield f"run.ranks is {p}, expected {nranks}"
    bad = False
    for key in ("placement", "ranks"):
        if [e["rank"] for e in rep[key]] != list(range(p)):
            yield f"{key}: ranks are not 0..{p - 1} in order"
            bad = True
    if bad:
        return
    m = rep["comm_matrix"]["ranks"]
    if len(m) != p or any(len(row) != p for row in m):
        yield f"comm_matrix.ranks is not {p} x {p}"
        return
    names = rep["comm_matrix"]["nodes"]["names"]
    nm = rep["comm_matrix"]["nodes"]["bytes"]
    if len(names) != n or len(nm) != n or any(len(row) != n for row in nm):
        yield f"comm_matrix.nodes is not {n} x {n} with {n} names"
        return
    node = [names.index(e["node"]) if e["node"] in names else -1 for e in rep["ranks"]]
    if -1 in node:
        yield "a rank's node is not among comm_matrix.nodes.names"
        return
    want = [[0] * n for _ in range(n)]
    for i in range(p):
        for j in range(p):
            want[node[i]][node[j]] += m[i][j]
    if want != nm:
        yield "comm_matrix.nodes.bytes is not the rank matrix summed by node"
    ops = list(rep["operations"])
    for r in rep["regions"]:
        ops += r["operations"]
        t = r["time"]
        if not (t["min"] <= t["avg"] * (1 + 1e-9) and t["avg"] <= t["max"] * (1 + 1e-9)):
            yield f"region {r['path']}: time min/avg/max out of order"
        if r["depth"] != r["path"].count("/"):
            yield f"region {r['path']}: depth {r['depth']} does not match its path"
    for o in ops:
        t = o["time"]
        if not (t["min"] <= t["avg"] * (1 + 1e-9) and t["avg"] <= t["max"] * (1 + 1e-9)):
            yield f"operation {o['name']}: time min/avg/max out of order"
        if t["max_rank"] >= p:
            yield f"operation {o['name']}: max_rank {t['max_rank']} is not a rank"


def main():
    if len(sys.argv) not in (3, 4):
        print(__doc__, file=sys.stderr)
        return 2
    with open(sys.argv[1]) as f:
        schema = json.load(f)
    try:
        with open(sys.argv[2]) as f:
            rep = json.load(f)
    except (OSError, ValueError) as e:
        print(f"profile-check: {sys.argv[2]}: not readable JSON: {e}", file=sys.stderr)
        return 1
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    errors = sorted(cls(schema).iter_errors(rep), key=lambda e: list(e.absolute_path))
    for e in errors:
        where = "/".join(str(x) for x in e.absolute_path) or "(top)"
        print(f"profile-check: {sys.argv[2]}: {where}: {e.message}", file=sys.stderr)
    if errors:
        return 1
    more = list(problems(rep, int(sys.argv[3]) if len(sys.argv) == 4 else None))
    for m in more:
        print(f"profile-check: {sys.argv[2]}: {m}", file=sys.stderr)
    return 1 if more else 0


if __name__ == "__main__":
    sys.exit(main())
