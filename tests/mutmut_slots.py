"""Pytest plugin loaded by `make mutation` only (`-p tests.mutmut_slots`, see tests/README.md).

mutmut forks one pytest session per mutant, several at once. Each session takes a free slot (an
exclusive lock on a file, released when the session ends or the process dies) and uses that
slot's test database and Redis key space, so two mutants under test never flush or lock each
other's rows. Each slot's database is created once and then kept (`--reuse-db`).
"""

import fcntl
import os
import tempfile
from pathlib import Path

import pytest

SLOTS = 4

_held: list[int] = []
# The database name from DATABASE_URL, read once: pytest-django leaves the test database's name in
# settings after a session, and mutmut runs several sessions in one process before forking.
_base_name: list[str] = []


def _take_slot(name: str) -> int:
    """The first free slot; waits on slot 0 if all are taken (more sessions than SLOTS)."""
    for slot in range(SLOTS):
        fd = os.open(
            Path(tempfile.gettempdir()) / f"mutmut-{name}-{slot}.lock", os.O_CREAT | os.O_RDWR
        )
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            continue
        _held.append(fd)
        return slot
    fd = os.open(Path(tempfile.gettempdir()) / f"mutmut-{name}-0.lock", os.O_CREAT | os.O_RDWR)
    fcntl.flock(fd, fcntl.LOCK_EX)
    _held.append(fd)
    return 0


@pytest.hookimpl(trylast=True)
def pytest_configure(config: pytest.Config) -> None:
    from django.conf import settings
    from django.core.cache import caches

    db = settings.DATABASES["default"]
    if not _base_name:
        _base_name.append(db["NAME"])
    name = _base_name[0]
    slot = _take_slot(name)
    db["NAME"] = name
    db.setdefault("TEST", {})["NAME"] = f"test_{name}_mutmut{slot}"
    prefix = f"encaisse-mutmut{slot}"
    settings.CACHES["default"]["KEY_PREFIX"] = prefix
    caches["default"].key_prefix = prefix


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Writes which test killed each mutant, and how, to mutants/kills.tsv (the session runs in
    mutants/). A kill in a test's setup may be the mutant failing a fixture, or a broken run
    (database, settings) that would inflate the score: scripts/mutation_report.py lists their
    reasons to check."""
    mutant = os.environ.get("MUTANT_UNDER_TEST", "")
    if not report.failed or mutant in ("", "fail", "stats", "list_all_tests"):
        return
    reason = (report.longreprtext.strip().splitlines() or [""])[-1][:200]
    with open("kills.tsv", "a") as kills:
        kills.write(f"{mutant}\t{report.nodeid}\t{report.when}\t{reason}\n")


def pytest_unconfigure(config: pytest.Config) -> None:
    while _held:
        os.close(_held.pop())
