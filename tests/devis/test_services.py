"""Quotes through their services: sending (mentions, numbering), the customer's answer,
expiry, revisions, conversion into invoices."""

import json
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone

from devis import selectors, services
from devis.exceptions import DevisError
from devis.models import Acceptation, Devis, Statut
from devis.public import devis_from_token, public_token
from devis.services import RECORD_KIND
from devis.tasks import expire_quotes
from facturation.services import facture_emettre
from pgi.models import Enregistrement
from pgi.registre import verify_chain
from tests import factories
from tests.devis import factories as quotes

pytestmark = pytest.mark.django_db


@pytest.fixture
def seller():
    return factories.issuing_company(
        "Peintures Martin SARL", legal_form="SARL", email="gerant@martin.fr"
    )


def test_a_draft_uses_the_shared_totals_engine_options_left_out(seller):
    devis = quotes.draft(seller)
    lines = list(devis.lines.all())
    assert [line.category for line in lines] == ["fourniture", "main_oeuvre", "deplacement",
                                                 "fourniture"]  # fmt: skip
    assert lines[3].optional and not lines[3].counts
    sent = quotes.sent(seller, devis.client)
    # 20×25 + 8×45 + 30 = 890 HT, 20 % VAT; the option (200 HT) is not in the total.
    assert sent.total_excl_vat == Decimal("890.00")
    assert sent.total_incl_vat == Decimal("1068.00")
    assert sent.content["options_total_excl_vat"] == "200.00"


def test_sending_numbers_per_company_and_year_and_validity_defaults_to_30_days(seller):
    first = quotes.sent(seller)
    second = quotes.sent(seller)
    year = timezone.localdate().year
    assert first.reference == f"D-{year}-0001"
    assert second.reference == f"D-{year}-0002"
    assert first.valid_until == first.issue_date + timedelta(days=30)
    assert first.status == Statut.SENT
    other = quotes.sent(factories.issuing_company("Autre SAS"))
    assert other.reference == f"D-{year}-0001"  # per company


def test_every_missing_mention_is_listed_at_once_and_sending_refused(seller):
    seller.siren = ""
    seller.registry_city = ""
    seller.save()
    client = factories.client(seller, name="Sans Adresse", kind="particulier")
    devis = quotes.draft(seller, client, start_date=None, duration="", after_sales_terms="")
    with pytest.raises(DevisError) as error:
        services.devis_envoyer(devis=devis, user=None, recipients=["a@b.fr"], subject="s",
                               body="b")  # fmt: skip
    text = "\n".join(error.value.problems)
    assert "SIREN manquant" in text
    assert "ville du greffe (RCS) manquante" in text
    assert "adresse de facturation incomplète" in text
    assert "« date de début des travaux ou de la prestation » à compléter" in text
    assert "« durée estimée » à compléter" in text
    assert "« réclamations et service après-vente » à compléter" in text
    devis.refresh_from_db()
    assert devis.status == Statut.DRAFT and devis.number == ""


def test_an_artisan_with_compulsory_insurance_must_name_the_insurer(seller):
    services.parametres_devis_enregistrer(company=seller, fields={"insurance_required": True})
    devis = quotes.draft(seller)
    with pytest.raises(DevisError) as error:
        services.devis_envoyer(devis=devis, user=None, recipients=["a@b.fr"], subject="s",
                               body="b")  # fmt: skip
    assert any("assureur manquant" in p for p in error.value.problems)
    assert any("couverture géographique" in p for p in error.value.problems)


def test_acceptance_is_sealed_with_its_evidence_and_twice_changes_nothing(
    seller, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        devis = quotes.accepted(seller, options=[4])
    assert devis.status == Statut.ACCEPTED
    # the option ticked is now in the total: 890 + 200 HT
    assert devis.total_excl_vat == Decimal("1090.00")
    acceptation = Acceptation.objects.get(devis=devis)
    record = Enregistrement.objects.get(company=seller, kind=RECORD_KIND)
    sealed = json.loads(bytes(record.payload))["doc"]
    assert sealed["name"] == "Jeanne Client"
    assert sealed["ip"] == "203.0.113.7"
    assert sealed["user_agent"] == "pytest"
    assert sealed["pdf_sha256"] == devis.pdf_sha256 == acceptation.pdf_sha256
    assert "Bon pour accord" in sealed["consent_text"]
    assert sealed["options"] == [4]
    assert verify_chain(seller).ok
    # the signed copy went to the customer, the notice to the owner
    subjects = {m.subject: m for m in mail.outbox}
    copy = next(m for s, m in subjects.items() if "signé" in s)
    assert copy.attachments[0][0].endswith("-signe.pdf")
    assert any("accepté par" in s for s in subjects)
    acceptation.refresh_from_db()
    assert acceptation.signed_sha256

    again = services.devis_accepter(
        devis=devis, name="Autre", consent=True, options=[], pdf_sha256=devis.pdf_sha256
    )
    assert again.status == Statut.ACCEPTED
    assert Enregistrement.objects.filter(company=seller, kind=RECORD_KIND).count() == 1
    assert Acceptation.objects.get(devis=devis).name == "Jeanne Client"


def test_acceptance_needs_a_name_the_consent_and_the_pdf_shown(seller):
    devis = services.devis_pdf_generer(devis_id=quotes.sent(seller).pk)
    with pytest.raises(DevisError) as error:
        services.devis_accepter(devis=devis, name=" ", consent=False, options=[],
                                pdf_sha256="0" * 64)  # fmt: skip
    assert len(error.value.problems) == 3


def test_refused_or_expired_quotes_cannot_be_accepted(seller):
    refused = services.devis_pdf_generer(devis_id=quotes.sent(seller).pk)
    services.devis_refuser(devis=refused, reason="Trop cher")
    refused.refresh_from_db()
    assert refused.status == Statut.REFUSED and refused.refusal_reason == "Trop cher"
    with pytest.raises(DevisError, match="refusé"):
        services.devis_accepter(devis=refused, name="Jeanne", consent=True, options=[],
                                pdf_sha256=refused.pdf_sha256)  # fmt: skip

    late = services.devis_pdf_generer(devis_id=quotes.sent(seller).pk)
    with pytest.raises(DevisError, match="expiré"):
        services.devis_accepter(
            devis=late, name="Jeanne", consent=True, options=[], pdf_sha256=late.pdf_sha256,
            now=timezone.now() + timedelta(days=31),
        )  # fmt: skip


def test_the_daily_task_expires_past_quotes_and_reminds_before(
    seller, django_capture_on_commit_callbacks
):
    old = quotes.sent(seller)
    soon = quotes.sent(seller)
    fresh = quotes.sent(seller)
    today = timezone.localdate()
    Devis.objects.filter(pk=old.pk).update(valid_until=today - timedelta(days=1))
    Devis.objects.filter(pk=soon.pk).update(valid_until=today + timedelta(days=3))
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert expire_quotes() == {"expired": 1, "reminded": 1}
    old.refresh_from_db(), soon.refresh_from_db(), fresh.refresh_from_db()
    assert old.status == Statut.EXPIRED
    assert soon.status == Statut.SENT and soon.reminder_sent_at is not None
    assert fresh.reminder_sent_at is None
    assert [m.subject for m in mail.outbox] == [
        f"Rappel : le devis {soon.reference} expire le {soon.valid_until:%d/%m/%Y}"
    ]
    assert expire_quotes() == {"expired": 0, "reminded": 0}  # once


def test_a_revision_keeps_the_number_supersedes_and_the_link_follows(seller):
    first = quotes.sent(seller)
    token = public_token(first)
    revision = services.devis_reviser(devis=first, user=None)
    assert revision.status == Statut.DRAFT and revision.version == 2
    assert services.devis_reviser(devis=first, user=None) == revision  # one draft at a time
    assert devis_from_token(token) == first  # until the new version is sent
    services.devis_lignes_enregistrer(devis=revision, lines=quotes.lines()[:2])
    services.devis_envoyer(devis=revision, user=None, recipients=["c@d.fr"], subject="s",
                           body="b")  # fmt: skip
    revision.refresh_from_db(), first.refresh_from_db()
    assert revision.reference == f"{first.number}-v2"
    assert first.status == Statut.SUPERSEDED
    assert devis_from_token(token) == revision
    assert public_token(revision) == token
    with pytest.raises(DevisError):
        services.devis_accepter(devis=first, name="Jeanne", consent=True, options=[],
                                pdf_sha256=first.pdf_sha256)  # fmt: skip


def test_a_renewed_link_revokes_the_old_one(seller):
    from devis.public import LienRevoque

    devis = quotes.sent(seller)
    old = public_token(devis)
    services.lien_devis_renouveler(devis=devis)
    with pytest.raises(LienRevoque):
        devis_from_token(old)
    assert devis_from_token(public_token(devis)) == devis
    assert devis_from_token(old[:-2] + "xx") is None


def test_conversion_deposit_then_final_invoice_deducting_it(seller):
    devis = quotes.accepted(seller)
    deposit = services.devis_facturer_acompte(devis=devis, user=None, percent=Decimal("30"))
    assert deposit.kind == "acompte"
    assert deposit.lines.get().unit_price == Decimal("267.00")  # 30 % of 890 HT
    facture_emettre(facture=deposit, user=None)
    final = services.devis_facturer_solde(devis=devis, user=None)
    devis.refresh_from_db()
    assert devis.status == Statut.INVOICED
    lines = list(final.lines.order_by("position"))
    assert [line.designation for line in lines][:3] == ["Peinture murale", "Pose", "Déplacement"]
    assert lines[-1].deposit_id == deposit.pk
    issued = facture_emettre(facture=final, user=None)
    assert issued.total_incl_vat == Decimal("1068.00") - Decimal("320.40")
    assert {link.facture_id for link in devis.factures.all()} == {deposit.pk, final.pk}
    assert final.devis_lien.devis == devis


def test_the_list_filters_and_the_month_summary(seller):
    accepted = quotes.accepted(seller)
    pending = quotes.sent(seller)
    lost = quotes.sent(seller)
    services.devis_refuser(devis=lost, reason="")
    quotes.draft(seller)
    assert list(selectors.devis_lister(company=seller, status="envoye")) == [pending]
    assert selectors.devis_lister(company=seller, client=str(accepted.client_id)).count() == 1
    summary = selectors.devis_synthese(company=seller, today=timezone.localdate())
    assert summary.signed == Decimal("890.00")
    assert summary.pending == Decimal("890.00")
    assert summary.lost == Decimal("890.00")


def test_duplicate_makes_a_new_draft(seller):
    devis = quotes.sent(seller)
    copy = services.devis_dupliquer(devis=devis, user=None)
    assert copy.status == Statut.DRAFT and copy.number == "" and copy.version == 1
    assert copy.lines.count() == 4
    assert copy.start_date == date(2026, 12, 14)


def test_the_evidence_of_an_acceptance_cannot_be_altered_nor_deleted(seller):
    from django.db import DatabaseError, transaction

    devis = quotes.accepted(seller)
    acceptation = Acceptation.objects.get(devis=devis)
    with pytest.raises(DatabaseError), transaction.atomic():
        Acceptation.objects.filter(pk=acceptation.pk).update(name="Quelqu'un d'autre")
    with pytest.raises(DatabaseError), transaction.atomic():
        Acceptation.objects.filter(pk=acceptation.pk).delete()
    # the signed copy is still added after commit
    Acceptation.objects.filter(pk=acceptation.pk).update(signed_sha256="ab" * 32)
    assert verify_chain(seller).ok


def test_cancelling_a_sent_quote_and_not_a_draft(seller):
    devis = quotes.sent(seller)
    services.devis_annuler(devis=devis, user=None)
    devis.refresh_from_db()
    assert devis.status == Statut.CANCELLED
    assert list(devis.historique.values_list("to_status", flat=True)) == [
        "brouillon",
        "envoye",
        "annule",
    ]
    with pytest.raises(DevisError, match="supprimez-le"):
        services.devis_annuler(devis=quotes.draft(seller), user=None)
    with pytest.raises(DevisError):
        services.devis_annuler(devis=quotes.accepted(seller), user=None)


def test_an_email_whose_task_was_lost_is_sent_by_the_sweeper(seller):
    from devis.models import EnvoiDevis
    from devis.tasks import sweep_devis_emails

    devis = quotes.sent(seller)  # in this test's transaction, the task is never published
    envoi = EnvoiDevis.objects.get(devis=devis)
    assert envoi.sent_at is None and sweep_devis_emails() == 0  # young: the task may come
    EnvoiDevis.objects.filter(pk=envoi.pk).update(created_at=timezone.now() - timedelta(minutes=5))
    mail.outbox.clear()
    assert sweep_devis_emails() == 1
    envoi.refresh_from_db()
    assert envoi.sent_at is not None
    assert [m.attachments[0][0] for m in mail.outbox] == [f"{devis.reference}.pdf"]
    assert sweep_devis_emails() == 0  # sent once
