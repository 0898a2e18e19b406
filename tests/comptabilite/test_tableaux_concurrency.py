"""The kept amount due under concurrent writers: payments recorded at the same moment on one
invoice from several processes all count (the triggers' function locks the row first, and
reads after the wait)."""

import multiprocessing
from datetime import date
from decimal import Decimal

import pytest
from django.db import connections

from comptabilite.tableaux.models import ResteDu
from encaissement.services import Allocation, paiement_enregistrer
from facturation.models import Facture
from facturation.selectors import with_amount_due
from facturation.services import facture_emettre
from tests import factories

pytestmark = pytest.mark.django_db(transaction=True)


def _pay(facture_id: int) -> None:
    connections.close_all()  # a fresh connection in the child, never the parent's socket
    facture = Facture.objects.select_related("company", "client").get(pk=facture_id)
    hundred = Decimal("100")
    paiement_enregistrer(
        company=facture.company, user=None, client=facture.client, day=date(2026, 6, 1),
        amount=hundred, method="virement", allocations=[Allocation(facture.pk, hundred)],
    )  # fmt: skip


def test_payments_recorded_at_once_on_one_invoice_all_count(no_work_after_commit):
    company = factories.issuing_company("Concurrence SAS")
    draft = factories.draft(company, lines=[factories.line(unit_price="1000")])
    facture = facture_emettre(facture=draft, user=None, today=date(2026, 5, 1))
    connections.close_all()
    with multiprocessing.get_context("fork").Pool(processes=4) as pool:
        pool.map(_pay, [facture.pk] * 4)
    kept = ResteDu.objects.get(facture=facture).amount_due
    assert kept == with_amount_due(Facture.objects.filter(pk=facture.pk)).get().amount_due
    assert kept == Decimal("800.00")
