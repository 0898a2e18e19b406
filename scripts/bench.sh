#!/usr/bin/env bash
# Customer list benchmark (bench/README.md): the same setup, then bench/customers_list.py
# on its own database (encaisse_bench, or BENCH_DATABASE_URL). Arguments are passed on.
source "$(dirname "$0")/lib.sh"
bash "$ROOT/scripts/setup.sh"
cd "$ROOT"
load_env
say "Benchmark: liste des clients"
exec "$VENV/bin/python" bench/customers_list.py "$@"
