#!/usr/bin/env python3
"""Check a libdcompute trace (DC_TRACE) written by tests/trace_prog.

    trace-check.py TRACE.json --ranks P --ops OPS.txt [--capacity N] [--quiet]
    trace-check.py --self-test TRACE.json --ranks P --ops OPS.txt

OPS.txt is what trace_prog printed on rank 0: "op NAME COUNT" and "region NAME COUNT" lines,
an account of the calls it made, independent of the trace. Checked:

 1. The Chrome trace-event format (the JSON object form): "traceEvents" (a list),
    "displayTimeUnit", "otherData"; each event has the fields its phase requires (X: name,
    ph, ts, dur, pid, tid; M: name, ph, pid, args; i: name, ph, ts, pid, s), ts and dur are
    numbers >= 0, pid and tid integers, no other phase occurs.
 2. One process per rank: the pids are exactly 0..P-1, each named "rank R (NODE)" by a
    process_name metadata event, with a sort index and a thread name.
 3. The events of each rank are the operations and regions trace_prog called, in the order it
    called them (by "seq", the order of their ends): env create, layout create, two vector
    creates, the dots (the first R inside a region "step" each), the allreduces. Each dot and
    allreduce carries at least 8 bytes sent and received (its one double), and rank 0's add
    up to the byte totals its profiler reported ("bytes NAME SENT RECEIVED"). With a ring
    buffer smaller than that (--capacity N): exactly the newest N, "seq" from total - N, and
    the dropped count (otherData, the per-rank "dropped N events" instant event) equal to
    the surplus. Without drops, no such event and otherData says 0.
 4. Nesting: on each rank's track, two complete events are disjoint or one contains the
    other (what trace viewers need to stack them).
 5. Clock alignment: every rank enters each dc_vec_dot and dc_allreduce, and none can leave
    before the last has entered (the result depends on every rank's data), so on the true
    timeline the intervals of the k-th call overlap on all ranks. With each rank's clock
    error bound e_r (otherData.clock_error_us, half the smallest ping-pong round trip), the
    aligned intervals must satisfy: latest start <= earliest end + e_a + e_b + 0.002 us
    (ranks a, b: the latest starter and the earliest finisher; 0.002: the ns rounding).
    This is a structural check, not a speed threshold.

--self-test loads the trace, checks that it passes, then breaks it in several ways (one
rank's events moved by 10 ms, an event removed, a pid renamed, a dur made negative, a
nesting broken, the dropped count changed, bytes added) and checks that each broken copy
fails.
Exit status: 0 pass, 1 fail, 2 usage.
"""

import argparse
import copy
import json
import re
import sys


class Fail(Exception):
    pass


def need(cond, msg):
    if not cond:
        raise Fail(msg)


def is_num(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


def read_ops(path):
    ops, regions, order = {}, {}, []
    with open(path) as f:
        for line in f:
            w = line.split()
            if len(w) == 3 and w[0] in ("op", "region"):
                (ops if w[0] == "op" else regions)[w[1]] = int(w[2])
                order.append(w[1])
            elif len(w) == 4 and w[0] == "bytes":
                ops.setdefault("bytes", {})[w[1]] = (int(w[2]), int(w[3]))
    need("dc_vec_dot" in ops and "dc_allreduce" in ops and "bytes" in ops,
         "%s: no 'op dc_vec_dot N' and 'op dc_allreduce N' lines (did trace_prog succeed?)" % path)
    return ops, regions


def expected_sequence(ops, regions):
    """The events trace_prog records, in the order they end (see its header)."""
    seq = [("dc_env_create", "op"), ("dc_layout_create_block", "op")]
    seq += [("dc_vec_create", "op")] * ops.get("dc_vec_create", 0)
    nreg = regions.get("step", 0)
    for i in range(ops["dc_vec_dot"]):
        seq.append(("dc_vec_dot", "op"))
        if i < nreg:
            seq.append(("step", "region"))
    seq += [("dc_allreduce", "op")] * ops["dc_allreduce"]
    counted = {}
    for name, _ in seq:
        counted[name] = counted.get(name, 0) + 1
    for name, n in [x for x in ops.items() if x[0] != "bytes"] + list(regions.items()):
        need(counted.get(name) == n, "trace_prog reports %d x %s, the checker models %s"
             % (n, name, counted.get(name)))
    return seq


def check(doc, nranks, ops, regions, capacity=None):
    """Raise Fail on the first problem; return a one-line summary."""
    need(isinstance(doc, dict), "top level is not an object")
    for k in ("traceEvents", "displayTimeUnit", "otherData"):
        need(k in doc, "no '%s' at the top level" % k)
    need(isinstance(doc["traceEvents"], list), "traceEvents is not a list")
    need(doc["displayTimeUnit"] in ("ms", "ns"), "displayTimeUnit is not ms or ns")
    other = doc["otherData"]
    need(isinstance(other, dict), "otherData is not an object")

    # 1. fields per phase
    required = {"X": ("name", "ph", "ts", "dur", "pid", "tid"),
                "M": ("name", "ph", "pid", "args"),
                "i": ("name", "ph", "ts", "pid", "s")}
    meta = {}
    per_rank = {r: [] for r in range(nranks)}
    instants = {r: [] for r in range(nranks)}
    for n, e in enumerate(doc["traceEvents"]):
        need(isinstance(e, dict), "event %d is not an object" % n)
        ph = e.get("ph")
        need(ph in required, "event %d: phase %r is not one this trace writes (X, M, i)" % (n, ph))
        for k in required[ph]:
            need(k in e, "event %d (%s): no '%s'" % (n, ph, k))
        need(isinstance(e["name"], str) and e["name"], "event %d: name is not a string" % n)
        need(is_int(e["pid"]), "event %d: pid is not an integer" % n)
        need(e["pid"] in per_rank, "event %d: pid %r is not a rank of %d" % (n, e["pid"], nranks))
        if "tid" in e:
            need(is_int(e["tid"]), "event %d: tid is not an integer" % n)
        if "ts" in e:
            need(is_num(e["ts"]) and e["ts"] >= 0, "event %d: ts %r is not a number >= 0"
                 % (n, e["ts"]))
        if ph == "X":
            need(is_num(e["dur"]) and e["dur"] >= 0, "event %d: dur %r is not a number >= 0"
                 % (n, e["dur"]))
            need(isinstance(e.get("args", {}), dict), "event %d: args is not an object" % n)
            need(is_int(e.get("args", {}).get("seq")), "event %d: no integer args.seq" % n)
            per_rank[e["pid"]].append(e)
        elif ph == "M":
            need(isinstance(e["args"], dict), "event %d: args is not an object" % n)
            meta.setdefault(e["pid"], {})[e["name"]] = e["args"]
        else:
            need(e["s"] in ("g", "p", "t"), "event %d: instant scope %r" % (n, e["s"]))
            instants[e["pid"]].append(e)

    # 2. one named process per rank
    for r in range(nranks):
        m = meta.get(r, {})
        need("process_name" in m, "rank %d: no process_name metadata" % r)
        need(re.fullmatch(r"rank %d \(.+\)" % r, str(m["process_name"].get("name", ""))),
             "rank %d: process name %r is not 'rank %d (node)'"
             % (r, m["process_name"].get("name"), r))
        need(m.get("process_sort_index", {}).get("sort_index") == r,
             "rank %d: process_sort_index is not %d" % (r, r))
        need("thread_name" in m, "rank %d: no thread_name metadata" % r)
    need(other.get("ranks") == nranks, "otherData.ranks is %r, not %d"
         % (other.get("ranks"), nranks))
    need(other.get("schema") == "dcompute-trace" and other.get("version") == 1,
         "otherData: schema/version is not dcompute-trace 1")

    # 3. events against the calls made, ring buffer
    seq = expected_sequence(ops, regions)
    total = len(seq)
    kept = total if capacity is None or capacity >= total else capacity
    dropped = total - kept
    need(other.get("dropped_events") == dropped * nranks,
         "otherData.dropped_events is %r, the calls made leave %d per rank x %d"
         % (other.get("dropped_events"), dropped, nranks))
    need(other.get("dropped_per_rank") == [dropped] * nranks,
         "otherData.dropped_per_rank is %r, expected %r"
         % (other.get("dropped_per_rank"), [dropped] * nranks))
    need(other.get("note") == "dropped %d events" % (dropped * nranks),
         "otherData.note is %r" % other.get("note"))
    need(other.get("events_per_rank") == [kept] * nranks,
         "otherData.events_per_rank is %r, expected %r"
         % (other.get("events_per_rank"), [kept] * nranks))
    if capacity is not None:
        need(other.get("capacity_per_rank") == capacity, "otherData.capacity_per_rank is %r"
             % other.get("capacity_per_rank"))
    for r in range(nranks):
        evs = sorted(per_rank[r], key=lambda e: e["args"]["seq"])
        got = [(e["name"], e.get("cat")) for e in evs]
        want = seq[total - kept:]
        need([e["args"]["seq"] for e in evs] == list(range(total - kept, total)),
             "rank %d: seq %r, expected %d..%d" % (r, [e["args"]["seq"] for e in evs][:8],
                                                   total - kept, total - 1))
        if got != want:
            for i, (g, w) in enumerate(zip(got + [None] * len(want), want + [None] * len(got))):
                if g != w:
                    raise Fail("rank %d: event %d is %r, the calls made give %r (%d events, "
                               "expected %d)" % (r, i, g, w, len(got), len(want)))
        # bytes: each collective moves at least its one double; rank 0's events add up to the
        # totals its profiler reported (when nothing was dropped)
        for e in evs:
            if e["name"] in ("dc_vec_dot", "dc_allreduce"):
                need(is_int(e["args"].get("bytes_sent")) and e["args"]["bytes_sent"] >= 8 and
                     is_int(e["args"].get("bytes_recv")) and e["args"]["bytes_recv"] >= 8,
                     "rank %d: %s seq %d: bytes_sent/recv %r/%r, not >= 8 (one double)"
                     % (r, e["name"], e["args"]["seq"], e["args"].get("bytes_sent"),
                        e["args"].get("bytes_recv")))
        if r == 0 and not dropped:
            for name, (sb, rb) in ops.get("bytes", {}).items():
                got = (sum(e["args"]["bytes_sent"] for e in evs if e["name"] == name),
                       sum(e["args"]["bytes_recv"] for e in evs if e["name"] == name))
                need(got == (sb, rb), "rank 0: the %s events carry %d/%d bytes sent/received, "
                     "the profiler counted %d/%d" % ((name,) + got + (sb, rb)))
        drops = [e for e in instants[r] if e["name"].startswith("dropped")]
        if dropped:
            need(len(drops) == 1 and drops[0]["name"] == "dropped %d events" % dropped,
                 "rank %d: instant events %r, expected one 'dropped %d events'"
                 % (r, [e["name"] for e in drops], dropped))
        else:
            need(not drops, "rank %d: a 'dropped' event though nothing was dropped" % r)

    # 4. nesting on each track (sorted by start, longest first at equal starts)
    for r in range(nranks):
        stack = []
        for e in sorted(per_rank[r], key=lambda e: (e["ts"], -e["dur"])):
            end = e["ts"] + e["dur"]
            while stack and stack[-1][1] <= e["ts"]:
                stack.pop()
            if stack and end > stack[-1][1]:
                raise Fail("rank %d: %s [%.3f, %.3f] overlaps %s (ending at %.3f) without "
                           "nesting" % (r, e["name"], e["ts"], end, stack[-1][0], stack[-1][1]))
            stack.append((e["name"], end))

    # 5. alignment of the collectives
    err = other.get("clock_error_us")
    need(isinstance(err, list) and len(err) == nranks and all(is_num(x) and x >= 0 for x in err),
         "otherData.clock_error_us is not %d numbers >= 0" % nranks)
    need(err[0] == 0, "rank 0's clock error is not 0 (it is the reference)")
    overlap = None
    ncoll = 0
    for name in ("dc_vec_dot", "dc_allreduce"):
        calls = [[e for e in sorted(per_rank[r], key=lambda e: e["args"]["seq"])
                  if e["name"] == name] for r in range(nranks)]
        for k in range(len(calls[0])):
            iv = [(calls[r][k]["ts"], calls[r][k]["ts"] + calls[r][k]["dur"], r)
                  for r in range(nranks)]
            s, a = max((x[0], x[2]) for x in iv)
            t, b = min((x[1], x[2]) for x in iv)
            tol = err[a] + err[b] + 0.002
            need(s <= t + tol, "%s call %d: rank %d starts at %.3f us, after rank %d ended "
                 "(%.3f us), beyond the clock error bound %.3f us"
                 % (name, k, a, s, b, t, tol))
            overlap = t - s if overlap is None else min(overlap, t - s)
            ncoll += 1
    return ("%d ranks, %d events per rank (%d dropped), %d collectives aligned "
            "(clock error bound max %.3f us; smallest overlap %s us)"
            % (nranks, kept, dropped, ncoll, max(err),
               "-" if overlap is None else "%.3f" % overlap))


def mutations(doc, nranks):
    """Broken copies of a good trace, each with what was broken."""
    def xev(d, pid=None):
        return [e for e in d["traceEvents"] if e.get("ph") == "X" and
                (pid is None or e["pid"] == pid)]
    out = []
    last = nranks - 1
    d = copy.deepcopy(doc)
    colls = [e for e in xev(d, last) if e["name"] == "dc_allreduce"]
    if nranks > 1 and colls:
        for e in xev(d, last):
            e["ts"] += 10000.0  # 10 ms late: the collectives no longer overlap
        out.append(("rank %d shifted by 10 ms" % last, d))
    d = copy.deepcopy(doc)
    victim = xev(d, last)[-1]
    d["traceEvents"].remove(victim)
    out.append(("one event of rank %d removed" % last, d))
    d = copy.deepcopy(doc)
    for e in d["traceEvents"]:
        if e["pid"] == last:
            e["pid"] = nranks  # not a rank
    out.append(("rank %d's pid changed" % last, d))
    d = copy.deepcopy(doc)
    xev(d, 0)[0]["dur"] = -1.0
    out.append(("a negative dur", d))
    d = copy.deepcopy(doc)
    d["otherData"]["dropped_events"] = d["otherData"].get("dropped_events", 0) + 1
    out.append(("dropped count changed", d))
    d = copy.deepcopy(doc)
    evs = sorted(xev(d, 0), key=lambda e: e["ts"])
    if len(evs) >= 2:
        a, b = evs[-2], evs[-1]
        if b["ts"] >= a["ts"] + a["dur"]:  # disjoint: make a stick out into b, not containing it
            a["dur"] = b["ts"] - a["ts"] + b["dur"] / 2 + 0.5
            b["dur"] += 1.0
            out.append(("two events of rank 0 overlap without nesting", d))
    d = copy.deepcopy(doc)
    next(e for e in xev(d, 0) if e["name"] == "dc_allreduce")["args"]["bytes_sent"] += 8
    out.append(("8 more bytes in one allreduce of rank 0", d))
    d = copy.deepcopy(doc)
    del xev(d, 0)[0]["ts"]
    out.append(("an event without ts", d))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("trace")
    ap.add_argument("--ranks", type=int, required=True)
    ap.add_argument("--ops", required=True, help="trace_prog's output (op/region lines)")
    ap.add_argument("--capacity", type=int, help="DC_TRACE_EVENTS of the run")
    ap.add_argument("--self-test", action="store_true",
                    help="also check that broken copies of the trace fail")
    a = ap.parse_args()
    try:
        with open(a.trace) as f:
            doc = json.load(f)
    except (OSError, ValueError) as ex:
        print("FAIL: %s: %s" % (a.trace, ex), file=sys.stderr)
        return 1
    try:
        ops, regions = read_ops(a.ops)
        summary = check(doc, a.ranks, ops, regions, a.capacity)
    except Fail as ex:
        print("FAIL: %s: %s" % (a.trace, ex), file=sys.stderr)
        return 1
    print("ok: %s: %s" % (a.trace, summary))
    if a.self_test:
        for what, bad in mutations(doc, a.ranks):
            try:
                check(bad, a.ranks, ops, regions, a.capacity)
            except Fail as ex:
                print("ok: broken copy fails (%s): %s" % (what, ex))
                continue
            print("FAIL: a broken copy (%s) passes the check" % what, file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
