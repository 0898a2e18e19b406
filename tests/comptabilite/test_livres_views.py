"""The books' pages and API: the accountant reads, exports the FEC and maps the accounts, but
never changes a commercial document; staff cannot map accounts; scoped to the company."""

import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from comptabilite.livres.fec import FIELDS
from comptabilite.livres.models import CompteComptable, Ecriture
from encaissement.services import Allocation, paiement_enregistrer
from facturation.services import facture_emettre
from pgi.permissions import Role
from tests import factories
from tests.conftest import login

API = "/api/v1/livres"


def today():
    return timezone.localdate()


@pytest.fixture
def company(db):
    return factories.issuing_company()


@pytest.fixture
def activity(company):
    facture = facture_emettre(
        facture=factories.draft(company, lines=[factories.line(unit_price="100")]), user=None
    )
    paiement_enregistrer(
        company=company, user=None, client=facture.client, day=facture.issue_date,
        amount=Decimal("120"), method="virement",
        allocations=[Allocation(facture.pk, Decimal("120"))],
    )  # fmt: skip
    return facture


def as_role(client, company, role):
    return login(client, factories.member(company, role))


def test_the_accountant_reads_the_books_and_vat_due(client, company, activity):
    as_role(client, company, Role.ACCOUNTANT)
    page = client.get(reverse("comptabilite:ecritures"))
    assert page.status_code == 200
    text = page.content.decode()
    assert "VT000001" in text and "BQ000001" in text and "AAA" in text
    ledger = client.get(reverse("comptabilite:grand_livre")).content.decode()
    assert "411000" in ledger and "44571200" in ledger
    month = f"{today():%Y-%m}"
    vat = client.get(reverse("comptabilite:tva"), {"periode": month}).content.decode()
    assert 'data-testid="tva-total">20,00' in vat
    assert 'data-ca3="08"' in vat and "Taux normal 20 %" in vat


def test_a_franchise_company_sees_its_turnover_against_the_years_thresholds(client, db):
    company = factories.issuing_company(vat_regime="franchise", vat_number="")
    facture_emettre(
        facture=factories.draft(
            company,
            lines=[factories.line(unit_price="40000", vat_rate="0",
                                  vat_exemption_reason="TVA non applicable, art. 293 B du CGI")],
        ),
        user=None,
    )  # fmt: skip
    as_role(client, company, Role.OWNER)
    page = client.get(reverse("comptabilite:tva"), {"periode": f"{today():%Y-%m}"})
    text = page.content.decode()
    table = re.sub(r"\s", " ", text[text.index('data-testid="franchise-seuils"') :])
    assert 'affaires total (biens et services)</td><td class="text-end">40 000,00' in table
    assert "85 000,00" in table and "93 500,00" in table and "37 500,00" in table
    assert "dont prestations de services" in table and "Seuil dépassé" in table


def test_the_accountant_maps_accounts_but_cannot_change_documents(client, company, activity):
    as_role(client, company, Role.ACCOUNTANT)
    response = client.post(
        reverse("comptabilite:comptes"),
        {"key": "banque", "number": "512100", "label": "Banque Populaire"},
    )
    assert response.status_code == 302
    assert CompteComptable.objects.get(company=company, key="banque").number == "512100"
    bad = client.post(
        reverse("comptabilite:comptes"), {"key": "banque", "number": "9x", "label": "B"}
    )
    assert bad.status_code == 302
    assert CompteComptable.objects.get(company=company, key="banque").number == "512100"
    # Commercial documents stay out of reach.
    assert client.post(reverse("facturation:facture_create")).status_code == 403


def test_staff_reads_but_cannot_map_accounts(client, company):
    as_role(client, company, Role.STAFF)
    assert client.get(reverse("comptabilite:comptes")).status_code == 200
    response = client.post(
        reverse("comptabilite:comptes"), {"key": "banque", "number": "512100", "label": "B"}
    )
    assert response.status_code == 403
    assert not CompteComptable.objects.filter(company=company).exists()


def test_fec_export_from_the_page_then_download(client, company, activity):
    as_role(client, company, Role.ACCOUNTANT)
    year = activity.issue_date.year
    response = client.post(
        reverse("comptabilite:fec"),
        {"exercice": str(year), "separator": "tab", "encoding": "iso-8859-15"},
    )
    assert response.status_code == 302
    status = client.get(response["Location"], headers={"HX-Request": "true"})
    assert 'data-testid="fec-result"' in status.content.decode()
    run_id = response["Location"].split("run=")[1]
    download = client.get(reverse("comptabilite:fec_telecharger", args=[run_id, "fec"]))
    body = b"".join(download.streaming_content)
    assert download["Content-Disposition"].endswith(f'{company.siren}FEC{year}1231.txt"')
    assert body.decode("iso8859_15").split("\r\n")[0] == "\t".join(FIELDS)
    # Another company's member cannot download it.
    other = factories.issuing_company("Autre SAS")
    as_role(client, other, Role.OWNER)
    assert (
        client.get(reverse("comptabilite:fec_telecharger", args=[run_id, "fec"])).status_code == 404
    )


def test_api_fec_entries_and_vat_due(client, company, activity):
    member = factories.member(company, Role.ACCOUNTANT)
    headers = {"Authorization": f"Bearer {factories.token(member)}"}
    year = activity.issue_date.year
    response = client.get(
        f"{API}/fec", {"exercice": str(year), "separateur": "pipe"}, headers=headers
    )
    assert response.status_code == 200
    lines = b"".join(response.streaming_content).decode("iso8859_15").split("\r\n")
    assert lines[0] == "|".join(FIELDS) and len(lines) == 1 + 7 + 1
    entries = client.get(f"{API}/ecritures", headers=headers).json()
    assert entries["count"] == Ecriture.objects.filter(company=company).count() == 2
    assert {e["code"] for e in entries["items"]} == {"VT000001", "BQ000001"}
    due = client.get(
        f"{API}/tva-due",
        {"debut": f"{today():%Y-%m}-01", "fin": today().isoformat()},
        headers=headers,
    ).json()
    assert Decimal(due["total_vat"]) == Decimal("20.00")
    other = factories.member(factories.issuing_company("Autre SAS"), Role.OWNER)
    foreign = client.get(
        f"{API}/ecritures", headers={"Authorization": f"Bearer {factories.token(other)}"}
    ).json()
    assert foreign["count"] == 0


def test_the_first_fiscal_year_is_set_from_the_closures_page(client, company):
    from comptabilite.models import PremierExercice

    as_role(client, company, Role.STAFF)
    url = reverse("comptabilite:premier_exercice")
    data = {"start": "2025-04-01", "end": "2026-12-31"}
    assert client.post(url, data).status_code == 403
    as_role(client, company, Role.ACCOUNTANT)
    assert client.post(url, data).status_code == 302
    first = PremierExercice.objects.get(company=company)
    assert (first.start.isoformat(), first.end.isoformat()) == ("2025-04-01", "2026-12-31")
    page = client.get(reverse("comptabilite:clotures")).content.decode()
    assert "01/04/2025 – 31/12/2026" in page


def test_an_export_older_than_a_day_is_removed_by_the_next(client, company, activity):
    import os
    import time

    from comptabilite.livres.tasks import fec_folder

    old = fec_folder(company.pk, "0" * 32)
    old.mkdir(parents=True)
    (old / "ancien.txt").write_text("x")
    os.utime(old, (time.time() - 2 * 86400, time.time() - 2 * 86400))
    as_role(client, company, Role.ACCOUNTANT)
    client.post(
        reverse("comptabilite:fec"),
        {"exercice": str(activity.issue_date.year), "separator": "tab", "encoding": "utf-8"},
    )
    assert not old.exists()
