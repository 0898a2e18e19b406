"""The two database roles in tests (issue 23): the suite runs as the application's role.

The code under test connects as DATABASE_URL's role, like the web server and the worker: it
reads and writes rows, never truncates nor alters. The owner of the tables (DATABASE_OWNER_URL;
DATABASE_URL itself when one role does both) creates and migrates the test database, flushes it
after each transactional test (Django flushes with TRUNCATE), and tampers with rows behind the
application's back (`triggers_disabled`), always on a connection of its own.
"""

import os
import re
from contextlib import contextmanager

import dj_database_url
import psycopg
from django.conf import settings
from django.db import connection, connections

_RUNTIME: dict[str, str] = {}


def _owner() -> dict:
    url = os.environ.get("DATABASE_OWNER_URL") or os.environ.get("DATABASE_URL")
    return dj_database_url.parse(url) if url else settings.DATABASES["default"]


def _switch(credentials: dict) -> None:
    connections.close_all()
    settings.DATABASES["default"].update(credentials)


def use_owner() -> None:
    """The next connections of the `default` alias are the owner's (test database setup)."""
    db = settings.DATABASES["default"]
    _RUNTIME.setdefault("USER", db.get("USER", ""))
    _RUNTIME.setdefault("PASSWORD", db.get("PASSWORD", ""))
    owner = _owner()
    _switch({"USER": owner.get("USER", ""), "PASSWORD": owner.get("PASSWORD", "")})


def use_runtime() -> None:
    """The next connections of the `default` alias are the application's again."""
    _switch(_RUNTIME)


def runtime_role() -> str:
    return _RUNTIME.get("USER") or settings.DATABASES["default"]["USER"]


def one_role() -> bool:
    """True when DATABASE_URL's role is the owner itself: nothing is refused to the app."""
    return runtime_role() == _owner().get("USER")


@contextmanager
def owner_cursor():
    """A cursor on a connection of the owner to the test database, committed at the end."""
    owner, db = _owner(), settings.DATABASES["default"]
    params = {
        "host": owner.get("HOST") or db.get("HOST") or "127.0.0.1",
        "port": owner.get("PORT") or db.get("PORT") or 5432,
        "user": owner.get("USER"),
        "password": owner.get("PASSWORD") or None,
        "dbname": db["NAME"],  # the test database's
    }
    with psycopg.connect(**params) as conn, conn.cursor() as cursor:
        yield cursor


# What migrate wrote and no test changes: kept, so that the post_migrate signal after each flush
# finds them instead of writing them again.
KEPT = {"django_content_type", "auth_permission"}


def flush(sql_list: list[str]) -> None:
    """Django's flush between transactional tests, run by the owner: DELETE rather than its
    TRUNCATE of every table (new files synced at commit: about 0.8 s a test on a loaded
    machine, against 0.1 s), with the triggers off for that transaction. Django's foreign
    keys are deferred to commit, so the order of the tables does not matter."""
    with owner_cursor() as cursor:
        for statement in sql_list:
            if not statement.startswith("TRUNCATE") or "RESTART IDENTITY" in statement:
                cursor.execute(statement)
                continue
            tables = set(re.findall(r'"([^"]+)"', statement)) - KEPT
            with _user_triggers_off(cursor):
                cursor.execute(" ".join(f'DELETE FROM "{table}";' for table in sorted(tables)))


@contextmanager
def _user_triggers_off(cursor):
    """`ALTER TABLE ... DISABLE TRIGGER USER` on every table that has triggers, for the rest
    of the owner's transaction: what the application's role is refused."""
    cursor.execute("SELECT DISTINCT tgrelid::regclass::text FROM pg_trigger WHERE NOT tgisinternal")
    tables = [table for (table,) in cursor.fetchall()]
    for table in tables:
        cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
    yield
    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # a table with checks pending is not altered
    for table in tables:
        cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")


@contextmanager
def triggers_disabled():
    """What the owner of the tables could do behind the application's back: disable the
    triggers (`ALTER TABLE ... DISABLE TRIGGER USER`) and change rows, committed at the end.

    The owner's connection sees only committed rows: the test is transactional; and the
    changes go through the cursor given, the ORM being the application's connection."""
    if connection.in_atomic_block:
        raise RuntimeError(
            "triggers_disabled() tampers on the owner's connection, which sees only committed "
            "rows: mark the test @pytest.mark.django_db(transaction=True)."
        )
    with owner_cursor() as cursor, _user_triggers_off(cursor):
        yield cursor
