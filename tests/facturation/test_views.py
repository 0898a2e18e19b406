import re
from decimal import Decimal

import pytest
from django.core import mail, signing
from django.urls import reverse

from facturation.models import Envoi
from facturation.public import public_token
from pgi.permissions import Role
from tests import factories
from tests.conftest import login


@pytest.fixture
def seller(db):
    return factories.issuing_company()


@pytest.fixture
def as_owner(client, seller):
    return login(client, factories.member(seller, Role.OWNER))


def test_another_companys_invoice_is_a_404(as_owner, db):
    theirs = factories.issued(factories.issuing_company("Autre SAS"))
    for name in ("facture_detail", "facture_edit", "facture_pdf", "avoir_create", "facture_send"):
        assert as_owner.get(reverse(f"facturation:{name}", args=[theirs.pk])).status_code == 404


def test_accountant_reads_invoices_but_cannot_create_or_issue(client, seller):
    invoice = factories.issued(seller)
    draft = factories.draft(seller)
    login(client, factories.member(seller, Role.ACCOUNTANT))
    assert invoice.number in client.get(reverse("facturation:facture_list")).content.decode()
    assert client.get(reverse("facturation:facture_create")).status_code == 403
    assert client.post(reverse("facturation:facture_issue", args=[draft.pk])).status_code == 403


def test_issuing_with_missing_mentions_lists_them_on_the_editor(client, db):
    company = factories.company("Sans Mentions SARL", legal_form="SARL")
    login(client, factories.member(company, Role.OWNER))
    draft = factories.draft(company, factories.client(company, name="X"))
    response = client.post(reverse("facturation:facture_issue", args=[draft.pk]), follow=True)
    body = response.content.decode()
    assert "Pour émettre, complétez" in body and "capital social manquant" in body


def test_the_editor_warns_of_payment_terms_past_45_days(as_owner, seller):
    """C. com. L441-10: 60 days at most, or 45 days end of month when agreed in writing."""
    draft = factories.draft(seller, payment_terms_days=45)
    url = reverse("facturation:facture_edit", args=[draft.pk])
    assert 'data-testid="terms-warning"' not in as_owner.get(url).content.decode()
    draft.payment_terms_days = 50
    draft.save(update_fields=["payment_terms_days"])
    body = as_owner.get(url).content.decode()
    assert 'data-testid="terms-warning"' in body
    assert "Délai de 50 jours : 60 jours au plus après la date de facture" in body


def test_invoice_list_query_count_is_flat(as_owner, seller, django_assert_max_num_queries):
    client_ = factories.business_client(seller)
    for _ in range(30):
        factories.issued(seller, client_)
    with django_assert_max_num_queries(9):
        as_owner.get(reverse("facturation:facture_list"))


@pytest.mark.django_db(transaction=True)
def test_sending_emails_the_pdf_with_the_customer_link_once(client):
    seller = factories.issuing_company()
    login(client, factories.member(seller, Role.OWNER))
    invoice = factories.issued(seller)
    response = client.post(
        reverse("facturation:facture_send", args=[invoice.pk]),
        {"recipients": "client@exemple.fr, compta@exemple.fr", "subject": "Votre facture",
         "body": "Bonjour"},
    )  # fmt: skip
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["client@exemple.fr", "compta@exemple.fr"]
    assert message.attachments[0][0] == f"{invoice.number}.pdf"
    assert Envoi.objects.get().sent_at is not None
    from facturation.services import envoi_expedier

    envoi_expedier(envoi_id=Envoi.objects.get().pk)  # a retry
    assert len(mail.outbox) == 1


def test_the_customer_page_needs_the_signed_token(client, seller):
    invoice = factories.issued(seller)
    token = public_token(invoice)
    page = client.get(reverse("facture_public", args=[token]))
    assert page.status_code == 200 and invoice.number in page.content.decode()
    assert client.get(reverse("facture_public", args=[token[:-2] + "xx"])).status_code == 404
    forged = signing.dumps({"f": invoice.pk, "c": seller.pk}, salt="another purpose")
    assert client.get(reverse("facture_public", args=[forged])).status_code == 404


def test_list_detail_and_customer_page_show_the_same_amount_due(as_owner, seller):
    from facturation.services import avoir_creer, facture_emettre

    invoice = factories.issued(seller, lines=[factories.line("A", "1", "100")])  # 120.00 TTC
    facture_emettre(facture=avoir_creer(facture=invoice, user=None, amount_excl_vat=Decimal("25"),
                                        vat_rate=Decimal("20")), user=None)  # fmt: skip
    pages = {
        "list": reverse("facturation:facture_list") + "?type=facture",
        "detail": reverse("facturation:facture_detail", args=[invoice.pk]),
        "customer page": reverse("facture_public", args=[public_token(invoice)]),
    }
    for name, url in pages.items():
        body = as_owner.get(url).content.decode()
        assert "90,00" in body, name  # 120 − 30
        assert "120,00" in body, name  # the total itself is unchanged


def test_default_email_body_carries_the_customer_link(as_owner, seller):
    invoice = factories.issued(seller)
    body = as_owner.get(reverse("facturation:facture_send", args=[invoice.pk])).content.decode()
    assert "/d/" in body and invoice.number in body


def test_home_shows_sales_due_and_overdue(as_owner, seller):
    from datetime import timedelta

    from django.utils import timezone

    from facturation.services import avoir_creer, facture_emettre

    old = facture_emettre(
        facture=factories.draft(seller, lines=[factories.line("A", "1", "100")]), user=None,
        today=timezone.localdate() - timedelta(days=90),
    )  # fmt: skip
    factories.issued(seller, lines=[factories.line("B", "1", "50")])
    facture_emettre(facture=avoir_creer(facture=old, user=None, amount_excl_vat=Decimal("10"),
                                        vat_rate=Decimal("20")), user=None)  # fmt: skip
    page = as_owner.get(reverse("home")).content.decode()
    assert "140,00" in page  # 100 + 50 − 10 excl. VAT
    assert "168,00" in page  # due: 120 − 12 + 60 incl. VAT
    assert "108,00" in page  # overdue: the old invoice less its credit note


def test_detail_shows_the_document_history(as_owner, seller):
    from facturation.services import avoir_creer, facture_emettre

    invoice = factories.issued(seller)
    avoir = facture_emettre(facture=avoir_creer(facture=invoice, user=None), user=None)
    page = as_owner.get(reverse("facturation:facture_detail", args=[invoice.pk])).content.decode()
    assert "Brouillon créé" in page
    assert "Émise et scellée dans le registre (#1)" in page
    assert f"Avoir {avoir.number} émis" in page


def test_numbering_page_lists_every_registered_series_and_saves_valid_formats(
    as_owner, seller, monkeypatch
):
    from pgi import numbering
    from pgi.models import Evenement, EventKind

    monkeypatch.setattr(numbering, "_registry", dict(numbering._registry))
    numbering.register_series("essai", label="Série d'essai", default_pattern="E-{numero}")
    url = reverse("facturation:numerotation")
    body = as_owner.get(url).content.decode()
    for name, label, pattern in [
        ("facture", "Facture", "F-{annee}-{numero:05d}"),
        ("avoir", "Avoir", "AV-{annee}-{numero:05d}"),
        ("acompte", "Facture d&#x27;acompte", "AC-{annee}-{numero:05d}"),
        ("essai", "Série d&#x27;essai", "E-{numero}"),
    ]:
        assert f'<label for="fmt-{name}">{label}</label>' in body
        assert f'name="{name}" value="{pattern}"' in body
    assert '<code data-testid="next-essai">E-1</code>' in body

    response = as_owner.post(url, {"facture": "F-{annee}", "essai": "ESS-{numero:03d}"})
    assert "Le format doit contenir {numero}" in response.content.decode()
    changes = Evenement.objects.filter(kind=EventKind.IDENTITY)
    assert [e.summary for e in changes] == ["Numérotation essai : E-{numero} → ESS-{numero:03d}"]
    response = as_owner.post(url, {"facture": "FA-{numero}"}, follow=True)
    assert "Numérotation enregistrée." in response.content.decode()
    assert factories.issued(seller).number == "FA-1"


def test_the_invoice_page_rounds_unit_prices_half_up_and_signs_deductions(as_owner, seller):
    """Amounts shown on the invoice page have two decimals: a 4-decimal unit price rounds
    half-up (0.125 shows 0,13 €, its line 8 × 0.125 = 1,00 €), and a deducted deposit is a
    negative amount, "-100,00 €", not "100,00 €"."""
    from facturation.services import acompte_creer, facture_deduire_acomptes, facture_emettre

    customer = factories.business_client(seller)
    final = factories.draft(
        seller, customer,
        lines=[factories.line("Vis", "8", "0.125"), factories.line("Pose", "1", "1000")],
    )  # fmt: skip
    deposit = facture_emettre(
        facture=acompte_creer(
            company=seller, client=customer, user=None, amount_excl_vat=Decimal("100")
        ),
        user=None,
    )
    facture_deduire_acomptes(facture=final, deposits=[deposit])
    final = facture_emettre(facture=final, user=None)
    body = as_owner.get(reverse("facturation:facture_detail", args=[final.pk])).content.decode()

    def cells(designation: str) -> list[str]:
        row = re.search(rf"<tr><td>{re.escape(designation)}</td>(.*?)</tr>", body)
        assert row is not None, designation
        return re.findall(r"<td[^>]*>(.*?)</td>", row[1])

    # quantity, unit, unit price, discount, VAT rate, net
    assert cells("Vis") == ["8", "unité", "0,13\u00a0€", "", "20\u00a0%", "1,00\u00a0€"]
    deduction = cells(f"Acompte n° {deposit.number} du {deposit.issue_date:%d/%m/%Y}")
    assert deduction == ["-1", "forfait", "100,00\u00a0€", "", "20\u00a0%", "-100,00\u00a0€"]


def test_a_credit_note_is_spoken_of_in_the_masculine(as_owner, seller):
    """Issue #15: "AV-… émise" and "elle ne peut plus être modifiée" for a credit note."""
    from facturation.services import avoir_creer

    avoir = avoir_creer(facture=factories.issued(seller), user=None)
    page = as_owner.post(reverse("facturation:facture_issue", args=[avoir.pk]), follow=True)
    avoir.refresh_from_db()
    assert f"{avoir.number} émis." in page.content.decode()
    page = as_owner.get(reverse("facturation:facture_edit", args=[avoir.pk]), follow=True)
    assert f"{avoir.number} est émis : il ne peut plus être modifié." in page.content.decode()


def test_the_recurring_invoice_form_keeps_its_default_date(as_owner, seller):
    """Issue #15: the date input received "29/12/2026", which it cannot read, and showed
    nothing; it gets the ISO date it understands."""
    from django.utils import timezone

    from facturation.recurrence import add_months

    invoice = factories.issued(seller)
    page = as_owner.get(reverse("facturation:recurrence_create", args=[invoice.pk]))
    expected = add_months(timezone.localdate(), 1).isoformat()
    assert re.search(rf'type="date"[^>]*value="{expected}"|value="{expected}"[^>]*type="date"',
                     page.content.decode())  # fmt: skip
