"""Sections that the apps above crm add to a customer's page (invoices today; quotes and
payments next). crm imports none of them: each registers its section at start-up, from its
`AppConfig.ready`, so dependencies keep pointing inward (README, "Couches")."""

from collections.abc import Callable
from dataclasses import dataclass

from django.http import HttpRequest

from crm.models import Client


@dataclass(frozen=True)
class ClientPanel:
    template: str  # rendered with `panel` (the context below) and `client`
    context: Callable[[HttpRequest, Client], dict]


PANELS: list[ClientPanel] = []


def register_client_panel(panel: ClientPanel) -> ClientPanel:
    PANELS.append(panel)
    return panel


def client_panels(request: HttpRequest, client: Client) -> list[tuple[str, dict]]:
    return [(panel.template, panel.context(request, client)) for panel in PANELS]
