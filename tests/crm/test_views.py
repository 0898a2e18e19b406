import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from crm.models import Client
from tests import factories


@pytest.mark.django_db
def test_another_companys_customer_is_a_404(as_owner_a, company_b):
    theirs = factories.client(company_b, name="Secret de B")
    for url in (
        reverse("crm:client_detail", args=[theirs.pk]),
        reverse("crm:client_update", args=[theirs.pk]),
        reverse("crm:contact_create", args=[theirs.pk]),
    ):
        assert as_owner_a.get(url).status_code == 404
    assert (
        "Secret de B"
        not in as_owner_a.get(reverse("crm:client_list") + "?q=Secret").content.decode()
    )


@pytest.mark.django_db
def test_accountant_reads_but_cannot_create_a_customer(as_accountant_a, company_a):
    factories.client(company_a, name="Visible")
    assert "Visible" in as_accountant_a.get(reverse("crm:client_list")).content.decode()
    assert as_accountant_a.get(reverse("crm:client_create")).status_code == 403
    response = as_accountant_a.post(reverse("crm:client_create"), {"name": "Interdit"})
    assert response.status_code == 403
    assert not Client.objects.filter(name="Interdit").exists()


def _form(**overrides):
    data = {"kind": "entreprise", "status": "prospect", "name": "Nouveau", "billing_country": "FR"}
    data.update(overrides)
    return data


@pytest.mark.django_db
def test_create_customer_shows_the_siren_error_then_saves(as_owner_a, company_a):
    response = as_owner_a.post(reverse("crm:client_create"), _form(siren="552081318"))
    assert response.status_code == 200
    assert "clé de contrôle incorrecte" in response.content.decode()
    response = as_owner_a.post(reverse("crm:client_create"), _form(siren="552 081 317"))
    client = Client.objects.get(company=company_a)
    assert response["Location"] == client.get_absolute_url()
    assert client.siren == "552081317"


@pytest.mark.django_db
def test_htmx_validation_returns_the_form_partial_without_saving(as_owner_a):
    response = as_owner_a.post(
        reverse("crm:client_create"),
        _form(siren="123", _validate="1"),
        headers={"HX-Request": "true"},
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "9 chiffres" in body and "<html" not in body
    assert not Client.objects.exists()


@pytest.mark.django_db
def test_list_searches_by_name_and_siren_and_paginates(as_owner_a, company_a):
    for i in range(30):
        factories.client(company_a, name=f"Client {i:02d}")
    target = factories.client(company_a, name="Zèbre", siren="552081317")
    page1 = as_owner_a.get(reverse("crm:client_list")).content.decode()
    assert "Client 00" in page1 and "Client 29" not in page1
    assert "31 clients" in page1
    assert target.name in as_owner_a.get(reverse("crm:client_list") + "?q=552081").content.decode()
    assert target.name in as_owner_a.get(reverse("crm:client_list") + "?q=zèb").content.decode()


@pytest.mark.django_db
def test_list_query_count_does_not_grow_with_rows(
    as_owner_a, company_a, django_assert_max_num_queries
):
    for i in range(40):
        factories.client(company_a, name=f"Client {i}")
    with django_assert_max_num_queries(8):
        as_owner_a.get(reverse("crm:client_list"))


@pytest.mark.django_db
def test_csv_import_preview_then_confirm(as_owner_a, company_a):
    upload = SimpleUploadedFile(
        "clients.csv",
        "nom;siren;ville\nDupont;552081317;Paris\nFaux;552081318;Lyon\n".encode("cp1252"),
    )
    response = as_owner_a.post(reverse("crm:client_import"), {"file": upload})
    body = response.content.decode()
    assert "1 ligne(s) prête(s)" in body and "clé de contrôle" in body
    assert not Client.objects.exists()
    response = as_owner_a.post(reverse("crm:client_import"), {"confirm": "1"})
    assert response.status_code == 302
    assert list(Client.objects.values_list("name", flat=True)) == ["Dupont"]


@pytest.mark.django_db
def test_csv_export_contains_only_the_current_company(as_owner_a, company_a, company_b):
    factories.client(company_a, name="Alpha Client", siren="552081317")
    factories.client(company_b, name="Beta Client")
    response = as_owner_a.get(reverse("crm:client_export"))
    content = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(content), delimiter=";"))
    assert rows[0][:2] == ["nom", "type"]
    assert [r[0] for r in rows[1:]] == ["Alpha Client"]


@pytest.mark.django_db
def test_csv_export_neutralises_formulas(as_owner_a, company_a):
    """Issue #15, CSV injection: a cell starting with =, +, - or @ is a formula to a
    spreadsheet; it is exported as text (a leading apostrophe)."""
    factories.client(
        company_a, name='=HYPERLINK("http://x.example","Payer")', billing_city="@SUM(1)"
    )
    response = as_owner_a.get(reverse("crm:client_export"))
    content = b"".join(response.streaming_content).decode("utf-8-sig")
    row = list(csv.reader(io.StringIO(content), delimiter=";"))[1]
    assert row[0] == '\'=HYPERLINK("http://x.example","Payer")'
    assert not any(cell.startswith(("=", "+", "-", "@")) for cell in row)


@pytest.mark.django_db
def test_customer_page_lists_its_invoices_and_offers_a_new_one(client):
    from pgi.permissions import Role
    from tests.conftest import login

    seller = factories.issuing_company()
    login(client, factories.member(seller, Role.OWNER))
    customer = factories.business_client(seller, name="Client Fidèle")
    invoice = factories.issued(seller, customer)
    other = factories.issued(seller)  # another customer's invoice
    page = client.get(reverse("crm:client_detail", args=[customer.pk])).content.decode()
    assert invoice.number in page and other.number not in page
    assert f"?client={customer.pk}" in page


@pytest.mark.django_db
def test_csv_import_maps_columns_and_refuses_duplicates(as_owner_a, company_a):
    """Issue #20: a column with an unknown header is mapped by hand; a SIREN or an e-mail
    already known (or twice in the file) is a duplicate, not imported."""
    known = factories.client(company_a, name="Déjà Là", siren="732829320",
                             email="deja@exemple.fr")  # fmt: skip
    content = (
        "Société;Courriel;Identifiant;Origine;Etiquettes\n"
        "Nouveau Prospect;nouveau@exemple.fr;552081317;Salon, événement;bio, lyon\n"
        "Même SIREN;autre@exemple.fr;732829320;;\n"
        "Même e-mail;DEJA@exemple.fr;;;\n"
        "Encore lui;nouveau@exemple.fr;;;\n"
    ).encode()
    upload = SimpleUploadedFile("p.csv", content, content_type="text/csv")
    response = as_owner_a.post(reverse("crm:client_import"), {"file": upload})
    assert "Colonne « nom » introuvable" in response.content.decode()  # "Société" unknown

    # A header the importer knows is not needed: the mapping step names the columns.
    content = content.replace(b"Soci\xc3\xa9t\xc3\xa9", b"Nom")
    upload = SimpleUploadedFile("p.csv", content, content_type="text/csv")
    response = as_owner_a.post(reverse("crm:client_import"), {"file": upload})
    assert "Identifiant" not in response.context["preview"].mapping  # not recognised
    headers = response.context["preview"].headers
    mapping = {f"col-{i}": t for i, t in enumerate(["name", "email", "siren", "source", "tags"])}
    response = as_owner_a.post(reverse("crm:client_import"), {"remap": "1", **mapping})
    preview = response.context["preview"]
    assert headers == ["Nom", "Courriel", "Identifiant", "Origine", "Etiquettes"]
    errors = {row.fields["name"]: " ".join(row.errors) for row in preview.rows}
    assert errors["Nouveau Prospect"] == ""
    assert "SIREN déjà chez « Déjà Là »" in errors["Même SIREN"]
    assert "e-mail déjà chez « Déjà Là »" in errors["Même e-mail"]
    assert "e-mail en double avec la ligne 2" in errors["Encore lui"]
    as_owner_a.post(reverse("crm:client_import"), {"confirm": "1"})
    created = Client.objects.get(name="Nouveau Prospect")
    assert (created.siren, created.source, created.tags) == ("552081317", "salon", ["bio", "lyon"])
    assert Client.objects.filter(company=company_a).count() == 2
    assert known.pk
