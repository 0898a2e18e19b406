"""The integrity check is exact (issue #23): the event log's tail against the heads recorded
in closures and archives, a record's shown time, a numbering counter ahead of the numbers
issued; each reported with its exact findings, by the command, the page and the nightly task.
"""

import json
import zipfile
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext_noop

from comptabilite.pdf import cloture_context
from comptabilite.services import archive_creer, cloture_effectuer
from comptabilite.tasks import verify_all_registres
from facturation.integrity import COUNTER_AHEAD, COUNTERS_AHEAD
from facturation.services import facture_emettre
from pgi.events import JOURNAL, event_record, events_verify
from pgi.models import (
    Enregistrement,
    Evenement,
    EventKind,
    NumberingFormat,
    NumberingSeries,
    RecordKind,
)
from pgi.permissions import Role
from pgi.registre import RETIMED, Finding, seal, verify_chain
from tests import factories
from tests.comptabilite.test_verify_registre import run_verify, triggers_disabled
from tests.conftest import login

EXPORT = gettext_noop("Export CSV des clients (%(file)s)")


def export(company, n: int) -> list[Evenement]:
    return [
        event_record(
            kind=EventKind.EXPORT, summary=EXPORT, params={"file": f"{i}.csv"}, company=company
        )  # fmt: skip
        for i in range(n)
    ]


def issue(company, day: date):
    return facture_emettre(facture=factories.draft(company), user=None, today=day)


@pytest.fixture
def company(db):
    return factories.issuing_company()


def truncate_log(company, *, keep: int) -> None:
    """Deletes the events after #keep and rewinds the head onto #keep: a consistent-looking
    log that only a head recorded elsewhere can contradict."""
    with triggers_disabled() as cursor:
        cursor.execute(
            "DELETE FROM pgi_evenement WHERE company_id = %s AND sequence > %s", [company.pk, keep]
        )
        cursor.execute(
            "UPDATE pgi_journalevenements SET last_sequence = %s, last_fingerprint = "
            "(SELECT fingerprint FROM pgi_evenement WHERE company_id = %s AND sequence = %s) "
            "WHERE company_id = %s",
            [keep, company.pk, keep, company.pk],
        )


def test_closures_and_archives_record_the_event_logs_head(company):
    """Like the register's head: the closure's (its own event included), in its PDF; the
    archive's, in its signed manifest and its sealed record."""
    issue(company, date(2026, 1, 15))
    export(company, 2)
    cloture = cloture_effectuer(
        company=company, kind="mensuelle", period_start=date(2026, 1, 1), user=None
    )
    closure_event = Evenement.objects.get(company=company, kind=EventKind.CLOSURE)
    assert closure_event.sequence == 3
    head = {"sequence": 3, "fingerprint": closure_event.fingerprint}
    assert cloture.totals["events_head"] == head
    html = render_to_string("comptabilite/pdf/cloture.html", cloture_context(cloture))
    assert "Journal des événements" in html and closure_event.fingerprint in html

    archive = archive_creer(company=company, cloture=cloture, user=None)
    with zipfile.ZipFile(archive.file.path) as bundle:
        manifest = json.loads(bundle.read("manifest.json"))
    assert manifest["events_head"] == head
    record = Enregistrement.objects.get(company=company, kind=RecordKind.ARCHIVE)
    assert json.loads(bytes(record.payload))["doc"]["events_head"] == head
    assert verify_chain(company).findings == [] and events_verify(company).findings == []


def test_a_log_truncated_before_a_recorded_head_is_reported(company):
    """Issue #23: deleting the last events of the log, head rewound, went unnoticed. The log
    alone now looks whole; the closure and the archive that recorded its head say it is not."""
    issue(company, date(2026, 1, 15))
    export(company, 2)
    cloture = cloture_effectuer(
        company=company, kind="mensuelle", period_start=date(2026, 1, 1), user=None
    )
    archive = archive_creer(company=company, cloture=cloture, user=None)
    truncate_log(company, keep=2)  # the closure's event (#3) and the archive's (#4) are gone

    assert events_verify(company).findings == []
    missing = (
        "l'événement #3, tête du journal des événements consignée, est absent du journal : "
        "journal tronqué"
    )
    assert verify_chain(company).findings == [
        Finding(cloture.sequence, cloture.reference, missing),
        Finding(archive.sequence, "ARCHIVE-2026-01", missing),
    ]
    code, out = run_verify(company)
    assert code == 1
    assert out.splitlines()[1:] == [
        f"  - #{cloture.sequence} {cloture.reference} : {missing}",
        f"  - #{archive.sequence} ARCHIVE-2026-01 : {missing}",
    ]


def test_a_recorded_head_rewritten_in_the_log_is_reported(company):
    issue(company, date(2026, 1, 15))
    cloture = cloture_effectuer(
        company=company, kind="mensuelle", period_start=date(2026, 1, 1), user=None
    )
    with triggers_disabled() as cursor:
        cursor.execute(
            "UPDATE pgi_evenement SET fingerprint = 'x' WHERE company_id = %s AND sequence = 1",
            [company.pk],
        )
    assert verify_chain(company, check_documents=True).findings == [
        Finding(
            cloture.sequence, cloture.reference,
            "l'événement #1, tête du journal des événements consignée, diffère du journal",
        )
    ]  # fmt: skip


def test_the_command_the_page_and_the_nightly_task_report_the_event_log(client, company):
    """The tail cut before the log's head (head not rewound), reported everywhere the
    register is checked, the owner alerted."""
    owner = factories.member(company, Role.OWNER)
    login(client, owner)  # its login is event #1
    export(company, 2)
    with triggers_disabled() as cursor:
        cursor.execute(
            "DELETE FROM pgi_evenement WHERE company_id = %s AND sequence = 3", [company.pk]
        )
    finding = (
        "journal des événements : fin du journal tronquée ou altérée : la tête du journal "
        "indique #3, le journal s'arrête à #2"
    )
    code, out = run_verify(company)
    assert code == 1 and out.splitlines()[1:] == [f"  - {finding}"]

    response = client.post(reverse("comptabilite:integrite_lancer"))
    page = client.get(response["Location"])
    assert page.context["run"]["findings"] == [finding]
    assert finding.replace("'", "&#x27;") in page.content.decode()

    # The check just logged its event (#4) after the cut: the cut is now a gap.
    gap = "#4 journal des événements : trou dans la séquence : #3 attendu"
    assert verify_all_registres() == 1
    assert mail.outbox[0].to == [owner.user.email] and f"- {gap}" in mail.outbox[0].body


def test_the_nightly_task_checks_the_log_of_no_company(company, mailoutbox, settings):
    settings.ADMINS = ["admin@example.com"]
    for _ in range(2):
        event_record(kind=EventKind.LOGIN_FAILED, summary="Échec de connexion pour x")
    with triggers_disabled() as cursor:
        cursor.execute("DELETE FROM pgi_evenement WHERE company_id IS NULL AND sequence = 1")
    assert events_verify(None).findings == [
        Finding(2, JOURNAL, "trou dans la séquence : #1 attendu")
    ]
    assert verify_all_registres() == 1
    assert [m.to for m in mailoutbox] == [["admin@example.com"]]
    assert "trou dans la séquence" in mailoutbox[0].body


def test_a_records_shown_time_changed_behind_the_application_is_reported(company):
    """Issue #23: an invoice's history shows its records' time, a column the chain did not
    cover: it is now checked against the time sealed in the payload."""
    invoices = [issue(company, date(2026, 1, day)) for day in (5, 6, 7)]
    with triggers_disabled() as cursor:
        cursor.execute(
            "UPDATE comptabilite_enregistrement SET recorded_at = recorded_at - interval '1 day' "
            "WHERE company_id = %s AND reference = %s AND kind = 'facture'",
            [company.pk, invoices[1].number],
        )
    record = Enregistrement.objects.get(company=company, reference=invoices[1].number,
                                        kind="facture")  # fmt: skip
    assert verify_chain(company).findings == [Finding(record.sequence, invoices[1].number, RETIMED)]


def counter(company, series="facture"):
    return NumberingSeries.objects.filter(company=company, series=series)


def test_a_counter_ahead_of_the_last_number_issued_is_reported(company):
    """Issue #23: a counter jumped behind the application's back (a future gap in the
    series, CGI art. 242 nonies A) is a finding of its own kind, and only that counter's."""
    for day in (5, 6, 7):
        issue(company, date(2026, 1, day))
    issue(company, date(2025, 12, 30))
    with triggers_disabled() as cursor:
        cursor.execute(
            "UPDATE facturation_numberingseries SET next_number = next_number + 2 "
            "WHERE company_id = %s AND kind = 'facture' AND period = '2026'",
            [company.pk],
        )
    assert counter(company).get(period="2026").next_number == 6
    assert verify_chain(company).findings == [
        Finding(
            None,
            "numérotation facture 2026",
            COUNTER_AHEAD.format(taken=5, issued=3, first=4, last=5),
        )
    ]
    code, out = run_verify(company)
    assert code == 1 and "n° 4 à 5 jamais émis" in out


def test_a_series_continued_from_another_tool_is_not_a_counter_ahead(company):
    """Issue #15 x #23: a series continued at n° 143 (the owner's former tool issued the
    first 142) has given only the numbers issued here since; a jump after it still shows."""
    from pgi.numbering import numerotation_reprendre

    numerotation_reprendre(company=company, series="facture", next_number=143, user=None,
                           day=date(2026, 1, 2))  # fmt: skip
    assert verify_chain(company).findings == []
    issue(company, date(2026, 1, 5))
    assert verify_chain(company).findings == []
    with triggers_disabled() as cursor:
        cursor.execute(
            "UPDATE facturation_numberingseries SET next_number = next_number + 1 "
            "WHERE company_id = %s AND kind = 'facture' AND period = '2026'",
            [company.pk],
        )
    assert verify_chain(company).findings == [
        Finding(
            None,
            "numérotation facture 2026",
            COUNTER_AHEAD.format(taken=2, issued=1, first=144, last=144),
        )
    ]


def test_counters_ahead_after_a_format_change_are_reported_for_the_series(company):
    """After a change from a yearly to a monthly format, a document's counter is not known:
    each counter is compared with the documents that can have used it, then the series
    with all its documents."""
    issue(company, date(2026, 1, 5))
    NumberingFormat.objects.create(
        company=company, series="facture", pattern="F-{annee}{mois}-{numero:03d}"
    )
    issue(company, date(2026, 1, 6))
    assert sorted(counter(company).values_list("period", "next_number")) == [
        ("2026", 2), ("202601", 2),
    ]  # fmt: skip
    assert verify_chain(company).findings == []
    with triggers_disabled() as cursor:
        cursor.execute(
            "UPDATE facturation_numberingseries SET next_number = 3 "
            "WHERE company_id = %s AND kind = 'facture' AND period = '2026'",
            [company.pk],
        )
    # 2 numbers from "2026" is possible (two documents of 2026), 3 in all is not.
    assert verify_chain(company).findings == [
        Finding(None, "numérotation facture", COUNTERS_AHEAD.format(taken=3, issued=2))
    ]


def test_the_api_reports_the_event_log_with_the_register(client, company):
    """The verification endpoint checks the company's event log too."""
    token = factories.token(factories.member(company, Role.ACCOUNTANT))  # event #1
    export(company, 1)
    with triggers_disabled() as cursor:
        cursor.execute(
            "DELETE FROM pgi_evenement WHERE company_id = %s AND sequence = 1", [company.pk]
        )
    response = client.get(
        "/api/v1/registre/verification", headers={"Authorization": f"Bearer {token}"}
    )
    assert response.json() == {
        "records": 0,
        "events": 1,
        "ok": False,
        "findings": ["#2 journal des événements : trou dans la séquence : #1 attendu"],
    }


def test_a_time_sealed_in_another_form_is_not_a_false_alarm(company):
    """The time check compares bytes first, instants when the sealed form differs (another
    offset, no microseconds): the same instant is never reported."""
    paris = ZoneInfo("Europe/Paris")
    for n, at in enumerate(
        [datetime(2026, 1, 5, 10, 0, tzinfo=paris), datetime(2026, 1, 5, 9, 0, tzinfo=UTC),
         datetime(2026, 1, 5, 9, 0, 0, 250, tzinfo=UTC)],
        start=1,
    ):  # fmt: skip
        seal(company=company, kind="essai", reference=f"P{n}", document={}, at=at)
    assert verify_chain(company).findings == []
    with triggers_disabled() as cursor:
        cursor.execute(
            "UPDATE comptabilite_enregistrement SET recorded_at = recorded_at + "
            "interval '1 microsecond' WHERE company_id = %s AND sequence IN (1, 3)",
            [company.pk],
        )
    assert verify_chain(company).findings == [
        Finding(1, "P1", RETIMED),
        Finding(3, "P3", RETIMED),
    ]
    # Compared with the live data, not in the chain-only pass (the fast one).
    assert verify_chain(company, check_documents=False).findings == []
