#!/bin/bash
# make check: the man pages. `make install-data DESTDIR=tmp` (headers, dcompute.pc and the man
# pages) must install a page under man3 for every public function (the DC_API functions that
# tests/doc-check.py finds in include/dcompute/*.h), and `man` must render each one with that
# function's entry showing every parameter name and, for an int function, DC_SUCCESS. Doxygen
# must not have warned (an undocumented public item or parameter: docs/man-warnings.log).
# Skips (77) when configure found no doxygen (no man pages are built then).
set -uo pipefail
srcdir=${srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
top=${DC_TOP_BUILDDIR:-$(pwd)}
grep -q '^DOXYGEN = .' "$top/Makefile" || { echo "man-check: no doxygen, no man pages: skipped"; exit 77; }
command -v python3 >/dev/null || { echo "man-check: no python3: skipped"; exit 77; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/man-check.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
fail=0
bad() { echo "man-check: FAIL: $*"; fail=1; }

timeout 300 make -s -C "$top" install-data DESTDIR="$tmp/root" >"$tmp/install.log" 2>&1 ||
    { cat "$tmp/install.log"; bad "make install-data failed"; exit 1; }
# Functions (and their headers) still listed in tests/doc-check.baseline, whose doc comments are
# being written, are left out (the baseline goes away once it is empty).
baseline=$srcdir/tests/doc-check.baseline
known_fns=" $( [ -f "$baseline" ] && grep -v '^#' "$baseline" | cut -d: -f2 | sort -u | tr '\n' ' ')"
known_hdrs=$( [ -f "$baseline" ] && grep -v '^#' "$baseline" | cut -d: -f1 | sort -u | tr '\n' ' ')
# doxygen's warnings: a line "FILE:LINE: warning: ..." and its indented continuation lines
awk -v skip=" $known_hdrs" '
    /: warning: / { f = $0; sub(/:[0-9]+: warning: .*/, "", f); n = split(f, p, "/")
                    drop = index(skip, " " p[n] " ") > 0 }
    !drop' "$top/docs/man-warnings.log" >"$tmp/warnings" 2>/dev/null
if [ -s "$tmp/warnings" ]; then
    cat "$tmp/warnings"
    bad "doxygen warned ($(grep -c 'warning:' "$tmp/warnings") warnings above, in $top/docs/man-warnings.log)"
fi
man3=$(find "$tmp/root" -type d -name man3 | head -1)
[ -n "$man3" ] || { bad "no man3 directory installed"; exit 1; }
mandir=${man3%/man3}
for junk in "$man3"/@*.3 "$man3"/index.3; do
    [ -e "$junk" ] && bad "installed ${junk##*/} (not a libdcompute page)"
done

render() { # render PAGE: the page as man shows it, one paragraph per line
    if command -v man >/dev/null; then
        LC_ALL=C MANWIDTH=2000 MANPAGER=cat timeout 30 man -M "$mandir" -P cat 3 "$1" 2>&1
    else # no man-db: follow doxygen's one-line .so link by hand
        local f="$man3/$1.3" so
        so=$(sed -n '1s/^\.so //p' "$f")
        [ -n "$so" ] && f="$mandir/$so"
        LC_ALL=C timeout 30 groff -man -Tascii -P-cbu -rLL=2000n "$f" 2>&1
    fi
}

n=0
while read -r fn header ret params; do
    n=$((n + 1))
    case "$known_fns" in *" $fn "*) echo "man-check: $fn: in tests/doc-check.baseline, not checked"; continue ;; esac
    [ -f "$man3/$fn.3" ] || { bad "$fn ($header): no page $fn.3 under man3"; continue; }
    # the function's own entry in "Function Documentation": its heading line, up to the next
    # heading at the same indentation
    # doxygen's function pages source their module's page: render each module page once
    key=$(sed -n '1s/^\.so man3\///p' "$man3/$fn.3"); key=${key:-$fn.3}
    [ -f "$tmp/$key.txt" ] || render "$fn" >"$tmp/$key.txt"
    entry=$(awk -v fn="$fn" '
        /^Function Documentation/ { doc = 1; next }
        doc && /^   [^ ]/ { on = (index($0, " " fn " (") > 0 || index($0, "*" fn " (") > 0) }
        doc && /^[^ ]/ { on = 0 }
        on' "$tmp/$key.txt")
    [ -n "$entry" ] || { bad "$fn: man $fn shows no entry for it"; continue; }
    if [ "$params" != "-" ]; then
        for p in ${params//,/ }; do
            # "name description", or "a, b description" for parameters documented together
            grep -Eq "^ +([A-Za-z0-9_]+, *)*$p(,| |$)" <<<"$entry" ||
                bad "$fn: parameter $p not listed in man $fn"
        done
    fi
    if [ "$ret" = int ]; then
        grep -q 'Returns' <<<"$entry" && grep -q 'DC_SUCCESS' <<<"$entry" ||
            bad "$fn: man $fn does not show its return codes (DC_SUCCESS)"
    fi
done < <(timeout 60 python3 "$srcdir/tests/doc-check.py" --list)
[ "$n" -gt 0 ] || bad "no public functions found"
echo "man-check: $n functions, $(ls "$man3" | wc -l) pages installed in ${man3#"$tmp/root"}"
exit $fail
