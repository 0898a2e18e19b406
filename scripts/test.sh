#!/usr/bin/env bash
# The whole suite: the same setup (no demo data), ruff, then pytest, including browser tests.
source "$(dirname "$0")/lib.sh"
bash "$ROOT/scripts/setup.sh"
cd "$ROOT"
load_env
if [ ! -x /usr/bin/chromium ]; then apt_install chromium; fi
say "ruff check"
"$VENV/bin/ruff" check .
say "ruff format --check"
"$VENV/bin/ruff" format --check .
say "mypy (the typed core, see [tool.mypy] in pyproject.toml)"
"$VENV/bin/mypy"
say "lint-imports (the layers of the README's map, see [tool.importlinter] in pyproject.toml)"
"$VENV/bin/lint-imports" --no-cache
say "manage.py makemigrations --check"
"$VENV/bin/python" manage.py makemigrations --check --dry-run -v 0
say "pytest, en tant que $(db_part "$DATABASE_URL" user) (la base de test est créée et migrée par $(db_part "$DATABASE_OWNER_URL" user))"
exec "$VENV/bin/pytest" "$@"
