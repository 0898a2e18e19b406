"""Issuing from many processes at once: gapless numbers, an intact chain, no cross-company wait."""

import multiprocessing

import pytest
from django.db import connection, connections, transaction
from django.utils import timezone

from facturation.models import Facture, Status
from facturation.services import facture_emettre
from pgi.registre import verify_chain
from tests import factories

pytestmark = pytest.mark.django_db(transaction=True)


def _issue(facture_id: int, lock_timeout: str | None = None) -> str:
    connections.close_all()  # a fresh connection in the child, never the parent's socket
    with transaction.atomic():
        if lock_timeout:
            with connection.cursor() as cursor:
                cursor.execute(f"SET LOCAL lock_timeout = '{lock_timeout}'")
        facture = Facture.objects.get(pk=facture_id)
        return facture_emettre(facture=facture, user=None).number


def _run_in_processes(func, args_list):
    connections.close_all()
    context = multiprocessing.get_context("fork")
    with context.Pool(processes=len(args_list)) as pool:
        return pool.starmap(func, args_list)


def test_twenty_processes_issue_without_gap_or_duplicate():
    company = factories.issuing_company()
    client = factories.business_client(company)
    drafts = [factories.draft(company, client).pk for _ in range(20)]
    numbers = _run_in_processes(_issue, [(pk, None) for pk in drafts])
    assert sorted(int(n[-5:]) for n in numbers) == list(range(1, 21))
    assert Facture.objects.filter(company=company, status=Status.ISSUED).count() == 20
    report = verify_chain(company)
    assert report.ok, report.findings
    # 20 documents + 20 PDF hashes, sealed after commit by the rendering task
    assert report.records == 40


def test_a_company_holding_its_numbering_lock_does_not_block_another():
    first = factories.issuing_company("Première SAS")
    second = factories.issuing_company("Seconde SAS")
    blocked_draft = factories.draft(first)
    other_draft = factories.draft(second)
    # Keep the first company's counter and register head locked in an open transaction…
    holder = connections.create_connection("default")
    holder.set_autocommit(False)
    with holder.cursor() as cursor:
        cursor.execute(
            "INSERT INTO facturation_numberingseries (company_id, kind, period, next_number) "
            "VALUES (%s, 'facture', %s, 1) ON CONFLICT (company_id, kind, period) "
            "DO UPDATE SET next_number = facturation_numberingseries.next_number",
            [first.pk, str(timezone.localdate().year)],
        )
    try:
        # …the second company issues at once (a wait would hit the 2 s lock timeout)…
        assert _run_in_processes(_issue, [(other_draft.pk, "2s")]) == [
            Facture.objects.get(pk=other_draft.pk).number
        ]
        # …while the first company's issuer does wait for the lock.
        with pytest.raises(Exception, match="lock timeout"):
            _run_in_processes(_issue, [(blocked_draft.pk, "500ms")])
    finally:
        holder.rollback()
        holder.close()


def _issue_many(facture_ids: list[int]) -> int:
    connections.close_all()
    for facture_id in facture_ids:
        facture_emettre(facture=Facture.objects.get(pk=facture_id), user=None)
    connections.close_all()
    return len(facture_ids)


def test_the_integrity_check_finds_nothing_on_a_healthy_register_under_load():
    """Issue #23: read in pieces, the chain, its head and the issued documents disagreed
    while invoices were being issued ("fin de chaîne tronquée", "document émis absent du
    registre" on a healthy system). One snapshot: no finding, however often it runs."""
    company = factories.issuing_company()
    client = factories.business_client(company)
    drafts = [factories.draft(company, client).pk for _ in range(60)]
    connections.close_all()
    context = multiprocessing.get_context("fork")
    with context.Pool(processes=1) as pool:
        issuing = pool.apply_async(_issue_many, (drafts,))
        runs = []
        while not issuing.ready():
            report = verify_chain(company)
            runs.append(report.records)
            assert report.ok, report.findings
        assert issuing.get(timeout=120) == 60
    assert len(runs) >= 2 and runs[0] < runs[-1], runs  # it really ran while issuing
    assert verify_chain(company).ok
