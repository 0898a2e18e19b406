# Shared by scripts/setup.sh, run.sh and test.sh: find Python, reach PostgreSQL and Redis.
# shellcheck shell=bash
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VENV="$ROOT/.venv"
STAMPS="$ROOT/.run"
mkdir -p "$STAMPS"

say() { printf '\033[1;34m==>\033[0m %s\n' "$*"; }
die() { printf '\033[1;31mErreur :\033[0m %s\n' "$*" >&2; exit 1; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else return 1; fi
}

apt_install() {
  # Installs Debian packages when we can (root or sudo), else says exactly what to run.
  local missing=("$@")
  if command -v apt-get >/dev/null && as_root true 2>/dev/null; then
    say "Installation des paquets Debian : ${missing[*]}"
    if [ ! -f "$STAMPS/apt-updated" ]; then
      as_root apt-get update -qq && touch "$STAMPS/apt-updated"
    fi
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    die "paquets manquants. Installez-les avec : sudo apt-get install -y ${missing[*]}"
  fi
}

python_ok() { "$1" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' 2>/dev/null; }

find_python() {
  # PYTHON when set, then python3.13 / python3.12 on the PATH, then pyenv's versions.
  if [ -n "${PYTHON:-}" ]; then
    python_ok "$PYTHON" || die "PYTHON=$PYTHON n'est pas un Python >= 3.12."
    echo "$PYTHON"; return
  fi
  local candidate
  for candidate in python3.14 python3.13 python3.12 python3; do
    if command -v "$candidate" >/dev/null && python_ok "$(command -v "$candidate")"; then
      command -v "$candidate"; return
    fi
  done
  if command -v pyenv >/dev/null || [ -d "${PYENV_ROOT:-$HOME/.pyenv}/versions" ]; then
    local root="${PYENV_ROOT:-$HOME/.pyenv}"
    command -v pyenv >/dev/null && root=$(pyenv root)
    for candidate in $(ls -d "$root"/versions/3.* 2>/dev/null | sort -t. -k2,2nr -k3,3nr); do
      for bin in "$candidate"/bin/python3.1[2-9]; do
        if [ -x "$bin" ] && python_ok "$bin"; then echo "$bin"; return; fi
      done
    done
  fi
  die "Django 6.1 demande Python 3.12 ou plus récent, introuvable ici.
  Installez-le, par exemple : sudo apt-get install -y python3.13 python3.13-venv
  (ou : pyenv install 3.13), puis relancez, ou indiquez-le avec PYTHON=/chemin/vers/python3.13"
}

load_env() {
  # Development defaults; DATABASE_URL and REDIS_URL win when set. Two database roles
  # (pgi/db_roles.py): DATABASE_URL is the application's (web, worker, beat, tests), which
  # reads and writes rows only; DATABASE_OWNER_URL owns the tables and runs the migrations.
  # DATABASE_URL alone (say, as the postgres superuser) is one role doing both: everything
  # works, but the database no longer refuses the application a TRUNCATE or an ALTER.
  if [ -z "${DATABASE_URL:-}" ]; then
    export DATABASE_URL=postgres://encaisse_app@127.0.0.1:5432/encaisse
    export DATABASE_OWNER_URL="${DATABASE_OWNER_URL:-postgres://encaisse_owner@127.0.0.1:5432/encaisse}"
  fi
  export DATABASE_OWNER_URL="${DATABASE_OWNER_URL:-$DATABASE_URL}"
  export REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379/0}"
  export DJANGO_SETTINGS_MODULE=pgi.settings
}

db_part() { "$VENV/bin/python" - "$1" "$2" <<'PY'
import sys
from urllib.parse import urlparse
u = urlparse(sys.argv[1])
print({"host": u.hostname or "127.0.0.1", "port": u.port or 5432, "user": u.username or "postgres",
       "name": (u.path or "/encaisse").lstrip("/")}[sys.argv[2]])
PY
}

as_owner() {
  # Runs a command (manage.py migrate...) as the role that owns the tables.
  DATABASE_URL="$DATABASE_OWNER_URL" "$@"
}

ensure_postgres() {
  local host port
  host=$(db_part "$DATABASE_URL" host); port=$(db_part "$DATABASE_URL" port)
  if pg_isready -q -h "$host" -p "$port" 2>/dev/null; then return; fi
  case "$host" in 127.0.0.1|localhost|::1) ;; *) die "PostgreSQL injoignable sur $host:$port (DATABASE_URL).";; esac
  if ! ls /etc/postgresql/*/main >/dev/null 2>&1; then
    apt_install postgresql postgresql-contrib
  fi
  say "Démarrage de PostgreSQL"
  local version; version=$(ls /etc/postgresql | sort -n | tail -1)
  as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start 2>/dev/null \
    || as_root pg_ctlcluster "$version" main start \
    || die "PostgreSQL ne démarre pas : sudo pg_ctlcluster $version main start"
  for _ in $(seq 30); do pg_isready -q -h "$host" -p "$port" && return; sleep 1; done
  die "PostgreSQL ne répond pas sur $host:$port."
}

ensure_redis() {
  local url="$REDIS_URL"
  if "$VENV/bin/python" -c "import redis,sys; redis.Redis.from_url(sys.argv[1]).ping()" "$url" 2>/dev/null; then
    return
  fi
  case "$url" in redis://127.0.0.1*|redis://localhost*) ;; *) die "Redis injoignable ($url).";; esac
  command -v redis-server >/dev/null || apt_install redis-server
  say "Démarrage de Redis"
  mkdir -p "$STAMPS/redis"
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no \
    --dir "$STAMPS/redis" --logfile "$STAMPS/redis/redis.log"
  for _ in $(seq 20); do
    "$VENV/bin/python" -c "import redis,sys; redis.Redis.from_url(sys.argv[1]).ping()" "$url" 2>/dev/null && return
    sleep 0.5
  done
  die "Redis ne répond pas ($url)."
}

admin_psql() {
  # psql as a PostgreSQL superuser: PGSUPERUSER (postgres) over TCP, else the local postgres
  # account through its Unix socket (peer authentication, Debian's default); 2 when neither.
  local host=$1 port=$2; shift 2
  if psql -X -h "$host" -p "$port" -U "${PGSUPERUSER:-postgres}" -d postgres -tAc 'SELECT 1' \
      >/dev/null 2>&1; then
    psql -X -h "$host" -p "$port" -U "${PGSUPERUSER:-postgres}" -d postgres "$@"
  elif case "$host" in 127.0.0.1|localhost|::1) true;; *) false;; esac \
      && id postgres >/dev/null 2>&1 \
      && as_root runuser -u postgres -- psql -X -p "$port" -d postgres -tAc 'SELECT 1' \
         >/dev/null 2>&1; then
    as_root runuser -u postgres -- psql -X -p "$port" -d postgres "$@"
  else
    return 2
  fi
}

ensure_database() {
  # The database and its two roles (scripts/db_roles.sql, idempotent), made by a superuser.
  local host port name owner app status=0
  host=$(db_part "$DATABASE_OWNER_URL" host); port=$(db_part "$DATABASE_OWNER_URL" port)
  name=$(db_part "$DATABASE_OWNER_URL" name); owner=$(db_part "$DATABASE_OWNER_URL" user)
  app=$(db_part "$DATABASE_URL" user)
  if [ "$app" = "$owner" ]; then
    # One role does everything (DATABASE_URL alone): it creates its database, as before.
    if ! psql -X -h "$host" -p "$port" -U "$owner" -d postgres -tAc \
        "SELECT 1 FROM pg_database WHERE datname = '$name'" | grep -q 1; then
      say "Création de la base $name"
      createdb -h "$host" -p "$port" -U "$owner" "$name"
    fi
    return
  fi
  admin_psql "$host" "$port" -q -v owner="$owner" -v app="$app" -v dbname="$name" \
    -v owner_options=CREATEDB -v owner_password= -v app_password= \
    < "$ROOT/scripts/db_roles.sql" || status=$?
  if [ "$status" = 2 ] && psql -X "$DATABASE_OWNER_URL" -tAc 'SELECT 1' >/dev/null 2>&1; then
    return  # made by an administrator beforehand
  fi
  [ "$status" = 0 ] || die "rôles PostgreSQL $owner et $app, base $name : sans superutilisateur
  joignable sur $host:$port (PGSUPERUSER=${PGSUPERUSER:-postgres}), un administrateur les crée avec
  psql -v owner=$owner -v app=$app -v dbname=$name -v owner_options=CREATEDB \\
       -v owner_password= -v app_password= -f scripts/db_roles.sql"
}

migrate_database() {
  # The owner grants the application's role its rows (today's tables and those of migrations to
  # come: default privileges), then migrates.
  as_owner "$VENV/bin/python" manage.py grant_runtime_role "$(db_part "$DATABASE_URL" user)" -v 0
  as_owner "$VENV/bin/python" manage.py migrate --no-input -v 0
}
