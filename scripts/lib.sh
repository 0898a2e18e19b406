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
  # Development defaults; DATABASE_URL and REDIS_URL win when set.
  export DATABASE_URL="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/encaisse}"
  export REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379/0}"
  export DJANGO_SETTINGS_MODULE=pgi.settings
}

db_part() { "$VENV/bin/python" - "$DATABASE_URL" "$1" <<'PY'
import sys
from urllib.parse import urlparse
u = urlparse(sys.argv[1])
print({"host": u.hostname or "127.0.0.1", "port": u.port or 5432, "user": u.username or "postgres",
       "name": (u.path or "/encaisse").lstrip("/")}[sys.argv[2]])
PY
}

ensure_postgres() {
  local host port
  host=$(db_part host); port=$(db_part port)
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

ensure_database() {
  local host port user name
  host=$(db_part host); port=$(db_part port); user=$(db_part user); name=$(db_part name)
  if ! psql -h "$host" -p "$port" -U "$user" -d postgres -tAc \
      "SELECT 1 FROM pg_database WHERE datname = '$name'" | grep -q 1; then
    say "Création de la base $name"
    createdb -h "$host" -p "$port" -U "$user" "$name"
  fi
}
