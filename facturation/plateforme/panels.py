"""The platform's sections on an invoice's page and a customer's page, and its entries in an
invoice's history; registered from facturation's `AppConfig.ready`."""

from django.utils.translation import gettext as _

from crm.panels import ClientPanel, register_client_panel
from facturation.models import Facture
from facturation.panels import FacturePanel, register_facture_panel
from facturation.plateforme import selectors
from facturation.plateforme.models import CodeStatut, RoutageClient
from facturation.plateforme.services import connexion_active
from facturation.selectors import register_timeline_source

ICONS = {
    CodeStatut.DEPOSEE: "cloud-upload", CodeStatut.APPROUVEE: "check-circle",
    CodeStatut.REJETEE: "x-octagon", CodeStatut.REFUSEE: "hand-thumbs-down",
    CodeStatut.EN_LITIGE: "exclamation-triangle", CodeStatut.PAIEMENT_TRANSMIS: "send-check",
    CodeStatut.ENCAISSEE: "cash-coin",
}  # fmt: skip


def _facture(request, facture: Facture) -> dict:
    flux = selectors.flux_facture(facture)
    return {"flux": flux, "statuts": selectors.statuts(facture) if flux else [],
            "courant": selectors.statut_courant(facture) if flux else None}  # fmt: skip


register_facture_panel(FacturePanel(template="facturation/plateforme/_facture.html",
                                    context=_facture))  # fmt: skip


def _client(request, client) -> dict:
    if connexion_active(request.company) is None:
        return {"enabled": False}
    routage = RoutageClient.objects.filter(client=client).first()
    return {
        "enabled": True,
        "routing_code": routage.routing_code if routage else "",
        "statuts": selectors.statuts_client(company=request.company, client_id=client.pk),
    }


register_client_panel(ClientPanel(template="facturation/plateforme/_client.html",
                                  context=_client))  # fmt: skip


@register_timeline_source
def _timeline(facture: Facture) -> list[dict]:
    return [
        {"at": s.at, "label": "platform", "icon": ICONS.get(s.code, "cloud"),
         "text": _("Plateforme : %(s)s (%(c)s)%(r)s") % {
             "s": s.get_code_display(), "c": s.code,
             "r": f" — {s.reason}" if s.reason else ""}}
        for s in selectors.statuts(facture)
    ]  # fmt: skip
