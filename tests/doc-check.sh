#!/bin/bash
# make check: the doc comment of every public function (tests/doc-check.py: \brief, every
# \param with its direction, \return with DC_SUCCESS and only codes of dc_error.h, collective
# or local), after the checker's own self-test on deliberately broken copies of the headers.
set -uo pipefail
srcdir=${srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
command -v python3 >/dev/null || { echo "doc-check: no python3, skipped"; exit 77; }
exec timeout 120 python3 "$srcdir/tests/doc-check.py"
