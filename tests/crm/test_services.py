import pytest

from crm.importing import clients_importer, clients_previsualiser
from crm.models import Client
from crm.services import (
    client_creer,
    client_modifier,
    contact_creer,
    contact_modifier,
    contact_supprimer,
)
from pgi.exceptions import DomainError
from tests import factories


@pytest.mark.django_db
def test_client_identifiers_are_normalised(company_a):
    client = client_creer(
        company=company_a,
        fields={"name": "Dupont", "siret": "552 081 317 00018", "vat_number": "fr 03 552081317"},
    )
    assert client.siren == "552081317"  # taken from the SIRET
    assert client.siret == "55208131700018"
    assert client.vat_number == "FR03552081317"


@pytest.mark.django_db
def test_invalid_identifiers_are_all_reported_at_once(company_a):
    with pytest.raises(DomainError) as exc:
        client_creer(
            company=company_a,
            fields={
                "name": "X",
                "siren": "552081318",
                "vat_number": "FR00000000000",
                "email": "nope",
            },
        )
    assert set(exc.value.field_errors) == {"siren", "vat_number", "email"}
    assert not Client.objects.exists()


@pytest.mark.django_db
def test_siret_must_belong_to_the_siren(company_a):
    other = factories.siren()
    with pytest.raises(DomainError, match="doit commencer par le SIREN"):
        client_creer(
            company=company_a, fields={"name": "X", "siren": other, "siret": "55208131700018"}
        )


@pytest.mark.django_db
def test_same_siret_twice_in_one_company_is_refused_but_allowed_in_another(company_a, company_b):
    client_creer(company=company_a, fields={"name": "A", "siret": "55208131700018"})
    with pytest.raises(DomainError, match="existe déjà"):
        client_creer(company=company_a, fields={"name": "B", "siret": "55208131700018"})
    client_creer(company=company_b, fields={"name": "A", "siret": "55208131700018"})


@pytest.mark.django_db
def test_payment_terms_beyond_sixty_days_are_refused(company_a):
    client = factories.client(company_a)
    with pytest.raises(DomainError, match="60"):
        client_modifier(client=client, fields={"payment_terms_days": 90})


CSV_WITH_ERRORS = (
    "nom;type;statut;siren;email;code postal;ville;delai de paiement\r\n"
    "Boulangerie Dupont;entreprise;client;552081317;contact@dupont.fr;75002;Paris;30\r\n"
    ";entreprise;client;;;;;\r\n"
    "Garage Faux;entreprise;prospect;552081318;;;;\r\n"
    "Madame Petit;particulier;client;;petit@exemple;;;quarante\r\n"
    "Menuiserie;association;client;;;;;\r\n"
)


@pytest.mark.django_db
def test_csv_preview_reports_each_bad_row_with_its_line(company_a):
    preview = clients_previsualiser(company=company_a, text=CSV_WITH_ERRORS)
    assert [row.line for row in preview.valid_rows] == [2]
    errors = {row.line: " ".join(row.errors) for row in preview.invalid_rows}
    assert "nom est obligatoire" in errors[3]
    assert "SIREN" in errors[4]
    assert "e-mail" in errors[5].lower() and "nombre de jours" in errors[5]
    assert "association" in errors[6]
    assert not Client.objects.exists()  # a preview writes nothing


@pytest.mark.django_db
def test_csv_import_creates_only_the_valid_rows(company_a):
    created, skipped = clients_importer(company=company_a, text=CSV_WITH_ERRORS)
    assert (created, skipped) == (1, 4)
    client = Client.objects.get()
    assert (client.name, client.siren, client.payment_terms_days) == (
        "Boulangerie Dupont",
        "552081317",
        30,
    )
    assert client.company == company_a


@pytest.mark.django_db
def test_csv_without_a_name_column_is_refused(company_a):
    with pytest.raises(DomainError, match="Colonne « nom » introuvable"):
        clients_previsualiser(company=company_a, text="raison;ville\r\nX;Paris\r\n")


@pytest.mark.django_db
def test_csv_duplicate_siret_inside_the_file_is_flagged(company_a):
    text = "nom,siret\nA,55208131700018\nB,55208131700018\n"
    preview = clients_previsualiser(company=company_a, text=text)
    assert "en double avec la ligne 2" in " ".join(preview.invalid_rows[0].errors)


@pytest.mark.django_db
def test_a_customer_has_one_primary_contact_at_most(company_a):
    client = factories.client(company_a)
    first = contact_creer(client=client, fields={"last_name": "Petit", "is_primary": True})
    second = contact_creer(client=client, fields={"last_name": "Durand", "is_primary": False})
    contact_modifier(contact=second, fields={"is_primary": True})
    first.refresh_from_db()
    assert (first.is_primary, second.is_primary) == (False, True)
    contact_supprimer(contact=first)
    assert list(client.contacts.all()) == [second]
