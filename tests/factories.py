"""Test data builders; they go through the services where a service exists."""

import itertools

from django.utils import timezone
from stdnum import luhn

from crm.models import Client
from crm.services import client_creer
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
    # Made like an admin's account: the address is vouched for, no confirmation banner.
    return User.objects.create_user(
        email, PASSWORD, full_name=email.split("@")[0], email_verified_at=timezone.now()
    )


def company(name: str = "Société Test", **fields) -> Company:
    return Company.objects.create(legal_name=name, siren=fields.pop("siren", siren()), **fields)


def member(company_: Company, role: str = Role.OWNER, email: str | None = None) -> Membership:
    return Membership.objects.create(user=user(email), company=company_, role=role)


def client(company_: Company, name: str = "Client Test", **fields) -> Client:
    return client_creer(company=company_, fields={"name": name, **fields})


def token(membership: Membership) -> str:
    return api_token_create(membership=membership, name="tests")[1]


def issuing_company(name: str = "Émettrice SAS", **fields) -> Company:
    """A company whose identity carries every mention an invoice needs."""
    of_siren = fields.pop("siren", siren())
    from stdnum.fr import siren as fr_siren

    defaults = {
        "legal_form": "SAS", "share_capital": "5000.00", "address_line1": "1 rue du Test",
        "postal_code": "75001", "city": "Paris", "siret": siret(of_siren), "registry": "RCS",
        "registry_city": "Paris", "vat_number": "FR" + fr_siren.to_tva(of_siren),
        "iban": "FR7630006000011234567890189", "bic": "AGRIFRPP",
    }  # fmt: skip
    defaults.update(fields)
    return Company.objects.create(legal_name=name, siren=of_siren, **defaults)


def business_client(company_: Company, name: str = "Client Pro SARL", **fields) -> Client:
    of_siren = fields.pop("siren", siren())
    from stdnum.fr import siren as fr_siren

    data = {
        "siren": of_siren, "vat_number": "FR" + fr_siren.to_tva(of_siren),
        "billing_line1": "2 avenue des Clients", "billing_postal_code": "69001",
        "billing_city": "Lyon", "status": "client",
    }  # fmt: skip
    data.update(fields)
    return client(company_, name=name, **data)


def line(designation: str = "Prestation", quantity="1", unit_price="100", vat_rate="20", **extra):
    from decimal import Decimal

    return {
        "designation": designation,
        "quantity": Decimal(quantity),
        "unit_price": Decimal(unit_price),
        "vat_rate": Decimal(vat_rate),
        **extra,
    }


def draft(company_: Company, client_: Client | None = None, lines=None, **fields):
    from facturation.services import facture_creer

    client_ = client_ or business_client(company_)
    return facture_creer(
        company=company_, client=client_, user=None, fields=fields,
        lines=lines if lines is not None else [line()],
    )  # fmt: skip


def issued(company_: Company, client_: Client | None = None, lines=None, **fields):
    from facturation.services import facture_emettre

    return facture_emettre(facture=draft(company_, client_, lines, **fields), user=None)


def etape(company_: Company, name: str):
    """One of the company's stages (the default funnel, created on first use)."""
    from crm.services import etapes_par_defaut

    return next(s for s in etapes_par_defaut(company=company_) if s.name == name)


def opportunite(company_: Company, client_: Client | None = None, **fields):
    from crm.services import opportunite_creer

    if "etape" in fields and isinstance(fields["etape"], str):
        fields["etape"] = etape(company_, fields["etape"])
    fields.setdefault("title", "Projet")
    fields.setdefault("amount", "1000.00")
    return opportunite_creer(
        company=company_, fields={"client": client_ or client(company_), **fields}
    )
