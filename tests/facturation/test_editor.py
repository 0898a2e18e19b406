"""The invoice editor and what surrounds it (issue #15): all-or-nothing save, PDF preview,
duplication, customer picker, price warning, list filters, dashboard links."""

from decimal import Decimal

import pytest
from django.urls import reverse

from facturation.models import Facture
from pgi.permissions import Role
from tests import factories
from tests.conftest import login


@pytest.fixture
def seller(db):
    return factories.issuing_company()


@pytest.fixture
def as_owner(client, seller):
    return login(client, factories.member(seller, Role.OWNER))


def editor_post(facture, lines, **header):
    """The editor's form as the browser sends it: the header, then the line formset."""
    data = {
        "client": facture.client_id, "subject": facture.subject, "operation_date": "",
        "payment_terms_days": facture.payment_terms_days or "", "notes": facture.notes,
        "lignes-TOTAL_FORMS": len(lines), "lignes-INITIAL_FORMS": 0,
        "lignes-MIN_NUM_FORMS": 0, "lignes-MAX_NUM_FORMS": 1000,
    }  # fmt: skip
    data.update(header)
    for index, line in enumerate(lines):
        row = {"designation": "Prestation", "quantity": "1", "unit": "unité",
               "unit_price": "100", "discount_rate": "0", "vat_rate": "20.00",
               "nature": "service", **line}  # fmt: skip
        data.update({f"lignes-{index}-{name}": value for name, value in row.items()})
    return data


def test_a_refused_line_saves_nothing_not_even_the_header(as_owner, seller):
    """Nothing half-saved: the editor used to save the header, then have the lines refused,
    leaving the new subject on a draft whose lines the user believed unsaved."""
    draft = factories.draft(seller, subject="Ancien objet")
    url = reverse("facturation:facture_edit", args=[draft.pk])
    response = as_owner.post(
        url, editor_post(draft, [{"quantity": "0"}], subject="Nouvel objet", save="1")
    )
    assert response.status_code == 200
    assert "la quantité doit être positive" in response.content.decode()
    draft.refresh_from_db()
    assert draft.subject == "Ancien objet"
    assert [line.quantity for line in draft.lines.all()] == [Decimal("1")]


def test_a_valid_save_keeps_header_and_lines_together(as_owner, seller):
    draft = factories.draft(seller, subject="Ancien objet")
    url = reverse("facturation:facture_edit", args=[draft.pk])
    response = as_owner.post(
        url, editor_post(draft, [{"quantity": "2", "unit_price": "29,90"}], subject="Nouveau")
    )
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.subject == "Nouveau"
    assert [(x.quantity, x.unit_price) for x in draft.lines.all()] == [
        (Decimal("2"), Decimal("29.90"))
    ]
    assert Facture.objects.count() == 1
