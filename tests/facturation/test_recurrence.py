from datetime import date
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone

from facturation.models import Facture, Status
from facturation.recurrence import add_months, recurrence_creer, recurrence_generer
from facturation.tasks import generate_recurring_invoices
from pgi.permissions import Role
from tests import factories


def test_add_months_clamps_to_the_end_of_month():
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert add_months(date(2026, 11, 30), 3) == date(2027, 2, 28)


@pytest.mark.django_db
def test_a_due_template_creates_one_draft_and_moves_on():
    company = factories.issuing_company()
    invoice = factories.issued(company, lines=[factories.line("Abonnement", "1", "49")])
    recurrence = recurrence_creer(
        facture=invoice, frequency="mensuelle", next_date=date(2026, 1, 31), auto_issue=False
    )
    draft = recurrence_generer(recurrence_id=recurrence.pk, today=date(2026, 2, 1))
    assert draft.status == Status.DRAFT
    assert draft.lines.get().unit_price == Decimal("49")
    recurrence.refresh_from_db()
    assert recurrence.next_date == date(2026, 2, 28)
    # Not due yet: nothing more
    assert recurrence_generer(recurrence_id=recurrence.pk, today=date(2026, 2, 1)) is None
    assert Facture.objects.filter(status=Status.DRAFT).count() == 1


@pytest.mark.django_db(transaction=True)
def test_auto_issue_catches_up_every_missed_date_once_and_emails_each_invoice():
    company = factories.issuing_company()
    factories.member(company, Role.OWNER)
    client = factories.business_client(company, email="client@exemple.fr")
    invoice = factories.issued(company, client)
    # Two yearly dates are due (13 months and about 1 month ago), the third is 11 months ahead:
    # the task reads today's date itself, so the dates are set from it.
    first = add_months(timezone.localdate(), -13)
    missed = [first, add_months(first, 12)]
    recurrence = recurrence_creer(
        facture=invoice, frequency="annuelle", next_date=missed[0], auto_issue=True
    )
    generate_recurring_invoices()  # eager in tests: catches up every due date up to today
    generated = Facture.objects.exclude(pk=invoice.pk).order_by("operation_date")
    assert [(f.status, f.operation_date) for f in generated] == [
        (Status.ISSUED, missed[0]),
        (Status.ISSUED, missed[1]),
    ]
    assert len({f.number for f in generated}) == 2
    assert [(m.to, m.subject) for m in mail.outbox] == [
        (["client@exemple.fr"], f"Facture {f.number}") for f in generated
    ]
    recurrence.refresh_from_db()
    assert recurrence.next_date == add_months(missed[1], 12)
    # A second run the same day generates nothing more.
    generate_recurring_invoices()
    assert Facture.objects.exclude(pk=invoice.pk).count() == 2
    assert len(mail.outbox) == 2
