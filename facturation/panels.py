"""The customer page's "Factures et avoirs" section (registered with `crm.panels`), and the
sections that the apps above facturation add to an invoice's page (payments today): they
register them from their `AppConfig.ready`, facturation imports none of them."""

from collections.abc import Callable
from dataclasses import dataclass

from django.http import HttpRequest

from crm.models import Client
from crm.panels import ClientPanel, register_client_panel
from facturation.models import Facture
from facturation.selectors import facture_lister


def _factures(request, client: Client) -> dict:
    return {"factures": facture_lister(company=request.company).filter(client=client)[:20]}


register_client_panel(ClientPanel(template="facturation/_client_factures.html", context=_factures))


@dataclass(frozen=True)
class FacturePanel:
    template: str  # rendered with `panel` (the context below) and `facture`
    context: Callable[[HttpRequest, Facture], dict]


FACTURE_PANELS: list[FacturePanel] = []


def register_facture_panel(panel: FacturePanel) -> FacturePanel:
    FACTURE_PANELS.append(panel)
    return panel


def facture_panels(request: HttpRequest, facture: Facture) -> list[tuple[str, dict]]:
    return [(panel.template, panel.context(request, facture)) for panel in FACTURE_PANELS]


# Sections that the apps above facturation add to the customer's page of a document (the
# payment section of `encaissement`), rendered with `panel`, `facture` and `token`.
@dataclass(frozen=True)
class PublicPanel:
    template: str
    context: Callable[[HttpRequest, Facture, str], dict]


PUBLIC_PANELS: list[PublicPanel] = []


def register_public_panel(panel: PublicPanel) -> PublicPanel:
    PUBLIC_PANELS.append(panel)
    return panel


def public_panels(request: HttpRequest, facture: Facture, token: str) -> list[tuple[str, dict]]:
    return [(panel.template, panel.context(request, facture, token)) for panel in PUBLIC_PANELS]
