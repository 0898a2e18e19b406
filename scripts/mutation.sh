#!/usr/bin/env bash
# `make mutation`: mutation testing of the kernel with mutmut ([tool.mutmut] in pyproject.toml,
# results and surviving mutants in tests/README.md). Not in CI: about an hour on 2 cores.
# Starts from scratch each time (mutmut would otherwise keep the verdicts of functions that did
# not change, even after new tests). Arguments go to `mutmut run`, e.g. a glob of mutant names:
#   make mutation ARGS='pgi.money.*'
source "$(dirname "$0")/lib.sh"
bash "$ROOT/scripts/setup.sh"
cd "$ROOT"
load_env
rm -rf mutants
say "mutmut run ($(nproc) processus)"
"$VENV/bin/mutmut" run --max-children "$(nproc)" "$@"
say "Score par module (mutants/ garde le détail : mutmut show NOM, mutmut browse)"
exec "$VENV/bin/python" scripts/mutation_report.py
