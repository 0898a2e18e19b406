"""Exits non-zero when a pin of pyproject.toml is not the version in requirements.lock.

setup.sh installs requirements.lock only: a pin bumped in pyproject.toml without `make lock`
would otherwise leave the old version installed, silently.
"""

import re
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PIN = re.compile(r"([A-Za-z0-9_.-]+)(?:\[[^\]]*\])?==([^\s;]+)")


def normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()  # PEP 503


def main() -> int:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    declared = list(project["dependencies"])
    for extra in project.get("optional-dependencies", {}).values():
        declared += extra
    lock = (ROOT / "requirements.lock").read_text()
    locked = {normalized(m[1]): m[2] for m in re.finditer(r"^" + PIN.pattern, lock, re.M)}
    stale = [
        requirement
        for requirement in declared
        if (pin := PIN.fullmatch(requirement.strip())) and locked.get(normalized(pin[1])) != pin[2]
    ]
    if stale:
        sys.exit("requirements.lock ne suit pas pyproject.toml pour : " + ", ".join(stale))
    return 0


if __name__ == "__main__":
    sys.exit(main())
