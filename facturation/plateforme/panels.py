"""The platform's sections on an invoice's page and a customer's page, registered from
facturation's `AppConfig.ready` (its statuses in an invoice's history are the customer's
activity feed: `services.statut_activite`)."""

from crm.panels import ClientPanel, register_client_panel
from facturation.models import Facture
from facturation.panels import FacturePanel, register_facture_panel
from facturation.plateforme import selectors
from facturation.plateforme.models import RoutageClient
from facturation.plateforme.services import connexion_active


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
