"""Mandatory mentions, checked before a number is given (CGI art. 242 nonies A, C. com. L441-9).

Every missing mention is listed at once, in French, so the owner fixes them in one go.
"""

from decimal import Decimal

from django.utils.translation import gettext as _

from facturation.models import Facture, Kind
from pgi.mentions import FORMS_WITH_CAPITAL, PAYMENT_TERMS_MAX_DAYS, payment_terms_limit
from pgi.models import Company, Registry, VatRegime


def _filled(*values: str) -> bool:
    """A mention of spaces is a missing mention: the services keep what they are given."""
    return all(value.strip() for value in values)


def payment_terms_problem(facture: Facture) -> str | None:
    """C. com. L441-10: 60 days at most after the invoice date; a credit note has no due date."""
    terms = facture.payment_terms_days
    if facture.kind == Kind.CREDIT_NOTE or terms is None or terms <= PAYMENT_TERMS_MAX_DAYS:
        return None
    return _("Délai de paiement de %(d)d jours : %(limit)s") % {
        "d": terms,
        "limit": payment_terms_limit(),
    }


def seller_missing_mentions(company: Company) -> list[str]:
    """What the company's identity lacks for an invoice to be issued (the first-run
    checklist reads it too, so the two never disagree)."""
    problems: list[str] = []
    seller = _("Paramètres de la société")
    if not _filled(company.legal_name):
        problems.append(_("%(w)s : dénomination sociale manquante.") % {"w": seller})
    if not _filled(company.address_line1, company.postal_code, company.city):
        problems.append(_("%(w)s : adresse complète manquante.") % {"w": seller})
    if not company.siren:
        problems.append(_("%(w)s : SIREN manquant.") % {"w": seller})
    if company.legal_form in FORMS_WITH_CAPITAL and company.share_capital is None:
        problems.append(_("%(w)s : capital social manquant.") % {"w": seller})
    if company.registry == Registry.RCS and not company.registry_city:
        problems.append(_("%(w)s : ville du greffe (RCS) manquante.") % {"w": seller})
    if company.vat_regime != VatRegime.FRANCHISE and not company.vat_number:
        problems.append(_("%(w)s : numéro de TVA intracommunautaire manquant.") % {"w": seller})
    return problems


def buyer_missing_mentions(client, *, vat_case: str) -> list[str]:
    """What the customer's record lacks for a document addressed to it (invoice or quote)."""
    problems: list[str] = []
    who = _("Client « %(n)s »") % {"n": client.name}
    if not _filled(client.billing_line1, client.billing_postal_code, client.billing_city):
        problems.append(_("%(w)s : adresse de facturation incomplète.") % {"w": who})
    if client.is_business and client.billing_country == "FR" and not client.siren:
        # Décret 2022-1299: the customer's SIREN on every B2B invoice.
        problems.append(
            _("%(w)s : SIREN manquant (obligatoire entre professionnels).") % {"w": who}
        )
    if vat_case == "reverse_charge" and not client.vat_number:
        problems.append(
            _("%(w)s : numéro de TVA intracommunautaire obligatoire pour l'autoliquidation.")
            % {"w": who}
        )
    return problems


def lines_missing_mentions(lines: list, *, vat_case: str) -> list[str]:
    """What the lines of a document (invoice or quote) lack: designation, quantity, and the
    VAT rate the case calls for."""
    problems: list[str] = []
    for index, line in enumerate(lines, start=1):
        where = _("Ligne %(n)d") % {"n": index}
        if not line.designation.strip():
            problems.append(_("%(w)s : désignation manquante.") % {"w": where})
        if line.quantity <= 0 and not getattr(line, "deposit_id", None):
            problems.append(_("%(w)s : la quantité doit être positive.") % {"w": where})
        if vat_case == "franchise" and line.vat_rate != Decimal("0"):
            problems.append(
                _("%(w)s : TVA à 0 %% obligatoire en franchise en base (art. 293 B du CGI).")
                % {"w": where}
            )
        if vat_case in ("reverse_charge", "export") and line.vat_rate != Decimal("0"):
            problems.append(
                _("%(w)s : TVA à 0 %% obligatoire (autoliquidation ou exportation).") % {"w": where}
            )
        if vat_case == "normal" and line.vat_rate == Decimal("0") and not line.vat_exemption_reason:
            problems.append(_("%(w)s : motif d'exonération obligatoire à 0 %%.") % {"w": where})
    return problems


def missing_mentions(facture: Facture, *, lines: list, vat_case: str) -> list[str]:
    problems = seller_missing_mentions(facture.company)
    problems += buyer_missing_mentions(facture.client, vat_case=vat_case)
    if not lines:
        problems.append(_("La facture n'a aucune ligne."))
    problems += lines_missing_mentions(lines, vat_case=vat_case)
    if (terms_problem := payment_terms_problem(facture)) is not None:
        problems.append(terms_problem)
    return problems
