#!/usr/bin/env python3
"""Checks the Spack package without Spack: packaging/spack/packages/dcompute/package.py must
compile, define class Dcompute, and declare every variant and dependency that docs/install.md
names (lines "- variant `+name`" and "- depends_on `name`"), and each of its variants must be
named there; --with-* options it passes must exist in configure.ac. Prints a one-line summary;
exit 1 with the differences otherwise."""
import ast
import pathlib
import py_compile
import re
import sys
import tempfile

top = pathlib.Path(__file__).resolve().parent.parent
pkg = top / "packaging/spack/packages/dcompute/package.py"
doc = top / "docs/install.md"
conf = top / "configure.ac"
errors = []

with tempfile.TemporaryDirectory() as tmp:  # no __pycache__ in the source tree
    py_compile.compile(str(pkg), cfile=tmp + "/package.pyc", doraise=True)
tree = ast.parse(pkg.read_text())
classes = [n for n in tree.body if isinstance(n, ast.ClassDef)]
if not any(c.name == "Dcompute" for c in classes):
    errors.append("no class Dcompute")


def calls(name):
    """First string argument of every call to name() in the file."""
    out = []
    for n in ast.walk(tree):
        if (isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == name
                and n.args and isinstance(n.args[0], ast.Constant)):
            out.append(n.args[0].value)
    return out


variants = set(calls("variant"))
deps = {re.split(r"[@+~ ^]", d)[0] for d in calls("depends_on")}
text = doc.read_text()
doc_variants = set(re.findall(r"^- variant `\+([a-z0-9_-]+)`", text, re.M))
doc_deps = set(re.findall(r"^- depends_on `([a-z0-9_-]+)`", text, re.M))
if not doc_variants or not doc_deps:
    errors.append("docs/install.md names no variant or no dependency")
for v in sorted(doc_variants - variants):
    errors.append(f"docs/install.md names variant +{v}, package.py has none")
for v in sorted(variants - doc_variants):
    errors.append(f"package.py has variant +{v}, docs/install.md does not name it")
for d in sorted(doc_deps - deps):
    errors.append(f"docs/install.md names dependency {d}, package.py has none")
opts = set(re.findall(r'"--(?:with|without|enable)-([a-z0-9]+)', pkg.read_text()))
conf_text = conf.read_text() + "".join(
    m.read_text() for m in sorted((top / "config").glob("dc_*.m4")))
for o in sorted(opts):
    if not re.search(r"AC_ARG_(WITH|ENABLE)\(\[" + o + r"\]", conf_text):
        errors.append(f"package.py passes --with/--enable-{o}, configure.ac and config/dc_*.m4 have no such option")
if errors:
    print("\n".join(errors))
    sys.exit(1)
print(f"package.py compiles; variants {sorted(variants)} and dependencies "
      f"{sorted(doc_deps)} match docs/install.md; configure options {sorted(opts)} exist")
