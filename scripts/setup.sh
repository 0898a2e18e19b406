#!/usr/bin/env bash
# Everything `make run` and `make test` need, idempotent: a second run changes nothing.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

command -v psql >/dev/null || apt_install postgresql-client
command -v npm >/dev/null || apt_install nodejs npm
command -v msgfmt >/dev/null || apt_install gettext

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

# 2. Front-end libraries from the npm registry, copied into static/vendor.
assets_hash=$(cat package.json package-lock.json | sha256sum | cut -c1-16)
if [ "$(cat "$STAMPS/assets" 2>/dev/null)" != "$assets_hash" ] || [ ! -d static/vendor ]; then
  say "Bibliothèques front-end (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error
  rm -rf static/vendor && mkdir -p static/vendor/bootstrap static/vendor/htmx \
    static/vendor/bootstrap-icons static/vendor/swagger-ui
  cp node_modules/bootstrap/dist/css/bootstrap.min.css* static/vendor/bootstrap/
  cp node_modules/bootstrap/dist/js/bootstrap.bundle.min.js* static/vendor/bootstrap/
  cp node_modules/htmx.org/dist/htmx.min.js static/vendor/htmx/
  cp -r node_modules/bootstrap-icons/font/bootstrap-icons.min.css node_modules/bootstrap-icons/font/fonts \
    static/vendor/bootstrap-icons/
  cp node_modules/swagger-ui-dist/swagger-ui.css node_modules/swagger-ui-dist/swagger-ui-bundle.js \
    static/vendor/swagger-ui/
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
