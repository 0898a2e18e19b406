"""The first-run checklist of the dashboard (premiers pas): what a new business still has to
set before its first invoice, each step read from the company's real data, never a stored
tick. It shows to members who may change the settings, until every step is done or they
hide it (`pgi.services.membership_checklist_hide`)."""

from dataclasses import dataclass

from django.db.models import Exists, OuterRef
from django.urls import reverse
from django.utils.formats import number_format
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from crm.models import Client
from facturation.mentions import seller_missing_mentions
from facturation.models import Facture
from pgi.models import Company, Membership, NumberingFormat, NumberingSeries
from pgi.permissions import Perm

# Payment terms left at the model's defaults were never chosen by the owner.
TERMS_FIELDS = ("payment_terms_days", "late_penalty_rate", "recovery_indemnity")


@dataclass(frozen=True)
class Etape:
    key: str
    label: str
    done: bool
    url: str
    detail: str = ""


def premiers_pas_lire(*, company: Company, membership: Membership) -> list[Etape] | None:
    """The checklist's steps, or None when it is not to be shown (hidden, complete, or the
    member may not change the settings). One query, whatever the company's size."""
    if membership.checklist_hidden_at is not None or not membership.has_perm(Perm.SETTINGS_MANAGE):
        return None
    facts = (
        Company.objects.filter(pk=company.pk)
        .annotate(
            has_format=Exists(NumberingFormat.objects.filter(company=OuterRef("pk"))),
            has_counter=Exists(NumberingSeries.objects.filter(company=OuterRef("pk"))),
            has_client=Exists(Client.objects.filter(company=OuterRef("pk"))),
            has_invoice=Exists(Facture.objects.filter(company=OuterRef("pk")).exclude(number="")),
        )
        .values("has_format", "has_counter", "has_client", "has_invoice")
        .get()
    )
    missing = seller_missing_mentions(company)
    settings_url = reverse("company_settings")
    terms_chosen = any(
        getattr(company, name) != Company._meta.get_field(name).get_default()
        for name in TERMS_FIELDS
    )
    steps = [
        Etape("identite", _("Identité légale (SIREN, adresse, TVA…)"), not missing, settings_url,
              capfirst(", ".join(p.split(":", 1)[-1].strip().rstrip(".") for p in missing))),
        Etape("iban", _("IBAN pour être payé par virement"), bool(company.iban),
              settings_url + "#id_iban"),
        Etape("logo", _("Logo et couleur de marque"), bool(company.logo),
              settings_url + "#id_logo"),
        Etape("conditions", _("Conditions de paiement"), terms_chosen,
              settings_url + "#id_payment_terms_days",
              _("%(d)s jours, pénalités %(p)s %% par an") % {
                  "d": company.payment_terms_days,
                  "p": number_format(company.late_penalty_rate, decimal_pos=2)}),
        Etape("numerotation", _("Numérotation et prochain numéro"),
              facts["has_format"] or facts["has_counter"], reverse("facturation:numerotation")),
        Etape("client", _("Premier client"), facts["has_client"], reverse("crm:client_create")),
        Etape("facture", _("Première facture émise"), facts["has_invoice"],
              reverse("facturation:facture_create")),
    ]  # fmt: skip
    if all(step.done for step in steps):
        return None
    return steps
