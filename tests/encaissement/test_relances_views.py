"""The owner's side of dunning (issue #17): receivables by state with totals and exports,
"Relancer maintenant" reviewed before it leaves, disputes and promises pausing reminders."""

import csv
import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone
from openpyxl import load_workbook

from encaissement.models import EtatRelance, Litige, PromessePaiement, Relance
from encaissement.relances.services import relances_executer
from facturation.services import facture_emettre
from pgi.permissions import Role
from tests import factories
from tests.conftest import login

pytestmark = pytest.mark.django_db


@pytest.fixture
def seller():
    return factories.issuing_company("Atelier Durand", email="compta@atelier.example")


@pytest.fixture
def company_b():
    return factories.issuing_company("Autre SAS")


@pytest.fixture
def owner(client, seller):
    return login(client, factories.member(seller, Role.OWNER))


@pytest.fixture(autouse=True)
def locmem(settings):
    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
    mail.outbox = []


def _issued(company, days_ago: int, amount="100", customer=None):
    """An invoice issued `days_ago` days ago, due 30 days after its issue."""
    customer = customer or factories.business_client(company, email="client@exemple.fr")
    draft = factories.draft(company, customer, lines=[factories.line(unit_price=amount)])
    today = timezone.localdate()
    return facture_emettre(facture=draft, user=None, today=today - timedelta(days=days_ago))


def test_receivables_filters_and_totals(owner, seller, company_b):
    not_due = _issued(seller, 10, "100")  # due in 20 days
    late_10 = _issued(seller, 40, "200")
    late_45 = _issued(seller, 75, "300")
    late_100 = _issued(seller, 130, "400")
    _issued(company_b, 75, "999")  # another company's: never shown
    response = owner.get("/creances/")
    assert response.status_code == 200
    totals = {f["key"]: (f["count"], f["amount"]) for f in response.context["filtres"]}
    assert totals[""] == (4, Decimal("1200.00"))
    assert totals["a_echoir"] == (1, Decimal("120.00"))
    assert totals["retard_1_30"] == (1, Decimal("240.00"))
    assert totals["retard_31_60"] == (1, Decimal("360.00"))
    assert totals["retard_90"] == (1, Decimal("480.00"))
    shown = owner.get("/creances/?etat=retard_31_60").context["rows"]
    assert [r["facture"].pk for r in shown] == [late_45.pk]
    assert {r["facture"].pk for r in owner.get("/creances/").context["rows"]} == {
        not_due.pk, late_10.pk, late_45.pk, late_100.pk
    }  # fmt: skip


def test_exports_follow_the_filter(owner, seller):
    late = _issued(seller, 75, "300")
    _issued(seller, 10, "100")
    response = owner.get("/creances/export.csv?etat=retard_31_60")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][0] == "Facture" and len(rows) == 2
    assert rows[1][0] == late.number and rows[1][6] == "360,00"
    response = owner.get("/creances/export.xlsx")
    sheet = load_workbook(io.BytesIO(response.content)).active
    values = list(sheet.iter_rows(values_only=True))
    assert len(values) == 3 and Decimal(str(values[2][6])) in {Decimal("360"), Decimal("120")}


def test_dun_now_shows_the_text_first_and_sends_on_confirm(owner, seller):
    facture = _issued(seller, 40)  # 10 days late: the first reminder is due
    page = owner.get(f"/creances/facture/{facture.pk}/relancer/")
    assert page.status_code == 200
    assert "Première relance" in page.content.decode()
    assert not Relance.objects.exists() and mail.outbox == []  # a GET writes nothing
    body = page.context["form"].initial["body"] + "\n\nPS : merci d'avance."
    response = owner.post(
        f"/creances/facture/{facture.pk}/relancer/",
        {"subject": page.context["form"].initial["subject"], "body": body},
    )
    assert response.status_code == 302
    relance = Relance.objects.get()
    assert relance.manual and relance.state == EtatRelance.ENVOYEE
    assert mail.outbox[0].body.endswith("PS : merci d'avance.")
    # The daily run does not send that level again.
    relances_executer(company=seller, today=timezone.localdate())
    assert len(mail.outbox) == 1


def test_a_dispute_pauses_dunning_until_resolved(owner, seller):
    facture = _issued(seller, 40)
    response = owner.post(
        f"/creances/facture/{facture.pk}/litige/", {"reason": "Prestation non conforme"}
    )
    assert response.status_code == 302
    relances_executer(company=seller, today=timezone.localdate())
    assert mail.outbox == []
    litige = Litige.objects.get()
    owner.post(f"/creances/litige/{litige.pk}/resoudre/", {"note": "Reprise après échange"})
    relances_executer(company=seller, today=timezone.localdate())
    assert len(mail.outbox) == 1
    page = owner.get(facture.get_absolute_url()).content.decode()
    assert "Litige ouvert" in page and "Litige résolu : Reprise après échange" in page


def test_a_promise_is_recorded_from_french_input(owner, seller):
    facture = _issued(seller, 40)
    day = timezone.localdate() + timedelta(days=7)
    response = owner.post(
        f"/creances/facture/{facture.pk}/promesse/",
        {"date": day.isoformat(), "amount": "1 234,50", "note": "au téléphone"},
    )
    assert response.status_code == 302
    assert PromessePaiement.objects.get().amount == Decimal("1234.50")
    relances_executer(company=seller, today=timezone.localdate())
    assert mail.outbox == []


def test_a_customer_marked_do_not_dun_gets_nothing(owner, seller):
    facture = _issued(seller, 40)
    owner.post(f"/creances/client/{facture.client_id}/profil/", {"do_not_dun": "on"})
    relances_executer(company=seller, today=timezone.localdate())
    assert mail.outbox == []
    assert "Ne pas relancer" in owner.get(facture.client.get_absolute_url()).content.decode()


def test_an_accountant_reads_but_does_not_dun_and_other_companies_are_hidden(
    client, seller, company_b
):
    login(client, factories.member(seller, Role.ACCOUNTANT))
    facture = _issued(seller, 40)
    assert client.get("/creances/").status_code == 200
    assert client.post(f"/creances/facture/{facture.pk}/litige/", {"reason": "x"}).status_code in (
        302, 403,
    )  # fmt: skip
    assert not Litige.objects.exists()
    other = _issued(company_b, 40)
    login(client, factories.member(seller, Role.OWNER))
    assert client.get(f"/creances/facture/{other.pk}/relancer/").status_code == 404
    assert client.post(f"/creances/facture/{other.pk}/litige/", {"reason": "x"}).status_code == 404


def _scenario_data(name: str, mode: str, levels) -> dict:
    """What the scenario page posts: its name and mode, and each level as it is."""
    data = {
        "name": name, "penalty_mode": mode, "form-TOTAL_FORMS": str(len(levels)),
        "form-INITIAL_FORMS": str(len(levels)), "form-MIN_NUM_FORMS": "0",
        "form-MAX_NUM_FORMS": "1000",
    }  # fmt: skip
    for i, level in enumerate(levels):
        data.update({
            f"form-{i}-id": level.pk, f"form-{i}-name": level.name,
            f"form-{i}-delay_days": level.delay_days, f"form-{i}-channel": level.channel,
            f"form-{i}-subject": level.subject, f"form-{i}-body": level.body,
        })  # fmt: skip
    return data


def test_the_scenario_is_shown_without_writing_then_edited(owner, seller):
    """A GET shows the default levels without creating them; saving creates and edits them;
    an unknown variable and an overdue level before the due date are refused."""
    from encaissement.models import NiveauRelance, ScenarioRelance

    page = owner.get("/creances/scenario/")
    assert page.status_code == 200 and "Mise en demeure" in page.content.decode()
    assert not ScenarioRelance.objects.exists()
    owner.post("/creances/scenario/", {"name": "Standard", "penalty_mode": "bce"})
    levels = list(NiveauRelance.objects.order_by("position"))
    assert len(levels) == 6
    data = _scenario_data("Standard", "societe", levels)
    data["form-1-delay_days"] = "10"
    assert owner.post("/creances/scenario/", data).status_code == 302
    assert NiveauRelance.objects.get(pk=levels[1].pk).delay_days == 10
    assert ScenarioRelance.objects.get().penalty_mode == "societe"
    refused = dict(data, **{"form-1-body": "Bonjour {clien}", "form-2-delay_days": "-2"})
    response = owner.post("/creances/scenario/", refused)
    assert response.status_code == 200
    errors = str(response.context["formset"].errors)
    assert "{clien}" in errors and "avant échéance" in errors


def test_another_scenario_for_some_customers(owner, seller, company_b):
    """ "Nouveau scénario" copies the default's levels; it is edited on its own page and
    given to a customer, whose invoices then follow it; another company's is out of reach."""
    from encaissement.models import NiveauRelance, ProfilRelance, ScenarioRelance

    response = owner.post("/creances/scenario/nouveau/", {"name": "Collectivités"})
    gentle = ScenarioRelance.objects.get(name="Collectivités")
    assert response["Location"] == f"/creances/scenario/{gentle.pk}/"
    assert not gentle.is_default and gentle.niveaux.count() == 6
    assert ScenarioRelance.objects.filter(is_default=True).count() == 1
    page = owner.get(f"/creances/scenario/{gentle.pk}/").content.decode()
    assert "Collectivités" in page and "Scénario standard" in page
    levels = list(gentle.niveaux.order_by("position"))
    data = _scenario_data("Collectivités", "bce", levels)
    data["form-1-delay_days"] = "45"
    assert owner.post(f"/creances/scenario/{gentle.pk}/", data).status_code == 302
    assert NiveauRelance.objects.get(pk=levels[1].pk).delay_days == 45
    default_second = NiveauRelance.objects.get(scenario__is_default=True, position=2)
    assert default_second.delay_days != 45  # the default is untouched
    assert (
        "déjà ce nom"
        in owner.post(
            "/creances/scenario/nouveau/", {"name": "collectivités"}, follow=True
        ).content.decode()
    )
    customer = factories.business_client(seller)
    owner.post(f"/creances/client/{customer.pk}/profil/", {"scenario": gentle.pk})
    assert ProfilRelance.objects.get(client=customer).scenario == gentle
    foreign = ScenarioRelance.objects.create(company=company_b, name="Autre")
    assert owner.get(f"/creances/scenario/{foreign.pk}/").status_code == 404


def test_the_daily_beat_task_hands_each_company_with_something_due_to_its_task(seller):
    """Celery beat's daily run (eager in tests): one pass finds what is due, then each
    company's task records and sends; a second run the same day sends nothing more."""
    from encaissement.relances.tasks import run_dunning

    _issued(seller, 40)
    _issued(factories.issuing_company("Sans retard SAS"), 5)
    assert run_dunning.delay().get() == 1
    assert len(mail.outbox) == 1
    assert run_dunning.delay().get() == 0
    assert len(mail.outbox) == 1


def test_effectiveness_per_level_counts_what_was_paid_after_each_reminder(owner, seller):
    """Dunning effectiveness (issue #17): what was paid within 15 days after each level."""
    from encaissement.services import Allocation, paiement_enregistrer

    facture = _issued(seller, 40)  # the first reminder goes out today
    _issued(seller, 40)  # reminded too, never paid
    relances_executer(company=seller, today=timezone.localdate())
    paiement_enregistrer(
        company=seller, user=None, client=facture.client, day=timezone.localdate(),
        amount=Decimal("50"), method="virement",
        allocations=[Allocation(facture.pk, Decimal("50"))],
    )  # fmt: skip
    rows = owner.get("/creances/").context["efficacite"]
    assert rows == [{"level": "Première relance", "count": 2, "paid": Decimal("50.00")}]


def test_the_customer_disputes_or_promises_from_the_payment_page(client, seller):
    """From the invoice's signed link, no account: "je conteste cette facture" with a message,
    or a promise to pay; either pauses dunning and shows on the owner's history."""
    from facturation.public import public_url

    disputed, promised = _issued(seller, 40), _issued(seller, 40)
    token = public_url(disputed).rstrip("/").rsplit("/", 1)[1]
    page = client.get(f"/d/{token}/")
    assert "Je conteste cette facture" in page.content.decode()
    response = client.post(f"/d/{token}/relances/contester/", {"message": "Jamais livré"})
    assert response.status_code == 302
    litige = Litige.objects.get()
    assert (litige.facture_id, litige.source, litige.message) == (
        disputed.pk, "client", "Jamais livré",
    )  # fmt: skip
    other = public_url(promised).rstrip("/").rsplit("/", 1)[1]
    day = (timezone.localdate() + timedelta(days=10)).isoformat()
    client.post(f"/d/{other}/relances/promettre/", {"date": day, "amount": "60,00"})
    assert PromessePaiement.objects.get().source == "client"
    relances_executer(company=seller, today=timezone.localdate())
    assert mail.outbox == []
    assert client.post("/d/not-a-token/relances/contester/", {"message": "x"}).status_code == 404


def test_the_team_is_told_when_the_customer_disputes_or_promises(
    client, seller, django_capture_on_commit_callbacks
):
    """A dispute or a promise typed by the customer emails the members who may act on it
    (owner and staff, not the accountant), once, with the message and the invoice's page."""
    from facturation.public import public_url
    from pgi.models import EtatNotification, Notification

    factories.member(seller, Role.OWNER, email="gerant@atelier.example")
    factories.member(seller, Role.STAFF, email="equipe@atelier.example")
    factories.member(seller, Role.ACCOUNTANT, email="expert@cabinet.example")
    disputed, promised = _issued(seller, 40), _issued(seller, 40)
    token = public_url(disputed).rstrip("/").rsplit("/", 1)[1]
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/d/{token}/relances/contester/", {"message": "Jamais livré"})
    (sent,) = mail.outbox
    assert sent.to == ["equipe@atelier.example", "gerant@atelier.example"]
    assert (
        sent.subject
        == f"[Atelier Durand] {disputed.client.name} conteste la facture {disputed.number}"
    )
    assert "Jamais livré" in sent.body and f"/factures/{disputed.pk}/" in sent.body
    other = public_url(promised).rstrip("/").rsplit("/", 1)[1]
    day = timezone.localdate() + timedelta(days=10)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/d/{other}/relances/promettre/", {"date": day.isoformat(), "amount": "60,00"})
    assert len(mail.outbox) == 2
    assert "60,00" in mail.outbox[1].body and day.strftime("%d/%m/%Y") in mail.outbox[1].body
    assert set(Notification.objects.values_list("state", flat=True)) == {EtatNotification.SENT}


def test_a_dispute_opened_by_the_owner_notifies_nobody(owner, seller):
    facture = _issued(seller, 40)
    owner.post(f"/creances/facture/{facture.pk}/litige/", {"reason": "Prestation non conforme"})
    from pgi.models import Notification

    assert not Notification.objects.exists()
