from decimal import Decimal

import pytest

from facturation.models import Facture
from facturation.selectors import with_amount_due
from facturation.services import avoir_creer, facture_emettre
from tests import factories

pytestmark = pytest.mark.django_db


def test_amount_due_is_the_total_less_issued_credit_notes_and_null_for_drafts_and_avoirs():
    seller = factories.issuing_company()
    invoice = factories.issued(seller, lines=[factories.line("A", "1", "100")])  # 120.00 TTC
    avoir = facture_emettre(
        facture=avoir_creer(
            facture=invoice, user=None, amount_excl_vat=Decimal("25"), vat_rate=Decimal("20")
        ),
        user=None,
    )  # 30.00 TTC
    pending = avoir_creer(  # a draft credit note lowers nothing yet
        facture=invoice, user=None, amount_excl_vat=Decimal("10"), vat_rate=Decimal("20")
    )
    draft = factories.draft(seller)
    due = dict(with_amount_due(Facture.objects.all()).values_list("pk", "amount_due"))
    assert due == {invoice.pk: Decimal("90.00"), avoir.pk: None, pending.pk: None, draft.pk: None}
