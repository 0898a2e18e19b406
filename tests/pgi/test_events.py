"""The technical event log (BOI-TVA-DECLA-30-10-30): one HMAC chain per company and one for
the events tied to no company; tampering behind the application's back is reported with
exact findings (issue #23); the page shows what the chain covers, in the reader's language
and time zone (issue #15)."""

import threading
from datetime import UTC, datetime

import pytest
from django.db import DatabaseError, IntegrityError, OperationalError, connection, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_noop

from pgi.events import JOURNAL, event_record, events_verify
from pgi.locks import lock_journal_head
from pgi.models import Evenement, EventKind, JournalEvenements
from pgi.permissions import Role
from pgi.registre import Finding
from pgi.services import company_update, membership_change_role
from tests import factories
from tests.comptabilite.test_verify_registre import triggers_disabled
from tests.conftest import login

EXPORT = gettext_noop("Export CSV des clients (%(file)s)")


def export(company, n: int, user=None) -> list[Evenement]:
    return [
        event_record(
            kind=EventKind.EXPORT,
            summary=EXPORT,
            params={"file": f"clients-{i}.csv"},
            company=company,
            user=user,
        )  # fmt: skip
        for i in range(1, n + 1)
    ]


def chain(company) -> list[tuple[int, str]]:
    return list(
        Evenement.objects.filter(company=company)
        .order_by("sequence")
        .values_list("sequence", "kind")
    )


@pytest.mark.django_db
def test_logins_and_failures_go_to_the_log_of_each_company_of_the_person(
    client, owner_a, company_b
):
    """A login concerns the person: it is in the log of each of their companies, numbered
    in that log; a failed login for an unknown e-mail goes to the log of no company."""
    factories.Membership.objects.create(user=owner_a.user, company=company_b, role=Role.STAFF)
    client.post(reverse("login"), {"username": owner_a.user.email, "password": "wrong"})
    client.post(reverse("login"), {"username": owner_a.user.email, "password": factories.PASSWORD})
    client.logout()
    client.post(reverse("login"), {"username": "personne@example.com", "password": "x"})
    logins = [(1, EventKind.LOGIN_FAILED), (2, EventKind.LOGIN)]
    assert chain(owner_a.company) == logins
    assert chain(company_b) == logins
    assert chain(None) == [(1, EventKind.LOGIN_FAILED)]
    for company in (owner_a.company, company_b, None):
        assert events_verify(company).findings == []


@pytest.mark.django_db
def test_identity_and_role_changes_are_logged_with_their_details(company_a, owner_a):
    staff = factories.member(company_a, Role.STAFF)
    company_update(company=company_a, fields={"legal_name": "Alpha SAS"}, user=owner_a.user)
    membership_change_role(membership=staff, role=Role.ACCOUNTANT, user=owner_a.user)
    identity, role = Evenement.objects.order_by("sequence")
    assert identity.kind == EventKind.IDENTITY and "legal_name" in identity.summary
    assert b'"Alpha SARL","Alpha SAS"' in bytes(identity.payload)
    assert role.kind == EventKind.ROLE and "staff → accountant" in role.summary


@pytest.mark.django_db
def test_customer_export_is_logged(as_owner_a, company_a):
    response = as_owner_a.get(reverse("crm:client_export"))
    b"".join(response.streaming_content)
    assert Evenement.objects.filter(kind=EventKind.EXPORT, company=company_a).exists()


@pytest.mark.django_db
def test_each_company_has_its_own_numbering_and_head(company_a, company_b):
    """Issue #15: the "#" column of a company's log had holes (the site-wide sequence);
    each company's log now counts from 1 without a gap, with its own head."""
    for _ in range(2):
        export(company_a, 1)
        export(company_b, 1)
    assert [s for s, _k in chain(company_a)] == [1, 2]
    assert [s for s, _k in chain(company_b)] == [1, 2]
    heads = JournalEvenements.objects.filter(company__in=[company_a, company_b])
    assert sorted(heads.values_list("last_sequence", flat=True)) == [2, 2]


@pytest.mark.django_db(transaction=True)
def test_a_company_logs_while_another_companys_log_is_locked(company_a, company_b):
    """One lock per chain, not one for the whole site: while a transaction holds company A's
    log head, company B records at once, and A's next event waits for it."""
    held, release = threading.Event(), threading.Event()

    def hold_a() -> None:
        try:
            with transaction.atomic():
                export(company_a, 1)
                held.set()
                release.wait()
        finally:
            connection.close()

    holder = threading.Thread(target=hold_a)
    holder.start()
    try:
        assert held.wait(30)
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL lock_timeout = '30s'")
            export(company_b, 1)  # would wait for A's commit with a site-wide lock
        with pytest.raises(OperationalError, match="lock timeout"), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL lock_timeout = '50ms'")
            lock_journal_head(company_a)
    finally:
        release.set()
        holder.join()
    assert chain(company_b) == [(1, EventKind.EXPORT)]
    assert events_verify(company_a).ok and events_verify(company_b).ok


@pytest.mark.django_db
def test_the_log_is_append_only_and_an_altered_event_is_reported(company_a):
    export(company_a, 3)
    append_only = "pgtrigger: Cannot update or delete rows from pgi_evenement table"
    with pytest.raises(DatabaseError, match=append_only), transaction.atomic():
        Evenement.objects.filter(company=company_a, sequence=2).update(summary="rien")
    with triggers_disabled() as cursor:
        cursor.execute(
            "UPDATE pgi_evenement SET payload = convert_to("
            "replace(convert_from(payload, 'UTF8'), 'clients-2', 'clients-X'), 'UTF8') "
            "WHERE company_id = %s AND sequence = 2",
            [company_a.pk],
        )
    assert events_verify(company_a).findings == [
        Finding(2, JOURNAL, "événement altéré (empreinte invalide)")
    ]


@pytest.mark.django_db
def test_deleting_the_last_events_is_reported_against_the_head(company_a, company_b):
    """Issue #23: deleting the end of the log went unnoticed; the head now says where the
    log ends. Another company's log is not concerned."""
    export(company_a, 4)
    export(company_b, 2)
    with triggers_disabled() as cursor:
        cursor.execute(
            "DELETE FROM pgi_evenement WHERE company_id = %s AND sequence >= 3", [company_a.pk]
        )
    assert events_verify(company_a).findings == [
        Finding(
            None, JOURNAL,
            "fin du journal tronquée ou altérée : la tête du journal indique #4, le journal "
            "s'arrête à #2",
        )
    ]  # fmt: skip
    assert events_verify(company_b).findings == []


@pytest.mark.django_db
def test_a_deleted_middle_event_is_one_gap(company_a):
    export(company_a, 4)
    with triggers_disabled() as cursor:
        cursor.execute(
            "DELETE FROM pgi_evenement WHERE company_id = %s AND sequence = 2", [company_a.pk]
        )
    assert events_verify(company_a).findings == [
        Finding(3, JOURNAL, "trou dans la séquence : #2 attendu")
    ]


@pytest.mark.django_db
def test_a_head_that_is_not_the_last_event_is_reported(company_a):
    export(company_a, 3)
    with triggers_disabled() as cursor:
        cursor.execute(
            "UPDATE pgi_journalevenements SET last_fingerprint = 'x' WHERE company_id = %s",
            [company_a.pk],
        )
    assert events_verify(company_a).findings == [
        Finding(
            None, JOURNAL,
            "fin du journal altérée : l'empreinte de la tête du journal n'est pas celle du #3",
        )
    ]  # fmt: skip


@pytest.mark.django_db
def test_the_head_moves_only_onto_the_last_event(company_a):
    """The database refuses, at commit, a head moved outside `event_record`."""
    export(company_a, 2)
    with pytest.raises(IntegrityError, match="must be its last event"), transaction.atomic():
        JournalEvenements.objects.filter(company=company_a).update(last_sequence=1)
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("assignment", "column"),
    [
        ("summary = 'Export CSV des clients (autre.csv)'", "summary"),
        ("at = at - interval '3 days'", "at"),
        ("user_id = NULL", "user"),
        ("kind = 'connexion'", "kind"),
    ],
)
def test_a_column_changed_behind_the_application_is_reported(
    as_owner_a, company_a, owner_a, assignment, column
):
    """Issue #23: the time, user and text of an event were shown from columns the chain did
    not cover. The page now shows the sealed payload, and a changed column is reported."""
    export(company_a, 3, user=owner_a.user)
    with triggers_disabled() as cursor:
        cursor.execute(
            f"UPDATE pgi_evenement SET {assignment} WHERE company_id = %s AND sequence = 2",
            [company_a.pk],
        )
    assert events_verify(company_a).findings == [
        Finding(2, JOURNAL, f"colonnes différentes du contenu scellé : {column}")
    ]
    page = as_owner_a.get(reverse("comptabilite:evenements")).content.decode()
    assert "Export CSV des clients (clients-2.csv)" in page and "autre.csv" not in page


@pytest.mark.django_db
def test_event_log_page_is_for_owner_and_accountant(client, company_a, owner_a):
    export(company_a, 1)
    login(client, owner_a)
    assert "clients-1.csv" in client.get(reverse("comptabilite:evenements")).content.decode()
    login(client, factories.member(company_a, Role.STAFF))
    assert client.get(reverse("comptabilite:evenements")).status_code == 403


@pytest.mark.django_db
def test_the_page_numbers_the_companys_log_and_shows_its_members_logins(client, owner_a, company_b):
    """Issue #15: the "#" column runs 1, 2, 3 for the company, without the other companies'
    events in between."""
    export(company_b, 3)
    export(owner_a.company, 2)
    client.post(reverse("login"), {"username": owner_a.user.email, "password": factories.PASSWORD})
    response = client.get(reverse("comptabilite:evenements"))
    rows = response.context["events"]
    assert [e.sequence for e in rows] == [3, 2, 1]
    assert [e.kind for e in rows] == [EventKind.LOGIN, EventKind.EXPORT, EventKind.EXPORT]
    assert rows[0].user == owner_a.user.email
    assert rows[0].text == f"Connexion de {owner_a.user.email}"


@pytest.mark.django_db
def test_the_page_speaks_the_readers_language(client, owner_a):
    """Issue #15: entries stayed in French in English mode; the sealed message is
    translated when shown."""
    export(owner_a.company, 1, user=owner_a.user)
    login(client, owner_a)
    page = client.get(reverse("comptabilite:evenements"), HTTP_ACCEPT_LANGUAGE="en")
    text = page.content.decode()
    assert "CSV export of customers (clients-1.csv)" in text
    assert "Export CSV des clients" not in text


@pytest.mark.django_db
def test_the_page_shows_times_in_the_site_time_zone(as_owner_a, company_a):
    """Issue #15: times were shown in UTC; the page shows them in Europe/Paris."""
    event = export(company_a, 1)[0]
    page = as_owner_a.get(reverse("comptabilite:evenements")).content.decode()
    assert f"{timezone.localtime(event.at):%d/%m/%Y %H:%M:%S}" in page
    assert f"{event.at.astimezone(UTC):%d/%m/%Y %H:%M:%S}" not in page
    assert timezone.localtime(datetime(2026, 1, 1, 12, tzinfo=UTC)).hour == 13  # Paris


@pytest.mark.django_db
def test_the_integrity_check_names_who_started_it(client, owner_a):
    """Issue #15: a check started by the owner was logged with user "—"; the user reaches
    the task and the event."""
    factories.issued(factories.issuing_company())  # another company, for the record
    login(client, owner_a)
    client.post(reverse("comptabilite:integrite_lancer"))  # eager task in tests
    event = Evenement.objects.get(company=owner_a.company, kind=EventKind.INTEGRITY)
    assert event.user == owner_a.user
    rows = client.get(reverse("comptabilite:evenements")).context["events"]
    assert rows[0].user == owner_a.user.email
    assert rows[0].text.startswith("Vérification du registre : intègre")
