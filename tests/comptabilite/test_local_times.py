"""Times are shown in Paris time, not in the UTC they are stored in (issue #15)."""

import pytest
from django.core.cache import cache
from django.urls import reverse

from pgi.permissions import Role
from tests import factories
from tests.conftest import login


@pytest.mark.django_db
def test_the_integrity_page_shows_the_last_check_in_paris_time(client):
    """The last check's time was its UTC ISO string cut at the minute ("2026-07-01T10:00")."""
    company = factories.issuing_company()
    login(client, factories.member(company, Role.OWNER))
    cache.set(
        f"integrity:{company.pk}:last",
        {"state": "done", "ok": True, "records": 3, "findings": [],
         "finished": "2026-07-01T10:00:00.123456+00:00"},
        None,
    )  # fmt: skip
    page = client.get(reverse("comptabilite:integrite")).content.decode()
    assert "01/07/2026 12:00" in page  # CEST, UTC+2
    assert "2026-07-01T10:00" not in page
