"""The mandatory items of a quote (LEGAL.md §1), checked before it is sent.

Every missing item is listed at once, in French, naming the field to fill: the seller's
identity and the customer's record are checked as for an invoice (`facturation.mentions`,
the same functions), then what only a quote carries.
"""

from django.utils.translation import gettext as _

from devis.models import Devis, LigneDevis, ParametresDevis
from facturation.mentions import (
    buyer_missing_mentions,
    lines_missing_mentions,
    seller_missing_mentions,
)


def _filled(value: str) -> bool:
    return bool(value and value.strip())


def parametres_missing_mentions(parametres: ParametresDevis) -> list[str]:
    """Loi Pinel, art. 22 of law 2014-626: an artisan with a compulsory insurance names the
    insurer and the covered area on every quote."""
    if not parametres.insurance_required:
        return []
    where = _("Paramètres des devis")
    problems = []
    if not _filled(parametres.insurer):
        problems.append(_("%(w)s : assureur manquant (assurance obligatoire).") % {"w": where})
    if not _filled(parametres.insurance_area):
        problems.append(
            _("%(w)s : couverture géographique de l'assurance manquante.") % {"w": where}
        )
    return problems


def devis_missing_mentions(
    devis: Devis, *, lines: list[LigneDevis], parametres: ParametresDevis, vat_case: str
) -> list[str]:
    problems = seller_missing_mentions(devis.company)
    problems += parametres_missing_mentions(parametres)
    problems += buyer_missing_mentions(devis.client, vat_case=vat_case)
    where = _("Devis")
    if not lines:
        problems.append(_("Le devis n'a aucune ligne."))
    elif all(line.optional for line in lines):
        problems.append(_("Le devis n'a que des options : ajoutez au moins une ligne ferme."))
    problems += lines_missing_mentions(lines, vat_case=vat_case)
    required = (
        (devis.start_date, _("date de début des travaux ou de la prestation")),
        (devis.duration, _("durée estimée")),
        (devis.payment_terms, _("conditions de paiement")),
        (devis.execution_terms, _("conditions de livraison et d'exécution")),
        (devis.after_sales_terms, _("réclamations et service après-vente")),
    )
    for value, label in required:
        if value is None or (isinstance(value, str) and not _filled(value)):
            problems.append(_("%(w)s : « %(f)s » à compléter.") % {"w": where, "f": label})
    if devis.is_paid_quote and not devis.quote_price:
        problems.append(_("%(w)s : prix du devis payant manquant.") % {"w": where})
    if devis.deposit_percent is not None and devis.deposit_amount is not None:
        problems.append(
            _("%(w)s : acompte en pourcentage ou en montant, pas les deux.") % {"w": where}
        )
    return problems
