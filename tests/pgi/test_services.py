import pytest
from django.core import mail

from pgi import services
from pgi.exceptions import DomainError
from pgi.models import Membership
from pgi.permissions import Role
from tests import factories


@pytest.mark.django_db
def test_company_create_makes_the_user_owner_and_derives_the_vat_number():
    user = factories.user()
    company = services.company_create(
        owner=user, fields={"legal_name": "Nouvelle SAS", "siren": "552 081 317"}
    )
    assert company.siren == "552081317"
    assert company.vat_number == "FR03552081317"
    assert Membership.objects.get(user=user, company=company).role == Role.OWNER


@pytest.mark.django_db
def test_company_update_lists_every_invalid_identifier_at_once(company_a):
    with pytest.raises(DomainError) as exc:
        services.company_update(
            company=company_a,
            fields={"siren": "123456789", "iban": "FR76300060000112345678901", "bic": "ZZ"},
        )
    assert set(exc.value.field_errors) == {"siren", "iban", "bic"}
    company_a.refresh_from_db()
    assert company_a.siren != "123456789"


@pytest.mark.django_db
def test_sole_trader_is_flagged_ei(company_a):
    services.company_update(company=company_a, fields={"legal_form": "EI", "is_ei": False})
    assert company_a.is_ei is True


@pytest.mark.django_db(transaction=True)
def test_invitation_is_emailed_then_accepted_into_a_membership(company_a):
    owner = factories.member(company_a, Role.OWNER)
    invitation = services.invitation_send(
        company=company_a, email="New@Example.fr", role=Role.ACCOUNTANT, invited_by=owner.user
    )
    assert len(mail.outbox) == 1
    assert "/invitation/" in mail.outbox[0].body
    token = services.invitation_token(invitation)
    membership = services.invitation_accept(
        token=token, user=None, password="un-mot-de-passe-solide", full_name="Nouvel Arrivant"
    )
    assert membership.role == Role.ACCOUNTANT
    assert membership.user.email == "new@example.fr"
    with pytest.raises(DomainError, match="déjà été utilisée"):
        services.invitation_accept(token=token, user=None, password="x")


@pytest.mark.django_db
def test_a_forged_invitation_token_is_refused():
    with pytest.raises(DomainError, match="pas valide"):
        services.invitation_from_token("not-a-token")


@pytest.mark.django_db
def test_the_last_owner_cannot_be_demoted(owner_a):
    with pytest.raises(DomainError, match="au moins un gérant"):
        services.membership_change_role(membership=owner_a, role=Role.STAFF)


@pytest.mark.django_db
def test_api_token_is_stored_hashed_and_revocable(owner_a):
    token, secret = services.api_token_create(membership=owner_a, name="Zapier")
    assert secret not in token.key_hash
    assert secret.startswith(f"enc_{token.prefix}_")
    assert services.api_token_authenticate(secret) == token
    assert services.api_token_authenticate(secret[:-1] + "x") is None
    services.api_token_revoke(token=token)
    assert services.api_token_authenticate(secret) is None
