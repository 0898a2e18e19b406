"""What payments and dunning do with the e-invoicing platform (facturation.plateforme), which
never imports them: handlers of lifecycle statuses, and the payments reported by e-reporting.
Registered from `EncaissementConfig.ready`. The "encaissée" (212) status of a payment
allocation is sent by `encaissement.services` itself (it may import facturation)."""

from datetime import timedelta

from django.utils import timezone
from django.utils.translation import gettext as _

from encaissement.models import Affectation, Litige, PromessePaiement, SourceDemande
from facturation.models import Facture
from facturation.plateforme.ereporting import Periode, register_payment_source
from facturation.plateforme.hooks import register_status_handler
from facturation.plateforme.models import CodeStatut, StatutFacture
from facturation.plateforme.services import is_e_invoiced
from facturation.selectors import with_amount_due
from pgi.models import Company

# "Paiement transmis" (211): the buyer says the money is on its way; dunning waits this long.
HOLD_DAYS = 5


def _dispute(statut: StatutFacture) -> None:
    """ "En litige" (207): a dispute opens and the invoice's dunning pauses (once)."""
    facture = statut.facture
    if facture is None or Litige.objects.filter(facture=facture, resolved_at__isnull=True).exists():
        return
    Litige.objects.create(
        company_id=facture.company_id, facture=facture, source=SourceDemande.CUSTOMER,
        reason=(_("Plateforme : %(r)s") % {"r": statut.reason or _("facture en litige")})[:200],
    )  # fmt: skip


def _hold(statut: StatutFacture) -> None:
    """ "Paiement transmis" (211): dunning holds a few days, as for a promise to pay, and
    resumes by itself if the money does not come."""
    if statut.facture_id is None:
        return
    facture = with_amount_due(Facture.objects.filter(pk=statut.facture_id)).first()
    if facture is None or not facture.amount_due or facture.amount_due <= 0:
        return
    PromessePaiement.objects.create(
        company_id=facture.company_id, facture=facture, source=SourceDemande.CUSTOMER,
        date=timezone.localdate(statut.at) + timedelta(days=HOLD_DAYS), amount=facture.amount_due,
        note=_("Paiement transmis (plateforme)"),
    )  # fmt: skip


register_status_handler(CodeStatut.EN_LITIGE, _dispute)
register_status_handler(CodeStatut.PAIEMENT_TRANSMIS, _hold)


@register_payment_source
def _payments(company: Company, periode: Periode) -> list[dict]:
    """Payments of private (or foreign) customers for services, per VAT rate, for e-reporting:
    the allocations of the period (reversals subtract), never a credit-note offset."""
    rows = []
    affectations = (
        Affectation.objects.filter(
            company=company, paiement__date__gte=periode.start, paiement__date__lte=periode.end
        )
        .exclude(facture__lines__nature="bien")
        .select_related("facture")
        .distinct()
    )
    for affectation in affectations:
        if is_e_invoiced(affectation.facture.buyer or {}):
            continue
        rows.extend({"rate": v["rate"], "amount": v["amount"]} for v in affectation.ventilation)
    return rows
