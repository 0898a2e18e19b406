"""The customer page's "Factures et avoirs" section (registered with `crm.panels`)."""

from crm.models import Client
from crm.panels import ClientPanel, register_client_panel
from facturation.selectors import facture_lister


def _factures(request, client: Client) -> dict:
    return {"factures": facture_lister(company=request.company).filter(client=client)[:20]}


register_client_panel(ClientPanel(template="facturation/_client_factures.html", context=_factures))
