"""Migration pgi 0010 re-chains the event log of a development database per company: each
chain numbered from 1 in the former order, verifiable, with its head (issue #23)."""

import json

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from pgi.chain import GENESIS, canonical_json, fingerprint
from pgi.events import events_verify
from pgi.models import Evenement, JournalEvenements
from tests import factories

BEFORE = [("pgi", "0009_signup_email_verified_and_checklist")]
AFTER = [("pgi", "0010_event_log_per_company")]


def migrate(targets) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)


@pytest.mark.django_db(transaction=True)
def test_existing_events_are_rechained_per_company():
    company_a, company_b = factories.company("Alpha SARL"), factories.company("Beta SAS")
    user = factories.user()
    leaves = MigrationExecutor(connection).loader.graph.leaf_nodes()
    migrate(BEFORE)
    try:
        # The former site-wide chain, as 0002 to 0007 wrote it (payload version 1).
        previous, rows = GENESIS, []
        owners = [company_a, None, company_b, company_a, None]
        for sequence, company in enumerate(owners, start=1):
            summary = f"événement {sequence}"
            payload = canonical_json(
                {
                    "v": 1, "seq": sequence, "at": "2026-11-01T10:00:00+00:00", "kind": "export",
                    "summary": summary, "company": company.siren if company else None,
                    "company_id": company.pk if company else None, "user": user.email,
                    "ip": "127.0.0.1", "details": {"n": sequence},
                }
            )  # fmt: skip
            own = fingerprint(previous, payload)
            rows.append(
                (sequence, company.pk if company else None, user.pk, summary, payload, previous,
                 own)
            )  # fmt: skip
            previous = own
        with connection.cursor() as cursor:
            cursor.executemany(
                "INSERT INTO pgi_evenement (sequence, at, kind, company_id, user_id, summary, "
                "payload, previous, fingerprint) "
                "VALUES (%s, '2026-11-01T10:00:00+00:00', 'export', %s, %s, %s, %s, %s, %s)",
                rows,
            )
    finally:
        migrate(leaves)

    def chain(company):
        return list(
            Evenement.objects.filter(company=company)
            .order_by("sequence")
            .values_list("sequence", "summary")
        )

    assert chain(company_a) == [(1, "événement 1"), (2, "événement 4")]
    assert chain(company_b) == [(1, "événement 3")]
    assert chain(None) == [(1, "événement 2"), (2, "événement 5")]
    for company in (company_a, company_b, None):
        assert events_verify(company).findings == []
    assert sorted(
        JournalEvenements.objects.values_list("company_id", "last_sequence"),
        key=lambda row: row[0] or 0,
    ) == [(None, 2), (company_a.pk, 2), (company_b.pk, 1)]
    payload = json.loads(bytes(Evenement.objects.get(company=company_a, sequence=2).payload))
    assert payload == {
        "v": 2, "seq": 2, "at": "2026-11-01T10:00:00+00:00", "kind": "export",
        "summary": "événement 4", "params": {}, "company": company_a.siren,
        "company_id": company_a.pk, "user": user.email, "user_id": user.pk, "ip": "127.0.0.1",
        "details": {"n": 4},
    }  # fmt: skip
