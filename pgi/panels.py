"""Sections that apps add to a page owned by an app below them (a customer's page, an
invoice's page): the page's app offers a `Panels` registry, the apps above fill it from their
`AppConfig.ready`, so dependencies keep pointing inward (README, "Couches")."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest


@dataclass(frozen=True)
class Panel:
    template: str  # rendered with `panel` (the context below) and the page's object
    context: Callable[[HttpRequest, Any], dict]


class Panels:
    """The sections of one kind of page, in the order they were registered."""

    def __init__(self) -> None:
        self.panels: list[Panel] = []

    def register(self, panel: Panel) -> Panel:
        self.panels.append(panel)
        return panel

    def render(self, request: HttpRequest, obj: Any) -> list[tuple[str, dict]]:
        """(template, context) of each section, for `{% include template %}`."""
        return [(panel.template, panel.context(request, obj)) for panel in self.panels]


# Sections of the sales dashboard (comptabilite.tableaux) that apps below it add from their
# `AppConfig.ready`: quotes signed versus sent, the weighted pipeline (issue #19). Each panel's
# context is called with the request and the period shown (`.start`, `.end`: dates).
dashboard_panels = Panels()
