"""Test data builders; they go through the services where a service exists."""

import itertools

from stdnum import luhn

from crm.models import Client
from crm.services import client_create
from pgi.models import Company, Membership, User
from pgi.permissions import Role
from pgi.services import api_token_create

PASSWORD = "mot-de-passe-de-test-42"
_counter = itertools.count(10_000_000)


def siren() -> str:
    body = str(next(_counter))
    return body + luhn.calc_check_digit(body)


def siret(of_siren: str, nic: str = "0001") -> str:
    body = of_siren + nic
    return body + luhn.calc_check_digit(body)


def user(email: str | None = None) -> User:
    email = email or f"user{next(_counter)}@test.example"
    return User.objects.create_user(email, PASSWORD, full_name=email.split("@")[0])


def company(name: str = "Société Test", **fields) -> Company:
    return Company.objects.create(legal_name=name, siren=fields.pop("siren", siren()), **fields)


def member(company_: Company, role: str = Role.OWNER, email: str | None = None) -> Membership:
    return Membership.objects.create(user=user(email), company=company_, role=role)


def client(company_: Company, name: str = "Client Test", **fields) -> Client:
    return client_create(company=company_, fields={"name": name, **fields})


def token(membership: Membership) -> str:
    return api_token_create(membership=membership, name="tests")[1]
