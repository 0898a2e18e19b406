"""The daily dunning run (issue #17): each (invoice, level) once, on business days, never an
"overdue" word before the due date, nothing for paid, disputed, promised or excluded."""

import email
import re
import socket
from datetime import date
from decimal import Decimal
from email import policy
from io import StringIO

import pytest
from aiosmtpd.controller import Controller
from django.core import mail
from django.core.management import call_command

from encaissement.models import EtatRelance, NatureNiveau, Relance
from encaissement.relances import services
from encaissement.relances.scenario import scenario_defaut_assurer
from encaissement.services import Allocation, paiement_enregistrer
from facturation.public import facture_from_token, public_url
from facturation.services import facture_emettre
from tests import factories

pytestmark = pytest.mark.django_db
ISSUED = date(2026, 1, 5)  # a Monday; 30 days → due Wednesday 4 February 2026
DUE = date(2026, 2, 4)


@pytest.fixture
def locmem(settings):
    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
    mail.outbox = []
    return mail.outbox


@pytest.fixture
def seller():
    return factories.issuing_company(
        "Atelier Durand", email="compta@atelier.example", phone="01 23 45 67 89"
    )


def _invoice(company, customer=None, amount="1000", **client_fields):
    customer = customer or factories.business_client(
        company, email="client@exemple.fr", **client_fields
    )
    draft = factories.draft(company, customer, lines=[factories.line(unit_price=amount)])
    return facture_emettre(facture=draft, user=None, today=ISSUED)


def _run(company, day: date) -> str:
    out = StringIO()
    call_command("run_dunning", "--company", company.siren, "--date", day.isoformat(), stdout=out)
    return out.getvalue()


def test_the_due_date_and_the_scenario_dates(seller, locmem):
    """Courtesy reminder 3 days before the due date: Sunday 1 Feb → Friday 30 Jan."""
    facture = _invoice(seller)
    assert facture.due_date == DUE
    assert "relances envoyées : 0" in _run(seller, date(2026, 1, 29))
    out = _run(seller, date(2026, 1, 30))
    assert "Rappel avant échéance : 1 envoyée(s)" in out
    assert out.strip().endswith("relances envoyées : 1")
    assert len(locmem) == 1


def test_running_twice_the_same_day_sends_each_reminder_once(seller, locmem):
    _invoice(seller)
    assert _run(seller, date(2026, 2, 11)).strip().endswith("relances envoyées : 1")
    assert _run(seller, date(2026, 2, 11)).strip().endswith("relances envoyées : 0")
    assert _run(seller, date(2026, 2, 12)).strip().endswith("relances envoyées : 0")
    assert len(locmem) == 1
    assert Relance.objects.get().state == EtatRelance.ENVOYEE


def test_an_invoice_not_yet_due_gets_only_the_courtesy_email_without_overdue_words(seller, locmem):
    """No "overdue" wording for an invoice that is not yet due (issue #17)."""
    _invoice(seller)
    for day in (date(2026, 1, 30), date(2026, 2, 2), date(2026, 2, 3), date(2026, 2, 4)):
        _run(seller, day)
    assert len(locmem) == 1
    text = (locmem[0].subject + locmem[0].body).lower()
    for word in ("retard", "impayée", "échue", "pénalités", "relance"):
        assert word not in text
    assert "arrive à échéance le 04/02/2026" in locmem[0].body


def test_a_late_first_run_sends_only_the_latest_level_due(seller, locmem):
    """An invoice first seen 40 days late gets the penalties reminder, not four emails."""
    _invoice(seller)
    out = _run(seller, date(2026, 3, 16))
    assert "Relance avec pénalités : 1 envoyée(s)" in out
    assert len(locmem) == 1
    assert "pénalités de retard" in locmem[0].body.lower()


def test_paid_disputed_promised_and_excluded_invoices_get_nothing(seller, locmem):
    paid, disputed, promised, excluded, dunned = (_invoice(seller) for _ in range(5))
    paiement_enregistrer(
        company=seller, user=None, client=paid.client, day=DUE, amount=paid.total_incl_vat,
        method="virement", allocations=[Allocation(paid.pk, paid.total_incl_vat)],
    )  # fmt: skip
    services.litige_ouvrir(facture=disputed, reason="Livraison incomplète", user=None)
    services.promesse_enregistrer(
        facture=promised, day=date(2026, 2, 20), amount=Decimal("100"), user=None,
        today=date(2026, 2, 10),
    )  # fmt: skip
    services.profil_relance_modifier(client=excluded.client, do_not_dun=True, scenario=None)
    out = _run(seller, date(2026, 2, 11))
    assert "relances envoyées : 1" in out
    assert "factures non relancées en litige : 1" in out
    assert [m.to for m in locmem] == [[dunned.client.email]]
    assert set(Relance.objects.values_list("facture_id", flat=True)) == {dunned.pk}
    # The promise is not kept: dunning resumes the day after the promised date.
    _run(seller, date(2026, 2, 20))
    assert not Relance.objects.filter(facture=promised).exists()
    _run(seller, date(2026, 2, 25))
    assert Relance.objects.filter(facture=promised).exists()


def test_the_formal_notice_is_a_letter_then_the_invoice_goes_to_collection(
    seller, locmem, client, settings
):
    """+50: a letter to print (no email); +60 falls on Easter Monday 2026 (a public
    holiday, after a Sunday): the invoice goes to collection on Tuesday 7 April."""
    facture = _invoice(seller)
    out = _run(seller, date(2026, 3, 26))
    assert "Mise en demeure : 1 lettre(s) à imprimer" in out
    assert "relances envoyées : 0" in out and locmem == []
    letter = Relance.objects.get(facture=facture)
    assert "article 1344 du Code civil" in letter.body
    assert letter.penalties > 0 and letter.indemnity == Decimal("40.00")
    _run(seller, date(2026, 4, 6))
    assert not Relance.objects.filter(nature=NatureNiveau.RECOUVREMENT).exists()
    _run(seller, date(2026, 4, 7))
    assert Relance.objects.get(nature=NatureNiveau.RECOUVREMENT).state == EtatRelance.ENREGISTREE
    from tests.conftest import login

    login(client, factories.member(seller))
    response = client.get(f"/creances/relance/{letter.pk}/lettre.pdf")
    assert response.status_code == 200 and response.content.startswith(b"%PDF")


def test_penalty_amounts_in_the_reminder(seller, locmem):
    """+35 (11 March 2026): 1,200 € owed for 35 days at 12.15 % = 13.98 €, plus 40 €."""
    _invoice(seller)
    _run(seller, date(2026, 3, 11))
    body = locmem[0].body
    assert "Pénalités de retard à ce jour : 13,98\u00a0€" in body
    assert "Indemnité forfaitaire de recouvrement : 40,00\u00a0€" in body
    assert "Total : 1\u202f253,98\u00a0€" in body
    assert "12,15\u202f%" in body


class Inbox:
    def __init__(self):
        self.messages: list[bytes] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope.content)
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp(settings):
    inbox = Inbox()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": port, "use_tls": False, "timeout": 10},
        }
    }  # fmt: skip
    yield inbox
    controller.stop()


def test_a_reminder_through_a_real_smtp_server(seller, smtp):
    """The message as a mail server receives it: the company's name as sender and its
    address to reply to, a text and an HTML part, each with the payment link and amounts."""
    facture = _invoice(seller)
    assert _run(seller, date(2026, 2, 11)).strip().endswith("relances envoyées : 1")
    assert len(smtp.messages) == 1
    message = email.message_from_bytes(smtp.messages[0], policy=policy.default)
    assert message["To"] == "client@exemple.fr"
    assert "Atelier Durand" in message["From"]
    assert message["Reply-To"] == "compta@atelier.example"
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    # The link signs its time: read it back from the message rather than sign it again.
    (link,) = set(re.findall(r"https?://\S+/d/[^/\s]+/", text))
    assert link.startswith(public_url(facture).split("/d/")[0] + "/d/")
    assert facture_from_token(link.rstrip("/").rsplit("/", 1)[1]) == facture
    assert f'href="{link}"' in html
    assert "1\u202f200,00\u00a0€" in text and "1\u202f200,00\u00a0€" in html
    assert facture.number in message["Subject"]


def test_a_refusal_by_the_mail_server_is_recorded_and_shown(seller, smtp):
    """A refused recipient is not lost: the reminder says so, on the invoice's history."""

    async def refuse(server, session, envelope, address, rcpt_options):
        return "550 5.1.1 Mailbox unavailable"

    smtp.handle_RCPT = refuse
    facture = _invoice(seller)
    _run(seller, date(2026, 2, 11))
    relance = Relance.objects.get(facture=facture)
    assert relance.state == EtatRelance.REFUSEE and "Mailbox unavailable" in relance.error
    from facturation.selectors import facture_timeline

    texts = [e.get("text", "") for e in facture_timeline(facture)]
    assert any("Refusée par le serveur" in t and "Mailbox unavailable" in t for t in texts)


def test_scenario_is_created_once_per_company(seller):
    first = scenario_defaut_assurer(company=seller)
    assert scenario_defaut_assurer(company=seller).pk == first.pk
    assert first.niveaux.count() == 6


def test_the_one_pass_selection_agrees_with_the_one_amount_due(seller):
    """The daily pass over every company joins the reductions of `with_amount_due` instead
    of its subqueries: the same amount due, credit notes and payments included."""
    from encaissement.relances.planning import ouvertes_toutes
    from facturation.selectors import facture_lire
    from facturation.services import avoir_creer

    partly = _invoice(seller)
    paiement_enregistrer(
        company=seller, user=None, client=partly.client, day=DUE, amount=Decimal("200"),
        method="virement", allocations=[Allocation(partly.pk, Decimal("200"))],
    )  # fmt: skip
    facture_emettre(
        facture=avoir_creer(
            facture=partly, user=None, amount_excl_vat=Decimal("100"), vat_rate=Decimal("20")
        ),
        user=None, today=ISSUED,
    )  # fmt: skip
    paid = _invoice(seller, amount="50")
    paiement_enregistrer(
        company=seller, user=None, client=paid.client, day=DUE, amount=Decimal("60"),
        method="virement", allocations=[Allocation(paid.pk, Decimal("60"))],
    )  # fmt: skip
    other = factories.issuing_company("Autre SAS")
    _invoice(other)
    rows = {row.pk: row for row in ouvertes_toutes(today=DUE, company_ids=[seller.pk])}
    assert set(rows) == {partly.pk}
    assert rows[partly.pk].amount_due == facture_lire(company=seller, pk=partly.pk).amount_due
    assert rows[partly.pk].amount_due == Decimal("880.00")  # 1200 - 200 - 120


def test_an_invoice_without_a_known_rate_is_left_out_and_the_others_are_sent(seller, locmem):
    """Rates are never guessed: an invoice late since before the first ECB rate entered gets
    nothing (logged for the admin) and does not stop the other reminders of the run."""
    from encaissement.models import TauxBCE

    old = _invoice(seller)
    TauxBCE.objects.all().delete()
    TauxBCE.objects.create(date_effet=date(2026, 2, 1), taux=Decimal("2.15"))
    # `old` is due 4 Feb 2026, late from 5 Feb: the rate of the half-year (1 January) is
    # unknown. A later invoice of the same customer, courtesy only, has no penalties at all.
    customer = old.client
    later = facture_emettre(
        facture=factories.draft(seller, customer), user=None, today=date(2026, 2, 2)
    )
    out = _run(seller, date(2026, 2, 27))
    assert out.strip().endswith("relances envoyées : 1")
    assert list(Relance.objects.values_list("facture_id", flat=True)) == [later.pk]


def test_the_collection_file_gathers_the_claim_and_the_documents(seller, locmem, client):
    """After the formal notice, "à recouvrer": one page with both parties, the claim and its
    penalties counted to the day, and the reminders and the letter as documents."""
    from tests.conftest import login

    facture = _invoice(seller)
    for day in (date(2026, 2, 11), date(2026, 3, 26), date(2026, 4, 7)):
        _run(seller, day)
    login(client, factories.member(seller))
    page = client.get(f"/creances/facture/{facture.pk}/recouvrement/")
    assert page.status_code == 200
    text = page.content.decode()
    assert facture.buyer["name"] in text and "SIREN" in text
    assert "Mise en demeure" in text and "Première relance" in text and "lettre.pdf" in text
    assert "Aucune mise en demeure" not in text
    pen = page.context["pen"]
    assert pen.indemnity == Decimal("40.00") and pen.interest > 0
    assert page.context["total"] == Decimal("1200.00") + pen.interest + Decimal("40.00")


def test_a_private_customer_owes_only_legal_interest_from_the_formal_notice(seller, locmem):
    """LEGAL.md §6: no L441-10 penalties nor 40 € for a private customer; the legal interest
    rate (2.76 % for the second half of 2025, the latest entered) runs from the notice on."""
    from encaissement.relances.contenu import penalites_facture

    customer = factories.client(
        seller, name="Jeanne Martin", kind="particulier", email="jeanne@exemple.fr",
        billing_line1="3 rue des Lilas", billing_postal_code="75011", billing_city="Paris",
    )  # fmt: skip
    facture = _invoice(seller, customer)
    _run(seller, date(2026, 3, 11))  # the penalties level: nothing owed yet
    assert "Pénalités de retard à ce jour : 0,00\u00a0€" in locmem[0].body
    assert "Indemnité forfaitaire de recouvrement : 0,00\u00a0€" in locmem[0].body
    _run(seller, date(2026, 3, 26))  # the formal notice letter
    pen = penalites_facture(facture, today=date(2026, 4, 25), mode="bce")
    assert [(p.start, p.days, p.rate) for p in pen.periods] == [
        (date(2026, 3, 27), 30, Decimal("2.76"))
    ]
    assert (pen.interest, pen.indemnity) == (
        Decimal("2.72"),
        Decimal("0"),
    )  # 1200 × 2.76 % × 30/365


def test_the_formal_notice_to_a_private_customer_claims_no_indemnity(seller, locmem):
    """The printed letter claims the legal interest from the notice on, and no 40 €."""
    import io

    from pypdf import PdfReader

    from encaissement.relances.lettre import lettre_pdf

    customer = factories.client(
        seller, name="Jeanne Martin", kind="particulier", email="jeanne@exemple.fr",
        billing_line1="3 rue des Lilas", billing_postal_code="75011", billing_city="Paris",
    )  # fmt: skip
    facture = _invoice(seller, customer)
    _run(seller, date(2026, 3, 26))
    letter = Relance.objects.get(facture=facture, channel="lettre")
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(lettre_pdf(letter))).pages)
    text = " ".join(text.split())
    assert "Intérêts au taux légal" in text and "à compter de la présente mise en demeure" in text
    assert "Indemnité forfaitaire" not in text
