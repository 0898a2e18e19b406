"""Sections that the apps above crm add to a customer's page (invoices, payments; quotes
next). crm imports none of them: each registers its section at start-up (`pgi.panels`)."""

from django.http import HttpRequest

from crm.models import Client
from pgi.panels import Panel, Panels

ClientPanel = Panel
CLIENT_PANELS = Panels()
register_client_panel = CLIENT_PANELS.register


def client_panels(request: HttpRequest, client: Client) -> list[tuple[str, dict]]:
    return CLIENT_PANELS.render(request, client)


# The sections of the customer portal (crm.portail): each app above lists there the documents
# of the link's customer (facturation: invoices; devis: quotes). `context(request, client)`
# is given that customer only.
PortailPanel = Panel
PORTAIL_PANELS = Panels()
register_portail_panel = PORTAIL_PANELS.register


def portail_panels(request: HttpRequest, client: Client) -> list[tuple[str, dict]]:
    return PORTAIL_PANELS.render(request, client)


# The sections of an opportunity's page that the apps above add (devis: "Créer un devis" and
# the quotes made from it). `context(request, opportunite)`.
OpportunitePanel = Panel
OPPORTUNITE_PANELS = Panels()
register_opportunite_panel = OPPORTUNITE_PANELS.register


def opportunite_panels(request: HttpRequest, opportunite) -> list[tuple[str, dict]]:
    return OPPORTUNITE_PANELS.render(request, opportunite)
