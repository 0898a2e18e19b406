"""What the application must never do, the database refuses (issue #23).

Beyond the append-only triggers: a draft set to issued by SQL (a number without its sealed
record), a numbering counter jumped or reset (a future gap, reused numbers), a register head
moved outside the sealing function. The deferred checks run at commit; here
`SET CONSTRAINTS ALL IMMEDIATE` runs them at once, inside the test's transaction.
"""

import pytest
from django.db import IntegrityError, connection, transaction

from facturation.models import Facture, Status
from pgi.models import NumberingSeries
from tests import factories

pytestmark = pytest.mark.django_db


def _commit_checks() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def test_a_draft_set_to_issued_by_sql_is_refused_at_commit():
    draft = factories.draft(factories.issuing_company())
    with pytest.raises(IntegrityError, match="issued without its sealed record"):
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(
                    "UPDATE facturation_facture SET status = 'emise', number = 'F-FAUX-1', "
                    "issue_date = CURRENT_DATE WHERE id = %s",
                    [draft.pk],
                )
            _commit_checks()
    assert Facture.objects.get(pk=draft.pk).status == Status.DRAFT


def test_issuing_through_the_service_passes_the_commit_checks():
    issued = factories.issued(factories.issuing_company())
    _commit_checks()
    assert issued.status == Status.ISSUED


def test_a_numbering_counter_moves_one_number_at_a_time_and_stays():
    company = factories.issuing_company()
    factories.issued(company)
    counter = NumberingSeries.objects.get(company=company)
    for sql in (
        "UPDATE facturation_numberingseries SET next_number = next_number + 5 WHERE id = %s",
        "UPDATE facturation_numberingseries SET next_number = 1 WHERE id = %s",
        "DELETE FROM facturation_numberingseries WHERE id = %s",
    ):
        with pytest.raises(IntegrityError, match="a counter only moves to its next number"):
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(sql, [counter.pk])
    factories.issued(company)  # the service still takes the next number
    assert NumberingSeries.objects.get(pk=counter.pk).next_number == 3


def test_a_register_head_moved_outside_the_seal_is_refused_at_commit():
    company = factories.issuing_company()
    factories.issued(company)
    _commit_checks()
    with pytest.raises(IntegrityError, match="must be its last sealed record"):
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(
                    "UPDATE comptabilite_registre SET last_sequence = last_sequence - 1 "
                    "WHERE company_id = %s",
                    [company.pk],
                )
            _commit_checks()
