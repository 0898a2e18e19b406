"""The invoice editor and what surrounds it (issue #15): all-or-nothing save, PDF preview,
duplication, customer picker, price warning, list filters, dashboard links."""

from decimal import Decimal

import pytest
from django.urls import reverse

from facturation.models import Facture
from pgi.permissions import Role
from tests import factories
from tests.conftest import login


@pytest.fixture
def seller(db):
    return factories.issuing_company()


@pytest.fixture
def as_owner(client, seller):
    return login(client, factories.member(seller, Role.OWNER))


def editor_post(facture, lines, initial_forms=None, **header):
    """The editor's form as the browser sends it: the header, then the line formset."""
    data = {
        "client": facture.client_id, "subject": facture.subject, "operation_date": "",
        "payment_terms_days": facture.payment_terms_days or "", "notes": facture.notes,
        "lignes-TOTAL_FORMS": len(lines),
        "lignes-INITIAL_FORMS": (
            min(len(lines), facture.lines.count()) if initial_forms is None else initial_forms
        ),
        "lignes-MIN_NUM_FORMS": 0, "lignes-MAX_NUM_FORMS": 1000,
    }  # fmt: skip
    data.update(header)
    for index, line in enumerate(lines):
        row = {"designation": "Prestation", "quantity": "1", "unit": "unité",
               "unit_price": "100", "discount_rate": "0", "vat_rate": "20.00",
               "nature": "service", **line}  # fmt: skip
        data.update({f"lignes-{index}-{name}": value for name, value in row.items()})
    return data


def test_a_refused_line_saves_nothing_not_even_the_header(as_owner, seller):
    """Nothing half-saved: the editor used to save the header, then have the lines refused,
    leaving the new subject on a draft whose lines the user believed unsaved."""
    draft = factories.draft(seller, subject="Ancien objet")
    url = reverse("facturation:facture_edit", args=[draft.pk])
    response = as_owner.post(
        url, editor_post(draft, [{"quantity": "0"}], subject="Nouvel objet", save="1")
    )
    assert response.status_code == 200
    assert "la quantité doit être positive" in response.content.decode()
    draft.refresh_from_db()
    assert draft.subject == "Ancien objet"
    assert [line.quantity for line in draft.lines.all()] == [Decimal("1")]


def test_a_valid_save_keeps_header_and_lines_together(as_owner, seller):
    draft = factories.draft(seller, subject="Ancien objet")
    url = reverse("facturation:facture_edit", args=[draft.pk])
    response = as_owner.post(
        url, editor_post(draft, [{"quantity": "2", "unit_price": "29,90"}], subject="Nouveau")
    )
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.subject == "Nouveau"
    assert [(x.quantity, x.unit_price) for x in draft.lines.all()] == [
        (Decimal("2"), Decimal("29.90"))
    ]
    assert Facture.objects.count() == 1


def pdf_text(data: bytes) -> str:
    from io import BytesIO

    from pypdf import PdfReader

    text = "\n".join(page.extract_text() for page in PdfReader(BytesIO(data)).pages)
    return text.translate({0x202F: " ", 0xA0: " ", 0x2009: " "})


def test_a_row_added_on_the_page_is_kept_when_saved_again_from_the_same_page(as_owner, seller):
    """The page showed no line; « Aperçu PDF » saved the row typed in it; « Enregistrer et
    émettre » from the same page then sent it as an added row again: it was taken for an
    unchanged blank row (compared with the lines saved since) and every line was dropped."""
    draft = factories.draft(seller, lines=[])
    url = reverse("facturation:facture_edit", args=[draft.pk])
    row = [{"designation": "Audit", "unit_price": "450"}]
    as_owner.post(url, editor_post(draft, row, initial_forms=0, preview="1"))
    assert draft.lines.count() == 1
    as_owner.post(url, editor_post(draft, row, initial_forms=0, save="1"))
    assert [line.designation for line in draft.lines.all()] == ["Audit"]


def test_the_preview_of_a_draft_is_marked_and_writes_nothing(as_owner, seller):
    """A draft's PDF preview prints as the invoice would, marked « APERÇU — non émise »,
    without a number; the GET stores no PDF, seals nothing and leaves the draft a draft."""
    from facturation.models import DocumentPDF, Status
    from pgi.models import Enregistrement

    draft = factories.draft(seller, lines=[factories.line("Audit de sécurité", "2", "450")])
    sealed = Enregistrement.objects.count()
    response = as_owner.get(reverse("facturation:facture_apercu", args=[draft.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Cache-Control"] == "no-store"
    text = pdf_text(response.content)
    assert "APERÇU — non émise" in text
    assert "Audit de sécurité" in text and "1 080,00" in text  # 900 HT + 20 % VAT
    assert "F-" not in text  # no number
    # A member who only reads (an accountant) sees the draft, and its preview link.
    accountant = factories.member(seller, Role.ACCOUNTANT)
    from django.test import Client as HttpClient

    reader = login(HttpClient(), accountant)
    detail = reader.get(reverse("facturation:facture_detail", args=[draft.pk])).content.decode()
    assert reverse("facturation:facture_apercu", args=[draft.pk]) in detail
    assert reader.get(reverse("facturation:facture_apercu", args=[draft.pk])).status_code == 200
    draft.refresh_from_db()
    assert draft.status == Status.DRAFT and draft.number == "" and draft.issue_date is None
    assert DocumentPDF.objects.count() == 0 and Enregistrement.objects.count() == sealed


def test_the_preview_button_saves_the_draft_then_shows_its_pdf(as_owner, seller):
    draft = factories.draft(seller)
    url = reverse("facturation:facture_edit", args=[draft.pk])
    response = as_owner.post(url, editor_post(draft, [{"designation": "Revue"}], preview="1"))
    assert response.status_code == 302
    assert response["Location"] == reverse("facturation:facture_apercu", args=[draft.pk])
    assert draft.lines.get().designation == "Revue"
    body = as_owner.get(url).content.decode()
    assert 'name="preview"' in body and "Aperçu PDF" in body


def test_a_credit_note_preview_is_masculine_and_issued_documents_have_none(as_owner, seller):
    from facturation.services import avoir_creer

    invoice = factories.issued(seller)
    assert as_owner.get(reverse("facturation:facture_apercu", args=[invoice.pk])).status_code == 404
    avoir = avoir_creer(facture=invoice, user=None, amount_excl_vat=Decimal("10"),
                        vat_rate=Decimal("20"))  # fmt: skip
    response = as_owner.get(reverse("facturation:facture_apercu", args=[avoir.pk]))
    assert "APERÇU — non émis" in pdf_text(response.content)
    assert "non émise" not in pdf_text(response.content)
    theirs = factories.draft(factories.issuing_company("Autre SAS"))
    assert as_owner.get(reverse("facturation:facture_apercu", args=[theirs.pk])).status_code == 404


def test_duplicating_an_issued_invoice_makes_a_draft_with_its_customer_and_lines(as_owner, seller):
    """« Dupliquer »: same customer, subject and lines (catalogue link kept), no number, no
    dates; the original is untouched. POST only: a GET writes nothing."""
    from facturation.models import Status
    from facturation.services import article_enregistrer

    article = article_enregistrer(
        company=seller, article=None,
        fields={"designation": "Heure d'atelier", "unit_price": Decimal("65"), "unit": "heure"},
    )  # fmt: skip
    invoice = factories.issued(
        seller, subject="Maintenance", operation_date="2026-10-01",
        lines=[factories.line("Heure d'atelier", "3", "65", article=article, unit="heure"),
               factories.line("Lampe", "2", "120", nature="bien")],
    )  # fmt: skip
    url = reverse("facturation:facture_duplicate", args=[invoice.pk])
    assert as_owner.get(url).status_code == 405
    response = as_owner.post(url)
    copy = Facture.objects.exclude(pk=invoice.pk).get()
    assert response["Location"] == reverse("facturation:facture_edit", args=[copy.pk])
    assert copy.status == Status.DRAFT and copy.number == "" and copy.kind == "facture"
    assert copy.client_id == invoice.client_id and copy.subject == "Maintenance"
    assert copy.issue_date is None and copy.due_date is None and copy.operation_date is None
    got = [(x.designation, x.quantity, x.unit_price, x.article_id, x.unit, x.nature)
           for x in copy.lines.order_by("position")]  # fmt: skip
    assert got == [("Heure d'atelier", Decimal("3"), Decimal("65"), article.pk, "heure", "service"),
                   ("Lampe", Decimal("2"), Decimal("120"), None, "unité", "bien")]  # fmt: skip
    assert invoice.lines.count() == 2


def test_duplicating_a_credit_note_credits_the_same_invoice(as_owner, seller):
    from facturation.services import avoir_creer, facture_emettre

    invoice = factories.issued(seller, lines=[factories.line("A", "4", "100")])
    avoir = facture_emettre(
        facture=avoir_creer(facture=invoice, user=None, quantities={invoice.lines.get().pk: 1}),
        user=None,
    )
    as_owner.post(reverse("facturation:facture_duplicate", args=[avoir.pk]))
    copy = Facture.objects.get(kind="avoir", status="brouillon")
    assert copy.origin_id == invoice.pk
    assert copy.lines.get().origin_line_id == invoice.lines.get().pk
    assert copy.lines.get().quantity == Decimal("1")


def test_a_prospect_becomes_a_customer_on_its_first_issued_invoice(as_owner, seller):
    from crm.models import ClientStatus

    prospect = factories.business_client(seller, name="Nouveau SARL", status="prospect")
    draft = factories.draft(seller, prospect)
    prospect.refresh_from_db()
    assert prospect.status == ClientStatus.PROSPECT  # a draft is not a sale
    as_owner.post(reverse("facturation:facture_issue", args=[draft.pk]))
    prospect.refresh_from_db()
    assert prospect.status == ClientStatus.CUSTOMER


@pytest.fixture
def livre(seller):
    from facturation.services import article_enregistrer

    return article_enregistrer(
        company=seller, article=None,
        fields={"designation": "Livre technique", "unit_price": Decimal("29.90"),
                "vat_rate": Decimal("5.50"), "nature": "bien"},
    )  # fmt: skip


def test_a_price_ten_times_the_catalogues_holds_the_issue_until_confirmed(as_owner, seller, livre):
    """« 29,90 » typed as 2990 was sealed on an issued invoice: now the editor warns before
    issuing a line priced 10 times its article's price, and issues once the user confirms."""
    from facturation.models import Status

    draft = factories.draft(seller)
    url = reverse("facturation:facture_edit", args=[draft.pk])
    line = {"article": livre.pk, "designation": "Livre technique", "unit_price": "2990",
            "vat_rate": "5.50", "nature": "bien"}  # fmt: skip
    response = as_owner.post(url, editor_post(draft, [line], issue="1"), follow=True)
    draft.refresh_from_db()
    assert draft.status == Status.DRAFT  # held, not issued
    body = response.content.decode()
    assert "Émission suspendue" in body and 'data-testid="price-warnings"' in body
    warning = "Ligne 1 « Livre technique » : 2 990,00\xa0€, au moins 10 fois le prix du catalogue"
    assert warning in body.replace("\u202f", " ")
    assert draft.lines.get().unit_price == Decimal("2990")  # the draft itself was saved
    # The issue confirmation lists the warning; confirming it issues.
    assert "Prix inhabituels :\n– Ligne 1" in body
    seen = factories_price_ok(body)
    response = as_owner.post(url, editor_post(draft, [line], issue="1", price_ok=seen), follow=True)
    draft.refresh_from_db()
    assert draft.status == Status.ISSUED, response.content.decode()


def factories_price_ok(body: str) -> list[str]:
    import html
    import re

    return [html.unescape(v) for v in re.findall(r'name="price_ok" value="([^"]*)"', body)]


def test_a_confirmed_warning_does_not_cover_a_price_changed_since(as_owner, seller, livre):
    from facturation.models import Status

    draft = factories.draft(seller)
    url = reverse("facturation:facture_edit", args=[draft.pk])
    line = {"article": livre.pk, "designation": "Livre technique", "unit_price": "2990"}
    body = as_owner.post(url, editor_post(draft, [line]), follow=True).content.decode()
    seen = factories_price_ok(body)
    assert len(seen) == 1
    line["unit_price"] = "29900"
    as_owner.post(url, editor_post(draft, [line], issue="1", price_ok=seen))
    draft.refresh_from_db()
    assert draft.status == Status.DRAFT


def test_prices_far_from_the_customers_usual_price_are_flagged_both_ways(as_owner, seller):
    """Without an article, the reference is the last price invoiced to this customer for the
    same designation (case aside); a tenth or less is flagged as well as 10 times or more."""
    customer = factories.business_client(seller)
    factories.issued(seller, customer, lines=[factories.line("Livre", "1", "29.90")])
    draft = factories.draft(seller, customer, lines=[
        factories.line("LIVRE", "1", "299"), factories.line("livre", "1", "2.99"),
        factories.line("livre", "1", "31"), factories.line("Autre", "1", "99999"),
    ])  # fmt: skip
    body = as_owner.get(reverse("facturation:facture_edit", args=[draft.pk])).content.decode()
    body = body.replace("\u202f", " ").replace("\xa0", " ")
    assert "Ligne 1 « LIVRE » : 299,00 €, au moins 10 fois le dernier prix facturé" in body
    assert "Ligne 2 « livre » : 2,99 €, au plus un dixième du dernier prix facturé" in body
    assert "Ligne 3" not in body and "Ligne 4" not in body
    # Another customer's prices are not this one's.
    other = factories.draft(seller, factories.business_client(seller, name="Autre SARL"),
                            lines=[factories.line("Livre", "1", "299")])  # fmt: skip
    body = as_owner.get(reverse("facturation:facture_edit", args=[other.pk])).content.decode()
    assert 'data-testid="price-warnings"' not in body


def test_the_live_totals_warn_of_an_unusual_price_while_typing(as_owner, seller, livre):
    draft = factories.draft(seller)
    line = {"article": livre.pk, "designation": "Livre technique", "unit_price": "2990"}
    response = as_owner.post(
        reverse("facturation:facture_totals", args=[draft.pk]), editor_post(draft, [line])
    )
    assert 'data-testid="live-price-warnings"' in response.content.decode()
    line["unit_price"] = "29,90"
    response = as_owner.post(
        reverse("facturation:facture_totals", args=[draft.pk]), editor_post(draft, [line])
    )
    assert 'data-testid="live-price-warnings"' not in response.content.decode()


def _issued_on(seller, customer, days_ago: int, terms: int, **line):
    from datetime import timedelta

    from django.utils import timezone

    from facturation.services import facture_emettre

    draft = factories.draft(seller, customer, payment_terms_days=terms,
                            lines=[factories.line(**line)] if line else None)  # fmt: skip
    return facture_emettre(
        facture=draft, user=None, today=timezone.localdate() - timedelta(days=days_ago)
    )


def test_the_list_filters_by_due_state_and_badges_what_is_overdue(as_owner, seller):
    """The dashboard's « En retard » and « Reste à encaisser » open these lists: the same
    definitions (still owed, due date passed) on both."""
    customer = factories.business_client(seller)
    late = _issued_on(seller, customer, days_ago=40, terms=30)
    not_due = _issued_on(seller, customer, days_ago=5, terms=30)
    draft = factories.draft(seller, customer)
    url = reverse("facturation:facture_list")

    body = as_owner.get(url + "?echeance=en_retard").content.decode()
    assert late.number in body and not_due.number not in body and f"/{draft.pk}/" not in body
    assert body.count('data-testid="overdue-badge"') == 1
    body = as_owner.get(url + "?echeance=a_echoir").content.decode()
    assert not_due.number in body and late.number not in body
    assert 'data-testid="overdue-badge"' not in body
    body = as_owner.get(url + "?echeance=du").content.decode()
    assert late.number in body and not_due.number in body
    body = as_owner.get(url).content.decode()
    assert body.count('data-testid="overdue-badge"') == 1


def test_drafts_show_their_computed_total_in_the_list(as_owner, seller):
    """Drafts showed « — »: their total is only stored at issue."""
    factories.draft(seller, lines=[factories.line("A", "2", "29.90"),
                                   factories.line("B", "1", "10", vat_rate="5.5")])  # fmt: skip
    body = as_owner.get(reverse("facturation:facture_list")).content.decode()
    # 59.80 + 11.96 VAT + 10 + 0.55 VAT = 82.31
    assert 'data-testid="draft-total">82,31' in body.replace("\u202f", " ")


def test_list_queries_stay_flat_with_drafts_and_filters(
    as_owner, seller, django_assert_max_num_queries
):
    customer = factories.business_client(seller)
    for _ in range(12):
        factories.draft(seller, customer, lines=[factories.line(), factories.line("B")])
        factories.issued(seller, customer)
    with django_assert_max_num_queries(10):
        as_owner.get(reverse("facturation:facture_list"))
    with django_assert_max_num_queries(10):
        as_owner.get(reverse("facturation:facture_list") + "?echeance=en_retard&statut=emise")


def test_the_dashboard_cards_open_the_matching_lists_and_offer_a_new_invoice(as_owner, seller):
    customer = factories.business_client(seller)
    late = _issued_on(seller, customer, days_ago=40, terms=30)
    body = as_owner.get(reverse("home")).content.decode()
    assert f'href="{reverse("facturation:facture_list")}?echeance=en_retard"' in body
    assert f'href="{reverse("facturation:facture_list")}?echeance=du"' in body
    assert f'href="{reverse("crm:client_list")}?statut=prospect"' in body
    assert f'href="{reverse("facturation:facture_create")}"' in body
    overdue = as_owner.get(reverse("facturation:facture_list") + "?echeance=en_retard")
    assert late.number in overdue.content.decode()


def test_the_editor_picks_a_customer_by_search_among_thousands(
    as_owner, seller, django_assert_max_num_queries
):
    """A <select> listed every customer in every editor page; the picker shows only the chosen
    one and asks the server for the first 20 matches (name, SIREN, city), this company's."""
    from crm.models import Client

    Client.objects.bulk_create(
        Client(company=seller, name=f"Client {n:04d}", billing_city="Lyon", status="client")
        for n in range(2000)
    )
    wanted = factories.business_client(seller, name="Zéphyr Menuiserie", billing_city="Brest")
    factories.business_client(factories.issuing_company("Autre SAS"), name="Zéphyr Autre")
    draft = factories.draft(seller, wanted)
    body = as_owner.get(reverse("facturation:facture_edit", args=[draft.pk])).content.decode()
    assert "Client 0001" not in body and 'role="combobox"' in body
    assert f'name="client" value="{wanted.pk}"' in body and 'value="Zéphyr Menuiserie"' in body

    url = reverse("crm:client_picker")
    with django_assert_max_num_queries(6):
        found = as_owner.get(url, {"client_recherche": "zéphyr"}).content.decode()
    assert f'data-value="{wanted.pk}"' in found and "Zéphyr Autre" not in found
    first = as_owner.get(url, {"client_recherche": ""}).content.decode()
    assert first.count('role="option"') == 20 and "Précisez la recherche" in first
    assert as_owner.get(url, {"q": "brest"}).content.decode().count('role="option"') == 1
    assert "Aucun client ne correspond" in as_owner.get(url, {"q": "introuvable"}).content.decode()


def test_the_picker_cannot_put_another_companys_customer_on_an_invoice(as_owner, seller):
    theirs = factories.business_client(factories.issuing_company("Autre SAS"))
    response = as_owner.post(
        reverse("facturation:facture_create"), {"client": theirs.pk, "client_recherche": "x"}
    )
    assert response.status_code == 200 and Facture.objects.count() == 0


def test_the_credit_note_form_offers_the_whole_invoice(as_owner, seller):
    """The README announces credit notes for the whole invoice, by lines or by an amount:
    the form lacked the first."""
    invoice = factories.issued(seller, lines=[factories.line("A", "3", "100"),
                                              factories.line("B", "2", "50")])  # fmt: skip
    url = reverse("facturation:avoir_create", args=[invoice.pk])
    assert "Toute la facture" in as_owner.get(url).content.decode()
    response = as_owner.post(url, {"mode": "totalite", "reason": "Annulation"})
    avoir = Facture.objects.get(kind="avoir")
    assert response["Location"] == reverse("facturation:facture_edit", args=[avoir.pk])
    got = sorted((x.designation, x.quantity) for x in avoir.lines.all())
    assert got == [("A", Decimal("3")), ("B", Decimal("2"))]


def test_a_zero_rated_reason_offers_the_standard_wordings_of_pgi_mentions(as_owner, seller):
    """The 0 % exemption reason was free text with no list: the editor and the catalogue
    offer the wordings of pgi.mentions (the one source of legal mentions), free text still."""
    from pgi.mentions import VAT_EXEMPTION_WORDINGS, VAT_FRANCHISE, VAT_INTRA_EU_GOODS

    assert VAT_FRANCHISE.text in VAT_EXEMPTION_WORDINGS
    assert VAT_INTRA_EU_GOODS.text in VAT_EXEMPTION_WORDINGS
    draft = factories.draft(seller)
    for url in (reverse("facturation:facture_edit", args=[draft.pk]),
                reverse("facturation:article_create")):  # fmt: skip
        body = as_owner.get(url).content.decode()
        assert 'list="vat-exemption-wordings"' in body, url
        assert '<datalist id="vat-exemption-wordings">' in body, url
        assert '<option value="TVA non applicable, art. 293 B du CGI">' in body, url
    free = {"vat_rate": "0.00", "vat_exemption_reason": "Exonération maison, art. 999"}
    as_owner.post(reverse("facturation:facture_edit", args=[draft.pk]), editor_post(draft, [free]))
    assert draft.lines.get().vat_exemption_reason == "Exonération maison, art. 999"


def test_units_read_in_english_in_english_mode(as_owner, seller):
    """Units showed their French value (« heure ») on the detail and catalogue pages."""
    from django.utils import translation

    invoice = factories.issued(seller, lines=[factories.line("Atelier", "3", "65", unit="heure")])
    draft = factories.draft(seller)
    as_owner.cookies["django_language"] = "en"
    # The middleware leaves English active in this thread: restored for the next tests.
    with translation.override(translation.get_language()):
        detail = as_owner.get(reverse("facturation:facture_detail", args=[invoice.pk]))
        editor = as_owner.get(reverse("facturation:facture_edit", args=[draft.pk]))
    assert "<td>hour</td>" in detail.content.decode()
    assert '<option value="heure">hour</option>' in editor.content.decode()


def test_a_missing_customer_is_said_next_to_the_picker(as_owner, seller):
    """The error must sit beside an `.is-invalid` sibling, or Bootstrap hides it."""
    body = as_owner.post(
        reverse("facturation:facture_create"), {"client": "", "client_recherche": "Zéph"}
    ).content.decode()
    assert 'class="client-picker position-relative is-invalid"' in body
    assert 'aria-invalid="true" aria-describedby="id_client_error"' in body
    assert "Ce champ est obligatoire." in body


def test_every_page_of_a_long_preview_carries_the_mark(as_owner, seller):
    """The mark is on each page, not only the first: a printed page 3 is still a preview."""
    from io import BytesIO

    from pypdf import PdfReader

    lines = [factories.line(f"Prestation {n}", "1", "10") for n in range(90)]
    draft = factories.draft(seller, lines=lines)
    response = as_owner.get(reverse("facturation:facture_apercu", args=[draft.pk]))
    pages = PdfReader(BytesIO(response.content)).pages
    assert len(pages) > 1
    for number, page in enumerate(pages, start=1):
        assert "APERÇU — non émise" in page.extract_text(), f"page {number}"
