#!/usr/bin/env bash
# Everything `make run` and `make test` need, idempotent: a second run changes nothing.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

command -v psql >/dev/null || apt_install postgresql-client
command -v npm >/dev/null || apt_install nodejs npm
command -v msgfmt >/dev/null || apt_install gettext
# Chinese, Japanese and Korean names in the PDF (templates/documents/pdf/document.css).
[ -f /usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf ] || apt_install fonts-droid-fallback

# 1. Python and the locked dependencies (reinstalled only when requirements.lock or pyproject.toml
# changes). Every package comes from requirements.lock with its hashes (`make lock` writes it);
# the project itself adds no dependency and builds with the locked setuptools.
PY=$(find_python)
if [ ! -x "$VENV/bin/python" ] || ! python_ok "$VENV/bin/python"; then
  say "Environnement virtuel avec $("$PY" --version)"
  rm -rf "$VENV"
  "$PY" -m venv "$VENV"
fi
"$VENV/bin/python" scripts/check_lock.py || die "lancez make lock, puis relancez."
deps_hash=$(cat requirements.lock pyproject.toml | sha256sum | cut -c1-16)
if [ "$(cat "$STAMPS/deps" 2>/dev/null)" != "$deps_hash" ]; then
  say "Installation des dépendances Python (requirements.lock)"
  "$VENV/bin/python" -m pip install -q --require-hashes -r requirements.lock
  "$VENV/bin/python" -m pip install -q --no-deps --no-build-isolation -e .
  echo "$deps_hash" > "$STAMPS/deps"
fi

# 2. Front-end libraries from the npm registry, copied into static/vendor by the one list of
# scripts/assets.sh (which the Dockerfile runs too).
assets_hash=$(cat package.json package-lock.json scripts/assets.sh | sha256sum | cut -c1-16)
if [ "$(cat "$STAMPS/assets" 2>/dev/null)" != "$assets_hash" ] || [ ! -d static/vendor ]; then
  say "Bibliothèques front-end (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error
  bash scripts/assets.sh
  echo "$assets_hash" > "$STAMPS/assets"
fi

# 3. Services and database.
load_env
ensure_postgres
ensure_redis
ensure_database

# 4. Translations and schema.
"$VENV/bin/python" manage.py compilemessages --ignore=.venv --ignore=node_modules -v 0
"$VENV/bin/python" manage.py migrate --no-input -v 0
