import pytest
from django.core import mail
from django.db import connection
from django.urls import reverse

from comptabilite.tasks import verify_all_registres
from pgi.permissions import Role
from tests import factories
from tests.conftest import login
from tests.db_owner import triggers_disabled


@pytest.fixture
def registre_company(db):
    company = factories.issuing_company()
    factories.issued(company)
    return company


def test_owner_runs_the_verification_and_sees_the_result(client, registre_company):
    login(client, factories.member(registre_company, Role.OWNER))
    response = client.post(reverse("comptabilite:integrite_lancer"))
    assert response.status_code == 302 and "?run=" in response["Location"]
    page = client.get(response["Location"]).content.decode()  # eager task: already done
    assert "Registre intègre : 1 enregistrements vérifiés" in page


def test_accountant_may_verify_but_staff_may_not(client, registre_company):
    login(client, factories.member(registre_company, Role.ACCOUNTANT))
    assert client.get(reverse("comptabilite:integrite")).status_code == 200
    login(client, factories.member(registre_company, Role.STAFF))
    assert client.get(reverse("comptabilite:integrite")).status_code == 403


@pytest.mark.django_db(transaction=True)
def test_the_nightly_check_emails_the_owner_on_failure(registre_company):
    owner = factories.member(registre_company, Role.OWNER)
    assert verify_all_registres() == 0 and mail.outbox == []
    with triggers_disabled() as cursor:
        cursor.execute("UPDATE facturation_facture SET total_incl_vat = 1")
    assert verify_all_registres() == 1
    assert mail.outbox[0].to == [owner.user.email]
    assert "totaux modifiés" in mail.outbox[0].body


def test_verification_reports_progress_on_long_chains(registre_company):
    from pgi.registre import verify_chain

    for _ in range(4):
        factories.issued(registre_company)
    seen = []
    report = verify_chain(registre_company, progress=seen.append, progress_every=2)
    assert report.ok and seen == [2, 4]


def test_an_interrupted_verification_releases_its_reader(registre_company):
    from pgi.registre import verify_chain

    for _ in range(3):
        factories.issued(registre_company)

    def fail(_done):
        raise RuntimeError("stopped")

    depth = len(connection.atomic_blocks)
    with pytest.raises(RuntimeError):
        verify_chain(registre_company, progress=fail, progress_every=1)
    # The streaming transaction was closed at once, not left open for a later test.
    assert len(connection.atomic_blocks) == depth
    assert verify_chain(registre_company).ok  # the connection is usable again
