"""Bad input on invoices gets a clear French answer, never a 500, and nothing half-saved
(issue #15)."""

from decimal import Decimal

import pytest
from django.urls import reverse

from facturation.models import Facture, LigneFacture
from facturation.services import facture_emettre
from pgi.permissions import Role
from tests import factories
from tests.conftest import login

API = "/api/v1"


@pytest.fixture
def seller(db):
    return factories.issuing_company()


@pytest.fixture
def owner(seller):
    return factories.member(seller, Role.OWNER)


@pytest.fixture
def headers(owner):
    return {"Authorization": f"Bearer {factories.token(owner)}"}


@pytest.fixture
def buyer(seller):
    return factories.business_client(seller)


def _post(client, headers, path, data):
    return client.post(f"{API}{path}", data, content_type="application/json", headers=headers)


# Each case is within what each column holds, but its amount is not.
OVERFLOWS = {
    "line amount": [("99999999999.999", "9999999999.9999")],
    "quantity x price": [("1000", "9999999999")],
    "invoice total": [("100", "6000000000"), ("100", "6000000000")],
    "total with VAT": [("100", "9000000000")],  # 900 G€ HT, 1 080 G€ TTC
}


@pytest.mark.parametrize("case", OVERFLOWS)
def test_the_api_refuses_amounts_the_columns_cannot_hold(client, headers, buyer, case):
    """A total above 999 999 999 999,99 € is refused when the draft is created (422, in
    French), not by the database when it is issued (it answered 500)."""
    lines = [{"designation": "X", "quantity": q, "unit_price": p} for q, p in OVERFLOWS[case]]
    response = _post(client, headers, "/factures/", {"client_id": buyer.pk, "lines": lines})
    assert response.status_code == 422, response.content
    assert "dépasse le maximum de 999\u202f999\u202f999\u202f999,99\u00a0€" in " ".join(
        response.json()["detail"]
    )
    assert not Facture.objects.exists() and not LigneFacture.objects.exists()


def test_the_largest_total_still_passes(client, headers, buyer):
    """The limit is the column's: 999 999 999 999,99 € TTC is saved and issued."""
    lines = [{"designation": "X", "quantity": "100", "unit_price": "9999999999.9999",
              "vat_rate": "0.00", "vat_exemption_reason": "Exonération, CGI art. 261"}]  # fmt: skip
    response = _post(client, headers, "/factures/", {"client_id": buyer.pk, "lines": lines})
    assert response.status_code == 201, response.content
    issued = _post(client, headers, f"/factures/{response.json()['id']}/emettre", {})
    assert issued.status_code == 200, issued.content
    assert Facture.objects.get().total_incl_vat == Decimal("999999999999.99")


def test_replacing_the_lines_with_an_overflow_changes_nothing(client, headers, seller, buyer):
    """The header and the lines change together or not at all."""
    draft = factories.draft(seller, buyer, subject="Avant")
    response = client.put(
        f"{API}/factures/{draft.pk}",
        {"subject": "Après", "lines": [{"designation": "X", "quantity": "2",
                                         "unit_price": "999999999999"}]},
        content_type="application/json", headers=headers,
    )  # fmt: skip
    assert response.status_code == 422
    draft.refresh_from_db()
    assert draft.subject == "Avant"
    assert [line.unit_price for line in draft.lines.all()] == [Decimal("100")]


def test_issuing_a_draft_stored_before_the_check_is_refused_in_french(seller, buyer):
    """A draft already holding an overflowing line (saved before the check existed) is
    refused at issue with the same message, and keeps no number."""
    draft = factories.draft(seller, buyer)
    LigneFacture.objects.filter(facture=draft).update(quantity=Decimal("1000000"),
                                                      unit_price=Decimal("9999999"))  # fmt: skip
    from facturation.exceptions import FactureError

    with pytest.raises(FactureError) as error:
        facture_emettre(facture=draft, user=None)
    assert any("dépasse le maximum" in problem for problem in error.value.problems)
    draft.refresh_from_db()
    assert draft.is_draft and not draft.number


def test_the_editor_refuses_an_overflow_and_keeps_the_header(client, owner, seller, buyer):
    """In the editor, the overflow is an error on the page (not a 500) and the header typed
    with it is not saved alone (it was)."""
    login(client, owner)
    draft = factories.draft(seller, buyer, subject="Avant")
    response = client.post(
        reverse("facturation:facture_edit", args=[draft.pk]),
        {
            "client": buyer.pk, "subject": "Après", "payment_terms_days": "30",
            "lignes-TOTAL_FORMS": "1", "lignes-INITIAL_FORMS": "1",
            "lignes-0-designation": "Trop", "lignes-0-quantity": "1 000",
            "lignes-0-unit": "unité", "lignes-0-unit_price": "9 999 999 999,50",
            "lignes-0-discount_rate": "0", "lignes-0-vat_rate": "20.00",
            "lignes-0-nature": "service",
        },
    )  # fmt: skip
    assert response.status_code == 200
    assert "Ligne 1 : le montant" in response.content.decode()
    draft.refresh_from_db()
    assert draft.subject == "Avant"
    assert [line.designation for line in draft.lines.all()] == ["Prestation"]
