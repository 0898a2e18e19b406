#!/usr/bin/env bash
# `make lock`: regenerates requirements.lock from pyproject.toml (runtime dependencies, the dev
# extra and the build backend), every package pinned with its hashes, valid for every Python that
# requires-python allows. Versions already in the lock are kept; pass --upgrade (or
# --upgrade-package NAME) to move them. uv runs from a throwaway venv: nothing is installed in .venv.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

UV_VERSION=0.13.9
PY=$(find_python)
tools=$(mktemp -d)
trap 'rm -rf "$tools"' EXIT
say "uv $UV_VERSION (environnement jetable)"
"$PY" -m venv "$tools/venv"
"$tools/venv/bin/python" -m pip install -q "uv==$UV_VERSION"

say "requirements.lock"
# The build backend ([build-system] requires) is locked too: setup.sh installs the project with
# --no-build-isolation, so nothing reaches .venv without a hash.
"$PY" -c 'import tomllib; print("\n".join(tomllib.load(open("pyproject.toml", "rb"))["build-system"]["requires"]))' \
  | "$tools/venv/bin/uv" pip compile pyproject.toml - --extra dev --universal --generate-hashes \
      --custom-compile-command "make lock" --quiet --output-file requirements.lock "$@"
