from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from facturation.models import Article, Facture, LigneFacture
from facturation.services import facture_emettre
from pgi.permissions import Role
from tests import factories

API = "/api/v1"


def auth(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def seller(db):
    return factories.issuing_company()


@pytest.fixture
def owner(seller):
    return factories.member(seller, Role.OWNER)


@pytest.fixture
def headers(owner):
    return auth(factories.token(owner))


@pytest.fixture
def buyer(seller):
    return factories.business_client(seller)


@pytest.fixture
def api(client, headers):
    """The test client, authenticated as the seller's owner, speaking JSON."""

    class Api:
        def get(self, path, **params):
            return client.get(f"{API}{path}", params, headers=headers)

        def post(self, path, data=None):
            return client.post(
                f"{API}{path}", data or {}, content_type="application/json", headers=headers
            )

        def put(self, path, data):
            return client.put(
                f"{API}{path}", data, content_type="application/json", headers=headers
            )

        def delete(self, path):
            return client.delete(f"{API}{path}", headers=headers)

    return Api()


def three_lines(article: Article) -> list[dict]:
    return [
        {"designation": "Conseil", "quantity": "2", "unit": "heure", "unit_price": "50"},
        {"designation": "Livre", "quantity": "1", "unit_price": "10", "vat_rate": "5.50",
         "nature": "bien"},
        {"article_id": article.pk, "quantity": "3", "discount_rate": "10"},
    ]  # fmt: skip


@pytest.fixture
def article(seller):
    return Article.objects.create(
        company=seller, designation="Forfait maintenance", unit="forfait",
        unit_price=Decimal("10"), vat_rate=Decimal("20.00"),
    )  # fmt: skip


def create_draft(api, buyer, lines, **fields):
    response = api.post("/factures/", {"client_id": buyer.pk, "lines": lines, **fields})
    assert response.status_code == 201, response.content
    return response.json()


# Catalogue


def test_create_read_replace_and_list_articles(api):
    response = api.post(
        "/articles/",
        {"designation": "Audit", "unit": "jour", "unit_price": "600", "vat_rate": "20.00"},
    )
    assert response.status_code == 201, response.content
    created = response.json()
    assert (created["unit_price"], created["vat_rate"]) == ("600.0000", "20.00")
    url = f"/articles/{created['id']}"
    replaced = api.put(url, {**created, "designation": "Audit sécurité", "active": False}).json()
    assert replaced["designation"] == "Audit sécurité" and replaced["active"] is False
    assert api.get(url).json()["designation"] == "Audit sécurité"
    assert api.get("/articles/").json()["count"] == 1
    assert api.get("/articles/", actifs="true").json()["count"] == 0


def test_an_article_at_zero_vat_needs_an_exemption_reason(api):
    response = api.post("/articles/", {"designation": "Formation", "vat_rate": "0.00"})
    assert response.status_code == 422
    assert "vat_exemption_reason" in response.json()["fields"]


# Drafts


def test_create_a_draft_with_three_lines_computes_its_totals(api, buyer, article):
    created = create_draft(api, buyer, three_lines(article), subject="Mission mars")
    assert (created["status"], created["kind"], created["number"]) == ("brouillon", "facture", "")
    assert created["amount_due"] is None
    # 2 × 50 = 100 and 3 × 10 − 10 % = 27 at 20 %; 10 at 5.5 %.
    assert [line["net"] for line in created["lines"]] == ["100.00", "10.00", "27.00"]
    from_article = created["lines"][2]
    assert from_article["designation"] == "Forfait maintenance"
    assert (from_article["unit"], from_article["article_id"]) == ("forfait", article.pk)
    assert created["vat_breakdown"] == [
        {"rate": "20.00", "base": "127.00", "vat": "25.40"},
        {"rate": "5.50", "base": "10.00", "vat": "0.55"},
    ]
    totals = (created["total_excl_vat"], created["total_vat"], created["total_incl_vat"])
    assert totals == ("137.00", "25.95", "162.95")
    assert api.get(f"/factures/{created['id']}").json() == created


def test_update_a_draft_replaces_its_header_and_lines(api, buyer, article):
    created = create_draft(api, buyer, three_lines(article))
    response = api.put(
        f"/factures/{created['id']}",
        {"subject": "Mission avril", "operation_date": "2026-04-30", "payment_terms_days": 45,
         "lines": [{"designation": "Forfait", "quantity": "1", "unit_price": "80"}]},
    )  # fmt: skip
    assert response.status_code == 200, response.content
    updated = response.json()
    assert (updated["subject"], updated["operation_date"]) == ("Mission avril", "2026-04-30")
    assert updated["payment_terms_days"] == 45 and updated["client_id"] == buyer.pk
    assert [line["designation"] for line in updated["lines"]] == ["Forfait"]
    assert updated["total_incl_vat"] == "96.00"
    assert LigneFacture.objects.filter(facture_id=created["id"]).count() == 1


def test_an_invalid_line_is_a_422_and_changes_nothing(api, buyer, article):
    created = create_draft(api, buyer, three_lines(article), subject="Avant")
    response = api.put(
        f"/factures/{created['id']}",
        {"subject": "Après", "lines": [{"designation": "", "vat_rate": "7"}]},
    )
    assert response.status_code == 422
    assert all(problem.startswith("Ligne 1") for problem in response.json()["detail"])
    assert len(response.json()["detail"]) == 2
    assert api.get(f"/factures/{created['id']}").json() == created


def test_payment_terms_past_sixty_days_are_a_422_at_save_and_at_issue(api, buyer):
    """C. com. L441-10: the API takes an invoice's own `payment_terms_days`; 61 days is
    refused with the French reason on the field, whether the draft is created, replaced or,
    saved before the limit was checked at save, issued; 60 days is accepted."""
    terms_61 = (
        "Délai de paiement de 61 jours : 60 jours au plus après la date de facture "
        "(C. com. L441-10)."
    )
    refused = {"detail": [terms_61], "fields": {"payment_terms_days": [terms_61]}}
    response = api.post(
        "/factures/", {"client_id": buyer.pk, "payment_terms_days": 61, "lines": [factories_line()]}
    )
    assert (response.status_code, response.json()) == (422, refused)
    assert not Facture.objects.exists()

    created = create_draft(api, buyer, [factories_line()], payment_terms_days=60)
    url = f"/factures/{created['id']}"
    response = api.put(url, {"payment_terms_days": 61, "lines": [factories_line()]})
    assert (response.status_code, response.json()) == (422, refused)
    assert api.get(url).json() == created

    Facture.objects.filter(pk=created["id"]).update(payment_terms_days=61)
    response = api.post(f"{url}/emettre")
    assert (response.status_code, response.json()["detail"]) == (422, [terms_61])
    Facture.objects.filter(pk=created["id"]).update(payment_terms_days=60)
    issued = api.post(f"{url}/emettre").json()
    assert date.fromisoformat(issued["due_date"]) - date.fromisoformat(issued["issue_date"]) == (
        timedelta(days=60)
    )


def test_a_draft_can_be_deleted(api, buyer):
    created = create_draft(api, buyer, [factories_line()])
    assert api.delete(f"/factures/{created['id']}").status_code == 204
    assert api.get(f"/factures/{created['id']}").status_code == 404


def factories_line(**extra) -> dict:
    return {"designation": "Prestation", "quantity": "1", "unit_price": "100", **extra}


# Issuing


def test_issuing_numbers_the_invoice_and_freezes_it(api, buyer, article):
    created = create_draft(api, buyer, three_lines(article))
    response = api.post(f"/factures/{created['id']}/emettre")
    assert response.status_code == 200, response.content
    issued = response.json()
    today = timezone.localdate()
    assert issued["status"] == "emise"
    assert issued["number"] == f"F-{today.year}-00001"
    assert issued["issue_date"] == today.isoformat() and issued["due_date"]
    assert (issued["total_excl_vat"], issued["total_vat"], issued["total_incl_vat"]) == (
        "137.00", "25.95", "162.95",
    )  # fmt: skip
    assert issued["amount_due"] == "162.95"

    url = f"/factures/{created['id']}"
    response = api.put(url, {"subject": "Trop tard", "lines": [factories_line()]})
    assert response.status_code == 422
    assert response.json()["detail"] == [
        f"{issued['number']} est émise : elle ne peut plus être modifiée. Faites un avoir."
    ]
    assert api.delete(url).status_code == 422
    assert api.post(f"{url}/emettre").status_code == 422
    assert api.get(url).json() == issued


def test_issuing_lists_every_missing_mention(client, owner_a):
    headers = auth(factories.token(owner_a))
    customer = factories.client(owner_a.company, name="Sans Adresse")
    response = client.post(
        f"{API}/factures/",
        {"client_id": customer.pk, "lines": [factories_line(vat_rate="0")]},
        content_type="application/json", headers=headers,
    )  # fmt: skip
    facture_id = response.json()["id"]
    response = client.post(f"{API}/factures/{facture_id}/emettre", headers=headers)
    assert response.status_code == 422
    problems = response.json()["detail"]
    text = " ".join(problems)
    for expected in ("adresse complète", "adresse de facturation", "motif d'exonération"):
        assert expected in text
    assert len(problems) >= 3
    assert Facture.objects.get(pk=facture_id).number == ""


# Credit notes


def test_a_partial_credit_note_issued_lowers_the_amount_due(api, seller, buyer):
    invoice = factories.issued(
        seller, buyer,
        lines=[factories.line("A", "2", "50"), factories.line("B", "1", "10", "5.5")],
    )  # fmt: skip
    line_a = invoice.lines.get(designation="A")
    response = api.post(
        f"/factures/{invoice.pk}/avoirs",
        {"lines": {str(line_a.pk): "1"}, "reason": "Retour d'un article"},
    )
    assert response.status_code == 201, response.content
    avoir = response.json()
    assert (avoir["kind"], avoir["status"]) == ("avoir", "brouillon")
    assert avoir["origin_id"] == invoice.pk
    assert avoir["origin_number"] == invoice.number and avoir["subject"] == "Retour d'un article"
    assert [(ln["quantity"], ln["origin_line_id"]) for ln in avoir["lines"]] == [
        ("1.000", line_a.pk)
    ]
    assert avoir["total_incl_vat"] == "60.00"

    issued = api.post(f"/factures/{avoir['id']}/emettre").json()
    assert issued["number"].startswith("AV-") and issued["amount_due"] is None
    detail = api.get(f"/factures/{invoice.pk}").json()
    assert (detail["total_incl_vat"], detail["amount_due"]) == ("130.55", "70.55")
    assert detail["credit_note_ids"] == [avoir["id"]]
    listed = api.get("/factures/", type="facture").json()["items"]
    assert [(f["id"], f["amount_due"]) for f in listed] == [(invoice.pk, "70.55")]


def test_a_credit_note_by_amount_beyond_the_invoice_is_refused(api, seller, buyer):
    invoice = factories.issued(seller, buyer)  # 120.00 incl. VAT
    response = api.post(
        f"/factures/{invoice.pk}/avoirs", {"amount_excl_vat": "1000", "vat_rate": "20"}
    )
    assert response.status_code == 422
    assert "dépasse" in " ".join(response.json()["detail"])
    response = api.post(f"/factures/{invoice.pk}/avoirs", {"lines": {}})
    assert response.status_code == 422
    response = api.post(
        f"/factures/{invoice.pk}/avoirs", {"amount_excl_vat": "25", "vat_rate": "20"}
    )
    assert response.status_code == 201
    assert response.json()["total_incl_vat"] == "30.00"
    assert Facture.objects.filter(origin=invoice).count() == 1


def test_a_draft_cannot_be_credited(api, buyer):
    created = create_draft(api, buyer, [factories_line()])
    assert api.post(f"/factures/{created['id']}/avoirs").status_code == 422


# PDF


def test_the_pdf_of_an_issued_invoice(api, seller, buyer):
    invoice = factories.issued(seller, buyer)
    response = api.get(f"/factures/{invoice.pk}/pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    draft = factories.draft(seller, buyer)
    assert api.get(f"/factures/{draft.pk}/pdf").status_code == 422


# List


def test_the_list_filters_by_type_status_customer_text_and_dates(api, seller, buyer):
    other = factories.business_client(seller, name="Zeta SARL")
    january = facture_emettre(
        facture=factories.draft(seller, buyer), user=None, today=date(2026, 1, 15)
    )
    march = facture_emettre(
        facture=factories.draft(seller, other), user=None, today=date(2026, 3, 15)
    )
    draft = factories.draft(seller, buyer)

    def ids(**params):
        return sorted(f["id"] for f in api.get("/factures/", **params).json()["items"])

    assert ids() == sorted([january.pk, march.pk, draft.pk])
    assert ids(statut="brouillon") == [draft.pk]
    assert ids(statut="emise", client=buyer.pk) == [january.pk]
    assert ids(q="Zeta") == [march.pk]
    assert ids(q=january.number) == [january.pk]
    assert ids(du="2026-02-01") == [march.pk]
    assert ids(du="2026-01-01", au="2026-01-31") == [january.pk]
    assert ids(type="avoir") == []
    page = api.get("/factures/", limit=2, offset=2).json()
    assert page["count"] == 3 and len(page["items"]) == 1
    row = next(f for f in api.get("/factures/").json()["items"] if f["id"] == draft.pk)
    assert row["total_incl_vat"] is None and row["amount_due"] is None
    assert api.get("/factures/", statut="perdue").status_code == 422


def test_listing_invoices_costs_the_same_queries_for_one_or_many(api, seller, buyer):
    factories.issued(seller, buyer)
    api.get("/factures/")  # the token's first use records its date: not a list query
    with CaptureQueriesContext(connection) as one:
        assert api.get("/factures/").status_code == 200
    for _ in range(4):
        factories.issued(seller, buyer)
    factories.draft(seller, buyer)
    with CaptureQueriesContext(connection) as many:
        assert api.get("/factures/").json()["count"] == 6
    assert len(many) == len(one)


# Scoping and roles


def test_another_companys_invoice_is_a_404(api, seller):
    theirs_company = factories.issuing_company("Autre SAS")
    theirs = factories.issued(theirs_company)
    their_draft = factories.draft(theirs_company)
    their_article = Article.objects.create(company=theirs_company, designation="Secret")
    for path in (f"/factures/{theirs.pk}", f"/factures/{theirs.pk}/pdf"):
        assert api.get(path).status_code == 404
    assert api.put(f"/factures/{their_draft.pk}", {"lines": []}).status_code == 404
    assert api.post(f"/factures/{their_draft.pk}/emettre").status_code == 404
    assert api.delete(f"/factures/{their_draft.pk}").status_code == 404
    assert api.post(f"/factures/{theirs.pk}/avoirs").status_code == 404
    assert api.get(f"/articles/{their_article.pk}").status_code == 404
    assert api.get("/factures/").json()["count"] == 0
    assert api.get("/articles/").json()["count"] == 0
    their_draft.refresh_from_db()
    assert their_draft.status == "brouillon"

    response = api.post("/factures/", {"client_id": their_draft.client_id})
    assert (response.status_code, response.json()["fields"]) == (
        422, {"client_id": ["Client inconnu."]},
    )  # fmt: skip
    mine = factories.business_client(seller)
    response = api.post(
        "/factures/", {"client_id": mine.pk, "lines": [{"article_id": their_article.pk}]}
    )
    assert response.status_code == 422
    assert response.json()["detail"] == ["Ligne 1 : article inconnu."]
    assert not Facture.objects.filter(company=seller).exists()


def test_an_accountant_token_reads_but_never_writes(client, seller, buyer):
    invoice = factories.issued(seller, buyer)
    draft = factories.draft(seller, buyer)
    headers = auth(factories.token(factories.member(seller, Role.ACCOUNTANT)))

    def call(method, path, data=None):
        kwargs = {"content_type": "application/json"} if data is not None else {}
        return getattr(client, method)(f"{API}{path}", data, headers=headers, **kwargs)

    assert call("get", "/factures/").json()["count"] == 2
    assert call("get", f"/factures/{invoice.pk}").status_code == 200
    assert call("get", "/articles/").status_code == 200
    assert call("get", "/registre/verification").status_code == 200
    refused = [
        call("post", "/factures/", {"client_id": buyer.pk}),
        call("put", f"/factures/{draft.pk}", {"lines": []}),
        call("delete", f"/factures/{draft.pk}"),
        call("post", f"/factures/{draft.pk}/emettre", {}),
        call("post", f"/factures/{invoice.pk}/avoirs", {}),
        call("post", "/articles/", {"designation": "Non"}),
    ]
    assert [response.status_code for response in refused] == [403] * len(refused)
    assert Facture.objects.count() == 2 and not Article.objects.exists()


# Register and schema


def test_the_registre_verification_is_ok_after_issuing(api, seller, buyer):
    empty = {"records": 0, "events": 1, "ok": True, "findings": []}  # the token's creation
    assert api.get("/registre/verification").json() == empty
    factories.issued(seller, buyer)
    report = api.get("/registre/verification").json()
    assert report == {"records": 1, "events": 1, "ok": True, "findings": []}


def test_the_openapi_schema_lists_the_invoicing_paths(client):
    paths = client.get(f"{API}/openapi.json").json()["paths"]
    for path in (
        "/articles/", "/articles/{article_id}", "/factures/", "/factures/{facture_id}",
        "/factures/{facture_id}/emettre", "/factures/{facture_id}/pdf",
        "/factures/{facture_id}/avoirs", "/registre/verification",
    ):  # fmt: skip
        assert f"{API}{path}" in paths
    assert (
        "application/pdf"
        in paths[f"{API}/factures/{{facture_id}}/pdf"]["get"]["responses"]["200"]["content"]
    )


def test_the_line_schemas_publish_their_fields_defaults_and_descriptions(client):
    """LigneIn and LigneOut are generated from the line spec (pgi.lignes): the contract holds."""
    schemas = client.get(f"{API}/openapi.json").json()["components"]["schemas"]
    line_in = schemas["LigneIn"]["properties"]
    assert {name: field.get("default") for name, field in line_in.items()} == {
        "article_id": None, "designation": "", "description": "", "quantity": "1",
        "unit": "unité", "unit_price": "0", "discount_rate": "0", "vat_rate": "20.00",
        "vat_exemption_reason": "", "nature": "service", "deposit_id": None,
        "origin_line_id": None,
    }  # fmt: skip
    assert list(line_in)[0] == "article_id" and list(line_in)[-2:] == [
        "deposit_id", "origin_line_id"
    ]  # fmt: skip
    assert line_in["designation"]["maxLength"] == 200
    assert line_in["unit_price"]["description"] == "Prix unitaire HT (€)"
    assert line_in["unit"]["allOf"] == [{"$ref": "#/components/schemas/Unit"}]
    assert "required" not in schemas["LigneIn"]
    line_out = schemas["LigneOut"]
    assert list(line_out["properties"]) == line_out["required"] == [
        "id", "position", "article_id", "origin_line_id", "deposit_id", "designation",
        "description", "quantity", "unit", "unit_price", "discount_rate", "allowance", "net",
        "vat_rate", "vat_exemption_reason", "nature",
    ]  # fmt: skip
    assert line_out["properties"]["net"]["description"] == "Montant net HT de la ligne"
    assert line_out["properties"]["unit"] == {"title": "Unit", "type": "string"}


def test_put_keeps_a_deposit_deduction_line_sent_back_with_its_deposit_id(api, seller, buyer):
    from facturation.services import acompte_creer, facture_deduire_acomptes, facture_emettre

    final = factories.draft(seller, buyer, lines=[factories.line("Pose", "1", "1000")])
    deposit = facture_emettre(
        facture=acompte_creer(company=seller, client=buyer, user=None, facture=final,
                              percent=Decimal("30")),
        user=None,
    )  # fmt: skip
    facture_deduire_acomptes(facture=final, deposits=[deposit])
    detail = api.get(f"/factures/{final.pk}").json()
    lines = [
        {k: line[k] for k in ("designation", "quantity", "unit", "unit_price", "vat_rate",
                              "nature", "deposit_id")}
        for line in detail["lines"]
    ]  # fmt: skip
    assert [line["deposit_id"] for line in lines] == [None, deposit.pk]
    response = api.put(f"/factures/{final.pk}", {"client_id": buyer.pk, "lines": lines})
    assert response.status_code == 200, response.content
    assert response.json()["total_excl_vat"] == "700.00"
