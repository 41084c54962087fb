#!/usr/bin/env python3
"""Check the doc comment of every public function (DC_API) in include/dcompute/*.h.

    tests/doc-check.py [--list] [--no-self-test] [--baseline FILE] [HEADER...]

For every DC_API declaration it finds the Doxygen comment right above it and reports, one line
per problem (file:line: function: problem):
  - no doc comment, or no \\brief;
  - a parameter without a \\param of exactly its name, a \\param that names no parameter, a
    \\param twice, a \\param without its direction ([in], [out] or [in,out]) or description;
  - no \\return; a DC_ERR_* (or other code-like DC_SUCCESS/DC_INPROGRESS spelling) in \\return
    that dc_error.h does not define; an int-returning function whose \\return does not mention
    DC_SUCCESS, or names no DC_ERR_* code;
  - a comment that does not say whether the function is collective or local;
  - an enumerator or macro (other than an include guard) without a doc comment.
Exit status 1 if any problem is found (not counting those listed in the baseline file, one
"header: function: problem" per line, for documentation still being written), 0 otherwise.

Before checking, it checks itself: it breaks a copy of the headers in several ways in a
temporary directory and fails unless each breakage is reported (--no-self-test skips that).
--list prints "function header int|other param,param,..." ("-" for none) for every DC_API
function instead (tests/man-check.sh uses it).

Python 3 standard library only. Headers default to include/dcompute/*.h under $srcdir (or the
directory above this script).
"""
import glob
import os
import re
import shutil
import sys
import tempfile

SECTION_CMDS = {"brief", "short", "param", "return", "returns", "result", "retval", "note",
                "see", "sa", "warning", "pre", "post", "details", "par", "deprecated", "since",
                "code", "endcode", "defgroup", "ingroup", "addtogroup", "file", "todo", "attention",
                "remark", "remarks", "throws", "exception", "verbatim", "endverbatim"}
RETURN_CMDS = {"return", "returns", "result", "retval"}
DIRECTIONS = {"in", "out", "in,out", "out,in"}
IDENT = r"[A-Za-z_]\w*"


class Func:
    def __init__(self, name, ret, params, doc, path, line):
        self.name, self.ret, self.params, self.doc = name, ret, params, doc
        self.path, self.line = path, line


def blank_comments(text):
    """Return (text with every comment and string literal replaced by spaces, same length and
    newlines; the list of (start, end) of doc comments)."""
    out = list(text)
    docs = []
    trail = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            body = text[i:j]
            if (body.startswith("/**") or body.startswith("/*!")) and not body.startswith("/**/") \
                    and not body[3:4] == "<":
                docs.append((i, j))
            elif body.startswith("/**<") or body.startswith("/*!<"):
                trail.append(i)
            for k in range(i, j):
                if out[k] != "\n":
                    out[k] = " "
            i = j
        elif text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            body = text[i:j]
            if body.startswith("///<") or body.startswith("//!<"):
                trail.append(i)
            elif (body.startswith("///") or body.startswith("//!")) and body[3:4] != "<":
                # consecutive /// lines form one comment
                if docs and text[docs[-1][1]:i].strip() == "" and \
                        text[docs[-1][0]:docs[-1][0] + 3] in ("///", "//!"):
                    docs[-1] = (docs[-1][0], j)
                else:
                    docs.append((i, j))
            for k in range(i, j):
                out[k] = " "
            i = j
        elif c in "\"'":
            j = i + 1
            while j < n and text[j] != c:
                j += 2 if text[j] == "\\" else 1
            for k in range(i + 1, min(j, n)):
                if out[k] != "\n":
                    out[k] = " "
            i = j + 1
        else:
            i += 1
    return "".join(out), docs, trail


def comment_text(raw):
    """The text of a doc comment without its /** */ or /// markers and leading stars."""
    if raw.startswith("/*"):
        raw = raw[3:-2]
        lines = [re.sub(r"^\s*\*( |$)?", "", l) for l in raw.split("\n")]
    else:
        lines = [re.sub(r"^\s*//[/!] ?", "", l) for l in raw.split("\n")]
    return "\n".join(lines)


def split_params(plist):
    parts, depth, cur = [], 0, ""
    for ch in plist:
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append(cur)
            cur = ""
        else:
            cur += ch
    parts.append(cur)
    parts = [p.strip() for p in parts]
    if parts == [""] or parts == ["void"]:
        return []
    names = []
    for p in parts:
        m = re.search(r"\(\s*\*\s*(" + IDENT + r")\s*\)", p)  # function pointer
        if m:
            names.append(m.group(1))
            continue
        p = re.sub(r"\[[^\]]*\]", "", p).strip()
        m = re.search("(" + IDENT + r")\s*$", p)
        names.append(m.group(1) if m else "")
    return names


def parse_header(path):
    text = open(path, encoding="utf-8").read()
    code, docs, _ = blank_comments(text)
    funcs = []
    for m in re.finditer(r"\bDC_API\b", code):
        end = code.find(";", m.end())
        brace = code.find("{", m.end())
        if brace >= 0 and (end < 0 or brace < end):
            end = brace
        decl = " ".join(code[m.end():end].split())
        fm = re.match(r"(.*?)\b(" + IDENT + r")\s*\((.*)\)\s*$", decl)
        line = text.count("\n", 0, m.start()) + 1
        if not fm:
            funcs.append(Func(None, "", [], None, path, line))
            continue
        ret, name, plist = fm.group(1).strip(), fm.group(2), fm.group(3)
        doc = None
        for (s, e) in docs:
            if e <= m.start() and text[e:m.start()].strip() == "":
                doc = comment_text(text[s:e])
        funcs.append(Func(name, ret, split_params(plist), doc, path, line))
    return funcs


def undocumented_names(path):
    """(name, line) of every enumerator and macro of a header without a doc comment: one right
    above it, or a trailing one (/**< ... */) before the next enumerator or on the #define line.
    Include guards are not counted."""
    text = open(path, encoding="utf-8").read()
    code, docs, trail = blank_comments(text)
    doc_ends = {e for (_, e) in docs}
    out = []

    def documented_above(pos):
        j = pos
        while j > 0 and text[j - 1] in " \t\n":
            j -= 1
        return j in doc_ends

    for m in re.finditer(r"\benum\b[^{;()]*\{", code):
        depth, k = 1, m.end()
        while k < len(code) and depth:
            depth += {"{": 1, "}": -1}.get(code[k], 0)
            k += 1
        body_end = k - 1
        names = [(x.start(), x.group(1)) for x in
                 re.finditer(r"(?:\{|,)\s*(" + IDENT + r")", code[m.end() - 1:body_end])]
        names = [(m.end() - 1 + off + code[m.end() - 1 + off:].index(nm), nm) for off, nm in names]
        for i, (pos, nm) in enumerate(names):
            nxt = names[i + 1][0] if i + 1 < len(names) else body_end + 1
            if documented_above(pos) or any(pos < t < nxt for t in trail):
                continue
            out.append((nm, text.count("\n", 0, pos) + 1))
    guards = set(re.findall(r"#\s*ifndef\s+(" + IDENT + ")", code))
    for m in re.finditer(r"^[ \t]*#[ \t]*define[ \t]+(" + IDENT + ")", code, re.M):
        nm = m.group(1)
        if nm in guards:
            continue
        eol = code.find("\n", m.end())
        eol = len(code) if eol < 0 else eol
        if documented_above(m.start()) or any(m.start() < t < eol for t in trail):
            continue
        out.append((nm, text.count("\n", 0, m.start()) + 1))
    return out


def error_codes(headers):
    for h in headers:
        if os.path.basename(h) == "dc_error.h":
            text = open(h, encoding="utf-8").read()
            return set(re.findall(r"\b(DC_[A-Z0-9_]+)\s*=", blank_comments(text)[0]))
    raise SystemExit("doc-check: dc_error.h not among the headers")


def sections(doc):
    """Split a comment into (command, text) pieces at section commands; text before the first
    one is ("", text). A blank line ends a \\param or \\return section."""
    # drop code blocks
    doc = re.sub(r"[\\@]code\b.*?[\\@]endcode\b", " ", doc, flags=re.S)
    out = [["", ""]]
    for para in re.split(r"\n\s*\n", doc):
        first = True
        for tok in re.split(r"([\\@]\w+)", para):
            m = re.fullmatch(r"[\\@](\w+)", tok)
            if m and m.group(1) in SECTION_CMDS:
                out.append([m.group(1), ""])
            else:
                if first and out[-1][0] in RETURN_CMDS | {"param"}:
                    out.append(["", ""])
                out[-1][1] += tok
            first = False
        out[-1][1] += "\n\n"
        out.append(["", ""])
    return [(c, t) for c, t in out if c or t.strip()]


def check_func(f, codes):
    probs = []
    if f.name is None:
        return ["cannot parse the DC_API declaration"]
    if f.doc is None:
        return ["no doc comment (/** ... */ right above the declaration)"]
    secs = sections(f.doc)
    if not any(c in ("brief", "short") and t.strip() for c, t in secs):
        probs.append("no \\brief")
    seen = {}
    for c, t in secs:
        if c != "param":
            continue
        m = re.match(r"\s*(\[[^\]]*\])?\s*(" + IDENT + r"(?:\s*,\s*" + IDENT + r")*)(.*)", t, re.S)
        if not m:
            probs.append("\\param without a name")
            continue
        direction = (m.group(1) or "").strip("[]").replace(" ", "")
        names = [x.strip() for x in m.group(2).split(",")]
        for nm in names:
            if nm in seen:
                probs.append("\\param '%s' twice" % nm)
            seen[nm] = True
            if nm not in f.params:
                probs.append("\\param '%s' names no parameter (parameters: %s)"
                             % (nm, ", ".join(f.params) or "none"))
            elif direction not in DIRECTIONS:
                probs.append("\\param '%s' has no direction [in], [out] or [in,out]" % nm)
        if not m.group(3).strip():
            probs.append("\\param '%s' has no description" % names[0])
    for i, p in enumerate(f.params):
        if not p:
            probs.append("parameter %d has no name in the declaration" % (i + 1))
        elif p not in seen:
            probs.append("parameter '%s' has no \\param" % p)
    rets = " ".join(t for c, t in secs if c in RETURN_CMDS)
    if not any(c in RETURN_CMDS for c, _ in secs):
        probs.append("no \\return")
    else:
        for tok in sorted(set(re.findall(r"\bDC_(?:ERR_[A-Z0-9_]*|SUCCESS\w*|INPROGRESS\w*)",
                                         rets))):
            if tok not in codes:
                probs.append("\\return names %s, which dc_error.h does not define" % tok)
        if f.ret == "int" and not re.search(r"\bDC_SUCCESS\b", rets):
            probs.append("\\return does not mention DC_SUCCESS")
        if f.ret == "int" and not re.search(r"\bDC_ERR_[A-Z]", rets):
            probs.append("\\return names no DC_ERR_* code (list each one the function returns)")
    if not re.search(r"\b(collective|local)\b", f.doc, re.I):
        probs.append("does not say whether it is collective or local")
    return probs


def run_check(headers, baseline=(), out=sys.stdout):
    codes = error_codes(headers)
    bad, known, nfunc = 0, 0, 0
    for h in headers:
        for f in parse_header(h):
            nfunc += 1
            for p in check_func(f, codes):
                key = "%s: %s: %s" % (os.path.basename(h), f.name, p)
                if key in baseline:
                    known += 1
                    continue
                print("%s:%d: %s: %s" % (os.path.normpath(h), f.line, f.name, p), file=out)
                bad += 1
        for nm, line in undocumented_names(h):
            p = "no doc comment (/** above it or /**< after it)"
            if "%s: %s: %s" % (os.path.basename(h), nm, p) in baseline:
                known += 1
                continue
            print("%s:%d: %s: %s" % (os.path.normpath(h), line, nm, p), file=out)
            bad += 1
    return nfunc, bad, known


def self_test(headers):
    """Break copies of the headers and check that each breakage is caught."""
    vec = [h for h in headers if os.path.basename(h) == "dc_vec.h"]
    if not vec:
        return ["dc_vec.h not among the headers"]
    src = open(vec[0], encoding="utf-8").read()
    decl = "DC_API int dc_vec_dot(const dc_vec_t *x, const dc_vec_t *y, double *result_p);"
    i = src.find(decl)
    if i < 0:
        return ["dc_vec_dot's declaration not found in dc_vec.h"]
    s = src.rfind("/**", 0, i)
    doc = src[s:i]
    cases = [
        ("no \\brief", doc.replace("\\brief", "", 1), "no \\brief"),
        ("a \\param renamed", re.sub(r"(\\param\[out\]\s+)result_p", r"\1result", doc),
         "\\param 'result' names no parameter"),
        ("a parameter undocumented",
         re.sub(r"\\param\[out\]\s+result_p", r"(result_p)", doc), "parameter 'result_p' has no"),
        ("no direction", doc.replace("\\param[out]", "\\param", 1), "has no direction"),
        ("no \\return", re.sub(r"\\return", r"Returns:", doc), "no \\return"),
        ("an unknown code", doc.replace("\\return", "\\return DC_ERR_BOGUS,", 1),
         "DC_ERR_BOGUS, which dc_error.h does not define"),
        ("no DC_SUCCESS", doc.replace("DC_SUCCESS", "zero"),
         "\\return does not mention DC_SUCCESS"),
        ("no error code", re.sub(r"\bDC_ERR_[A-Z]+", "an error", doc),
         "\\return names no DC_ERR_* code"),
        ("no comment", "/* not a doc comment */\n", "no doc comment"),
        ("collective or local unsaid", re.sub(r"(?i)\b(collective|local)\b", "", doc),
         "collective or local"),
    ]
    fails = []
    tmp = tempfile.mkdtemp(prefix="doc-check.")
    try:
        for h in headers:
            shutil.copy(h, tmp)
        copies = sorted(glob.glob(os.path.join(tmp, "*.h")))
        target = os.path.join(tmp, "dc_vec.h")
        for what, newdoc, expect in cases:
            if newdoc == doc:
                fails.append("self-test '%s': the breakage changed nothing" % what)
                continue
            open(target, "w", encoding="utf-8").write(src[:s] + newdoc + src[i:])
            sink = Collect()
            _, bad, _ = run_check(copies, out=sink)
            hit = [l for l in sink.lines if ": dc_vec_dot: " in l and expect in l]
            if bad == 0 or not hit:
                fails.append("self-test '%s': not reported (expected '%s'; got %s)"
                             % (what, expect, sink.lines[:5]))
        # an enumerator and a macro without their comments (dc_types.h, dc_sched.h)
        for fname, pat, name in (("dc_types.h", r"(DC_REDUCE_PROD,)\s*/\*\*<[^*]*\*/", "DC_REDUCE_PROD"),
                                 ("dc_sched.h", r"/\*\*[^/]*\*/\s*(#define DC_SCHED_ROOT_ALL)",
                                  "DC_SCHED_ROOT_ALL")):
            open(target, "w", encoding="utf-8").write(src)
            path = os.path.join(tmp, fname)
            orig = open(path, encoding="utf-8").read()
            broken = re.sub(pat, r"\1", orig, count=1)
            if broken == orig:
                fails.append("self-test '%s undocumented': the breakage changed nothing" % name)
                continue
            open(path, "w", encoding="utf-8").write(broken)
            sink = Collect()
            run_check(copies, out=sink)
            if not [l for l in sink.lines if (": %s: no doc comment" % name) in l]:
                fails.append("self-test '%s undocumented': not reported" % name)
            open(path, "w", encoding="utf-8").write(orig)
    finally:
        shutil.rmtree(tmp)
    return fails


class Collect:
    def __init__(self):
        self.lines = []

    def write(self, s):
        self.lines.extend(l for l in s.split("\n") if l)

    def flush(self):
        pass


def main(argv):
    list_mode, selftest, baseline_file, headers = False, True, None, []
    args = list(argv)
    while args:
        a = args.pop(0)
        if a == "--list":
            list_mode = True
        elif a == "--no-self-test":
            selftest = False
        elif a == "--baseline":
            baseline_file = args.pop(0)
        elif a in ("-h", "--help"):
            print(__doc__)
            return 0
        else:
            headers.append(a)
    here = os.path.dirname(os.path.abspath(__file__))
    srcdir = os.environ.get("srcdir") or os.path.join(here, "..")
    if not headers:
        headers = sorted(glob.glob(os.path.join(srcdir, "include", "dcompute", "*.h")))
    if list_mode:
        for h in headers:
            for f in parse_header(h):
                if f.name:
                    print(f.name, os.path.basename(h), "int" if f.ret == "int" else "other",
                          ",".join(f.params) or "-")
        return 0
    if selftest:
        fails = self_test(headers)
        for l in fails:
            print("doc-check: " + l)
        if fails:
            print("doc-check: FAIL: the checker itself misses problems")
            return 1
    baseline = set()
    if baseline_file is None:
        cand = os.path.join(here, "doc-check.baseline")
        baseline_file = cand if os.path.exists(cand) else None
    if baseline_file:
        for l in open(baseline_file, encoding="utf-8"):
            l = l.strip()
            if l and not l.startswith("#"):
                baseline.add(l)
    nfunc, bad, known = run_check(headers, baseline)
    msg = "doc-check: %d public functions in %d headers, %d problems" % (nfunc, len(headers), bad)
    if known:
        msg += " (and %d known ones still listed in %s)" % (known, baseline_file)
    print(msg)
    if bad:
        print("doc-check: document them as the other functions are (include/dcompute/dc_sched.h)")
    return 1 if bad or nfunc == 0 else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
