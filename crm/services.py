"""Writes on customers and contacts; every check of a field lives on the model field."""

from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from crm.models import Client, ClientKind, Contact
from pgi.exceptions import DomainError
from pgi.identifiers import normalize
from pgi.models import Company

CLIENT_FIELDS = frozenset(
    {
        "kind", "status", "name", "siren", "siret", "vat_number", "legal_form", "naf_code",
        "email", "phone",
        "billing_line1", "billing_line2", "billing_postal_code", "billing_city", "billing_country",
        "delivery_line1", "delivery_line2", "delivery_postal_code", "delivery_city",
        "delivery_country", "payment_terms_days", "notes", "source", "tags", "owner",
    }
)  # fmt: skip


def client_valider(client: Client) -> None:
    """Normalises identifiers and raises a DomainError naming every invalid field."""
    for field in ("siren", "siret", "vat_number"):
        setattr(client, field, normalize(getattr(client, field)))
    client.billing_country = (client.billing_country or "FR").upper()
    client.delivery_country = (client.delivery_country or "").upper()
    if client.siret and not client.siren and len(client.siret) == 14:
        client.siren = client.siret[:9]
    errors: dict[str, list[str]] = {}
    if client.owner_id and not client.owner.memberships.filter(company=client.company).exists():
        errors["owner"] = [_("Ce responsable n'est pas membre de la société.")]
    try:
        client.full_clean(exclude=["company", "owner"], validate_unique=False)
    except ValidationError as exc:
        for f, errs in exc.error_dict.items():
            errors.setdefault(f, []).extend(m for e in errs for m in e.messages)
    if client.siren and client.siret and "siret" not in errors and "siren" not in errors:
        if not client.siret.startswith(client.siren):
            errors.setdefault("siret", []).append(
                _("Le SIRET doit commencer par le SIREN (%(siren)s).") % {"siren": client.siren}
            )
    if client.kind == ClientKind.INDIVIDUAL and (client.siren or client.siret):
        errors.setdefault("kind", []).append(
            _("Un particulier n'a pas de SIREN : choisissez « Entreprise ».")
        )
    if client.siret and "siret" not in errors:
        duplicate = Client.objects.for_company(client.company).filter(siret=client.siret)
        if client.pk:
            duplicate = duplicate.exclude(pk=client.pk)
        if duplicate.exists():
            errors.setdefault("siret", []).append(_("Un client avec ce SIRET existe déjà."))
    if errors:
        problems = [m for msgs in errors.values() for m in msgs]
        raise DomainError(problems, field_errors=errors)


def _assign(client: Client, fields: dict[str, Any]) -> None:
    unknown = set(fields) - CLIENT_FIELDS
    if unknown:
        raise DomainError(_("Champs inconnus : %(f)s") % {"f": ", ".join(sorted(unknown))})
    for name, value in fields.items():
        if name == "tags":
            value = sorted({" ".join(str(t).split())[:40] for t in value or [] if str(t).strip()})
        elif value is None and name not in ("payment_terms_days", "owner"):
            value = ""
        setattr(client, name, value)


@transaction.atomic
def client_creer(*, company: Company, fields: dict[str, Any]) -> Client:
    """Creates a customer or prospect of `company`."""
    client = Client(company=company)
    _assign(client, fields)
    client_valider(client)
    try:
        with transaction.atomic():
            client.save()
    except IntegrityError as exc:  # two simultaneous creations with the same SIRET
        raise DomainError(_("Un client avec ce SIRET existe déjà.")) from exc
    return client


@transaction.atomic
def client_modifier(*, client: Client, fields: dict[str, Any]) -> Client:
    _assign(client, fields)
    client_valider(client)
    client.save()
    return client


def _contact_enregistrer(contact: Contact, fields: dict[str, Any]) -> Contact:
    for name, value in fields.items():
        setattr(contact, name, value)
    try:
        contact.full_clean(exclude=["company", "client"])
    except ValidationError as exc:
        raise DomainError.from_validation_error(exc) from exc
    contact.save()
    if contact.is_primary:
        contact.client.contacts.exclude(pk=contact.pk).update(is_primary=False)
    return contact


@transaction.atomic
def contact_creer(*, client: Client, fields: dict[str, Any]) -> Contact:
    """Adds a contact to a customer; one primary contact per customer at most."""
    return _contact_enregistrer(Contact(client=client, company=client.company), fields)


@transaction.atomic
def contact_modifier(*, contact: Contact, fields: dict[str, Any]) -> Contact:
    """Changes a contact; one primary contact per customer at most."""
    return _contact_enregistrer(contact, fields)


@transaction.atomic
def contact_supprimer(*, contact: Contact) -> None:
    contact.delete()


# The sales funnel (crm.pipeline), named here for the apps that call crm: the quotes app wins
# an opportunity when its quote is accepted and proposes to lose it when refused or expired.
# Know who you prospect (crm.directory): the quotes app calls this before sending a quote.
from crm.directory import client_verifier_avant_envoi as client_verifier_avant_envoi  # noqa: E402
from crm.directory import entreprise_verifier as entreprise_verifier  # noqa: E402
from crm.pipeline import activite_creer as activite_creer  # noqa: E402
from crm.pipeline import activite_terminer as activite_terminer  # noqa: E402
from crm.pipeline import etape_enregistrer as etape_enregistrer  # noqa: E402
from crm.pipeline import etape_supprimer as etape_supprimer  # noqa: E402
from crm.pipeline import etapes_par_defaut as etapes_par_defaut  # noqa: E402
from crm.pipeline import opportunite_creer as opportunite_creer  # noqa: E402
from crm.pipeline import opportunite_deplacer as opportunite_deplacer  # noqa: E402
from crm.pipeline import opportunite_gagner as opportunite_gagner  # noqa: E402
from crm.pipeline import opportunite_modifier as opportunite_modifier  # noqa: E402
from crm.pipeline import opportunite_perdre as opportunite_perdre  # noqa: E402
from crm.pipeline import opportunite_proposer_perte as opportunite_proposer_perte  # noqa: E402
