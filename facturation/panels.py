"""The customer page's "Factures et avoirs" section (registered with `crm.panels`), and the
sections that the apps above facturation add to an invoice's page (payments today): they
register them from their `AppConfig.ready`, facturation imports none of them."""

from django.http import HttpRequest

from crm.models import Client
from crm.panels import ClientPanel, register_client_panel
from facturation.models import Facture
from facturation.selectors import facture_lister
from pgi.panels import Panel, Panels


def _factures(request, client: Client) -> dict:
    return {"factures": facture_lister(company=request.company).filter(client=client)[:20]}


register_client_panel(ClientPanel(template="facturation/_client_factures.html", context=_factures))


FacturePanel = Panel
FACTURE_PANELS = Panels()
register_facture_panel = FACTURE_PANELS.register


def facture_panels(request: HttpRequest, facture: Facture) -> list[tuple[str, dict]]:
    return FACTURE_PANELS.render(request, facture)


# Sections that the apps above facturation add to the customer's page of a document (the
# payment section of `encaissement`); the page's own context (`facture`, `token`) is there
# too when they are included.
PublicPanel = Panel
PUBLIC_PANELS = Panels()
register_public_panel = PUBLIC_PANELS.register


def public_panels(request: HttpRequest, facture: Facture) -> list[tuple[str, dict]]:
    return PUBLIC_PANELS.render(request, facture)
