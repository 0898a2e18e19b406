import pytest
from django.conf import settings
from django.core.cache import cache
from django.db.backends.postgresql.operations import DatabaseOperations

from pgi import queue
from pgi.db_roles import grant_runtime_role
from pgi.permissions import Role
from tests import db_owner, factories


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix):
    """The test database is created and migrated by the owner of the tables (tests/db_owner.py)."""
    db_owner.use_owner()


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Then the owner grants the application's role its rows, and the suite runs as that role;
    the owner flushes between transactional tests, and drops the database at the end."""
    with django_db_blocker.unblock(), db_owner.owner_cursor() as cursor:
        grant_runtime_role(cursor, role=db_owner.runtime_role())
    db_owner.use_runtime()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(DatabaseOperations, "execute_sql_flush", lambda ops, sql: db_owner.flush(sql))
        yield
    with django_db_blocker.unblock():
        db_owner.use_owner()


@pytest.fixture(autouse=True)
def _clean_cache():
    """Rate-limit counters live in the real Redis: every test starts from zero."""
    redis = cache._cache.get_client(write=True)
    prefix = settings.CACHES["default"]["KEY_PREFIX"]
    for key in redis.scan_iter(match=f"{prefix}:*", count=1000):
        redis.delete(key)
    yield


@pytest.fixture
def no_work_after_commit(monkeypatch):
    """The work queued after commit (the PDF to render...) is not run, as in a test inside one
    transaction, whose commit never comes: for a transactional test about the records alone."""
    monkeypatch.setattr(queue, "publish", lambda task, *args: True)


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    """Stored PDFs and logos go to a temporary folder, never into the working tree."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def company_a(db):
    return factories.company("Alpha SARL")


@pytest.fixture
def company_b(db):
    return factories.company("Beta SAS")


@pytest.fixture
def owner_a(company_a):
    return factories.member(company_a, Role.OWNER)


@pytest.fixture
def accountant_a(company_a):
    return factories.member(company_a, Role.ACCOUNTANT)


@pytest.fixture
def staff_a(company_a):
    return factories.member(company_a, Role.STAFF)


@pytest.fixture
def owner_b(company_b):
    return factories.member(company_b, Role.OWNER)


def login(client, membership):
    client.force_login(membership.user)
    session = client.session
    session["company_id"] = membership.company_id
    session.save()
    return client


@pytest.fixture
def as_owner_a(client, owner_a):
    return login(client, owner_a)


@pytest.fixture
def as_accountant_a(client, accountant_a):
    return login(client, accountant_a)


def pytest_collection_modifyitems(session, config, items):
    """Tests that fork processes run first, before the live server and Playwright start
    their threads (forking a threaded process may deadlock the child)."""
    items.sort(key=lambda item: 0 if "test_concurrency" in item.nodeid else 1)


@pytest.fixture(scope="session")
def fake_stripe():
    """The fake Stripe of tests/fakes/stripe_checkout.py, served from this process."""
    from tests.fakes.stripe_checkout import FakeStripe

    server = FakeStripe()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def _annuaire_server():
    from tests.fakes.annuaire import FakeAnnuaire

    server = FakeAnnuaire()
    yield server
    server.stop()


@pytest.fixture
def fake_annuaire(_annuaire_server, settings):
    """The fake company directory and BODACC (tests/fakes/annuaire.py), empty, and the
    settings pointing at it."""
    _annuaire_server.reset()
    settings.DIRECTORY_SEARCH_URL = _annuaire_server.url
    settings.DIRECTORY_BODACC_URL = _annuaire_server.url
    settings.DIRECTORY_TIMEOUT = 1
    return _annuaire_server
