"""Starting alone (issue #15): signing up, the first company, the confirmation of the email
address and the dashboard's first-run checklist, all through the pages."""

import re

import pytest
from django.core import mail
from django.urls import reverse
from stdnum.fr import siren as fr_siren

from pgi.models import Company, Membership, User
from pgi.permissions import Role
from tests import factories
from tests.conftest import login

pytestmark = pytest.mark.django_db

SIGNUP = reverse("signup")
PASSWORD = "Bonne-phrase-de-passe-2026"
IDENTITY = {
    "legal_name": "Atelier Dupont", "legal_form": "SARL", "siren": "552 081 317",
    "address_line1": "3 rue des Lilas", "postal_code": "69003", "city": "Lyon",
}  # fmt: skip


def sign_up(client, capture, **fields):
    data = {"full_name": "Marie Dupont", "email": "marie@atelier.example",
            "password": PASSWORD, "password2": PASSWORD, **fields}  # fmt: skip
    with capture(execute=True):
        return client.post(SIGNUP, data)


def test_a_new_business_signs_up_names_its_company_and_lands_on_the_checklist(
    client, django_capture_on_commit_callbacks
):
    """The public page opens an account and logs it in, step 2 creates the company with the
    new user as owner, and the dashboard shows the first-run checklist with the banner
    asking to confirm the address; the confirmation link (GET shows, POST confirms)
    removes the banner."""
    login_page = client.get(reverse("login")).content.decode()
    assert f'href="{SIGNUP}"' in login_page and "Créer un compte" in login_page

    response = sign_up(client, django_capture_on_commit_callbacks)
    assert response.status_code == 302 and response["Location"] == reverse("company_create")
    user = User.objects.get(email="marie@atelier.example")
    assert user.full_name == "Marie Dupont" and user.email_verified_at is None
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["marie@atelier.example"]
    link = re.search(r"https?://\S+/inscription/confirmer/\S+/", mail.outbox[0].body).group(0)

    step2 = client.get(reverse("company_create")).content.decode()
    assert "Étape 2 sur 2" in step2
    response = client.post(reverse("company_create"), IDENTITY)
    assert response.status_code == 302 and response["Location"] == reverse("home")
    company = Company.objects.get()
    assert company.siren == "552081317" and company.vat_number == "FR03552081317"
    assert Membership.objects.get(user=user).role == Role.OWNER

    home = client.get(reverse("home")).content.decode()
    assert 'data-testid="first-run-checklist"' in home
    assert 'data-testid="email-verification-banner"' in home
    assert "Bienvenue ! Voici vos premiers pas." in home

    path = link.split("://", 1)[1].split("/", 1)[1]
    page = client.get("/" + path)
    assert "Confirmer mon adresse" in page.content.decode()
    user.refresh_from_db()
    assert user.email_verified_at is None  # a GET never writes
    response = client.post("/" + path)
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.email_verified_at is not None
    assert (
        'data-testid="email-verification-banner"'
        not in client.get(reverse("home")).content.decode()
    )


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"email": "pas-une-adresse"}, "email", "Saisissez une adresse de courriel valide."),
        ({"email": "deja@pris.example"}, "email", "Un compte existe déjà pour cette adresse"),
        ({"password": "12345678", "password2": "12345678"}, "password", "trop courant"),
        ({"password": "azerty", "password2": "azerty"}, "password", "trop court"),
        ({"password2": "autre-chose-2026"}, "password2", "ne correspondent pas"),
        ({"email": ""}, "email", "Ce champ est obligatoire."),
    ],
)
def test_each_sign_up_field_says_what_is_wrong_in_french(
    client, django_capture_on_commit_callbacks, fields, field, message
):
    """A taken address, a weak password (Django's validators), mismatched passwords or a
    malformed address: the page answers 200 with the French reason under that field, and no
    account is opened nor email sent."""
    factories.user("deja@pris.example")
    response = sign_up(client, django_capture_on_commit_callbacks, **fields)
    assert response.status_code == 200
    form = response.context["form"]
    assert any(message in error for error in form.errors[field]), form.errors
    assert User.objects.count() == 1 and mail.outbox == []


def test_a_company_identity_is_checked_field_by_field(client, django_capture_on_commit_callbacks):
    """Step 2 checks the SIREN with python-stdnum and refuses a SIREN already registered,
    each under the SIREN field; nothing is created."""
    sign_up(client, django_capture_on_commit_callbacks)
    factories.company("Déjà là", siren="732829320")
    for siren, message in (
        ("552081318", "Ce SIREN n&#x27;est pas valide (clé de contrôle incorrecte)."),
        ("55208", "Le SIREN doit comporter 9 chiffres."),
        ("732 829 320", "Une société avec ce SIREN existe déjà"),
    ):
        response = client.post(reverse("company_create"), {**IDENTITY, "siren": siren})
        assert response.status_code == 200
        assert message in response.content.decode()
        assert "siren" in response.context["form"].errors
    missing = client.post(reverse("company_create"), {**IDENTITY, "legal_name": ""})
    assert "legal_name" in missing.context["form"].errors
    assert Company.objects.count() == 1


def test_sign_up_is_rate_limited_per_address(client, settings, django_capture_on_commit_callbacks):
    """Past the limit of attempts from one address, the page answers 429 in French and
    opens no account, even with valid fields."""
    settings.SIGNUP_RATE_PER_IP = "3/h"
    for index in range(3):
        response = sign_up(
            client, django_capture_on_commit_callbacks, email=f"bad{index}", password2="x"
        )
        assert response.status_code == 200
    response = sign_up(client, django_capture_on_commit_callbacks)
    assert response.status_code == 429
    assert "Trop d&#x27;inscriptions depuis cette adresse" in response.content.decode()
    assert not User.objects.exists()


def test_a_bad_or_forged_confirmation_link_is_refused(client):
    """A link whose signature is wrong, or that names an address the account no longer has,
    confirms nothing."""
    user = factories.user("a@b.example")
    user.email_verified_at = None
    user.save()
    from pgi.services import email_verification_token

    token = email_verification_token(user)
    response = client.post(reverse("email_verify", args=[token + "x"]))
    assert response.status_code == 400
    assert "Ce lien de confirmation n&#x27;est pas valide." in response.content.decode()
    User.objects.filter(pk=user.pk).update(email="c@d.example")
    assert client.post(reverse("email_verify", args=[token])).status_code == 400
    user.refresh_from_db()
    assert user.email_verified_at is None


def test_the_confirmation_link_can_be_sent_again_a_few_times(
    client, settings, django_capture_on_commit_callbacks
):
    """The banner's button emails a new link; past the per-account limit it answers 429."""
    settings.EMAIL_VERIFICATION_RATE = "2/h"
    sign_up(client, django_capture_on_commit_callbacks)
    url = reverse("email_verification_resend")
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            assert client.post(url).status_code == 302
    assert len(mail.outbox) == 3
    assert client.post(url).status_code == 429
    assert len(mail.outbox) == 3


def test_the_checklist_ticks_each_step_from_real_data(client, django_capture_on_commit_callbacks):
    """Each step is ticked from the company's data (identity complete, IBAN, logo, payment
    terms chosen, numbering set, a customer, an issued invoice), not from a stored tick; the
    list disappears once complete, and a member may hide it for good."""
    company = factories.company("Nouvelle SAS", legal_form="SAS")
    owner = factories.member(company, Role.OWNER)
    login(client, owner)

    def steps() -> dict[str, bool]:
        body = client.get(reverse("home")).content.decode()
        return {
            key: done == "true"
            for key, done in re.findall(r'data-testid="step-(\w+)" data-done="(\w+)"', body)
        }

    assert steps() == {"identite": False, "iban": False, "logo": False, "conditions": False,
                       "numerotation": False, "client": False, "facture": False}  # fmt: skip
    full = factories.issuing_company("Complète SAS")
    for name in ("address_line1", "postal_code", "city", "siret", "registry_city",
                 "vat_number", "share_capital", "iban", "bic"):  # fmt: skip
        setattr(company, name, getattr(full, name))
    company.payment_terms_days = 45
    company.logo = "logos/logo.png"
    company.vat_number = "FR" + fr_siren.to_tva(company.siren)
    company.save()
    client.post(
        reverse("facturation:numerotation_reprendre"),
        {"series": "facture", "next_number": "12", "confirm": "on"},
    )
    customer = factories.business_client(company)
    assert steps() == {"identite": True, "iban": True, "logo": True, "conditions": True,
                       "numerotation": True, "client": True, "facture": False}  # fmt: skip
    factories.issued(company, customer)
    assert steps() == {}  # complete: gone

    other = factories.company("Autre SARL")
    member = factories.member(other, Role.OWNER)
    login(client, member)
    assert steps()["identite"] is False
    assert client.post(reverse("checklist_hide")).status_code == 302
    assert steps() == {}


def test_only_members_who_manage_settings_see_the_checklist(client):
    """A collaborator cannot act on the settings the checklist links to: it is not shown."""
    company = factories.company("Équipe SARL")
    login(client, factories.member(company, Role.STAFF))
    assert 'data-testid="first-run-checklist"' not in client.get(reverse("home")).content.decode()
