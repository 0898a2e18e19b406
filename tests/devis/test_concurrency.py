"""Invoicing a quote while its final invoice is being issued: the two take the same rows in
the same order (the invoice, then the quote; pgi.locks), so they wait, never deadlock."""

import multiprocessing
import time
from decimal import Decimal

import pytest
from django.db import connection, connections

from devis import services
from devis.models import Devis, Role, Statut
from facturation.services import facture_emettre
from tests import factories
from tests.devis import factories as quotes

pytestmark = pytest.mark.django_db(transaction=True)


def _solde(devis_id: int) -> int:
    connections.close_all()  # a fresh connection in the child, never the parent's socket
    return services.devis_facturer_solde(devis=Devis(pk=devis_id), user=None).pk


def _waiting_on_a_lock() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0]


def test_preparing_the_final_invoice_waits_for_its_issue_without_holding_the_quote():
    seller = factories.issuing_company("Plomberie Caron SARL")
    devis = quotes.accepted(seller)
    # a deposit issued: its final invoice draft exists, the deposit still to deduct
    deposit = services.devis_facturer_acompte(devis=devis, user=None, percent=Decimal("30"))
    facture_emettre(facture=deposit, user=None)
    final = devis.factures.get(role=Role.FINAL).facture
    # An issuer holds the final invoice, as facture_emettre does before its hook takes the
    # quote…
    issuer = connections.create_connection("default")
    issuer.set_autocommit(False)
    with issuer.cursor() as cursor:
        cursor.execute("SELECT id FROM facturation_facture WHERE id = %s FOR UPDATE", [final.pk])
    connections.close_all()
    context = multiprocessing.get_context("fork")
    try:
        with context.Pool(processes=1) as pool:
            pending = pool.apply_async(_solde, (devis.pk,))
            deadline = time.monotonic() + 20
            while not _waiting_on_a_lock() and time.monotonic() < deadline:
                time.sleep(0.05)
            assert _waiting_on_a_lock() == 1  # …the second call waits for that invoice…
            # …holding nothing of the quote: the issuer's hook takes it at once.
            with issuer.cursor() as cursor:
                cursor.execute("SET LOCAL lock_timeout = '1s'")
                cursor.execute("SELECT id FROM devis_devis WHERE id = %s FOR UPDATE", [devis.pk])
            issuer.rollback()
            assert pending.get(timeout=30) == final.pk
    finally:
        issuer.rollback()
        issuer.close()
    devis.refresh_from_db()
    assert devis.status == Statut.ACCEPTED and devis.factures.count() == 2
    assert final.lines.filter(deposit=deposit).exists()
