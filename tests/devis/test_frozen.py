"""A sent quote is frozen by the database, not only by the services (LEGAL.md §1): what the
customer received and may accept cannot be changed by any code running as the application's
role, raw SQL included; only its state, answer dates, its PDF (rendered once) and the options
the customer ticks move. The owner of the tables is the one who could still tamper
(tests/db_owner.py), which the transactional test below does to show what is left open."""

import pytest
from django.db import DatabaseError, ProgrammingError, connection, transaction

from devis import services
from devis.models import Devis, LigneDevis, Statut
from tests import db_owner, factories
from tests.devis import factories as quotes

pytestmark = pytest.mark.django_db

# The messages of the triggers devis_sent_frozen and ligne_devis_sent_frozen (devis.models):
# any other database error fails these tests.
QUOTE_FROZEN = "what was sent cannot change"
LINES_FROZEN = "devis: the lines of a sent quote cannot change"


@pytest.fixture
def seller():
    return factories.issuing_company("Menuiserie Robin SARL", email="atelier@robin.fr")


def refused(sql: str, params: list, message: str) -> None:
    with (
        pytest.raises(DatabaseError, match=message),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql, params)


@pytest.mark.parametrize(
    ("sql", "message"),
    [
        ("UPDATE devis_devis SET subject = 'Autre chose' WHERE id = %s", QUOTE_FROZEN),
        ("UPDATE devis_devis SET content = '{}'::jsonb WHERE id = %s", QUOTE_FROZEN),
        ("UPDATE devis_devis SET total_incl_vat = 1 WHERE id = %s", QUOTE_FROZEN),
        ("UPDATE devis_devis SET valid_until = '2099-12-31' WHERE id = %s", QUOTE_FROZEN),
        ("UPDATE devis_devis SET cgv = '' WHERE id = %s", QUOTE_FROZEN),
        ("UPDATE devis_devis SET pdf_sha256 = 'ab' WHERE id = %s", QUOTE_FROZEN),
        # back to a draft, to be edited through the services afterwards
        ("UPDATE devis_devis SET status = 'brouillon' WHERE id = %s", QUOTE_FROZEN),
        ("DELETE FROM devis_devis WHERE id = %s", QUOTE_FROZEN),
        ("UPDATE devis_lignedevis SET unit_price = 1 WHERE devis_id = %s", LINES_FROZEN),
        ("UPDATE devis_lignedevis SET optional = NOT optional WHERE devis_id = %s", LINES_FROZEN),
        ("DELETE FROM devis_lignedevis WHERE devis_id = %s", LINES_FROZEN),
        (
            "INSERT INTO devis_lignedevis (company_id, devis_id, position, designation, "
            "description, quantity, unit, unit_price, discount_rate, vat_rate, "
            "vat_exemption_reason, nature, category, optional, chosen) SELECT company_id, id, 9, "
            "'x', '', 1, 'unité', 1, 0, 20, '', 'service', 'fourniture', false, false "
            "FROM devis_devis WHERE id = %s",
            LINES_FROZEN,
        ),
    ],
)
def test_raw_sql_as_the_application_cannot_change_a_sent_quote(seller, sql, message):
    devis = services.devis_pdf_generer(devis_id=quotes.sent(seller).pk)
    refused(sql, [devis.pk], message)
    devis.refresh_from_db()
    assert devis.subject == "" and devis.status == Statut.SENT and devis.lines.count() == 4


def test_an_accepted_quote_cannot_have_its_ticked_options_changed(seller):
    devis = quotes.accepted(seller, options=[4])
    refused(
        "UPDATE devis_lignedevis SET chosen = false WHERE devis_id = %s", [devis.pk], LINES_FROZEN
    )
    refused("UPDATE devis_devis SET total_incl_vat = 1 WHERE id = %s", [devis.pk], QUOTE_FROZEN)
    assert LigneDevis.objects.get(devis=devis, position=4).chosen


def test_what_may_still_move_does_and_drafts_stay_editable(seller):
    """The services' own writes on a sent quote pass: viewed, PDF rendered once, acceptance
    ticking an option and adding it to the totals, invoicing, revising; a draft changes."""
    draft = quotes.draft(seller)
    services.devis_modifier(devis=draft, fields={"subject": "Escalier"})
    services.devis_lignes_enregistrer(devis=draft, lines=quotes.lines()[:2])
    services.devis_supprimer(devis=draft)
    devis = quotes.accepted(seller, options=[4])
    assert devis.status == Statut.ACCEPTED and devis.total_excl_vat == 1090
    services.lien_devis_renouveler(devis=devis)
    refused_quote = quotes.sent(seller)
    services.devis_marquer_vu(devis=refused_quote)
    services.devis_refuser(devis=refused_quote, reason="Trop cher")
    revision = services.devis_reviser(devis=refused_quote, user=None)
    services.devis_lignes_enregistrer(devis=revision, lines=quotes.lines()[:1])
    services.devis_annuler(devis=quotes.sent(seller), user=None)


@pytest.mark.skipif(
    "db_owner.one_role()",
    reason="DATABASE_URL's role owns the tables (no DATABASE_OWNER_URL): nothing to refuse",
)
def test_the_application_cannot_switch_the_freeze_off():
    for table in (Devis._meta.db_table, LigneDevis._meta.db_table):
        with pytest.raises(ProgrammingError, match="must be owner"), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")


@pytest.mark.django_db(transaction=True)
def test_only_the_owner_of_the_tables_can_tamper_and_the_sealed_acceptance_keeps_the_pdf(
    seller,
):
    """Behind the application's back (triggers off, as the tables' owner), a sent quote can
    be changed; the acceptance sealed in the register still names the PDF really accepted."""
    import json

    from devis.services import RECORD_KIND
    from pgi.models import Enregistrement

    devis = quotes.accepted(seller)
    refused("UPDATE devis_devis SET subject = 'x' WHERE id = %s", [devis.pk], QUOTE_FROZEN)
    with db_owner.triggers_disabled() as cursor:
        cursor.execute("UPDATE devis_devis SET pdf_sha256 = 'cafe' WHERE id = %s", [devis.pk])
    devis.refresh_from_db()
    assert devis.pdf_sha256 == "cafe"
    record = Enregistrement.objects.get(company=seller, kind=RECORD_KIND)
    assert json.loads(bytes(record.payload))["doc"]["pdf_sha256"] not in ("", "cafe")
