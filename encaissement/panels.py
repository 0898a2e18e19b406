"""What payments add to the layers below, registered at start-up (`EncaissementConfig.ready`):
the amount settled in facturation's one "reste dû", the payments on an invoice's page and in
its history, and the payments and credit on a customer's page."""

from django.db.models import Q
from django.utils.translation import gettext as _

from crm.models import Client
from crm.panels import ClientPanel, register_client_panel
from encaissement import public
from encaissement.models import Consultation, EvenementPrestataire, Imputation
from encaissement.online import Effet
from encaissement.selectors import (
    IMPUTATIONS_FAITES,
    IMPUTATIONS_RECUES,
    MONTANT_REGLE,
    affectations_de_facture,
    paiement_lister,
    solde_client,
)
from encaissement.services import avoir_disponible
from facturation.models import Facture, Kind, Status
from facturation.panels import (
    FacturePanel,
    PublicPanel,
    register_facture_panel,
    register_public_panel,
)
from facturation.selectors import facture_lister, register_settlement, register_timeline_source
from pgi.money import format_eur
from pgi.permissions import Perm

for reduction in (MONTANT_REGLE, IMPUTATIONS_RECUES, IMPUTATIONS_FAITES):
    register_settlement(reduction)


@register_timeline_source
def _history(facture: Facture) -> list[dict]:
    events = []
    for a in affectations_de_facture(facture):
        if a.amount > 0:
            text = _("Paiement de %(a)s reçu (%(n)s)")
            icon = "cash-coin"
        else:
            text = _("Paiement de %(a)s annulé (%(n)s)")
            icon = "x-circle"
        events.append({
            "at": a.created_at, "label": "other", "detail": a.paiement.number, "icon": icon,
            "text": text % {"a": format_eur(abs(a.amount)), "n": a.paiement.number},
        })  # fmt: skip
    for i in Imputation.objects.filter(facture=facture).select_related("avoir"):
        events.append({
            "at": i.created_at, "label": "other", "detail": i.avoir.number,
            "icon": "arrow-left-right",
            "text": _("Avoir %(n)s imputé : %(a)s")
            % {"n": i.avoir.number, "a": format_eur(i.amount)},
        })  # fmt: skip
    for i in Imputation.objects.filter(Q(avoir=facture) | Q(avoir__origin=facture)).select_related(
        "avoir", "facture"
    ):
        events.append({
            "at": i.created_at, "label": "other", "detail": i.facture.number,
            "icon": "arrow-left-right",
            "text": _("Avoir %(n)s imputé sur %(f)s : %(a)s")
            % {"n": i.avoir.number, "f": i.facture.number, "a": format_eur(i.amount)},
        })  # fmt: skip
    return events


def _facture_panel(request, facture: Facture) -> dict:
    issued = facture.status == Status.ISSUED
    payable = issued and facture.kind != Kind.CREDIT_NOTE
    can_record = request.membership.has_perm(Perm.COMMERCIAL_WRITE)
    context = {
        "payable": payable,
        "affectations": list(affectations_de_facture(facture)) if payable else [],
        "can_record": can_record,
        "credit_note": issued and facture.kind == Kind.CREDIT_NOTE,
    }
    if context["credit_note"]:
        context["imputations"] = list(
            Imputation.objects.filter(avoir=facture).select_related("facture")
        )
        context["available"] = avoir_disponible(facture)
        if can_record and context["available"] > 0:
            context["targets"] = [
                f
                for f in facture_lister(company=request.company, status=Status.ISSUED)
                .filter(client_id=facture.client_id, amount_due__gt=0)
                .exclude(kind=Kind.CREDIT_NOTE)
                .order_by("due_date", "pk")
                if f.pk != facture.origin_id
            ]
    return context


def _client_panel(request, client: Client) -> dict:
    return {
        "paiements": paiement_lister(company=request.company, client=client)[:20],
        "credit": solde_client(client),
        "can_record": request.membership.has_perm(Perm.COMMERCIAL_WRITE),
    }


register_facture_panel(
    FacturePanel(template="encaissement/_facture_paiements.html", context=_facture_panel)
)
register_client_panel(
    ClientPanel(template="encaissement/_client_paiements.html", context=_client_panel)
)


register_public_panel(PublicPanel(template="encaissement/public/_payer.html",
                                  context=public.panel_context))  # fmt: skip


@register_timeline_source
def _online_history(facture: Facture) -> list[dict]:
    """The customer's visits to the payment page (once a day) and what the payment provider
    said of an online payment that is not (yet, or no longer) a payment: processing, failed."""
    events = [
        {"at": c.at, "label": "other", "detail": "", "icon": "eye",
         "text": _("Consultée par le client")}
        for c in Consultation.objects.filter(facture=facture).order_by("day")
    ]  # fmt: skip
    texts = {
        Effet.TRAITEMENT: (_("Prélèvement SEPA de %(a)s en cours de traitement"),
                           "hourglass-split"),
        Effet.ECHEC: (_("Paiement en ligne de %(a)s échoué"), "x-octagon"),
        Effet.ANNULE: (_("Prélèvement de %(a)s rejeté : paiement annulé"), "x-octagon"),
    }  # fmt: skip
    for event in EvenementPrestataire.objects.filter(
        session__facture=facture, outcome__in=list(texts)
    ).select_related("session"):
        text, icon = texts[Effet(event.outcome)]
        amount = format_eur(event.session.amount)
        events.append({"at": event.received_at, "label": "other", "detail": event.event_id,
                       "icon": icon, "text": text % {"a": amount}})  # fmt: skip
    return events
