"""What dunning adds to an invoice's page and history, and to a customer's page (registered
at start-up from `EncaissementConfig.ready`)."""

from django.utils import timezone

from crm.models import Client
from crm.panels import ClientPanel, register_client_panel
from encaissement.models import (
    Canal,
    Litige,
    ProfilRelance,
    PromessePaiement,
    Relance,
    ScenarioRelance,
)
from encaissement.relances.penalites import TauxManquant
from encaissement.relances.planning import (
    Pause,
    Scenarios,
    factures_ouvertes,
    pause,
    prochain_niveau,
)
from encaissement.relances.public import panel_context
from encaissement.relances.services import penalites_a_facturer
from facturation.models import Facture, Kind, Status
from facturation.panels import (
    FacturePanel,
    PublicPanel,
    register_facture_panel,
    register_public_panel,
)
from pgi.permissions import Perm


def _facture_panel(request, facture: Facture) -> dict:
    if facture.status != Status.ISSUED or facture.kind == Kind.CREDIT_NOTE:
        return {"shown": False}
    today = timezone.localdate()
    invoice = factures_ouvertes(company=request.company, today=today).filter(pk=facture.pk).first()
    nxt = None
    reason = None
    if invoice is not None:
        reason = pause(invoice)
        found = prochain_niveau(invoice, Scenarios.load(request.company).of(invoice), today)
        nxt = found
    return {
        "shown": True,
        "open": invoice is not None,
        "pause": reason,
        "Pause": Pause,
        "next": nxt,
        "relances": list(facture.relances.select_related("niveau").order_by("position")),
        "litige": Litige.objects.filter(facture=facture, resolved_at__isnull=True).first(),
        "promesse": PromessePaiement.objects.filter(facture=facture, date__gte=today)
        .order_by("-date")
        .first(),
        "letter": Canal.LETTRE,
        "can_write": request.membership.has_perm(Perm.COMMERCIAL_WRITE),
        "a_facturer": _penalties_to_invoice(facture, today),
        "penalites_facturees": list(
            facture.penalites_facturees.select_related("facture").order_by("pk")
        ),
    }


def _penalties_to_invoice(facture: Facture, today):
    """What "Facturer les pénalités" would ask today (None when nothing, or no rate)."""
    if facture.due_date is None or facture.due_date >= today:
        return None
    try:
        _pen, interest, indemnity = penalites_a_facturer(facture, today=today)
    except TauxManquant:
        return None
    return (interest + indemnity) or None


def _client_panel(request, client: Client) -> dict:
    return {
        "profil": ProfilRelance.objects.filter(client=client).select_related("scenario").first(),
        "scenarios": ScenarioRelance.objects.filter(company=request.company),
        "relances": Relance.objects.filter(company=request.company, facture__client=client)
        .select_related("facture", "niveau")
        .order_by("-created_at")[:20],
        "can_write": request.membership.has_perm(Perm.COMMERCIAL_WRITE),
        "envois_releve": list(client.envois_releve.order_by("-created_at")[:5]),
        "email": client.email,
    }


register_facture_panel(
    FacturePanel(template="encaissement/relances/_facture_relances.html", context=_facture_panel)
)
register_public_panel(
    PublicPanel(template="encaissement/relances/public/_contester.html", context=panel_context)
)
register_client_panel(
    ClientPanel(template="encaissement/relances/_client_relances.html", context=_client_panel)
)
